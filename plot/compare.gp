# compare.gp - one metric of several result folders: one panel per folder,
# the same y range on every panel, one line per lock.
# Parameters by name (common.gp): out, title (over all panels), and
#   data      blocks (two blank lines between) in folder-major order: block
#             (f-1)*nlocks + (l-1) holds folder f, lock l, columns x value
#   xlabel, ylabel   the axis labels
#   folders   the folders' labels, space-separated (one panel each)
#   names, colours   the locks and their colours, space-separated
#   ymin, ymax       the y range of every panel
#   logy      1 for a log y axis (default 0)
#   logx      1 for a log2 x axis with a tic at each power of two (default 0)
load "common.gp"
nf = words(folders); nl = words(names)
# One x value in all the panels (one thread count in common): widen by hand,
# or gnuplot finds the x range invalid.  (stats filters by the ranges set:
# it comes before them.)
stats data using 1 nooutput
if (STATS_min == STATS_max) {
    if (exists("logx") && logx || STATS_min > 0) { set xrange [STATS_min/2.0:STATS_max*2.0] } \
    else { set xrange [STATS_min-1:STATS_max+1] }
}
if (exists("logy") && logy) { set logscale y 10; set format y "10^{%T}" } else { set format y "%.1s%c" }
if (exists("logx") && logx) { set logscale x 2; set xtics 2 }
set yrange [ymin:ymax]
set offsets graph 0.05, graph 0.05, 0, 0
set xlabel xlabel noenhanced
set multiplot layout 1,nf title title noenhanced
do for [f=1:nf] {
    set title word(folders,f) noenhanced
    if (f == 1) { set ylabel ylabel noenhanced } else { unset ylabel }
    if (f == nf) { set key outside right top } else { unset key }
    plot for [l=1:nl] data index ((f-1)*nl + l-1) using 1:2 with linespoints \
         lw 2 pt 7 ps 0.7 lc rgb word(colours,l) title word(names,l) noenhanced
}
unset multiplot
