#!/usr/bin/env bash
# Shape of the heartbeat figure (scenarios/fig-heartbeat-agent-failure.json,
# thesis section 2.2): under native the node is declared failed above a
# threshold of dom0 load and not below it (every failed run has a higher
# load than every surviving one, with both kinds present); under closer it
# is never declared failed, even with the most loading guests.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/shape_lib.bash"
SC=$SRC/scenarios/fig-heartbeat-agent-failure.json
: >"$WORK/native" >"$WORK/closer"
# The figure's 900 s horizon; 420 s (still past the 300 s timeout, which is
# all these claims need) in a sanitizer or valgrind build.
short=()
[ -n "${DOM0SIM_SANITIZED:-}${DOM0SIM_MEMCHECK:-}" ] && short=(--set duration_s=420)
for n in 0 8 12 14 20; do
  s=$(run_point "n$n" native "$SC" --seed 1 "${short[@]}" --set "vms[0].count=$n")
  echo "$n $(metric "$s" dom0.main.cpu_load) $(metric "$s" h0.declared_failed)" >>"$WORK/native"
done
for n in 14 20; do
  s=$(run_point "c$n" closer "$SC" --seed 1 "${short[@]}" --set "vms[0].count=$n")
  echo "$n $(metric "$s" dom0.main.cpu_load) $(metric "$s" h0.declared_failed)" >>"$WORK/closer"
done
sed 's/^/native count,dom0 load,failed: /' "$WORK/native"
sed 's/^/closer count,main load,failed: /' "$WORK/closer"
read -r nf lo_fail hi_ok <<<"$(awk '$3 == 1 { f++; if (!lf || $2 < lf) lf = $2 } $3 == 0 { if ($2 > ho) ho = $2 }
  END { print f + 0, (lf ? lf : 2), ho + 0 }' "$WORK/native")"
check "v[1] >= 1" "native: the node is declared failed at the highest loads ($nf runs)" "$nf"
check "v[1] >= 2" "native: and survives at lower loads (survivors: $(awk '$3 == 0' "$WORK/native" | wc -l))" \
  "$(awk '$3 == 0' "$WORK/native" | wc -l)"
check "v[1] > v[2]" "native: threshold: least failed load $lo_fail > greatest surviving load $hi_ok" "$lo_fail $hi_ok"
never=$(awk '{ s += $3 } END { print s + 0 }' "$WORK/closer")
check "v[1] == 0" "closer: never declared failed ($never failures)" "$never"
finish
