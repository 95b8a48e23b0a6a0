# Thesis section 2.2: OpenStack's agent in dom0 declared failed (300 s without
# a report) as dom0's load grows. Left: the probability of failure (mean of
# h0.declared_failed over seeds, 95% CI) against the measured dom0
# main-container load (mean and 95% CI); right: the same against the number of
# loading guests. Every policy of the sweep on the same axes.
# Sweep: plots/sweep.sh plots/specs/fig-heartbeat-agent-failure.spec OUTDIR
# Call:  gnuplot -e "summary='OUTDIR/summary.csv'; outbase='figures/fig-heartbeat-agent-failure'" \
#          plots/fig-heartbeat-agent-failure.gp
# summary.csv columns: policy,vms[0].count,metric,n,mean,sd,ci95_low,ci95_high
set datafile separator ","
load system("dirname -- '".ARG0."'")."/policies.gp"
policies = policies_in(summary)
sel(p, m) = sprintf("< awk -F, '$1==\"%s\" && $3==\"%s\"' %s", p, m, summary)
# One row per count of policy p: count, load mean, low, high, failed mean, low, high
# (a CI is NA with one seed: then the mean).
joined(p) = sprintf("< awk -F, -v OFS=, '$1==\"%s\" { k=$2; if (!(k in seen)) { seen[k]=1; order[++n]=k } \
    lo=($7==\"NA\")?$5:$7; hi=($8==\"NA\")?$5:$8; \
    if ($3==\"dom0.main.cpu_load\") L[k]=$5 OFS lo OFS hi; \
    if ($3==\"h0.declared_failed\") F[k]=$5 OFS lo OFS hi } \
    END { for (i=1; i<=n; i++) if ((order[i] in L) && (order[i] in F)) print order[i], L[order[i]], F[order[i]] }' %s", p, summary)
# A probability's interval is clipped to [0, 1] (with 3 seeds, Student's t
# interval of a 0/1 mean spans far beyond it).
clip01(x) = x < 0 ? 0 : (x > 1 ? 1 : x)
set grid
set key top left
set yrange [-0.05:1.1]
set ylabel "probability the node is declared failed (fraction of seeds)"
do for [t in "pngcairo svg"] {
    if (t eq "pngcairo") { set terminal pngcairo size 1200,480 font ",10"; set output outbase.".png" }
    if (t eq "svg") { set terminal svg size 1200,480 font ",10"; set output outbase.".svg" }
    set multiplot layout 1,2 title "OpenStack agent declared failed (300 s heartbeat timeout) vs dom0 load (thesis sec. 2.2), ".ci_note(summary)
    set title "against dom0's main-container load"
    set xlabel "dom0 main-container CPU load (% of its vCPUs)"
    set xrange [-2:105]
    # References: the thesis's 75%, and the least load at which any agent
    # whose report fits in its period P = 10 s can go D = 300 s without one,
    # 1 - P/(D - P) (docs/MODEL.md, the management agent).
    set arrow 1 from 75, graph 0 to 75, graph 1 nohead dt 2 lc rgb "gray40"
    set label 1 "thesis: 75%" at 74, graph 0.55 right textcolor rgb "gray40"
    set arrow 2 from 100.0*(1 - 10.0/290), graph 0 to 100.0*(1 - 10.0/290), graph 1 nohead dt 3 lc rgb "gray40"
    set label 2 "1 - P/(D-P)" at 100.0*(1 - 10.0/290) - 1, graph 0.45 right textcolor rgb "gray40"
    plot for [p in policies] joined(p) \
         using ($2*100):5:($3*100):($4*100):(clip01($6)):(clip01($7)) with xyerrorbars pt ppt(p) ps 1.2 lc rgb pcol(p) title ptitle(p), \
         for [p in policies] joined(p) \
         using ($2*100):5 with lines lw 2 lc rgb pcol(p) dt pdt(p) notitle
    unset arrow 1; unset arrow 2; unset label 1; unset label 2
    set title "against the number of loading guests (each 1/8 of a dom0 vCPU)"
    set xlabel "loading guests (500 back-end requests/s of 250 us each)"
    set xrange [-0.5:*]
    plot for [p in policies] sel(p, "h0.declared_failed") \
         using 2:5:(clip01($7)):(clip01($8)) with yerrorlines lw 2 lc rgb pcol(p) dt pdt(p) pt ppt(p) title ptitle(p)
    unset multiplot
}
