#!/bin/sh
# test_swap.sh - profile-app --lock=ALGO and --compare (profiler/swap.c,
# profiler/README.md "Swapping the lock"): under every swappable lock, a
# program's mutexes, spin locks, C11 mutexes and condvars keep their
# semantics (tests/profile/swap.c: exact counts, recursion, error checks,
# timeouts, broadcast, a process-shared mutex left to glibc), glibc never
# sees a swapped lock, the producer/consumer of tests/profile/condvar.c
# gets every item; --compare's runs, table, intervals and verdicts; bad input.
# Prints ok/not ok lines and closes with "N passed, N failed".
# Usage: tests/e2e/test_swap.sh [BUILD_DIR]
set -u
B=${1:-${B:-build}}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
RES=$T/results
mkdir -p "$RES"
export SPINBENCH_RESULTS=$RES SBPROF_BUILD=$B
# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"

mkdir -p "$T/probe"
SBPROF_DIR=$T/probe LD_PRELOAD="$PWD/$B/libsbprof.so" /bin/true 2>/dev/null
if ! ls "$T/probe"/prof-*.bin >/dev/null 2>&1; then
	echo "ok 1 - profile-app --lock # skip $B/libsbprof.so cannot be preloaded here"
	echo "1 passed, 0 failed, 1 skipped"
	exit 0
fi

# Every lock, the semantics program and the producer/consumer.  A watchdog
# (timeout) bounds each run: a lost wake-up or a lock that never frees fails
# here instead of hanging the suite.
for lk in pthread ttas ticket mcs qspin cna hmcs; do
	timeout 120 ./profile-app --quiet --lock=$lk --out="$T/s-$lk" -- "$B/prof_swap" 3000 >"$T/s.out" 2>"$T/s.err"
	rc=$?
	python3 - "$T/s-$lk" "$T/s.out" "$lk" <<'PY' >"$T/py" 2>&1
import csv, json, sys
d, out, lk = sys.argv[1:]
lines = open(out).read().split()
fails = [x for x in lines if "=" in x and x.split("=")[1] not in ("ok", "0", "1")]
assert not fails and sum(1 for x in lines if x.endswith("=ok")) == 6, open(out).read()
word = [x for x in lines if x.startswith("glibc_word_while_held=")][0].split("=")[1]
assert word == ("1" if lk == "pthread" else "0"), ("glibc's lock word while held", word)
meta = json.load(open(d + "/meta.json"))
assert meta["lock"] == lk, meta["lock"]
sw = meta["swap"]
if lk == "pthread":
    assert sw["swapped"] == 0 and sw["passed_pshared"] == 0, sw
else:
    # exclusion's mutex, spin lock and mtx, recursive, errorcheck, timed, the
    # condvar waits' mutexes, broadcast's, C11's: at least 9 objects
    assert sw["swapped"] >= 9 and sw["passed_pshared"] == 1, sw
procs = list(csv.DictReader(open(d + "/processes.csv")))
assert all(p["lock"] == lk for p in procs), [p["lock"] for p in procs]
PY
	check "--lock=$lk: prof_swap's checks pass (exclusion, recursive, errorcheck, timed, cond, pshared), glibc's word $([ $lk = pthread ] && echo set || echo untouched) while held, meta.json and processes.csv name the lock and count what was swapped and passed" \
		$([ $rc -eq 0 ] && echo 0 || echo 1)$(grep -q . "$T/py" && echo 1) "exit $rc: $(cat "$T/py" "$T/s.err" | head -20)"
	timeout 120 ./profile-app --quiet --lock=$lk --out="$T/c-$lk" -- "$B/prof_condvar" 5000 >"$T/c.out" 2>"$T/c.err"
	rc=$?
	grep -q "^condvar: 5000 items, 0 out of order" "$T/c.out"
	check "--lock=$lk: the condvar producer/consumer gets its 5000 items in order" \
		$([ $rc -eq 0 ] && echo $? || echo 1) "exit $rc: $(cat "$T/c.out" "$T/c.err" | head)"
done

# SQLite in serialized mode (tests/profile/sqlite.c): its connection mutex is
# a recursive pthread mutex that each API call re-enters.  Under every lock:
# every row inserted, no recursion finding (re-entering a recursive mutex is
# allowed); under glibc's, the re-entry itself is visible (more than one
# acquisition of the connection mutex's class per statement).
if [ -x "$B/prof_sqlite" ]; then
	for lk in pthread ttas ticket mcs qspin cna hmcs; do
		timeout 120 ./profile-app --quiet --lock=$lk --out="$T/q-$lk" -- "$B/prof_sqlite" 4 200 >"$T/q.out" 2>"$T/q.err"
		rc=$?
		python3 - "$T/q-$lk" "$T/q.out" "$lk" <<'PY' >"$T/py" 2>&1
import csv, json, sys
d, out, lk = sys.argv[1:]
assert "sqlite: 800 rows of 4 x 200, 0 errors" in open(out).read(), open(out).read()
meta = json.load(open(d + "/meta.json"))
assert meta["rules"]["recursion"]["count"] == 0, meta["rules"]
assert (meta["swap"]["swapped"] >= 1) == (lk != "pthread"), meta["swap"]
syms = {r["address"]: r["symbol"] for r in csv.DictReader(open(d + "/symbols.csv"))}
locks = list(csv.DictReader(open(d + "/locks.csv")))
mine = [r for r in locks if r["kind"] == "mutex" and r["origin"] == "init" and int(r["acquisitions"]) >= 2 * 800]
assert mine, [(r["class"], syms.get(r["class"]), r["origin"], r["acquisitions"]) for r in locks]
print("# %s: connection mutex class %s, %s acquisitions for 800 statements" % (lk, syms.get(mine[0]["class"], mine[0]["class"]), mine[0]["acquisitions"]))
PY
		rc2=$?
		grep "^# " "$T/py"
		check "--lock=$lk: SQLite in serialized mode, 4 threads on one connection: 800 rows, its recursive mutex re-entered (2+ acquisitions per statement), no recursion finding" \
			$([ $rc -eq 0 ] && echo $rc2 || echo 1) "exit $rc: $(grep -v '^# ' "$T/py"; cat "$T/q.err" | tail -3)"
	done
else
	skip "SQLite driver" "libsqlite3-dev not installed (make deps)"
fi

# The library alone refuses an unknown lock: one line, exit 2.
mkdir -p "$T/lib"
SBPROF_DIR=$T/lib SBPROF_LOCK=nolock LD_PRELOAD="$PWD/$B/libsbprof.so" /bin/true 2>"$T/lib.err"
rc=$?
check "the library with SBPROF_LOCK=nolock: exit 2, the refusal names the lock" \
	$([ $rc -eq 2 ] && grep -q "unknown lock 'nolock'" "$T/lib/refused" && echo 0 || echo 1) "exit $rc: $(cat "$T/lib/refused" "$T/lib.err" 2>/dev/null)"

# --compare: 3 locks x 3 runs of the producer/consumer, interleaved.
./profile-app --compare=pthread,mcs,ticket --runs=3 --seed=4 --out="$T/cmp" -- "$B/prof_condvar" 5000 >"$T/cmp.out" 2>"$T/cmp.err"
rc=$?
python3 - "$T/cmp" "$T/cmp.out" "$PWD/plot" <<'PY' >"$T/py" 2>&1
import csv, json, statistics, sys
d, out = sys.argv[1], open(sys.argv[2]).read()
sys.path.insert(0, sys.argv[3])
import advisor
rows = list(csv.DictReader(open(d + "/compare.csv")))
assert len(rows) == 9 and all(r["state"] == "ok" and r["exit_status"] == "0" for r in rows), rows
orders = [tuple(r["lock"] for r in sorted((x for x in rows if x["run"] == str(k)), key=lambda x: int(x["position"]))) for k in (1, 2, 3)]
assert all(sorted(o) == ["mcs", "pthread", "ticket"] for o in orders), orders
summ = {r["lock"]: r for r in csv.DictReader(open(d + "/compare-summary.csv"))}
ctl = summ["pthread"]
for lk, s in summ.items():
    xs = sorted(float(r["wall_s"]) for r in rows if r["lock"] == lk)
    med = statistics.median(xs)
    assert abs(float(s["median"]) - med) <= 1e-4 * med, (lk, s["median"], med)
    # 3 runs: no 95% interval exists; the range, covering 1 - 2^(1-3) = 75%
    assert abs(float(s["ci_lo"]) - xs[0]) <= 1e-4 * xs[0] and abs(float(s["ci_hi"]) - xs[-1]) <= 1e-4 * xs[-1], (lk, s)
    assert s["ci_coverage"] == "0.7500", s
    assert abs(float(s["ratio_to_control"]) - med / float(ctl["median"])) < 1e-3, s
    a = {"median": med, "lo": xs[0], "hi": xs[-1]}
    c = {"median": float(ctl["median"]), "lo": float(ctl["ci_lo"]), "hi": float(ctl["ci_hi"])}
    want = "control" if lk == "pthread" else ("within noise" if not advisor.separable(a, c) else ("better" if med < c["median"] else "worse"))
    assert s["verdict"] == want, (lk, s["verdict"], want)
    assert lk in out and s["verdict"] in out
assert "recommendation: " in out, out
better = [k for k, s in summ.items() if s["verdict"] == "better"]
assert ("recommendation: keep pthread" in out) == (not better), out
meta = json.load(open(d + "/meta.json"))
assert meta["kind"] == "app-compare" and meta["locks"] == ["pthread", "mcs", "ticket"] and meta["runs"] == 3 and meta["figure"] == "wall_s"
assert sorted(__import__("os").listdir(d + "/runs")) == sorted("%s-%d.log" % (l, k) for l in ("pthread", "mcs", "ticket") for k in (1, 2, 3))
page = open(d + "/report.html").read()
assert "<script" not in page and all(">%s<" % lk in page for lk in ("pthread", "mcs", "ticket")), "report.html"
print("# " + out.replace("\n", "\n# ").rstrip("# "))
PY
rc2=$?
grep "^# " "$T/py"
check "--compare=pthread,mcs,ticket --runs=3: 9 runs in shuffled rounds, medians, ranges (75% coverage), ratios and verdicts as defined, the recommendation line, meta.json, one log per run, report.html with the table" \
	$([ $rc -eq 0 ] && echo $rc2 || echo 1) "exit $rc: $(grep -v '^# ' "$T/py"; cat "$T/cmp.err" | tail -5)"

# --metric: the figure from the program's output (higher is better).
./profile-app --quiet --compare=pthread,ttas --runs=2 --metric='condvar: ([0-9]+) items' --out="$T/met" -- "$B/prof_condvar" 3000 >/dev/null 2>"$T/met.err"
rc=$?
v=$(python3 -c "
import csv; s = {r['lock']: r for r in csv.DictReader(open('$T/met/compare-summary.csv'))}
print(all(r['figure'] == 'metric' and float(r['median']) == 3000 and r['verdict'] in ('control', 'within noise') for r in s.values()))")
check "--metric: each run's figure is the number the program printed (3000 items), equal figures are within noise" \
	$([ $rc -eq 0 ] && [ "$v" = True ] && echo 0 || echo 1) "exit $rc $v: $(cat "$T/met.err" | tail -3)"

# A failing program: every run recorded as failed, exit 1, each named on stderr.
./profile-app --quiet --compare=pthread,mcs --runs=2 --out="$T/fail" -- /bin/false >/dev/null 2>"$T/fail.err"
rc=$?
nf=$(grep -c "run [12]: failed (exit status 1)" "$T/fail.err")
check "--compare on a program that fails: exit 1, the 4 failed runs named with their status, compare.csv kept" \
	$([ $rc -eq 1 ] && [ "$nf" = 4 ] && [ -f "$T/fail/compare.csv" ] && echo 0 || echo 1) "exit $rc, $nf named: $(cat "$T/fail.err")"

# --timeout: a run past it is killed and failed.
./profile-app --quiet --compare=pthread,ttas --runs=2 --timeout=200ms --out="$T/to" -- /bin/sleep 5 >/dev/null 2>"$T/to.err"
rc=$?
v=$(python3 -c "
import csv; r = list(csv.DictReader(open('$T/to/compare.csv')))
print(len(r) == 4 and all(x['state'] == 'timeout' and float(x['wall_s']) < 3 for x in r))")
check "--timeout=200ms: runs killed at the deadline, state timeout, exit 1" \
	$([ $rc -eq 1 ] && [ "$v" = True ] && echo 0 || echo 1) "exit $rc $v: $(cat "$T/to.err" | tail -3)"

# Bad input: one line naming it, exit 2, nothing written.
# shellcheck source=tests/lib/profbad.sh
. "$(dirname "$0")/../lib/profbad.sh"
bad "--lock: unknown lock 'clh'" --lock=clh -- /bin/true
bad "--compare: unknown lock 'foo'" --compare=mcs,foo -- /bin/true
bad "--compare: invalid value 'mcs'" --compare=mcs -- /bin/true
bad "--compare: invalid value 'mcs,mcs'" --compare=mcs,mcs -- /bin/true
bad "--runs: invalid value '1'" --compare=mcs,ttas --runs=1 -- /bin/true
bad "--metric: invalid value '('" --compare=mcs,ttas --metric='(' -- /bin/true
bad "--metric: invalid value 'items'" --compare=mcs,ttas --metric=items -- /bin/true
bad "--metric: only with --compare" --metric='([0-9]+)' -- /bin/true
bad "--timeout: invalid time '0s'" --compare=mcs,ttas --timeout=0s -- /bin/true
bad "--lock: not with --compare" --lock=mcs --compare=mcs,ttas -- /bin/true

echo "$pass passed, $failn failed, $skipn skipped"
[ "$failn" -eq 0 ]
