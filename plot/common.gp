# common.gp - the preamble every figure script of plot/ loads first
# (load "common.gp": sbresults.gnuplot runs gnuplot in plot/; by hand, run
# there too or `set loadpath` to it).
#
# Every script takes its parameters by name: gnuplot variables set before
# it runs, e.g.
#   cd plot && gnuplot -e "data = '/r/plots/data/jain.dat'; out = '/tmp/jain.png'; \
#       title = 'Jain'; ylabel = 'index'; names = 'ttas mcs'; \
#       colours = '#1f77b4 #d62728'" lines.gp
# (sbresults.gp_value writes a value so that gnuplot takes it as written.)
# The parameters this file reads:
#   out            the output file: *.svg -> the svg terminal, else PNG (pngcairo)
#   width, height  its size in pixels (default 800x500, sbresults.PNG_SIZE)
#   title          the figure's title, drawn as written (noenhanced); optional
# It sets the terminal, fonts, white background, a grid and the key outside
# on the right; a script that draws otherwise changes what it needs.
if (!exists("width")) { width = 800 }
if (!exists("height")) { height = 500 }
if (strlen(out) > 4 && out[strlen(out)-2:] eq "svg") {
    set terminal svg size width,height dynamic font "sans,11" background "#ffffff"
} else {
    set terminal pngcairo size width,height font "sans,10" background "#ffffff"
}
set output out
set grid
set key outside right top
if (exists("title")) { set title title noenhanced }
