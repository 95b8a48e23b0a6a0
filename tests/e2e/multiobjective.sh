#!/usr/bin/env bash
# plots/multiobjective.sh end to end on a shortened scenario: bad options
# exit 2, every registered policy has every measure in the tidy CSV with
# values in their ranges, the table is printed, a second run with the same
# seeds writes the same CSV byte for byte, and the four axes tell the
# policies apart as docs/FIGURES.md says.
. "$(dirname "$0")/lib.bash"
S="$SRC/plots/multiobjective.sh"
export DOM0SIM="$BIN"
expect_status 2 "unknown option" -- "$S" --frobnicate
expect_in "$WORK/err" "--frobnicate" "the bad option is named"
expect_status 2 "bad --seeds" -- "$S" --seeds 0
expect_status 2 "bad --set" -- "$S" --out "$WORK/bad" --set duration_s=-1
# A quarter of a simulated second (a tenth under a sanitizer, ~6x slower, or
# valgrind, ~40x): the orderings below already hold at a tenth.
if [ -n "${DOM0SIM_SANITIZED:-}${DOM0SIM_MEMCHECK:-}" ]; then secs=0.1; else secs=0.25; fi
short=(--seeds 2 --set "duration_s=$secs")
expect_status 0 "study" -- "$S" --out "$WORK/a" "${short[@]}"
expect_in "$WORK/out" "billing error" "table printed"
C="$WORK/a/multiobjective.csv"
expect_in "$C" "policy,measure,mean,ci95,n" "CSV header"
for p in $("$BIN" --list-policies | awk '{ print $1 }'); do
  for m in performance performance_cv waste_cores billing_error; do
    row=$(awk -F, -v p="$p" -v m="$m" '$1 == p && $2 == m' "$C")
    if [ -z "$row" ]; then bad "$p,$m missing from the CSV"; continue; fi
    if echo "$row" | awk -F, '{
         lo = 0; hi = ($2 == "performance" ? 1 : ($2 == "billing_error" ? 2 : 1e9))
         exit !($3 >= lo && $3 <= hi && $4 >= 0 && $5 == 2) }'; then ok; else
      bad "$p,$m out of range: $row"
    fi
  done
done
expect_status 0 "study again" -- "$S" --out "$WORK/b" "${short[@]}"
if cmp -s "$C" "$WORK/b/multiobjective.csv"; then ok; else
  bad "same seeds, different CSVs"
  diff "$C" "$WORK/b/multiobjective.csv" | head -5 >&2
fi
val() { awk -F, -v p="$1" -v m="$2" '$1 == p && $2 == m { print $3 }' "$C"; }
expect_gt "$(val closer performance)" "$(val native performance)" \
  "closer serves the guests better than native's two saturated vCPUs"
expect_gt "$(val native performance_cv)" "$(val closer performance_cv)" \
  "native serves identical guests less evenly than closer"
expect_gt "$(val static-socket waste_cores)" "$(val native waste_cores)" \
  "a whole socket wastes more than two vCPUs"
expect_gt "$(val native billing_error)" "$(val closer billing_error)" "closer bills the guests"
expect_gt "$(val closer billing_error)" "$(val closer-rx billing_error)" \
  "closer-rx bills received packets closer to their cause"
finish
