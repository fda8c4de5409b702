# reps.gp - one metric vs threads, one point per repetition, one colour per
# lock (log2 thread axis): for figures configs.csv holds no median of.
#   gnuplot -c reps.gp IN OUT TITLE YLABEL NAMES COLOURS LOGY [YMAX]
# IN: one block per lock (two blank lines between blocks), columns threads
#   value, one row per repetition.  Each lock's points sit a little apart
#   along x so that locks do not hide each other.
# LOGY: 1 for a log y axis.  YMAX: fixed top of the y axis.
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
set logscale x 2
set xrange [STATS_min/1.3:STATS_max*1.3]
set xtics 2
if (ARG7 eq "1") {
    set logscale y 10
    set format y "10^{%T}"
} else {
    if (ARGC >= 8 && strlen(ARG8) > 0) { set yrange [0:ARG8+0] } else { set yrange [0:*] }
}
set grid
set key outside right top
set title ARG3 noenhanced
set xlabel "threads"
set ylabel ARG4 noenhanced
plot for [i=1:n] ARG1 index (i-1) using ($1 * 2**((i - (n+1)/2.0) * 0.05)):2 with points \
     pt 7 ps 0.8 lc rgb word(colours,i) title word(names,i) noenhanced
