/*
 * aggregate.c - per-configuration figures over repetitions; see aggregate.h.
 */
#include "aggregate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

double sb_rep_slowdown(const sb_rep_t *r)
{
	if (!r->timed || isnan(r->timed_ops_s))
		return NAN;
	/* A latency phase with no acquisition while the window had some (its
	 * workers kept off their PUs): infinitely slower, written NA, timed_slow 1. */
	if (r->timed_ops_s == 0)
		return r->throughput > 0 ? INFINITY : NAN;
	return r->throughput / r->timed_ops_s;
}

int sb_rep_inconsistent(const sb_rep_t *r)
{
	if (isnan(r->handoff_consistency) || r->preempted)
		return -1;
	return r->handoff_consistency < SB_CONSISTENCY_LO || r->handoff_consistency > SB_CONSISTENCY_HI;
}

int sb_rep_below_resolution(const sb_rep_t *r, double granularity_ns)
{
	if (!r->timed || !r->ho.n || !(granularity_ns > 0))
		return -1;
	return (double)r->ho.p50 < 2.0 * granularity_ns;
}

static double pick(const sb_rep_t *r, int what)
{
	switch (what) {
	case 0:
		return r->throughput;
	case 1:
		return r->jain;
	case 2:
		return r->timed && r->ho.n ? (double)r->ho.p50 : NAN;
	case 3:
		return r->timed && r->ho.n ? (double)r->ho.p99 : NAN;
	case 4:
		return r->timed && r->rd.n ? (double)r->rd.p50 : NAN;
	case 5:
		return r->timed && r->wr.n ? (double)r->wr.p50 : NAN;
	case 6:
		return r->timed && r->hold.n ? (double)r->hold.p50 : NAN;
	case 7:
		return r->timed ? r->think_mean_ns : NAN;
	case 8:
		return sb_rep_slowdown(r);
	case 9:
		return r->preempted ? NAN : r->handoff_consistency;
	default:
		return r->ctr_per_op[what - 10];
	}
}

void sb_cfg_aggregate(sb_rep_t *const *reps, int nreps, int cfg, double granularity_ns, sb_cfg_stats_t *s)
{
	double *v = calloc((size_t)nreps + 1, sizeof(double));
	const sb_rep_t **mine = calloc((size_t)nreps + 1, sizeof(*mine));
	int n = 0;

	memset(s, 0, sizeof(*s));
	if (!v || !mine) {
		free(v);
		free(mine);
		s->tput = s->ci_lo = s->ci_hi = NAN;
		return;
	}
	for (int i = 0; i < nreps; i++)
		if (reps[i]->cfg == cfg)
			mine[n++] = reps[i];
	s->reps = n;
	double *out[] = {&s->tput,   &s->jain,     &s->ho_p50,     &s->ho_p99,   &s->rd_p50,
			 &s->wr_p50, &s->hold_p50, &s->think_mean, &s->slowdown, &s->consistency};
	int nfig = (int)(sizeof(out) / sizeof(out[0]));
	for (int f = 0; f < nfig + SB_CTR_MAX; f++) {
		for (int i = 0; i < n; i++)
			v[i] = pick(mine[i], f);
		double m = sb_median_d(v, n);
		if (f < nfig)
			*out[f] = m;
		else
			s->ctr[f - nfig] = m;
	}
	for (int i = 0; i < n; i++)
		v[i] = mine[i]->throughput;
	sb_quartiles_d(v, n, &s->tput_q1, NULL, &s->tput_q3);
	sb_median_ci(v, n, 0.95, &s->ci_lo, &s->ci_hi);
	sb_auto_stop(v, n, n, n, SB_AUTO_REL, &s->stable);
	for (int i = 0; i < n; i++) {
		const sb_rep_t *r = mine[i];
		s->starved_reps += r->starved;
		s->preempted_reps += r->preempted != 0;
		s->steal_reps += (r->preempted & SB_PRE_STEAL) != 0;
		s->inconsistent_reps += sb_rep_inconsistent(r) == 1;
		s->clock_suspect_reps += r->clock_suspect;
		s->below_res_reps += sb_rep_below_resolution(r, granularity_ns) == 1;
		s->oversubscribed |= r->oversubscribed;
		s->violations += r->violations;
		s->long_holds += r->long_holds;
		s->ds_problems += r->ds_problems;
		s->reads += r->reads;
		s->acquisitions += r->acquisitions;
	}
	free(v);
	free(mine);
}
