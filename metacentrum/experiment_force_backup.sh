#!/usr/bin/env bash
# For every job folder below DIR (default .): back up the scratch of every started job.
# Usage: experiment_force_backup.sh [DIR] [TOP]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=cgp_lib.sh
. "$here/cgp_lib.sh"

status=0
while IFS= read -r folder; do
    [ -f "$folder/jobs_info.txt" ] || continue
    "$here/job_backup.sh" "$folder" "${2:-0}" || status=1
done < <(job_folders "${1:-.}")
exit "$status"
