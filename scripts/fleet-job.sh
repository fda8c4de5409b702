#!/bin/sh
#SBATCH --nodes=1
#SBATCH --ntasks=1
#SBATCH --exclusive
# fleet-job.sh - one part of a spinbench study, on one node: the job script
# run-fleet submits, one job array per machine type.  By hand, from the
# repository's root (the study folder must be on a file system the nodes
# share):
#
#   sbatch --partition=P --array=1-N --output=STUDY/logs/MACHINE-part-%a.log \
#       scripts/fleet-job.sh STUDY MACHINE N -- RUN-BENCH-OPTIONS --seed=S
#
# Part K (SLURM_ARRAY_TASK_ID; FLEET_PART outside Slurm, as run-fleet --local
# runs it) runs, on the node it got whole (--exclusive):
#
#   run-bench RUN-BENCH-OPTIONS --part=K/N --machine=MACHINE \
#       --out=STUDY/parts/MACHINE/part-K-of-N --quiet --no-plots
#
# and then writes STUDY/parts/MACHINE/part-K-of-N.status (node, job, start,
# end, run-bench's exit status; written to a temporary name and renamed).
# The exit status is run-bench's.  At its time limit Slurm sends SIGTERM:
# run-bench writes what it measured, marked incomplete (exit 143), and the
# status file says so; run-fleet --resume runs that part again and keeps the
# incomplete folder beside it.
#
# spinbench is built on the node if needed (make, under flock so that the
# parts of an array starting together build once); SPINBENCH_BIN names a
# binary to use instead.  The repository is SPINBENCH_HOME, else the folder
# sbatch was run from (SLURM_SUBMIT_DIR), else this script's parent.
#
# Test hook: SPINBENCH_FLEET_INJECT="MACHINE:K:OPTION" adds OPTION to the
# run-bench options of part K of MACHINE only (tests/e2e/test_fleet.sh makes
# one part fail with an impossible option, then resumes the study without it).
set -u
if [ $# -lt 4 ] || [ "$4" != "--" ]; then
	echo "usage: fleet-job.sh STUDY MACHINE N -- RUN-BENCH-OPTIONS" >&2
	exit 2
fi
study=$1 machine=$2 nparts=$3
shift 4
k=${SLURM_ARRAY_TASK_ID:-${FLEET_PART:-1}}

here=${SPINBENCH_HOME:-}
if [ -z "$here" ]; then
	if [ -n "${SLURM_SUBMIT_DIR:-}" ] && [ -x "$SLURM_SUBMIT_DIR/run-bench" ]; then
		here=$SLURM_SUBMIT_DIR
	else
		here=$(cd "$(dirname "$0")/.." && pwd)
	fi
fi
case $study in /*) ;; *) study=$(pwd)/$study ;; esac
dir=$study/parts/$machine
out=$dir/part-$k-of-$nparts
node=${SLURMD_NODENAME:-$(hostname -s)}
job=${SLURM_ARRAY_JOB_ID:+${SLURM_ARRAY_JOB_ID}_$k}
mkdir -p "$dir" || exit 1
start=$(date +%Y-%m-%dT%H:%M:%S%z)
echo "fleet-job: $machine part $k/$nparts on $node${job:+, job $job}, from $here"

extra=""
case ${SPINBENCH_FLEET_INJECT:-} in
"$machine:$k:"*) extra=${SPINBENCH_FLEET_INJECT#"$machine:$k:"}; echo "fleet-job: injected option: $extra" ;;
esac

bin=${SPINBENCH_BIN:-}
if [ -z "$bin" ]; then
	mkdir -p "$here/build"
	if command -v flock >/dev/null 2>&1; then
		flock "$here/build/.fleet-build.lock" make -s -C "$here" all || { echo "fleet-job: the build failed" >&2; rc=1; }
	else
		make -s -C "$here" all || { echo "fleet-job: the build failed" >&2; rc=1; }
	fi
	bin=$here/build/spinbench
fi
export SPINBENCH_WORKLOADS="${SPINBENCH_WORKLOADS:-$here/workloads}"

# SIGTERM (the time limit): run-bench gets it too, writes its partial folder
# and exits 143; the trap only keeps this shell alive to record that.
trap 'echo "fleet-job: SIGTERM (time limit or scancel)"' TERM
if [ -z "${rc:-}" ]; then
	# shellcheck disable=SC2086 # $extra: the test hook's one option
	"$bin" "$@" $extra --part="$k/$nparts" --machine="$machine" --out="$out" --quiet --no-plots
	rc=$?
fi
end=$(date +%Y-%m-%dT%H:%M:%S%z)
printf 'machine=%s\npart=%s/%s\nnode=%s\njob=%s\nstart=%s\nend=%s\nrc=%s\n' \
	"$machine" "$k" "$nparts" "$node" "$job" "$start" "$end" "$rc" >"$out.status.tmp" &&
	mv "$out.status.tmp" "$out.status"
echo "fleet-job: $machine part $k/$nparts: run-bench exit status $rc"
exit "$rc"
