#!/usr/bin/env bash
# For every job folder below DIR (default .): wipe (no backup) the scratch of every started but unfinished job.
# Usage: experiment_perish.sh [DIR] [TOP]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=cgp_lib.sh
. "$here/cgp_lib.sh"

status=0
while IFS= read -r folder; do
    [ -f "$folder/jobs_info.txt" ] || continue
    if [ ! -f "$folder/complete" ]; then
        "$here/job_perish.sh" "$folder" || status=1
    fi
done < <(job_folders "${1:-.}")
exit "$status"
