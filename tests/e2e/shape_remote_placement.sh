#!/usr/bin/env bash
# Shape of thesis figures 4.2a/4.2b (scenarios/fig-4.2a-iozone-remote.json,
# fig-4.2b-migration-remote.json): a guest on the socket remote from dom0's
# main container gets more IOzone bandwidth and migrates faster under closer,
# which runs blkback and the save process next to it, than under native; and
# closer's migration time follows the pre-copy series T = (V/R)(1 - λ^(n+1))/(1 - λ)
# with R the save process's own page rate (CPU-bound: V/R is the time at 0
# pages/s less the 60 ms resume), because the guest keeps its CPU while it is
# copied.  (Closer's migration time used to stay flat in the dirty rate: the
# save process, BOOSTed afresh at every batch, froze the guest, which then
# dirtied almost nothing.)
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/shape_lib.bash"
IOZ=$SRC/scenarios/fig-4.2a-iozone-remote.json
MIG=$SRC/scenarios/fig-4.2b-migration-remote.json
for p in native closer; do
  for r in 4 128; do
    expect_status 0 "IOzone $r KiB records under $p" -- "$BIN" -q -o "$WORK/ioz-$p-$r" -p "$p" \
      --set duration_s=1 --set "vms[0].workload.record_kb=$r" "$IOZ"
  done
  for d in 0 40000; do
    expect_status 0 "migration at $d pages/s under $p" -- "$BIN" -q -o "$WORK/mig-$p-$d" -p "$p" \
      --set duration_s=20 --set "vms[0].workload.dirty_rate_pages_s=$d" "$MIG"
  done
done
for r in 4 128; do
  assert "IOzone $r KiB: closer's bandwidth at least 20% above native's" 'r = c >= 1.2 * n && n > 0' \
    "n=$(metric "$WORK/ioz-native-$r/summary.json" ioz.io.throughput_Bps)" \
    "c=$(metric "$WORK/ioz-closer-$r/summary.json" ioz.io.throughput_Bps)"
done
for d in 0 40000; do
  assert "migration at $d pages/s: closer at least 20% faster than native" 'r = c > 0 && c < n / 1.2' \
    "n=$(metric "$WORK/mig-native-$d/summary.json" vm1.migration.total_s)" \
    "c=$(metric "$WORK/mig-closer-$d/summary.json" vm1.migration.total_s)"
done
assert "native migration time rises with the dirty rate (x1.5 or more)" 'r = b > 1.5 * a && a > 0' \
  "a=$(metric "$WORK/mig-native-0/summary.json" vm1.migration.total_s)" \
  "b=$(metric "$WORK/mig-native-40000/summary.json" vm1.migration.total_s)"
assert "closer migration time follows the pre-copy series at the save process's rate (within 5%)" \
  'R = 524288 / (a - 0.06); l = 40000 / R; e = (a - 0.06) * (1 - exp(k * log(l))) / (1 - l) + 0.06; r = a > 0.06 && b >= 0.95 * e && b <= 1.05 * e' \
  "a=$(metric "$WORK/mig-closer-0/summary.json" vm1.migration.total_s)" \
  "b=$(metric "$WORK/mig-closer-40000/summary.json" vm1.migration.total_s)" \
  "k=$(metric "$WORK/mig-closer-40000/summary.json" vm1.migration.rounds)"
assert "closer: the guest keeps at least 95% of its CPU while it is copied" 'r = s >= 0.95' \
  "s=$(metric "$WORK/mig-closer-40000/summary.json" vm1.migration.guest_cpu_share)"
finish
