# Thesis figure 2.9a: web throughput and latency of a guest on socket 1
# against dom0's socket, mean and 95% CI over seeds
# (plots/specs/fig-2.9a-web-socket.spec).
# Call: gnuplot -e "summary='OUTDIR/summary.csv'; outbase='figures/fig-2.9a-web-socket'" plots/fig-2.9a-web-socket.gp
# Writes outbase.png (pngcairo) and outbase.svg.
# Lines: native with dom0 on socket 0 (remote from the guest), native with
# dom0 on socket 1 (co-located), and every other policy of the sweep from
# its socket-0 runs (they ignore policy_params.native.socket); styles from
# plots/policies.gp.
if (!exists("summary")) summary = "results/sweeps/fig-2.9a-web-socket/summary.csv"
if (!exists("outbase")) outbase = "figures/fig-2.9a-web-socket"
system(sprintf("mkdir -p -- \"$(dirname -- '%s')\"", outbase))
set datafile missing "NA"
load system("dirname -- '".ARG0."'")."/policies.gp"
# Every policy but native from its socket-0 runs (they ignore native.socket).
others = policies_in(summary)
others = system(sprintf("echo ' %s ' | sed 's/ native / /'", others))
# "x mean ci95_low ci95_high" of metric m under policy p with native.socket s.
rows(p, s, m) = sprintf("< awk -F, -v p='%s' -v s='%s' -v m='%s' '" . \
  "NR == 1 { for (i = 1; i <= NF; i++) { if ($i == \"metric\") mc = i; if ($i == \"policy_params.native.socket\") sc = i } next }" . \
  "$1 == p && $sc == s && $mc == m { print $3, $(mc + 2), $(mc + 4), $(mc + 5) }' '%s'", p, s, m, summary)
set grid
set key top right
set xlabel "response size (KiB)"
set logscale x 2
set style data yerrorlines
do for [t in "pngcairo svg"] {
    if (t eq "pngcairo") { set terminal pngcairo size 1100,460 font ",10"; set output outbase.".png" }
    if (t eq "svg") { set terminal svg size 1100,460 font ",10"; set output outbase.".svg" }
    set multiplot layout 1,2 title "Thesis fig. 2.9a: web guest on socket 1 against dom0's socket (8 closed clients; ".ci_note(summary).")"
    set title "throughput"
    set ylabel "throughput (requests/s)"
    set logscale y
    set yrange [*:*]
    plot rows("native", "0", "web.web.throughput_rps") using 1:2:3:4 lw 2 lc rgb pcol("native") dt 1 pt ppt("native") title "native, dom0 on socket 0 (remote)", \
         rows("native", "1", "web.web.throughput_rps") using 1:2:3:4 lw 2 lc rgb pcol("native") dt 5 pt 4 title "native, dom0 on socket 1 (co-located)", \
         for [p in others] rows(p, "0", "web.web.throughput_rps") using 1:2:3:4 lw 2 lc rgb pcol(p) dt pdt(p) pt ppt(p) title ptitle(p)
    set title "mean latency"
    set ylabel "mean response time (ms)"
    plot rows("native", "0", "web.web.latency_mean_s") using 1:($2*1e3):($3*1e3):($4*1e3) lw 2 lc rgb pcol("native") dt 1 pt ppt("native") title "native, dom0 on socket 0 (remote)", \
         rows("native", "1", "web.web.latency_mean_s") using 1:($2*1e3):($3*1e3):($4*1e3) lw 2 lc rgb pcol("native") dt 5 pt 4 title "native, dom0 on socket 1 (co-located)", \
         for [p in others] rows(p, "0", "web.web.latency_mean_s") using 1:($2*1e3):($3*1e3):($4*1e3) lw 2 lc rgb pcol(p) dt pdt(p) pt ppt(p) title ptitle(p)
    unset logscale y
    unset multiplot
    set output
}
