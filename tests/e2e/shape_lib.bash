# Shared by the figure shape tests (tests/e2e/shape_*.sh): run a scenario
# with --set overrides and check a qualitative claim numerically.
# Sourced after lib.bash. Not a test itself (ctest runs e2e/*.sh only).

# run_point OUT POLICY SCENARIO [--set ...]: one quiet run into $WORK/OUT;
# prints its summary.json, or counts a failure.
run_point() {
  local out=$WORK/$1 policy=$2 scenario=$3
  shift 3
  if "$BIN" -q -o "$out" -p "$policy" "$@" "$scenario" 2>"$WORK/err-run"; then
    echo "$out/summary.json"
  else
    bad "dom0sim -p $policy $* failed: $(head -1 "$WORK/err-run")"
    echo /dev/null
  fi
}

# spearman: reads "x y" lines on stdin, prints Spearman's rank correlation
# (average ranks for ties; 0 when either side is constant).
spearman() {
  awk '
    function ranks(v, r, n,   i, j, k, idx, t, s) {
      for (i = 1; i <= n; i++) idx[i] = i
      for (i = 2; i <= n; i++) { t = idx[i]; for (j = i - 1; j >= 1 && v[idx[j]] > v[t]; j--) idx[j + 1] = idx[j]; idx[j + 1] = t }
      for (i = 1; i <= n; i = k) {
        for (k = i + 1; k <= n && v[idx[k]] == v[idx[i]]; k++) ;
        s = (i + k - 1) / 2
        for (j = i; j < k; j++) r[idx[j]] = s
      }
    }
    { n++; x[n] = $1; y[n] = $2 }
    END {
      ranks(x, rx, n); ranks(y, ry, n)
      for (i = 1; i <= n; i++) { mx += rx[i] / n; my += ry[i] / n }
      for (i = 1; i <= n; i++) { sxy += (rx[i] - mx) * (ry[i] - my); sxx += (rx[i] - mx) ^ 2; syy += (ry[i] - my) ^ 2 }
      printf "%.4f\n", (sxx > 0 && syy > 0) ? sxy / sqrt(sxx * syy) : 0
    }'
}

# spread: reads numbers on stdin, prints (max - min) / mean (0 for a mean of 0).
spread() {
  awk 'NR == 1 { lo = hi = $1 } { s += $1; if ($1 < lo) lo = $1; if ($1 > hi) hi = $1 }
       END { m = s / NR; printf "%.4f\n", m != 0 ? (hi - lo) / m : 0 }'
}

# check CONDITION-as-awk DESCRIPTION VALUES...: passes when the awk
# expression over v1, v2, ... is true.
check() {
  local cond=$1 what=$2
  shift 2
  if awk -v vals="$*" "BEGIN { n = split(vals, v, \" \"); exit !($cond) }"; then
    ok; echo "ok: $what"
  else
    bad "$what"
  fi
}

# assert DESCRIPTION AWK-STATEMENTS VAR=VALUE...: passes if the statements
# leave r true.
assert() {
  local what=$1 stmts=$2
  shift 2
  local a args=()
  for a in "$@"; do args+=(-v "$a"); done
  if awk "${args[@]}" "BEGIN { $stmts; exit !r }"; then ok; else bad "$what: $*"; fi
}

# Verdicts for assert over v, four space-separated values: rising (strictly
# increasing and last/first > 2) and flat (max/min <= 1.05).
rising='n = split(v, x, " "); r = n == 4; for (i = 2; i <= n; i++) r = r && x[i] > x[i - 1]; r = r && x[n] > 2 * x[1]'
flat='n = split(v, x, " "); lo = hi = x[1]; for (i = 2; i <= n; i++) { if (x[i] < lo) lo = x[i]; if (x[i] > hi) hi = x[i] } r = n == 4 && lo > 0 && hi <= 1.05 * lo'
