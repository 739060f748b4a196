#!/usr/bin/env bash
# Makes sure Debian's clang and its compiler-rt (libFuzzer + sanitizer runtimes) are installed,
# so `make fuzz` works on a fresh Debian machine. Prints the clang++ to use on stdout.
set -euo pipefail

find_clang() {
    for c in clang++ clang++-14; do
        if command -v "$c" >/dev/null 2>&1; then
            echo "$c"
            return 0
        fi
    done
    return 1
}

# libFuzzer ships in compiler-rt; a clang without it fails only at link time, so check both.
runtime_present() {
    local cxx=$1
    local lib
    lib=$("$cxx" -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null || true)
    [ -n "$lib" ] && [ -f "$lib" ]
}

if cxx=$(find_clang) && runtime_present "$cxx"; then
    echo "$cxx"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "cgp fuzz: clang with libFuzzer missing; run as root or: apt-get install -y clang libclang-rt-14-dev" >&2
    exit 1
fi
echo "cgp fuzz: installing clang and libclang-rt-14-dev (Debian packages)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q clang libclang-rt-14-dev >&2 || {
    apt-get update -q >&2
    apt-get install -y -q clang libclang-rt-14-dev >&2
}
cxx=$(find_clang)
runtime_present "$cxx" || { echo "cgp fuzz: $cxx has no libFuzzer runtime after install" >&2; exit 1; }
echo "$cxx"
