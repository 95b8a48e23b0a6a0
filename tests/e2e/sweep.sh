# Sweeps (plots/sweep.sh, sweep-run.sh, sweep-merge.sh): a small
# grid runs and merges into exact row counts and a mean and 95% CI checked
# by hand; a sweep killed part-way (SIGKILL to its whole process group)
# and run again ends with exactly one result per run, none run twice; a
# run that failed is retried; bad specs exit 2 naming the spec's line.
source "$(dirname "$0")/lib.bash"
export DOM0SIM=$BIN
SWEEP=$SRC/plots/sweep.sh
MERGE=$SRC/plots/sweep-merge.sh
if ! command -v parallel >/dev/null; then
  echo "GNU parallel is not installed (./setup.sh installs it)" >&2
  exit 1
fi

# count_lines FILE: lines, without the header.
rows() { echo $(($(wc -l <"$1") - 1)); }

# ---- 1. a small grid: 2 policies x 2 rates x 2 JSON values x 2 seeds ----
cat >"$WORK/small.spec" <<'EOF'
# dom0-load, shortened
scenario scenarios/dom0-load.json
policy native closer
set duration_s 5
param vms[0].workload.rate_per_s 400 800   # vm1's rate
param vms[5].workload '{"type": "idle"}' {"type":"io-synthetic","rate_per_s":100,"service_us":250}
seeds 1 2
metrics dom0.main.cpu_load vm1.io.throughput_rps
EOF
S=$WORK/small
expect_status 0 "small sweep runs and merges" -- "$SWEEP" "$WORK/small.spec" "$S" --jobs 2
[ "$(wc -l <"$S/jobs.txt")" -eq 16 ] && ok || bad "jobs.txt: $(wc -l <"$S/jobs.txt") lines, expected 16"
[ "$(head -c5 "$S/jobs.txt")" = "r0001" ] && ok || bad "first run id is not r0001"
n=$(find "$S/runs" -name summary.json | wc -l)
[ "$n" -eq 16 ] && ok || bad "small sweep: $n summary.json, expected 16"
[ "$(rows "$S/results.csv")" -eq 32 ] && ok || bad "results.csv: $(rows "$S/results.csv") rows, expected 16 runs x 2 metrics"
[ "$(rows "$S/summary.csv")" -eq 16 ] && ok || bad "summary.csv: $(rows "$S/summary.csv") rows, expected 8 groups x 2 metrics"
expect_in "$S/results.csv" 'run_id,policy,seed,vms[0].workload.rate_per_s,vms[5].workload,metric,value' "results.csv header"
expect_in "$S/summary.csv" 'policy,vms[0].workload.rate_per_s,vms[5].workload,metric,n,mean,sd,ci95_low,ci95_high,deterministic' "summary.csv header"
# A JSON value is one CSV field, its quotes doubled (RFC 4180).
expect_in "$S/results.csv" 'r0004,native,2,400,"{""type"":""io-synthetic"",""rate_per_s"":100,""service_us"":250}",vm1.io.throughput_rps,' "JSON value quoted"
# The JSON value reached dom0sim: vm6 served its 100 requests/s.
v=$(metric "$S/runs/r0004/summary.json" vm6.io.throughput_rps)
awk -v v="$v" 'BEGIN { exit !(v > 80 && v < 120) }' && ok || bad "r0004: vm6 throughput '$v', expected about 100"
# policy and seed come from summary.json.
expect_json "$S/runs/r0009/summary.json" policy '"closer"' "r0009 ran closer"
expect_json "$S/runs/r0009/summary.json" seed 1 "r0009 ran seed 1"

# Mean and CI by hand for closer, rate 800, idle vm6 (r0013: seed 1, r0014: seed 2).
a=$(metric "$S/runs/r0013/summary.json" vm1.io.throughput_rps)
b=$(metric "$S/runs/r0014/summary.json" vm1.io.throughput_rps)
want=$(awk -v a="$a" -v b="$b" 'BEGIN { m = (a + b) / 2; sd = (a > b ? a - b : b - a) / sqrt(2)
  h = 12.706204736 * sd / sqrt(2); printf "%.10g %.10g %.10g %.10g", m, sd, m - h, m + h }')
got=$(grep -F 'closer,800,"{""type"": ""idle""}",vm1.io.throughput_rps,' "$S/summary.csv" | cut -d, -f6-)
if [ -n "$got" ] && [ "$(grep -cF 'closer,800,"{""type"": ""idle""}",vm1.io.throughput_rps,2,' "$S/summary.csv")" -eq 1 ]; then
  awk -v w="$want" -v g="$got" 'BEGIN { split(w, x, " "); split(g, y, ",")
    for (i = 1; i <= 4; i++) { d = x[i] - y[i]; if (d < 0) d = -d; if (d > 1e-9 * (1 + (x[i] < 0 ? -x[i] : x[i]))) exit 1 }
    }' && ok || bad "summary.csv mean,sd,ci: '$got', by hand '$want' (values $a, $b)"
else
  bad "summary.csv has no single n=2 row for closer,800,idle,vm1.io.throughput_rps"
fi
# Running a complete sweep again runs nothing.
before=$(wc -l <"$S/joblog")
expect_status 0 "complete sweep again" -- "$SWEEP" "$WORK/small.spec" "$S"
[ "$(wc -l <"$S/joblog")" -eq "$before" ] && ok || bad "complete sweep run again started jobs"
# A changed spec on the same OUTDIR is refused.
sed 's/400 800/400 900/' "$WORK/small.spec" >"$WORK/changed.spec"
expect_status 2 "changed spec refused" -- "$SWEEP" "$WORK/changed.spec" "$S"
expect_in "$WORK/err" "expanded from a different spec" "changed spec message"

# ---- 2. kill part-way, run again ----
# Runs long enough to be caught mid-way: 300 simulated seconds take about
# 0.5 s; under valgrind (forty times slower) 60 are enough.
slow_s=300
[ -n "${DOM0SIM_MEMCHECK:-}" ] && slow_s=60
cat >"$WORK/slow.spec" <<EOF
scenario scenarios/dom0-load.json
policy native
set duration_s $slow_s
param vms[0].workload.rate_per_s 400 600 800
seeds 1 2
metrics dom0.main.cpu_load
EOF
# stat_field PID N: the process's process group (N=3) or session (N=4),
# from /proc (no procps on a minimal Debian).
stat_field() {
  local st
  st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  set -- "$2" ${st##*) }
  shift "$1"
  echo "$1"
}
# kill_session SID: SIGKILL every process of the session (twice: a runner
# may be forking dom0sim meanwhile).
kill_session() {
  local round p
  for round in 1 2; do
    for p in /proc/[0-9]*; do
      [ "$(stat_field "${p#/proc/}" 4)" = "$1" ] && kill -KILL "${p#/proc/}" 2>/dev/null
    done
    [ "$round" = 1 ] && sleep 0.05
  done
}
# kill_test DIR HOW: starts the sweep in its own session and process group,
# waits for 2 of its 6 runs, kills it with SIGKILL (HOW=group: its process
# group, which is not the runs': GNU parallel gives each its own; HOW=all:
# every process of the session, runs included), runs it again, checks.
kill_test() {
  local K=$1 how=$2 pid done_at_kill=0 running=0 complete ncomplete id n
  # Under valgrind each run must be one process the whole way (not capped and
  # then repeated natively, tests/valgrind/run_e2e.sh), so that a run left
  # going is still going when the sweep is started again.
  DOM0SIM_MEMCHECK_WHOLE=1 setsid "$SWEEP" "$WORK/slow.spec" "$K" --jobs 2 >"$WORK/kill.out" 2>&1 &
  pid=$!
  # until 2 runs are complete and another is in progress (its staging
  # directory exists), so that the kill catches a run mid-way
  for _ in $(seq 1 1500); do
    if [ -d "$K/runs" ]; then
      done_at_kill=$(find "$K/runs" -mindepth 2 -maxdepth 2 -path "$K/runs/r*/summary.json" | wc -l)
      running=$(find "$K/runs" -mindepth 1 -maxdepth 1 -name '.*.part.*' | wc -l)
      [ "$done_at_kill" -ge 2 ] && [ "$running" -ge 1 ] && break
    fi
    sleep 0.01
  done
  if [ "$(stat_field "$pid" 3)" != "$pid" ]; then
    bad "$how: sweep not in its own process group"; kill -KILL "$pid"; wait "$pid"; return
  fi
  kill -KILL -- "-$pid"
  [ "$how" = all ] && kill_session "$pid"
  wait "$pid" 2>/dev/null
  complete=$(cd "$K/runs" && for d in r*; do [ -f "$d/summary.json" ] && echo "$d"; done)
  ncomplete=$(echo "$complete" | grep -c .)
  if [ "$ncomplete" -ge 1 ] && [ "$ncomplete" -lt 6 ]; then ok; else
    bad "$how: $ncomplete of 6 runs complete when killed (need some but not all)"; fi
  echo "kill test ($how): $ncomplete of 6 runs complete and $running in progress when killed"
  for id in $complete; do md5sum "$K/runs/$id/run.json"; done >"$WORK/before.md5"
  expect_status 0 "$how: killed sweep run again" -- env DOM0SIM_MEMCHECK_WHOLE=1 "$SWEEP" "$WORK/slow.spec" "$K" --jobs 2
  # with the whole session killed no run was left going to wait for
  if [ "$how" = all ] && grep -q "waiting for another sweep" "$WORK/err"; then
    bad "all: runs survived kill_session"; fi
  n=$(find "$K/runs" -name summary.json | wc -l)
  [ "$n" -eq 6 ] && ok || bad "$how: after resume: $n summary.json, expected 6"
  for id in r0001 r0002 r0003 r0004 r0005 r0006; do
    [ -f "$K/runs/$id/summary.json" ] || bad "$how: after resume: $id has no summary.json"
  done
  [ "$(find "$K/runs" -mindepth 1 -maxdepth 1 -name '.*' | wc -l)" -eq 0 ] && ok || bad "$how: staging directories left after resume"
  # Runs complete before the kill were not run again: same run.json (it
  # holds the start time and wall time).
  md5sum -c --quiet "$WORK/before.md5" >/dev/null 2>&1 && ok || bad "$how: runs complete before the kill were run again"
  # The joblog has exactly one successful entry per run.
  awk -F'\t' 'NR > 1 && $7 == 0 && $8 == 0 { n = split($9, w, " "); c[w[n]]++ }
    END { for (i = 1; i <= 6; i++) if (c[sprintf("r%04d", i)] != 1) exit 1 }' "$K/joblog" && ok ||
    bad "$how: joblog: not exactly one successful entry per run"
  [ "$(rows "$K/results.csv")" -eq 6 ] && ok || bad "$how: results.csv has $(rows "$K/results.csv") rows, expected 6"
}
kill_test "$WORK/kill-all" all
# Runs left going by a killed sweep end by themselves; the next sweep waits.
kill_test "$WORK/kill-group" group
# (Under valgrind the runs left going may end before the sweep is started
# again, on a loaded machine: a race of timing, not of memory, so not
# checked there.)
if [ -z "${DOM0SIM_MEMCHECK:-}" ]; then
  expect_in "$WORK/err" "waiting for another sweep" "resume waits for a killed sweep's runs"
fi

# ---- 3. a run whose dom0sim dies is retried by the next sweep ----
cat >"$WORK/flaky" <<EOF
#!/bin/bash
case "\$*" in *.r0002.part.*) [ -e "$WORK/fail-once" ] && kill -KILL \$\$ ;; esac
exec "$BIN" "\$@"
EOF
chmod +x "$WORK/flaky"
touch "$WORK/fail-once"
F=$WORK/flaky-out
DOM0SIM=$WORK/flaky expect_status 1 "sweep with a killed run" -- "$SWEEP" "$WORK/small.spec" "$F" --jobs 2
expect_in "$WORK/err" "1 of 16 runs have no result (r0002" "killed run reported"
[ -f "$F/results.csv" ] && bad "incomplete sweep was merged" || ok
expect_status 1 "merge refuses an incomplete sweep" -- "$MERGE" "$F"
expect_status 0 "merge --allow-missing" -- "$MERGE" "$F" --allow-missing
[ "$(rows "$F/results.csv")" -eq 30 ] && ok || bad "--allow-missing: $(rows "$F/results.csv") rows, expected 15 x 2"
rm "$WORK/fail-once"
md5sum "$F"/runs/r0001/run.json >"$WORK/before.md5"
DOM0SIM=$WORK/flaky expect_status 0 "failed run retried" -- "$SWEEP" "$WORK/small.spec" "$F" --jobs 2
[ "$(find "$F/runs" -name summary.json | wc -l)" -eq 16 ] && ok || bad "retried sweep is not complete"
md5sum -c --quiet "$WORK/before.md5" >/dev/null 2>&1 && ok || bad "retry re-ran a complete run"
[ "$(rows "$F/results.csv")" -eq 32 ] && ok || bad "retried sweep: results.csv rows"

# ---- 4. metric patterns, defaults, merge of all metrics ----
cat >"$WORK/glob.spec" <<'EOF'
scenario scenarios/dom0-load.json
set duration_s 2
metrics vm*.io.throughput_rps
EOF
G=$WORK/glob
expect_status 0 "one-run sweep with a metric pattern" -- "$SWEEP" "$WORK/glob.spec" "$G"
[ "$(rows "$G/results.csv")" -eq 6 ] && ok || bad "pattern vm*.io.throughput_rps: $(rows "$G/results.csv") rows, expected 6"
expect_in "$G/results.csv" "r0001,native,7,vm6.io.throughput_rps," "scenario's own policy and seed"
expect_in "$G/summary.csv" "native,vm1.io.throughput_rps,1,"  "n=1 group"
expect_in "$G/summary.csv" ",NA,NA,NA" "n=1: sd and CI are NA"
: >"$G/metrics.txt"
expect_status 0 "merge with every metric" -- "$MERGE" "$G"
want=$(grep -cE '^[[:space:]]*"[^"]+":' "$G/runs/r0001/summary.json")
want=$((want - 7))  # scenario, policy, seed, simulated_time_s, events_processed, complete, metrics
[ "$(rows "$G/results.csv")" -eq "$want" ] && ok || bad "all metrics: $(rows "$G/results.csv") rows, expected $want"
# Any JSON layout: the same summary.json on one line, one metric null.
tr -d '\n\t' <"$G/runs/r0001/summary.json" |
  sed 's/"vm2.io.throughput_rps":[-0-9.eE+]*/"vm2.io.throughput_rps":null/' >"$G/compact.json"
mv "$G/compact.json" "$G/runs/r0001/summary.json"
printf '1\tvm*.io.throughput_rps\n' >"$G/metrics.txt"
expect_status 0 "merge of a one-line summary.json" -- "$MERGE" "$G"
[ "$(rows "$G/results.csv")" -eq 6 ] && ok || bad "one-line summary.json: $(rows "$G/results.csv") rows, expected 6"
expect_in "$G/results.csv" "r0001,native,7,vm2.io.throughput_rps,NA" "null metric is NA"
expect_in "$G/summary.csv" "native,vm2.io.throughput_rps,0,NA,NA,NA,NA" "null metric left out of n"
printf '1\tno.such.metric\n' >"$G/metrics.txt"
expect_status 1 "unknown metric" -- "$MERGE" "$G"
expect_in "$WORK/err" "spec line 1: metric no.such.metric" "unknown metric message"

# ---- 4b. a metric no seed moves is marked deterministic ----
# Three runs by hand: x.det the same in each (three copies of 262562611.2,
# which summed and divided by 3 left an sd of 3.7e-8 before), x.var 1, 2, 3:
# mean 2, sd 1, half-width t(0.975, 2) / sqrt(3) = 4.302652730 / 1.7320508.
D=$WORK/det
mkdir -p "$D/runs"
printf 'run_id\tpolicy\tseed\n' >"$D/grid.tsv"
: >"$D/jobs.txt"
: >"$D/metrics.txt"
for i in 1 2 3; do
  printf 'r000%d\tnative\t%d\n' "$i" "$i" >>"$D/grid.tsv"
  printf 'r000%d\tseed=%d\n' "$i" "$i" >>"$D/jobs.txt"
  mkdir -p "$D/runs/r000$i"
  printf '{"policy": "native", "seed": %d, "metrics": {"x.det": 262562611.2, "x.var": %d}}\n' "$i" "$i" >"$D/runs/r000$i/summary.json"
done
expect_status 0 "merge of a deterministic metric" -- "$MERGE" "$D"
expect_in "$D/summary.csv" "native,x.det,3,262562611.2,0,262562611.2,262562611.2,yes" "identical runs: sd 0, no interval, deterministic"
expect_in "$D/summary.csv" "native,x.var,3,2,1,-0.484137" "varying runs: Student-t interval"
expect_in "$D/summary.csv" ",4.48413771189,no" "varying runs: not deterministic"
expect_in "$G/summary.csv" "native,vm2.io.throughput_rps,0,NA,NA,NA,NA,NA" "n=0: deterministic NA"
# The shared quantile (plots/tquantile.awk, also multiobjective.sh's, which
# used 1.96 past 30 df): t(0.975, 31) = 2.039513, t(0.975, 100) = 1.983972.
awk "$(cat "$SRC/plots/tquantile.awk")"' BEGIN { d1 = tq(31) - 2.039513; d2 = tq(100) - 1.983972
  exit !(d1 < 1e-4 && d1 > -1e-4 && d2 < 1e-4 && d2 > -1e-4 && tq(2) == 4.302652730) }' && ok || bad "tq: t(0.975, df) off"
# The figures' titles say which (plots/policies.gp, ci_note).
if command -v gnuplot >/dev/null; then
  note() { gnuplot -e "load '$SRC/plots/policies.gp'; print ci_note('$1')" 2>&1; }
  [ "$(note "$D/summary.csv")" = "mean, 95% CI over 3 seeds; points without a bar are deterministic" ] && ok || bad "ci_note, mixed: '$(note "$D/summary.csv")'"
  grep -v x.var "$D/summary.csv" >"$D/det-only.csv"
  [ "$(note "$D/det-only.csv")" = "deterministic model: one value per point, no error bars" ] && ok || bad "ci_note, deterministic: '$(note "$D/det-only.csv")'"
  grep -v x.det "$D/summary.csv" >"$D/var-only.csv"
  [ "$(note "$D/var-only.csv")" = "mean, 95% CI over 3 seeds" ] && ok || bad "ci_note, random: '$(note "$D/var-only.csv")'"
fi

# ---- 5. bad specs: exit 2, naming the spec file and line ----
badspec() {  # badspec LINE3 EXPECTED-MESSAGE
  printf 'scenario scenarios/dom0-load.json\nset duration_s 1\n%s\n' "$1" >"$WORK/bad.spec"
  expect_status 2 "bad spec: $1" -- "$SWEEP" "$WORK/bad.spec" "$WORK/bad" --dry-run
  expect_in "$WORK/err" "$WORK/bad.spec:3: $2" "bad spec message: $1"
}
badspec 'polcy native' "unknown directive 'polcy'"
badspec "param vms[0].workload '{\"type\": 1}" "unterminated quote"
badspec 'param vms[0].workload.rate_pr_s 1 2' "param vms[0].workload.rate_pr_s 1: rejected by dom0sim"
badspec 'policy native no-such-policy' "policy no-such-policy: rejected by dom0sim"
badspec 'seeds 1 two' "seeds: 'two' is not"
badspec 'param duration_s 3 4' "key duration_s already used on line 2"
expect_status 2 "missing spec" -- "$SWEEP" "$WORK/none.spec" "$WORK/bad"
expect_status 2 "bad option" -- "$SWEEP" "$WORK/small.spec" "$WORK/bad" --jobz 3

finish
