"""appreport.py - report.html of a profile-app result folder (issue 13): the
program's hottest locks with their wait and hold percentiles, the wait and
hold distributions of the top classes (gnuplot, plot/cdf.gp), the lock-rule
findings, who delays whom, contended call stacks, handoffs by distance, what
--lock swapped; for a
--compare folder, the comparison table and each lock's runs.

    write(folder, top=5) -> path of report.html

Everything is read from the folder's own files (meta.json and the CSVs
profile-app wrote), so the report can be redrawn from a copied folder.
Without gnuplot the figures are left out and the report says how to get
them.  Standard library and plot/sbresults.py only.
"""
import csv
import json
import os

import sbresults as sb

esc = sb.esc
# A colour per rank of the figures (the classes are not locks of the registry).
RANK_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f"]


def _rows(folder, name):
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return list(csv.DictReader(f))


def _num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _ns(v):
    x = _num(v)
    return "NA" if x is None else sb.ns(x)


def _table(head, rows, numeric=()):
    out = ["<table><tr>" + "".join("<th>%s</th>" % esc(h) for h in head) + "</tr>"]
    for r in rows:
        out.append("<tr>" + "".join('<td%s>%s</td>' % (' class="n"' if i in numeric else "", esc(str(c)))
                                    for i, c in enumerate(r)) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _cdf_data(hists, keys, which, path):
    """Blocks of (upper_ns, cumulative fraction) per class key, in order;
    returns the keys that had any value."""
    kept = []
    with open(path, "w") as f:
        for k in keys:
            rows = sorted(((float(h["upper_ns"]), int(h["count"])) for h in hists
                           if (h["pid"], h["kind"], h["class"]) == k and h["histogram"] == which and h["site"] == "*"))
            total = sum(c for _, c in rows)
            if not total:
                continue
            if kept:
                f.write("\n\n")
            acc = 0
            for up, c in rows:
                acc += c
                f.write("%.1f %.6f\n" % (up, acc / total))
            kept.append(k)
    return kept


def _figures(folder, locks, hists, top):
    """wait-cdf and hold-cdf of the top classes by total wait (then
    acquisitions); returns (html, note)."""
    if not sb.gnuplot_cmd():
        return "", "The figures need gnuplot: " + sb.GNUPLOT_HINT
    ranked = sorted(locks, key=lambda r: (-(_num(r["wait_total_ns"]) or 0), -(_num(r["acquisitions"]) or 0)))
    keys = [(r["pid"], r["kind"], r["class"]) for r in ranked[:top]]
    pdir = os.path.join(folder, "plots")
    os.makedirs(os.path.join(pdir, "data"), exist_ok=True)
    parts = []
    for which, label in (("wait", "wait for the lock (ns), contended acquisitions"),
                         ("hold", "hold (ns), lock call's return to unlock call")):
        data = os.path.join(pdir, "data", "%s-cdf.dat" % which)
        kept = _cdf_data(hists, keys, which, data)
        if not kept:
            continue
        ranks = [str(keys.index(k) + 1) for k in kept]
        sb.gnuplot("cdf.gp", data, {"title": "%s by lock class (rank of the table above)" % which,
                                    "xlabel": label, "names": " ".join("#" + r for r in ranks),
                                    "colours": " ".join(RANK_COLOURS[(int(r) - 1) % len(RANK_COLOURS)]
                                                        for r in ranks)},
                   pdir, "%s-cdf" % which)
        parts.append('<figure><img src="plots/%s-cdf.png" alt="%s CDF"><figcaption>%s: the cumulative share '
                     'of %s at or below x, per lock class (# = rank in the table; '
                     '<a href="plots/%s-cdf.svg">svg</a>)</figcaption></figure>'
                     % (which, which, esc(which), "waits" if which == "wait" else "holds", which))
    return "\n".join(parts), ""


def _profile_body(folder, meta, top):
    locks = _rows(folder, "locks.csv")
    hists = _rows(folder, "histograms.csv")
    out = []
    swap = meta.get("swap") or {}
    out.append("<p>Program: <code>%s</code>, exit status %s, %.3f s; %s; locks run on <b>%s</b>%s.</p>" % (
        esc(" ".join(meta.get("command", []))), esc(str(meta.get("exit_status"))), meta.get("wall_s") or 0,
        esc("glibc " + str(meta.get("glibc"))), esc(meta.get("lock", "pthread")),
        "" if meta.get("lock", "pthread") == "pthread" else
        " (%d swapped; passed to glibc: %d process-shared, %d robust, %d priority-inheritance, %d "
        "priority-protect, %d held before the start)" % (
            swap.get("swapped", 0), swap.get("passed_pshared", 0), swap.get("passed_robust", 0),
            swap.get("passed_pi", 0), swap.get("passed_pp", 0), swap.get("passed_early", 0))))
    ranked = sorted(locks, key=lambda r: (-(_num(r["wait_total_ns"]) or 0), -(_num(r["acquisitions"]) or 0)))
    out.append("<h2>Hottest locks</h2>")
    out.append(_table(
        ["#", "kind", "class (init or first use)", "acquisitions", "contended", "wait total", "wait p50",
         "wait p99", "wait max", "hold p50", "hold p99", "hold max", "role"],
        [[i + 1, r["kind"], r.get("class_site") or r["class"], r["acquisitions"],
          "%.1f%%" % (100 * (_num(r["contended_share"]) or 0)), _ns(r["wait_total_ns"]), _ns(r["wait_p50_ns"]),
          _ns(r["wait_p99_ns"]), _ns(r["wait_max_ns"]), _ns(r["hold_p50_ns"]), _ns(r["hold_p99_ns"]),
          _ns(r["hold_max_ns"]), r["role"]] for i, r in enumerate(ranked[:max(top, 10)])],
        numeric={3, 4, 5, 6, 7, 8, 9, 10, 11}))
    figs, note = _figures(folder, locks, hists, top)
    out.append(figs)
    if note:
        out.append('<p class="note">%s</p>' % esc(note))
    rules = _rows(folder, "rules.csv")
    out.append("<h2>Lock rules</h2>")
    counts = meta.get("rules") or {}
    out.append("<p>%s</p>" % esc(", ".join("%s %d" % (k, v.get("count", 0)) for k, v in counts.items())))
    if rules:
        out.append(_table(["rule", "kind", "class", "taken at", "broken at", "count", "detail"],
                          [[r["rule"], r["kind"], r.get("class_site") or r["class"],
                            r.get("call_site_a") or r["site_a"], r.get("call_site_b") or r["site_b"], r["count"],
                            r["detail"]] for r in rules], numeric={5}))
    blockers = sorted(_rows(folder, "blockers.csv"), key=lambda r: -(_num(r["wait_total_ns"]) or 0))
    if blockers:
        out.append("<h2>Who delays whom</h2>")
        out.append(_table(["class", "waiting at", "held from", "count", "wait total"],
                          [[r.get("class_site") or r["class"], r.get("waiter_call_site") or r["waiter_site"],
                            r.get("holder_call_site") or r["holder_site"], r["count"], _ns(r["wait_total_ns"])]
                           for r in blockers[:10]], numeric={3, 4}))
    stacks = sorted(_rows(folder, "stacks.csv"), key=lambda r: -(_num(r["wait_total_ns"]) or 0))
    if stacks:
        out.append("<h2>Where the waits come from</h2>")
        out.append('<p class="note">Contended acquisitions by call stack: the lock call\'s site and the frames '
                   'above it (a DWARF unwind taken before the waiter blocks), by total wait.</p>')
        out.append(_table(["class", "call site", "caller", "its caller", "then", "contended", "wait total"],
                          [[r.get("class_site") or r["class"], r.get("call_site") or r["site"],
                            r.get("caller_1_site") or r["caller_1"], r.get("caller_2_site") or r["caller_2"],
                            r.get("caller_3_site") or r["caller_3"], r["contended"], _ns(r["wait_total_ns"])]
                           for r in stacks[:15]], numeric={5, 6}))
    handoffs = _rows(folder, "handoffs.csv")
    if handoffs:
        out.append("<h2>Handoffs by distance</h2>")
        out.append(_table(["kind", "class", "distance", "handoffs", "contended", "wait mean"],
                          [[r["kind"], r.get("class_site") or r["class"], r["distance"], r["handoffs"],
                            r["contended"], _ns(r["wait_mean_ns"])] for r in handoffs], numeric={3, 4, 5}))
    out.append('<p class="note">Not seen: %s.  Definitions: profiler/README.md.</p>'
               % esc("; ".join(meta.get("not_seen", []))))
    return "\n".join(out)


def _compare_body(folder, meta):
    summ = _rows(folder, "compare-summary.csv")
    runs = _rows(folder, "compare.csv")
    fig = "wall time (s), lower is better" if meta.get("figure") == "wall_s" else \
        "the program's figure (%s), higher is better" % meta.get("metric_regex")
    out = ["<p>Program: <code>%s</code>; %d runs per lock in shuffled rounds (seed %s), each through the "
           "interposer; figure: %s.  Interval: %s.  Verdict: %s.</p>" % (
               esc(" ".join(meta.get("command", []))), meta.get("runs", 0), esc(str(meta.get("seed"))), esc(fig),
               esc(meta.get("interval", "")), esc(meta.get("separable", "")))]
    out.append(_table(["lock", "runs", "failed", "median", "interval", "coverage", "ratio to %s" % meta.get("control"),
                       "verdict"],
                      [[r["lock"], r["runs"], r["failed_runs"], r["median"],
                        "NA" if r["ci_lo"] == "NA" else "[%s, %s]" % (r["ci_lo"], r["ci_hi"]),
                        r["ci_coverage"], r["ratio_to_control"], r["verdict"]] for r in summ],
                      numeric={1, 2, 3, 5, 6}))
    out.append("<h2>Runs</h2>")
    out.append(_table(["lock", "round", "position", "wall (s)", "figure", "exit status", "state"],
                      [[r["lock"], r["run"], r["position"], r["wall_s"], r["metric"], r["exit_status"], r["state"]]
                       for r in runs], numeric={1, 2, 3, 4, 5}))
    return "\n".join(out)


def write(folder, top=5):
    with open(os.path.join(folder, "meta.json")) as f:
        meta = json.load(f)
    compare = meta.get("kind") == "app-compare"
    title = "%s: %s (%s)" % ("lock comparison" if compare else "lock profile", meta.get("run_id", ""),
                             meta.get("machine", ""))
    body = _compare_body(folder, meta) if compare else _profile_body(folder, meta, top)
    page = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title>\n%s\n</head><body>\n" \
           "<h1>%s</h1>\n<p class=\"note\">machine %s, kernel %s, started %s</p>\n%s\n</body></html>\n" % (
               esc(title), sb.CSS, esc(title), esc(str(meta.get("machine"))), esc(str(meta.get("kernel"))),
               esc(str(meta.get("start"))), body)
    path = os.path.join(folder, "report.html")
    sb.write_atomic(path, page)
    return path
