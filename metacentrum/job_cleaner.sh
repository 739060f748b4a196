#!/usr/bin/env bash
# For a started but unfinished job: back up its scratch to <workspace>/failed_jobs_results, then
# wipe the scratch. A finished job (with `complete`) is left alone.
# Usage: job_cleaner.sh <job folder> [TOP]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=cgp_lib.sh
. "$here/cgp_lib.sh"

folder=${1:?usage: job_cleaner.sh <job folder> [TOP]}
if [ -f "$folder/complete" ]; then
    echo "job_cleaner.sh: $folder is complete; nothing to clean" >&2
    exit 0
fi
[ -f "$folder/jobs_info.txt" ] || { echo "job_cleaner.sh: $folder was never started" >&2; exit 0; }
workspace=$(job_field "$folder" 20)
"$here/job_backup.sh" "$folder" "${2:-0}" "$workspace/failed_jobs_results"
"$here/job_perish.sh" "$folder"
