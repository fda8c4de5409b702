/*
 * qemu.h - the one thing the tests cannot check under qemu-user.
 *
 * make cross-test runs the aarch64 build on this x86 machine under
 * qemu-user and sets SB_UNDER_QEMU_USER=1.  Everything runs there as on an
 * arm64 machine (pinning, the host's topology, the locks' atomics), except
 * the clock: qemu-user (7.2, Debian 12) computes cntvct_el0 from the host's
 * gettimeofday, so the counter claims 62.5 MHz (CNTFRQ_EL0) but moves in
 * steps of about 1 us, and a read costs nothing in it.  A check that times
 * something shorter than that step can neither pass nor fail there.  Such a
 * check is skipped, naming the step it saw, only when both hold: the
 * variable is set and the clock's measured step (granularity_ns) is too
 * coarse for what the check times.  Header-only.
 */
#ifndef SPINBENCH_TESTS_QEMU_H
#define SPINBENCH_TESTS_QEMU_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1 when make cross-test runs this test under qemu-user. */
static inline int sb_under_qemu_user(void)
{
	const char *e = getenv("SB_UNDER_QEMU_USER");
	return e && *e && strcmp(e, "0") != 0;
}

/*
 * 1, with the skip reason in why, when running under qemu-user and the
 * clock's step granularity_ns is coarser than need_ns, the finest step the
 * check needs to time `what`; else 0.
 */
static inline int sb_qemu_clock_too_coarse(double granularity_ns, double need_ns, const char *what, char *why,
					   size_t len)
{
	if (!sb_under_qemu_user() || !(granularity_ns > need_ns))
		return 0;
	snprintf(why, len, "qemu-user: cntvct_el0 moves in %.0f ns steps (the host's gettimeofday), too coarse for %s",
		 granularity_ns, what);
	return 1;
}

#endif
