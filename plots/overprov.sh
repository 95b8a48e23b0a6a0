#!/usr/bin/env bash
# The dom0 over-provisioning study (thesis section 2.1.2).
#
#   1. Calibrate: plots/overprov-calibrate.sh runs the split-driver model on
#      a grid of guest CPU and disk I/O and fits, by least squares (GSL),
#      dom0 CPU = intercept + per_cpu_core x CPU + per_disk_io x disk I/O time.
#   2. Trace: --trace DIR (e.g. the real clusterdata-2011-2), or a trace
#      generated with dom0sim-trace gen (--machines, --days, --seed).
#   3. Replay scenarios/overprov.json with those coefficients under
#      static-socket (the thesis: dom0 owns one socket of every machine),
#      oracle-static, native, closer, elastic (dom0 resized from measured
#      demand every policy_params.elastic.rate_period_s) and the offline
#      bound, oracle.
#   4. Report per policy dom0's unused CPU and memory, over time and as the
#      number of the trace's smallest tasks it could have hosted, and the
#      objective J (docs/MODEL.md) in core-hours, the oracle's being 0:
#      OUT/overprov.csv (policy,metric,value), OUT/unused_over_time.csv
#      (time_s,policy,metric,value), a table on stdout, and, with gnuplot,
#      OUT/overprov.png and .svg.
#
# Usage: plots/overprov.sh [--out DIR] [--trace DIR] [--machines N] [--days D]
#                          [--seed S] [--skip-bad-rows]
# Defaults: --out results/overprov-study, a generated trace of 1000
# machines x 1 day, seed 1.  Environment: DOM0SIM and DOM0SIM_TRACE name
# the binaries (default: build/).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=results/overprov-study
TRACE=""
MACHINES=1000
DAYS=1
SEED=1
SKIP=false
die() { echo "overprov.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=${2:?}; shift 2 ;;
    --trace) TRACE=${2:?}; shift 2 ;;
    --machines) MACHINES=${2:?}; shift 2 ;;
    --days) DAYS=${2:?}; shift 2 ;;
    --seed) SEED=${2:?}; shift 2 ;;
    --skip-bad-rows) SKIP=true; shift ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ "$MACHINES" =~ ^[1-9][0-9]*$ ]] || die "--machines $MACHINES: expected a positive integer"
[[ "$DAYS" =~ ^[0-9]*\.?[0-9]+$ ]] || die "--days $DAYS: expected a positive number"
BIN=${DOM0SIM:-$ROOT/build/dom0sim}
TRACEBIN=${DOM0SIM_TRACE:-$(dirname "$BIN")/dom0sim-trace}
[ -x "$BIN" ] && [ -x "$TRACEBIN" ] || die "build dom0sim first (README: ./setup.sh)"
export DOM0SIM="$BIN" DOM0SIM_TRACE="$TRACEBIN"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

echo "== 1. calibration: dom0 work per unit of task use"
"$ROOT/plots/overprov-calibrate.sh" "$OUT/calibration" >/dev/null
coef() {
  sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\([-0-9.eE+]*\).*/\1/p" "$OUT/calibration/coefficients.json" | head -1
}
B0=$(coef intercept); B1=$(coef per_cpu_core); B2=$(coef per_disk_io); R2=$(coef r2)
[ -n "$B0" ] && [ -n "$B1" ] && [ -n "$B2" ] || die "no coefficients in $OUT/calibration/coefficients.json"
# A negative intercept would make an idle task give dom0 CPU back.
B0=$(awk -v b="$B0" 'BEGIN { print (b < 0 ? 0 : b) }')
echo "   dom0 cores = $B0 + $B1 x CPU cores + $B2 x disk I/O time   (R^2 $R2)"

echo "== 2. trace"
if [ -z "$TRACE" ]; then
  TRACE="$OUT/trace"
  stamp="machines=$MACHINES days=$DAYS seed=$SEED"
  if [ "$(cat "$TRACE/.params" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$TRACE"
    "$TRACEBIN" gen --out "$TRACE" --machines "$MACHINES" --days "$DAYS" --seed "$SEED" \
      --shards 8 --gzip >/dev/null
    echo "$stamp" >"$TRACE/.params"
  fi
  echo "   generated: $stamp ($TRACE)"
  DURATION=$(awk -v d="$DAYS" 'BEGIN { printf "%.0f", d * 86400 }')
else
  [ -d "$TRACE" ] || die "--trace $TRACE: not a directory"
  TRACE=$(cd "$TRACE" && pwd)
  # The real trace spans 29 days from 600 s.
  DURATION=$(awk -v d="$DAYS" 'BEGIN { printf "%.0f", d * 86400 }')
  echo "   $TRACE, first $DAYS day(s)"
fi

echo "== 3. replay"
POLICIES=(static-socket oracle-static native closer elastic oracle)
for p in "${POLICIES[@]}"; do
  "$BIN" -q -p "$p" --set "trace.path=$TRACE" --set "duration_s=$DURATION" \
    --set "trace.skip_bad_rows=$SKIP" \
    --set "trace.dom0_work.intercept_cores=$B0" --set "trace.dom0_work.per_cpu_core=$B1" \
    --set "trace.dom0_work.per_disk_io=$B2" -o "$OUT/$p" "$ROOT/scenarios/overprov.json"
  echo "   $p: $OUT/$p/"
done

echo "== 4. unused dom0 capacity (time means over all hosts)"
metric() { sed -n "s/^[[:space:]]*\"$2\":[[:space:]]*\([-0-9.eE+]*\),\{0,1\}$/\1/p" "$1"; }
METRICS=(dom0.capacity_cores dom0.demand_cores dom0.unused_cores dom0.unused_fraction
         dom0.memory_mb dom0.unused_memory_mb dom0.unused_smallest_tasks
         dom0.unused_smallest_tasks_min dom0.saturated_hosts guests.io_served_fraction
         guests.dom0_paid_cores dom0.resizes.vcpu_up dom0.resizes.vcpu_down
         dom0.resizes.balloon trace.machines trace.smallest_task.cpu_cores
         trace.smallest_task.memory_mb objective.J objective.cpu_waste_core_s
         objective.cpu_shortfall_core_s objective.memory_waste_mib_s
         objective.memory_shortfall_mib_s)
tmp="$OUT/overprov.csv.tmp"
echo "policy,metric,value" >"$tmp"
for p in "${POLICIES[@]}"; do
  for m in "${METRICS[@]}"; do
    echo "$p,$m,$(metric "$OUT/$p/summary.json" "$m")" >>"$tmp"
  done
done
mv "$tmp" "$OUT/overprov.csv"
tmp="$OUT/unused_over_time.csv.tmp"
echo "time_s,policy,metric,value" >"$tmp"
for p in "${POLICIES[@]}"; do
  awk -F, -v p="$p" '$2 == "cluster" && ($3 == "dom0.unused_cores" ||
      $3 == "dom0.unused_smallest_tasks" || $3 == "dom0.demand_cores" ||
      $3 == "dom0.capacity_cores") { print $1 "," p "," $3 "," $4 }' "$OUT/$p/timeseries.csv" >>"$tmp"
done
mv "$tmp" "$OUT/unused_over_time.csv"
printf "%-14s %10s %10s %10s %8s %12s %14s %14s %9s %10s\n" policy "dom0 cores" demand unused \
  "unused%" "unused MiB" "smallest mean" "smallest min" "io served" "J core-h"
for p in "${POLICIES[@]}"; do
  s="$OUT/$p/summary.json"
  printf "%-14s %10.1f %10.2f %10.1f %7.1f%% %12.0f %14.0f %14.0f %8.1f%% %10.1f\n" "$p" \
    "$(metric "$s" dom0.capacity_cores)" "$(metric "$s" dom0.demand_cores)" \
    "$(metric "$s" dom0.unused_cores)" \
    "$(awk -v f="$(metric "$s" dom0.unused_fraction)" 'BEGIN { print 100 * f }')" \
    "$(metric "$s" dom0.unused_memory_mb)" "$(metric "$s" dom0.unused_smallest_tasks)" \
    "$(metric "$s" dom0.unused_smallest_tasks_min)" \
    "$(awk -v f="$(metric "$s" guests.io_served_fraction)" 'BEGIN { print 100 * f }')" \
    "$(awk -v j="$(metric "$s" objective.J)" 'BEGIN { print j / 3600 }')"
done
echo "   smallest task: $(metric "$OUT/static-socket/summary.json" trace.smallest_task.cpu_cores) cores," \
  "$(metric "$OUT/static-socket/summary.json" trace.smallest_task.memory_mb) MiB;" \
  "results in $OUT/overprov.csv and $OUT/unused_over_time.csv"

if command -v gnuplot >/dev/null; then
  gnuplot -e "datafile='$OUT/unused_over_time.csv'; outbase='$OUT/overprov'" \
    "$ROOT/plots/overprov.gp" && echo "   plot: $OUT/overprov.png, $OUT/overprov.svg"
fi
