#!/usr/bin/env bash
# The shipped dom0-load scenario under each policy: native's main container
# carries the guests' back-end load, closer's does not and the guests pay.
. "$(dirname "$0")/lib.bash"
SC=$SRC/scenarios/dom0-load.json
for p in native oracle-static closer; do
  expect_status 0 "dom0-load under $p" -- "$BIN" -q -o "$WORK/$p" -p "$p" --set duration_s=60 "$SC"
done
nat=$(metric "$WORK/native/summary.json" dom0.main.cpu_load)
clo=$(metric "$WORK/closer/summary.json" dom0.main.cpu_load)
# Six guests x 800 requests/s x 250 us = 1.2 vCPUs of back-end work, half of
# it stalled on the guests' remote memory (x1.6): 1.56 vCPUs over 2, plus 1%.
if awk -v n="$nat" 'BEGIN { exit !(n > 0.74 && n < 0.84) }'; then ok; else
  bad "native dom0.main.cpu_load = $nat, expected about 0.79"; fi
# The agent alone: 200 ms every 10 s over 2 vCPUs = 1%.
if awk -v c="$clo" 'BEGIN { exit !(c > 0.005 && c < 0.015) }'; then ok; else
  bad "closer dom0.main.cpu_load = $clo, expected about 0.01"; fi
paid=$(metric "$WORK/closer/summary.json" vm1.cpu.charged_dom0_s)
if awk -v c="$paid" 'BEGIN { exit !(c > 10 && c < 14) }'; then ok; else
  bad "closer vm1.cpu.charged_dom0_s = $paid, expected about 12 s"; fi
expect_json "$WORK/native/summary.json" 'vm1\.cpu\.charged_dom0_s' 0 "native charges no guest"
expect_in "$WORK/closer/timeseries.csv" ",h0,dom0.main.cpu_load," "load time series"
finish
