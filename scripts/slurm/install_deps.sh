#!/usr/bin/env bash
# Install what the cluster tests need (Debian): Slurm (slurmctld, slurmd, client tools), munge,
# the shell linter and zip; and what the circuit commands run (circuit:simulate, circuit:synth,
# circuit:export --render): Icarus Verilog, Yosys and Graphviz. Only missing tools are installed,
# so a prepared machine pays nothing; a fresh CI machine running as root gets everything. Without
# root and with tools missing it says what to install instead of failing later in an obscure way.
set -euo pipefail

declare -A package_of=(
    [slurmctld]=slurmctld
    [slurmd]=slurmd
    [sbatch]=slurm-client
    [munged]=munge
    [mungekey]=munge
    [shellcheck]=shellcheck
    [zip]=zip
    [unzip]=unzip
    [iverilog]=iverilog
    [yosys]=yosys
    [dot]=graphviz
)

missing=()
for tool in "${!package_of[@]}"; do
    if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
        missing+=("${package_of[$tool]}")
    fi
done
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi
# Deduplicate the package names.
mapfile -t packages < <(printf '%s\n' "${missing[@]}" | sort -u)

if [ "$(id -u)" -ne 0 ]; then
    echo "install_deps.sh: missing packages: ${packages[*]}; install them (apt-get install ${packages[*]}) or run as root" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt_install() {
    apt-get install -y -q --no-install-recommends "${packages[@]}"
}
echo "install_deps.sh: installing ${packages[*]}" >&2
if ! apt_install; then
    # A fresh image may have no package lists yet; refresh once and retry.
    apt-get update -q
    apt_install
fi
