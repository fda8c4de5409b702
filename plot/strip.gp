# strip.gp - per-thread values, one column of points per lock at each thread,
# one point per repetition (no median: configs.csv holds none per thread).
#   gnuplot -c strip.gp IN OUT TITLE YLABEL NAMES COLOURS FAIR
# IN: one block per lock (two blank lines between blocks), columns thread
#   value, one row per thread and repetition.
# FAIR: y value of the fair share, drawn as a dashed line (empty: none).
out = ARG2
if (strlen(out) > 4 && out[strlen(out)-2:] eq "svg") {
    set terminal svg size 800,500 dynamic font "sans,11" background "#ffffff"
} else {
    set terminal pngcairo size 800,500 font "sans,10" background "#ffffff"
}
set output out
names = ARG5; colours = ARG6
n = words(names)
stats ARG1 using 1 nooutput
w = 0.8 / n
set xrange [STATS_min-0.6:STATS_max+0.6]
set yrange [0:*]
if (STATS_max - STATS_min < 40) { set xtics 1 }
set grid ytics
set key outside right top
set title ARG3 noenhanced
set xlabel "thread"
set ylabel ARG4 noenhanced
fair = (ARGC >= 7 && strlen(ARG7) > 0) ? ARG7 + 0.0 : NaN
plot for [i=1:n] ARG1 index (i-1) using ($1 - 0.4 + w*(i-0.5)):2 with points \
         pt 7 ps 0.8 lc rgb word(colours,i) title word(names,i) noenhanced, \
     fair with lines dt 2 lw 1.5 lc rgb "#444444" title "fair share"
