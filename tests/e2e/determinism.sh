#!/usr/bin/env bash
# The same scenario and seed give byte-identical results; another seed is
# still a valid run.
. "$(dirname "$0")/lib.bash"
SC=$SRC/scenarios/migration.json
for run in a b; do
  expect_status 0 "run $run" -- "$BIN" -q -o "$WORK/$run" --seed 11 "$SC"
done
for f in summary.json timeseries.csv migration_rounds.csv; do
  if cmp -s "$WORK/a/$f" "$WORK/b/$f"; then ok; else bad "$f differs between two runs with one seed"; fi
done
# The split-driver path (rings, grants, disk, NIC, closer's placement) too.
IW=$SRC/scenarios/io-web.json
for run in c d; do
  expect_status 0 "io-web run $run" -- "$BIN" -q -o "$WORK/$run" -p closer --set duration_s=0.5 "$IW"
done
for f in summary.json timeseries.csv iozone_report.txt; do
  if cmp -s "$WORK/c/$f" "$WORK/d/$f"; then ok; else bad "io-web $f differs between two runs"; fi
done
# run.json holds the wall time and command line: it is expected to differ.
expect_in "$WORK/a/run.json" '"command_line"' "run.json has the command line"
finish
