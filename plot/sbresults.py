"""sbresults - read spinbench result folders; shared by plot-results and
compare-results.

Contract: every reader either returns clean data or raises ResultError with
one line naming the file, and the line and column where it applies; the
scripts print that line on stderr and exit 2.  NA (and empty) cells become
None, never 0.  Python 3 standard library only.
"""

import colorsys
import csv
import hashlib
import html
import json
import math
import os
import re
import shutil
import subprocess

PLOT_DIR = os.path.dirname(os.path.abspath(__file__))
PNG_SIZE = (800, 500)   # pixels; tests/test_plot.sh checks the PNG header


class ResultError(Exception):
    """A folder, file or column that is not what the result format promises."""


# ---------------------------------------------------------------- colours
# A fixed colour per registered lock, so that a lock looks the same in every
# plot of every run and every machine.  A name not listed here (a lock added
# later) gets a colour hashed from its name: stable too, just not hand-picked.
LOCK_COLOURS = {
    "tas": "#8c564b", "ttas": "#1f77b4", "ttas-backoff": "#17becf",
    "ticket": "#2ca02c",
    "mcs": "#d62728", "clh": "#ff7f0e", "qspin": "#9467bd",
    "rw-wpref": "#e377c2", "rw-rpref": "#bcbd22", "rw-phasefair": "#7f7f7f",
    "rw-queued": "#393b79",
    "pthread-spin": "#637939", "pthread-mutex": "#000000",
    "pthread-rwlock": "#843c39", "ck-fas": "#5254a3", "ck-ticket": "#8ca252",
    "ck-mcs": "#bd9e39", "ck-clh": "#ad494a", "ck-rwlock": "#a55194",
    "cohort": "#e6550d", "cna": "#31a354", "hmcs": "#6b6ecf",
    "none": "#aaaaaa",
}


def lock_colour(name):
    """The lock's colour as '#rrggbb'; a pure function of the name."""
    if name in LOCK_COLOURS:
        return LOCK_COLOURS[name]
    h = hashlib.md5(name.encode()).digest()
    r, g, b = colorsys.hls_to_rgb(h[0] / 255.0, 0.35 + h[1] / 255.0 * 0.2, 0.75)
    return "#%02x%02x%02x" % (int(r * 255), int(g * 255), int(b * 255))


# ---------------------------------------------------------------- reading
def parse_num(s):
    """'NA' or '' -> None; a number -> float; anything else -> ValueError."""
    s = s.strip()
    if s in ("", "NA", "na", "nan", "NaN"):
        return None
    return float(s)


def read_csv(path, required, numeric):
    """Rows of a CSV file as dicts.  Every name in `required` must be a
    column; cells of `numeric` columns (those present) are parsed with
    parse_num.  Raises ResultError with one line on any defect."""
    name = os.path.basename(path)
    try:
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
    except OSError as e:
        raise ResultError("%s: cannot read: %s" % (path, e.strerror))
    except (csv.Error, UnicodeDecodeError) as e:
        raise ResultError("%s: not a CSV file: %s" % (path, e))
    if not rows or not rows[0]:
        raise ResultError("%s: empty file, no header line" % path)
    header = [h.strip() for h in rows[0]]
    missing = [c for c in required if c not in header]
    if missing:
        raise ResultError("%s: missing column%s %s" % (
            path, "s" if len(missing) > 1 else "",
            ", ".join("'%s'" % c for c in missing)))
    out = []
    for ln, r in enumerate(rows[1:], start=2):
        if not r or (len(r) == 1 and not r[0].strip()):
            continue
        if len(r) != len(header):
            raise ResultError("%s line %d: %d fields, the header has %d" % (
                path, ln, len(r), len(header)))
        d = dict(zip(header, r))
        for c in numeric:
            if c in d:
                try:
                    d[c] = parse_num(d[c])
                except ValueError:
                    raise ResultError("%s line %d: column '%s': '%s' is not a number or NA" % (
                        path, ln, c, d[c]))
        out.append(d)
    del name
    return out, header


SUMMARY_REQUIRED = ["lock", "workload", "threads", "rep", "throughput_ops_s",
                    "jain", "handoff_p50_ns", "handoff_p99_ns", "violations",
                    "oversubscribed"]
SUMMARY_NUMERIC = ["threads", "rep", "pus", "duration_s", "acquisitions",
                   "throughput_ops_s", "jain", "min_max_ratio",
                   "fairness_factor", "starved", "handoffs", "reacquires",
                   "idle_acquires", "handoff_p50_ns", "handoff_p90_ns",
                   "handoff_p99_ns", "handoff_p999_ns", "handoff_max_ns",
                   "acquire_p50_ns", "acquire_p99_ns", "acquire_max_ns",
                   "hold_p50_ns", "violations", "oversubscribed", "invol_csw",
                   "preempted", "steal_ms",
                   "read_acquire_p50_ns", "write_acquire_p50_ns"]
# configs.csv: one row per configuration, the figures over its repetitions as
# spinbench computed them (harness/aggregate.c: the project's one median).
# CONFIGS_REQUIRED is what every reader needs; CONFIGS_FLAGS what report.html
# marks.
CONFIGS_REQUIRED = ["lock", "workload", "placement", "threads", "reps",
                    "throughput_ops_s", "jain", "handoff_p50_ns"]
CONFIGS_FLAGS = ["throughput_q1", "throughput_q3", "throughput_ci_lo",
                 "throughput_ci_hi", "unstable", "handoff_p99_ns",
                 "timed_slowdown", "timed_slow", "handoff_consistency",
                 "inconsistent_reps", "clock_suspect_reps",
                 "below_resolution_reps", "violations", "oversubscribed",
                 "starved_reps", "preempted_reps"]
CONFIGS_NUMERIC = ["threads", "reps", "throughput_ops_s", "throughput_q1",
                   "throughput_q3", "throughput_ci_lo", "throughput_ci_hi",
                   "unstable", "jain", "handoff_p50_ns", "handoff_p99_ns",
                   "read_acquire_p50_ns", "write_acquire_p50_ns", "hold_p50_ns",
                   "cs_ns", "think_mean_ns", "timed_slowdown", "timed_slow",
                   "handoff_consistency", "inconsistent_reps",
                   "clock_suspect_reps", "below_resolution_reps", "violations",
                   "oversubscribed", "starved_reps", "preempted_reps",
                   "long_holds", "read_share"]
THREADS_REQUIRED = ["lock", "threads", "rep", "thread", "acquisitions"]
HANDOFFS_REQUIRED = ["lock", "threads", "rep", "from_pu", "to_pu", "count"]
HIST_REQUIRED = ["lock", "threads", "rep", "metric", "bucket_lower_ns",
                 "bucket_width_ns", "count"]
C2C_REQUIRED = ["from_pu", "to_pu", "median_ns"]
C2C_NUMERIC = ["from_pu", "to_pu", "median_ns", "min_ns", "samples", "offset_ns"]


class Folder:
    """One result folder: meta, summary rows (one per repetition), configs
    rows (one per configuration, configs.csv) and, loaded on demand, the
    other files.  Raises ResultError if it is not a result folder: no
    summary.csv, meta.json or configs.csv, a missing column, a malformed
    value, or a configuration of summary.csv that configs.csv lacks.

    A folder may have no configurations at all (a --c2c run without --lock:
    both CSV files hold a header and no row); the callers decide what that
    means (self.configs_rows is then empty)."""

    def __init__(self, path, required=SUMMARY_REQUIRED, configs_required=CONFIGS_REQUIRED):
        self.path = path
        if not os.path.isdir(path):
            raise ResultError("%s: not a result folder (no such directory)" % path)
        for f in ("summary.csv", "meta.json", "configs.csv"):
            if not os.path.isfile(os.path.join(path, f)):
                raise ResultError("%s: not a result folder (no %s)" % (path, f))
        try:
            with open(os.path.join(path, "meta.json")) as f:
                self.meta = json.load(f)
        except (OSError, ValueError) as e:
            raise ResultError("%s: not valid JSON: %s" % (os.path.join(path, "meta.json"), e))
        if not isinstance(self.meta, dict):
            raise ResultError("%s: not a JSON object" % os.path.join(path, "meta.json"))
        spath = os.path.join(path, "summary.csv")
        self.summary, self.header = read_csv(spath, required, [])
        self.counter_cols = [c for c in self.header if c.endswith("_per_op")]
        numeric = SUMMARY_NUMERIC + self.counter_cols
        self.summary, _ = read_csv(spath, required, numeric)
        for r in self.summary:
            if r["threads"] is None:
                raise ResultError("%s: a row has threads NA" % spath)
            r["threads"] = int(r["threads"])
        cpath = os.path.join(path, "configs.csv")
        _, self.configs_header = read_csv(cpath, configs_required, [])
        # counters per acquisition of which configs.csv holds the median
        self.config_counter_cols = [c for c in self.configs_header if c.endswith("_per_op")]
        self.configs_rows, _ = read_csv(cpath, configs_required,
                                        CONFIGS_NUMERIC + self.config_counter_cols)
        keys = set()
        for r in self.configs_rows:
            for c in ("threads", "reps"):
                if r[c] is None:
                    raise ResultError("%s: a row has %s NA" % (cpath, c))
                r[c] = int(r[c])
            keys.add((r["lock"], r["workload"], r.get("placement", ""), r["threads"]))
        for r in self.summary:
            k = (r["lock"], r["workload"], r.get("placement", ""), r["threads"])
            if k not in keys:
                raise ResultError("%s: no row for %s (%s) at %d threads, which summary.csv has" % (
                    cpath, k[0], k[1], k[3]))

    @property
    def machine(self):
        m = self.meta.get("machine")
        if not m:
            rows = self.configs_rows or self.summary
            m = (rows[0].get("machine") if rows else None) or os.path.basename(os.path.normpath(self.path))
        return str(m)

    @property
    def workloads(self):
        return sorted({r["workload"] for r in self.configs_rows})

    @property
    def pus(self):
        t = self.meta.get("topology")
        if isinstance(t, dict) and isinstance(t.get("pus"), (int, float)) and t["pus"] > 0:
            return int(t["pus"])
        return None

    def locks(self):
        """Lock names in the run's order (meta.json 'locks', then as met)."""
        seen = []
        for n in (self.meta.get("locks") or []):
            if any(r["lock"] == n for r in self.configs_rows) and n not in seen:
                seen.append(n)
        for r in self.configs_rows:
            if r["lock"] not in seen:
                seen.append(r["lock"])
        return seen

    def optional(self, name, required, numeric):
        p = os.path.join(self.path, name)
        if not os.path.isfile(p):
            return None
        rows, _ = read_csv(p, required, numeric)
        return rows


# ---------------------------------------------------------------- configurations
def configurations(folder):
    """One dict per configuration (lock, workload, placement, threads), in
    the run's lock order, from configs.csv: the medians over repetitions as
    spinbench computed them, the throughput's quartiles (IQR) and 95%
    interval, and the flags.  Nothing here takes a median or a quantile:
    configs.csv is the one place they come from.  A column the caller did
    not require (Folder's configs_required) and the file lacks reads as NA,
    its flag as not raised."""
    order = {n: i for i, n in enumerate(folder.locks())}
    rows = sorted(folder.configs_rows, key=lambda r: (
        order.get(r["lock"], 1e9), r["workload"], r.get("placement", ""), r["threads"]))

    def count(r, c):
        v = r.get(c)
        return int(v) if v is not None else 0

    out = []
    for r in rows:
        q1, q3 = r.get("throughput_q1"), r.get("throughput_q3")
        c = {
            "lock": r["lock"], "workload": r["workload"], "placement": r.get("placement", ""),
            "threads": r["threads"], "family": r.get("family", ""),
            "reps": r["reps"],
            "throughput": r["throughput_ops_s"], "q1": q1, "q3": q3,
            "iqr": (q3 - q1) if q1 is not None and q3 is not None else None,
            "ci_lo": r.get("throughput_ci_lo"), "ci_hi": r.get("throughput_ci_hi"),
            "unstable": r.get("unstable") == 1,
            "jain": r["jain"],
            "handoff_p50": r["handoff_p50_ns"],
            "handoff_p99": r.get("handoff_p99_ns"),
            "read_p50": r.get("read_acquire_p50_ns"),
            "write_p50": r.get("write_acquire_p50_ns"),
            "timed_slowdown": r.get("timed_slowdown"),
            "timed_slow": r.get("timed_slow") == 1,
            "consistency": r.get("handoff_consistency"),
            "inconsistent_reps": count(r, "inconsistent_reps"),
            "clock_suspect_reps": count(r, "clock_suspect_reps"),
            "below_resolution_reps": count(r, "below_resolution_reps"),
            "violations": count(r, "violations"),
            "oversubscribed": count(r, "oversubscribed") > 0,
            "starved_reps": count(r, "starved_reps"),
            "preempted_reps": count(r, "preempted_reps"),
        }
        for cc in folder.config_counter_cols:
            c[cc] = r.get(cc)
        c["starved"] = c["starved_reps"] * 2 > c["reps"]
        c["noisy"] = bool(c["throughput"] and c["iqr"] is not None
                          and c["iqr"] > 0.10 * c["throughput"])
        out.append(c)
    return out


# ---------------------------------------------------------------- formatting
def median_ci(values, conf=0.95):
    """The distribution-free interval of the median that harness/stats.c's
    sb_median_ci computes (the same definition): the order statistics
    [x(j), x(m+1-j)] (1-based, NaN left out) with the largest j such that
    P(Bin(m, 1/2) <= j-1) <= (1 - conf)/2.  -> (lo, hi), or (None, None)
    when m is too small for conf (below 6 at 95%)."""
    xs = sorted(x for x in values if x is not None and x == x)
    m = len(xs)
    alpha, cdf, j = (1.0 - conf) / 2.0, 0.0, 0
    for k in range(m):
        cdf += math.comb(m, k) / 2.0 ** m
        if cdf > alpha:
            break
        j = k + 1
    if j == 0:
        return None, None
    return xs[j - 1], xs[m - j]


def si(v, unit=""):
    """12345678 -> '12.35M'; None -> 'NA'."""
    if v is None:
        return "NA"
    a = abs(v)
    for f, p in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= f:
            return "%.2f%s%s" % (v / f, p, unit)
    if v == int(v):
        return "%d%s" % (v, unit)
    return "%.3g%s" % (v, unit)


def ns(v):
    """Nanoseconds for a human: 250 -> '250ns', 113900 -> '113.9us'."""
    if v is None:
        return "NA"
    for f, u in ((1e9, "s"), (1e6, "ms"), (1e3, "us")):
        if abs(v) >= f:
            return "%.1f%s" % (v / f, u)
    return "%gns" % round(v, 1)


def fnum(v, fmt="%.6g"):
    return "NA" if v is None else fmt % v


esc = html.escape


# ---------------------------------------------------------------- gnuplot
def gnuplot_cmd():
    """The gnuplot executable, or None.  SPINBENCH_GNUPLOT overrides the
    name looked up on PATH."""
    return shutil.which(os.environ.get("SPINBENCH_GNUPLOT", "gnuplot"))


GNUPLOT_HINT = "install gnuplot to draw them: sudo apt-get install -y gnuplot-nox"


# gnuplot reads a double-quoted string's backslash escapes and runs its
# `commands`; a single-quoted one it takes as written, but that cannot hold a
# quote or a line break: those go in as double-quoted escapes (\047 for the
# quote: a quote character in a "..." would throw off the quote tracking of
# gnuplot's @macro expansion), joined to the rest with '.'.
_GP_SEP = {"'": '"\\047"', "\n": '"\\n"', "\r": '"\\r"'}


def gp_value(v):
    """v as a gnuplot constant that reads back as v: a bool or int as an
    integer, a float as a number (None and NaN as NaN), anything else as a
    string, every character as written (quotes, backslashes, backquotes,
    @, line breaks)."""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int):
        return str(v)
    if v is None or (isinstance(v, float) and v != v):
        return "NaN"
    if isinstance(v, float):
        return repr(v)
    parts = [p for p in re.split(r"(['\n\r])", str(v)) if p]
    return ".".join(_GP_SEP.get(p) or "'%s'" % p for p in parts) or "''"


def gp_assignments(params):
    """'name = value; ...' for gnuplot -e, in the order given."""
    for k in params:
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", k):
            raise ValueError("not a gnuplot variable name: %r" % k)
    return "; ".join("%s = %s" % (k, gp_value(v)) for k, v in params.items())


def gnuplot(script, data, params, outdir, stem):
    """Run plot/<script> once for PNG and once for SVG into outdir/stem.*,
    every parameter by name (gnuplot -e "name = value; ..."): data (the data
    file), out, width and height (PNG_SIZE), then params {name: value}.
    gnuplot runs in plot/, where the script's load "common.gp" finds the
    preamble; the paths it gets are absolute.  Raise ResultError with
    gnuplot's last error line on failure."""
    exe = os.path.abspath(gnuplot_cmd())
    made = []
    for ext in ("png", "svg"):
        out = os.path.abspath(os.path.join(outdir, stem + "." + ext))
        tmp = os.path.abspath(os.path.join(outdir, ".%s.tmp.%s" % (stem, ext)))
        names = dict(data=os.path.abspath(data), out=tmp, width=PNG_SIZE[0], height=PNG_SIZE[1],
                     **params)
        cmd = [exe, "-e", gp_assignments(names), os.path.join(PLOT_DIR, script)]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, cwd=PLOT_DIR)
        if p.returncode != 0 or not os.path.isfile(tmp) or os.path.getsize(tmp) == 0:
            err = [l for l in p.stderr.splitlines() if l.strip()]
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise ResultError("gnuplot %s failed for %s: %s" % (
                script, stem, err[-1] if err else "exit %d" % p.returncode))
        os.replace(tmp, out)
        made.append(out)
    return made


def write_atomic(path, text):
    tmp = os.path.join(os.path.dirname(path) or ".", "." + os.path.basename(path) + ".tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


CSS = """<style>
body { font-family: sans-serif; margin: 1.5em; max-width: 1300px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.notes { min-width: 16em; }
tr.config td:first-child { white-space: nowrap; }
th { background: #f0f0f0; }
.warn { color: #a00; } .note { color: #555; }
figure { margin: 1em 0 2em; } figcaption { font-size: 0.9em; color: #444; }
img { max-width: 100%; border: 1px solid #ddd; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.3em; vertical-align: middle; }
</style>"""
