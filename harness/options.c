/*
 * options.c - run-bench's command line; see options.h.
 */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "counters.h"
#include "folder.h"
#include "lockapi.h"
#include "parse.h"
#include "results.h"

/* The default sweep: the canonical lock of each family and two references. */
static const char *const default_locks = "ttas,mcs,rw-wpref,pthread-mutex,ck-mcs";
#define DEFAULT_DURATION_NS 200000000ull /* short windows: the default run ends in seconds */
#define DEFAULT_WARMUP_NS 50000000ull
#define DEFAULT_REPEAT 0 /* auto */

void sb_usage(FILE *f)
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
	      "                     95% interval of the median throughput is within +-5%)\n"
	      "  --sched=fifo|other workers under SCHED_FIFO (needs root or CAP_SYS_NICE; threads <= PUs)\n"
	      "  --placement=P      cores (default), compact, scatter, node:N, cpus:LIST\n"
	      "  --lock-node=N      NUMA node of the lock and its data (default: thread 0's)\n"
	      "  --out=DIR          result folder (default results/<machine>-<yyyymmdd-hhmmss>); an existing\n"
	      "                     one must be empty or a previous result, which is replaced whole\n"
	      "  --machine=NAME     machine name recorded in the results (default: host name)\n"
	      "  --topology=FILE    plan from another machine's hwloc XML (with --plan only)\n"
	      "  --plan             print the placement plan and exit\n"
	      "  --seed=N           seed of the shuffled run order (default: from the clock)\n"
	      "  --part=K/N         run only part K of N of the configurations: those whose index in the\n"
	      "                     plan (locks x thread counts, lock-major) is K-1 modulo N; needs --seed.\n"
	      "                     Parts merge into one run with merge-results\n"
	      "  --list-configs     print the plan's configurations (index, lock, threads, part) and exit\n"
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

void sb_bad(const char *fmt, ...)
{
	va_list ap;
	fputs("run-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

enum {
	O_LOCK = 256,
	O_THREADS,
	O_DURATION,
	O_WARMUP,
	O_TIMED,
	O_REPEAT,
	O_PLACEMENT,
	O_LOCKNODE,
	O_OUT,
	O_MACHINE,
	O_TOPOLOGY,
	O_PLAN,
	O_SEED,
	O_LIST,
	O_QUIET,
	O_HELP,
	O_NOPLOTS,
	O_COUNTERS,
	O_LISTCTR,
	O_VNODES,
	O_C2C,
	O_WORKLOAD,
	O_LISTWL,
	O_WLOPT,
	O_SCHED,
	O_VERSION,
	O_PART,
	O_LISTCFG
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
	{"part", required_argument, 0, O_PART},
	{"list-configs", no_argument, 0, O_LISTCFG},
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

void sb_opts_parse(int argc, char **argv, sb_opts_t *o, sb_args_t *a)
{
	char err[2048];
	int c, given = 0;
	uint64_t v;

	memset(a, 0, sizeof(*a));
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
		case O_WORKLOAD:
			a->workload = optarg;
			break;
		case O_LISTWL:
			a->list_wl = 1;
			break;
		case O_WLOPT:
			if (a->nwl < SB_ARGS_MAX_WL) {
				a->wl_opt[a->nwl] = longopts[li].name;
				a->wl_val[a->nwl++] = optarg;
			}
			break;
		case O_LOCK:
			a->lock = optarg;
			break;
		case O_THREADS:
			a->threads = optarg;
			break;
		case O_DURATION:
			if (sb_parse_time_ns(optarg, &o->duration_ns, 0))
				sb_bad("--duration: invalid time '%s' (a positive number with a unit: ns, us, ms, s)",
				       optarg);
			break;
		case O_WARMUP:
			if (sb_parse_time_ns(optarg, &o->warmup_ns, 1))
				sb_bad("--warmup: invalid time '%s' (a number with a unit: ns, us, ms, s)", optarg);
			break;
		case O_TIMED:
			a->timed = optarg;
			break;
		case O_REPEAT:
			if (strcmp(optarg, "auto") == 0)
				o->repeat = 0;
			else if (sb_parse_u64(optarg, &v) || v < 1 || v > 1000)
				sb_bad("--repeat: invalid value '%s' (1..1000, or auto)", optarg);
			else
				o->repeat = (int)v;
			break;
		case O_SCHED:
			if (strcmp(optarg, "fifo") != 0 && strcmp(optarg, "other") != 0)
				sb_bad("--sched: invalid value '%s' (fifo or other)", optarg);
			o->sched_fifo = strcmp(optarg, "fifo") == 0;
			break;
		case O_PLACEMENT:
			if (sb_placement_parse(optarg, &o->placement, err, sizeof(err)))
				sb_bad("--placement: invalid value '%s': %s", optarg, err);
			snprintf(o->placement_str, sizeof(o->placement_str), "%s", optarg);
			break;
		case O_LOCKNODE:
			a->lock_node = optarg;
			break;
		case O_OUT:
			if (!*optarg || strlen(optarg) >= sizeof(o->out))
				sb_bad("--out: cannot write to '%s'", optarg);
			snprintf(o->out, sizeof(o->out), "%s", optarg);
			break;
		case O_MACHINE:
			if (!*optarg || strlen(optarg) >= sizeof(o->machine) ||
			    strspn(optarg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") !=
				    strlen(optarg))
				sb_bad("--machine: invalid name '%s' (letters, digits, '.', '_', '-')", optarg);
			strcpy(o->machine, optarg);
			break;
		case O_TOPOLOGY:
			snprintf(o->topology, sizeof(o->topology), "%s", optarg);
			break;
		case O_PLAN:
			o->plan_only = 1;
			break;
		case O_SEED:
			a->seed = optarg;
			break;
		case O_PART: {
			/* K/N: 1 <= K <= N; N against the plan's size in sb_opts_resolve */
			char kb[32];
			const char *sl = strchr(optarg, '/');
			uint64_t k = 0, nn = 0;
			if (!sl || (size_t)(sl - optarg) >= sizeof(kb))
				sb_bad("--part: invalid value '%s' (K/N: part K of N, 1 <= K <= N)", optarg);
			memcpy(kb, optarg, (size_t)(sl - optarg));
			kb[sl - optarg] = '\0';
			if (sb_parse_u64(kb, &k) || sb_parse_u64(sl + 1, &nn) || nn < 1 || nn > 100000 || k < 1 ||
			    k > nn)
				sb_bad("--part: invalid value '%s' (K/N: part K of N, 1 <= K <= N)", optarg);
			o->part = (int)k;
			o->nparts = (int)nn;
			break;
		}
		case O_LISTCFG:
			o->list_configs = 1;
			o->plan_only = 1; /* nothing is run or written */
			break;
		case O_LIST:
			sb_lock_list(stdout);
			exit(0);
		case O_QUIET:
			o->quiet = 1;
			break;
		case O_NOPLOTS:
			o->no_plots = 1;
			break;
		case O_COUNTERS:
			a->counters = optarg;
			break;
		case O_LISTCTR:
			a->list_ctr = 1;
			break;
		case O_VNODES:
			a->vnodes = optarg;
			break;
		case O_C2C:
			o->c2c = 1;
			break;
		case 'h':
		case O_HELP:
			sb_usage(stdout);
			exit(0);
		case O_VERSION:
			printf("run-bench (spinbench) %s, built with %s\n", sb_build_commit(), sb_build_flags());
			exit(0);
		case ':':
			sb_bad("option '%s' needs a value", argv[optind - 1]);
		default:
			if (optopt && optopt < 256)
				sb_bad("unknown option '-%c'", optopt);
			sb_bad("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		sb_bad("unexpected argument '%s'", argv[optind]);
	o->defaults_run = given == 0;
	const char *wd = getenv("SPINBENCH_WORKLOADS");
	snprintf(o->workloads_dir, sizeof(o->workloads_dir), "%s", wd && *wd ? wd : "workloads");
	const char *rd = getenv("SPINBENCH_RESULTS");
	snprintf(o->results_dir, sizeof(o->results_dir), "%s", rd && *rd ? rd : "results");
}

void sb_opts_resolve(sb_opts_t *o, const sb_args_t *a, sb_runctx_t *ctx)
{
	char err[2048];
	uint64_t v;

	if (a->list_wl) {
		if (sb_workload_list(stdout, o->workloads_dir) < 0) {
			fprintf(stderr, "run-bench: cannot read the presets in %s\n", o->workloads_dir);
			exit(1);
		}
		exit(0);
	}
	/* The workload: the preset, then each parameter given, in order. */
	sb_workload_default(&o->wl);
	if (a->workload && sb_workload_load(&o->wl, o->workloads_dir, a->workload, err, sizeof(err)))
		sb_bad("%s", err);
	for (int i = 0; i < a->nwl; i++)
		if (sb_workload_set(&o->wl, a->wl_opt[i], a->wl_val[i], err, sizeof(err)))
			sb_bad("%s", err);
	if (a->list_ctr) {
		if (sb_counters_setup(a->counters ? a->counters : "default", err, sizeof(err)) < 0)
			sb_bad("%s", err);
		sb_counters_list(stdout);
		exit(0);
	}
	/* PAPI is initialised here, once, before any thread exists. */
	{
		int unavailable = sb_counters_setup(a->counters ? a->counters : "none", err, sizeof(err));
		if (unavailable < 0)
			sb_bad("%s", err);
		if (unavailable > 0 && !o->quiet)
			fprintf(stderr, "run-bench: warning: %s\n", err);
		snprintf(o->counters_str, sizeof(o->counters_str), "%s", a->counters ? a->counters : "none");
	}
	if (strcmp(o->placement_str, "cores") == 0)
		sb_placement_parse("cores", &o->placement, err, sizeof(err));

	/* The topology: this machine, or a file to plan from. */
	ctx->topo = sb_topo_load(o->topology[0] ? o->topology : NULL, err, sizeof(err));
	if (!ctx->topo) {
		if (o->topology[0])
			sb_bad("--topology: cannot load '%s': %s", o->topology, err);
		fprintf(stderr, "run-bench: cannot read this machine's topology: %s\n", err);
		exit(1);
	}
	if (o->topology[0] && !o->plan_only)
		sb_bad("--topology: '%s' is another machine's topology: it can be planned (--plan), not run on",
		       o->topology);
	ctx->usable_pus = sb_plan_usable_pus(ctx->topo, &o->placement);
	{
		sb_topo_counts_t tc;
		sb_topo_counts(ctx->topo, &tc);
		ctx->npus_total = tc.pus;
		sb_numa_nodes = tc.nodes > 0 ? tc.nodes : 1;
	}
	if (a->vnodes) {
		if (sb_parse_u64(a->vnodes, &v) || v < 1 || v > SB_MAX_NUMA_NODES || (int)v > ctx->npus_total)
			sb_bad("--virtual-nodes: invalid value '%s' (1..%d, at most the machine's %d PUs)", a->vnodes,
			       SB_MAX_NUMA_NODES, ctx->npus_total);
		o->virtual_nodes = (int)v;
		sb_numa_nodes = (int)v;
	}
	{
		int probe;
		if (sb_plan(ctx->topo, &o->placement, 1, &probe, err, sizeof(err)) < 0)
			sb_bad("--placement: invalid value '%s': %s", o->placement_str, err);
	}

	if (a->lock) {
		int n = sb_lock_select(a->lock, o->locks, SB_MAX_LOCKS, err, sizeof(err));
		if (n < 0)
			sb_bad("%s", err);
		o->nlocks = n;
	} else if (o->c2c) {
		o->nlocks = 0; /* --c2c without --lock: only the floor */
	} else {
		o->nlocks = sb_lock_select(default_locks, o->locks, SB_MAX_LOCKS, err, sizeof(err));
	}
	if (a->threads) {
		if (sb_parse_thread_list(a->threads, ctx->usable_pus, o->tcounts, SB_MAX_TCOUNTS, &o->ntcounts))
			sb_bad("--threads: invalid value '%s' (counts 1..%d, ranges A-B, max)", a->threads,
			       SB_MAX_THREADS);
	} else {
		for (int t = 1; t <= ctx->usable_pus && o->ntcounts < SB_MAX_TCOUNTS; t *= 2)
			o->tcounts[o->ntcounts++] = t;
		if (o->tcounts[o->ntcounts - 1] != ctx->usable_pus && o->ntcounts < SB_MAX_TCOUNTS)
			o->tcounts[o->ntcounts++] = ctx->usable_pus;
	}
	o->timed_ns = o->duration_ns / 2;
	if (a->timed && strcmp(a->timed, "0") == 0)
		o->timed_ns = 0;
	else if (a->timed && sb_parse_time_ns(a->timed, &o->timed_ns, 1))
		sb_bad("--timed: invalid time '%s' (0, or a number with a unit: ns, us, ms, s)", a->timed);
	for (int i = 0; i < o->ntcounts; i++)
		if (sb_workload_validate(&o->wl, o->tcounts[i], err, sizeof(err)))
			sb_bad("%s", err);
	if (o->nparts > o->nlocks * o->ntcounts)
		sb_bad("--part: invalid value '%d/%d': the plan has %d configurations (%d locks x %d thread counts)",
		       o->part, o->nparts, o->nlocks * o->ntcounts, o->nlocks, o->ntcounts);
	if (a->lock_node) {
		if (sb_parse_u64(a->lock_node, &v) || v > INT_MAX || !sb_topo_has_node(ctx->topo, (int)v))
			sb_bad("--lock-node: no NUMA node '%s' on this machine", a->lock_node);
		o->lock_node = (int)v;
	}
	if (a->seed) {
		if (sb_parse_u64(a->seed, &o->seed))
			sb_bad("--seed: invalid value '%s' (a non-negative integer)", a->seed);
	} else if (o->nparts) {
		sb_bad("--part: needs --seed (every part must shuffle the plan with the same seed)");
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
			sb_bad("--sched: fifo with %d threads on %d PUs: a spinning real-time waiter would starve the "
			       "holder on its own CPU (at most %d threads)",
			       most, ctx->usable_pus, ctx->usable_pus);
		/* The runner above the workers (priority 2 > 1): its few wake-ups at the
		 * phase edges run at once.  Children (the plotter) go back to normal. */
		struct sched_param sp = {.sched_priority = 2};
		if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) != 0)
			sb_bad("--sched: fifo refused: %s (needs root or CAP_SYS_NICE)", strerror(errno));
	}
	/* --out last: it is checked by creating the folder and a file in it. */
	if (o->out[0] && !o->plan_only) {
		int st = sb_out_state(o->out);
		if (st == SB_OUT_FOREIGN)
			sb_bad("--out: '%s' exists and is neither empty nor a spinbench result: refusing to mix files",
			       o->out);
		if (st == SB_OUT_BAD || sb_out_probe(o->out) != 0)
			sb_bad("--out: cannot write to '%s'", o->out);
	}
	o->progress = !o->quiet && isatty(2);
}
