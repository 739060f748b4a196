#!/usr/bin/env bash
# List job folders below DIR (default .) that were never started (no jobs_info.txt).
# Usage: missing_jobs.sh [DIR]
set -euo pipefail
# shellcheck source=cgp_lib.sh
. "$(dirname "$0")/cgp_lib.sh"

while IFS= read -r folder; do
    [ -f "$folder/jobs_info.txt" ] || echo "$folder"
done < <(job_folders "${1:-.}")
