/*
 * counters.h - hardware counters (PAPI) and the suite's own software counters
 * (PAPI software-defined events), per worker thread, over the measured window.
 *
 * Life cycle (all PAPI calls of the suite go through here):
 *
 *   main thread:  sb_counters_setup(spec)          once per run (may be re-run: tests)
 *   each worker, after it is pinned:
 *                 t = sb_counters_thread_init()
 *                 ... warm-up ...
 *                 sb_counters_start(t)             window start
 *                 measured loop (reads no counter; counts in registers)
 *                 sb_sde_acquisitions = cnt; sb_sde_handoffs = ...;
 *                 sb_counters_stop(t, v)           window end: v[sb_counters_n()]
 *                 sb_counters_thread_fini(t)
 *
 * Values are counts over the window for the calling thread.  A counter that
 * this machine cannot count is kept in the list (available == 0, with PAPI's
 * reason) and its value is -1: the caller writes NA, never 0.
 *
 * Software events.  The suite registers three PAPI software-defined events
 * (libsde) under the library name "spinbench":
 *   sde:::spinbench::spins         wait-loop iterations (sb_spins, locks/arch.h)
 *   sde:::spinbench::acquisitions  acquisitions in the window (set by the harness)
 *   sde:::spinbench::handoffs      handoffs (set by the harness)
 * and they are read through PAPI_start/PAPI_stop like any other event.  They
 * are per thread: each is a callback that returns the *calling* thread's
 * _Thread_local value (libsde calls it synchronously inside the PAPI_stop of
 * the thread that reads).  They are registered as PAPI_SDE_INSTANT, and the
 * window delta is taken here, per thread: libsde keeps the "value at
 * PAPI_start" of a DELTA counter in one process-wide slot per event, which
 * the PAPI_start of another thread overwrites (see counters.c).
 *
 * libsde is loaded with dlopen("libsde.so.1", RTLD_GLOBAL) before
 * PAPI_library_init, so no extra link flag is needed; PAPI's SDE component
 * finds it through the global symbol scope.  Consequence: sb_counters_setup()
 * (or sb_counters_list()) must be the first thing in the process that calls
 * PAPI_library_init.
 *
 * SPINBENCH_PAPI_DISABLE=comp[,comp] (environment) disables those PAPI
 * components before PAPI_library_init: SPINBENCH_PAPI_DISABLE=perf_event
 * shows the no-PMU path (NA with the reason) on a machine that has a PMU.
 */
#ifndef SPINBENCH_HARNESS_COUNTERS_H
#define SPINBENCH_HARNESS_COUNTERS_H

#include <stddef.h>
#include <stdio.h>

/* At most this many counters in one --counters list. */
#define SB_CTR_MAX 32

/*
 * Parse --counters and decide what can be counted.
 *   spec: "default", "none", or a comma list whose items are PAPI preset or
 *   native event names, the suite's own events ("spins", "acquisitions",
 *   "handoffs", or their full names "sde:::spinbench::X"), or "default"
 *   (expands to the default set).  An event given twice is kept once; two
 *   different events whose column stems collide are a usage error.
 *   "default" = PAPI_L1_DCM, PAPI_L2_DCM (PAPI_L2_TCM where only that one is
 *   countable), PAPI_L3_TCM, PAPI_TOT_CYC, PAPI_TOT_INS, spins, acquisitions,
 *   handoffs.
 * Initialises PAPI on first call (library, thread support with
 * pthread_self), registers the software events, then checks every name by
 * adding it to a probe event set of the calling thread and starting and
 * stopping that set (cumulatively per PAPI component, so that events that
 * cannot be counted together are found here, not in the workers).
 * Returns:
 *   -1  usage error: err = one line naming the option and the value, e.g.
 *       "--counters: unknown event 'X'" (a name that is no PAPI event at
 *       all), an empty item, "none" in a list, too many or too long names.
 *       The previous list is cleared (sb_counters_n() == 0).
 *    0  every counter is available; err = "".
 *   >0  that many counters are known but not countable here; they are kept
 *       (available 0, reason set) and err holds one warning line for the
 *       caller to print, grouped by reason.
 * Not thread-safe: call from the main thread while no worker is counting.
 */
int sb_counters_setup(const char *spec, char *err, size_t errlen);

/* Number of counters of the current list (0 after "none" or a failed setup). */
int sb_counters_n(void);

/* Counter i's column stem: "spins", "PAPI_L1_DCM"; native names with every
 * run of characters other than [A-Za-z0-9_] turned into one '_'
 * ("perf::TASK-CLOCK" -> "perf_TASK_CLOCK").  NULL when i is out of range. */
const char *sb_counter_name(int i);

/* Counter i's PAPI event name ("sde:::spinbench::spins", "PAPI_L1_DCM"). */
const char *sb_counter_event(int i);

/* 1 when counter i is counted on this machine, else 0 (and out of range). */
int sb_counter_available(int i);

/* Index of the suite's own `handoffs` event, or -1 when not requested.  It
 * covers the timed phase (where handoffs are classified) and is divided by
 * the timed acquisitions; every other counter covers the measured window. */
int sb_counters_handoffs(void);

/* The CSV column stem of counter i, written into buf: its name, with "sde_"
 * before the suite's own events read back through PAPI, so that
 * sde_spins_per_op stands beside the harness's own spins_per_op. */
const char *sb_counter_column(int i, char *buf, size_t len);

/* Why counter i is not available (PAPI's reason); "" when it is. */
const char *sb_counter_reason(int i);

/*
 * --list-counters: what this machine can count.  Prints the default set and
 * every other PAPI preset that PAPI maps on this CPU, each checked by really
 * adding and starting it, with the reason for each one that cannot be
 * counted; the suite's software events; and PAPI's components (disabled ones
 * with their reason).  Initialises PAPI if sb_counters_setup has not; leaves
 * the current --counters list unchanged.
 */
void sb_counters_list(FILE *f);

/* meta.json's "counters" value (the array only, one line, no newline):
 * [{"name":"PAPI_L1_DCM","event":"PAPI_L1_DCM","available":false,"reason":"..."}, ...] */
void sb_counters_json(FILE *f);

/*
 * Per worker thread.  Call in the worker, after it is pinned and before the
 * start barrier: registers the thread with PAPI and builds its own event sets
 * (one per PAPI component) of the available counters.  Returns NULL with a
 * one-line err when PAPI refuses (the counters cannot be read in this thread).
 * With no available counter it returns a valid handle whose start/stop only
 * fill in -1s.
 */
typedef struct sb_ctr_thread sb_ctr_thread_t;
sb_ctr_thread_t *sb_counters_thread_init(char *err, size_t errlen);

/* At the start of the measured window, in the thread that called
 * thread_init: snapshots sb_spins, zeroes sb_sde_acquisitions and
 * sb_sde_handoffs, starts the event sets.  0 on success, -1 on PAPI error. */
int sb_counters_start(sb_ctr_thread_t *t);

/* At its end, same thread: stops the event sets and writes
 * v[0 .. sb_counters_n()-1] in list order: counts over the window (>= 0) for
 * available counters, -1 for unavailable ones (caller writes NA).  0 on
 * success; -1 on PAPI error (then every v[i] is -1). */
int sb_counters_stop(sb_ctr_thread_t *t, long long *v);

/* Same thread, after the last stop: destroys the event sets, unregisters the
 * thread from PAPI, frees t.  NULL is allowed. */
void sb_counters_thread_fini(sb_ctr_thread_t *t);

/*
 * The suite's software counters of the calling thread.  The harness stores
 * its exact window counts in these before calling sb_counters_stop (the
 * measured loop counts in a register; nothing is read per acquisition).
 * sb_counters_start zeroes them.
 */
extern _Thread_local long long sb_sde_acquisitions, sb_sde_handoffs;

#endif
