#!/usr/bin/env bash
# The doc test's own test (ctest doc_selftest): doctest.pl on a small doc whose
# right answers are known, its markers, a mismatch and --update.
#   tests/doc/selftest.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
doc="$work/doc.md"
fence='```'

# A doc that matches: numbers marked ~, … inside a line and as lines, a file
# block read by a later command, a skipped block, a command without output.
cat >"$doc" <<EOF
Text.

<!-- doctest: file my.txt -->
${fence}
alpha 1
beta 2
${fence}

${fence}
\$ echo took 1.25 s, 7 events
took ~0.5 s, 7 events
\$ printf 'a\nb\nc\nd\n'
a
…
d
\$ ./dom0sim --version
dom0sim …
\$ grep beta my.txt
beta 2
\$ true
\$ echo continued \\
  line
continued line
${fence}

<!-- doctest: skip it would take an hour -->
${fence}
\$ sleep 3600
${fence}
EOF
out=$(perl "$here/doctest.pl" "$build" "$doc") || bad "a matching doc failed: $out"
grep -q '^doctest: 6 commands match, 0 differ, 1 blocks skipped$' <<<"$out" || bad "counts: $out"

# A doc that does not match: exit 1, naming the line; --update rewrites it
# (the "~" kept on the marked number), and then it matches.
cat >"$doc" <<EOF
${fence}
\$ echo 3 apples in 0.25 s
4 apples in ~0.5 s
\$ echo inserted
\$ echo same
same
${fence}
EOF
if out=$(perl "$here/doctest.pl" "$build" "$doc"); then bad "a wrong doc passed: $out"; fi
grep -q "^FAIL $doc:2: \\\$ echo 3 apples" <<<"$out" || bad "no FAIL line for line 2: $out"
grep -q '^doctest: 1 commands match, 2 differ, 0 blocks skipped$' <<<"$out" || bad "counts: $out"
perl "$here/doctest.pl" --update "$build" "$doc" >/dev/null || bad "--update failed"
expected=$(printf '%s\n' "$fence" '$ echo 3 apples in 0.25 s' '3 apples in ~0.25 s' '$ echo inserted' \
  'inserted' '$ echo same' 'same' "$fence")
[ "$(cat "$doc")" = "$expected" ] || bad "--update wrote: $(cat "$doc")"
perl "$here/doctest.pl" "$build" "$doc" >/dev/null || bad "the updated doc does not match"

[ "$fail" -eq 0 ] && echo "doc_selftest: ok"
exit "$fail"
