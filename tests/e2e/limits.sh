#!/bin/bash
# Resource limits: --max-events and --max-wall stop a run cleanly
# with results marked incomplete (exit 3), as SIGINT and SIGTERM do; a
# scenario that cannot fit in memory is refused at once (exit 2).
. "$(dirname "$0")/lib.bash"
S=$SRC/scenarios/migration.json

expect_status 0 "complete run" -- "$BIN" -q --no-progress -o "$WORK/full" "$S"
expect_json "$WORK/full/summary.json" complete true "complete run: summary.json"
expect_json "$WORK/full/run.json" complete true "complete run: run.json"

for d in e1 e2; do
  expect_status 3 "--max-events" -- "$BIN" -q --no-progress --max-events 50000 -o "$WORK/$d" "$S"
done
expect_in "$WORK/err" "stopped early by --max-events 50000 after 50000 events" "--max-events message"
expect_json "$WORK/e1/summary.json" complete false "--max-events: summary.json"
expect_json "$WORK/e1/summary.json" stopped_by '"max-events"' "--max-events: stopped_by"
expect_json "$WORK/e1/summary.json" events_processed 50000 "--max-events: events"
expect_json "$WORK/e1/run.json" complete false "--max-events: run.json"
for f in summary.json timeseries.csv migration_rounds.csv; do
  cmp -s "$WORK/e1/$f" "$WORK/e2/$f" && ok || bad "--max-events: $f not deterministic"
done
expect_status 0 "--max-events above the run's needs" -- "$BIN" -q --no-progress --max-events 100000000 -o "$WORK/e3" "$S"
cmp -s "$WORK/full/summary.json" "$WORK/e3/summary.json" && ok || bad "--max-events not reached changed summary.json"

expect_status 3 "--max-wall" -- "$BIN" -q --no-progress --max-wall 0.01 -o "$WORK/w" "$S"
expect_in "$WORK/err" "stopped early by --max-wall 0.01" "--max-wall message"
expect_json "$WORK/w/summary.json" stopped_by '"max-wall"' "--max-wall: stopped_by"
[ -z "$(find "$WORK/w" -name '*.tmp.*')" ] && ok || bad "--max-wall left temporary files"

for v in 0 -1 x 1e3; do
  expect_status 2 "--max-events $v" -- "$BIN" -q --max-events "$v" -o "$WORK/bad" "$S"
done
for v in 0 -1 x inf; do
  expect_status 2 "--max-wall $v" -- "$BIN" -q --max-wall "$v" -o "$WORK/bad" "$S"
done

# SIGINT and SIGTERM: a long run stops at the next event, writes what it has.
# Under valgrind the run is the one process signalled, and needs longer to
# start (tests/valgrind/run_e2e.sh).
settle=0.5
if [ -n "${DOM0SIM_MEMCHECK:-}" ]; then
  settle=5
  export DOM0SIM_MEMCHECK_WHOLE=1
fi
for sig in INT TERM; do
  "$BIN" -q --no-progress --set duration_s=100000 -o "$WORK/sig$sig" "$S" 2>"$WORK/sigerr" &
  pid=$!
  sleep "$settle"
  kill -"$sig" "$pid"
  wait "$pid"
  rc=$?
  [ "$rc" -eq 3 ] && ok || bad "SIG$sig: exit status $rc, expected 3"
  expect_json "$WORK/sig$sig/summary.json" stopped_by "\"SIG$sig\"" "SIG$sig: summary.json"
  expect_json "$WORK/sig$sig/run.json" complete false "SIG$sig: run.json"
  expect_in "$WORK/sigerr" "stopped early by SIG$sig" "SIG$sig message"
  [ -z "$(find "$WORK/sig$sig" -name '*.tmp.*')" ] && ok || bad "SIG$sig left temporary files"
done

# 10^8 guests of 1 GiB on hosts of 4 PiB: refused before anything is built.
{
  printf '{"name":"huge","duration_s":10,"hosts":['
  for h in $(seq 0 29); do
    [ "$h" -gt 0 ] && printf ','
    printf '{"name":"h%d","sockets":64,"cores_per_socket":16,"memory_per_socket_mb":67108864}' "$h"
  done
  printf '],"vms":['
  for v in $(seq 1 1000); do
    [ "$v" -gt 1 ] && printf ','
    printf '{"name":"g%d_","count":100000,"memory_mb":1024}' "$v"
  done
  printf ']}\n'
} >"$WORK/huge.json"
t0=$(date +%s%N)
expect_status 2 "huge scenario" -- "$BIN" -q -o "$WORK/huge" "$WORK/huge.json"
ms=$((($(date +%s%N) - t0) / 1000000))
# (building it would take hours; under valgrind, forty times slower, 30 s)
limit_ms=1000
[ -n "${DOM0SIM_MEMCHECK:-}" ] && limit_ms=30000
[ "$ms" -lt "$limit_ms" ] && ok || bad "huge scenario took $ms ms to refuse (limit $limit_ms ms)"
expect_in "$WORK/err" "vms[0].count" "refusal names the key"
expect_in "$WORK/err" "MiB available" "refusal says what is available"
[ ! -e "$WORK/huge" ] && ok || bad "refused scenario created its output directory"
echo "huge scenario refused in $ms ms"
finish
