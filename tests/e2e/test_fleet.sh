#!/bin/sh
# test_fleet.sh - run-fleet against a real Slurm: a one-node cluster on
# localhost (scripts/slurm-local.sh) with two partitions of the one node as
# two machine types.  A study with --split=2 in which one part is made to
# fail (an impossible run-bench option injected for that part only through
# SPINBENCH_FLEET_INJECT, scripts/fleet-job.sh), then --resume'd: the
# failure report (Slurm state, log tail), the other machine merged while the
# failed one waits, the resumed study's merged and compared folders,
# study.html, and the study against one run of the whole plan,
# configuration for configuration (same configurations, the same seed, each
# part's repetitions in the whole run's order).  Bad input: one line, exit
# 2, nothing submitted.  Accounting is real (slurmdbd on MariaDB,
# SLURM_LOCAL_ACCOUNTING=1): the account and QoS passed through are the
# ones Slurm applies, and a QoS it does not know is refused by sbatch.
# Needs root: it installs Debian's slurmctld, slurmd, slurm-client, munge,
# slurmdbd and mariadb-server when missing, and starts and always stops (trap)
# the daemons; otherwise one skip line says why (a failure instead with
# SPINBENCH_FLEET_REQUIRED=1, for CI).  Prints ok/not ok lines and
# closes with "N passed, N failed, N skipped".  Usage: tests/e2e/test_fleet.sh [BUILD_DIR]
set -u
B=${1:-${B:-build}}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
done_() { echo "$pass passed, $failn failed, $skipn skipped"; [ "$failn" = 0 ]; exit $?; }

PATH=$PATH:/usr/sbin:/sbin
have() {
	command -v slurmctld && command -v slurmd && command -v sbatch && command -v munged && command -v slurmdbd &&
		command -v mariadbd
}
# SPINBENCH_FLEET_REQUIRED=1 (CI): not being able to run is a failure, not a skip
if [ "$(id -u)" != 0 ]; then
	if [ "${SPINBENCH_FLEET_REQUIRED:-0}" = 1 ]; then
		nok "run-fleet on a local Slurm cluster: needs root (to start munged, slurmctld and slurmd)"
	else
		skip "run-fleet on a local Slurm cluster" "needs root (to start munged, slurmctld and slurmd)"
	fi
	done_
fi
if ! have >/dev/null 2>&1; then
	# the daemons and clients alone: the slurm-wlm metapackage also brings
	# librocm-smi64, whose PAPI component writes to stderr at PAPI's start
	echo "# installing slurmctld slurmd slurm-client munge slurmdbd mariadb-server (apt-get)"
	{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		slurmctld slurmd slurm-client munge slurmdbd mariadb-server; } >/tmp/spinbench-slurm-apt.log 2>&1
	if ! have >/dev/null 2>&1; then
		nok "install slurmctld slurmd slurm-client munge slurmdbd mariadb-server" "$(tail -3 /tmp/spinbench-slurm-apt.log)"
		done_
	fi
fi

T=$(mktemp -d)
export SLURM_LOCAL_DIR=$T/slurm SLURM_CONF=$T/slurm/slurm.conf SLURM_LOCAL_ACCOUNTING=1
trap '"$ROOT/scripts/slurm-local.sh" stop >/dev/null 2>&1; rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
t0=$(date +%s)
"$ROOT/scripts/slurm-local.sh" start typea,typeb >"$T/up" 2>&1
rc=$?
check "a one-node cluster on localhost: munged, slurmctld, slurmd; partitions typea and typeb ($(($(date +%s) - t0))s)" \
	$([ $rc = 0 ] && [ "$(sinfo -h -o %R | sort | tr '\n' ' ')" = "typea typeb " ]; echo $?) "$(cat "$T/up")"
[ $rc = 0 ] || done_
pids=$(awk '{ print $2 }' "$T/slurm/pids" | tr '\n' ' ')

export SPINBENCH_RESULTS=$T/results SPINBENCH_BIN=$(cd "$(dirname "$B/spinbench")" && pwd)/spinbench
export SPINBENCH_WORKLOADS=$ROOT/workloads
FLEET=$ROOT/run-fleet
PLAN="--lock=ttas,mcs --threads=1,2 --duration=20ms --warmup=10ms --timed=10ms --repeat=2 --seed=7"
njobs() { scontrol -o show jobs 2>/dev/null | grep -c JobId=; }

# --- bad input: one line, exit 2, nothing submitted, no study folder --------------
bad() {
	want=$1; shift
	before=$(njobs)
	"$FLEET" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	after=$(njobs)
	left=$(ls -A "$SPINBENCH_RESULTS" 2>/dev/null | grep -v '^study-ok-' | tr '\n' ' ')
	check "run-fleet $* -> exit 2, one line naming '$want', nothing submitted" \
		$([ $rc = 2 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -qF -- "$want" "$T/err" && [ "$before" = "$after" ] && [ -z "$left" ]; echo $?) \
		"exit $rc, jobs $before -> $after, left: $left: $(cat "$T/err")"
}
bad "no partition 'nosuch' in this cluster" --partitions=typea,nosuch -- $PLAN
bad "no node 'nonode' in this cluster" --nodes=nonode -- $PLAN
bad "no node feature 'nofeat' in this cluster" --constraint=typea,nofeat -- $PLAN
bad "run-bench rejects the options: run-bench: --lock" --partitions=typea -- $PLAN --lock=bogus
bad "--split: 5 parts for a plan of 4 configurations" --partitions=typea --split=5 -- $PLAN
bad "run-bench option --out: the study sets it itself" --partitions=typea -- $PLAN --out=/tmp/x
bad "--qos: no QoS 'nosuchqos' in this cluster's accounting (sacctmgr knows: fleetqos, normal)" --partitions=typea --qos=nosuchqos -- $PLAN
bad "--account: no account 'nosuchacct' in this cluster's accounting" --partitions=typea --account=nosuchacct -- $PLAN

# --- a study with a part made to fail ------------------------------------------------
t1=$(date +%s)
SPINBENCH_FLEET_INJECT=typeb:2:--threads=0 "$FLEET" --partitions=typea,typeb --split=2 --name=ok --time=5 --account=lockstudy \
	--qos=fleetqos \
	--poll=0.5 -- $PLAN >"$T/out1" 2>"$T/err1"
rc=$?
S=$(ls -d "$SPINBENCH_RESULTS"/study-ok-* 2>/dev/null | head -1)
check "a study, typea and typeb, --split=2, part 2 of typeb injected --threads=0: exit 1 in $(($(date +%s) - t1))s" \
	$([ $rc = 1 ] && [ -n "$S" ]; echo $?) "exit $rc: $(tail -5 "$T/err1")"
[ -n "$S" ] || done_
check "progress on stderr: jobs pending, running, done, failed and configurations finished" \
	$(grep -q "pending, .* running, .* done, .* failed; configurations [0-9]*/8 finished" "$T/err1" &&
		grep -q "3 done, 1 failed; configurations 6/8" "$T/err1"; echo $?) "$(grep pending "$T/err1" | tail -3)"
check "the failure report: typeb part 2/2, its Slurm state and exit code, the tail of its log" \
	$(grep -q "FAILED: typeb part 2/2 (job [0-9]*, node .*): Slurm FAILED, exit 2:0" "$T/err1" &&
		grep -q "| run-bench: --threads: invalid value '0'" "$T/err1" && grep -q "resume with: .*--resume=$S" "$T/err1"; echo $?) \
	"$(tail -8 "$T/err1")"
check "typea, whose parts all finished, merged (complete, 4 configurations) with report.html; typeb not merged" \
	$(python3 -c 'import json,sys;m=json.load(open(sys.argv[1]));assert m["complete"] is True and m["configurations"]==4' "$S/typea/meta.json" &&
		[ -s "$S/typea/report.html" ] && [ ! -e "$S/typeb" ] && [ ! -e "$S/compare" ]; echo $?) "$(ls "$S")"
check "study.html names the failed part with its Slurm state and log" \
	$(grep -q 'id="failed"' "$S/study.html" && grep -q "FAILED (exit 2:0)" "$S/study.html" && grep -q 'href="typea/report.html"' "$S/study.html"; echo $?)
jid=$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["jobs"]["typea"][0]["job"])' "$S/study.json")
scontrol -o show job "$jid" >"$T/job"
check "the jobs take their node whole (--exclusive) with the time limit, account and QoS passed through and applied by Slurm (--time=5 --account=lockstudy --qos=fleetqos)" \
	$(grep -q "OverSubscribe=NO" "$T/job" && grep -q "TimeLimit=00:05:00" "$T/job" && grep -q "Partition=typea" "$T/job" &&
		grep -q "Account=lockstudy" "$T/job" && grep -q "QOS=fleetqos" "$T/job"; echo $?) \
	"$(tr ' ' '\n' <"$T/job" | grep -E 'OverSubscribe|TimeLimit|Partition|Account|QOS')"
# machine types by node feature: one job per feature, each asking for it (submitted, then cancelled)
"$FLEET" --constraint=typea,typeb --name=feat --no-wait -- $PLAN >"$T/outf" 2>"$T/errf"
rc=$?
F=$(ls -d "$SPINBENCH_RESULTS"/study-feat-* 2>/dev/null | head -1)
fj=$([ -n "$F" ] && python3 -c 'import json,sys;print(" ".join(str(j["job"]) for js in json.load(open(sys.argv[1]))["jobs"].values() for j in js))' "$F/study.json")
feats=$(for j in $fj; do scontrol -o show job "$j" | tr ' ' '\n' | sed -n 's/^Features=//p'; done | sort | tr '\n' ' ')
for j in $fj; do scancel "$j"; done
rm -rf "$F"
check "--constraint=typea,typeb: one job per feature, each asking for it ($feats)" \
	$([ $rc = 0 ] && [ "$feats" = "typea typeb " ]; echo $?) "exit $rc: $(cat "$T/errf")"
bad "the study folder $S exists" --partitions=typea,typeb --split=2 --name=ok -- $PLAN

# --- resume: --no-wait resubmits only the failed part, a second --resume waits --------
"$FLEET" --resume="$S" --no-wait >"$T/out2" 2>"$T/err2"
rc=$?
check "--resume --no-wait: exit 0, one part resubmitted, the job id and how to resume printed" \
	$([ $rc = 0 ] && grep -q "1 part to run again, 0 still queued or running, 3 done" "$T/err2" &&
		grep -q "submitted typeb: job [0-9]*, parts 2 of 2" "$T/err2" && grep -q "^jobs: [0-9]" "$T/out2" &&
		grep -q "resume .*--resume=$S" "$T/out2"; echo $?) "exit $rc: $(cat "$T/out2" "$T/err2")"
check "the failed part's log and status kept beside, renamed .failed-1" \
	$([ -f "$S/logs/typeb-part-2.log.failed-1" ] && [ -f "$S/parts/typeb/part-2-of-2.status.failed-1" ]; echo $?) "$(ls "$S/logs" "$S/parts/typeb")"
"$FLEET" --resume="$S" --poll=0.5 >"$T/out3" 2>"$T/err3"
rc=$?
check "--resume (waiting): exit 0, the ratio table printed (typeb/typea)" \
	$([ $rc = 0 ] && grep -q "typeb/typea" "$T/out3" && grep -q "^study: $S/study.html" "$T/out3"; echo $?) "exit $rc: $(tail -5 "$T/err3")"
check "the study folder: typea/ and typeb/ merged with report.html, compare/comparison.html, study.html linking them, nothing hidden left" \
	$([ -s "$S/typeb/report.html" ] && [ -s "$S/compare/comparison.html" ] && grep -q 'href="typeb/report.html"' "$S/study.html" &&
		grep -q 'href="compare/comparison.html"' "$S/study.html" && ! grep -q 'id="failed"' "$S/study.html" &&
		[ -z "$(find "$S" -name '.*')" ]; echo $?) "$(ls -A "$S")"

# --- the resumed study against one run of the whole plan -------------------------------
"$SPINBENCH_BIN" $PLAN --quiet --out="$T/whole" >/dev/null 2>"$T/errw"
python3 - "$T/whole" "$S" >"$T/py" 2>&1 <<'EOF'
import csv, json, sys
whole, study = sys.argv[1], sys.argv[2]
def cols(p, names):
    r = list(csv.reader(open(p)))
    ix = [r[0].index(c) for c in names]
    return [tuple(row[i] for i in ix) for row in r[1:]]
w = cols(whole + "/configs.csv", ["lock", "threads", "workload", "placement", "reps"])
wseq = cols(whole + "/summary.csv", ["lock", "threads", "rep"])
wm = json.load(open(whole + "/meta.json"))
for m in ("typea", "typeb"):
    assert cols("%s/%s/configs.csv" % (study, m), ["lock", "threads", "workload", "placement", "reps"]) == w, m
    mm = json.load(open("%s/%s/meta.json" % (study, m)))
    assert mm["seed"] == wm["seed"] == 7 and mm["locks"] == wm["locks"] and mm["threads"] == wm["threads"], m
    assert mm["complete"] is True and mm["machine"] == m, m
    for k in (1, 2):
        mine = {(l, t) for l, t, _ in cols("%s/parts/%s/part-%d-of-2/configs.csv" % (study, m, k), ["lock", "threads", "reps"])}
        seq = cols("%s/parts/%s/part-%d-of-2/summary.csv" % (study, m, k), ["lock", "threads", "rep"])
        assert seq == [x for x in wseq if (x[0], x[1]) in mine], (m, k, seq)
print("ok")
EOF
check "each machine's merged folder equals one run of the whole plan configuration for configuration (configurations, repetitions, seed 7; each part in the whole run's order)" \
	$(grep -qx ok "$T/py"; echo $?) "$(cat "$T/py" "$T/errw")"

# --- a part killed at its time limit: what it measured is kept, marked incomplete ---------
# Slurm's shortest limit is a minute (and it looks every 30 s): this part costs
# up to two, so it runs where SPINBENCH_FLEET_SLOW=1 (CI) asks for it.
if [ "${SPINBENCH_FLEET_SLOW:-0}" = 1 ]; then
	t2=$(date +%s)
	"$FLEET" --partitions=typea --name=tl --time=1 --poll=2 -- --lock=ttas --threads=1 --duration=4s --warmup=10ms \
		--timed=10ms --repeat=40 --seed=3 >"$T/out4" 2>"$T/err4"
	rc=$?
	TL=$(ls -d "$SPINBENCH_RESULTS"/study-tl-* 2>/dev/null | head -1)
	P=$TL/parts/typea/part-1-of-1
	check "a part killed at its time limit (--time=1, $(($(date +%s) - t2))s): exit 1, reported as Slurm TIMEOUT with its log" \
		$([ $rc = 1 ] && grep -q "typea part 1/1 .*TIMEOUT" "$T/err4"; echo $?) "exit $rc: $(tail -6 "$T/err4")"
	python3 - "$P" >"$T/py" 2>&1 <<'EOF'
import csv, json, sys
m = json.load(open(sys.argv[1] + "/meta.json"))
assert m["complete"] is False, m.get("complete")
reps = list(csv.DictReader(open(sys.argv[1] + "/summary.csv")))
assert 0 < len(reps) < 40, len(reps)
print("ok %d" % len(reps))
EOF
	check "its folder is kept, marked incomplete, with the repetitions it finished ($(sed -n 's/^ok //p' "$T/py"))" \
		$(grep -q "^ok" "$T/py"; echo $?) "$(cat "$T/py"; ls -A "$TL" "$TL/parts/typea" 2>&1)"
else
	skip "a part killed at its time limit" "takes up to 2 minutes (Slurm's shortest limit): SPINBENCH_FLEET_SLOW=1"
fi

# --- the daemons: stopped, exactly those started ------------------------------------
"$ROOT/scripts/slurm-local.sh" stop >/dev/null 2>&1
left=""
# a process still running (a zombie waiting for its reaper has no command line)
for p in $pids; do [ -n "$({ tr -d '\0' <"/proc/$p/cmdline"; } 2>/dev/null)" ] && left="$left $p"; done
check "slurm-local.sh stop: the daemons it started ($pids) are gone" $([ -z "$left" ]; echo $?) "left:$left"
echo "# wall time $(($(date +%s) - t0))s"
done_
