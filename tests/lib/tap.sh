# tap.sh - sourced by the end-to-end test scripts (tests/e2e/): the counters
# and the lines they print, which scripts/run-tests.sh reads.
#   ok WHAT                   "ok N - WHAT"
#   nok WHAT [EVIDENCE]       "not ok N - WHAT", the evidence below it, each line as "#   ..."
#   skip WHAT WHY             "ok N - WHAT # skip WHY"
#   check WHAT STATUS [EVIDENCE]   ok when STATUS is 0, else nok
# A script closes with "$pass passed, $failn failed, $skipn skipped" and its
# exit status.
n=0 pass=0 failn=0 skipn=0

ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); failn=$((failn + 1)); echo "not ok $n - $1"; [ -n "${2:-}" ] && echo "$2" | sed 's/^/#   /'; }
skip() { n=$((n + 1)); skipn=$((skipn + 1)); echo "ok $n - $1 # skip $2"; }
check() { if [ "$2" = 0 ]; then ok "$1"; else nok "$1" "${3:-}"; fi; }
