/*
 * main.c - run-bench: the options (options.c), the measurement set-up and
 * the sweep (sweep.c), the result folder (folder.c), the human summary
 * (summary.c), the plots.
 *
 * Exit status: 0 success; 1 a failed run (violation in a real lock, binding
 * failure, watchdog, I/O error); 2 bad input (one line on stderr naming the
 * option and the value, nothing written); 128+signal when stopped by SIGINT
 * or SIGTERM (what was measured is written, marked incomplete).
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "folder.h"
#include "options.h"
#include "results.h"
#include "summary.h"
#include "sweep.h"

static void on_signal(int sig)
{
	sb_stop_signal = sig;
}

/*
 * Plots and report.html: run-bench (the wrapper script) names the plotter in
 * SPINBENCH_PLOTTER; without it, or with --no-plots, nothing is drawn.  A
 * plotting failure is a warning: the results are already written.
 */
static void draw_plots(const sb_opts_t *o, const char *dir)
{
	const char *plotter = getenv("SPINBENCH_PLOTTER");
	if (o->no_plots || !plotter || !*plotter)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		execl(plotter, plotter, dir, (char *)NULL);
		_exit(127);
	}
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fprintf(stderr, "run-bench: warning: %s did not complete; the results are written\n", plotter);
}

int main(int argc, char **argv)
{
	sb_opts_t *o = calloc(1, sizeof(*o));
	sb_runctx_t ctx;
	sb_meta_t meta;
	sb_sweep_t sw;
	sb_args_t args;
	char dir[2 * PATH_MAX + 64], final[2 * PATH_MAX + 128];

	if (!o)
		return 1;
	memset(&ctx, 0, sizeof(ctx));
	memset(&meta, 0, sizeof(meta));
	memset(&sw, 0, sizeof(sw));
	ctx.tsc_offset_ns = NAN;
	meta.tsc_offset_after_ns = NAN; /* measured only when locks ran after --c2c */
	ctx.o = o;
	sb_opts_parse(argc, argv, o, &args);
	sb_opts_resolve(o, &args, &ctx);
	if (sb_check_plan(o, &ctx))
		return 0;
	if (sb_setup_measurement(o, &ctx, &meta) != 0)
		return 1;
	if (o->c2c)
		sb_measure_c2c(o, &ctx, &meta, 0);
	ctx.runner_pu = sb_pin_runner(o, &ctx);

	sw.ncfg = o->nlocks * o->ntcounts;
	sw.cfgs = calloc((size_t)sw.ncfg + 1, sizeof(*sw.cfgs));
	sw.stats = calloc((size_t)sw.ncfg + 1, sizeof(*sw.stats));
	if (!sw.cfgs || !sw.stats)
		return 1;
	for (int l = 0; l < o->nlocks; l++)
		for (int t = 0; t < o->ntcounts; t++)
			sw.cfgs[l * o->ntcounts + t] = (sb_cfg_t){o->locks[l], o->tcounts[t]};
	meta.nconfigs = meta.ncfg = sw.ncfg;
	if (o->nparts) /* this folder's share of the plan */
		for (int c = meta.nconfigs = 0; c < sw.ncfg; c++)
			meta.nconfigs += sb_in_part(c, o->part, o->nparts);
	meta.cfgs = sw.cfgs;
	meta.cfg_stats = sw.stats;
	meta.repeat_auto = o->repeat == 0;
	if (sb_folder_make(o, &meta, dir, sizeof(dir)) != 0)
		return 1;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	int status = sb_run_sweep(o, &ctx, &meta, &sw);
	for (int c = 0; c < sw.ncfg; c++)
		sb_cfg_aggregate(sw.reps, sw.nreps, c, meta.clock.granularity_ns, &sw.stats[c]);
	if (o->c2c && sw.ncfg && !status && !sb_stop_signal)
		sb_measure_c2c(o, &ctx, &meta, 1);
	if (sb_stop_signal) {
		snprintf(meta.stop_reason, sizeof(meta.stop_reason), "%s",
			 sb_stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
		status = 128 + sb_stop_signal;
		fprintf(stderr, "run-bench: stopped by %s; writing what was measured, marked incomplete\n",
			meta.stop_reason);
	}
	meta.complete = status == 0;

	if (sw.ncfg)
		sb_print_summary(o, sw.cfgs, sw.stats, sw.ncfg, &meta, ctx.tsc_offset_ns);
	if (sb_results_write(dir, &ctx, &meta, sw.reps, sw.nreps) != 0 ||
	    sb_folder_publish(o, &meta, dir, final, sizeof(final)) != 0)
		return 1;
	printf("results: %s%s\n", final, meta.complete ? "" : " (incomplete)");
	fflush(stdout);
	draw_plots(o, final);
	if (o->defaults_run) {
		int nall = 0; /* what --lock=all selects */
		for (int i = 0; i < sb_nlocks; i++)
			nall += sb_locks[i].family != SB_FAM_TEST;
		/* per repetition: 100 ms warm-up + 1 s window + 0.5 s timed phase */
		double full = (double)(nall * o->ntcounts * 5) * (0.1 + 1.0 + 0.5);
		printf("a full sweep (--lock=all --repeat=5 --duration=1s, same thread counts) would take about %.0f min\n",
		       full / 60);
	}
	if (sw.failed) {
		fprintf(stderr, "run-bench: FAILURE: mutual exclusion violated by a real lock\n");
		return 1;
	}
	return status;
}
