"""sbseries - the series the figures of plot-results draw, as pure
functions: rows in (the dicts sbresults reads: NA is None), series out.
Nothing here reads a file, takes a median or draws.

A series is a list of (name, rows) in drawing order, one per lock, each
rows a sorted list of [x, y...]; a lock with no row is left out.  A grid
(heatmaps) is {(from_pu, to_pu): value}.  Python 3 standard library only;
tests/test_plot_series.py holds their known answers.
"""


def per_lock(rows, locks, cols, x="threads"):
    """Per lock of locks (that order): the rows of that lock as
    [row[x]] + [row[c] for c in cols], sorted, leaving out rows where any of
    them is NA (None) or absent; locks with no row left are dropped.  Serves
    configs.csv's medians (one row per thread count) and summary.csv's
    repetitions (one row each)."""
    out = []
    for lock in locks:
        pts = [[r.get(x)] + [r.get(c) for c in cols] for r in rows if r["lock"] == lock]
        pts = [p for p in pts if all(v is not None for v in p)]
        if pts:
            out.append((lock, sorted(pts)))
    return out


def top_threads(configs, locks):
    """(T, the locks of locks that have a configuration at T): T is the
    largest thread count of configs, where the CDF, the per-thread shares
    and the handoff heatmaps are drawn.  (None, []) without configs."""
    if not configs:
        return None, []
    t = max(c["threads"] for c in configs)
    return t, [l for l in locks if any(c["lock"] == l and c["threads"] == t for c in configs)]


def latency_cdf(hist_rows, locks, threads, metric="acquire"):
    """Per lock: the CDF of metric at threads from histograms.csv rows, all
    repetitions merged: buckets with the same (bucket_lower_ns,
    bucket_width_ns) add their counts (NA counts as 0); then one row per
    bucket in order, [its upper bound lower + width, the fraction of the
    total at or below it].  A lock with no count is dropped."""
    out = []
    for lock in locks:
        buckets = {}
        for r in hist_rows:
            if r["lock"] == lock and r["threads"] == threads and r["metric"] == metric:
                k = (r["bucket_lower_ns"], r["bucket_width_ns"])
                buckets[k] = buckets.get(k, 0) + (r["count"] or 0)
        total = sum(buckets.values())
        if not total:
            continue
        acc, pts = 0, []
        for lo, w in sorted(buckets):
            acc += buckets[(lo, w)]
            pts.append([lo + w, acc / total])
        out.append((lock, pts))
    return out


def thread_shares(threads_rows, locks, threads):
    """Per lock: each thread's share (%) of its repetition's acquisitions
    at threads, from threads.csv rows: [thread, 100 * acquisitions / the
    repetition's total] per thread and repetition (0 where the total is 0),
    sorted; rows with acquisitions NA are left out; a lock with none is
    dropped."""
    out = []
    for lock in locks:
        reps = {}
        for r in threads_rows:
            if r["lock"] == lock and r["threads"] == threads and r["acquisitions"] is not None:
                reps.setdefault(r["rep"], {})[int(r["thread"])] = r["acquisitions"]
        pts = []
        for rep in reps.values():
            tot = sum(rep.values())
            pts += [[t, 100.0 * a / tot if tot else 0.0] for t, a in rep.items()]
        if pts:
            out.append((lock, sorted(pts)))
    return out


def handoff_cells(handoff_rows, lock, threads):
    """{(from_pu, to_pu): handoffs} of lock at threads from handoffs.csv
    rows, summed over repetitions; pairs with count 0 or NA left out."""
    cells = {}
    for r in handoff_rows:
        if r["lock"] == lock and r["threads"] == threads and r["count"]:
            k = (int(r["from_pu"]), int(r["to_pu"]))
            cells[k] = cells.get(k, 0) + r["count"]
    return cells


def c2c_cells(c2c_rows):
    """{(from_pu, to_pu): median_ns} from c2c.csv rows, both ways: the file
    lists a pair once and a round trip is the same both ways (a pair listed
    both ways keeps each); NA medians left out."""
    cells = {}
    for r in c2c_rows:
        if r["median_ns"] is not None:
            cells[(int(r["from_pu"]), int(r["to_pu"]))] = r["median_ns"]
    for (a, b), v in list(cells.items()):
        cells.setdefault((b, a), v)
    return cells


def grid(cells):
    """A heatmap of cells {(from_pu, to_pu): value}: (pus, tics, rows).
    pus: the PUs met, sorted; a PU's position is its index there.  tics:
    gnuplot's tic list naming them, "'0' 0, '16' 1".  rows: per releasing PU
    (from_pu, in order) one row per acquiring PU, [x: the acquiring PU's
    position, y: the releasing PU's, value or None]."""
    pus = sorted({p for k in cells for p in k})
    pos = {p: i for i, p in enumerate(pus)}
    tics = ", ".join("'%d' %d" % (p, i) for p, i in pos.items())
    rows = [[[pos[b], pos[a], cells.get((a, b))] for b in pus] for a in pus]
    return pus, tics, rows


# ---------------------------------------------------------------- gnuplot data
def num(v):
    """A value as gnuplot data: repr of the float, NaN for NA."""
    return "NaN" if v is None else repr(float(v))


def blocks(series):
    """gnuplot data of a series: per (name, rows) a '# name' line and its
    rows, then two blank lines (one block each: 'index i')."""
    out = []
    for name, rows in series:
        out.append("# %s\n" % name)
        for r in rows:
            out.append(" ".join(num(v) for v in r) + "\n")
        out.append("\n\n")
    return "".join(out)


def grid_text(rows):
    """gnuplot data of grid()'s rows: 'x y value' lines, a blank line after
    each releasing PU's row."""
    return "".join("".join("%d %d %s\n" % (x, y, num(v)) for x, y, v in row) + "\n"
                   for row in rows)
