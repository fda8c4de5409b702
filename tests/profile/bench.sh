#!/bin/sh
# bench.sh - `make bench-profile`: the profiler's added cost per uncontended
# pthread_mutex_lock + unlock pair, one thread (prof_cost: median of 7
# rounds of 2 million pairs), with and without libsbprof.so preloaded,
# alternated in the same run (5 times each; medians).  A figure, not a
# pass/fail: a shared VM is too noisy to time-test.  Target: <= 25 ns added.
set -eu
cd "$(dirname "$0")/../.."
B=${B:-build}
raw=$(mktemp -d)
trap 'rm -rf "$raw"' EXIT
off="" on=""
for i in 1 2 3 4 5; do
	off="$off $("$B/prof_cost")"
	on="$on $(SBPROF_DIR="$raw" LD_PRELOAD="$PWD/$B/libsbprof.so" "$B/prof_cost")"
done
python3 - "$off" "$on" <<'PY'
import statistics, sys
off = [float(x) for x in sys.argv[1].split()]
on = [float(x) for x in sys.argv[2].split()]
a, b = statistics.median(off), statistics.median(on)
print("# make bench-profile: ns per uncontended lock+unlock pair, 1 thread (medians of 5 runs)")
print("without preload %8.2f ns   (runs: %s)" % (a, " ".join("%.1f" % x for x in off)))
print("with libsbprof  %8.2f ns   (runs: %s)" % (b, " ".join("%.1f" % x for x in on)))
print("added           %8.2f ns per acquisition (target <= 25 ns)  %s" % (b - a, "ok" if b - a <= 25 else "above target"))
PY
