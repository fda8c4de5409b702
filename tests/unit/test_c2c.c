/*
 * test_c2c.c - core-to-core latency (harness/c2c.c): the measurement on this
 * system, its refusals, and pair planning on real machines' hwloc XML
 * topologies (tests/topologies, or $SB_TOPOLOGIES).  Runs from the
 * repository root.
 */
#include "c2c.h"
#include "clock.h"
#include "qemu.h"
#include "tap.h"
#include "testutil.h"
#include "topo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXP 8192
#define NC SB_DIST_NCLASSES

static const char *const files[] = {
	"amd-zen1-2x7451-8n.xml", "intel-2s-2n8c2t.xml", "power8-2n.xml",     "amd-opteron-8n2c-distances.xml",
	"intel-4s2c2t.xml",       "amd-zen3-2x7763.xml", "intel-24n8c2t.xml",
};

static char topodir[4096];
static int pus[MAXP], pairs[MAXP][2];
static sb_clock_info_t clk; /* this system's clock, from main */

/* Every PU of t, in logical order; returns the count. */
static int all_pus(const sb_topo_t *t)
{
	sb_topo_counts_t c;
	sb_placement_t *p = calloc(1, sizeof(*p));
	char err[256];

	sb_topo_counts(t, &c);
	p->kind = SB_PLACE_COMPACT;
	p->node = -1;
	int n = c.pus < MAXP ? c.pus : MAXP;
	if (sb_plan(t, p, n, pus, err, sizeof(err)) < 0)
		n = 0;
	free(p);
	return n;
}

/* ---- this system ------------------------------------------------------- */

static void test_this_system(void)
{
	char err[512];
	sb_c2c_row_t r, back;
	sb_topo_t *t = sb_topo_load(NULL, err, sizeof(err));

	if (!sb_ok(t != NULL, "load this system's topology") || !t)
		return;
	int n = all_pus(t);
	if (n < 2) {
		sb_skip("this system has one PU", "c2c: PU pair measurement");
		sb_topo_free(t);
		return;
	}
	int a = pus[0], b = pus[1];
	memset(&r, 0, sizeof(r));
	int rc = sb_c2c_pair(t, a, b, 1000, &r, err, sizeof(err));
	if (sb_ok(rc == 0, "c2c: PU %d <-> PU %d measured%s%s", a, b, rc ? ": " : "", rc ? err : "")) {
		char why[200];
		if (sb_qemu_clock_too_coarse(clk.granularity_ns, r.median_ns, "a cache-line round trip", why,
					     sizeof why))
			sb_skip(why, "c2c: one-way latency %.1f ns (min %.1f ns) is positive and under 10 us",
				r.median_ns, r.min_ns);
		else
			sb_ok(r.median_ns > 0 && r.median_ns < 10000,
			      "c2c: one-way latency %.1f ns (min %.1f ns) is positive and under 10 us", r.median_ns,
			      r.min_ns);
		sb_ok(r.samples == 1000 && r.from_pu == a && r.to_pu == b && r.min_ns <= r.median_ns,
		      "c2c: row carries the pair, 1000 samples as requested (%d), min <= median", r.samples);
		sb_ok(r.cls == sb_topo_classify(t, a, b), "c2c: row class is sb_topo_classify's (%s)",
		      sb_dist_name(r.cls));
		sb_ok(isfinite(r.offset_ns), "c2c: counter offset PU %d minus PU %d estimated: %.1f ns", b, a,
		      r.offset_ns);
		if (sb_c2c_pair(t, b, a, 1000, &back, err, sizeof(err)) == 0)
			sb_diag("reverse direction: one-way %.1f ns, offset %.1f ns (expect about %.1f)",
				back.median_ns, back.offset_ns, -r.offset_ns);
	}
	rc = sb_c2c_pair(t, a, b, 7, &r, err, sizeof(err));
	sb_ok(rc == 0 && r.samples == 7, "c2c: a small sample count (7) is honoured");
	sb_ok(sb_c2c_pair(t, a, a, 100, &r, err, sizeof(err)) == -1 && err[0],
	      "c2c: a PU paired with itself is refused (%s)", err);
	sb_ok(sb_c2c_pair(t, a, 1000000, 100, &r, err, sizeof(err)) == -1, "c2c: a PU the system lacks is refused (%s)",
	      err);
	sb_ok(sb_c2c_pair(t, a, b, 0, &r, err, sizeof(err)) == -1, "c2c: samples 0 is refused");

	/* the driver: every pair of this small machine */
	sb_c2c_row_t rows[SB_C2C_DEFAULT_MAX_PAIRS];
	int m = n < 8 ? n : 8;
	int got = sb_c2c_run(t, pus, m, SB_C2C_DEFAULT_MAX_PAIRS, 200, rows, NULL, NULL, err, sizeof(err));
	int bad = 0, unset = 0;
	double lo = INFINITY;
	for (int i = 0; i < got; i++) {
		bad += rows[i].samples != 200;
		unset += !(rows[i].median_ns > 0);
		lo = fmin(lo, rows[i].median_ns);
	}
	char why[200];
	if (got > 0 && sb_qemu_clock_too_coarse(clk.granularity_ns, lo, "a cache-line round trip", why, sizeof why)) {
		sb_ok(got == m * (m - 1) / 2 && !bad, "c2c: driver measures all %d pairs of %d PUs (%d rows)",
		      m * (m - 1) / 2, m, got);
		sb_skip(why, "c2c: driver: every pair's one-way latency is positive");
	} else {
		sb_ok(got == m * (m - 1) / 2 && !bad && !unset,
		      "c2c: driver measures all %d pairs of %d PUs (%d rows%s%s)", m * (m - 1) / 2, m, got,
		      got < 0 ? ": " : "", got < 0 ? err : "");
	}
	sb_topo_free(t);
}

/* ---- planning on XML ----------------------------------------------------- */

/* Check one plan of pus[0..n-1] capped at cap; 0 ok, else prints why. */
static int check_plan(const sb_topo_t *t, const char *file, int n, int cap, int np, int *classes_in_plan)
{
	int present[NC] = {0}, inplan[NC] = {0};
	long long total = (long long)n * (n - 1) / 2;
	int ngroups = 0;
	static int groups[MAXP];

	for (int i = 0; i < n; i++) {
		int g = sb_c2c_group(t, pus[i]), seen = 0;
		for (int j = 0; j < ngroups && !seen; j++)
			seen = groups[j] == g;
		if (!seen)
			groups[ngroups++] = g;
		for (int j = i + 1; j < n; j++)
			present[sb_topo_classify(t, pus[i], pus[j])] = 1;
	}
	if (np < 1 || np > cap) {
		sb_diag("%s: %d pairs for a cap of %d", file, np, cap);
		return -1;
	}
	if (total > cap && np > (NC - 1) * (ngroups + 1)) {
		sb_diag("%s: %d pairs, more than one per class per group (%d groups)", file, np, ngroups);
		return -1;
	}
	for (int k = 0; k < np; k++) {
		int a = pairs[k][0], b = pairs[k][1];
		sb_dist_t d = sb_topo_classify(t, a, b);
		if (a == b || d <= SB_DIST_SELF || d >= NC) {
			sb_diag("%s: bad pair %d,%d", file, a, b);
			return -1;
		}
		for (int j = 0; j < k; j++)
			if ((pairs[j][0] == a && pairs[j][1] == b) || (pairs[j][0] == b && pairs[j][1] == a)) {
				sb_diag("%s: pair %d,%d twice", file, a, b);
				return -1;
			}
		if (total > cap) {
			int ga = sb_c2c_group(t, a);
			for (int j = 0; j < k; j++)
				if (sb_c2c_group(t, pairs[j][0]) == ga &&
				    sb_topo_classify(t, pairs[j][0], pairs[j][1]) == d) {
					sb_diag("%s: group %d has two %s pairs", file, ga, sb_dist_name(d));
					return -1;
				}
		}
		inplan[d] = 1;
	}
	for (int d = SB_DIST_SMT; d < NC; d++)
		if (present[d] != inplan[d]) {
			sb_diag("%s: class %s %s the machine but %s the plan", file, sb_dist_name((sb_dist_t)d),
				present[d] ? "in" : "not in", inplan[d] ? "in" : "not in");
			return -1;
		}
	*classes_in_plan = 0;
	for (int d = 0; d < NC; d++)
		*classes_in_plan += inplan[d];
	return 0;
}

static void test_plans(void)
{
	char err[512], path[4400];

	if (find_topodir(files[0], topodir, sizeof(topodir)) != 0) {
		sb_skip("no tests/topologies (set SB_TOPOLOGIES)", "c2c: pair planning on XML topologies");
		return;
	}
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		snprintf(path, sizeof(path), "%s/%s", topodir, files[f]);
		sb_topo_t *t = sb_topo_load(path, err, sizeof(err));
		if (!sb_ok(t != NULL, "load %s", files[f]) || !t)
			continue;
		int n = all_pus(t), ncls = 0;

		int np = sb_c2c_plan(t, pus, n, 256, pairs);
		int rc = check_plan(t, files[f], n, 256, np, &ncls);
		sb_ok(rc == 0,
		      "c2c plan %s: %d PUs, %d pairs (cap 256), %d classes, as many as the machine has, "
		      "at most one per class per core group",
		      files[f], n, np, ncls);
		np = sb_c2c_plan(t, pus, n, NC - 1, pairs);
		rc = check_plan(t, files[f], n, NC - 1, np, &ncls);
		sb_ok(rc == 0, "c2c plan %s: a cap of %d pairs still keeps every class (%d)", files[f], NC - 1, ncls);

		if (f == 0) {
			/* Zen 1: 16 CCX (L3) groups; smt, l3, numa, package, remote; no shared L2 */
			np = sb_c2c_plan(t, pus, n, 256, pairs);
			int cnt[NC] = {0};
			for (int k = 0; k < np; k++)
				cnt[sb_topo_classify(t, pairs[k][0], pairs[k][1])]++;
			sb_ok(cnt[SB_DIST_SMT] == 16 && cnt[SB_DIST_L2] == 0 && cnt[SB_DIST_L3] == 16 &&
				      cnt[SB_DIST_NUMA] >= 8 && cnt[SB_DIST_PACKAGE] >= 2 && cnt[SB_DIST_REMOTE] >= 1 &&
				      np < n * (n - 1) / 2,
			      "c2c plan zen1: smt %d, l2 %d, l3 %d, numa %d, package %d, remote %d of %d pairs",
			      cnt[SB_DIST_SMT], cnt[SB_DIST_L2], cnt[SB_DIST_L3], cnt[SB_DIST_NUMA],
			      cnt[SB_DIST_PACKAGE], cnt[SB_DIST_REMOTE], np);

			/* small list: all pairs, duplicates and unknown PUs ignored */
			int list[10] = {pus[0], pus[1], pus[2], pus[3], pus[0], pus[4], pus[5], 999999, pus[6], pus[7]};
			np = sb_c2c_plan(t, list, 10, 256, pairs);
			int ok = np == 28;
			for (int k = 0; k < np && ok; k++)
				ok = pairs[k][0] != pairs[k][1];
			sb_ok(ok,
			      "c2c plan: 8 distinct PUs (listed with a duplicate and an unknown one) give all 28 "
			      "pairs (%d)",
			      np);
			sb_ok(sb_c2c_plan(t, pus, 1, 256, pairs) == 0 && sb_c2c_plan(t, pus, n, 0, pairs) == 0,
			      "c2c plan: one PU or a cap of 0 gives no pairs");

			sb_c2c_row_t row;
			rc = sb_c2c_pair(t, pus[0], pus[1], 100, &row, err, sizeof(err));
			sb_ok(rc == -1 && strstr(err, "not this system"), "c2c: binding refused on XML (%s)", err);
			sb_c2c_row_t rows[4];
			rc = sb_c2c_run(t, pus, 2, 4, 100, rows, NULL, NULL, err, sizeof(err));
			sb_ok(rc == -1, "c2c: the driver fails on XML, nothing measured");
		}
		sb_topo_free(t);
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (sb_clock_init(&clk) != 0)
		sb_diag("clock calibration failed: latencies in ticks");
	test_this_system();
	test_plans();
	return sb_tap_done();
}
