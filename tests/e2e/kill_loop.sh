#!/bin/bash
# Nothing lost: a run killed with SIGKILL at any moment, the
# write phase included, leaves every result file either absent, the
# previous complete one or the new complete one; the next run removes the
# killed run's temporary files.
. "$(dirname "$0")/lib.bash"
S=$SRC/scenarios/migration.json
REF=$WORK/ref
OUT=$WORK/killed
# 100 kills; fewer in a sanitizer build, where every run is ten times slower,
# and under valgrind, forty times slower (the property tested is the same).
# Under valgrind every run is whole and one process, the pid killed
# (tests/valgrind/run_e2e.sh).
if [ -n "${DOM0SIM_MEMCHECK:-}" ]; then
  KILLS=${KILLS:-10}
  export DOM0SIM_MEMCHECK_WHOLE=1
elif [ -n "${DOM0SIM_SANITIZED:-}" ]; then KILLS=${KILLS:-25}; else KILLS=${KILLS:-100}; fi

# Reference outputs, and how long a run takes (the kill delays span it).
t0=$(date +%s%N)
expect_status 0 "reference run" -- "$BIN" -q --no-progress -o "$REF" "$S"
span_us=$((($(date +%s%N) - t0) / 1000 + 20000))
[ -s "$REF/summary.json" ] && ok || bad "no reference summary.json"

# run.json holds wall times; it must be whole JSON that says it is complete.
valid_run_json() {
  [ "$(tail -c 2 "$1" | od -An -c | tr -d ' ')" = '}\n' ] || return 1
  [ "$(head -c 1 "$1")" = "{" ] && grep -q '^[[:space:]]*"complete":[[:space:]]*true,\{0,1\}$' "$1"
}

partial=0
for ((k = 1; k <= KILLS; k++)); do
  "$BIN" -q --no-progress -o "$OUT" "$S" >/dev/null 2>&1 &
  pid=$!
  delay_us=$(((RANDOM * 32768 + RANDOM) % span_us))
  sleep "$(printf '%d.%06d' $((delay_us / 1000000)) $((delay_us % 1000000)))"
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  for f in summary.json timeseries.csv migration_rounds.csv; do
    if [ -e "$OUT/$f" ] && ! cmp -s "$REF/$f" "$OUT/$f"; then
      partial=$((partial + 1))
      bad "kill $k after ${delay_us} us: $f differs from the reference"
    fi
  done
  if [ -e "$OUT/run.json" ] && ! valid_run_json "$OUT/run.json"; then
    partial=$((partial + 1))
    bad "kill $k after ${delay_us} us: run.json is not complete JSON"
  fi
done
[ "$partial" -eq 0 ] && ok
echo "$KILLS kills over ${span_us} us: $partial partial files"

# Killed runs leave temporary files; a complete run removes them and its own.
expect_status 0 "run after the kills" -- "$BIN" -q --no-progress -o "$OUT" "$S"
left=$(find "$OUT" -name '*.tmp.*' | wc -l)
[ "$left" -eq 0 ] && ok || bad "$left temporary files left after a complete run"
for f in summary.json timeseries.csv migration_rounds.csv; do
  cmp -s "$REF/$f" "$OUT/$f" && ok || bad "$f after the kills differs from the reference"
done
valid_run_json "$OUT/run.json" && ok || bad "run.json after the kills"
finish
