/*
 * check.c - libsbprof-check.so: the self-test's calls, one per interposed
 * entry point, on private objects.
 *
 * This file is built as an ordinary shared object linked against libc, so
 * its PLT records the versioned references that any program built on this
 * system records (pthread_mutex_trylock@GLIBC_2.34, pthread_cond_wait@
 * GLIBC_2.3.2 ...), and the dynamic linker resolves them the way it
 * resolves a program's.  libsbprof.so lists it as a needed library and its
 * constructor calls sbprof_check_calls() with the wrappers in counting
 * mode: the condvar waits only count there (they would sleep); every other
 * call goes through to glibc, so the real functions are exercised too.
 *
 * Keep one call per function of SBP_FUNCS (sbprof.h): a function missing
 * here is reported as bypassing the interposer.
 *
 * The two untimed condvar waits must return even when they are bypassed
 * (glibc's own wait would sleep for good, with no thread to signal): they
 * are given an error-checking mutex that this thread does not hold, so
 * glibc's wait fails at once with EPERM when releasing it.  cnd_wait's
 * mutex is made error-checking through pthread_mutex_init on the mtx_t's
 * storage (glibc's mtx_t is a pthread_mutex_t; the union below says so).
 */
#include <pthread.h>
#include <threads.h>
#include <time.h>

void sbprof_check_calls(void);

void sbprof_check_calls(void)
{
	struct timespec past = {0, 0}, later;
	pthread_mutex_t m;
	pthread_spinlock_t s;
	pthread_rwlock_t rw;
	pthread_cond_t c;
	mtx_t x;
	cnd_t k;
	union {
		pthread_mutex_t p;
		mtx_t x;
	} e;
	_Static_assert(sizeof(mtx_t) == sizeof(pthread_mutex_t), "glibc's mtx_t is a pthread_mutex_t");

	clock_gettime(CLOCK_REALTIME, &later);
	later.tv_sec += 3600;

	pthread_mutex_init(&m, NULL);
	pthread_mutex_lock(&m);
	pthread_mutex_unlock(&m);
	if (pthread_mutex_trylock(&m) == 0)
		pthread_mutex_unlock(&m);
	if (pthread_mutex_timedlock(&m, &later) == 0)
		pthread_mutex_unlock(&m);
	if (pthread_mutex_clocklock(&m, CLOCK_REALTIME, &later) == 0)
		pthread_mutex_unlock(&m);

	pthread_mutexattr_t ea;
	pthread_mutexattr_init(&ea);
	pthread_mutexattr_settype(&ea, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&e.p, &ea);
	pthread_cond_init(&c, NULL);
	pthread_cond_wait(&c, &e.p); /* EPERM at once when it reaches glibc */
	pthread_mutex_lock(&m);
	pthread_cond_timedwait(&c, &m, &past);
	pthread_cond_clockwait(&c, &m, CLOCK_MONOTONIC, &past);
	pthread_mutex_unlock(&m);
	pthread_cond_signal(&c);
	pthread_cond_broadcast(&c);
	pthread_cond_destroy(&c);
	pthread_mutex_destroy(&m);

	pthread_spin_init(&s, PTHREAD_PROCESS_PRIVATE);
	pthread_spin_lock(&s);
	pthread_spin_unlock(&s);
	if (pthread_spin_trylock(&s) == 0)
		pthread_spin_unlock(&s);
	pthread_spin_destroy(&s);

	pthread_rwlock_init(&rw, NULL);
	pthread_rwlock_rdlock(&rw);
	pthread_rwlock_unlock(&rw);
	if (pthread_rwlock_tryrdlock(&rw) == 0)
		pthread_rwlock_unlock(&rw);
	if (pthread_rwlock_timedrdlock(&rw, &later) == 0)
		pthread_rwlock_unlock(&rw);
	if (pthread_rwlock_clockrdlock(&rw, CLOCK_REALTIME, &later) == 0)
		pthread_rwlock_unlock(&rw);
	pthread_rwlock_wrlock(&rw);
	pthread_rwlock_unlock(&rw);
	if (pthread_rwlock_trywrlock(&rw) == 0)
		pthread_rwlock_unlock(&rw);
	if (pthread_rwlock_timedwrlock(&rw, &later) == 0)
		pthread_rwlock_unlock(&rw);
	if (pthread_rwlock_clockwrlock(&rw, CLOCK_REALTIME, &later) == 0)
		pthread_rwlock_unlock(&rw);
	pthread_rwlock_destroy(&rw);

	mtx_init(&x, mtx_timed);
	cnd_init(&k);
	cnd_wait(&k, &e.x); /* thrd_error at once when it reaches glibc */
	mtx_lock(&x);
	cnd_timedwait(&k, &x, &past);
	mtx_unlock(&x);
	if (mtx_trylock(&x) == thrd_success)
		mtx_unlock(&x);
	if (mtx_timedlock(&x, &later) == thrd_success)
		mtx_unlock(&x);
	cnd_signal(&k);
	cnd_broadcast(&k);
	cnd_destroy(&k);
	mtx_destroy(&x);
	pthread_mutex_destroy(&e.p);
	pthread_mutexattr_destroy(&ea);
}
