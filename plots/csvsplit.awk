# csvsplit(s): splits the CSV line s (RFC 4180 quotes) into F[1..NF2].
# Shared by the plots/ scripts, which prepend it to their awk programs:
#   awk "$(cat plots/csvsplit.awk)"'NR == 1 { csvsplit($0); ... }' FILE
function csvsplit(s,    i, c, cur, inq) {
  NF2 = 0; cur = ""; inq = 0
  for (i = 1; i <= length(s); i++) {
    c = substr(s, i, 1)
    if (inq) {
      if (c == "\"") { if (substr(s, i + 1, 1) == "\"") { cur = cur c; i++ } else inq = 0 }
      else cur = cur c
    } else if (c == "\"") inq = 1
    else if (c == ",") { F[++NF2] = cur; cur = "" }
    else cur = cur c
  }
  F[++NF2] = cur
}
