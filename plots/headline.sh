#!/usr/bin/env bash
# closer's gain over native, per figure and task, and their average: the
# thesis's headline (about 12% on average over its tasks).
#
# Usage: plots/headline.sh SWEEPDIR...
#
#   SWEEPDIR  a directory written by plots/sweep.sh (its spec.txt names the
#             scenario, its summary.csv has the means) for one of the
#             figures below; other sweeps are reported and skipped.
#
# Writes CSV to stdout, one row per task, then one row "average":
#   figure,task,metric,better,points,native_mean,closer_mean,gain_pct,gain_min_pct,gain_max_pct,gain_first_pct
#
# A task is one metric of one figure.  At every point of the sweep (every
# combination of swept values, seeds averaged) where both policies have a
# mean, the gain is
#   (native - closer) / native   for a time or a latency (lower is better)
#   (closer - native) / native   for a throughput (higher is better)
# in percent.  gain_pct is its mean over the points (gain_min_pct and
# gain_max_pct its range), native_mean and closer_mean the metric's mean over
# the same points; gain_first_pct is the gain at the sweep's first point (the
# least loaded dom0, the smallest record, guest or dirty rate).  "Comparable settings" are the same swept values; in the
# socket figures (2.9a, 2.9b), where policy_params.native.socket is swept,
# native is taken with dom0 on socket 0, remote from the guest (the thesis's
# setting: dom0 where the operator put it), and closer from the same runs
# (it ignores that key).  The average row is the mean of the tasks' gain_pct,
# every task weighing the same, and of their gain_first_pct.
#
# Exit status: 0 ok, 1 no known figure among the SWEEPDIRs or a summary
# without both policies, 2 bad usage.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: plots/headline.sh SWEEPDIR..." >&2; exit 2; }

# figure (scenario name) -> tasks: "task|metric|better" (better: low or high)
tasks_of() {
  case "$1" in
    fig-2.8b-lifecycle-vs-load)
      echo "migration time vs dom0 load|vm1.migration.total_s|low"
      echo "create time vs dom0 load|new.create_s|low"
      echo "destroy time vs dom0 load|old.destroy_s|low" ;;
    fig-2.9a-web-socket)
      echo "web throughput (dom0 remote)|web.web.throughput_rps|high" ;;
    fig-2.9b-migration-socket)
      echo "migration time (dom0 remote)|vm1.migration.total_s|low" ;;
    fig-4.1b-migration-vs-main-load)
      echo "migration time vs main-container load|vm1.migration.total_s|low" ;;
    fig-4.2a-iozone-remote)
      echo "IOzone bandwidth (remote placement)|ioz.io.throughput_Bps|high" ;;
    fig-4.2b-migration-remote)
      echo "migration time (remote placement)|vm1.migration.total_s|low" ;;
  esac
}

CSVSPLIT=$(cat "$(dirname "$0")/csvsplit.awk")
ALL=$(mktemp "${TMPDIR:-/tmp}/headline.XXXXXX")
trap 'rm -f "$ALL"' EXIT
echo "figure,task,metric,better,points,native_mean,closer_mean,gain_pct,gain_min_pct,gain_max_pct,gain_first_pct"
for dir in "$@"; do
  if [ ! -f "$dir/spec.txt" ] || [ ! -f "$dir/summary.csv" ]; then
    echo "headline.sh: $dir: not a merged sweep (no spec.txt or summary.csv)" >&2
    continue
  fi
  scen=$(awk '$1 == "scenario" { print $2; exit }' "$dir/spec.txt")
  fig=$(basename "$scen" .json)
  tasks=$(tasks_of "$fig")
  if [ -z "$tasks" ]; then
    echo "headline.sh: $dir: scenario $fig is not one of the headline figures; skipped" >&2
    continue
  fi
  while IFS='|' read -r task metric better; do
    awk -v fig="$fig" -v task="$task" -v metric="$metric" -v better="$better" "$CSVSPLIT"'
    function q(s) { return (s ~ /[",]/) ? "\"" s "\"" : s }
    NR == 1 {
      csvsplit($0); mc = 0; sc = 0
      for (i = 1; i <= NF2; i++) { if (F[i] == "metric") mc = i; if (F[i] == "policy_params.native.socket") sc = i }
      if (!mc) { print "headline.sh: " FILENAME ": no metric column" > "/dev/stderr"; bad = 1; exit 1 }
      next
    }
    {
      csvsplit($0)
      if (F[mc] != metric || F[mc + 2] == "NA") next
      if (sc && F[sc] != "0") next
      key = ""
      for (i = 2; i < mc; i++) if (i != sc) key = key SUBSEP F[i]
      if (!(key in seen)) { seen[key] = 1; ord[++n] = key }
      v[F[1], key] = F[mc + 2] + 0; have[F[1], key] = 1
    }
    END {
      if (bad) exit 1
      pts = 0; sg = 0; sn = 0; scl = 0
      for (i = 1; i <= n; i++) {
        k = ord[i]
        if (!have["native", k] || !have["closer", k] || v["native", k] == 0) continue
        nv = v["native", k]; cv = v["closer", k]
        g = 100 * (better == "low" ? (nv - cv) / nv : (cv - nv) / nv)
        pts++; sg += g; sn += nv; scl += cv
        if (pts == 1) gfirst = g
        if (pts == 1 || g < gmin) gmin = g
        if (pts == 1 || g > gmax) gmax = g
      }
      if (!pts) { printf "headline.sh: %s: %s: no point with both native and closer\n", fig, metric > "/dev/stderr"; exit 1 }
      printf "%s,%s,%s,%s,%d,%.6g,%.6g,%.2f,%.2f,%.2f,%.2f\n", q(fig), q(task), q(metric), better, pts, sn / pts, scl / pts, sg / pts, gmin, gmax, gfirst
    }' "$dir/summary.csv" | tee -a "$ALL"
  done <<<"$tasks"
done
[ -s "$ALL" ] || { echo "headline.sh: no headline figure among the sweeps given" >&2; exit 1; }
# (task names hold no comma, so fields count from the end)
awk -F, '{ s += $(NF - 3); f += $NF; n++ } END { printf "average,%d tasks,,,,,,%.2f,,,%.2f\n", n, s / n, f / n }' "$ALL"
