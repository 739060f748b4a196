#!/bin/bash
# Shared by the fake qsub/qstat/qdel: where their state lives and how a job id maps to it.
# State: $FAKE_PBS_HOME/{calls.log,next_id,jobs/<id>/{script,pid,exit_status,name}}.
# shellcheck disable=SC2034 # sourced: the variables are used by qsub, qstat and qdel

if [ -z "${FAKE_PBS_HOME:-}" ]; then
    echo "$(basename "$0"): FAKE_PBS_HOME is not set (the tests' stand-in for a PBS server)" >&2
    exit 2
fi
FAKE_PBS_JOBS="$FAKE_PBS_HOME/jobs"
mkdir -p "$FAKE_PBS_JOBS"

# Every call, one line: the tool, its working directory and its arguments (shell-quoted).
record_call() {
    local tool="$1"
    shift
    printf '%s\t%s\t%s\n' "$tool" "$PWD" "$(printf '%q ' "$@")" >>"$FAKE_PBS_HOME/calls.log"
}

# A (sub)job directory name for an id: "12[3].fakepbs" -> "12_3", "12.fakepbs" and the array
# "12[].fakepbs" -> "12" (an array's subjobs are then "12_*").
job_key() {
    local id="${1%%.*}"
    id="${id%\[\]}"
    id="${id/\[/_}"
    id="${id%\]}"
    printf '%s' "$id"
}

# Is (sub)job $1 (a job key) still running? An array parent runs while any subjob does.
job_running() {
    local key="$1" dir
    for dir in "$FAKE_PBS_JOBS/$key" "$FAKE_PBS_JOBS/${key}"_*; do
        [ -d "$dir" ] || continue
        [ -f "$dir/exit_status" ] || return 0
    done
    return 1
}

job_known() {
    local key="$1" dir
    for dir in "$FAKE_PBS_JOBS/$key" "$FAKE_PBS_JOBS/${key}"_*; do
        [ -d "$dir" ] && return 0
    done
    return 1
}
