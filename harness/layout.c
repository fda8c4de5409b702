/*
 * layout.c - the repetition's memory; see layout.h.
 */
#include "layout.h"

#include <numa.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

void *sb_alloc_on_node(size_t size, int node)
{
	if (node >= 0 && numa_available() >= 0)
		return numa_alloc_onnode(size, node);
	void *p = NULL;
	return posix_memalign(&p, 4096, size) == 0 ? p : NULL;
}

void sb_free_on_node(void *p, size_t size, int node)
{
	if (node >= 0 && numa_available() >= 0)
		numa_free(p, size);
	else
		free(p);
}

int sb_page_node(void *p)
{
	int status = -1;
	void *pages[1] = {p};
	if (move_pages(0, 1, pages, NULL, &status, 0) != 0 || status < 0)
		return -1;
	return status;
}

size_t sb_round_up(size_t v, size_t a)
{
	return (v + a - 1) / a * a;
}

int sb_arena_alloc(sb_runctx_t *ctx, const sb_lock_impl_t *im, sb_bench_t *b, sb_arena_t *A, sb_rep_t *r)
{
	const sb_workload_t *wl = ctx->wl;
	int ninst = wl->nlocks > 0 ? wl->nlocks : 1, K = wl->cs_lines;
	size_t lock_sz = sb_round_up(im->lock_size, SB_CACHELINE);
	size_t data_sz = sb_round_up((size_t)(K > 0 ? K : 1) * SB_DATA_LINE, SB_CACHELINE);
	size_t inst_sz = lock_sz + data_sz + sizeof(sb_guard_t) + sizeof(sb_rw_rec_t);

	A->node = r->lock_node;
	A->size = sb_round_up(inst_sz * (size_t)ninst, 4096);
	A->mem = sb_alloc_on_node(A->size, A->node);
	b->inst = calloc((size_t)ninst, sizeof(sb_inst_t));
	if (!A->mem || !b->inst) {
		if (A->mem)
			sb_free_on_node(A->mem, A->size, A->node);
		free(b->inst);
		snprintf(ctx->err, sizeof(ctx->err), "cannot allocate lock memory on node %d", A->node);
		return -1;
	}
	memset(A->mem, 0, A->size); /* first touch */
	r->lock_node_real = sb_page_node(A->mem);
	A->ds_size = wl->ds == SB_DS_HASHTABLE ? SB_CACHELINE + sb_ht_mem_size(wl->ds_keys)
		     : wl->ds == SB_DS_LIST    ? SB_CACHELINE + sb_list_mem_size(wl->ds_keys)
					       : 0;
	for (int k = 0; k < ninst; k++) {
		char *base = A->mem + (size_t)k * inst_sz;
		sb_inst_t *in = &b->inst[k];
		in->lock = base;
		in->guard = (sb_guard_t *)(void *)(base + lock_sz + data_sz);
		in->rw = (sb_rw_rec_t *)(void *)(base + lock_sz + data_sz + sizeof(sb_guard_t));
		if (wl->colocated) { /* line 0 right after the lock's own bytes, in its line */
			in->line0 = (volatile uint64_t *)(void *)(base + sb_round_up(im->hot_bytes, 8));
			in->rest = (volatile uint64_t *)(void *)(base + lock_sz);
		} else {
			in->line0 = (volatile uint64_t *)(void *)(base + lock_sz);
			in->rest = in->line0 + SB_DATA_LINE / sizeof(uint64_t);
		}
		if (A->ds_size) {
			char *d = sb_need(sb_alloc_on_node(A->ds_size, A->node));
			memset(d, 0, A->ds_size);
			if (wl->ds == SB_DS_HASHTABLE) {
				in->ht = (sb_ht_t *)(void *)d;
				sb_ht_init(in->ht, wl->ds_keys, d + SB_CACHELINE);
			} else {
				in->list = (sb_list_t *)(void *)d;
				sb_list_init(in->list, wl->ds_keys, d + SB_CACHELINE);
			}
		}
		im->init(in->lock);
	}
	b->ninst = ninst;
	b->lock = b->inst[0].lock;
	b->guard = b->inst[0].guard;
	b->cs_lines = K;
	return 0;
}

void sb_arena_free(sb_bench_t *b, sb_arena_t *A)
{
	for (int k = 0; k < b->ninst && A->ds_size; k++) {
		sb_inst_t *in = &b->inst[k];
		sb_free_on_node(in->ht ? (void *)in->ht : (void *)in->list, A->ds_size, A->node);
	}
	free(b->inst);
	sb_free_on_node(A->mem, A->size, A->node);
}

void *sb_node_alloc(size_t node_size, int node)
{
	char *page = sb_need(sb_alloc_on_node(sb_round_up(node_size, SB_CACHELINE) + SB_NODE_PAGE_OFFSET, node));
	memset(page + SB_NODE_PAGE_OFFSET, 0, sb_round_up(node_size, SB_CACHELINE));
	return page + SB_NODE_PAGE_OFFSET;
}

void sb_node_free(void *n, size_t node_size, int node)
{
	sb_free_on_node((char *)n - SB_NODE_PAGE_OFFSET, sb_round_up(node_size, SB_CACHELINE) + SB_NODE_PAGE_OFFSET,
			node);
}
