# compare.gp - one metric of several result folders: one panel per folder,
# the same y range on every panel, one line per lock.
#   gnuplot -c compare.gp IN OUT TITLE XLABEL YLABEL FOLDERS NAMES COLOURS RANGE
# IN: blocks (two blank lines between) in folder-major order: block
#   (f-1)*nlocks + (l-1) holds folder f, lock l, columns x value.
# FOLDERS, NAMES, COLOURS: space-separated labels.  RANGE: "ymin ymax logy logx".
out = ARG2
if (strlen(out) > 4 && out[strlen(out)-2:] eq "svg") {
    set terminal svg size 800,500 dynamic font "sans,11" background "#ffffff"
} else {
    set terminal pngcairo size 800,500 font "sans,10" background "#ffffff"
}
set output out
folders = ARG6; names = ARG7; colours = ARG8
nf = words(folders); nl = words(names)
ymin = word(ARG9,1) + 0.0; ymax = word(ARG9,2) + 0.0
if (word(ARG9,3) eq "1") { set logscale y 10; set format y "10^{%T}" } else { set format y "%.1s%c" }
if (word(ARG9,4) eq "1") { set logscale x 2; set xtics 2 }
set yrange [ymin:ymax]
set offsets graph 0.05, graph 0.05, 0, 0
set grid
set xlabel ARG4 noenhanced
set multiplot layout 1,nf title ARG3 noenhanced
do for [f=1:nf] {
    set title word(folders,f) noenhanced
    if (f == 1) { set ylabel ARG5 noenhanced } else { unset ylabel }
    if (f == nf) { set key outside right top } else { unset key }
    plot for [l=1:nl] ARG1 index ((f-1)*nl + l-1) using 1:2 with linespoints \
         lw 2 pt 7 ps 0.7 lc rgb word(colours,l) title word(names,l) noenhanced
}
unset multiplot
