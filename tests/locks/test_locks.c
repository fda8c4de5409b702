/*
 * test_locks.c - correctness of every registered lock, one body for all.
 *
 * For each lock of locks/registry.def (or those named in argv[1] as a
 * --lock list), in a forked child bounded by a watchdog so that a broken or
 * deadlocked lock fails its check instead of hanging the suite:
 *   - mutual exclusion under contention with 2, 4 and 8 threads (more threads
 *     than this machine's cores), exclusive, and for rw locks mixed with
 *     shared acquisitions; the `none` control must show violations;
 *   - trylock: fails while held, succeeds when free; for FIFO locks a failed
 *     trylock leaves a waiting queue intact;
 *   - FIFO: waiters that arrive one by one while the lock is held are granted
 *     in arrival order;
 *   - rw: readers share, a writer excludes both modes, writer/reader
 *     preference as the lock promises, try-convert.
 * A waiter is known to be queued when its spin counter (locks/arch.h) moves:
 * every wait loop of our locks counts its iterations there.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lockapi.h"
#include "tap.h"
#include "testutil.h"

#if defined(__SANITIZE_THREAD__)
#define SB_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SB_TSAN 1
#endif
#endif
#ifndef SB_TSAN
#define SB_TSAN 0
#endif

#define WATCHDOG_S 30 /* per check; a correct lock needs a few seconds at most */
#define WAIT_MS 5000  /* how long to wait for a scripted thread to reach a state */
#define MAX_ACTORS 8

static int wait_for(atomic_int *flag, int want)
{
	return wait_for_ms(flag, want, WAIT_MS);
}

/* ---------------------------------------------------------------- scripted threads */

enum op { OP_LOCK, OP_READ_LOCK, OP_TRYLOCK, OP_READ_TRYLOCK };

typedef struct actor {
	pthread_t th;
	const sb_lock_impl_t *im;
	void *lock, *node;
	enum op op;
	int idx;
	atomic_ulong *_Atomic spins; /* the actor's spin counter, published */
	atomic_int state;            /* 0 new, 1 started, 2 holds, 3 failed try, 4 done */
	atomic_int release;          /* set by the script: unlock now */
	int *order, *norder;         /* grant order, written under the lock */
} actor_t;

static void *actor_main(void *p)
{
	actor_t *a = p;
	const sb_lock_impl_t *im = a->im;
	bool got = true, shared = (a->op == OP_READ_LOCK || a->op == OP_READ_TRYLOCK);

	atomic_store(&a->spins, &sb_spins);
	atomic_store(&a->state, 1);
	switch (a->op) {
	case OP_LOCK:
		im->lock(a->lock, a->node);
		break;
	case OP_READ_LOCK:
		im->read_lock(a->lock, a->node);
		break;
	case OP_TRYLOCK:
		got = im->trylock(a->lock, a->node);
		break;
	case OP_READ_TRYLOCK:
		got = im->read_trylock(a->lock, a->node);
		break;
	}
	if (!got) {
		atomic_store(&a->state, 3);
		return NULL;
	}
	if (a->order)
		a->order[(*a->norder)++] = a->idx;
	atomic_store(&a->state, 2);
	while (!atomic_load(&a->release))
		usleep(50);
	if (shared)
		im->read_unlock(a->lock, a->node);
	else
		im->unlock(a->lock, a->node);
	atomic_store(&a->state, 4);
	return NULL;
}

typedef struct script {
	const sb_lock_impl_t *im;
	void *lock;
	void *node0; /* the script's own (main thread's) node, tid 0 */
	actor_t act[MAX_ACTORS];
	int nact;
	int order[MAX_ACTORS], norder;
} script_t;

static void script_init(script_t *s, const sb_lock_desc_t *d)
{
	memset(s, 0, sizeof(*s));
	s->im = d->impl;
	s->lock = xalloc(s->im->lock_align, s->im->lock_size);
	s->im->init(s->lock);
	s->node0 = xalloc(s->im->node_align, s->im->node_size);
	s->im->node_init(s->node0, 0);
}

/* Start actor doing op; returns it.  Its node has tid = index + 1. */
static actor_t *spawn(script_t *s, enum op op, bool record)
{
	actor_t *a = &s->act[s->nact];
	a->im = s->im;
	a->lock = s->lock;
	a->node = xalloc(s->im->node_align, s->im->node_size);
	s->im->node_init(a->node, (unsigned)s->nact + 1);
	a->op = op;
	a->idx = s->nact++;
	if (record) {
		a->order = s->order;
		a->norder = &s->norder;
	}
	xcreate(&a->th, actor_main, a);
	return a;
}

/* Wait until the actor spins in a wait loop (it is queued / waiting). */
static int wait_spinning(actor_t *a)
{
	for (int i = 0; i < WAIT_MS * 10; i++) {
		atomic_ulong *sp = atomic_load(&a->spins);
		if (atomic_load(&a->state) >= 2)
			return -1; /* it did not wait at all */
		if (sp && atomic_load_explicit(sp, memory_order_relaxed) > 0)
			return 0;
		usleep(100);
	}
	return -1;
}

static void finish(actor_t *a)
{
	atomic_store(&a->release, 1);
	pthread_join(a->th, NULL);
}

/* Run a one-shot try operation in another thread; true if it acquired (and released). */
static bool try_from_other(script_t *s, enum op op)
{
	actor_t *a = spawn(s, op, false);
	while (atomic_load(&a->state) < 2)
		usleep(50);
	bool got = atomic_load(&a->state) == 2;
	finish(a);
	return got;
}

/* ---------------------------------------------------------------- mutual exclusion */

typedef struct mx_thread {
	pthread_t th;
	sb_mx_arg_t arg;
	atomic_int *go;
} mx_thread_t;

typedef struct mx_result {
	uint64_t writes, reads, violations, counter;
} mx_result_t;

typedef struct mx_ctx {
	mx_thread_t t;
	const sb_lock_impl_t *im;
	atomic_int *done;
} mx_ctx_t;

static void *mx_thread(void *p)
{
	mx_ctx_t *c = p;
	while (!atomic_load(c->t.go))
		sb_cpu_relax();
	c->im->mx_loop(&c->t.arg);
	atomic_fetch_add(c->done, 1);
	return NULL;
}

/*
 * nthreads threads x iters acquisitions each (every read_every-th exclusive,
 * 0: all), stopped early after max_ms: when threads outnumber cores, a FIFO
 * lock hands over only as fast as the scheduler runs its preempted next
 * waiter, a few hundred handoffs a second.
 */
static mx_result_t mx_run(const sb_lock_desc_t *d, int nthreads, uint64_t iters, uint32_t read_every, unsigned max_ms,
			  uint64_t *min_per_thread)
{
	const sb_lock_impl_t *im = d->impl;
	void *lock = xalloc(im->lock_align, im->lock_size);
	sb_guard_t *g = xalloc(SB_CACHELINE, sizeof(*g));
	mx_ctx_t *c = xalloc(SB_CACHELINE, sizeof(*c) * (size_t)nthreads);
	atomic_int go = 0, stop = 0;
	mx_result_t r = {0, 0, 0, 0};
	atomic_int done = 0;

	im->init(lock);
	for (int i = 0; i < nthreads; i++) {
		c[i].im = im;
		c[i].t.go = &go;
		c[i].done = &done;
		c[i].t.arg = (sb_mx_arg_t){
			.lock = lock,
			.node = xalloc(im->node_align, im->node_size),
			.guard = g,
			.mark = (uint32_t)i + 1,
			.iters = iters,
			.read_every = read_every,
			.cs_relax = 8,
			.stop = &stop,
		};
		im->node_init(c[i].t.arg.node, (unsigned)i);
		xcreate(&c[i].t.th, mx_thread, &c[i]);
	}
	atomic_store(&go, 1);
	for (unsigned ms = 0; ms < max_ms && atomic_load(&done) < nthreads; ms++)
		usleep(1000);
	atomic_store(&stop, 1);
	atomic_store(&sb_spin_drain, 1);
	*min_per_thread = UINT64_MAX;
	for (int i = 0; i < nthreads; i++) {
		pthread_join(c[i].t.th, NULL);
		uint64_t mine = c[i].t.arg.writes + c[i].t.arg.reads;
		if (mine < *min_per_thread)
			*min_per_thread = mine;
		r.writes += c[i].t.arg.writes;
		r.reads += c[i].t.arg.reads;
		r.violations += c[i].t.arg.violations;
	}
	atomic_store(&sb_spin_drain, 0);
	r.counter = sb_guard_count(g);
	return r;
}

static int check_mx(const sb_lock_desc_t *d, int nthreads, uint32_t read_every)
{
	uint64_t iters = SB_TSAN ? 20000 : 100000, least;
	mx_result_t r = mx_run(d, nthreads, iters, read_every, 1000, &least);
	int lost = r.counter != (uint32_t)r.writes; /* the guard counts modulo 2^32 */

	if (least == 0)
		return fail("a thread made no acquisition in 1 s (%llu in all)",
			    (unsigned long long)(r.writes + r.reads));
	if (r.violations || lost)
		return fail("%llu owner-mark violations, counter %llu for %llu exclusive acquisitions",
			    (unsigned long long)r.violations, (unsigned long long)r.counter,
			    (unsigned long long)r.writes);
	return 0;
}

/*
 * The negative control: the same body against `none` must see violations.
 * A run whose threads never overlap sees none: a busy machine, or an
 * emulator (make cross-test), may run two threads one after the other for
 * the few ms a run lasts.  So runs repeat until one shows a violation: at
 * least 5, for up to 3 s.
 */
static int check_mx_detects(const sb_lock_desc_t *d, int nthreads)
{
	uint64_t iters = 200000;
	struct timespec t0, t1;
	double secs = 0;
	int attempt;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (attempt = 0; attempt < 5 || secs < 3.0; attempt++) {
		uint64_t least;
		mx_result_t r = mx_run(d, nthreads, iters, 0, 5000, &least);
		if (r.violations > 0 || r.counter != (uint32_t)r.writes)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	}
	return fail("the checker saw no violation without a lock in %d runs of %d x %llu (%.1f s)", attempt, nthreads,
		    (unsigned long long)iters, secs);
}

/* ---------------------------------------------------------------- trylock, FIFO */

static int check_trylock(const sb_lock_desc_t *d)
{
	script_t s;
	script_init(&s, d);
	const sb_lock_impl_t *im = s.im;

	if (!im->trylock(s.lock, s.node0))
		return fail("trylock on a free lock failed");
	if (try_from_other(&s, OP_TRYLOCK))
		return fail("trylock succeeded while the lock was held");
	im->unlock(s.lock, s.node0);
	if (!try_from_other(&s, OP_TRYLOCK))
		return fail("trylock failed on a lock freed by unlock");
	im->lock(s.lock, s.node0);
	if (try_from_other(&s, OP_TRYLOCK))
		return fail("trylock succeeded while held by lock()");
	im->unlock(s.lock, s.node0);
	if (!im->trylock(s.lock, s.node0))
		return fail("trylock failed after unlock");
	im->unlock(s.lock, s.node0);
	return 0;
}

/* Holder + one queued waiter; a failed trylock must leave the queue working. */
static int check_trylock_queue(const sb_lock_desc_t *d)
{
	script_t s;
	script_init(&s, d);
	const sb_lock_impl_t *im = s.im;

	im->lock(s.lock, s.node0);
	actor_t *w = spawn(&s, OP_LOCK, false);
	if (wait_spinning(w))
		return fail("the waiter never waited");
	if (try_from_other(&s, OP_TRYLOCK))
		return fail("trylock succeeded while held with a waiter");
	im->unlock(s.lock, s.node0);
	if (wait_for(&w->state, 2))
		return fail("the waiter was not granted the lock after a failed trylock");
	if (try_from_other(&s, OP_TRYLOCK))
		return fail("trylock succeeded while the waiter held the lock");
	finish(w);
	if (!im->trylock(s.lock, s.node0))
		return fail("trylock failed once the queue had drained");
	im->unlock(s.lock, s.node0);
	im->lock(s.lock, s.node0); /* a lost ticket or broken tail would hang here */
	im->unlock(s.lock, s.node0);
	return 0;
}

static int check_fifo(const sb_lock_desc_t *d)
{
	enum { K = 4 };
	script_t s;
	script_init(&s, d);
	const sb_lock_impl_t *im = s.im;
	actor_t *w[K];

	im->lock(s.lock, s.node0);
	for (int i = 0; i < K; i++) {
		w[i] = spawn(&s, OP_LOCK, true);
		if (wait_spinning(w[i]))
			return fail("waiter %d never waited", i);
		sleep_ms(2); /* let it settle into the queue past its first spin */
	}
	im->unlock(s.lock, s.node0);
	for (int i = 0; i < K; i++) {
		if (wait_for(&w[i]->state, 2))
			return fail("waiter %d was never granted the lock (granted so far: %d)", i, s.norder);
		finish(w[i]);
	}
	for (int i = 0; i < K; i++)
		if (s.order[i] != i)
			return fail("grant order %d,%d,%d,%d, arrival order 0,1,2,3", s.order[0], s.order[1],
				    s.order[2], s.order[3]);
	return 0;
}

/* ---------------------------------------------------------------- rw */

static int check_rw_share(const sb_lock_desc_t *d)
{
	script_t s;
	script_init(&s, d);
	const sb_lock_impl_t *im = s.im;

	im->read_lock(s.lock, s.node0);
	if (!try_from_other(&s, OP_READ_TRYLOCK))
		return fail("a second reader could not share the lock");
	actor_t *r2 = spawn(&s, OP_READ_LOCK, false);
	if (wait_for(&r2->state, 2))
		return fail("a second reader blocked in read_lock while only a reader held it");
	if (try_from_other(&s, OP_TRYLOCK))
		return fail("a writer got in while two readers held the lock");
	finish(r2);
	if (try_from_other(&s, OP_TRYLOCK))
		return fail("a writer got in while a reader held the lock");
	im->read_unlock(s.lock, s.node0);
	im->lock(s.lock, s.node0);
	if (try_from_other(&s, OP_READ_TRYLOCK))
		return fail("a reader got in while a writer held the lock");
	if (try_from_other(&s, OP_TRYLOCK))
		return fail("a writer got in while a writer held the lock");
	actor_t *r3 = spawn(&s, OP_READ_LOCK, false);
	sleep_ms(20);
	if (atomic_load(&r3->state) >= 2)
		return fail("read_lock returned while a writer held the lock");
	im->unlock(s.lock, s.node0);
	if (wait_for(&r3->state, 2))
		return fail("a waiting reader was not let in after the writer left");
	finish(r3);
	if (!try_from_other(&s, OP_TRYLOCK))
		return fail("the lock is not free after all readers and writers left");
	return 0;
}

/* Reader holds, writer waits: may a new reader enter?  want_pass says what the lock promises. */
static int check_rw_pref(const sb_lock_desc_t *d, bool want_pass)
{
	script_t s;
	script_init(&s, d);
	const sb_lock_impl_t *im = s.im;

	im->read_lock(s.lock, s.node0);
	actor_t *w = spawn(&s, OP_LOCK, false);
	if (wait_spinning(w))
		return fail("the writer never waited behind the reader");
	bool passed = try_from_other(&s, OP_READ_TRYLOCK);
	if (passed != want_pass)
		return fail(want_pass ? "a new reader could not pass a waiting writer"
				      : "a new reader got in while a writer waited");
	if (!want_pass) {
		actor_t *r = spawn(&s, OP_READ_LOCK, false);
		sleep_ms(20);
		if (atomic_load(&r->state) >= 2)
			return fail("read_lock returned while a writer waited");
		im->read_unlock(s.lock, s.node0);
		if (wait_for(&w->state, 2))
			return fail("the writer was not granted the lock when the reader left");
		if (atomic_load(&r->state) >= 2)
			return fail("the new reader got in together with the writer");
		finish(w);
		if (wait_for(&r->state, 2))
			return fail("the reader was not let in after the writer");
		finish(r);
	} else {
		im->read_unlock(s.lock, s.node0);
		if (wait_for(&w->state, 2))
			return fail("the writer was not granted the lock when the readers left");
		finish(w);
	}
	return 0;
}

static int check_convert(const sb_lock_desc_t *d)
{
	script_t s;
	script_init(&s, d);
	const sb_lock_impl_t *im = s.im;

	/* sole reader: converts, then excludes everyone */
	im->read_lock(s.lock, s.node0);
	if (!im->try_convert(s.lock, s.node0))
		return fail("try-convert failed for the sole reader");
	if (try_from_other(&s, OP_READ_TRYLOCK) || try_from_other(&s, OP_TRYLOCK))
		return fail("after try-convert another thread got in");
	im->unlock(s.lock, s.node0);
	if (!try_from_other(&s, OP_TRYLOCK))
		return fail("the lock is not free after unlocking the converted hold");

	/* another reader holds: fails, and we still hold shared */
	im->read_lock(s.lock, s.node0);
	actor_t *r = spawn(&s, OP_READ_LOCK, false);
	if (wait_for(&r->state, 2))
		return fail("second reader blocked");
	if (im->try_convert(s.lock, s.node0))
		return fail("try-convert succeeded while another reader held the lock");
	finish(r);
	if (try_from_other(&s, OP_TRYLOCK))
		return fail("after a failed try-convert the caller no longer held the lock");
	im->read_unlock(s.lock, s.node0);

	/* a writer waits: fails, still shared, the writer gets it after we leave */
	im->read_lock(s.lock, s.node0);
	actor_t *w = spawn(&s, OP_LOCK, false);
	if (wait_spinning(w))
		return fail("the writer never waited");
	if (im->try_convert(s.lock, s.node0))
		return fail("try-convert succeeded while a writer waited");
	sleep_ms(10);
	if (atomic_load(&w->state) >= 2)
		return fail("the waiting writer got in while the caller still held the lock shared");
	im->read_unlock(s.lock, s.node0);
	if (wait_for(&w->state, 2))
		return fail("the writer was not granted the lock after the reader left");
	finish(w);
	if (!try_from_other(&s, OP_TRYLOCK))
		return fail("the lock is not free at the end");
	return 0;
}

/* ---------------------------------------------------------------- driver */

typedef struct check {
	const char *name;
	int (*fn)(const sb_lock_desc_t *d, int arg, uint32_t arg2);
} check_t;

static int c_mx(const sb_lock_desc_t *d, int n, uint32_t re)
{
	return check_mx(d, n, re);
}
static int c_detect(const sb_lock_desc_t *d, int n, uint32_t re)
{
	(void)re;
	return check_mx_detects(d, n);
}
static int c_try(const sb_lock_desc_t *d, int n, uint32_t re)
{
	(void)n;
	(void)re;
	return check_trylock(d);
}
static int c_tryq(const sb_lock_desc_t *d, int n, uint32_t re)
{
	(void)n;
	(void)re;
	return check_trylock_queue(d);
}
static int c_fifo(const sb_lock_desc_t *d, int n, uint32_t re)
{
	(void)n;
	(void)re;
	return check_fifo(d);
}
static int c_share(const sb_lock_desc_t *d, int n, uint32_t re)
{
	(void)n;
	(void)re;
	return check_rw_share(d);
}
static int c_pref(const sb_lock_desc_t *d, int n, uint32_t re)
{
	(void)re;
	return check_rw_pref(d, n != 0);
}
static int c_conv(const sb_lock_desc_t *d, int n, uint32_t re)
{
	(void)n;
	(void)re;
	return check_convert(d);
}

static void test_lock(const sb_lock_desc_t *d)
{
	static const int nthreads[] = {2, 4, 8};
	char what[96];

	if (SB_TSAN && (d->flags & SB_F_OPAQUE)) {
		sb_skip("inline-asm atomics are invisible to ThreadSanitizer", "%s: all checks", d->name);
		return;
	}
	if (d->flags & SB_F_NOLOCK) {
		if (SB_TSAN && !getenv("SB_TSAN_DEMO")) {
			sb_skip("its races are the point; checked in the plain build", "%s: negative control", d->name);
			return;
		}
		for (size_t i = 0; i < sizeof(nthreads) / sizeof(nthreads[0]); i++) {
			snprintf(what, sizeof(what), "negative control: checker reports violations, %d threads",
				 nthreads[i]);
			run_check(d, what, c_detect, nthreads[i], 0, WATCHDOG_S);
		}
		return;
	}
	for (size_t i = 0; i < sizeof(nthreads) / sizeof(nthreads[0]); i++) {
		snprintf(what, sizeof(what), "mutual exclusion, %d threads", nthreads[i]);
		run_check(d, what, c_mx, nthreads[i], 0, WATCHDOG_S);
		if (d->flags & SB_F_RW) {
			snprintf(what, sizeof(what), "mutual exclusion, %d threads, 3 reads : 1 write", nthreads[i]);
			run_check(d, what, c_mx, nthreads[i], 4, WATCHDOG_S);
		}
	}
	run_check(d, "trylock fails while held, succeeds when free", c_try, 0, 0, WATCHDOG_S);
	if (d->flags & SB_F_FIFO) {
		run_check(d, "a failed trylock leaves the waiting queue intact", c_tryq, 0, 0, WATCHDOG_S);
		run_check(d, "FIFO: granted in arrival order", c_fifo, 0, 0, WATCHDOG_S);
	}
	if (d->flags & SB_F_RW)
		run_check(d, "rw: readers share, a writer excludes both modes", c_share, 0, 0, WATCHDOG_S);
	if (d->flags & SB_F_WPREF)
		run_check(d, "rw: no new reader while a writer waits", c_pref, 0, 0, WATCHDOG_S);
	if (d->flags & SB_F_RPREF)
		run_check(d, "rw: a reader passes a waiting writer", c_pref, 1, 0, WATCHDOG_S);
	if (d->flags & SB_F_CONVERT)
		run_check(d, "rw: try-convert for the sole reader only, not past a waiting writer", c_conv, 0, 0,
			  WATCHDOG_S);
}

/* The deliberately broken locks of family `test` (locks/busted.h, deadlock.h). */
static void test_broken_locks(void)
{
	setenv("SPINBENCH_TEST_LOCKS", "1", 1);
	const sb_lock_desc_t *busted = sb_lock_find("busted"), *deadlock = sb_lock_find("deadlock");
	char buf[sizeof(reason)];
	double secs;

	if (!sb_ok(busted && deadlock, "the test locks busted and deadlock are registered"))
		return;
	if (SB_TSAN)
		sb_skip("its races are the point; checked in the plain build", "busted: negative control");
	else
		run_check(busted, "negative control: the checker catches a broken test-then-set lock", c_detect, 2, 0,
			  WATCHDOG_S);
	enum outcome oc = run_child(deadlock, c_mx, 2, 0, 2, buf, sizeof(buf), &secs);
	sb_ok(oc == WATCHDOG, "deadlock: the tests' watchdog fails a check that never completes (%.1fs)", secs);
}

int main(int argc, char **argv)
{
	const sb_lock_desc_t *sel[256];
	int n;
	char err[2048];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1) {
		n = sb_lock_select(argv[1], sel, 256, err, sizeof(err));
		if (n < 0) {
			fprintf(stderr, "test_locks: %s\n", err);
			return 2;
		}
	} else {
		n = 0;
		for (int i = 0; i < sb_nlocks; i++)
			if (sb_locks[i].family != SB_FAM_TEST)
				sel[n++] = &sb_locks[i];
	}
	for (int i = 0; i < n; i++)
		test_lock(sel[i]);
	if (argc == 1)
		test_broken_locks();
	return sb_tap_done();
}
