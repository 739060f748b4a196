#!/usr/bin/env bash
# Compress the results of one experiment folder (run inside it), as the original did:
#   stats-all    train_statistics/fitness/*.csv -> *.csv.zip (read by model-metrics -s "statistics.{run}.csv.zip")
#   stats        lean: *.csv.chromosomeless.zip (every row, chromosome blanked) and
#                *.csv.chromosome.zip (header + last TOP rows, default 10)
#   cgp_configs  cgp_configs/*.config -> *.config.zip
# Usage: compress.sh stats|stats-all|cgp_configs [TOP]
set -euo pipefail

mode=${1:?usage: compress.sh stats|stats-all|cgp_configs [TOP]}
top=${2:-10}
case "$top" in
    '' | *[!0-9]*)
        echo "compress.sh: TOP must be a number, got '$top'" >&2
        exit 2
        ;;
esac

zip_one() { # zip_one FILE: FILE -> FILE.zip, only the file itself inside
    rm -f "$1.zip"
    zip -q -j "$1.zip" "$1"
}

shopt -s nullglob
case "$mode" in
    stats-all)
        for csv in train_statistics/fitness/*.csv; do
            zip_one "$csv"
        done
        ;;
    stats)
        for csv in train_statistics/fitness/*.csv; do
            # The chromosome is the last, quoted column: blank it, keep everything else.
            sed -E '2,$ s/,"[^"]*"$/,""/' "$csv" >"$csv.chromosomeless"
            { head -n 1 "$csv"; tail -n +2 "$csv" | tail -n "$top"; } >"$csv.chromosome"
            zip_one "$csv.chromosomeless"
            zip_one "$csv.chromosome"
            rm -f "$csv.chromosomeless" "$csv.chromosome"
        done
        ;;
    cgp_configs)
        for config in cgp_configs/*.config; do
            zip_one "$config"
        done
        ;;
    *)
        echo "compress.sh: unknown mode '$mode' (stats, stats-all or cgp_configs)" >&2
        exit 2
        ;;
esac
