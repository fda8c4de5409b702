#!/bin/sh
# cross-test.sh - make cross-test: the whole project built for aarch64 with
# Debian's cross compiler against Debian 12's arm64 multiarch libraries, and
# every test (tests/unit, tests/locks, tests/e2e) run under qemu-user.
#
# The build is the Makefile's own (`make unit`), with CC, WERROR, pkg-config
# and LAUNCH pointed at aarch64: the tests run through one small launcher per
# binary in $CB/qemu (`exec qemu-aarch64 -L / BINARY`), which the end-to-end
# scripts find as $B/spinbench; no binfmt_misc registration is needed.
#   pass 1: everything, under qemu's `max` CPU (ARMv8.x with LSE): the
#           outline atomics gcc emits by default take their LSE path
#   pass 2: the lock tests again under a Cortex-A53 (ARMv8.0, no LSE): the
#           same binaries, now through the LL/SC path
# SB_UNDER_QEMU_USER=1 tells the tests where they run (tests/lib/qemu.h).
#
# Concurrency Kit: libck-dev:arm64 cannot be installed beside the native
# libck-dev (both ship /usr/include/ck_md.h, configured per architecture:
# CK_MD_RMO on arm64, CK_MD_TSO on amd64; apt removes one to install the
# other), and the native ck.pc adds -D__x86_64__.  So its .deb is downloaded
# (apt-get download) and unpacked under $CB/ck-arm64, with a ck.pc of its own.
#
# Dependencies: as root, what is missing is installed (dpkg
# --add-architecture arm64, apt-get update, apt-get install); otherwise one
# line names the install command and the exit status is 1.  A missing
# emulator is never a skip.
#
# Environment: CROSS (the compiler, default aarch64-linux-gnu-gcc),
# CROSS_MARCH (e.g. armv8.1-a: inline LSE atomics; built in
# build/cross-test-<march>), V=1 (show the commands).
set -u
cd "$(dirname "$0")/.." || exit 1
CROSS=${CROSS:-aarch64-linux-gnu-gcc}
MARCH=${CROSS_MARCH:-}
CB=build/cross-test${MARCH:+-$MARCH}
LOG=/tmp/spinbench-cross-apt.log
t0=$(date +%s)

# ---- dependencies ------------------------------------------------------------
need_cmd() { command -v "$1" >/dev/null 2>&1 || pkgs="$pkgs $2"; }
need_file() { [ -e "$1" ] || pkgs="$pkgs $2"; }
ML=/usr/lib/aarch64-linux-gnu
check() {
	pkgs=""
	need_cmd make make
	need_cmd pkg-config pkg-config
	need_cmd "$CROSS" gcc-aarch64-linux-gnu
	need_cmd qemu-aarch64 qemu-user
	need_cmd python3 python3
	need_file $ML/pkgconfig/hwloc.pc libhwloc-dev:arm64
	need_file $ML/pkgconfig/numa.pc libnuma-dev:arm64
	need_file $ML/pkgconfig/papi.pc libpapi-dev:arm64
	need_file /lib/ld-linux-aarch64.so.1 libc6:arm64 # the loader qemu runs with -L /
}
check

if ! command -v dpkg >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
	echo "spinbench: make cross-test needs a Debian system (dpkg, apt-get) for the arm64 multiarch libraries" >&2
	exit 1
fi
addarch=0
dpkg --print-foreign-architectures 2>/dev/null | grep -qx arm64 || addarch=1
root=0
[ "$(id -u)" = 0 ] && root=1
# as root: the arm64 architecture and fresh package lists
enable_arm64() {
	{ [ $addarch = 0 ] || dpkg --add-architecture arm64; } && apt-get update -q && addarch=0
}

if [ -n "$pkgs" ]; then
	if [ $root = 0 ]; then
		cmd="sudo apt-get install -y$pkgs"
		[ $addarch = 1 ] && cmd="sudo dpkg --add-architecture arm64 && sudo apt-get update && $cmd"
		echo "spinbench: make cross-test is missing dependencies; install them with: $cmd" >&2
		exit 1
	fi
	echo "spinbench: installing:$pkgs" >&2
	export DEBIAN_FRONTEND=noninteractive
	{ enable_arm64 && apt-get install -y -q --no-install-recommends $pkgs; } >$LOG 2>&1 || {
		echo "spinbench: installing$pkgs for make cross-test failed; see $LOG" >&2
		exit 1
	}
	check
	if [ -n "$pkgs" ]; then
		echo "spinbench: still missing after the install:$pkgs" >&2
		exit 1
	fi
fi

# Concurrency Kit for arm64, unpacked from its .deb (see the top).
CK=$PWD/$CB/ck-arm64
if [ ! -s "$CK/usr/include/ck_md.h" ]; then
	rm -rf "$CK" && mkdir -p "$CK/deb" || exit 1
	fetch() { (cd "$CK/deb" && apt-get download libck-dev:arm64) >>$LOG 2>&1; }
	: >$LOG
	# without the arm64 package lists (an architecture added without an
	# update, libraries installed from elsewhere) root fetches them first
	if ! fetch && { [ $root = 0 ] || ! enable_arm64 >>$LOG 2>&1 || ! fetch; }; then
		echo "spinbench: make cross-test cannot download libck-dev:arm64 (see $LOG); enable arm64 with: sudo dpkg --add-architecture arm64 && sudo apt-get update" >&2
		exit 1
	fi
	dpkg-deb -x "$CK"/deb/libck-dev_*_arm64.deb "$CK" || exit 1
fi
# The reason for all of the above: ck's fences must be those of a weakly ordered machine.
grep -q '^#define CK_MD_RMO' "$CK/usr/include/ck_md.h" || {
	echo "spinbench: $CK/usr/include/ck_md.h is not configured for arm64 (no CK_MD_RMO)" >&2
	exit 1
}
mkdir -p "$CB/pkgconfig"
sed -e "s|^prefix=.*|prefix=$CK/usr|" -e 's|^includedir=/usr|includedir=${prefix}|' -e 's|^libdir=/usr|libdir=${prefix}|' \
	"$CK$ML/pkgconfig/ck.pc" >"$CB/pkgconfig/ck.pc" || exit 1

# pkg-config sees the arm64 libraries only (PKG_CONFIG_PATH would add the native ones).
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
export PKG_CONFIG_LIBDIR="$PWD/$CB/pkgconfig:$ML/pkgconfig:/usr/share/pkgconfig"

# ---- launchers -----------------------------------------------------------------
# One per binary the tests run: the test programs (as the Makefile finds
# them) and spinbench, which tests/e2e runs as $B/spinbench.
mkdir -p "$CB/qemu"
for src in tests/unit/test_*.c tests/locks/test_*.c spinbench; do
	name=$(basename "$src" .c)
	printf '#!/bin/sh\n# make cross-test: %s (aarch64) under qemu-user, the arm64 multiarch root as its root\nexec qemu-aarch64 -L / "$(dirname "$0")/../%s" "$@"\n' \
		"$name" "$name" >"$CB/qemu/$name"
	chmod 755 "$CB/qemu/$name"
done

# ---- build and test --------------------------------------------------------------
export SB_UNDER_QEMU_USER=1
jobs=$(nproc 2>/dev/null || echo 2)
cflags="-O2 -g${MARCH:+ -march=$MARCH}"
run() { make --no-print-directory -j"$jobs" B="$CB" CC="$CROSS" CFLAGS="$cflags" WERROR=-Werror V="${V:-0}" LAUNCH="$CB/qemu" "$@"; }

echo "# cross-test pass 1: aarch64 ($CROSS${MARCH:+ -march=$MARCH}), every test under qemu-aarch64 -cpu max"
QEMU_CPU=max run unit
rc1=$?
rc2=0
if [ -z "$MARCH" ]; then
	echo "# cross-test pass 2: the lock tests under qemu-aarch64 -cpu cortex-a53 (no LSE: the atomics' LL/SC path)"
	QEMU_CPU=cortex-a53 run TESTS="test_locks test_numa_locks" SCRIPTS= unit
	rc2=$?
fi
secs=$(($(date +%s) - t0))
if [ $rc1 = 0 ] && [ $rc2 = 0 ]; then
	echo "cross-test: passed on aarch64 under qemu-user in ${secs}s ($CB)"
	exit 0
fi
echo "cross-test: FAILED (pass 1 exit $rc1, pass 2 exit $rc2) after ${secs}s ($CB)"
exit 1
