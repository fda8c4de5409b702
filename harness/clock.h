/*
 * clock.h - the timestamp counter used inside measured loops.
 *
 * Three reads of the machine's counter, all returning ticks (convert with
 * sb_ticks_to_ns()):
 *
 *   sb_tick_start()  a stamp taken BEFORE an operation (the arrival at a lock
 *                    call): it is not read before any earlier instruction has
 *                    completed, and no later instruction starts before it is
 *                    read.
 *   sb_tick_end()    a stamp taken AFTER an operation (owning the lock, the
 *                    end of a critical section): it is not read before every
 *                    earlier instruction has completed, loads included, so a
 *                    stamp after a spin loop cannot be taken before the loop's
 *                    last load returned.  Stores later in program order (the
 *                    unlock) cannot become visible to other cores before it is
 *                    read: stores leave the core only after they retire, and
 *                    they retire after the stamp.
 *   sb_tick_raw()    an unordered read, only for measuring the counter's own
 *                    step (sb_clock_init) and in tests.
 *
 * What each is, and the guidance it follows:
 *
 *   x86-64   start = LFENCE; RDTSC; LFENCE   end = LFENCE; RDTSC
 *            Intel SDM vol. 2B, RDTSC: an LFENCE before RDTSC makes the read
 *            wait until every earlier instruction has executed and every
 *            earlier load is globally visible; an LFENCE after it keeps later
 *            instructions, memory accesses included, from starting before
 *            the read.  AMD's APM gives LFENCE the same effect once it is
 *            dispatch-serialising, which Linux makes it on the AMD CPUs that
 *            need an MSR bit for that (X86_FEATURE_LFENCE_RDTSC).
 *            RDTSCP; LFENCE would do for `end` too; LFENCE; RDTSC is the
 *            cheaper of the two on the machines measured (13.4 against
 *            16.3 ns on this project's Xeon VM) and needs no register for
 *            TSC_AUX.  The end stamp has no trailing LFENCE: what follows it
 *            (the critical section's first instruction, or the unlock) may
 *            start early without moving the stamp the wrong way.
 *   aarch64  start = ISB; MRS CNTVCT_EL0; ISB   end = ISB; MRS CNTVCT_EL0
 *            (the Arm ARM: an ISB before the read stops it from being
 *            executed early, one after it stops later instructions from
 *            running ahead of it).
 *   other    clock_gettime(CLOCK_MONOTONIC_RAW) in ns (a library call, ordered
 *            by the call itself).
 *
 * sb_clock_init() measures at start-up what the published figures rest on:
 * the cost of one ordered read and the counter's granularity (meta.json
 * "clock"); a latency below twice the granularity is within the counter's
 * own step and is marked so in the summary.
 *
 * Ticks are converted to nanoseconds with the calibration that
 * sb_clock_init() measures once at start-up: that calibration (one factor)
 * is the only global mutable state of the clock.  Before sb_clock_init()
 * has run, conversions assume 1 tick = 1 ns (right only for clock_gettime).
 *
 * sb_now_ns() is CLOCK_MONOTONIC, for wall-clock timing (windows, watchdogs,
 * progress) outside measured loops.
 */
#ifndef SPINBENCH_HARNESS_CLOCK_H
#define SPINBENCH_HARNESS_CLOCK_H

#include <stdint.h>
#include <time.h>

/* What sb_clock_init() found out about the counter. */
typedef struct sb_clock_info {
	const char *source;            /* "tsc", "cntvct" or "clock_gettime" (static string) */
	int invariant;                 /* 1: the tick rate is constant and the counter keeps
				   running in idle states (x86: cpuid bit, or
				   constant_tsc + nonstop_tsc in /proc/cpuinfo;
				   cntvct and clock_gettime: always 1) */
	int cpuid_invariant;           /* x86: CPUID 0x80000007 EDX bit 8; else -1 */
	int cpuinfo_constant;          /* x86: "constant_tsc" in /proc/cpuinfo flags
				   (1/0, -1 if unreadable); else -1 */
	int cpuinfo_nonstop;           /* x86: "nonstop_tsc", same convention */
	int hypervisor;                /* x86: CPUID 1 ECX bit 31 (running under a
				   hypervisor, which may hide the invariant bit);
				   else -1 */
	double ticks_per_sec;          /* the calibration in use */
	double measured_ticks_per_sec; /* median of the rounds against
					  CLOCK_MONOTONIC_RAW (aarch64 uses
					  CNTFRQ_EL0 instead, this is the check) */
	double calib_spread;           /* (max - min) / median of the calibration
				   rounds, relative; 0 for clock_gettime */
	int calib_rounds;              /* rounds measured */
	double read_cost_ns;           /* median cost of one ordered read (sb_tick_end):
				   what an empty interval between two end stamps
				   reads, and what a hold time has subtracted */
	double start_cost_ns;          /* the same for sb_tick_start */
	double raw_cost_ns;            /* the same for the unordered sb_tick_raw */
	double granularity_ns;         /* smallest non-zero step seen between two
				   consecutive raw reads: the counter cannot show
				   a difference finer than this (an upper bound
				   when a read costs more than one step) */
	uint64_t read_cost_ticks;      /* read_cost_ns in ticks, rounded down */
} sb_clock_info_t;

#if defined(__x86_64__) || defined(__i386__)
static inline uint64_t sb_rdtsc_fenced_(int trailing)
{
	uint32_t lo, hi;
	if (trailing)
		__asm__ __volatile__("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi) : : "memory");
	else
		__asm__ __volatile__("lfence\n\trdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}
#elif defined(__aarch64__)
static inline uint64_t sb_cntvct_(int trailing)
{
	uint64_t v;
	if (trailing)
		__asm__ __volatile__("isb\n\tmrs %0, cntvct_el0\n\tisb" : "=r"(v) : : "memory");
	else
		__asm__ __volatile__("isb\n\tmrs %0, cntvct_el0" : "=r"(v) : : "memory");
	return v;
}
#else
static inline uint64_t sb_gettime_ns_(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
#endif

/* How the stamps are ordered on this build (meta.json "clock"). */
#if defined(__x86_64__) || defined(__i386__)
#define SB_CLOCK_ORDERING "start: lfence;rdtsc;lfence, end: lfence;rdtsc"
#elif defined(__aarch64__)
#define SB_CLOCK_ORDERING "start: isb;mrs cntvct_el0;isb, end: isb;mrs cntvct_el0"
#else
#define SB_CLOCK_ORDERING "clock_gettime(CLOCK_MONOTONIC_RAW)"
#endif

/* A stamp before an operation; see the top of this file.  Ticks. */
static inline uint64_t sb_tick_start(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return sb_rdtsc_fenced_(1);
#elif defined(__aarch64__)
	return sb_cntvct_(1);
#else
	return sb_gettime_ns_();
#endif
}

/* A stamp after an operation; see the top of this file.  Ticks. */
static inline uint64_t sb_tick_end(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return sb_rdtsc_fenced_(0);
#elif defined(__aarch64__)
	return sb_cntvct_(0);
#else
	return sb_gettime_ns_();
#endif
}

/* An unordered read (RDTSC; on aarch64 the MRS alone).  Not for latencies. */
static inline uint64_t sb_tick_raw(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#elif defined(__aarch64__)
	uint64_t v;
	__asm__ __volatile__("mrs %0, cntvct_el0" : "=r"(v) : : "memory");
	return v;
#else
	return sb_gettime_ns_();
#endif
}

/*
 * Detect the counter, check invariance, calibrate the tick rate (x86: 3
 * busy-wait rounds of ~20 ms against CLOCK_MONOTONIC_RAW, median kept;
 * aarch64: CNTFRQ_EL0, cross-checked the same way), and measure the cost of
 * each kind of read (the median of back-to-back pairs) and the counter's
 * granularity (the smallest non-zero difference of two consecutive raw
 * reads over 200000 pairs).  Takes about 80 ms.  Fills *out (may be NULL)
 * and installs the calibration used by sb_ticks_to_ns()/sb_ns_to_ticks().
 * Call once, from one thread, before worker threads start.  Returns 0 on
 * success, -1 if the counter could not be calibrated (does not advance, or
 * clock_gettime failed); a non-invariant TSC is NOT an error: check
 * out->invariant.
 */
int sb_clock_init(sb_clock_info_t *out);

/* Ticks -> ns with the installed calibration (exact for clock_gettime). */
double sb_ticks_to_ns(uint64_t ticks);

/* ns -> ticks, rounded to nearest; ns <= 0 or NaN gives 0, saturates. */
uint64_t sb_ns_to_ticks(double ns);

/*
 * The installed factor, for callers that convert many samples: hoist
 * `double f = sb_ns_per_tick();` out of the loop and multiply.
 */
double sb_ns_per_tick(void);

/* CLOCK_MONOTONIC now, in ns.  For wall-clock timing outside measured loops. */
uint64_t sb_now_ns(void);

#endif
