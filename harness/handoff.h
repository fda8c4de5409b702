/*
 * handoff.h - classification of one timed acquisition (DESIGN.md, "handoff
 * latency"), for exclusive and reader/writer locks alike.
 *
 * Every release in the latency phase leaves a record beside the lock:
 *
 *   an exclusive release   its holder's mark and release stamp, in the guard's
 *                          line (guard.h: `last` and rel_ts), written under
 *                          the lock;
 *   a shared release       the reader's mark and release stamp, kept as the
 *                          LATEST of all shared releases (an atomic maximum:
 *                          readers release concurrently), in the rw record
 *                          beside it, with the count of readers inside.
 *
 * A timed acquisition stamps its arrival (before the lock call) and the
 * moment it owns the lock, and reads the records once it owns the lock
 * (sb_acq_seen_t).  Marks are thread id + 1; 0 means nobody yet.  The
 * acquisition is exactly one of:
 *
 *   SB_ACQ_HANDOFF    it was waiting when the release that let it in
 *                     happened (arrival strictly before that release):
 *                       exclusive: the latest release of either kind
 *                                  (writer->writer or readers->writer);
 *                       shared:    the latest exclusive release (writer->
 *                                  readers; a reader never waits for a
 *                                  reader).
 *                     Its latency is owned stamp - release stamp;
 *   SB_ACQ_JOIN       shared only: it came in beside readers without waiting
 *                     for a writer (readers inside at its entry, or a reader
 *                     still inside at its arrival, one that released after
 *                     it arrived);
 *   SB_ACQ_REACQUIRE  the latest release was its own (same owner again);
 *   SB_ACQ_IDLE       otherwise: nothing released yet, or the lock was free
 *                     when it came.
 *
 * So timed acquisitions = handoffs + shared joins + reacquires + idle, for
 * every lock (an exclusive lock has no shared acquisitions and no joins).
 * Timestamps are ticks of one synchronised counter (invariant TSC, cntvct),
 * comparable across threads.  Pure functions, no state.
 */
#ifndef SPINBENCH_HARNESS_HANDOFF_H
#define SPINBENCH_HARNESS_HANDOFF_H

#include <stdint.h>

#include "stats.h"

typedef enum { SB_ACQ_IDLE, SB_ACQ_REACQUIRE, SB_ACQ_HANDOFF, SB_ACQ_JOIN, SB_ACQ_NKINDS } sb_acq_kind_t;

/* What a timed acquisition read from the records once it owned the lock. */
typedef struct sb_acq_seen {
	uint32_t w_last; /* mark of the last exclusive releaser, 0 = none */
	uint64_t w_rel;  /* its release stamp */
	uint32_t r_last; /* mark of the latest shared releaser, 0 = none */
	uint64_t r_rel;  /* its release stamp */
	uint32_t inside; /* shared acquisitions: readers already inside at entry */
} sb_acq_seen_t;

/*
 * Classify one acquisition by thread `me` (a mark, never 0), shared or
 * exclusive, that arrived at `arrival`.  For a handoff, *from gets the mark
 * of the releaser and *rel its release stamp; *from_readers is 1 when that
 * was a shared release.  See the top of this file.
 */
static inline sb_acq_kind_t sb_classify(const sb_acq_seen_t *s, uint32_t me, int shared, uint64_t arrival,
					uint32_t *from, uint64_t *rel, int *from_readers)
{
	/* The latest release of either kind. */
	int r_later = s->r_last && (!s->w_last || s->r_rel > s->w_rel);
	uint32_t last = r_later ? s->r_last : s->w_last;
	uint64_t last_rel = r_later ? s->r_rel : s->w_rel;

	if (shared) {
		if (s->w_last && arrival < s->w_rel) {
			*from = s->w_last;
			*rel = s->w_rel;
			*from_readers = 0;
			return SB_ACQ_HANDOFF;
		}
		if (s->inside > 0 || (s->r_last && s->r_last != me && s->r_rel > arrival))
			return SB_ACQ_JOIN;
	} else if (last && last != me && arrival < last_rel) {
		*from = last;
		*rel = last_rel;
		*from_readers = r_later;
		return SB_ACQ_HANDOFF;
	}
	if (last && last == me)
		return SB_ACQ_REACQUIRE;
	return SB_ACQ_IDLE;
}

/* "idle", "reacquire", "handoff", "join" (static strings); "?" for other values. */
static inline const char *sb_acq_kind_name(sb_acq_kind_t k)
{
	switch (k) {
	case SB_ACQ_IDLE:
		return "idle";
	case SB_ACQ_REACQUIRE:
		return "reacquire";
	case SB_ACQ_HANDOFF:
		return "handoff";
	case SB_ACQ_JOIN:
		return "join";
	case SB_ACQ_NKINDS:
		break;
	}
	return "?";
}

/*
 * A handoff's latency: owned - rel ticks, into histogram h in ns (*lat_ns
 * gets the value).  A latency of zero or less is impossible between two
 * cores: it means the two counters disagree (offset, or an unordered read);
 * it is counted in *nonpositive and kept out of the histogram, never clipped
 * to 0.  Returns 1 when the value went into the histogram, 0 when counted.
 */
static inline int sb_handoff_add(sb_hist_t *h, uint64_t *nonpositive, uint64_t owned, uint64_t rel, double ns_per_tick,
				 uint64_t *lat_ns)
{
	if (owned <= rel) {
		(*nonpositive)++;
		return 0;
	}
	*lat_ns = (uint64_t)((double)(owned - rel) * ns_per_tick);
	sb_hist_add(h, *lat_ns);
	return 1;
}

/*
 * A shared release record: the release stamp relative to a base taken before
 * the repetition (48 bits of ticks: 15 hours at 5 GHz) and the reader's mark
 * (16 bits), so that the latest release is the numerically largest word.
 */
static inline uint64_t sb_rrec_pack(uint64_t stamp, uint64_t base, uint32_t mark)
{
	return ((stamp - base) << 16) | (mark & 0xffffu);
}

static inline uint32_t sb_rrec_mark(uint64_t rec)
{
	return (uint32_t)(rec & 0xffffu);
}

static inline uint64_t sb_rrec_stamp(uint64_t rec, uint64_t base)
{
	return base + (rec >> 16);
}

#endif
