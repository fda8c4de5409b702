/*
 * testutil.h - what the lock tests share: allocation that cannot fail
 * quietly, scripted waits, and running one check in a forked child under a
 * watchdog, so that a deadlocked lock fails its check instead of hanging
 * the suite.  Header-only: include it (after tap.h) from exactly one .c.
 */
#ifndef SPINBENCH_TESTS_TESTUTIL_H
#define SPINBENCH_TESTS_TESTUTIL_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lockapi.h"
#include "tap.h"

/* The running check's reason (a failure, or a figure worth printing on success). */
__attribute__((unused)) static char reason[256];

__attribute__((format(printf, 1, 2))) static inline int fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return 1;
}

/* Zeroed, aligned memory; exits (status 3) when there is none. */
static inline void *xalloc(size_t align, size_t size)
{
	size_t sz = (size + align - 1) / align * align;
	void *p = aligned_alloc(align, sz);
	if (!p) {
		perror("aligned_alloc");
		exit(3);
	}
	memset(p, 0, sz);
	return p;
}

/* pthread_create that exits (status 3) on failure. */
static inline void xcreate(pthread_t *th, void *(*fn)(void *), void *arg)
{
	if (pthread_create(th, NULL, fn, arg) != 0) {
		perror("pthread_create");
		exit(3);
	}
}

static inline void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Poll *flag until it reaches at least want, for up to ms; 0, or -1 on timeout. */
static inline int wait_for_ms(atomic_int *flag, int want, unsigned ms)
{
	for (unsigned i = 0; i < ms * 10; i++) {
		if (atomic_load(flag) >= want)
			return 0;
		usleep(100);
	}
	return -1;
}

enum outcome { PASSED, FAILED, WATCHDOG, KILLED };

typedef int (*check_fn)(const sb_lock_desc_t *d, int arg, uint32_t arg2);

/*
 * Run fn(d, arg, arg2) in a child process under a watchdog of `limit`
 * seconds.  The child's reason comes back through a pipe into buf (for a
 * failure, or a figure a passing check reports); *secs is the wall time.
 */
static inline enum outcome run_child(const sb_lock_desc_t *d, check_fn fn, int arg, uint32_t arg2, unsigned limit,
				     char *buf, size_t buflen, double *secs)
{
	int pfd[2];
	struct timespec t0, t1;

	if (pipe(pfd) != 0) {
		perror("pipe");
		exit(3);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(3);
	}
	if (pid == 0) {
		close(pfd[0]);
		alarm(limit);
		reason[0] = '\0';
		int rc = fn(d, arg, arg2);
		if (write(pfd[1], reason, strlen(reason)) < 0)
			_exit(2);
		_exit(rc ? 1 : 0);
	}
	close(pfd[1]);
	ssize_t k, got = 0;
	while ((k = read(pfd[0], buf + got, buflen - 1 - (size_t)got)) > 0)
		got += k;
	buf[got > 0 ? got : 0] = '\0';
	close(pfd[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return PASSED;
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
		return WATCHDOG;
	if (WIFSIGNALED(st)) {
		snprintf(buf, buflen, "killed by signal %d", WTERMSIG(st));
		return KILLED;
	}
	if (!buf[0])
		snprintf(buf, buflen, "failed (exit status %d)", WEXITSTATUS(st));
	return FAILED;
}

/* Run one check under the watchdog and report ok / not ok. */
static inline void run_check(const sb_lock_desc_t *d, const char *what, check_fn fn, int arg, uint32_t arg2,
			     unsigned limit)
{
	char buf[sizeof(reason)];
	double secs;

	switch (run_child(d, fn, arg, arg2, limit, buf, sizeof(buf), &secs)) {
	case PASSED:
		sb_ok(1, "%s: %s (%.2fs)%s%s", d->name, what, secs, buf[0] ? ": " : "", buf);
		break;
	case WATCHDOG:
		sb_ok(0, "%s: %s: watchdog: no completion in %u s (deadlock or lost wake-up)", d->name, what, limit);
		break;
	default:
		sb_ok(0, "%s: %s: %s", d->name, what, buf);
	}
}

/*
 * The folder of tests/topologies (the tests run from the repository
 * root), or $SB_TOPOLOGIES: the first candidate holding `probe`.  Returns 0
 * and fills out, or -1 (also when $SB_TOPOLOGIES is set but lacks probe).
 */
static inline int find_topodir(const char *probe, char *out, size_t outlen)
{
	const char *env = getenv("SB_TOPOLOGIES");
	const char *cands[] = {env, "tests/topologies"};

	for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
		char p[4200];
		if (!cands[i] || !*cands[i])
			continue;
		snprintf(p, sizeof(p), "%s/%s", cands[i], probe);
		if (access(p, R_OK) == 0) {
			snprintf(out, outlen, "%s", cands[i]);
			return 0;
		}
		if (cands[i] == env)
			break; /* an explicit folder that lacks the files is an error */
	}
	return -1;
}

#endif
