#!/usr/bin/env python3
"""check.py - check what tests/vm/guest.sh recorded in an emulated machine
against the shape it ran on (tests/vm/shapes/NAME.shape).  TAP on stdout,
closing with "N passed, N failed".

The expectations come from the shape alone: which CPUs each node has (QEMU
CPU index = Linux CPU number = hwloc PU OS index), which package each CPU is
in (QEMU numbers CPUs socket by socket), the distance matrix.  The results
come from the guest's files.  Each check is a function of (expectation,
results) returning a list of problems, so that the self-checks at the end can
hand it a wrong expectation and require that it complains: a check that
cannot fail proves nothing.

    check.py --shape=FILE --out=DIR --host-run=DIR [--accel=tcg] [--wrong]

--wrong claims every lock node one higher than asked (modulo the node count):
the whole check must then fail.
"""
import csv
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOCAL = {"self", "smt", "l2", "l3", "numa"}
NUMA_LOCKS = ("cohort", "cna", "hmcs")


def expand(cpus):
    if cpus == "none" or cpus == "":
        return []
    out = []
    for part in cpus.split(","):
        a, _, b = part.partition("-")
        out.extend(range(int(a), int(b or a) + 1))
    return out


class Shape:
    def __init__(self, path):
        self.name = os.path.basename(path).rsplit(".", 1)[0]
        kv = {}
        with open(path) as f:
            for line in f:
                m = re.match(r'^([A-Z]+)=(?:"([^"]*)"|(\S*))', line)
                if m:
                    kv[m.group(1)] = m.group(2) if m.group(2) is not None else m.group(3)
        smp = kv["SMP"].split(",")
        self.ncpus = int(smp[0])
        opt = dict(p.split("=") for p in smp[1:])
        per_pkg = int(opt.get("cores", 1)) * int(opt.get("threads", 1))
        self.packages = int(opt.get("sockets", 1))
        self.nodes = {}  # id -> (MB, [cpus])
        for nd in kv["NODES"].split():
            i, mb, cpus = nd.split(":")
            self.nodes[int(i)] = (int(mb), expand(cpus))
        self.dist = [[int(v) for v in row.split()] for row in kv["DIST"].split(";")]
        self.node_of = {c: n for n, (_, cs) in self.nodes.items() for c in cs}
        self.pkg_of = {c: c // per_pkg for c in range(self.ncpus)}

    def cross_class(self, a, b):
        """The class spinbench must give a pair of CPUs on different nodes,
        or None for a pair on one node (smt, l2, l3 or numa)."""
        if self.node_of[a] == self.node_of[b]:
            return None
        return "package" if self.pkg_of[a] == self.pkg_of[b] else "remote"

    def classes(self):
        """Every class a --c2c over all CPUs must report."""
        cs = set()
        for a in range(self.ncpus):
            for b in range(a + 1, self.ncpus):
                cs.add(self.cross_class(a, b) or "local")
        return cs


class Tap:
    def __init__(self, prefix):
        self.n = self.passed = self.failed = 0
        self.prefix = prefix

    def check(self, desc, problems):
        self.n += 1
        if problems:
            self.failed += 1
            print("not ok %d - %s: %s" % (self.n, self.prefix, desc))
            for p in problems[:8]:
                print("#   " + p)
        else:
            self.passed += 1
            print("ok %d - %s: %s" % (self.n, self.prefix, desc))


def read(out, name):
    try:
        with open(os.path.join(out, name)) as f:
            return f.read()
    except OSError:
        return None


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def ran(out, name, want_rc=0):
    """Problems with run NAME: its exit status, and (rc 0) its result folder."""
    rc = (read(out, name + ".rc") or "").strip()
    if rc != str(want_rc):
        return ["%s: exit %s, want %s; stderr: %s" % (name, rc or "none", want_rc, (read(out, name + ".err") or "").strip()[:300])]
    return []


# --- the checks: each returns a list of problems -----------------------------

def check_kernel_nodes(shape, out):
    txt = read(out, "kernel-nodes.txt")
    if not txt:
        return ["no kernel-nodes.txt (the guest script did not run)"]
    seen = {}
    for line in txt.splitlines():
        left, _, right = line.partition(":")
        f = left.split()
        seen[int(f[0])] = (int(f[1]), expand(f[2]) if len(f) > 2 else [], [int(v) for v in right.split()])
    p = []
    if sorted(seen) != sorted(shape.nodes):
        p.append("kernel nodes %s, shape %s" % (sorted(seen), sorted(shape.nodes)))
        return p
    for n, (mb, cpus) in shape.nodes.items():
        kmb, kcpus, kdist = seen[n]
        if kcpus != cpus:
            p.append("node %d: kernel cpus %s, shape %s" % (n, kcpus, cpus))
        if mb and not (0.75 * mb <= kmb <= mb):
            p.append("node %d: kernel %d MB, shape %d MB" % (n, kmb, mb))
        if kdist != shape.dist[n]:
            p.append("node %d: kernel distances %s, shape %s" % (n, kdist, shape.dist[n]))
    return p


def check_hwloc(shape, out):
    xml = read(out, "topology.xml")
    if not xml:
        return ["no topology.xml from lstopo: %s" % (read(out, "lstopo.err") or "").strip()]
    root = ET.fromstring(xml)
    objs = list(root.iter("object"))
    numa = [o for o in objs if o.get("type") == "NUMANode"]
    pkgs = [o for o in objs if o.get("type") == "Package"]
    pus = [o for o in objs if o.get("type") == "PU"]
    p = []
    if len(numa) != len(shape.nodes):
        p.append("hwloc: %d NUMA nodes, shape %d" % (len(numa), len(shape.nodes)))
    if len(pkgs) != shape.packages:
        p.append("hwloc: %d packages, shape %d" % (len(pkgs), shape.packages))
    if len(pus) != shape.ncpus:
        p.append("hwloc: %d PUs, shape %d" % (len(pus), shape.ncpus))
    return p


def check_meta_topology(shape, out, run):
    meta = json.loads(read(out, run + "/meta.json") or "{}")
    t = meta.get("topology", {})
    want = {"numa_nodes": len(shape.nodes), "packages": shape.packages, "pus": shape.ncpus, "is_this_system": True}
    return ["%s/meta.json topology %s = %s, want %s" % (run, k, t.get(k), v) for k, v in want.items() if t.get(k) != v]


def plan_rows(txt):
    """thread -> (pu, node, package, class) from a --plan table."""
    r = {}
    for line in (txt or "").splitlines():
        f = line.split()
        if len(f) == 7 and f[0].isdigit():
            r[int(f[0])] = (int(f[1]), int(f[4]), int(f[5]), f[6])
    return r


def check_plan(shape, out):
    p = ran(out, "plan-scatter") + ran(out, "plan-xml") + ran(out, "plan-cores")
    live, xml = plan_rows(read(out, "plan-scatter.out")), plan_rows(read(out, "plan-xml.out"))
    if not live:
        return p + ["plan-scatter printed no plan"]
    if live != xml:
        p.append("the live plan differs from the plan of the guest's own topology.xml")
    if sorted(v[0] for v in live.values()) != list(range(shape.ncpus)):
        p.append("scatter plan uses PUs %s, want each of the %d once" % (sorted(v[0] for v in live.values()), shape.ncpus))
    for th, (pu, node, pkg, cls) in live.items():
        if shape.node_of.get(pu) != node:
            p.append("thread %d: PU %d on node %d, shape says %s" % (th, pu, node, shape.node_of.get(pu)))
        want = shape.cross_class(live[0][0], pu) if th else None
        if th and want and cls != want:
            p.append("thread %d: class %s from thread 0, shape says %s" % (th, cls, want))
        if th and not want and cls not in LOCAL:
            p.append("thread %d: class %s from thread 0 on the same node" % (th, cls))
    # scatter: the first threads visit the nodes that have CPUs one each, packages first
    cpu_nodes = [n for n, (_, c) in shape.nodes.items() if c]
    first = [live[t][1] for t in range(len(cpu_nodes))]
    if sorted(first) != sorted(cpu_nodes):
        p.append("scatter: the first %d threads are on nodes %s, want one on each of %s" % (len(cpu_nodes), first, cpu_nodes))
    if shape.packages > 1 and shape.pkg_of[live[0][0]] == shape.pkg_of[live[1][0]]:
        p.append("scatter: threads 0 and 1 share a package")
    cores = plan_rows(read(out, "plan-cores.out"))
    order = [cores[t][1] for t in sorted(cores)]
    if order != sorted(order):
        p.append("cores plan does not fill one node before the next: nodes %s" % order)
    return p


def check_lock_node(shape, out, n, claim):
    """--lock-node=n: exit 0, and the lock where it was claimed to be."""
    run = "locknode-%d" % n
    p = ran(out, run)
    if p:
        return p
    meta = json.loads(read(out, run + "/meta.json") or "{}")
    if meta.get("lock_node") != claim:
        p.append("%s: meta.json lock_node %s, claimed %d" % (run, meta.get("lock_node"), claim))
    for r in rows(os.path.join(out, run, "summary.csv")):
        if r["lock_node_real"] != str(claim):
            p.append("%s: summary.csv lock_node_real %s, claimed %d" % (run, r["lock_node_real"], claim))
    return p


def one_line_exit2(out, run, needles):
    p = ran(out, run, 2)
    err = (read(out, run + ".err") or "").strip().splitlines()
    if len(err) != 1 or not all(s in err[0] for s in needles):
        p.append("%s: want one stderr line naming %s, got %s" % (run, needles, err))
    res = os.path.join(out, "results")
    left = os.listdir(os.path.join(out, run)) if os.path.isdir(os.path.join(out, run)) else []
    left += os.listdir(res) if os.path.isdir(res) else []
    if left:
        p.append("%s: wrote %s" % (run, left))
    return p


def check_placement(shape, out, n, claim):
    """--placement=node:n: every worker on a PU of node `claim`, all of them used;
    a node without CPUs is one line and exit 2."""
    run = "place-%d" % n
    cpus = shape.nodes[claim][1]
    if not cpus:
        return one_line_exit2(out, run, ["node:%d" % n])
    p = ran(out, run)
    if p:
        return p
    th = rows(os.path.join(out, run, "threads.csv"))
    pus = sorted({int(r["pu"]) for r in th})
    if pus != cpus:
        p.append("%s: workers on PUs %s, node %d has %s" % (run, pus, claim, cpus))
    bad = [r for r in th if r["node"] != str(claim)]
    if bad:
        p.append("%s: %d workers report node %s, want %d" % (run, len(bad), bad[0]["node"], claim))
    return p


def check_numa_locks(shape, out, node_of):
    """cohort, cna and hmcs ran with the real node ids (threads.csv node =
    the node of the worker's PU), without --virtual-nodes, with no violation."""
    p = ran(out, "numa")
    if p:
        return p
    meta = json.loads(read(out, "numa/meta.json") or "{}")
    if meta.get("virtual_nodes") != 0:
        p.append("numa: virtual_nodes %s" % meta.get("virtual_nodes"))
    seen = set()
    for r in rows(os.path.join(out, "numa", "threads.csv")):
        if r["lock"] in NUMA_LOCKS:
            seen.add(r["lock"])
            if r["node"] != str(node_of[int(r["pu"])]):
                p.append("numa: %s thread %s on PU %s has node %s, want %d" % (r["lock"], r["thread"], r["pu"], r["node"], node_of[int(r["pu"])]))
    if seen != set(NUMA_LOCKS):
        p.append("numa: threads.csv has %s, want %s" % (sorted(seen), NUMA_LOCKS))
    for r in rows(os.path.join(out, "numa", "summary.csv")):
        if r["violations"] != "0":
            p.append("numa: %s: %s violations" % (r["lock"], r["violations"]))
    return p


def check_handoff_classes(shape, out, run, node_of):
    """handoffs.csv: each pair's class from the shape; per row of
    summary.csv the pairs add up to `handoffs`, the local ones to
    handoff_local_share, each class to handoff_share_<class>."""
    p = ran(out, run)
    if p:
        return p
    pairs = {}
    for r in rows(os.path.join(out, run, "handoffs.csv")):
        a, b, c = int(r["from_pu"]), int(r["to_pu"]), int(r["count"])
        want = shape.cross_class(a, b)
        if (want and r["class"] != want) or (not want and r["class"] not in LOCAL):
            p.append("%s: pair %d->%d class %s, shape says %s" % (run, a, b, r["class"], want or "one node"))
        pairs.setdefault((r["lock"], r["threads"], r["rep"]), []).append((a, b, r["class"], c))
    seen = set()
    for r in rows(os.path.join(out, run, "summary.csv")):
        key = (r["lock"], r["threads"], r["rep"])
        ps = pairs.get(key, [])
        total = sum(c for *_, c in ps)
        if total != int(r["handoffs"]):
            p.append("%s %s: pairs add up to %d, handoffs %s" % (run, r["lock"], total, r["handoffs"]))
            continue
        if not total:
            # the host may starve an emulated CPU: allowed only when the run says so
            if r["preempted"] == "0":
                p.append("%s %s: no handoff to check, and not marked preempted" % (run, r["lock"]))
            continue
        local = sum(c for a, b, _, c in ps if node_of[a] == node_of[b]) / total
        if abs(float(r["handoff_local_share"]) - local) > 1e-3:
            p.append("%s %s: handoff_local_share %s, the pairs give %.4f" % (run, r["lock"], r["handoff_local_share"], local))
        for cls in ("numa", "package", "remote"):
            share = sum(c for _, _, k, c in ps if k == cls) / total
            col = r.get("handoff_share_" + cls, "NA")
            got = 0.0 if col == "NA" else float(col)
            if abs(got - share) > 1e-3:
                p.append("%s %s: handoff_share_%s %s, the pairs give %.4f" % (run, r["lock"], cls, col, share))
            if share:
                seen.add(cls)
    want = {c for c in shape.classes() if c != "local"}
    if not want <= seen:
        p.append("%s: handoff classes seen %s, the shape has %s" % (run, sorted(seen), sorted(want)))
    return p


def check_c2c(shape, out):
    p = ran(out, "c2c")
    if p:
        return p
    got = set()
    for r in rows(os.path.join(out, "c2c", "c2c.csv")):
        a, b = int(r["from_pu"]), int(r["to_pu"])
        want = shape.cross_class(a, b)
        got.add(r["class"] if want else ("local" if r["class"] in LOCAL else r["class"]))
        if (want and r["class"] != want) or (not want and r["class"] not in LOCAL):
            p.append("c2c: pair %d->%d class %s, shape says %s" % (a, b, r["class"], want or "one node"))
        if not float(r["median_ns"]) > 0:
            p.append("c2c: pair %d->%d median %s" % (a, b, r["median_ns"]))
    if got != shape.classes():
        p.append("c2c classes %s, the shape has %s" % (sorted(got), sorted(shape.classes())))
    return p


def check_compare(out, host_run):
    cmp_out = os.path.join(out, "compare")
    r = subprocess.run([os.path.join(REPO, "compare-results"), "--out=" + cmp_out, host_run, os.path.join(out, "pair")],
                       capture_output=True, text=True)
    p = []
    if r.returncode != 0:
        return ["compare-results exit %d: %s" % (r.returncode, r.stderr.strip()[-300:])]
    cmp_rows = rows(os.path.join(cmp_out, "comparison.csv"))
    if not any(x.get("lock") == "mcs" for x in cmp_rows):
        p.append("comparison.csv has no mcs row")
    if "mcs" not in r.stdout:
        p.append("compare-results printed no mcs line")
    return p


def main():
    a = dict(x[2:].split("=", 1) if "=" in x else (x[2:], "1") for x in sys.argv[1:])
    shape, out = Shape(a["shape"]), a["out"]
    wrong = "wrong" in a
    t = Tap(shape.name)
    rc = (read(out, "guest.rc") or "").strip()
    t.check("the guest booted under %s and its script ran to the end" % a.get("accel", "?"),
            [] if rc == "0" else ["guest exit: %s; console: %s" % (rc, (read(out, "console.log") or "").strip()[-400:])])
    if rc != "0":
        print("%d passed, %d failed" % (t.passed, t.failed))
        return 1
    t.check("the kernel's nodes, CPUs, memory and distances are the shape's", check_kernel_nodes(shape, out))
    t.check("hwloc: %d NUMA nodes, %d packages, %d PUs" % (len(shape.nodes), shape.packages, shape.ncpus), check_hwloc(shape, out))
    t.check("meta.json records the live topology", check_meta_topology(shape, out, "numa"))
    t.check("--plan on the live topology: nodes, classes, scatter and cores orders; the same from its XML", check_plan(shape, out))
    nn = len(shape.nodes)
    for n in sorted(shape.nodes):
        claim = (n + 1) % nn if wrong else n
        t.check("--lock-node=%d lands on node %d (lock_node_real)%s" % (n, claim, "" if shape.nodes[n][1] else ", a node without CPUs"),
                check_lock_node(shape, out, n, claim))
    t.check("--lock-node of a missing node: one line, exit 2, nothing written",
            one_line_exit2(out, "locknode-missing", ["--lock-node", str(max(shape.nodes) + 1)]))
    for n in sorted(shape.nodes):
        t.check("--placement=node:%d %s" % (n, "binds every worker to a PU of that node" if shape.nodes[n][1]
                                            else "(no CPUs): one line, exit 2, nothing written"),
                check_placement(shape, out, n, n))
    t.check("cohort, cna and hmcs take the real node ids, without --virtual-nodes", check_numa_locks(shape, out, shape.node_of))
    t.check("handoff classes per pair, and they add up to handoffs, handoff_local_share and the class shares",
            check_handoff_classes(shape, out, "numa", shape.node_of))
    t.check("--c2c reports the classes of the shape: %s" % ",".join(sorted(shape.classes())), check_c2c(shape, out))
    t.check("compare-results lines up this host's run with the guest's", check_compare(out, a["host-run"]))

    # Self-checks: the same checks, handed a wrong expectation, must complain.
    nn = len(shape.nodes)
    if nn < 2:
        t.n += 1
        t.passed += 1
        print("ok %d - %s: self-checks # skip one node: no wrong node to claim" % (t.n, shape.name))
        print("%d passed, %d failed" % (t.passed, t.failed))
        return 1 if t.failed else 0
    n0 = min(shape.nodes)
    other = (n0 + 1) % nn
    bad_node_of = {c: (n + 1) % nn for c, n in shape.node_of.items()}
    t.check("self-check: the lock on node %d claimed as node %d fails the lock-node check" % (n0, other),
            [] if check_lock_node(shape, out, n0, other) else ["the check passed a wrong claim"])
    cpu_nodes = [n for n, (_, c) in shape.nodes.items() if c]
    wrong_place = next((n for n in shape.nodes if n != cpu_nodes[0]), None)
    t.check("self-check: workers of node:%d claimed on node %d fail the placement check" % (cpu_nodes[0], wrong_place),
            [] if check_placement(shape, out, cpu_nodes[0], wrong_place) else ["the check passed a wrong claim"])
    t.check("self-check: a wrong node of each PU fails the NUMA-lock check",
            [] if check_numa_locks(shape, out, bad_node_of) else ["the check passed a wrong node map"])
    # a map that moves the local/remote line: each CPU alone, or all together
    shared = any(len(c) > 1 for _, c in shape.nodes.values())
    bad_local = {c: (c if shared else 0) for c in shape.node_of}
    t.check("self-check: a wrong local/remote split fails the handoff_local_share check",
            [] if check_handoff_classes(shape, out, "numa", bad_local) else ["the check passed a wrong node map"])
    print("%d passed, %d failed" % (t.passed, t.failed))
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
