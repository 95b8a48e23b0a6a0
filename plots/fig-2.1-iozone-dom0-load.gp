# Thesis figures 2.1 / 2.7a: dom0's CPU load against the number of IOzone
# guests, every policy of the sweep on the same axes, mean and 95% CI over seeds.
# Sweep: plots/sweep.sh plots/specs/fig-2.1-iozone-dom0-load.spec OUTDIR
# Call:  gnuplot -e "summary='OUTDIR/summary.csv'; outbase='figures/fig-2.1-iozone-dom0-load'" \
#          plots/fig-2.1-iozone-dom0-load.gp
# summary.csv columns: policy,vms[0].count,metric,n,mean,sd,ci95_low,ci95_high
set datafile separator ","
load system("dirname -- '".ARG0."'")."/policies.gp"
policies = policies_in(summary)
sel(p, m) = sprintf("< awk -F, '$1==\"%s\" && $3==\"%s\"' %s", p, m, summary)
set grid
set key top left
set xlabel "IOzone guests (4 KiB random reads, NVMe)"
set xrange [-0.5:*]
do for [t in "pngcairo svg"] {
    if (t eq "pngcairo") { set terminal pngcairo size 1500,480 font ",10"; set output outbase.".png" }
    if (t eq "svg") { set terminal svg size 1500,480 font ",10"; set output outbase.".svg" }
    set multiplot layout 1,3 title "dom0 CPU load vs number of IOzone guests (thesis fig. 2.1 / 2.7a), ".ci_note(summary)
    set title "dom0 main container (native: all of dom0, 2 vCPUs)"
    set ylabel "main-container CPU load (% of its vCPUs)"
    set yrange [0:105]
    plot for [p in policies] sel(p, "dom0.main.cpu_load") \
         using 2:($5*100):($7*100):($8*100) with yerrorlines lw 2 lc rgb pcol(p) dt pdt(p) pt ppt(p) title ptitle(p)
    set title "back-end work in secondary containers (paid by the guests)"
    set ylabel "secondary-container CPU (cores)"
    set yrange [0:*]
    plot for [p in policies] sel(p, "dom0.secondary.cores") \
         using 2:5:7:8 with yerrorlines lw 2 lc rgb pcol(p) dt pdt(p) pt ppt(p) title ptitle(p)
    set title "total IOzone throughput of the guests"
    set ylabel "throughput (MB/s)"
    plot for [p in policies] sel(p, "guests.iozone.kBps") \
         using 2:($5*1.024e-3):($7*1.024e-3):($8*1.024e-3) with yerrorlines lw 2 lc rgb pcol(p) dt pdt(p) pt ppt(p) title ptitle(p)
    unset multiplot
}
