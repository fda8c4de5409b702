#!/bin/sh
# test_study.sh - a split plan without a cluster: run-bench --part=K/N and
# --list-configs (bad values, every configuration in exactly one part, each
# part's repetitions in the whole run's seeded order), merge-results (the
# merged folder against one run of the whole plan, configuration for
# configuration; plot-results and compare-results read it; every refusal is
# one line, exit 2, nothing written), and run-fleet --local end to end (two
# pretend machines, --split=2: the study folder, study.html, the ratio
# table; its bad input).  Prints ok/not ok lines and closes with
# "N passed, N failed, N skipped".  Usage: tests/e2e/test_study.sh [BUILD_DIR]
set -u
B=${1:-${B:-build}}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$(cd "$(dirname "$B/spinbench")" && pwd)/spinbench
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export SPINBENCH_RESULTS=$T/results
export SPINBENCH_WORKLOADS=$ROOT/workloads
# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"

# cols FILE COLS: the CSV's columns by name (cut -f), header left out
cols() { python3 -c 'import csv,sys
r=list(csv.reader(open(sys.argv[1])));h=r[0];ix=[h.index(c) for c in sys.argv[2].split(",")]
for row in r[1:]: print(",".join(row[i] for i in ix))' "$1" "$2"; }

# --- run-bench --part: bad values ------------------------------------------------
mkdir -p "$SPINBENCH_RESULTS"
badrb() {
	want=$1; shift
	"$BIN" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	left=$(ls -A "$SPINBENCH_RESULTS")
	check "run-bench $* -> exit 2, one line naming '$want'" \
		$([ $rc = 2 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -qF -- "$want" "$T/err" && [ -z "$left" ]; echo $?) \
		"exit $rc: $(cat "$T/err") left: $left"
}
badrb "--part: invalid value '0/2'" --lock=ttas --threads=1,2 --part=0/2 --seed=1
badrb "--part: invalid value '3/2'" --lock=ttas --threads=1,2 --part=3/2 --seed=1
badrb "--part: invalid value '1-2'" --lock=ttas --threads=1,2 --part=1-2 --seed=1
badrb "--part: needs --seed" --lock=ttas --threads=1,2 --part=1/2
badrb "the plan has 4 configurations" --lock=ttas,mcs --threads=1,2 --part=5/5 --seed=1

# --- --list-configs: every configuration in exactly one part ---------------------
PLAN="--lock=ttas,mcs,ticket --threads=1,2 --seed=42"
"$BIN" $PLAN --list-configs >"$T/all" 2>"$T/err"
rc=$?
grep -v '^#' "$T/all" | cut -d' ' -f1-3 | sort >"$T/all.k"
: >"$T/parts.k"
for k in 1 2 3 4; do "$BIN" $PLAN --list-configs --part=$k/4 | grep -v '^#' | cut -d' ' -f1-3 >>"$T/parts.k"; done
sort "$T/parts.k" >"$T/parts.s"
check "--list-configs: 6 configurations; parts 1..4 of 4 list each exactly once" \
	$([ $rc = 0 ] && [ "$(wc -l <"$T/all.k")" = 6 ] && cmp -s "$T/all.k" "$T/parts.s"; echo $?) "$(cat "$T/all" "$T/parts.s")"
"$BIN" $PLAN --list-configs --part=2/4 | grep -v "^#" >"$T/p24"
check "--list-configs --part=2/4: configurations 1 and 5 (index % 4 == 1)" \
	$([ "$(cut -d" " -f1 "$T/p24" | tr '\n' ' ')" = "1 5 " ] && [ "$(cut -d" " -f4 "$T/p24" | sort -u)" = 2 ]; echo $?) "$(cat "$T/p24")"

# --- parts of a plan against one run of the whole plan ----------------------------
RUN="$PLAN --duration=20ms --warmup=10ms --timed=10ms --repeat=2 --quiet"
"$BIN" $RUN --out="$T/whole" >/dev/null 2>"$T/err"
rcw=$?
rcp=0
for k in 1 2 3; do "$BIN" $RUN --part=$k/3 --out="$T/p$k" >/dev/null 2>>"$T/err" || rcp=1; done
check "one whole run and its 3 parts ran" $([ $rcw = 0 ] && [ $rcp = 0 ]; echo $?) "$(cat "$T/err")"
bad=""
for k in 1 2 3; do
	# the whole run's (lock, threads, rep) sequence, only part k's configurations
	cols "$T/whole/summary.csv" lock,threads,rep >"$T/w.seq"
	"$BIN" $PLAN --list-configs --part=$k/3 | grep -v '^#' | awk '{ print $2 "," $3 }' >"$T/mine"
	awk -F, 'NR==FNR { k[$1","$2]=1; next } ($1","$2) in k' "$T/mine" "$T/w.seq" >"$T/w.k"
	cols "$T/p$k/summary.csv" lock,threads,rep >"$T/p.seq"
	cmp -s "$T/w.k" "$T/p.seq" || bad="$bad part$k"
done
check "each part ran its repetitions in the whole run's seeded order (summary.csv rows)" $([ -z "$bad" ]; echo $?) "differs:$bad"
python3 - "$T" <<'EOF' >"$T/py" 2>&1
import json, sys
t = sys.argv[1]
for k in (1, 2, 3):
    m = json.load(open("%s/p%d/meta.json" % (t, k)))
    assert m["part"] == "%d/3" % k and m["plan_configurations"] == 6 and m["configurations"] == 2, m
    assert m["seed"] == 42
EOF
check "each part's meta.json: part K/3, plan_configurations 6, configurations 2, seed 42" $?  "$(cat "$T/py")"

out=$(./merge-results --out="$T/merged" "$T/p3" "$T/p1" "$T/p2" 2>&1)
rc=$?
check "merge-results of the 3 parts (given out of order): exit 0" $([ $rc = 0 ] && [ -d "$T/merged" ]; echo $?) "$out"
cols "$T/whole/configs.csv" lock,threads,workload,placement,reps >"$T/wc"
cols "$T/merged/configs.csv" lock,threads,workload,placement,reps >"$T/mc"
check "merged configs.csv: the whole run's configurations, in its order, with its repetition counts" \
	$(cmp -s "$T/wc" "$T/mc"; echo $?) "$(diff "$T/wc" "$T/mc")"
for f in summary.csv threads.csv handoffs.csv histograms.csv; do
	a=$(($(wc -l <"$T/p1/$f") + $(wc -l <"$T/p2/$f") + $(wc -l <"$T/p3/$f") - 3))
	m=$(($(wc -l <"$T/merged/$f") - 1))
	h=$(head -1 "$T/merged/$f")
	check "merged $f: every part's $a rows, the same header" $([ "$a" = "$m" ] && [ "$h" = "$(head -1 "$T/p1/$f")" ]; echo $?) "$m rows"
done
cols "$T/merged/summary.csv" lock,threads,rep | sort >"$T/ms"
cols "$T/whole/summary.csv" lock,threads,rep | sort >"$T/ws"
check "merged summary.csv: the same (lock, threads, rep) set as the whole run" $(cmp -s "$T/ms" "$T/ws"; echo $?) "$(diff "$T/ws" "$T/ms")"
# the rows the merge took are the parts' own, to the digit
python3 - "$T" <<'EOF' >"$T/py" 2>&1
import csv, json, sys
t = sys.argv[1]
def rows(p):
    r = list(csv.reader(open(p)))
    return r[0], r[1:]
h, merged = rows(t + "/merged/configs.csv")
li, ti = h.index("lock"), h.index("threads")
for k in (1, 2, 3):
    _, part = rows("%s/p%d/configs.csv" % (t, k))
    for r in part:
        m = [x for x in merged if x[li] == r[li] and x[ti] == r[ti]]
        assert len(m) == 1 and m[0][1:] == r[1:], (r, m)
        assert m[0][0] == "merged"
m = json.load(open(t + "/merged/meta.json"))
w = json.load(open(t + "/whole/meta.json"))
assert m["complete"] is True and m["stop_reason"] == "", m
assert m["seed"] == w["seed"] and m["locks"] == w["locks"] and m["threads"] == w["threads"]
assert m["configurations"] == w["configurations"] == 6
assert "part" not in m and [p["part"] for p in m["merged_from"]] == ["1/3", "2/3", "3/3"]
assert m["run_id"] == "merged"
EOF
check "merged configs.csv rows are the parts' rows to the digit (run_id aside); meta.json: complete, seed, plan, merged_from" $? "$(cat "$T/py")"
./plot-results "$T/merged" >"$T/out" 2>&1
check "plot-results reads the merged folder: report.html" $([ $? = 0 ] && [ -s "$T/merged/report.html" ]; echo $?) "$(tail -3 "$T/out")"
./compare-results --out="$T/cmp" "$T/whole" "$T/merged" >"$T/out" 2>&1
check "compare-results lines the merged folder up with the whole run" \
	$([ $? = 0 ] && [ "$(grep -c '^threads,' "$T/cmp/comparison.csv")" = 12 ]; echo $?) "$(tail -3 "$T/out")"

# --- merge-results refusals: one line, exit 2, nothing written -------------------
# edit DIR KEY JSONVALUE: a copy's meta.json
edit() { python3 -c 'import json,sys
p=sys.argv[1]+"/meta.json";m=json.load(open(p));m[sys.argv[2]]=json.loads(sys.argv[3]);json.dump(m,open(p,"w"))' "$@"; }
refuse() {
	want=$1; shift
	rm -rf "$T/m2"
	./merge-results --out="$T/m2" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	left=$(ls -A "$T" | grep -c 'm2')
	check "merge-results refuses: $want" \
		$([ $rc = 2 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -qF -- "$want" "$T/err" && [ "$left" = 0 ]; echo $?) \
		"exit $rc: $(cat "$T/err") left: $left"
}
for what in machine build workload seed plan; do cp -r "$T/p2" "$T/x-$what"; done
edit "$T/x-machine" cpu_model '"Other CPU"'
edit "$T/x-build" git_commit '"0123456789ab"'
edit "$T/x-workload" workload '"long-cs"'
edit "$T/x-seed" seed 43
edit "$T/x-plan" duration_ns 1000000000
refuse "different machines: cpu_model" "$T/p1" "$T/x-machine" "$T/p3"
refuse "different builds: git_commit is" "$T/p1" "$T/x-build" "$T/p3"
refuse "different workloads: workload is 'max-contention'" "$T/p1" "$T/x-workload" "$T/p3"
refuse "different seeds: seed is 42" "$T/p1" "$T/x-seed" "$T/p3"
refuse "different plans: duration_ns" "$T/p1" "$T/x-plan" "$T/p3"
refuse "part 2 of 3 missing" "$T/p1" "$T/p3"
refuse "part 1/3 given twice" "$T/p1" "$T/p1" "$T/p2" "$T/p3"
refuse "not a part of a split run" "$T/whole" "$T/p1"
refuse "not a result folder" "$T/p1" "$T/nonesuch"
cp -r "$T/p2" "$T/x-wrong" && edit "$T/x-wrong" part '"1/3"'
refuse "belongs to part 2/3, not 1/3" "$T/x-wrong" "$T/p2" "$T/p3"
mkdir -p "$T/m3" && echo keep >"$T/m3/notes"
./merge-results --out="$T/m3" "$T/p1" "$T/p2" "$T/p3" >"$T/out" 2>"$T/err"
check "merge-results refuses an --out that is not empty (exit 2, one line, untouched)" \
	$([ $? = 2 ] && [ "$(wc -l <"$T/err")" = 1 ] && [ "$(ls -A "$T/m3")" = notes ]; echo $?) "$(cat "$T/err")"
# an incomplete part (stopped by SIGTERM): merged, marked incomplete
cp -r "$T/p2" "$T/x-inc"
edit "$T/x-inc" complete false && edit "$T/x-inc" stop_reason '"SIGTERM"'
python3 - "$T/x-inc" <<'EOF'
import csv, sys
d = sys.argv[1]
c = list(csv.reader(open(d + "/configs.csv")))
gone = c.pop()
li, ti = c[0].index("lock"), c[0].index("threads")
csv.writer(open(d + "/configs.csv", "w"), lineterminator="\n").writerows(c)
s = list(csv.reader(open(d + "/summary.csv")))
s = [r for r in s if (r[s[0].index("lock")], r[s[0].index("threads")]) != (gone[li], gone[ti])]
csv.writer(open(d + "/summary.csv", "w"), lineterminator="\n").writerows(s)
EOF
./merge-results --out="$T/m4" "$T/p1" "$T/x-inc" "$T/p3" >"$T/out" 2>&1
rc=$?
python3 -c 'import json,sys;m=json.load(open(sys.argv[1]));assert m["complete"] is False and m["stop_reason"]=="part 2/3: SIGTERM",m' "$T/m4/meta.json" 2>"$T/err"
check "an incomplete part (SIGTERM, a configuration lost): merged, marked incomplete with the part's reason" \
	$([ $rc = 0 ] && [ ! -s "$T/err" ]; echo $?) "$(cat "$T/out" "$T/err")"

# --- run-fleet --local: the study plan on this machine, part after part -----------------
export SPINBENCH_BIN=$BIN
FPLAN="--lock=ttas,mcs --threads=1,2 --duration=20ms --warmup=10ms --timed=10ms --repeat=2 --seed=9"
R=$T/fleet
fbad() {
	want=$1; shift
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	left=$(ls -A "$R" 2>/dev/null | grep -v '^study-loc-' | tr '\n' ' ')
	check "$(echo "$*" | sed "s|$ROOT/||; s|$T/||g") -> exit 2, one line naming '$want', nothing written" \
		$([ $rc = 2 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -qF -- "$want" "$T/err" && [ -z "$left" ]; echo $?) \
		"exit $rc, left: $left: $(cat "$T/err")"
}
mkdir -p "$T/nosbatch"
ln -sf "$(command -v sh)" "$T/nosbatch/sh"
PY=$(python3 -c 'import sys; print(sys.executable)')
fbad "sbatch not found on PATH" env PATH="$T/nosbatch" "$PY" "$ROOT/run-fleet" --partitions=a,b --results="$R" -- $FPLAN
fbad "no machine types" "$ROOT/run-fleet" --results="$R" -- $FPLAN
fbad "unknown option '--bogus'" "$ROOT/run-fleet" --local --bogus --results="$R" -- $FPLAN
fbad "run-bench rejects the options: run-bench: --threads: invalid value '0'" "$ROOT/run-fleet" --local --results="$R" -- $FPLAN --threads=0
fbad "--split: 5 parts for a plan of 4 configurations" "$ROOT/run-fleet" --local --split=5 --results="$R" -- $FPLAN
fbad "run-bench option --machine: the study sets it itself" "$ROOT/run-fleet" --local --results="$R" -- $FPLAN --machine=x

SPINBENCH_FLEET_INJECT=vm-b:1:--repeat=0 "$ROOT/run-fleet" --local --machines=vm-a,vm-b --split=2 --name=loc \
	--results="$R" -- $FPLAN >"$T/lo1" 2>"$T/le1"
rc=$?
S=$(ls -d "$R"/study-loc-* 2>/dev/null | head -1)
check "run-fleet --local --machines=vm-a,vm-b --split=2, part 1 of vm-b injected --repeat=0: exit 1, the failure and its log tail reported" \
	$([ $rc = 1 ] && [ -n "$S" ] && grep -q "FAILED: vm-b part 1/2 (job -.*): not run by Slurm; run-bench exit status 2" "$T/le1" &&
		grep -q "| run-bench: --repeat: invalid value '0'" "$T/le1"; echo $?) "exit $rc: $(tail -6 "$T/le1")"
check "vm-a merged while vm-b waits for its failed part; no comparison yet" \
	$([ -n "$S" ] && [ -s "$S/vm-a/configs.csv" ] && [ ! -e "$S/vm-b" ] && [ ! -e "$S/compare" ]; echo $?) "$(ls "$S" 2>&1)"
fbad "the study folder $S exists" "$ROOT/run-fleet" --local --machines=vm-a,vm-b --split=2 --name=loc --results="$R" -- $FPLAN
"$ROOT/run-fleet" --resume="$S" >"$T/lo2" 2>"$T/le2"
rc=$?
check "--resume: only the failed part runs again; exit 0, the ratio table (vm-b/vm-a) printed" \
	$([ $rc = 0 ] && grep -q "1 part to run again" "$T/le2" && [ "$(grep -c "local: " "$T/le2")" = 1 ] &&
		grep -q "vm-b/vm-a" "$T/lo2"; echo $?) "exit $rc: $(cat "$T/le2")"
check "the study folder: vm-a/, vm-b/ (report.html each), compare/, study.html linking them; the failed log kept as .failed-1; nothing hidden" \
	$([ -s "$S/vm-a/report.html" ] && [ -s "$S/vm-b/report.html" ] && [ -s "$S/compare/comparison.csv" ] &&
		grep -q 'href="vm-b/report.html"' "$S/study.html" && grep -q 'href="compare/comparison.html"' "$S/study.html" &&
		[ -f "$S/logs/vm-b-part-1.log.failed-1" ] && [ -z "$(find "$S" -name '.*')" ]; echo $?) "$(ls -A "$S" "$S/logs")"
cols "$S/vm-b/configs.csv" lock,threads,reps >"$T/fb"
"$BIN" $FPLAN --quiet --out="$T/fwhole" >/dev/null 2>&1
cols "$T/fwhole/configs.csv" lock,threads,reps >"$T/fw"
check "the resumed machine's folder has the whole plan's configurations and repetitions" $(cmp -s "$T/fb" "$T/fw"; echo $?) "$(diff "$T/fw" "$T/fb")"

echo "$pass passed, $failn failed, $skipn skipped"
[ "$failn" = 0 ]
