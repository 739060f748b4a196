#!/usr/bin/env bash
# Merge the batch folders of an experiment (run in the results folder):
#   experiment.sh merge <name> <TOP> [all|lean]   merge <name>_batch_* into <name>/ and <name>.<mode>.zip
#   experiment.sh merge-all <TOP> [all|lean]      the same for every *_batch_* group
# Mode "lean" (default, as the original) or "all". "all" zips each statistics file to statistics.{run}.csv.zip (read by
# `model-metrics -s "statistics.{run}.csv.zip"`); "lean" keeps statistics.{run}.csv.chromosome.zip
# (header + last TOP rows) and statistics.{run}.csv.chromosomeless.zip. Every finished run
# (with cgp_configs/cgp.{run}.config) of every batch is merged, with its result config and weights;
# unfinished runs are listed as FAILED with their batch and left out. Each batch's logs go to
# logs/<batch>/. Exit status 1 when some batch had unfinished runs (the rest is still merged).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)

usage() {
    echo "usage: experiment.sh merge <name> <TOP> [all|lean] | experiment.sh merge-all <TOP> [all|lean]" >&2
    exit 2
}

merge() {
    local name=$1 top=$2 mode=$3
    local target="$name" building=".$name.merging" failed=0 merged=0 last_end=0
    local batches=()
    local batch
    for batch in "${name}"_batch_*; do
        [ -d "$batch" ] && batches+=("$batch")
    done
    if [ "${#batches[@]}" -eq 0 ]; then
        echo "experiment.sh: no ${name}_batch_* folders in $(pwd)" >&2
        return 2
    fi
    mapfile -t batches < <(printf '%s\n' "${batches[@]}" | sort -t_ -k1,1 -V)
    rm -rf "$building"
    mkdir -p "$building/cgp_configs" "$building/train_statistics/fitness" "$building/weights" "$building/logs"
    : >"$building/merge_report.txt"
    for batch in "${batches[@]}"; do
        local file
        for file in train_cgp.config train.data gate_parameters.txt gate_parameters.csv; do
            [ -f "$batch/$file" ] && cp "$batch/$file" "$building/$file"
        done
        mkdir -p "$building/logs/$batch"
        for file in jobs_info.txt exit_code complete stdout.log stderr.log train_stdout.txt train_stderr.txt; do
            [ -f "$batch/$file" ] && cp "$batch/$file" "$building/logs/$batch/$file"
        done
        local end
        end=$(awk -F': *' '$1 == "number_of_runs" { print $2 }' "$batch/train_cgp.config" 2>/dev/null || true)
        end=${end:-0}
        [ "$end" -gt "$last_end" ] && last_end=$end
        # Runs this batch owns: batch i of equal steps ending at `end` starts at end*i/(i+1).
        local index=${batch##*_batch_} start
        start=$((end * index / (index + 1)))
        local run unfinished=()
        if compgen -G "$batch/train_statistics/fitness/*.csv" >/dev/null; then
            (cd "$batch" && "$here/compress.sh" "$([ "$mode" = all ] && echo stats-all || echo stats)" "$top" >/dev/null)
        fi
        for ((run = start + 1; run <= end; run++)); do
            if [ ! -f "$batch/cgp_configs/cgp.$run.config" ]; then
                unfinished+=("$run")
                continue
            fi
            local stats="$batch/train_statistics/fitness/statistics.$run.csv"
            if [ -f "$stats" ]; then
                if [ "$mode" = all ]; then
                    mv "$stats.zip" "$building/train_statistics/fitness/"
                else
                    mv "$stats.chromosome.zip" "$stats.chromosomeless.zip" "$building/train_statistics/fitness/"
                fi
            fi
            cp "$batch/cgp_configs/cgp.$run.config" "$building/cgp_configs/"
            [ -f "$batch/weights/weights.$run.txt" ] && cp "$batch/weights/weights.$run.txt" "$building/weights/"
            merged=$((merged + 1))
        done
        # Zips made for unfinished runs stay out of the merge; do not leave them behind either.
        for run in "${unfinished[@]}"; do
            rm -f "$batch/train_statistics/fitness/statistics.$run.csv."*zip
        done
        if [ "${#unfinished[@]}" -gt 0 ]; then
            echo "$name: FAILED $batch: runs ${unfinished[*]} unfinished (not merged)" | tee -a "$building/merge_report.txt" >&2
            failed=1
        fi
    done
    echo "$name: merged $merged run(s) from ${#batches[@]} batch(es)" | tee -a "$building/merge_report.txt"
    if [ -f "$building/train_cgp.config" ]; then
        sed -i -E "s/^number_of_runs:.*/number_of_runs: $last_end/" "$building/train_cgp.config"
    fi
    rm -rf ".$name.old"
    [ -e "$target" ] && mv "$target" ".$name.old"
    mv "$building" "$target"
    rm -rf ".$name.old"
    rm -f "$name.$mode.zip"
    zip -q -r "$name.$mode.zip" "$target"
    echo "$name: archive $(pwd)/$name.$mode.zip"
    return "$failed"
}

command=${1:-}
case "$command" in
    merge)
        [ $# -ge 3 ] || usage
        mode=${4:-lean}
        ;;
    merge-all)
        [ $# -ge 2 ] || usage
        mode=${3:-lean}
        ;;
    *) usage ;;
esac
case "$mode" in
    all | lean) ;;
    *) usage ;;
esac

if [ "$command" = merge ]; then
    merge "$2" "$3" "$mode"
else
    status=0
    shopt -s nullglob
    names=()
    for batch in *_batch_*; do
        [ -d "$batch" ] && names+=("${batch%_batch_*}")
    done
    if [ "${#names[@]}" -eq 0 ]; then
        echo "experiment.sh: no *_batch_* folders in $(pwd)" >&2
        exit 2
    fi
    while IFS= read -r name; do
        merge "$name" "$2" "$mode" || status=1
    done < <(printf '%s\n' "${names[@]}" | sort -u)
    exit "$status"
fi
