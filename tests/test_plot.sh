#!/bin/sh
# test_plot.sh - plot-results and compare-results end to end: on small result
# folders made here with $B/spinbench and on the hand-written fixtures of
# tests/fixtures/ (known medians, so ratios are checked to the digit); every
# expected file, PNG pixel size, bad folders and columns (exit 2, one line),
# no gnuplot, and report.html opened in headless Chromium (every image loads,
# one table row per configuration).  Prints ok/not ok lines and closes with
# "N passed, N failed, N skipped".  Usage: tests/test_plot.sh [BUILD_DIR]
set -u
B=${1:-${B:-build}}
BIN=$B/spinbench
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FIX=$ROOT/tests/fixtures
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0 pass=0 failn=0 skipn=0

ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); failn=$((failn + 1)); echo "not ok $n - $1"; [ -n "${2:-}" ] && echo "$2" | sed 's/^/#   /'; }
skip() { n=$((n + 1)); skipn=$((skipn + 1)); echo "ok $n - $1 # skip $2"; }
check() { if [ "$2" = 0 ]; then ok "$1"; else nok "$1" "${3:-}"; fi; }

# png_size FILE: "WIDTHxHEIGHT" from the IHDR chunk (bytes 16-23, big-endian)
png_size() {
	od -An -tu1 -j16 -N8 "$1" | awk '{ printf "%dx%d\n", $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8 }'
}
# nonempty DIR FILE...: every file exists and is non-empty; prints the missing ones
nonempty() {
	d=$1; shift
	for f in "$@"; do [ -s "$d/$f" ] || echo "$f"; done
}

# --- result folders made by the test ---------------------------------------
"$BIN" --lock=ttas,mcs --threads=1,2 --duration=50ms --warmup=20ms --repeat=2 \
	--out="$T/r1" --quiet >/dev/null 2>"$T/err1"
rc1=$?
"$BIN" --lock=ttas,mcs --threads=1,2 --duration=50ms --warmup=20ms --repeat=2 \
	--machine=otherbox --out="$T/r2" --quiet >/dev/null 2>"$T/err2"
rc2=$?
check "spinbench made two small result folders" $([ $rc1 = 0 ] && [ $rc2 = 0 ] && [ -s "$T/r1/summary.csv" ] && [ -s "$T/r2/summary.csv" ]; echo $?) \
	"exit $rc1/$rc2: $(cat "$T/err1" "$T/err2")"

if command -v gnuplot >/dev/null 2>&1; then HAVE_GP=1; else HAVE_GP=0; fi

"$ROOT/plot-results" "$T/r1" >"$T/out" 2>"$T/err"
rc=$?
check "plot-results on a fresh run: exit 0, quiet" $([ $rc = 0 ] && [ ! -s "$T/err" ]; echo $?) "exit $rc: $(cat "$T/err")"
PLOTS="throughput jain handoff acquire_cdf per_thread counter_spins_per_op handoff_heatmap_ttas handoff_heatmap_mcs"
if [ $HAVE_GP = 1 ]; then
	want="report.html"
	for p in $PLOTS; do want="$want plots/$p.png plots/$p.svg plots/data/$p.dat"; done
	miss=$(nonempty "$T/r1" $want)
	check "every expected plot (PNG, SVG, data) and report.html produced, non-empty" $([ -z "$miss" ]; echo $?) "missing or empty: $miss"
	sz=$(png_size "$T/r1/plots/throughput.png")
	check "throughput.png is 800x500 pixels (PNG header: $sz)" $([ "$sz" = 800x500 ]; echo $?)
	bad=""
	for f in "$T"/r1/plots/*.png; do [ "$(png_size "$f")" = 800x500 ] || bad="$bad $(basename "$f")"; done
	check "every PNG is 800x500" $([ -z "$bad" ]; echo $?) "wrong size:$bad"
	grep -q '<svg' "$T/r1/plots/jain.svg"
	check "SVG output is SVG" $?
	col_t=$(grep -c 'rgb( 31, 119, 180)' "$T/r1/plots/throughput.svg")
	col_j=$(grep -c 'rgb( 31, 119, 180)' "$T/r1/plots/jain.svg")
	check "ttas has its fixed colour (#1f77b4) in throughput and jain plots" $([ "$col_t" -gt 0 ] && [ "$col_j" -gt 0 ]; echo $?)
else
	skip "plots drawn" "gnuplot not installed"
fi
rows=$(grep -c '<tr class="config">' "$T/r1/report.html")
check "report.html: one median row per configuration ($rows of 4)" $([ "$rows" = 4 ]; echo $?)
grep -q 'AMD\|Intel\|CPU' "$T/r1/report.html" && grep -q 'kernel' "$T/r1/report.html" && grep -q 'clock' "$T/r1/report.html"
check "report.html has the run metadata (CPU, kernel, clock)" $?
grep -q 'src="http\|href="http\|<link' "$T/r1/report.html"
check "report.html refers to no network resource" $([ $? != 0 ]; echo $?)

# --- hand-written fixtures ---------------------------------------------------
cp -r "$FIX/cmpA" "$FIX/cmpB" "$T/"
"$ROOT/plot-results" "$T/cmpA" >"$T/out" 2>"$T/err"
check "plot-results on fixture cmpA: exit 0" $? "$(cat "$T/err")"
R=$T/cmpA/report.html
check "fixture report: 6 configuration rows" $([ "$(grep -c '<tr class="config">' "$R")" = 6 ]; echo $?)
grep -q 'Noisy.*ttas at 2 threads (40%)' "$R"
check "fixture report: ttas at 2 threads flagged noisy (IQR 40% of the median)" $?
grep -q 'Starvation.*ttas at 2 threads (2 of 3)' "$R"
check "fixture report: starvation in 2 of 3 reps flagged" $?
grep -q '<td class="n">50.00M</td><td class="n">20.00M (40.0%)</td><td class="n">0.800</td><td class="n">110ns</td>' "$R"
check "fixture report: medians and IQR of ttas at 2 threads" $? "$(grep -o '<tr class="config">.*</tr>' "$R" | sed -n 2p)"
grep -q 'l1d_miss_per_op: NA in every row (no hardware counters in this VM); not drawn' "$R" && \
	[ ! -e "$T/cmpA/plots/counter_l1d_miss_per_op.png" ]
check "all-NA counter skipped with a note, not drawn" $?
if [ $HAVE_GP = 1 ]; then
	miss=$(nonempty "$T/cmpA" plots/c2c_heatmap.png plots/c2c_heatmap.svg plots/handoff_heatmap_ttas.png plots/per_thread.png plots/acquire_cdf.png)
	check "fixture: c2c heatmap drawn from c2c.csv, per-thread and CDF plots" $([ -z "$miss" ]; echo $?) "missing: $miss"
fi

"$ROOT/compare-results" "$T/cmpA" "$T/cmpB" --out="$T/cmp" >"$T/out" 2>"$T/err"
rc=$?
check "compare-results on the fixtures: exit 0" $rc "$(cat "$T/err")"
grep -q 'differ in duration: alpha=100.0ms, beta=200.0ms' "$T/err"
check "warns that the fixtures differ in duration" $? "$(cat "$T/err")"
C=$T/cmp/comparison.csv
# ratio LINE-PREFIX: the three ratio columns of the matching comparison.csv row
ratio() { grep "^$1," "$C" | awk -F, '{ print $12" "$13" "$14 }'; }
r=$(ratio "threads,ttas,max-contention,2,0.2500,beta")
check "ttas at 2 threads, beta/alpha: throughput 1.2000, jain 0.7500, handoff p50 1.5000 ($r)" $([ "$r" = "1.2000 0.7500 1.5000" ]; echo $?)
r=$(ratio "threads,mcs,max-contention,4,0.5000,beta")
check "mcs at 4 threads: 0.8000 1.0000 1.2500 ($r)" $([ "$r" = "0.8000 1.0000 1.2500" ]; echo $?)
r=$(ratio "threads,ttas,max-contention,1,0.1250,beta")
check "ttas at 1 thread: 1.5000 1.0000 NA (no handoff is NA, not 0) ($r)" $([ "$r" = "1.5000 1.0000 NA" ]; echo $?)
r=$(ratio "fraction,ttas,max-contention,8,1.0000,beta")
check "by PU share 1.0 (4 vs 8 threads): ttas 0.5000 0.6000 2.5000 ($r)" $([ "$r" = "0.5000 0.6000 2.5000" ]; echo $?)
r=$(ratio "fraction,mcs,max-contention,4,0.5000,beta")
check "by PU share 0.5 (2 vs 4 threads): mcs 0.4000 1.0000 2.0000 ($r)" $([ "$r" = "0.4000 1.0000 2.0000" ]; echo $?)
check "threads 8 of beta only: not in the threads view" $(grep -q '^threads,[a-z]*,max-contention,8,' "$C"; [ $? != 0 ]; echo $?)
grep -q '1.2000' "$T/out" && grep -q 'beta/alpha' "$T/out"
check "ratio table printed on stdout" $?
want="comparison.csv comparison.html"
[ $HAVE_GP = 1 ] && for p in throughput jain handoff_p50; do for v in threads fraction; do want="$want plots/${p}_by_$v.png plots/${p}_by_$v.svg"; done; done
miss=$(nonempty "$T/cmp" $want)
check "compare: every expected file produced, non-empty" $([ -z "$miss" ]; echo $?) "missing: $miss"

"$ROOT/compare-results" "$T/r1" "$T/r2" --out="$T/cmp2" >"$T/out" 2>"$T/err"
check "compare-results on two real runs (--machine=otherbox)" $? "$(cat "$T/err")"
grep -q 'otherbox' "$T/cmp2/comparison.csv"
check "comparison.csv names the second machine" $?

# --- refusals: exit 2 and one line -------------------------------------------
refuse() { # DESCRIPTION WANT COMMAND...
	d=$1 want=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	lines=$(wc -l <"$T/err")
	if [ $rc = 2 ] && [ "$lines" = 1 ] && grep -qF -- "$want" "$T/err"; then ok "$d: exit 2, $(cat "$T/err")"
	else nok "$d: want exit 2 and one line with '$want'" "exit $rc, $lines lines: $(cat "$T/err")"; fi
}
mkdir -p "$T/empty"
refuse "compare-results refuses a non-result folder" "not a result folder (no summary.csv)" "$ROOT/compare-results" "$T/cmpA" "$T/empty" --out="$T/x"
refuse "compare-results refuses a missing folder" "not a result folder" "$ROOT/compare-results" "$T/cmpA" "$T/nosuch" --out="$T/x"
refuse "plot-results refuses a non-result folder" "not a result folder" "$ROOT/plot-results" "$T/empty"
check "nothing written for a refused comparison" $([ ! -e "$T/x" ]; echo $?)
cp -r "$T/cmpB" "$T/nojain"
sed -i '1s/,jain,/,fairness,/' "$T/nojain/summary.csv"
refuse "missing column" "missing column 'jain'" "$ROOT/plot-results" "$T/nojain"
refuse "missing column (compare)" "missing column 'jain'" "$ROOT/compare-results" "$T/cmpA" "$T/nojain" --out="$T/x"
cp -r "$T/cmpB" "$T/badnum"
sed -i '0,/,60000000.0,/s//,fast,/' "$T/badnum/summary.csv"
refuse "malformed value" "column 'throughput_ops_s': 'fast' is not a number" "$ROOT/plot-results" "$T/badnum"
cp -r "$T/cmpB" "$T/short"
sed -i '4s/,[^,]*$//' "$T/short/summary.csv"
refuse "row with a missing field" "line 4: 35 fields, the header has 36" "$ROOT/plot-results" "$T/short"
cp -r "$T/cmpA" "$T/badthr"
sed -i '1s/,acquisitions,/,acq,/' "$T/badthr/threads.csv"
refuse "missing column in threads.csv" "threads.csv: missing column 'acquisitions'" "$ROOT/plot-results" "$T/badthr"

# --- without gnuplot ---------------------------------------------------------
cp -r "$FIX/cmpB" "$T/nogp"
mkdir -p "$T/bin"
ln -s "$(python3 -c 'import sys; print(sys.executable)')" "$T/bin/python3"
PATH=$T/bin "$ROOT/plot-results" "$T/nogp" >"$T/out" 2>"$T/err"
rc=$?
if [ $rc = 0 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -q 'apt-get install -y gnuplot' "$T/err" && \
	[ -s "$T/nogp/report.html" ] && [ ! -e "$T/nogp/plots" ] && \
	[ "$(grep -c '<tr class="config">' "$T/nogp/report.html")" = 8 ] && \
	[ "$(ls "$T/nogp" | wc -l)" = 3 ] && cmp -s "$FIX/cmpB/summary.csv" "$T/nogp/summary.csv"; then
	ok "without gnuplot: exit 0, one line how to install it, report with table, results untouched"
else
	nok "without gnuplot" "exit $rc: $(cat "$T/err"); $(ls "$T/nogp")"
fi

# --- headless Chromium: every image loads, one row per configuration --------
CHROME=$(command -v chromium || command -v chromium-browser || true)
# dom FILE: the DOM after the page's load handlers ran
dom() {
	timeout 30 "$CHROME" --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run --user-data-dir="$(mktemp -d "$T/chr.XXXX")" \
		--dump-dom "file://$1" 2>/dev/null
}
if [ -z "$CHROME" ]; then
	skip "report.html in headless Chromium" "chromium not installed (scripts/deps.sh --all installs it)"
elif [ $HAVE_GP = 0 ]; then
	skip "report.html in headless Chromium" "no plots without gnuplot"
else
	dom "$T/r1/report.html" >"$T/dom"
	mark=$(grep -o 'IMG-CHECK images=[0-9]* failed=[0-9]*[^<]*' "$T/dom")
	rows=$(grep -o '<tr class="config">' "$T/dom" | wc -l)
	check "Chromium: every image of report.html loaded ($mark), $rows rows for 4 configurations" \
		$(echo "$mark" | grep -q 'images=[1-9][0-9]* failed=0$' && [ "$rows" = 4 ]; echo $?) "marker: '$mark'"
	rm "$T/r1/plots/jain.png"
	dom "$T/r1/report.html" >"$T/dom"
	mark=$(grep -o 'IMG-CHECK images=[0-9]* failed=[0-9]*[^<]*' "$T/dom")
	check "Chromium check fails when an image is missing ($mark)" \
		$(echo "$mark" | grep -q 'failed=1 plots/jain.png'; echo $?) "marker: '$mark'"
	dom "$T/cmp/comparison.html" >"$T/dom"
	mark=$(grep -o 'IMG-CHECK images=[0-9]* failed=[0-9]*[^<]*' "$T/dom")
	check "Chromium: every image of comparison.html loaded ($mark)" \
		$(echo "$mark" | grep -q 'images=6 failed=0$'; echo $?) "marker: '$mark'"
fi

echo "$pass passed, $failn failed, $skipn skipped"
[ "$failn" -eq 0 ]
