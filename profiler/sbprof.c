/*
 * sbprof.c - libsbprof.so, the preload library of ./profile-app: it stands
 * in front of glibc's pthread_mutex_*, pthread_spin_*, pthread_rwlock_*,
 * pthread_cond_* and C11 mtx_* / cnd_* entry points, measures every call
 * and passes it on to glibc's own function.
 *
 * Binding.  Every wrapper is exported WITHOUT a symbol version.  A program
 * built on glibc >= 2.34 records versioned references
 * (pthread_mutex_trylock@GLIBC_2.34, pthread_cond_wait@GLIBC_2.3.2 ...); the
 * dynamic linker takes an unversioned definition for any versioned
 * reference, but skips a definition that carries another version name (the
 * way LiTL loses trylock, spin and rwlock calls).  The next definition,
 * glibc's default version, is found with dlsym(RTLD_NEXT).
 *
 * The self-test.  The constructor proves the binding before anything is
 * measured: it calls every entry point once on private objects from
 * libsbprof-check.so (check.c), a shared object linked against libc like any
 * program built here, so its PLT records the same versioned references a
 * program would and the dynamic linker resolves them through the same
 * global scope.  (dlsym(RTLD_DEFAULT, name) would not do: an unversioned
 * lookup accepts a definition of any version, so it cannot see the LiTL
 * failure.)  While it runs, the calling thread's wrappers only count the
 * call (sbp_seen); one that stays at zero was bypassed, and the process is
 * refused with one line naming the functions: on stderr, or in
 * $SBPROF_DIR/refused for profile-app to print, then _exit(2).
 *
 * The acquisition path (lock_common and friends): one TLS load says whether
 * this thread records; glibc's trylock is called first, and when it
 * succeeds the acquisition was uncontended: one ordered stamp after it, a
 * probe of the lock side table (lock address -> class, last owner), a probe
 * of the thread's own table (class, site, kind -> entry), counters, and a
 * push on the thread's held stack.  When trylock fails the acquisition is
 * contended: a stamp, glibc's blocking call, a stamp; the difference is the
 * wait.  The unlock takes a stamp on entry, pops the held stack (the hold
 * is that stamp minus the acquisition's) and calls glibc.  Nothing is
 * allocated, no lock is taken, nothing is written to shared memory but the
 * side table's owner word (a line the lock's holder owns anyway).
 *
 * State.  Per thread: initial-exec TLS (no __tls_get_addr, which may
 * allocate, on a thread's first access): its slot in the mapped file and a
 * stack of the locks it holds.  Per lock: the side table, a fixed
 * open-addressing array of SBP_SIDE entries in anonymous memory (only
 * touched pages cost), keyed by address; never shrunk.  Its entry is the
 * place for holder identity (the owner's tid is there; the holder's site,
 * `aux` for locks, is reserved for it).  Per process: the file (sbprof.h).
 *
 * fork: the child keeps only the forking thread.  A pthread_atfork child
 * handler gives the child its own file (prof-<pid>.bin, PID-tagged), moves
 * the held stack's entries into the new slot and drops the parent's
 * mapping, so the child never writes the parent's figures.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>
#include <unwind.h>

#include "clock.h"
#include "sbprof.h"
#include "swap.h"

#define SBP_EXPORT __attribute__((visibility("default")))
#define SBP_RA() ((uint64_t)(uintptr_t)__builtin_return_address(0))
#define SBP_LIKELY(x) __builtin_expect(!!(x), 1)
#define SBP_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Side table: 2^20 entries of 32 bytes (32 MiB of address space). */
#define SBP_SIDE_BITS 20
#define SBP_SIDE (1u << SBP_SIDE_BITS)
#define SBP_SIDE_PROBES 64
#define SBP_HELD 32 /* locks one thread holds at once, timed */

/* The class of locks that found the side table full. */
#define SBP_CLASS_UNKNOWN 1

/* Provided by libsbprof-check.so (check.c). */
void sbprof_check_calls(void);

/*
 * The stamps: the harness's ordered reads (clock.h), sb_tick_start() before
 * a blocking call, sb_tick_end() after it and at the unlock.  They are most
 * of the profiler's cost where the counter is slow to read (28 ns each on
 * the project's VM).  -DSBPROF_UNORDERED_CLOCK builds with unordered reads
 * (sb_tick_raw): cheaper, but a read may run some tens of cycles early or
 * late, which a hold of a few ns cannot afford; for measuring the clock's
 * share of the cost (make bench-profile), not for profiles.
 */
#ifdef SBPROF_UNORDERED_CLOCK
#define SBP_T_START() sb_tick_raw()
#define SBP_T_END() sb_tick_raw()
#else
#define SBP_T_START() sb_tick_start()
#define SBP_T_END() sb_tick_end()
#endif

/* ---- glibc's functions ------------------------------------------------ */

/* The definitions behind ours, by id; resolved in the constructor and again
 * lazily by a wrapper called before it (another library's constructor). */
static void *_Atomic sbp_next[SBP_NFUNCS];

#define SBP_NAME_(id, name) #name,
static const char *const sbp_names[SBP_NFUNCS] = {SBP_FUNCS(SBP_NAME_)};
#undef SBP_NAME_

/*
 * The next definition of function `id`.  Relaxed: the pointer is the whole
 * message (glibc's code is mapped before any constructor runs), and two
 * threads resolving at once store the same value.  Returns NULL only when
 * glibc lacks the function, which the self-test then reports.
 */
static void *sbp_real(int id)
{
	void *f = atomic_load_explicit(&sbp_next[id], memory_order_relaxed);
	if (SBP_UNLIKELY(!f)) {
		f = dlsym(RTLD_NEXT, sbp_names[id]);
		atomic_store_explicit(&sbp_next[id], f, memory_order_relaxed);
	}
	return f;
}

#define REAL(id, type) ((type)sbp_real(SBP_F_##id))

/* ---- per-process state ------------------------------------------------ */

typedef struct sbp_lockinfo {
	_Atomic uintptr_t addr; /* the lock; 0: free entry */
	_Atomic uint64_t ckey;  /* class pc << 1 | (origin == first use); 0: none yet */
	_Atomic int32_t owner;  /* tid of the last exclusive owner; 0: none */
	_Atomic int32_t holder; /* locks: tid of the last acquirer (any kind); 0: none */
	_Atomic uint64_t aux;   /* condvar: ticks of the last signal; locks: the
				   last acquirer's call site (blocker attribution) */
	_Atomic int32_t cpu;    /* locks: the CPU of the last exclusive acquisition, + 1 (0: none) */
	int32_t pad;
} sbp_lockinfo_t;

static sbp_lockinfo_t *sbp_side;
static sbp_file_t *sbp_file;
static size_t sbp_file_len;
static char sbp_dir[512];
static char sbp_tag[64];       /* <pid>[-n]: the file's name part */
static pthread_key_t sbp_key;  /* its destructor gives a thread's slot back */
static atomic_ulong sbp_early; /* calls before ready */

/*
 * 1 once the file, the side table and the key exist.  Release store at the
 * end of the constructor; acquire load in sbp_begin_slow: a thread that sees
 * 1 sees the pointers above.
 */
static atomic_int sbp_ready;

/*
 * Hold sampling ($SBPROF_HOLD_SAMPLE = N, a power of two; profile-app
 * --hold-sample): an uncontended acquisition's hold is timed with
 * probability 1/N (a per-thread xorshift draw, so no periodic pattern of
 * the program aliases with it), which saves its two counter reads 1 - 1/N
 * of the time.  Counts stay exact; contended acquisitions are always timed.
 * sbp_mask = N - 1; 0 (the default): every hold timed.  Set before ready.
 */
static uint32_t sbp_mask;

/*
 * The hold limit ($SBPROF_HOLD_LIMIT_NS, default 25 us; profile-app
 * --hold-limit): holds of the kinds in sbp_limit_kinds (a bit per SBP_K_*:
 * spin, and mutex with $SBPROF_HOLD_LIMIT_MUTEX=1) are always timed, their
 * CPU is read at both ends (sched_getcpu: glibc reads it from the rseq
 * area, no system call), and a hold at or above sbp_limit_ticks is a
 * finding.  $SBPROF_HOLD_EVIDENCE=N (a power of two): 1 in N checked holds
 * also read getrusage(RUSAGE_THREAD) at both ends (two system calls): an
 * involuntary context switch or a page fault inside the hold is evidence
 * of why it was long.  Set before ready.
 */
static uint64_t sbp_limit_ticks;
static uint32_t sbp_limit_kinds;
static uint32_t sbp_evid_mask; /* N - 1 */
static int sbp_evid_on;

/* Self-test: calls seen per function, by the self-testing thread only. */
static unsigned sbp_seen[SBP_NFUNCS];

/* ---- per-thread state ------------------------------------------------- */

enum { T_FRESH = 0, T_ON, T_OFF, T_SELFTEST };

typedef struct sbp_held {
	const void *lock;
	uint64_t t_acq; /* ticks: the acquisition's stamp */
	sbp_entry_t *e; /* where its hold is counted (its class and site); NULL: not counted */
	int32_t cpu;    /* checked kinds: the CPU at the acquisition; else -1 */
	int32_t evid;   /* 1: nivcsw and flt were read at the acquisition */
	uint32_t fresh; /* checked kinds: sbp_tls_t.fresh at the acquisition */
	uint32_t pad;
	uint64_t nivcsw, flt;
} sbp_held_t;

typedef struct sbp_tls {
	int state; /* T_* */
	int tid;
	sbp_slot_t *slot;
	int depth;
	uint32_t rng;   /* xorshift32 state: which holds are timed when sampling */
	int overflowed; /* the held stack overflowed once: releases cannot be judged */
	uint32_t fresh; /* table entries this thread created (first touches of their pages) */
	sbp_held_t held[SBP_HELD];
} sbp_tls_t;

static __thread sbp_tls_t sbp_t __attribute__((tls_model("initial-exec")));

/* ---- small helpers (async-signal-safe: used after fork too) ------------ */

static size_t sbp_cat(char *dst, size_t cap, size_t at, const char *s)
{
	while (*s && at + 1 < cap)
		dst[at++] = *s++;
	dst[at] = 0;
	return at;
}

static size_t sbp_cat_int(char *dst, size_t cap, size_t at, long v)
{
	char tmp[24];
	int n = 0;
	if (v < 0) {
		at = sbp_cat(dst, cap, at, "-");
		v = -v;
	}
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < 23);
	while (n && at + 1 < cap)
		dst[at++] = tmp[--n];
	dst[at] = 0;
	return at;
}

static uint64_t sbp_mono_raw_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t sbp_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	return x;
}

/*
 * ns -> ticks of the stamps' counter, for the hold limit: the counter is
 * timed against CLOCK_MONOTONIC_RAW over 2 ms, once, in the constructor
 * (the reader calibrates again, more carefully, for the figures).
 */
static uint64_t sbp_ns_to_ticks_here(double ns)
{
	uint64_t n0 = sbp_mono_raw_ns(), t0 = sb_tick_end(), n1, t1;
	do {
		n1 = sbp_mono_raw_ns();
		t1 = sb_tick_end();
	} while (n1 - n0 < 2000000);
	double tpn = (double)(t1 - t0) / (double)(n1 - n0);
	uint64_t v = (uint64_t)(ns * tpn + 0.5);
	return v ? v : 1;
}

/* ---- the side table --------------------------------------------------- */

/*
 * The side-table entry of `lock`, created on first sight; NULL when its
 * probe sequence is full (counted).  All relaxed: the address CAS claims
 * the entry and carries no other data; every field is read on its own.
 */
static sbp_lockinfo_t *sbp_side_get(const void *lock)
{
	uintptr_t a = (uintptr_t)lock;
	uint64_t h = sbp_mix(a);

	for (unsigned i = 0; i < SBP_SIDE_PROBES; i++) {
		sbp_lockinfo_t *li = &sbp_side[(h + i) & (SBP_SIDE - 1)];
		uintptr_t cur = atomic_load_explicit(&li->addr, memory_order_relaxed);
		if (cur == a)
			return li;
		if (cur == 0) {
			if (atomic_compare_exchange_strong_explicit(&li->addr, &cur, a, memory_order_relaxed,
								    memory_order_relaxed) ||
			    cur == a) {
				sbp_t.fresh++;
				return li;
			}
		}
	}
	atomic_fetch_add_explicit(&sbp_file->side_full, 1, memory_order_relaxed);
	return NULL;
}

/* The class key of a lock: set by its init, else by its first use here. */
static uint64_t sbp_class(sbp_lockinfo_t *li, uint64_t site)
{
	if (!li)
		return (uint64_t)SBP_CLASS_UNKNOWN << 1;
	uint64_t k = atomic_load_explicit(&li->ckey, memory_order_relaxed);
	if (SBP_LIKELY(k))
		return k;
	uint64_t mine = site << 1 | 1;
	if (atomic_compare_exchange_strong_explicit(&li->ckey, &k, mine, memory_order_relaxed, memory_order_relaxed))
		return mine;
	return k; /* another thread named it first */
}

/* An init call names the class of the object (a re-init renames it). */
static void sbp_name_class(const void *obj, uint64_t site)
{
	sbp_lockinfo_t *li = sbp_side_get(obj);
	if (li) {
		atomic_store_explicit(&li->ckey, site << 1, memory_order_relaxed);
		atomic_store_explicit(&li->owner, 0, memory_order_relaxed);
	}
}

/* A destroy forgets the class: a new object at this address gets its own. */
static void sbp_forget(const void *obj)
{
	sbp_lockinfo_t *li = sbp_side_get(obj);
	if (li) {
		atomic_store_explicit(&li->ckey, 0, memory_order_relaxed);
		atomic_store_explicit(&li->owner, 0, memory_order_relaxed);
	}
}

/* ---- the thread's table ----------------------------------------------- */

/*
 * The return addresses of the SBP_CALLERS frames above call site `site`
 * (the return address of the interposed call) into out[]; zeros where the
 * stack ends or the site's frame is not found within 12 frames.  A DWARF
 * unwind (libgcc's _Unwind_Backtrace: it needs no frame pointers), so
 * it is taken only off the fast path: on contended acquisitions, before
 * the waiter blocks, and on a site's first acquisition by a thread.  The
 * unwinder may take a lock of its own (libgcc's, through our wrappers):
 * the thread records nothing while it unwinds.
 */
struct sbp_bt {
	uint64_t site, *out;
	int found, n, frames;
};

static _Unwind_Reason_Code sbp_bt_frame(struct _Unwind_Context *ctx, void *arg)
{
	struct sbp_bt *b = arg;
	uint64_t ip = (uint64_t)_Unwind_GetIP(ctx);
	if (++b->frames > 12 + SBP_CALLERS || ip == 0)
		return _URC_END_OF_STACK;
	if (!b->found) {
		b->found = ip == b->site;
		return _URC_NO_REASON;
	}
	b->out[b->n++] = ip;
	return b->n == SBP_CALLERS ? _URC_END_OF_STACK : _URC_NO_REASON;
}

static __attribute__((noinline)) void sbp_callers(uint64_t site, uint64_t out[SBP_CALLERS])
{
	struct sbp_bt b = {site, out, 0, 0, 0};
	memset(out, 0, SBP_CALLERS * sizeof *out);
	int st = sbp_t.state;
	sbp_t.state = T_OFF;
	_Unwind_Backtrace(sbp_bt_frame, &b);
	sbp_t.state = st;
	if (!b.found)
		memset(out, 0, SBP_CALLERS * sizeof *out);
}

/* The entry for (class, site, kind) in this thread's slot; NULL when full. */
static sbp_entry_t *sbp_entry(uint64_t ckey, uint64_t site, uint32_t kind)
{
	sbp_slot_t *s = sbp_t.slot;
	uint64_t pc = ckey >> 1;
	uint32_t origin = (ckey & 1) ? SBP_O_FIRST_USE : SBP_O_INIT;
	uint64_t h = sbp_mix(ckey ^ (site * UINT64_C(0x9e3779b97f4a7c15)) ^ kind);

	for (unsigned i = 0; i < SBP_ENTRIES; i++) {
		sbp_entry_t *e = &s->entry[(h + i) & (SBP_ENTRIES - 1)];
		if (SBP_LIKELY(e->class_pc == pc && e->site_pc == site && e->kind == kind && e->origin == origin))
			return e;
		if (e->class_pc == 0) {
			uint64_t up[SBP_CALLERS];
			sbp_callers(site, up);
			e->first_callers[0] = up[0];
			e->first_callers[1] = up[1];
			e->site_pc = site;
			e->kind = kind;
			e->origin = origin;
			e->hist[0].min = UINT64_MAX; /* sb_hist_init's empty state; the rest is 0 */
			e->hist[1].min = UINT64_MAX;
			e->class_pc = pc;
			s->entries_used++;
			sbp_t.fresh++;
			return e;
		}
	}
	s->table_full++;
	return NULL;
}

/* ---- rule findings, order edges, blockers ------------------------------ */

/* The class key of an entry (sbp_class's form). */
static inline uint64_t sbp_ekey(const sbp_entry_t *e)
{
	return e->class_pc << 1 | (e->origin == SBP_O_FIRST_USE);
}

/*
 * The finding (rule, class, site_a, site_b, class_b, aux) of this thread's
 * slot, counted once more; NULL when the table is full (counted).  Plain
 * stores into the mapped file: on record at once, before the caller goes
 * on (into a deadlock, for a recursion).
 */
static __attribute__((noinline)) sbp_finding_t *sbp_finding(uint32_t rule, uint32_t kind, uint64_t ckey,
							    uint64_t site_a, uint64_t site_b, uint64_t class_b,
							    int32_t other, uint64_t aux)
{
	sbp_slot_t *s = sbp_t.slot;
	uint64_t h = sbp_mix(ckey ^ site_a * UINT64_C(0x9e3779b97f4a7c15) ^ site_b * 31 ^ class_b * 7 ^ rule ^ aux);
	for (unsigned i = 0; i < SBP_FINDINGS; i++) {
		sbp_finding_t *f = &s->finding[(h + i) & (SBP_FINDINGS - 1)];
		if (f->class_key == ckey && f->rule == rule && f->site_a == site_a && f->site_b == site_b &&
		    f->class_b == class_b && f->aux == aux) {
			f->count++;
			return f;
		}
		if (f->class_key == 0) {
			f->site_a = site_a;
			f->site_b = site_b;
			f->class_b = class_b;
			f->rule = rule;
			f->kind = kind;
			f->tid = sbp_t.tid;
			f->other_tid = other;
			f->aux = aux;
			f->count = 1;
			f->class_key = ckey;
			sbp_t.fresh++;
			return f;
		}
	}
	s->findings_full++;
	return NULL;
}

/*
 * A blocking acquisition of class kb at site_b while `top` (this thread's
 * newest held lock) is held: the edge (top's class -> kb) of the order
 * graph, with both sites.  Same-class nesting (per-object locks of one
 * class) is no edge.
 */
static void sbp_edge(const sbp_held_t *top, uint64_t kb, uint64_t site_b, uint32_t kind_b)
{
	const sbp_entry_t *ea = top->e;
	if (!ea)
		return;
	uint64_t ka = sbp_ekey(ea);
	if (ka == kb)
		return;
	sbp_slot_t *s = sbp_t.slot;
	uint64_t h = sbp_mix(ka ^ kb * UINT64_C(0x9e3779b97f4a7c15) ^ ea->site_pc * 31 ^ site_b * 7);
	for (unsigned i = 0; i < SBP_EDGES; i++) {
		sbp_edge_t *g = &s->edge[(h + i) & (SBP_EDGES - 1)];
		if (SBP_LIKELY(g->a == ka && g->b == kb && g->site_a == ea->site_pc && g->site_b == site_b)) {
			g->count++;
			return;
		}
		if (g->a == 0) {
			g->b = kb;
			g->site_a = ea->site_pc;
			g->site_b = site_b;
			g->kind_a = ea->kind;
			g->kind_b = kind_b;
			g->tid = sbp_t.tid;
			g->count = 1;
			g->a = ka;
			sbp_t.fresh++;
			return;
		}
	}
	s->edges_full++;
}

/* Who held the lock when an acquisition found it held: the side table's
 * last acquirer, read just before the blocking call. */
typedef struct sbp_who {
	uint64_t site;
	int32_t tid;
	uint64_t callers[SBP_CALLERS]; /* the waiter's frames above its call site */
} sbp_who_t;

/* A contended acquisition's stack and wait: (class, kind, site, callers). */
static void sbp_stack(uint64_t ckey, uint32_t kind, uint64_t site, const uint64_t *callers, uint64_t wait)
{
	sbp_slot_t *s = sbp_t.slot;
	uint64_t h = sbp_mix(ckey ^ site * UINT64_C(0x9e3779b97f4a7c15) ^ callers[0] * 31 ^ callers[1] * 17 ^ kind);
	for (unsigned i = 0; i < SBP_STACKS; i++) {
		sbp_stack_t *x = &s->stack[(h + i) & (SBP_STACKS - 1)];
		if (x->class_key == ckey && x->site == site && x->kind == kind &&
		    !memcmp(x->callers, callers, sizeof x->callers)) {
			x->count++;
			x->wait_ticks += wait;
			return;
		}
		if (x->class_key == 0) {
			x->site = site;
			memcpy(x->callers, callers, sizeof x->callers);
			x->kind = kind;
			x->count = 1;
			x->wait_ticks = wait;
			x->class_key = ckey;
			sbp_t.fresh++;
			return;
		}
	}
	s->stacks_full++;
}

/* A contended acquisition's wait, charged to (class, kind, waiter site, holder site). */
static void sbp_blocker(uint64_t ckey, uint32_t kind, uint64_t site, const sbp_who_t *who, uint64_t wait)
{
	sbp_slot_t *s = sbp_t.slot;
	uint64_t h = sbp_mix(ckey ^ site * UINT64_C(0x9e3779b97f4a7c15) ^ who->site * 31 ^ kind);
	for (unsigned i = 0; i < SBP_BLOCKERS; i++) {
		sbp_blocker_t *b = &s->blocker[(h + i) & (SBP_BLOCKERS - 1)];
		if (b->class_key == ckey && b->waiter_site == site && b->holder_site == who->site && b->kind == kind) {
			b->count++;
			b->wait_ticks += wait;
			b->holder_tid = who->tid;
			return;
		}
		if (b->class_key == 0) {
			b->waiter_site = site;
			b->holder_site = who->site;
			b->kind = kind;
			b->holder_tid = who->tid;
			b->count = 1;
			b->wait_ticks = wait;
			b->class_key = ckey;
			sbp_t.fresh++;
			return;
		}
	}
	s->blockers_full++;
}

/* An owner change of class ckey from CPU `from` to CPU `to`; `wait` ticks
 * when the acquirer waited (contended), else 0. */
static void sbp_handoff(uint64_t ckey, uint32_t kind, int32_t from, int32_t to, int contended, uint64_t wait)
{
	sbp_slot_t *s = sbp_t.slot;
	uint64_t h = sbp_mix(ckey ^ (uint64_t)(uint32_t)from << 40 ^ (uint64_t)(uint32_t)to << 20 ^ kind);
	for (unsigned i = 0; i < SBP_HANDOFFS; i++) {
		sbp_handoff_t *x = &s->handoff[(h + i) & (SBP_HANDOFFS - 1)];
		if (x->class_key == ckey && x->from_cpu == from && x->to_cpu == to && x->kind == kind) {
			x->count++;
			x->contended += (uint64_t)contended;
			x->wait_ticks += wait;
			return;
		}
		if (x->class_key == 0) {
			x->kind = kind;
			x->from_cpu = from;
			x->to_cpu = to;
			x->count = 1;
			x->contended = (uint64_t)contended;
			x->wait_ticks = wait;
			x->class_key = ckey;
			sbp_t.fresh++;
			return;
		}
	}
	s->handoffs_full++;
}

/* ---- thread start and end --------------------------------------------- */

/* Every lock this thread still holds at its end (how: 1 thread, 2 process). */
static void sbp_exit_held(uint64_t how)
{
	for (int i = 0; i < sbp_t.depth; i++) {
		const sbp_entry_t *e = sbp_t.held[i].e;
		if (e)
			sbp_finding(SBP_R_EXIT_HELD, e->kind, sbp_ekey(e), e->site_pc, 0, 0, 0, how);
	}
}

static void sbp_thread_gone(void *slot)
{
	sbp_slot_t *s = slot;
	if (sbp_t.state == T_ON && sbp_t.slot == s)
		sbp_exit_held(1);
	sbp_t.state = T_FRESH;
	sbp_t.slot = NULL;
	sbp_t.depth = 0;
	/* release: pairs with the acquire CAS of the next thread to claim it,
	 * which then adds to what this thread counted. */
	atomic_store_explicit(&s->in_use, 0, memory_order_release);
}

static sbp_slot_t *sbp_slot_at(uint32_t i)
{
	return (sbp_slot_t *)((char *)sbp_file + SBP_PAGE + (size_t)i * sizeof(sbp_slot_t));
}

/* A free slot (a never-used one first), claimed; NULL when all are taken. */
static sbp_slot_t *sbp_claim(void)
{
	sbp_file_t *f = sbp_file;
	uint32_t i = atomic_fetch_add_explicit(&f->slots_used, 1, memory_order_relaxed);
	if (i < SBP_SLOTS) {
		sbp_slot_t *s = sbp_slot_at(i);
		atomic_store_explicit(&s->in_use, 1, memory_order_relaxed); /* never owned before */
		return s;
	}
	atomic_store_explicit(&f->slots_used, SBP_SLOTS, memory_order_relaxed);
	for (i = 0; i < SBP_SLOTS; i++) {
		sbp_slot_t *s = sbp_slot_at(i);
		uint32_t zero = 0;
		/* acquire: pairs with sbp_thread_gone's release by its last owner */
		if (atomic_load_explicit(&s->in_use, memory_order_relaxed) == 0 &&
		    atomic_compare_exchange_strong_explicit(&s->in_use, &zero, 1, memory_order_acquire,
							    memory_order_relaxed))
			return s;
	}
	atomic_fetch_add_explicit(&f->slots_full, 1, memory_order_relaxed);
	return NULL;
}

/*
 * Not recording yet on this thread: count a self-test call, or give the
 * thread a slot once the library is ready.  1 when the thread now records.
 */
static __attribute__((noinline)) int sbp_begin_slow(int fn)
{
	if (sbp_t.state == T_SELFTEST) {
		sbp_seen[fn]++;
		return 0;
	}
	if (sbp_t.state != T_FRESH)
		return 0;
	if (!atomic_load_explicit(&sbp_ready, memory_order_acquire)) {
		atomic_fetch_add_explicit(&sbp_early, 1, memory_order_relaxed);
		return 0;
	}
	sbp_t.state = T_OFF; /* no recording while the slot is set up */
	sbp_slot_t *s = sbp_claim();
	if (!s)
		return 0; /* stays off: counted in slots_full */
	sbp_t.tid = (int)syscall(SYS_gettid);
	sbp_t.rng = (uint32_t)sbp_t.tid * 2654435761u | 1;
	s->tid = sbp_t.tid;
	s->threads++;
	sbp_t.slot = s;
	sbp_t.depth = 0;
	sbp_t.overflowed = 0;
	pthread_setspecific(sbp_key, s);
	sbp_t.state = T_ON;
	return 1;
}

/* 1 when this call is to be recorded. */
static inline int sbp_begin(int fn)
{
	if (SBP_LIKELY(sbp_t.state == T_ON))
		return 1;
	return sbp_begin_slow(fn);
}

/* ---- acquisitions and releases ---------------------------------------- */

/* 1 when holds of `kind` are checked against the hold limit. */
static inline int sbp_checked(uint32_t kind)
{
	return (sbp_limit_kinds >> kind) & 1;
}

/* The thread's involuntary switches and page faults so far. */
static void sbp_rusage(uint64_t *nivcsw, uint64_t *flt)
{
	struct rusage ru;
	if (getrusage(RUSAGE_THREAD, &ru) != 0)
		memset(&ru, 0, sizeof ru);
	*nivcsw = (uint64_t)ru.ru_nivcsw;
	*flt = (uint64_t)ru.ru_minflt + (uint64_t)ru.ru_majflt;
}

/* 1 in N checked holds carries getrusage evidence (sbp_evid_mask = N - 1). */
static int sbp_evid_draw(void)
{
	uint32_t x = sbp_t.rng;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	sbp_t.rng = x;
	return (x & sbp_evid_mask) == 0;
}

static void sbp_push(const void *lock, uint64_t t, sbp_entry_t *e, uint32_t kind)
{
	if (SBP_UNLIKELY(sbp_t.depth == SBP_HELD)) {
		sbp_t.slot->held_overflow++;
		sbp_t.overflowed = 1;
		return;
	}
	sbp_held_t *h = &sbp_t.held[sbp_t.depth++];
	h->lock = lock;
	h->t_acq = t;
	h->e = e;
	h->cpu = -1;
	h->evid = 0;
	if (SBP_UNLIKELY(sbp_checked(kind))) {
		h->cpu = sched_getcpu();
		h->fresh = sbp_t.fresh;
		if (sbp_evid_on && sbp_evid_draw()) {
			sbp_rusage(&h->nivcsw, &h->flt);
			h->evid = 1;
		}
		/* the hold starts after this bookkeeping: a first touch of the
		 * tables' pages (a fault of some us) is not the program's */
		if (t)
			h->t_acq = SBP_T_END();
	}
}

/*
 * A checked hold `h` of `ticks` ended at `site` at or above the limit: the
 * finding, with the evidence at hand (the CPU changed; with getrusage at
 * both ends, a switch or a fault inside).  A hold inside which this thread
 * created a table entry (a first touch of a page of the profiler's, which
 * can fault for some us to ms) is not charged to the program: counted in
 * limit_excused instead.
 */
static __attribute__((noinline)) void sbp_hold_over(const sbp_held_t *h, uint64_t ticks, uint64_t site)
{
	const sbp_entry_t *e = h->e;
	if (h->fresh != sbp_t.fresh) {
		sbp_t.slot->limit_excused++; /* the profiler's own first touches fell inside */
		return;
	}
	sbp_finding_t *f = sbp_finding(SBP_R_HOLD_LIMIT, e->kind, sbp_ekey(e), e->site_pc, site, 0, 0, 0);
	if (!f)
		return;
	if (ticks > f->max_ticks)
		f->max_ticks = ticks;
	f->migrated += h->cpu >= 0 && sched_getcpu() != h->cpu;
	if (h->evid) {
		uint64_t nivcsw, flt;
		sbp_rusage(&nivcsw, &flt);
		f->measured++;
		f->preempted += nivcsw != h->nivcsw;
		f->faulted += flt != h->flt;
	}
}

/*
 * Close the hold of `lock` at stamp t, released at `site` (the newest one
 * of it on the held stack; a hold whose start was not stamped, t_acq 0, is
 * not timed).  0 when this thread has no record of holding it.
 */
static int sbp_pop(const void *lock, uint64_t t, uint64_t site)
{
	for (int i = sbp_t.depth - 1; i >= 0; i--) {
		if (sbp_t.held[i].lock != lock)
			continue;
		sbp_entry_t *e = sbp_t.held[i].e;
		if (e && sbp_t.held[i].t_acq) {
			uint64_t d = t - sbp_t.held[i].t_acq;
			sb_hist_add(&e->hist[1], d);
			if (SBP_UNLIKELY(d >= sbp_limit_ticks && sbp_t.held[i].cpu >= 0))
				sbp_hold_over(&sbp_t.held[i], d, site);
		}
		for (int j = i; j < sbp_t.depth - 1; j++)
			sbp_t.held[j] = sbp_t.held[j + 1];
		sbp_t.depth--;
		return 1;
	}
	return 0;
}

/* How an acquisition was made, for sbp_acquired. */
enum { SBP_A_BLOCKING, SBP_A_TRY, SBP_A_CONTENDED };

/*
 * Record a successful acquisition of `lock` at `site`: t1 is the stamp
 * after the acquiring call returned; a contended one (`how`) waited t1 - t0
 * behind `who`.  A blocking call (not a trylock, which cannot deadlock)
 * made while holding another lock adds an order edge.  The side table's
 * holder and site name this thread and site for later waiters.
 */
static void sbp_acquired(const void *lock, uint32_t kind, uint64_t site, int how, uint64_t t0, uint64_t t1,
			 const sbp_who_t *who)
{
	sbp_lockinfo_t *li = sbp_side_get(lock);
	uint64_t ck = sbp_class(li, site);
	sbp_entry_t *e = sbp_entry(ck, site, kind);
	if (e) {
		e->acquisitions++;
		if (how == SBP_A_CONTENDED) {
			e->contended++;
			sb_hist_add(&e->hist[0], t1 - t0);
			if (who) {
				sbp_blocker(ck, kind, site, who, t1 - t0);
				sbp_stack(ck, kind, site, who->callers, t1 - t0);
			}
		}
		if (kind != SBP_K_READ && li) {
			/* relaxed, all: advisory words, each read on its own.  The
			 * CPU is glibc's rseq copy: no system call */
			int prev = atomic_load_explicit(&li->owner, memory_order_relaxed);
			int32_t cpu = (int32_t)sched_getcpu() + 1;
			int32_t pcpu = atomic_load_explicit(&li->cpu, memory_order_relaxed);
			if (prev != sbp_t.tid) {
				e->owner_changes += prev != 0;
				if (prev != 0 && pcpu > 0 && cpu > 0)
					sbp_handoff(ck, kind, pcpu - 1, cpu - 1, how == SBP_A_CONTENDED,
						    how == SBP_A_CONTENDED ? t1 - t0 : 0);
				atomic_store_explicit(&li->owner, sbp_t.tid, memory_order_relaxed);
			}
			if (pcpu != cpu)
				atomic_store_explicit(&li->cpu, cpu, memory_order_relaxed);
		}
	}
	if (li) {
		/* relaxed: advisory, each word read on its own by a later waiter */
		if (atomic_load_explicit(&li->aux, memory_order_relaxed) != site)
			atomic_store_explicit(&li->aux, site, memory_order_relaxed);
		if (atomic_load_explicit(&li->holder, memory_order_relaxed) != sbp_t.tid)
			atomic_store_explicit(&li->holder, sbp_t.tid, memory_order_relaxed);
	}
	if (sbp_t.depth && how != SBP_A_TRY)
		sbp_edge(&sbp_t.held[sbp_t.depth - 1], ck, site, kind);
	sbp_push(lock, t1, e, kind);
}

/*
 * A blocking acquisition whose trylock failed, before it blocks: when this
 * thread already holds the lock, the lock is not recursive (a recursive one
 * would have let the trylock in), so the call is about to deadlock (or to
 * fail with EDEADLK): the finding goes on record first.  Then who holds
 * the lock, for the blocker table.
 */
static __attribute__((noinline)) void sbp_contended(const void *lock, uint32_t kind, uint64_t site, sbp_who_t *who)
{
	sbp_lockinfo_t *li = sbp_side_get(lock);
	for (int i = sbp_t.depth - 1; i >= 0; i--) {
		if (sbp_t.held[i].lock != lock)
			continue;
		const sbp_entry_t *e = sbp_t.held[i].e;
		sbp_finding(SBP_R_RECURSION, kind, e ? sbp_ekey(e) : sbp_class(li, site), e ? e->site_pc : 0, site, 0,
			    sbp_t.tid, 0);
		break;
	}
	who->site = li ? atomic_load_explicit(&li->aux, memory_order_relaxed) : 0;
	who->tid = li ? atomic_load_explicit(&li->holder, memory_order_relaxed) : 0;
	sbp_callers(site, who->callers);
}

/* A call that did not acquire: trylock failure, timeout or error. */
static void sbp_failed(const void *lock, uint32_t kind, uint64_t site, int what)
{
	sbp_entry_t *e = sbp_entry(sbp_class(sbp_side_get(lock), site), site, kind);
	if (!e)
		return;
	if (what == EBUSY)
		e->trylock_fail++;
	else if (what == ETIMEDOUT)
		e->timeouts++;
	else
		e->errors++;
}

/*
 * A release (or a condvar wait) at `site` of a lock this thread has no
 * record of holding: counted; a finding when the side table names an
 * acquirer (this thread or another: a double release counts too) and no
 * acquisition of this thread went unrecorded (held stack overflow).
 */
static __attribute__((noinline)) void sbp_not_held(const void *lock, uint32_t kind, uint64_t site)
{
	sbp_t.slot->unmatched_unlock++;
	if (sbp_t.overflowed)
		return;
	sbp_lockinfo_t *li = sbp_side_get(lock);
	int32_t holder = li ? atomic_load_explicit(&li->holder, memory_order_relaxed) : 0;
	if (!holder)
		return;
	sbp_finding(SBP_R_NOT_OWNER, kind, sbp_class(li, site), atomic_load_explicit(&li->aux, memory_order_relaxed),
		    site, 0, holder, 0);
}

/*
 * An unlock's bookkeeping at `site`, before glibc's unlock: the stamp that
 * ends the hold is taken once the held stack has been searched (one compare
 * when the lock is the newest held), and only when the hold's start was
 * stamped.  A spin lock released while a lock taken after it is still held
 * breaks the nested-lock rule (out-of-order).
 */
static inline void sbp_released(const void *lock, uint32_t kind, uint64_t site)
{
	int i = sbp_t.depth - 1;
	while (i >= 0 && sbp_t.held[i].lock != lock)
		i--;
	if (SBP_UNLIKELY(i < 0)) {
		sbp_not_held(lock, kind, site);
		return;
	}
	if (SBP_UNLIKELY(kind == SBP_K_SPIN && i != sbp_t.depth - 1)) {
		const sbp_entry_t *e = sbp_t.held[i].e, *later = sbp_t.held[sbp_t.depth - 1].e;
		if (e)
			sbp_finding(SBP_R_OUT_OF_ORDER, kind, sbp_ekey(e), e->site_pc, site,
				    later ? sbp_ekey(later) : 0, 0, later ? later->site_pc : 0);
	}
	sbp_pop(lock, sbp_t.held[i].t_acq ? SBP_T_END() : 0, site);
}

/* 1 when this uncontended acquisition's hold is to be timed: always for
 * checked kinds. */
static inline int sbp_sampled(uint32_t kind)
{
	if (SBP_LIKELY(!sbp_mask) || sbp_checked(kind))
		return 1;
	uint32_t x = sbp_t.rng;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	sbp_t.rng = x;
	return (x & sbp_mask) == 0;
}

/*
 * The shape every blocking acquisition shares: trycall is glibc's trylock,
 * blockcall glibc's blocking call, lk_ and site_ the lock and the call site.
 * EOWNERDEAD (a robust mutex whose owner died) is an acquisition too.
 */
#define SBP_ACQUIRE(kind, trycall, blockcall)                                                                    \
	do {                                                                                                     \
		int rc_ = (trycall);                                                                             \
		if (rc_ == 0 || rc_ == EOWNERDEAD) {                                                             \
			sbp_acquired(lk_, (kind), site_, SBP_A_BLOCKING, 0, sbp_sampled(kind) ? SBP_T_END() : 0, \
				     NULL);                                                                      \
			return rc_;                                                                              \
		}                                                                                                \
		sbp_who_t who_;                                                                                  \
		sbp_contended(lk_, (kind), site_, &who_);                                                        \
		uint64_t t0_ = SBP_T_START();                                                                    \
		rc_ = (blockcall);                                                                               \
		uint64_t t1_ = SBP_T_END();                                                                      \
		if (rc_ == 0 || rc_ == EOWNERDEAD)                                                               \
			sbp_acquired(lk_, (kind), site_, SBP_A_CONTENDED, t0_, t1_, &who_);                      \
		else                                                                                             \
			sbp_failed(lk_, (kind), site_, rc_ == ETIMEDOUT ? ETIMEDOUT : EINVAL);                   \
		return rc_;                                                                                      \
	} while (0)

/*
 * A destroy at `site` of a lock that is held: by this thread (its held
 * stack), or by another (glibc's trylock, `try`, fails; it is released at
 * once, `unlock`, when it succeeds).  Not on any acquisition path.
 */
static void sbp_destroying(const void *lock, uint32_t kind, uint64_t site, int (*try)(void *), int (*unlock)(void *),
			   void *obj)
{
	for (int i = sbp_t.depth - 1; i >= 0; i--) {
		const sbp_entry_t *e = sbp_t.held[i].e;
		if (sbp_t.held[i].lock != lock)
			continue;
		sbp_finding(SBP_R_DESTROY_HELD, kind, e ? sbp_ekey(e) : sbp_class(sbp_side_get(lock), site),
			    e ? e->site_pc : 0, site, 0, sbp_t.tid, 0);
		return;
	}
	if (try(obj) == 0) {
		unlock(obj);
		return;
	}
	sbp_lockinfo_t *li = sbp_side_get(lock);
	sbp_finding(SBP_R_DESTROY_HELD, kind, sbp_class(li, site),
		    li ? atomic_load_explicit(&li->aux, memory_order_relaxed) : 0, site, 0,
		    li ? atomic_load_explicit(&li->holder, memory_order_relaxed) : 0, 0);
}

/* ---- pthread_mutex_* ---------------------------------------------------- */

typedef int (*mfn_t)(pthread_mutex_t *);
typedef int (*mtimed_t)(pthread_mutex_t *, const struct timespec *);
typedef int (*mclock_t)(pthread_mutex_t *, clockid_t, const struct timespec *);

/* The mutex verbs: glibc's, or the swapped lock's (swap.h) when `sw`. */
#define M_TRY(m) (sw ? sbp_sw_trylock(sw) : REAL(mutex_trylock, mfn_t)(m))
#define M_LOCK(m) (sw ? sbp_sw_lock(sw) : REAL(mutex_lock, mfn_t)(m))
#define M_UNLOCK(m) (sw ? sbp_sw_unlock(sw) : REAL(mutex_unlock, mfn_t)(m))

SBP_EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
	sbp_swlock_t *sw = sbp_swap_of(m);
	if (!sbp_begin(SBP_F_mutex_lock))
		return M_LOCK(m);
	const void *lk_ = m;
	uint64_t site_ = SBP_RA();
	SBP_ACQUIRE(SBP_K_MUTEX, M_TRY(m), M_LOCK(m));
}

SBP_EXPORT int pthread_mutex_trylock(pthread_mutex_t *m)
{
	sbp_swlock_t *sw = sbp_swap_of(m);
	if (!sbp_begin(SBP_F_mutex_trylock))
		return M_TRY(m);
	int rc = M_TRY(m);
	if (rc == 0 || rc == EOWNERDEAD)
		sbp_acquired(m, SBP_K_MUTEX, SBP_RA(), SBP_A_TRY, 0, sbp_sampled(SBP_K_MUTEX) ? SBP_T_END() : 0, NULL);
	else
		sbp_failed(m, SBP_K_MUTEX, SBP_RA(), rc == EBUSY ? EBUSY : EINVAL);
	return rc;
}

/* glibc's timedlock measures against CLOCK_REALTIME */
#define M_TIMED(m, ts) (sw ? sbp_sw_timedlock(sw, CLOCK_REALTIME, ts) : REAL(mutex_timedlock, mtimed_t)(m, ts))
#define M_CLOCK(m, c, ts) (sw ? sbp_sw_timedlock(sw, c, ts) : REAL(mutex_clocklock, mclock_t)(m, c, ts))

SBP_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *ts)
{
	sbp_swlock_t *sw = sbp_swap_of(m);
	if (!sbp_begin(SBP_F_mutex_timedlock))
		return M_TIMED(m, ts);
	const void *lk_ = m;
	uint64_t site_ = SBP_RA();
	SBP_ACQUIRE(SBP_K_MUTEX, M_TRY(m), M_TIMED(m, ts));
}

SBP_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t c, const struct timespec *ts)
{
	sbp_swlock_t *sw = sbp_swap_of(m);
	if (!sbp_begin(SBP_F_mutex_clocklock))
		return M_CLOCK(m, c, ts);
	const void *lk_ = m;
	uint64_t site_ = SBP_RA();
	SBP_ACQUIRE(SBP_K_MUTEX, M_TRY(m), M_CLOCK(m, c, ts));
}

SBP_EXPORT int pthread_mutex_unlock(pthread_mutex_t *m)
{
	sbp_swlock_t *sw = sbp_swap_of(m);
	if (sbp_begin(SBP_F_mutex_unlock))
		sbp_released(m, SBP_K_MUTEX, SBP_RA());
	return M_UNLOCK(m);
}

SBP_EXPORT int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a)
{
	if (sbp_begin(SBP_F_mutex_init))
		sbp_name_class(m, SBP_RA());
	if (sbp_swap_active)
		sbp_sw_init(m); /* before glibc's init, which zeroes our pointer */
	return REAL(mutex_init, int (*)(pthread_mutex_t *, const pthread_mutexattr_t *))(m, a);
}

static int sbp_m_try(void *o)
{
	sbp_swlock_t *sw = sbp_swap_of(o);
	return M_TRY((pthread_mutex_t *)o);
}

static int sbp_m_unlock(void *o)
{
	sbp_swlock_t *sw = sbp_swap_of(o);
	return M_UNLOCK((pthread_mutex_t *)o);
}

SBP_EXPORT int pthread_mutex_destroy(pthread_mutex_t *m)
{
	if (sbp_begin(SBP_F_mutex_destroy)) {
		sbp_destroying(m, SBP_K_MUTEX, SBP_RA(), sbp_m_try, sbp_m_unlock, m);
		sbp_forget(m);
	}
	if (sbp_swap_active && sbp_sw_destroy(m) == EBUSY)
		return EBUSY; /* ours is held: glibc's would say so too */
	return REAL(mutex_destroy, mfn_t)(m);
}

/* ---- pthread_spin_* ----------------------------------------------------- */

typedef int (*sfn_t)(pthread_spinlock_t *);

/* pthread_spinlock_t is a volatile int: its address, as the tables key it. */
#define SPIN_ADDR(l) ((const void *)(uintptr_t)(l))

#define S_TRY(l) (sw ? sbp_sw_trylock(sw) : REAL(spin_trylock, sfn_t)(l))
#define S_LOCK(l) (sw ? sbp_sw_lock(sw) : REAL(spin_lock, sfn_t)(l))
#define S_UNLOCK(l) (sw ? sbp_sw_unlock(sw) : REAL(spin_unlock, sfn_t)(l))

SBP_EXPORT int pthread_spin_lock(pthread_spinlock_t *l)
{
	sbp_swlock_t *sw = sbp_swap_spin_of(l);
	if (!sbp_begin(SBP_F_spin_lock))
		return S_LOCK(l);
	const void *lk_ = SPIN_ADDR(l);
	uint64_t site_ = SBP_RA();
	SBP_ACQUIRE(SBP_K_SPIN, S_TRY(l), S_LOCK(l));
}

SBP_EXPORT int pthread_spin_trylock(pthread_spinlock_t *l)
{
	sbp_swlock_t *sw = sbp_swap_spin_of(l);
	if (!sbp_begin(SBP_F_spin_trylock))
		return S_TRY(l);
	int rc = S_TRY(l);
	if (rc == 0)
		sbp_acquired(SPIN_ADDR(l), SBP_K_SPIN, SBP_RA(), SBP_A_TRY, 0,
			     sbp_sampled(SBP_K_SPIN) ? SBP_T_END() : 0, NULL);
	else
		sbp_failed(SPIN_ADDR(l), SBP_K_SPIN, SBP_RA(), rc == EBUSY ? EBUSY : EINVAL);
	return rc;
}

SBP_EXPORT int pthread_spin_unlock(pthread_spinlock_t *l)
{
	sbp_swlock_t *sw = sbp_swap_spin_of(l);
	if (sbp_begin(SBP_F_spin_unlock))
		sbp_released(SPIN_ADDR(l), SBP_K_SPIN, SBP_RA());
	return S_UNLOCK(l);
}

SBP_EXPORT int pthread_spin_init(pthread_spinlock_t *l, int pshared)
{
	if (sbp_begin(SBP_F_spin_init))
		sbp_name_class(SPIN_ADDR(l), SBP_RA());
	if (sbp_swap_active)
		sbp_sw_spin_init(l, pshared == PTHREAD_PROCESS_SHARED);
	return REAL(spin_init, int (*)(pthread_spinlock_t *, int))(l, pshared);
}

static int sbp_s_try(void *o)
{
	sbp_swlock_t *sw = sbp_swap_spin_of(o);
	return S_TRY((pthread_spinlock_t *)o);
}

static int sbp_s_unlock(void *o)
{
	sbp_swlock_t *sw = sbp_swap_spin_of(o);
	return S_UNLOCK((pthread_spinlock_t *)o);
}

SBP_EXPORT int pthread_spin_destroy(pthread_spinlock_t *l)
{
	if (sbp_begin(SBP_F_spin_destroy)) {
		sbp_destroying(SPIN_ADDR(l), SBP_K_SPIN, SBP_RA(), sbp_s_try, sbp_s_unlock, (void *)(uintptr_t)l);
		sbp_forget(SPIN_ADDR(l));
	}
	return REAL(spin_destroy, sfn_t)(l);
}

/* ---- pthread_rwlock_* --------------------------------------------------- */

typedef int (*rfn_t)(pthread_rwlock_t *);
typedef int (*rtimed_t)(pthread_rwlock_t *, const struct timespec *);
typedef int (*rclock_t)(pthread_rwlock_t *, clockid_t, const struct timespec *);

#define SBP_RW(fname, id, kind, tryid, call)                    \
	SBP_EXPORT int fname                                    \
	{                                                       \
		if (!sbp_begin(SBP_F_##id))                     \
			return call;                            \
		const void *lk_ = l;                            \
		uint64_t site_ = SBP_RA();                      \
		SBP_ACQUIRE(kind, REAL(tryid, rfn_t)(l), call); \
	}

SBP_RW(pthread_rwlock_rdlock(pthread_rwlock_t *l), rw_rdlock, SBP_K_READ, rw_tryrdlock, REAL(rw_rdlock, rfn_t)(l))
SBP_RW(pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *ts), rw_timedrdlock, SBP_K_READ,
       rw_tryrdlock, REAL(rw_timedrdlock, rtimed_t)(l, ts))
SBP_RW(pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t c, const struct timespec *ts), rw_clockrdlock,
       SBP_K_READ, rw_tryrdlock, REAL(rw_clockrdlock, rclock_t)(l, c, ts))
SBP_RW(pthread_rwlock_wrlock(pthread_rwlock_t *l), rw_wrlock, SBP_K_WRITE, rw_trywrlock, REAL(rw_wrlock, rfn_t)(l))
SBP_RW(pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *ts), rw_timedwrlock, SBP_K_WRITE,
       rw_trywrlock, REAL(rw_timedwrlock, rtimed_t)(l, ts))
SBP_RW(pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t c, const struct timespec *ts), rw_clockwrlock,
       SBP_K_WRITE, rw_trywrlock, REAL(rw_clockwrlock, rclock_t)(l, c, ts))

static int sbp_rw_try(pthread_rwlock_t *l, int id, uint32_t kind, uint64_t site)
{
	int rc = ((rfn_t)sbp_real(id))(l);
	if (rc == 0)
		sbp_acquired(l, kind, site, SBP_A_TRY, 0, sbp_sampled(kind) ? SBP_T_END() : 0, NULL);
	else
		sbp_failed(l, kind, site, rc == EBUSY ? EBUSY : EINVAL);
	return rc;
}

SBP_EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
	if (!sbp_begin(SBP_F_rw_tryrdlock))
		return REAL(rw_tryrdlock, rfn_t)(l);
	return sbp_rw_try(l, SBP_F_rw_tryrdlock, SBP_K_READ, SBP_RA());
}

SBP_EXPORT int pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
	if (!sbp_begin(SBP_F_rw_trywrlock))
		return REAL(rw_trywrlock, rfn_t)(l);
	return sbp_rw_try(l, SBP_F_rw_trywrlock, SBP_K_WRITE, SBP_RA());
}

SBP_EXPORT int pthread_rwlock_unlock(pthread_rwlock_t *l)
{
	if (sbp_begin(SBP_F_rw_unlock))
		sbp_released(l, SBP_K_WRITE, SBP_RA());
	return REAL(rw_unlock, rfn_t)(l);
}

SBP_EXPORT int pthread_rwlock_init(pthread_rwlock_t *l, const pthread_rwlockattr_t *a)
{
	if (sbp_begin(SBP_F_rw_init))
		sbp_name_class(l, SBP_RA());
	return REAL(rw_init, int (*)(pthread_rwlock_t *, const pthread_rwlockattr_t *))(l, a);
}

static int sbp_r_try(void *o)
{
	return REAL(rw_trywrlock, rfn_t)(o);
}

static int sbp_r_unlock(void *o)
{
	return REAL(rw_unlock, rfn_t)(o);
}

SBP_EXPORT int pthread_rwlock_destroy(pthread_rwlock_t *l)
{
	if (sbp_begin(SBP_F_rw_destroy)) {
		sbp_destroying(l, SBP_K_WRITE, SBP_RA(), sbp_r_try, sbp_r_unlock, l);
		sbp_forget(l);
	}
	return REAL(rw_destroy, rfn_t)(l);
}

/* ---- condition variables ------------------------------------------------ */

/*
 * A condvar wait, around glibc's call `wait` (which releases the mutex,
 * sleeps, and takes the mutex back inside glibc, out of our sight):
 *
 *  - the mutex's hold ends at the wait's entry (as an unlock would);
 *  - signal wait = from the entry to the latest signal/broadcast on this
 *    condvar seen in [entry, return] (the side table keeps its stamp);
 *    re-acquire = from that signal to the return: the time it took to get
 *    the mutex back once woken.  No signal in the window (a timeout, a
 *    spurious wake-up, or a newer signal that overwrote the stamp): the
 *    whole wait is signal wait and `cond_unsplit` counts it;
 *  - the return is a relock of the mutex at this site: its hold starts
 *    there; it is counted in `relocks`, not in acquisitions (whether it
 *    was contended is unknown).
 */
static int sbp_cond_wait(const void *c, const void *m, uint64_t site, int rc_timeout, int (*wait)(void *), void *arg)
{
	uint64_t t_in = SBP_T_START();
	if (!sbp_pop(m, t_in, site))
		sbp_not_held(m, SBP_K_MUTEX, site);
	int rc = wait(arg);
	uint64_t t_out = SBP_T_END();
	sbp_lockinfo_t *lc = sbp_side_get(c);
	sbp_entry_t *ce = sbp_entry(sbp_class(lc, site), site, SBP_K_COND);
	if (ce) {
		uint64_t sig = lc ? atomic_load_explicit(&lc->aux, memory_order_relaxed) : 0;
		ce->cond_waits++;
		ce->timeouts += rc == rc_timeout;
		if (sig >= t_in && sig <= t_out) {
			sb_hist_add(&ce->hist[0], sig - t_in);
			sb_hist_add(&ce->hist[1], t_out - sig);
		} else {
			ce->cond_unsplit++;
			sb_hist_add(&ce->hist[0], t_out - t_in);
		}
	}
	sbp_lockinfo_t *lm = sbp_side_get(m);
	sbp_entry_t *me = sbp_entry(sbp_class(lm, site), site, SBP_K_MUTEX);
	if (me)
		me->relocks++;
	if (lm) {
		/* relaxed: advisory words, read one by one (sbp_acquired) */
		atomic_store_explicit(&lm->owner, sbp_t.tid, memory_order_relaxed);
		atomic_store_explicit(&lm->holder, sbp_t.tid, memory_order_relaxed);
		atomic_store_explicit(&lm->aux, site, memory_order_relaxed);
		atomic_store_explicit(&lm->cpu, (int32_t)sched_getcpu() + 1, memory_order_relaxed);
	}
	sbp_push(m, t_out, me, SBP_K_MUTEX);
	return rc;
}

static void sbp_cond_signal(const void *c, uint64_t site, int broadcast)
{
	sbp_lockinfo_t *li = sbp_side_get(c);
	if (li)
		atomic_store_explicit(&li->aux, SBP_T_END(), memory_order_relaxed);
	sbp_entry_t *e = sbp_entry(sbp_class(li, site), site, SBP_K_COND);
	if (e) {
		e->signals += !broadcast;
		e->broadcasts += broadcast;
	}
}

/* A signal or broadcast (`all`) on condvar c by call `fn` at `site`, before
 * glibc's: recorded, and our waiters woken (those of swapped mutexes). */
static void sbp_signalled(int fn, const void *c, uint64_t site, int all)
{
	if (sbp_begin(fn))
		sbp_cond_signal(c, site, all);
	if (sbp_swap_active)
		sbp_sw_cond_wake(c, all);
}

struct sbp_wait_args {
	void *c, *m;
	const struct timespec *ts;
	clockid_t clk;
	int id;
};

/* A timedwait's clock: the condvar's attribute (glibc keeps it in bit 1
 * of __wrefs: set, monotonic). */
static clockid_t sbp_cond_clock(const void *c)
{
	return ((const pthread_cond_t *)c)->__data.__wrefs & 2 ? CLOCK_MONOTONIC : CLOCK_REALTIME;
}

/* Our wait's codes as the C11 calls give them. */
static int sbp_thrd_of(int rc)
{
	return rc == 0 ? thrd_success : rc == ETIMEDOUT ? thrd_timedout : thrd_error;
}

static int sbp_do_wait(void *p)
{
	struct sbp_wait_args *a = p;
	sbp_swlock_t *sw = sbp_swap_of(a->m);
	if (sw) { /* our lock: our wait (swap.h) */
		switch (a->id) {
		case SBP_F_cond_wait:
			return sbp_sw_cond_wait(a->c, sw, CLOCK_REALTIME, NULL);
		case SBP_F_cond_timedwait:
			return sbp_sw_cond_wait(a->c, sw, sbp_cond_clock(a->c), a->ts);
		case SBP_F_cond_clockwait:
			return sbp_sw_cond_wait(a->c, sw, a->clk, a->ts);
		case SBP_F_cnd_wait:
			return sbp_thrd_of(sbp_sw_cond_wait(a->c, sw, CLOCK_REALTIME, NULL));
		default:
			return sbp_thrd_of(sbp_sw_cond_wait(a->c, sw, CLOCK_REALTIME, a->ts));
		}
	}
	switch (a->id) {
	case SBP_F_cond_wait:
		return REAL(cond_wait, int (*)(void *, void *))(a->c, a->m);
	case SBP_F_cond_timedwait:
		return REAL(cond_timedwait, int (*)(void *, void *, const struct timespec *))(a->c, a->m, a->ts);
	case SBP_F_cond_clockwait:
		return REAL(cond_clockwait, int (*)(void *, void *, clockid_t, const struct timespec *))(a->c, a->m,
													 a->clk, a->ts);
	case SBP_F_cnd_wait:
		return REAL(cnd_wait, int (*)(void *, void *))(a->c, a->m);
	default:
		return REAL(cnd_timedwait, int (*)(void *, void *, const struct timespec *))(a->c, a->m, a->ts);
	}
}

/* The five waits: the self-test only counts (a real wait would sleep). */
#define SBP_WAIT(id, c, m, ts, clk, timeout)                                                   \
	do {                                                                                   \
		struct sbp_wait_args a_ = {(void *)(c), (void *)(m), (ts), (clk), SBP_F_##id}; \
		if (SBP_UNLIKELY(sbp_t.state == T_SELFTEST)) {                                 \
			sbp_seen[SBP_F_##id]++;                                                \
			return 0;                                                              \
		}                                                                              \
		if (!sbp_begin(SBP_F_##id))                                                    \
			return sbp_do_wait(&a_);                                               \
		return sbp_cond_wait((c), (m), SBP_RA(), (timeout), sbp_do_wait, &a_);         \
	} while (0)

SBP_EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	SBP_WAIT(cond_wait, c, m, NULL, 0, ETIMEDOUT);
}

SBP_EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *ts)
{
	SBP_WAIT(cond_timedwait, c, m, ts, 0, ETIMEDOUT);
}

SBP_EXPORT int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk, const struct timespec *ts)
{
	SBP_WAIT(cond_clockwait, c, m, ts, clk, ETIMEDOUT);
}

SBP_EXPORT int pthread_cond_signal(pthread_cond_t *c)
{
	sbp_signalled(SBP_F_cond_signal, c, SBP_RA(), 0);
	return REAL(cond_signal, int (*)(pthread_cond_t *))(c);
}

SBP_EXPORT int pthread_cond_broadcast(pthread_cond_t *c)
{
	sbp_signalled(SBP_F_cond_broadcast, c, SBP_RA(), 1);
	return REAL(cond_broadcast, int (*)(pthread_cond_t *))(c);
}

SBP_EXPORT int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a)
{
	if (sbp_begin(SBP_F_cond_init))
		sbp_name_class(c, SBP_RA());
	return REAL(cond_init, int (*)(pthread_cond_t *, const pthread_condattr_t *))(c, a);
}

SBP_EXPORT int pthread_cond_destroy(pthread_cond_t *c)
{
	if (sbp_begin(SBP_F_cond_destroy))
		sbp_forget(c);
	return REAL(cond_destroy, int (*)(pthread_cond_t *))(c);
}

/* ---- C11 mtx_* and cnd_* (glibc implements them apart: no pthread call
 * of theirs reaches the wrappers above) --------------------------------- */

typedef int (*xfn_t)(mtx_t *);

/* thrd_* codes as errno-style codes for the shared paths. */
static int sbp_thrd_rc(int rc)
{
	return rc == thrd_success ? 0 : rc == thrd_busy ? EBUSY : rc == thrd_timedout ? ETIMEDOUT : EINVAL;
}

/* mtx_t is glibc's pthread_mutex_t (the same object); the verbs through
 * the swapped lock when `sw`, with our codes as C11's. */
#define MTX(m) ((pthread_mutex_t *)(void *)(m))
static int sbp_thrd_try(int rc)
{
	return rc == 0 ? thrd_success : rc == EBUSY ? thrd_busy : rc == ETIMEDOUT ? thrd_timedout : thrd_error;
}
#define X_TRY(m) (sw ? sbp_thrd_try(sbp_sw_trylock(sw)) : REAL(mtx_trylock, xfn_t)(m))
#define X_LOCK(m) (sw ? sbp_thrd_try(sbp_sw_lock(sw)) : REAL(mtx_lock, xfn_t)(m))
#define X_TIMED(m, ts) \
	(sw ? sbp_thrd_try(sbp_sw_timedlock(sw, CLOCK_REALTIME, ts)) : REAL(mtx_timedlock, xtimed_t)(m, ts))
#define X_UNLOCK(m) (sw ? sbp_thrd_try(sbp_sw_unlock(sw)) : REAL(mtx_unlock, xfn_t)(m))
typedef int (*xtimed_t)(mtx_t *restrict, const struct timespec *restrict);

SBP_EXPORT int mtx_lock(mtx_t *m)
{
	sbp_swlock_t *sw = sbp_swap_of(MTX(m));
	if (!sbp_begin(SBP_F_mtx_lock))
		return X_LOCK(m);
	uint64_t site = SBP_RA();
	if (X_TRY(m) == thrd_success) {
		sbp_acquired(m, SBP_K_MUTEX, site, SBP_A_BLOCKING, 0, sbp_sampled(SBP_K_MUTEX) ? SBP_T_END() : 0, NULL);
		return thrd_success;
	}
	sbp_who_t who;
	sbp_contended(m, SBP_K_MUTEX, site, &who);
	uint64_t t0 = SBP_T_START();
	int rc = X_LOCK(m);
	uint64_t t1 = SBP_T_END();
	if (rc == thrd_success)
		sbp_acquired(m, SBP_K_MUTEX, site, SBP_A_CONTENDED, t0, t1, &who);
	else
		sbp_failed(m, SBP_K_MUTEX, site, EINVAL);
	return rc;
}

SBP_EXPORT int mtx_trylock(mtx_t *m)
{
	sbp_swlock_t *sw = sbp_swap_of(MTX(m));
	if (!sbp_begin(SBP_F_mtx_trylock))
		return X_TRY(m);
	int rc = X_TRY(m);
	if (rc == thrd_success)
		sbp_acquired(m, SBP_K_MUTEX, SBP_RA(), SBP_A_TRY, 0, sbp_sampled(SBP_K_MUTEX) ? SBP_T_END() : 0, NULL);
	else
		sbp_failed(m, SBP_K_MUTEX, SBP_RA(), sbp_thrd_rc(rc));
	return rc;
}

SBP_EXPORT int mtx_timedlock(mtx_t *restrict m, const struct timespec *restrict ts)
{
	sbp_swlock_t *sw = sbp_swap_of(MTX(m));
	if (!sbp_begin(SBP_F_mtx_timedlock))
		return X_TIMED(m, ts);
	uint64_t site = SBP_RA();
	if (X_TRY(m) == thrd_success) {
		sbp_acquired(m, SBP_K_MUTEX, site, SBP_A_BLOCKING, 0, sbp_sampled(SBP_K_MUTEX) ? SBP_T_END() : 0, NULL);
		return thrd_success;
	}
	sbp_who_t who;
	sbp_contended(m, SBP_K_MUTEX, site, &who);
	uint64_t t0 = SBP_T_START();
	int rc = X_TIMED(m, ts);
	uint64_t t1 = SBP_T_END();
	if (rc == thrd_success)
		sbp_acquired(m, SBP_K_MUTEX, site, SBP_A_CONTENDED, t0, t1, &who);
	else
		sbp_failed(m, SBP_K_MUTEX, site, sbp_thrd_rc(rc));
	return rc;
}

SBP_EXPORT int mtx_unlock(mtx_t *m)
{
	sbp_swlock_t *sw = sbp_swap_of(MTX(m));
	if (sbp_begin(SBP_F_mtx_unlock))
		sbp_released(m, SBP_K_MUTEX, SBP_RA());
	return X_UNLOCK(m);
}

SBP_EXPORT int mtx_init(mtx_t *m, int type)
{
	if (sbp_begin(SBP_F_mtx_init))
		sbp_name_class(m, SBP_RA());
	if (sbp_swap_active)
		sbp_sw_init(MTX(m)); /* before glibc's init, which zeroes our pointer */
	return REAL(mtx_init, int (*)(mtx_t *, int))(m, type);
}

static int sbp_x_try(void *o)
{
	sbp_swlock_t *sw = sbp_swap_of(MTX(o));
	return X_TRY((mtx_t *)o);
}

static int sbp_x_unlock(void *o)
{
	sbp_swlock_t *sw = sbp_swap_of(MTX(o));
	return X_UNLOCK((mtx_t *)o);
}

SBP_EXPORT void mtx_destroy(mtx_t *m)
{
	if (sbp_begin(SBP_F_mtx_destroy)) {
		sbp_destroying(m, SBP_K_MUTEX, SBP_RA(), sbp_x_try, sbp_x_unlock, m);
		sbp_forget(m);
	}
	if (sbp_swap_active)
		sbp_sw_destroy(MTX(m)); /* mtx_destroy has no error to give */
	REAL(mtx_destroy, void (*)(mtx_t *))(m);
}

SBP_EXPORT int cnd_wait(cnd_t *c, mtx_t *m)
{
	SBP_WAIT(cnd_wait, c, m, NULL, 0, thrd_timedout);
}

SBP_EXPORT int cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m, const struct timespec *restrict ts)
{
	SBP_WAIT(cnd_timedwait, c, m, ts, 0, thrd_timedout);
}

SBP_EXPORT int cnd_signal(cnd_t *c)
{
	sbp_signalled(SBP_F_cnd_signal, c, SBP_RA(), 0);
	return REAL(cnd_signal, int (*)(cnd_t *))(c);
}

SBP_EXPORT int cnd_broadcast(cnd_t *c)
{
	sbp_signalled(SBP_F_cnd_broadcast, c, SBP_RA(), 1);
	return REAL(cnd_broadcast, int (*)(cnd_t *))(c);
}

SBP_EXPORT int cnd_init(cnd_t *c)
{
	if (sbp_begin(SBP_F_cnd_init))
		sbp_name_class(c, SBP_RA());
	return REAL(cnd_init, int (*)(cnd_t *))(c);
}

SBP_EXPORT void cnd_destroy(cnd_t *c)
{
	if (sbp_begin(SBP_F_cnd_destroy))
		sbp_forget(c);
	REAL(cnd_destroy, void (*)(cnd_t *))(c);
}

/* ---- the file, start-up, fork, end ------------------------------------- */

/* dir/prefix<tag>suffix */
static void sbp_path(char *out, size_t cap, const char *prefix, const char *suffix)
{
	size_t at = sbp_cat(out, cap, 0, sbp_dir);
	at = sbp_cat(out, cap, at, "/");
	at = sbp_cat(out, cap, at, prefix);
	at = sbp_cat(out, cap, at, sbp_tag);
	sbp_cat(out, cap, at, suffix);
}

/* Copy /proc/self/maps beside the file: the report resolves sites with it. */
static void sbp_save_maps(void)
{
	char path[640], buf[4096];
	sbp_path(path, sizeof path, "maps-", ".txt");
	int in = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;
	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n)
			break;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
}

/*
 * Create prof-<pid>.bin (prof-<pid>-<n>.bin when that exists: an exec'd
 * program keeps its fork child's pid) and map it.  0, or -1: recording off.
 * Async-signal-safe: also called in a fork child.
 */
static int sbp_open_file(int fork_child)
{
	char path[640];
	int fd = -1;
	pid_t pid = getpid();
	for (int n = 0; n < 100 && fd < 0; n++) {
		size_t at = sbp_cat_int(sbp_tag, sizeof sbp_tag, 0, pid);
		if (n)
			sbp_cat_int(sbp_tag, sizeof sbp_tag, sbp_cat(sbp_tag, sizeof sbp_tag, at, "-"), n);
		sbp_path(path, sizeof path, "prof-", ".bin");
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 && errno != EEXIST)
			return -1;
	}
	if (fd < 0)
		return -1;
	size_t len = SBP_PAGE + (size_t)SBP_SLOTS * sizeof(sbp_slot_t);
	void *p = MAP_FAILED;
	if (ftruncate(fd, (off_t)len) == 0)
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	sbp_file_t *f = p;
	f->version = SBP_VERSION;
	f->header_size = sizeof(sbp_file_t);
	f->slot_size = sizeof(sbp_slot_t);
	f->entry_size = sizeof(sbp_entry_t);
	f->nslots = SBP_SLOTS;
	f->nentries = SBP_ENTRIES;
	f->pid = pid;
	f->ppid = getppid();
	f->fork_child = (uint32_t)fork_child;
	f->state = 1;
	f->start_ticks = sb_tick_end();
	f->start_ns = sbp_mono_raw_ns();
	f->hold_limit_ticks = sbp_limit_ticks;
	f->hold_limit_kinds = sbp_limit_kinds;
	f->hold_limit_ns = sbp_file ? sbp_file->hold_limit_ns : 0;
	const char *lk = getenv("SBPROF_LOCK");
	if (lk)
		sbp_cat(f->swap_lock, sizeof f->swap_lock, 0, lk);
	sbp_swap_count_at(f->swap_counts);
	memcpy(f->magic, SBP_MAGIC, sizeof SBP_MAGIC); /* last: a reader trusts the magic */
	sbp_file = f;
	sbp_file_len = len;
	sbp_save_maps();
	return 0;
}

/*
 * In the fork child, before it returns from fork: a file of its own; the
 * forking thread's held locks move into its new slot (their holds go on).
 */
static void sbp_atfork_child(void)
{
	sbp_file_t *old = sbp_file;
	size_t old_len = sbp_file_len;
	int was_on = sbp_t.state == T_ON;
	sbp_held_t held[SBP_HELD];
	int depth = sbp_t.depth;
	memcpy(held, sbp_t.held, sizeof held);

	sbp_t.state = T_OFF;
	if (sbp_open_file(1) != 0) {
		atomic_store_explicit(&sbp_ready, 0, memory_order_relaxed); /* nothing recorded from now on */
		return;
	}
	if (!was_on) {
		sbp_t.state = T_FRESH;
	} else {
		sbp_t.state = T_FRESH;
		sbp_t.slot = NULL;
		if (sbp_begin_slow(SBP_F_mutex_lock)) {
			for (int i = 0; i < depth; i++) {
				sbp_entry_t *e = held[i].e, *ne = NULL;
				if (e)
					ne = sbp_entry(e->class_pc << 1 | (e->origin == SBP_O_FIRST_USE), e->site_pc,
						       e->kind);
				sbp_push(held[i].lock, held[i].t_acq, ne, ne ? ne->kind : 0);
			}
		}
	}
	munmap(old, old_len);
}

static void sbp_refuse(const char *line, size_t len)
{
	const char *dir = getenv("SBPROF_DIR");
	if (dir && *dir) {
		char path[640];
		size_t at = sbp_cat(path, sizeof path, 0, dir);
		sbp_cat(path, sizeof path, at, "/refused");
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0) {
			if (write(fd, line, len) < 0) {
				/* nothing more to try: the exit status still tells */
			}
			close(fd);
			_exit(2);
		}
	}
	if (write(2, line, len) < 0) {
		/* stderr closed: the exit status still tells */
	}
	_exit(2);
}

/*
 * Call every entry point once through libsbprof-check.so's PLT; refuse the
 * process when one was not seen by its wrapper.
 */
static void sbp_selftest(void)
{
	char line[2048];
	size_t at;
	int missing = 0;

	for (int i = 0; i < SBP_NFUNCS; i++)
		sbp_real(i);
	sbp_t.state = T_SELFTEST;
	sbprof_check_calls();
	sbp_t.state = T_FRESH;
	at = sbp_cat(line, sizeof line, 0, "profile-app: ");
	size_t names = at;
	for (int i = 0; i < SBP_NFUNCS; i++) {
		if (sbp_seen[i] && atomic_load_explicit(&sbp_next[i], memory_order_relaxed))
			continue;
		missing++;
		at = sbp_cat(line, sizeof line, at, missing > 1 ? ", " : "");
		at = sbp_cat(line, sizeof line, at, sbp_names[i]);
	}
	if (!missing)
		return;
	char head[160];
	size_t h = sbp_cat_int(head, sizeof head, 0, missing);
	h = sbp_cat(head, sizeof head, h, missing == 1 ? " function bypasses" : " functions bypass");
	h = sbp_cat(head, sizeof head, h, " the interposer (their calls would go unseen): ");
	char out[2304];
	at = sbp_cat(out, sizeof out, 0, "profile-app: ");
	at = sbp_cat(out, sizeof out, at, head);
	at = sbp_cat(out, sizeof out, at, line + names);
	at = sbp_cat(out, sizeof out, at, "\n");
	sbp_refuse(out, at);
}

/* $SBPROF_LOCK (profile-app --lock): the algorithm the mutexes run on.
 * Before anything else runs: no mutex may be seen before the choice. */
static void sbp_swap_start(void)
{
	const char *lk = getenv("SBPROF_LOCK");
	if (!lk || !*lk)
		return;
	if (sbp_swap_setup(lk) != 0) {
		char out[256];
		size_t at = sbp_cat(out, sizeof out, 0, "profile-app: --lock: unknown lock '");
		at = sbp_cat(out, sizeof out, at, lk);
		at = sbp_cat(out, sizeof out, at, "' (one of ");
		at = sbp_cat(out, sizeof out, at, sbp_swap_names());
		at = sbp_cat(out, sizeof out, at, ")\n");
		sbp_refuse(out, at);
	}
}

__attribute__((constructor)) static void sbp_start(void)
{
	sbp_selftest();
	sbp_swap_start();
	const char *dir = getenv("SBPROF_DIR");
	if (!dir || !*dir || strlen(dir) >= sizeof sbp_dir - 1)
		return; /* not under profile-app: wrappers pass through */
	sbp_cat(sbp_dir, sizeof sbp_dir, 0, dir);
	const char *hs = getenv("SBPROF_HOLD_SAMPLE");
	unsigned long n = hs ? strtoul(hs, NULL, 10) : 1;
	if (n > 1 && (n & (n - 1)) == 0)
		sbp_mask = (uint32_t)(n - 1);
	const char *hl = getenv("SBPROF_HOLD_LIMIT_NS");
	double limit_ns = hl ? strtod(hl, NULL) : 25000;
	const char *hm = getenv("SBPROF_HOLD_LIMIT_MUTEX");
	const char *he = getenv("SBPROF_HOLD_EVIDENCE");
	unsigned long ev = he ? strtoul(he, NULL, 10) : 0;
	if (ev >= 1 && (ev & (ev - 1)) == 0) {
		sbp_evid_on = 1;
		sbp_evid_mask = (uint32_t)(ev - 1);
	}
	void *side = mmap(NULL, (size_t)SBP_SIDE * sizeof(sbp_lockinfo_t), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (side == MAP_FAILED || pthread_key_create(&sbp_key, sbp_thread_gone) != 0)
		return;
	sbp_side = side;
	if (sbp_open_file(0) != 0)
		return;
	sbp_file->early_calls = atomic_load_explicit(&sbp_early, memory_order_relaxed);
	if (limit_ns > 0) {
		sbp_limit_ticks = sbp_ns_to_ticks_here(limit_ns);
		sbp_limit_kinds = 1u << SBP_K_SPIN | (hm && *hm == '1' ? 1u << SBP_K_MUTEX : 0);
		sbp_file->hold_limit_ticks = sbp_limit_ticks;
		sbp_file->hold_limit_ns = (uint64_t)limit_ns;
		sbp_file->hold_limit_kinds = sbp_limit_kinds;
	}
	pthread_atfork(NULL, NULL, sbp_atfork_child);
	/* release: pairs with the acquire load in sbp_begin_slow */
	atomic_store_explicit(&sbp_ready, 1, memory_order_release);
}

__attribute__((destructor)) static void sbp_end(void)
{
	if (!atomic_load_explicit(&sbp_ready, memory_order_acquire)) /* pairs with sbp_start's release */
		return;
	if (sbp_t.state == T_ON)
		sbp_exit_held(2); /* the exiting thread's locks; other threads' are not seen */
	sbp_file->end_ticks = sb_tick_end();
	sbp_file->end_ns = sbp_mono_raw_ns();
	sbp_file->state = 2;
	sbp_save_maps(); /* libraries loaded since the start */
}
