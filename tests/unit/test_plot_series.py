#!/usr/bin/env python3
"""test_plot_series - unit tests of the pure parts of the plotting scripts:
the derived series of plot/sbseries.py (CDF, per-thread shares, heatmap
cells, per-lock series, the gnuplot data they become), gnuplot's by-name
parameters (sbresults.gp_value) and plot-results' table of figures.  Small
hand-made inputs with known outputs; Python 3 standard library only.

    python3 tests/unit/test_plot_series.py          (unittest's own output)
    python3 tests/unit/test_plot_series.py --lines  (one line per test for
        tests/e2e/test_plot.sh: "ok<TAB>name", "not ok<TAB>name<TAB>why" or
        "skip<TAB>name<TAB>why"; exit 1 if any failed)
"""

import importlib.machinery
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import unittest

sys.dont_write_bytecode = True   # no __pycache__ in plot/ or tests/
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "plot"))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import unit_lines  # noqa: E402
import sbresults as sb  # noqa: E402
import sbseries as ss  # noqa: E402


def load_plot_results():
    """plot-results as a module (its file name has no .py)."""
    path = os.path.join(ROOT, "plot-results")
    loader = importlib.machinery.SourceFileLoader("plot_results", path)
    spec = importlib.util.spec_from_loader("plot_results", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def cfg(lock, threads, **kw):
    return dict(lock=lock, threads=threads, **kw)


class PerLock(unittest.TestCase):
    def test_configs_medians(self):
        """per_lock: lock order as given, rows sorted by threads, NA rows and empty locks left out"""
        rows = [cfg("mcs", 4, t=40.0, q=None), cfg("ttas", 2, t=20.0, q=2.0),
                cfg("ttas", 1, t=10.0, q=1.0), cfg("mcs", 1, t=11.0, q=1.5),
                cfg("clh", 1, t=None, q=3.0)]
        self.assertEqual(ss.per_lock(rows, ["ttas", "mcs", "clh", "tas"], ["t", "q"]), [
            ("ttas", [[1, 10.0, 1.0], [2, 20.0, 2.0]]),
            ("mcs", [[1, 11.0, 1.5]])])

    def test_repetitions(self):
        """per_lock: one row per repetition (summary.csv), an absent column reads as NA"""
        rows = [cfg("ttas", 2, spins_per_op=3.0), cfg("ttas", 1, spins_per_op=5.0),
                cfg("ttas", 2, spins_per_op=1.0), cfg("mcs", 2)]
        self.assertEqual(ss.per_lock(rows, ["ttas", "mcs"], ["spins_per_op"]),
                         [("ttas", [[1, 5.0], [2, 1.0], [2, 3.0]])])

    def test_top_threads(self):
        """top_threads: the largest thread count and the locks measured there, in lock order"""
        rows = [cfg("ttas", 1), cfg("ttas", 8), cfg("mcs", 4), cfg("clh", 8)]
        self.assertEqual(ss.top_threads(rows, ["clh", "mcs", "ttas"]), (8, ["clh", "ttas"]))
        self.assertEqual(ss.top_threads([], ["ttas"]), (None, []))


def hist(lock, threads, rep, metric, lo, w, count):
    return dict(lock=lock, threads=threads, rep=rep, metric=metric,
                bucket_lower_ns=lo, bucket_width_ns=w, count=count)


class LatencyCdf(unittest.TestCase):
    ROWS = [hist("ttas", 4, 0, "acquire", 20.0, 4.0, 30.0),
            hist("ttas", 4, 0, "acquire", 10.0, 1.0, 50.0),
            hist("ttas", 4, 1, "acquire", 10.0, 1.0, 20.0),   # rep 1: merged with rep 0
            hist("ttas", 4, 0, "handoff", 10.0, 1.0, 999.0),  # another metric
            hist("ttas", 2, 0, "acquire", 10.0, 1.0, 999.0),  # another thread count
            hist("mcs", 4, 0, "acquire", 40.0, 8.0, None),    # NA count
            hist("mcs", 4, 0, "acquire", 100.0, 16.0, 4.0)]

    def test_merged_cdf(self):
        """latency_cdf: repetitions merged, buckets in order, x = bucket upper bound, y = cumulative fraction"""
        self.assertEqual(ss.latency_cdf(self.ROWS, ["ttas", "mcs"], 4), [
            ("ttas", [[11.0, 0.7], [24.0, 1.0]]),
            ("mcs", [[48.0, 0.0], [116.0, 1.0]])])

    def test_other_metric_and_empty_lock(self):
        """latency_cdf: the metric asked for only; a lock without counts is dropped"""
        self.assertEqual(ss.latency_cdf(self.ROWS, ["clh", "ttas"], 4, "handoff"),
                         [("ttas", [[11.0, 1.0]])])
        self.assertEqual(ss.latency_cdf(self.ROWS, ["ttas"], 16), [])


def thr(lock, threads, rep, thread, acq):
    return dict(lock=lock, threads=threads, rep=rep, thread=thread, acquisitions=acq)


class ThreadShares(unittest.TestCase):
    def test_shares(self):
        """thread_shares: each thread's % of its repetition's acquisitions, every repetition, sorted"""
        rows = [thr("ttas", 2, 0, 0.0, 300.0), thr("ttas", 2, 0, 1.0, 100.0),
                thr("ttas", 2, 1, 0.0, 50.0), thr("ttas", 2, 1, 1.0, 50.0),
                thr("ttas", 1, 0, 0.0, 999.0),                       # another thread count
                thr("mcs", 2, 0, 0.0, 0.0), thr("mcs", 2, 0, 1.0, 0.0),  # total 0
                thr("clh", 2, 0, 0.0, None)]                         # NA
        self.assertEqual(ss.thread_shares(rows, ["ttas", "mcs", "clh"], 2), [
            ("ttas", [[0, 50.0], [0, 75.0], [1, 25.0], [1, 50.0]]),
            ("mcs", [[0, 0.0], [1, 0.0]])])


def ho(lock, threads, rep, a, b, count):
    return dict(lock=lock, threads=threads, rep=rep, from_pu=a, to_pu=b, count=count)


class Heatmaps(unittest.TestCase):
    def test_handoff_cells(self):
        """handoff_cells: counts per (from, to) summed over repetitions; 0 and NA left out"""
        rows = [ho("ttas", 4, 0, 0.0, 1.0, 11.0), ho("ttas", 4, 1, 0.0, 1.0, 4.0),
                ho("ttas", 4, 0, 1.0, 0.0, 7.0), ho("ttas", 4, 0, 2.0, 0.0, 0.0),
                ho("ttas", 4, 0, 3.0, 0.0, None), ho("ttas", 2, 0, 0.0, 1.0, 99.0),
                ho("mcs", 4, 0, 0.0, 1.0, 99.0)]
        self.assertEqual(ss.handoff_cells(rows, "ttas", 4), {(0, 1): 15.0, (1, 0): 7.0})
        self.assertEqual(ss.handoff_cells(rows, "clh", 4), {})

    def test_c2c_cells(self):
        """c2c_cells: a pair listed once fills both ways; listed both ways keeps each; NA left out"""
        rows = [dict(from_pu=0.0, to_pu=1.0, median_ns=40.0),
                dict(from_pu=0.0, to_pu=2.0, median_ns=90.0),
                dict(from_pu=2.0, to_pu=0.0, median_ns=95.0),
                dict(from_pu=1.0, to_pu=2.0, median_ns=None)]
        self.assertEqual(ss.c2c_cells(rows), {(0, 1): 40.0, (1, 0): 40.0,
                                              (0, 2): 90.0, (2, 0): 95.0})

    def test_grid(self):
        """grid: PUs sorted, positions and tics, one row per releasing PU, NA where no cell"""
        pus, tics, rows = ss.grid({(16, 0): 7.0, (0, 16): 5.0})
        self.assertEqual(pus, [0, 16])
        self.assertEqual(tics, "'0' 0, '16' 1")
        self.assertEqual(rows, [[[0, 0, None], [1, 0, 5.0]],
                                [[0, 1, 7.0], [1, 1, None]]])
        self.assertEqual(ss.grid_text(rows), "0 0 NaN\n1 0 5.0\n\n0 1 7.0\n1 1 NaN\n\n")

    def test_grid_one_pu(self):
        """grid: a single PU is a one-cell grid (plot-results draws none below two)"""
        self.assertEqual(ss.grid({(3, 3): 1.0}), ([3], "'3' 0", [[[0, 0, 1.0]]]))


class Data(unittest.TestCase):
    def test_blocks(self):
        """blocks: a '# name' line, rows as floats (NA: NaN), two blank lines per block"""
        self.assertEqual(ss.blocks([("ttas", [[1, 2.5], [2, None]]), ("mcs", [[1, 3]])]),
                         "# ttas\n1.0 2.5\n2.0 NaN\n\n\n# mcs\n1.0 3.0\n\n\n")
        self.assertEqual(ss.blocks([]), "")


class GnuplotValues(unittest.TestCase):
    TRICKY = ["plain", "it's", "''", "a\nb", "tab\there", "back\\slash\\n", "`echo no`",
              "@NAMES@ @names", "x'`date`'@y", '"dq" \\047', "%s {} #;", "é 中", "", "'",
              "'0' 0, '16' 1", "o'brien @NAMES@ `date` \\"]

    def test_literals(self):
        """gp_value: numbers as numbers, NA as NaN, quotes and line breaks as double-quoted escapes"""
        self.assertEqual([sb.gp_value(v) for v in (1, 1.05, 0.0, True, False, None, float("nan"))],
                         ["1", "1.05", "0.0", "1", "0", "NaN", "NaN"])
        self.assertEqual(sb.gp_value("ttas mcs"), "'ttas mcs'")
        self.assertEqual(sb.gp_value("it's\n"), "'it'.\"\\047\".'s'.\"\\n\"")
        self.assertEqual(sb.gp_value(""), "''")
        self.assertEqual(sb.gp_assignments({"a": "x", "n": 2}), "a = 'x'; n = 2")
        with self.assertRaises(ValueError):
            sb.gp_assignments({"a b": 1})

    @unittest.skipIf(shutil.which("gnuplot") is None, "gnuplot not installed")
    def test_round_trip(self):
        """gp_value: gnuplot reads every tricky string back as written (no escapes, `commands` or @macros)"""
        assign = sb.gp_assignments({"NAMES": "zz", "names": "zz"})
        assign += "; " + "; ".join("v%d = %s" % (i, sb.gp_value(v)) for i, v in enumerate(self.TRICKY))
        show = "; ".join('print v%d."<END>"' % i for i in range(len(self.TRICKY)))
        p = subprocess.run(["gnuplot", "-e", assign, "-e", show], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        got = p.stderr.decode("utf-8", "replace").split("<END>\n")[:len(self.TRICKY)]
        self.assertEqual(got, self.TRICKY)


class Colours(unittest.TestCase):
    def test_lock_colour(self):
        """lock_colour: the hand-picked colour where listed, else a stable '#rrggbb' from the name"""
        self.assertEqual(sb.lock_colour("ttas"), "#1f77b4")
        h = sb.lock_colour("no-such-lock")
        self.assertRegex(h, r"^#[0-9a-f]{6}$")
        self.assertEqual(h, sb.lock_colour("no-such-lock"))
        self.assertNotIn(h, sb.LOCK_COLOURS.values())


class FigureTable(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pr = load_plot_results()

    def test_scripts_and_sources(self):
        """FIGURES: every script exists in plot/, every source kind is one the loop knows"""
        known = {"configs", "reps", "cdf", "shares", "handoffs", "c2c"}
        for fig in self.pr.FIGURES:
            self.assertTrue(os.path.isfile(os.path.join(ROOT, "plot", fig.script)), fig.script)
            self.assertIn(fig.source[0], known, fig.stem)
            self.assertIn(fig.each, (None, "config_counter", "rep_counter", "lock"), fig.stem)

    def test_params_are_read(self):
        """FIGURES: every parameter a figure passes by name is one its script reads"""
        for fig in self.pr.FIGURES:
            with open(os.path.join(ROOT, "plot", fig.script)) as f:
                text = f.read()
            for name in fig.params:
                self.assertRegex(text, r"\b%s\b" % re.escape(name), "%s: %s" % (fig.script, name))

    def test_counter_reason(self):
        """counter_reason: the reason of meta.json's counters list, matched by the column's name"""
        meta = {"counters": [{"name": "l1d_miss", "available": False, "reason": "no PMU"},
                             {"name": "llc_miss", "available": True, "reason": ""}]}
        self.assertEqual(self.pr.counter_reason(meta, "l1d_miss_per_op"), " (no PMU)")
        self.assertEqual(self.pr.counter_reason(meta, "llc_miss_per_op"), "")
        self.assertEqual(self.pr.counter_reason({}, "l1d_miss_per_op"), "")


if __name__ == "__main__":
    sys.exit(unit_lines.main(__name__))
