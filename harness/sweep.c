/*
 * sweep.c - a run from the options on; see sweep.h.
 */
#include "sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c.h"
#include "clock.h"
#include "options.h"
#include "parse.h"
#include "stats.h"
#include "summary.h"

/* A number from a /proc file, or -1. */
static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

int sb_check_plan(const sb_opts_t *o, const sb_runctx_t *ctx)
{
	int maxt = o->tcounts[o->ntcounts - 1];
	int *pus = calloc((size_t)maxt, sizeof(int));
	char err[512];
	int ov = pus ? sb_plan(ctx->topo, &o->placement, maxt, pus, err, sizeof(err)) : -1;

	if (ov < 0)
		sb_bad("--placement: invalid value '%s': %s", o->placement_str, pus ? err : "out of memory");
	if (o->list_configs) {
		sb_list_configs(stdout, o);
	} else if (o->plan_only) {
		printf("# placement %s, %d threads%s, topology %s\n", o->placement_str, maxt,
		       ov == 1 ? " (oversubscribed: more threads than PUs)" : "",
		       o->topology[0] ? o->topology : "this machine");
		sb_plan_print(stdout, ctx->topo, pus, maxt);
		sb_print_pair_classes(ctx->topo, pus, maxt);
	} else if (ov == 1) {
		fprintf(stderr,
			"run-bench: warning: %d threads on %d PUs: oversubscribed; queue locks "
			"slow down sharply when a waiter is preempted\n",
			maxt, ctx->usable_pus);
	}
	free(pus);
	return o->plan_only;
}

int sb_setup_measurement(const sb_opts_t *o, sb_runctx_t *ctx, sb_meta_t *meta)
{
	/* Real-time throttling: SCHED_FIFO threads are stopped for period - runtime
	 * in every period once they have used their runtime. */
	meta->rt_runtime_us = read_long("/proc/sys/kernel/sched_rt_runtime_us");
	meta->rt_period_us = read_long("/proc/sys/kernel/sched_rt_period_us");
	if (o->sched_fifo && meta->rt_runtime_us >= 0 && meta->rt_runtime_us < meta->rt_period_us && !o->quiet)
		fprintf(stderr,
			"run-bench: warning: --sched=fifo: RT throttling (kernel.sched_rt_runtime_us %ld of %ld) "
			"stops spinning real-time workers for %.0f ms in every %.0f ms; windows that meet it are "
			"marked preempted\n",
			meta->rt_runtime_us, meta->rt_period_us,
			(double)(meta->rt_period_us - meta->rt_runtime_us) / 1e3, (double)meta->rt_period_us / 1e3);
	if (sb_clock_init(&meta->clock) != 0) {
		fprintf(stderr, "run-bench: the timestamp counter cannot be calibrated\n");
		return -1;
	}
	ctx->ns_per_tick = sb_ns_per_tick();
	ctx->stamp_ticks = meta->clock.read_cost_ticks;
	/* one ordered stamp, the unit of sb_sampling's cost model */
	ctx->stamp_cost_ns = fmax(meta->clock.start_cost_ns, meta->clock.read_cost_ns);
	if (!meta->clock.invariant)
		fprintf(stderr, "run-bench: warning: the TSC is not invariant; latencies may be wrong\n");

	/* The workload: the plain loop for max-contention, the general one otherwise. */
	const sb_workload_t *wl = &o->wl;
	ctx->wl = wl;
	ctx->general = wl->cs_ns || !(wl->think_kind == SB_THINK_FIXED && wl->think_a_ns == 0) || wl->cs_lines ||
		       wl->nlocks > 1 || wl->read_ratio > 0 || wl->writers >= 0 || wl->ds != SB_DS_NONE;
	/* Delays below SB_DELAY_DEADLINE_NS use the calibrated loop, measured
	 * again before each repetition. */
	ctx->needs_delay_loop = ctx->general &&
				((wl->cs_ns > 0 && wl->cs_ns < SB_DELAY_DEADLINE_NS) ||
				 wl->think_kind == SB_THINK_EXP ||
				 (wl->think_kind == SB_THINK_UNIFORM && wl->think_a_ns < SB_DELAY_DEADLINE_NS) ||
				 (wl->think_kind == SB_THINK_FIXED && wl->think_a_ns > 0 &&
				  wl->think_a_ns < SB_DELAY_DEADLINE_NS));
	return 0;
}

static void c2c_progress(int done, int total, void *arg)
{
	if (*(int *)arg)
		fprintf(stderr, "\r\033[Kc2c: pair %d of %d", done, total);
}

/* Round k's row of pair i (SB_C2C_DEFAULT_MAX_PAIRS rows a round). */
#define ROW(rr, k, i) ((rr)[(size_t)(k)*SB_C2C_DEFAULT_MAX_PAIRS + (size_t)(i)])

/* The distinct PUs of the largest plan into uniq; their number. */
static int c2c_pus(const sb_opts_t *o, const sb_runctx_t *ctx, int *uniq)
{
	int maxt = o->tcounts[o->ntcounts - 1], n = 0;
	int *pus = sb_need(calloc((size_t)maxt, sizeof(int)));
	char err[512];

	sb_plan(ctx->topo, &o->placement, maxt, pus, err, sizeof(err));
	for (int i = 0; i < maxt; i++) {
		int seen = 0;
		for (int j = 0; j < n && !seen; j++)
			seen = uniq[j] == pus[i];
		if (!seen)
			uniq[n++] = pus[i];
	}
	free(pus);
	return n;
}

/* Each pair of the rounds: medians over the rounds (min: the least) into
 * meta->c2c; the largest |offset| of a pair (its median over the rounds). */
static double c2c_pairs(const sb_c2c_row_t *rr, int rounds, int np, int samples, sb_meta_t *meta)
{
	double v[SB_C2C_ROUNDS], off = 0;

	for (int i = 0; i < np; i++) {
		sb_c2c_row_t row = ROW(rr, 0, i);
		double mn = INFINITY;
		for (int k = 0; k < rounds; k++) {
			v[k] = ROW(rr, k, i).median_ns;
			mn = fmin(mn, ROW(rr, k, i).min_ns);
		}
		row.median_ns = sb_median_d(v, rounds);
		row.min_ns = mn;
		for (int k = 0; k < rounds; k++)
			v[k] = ROW(rr, k, i).offset_ns;
		row.offset_ns = sb_median_d(v, rounds);
		row.samples = samples * rounds;
		off = fmax(off, fabs(row.offset_ns));
		if (meta)
			meta->c2c[i] = row;
	}
	return off;
}

/* Each class's floor, the median over the rounds of the round's median
 * over the class's pairs, into ctx->c2c_floor, and printed. */
static void c2c_floors(const sb_c2c_row_t *rr, int rounds, int np, const sb_meta_t *meta, sb_runctx_t *ctx)
{
	double *pv = sb_need(calloc((size_t)np + 1, sizeof(double)));

	printf("%-8s %6s %10s %10s %12s\n", "class", "pairs", "median_ns", "min_ns", "tsc_offset");
	for (int c = 0; c < SB_DIST_NCLASSES; c++) {
		double floor_k[SB_C2C_ROUNDS], mn = INFINITY, coff = 0;
		int kp = 0;
		for (int i = 0; i < np; i++)
			if ((int)meta->c2c[i].cls == c)
				coff = fmax(coff, fabs(meta->c2c[i].offset_ns));
		for (int k = 0; k < rounds; k++) {
			int m = 0;
			for (int i = 0; i < np; i++) {
				if ((int)ROW(rr, k, i).cls != c)
					continue;
				pv[m++] = ROW(rr, k, i).median_ns;
				mn = fmin(mn, ROW(rr, k, i).min_ns);
			}
			floor_k[k] = m ? sb_median_d(pv, m) : NAN;
			kp = m;
		}
		if (!kp)
			continue;
		ctx->c2c_floor[c] = sb_median_d(floor_k, rounds);
		printf("%-8s %6d %10.1f %10.1f %10.1fns\n", sb_dist_name((sb_dist_t)c), kp, ctx->c2c_floor[c], mn,
		       coff);
	}
	free(pv);
}

void sb_measure_c2c(const sb_opts_t *o, sb_runctx_t *ctx, sb_meta_t *meta, int after)
{
	int *uniq = sb_need(calloc((size_t)o->tcounts[o->ntcounts - 1], sizeof(int)));
	int rounds = after ? 1 : SB_C2C_ROUNDS, samples = SB_C2C_DEFAULT_SAMPLES / 2;
	sb_c2c_row_t *rr = sb_need(calloc((size_t)rounds * SB_C2C_DEFAULT_MAX_PAIRS, sizeof(sb_c2c_row_t)));
	int n = c2c_pus(o, ctx, uniq), prog = o->progress && !after, np = 0;
	char err[512];

	if (n < 2) {
		if (!after)
			fprintf(stderr, "run-bench: --c2c: the plan uses one PU; nothing to measure\n");
		free(rr);
		free(uniq);
		return;
	}
	for (int k = 0; k < rounds; k++) {
		np = sb_c2c_run(ctx->topo, uniq, n, SB_C2C_DEFAULT_MAX_PAIRS, samples, &ROW(rr, k, 0), c2c_progress,
				&prog, err, sizeof(err));
		if (np < 0) {
			if (prog)
				fputs("\r\033[K", stderr);
			fprintf(stderr, "run-bench: --c2c: %s\n", err);
			exit(1);
		}
	}
	if (prog)
		fputs("\r\033[K", stderr);
	if (after) {
		double off = c2c_pairs(rr, rounds, np, samples, NULL);
		meta->tsc_offset_after_ns = off;
		meta->tsc_offset_max_ns = fmax(meta->tsc_offset_max_ns, off);
	} else {
		meta->c2c = sb_need(calloc(SB_C2C_DEFAULT_MAX_PAIRS, sizeof(sb_c2c_row_t)));
		meta->tsc_offset_before_ns = meta->tsc_offset_max_ns = c2c_pairs(rr, rounds, np, samples, meta);
		meta->c2c_rounds = rounds;
		meta->nc2c = np;
		long all = (long)n * (n - 1) / 2;
		printf("core-to-core latency (one-way, half the median round trip; median of %d rounds), %d PUs: %d "
		       "pairs measured%s\n",
		       rounds, n, np, np < all ? " (a sample: one pair per class per core group)" : " (all pairs)");
		c2c_floors(rr, rounds, np, meta, ctx);
		fflush(stdout);
	}
	ctx->tsc_offset_ns = meta->tsc_offset_max_ns;
	free(rr);
	free(uniq);
}

int sb_pin_runner(const sb_opts_t *o, const sb_runctx_t *ctx)
{
	int nu = ctx->usable_pus, maxt = o->tcounts[o->ntcounts - 1], pu = -1;
	int *all = calloc((size_t)nu + 1, sizeof(int)), *used = calloc((size_t)nu + 1, sizeof(int));
	int *pus = calloc((size_t)maxt + 1, sizeof(int));
	sb_placement_t compact;
	char err[512];

	if (all && used && pus && sb_placement_parse("compact", &compact, err, sizeof(err)) == 0 &&
	    sb_plan(ctx->topo, &compact, nu, all, err, sizeof(err)) >= 0) {
		for (int t = 0; t < o->ntcounts; t++) {
			if (sb_plan(ctx->topo, &o->placement, o->tcounts[t], pus, err, sizeof(err)) < 0)
				continue;
			for (int i = 0; i < o->tcounts[t]; i++)
				for (int j = 0; j < nu; j++)
					used[j] |= all[j] == pus[i];
		}
		for (int j = nu - 1; j >= 0 && pu < 0; j--)
			if (!used[j] && sb_topo_bind_self(ctx->topo, all[j], err, sizeof(err)) == 0)
				pu = all[j];
	}
	free(all);
	free(used);
	free(pus);
	return pu;
}

void sb_shuffle(int *a, int n, uint64_t *seed)
{
	for (int i = n - 1; i > 0; i--) {
		int j = (int)(sb_splitmix64(seed) % (uint64_t)(i + 1));
		int tmp = a[i];
		a[i] = a[j];
		a[j] = tmp;
	}
}

int sb_part_filter(int *order, int n, int per_cfg, int part, int nparts)
{
	int k = 0;
	for (int i = 0; i < n; i++)
		if (sb_in_part(order[i] / per_cfg, part, nparts))
			order[k++] = order[i];
	return k;
}

void sb_list_configs(FILE *f, const sb_opts_t *o)
{
	int ncfg = o->nlocks * o->ntcounts, n = 0;
	for (int c = 0; c < ncfg; c++)
		n += sb_in_part(c, o->part, o->nparts);
	fprintf(f, "# %d configurations (%d locks x %d thread counts, lock-major), seed %llu", ncfg, o->nlocks,
		o->ntcounts, (unsigned long long)o->seed);
	if (o->nparts)
		fprintf(f, "; part %d/%d: %d of them (index %% %d == %d)", o->part, o->nparts, n, o->nparts,
			o->part - 1);
	fputs("\n# index lock threads part\n", f);
	for (int c = 0; c < ncfg; c++)
		if (sb_in_part(c, o->part, o->nparts))
			fprintf(f, "%d %s %d %d\n", c, o->locks[c / o->ntcounts]->name, o->tcounts[c % o->ntcounts],
				o->nparts ? c % o->nparts + 1 : 1);
}

int sb_run_sweep(const sb_opts_t *o, sb_runctx_t *ctx, sb_meta_t *meta, sb_sweep_t *sw)
{
	int ncfg = sw->ncfg, auto_rep = o->repeat == 0;
	int per_cfg = auto_rep ? SB_AUTO_MAX_REPS : o->repeat;
	int *order = calloc((size_t)ncfg * (size_t)per_cfg + 1, sizeof(int));
	int *nrep = calloc((size_t)ncfg + 1, sizeof(int)), *finished = calloc((size_t)ncfg + 1, sizeof(int));
	double *tp = calloc((size_t)per_cfg + 1, sizeof(double));
	double per_rep = (double)(o->warmup_ns + o->duration_ns + o->timed_ns) / 1e9;
	uint64_t t0 = sb_now_ns(), seed = o->seed;
	int status = 0, ran = 0, planned = 0, stop = 0;

	sw->reps = calloc((size_t)ncfg * (size_t)per_cfg + 1, sizeof(*sw->reps));
	if (!order || !nrep || !finished || !tp || !sw->reps) {
		fprintf(stderr, "run-bench: out of memory\n");
		exit(1);
	}
	for (int round = 0; !stop && !sb_stop_signal; round++) {
		int norder = 0;
		for (int c = 0; c < ncfg; c++) {
			if (finished[c])
				continue;
			int want = round ? 1 : auto_rep ? SB_AUTO_MIN_REPS : o->repeat;
			for (int k = 0; k < want; k++)
				order[norder++] = c * per_cfg + nrep[c] + k;
		}
		if (!norder)
			break;
		sb_shuffle(order, norder, &seed);
		norder = sb_part_filter(order, norder, per_cfg, o->part, o->nparts);
		if (!norder)
			break;
		planned += norder;
		for (int k = 0; k < norder && !sb_stop_signal; k++) {
			int c = order[k] / per_cfg, rep = order[k] % per_cfg;
			const sb_cfg_t *cf = &sw->cfgs[c];
			if (o->progress) {
				double el = (double)(sb_now_ns() - t0) / 1e9;
				fprintf(stderr,
					"\r\033[K[%d/%d%s] %s, %d threads, rep %d  elapsed %.0fs, remaining ~%.0fs%s",
					ran + 1, planned, auto_rep ? "+" : "", cf->lock->name, cf->threads, rep + 1, el,
					(planned - ran) * per_rep, auto_rep ? " or more" : "");
			}
			sb_rep_t *r = calloc(1, sizeof(*r));
			int rc = r ? sb_run_rep(ctx, cf->lock, cf->threads, rep, r) : -1;
			ran++;
			if (rc == 0) {
				r->cfg = c;
				sw->reps[sw->nreps++] = r;
				nrep[c]++;
				if (r->violations && !(r->lock->flags & SB_F_NOLOCK))
					sw->failed = 1;
				continue;
			}
			free(r);
			stop = 1;
			if (rc == -3)
				break;
			if (o->progress)
				fputs("\n", stderr);
			fprintf(stderr, "run-bench: %s\n", r ? ctx->err : "out of memory");
			snprintf(meta->stop_reason, sizeof(meta->stop_reason), "%s", rc == -2 ? "watchdog" : "error");
			status = 1;
			break;
		}
		/* Which configurations are done: all of --repeat=N after one round;
		 * for auto, those whose interval is narrow enough, or at the cap. */
		for (int c = 0; c < ncfg; c++) {
			if (!auto_rep || !sb_in_part(c, o->part, o->nparts)) {
				finished[c] = 1;
				continue;
			}
			int m = 0;
			for (int i = 0; i < sw->nreps; i++)
				if (sw->reps[i]->cfg == c)
					tp[m++] = sw->reps[i]->throughput;
			finished[c] = m >= SB_AUTO_MIN_REPS &&
				      sb_auto_stop(tp, m, SB_AUTO_MIN_REPS, SB_AUTO_MAX_REPS, SB_AUTO_REL, NULL);
		}
	}
	if (o->progress)
		fputs("\r\033[K", stderr);
	free(order);
	free(nrep);
	free(finished);
	free(tp);
	return status;
}
