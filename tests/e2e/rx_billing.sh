#!/usr/bin/env bash
# scenarios/rx-mixed.json (guests receiving at very different rates, one
# quiet) under native, closer and closer-rx: who pays for demultiplexing
# received packets.  native bills nobody (billing error 1); closer bills every
# guest an equal share, the quiet one included; closer-rx bills by recent
# received frames, so its billing error is far below closer's.
. "$(dirname "$0")/lib.bash"
SC=$SRC/scenarios/rx-mixed.json
for p in native closer closer-rx; do
  expect_status 0 "rx-mixed under $p" -- "$BIN" -q -o "$WORK/$p" -p "$p" "$SC"
done
expect_status 0 "rx-mixed under closer-rx again" -- "$BIN" -q -o "$WORK/again" -p closer-rx "$SC"
if cmp -s "$WORK/closer-rx/summary.json" "$WORK/again/summary.json"; then ok; else
  bad "closer-rx: two runs with one seed differ"; fi

err() { metric "$WORK/$1/summary.json" guests.billing_error; }
nat=$(err native) clo=$(err closer) crx=$(err closer-rx)
if awk -v n="$nat" 'BEGIN { exit !(n > 0.999 && n < 1.001) }'; then ok; else
  bad "native guests.billing_error = $nat, expected 1 (guests pay nothing)"; fi
if awk -v c="$clo" -v r="$crx" 'BEGIN { exit !(r < c / 4 && r < 0.05) }'; then ok; else
  bad "guests.billing_error: closer-rx $crx, closer $clo; expected closer-rx under a quarter of closer's and 0.05"; fi

# The quiet guest receives nothing: under closer it still pays a quarter of
# the demultiplexing, under closer-rx nothing.
q=$(metric "$WORK/closer/summary.json" quiet.cpu.paid_rx_demux_s)
hi=$(metric "$WORK/closer/summary.json" up-hi.cpu.paid_rx_demux_s)
if awk -v q="$q" -v h="$hi" 'BEGIN { exit !(q > 0.8 * h && q < 1.25 * h) }'; then ok; else
  bad "closer: quiet paid $q s for demultiplexing, up-hi $hi s; expected equal shares"; fi
expect_json "$WORK/closer-rx/summary.json" 'quiet\.cpu\.charged_dom0_s' 0 "closer-rx bills the quiet guest nothing"

# Billing moves CPU accounts, not the open-loop traffic each guest serves.
for vm in up-hi up-lo web; do
  a=$(metric "$WORK/closer/summary.json" "$vm.web.throughput_rps")
  b=$(metric "$WORK/closer-rx/summary.json" "$vm.web.throughput_rps")
  if awk -v a="$a" -v b="$b" 'BEGIN { exit !(b > 0.98 * a && b < 1.02 * a && a > 0) }'; then ok; else
    bad "$vm throughput: closer $a, closer-rx $b req/s"; fi
done
finish
