#!/bin/sh
# vm-test.sh [SHAPE...] - spinbench's NUMA code on real multi-node kernels.
#
# Boots each shape of tests/vm/shapes/ (default: all) as an emulated machine
# with QEMU: Debian's own kernel (downloaded with apt-get download, unpacked
# with dpkg-deb, never installed), an initramfs of busybox-static and the
# kernel's 9p/virtio modules, and this machine's root file system mounted
# read-only over 9p, so the guest runs the spinbench built here.  In the
# guest, tests/vm/guest.sh runs spinbench; on the host, tests/vm/check.py
# checks its result files against the shape.  TAP on stdout, closing with
# "N passed, N failed"; the exit status is 1 when a check failed.
#
#   B=build        the build whose spinbench runs (make vm-test builds it)
#   SB_VM_ACCEL    kvm or tcg to force one (default: KVM when it boots, else TCG)
#   SB_VM_WRONG=1  claim a wrong lock node in the checks: the run must fail
#
# Downloads and builds are cached under $B/vm/.  Latencies under TCG are
# meaningless; what the guest proves is that the code paths run on a kernel
# with real NUMA nodes.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd -P)
cd "$repo"
B=${B:-build}
BIN=$repo/$B/spinbench
V=$repo/$B/vm
say() { echo "vm-test: $*" >&2; }

# --here=SHAPEFILE: no VM; the same runs on this machine, checked against a
# shape that describes it (a real NUMA machine, or a kernel booted with numa=fake=).
case "${1:-}" in --here=*)
	f=${1#--here=}
	[ -f "$f" ] && [ -x "$BIN" ] || { say "--here: no shape file '$f' or no $BIN"; exit 2; }
	out=$V/here
	rm -rf "$out" && mkdir -p "$out"
	n=$(basename "$f" .shape)
	SB_MACHINE="here-$n" sh "$here/guest.sh" "$BIN" "$out" && echo 0 >"$out/guest.rc"
	SPINBENCH_RESULTS=$V/results "$BIN" --lock=mcs --threads=2 --placement=scatter --machine=host --duration=20ms --warmup=5ms \
		--timed=10ms --repeat=1 --no-plots --quiet --seed=1 --out="$V/host-pair" >/dev/null 2>&1
	python3 "$here/check.py" --shape="$f" --out="$out" --host-run="$V/host-pair" --accel=none
	exit $?
	;;
esac

# What it needs: an x86-64 host, QEMU, a static busybox, cpio, apt-get/dpkg-deb.
[ "$(uname -m)" = x86_64 ] || { say "needs an x86-64 host (this is $(uname -m))"; exit 1; }
[ -x "$BIN" ] || { say "$BIN missing; run: make B=$B"; exit 1; }
static_busybox() { [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; }
pkgs=""
command -v qemu-system-x86_64 >/dev/null 2>&1 || pkgs="$pkgs qemu-system-x86"
static_busybox || pkgs="$pkgs busybox-static"
command -v cpio >/dev/null 2>&1 || pkgs="$pkgs cpio"
command -v dpkg-deb >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 || { say "needs a Debian host (apt-get, dpkg-deb)"; exit 1; }
if [ -n "$pkgs" ]; then
	if [ "$(id -u)" != 0 ]; then
		say "missing packages; install them with: sudo apt-get install -y$pkgs"
		exit 1
	fi
	say "installing:$pkgs"
	{ DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $pkgs; } >"$V.apt.log" 2>&1 ||
		{ say "apt-get install$pkgs failed; see $V.apt.log"; exit 1; }
fi
case "$repo$V" in *[!A-Za-z0-9_./+-]*) say "the repository's path must be plain (letters, digits, _ . / + -): $repo"; exit 1 ;; esac
mkdir -p "$V"

# The guest kernel: the package linux-image-amd64 points at, cached.
kernel_pkg() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }'; }
kpkg=$(kernel_pkg)
if [ -z "$kpkg" ] && [ "$(id -u)" = 0 ]; then
	apt-get update -q >"$V.apt.log" 2>&1
	kpkg=$(kernel_pkg)
fi
if [ -z "$kpkg" ]; then
	ls -d "$V"/linux-image-*/boot >/dev/null 2>&1 || { say "apt-cache knows no linux-image-amd64; run: sudo apt-get update"; exit 1; }
	kpkg=$(basename "$(dirname "$(ls -d "$V"/linux-image-*/boot | tail -1)")")
fi
K=$V/$kpkg
if [ ! -d "$K/boot" ]; then
	say "downloading the guest kernel, $kpkg (apt-get download; nothing is installed)"
	rm -rf "$V/dl" && mkdir -p "$V/dl" && chmod 777 "$V/dl"
	(cd "$V/dl" && apt-get download "$kpkg" >"$V/dl/log" 2>&1) || { say "apt-get download $kpkg failed: $(tail -1 "$V/dl/log")"; exit 1; }
	dpkg-deb -x "$V"/dl/"$kpkg"_*.deb "$K.tmp" && mv "$K.tmp" "$K" && rm -rf "$V/dl" || { say "cannot unpack $kpkg"; exit 1; }
fi
kver=${kpkg#linux-image-}
vmlinuz=$K/boot/vmlinuz-$kver
moddir=$K/lib/modules/$kver

# The initramfs: busybox, init, and the modules that mount 9p over virtio
# with their dependencies first (read from each module's modinfo section).
IR=$V/initramfs
rm -rf "$IR" && mkdir -p "$IR/bin" "$IR/lib/modules" "$IR/proc" "$IR/sys" "$IR/dev"
cp /bin/busybox "$IR/bin/"
cp "$here/init" "$IR/init"
modfile() { find "$moddir/kernel" -name "$1.ko" -o -name "$1.ko.xz" | head -1; }
added=" "
addmod() {
	case "$added" in *" $1 "*) return 0 ;; esac
	f=$(modfile "$1")
	[ -n "$f" ] || { say "module $1 not in $kpkg"; exit 1; }
	case $f in *.xz) xz -dc "$f" >"$IR/lib/modules/$1.ko" ;; *) cp "$f" "$IR/lib/modules/$1.ko" ;; esac
	for d in $(tr '\0' '\n' <"$IR/lib/modules/$1.ko" | sed -n 's/^depends=//p' | tr ',' ' '); do
		addmod "$d"
	done
	added="$added$1 "
	echo "$1" >>"$IR/lib/modules/order"
}
: >"$IR/lib/modules/order"
for m in virtio_pci 9pnet_virtio 9p; do addmod "$m"; done
(cd "$IR" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$V/initrd.gz" || { say "cannot build the initramfs"; exit 1; }

# qemu_args SHAPEFILE: the machine of a shape (SMP, NODES, DIST).
qemu_args() {
	SMP= NODES= DIST=
	. "$1"
	mb=0
	for nd in $NODES; do
		id=${nd%%:*} rest=${nd#*:} m=${rest%%:*} cpus=${rest#*:}
		mb=$((mb + m))
		printf ' -object memory-backend-ram,id=m%s,size=%sM -numa node,nodeid=%s,memdev=m%s' "$id" "$m" "$id" "$id"
		[ "$cpus" = none ] || printf ',cpus=%s' "$(echo "$cpus" | sed 's/,/,cpus=/g')"
	done
	i=0
	echo "$DIST" | tr ';' '\n' | while read -r row; do
		j=0
		for v in $row; do
			[ "$i" -lt "$j" ] && printf ' -numa dist,src=%s,dst=%s,val=%s' "$i" "$j" "$v"
			j=$((j + 1))
		done
		i=$((i + 1))
	done
	printf ' -m %sM -smp %s\n' "$mb" "$SMP"
}

# boot ACCEL SHAPEFILE OUTDIR SCRIPT: run SCRIPT (relative to the repository)
# in the guest; the console goes to OUTDIR/console.log.
boot() {
	b_accel=$1 b_shape=$2 b_out=$3 b_script=$4 b_limit=${5:-900}
	if [ "$b_accel" = kvm ]; then
		acc="-accel kvm -cpu host"
	else
		acc="-accel tcg,thread=multi -cpu qemu64,l3-cache=off"
	fi
	# shellcheck disable=SC2046
	timeout -k 5 "$b_limit" qemu-system-x86_64 $acc $(qemu_args "$b_shape") \
		-kernel "$vmlinuz" -initrd "$V/initrd.gz" \
		-append "console=ttyS0 quiet panic=-1 sb.shape=$(basename "$b_shape" .shape) sb.repo=$repo sb.out=$b_out sb.run=$b_script sb.bin=$BIN" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-virtfs "local,path=$b_out,mount_tag=out,security_model=none" \
		-nographic -no-reboot -nodefaults -serial stdio </dev/null >"$b_out/console.log" 2>&1
	qrc=$?
	tr -d '\r' <"$b_out/console.log" | sed -n 's/^SB-GUEST-EXIT \([0-9]*\).*/\1/p' | tail -1 >"$b_out/guest.rc"
	[ -s "$b_out/guest.rc" ] || echo "no-exit qemu=$qrc" >"$b_out/guest.rc"
}

# KVM where it boots (a probe with nothing to run), else TCG.  A CPU that
# shows no vmx/svm flag has no hardware virtualisation to give: its /dev/kvm,
# if any, is a software one (kvm_pvm here, PVM, which runs only kernels built
# as PVM guests; Debian's stock kernel hangs right after the boot loader).
accel=${SB_VM_ACCEL:-}
why=""
if [ -z "$accel" ]; then
	accel=tcg
	if [ ! -w /dev/kvm ]; then
		why="/dev/kvm is not writable here"
	elif ! grep -qwE 'vmx|svm' /proc/cpuinfo; then
		why="no vmx/svm in the CPU flags"
		[ -d /sys/module/kvm_pvm ] && why="$why; /dev/kvm is kvm_pvm (PVM), which runs only PVM-built guest kernels"
	else
		probe=$V/kvm-probe
		rm -rf "$probe" && mkdir -p "$probe"
		boot kvm "$here/shapes/2n1c.shape" "$probe" tests/vm/probe.sh 30
		if [ "$(cat "$probe/guest.rc")" = 0 ]; then
			accel=kvm
		else
			why="KVM did not boot ($(tr -d '\r' <"$probe/console.log" | grep -v '^$' | tail -1 | cut -c1-120)); see $probe/console.log"
		fi
	fi
fi
say "accelerator: $accel${why:+ ($why)}"
echo "# accelerator: $accel${why:+; $why}"

# A run on this host, for compare-results against the guests'.
hostrun=$V/host-pair
rm -rf "$hostrun"
SPINBENCH_RESULTS=$V/results "$BIN" --lock=mcs --threads=2 --placement=scatter --machine=host \
	--duration=20ms --warmup=5ms --timed=10ms --repeat=1 --no-plots --quiet --seed=1 --out="$hostrun" >"$V/host-pair.out" 2>&1 ||
	{ say "the host run failed: $(tail -1 "$V/host-pair.out")"; exit 1; }

shapes=${*:-$(cd "$here/shapes" && ls ./*.shape | sed 's|^\./||; s|\.shape$||')}
total_pass=0 total_fail=0
for s in $shapes; do
	f=$here/shapes/$s.shape
	[ -f "$f" ] || { say "no shape $s (tests/vm/shapes/$s.shape)"; exit 2; }
	out=$V/out/$s
	rm -rf "$out" && mkdir -p "$out"
	t0=$(date +%s)
	boot "$accel" "$f" "$out" tests/vm/guest.sh
	t1=$(date +%s)
	echo "# shape $s: booted and ran in $((t1 - t0)) s under $accel"
	python3 "$here/check.py" --shape="$f" --out="$out" --host-run="$hostrun" --accel="$accel" \
		${SB_VM_WRONG:+--wrong} >"$out/check.tap" 2>&1
	cat "$out/check.tap"
	p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' "$out/check.tap")
	q=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' "$out/check.tap")
	[ -n "$p" ] || { p=0; q=1; }
	total_pass=$((total_pass + p)) total_fail=$((total_fail + q))
done
echo "total: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
