/*
 * tap.h - the tests' tiny reporting layer.
 *
 * Each check prints "ok N - name" or "not ok N - name"; a skipped check prints
 * "ok N - name # skip reason".  sb_tap_done() prints the closing line
 * "N passed, N failed[, N skipped]" and returns the process exit status
 * (1 when anything failed).  Header-only: include it from exactly one .c.
 */
#ifndef SPINBENCH_TESTS_TAP_H
#define SPINBENCH_TESTS_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int sb_tap_n, sb_tap_pass, sb_tap_fail, sb_tap_skip;

/* Record one check; returns cond so callers can stop early on failure. */
__attribute__((format(printf, 2, 3))) static inline int sb_ok(int cond, const char *fmt, ...)
{
	va_list ap;
	printf("%sok %d - ", cond ? "" : "not ", ++sb_tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (cond)
		sb_tap_pass++;
	else
		sb_tap_fail++;
	return cond;
}

__attribute__((format(printf, 2, 3))) static inline void sb_skip(const char *why, const char *fmt, ...)
{
	va_list ap;
	printf("ok %d - ", ++sb_tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # skip %s\n", why);
	fflush(stdout);
	sb_tap_skip++;
}

/* Diagnostic line, TAP style. */
#define sb_diag(...)                 \
	do {                         \
		printf("# ");        \
		printf(__VA_ARGS__); \
		putchar('\n');       \
		fflush(stdout);      \
	} while (0)

static inline int sb_tap_done(void)
{
	if (sb_tap_skip)
		printf("%d passed, %d failed, %d skipped\n", sb_tap_pass, sb_tap_fail, sb_tap_skip);
	else
		printf("%d passed, %d failed\n", sb_tap_pass, sb_tap_fail);
	fflush(stdout);
	return sb_tap_fail ? 1 : 0;
}

#endif
