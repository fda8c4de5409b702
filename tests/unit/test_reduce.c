/*
 * test_reduce.c - the reduction of one repetition (sb_rep_reduce) on
 * workers whose results are set by hand, so that every figure derived from
 * them is checked against its definition (results/README.md): sums, the
 * latency phase's throughput, handoffs by kind and their latency
 * percentiles, the FIFO self-check, clock_suspect, lost updates, and the
 * preempted rule (sb_preempted).  Prints ok/not ok lines and closes with
 * "N passed, N failed".
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "testutil.h"

#include "aggregate.h"
#include "run.h"
#include "stats.h"

static sb_hist_t *hist_of(const uint64_t *v, int n)
{
	sb_hist_t *h = xalloc(64, sizeof(*h));
	sb_hist_init(h);
	for (int i = 0; i < n; i++)
		sb_hist_add(h, v[i]);
	return h;
}

/*
 * Two workers of a max-contention repetition of `lock`: window 0.1 s, timed
 * phase 0.05 s, on PU 0 (the topology is this machine's).
 */
typedef struct fake {
	sb_bench_t b;
	sb_worker_t w[2];
	sb_inst_t inst;
	sb_guard_t *g;
	sb_opts_t o;
	sb_runctx_t ctx;
} fake_t;

static void fake_init(fake_t *f, sb_topo_t *topo)
{
	memset(f, 0, sizeof(*f));
	f->g = xalloc(SB_CACHELINE, sizeof(sb_guard_t));
	f->inst.guard = f->g;
	f->b.inst = &f->inst;
	f->b.ninst = 1;
	f->b.guard = f->g;
	f->b.nthreads = 2;
	f->b.w = f->w;
	f->ctx.o = &f->o;
	f->ctx.topo = topo;
	f->ctx.npus_total = 2;
	f->ctx.usable_pus = 2;
	for (int i = 0; i < 2; i++) {
		sb_worker_t *w = &f->w[i];
		uint64_t none[1] = {0};
		w->pu = 0;
		w->h_ho_w = hist_of(none, 0);
		w->h_acquire = hist_of(none, 0);
		w->h_hold = hist_of(none, 0);
		for (int k = 0; k < SB_CTR_MAX; k++)
			w->ctr[k] = -1;
	}
}

static void fake_free(fake_t *f)
{
	for (int i = 0; i < 2; i++) {
		free(f->w[i].h_ho_w);
		free(f->w[i].h_acquire);
		free(f->w[i].h_hold);
	}
	free(f->g);
}

static void rep_free(sb_rep_t *r)
{
	free(r->trow);
	free(r->pairs);
	free(r->h_handoff);
	free(r->h_acquire);
	free(r->h_hold);
}

/* Reduce the fake's workers as a repetition of `lock`: a 0.1 s window and a
 * 0.05 s timed phase, steal unreadable. */
static void reduce_as(fake_t *f, const sb_lock_desc_t *lock, sb_rep_t *r)
{
	memset(r, 0, sizeof(*r));
	r->lock = lock;
	r->threads = 2;
	r->duration_s = 0.1;
	r->timed = 1;
	r->timed_s = 0.05;
	r->steal_ms = NAN;
	sb_rep_reduce(&f->b, &f->ctx, r);
}

static void test_reduce_plain(sb_topo_t *topo)
{
	fake_t f;
	sb_rep_t r;
	const sb_lock_desc_t *ticket = sb_lock_find("ticket"), *ttas = sb_lock_find("ttas");

	if (!sb_ok(ticket && ttas, "registry has ticket and ttas"))
		return;
	fake_init(&f, topo);
	/* Window: 600 + 400 acquisitions in 0.1 s.  Timed: 300 + 200 in 0.05 s, of
	 * which 10 + 8 classified: 12 handoffs (one of them <= 0 ns), 4 reacquires, 2 idle. */
	uint64_t ho0[] = {100, 110, 120, 130, 140}, ho1[] = {200, 210, 220, 230, 240, 250};
	f.w[0].acq_measured = 600;
	f.w[1].acq_measured = 400;
	f.w[0].t = (sb_timed_t){.acq = 300,
				.sampled = 10,
				.kind = {[SB_ACQ_IDLE] = 1, [SB_ACQ_REACQUIRE] = 3, [SB_ACQ_HANDOFF] = 6},
				.ho_w = 6,
				.nonpositive = 1};
	f.w[1].t = (sb_timed_t){.acq = 200,
				.sampled = 8,
				.kind = {[SB_ACQ_IDLE] = 1, [SB_ACQ_REACQUIRE] = 1, [SB_ACQ_HANDOFF] = 6},
				.ho_w = 6};
	free(f.w[0].h_ho_w);
	free(f.w[1].h_ho_w);
	f.w[0].h_ho_w = hist_of(ho0, 5);
	f.w[1].h_ho_w = hist_of(ho1, 6);
	f.w[0].writes_total = 1500;
	f.w[1].writes_total = 1000;
	f.g->word = 2500;              /* the counter agrees: no lost update */
	f.w[0].runq_delay_ns = 100000; /* 0.1 ms of a 100 ms window: not preempted */
	f.w[1].runq_delay_ns = 200000;

	reduce_as(&f, ticket, &r);
	sb_ok(r.acquisitions == 1000 && fabs(r.throughput - 10000.0) < 1e-6, "throughput = 1000 / 0.1 s (%.1f)",
	      r.throughput);
	sb_ok(r.timed_phase_acq == 500 && fabs(r.timed_ops_s - 10000.0) < 1e-6, "timed_ops_s = 500 / 0.05 s (%.1f)",
	      r.timed_ops_s);
	sb_ok(r.timed_acq == 18 && r.handoffs == 12 && r.reacquires == 4 && r.idle == 2 && r.joins == 0 &&
		      r.timed_acq == r.handoffs + r.reacquires + r.idle + r.joins,
	      "timed 18 = handoffs 12 + reacquires 4 + idle 2");
	sb_ok(r.ho_w == 12 && r.ho_r == 0 && r.ho_nonpositive == 1, "12 handoffs to writers, 1 with latency <= 0");
	sb_ok(r.ho.n == 11 && r.ho.p50 == 200 && r.ho.max == 250 && r.ho_wp.p50 == 200 && r.ho_rp.n == 0,
	      "handoff p50 of the 11 histogrammed = 200, max 250 (got %llu, %llu)", (unsigned long long)r.ho.p50,
	      (unsigned long long)r.ho.max);
	sb_ok(r.clock_suspect == 1, "1 of 12 handoffs <= 0 ns is over 0.1%%: clock_suspect");
	sb_ok(fabs(r.handoff_consistency - 200 * 10000.0 / 1e9) < 1e-12,
	      "handoff_consistency = p50 x throughput / 1e9 = %.6f", r.handoff_consistency);
	sb_ok(r.violations == 0 && r.preempted == 0 && r.runq_max_ns == 200000, "no violation, not preempted");
	sb_ok(fabs(r.jain - (1000.0 * 1000.0) / (2 * (600.0 * 600 + 400.0 * 400))) < 1e-12,
	      "Jain from the window's per-thread counts (%.6f)", r.jain);
	sb_ok(r.trow[0].timed_acq == 10 && r.trow[1].handoffs_in == 6, "threads rows carry their own counts");
	rep_free(&r);

	/* Not FIFO: no self-check.  A lost update and a preempted worker. */
	f.g->word = 2497;
	f.w[1].runq_delay_ns = 2000000; /* 2 ms of 100 ms */
	reduce_as(&f, ttas, &r);
	sb_ok(isnan(r.handoff_consistency), "ttas (not FIFO): handoff_consistency NA");
	sb_ok(r.violations == 3, "the guard's counter 3 short of the writes: 3 violations (%llu)",
	      (unsigned long long)r.violations);
	sb_ok(r.preempted == 1, "a worker 2 ms on the run queue in 100 ms: preempted");
	rep_free(&r);
	fake_free(&f);
}

static void test_preempted_rule(void)
{
	/* 0.2 s window, 2 threads, 2 PUs */
	sb_ok(!sb_preempted(1999999, 0, 2, 0.0, 0.2, 2), "runq 1.99 ms of 200 ms: not preempted");
	sb_ok(sb_preempted(2000001, 0, 2, 0.0, 0.2, 2), "runq 2.0 ms of 200 ms: preempted");
	sb_ok(!sb_preempted(0, 100, 2, 3.9, 0.2, 2),
	      "steal 3.9 ms of 400 CPU-ms, no runq: not preempted (switches ignored)");
	sb_ok(sb_preempted(0, 0, 2, 4.1, 0.2, 2) == SB_PRE_STEAL, "steal 4.1 ms of 400 CPU-ms: preempted, by steal");
	sb_ok(sb_preempted(3000000, 0, 2, 4.1, 0.2, 2) == (SB_PRE_STEAL | SB_PRE_RUNQ),
	      "steal and run queue: both rules named");
	sb_ok(!sb_preempted(UINT64_MAX, 19, 2, NAN, 0.2, 2) &&
		      sb_preempted(UINT64_MAX, 20, 2, NAN, 0.2, 2) == SB_PRE_CSW,
	      "no schedstat: 50 involuntary switches per thread-second stand in (20 for 2 x 0.2 s)");
}

static void test_slowdown(void)
{
	sb_rep_t r;
	memset(&r, 0, sizeof(r));
	r.timed = 1;
	r.throughput = 4e6;
	r.timed_ops_s = 2e6;
	sb_ok(sb_rep_slowdown(&r) == 2.0, "timed_slowdown: window 4M/s over latency phase 2M/s = 2");
	r.timed_ops_s = 0;
	sb_ok(isinf(sb_rep_slowdown(&r)), "a latency phase with no acquisition: infinitely slower (timed_slow 1)");
	r.throughput = 0;
	sb_ok(isnan(sb_rep_slowdown(&r)), "no acquisition in either: NA");
	r.timed = 0;
	r.throughput = 4e6;
	sb_ok(isnan(sb_rep_slowdown(&r)), "no latency phase (--timed=0): NA");
}

int main(void)
{
	char err[256];
	sb_topo_t *topo = sb_topo_load(NULL, err, sizeof(err));

	if (!sb_ok(topo != NULL, "this machine's topology loads (%s)", topo ? "ok" : err))
		return sb_tap_done();
	test_reduce_plain(topo);
	test_preempted_rule();
	test_slowdown();
	sb_topo_free(topo);
	return sb_tap_done();
}
