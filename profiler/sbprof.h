/*
 * sbprof.h - the record a profiled process leaves behind: the layout of
 * prof-<pid>[-n].bin, shared by the preload library (libsbprof.so, the only
 * writer) and the reader (sbprof-report).
 *
 * The file is created by the library's constructor in $SBPROF_DIR, sized
 * once with ftruncate (sparse: only the pages a thread touches take disk)
 * and mapped MAP_SHARED.  Every figure is written straight into that
 * mapping, so what was counted is in the page cache, and later on disk,
 * whatever way the process ends: exit, _exit, a fatal signal, SIGKILL.  No
 * flush is needed; the destructor only marks the end (state, end stamps).
 *
 *	header		one 4 KiB page (sbp_file_t)
 *	slot 0..n-1	one per live thread (sbp_slot_t): a header page, a fixed
 *			open-addressing table of SBP_ENTRIES entries, then the
 *			lock-rule findings, the lock-order edges and the blocker
 *			pairs (smaller open-addressing tables of their own)
 *
 * A thread claims a free slot on its first lock call (a CAS on the slot's
 * in_use word; slots_used, a fetch-add, hands out never-used ones first)
 * and gives it back when it exits (a pthread key destructor), so a slot is
 * a statistics shard, reused by later threads: the reader sums every slot.
 * Each slot is written only by the thread that holds it: plain stores, no
 * lock, no atomic read-modify-write on the acquisition path.
 *
 * An entry is keyed by (class, site, kind): the lock class (the return
 * address of the init call that created the lock, or of its first use
 * when it was never initialised through us; lockdep's idea), the call site
 * (return address of the lock call) and the kind (mutex, spin, rwlock read
 * or write, condvar).  Every figure of the report is a sum over entries;
 * profiler/README.md defines each one.
 *
 * Histograms are the harness's sb_hist_t (stats.h) over TICKS of the
 * harness's clock (clock.h): the library never converts; the reader
 * calibrates the counter once (sb_clock_init) and converts.  An entry holds
 * two of them, 69.8 KB; the sparse file keeps that affordable: a
 * histogram's pages are touched only where its values fall (a hot entry
 * touches 3-4 pages).
 */
#ifndef SPINBENCH_PROFILER_SBPROF_H
#define SPINBENCH_PROFILER_SBPROF_H

#include <stdatomic.h>
#include <stdint.h>

#include "stats.h"

#define SBP_MAGIC "SBPROF1"
#define SBP_VERSION 3
#define SBP_SLOTS 256   /* threads alive at once that are recorded */
#define SBP_ENTRIES 256 /* (class, site, kind) per slot; a power of two */
#define SBP_PAGE 4096
#define SBP_FINDINGS 64  /* rule findings per slot: (rule, class, site a, site b) */
#define SBP_EDGES 256    /* lock-order edges per slot: (class a, class b, site a, site b) */
#define SBP_BLOCKERS 256 /* blocker pairs per slot: (class, kind, waiter site, holder site) */
#define SBP_HANDOFFS 256 /* handoff pairs per slot: (class, kind, from CPU, to CPU) */
#define SBP_STACKS 256   /* contended call stacks per slot: (class, kind, site, 3 callers) */
#define SBP_CALLERS 3    /* frames kept above a call site */

/*
 * Every interposed entry point, in one list: F(id, name).  The order is the
 * self-test's and the report's.  ENTRY_POINT_COUNT below counts them.
 */
#define SBP_FUNCS(F)                                  \
	F(mutex_lock, pthread_mutex_lock)             \
	F(mutex_trylock, pthread_mutex_trylock)       \
	F(mutex_timedlock, pthread_mutex_timedlock)   \
	F(mutex_clocklock, pthread_mutex_clocklock)   \
	F(mutex_unlock, pthread_mutex_unlock)         \
	F(mutex_init, pthread_mutex_init)             \
	F(mutex_destroy, pthread_mutex_destroy)       \
	F(spin_lock, pthread_spin_lock)               \
	F(spin_trylock, pthread_spin_trylock)         \
	F(spin_unlock, pthread_spin_unlock)           \
	F(spin_init, pthread_spin_init)               \
	F(spin_destroy, pthread_spin_destroy)         \
	F(rw_rdlock, pthread_rwlock_rdlock)           \
	F(rw_tryrdlock, pthread_rwlock_tryrdlock)     \
	F(rw_timedrdlock, pthread_rwlock_timedrdlock) \
	F(rw_clockrdlock, pthread_rwlock_clockrdlock) \
	F(rw_wrlock, pthread_rwlock_wrlock)           \
	F(rw_trywrlock, pthread_rwlock_trywrlock)     \
	F(rw_timedwrlock, pthread_rwlock_timedwrlock) \
	F(rw_clockwrlock, pthread_rwlock_clockwrlock) \
	F(rw_unlock, pthread_rwlock_unlock)           \
	F(rw_init, pthread_rwlock_init)               \
	F(rw_destroy, pthread_rwlock_destroy)         \
	F(cond_init, pthread_cond_init)               \
	F(cond_wait, pthread_cond_wait)               \
	F(cond_timedwait, pthread_cond_timedwait)     \
	F(cond_clockwait, pthread_cond_clockwait)     \
	F(cond_signal, pthread_cond_signal)           \
	F(cond_broadcast, pthread_cond_broadcast)     \
	F(cond_destroy, pthread_cond_destroy)         \
	F(mtx_lock, mtx_lock)                         \
	F(mtx_trylock, mtx_trylock)                   \
	F(mtx_timedlock, mtx_timedlock)               \
	F(mtx_unlock, mtx_unlock)                     \
	F(mtx_init, mtx_init)                         \
	F(mtx_destroy, mtx_destroy)                   \
	F(cnd_init, cnd_init)                         \
	F(cnd_wait, cnd_wait)                         \
	F(cnd_timedwait, cnd_timedwait)               \
	F(cnd_signal, cnd_signal)                     \
	F(cnd_broadcast, cnd_broadcast)               \
	F(cnd_destroy, cnd_destroy)

#define SBP_ENUM_(id, name) SBP_F_##id,
enum { SBP_FUNCS(SBP_ENUM_) SBP_NFUNCS };
#undef SBP_ENUM_

/* What was acquired: one entry per kind, so rwlock reads and writes and
 * condvar waits are counted apart. */
enum { SBP_K_MUTEX = 1, SBP_K_SPIN, SBP_K_READ, SBP_K_WRITE, SBP_K_COND };

/*
 * The lock rules (profiler/README.md, "Lock rules").  All but the order
 * inversion are found in the wrappers and written to the slot's findings at
 * once (so a finding made just before a deadlock is on record); inversions
 * are cycles that sbprof-report finds among the slots' order edges.
 */
enum {
	SBP_R_RECURSION = 1, /* a held non-recursive lock acquired again */
	SBP_R_NOT_OWNER,     /* released by a thread that does not hold it */
	SBP_R_OUT_OF_ORDER,  /* a spin lock released while a later lock is held */
	SBP_R_EXIT_HELD,     /* a thread or the process ended holding it */
	SBP_R_DESTROY_HELD,  /* destroyed while held */
	SBP_R_HOLD_LIMIT,    /* held longer than the hold limit */
	SBP_R_INVERSION,     /* report only: a cycle in the class order graph */
	SBP_NRULES
};

/*
 * One finding: (rule, class, site_a, site_b, class_b) with a count.  site_a
 * is where the lock concerned was acquired (by this thread, or by the
 * holder as the side table last saw it; 0 unknown), site_b the call that
 * broke the rule (0 for a thread's or the process's end: see aux).
 * class_b is the other lock's class where there is one (out-of-order: the
 * later lock still held).  Written by the slot's thread; class_key last.
 */
typedef struct sbp_finding {
	uint64_t class_key; /* the lock's class key (pc << 1 | first-use); 0: free */
	uint64_t site_a, site_b;
	uint64_t class_b; /* class key of the other lock, or 0 */
	uint32_t rule, kind;
	int32_t tid;       /* the thread that broke the rule (the first time) */
	int32_t other_tid; /* the holder (NOT_OWNER, DESTROY_HELD), or 0 */
	uint64_t count;
	uint64_t aux;       /* EXIT_HELD: 1 thread end, 2 process exit */
	uint64_t max_ticks; /* HOLD_LIMIT: the longest such hold */
	uint64_t migrated;  /* HOLD_LIMIT: holds that ended on another CPU */
	uint64_t measured;  /* HOLD_LIMIT: holds with getrusage at both ends */
	uint64_t preempted; /* of them: an involuntary context switch inside */
	uint64_t faulted;   /* of them: a page fault inside */
} sbp_finding_t;

/* One lock-order edge: class_a was held (newest held) when class_b was
 * acquired by a blocking call.  Written by the slot's thread; `a` last. */
typedef struct sbp_edge {
	uint64_t a, b;           /* class keys; a == 0: free */
	uint64_t site_a, site_b; /* where each was acquired */
	uint64_t count;
	uint32_t kind_a, kind_b;
	int32_t tid;
	uint32_t pad;
} sbp_edge_t;

/* Who delays whom: contended acquisitions of a class at waiter_site while
 * the side table named holder_site (and holder_tid) as the lock's holder. */
typedef struct sbp_blocker {
	uint64_t class_key; /* 0: free */
	uint64_t waiter_site, holder_site;
	uint32_t kind;
	int32_t holder_tid; /* the last one seen */
	uint64_t count, wait_ticks;
} sbp_blocker_t;

/*
 * Owner changes between CPUs: an exclusive acquisition of a class on CPU
 * `to` whose previous exclusive owner (another thread) acquired it on CPU
 * `from`.  The reader classifies each pair by the machine's topology
 * (harness/topo.h's distance classes, as run-bench's handoff pairs).
 */
typedef struct sbp_handoff {
	uint64_t class_key; /* 0: free */
	uint32_t kind;
	int32_t from_cpu, to_cpu;
	uint32_t pad;
	uint64_t count;      /* owner changes */
	uint64_t contended;  /* of them, the acquirer waited */
	uint64_t wait_ticks; /* the contended ones' waits, summed */
} sbp_handoff_t;

/*
 * A contended call stack: the call site of the lock call and the return
 * addresses of the SBP_CALLERS frames above it (a DWARF unwind, taken
 * before the waiter blocks; 0: the stack ended or could not be unwound).
 * Per (class, kind, site, callers): contended acquisitions and their waits.
 */
typedef struct sbp_stack {
	uint64_t class_key; /* 0: free */
	uint64_t site;
	uint64_t callers[SBP_CALLERS];
	uint32_t kind;
	uint32_t pad;
	uint64_t count;
	uint64_t wait_ticks;
} sbp_stack_t;

/* How a class was named (the key's origin). */
enum { SBP_O_INIT = 1, SBP_O_FIRST_USE = 2 };

/*
 * One (class, site, kind).  Written only by the slot's thread.
 *
 * For a lock (mutex, spin, read, write):
 *	hist[0]  wait: ticks from the failed first attempt to the return of
 *		 the blocking call, one value per contended acquisition
 *	hist[1]  hold: ticks from the lock call's return (or the condvar
 *		 wait's return, for a relock) to the unlock call's entry, one
 *		 value per release by the acquiring thread
 * For a condvar (kind COND):
 *	hist[0]  signal wait: from the wait call to the signal or broadcast
 *		 that woke it (to the return when none was seen)
 *	hist[1]  re-acquire: from that signal to the return (the mutex
 *		 handed back)
 */
typedef struct sbp_entry {
	uint64_t class_pc; /* 0: free entry */
	uint64_t site_pc;
	uint32_t kind;             /* SBP_K_* */
	uint32_t origin;           /* SBP_O_* of the class */
	uint64_t acquisitions;     /* successful lock calls (trylock included) */
	uint64_t contended;        /* of them, the first attempt found the lock held */
	uint64_t owner_changes;    /* exclusive acquisitions after another thread's */
	uint64_t trylock_fail;     /* trylock calls that did not acquire */
	uint64_t timeouts;         /* timed / clock calls that ran out (no acquisition) */
	uint64_t errors;           /* other failures (EDEADLK, EINVAL, EAGAIN ...) */
	uint64_t relocks;          /* the mutex taken back by a condvar wait at this site */
	uint64_t cond_waits;       /* COND: wait calls returned */
	uint64_t cond_unsplit;     /* COND: of them, no signal seen inside the wait */
	uint64_t signals;          /* COND: pthread_cond_signal / cnd_signal calls */
	uint64_t broadcasts;       /* COND: broadcast calls */
	uint64_t first_callers[2]; /* the 2 frames above the site at its first acquisition here (0: none) */
	sb_hist_t hist[2];
} sbp_entry_t;

/* A thread's shard: a header page, then the table. */
typedef struct sbp_slot {
	_Atomic uint32_t in_use;   /* 1 while a live thread owns it */
	int32_t tid;               /* the last owner */
	uint32_t threads;          /* threads that have owned it */
	uint32_t entries_used;     /* entries filled in the table */
	uint64_t table_full;       /* acquisitions not recorded: table full */
	uint64_t unmatched_unlock; /* unlocks of a lock this thread did not take */
	uint64_t held_overflow;    /* acquisitions whose hold was not timed: too deep */
	uint64_t findings_full;    /* findings not recorded: table full */
	uint64_t edges_full;       /* order edges not recorded: table full */
	uint64_t blockers_full;    /* blocker pairs not recorded: table full */
	uint64_t limit_excused;    /* holds over the limit with the profiler's first touches inside */
	uint64_t handoffs_full;    /* handoff pairs not recorded: table full */
	uint64_t stacks_full;      /* contended stacks not recorded: table full */
	uint8_t pad[SBP_PAGE - 88];
	sbp_entry_t entry[SBP_ENTRIES];
	sbp_finding_t finding[SBP_FINDINGS];
	sbp_edge_t edge[SBP_EDGES];
	sbp_blocker_t blocker[SBP_BLOCKERS];
	sbp_handoff_t handoff[SBP_HANDOFFS];
	sbp_stack_t stack[SBP_STACKS];
} sbp_slot_t;

/* The file's first page. */
typedef struct sbp_file {
	char magic[8];
	uint32_t version;
	uint32_t header_size; /* sizeof(sbp_file_t) */
	uint32_t slot_size;   /* sizeof(sbp_slot_t) */
	uint32_t entry_size;  /* sizeof(sbp_entry_t) */
	uint32_t nslots, nentries;
	int32_t pid, ppid;
	uint32_t state;                 /* 1 running, 2 ended through the destructor */
	uint32_t fork_child;            /* 1: created in a fork child */
	_Atomic uint32_t slots_used;    /* never-used slots handed out */
	_Atomic uint32_t slots_full;    /* threads that found no free slot */
	uint64_t start_ticks, start_ns; /* clock.h ticks, CLOCK_MONOTONIC_RAW ns */
	uint64_t end_ticks, end_ns;     /* set by the destructor */
	_Atomic uint64_t early_calls;   /* calls before the library was ready */
	_Atomic uint64_t side_full;     /* lock lookups with the side table full */
	uint64_t hold_limit_ticks;      /* the hold limit, in ticks (0: none) */
	uint64_t hold_limit_ns;
	uint32_t hold_limit_kinds; /* bit per SBP_K_* checked */
	uint32_t pad0;
	char swap_lock[16]; /* $SBPROF_LOCK: the algorithm the mutexes ran on ("" or "pthread": glibc's) */
	/* swap.h's counts: locks swapped; passed to glibc as process-shared,
	 * robust, priority-inheritance, priority-protect, or held before start */
	_Atomic unsigned long swap_counts[6];
	uint8_t pad[SBP_PAGE - 192];
} sbp_file_t;

_Static_assert(sizeof(sbp_file_t) == SBP_PAGE, "the file header is one page");
_Static_assert(sizeof(sbp_entry_t) == 128 + 2 * sizeof(sb_hist_t), "entry layout");
_Static_assert(sizeof(sbp_finding_t) == 104 && sizeof(sbp_edge_t) == 56 && sizeof(sbp_blocker_t) == 48 &&
		       sizeof(sbp_handoff_t) == 48 && sizeof(sbp_stack_t) == 64,
	       "rule layout");
_Static_assert((SBP_ENTRIES & (SBP_ENTRIES - 1)) == 0, "SBP_ENTRIES is a power of two");

#endif
