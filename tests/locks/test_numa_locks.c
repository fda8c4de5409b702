/*
 * test_numa_locks.c - the NUMA-aware locks (family numa: cohort, cna, hmcs)
 * with threads on two virtual NUMA nodes.
 *
 * This machine has one node, so every thread here sets sb_thread_node =
 * tid % 2 (sb_numa_nodes = 2) before node_init, as the harness does for
 * --virtual-nodes.  For each lock, in a forked child bounded by a watchdog
 * (as in test_locks.c, which also runs these locks with every thread on
 * node 0):
 *   - mutual exclusion under contention, 4 and 8 threads on the two nodes
 *     (more threads than cores), bounded by time;
 *   - trylock never passes or disturbs a queued waiter, of either node;
 *   - within-node passing: the share of handoffs (owner changes) that stay
 *     inside a node, against plain MCS run the same way;
 *   - bounded starvation: a remote-node thread queues again and again while
 *     two same-node threads keep re-acquiring; the acquisitions that start
 *     while it waits must stay within the lock's documented bound.
 *   - hmcs only: its three levels, with threads given cache groups
 *     (sb_thread_group) as well as nodes: mutual exclusion, and handoffs
 *     stay within a group more often than within a node, more often than
 *     across nodes.
 * Verbs go through the stamped impl of the registry (function pointers; the
 * mutual-exclusion body is the stamped mx_loop).
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

#include "cna.h"
#include "cohort.h"
#include "hmcs.h"
#include "lockapi.h"
#include "tap.h"
#include "testutil.h"

#define WATCHDOG_S 30 /* per check */
#define WAIT_MS 5000  /* how long a scripted thread may take to reach a state */
#define NODES 2       /* virtual nodes */
#define MAXT 8

/*
 * The documented starvation bound of each lock, for a thread alone on its
 * node that starts waiting while NLOCAL threads of the other node keep
 * re-acquiring: acquisitions by others that may start after it waits (see
 * each header's "Fairness").  cna: the holder (granted, but its critical
 * section may not have started yet) and the waiters ahead of it in the main
 * queue, NLOCAL in all, then at most SB_CNA_PASS_BOUND while it sits in the
 * secondary queue.  cohort, hmcs: what is left of the other node's tenure,
 * or one whole later tenure, at most SB_*_PASS_BOUND either way (a tenure
 * whose global ticket or root entry precedes ours ended before we queued).
 */
#define NLOCAL 2
static const struct {
	const char *name;
	unsigned bound;
} bounds[] = {
	{"cohort", SB_COHORT_PASS_BOUND},
	{"cna", SB_CNA_PASS_BOUND + NLOCAL},
	{"hmcs", SB_HMCS_GROUP_BOUND}, /* sb_thread_group unset: one group per node */
};

static int wait_for(atomic_int *flag, int want)
{
	return wait_for_ms(flag, want, WAIT_MS);
}

/* ---------------------------------------------------------------- mutual exclusion */

typedef struct mx_thread {
	pthread_t th;
	const sb_lock_impl_t *im;
	sb_mx_arg_t arg;
	int tid;
	atomic_int *go, *done;
} mx_thread_t;

static void *mx_main(void *p)
{
	mx_thread_t *t = p;

	sb_thread_node = t->tid % NODES; /* before node_init, as the harness does */
	t->im->node_init(t->arg.node, (unsigned)t->tid);
	atomic_fetch_add(t->done, 1);
	while (!atomic_load(t->go))
		sched_yield();
	t->im->mx_loop(&t->arg);
	atomic_fetch_add(t->done, 1);
	return NULL;
}

static int check_mx(const sb_lock_desc_t *d, int nthreads)
{
	const sb_lock_impl_t *im = d->impl;
	void *lock = xalloc(im->lock_align, im->lock_size);
	sb_guard_t *g = xalloc(SB_CACHELINE, sizeof(*g));
	mx_thread_t *t = xalloc(SB_CACHELINE, sizeof(*t) * (size_t)nthreads);
	atomic_int go = 0, stop = 0, done = 0;
	uint64_t writes = 0, viol = 0, least = UINT64_MAX;

	im->init(lock);
	for (int i = 0; i < nthreads; i++) {
		t[i].im = im;
		t[i].tid = i;
		t[i].go = &go;
		t[i].done = &done;
		t[i].arg = (sb_mx_arg_t){
			.lock = lock,
			.node = xalloc(im->node_align, im->node_size),
			.guard = g,
			.mark = (uint32_t)i + 1,
			.iters = 100000,
			.cs_relax = 8,
			.stop = &stop,
		};
		xcreate(&t[i].th, mx_main, &t[i]);
	}
	if (wait_for(&done, nthreads))
		return fail("threads did not start");
	atomic_store(&go, 1);
	for (int ms = 0; ms < 1000 && atomic_load(&done) < 2 * nthreads; ms++)
		usleep(1000);
	atomic_store(&stop, 1);
	atomic_store(&sb_spin_drain, 1);
	for (int i = 0; i < nthreads; i++) {
		pthread_join(t[i].th, NULL);
		writes += t[i].arg.writes;
		viol += t[i].arg.violations;
		if (t[i].arg.writes < least)
			least = t[i].arg.writes;
	}
	atomic_store(&sb_spin_drain, 0);
	if (viol || sb_guard_count(g) != (uint32_t)writes)
		return fail("%llu owner-mark violations, counter %llu for %llu acquisitions", (unsigned long long)viol,
			    (unsigned long long)sb_guard_count(g), (unsigned long long)writes);
	if (least == 0)
		return fail("a thread made no acquisition in 1 s (%llu in all)", (unsigned long long)writes);
	return 0;
}

/* ---------------------------------------------------------------- trylock */

typedef struct actor {
	pthread_t th;
	const sb_lock_impl_t *im;
	void *lock, *node;
	int numa, try_only;
	atomic_ulong *_Atomic spins;
	atomic_int state; /* 1 started, 2 holds, 3 failed try, 4 done */
	atomic_int release;
} actor_t;

static void *actor_main(void *p)
{
	actor_t *a = p;

	sb_thread_node = a->numa;
	a->im->node_init(a->node, (unsigned)a->numa + 10);
	atomic_store(&a->spins, &sb_spins);
	atomic_store(&a->state, 1);
	if (a->try_only) {
		if (!a->im->trylock(a->lock, a->node)) {
			atomic_store(&a->state, 3);
			return NULL;
		}
	} else {
		a->im->lock(a->lock, a->node);
	}
	atomic_store(&a->state, 2);
	while (!atomic_load(&a->release))
		usleep(50);
	a->im->unlock(a->lock, a->node);
	atomic_store(&a->state, 4);
	return NULL;
}

static actor_t *spawn(const sb_lock_impl_t *im, void *lock, int numa, int try_only)
{
	actor_t *a = xalloc(SB_CACHELINE, sizeof(*a));
	a->im = im;
	a->lock = lock;
	a->node = xalloc(im->node_align, im->node_size);
	a->numa = numa;
	a->try_only = try_only;
	xcreate(&a->th, actor_main, a);
	return a;
}

static int wait_spinning(actor_t *a)
{
	for (int i = 0; i < WAIT_MS * 10; i++) {
		atomic_ulong *sp = atomic_load(&a->spins);
		if (atomic_load(&a->state) >= 2)
			return -1;
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

/* A one-shot trylock from a thread of node numa: true if it acquired. */
static bool try_from(const sb_lock_impl_t *im, void *lock, int numa)
{
	actor_t *a = spawn(im, lock, numa, 1);
	while (atomic_load(&a->state) < 2)
		usleep(50);
	bool got = atomic_load(&a->state) == 2;
	finish(a);
	return got;
}

/*
 * The main thread (node 0) holds; a waiter of node wnode queues; trylocks
 * from both nodes fail and the waiter is then granted the lock.
 */
static int check_trylock_queue(const sb_lock_desc_t *d, int wnode)
{
	const sb_lock_impl_t *im = d->impl;
	void *lock = xalloc(im->lock_align, im->lock_size);
	void *node0 = xalloc(im->node_align, im->node_size);

	im->init(lock);
	sb_thread_node = 0;
	im->node_init(node0, 0);
	if (!im->trylock(lock, node0))
		return fail("trylock on a free lock failed");
	for (int k = 0; k < NODES; k++)
		if (try_from(im, lock, k))
			return fail("trylock from node %d succeeded while held", k);
	actor_t *w = spawn(im, lock, wnode, 0);
	if (wait_spinning(w))
		return fail("the node-%d waiter never waited", wnode);
	for (int k = 0; k < NODES; k++)
		if (try_from(im, lock, k))
			return fail("trylock from node %d succeeded while held with a node-%d waiter", k, wnode);
	im->unlock(lock, node0);
	if (wait_for(&w->state, 2))
		return fail("the node-%d waiter was not granted the lock after failed trylocks", wnode);
	for (int k = 0; k < NODES; k++)
		if (try_from(im, lock, k))
			return fail("trylock from node %d succeeded while the waiter held the lock", k);
	finish(w);
	for (int k = 0; k < NODES; k++)
		if (!try_from(im, lock, k))
			return fail("trylock from node %d failed once the queue had drained", k);
	im->lock(lock, node0); /* a broken tail or lost global lock would hang here */
	im->unlock(lock, node0);
	return 0;
}

/* ---------------------------------------------------------------- within-node passing */

/*
 * Handoff locality: nthreads threads hammer one lock for ms; thread i sits
 * in cache group grp[i] (-1: unset, the lock treats the group as the node)
 * and node nd[i].  Each handoff (a different thread than the last owner) is
 * counted as same-group, same-node (other group) or across nodes, under the
 * lock; an owner mark checks mutual exclusion on the way.
 */
typedef struct loc_shared {
	const sb_lock_impl_t *im;
	void *lock;
	const int *grp, *nd;
	atomic_int go, stop, ready;
	_Atomic int owner;
	atomic_ulong viol;
	/* under the lock */
	int last_tid;
	uint64_t acq, handoffs, same_group, same_node;
} loc_shared_t;

typedef struct loc_thread {
	pthread_t th;
	loc_shared_t *s;
	int tid;
	uint64_t mine;
} loc_thread_t;

typedef struct loc_result {
	uint64_t handoffs, same_group, same_node, least, violations;
} loc_result_t;

static void *loc_main(void *p)
{
	loc_thread_t *t = p;
	loc_shared_t *s = t->s;
	const sb_lock_impl_t *im = s->im;
	void *node = xalloc(im->node_align, im->node_size);
	const int me = t->tid;

	sb_thread_group = s->grp[me];
	sb_thread_node = s->nd[me];
	im->node_init(node, (unsigned)me);
	atomic_fetch_add(&s->ready, 1);
	while (!atomic_load(&s->go))
		sched_yield();
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		im->lock(s->lock, node);
		if (atomic_exchange_explicit(&s->owner, me + 1, memory_order_relaxed) != 0)
			atomic_fetch_add(&s->viol, 1);
		int last = s->last_tid;
		if (last >= 0 && last != me) {
			s->handoffs++;
			if (s->grp[me] >= 0 && s->grp[last] == s->grp[me])
				s->same_group++;
			else if (s->nd[last] == s->nd[me])
				s->same_node++;
		}
		s->last_tid = me;
		s->acq++;
		for (int k = 0; k < 16; k++)
			sb_cpu_relax();
		if (atomic_exchange_explicit(&s->owner, 0, memory_order_relaxed) != me + 1)
			atomic_fetch_add(&s->viol, 1);
		im->unlock(s->lock, node);
		t->mine++;
	}
	return NULL;
}

static void locality_run(const sb_lock_desc_t *d, int nthreads, unsigned ms, const int *grp, const int *nd,
			 loc_result_t *r)
{
	loc_shared_t *s = xalloc(SB_CACHELINE, sizeof(*s));
	loc_thread_t t[MAXT];
	uint64_t total = 0;

	memset(t, 0, sizeof(t));
	s->im = d->impl;
	s->lock = xalloc(s->im->lock_align, s->im->lock_size);
	s->im->init(s->lock);
	s->grp = grp;
	s->nd = nd;
	s->last_tid = -1;
	/* Waiters yield instead of pausing: with more threads than cores a handoff
	 * to a preempted waiter would otherwise wait for the scheduler's tick. */
	atomic_store(&sb_spin_drain, 1);
	for (int i = 0; i < nthreads; i++) {
		t[i].s = s;
		t[i].tid = i;
		xcreate(&t[i].th, loc_main, &t[i]);
	}
	while (atomic_load(&s->ready) < nthreads)
		usleep(100);
	atomic_store(&s->go, 1);
	usleep(ms * 1000);
	atomic_store(&s->stop, 1);
	r->least = UINT64_MAX;
	for (int i = 0; i < nthreads; i++) {
		pthread_join(t[i].th, NULL);
		total += t[i].mine;
		if (t[i].mine < r->least)
			r->least = t[i].mine;
	}
	atomic_store(&sb_spin_drain, 0);
	r->handoffs = s->handoffs;
	r->same_group = s->same_group;
	r->same_node = s->same_node;
	r->violations = atomic_load(&s->viol) + (s->acq > total ? s->acq - total : total - s->acq);
}

static int check_local_passing(const sb_lock_desc_t *d)
{
	static const int grp[4] = {-1, -1, -1, -1}, nd[4] = {0, 1, 0, 1}; /* 2 threads per node */
	const sb_lock_desc_t *mcs = sb_lock_find("mcs");
	loc_result_t a, m;

	if (!mcs)
		return fail("mcs is not registered");
	locality_run(d, 4, 300, grp, nd, &a);
	locality_run(mcs, 4, 300, grp, nd, &m);
	double numa = a.handoffs ? (double)a.same_node / (double)a.handoffs : 0;
	double plain = m.handoffs ? (double)m.same_node / (double)m.handoffs : 0;
	if (a.violations)
		return fail("%llu mutual-exclusion violations", (unsigned long long)a.violations);
	if (a.handoffs < 100 || m.handoffs < 100)
		return fail("too few handoffs to judge: %s %llu, mcs %llu", d->name, (unsigned long long)a.handoffs,
			    (unsigned long long)m.handoffs);
	if (a.least == 0)
		return fail("a thread made no acquisition in 300 ms");
	if (!(numa > plain && numa > 0.5))
		return fail("same-node handoffs %.1f%% of %llu, mcs %.1f%% of %llu: not more local", 100 * numa,
			    (unsigned long long)a.handoffs, 100 * plain, (unsigned long long)m.handoffs);
	snprintf(reason, sizeof(reason), "same-node handoffs %.1f%% of %llu, mcs %.1f%% of %llu", 100 * numa,
		 (unsigned long long)a.handoffs, 100 * plain, (unsigned long long)m.handoffs);
	return 0;
}

/* ---------------------------------------------------------------- bounded starvation */

typedef struct starve_shared {
	const sb_lock_impl_t *im;
	void *lock;
	atomic_int stop, ready;
	_Atomic(atomic_ulong *) r_spins; /* the remote thread's spin counter */
	atomic_ulong r_s0;               /* its value when it called lock */
	atomic_int r_waiting;
	uint64_t passed;     /* under the lock: acquisitions that started while it waited */
	uint64_t local_acq;  /* under the lock */
	unsigned max_passed; /* remote thread's */
	int rounds;
} starve_shared_t;

typedef struct starve_thread {
	pthread_t th;
	starve_shared_t *s;
	int tid;
} starve_thread_t;

static void *local_main(void *p)
{
	starve_thread_t *t = p;
	starve_shared_t *s = t->s;
	const sb_lock_impl_t *im = s->im;
	void *node = xalloc(im->node_align, im->node_size);

	sb_thread_node = 0;
	im->node_init(node, (unsigned)t->tid);
	atomic_fetch_add(&s->ready, 1);
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		im->lock(s->lock, node);
		atomic_ulong *rs = atomic_load(&s->r_spins);
		if (atomic_load(&s->r_waiting) && rs &&
		    atomic_load_explicit(rs, memory_order_relaxed) > atomic_load(&s->r_s0))
			s->passed++;
		s->local_acq++;
		for (int k = 0; k < 16; k++)
			sb_cpu_relax();
		im->unlock(s->lock, node);
	}
	return NULL;
}

static void *remote_main(void *p)
{
	starve_thread_t *t = p;
	starve_shared_t *s = t->s;
	const sb_lock_impl_t *im = s->im;
	void *node = xalloc(im->node_align, im->node_size);

	sb_thread_node = 1;
	im->node_init(node, (unsigned)t->tid);
	atomic_store(&s->r_spins, &sb_spins);
	for (int r = 0; r < s->rounds; r++) {
		usleep(300); /* let the locals queue up again */
		atomic_store(&s->r_s0, atomic_load_explicit(&sb_spins, memory_order_relaxed));
		atomic_store(&s->r_waiting, 1);
		im->lock(s->lock, node);
		atomic_store(&s->r_waiting, 0);
		if (s->passed > s->max_passed)
			s->max_passed = (unsigned)s->passed;
		s->passed = 0;
		im->unlock(s->lock, node);
	}
	return NULL;
}

static int check_starvation(const sb_lock_desc_t *d)
{
	starve_shared_t *s = xalloc(SB_CACHELINE, sizeof(*s));
	starve_thread_t loc[NLOCAL], rem;
	unsigned bound = 0;

	for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++)
		if (strcmp(bounds[i].name, d->name) == 0)
			bound = bounds[i].bound;
	if (!bound)
		return fail("no documented bound for %s", d->name);
	s->im = d->impl;
	s->lock = xalloc(s->im->lock_align, s->im->lock_size);
	s->im->init(s->lock);
	s->rounds = 40;
	atomic_store(&sb_spin_drain, 1); /* yield while waiting: 3 threads, 2 cores */
	for (int i = 0; i < NLOCAL; i++) {
		loc[i].s = s;
		loc[i].tid = i;
		xcreate(&loc[i].th, local_main, &loc[i]);
	}
	while (atomic_load(&s->ready) < NLOCAL)
		usleep(100);
	usleep(2000);
	rem.s = s;
	rem.tid = NLOCAL;
	xcreate(&rem.th, remote_main, &rem);
	pthread_join(rem.th, NULL);
	atomic_store(&s->stop, 1);
	for (int i = 0; i < NLOCAL; i++)
		pthread_join(loc[i].th, NULL);
	atomic_store(&sb_spin_drain, 0);
	if (s->local_acq < (uint64_t)s->rounds)
		return fail("the same-node threads hardly ran (%llu acquisitions)", (unsigned long long)s->local_acq);
	if (s->max_passed > bound)
		return fail("the remote waiter saw %u acquisitions by others while it waited; bound %u", s->max_passed,
			    bound);
	snprintf(reason, sizeof(reason), "at most %u acquisitions by others while it waited (bound %u), %d rounds",
		 s->max_passed, bound, s->rounds);
	return 0;
}

/* ---------------------------------------------------------------- hmcs: three levels */

/*
 * hmcs with cache groups: 8 threads, two per group, groups 0,1 on node 0
 * and 2,3 on node 1 (tid / 2, tid / 4).  Mutual exclusion (an owner mark
 * and a plain counter under the lock), and the handoffs by level: most stay
 * inside a group, and those that leave it stay inside the node more often
 * than they cross nodes.
 */
static int check_hmcs_groups(const sb_lock_desc_t *d)
{
	static const int grp[8] = {0, 0, 1, 1, 2, 2, 3, 3}, nd[8] = {0, 0, 0, 0, 1, 1, 1, 1};
	loc_result_t r;

	locality_run(d, 8, 500, grp, nd, &r);
	uint64_t h = r.handoffs, g = r.same_group, n = r.same_node, x = h - g - n;
	if (r.violations)
		return fail("%llu mutual-exclusion violations", (unsigned long long)r.violations);
	if (h < 100)
		return fail("too few handoffs to judge: %llu", (unsigned long long)h);
	if (r.least == 0)
		return fail("a thread made no acquisition in 500 ms");
	if (!(g > n && g > x && n > x && (double)g / (double)h > 0.5))
		return fail("handoffs of %llu: same group %llu, same node %llu, across nodes %llu: not hierarchical",
			    (unsigned long long)h, (unsigned long long)g, (unsigned long long)n, (unsigned long long)x);
	snprintf(reason, sizeof(reason), "handoffs of %llu: same group %.1f%%, same node %.1f%%, across nodes %.1f%%",
		 (unsigned long long)h, 100.0 * (double)g / (double)h, 100.0 * (double)n / (double)h,
		 100.0 * (double)x / (double)h);
	return 0;
}

/* ---------------------------------------------------------------- driver */

static int c_mx(const sb_lock_desc_t *d, int n, uint32_t u)
{
	(void)u;
	return check_mx(d, n);
}
static int c_tryq(const sb_lock_desc_t *d, int n, uint32_t u)
{
	(void)u;
	return check_trylock_queue(d, n);
}
static int c_pass(const sb_lock_desc_t *d, int n, uint32_t u)
{
	(void)n;
	(void)u;
	return check_local_passing(d);
}
static int c_starve(const sb_lock_desc_t *d, int n, uint32_t u)
{
	(void)n;
	(void)u;
	return check_starvation(d);
}
static int c_hgroups(const sb_lock_desc_t *d, int n, uint32_t u)
{
	(void)n;
	(void)u;
	return check_hmcs_groups(d);
}

int main(int argc, char **argv)
{
	static const char *const names[] = {"cohort", "cna", "hmcs"};
	char what[128];

	setvbuf(stdout, NULL, _IOLBF, 0);
	sb_numa_nodes = NODES; /* inherited by every check's child */
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const sb_lock_desc_t *d = sb_lock_find(names[i]);

		if (argc > 1 && !strstr(argv[1], names[i]))
			continue;
		if (!sb_ok(d != NULL, "%s is registered", names[i]))
			continue;
		if (!sb_ok(d->family == SB_FAM_NUMA && (d->flags & SB_F_NODE) && !(d->flags & SB_F_FIFO),
			   "%s: family numa, uses its node, not flagged FIFO", d->name))
			continue;
		for (int n = 4; n <= 8; n += 4) {
			snprintf(what, sizeof(what), "mutual exclusion, %d threads on %d virtual nodes", n, NODES);
			run_check(d, what, c_mx, n, 0, WATCHDOG_S);
		}
		for (int w = 0; w < NODES; w++) {
			snprintf(what, sizeof(what), "failed trylocks from both nodes leave a node-%d waiter intact",
				 w);
			run_check(d, what, c_tryq, w, 0, WATCHDOG_S);
		}
		run_check(d, "within-node passing beats mcs (4 threads, 2 per node)", c_pass, 0, 0, WATCHDOG_S);
		run_check(d, "bounded starvation of a remote waiter", c_starve, 0, 0, WATCHDOG_S);
		if (strcmp(d->name, "hmcs") == 0)
			run_check(
				d,
				"8 threads in 4 cache groups on 2 nodes, mutual exclusion, handoffs stay low in the tree",
				c_hgroups, 0, 0, WATCHDOG_S);
	}
	return sb_tap_done();
}
