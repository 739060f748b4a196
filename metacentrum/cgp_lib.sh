#!/usr/bin/env bash
# Shared helpers of the metacentrum/ scripts (sourced, not run).
# A job records where it ran in jobs_info.txt, one line per start:
#   <jobid> is running on node <host> in a scratch directory <scratch> conducting experiment
#   <experiment> in <experiments folder> that resides in <workspace>
# (fields 1, 6, 11, 14, 16 and 20), which is what backup/clean/perish use to find a job's scratch.

# Print one field of the last jobs_info.txt line of a job folder.
job_field() {
    local folder=$1 field=$2
    awk -v f="$field" 'NF { line = $0 } END { if (line != "") { split(line, a, " "); print a[f] } }' \
        "$folder/jobs_info.txt"
}

# Run a bash script (on stdin) with arguments on a node: locally when the node is this machine,
# else through ${CGP_SSH:-ssh}. Arguments are quoted for the remote shell.
run_on_node() {
    local host=$1
    shift
    if [ "$host" = "$(uname -n)" ] || [ "$host" = localhost ]; then
        bash -s -- "$@"
    else
        local quoted=()
        local arg
        for arg in "$@"; do
            quoted+=("$(printf '%q' "$arg")")
        done
        ${CGP_SSH:-ssh} "$host" bash -s -- "${quoted[@]}"
    fi
}

# Refuse to touch anything that does not look like a job's scratch directory.
check_scratch() {
    local scratch=$1
    case "$scratch" in
        /*/*) ;;
        *)
            echo "refusing to use scratch directory '$scratch' (not an absolute path below /)" >&2
            return 1
            ;;
    esac
}

# Job folders below a directory: the ones holding a prepared job (train_cgp.config).
job_folders() {
    local root=${1:-.}
    local config
    for config in "$root"/*/train_cgp.config; do
        [ -e "$config" ] || continue
        dirname "$config"
    done
}
