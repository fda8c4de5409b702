#!/usr/bin/env python3
"""test_advisor - unit tests of plot/advisor.py, the pure parts of
advise-lock: separability, the tie set and its tie-break, interpolation in
log threads, the interval fallback's coverage, fairness admission, the
regime thresholds, workload normalisation and the confirm duration.  Known
answers from small hand-made inputs; Python 3 standard library only.

    python3 tests/unit/test_advisor.py          (unittest's own output)
    python3 tests/unit/test_advisor.py --lines  (one line per test for
        tests/e2e/test_advise.sh: "ok<TAB>name" or "not ok<TAB>name<TAB>why";
        exit 1 if any failed)
"""

import math
import os
import sys
import unittest

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "plot"))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import unit_lines  # noqa: E402
import advisor as ad  # noqa: E402


def c(lock, med, lo, hi):
    return {"lock": lock, "median": med, "lo": lo, "hi": hi}


class Separability(unittest.TestCase):
    def test_both_conditions(self):
        """separable only with disjoint intervals AND medians more than 5% apart"""
        self.assertTrue(ad.separable(c("a", 100, 98, 102), c("b", 90, 88, 92)))
        # disjoint intervals but medians 4% apart: not separable
        self.assertFalse(ad.separable(c("a", 100, 99.5, 100.5), c("b", 96, 95.5, 96.5)))
        # medians 10% apart but intervals overlap: not separable
        self.assertFalse(ad.separable(c("a", 100, 90, 110), c("b", 90, 85, 95)))
        # touching intervals overlap
        self.assertFalse(ad.separable(c("a", 20, 19, 21), c("b", 18, 17, 19)))

    def test_margin_edge(self):
        """exactly 5% below is not more than 5%"""
        self.assertFalse(ad.separable(c("a", 100, 99, 101), c("b", 95, 94, 94.5)))
        self.assertTrue(ad.separable(c("a", 100, 99, 101), c("b", 94.9, 94, 94.5)))

    def test_no_interval(self):
        """a lock without an interval is separable from nothing"""
        self.assertFalse(ad.separable(c("a", 100, None, None), c("b", 10, 9, 11)))


class TieSet(unittest.TestCase):
    def test_confident(self):
        best, s = ad.tie_set([c("ttas", 50, 48, 52), c("ticket", 20, 19, 21), c("mcs", 15, 14, 16)])
        self.assertEqual(best["lock"], "ttas")
        self.assertEqual([x["lock"] for x in s], ["ttas"])

    def test_tie_break_order(self):
        """FIFO before unfair, then simpler, then name: ticket before the faster mcs"""
        best, s = ad.tie_set([c("mcs", 21, 20, 22), c("ticket", 20.5, 19.5, 21.5), c("ttas", 14, 13, 15)])
        self.assertEqual(best["lock"], "mcs")
        self.assertEqual([x["lock"] for x in s], ["ticket", "mcs"])
        self.assertEqual(sorted(["ttas", "pthread-mutex", "cohort", "clh", "zz-new", "ticket"], key=ad.tie_key),
                         ["ticket", "clh", "cohort", "pthread-mutex", "ttas", "zz-new"])

    def test_fairness_classes(self):
        self.assertEqual(ad.fairness_class("mcs"), "fifo")
        self.assertEqual(ad.fairness_class("cna"), "bounded")
        for l in ("ttas", "tas", "ttas-backoff", "pthread-mutex", "pthread-spin", "ck-fas"):
            self.assertEqual(ad.fairness_class(l), "unfair", l)


class Interpolation(unittest.TestCase):
    def test_log_midpoint(self):
        """T=4 between T=2 and T=8 is the midpoint in log threads"""
        self.assertAlmostEqual(ad.interp_log(4, 2, 50e6, 8, 14e6), 32e6, places=3)

    def test_exact_formula(self):
        want = 50 + (math.log(3) - math.log(2)) / (math.log(8) - math.log(2)) * (14 - 50)
        self.assertAlmostEqual(ad.interp_log(3, 2, 50, 8, 14), want, places=12)
        self.assertNotAlmostEqual(ad.interp_log(3, 2, 50, 8, 14), 50 + (3 - 2) / 6.0 * (14 - 50), places=3)

    def test_neighbours(self):
        self.assertEqual(ad.neighbours(4, [1, 2, 8, 16], 8), (2, 8))
        self.assertIsNone(ad.neighbours(12, [1, 2, 8, 16], 8), "never across the PU count")
        self.assertIsNone(ad.neighbours(32, [1, 2, 8, 16], 64), "no extrapolation")
        self.assertIsNone(ad.neighbours(2, [2, 4], 8), "a measured T is not interpolated")


class Intervals(unittest.TestCase):
    def test_ci_first(self):
        self.assertEqual(ad.interval({"ci_lo": 9.0, "ci_hi": 11.0}, [1, 50]), (9.0, 11.0, "ci95", 0.95))

    def test_range_fallback(self):
        lo, hi, kind, cov = ad.interval({"ci_lo": None, "ci_hi": None}, [96.0, 94.0, 98.0])
        self.assertEqual((lo, hi, kind), (94.0, 98.0, "range"))
        self.assertAlmostEqual(cov, 0.75)
        self.assertAlmostEqual(ad.range_coverage(5), 0.9375)
        self.assertEqual(ad.interval({"ci_lo": None, "ci_hi": None}, [5.0])[2], "none")


class Fairness(unittest.TestCase):
    # clean: six repetitions close together, far above every line
    clean = {"starved_reps": 0, "reps": 6, "min_max_worst": 0.8, "jain_worst": 0.95,
             "min_max_reps": [0.8, 0.82, 0.81, 0.8, 0.83, 0.81], "jain_reps": [0.95, 0.951, 0.952, 0.95, 0.953, 0.951]}
    starved = {"starved_reps": 2, "reps": 6, "min_max_worst": 0.3, "jain_worst": 0.7,
               "min_max_reps": [0.3, 0.9, 0.4, 0.95, 0.9, 0.92], "jain_reps": [0.7, 0.99, 0.8, 0.99, 0.99, 0.99]}
    # what pthread-mutex measured at 2 threads on the development VM: no
    # starved rep, worst 0.66, but spread (2.4 standard deviations above 0.5)
    spread = {"starved_reps": 0, "reps": 6, "min_max_worst": 0.66, "jain_worst": 0.96,
              "min_max_reps": [0.926, 0.676, 0.913, 0.998, 0.982, 0.660],
              "jain_reps": [0.9985, 0.964, 0.9979, 0.99999, 0.9999, 0.9598]}

    def test_fifo(self):
        self.assertFalse(ad.admit("ttas", ("fifo", None), self.clean)[0], "a clean unfair lock is still not FIFO")
        self.assertFalse(ad.admit("cna", ("fifo", None), self.clean)[0])
        self.assertTrue(ad.admit("ticket", ("fifo", None), None)[0])

    def test_no_starvation_needs_a_measurement(self):
        self.assertTrue(ad.admit("pthread-mutex", ("no-starvation", None), self.clean)[0])
        self.assertFalse(ad.admit("ttas", ("no-starvation", None), self.starved)[0])
        self.assertFalse(ad.admit("ttas", ("no-starvation", None), None)[0], "unmeasured unfair lock")
        self.assertEqual(ad.admit("mcs", ("no-starvation", None), None)[2], "rule")
        self.assertFalse(ad.admit("mcs", ("no-starvation", None), self.starved)[0], "measurement beats the rule")

    def test_jain(self):
        self.assertTrue(ad.admit("ttas", ("jain", 0.9), self.clean)[0])
        self.assertFalse(ad.admit("ttas", ("jain", 0.96), self.clean)[0])

    def test_unfair_margin(self):
        """An unfair lock that passed every rep but varies from rep to rep is
        not admitted: a repeat starves at random (docs/advisor.md)."""
        ok, why, prov = ad.admit("pthread-mutex", ("no-starvation", None), self.spread)
        self.assertFalse(ok)
        self.assertIn("2.4 standard deviations", why)
        self.assertEqual(prov, "measured")
        # the same figures for a FIFO or bounded lock: the measured check alone
        self.assertTrue(ad.admit("mcs", ("no-starvation", None), self.spread)[0])
        self.assertTrue(ad.admit("cna", ("no-starvation", None), self.spread)[0])
        # what a fresh run showed (validation's truth): the measured check alone
        self.assertTrue(ad.admit("pthread-mutex", ("no-starvation", None), self.spread, predict=False)[0])
        self.assertFalse(ad.admit("pthread-mutex", ("jain", 0.9), self.spread)[0], "Jain spread too")
        # fewer than 3 repetitions cannot show how the fairness varies
        two = dict(self.clean, reps=2, min_max_reps=[0.9, 0.95], jain_reps=[0.99, 0.99])
        self.assertIn("too few", ad.admit("ttas", ("no-starvation", None), two)[1])
        # reps that do not vary: infinitely far above the line
        flat = dict(self.clean, min_max_reps=[1.0] * 6, min_max_worst=1.0)
        self.assertTrue(ad.admit("ttas", ("no-starvation", None), flat)[0])

    def test_fairness_margin(self):
        self.assertIsNone(ad.fairness_margin([0.9, 0.8], 0.5))
        self.assertEqual(ad.fairness_margin([0.7, 0.7, 0.7], 0.5), math.inf)
        # mean 0.8, sd 0.1 (n - 1): 3 deviations above 0.5
        self.assertAlmostEqual(ad.fairness_margin([0.7, 0.8, 0.9], 0.5), 3.0)

    def test_parse(self):
        self.assertEqual(ad.parse_fairness("jain:0.9"), ("jain", 0.9))
        for bad in ("fair", "jain:0", "jain:1.5", "jain:x", ""):
            self.assertRaises(ad.AdviceError, ad.parse_fairness, bad)


class Regime(unittest.TestCase):
    def test_thresholds(self):
        # rho = T (cs + H) / (think + cs + u)
        self.assertEqual(ad.classify(4, 2, 10, 100, 0, 0)[0], "oversubscribed")
        self.assertEqual(ad.classify(1, 8, 10, None, 0, 0)[0], "lock-bound uncontended")
        self.assertEqual(ad.classify(1, 8, 10, None, 0, 10000, 20)[0], "negligible lock cost")
        r, n, _ = ad.classify(2, 8, 10, 100, 0, 0)
        self.assertEqual((r, round(n["rho"], 6)), ("saturated", 20.0))
        # rho = 2 * 100 / (390 + 10) = 0.5: the knee starts here
        self.assertEqual(ad.classify(2, 8, 10, 100, 0, 390)[0], "near the knee")
        self.assertEqual(ad.classify(2, 8, 10, 100, 0, 391)[0], "negligible lock cost", "u share 2.5%")
        # rho = 2 * 10 / 600 < 0.5 but u = 100 ns is 16.7% of the period
        self.assertEqual(ad.classify(2, 8, 100, 10, 0, 500)[0], "lock-bound uncontended")
        # rho = 2 * 100 / (123.33 + 10) = 1.5: saturated from here
        self.assertEqual(ad.classify(2, 8, 10, 100, 0, 400.0 / 3 - 10)[0], "saturated")
        self.assertEqual(ad.classify(2, 8, 10, 100, 0, 400.0 / 3 - 9)[0], "near the knee")
        self.assertEqual(ad.classify(2, 8, None, 100, 0, 0)[0], "unknown")
        self.assertEqual(ad.classify(2, 8, 10, None, 0, 0)[0], "unknown")


class Workload(unittest.TestCase):
    def test_normalise(self):
        a = ad.normalize_workload(ad.parse_param_line(
            "cs=100ns think=exp:500ns cs-lines=0 data=separate locks=1 read-ratio=0 hold-limit=25us ds=none"))
        b = ad.normalize_workload({"cs": "0.1us", "think": "exp:500ns", "hold-limit": "1ms"})
        self.assertEqual(a, b, "units normalised, hold-limit ignored")
        self.assertEqual(ad.think_mean(ad.parse_think("uniform:2us-4us")), 3000.0)
        self.assertNotEqual(a, ad.normalize_workload({"cs": "100ns", "think": "500ns"}))
        self.assertRaises(ad.AdviceError, ad.normalize_workload, {"cs": "5"})

    def test_describe(self):
        w = ad.normalize_workload({"cs": "100ns", "think": "uniform:2us-4us", "writers": "1"})
        self.assertEqual(ad.describe_workload(w),
                         "cs=100ns think=uniform:2us-4us cs-lines=0 data=separate locks=1 writers=1 ds=none")


class Collapse(unittest.TestCase):
    def test_queue_spin(self):
        """queue-order spin locks collapse above the PU count; parking and unfair locks are not among them"""
        self.assertEqual([l for l in ("ticket", "mcs", "clh", "qspin", "cna", "rw-phasefair", "ttas",
                                      "pthread-spin", "pthread-mutex", "pthread-rwlock") if ad.queue_spin(l)],
                         ["ticket", "mcs", "clh", "qspin", "cna", "rw-phasefair"])

    def test_collapsed(self):
        """collapsed: preempted in more than half the reps AND below 10% of the best lock at T"""
        f = {"median": 400.0, "preempted_reps": 6, "reps": 6}
        self.assertTrue(ad.collapsed(f, 55e6))
        self.assertTrue(ad.collapsed(dict(f, median=5.4e6 - 1), 54e6))
        self.assertFalse(ad.collapsed(dict(f, median=5.4e6), 54e6), "exactly 10% is no collapse")
        self.assertFalse(ad.collapsed(dict(f, preempted_reps=3), 55e6), "preempted in half the reps only")
        self.assertTrue(ad.collapsed(dict(f, preempted_reps=4), 55e6))
        self.assertFalse(ad.collapsed(dict(f, preempted_reps=None), 55e6), "interpolated: no measured collapse")
        self.assertFalse(ad.collapsed(f, None))
        self.assertFalse(ad.collapsed(None, 55e6))

    def test_times(self):
        self.assertEqual(ad.times(111072.4), "111,000")
        self.assertEqual(ad.times(24.0), "24")
        self.assertEqual(ad.times(12.345), "12.3")


class Confirm(unittest.TestCase):
    def test_duration(self):
        """locks x threads x reps x (warm-up + window + latency phase)"""
        self.assertAlmostEqual(ad.confirm_duration_s(3, 1, 6, 50e6, 200e6, 100e6), 6.3)



def row(thread, pu, core, l3, node, package):
    return {"thread": thread, "pu": pu, "core": core, "l3": l3, "node": node, "package": package}


class Model(unittest.TestCase):
    """The cross-machine model: the chain, the fit, the successor's distance."""

    def test_chain_limits(self):
        """1 thread: 1/(Z+S+u); no think time: 1/(S+h(T)); long think: T/(Z+S+u)"""
        h = lambda k: 10.0 + 100.0 + 5.0 * (k - 2)  # noqa: E731
        self.assertAlmostEqual(ad.chain_throughput(1, 50, 1000, 10, h), 1e9 / 1060)
        self.assertAlmostEqual(ad.chain_throughput(8, 50, 0, 10, h), 1e9 / (50 + 140))
        x = ad.chain_throughput(8, 50, 1e7, 10, h)
        self.assertLess(abs(x / (8e9 / (1e7 + 60)) - 1), 1e-3)
        # a constant handoff: throughput grows with threads up to the knee and then settles at the
        # contended capacity 1/(S + h) (a little above it near the knee, where some acquisitions
        # still find the lock free and cost only u)
        hc = lambda k: 110.0  # noqa: E731
        xs = [ad.chain_throughput(t, 50, 2000, 10, hc) for t in range(1, 41)]
        self.assertTrue(all(b > a for a, b in zip(xs[:19], xs[1:19])), xs)
        self.assertTrue(all(x < 1e9 / 60 for x in xs))
        self.assertLess(abs(xs[-1] / (1e9 / 160) - 1), 1e-5)

    def test_fit_recovers(self):
        """points made by the chain from u, m, s give them back (cs and think included)"""
        u, m, s, c = 10.0, 3.0, 0.5, 40.0
        pts = [(t, ad.chain_throughput(t, 100, 500, u, lambda k: u + m * c + s * max(0, k - 2) * c), c)
               for t in (2, 4, 8)]
        p = ad.fit_lock(u, pts, 100, 500)
        self.assertAlmostEqual(p["m"], m, places=6)
        self.assertAlmostEqual(p["s"], s, places=6)
        self.assertTrue(p["slope_fitted"])
        self.assertLess(p["max_residual"], 1e-6)

    def test_fit_one_point(self):
        """one thread count: m from it, s not fitted (0)"""
        p = ad.fit_lock(10.0, [(2, 1e9 / 210.0, 50.0)])
        self.assertAlmostEqual(p["m"], 4.0)
        self.assertEqual((p["s"], p["slope_fitted"]), (0.0, False))
        self.assertIsNone(ad.fit_lock(10.0, [(1, 1e8, 50.0)]))

    def test_successor_mix(self):
        """4 threads, 2 per node: FIFO 1/3 local, 2/3 remote; NUMA-aware local in all but 1 of 64"""
        rows = [row(0, 0, 0, 0, 0, 0), row(1, 1, 1, 0, 0, 0), row(2, 8, 8, 1, 1, 1), row(3, 9, 9, 1, 1, 1)]
        fifo = ad.successor_mix(rows, False)
        self.assertAlmostEqual(fifo["l3"], 1 / 3)
        self.assertAlmostEqual(fifo["remote"], 2 / 3)
        na = ad.successor_mix(rows, True)
        self.assertAlmostEqual(na["l3"], 63 / 64)
        self.assertAlmostEqual(na["remote"], 1 / 64)
        c, miss = ad.mean_floor(fifo, {"l3": 30.0, "remote": 150.0})
        self.assertAlmostEqual(c, 110.0)
        self.assertEqual(miss, [])
        self.assertEqual(ad.mean_floor(fifo, {"l3": 30.0})[1], ["remote"])

    def test_pair_class(self):
        """as harness/topo.c: smt, l3, numa (same node), package, remote"""
        a = row(0, 0, 0, 0, 0, 0)
        self.assertEqual(ad.pair_class(a, row(1, 1, 0, 0, 0, 0)), "smt")
        self.assertEqual(ad.pair_class(a, row(1, 2, 1, 0, 0, 0)), "l3")
        self.assertEqual(ad.pair_class(a, row(1, 3, 2, 1, 0, 0)), "numa")
        self.assertEqual(ad.pair_class(a, row(1, 4, 3, 2, 1, 0)), "package")
        self.assertEqual(ad.pair_class(a, row(1, 5, 4, 3, 2, 1)), "remote")
        self.assertEqual(ad.pair_class(row(0, 0, 0, -1, 0, 0), row(1, 1, 1, -1, 0, 0)), "numa")

    def test_plan_and_floors(self):
        """the plan table (with '-' for no L3) and the floors from c2c rows or CLASS=NS"""
        t = "# placement cores\nthread    pu  core   l3 node package  class\n     0     0     0    -    1       0  self\n" \
            "     1     4     2    -    0       1  remote\n\n# thread pairs by distance class: remote 1\n"
        self.assertEqual(ad.parse_plan(t), [row(0, 0, 0, -1, 1, 0), row(1, 4, 2, -1, 0, 1)])
        self.assertEqual(ad.class_floors([{"class": "l3", "median_ns": v} for v in (30.0, 10.0, 20.0, 40.0)] +
                                         [{"class": "remote", "median_ns": 90.0}]), {"l3": 25.0, "remote": 90.0})
        self.assertEqual(ad.parse_floors("l3=40,remote=180ns"), {"l3": 40.0, "remote": 180.0})
        for bad in ("far=1", "l3=0", "l3=x", "l3", "self=3"):
            with self.assertRaises(ad.AdviceError):
                ad.parse_floors(bad)

if __name__ == "__main__":
    sys.exit(unit_lines.main(__name__))
