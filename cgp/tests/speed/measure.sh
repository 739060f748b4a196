#!/bin/bash
# Engine speed probe on random int8 data shaped like LeNet-5's layer bypass (conv1 150 weights ->
# conv2 2400 weights, 256 x 31 grid, L = 31). Prints evaluations per second (offspring evaluated
# per wall second and per CPU second) and the time of the first row with error 0.
#   cgp/tests/speed/measure.sh [seconds] [extra engine flags...]
# e.g. cgp/tests/speed/measure.sh 20 --mutation-max 0.15 --population-max 5
set -euo pipefail
secs=${1:-20}
shift || true
here=$(cd "$(dirname "$0")" && pwd)
cgp=${CGP:-$here/../../../bin/cgp}
dir=$(mktemp -d /tmp/cgp-speed-XXXXXX)
trap 'rm -rf "$dir"' EXIT
# Gate table: 35 lines, constants free, other gates 1000..100000 quantized energy units.
awk 'BEGIN { srand(3); for (i = 0; i < 35; i++) { q = (i >= 22 && i <= 26) ? 0 : 1000 + int(rand() * 99000);
      printf "%d %g %g %d %g\n", q, q / 1e4, q / 1e3, 1 + int(rand() * 50), (1 + int(rand() * 50)) / 10 } }' > "$dir/gates.txt"
# Inputs uniform int8; outputs roughly like conv weights (sum of uniforms, clipped).
awk 'BEGIN { srand(7); for (i = 0; i < 150; i++) printf "%s%d", (i ? " " : ""), int(rand() * 256) - 128; print "";
      for (j = 0; j < 2400; j++) { v = int((rand() + rand() + rand() - 1.5) * 60); if (v > 127) v = 127; if (v < -128) v = -128;
      printf "%s%d", (j ? " " : ""), v } print "" }' > "$dir/train.data"
cat > "$dir/c.config" <<CFG
input_count: 150
output_count: 2400
row_count: 256
col_count: 31
look_back_parameter: 31
population_max: 64
mutation_max: 0.15
function_count: 27
number_of_runs: 1
generation_count: 1000000000
patience: 1000000000
mse_threshold: 0
input_file: $dir/train.data
gate_parameters_file: $dir/gates.txt
cgp_statistics_file: $dir/stats.csv
output_file: $dir/result.config
CFG
/usr/bin/time -f "%e %U %S" -o "$dir/time" "$cgp" train "$dir/c.config" --seed 1 --time-budget "$secs" --progress "$@" 2> "$dir/progress"
gen=$(grep -v run_finished "$dir/progress" | tail -1 | sed 's/.*"generation": \([0-9]*\).*/\1/')
lambda=$(( $(grep '^population_max' "$dir/result.config" | awk '{print $2}') - 1 ))
read -r wall user sys < "$dir/time"
first0=$(awk -F, 'NR > 1 && $4 == 0 { gsub(/"/, "", $3); print $3; exit }' "$dir/stats.csv")
last=$(tail -1 "$dir/stats.csv" | cut -d, -f2-11)
awk -v g="$gen" -v l="$lambda" -v w="$wall" -v u="$user" -v s="$sys" -v f="${first0:-never}" -v last="$last" -v flags="$*" 'BEGIN {
  printf "flags: %s\ngenerations %d x %d offspring in %.1f s wall (%.1f s CPU): %.0f evaluations/s wall, %.0f per CPU second\n", flags, g, l, w, u + s, g * l / w, g * l / (u + s);
  printf "first row with error 0 at %s s; last row: %s\n", f, last }'
