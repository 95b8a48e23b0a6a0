#!/usr/bin/env bash
# The shipped migration and heartbeat scenarios: a loaded dom0 slows
# migrations under native and not under closer; the OpenStack agent starves
# and the node is declared failed past saturation under native only.
. "$(dirname "$0")/lib.bash"
MG=$SRC/scenarios/migration.json
HB=$SRC/scenarios/heartbeat.json
for p in native closer; do
  expect_status 0 "migration under $p" -- "$BIN" -q -o "$WORK/mig-$p" -p "$p" "$MG"
  expect_status 0 "heartbeat under $p" -- "$BIN" -q -o "$WORK/hb-$p" -p "$p" --set duration_s=400 "$HB"
done
nt=$(metric "$WORK/mig-native/summary.json" vm1.migration.total_s)
ct=$(metric "$WORK/mig-closer/summary.json" vm1.migration.total_s)
if awk -v n="$nt" -v c="$ct" 'BEGIN { exit !(c > 0 && c < 0.8 * n) }'; then ok; else
  bad "vm1 migration: closer $ct s, native $nt s; expected closer well ahead of a loaded native dom0"; fi
paid=$(metric "$WORK/mig-closer/summary.json" vm1.migration.charged_guest_s)
src=$(metric "$WORK/mig-closer/summary.json" vm1.migration.dom0_cpu_source_s)
if awk -v p="$paid" -v s="$src" 'BEGIN { exit !(s > 0 && p == s) }'; then ok; else
  bad "closer: vm1 paid $paid s of the $src s its migration cost the source dom0"; fi
expect_json "$WORK/mig-native/summary.json" 'vm1\.migration\.charged_guest_s' 0 "native bills no guest"
expect_json "$WORK/hb-native/summary.json" 'h0\.declared_failed' 1 "native: node declared failed"
expect_json "$WORK/hb-native/summary.json" 'h0\.declared_failed_at_s' 300 "after the 300 s timeout"
expect_json "$WORK/hb-closer/summary.json" 'h0\.declared_failed' 0 "closer: node alive"
finish
