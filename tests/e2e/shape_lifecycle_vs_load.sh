#!/usr/bin/env bash
# Shape of thesis figures 2.7b/2.8b (scenarios/fig-2.8b-lifecycle-vs-load.json,
# a small version of plots/specs/fig-2.8b-lifecycle-vs-load.spec): as the I/O
# guests' back-end load on dom0 grows, native's migration, create and destroy
# times rise with it, closer's stay flat (within 5%).
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/shape_lib.bash"
SC=$SRC/scenarios/fig-2.8b-lifecycle-vs-load.json
LOADS="0 180 360 540" # blkback us per request: about 0%, 27%, 54%, 81% of dom0
for p in native closer; do
  for l in $LOADS; do
    expect_status 0 "$p at back_request_us=$l" -- "$BIN" -q -o "$WORK/$p-$l" -p "$p" \
      --set duration_s=30 --set "hosts[0].blk.back_request_us=$l" "$SC"
  done
done
# values M POLICY: the metric at every load, space-separated
values() {
  local l out=""
  for l in $LOADS; do out="$out $(metric "$WORK/$2-$l/summary.json" "$1")"; done
  echo "$out"
}
assert "native dom0 load rises to above 75%" "$rising"'; r = r && x[4] > 0.75' "v=$(values h0.dom0.main.cpu_load native)"
for m in vm1.migration.total_s new.create_s old.destroy_s; do
  assert "native $m rises with dom0 load (x2 or more)" "$rising" "v=$(values $m native)"
  assert "closer $m flat (within 5%)" "$flat" "v=$(values $m closer)"
done
assert "closer migrates faster than native even unloaded" 'r = c < n' \
  "c=$(metric "$WORK/closer-0/summary.json" vm1.migration.total_s)" \
  "n=$(metric "$WORK/native-0/summary.json" vm1.migration.total_s)"
finish
