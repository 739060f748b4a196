#!/usr/bin/env bash
# Submit job folders below DIR (default .) with qsub.
#   default: every folder never started (no jobs_info.txt), as the original resub.sh;
#   -u:      also every unfinished folder whose last job PBS no longer knows (stopped at walltime,
#            failed): it resumes from the checkpoints its last attempt copied back.
#   -n:      only print what would be submitted.
# Usage: resub.sh [-u] [-n] [DIR]
set -euo pipefail
# shellcheck source=cgp_lib.sh
. "$(dirname "$0")/cgp_lib.sh"

unfinished=no
dry_run=no
while getopts "un" option; do
    case "$option" in
        u) unfinished=yes ;;
        n) dry_run=yes ;;
        *)
            echo "usage: resub.sh [-u] [-n] [DIR]" >&2
            exit 2
            ;;
    esac
done
shift $((OPTIND - 1))

submitted=0
while IFS= read -r folder; do
    [ -f "$folder/complete" ] && continue
    if [ -f "$folder/jobs_info.txt" ]; then
        [ "$unfinished" = yes ] || continue
        job=$(job_field "$folder" 1)
        if [ -n "$job" ] && command -v qstat >/dev/null 2>&1 && qstat "$job" >/dev/null 2>&1; then
            echo "skip $folder: job $job is still queued or running" >&2
            continue
        fi
    fi
    if [ ! -f "$folder/train.pbs.sh" ]; then
        echo "skip $folder: no train.pbs.sh (generate it with <experiment>:train-pbs)" >&2
        continue
    fi
    if [ "$dry_run" = yes ]; then
        echo "would submit $folder"
    else
        (cd "$folder" && qsub train.pbs.sh)
    fi
    submitted=$((submitted + 1))
done < <(job_folders "${1:-.}")
echo "resub.sh: $submitted job(s) $([ "$dry_run" = yes ] && echo "to submit" || echo submitted)" >&2
