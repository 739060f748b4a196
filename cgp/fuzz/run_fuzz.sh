#!/usr/bin/env bash
# Runs each fuzz target for SECONDS (0: only replay the seeds) and prints one summary line per
# target. Exit status: 0 when no target found anything; 1 otherwise (the reproducer is in
# findings/, the log in <out>/<target>.log).
set -uo pipefail
out=$1
seconds=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here/findings"
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:allocator_may_return_null=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
status=0
summary=()
for target in "$@"; do
    work="$out/corpus/$target"
    mkdir -p "$work"
    log="$out/$target.log"
    if [ "$seconds" = 0 ]; then
        args=(-runs=0)
    else
        args=(-max_total_time="$seconds")
    fi
    echo "== $target: ${seconds}s (log: $log)"
    # First corpus dir receives new inputs; the committed seeds are only read.
    "$out/$target" "${args[@]}" -timeout=10 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
        -artifact_prefix="$here/findings/$target-" "$work" "$here/corpus/$target" >"$log" 2>&1
    rc=$?
    execs=$(grep -ao 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1 || true)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
    if [ $rc -eq 0 ]; then
        summary+=("$target: ok, ${execs:-?} inputs run, ${cov:-no coverage line}, no finding")
    else
        status=1
        summary+=("$target: FINDING (exit $rc), see $log and $here/findings/")
        grep -E 'ERROR|SUMMARY|property violated|runtime error|Test unit written' "$log" | head -20
    fi
done
echo "== fuzz summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
exit $status
