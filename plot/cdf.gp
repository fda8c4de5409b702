# cdf.gp - latency CDF per lock from merged histograms; log x.
#   gnuplot -c cdf.gp IN OUT TITLE XLABEL NAMES COLOURS
# IN: one block per lock (two blank lines between blocks), columns
#   latency_ns (bucket upper bound) cumulative_fraction.
out = ARG2
if (strlen(out) > 4 && out[strlen(out)-2:] eq "svg") {
    set terminal svg size 800,500 dynamic font "sans,11" background "#ffffff"
} else {
    set terminal pngcairo size 800,500 font "sans,10" background "#ffffff"
}
set output out
names = ARG5; colours = ARG6
set logscale x 10
set format x "10^{%T}"
set yrange [0:1.02]
set grid
set key outside right top
set title ARG3 noenhanced
set xlabel ARG4 noenhanced
set ylabel "fraction of acquisitions <= x"
plot for [i=1:words(names)] ARG1 index (i-1) using 1:2 with steps \
     lw 2 lc rgb word(colours,i) title word(names,i) noenhanced
