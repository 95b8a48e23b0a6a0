#!/usr/bin/env bash
# One run of a sweep expanded by plots/sweep.sh: sweep-run.sh OUTDIR RUN_ID.
# Called by GNU parallel (plots/sweep.sh) and by Slurm (plots/sweep.slurm).
#
# Runs dom0sim with the arguments in OUTDIR/params/RUN_ID.args (one a line)
# into a staging directory, OUTDIR/runs/.RUN_ID.part.HOST.PID, and renames it
# to OUTDIR/runs/RUN_ID only when dom0sim succeeded: OUTDIR/runs/RUN_ID
# exists if and only if the run is complete.  A run already complete is not
# run again (exit 0 at once), so a run started twice (a resumed sweep, a
# resubmitted Slurm array) still leaves exactly one result.
#
# Exit status: dom0sim's on failure, 0 on success or if already complete,
# 2 bad usage.  Environment: DOM0SIM (default: build/dom0sim of this tree).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ $# -eq 2 ] || { echo "usage: sweep-run.sh OUTDIR RUN_ID" >&2; exit 2; }
OUT=$1
ID=$2
case "$ID" in r[0-9]*) ;; *) echo "sweep-run.sh: bad run id '$ID'" >&2; exit 2 ;; esac
FINAL=$OUT/runs/$ID
[ -f "$FINAL/summary.json" ] && exit 0
ARGS=$OUT/params/$ID.args
[ -r "$ARGS" ] || { echo "sweep-run.sh: $ARGS: no such run (was $OUT expanded by plots/sweep.sh?)" >&2; exit 2; }
BIN=${DOM0SIM:-$ROOT/build/dom0sim}
mapfile -t args <"$ARGS"

PART=$OUT/runs/.$ID.part.${HOSTNAME:-$(uname -n)}.$$
cleanup() { rm -rf "$PART"; }
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP
mkdir -p "$PART" || exit 1

"$BIN" -q --no-progress -o "$PART" "${args[@]}"
rc=$?
if [ "$rc" -ne 0 ]; then
  echo "sweep-run.sh: $ID: dom0sim exited with status $rc (arguments: $ARGS)" >&2
  exit "$rc"
fi
if [ ! -f "$PART/summary.json" ]; then
  echo "sweep-run.sh: $ID: dom0sim wrote no summary.json" >&2
  exit 1
fi
# rename(2): atomic; fails if another attempt already put a complete
# result there (a non-empty directory), in which case that one stands.
mv -T "$PART" "$FINAL" 2>/dev/null && exit 0
[ -f "$FINAL/summary.json" ] && exit 0
echo "sweep-run.sh: $ID: cannot rename $PART to $FINAL" >&2
exit 1
