# cdf.gp - latency CDF per lock from merged histograms; log x.
# Parameters by name (common.gp): out, title, and
#   data      one block per lock (two blank lines between blocks), columns
#             latency_ns (bucket upper bound) cumulative_fraction
#   xlabel    the x axis label
#   names, colours   the locks and their colours, space-separated, in block order
load "common.gp"
set logscale x 10
set format x "10^{%T}"
set yrange [0:1.02]
set xlabel xlabel noenhanced
set ylabel "fraction of acquisitions <= x"
plot for [i=1:words(names)] data index (i-1) using 1:2 with steps \
     lw 2 lc rgb word(colours,i) title word(names,i) noenhanced
