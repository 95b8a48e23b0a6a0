# Thesis figure 4.1b: live-migration time against the load on dom0's main
# container, every policy of the sweep, mean and 95% CI over seeds
# (plots/specs/fig-4.1b-migration-vs-main-load.spec).
# Call: gnuplot -e "summary='OUTDIR/summary.csv'; outbase='figures/fig-4.1b-migration-vs-main-load'" plots/fig-4.1b-migration-vs-main-load.gp
# Writes outbase.png (pngcairo) and outbase.svg.
#
# x: the back-end work the six I/O guests cause (sum of ld*.cpu.dom0_work_cores)
# over the main container's two vCPUs, in %: the load it carries under native;
# under closer the same guests' back ends run in the secondary containers (and
# cost less: local memory).  The right panel shows the main container's own
# measured load (h0.dom0.main.cpu_load) against the same x.
if (!exists("summary")) summary = "results/sweeps/fig-4.1b-migration-vs-main-load/summary.csv"
if (!exists("outbase")) outbase = "figures/fig-4.1b-migration-vs-main-load"
system(sprintf("mkdir -p -- \"$(dirname -- '%s')\"", outbase))
load system("dirname -- '".ARG0."'")."/policies.gp"
policies = policies_in(summary)
vcpus = 2
set datafile missing "NA"
rows(p, m) = sprintf("< awk -F, -v p='%s' -v m='%s' -v v=%d '" . \
  "NR == 1 { for (i = 1; i <= NF; i++) if ($i == \"metric\") mc = i; next }" . \
  "$1 != p { next }" . \
  "{ k = $2; if (!(k in seen)) { seen[k] = 1; ord[++n] = k } }" . \
  "index($mc, \"ld\") == 1 && index($mc, \".cpu.dom0_work_cores\") { x[k] += $(mc + 2) }" . \
  "$mc == m { y[k] = $(mc + 2); lo[k] = $(mc + 4); hi[k] = $(mc + 5) }" . \
  "END { for (i = 1; i <= n; i++) { k = ord[i]; if (k in y) print 100 * x[k] / v, y[k], lo[k], hi[k] } }' '%s'", \
  p, m, vcpus, summary)
set grid
set key top left
set xlabel "guests' back-end work (% of the main container's 2 vCPUs)"
set xrange [0:100]
set style data yerrorlines
do for [t in "pngcairo svg"] {
    if (t eq "pngcairo") { set terminal pngcairo size 1100,460 font ",10"; set output outbase.".png" }
    if (t eq "svg") { set terminal svg size 1100,460 font ",10"; set output outbase.".svg" }
    set multiplot layout 1,2 title "Thesis fig. 4.1b: migration time against the main container's load (".ci_note(summary).")"
    set title "live migration of vm1 (1 GiB, 10 Gb/s)"
    set ylabel "total migration time (s)"
    set yrange [0:*]
    plot for [p in policies] rows(p, "vm1.migration.total_s") using 1:2:3:4 lw 2 lc rgb pcol(p) dt pdt(p) pt ppt(p) title ptitle(p)
    set title "main container's measured load"
    set ylabel "main container CPU load (%)"
    set yrange [0:100]
    plot for [p in policies] rows(p, "h0.dom0.main.cpu_load") using 1:($2*100):($3*100):($4*100) lw 2 lc rgb pcol(p) dt pdt(p) pt ppt(p) title ptitle(p)
    unset multiplot
    set output
}
