# Shared by the end-to-end tests: each runs the real dom0sim binary ($1)
# against files of the source tree ($2) and counts its checks.
set -u
BIN=$1
SRC=$2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dom0sim-e2e.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
PASS=0
FAIL=0

ok() { PASS=$((PASS + 1)); }
bad() { FAIL=$((FAIL + 1)); echo "FAIL: $*" >&2; }

# expect_status WANT DESCRIPTION -- command...: runs it, keeping stdout and
# stderr in $WORK/out and $WORK/err.
expect_status() {
  local want=$1 what=$2
  shift 3
  "$@" >"$WORK/out" 2>"$WORK/err"
  local got=$?
  if [ "$got" -eq "$want" ]; then ok; else
    bad "$what: exit status $got, expected $want"
    sed 's/^/  stderr: /' "$WORK/err" | head -5 >&2
  fi
}

# expect_in FILE TEXT DESCRIPTION: FILE contains TEXT (fixed string).
expect_in() {
  if grep -qF -- "$2" "$1"; then ok; else
    bad "$3: '$2' not found in $(basename "$1")"
    head -5 "$1" | sed 's/^/  got: /' >&2
  fi
}

# expect_json FILE KEY VALUE DESCRIPTION: FILE has "KEY": VALUE (any spacing).
expect_json() {
  if grep -qE "\"$2\":[[:space:]]*$3,?$" "$1"; then ok; else
    bad "$4: \"$2\": $3 not found in $(basename "$1")"
  fi
}

# metric FILE NAME: prints the value of "NAME": in a summary.json.
metric() {
  sed -n "s/^[[:space:]]*\"$2\":[[:space:]]*\([-0-9.eE+]*\),\{0,1\}$/\1/p" "$1"
}

# expect_gt A B DESCRIPTION: the number A is greater than the number B.
expect_gt() {
  if awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 > b + 0) }'; then ok; else bad "$3: $1 <= $2"; fi
}

finish() {
  echo "$PASS passed, $FAIL failed"
  [ "$FAIL" -eq 0 ]
}
