/*
 * arch.h - the few architecture-dependent pieces every lock needs.
 *
 * Everything else in locks/ is portable C11 (<stdatomic.h>); no inline-asm
 * atomics anywhere, so ThreadSanitizer sees every synchronising operation.
 * The only inline asm is the spin-wait hint (x86 PAUSE, arm64 YIELD), which
 * is not an atomic and has no memory effect.
 */
#ifndef SPINBENCH_LOCKS_ARCH_H
#define SPINBENCH_LOCKS_ARCH_H

#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Lock words, queue nodes and per-thread counters are padded to 128 bytes:
 * on x86-64 the adjacent-line prefetcher pulls cache lines in pairs, so two
 * hot words 64 bytes apart still share traffic.  128 also covers the
 * 128-byte lines of POWER and some arm64 parts.
 */
#define SB_CACHELINE 128
#define SB_ALIGNED alignas(SB_CACHELINE)

#define sb_likely(x) __builtin_expect(!!(x), 1)
#define sb_unlikely(x) __builtin_expect(!!(x), 0)

/* The spin-wait hint: lets the SMT sibling run and saves power. */
static inline void sb_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#elif defined(__powerpc64__)
	__asm__ __volatile__("or 27,27,27" ::: "memory");
#else
	atomic_signal_fence(memory_order_seq_cst); /* compiler barrier only */
#endif
}

/*
 * Spin-loop accounting.  Every wait loop of spinbench's own locks calls
 * sb_spin_wait() once per iteration instead of sb_cpu_relax().  It counts the
 * iteration in a per-thread counter (the contention signal, exported as the
 * `spins` software event) and then relaxes.  The counter is only written by
 * its own thread; it is a relaxed atomic so that other threads (tests,
 * the harness reading it after the window) may read it without a data race.
 * The increment is a plain load + add + store: no lock prefix.
 * Build with -DSB_COUNT_SPINS=0 to remove it entirely.
 */
#ifndef SB_COUNT_SPINS
#define SB_COUNT_SPINS 1
#endif

extern _Thread_local atomic_ulong sb_spins;

/*
 * Draining.  When a run's measured phases are over, the harness sets
 * sb_spin_drain and waiters yield the CPU instead of pausing.  Without it,
 * a FIFO queue of 64 threads on 2 PUs drains at the pace of the scheduler
 * finding the one runnable thread whose turn it is among 63 spinners:
 * seconds per repetition.  It is never set while anything is measured; the
 * cost in the wait loop is one relaxed load of a read-shared line.
 */
extern atomic_int sb_spin_drain;

static inline void sb_spin_wait(void)
{
#if SB_COUNT_SPINS
	atomic_store_explicit(&sb_spins, atomic_load_explicit(&sb_spins, memory_order_relaxed) + 1,
			      memory_order_relaxed);
#endif
	if (sb_unlikely(atomic_load_explicit(&sb_spin_drain, memory_order_relaxed)))
		sched_yield();
	else
		sb_cpu_relax();
}

/*
 * The calling thread's NUMA node, for NUMA-aware locks: the node of the PU
 * the harness bound the thread to, or its virtual node (--virtual-nodes).
 * Set by the harness (and the tests) before node_init; 0 by default.
 * sb_numa_nodes is the number of (real or virtual) nodes of the run.
 */
#define SB_MAX_NUMA_NODES 64
extern _Thread_local int sb_thread_node;
extern int sb_numa_nodes;

/*
 * The calling thread's cache group, for hierarchical locks (hmcs): the
 * hwloc logical index of the L3 of the PU the harness bound the thread to;
 * the node (sb_thread_node) where the machine has no L3; the virtual node
 * with --virtual-nodes.  Unique machine-wide, 0..SB_MAX_GROUPS-1 (locks take
 * it mod SB_MAX_GROUPS).  Set by the harness (and the tests) before
 * node_init; -1 by default, "unset": the lock treats the group as the node.
 * 256 covers the largest machines (8 sockets of 16+ CCXs) while each lock
 * keeps two lines per group.
 */
#define SB_MAX_GROUPS 256
extern _Thread_local int sb_thread_group;

/* Per-thread queue node of locks that need none (basic, rw, pthread). */
typedef struct sb_nonode {
	char unused;
} sb_nonode_t;

/*
 * Exclusive-only locks get the read-side verbs as aliases of the exclusive
 * ones ("exclusive locks treat reads as writes") and a try-convert that is
 * never offered (the registry flags say so; it returns false).
 */
#define SB_EXCLUSIVE_ONLY(id)                                                          \
	static inline void sb_##id##_read_lock(sb_##id##_t *l, sb_##id##_node_t *n)    \
	{                                                                              \
		sb_##id##_lock(l, n);                                                  \
	}                                                                              \
	static inline bool sb_##id##_read_trylock(sb_##id##_t *l, sb_##id##_node_t *n) \
	{                                                                              \
		return sb_##id##_trylock(l, n);                                        \
	}                                                                              \
	static inline void sb_##id##_read_unlock(sb_##id##_t *l, sb_##id##_node_t *n)  \
	{                                                                              \
		sb_##id##_unlock(l, n);                                                \
	}                                                                              \
	SB_NO_CONVERT(id)

#define SB_NO_CONVERT(id)                                                             \
	static inline bool sb_##id##_try_convert(sb_##id##_t *l, sb_##id##_node_t *n) \
	{                                                                             \
		(void)l;                                                              \
		(void)n;                                                              \
		return false;                                                         \
	}

/* Node init for locks whose node carries nothing. */
#define SB_NO_NODE(id)                                                            \
	typedef sb_nonode_t sb_##id##_node_t;                                     \
	static inline void sb_##id##_node_init(sb_##id##_node_t *n, unsigned tid) \
	{                                                                         \
		(void)n;                                                          \
		(void)tid;                                                        \
	}

#endif /* SPINBENCH_LOCKS_ARCH_H */
