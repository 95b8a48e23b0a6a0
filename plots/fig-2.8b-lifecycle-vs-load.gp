# Thesis figures 2.7b and 2.8b: live-migration, create and destroy time
# against the back-end load on dom0, one line per policy, mean and 95% CI over
# seeds (plots/specs/fig-2.8b-lifecycle-vs-load.spec).
# Call: gnuplot -e "summary='OUTDIR/summary.csv'; outbase='figures/fig-2.8b-lifecycle-vs-load'" plots/fig-2.8b-lifecycle-vs-load.gp
# Writes outbase.png (pngcairo) and outbase.svg.
#
# x: the back-end work the six I/O guests cause, summed (ld*.cpu.dom0_work_cores)
# over dom0's two vCPUs, in %: under native it is the load they put on dom0
# (h0.dom0.main.cpu_load less the lifecycle operations' own work), under closer
# the same work done in the secondary containers.  Each policy's own runs.
if (!exists("summary")) summary = "results/sweeps/fig-2.8b-lifecycle-vs-load/summary.csv"
if (!exists("outbase")) outbase = "figures/fig-2.8b-lifecycle-vs-load"
system(sprintf("mkdir -p -- \"$(dirname -- '%s')\"", outbase))
load system("dirname -- '".ARG0."'")."/policies.gp"
policies = policies_in(summary)
vcpus = 2
set datafile missing "NA"
# "x mean ci95_low ci95_high" of metric m under policy p, one row per swept
# value, columns found by the header's names.
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
set xlabel "back-end load on dom0 (% of its 2 vCPUs)"
set xrange [0:100]
set yrange [0:*]
set style data yerrorlines
do for [t in "pngcairo svg"] {
    if (t eq "pngcairo") { set terminal pngcairo size 1500,480 font ",10"; set output outbase.".png" }
    if (t eq "svg") { set terminal svg size 1500,480 font ",10"; set output outbase.".svg" }
    set multiplot layout 1,3 title "Thesis figs. 2.7b/2.8b: lifecycle operations against dom0 load (".ci_note(summary).")"
    set title "live migration of vm1 (1 GiB, 10 Gb/s)"
    set ylabel "total migration time (s)"
    plot for [p in policies] rows(p, "vm1.migration.total_s") using 1:2:3:4 lw 2 lc rgb pcol(p) dt pdt(p) pt ppt(p) title ptitle(p)
    set title "create of a 2 GiB guest"
    set ylabel "create time (s)"
    plot for [p in policies] rows(p, "new.create_s") using 1:2:3:4 lw 2 lc rgb pcol(p) dt pdt(p) pt ppt(p) title ptitle(p)
    set title "destroy of a 2 GiB guest"
    set ylabel "destroy time (s)"
    plot for [p in policies] rows(p, "old.destroy_s") using 1:2:3:4 lw 2 lc rgb pcol(p) dt pdt(p) pt ppt(p) title ptitle(p)
    unset multiplot
    set output
}
