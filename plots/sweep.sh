#!/usr/bin/env bash
# Parameter sweeps of dom0sim: expand a grid, run it with GNU
# parallel, resumably, then merge the results into tidy CSV.
#
# Usage: plots/sweep.sh SPEC OUTDIR [--jobs N] [--sshloginfile FILE]
#                       [--dry-run] [--no-merge]
#
#   SPEC     a sweep spec (format: plots/README.md, "Sweeps"): one scenario,
#            policies, `param KEY VALUE...` lines, fixed `set KEY VALUE`
#            lines, seeds, and the metrics to keep.
#   OUTDIR   gets jobs.txt (one run per line, ids r0001... in grid order),
#            grid.tsv, params/<id>.args (the run's dom0sim arguments, one a
#            line), runs/<id>/ (each run's dom0sim -o directory, renamed into
#            place only when the run is complete), joblog (GNU parallel's),
#            and after the merge results.csv and summary.csv.
#
#   --jobs N             parallel job slots (default: one per local CPU thread;
#                        with --sshloginfile, per machine)
#   --sshloginfile FILE  run on the machines listed in FILE (GNU parallel's
#                        format; ':' is this machine).  Assumes a shared
#                        filesystem: OUTDIR, this repository and the dom0sim
#                        binary at the same absolute paths everywhere.
#   --dry-run            expand and check the grid only (e.g. for Slurm:
#                        plots/sweep.slurm), print what would run
#   --no-merge           do not run plots/sweep-merge.sh at the end
#
# Running it again on the same OUTDIR resumes: runs already complete are
# never started again, runs that failed or were killed are run again, so a
# killed sweep ends with exactly one result per run.  The spec must expand
# to the same grid as before (else exit 2: use a new OUTDIR).
#
# Exit status: 0 all runs complete (and merged), 1 some runs failed or
# the merge failed, 2 bad usage or bad spec.
# Environment: DOM0SIM, the dom0sim binary (default: build/dom0sim).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNNER=$ROOT/plots/sweep-run.sh
die() { echo "sweep.sh: $*" >&2; exit 2; }

SPEC="" OUT="" JOBS="" SSHLOGIN="" DRY=false MERGE=true
while [ $# -gt 0 ]; do
  case "$1" in
    --jobs|-j) [ $# -ge 2 ] || die "$1 needs a value"; JOBS=$2; shift 2 ;;
    --jobs=*) JOBS=${1#*=}; shift ;;
    --sshloginfile) [ $# -ge 2 ] || die "$1 needs a value"; SSHLOGIN=$2; shift 2 ;;
    --sshloginfile=*) SSHLOGIN=${1#*=}; shift ;;
    --dry-run|-n) DRY=true; shift ;;
    --no-merge) MERGE=false; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *)
      if [ -z "$SPEC" ]; then SPEC=$1
      elif [ -z "$OUT" ]; then OUT=$1
      else die "unexpected argument '$1' (see --help)"; fi
      shift ;;
  esac
done
[ -n "$SPEC" ] && [ -n "$OUT" ] || die "usage: sweep.sh SPEC OUTDIR [--jobs N] [--sshloginfile FILE] [--dry-run] [--no-merge]"
[ -f "$SPEC" ] && [ -r "$SPEC" ] || die "$SPEC: cannot read the spec"
[ -z "$JOBS" ] || [[ "$JOBS" =~ ^[1-9][0-9]*$ ]] || die "--jobs $JOBS: expected a positive integer"
[ -z "$SSHLOGIN" ] || [ -r "$SSHLOGIN" ] || die "--sshloginfile $SSHLOGIN: cannot read it"
BIN=${DOM0SIM:-$ROOT/build/dom0sim}
case "$BIN" in /*) ;; *) BIN=$PWD/$BIN ;; esac
HAVE_BIN=true
[ -x "$BIN" ] || HAVE_BIN=false
$HAVE_BIN || $DRY || die "$BIN: no dom0sim binary (build it, or set DOM0SIM)"
$DRY || command -v parallel >/dev/null || die "GNU parallel is not installed (apt-get install -y parallel)"

SPECDIR=$(cd "$(dirname "$SPEC")" && pwd)

# ---- 1. parse and expand the spec (awk; messages are SPEC:LINE: ...) ----
# (into a temporary directory: a bad spec leaves OUTDIR untouched)
NEW=$(mktemp -d "${TMPDIR:-/tmp}/dom0sim-sweep.XXXXXX")
trap 'rm -rf "$NEW"' EXIT
mkdir -p "$NEW/params"
awk -v spec="$SPEC" -v new="$NEW" '
function err(msg) { printf "%s:%d: %s\n", spec, NR, msg > "/dev/stderr"; failed = 1; exit 2 }
# Splits a line into tok[1..ntok]: whitespace separates, '"'"'...'"'"' quotes
# (literally, spaces and # included), # at the start of a word comments.
function tokenize(s,    i, c, cur, inq, have) {
  ntok = 0; cur = ""; inq = 0; have = 0
  for (i = 1; i <= length(s); i++) {
    c = substr(s, i, 1)
    if (inq) {
      if (c == SQ) inq = 0
      else if (c == "\t") err("tab inside quotes")
      else cur = cur c
    } else if (c == " " || c == "\t" || c == "\r") {
      if (have) { tok[++ntok] = cur; cur = ""; have = 0 }
    } else if (c == "#" && !have) {
      break
    } else if (c == SQ) {
      inq = 1; have = 1
    } else {
      cur = cur c; have = 1
    }
  }
  if (inq) err("unterminated quote")
  if (have) tok[++ntok] = cur
}
function keyok(k) { return k ~ /^[A-Za-z_][A-Za-z0-9_]*(\[[0-9]+\])*(\.[A-Za-z_][A-Za-z0-9_]*(\[[0-9]+\])*)*$/ }
function tsvq(s) { gsub(/\t/, " ", s); return s }
BEGIN { SQ = sprintf("%c", 39); nparam = 0; nset = 0; npol = 0; nseed = 0; nmet = 0 }
{
  tokenize($0)
  if (ntok == 0) next
  d = tok[1]
  if (d == "scenario") {
    if (scen_line) err("second scenario line (first on line " scen_line ")")
    if (ntok != 2) err("scenario: expected one path")
    scenario = tok[2]; scen_line = NR
  } else if (d == "policy" || d == "policies") {
    if (pol_line) err("second policy line (first on line " pol_line ")")
    if (ntok < 2) err("policy: expected one or more policy names")
    pol_line = NR
    for (i = 2; i <= ntok; i++) {
      if (tok[i] !~ /^[A-Za-z0-9_.-]+$/) err("policy: bad name " SQ tok[i] SQ)
      if (tok[i] in seenpol) err("policy " tok[i] " listed twice")
      seenpol[tok[i]] = 1; pol[++npol] = tok[i]
    }
  } else if (d == "param") {
    if (ntok < 3) err("param: expected a key path and one or more values")
    k = tok[2]
    if (!keyok(k)) err("param: bad key path " SQ k SQ " (expected e.g. vms[1].workload.rate_per_s)")
    if (k in keyline) err("key " k " already used on line " keyline[k])
    if (k == "policy" || k == "seed") err("param " k ": use the " k (k == "seed" ? "s" : "") " line instead")
    keyline[k] = NR; nparam++; pkey[nparam] = k; pline[nparam] = NR; pn[nparam] = ntok - 2
    delete seenv
    for (i = 3; i <= ntok; i++) {
      if (tok[i] in seenv) err("param " k ": value " SQ tok[i] SQ " listed twice")
      seenv[tok[i]] = 1; pval[nparam, i - 2] = tok[i]
    }
  } else if (d == "set") {
    if (ntok != 3) err("set: expected a key path and one value (quote a value with spaces in single quotes)")
    k = tok[2]
    if (!keyok(k)) err("set: bad key path " SQ k SQ)
    if (k in keyline) err("key " k " already used on line " keyline[k])
    keyline[k] = NR; nset++; skey[nset] = k; sval[nset] = tok[3]; sline[nset] = NR
  } else if (d == "seeds" || d == "seed") {
    if (seed_line) err("second seeds line (first on line " seed_line ")")
    if (ntok < 2) err("seeds: expected one or more seeds (N or A..B)")
    seed_line = NR
    for (i = 2; i <= ntok; i++) {
      if (tok[i] ~ /^[0-9]+$/) { lo = tok[i]; hi = tok[i] }
      else if (tok[i] ~ /^[0-9]+\.\.[0-9]+$/) {
        split(tok[i], ab, /\.\./); lo = ab[1]; hi = ab[2]
        if (lo + 0 > hi + 0) err("seeds: empty range " tok[i])
      } else err("seeds: " SQ tok[i] SQ " is not a non-negative integer or range A..B")
      if (length(hi) > 15) err("seeds: " tok[i] " is too large for this script")
      for (s = lo + 0; s <= hi + 0; s++) {
        sk = sprintf("%d", s)
        if (sk in seenseed) err("seed " sk " listed twice")
        seenseed[sk] = 1; seed[++nseed] = sk
      }
    }
  } else if (d == "metrics" || d == "metric") {
    if (ntok < 2) err("metrics: expected one or more metric names (* matches any characters)")
    for (i = 2; i <= ntok; i++) {
      if (tok[i] ~ /[\t,"]/) err("metrics: bad name " SQ tok[i] SQ)
      met[++nmet] = tok[i]; metline[nmet] = NR
    }
  } else {
    err("unknown directive " SQ d SQ " (expected scenario, policy, param, set, seeds or metrics)")
  }
}
END {
  if (failed) exit 2
  if (!scen_line) { printf "%s: no scenario line (e.g. scenario scenarios/io-web.json)\n", spec > "/dev/stderr"; exit 2 }
  # meta: scenario path and the line numbers the shell needs for messages
  printf "%s\t%d\n", scenario, scen_line > (new "/scenario")
  for (i = 1; i <= nmet; i++) printf "%d\t%s\n", metline[i], met[i] > (new "/metrics.txt")
  if (!nmet) printf "" > (new "/metrics.txt")
  # checks.tsv: LINE TAB WHAT TAB dom0sim arguments... (the shell runs
  # dom0sim --validate with them, sets included, scenario appended)
  sets = ""
  for (i = 1; i <= nset; i++) {
    sets = sets "\t--set\t" skey[i] "=" sval[i]
    printf "%d\tset %s %s%s\n", sline[i], skey[i], sval[i], sets > (new "/checks.tsv")
  }
  for (i = 1; i <= npol; i++)
    printf "%d\tpolicy %s%s\t--policy\t%s\n", pol_line, pol[i], sets, pol[i] > (new "/checks.tsv")
  for (p = 1; p <= nparam; p++)
    for (v = 1; v <= pn[p]; v++)
      printf "%d\tparam %s %s%s\t--set\t%s=%s\n", pline[p], pkey[p], pval[p, v], sets, pkey[p], pval[p, v] > (new "/checks.tsv")
  printf "" > (new "/checks.tsv")
  # The grid: policies x params (in spec order) x seeds, seeds innermost.
  if (!npol) { npol = 1; pol[1] = "" }
  if (!nseed) { nseed = 1; seed[1] = "" }
  total = npol * nseed
  for (p = 1; p <= nparam; p++) total *= pn[p]
  if (total > 9999999) { printf "%s: the grid has %d runs; more than this script is meant for\n", spec, total > "/dev/stderr"; exit 2 }
  width = length(total "") < 4 ? 4 : length(total "")
  hdr = "run_id\tpolicy\tseed"
  for (p = 1; p <= nparam; p++) hdr = hdr "\t" pkey[p]
  print hdr > (new "/grid.tsv")
  n = 0
  for (ip = 1; ip <= npol; ip++) {
    for (p = 1; p <= nparam; p++) idx[p] = 1
    while (1) {
      for (is = 1; is <= nseed; is++) {
        id = sprintf("r%0" width "d", ++n)
        line = id; row = id "\t" pol[ip] "\t" seed[is]
        args = new "/params/" id ".args"
        if (pol[ip] != "") { line = line "\tpolicy=" pol[ip]; print "--policy" > args; print pol[ip] > args }
        for (p = 1; p <= nparam; p++) {
          line = line "\t" pkey[p] "=" tsvq(pval[p, idx[p]]); row = row "\t" tsvq(pval[p, idx[p]])
        }
        if (seed[is] != "") { line = line "\tseed=" seed[is]; print "--seed" > args; print seed[is] > args }
        for (i = 1; i <= nset; i++) { print "--set" > args; print skey[i] "=" sval[i] > args }
        for (p = 1; p <= nparam; p++) { print "--set" > args; print pkey[p] "=" pval[p, idx[p]] > args }
        print "@SCENARIO@" > args
        close(args)
        print line > (new "/jobs.txt")
        print row > (new "/grid.tsv")
      }
      # odometer over the params, last one fastest
      for (p = nparam; p >= 1; p--) {
        if (idx[p] < pn[p]) { idx[p]++; break }
        idx[p] = 1
      }
      if (p < 1) break
    }
  }
}' "$SPEC" || exit 2

# The scenario: relative paths are tried against the current directory,
# the spec's directory, then the repository root.
IFS=$'\t' read -r SCEN SCENLINE <"$NEW/scenario"
SCENABS=""
case "$SCEN" in
  /*) [ -f "$SCEN" ] && SCENABS=$SCEN ;;
  *) for base in "$PWD" "$SPECDIR" "$ROOT"; do
       if [ -f "$base/$SCEN" ]; then SCENABS=$(cd "$(dirname "$base/$SCEN")" && pwd)/$(basename "$SCEN"); break; fi
     done ;;
esac
[ -n "$SCENABS" ] || { echo "$SPEC:$SCENLINE: scenario $SCEN: no such file (tried relative to ., $SPECDIR and $ROOT)" >&2; exit 2; }
# Put the absolute scenario path into every run's arguments.
SCENSED=$(printf "%s" "$SCENABS" | sed 's/[|&\]/\\&/g')
find "$NEW/params" -name "*.args" -exec sed -i "s|^@SCENARIO@\$|$SCENSED|" {} +

# ---- 2. check every policy, set and param value with dom0sim --validate ----
if $HAVE_BIN; then
  if ! "$BIN" --validate "$SCENABS" >"$NEW/validate.out" 2>&1; then
    echo "$SPEC:$SCENLINE: scenario $SCEN is not valid:" >&2; sed 's/^/  /' "$NEW/validate.out" >&2; exit 2
  fi
  while IFS=$'\t' read -r -a chk; do
    if ! "$BIN" --validate "${chk[@]:2}" "$SCENABS" >"$NEW/validate.out" 2>&1; then
      echo "$SPEC:${chk[0]}: ${chk[1]}: rejected by dom0sim:" >&2
      sed 's/^/  /' "$NEW/validate.out" >&2
      exit 2
    fi
  done <"$NEW/checks.tsv"
else
  echo "sweep.sh: $BIN not found: spec values not checked by dom0sim --validate" >&2
fi

# ---- 3. install the expansion, or check it is the one already there ----
mkdir -p "$OUT" || die "cannot create $OUT"
OUT=$(cd "$OUT" && pwd)

# One sweep at a time per OUTDIR: two would start the same runs.
if command -v flock >/dev/null; then
  exec 9>"$OUT/.lock"
  if ! flock -n 9; then
    # GNU parallel gives each run its own process group, so runs of a sweep
    # killed with its process group keep going (and keep the lock): wait.
    echo "sweep.sh: $OUT: waiting for another sweep, or the runs still going of a killed one, to end (processes holding $OUT/.lock)" >&2
    flock 9
  fi
fi

NRUNS=$(wc -l <"$NEW/jobs.txt")
if [ -f "$OUT/jobs.txt" ]; then
  if ! cmp -s "$NEW/jobs.txt" "$OUT/jobs.txt" || ! cmp -s "$NEW/grid.tsv" "$OUT/grid.tsv" ||
     ! diff -r -q "$NEW/params" "$OUT/params" >/dev/null 2>&1; then
    die "$OUT was expanded from a different spec or scenario path (jobs.txt/params differ); use a new OUTDIR, or delete $OUT to start over"
  fi
else
  # A fresh OUTDIR: params first, jobs.txt last (its presence marks a
  # complete expansion).
  rm -rf "$OUT/params" "$OUT/grid.tsv" "$OUT/joblog"
  mv "$NEW/params" "$OUT/params"
  mv "$NEW/grid.tsv" "$OUT/grid.tsv"
  mv "$NEW/jobs.txt" "$OUT/jobs.txt"
fi
# The metrics and the spec itself only matter to the merge: always update.
mv -f "$NEW/metrics.txt" "$OUT/metrics.txt"
cp "$SPEC" "$OUT/spec.txt.tmp.$$" && mv -f "$OUT/spec.txt.tmp.$$" "$OUT/spec.txt"
mkdir -p "$OUT/runs"

# Missing runs, with their line numbers in jobs.txt (= Slurm array indices).
missing_runs() {
  local n=0 id rest
  while IFS=$'\t' read -r id rest; do
    n=$((n + 1))
    [ -f "$OUT/runs/$id/summary.json" ] || printf '%d\t%s\n' "$n" "$id"
  done <"$OUT/jobs.txt"
}
# 1 2 3 5 -> 1-3,5
ranges() {
  awk '{ if (NR > 1 && $1 == prev + 1) { prev = $1; next }
         if (NR > 1) s = s (s == "" ? "" : ",") (start == prev ? start : start "-" prev)
         start = prev = $1 }
       END { if (NR) s = s (s == "" ? "" : ",") (start == prev ? start : start "-" prev); print s }'
}

if $DRY; then
  missing_runs >"$NEW/missing"
  nmiss=$(wc -l <"$NEW/missing")
  echo "sweep.sh: $NRUNS runs in $OUT/jobs.txt; $((NRUNS - nmiss)) complete, $nmiss to run"
  if [ "$nmiss" -gt 0 ]; then
    echo "  run them here:   plots/sweep.sh $SPEC $OUT"
    echo "  or with Slurm:   sbatch --array=$(cut -f1 "$NEW/missing" | ranges) --export=ALL,SWEEP_OUT=$OUT,SWEEP_ROOT=$ROOT $ROOT/plots/sweep.slurm"
    [ "$NRUNS" -le 1000 ] || echo "  (past the cluster's MaxArraySize, often 1001, submit slices: SWEEP_OFFSET in plots/sweep.slurm)"
  fi
  exit 0
fi

# ---- 4. run ----
# Leftovers of runs killed mid-way (their staging directories); we hold the
# lock, so no run of this sweep is in progress.
find "$OUT/runs" -mindepth 1 -maxdepth 1 -name '.*.part.*' -exec rm -rf {} +
# A joblog line cut short by a kill would confuse --resume-failed: keep
# only complete lines.
if [ -s "$OUT/joblog" ] && [ -n "$(tail -c1 "$OUT/joblog")" ]; then
  sed '$d' "$OUT/joblog" >"$OUT/joblog.tmp" && mv -f "$OUT/joblog.tmp" "$OUT/joblog"
fi

# --resume-failed, not --resume: --resume skips every job in the joblog,
# including one whose dom0sim was killed or failed (it is logged with its
# signal or exit status), so its run would be lost.  --resume-failed runs
# those again and every job not in the joblog (running when the sweep was
# killed).  Runs complete but not logged (killed between the two) are
# skipped by sweep-run.sh itself, which finds their summary.json.
popts=(--joblog "$OUT/joblog" --resume-failed --colsep '\t' --tagstring '{1}' -q)
[ -z "$JOBS" ] || popts+=(--jobs "$JOBS")
[ -z "$SSHLOGIN" ] || popts+=(--sshloginfile "$SSHLOGIN" --env DOM0SIM)
[ -t 2 ] && popts+=(--bar)
export DOM0SIM=$BIN
set +e
parallel "${popts[@]}" "$RUNNER" "$OUT" '{1}' :::: "$OUT/jobs.txt"
set -e

missing_runs >"$NEW/missing"
nmiss=$(wc -l <"$NEW/missing")
if [ "$nmiss" -gt 0 ]; then
  echo "sweep.sh: $nmiss of $NRUNS runs have no result ($(cut -f2 "$NEW/missing" | head -5 | tr '\n' ' ')...); see their errors above and $OUT/joblog; run the same command again to retry them" >&2
  exit 1
fi
echo "sweep.sh: all $NRUNS runs complete in $OUT/runs"
if $MERGE; then
  exec "$ROOT/plots/sweep-merge.sh" "$OUT"
fi
