# The multi-objective view: four small-multiple bar panels, one per measure,
# the policies in the same order and colour in each, 95% intervals over the
# seeds as error bars (plots/multiobjective.sh).
# Call: gnuplot -e "datafile='multiobjective.csv'; outbase='multiobjective'" multiobjective.gp
set datafile separator ","
policies = system(sprintf("awk -F, 'NR > 1 && !seen[$1]++ { printf \"%%s \", $1 }' %s", datafile))
n = words(policies)
sel(m) = sprintf("< awk -F, 'NR > 1 && $2 == \"%s\"' %s", m, datafile)
set style fill solid 0.8 border -1
set boxwidth 0.7
set grid ytics
set xrange [-0.6:n - 0.4]
set xtics rotate by -35 scale 0 font ",9"
set yrange [0:*]
unset key
set errorbars 2
# One line type per policy, by position: the same colour in every panel.
palette = "#1b9e77 #d95f02 #7570b3 #e7298a #66a61e #e6ab02 #a6761d #666666 #1f78b4"
do for [i = 1:9] { set linetype i lc rgb word(palette, i) }
# The policy's position in the list: its bar's x.
pos(p) = sum [i = 1:n] (word(policies, i) eq p ? i - 1 : 0)
do for [term in "pngcairo svg"] {
    if (term eq "pngcairo") { set terminal pngcairo size 1100,800 font ",10"; set output outbase.".png" }
    if (term eq "svg") { set terminal svg size 1100,800 font ",10"; set output outbase.".svg" }
    set multiplot layout 2,2 title "dom0 policies on four axes (scenarios/multiobjective.json; mean and 95% CI over seeds)"
    set xtics ()
    do for [i = 1:n] { set xtics add (word(policies, i) i - 1) }
    set title "guest performance (higher is better)"
    set ylabel "mean normalised performance p"
    plot sel("performance") using (pos(strcol(1))):3:(pos(strcol(1)) % 9 + 1) with boxes lc variable, \
         "" using (pos(strcol(1))):3:4 with yerrorbars lc rgb "black" pt 0 ps 0
    set title "predictability: CV among identical guests (lower is better)"
    set ylabel "coefficient of variation of p"
    plot sel("performance_cv") using (pos(strcol(1))):3:(pos(strcol(1)) % 9 + 1) with boxes lc variable, \
         "" using (pos(strcol(1))):3:4 with yerrorbars lc rgb "black" pt 0 ps 0
    set title "waste: dom0 CPU and memory unused (lower is better)"
    set ylabel "cores (memory priced in cores)"
    plot sel("waste_cores") using (pos(strcol(1))):3:(pos(strcol(1)) % 9 + 1) with boxes lc variable, \
         "" using (pos(strcol(1))):3:4 with yerrorbars lc rgb "black" pt 0 ps 0
    set title "billing error: |paid - caused| / caused (lower is better)"
    set ylabel "billing error"
    plot sel("billing_error") using (pos(strcol(1))):3:(pos(strcol(1)) % 9 + 1) with boxes lc variable, \
         "" using (pos(strcol(1))):3:4 with yerrorbars lc rgb "black" pt 0 ps 0
    unset multiplot
}
