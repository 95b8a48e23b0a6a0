#!/bin/bash
# plots/figtable.sh, the tables of docs/FIGURES.md, on a tiny synthetic figure
# summary whose tables are known by hand: means to 4 significant digits, the
# CI half-width only on non-deterministic values, a scale factor and unit, a
# filter on one of two swept keys, "-" for a missing point, and exit 2 with a
# message on bad usage, a missing file and an unknown metric, policy or key.
. "$(dirname "$0")/lib.bash"
T=$SRC/plots/figtable.sh
C=$WORK/fig.csv
cat >"$C" <<'CSV'
policy,policy_params.native.socket,vms[0].count,metric,n,mean,sd,ci95_low,ci95_high,deterministic
native,0,2,load,3,0.123456,0.01,0.1,0.146912,no
native,0,10,load,3,0.5,0,0.5,0.5,yes
native,1,2,load,3,0.25,0,0.25,0.25,yes
native,1,10,load,3,0.75,0,0.75,0.75,yes
native,0,2,rps,3,37381,10,37371,37391,no
native,0,10,rps,3,1234.5678,0,1234.5678,1234.5678,yes
closer,0,2,load,3,0.01,0,0.01,0.01,yes
closer,1,2,load,3,0.01,0,0.01,0.01,yes
CSV

# expect_table DESCRIPTION -- ARGS...: figtable's stdout equals $WORK/want.
expect_table() {
  local what=$1
  shift 2
  expect_status 0 "$what" -- "$T" "$@"
  if cmp -s "$WORK/out" "$WORK/want"; then ok; else
    bad "$what: table differs"
    diff "$WORK/want" "$WORK/out" | sed 's/^/  /' >&2
  fi
}

cat >"$WORK/want" <<'TAB'
policy  metric \ count      2  10
native  load (%)        12.35  50
closer  load (%)            1   -
TAB
expect_table "socket 0, x100 %" -- -w socket=0 -s 100 -u % "$C" load

cat >"$WORK/want" <<'TAB'
policy  metric \ count             2    10
native  load            0.1235±0.023   0.5
native  rps                 37380±10  1235
TAB
expect_table "two metrics with CI half-widths" -- -c -p native -w policy_params.native.socket=0 "$C" load rps

cat >"$WORK/want" <<'TAB'
policy  count  metric \ socket       0     1
closer  2      load               0.01  0.01
native  2      load             0.1235  0.25
native  10     load                0.5  0.75
TAB
expect_table "columns by socket, count as a row label" -- -x socket -p closer,native "$C" load

expect_status 2 "no metric" -- "$T" "$C"
expect_in "$WORK/err" "usage: plots/figtable.sh" "usage message"
expect_status 2 "bad option" -- "$T" -z "$C" load
expect_status 2 "-w without =" -- "$T" -w socket "$C" load
expect_status 2 "-s not a number" -- "$T" -s x "$C" load
expect_status 2 "missing file" -- "$T" "$WORK/none.csv" load
expect_in "$WORK/err" "none.csv: no such file" "missing file message"
expect_status 2 "unknown metric" -- "$T" "$C" load latency
expect_in "$WORK/err" "no metric latency in" "unknown metric message"
expect_status 2 "unknown policy" -- "$T" -p oracle "$C" load
expect_in "$WORK/err" "no policy oracle in" "unknown policy message"
expect_status 2 "unknown key" -- "$T" -w vcpus=2 "$C" load
expect_in "$WORK/err" "no swept key vcpus" "unknown key message"
expect_status 2 "absent value" -- "$T" -w socket=7 "$C" load
expect_in "$WORK/err" "no point with policy_params.native.socket=7" "absent value message"
finish
