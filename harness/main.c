/*
 * main.c - run-bench: options, the sweep, the human summary, the result folder.
 *
 * Exit status: 0 success; 1 a failed run (violation in a real lock, binding
 * failure, watchdog, I/O error); 2 bad input (one line on stderr naming the
 * option and the value, nothing written); 128+signal when stopped by SIGINT
 * or SIGTERM (what was measured is written, marked incomplete).
 */
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <numa.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "c2c.h"
#include "counters.h"
#include "lockapi.h"
#include "parse.h"
#include "results.h"
#include "run.h"
#include "stats.h"
#include "topo.h"
#include "workload.h"

/* The default sweep: the canonical lock of each family and two references. */
static const char *const default_locks = "ttas,mcs,rw-wpref,pthread-mutex,ck-mcs";
#define DEFAULT_DURATION_NS 200000000ull /* short windows: the default run ends in seconds */
#define DEFAULT_WARMUP_NS 50000000ull
#define DEFAULT_REPEAT 3

static void usage(FILE *f)
{
	fputs("usage: run-bench [OPTIONS]\n"
	      "Measure spin locks on pinned threads; write results/<machine>-<date>/.\n\n"
	      "  --lock=LIST        locks, families (basic, queued, rw: the canonical lock),\n"
	      "                     all:FAMILY, all (default: ttas,mcs,rw-wpref,pthread-mutex,ck-mcs)\n"
	      "  --threads=LIST     e.g. 1,2,4-8,max (default: 1,2,4,... up to the PUs)\n"
	      "  --duration=TIME    measured throughput window per repetition (default 200ms)\n"
	      "  --warmup=TIME      warm-up before it (default 50ms)\n"
	      "  --timed=TIME       latency phase after it (default: half the duration; 0: none)\n"
	      "  --repeat=N         repetitions of each configuration (default 3)\n"
	      "  --placement=P      cores (default), compact, scatter, node:N, cpus:LIST\n"
	      "  --lock-node=N      NUMA node of the lock and its data (default: thread 0's)\n"
	      "  --out=DIR          result folder (default results/<machine>-<yyyymmdd-hhmmss>)\n"
	      "  --machine=NAME     machine name recorded in the results (default: host name)\n"
	      "  --topology=FILE    plan from another machine's hwloc XML (with --plan only)\n"
	      "  --plan             print the placement plan and exit\n"
	      "  --seed=N           seed of the shuffled run order (default: from the clock)\n"
	      "  --list             list the locks and exit\n"
	      "  --quiet            no progress on stderr\n"
	      "  --no-plots         do not draw plots and report.html at the end\n"
	      "  --counters=LIST    PAPI events per acquisition: default, none (default), or a list of\n"
	      "                     PAPI presets/native names and the suite's own: spins, acquisitions, handoffs\n"
	      "  --list-counters    what this machine can count, and why not for the rest\n"
	      "  --virtual-nodes=K  split the PUs into K pretend NUMA nodes (for NUMA-aware locks on a\n"
	      "                     one-node machine; marked in the results)\n"
	      "  --workload=NAME    a preset from workloads/ (default max-contention); --list-workloads\n"
	      "  --cs=TIME --think=TIME|uniform:A-B|exp:MEAN --cs-lines=K --data=separate|colocated\n"
	      "  --locks=N --read-ratio=F --writers=K --hold-limit=TIME --ds=none|hashtable|list\n"
	      "  --ds-mix=L/I/D --ds-keys=N\n"
	      "                     workload parameters, over the preset's (see workloads/README.md)\n"
	      "  --c2c              measure the core-to-core latency floor between the planned PUs first\n"
	      "                     (alone: only that); writes c2c.csv\n"
	      "  --help             this text\n"
	      "TIME takes a unit: ns, us, ms, s (200ns, 5us, 1ms, 0.5s).\n",
	      f);
}

__attribute__((format(printf, 1, 2), noreturn)) static void bad(const char *fmt, ...)
{
	va_list ap;
	fputs("run-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void on_signal(int sig)
{
	sb_stop_signal = sig;
}

static int mkdir_p(const char *path)
{
	char p[2 * PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, 0777) != 0 && errno != EEXIST)
				return -1;
			*s = '/';
		}
	}
	return mkdir(p, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

/* Create the folder (and parents) and a probe file in it; 0 when writable.  A
 * folder created for nothing (an unwritable one) is removed again. */
static int out_probe(const char *dir)
{
	char probe[2 * PATH_MAX + 64];
	struct stat st;
	int existed = stat(dir, &st) == 0;
	if (mkdir_p(dir) != 0)
		return -1;
	snprintf(probe, sizeof(probe), "%s/.spinbench-probe.%d", dir, (int)getpid());
	FILE *f = fopen(probe, "w");
	if (!f) {
		if (!existed)
			rmdir(dir);
		return -1;
	}
	fclose(f);
	unlink(probe);
	return 0;
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

enum {
	O_LOCK = 256, O_THREADS, O_DURATION, O_WARMUP, O_TIMED, O_REPEAT, O_PLACEMENT, O_LOCKNODE, O_OUT,
	O_MACHINE, O_TOPOLOGY, O_PLAN, O_SEED, O_LIST, O_QUIET, O_HELP, O_NOPLOTS, O_COUNTERS, O_LISTCTR,
	O_VNODES, O_C2C, O_WORKLOAD, O_LISTWL, O_WLOPT
};

static const struct option longopts[] = {
	{"lock", required_argument, 0, O_LOCK},
	{"threads", required_argument, 0, O_THREADS},
	{"duration", required_argument, 0, O_DURATION},
	{"warmup", required_argument, 0, O_WARMUP},
	{"timed", required_argument, 0, O_TIMED},
	{"repeat", required_argument, 0, O_REPEAT},
	{"placement", required_argument, 0, O_PLACEMENT},
	{"lock-node", required_argument, 0, O_LOCKNODE},
	{"out", required_argument, 0, O_OUT},
	{"machine", required_argument, 0, O_MACHINE},
	{"topology", required_argument, 0, O_TOPOLOGY},
	{"plan", no_argument, 0, O_PLAN},
	{"seed", required_argument, 0, O_SEED},
	{"list", no_argument, 0, O_LIST},
	{"quiet", no_argument, 0, O_QUIET},
	{"help", no_argument, 0, O_HELP},
	{"no-plots", no_argument, 0, O_NOPLOTS},
	{"counters", required_argument, 0, O_COUNTERS},
	{"list-counters", no_argument, 0, O_LISTCTR},
	{"virtual-nodes", required_argument, 0, O_VNODES},
	{"c2c", no_argument, 0, O_C2C},
	{"workload", required_argument, 0, O_WORKLOAD},
	{"list-workloads", no_argument, 0, O_LISTWL},
	/* workload parameters: applied over the preset, in order (harness/workload.h) */
	{"cs", required_argument, 0, O_WLOPT},
	{"think", required_argument, 0, O_WLOPT},
	{"cs-lines", required_argument, 0, O_WLOPT},
	{"data", required_argument, 0, O_WLOPT},
	{"locks", required_argument, 0, O_WLOPT},
	{"read-ratio", required_argument, 0, O_WLOPT},
	{"writers", required_argument, 0, O_WLOPT},
	{"hold-limit", required_argument, 0, O_WLOPT},
	{"ds", required_argument, 0, O_WLOPT},
	{"ds-mix", required_argument, 0, O_WLOPT},
	{"ds-keys", required_argument, 0, O_WLOPT},
	{0, 0, 0, 0},
};

/* Parse and validate everything; exits 2 on bad input, 0 for --help/--list. */
static void parse_opts(int argc, char **argv, sb_opts_t *o, sb_runctx_t *ctx)
{
	const char *lock_s = NULL, *threads_s = NULL, *timed_s = NULL, *lnode_s = NULL, *seed_s = NULL;
	const char *ctr_s = NULL, *vnodes_s = NULL, *wl_name = NULL, *wl_opt[64], *wl_val[64];
	int nwl = 0, list_wl = 0;
	int list_ctr = 0;
	char err[2048];
	int c, given = 0;
	uint64_t v;

	memset(o, 0, sizeof(*o));
	o->duration_ns = DEFAULT_DURATION_NS;
	o->warmup_ns = DEFAULT_WARMUP_NS;
	o->repeat = DEFAULT_REPEAT;
	o->lock_node = -1;
	strcpy(o->placement_str, "cores");
	{
		size_t k = 0;
		for (int i = 0; i < argc && k < sizeof(o->cmdline) - 1; i++)
			k += (size_t)snprintf(o->cmdline + k, sizeof(o->cmdline) - k, "%s%s", i ? " " : "",
					      i ? argv[i] : "run-bench");
	}
	opterr = 0;
	int li;
	while ((c = getopt_long(argc, argv, "", longopts, &li)) != -1) {
		given++;
		switch (c) {
		case O_WORKLOAD: wl_name = optarg; break;
		case O_LISTWL: list_wl = 1; break;
		case O_WLOPT:
			if (nwl < (int)(sizeof(wl_opt) / sizeof(wl_opt[0]))) {
				wl_opt[nwl] = longopts[li].name;
				wl_val[nwl++] = optarg;
			}
			break;
		case O_LOCK: lock_s = optarg; break;
		case O_THREADS: threads_s = optarg; break;
		case O_DURATION:
			if (sb_parse_time_ns(optarg, &o->duration_ns, 0))
				bad("--duration: invalid time '%s' (a positive number with a unit: ns, us, ms, s)", optarg);
			break;
		case O_WARMUP:
			if (sb_parse_time_ns(optarg, &o->warmup_ns, 1))
				bad("--warmup: invalid time '%s' (a number with a unit: ns, us, ms, s)", optarg);
			break;
		case O_TIMED: timed_s = optarg; break;
		case O_REPEAT:
			if (sb_parse_u64(optarg, &v) || v < 1 || v > 1000)
				bad("--repeat: invalid value '%s' (1..1000)", optarg);
			o->repeat = (int)v;
			break;
		case O_PLACEMENT:
			if (sb_placement_parse(optarg, &o->placement, err, sizeof(err)))
				bad("--placement: invalid value '%s': %s", optarg, err);
			snprintf(o->placement_str, sizeof(o->placement_str), "%s", optarg);
			break;
		case O_LOCKNODE: lnode_s = optarg; break;
		case O_OUT:
			if (!*optarg || strlen(optarg) >= sizeof(o->out))
				bad("--out: cannot write to '%s'", optarg);
			snprintf(o->out, sizeof(o->out), "%s", optarg);
			break;
		case O_MACHINE:
			if (!*optarg || strlen(optarg) >= sizeof(o->machine) || strspn(optarg,
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(optarg))
				bad("--machine: invalid name '%s' (letters, digits, '.', '_', '-')", optarg);
			strcpy(o->machine, optarg);
			break;
		case O_TOPOLOGY: snprintf(o->topology, sizeof(o->topology), "%s", optarg); break;
		case O_PLAN: o->plan_only = 1; break;
		case O_SEED: seed_s = optarg; break;
		case O_LIST: sb_lock_list(stdout); exit(0);
		case O_QUIET: o->quiet = 1; break;
		case O_NOPLOTS: o->no_plots = 1; break;
		case O_COUNTERS: ctr_s = optarg; break;
		case O_LISTCTR: list_ctr = 1; break;
		case O_VNODES: vnodes_s = optarg; break;
		case O_C2C: o->c2c = 1; break;
		case O_HELP: usage(stdout); exit(0);
		case ':': bad("option '%s' needs a value", argv[optind - 1]);
		default:
			if (optopt && optopt < 256)
				bad("unknown option '-%c'", optopt);
			bad("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		bad("unexpected argument '%s'", argv[optind]);
	o->defaults_run = given == 0;
	const char *wd = getenv("SPINBENCH_WORKLOADS");
	snprintf(o->workloads_dir, sizeof(o->workloads_dir), "%s", wd && *wd ? wd : "workloads");
	if (list_wl) {
		if (sb_workload_list(stdout, o->workloads_dir) < 0) {
			fprintf(stderr, "run-bench: cannot read the presets in %s\n", o->workloads_dir);
			exit(1);
		}
		exit(0);
	}
	/* The workload: the preset, then each parameter given, in order. */
	sb_workload_default(&o->wl);
	if (wl_name && sb_workload_load(&o->wl, o->workloads_dir, wl_name, err, sizeof(err)))
		bad("%s", err);
	for (int i = 0; i < nwl; i++)
		if (sb_workload_set(&o->wl, wl_opt[i], wl_val[i], err, sizeof(err)))
			bad("%s", err);
	if (list_ctr) {
		if (sb_counters_setup(ctr_s ? ctr_s : "default", err, sizeof(err)) < 0)
			bad("%s", err);
		sb_counters_list(stdout);
		exit(0);
	}
	/* PAPI is initialised here, once, before any thread exists. */
	{
		int unavailable = sb_counters_setup(ctr_s ? ctr_s : "none", err, sizeof(err));
		if (unavailable < 0)
			bad("%s", err);
		if (unavailable > 0 && !o->quiet)
			fprintf(stderr, "run-bench: warning: %s\n", err);
		snprintf(o->counters_str, sizeof(o->counters_str), "%s", ctr_s ? ctr_s : "none");
	}
	if (strcmp(o->placement_str, "cores") == 0)
		sb_placement_parse("cores", &o->placement, err, sizeof(err));

	/* The topology: this machine, or a file to plan from. */
	ctx->topo = sb_topo_load(o->topology[0] ? o->topology : NULL, err, sizeof(err));
	if (!ctx->topo) {
		if (o->topology[0])
			bad("--topology: cannot load '%s': %s", o->topology, err);
		fprintf(stderr, "run-bench: cannot read this machine's topology: %s\n", err);
		exit(1);
	}
	if (o->topology[0] && !o->plan_only)
		bad("--topology: '%s' is another machine's topology: it can be planned (--plan), not run on",
		    o->topology);
	ctx->usable_pus = sb_plan_usable_pus(ctx->topo, &o->placement);
	{
		sb_topo_counts_t tc;
		sb_topo_counts(ctx->topo, &tc);
		ctx->npus_total = tc.pus;
		sb_numa_nodes = tc.nodes > 0 ? tc.nodes : 1;
	}
	if (vnodes_s) {
		if (sb_parse_u64(vnodes_s, &v) || v < 1 || v > SB_MAX_NUMA_NODES || (int)v > ctx->npus_total)
			bad("--virtual-nodes: invalid value '%s' (1..%d, at most the machine's %d PUs)", vnodes_s,
			    SB_MAX_NUMA_NODES, ctx->npus_total);
		o->virtual_nodes = (int)v;
		sb_numa_nodes = (int)v;
	}
	{
		int probe;
		if (sb_plan(ctx->topo, &o->placement, 1, &probe, err, sizeof(err)) < 0)
			bad("--placement: invalid value '%s': %s", o->placement_str, err);
	}

	if (lock_s) {
		int n = sb_lock_select(lock_s, o->locks, SB_MAX_LOCKS, err, sizeof(err));
		if (n < 0)
			bad("%s", err);
		o->nlocks = n;
	} else if (o->c2c) {
		o->nlocks = 0; /* --c2c without --lock: only the floor */
	} else {
		o->nlocks = sb_lock_select(default_locks, o->locks, SB_MAX_LOCKS, err, sizeof(err));
	}
	if (threads_s) {
		if (sb_parse_thread_list(threads_s, ctx->usable_pus, o->tcounts, SB_MAX_TCOUNTS, &o->ntcounts))
			bad("--threads: invalid value '%s' (counts 1..%d, ranges A-B, max)", threads_s, SB_MAX_THREADS);
	} else {
		for (int t = 1; t <= ctx->usable_pus && o->ntcounts < SB_MAX_TCOUNTS; t *= 2)
			o->tcounts[o->ntcounts++] = t;
		if (o->tcounts[o->ntcounts - 1] != ctx->usable_pus && o->ntcounts < SB_MAX_TCOUNTS)
			o->tcounts[o->ntcounts++] = ctx->usable_pus;
	}
	o->timed_ns = o->duration_ns / 2;
	if (timed_s && sb_parse_time_ns(timed_s, &o->timed_ns, 1))
		bad("--timed: invalid time '%s' (a number with a unit: ns, us, ms, s)", timed_s);
	for (int i = 0; i < o->ntcounts; i++)
		if (sb_workload_validate(&o->wl, o->tcounts[i], err, sizeof(err)))
			bad("%s", err);
	if (lnode_s) {
		if (sb_parse_u64(lnode_s, &v) || v > INT_MAX || !sb_topo_has_node(ctx->topo, (int)v))
			bad("--lock-node: no NUMA node '%s' on this machine", lnode_s);
		o->lock_node = (int)v;
	}
	if (seed_s) {
		if (sb_parse_u64(seed_s, &o->seed))
			bad("--seed: invalid value '%s' (a non-negative integer)", seed_s);
	} else {
		o->seed = sb_now_ns() ^ ((uint64_t)getpid() << 32);
	}
	if (!o->machine[0]) {
		char h[128] = "host";
		gethostname(h, sizeof(h) - 1);
		h[sizeof(h) - 1] = '\0';
		for (char *p = h; *p; p++)
			if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-", *p))
				*p = '_';
		strcpy(o->machine, h);
	}
	/* --out last: it is checked by creating the folder and a file in it. */
	if (o->out[0] && !o->plan_only && out_probe(o->out) != 0)
		bad("--out: cannot write to '%s'", o->out);
	const char *rd = getenv("SPINBENCH_RESULTS");
	snprintf(o->results_dir, sizeof(o->results_dir), "%s", rd && *rd ? rd : "results");
	o->progress = !o->quiet && isatty(2);
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

static void c2c_progress(int done, int total, void *arg)
{
	if (*(int *)arg)
		fprintf(stderr, "\r\033[Kc2c: pair %d of %d", done, total);
}

/*
 * --c2c: cache-line ping-pong between the planned PUs (all pairs on small
 * machines, a sample of one pair per distance class per core group on large
 * ones), the floor for each class, and the timestamp offset between cores.
 */
static void measure_c2c(const sb_opts_t *o, sb_runctx_t *ctx, sb_meta_t *meta)
{
	int maxt = o->tcounts[o->ntcounts - 1], n = 0;
	int *pus = calloc((size_t)maxt, sizeof(int)), *uniq = calloc((size_t)maxt, sizeof(int));
	char err[512];

	meta->c2c = calloc(SB_C2C_DEFAULT_MAX_PAIRS, sizeof(sb_c2c_row_t));
	if (!pus || !uniq || !meta->c2c) {
		fprintf(stderr, "run-bench: out of memory\n");
		exit(1);
	}
	sb_plan(ctx->topo, &o->placement, maxt, pus, err, sizeof(err));
	for (int i = 0; i < maxt; i++) {
		int seen = 0;
		for (int j = 0; j < n && !seen; j++)
			seen = uniq[j] == pus[i];
		if (!seen)
			uniq[n++] = pus[i];
	}
	if (n < 2) {
		fprintf(stderr, "run-bench: --c2c: the plan uses one PU; nothing to measure\n");
		free(pus);
		free(uniq);
		return;
	}
	int prog = o->progress;
	meta->nc2c = sb_c2c_run(ctx->topo, uniq, n, SB_C2C_DEFAULT_MAX_PAIRS, SB_C2C_DEFAULT_SAMPLES, meta->c2c,
				c2c_progress, &prog, err, sizeof(err));
	if (prog)
		fputs("\r\033[K", stderr);
	if (meta->nc2c < 0) {
		fprintf(stderr, "run-bench: --c2c: %s\n", err);
		exit(1);
	}
	long all = (long)n * (n - 1) / 2;
	printf("core-to-core latency (one-way, half the median round trip), %d PUs: %d pairs measured%s\n", n,
	       meta->nc2c, meta->nc2c < all ? " (a sample: one pair per class per core group)" : " (all pairs)");
	printf("%-8s %6s %10s %10s %12s\n", "class", "pairs", "median_ns", "min_ns", "tsc_offset");
	for (int c = 0; c < SB_DIST_NCLASSES; c++) {
		double v[SB_C2C_DEFAULT_MAX_PAIRS], mn = INFINITY, off = 0;
		int k = 0;
		for (int i = 0; i < meta->nc2c; i++)
			if ((int)meta->c2c[i].cls == c) {
				v[k++] = meta->c2c[i].median_ns;
				mn = fmin(mn, meta->c2c[i].min_ns);
				off = fmax(off, fabs(meta->c2c[i].offset_ns));
			}
		if (!k)
			continue;
		ctx->c2c_floor[c] = sb_median_d(v, k);
		printf("%-8s %6d %10.1f %10.1f %10.1fns\n", sb_dist_name((sb_dist_t)c), k, ctx->c2c_floor[c], mn, off);
	}
	for (int i = 0; i < meta->nc2c; i++)
		meta->tsc_offset_max_ns = fmax(meta->tsc_offset_max_ns, fabs(meta->c2c[i].offset_ns));
	ctx->tsc_offset_ns = meta->tsc_offset_max_ns;
	fflush(stdout);
	free(pus);
	free(uniq);
}

/* --plan: the distance class of every thread pair (up to 64 threads), one
 * letter each: S same PU, t smt, 2 l2, 3 l3, n numa, p package, R remote. */
static void print_pair_classes(const sb_topo_t *t, const int *pus, int n)
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

typedef struct cfg {
	const sb_lock_desc_t *lock;
	int threads;
} cfg_t;

static double median_of(sb_rep_t **reps, int n, int cfg, double (*get)(const sb_rep_t *))
{
	double v[1000];
	int k = 0;
	for (int i = 0; i < n; i++)
		if (reps[i]->cfg == cfg && k < 1000)
			v[k++] = get(reps[i]);
	return k ? sb_median_d(v, k) : NAN;
}

static double g_tput(const sb_rep_t *r) { return r->throughput; }
static double g_jain(const sb_rep_t *r) { return r->jain; }
static double g_hp50(const sb_rep_t *r) { return r->handoffs ? (double)r->ho_p50 : NAN; }
static double g_hp99(const sb_rep_t *r) { return r->handoffs ? (double)r->ho_p99 : NAN; }
static double g_rd50(const sb_rep_t *r) { return r->timed_reads ? (double)r->rd_p50 : NAN; }
static double g_wr50(const sb_rep_t *r) { return r->timed_writes ? (double)r->wr_p50 : NAN; }

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

/* The human summary: one line per configuration, medians over repetitions. */
static void print_summary(const sb_opts_t *o, const cfg_t *cfgs, int ncfg, sb_rep_t **reps, int nreps,
			  double o_ctx_offset)
{
	/* Workloads with reads show read and write acquire latencies side by side. */
	const sb_workload_t *wl = &o->wl;
	int rw = wl->read_ratio > 0 || wl->writers >= 0 || wl->ds != SB_DS_NONE;
	printf("# workload %s\n", wl->name);
	printf("%-14s %7s %10s %7s %9s %9s", "lock", "threads", "ops/s", "jain", "ho_p50", "ho_p99");
	if (rw)
		printf(" %9s %9s %6s", "rd_p50", "wr_p50", "reads");
	printf(" %6s  %s\n", "viol", "notes");
	for (int c = 0; c < ncfg; c++) {
		int n = 0, starved = 0, over = 0, preempted = 0;
		uint64_t viol = 0, lh = 0, rd = 0, acq = 0, dsp = 0;
		for (int i = 0; i < nreps; i++)
			if (reps[i]->cfg == c) {
				n++;
				viol += reps[i]->violations;
				starved += reps[i]->starved;
				over |= reps[i]->oversubscribed;
				preempted += reps[i]->preempted;
				lh += reps[i]->long_holds;
				rd += reps[i]->reads;
				acq += reps[i]->acquisitions;
				dsp += reps[i]->ds_problems;
			}
		if (!n)
			continue;
		char p50[32], p99[32], notes[384] = "";
		fmt_ns(p50, sizeof(p50), median_of(reps, nreps, c, g_hp50));
		fmt_ns(p99, sizeof(p99), median_of(reps, nreps, c, g_hp99));
		if (starved * 2 > n) /* most repetitions: the median one starved */
			snprintf(notes + strlen(notes), sizeof(notes) - strlen(notes),
				 "??? starvation: max > 2*min in %d of %d reps ", starved, n);
		if (over)
			strcat(notes, "oversubscribed ");
		if (preempted)
			snprintf(notes + strlen(notes), sizeof(notes) - strlen(notes), "preempted in %d of %d reps ",
				 preempted, n);
		double hp50 = median_of(reps, nreps, c, g_hp50);
		if (sb_offset_suspect(o_ctx_offset, hp50))
			snprintf(notes + strlen(notes), sizeof(notes) - strlen(notes),
				 "handoff latency unreliable: cores' counters differ by %.0fns ", o_ctx_offset);
		if (lh)
			snprintf(notes + strlen(notes), sizeof(notes) - strlen(notes), "long holds %llu (> %.0fus) ",
				 (unsigned long long)lh, (double)wl->hold_limit_ns / 1e3);
		if (dsp)
			snprintf(notes + strlen(notes), sizeof(notes) - strlen(notes), "%s INVARIANTS BROKEN (%llu) ",
				 wl->ds == SB_DS_HASHTABLE ? "HASHTABLE" : "LIST", (unsigned long long)dsp);
		if (viol && !(cfgs[c].lock->flags & SB_F_NOLOCK))
			strcat(notes, "MUTUAL EXCLUSION VIOLATED ");
		else if (viol)
			strcat(notes, "(control: violations expected) ");
		if (n < o->repeat)
			strcat(notes, "incomplete ");
		char tp[32];
		fmt_rate(tp, sizeof(tp), median_of(reps, nreps, c, g_tput));
		printf("%-14s %7d %10s %7.3f %9s %9s", cfgs[c].lock->name, cfgs[c].threads, tp,
		       median_of(reps, nreps, c, g_jain), p50, p99);
		if (rw) {
			char r50[32], w50[32];
			fmt_ns(r50, sizeof(r50), median_of(reps, nreps, c, g_rd50));
			fmt_ns(w50, sizeof(w50), median_of(reps, nreps, c, g_wr50));
			printf(" %9s %9s %5.1f%%", r50, w50, acq ? 100.0 * (double)rd / (double)acq : 0.0);
		}
		printf(" %6llu  %s\n", (unsigned long long)viol, notes);
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	sb_opts_t *o = calloc(1, sizeof(*o));
	sb_runctx_t ctx;
	sb_meta_t meta;
	char err[512];

	if (!o)
		return 1;
	memset(&ctx, 0, sizeof(ctx));
	ctx.tsc_offset_ns = NAN;
	memset(&meta, 0, sizeof(meta));
	ctx.o = o;
	parse_opts(argc, argv, o, &ctx);

	/* The plan of the largest count: printed for --plan, checked now otherwise,
	 * so that bad input fails before anything runs. */
	int maxt = o->tcounts[o->ntcounts - 1];
	{
		int *pus = calloc((size_t)maxt, sizeof(int));
		int ov = pus ? sb_plan(ctx.topo, &o->placement, maxt, pus, err, sizeof(err)) : -1;
		if (ov < 0)
			bad("--placement: invalid value '%s': %s", o->placement_str, err);
		if (o->plan_only) {
			printf("# placement %s, %d threads%s, topology %s\n", o->placement_str, maxt,
			       ov == 1 ? " (oversubscribed: more threads than PUs)" : "",
			       o->topology[0] ? o->topology : "this machine");
			sb_plan_print(stdout, ctx.topo, pus, maxt);
			print_pair_classes(ctx.topo, pus, maxt);
			free(pus);
			return 0;
		}
		if (ov == 1)
			fprintf(stderr, "run-bench: warning: %d threads on %d PUs: oversubscribed; queue locks "
					"slow down sharply when a waiter is preempted\n",
				maxt, ctx.usable_pus);
		free(pus);
	}

	if (sb_clock_init(&meta.clock) != 0) {
		fprintf(stderr, "run-bench: the timestamp counter cannot be calibrated\n");
		return 1;
	}
	ctx.ns_per_tick = sb_ns_per_tick();
	if (!meta.clock.invariant)
		fprintf(stderr, "run-bench: warning: the TSC is not invariant; latencies may be wrong\n");

	/* The workload: the plain loop for max-contention, the general one otherwise. */
	const sb_workload_t *wl = &o->wl;
	ctx.wl = wl;
	ctx.general = wl->cs_ns || !(wl->think_kind == SB_THINK_FIXED && wl->think_a_ns == 0) || wl->cs_lines ||
		      wl->nlocks > 1 || wl->read_ratio > 0 || wl->writers >= 0 || wl->ds != SB_DS_NONE;
	if (ctx.general) {
		meta.delay_ns_per_iter = sb_delay_calibrate();
		ctx.cs_iters = sb_delay_iters(wl->cs_ns);
	}
	if (o->c2c)
		measure_c2c(o, &ctx, &meta);

	/* Configurations, and their repetitions in a seeded shuffled order. */
	int ncfg = o->nlocks * o->ntcounts;
	cfg_t *cfgs = calloc((size_t)ncfg + 1, sizeof(*cfgs));
	int nrun = ncfg * o->repeat;
	int *order = calloc((size_t)nrun + 1, sizeof(int));
	sb_rep_t **reps = calloc((size_t)nrun + 1, sizeof(*reps));
	if (!cfgs || !order || !reps)
		return 1;
	for (int l = 0; l < o->nlocks; l++)
		for (int t = 0; t < o->ntcounts; t++)
			cfgs[l * o->ntcounts + t] = (cfg_t){o->locks[l], o->tcounts[t]};
	for (int i = 0; i < nrun; i++)
		order[i] = i;
	uint64_t s = o->seed;
	for (int i = nrun - 1; i > 0; i--) {
		int j = (int)(splitmix(&s) % (uint64_t)(i + 1));
		int tmp = order[i];
		order[i] = order[j];
		order[j] = tmp;
	}
	meta.nconfigs = ncfg;

	/* The result folder: created now, complete files only. */
	time_t now = time(NULL);
	struct tm tm;
	char stamp[32], dir[2 * PATH_MAX + 64];
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	strftime(meta.start_iso, sizeof(meta.start_iso), "%Y-%m-%dT%H:%M:%S%z", &tm);
	int in_results = !o->out[0];
	if (in_results) {
		snprintf(meta.run_id, sizeof(meta.run_id), "%s-%s", o->machine, stamp);
		snprintf(dir, sizeof(dir), "%s/.%s.partial", o->results_dir, meta.run_id);
	} else {
		const char *b = strrchr(o->out, '/');
		snprintf(meta.run_id, sizeof(meta.run_id), "%s", b && b[1] ? b + 1 : o->out);
		snprintf(dir, sizeof(dir), "%s", o->out);
	}
	if (mkdir_p(dir) != 0) {
		fprintf(stderr, "run-bench: cannot create %s: %s\n", dir, strerror(errno));
		return 1;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	double per_rep = (double)(o->warmup_ns + o->duration_ns + o->timed_ns) / 1e9;
	uint64_t t0 = sb_now_ns();
	int nreps = 0, failed = 0, status = 0;
	for (int k = 0; k < nrun && !sb_stop_signal; k++) {
		int c = order[k] / o->repeat, rep = order[k] % o->repeat;
		if (o->progress) {
			double el = (double)(sb_now_ns() - t0) / 1e9;
			fprintf(stderr, "\r\033[K[%d/%d] %s, %d threads, rep %d  elapsed %.0fs, remaining ~%.0fs", k + 1,
				nrun, cfgs[c].lock->name, cfgs[c].threads, rep + 1, el, (nrun - k) * per_rep);
		}
		sb_rep_t *r = calloc(1, sizeof(*r));
		int rc = sb_run_rep(&ctx, cfgs[c].lock, cfgs[c].threads, rep, r);
		if (rc == 0) {
			r->cfg = c;
			reps[nreps++] = r;
			if (r->violations && !(r->lock->flags & SB_F_NOLOCK))
				failed = 1;
			continue;
		}
		free(r);
		if (rc == -3)
			break;
		if (o->progress)
			fputs("\n", stderr);
		fprintf(stderr, "run-bench: %s\n", ctx.err);
		snprintf(meta.stop_reason, sizeof(meta.stop_reason), "%s", rc == -2 ? "watchdog" : "error");
		status = 1;
		break;
	}
	if (o->progress)
		fputs("\r\033[K", stderr);
	if (sb_stop_signal) {
		snprintf(meta.stop_reason, sizeof(meta.stop_reason), "%s",
			 sb_stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
		status = 128 + sb_stop_signal;
		fprintf(stderr, "run-bench: stopped by %s; writing what was measured, marked incomplete\n",
			meta.stop_reason);
	}
	meta.complete = status == 0;

	if (ncfg)
		print_summary(o, cfgs, ncfg, reps, nreps, ctx.tsc_offset_ns);
	if (sb_results_write(dir, &ctx, &meta, reps, nreps) != 0)
		return 1;
	char final[2 * PATH_MAX + 128];
	if (in_results) {
		snprintf(final, sizeof(final), "%s/%s", o->results_dir, meta.run_id);
		for (int i = 2; access(final, F_OK) == 0 && i < 100; i++)
			snprintf(final, sizeof(final), "%s/%s-%d", o->results_dir, meta.run_id, i);
		if (rename(dir, final) != 0) {
			fprintf(stderr, "run-bench: cannot rename %s to %s: %s\n", dir, final, strerror(errno));
			return 1;
		}
		if (meta.complete) {
			char link[PATH_MAX + 16], tmp[PATH_MAX + 16];
			const char *base = strrchr(final, '/') + 1;
			snprintf(link, sizeof(link), "%s/latest", o->results_dir);
			snprintf(tmp, sizeof(tmp), "%s/.latest.tmp", o->results_dir);
			unlink(tmp);
			if (symlink(base, tmp) != 0 || rename(tmp, link) != 0)
				fprintf(stderr, "run-bench: warning: cannot update %s\n", link);
		}
	} else {
		snprintf(final, sizeof(final), "%s", dir);
	}
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
	if (failed) {
		fprintf(stderr, "run-bench: FAILURE: mutual exclusion violated by a real lock\n");
		return 1;
	}
	return status;
}
