# Thesis figure 2.9b: live-migration time of a guest on socket 1 against the
# source dom0's socket, mean and 95% CI over seeds
# (plots/specs/fig-2.9b-migration-socket.spec).
# Call: gnuplot -e "summary='OUTDIR/summary.csv'; outbase='figures/fig-2.9b-migration-socket'" plots/fig-2.9b-migration-socket.gp
# Writes outbase.png (pngcairo) and outbase.svg.
# Lines: native with dom0 on socket 0 (remote from the guest), native with
# dom0 on socket 1 (co-located), and every other policy of the sweep from
# its socket-0 runs (they ignore policy_params.native.socket); styles from
# plots/policies.gp.
if (!exists("summary")) summary = "results/sweeps/fig-2.9b-migration-socket/summary.csv"
if (!exists("outbase")) outbase = "figures/fig-2.9b-migration-socket"
system(sprintf("mkdir -p -- \"$(dirname -- '%s')\"", outbase))
set datafile missing "NA"
load system("dirname -- '".ARG0."'")."/policies.gp"
# Every policy but native from its socket-0 runs (they ignore native.socket).
others = policies_in(summary)
others = system(sprintf("echo ' %s ' | sed 's/ native / /'", others))
rows(p, s, m) = sprintf("< awk -F, -v p='%s' -v s='%s' -v m='%s' '" . \
  "NR == 1 { for (i = 1; i <= NF; i++) { if ($i == \"metric\") mc = i; if ($i == \"policy_params.native.socket\") sc = i } next }" . \
  "$1 == p && $sc == s && $mc == m { print $3, $(mc + 2), $(mc + 4), $(mc + 5) }' '%s'", p, s, m, summary)
set grid
set key top left
set xlabel "guest memory (GiB)"
set ylabel "total migration time (s)"
set xrange [0:*]
set yrange [0:*]
set style data yerrorlines
set title "Thesis fig. 2.9b: migrating a guest on socket 1 against the source dom0's socket\n(10 Gb/s, 64 MiB working set dirtied at 5000 pages/s; ".ci_note(summary).")"
do for [t in "pngcairo svg"] {
    if (t eq "pngcairo") { set terminal pngcairo size 800,520 font ",10"; set output outbase.".png" }
    if (t eq "svg") { set terminal svg size 800,520 font ",10"; set output outbase.".svg" }
    plot rows("native", "0", "vm1.migration.total_s") using ($1/1024):2:3:4 lw 2 lc rgb pcol("native") dt 1 pt ppt("native") title "native, dom0 on socket 0 (remote)", \
         rows("native", "1", "vm1.migration.total_s") using ($1/1024):2:3:4 lw 2 lc rgb pcol("native") dt 5 pt 4 title "native, dom0 on socket 1 (co-located)", \
         for [p in others] rows(p, "0", "vm1.migration.total_s") using ($1/1024):2:3:4 lw 2 lc rgb pcol(p) dt pdt(p) pt ppt(p) title ptitle(p)
    set output
}
