# Thesis figure 2.8a: the web guest's performance and dom0's load against the
# number of co-located IOzone guests, every policy of the sweep on the same
# axes, mean and 95% CI over seeds.
# Sweep: plots/sweep.sh plots/specs/fig-2.8a-io-web.spec OUTDIR
# Call:  gnuplot -e "summary='OUTDIR/summary.csv'; outbase='figures/fig-2.8a-io-web'" \
#          plots/fig-2.8a-io-web.gp
# summary.csv columns: policy,vms[1].count,metric,n,mean,sd,ci95_low,ci95_high
set datafile separator ","
load system("dirname -- '".ARG0."'")."/policies.gp"
policies = policies_in(summary)
sel(p, m) = sprintf("< awk -F, '$1==\"%s\" && $3==\"%s\"' %s", p, m, summary)
set grid
set key bottom left
set xlabel "co-located IOzone guests"
set xrange [-0.5:*]
do for [t in "pngcairo svg"] {
    if (t eq "pngcairo") { set terminal pngcairo size 1500,480 font ",10"; set output outbase.".png" }
    if (t eq "svg") { set terminal svg size 1500,480 font ",10"; set output outbase.".svg" }
    set multiplot layout 1,3 title "web guest beside IOzone guests (thesis fig. 2.8a), ".ci_note(summary)
    set title "web throughput (10 closed clients, 64 KiB responses)"
    set ylabel "throughput (requests/s)"
    set yrange [0:*]
    plot for [p in policies] sel(p, "web.web.throughput_rps") \
         using 2:5:7:8 with yerrorlines lw 2 lc rgb pcol(p) dt pdt(p) pt ppt(p) title ptitle(p)
    set title "web response time (lines: mean; open points: 99th percentile)"
    set ylabel "latency (ms)"
    set key top left
    plot for [p in policies] sel(p, "web.web.latency_mean_s") \
         using 2:($5*1e3):($7*1e3):($8*1e3) with yerrorlines lw 2 lc rgb pcol(p) dt pdt(p) pt ppt(p) title ptitle(p)." mean", \
         for [p in policies] sel(p, "web.web.latency_p99_s") \
         using 2:($5*1e3) with points pt 6 ps 1.2 lc rgb pcol(p) notitle
    set title "dom0 main container (native: all of dom0, 2 vCPUs)"
    set ylabel "main-container CPU load (% of its vCPUs)"
    set yrange [0:105]
    set key center right
    plot for [p in policies] sel(p, "dom0.main.cpu_load") \
         using 2:($5*100):($7*100):($8*100) with yerrorlines lw 2 lc rgb pcol(p) dt pdt(p) pt ppt(p) title ptitle(p)
    unset multiplot
    set key bottom left
}
