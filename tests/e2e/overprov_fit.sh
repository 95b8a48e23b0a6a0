#!/usr/bin/env bash
# The over-provisioning calibration end to end: plots/overprov-calibrate.sh
# runs its grid through dom0sim, and dom0sim-trace fit turns it into the
# coefficients the trace replay uses; then fit's refusals of bad CSVs.
. "$(dirname "$0")/lib.bash"
TRACE="$(dirname "$BIN")/dom0sim-trace"
SCRIPT=$SRC/plots/overprov-calibrate.sh

# json FILE KEY: the top-level number "KEY": in a coefficients file.
json() {
  sed -n "s/^[[:space:]]*\"$2\":[[:space:]]*\([-0-9.eE+]*\),\{0,1\}$/\1/p" "$1"
}
# holds EXPR DESCRIPTION VAR=VALUE...: an awk condition on the values.
holds() {
  local expr=$1 what=$2
  shift 2
  local args=()
  for a in "$@"; do args+=(-v "$a"); done
  if awk "${args[@]}" "BEGIN { exit !($expr) }"; then ok; else bad "$what ($*)"; fi
}
finite='x ~ /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/'

expect_status 2 "script without OUTDIR" -- bash "$SCRIPT"
expect_status 2 "script with an unknown disk" -- env DISK=floppy DOM0SIM="$BIN" bash "$SCRIPT" "$WORK/x"

expect_status 0 "calibration" -- env DOM0SIM="$BIN" bash "$SCRIPT" "$WORK/cal"
C=$WORK/cal/coefficients.json
for k in intercept per_cpu_core per_disk_io r2 residual_rms; do
  holds "$finite" "$k is a finite number" "x=$(json "$C" "$k")"
done
expect_json "$C" n 16 "one row per run of the 4 x 4 grid"
expect_in "$C" '"stderr": {"intercept": ' "standard errors reported"
b0=$(json "$C" intercept)
b1=$(json "$C" per_cpu_core)
b2=$(json "$C" per_disk_io)
r2=$(json "$C" r2)
# Per web request: 100 us of handler + netfront in the guest, about 8 us of
# netback and bridge in dom0 (local memory), so about 0.076 dom0 core per
# guest core; per 4 KiB random record on NVMe (70% reads): 12 us of blkback
# over 29 us of device service, about 0.41.
holds "b > 0.05 && b < 0.1" "per_cpu_core in the web mix's range" "b=$b1"
holds "b > 0.3 && b < 0.5" "per_disk_io in the NVMe range" "b=$b2"
holds "b > -0.005 && b < 0.005" "intercept near 0: an idle guest causes no dom0 work" "b=$b0"
holds "r > 0.999" "the grid is linear in its two rates" "r=$r2"
rows=$(tail -n +2 "$WORK/cal/calibration.csv" | wc -l)
holds "n == 16" "calibration.csv has the grid's rows" "n=$rows"

# Computing alone causes no dom0 work, and folding those runs in takes the
# network's share out of per_cpu_core.
zero=$(awk -F, 'NR > 1 && $9 != 0 { n++ } END { print n + 0 }' "$WORK/cal/cpu-only.csv")
cpus=$(tail -n +2 "$WORK/cal/cpu-only.csv" | wc -l)
holds "z == 0 && n == 4" "CPU-bound runs have dom0_cores 0" "z=$zero" "n=$cpus"
holds "a < b / 2" "CPU-bound runs lower per_cpu_core" "a=$(json "$WORK/cal/coefficients-all.json" per_cpu_core)" "b=$b1"

# Corners of the grid again: byte-identical rows (each run is deterministic
# and independent of the others).
expect_status 0 "calibration again" -- env DOM0SIM="$BIN" WEB_RATES="500 4000" \
  BLK_RATES="1000 20000" CPU_CAPS= bash "$SCRIPT" "$WORK/cal2"
tail -n +2 "$WORK/cal2/calibration.csv" >"$WORK/again"
if [ "$(wc -l <"$WORK/again")" -eq 4 ] && grep -qxFf "$WORK/again" "$WORK/cal/calibration.csv" &&
   [ "$(grep -cxFf "$WORK/again" "$WORK/cal/calibration.csv")" -eq 4 ]; then ok; else
  bad "calibration rows differ between identical runs"; fi

# fit on bad input: exit 2, the file (and line) named, nothing on stdout.
H="guest_cpu_cores,disk_io_time,dom0_cores"
fit_bad() {
  local name=$1 text=$2 want=$3
  printf '%b' "$text" >"$WORK/$name.csv"
  expect_status 2 "fit $name" -- "$TRACE" fit "$WORK/$name.csv"
  expect_in "$WORK/err" "$WORK/$name.csv$want" "fit $name names the file"
  if [ ! -s "$WORK/out" ]; then ok; else bad "fit $name printed a result"; fi
}
fit_bad missing_column "guest_cpu_cores,dom0_cores\n1,2\n" ":1: header has no column 'disk_io_time'"
fit_bad not_a_number "$H\n0.1,0.2,0.1\n0.2,x,0.3\n" ":3: column disk_io_time: 'x'"
fit_bad short_row "$H\n0.1,0.2\n" ":2: 2 fields"
fit_bad too_few "$H\n0.1,0.2,0.1\n0.2,0.1,0.3\n0.3,0.3,0.2\n" ": 3 rows"
fit_bad singular "$H\n0.1,0.2,1\n0.2,0.4,2\n0.3,0.6,3\n0.4,0.8,4\n" ": singular design"
fit_bad empty "" ": empty file"
expect_status 2 "fit without a file" -- "$TRACE" fit
expect_status 2 "fit on a missing file" -- "$TRACE" fit "$WORK/nope.csv"
expect_in "$WORK/err" "nope.csv" "missing file named"
expect_status 0 "fit --help" -- "$TRACE" fit --help
expect_in "$WORK/out" "per_disk_io" "fit --help describes the model"
finish
