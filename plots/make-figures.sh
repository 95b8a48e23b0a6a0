#!/usr/bin/env bash
# Regenerates every figure of docs/FIGURES.md from scratch into figures/:
# for each plots/specs/NAME.spec, the sweep (plots/sweep.sh, GNU parallel on
# all local cores) into results/figures/NAME/ and the plot plots/NAME.gp
# into figures/NAME.png and .svg (its summary.csv copied to
# figures/data/NAME.csv); then the over-provisioning study
# (plots/overprov.sh on a generated trace), the headline gain of closer
# over native (plots/headline.sh), the multi-objective view
# (plots/multiobjective.sh) into figures/multiobjective.png, .svg, .csv, and
# every policy's distance to the oracle (plots/oracle-distance.sh:
# figures/oracle-distance.csv and .md).
#
# Usage: plots/make-figures.sh [--jobs N] [--only NAME...] [--keep]
#   --jobs N   parallel runs (default: all cores)
#   --only     just these figures (spec base names)
#   --keep     keep earlier sweep results (resume) instead of starting over
# Environment: DOM0SIM (default build/dom0sim).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
JOBS=()
ONLY=()
KEEP=false
while [ $# -gt 0 ]; do
  case "$1" in
    --jobs) JOBS=(--jobs "${2:?}"); shift 2 ;;
    --only) shift; while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do ONLY+=("$1"); shift; done ;;
    --keep) KEEP=true; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "make-figures.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
export DOM0SIM=${DOM0SIM:-$ROOT/build/dom0sim}
[ -x "$DOM0SIM" ] || { echo "make-figures.sh: build dom0sim first (./setup.sh)" >&2; exit 2; }
command -v gnuplot >/dev/null || { echo "make-figures.sh: gnuplot missing (./setup.sh installs it)" >&2; exit 2; }
mkdir -p figures results/figures
wanted() {
  [ ${#ONLY[@]} -eq 0 ] && return 0
  local o
  for o in "${ONLY[@]}"; do [ "$o" = "$1" ] && return 0; done
  return 1
}
start=$(date +%s)
for spec in plots/specs/*.spec; do
  name=$(basename "$spec" .spec)
  wanted "$name" || continue
  out="results/figures/$name"
  $KEEP || rm -rf "$out"
  t0=$(date +%s)
  plots/sweep.sh "$spec" "$out" "${JOBS[@]}" >"results/figures/$name.log" 2>&1 ||
    { echo "make-figures.sh: sweep $name failed; see results/figures/$name.log" >&2; exit 1; }
  gnuplot -e "summary='$out/summary.csv'; outbase='figures/$name'" "plots/$name.gp"
  # The figure's numbers beside its image, for docs/FIGURES.md's tables
  # (plots/figtable.sh reads them; the doc test checks the docs against them).
  mkdir -p figures/data
  cp "$out/summary.csv" "figures/data/$name.csv"
  echo "$name: figures/$name.png, .svg ($(( $(date +%s) - t0 )) s)"
done
if wanted overprov; then
  t0=$(date +%s)
  $KEEP || rm -rf results/figures/overprov
  plots/overprov.sh --out results/figures/overprov --machines 300 --days 1 \
    >results/figures/overprov.log 2>&1 ||
    { echo "make-figures.sh: overprov failed; see results/figures/overprov.log" >&2; exit 1; }
  cp results/figures/overprov/overprov.png figures/fig-2.1.2-overprov.png
  cp results/figures/overprov/overprov.svg figures/fig-2.1.2-overprov.svg
  echo "overprov: figures/fig-2.1.2-overprov.png, .svg ($(( $(date +%s) - t0 )) s)"
fi
if wanted multiobjective; then
  t0=$(date +%s)
  rm -rf results/figures/multiobjective
  plots/multiobjective.sh --out results/figures/multiobjective \
    >results/figures/multiobjective.log 2>&1 ||
    { echo "make-figures.sh: multiobjective failed; see results/figures/multiobjective.log" >&2; exit 1; }
  for ext in png svg csv; do
    cp "results/figures/multiobjective/multiobjective.$ext" "figures/multiobjective.$ext"
  done
  echo "multiobjective: figures/multiobjective.png, .svg, .csv ($(( $(date +%s) - t0 )) s)"
fi
dirs=(); for d in results/figures/*/; do [ -f "$d/summary.csv" ] && dirs+=("${d%/}"); done
if [ -x plots/headline.sh ] && [ ${#ONLY[@]} -eq 0 ]; then
  plots/headline.sh "${dirs[@]}" >figures/headline.csv 2>results/figures/headline.log
  column -s, -t <figures/headline.csv 2>/dev/null || cat figures/headline.csv
fi
if [ ${#ONLY[@]} -eq 0 ]; then
  overprov=(); [ -f results/figures/overprov/overprov.csv ] && overprov=(--overprov results/figures/overprov)
  plots/oracle-distance.sh --out figures "${overprov[@]}" "${dirs[@]}" >/dev/null \
    2>results/figures/oracle-distance.log ||
    { echo "make-figures.sh: oracle-distance failed; see results/figures/oracle-distance.log" >&2; exit 1; }
  echo "oracle distance: figures/oracle-distance.csv, .md"
fi
echo "all figures in $(( $(date +%s) - start )) s"
