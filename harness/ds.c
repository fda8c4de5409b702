/*
 * ds.c - init and end-of-run invariant checks of the workload data
 * structures; the operations are static inline in ds.h.
 */
#include "ds.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- problem log */

/* The first few problems are described; all are counted. */
#define SHOWN_PROBLEMS 3

typedef struct problems {
	int n;
	char text[256];
	size_t used;
} problems_t;

__attribute__((format(printf, 2, 3))) static void problem(problems_t *p, const char *fmt, ...)
{
	p->n++;
	if (p->n > SHOWN_PROBLEMS || p->used >= sizeof p->text - 1)
		return;
	if (p->n > 1)
		p->used += (size_t)snprintf(p->text + p->used, sizeof p->text - p->used, "; ");
	if (p->used >= sizeof p->text - 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(p->text + p->used, sizeof p->text - p->used, fmt, ap);
	va_end(ap);
	if (w > 0)
		p->used += (size_t)w;
	if (p->used > sizeof p->text - 1)
		p->used = sizeof p->text - 1;
}

static void finish(const problems_t *p, const char *what, const char *okline, char *desc, size_t len)
{
	if (!desc || !len)
		return;
	if (p->n == 0)
		snprintf(desc, len, "%s ok: %s", what, okline);
	else
		snprintf(desc, len, "%s: %d problem%s: %s%s", what, p->n, p->n == 1 ? "" : "s", p->text,
			 p->n > SHOWN_PROBLEMS ? "; ..." : "");
}

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* ---------------------------------------------------------------- hash table */

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 1;
	while (p < n)
		p <<= 1;
	return p;
}

size_t sb_ht_mem_size(uint32_t nkeys)
{
	if (nkeys == 0 || nkeys > SB_DS_MAX_KEYS)
		return 0;
	return align8((size_t)pow2_at_least(nkeys) * sizeof(uint32_t)) + (size_t)nkeys * sizeof(sb_ht_node_t) +
	       align8((size_t)nkeys * 2);
}

int sb_ht_init(sb_ht_t *t, uint32_t nkeys, void *mem)
{
	size_t sz = sb_ht_mem_size(nkeys);
	void *own = NULL;

	if (!sz)
		return -1;
	if (!mem) {
		mem = own = malloc(sz);
		if (!mem)
			return -1;
	}
	memset(t, 0, sizeof *t);
	t->nbuckets = pow2_at_least(nkeys);
	t->mask = t->nbuckets - 1;
	t->nkeys = nkeys;
	t->cap = nkeys;
	t->buckets = mem;
	t->pool = (sb_ht_node_t *)(void *)((char *)mem + align8((size_t)t->nbuckets * sizeof(uint32_t)));
	t->scratch = (unsigned char *)(t->pool + nkeys);
	t->mem = own;
	for (uint32_t b = 0; b < t->nbuckets; b++)
		t->buckets[b] = SB_DS_NIL;
	for (uint32_t i = 0; i < nkeys; i++) {
		t->pool[i].key = 0;
		t->pool[i].next = i + 1 < nkeys ? i + 1 : SB_DS_NIL;
	}
	t->free_head = 0;
	t->size = 0;
	return 0;
}

void sb_ht_destroy(sb_ht_t *t)
{
	free(t->mem);
	memset(t, 0, sizeof *t);
}

/* Marks in scratch[0..cap): 0 unseen, 1 reachable from a chain, 2 on the free list. */
int sb_ht_check(const sb_ht_t *t, int64_t expected, char *desc, size_t len)
{
	problems_t p = {0};
	unsigned char *node_mark = t->scratch, *key_seen = t->scratch + t->cap;
	uint64_t reachable = 0, freecount = 0;
	uint32_t longest = 0;

	memset(t->scratch, 0, (size_t)t->cap + t->nkeys);
	for (uint32_t b = 0; b < t->nbuckets; b++) {
		uint32_t i = t->buckets[b], steps = 0;
		while (i != SB_DS_NIL) {
			if (i >= t->cap) {
				problem(&p, "bucket %" PRIu32 ": link to node %" PRIu32 " outside the pool of %" PRIu32,
					b, i, t->cap);
				break;
			}
			if (steps >= t->cap) {
				problem(&p, "bucket %" PRIu32 ": chain longer than the pool (cycle)", b);
				break;
			}
			if (node_mark[i]) {
				problem(&p, "node %" PRIu32 " reached twice (cycle or shared chain) in bucket %" PRIu32,
					i, b);
				break; /* what follows was already walked */
			}
			node_mark[i] = 1;
			steps++;
			reachable++;
			uint32_t k = t->pool[i].key;
			if (k >= t->nkeys) {
				problem(&p, "node %" PRIu32 ": key %" PRIu32 " out of range", i, k);
			} else {
				if (sb_ht_bucket(t, k) != b)
					problem(&p, "key %" PRIu32 " in bucket %" PRIu32 ", belongs in %" PRIu32, k, b,
						sb_ht_bucket(t, k));
				if (key_seen[k])
					problem(&p, "key %" PRIu32 " present twice", k);
				key_seen[k] = 1;
			}
			i = t->pool[i].next;
		}
		if (steps > longest)
			longest = steps;
	}
	uint32_t i = t->free_head;
	while (i != SB_DS_NIL) {
		if (i >= t->cap) {
			problem(&p, "free list: link to node %" PRIu32 " outside the pool", i);
			break;
		}
		if (node_mark[i] == 2) {
			problem(&p, "free list: cycle at node %" PRIu32, i);
			break;
		}
		if (node_mark[i] == 1) {
			problem(&p, "node %" PRIu32 " both in the table and on the free list", i);
			break;
		}
		node_mark[i] = 2;
		freecount++;
		i = t->pool[i].next;
	}
	if (t->size != reachable)
		problem(&p, "size counter %" PRIu64 " != %" PRIu64 " reachable keys", t->size, reachable);
	if (reachable + freecount != t->cap)
		problem(&p, "%" PRIu64 " reachable + %" PRIu64 " free != pool of %" PRIu32 " (nodes lost)", reachable,
			freecount, t->cap);
	if (expected != SB_DS_NO_EXPECT && (expected < 0 || (uint64_t)expected != reachable))
		problem(&p, "%" PRIu64 " keys present, the threads' inserts - deletes say %" PRId64, reachable,
			expected);

	char okline[128];
	snprintf(okline, sizeof okline, "%" PRIu64 " keys, %" PRIu32 " buckets, longest chain %" PRIu32, reachable,
		 t->nbuckets, longest);
	finish(&p, "hashtable", okline, desc, len);
	return p.n;
}

/* ---------------------------------------------------------------- list */

size_t sb_list_mem_size(uint32_t cap)
{
	if (cap == 0 || cap > SB_DS_MAX_KEYS)
		return 0;
	return (size_t)cap * sizeof(sb_list_node_t) + align8(cap);
}

int sb_list_init(sb_list_t *l, uint32_t cap, void *mem)
{
	size_t sz = sb_list_mem_size(cap);
	void *own = NULL;

	if (!sz)
		return -1;
	if (!mem) {
		mem = own = malloc(sz);
		if (!mem)
			return -1;
	}
	memset(l, 0, sizeof *l);
	l->pool = mem;
	l->cap = cap;
	l->scratch = (unsigned char *)(l->pool + cap);
	l->mem = own;
	for (uint32_t i = 0; i < cap; i++) {
		l->pool[i].prev = SB_DS_NIL;
		l->pool[i].next = i + 1 < cap ? i + 1 : SB_DS_NIL;
		l->pool[i].value = 0;
	}
	l->free_head = 0;
	l->head = l->tail = SB_DS_NIL;
	l->length = 0;
	return 0;
}

void sb_list_destroy(sb_list_t *l)
{
	free(l->mem);
	memset(l, 0, sizeof *l);
}

/* Marks: 1 on the forward walk, 2 on the free list. */
int sb_list_check(const sb_list_t *l, int64_t expected, char *desc, size_t len)
{
	problems_t p = {0};
	unsigned char *mark = l->scratch;
	uint64_t fwd = 0, bwd = 0, freecount = 0;
	uint32_t prev = SB_DS_NIL, i;

	memset(mark, 0, l->cap);
	/* Forward, head -> tail. */
	for (i = l->head; i != SB_DS_NIL;) {
		if (i >= l->cap) {
			problem(&p, "forward walk: link to node %" PRIu32 " outside the pool of %" PRIu32, i, l->cap);
			break;
		}
		if (mark[i]) {
			problem(&p, "forward walk: cycle at node %" PRIu32, i);
			break;
		}
		mark[i] = 1;
		fwd++;
		if (l->pool[i].prev != prev)
			problem(&p, "node %" PRIu32 ": prev %" PRIu32 " but reached from %" PRIu32, i, l->pool[i].prev,
				prev);
		prev = i;
		i = l->pool[i].next;
	}
	if (prev != l->tail)
		problem(&p, "forward walk ends at %" PRIu32 ", tail is %" PRIu32, prev, l->tail);
	/* Backward, tail -> head, bounded by the pool size. */
	uint32_t last = SB_DS_NIL;
	for (i = l->tail; i != SB_DS_NIL; i = l->pool[i].prev) {
		if (i >= l->cap) {
			problem(&p, "backward walk: link to node %" PRIu32 " outside the pool", i);
			break;
		}
		if (bwd >= l->cap) {
			problem(&p, "backward walk: longer than the pool (cycle)");
			break;
		}
		bwd++;
		last = i;
	}
	if (bwd != fwd)
		problem(&p, "backward walk counts %" PRIu64 " nodes, forward %" PRIu64, bwd, fwd);
	else if (last != l->head)
		problem(&p, "backward walk ends at %" PRIu32 ", head is %" PRIu32, last, l->head);
	/* Free list. */
	for (i = l->free_head; i != SB_DS_NIL; i = l->pool[i].next) {
		if (i >= l->cap) {
			problem(&p, "free list: link to node %" PRIu32 " outside the pool", i);
			break;
		}
		if (mark[i] == 2) {
			problem(&p, "free list: cycle at node %" PRIu32, i);
			break;
		}
		if (mark[i] == 1) {
			problem(&p, "node %" PRIu32 " both in the list and on the free list", i);
			break;
		}
		mark[i] = 2;
		freecount++;
	}
	if (l->length != fwd)
		problem(&p, "length counter %" PRIu64 " != %" PRIu64 " linked nodes", l->length, fwd);
	if (fwd + freecount != l->cap)
		problem(&p, "%" PRIu64 " linked + %" PRIu64 " free != pool of %" PRIu32 " (nodes lost)", fwd, freecount,
			l->cap);
	if (expected != SB_DS_NO_EXPECT && (expected < 0 || (uint64_t)expected != fwd))
		problem(&p, "%" PRIu64 " nodes linked, the threads' pushes - pops say %" PRId64, fwd, expected);

	char okline[96];
	snprintf(okline, sizeof okline, "%" PRIu64 " nodes of %" PRIu32, fwd, l->cap);
	finish(&p, "list", okline, desc, len);
	return p.n;
}
