/*
 * main.c - run-bench: options, the sweep, the human summary, the result folder.
 *
 * Exit status: 0 success; 1 a failed run (violation in a real lock, binding
 * failure, watchdog, I/O error); 2 bad input (one line on stderr naming the
 * option and the value, nothing written); 128+signal when stopped by SIGINT
 * or SIGTERM (what was measured is written, marked incomplete).
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
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
#include "aggregate.h"
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
#define DEFAULT_REPEAT 0 /* auto */
#define C2C_ROUNDS 5     /* --c2c: each class floor is the median of this many rounds */

static void usage(FILE *f)
{
	fputs("usage: run-bench [OPTIONS]\n"
	      "Measure spin locks on pinned threads; write results/<machine>-<date>/.\n\n"
	      "  --lock=LIST        locks, families (basic, queued, rw: the canonical lock),\n"
	      "                     all:FAMILY, all (default: ttas,mcs,rw-wpref,pthread-mutex,ck-mcs)\n"
	      "  --threads=LIST     e.g. 1,2,4-8,max (default: 1,2,4,... up to the PUs)\n"
	      "  --duration=TIME    measured throughput window per repetition (default 200ms)\n"
	      "  --warmup=TIME      warm-up before it (default 50ms)\n"
	      "  --timed=TIME       latency phase after it (default: half the duration; 0: none, every\n"
	      "                     latency column NA)\n"
	      "  --repeat=N|auto    repetitions of each configuration (default auto: 3 to 15, until the\n"
	      "                     95%% interval of the median throughput is within +-5%%)\n"
	      "  --sched=fifo|other workers under SCHED_FIFO (needs root or CAP_SYS_NICE; threads <= PUs)\n"
	      "  --placement=P      cores (default), compact, scatter, node:N, cpus:LIST\n"
	      "  --lock-node=N      NUMA node of the lock and its data (default: thread 0's)\n"
	      "  --out=DIR          result folder (default results/<machine>-<yyyymmdd-hhmmss>); an existing\n"
	      "                     one must be empty or a previous result, which is replaced whole\n"
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
	      "  --help, -h         this text\n"
	      "  --version          the build: git commit and compiler flags\n"
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

/* What --out names: nothing there, an empty folder, a previous result
 * (meta.json with a schema_version: replaced whole), or anything else. */
enum { OUT_NEW, OUT_EMPTY, OUT_RESULT, OUT_FOREIGN, OUT_BAD };

static int is_result_folder(const char *dir)
{
	char p[2 * PATH_MAX + 64], buf[4096];
	snprintf(p, sizeof(p), "%s/meta.json", dir);
	FILE *f = fopen(p, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, "\"schema_version\"") && strstr(buf, "\"run_id\"");
}

static int out_state(const char *dir)
{
	struct stat st;
	if (stat(dir, &st) != 0)
		return errno == ENOENT ? OUT_NEW : OUT_BAD;
	if (!S_ISDIR(st.st_mode))
		return OUT_BAD;
	DIR *d = opendir(dir);
	if (!d)
		return OUT_BAD;
	struct dirent *e;
	int empty = 1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return empty ? OUT_EMPTY : is_result_folder(dir) ? OUT_RESULT : OUT_FOREIGN;
}

/* The folder that holds `path` (its parent), "." for a bare name. */
static void parent_of(const char *path, char *out, size_t n)
{
	snprintf(out, n, "%s", path);
	size_t len = strlen(out);
	while (len > 1 && out[len - 1] == '/')
		out[--len] = '\0';
	char *s = strrchr(out, '/');
	if (!s)
		snprintf(out, n, ".");
	else if (s == out)
		out[1] = '\0';
	else
		*s = '\0';
}

/*
 * Can a run be written to --out?  The run writes into a hidden folder beside
 * it and renames that into place at the end, so the parent must take a new
 * folder: create the parent (and its parents) and a probe folder in it.  A
 * parent created for nothing (an unwritable one) is removed again.  0 when
 * writable.
 */
static int out_probe(const char *dir, int state)
{
	char parent[2 * PATH_MAX + 64], probe[2 * PATH_MAX + 96];
	struct stat st;
	(void)state;
	parent_of(dir, parent, sizeof(parent));
	int existed = stat(parent, &st) == 0;
	if (mkdir_p(parent) != 0)
		return -1;
	snprintf(probe, sizeof(probe), "%s/.spinbench-probe.%d", parent, (int)getpid());
	if (mkdir(probe, 0777) != 0) {
		if (!existed)
			rmdir(parent);
		return -1;
	}
	rmdir(probe);
	return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* rm -rf path (no symlink is followed). */
static int remove_tree(const char *path)
{
	return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

enum {
	O_LOCK = 256, O_THREADS, O_DURATION, O_WARMUP, O_TIMED, O_REPEAT, O_PLACEMENT, O_LOCKNODE, O_OUT,
	O_MACHINE, O_TOPOLOGY, O_PLAN, O_SEED, O_LIST, O_QUIET, O_HELP, O_NOPLOTS, O_COUNTERS, O_LISTCTR,
	O_VNODES, O_C2C, O_WORKLOAD, O_LISTWL, O_WLOPT, O_SCHED, O_VERSION
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
	{"version", no_argument, 0, O_VERSION},
	{"no-plots", no_argument, 0, O_NOPLOTS},
	{"counters", required_argument, 0, O_COUNTERS},
	{"list-counters", no_argument, 0, O_LISTCTR},
	{"virtual-nodes", required_argument, 0, O_VNODES},
	{"c2c", no_argument, 0, O_C2C},
	{"sched", required_argument, 0, O_SCHED},
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
	while ((c = getopt_long(argc, argv, "h", longopts, &li)) != -1) {
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
			if (strcmp(optarg, "auto") == 0)
				o->repeat = 0;
			else if (sb_parse_u64(optarg, &v) || v < 1 || v > 1000)
				bad("--repeat: invalid value '%s' (1..1000, or auto)", optarg);
			else
				o->repeat = (int)v;
			break;
		case O_SCHED:
			if (strcmp(optarg, "fifo") != 0 && strcmp(optarg, "other") != 0)
				bad("--sched: invalid value '%s' (fifo or other)", optarg);
			o->sched_fifo = strcmp(optarg, "fifo") == 0;
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
		case 'h':
		case O_HELP: usage(stdout); exit(0);
		case O_VERSION:
			printf("run-bench (spinbench) %s, built with %s\n", sb_build_commit(), sb_build_flags());
			exit(0);
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
	if (timed_s && strcmp(timed_s, "0") == 0)
		o->timed_ns = 0;
	else if (timed_s && sb_parse_time_ns(timed_s, &o->timed_ns, 1))
		bad("--timed: invalid time '%s' (0, or a number with a unit: ns, us, ms, s)", timed_s);
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
	if (o->sched_fifo && !o->plan_only) {
		int most = 0;
		for (int i = 0; i < o->ntcounts; i++)
			most = o->tcounts[i] > most ? o->tcounts[i] : most;
		if (most > ctx->usable_pus)
			bad("--sched: fifo with %d threads on %d PUs: a spinning real-time waiter would starve the "
			    "holder on its own CPU (at most %d threads)",
			    most, ctx->usable_pus, ctx->usable_pus);
		/* The runner above the workers (priority 2 > 1): its few wake-ups at the
		 * phase edges run at once.  Children (the plotter) go back to normal. */
		struct sched_param sp = {.sched_priority = 2};
		if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) != 0)
			bad("--sched: fifo refused: %s (needs root or CAP_SYS_NICE)", strerror(errno));
	}
	/* --out last: it is checked by creating the folder and a file in it. */
	if (o->out[0] && !o->plan_only) {
		int st = out_state(o->out);
		if (st == OUT_FOREIGN)
			bad("--out: '%s' exists and is neither empty nor a spinbench result: refusing to mix files",
			    o->out);
		if (st == OUT_BAD || out_probe(o->out, st) != 0)
			bad("--out: cannot write to '%s'", o->out);
	}
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
 * Before the sweep (after = 0): C2C_ROUNDS rounds over the pairs; each
 * pair's figures are the medians of its rounds, each class floor the median
 * of the rounds' class medians (a VM's vCPU placement changes from minute to
 * minute).  After the sweep (after = 1): one more round for the offset only;
 * the larger offset is the one recorded.
 */
static void measure_c2c(const sb_opts_t *o, sb_runctx_t *ctx, sb_meta_t *meta, int after)
{
	int maxt = o->tcounts[o->ntcounts - 1], n = 0;
	int *pus = calloc((size_t)maxt, sizeof(int)), *uniq = calloc((size_t)maxt, sizeof(int));
	int rounds = after ? 1 : C2C_ROUNDS, samples = SB_C2C_DEFAULT_SAMPLES / 2;
	sb_c2c_row_t *rr = calloc((size_t)rounds * SB_C2C_DEFAULT_MAX_PAIRS, sizeof(sb_c2c_row_t));
	char err[512];

	if (!after)
		meta->c2c = calloc(SB_C2C_DEFAULT_MAX_PAIRS, sizeof(sb_c2c_row_t));
	if (!pus || !uniq || !rr || !meta->c2c) {
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
		if (!after)
			fprintf(stderr, "run-bench: --c2c: the plan uses one PU; nothing to measure\n");
		goto done;
	}
	int prog = o->progress && !after, np = 0;
	for (int k = 0; k < rounds; k++) {
		np = sb_c2c_run(ctx->topo, uniq, n, SB_C2C_DEFAULT_MAX_PAIRS, samples,
				rr + (size_t)k * SB_C2C_DEFAULT_MAX_PAIRS, c2c_progress, &prog, err, sizeof(err));
		if (np < 0) {
			if (prog)
				fputs("\r\033[K", stderr);
			fprintf(stderr, "run-bench: --c2c: %s\n", err);
			exit(1);
		}
	}
	if (prog)
		fputs("\r\033[K", stderr);
	double *v = calloc((size_t)rounds * (size_t)(np + 1), sizeof(double));
	if (!v) {
		fprintf(stderr, "run-bench: out of memory\n");
		exit(1);
	}
	/* The offset: each pair's median over the rounds, the largest over the pairs. */
	double off = 0;
	for (int i = 0; i < np; i++) {
		for (int k = 0; k < rounds; k++)
			v[k] = rr[(size_t)k * SB_C2C_DEFAULT_MAX_PAIRS + i].offset_ns;
		off = fmax(off, fabs(sb_median_d(v, rounds)));
	}
	if (after) {
		meta->tsc_offset_after_ns = off;
		meta->tsc_offset_max_ns = fmax(meta->tsc_offset_max_ns, off);
		free(v);
		goto done;
	}
	meta->tsc_offset_before_ns = off;
	meta->tsc_offset_max_ns = off;
	meta->c2c_rounds = rounds;
	/* Each pair: medians over the rounds (min: the least). */
	for (int i = 0; i < np; i++) {
		sb_c2c_row_t row = rr[i];
		double mn = INFINITY;
		for (int k = 0; k < rounds; k++) {
			v[k] = rr[(size_t)k * SB_C2C_DEFAULT_MAX_PAIRS + i].median_ns;
			mn = fmin(mn, rr[(size_t)k * SB_C2C_DEFAULT_MAX_PAIRS + i].min_ns);
		}
		row.median_ns = sb_median_d(v, rounds);
		row.min_ns = mn;
		for (int k = 0; k < rounds; k++)
			v[k] = rr[(size_t)k * SB_C2C_DEFAULT_MAX_PAIRS + i].offset_ns;
		row.offset_ns = sb_median_d(v, rounds);
		row.samples = samples * rounds;
		meta->c2c[i] = row;
	}
	meta->nc2c = np;
	long all = (long)n * (n - 1) / 2;
	printf("core-to-core latency (one-way, half the median round trip; median of %d rounds), %d PUs: %d pairs "
	       "measured%s\n",
	       rounds, n, np, np < all ? " (a sample: one pair per class per core group)" : " (all pairs)");
	printf("%-8s %6s %10s %10s %12s\n", "class", "pairs", "median_ns", "min_ns", "tsc_offset");
	for (int c = 0; c < SB_DIST_NCLASSES; c++) {
		double floor_k[C2C_ROUNDS], mn = INFINITY, coff = 0, *pv = calloc((size_t)np + 1, sizeof(double));
		for (int i = 0; i < np; i++)
			if ((int)meta->c2c[i].cls == c)
				coff = fmax(coff, fabs(meta->c2c[i].offset_ns));
		int kp = 0;
		if (!pv)
			exit(1);
		for (int k = 0; k < rounds; k++) {
			int m = 0;
			for (int i = 0; i < np; i++) {
				const sb_c2c_row_t *x = &rr[(size_t)k * SB_C2C_DEFAULT_MAX_PAIRS + i];
				if ((int)x->cls != c)
					continue;
				pv[m++] = x->median_ns;
				mn = fmin(mn, x->min_ns);
			}
			floor_k[k] = m ? sb_median_d(pv, m) : NAN;
			kp = m;
		}
		free(pv);
		if (!kp)
			continue;
		ctx->c2c_floor[c] = sb_median_d(floor_k, rounds);
		printf("%-8s %6d %10.1f %10.1f %10.1fns\n", sb_dist_name((sb_dist_t)c), kp, ctx->c2c_floor[c], mn, coff);
	}
	ctx->tsc_offset_ns = meta->tsc_offset_max_ns;
	fflush(stdout);
	free(v);
done:
	free(rr);
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
static void print_summary(const sb_opts_t *o, const sb_cfg_t *cfgs, const sb_cfg_stats_t *st, int ncfg,
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
			NOTE("preempted in %d of %d reps (hypervisor steal in %d, run queue in %d%s) ", s->preempted_reps, n,
			     s->steal_reps, s->preempted_reps - s->steal_reps,
			     meta->rt_runtime_us >= 0 && meta->rt_runtime_us < meta->rt_period_us ? ": RT throttling" : "");
		if (meta->repeat_auto && !s->stable)
			NOTE("unstable: +-5%% not reached in %d reps ", n);
		if (s->slowdown > SB_SLOWDOWN_LIMIT)
			NOTE("latency phase %.2fx slower ", s->slowdown);
		if (!nolock && s->inconsistent_reps)
			NOTE("handoff p50 vs period outside [%.1f, %.1f] in %d reps ", SB_CONSISTENCY_LO, SB_CONSISTENCY_HI,
			     s->inconsistent_reps);
		if (!nolock && s->clock_suspect_reps)
			NOTE("clock suspect: handoffs <= 0 ns in %d reps ", s->clock_suspect_reps);
		if (!nolock && sb_offset_suspect(o_ctx_offset, s->ho_p50))
			NOTE("handoff latency unreliable: cores' counters differ by %.0fns ", o_ctx_offset);
		if (wl->cs_ns && !isnan(s->hold_p50) && fabs(s->hold_p50 - (double)wl->cs_ns) > SB_ASKED_TOLERANCE * (double)wl->cs_ns)
			NOTE("hold %.0fns for --cs=%.0fns ", s->hold_p50, (double)wl->cs_ns);
		double think = sb_workload_think_mean_ns(wl);
		if (think > 0 && !isnan(s->think_mean) && fabs(s->think_mean - think) > SB_ASKED_TOLERANCE * think)
			NOTE("think %.0fns for %.0fns ", s->think_mean, think);
		if (s->long_holds)
			NOTE("long holds %llu (> %.0fus) ", (unsigned long long)s->long_holds, (double)wl->hold_limit_ns / 1e3);
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
		printf("%-14s %7d %10s %7.3f %9s %9s", cfgs[c].lock->name, cfgs[c].threads, tp, s->jain, p50, p99);
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

/*
 * The plan of the largest count: printed for --plan (returns 1), checked
 * otherwise, so that bad input fails before anything runs (exit 2).
 */
static int check_plan(const sb_opts_t *o, const sb_runctx_t *ctx)
{
	int maxt = o->tcounts[o->ntcounts - 1];
	int *pus = calloc((size_t)maxt, sizeof(int));
	char err[512];
	int ov = pus ? sb_plan(ctx->topo, &o->placement, maxt, pus, err, sizeof(err)) : -1;

	if (ov < 0)
		bad("--placement: invalid value '%s': %s", o->placement_str, pus ? err : "out of memory");
	if (o->plan_only) {
		printf("# placement %s, %d threads%s, topology %s\n", o->placement_str, maxt,
		       ov == 1 ? " (oversubscribed: more threads than PUs)" : "",
		       o->topology[0] ? o->topology : "this machine");
		sb_plan_print(stdout, ctx->topo, pus, maxt);
		print_pair_classes(ctx->topo, pus, maxt);
	} else if (ov == 1) {
		fprintf(stderr, "run-bench: warning: %d threads on %d PUs: oversubscribed; queue locks "
				"slow down sharply when a waiter is preempted\n",
			maxt, ctx->usable_pus);
	}
	free(pus);
	return o->plan_only;
}

/* The clock (calibration, costs, granularity) and what the workload needs
 * of the runner; 0, or -1 when the counter cannot be calibrated. */
static int setup_measurement(const sb_opts_t *o, sb_runctx_t *ctx, sb_meta_t *meta)
{
	/* Real-time throttling: SCHED_FIFO threads are stopped for period - runtime
	 * in every period once they have used their runtime. */
	meta->rt_runtime_us = read_long("/proc/sys/kernel/sched_rt_runtime_us");
	meta->rt_period_us = read_long("/proc/sys/kernel/sched_rt_period_us");
	if (o->sched_fifo && meta->rt_runtime_us >= 0 && meta->rt_runtime_us < meta->rt_period_us && !o->quiet)
		fprintf(stderr, "run-bench: warning: --sched=fifo: RT throttling (kernel.sched_rt_runtime_us %ld of %ld) "
				"stops spinning real-time workers for %.0f ms in every %.0f ms; windows that meet it are "
				"marked preempted\n",
			meta->rt_runtime_us, meta->rt_period_us, (double)(meta->rt_period_us - meta->rt_runtime_us) / 1e3,
			(double)meta->rt_period_us / 1e3);
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
	ctx->needs_delay_loop =
		ctx->general && ((wl->cs_ns > 0 && wl->cs_ns < SB_DELAY_DEADLINE_NS) || wl->think_kind == SB_THINK_EXP ||
				 (wl->think_kind == SB_THINK_UNIFORM && wl->think_a_ns < SB_DELAY_DEADLINE_NS) ||
				 (wl->think_kind == SB_THINK_FIXED && wl->think_a_ns > 0 &&
				  wl->think_a_ns < SB_DELAY_DEADLINE_NS));
	return 0;
}

/*
 * The runner sleeps through each phase on a PU that no worker of any
 * configuration uses, when there is one: bind the calling thread there and
 * return it; -1 (unbound, where the scheduler puts it) otherwise.
 */
static int pin_runner(const sb_opts_t *o, const sb_runctx_t *ctx)
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

/*
 * The result folder: its run_id, and the hidden folder beside its final
 * place where the run writes (dir), renamed by publish() at the end.  0, or
 * -1 (reported) when it cannot be created.
 */
static int make_folder(const sb_opts_t *o, sb_meta_t *meta, char *dir, size_t dirlen)
{
	time_t now = time(NULL);
	struct tm tm;
	char stamp[32];

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	strftime(meta->start_iso, sizeof(meta->start_iso), "%Y-%m-%dT%H:%M:%S%z", &tm);
	if (!o->out[0]) {
		snprintf(meta->run_id, sizeof(meta->run_id), "%s-%s", o->machine, stamp);
		snprintf(dir, dirlen, "%s/.%s.partial", o->results_dir, meta->run_id);
	} else {
		char parent[PATH_MAX], base[PATH_MAX];
		snprintf(base, sizeof(base), "%s", o->out);
		for (size_t l = strlen(base); l > 1 && base[l - 1] == '/'; l--)
			base[l - 1] = '\0';
		const char *b = strrchr(base, '/');
		snprintf(meta->run_id, sizeof(meta->run_id), "%s", b ? b + 1 : base);
		/* run_id is a CSV field, written unquoted: no comma, quote or line break in it */
		for (char *q = meta->run_id; *q; q++)
			if (*q == ',' || *q == '"' || *q == '\n' || *q == '\r')
				*q = '_';
		parent_of(o->out, parent, sizeof(parent));
		snprintf(dir, dirlen, "%s/.%s.partial-%d", parent, meta->run_id, (int)getpid());
	}
	if (mkdir_p(dir) != 0) {
		fprintf(stderr, "run-bench: cannot create %s: %s\n", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* The sweep's configurations and the repetitions measured so far. */
typedef struct sweep {
	sb_cfg_t *cfgs;
	sb_cfg_stats_t *stats;
	int ncfg;
	sb_rep_t **reps;
	int nreps;
	int failed; /* a real lock violated mutual exclusion */
} sweep_t;

/*
 * Run the sweep.  Repetitions run in rounds, each in a seeded shuffled
 * order: all N of them at once for --repeat=N; for auto, three of each
 * configuration first, then one more of each not yet stable per round
 * (sb_auto_stop), so that repetitions of different configurations stay
 * interleaved.  Returns 0; 1 after an error or the watchdog (reported,
 * meta->stop_reason set); a stop signal ends it early, leaving the rest to
 * the caller.
 */
static int run_sweep(const sb_opts_t *o, sb_runctx_t *ctx, sb_meta_t *meta, sweep_t *sw)
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
		planned += norder;
		for (int i = norder - 1; i > 0; i--) {
			int j = (int)(sb_splitmix64(&seed) % (uint64_t)(i + 1));
			int tmp = order[i];
			order[i] = order[j];
			order[j] = tmp;
		}
		for (int k = 0; k < norder && !sb_stop_signal; k++) {
			int c = order[k] / per_cfg, rep = order[k] % per_cfg;
			const sb_cfg_t *cf = &sw->cfgs[c];
			if (o->progress) {
				double el = (double)(sb_now_ns() - t0) / 1e9;
				fprintf(stderr, "\r\033[K[%d/%d%s] %s, %d threads, rep %d  elapsed %.0fs, remaining ~%.0fs%s",
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
			if (!auto_rep) {
				finished[c] = 1;
				continue;
			}
			int m = 0;
			for (int i = 0; i < sw->nreps; i++)
				if (sw->reps[i]->cfg == c)
					tp[m++] = sw->reps[i]->throughput;
			finished[c] = m >= SB_AUTO_MIN_REPS && sb_auto_stop(tp, m, SB_AUTO_MIN_REPS, SB_AUTO_MAX_REPS,
									  SB_AUTO_REL, NULL);
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

/*
 * Move the finished folder (dir) to its place: results/<run_id> (next free
 * name) with results/latest pointing at it when complete; or --out, which
 * replaces a previous result (or an empty folder) whole: it is moved aside,
 * the new one moved in, then the old one deleted.  final gets the place.
 * 0, or -1 (reported).
 */
static int publish(const sb_opts_t *o, const sb_meta_t *meta, const char *dir, char *final, size_t flen)
{
	if (!o->out[0]) {
		snprintf(final, flen, "%s/%s", o->results_dir, meta->run_id);
		for (int i = 2; access(final, F_OK) == 0 && i < 100; i++)
			snprintf(final, flen, "%s/%s-%d", o->results_dir, meta->run_id, i);
		if (rename(dir, final) != 0) {
			fprintf(stderr, "run-bench: cannot rename %s to %s: %s\n", dir, final, strerror(errno));
			return -1;
		}
		if (meta->complete) {
			char link[PATH_MAX + 16], tmp[PATH_MAX + 16];
			const char *base = strrchr(final, '/') + 1;
			snprintf(link, sizeof(link), "%s/latest", o->results_dir);
			snprintf(tmp, sizeof(tmp), "%s/.latest.tmp", o->results_dir);
			unlink(tmp);
			if (symlink(base, tmp) != 0 || rename(tmp, link) != 0)
				fprintf(stderr, "run-bench: warning: cannot update %s\n", link);
		}
		return 0;
	}
	char old[2 * PATH_MAX + 96], parent[PATH_MAX];
	int st = out_state(o->out);
	snprintf(final, flen, "%s", o->out);
	parent_of(o->out, parent, sizeof(parent));
	snprintf(old, sizeof(old), "%s/.%s.old-%d", parent, meta->run_id, (int)getpid());
	if (st == OUT_FOREIGN || st == OUT_BAD) {
		fprintf(stderr, "run-bench: %s changed during the run and is not a result folder; the results "
				"stay in %s\n", o->out, dir);
		return -1;
	}
	if (st != OUT_NEW && rename(o->out, old) != 0) {
		fprintf(stderr, "run-bench: cannot move the old %s aside: %s; the results stay in %s\n", o->out,
			strerror(errno), dir);
		return -1;
	}
	if (rename(dir, o->out) != 0) {
		fprintf(stderr, "run-bench: cannot rename %s to %s: %s\n", dir, o->out, strerror(errno));
		return -1;
	}
	if (st != OUT_NEW && remove_tree(old) != 0)
		fprintf(stderr, "run-bench: warning: cannot remove the previous result %s\n", old);
	return 0;
}

int main(int argc, char **argv)
{
	sb_opts_t *o = calloc(1, sizeof(*o));
	sb_runctx_t ctx;
	sb_meta_t meta;
	sweep_t sw;
	char dir[2 * PATH_MAX + 64], final[2 * PATH_MAX + 128];

	if (!o)
		return 1;
	memset(&ctx, 0, sizeof(ctx));
	memset(&meta, 0, sizeof(meta));
	memset(&sw, 0, sizeof(sw));
	ctx.tsc_offset_ns = NAN;
	meta.tsc_offset_after_ns = NAN; /* measured only when locks ran after --c2c */
	ctx.o = o;
	parse_opts(argc, argv, o, &ctx);
	if (check_plan(o, &ctx))
		return 0;
	if (setup_measurement(o, &ctx, &meta) != 0)
		return 1;
	if (o->c2c)
		measure_c2c(o, &ctx, &meta, 0);
	ctx.runner_pu = pin_runner(o, &ctx);

	sw.ncfg = o->nlocks * o->ntcounts;
	sw.cfgs = calloc((size_t)sw.ncfg + 1, sizeof(*sw.cfgs));
	sw.stats = calloc((size_t)sw.ncfg + 1, sizeof(*sw.stats));
	if (!sw.cfgs || !sw.stats)
		return 1;
	for (int l = 0; l < o->nlocks; l++)
		for (int t = 0; t < o->ntcounts; t++)
			sw.cfgs[l * o->ntcounts + t] = (sb_cfg_t){o->locks[l], o->tcounts[t]};
	meta.nconfigs = meta.ncfg = sw.ncfg;
	meta.cfgs = sw.cfgs;
	meta.cfg_stats = sw.stats;
	meta.repeat_auto = o->repeat == 0;
	if (make_folder(o, &meta, dir, sizeof(dir)) != 0)
		return 1;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	int status = run_sweep(o, &ctx, &meta, &sw);
	for (int c = 0; c < sw.ncfg; c++)
		sb_cfg_aggregate(sw.reps, sw.nreps, c, meta.clock.granularity_ns, &sw.stats[c]);
	if (o->c2c && sw.ncfg && !status && !sb_stop_signal)
		measure_c2c(o, &ctx, &meta, 1);
	if (sb_stop_signal) {
		snprintf(meta.stop_reason, sizeof(meta.stop_reason), "%s",
			 sb_stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
		status = 128 + sb_stop_signal;
		fprintf(stderr, "run-bench: stopped by %s; writing what was measured, marked incomplete\n",
			meta.stop_reason);
	}
	meta.complete = status == 0;

	if (sw.ncfg)
		print_summary(o, sw.cfgs, sw.stats, sw.ncfg, &meta, ctx.tsc_offset_ns);
	if (sb_results_write(dir, &ctx, &meta, sw.reps, sw.nreps) != 0 || publish(o, &meta, dir, final, sizeof(final)) != 0)
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
