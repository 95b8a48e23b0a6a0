#!/usr/bin/env bash
# Shape of thesis figures 2.9a/2.9b (scenarios/fig-2.9a-web-socket.json,
# fig-2.9b-migration-socket.json): with the guest on socket 1, a native dom0
# on the same socket serves its web requests faster and migrates it faster
# than one on socket 0; closer, which runs the back end and the save process
# next to the guest, migrates as fast as the co-located native dom0.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/shape_lib.bash"
WEB=$SRC/scenarios/fig-2.9a-web-socket.json
MIG=$SRC/scenarios/fig-2.9b-migration-socket.json
for s in 0 1; do
  expect_status 0 "web, native dom0 on socket $s" -- "$BIN" -q -o "$WORK/web-$s" -p native \
    --set duration_s=2 --set "policy_params.native.socket=$s" --set 'vms[0].workload.response_kb=128' "$WEB"
  expect_status 0 "migration, native dom0 on socket $s" -- "$BIN" -q -o "$WORK/mig-$s" -p native \
    --set "policy_params.native.socket=$s" "$MIG"
done
expect_status 0 "migration, closer" -- "$BIN" -q -o "$WORK/mig-closer" -p closer "$MIG"
w0=$(metric "$WORK/web-0/summary.json" web.web.throughput_rps)
w1=$(metric "$WORK/web-1/summary.json" web.web.throughput_rps)
l0=$(metric "$WORK/web-0/summary.json" web.web.latency_mean_s)
l1=$(metric "$WORK/web-1/summary.json" web.web.latency_mean_s)
m0=$(metric "$WORK/mig-0/summary.json" vm1.migration.total_s)
m1=$(metric "$WORK/mig-1/summary.json" vm1.migration.total_s)
mc=$(metric "$WORK/mig-closer/summary.json" vm1.migration.total_s)
assert "web throughput: dom0 co-located at least 20% above remote" 'r = w1 > 1.2 * w0' "w0=$w0" "w1=$w1"
assert "web latency: dom0 co-located lower than remote" 'r = l1 > 0 && l1 < l0' "l0=$l0" "l1=$l1"
assert "migration: dom0 co-located at least 20% faster than remote" 'r = m1 > 0 && m1 < m0 / 1.2' "m0=$m0" "m1=$m1"
assert "migration: closer within 5% of the co-located native dom0, ahead of the remote one" \
  'r = c <= 1.05 * m1 && c >= m1 / 1.05 && c < m0' "c=$mc" "m1=$m1" "m0=$m0"
finish
