/*
 * swap.c - what a program may rely on from its mutexes, checked under
 * profile-app --lock=ALGO (and under glibc's, the control).  Each check
 * prints "name=ok" or "name=FAIL (...)"; exit 0 when all pass.
 *
 *   exclusion   T threads (default 2) x N increments of a plain counter under a NORMAL
 *               mutex, a spin lock and a C11 mtx_plain: the exact total
 *   recursive   a RECURSIVE mutex taken 3 times (and a trylock) by its owner,
 *               EBUSY to another thread until the 4th unlock
 *   errorcheck  EDEADLK on a relock, EPERM on an unlock by another thread
 *               and on an unlock of a free one
 *   timed       timedlock and clocklock of a held mutex: ETIMEDOUT after
 *               the deadline, not before
 *   cond        a condvar timedwait without a signal times out (realtime and
 *               monotonic clocks); a broadcast wakes 3 waiters; C11 cnd_*
 *   pshared     a process-shared mutex works (it stays glibc's)
 *
 * Last line: "glibc_word_while_held=N": glibc's lock word of a NORMAL mutex
 * while this thread holds it (0: glibc never saw the lock, so it was ours).
 * Usage: prof_swap [N [T]]  (T over the PUs: FIFO spin locks convoy, slowly)
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <threads.h>
#include <time.h>

static long n_iter = 20000;
static int n_thr = 2;
static int failed;

static void check(const char *name, int ok, const char *why)
{
	printf("%s=%s%s%s\n", name, ok ? "ok" : "FAIL (", ok ? "" : why, ok ? "" : ")");
	failed |= !ok;
}

/* ---- exclusion ---- */
static pthread_mutex_t m_norm = PTHREAD_MUTEX_INITIALIZER;
static pthread_spinlock_t spin;
static mtx_t m_c11;
static volatile long c_norm, c_spin, c_c11;

static void *excl_worker(void *arg)
{
	(void)arg;
	for (long i = 0; i < n_iter; i++) {
		pthread_mutex_lock(&m_norm);
		c_norm = c_norm + 1;
		pthread_mutex_unlock(&m_norm);
		pthread_spin_lock(&spin);
		c_spin = c_spin + 1;
		pthread_spin_unlock(&spin);
		mtx_lock(&m_c11);
		c_c11 = c_c11 + 1;
		mtx_unlock(&m_c11);
	}
	return NULL;
}

/* ---- another thread's view of a lock ---- */
static pthread_mutex_t *probe_m;
static int probe_rc;
static void *try_other(void *arg)
{
	(void)arg;
	probe_rc = pthread_mutex_trylock(probe_m);
	if (probe_rc == 0)
		pthread_mutex_unlock(probe_m);
	return NULL;
}
static void *unlock_other(void *arg)
{
	(void)arg;
	probe_rc = pthread_mutex_unlock(probe_m);
	return NULL;
}
static int from_other(pthread_mutex_t *m, void *(*fn)(void *))
{
	pthread_t t;
	probe_m = m;
	pthread_create(&t, NULL, fn, NULL);
	pthread_join(t, NULL);
	return probe_rc;
}

static double ms_since(const struct timespec *a)
{
	struct timespec b;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) * 1e3 + (double)(b.tv_nsec - a->tv_nsec) / 1e6;
}

static struct timespec in_ms(clockid_t clk, long ms)
{
	struct timespec t;
	clock_gettime(clk, &t);
	t.tv_nsec += (ms % 1000) * 1000000L;
	t.tv_sec += ms / 1000 + t.tv_nsec / 1000000000L;
	t.tv_nsec %= 1000000000L;
	return t;
}

/* ---- broadcast ---- */
static pthread_mutex_t bm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t bc = PTHREAD_COND_INITIALIZER;
static int go, waiting, woke;
static void *bwaiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&bm);
	waiting++;
	while (!go)
		pthread_cond_wait(&bc, &bm);
	woke++;
	pthread_mutex_unlock(&bm);
	return NULL;
}

/* ---- C11 condvar ---- */
static mtx_t cm;
static cnd_t cc;
static int c11_items, c11_got;
static void *c11_producer(void *arg)
{
	(void)arg;
	for (int i = 0; i < 500; i++) {
		mtx_lock(&cm);
		c11_items++;
		cnd_signal(&cc);
		mtx_unlock(&cm);
	}
	return NULL;
}

struct targ {
	int rc1, rc2;
	double w1, w2;
};

/* The timed calls of "timed", from a thread that cannot get the mutex. */
static void *timed_other(void *p)
{
	struct targ *ta = p;
	struct timespec t0, d = in_ms(CLOCK_REALTIME, 30);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ta->rc1 = pthread_mutex_timedlock(probe_m, &d);
	ta->w1 = ms_since(&t0);
	d = in_ms(CLOCK_MONOTONIC, 30);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ta->rc2 = pthread_mutex_clocklock(probe_m, CLOCK_MONOTONIC, &d);
	ta->w2 = ms_since(&t0);
	if (ta->rc1 == 0)
		pthread_mutex_unlock(probe_m);
	if (ta->rc2 == 0)
		pthread_mutex_unlock(probe_m);
	return NULL;
}

int main(int argc, char **argv)
{
	char why[160];
	if (argc > 1)
		n_iter = atol(argv[1]);
	if (argc > 2)
		n_thr = atoi(argv[2]);
	if (n_thr < 1 || n_thr > 64 || n_iter < 1)
		return 2;

	/* exclusion */
	pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
	mtx_init(&m_c11, mtx_plain);
	pthread_t th[64];
	for (int i = 0; i < n_thr; i++)
		pthread_create(&th[i], NULL, excl_worker, NULL);
	for (int i = 0; i < n_thr; i++)
		pthread_join(th[i], NULL);
	snprintf(why, sizeof why, "mutex %ld, spin %ld, mtx %ld of %ld", c_norm, c_spin, c_c11, n_thr * n_iter);
	check("exclusion", c_norm == n_thr * n_iter && c_spin == n_thr * n_iter && c_c11 == n_thr * n_iter, why);

	/* recursive */
	pthread_mutexattr_t a;
	pthread_mutex_t rm;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&rm, &a);
	int r1 = pthread_mutex_lock(&rm), r2 = pthread_mutex_lock(&rm), r2b = pthread_mutex_lock(&rm);
	int r3 = pthread_mutex_trylock(&rm);
	int o1 = from_other(&rm, try_other);
	int u1 = pthread_mutex_unlock(&rm), u2 = pthread_mutex_unlock(&rm), u3 = pthread_mutex_unlock(&rm);
	int o2 = from_other(&rm, try_other);
	int u4 = pthread_mutex_unlock(&rm);
	int o3 = from_other(&rm, try_other);
	int u5 = pthread_mutex_unlock(&rm);
	snprintf(why, sizeof why, "locks %d %d %d %d, other %d %d %d, unlocks %d %d %d %d %d", r1, r2, r2b, r3, o1, o2,
		 o3, u1, u2, u3, u4, u5);
	check("recursive",
	      !r1 && !r2 && !r2b && !r3 && o1 == EBUSY && !u1 && !u2 && !u3 && o2 == EBUSY && !u4 && o3 == 0 &&
		      u5 == EPERM,
	      why);
	pthread_mutex_destroy(&rm);

	/* errorcheck */
	pthread_mutex_t em;
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&em, &a);
	int e1 = pthread_mutex_lock(&em), e2 = pthread_mutex_lock(&em), e3 = from_other(&em, unlock_other);
	int e4 = pthread_mutex_unlock(&em), e5 = pthread_mutex_unlock(&em);
	snprintf(why, sizeof why, "lock %d, relock %d, other's unlock %d, unlock %d, unlock again %d", e1, e2, e3, e4,
		 e5);
	check("errorcheck", !e1 && e2 == EDEADLK && e3 == EPERM && !e4 && e5 == EPERM, why);
	pthread_mutex_destroy(&em);

	/* timed: another thread cannot get tm, which this one holds */
	pthread_mutex_t tm = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutex_lock(&tm);
	probe_m = &tm;
	struct targ ta = {0, 0, 0, 0};
	pthread_t tt;
	pthread_create(&tt, NULL, timed_other, &ta);
	pthread_join(tt, NULL);
	int tr = ta.rc1, tc = ta.rc2;
	double w1 = ta.w1, w2 = ta.w2;
	pthread_mutex_unlock(&tm);
	snprintf(why, sizeof why, "timedlock %d after %.1f ms, clocklock %d after %.1f ms (deadlines 30 ms)", tr, w1,
		 tc, w2);
	check("timed", tr == ETIMEDOUT && tc == ETIMEDOUT && w1 >= 29 && w2 >= 29, why);

	/* cond: timeouts on both clocks, a broadcast, C11 */
	pthread_mutex_t wm = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cr = PTHREAD_COND_INITIALIZER, cmono;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cmono, &ca);
	pthread_mutex_lock(&wm);
	struct timespec dl = in_ms(CLOCK_REALTIME, 30), t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	int c1 = pthread_cond_timedwait(&cr, &wm, &dl);
	double cw1 = ms_since(&t1);
	dl = in_ms(CLOCK_MONOTONIC, 30);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	int c2 = pthread_cond_timedwait(&cmono, &wm, &dl);
	double cw2 = ms_since(&t1);
	int c3 = pthread_mutex_unlock(&wm); /* the waits gave the mutex back */
	pthread_t bw[3];
	for (int i = 0; i < 3; i++)
		pthread_create(&bw[i], NULL, bwaiter, NULL);
	for (;;) {
		pthread_mutex_lock(&bm);
		int n = waiting;
		if (n == 3) {
			go = 1;
			pthread_cond_broadcast(&bc);
		}
		pthread_mutex_unlock(&bm);
		if (n == 3)
			break;
		struct timespec nap = {0, 1000000};
		nanosleep(&nap, NULL);
	}
	for (int i = 0; i < 3; i++)
		pthread_join(bw[i], NULL);
	mtx_init(&cm, mtx_plain);
	cnd_init(&cc);
	pthread_t pr;
	pthread_create(&pr, NULL, c11_producer, NULL);
	mtx_lock(&cm);
	while (c11_got < 500) {
		while (c11_items == 0) {
			struct timespec d = in_ms(CLOCK_REALTIME, 1000);
			cnd_timedwait(&cc, &cm, &d);
		}
		c11_got += c11_items;
		c11_items = 0;
	}
	mtx_unlock(&cm);
	pthread_join(pr, NULL);
	snprintf(why, sizeof why,
		 "realtime wait %d after %.1f ms, monotonic %d after %.1f ms, unlock %d, woken %d/3, c11 %d/500", c1,
		 cw1, c2, cw2, c3, woke, c11_got);
	check("cond",
	      c1 == ETIMEDOUT && c2 == ETIMEDOUT && cw1 >= 29 && cw2 >= 29 && !c3 && woke == 3 && c11_got == 500, why);

	/* pshared */
	pthread_mutex_t pm;
	pthread_mutexattr_t pa;
	pthread_mutexattr_init(&pa);
	pthread_mutexattr_setpshared(&pa, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&pm, &pa);
	int p1 = pthread_mutex_lock(&pm), p2 = from_other(&pm, try_other), p3 = pthread_mutex_unlock(&pm);
	snprintf(why, sizeof why, "lock %d, other's trylock %d, unlock %d", p1, p2, p3);
	check("pshared", !p1 && p2 == EBUSY && !p3, why);
	pthread_mutex_destroy(&pm);

	pthread_mutex_lock(&m_norm);
	int word = m_norm.__data.__lock;
	pthread_mutex_unlock(&m_norm);
	printf("glibc_word_while_held=%d\n", word != 0);
	return failed;
}
