/*
 * c2c.c - core-to-core latency and counter offset between PU pairs, and the
 * plan of which pairs to measure.  Contracts in c2c.h.
 */
#include "c2c.h"
#include "parse.h"

#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "clock.h"
#include "stats.h"

/* The ping-pong line: the sequence word and the answer's two timestamps. */
typedef struct c2c_line {
	SB_ALIGNED _Atomic(uint64_t) seq;
	_Atomic(uint64_t) t_recv, t_send; /* b's counter, offset phase */
} c2c_line_t;

typedef struct c2c_ctx {
	c2c_line_t line;
	SB_ALIGNED atomic_int ready; /* control: off the measured line */
	atomic_int abort;
	const sb_topo_t *t;
	int pu[2];
	int warm, samples;
	uint64_t *rtt;  /* [samples], ticks, a's counter */
	double *offset; /* [samples], ticks, b minus a */
	int failed[2];
	char err[2][256];
} c2c_ctx_t;

typedef struct c2c_arg {
	c2c_ctx_t *c;
	int side; /* 0: a (times), 1: b (answers) */
} c2c_arg_t;

/*
 * Wait for seq == want: a tight loop (no pause, see c2c.h) that looks at the
 * clock and the abort flag every 4096 iterations.  0; -1 on timeout (abort
 * is then set for the peer); -2 when the peer aborted.
 */
static int wait_seq(c2c_ctx_t *c, uint64_t want)
{
	uint64_t deadline = 0;
	unsigned k = 0;

	/* acquire: pairs with the peer's release store of seq. */
	while (atomic_load_explicit(&c->line.seq, memory_order_acquire) != want) {
		if (++k % 4096)
			continue;
		if (atomic_load_explicit(&c->abort, memory_order_relaxed))
			return -2;
		uint64_t now = sb_now_ns();
		if (!deadline) {
			deadline = now + SB_C2C_TIMEOUT_NS;
		} else if (now > deadline) {
			atomic_store_explicit(&c->abort, 1, memory_order_relaxed);
			return -1;
		}
	}
	return 0;
}

static void *c2c_thread(void *p)
{
	c2c_arg_t *arg = p;
	c2c_ctx_t *c = arg->c;
	const int side = arg->side, rounds = c->warm + c->samples;
	uint64_t seq = 0;
	int rc = 0;

	if (sb_topo_bind_self(c->t, c->pu[side], c->err[side], sizeof(c->err[side])) != 0) {
		c->failed[side] = 1;
		atomic_store(&c->abort, 1);
	}
	atomic_fetch_add(&c->ready, 1);
	while (atomic_load(&c->ready) < 2)
		sched_yield();
	if (atomic_load(&c->abort))
		return NULL;

	/* Round trips: a sends odd numbers, b answers with the next even one. */
	for (int i = 0; i < rounds; i++) {
		if (side == 0) {
			uint64_t t0 = sb_tick_start();
			/* release: pairs with b's acquire in wait_seq(). */
			atomic_store_explicit(&c->line.seq, ++seq, memory_order_release);
			if ((rc = wait_seq(c, ++seq)) != 0)
				goto timeout;
			uint64_t t1 = sb_tick_end();
			if (i >= c->warm)
				c->rtt[i - c->warm] = t1 - t0;
		} else {
			if ((rc = wait_seq(c, ++seq)) != 0)
				goto timeout;
			/* release: pairs with a's acquire in wait_seq(). */
			atomic_store_explicit(&c->line.seq, ++seq, memory_order_release);
		}
	}
	/* Offset: b stamps when it sees a's message and when it answers. */
	for (int i = 0; i < c->samples; i++) {
		if (side == 0) {
			uint64_t t_send = sb_tick_start();
			/* release: pairs with b's acquire in wait_seq(). */
			atomic_store_explicit(&c->line.seq, ++seq, memory_order_release);
			if ((rc = wait_seq(c, ++seq)) != 0)
				goto timeout;
			uint64_t t_recv = sb_tick_end();
			/* Relaxed: ordered by the acquire of seq in wait_seq(). */
			uint64_t b_recv = atomic_load_explicit(&c->line.t_recv, memory_order_relaxed);
			uint64_t b_send = atomic_load_explicit(&c->line.t_send, memory_order_relaxed);
			double fwd = (double)(int64_t)(b_recv - t_send);
			double bwd = (double)(int64_t)(t_recv - b_send);
			c->offset[i] = (fwd - bwd) / 2.0;
		} else {
			if ((rc = wait_seq(c, ++seq)) != 0)
				goto timeout;
			uint64_t b_recv = sb_tick_end();
			atomic_store_explicit(&c->line.t_recv, b_recv, memory_order_relaxed);
			atomic_store_explicit(&c->line.t_send, sb_tick_start(), memory_order_relaxed);
			/* release: publishes the two stamps; pairs with a's acquire. */
			atomic_store_explicit(&c->line.seq, ++seq, memory_order_release);
		}
	}
	return NULL;
timeout:
	if (rc == -1) { /* ours; -2: the peer's, it reports */
		c->failed[side] = 1;
		sb_seterr(c->err[side], sizeof(c->err[side]), "c2c: PU %d got no answer from PU %d within %.1f s",
			  c->pu[side], c->pu[1 - side], (double)SB_C2C_TIMEOUT_NS / 1e9);
	}
	return NULL;
}

int sb_c2c_pair(const sb_topo_t *t, int a, int b, int samples, sb_c2c_row_t *out, char *err, size_t errlen)
{
	c2c_ctx_t *c;
	c2c_arg_t args[2];
	pthread_t th[2];
	int started = 0, rc = 0;

	if (!sb_topo_is_thissystem(t)) {
		sb_seterr(err, errlen,
			  "c2c: the topology is not this system (loaded from XML): binding refused, "
			  "nothing measured");
		return -1;
	}
	if (a == b || !sb_topo_has_pu(t, a) || !sb_topo_has_pu(t, b) || samples < 1) {
		sb_seterr(err, errlen,
			  "c2c: invalid pair %d,%d or samples %d (two distinct PUs of this system, "
			  "samples >= 1)",
			  a, b, samples);
		return -1;
	}
	c = aligned_alloc(SB_CACHELINE, (sizeof(*c) + SB_CACHELINE - 1) / SB_CACHELINE * SB_CACHELINE);
	if (!c) {
		sb_seterr(err, errlen, "c2c: out of memory");
		return -1;
	}
	memset(c, 0, sizeof(*c));
	c->t = t;
	c->pu[0] = a;
	c->pu[1] = b;
	c->samples = samples;
	c->warm = 64 + samples / 10;
	c->rtt = calloc((size_t)samples, sizeof(*c->rtt));
	c->offset = calloc((size_t)samples, sizeof(*c->offset));
	if (!c->rtt || !c->offset) {
		sb_seterr(err, errlen, "c2c: out of memory");
		rc = -1;
		goto out;
	}
	for (int s = 0; s < 2; s++) {
		args[s] = (c2c_arg_t){c, s};
		if (pthread_create(&th[s], NULL, c2c_thread, &args[s]) != 0) {
			sb_seterr(err, errlen, "c2c: cannot start a thread for PU %d", c->pu[s]);
			atomic_store(&c->abort, 1);
			atomic_fetch_add(&c->ready, 2); /* release the one already started */
			rc = -1;
			break;
		}
		started++;
	}
	for (int s = 0; s < started; s++)
		pthread_join(th[s], NULL);
	if (rc)
		goto out;
	for (int s = 0; s < 2; s++)
		if (c->failed[s]) {
			sb_seterr(err, errlen, "%s", c->err[s]);
			rc = -1;
			goto out;
		}
	{
		double npt = sb_ns_per_tick();
		double *ns = malloc((size_t)samples * sizeof(*ns));
		double lo = 0;

		if (!ns) {
			sb_seterr(err, errlen, "c2c: out of memory");
			rc = -1;
			goto out;
		}
		for (int i = 0; i < samples; i++) {
			ns[i] = (double)c->rtt[i] * npt / 2.0;
			if (i == 0 || ns[i] < lo)
				lo = ns[i];
		}
		out->from_pu = a;
		out->to_pu = b;
		out->cls = sb_topo_classify(t, a, b);
		out->median_ns = sb_median_d(ns, samples);
		out->min_ns = lo;
		out->samples = samples;
		out->offset_ns = sb_median_d(c->offset, samples) * npt;
		free(ns);
	}
out:
	free(c->rtt);
	free(c->offset);
	free(c);
	return rc;
}

int sb_c2c_group(const sb_topo_t *t, int pu)
{
	sb_pu_info_t pi;

	if (sb_topo_pu_info(t, pu, &pi) != 0)
		return -1;
	return pi.l3 >= 0 ? pi.l3 : 100000 + pi.node;
}

/* Append (a, b) unless the unordered pair is there already; new count. */
static int add_pair(int (*pairs)[2], int k, int a, int b)
{
	for (int i = 0; i < k; i++)
		if ((pairs[i][0] == a && pairs[i][1] == b) || (pairs[i][0] == b && pairs[i][1] == a))
			return k;
	pairs[k][0] = a;
	pairs[k][1] = b;
	return k + 1;
}

int sb_c2c_plan(const sb_topo_t *t, const int *pus, int n, int max_pairs, int (*pairs)[2])
{
	enum { NC = SB_DIST_NCLASSES };
	int *u = NULL, *grp = NULL, (*cand)[2] = NULL, *ccls = NULL;
	int m = 0, k = 0, ncand = 0;
	int covered[NC] = {0};

	if (n < 2 || max_pairs < 1)
		return 0;
	u = malloc((size_t)n * sizeof(*u));
	grp = malloc((size_t)n * sizeof(*grp));
	if (!u || !grp)
		goto out;
	for (int i = 0; i < n; i++) {
		int dup = 0;

		if (!sb_topo_has_pu(t, pus[i]))
			continue;
		for (int j = 0; j < m && !dup; j++)
			dup = u[j] == pus[i];
		if (!dup)
			u[m++] = pus[i];
	}
	if (m < 2)
		goto out;

	/* Small: every pair, in list order. */
	if ((long long)m * (m - 1) / 2 <= max_pairs) {
		for (int i = 0; i < m; i++)
			for (int j = i + 1; j < m; j++) {
				pairs[k][0] = u[i];
				pairs[k][1] = u[j];
				k++;
			}
		goto out;
	}

	/*
	 * Large: from the first PU of each core group, one pair per class, to
	 * the first listed PU at that distance.  At most NC - 1 per group, plus
	 * one per class found only by the scan below.
	 */
	for (int i = 0; i < m; i++)
		grp[i] = sb_c2c_group(t, u[i]);
	cand = malloc((size_t)(m + 1) * NC * sizeof(*cand));
	ccls = malloc((size_t)(m + 1) * NC * sizeof(*ccls));
	if (!cand || !ccls)
		goto out;
	for (int i = 0; i < m; i++) {
		int first = 1, found[NC] = {0};

		for (int j = 0; j < i && first; j++)
			first = grp[j] != grp[i];
		if (!first)
			continue;
		for (int j = 0; j < m; j++) {
			sb_dist_t d = sb_topo_classify(t, u[i], u[j]);

			if (d == SB_DIST_SELF || d >= SB_DIST_NCLASSES || found[d])
				continue;
			found[d] = 1;
			int before = ncand;
			ncand = add_pair(cand, ncand, u[i], u[j]);
			if (ncand > before)
				ccls[before] = d;
			covered[d] = 1;
		}
	}
	/* A class that no group's first PU sees (uneven machines): first pair of it. */
	for (int i = 0; i < m; i++) {
		int missing = 0;

		for (int d = SB_DIST_SMT; d < NC; d++)
			missing += !covered[d];
		if (!missing)
			break;
		for (int j = i + 1; j < m; j++) {
			sb_dist_t d = sb_topo_classify(t, u[i], u[j]);

			if (d > SB_DIST_SELF && d < SB_DIST_NCLASSES && !covered[d]) {
				covered[d] = 1;
				ccls[ncand] = d;
				ncand = add_pair(cand, ncand, u[i], u[j]);
			}
		}
	}
	/* Each class's first pair, then the rest in group order, up to the cap. */
	for (int d = SB_DIST_SMT; d < NC && k < max_pairs; d++)
		for (int c = 0; c < ncand; c++)
			if (ccls[c] == d) {
				k = add_pair(pairs, k, cand[c][0], cand[c][1]);
				break;
			}
	for (int c = 0; c < ncand && k < max_pairs; c++)
		k = add_pair(pairs, k, cand[c][0], cand[c][1]);
out:
	free(u);
	free(grp);
	free(cand);
	free(ccls);
	return k;
}

int sb_c2c_run(const sb_topo_t *t, const int *pus, int n, int max_pairs, int samples, sb_c2c_row_t *rows,
	       void (*progress)(int done, int total, void *arg), void *arg, char *err, size_t errlen)
{
	int(*pairs)[2];
	int np;

	if (max_pairs < 1) {
		sb_seterr(err, errlen, "c2c: max_pairs %d < 1", max_pairs);
		return -1;
	}
	pairs = malloc((size_t)max_pairs * sizeof(*pairs));
	if (!pairs) {
		sb_seterr(err, errlen, "c2c: out of memory");
		return -1;
	}
	np = sb_c2c_plan(t, pus, n, max_pairs, pairs);
	for (int i = 0; i < np; i++) {
		if (sb_c2c_pair(t, pairs[i][0], pairs[i][1], samples, &rows[i], err, errlen) != 0) {
			free(pairs);
			return -1;
		}
		if (progress)
			progress(i + 1, np, arg);
	}
	free(pairs);
	return np;
}
