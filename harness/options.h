/*
 * options.h - run-bench's command line: a pure parse (sb_opts_parse: the
 * options as given, checked for form; --help, --version and --list answer
 * at once), then a resolve step with every side effect (sb_opts_resolve:
 * workload presets read, PAPI initialised, the topology loaded, thread
 * counts and locks chosen, --out checked, SCHED_FIFO set).  Bad input is
 * one line on stderr naming the option and the value, exit 2, nothing
 * written (sb_bad).
 */
#ifndef SPINBENCH_HARNESS_OPTIONS_H
#define SPINBENCH_HARNESS_OPTIONS_H

#include "run.h"

#define SB_ARGS_MAX_WL 64

/* What sb_opts_parse leaves to sb_opts_resolve: the values that need the
 * machine (topology, PAPI, workload files) to be checked. */
typedef struct sb_args {
	const char *lock, *threads, *timed, *lock_node, *seed, *counters, *vnodes, *workload;
	const char *wl_opt[SB_ARGS_MAX_WL], *wl_val[SB_ARGS_MAX_WL]; /* workload options, in order */
	int nwl;
	int list_wl, list_ctr;
} sb_args_t;

/* The usage text. */
void sb_usage(FILE *f);

/* Bad input: "run-bench: " and the message on one line of stderr, exit 2. */
__attribute__((format(printf, 1, 2), noreturn)) void sb_bad(const char *fmt, ...);

/* Parse argv into *o (defaults first) and *a; exits 2 on a malformed value,
 * 0 after --help, --version or --list. */
void sb_opts_parse(int argc, char **argv, sb_opts_t *o, sb_args_t *a);

/* Everything that needs the machine; fills the rest of *o and ctx->topo,
 * usable_pus, npus_total.  Exits 2 on bad input, 1 when this machine's
 * topology cannot be read, 0 after --list-workloads / --list-counters. */
void sb_opts_resolve(sb_opts_t *o, const sb_args_t *a, sb_runctx_t *ctx);

#endif
