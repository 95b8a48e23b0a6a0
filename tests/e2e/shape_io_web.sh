#!/usr/bin/env bash
# Shape of thesis figure 2.8a (scenarios/fig-2.8a-io-web.json): under native
# the web guest's throughput falls as IOzone guests are added (Spearman <=
# -0.9, and by more than 25% from none to ten) and dom0 saturates; under
# closer it stays within 5% of its value without IOzone guests.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/shape_lib.bash"
SC=$SRC/scenarios/fig-2.8a-io-web.json
: >"$WORK/native" >"$WORK/closer"
for n in 0 2 4 6 10; do
  s=$(run_point "n$n" native "$SC" --set duration_s=2 --set "vms[1].count=$n")
  echo "$n $(metric "$s" web.web.throughput_rps) $(metric "$s" dom0.main.cpu_load)" >>"$WORK/native"
done
for n in 0 4 10; do
  s=$(run_point "c$n" closer "$SC" --set duration_s=2 --set "vms[1].count=$n")
  echo "$n $(metric "$s" web.web.throughput_rps) $(metric "$s" dom0.main.cpu_load)" >>"$WORK/closer"
done
sed 's/^/native count,web rps,dom0 load: /' "$WORK/native"
sed 's/^/closer count,web rps,main load: /' "$WORK/closer"
rho=$(awk '{ print $1, $2 }' "$WORK/native" | spearman)
check "v[1] <= -0.9" "native: Spearman(IOzone guests, web throughput) = $rho <= -0.9" "$rho"
drop=$(awk 'NR == 1 { a = $2 } END { printf "%.4f", $2 / a }' "$WORK/native")
check "v[1] < 0.75" "native: web throughput with 10 IOzone guests / with none = $drop < 0.75" "$drop"
sat=$(awk 'END { print $3 }' "$WORK/native")
check "v[1] >= 0.95" "native: dom0 saturated with 10 IOzone guests (load $sat >= 0.95)" "$sat"
dev=$(awk 'NR == 1 { a = $2 } { d = ($2 - a) / a; if (d < 0) d = -d; if (d > m) m = d } END { printf "%.4f", m }' "$WORK/closer")
check "v[1] <= 0.05" "closer: web throughput within $dev <= 5% of its value without IOzone guests" "$dev"
finish
