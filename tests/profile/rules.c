/*
 * rules.c - the lock rules of profiler/README.md, one mode each, with
 * every call that matters in a function of its own name (noinline), so the
 * report's sites name it.  Usage: prof_rules MODE [ARGS]
 *
 *   clean        every allowed pattern (consistent nesting, trylock against
 *                the order, recursive and C11 recursive mutexes, LIFO spin
 *                nesting, mutexes released out of order, read recursion,
 *                5 us spin holds, destroy after release, a condvar):
 *                no finding at all
 *   inversion    take_ab (A then B) in one thread, then take_ba (B then A)
 *                in another, serialised: no deadlock, one 2-class cycle
 *   recursion    relock: a NORMAL mutex locked twice by one thread (taken
 *                first in lock_once); hangs: alarm(2) ends it (SIGALRM)
 *   not-owner    lock_in_one (a thread), unlock_in_other (another)
 *   exit-held    lock_and_leave: a thread returns holding a mutex; then
 *                lock_at_exit: main returns holding another
 *   destroy-held take then destroy_it (self); hold_in_thread while
 *                destroy_other runs (another thread holds it)
 *   out-of-order spin_outer, spin_inner, then the outer one released first
 *   spin-hold US N   N holds of US microseconds of a spin lock (spin_hold)
 *   blockers     hold_long holds a mutex 20 ms, wait_behind waits for it (3x)
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#define NI __attribute__((noinline))

static pthread_mutex_t ma = PTHREAD_MUTEX_INITIALIZER, mb = PTHREAD_MUTEX_INITIALIZER;
static pthread_spinlock_t sa, sb;
static atomic_int flag;

static long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static void busy_us(long us)
{
	long end = now_ns() + us * 1000;
	while (now_ns() < end)
		;
}

static void run_thread(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	pthread_create(&t, NULL, fn, arg);
	pthread_join(t, NULL);
}

/* ---- inversion ---- */
static NI void take_ab(void)
{
	pthread_mutex_lock(&ma);
	pthread_mutex_lock(&mb);
	pthread_mutex_unlock(&mb);
	pthread_mutex_unlock(&ma);
}

static NI void take_ba(void)
{
	pthread_mutex_lock(&mb);
	pthread_mutex_lock(&ma);
	pthread_mutex_unlock(&ma);
	pthread_mutex_unlock(&mb);
}

static void *t_ab(void *a)
{
	(void)a;
	take_ab();
	return NULL;
}

static void *t_ba(void *a)
{
	(void)a;
	take_ba();
	return NULL;
}

/* ---- recursion ---- */
static NI void lock_once(pthread_mutex_t *m)
{
	pthread_mutex_lock(m);
}

static NI void relock(pthread_mutex_t *m)
{
	pthread_mutex_lock(m);
}

/* ---- not-owner ---- */
static NI void lock_in_one(pthread_mutex_t *m)
{
	pthread_mutex_lock(m);
}

static NI void unlock_in_other(pthread_mutex_t *m)
{
	pthread_mutex_unlock(m);
}

static void *t_lock(void *m)
{
	lock_in_one(m);
	return NULL;
}

static void *t_unlock(void *m)
{
	unlock_in_other(m);
	return NULL;
}

/* ---- exit-held ---- */
static NI void lock_and_leave(pthread_mutex_t *m)
{
	pthread_mutex_lock(m);
}

static NI void lock_at_exit(pthread_mutex_t *m)
{
	pthread_mutex_lock(m);
}

static void *t_leave(void *m)
{
	lock_and_leave(m);
	return NULL;
}

/* ---- destroy-held ---- */
static NI void take(pthread_mutex_t *m)
{
	pthread_mutex_lock(m);
}

static NI int destroy_it(pthread_mutex_t *m)
{
	return pthread_mutex_destroy(m);
}

static NI void hold_in_thread(pthread_mutex_t *m)
{
	pthread_mutex_lock(m);
}

static NI int destroy_other(pthread_mutex_t *m)
{
	return pthread_mutex_destroy(m);
}

static void *t_hold(void *m)
{
	hold_in_thread(m);
	atomic_store(&flag, 1);
	while (atomic_load(&flag) != 2)
		;
	pthread_mutex_unlock(m);
	return NULL;
}

/* ---- out-of-order ---- */
static NI void spin_outer(void)
{
	pthread_spin_lock(&sa);
}

static NI void spin_inner(void)
{
	pthread_spin_lock(&sb);
}

static NI void spin_release_outer(void)
{
	pthread_spin_unlock(&sa);
}

/* ---- spin-hold ---- */
static NI void spin_hold(long us)
{
	pthread_spin_lock(&sa);
	busy_us(us);
	pthread_spin_unlock(&sa);
}

/* ---- blockers ---- */
static NI void hold_long(pthread_mutex_t *m)
{
	pthread_mutex_lock(m);
	atomic_store(&flag, 1);
	usleep(20000);
	pthread_mutex_unlock(m);
}

static NI void wait_behind(pthread_mutex_t *m)
{
	pthread_mutex_lock(m);
	pthread_mutex_unlock(m);
}

static void *t_hold_long(void *m)
{
	hold_long(m);
	return NULL;
}

/* ---- clean ---- */
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int item;

static void *t_consume(void *a)
{
	(void)a;
	pthread_mutex_lock(&ma);
	while (!item)
		pthread_cond_wait(&cv, &ma);
	pthread_mutex_unlock(&ma);
	return NULL;
}

static int clean(void)
{
	pthread_mutex_t rec, ec, m1, m2;
	pthread_mutexattr_t at;
	pthread_rwlock_t rw;
	mtx_t x, xr;
	pthread_mutexattr_init(&at);
	pthread_mutexattr_settype(&at, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&rec, &at);
	pthread_mutexattr_settype(&at, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&ec, &at);
	pthread_mutex_init(&m1, NULL);
	pthread_mutex_init(&m2, NULL);
	pthread_rwlock_init(&rw, NULL);
	mtx_init(&x, mtx_plain);
	mtx_init(&xr, mtx_plain | mtx_recursive);

	run_thread(t_ab, NULL); /* A then B, twice: one order only */
	run_thread(t_ab, NULL);
	pthread_mutex_lock(&mb); /* B then trylock A: a trylock cannot deadlock */
	if (pthread_mutex_trylock(&ma) == 0)
		pthread_mutex_unlock(&ma);
	pthread_mutex_unlock(&mb);
	pthread_mutex_lock(&rec); /* a recursive mutex taken twice */
	pthread_mutex_lock(&rec);
	pthread_mutex_unlock(&rec);
	pthread_mutex_unlock(&rec);
	pthread_mutex_lock(&ec);
	pthread_mutex_unlock(&ec);
	mtx_lock(&xr);
	mtx_lock(&xr);
	mtx_unlock(&xr);
	mtx_unlock(&xr);
	mtx_lock(&x);
	mtx_unlock(&x);
	pthread_spin_lock(&sa); /* spin nesting released LIFO */
	pthread_spin_lock(&sb);
	pthread_spin_unlock(&sb);
	pthread_spin_unlock(&sa);
	pthread_mutex_lock(&m1); /* mutexes may be released in any order */
	pthread_mutex_lock(&m2);
	pthread_mutex_unlock(&m1);
	pthread_mutex_unlock(&m2);
	pthread_rwlock_rdlock(&rw); /* read recursion */
	pthread_rwlock_rdlock(&rw);
	pthread_rwlock_unlock(&rw);
	pthread_rwlock_unlock(&rw);
	for (int i = 0; i < 50; i++)
		spin_hold(5);
	pthread_t t;
	pthread_create(&t, NULL, t_consume, NULL);
	usleep(1000);
	pthread_mutex_lock(&ma);
	item = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&ma);
	pthread_join(t, NULL);
	pthread_mutex_destroy(&rec);
	pthread_mutex_destroy(&ec);
	pthread_mutex_destroy(&m1);
	pthread_mutex_destroy(&m2);
	pthread_rwlock_destroy(&rw);
	mtx_destroy(&x);
	mtx_destroy(&xr);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "clean";
	static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER, m2 = PTHREAD_MUTEX_INITIALIZER;
	pthread_spin_init(&sa, PTHREAD_PROCESS_PRIVATE);
	pthread_spin_init(&sb, PTHREAD_PROCESS_PRIVATE);
	if (!strcmp(mode, "clean"))
		return clean();
	if (!strcmp(mode, "inversion")) {
		run_thread(t_ab, NULL);
		run_thread(t_ba, NULL);
		return 0;
	}
	if (!strcmp(mode, "recursion")) {
		alarm(2); /* the watchdog: SIGALRM ends the deadlocked process */
		lock_once(&m);
		relock(&m);
		return 0; /* not reached */
	}
	if (!strcmp(mode, "not-owner")) {
		run_thread(t_lock, &m);
		run_thread(t_unlock, &m);
		return 0;
	}
	if (!strcmp(mode, "exit-held")) {
		run_thread(t_leave, &m);
		lock_at_exit(&m2);
		return 0;
	}
	if (!strcmp(mode, "destroy-held")) {
		pthread_t t;
		take(&m);
		int a = destroy_it(&m);
		pthread_create(&t, NULL, t_hold, &m2);
		while (atomic_load(&flag) != 1)
			;
		int b = destroy_other(&m2);
		atomic_store(&flag, 2);
		pthread_join(t, NULL);
		printf("destroy: %d %d (EBUSY %d)\n", a, b, 16);
		return 0;
	}
	if (!strcmp(mode, "out-of-order")) {
		spin_outer();
		spin_inner();
		spin_release_outer();
		pthread_spin_unlock(&sb);
		return 0;
	}
	if (!strcmp(mode, "spin-hold")) {
		long us = argc > 2 ? atol(argv[2]) : 100, n = argc > 3 ? atol(argv[3]) : 20;
		for (long i = 0; i < n; i++)
			spin_hold(us);
		return 0;
	}
	if (!strcmp(mode, "blockers")) {
		for (int i = 0; i < 3; i++) {
			pthread_t t;
			atomic_store(&flag, 0);
			pthread_create(&t, NULL, t_hold_long, &m);
			while (atomic_load(&flag) != 1)
				usleep(100);
			wait_behind(&m);
			pthread_join(t, NULL);
		}
		return 0;
	}
	fprintf(stderr, "prof_rules: unknown mode '%s'\n", mode);
	return 2;
}
