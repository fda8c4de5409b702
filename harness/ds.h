/*
 * ds.h - the real data structures of the `hashtable` and `list` workloads
 * (issue 4): what a lock protects when the critical section does real work.
 *
 * The lock is NOT in here: the caller holds it around every operation
 * (lookups/peeks may be taken under a shared (read) lock, everything else
 * under the exclusive one).  Two structures:
 *
 *   sb_ht_t    a chained hash table of integer keys in [0, nkeys), with
 *              lookup / insert / delete;
 *   sb_list_t  a doubly linked list used as a queue: push at the head, pop
 *              from the tail (as the Windows interlocked list routines do
 *              under a spin lock), plus a read-only peek at the tail.
 *
 * Both take their nodes from a fixed pool preallocated at init (no malloc
 * under the lock).  Links are 32-bit indexes into that pool, SB_DS_NIL for
 * "none".  Every link read is one volatile load followed by a bounds check,
 * and every traversal is bounded by the pool size, so that unprotected
 * concurrent use (the `none` lock, the negative control) corrupts the
 * structure - which the end-of-run check then reports - but can neither
 * crash the process, write outside the pool, nor loop forever.  The accesses
 * are volatile (as in guard.h) so that the compiler keeps each one inside
 * the critical section; under a correct lock its acquire/release orders
 * them, under a broken one they race and the race shows.
 *
 * Counting for the checks: each thread keeps its own tally of successful
 * inserts minus successful deletes (pushes minus pops for the list); the
 * caller sums the tallies and passes the sum to the check as `expected`.
 */
#ifndef SPINBENCH_HARNESS_DS_H
#define SPINBENCH_HARNESS_DS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SB_DS_NIL UINT32_MAX

/* Largest key range / pool size accepted by the inits (and --ds-keys). */
#define SB_DS_MAX_KEYS (1u << 24)

/* `expected` value that skips the tally comparison of the checks. */
#define SB_DS_NO_EXPECT INT64_MIN

/* Volatile accessors: one load / one store each, never cached or merged. */
#define SB_DS_LD(x) (*(volatile __typeof__(x) *)&(x))
#define SB_DS_ST(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

/* ---------------------------------------------------------------- hash table */

typedef struct sb_ht_node {
	uint32_t key;
	uint32_t next; /* next node of the chain (or of the free list); SB_DS_NIL ends it */
} sb_ht_node_t;

typedef struct sb_ht {
	uint32_t *buckets;  /* nbuckets chain heads */
	sb_ht_node_t *pool; /* cap nodes */
	uint32_t nbuckets;  /* power of two */
	uint32_t mask;      /* nbuckets - 1 */
	uint32_t nkeys;     /* keys are in [0, nkeys) */
	uint32_t cap;       /* pool size == nkeys: every key at most once */
	uint32_t free_head; /* free-list head */
	uint32_t pad_;
	uint64_t size;          /* number of keys present, maintained by insert/delete */
	unsigned char *scratch; /* check-only marks: cap + nkeys bytes */
	void *mem;              /* what init allocated (NULL: caller's memory) */
} sb_ht_t;

/*
 * Bytes of memory an nkeys table needs (buckets, pool and check marks), for
 * callers that place it themselves (e.g. on the lock's NUMA node).
 * 0 when nkeys is out of range (0 or > SB_DS_MAX_KEYS).
 */
size_t sb_ht_mem_size(uint32_t nkeys);

/*
 * Make *t an empty table for keys [0, nkeys), 1 <= nkeys <= SB_DS_MAX_KEYS:
 * nbuckets = the power of two >= nkeys (load factor <= 1), a pool of nkeys
 * nodes all on the free list, size 0.  mem: sb_ht_mem_size(nkeys) bytes,
 * 8-byte aligned, owned by the caller; NULL to have init malloc it (freed by
 * sb_ht_destroy).  Returns 0, or -1 (nkeys out of range, out of memory).
 * Not thread-safe: call before the threads start.
 */
int sb_ht_init(sb_ht_t *t, uint32_t nkeys, void *mem);

/* Free what sb_ht_init allocated (nothing for caller memory); *t is unusable after. */
void sb_ht_destroy(sb_ht_t *t);

/* Bucket of a key: Fibonacci hashing, so neighbouring keys spread out. */
static inline uint32_t sb_ht_bucket(const sb_ht_t *t, uint32_t key)
{
	return (uint32_t)(((uint64_t)key * 0x9E3779B97F4A7C15ull) >> 32) & t->mask;
}

/*
 * Is key present?  Read-only: may run under a shared lock.  A key outside
 * [0, nkeys) is never present.  At most cap links are followed.
 */
static inline bool sb_ht_lookup(const sb_ht_t *t, uint32_t key)
{
	if (key >= t->nkeys)
		return false;
	uint32_t i = SB_DS_LD(t->buckets[sb_ht_bucket(t, key)]);
	for (uint32_t steps = 0; i < t->cap && steps < t->cap; steps++) {
		if (SB_DS_LD(t->pool[i].key) == key)
			return true;
		i = SB_DS_LD(t->pool[i].next);
	}
	return false;
}

/*
 * Insert key at the head of its chain.  Returns true if it was inserted
 * (count it in the caller's tally: +1), false if it was already present,
 * is out of range, or the pool is empty (only possible once the table is
 * corrupted, since the pool holds one node per key).  Exclusive lock.
 */
static inline bool sb_ht_insert(sb_ht_t *t, uint32_t key)
{
	if (sb_ht_lookup(t, key))
		return false;
	if (key >= t->nkeys)
		return false;
	uint32_t n = SB_DS_LD(t->free_head);
	if (n >= t->cap)
		return false;
	SB_DS_ST(t->free_head, SB_DS_LD(t->pool[n].next));
	uint32_t b = sb_ht_bucket(t, key);
	SB_DS_ST(t->pool[n].key, key);
	SB_DS_ST(t->pool[n].next, SB_DS_LD(t->buckets[b]));
	SB_DS_ST(t->buckets[b], n);
	SB_DS_ST(t->size, SB_DS_LD(t->size) + 1);
	return true;
}

/*
 * Delete key: unlink its node and return it to the free list.  Returns true
 * if it was present (tally: -1), false otherwise.  Exclusive lock.
 */
static inline bool sb_ht_delete(sb_ht_t *t, uint32_t key)
{
	if (key >= t->nkeys)
		return false;
	uint32_t b = sb_ht_bucket(t, key);
	uint32_t prev = SB_DS_NIL;
	uint32_t i = SB_DS_LD(t->buckets[b]);
	for (uint32_t steps = 0; i < t->cap && steps < t->cap; steps++) {
		uint32_t next = SB_DS_LD(t->pool[i].next);
		if (SB_DS_LD(t->pool[i].key) == key) {
			if (prev == SB_DS_NIL)
				SB_DS_ST(t->buckets[b], next);
			else
				SB_DS_ST(t->pool[prev].next, next);
			SB_DS_ST(t->pool[i].next, SB_DS_LD(t->free_head));
			SB_DS_ST(t->free_head, i);
			SB_DS_ST(t->size, SB_DS_LD(t->size) - 1);
			return true;
		}
		prev = i;
		i = next;
	}
	return false;
}

/*
 * The end-of-run invariant check (single-threaded, after the workers have
 * stopped).  Checks: every chain ends within cap links and only holds
 * in-pool indexes (no cycle, no wild link); every node sits in the bucket of
 * its key and its key is in range; no key appears twice; no node is reachable
 * twice (from two chains, or from a chain and the free list); the size
 * counter equals the number of reachable nodes; reachable + free == cap (no
 * node lost from the pool); and, unless expected == SB_DS_NO_EXPECT, the
 * number of reachable keys equals expected (the summed per-thread tallies of
 * successful inserts minus deletes: a lost or duplicated insert shows here).
 * Returns the number of problems found (0 = intact; each offending node or
 * counter counts once).  desc (may be NULL) receives one line without a
 * newline: "hashtable ok: K keys, B buckets, longest chain L" or
 * "hashtable: N problems: <first problems>; ...".
 */
int sb_ht_check(const sb_ht_t *t, int64_t expected, char *desc, size_t len);

/* ---------------------------------------------------------------- list (queue) */

typedef struct sb_list_node {
	uint32_t prev; /* towards the head; SB_DS_NIL at the head */
	uint32_t next; /* towards the tail (also the free-list link); SB_DS_NIL at the tail */
	uint64_t value;
} sb_list_node_t;

typedef struct sb_list {
	sb_list_node_t *pool; /* cap nodes */
	uint32_t cap;
	uint32_t head; /* newest node, SB_DS_NIL when empty */
	uint32_t tail; /* oldest node, SB_DS_NIL when empty */
	uint32_t free_head;
	uint64_t length;        /* maintained by push/pop */
	unsigned char *scratch; /* check-only marks: cap bytes */
	void *mem;
} sb_list_t;

/* Bytes a list of cap nodes needs; 0 when cap is out of range. */
size_t sb_list_mem_size(uint32_t cap);

/*
 * Make *l an empty list with a pool of cap nodes, 1 <= cap <= SB_DS_MAX_KEYS.
 * mem as for sb_ht_init.  Returns 0 or -1.  Before the threads start.
 */
int sb_list_init(sb_list_t *l, uint32_t cap, void *mem);

/* Free what sb_list_init allocated. */
void sb_list_destroy(sb_list_t *l);

/*
 * Push value at the head.  Returns true (tally: +1), or false when the pool
 * is empty (the list holds cap nodes).  Exclusive lock.
 */
static inline bool sb_list_push(sb_list_t *l, uint64_t value)
{
	uint32_t n = SB_DS_LD(l->free_head);
	if (n >= l->cap)
		return false;
	SB_DS_ST(l->free_head, SB_DS_LD(l->pool[n].next));
	uint32_t h = SB_DS_LD(l->head);
	SB_DS_ST(l->pool[n].value, value);
	SB_DS_ST(l->pool[n].prev, SB_DS_NIL);
	SB_DS_ST(l->pool[n].next, h);
	if (h < l->cap)
		SB_DS_ST(l->pool[h].prev, n);
	else
		SB_DS_ST(l->tail, n);
	SB_DS_ST(l->head, n);
	SB_DS_ST(l->length, SB_DS_LD(l->length) + 1);
	return true;
}

/*
 * Pop the tail (the oldest node) into *value (may be NULL).  Returns true
 * (tally: -1), or false when the list is empty.  Exclusive lock.
 */
static inline bool sb_list_pop(sb_list_t *l, uint64_t *value)
{
	uint32_t n = SB_DS_LD(l->tail);
	if (n >= l->cap)
		return false;
	uint32_t p = SB_DS_LD(l->pool[n].prev);
	if (value)
		*value = SB_DS_LD(l->pool[n].value);
	if (p < l->cap)
		SB_DS_ST(l->pool[p].next, SB_DS_NIL);
	else
		SB_DS_ST(l->head, SB_DS_NIL);
	SB_DS_ST(l->tail, p < l->cap ? p : SB_DS_NIL);
	SB_DS_ST(l->pool[n].next, SB_DS_LD(l->free_head));
	SB_DS_ST(l->free_head, n);
	SB_DS_ST(l->length, SB_DS_LD(l->length) - 1);
	return true;
}

/*
 * Read the tail's value (the next to be popped) without removing it: the
 * list's read-side operation.  Returns false when empty.  Shared lock.
 */
static inline bool sb_list_peek(const sb_list_t *l, uint64_t *value)
{
	uint32_t n = SB_DS_LD(l->tail);
	if (n >= l->cap)
		return false;
	if (value)
		*value = SB_DS_LD(l->pool[n].value);
	return true;
}

/*
 * End-of-run check (single-threaded).  Checks: the forward walk from head
 * follows in-pool links only, ends within cap nodes (no cycle) at tail, and
 * every node's prev names the node before it (head's prev is NIL); the
 * backward walk from tail reaches head over the same number of nodes; the
 * length counter equals that count; no node is both in the list and on the
 * free list, and list + free == cap (no node lost); and, unless expected ==
 * SB_DS_NO_EXPECT, the count equals expected (summed pushes minus pops).
 * Returns the number of problems; desc (may be NULL) gets one line:
 * "list ok: N nodes of CAP" or "list: N problems: ...".
 */
int sb_list_check(const sb_list_t *l, int64_t expected, char *desc, size_t len);

#endif
