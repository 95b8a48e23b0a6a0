#!/usr/bin/env bash
# The multi-objective view (docs/FIGURES.md, "Multi-objective view"): every
# registered policy on scenarios/multiobjective.json over a few seeds, four
# measures per policy (docs/MODEL.md, "The multi-objective view"):
#
#   performance     guests.performance, mean normalised guest performance (0-1, higher better)
#   performance_cv  guests.performance_cv, CV among identical co-located guests (lower better)
#   waste_cores     objective.waste_core_s / simulated seconds: cores dom0 wasted, memory
#                   priced in cores (lower better)
#   billing_error   guests.billing_error, |paid - caused| over caused (lower better)
#
# A policy that refuses the scenario (dom0sim exits non-zero) is skipped with a
# note.  Writes OUT/multiobjective.csv (policy,measure,mean,ci95,n; ci95 the
# half-width of the Student-t 95% interval over the seeds, 0 for one seed),
# OUT/runs/POLICY/seed-S/ (each run's outputs), a table on stdout and, with
# gnuplot, OUT/multiobjective.png and .svg.
#
# Usage: plots/multiobjective.sh [--out DIR] [--seeds N] [--first-seed S]
#                                [--scenario FILE] [--set PATH=VALUE]...
# Defaults: --out results/multiobjective, 3 seeds from 1, the committed
# scenario; --set is passed to dom0sim (e.g. --set duration_s=1).
# Environment: DOM0SIM names the binary (default build/dom0sim).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=results/multiobjective
SEEDS=3
FIRST=1
SCENARIO=$ROOT/scenarios/multiobjective.json
SETS=()
die() { echo "multiobjective.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=${2:?}; shift 2 ;;
    --seeds) SEEDS=${2:?}; shift 2 ;;
    --first-seed) FIRST=${2:?}; shift 2 ;;
    --scenario) SCENARIO=${2:?}; shift 2 ;;
    --set) SETS+=(--set "${2:?}"); shift 2 ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ "$SEEDS" =~ ^[1-9][0-9]*$ ]] || die "--seeds $SEEDS: expected a positive integer"
[[ "$FIRST" =~ ^[0-9]+$ ]] || die "--first-seed $FIRST: expected a non-negative integer"
[ -r "$SCENARIO" ] || die "--scenario $SCENARIO: not readable"
BIN=${DOM0SIM:-$ROOT/build/dom0sim}
[ -x "$BIN" ] || die "build dom0sim first (README: ./setup.sh)"
"$BIN" --validate "${SETS[@]}" "$SCENARIO" >/dev/null || die "the scenario does not validate"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

metric() { sed -n "s/^[[:space:]]*\"$2\":[[:space:]]*\([-0-9.eE+]*\),\{0,1\}$/\1/p" "$1"; }
MEASURES=(performance performance_cv waste_cores billing_error)

# One row per policy, seed and measure.
raw="$OUT/runs.csv.tmp"
echo "policy,seed,measure,value" >"$raw"
POLICIES=()
for p in $("$BIN" --list-policies | awk '{ print $1 }'); do
  ok=true
  for ((s = FIRST; s < FIRST + SEEDS; s++)); do
    dir="$OUT/runs/$p/seed-$s"
    if ! "$BIN" -q -p "$p" -s "$s" "${SETS[@]}" -o "$dir" "$SCENARIO" 2>"$OUT/err"; then
      echo "   note: $p refuses the scenario, skipped: $(head -1 "$OUT/err")"
      ok=false
      break
    fi
    sj="$dir/summary.json"
    secs=$(sed -n 's/^[[:space:]]*"simulated_time_s":[[:space:]]*\([-0-9.eE+]*\),$/\1/p' "$sj")
    perf=$(metric "$sj" guests.performance)
    cv=$(metric "$sj" guests.performance_cv)
    waste=$(metric "$sj" objective.waste_core_s)
    bill=$(metric "$sj" guests.billing_error)
    [ -n "$perf" ] && [ -n "$cv" ] && [ -n "$waste" ] && [ -n "$bill" ] && [ -n "$secs" ] ||
      die "$sj lacks a measure: the scenario needs guests that serve requests, a group of identical ones and dom0 work"
    {
      echo "$p,$s,performance,$perf"
      echo "$p,$s,performance_cv,$cv"
      echo "$p,$s,waste_cores,$(awk -v w="$waste" -v t="$secs" 'BEGIN { printf "%.17g", w / t }')"
      echo "$p,$s,billing_error,$bill"
    } >>"$raw"
  done
  rm -f "$OUT/err"
  $ok && POLICIES+=("$p")
done
[ ${#POLICIES[@]} -gt 0 ] || die "every policy refused the scenario"

# Mean and Student-t 95% half-width over the seeds, in the policies' order
# (t(0.975, n - 1) for n seeds, plots/tquantile.awk: not 1.96 past 31).
TQUANTILE=$(cat "$(dirname "$0")/tquantile.awk")
tmp="$OUT/multiobjective.csv.tmp"
echo "policy,measure,mean,ci95,n" >"$tmp"
for p in "${POLICIES[@]}"; do
  for m in "${MEASURES[@]}"; do
    awk -F, -v p="$p" -v m="$m" "$TQUANTILE"'
      $1 == p && $3 == m { n++; x[n] = $4; sum += $4 }
      END {
        mean = sum / n; ss = 0
        for (i = 1; i <= n; i++) ss += (x[i] - mean) ^ 2
        ci = 0
        if (n > 1) ci = tq(n - 1) * sqrt(ss / (n - 1) / n)
        printf "%s,%s,%.6g,%.6g,%d\n", p, m, mean, ci, n
      }' "$raw" >>"$tmp"
  done
done
mv "$raw" "$OUT/runs.csv"
mv "$tmp" "$OUT/multiobjective.csv"

printf "%-14s %18s %18s %18s %18s\n" policy "performance (^)" "perf. CV (v)" "waste cores (v)" \
  "billing error (v)"
for p in "${POLICIES[@]}"; do
  printf "%-14s" "$p"
  for m in "${MEASURES[@]}"; do
    awk -F, -v p="$p" -v m="$m" '$1 == p && $2 == m { printf " %9.4f +- %6.4f", $3, $4 }' \
      "$OUT/multiobjective.csv"
  done
  echo
done
echo "   $SEEDS seed(s) from $FIRST; results in $OUT/multiobjective.csv"

if command -v gnuplot >/dev/null; then
  gnuplot -e "datafile='$OUT/multiobjective.csv'; outbase='$OUT/multiobjective'" \
    "$ROOT/plots/multiobjective.gp" && echo "   plot: $OUT/multiobjective.png, $OUT/multiobjective.svg"
fi
