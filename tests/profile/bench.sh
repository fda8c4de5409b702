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
off="" on="" s16=""
for i in 1 2 3 4 5; do
	off="$off $("$B/prof_cost")"
	on="$on $(SBPROF_DIR="$raw" LD_PRELOAD="$PWD/$B/libsbprof.so" "$B/prof_cost")"
	s16="$s16 $(SBPROF_HOLD_SAMPLE=16 SBPROF_DIR="$raw" LD_PRELOAD="$PWD/$B/libsbprof.so" "$B/prof_cost")"
done
python3 - "$off" "$on" "$s16" <<'PY'
import statistics, sys
off, on, s16 = ([float(x) for x in a.split()] for a in sys.argv[1:4])
a, b, c = statistics.median(off), statistics.median(on), statistics.median(s16)
runs = lambda v: " ".join("%.1f" % x for x in v)
print("# make bench-profile: ns per uncontended lock+unlock pair, 1 thread (medians of 5 runs, alternated)")
print("without preload                %8.2f ns   (runs: %s)" % (a, runs(off)))
print("libsbprof, every hold timed    %8.2f ns   (runs: %s)" % (b, runs(on)))
print("libsbprof, --hold-sample=16    %8.2f ns   (runs: %s)" % (c, runs(s16)))
for name, v in (("every hold timed", b), ("--hold-sample=16", c)):
    print("added, %-24s%8.2f ns per acquisition (target <= 25 ns)  %s" % (name, v - a, "ok" if v - a <= 25 else "above target"))
PY
