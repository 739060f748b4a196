# -- Job body shared by PBS (job.pbs) and Slurm (job.sbatch) -------------------------------------
# The scheduler part above has set: SCRIPT_NAME, fail(), EXPERIMENT START_RUN END_RUN (this task's
# folder and runs [START_RUN, END_RUN)), SOURCE (the prepared folder), RESULT (where results go;
# the same folder on Slurm), INFO_FOLDER/INFO_ROOT (for jobs_info.txt), SCRATCH, ENGINE and
# ENGINE_HINT, JOB_ID, ENGINE_THREADS and ALLOCATED_CPUS, CGP_ARGS, CHECKPOINT_EVERY, and the
# functions run_finished (is run $1 finished?), launch_engine (start "$@" in the background, set
# engine_pid) and release_scratch.
[ -d "$SOURCE" ] || fail "experiment folder $SOURCE does not exist: copy the generated folders there"
[ -x "$ENGINE" ] || fail "engine $ENGINE not found: $ENGINE_HINT"

rm -f "$SOURCE/complete" "$SOURCE/exit_code" "$RESULT/complete" "$RESULT/exit_code"
echo "$JOB_ID is running on node $(uname -n) in a scratch directory $SCRATCH conducting experiment $EXPERIMENT in $INFO_FOLDER that resides in $INFO_ROOT" >>"$SOURCE/jobs_info.txt"

THREADS="$ENGINE_THREADS"
if [ -n "$ALLOCATED_CPUS" ] && [ "$ALLOCATED_CPUS" != "$ENGINE_THREADS" ]; then
    echo "$SCRIPT_NAME: the allocation has $ALLOCATED_CPUS CPUs, not the $ENGINE_THREADS requested; the engine uses $ALLOCATED_CPUS threads" >&2
    THREADS="$ALLOCATED_CPUS"
fi
export OMP_NUM_THREADS="$THREADS"

# Stage: the prepared folder, then whatever an earlier attempt copied back (finished runs,
# statistics, checkpoints), so a resubmitted job continues where the last one stopped.
WORK="$SCRATCH/work"
mkdir -p "$WORK" || fail "cannot create $WORK"
cp -r "$SOURCE/." "$WORK/" || fail "cannot stage $SOURCE to $WORK"
if [ "$RESULT" != "$SOURCE" ] && [ -d "$RESULT" ]; then
    cp -r "$RESULT/." "$WORK/" || fail "cannot stage earlier results from $RESULT"
fi
cp "$ENGINE" "$SCRATCH/cgp" || fail "cannot copy the engine to $SCRATCH"
cd "$WORK" || fail "cannot enter $WORK"
mkdir -p checkpoints cgp_configs weights train_statistics/fitness

# Start at the first run that is not finished.
first="$START_RUN"
while [ "$first" -lt "$END_RUN" ] && run_finished "$((first + 1))"; do
    first=$((first + 1))
done

rc=0
if [ "$first" -lt "$END_RUN" ]; then
    launch_engine "$SCRATCH/cgp" train train_cgp.config --threads "$THREADS" \
        --checkpoint-file "checkpoints/checkpoint.{run}.ckpt" \
        --checkpoint-every "$CHECKPOINT_EVERY" --start-run "$first" "${CGP_ARGS[@]}"
    # The scheduler's SIGTERM (walltime, qdel, scancel) goes to the engine, which checkpoints;
    # this shell stays alive to copy everything back.
    # shellcheck disable=SC2154 # engine_pid: set by the scheduler part's launch_engine
    trap 'kill -TERM "$engine_pid" 2>/dev/null' TERM INT
    wait "$engine_pid"
    rc=$?
    while kill -0 "$engine_pid" 2>/dev/null; do
        wait "$engine_pid"
        rc=$?
    done
    trap - TERM INT
fi

echo "$rc" >exit_code
if ! { mkdir -p "$RESULT" && cp -r "$WORK/." "$RESULT/"; }; then
    echo "$SCRIPT_NAME: copying results to $RESULT failed" >&2
    rc=1
fi
echo "$rc" >"$SOURCE/exit_code"
if [ "$rc" -eq 0 ]; then
    touch "$RESULT/complete" "$SOURCE/complete"
elif [ "$rc" -eq 33 ]; then
    echo "$SCRIPT_NAME: stopped at a checkpoint; resubmit to continue" >&2
fi
release_scratch
exit "$rc"
