/*
 * clock.c - counter detection and calibration; see clock.h.
 */
#include "clock.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

/*
 * The calibration: ns per tick.  The harness's only global mutable state.
 * Written once by sb_clock_init() before worker threads are created (thread
 * creation orders it before their reads).
 */
static double sb_clk_ns_per_tick = 1.0;

#define SB_CALIB_ROUNDS 3
#define SB_CALIB_ROUND_NS 20000000ull /* 20 ms */
#define SB_COST_PAIRS 20001
#define SB_GRAIN_PAIRS 200000

static uint64_t raw_ns(int *err)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC_RAW, &ts) != 0) {
		*err = 1;
		return 0;
	}
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/*
 * One calibration round: ticks per ns over a ~20 ms busy wait.  Each end
 * point is the tick read bracketed by two CLOCK_MONOTONIC_RAW reads, whose
 * midpoint is taken as its time.  Returns <= 0 on failure.
 */
static double calib_round(void)
{
	int err = 0;
	uint64_t a0 = raw_ns(&err);
	uint64_t c0 = sb_tick_end();
	uint64_t b0 = raw_ns(&err);
	uint64_t a1, b1, c1;

	do {
		a1 = raw_ns(&err);
	} while (!err && a1 - a0 < SB_CALIB_ROUND_NS);
	c1 = sb_tick_end();
	b1 = raw_ns(&err);
	if (err || c1 <= c0)
		return -1.0;
	double t0 = (double)a0 + (double)(b0 - a0) / 2.0;
	double t1 = (double)a1 + (double)(b1 - a1) / 2.0;
	if (t1 <= t0)
		return -1.0;
	return (double)(c1 - c0) / (t1 - t0);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/*
 * The cost of one read of each kind, in ticks: the median difference of two
 * back-to-back reads, which is also what an empty interval between two such
 * stamps measures.  kind 0: sb_tick_end, 1: sb_tick_start, 2: sb_tick_raw.
 */
static uint64_t read_cost_ticks(int kind)
{
	static uint64_t d[SB_COST_PAIRS];
	for (int i = 0; i < SB_COST_PAIRS; i++) {
		uint64_t a, b;
		if (kind == 0) {
			a = sb_tick_end();
			b = sb_tick_end();
		} else if (kind == 1) {
			a = sb_tick_start();
			b = sb_tick_start();
		} else {
			a = sb_tick_raw();
			b = sb_tick_raw();
		}
		d[i] = b > a ? b - a : 0;
	}
	qsort(d, SB_COST_PAIRS, sizeof d[0], cmp_u64);
	return d[SB_COST_PAIRS / 2];
}

/* The smallest non-zero difference between two consecutive raw reads. */
static uint64_t granularity_ticks(void)
{
	uint64_t best = UINT64_MAX;
	for (int i = 0; i < SB_GRAIN_PAIRS; i++) {
		uint64_t a = sb_tick_raw(), b = sb_tick_raw();
		if (b > a && b - a < best)
			best = b - a;
	}
	return best == UINT64_MAX ? 0 : best;
}

#if defined(__x86_64__) || defined(__i386__)
/*
 * Look for whole-word flag `name` in the first "flags" line of
 * /proc/cpuinfo.  1 found, 0 absent, -1 unreadable.
 */
static int cpuinfo_flag(const char *name)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[8192];
	int found = -1;
	size_t len = strlen(name);

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		char *p = strchr(line, ':');
		found = 0;
		if (!p)
			break;
		for (p++; (p = strstr(p, name)) != NULL; p += len) {
			char before = p[-1], after = p[len];
			if ((before == ' ' || before == '\t' || before == ':') &&
			    (after == ' ' || after == '\n' || after == '\0')) {
				found = 1;
				break;
			}
		}
		break;
	}
	fclose(f);
	return found;
}
#endif

int sb_clock_init(sb_clock_info_t *out)
{
	sb_clock_info_t info;
	double r[SB_CALIB_ROUNDS];
	int ok = 1;

	memset(&info, 0, sizeof info);
	info.cpuid_invariant = -1;
	info.cpuinfo_constant = -1;
	info.cpuinfo_nonstop = -1;
	info.hypervisor = -1;

#if defined(__x86_64__) || defined(__i386__)
	{
		unsigned a, b, c, d;
		info.source = "tsc";
		info.cpuid_invariant = 0;
		if (__get_cpuid(0x80000000u, &a, &b, &c, &d) && a >= 0x80000007u &&
		    __get_cpuid(0x80000007u, &a, &b, &c, &d))
			info.cpuid_invariant = (d >> 8) & 1;
		if (__get_cpuid(1, &a, &b, &c, &d))
			info.hypervisor = (int)((c >> 31) & 1);
		info.cpuinfo_constant = cpuinfo_flag("constant_tsc");
		info.cpuinfo_nonstop = cpuinfo_flag("nonstop_tsc");
		info.invariant = info.cpuid_invariant == 1 || (info.cpuinfo_constant == 1 && info.cpuinfo_nonstop == 1);
	}
#elif defined(__aarch64__)
	info.source = "cntvct";
	info.invariant = 1;       /* the generic timer runs at a fixed frequency */
#else
	info.source = "clock_gettime";
	info.invariant = 1;
#endif

	/* Calibrate against CLOCK_MONOTONIC_RAW (ticks per ns). */
	info.calib_rounds = SB_CALIB_ROUNDS;
	for (int i = 0; i < SB_CALIB_ROUNDS; i++) {
		r[i] = calib_round();
		if (!(r[i] > 0.0))
			ok = 0;
	}
	if (ok) {
		qsort(r, SB_CALIB_ROUNDS, sizeof r[0], cmp_double);
		double med = r[SB_CALIB_ROUNDS / 2];
		info.measured_ticks_per_sec = med * 1e9;
		info.calib_spread = (r[SB_CALIB_ROUNDS - 1] - r[0]) / med;
		info.ticks_per_sec = info.measured_ticks_per_sec;
	}

#if defined(__aarch64__)
	{
		uint64_t frq;
		__asm__ __volatile__("mrs %0, cntfrq_el0" : "=r"(frq));
		if (frq)
			info.ticks_per_sec = (double)frq;
		if (frq && !ok)
			ok = 1; /* the architected frequency stands on its own */
	}
#elif !defined(__x86_64__) && !defined(__i386__)
	info.ticks_per_sec = 1e9; /* sb_ticks() is ns by construction */
	info.calib_spread = 0.0;
#endif

	if (ok && info.ticks_per_sec > 0.0 && isfinite(info.ticks_per_sec))
		sb_clk_ns_per_tick = 1e9 / info.ticks_per_sec;
	else
		ok = 0;
	info.read_cost_ticks = read_cost_ticks(0);
	info.read_cost_ns = (double)info.read_cost_ticks * sb_clk_ns_per_tick;
	info.start_cost_ns = (double)read_cost_ticks(1) * sb_clk_ns_per_tick;
	info.raw_cost_ns = (double)read_cost_ticks(2) * sb_clk_ns_per_tick;
	info.granularity_ns = (double)granularity_ticks() * sb_clk_ns_per_tick;

	if (out)
		*out = info;
	return ok ? 0 : -1;
}

double sb_ticks_to_ns(uint64_t ticks)
{
	return (double)ticks * sb_clk_ns_per_tick;
}

uint64_t sb_ns_to_ticks(double ns)
{
	if (!(ns > 0.0))
		return 0;
	double t = ns / sb_clk_ns_per_tick + 0.5;
	if (t >= 18446744073709551616.0) /* 2^64 */
		return UINT64_MAX;
	return (uint64_t)t;
}

double sb_ns_per_tick(void)
{
	return sb_clk_ns_per_tick;
}

uint64_t sb_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
