# heatmap.gp - a PU x PU matrix (handoff counts, core-to-core latency).
# Parameters by name (common.gp): out, title, and
#   data      rows "x y value" over the full grid (x, y: positions 0..n-1;
#             value NaN where there is none)
#   tics      gnuplot tic list naming the PUs, e.g. "'0' 0, '16' 1"; the
#             same tics are used on both axes (drawn below 64 PUs)
#   cblabel   the colour box label
#   xlabel, ylabel   axis labels (default: acquiring PU, releasing PU)
load "common.gp"
unset grid
unset key
stats data using 1 nooutput
set xrange [STATS_min-0.5:STATS_max+0.5]
set yrange [STATS_min-0.5:STATS_max+0.5]
set size ratio -1
if (STATS_max < 64) { eval "set xtics (".tics.")"; eval "set ytics (".tics.")" }
set palette defined (0 "#ffffcc", 0.5 "#fd8d3c", 1 "#800026")
set cbrange [0:*]
if (!exists("xlabel")) { xlabel = "acquiring PU (OS index)" }
if (!exists("ylabel")) { ylabel = "releasing PU (OS index)" }
set xlabel xlabel noenhanced
set ylabel ylabel noenhanced
set cblabel cblabel noenhanced
set tics out
plot data using 1:2:3 with image notitle
