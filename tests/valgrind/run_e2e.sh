#!/usr/bin/env bash
# Runs one end-to-end script with dom0sim and dom0sim-trace under valgrind
# memcheck (docs/ROBUSTNESS.md, "Invariants and valgrind").
#
#   run_e2e.sh SCRIPT BUILD_DIR SOURCE_DIR
#
# The script gets, as its binary, a wrapper beside which a second wrapper
# stands in for dom0sim-trace, so every run either makes goes through
# valgrind.  Each process writes its report to its own log; a clean run
# leaves every log empty (-q).  The test fails if the script fails or any
# log is not empty (an invalid access, an uninitialised read, a definite or
# indirect leak), and prints the logs.
set -u
script=$1 build=$2 src=$3
vg=$(command -v valgrind) || { echo "valgrind not found" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/dom0sim-vg.XXXXXX")
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/bin" "$dir/log"
for b in dom0sim dom0sim-trace; do
  cat >"$dir/bin/$b" <<WRAP
#!/bin/sh
# GLib: plain malloc for slices, and freed memory cleared so that stale
# pointers do not look like live references to leaked blocks.
G_SLICE=always-malloc G_DEBUG=gc-friendly exec "$vg" -q --tool=memcheck \\
  --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \\
  --show-leak-kinds=definite,indirect --track-origins=yes --num-callers=30 \\
  --suppressions="$src/tests/valgrind/dom0sim.supp" \\
  --log-file="$dir/log/$b.%p.log" "$build/$b" "\$@"
WRAP
  chmod +x "$dir/bin/$b"
done
start=$(date +%s)
bash "$script" "$dir/bin/dom0sim" "$src"
status=$?
runs=$(ls "$dir/log" | wc -l)
dirty=0
for f in "$dir"/log/*.log; do
  [ -s "$f" ] || continue
  dirty=$((dirty + 1))
  echo "==== valgrind report $(basename "$f") ====" >&2
  cat "$f" >&2
done
echo "valgrind: $runs process(es), $dirty with a report, $(($(date +%s) - start)) s"
[ "$status" -eq 0 ] && [ "$dirty" -eq 0 ]
