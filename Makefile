# spinbench - spin-lock microbenchmark and contention-profiling suite.
#
#   make            build build/spinbench (run it through ./run-bench)
#   make test       build with -Werror and run every test (the CI command)
#   make tsan       the lock tests under ThreadSanitizer
#   make asan       the tests under AddressSanitizer + UBSan
#   make bench      performance figures side by side with reference locks
#   make check-unit the unit tests alone (seconds)
#   make vm-test    the NUMA checks on emulated multi-node machines (QEMU)
#   make cross-test build for aarch64 and run every test under qemu-user
#   make format-check / make format / make lint   clang-format and cppcheck
#   make deps       only find/install the Debian packages
#   make clean

CC      ?= cc
B       ?= build
SAN     ?=
WERROR  ?=
OPT     ?= -O2
V       ?= 0
ifeq ($(V),0)
Q = @
say = @printf '  %-6s %s\n' $(1) $(2);
else
Q =
say =
endif

PKGS    := hwloc numa papi ck
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wundef \
           -Wcast-align -Wformat=2 -Wpointer-arith -Wwrite-strings -Wvla
CFLAGS  ?= $(OPT) -g
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE -pthread $(CFLAGS) $(WARN) $(WERROR) $(SAN) \
             -iquote locks -iquote harness -iquote tests/lib -MMD -MP \
             $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -pthread

# One stamped object per registry line (locks/registry.def).
LOCK_IDS  := $(shell sed -n 's/^SB_LOCK.\([a-z0-9_]*\),.*/\1/p' locks/registry.def)
LOCK_OBJS := $(LOCK_IDS:%=$(B)/lock_%.o)
LOCK_CSRC := $(wildcard locks/*.c)
HARN_SRC  := $(filter-out harness/stamp.c harness/main.c,$(wildcard harness/*.c))
LIB_OBJS  := $(HARN_SRC:harness/%.c=$(B)/h_%.o) $(LOCK_CSRC:locks/%.c=$(B)/l_%.o) $(LOCK_OBJS)
# Tests by kind: tests/unit (fast, precise), tests/locks (every lock's
# correctness, under watchdogs), tests/e2e (run-bench, plot-results and
# compare-results end to end); tests/lib holds what they share.
UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))
LOCK_TESTS := $(patsubst tests/locks/%.c,%,$(wildcard tests/locks/test_*.c))
TESTS     := $(UNIT_TESTS) $(LOCK_TESTS)
vpath test_%.c tests/unit tests/locks

.PHONY: all test check check-unit tsan asan bench vm-test deps clean unit cross cross-test format format-check lint FORCE
all: $(B)/spinbench

deps:
	@scripts/deps.sh --all

$(B)/.deps-ok: scripts/deps.sh
	@mkdir -p $(B)
	@scripts/deps.sh
	@touch $@

$(B)/lock_%.o: harness/stamp.c locks/%.h | $(B)/.deps-ok
	$(call say,STAMP,$*)$(CC) $(ALL_CFLAGS) -DSB_WITH_BENCH -DSB_ID=$* -include locks/$*.h -c $< -o $@

# results.c records the commit and the flags: rebuilt when either changes.
GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD -- 2>/dev/null || echo -dirty)
$(B)/build-id: FORCE
	@mkdir -p $(B)
	@echo '$(GIT_COMMIT) $(CFLAGS) $(SAN)' | cmp -s - $@ || echo '$(GIT_COMMIT) $(CFLAGS) $(SAN)' > $@
$(B)/h_results.o: $(B)/build-id
$(B)/h_results.o: ALL_CFLAGS += -DSB_GIT_COMMIT='"$(GIT_COMMIT)"' -DSB_BUILD_CFLAGS='"$(strip $(CFLAGS) $(SAN))"'
FORCE:

$(B)/h_%.o: harness/%.c | $(B)/.deps-ok
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(B)/l_%.o: locks/%.c | $(B)/.deps-ok
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(B)/spinbench: $(B)/h_main.o $(LIB_OBJS)
	$(call say,LINK,$@)$(CC) $(ALL_CFLAGS) $(filter %.c %.o,$^) $(LDLIBS) -o $@

$(B)/h_main.o: harness/main.c | $(B)/.deps-ok
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(B)/test_%: test_%.c $(LIB_OBJS)
	$(call say,LINK,$@)$(CC) $(ALL_CFLAGS) $(filter %.c %.o,$^) $(LDLIBS) -o $@

# The unit and correctness tests of one build variant.
# SCRIPTS: end-to-end tests of run-bench (tests/e2e/test_*.sh), given the build dir in $B.
# LAUNCH: where the tests and spinbench are run from: $(B) itself, or a folder
# of launchers of the same names (make cross-test: qemu-user).
SCRIPTS   ?= $(wildcard tests/e2e/test_*.sh)
LAUNCH     = $(B)
unit: $(TESTS:%=$(B)/%) $(B)/spinbench
	@B=$(LAUNCH) scripts/run-tests.sh $(TESTS:%=$(LAUNCH)/%) $(SCRIPTS)

# The unit tests alone, in seconds (no lock torture, no end to end).
check-unit:
	@$(MAKE) --no-print-directory B=build/test WERROR=-Werror TESTS="$(UNIT_TESTS)" SCRIPTS= unit

test:
	@scripts/deps.sh --all
	@$(MAKE) --no-print-directory B=build/test WERROR=-Werror unit

# halt_on_error: a report kills the check's child, so a race fails the check.
tsan:
	@TSAN_OPTIONS="halt_on_error=1 exitcode=66 $${TSAN_OPTIONS:-}" $(MAKE) --no-print-directory B=build/tsan WERROR=-Werror OPT=-O1 SAN=-fsanitize=thread \
		TESTS=test_locks SCRIPTS= unit

asan:
	@ASAN_OPTIONS="detect_leaks=0 $${ASAN_OPTIONS:-}" $(MAKE) --no-print-directory B=build/asan WERROR=-Werror OPT=-O1 \
		SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" unit

bench: all
	@scripts/bench.sh

# The NUMA code on real multi-node kernels: each shape of tests/vm/shapes/
# booted under QEMU (Debian's kernel, the host's root over 9p), spinbench run
# in it, its results checked on the host (tests/vm/; downloads cached in
# $(B)/vm/).  VM_SHAPES=2n1c limits it to some shapes.
vm-test: all
	@B=$(B) tests/vm/vm-test.sh $(VM_SHAPES)

# Style and lint: clang-format (.clang-format, the project's style) and
# cppcheck, both from Debian; stamp.c is checked once per lock, as it is built.
C_SOURCES := $(wildcard harness/*.c harness/*.h locks/*.h locks/*.c tests/unit/*.c tests/locks/*.c tests/lib/*.h)
format:
	@clang-format -i $(C_SOURCES)

format-check:
	@command -v clang-format >/dev/null || { echo "make format-check: clang-format missing; install with: sudo apt-get install -y clang-format" >&2; exit 1; }
	@clang-format --dry-run -Werror $(C_SOURCES) && echo "format-check: $(words $(C_SOURCES)) files match .clang-format"

CPPCHECK := cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --std=c11 --inline-suppr \
	    -D_GNU_SOURCE -iquote harness -I harness -I locks -I tests/lib --suppress=missingIncludeSystem
lint:
	@command -v cppcheck >/dev/null || { echo "make lint: cppcheck missing; install with: sudo apt-get install -y cppcheck" >&2; exit 1; }
	@$(CPPCHECK) -i harness/stamp.c harness locks tests/unit tests/locks
	@for id in $(LOCK_IDS); do \
		$(CPPCHECK) -DSB_WITH_BENCH -DSB_ID=$$id --include=locks/$$id.h harness/stamp.c || exit 1; \
	done
	@echo "lint: cppcheck clean over harness/, locks/ and the tests, and stamp.c for each of $(words $(LOCK_IDS)) locks"

clean:
	rm -rf build

-include $(wildcard $(B)/*.d)

# Portability: compile every lock of ours (stamped loops included) and the
# portable harness sources for aarch64 with Debian's cross compiler
# (gcc-aarch64-linux-gnu).  The ck-* adapters are left out here: the ck
# headers installed are the build machine's (ck_md.h says TSO on amd64, and
# ck.pc adds -D__x86_64__).  make cross-test builds everything, ck included
# with arm64's headers, and runs the tests under qemu-user.
CROSS     ?= aarch64-linux-gnu-gcc
CROSS_IDS := $(filter-out ck_%,$(LOCK_IDS))
cross:
	@command -v $(CROSS) >/dev/null || { echo "make cross: $(CROSS) missing; install with: sudo apt-get install -y gcc-aarch64-linux-gnu" >&2; exit 1; }
	@mkdir -p build/cross
	@for id in $(CROSS_IDS); do \
		$(CROSS) -std=gnu11 -D_GNU_SOURCE -O2 $(WARN) -Werror -iquote locks -iquote harness \
			-DSB_WITH_BENCH -DSB_ID=$$id -include locks/$$id.h -c harness/stamp.c -o build/cross/lock_$$id.o || exit 1; \
	done
	@for f in harness/clock.c harness/stats.c harness/parse.c harness/spins.c harness/workload.c harness/ds.c $(LOCK_CSRC); do \
		$(CROSS) -std=gnu11 -D_GNU_SOURCE -O2 $(WARN) -Werror -iquote locks -iquote harness -c $$f \
			-o build/cross/$$(basename $$f .c).o || exit 1; \
	done
	@echo "cross: $(words $(CROSS_IDS)) locks and the portable harness compile for $$($(CROSS) -dumpmachine)"

# Everything for aarch64, ck included, and every test under qemu-user (pass 1),
# the lock tests again on an ARMv8.0 CPU for the LL/SC atomics (pass 2);
# build/cross-test.  CROSS_MARCH=armv8.1-a: inline LSE atomics instead (pass 1
# only, build/cross-test-armv8.1-a).  Installs what it needs as root
# (scripts/cross-test.sh).
cross-test:
	@MAKEFLAGS= CROSS="$(CROSS)" CROSS_MARCH="$(CROSS_MARCH)" V=$(V) scripts/cross-test.sh

# Contention profiling of real programs (./profile-app, profiler/README.md):
# the preload library, its self-test object, the reader, and the test
# programs of tests/profile/ (run by tests/e2e/test_profile.sh).  The
# library's exports carry no symbol version (an unversioned definition
# satisfies a program's versioned references).  SBPROF_DROP=NAME links
# $(B)/libsbprof-drop.so with NAME hidden: the self-test must refuse it.
PROF_CFLAGS = -std=gnu11 -D_GNU_SOURCE -pthread $(CFLAGS) $(WARN) $(WERROR) -iquote harness -iquote profiler -MMD -MP
SBPROF_DROP ?= pthread_mutex_trylock
# prof_sqlite (SQLite in serialized mode) only where libsqlite3-dev is
# (make deps installs it; its test skips without it).
SQLITE_LIBS := $(shell pkg-config --libs sqlite3 2>/dev/null)
PROF_TESTS  := $(patsubst tests/profile/%.c,$(B)/prof_%,$(wildcard tests/profile/*.c))
ifeq ($(SQLITE_LIBS),)
PROF_TESTS  := $(filter-out $(B)/prof_sqlite,$(PROF_TESTS))
endif
.PHONY: profiler bench-profile lint-profile
profiler: $(B)/libsbprof.so $(B)/libsbprof-drop.so $(B)/sbprof-report $(PROF_TESTS)
unit: profiler

$(B)/libsbprof-check.so: profiler/check.c | $(B)/.deps-ok
	$(call say,CC,$<)$(CC) $(PROF_CFLAGS) -fPIC -shared $< -o $@

$(B)/pic/sbprof.o: profiler/sbprof.c | $(B)/.deps-ok
	@mkdir -p $(B)/pic
	$(call say,CC,$<)$(CC) $(PROF_CFLAGS) -iquote locks $(PROF_PIC) -c $< -o $@

# --lock=ALGO (profiler/swap.c): the registry's verbs of these locks,
# stamped without the benchmark loops, and what they need (qspin's nodes,
# the spin counters).  The list is swap.c's SBP_SW_LOCKS.
SWAP_IDS  := ttas ticket mcs qspin cna hmcs
PROF_OBJS := $(B)/pic/sbprof.o $(B)/pic/swap.o $(SWAP_IDS:%=$(B)/pic/lock_%.o) $(B)/pic/l_qspin.o $(B)/pic/h_spins.o
PROF_PIC   = -fPIC -fvisibility=hidden -ftls-model=initial-exec

$(B)/pic/swap.o: profiler/swap.c | $(B)/.deps-ok
	@mkdir -p $(B)/pic
	$(call say,CC,$<)$(CC) $(PROF_CFLAGS) -iquote locks $(PROF_PIC) -c $< -o $@

$(B)/pic/lock_%.o: harness/stamp.c locks/%.h | $(B)/.deps-ok
	@mkdir -p $(B)/pic
	$(call say,STAMP,$*)$(CC) $(PROF_CFLAGS) -iquote locks $(PROF_PIC) -DSB_ID=$* -include locks/$*.h -c $< -o $@

$(B)/pic/l_%.o: locks/%.c | $(B)/.deps-ok
	@mkdir -p $(B)/pic
	$(call say,CC,$<)$(CC) $(PROF_CFLAGS) -iquote locks $(PROF_PIC) -c $< -o $@

$(B)/pic/h_%.o: harness/%.c | $(B)/.deps-ok
	@mkdir -p $(B)/pic
	$(call say,CC,$<)$(CC) $(PROF_CFLAGS) -iquote locks $(PROF_PIC) -c $< -o $@

$(B)/libsbprof.so: $(PROF_OBJS) $(B)/libsbprof-check.so
	$(call say,LINK,$@)$(CC) $(PROF_CFLAGS) -shared $(PROF_OBJS) -L$(B) -lsbprof-check -Wl,-rpath,'$$ORIGIN' -o $@

$(B)/libsbprof-drop.so: $(PROF_OBJS) $(B)/libsbprof-check.so
	@printf '{ local: %s; };\n' '$(SBPROF_DROP)' >$(B)/pic/drop.map
	$(call say,LINK,$@)$(CC) $(PROF_CFLAGS) -shared $(PROF_OBJS) -L$(B) -lsbprof-check -Wl,-rpath,'$$ORIGIN' \
		-Wl,--version-script=$(B)/pic/drop.map -o $@

$(B)/sbprof-report: profiler/report.c profiler/sbprof.h $(B)/h_stats.o $(B)/h_clock.o $(B)/h_topo.o $(B)/h_parse.o
	$(call say,LINK,$@)$(CC) $(PROF_CFLAGS) $(SAN) $(filter-out %.h,$^) $(LDLIBS) -o $@

$(B)/prof_%: tests/profile/%.c
	$(call say,LINK,$@)$(CC) $(PROF_CFLAGS) -O1 -g -fno-omit-frame-pointer $< -o $@

$(B)/prof_sqlite: tests/profile/sqlite.c
	$(call say,LINK,$@)$(CC) $(PROF_CFLAGS) -O1 -g -fno-omit-frame-pointer $< $(SQLITE_LIBS) -o $@

bench-profile: $(B)/libsbprof.so $(B)/prof_cost
	@B=$(B) tests/profile/bench.sh
bench: $(B)/libsbprof.so $(B)/prof_cost

-include $(wildcard $(B)/pic/*.d)
C_SOURCES += $(wildcard profiler/*.c profiler/*.h tests/profile/*.c)
lint: lint-profile
lint-profile:
	@$(CPPCHECK) -i harness -I profiler profiler tests/profile && echo "lint: cppcheck clean over profiler/ and tests/profile/"
