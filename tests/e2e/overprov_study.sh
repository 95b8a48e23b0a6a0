#!/usr/bin/env bash
# plots/overprov.sh end to end on a small generated trace: it calibrates,
# replays under five policies and reports unused dom0 capacity; the thesis's
# one-socket dom0 wastes the most, closer bills the guests, elastic wastes
# less than native at the same service, and every policy has a line in the
# tidy CSV and the time series.
. "$(dirname "$0")/lib.bash"
S="$SRC/plots/overprov.sh"
export DOM0SIM="$BIN"
expect_status 2 "unknown option" -- "$S" --frobnicate
expect_in "$WORK/err" "--frobnicate" "the bad option is named"
expect_status 2 "bad --machines" -- "$S" --machines x
expect_status 0 "study" -- "$S" --out "$WORK/study" --machines 30 --days 0.125
expect_in "$WORK/out" "smallest task:" "table printed"
C="$WORK/study/overprov.csv"
for p in static-socket oracle-static native closer elastic oracle; do
  expect_in "$C" "$p,dom0.unused_cores," "$p in overprov.csv"
  expect_in "$WORK/study/unused_over_time.csv" ",$p,dom0.unused_smallest_tasks," "$p over time"
done
val() { awk -F, -v p="$1" -v m="$2" '$1 == p && $2 == m { print $3 }' "$C"; }
gt() {
  if awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; then ok; else bad "$3: $1 <= $2"; fi
}
gt "$(val static-socket dom0.unused_cores)" "$(val native dom0.unused_cores)" \
  "a whole socket wastes more CPU than two vCPUs"
gt "$(val static-socket dom0.unused_smallest_tasks)" "$(val oracle-static dom0.unused_smallest_tasks)" \
  "a whole socket could host more of the smallest tasks than Oracle's rule"
gt "$(val native dom0.unused_memory_mb)" "$(val oracle-static dom0.unused_memory_mb)" \
  "2 GiB wastes more memory than Oracle's rule on these hosts"
gt "$(val closer guests.dom0_paid_cores)" 0 "closer bills the guests"
gt "$(val native dom0.demand_cores)" "$(val closer dom0.demand_cores)" \
  "closer's main container carries less than native's dom0"
gt "$(val native dom0.unused_cores)" "$(val elastic dom0.unused_cores)" \
  "elastic leaves fewer dom0 cores unused than native"
gt "$(val native dom0.unused_memory_mb)" "$(val elastic dom0.unused_memory_mb)" \
  "elastic leaves less dom0 memory unused than native"
# Equal guest performance: the share of the guests' dom0 work served
# within 0.5 percentage points of native's.
d=$(awk -v a="$(val native guests.io_served_fraction)" -v b="$(val elastic guests.io_served_fraction)" \
  'BEGIN { d = a - b; print (d < 0 ? -d : d) }')
gt 0.005 "$d" "elastic serves the guests' dom0 work as native does"
# The bound: the oracle wastes nothing and every other policy's J is above
# its 0.
u=$(val oracle dom0.unused_cores)
if awk -v u="$u" 'BEGIN { exit !(u == 0) }'; then ok; else bad "oracle: $u dom0 cores unused, not 0"; fi
for p in static-socket oracle-static native closer elastic; do
  gt "$(val "$p" objective.J)" "$(val oracle objective.J)" "$p's J above the oracle's"
done
# The calibrated coefficients reached the replay.
b=$(sed -n 's/.*"per_disk_io"[[:space:]]*:[[:space:]]*\([-0-9.eE+]*\).*/\1/p' \
  "$WORK/study/calibration/coefficients.json" | head -1)
expect_in "$WORK/study/native/run.json" "trace.dom0_work.per_disk_io=$b" "coefficients passed on"
finish
