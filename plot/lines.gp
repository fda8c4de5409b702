# lines.gp - one metric vs threads, one line per lock (log2 thread axis).
# Parameters by name (common.gp): out, title, and
#   data      one block per lock (two blank lines between blocks), columns threads value
#   ylabel    the y axis label
#   names, colours   the locks and their colours, space-separated, in block order
#   logy      1 for a log y axis (default 0: linear from 0)
#   ymax      fixed top of a linear y axis (e.g. 1.05 for Jain); optional
load "common.gp"
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
plot for [i=1:words(names)] data index (i-1) using 1:2 with linespoints \
     lw 2 pt 7 ps 0.8 lc rgb word(colours,i) title word(names,i) noenhanced
