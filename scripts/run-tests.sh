#!/bin/sh
# run-tests.sh - run test binaries, each under a time limit, and add up their
# "N passed, N failed[, N skipped]" lines into one closing line.
# A binary that dies, prints no closing line, or exits non-zero with no
# failure counted counts as one failure.
set -u
limit=${SB_TEST_TIMEOUT:-300}
pass=0 failn=0 skip=0 dead=0
for t in "$@"; do
	echo "# $t"
	out=$(mktemp)
	rcf=$(mktemp)
	# the test's own exit status, not tee's: a binary that crashes after
	# printing its closing line still fails
	{ timeout "$limit" "$t" 2>&1; echo $? >"$rcf"; } | tee "$out"
	rc=$(cat "$rcf")
	rm -f "$rcf"
	last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	rm -f "$out"
	if [ -z "$last" ]; then
		echo "not ok - $t: no closing line (exit status $rc)"
		dead=$((dead + 1))
		continue
	fi
	p=$(echo "$last" | sed -E 's/^([0-9]+) passed.*/\1/')
	f=$(echo "$last" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $t: exit status $rc after its closing line"
		dead=$((dead + 1))
	fi
	s=$(echo "$last" | sed -nE 's/.*, ([0-9]+) skipped.*/\1/p')
	pass=$((pass + p)); failn=$((failn + f)); skip=$((skip + ${s:-0}))
done
failn=$((failn + dead))
echo "total: $pass passed, $failn failed, $skip skipped"
[ "$failn" -eq 0 ]
