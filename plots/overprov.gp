# Unused dom0 capacity over a trace, one line per policy, as the number of
# the trace's smallest tasks it could have hosted (plots/overprov.sh).
# Call: gnuplot -e "datafile='unused_over_time.csv'; outbase='overprov'" overprov.gp
set datafile separator ","
load system("dirname -- '".ARG0."'")."/policies.gp"
policies = "static-socket oracle-static native closer elastic oracle"
set key outside right top
set grid
set xlabel "time in the trace (h)"
set ylabel "smallest tasks dom0's unused capacity could host"
set title "dom0 over-provisioning: unused capacity, all hosts"
set yrange [0:*]
sel(p, m) = sprintf("< awk -F, '$2==\"%s\" && $3==\"%s\"' %s", p, m, datafile)
do for [t in "pngcairo svg"] {
    if (t eq "pngcairo") { set terminal pngcairo size 900,500 font ",10"; set output outbase.".png" }
    if (t eq "svg") { set terminal svg size 900,500 font ",10"; set output outbase.".svg" }
    plot for [p in policies] sel(p, "dom0.unused_smallest_tasks") \
         using ($1/3600):4 with steps lw 2 lc rgb pcol(p) dt pdt(p) title ptitle(p)
}
