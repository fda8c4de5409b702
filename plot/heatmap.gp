# heatmap.gp - a PU x PU matrix (handoff counts, core-to-core latency).
#   gnuplot -c heatmap.gp IN OUT TITLE CBLABEL XTICS [XLABEL YLABEL]
# IN: rows "x y value" over the full grid (x, y: positions 0..n-1; value NaN
#   where there is none).  XTICS: gnuplot tic list naming the PUs, e.g.
#   "'0' 0, '16' 1"; the same tics are used on both axes.
# XLABEL, YLABEL: axis labels (default: acquiring PU, releasing PU).
out = ARG2
if (strlen(out) > 4 && out[strlen(out)-2:] eq "svg") {
    set terminal svg size 800,500 dynamic font "sans,11" background "#ffffff"
} else {
    set terminal pngcairo size 800,500 font "sans,10" background "#ffffff"
}
set output out
stats ARG1 using 1 nooutput
set xrange [STATS_min-0.5:STATS_max+0.5]
set yrange [STATS_min-0.5:STATS_max+0.5]
set size ratio -1
if (STATS_max < 64) { eval "set xtics (".ARG5.")"; eval "set ytics (".ARG5.")" }
set palette defined (0 "#ffffcc", 0.5 "#fd8d3c", 1 "#800026")
set cbrange [0:*]
set title ARG3 noenhanced
set xlabel (ARGC >= 6 && strlen(ARG6) > 0 ? ARG6 : "acquiring PU (OS index)") noenhanced
set ylabel (ARGC >= 7 && strlen(ARG7) > 0 ? ARG7 : "releasing PU (OS index)") noenhanced
set cblabel ARG4 noenhanced
set tics out
plot ARG1 using 1:2:3 with image notitle
