#!/usr/bin/env bash
# Every policy of every figure against the offline oracle: per figure, each
# policy's headline result on the figure's own metric, its distance to the
# oracle's, and its mean objective J against the oracle's.
#
# Usage: plots/oracle-distance.sh [--out DIR] [--overprov DIR] SWEEPDIR...
#
#   SWEEPDIR        a directory written by plots/sweep.sh for one of the
#                   figures below (its spec.txt names the scenario; without
#                   spec.txt the directory's base name is the figure), with
#                   summary.csv (policy,PARAM...,metric,n,mean,sd,ci95_low,
#                   ci95_high); a sweep of another scenario is skipped.
#   --overprov DIR  also the over-provisioning study, DIR/overprov.csv
#                   (policy,metric,value) as plots/overprov.sh writes it.
#   --out DIR       where to write oracle-distance.csv and oracle-distance.md
#                   (default figures/).
#
# The headline result of a policy on a figure is the figure's metric (table
# below) averaged over the sweep's points, seeds averaged, where both the
# policy and the oracle have a mean (a migration that never finishes has
# none); "top" is the same at the sweep's most demanding point, its last
# (most guests, highest load, largest response, memory, record or dirty
# rate).  In the socket figures (2.9a, 2.9b) only the runs with
# policy_params.native.socket = 0 count: native's dom0 remote from the
# guest, as in plots/headline.sh; the other policies ignore that key.
#
#   distance = policy - oracle          (in the metric's unit)
#   relative = distance / |oracle|      (NA when the oracle's value is 0)
#   worse_pct = 100 x relative for a metric where lower is better (a time,
#               a load, a failure probability), -100 x relative where higher
#               is better (a throughput): "x% worse than the oracle",
#               negative when the policy does better than the oracle on that
#               metric (the oracle is optimal on J, not on every metric).
#   J, J_oracle: objective.J (core-s) averaged over the same points;
#               J_minus_oracle = J - J_oracle.
#
# CSV columns: figure,task,metric,better,unit,points,policy,value,oracle,
#   distance,relative,worse_pct,top_value,top_oracle,top_worse_pct,J,
#   J_oracle,J_minus_oracle
#
# Exit status: 0 ok; 1 no known figure among the SWEEPDIRs; 2 bad usage, or a
# missing or malformed summary.csv / overprov.csv (header, field count, a
# mean that is not a number, no oracle runs), with the file and line.
set -euo pipefail
OUT=figures
OVERPROV=""
die() { echo "oracle-distance.sh: $*" >&2; exit 2; }
DIRS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=${2:?--out needs a directory}; shift 2 ;;
    --overprov) OVERPROV=${2:?--overprov needs a directory}; shift 2 ;;
    -h|--help) sed -n '2,44p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --*) die "unknown option '$1' (see --help)" ;;
    *) DIRS+=("$1"); shift ;;
  esac
done
[ ${#DIRS[@]} -gt 0 ] || [ -n "$OVERPROV" ] || die "usage: plots/oracle-distance.sh [--out DIR] [--overprov DIR] SWEEPDIR..."

# figure (scenario name) -> "label|task|metric|better|unit|scale"
task_of() {
  case "$1" in
    fig-2.1-iozone-dom0-load) echo "2.1|guests' total IOzone throughput|guests.iozone.kBps|high|MB/s|0.001024" ;;
    fig-2.8a-io-web) echo "2.8a|web throughput beside IOzone guests|web.web.throughput_rps|high|req/s|1" ;;
    fig-2.8b-lifecycle-vs-load) echo "2.8b|migration time vs dom0 load|vm1.migration.total_s|low|s|1" ;;
    fig-2.9a-web-socket) echo "2.9a|web throughput (native dom0 remote)|web.web.throughput_rps|high|req/s|1" ;;
    fig-2.9b-migration-socket) echo "2.9b|migration time (native dom0 remote)|vm1.migration.total_s|low|s|1" ;;
    fig-4.1a-dom0-load) echo "4.1a|main-container CPU load|dom0.main.cpu_load|low|%|100" ;;
    fig-4.1b-migration-vs-main-load) echo "4.1b|migration time vs main-container load|vm1.migration.total_s|low|s|1" ;;
    fig-4.2a-iozone-remote) echo "4.2a|IOzone bandwidth (remote placement)|ioz.io.throughput_Bps|high|MB/s|1e-6" ;;
    fig-4.2b-migration-remote) echo "4.2b|migration time (remote placement)|vm1.migration.total_s|low|s|1" ;;
    fig-heartbeat-agent-failure) echo "2.2|P(agent declared failed)|h0.declared_failed|low|P|1" ;;
    overprov) echo "2.1.2|unused dom0 CPU over the trace|dom0.unused_cores|low|cores|1" ;;
  esac
}

CSVSPLIT=$(cat "$(dirname "$0")/csvsplit.awk")
TMP=$(mktemp -d "${TMPDIR:-/tmp}/oracle-distance.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
ROWS="$TMP/rows.csv"
: >"$ROWS"

# distance FILE FIGURE: appends one CSV row per policy of FILE to $ROWS.
distance() {
  local file=$1 fig=$2 cfg
  cfg=$(task_of "$fig")
  IFS='|' read -r label task metric better unit scale <<<"$cfg"
  awk -v label="$label" -v task="$task" -v metric="$metric" -v better="$better" \
      -v unit="$unit" -v scale="$scale" "$CSVSPLIT"'
    function bad(msg) { printf "oracle-distance.sh: %s:%d: %s\n", FILENAME, FNR, msg > "/dev/stderr"; failed = 1; exit 2 }
    function q(s) { return (s ~ /[",]/) ? "\"" s "\"" : s }
    function num(x) { return x == "NA" ? "NA" : sprintf("%.6g", x) }
    function isnum(x) { return x ~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/ }
    # "x% worse than the oracle" from a policy value a and the oracle o.
    function worse(a, o) { if (o == 0) return "NA"; return sprintf("%.2f", (better == "low" ? 100 : -100) * (a - o) / (o < 0 ? -o : o)) }
    NR == 1 {
      csvsplit($0); nh = NF2; mc = 0; sc = 0
      for (i = 1; i <= NF2; i++) { if (F[i] == "metric") mc = i; if (F[i] == "policy_params.native.socket") sc = i }
      if (F[1] != "policy" || !mc || F[mc + 2] != "mean") bad("malformed header: expected policy,PARAM...,metric,n,mean,...")
      next
    }
    /^[[:space:]]*$/ { next }
    {
      csvsplit($0)
      if (NF2 != nh) bad(NF2 " fields, the header has " nh)
      m = F[mc]; x = F[mc + 2]
      if (x != "NA" && !isnum(x)) bad("mean \x27" x "\x27 is not a number")
      if (m != metric && m != "objective.J") next
      if (x == "NA") next
      if (sc && F[sc] != "0") next
      key = ""
      for (i = 2; i < mc; i++) if (i != sc) key = key SUBSEP F[i]
      if (!(key in seen)) { seen[key] = 1; ord[++n] = key }
      p = F[1]
      if (!(p in pseen)) { pseen[p] = 1; pol[++np] = p }
      v[p, m, key] = x + 0; have[p, m, key] = 1
    }
    END {
      if (failed) exit 2
      if (!("oracle" in pseen)) { printf "oracle-distance.sh: %s: no oracle runs with a value of %s\n", FILENAME, metric > "/dev/stderr"; exit 2 }
      for (j = 1; j <= np; j++) {
        p = pol[j]; pts = 0; sa = 0; so = 0; jp = 0; sj = 0; sjo = 0; top = ""
        for (i = 1; i <= n; i++) {
          k = ord[i]
          if (have[p, metric, k] && have["oracle", metric, k]) {
            pts++; sa += v[p, metric, k] * scale; so += v["oracle", metric, k] * scale; top = k
          }
          if (have[p, "objective.J", k] && have["oracle", "objective.J", k]) {
            jp++; sj += v[p, "objective.J", k]; sjo += v["oracle", "objective.J", k]
          }
        }
        if (!pts) { printf "oracle-distance.sh: %s: %s: no point where both %s and the oracle have %s; skipped\n", FILENAME, label, p, metric > "/dev/stderr"; continue }
        a = sa / pts; o = so / pts; d = a - o
        rel = (o == 0) ? "NA" : sprintf("%.6g", d / (o < 0 ? -o : o))
        ta = v[p, metric, top] * scale; to = v["oracle", metric, top] * scale
        J = jp ? sj / jp : "NA"; Jo = jp ? sjo / jp : "NA"
        printf "%s,%s,%s,%s,%s,%d,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", q(label), q(task), metric, better, unit, pts, p,
          num(a), num(o), num(d), rel, worse(a, o), num(ta), num(to), worse(ta, to),
          num(J), num(Jo), jp ? num(J - Jo) : "NA"
      }
    }' "$file" >>"$ROWS"
}

known=0
for dir in "${DIRS[@]}"; do
  dir=${dir%/}
  if [ -f "$dir/spec.txt" ]; then
    scen=$(awk '$1 == "scenario" { print $2; exit }' "$dir/spec.txt")
    fig=$(basename "$scen" .json)
  else
    fig=$(basename "$dir")
  fi
  if [ -z "$(task_of "$fig")" ] || [ "$fig" = overprov ]; then
    echo "oracle-distance.sh: $dir: scenario '$fig' is not one of the figures; skipped" >&2
    continue
  fi
  [ -f "$dir/summary.csv" ] || die "$dir/summary.csv: missing (run plots/sweep.sh first)"
  distance "$dir/summary.csv" "$fig" || exit 2
  known=$((known + 1))
done
if [ -n "$OVERPROV" ]; then
  f="${OVERPROV%/}/overprov.csv"
  [ -f "$f" ] || die "$f: missing (run plots/overprov.sh first)"
  # overprov.csv (policy,metric,value) as a one-point summary.csv.
  awk -F, 'NR == 1 { if ($0 != "policy,metric,value") { printf "oracle-distance.sh: %s:1: malformed header: expected policy,metric,value\n", FILENAME > "/dev/stderr"; exit 2 }
             print "policy,metric,n,mean,sd,ci95_low,ci95_high"; next }
           NF != 3 { printf "oracle-distance.sh: %s:%d: %d fields, the header has 3\n", FILENAME, FNR, NF > "/dev/stderr"; exit 2 }
           { v = ($3 == "") ? "NA" : $3; print $1 "," $2 ",1," v ",0," v "," v }' "$f" >"$TMP/overprov.csv" || exit 2
  (cd "$TMP" && distance overprov.csv overprov) || exit 2
  known=$((known + 1))
fi
[ "$known" -gt 0 ] || { echo "oracle-distance.sh: no known figure among the sweeps given" >&2; exit 1; }

mkdir -p "$OUT"
HEAD="figure,task,metric,better,unit,points,policy,value,oracle,distance,relative,worse_pct,top_value,top_oracle,top_worse_pct,J,J_oracle,J_minus_oracle"
{ echo "$HEAD"; cat "$ROWS"; } >"$OUT/oracle-distance.csv.tmp"
mv "$OUT/oracle-distance.csv.tmp" "$OUT/oracle-distance.csv"

# The Markdown table: one row per figure and policy, the oracle's own row
# first in each figure, with the metric.
awk -F, "$CSVSPLIT"'
  function fmt(x) {
    if (x == "NA") return "-"
    x += 0
    if (x == 0) return "0"
    if (x >= 1000 || x <= -1000) return sprintf("%.0f", x)
    if (x >= 10 || x <= -10) return sprintf("%.1f", x)
    if (x >= 1 || x <= -1) return sprintf("%.2f", x)
    return sprintf("%.3g", x)
  }
  function pct(x) { return x == "NA" ? "-" : sprintf("%+.1f%%", x) }
  BEGIN {
    print "| figure | metric (mean over the points) | policy | result | − oracle | worse than the oracle | at the top point (oracle: value; others: % worse) | mean J (core-s) | J − J_oracle |"
    print "|---|---|---|---:|---:|---:|---:|---:|---:|"
  }
  NR == 1 { next }
  {
    csvsplit($0)
    what = F[7] != "oracle" ? "" : sprintf("%s (%s, %s is better; %d points)", F[2], F[5], F[4] == "low" ? "lower" : "higher", F[6])
    row = sprintf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |", F[1], what,
      F[7] == "oracle" ? "**oracle**" : F[7], fmt(F[8]), F[7] == "oracle" ? "" : fmt(F[10]), F[7] == "oracle" ? "" : pct(F[12]),
      F[7] == "oracle" ? fmt(F[13]) : pct(F[15]), fmt(F[16]), F[7] == "oracle" ? "" : fmt(F[18]))
    if (!(F[1] in seen)) { seen[F[1]] = 1; figs[++nf] = F[1] }
    if (F[7] == "oracle") orow[F[1]] = row; else rows[F[1]] = rows[F[1]] row "\n"
  }
  END { for (i = 1; i <= nf; i++) printf "%s\n%s", orow[figs[i]], rows[figs[i]] }' \
  "$OUT/oracle-distance.csv" >"$OUT/oracle-distance.md.tmp"
mv "$OUT/oracle-distance.md.tmp" "$OUT/oracle-distance.md"
cat "$OUT/oracle-distance.md"
