#!/bin/sh
# test_cli.sh - run-bench end to end: bad input, the result folder, the
# oversubscribed queued run, signals.  Prints ok/not ok lines and closes with
# "N passed, N failed".  Usage: tests/test_cli.sh [BUILD_DIR]
set -u
B=${1:-${B:-build}}
BIN=$B/spinbench
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
RES=$T/results
mkdir -p "$RES"
export SPINBENCH_RESULTS=$RES
export SPINBENCH_WORKLOADS=${SPINBENCH_WORKLOADS:-workloads}
TOPO=${SB_TOPOLOGIES:-../shared/topologies}
n=0 pass=0 failn=0

ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); failn=$((failn + 1)); echo "not ok $n - $1"; [ -n "${2:-}" ] && echo "$2" | sed 's/^/#   /'; }

# bad ARGS... : exit 2, one stderr line naming the option and value, nothing under results/
bad() {
	want=$1; shift
	"$BIN" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	lines=$(wc -l <"$T/err")
	left=$(ls -A "$RES")
	if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && grep -qF -- "$want" "$T/err" && [ -z "$left" ]; then
		ok "bad input $* -> exit 2: $(cat "$T/err")"
	else
		nok "bad input $*: want exit 2, one line naming '$want', nothing written" \
			"exit $rc, $lines lines: $(cat "$T/err") left: $left"
	fi
	rm -rf "$RES"/* "$RES"/.[!.]* 2>/dev/null
}

bad "--frobnicate" --frobnicate
bad "'bogus'" --lock=bogus
bad "ttas-backoff" --lock=mcs,bogus
bad "--threads: invalid value '0'" --threads=0
bad "--threads: invalid value '-2'" --threads=-2
bad "--threads: invalid value 'abc'" --threads=abc
bad "--threads: invalid value '4097'" --threads=4097
bad "--threads: invalid value '8-2'" --threads=8-2
bad "--duration: invalid time '0s'" --duration=0s
bad "--duration: invalid time '-1ms'" --duration=-1ms
bad "--duration: invalid time '10'" --duration=10
bad "--duration: invalid time '5parsecs'" --duration=5parsecs
bad "--placement: invalid value 'diagonal'" --placement=diagonal
bad "--placement: invalid value 'node:7'" --placement=node:7
bad "--lock-node: no NUMA node '9'" --lock-node=9
bad "--placement: invalid value 'cpus:0,999'" --placement=cpus:0,999
bad "--placement: invalid value 'cpus:3-1'" --placement=cpus:3-1
bad "--placement: invalid value 'cpus:0,,1'" --placement=cpus:0,,1
bad "--out: cannot write to '/proc/spinbench'" --out=/proc/spinbench
bad "--topology: cannot load '$T/missing.xml'" --topology="$T/missing.xml" --plan
echo "not xml" >"$T/junk.xml"
bad "--topology: cannot load '$T/junk.xml'" --topology="$T/junk.xml" --plan
bad "--topology:" --topology="$TOPO/intel-2s-2n8c2t.xml" --lock=mcs
bad "--repeat: invalid value '0'" --repeat=0
bad "--warmup: invalid time 'x'" --warmup=x
bad "--seed: invalid value 'abc'" --seed=abc
bad "--machine: invalid name 'a/b'" --machine=a/b
bad "unexpected argument 'extra'" extra
bad "--counters: unknown event 'PAPI_BOGUS'" --counters=PAPI_BOGUS
bad "--cs: invalid value '-1us'" --cs=-1us
bad "--think: invalid value 'exp:'" --think=exp:
bad "--read-ratio: invalid value '1.5'" --read-ratio=1.5
bad "--writers" --writers=2 --threads=2
bad "--workload: unknown preset 'nonesuch'" --workload=nonesuch
mkdir -p "$T/wdir"
printf 'purpose = broken\ncs = 100ns\nthis line is not a key value\n' >"$T/wdir/broken.conf"
SPINBENCH_WORKLOADS="$T/wdir" bad "broken.conf" --workload=broken

bad "--virtual-nodes: invalid value '0'" --virtual-nodes=0
bad "--virtual-nodes: invalid value '3'" --virtual-nodes=3

# The build's dependency check as a non-root user on a machine that lacks everything:
# one line naming the exact install command, exit 1, nothing installed.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
	mkdir -p "$T/bin"
	for c in sh id; do ln -sf "$(command -v $c)" "$T/bin/$c"; done
	chmod 755 "$T" "$T/bin"
	setpriv --reuid=65534 --regid=65534 --clear-groups env PATH="$T/bin" /bin/sh scripts/deps.sh >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ] &&
		grep -q "install them with: sudo apt-get install -y .*libhwloc-dev libnuma-dev libpapi-dev libck-dev" "$T/err"; then
		ok "missing dependencies, not root: one line naming the install command ($(cat "$T/err"))"
	else
		nok "deps.sh as non-root" "exit $rc: $(cat "$T/err")"
	fi
else
	n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - deps.sh as non-root # skip needs root and setpriv"
fi

# --list: every registered lock with its family
"$BIN" --list >"$T/list"
missing=""
for l in tas:basic ttas:basic ttas-backoff:basic ticket:basic mcs:queued clh:queued qspin:queued \
	rw-wpref:rw rw-rpref:rw rw-phasefair:rw rw-queued:rw pthread-spin:ref pthread-mutex:ref \
	pthread-rwlock:ref ck-fas:ref ck-ticket:ref ck-mcs:ref ck-clh:ref ck-rwlock:ref none:control; do
	name=${l%%:*} fam=${l#*:}
	grep -qE "^$name +$fam " "$T/list" || missing="$missing $name"
done
[ -z "$missing" ] && ok "--list shows every lock with its family" || nok "--list lacks:$missing"

# --plan on another machine's topology
if [ -f "$TOPO/amd-zen1-2x7451-8n.xml" ]; then
	"$BIN" --plan --topology="$TOPO/amd-zen1-2x7451-8n.xml" --placement=scatter --threads=8 >"$T/plan" 2>&1
	rc=$?
	rows=$(grep -cE '^ *[0-9]+ ' "$T/plan")
	[ $rc -eq 0 ] && [ "$rows" -eq 8 ] && ok "--plan --topology=zen1 --placement=scatter prints 8 threads" ||
		nok "--plan on zen1" "exit $rc, rows $rows: $(head -5 "$T/plan")"
fi

# A run: the files of DESIGN.md, valid JSON, columns, latest
start=$(date +%s)
"$BIN" --lock=queued --threads=64 --duration=1s --quiet >"$T/out" 2>"$T/err"
rc=$?
el=$(( $(date +%s) - start ))
d=$(readlink "$RES/latest")
if [ $rc -eq 0 ] && [ "$el" -lt 15 ] && [ -n "$d" ]; then
	ok "--lock=queued --threads=64 --duration=1s: exit 0 in ${el}s"
else
	nok "--lock=queued --threads=64 --duration=1s" "exit $rc in ${el}s; $(tail -3 "$T/err")"
fi
grep -q "oversubscribed" "$T/err" && ok "oversubscription warned on stderr" || nok "no oversubscription warning"
D=$RES/$d
for f in summary.csv threads.csv handoffs.csv histograms.csv meta.json topology.xml; do
	[ -s "$D/$f" ] && ok "result file $f" || nok "result file $f missing or empty"
done
ls "$D" | grep -q '\.tmp$' && nok "temporary files left in $D" || ok "no temporary files left"
python3 - "$D" <<'EOF' >"$T/py" 2>&1 && ok "meta.json parses; summary.csv has DESIGN's columns; 64-thread run: oversubscribed=1, violations=0" || nok "result contents" "$(cat "$T/py")"
import csv, json, sys
d = sys.argv[1]
m = json.load(open(d + "/meta.json"))
for k in ["schema_version", "machine", "cpu_model", "kernel", "compiler", "git_commit", "start_time",
          "command_line", "clock", "topology", "hwloc_version", "papi_version", "counters"]:
    assert k in m, "meta.json lacks " + k
assert m["complete"] is True
rows = list(csv.DictReader(open(d + "/summary.csv")))
need = ("run_id machine lock family workload threads placement pus lock_node rep duration_s acquisitions "
        "throughput_ops_s jain min_max_ratio fairness_factor handoffs reacquires idle_acquires handoff_p50_ns "
        "handoff_p99_ns handoff_p999_ns handoff_max_ns acquire_p50_ns acquire_p99_ns acquire_max_ns hold_p50_ns "
        "violations oversubscribed invol_csw").split()
for c in need:
    assert c in rows[0], "summary.csv lacks " + c
assert len(rows) == 3, "want 3 repetitions, got %d" % len(rows)
for r in rows:
    assert r["lock"] == "mcs" and r["threads"] == "64", r
    assert r["oversubscribed"] == "1" and r["violations"] == "0", r
    assert int(r["acquisitions"]) > 0
    assert abs(float(r["throughput_ops_s"]) - int(r["acquisitions"]) / float(r["duration_s"])) < 1 + 1e-6 * float(r["throughput_ops_s"])
t = list(csv.DictReader(open(d + "/threads.csv")))
assert len(t) == 3 * 64, len(t)
for r in rows:
    s = sum(int(x["acquisitions"]) for x in t if x["rep"] == r["rep"])
    assert s == int(r["acquisitions"]), "threads.csv does not add up to summary.csv"
EOF
if command -v lstopo-no-graphics >/dev/null; then
	lstopo-no-graphics -i "$D/topology.xml" --of console >/dev/null 2>&1 && ok "topology.xml loads with lstopo -i" || nok "topology.xml does not load with lstopo"
fi

# every lock, 16 threads, in proportion
start=$(date +%s)
"$BIN" --lock=all --threads=16 --duration=200ms --repeat=1 --quiet --out="$T/all" >"$T/out" 2>"$T/err"
rc=$?
el=$(( $(date +%s) - start ))
if [ $rc -eq 0 ] && [ "$el" -lt 40 ]; then ok "--lock=all --threads=16 --duration=200ms: exit 0 in ${el}s"; else nok "--lock=all --threads=16" "exit $rc in ${el}s: $(tail -3 "$T/err")"; fi
nlocks=$("$BIN" --list | grep -cE '^[a-z0-9-]+ +(basic|queued|rw|ref|control|numa) ')
python3 - "$T/all" "$nlocks" <<'EOF' >"$T/py" 2>&1 && ok "every real lock: zero violations at 16 threads; none: violations reported" || nok "violations at 16 threads" "$(cat "$T/py")"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1] + "/summary.csv")))
want = int(sys.argv[2])
assert len(rows) == want, (len(rows), want)
for r in rows:
    if r["lock"] == "none":
        assert int(r["violations"]) > 0, "none showed no violation"
    else:
        assert r["violations"] == "0", r["lock"]
EOF

# SIGINT: what was measured is written, marked incomplete, exit 130; latest unchanged
before=$(readlink "$RES/latest")
"$BIN" --lock=ttas,mcs --threads=1,2 --duration=1s --repeat=5 --quiet >"$T/out" 2>"$T/err" &
pid=$!
sleep 4
kill -INT $pid
wait $pid
rc=$?
inc=$(ls -d "$RES"/*/ | grep -v -e "/$before/" -e "/latest/" | head -1)
if [ $rc -eq 130 ] && [ -n "$inc" ] && grep -q '"complete": false' "$inc/meta.json" && [ "$(readlink "$RES/latest")" = "$before" ]; then
	ok "SIGINT: exit 130, results written and marked incomplete, latest unchanged"
else
	nok "SIGINT" "exit $rc, folder '$inc': $(cat "$T/err")"
fi
"$BIN" --lock=ttas --threads=1 --duration=1s --repeat=5 --quiet --out="$T/term" >"$T/out" 2>"$T/err" &
pid=$!
sleep 2
kill -TERM $pid
wait $pid
rc=$?
[ $rc -eq 143 ] && grep -q '"stop_reason": "SIGTERM"' "$T/term/meta.json" && ok "SIGTERM: exit 143, results marked incomplete" || nok "SIGTERM" "exit $rc: $(cat "$T/err")"
ls -A "$RES" | grep -q partial && nok "a .partial folder was left" || ok "no partial folder left"

# Counters through PAPI: hardware events NA with a reason where the machine cannot count them,
# the suite's software-defined events equal to the harness's own counts.
"$BIN" --lock=mcs,ttas --threads=2 --counters=default --duration=200ms --repeat=1 --quiet --out="$T/ctr" >"$T/out" 2>"$T/err"
rc=$?
python3 - "$T/ctr" <<'EOF' >"$T/py" 2>&1 && ok "--counters=default: unavailable counters NA with a reason; sde_spins = spins, sde_acquisitions = acquisitions, sde_handoffs = handoffs, through PAPI" || nok "counters" "exit $rc: $(cat "$T/py" "$T/err")"
import csv, json, sys
d = sys.argv[1]
m = json.load(open(d + "/meta.json"))
ctr = {c["name"]: c for c in m["counters"]}
for name in ["spins", "acquisitions", "handoffs", "PAPI_TOT_CYC", "PAPI_TOT_INS"]:
    assert name in ctr, "meta.json counters lacks " + name
rows = list(csv.DictReader(open(d + "/summary.csv")))
for r in rows:
    for name, c in ctr.items():
        col = ("sde_" if c["event"].startswith("sde:::") else "") + name + "_per_op"
        if c["available"]:
            assert r[col] != "NA", col
        else:
            assert r[col] == "NA" and c["reason"], (col, c)
    assert r["sde_spins_per_op"] == r["spins_per_op"], (r["sde_spins_per_op"], r["spins_per_op"])
    assert r["sde_acquisitions_per_op"] == "1.0000", r["sde_acquisitions_per_op"]
for t in csv.DictReader(open(d + "/threads.csv")):
    assert t["sde_acquisitions"] == t["acquisitions"], t
    assert t["sde_handoffs"] == t["handoffs_in"], t
EOF

# NUMA: virtual nodes, handoffs by distance, the core-to-core floor
"$BIN" --lock=mcs,cna,cohort --threads=4 --virtual-nodes=2 --duration=300ms --repeat=1 --quiet --out="$T/vn" >"$T/out" 2>"$T/err"
rc=$?
python3 - "$T/vn" <<'EOF' >"$T/py" 2>&1 && ok "--virtual-nodes=2: handoff_local_share of cna and cohort above mcs, zero violations" || nok "virtual nodes" "exit $rc: $(cat "$T/py" "$T/err")"
import csv, json, sys
d = sys.argv[1]
rows = {r["lock"]: r for r in csv.DictReader(open(d + "/summary.csv"))}
assert json.load(open(d + "/meta.json"))["virtual_nodes"] == 2
for r in rows.values():
    assert r["violations"] == "0" and r["virtual_nodes"] == "2", r
    shares = sum(float(r["handoff_share_" + c]) for c in ["self", "smt", "l2", "l3", "numa", "package", "remote"])
    assert abs(shares - 1) < 1e-3 or int(r["handoffs"]) == 0, shares
m = float(rows["mcs"]["handoff_local_share"])
for l in ["cna", "cohort"]:
    assert float(rows[l]["handoff_local_share"]) > m, (l, rows[l]["handoff_local_share"], m)
EOF
"$BIN" --c2c --lock=mcs --threads=2 --duration=100ms --repeat=1 --quiet --out="$T/c2c" >"$T/out" 2>"$T/err"
rc=$?
if [ $rc -eq 0 ] && grep -q "core-to-core latency" "$T/out" && [ "$(wc -l <"$T/c2c/c2c.csv")" -ge 2 ] &&
	python3 -c "
import csv, json, sys
c = list(csv.DictReader(open('$T/c2c/c2c.csv')))
assert all(0 < float(x['median_ns']) < 100000 for x in c)
m = json.load(open('$T/c2c/meta.json'))
assert m['tsc_offset_max_ns'] is not None
r = next(csv.DictReader(open('$T/c2c/summary.csv')))
cl = c[0]['class']
assert r['handoff_vs_c2c_' + cl] != 'NA', r['handoff_vs_c2c_' + cl]
assert r['handoff_offset_suspect'] == str(int(m['tsc_offset_max_ns'] > 0.1 * float(r['handoff_p50_ns']))), r['handoff_offset_suspect']
"; then ok "--c2c: c2c.csv, per-class floor printed, offset in meta.json, handoff_vs_c2c"; else nok "--c2c" "exit $rc: $(cat "$T/out" "$T/err")"; fi
"$BIN" --plan --topology="$TOPO/intel-2s-2n8c2t.xml" --placement=compact --threads=4 >"$T/plan" 2>&1
grep -q "pair matrix" "$T/plan" && grep -q "smt" "$T/plan" && ok "--plan prints each thread pair's distance class" || nok "--plan pair classes" "$(cat "$T/plan")"

# Workloads: every preset on mcs and rw-wpref, the negative controls, read ratio, writers
for w in $("$BIN" --list-workloads | grep -E '^[a-z]' | awk '{print $1}'); do
	"$BIN" --lock=mcs,rw-wpref --workload="$w" --threads=2 --duration=100ms --warmup=20ms --repeat=1 --quiet --out="$T/wl-$w" >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc -eq 0 ] && python3 -c "
import csv
rows = list(csv.DictReader(open('$T/wl-$w/summary.csv')))
assert len(rows) == 2 and all(r['violations'] == '0' and r['workload'] == '$w' for r in rows), rows
assert all(r['ds_problems'] in ('0', 'NA') for r in rows)
"; then ok "preset $w: mcs and rw-wpref, 2 threads, zero violations, invariants intact"; else nok "preset $w" "exit $rc: $(cat "$T/err")"; fi
done
for w in hashtable list; do
	"$BIN" --lock=none --workload="$w" --think=0 --threads=2 --duration=300ms --repeat=1 --quiet --out="$T/nc-$w" >"$T/out" 2>"$T/err"
	python3 -c "
import csv
r = next(csv.DictReader(open('$T/nc-$w/summary.csv')))
assert int(r['ds_problems']) > 0, r['ds_problems']
" && grep -q "INVARIANTS BROKEN" "$T/out" && ok "$w with none: the invariant check fails (negative control)" || nok "$w with none" "$(cat "$T/out" "$T/err")"
done
"$BIN" --lock=rw-wpref --read-ratio=0.9 --threads=2 --duration=200ms --repeat=1 --quiet --out="$T/rr" >"$T/out" 2>"$T/err"
python3 -c "
import csv
r = next(csv.DictReader(open('$T/rr/summary.csv')))
n = int(r['reads']) + int(r['writes'])
assert n >= 10000, n
f = int(r['reads']) / n
assert abs(f - 0.9) <= 0.02, f
assert r['read_acquire_p50_ns'] != 'NA' and r['write_acquire_p50_ns'] != 'NA'
" && ok "--read-ratio=0.9: read fraction within 2 points over >= 10000 acquisitions; read and write latencies apart" || nok "--read-ratio=0.9" "$(cat "$T/err")"
"$BIN" --lock=rw-wpref --writers=1 --threads=2 --duration=200ms --repeat=1 --quiet --out="$T/wr" >"$T/out" 2>"$T/err"
python3 -c "
import csv
t = list(csv.DictReader(open('$T/wr/threads.csv')))
writers = [x for x in t if int(x['writes']) > 0]
assert len(writers) == 1 and int(writers[0]['reads']) == 0, t
assert all(int(x['writes']) == 0 for x in t if x not in writers)
" && ok "--writers=1 --threads=2: exactly one writer thread" || nok "--writers=1" "$(cat "$T/err")"

# A real lock with violations fails the run (exit 1); the results are still written.
SPINBENCH_TEST_LOCKS=1 "$BIN" --lock=busted --threads=2 --duration=300ms --repeat=1 --quiet --out="$T/busted" >"$T/out" 2>"$T/err"
rc=$?
if [ $rc -eq 1 ] && grep -q "MUTUAL EXCLUSION VIOLATED" "$T/out" && grep -q FAILURE "$T/err" && [ -s "$T/busted/summary.csv" ]; then
	ok "a lock with violations (busted): exit 1, flagged in the summary, results written"
else
	nok "busted run" "exit $rc: $(cat "$T/out" "$T/err")"
fi

# The watchdog: a lock that never releases ends in (warmup+duration+timed)*3+10 s, exit 1.
start=$(date +%s)
SPINBENCH_TEST_LOCKS=1 "$BIN" --lock=deadlock --threads=2 --duration=10ms --warmup=0s --timed=0s --repeat=1 --quiet --out="$T/dead" >"$T/out" 2>"$T/err"
rc=$?
el=$(( $(date +%s) - start ))
if [ $rc -eq 1 ] && [ "$el" -le 20 ] && grep -q "watchdog: lock deadlock, 2 threads, placement cores" "$T/err" &&
	[ "$(grep -c . "$T/err")" -eq 1 ] && grep -q '"complete": false' "$T/dead/meta.json" && grep -q '"stop_reason": "watchdog"' "$T/dead/meta.json"; then
	ok "watchdog: one line naming lock, threads and placement, exit 1 after ${el}s, results marked incomplete"
else
	nok "watchdog" "exit $rc after ${el}s: $(cat "$T/err")"
fi

echo "$pass passed, $failn failed"
[ "$failn" -eq 0 ]
