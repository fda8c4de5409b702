# throughput.gp - throughput vs threads, one line per lock: the median over
# repetitions with the interquartile range as error bars; log2 thread axis.
# Parameters by name (common.gp): out, title, and
#   data      one block per lock (blocks separated by two blank lines),
#             columns threads median q1 q3 (acquisitions/s)
#   names     the locks, space-separated, in block order
#   colours   their colours ('#rrggbb'), space-separated, in block order
load "common.gp"
stats data using 1 nooutput
set logscale x 2
set xrange [STATS_min/1.3:STATS_max*1.3]
set xtics 2
set yrange [0:*]
set format y "%.1s%c"
set xlabel "threads"
set ylabel "throughput (acquisitions/s), median and IQR"
plot for [i=1:words(names)] data index (i-1) using 1:2:3:4 with yerrorlines \
     lw 2 pt 7 ps 0.8 lc rgb word(colours,i) title word(names,i) noenhanced
