"""advisor - the pure parts of advise-lock: workload parameters, intervals,
separability, interpolation, fairness admission, the regime rules, the
tie set and its tie-break, the confirm command's duration, the text
rendering of an advice.  Every rule and threshold here is the one stated in
docs/advisor.md; nothing here reads a file.  Nothing computes a median: the
medians come from configs.csv (spinbench's one median).  Python 3 standard
library only.
"""

import math
import re

# ---------------------------------------------------------------- constants (docs/advisor.md)
MARGIN = 0.05            # two locks are separable only when their medians differ by more than this
NEGLIGIBLE_SHARE = 0.05  # lock cost below this share of the 1-thread period: negligible
RHO_KNEE_LO = 0.5        # offered load below: uncontended
RHO_KNEE_HI = 1.5        # offered load at or above: saturated
NUMA_RATIO = 1.5         # remote/local core-to-core floor ratio that makes NUMA placement matter
CONFIRM_REPS = 6         # repetitions of the confirm line: the fewest with a 95% interval of the median

# The FIFO promise: locks whose waiters are served in arrival order.
FIFO_LOCKS = {"ticket", "mcs", "clh", "qspin", "ck-ticket", "ck-mcs", "ck-clh"}
# Bounded bypass (<= 64 local passes, or phase-fair): no FIFO promise.
BOUNDED_LOCKS = {"cohort", "cna", "hmcs", "rw-phasefair"}
# Simplicity rank for the tie-break: 1 one word, 2 one word with more logic,
# 3 a queue of per-thread nodes, 4 per-node structures, 5 not listed.
SIMPLICITY = {
    "tas": 1, "ttas": 1, "ticket": 1, "pthread-spin": 1, "pthread-mutex": 1, "ck-fas": 1, "ck-ticket": 1,
    "ttas-backoff": 2, "rw-wpref": 2, "rw-rpref": 2, "rw-phasefair": 2, "pthread-rwlock": 2, "ck-rwlock": 2,
    "mcs": 3, "clh": 3, "qspin": 3, "ck-mcs": 3, "ck-clh": 3, "rw-queued": 3,
    "cohort": 4, "cna": 4, "hmcs": 4,
}
NEVER_ADVISED = {"none"}   # the control lock: no mutual exclusion
# Locks that park their waiters in the kernel (futex) instead of spinning:
# the oversubscription rule's exception.
PARKING_LOCKS = {"pthread-mutex", "pthread-rwlock"}
# The collapse of a queue-order spin lock above the PU count, as measured:
# preempted in most repetitions and below this share of the best lock
# measured at the same thread count (an order of magnitude).
COLLAPSE_SHARE = 0.10
FAIRNESS_CLASS_ORDER = {"fifo": 0, "bounded": 1, "unfair": 2}
CLASSES = ["self", "smt", "l2", "l3", "numa", "package", "remote"]
LOCAL_CLASSES = ["smt", "l2", "l3"]
REMOTE_CLASSES = ["numa", "package", "remote"]

PROVENANCE = ("measured", "interpolated", "predicted", "rule", "unknown")


class AdviceError(Exception):
    """Bad input: one line for stderr, exit 2."""


def fairness_class(lock):
    if lock in FIFO_LOCKS:
        return "fifo"
    if lock in BOUNDED_LOCKS:
        return "bounded"
    return "unfair"


def queue_spin(lock):
    """A spin lock that hands over in queue order (FIFO or bounded bypass):
    above the PU count a preempted waiter at the head stalls every thread
    behind it until the scheduler runs it again (the oversubscription rule)."""
    return fairness_class(lock) in ("fifo", "bounded") and lock not in PARKING_LOCKS


def collapsed(fig, best):
    """Did a lock collapse at this thread count?  fig: its measured figures
    (median, preempted_reps, reps); best: the highest median of any lock
    measured at the same thread count.  Collapsed: preempted in more than
    half of its repetitions and below COLLAPSE_SHARE x best.  False when
    any of it is unknown (an interpolated or predicted figure is no
    measurement of a collapse)."""
    if not fig or not best or fig.get("median") is None or fig.get("preempted_reps") is None or not fig.get("reps"):
        return False
    return fig["preempted_reps"] * 2 > fig["reps"] and fig["median"] < COLLAPSE_SHARE * best


# ---------------------------------------------------------------- workload parameters
TIME_RE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(ns|us|ms|s)$")
UNIT = {"ns": 1, "us": 1000, "ms": 1000000, "s": 1000000000}
DEFAULTS = {"cs": "0", "think": "0", "cs-lines": "0", "data": "separate", "locks": "1",
            "read-ratio": "0", "hold-limit": "25us", "ds": "none", "ds-mix": "80/10/10", "ds-keys": "1024"}
KEYS = ["cs", "think", "cs-lines", "data", "locks", "read-ratio", "writers", "hold-limit", "ds", "ds-mix",
        "ds-keys"]


def parse_time(s, what):
    """'0' or NUMBER+UNIT -> ns (int)."""
    s = s.strip()
    if s == "0":
        return 0
    m = TIME_RE.match(s)
    if not m:
        raise AdviceError("--%s: invalid time '%s' (a number with a unit: 200ns, 5us, 1ms, 0.5s)" % (what, s))
    return int(round(float(m.group(1)) * UNIT[m.group(2)]))


def fmt_time(ns):
    """ns in the largest unit that divides it (harness/workload.c fmt_time)."""
    ns = int(ns)
    if ns == 0:
        return "0"
    for f, u in ((1000000000, "s"), (1000000, "ms"), (1000, "us")):
        if ns % f == 0:
            return "%d%s" % (ns // f, u)
    return "%dns" % ns


def parse_think(s):
    """-> (kind, a_ns, b_ns)."""
    s = s.strip()
    if s.startswith("uniform:"):
        a, sep, b = s[len("uniform:"):].partition("-")
        if not sep:
            raise AdviceError("--think: invalid value '%s' (uniform:A-B)" % s)
        a, b = parse_time(a, "think"), parse_time(b, "think")
        if a > b:
            raise AdviceError("--think: invalid value '%s' (uniform:A-B needs A <= B)" % s)
        return ("uniform", a, b)
    if s.startswith("exp:"):
        a = parse_time(s[4:], "think")
        if a <= 0:
            raise AdviceError("--think: invalid value '%s' (exp:MEAN needs MEAN > 0)" % s)
        return ("exp", a, a)
    if s.startswith("fixed:"):
        s = s[6:]
    a = parse_time(s, "think")
    return ("fixed", a, a)


def normalize_workload(params):
    """{key: text} (preset values with overrides) -> the canonical dict the
    advisor compares: times in ns, think as (kind, a, b), rw as
    ('writers', K) or ('read-ratio', r); hold-limit is left out (it only
    counts long holds) and ds-mix/ds-keys only count with a data structure."""
    p = dict(DEFAULTS)
    p.update(params)
    out = {}
    out["cs"] = parse_time(p["cs"], "cs")
    out["think"] = parse_think(p["think"])
    try:
        out["cs-lines"] = int(p["cs-lines"])
        out["locks"] = int(p["locks"])
    except ValueError:
        raise AdviceError("--cs-lines/--locks: not an integer: '%s'/'%s'" % (p["cs-lines"], p["locks"]))
    if p["data"] not in ("separate", "colocated"):
        raise AdviceError("--data: invalid value '%s' (separate or colocated)" % p["data"])
    out["data"] = p["data"]
    if "writers" in p and p["writers"] not in (None, ""):
        try:
            out["rw"] = ("writers", int(p["writers"]))
        except ValueError:
            raise AdviceError("--writers: not an integer: '%s'" % p["writers"])
    else:
        try:
            r = float(p["read-ratio"])
        except ValueError:
            raise AdviceError("--read-ratio: not a number: '%s'" % p["read-ratio"])
        if not 0 <= r <= 1:
            raise AdviceError("--read-ratio: %s is outside 0..1" % p["read-ratio"])
        out["rw"] = ("read-ratio", float("%.6g" % r))
    if p["ds"] not in ("none", "hashtable", "list"):
        raise AdviceError("--ds: invalid value '%s' (none, hashtable, list)" % p["ds"])
    out["ds"] = p["ds"] if p["ds"] == "none" else "%s %s %s" % (p["ds"], p["ds-mix"], p["ds-keys"])
    return out


def parse_param_line(line):
    """meta.json workload_parameters ('cs=0 think=exp:500ns ...') -> {key: text}."""
    out = {}
    for tok in line.split():
        k, sep, v = tok.partition("=")
        if sep and k in KEYS:
            out[k] = v
    return out


def parse_preset(text):
    """A workloads/NAME.conf file's text -> {key: text} (purpose left out)."""
    out = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        k, sep, v = line.partition("=")
        if not sep:
            continue
        v = re.sub(r"\s#.*$", "", v).strip()
        k = k.strip()
        if k in KEYS:
            out[k] = v
    return out


def think_mean(think):
    kind, a, b = think
    return (a + b) / 2.0 if kind == "uniform" else float(a)


def describe_workload(w):
    """The canonical dict as a parameter line (hold-limit left out)."""
    kind, a, b = w["think"]
    think = {"fixed": fmt_time(a), "exp": "exp:" + fmt_time(a), "uniform": "uniform:%s-%s" % (fmt_time(a), fmt_time(b))}[kind]
    rw = "%s=%s" % (w["rw"][0], ("%.6g" % w["rw"][1]) if w["rw"][0] == "read-ratio" else w["rw"][1])
    return "cs=%s think=%s cs-lines=%d data=%s locks=%d %s ds=%s" % (
        fmt_time(w["cs"]), think, w["cs-lines"], w["data"], w["locks"], rw, w["ds"])


def reads_present(w):
    kind, v = w["rw"]
    return v > 0 or w["ds"] != "none"


# ---------------------------------------------------------------- intervals and separability
def range_coverage(n):
    """The order-statistic coverage of [min, max] of n repetitions as an
    interval of the median: 1 - 2 * 0.5^n."""
    return 1.0 - 2.0 * 0.5 ** n


def interval(cfg, rep_throughputs):
    """The interval of a configuration's median throughput:
    configs.csv's 95% interval (throughput_ci_lo/hi) when it has one;
    below 6 repetitions, where it is NA, the range of the repetitions'
    throughputs (summary.csv), whose coverage is 1 - 2*0.5^n (75% at 3);
    with one repetition, none (lo = hi = None: separable from nothing).
    -> (lo, hi, kind, coverage)"""
    lo, hi = cfg.get("ci_lo"), cfg.get("ci_hi")
    if lo is not None and hi is not None:
        return lo, hi, "ci95", 0.95
    xs = [x for x in rep_throughputs if x is not None]
    if len(xs) >= 2:
        return min(xs), max(xs), "range", range_coverage(len(xs))
    return None, None, "none", None


def overlap(a_lo, a_hi, b_lo, b_hi):
    """Do [a_lo, a_hi] and [b_lo, b_hi] overlap?  An unknown bound (None)
    overlaps everything."""
    if None in (a_lo, a_hi, b_lo, b_hi):
        return True
    return a_lo <= b_hi and b_lo <= a_hi


def separable(a, b):
    """Two candidates ({'median','lo','hi'}) are separable only when their
    intervals do not overlap AND the smaller median is below (1 - MARGIN)
    times the larger."""
    if a["median"] is None or b["median"] is None:
        return False
    hi, lo = max(a["median"], b["median"]), min(a["median"], b["median"])
    if not lo < (1.0 - MARGIN) * hi:
        return False
    return not overlap(a["lo"], a["hi"], b["lo"], b["hi"])


def tie_key(lock):
    """The documented tie-break: FIFO before bounded bypass before unfair,
    then the simpler lock (SIMPLICITY), then the name."""
    return (FAIRNESS_CLASS_ORDER[fairness_class(lock)], SIMPLICITY.get(lock, 5), lock)


def tie_set(cands):
    """cands: [{'lock','median','lo','hi'}] with a median each.  -> (best,
    the set of those not separable from the best, in tie-break order).  The
    best is the highest median (ties: tie-break order)."""
    if not cands:
        return None, []
    best = sorted(cands, key=lambda c: (-c["median"], tie_key(c["lock"])))[0]
    s = [c for c in cands if c is best or not separable(c, best)]
    return best, sorted(s, key=lambda c: tie_key(c["lock"]))


# ---------------------------------------------------------------- interpolation
def interp_log(t, t1, v1, t2, v2):
    """Linear in log(threads) between (t1, v1) and (t2, v2), t1 < t < t2."""
    if v1 is None or v2 is None:
        return None
    x = (math.log(t) - math.log(t1)) / (math.log(t2) - math.log(t1))
    return v1 + x * (v2 - v1)


def neighbours(t, measured, pus):
    """The two measured thread counts around t (t1 < t < t2), both on the
    same side of the PU count (never across it: oversubscription changes the
    regime), or None."""
    lower = [x for x in measured if x < t]
    upper = [x for x in measured if x > t]
    if not lower or not upper:
        return None
    t1, t2 = max(lower), min(upper)
    if pus and (t1 <= pus) != (t2 <= pus):
        return None
    return t1, t2


# ---------------------------------------------------------------- fairness
def parse_fairness(s):
    """'none', 'no-starvation', 'fifo', 'jain:X' (0 < X <= 1) -> (kind, X)."""
    if s in ("none", "no-starvation", "fifo"):
        return (s, None)
    if s.startswith("jain:"):
        try:
            x = float(s[5:])
        except ValueError:
            x = None
        if x is not None and 0 < x <= 1:
            return ("jain", x)
    raise AdviceError("--fairness: unknown value '%s' (none, no-starvation, fifo, jain:X with 0 < X <= 1)" % s)


# An unfair lock's fairness varies from repetition to repetition with a
# heavy tail: at 2 threads on the development VM (16 runs of 6 reps),
# pthread-mutex's min/max sat 0.9 to 7.6 standard deviations of its reps
# above the starvation line and still starved in 4 of 96 reps (a normal
# fit predicts 0.6%); ttas, pthread-spin and rw-wpref did the same.  With a
# think time of 1 or 10 us the same locks sat 46 to 436 deviations above
# it and never starved.  An unfair lock is admitted only this many above.
UNFAIR_MARGIN_SD = 10.0


def fairness_margin(values, limit):
    """How many standard deviations of the repetitions (n - 1 in the
    denominator) their mean sits above the limit: inf when they do not vary
    and sit at or above it, None below 3 repetitions."""
    n = len(values)
    if n < 3:
        return None
    m = sum(values) / n
    sd = math.sqrt(sum((v - m) ** 2 for v in values) / (n - 1))
    if sd < 1e-9:   # no variation but the rounding of the mean
        return math.inf if m >= limit else -math.inf
    return (m - limit) / sd


def admit(lock, need, fair, predict=True):
    """Is the lock admitted under the fairness need?  fair: the measured
    check at this configuration ({'starved_reps','reps','min_max_worst',
    'jain_worst'}, and the per-repetition 'min_max_reps' and 'jain_reps')
    or None when it was not measured.  predict: an unfair lock must also sit
    UNFAIR_MARGIN_SD above the line (advice); False: the measured check
    alone (what a fresh run showed, for validation).  -> (admitted, why,
    provenance of the decision)."""
    kind, x = need
    cls = fairness_class(lock)
    if kind == "none":
        return True, "no fairness need", "rule"
    if kind == "fifo":
        if cls == "fifo":
            return True, "FIFO by construction", "rule"
        return False, "no FIFO promise (%s)" % ("bounded bypass" if cls == "bounded" else "unfair"), "rule"
    if fair is None:
        if cls == "fifo":
            return True, "FIFO by construction; not measured at these threads", "rule"
        return False, "%s lock and its fairness is not measured at these threads" % cls, "unknown"
    if kind == "no-starvation":
        bad = fair["starved_reps"] > 0 or (fair["min_max_worst"] is not None and fair["min_max_worst"] < 0.5)
        if bad:
            return False, "starved in %d of %d reps (worst min/max %s)" % (
                fair["starved_reps"], fair["reps"], fnum(fair["min_max_worst"], "%.3f")), "measured"
        what, limit, vals = "min/max", 0.5, fair.get("min_max_reps")
        ok_why = "no starvation in %d reps (worst min/max %s)" % (fair["reps"], fnum(fair["min_max_worst"], "%.3f"))
    else:
        # jain:X: every repetition's Jain at least X
        j = fair["jain_worst"]
        if j is None or j < x:
            return False, "worst Jain over %d reps %s < %g" % (fair["reps"], fnum(j, "%.3f"), x), "measured"
        what, limit, vals = "Jain", x, fair.get("jain_reps")
        ok_why = "worst Jain over %d reps %s >= %g" % (fair["reps"], fnum(j, "%.3f"), x)
    if predict and cls == "unfair":
        z = fairness_margin(vals or [], limit)
        if z is None:
            return False, "unfair lock: %d reps are too few to judge how its %s varies (3 at least)" % (
                len(vals or []), what), "measured"
        if z < UNFAIR_MARGIN_SD:
            return False, ("unfair lock: passed in %d reps, but its %s sits only %.1f standard deviations of "
                           "its reps above %g (%g needed: an unfair lock's fairness varies from rep to rep)" % (
                               len(vals), what, z, limit, UNFAIR_MARGIN_SD)), "measured"
        ok_why += "; %s standard deviations above %g" % ("%.0f" % z if z != math.inf else "infinitely many", limit)
    return True, ok_why, "measured"


# ---------------------------------------------------------------- regime
def classify(t, pus, u, h, s, z, lock_cost_max=None):
    """The primary regime (docs/advisor.md, first rule that applies).
    t threads, pus the machine's PUs, u the cheapest lock's uncontended cost
    (ns, 1-thread period - cs - think), lock_cost_max the costliest
    candidate's, h the cheapest FIFO lock's handoff p50 (ns), s cs (ns), z
    think mean (ns).  -> (regime, {numbers}, missing: [what is unknown])"""
    nums = {"threads": t, "pus": pus, "cs_ns": s, "think_ns": z, "u_ns": u, "u_max_ns": lock_cost_max,
            "handoff_ns": h}
    if pus and t > pus:
        return "oversubscribed", nums, []
    um = lock_cost_max if lock_cost_max is not None else u
    if u is None:
        return "unknown", nums, ["uncontended cost (no 1-thread measurement of this workload)"]
    share = um / (z + s + um) if (z + s + um) > 0 else 1.0
    nums["lock_share"] = share
    if t == 1:
        return ("negligible lock cost" if share < NEGLIGIBLE_SHARE else "lock-bound uncontended"), nums, []
    if h is None:
        return "unknown", nums, ["handoff latency (no FIFO lock measured at 2 or more threads)"]
    rho = t * (s + h) / (z + s + u) if (z + s + u) > 0 else float("inf")
    nums["rho"] = rho
    if rho < RHO_KNEE_LO:
        return ("negligible lock cost" if share < NEGLIGIBLE_SHARE else "lock-bound uncontended"), nums, []
    if rho < RHO_KNEE_HI:
        return "near the knee", nums, []
    return "saturated", nums, []


# ---------------------------------------------------------------- the cross-machine model
# docs/advisor.md, "The cross-machine model".  Per lock, three parameters
# fitted on the machine that made the results: u (the uncontended cost,
# ns), m (how many core-to-core floors of the successor's distance one
# handoff costs) and s (the growth per extra waiter, in floors); a handoff
# at k threads at the lock costs u + m*c + s*(k-2)*c, where c is the mean
# floor of the successor's distance.  Applied with another machine's floors
# and placement, they give a `predicted` throughput through the closed
# machine-repairman chain.
MODEL_ERROR = 0.30   # a predicted throughput's stated interval: +-30% (assumed, not validated across machines)
NUMA_BATCH = 64      # cohort, cna, hmcs: at most this many local passes before a remote one
MODEL_CLASSES = ("fifo", "bounded")   # fairness classes the model predicts; unfair locks: measured only
NUMA_AWARE = {"cohort", "cna", "hmcs"}


def class_floors(rows):
    """{class: floor ns} from c2c.csv rows: per class the median of its
    pairs' median_ns (pairs without a class or a median are skipped)."""
    by = {}
    for r in rows or []:
        c, v = r.get("class"), r.get("median_ns")
        if c in CLASSES and c != "self" and isinstance(v, (int, float)) and v == v and v > 0:
            by.setdefault(c, []).append(float(v))
    out = {}
    for c, vs in by.items():
        vs.sort()
        n = len(vs)
        out[c] = vs[n // 2] if n % 2 else (vs[n // 2 - 1] + vs[n // 2]) / 2
    return out


def parse_floors(spec):
    """'smt=12,l3=40,numa=90,remote=180' -> {class: ns}; AdviceError on a
    bad entry."""
    out = {}
    for part in spec.split(","):
        k, eq, v = part.partition("=")
        k = k.strip()
        if not eq or k not in CLASSES or k == "self":
            raise AdviceError("--target-c2c: '%s' is not CLASS=NS (classes: %s)" % (
                part, ", ".join(c for c in CLASSES if c != "self")))
        try:
            x = float(v[:-2] if v.endswith("ns") else v)
        except ValueError:
            x = -1.0
        if not (x > 0) or math.isinf(x):
            raise AdviceError("--target-c2c: '%s': the floor must be a positive number of ns" % part)
        out[k] = x
    if not out:
        raise AdviceError("--target-c2c: no CLASS=NS given")
    return out


def parse_plan(text):
    """spinbench --plan's table -> [{thread, pu, core, l3, node, package}]."""
    rows = []
    for line in text.splitlines():
        f = line.split()
        # an absent level (no L3 on the machine) is printed as '-'
        if len(f) == 7 and f[0].isdigit() and all(x.isdigit() or x == "-" for x in f[1:6]):
            v = [int(x) if x != "-" else -1 for x in f[:6]]
            rows.append({"thread": v[0], "pu": v[1], "core": v[2], "l3": v[3], "node": v[4], "package": v[5]})
    return rows


def pair_class(a, b):
    """The distance class of two plan rows, as spinbench classifies PUs
    (harness/topo.c), without l2: the plan does not print the L2 cache, so
    two cores sharing one count as l3."""
    if a["pu"] == b["pu"]:
        return "self"
    if a["core"] == b["core"]:
        return "smt"
    if a["l3"] >= 0 and a["l3"] == b["l3"]:
        return "l3"
    if a["package"] != b["package"]:
        return "remote"
    return "numa" if a["node"] == b["node"] else "package"


def successor_mix(rows, numa_aware, batch=NUMA_BATCH):
    """The distribution of the successor's distance class at saturation:
    {class: share}.  A FIFO lock's successor is any other thread, equally
    likely; a NUMA-aware lock passes to a thread of the releaser's node,
    when there is one, in all but 1 of `batch` handoffs."""
    n = len(rows)
    mix = {}
    if n < 2:
        return mix
    for a in rows:
        others = [b for b in rows if b is not a]
        local = [b for b in others if b["node"] == a["node"]]
        remote = [b for b in others if b["node"] != a["node"]]
        if numa_aware and local and remote:
            parts = [(local, 1.0 - 1.0 / batch), (remote, 1.0 / batch)]
        else:
            parts = [(others, 1.0)]
        for grp, w in parts:
            for b in grp:
                c = pair_class(a, b)
                mix[c] = mix.get(c, 0.0) + w / len(grp) / n
    return mix


def mean_floor(mix, floors):
    """-> (sum of share x floor, the classes in the mix without a floor);
    the shares of classes without a floor are left out and the rest
    renormalised (None when nothing is left)."""
    tot = sum(v for c, v in mix.items() if c in floors)
    missing = sorted(c for c in mix if c not in floors and mix[c] > 0)
    if tot <= 0:
        return None, missing
    return sum(v * floors[c] for c, v in mix.items() if c in floors) / tot, missing


def invert_m(t, x, s_ns, z_ns, u, slope, c):
    """The m for which the chain gives throughput x at t threads (slope s
    fixed): bisection, the throughput falling as m grows.  None when even
    m = 0 is slower than x (the lock did better than its own uncontended
    cost allows: not this model's kind of lock)."""
    def thr(m):
        p = {"u": u, "m": m, "s": slope}
        return chain_throughput(t, s_ns, z_ns, u, lambda k: model_handoff(p, k, c))
    if thr(0.0) < x:
        return None
    lo, hi = 0.0, 1.0
    while thr(hi) > x and hi < 1e6:
        hi *= 2
    for _ in range(60):
        mid = (lo + hi) / 2
        if thr(mid) > x:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


SLOPES = [0.0] + [0.001 * 1.25 ** i for i in range(64)]   # s candidates: 0, then 0.001 .. about 1600 floors


def fit_lock(u, points, s_ns=0.0, z_ns=0.0):
    """Fit m and s to the measured points [(T, throughput /s, mean floor
    ns)] with 2 <= T <= the PUs: the chain with cost u + m*c + s*(k-2)*c
    must give each point's throughput.  With one thread count s is not
    fitted (0) and m is the one that reproduces it; with two or more, s is
    the candidate (SLOPES) for which the m each point needs varies least,
    and m their mean.  -> {u, m, s, slope_fitted, points, max_residual} or
    None (no usable point)."""
    pts = [(t, x, c) for t, x, c in points if t >= 2 and c and c > 0 and x and x > 0]
    if u is None or not pts:
        return None
    fitted = len({t for t, x, c in pts}) >= 2

    def spread(sl):
        ms = [invert_m(t, x, s_ns, z_ns, u, sl, c) for t, x, c in pts]
        ms = [0.0 if m is None else m for m in ms]
        mean = sum(ms) / len(ms)
        return sum((m - mean) ** 2 for m in ms) / len(ms), mean

    grid = SLOPES if fitted else [0.0]
    vals = [spread(sl)[0] for sl in grid]
    i = min(range(len(grid)), key=lambda j: (vals[j], j))
    sl = grid[i]
    if fitted and len(grid) > 1:
        # golden-section between the grid neighbours of the best candidate
        a, b = grid[max(0, i - 1)], grid[min(len(grid) - 1, i + 1)]
        g = (math.sqrt(5) - 1) / 2
        for _ in range(40):
            c1, c2 = b - g * (b - a), a + g * (b - a)
            if spread(c1)[0] <= spread(c2)[0]:
                b = c2
            else:
                a = c1
        mid = (a + b) / 2
        if spread(mid)[0] <= vals[i]:
            sl = mid
    m = spread(sl)[1]
    p = {"u": u, "m": m, "s": sl, "slope_fitted": fitted, "points": sorted({t for t, x, c in pts})}
    p["max_residual"] = max(abs(chain_throughput(t, s_ns, z_ns, u, lambda k, c=c: model_handoff(p, k, c)) - x) / x
                            for t, x, c in pts)
    return p


def model_handoff(p, k, c):
    """The cost of one acquisition with k threads at the lock (k >= 2)."""
    return p["u"] + p["m"] * c + p["s"] * max(0, k - 2) * c


def chain_throughput(t, s, z, u, h):
    """Acquisitions per second of t threads, each thinking z ns (mean)
    between critical sections of s ns, through a lock whose acquisition
    costs u when it is free and h(k) ns with k threads at the lock: the
    closed machine-repairman birth-death chain (state k = threads holding
    or waiting; birth (t-k)/z, death 1/(s + cost))."""
    if t < 1:
        return 0.0
    if t == 1:
        return 1e9 / (z + s + u)
    if z <= 0:
        return 1e9 / (s + h(t))
    w, tot, x = 1.0, 1.0, 0.0
    for k in range(1, t + 1):
        svc = s + (u if k == 1 else h(k))
        w *= ((t - k + 1) / z) * svc
        tot += w
        x += w / svc
    return 1e9 * x / tot


# ---------------------------------------------------------------- confirm line
def confirm_duration_s(nlocks, nthreads, reps, warmup_ns, duration_ns, timed_ns):
    """The plan's measuring time: locks x thread counts x reps x (warm-up +
    window + latency phase), in seconds."""
    return nlocks * nthreads * reps * (warmup_ns + duration_ns + timed_ns) / 1e9


# ---------------------------------------------------------------- formatting
# One set of number formats for every tool (plot/sbresults.py).
from sbresults import fnum, ns, si  # noqa: E402,F401


def pct(v):
    return "NA" if v is None else "%.1f%%" % (100.0 * v)


def times(r):
    """A ratio of throughputs to 3 significant digits, with thousands
    separators above 1000 (111,000, not 1.11e+05)."""
    r = float("%.3g" % r)
    return "{:,.0f}".format(r) if r >= 1000 else "%.3g" % r


def rnd(v, digits=6):
    """A float rounded to `digits` significant digits (stable JSON)."""
    if v is None or isinstance(v, bool) or isinstance(v, int):
        return v
    if v == 0 or math.isinf(v) or math.isnan(v):
        return v
    return float("%.*g" % (digits, v))


def render(a):
    """The advice dict -> the printed text (the same content as advice.json)."""
    L = []
    q = a["question"]
    L.append("question: %d thread%s, workload %s (%s), placement %s, fairness %s" % (
        q["threads"], "" if q["threads"] == 1 else "s", q["workload"], q["workload_parameters"], q["placement"], q["fairness"]))
    m = a["machine"]
    L.append("machine: %s (%s; %s; %s PUs, %s cores%s; %s NUMA node%s%s); fingerprint: %s" % (
        m["name"], m["cpu_model"], m["kernel"], m["pus"], m["cores"], ", SMT" if m["smt"] else "",
        m["numa_nodes"], "" if m["numa_nodes"] == 1 else "s", "; hypervisor" if m["hypervisor"] else "",
        m["fingerprint_status"]))
    for f in a["results"]:
        L.append("results: %s (run %s; %s)" % (f["path"], f["run_id"], f["used"]))
    r = a["regime"]
    L.append("regime: %s  [%s]" % (r["name"], r["provenance"]))
    for line in r["explanation"]:
        L.append("  " + line)
    for qn in r["qualifiers"]:
        L.append("  + %s: %s" % (qn["name"], qn["explanation"]))
    ad = a["advice"]
    L.append("advice: %s" % ad["text"])
    if a["candidates"]:
        L.append("candidates at %d thread%s (expected throughput: median [interval], provenance):" % (
            q["threads"], "" if q["threads"] == 1 else "s"))
    for c in a["candidates"]:
        tp = c["throughput"]
        iv = "no interval" if tp["lo"] is None else "[%s, %s] %s" % (si(tp["lo"]), si(tp["hi"]), tp["interval"])
        mark = "*" if c["lock"] == ad.get("lock") else ("=" if c["in_set"] else " ")
        L.append(" %s %-14s %9s/s %-34s %s%s" % (mark, c["lock"], si(tp["value"]), iv, tp["provenance"],
                                              (" (" + tp["source"] + ")") if tp.get("source") else ""))
        for why in c["reason"]:
            L.append("      " + why)
    for x in a["excluded"]:
        L.append("  excluded %-14s %s [%s]" % (x["lock"], x["why"], x["provenance"]))
    for x in a["unknown"]:
        L.append("  unknown  %-14s %s" % (x["lock"], x["why"]))
    if a["would_change"]:
        L.append("would change the advice:")
        for w in a["would_change"]:
            L.append("  - " + w)
    c = a["confirm"]
    L.append("confirm: %s   (~%s: %s)" % (c["command"], ns(c["duration_s"] * 1e9), c["duration_rule"]))
    L.append("provenance: " + a["provenance_note"])
    return "\n".join(L) + "\n"
