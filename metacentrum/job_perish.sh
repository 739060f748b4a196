#!/usr/bin/env bash
# Wipe the scratch directory of a job (no backup), found through <job folder>/jobs_info.txt.
# Usage: job_perish.sh <job folder>
set -euo pipefail
# shellcheck source=cgp_lib.sh
. "$(dirname "$0")/cgp_lib.sh"

folder=${1:?usage: job_perish.sh <job folder>}
[ -f "$folder/jobs_info.txt" ] || { echo "job_perish.sh: $folder has no jobs_info.txt (never started)" >&2; exit 1; }
host=$(job_field "$folder" 6)
scratch=$(job_field "$folder" 11)
check_scratch "$scratch"
run_on_node "$host" "$scratch" <<'REMOTE'
set -euo pipefail
scratch=$1
[ -d "$scratch" ] || exit 0
find "$scratch" -mindepth 1 -delete
if [ -n "$(ls -A "$scratch")" ]; then
    echo "scratch $scratch on $(uname -n) is not empty after cleaning" >&2
    exit 1
fi
REMOTE
echo "wiped $scratch on $host"
