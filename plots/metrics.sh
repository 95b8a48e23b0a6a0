#!/usr/bin/env bash
# plots/metrics.sh RUNDIR... -- METRIC...
# A table of summary.json metrics: one row per run directory (named by its
# policy), one column per metric, each value to 4 significant digits (%.4g;
# "-" when the run has no such metric, "NaN" for null).  The README's tables
# are this script's output, so the doc test (tests/doc/doctest.pl) checks them.
#   plots/metrics.sh out/native out/closer -- web.web.throughput_rps objective.J
# Exit status: 0 ok, 2 bad usage or a run directory without summary.json.
set -euo pipefail
usage() { echo "usage: plots/metrics.sh RUNDIR... -- METRIC..." >&2; exit 2; }
dirs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do dirs+=("$1"); shift; done
[ $# -gt 1 ] && [ ${#dirs[@]} -gt 0 ] || usage
shift
for d in "${dirs[@]}"; do
  [ -f "$d/summary.json" ] || { echo "plots/metrics.sh: $d/summary.json: no such file" >&2; exit 2; }
done
# summary.json has one "key": value per line (sim/sim_output.c); the policy
# names the row.
awk -v metrics="$*" '
  BEGIN { nm = split(metrics, m, " "); nr = 0 }
  FNR == 1 { nr++; row[nr] = FILENAME }
  {
    line = $0
    if (match(line, /^[ \t]*"[^"]+":[ \t]*/)) {
      key = substr(line, RSTART, RLENGTH)
      val = substr(line, RSTART + RLENGTH)
      sub(/^[ \t]*"/, "", key); sub(/":[ \t]*$/, "", key)
      sub(/,[ \t]*$/, "", val)
      if (key == "policy") { gsub(/"/, "", val); row[nr] = val }
      else v[nr, key] = val
    }
  }
  END {
    cell[0, 0] = "policy"
    for (j = 1; j <= nm; j++) cell[0, j] = m[j]
    for (i = 1; i <= nr; i++) {
      cell[i, 0] = row[i]
      for (j = 1; j <= nm; j++) {
        if (!((i, m[j]) in v)) cell[i, j] = "-"
        else if (v[i, m[j]] == "null") cell[i, j] = "NaN"
        else cell[i, j] = sprintf("%.4g", v[i, m[j]])
      }
    }
    for (j = 0; j <= nm; j++) {
      w[j] = 0
      for (i = 0; i <= nr; i++) if (length(cell[i, j]) > w[j]) w[j] = length(cell[i, j])
    }
    for (i = 0; i <= nr; i++) {
      s = sprintf("%-" w[0] "s", cell[i, 0])
      for (j = 1; j <= nm; j++) s = s sprintf("  %" w[j] "s", cell[i, j])
      print s
    }
  }' "${dirs[@]/%//summary.json}"
