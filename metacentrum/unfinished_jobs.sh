#!/usr/bin/env bash
# List job folders below DIR (default .) without the `complete` marker (never started, running,
# stopped at a checkpoint or failed).
# Usage: unfinished_jobs.sh [DIR]
set -euo pipefail
# shellcheck source=cgp_lib.sh
. "$(dirname "$0")/cgp_lib.sh"

while IFS= read -r folder; do
    [ -f "$folder/complete" ] || echo "$folder"
done < <(job_folders "${1:-.}")
