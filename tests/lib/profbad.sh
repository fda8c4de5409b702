# profbad.sh - sourced by tests/e2e/test_profile.sh and test_swap.sh (after
# tests/lib/tap.sh; needs $T and $RES, the results folder profile-app writes
# under):
#   bad WANT ARGS...   ./profile-app ARGS must exit 2 with one stderr line
#                      containing WANT and write nothing under $RES
bad() {
	want=$1; shift
	./profile-app "$@" >"$T/bad.out" 2>"$T/bad.err"
	rc=$?
	left=$(ls -A "$RES")
	if [ $rc -eq 2 ] && [ "$(wc -l <"$T/bad.err")" -eq 1 ] && grep -qF -- "$want" "$T/bad.err" && [ -z "$left" ]; then
		ok "bad input $* -> exit 2: $(cat "$T/bad.err")"
	else
		nok "bad input $*: want exit 2, one line naming '$want', nothing written" "exit $rc: $(cat "$T/bad.err") left: $left"
	fi
	rm -rf "${RES:?}"/* "$RES"/.[!.]* 2>/dev/null
}
