# One style per dom0 policy, the same in every figure (loaded by each
# plots/*.gp with:  load system("dirname -- '".ARG0."'")."/policies.gp").
#
#   pcol(p)  line colour (Okabe-Ito palette, readable by colour-blind eyes)
#   pdt(p)   dash type: solid for the policies a host can run today, dashed
#            for closer-rx (closer's variant), dotted for elastic, and
#            dash-dot for the offline bound, oracle
#   ppt(p)   point type
#   ptitle(p) the legend's name (the oracle marked as a bound)
#
# Usage in a plot:  ... lw 2 lc rgb pcol(p) dt pdt(p) pt ppt(p) title ptitle(p)
# An unknown policy gets grey, solid, a plain point.
pcol(p) = p eq "native" ? "#0072B2" : \
          p eq "closer" ? "#D55E00" : \
          p eq "closer-rx" ? "#E69F00" : \
          p eq "elastic" ? "#009E73" : \
          p eq "oracle" ? "#000000" : \
          p eq "oracle-static" ? "#CC79A7" : \
          p eq "static-socket" ? "#56B4E9" : "#777777"
pdt(p) = p eq "closer-rx" ? 2 : p eq "elastic" ? 3 : p eq "oracle" ? 4 : 1
ppt(p) = p eq "native" ? 7 : \
         p eq "closer" ? 5 : \
         p eq "closer-rx" ? 4 : \
         p eq "elastic" ? 9 : \
         p eq "oracle" ? 6 : \
         p eq "oracle-static" ? 11 : \
         p eq "static-socket" ? 13 : 1
ptitle(p) = p eq "oracle" ? "oracle (offline bound)" : p
# The order policies are drawn in, the oracle last so that it stays visible
# on top; a figure draws those of this list its summary.csv holds.
policy_order = "native closer closer-rx elastic oracle-static static-socket oracle"
# The policies of a summary.csv (first column), in policy_order, any other
# after them in the order they appear.
# (No "%%" in the awk program: gnuplot's sprintf mangles a second one.)
policies_in(f) = system(sprintf("awk -F, -v order='%s' 'NR > 1 && !($1 in seen) { seen[$1] = 1; ord[++n] = $1 } END { m = split(order, o, \" \"); for (i = 1; i <= m; i++) { if (o[i] in seen) { out = out o[i] \" \"; seen[o[i]] = 0 } } for (i = 1; i <= n; i++) { if (seen[ord[i]]) out = out ord[i] \" \" } print out }' '%s'", policy_order, f))
# What the error bars of a sweep's summary.csv mean, for a figure's title:
# its rows marked deterministic (plots/sweep-merge.sh: every seed gave the
# same value) carry no interval, and their zero-length bars are drawn
# without end caps ("set errorbars 0"), so that those points show no bar.
#   all deterministic:  "deterministic model: one value per point, no error bars"
#   none:               "mean, 95% CI over N seeds"
#   some:               "mean, 95% CI over N seeds; points without a bar are deterministic"
# (N is the largest n of the file; the program is joined, not sprintf'd,
# for its "%".)
ci_note(f) = system("awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == \"deterministic\") dc = i; if ($i == \"n\") nc = i } next } { if ($nc + 0 > n) n = $nc + 0; if (dc && $dc == \"yes\") y++; else k++ } END { s = n == 1 ? \"\" : \"s\"; if (y && !k) print \"deterministic model: one value per point, no error bars\"; else if (y) print \"mean, 95% CI over \" n \" seed\" s \"; points without a bar are deterministic\"; else print \"mean, 95% CI over \" n \" seed\" s }' '" . f . "'")
set errorbars 0
