# pair.gp - two metrics vs threads per lock: the first solid, the second
# dashed, same colour (handoff p50/p99, read/write latency); log y, log2 x.
# Parameters by name (common.gp): out, title, and
#   data      one block per lock (two blank lines between blocks), columns threads v1 v2
#   ylabel    the y axis label
#   names, colours   the locks and their colours, space-separated, in block order
#   label1, label2   what v1 and v2 are, after the lock's name in the key
load "common.gp"
stats data using 1 nooutput
set logscale x 2
set xrange [STATS_min/1.3:STATS_max*1.3]
set xtics 2
set logscale y 10
set xlabel "threads"
set ylabel ylabel noenhanced
plot for [i=1:words(names)] data index (i-1) using 1:2 with linespoints \
         lw 2 pt 7 ps 0.8 lc rgb word(colours,i) title word(names,i)." ".label1 noenhanced, \
     for [i=1:words(names)] data index (i-1) using 1:3 with linespoints \
         lw 2 dt 2 pt 6 ps 0.8 lc rgb word(colours,i) title word(names,i)." ".label2 noenhanced
