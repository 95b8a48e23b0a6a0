#!/usr/bin/env bash
# Every malformed scenario in tests/scenarios/bad/ exits 2 (never by a
# signal) with a message naming the file and the text in its .expect file.
. "$(dirname "$0")/lib.bash"
n=0
for s in "$SRC"/tests/scenarios/bad/*.json; do
  name=$(basename "$s" .json)
  expect_status 2 "$name" -- "$BIN" -q -o "$WORK/out-$name" "$s"
  expect_in "$WORK/err" "$name.json" "$name: message names the file"
  if [ ! -s "${s%.json}.expect" ]; then bad "$name: no .expect file"; continue; fi
  while IFS= read -r want; do
    [ -n "$want" ] && expect_in "$WORK/err" "$want" "$name"
  done <"${s%.json}.expect"
  if [ -e "$WORK/out-$name" ]; then bad "$name: output directory created for bad input"; else ok; fi
  n=$((n + 1))
done
if [ "$n" -ge 15 ]; then ok; else bad "only $n bad scenarios"; fi
finish
