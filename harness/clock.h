/*
 * clock.h - the timestamp counter used inside measured loops.
 *
 * sb_ticks() is one cheap, serialising-free read of the machine's counter:
 *
 *   x86-64 / i386   RDTSC (__builtin_ia32_rdtsc); source "tsc"
 *   aarch64         ISB; MRS CNTVCT_EL0 (the virtual counter); source "cntvct"
 *   elsewhere       clock_gettime(CLOCK_MONOTONIC_RAW) in ns; "clock_gettime"
 *
 * Ticks are converted to nanoseconds with the calibration that
 * sb_clock_init() measures once at start-up: that calibration (one factor)
 * is the only global mutable state of the harness.  Before sb_clock_init()
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
	const char *source;     /* "tsc", "cntvct" or "clock_gettime" (static string) */
	int invariant;          /* 1: the tick rate is constant and the counter keeps
				   running in idle states (x86: cpuid bit, or
				   constant_tsc + nonstop_tsc in /proc/cpuinfo;
				   cntvct and clock_gettime: always 1) */
	int cpuid_invariant;    /* x86: CPUID 0x80000007 EDX bit 8; else -1 */
	int cpuinfo_constant;   /* x86: "constant_tsc" in /proc/cpuinfo flags
				   (1/0, -1 if unreadable); else -1 */
	int cpuinfo_nonstop;    /* x86: "nonstop_tsc", same convention */
	int hypervisor;         /* x86: CPUID 1 ECX bit 31 (running under a
				   hypervisor, which may hide the invariant bit);
				   else -1 */
	double ticks_per_sec;   /* the calibration in use */
	double measured_ticks_per_sec; /* median of the rounds against
					  CLOCK_MONOTONIC_RAW (aarch64 uses
					  CNTFRQ_EL0 instead, this is the check) */
	double calib_spread;    /* (max - min) / median of the calibration
				   rounds, relative; 0 for clock_gettime */
	int calib_rounds;       /* rounds measured */
	double read_cost_ns;    /* median cost of one sb_ticks() read */
} sb_clock_info_t;

/*
 * Read the counter.  Cheap (tens of cycles), not serialising on x86: it may
 * be reordered with neighbouring loads, which is accepted for latencies of
 * tens of ns and up.  Units: ticks; convert with sb_ticks_to_ns().
 */
static inline uint64_t sb_ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#elif defined(__aarch64__)
	uint64_t v;
	__asm__ __volatile__("isb\n\tmrs %0, cntvct_el0" : "=r"(v) : : "memory");
	return v;
#else
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

/*
 * Detect the counter, check invariance, calibrate the tick rate (x86: 3
 * busy-wait rounds of ~20 ms against CLOCK_MONOTONIC_RAW, median kept;
 * aarch64: CNTFRQ_EL0, cross-checked the same way) and measure the read
 * cost.  Takes about 70 ms.  Fills *out (may be NULL) and installs the
 * calibration used by sb_ticks_to_ns()/sb_ns_to_ticks().  Call once, from one
 * thread, before worker threads start.  Returns 0 on success, -1 if the
 * counter could not be calibrated (does not advance, or clock_gettime
 * failed); a non-invariant TSC is NOT an error: check out->invariant.
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
