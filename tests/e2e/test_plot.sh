#!/bin/sh
# test_plot.sh - plot-results and compare-results end to end: on small result
# folders made here with $B/spinbench and on the hand-written fixtures of
# tests/fixtures/ (known medians in configs.csv, so ratios are checked to the
# digit); every expected file, PNG pixel size, bad folders and columns (exit
# 2, one line), the report's marks from configs.csv (forced in a copy), a
# --c2c-only folder, no gnuplot, and report.html opened in headless Chromium
# (every image loads, one table row per configuration: the check script is
# the test's, injected into a copy of the page).  Also the unit tests of the
# pure parts (tests/unit/test_plot_series.py, one line each here), the gnuplot
# scripts' by-name interface, and a hand-picked colour for every lock of
# spinbench --list.  Prints ok/not ok lines and closes with
# "N passed, N failed, N skipped".  Usage: tests/e2e/test_plot.sh [BUILD_DIR]
set -u
B=${1:-${B:-build}}
BIN=$B/spinbench
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
FIX=$ROOT/tests/fixtures
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"

# png_size FILE: "WIDTHxHEIGHT" from the IHDR chunk (bytes 16-23, big-endian)
png_size() {
	od -An -tu1 -j16 -N8 "$1" | awk '{ printf "%dx%d\n", $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8 }'
}
# nonempty DIR FILE...: every file exists and is non-empty; prints the missing ones
nonempty() {
	d=$1; shift
	for f in "$@"; do [ -s "$d/$f" ] || echo "$f"; done
}

# --- unit tests of the pure parts (tests/unit/test_plot_series.py) --------------
python3 "$ROOT/tests/unit/test_plot_series.py" --lines >"$T/unit" 2>"$T/unit.err"
urc=$?
nunit=0 ufail=0
while IFS='	' read -r st name why; do
	nunit=$((nunit + 1))
	case $st in
	ok) ok "$name" ;;
	skip) skip "$name" "$why" ;;
	*) ufail=$((ufail + 1)); nok "$name" "$why" ;;
	esac
done <"$T/unit"
# a failed unit test is its own line above; this one catches a run that broke
check "unit tests ran: $nunit, exit $urc (python3 tests/unit/test_plot_series.py --lines)" \
	$([ "$nunit" -gt 0 ] && { [ $urc = 0 ] || [ $ufail -gt 0 ]; }; echo $?) "$(tail -5 "$T/unit.err")"

# --- the gnuplot scripts take their parameters by name ----------------------
bad=$(grep -nE 'ARG[0-9]|@[A-Z]+@' "$ROOT"/plot/*.gp)
check "plot/*.gp: no positional ARGn, no @PLACEHOLDER@" $([ -z "$bad" ]; echo $?) "$bad"
bad=$(grep -lE '@[A-Z]+@' "$ROOT/plot-results" "$ROOT/compare-results" "$ROOT"/plot/*.py)
check "plot-results, compare-results, plot/*.py: no @PLACEHOLDER@ substitution" $([ -z "$bad" ]; echo $?) "$bad"
bad=""
for f in "$ROOT"/plot/*.gp; do
	[ "$(basename "$f")" = common.gp ] && continue
	grep -q '^load "common.gp"$' "$f" || bad="$bad $(basename "$f")"
done
check "every figure script loads the shared preamble plot/common.gp" $([ -z "$bad" ]; echo $?) "without it:$bad"

# --- result folders made by the test ---------------------------------------
"$BIN" --lock=ttas,mcs --threads=1,2 --duration=50ms --warmup=20ms --repeat=2 \
	--out="$T/r1" --quiet >/dev/null 2>"$T/err1"
rc1=$?
"$BIN" --lock=ttas,mcs --threads=1,2 --duration=50ms --warmup=20ms --repeat=2 \
	--machine=otherbox --out="$T/r2" --quiet >/dev/null 2>"$T/err2"
rc2=$?
check "spinbench made two small result folders" $([ $rc1 = 0 ] && [ $rc2 = 0 ] && [ -s "$T/r1/summary.csv" ] && [ -s "$T/r2/summary.csv" ]; echo $?) \
	"exit $rc1/$rc2: $(cat "$T/err1" "$T/err2")"
"$BIN" --c2c --out="$T/c2c" --quiet >/dev/null 2>"$T/err3"
rc3=$?
check "spinbench --c2c (no --lock) made a core-to-core-only folder" $([ $rc3 = 0 ] && [ -s "$T/c2c/c2c.csv" ] && \
	[ "$(wc -l <"$T/c2c/configs.csv")" = 1 ] && [ "$(wc -l <"$T/c2c/summary.csv")" = 1 ]; echo $?) "exit $rc3: $(cat "$T/err3")"

# setcfg FILE LOCK THREADS COL=VALUE...: set columns of the configs.csv rows
# of LOCK at THREADS ('*': every row); an unknown column fails.
setcfg() {
	f=$1 lock=$2 thr=$3; shift 3
	awk -F, -v OFS=, -v lock="$lock" -v thr="$thr" -v sets="$*" '
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; n = split(sets, kv, " ")
			  for (k = 1; k <= n; k++) { split(kv[k], p, "="); if (!(p[1] in col)) { print "setcfg: no column " p[1] >"/dev/stderr"; exit 1 } }
			  print; next }
		{ if ((lock == "*" || $col["lock"] == lock) && (thr == "*" || $col["threads"] == thr))
			for (k = 1; k <= n; k++) { split(kv[k], p, "="); $col[p[1]] = p[2] }
		  print }' "$f" >"$f.new" && mv "$f.new" "$f"
}

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
bad=$(grep -nE '(median|quantile)\(|import statistics|statistics\.' "$ROOT/plot-results" "$ROOT/compare-results" "$ROOT/plot/sbresults.py")
check "no median or quantile computed in Python (configs.csv is the one source)" $([ -z "$bad" ]; echo $?) "$bad"
python3 -c "
import sys; sys.dont_write_bytecode = True; sys.path.insert(0, '$ROOT/plot')
import sbresults as sb
c = sb.LOCK_COLOURS
assert all(k in c for k in ('cohort', 'cna', 'hmcs')), 'missing'
assert len({v.lower() for v in c.values()}) == len(c), 'a colour used twice'
" 2>"$T/err"
check "fixed colours for cohort, cna and hmcs, every lock's colour distinct" $? "$(cat "$T/err")"
# the lock name: the first word of each line of --list that names a family
"$BIN" --list 2>/dev/null | awk 'NF >= 3 && $1 ~ /^[a-z0-9][a-z0-9_-]*$/ && $2 ~ /^[a-z]+$/ { print $1 }' >"$T/locks"
python3 -c "
import sys; sys.dont_write_bytecode = True; sys.path.insert(0, '$ROOT/plot')
import sbresults as sb
names = open('$T/locks').read().split()
assert len(names) >= 10 and 'ttas' in names, 'spinbench --list named %d locks: %s' % (len(names), names)
miss = [n for n in names if n not in sb.LOCK_COLOURS]
assert not miss, 'hashed fallback colour for: ' + ', '.join(miss)
" >"$T/out" 2>"$T/err"
check "every lock of spinbench --list ($(wc -l <"$T/locks") locks) has a hand-picked colour in LOCK_COLOURS" $? "$(tail -1 "$T/err")"

# --- the report's marks come from configs.csv (forced in a copy of r1) ------
cp -r "$T/r1" "$T/flags"
rm -rf "$T/flags/plots" "$T/flags/report.html"
CF=$T/flags/configs.csv
setcfg "$CF" '*' '*' unstable=NA timed_slowdown=1.000 timed_slow=0 inconsistent_reps=0 clock_suspect_reps=0 \
	below_resolution_reps=0 preempted_reps=0 starved_reps=0 throughput_q1=NA throughput_q3=NA
"$ROOT/plot-results" "$T/flags" >"$T/out" 2>"$T/err"
rc=$?
marks=$(grep -o 'Unstable (\|Latency phase too slow\|inconsistent with\|handoff inconsistent (\|Clock suspect\|clock suspect (\|Below the clock\|below clock resolution\|unstable after\|latency phase [0-9.]*x' "$T/flags/report.html")
check "report: no unstable/slow/inconsistent/clock marks when configs.csv raises none" $([ $rc = 0 ] && [ -z "$marks" ]; echo $?) "exit $rc: $(cat "$T/err"); marks: $marks"
setcfg "$CF" ttas 2 reps=15 throughput_ci_lo=40000000.0 throughput_ci_hi=45000000.0 unstable=1 \
	clock_suspect_reps=1 below_resolution_reps=2
setcfg "$CF" mcs 2 timed_slowdown=2.500 timed_slow=1 inconsistent_reps=1 handoff_consistency=1.620
"$ROOT/plot-results" "$T/flags" >"$T/out" 2>"$T/err"
check "plot-results on the forced copy: exit 0" $? "$(cat "$T/err")"
R=$T/flags/report.html
W=$(grep -o '<li class="warn">[^<]*' "$R")
row() { grep -o "<tr class=\"config\"><td><span class=\"swatch\" style=\"background:#[0-9a-f]*\"></span>$1</td>.*" "$R" | grep "<td>cores</td><td class=\"n\">$2</td>"; }
echo "$W" | grep -q 'Unstable (.*): ttas at 2 threads (15 reps, 40.00M\.\.45.00M)\.$'
check "warning: unstable configuration, with its reps and interval" $? "$W"
echo "$W" | grep -q 'Latency phase too slow (.*): mcs at 2 threads (2.50x slower)\.$'
check "warning: latency phase too slow (timed_slow=1), with timed_slowdown, that configuration only" $? "$W"
echo "$W" | grep -q 'inconsistent with the throughput (handoff_consistency outside \[0.7, 1.4\].*): mcs at 2 threads (1 of 2 reps, median 1.62)\.$'
check "warning: handoff consistency outside [0.7, 1.4] (inconsistent_reps > 0)" $? "$W"
echo "$W" | grep -q 'Clock suspect (.*0.1%.*&lt;= 0.*): ttas at 2 threads (1 of 15 reps)\.$'
check "warning: clock suspect (clock_suspect_reps > 0)" $? "$W"
echo "$W" | grep -q "Below the clock&#x27;s resolution (.*granularity, [0-9.]* ns.*): ttas at 2 threads (2 of 15 reps, p50 [0-9.]*[mun]\{0,1\}s)\.$"
check "warning: below the clock's resolution, with meta.json's granularity" $? "$W"
r=$(row ttas 2)
echo "$r" | grep -q '<td class="n">2</td><td class="n">15</td><td class="n">40.00M\.\.45.00M</td>' && \
	echo "$r" | grep -q 'unstable after 15 reps' && \
	echo "$r" | grep -q 'clock suspect (1 of 15 reps), below clock resolution (2 of 15 reps)'
check "table: ttas at 2 threads shows 15 reps, its interval, unstable, clock suspect, below resolution" $? "$r"
r=$(row mcs 2)
echo "$r" | grep -q '<td class="n">2</td><td class="n">2</td><td class="n">NA (under 6 reps)</td>' && \
	echo "$r" | grep -q 'latency phase 2.50x slower, handoff inconsistent (1 of 2 reps)'
check "table: mcs at 2 threads shows 2 reps, no interval below 6, slow latency phase, inconsistent" $? "$r"
r=$(row mcs 1)
echo "$r" | grep -q '<td class="notes"></td></tr>$'
check "table: mcs at 1 thread carries no mark" $? "$r"

# --- a core-to-core-only folder (--c2c without --lock) ----------------------
"$ROOT/plot-results" "$T/c2c" >"$T/out" 2>"$T/err"
rc=$?
check "plot-results on a --c2c-only folder: exit 0, quiet" $([ $rc = 0 ] && [ ! -s "$T/err" ]; echo $?) "exit $rc: $(cat "$T/err")"
R=$T/c2c/report.html
[ -s "$R" ] && grep -q 'id="no-configs"' "$R" && [ "$(grep -c '<tr class="config">' "$R")" = 0 ] && \
	grep -q '<tr><th>kernel</th>' "$R" && grep -q '<tr class="c2c"><td>[a-z0-9]*</td><td class="n">[1-9][0-9]*</td><td class="n">[0-9.]*ns</td>' "$R"
check "c2c-only report: metadata, no configuration row, the floor per distance class" $? "$(grep -o '<tr class="c2c">.*' "$R")"
if [ $HAVE_GP = 1 ]; then
	sz=$([ -s "$T/c2c/plots/c2c_heatmap.png" ] && png_size "$T/c2c/plots/c2c_heatmap.png")
	check "c2c-only: core-to-core heatmap drawn, 800x500 ($sz), shown in the report" $([ "$sz" = 800x500 ] && \
		[ -s "$T/c2c/plots/c2c_heatmap.svg" ] && grep -q 'src="plots/c2c_heatmap.png"' "$R"; echo $?)
fi

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
n3=$(grep -c '<td>cores</td><td class="n">[124]</td><td class="n">3</td><td class="n">NA (under 6 reps)</td><td class="n">[0-9.]*[kM]</td>' "$R")
check "fixture report: every row shows its reps (3) and its interval (NA below 6 reps) ($n3 of 6)" $([ "$n3" = 6 ]; echo $?)
grep -q '<table id="c2c">' "$R" && grep -q '<tr class="c2c"><td>smt</td><td class="n">4</td><td class="n">40ns</td><td class="n">40ns</td>' "$R" && \
	grep -q '<tr class="c2c"><td>l3</td><td class="n">8</td><td class="n">90ns</td>' "$R"
check "fixture report: core-to-core floor per distance class from c2c.csv (smt 40ns, l3 90ns)" $? "$(grep -o '<tr class="c2c">.*' "$R")"
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

cp -r "$FIX/cmpB" "$T/cmpB2"
setcfg "$T/cmpB2/configs.csv" ttas 2 throughput_ops_s=120000000.0
"$ROOT/compare-results" "$T/cmpA" "$T/cmpB2" --out="$T/cmp3" >"$T/out" 2>"$T/err"
r=$(grep "^threads,ttas,max-contention,2,0.2500," "$T/cmp3/comparison.csv" | grep -v ',alpha,' | awk -F, '{ print $12 }')
check "ratios come from configs.csv's medians, not summary.csv (edited median: 2.4000, got $r)" $([ "$r" = 2.4000 ]; echo $?) "$(cat "$T/err")"

"$ROOT/compare-results" "$T/r1" "$T/r2" --out="$T/cmp2" >"$T/out" 2>"$T/err"
check "compare-results on two real runs (--machine=otherbox)" $? "$(cat "$T/err")"
grep -q 'otherbox' "$T/cmp2/comparison.csv"
check "comparison.csv names the second machine" $?
# One shared thread count: each panel has one x value (found by tests/vm).
"$BIN" --lock=mcs --threads=2 --duration=20ms --warmup=5ms --repeat=1 --no-plots \
	--machine=onepoint --out="$T/s1" --quiet >/dev/null 2>"$T/err"
"$ROOT/compare-results" "$T/r1" "$T/s1" --out="$T/cmp4" >"$T/out" 2>>"$T/err"
check "compare-results with one thread count in common: exit 0, every plot drawn" \
	$([ $? = 0 ] && [ -s "$T/cmp4/plots/throughput_by_threads.png" ]; echo $?) "$(cat "$T/err")"

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
cp -r "$T/cmpA" "$T/noconf"
rm "$T/noconf/configs.csv"
refuse "plot-results: no configs.csv" "noconf: not a result folder (no configs.csv)" "$ROOT/plot-results" "$T/noconf"
refuse "compare-results: no configs.csv" "noconf: not a result folder (no configs.csv)" "$ROOT/compare-results" "$T/cmpA" "$T/noconf" --out="$T/x"
cp -r "$T/cmpA" "$T/badconf"
sed -i '1s/,unstable,/,stable,/' "$T/badconf/configs.csv"
refuse "missing column in configs.csv" "configs.csv: missing column 'unstable'" "$ROOT/plot-results" "$T/badconf"
cp -r "$T/cmpA" "$T/lessconf"
sed -i '/^cmpA,alpha,mcs,queued,max-contention,cores,4,/d' "$T/lessconf/configs.csv"
refuse "configs.csv lacks a configuration of summary.csv" "configs.csv: no row for mcs (max-contention) at 4 threads" "$ROOT/plot-results" "$T/lessconf"
refuse "compare-results: a --c2c-only folder" "c2c: no configurations to compare" "$ROOT/compare-results" "$T/cmpA" "$T/c2c" --out="$T/x"
cp -r "$T/c2c" "$T/nothing"
rm -rf "$T/nothing/c2c.csv" "$T/nothing/plots" "$T/nothing/report.html"
refuse "plot-results: no configuration and no c2c.csv" "configs.csv: no rows, and no core-to-core rows (c2c.csv): nothing to draw" "$ROOT/plot-results" "$T/nothing"
check "nothing written for a refused comparison (again)" $([ ! -e "$T/x" ]; echo $?)
cp -r "$T/cmpA" "$T/twowl"
sed -i 's/,mcs,queued,max-contention,/,mcs,queued,short-cs,/' "$T/twowl/configs.csv" "$T/twowl/summary.csv"
refuse "plot-results: configs.csv of two workloads" "configs.csv: rows of 2 workloads (max-contention, short-cs); spinbench writes one per folder" "$ROOT/plot-results" "$T/twowl"
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
	[ "$(ls "$T/nogp" | wc -l)" = 4 ] && cmp -s "$FIX/cmpB/summary.csv" "$T/nogp/summary.csv"; then
	ok "without gnuplot: exit 0, one line how to install it, report with table, results untouched"
else
	nok "without gnuplot" "exit $rc: $(cat "$T/err"); $(ls "$T/nogp")"
fi

# --- headless Chromium: every image loads, one row per configuration --------
# shellcheck source=tests/lib/imgcheck.sh
. "$ROOT/tests/lib/imgcheck.sh"
n_script=$(cat "$T/r1/report.html" "$T/c2c/report.html" "$T/cmp/comparison.html" | grep -c '<script')
check "report.html and comparison.html ship no script (the image check is the test's)" $([ "$n_script" = 0 ]; echo $?) "$n_script <script> tags"
if [ -z "$CHROME" ]; then
	skip "report.html in headless Chromium" "chromium not installed (scripts/deps.sh --all installs it)"
elif [ $HAVE_GP = 0 ]; then
	skip "report.html in headless Chromium" "no plots without gnuplot"
else
	imgcheck "$T/r1/report.html" >"$T/dom"
	mark=$(grep -o 'IMG-CHECK images=[0-9]* failed=[0-9]*[^<]*' "$T/dom")
	rows=$(grep -o '<tr class="config">' "$T/dom" | wc -l)
	check "Chromium: every image of report.html loaded ($mark), $rows rows for 4 configurations" \
		$(echo "$mark" | grep -q 'images=[1-9][0-9]* failed=0$' && [ "$rows" = 4 ]; echo $?) "marker: '$mark'"
	rm "$T/r1/plots/jain.png"
	imgcheck "$T/r1/report.html" >"$T/dom"
	mark=$(grep -o 'IMG-CHECK images=[0-9]* failed=[0-9]*[^<]*' "$T/dom")
	check "Chromium check fails when an image is missing ($mark)" \
		$(echo "$mark" | grep -q 'failed=1 plots/jain.png'; echo $?) "marker: '$mark'"
	imgcheck "$T/c2c/report.html" >"$T/dom"
	mark=$(grep -o 'IMG-CHECK images=[0-9]* failed=[0-9]*[^<]*' "$T/dom")
	check "Chromium: the c2c-only report.html loads its heatmap ($mark)" \
		$(echo "$mark" | grep -q 'images=1 failed=0$'; echo $?) "marker: '$mark'"
	imgcheck "$T/cmp/comparison.html" >"$T/dom"
	mark=$(grep -o 'IMG-CHECK images=[0-9]* failed=[0-9]*[^<]*' "$T/dom")
	check "Chromium: every image of comparison.html loaded ($mark)" \
		$(echo "$mark" | grep -q 'images=6 failed=0$'; echo $?) "marker: '$mark'"
fi

echo "$pass passed, $failn failed, $skipn skipped"
[ "$failn" -eq 0 ]
