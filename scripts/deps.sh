#!/bin/sh
# deps.sh - find spinbench's build dependencies; install the missing ones.
#
# Libraries are found with pkg-config, programs on PATH.  When something is
# missing: as root, install the Debian packages with apt-get (no input asked);
# otherwise print one line naming the exact install command and exit 1.
#   scripts/deps.sh          what run-bench needs (hwloc, libnuma, PAPI, ck, gnuplot, python3)
#   scripts/deps.sh --all    also what the tests need (chromium, rocksdb-tools, libsqlite3-dev)
set -u

pkgs=""
need_pc() { pkg-config --exists "$1" 2>/dev/null || pkgs="$pkgs $2"; }
need_cmd() { command -v "$1" >/dev/null 2>&1 || pkgs="$pkgs $2"; }

need_cmd cc gcc
need_cmd make make
need_cmd pkg-config pkg-config
if command -v pkg-config >/dev/null 2>&1; then
	need_pc hwloc libhwloc-dev
	need_pc numa libnuma-dev
	need_pc papi libpapi-dev
	need_pc ck libck-dev
else
	pkgs="$pkgs libhwloc-dev libnuma-dev libpapi-dev libck-dev"
fi
need_cmd lstopo-no-graphics hwloc
need_cmd papi_avail papi-tools
need_cmd gnuplot gnuplot-nox   # run-bench draws its plots at the end
need_cmd python3 python3       # plot-results, compare-results
if [ "${1:-}" = "--all" ]; then
	need_cmd chromium chromium
	need_cmd cache_bench rocksdb-tools # tests/e2e/test_profile.sh: a real program with a hot lock
	need_pc sqlite3 libsqlite3-dev     # tests/profile/sqlite.c: SQLite's recursive mutexes
fi

[ -z "$pkgs" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "spinbench: installing:$pkgs" >&2
	export DEBIAN_FRONTEND=noninteractive
	{ apt-get update -q && apt-get install -y -q --no-install-recommends $pkgs; } >/tmp/spinbench-apt.log 2>&1 || {
		echo "spinbench: apt-get install$pkgs failed; see /tmp/spinbench-apt.log" >&2
		exit 1
	}
	exit 0
fi
echo "spinbench: missing dependencies; install them with: sudo apt-get install -y$pkgs" >&2
exit 1
