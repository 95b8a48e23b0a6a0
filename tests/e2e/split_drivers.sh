#!/usr/bin/env bash
# The shipped split-driver scenarios, shortened: io-web (thesis 2.8a) under
# native and closer, and web-socket (thesis 2.9a) with dom0 remote and local.
. "$(dirname "$0")/lib.bash"
IW=$SRC/scenarios/io-web.json
WS=$SRC/scenarios/web-socket.json
for p in native closer; do
  expect_status 0 "io-web under $p" -- "$BIN" -q -o "$WORK/iw-$p" -p "$p" --set duration_s=2 "$IW"
done
expect_status 0 "web-socket, dom0 remote" -- "$BIN" -q -o "$WORK/ws-remote" --set duration_s=3 "$WS"
expect_status 0 "web-socket, dom0 local" -- "$BIN" -q -o "$WORK/ws-local" --set duration_s=3 \
  --set policy_params.native.socket=1 "$WS"

# Native: ten IOzone guests saturate dom0's two vCPUs; closer: the main
# container runs the agent alone (200 ms every 10 s over 2 vCPUs = 1%) and
# the web guest answers more requests.
nl=$(metric "$WORK/iw-native/summary.json" dom0.main.cpu_load)
cl=$(metric "$WORK/iw-closer/summary.json" dom0.main.cpu_load)
nw=$(metric "$WORK/iw-native/summary.json" web.web.throughput_rps)
cw=$(metric "$WORK/iw-closer/summary.json" web.web.throughput_rps)
if awk -v n="$nl" 'BEGIN { exit !(n > 0.99) }'; then ok; else bad "native main load $nl, expected saturated"; fi
if awk -v c="$cl" 'BEGIN { exit !(c < 0.02) }'; then ok; else bad "closer main load $cl, expected about 0.01"; fi
if awk -v n="$nw" -v c="$cw" 'BEGIN { exit !(c > 1.2 * n) }'; then ok; else
  bad "web throughput: closer $cw req/s, native $nw req/s; expected closer well ahead"; fi
expect_in "$WORK/iw-native/iozone_report.txt" '"Random read report"' "IOzone -R report"
expect_in "$WORK/iw-native/iozone_report.txt" '"4"' "record size column"
expect_in "$WORK/iw-native/summary.json" '"io1.blk.ring_peak_occupancy"' "ring metrics"

rl=$(metric "$WORK/ws-remote/summary.json" web.web.latency_mean_s)
ll=$(metric "$WORK/ws-local/summary.json" web.web.latency_mean_s)
if awk -v r="$rl" -v l="$ll" 'BEGIN { exit !(l < r) }'; then ok; else
  bad "web latency with dom0 on its socket $ll s, remote $rl s; expected co-location faster"; fi
finish
