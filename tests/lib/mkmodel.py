#!/usr/bin/env python3
"""mkmodel - write a synthetic spinbench result folder whose throughputs
come from the advisor's own cross-machine model with known parameters, for
tests/e2e/test_advise.sh: the fit must give the parameters back, and the
predictions on other topologies are then exact functions of them.

    python3 tests/lib/mkmodel.py DIR

The machine "modelbox": 8 PUs, 8 cores, one NUMA node, one L3; every pair
of PUs is class l3 with a 40 ns floor (c2c.csv).  max-contention at 1, 2,
4, 8 threads (cores placement), 6 repetitions each, every handoff l3.  A
FIFO or NUMA-aware lock's throughput at T >= 2 is 1e9 / (u + m*40 +
s*(T-2)*40) (the chain of plot/advisor.py with no think time); the unfair
ttas and pthread-mutex get fixed figures (the model does not predict
them).  Python 3 standard library only.
"""

import json
import os
import sys

FLOOR = 40.0
PARAMS = {   # lock: (u ns, m floors per handoff, s floors per extra waiter)
    "ticket": (8.0, 2.0, 0.3),
    "mcs": (12.0, 2.5, 0.0),
    "clh": (10.0, 2.4, 0.0),
    "qspin": (9.0, 2.2, 0.05),
    "cohort": (20.0, 2.6, 0.0),
    "cna": (15.0, 2.5, 0.0),
    "hmcs": (25.0, 2.8, 0.0),
}
UNFAIR = {"ttas": (5.0, 30e6), "pthread-mutex": (20.0, 10e6)}   # u ns, throughput at T >= 2
FAMILY = {"ticket": "basic", "ttas": "basic", "mcs": "queued", "clh": "queued", "qspin": "queued",
          "cohort": "queued", "cna": "queued", "hmcs": "queued", "pthread-mutex": "ref"}
THREADS = [1, 2, 4, 8]
REPS = 6


def throughput(lock, t):
    if lock in UNFAIR:
        u, x = UNFAIR[lock]
        return 1e9 / u if t == 1 else x
    u, m, s = PARAMS[lock]
    return 1e9 / u if t == 1 else 1e9 / (u + m * FLOOR + s * (t - 2) * FLOOR)


def main(d):
    os.makedirs(d)
    cfg_head = ("run_id,machine,lock,family,workload,placement,threads,reps,throughput_ops_s,throughput_ci_lo,"
                "throughput_ci_hi,unstable,jain,handoff_p50_ns,starved_reps,preempted_reps,oversubscribed")
    sum_head = ("run_id,machine,lock,family,workload,threads,placement,pus,rep,throughput_ops_s,jain,min_max_ratio,"
                "starved,timed_acquisitions,handoffs,reacquires,idle_acquires,handoff_p50_ns,handoff_p99_ns,"
                "violations,oversubscribed,preempted,handoff_share_l3,handoff_p50_l3_ns")
    cfg, summ = [cfg_head], [sum_head]
    for lock in list(PARAMS) + list(UNFAIR):
        for t in THREADS:
            x = throughput(lock, t)
            h = "NA" if t == 1 else "%.1f" % (1e9 / x)
            cfg.append("modelbox,modelbox,%s,%s,max-contention,cores,%d,%d,%.1f,%.1f,%.1f,0,1.0,%s,0,0,0" % (
                lock, FAMILY[lock], t, REPS, x, 0.98 * x, 1.02 * x, h))
            for r in range(REPS):
                ho = 0 if t == 1 else 1000
                summ.append("modelbox,modelbox,%s,%s,max-contention,%d,cores,8,%d,%.1f,1.0,1.0,0,1000,%d,%d,0,"
                            "%s,%s,0,0,0,%s,%s" % (lock, FAMILY[lock], t, r, x, ho, 1000 - ho, h, h,
                                                   "NA" if t == 1 else "1.0", h))
    with open(os.path.join(d, "configs.csv"), "w") as f:
        f.write("\n".join(cfg) + "\n")
    with open(os.path.join(d, "summary.csv"), "w") as f:
        f.write("\n".join(summ) + "\n")
    with open(os.path.join(d, "c2c.csv"), "w") as f:
        f.write("from_pu,to_pu,class,median_ns,min_ns,samples,offset_ns\n")
        for a in range(8):
            for b in range(8):
                if a != b:
                    f.write("%d,%d,l3,%.1f,%.1f,100,0.0\n" % (a, b, FLOOR, FLOOR - 2))
    meta = {"schema_version": 2, "run_id": "modelbox", "machine": "modelbox", "cpu_model": "Model CPU",
            "kernel": "Linux 6.1.0-model x86_64", "git_commit": "fixture", "start_time": "2026-01-01T00:00:00+0000",
            "command_line": "tests/lib/mkmodel.py", "complete": True,
            "clock": {"source": "tsc", "invariant": True, "hypervisor": False},
            "topology": {"pus": 8, "cores": 8, "numa_nodes": 1, "packages": 1, "l3_caches": 1,
                         "is_this_system": False},
            "workload": "max-contention",
            "workload_parameters": "cs=0 think=0 cs-lines=0 data=separate locks=1 read-ratio=0 hold-limit=25us "
                                   "ds=none",
            "placement": "cores", "virtual_nodes": 0, "locks": list(PARAMS) + list(UNFAIR)}
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: mkmodel.py DIR")
    sys.exit(main(sys.argv[1]))
