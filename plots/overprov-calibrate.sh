#!/usr/bin/env bash
# Calibration of the over-provisioning study: how much dom0 CPU a
# guest's resource use causes, in the units of a Google task_usage row.
#
#   plots/overprov-calibrate.sh OUTDIR
#
# Runs scenarios/overprov-calibration.json (dom0 static on socket 0, the
# guests beside it, so costs are those of local memory) over a grid of web request rates x block I/O rates,
# and runs where a CPU-bound guest alone uses the CPU.  One row per run: the
# guests' CPU in cores, their disk I/O time (s of device service per s) and
# the dom0 CPU done on their behalf (cores), each summed over the run's
# guests.  Writes
#   OUTDIR/calibration.csv      the web x block grid
#   OUTDIR/coefficients.json    dom0sim-trace fit of calibration.csv:
#                               dom0_cores = intercept + per_cpu_core * guest_cpu_cores
#                                            + per_disk_io * disk_io_time
#   OUTDIR/cpu-only.csv         the CPU-bound runs (dom0_cores is 0 in each:
#                               computing causes no dom0 work)
#   OUTDIR/calibration-all.csv  both, and OUTDIR/coefficients-all.json its fit
#                               (network work then moves from per_cpu_core
#                               to the intercept; docs/CALIBRATION.md)
#   OUTDIR/runs/NAME/           each run's dom0sim output
#
# Environment: DOM0SIM (default: the dom0sim at this repository's root),
# DOM0SIM_TRACE (default: dom0sim-trace beside DOM0SIM), DISK (the host's
# disk preset: nvme (default), ssd or hdd), and the grid: WEB_RATES,
# BLK_RATES (requests/s, space-separated; BLK_RATES defaults to rates the
# preset serves without saturating) and CPU_CAPS (% of one pCPU for the
# CPU-bound runs; empty for none).  Needs only bash and awk.  Deterministic:
# the same grid gives the same files, byte for byte.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
OUT=$1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DOM0SIM=${DOM0SIM:-$ROOT/dom0sim}
DOM0SIM_TRACE=${DOM0SIM_TRACE:-$(dirname "$DOM0SIM")/dom0sim-trace}
SCENARIO=${SCENARIO:-$ROOT/scenarios/overprov-calibration.json}
DISK=${DISK:-nvme}
case $DISK in
  nvme | ssd) default_blk="1000 4000 10000 20000" ;;
  hdd) default_blk="5 15 30 60" ;; # 80 random IOPS at most
  *)
    echo "$0: DISK=$DISK: expected nvme, ssd or hdd" >&2
    exit 2
    ;;
esac
WEB_RATES=${WEB_RATES-500 1000 2000 4000}
BLK_RATES=${BLK_RATES-$default_blk}
CPU_CAPS=${CPU_CAPS-25 50 100 200}

for b in "$DOM0SIM" "$DOM0SIM_TRACE"; do
  if [ ! -x "$b" ]; then
    echo "$0: $b is not built (cmake --build build)" >&2
    exit 1
  fi
done
mkdir -p "$OUT/runs"

# The scenario's guests: vms[0] web, vms[1] blk (blk-random), vms[2] cpu.
IDLE='{"type": "idle"}'

# sum SUMMARY SUFFIX: the sum over guests of every "<vm>.SUFFIX" metric.
sum() {
  awk -v suffix="$2" '
    { line = $0; sub(/^[ \t]*/, "", line) }
    line ~ /^"[^"]*":/ {
      key = line; sub(/^"/, "", key); sub(/".*$/, "", key)
      n = length(key) - length(suffix)
      if (n > 1 && substr(key, n + 1) == suffix && substr(key, n, 1) == ".") {
        val = line; sub(/^"[^"]*":[ \t]*/, "", val); sub(/,$/, "", val)
        s += val
      }
    }
    END { printf "%.17g\n", s }' "$1"
}

HEADER="run,kind,disk,web_rps,blk_rps,cpu_cap_pct,guest_cpu_cores,disk_io_time,dom0_cores"

# run CSV NAME KIND WEB BLK CAP -- dom0sim --set arguments...: one run, one row.
run() {
  local csv=$1 name=$2 kind=$3 web=$4 blk=$5 cap=$6
  shift 7
  local dir=$OUT/runs/$name
  "$DOM0SIM" -q --no-progress -o "$dir" --set "hosts[0].disk.preset=$DISK" "$@" "$SCENARIO"
  local s=$dir/summary.json
  echo "$name,$kind,$DISK,$web,$blk,$cap,$(sum "$s" cpu.cores),$(sum "$s" blk.disk_io_time),$(sum "$s" cpu.dom0_work_cores)" >>"$csv"
}

echo "$HEADER" >"$OUT/calibration.csv.tmp"
for w in $WEB_RATES; do
  for b in $BLK_RATES; do
    run "$OUT/calibration.csv.tmp" "web${w}-blk${b}" io "$w" "$b" 0 -- \
      --set "vms[0].workload.rate_per_s=$w" --set "vms[1].workload.rate_per_s=$b"
  done
done
echo "$HEADER" >"$OUT/cpu-only.csv.tmp"
for c in $CPU_CAPS; do
  run "$OUT/cpu-only.csv.tmp" "cpu${c}" cpu 0 0 "$c" -- \
    --set "vms[0].workload=$IDLE" --set "vms[1].workload=$IDLE" \
    --set 'vms[2].workload={"type": "cpu-bound"}' --set "vms[2].cap=$c"
done
{
  cat "$OUT/calibration.csv.tmp"
  tail -n +2 "$OUT/cpu-only.csv.tmp"
} >"$OUT/calibration-all.csv.tmp"
for f in calibration cpu-only calibration-all; do
  mv "$OUT/$f.csv.tmp" "$OUT/$f.csv"
done

"$DOM0SIM_TRACE" fit "$OUT/calibration.csv" >"$OUT/coefficients.json.tmp"
mv "$OUT/coefficients.json.tmp" "$OUT/coefficients.json"
if [ -n "$CPU_CAPS" ]; then
  "$DOM0SIM_TRACE" fit "$OUT/calibration-all.csv" >"$OUT/coefficients-all.json.tmp"
  mv "$OUT/coefficients-all.json.tmp" "$OUT/coefficients-all.json"
fi
cat "$OUT/coefficients.json"
