#!/usr/bin/env bash
# Runs one end-to-end script with dom0sim and dom0sim-trace under valgrind
# memcheck (docs/ROBUSTNESS.md, "Invariants and valgrind").
#
#   run_e2e.sh SCRIPT BUILD_DIR SOURCE_DIR
#
# The script gets, as its binary, a wrapper beside which a second wrapper
# stands in for dom0sim-trace, so every process it starts goes through
# valgrind.  Each process writes its report to its own log; a clean run
# leaves every log empty (-q).  The test fails if the script fails or any
# log is not empty (an invalid access, an uninitialised read, a definite or
# indirect leak), and prints the logs.
#
# Memcheck makes a run 30 to 50 times slower, too slow for the long
# simulations of the figure-shape tests in CI.  So a dom0sim run goes under
# memcheck with --max-events DOM0SIM_VG_MAX_EVENTS (default 300000) put
# first on its command line: a run that fits is the real run, whose output
# the script checks; a run that reaches the cap has been checked through
# parsing, set-up, its first events, the early stop, the writing of partial
# results and the freeing of a world in full flight, and is then run again
# natively, to the end, for the script's checks (same outputs: runs are
# deterministic).  The cap is not used when the script passes --max-events
# or --max-wall itself, nor when it sets DOM0SIM_MEMCHECK_WHOLE=1 (scripts
# that signal the binary's pid need it to be the one process): then the
# whole run is under memcheck.  DOM0SIM_VG_MAX_EVENTS=0 does so everywhere.
# DOM0SIM_VG_ARGS adds valgrind options (e.g. --track-origins=yes to find
# where an uninitialised value came from).  Scripts see DOM0SIM_MEMCHECK=1
# and may lengthen waits that assume a fast binary.
set -u
script=$1 build=$2 src=$3
vg=$(command -v valgrind) || { echo "valgrind not found" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/dom0sim-vg.XXXXXX")
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/bin" "$dir/log"
# GLib: plain malloc for slices, and freed memory cleared so that stale
# pointers do not look like live references to leaked blocks.
cat >"$dir/memcheck" <<WRAP
#!/bin/sh
G_SLICE=always-malloc G_DEBUG=gc-friendly exec "$vg" -q --tool=memcheck \\
  --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \\
  --show-leak-kinds=definite,indirect --num-callers=30 \${DOM0SIM_VG_ARGS:-} \\
  --suppressions="$src/tests/valgrind/dom0sim.supp" \\
  --log-file="$dir/log/\$(basename "\$1").%p.log" "\$@"
WRAP
cat >"$dir/bin/dom0sim-trace" <<WRAP
#!/bin/sh
exec "$dir/memcheck" "$build/dom0sim-trace" "\$@"
WRAP
cat >"$dir/bin/dom0sim" <<WRAP
#!/usr/bin/env bash
# See tests/valgrind/run_e2e.sh.
cap=\${DOM0SIM_VG_MAX_EVENTS:-300000}
[ "\${DOM0SIM_MEMCHECK_WHOLE:-0}" = 1 ] && cap=0
for a in "\$@"; do
  case "\$a" in --max-events* | --max-wall*) cap=0 ;; esac
done
[ "\$cap" = 0 ] && exec "$dir/memcheck" "$build/dom0sim" "\$@"
# Capped: the child runs in the background so that SIGINT and SIGTERM sent
# to this pid reach it at once; after one, the run is not repeated.
out=\$(mktemp "$dir/out.XXXXXX") err=\$(mktemp "$dir/err.XXXXXX")
signalled=0 child=
forward() { signalled=1; kill -"\$1" "\$child" 2>/dev/null; }
trap 'forward INT' INT
trap 'forward TERM' TERM
wait_child() {
  local rc
  while :; do
    wait "\$child"; rc=\$?
    kill -0 "\$child" 2>/dev/null || return "\$rc"
  done
}
"$dir/memcheck" "$build/dom0sim" --max-events "\$cap" "\$@" >"\$out" 2>"\$err" <&0 &
child=\$!
wait_child; rc=\$?
if [ "\$rc" -eq 3 ] && [ "\$signalled" = 0 ] && grep -q -- '--max-events' "\$err"; then
  rm -f "\$out" "\$err"
  "$build/dom0sim" "\$@" <&0 &
  child=\$!
  wait_child; exit \$?
fi
cat "\$out"; cat "\$err" >&2
rm -f "\$out" "\$err"
exit "\$rc"
WRAP
chmod +x "$dir/memcheck" "$dir/bin/dom0sim" "$dir/bin/dom0sim-trace"
export DOM0SIM_MEMCHECK=1
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
echo "valgrind: $runs process(es) under memcheck, $dirty with a report, $(($(date +%s) - start)) s"
[ "$status" -eq 0 ] && [ "$dirty" -eq 0 ]
