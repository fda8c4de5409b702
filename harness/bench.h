/*
 * bench.h - one repetition of one configuration, as the stamped worker sees it.
 *
 * The runner (run.c) allocates the lock arena on the lock's NUMA node, starts
 * one pinned worker per thread, and drives the phases through `phase`:
 *
 *   SB_PH_WAIT -> SB_PH_WARMUP -> SB_PH_MEASURE -> SB_PH_TIMED -> SB_PH_STOP
 *
 * MEASURE is the throughput window: the loop reads no clock, makes no
 * syscall and no indirect call; it counts acquisitions in a register.
 * TIMED is the latency phase: each acquisition is timed (arrival, acquire,
 * release) and classified as handoff / reacquire / idle (handoff.h).
 * The mutual-exclusion guard runs in every phase.
 */
#ifndef SPINBENCH_HARNESS_BENCH_H
#define SPINBENCH_HARNESS_BENCH_H

#include <stdatomic.h>
#include <stdint.h>

#include "arch.h"
#include "counters.h"
#include "guard.h"
#include "stats.h"

enum sb_phase { SB_PH_WAIT, SB_PH_WARMUP, SB_PH_MEASURE, SB_PH_TIMED, SB_PH_STOP };

/* Handoff pairs are tracked per (releaser, acquirer) up to this many threads
 * (pairs x pair histogram = 256^2 x 512 B = 32 MiB at most). */
#define SB_PAIR_MAX_THREADS 256
/* Pair histogram: 4 sub-buckets per power of two (about 19% wide), 128 buckets. */
#define SB_PHIST_N 128

static inline unsigned sb_phist_index(uint64_t v)
{
	if (v < 4)
		return (unsigned)v;
	unsigned msb = (unsigned)(63 - __builtin_clzll(v));
	unsigned i = msb * 4 + (unsigned)((v >> (msb - 2)) & 3);
	return i < SB_PHIST_N ? i : SB_PHIST_N - 1;
}

/* The slot beside the lock: who released last, and when (ticks). Protected by the lock. */
typedef struct sb_handoff_slot {
	SB_ALIGNED volatile uint32_t owner;
	volatile uint64_t release_ts;
} sb_handoff_slot_t;

/* One worker's results, padded so that no two workers share a line. */
typedef struct sb_worker {
	SB_ALIGNED uint64_t acq_measured; /* acquisitions in the measured window */
	uint64_t writes_total;            /* exclusive acquisitions, every phase */
	uint64_t violations;
	uint64_t spins_measured;          /* wait-loop iterations in the window */
	uint64_t timed_acq, handoffs, reacquires, idle;
	sb_hist_t *h_handoff, *h_acquire, *h_hold; /* ns; allocated by the runner */
	uint32_t *pair_count;             /* [releaser], this worker acquiring; NULL if not tracked */
	uint32_t *pair_hist;              /* [releaser][SB_PHIST_N] */
	int pu;                           /* OS index it is bound to */
	int node;                         /* its NUMA node, or virtual node (--virtual-nodes) */
	int bind_ok;
	long invol_csw, vol_csw;          /* over the measured window */
	uint64_t runq_delay_ns;           /* schedstat, over the measured window; UINT64_MAX if unreadable */
	long long ctr[SB_CTR_MAX];        /* PAPI counters over the window (handoffs: the timed phase); -1 = NA */
	char bind_err[160];
} sb_worker_t;

typedef struct sb_bench {
	void *lock;
	sb_guard_t *guard;
	sb_handoff_slot_t *slot;
	void **nodes; /* per-thread queue nodes */
	int nthreads;
	double ns_per_tick;
	SB_ALIGNED atomic_int phase;
	SB_ALIGNED atomic_int ready; /* workers pinned and set up */
	SB_ALIGNED atomic_int done;  /* workers finished */
	SB_ALIGNED atomic_int timed; /* workers that have entered the timed phase */
	sb_worker_t *w;
} sb_bench_t;

/* Runner-side hooks the stamped worker calls outside measured loops. */
void sb_worker_begin(sb_bench_t *b, unsigned tid); /* bind, verify, counters, announce ready */
enum sb_edge { SB_WINDOW_START, SB_WINDOW_END, SB_TIMED_START, SB_TIMED_END };
/* At each edge of the measured window and the timed phase: rusage, schedstat,
 * PAPI start/stop.  At SB_WINDOW_END w->acq_measured is already set, at
 * SB_TIMED_END w->handoffs. */
void sb_worker_edge(sb_bench_t *b, unsigned tid, enum sb_edge e);

#endif
