#!/usr/bin/env bash
# The management agent's heartbeat against its hand derivation (docs/MODEL.md,
# "the management agent"; docs/FIGURES.md, heartbeat).  The agent's report is
# c seconds of user-space CPU on a dom0 vCPU whose kernel back-end work (load
# rho) preempts it: under preemptive-resume priority (M/G/1 with ~250 us
# back-end jobs, far shorter than c) a report is done c / (1 - rho) after it
# is due.  The agent is one thread: a report still running at the next period
# P makes that beat missed, so reports land ceil(L / P) * P apart, and the
# controller (nova's servicegroup DB driver: is_up = now - last report <=
# service_down_time D, the deadline running from the start) declares the
# node failed iff P + L > D at the first report or ceil(L / P) * P > D
# later: at a rho between 1 - c / (D - P) and 1 - c / D.  One dom0 vCPU, so the
# guests' back-end load is that vCPU's rho.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/shape_lib.bash"
SC=$SRC/scenarios/fig-heartbeat-agent-failure.json
one=(--seed 1 --set policy_params.native.vcpus=1 --set duration_s=100)

# 1. Latency: c = 0.2 s every P = 10 s (the figure's agent) at rho = 1/2,
#    3/4, 7/8 (4, 6, 7 guests of 500 x 250 us/s); rho measured as dom0's
#    load less the agent's own c / P.
for n in 4 6 7; do
  s=$(run_point "lat$n" native "$SC" "${one[@]}" --set "vms[0].count=$n")
  load=$(metric "$s" dom0.main.cpu_load)
  d=$(metric "$s" h0.heartbeat.mean_delay_s)
  want=$(awk -v l="$load" 'BEGIN { printf "%.4f", 0.2 / (1 - (l - 0.02)) }')
  check "v[1] > 0 && v[1] / v[2] > 0.95 && v[1] / v[2] < 1.05" \
    "$n guests, load $load: mean report delay ${d:-none} s within 5% of c/(1-rho) = $want s" "${d:-0} $want"
done

# 2. Threshold: c = 1 s, P = 10 s, D = 30 s, 8 guests of 500 requests/s.
#    rho = 0.94 (235 us): L = 16.7 s, reports 20 s apart < D: never failed.
#    rho = 0.98 (245 us): L = 50 s > D: failed at D = 30 s, before the first
#    report lands.  (The threshold is in [1 - c/(D-P), 1 - c/D] = [0.95, 0.967].)
agent=(--set hosts[0].management.cpu_ms=1000 --set hosts[0].management.heartbeat_timeout_s=30
  --set 'vms[0].count=8')
s=$(run_point th94 native "$SC" "${one[@]}" "${agent[@]}" --set vms[0].workload.service_us=235)
d=$(metric "$s" h0.heartbeat.mean_delay_s)
check "v[1] == 0" "rho 0.94: never declared failed" "$(metric "$s" h0.declared_failed)"
check "v[1] / 16.67 > 0.9 && v[1] / 16.67 < 1.1" "rho 0.94: mean report delay ${d:-none} s within 10% of 16.7 s" "${d:-0}"
check "v[1] >= 3" "rho 0.94: every other beat missed ($(metric "$s" h0.heartbeat.missed))" \
  "$(metric "$s" h0.heartbeat.missed)"
s=$(run_point th98 native "$SC" "${one[@]}" "${agent[@]}" --set vms[0].workload.service_us=245)
check "v[1] == 30" "rho 0.98: declared failed at D = 30 s ($(metric "$s" h0.declared_failed_at_s))" \
  "$(metric "$s" h0.declared_failed_at_s)"

# rho = 8 x 500 x 260 us = 1.04: the first report, due at the agent's first
#    run, never completes, so the run's maximum report delay is its age at the
#    end, at least the 100 s horizon less the 10 s period (it read 0).
s=$(run_point th104 native "$SC" "${one[@]}" "${agent[@]}" --set vms[0].workload.service_us=260)
check "v[1] == 0 && v[2] >= 90 && v[2] <= 100" \
  "rho 1.04: no report done ($(metric "$s" h0.heartbeat.reports)), max delay $(metric "$s" h0.heartbeat.max_delay_s) s, the unfinished report's age" \
  "$(metric "$s" h0.heartbeat.reports) $(metric "$s" h0.heartbeat.max_delay_s)"

# 3. The figure's horizon lets its timeout fire: a stall that starts at t
#    is declared at t + D, so a run of 3 D sees every stall starting in its
#    first 2 D (at 420 s with D = 300 s only those in the first 120 s).
dur=$(sed -n 's/^  "duration_s": *\([0-9.]*\),*$/\1/p' "$SC")
to=$(sed -n 's/^ *"heartbeat_timeout_s": *\([0-9.]*\),*$/\1/p' "$SC")
check "v[1] >= 3 * v[2]" "figure horizon $dur s >= 3 x the timeout $to s" "${dur:-0} ${to:-1}"
finish
