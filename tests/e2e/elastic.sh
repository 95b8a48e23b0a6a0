#!/usr/bin/env bash
# The elastic dom0 end to end, on real scenario files:
# - event level (scenarios/elastic-step.json): a step of back-end load up
#   and back down; elastic resizes a bounded number of times (no
#   oscillation), reports its resizes and a time series of online vCPUs,
#   wastes fewer idle cores and less memory than native's static 4 vCPUs /
#   2 GiB, and repeats byte for byte;
# - rate level (scenarios/overprov.json on a small generated trace): dom0's
#   unused cores and memory are lower than native's while the guests' dom0
#   work is served as well, within 0.5 percentage points.
. "$(dirname "$0")/lib.bash"
TRACEBIN=$(dirname "$BIN")/dom0sim-trace
S="$SRC/scenarios/elastic-step.json"
lt() {
  if awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; then ok; else bad "$3: $1 >= $2"; fi
}
within() {
  if awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; exit !(d <= t && -d <= t) }'; then ok
  else bad "$4: $1 vs $2 (tolerance $3)"; fi
}

expect_status 0 "native step" -- "$BIN" -q -p native -o "$WORK/n" "$S"
expect_status 0 "elastic step" -- "$BIN" -q -p elastic -o "$WORK/e" "$S"
N="$WORK/n/summary.json"
E="$WORK/e/summary.json"
up=$(metric "$E" h0.dom0.resizes.vcpu_up)
down=$(metric "$E" h0.dom0.resizes.vcpu_down)
# One step up and one down: at most one resize each way per cool-down
# needed (max 4 vCPUs from 1: up to 2 ups with a doubling, 3 parks).
[ "${up:-0}" -ge 1 ] && [ "$up" -le 2 ] && ok || bad "vCPU ups: $up, expected 1 or 2"
[ "${down:-0}" -ge 1 ] && [ "$down" -le 3 ] && ok || bad "vCPU parks: $down, expected 1 to 3"
expect_json "$N" h0.dom0.resizes.vcpu_up 0 "native never resizes"
lt "$(metric "$E" h0.dom0.vcpus_online_mean)" "$(metric "$N" h0.dom0.vcpus_online_mean)" \
  "elastic keeps fewer vCPUs online on average"
lt "$(metric "$E" h0.dom0.main.idle_cores)" "$(metric "$N" h0.dom0.main.idle_cores)" \
  "elastic leaves fewer dom0 cores idle"
lt "$(metric "$E" h0.dom0.memory_waste_mean_mb)" "$(metric "$N" h0.dom0.memory_waste_mean_mb)" \
  "elastic wastes less dom0 memory"
expect_in "$WORK/e/timeseries.csv" ",h0,dom0.vcpus_online,3" "online vCPUs over time"
changes=$(awk -F, '$3 == "dom0.vcpus_online" { if (n++ && $4 != last) c++; last = $4 } END { print c + 0 }' \
  "$WORK/e/timeseries.csv")
[ "$changes" -eq $((up + down)) ] && ok || bad "time series shows $changes changes, summary $up + $down"
expect_status 0 "elastic step again" -- "$BIN" -q -p elastic -o "$WORK/e2" "$S"
cmp -s "$E" "$WORK/e2/summary.json" && ok || bad "elastic summary.json differs between runs"
cmp -s "$WORK/e/timeseries.csv" "$WORK/e2/timeseries.csv" && ok || bad "timeseries.csv differs"

# Rate level: a small generated trace through the over-provisioning scenario.
expect_status 0 "trace" -- "$TRACEBIN" gen --out "$WORK/trace" --machines 40 --days 0.25 --seed 3
for p in native elastic; do
  expect_status 0 "replay $p" -- "$BIN" -q -p "$p" --set "trace.path=$WORK/trace" \
    --set duration_s=21600 -o "$WORK/r-$p" "$SRC/scenarios/overprov.json"
done
RN="$WORK/r-native/summary.json"
RE="$WORK/r-elastic/summary.json"
lt "$(metric "$RE" dom0.unused_cores)" "$(metric "$RN" dom0.unused_cores)" \
  "elastic leaves fewer dom0 cores unused over the trace"
lt "$(metric "$RE" dom0.unused_memory_mb)" "$(metric "$RN" dom0.unused_memory_mb)" \
  "elastic leaves less dom0 memory unused over the trace"
within "$(metric "$RE" guests.io_served_fraction)" "$(metric "$RN" guests.io_served_fraction)" 0.005 \
  "guests' dom0 work served as under native"
expect_in "$RE" '"dom0.resizes.balloon"' "replay reports elastic's resizes"
finish
