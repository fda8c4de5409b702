# throughput.gp - throughput vs threads, one line per lock: the median over
# repetitions with the interquartile range as error bars; log2 thread axis.
#   gnuplot -c throughput.gp IN OUT TITLE NAMES COLOURS
# IN: one block per lock (blocks separated by two blank lines), columns
#   threads median q1 q3 (acquisitions/s).
# OUT: .png (pngcairo) or .svg.  NAMES, COLOURS: space-separated, block order.
out = ARG2
if (strlen(out) > 4 && out[strlen(out)-2:] eq "svg") {
    set terminal svg size 800,500 dynamic font "sans,11" background "#ffffff"
} else {
    set terminal pngcairo size 800,500 font "sans,10" background "#ffffff"
}
set output out
names = ARG4; colours = ARG5
stats ARG1 using 1 nooutput
set logscale x 2
set xrange [STATS_min/1.3:STATS_max*1.3]
set xtics 2
set yrange [0:*]
set format y "%.1s%c"
set grid
set key outside right top
set title ARG3 noenhanced
set xlabel "threads"
set ylabel "throughput (acquisitions/s), median and IQR"
plot for [i=1:words(names)] ARG1 index (i-1) using 1:2:3:4 with yerrorlines \
     lw 2 pt 7 ps 0.8 lc rgb word(colours,i) title word(names,i) noenhanced
