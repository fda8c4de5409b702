#!/bin/sh
# guest.sh BIN OUT - the runs that tests/vm checks, inside an emulated
# machine.  It knows nothing of the shape it runs on: it reads the nodes from
# the guest kernel's sysfs and records what spinbench does on them, each run
# in OUT/NAME/ (a result folder) with NAME.out, NAME.err and NAME.rc beside
# it.  tests/vm/check.py compares all of it with the shape's description.
set -u
BIN=$1
OUT=$2
cd "$OUT" || exit 1
mkdir -p tmp
export TMPDIR="$OUT/tmp"
export SPINBENCH_RESULTS="$OUT/results"
# The machine's name in the results: vm-SHAPE (the kernel command line's sb.shape).
M=${SB_MACHINE:-vm-$(tr ' ' '\n' </proc/cmdline | sed -n 's/^sb\.shape=//p')}
# Short and repeatable: emulated latencies mean nothing; the code paths are real.
Q="--duration=20ms --warmup=5ms --timed=10ms --repeat=1 --no-plots --quiet --seed=1"

run() {
	name=$1
	shift
	"$BIN" "$@" >"$name.out" 2>"$name.err"
	echo $? >"$name.rc"
}

# The kernel's own view, independent of hwloc: id, cpulist, distances, MB.
for d in /sys/devices/system/node/node[0-9]*; do
	n=${d##*node}
	mb=$(awk '/MemTotal/ { print int($4 / 1024) }' "$d/meminfo")
	echo "$n ${mb} $(cat "$d/cpulist") : $(cat "$d/distance")"
done | sort -n >kernel-nodes.txt
nodes=$(cut -d' ' -f1 kernel-nodes.txt)
lstopo-no-graphics --of xml topology.xml 2>lstopo.err

run plan-scatter --plan --threads=max --placement=scatter
run plan-cores --plan --threads=max
run plan-xml --plan --threads=max --placement=scatter --topology=topology.xml

last=0
for n in $nodes; do
	run "locknode-$n" --lock=ttas --threads=1 --lock-node="$n" --machine="$M" --out="$OUT/locknode-$n" $Q
	run "place-$n" --lock=ttas --threads=max --placement=node:"$n" --machine="$M" --out="$OUT/place-$n" $Q
	last=$n
done
run locknode-missing --lock=ttas --threads=1 --lock-node=$((last + 1)) --out="$OUT/locknode-missing" $Q

# longer phases: every class of handoff should show up in every lock
run numa --lock=mcs,cohort,cna,hmcs --threads=max --placement=scatter --machine="$M" --out="$OUT/numa" \
	--duration=100ms --warmup=10ms --timed=100ms --repeat=1 --no-plots --quiet --seed=1
run pair --lock=mcs --threads=2 --placement=scatter --machine="$M" --out="$OUT/pair" $Q
run c2c --c2c --threads=max --placement=scatter --machine="$M" --out="$OUT/c2c" --quiet
exit 0
