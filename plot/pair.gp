# pair.gp - two metrics vs threads per lock: the first solid, the second
# dashed, same colour (handoff p50/p99, read/write latency); log y, log2 x.
#   gnuplot -c pair.gp IN OUT TITLE YLABEL NAMES COLOURS LABEL1 LABEL2
# IN: one block per lock (two blank lines between blocks), columns threads v1 v2.
out = ARG2
if (strlen(out) > 4 && out[strlen(out)-2:] eq "svg") {
    set terminal svg size 800,500 dynamic font "sans,11" background "#ffffff"
} else {
    set terminal pngcairo size 800,500 font "sans,10" background "#ffffff"
}
set output out
names = ARG5; colours = ARG6
stats ARG1 using 1 nooutput
set logscale x 2
set xrange [STATS_min/1.3:STATS_max*1.3]
set xtics 2
set logscale y 10
set grid
set key outside right top
set title ARG3 noenhanced
set xlabel "threads"
set ylabel ARG4 noenhanced
plot for [i=1:words(names)] ARG1 index (i-1) using 1:2 with linespoints \
         lw 2 pt 7 ps 0.8 lc rgb word(colours,i) title word(names,i)." ".ARG7 noenhanced, \
     for [i=1:words(names)] ARG1 index (i-1) using 1:3 with linespoints \
         lw 2 dt 2 pt 6 ps 0.8 lc rgb word(colours,i) title word(names,i)." ".ARG8 noenhanced
