/*
 * test_split.c - --part=K/N (sweep.h): every configuration of the plan is in
 * exactly one part, parts differ in size by at most one, and each part runs
 * its repetitions in the order the whole plan's run would with the same
 * seed (the whole order filtered); the shuffle is a permutation that the
 * seed decides.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep.h"
#include "tap.h"

#define MAXC 40
#define REPS 3

/* The first round of a whole run: every (configuration, repetition), shuffled. */
static int whole_order(int ncfg, uint64_t seed, int *order)
{
	int n = 0;
	for (int c = 0; c < ncfg; c++)
		for (int r = 0; r < REPS; r++)
			order[n++] = c * REPS + r;
	sb_shuffle(order, n, &seed);
	return n;
}

static void test_membership(void)
{
	int bad_once = 0, bad_size = 0, cases = 0;
	for (int ncfg = 1; ncfg <= MAXC; ncfg++)
		for (int np = 1; np <= ncfg; np++) {
			int size[MAXC + 1] = {0};
			for (int c = 0; c < ncfg; c++) {
				int in = 0;
				for (int k = 1; k <= np; k++)
					if (sb_in_part(c, k, np)) {
						in++;
						size[k]++;
					}
				bad_once += in != 1;
			}
			int lo = ncfg, hi = 0;
			for (int k = 1; k <= np; k++) {
				lo = size[k] < lo ? size[k] : lo;
				hi = size[k] > hi ? size[k] : hi;
			}
			bad_size += lo < 1 || hi - lo > 1;
			cases++;
		}
	sb_ok(bad_once == 0, "every configuration in exactly one part, %d plans (1..%d configurations, every N)", cases,
	      MAXC);
	sb_ok(bad_size == 0, "no part empty, part sizes differ by at most one (%d plans)", cases);
	sb_ok(sb_in_part(5, 1, 0) && sb_in_part(5, 1, 1), "without --part (N 0 or 1) every configuration is in");
	sb_ok(sb_in_part(0, 1, 4) && sb_in_part(5, 2, 4) && sb_in_part(7, 4, 4) && !sb_in_part(7, 3, 4),
	      "the rule: configuration c is in part c %% N + 1");
}

static void test_order(void)
{
	static int whole[MAXC * REPS], part[MAXC * REPS], seen[MAXC * REPS];
	int bad_sub = 0, bad_cover = 0, cases = 0;
	for (int ncfg = 1; ncfg <= MAXC; ncfg += 3)
		for (int np = 1; np <= ncfg; np++) {
			int n = whole_order(ncfg, 42 + (uint64_t)ncfg, whole);
			memset(seen, 0, sizeof(seen));
			for (int k = 1; k <= np; k++) {
				int m = whole_order(ncfg, 42 + (uint64_t)ncfg, part);
				m = sb_part_filter(part, m, REPS, k, np);
				/* a subsequence of the whole order, holding all of the part's entries */
				int j = 0, want = 0;
				for (int i = 0; i < n; i++)
					if (sb_in_part(whole[i] / REPS, k, np)) {
						want++;
						bad_sub += j >= m || part[j] != whole[i];
						j++;
					}
				bad_sub += want != m;
				for (int i = 0; i < m; i++)
					seen[part[i]]++;
			}
			for (int i = 0; i < n; i++)
				bad_cover += seen[i] != 1;
			cases++;
		}
	sb_ok(bad_sub == 0,
	      "each part's order is the whole run's order with the other parts' entries left out (%d plans)", cases);
	sb_ok(bad_cover == 0, "the parts together run every repetition of the plan exactly once");

	int a[60], b[60], c[60], d[60], perm = 1;
	int n = whole_order(20, 7, a);
	whole_order(20, 7, b);
	whole_order(20, 8, c);
	for (int i = 0; i < n; i++)
		d[i] = 0;
	for (int i = 0; i < n; i++)
		if (a[i] < 0 || a[i] >= n || d[a[i]]++)
			perm = 0;
	sb_ok(perm, "the shuffle is a permutation");
	sb_ok(memcmp(a, b, sizeof(int) * (size_t)n) == 0, "the same seed gives the same order");
	sb_ok(memcmp(a, c, sizeof(int) * (size_t)n) != 0, "another seed gives another order");
}

int main(void)
{
	test_membership();
	test_order();
	return sb_tap_done();
}
