# strip.gp - per-thread values, one column of points per lock at each thread,
# one point per repetition (no median: configs.csv holds none per thread).
# Parameters by name (common.gp): out, title, and
#   data      one block per lock (two blank lines between blocks), columns
#             thread value, one row per thread and repetition
#   ylabel    the y axis label
#   names, colours   the locks and their colours, space-separated, in block order
#   fair      y value of the fair share, drawn as a dashed line; optional
load "common.gp"
n = words(names)
stats data using 1 nooutput
w = 0.8 / n
set xrange [STATS_min-0.6:STATS_max+0.6]
set yrange [0:*]
if (STATS_max - STATS_min < 40) { set xtics 1 }
unset grid
set grid ytics
set xlabel "thread"
set ylabel ylabel noenhanced
if (!exists("fair")) { fair = NaN }
plot for [i=1:n] data index (i-1) using ($1 - 0.4 + w*(i-0.5)):2 with points \
         pt 7 ps 0.8 lc rgb word(colours,i) title word(names,i) noenhanced, \
     fair with lines dt 2 lw 1.5 lc rgb "#444444" title "fair share"
