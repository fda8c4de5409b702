#!/bin/sh
# test_advise.sh - advise-lock end to end: known answers on the hand-written
# folders tests/fixtures/advise-mc (max-contention, 8 PUs: a clear winner at
# 2 threads, a set of two at 8, every lock within 5% at 1, an interpolated
# 4 and 3, a lock missing at 4 and 8, oversubscribed 12 and 16) and
# advise-think (think 10us: negligible lock cost), read from advice.json
# (--out) to the digit; fairness needs; the fingerprint demotion of another
# machine's folder; the same advice twice byte for byte; bad input (one
# line, exit 2, nothing written); one real run of $B/spinbench advised at 2
# threads.  Also the unit tests of plot/advisor.py (tests/unit/test_advisor.py,
# one line each here).  Prints ok/not ok lines and closes with
# "N passed, N failed, N skipped".  Usage: tests/e2e/test_advise.sh [BUILD_DIR]
set -u
B=${1:-${B:-build}}
BIN=$B/spinbench
ABSBIN=$(cd "$(dirname "$BIN")" && pwd)/spinbench # what advise-lock runs its sweeps with (SPINBENCH_BIN)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
FIX=$ROOT/tests/fixtures
ADV=$ROOT/advise-lock
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"

# --- unit tests of the pure parts (tests/unit/test_advisor.py) --------------
python3 "$ROOT/tests/unit/test_advisor.py" --lines >"$T/unit" 2>"$T/unit.err"
urc=$?
nunit=0 ufail=0
while IFS='	' read -r st name why; do
	nunit=$((nunit + 1))
	case $st in
	ok) ok "$name" ;;
	*) ufail=$((ufail + 1)); nok "$name" "$why" ;;
	esac
done <"$T/unit"
check "unit tests ran: $nunit, exit $urc (python3 tests/unit/test_advisor.py --lines)" \
	$([ "$nunit" -gt 0 ] && { [ $urc = 0 ] || [ $ufail -gt 0 ]; }; echo $?) "$(tail -5 "$T/unit.err")"

# adv NAME ARGS...: advise-lock --out=$T/NAME.json ARGS, its stdout in $T/NAME.txt
adv() {
	name=$1; shift
	"$ADV" --out="$T/$name.json" "$@" >"$T/$name.txt" 2>"$T/$name.err"
	echo $? >"$T/$name.rc"
}
# js NAME EXPR: a Python expression over the advice a (advice.json of NAME);
# cand(L) is candidate L's dict; prints the value
js() {
	python3 -c "
import json, sys
a = json.load(open('$T/$1.json'))
def cand(l):
    return [c for c in a['candidates'] if c['lock'] == l][0]
print($2)" 2>&1
}
# expect DESCRIPTION NAME EXPR WANT: js NAME EXPR prints WANT
expect() {
	got=$(js "$2" "$3")
	if [ "$(cat "$T/$2.rc")" = 0 ] && [ "$got" = "$4" ]; then ok "$1"
	else nok "$1" "exit $(cat "$T/$2.rc"), $3 = '$got', want '$4'; $(cat "$T/$2.err")"; fi
}

MC="--results=$FIX/advise-mc --target=results"

# --- one lock clearly wins ---------------------------------------------------
adv win $MC --threads=2
expect "T=2: ttas wins, separable at 5% from every other candidate (confident)" win \
	"a['advice']['lock'], a['advice']['kind'], a['advice']['set']" "ttas confident ['ttas']"
expect "T=2: ttas expected 50M/s [48M, 52M] (configs.csv ci95), measured" win \
	"cand('ttas')['throughput']['value'], cand('ttas')['throughput']['lo'], cand('ttas')['throughput']['hi'], cand('ttas')['throughput']['interval'], cand('ttas')['throughput']['provenance']" \
	"50000000.0 48000000.0 52000000.0 ci95 measured"
expect "T=2: saturated, rho = 2 x (0 + 100ns ticket handoff) / 10ns = 20" win \
	"a['regime']['name'], a['regime']['numbers']['rho'], a['regime']['numbers']['u_ns'], a['regime']['numbers']['handoff_ns']" \
	"saturated 20.0 10.0 100.0"
grep -q 'reacquire share 90.0% (54000 of 60000 timed acquisitions' "$T/win.txt" && \
	grep -q 'Jain 0.700, starved in 2 of 6 reps, worst min/max 0.300 \[measured at T=2\]' "$T/win.txt"
check "T=2: the reason in shares: ttas reacquire share 90.0% (summed over reps), Jain, starvation" $? "$(grep -A5 '\* ttas' "$T/win.txt")"
expect "T=2: the confirm line and its duration (2 locks x 1 x 6 reps x 350ms = 4.2 s)" win \
	"a['confirm']['command'], a['confirm']['duration_s']" "./run-bench --lock=ttas,pthread-mutex --threads=2 --repeat=6 4.2"
expect "T=2: at 4x the threads (measured) mcs overtakes; 2x not measured says unknown" win \
	"[w for w in a['would_change'] if w.startswith('at T=8') or w.startswith('at T=4')]" \
	"['at T=8 (4x the threads, measured): mcs overtakes: 21.00M/s vs ttas 14.00M/s', 'at T=4 (2x): unknown, not measured']"

# --- fairness ----------------------------------------------------------------
adv fifo $MC --threads=2 --fairness=fifo
expect "fairness=fifo: the faster unfair ttas and pthread-mutex excluded, ticket advised" fifo \
	"a['advice']['lock'], sorted(x['lock'] for x in a['excluded']), sorted(c['lock'] for c in a['candidates'])" \
	"ticket ['pthread-mutex', 'ttas'] ['mcs', 'ticket']"
expect "fairness=fifo: the price of fairness stated (ttas 150.0% faster, measured)" fifo \
	"[w for w in a['would_change'] if 'price of fairness' in w]" \
	"['without --fairness=fifo, ttas would be 150.0% faster (50.00M/s vs 20.00M/s, measured): the price of fairness']"
adv nostarve $MC --threads=2 --fairness=no-starvation
expect "no-starvation: unfair pthread-mutex admitted by its measured check, starved ttas excluded (measured)" nostarve \
	"a['advice']['lock'], [(x['lock'], x['provenance']) for x in a['excluded']], cand('pthread-mutex')['fairness']['provenance']" \
	"pthread-mutex [('ttas', 'measured')] measured"
adv jain $MC --threads=8 --fairness=jain:0.9
expect "jain:0.9 at T=8: ttas (worst Jain 0.5) excluded by measurement, pthread-mutex (not measured at 8) as unknown" jain \
	"a['advice']['lock'], [(x['lock'], x['provenance']) for x in a['excluded']]" "ticket [('pthread-mutex', 'unknown'), ('ttas', 'measured')]"

# --- two locks within 5%: a set, the tie-break --------------------------------
adv set $MC --threads=8
expect "T=8: {ticket, mcs} cannot be separated; the tie-break picks ticket over the faster mcs" set \
	"a['advice']['kind'], a['advice']['set'], a['advice']['lock'], a['candidates'][0]['lock']" \
	"set ['ticket', 'mcs'] ticket mcs"
expect "T=8: pthread-mutex not measured there: unknown, never ranked" set \
	"[u['lock'] for u in a['unknown']], 'pthread-mutex' in [c['lock'] for c in a['candidates']]" "['pthread-mutex'] False"

cp -r "$FIX/advise-mc" "$T/wide"
sed -i 's/^\(advise-mc,fixbox,ticket,basic,max-contention,cores,2,6,20000000.0,NA,NA,19000000.0,\)21000000.0,/\149000000.0,/' "$T/wide/configs.csv"
adv wide --results="$T/wide" --target=results --threads=2
expect "ticket's interval widened to overlap ttas's (medians 20M vs 50M): unsure, and the tie-break never picks the unresolved ticket" wide \
	"a['advice']['kind'], a['advice']['set'], a['advice']['lock'], cand('ticket')['throughput']['hi']" \
	"unsure ['ticket', 'ttas'] ttas 49000000.0"

# --- all within 5% --------------------------------------------------------------
adv all $MC --threads=1
expect "T=1: every lock within 5%: the lock choice does not matter (tie-break: ticket)" all \
	"a['advice']['kind'], a['advice']['lock'], len(a['advice']['set']), 'does not matter here' in a['advice']['text']" \
	"does not matter ticket 4 True"
expect "T=1: pthread-mutex (3 reps, no 95% interval): the repetitions' range [94M, 98M], coverage 75%" all \
	"cand('pthread-mutex')['throughput']['lo'], cand('pthread-mutex')['throughput']['hi'], cand('pthread-mutex')['throughput']['interval']" \
	"94000000.0 98000000.0 range 75.0%"
expect "T=1: lock-bound uncontended (u 10ns is 100% of an empty workload's period)" all "a['regime']['name']" "lock-bound uncontended"
grep -q '^advice: The lock choice does not matter here' "$T/all.txt"
check "T=1: printed 'The lock choice does not matter here'" $? "$(grep '^advice' "$T/all.txt")"
adv think --results="$FIX/advise-think,$FIX/advise-mc" --target=results --think=10us --threads=2
expect "think=10us: negligible lock cost (rho 0.02), does not matter; the max-contention folder not used" think \
	"a['regime']['name'], a['regime']['numbers']['rho'], a['advice']['kind'], a['results'][1]['used'].startswith('not used: another workload')" \
	"negligible lock cost 0.01998 does not matter True"

# --- interpolation and missing configurations ----------------------------------
adv t4 $MC --threads=4
expect "T=4 (between 2 and 8): ttas interpolated 32M [30.5M, 33.5M] (linear in log threads)" t4 \
	"cand('ttas')['throughput']['value'], cand('ttas')['throughput']['lo'], cand('ttas')['throughput']['hi'], cand('ttas')['throughput']['provenance']" \
	"32000000.0 30500000.0 33500000.0 interpolated"
expect "T=4 not measured: no number says measured; pthread-mutex (T=1,2 only) unknown" t4 \
	"sorted({c['throughput']['provenance'] for c in a['candidates']}), [u['lock'] for u in a['unknown']], a['advice']['provenance']" \
	"['interpolated'] ['pthread-mutex'] interpolated"
adv t3 $MC --threads=3
want=$(python3 -c "import math; print(float('%.6g' % (50e6 + (math.log(3) - math.log(2)) / (math.log(8) - math.log(2)) * (14e6 - 50e6))))")
expect "T=3: ttas interpolated exactly 50M + ln(3/2)/ln(4) x (14M - 50M) = $want" t3 "cand('ttas')['throughput']['value']" "$want"

# --- oversubscribed ------------------------------------------------------------
adv t12 $MC --threads=12
expect "T=12 > 8 PUs, nothing measured (no interpolation across the PU count): pthread-mutex by rule" t12 \
	"a['regime']['name'], a['regime']['provenance'], a['advice']['lock'], a['advice']['kind'], a['advice']['provenance'], len(a['candidates'])" \
	"oversubscribed rule pthread-mutex rule rule 0"
adv t16 $MC --threads=16
expect "T=16 measured while oversubscribed: ttas (mcs collapsed, preempted 6 of 6)" t16 \
	"a['regime']['name'], a['advice']['lock'], cand('mcs')['throughput']['value']" "oversubscribed ttas 500000.0"
grep -q 'preempted in 6 of 6 reps, oversubscribed \[measured at T=16\]' "$T/t16.txt"
check "T=16: the collapse explained by the preemption count" $? "$(grep -A6 ' mcs ' "$T/t16.txt")"
adv t12f $MC --threads=12 --fairness=fifo
expect "T=12 with fairness=fifo, nothing measured: the collapse answer by rule (no lock advised, every admitted lock a queue-order spin lock)" t12f \
	"a['advice']['lock'], a['advice']['set'], a['advice']['kind'], a['advice']['provenance'], 'not measured' in a['advice']['text'], sorted(u['lock'] for u in a['unknown'])" \
	"None [] collapse rule True ['mcs', 'ticket']"
adv t16f $MC --threads=16 --fairness=fifo
expect "T=16 with fairness=fifo: mcs measured at 500k/s, preempted 6 of 6, 24 times below ttas: collapse confirmed by measurement, rule tier, no lock advised; the confirm line measures ttas too" t16f \
	"a['advice']['lock'], a['advice']['kind'], a['advice']['provenance'], 'confirmed by measurement' in a['advice']['text'], '24 times slower' in a['advice']['text'], cand('mcs')['in_set'], a['confirm']['command'].split()[1]" \
	"None collapse rule True True False --lock=mcs,ticket,ttas"
grep -q '^  - at T=8 (<= 8 PUs, measured): the need is met by {ticket, mcs}, best mcs at 21.00M/s$' "$T/t16f.txt" &&
	grep -q 'without --fairness=fifo, ttas would be 24 times as fast' "$T/t16f.txt"
check "T=16 collapse: where the need is met (T <= PUs, measured) and the price of fairness as a ratio" $? "$(grep -A8 '^would' "$T/t16f.txt")"
adv t16n $MC --threads=16
expect "T=16 without a fairness need: no collapse answer, ttas measured" t16n \
	"a['advice']['lock'], a['advice']['kind'], a['advice']['provenance']" "ttas confident measured"

# --- another machine's folder: demoted -------------------------------------------
adv here --results="$FIX/advise-mc" --threads=2
expect "a folder of another CPU model (default --target=here): measured demoted to predicted" here \
	"sorted({c['throughput']['provenance'] for c in a['candidates']}), a['advice']['provenance'], 'differs from this machine' in a['machine']['fingerprint_status']" \
	"['predicted'] predicted True"
grep -nE '"provenance": "(measured|interpolated)"|\[(measured|interpolated)|(measured|interpolated) at T|, measured\)' "$T/here.json" "$T/here.txt" >"$T/here.grep"
check "demoted advice: no figure tagged measured or interpolated (JSON and text)" $([ ! -s "$T/here.grep" ]; echo $?) "$(head -3 "$T/here.grep")"
adv here2 --results="$FIX/advise-mc" --threads=2 --fairness=no-starvation
expect "demoted: another machine's fairness is no measured check: pthread-mutex and ttas excluded" here2 \
	"a['advice']['lock'], sorted(x['lock'] for x in a['excluded'])" "ticket ['pthread-mutex', 'ttas']"

# --- golden: the same advice twice, byte for byte; the text and the JSON agree ---
adv again $MC --threads=8
cmp -s "$T/set.json" "$T/again.json" && cmp -s "$T/set.txt" "$T/again.txt"
check "the same folders give the same advice.json and text byte for byte" $?
python3 -c "
import sys; sys.dont_write_bytecode = True; sys.path.insert(0, '$ROOT/plot')
import json, advisor
sys.exit(advisor.render(json.load(open('$T/set.json'))) != open('$T/set.txt').read())"
check "the printed text is the rendering of advice.json (same content)" $?
ls -a "$T" | grep -q '\.tmp$'
check "--out written atomically (no temporary file left)" $([ $? != 0 ]; echo $?)

# --- honesty checks that need no big machine (issue 15) ---------------------------
# metamorphic: every time figure scaled by s (latencies x s, throughputs / s)
# is the same machine at another clock: the regime, the advice, its set and
# the candidates' ranking must not change (at 1, 2, 8 and 16 threads).
# synthetic ground truth: two locks at 2 threads with a known gap and known
# interval half-width; the advice is "confident" exactly when they are
# separable (gap over 5% and intervals disjoint), and otherwise names both.
python3 - "$FIX/advise-mc" "$T" "$ADV" <<'PY' >"$T/meta.out" 2>&1
import csv, json, os, shutil, subprocess, sys
fix, tmp, adv = sys.argv[1:]

def rewrite(src, dst, fn):
    os.makedirs(dst, exist_ok=True)
    shutil.copy(os.path.join(src, "meta.json"), dst)
    for name in ("configs.csv", "summary.csv"):
        rows = list(csv.DictReader(open(os.path.join(src, name))))
        cols = list(rows[0].keys())
        for r in rows:
            fn(name, r)
        with open(os.path.join(dst, name), "w", newline="") as f:
            w = csv.DictWriter(f, cols)
            w.writeheader()
            w.writerows(rows)

def advise(folder, t, extra=()):
    out = os.path.join(tmp, "m.json")
    p = subprocess.run([adv, "--results=" + folder, "--threads=%d" % t, "--out=" + out] + list(extra),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    assert p.returncode == 0, p.stderr
    return json.load(open(out))

def key(a):
    return (a["regime"]["name"], a["advice"]["lock"], a["advice"]["kind"], tuple(a["advice"]["set"]),
            tuple(c["lock"] for c in a["candidates"]))

def scaler(s):
    def fn(name, r):
        for k, v in r.items():
            if v in ("NA", "") or k in ("threads", "reps"):
                continue
            if k.endswith("_ns"):
                r[k] = repr(float(v) * s)
            elif "ops_s" in k or k.startswith("throughput_"):
                r[k] = repr(float(v) / s)
    return fn

n = 0
for s in (0.5, 3.0):
    d = os.path.join(tmp, "scaled-%g" % s)
    rewrite(fix, d, scaler(s))
    for t in (1, 2, 8, 16):
        a, b = advise(fix, t), advise(d, t)
        assert key(a) == key(b), ("time x %g at T=%d" % (s, t), key(a), key(b))
        n += 1
print("ok\tmetamorphic: %d cases (times x0.5 and x3 at 1, 2, 8, 16 threads): regime, advice, set and ranking unchanged" % n)

m_a, cases, bad = 50e6, 0, []
for gap in (0.03, 0.08, 0.20):
    for hw in (0.01, 0.05, 0.15):
        m_b = m_a * (1 - gap)
        def fn(name, r, gap=gap, hw=hw, m_b=m_b):
            if r["threads"] != "2" or r["lock"] not in ("ttas", "pthread-mutex"):
                return
            m = m_a if r["lock"] == "ttas" else m_b
            if name == "configs.csv":
                r.update(throughput_ops_s=repr(m), throughput_ci_lo=repr(m * (1 - hw)),
                         throughput_ci_hi=repr(m * (1 + hw)), reps="6")
        d = os.path.join(tmp, "noise-%g-%g" % (gap, hw))
        rewrite(fix, d, fn)
        a = advise(d, 2, ["--lock=ttas,pthread-mutex"])
        separable = gap > 0.05 and m_a * (1 - hw) > m_b * (1 + hw)
        kind, aset = a["advice"]["kind"], set(a["advice"]["set"])
        ok = (kind == "confident" and a["advice"]["lock"] == "ttas") if separable else \
             (kind != "confident" and aset == {"ttas", "pthread-mutex"})
        cases += 1
        if not ok:
            bad.append((gap, hw, kind, sorted(aset)))
if bad:
    print("not ok\tsynthetic noise: the advice abstains exactly when the noise exceeds the gap\t%s" % bad)
else:
    print("ok\tsynthetic noise: %d (gap, interval) pairs at 2 threads: confident exactly when separable, else a set of both" % cases)
PY
mrc=$?
while IFS='	' read -r st name why; do
	case $st in
	ok) ok "$name" ;;
	"not ok") nok "$name" "$why" ;;
	*) nok "metamorphic and synthetic checks" "$st $name $why" ;;
	esac
done <"$T/meta.out"
[ $mrc = 0 ] || nok "metamorphic and synthetic checks ran" "exit $mrc"

# --- the cross-machine model (predicted) -------------------------------------------
# tests/lib/mkmodel.py writes "modelbox" (8 PUs, one node, every pair l3 at
# 40 ns) whose FIFO and NUMA-aware locks' throughputs come from known
# u, m, s; advised for the machines of the repository's hwloc XML files with
# synthetic core-to-core floors, every figure must be `predicted`.
python3 "$ROOT/tests/lib/mkmodel.py" "$T/modelbox"
export SPINBENCH_BIN="$ABSBIN" # the plans of --target come from this build
XML=$ROOT/tests/topologies
FLOORS=smt=12,l2=20,l3=40,numa=90,package=110,remote=180
adv fit --results="$T/modelbox" --threads=8 --target="$XML/intel-2s-2n8c2t.xml" --target-c2c=$FLOORS
expect "the fit gives back the generating parameters (u, m, s) of ticket, mcs and qspin" fit \
	"[(round(cand(l)['model']['u'], 3), round(cand(l)['model']['m'], 3), round(cand(l)['model']['s'], 3)) for l in ('ticket', 'mcs', 'qspin')]" \
	"[(8.0, 2.0, 0.3), (12.0, 2.5, 0.0), (9.0, 2.2, 0.05)]"
expect "unfair locks are not predicted across machines: ttas, pthread-mutex unknown with the reason" fit \
	"sorted(u['lock'] for u in a['unknown']), all('reacquire locality' in u['why'] for u in a['unknown'])" \
	"['pthread-mutex', 'ttas'] True"
# On this machine with a 40 ns floor for every class, the prediction is the
# generating formula itself: mcs at 2 threads 1e9 / (12 + 2.5 x 40) = 8.92857M/s.
adv flat --results="$T/modelbox" --threads=2 --target-c2c=smt=40,l2=40,l3=40,numa=40,package=40,remote=40
expect "a flat target with the results' floor: mcs predicted at 1e9/(u + m x 40), interval +-30%" flat \
	"cand('mcs')['throughput']['value'], cand('mcs')['throughput']['lo'], cand('mcs')['throughput']['interval'], cand('mcs')['throughput']['provenance']" \
	"8928570.0 6250000.0 model +-30% predicted"
# cs and think are the chain's inputs: a workload that differs from the
# results' max-contention only in them is predicted from its rows.
adv flatcs --results="$T/modelbox" --threads=2 --cs=1us --think=2us --target-c2c=smt=40,l2=40,l3=40,numa=40,package=40,remote=40
want=$(python3 -c "
import sys; sys.dont_write_bytecode = True; sys.path.insert(0, '$ROOT/plot')
import advisor as ad
print(ad.rnd(ad.chain_throughput(2, 1000.0, 2000.0, 12.0, lambda k: 12.0 + 2.5 * 40)))")
expect "cs=1us think=2us from max-contention rows: mcs at 2 threads is the chain's ($want/s), predicted" flatcs \
	"cand('mcs')['throughput']['value'], cand('mcs')['throughput']['provenance'], 'max-contention' in a['results'][0]['used']" \
	"$want predicted True"
for x in "$XML"/*.xml; do
	xn=$(basename "$x" .xml)
	pus=$("$ABSBIN" --plan --topology="$x" --threads=max 2>/dev/null | grep -c '^ *[0-9]')
	half=$((pus / 2))
	adv "x-$xn" --results="$T/modelbox" --threads=$half --placement=scatter --target="$x" --target-c2c=$FLOORS
	expect "$xn ($pus PUs), $half threads scattered: predicted advice, every candidate predicted, a confirm line" "x-$xn" \
		"a['advice']['provenance'], sorted({c['throughput']['provenance'] for c in a['candidates']}), a['confirm']['command'].startswith('./run-bench --lock=') and '--threads=$half ' in a['confirm']['command'] and '--placement=scatter' in a['confirm']['command'], a['machine']['pus']" \
		"predicted ['predicted'] True $pus"
	grep -nE '"provenance": "(measured|interpolated)"|\[(measured|interpolated)|(measured|interpolated) at T' \
		"$T/x-$xn.json" "$T/x-$xn.txt" >"$T/x.grep"
	check "$xn: no figure claims measured or interpolated (JSON and text)" $([ ! -s "$T/x.grep" ]; echo $?) "$(head -3 "$T/x.grep")"
done
# A synthetic core-to-core matrix (c2c.csv, one row per PU pair of the whole
# topology, its class's floor +-10%) serves as --target-c2c like the floors.
"$ABSBIN" --plan --topology="$XML/amd-zen1-2x7451-8n.xml" --threads=max >"$T/zen1.plan" 2>/dev/null
python3 - "$T/zen1.plan" "$T/zen1-c2c.csv" "$ROOT/plot" <<'PY' >"$T/py" 2>&1
import random, sys
sys.dont_write_bytecode = True
sys.path.insert(0, sys.argv[3])
import advisor as ad
rows = ad.parse_plan(open(sys.argv[1]).read())
floor = {"smt": 12.0, "l2": 20.0, "l3": 40.0, "numa": 90.0, "package": 110.0, "remote": 180.0}
rng = random.Random(1)
with open(sys.argv[2], "w") as f:
    f.write("from_pu,to_pu,class,median_ns,min_ns,samples,offset_ns\n")
    for a in rows:
        for b in rows:
            if a["pu"] < b["pu"]:
                c = ad.pair_class(a, b)
                v = floor[c] * rng.uniform(0.9, 1.1)
                f.write("%d,%d,%s,%.1f,%.1f,100,0.0\n" % (a["pu"], b["pu"], c, v, 0.9 * v))
print(len(rows))
PY
adv zmat --results="$T/modelbox" --threads=24 --placement=scatter --target="$XML/amd-zen1-2x7451-8n.xml" \
	--target-c2c="$T/zen1-c2c.csv"
expect "amd-zen1-2x7451-8n with a synthetic c2c.csv matrix ($(tail -1 "$T/py") PUs, every pair): predicted, the floors from the matrix" zmat \
	"a['advice']['provenance'], sorted({c['throughput']['provenance'] for c in a['candidates']}), 'c2c.csv' in cand('mcs')['reason'][2]" \
	"predicted ['predicted'] True"
adv xover --results="$T/modelbox" --threads=64 --target="$XML/intel-2s-2n8c2t.xml" --target-c2c=$FLOORS
expect "intel-2s-2n8c2t (32 PUs) at 64 threads: oversubscribed, the rule answer, nothing predicted" xover \
	"a['regime']['name'], a['advice']['lock'], a['advice']['provenance'], a['candidates']" \
	"oversubscribed pthread-mutex rule []"
# Metamorphic: raising the remote floor never shrinks a NUMA-aware lock's
# predicted gain over mcs (16 threads scattered over two nodes).
for r in 90 120 180 270 400 600; do
	adv "rem$r" --results="$T/modelbox" --threads=16 --placement=scatter --target="$XML/intel-2s-2n8c2t.xml" \
		--target-c2c=smt=12,l3=40,remote=$r
done
python3 - "$T" <<'PY' >"$T/py" 2>&1
import json, sys
gains = {l: [] for l in ("cohort", "cna", "hmcs")}
for r in (90, 120, 180, 270, 400, 600):
    a = json.load(open("%s/rem%d.json" % (sys.argv[1], r)))
    x = {c["lock"]: c["throughput"]["value"] for c in a["candidates"]}
    for l in gains:
        gains[l].append(x[l] / x["mcs"])
for l, g in gains.items():
    assert all(b >= a for a, b in zip(g, g[1:])), (l, g)
    assert g[-1] > g[0], (l, g)
print("gains over mcs at remote 90..600 ns: " + "; ".join("%s %.2f..%.2f" % (l, g[0], g[-1]) for l, g in gains.items()))
PY
check "metamorphic: raising the remote floor (90 to 600 ns) never shrinks cohort's, cna's or hmcs's predicted gain over mcs: $(tail -1 "$T/py")" $? "$(cat "$T/py")"
unset SPINBENCH_BIN

# --- bad input: one line, exit 2, nothing written -----------------------------------
refuse() { # DESCRIPTION WANT ARGS...
	d=$1 want=$2; shift 2
	rm -f "$T/x.json"
	"$ADV" --out="$T/x.json" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	lines=$(wc -l <"$T/err")
	if [ $rc = 2 ] && [ "$lines" = 1 ] && grep -qF -- "$want" "$T/err" && [ ! -e "$T/x.json" ] && [ ! -s "$T/out" ]; then
		ok "$d: exit 2, $(cat "$T/err")"
	else nok "$d: want exit 2, one line with '$want', nothing written" "exit $rc, $lines lines: $(cat "$T/err")"; fi
}
mkdir -p "$T/empty"
refuse "no results" "--results: no result folder given" --results= --threads=2
SPINBENCH_RESULTS=$T/empty refuse "no results and no results/latest" "no result folders" --threads=2
refuse "a folder that is not a result folder" "not a result folder (no summary.csv)" --results="$T/empty" --threads=2
refuse "a missing folder" "not a result folder (no such directory)" --results="$T/nosuch" --threads=2
refuse "--threads=0" "--threads: 0 is outside 1..4096" $MC --threads=0
refuse "--threads missing" "--threads=T is required" $MC
refuse "unknown --fairness" "--fairness: unknown value 'fair'" $MC --threads=2 --fairness=fair
refuse "--fairness=jain:1.5" "--fairness: unknown value 'jain:1.5'" $MC --threads=2 --fairness=jain:1.5
refuse "unknown option" "unknown option '--bogus'" $MC --threads=2 --bogus=1
refuse "unknown workload preset" "--workload: no preset 'nosuch'" $MC --threads=2 --workload=nosuch
refuse "a malformed time" "--cs: invalid time '5'" $MC --threads=2 --cs=5
cp -r "$FIX/advise-mc" "$T/other"
sed -i 's/"cpu_model": "Fixture CPU advise"/"cpu_model": "Another CPU"/' "$T/other/meta.json"
refuse "folders of two machines" "results of another machine" --results="$FIX/advise-mc,$T/other" --threads=2
refuse "--target: no such topology file" "--target: '$T/nosuch.xml' is not here, results or a readable hwloc XML" \
	$MC --threads=2 --target="$T/nosuch.xml"
refuse "--target=XML without floors" "a topology file needs its core-to-core floors" --results="$FIX/advise-mc" \
	--threads=2 --target="$ROOT/tests/topologies/intel-2s-2n8c2t.xml"
refuse "--target-c2c: an unknown class" "--target-c2c: 'far=100' is not CLASS=NS" $MC --threads=2 --target-c2c=far=100
refuse "--target-c2c: not a number" "--target-c2c: 'l3=fast': the floor must be a positive number of ns" $MC \
	--threads=2 --target-c2c=l3=fast
refuse "--target-c2c with --target=results" "--target-c2c: the advice is for the results' own machine" $MC --threads=2 \
	--target-c2c=l3=40
refuse "--target-c2c: no such file" "--target-c2c: no file '$T/nosuch.csv'" $MC --threads=2 --target-c2c="$T/nosuch.csv"

# --calibrate's bad input: one line, exit 2, nothing run or written
mkdir -p "$T/calbad"
for args in "--threads=2" "--repeat=0" "--repeat=16" "--duration=5x" "--duration=0" "--out=$T/x.json"; do
	SPINBENCH_RESULTS=$T/calbad "$ADV" --calibrate $args >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc = 2 ] && [ "$(wc -l <"$T/err")" = 1 ] && [ ! -s "$T/out" ] && [ -z "$(ls -A "$T/calbad")" ]; then
		ok "--calibrate $args: exit 2, $(cat "$T/err")"
	else nok "--calibrate $args: want exit 2, one line, nothing written" "exit $rc: $(cat "$T/err" "$T/out")"; fi
done

# --- calibration ----------------------------------------------------------------------
# The plan, stated up front: the locks, 1, 2, 4, ... below the PU count, the
# PU count and twice it, --c2c; its duration = locks x thread counts x reps x
# (50ms + window + 100ms).  --dry-run runs nothing.
mkdir -p "$T/caldry"
SPINBENCH_RESULTS=$T/caldry "$ADV" --calibrate --dry-run >"$T/dry.txt" 2>"$T/dry.err"
rc=$?
python3 - "$T/dry.txt" <<'PY' >"$T/py" 2>&1
import re, sys
t = open(sys.argv[1]).read()
locks = re.search(r"^locks: +(.*)$", t, re.M).group(1).split(", ")
th = [int(x) for x in re.search(r"^threads: +([0-9, ]+)", t, re.M).group(1).split(", ")]
pus = th[-2]
assert th[-1] == 2 * pus and th[:-2] == [1 << k for k in range(len(th) - 2)] and (len(th) == 2 or th[-3] < pus), th
secs = float(re.search(r"^duration: about ([0-9.]+) s ", t, re.M).group(1))
want = len(locks) * len(th) * 6 * (0.05 + 0.2 + 0.1)
assert abs(secs - want) <= 0.5, (secs, want)
cmd = re.search(r"^command: +(.*)$", t, re.M).group(1)
assert "--c2c" in cmd and "--repeat=6" in cmd and "--lock=" + ",".join(locks) in cmd and "--threads=" + ",".join(map(str, th)) in cmd, cmd
assert {"ttas", "ticket", "mcs", "pthread-mutex"} <= set(locks), locks
print("%d locks x %d thread counts: %.0f s" % (len(locks), len(th), secs))
PY
check "--calibrate --dry-run: the plan and its duration stated ($(cat "$T/py" | tail -1)), nothing run" \
	$([ $rc = 0 ] && [ -z "$(ls -A "$T/caldry")" ] && grep -q " s$" "$T/py" && echo 0 || echo 1) "exit $rc: $(cat "$T/py" "$T/dry.err")"
if [ "${SB_UNDER_QEMU_USER:-0}" = 1 ]; then
	skip "--calibrate" "under qemu-user (run-bench is the host's)"
else
	mkdir -p "$T/cal"
	SPINBENCH_BIN=$ABSBIN SPINBENCH_RESULTS=$T/cal "$ADV" --calibrate --duration=20ms --repeat=2 >"$T/cal.txt" 2>"$T/cal.err"
	rc=$?
	SPINBENCH_RESULTS=$T/cal "$ADV" --threads=2 --out="$T/calv.json" >"$T/calv.txt" 2>&1
	rc2=$?
	python3 - "$T/cal/latest" "$T/calv.json" "$ADV" <<'PY' >"$T/py" 2>&1
import importlib.machinery, importlib.util, json, sys
d, adv = sys.argv[1], json.load(open(sys.argv[2]))
spec = importlib.util.spec_from_loader("advise_lock", importlib.machinery.SourceFileLoader("advise_lock", sys.argv[3]))
al = importlib.util.module_from_spec(spec)
spec.loader.exec_module(al)
cal = json.load(open(d + "/calibration.json"))
assert cal["fingerprint"] == al.fingerprint_here(), (cal["fingerprint"], al.fingerprint_here())
assert cal["threads"][-1] == 2 * cal["threads"][-2] and cal["repeat"] == 2, cal
meta = json.load(open(d + "/meta.json"))
assert al.fingerprint_of_meta(meta) == cal["fingerprint"], "the folder's own fingerprint is the calibration's"
assert open(d + "/c2c.csv").readline(), "c2c.csv"
provs = {c["throughput"]["provenance"] for c in adv["candidates"]}
assert sorted(c["lock"] for c in adv["candidates"]) == sorted(cal["locks"]) and provs == {"measured"}, (provs, [c["lock"] for c in adv["candidates"]])
print("stated %.1f s, took %.1f s" % (cal["stated_duration_s"], cal["actual_duration_s"]))
PY
	check "--calibrate --duration=20ms --repeat=2: a run-bench folder with c2c.csv and calibration.json (this machine's fingerprint; $(tail -1 "$T/py")), results/latest on it; advise-lock --threads=2 then finds every calibration lock measured" \
		$([ $rc = 0 ] && [ $rc2 = 0 ] && grep -q "^stated" "$T/py" && echo 0 || echo 1) "exit $rc/$rc2: $(cat "$T/py" "$T/cal.err" | tail -8)"

	# --- validation against fresh repetitions (docs/advisor.md, "Validation")
	for args in "--repeat=1" "--bogus" "--results=$FIX/advise-mc" "--grid=17" "--grid=x"; do
		SPINBENCH_RESULTS=$T/cal "$ADV" --validate $args >"$T/out" 2>"$T/err"
		rc=$?
		if [ $rc = 2 ] && [ "$(wc -l <"$T/err")" = 1 ] && [ ! -s "$T/out" ] && ! ls "$T/cal" | grep -q validation; then
			ok "--validate $args: exit 2, $(cat "$T/err")"
		else nok "--validate $args: want exit 2, one line, nothing written" "exit $rc: $(cat "$T/err" "$T/out")"; fi
	done
	cp -r "$(readlink -f "$T/cal/latest")" "$T/othercal"
	sed -i 's/"cpu_model": "[^"]*"/"cpu_model": "Another CPU"/' "$T/othercal/calibration.json"
	"$ADV" --validate --results="$T/othercal" >"$T/out" 2>"$T/err"
	rc=$?
	check "--validate on another machine's calibration: exit 2, $(cat "$T/err")" \
		$([ $rc = 2 ] && grep -q "another machine's calibration" "$T/err" && echo 0 || echo 1)
	SPINBENCH_BIN=$ABSBIN SPINBENCH_RESULTS=$T/cal "$ADV" --validate --repeat=2 --grid=1 >"$T/val.txt" 2>"$T/val.err"
	rc=$?
	python3 - "$T/cal" "$ROOT" <<'PY' >"$T/py" 2>&1
import csv, glob, json, os, sys
base, root = sys.argv[1], sys.argv[2]
vals = glob.glob(base + "/validation-*")
assert len(vals) == 1 and not glob.glob(base + "/.validation-*"), os.listdir(base)
d = vals[0]
cal = json.load(open(os.path.realpath(base + "/latest") + "/calibration.json"))
rows = list(csv.DictReader(open(d + "/validation.csv")))
scores = {(r["subset"], r["method"]): r for r in csv.DictReader(open(d + "/scores.csv"))}
ct = cal["threads"]
mc = [r for r in rows if r["workload"] == "max-contention"]
grid = [r for r in rows if r["workload"] != "max-contention"]
th = sorted({int(r["threads"]) for r in mc})
assert set(ct) <= set(th) and all(t in ct or any(a < t < b for a, b in zip(ct, ct[1:])) for t in th), (th, ct)
assert len(mc) == 3 * len(th) and {r["fairness"] for r in rows} == {"none", "no-starvation", "fifo"}
# --grid=1: one sampled workload at the calibrated counts up to the PUs, measured twice with other seeds
vm = json.load(open(d + "/validation.json"))
gt = [t for t in ct if t <= vm["pus"]]
assert len(vm["grid"]) == 1 and len({r["workload"] for r in grid}) == 1 and len(grid) == 3 * len(gt), (vm["grid"], grid)
assert sorted({int(r["threads"]) for r in grid}) == gt and all(r["tier"] == "measured" for r in grid), grid
w = vm["grid"][0]
ga, gf = json.load(open(d + "/grid-1/advice/meta.json")), json.load(open(d + "/grid-1/fresh/meta.json"))
assert ga["seed"] != gf["seed"] and ga["workload_parameters"] == gf["workload_parameters"], (ga["seed"], gf["seed"])
assert grid[0]["workload"] == " ".join("%s=%s" % (k, w[k]) for k in ("cs", "think", "cs-lines", "locks", "read-ratio", "placement"))
for k in ("cs-lines", "locks"):
    assert "%s=%s" % (k, w[k]) in ga["workload_parameters"], (k, w, ga["workload_parameters"])
assert ("max-contention", "advice") in scores and ("grid", "advice") in scores and any(k[0].startswith("regime: ") for k in scores)
scored = [r for r in rows if int(r["admitted"]) > 0]
s = scores[("all", "advice")]
assert int(s["cases"]) == len(scored), (s, len(scored))
assert abs(float(s["hit5"]) - sum(int(r["hit"]) for r in scored) / len(scored)) < 1e-3, s
assert all(r["fairness_met"] == "1" for r in rows if r["fairness"] == "fifo"), "an unfair lock advised under fifo"
for r in scored:
    if r["collapse_confirmed"] == "NA":
        assert (r["hit"] == "1") == (r["advised"] in r["within5"].split()), r
    else:   # a collapse answer: rule tier, no lock, a hit when the fresh run confirms the collapse
        assert r["hit"] == r["collapse_confirmed"] and r["advised"] == "NA" and r["tier"] == "rule", r
        assert int(r["threads"]) > vm["pus"] and r["fairness"] != "none", r
assert all(k in {m for _, m in scores} for k in ("pthread-mutex", "expert rule", "random (expected)")), scores.keys()
fresh = json.load(open(d + "/fresh/meta.json"))
calmeta = json.load(open(os.path.realpath(base + "/latest") + "/meta.json"))
assert fresh["seed"] != calmeta["seed"], "the fresh run reuses the calibration's seed"
assert "<script" not in open(d + "/validation.html").read()
print("%d cases, advice hit@5%% %.0f%%" % (len(scored), 100 * float(s["hit5"])))
PY
	check "--validate --repeat=2 --grid=1: advice from the calibration, a fresh run with another seed, one sampled grid workload measured twice (advice, fresh: other seeds), validation.csv per case, scores.csv (hit@5% = its cases' hits; baselines), never an unfair lock under fifo, validation.html ($(tail -1 "$T/py"))" \
		$([ $rc = 0 ] && grep -q "cases, advice" "$T/py" && echo 0 || echo 1) "exit $rc: $(cat "$T/py" "$T/val.err" | tail -8)"
	# validation.html's figures (gnuplot: hit@5% and mean regret per method and subset) in headless Chromium
	vd=$(ls -d "$T/cal"/validation-* 2>/dev/null | head -1)
	# shellcheck source=tests/lib/imgcheck.sh
	. "$ROOT/tests/lib/imgcheck.sh"
	if [ -z "$CHROME" ] || ! command -v gnuplot >/dev/null 2>&1; then
		skip "validation.html in headless Chromium" "no chromium or gnuplot (scripts/deps.sh --all)"
	else
		imgcheck "$vd/validation.html" >"$T/dom"
		mark=$(imgmark "$T/dom")
		check "Chromium: validation.html's two figures load ($mark), plots/hit5.png and plots/regret.png" \
			$(echo "$mark" | grep -q 'images=2 failed=0$' && [ -s "$vd/plots/hit5.png" ] && [ -s "$vd/plots/regret.svg" ]; echo $?) "marker: '$mark'"
	fi
fi

# --- a real run ----------------------------------------------------------------------
"$BIN" --lock=ttas,ticket,mcs --threads=1,2 --duration=50ms --repeat=3 --no-plots --out="$T/real" --quiet \
	>/dev/null 2>"$T/real.err"
rc=$?
check "spinbench made a small result folder (ttas, ticket, mcs at 1, 2 threads, 3 reps)" $rc "$(cat "$T/real.err")"
adv real --results="$T/real" --threads=2
# Under qemu-user (make cross-test) spinbench is an aarch64 program: its
# meta.json's kernel says aarch64 while this host's says x86_64, another
# fingerprint, so its figures are "predicted" here, as they should be.
prov=measured
[ "${SB_UNDER_QEMU_USER:-0}" = 1 ] && prov=predicted
expect "advise-lock on the real folder at T=2: exit 0, every candidate $prov" real \
	"sorted(c['lock'] for c in a['candidates']), sorted({c['throughput']['provenance'] for c in a['candidates']})" \
	"['mcs', 'ticket', 'ttas'] ['$prov']"
expect "the advised lock exists in the folder, its figures $prov at T=2" real \
	"a['advice']['lock'] in ('ttas', 'ticket', 'mcs') and cand(a['advice']['lock'])['throughput']['provenance'] == '$prov' and a['advice']['provenance'] == '$prov'" \
	"True"
grep -q '^confirm: ./run-bench --lock=[a-z,]* --threads=2 --repeat=6 ' "$T/real.txt"
check "the real advice ends with its confirm line" $? "$(cat "$T/real.txt" "$T/real.err")"

# --virtual-nodes=2 on this one-node machine: NUMA-aware locks are measured,
# but the core-to-core floor is flat (every pair local): no NUMA gain may be
# claimed for cohort, cna or hmcs.
if [ "${SB_UNDER_QEMU_USER:-0}" = 1 ]; then
	skip "--virtual-nodes advice" "under qemu-user"
else
	"$BIN" --lock=mcs,cohort,cna,hmcs --threads=1,2 --virtual-nodes=2 --placement=scatter --repeat=2 --duration=30ms \
		--warmup=10ms --timed=20ms --c2c --quiet --no-plots --out="$T/vn" >/dev/null 2>"$T/vn.err"
	rc=$?
	adv vn --results="$T/vn" --threads=2 --placement=scatter
	expect "--virtual-nodes=2, 2 threads scattered: the NUMA qualifier says the floor is flat, no NUMA-aware gain expected (exit $rc)" vn \
		"[('flat' in q['explanation'] and 'no NUMA-aware gain expected' in q['explanation'] and 'may gain' not in q['explanation']) for q in a['regime']['qualifiers'] if q['name'] == 'NUMA']" \
		"[True]"
fi

# --- validation's truth: a starved repetition in the run that advised counts
# against the lock as much as one in the fresh run; throughput is the fresh
# run's alone
python3 - "$ADV" <<'PY' >"$T/py" 2>&1
import importlib.machinery, importlib.util, sys
spec = importlib.util.spec_from_loader("advise_lock", importlib.machinery.SourceFileLoader("advise_lock", sys.argv[1]))
al = importlib.util.module_from_spec(spec)
spec.loader.exec_module(al)
def fig(median, starved, worst):
    return {"median": median, "starved_reps": starved, "reps": 6, "min_max_worst": worst, "jain_worst": 0.9}
fresh = {2: {"pthread-mutex": fig(40e6, 0, 0.7), "ticket": fig(6e6, 0, 0.95), "qspin": fig(5.8e6, 0, 0.9)}}
seen = {2: {"pthread-mutex": fig(90e6, 1, 0.45), "ticket": fig(1e6, 0, 0.95)}}
adm, best, within = al.truth_at(fresh, 2, "no-starvation")
assert within == ["pthread-mutex"] and best == 40e6, (adm, within)
adm, best, within = al.truth_at(fresh, 2, "no-starvation", seen)
assert sorted(adm) == ["qspin", "ticket"] and best == 6e6 and within == ["qspin", "ticket"], (adm, within)
adm, best, within = al.truth_at(fresh, 2, "none", seen)
assert within == ["pthread-mutex"] and best == 40e6, "no need: the starved rep does not matter"
print("ok")
PY
check "validation's truth: pthread-mutex, starved in 1 rep of the run that advised, is not admitted under no-starvation though the fresh run passed it; throughput from the fresh run alone" \
	$(grep -qx ok "$T/py" && echo 0 || echo 1) "$(cat "$T/py")"

# --- validation of a collapse answer: a hit when every lock the fresh run
# admits collapsed there (preempted in most reps, below 10% of the best lock
# of any kind at T), a miss when one of them did not
python3 - "$ADV" <<'PY' >"$T/py" 2>&1
import importlib.machinery, importlib.util, sys
spec = importlib.util.spec_from_loader("advise_lock", importlib.machinery.SourceFileLoader("advise_lock", sys.argv[1]))
al = importlib.util.module_from_spec(spec)
spec.loader.exec_module(al)
def fig(median, pre):
    return {"median": median, "starved_reps": 0, "reps": 6, "min_max_worst": 0.9, "jain_worst": 0.99,
            "preempted_reps": pre}
fresh = {4: {"pthread-mutex": fig(55e6, 6), "ticket": fig(400, 6), "mcs": fig(500, 6)}}
a = {"advice": {"kind": "collapse", "lock": None, "set": [], "provenance": "rule"}, "regime": {"name": "oversubscribed"},
     "candidates": []}
r = al.val_row(4, "fifo", a, fresh, {}, 2, "max-contention")
assert r["collapse"] is True and r["methods"]["advice"] == (True, None, False, True) and r["tier"] == "rule", r
fresh[4]["mcs"] = fig(6e6, 6)   # one FIFO lock at 11% of pthread-mutex: no collapse
r = al.val_row(4, "fifo", a, fresh, {}, 2, "max-contention")
assert r["collapse"] is False and r["methods"]["advice"][0] is False, r
fresh[4]["mcs"] = fig(500, 3)   # preempted in half the reps only: no measured collapse
assert al.val_row(4, "fifo", a, fresh, {}, 2, "max-contention")["collapse"] is False
fresh[4]["mcs"] = fig(500, 6)
assert al.val_row(4, "none", dict(a, advice=dict(a["advice"], kind="confident", lock="pthread-mutex")), fresh, {}, 2,
                  "max-contention")["collapse"] is None
print("ok")
PY
check "validation of a collapse answer: confirmed when every admitted lock collapsed in the fresh run (rule tier, no regret), not when one FIFO lock ran at 11% of pthread-mutex or was preempted in half its reps only" \
	$(grep -qx ok "$T/py" && echo 0 || echo 1) "$(cat "$T/py")"

echo "$pass passed, $failn failed, $skipn skipped"
[ "$failn" -eq 0 ]
