#!/usr/bin/env bash
# plots/oracle-distance.sh on a small synthetic tree of sweep results: the
# arithmetic of every row (distance = policy - oracle, relative = distance /
# |oracle|, worse_pct signed by the metric's direction, J - J_oracle), the
# points that count (NA skipped, native.socket = 1 left out), and exit 2 with
# the file named on a missing or malformed summary.csv.
# Usage: oracle_distance.sh BUILD_DIR SOURCE_DIR
source "$(dirname "$0")/lib.bash" "$1/dom0sim" "$2"
SCRIPT=$SRC/plots/oracle-distance.sh
T=$WORK/tree
mkdir -p "$T/mig" "$T/web"

# A lower-is-better figure (migration time), native NA at no point.
echo "scenario scenarios/fig-4.2b-migration-remote.json" >"$T/mig/spec.txt"
cat >"$T/mig/summary.csv" <<'EOF'
policy,vms[0].workload.dirty_rate_pages_s,metric,n,mean,sd,ci95_low,ci95_high
native,0,vm1.migration.total_s,3,6,0,6,6
native,60000,vm1.migration.total_s,3,18,0,18,18
native,0,objective.J,3,100,0,100,100
native,60000,objective.J,3,300,0,300,300
closer,0,vm1.migration.total_s,3,4.2,0,4.2,4.2
closer,60000,vm1.migration.total_s,3,4.4,0,4.4,4.4
closer,0,objective.J,3,10,0,10,10
closer,60000,objective.J,3,30,0,30,30
oracle,0,vm1.migration.total_s,3,4,0,4,4
oracle,60000,vm1.migration.total_s,3,4.2,0,4.2,4.2
oracle,0,objective.J,3,1,0,1,1
oracle,60000,objective.J,3,3,0,3,3
EOF
# A higher-is-better figure with the socket filter and an NA point.
echo "scenario scenarios/fig-2.9a-web-socket.json" >"$T/web/spec.txt"
cat >"$T/web/summary.csv" <<'EOF'
policy,policy_params.native.socket,vms[0].workload.response_kb,metric,n,mean,sd,ci95_low,ci95_high
native,0,8,web.web.throughput_rps,3,1000,0,1000,1000
native,0,256,web.web.throughput_rps,3,2000,0,2000,2000
native,1,8,web.web.throughput_rps,3,5000,0,5000,5000
native,1,256,web.web.throughput_rps,3,5000,0,5000,5000
closer,0,8,web.web.throughput_rps,3,1500,0,1500,1500
closer,0,256,web.web.throughput_rps,0,NA,NA,NA,NA
oracle,0,8,web.web.throughput_rps,3,1250,0,1250,1250
oracle,0,256,web.web.throughput_rps,3,2500,0,2500,2500
oracle,1,8,web.web.throughput_rps,3,1,0,1,1
EOF

expect_status 0 "distance on the synthetic tree" -- "$SCRIPT" --out "$WORK/out1" "$T/mig" "$T/web"
CSV=$WORK/out1/oracle-distance.csv
[ -f "$CSV" ] && ok || bad "no oracle-distance.csv"
[ -f "$WORK/out1/oracle-distance.md" ] && ok || bad "no oracle-distance.md"
expect_in "$WORK/out1/oracle-distance.md" "| **oracle** |" "the Markdown table has the oracle's row"

# field POLICY FIGURE COLUMN: one value of the CSV (columns by header name).
field() {
  awk -F, -v p="$1" -v f="$2" -v c="$3" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $1 == f && $7 == p { print $(col[c]) }' "$CSV"
}
# near GOT WANT WHAT: |GOT - WANT| <= 1e-4 x max(1, |WANT|).
near() {
  if awk -v g="$1" -v w="$2" 'BEGIN { d = g - w; if (d < 0) d = -d; m = (w < 0 ? -w : w); exit !(g != "" && d <= 1e-4 * (m > 1 ? m : 1)) }'; then ok; else
    bad "$3: got '$1', expected $2"
  fi
}
# Every row: distance = value - oracle, relative = distance / |oracle|,
# J_minus_oracle = J - J_oracle (recomputed here from the CSV's own columns).
rowsbad=$(awk -F, 'NR > 1 {
    d = $8 - $9; if ($10 - d > 1e-6 || d - $10 > 1e-6) print "distance", $1, $7
    if ($9 != 0) { r = d / ($9 < 0 ? -$9 : $9); if ($11 - r > 1e-6 || r - $11 > 1e-6) print "relative", $1, $7 }
    if ($16 != "NA" && ($18 - ($16 - $17) > 1e-6 || ($16 - $17) - $18 > 1e-6)) print "J", $1, $7
    n++ } END { if (n != 6) print "rows", n }' "$CSV")
[ -z "$rowsbad" ] && ok || bad "row arithmetic: $rowsbad"

# Migration (lower is better): native 12 s against the oracle's 4.1 s.
near "$(field native 4.2b value)" 12 "native's mean migration time"
near "$(field native 4.2b oracle)" 4.1 "the oracle's mean migration time"
near "$(field native 4.2b distance)" 7.9 "native - oracle"
near "$(field native 4.2b relative)" 1.926829 "(native - oracle) / |oracle|"
near "$(field native 4.2b worse_pct)" 192.68 "native 192.68% worse than the oracle"
near "$(field native 4.2b top_worse_pct)" 328.57 "at 60000 pages/s: (18 - 4.2) / 4.2"
near "$(field native 4.2b J_minus_oracle)" 198 "native's mean J - the oracle's"
near "$(field oracle 4.2b distance)" 0 "the oracle against itself"
# Web (higher is better), socket-1 rows left out, closer's NA point skipped.
near "$(field native 2.9a value)" 1500 "native with dom0 remote only (socket 0)"
near "$(field native 2.9a worse_pct)" 20 "native 20% worse than the oracle (less throughput)"
near "$(field closer 2.9a points)" 1 "closer's NA point skipped"
near "$(field closer 2.9a oracle)" 1250 "the oracle over closer's points only"
near "$(field closer 2.9a relative)" 0.2 "closer 20% above the oracle"
near "$(field closer 2.9a worse_pct)" -20 "closer better than the oracle: negative worse_pct"
[ "$(field closer 2.9a J)" = NA ] && ok || bad "no objective.J in the summary: J is NA"

# Bad input: exit 2, the file named.
mkdir -p "$T/nosummary"
echo "scenario scenarios/fig-4.2b-migration-remote.json" >"$T/nosummary/spec.txt"
expect_status 2 "missing summary.csv" -- "$SCRIPT" --out "$WORK/out2" "$T/nosummary"
expect_in "$WORK/err" "nosummary/summary.csv: missing" "the missing file is named"
mkdir -p "$T/badhead" "$T/badnum" "$T/badfields" "$T/nooracle"
for d in badhead badnum badfields nooracle; do cp "$T/mig/spec.txt" "$T/$d/"; done
sed '1s/metric/metrik/' "$T/mig/summary.csv" >"$T/badhead/summary.csv"
sed '3s/,18,0,18,18/,1x8,0,18,18/' "$T/mig/summary.csv" >"$T/badnum/summary.csv"
sed '4s/,3,100,/,100,/' "$T/mig/summary.csv" >"$T/badfields/summary.csv"
grep -v '^oracle' "$T/mig/summary.csv" >"$T/nooracle/summary.csv"
expect_status 2 "malformed header" -- "$SCRIPT" --out "$WORK/out2" "$T/badhead"
expect_in "$WORK/err" "badhead/summary.csv:1: malformed header" "the bad header's file and line"
expect_status 2 "a mean that is not a number" -- "$SCRIPT" --out "$WORK/out2" "$T/badnum"
expect_in "$WORK/err" "badnum/summary.csv:3: mean '1x8' is not a number" "the bad mean's line"
expect_status 2 "a row with a missing field" -- "$SCRIPT" --out "$WORK/out2" "$T/badfields"
expect_in "$WORK/err" "badfields/summary.csv:4: 7 fields, the header has 8" "the short row's line"
expect_status 2 "no oracle runs" -- "$SCRIPT" --out "$WORK/out2" "$T/nooracle"
expect_in "$WORK/err" "no oracle runs" "says the oracle is missing"
[ ! -e "$WORK/out2/oracle-distance.csv" ] && ok || bad "a failed run wrote oracle-distance.csv"
expect_status 2 "bad overprov.csv" -- "$SCRIPT" --out "$WORK/out2" --overprov "$T/mig"
expect_in "$WORK/err" "overprov.csv: missing" "the missing overprov.csv is named"
finish
