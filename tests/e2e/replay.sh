#!/usr/bin/env bash
# Trace-driven scenarios end to end: scenarios/trace-sample.json replays the
# shipped trace under every policy; results are deterministic; a malformed
# trace row stops the run with exit 2 naming file and line and writes no
# results, unless skip_bad_rows.
. "$(dirname "$0")/lib.bash"
SC="$SRC/scenarios/trace-sample.json"
WORKSET=(--set trace.dom0_work.per_cpu_core=0.05 --set trace.dom0_work.per_disk_io=0.5)

for p in native oracle-static static-socket closer; do
  expect_status 0 "replay $p" -- "$BIN" -q -p "$p" "${WORKSET[@]}" -o "$WORK/$p" "$SC"
  expect_in "$WORK/$p/summary.json" '"dom0.unused_cores"' "$p: unused cores reported"
  expect_in "$WORK/$p/timeseries.csv" 'cluster,dom0.unused_smallest_tasks' "$p: time series"
  expect_json "$WORK/$p/summary.json" "trace.machines" 10 "$p: the sample's 10 machines"
  expect_json "$WORK/$p/summary.json" "trace.usage_rows" 918 "$p: every usage row read"
done

# A whole socket wastes more than two vCPUs; closer bills the guests.
un() { metric "$WORK/$1/summary.json" dom0.unused_cores; }
if awk -v s="$(un static-socket)" -v n="$(un native)" 'BEGIN{exit !(s > 2 * n)}'; then ok; else
  bad "static-socket unused $(un static-socket) not > 2 x native $(un native)"; fi
paid=$(metric "$WORK/closer/summary.json" guests.dom0_paid_cores)
if awk -v p="$paid" 'BEGIN{exit !(p > 0)}'; then ok; else bad "closer: guests paid $paid"; fi
paid=$(metric "$WORK/native/summary.json" guests.dom0_paid_cores)
if awk -v p="$paid" 'BEGIN{exit !(p == 0)}'; then ok; else bad "native: guests paid $paid"; fi

# Deterministic: the same run twice gives the same bytes.
expect_status 0 "replay again" -- "$BIN" -q -p closer "${WORKSET[@]}" -o "$WORK/again" "$SC"
for f in summary.json timeseries.csv; do
  if cmp -s "$WORK/closer/$f" "$WORK/again/$f"; then ok; else bad "$f differs between runs"; fi
done

# A malformed usage row: exit 2, file and line, no summary.
cp -r "$SRC/traces/sample" "$WORK/trace"
shard="$WORK/trace/task_usage/part-00001-of-00002.csv.gz"
gunzip "$shard"
echo "9999000000,9999300000,1,0" >>"${shard%.gz}"
lines=$(wc -l <"${shard%.gz}")
expect_status 2 "malformed row" -- "$BIN" -q --set "trace.path=$WORK/trace" --set duration_s=86400 \
  -o "$WORK/bad" "$SC"
expect_in "$WORK/err" "part-00001-of-00002.csv:$lines:" "the malformed row's file and line"
if [ -e "$WORK/bad/summary.json" ]; then bad "summary.json written for a failed run"; else ok; fi
expect_status 0 "skip_bad_rows" -- "$BIN" -q --set "trace.path=$WORK/trace" --set duration_s=86400 \
  --set trace.skip_bad_rows=true -o "$WORK/skip" "$SC"
expect_json "$WORK/skip/summary.json" "trace.skipped_rows" 1 "the bad row is counted"
finish
