#!/usr/bin/env bash
# Shape of thesis figure 4.1b (scenarios/fig-4.1b-migration-vs-main-load.json,
# a small version of its spec): as the guests' back-end load grows, native's
# main container fills and its migration time rises; closer's main container
# keeps the agent alone and its migration time stays within 5%.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/shape_lib.bash"
SC=$SRC/scenarios/fig-4.1b-migration-vs-main-load.json
LOADS="0 140 280 420" # blkback us per request: native's dom0 about 5% to 87% busy
for p in native closer; do
  for l in $LOADS; do
    expect_status 0 "$p at back_request_us=$l" -- "$BIN" -q -o "$WORK/$p-$l" -p "$p" \
      --set duration_s=25 --set "hosts[0].blk.back_request_us=$l" "$SC"
  done
done
values() {
  local l out=""
  for l in $LOADS; do out="$out $(metric "$WORK/$2-$l/summary.json" "$1")"; done
  echo "$out"
}
assert "native main-container load rises to above 75%" "$rising"'; r = r && x[4] > 0.75' "v=$(values h0.dom0.main.cpu_load native)"
assert "closer main-container load stays below 2%" 'n = split(v, x, " "); r = n == 4; for (i = 1; i <= n; i++) r = r && x[i] < 0.02' \
  "v=$(values h0.dom0.main.cpu_load closer)"
assert "native migration time rises with the main container's load (x2 or more)" "$rising" "v=$(values vm1.migration.total_s native)"
assert "closer migration time flat (within 5%)" "$flat" "v=$(values vm1.migration.total_s closer)"
finish
