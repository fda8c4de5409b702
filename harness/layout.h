/*
 * layout.h - where a repetition's memory lives: the lock arena (per lock
 * instance the lock, its protected lines, its guard with the exclusive
 * release record, its shared-release record, each on their own lines, all
 * on the lock's NUMA node), the data structure beside it, and the
 * per-thread queue nodes on each thread's own node, half a page into their
 * page.
 */
#ifndef SPINBENCH_HARNESS_LAYOUT_H
#define SPINBENCH_HARNESS_LAYOUT_H

#include <stddef.h>

#include "run.h"

/* size bytes on NUMA node `node` (page-aligned, libnuma), or anywhere when
 * node < 0 or libnuma is unavailable; NULL when out of memory. */
void *sb_alloc_on_node(size_t size, int node);
void sb_free_on_node(void *p, size_t size, int node);

/* The NUMA node the page at p really sits on (move_pages), or -1. */
int sb_page_node(void *p);

/* v rounded up to a multiple of a. */
size_t sb_round_up(size_t v, size_t a);

/* The lock arena of one repetition. */
typedef struct sb_arena {
	char *mem;
	size_t size, ds_size;
	int node;
} sb_arena_t;

/*
 * Allocate the arena on r->lock_node, first touch it and read back where it
 * landed (r->lock_node_real); lay out b->inst[0..N-1] (N = the workload's
 * locks) and initialise each lock; set b->ninst, b->lock, b->guard,
 * b->cs_lines.  0, or -1 with ctx->err set.
 */
int sb_arena_alloc(sb_runctx_t *ctx, const sb_lock_impl_t *im, sb_bench_t *b, sb_arena_t *A, sb_rep_t *r);
void sb_arena_free(sb_bench_t *b, sb_arena_t *A);

/*
 * A queue node sits this far into its page.  The lock arena starts on a
 * page, so a node at a page's start shares its low 12 address bits with
 * the lock word; Intel cores first match a load or RMW against older stores
 * on those 12 bits and hold it until the full addresses are compared ("4K
 * aliasing").  A node field stored at unlock then stalls the next lock's
 * RMW on the lock word: measured on the development VM, clh 8.6 against
 * 6.6 ns per uncontended acquisition, ck-clh 10.9 against 6.5 (both put
 * their node's first field at offset 0).  Half a page is clear of the
 * arena's first lines (lock, data, guard, records).
 */
#define SB_NODE_PAGE_OFFSET 2048

/* A queue node of node_size bytes on NUMA node `node`, SB_NODE_PAGE_OFFSET
 * into its page, zeroed; exits when out of memory. */
void *sb_node_alloc(size_t node_size, int node);
void sb_node_free(void *n, size_t node_size, int node);

#endif
