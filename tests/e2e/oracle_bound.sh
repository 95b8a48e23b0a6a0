#!/usr/bin/env bash
# The oracle is a bound (issue: "the oracle is never beaten by an online
# policy on its own objective"): for several seeds, at both levels, every
# registered policy's objective.J is at least the oracle's, up to
# floating-point rounding.  The policies are those dom0sim --list-policies
# prints, so a policy added later is covered without editing this test.
. "$(dirname "$0")/lib.bash"
TRACEBIN=$(dirname "$BIN")/dom0sim-trace
mapfile -t POLICIES < <("$BIN" --list-policies | awk '{print $1}')
if [ "${#POLICIES[@]}" -ge 5 ] && printf '%s\n' "${POLICIES[@]}" | grep -qx oracle; then ok; else
  bad "--list-policies: expected oracle among at least 5 policies, got: ${POLICIES[*]}"
fi

# compare LABEL DIR: DIR/<policy>/summary.json for every policy; each J must
# be >= the oracle's minus a relative 1e-9 (and 1e-9 absolute) tolerance.
compare() {
  local label=$1 dir=$2 jo j p
  jo=$(metric "$dir/oracle/summary.json" objective.J)
  if [ -z "$jo" ]; then bad "$label: no objective.J for oracle"; return; fi
  for p in "${POLICIES[@]}"; do
    [ "$p" = oracle ] && continue
    j=$(metric "$dir/$p/summary.json" objective.J)
    if [ -z "$j" ]; then bad "$label: no objective.J for policy $p"; continue; fi
    if awk -v j="$j" -v o="$jo" 'BEGIN { t = 1e-9 * (o < 0 ? -o : o) + 1e-9; exit !(j >= o - t) }'
    then ok; else
      bad "$label: policy $p beats the oracle: J = $j < oracle J = $jo"
    fi
  done
}

# run LABEL DIR SCENARIO ARGS...: every policy on the scenario.
run_all() {
  local label=$1 dir=$2 sc=$3 p
  shift 3
  for p in "${POLICIES[@]}"; do
    expect_status 0 "$label: policy $p runs" -- "$BIN" -q -p "$p" -o "$dir/$p" "$@" "$sc"
  done
  compare "$label" "$dir"
}

# Rate level: generated traces of 12 machines over 3 hours, three seeds (one
# under valgrind, forty times slower: the bound is checked natively, memory
# on every path once).
RATE_SEEDS=(1 2 3)
[ -n "${DOM0SIM_MEMCHECK:-}" ] && RATE_SEEDS=(1)
for seed in "${RATE_SEEDS[@]}"; do
  expect_status 0 "trace gen seed $seed" -- "$TRACEBIN" gen --out "$WORK/trace$seed" \
    --machines 12 --days 0.125 --seed "$seed"
  run_all "rate level, trace seed $seed" "$WORK/rate$seed" "$SRC/scenarios/overprov.json" \
    --set "trace.path=$WORK/trace$seed" --set duration_s=10800 \
    --set output.timeseries_interval_s=600
done
# The oracle's rate-level J is exactly 0: capacity is the demand.
j=$(metric "$WORK/rate1/oracle/summary.json" objective.J)
if awk -v j="$j" 'BEGIN { exit !(j == 0) }'; then ok; else bad "rate level: oracle J = $j, not 0"; fi

# Event level: guests raising back-end work (dom0-load, 30 s) and the
# remote-placement figure (1 s), three seeds each (two in a sanitizer
# build, where the event level runs about 6 times slower).
SEEDS=(1 2 3)
[ -n "${DOM0SIM_SANITIZED:-}" ] && SEEDS=(1 2)
[ -n "${DOM0SIM_MEMCHECK:-}" ] && SEEDS=(1)
for seed in "${SEEDS[@]}"; do
  run_all "event level dom0-load, seed $seed" "$WORK/ev$seed" "$SRC/scenarios/dom0-load.json" \
    --seed "$seed" --set duration_s=30
  run_all "event level fig-4.2a, seed $seed" "$WORK/fig$seed" \
    "$SRC/scenarios/fig-4.2a-iozone-remote.json" --seed "$seed" --set duration_s=1
done

# The event-level oracle sized every one of the 30 one-second windows from
# its first pass.
w=$(metric "$WORK/ev1/oracle/summary.json" h0.dom0.offline_planned_windows)
if [ "$w" = 30 ]; then ok; else bad "oracle: $w windows sized from the first pass, not 30"; fi

# The bound is deterministic too: the oracle twice gives the same bytes.
expect_status 0 "oracle again" -- "$BIN" -q -p oracle -o "$WORK/again" --seed 1 \
  --set duration_s=30 "$SRC/scenarios/dom0-load.json"
if cmp -s "$WORK/ev1/oracle/summary.json" "$WORK/again/summary.json"; then ok; else
  bad "oracle summary.json differs between two runs of one seed"; fi
finish
