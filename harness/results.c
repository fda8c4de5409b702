/*
 * results.c - writing a run's folder.  Every file goes to "<name>.tmp" and is
 * renamed into place, so a folder never holds half a file.  A figure that
 * was not measured is written NA, never 0.
 */
#include <errno.h>
#include <hwloc.h>
#include <math.h>
#include <papi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "aggregate.h"
#include "counters.h"
#include "results.h"
#include "stats.h"

#ifndef SB_GIT_COMMIT
#define SB_GIT_COMMIT "unknown"
#endif
#ifndef SB_BUILD_CFLAGS
#define SB_BUILD_CFLAGS "unknown"
#endif

const char *sb_build_commit(void)
{
	return SB_GIT_COMMIT;
}

const char *sb_build_flags(void)
{
	return SB_BUILD_CFLAGS;
}

/* Open dir/name.tmp for writing. */
static FILE *open_tmp(const char *dir, const char *name, char *tmp, size_t tmplen)
{
	snprintf(tmp, tmplen, "%s/%s.tmp", dir, name);
	FILE *f = fopen(tmp, "w");
	if (!f)
		fprintf(stderr, "run-bench: cannot write %s: %s\n", tmp, strerror(errno));
	return f;
}

/* Close and rename into place; -1 (reported) on any error. */
static int commit(FILE *f, const char *dir, const char *name, const char *tmp)
{
	char dst[PATH_MAX + 64];
	int bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		fprintf(stderr, "run-bench: error writing %s\n", tmp);
		unlink(tmp);
		return -1;
	}
	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	if (rename(tmp, dst) != 0) {
		fprintf(stderr, "run-bench: cannot rename %s to %s: %s\n", tmp, dst, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int distinct_pus(const sb_rep_t *r)
{
	int n = 0;
	for (int i = 0; i < r->threads; i++) {
		int seen = 0;
		for (int j = 0; j < i && !seen; j++)
			seen = r->trow[j].pu == r->trow[i].pu;
		n += !seen;
	}
	return n;
}

/* s as one CSV field: as it is, or quoted (RFC 4180) when it holds a comma,
 * a quote or a line break (--placement=cpus:0,2 does). */
static const char *csv_field(const char *s, char *buf, size_t len)
{
	if (!strpbrk(s, ",\"\r\n"))
		return s;
	size_t k = 0;
	buf[k++] = '"';
	for (; *s && k + 3 < len; s++) {
		if (*s == '"')
			buf[k++] = '"';
		buf[k++] = *s;
	}
	buf[k++] = '"';
	buf[k] = '\0';
	return buf;
}

/* measured vs asked: 1 when they differ by more than the tolerance; -1 n/a */
static int asked_off(double measured, double asked)
{
	if (!(asked > 0) || isnan(measured))
		return -1;
	return fabs(measured - asked) > SB_ASKED_TOLERANCE * asked;
}

/*
 * The result schema.  One X-macro table per CSV file drives its header, its
 * values and their NA rules:
 *
 *   X(name, kind, precision, value, valid)
 *
 * kind S: a string; I: an int; U: an unsigned count; D: a decimal with
 * `precision` digits (NaN or infinity is NA too); F: a 0/1 flag computed as
 * an int, -1 meaning NA.  `value` and `valid` are expressions over the row's
 * context `x` (parenthesised where they hold a comma); a value that is not
 * valid is written NA, never 0.  results/README.md documents every column,
 * and a test checks it against the header run-bench writes.  The families
 * of columns that depend on the machine or the options (per distance class,
 * per counter) follow each table.
 */

/* What a summary.csv row's columns are computed from. */
typedef struct srow {
	const sb_rep_t *r;
	const sb_cfg_stats_t *cs;
	const sb_runctx_t *ctx;
	const sb_meta_t *m;
	const char *placement; /* CSV-quoted */
	int ta;                /* a latency phase ran */
	int lk;                /* ... and a lock was taken (the control takes none: no handoffs) */
	int ho;                /* ... and some handoff had a latency */
	int spins;             /* the wait loop is ours: spins are counted */
	double slow, think_asked;
} srow_t;

#define SUMMARY_COLUMNS(X)                                                                                      \
	X(run_id, S, 0, x->m->run_id, 1)                                                                        \
	X(machine, S, 0, x->ctx->o->machine, 1)                                                                 \
	X(lock, S, 0, x->r->lock->name, 1)                                                                      \
	X(family, S, 0, sb_family_name(x->r->lock->family), 1)                                                  \
	X(workload, S, 0, x->ctx->wl->name, 1)                                                                  \
	X(threads, I, 0, x->r->threads, 1)                                                                      \
	X(placement, S, 0, x->placement, 1)                                                                     \
	X(pus, I, 0, distinct_pus(x->r), 1)                                                                     \
	X(lock_node, I, 0, x->r->lock_node, 1)                                                                  \
	X(lock_node_real, I, 0, x->r->lock_node_real, x->r->lock_node_real >= 0)                                \
	X(rep, I, 0, x->r->rep, 1)                                                                              \
	X(duration_s, D, 6, x->r->duration_s, 1)                                                                \
	X(acquisitions, U, 0, x->r->acquisitions, 1)                                                            \
	X(throughput_ops_s, D, 1, x->r->throughput, 1)                                                          \
	X(jain, D, 6, x->r->jain, 1)                                                                            \
	X(min_max_ratio, D, 6, x->r->min_max, 1)                                                                \
	X(fairness_factor, D, 6, x->r->fairness_factor, 1)                                                      \
	X(starved, U, 0, x->r->starved, 1)                                                                      \
	X(reps, U, 0, x->cs->reps, 1)                                                                           \
	X(throughput_ci_lo, D, 1, x->cs->ci_lo, 1)                                                              \
	X(throughput_ci_hi, D, 1, x->cs->ci_hi, 1)                                                              \
	X(unstable, F, 0, !x->cs->stable, x->m->repeat_auto)                                                    \
	X(timed_ops_s, D, 1, x->r->timed_ops_s, x->ta)                                                          \
	X(timed_slowdown, D, 3, x->slow, 1)                                                                     \
	X(timed_slow, F, 0, x->slow > SB_SLOWDOWN_LIMIT, !isnan(x->slow))                                       \
	X(timed_sample_every, U, 0, x->r->sample_every, x->ta)                                                  \
	X(timed_stamp_every, U, 0, x->r->stamp_every, x->ta)                                                    \
	X(timed_acquisitions, U, 0, x->r->timed_acq, x->ta)                                                     \
	X(handoffs, U, 0, x->r->handoffs, x->lk)                                                                \
	X(shared_joins, U, 0, x->r->joins, x->lk)                                                               \
	X(reacquires, U, 0, x->r->reacquires, x->lk)                                                            \
	X(idle_acquires, U, 0, x->r->idle, x->lk)                                                               \
	X(handoffs_to_writers, U, 0, x->r->ho_w, x->lk)                                                         \
	X(handoffs_to_readers, U, 0, x->r->ho_r, x->lk)                                                         \
	X(handoffs_from_readers, U, 0, x->r->ho_from_readers, x->lk)                                            \
	X(handoff_negative, U, 0, x->r->ho_nonpositive, x->lk)                                                  \
	X(clock_suspect, F, 0, x->r->clock_suspect, x->lk)                                                      \
	X(handoff_p50_ns, U, 0, x->r->ho.p50, x->ho)                                                            \
	X(handoff_p90_ns, U, 0, x->r->ho.p90, x->ho)                                                            \
	X(handoff_p99_ns, U, 0, x->r->ho.p99, x->ho)                                                            \
	X(handoff_p999_ns, U, 0, x->r->ho.p999, x->ho)                                                          \
	X(handoff_max_ns, U, 0, x->r->ho.max, x->ho)                                                            \
	X(handoff_to_writers_p50_ns, U, 0, x->r->ho_wp.p50, x->lk && x->r->ho_wp.n)                             \
	X(handoff_to_writers_p99_ns, U, 0, x->r->ho_wp.p99, x->lk && x->r->ho_wp.n)                             \
	X(handoff_to_readers_p50_ns, U, 0, x->r->ho_rp.p50, x->lk && x->r->ho_rp.n)                             \
	X(handoff_to_readers_p99_ns, U, 0, x->r->ho_rp.p99, x->lk && x->r->ho_rp.n)                             \
	X(handoff_below_resolution, F, 0, (sb_rep_below_resolution(x->r, x->m->clock.granularity_ns)), x->ho)   \
	X(handoff_consistency, D, 3, x->r->handoff_consistency, x->lk)                                          \
	X(handoff_inconsistent, F, 0, sb_rep_inconsistent(x->r), x->lk)                                         \
	X(acquire_p50_ns, U, 0, x->r->acq.p50, x->ta && x->r->acq.n)                                            \
	X(acquire_p99_ns, U, 0, x->r->acq.p99, x->ta && x->r->acq.n)                                            \
	X(acquire_max_ns, U, 0, x->r->acq.max, x->ta && x->r->acq.n)                                            \
	X(hold_p50_ns, U, 0, x->r->hold.p50, x->ta && x->r->hold.n)                                             \
	X(hold_p99_ns, U, 0, x->r->hold.p99, x->ta && x->r->hold.n)                                             \
	X(cs_ns, U, 0, x->ctx->wl->cs_ns, 1)                                                                    \
	X(cs_off, F, 0, (asked_off((double)x->r->hold.p50, (double)x->ctx->wl->cs_ns)), x->ta && x->r->hold.n)  \
	X(think_ns, D, 1, x->think_asked, 1)                                                                    \
	X(think_mean_ns, D, 1, x->r->think_mean_ns, x->ta)                                                      \
	X(think_off, F, 0, (asked_off(x->r->think_mean_ns, x->think_asked)), x->ta)                             \
	X(delay_ns_per_iter, D, 4, x->r->delay_ns_per_iter, 1)                                                  \
	X(violations, U, 0, x->r->violations, 1)                                                                \
	X(oversubscribed, U, 0, x->r->oversubscribed, 1)                                                        \
	X(invol_csw, U, 0, x->r->invol_csw, 1)                                                                  \
	X(runq_max_ns, U, 0, x->r->runq_max_ns, x->r->runq_max_ns != UINT64_MAX)                                \
	X(steal_ms, D, 1, x->r->steal_ms, 1)                                                                    \
	X(preempted, U, 0, x->r->preempted != 0, 1)                                                             \
	X(spins_per_op, D, 4, (double)x->r->spins / (double)x->r->acquisitions, x->spins && x->r->acquisitions) \
	X(virtual_nodes, U, 0, x->ctx->o->virtual_nodes, 1)                                                     \
	X(handoff_local_share, D, 4, x->r->local_share, x->lk)                                                  \
	X(reads, U, 0, x->r->reads, 1)                                                                          \
	X(writes, U, 0, x->r->writes, 1)                                                                        \
	X(read_acquire_p50_ns, U, 0, x->r->rd.p50, x->ta && x->r->rd.n)                                         \
	X(read_acquire_p99_ns, U, 0, x->r->rd.p99, x->ta && x->r->rd.n)                                         \
	X(read_acquire_max_ns, U, 0, x->r->rd.max, x->ta && x->r->rd.n)                                         \
	X(write_acquire_p50_ns, U, 0, x->r->wr.p50, x->ta && x->r->wr.n)                                        \
	X(write_acquire_p99_ns, U, 0, x->r->wr.p99, x->ta && x->r->wr.n)                                        \
	X(write_acquire_max_ns, U, 0, x->r->wr.max, x->ta && x->r->wr.n)                                        \
	X(long_holds, U, 0, x->r->long_holds, x->ta)                                                            \
	X(ds_problems, U, 0, x->r->ds_problems, x->ctx->wl->ds != SB_DS_NONE)                                   \
	X(handoff_offset_suspect, U, 0, (sb_offset_suspect(x->ctx->tsc_offset_ns, (double)x->r->ho.p50)),       \
	  !isnan(x->ctx->tsc_offset_ns) && x->ho)

/* What a configs.csv row's columns are computed from. */
typedef struct crow {
	const sb_cfg_stats_t *s;
	const sb_cfg_t *g;
	const sb_runctx_t *ctx;
	const sb_meta_t *m;
	const char *placement;
	int lk; /* a lock is taken (not the control) */
} crow_t;

#define CONFIGS_COLUMNS(X)                                                              \
	X(run_id, S, 0, x->m->run_id, 1)                                                \
	X(machine, S, 0, x->ctx->o->machine, 1)                                         \
	X(lock, S, 0, x->g->lock->name, 1)                                              \
	X(family, S, 0, sb_family_name(x->g->lock->family), 1)                          \
	X(workload, S, 0, x->ctx->wl->name, 1)                                          \
	X(placement, S, 0, x->placement, 1)                                             \
	X(threads, I, 0, x->g->threads, 1)                                              \
	X(reps, U, 0, x->s->reps, 1)                                                    \
	X(throughput_ops_s, D, 1, x->s->tput, 1)                                        \
	X(throughput_q1, D, 1, x->s->tput_q1, 1)                                        \
	X(throughput_q3, D, 1, x->s->tput_q3, 1)                                        \
	X(throughput_ci_lo, D, 1, x->s->ci_lo, 1)                                       \
	X(throughput_ci_hi, D, 1, x->s->ci_hi, 1)                                       \
	X(unstable, F, 0, !x->s->stable, x->m->repeat_auto)                             \
	X(jain, D, 6, x->s->jain, 1)                                                    \
	X(handoff_p50_ns, D, 1, x->s->ho_p50, x->lk)                                    \
	X(handoff_p99_ns, D, 1, x->s->ho_p99, x->lk)                                    \
	X(read_acquire_p50_ns, D, 1, x->s->rd_p50, 1)                                   \
	X(write_acquire_p50_ns, D, 1, x->s->wr_p50, 1)                                  \
	X(hold_p50_ns, D, 1, x->s->hold_p50, 1)                                         \
	X(cs_ns, U, 0, x->ctx->wl->cs_ns, 1)                                            \
	X(think_mean_ns, D, 1, x->s->think_mean, 1)                                     \
	X(timed_slowdown, D, 3, x->s->slowdown, 1)                                      \
	X(timed_slow, F, 0, x->s->slowdown > SB_SLOWDOWN_LIMIT, !isnan(x->s->slowdown)) \
	X(handoff_consistency, D, 3, x->s->consistency, x->lk)                          \
	X(inconsistent_reps, U, 0, x->s->inconsistent_reps, 1)                          \
	X(clock_suspect_reps, U, 0, x->s->clock_suspect_reps, 1)                        \
	X(below_resolution_reps, U, 0, x->s->below_res_reps, 1)                         \
	X(violations, U, 0, x->s->violations, 1)                                        \
	X(oversubscribed, U, 0, x->s->oversubscribed, 1)                                \
	X(starved_reps, U, 0, x->s->starved_reps, 1)                                    \
	X(preempted_reps, U, 0, x->s->preempted_reps, 1)                                \
	X(long_holds, U, 0, x->s->long_holds, 1)                                        \
	X(read_share, D, 4, (double)x->s->reads / (double)x->s->acquisitions, x->s->acquisitions > 0)

/* What a threads.csv row's columns are computed from. */
typedef struct trow {
	const sb_rep_t *r;
	const sb_thread_row_t *t;
	const sb_meta_t *m;
	int ta;    /* a latency phase ran */
	int spins; /* the wait loop is ours: spins are counted */
} trow_t;

#define THREADS_COLUMNS(X)                                                                                      \
	X(run_id, S, 0, x->m->run_id, 1)                                                                        \
	X(lock, S, 0, x->r->lock->name, 1)                                                                      \
	X(threads, I, 0, x->r->threads, 1)                                                                      \
	X(rep, I, 0, x->r->rep, 1)                                                                              \
	X(thread, I, 0, x->t->tid, 1)                                                                           \
	X(pu, I, 0, x->t->pu, 1)                                                                                \
	X(node, I, 0, x->t->node, 1)                                                                            \
	X(acquisitions, U, 0, x->t->acquisitions, 1)                                                            \
	X(share, D, 6, (double)x->t->acquisitions / (double)x->r->acquisitions, x->r->acquisitions > 0)         \
	X(timed_acquisitions, U, 0, x->t->timed_acq, x->ta)                                                     \
	X(handoffs_in, U, 0, x->t->handoffs_in, x->ta && !(x->r->lock->flags & SB_F_NOLOCK))                    \
	X(acquire_p50_ns, U, 0, x->t->acquire_p50, x->ta && x->t->timed_n)                                      \
	X(acquire_p99_ns, U, 0, x->t->acquire_p99, x->ta && x->t->timed_n)                                      \
	X(acquire_max_ns, U, 0, x->t->acquire_max, x->ta && x->t->timed_n)                                      \
	X(hold_p50_ns, U, 0, x->t->hold_p50, x->ta && x->t->timed_n)                                            \
	X(spins_per_op, D, 4, (double)x->t->spins / (double)x->t->acquisitions, x->spins && x->t->acquisitions) \
	X(invol_csw, U, 0, x->t->invol_csw, 1)                                                                  \
	X(vol_csw, U, 0, x->t->vol_csw, 1)                                                                      \
	X(runq_delay_ns, U, 0, x->t->runq_delay_ns, x->t->runq_delay_ns != UINT64_MAX)                          \
	X(reads, U, 0, x->t->reads, 1)                                                                          \
	X(writes, U, 0, x->t->writes, 1)                                                                        \
	X(long_holds, U, 0, x->t->long_holds, x->ta)

/* One cell of each kind, behind its separating comma (the first column has none). */
static void cell_S(FILE *f, int first, const char *v, int valid, int prec)
{
	(void)prec;
	fprintf(f, "%s%s", first ? "" : ",", valid ? v : "NA");
}

static void cell_I(FILE *f, int first, long long v, int valid, int prec)
{
	(void)prec;
	if (valid)
		fprintf(f, "%s%lld", first ? "" : ",", v);
	else
		fputs(first ? "NA" : ",NA", f);
}

static void cell_U(FILE *f, int first, uint64_t v, int valid, int prec)
{
	(void)prec;
	if (valid)
		fprintf(f, "%s%llu", first ? "" : ",", (unsigned long long)v);
	else
		fputs(first ? "NA" : ",NA", f);
}

static void cell_D(FILE *f, int first, double v, int valid, int prec)
{
	if (valid && !isnan(v) && !isinf(v))
		fprintf(f, "%s%.*f", first ? "" : ",", prec, v);
	else
		fputs(first ? "NA" : ",NA", f);
}

static void cell_F(FILE *f, int first, int v, int valid, int prec)
{
	cell_U(f, first, (uint64_t)(v > 0), valid && v >= 0, prec);
}

/* The table's header and one row; `first` tells the row's first cell. */
#define SB_HEAD(name, kind, prec, value, valid) fprintf(f, "%s%s", n_++ ? "," : "", #name);
#define SB_CELL(name, kind, prec, value, valid)                          \
	{                                                                \
		int ok_ = (valid);                                       \
		cell_##kind(f, n_++ == 0, ok_ ? (value) : 0, ok_, prec); \
	}

static void summary_header(FILE *f)
{
	int n_ = 0;
	SUMMARY_COLUMNS(SB_HEAD)
	for (int c = 0; c < SB_DIST_NCLASSES; c++)
		fprintf(f, ",handoff_share_%s,handoff_p50_%s_ns,handoff_vs_c2c_%s", sb_dist_name((sb_dist_t)c),
			sb_dist_name((sb_dist_t)c), sb_dist_name((sb_dist_t)c));
	char cb[160];
	for (int k = 0; k < sb_counters_n(); k++)
		fprintf(f, ",%s_per_op", sb_counter_column(k, cb, sizeof(cb)));
	fputc('\n', f);
}

static void summary_row(FILE *f, const srow_t *x)
{
	const sb_rep_t *r = x->r;
	int n_ = 0;
	SUMMARY_COLUMNS(SB_CELL)
	for (int c = 0; c < SB_DIST_NCLASSES; c++) {
		int tracked = x->lk && r->npairs >= 0, has = tracked && r->class_count[c] > 0 && r->class_p50[c];
		cell_D(f, 0, tracked && r->handoffs ? (double)r->class_count[c] / (double)r->handoffs : NAN, 1, 4);
		cell_U(f, 0, r->class_p50[c], has, 0);
		cell_D(f, 0, has && x->ctx->c2c_floor[c] > 0 ? (double)r->class_p50[c] / x->ctx->c2c_floor[c] : NAN, 1,
		       2);
	}
	for (int k = 0; k < sb_counters_n(); k++)
		cell_D(f, 0, r->ctr_per_op[k], 1, 4);
	fputc('\n', f);
}

/* The wait loop is ours, so its iterations were counted. */
static int spins_counted(const sb_lock_desc_t *l)
{
	return !(l->flags & (SB_F_NOSPIN | SB_F_NOLOCK));
}

static int write_summary(const char *dir, const sb_runctx_t *ctx, const sb_meta_t *m, sb_rep_t *const *reps, int n)
{
	char tmp[PATH_MAX + 64], pq[2 * sizeof(ctx->o->placement_str) + 3];
	FILE *f = open_tmp(dir, "summary.csv", tmp, sizeof(tmp));
	if (!f)
		return -1;
	summary_header(f);
	for (int i = 0; i < n; i++) {
		const sb_rep_t *r = reps[i];
		srow_t x = {r,
			    &m->cfg_stats[r->cfg],
			    ctx,
			    m,
			    csv_field(ctx->o->placement_str, pq, sizeof(pq)),
			    0,
			    0,
			    0,
			    spins_counted(r->lock),
			    sb_rep_slowdown(r),
			    sb_workload_think_mean_ns(ctx->wl)};
		x.ta = r->timed;
		x.lk = x.ta && !(r->lock->flags & SB_F_NOLOCK);
		x.ho = x.lk && r->ho.n > 0;
		summary_row(f, &x);
	}
	return commit(f, dir, "summary.csv", tmp);
}

/* configs.csv: one row per configuration, the medians over its repetitions (aggregate.h). */
static int write_configs(const char *dir, const sb_runctx_t *ctx, const sb_meta_t *m)
{
	char tmp[PATH_MAX + 64], cb[160], pq[2 * sizeof(ctx->o->placement_str) + 3];
	FILE *f = open_tmp(dir, "configs.csv", tmp, sizeof(tmp));
	int n_ = 0;
	if (!f)
		return -1;
	CONFIGS_COLUMNS(SB_HEAD)
	for (int k = 0; k < sb_counters_n(); k++)
		fprintf(f, ",%s_per_op", sb_counter_column(k, cb, sizeof(cb)));
	fputc('\n', f);
	for (int c = 0; c < m->ncfg; c++) {
		crow_t xx = {&m->cfg_stats[c],
			     &m->cfgs[c],
			     ctx,
			     m,
			     csv_field(ctx->o->placement_str, pq, sizeof(pq)),
			     !(m->cfgs[c].lock->flags & SB_F_NOLOCK)};
		const crow_t *x = &xx;
		if (!x->s->reps)
			continue;
		n_ = 0;
		CONFIGS_COLUMNS(SB_CELL)
		for (int k = 0; k < sb_counters_n(); k++)
			cell_D(f, 0, x->s->ctr[k], 1, 4);
		fputc('\n', f);
	}
	return commit(f, dir, "configs.csv", tmp);
}

static int write_threads(const char *dir, const sb_meta_t *m, sb_rep_t *const *reps, int n)
{
	char tmp[PATH_MAX + 64], cb[160];
	FILE *f = open_tmp(dir, "threads.csv", tmp, sizeof(tmp));
	int n_ = 0;
	if (!f)
		return -1;
	THREADS_COLUMNS(SB_HEAD)
	for (int k = 0; k < sb_counters_n(); k++)
		fprintf(f, ",%s,%s_per_op", sb_counter_column(k, cb, sizeof(cb)), cb);
	fputc('\n', f);
	for (int i = 0; i < n; i++) {
		const sb_rep_t *r = reps[i];
		for (int t = 0; t < r->threads; t++) {
			const trow_t xx = {r, &r->trow[t], m, r->timed, spins_counted(r->lock)}, *x = &xx;
			n_ = 0;
			THREADS_COLUMNS(SB_CELL)
			for (int k = 0; k < sb_counters_n(); k++) {
				long long v = x->t->ctr[k];
				uint64_t den = k == sb_counters_handoffs() ? x->t->timed_acq : x->t->acquisitions;
				cell_U(f, 0, (uint64_t)v, v >= 0, 0);
				cell_D(f, 0, v >= 0 && den ? (double)v / (double)den : NAN, 1, 4);
			}
			fputc('\n', f);
		}
	}
	return commit(f, dir, "threads.csv", tmp);
}

static int write_handoffs(const char *dir, const sb_meta_t *m, sb_rep_t *const *reps, int n)
{
	char tmp[PATH_MAX + 64];
	FILE *f = open_tmp(dir, "handoffs.csv", tmp, sizeof(tmp));
	if (!f)
		return -1;
	fputs("run_id,lock,threads,rep,from_pu,to_pu,class,count,p50_ns\n", f);
	for (int i = 0; i < n; i++) {
		const sb_rep_t *r = reps[i];
		for (int k = 0; k < r->npairs; k++) {
			const sb_pair_row_t *p = &r->pairs[k];
			fprintf(f, "%s,%s,%d,%d,%d,%d,%s,%llu", m->run_id, r->lock->name, r->threads, r->rep,
				p->from_pu, p->to_pu, sb_dist_name(p->cls), (unsigned long long)p->count);
			cell_U(f, 0, p->p50_ns, p->timed > 0, 0);
			fputc('\n', f);
		}
	}
	return commit(f, dir, "handoffs.csv", tmp);
}

static void hist_rows(FILE *f, const sb_meta_t *m, const sb_rep_t *r, const char *metric, const sb_hist_t *h)
{
	for (int b = 0; b < sb_hist_nbuckets(); b++) {
		uint64_t c = sb_hist_bucket_count(h, b);
		if (c)
			fprintf(f, "%s,%s,%d,%d,%s,%llu,%llu,%llu\n", m->run_id, r->lock->name, r->threads, r->rep,
				metric, (unsigned long long)sb_hist_bucket_lower(b),
				(unsigned long long)sb_hist_bucket_width(b), (unsigned long long)c);
	}
}

static int write_histograms(const char *dir, const sb_meta_t *m, sb_rep_t *const *reps, int n)
{
	char tmp[PATH_MAX + 64];
	FILE *f = open_tmp(dir, "histograms.csv", tmp, sizeof(tmp));
	if (!f)
		return -1;
	fputs("run_id,lock,threads,rep,metric,bucket_lower_ns,bucket_width_ns,count\n", f);
	for (int i = 0; i < n; i++) {
		hist_rows(f, m, reps[i], "handoff", reps[i]->h_handoff);
		hist_rows(f, m, reps[i], "acquire", reps[i]->h_acquire);
		hist_rows(f, m, reps[i], "hold", reps[i]->h_hold);
	}
	return commit(f, dir, "histograms.csv", tmp);
}

static int write_c2c(const char *dir, const sb_meta_t *m)
{
	char tmp[PATH_MAX + 64];
	FILE *f = open_tmp(dir, "c2c.csv", tmp, sizeof(tmp));
	if (!f)
		return -1;
	fputs("from_pu,to_pu,class,median_ns,min_ns,samples,offset_ns\n", f);
	for (int i = 0; i < m->nc2c; i++) {
		const sb_c2c_row_t *c = &m->c2c[i];
		fprintf(f, "%d,%d,%s,%.1f,%.1f,%d,%.1f\n", c->from_pu, c->to_pu, sb_dist_name(c->cls), c->median_ns,
			c->min_ns, c->samples, c->offset_ns);
	}
	return commit(f, dir, "c2c.csv", tmp);
}

static void kv_s(FILE *f, const char *k, const char *v, int last)
{
	fprintf(f, "  \"%s\": ", k);
	sb_json_str(f, v);
	fputs(last ? "\n" : ",\n", f);
}

static int write_meta(const char *dir, const sb_runctx_t *ctx, const sb_meta_t *m)
{
	char tmp[PATH_MAX + 64], buf[256];
	const sb_opts_t *o = ctx->o;
	struct utsname u;
	sb_topo_counts_t c;
	FILE *f = open_tmp(dir, "meta.json", tmp, sizeof(tmp));
	if (!f)
		return -1;
	uname(&u);
	sb_topo_counts(ctx->topo, &c);
	unsigned hv = hwloc_get_api_version();

	fputs("{\n", f);
	fprintf(f, "  \"schema_version\": %d,\n", SB_SCHEMA_VERSION);
	kv_s(f, "run_id", m->run_id, 0);
	kv_s(f, "machine", o->machine, 0);
	kv_s(f, "cpu_model", sb_topo_cpu_model(ctx->topo), 0);
	snprintf(buf, sizeof(buf), "%s %s %s", u.sysname, u.release, u.machine);
	kv_s(f, "kernel", buf, 0);
	kv_s(f, "compiler", __VERSION__, 0);
	kv_s(f, "cflags", SB_BUILD_CFLAGS, 0);
	kv_s(f, "git_commit", SB_GIT_COMMIT, 0);
	kv_s(f, "start_time", m->start_iso, 0);
	kv_s(f, "command_line", o->cmdline, 0);
	fprintf(f, "  \"complete\": %s,\n", m->complete ? "true" : "false");
	kv_s(f, "stop_reason", m->stop_reason, 0);
	fputs("  \"clock\": {", f);
	fputs("\"source\": ", f);
	sb_json_str(f, m->clock.source);
	fprintf(f,
		", \"invariant\": %s, \"ticks_per_sec\": %.0f, \"calibration_spread\": %.6f, "
		"\"read_cost_ns\": %.2f, \"start_read_cost_ns\": %.2f, \"raw_read_cost_ns\": %.2f, "
		"\"granularity_ns\": %.2f, \"ordering\": ",
		m->clock.invariant ? "true" : "false", m->clock.ticks_per_sec, m->clock.calib_spread,
		m->clock.read_cost_ns, m->clock.start_cost_ns, m->clock.raw_cost_ns, m->clock.granularity_ns);
	sb_json_str(f, SB_CLOCK_ORDERING);
	fprintf(f, ", \"hypervisor\": %s},\n", m->clock.hypervisor == 1 ? "true" : "false");
	fprintf(f,
		"  \"topology\": {\"pus\": %d, \"cores\": %d, \"numa_nodes\": %d, \"packages\": %d, "
		"\"l3_caches\": %d, \"is_this_system\": %s},\n",
		c.pus, c.cores, c.nodes, c.packages, c.l3s, sb_topo_is_thissystem(ctx->topo) ? "true" : "false");
	snprintf(buf, sizeof(buf), "%u.%u.%u", hv >> 16, (hv >> 8) & 0xff, hv & 0xff);
	kv_s(f, "hwloc_version", buf, 0);
	snprintf(buf, sizeof(buf), "%d.%d.%d", PAPI_VERSION_MAJOR(PAPI_VERSION), PAPI_VERSION_MINOR(PAPI_VERSION),
		 PAPI_VERSION_REVISION(PAPI_VERSION));
	kv_s(f, "papi_version", buf, 0);
	fputs("  \"counters\": ", f);
	sb_counters_json(f);
	fputs(",\n", f);
	kv_s(f, "counters_requested", o->counters_str, 0);
	kv_s(f, "workload", ctx->wl->name, 0);
	sb_workload_describe(ctx->wl, buf, sizeof(buf));
	kv_s(f, "workload_parameters", buf, 0);
	kv_s(f, "workload_purpose", ctx->wl->purpose, 0);
	fprintf(f, "  \"hold_limit_ns\": %llu,\n", (unsigned long long)ctx->wl->hold_limit_ns);
	fputs("  \"delay\": \"calibrated loop below 200 ns (delay_ns_per_iter per repetition in summary.csv), "
	      "ordered-TSC deadline from 200 ns\",\n",
	      f);
	kv_s(f, "placement", o->placement_str, 0);
	fprintf(f, "  \"lock_node\": %d,\n", o->lock_node);
	fprintf(f, "  \"virtual_nodes\": %d,\n", o->virtual_nodes);
	fprintf(f, "  \"c2c_pairs\": %d,\n", m->nc2c);
	if (m->nc2c > 0) {
		fputs("  \"c2c_floor_ns\": {", f);
		for (int cl = 0, k = 0; cl < SB_DIST_NCLASSES; cl++)
			if (ctx->c2c_floor[cl] > 0)
				fprintf(f, "%s\"%s\": %.1f", k++ ? ", " : "", sb_dist_name((sb_dist_t)cl),
					ctx->c2c_floor[cl]);
		fputs("},\n", f);
		fprintf(f, "  \"c2c_rounds\": %d,\n  \"tsc_offset_max_ns\": %.1f,\n  \"tsc_offset_before_ns\": %.1f,\n",
			m->c2c_rounds, m->tsc_offset_max_ns, m->tsc_offset_before_ns);
		if (isnan(m->tsc_offset_after_ns))
			fputs("  \"tsc_offset_after_ns\": null,\n", f);
		else
			fprintf(f, "  \"tsc_offset_after_ns\": %.1f,\n", m->tsc_offset_after_ns);
	} else {
		fputs("  \"tsc_offset_max_ns\": null,\n", f);
	}
	fprintf(f, "  \"duration_ns\": %llu,\n  \"warmup_ns\": %llu,\n  \"timed_ns\": %llu,\n",
		(unsigned long long)o->duration_ns, (unsigned long long)o->warmup_ns, (unsigned long long)o->timed_ns);
	if (m->repeat_auto)
		fprintf(f,
			"  \"repeat\": \"auto\",\n  \"repeat_rule\": \"%d to %d repetitions, until the "
			"order-statistic 95%% interval of the median throughput is within +-%.0f%%\",\n",
			SB_AUTO_MIN_REPS, SB_AUTO_MAX_REPS, SB_AUTO_REL * 100);
	else
		fprintf(f, "  \"repeat\": %d,\n", o->repeat);
	kv_s(f, "sched", o->sched_fifo ? "fifo" : "other", 0);
	fprintf(f, "  \"rt_runtime_us\": %ld,\n  \"rt_period_us\": %ld,\n", m->rt_runtime_us, m->rt_period_us);
	fprintf(f, "  \"runner_pu\": %d,\n", ctx->runner_pu);
	fprintf(f, "  \"seed\": %llu,\n", (unsigned long long)o->seed);
	fputs("  \"order\": \"configurations x repetitions, shuffled with the seed\",\n", f);
	fputs("  \"locks\": [", f);
	for (int i = 0; i < o->nlocks; i++) {
		if (i)
			fputs(", ", f);
		sb_json_str(f, o->locks[i]->name);
	}
	fputs("],\n  \"threads\": [", f);
	for (int i = 0; i < o->ntcounts; i++)
		fprintf(f, "%s%d", i ? ", " : "", o->tcounts[i]);
	fputs("],\n", f);
	fprintf(f, "  \"handoff_pairs_max_threads\": %d,\n", SB_PAIR_MAX_THREADS);
	if (o->nparts) {
		fprintf(f, "  \"part\": \"%d/%d\",\n  \"plan_configurations\": %d,\n", o->part, o->nparts, m->ncfg);
		fputs("  \"part_rule\": \"configuration c of the plan (0-based, lock-major: lock index x "
		      "thread counts + thread-count index) is in part c % N + 1\",\n",
		      f);
	}
	fprintf(f, "  \"configurations\": %d\n", m->nconfigs);
	fputs("}\n", f);
	return commit(f, dir, "meta.json", tmp);
}

int sb_results_write(const char *dir, const sb_runctx_t *ctx, const sb_meta_t *m, sb_rep_t *const *reps, int nreps)
{
	char tmp[PATH_MAX + 64], dst[PATH_MAX + 64];
	int rc = 0;

	rc |= write_summary(dir, ctx, m, reps, nreps);
	rc |= write_configs(dir, ctx, m);
	rc |= write_threads(dir, m, reps, nreps);
	rc |= write_handoffs(dir, m, reps, nreps);
	rc |= write_histograms(dir, m, reps, nreps);
	rc |= write_meta(dir, ctx, m);
	if (m->nc2c > 0)
		rc |= write_c2c(dir, m);
	snprintf(tmp, sizeof(tmp), "%s/topology.xml.tmp", dir);
	snprintf(dst, sizeof(dst), "%s/topology.xml", dir);
	if (sb_topo_export_xml(ctx->topo, tmp) != 0 || rename(tmp, dst) != 0) {
		fprintf(stderr, "run-bench: cannot write %s\n", dst);
		unlink(tmp);
		rc = -1;
	}
	return rc ? -1 : 0;
}
