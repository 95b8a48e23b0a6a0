# Thesis figure 4.2b: live-migration time of a guest on the socket remote
# from dom0's main container, every policy of the sweep, against the guest's
# dirty rate, mean and 95% CI over seeds, and the guest's CPU share while
# it is migrated
# (plots/specs/fig-4.2b-migration-remote.spec).
# Call: gnuplot -e "summary='OUTDIR/summary.csv'; outbase='figures/fig-4.2b-migration-remote'" plots/fig-4.2b-migration-remote.gp
# Writes outbase.png (pngcairo) and outbase.svg.
if (!exists("summary")) summary = "results/sweeps/fig-4.2b-migration-remote/summary.csv"
if (!exists("outbase")) outbase = "figures/fig-4.2b-migration-remote"
system(sprintf("mkdir -p -- \"$(dirname -- '%s')\"", outbase))
load system("dirname -- '".ARG0."'")."/policies.gp"
policies = policies_in(summary)
set datafile missing "NA"
rows(p, m) = sprintf("< awk -F, -v p='%s' -v m='%s' '" . \
  "NR == 1 { for (i = 1; i <= NF; i++) if ($i == \"metric\") mc = i; next }" . \
  "$1 == p && $mc == m { print $2, $(mc + 2), $(mc + 4), $(mc + 5) }' '%s'", p, m, summary)
set grid
set key top left
set xlabel "guest dirty rate (thousand 4 KiB pages/s)"
set style data yerrorlines
do for [t in "pngcairo svg"] {
    if (t eq "pngcairo") { set terminal pngcairo size 1500,460 font ",10"; set output outbase.".png" }
    if (t eq "svg") { set terminal svg size 1500,460 font ",10"; set output outbase.".svg" }
    set multiplot layout 1,3 title "Thesis fig. 4.2b: migrating a 2 GiB guest on socket 1, dom0 main on socket 0 (10 Gb/s; ".ci_note(summary).")"
    set title "total time"
    set ylabel "total migration time (s)"
    set yrange [0:*]
    plot for [p in policies] rows(p, "vm1.migration.total_s") using ($1/1e3):2:3:4 lw 2 lc rgb pcol(p) dt pdt(p) pt ppt(p) title ptitle(p)
    set title "downtime"
    set ylabel "downtime (ms)"
    plot for [p in policies] rows(p, "vm1.migration.downtime_s") using ($1/1e3):($2*1e3):($3*1e3):($4*1e3) lw 2 lc rgb pcol(p) dt pdt(p) pt ppt(p) title ptitle(p)
    # The guest's lot while it is migrated: the CPU it got in the live phase
    # over what it had before (docs/MODEL.md, "The guest during a migration");
    # 1 is unslowed.  A policy that runs the save process beside the guest
    # may take it from the guest, which a short total time alone hides.
    set title "the guest's CPU during the live phase"
    set ylabel "guest CPU share (1 = as before the migration)"
    set yrange [*:1.005]
    set key bottom left
    plot for [p in policies] rows(p, "vm1.migration.guest_cpu_share") using ($1/1e3):2:3:4 lw 2 lc rgb pcol(p) dt pdt(p) pt ppt(p) title ptitle(p)
    set key top left
    unset multiplot
    set output
}
