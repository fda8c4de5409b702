/*
 * lockapi.h - how the harness and the tests see a lock.
 *
 * Each lock header (locks/<id>.h, contract in locks/README.md) is compiled
 * once through harness/stamp.c, which produces `sb_impl_<id>`: the lock's
 * sizes, its verbs as function pointers (for the tests' scripted checks and
 * set-up, never inside a measured loop) and the loops stamped out with the
 * lock inlined.  registry.c binds each impl to its registry line.
 */
#ifndef SPINBENCH_HARNESS_LOCKAPI_H
#define SPINBENCH_HARNESS_LOCKAPI_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "guard.h"

/* SB_FAM_TEST: deliberately broken locks for the tests, invisible (not listed,
 * not selectable, not in the sb_locks iteration helpers) unless the
 * environment has SPINBENCH_TEST_LOCKS=1. */
enum sb_family {
	SB_FAM_BASIC,
	SB_FAM_QUEUED,
	SB_FAM_RW,
	SB_FAM_REF,
	SB_FAM_CONTROL,
	SB_FAM_NUMA,
	SB_FAM_TEST,
	SB_FAM_N
};

#define SB_F_CANON 0x01u   /* canonical lock of its family */
#define SB_F_RW 0x02u      /* real shared mode */
#define SB_F_CONVERT 0x04u /* shared -> exclusive try-convert */
#define SB_F_FIFO 0x08u    /* strict FIFO among (exclusive) waiters, tested */
#define SB_F_NODE 0x10u    /* uses the caller's queue node */
#define SB_F_OPAQUE 0x20u  /* atomics in inline asm: invisible to TSan, spins not counted */
#define SB_F_NOLOCK 0x40u  /* the control: takes no lock */
#define SB_F_WPREF 0x80u   /* rw: a waiting writer keeps new readers out (tested) */
#define SB_F_RPREF 0x100u  /* rw: readers pass a waiting writer (tested) */
#define SB_F_NOSPIN 0x200u /* its wait loop is not ours (glibc, ck): spins are not counted */

/* Arguments of the stamped mutual-exclusion loop (tests): iters acquisitions or until *stop. */
typedef struct sb_mx_arg {
	void *lock;
	void *node;
	sb_guard_t *guard;
	uint32_t mark;                      /* thread id + 1 */
	uint64_t iters;                     /* acquisitions to do */
	uint32_t read_every;                /* rw: every read_every-th acquisition is a write; 0 = all writes */
	uint32_t cs_relax;                  /* pause iterations inside each critical section */
	atomic_int *stop;                   /* set by the test: stop before iters (time bound) */
	uint64_t writes, reads, violations; /* out */
} sb_mx_arg_t;

struct sb_bench;

typedef struct sb_lock_impl {
	size_t lock_size, lock_align, node_size, node_align;
	size_t hot_bytes; /* bytes of the first line the lock uses (colocated data goes after) */
	void (*init)(void *l);
	void (*node_init)(void *n, unsigned tid);
	void (*lock)(void *l, void *n);
	bool (*trylock)(void *l, void *n);
	void (*unlock)(void *l, void *n);
	void (*read_lock)(void *l, void *n);
	bool (*read_trylock)(void *l, void *n);
	void (*read_unlock)(void *l, void *n);
	bool (*try_convert)(void *l, void *n);
	/* Stamped loops, the lock inlined. */
	void (*mx_loop)(sb_mx_arg_t *a);
	void (*bench_worker)(struct sb_bench *b, unsigned tid);
} sb_lock_impl_t;

typedef struct sb_lock_desc {
	const char *name; /* "ttas-backoff" */
	const char *id;   /* "ttas_backoff" */
	enum sb_family family;
	unsigned flags;
	const char *desc;
	const sb_lock_impl_t *impl;
} sb_lock_desc_t;

extern const sb_lock_desc_t sb_locks[];
extern const int sb_nlocks;

const char *sb_family_name(enum sb_family f);

/* Is this lock visible (not a test lock, or test locks enabled)? */
bool sb_lock_visible(const sb_lock_desc_t *d);

/* The lock of that exact name, or NULL. */
const sb_lock_desc_t *sb_lock_find(const char *name);

/*
 * Resolve a --lock value: a comma list of lock names, family names (the
 * family's canonical lock), "all" (every lock) and "all:FAMILY" (every lock
 * of the family).  Duplicates are dropped, order kept.  Returns the count;
 * on an unknown element returns -1 and writes into err a line naming it and
 * listing the valid names.
 */
int sb_lock_select(const char *list, const sb_lock_desc_t **out, int cap, char *err, size_t errlen);

/* Print the registry: name, family, flags, description. */
void sb_lock_list(FILE *f);

#endif
