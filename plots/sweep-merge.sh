#!/usr/bin/env bash
# Merge a sweep's runs (plots/sweep.sh) into two tidy CSV files.
#
# Usage: plots/sweep-merge.sh OUTDIR [--allow-missing]
#
#   OUTDIR/results.csv   one row per run x metric:
#                        run_id,policy,seed,<one column per swept key>,metric,value
#   OUTDIR/summary.csv   one row per group of runs differing only in their
#                        seed, x metric:
#                        policy,<swept keys>,metric,n,mean,sd,ci95_low,ci95_high,
#                        deterministic
#
# policy and seed are those summary.json reports (the scenario's own when
# the spec names none); swept columns hold the spec's values, verbatim.
# Metrics are the spec's `metrics` (all of summary.json's if none); a
# metric that is NaN or infinite (JSON null) is written as NA and left out
# of n.  sd is the sample standard deviation; the 95% confidence interval
# is mean -/+ t(0.975, n-1) sd / sqrt(n), Student's t exact to 9 digits for
# n-1 <= 30 and a Cornish-Fisher expansion beyond (error < 1e-4); with n < 2
# sd and the interval are NA.  deterministic is "yes" when n >= 2 and every
# run printed the same value (the model drew no random number that reached
# this metric): then mean is that value, sd 0 and both ends of the interval
# equal the mean exactly, and figures draw the point without an error bar;
# "no" otherwise, NA with n < 2.  Fields are quoted as RFC 4180 says (a JSON
# value's commas and quotes).  Both files are written under temporary
# names and renamed.
#
# Exit status: 0 ok, 1 runs without a result (unless --allow-missing: they
# are left out) or a spec metric found in no run, 2 bad usage.
set -euo pipefail
die() { echo "sweep-merge.sh: $*" >&2; exit 2; }
OUT="" ALLOW=false
for a in "$@"; do
  case "$a" in
    --allow-missing) ALLOW=true ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    -*) die "unknown option '$a' (see --help)" ;;
    *) [ -z "$OUT" ] || die "unexpected argument '$a'"; OUT=$a ;;
  esac
done
[ -n "$OUT" ] || die "usage: sweep-merge.sh OUTDIR [--allow-missing]"
[ -f "$OUT/grid.tsv" ] && [ -f "$OUT/jobs.txt" ] || die "$OUT: not a sweep directory (no grid.tsv/jobs.txt; run plots/sweep.sh first)"
[ -f "$OUT/metrics.txt" ] || : >"$OUT/metrics.txt"

# The runs, in grid order, and which have a result.
LIST=$(mktemp "$OUT/.merge.XXXXXX")
TMPR=$OUT/results.csv.tmp.$$
TMPS=$OUT/summary.csv.tmp.$$
trap 'rm -f "$LIST" "$TMPR" "$TMPS"' EXIT
missing=0 first=""
while IFS=$'\t' read -r id _; do
  if [ -f "$OUT/runs/$id/summary.json" ]; then
    printf '%s\n' "$id" >>"$LIST"
  else
    missing=$((missing + 1)); [ -n "$first" ] || first=$id
  fi
done <"$OUT/jobs.txt"
if [ "$missing" -gt 0 ]; then
  if $ALLOW; then
    echo "sweep-merge.sh: leaving out $missing runs without a result (first: $first)" >&2
  else
    echo "sweep-merge.sh: $missing runs have no result yet (first: $first); finish the sweep (run plots/sweep.sh again) or pass --allow-missing" >&2
    exit 1
  fi
fi
[ -s "$LIST" ] || { echo "sweep-merge.sh: $OUT: no run has a result" >&2; exit 1; }

# Files to awk: metrics.txt, grid.tsv, then each run's summary.json; the
# run a summary.json belongs to is its directory's name.
SWEEP_OUT_DIR=$OUT awk '{ print ENVIRON["SWEEP_OUT_DIR"] "/runs/" $0 "/summary.json" }' "$LIST" >"$LIST.files"
trap 'rm -f "$LIST" "$LIST.files" "$TMPR" "$TMPS"' EXIT

TQUANTILE=$(cat "$(dirname "$0")/tquantile.awk")
awk -v results="$TMPR" -v summary="$TMPS" -v metricsfile="$OUT/metrics.txt" \
    -v gridfile="$OUT/grid.tsv" -v listfile="$LIST.files" "$TQUANTILE"'
function csv(s) {
  if (s ~ /[",\r\n]/ || s ~ /^[ \t]/ || s ~ /[ \t]$/) { gsub(/"/, "\"\"", s); return "\"" s "\"" }
  return s
}
# glob (only * is special) -> anchored regular expression
function glob2re(g,    i, c, r) {
  r = "^"
  for (i = 1; i <= length(g); i++) {
    c = substr(g, i, 1)
    if (c == "*") r = r ".*"
    else if (c ~ /[][\\^$.|?+(){}]/) r = r "\\" c
    else r = r c
  }
  return r "$"
}
function unescape(s,    out, i, c, n) {
  out = ""
  for (i = 1; i <= length(s); i++) {
    c = substr(s, i, 1)
    if (c == "\\") {
      n = substr(s, ++i, 1)
      if (n == "n") out = out "\n"; else if (n == "t") out = out "\t"
      else if (n == "r") out = out "\r"; else if (n == "b") out = out "\b"
      else if (n == "f") out = out "\f"; else if (n == "u") { out = out "\\u"; }
      else out = out n
    } else out = out c
  }
  return out
}
# Appends the JSON tokens of one line of text to T[1..NT] (type in TT: s
# string, n number or literal, p punctuation).  Line by line, so any
# layout works as long as no token spans lines (JSON strings cannot).
function lex(text, file) {
  while (length(text) > 0) {
    if (match(text, /^[ \t\r]+/)) { text = substr(text, RLENGTH + 1); continue }
    if (match(text, /^"([^"\\]|\\.)*"/)) {
      T[++NT] = unescape(substr(text, 2, RLENGTH - 2)); TT[NT] = "s"
    } else if (match(text, /^-?[0-9][0-9]*(\.[0-9]+)?([eE][-+]?[0-9]+)?/) ||
               match(text, /^(true|false|null|-?nan|-?inf|-?NaN|-?Infinity)/)) {
      T[++NT] = substr(text, 1, RLENGTH); TT[NT] = "n"
    } else if (match(text, /^[][{}:,]/)) {
      T[++NT] = substr(text, 1, 1); TT[NT] = "p"
    } else {
      printf "sweep-merge.sh: %s: not JSON near \"%s\"\n", file, substr(text, 1, 20) > "/dev/stderr"
      bad = 1; exit 1
    }
    text = substr(text, RLENGTH + 1)
  }
}
# Skips the JSON value starting at token i; returns the index after it.
function skip(i,    depth) {
  if (T[i] == "{" || T[i] == "[") {
    depth = 0
    do {
      if (TT[i] == "p" && (T[i] == "{" || T[i] == "[")) depth++
      else if (TT[i] == "p" && (T[i] == "}" || T[i] == "]")) depth--
      i++
    } while (depth > 0 && i <= NT)
    return i
  }
  return i + 1
}
function fail(file, what) { printf "sweep-merge.sh: %s: %s\n", file, what > "/dev/stderr"; bad = 1; exit 1 }
function num(v) {
  if (v == "null" || v ~ /^-?(nan|inf|NaN|Infinity)$/ || v == "true" || v == "false") return "NA"
  return v
}
function fmt(x) { return sprintf("%.12g", x) }
BEGIN {
  FS = "\t"
  nmet = 0
  while ((getline line < metricsfile) > 0) {
    split(line, f, "\t"); nmet++; mline[nmet] = f[1]; mglob[nmet] = f[2]; mre[nmet] = glob2re(f[2])
  }
  close(metricsfile)
  # grid.tsv: run_id policy seed key...
  getline line < gridfile; nk = split(line, hdr, "\t") - 3
  for (k = 1; k <= nk; k++) key[k] = hdr[k + 3]
  while ((getline line < gridfile) > 0) { split(line, f, "\t"); for (k = 1; k <= nk; k++) gv[f[1], k] = f[k + 3] }
  close(gridfile)
  head = "run_id,policy,seed"; shead = "policy"
  for (k = 1; k <= nk; k++) { head = head "," csv(key[k]); shead = shead "," csv(key[k]) }
  print head ",metric,value" > results
  print shead ",metric,n,mean,sd,ci95_low,ci95_high,deterministic" > summary
  ng = 0
  while ((getline file < listfile) > 0) {
    n = split(file, parts, "/"); id = parts[n - 1]
    delete T; delete TT; NT = 0
    while ((getline line < file) > 0) lex(line, file)
    close(file)
    if (NT < 2 || T[1] != "{") fail(file, "not a JSON object")
    policy = ""; seed = ""; nm = 0
    i = 2
    while (i <= NT && T[i] != "}") {
      if (TT[i] != "s" || T[i + 1] != ":") fail(file, "expected \"key\": at token " i)
      k = T[i]; i += 2
      if (k == "policy" && TT[i] == "s") { policy = T[i]; i++ }
      else if (k == "seed" && TT[i] == "n") { seed = T[i]; i++ }
      else if (k == "metrics") {
        if (T[i] != "{") fail(file, "\"metrics\" is not an object")
        i++
        while (i <= NT && T[i] != "}") {
          if (TT[i] != "s" || T[i + 1] != ":") fail(file, "expected \"name\": in metrics at token " i)
          mname[++nm] = T[i]
          if (TT[i + 2] != "n") fail(file, "metric " T[i] " is not a number")
          mval[nm] = num(T[i + 2]); i += 3
          if (T[i] == ",") i++
        }
        i++
      } else i = skip(i)
      if (T[i] == ",") i++
    }
    if (!nm) fail(file, "no metrics")
    pcols = ""
    for (k = 1; k <= nk; k++) pcols = pcols "," csv(gv[id, k])
    cols = csv(policy) pcols
    for (j = 1; j <= nm; j++) {
      if (nmet) {
        keep = 0
        for (q = 1; q <= nmet; q++) if (mname[j] ~ mre[q]) { keep = 1; used[q] = 1 }
        if (!keep) continue
      }
      print id "," csv(policy) "," seed pcols "," csv(mname[j]) "," mval[j] > results
      g = cols SUBSEP mname[j]
      if (!(g in gidx)) { gidx[g] = ++ng; gcols[ng] = cols; gmet[ng] = mname[j]; gn[ng] = 0; gall[ng] = 0 }
      x = gidx[g]; gall[x]++
      if (mval[j] != "NA") {
        gval[x, ++gn[x]] = mval[j] + 0
        # The same text in every run: the same double (summary.json prints
        # 17 significant digits).
        if (gn[x] == 1) { gtext[x] = mval[j]; gsame[x] = 1 } else if (mval[j] != gtext[x]) gsame[x] = 0
      }
    }
  }
  close(listfile)
  for (q = 1; q <= nmet; q++)
    if (!used[q]) {
      printf "sweep-merge.sh: spec line %d: metric %s: no run has such a metric (see any runs/*/summary.json)\n", mline[q], mglob[q] > "/dev/stderr"
      bad = 1; exit 1
    }
  for (x = 1; x <= ng; x++) {
    n = gn[x]; mean = "NA"; sd = "NA"; lo = "NA"; hi = "NA"; det = "NA"
    if (n > 1 && gsame[x]) {
      # Summing n equal values would leave rounding residue in sd.
      det = "yes"; mean = fmt(gval[x, 1]); sd = 0; lo = mean; hi = mean
    } else if (n > 0) {
      if (n > 1) det = "no"
      s = 0; for (j = 1; j <= n; j++) s += gval[x, j]
      m = s / n; mean = fmt(m)
      if (n > 1) {
        ss = 0; for (j = 1; j <= n; j++) ss += (gval[x, j] - m) ^ 2
        sdv = sqrt(ss / (n - 1)); sd = fmt(sdv)
        h = tq(n - 1) * sdv / sqrt(n)
        lo = fmt(m - h); hi = fmt(m + h)
      }
    }
    print gcols[x] "," csv(gmet[x]) "," n "," mean "," sd "," lo "," hi "," det > summary
  }
}
END { if (bad) exit 1 }' </dev/null || exit 1

mv -f "$TMPR" "$OUT/results.csv"
mv -f "$TMPS" "$OUT/summary.csv"
runs=$(wc -l <"$LIST")
echo "sweep-merge.sh: $runs runs: $OUT/results.csv ($(($(wc -l <"$OUT/results.csv") - 1)) rows), $OUT/summary.csv ($(($(wc -l <"$OUT/summary.csv") - 1)) rows)"
