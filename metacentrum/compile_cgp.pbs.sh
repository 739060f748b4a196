#!/bin/bash
#PBS -N compile_cgp
#PBS -l select=1:ncpus=2:mem=2gb:scratch_local=2gb
#PBS -l walltime=00:20:00
# Build the CGP engine once for all jobs: copy <workspace>/<project> to scratch, `make -C cgp all`,
# install bin/cgp back into <workspace>/<project>/bin/cgp (where train.pbs.sh looks for it).
# Nothing is compiled per job any more: the error metric and the rest are run-time flags.
# Submit with `qsub compile_cgp.pbs.sh` (or run it with bash on a front-end with a compiler);
# CGP_WORKSPACE (default $PBS_O_HOME/cgp_workspace) and CGP_CPP_PROJECT (default cgp_cpp_project)
# can be passed with `qsub -v`.
set -euo pipefail

DATADIR="${CGP_WORKSPACE:-${PBS_O_HOME:-$HOME}/cgp_workspace}"
PROJECT="${CGP_CPP_PROJECT:-cgp_cpp_project}"
SOURCE="$DATADIR/$PROJECT"
[ -f "$SOURCE/cgp/Makefile" ] || { echo "compile_cgp: $SOURCE/cgp/Makefile not found: copy the repository there" >&2; exit 1; }

BUILD_ROOT="${SCRATCHDIR:-$(mktemp -d)}"
BUILD="$BUILD_ROOT/$PROJECT"
rm -rf "$BUILD"
cp -r "$SOURCE" "$BUILD"
# MetaCentrum provides compilers as modules; a system g++ works as well.
if command -v module >/dev/null 2>&1; then
    module add gcc >/dev/null 2>&1 || true
fi
make -C "$BUILD/cgp" all -j "${PBS_NUM_PPN:-2}"
mkdir -p "$SOURCE/bin"
cp "$BUILD/bin/cgp" "$SOURCE/bin/cgp.tmp"
mv "$SOURCE/bin/cgp.tmp" "$SOURCE/bin/cgp"
echo "compile_cgp: installed $SOURCE/bin/cgp"
if [ -z "${NO_CGP_CLEAN:-}" ]; then
    rm -rf "$BUILD"
    if command -v clean_scratch >/dev/null 2>&1; then
        clean_scratch
    fi
fi
