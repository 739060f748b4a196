#!/usr/bin/env bash
# Back up the scratch of a job (running, stopped or dead) to the workspace:
#   <backup_dir>/<experiments folder>/<job folder>/<experiment>/<timestamp>_data.zip
# The node and scratch directory come from the last line of <job folder>/jobs_info.txt; the
# node is reached with ${CGP_SSH:-ssh} (or directly when it is this machine).
# TOP > 0 keeps only the header and last TOP rows of each statistics CSV (smaller backups).
# Usage: job_backup.sh <job folder> [TOP] [backup_dir (default <workspace>/jobs_backups)]
set -euo pipefail
# shellcheck source=cgp_lib.sh
. "$(dirname "$0")/cgp_lib.sh"

folder=${1:?usage: job_backup.sh <job folder> [TOP] [backup_dir]}
top=${2:-0}
[ -f "$folder/jobs_info.txt" ] || { echo "job_backup.sh: $folder has no jobs_info.txt (never started)" >&2; exit 1; }
host=$(job_field "$folder" 6)
scratch=$(job_field "$folder" 11)
experiment=$(job_field "$folder" 14)
experiments_folder=$(job_field "$folder" 16)
workspace=$(job_field "$folder" 20)
check_scratch "$scratch"
backup_dir=${3:-$workspace/jobs_backups}
target="$backup_dir/$(basename "$experiments_folder")/$(basename "$folder")/$experiment"
mkdir -p "$target"
archive="$target/$(date +%Y%m%d_%H%M%S)_data.zip"

# On the node: copy the staged folder aside, shorten statistics if asked, stream a zip back.
run_on_node "$host" "$scratch" "$top" >"$archive.tmp" <<'REMOTE'
set -euo pipefail
scratch=$1
top=$2
[ -d "$scratch/work" ] || { echo "no $scratch/work on $(uname -n)" >&2; exit 1; }
tmp=$(mktemp -d "$scratch/backup.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp -r "$scratch/work" "$tmp/work"
if [ "$top" -gt 0 ]; then
    for csv in "$tmp"/work/train_statistics/fitness/*.csv; do
        [ -e "$csv" ] || continue
        { head -n 1 "$csv"; tail -n +2 "$csv" | tail -n "$top"; } >"$csv.short"
        mv "$csv.short" "$csv"
    done
fi
cd "$tmp"
zip -q -r - work
REMOTE
mv "$archive.tmp" "$archive"
echo "$archive"
