/*
 * summary.c - the printed summary and the --plan pair matrix; see summary.h.
 */
#include "summary.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lockapi.h"

/* --plan: the distance class of every thread pair (up to 64 threads), one
 * letter each: S same PU, t smt, 2 l2, 3 l3, n numa, p package, R remote. */
void sb_print_pair_classes(const sb_topo_t *t, const int *pus, int n)
{
	static const char letter[SB_DIST_NCLASSES] = {'S', 't', '2', '3', 'n', 'p', 'R'};
	int count[SB_DIST_NCLASSES] = {0};

	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++) {
			sb_dist_t d = sb_topo_classify(t, pus[i], pus[j]);
			if (d < SB_DIST_NCLASSES)
				count[d]++;
		}
	printf("\n# thread pairs by distance class:");
	for (int c = 0; c < SB_DIST_NCLASSES; c++)
		if (count[c])
			printf(" %s %d", sb_dist_name((sb_dist_t)c), count[c]);
	printf("\n");
	if (n > 64)
		return;
	printf("# pair matrix: S self, t smt, 2 l2, 3 l3, n numa, p package, R remote\n#      ");
	for (int j = 0; j < n; j++)
		printf("%c", '0' + j % 10);
	printf("\n");
	for (int i = 0; i < n; i++) {
		printf("# %4d ", i);
		for (int j = 0; j < n; j++) {
			sb_dist_t d = sb_topo_classify(t, pus[i], pus[j]);
			putchar(i == j ? '.' : d < SB_DIST_NCLASSES ? letter[d] : '?');
		}
		putchar('\n');
	}
}

static void fmt_ns(char *b, size_t n, double v)
{
	if (isnan(v))
		snprintf(b, n, "NA");
	else if (v >= 1e6)
		snprintf(b, n, "%.1fms", v / 1e6);
	else if (v >= 1e4)
		snprintf(b, n, "%.1fus", v / 1e3);
	else
		snprintf(b, n, "%.0fns", v);
}

static void fmt_rate(char *b, size_t n, double v)
{
	if (isnan(v))
		snprintf(b, n, "NA");
	else if (v >= 1e9)
		snprintf(b, n, "%.2fG", v / 1e9);
	else if (v >= 1e6)
		snprintf(b, n, "%.2fM", v / 1e6);
	else if (v >= 1e3)
		snprintf(b, n, "%.2fk", v / 1e3);
	else
		snprintf(b, n, "%.0f", v);
}

/* The human summary: one line per configuration, medians over repetitions
 * (aggregate.h: the same figures as configs.csv). */
void sb_print_summary(const sb_opts_t *o, const sb_cfg_t *cfgs, const sb_cfg_stats_t *st, int ncfg,
		      const sb_meta_t *meta, double o_ctx_offset)
{
	/* Workloads with reads show read and write acquire latencies side by side. */
	const sb_workload_t *wl = &o->wl;
	int rw = sb_workload_has_reads(wl);
	double gran = meta->clock.granularity_ns;
	int any_below = 0;
	printf("# workload %s\n", wl->name);
	printf("%-14s %7s %10s %7s %9s %9s", "lock", "threads", "ops/s", "jain", "ho_p50", "ho_p99");
	if (rw)
		printf(" %9s %9s %6s", "rd_p50", "wr_p50", "reads");
	printf(" %6s  %s\n", "viol", "notes");
	for (int c = 0; c < ncfg; c++) {
		const sb_cfg_stats_t *s = &st[c];
		int n = s->reps, nolock = (cfgs[c].lock->flags & SB_F_NOLOCK) != 0;
		if (!n)
			continue;
		char p50[32], p99[32], notes[640] = "";
#define NOTE(...) snprintf(notes + strlen(notes), sizeof(notes) - strlen(notes), __VA_ARGS__)
		fmt_ns(p50, sizeof(p50), nolock ? NAN : s->ho_p50);
		fmt_ns(p99, sizeof(p99), nolock ? NAN : s->ho_p99);
		if (!nolock && !isnan(s->ho_p50) && gran > 0 && s->ho_p50 < 2 * gran) {
			strcat(p50, "~");
			any_below = 1;
		}
		if (s->starved_reps * 2 > n) /* most repetitions: the median one starved */
			NOTE("??? starvation: max > 2*min in %d of %d reps ", s->starved_reps, n);
		if (s->oversubscribed)
			NOTE("oversubscribed ");
		if (s->preempted_reps && !o->sched_fifo)
			NOTE("preempted in %d of %d reps ", s->preempted_reps, n);
		else if (s->preempted_reps) /* SCHED_FIFO: what remains is the hypervisor's, or RT throttling */
			NOTE("preempted in %d of %d reps (hypervisor steal in %d, run queue in %d%s) ",
			     s->preempted_reps, n, s->steal_reps, s->preempted_reps - s->steal_reps,
			     meta->rt_runtime_us >= 0 && meta->rt_runtime_us < meta->rt_period_us ? ": RT throttling"
												  : "");
		if (meta->repeat_auto && !s->stable)
			NOTE("unstable: +-5%% not reached in %d reps ", n);
		if (isinf(s->slowdown))
			NOTE("latency phase starved ");
		else if (s->slowdown > SB_SLOWDOWN_LIMIT)
			NOTE("latency phase %.2fx slower ", s->slowdown);
		if (!nolock && s->inconsistent_reps)
			NOTE("handoff p50 vs period outside [%.1f, %.1f] in %d reps ", SB_CONSISTENCY_LO,
			     SB_CONSISTENCY_HI, s->inconsistent_reps);
		if (!nolock && s->clock_suspect_reps)
			NOTE("clock suspect: handoffs <= 0 ns in %d reps ", s->clock_suspect_reps);
		if (!nolock && sb_offset_suspect(o_ctx_offset, s->ho_p50))
			NOTE("handoff latency unreliable: cores' counters differ by %.0fns ", o_ctx_offset);
		if (wl->cs_ns && !isnan(s->hold_p50) &&
		    fabs(s->hold_p50 - (double)wl->cs_ns) > SB_ASKED_TOLERANCE * (double)wl->cs_ns)
			NOTE("hold %.0fns for --cs=%.0fns ", s->hold_p50, (double)wl->cs_ns);
		double think = sb_workload_think_mean_ns(wl);
		if (think > 0 && !isnan(s->think_mean) && fabs(s->think_mean - think) > SB_ASKED_TOLERANCE * think)
			NOTE("think %.0fns for %.0fns ", s->think_mean, think);
		if (s->long_holds)
			NOTE("long holds %llu (> %.0fus) ", (unsigned long long)s->long_holds,
			     (double)wl->hold_limit_ns / 1e3);
		if (s->ds_problems)
			NOTE("%s INVARIANTS BROKEN (%llu) ", wl->ds == SB_DS_HASHTABLE ? "HASHTABLE" : "LIST",
			     (unsigned long long)s->ds_problems);
		if (s->violations && !nolock)
			NOTE("MUTUAL EXCLUSION VIOLATED ");
		else if (s->violations)
			NOTE("(control: violations expected) ");
		if (!meta->complete && n < (o->repeat ? o->repeat : SB_AUTO_MIN_REPS))
			NOTE("incomplete ");
#undef NOTE
		char tp[32];
		fmt_rate(tp, sizeof(tp), s->tput);
		char jn[16] = "NA"; /* no acquisition in the window: Jain's index is 0/0 */
		if (!isnan(s->jain))
			snprintf(jn, sizeof(jn), "%.3f", s->jain);
		printf("%-14s %7d %10s %7s %9s %9s", cfgs[c].lock->name, cfgs[c].threads, tp, jn, p50, p99);
		if (rw) {
			char r50[32], w50[32];
			fmt_ns(r50, sizeof(r50), s->rd_p50);
			fmt_ns(w50, sizeof(w50), s->wr_p50);
			printf(" %9s %9s %5.1f%%", r50, w50,
			       s->acquisitions ? 100.0 * (double)s->reads / (double)s->acquisitions : 0.0);
		}
		printf(" %6llu  %s\n", (unsigned long long)s->violations, notes);
	}
	if (any_below)
		printf("~ below twice the clock's granularity (%.1f ns): within the counter's own step\n", gran);
	fflush(stdout);
}
