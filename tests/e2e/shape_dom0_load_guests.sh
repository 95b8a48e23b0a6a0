#!/usr/bin/env bash
# Shape of thesis figure 4.1a (scenarios/fig-4.1a-dom0-load.json): under
# native the main load rises with every guest (Spearman >= 0.9, each guest
# adding load); under closer it stays at the agent's load (spread <= 5%).
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/shape_lib.bash"
SC=$SRC/scenarios/fig-4.1a-dom0-load.json
: >"$WORK/native" >"$WORK/closer"
for p in native closer; do
  for n in 0 1 2 3 4 5 6; do
    s=$(run_point "$p$n" $p "$SC" --set duration_s=20 --set "vms[0].count=$n")
    echo "$n $(metric "$s" dom0.main.cpu_load)" >>"$WORK/$p"
  done
  sed "s/^/$p count,main load: /" "$WORK/$p"
done
rho=$(spearman <"$WORK/native")
check "v[1] >= 0.9" "native: Spearman(guests, main load) = $rho >= 0.9" "$rho"
step=$(awk 'NR > 1 { d = $2 - prev; if (NR == 2 || d < m) m = d } { prev = $2 } END { printf "%.4f", m }' "$WORK/native")
check "v[1] > 0.05" "native: every guest adds more than 5 points of main load (least step $step)" "$step"
sp=$(awk '{ print $2 }' "$WORK/closer" | spread)
check "v[1] <= 0.05" "closer: main-container load spread $sp <= 5%" "$sp"
finish
