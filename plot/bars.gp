# bars.gp - clustered bars: one cluster per row of the data file, one bar
# per column (a share in percent, 0..100), e.g. hit@5% per method and
# subset in advise-lock's validation.html.
# Parameters by name (common.gp): out, title, and
#   data      a header line (the first column's name, then one name per
#             bar, quoted when it holds spaces), then one line per cluster:
#             its label (quoted when it holds spaces), then the values
#   ylabel    the y axis label
#   n         the number of bars per cluster (columns after the first)
#   colours   n colours, space-separated, in column order
load "common.gp"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid noxtics
set yrange [0:105]
set ylabel ylabel noenhanced
set xtics scale 0 noenhanced rotate by -20 left offset -1,0
set bmargin 5
set key outside top center horizontal noenhanced
plot for [i=1:n] data using (column(i+1)):xtic(1) title columnhead(i+1) lc rgb word(colours,i)
