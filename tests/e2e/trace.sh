#!/usr/bin/env bash
# dom0sim-trace end to end: gen -> stats round trip, determinism, bad input,
# usage errors.  $1 is the dom0sim binary; dom0sim-trace is built beside it.
. "$(dirname "$0")/lib.bash"
TRACE="$(dirname "$BIN")/dom0sim-trace"
if [ ! -x "$TRACE" ]; then
  echo "FAIL: $TRACE not built" >&2
  exit 1
fi

expect_status 0 "--help" -- "$TRACE" --help
expect_in "$WORK/out" "stats" "--help names stats"
expect_status 0 "gen --help" -- "$TRACE" gen --help
expect_in "$WORK/out" "--machines" "gen --help lists --machines"
expect_status 2 "no command" -- "$TRACE"
expect_status 2 "unknown command" -- "$TRACE" frobnicate
expect_status 2 "gen without --out" -- "$TRACE" gen --machines 3 --days 0.01
expect_in "$WORK/err" "--out" "missing --out is named"
expect_status 2 "gen bad --machines" -- "$TRACE" gen --out "$WORK/x" --machines abc --days 1
expect_in "$WORK/err" "--machines abc" "bad --machines is named"
expect_status 2 "gen bad --days" -- "$TRACE" gen --out "$WORK/x" --machines 3 --days -1
expect_status 2 "gen unknown option" -- "$TRACE" gen --out "$WORK/x" --machines 3 --days 1 --nope
expect_status 2 "stats without path" -- "$TRACE" stats
expect_status 2 "stats missing path" -- "$TRACE" stats "$WORK/nope"
expect_in "$WORK/err" "nope" "missing path is named"

# Round trip: stats reads back exactly the counts gen says it wrote.
gen() { "$TRACE" gen --out "$1" --machines 20 --days 0.125 --seed "$2" --shards 4 --gzip; }
expect_status 0 "gen" -- gen "$WORK/a" 5
cp "$WORK/out" "$WORK/gen.json"
expect_json "$WORK/gen.json" machines 20 "gen wrote 20 machines"
for f in machine_events/part-00000-of-00001.csv.gz task_events/part-00003-of-00004.csv.gz \
         task_usage/part-00000-of-00004.csv.gz; do
  if [ -s "$WORK/a/$f" ]; then ok; else bad "gen did not write $f"; fi
done
expect_status 0 "stats" -- "$TRACE" stats "$WORK/a"
if cmp -s "$WORK/gen.json" "$WORK/out"; then ok; else
  bad "stats counts differ from gen's"
  diff "$WORK/gen.json" "$WORK/out" | head -20 >&2
fi
rows=$(sed -n '/"task_usage"/,/}/s/.*"rows":[[:space:]]*\([0-9]*\).*/\1/p' "$WORK/out")
if [ "${rows:-0}" -gt 100 ]; then ok; else bad "task_usage has only '$rows' rows"; fi

# Shards named one by one, in reverse order, read the same.
expect_status 0 "stats on files" -- "$TRACE" stats $(ls -r "$WORK"/a/task_usage/*.gz)
expect_in "$WORK/out" "\"rows\":	$rows" "files in reverse order give the same rows"

# Determinism: same seed, byte-identical files; another seed, different.
expect_status 0 "gen again" -- gen "$WORK/b" 5
if diff -r "$WORK/a" "$WORK/b" >/dev/null; then ok; else bad "same seed gave different files"; fi
expect_status 0 "gen other seed" -- gen "$WORK/c" 6
if ! cmp -s "$WORK/a/task_usage/part-00000-of-00004.csv.gz" \
            "$WORK/c/task_usage/part-00000-of-00004.csv.gz"; then ok; else
  bad "another seed gave the same task_usage"; fi

# Plain CSV output reads the same as gzip.
expect_status 0 "gen plain" -- "$TRACE" gen --out "$WORK/p" --machines 20 --days 0.125 --seed 5 --shards 4
if [ -s "$WORK/p/task_usage/part-00000-of-00004.csv" ]; then ok; else bad "plain gen wrote no .csv"; fi
expect_status 0 "stats plain" -- "$TRACE" stats "$WORK/p"
if cmp -s "$WORK/gen.json" "$WORK/out"; then ok; else bad "plain and gzip traces count differently"; fi

# Bad input: exit 2 naming file and line; --skip-bad-rows counts it.
mkdir -p "$WORK/bad/task_events"
zcat "$WORK/a/task_events/part-00000-of-00004.csv.gz" | head -5 >"$WORK/bad/task_events/part-00000-of-00001.csv"
echo "1,,2,3,,0,u,0,0,zero,0.1,0,0" >>"$WORK/bad/task_events/part-00000-of-00001.csv"
zcat "$WORK/a/task_events/part-00001-of-00004.csv.gz" | head -3 >>"$WORK/bad/task_events/part-00000-of-00001.csv"
expect_status 2 "stats bad row" -- "$TRACE" stats "$WORK/bad"
expect_in "$WORK/err" "part-00000-of-00001.csv:6:" "bad row named by file:line"
expect_in "$WORK/err" "CPU request" "bad row names the column"
expect_status 0 "stats --skip-bad-rows" -- "$TRACE" stats --skip-bad-rows "$WORK/bad"
expect_json "$WORK/out" skipped_rows 1 "one row skipped"
expect_json "$WORK/out" rows 8 "eight rows kept"

# A truncated gzip shard is an input error naming the file.
mkdir -p "$WORK/trunc/task_usage"
f="$WORK/a/task_usage/part-00001-of-00004.csv.gz"
head -c $(($(wc -c <"$f") / 2)) "$f" >"$WORK/trunc/task_usage/part-00000-of-00001.csv.gz"
expect_status 2 "stats truncated gz" -- "$TRACE" stats "$WORK/trunc"
expect_in "$WORK/err" "part-00000-of-00001.csv.gz:" "truncated shard is named"

# The shipped sample reads cleanly.
expect_status 0 "stats traces/sample" -- "$TRACE" stats "$SRC/traces/sample"
expect_json "$WORK/out" skipped_rows 0 "sample has no bad rows"
if cmp -s "$SRC/traces/sample/counts.json" "$WORK/out"; then ok; else
  bad "traces/sample no longer matches its counts.json"; fi
finish
