# Thesis figure 4.2a: IOzone read bandwidth of a guest on the socket remote
# from dom0's main container, every policy of the sweep, mean and 95% CI over
# seeds (plots/specs/fig-4.2a-iozone-remote.spec).
# Call: gnuplot -e "summary='OUTDIR/summary.csv'; outbase='figures/fig-4.2a-iozone-remote'" plots/fig-4.2a-iozone-remote.gp
# Writes outbase.png (pngcairo) and outbase.svg.
if (!exists("summary")) summary = "results/sweeps/fig-4.2a-iozone-remote/summary.csv"
if (!exists("outbase")) outbase = "figures/fig-4.2a-iozone-remote"
system(sprintf("mkdir -p -- \"$(dirname -- '%s')\"", outbase))
load system("dirname -- '".ARG0."'")."/policies.gp"
policies = policies_in(summary)
set datafile missing "NA"
rows(p, m) = sprintf("< awk -F, -v p='%s' -v m='%s' '" . \
  "NR == 1 { for (i = 1; i <= NF; i++) if ($i == \"metric\") mc = i; next }" . \
  "$1 == p && $mc == m { print $2, $(mc + 2), $(mc + 4), $(mc + 5) }' '%s'", p, m, summary)
set grid
set key top left
set xlabel "record size (KiB)"
set logscale x 2
set style data yerrorlines
do for [t in "pngcairo svg"] {
    if (t eq "pngcairo") { set terminal pngcairo size 1100,460 font ",10"; set output outbase.".png" }
    if (t eq "svg") { set terminal svg size 1100,460 font ",10"; set output outbase.".svg" }
    set multiplot layout 1,2 title "Thesis fig. 4.2a: IOzone sequential read, guest on socket 1, dom0 main on socket 0 (NVMe, 4 in flight; ".ci_note(summary).")"
    set title "bandwidth"
    set ylabel "IOzone read bandwidth (MB/s)"
    set yrange [0:*]
    plot for [p in policies] rows(p, "ioz.io.throughput_Bps") using 1:($2/1e6):($3/1e6):($4/1e6) lw 2 lc rgb pcol(p) dt pdt(p) pt ppt(p) title ptitle(p)
    set title "latency of a record"
    set ylabel "mean record latency (ms)"
    set logscale y
    set yrange [*:*]
    plot for [p in policies] rows(p, "ioz.io.record_latency_mean_s") using 1:($2*1e3):($3*1e3):($4*1e3) lw 2 lc rgb pcol(p) dt pdt(p) pt ppt(p) title ptitle(p)
    unset logscale y
    unset multiplot
    set output
}
