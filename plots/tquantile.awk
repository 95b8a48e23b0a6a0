# tq(df): Student's t quantile t(0.975, df) for a 95% confidence interval
# over df + 1 replications; df >= 1.  A table exact to 9 digits for df <= 30
# (the values of any statistics package), a Cornish-Fisher expansion in
# 1/df beyond (Abramowitz and Stegun 26.7.5; error < 1e-4).  Included by
# sweep-merge.sh and multiobjective.sh as the text before their programs.
function tq(df,    z, z3, z5, z7) {
  if (!TQ_N)
    TQ_N = split("12.706204736 4.302652730 3.182446305 2.776445105 2.570581836 2.446911851 " \
                 "2.364624252 2.306004135 2.262157163 2.228138852 2.200985160 2.178812830 " \
                 "2.160368656 2.144786688 2.131449546 2.119905299 2.109815578 2.100922040 " \
                 "2.093024054 2.085963447 2.079613845 2.073873068 2.068657610 2.063898562 " \
                 "2.059538553 2.055529439 2.051830516 2.048407142 2.045229642 2.042272456", TQ, " ")
  if (df <= 30) return TQ[df]
  z = 1.959963984540054; z3 = z * z * z; z5 = z3 * z * z; z7 = z5 * z * z
  return z + (z3 + z) / (4 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96 * df * df) \
           + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df * df * df)
}
