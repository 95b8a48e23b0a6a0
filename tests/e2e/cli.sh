#!/usr/bin/env bash
# The command line end to end: exit codes, files written, --set, --seed,
# --policy, --validate, --list-policies.
. "$(dirname "$0")/lib.bash"
SC=$SRC/scenarios/migration.json

expect_status 0 "--version" -- "$BIN" --version
expect_in "$WORK/out" "dom0sim " "--version prints the name"
expect_status 0 "--help" -- "$BIN" --help
expect_in "$WORK/out" "--set" "--help lists --set"
expect_status 0 "--list-policies" -- "$BIN" --list-policies
expect_in "$WORK/out" "native" "--list-policies names native"
expect_in "$WORK/out" "oracle-static" "--list-policies names oracle-static"

expect_status 2 "no scenario" -- "$BIN"
expect_in "$WORK/err" "expected exactly one scenario file" "no scenario message"
expect_status 2 "two scenarios" -- "$BIN" "$SC" "$SC"
expect_status 2 "unknown option" -- "$BIN" --no-such-option "$SC"
expect_status 2 "missing file" -- "$BIN" "$WORK/nope.json"
expect_in "$WORK/err" "nope.json" "missing file is named"

# A full run writes every result file and nothing else.
expect_status 0 "run migration.json" -- "$BIN" -q -o "$WORK/run" "$SC"
for f in summary.json run.json timeseries.csv migration_rounds.csv; do
  if [ -s "$WORK/run/$f" ]; then ok; else bad "run did not write $f"; fi
done
if ls "$WORK/run" | grep -q '\.tmp\.'; then bad "temporary files left behind"; else ok; fi
if [ ! -s "$WORK/out" ]; then ok; else bad "-q printed on stdout"; fi
t1=$(metric "$WORK/run/summary.json" vm1.migration.total_s)
if awk -v t="$t1" 'BEGIN { exit !(t > 30 && t < 120) }'; then ok; else
  bad "vm1.migration.total_s = '$t1', expected a value between 30 and 120 s"; fi
expect_in "$WORK/run/summary.json" '"vm1.migration.downtime_s"' "downtime in summary"
expect_in "$WORK/run/summary.json" '"vm2.migration.rounds"' "rounds in summary"
expect_in "$WORK/run/timeseries.csv" "time_s,entity,metric,value" "timeseries header"
expect_in "$WORK/run/timeseries.csv" ",vm1,migration.sent_mb," "timeseries samples"
expect_in "$WORK/run/run.json" '"wall_time_s"' "run.json has wall time"
expect_json "$WORK/run/run.json" complete true "run.json marks completion"

# The summary printed on stdout.
expect_status 0 "run with summary" -- "$BIN" --no-progress -o "$WORK/run2" "$SC"
expect_in "$WORK/out" "migrate vm1" "printed summary names the migration"
expect_in "$WORK/out" "downtime" "printed summary gives downtime"

# --set changes the model: twice the memory, a longer migration.
expect_status 0 "--set memory" -- "$BIN" -q -o "$WORK/big" --set 'vms[0].memory_mb=8192' "$SC"
t2=$(metric "$WORK/big/summary.json" vm1.migration.total_s)
if awk -v a="$t1" -v b="$t2" 'BEGIN { exit !(b > 1.5 * a) }'; then ok; else
  bad "--set vms[0].memory_mb=8192 gave $t2 s, not much more than $t1 s"; fi
expect_status 0 "--set bare word" -- "$BIN" -q -o "$WORK/legacy" --set 'migrations[0].stop_rule=xen-legacy' "$SC"
expect_status 2 "--set unknown path" -- "$BIN" -q -o "$WORK/x" --set nosuch.key=1 "$SC"
expect_in "$WORK/err" "nosuch" "--set unknown path is named"
expect_status 2 "--set out of range" -- "$BIN" -q -o "$WORK/x" --set 'hosts[0].sockets=0' "$SC"
expect_in "$WORK/err" "hosts[0].sockets" "--set range error names the key"
expect_status 2 "--set bad index" -- "$BIN" -q -o "$WORK/x" --set 'hosts[7].sockets=2' "$SC"
expect_status 2 "--set without =" -- "$BIN" -q -o "$WORK/x" --set 'hosts[0].sockets' "$SC"

# --seed and --policy land in the summary.
expect_status 0 "--seed" -- "$BIN" -q -o "$WORK/seed" --seed 7 "$SC"
expect_json "$WORK/seed/summary.json" seed 7 "--seed recorded"
expect_status 2 "--seed not a number" -- "$BIN" -q -o "$WORK/x" --seed abc "$SC"
expect_status 0 "--policy oracle-static" -- "$BIN" -q -o "$WORK/oracle" --policy oracle-static "$SC"
expect_json "$WORK/oracle/summary.json" policy '"oracle-static"' "--policy recorded"
# 64 GiB host: 502 + int(65536 * 0.0205) = 1845 MB.
expect_json "$WORK/oracle/summary.json" 'h0\.dom0\.memory_mb' 1845 "oracle-static sizing"
expect_status 2 "--policy unknown" -- "$BIN" -q -o "$WORK/x" --policy nope "$SC"

# --validate checks and writes nothing.
expect_status 0 "--validate" -- "$BIN" --validate -o "$WORK/val" "$SC"
expect_in "$WORK/out" "valid scenario" "--validate says so"
if [ ! -e "$WORK/val" ]; then ok; else bad "--validate created the output directory"; fi

# Every shipped scenario validates.
for s in "$SRC"/scenarios/*.json; do
  [ "$(basename "$s")" = schema.json ] && continue
  expect_status 0 "validate $(basename "$s")" -- "$BIN" --validate -q "$s"
done
finish
