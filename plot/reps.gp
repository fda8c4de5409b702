# reps.gp - one metric vs threads, one point per repetition, one colour per
# lock (log2 thread axis): for figures configs.csv holds no median of.
# Parameters by name (common.gp): out, title, and
#   data      one block per lock (two blank lines between blocks), columns
#             threads value, one row per repetition.  Each lock's points sit
#             a little apart along x so that locks do not hide each other.
#   ylabel    the y axis label
#   names, colours   the locks and their colours, space-separated, in block order
#   logy      1 for a log y axis (default 0: linear from 0)
#   ymax      fixed top of a linear y axis; optional
load "common.gp"
n = words(names)
stats data using 1 nooutput
set logscale x 2
set xrange [STATS_min/1.3:STATS_max*1.3]
set xtics 2
if (exists("logy") && logy) {
    set logscale y 10
    set format y "10^{%T}"
} else {
    if (exists("ymax")) { set yrange [0:ymax] } else { set yrange [0:*] }
}
set xlabel "threads"
set ylabel ylabel noenhanced
plot for [i=1:n] data index (i-1) using ($1 * 2**((i - (n+1)/2.0) * 0.05)):2 with points \
     pt 7 ps 0.8 lc rgb word(colours,i) title word(names,i) noenhanced
