/*
 * handoff.h - classification of one acquisition (DESIGN.md, "handoff latency").
 *
 * At unlock the holder records (its id, release timestamp) in a slot beside
 * the lock; the next acquirer reads that slot once it owns the lock and
 * classifies its own acquisition from four values:
 *
 *   prev_owner  the id the last releaser recorded, SB_NO_OWNER if the lock
 *               was never released yet
 *   release_ts  that release's timestamp (ignored when prev_owner is
 *               SB_NO_OWNER)
 *   me          the acquiring thread's id (never SB_NO_OWNER)
 *   arrival_ts  when the acquirer started its lock call
 *
 * and the result is exactly one of:
 *
 *   SB_ACQ_REACQUIRE  prev_owner == me: the same thread took it again
 *                     (whatever the timestamps say);
 *   SB_ACQ_HANDOFF    a different thread that was already waiting when the
 *                     lock was released: arrival_ts < release_ts (strictly).
 *                     Its handoff latency is acquire_ts - release_ts;
 *   SB_ACQ_IDLE       otherwise: no previous release, or the thread arrived
 *                     at or after the release (the lock was free when it
 *                     came).
 *
 * Timestamps are sb_ticks() values from one synchronised counter (invariant
 * TSC / cntvct), so comparing them across threads is meaningful.  Pure, no
 * state; for rw locks, only exclusive (write) acquisitions are classified.
 */
#ifndef SPINBENCH_HARNESS_HANDOFF_H
#define SPINBENCH_HARNESS_HANDOFF_H

#include <stdint.h>

/* prev_owner value meaning "no release recorded yet". */
#define SB_NO_OWNER UINT32_MAX

typedef enum { SB_ACQ_IDLE, SB_ACQ_REACQUIRE, SB_ACQ_HANDOFF } sb_acq_kind_t;

/* Classify one acquisition; see the comment at the top of this file. */
static inline sb_acq_kind_t sb_classify_acq(uint32_t prev_owner, uint64_t release_ts, uint32_t me,
					    uint64_t arrival_ts)
{
	if (prev_owner == SB_NO_OWNER)
		return SB_ACQ_IDLE;
	if (prev_owner == me)
		return SB_ACQ_REACQUIRE;
	if (arrival_ts < release_ts)
		return SB_ACQ_HANDOFF;
	return SB_ACQ_IDLE;
}

/* "idle", "reacquire", "handoff" (static strings); "?" for other values. */
static inline const char *sb_acq_kind_name(sb_acq_kind_t k)
{
	switch (k) {
	case SB_ACQ_IDLE:
		return "idle";
	case SB_ACQ_REACQUIRE:
		return "reacquire";
	case SB_ACQ_HANDOFF:
		return "handoff";
	}
	return "?";
}

#endif
