/*
 * report.c - sbprof-report RAWDIR OUTDIR [PARK_NS]: read the prof-*.bin
 * files a profiled run left in RAWDIR (sbprof.h) and write the figures of
 * profiler/README.md to OUTDIR: locks.csv (per class and kind), sites.csv
 * (per class, kind and call site), conds.csv, histograms.csv and
 * processes.csv.  Sites and classes are raw addresses here (hex);
 * profile-app resolves them.  Prints the clock's calibration on stdout as
 * one JSON object.  Exit 0, or 1 with one line on stderr.
 *
 * Per process (file), the entries of every slot are sorted by key and
 * summed: counts added, histograms merged with sb_hist_merge.  Ticks become
 * ns with this machine's calibration (sb_clock_init; the counter is the
 * one the library read).
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "sbprof.h"
#include "stats.h"
#include "topo.h"

static double ns_per_tick;
static uint64_t park_ticks;

typedef struct agg {
	sbp_entry_t e; /* summed; key fields from the first */
	uint64_t sites;
} agg_t;

static const char *kind_name(uint32_t k)
{
	static const char *const n[] = {"?", "mutex", "spin", "read", "write", "cond"};
	return k <= SBP_K_COND ? n[k] : "?";
}

static int cmp_site(const void *a, const void *b)
{
	const sbp_entry_t *x = *(sbp_entry_t *const *)a, *y = *(sbp_entry_t *const *)b;
#define CMP(f)            \
	if (x->f != y->f) \
		return x->f < y->f ? -1 : 1;
	CMP(class_pc) CMP(origin) CMP(kind) CMP(site_pc) return 0;
#undef CMP
}

static void add(sbp_entry_t *d, const sbp_entry_t *s)
{
	d->acquisitions += s->acquisitions;
	d->contended += s->contended;
	d->owner_changes += s->owner_changes;
	d->trylock_fail += s->trylock_fail;
	d->timeouts += s->timeouts;
	d->errors += s->errors;
	d->relocks += s->relocks;
	d->cond_waits += s->cond_waits;
	d->cond_unsplit += s->cond_unsplit;
	d->signals += s->signals;
	d->broadcasts += s->broadcasts;
	sb_hist_merge(&d->hist[0], &s->hist[0]);
	sb_hist_merge(&d->hist[1], &s->hist[1]);
}

static double ns(uint64_t ticks)
{
	return (double)ticks * ns_per_tick;
}

/* Waits at or above the park threshold: their number and time (bucket midpoints). */
static void parked(const sb_hist_t *h, uint64_t *n, double *t)
{
	*n = 0;
	*t = 0;
	for (int i = 0; i < SB_HIST_NBUCKETS; i++) {
		uint64_t lo = sb_hist_bucket_lower(i);
		if (!h->bucket[i] || lo < park_ticks)
			continue;
		*n += h->bucket[i];
		*t += (double)h->bucket[i] * ns(lo + (sb_hist_bucket_width(i) - 1) / 2);
	}
}

static void pct(FILE *f, const sb_hist_t *h)
{
	fprintf(f, ",%.0f,%.0f,%.0f,%.0f,%.0f", ns(h->sum), ns(sb_hist_percentile(h, 50)),
		ns(sb_hist_percentile(h, 99)), ns(sb_hist_percentile(h, 99.9)), ns(sb_hist_max(h)));
}

/*
 * Role (README): none, uncontended, parking, contended.  parking: the
 * waits at or above the park threshold make at least half the wait time,
 * and some site holds the lock that long as a rule (its hold p50 is at or
 * above the threshold), so the waiters were parked on purpose; a holder
 * preempted now and then moves a site's p99, not its p50.  park_site: the
 * largest hold p50 in ticks among the class's sites whose holds mostly
 * begin with a lock call (for a site row: its own).
 */
static const char *role(const sbp_entry_t *e, double tp, uint64_t park_site)
{
	if (!e->acquisitions)
		return "none";
	if (!e->contended)
		return "uncontended";
	if (tp >= 0.5 * ns(e->hist[0].sum) && park_site >= park_ticks)
		return "parking";
	return "contended";
}

#define LOCK_HEAD                                                                                                     \
	"acquisitions,contended,uncontended,contended_share,owner_changes,trylock_fail,timeouts,errors,relocks,"      \
	"holds,wait_total_ns,wait_p50_ns,wait_p99_ns,wait_p999_ns,wait_max_ns,hold_total_ns,hold_p50_ns,hold_p99_ns," \
	"hold_p999_ns,hold_max_ns,parked,parked_wait_ns,role"

static void lock_row(FILE *f, const sbp_entry_t *e, uint64_t park_site, const char *tail)
{
	uint64_t np;
	double tp;
	parked(&e->hist[0], &np, &tp);
	fprintf(f,
		",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.6f,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
		",%" PRIu64,
		e->acquisitions, e->contended, e->acquisitions - e->contended,
		e->acquisitions ? (double)e->contended / (double)e->acquisitions : 0.0, e->owner_changes,
		e->trylock_fail, e->timeouts, e->errors, e->relocks, e->hist[1].count);
	pct(f, &e->hist[0]);
	pct(f, &e->hist[1]);
	fprintf(f, ",%" PRIu64 ",%.0f,%s%s\n", np, tp, role(e, tp, park_site), tail);
}

static void hist_rows(FILE *f, int pid, const sbp_entry_t *e, const char *site, int which, const char *name)
{
	const sb_hist_t *h = &e->hist[which];
	for (int i = 0; i < SB_HIST_NBUCKETS; i++) {
		if (!h->bucket[i])
			continue;
		uint64_t lo = sb_hist_bucket_lower(i);
		fprintf(f, "%d,%s,0x%" PRIx64 ",%s,%s,%.1f,%.1f,%" PRIu64 "\n", pid, kind_name(e->kind), e->class_pc,
			site, name, ns(lo), ns(lo + sb_hist_bucket_width(i)), h->bucket[i]);
	}
}

typedef struct outs {
	FILE *locks, *sites, *conds, *hists, *procs, *rules, *order, *blockers, *handoffs, *stacks;
} outs_t;

static sb_topo_t *topo; /* this machine's, for the handoffs' distance classes; NULL: unknown */

static outs_t o; /* the output files (main's; the process's life) */

/* ---- rules, order edges, blockers ----------------------------------------- */

static const char *rule_name(uint32_t r)
{
	static const char *const n[] = {"?",         "recursion",    "not-owner",  "out-of-order",
					"exit-held", "destroy-held", "hold-limit", "order-inversion"};
	return r < SBP_NRULES ? n[r] : "?";
}

/* Class keys as the CSVs show them: the class pc in hex (0: none). */
static uint64_t kpc(uint64_t key)
{
	return key >> 1;
}

static int cmp_finding(const void *a, const void *b)
{
	const sbp_finding_t *x = *(sbp_finding_t *const *)a, *y = *(sbp_finding_t *const *)b;
#define CMP(f)            \
	if (x->f != y->f) \
		return x->f < y->f ? -1 : 1;
	CMP(rule) CMP(class_key) CMP(kind) CMP(site_a) CMP(site_b) CMP(class_b) CMP(aux) return 0;
#undef CMP
}

static int cmp_edge(const void *a, const void *b)
{
	const sbp_edge_t *x = a, *y = b;
#define CMP(f)            \
	if (x->f != y->f) \
		return x->f < y->f ? -1 : 1;
	CMP(a) CMP(b) CMP(site_a) CMP(site_b) return 0;
#undef CMP
}

static int cmp_blocker(const void *a, const void *b)
{
	const sbp_blocker_t *x = a, *y = b;
#define CMP(f)            \
	if (x->f != y->f) \
		return x->f < y->f ? -1 : 1;
	CMP(class_key) CMP(kind) CMP(waiter_site) CMP(holder_site) return 0;
#undef CMP
}

/* Tarjan's strongly connected components over the class graph of ed[0..ne)
 * (sorted by a): comp[i] of node i; nodes are the distinct class keys. */
typedef struct graph {
	uint64_t *node; /* sorted distinct keys */
	size_t nn;
	const sbp_edge_t *ed;
	size_t ne;
	size_t *first; /* first edge of node i (edges sorted by a) */
	long *idx, *low, *comp, *stack;
	char *on;
	long counter, sp, ncomp;
} graph_t;

static size_t node_of(const graph_t *g, uint64_t key)
{
	size_t lo = 0, hi = g->nn;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (g->node[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void strong(graph_t *g, size_t v)
{
	g->idx[v] = g->low[v] = g->counter++;
	g->stack[g->sp++] = (long)v;
	g->on[v] = 1;
	for (size_t k = g->first[v]; k < g->ne && g->ed[k].a == g->node[v]; k++) {
		size_t w = node_of(g, g->ed[k].b);
		if (g->idx[w] < 0) {
			strong(g, w);
			if (g->low[w] < g->low[v])
				g->low[v] = g->low[w];
		} else if (g->on[w] && g->idx[w] < g->low[v]) {
			g->low[v] = g->idx[w];
		}
	}
	if (g->low[v] == g->idx[v]) {
		long w;
		do {
			w = g->stack[--g->sp];
			g->on[w] = 0;
			g->comp[w] = g->ncomp;
		} while ((size_t)w != v);
		g->ncomp++;
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/*
 * The order edges of one process (merged over slots): order.csv gets every
 * edge with its cycle (0: on none); rules.csv an order-inversion row per
 * edge on a cycle (a strongly connected component of two or more classes).
 */
static void order_rows(int pid, sbp_edge_t *ed, size_t ne)
{
	size_t m = 0;
	qsort(ed, ne, sizeof *ed, cmp_edge);
	for (size_t i = 0; i < ne; i++) {
		if (m && cmp_edge(&ed[m - 1], &ed[i]) == 0)
			ed[m - 1].count += ed[i].count;
		else
			ed[m++] = ed[i];
	}
	ne = m;
	graph_t g = {0};
	g.node = malloc((2 * ne + 1) * sizeof *g.node);
	for (size_t i = 0; g.node && i < ne; i++) {
		g.node[g.nn++] = ed[i].a;
		g.node[g.nn++] = ed[i].b;
	}
	if (!g.node)
		return;
	qsort(g.node, g.nn, sizeof *g.node, cmp_u64);
	m = 0;
	for (size_t i = 0; i < g.nn; i++)
		if (!m || g.node[m - 1] != g.node[i])
			g.node[m++] = g.node[i];
	g.nn = m;
	g.ed = ed;
	g.ne = ne;
	g.first = calloc(g.nn + 1, sizeof *g.first);
	g.idx = malloc((g.nn + 1) * sizeof *g.idx);
	g.low = calloc(g.nn + 1, sizeof *g.low);
	g.comp = calloc(g.nn + 1, sizeof *g.comp);
	g.stack = calloc(g.nn + 1, sizeof *g.stack);
	g.on = calloc(g.nn + 1, 1);
	long *size = calloc(g.nn + 1, sizeof *size);
	if (g.first && g.idx && g.low && g.comp && g.stack && g.on && size) {
		for (size_t v = 0, k = 0; v < g.nn; v++) {
			while (k < ne && ed[k].a < g.node[v])
				k++;
			g.first[v] = k;
			g.idx[v] = -1;
		}
		for (size_t v = 0; v < g.nn; v++)
			if (g.idx[v] < 0)
				strong(&g, v);
		for (size_t v = 0; v < g.nn; v++)
			size[g.comp[v]]++;
		/* cycles numbered 1.. in the order of their first edge */
		long *num = calloc((size_t)g.ncomp + 1, sizeof *num), next = 1;
		for (size_t k = 0; num && k < ne; k++) {
			long ca = g.comp[node_of(&g, ed[k].a)], cb = g.comp[node_of(&g, ed[k].b)];
			long cyc = 0;
			if (ca == cb && size[ca] > 1) {
				if (!num[ca])
					num[ca] = next++;
				cyc = num[ca];
				fprintf(o.rules,
					"%d,order-inversion,%s,0x%" PRIx64 ",0x%" PRIx64 ",0x%" PRIx64 ",0x%" PRIx64
					",0x0,%d,0,%" PRIu64 ",,,,,,cycle %ld of %ld classes\n",
					pid, kind_name(ed[k].kind_b), kpc(ed[k].a), ed[k].site_a, ed[k].site_b,
					kpc(ed[k].b), ed[k].tid, ed[k].count, cyc, size[ca]);
			}
			fprintf(o.order,
				"%d,%s,0x%" PRIx64 ",0x%" PRIx64 ",%s,0x%" PRIx64 ",0x%" PRIx64 ",%d,%" PRIu64 ",%ld\n",
				pid, kind_name(ed[k].kind_a), kpc(ed[k].a), ed[k].site_a, kind_name(ed[k].kind_b),
				kpc(ed[k].b), ed[k].site_b, ed[k].tid, ed[k].count, cyc);
		}
		free(num);
	}
	free(size);
	free(g.on);
	free(g.stack);
	free(g.comp);
	free(g.low);
	free(g.idx);
	free(g.first);
	free(g.node);
}

static int cmp_handoff(const void *a, const void *b)
{
	const sbp_handoff_t *x = a, *y = b;
#define CMP(f)            \
	if (x->f != y->f) \
		return x->f < y->f ? -1 : 1;
	CMP(class_key) CMP(kind) return 0;
#undef CMP
}

/*
 * handoffs.csv: per class and kind, the owner changes by the distance
 * class (harness/topo.h) between the CPU of the previous owner's
 * acquisition and the acquirer's: this machine's topology, as run-bench
 * classifies its handoff pairs; "unknown" when a CPU is not in it.
 */
static void handoff_rows(int pid, const sbp_slot_t *const *sl, uint32_t used)
{
	size_t n = 0;
	sbp_handoff_t *h = malloc((size_t)used * SBP_HANDOFFS * sizeof *h + 1);
	if (!h)
		return;
	for (uint32_t s = 0; s < used; s++)
		for (int i = 0; i < SBP_HANDOFFS; i++)
			if (sl[s]->handoff[i].class_key)
				h[n++] = sl[s]->handoff[i];
	qsort(h, n, sizeof *h, cmp_handoff);
	for (size_t i = 0; i < n;) {
		uint64_t cnt[SB_DIST_NCLASSES + 1] = {0}, con[SB_DIST_NCLASSES + 1] = {0},
						wt[SB_DIST_NCLASSES + 1] = {0};
		size_t j = i;
		for (; j < n && cmp_handoff(&h[i], &h[j]) == 0; j++) {
			sb_dist_t d = topo ? sb_topo_classify(topo, h[j].from_cpu, h[j].to_cpu) : SB_DIST_NCLASSES;
			cnt[d] += h[j].count;
			con[d] += h[j].contended;
			wt[d] += h[j].wait_ticks;
		}
		for (int d = 0; d <= SB_DIST_NCLASSES; d++) {
			if (!cnt[d])
				continue;
			fprintf(o.handoffs, "%d,%s,0x%" PRIx64 ",%s,%" PRIu64 ",%" PRIu64 ",%.0f,", pid,
				kind_name(h[i].kind), kpc(h[i].class_key),
				d == SB_DIST_NCLASSES ? "unknown" : sb_dist_name((sb_dist_t)d), cnt[d], con[d],
				ns(wt[d]));
			if (con[d])
				fprintf(o.handoffs, "%.0f\n", ns(wt[d]) / (double)con[d]);
			else
				fprintf(o.handoffs, "NA\n");
		}
		i = j;
	}
	free(h);
}

static int cmp_stack(const void *a, const void *b)
{
	const sbp_stack_t *x = a, *y = b;
#define CMP(f)            \
	if (x->f != y->f) \
		return x->f < y->f ? -1 : 1;
	CMP(class_key) CMP(kind) CMP(site) CMP(callers[0]) CMP(callers[1]) CMP(callers[2]) return 0;
#undef CMP
}

/* stacks.csv: contended acquisitions per (class, kind, site, the frames
 * above the site), summed over the slots. */
static void stack_rows(int pid, const sbp_slot_t *const *sl, uint32_t used)
{
	size_t n = 0;
	sbp_stack_t *st = malloc((size_t)used * SBP_STACKS * sizeof *st + 1);
	if (!st)
		return;
	for (uint32_t s = 0; s < used; s++)
		for (int i = 0; i < SBP_STACKS; i++)
			if (sl[s]->stack[i].class_key)
				st[n++] = sl[s]->stack[i];
	qsort(st, n, sizeof *st, cmp_stack);
	for (size_t i = 0; i < n;) {
		sbp_stack_t sum = st[i];
		size_t j = i + 1;
		for (; j < n && cmp_stack(&st[i], &st[j]) == 0; j++) {
			sum.count += st[j].count;
			sum.wait_ticks += st[j].wait_ticks;
		}
		fprintf(o.stacks,
			"%d,%s,0x%" PRIx64 ",0x%" PRIx64 ",0x%" PRIx64 ",0x%" PRIx64 ",0x%" PRIx64 ",%" PRIu64
			",%.0f\n",
			pid, kind_name(sum.kind), kpc(sum.class_key), sum.site, sum.callers[0], sum.callers[1],
			sum.callers[2], sum.count, ns(sum.wait_ticks));
		i = j;
	}
	free(st);
}

/* The findings, order edges and blockers of the slots of one process. */
static void rule_rows(int pid, const sbp_slot_t *const *sl, uint32_t used)
{
	size_t nf = 0, ne = 0, nb = 0;
	const sbp_finding_t **f = malloc((size_t)used * SBP_FINDINGS * sizeof *f + 1);
	sbp_edge_t *ed = malloc((size_t)used * SBP_EDGES * sizeof *ed + 1);
	sbp_blocker_t *bl = malloc((size_t)used * SBP_BLOCKERS * sizeof *bl + 1);
	if (!f || !ed || !bl) {
		free(f);
		free(ed);
		free(bl);
		return;
	}
	for (uint32_t s = 0; s < used; s++) {
		for (int i = 0; i < SBP_FINDINGS; i++)
			if (sl[s]->finding[i].class_key)
				f[nf++] = &sl[s]->finding[i];
		for (int i = 0; i < SBP_EDGES; i++)
			if (sl[s]->edge[i].a)
				ed[ne++] = sl[s]->edge[i];
		for (int i = 0; i < SBP_BLOCKERS; i++)
			if (sl[s]->blocker[i].class_key)
				bl[nb++] = sl[s]->blocker[i];
	}
	qsort(f, nf, sizeof *f, cmp_finding);
	for (size_t i = 0; i < nf;) {
		sbp_finding_t sum = *f[i];
		size_t j = i + 1;
		for (; j < nf && cmp_finding(&f[i], &f[j]) == 0; j++) {
			sum.count += f[j]->count;
			sum.max_ticks = f[j]->max_ticks > sum.max_ticks ? f[j]->max_ticks : sum.max_ticks;
			sum.migrated += f[j]->migrated;
			sum.measured += f[j]->measured;
			sum.preempted += f[j]->preempted;
			sum.faulted += f[j]->faulted;
		}
		const sbp_finding_t *x = &sum;
		const char *detail = "";
		uint64_t other_site = 0;
		if (x->rule == SBP_R_EXIT_HELD)
			detail = x->aux == 2 ? "process exit" : "thread exit";
		else if (x->rule == SBP_R_OUT_OF_ORDER)
			other_site = x->aux; /* the later lock, still held: class_b, taken there */
		fprintf(o.rules,
			"%d,%s,%s,0x%" PRIx64 ",0x%" PRIx64 ",0x%" PRIx64 ",0x%" PRIx64 ",0x%" PRIx64 ",%d,%d,%" PRIu64,
			pid, rule_name(x->rule), kind_name(x->kind), kpc(x->class_key), x->site_a, x->site_b,
			kpc(x->class_b), other_site, x->tid, x->other_tid, x->count);
		if (x->rule == SBP_R_HOLD_LIMIT)
			fprintf(o.rules, ",%.0f,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",", ns(x->max_ticks),
				x->migrated, x->measured, x->preempted, x->faulted);
		else
			fprintf(o.rules, ",,,,,,");
		fprintf(o.rules, "%s\n", detail);
		i = j;
	}
	order_rows(pid, ed, ne);
	qsort(bl, nb, sizeof *bl, cmp_blocker);
	for (size_t i = 0; i < nb;) {
		sbp_blocker_t sum = bl[i];
		size_t j = i + 1;
		for (; j < nb && cmp_blocker(&bl[i], &bl[j]) == 0; j++) {
			sum.count += bl[j].count;
			sum.wait_ticks += bl[j].wait_ticks;
		}
		fprintf(o.blockers, "%d,%s,0x%" PRIx64 ",0x%" PRIx64 ",0x%" PRIx64 ",%d,%" PRIu64 ",%.0f\n", pid,
			kind_name(sum.kind), kpc(sum.class_key), sum.waiter_site, sum.holder_site, sum.holder_tid,
			sum.count, ns(sum.wait_ticks));
		i = j;
	}
	free(f);
	free(ed);
	free(bl);
}

/* One process's file: merge its slots, write its rows. */
static int one_file(const char *path, outs_t *dst)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || (size_t)st.st_size < sizeof(sbp_file_t)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	const sbp_file_t *fh = p;
	if (memcmp(fh->magic, SBP_MAGIC, sizeof SBP_MAGIC) != 0 || fh->version != SBP_VERSION ||
	    fh->slot_size != sizeof(sbp_slot_t) || fh->entry_size != sizeof(sbp_entry_t) ||
	    (size_t)st.st_size < SBP_PAGE + (size_t)fh->nslots * sizeof(sbp_slot_t)) {
		munmap(p, (size_t)st.st_size);
		return -1;
	}
	uint32_t used = atomic_load(&((sbp_file_t *)p)->slots_used);
	if (used > fh->nslots)
		used = fh->nslots;
	size_t n = 0, cap = 64;
	const sbp_entry_t **v = malloc(cap * sizeof *v);
	uint64_t table_full = 0, unmatched = 0, held_over = 0, threads = 0, ffull = 0, efull = 0, bfull = 0, hfull = 0,
		 excused = 0;
	const sbp_slot_t **slots = calloc(used + 1, sizeof *slots);
	for (uint32_t s = 0; s < used && v; s++) {
		const sbp_slot_t *sl = (const sbp_slot_t *)((const char *)p + SBP_PAGE +
							    (size_t)s * sizeof(sbp_slot_t));
		table_full += sl->table_full;
		unmatched += sl->unmatched_unlock;
		held_over += sl->held_overflow;
		threads += sl->threads;
		ffull += sl->findings_full;
		efull += sl->edges_full;
		bfull += sl->blockers_full;
		hfull += sl->handoffs_full;
		excused += sl->limit_excused;
		if (slots)
			slots[s] = sl;
		for (int i = 0; i < SBP_ENTRIES; i++) {
			if (!sl->entry[i].class_pc)
				continue;
			if (n == cap) {
				const sbp_entry_t **nv = realloc(v, 2 * cap * sizeof *v);
				if (!nv)
					break;
				v = nv;
				cap *= 2;
			}
			v[n++] = &sl->entry[i];
		}
	}
	if (!v || !slots) {
		free(v);
		free(slots);
		munmap(p, (size_t)st.st_size);
		return -1;
	}
	char swap_name[sizeof fh->swap_lock + 1];
	memcpy(swap_name, fh->swap_lock, sizeof fh->swap_lock);
	swap_name[sizeof fh->swap_lock] = 0;
	for (char *c = swap_name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'))
			*c = '?'; /* a CSV field, whatever the environment said */
	fprintf(dst->procs,
		"%d,%d,%u,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%u,%" PRIu64 ",%" PRIu64 ",%.0f,%" PRIu64
		",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%u,%" PRIu64 ",%s,%lu,%lu,%lu,%lu,%lu,%lu,%" PRIu64 "\n",
		fh->pid, fh->ppid, fh->fork_child, fh->state == 2 ? "exit" : "no-destructor", threads, table_full,
		unmatched, held_over, (unsigned)atomic_load(&((sbp_file_t *)p)->slots_full),
		(uint64_t)atomic_load(&((sbp_file_t *)p)->early_calls),
		(uint64_t)atomic_load(&((sbp_file_t *)p)->side_full),
		fh->state == 2 ? (double)(fh->end_ns - fh->start_ns) : -1.0, ffull, efull, bfull, fh->hold_limit_ns,
		fh->hold_limit_kinds, excused, fh->swap_lock[0] ? swap_name : "pthread",
		atomic_load(&((sbp_file_t *)p)->swap_counts[0]), atomic_load(&((sbp_file_t *)p)->swap_counts[1]),
		atomic_load(&((sbp_file_t *)p)->swap_counts[2]), atomic_load(&((sbp_file_t *)p)->swap_counts[3]),
		atomic_load(&((sbp_file_t *)p)->swap_counts[4]), atomic_load(&((sbp_file_t *)p)->swap_counts[5]),
		hfull);
	rule_rows(fh->pid, slots, used);
	handoff_rows(fh->pid, slots, used);
	stack_rows(fh->pid, slots, used);
	free(slots);

	qsort(v, n, sizeof *v, cmp_site);
	agg_t *site = calloc(1, sizeof *site), *cls = calloc(1, sizeof *cls);
	for (size_t i = 0; i < n && site && cls;) {
		/* one class and kind: v[i .. j) */
		size_t j = i;
		uint64_t park_site = 0;
		memset(cls, 0, sizeof *cls);
		cls->e = *v[i];
		sb_hist_init(&cls->e.hist[0]);
		sb_hist_init(&cls->e.hist[1]);
		memset(&cls->e.acquisitions, 0, offsetof(sbp_entry_t, hist) - offsetof(sbp_entry_t, acquisitions));
		while (j < n && v[j]->class_pc == v[i]->class_pc && v[j]->origin == v[i]->origin &&
		       v[j]->kind == v[i]->kind) {
			size_t k = j;
			memset(site, 0, sizeof *site);
			site->e = *v[j];
			while (k < n && cmp_site(&v[k], &v[j]) == 0)
				k++;
			for (size_t m = j + 1; m < k; m++)
				add(&site->e, v[m]);
			add(&cls->e, &site->e);
			uint64_t p50 = sb_hist_percentile(&site->e.hist[1], 50);
			if (site->e.acquisitions && site->e.acquisitions >= site->e.relocks && p50 > park_site)
				park_site = p50; /* holds begun mostly by lock calls, not condvar relocks */
			cls->sites++;
			const sbp_entry_t *e = &site->e;
			char sitepc[32];
			snprintf(sitepc, sizeof sitepc, "0x%" PRIx64, e->site_pc);
			if (e->kind == SBP_K_COND) {
				fprintf(dst->conds,
					"%d,0x%" PRIx64 ",%s,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
					",%" PRIu64,
					fh->pid, e->class_pc, e->origin == SBP_O_INIT ? "init" : "first-use", sitepc,
					e->cond_waits, e->timeouts, e->cond_unsplit, e->signals, e->broadcasts);
				pct(dst->conds, &e->hist[0]);
				pct(dst->conds, &e->hist[1]);
				fputc('\n', dst->conds);
				hist_rows(dst->hists, fh->pid, e, sitepc, 0, "signal_wait");
				hist_rows(dst->hists, fh->pid, e, sitepc, 1, "reacquire");
			} else {
				fprintf(dst->sites, "%d,%s,0x%" PRIx64 ",%s,%s", fh->pid, kind_name(e->kind),
					e->class_pc, e->origin == SBP_O_INIT ? "init" : "first-use", sitepc);
				/* the first frames above the site that any thread saw */
				uint64_t c0 = 0, c1 = 0;
				for (size_t m = j; m < k && !c0; m++) {
					c0 = v[m]->first_callers[0];
					c1 = v[m]->first_callers[1];
				}
				char tail[64];
				snprintf(tail, sizeof tail, ",0x%" PRIx64 ",0x%" PRIx64, c0, c1);
				lock_row(dst->sites, e, sb_hist_percentile(&e->hist[1], 50), tail);
			}
			j = k;
		}
		const sbp_entry_t *e = &cls->e;
		if (e->kind != SBP_K_COND) {
			fprintf(dst->locks, "%d,%s,0x%" PRIx64 ",%s,%" PRIu64, fh->pid, kind_name(e->kind), e->class_pc,
				e->origin == SBP_O_INIT ? "init" : "first-use", cls->sites);
			lock_row(dst->locks, e, park_site, "");
			hist_rows(dst->hists, fh->pid, e, "*", 0, "wait");
			hist_rows(dst->hists, fh->pid, e, "*", 1, "hold");
		}
		i = j;
	}
	free(site);
	free(cls);
	free(v);
	munmap(p, (size_t)st.st_size);
	return 0;
}

static FILE *csv(const char *dir, const char *name, const char *head)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (f)
		fprintf(f, "%s\n", head);
	return f;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: sbprof-report RAWDIR OUTDIR [PARK_NS]\n");
		return 1;
	}
	sb_clock_info_t ci;
	if (sb_clock_init(&ci) != 0) {
		fprintf(stderr, "sbprof-report: the clock could not be calibrated\n");
		return 1;
	}
	ns_per_tick = sb_ns_per_tick();
	park_ticks = sb_ns_to_ticks(argc > 3 ? atof(argv[3]) : 1e6);

	o.locks = csv(argv[2], "locks.csv", "pid,kind,class,origin,sites," LOCK_HEAD);
	o.sites = csv(argv[2], "sites.csv", "pid,kind,class,origin,site," LOCK_HEAD ",caller_1,caller_2");
	o.conds = csv(argv[2], "conds.csv",
		      "pid,class,origin,site,waits,timeouts,unsplit,signals,broadcasts,signal_wait_total_ns,"
		      "signal_wait_p50_ns,signal_wait_p99_ns,signal_wait_p999_ns,signal_wait_max_ns,reacquire_total_ns,"
		      "reacquire_p50_ns,reacquire_p99_ns,reacquire_p999_ns,reacquire_max_ns");
	o.hists = csv(argv[2], "histograms.csv", "pid,kind,class,site,histogram,lower_ns,upper_ns,count");
	o.procs = csv(argv[2], "processes.csv",
		      "pid,ppid,fork_child,ended,threads,table_full,unmatched_unlocks,held_overflow,slots_full,"
		      "early_calls,side_table_full,lifetime_ns,findings_full,edges_full,blockers_full,hold_limit_ns,"
		      "hold_limit_kinds,hold_limit_excused,lock,swapped,passed_pshared,passed_robust,passed_pi,"
		      "passed_pp,passed_early,handoffs_full");
	o.rules = csv(argv[2], "rules.csv",
		      "pid,rule,kind,class,site_a,site_b,class_b,other_site,tid,other_tid,count,max_hold_ns,migrated,"
		      "measured,preempted,faulted,detail");
	o.order = csv(argv[2], "order.csv", "pid,kind_a,class_a,site_a,kind_b,class_b,site_b,tid,count,cycle");
	o.blockers = csv(argv[2], "blockers.csv",
			 "pid,kind,class,waiter_site,holder_site,holder_tid,count,wait_total_ns");
	o.handoffs = csv(argv[2], "handoffs.csv",
			 "pid,kind,class,distance,handoffs,contended,wait_total_ns,wait_mean_ns");
	o.stacks = csv(argv[2], "stacks.csv", "pid,kind,class,site,caller_1,caller_2,caller_3,contended,wait_total_ns");
	topo = sb_topo_load(NULL, NULL, 0);
	if (!o.locks || !o.sites || !o.conds || !o.hists || !o.procs || !o.rules || !o.order || !o.blockers ||
	    !o.handoffs || !o.stacks) {
		fprintf(stderr, "sbprof-report: cannot write to %s\n", argv[2]);
		return 1;
	}
	DIR *d = opendir(argv[1]);
	struct dirent *de;
	int bad = 0, files = 0;
	while (d && (de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (strncmp(de->d_name, "prof-", 5) != 0 || l < 9 || strcmp(de->d_name + l - 4, ".bin") != 0)
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", argv[1], de->d_name);
		if (one_file(path, &o) != 0) {
			fprintf(stderr, "sbprof-report: %s is not a profile record\n", path);
			bad = 1;
		}
		files++;
	}
	if (d)
		closedir(d);
	if (fclose(o.locks) | fclose(o.sites) | fclose(o.conds) | fclose(o.hists) | fclose(o.procs) | fclose(o.rules) |
	    fclose(o.order) | fclose(o.blockers) | fclose(o.handoffs) | fclose(o.stacks)) {
		fprintf(stderr, "sbprof-report: cannot write to %s\n", argv[2]);
		return 1;
	}
	printf("{\"source\": \"%s\", \"ns_per_tick\": %.9f, \"invariant\": %d, \"ordering\": \"%s\", \"records\": %d}\n",
	       ci.source, ns_per_tick, ci.invariant, SB_CLOCK_ORDERING, files);
	return bad;
}
