#!/usr/bin/env bash
# Shape of thesis figures 2.1 / 2.7a (scenarios/fig-2.1-iozone-dom0-load.json):
# under native dom0's load rises with the number of IOzone guests (Spearman
# >= 0.9) and saturates at its 2 vCPUs; under closer the main container's
# load stays flat (spread <= 5%) while the secondary containers' CPU rises.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/shape_lib.bash"
SC=$SRC/scenarios/fig-2.1-iozone-dom0-load.json
: >"$WORK/native" >"$WORK/closer"
for n in 0 1 2 3 4 6 8; do
  s=$(run_point "n$n" native "$SC" --set duration_s=2 --set "vms[0].count=$n")
  echo "$n $(metric "$s" dom0.main.cpu_load)" >>"$WORK/native"
done
for n in 0 1 3 6; do
  s=$(run_point "c$n" closer "$SC" --set duration_s=2 --set "vms[0].count=$n")
  echo "$n $(metric "$s" dom0.main.cpu_load) $(metric "$s" dom0.secondary.cores)" >>"$WORK/closer"
done
sed 's/^/native count,load: /' "$WORK/native"
sed 's/^/closer count,main load,secondary cores: /' "$WORK/closer"
rho=$(spearman <"$WORK/native")
check "v[1] >= 0.9" "native: Spearman(IOzone guests, dom0 load) = $rho >= 0.9" "$rho"
sat=$(awk '$1 == 8 { print $2 }' "$WORK/native")
check "v[1] >= 0.95" "native: dom0 saturated at 8 guests (load $sat >= 0.95)" "$sat"
sp=$(awk '{ print $2 }' "$WORK/closer" | spread)
check "v[1] <= 0.05" "closer: main-container load spread $sp <= 5%" "$sp"
rho2=$(awk '{ print $1, $3 }' "$WORK/closer" | spearman)
check "v[1] >= 0.9" "closer: Spearman(IOzone guests, secondary cores) = $rho2 >= 0.9" "$rho2"
finish
