/*
 * swap.h - profile-app --lock=ALGO: the program's eligible mutexes run on
 * one of spinbench's lock algorithms instead of glibc's (swap.c).
 *
 * The interposed wrappers of sbprof.c ask sbp_swap_of() for the lock behind
 * a mutex; NULL means glibc's (no lock chosen, the control `pthread`, or a
 * mutex that is never swapped), anything else goes to the sbp_sw_*
 * functions, which keep pthread's return codes.  Condition variables waited
 * on with a swapped mutex are ours too (sbp_sw_cond_*).  profiler/README.md
 * ("Swapping the lock") says what is eligible and what is emulated.
 */
#ifndef SPINBENCH_PROFILER_SWAP_H
#define SPINBENCH_PROFILER_SWAP_H

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

typedef struct sbp_swlock sbp_swlock_t;

/* 1 once sbp_swap_setup chose an algorithm (not `pthread`); set before the
 * library is ready, read-only afterwards. */
extern int sbp_swap_active;

/* Choose the algorithm by name; 0 ok, -1 unknown (the caller refuses the
 * run).  "pthread" is the control: nothing is swapped. */
int sbp_swap_setup(const char *name);

/* The names sbp_swap_setup accepts, comma-separated. */
const char *sbp_swap_names(void);

/* Our lock behind `m`, created on first sight; NULL: glibc's (ineligible
 * kinds are counted by sbp_swap_passed). */
sbp_swlock_t *sbp_swap_get(pthread_mutex_t *m);
static inline sbp_swlock_t *sbp_swap_of(pthread_mutex_t *m)
{
	return __builtin_expect(sbp_swap_active, 0) ? sbp_swap_get(m) : (sbp_swlock_t *)0;
}

/* The same for a spin lock (found by address); its init with pshared
 * (PTHREAD_PROCESS_SHARED) keeps it glibc's. */
sbp_swlock_t *sbp_swap_spin_get(pthread_spinlock_t *l);
static inline sbp_swlock_t *sbp_swap_spin_of(pthread_spinlock_t *l)
{
	return __builtin_expect(sbp_swap_active, 0) ? sbp_swap_spin_get(l) : (sbp_swlock_t *)0;
}
void sbp_sw_spin_init(pthread_spinlock_t *l, int pshared);

/* pthread_mutex_* on a swapped mutex: 0, EBUSY, EDEADLK, EAGAIN (recursion
 * count), ETIMEDOUT, EPERM (not the owner: nothing released). */
int sbp_sw_lock(sbp_swlock_t *s);
int sbp_sw_trylock(sbp_swlock_t *s);
int sbp_sw_timedlock(sbp_swlock_t *s, clockid_t clk, const struct timespec *abstime);
int sbp_sw_unlock(sbp_swlock_t *s);

/* pthread_mutex_init / destroy of `m` (glibc's call made by the caller too):
 * an init resets our lock; a destroy of a held one is EBUSY, else gives it
 * back to the pool. */
void sbp_sw_init(pthread_mutex_t *m);
int sbp_sw_destroy(pthread_mutex_t *m);

/*
 * A condvar wait on `c` with swapped `s` held: releases it, sleeps until a
 * signal, a broadcast, the deadline (abstime on clk; NULL: none) or a
 * spurious wake-up, and takes it back.  0 or ETIMEDOUT.
 */
int sbp_sw_cond_wait(const void *c, sbp_swlock_t *s, clockid_t clk, const struct timespec *abstime);

/* Wake one (all = 0) or every waiter of ours on `c` (none: nothing to do). */
void sbp_sw_cond_wake(const void *c, int all);

/* Mutexes passed to glibc because of their kind: process-shared, robust,
 * priority-inheritance or priority-protect (one count each, by kind bit). */
typedef struct sbp_swap_counts {
	unsigned long swapped, pshared, robust, pi, pp, early;
} sbp_swap_counts_t;
void sbp_swap_passed(sbp_swap_counts_t *out);

/* Count into these six words instead (in the order above), from now on. */
void sbp_swap_count_at(atomic_ulong *six);

#endif
