#!/usr/bin/env bash
# plots/figtable.sh [OPTIONS] FIGURE.csv METRIC...
# A table of one figure's sweep summary (figures/data/NAME.csv, written by
# plots/make-figures.sh; columns policy, the swept key(s), metric, n, mean, sd,
# ci95_low, ci95_high, deterministic): one row per (policy, metric), one column
# per value of a swept key, each cell the mean over the seeds to 4 significant
# digits (%.4g, as plots/metrics.sh; "-" where the sweep has no such point).
# docs/FIGURES.md's tables are this script's output, so the doc test
# (tests/doc/doctest.pl) checks them against the committed data.
#   -p POLICY[,POLICY...]  only these policies, in this order (default: all,
#                          in the file's order)
#   -w KEY=VALUE           only the points where swept KEY is VALUE (repeatable;
#                          for figures that sweep two keys, e.g. 2.9a's
#                          native.socket)
#   -x KEY                 the swept key across the columns (default: the last
#                          swept key not fixed by -w); any other unfixed swept key
#                          becomes a column of the row labels
#   -s FACTOR              multiply every value by FACTOR (100 for %, 1e-6 for MB/s)
#   -u UNIT                unit shown after each metric's name, e.g. -u %
#   -c                     append the 95% CI's half-width (mean±h) to the
#                          non-deterministic values (column `deterministic` = no)
# A KEY is a swept column's full name or its last dot-separated part
# (`socket` for policy_params.native.socket).
#   plots/figtable.sh -s 100 -u % figures/data/fig-2.1-iozone-dom0-load.csv dom0.main.cpu_load
#   plots/figtable.sh -w socket=0 -p native,closer figures/data/fig-2.9a-web-socket.csv web.web.throughput_rps
# Exit status: 0 ok, 2 bad usage, a missing file, or an unknown metric,
# policy, key or value.
set -euo pipefail
me=plots/figtable.sh
usage() {
  echo "usage: $me [-p POLICY,...] [-w KEY=VALUE]... [-x KEY] [-s FACTOR] [-u UNIT] [-c] FIGURE.csv METRIC..." >&2
  exit 2
}
die() { echo "$me: $*" >&2; exit 2; }
policies="" where="" xkey="" scale=1 unit="" ci=0
while getopts "p:w:x:s:u:c" opt; do
  case $opt in
    p) policies=$OPTARG ;;
    w) [[ $OPTARG == ?*=?* ]] || die "-w wants KEY=VALUE, not '$OPTARG'"
       where="$where $OPTARG" ;;
    x) xkey=$OPTARG ;;
    s) [[ $OPTARG =~ ^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$ ]] ||
         die "-s wants a number, not '$OPTARG'"
       scale=$OPTARG ;;
    u) unit=$OPTARG ;;
    c) ci=1 ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || usage
csv=$1
shift
[ -f "$csv" ] || die "$csv: no such file"
awk -F, -v me="$me" -v metrics="$*" -v policies="$policies" -v where="$where" \
    -v xkey="$xkey" -v scale="$scale" -v unit="$unit" -v ci="$ci" '
  function fail(msg) { print me ": " msg > "/dev/stderr"; bad = 1; exit 2 }
  # The swept column a KEY names (full name or last dot-separated part).
  function keycol(k,   j, hit, tail) {
    hit = 0
    for (j = 2; j < mcol; j++) {
      tail = hdr[j]; sub(/.*\./, "", tail)
      if (hdr[j] == k || tail == k) { if (hit) fail("key " k " is ambiguous"); hit = j }
    }
    if (!hit) fail("no swept key " k " in " FILENAME " (swept: " swept ")")
    return hit
  }
  function isnum(s) { return s ~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/ }
  # Width on screen: "±" is one character however many bytes awk counts.
  function dlen(s,   n) { n = length(s); return n - gsub(/±/, "", s) * (length("±") - 1) }
  # x to d significant digits: %.dg, but without an exponent from 10^d to 10^15
  # (37381 prints 37380, not 3.738e+04).
  function sig(x, d,   a, e, q) {
    a = x < 0 ? -x : x
    if (a == 0) return "0"
    e = int(log(a) / log(10) + 1e-9); if (a < 1 && e == 0) e = -1
    if (e < d || e >= 15) return sprintf("%." d "g", x)
    q = 10 ^ (e - d + 1)
    return sprintf("%.0f", int(x / q + (x < 0 ? -0.5 : 0.5)) * q)
  }
  function fmt(x) { return isnum(x) ? sig(x * scale, 4) : "NaN" }
  NR == 1 {
    for (j = 1; j <= NF; j++) { hdr[j] = $j; col[$j] = j }
    if (hdr[1] != "policy" || !("metric" in col) || !("mean" in col))
      fail(FILENAME ": not a figure summary (header policy,KEY...,metric,n,mean,...)")
    mcol = col["metric"]
    if (mcol < 3) fail(FILENAME ": no swept key")
    swept = hdr[2]; for (j = 3; j < mcol; j++) swept = swept " " hdr[j]
    nw = split(where, w, " ")
    for (i = 1; i <= nw; i++) {
      k = w[i]; sub(/=.*/, "", k); v = w[i]; sub(/^[^=]*=/, "", v)
      wc = keycol(k); fixed[wc] = v; seenw[wc] = 0
    }
    if (xkey != "") xc = keycol(xkey)
    else for (j = mcol - 1; j >= 2; j--) if (!(j in fixed)) { xc = j; break }
    if (!xc) fail("every swept key is fixed by -w; nothing left for the columns")
    if (xc in fixed) fail("-x " hdr[xc] " is also fixed by -w")
    nl = 0
    for (j = 2; j < mcol; j++) if (j != xc && !(j in fixed)) lab[++nl] = j
    next
  }
  {
    known_m[$mcol] = 1; known_p[$1] = 1
    for (j in fixed) if ($j == fixed[j]) seenw[j] = 1
    for (j in fixed) if ($j != fixed[j]) next
    if (!($1 in pseen)) { pseen[$1] = 1; porder[++np] = $1 }
    if (!($xc in xseen)) { xseen[$xc] = 1; xs[++nx] = $xc }
    l = ""; for (i = 1; i <= nl; i++) l = l SUBSEP $(lab[i])
    if (!(($1, l) in lseen)) { lseen[$1, l] = 1; nlab[$1]++; labs[$1, nlab[$1]] = l }
    c = fmt($(col["mean"]))
    if (ci && $(col["deterministic"]) == "no" && isnum($(col["ci95_high"])))
      c = c "±" sig(($(col["ci95_high"]) - $(col["ci95_low"])) / 2 * scale, 2)
    cell[$1, l, $mcol, $xc] = c
  }
  END {
    if (bad) exit 2
    for (j in fixed) if (!seenw[j]) fail("no point with " hdr[j] "=" fixed[j] " in " FILENAME)
    nm = split(metrics, m, " ")
    for (k = 1; k <= nm; k++) if (!(m[k] in known_m)) fail("no metric " m[k] " in " FILENAME)
    if (policies != "") {
      np = split(policies, porder, ",")
      for (k = 1; k <= np; k++) if (!(porder[k] in known_p)) fail("no policy " porder[k] " in " FILENAME)
    }
    # Columns in numeric order when every value is a number, else as met.
    num = 1; for (k = 1; k <= nx; k++) if (!isnum(xs[k])) num = 0
    if (num) for (a = 2; a <= nx; a++) for (b = a; b > 1 && xs[b - 1] + 0 > xs[b] + 0; b--) {
      tmp = xs[b]; xs[b] = xs[b - 1]; xs[b - 1] = tmp
    }
    xname = hdr[xc]; sub(/.*\./, "", xname)
    nc = 1 + nl + 1 + nx; r = 0
    t[r, 1] = "policy"
    for (i = 1; i <= nl; i++) { t[r, 1 + i] = hdr[lab[i]]; sub(/.*\./, "", t[r, 1 + i]) }
    t[r, 2 + nl] = "metric \\ " xname
    for (k = 1; k <= nx; k++) t[r, 2 + nl + k] = xs[k]
    for (p = 1; p <= np; p++) {
      P = porder[p]
      for (q = 1; q <= nlab[P]; q++) {
        l = labs[P, q]; split(substr(l, 2), lv, SUBSEP)
        for (k = 1; k <= nm; k++) {
          r++
          t[r, 1] = P
          for (i = 1; i <= nl; i++) t[r, 1 + i] = lv[i]
          t[r, 2 + nl] = m[k] (unit != "" ? " (" unit ")" : "")
          for (x = 1; x <= nx; x++)
            t[r, 2 + nl + x] = ((P, l, m[k], xs[x]) in cell) ? cell[P, l, m[k], xs[x]] : "-"
        }
      }
    }
    for (j = 1; j <= nc; j++) {
      wd[j] = 0
      for (i = 0; i <= r; i++) { n = dlen(t[i, j]); if (n > wd[j]) wd[j] = n }
    }
    for (i = 0; i <= r; i++) {
      s = ""
      for (j = 1; j <= nc; j++) {
        pad = sprintf("%" (wd[j] - dlen(t[i, j])) "s", "")
        s = s (j > 1 ? "  " : "") (j <= 2 + nl ? t[i, j] pad : pad t[i, j])
      }
      sub(/ +$/, "", s)
      print s
    }
  }' "$csv"
