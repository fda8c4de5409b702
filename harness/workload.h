/*
 * workload.h - what the threads do inside and between critical sections
 * (issue 4): the workload parameters and named presets, the calibrated busy
 * delay, the per-thread random generator and the draws the measured loop
 * makes (think time, read or write, which lock, which data-structure op).
 *
 * Options and preset keys share one vocabulary (workloads/README.md):
 *
 *   cs=TIME            busy work inside the critical section (0 allowed)
 *   think=TIME|DIST    between acquisitions: TIME (fixed), fixed:TIME,
 *                      uniform:A-B, exp:MEAN
 *   cs-lines=K         protected cache lines read/written in the CS (0..4096)
 *   data=separate|colocated   the lines on their own, or starting in the
 *                      lock's cache line (false sharing)
 *   locks=N            independent lock instances, one picked at random per
 *                      acquisition (1..4096)
 *   read-ratio=F       probability that an acquisition is a read, in [0,1]
 *   writers=K          K dedicated writer threads, the rest readers
 *   hold-limit=TIME    holds longer than this are counted (default 25us)
 *   ds=none|hashtable|list    a real data structure under the lock (ds.h)
 *   ds-mix=L/I/D       lookup/insert/delete percentages (sum 100); for the
 *                      list: peek/push/pop
 *   ds-keys=N          hashtable key range / list pool size (1..16777216)
 *
 * TIME is a duration with a unit as in parse.h (200ns, 5us, 1ms, 0.5s) or a
 * bare "0"; cs and think times are at most 1s.
 *
 * Hot-path pieces (sb_delay, sb_delay_for, sb_rng_*, sb_think_draw,
 * sb_lines_*, sb_ds_mix_draw) are static inline, make no call and take no
 * lock; only sb_delay_for reads the clock, for delays of 200 ns and more.
 * No global state: the delay's calibration is passed in (sb_delay_cal_t).
 */
#ifndef SPINBENCH_HARNESS_WORKLOAD_H
#define SPINBENCH_HARNESS_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "clock.h"

/* ---------------------------------------------------------------- parameters */

#define SB_WORKLOAD_NAME_MAX 64
#define SB_WORKLOAD_PRESET_MAX 48 /* preset names: 1..47 chars of [a-z0-9-] */
#define SB_WORKLOAD_PURPOSE_MAX 160
#define SB_WORKLOAD_MAX_TIME_NS 1000000000ull /* cs and think times: at most 1 s */
#define SB_WORKLOAD_MAX_LINES 4096
#define SB_WORKLOAD_MAX_LOCKS 4096
#define SB_WORKLOAD_DEFAULT_HOLD_LIMIT_NS 25000ull /* Windows guidance: hold a spin lock < 25 us */
#define SB_WORKLOAD_DEFAULT_DS_KEYS 1024u

typedef enum { SB_THINK_FIXED, SB_THINK_UNIFORM, SB_THINK_EXP } sb_think_kind_t;
typedef enum { SB_DS_NONE, SB_DS_HASHTABLE, SB_DS_LIST } sb_ds_kind_t;

typedef struct sb_workload {
	char name[SB_WORKLOAD_NAME_MAX];     /* the `workload` column: preset name, "custom" (no preset
						 but options given), or "<preset>+overrides" */
	char preset[SB_WORKLOAD_PRESET_MAX]; /* preset loaded by sb_workload_load; "" for the
						 built-in default */
	int overridden;                      /* options applied on top of the preset */
	char purpose[SB_WORKLOAD_PURPOSE_MAX];
	uint64_t cs_ns;             /* cs */
	sb_think_kind_t think_kind; /* think: fixed a; uniform a..b; exp mean a */
	uint64_t think_a_ns, think_b_ns;
	int cs_lines;                                    /* cs-lines, 0..4096 */
	int colocated;                                   /* data: 0 separate, 1 colocated */
	int nlocks;                                      /* locks, 1..4096 */
	double read_ratio;                               /* read-ratio in [0,1]; -1 when writers is used */
	int writers;                                     /* writers >= 0, or -1 when read-ratio is used */
	uint64_t hold_limit_ns;                          /* hold-limit, > 0 */
	sb_ds_kind_t ds;                                 /* ds */
	int ds_lookup_pct, ds_insert_pct, ds_delete_pct; /* ds-mix, sum 100 */
	uint32_t ds_keys;                                /* ds-keys */
} sb_workload_t;

/*
 * The default workload, the same parameters as workloads/max-contention.conf:
 * name "max-contention", preset "" (nothing loaded), cs 0, think fixed 0, no protected lines, data
 * separate, 1 lock, read-ratio 0 (all writes), writers -1, hold-limit 25us,
 * ds none (mix 80/10/10 and 1024 keys kept for when ds is set).
 */
void sb_workload_default(sb_workload_t *w);

/*
 * Apply one option, named without its dashes ("cs", "think", "cs-lines",
 * "data", "locks", "read-ratio", "writers", "hold-limit", "ds", "ds-mix",
 * "ds-keys"), to *w.  Returns 0, or -1 with *w unchanged and err (errlen
 * bytes, may be NULL) holding one line without newline naming the option and
 * the value: "--cs: invalid value '-1us' (a time with unit ...)" or
 * "--foo: unknown workload option".  read-ratio sets writers to -1 and
 * writers sets read-ratio to -1 (the later one wins).  On success the name
 * becomes "custom" when no preset was loaded (the default), or
 * "<preset>+overrides" after sb_workload_load(); so load the preset first,
 * then apply the options.  Not for "purpose" (preset files only).
 */
int sb_workload_set(sb_workload_t *w, const char *opt, const char *val, char *err, size_t errlen);

/*
 * Reset *w to the defaults, then load preset `name` from dir/NAME.conf: lines
 * "key = value" (spaces around '=' and at both ends ignored), blank lines and
 * '#' comments (whole line, or after the value following whitespace), keys
 * as for sb_workload_set plus "purpose" (free text, up to 159 chars).  A key
 * given twice is an error.  Name and preset become NAME, overridden 0.
 * Returns 0, or -1 with *w unspecified and one line in err:
 *   "--workload: unknown preset 'x' (valid: a, b, c)"
 *   "--workload: invalid preset name 'x' ([a-z0-9-], 1..47 chars)"
 *   "--workload: DIR/NAME.conf:LINE: <what is wrong>"
 */
int sb_workload_load(sb_workload_t *w, const char *dir, const char *name, char *err, size_t errlen);

/*
 * Preset names found in dir (files NAME.conf with a valid NAME), sorted, at
 * most cap of them copied to names[]; returns how many exist (may exceed
 * cap), or -1 when dir cannot be read.
 */
int sb_workload_names(const char *dir, char names[][SB_WORKLOAD_PRESET_MAX], int cap);

/*
 * --list-workloads: for each preset of dir, sorted, two lines:
 *   "NAME  purpose" and "    cs=... think=... (sb_workload_describe)".
 * A preset that does not load is listed with its error instead.  Returns the
 * number of presets listed, or -1 (nothing printed but one line on f) when
 * dir cannot be read.
 */
int sb_workload_list(FILE *f, const char *dir);

/*
 * One line of parameters for meta.json and the summary, every value in the
 * option syntax so that each "key=value" token fed back to sb_workload_set
 * gives the same workload: "cs=100ns think=exp:500ns cs-lines=0
 * data=separate locks=1 read-ratio=0 hold-limit=25us ds=none" (writers=K
 * instead of read-ratio when set; ds-mix= and ds-keys= follow ds= when ds is
 * not none).  Times print in the largest exact unit.  Truncated to len.
 */
void sb_workload_describe(const sb_workload_t *w, char *buf, size_t len);

/*
 * Check the combination against the thread count of one configuration.
 * Errors (-1, one line in err): writers >= threads ("--writers: invalid
 * value 'K' (must be less than --threads=N)"); threads < 1; read-ratio or
 * writers other than the default together with ds (the ds mix decides reads:
 * lookups are the reads).  Returns 0 when fine.
 */
int sb_workload_validate(const sb_workload_t *w, int threads, char *err, size_t errlen);

/* ---------------------------------------------------------------- calibrated delay */

/*
 * sb_delay(iters): a busy loop of iters iterations, about one cycle each,
 * with no memory access, no clock read and no pause instruction; iters == 0
 * costs one compare and branch.  On x86-64 and aarch64 the loop is two
 * instructions of inline asm starting on a 32-byte boundary (.p2align 5),
 * so that every inlined copy runs at the speed sb_delay_calibrate()
 * measured: a tiny loop that straddles a fetch-block boundary can run at
 * half speed, and the compiler would place each copy differently.
 * Elsewhere it is a C loop that an empty asm keeps from being removed.
 */
static inline void sb_delay(uint64_t iters)
{
	if (!iters)
		return;
#if defined(__x86_64__)
	__asm__ __volatile__(".p2align 5\n"
			     "1:\n\t"
			     "sub $1, %0\n\t"
			     "jnz 1b"
			     : "+r"(iters)
			     :
			     : "cc");
#elif defined(__aarch64__)
	__asm__ __volatile__(".p2align 5\n"
			     "1:\n\t"
			     "subs %0, %0, #1\n\t"
			     "b.ne 1b"
			     : "+r"(iters)
			     :
			     : "cc");
#else
	for (uint64_t i = 0; i < iters; i++)
		__asm__ __volatile__("" : "+r"(i));
#endif
}

/*
 * Measure the loop's speed now, on the calling thread: 2 ms of warm-up that
 * also sizes n so that sb_delay(n) takes about 1-4 us, then 501 rounds of
 * sb_delay(n), each timed with ordered stamps (their own cost subtracted),
 * in 5 batches 1 ms apart; the median round gives ticks per iteration,
 * converted with the clock's calibration (sb_clock_init first).  About
 * 10 ms; no global state.  A busy loop's speed is not a constant of the
 * machine: on a VM whose vCPU shares a core or not from one moment to the
 * next it changes by 2x, so the runner measures it again before every
 * repetition and records it (delay_ns_per_iter).  Returns ns per iteration.
 */
double sb_delay_calibrate(void);

/*
 * The busy delay of critical sections and think times, in clock ticks:
 * from SB_DELAY_DEADLINE_NS up a spin on ordered stamps until a deadline,
 * so that it lasts what was asked whatever the core's speed; below it the
 * calibrated loop (a deadline is no finer than a few stamp costs).
 */
#define SB_DELAY_DEADLINE_NS 200

typedef struct sb_delay_cal {
	double iters_per_tick;   /* the loop's measured speed (sb_delay_calibrate) */
	uint64_t deadline_ticks; /* delays of this many ticks or more spin on the clock */
	uint64_t stamp_ticks;    /* one sb_tick_end(), taken off each deadline */
} sb_delay_cal_t;

/* *c for a loop of ns_per_iter and stamps of stamp_ticks (sb_clock_info_t
 * read_cost_ticks); sb_clock_init must have run. */
void sb_delay_cal_init(sb_delay_cal_t *c, double ns_per_iter, uint64_t stamp_ticks);

/* Busy for `ticks` (0 costs one compare and branch).  Reads the clock from
 * SB_DELAY_DEADLINE_NS up: that is the workload's own work, not a
 * measurement, and the throughput window still counts without a clock. */
static inline void sb_delay_for(const sb_delay_cal_t *c, uint64_t ticks)
{
	if (ticks >= c->deadline_ticks) {
		uint64_t end = sb_tick_end() + ticks - c->stamp_ticks;
		while (sb_tick_end() < end)
			;
	} else if (ticks) {
		sb_delay((uint64_t)((double)ticks * c->iters_per_tick + 0.5));
	}
}

/* ---------------------------------------------------------------- random numbers */

/* xoshiro256** (Blackman & Vigna), one per thread, never shared. */
typedef struct sb_rng {
	uint64_t s[4];
} sb_rng_t;

static inline uint64_t sb_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* Seed thread tid's generator from the run's --seed: distinct, reproducible streams. */
static inline void sb_rng_seed(sb_rng_t *r, uint64_t seed, uint64_t tid)
{
	uint64_t x = seed ^ (tid * 0xD1B54A32D192ED03ull);
	for (int i = 0; i < 4; i++)
		r->s[i] = sb_splitmix64(&x);
	if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
		r->s[0] = 1; /* the all-zero state is a fixed point */
}

static inline uint64_t sb_rng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* Next 64 uniform bits. */
static inline uint64_t sb_rng_next(sb_rng_t *r)
{
	uint64_t *s = r->s;
	uint64_t result = sb_rng_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = sb_rng_rotl(s[3], 45);
	return result;
}

/* Uniform in [0, n), n >= 1 (multiply-high; bias < n / 2^64). */
static inline uint64_t sb_rng_below(sb_rng_t *r, uint64_t n)
{
#ifdef __SIZEOF_INT128__
	return (uint64_t)(((unsigned __int128)sb_rng_next(r) * n) >> 64);
#else
	return sb_rng_next(r) % n;
#endif
}

/* Threshold for sb_rng_chance: probability p in [0,1] in 53-bit fixed point. */
#define SB_CHANCE_ALWAYS (1ull << 53)
static inline uint64_t sb_chance_threshold(double p)
{
	if (!(p > 0))
		return 0;
	if (p >= 1)
		return SB_CHANCE_ALWAYS;
	return (uint64_t)(p * 9007199254740992.0 + 0.5);
}

/* True with the probability that threshold encodes (0: never, SB_CHANCE_ALWAYS: always). */
static inline bool sb_rng_chance(sb_rng_t *r, uint64_t threshold)
{
	return (sb_rng_next(r) >> 11) < threshold;
}

/*
 * Thread tid's read threshold for sb_rng_chance: with writers=K, threads
 * 0..K-1 never read and the others always do (exactly K writers); otherwise
 * sb_chance_threshold(read_ratio).  Exclusive locks treat reads as writes.
 */
uint64_t sb_workload_read_threshold(const sb_workload_t *w, unsigned tid);

/* ---------------------------------------------------------------- think time */

#define SB_EXP_TABLE_BITS 8
#define SB_EXP_TABLE (1 << SB_EXP_TABLE_BITS)

/*
 * A think-time distribution in clock ticks, ready to draw from.
 * The exponential uses no libm per draw: with u = 2^-(k+1) * (1 + f) taken
 * from the bits of one 64-bit draw (k leading zeros, f the next 8 bits),
 * -ln u = (k+1) ln2 - ln(1+f); the second term comes from a table holding,
 * for each of the 256 f-bins, the exact bin average of -ln(1+f) (so the
 * mean is exact, the shape quantised within each bin), pre-scaled by the
 * mean.  log() runs only in sb_think_set.
 */
typedef struct sb_think {
	sb_think_kind_t kind;
	uint64_t a;               /* fixed: the value; uniform: low end (ticks) */
	uint64_t span;            /* uniform: b - a + 1 */
	double mean;              /* exp: mean, ticks */
	double ln2_mean;          /* exp: ln 2 * mean */
	double tab[SB_EXP_TABLE]; /* exp: mean * bin average of -ln(1+f) (<= 0) */
} sb_think_t;

/* Set *t to kind with parameters in ticks (fixed a; uniform a..b with a <= b; exp mean a). */
void sb_think_set(sb_think_t *t, sb_think_kind_t kind, uint64_t a, uint64_t b);

/* *t from the workload's think parameters, converted with the clock's
 * calibration (after sb_clock_init). */
void sb_think_init(sb_think_t *t, const sb_workload_t *w);

/* 1 when some acquisitions are reads: read-ratio > 0, readers beside
 * dedicated writers, or a data-structure mix with lookups. */
int sb_workload_has_reads(const sb_workload_t *w);

/* The mean think time the workload asks for, in ns (fixed: the value;
 * uniform: the middle; exp: the mean). */
double sb_workload_think_mean_ns(const sb_workload_t *w);

/* One think time in ticks for sb_delay_for; fixed draws consume no random bits. */
static inline uint64_t sb_think_draw(const sb_think_t *t, sb_rng_t *r)
{
	switch (t->kind) {
	case SB_THINK_UNIFORM:
		return t->a + sb_rng_below(r, t->span);
	case SB_THINK_EXP: {
		uint64_t x = sb_rng_next(r);
		int k = __builtin_clzll(x | 1);
		unsigned bin = (unsigned)((x << k) >> (63 - SB_EXP_TABLE_BITS)) & (SB_EXP_TABLE - 1);
		double v = (double)(k + 1) * t->ln2_mean + t->tab[bin];
		return (uint64_t)(v + 0.5);
	}
	case SB_THINK_FIXED:
	default:
		return t->a;
	}
}

/* ---------------------------------------------------------------- protected lines */

/* Stride between protected lines: the 64-byte line of current x86 and arm64 cores. */
#define SB_DATA_LINE 64
#define SB_DATA_WORDS_PER_LINE (SB_DATA_LINE / 8)

/*
 * The critical section's data work: one 8-byte word per line, lines spaced
 * SB_DATA_LINE bytes from data (8-byte aligned; for data=colocated, data
 * starts right after the lock word, inside the lock's line).  Write: read,
 * increment and store each word (exclusive side).  Read: load each word and
 * return their sum (shared side).
 */
static inline void sb_lines_write(volatile uint64_t *data, int lines)
{
	for (int i = 0; i < lines; i++)
		data[(size_t)i * SB_DATA_WORDS_PER_LINE] = data[(size_t)i * SB_DATA_WORDS_PER_LINE] + 1;
}

static inline uint64_t sb_lines_read(const volatile uint64_t *data, int lines)
{
	uint64_t sum = 0;
	for (int i = 0; i < lines; i++)
		sum += data[(size_t)i * SB_DATA_WORDS_PER_LINE];
	return sum;
}

/* ---------------------------------------------------------------- data-structure op mix */

typedef enum { SB_DS_OP_LOOKUP, SB_DS_OP_INSERT, SB_DS_OP_DELETE } sb_ds_op_t;

typedef struct sb_ds_mix {
	uint64_t lookup_below; /* 53-bit thresholds */
	uint64_t insert_below;
	uint64_t nkeys;
} sb_ds_mix_t;

/* The workload's ds-mix and ds-keys, ready to draw from. */
void sb_ds_mix_init(sb_ds_mix_t *m, const sb_workload_t *w);

/* Which operation the next acquisition does (lookup = list peek, insert = push, delete = pop). */
static inline sb_ds_op_t sb_ds_mix_draw(const sb_ds_mix_t *m, sb_rng_t *r)
{
	uint64_t x = sb_rng_next(r) >> 11;
	if (x < m->lookup_below)
		return SB_DS_OP_LOOKUP;
	return x < m->insert_below ? SB_DS_OP_INSERT : SB_DS_OP_DELETE;
}

/* A key in [0, ds-keys). */
static inline uint32_t sb_ds_mix_key(const sb_ds_mix_t *m, sb_rng_t *r)
{
	return (uint32_t)sb_rng_below(r, m->nkeys);
}

#endif
