/*
 * test_placement.c - topology loading, placement plans, distance classes and
 * thread binding (harness/topo.c).
 *
 * Plans are checked on real machines' hwloc XML topologies
 * (tests/topologies, or $SB_TOPOLOGIES), against an oracle written
 * directly on hwloc in this file (a second load of the same XML), and against
 * orders worked out by hand from `lstopo-no-graphics -i FILE`.  Binding is
 * checked on this system only.  Runs from the repository root.
 */
#include "topo.h"
#include "tap.h"
#include "testutil.h"

#include <errno.h>
#include <hwloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXT 8192

/* What README.md's table says about each machine. */
typedef struct {
	const char *file;
	int pus, cores, nodes, packages, l3s;
	const char *model_prefix; /* NULL: "unknown" */
} machine_t;

static const machine_t machines[] = {
	{"intel-2s-2n8c2t.xml", 32, 16, 2, 2, 2, "Intel(R) Xeon(R) CPU E5-2650"},
	{"amd-zen1-2x7451-8n.xml", 96, 48, 8, 2, 16, "AMD EPYC 7451 24-Core Processor"},
	{"power8-2n.xml", 16, 8, 2, 2, 8, "POWER8NVL"},
	{"amd-opteron-8n2c-distances.xml", 16, 16, 8, 8, 0, "Dual Core AMD Opteron"},
	{"intel-4s2c2t.xml", 16, 8, 1, 4, 4, NULL},
	{"amd-zen3-2x7763.xml", 128, 128, 2, 2, 16, "AMD EPYC 7763 64-Core Processor"},
	{"intel-24n8c2t.xml", 384, 192, 24, 24, 24, "Intel(R) Xeon(R) CPU E5-4640"},
};

static char topodir[4096];

/* ---- the oracle: straight hwloc on a second load ------------------------ */

static hwloc_topology_t oracle_load(const char *path)
{
	hwloc_topology_t h;

	if (hwloc_topology_init(&h) < 0)
		return NULL;
	if (hwloc_topology_set_xml(h, path) < 0 || hwloc_topology_load(h) < 0) {
		hwloc_topology_destroy(h);
		return NULL;
	}
	return h;
}

static hwloc_obj_t o_pu(hwloc_topology_t h, int os)
{
	return os < 0 ? NULL : hwloc_get_pu_obj_by_os_index(h, (unsigned)os);
}

static int o_anc(hwloc_topology_t h, int os, hwloc_obj_type_t type)
{
	hwloc_obj_t pu = o_pu(h, os), a;

	if (!pu)
		return -2;
	a = hwloc_get_ancestor_obj_by_type(h, type, pu);
	return a ? (int)a->logical_index : -1;
}

static int o_core(hwloc_topology_t h, int os)
{
	return o_anc(h, os, HWLOC_OBJ_CORE);
}

static int o_pkg(hwloc_topology_t h, int os)
{
	return o_anc(h, os, HWLOC_OBJ_PACKAGE);
}

/* NUMA node containing the PU: the first one in logical order whose cpuset
   has it.  logical: return the logical index, else the OS index. */
static int o_node(hwloc_topology_t h, int os, int logical)
{
	hwloc_obj_t n = NULL;

	while ((n = hwloc_get_next_obj_by_type(h, HWLOC_OBJ_NUMANODE, n)))
		if (hwloc_bitmap_isset(n->cpuset, (unsigned)os))
			return logical ? (int)n->logical_index : (int)n->os_index;
	return -1;
}

/* How many PUs of the same core come before this one in logical order. */
static int o_smt_rank(hwloc_topology_t h, int os)
{
	hwloc_obj_t pu = o_pu(h, os), core = hwloc_get_ancestor_obj_by_type(h, HWLOC_OBJ_CORE, pu);
	unsigned i;
	int rank = 0;

	if (!core)
		return 0;
	hwloc_bitmap_foreach_begin(i, core->cpuset)
	{
		hwloc_obj_t o = hwloc_get_pu_obj_by_os_index(h, i);

		if (o && o->logical_index < pu->logical_index)
			rank++;
	}
	hwloc_bitmap_foreach_end();
	return rank;
}

static int o_pu_os_by_logical(hwloc_topology_t h, int l)
{
	hwloc_obj_t o = hwloc_get_obj_by_type(h, HWLOC_OBJ_PU, (unsigned)l);

	return o ? (int)o->os_index : -1;
}

/* The distance class from the lowest common ancestor, written independently
   of topo.c: the first of Core / L2 / L3 at or above the LCA; else, below a
   package: numa or package by the NUMA node; else remote. */
static sb_dist_t o_classify(hwloc_topology_t h, int a, int b)
{
	hwloc_obj_t pa = o_pu(h, a), pb = o_pu(h, b), lca;

	if (pa == pb)
		return SB_DIST_SELF;
	lca = hwloc_get_common_ancestor_obj(h, pa, pb);
	for (hwloc_obj_t o = lca; o; o = o->parent) {
		if (o->type == HWLOC_OBJ_CORE)
			return SB_DIST_SMT;
		if (o->type == HWLOC_OBJ_L2CACHE)
			return SB_DIST_L2;
		if (o->type == HWLOC_OBJ_L3CACHE)
			return SB_DIST_L3;
	}
	if (lca->type == HWLOC_OBJ_PACKAGE || hwloc_get_ancestor_obj_by_type(h, HWLOC_OBJ_PACKAGE, lca) ||
	    hwloc_get_nbobjs_by_type(h, HWLOC_OBJ_PACKAGE) == 0)
		return o_node(h, a, 1) == o_node(h, b, 1) ? SB_DIST_NUMA : SB_DIST_PACKAGE;
	return SB_DIST_REMOTE;
}

/* ---- helpers ------------------------------------------------------------ */

static int one_line(const char *s)
{
	return s[0] && !strchr(s, '\n');
}

static int all_distinct(const int *p, int n)
{
	for (int i = 0; i < n; i++)
		for (int j = 0; j < i; j++)
			if (p[i] == p[j])
				return 0;
	return 1;
}

static int plan_str(const sb_topo_t *t, const char *policy, int threads, int *pus, char *err, size_t errlen)
{
	static sb_placement_t pl; /* big; the test is single-threaded here */

	if (sb_placement_parse(policy, &pl, err, errlen) < 0)
		return -9;
	return sb_plan(t, &pl, threads, pus, err, errlen);
}

static int usable_str(const sb_topo_t *t, const char *policy)
{
	static sb_placement_t pl;
	char err[256];

	if (sb_placement_parse(policy, &pl, err, sizeof(err)) < 0)
		return -9;
	return sb_plan_usable_pus(t, &pl);
}

static void diag_plan(const char *what, const int *pus, int n)
{
	char line[512];
	int o = 0;

	for (int i = 0; i < n && o < (int)sizeof(line) - 12; i++)
		o += snprintf(line + o, sizeof(line) - (size_t)o, "%s%d", i ? "," : "", pus[i]);
	sb_diag("%s: %s", what, line);
}

static int expect_plan(const sb_topo_t *t, const char *name, const char *policy, const int *want, int n)
{
	int got[64], rc;
	char err[256];

	rc = plan_str(t, policy, n, got, err, sizeof(err));
	if (!sb_ok(rc == 0 && !memcmp(got, want, sizeof(int) * (size_t)n),
		   "%s: %s first %d threads as worked out from lstopo", name, policy, n)) {
		diag_plan("got", got, n);
		diag_plan("want", want, n);
		return 0;
	}
	return 1;
}

/* sb_plan_print, as TAP diagnostics. */
static void diag_print(const sb_topo_t *t, const int *pus, int threads)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	sb_plan_print(f, t, pus, threads);
	fclose(f);
	for (char *s = strtok(buf, "\n"); s; s = strtok(NULL, "\n"))
		sb_diag("%s", s);
	free(buf);
}

/* ---- per-policy property checks on one XML machine ---------------------- */

static int pus_a[MAXT], pus_b[MAXT];

/* Common to cores, compact, scatter: all PUs once with threads = PUs;
   wrap-around and rc 1 beyond; a shorter plan is a prefix of a longer one. */
static void check_generic(const sb_topo_t *t, const machine_t *m, const char *policy)
{
	char err[256];
	int rc, n = m->pus, ok;

	rc = plan_str(t, policy, n, pus_a, err, sizeof(err));
	sb_ok(rc == 0 && all_distinct(pus_a, n), "%s: %s with %d threads uses every PU once (rc %d)", m->file, policy,
	      n, rc);
	sb_ok(usable_str(t, policy) == n, "%s: %s usable PUs = %d", m->file, policy, n);
	rc = plan_str(t, policy, n + 5, pus_b, err, sizeof(err));
	ok = rc == 1 && !memcmp(pus_a, pus_b, sizeof(int) * (size_t)n);
	for (int i = 0; ok && i < 5; i++)
		ok = pus_b[n + i] == pus_a[i];
	sb_ok(ok, "%s: %s with %d threads returns 1 (oversubscribed) and wraps around (rc %d)", m->file, policy, n + 5,
	      rc);
	ok = 1;
	for (int k = 1; ok && k < n; k += 1 + k / 3) {
		rc = plan_str(t, policy, k, pus_b, err, sizeof(err));
		ok = rc == 0 && !memcmp(pus_a, pus_b, sizeof(int) * (size_t)k);
	}
	sb_ok(ok, "%s: %s: a plan for fewer threads is a prefix of the full plan (pure function)", m->file, policy);
}

static void check_compact(const sb_topo_t *t, hwloc_topology_t h, const machine_t *m)
{
	char err[256];
	int n = m->pus, ok = 1, runs = 1;

	plan_str(t, "compact", n, pus_a, err, sizeof(err));
	for (int i = 0; i < n && ok; i++)
		ok = pus_a[i] == o_pu_os_by_logical(h, i);
	sb_ok(ok, "%s: compact = PUs in logical order", m->file);
	for (int i = 1; i < n; i++)
		runs += o_core(h, pus_a[i]) != o_core(h, pus_a[i - 1]);
	sb_ok(runs == m->cores, "%s: compact keeps each core's PUs together (%d runs, %d cores)", m->file, runs,
	      m->cores);
	if (m->pus == 2 * m->cores) {
		ok = 1;
		for (int i = 0; i < n / 2 && ok; i++)
			ok = o_core(h, pus_a[2 * i]) == o_core(h, pus_a[2 * i + 1]) && pus_a[2 * i] != pus_a[2 * i + 1];
		sb_ok(ok, "%s: compact: threads 2i and 2i+1 are SMT siblings", m->file);
	}
}

static void check_cores(const sb_topo_t *t, hwloc_topology_t h, const machine_t *m)
{
	char err[256];
	int n = m->pus, c = m->cores, ok = 1, first_node_cores = 0;
	hwloc_obj_t node0 = hwloc_get_obj_by_type(h, HWLOC_OBJ_NUMANODE, 0);

	plan_str(t, "cores", n, pus_a, err, sizeof(err));
	for (int i = 0; i < c && ok; i++) {
		ok = o_smt_rank(h, pus_a[i]) == 0;
		for (int j = 0; j < i && ok; j++)
			ok = o_core(h, pus_a[i]) != o_core(h, pus_a[j]);
	}
	sb_ok(ok, "%s: cores: the first %d threads are on %d different cores, none an SMT sibling", m->file, c, c);
	ok = 1;
	for (int i = 1; i < n && ok; i++)
		ok = o_smt_rank(h, pus_a[i]) >= o_smt_rank(h, pus_a[i - 1]);
	sb_ok(ok, "%s: cores: 2nd PUs of cores only after every core has one, 3rd after 2nd...", m->file);
	ok = 1;
	for (int i = 1; i < c && ok; i++) {
		int nd = o_node(h, pus_a[i], 1), pd = o_node(h, pus_a[i - 1], 1);

		ok = nd > pd || (nd == pd && o_core(h, pus_a[i]) > o_core(h, pus_a[i - 1]));
	}
	sb_ok(ok, "%s: cores: fills one NUMA node (logical order) before the next, cores in logical order", m->file);
	for (hwloc_obj_t co = NULL; (co = hwloc_get_next_obj_by_type(h, HWLOC_OBJ_CORE, co));)
		first_node_cores += hwloc_bitmap_isincluded(co->cpuset, node0->cpuset);
	ok = first_node_cores > 0;
	for (int i = 0; i < first_node_cores && ok; i++)
		ok = hwloc_bitmap_isset(node0->cpuset, (unsigned)pus_a[i]);
	sb_ok(ok, "%s: cores: the first %d threads fill the first NUMA node (P#%u)", m->file, first_node_cores,
	      node0->os_index);
	sb_ok(pus_a[0] == o_pu_os_by_logical(h, 0), "%s: cores: thread 0 on the first PU (P#%d)", m->file, pus_a[0]);
}

static void check_scatter(const sb_topo_t *t, hwloc_topology_t h, const machine_t *m)
{
	char err[256];
	int n = m->pus, c = m->cores, nodes = m->nodes, ok = 1;
	int cnt[64] = {0};

	plan_str(t, "scatter", n, pus_a, err, sizeof(err));
	for (int i = 0; i < nodes && ok; i++)
		for (int j = 0; j < i && ok; j++)
			ok = o_node(h, pus_a[i], 1) != o_node(h, pus_a[j], 1);
	sb_ok(ok, "%s: scatter: the first k threads sit on k different NUMA nodes, k <= %d", m->file, nodes);
	if (m->packages > 1 && nodes > 1) {
		ok = 1;
		for (int i = 1; i < nodes && ok; i++)
			ok = o_pkg(h, pus_a[i]) != o_pkg(h, pus_a[i - 1]);
		sb_ok(ok, "%s: scatter: consecutive threads alternate packages over the first %d", m->file, nodes);
	}
	ok = 1;
	for (int i = 0; i < c && ok; i++) {
		int lo = 1 << 30, hi = 0;

		ok = o_smt_rank(h, pus_a[i]) == 0;
		for (int j = 0; j < i && ok; j++)
			ok = o_core(h, pus_a[i]) != o_core(h, pus_a[j]);
		cnt[o_node(h, pus_a[i], 1)]++;
		for (int k = 0; k < nodes; k++) {
			lo = cnt[k] < lo ? cnt[k] : lo;
			hi = cnt[k] > hi ? cnt[k] : hi;
		}
		ok = ok && hi - lo <= 1;
		if (!ok)
			sb_diag("thread %d (P#%d) breaks the round-robin", i, pus_a[i]);
	}
	sb_ok(ok, "%s: scatter: one per core before SMT siblings, nodes balanced round-robin", m->file);
	ok = 1;
	for (int i = 1; i < n && ok; i++)
		ok = o_smt_rank(h, pus_a[i]) >= o_smt_rank(h, pus_a[i - 1]);
	sb_ok(ok, "%s: scatter: SMT rank never goes down", m->file);
}

static void check_node(const sb_topo_t *t, hwloc_topology_t h, const machine_t *m)
{
	char err[256], pol[64];
	int okall = 1, nn = 0;

	for (hwloc_obj_t nd = NULL; (nd = hwloc_get_next_obj_by_type(h, HWLOC_OBJ_NUMANODE, nd));) {
		int w = hwloc_bitmap_weight(nd->cpuset), ncores = 0, rc, ok;

		nn++;
		for (hwloc_obj_t co = NULL; (co = hwloc_get_next_obj_by_type(h, HWLOC_OBJ_CORE, co));)
			ncores += hwloc_bitmap_isincluded(co->cpuset, nd->cpuset);
		snprintf(pol, sizeof(pol), "node:%u", nd->os_index);
		rc = plan_str(t, pol, w, pus_a, err, sizeof(err));
		ok = rc == 0 && all_distinct(pus_a, w) && usable_str(t, pol) == w;
		for (int i = 0; i < w && ok; i++)
			ok = hwloc_bitmap_isset(nd->cpuset, (unsigned)pus_a[i]);
		for (int i = 0; i < ncores && ok; i++) {
			ok = o_smt_rank(h, pus_a[i]) == 0;
			for (int j = 0; j < i && ok; j++)
				ok = o_core(h, pus_a[i]) != o_core(h, pus_a[j]);
		}
		rc = plan_str(t, pol, w + 1, pus_b, err, sizeof(err));
		ok = ok && rc == 1 && pus_b[w] == pus_a[0];
		if (!ok)
			sb_diag("%s %s: wrong plan (rc %d, %s)", m->file, pol, rc, err);
		okall &= ok;
	}
	sb_ok(okall && nn == m->nodes,
	      "%s: node:N for each of %d nodes: only node N's PUs, all of them, cores first; wraps with rc 1", m->file,
	      nn);
}

static void check_errors(const sb_topo_t *t, const machine_t *m)
{
	char err[256];
	int rc;

	rc = plan_str(t, "node:99", 4, pus_a, err, sizeof(err));
	sb_ok(rc == -1 && strstr(err, "99") && one_line(err), "%s: node:99 is an error naming 99: %s", m->file, err);
	sb_ok(usable_str(t, "node:99") == 0, "%s: node:99 has 0 usable PUs", m->file);
	rc = plan_str(t, "cpus:0,9999", 2, pus_a, err, sizeof(err));
	sb_ok(rc == -1 && strstr(err, "9999") && one_line(err), "%s: cpus:0,9999 is an error naming 9999: %s", m->file,
	      err);
	rc = plan_str(t, "cores", 0, pus_a, err, sizeof(err));
	sb_ok(rc == -1 && one_line(err), "%s: 0 threads is an error: %s", m->file, err);
}

static void check_cpus(const sb_topo_t *t, hwloc_topology_t h, const machine_t *m)
{
	char err[256], pol[128];
	int want[3], rc, ok;

	want[0] = o_pu_os_by_logical(h, m->pus - 1);
	want[1] = o_pu_os_by_logical(h, 0);
	want[2] = o_pu_os_by_logical(h, m->pus / 2);
	snprintf(pol, sizeof(pol), "cpus:%d,%d,%d", want[0], want[1], want[2]);
	rc = plan_str(t, pol, 3, pus_a, err, sizeof(err));
	sb_ok(rc == 0 && !memcmp(pus_a, want, sizeof(want)) && usable_str(t, pol) == 3,
	      "%s: %s gives exactly that list", m->file, pol);
	rc = plan_str(t, pol, 7, pus_a, err, sizeof(err));
	ok = rc == 1;
	for (int i = 0; i < 7 && ok; i++)
		ok = pus_a[i] == want[i % 3];
	sb_ok(ok, "%s: %s with 7 threads returns 1 and wraps the list", m->file, pol);
}

static void check_machine(const machine_t *m)
{
	char path[4400], err[256];
	sb_topo_t *t;
	hwloc_topology_t h;
	sb_topo_counts_t c;
	int n = m->pus, ok, checked = 0, bad = 0;

	snprintf(path, sizeof(path), "%s/%s", topodir, m->file);
	t = sb_topo_load(path, err, sizeof(err));
	h = oracle_load(path);
	if (!sb_ok(t && h, "%s: loads (%s)", m->file, t ? "ok" : err)) {
		sb_topo_free(t);
		if (h)
			hwloc_topology_destroy(h);
		return;
	}
	sb_topo_counts(t, &c);
	sb_ok(c.pus == m->pus && c.cores == m->cores && c.nodes == m->nodes && c.packages == m->packages &&
		      c.l3s == m->l3s,
	      "%s: counts pus %d cores %d nodes %d packages %d l3 %d", m->file, c.pus, c.cores, c.nodes, c.packages,
	      c.l3s);
	if (m->model_prefix)
		sb_ok(!strncmp(sb_topo_cpu_model(t), m->model_prefix, strlen(m->model_prefix)) &&
			      sb_topo_cpu_model(t)[strlen(sb_topo_cpu_model(t)) - 1] != ' ',
		      "%s: cpu model \"%s\" (trailing blanks trimmed)", m->file, sb_topo_cpu_model(t));
	else
		sb_ok(!strcmp(sb_topo_cpu_model(t), "unknown"), "%s: no CPUModel info: \"%s\"", m->file,
		      sb_topo_cpu_model(t));
	sb_ok(sb_topo_is_thissystem(t) == 0, "%s: is not this system", m->file);
	ok = sb_topo_bind_self(t, o_pu_os_by_logical(h, 0), err, sizeof(err)) == -1 && one_line(err) &&
	     strstr(err, "not this system");
	sb_ok(ok, "%s: binding refuses: %s", m->file, err);

	/* pu_info, pu_node, has_pu against the oracle for every PU */
	ok = 1;
	for (int l = 0; l < n && ok; l++) {
		int os = o_pu_os_by_logical(h, l);
		sb_pu_info_t in;

		ok = sb_topo_has_pu(t, os) && sb_topo_pu_info(t, os, &in) == 0 && in.os_index == os &&
		     in.core == o_core(h, os) && in.l2 == o_anc(h, os, HWLOC_OBJ_L2CACHE) &&
		     in.l3 == o_anc(h, os, HWLOC_OBJ_L3CACHE) && in.package == o_pkg(h, os) &&
		     in.node == o_node(h, os, 0) && sb_topo_pu_node(t, os) == in.node &&
		     in.smt_rank == o_smt_rank(h, os) && sb_topo_has_node(t, in.node);
		if (!ok)
			sb_diag("PU P#%d disagrees with the oracle", os);
	}
	sb_ok(ok, "%s: pu_info/pu_node/has_pu agree with hwloc for all %d PUs", m->file, n);
	sb_ok(!sb_topo_has_pu(t, -1) && !sb_topo_has_pu(t, 100000) && sb_topo_pu_node(t, 100000) == -1 &&
		      !sb_topo_has_node(t, 99) && !sb_topo_has_node(t, -1),
	      "%s: has_pu/has_node/pu_node reject indexes the machine lacks", m->file);

	/* every pair classified as the LCA oracle says, symmetric */
	for (int a = 0; a < n; a++)
		for (int b = 0; b < n; b++) {
			int pa = o_pu_os_by_logical(h, a), pb = o_pu_os_by_logical(h, b);
			sb_dist_t d = sb_topo_classify(t, pa, pb);

			checked++;
			if (d != o_classify(h, pa, pb) || d != sb_topo_classify(t, pb, pa)) {
				if (!bad++)
					sb_diag("P#%d-P#%d: %s, oracle %s", pa, pb, sb_dist_name(d),
						sb_dist_name(o_classify(h, pa, pb)));
			}
		}
	sb_ok(!bad, "%s: classify agrees with the LCA oracle and is symmetric on all %d pairs", m->file, checked);
	sb_ok(sb_topo_classify(t, 0, 100000) == SB_DIST_NCLASSES, "%s: classify of a missing PU is SB_DIST_NCLASSES",
	      m->file);

	check_generic(t, m, "cores");
	check_generic(t, m, "compact");
	check_generic(t, m, "scatter");
	check_compact(t, h, m);
	check_cores(t, h, m);
	check_scatter(t, h, m);
	check_node(t, h, m);
	check_cpus(t, h, m);
	check_errors(t, m);

	/* --plan output: header + one line per thread, thread 0 is "self" */
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		int lines = 0;

		plan_str(t, "scatter", 4, pus_a, err, sizeof(err));
		sb_plan_print(f, t, pus_a, 4);
		fclose(f);
		for (char *s = buf; s && *s; s++)
			lines += *s == '\n';
		sb_ok(lines == 5 && strstr(buf, "self\n") && strstr(buf, "thread"),
		      "%s: sb_plan_print: header + 4 lines", m->file);
		free(buf);
		if (m == &machines[1]) /* show one */
			diag_print(t, pus_a, 4);
	}
	sb_topo_free(t);
	hwloc_topology_destroy(h);
}

/* ---- hand-worked expectations from lstopo ------------------------------- */

static sb_topo_t *load_named(const char *file)
{
	char path[4400], err[256];
	sb_topo_t *t;

	snprintf(path, sizeof(path), "%s/%s", topodir, file);
	t = sb_topo_load(path, err, sizeof(err));
	if (!t)
		sb_diag("%s: %s", file, err);
	return t;
}

#define CLS(t, name, a, b, want)                                                                                   \
	sb_ok(sb_topo_classify(t, a, b) == (want), "%s: P#%d-P#%d is %s (got %s)", name, a, b, sb_dist_name(want), \
	      sb_dist_name(sb_topo_classify(t, a, b)))

static void check_by_hand(void)
{
	sb_topo_t *t;
	sb_pu_info_t in;

	/* Zen1: 2 packages x 4 nodes x 2 L3 x 3 cores x 2 PUs; PU P#i and
	   P#i+48 are siblings; node k holds cores P#6k..6k+5, L3 halves of 3. */
	if ((t = load_named("amd-zen1-2x7451-8n.xml"))) {
		const char *n = "zen1";
		static const int scatter[] = {0, 24, 6, 30, 12, 36, 18, 42, 1, 25, 7, 31};
		static const int cores[] = {0, 1, 2, 3, 4, 5, 6, 7};
		static const int compact[] = {0, 48, 1, 49, 2, 50};
		static const int node5[] = {30, 31, 32, 33, 34, 35, 78, 79};

		CLS(t, n, 0, 0, SB_DIST_SELF);
		CLS(t, n, 0, 48, SB_DIST_SMT);
		CLS(t, n, 0, 1, SB_DIST_L3);
		CLS(t, n, 0, 3, SB_DIST_NUMA);
		CLS(t, n, 0, 6, SB_DIST_PACKAGE);
		CLS(t, n, 0, 24, SB_DIST_REMOTE);
		CLS(t, n, 51, 5, SB_DIST_L3);
		expect_plan(t, n, "scatter", scatter, 12);
		expect_plan(t, n, "cores", cores, 8);
		expect_plan(t, n, "compact", compact, 6);
		expect_plan(t, n, "node:5", node5, 8);
		{
			char err[256];
			int pus[64], rc = plan_str(t, "cores", 49, pus, err, sizeof(err));

			sb_ok(rc == 0 && pus[47] == 47 && pus[48] == 48,
			      "zen1: cores: thread 48 is the first sibling P#48");
		}
		sb_topo_free(t);
	}
	/* 2-socket Intel: P#i and P#i+16 siblings, P#0-7 socket 0. */
	if ((t = load_named("intel-2s-2n8c2t.xml"))) {
		const char *n = "intel-2s";
		static const int scatter[] = {0, 8, 1, 9, 2, 10};
		static const int cpus[] = {31, 0, 4, 5, 6};

		CLS(t, n, 0, 16, SB_DIST_SMT);
		CLS(t, n, 0, 1, SB_DIST_L3);
		CLS(t, n, 17, 7, SB_DIST_L3);
		CLS(t, n, 0, 8, SB_DIST_REMOTE);
		CLS(t, n, 24, 16, SB_DIST_REMOTE);
		expect_plan(t, n, "scatter", scatter, 6);
		expect_plan(t, n, "cpus:31,0,4-6", cpus, 5);
		sb_ok(sb_topo_pu_info(t, 24, &in) == 0 && in.core == 8 && in.smt_rank == 1 && in.node == 1 &&
			      in.package == 1 && in.l3 == 1 && in.l2 == 8,
		      "intel-2s: P#24 is core 8, 2nd PU, node 1, package 1, L3 1, L2 8");
		sb_topo_free(t);
	}
	/* POWER8: L3 per core, no L2 object; sparse PU numbers 0,1,8,9..104,105 */
	if ((t = load_named("power8-2n.xml"))) {
		const char *n = "power8";
		static const int cpus[] = {105, 0, 1, 8};
		static const int scatter[] = {0, 80, 8, 88};
		char err[256];
		int pus[8];

		CLS(t, n, 0, 1, SB_DIST_SMT);
		CLS(t, n, 0, 8, SB_DIST_NUMA);
		CLS(t, n, 0, 80, SB_DIST_REMOTE);
		sb_ok(sb_topo_pu_info(t, 8, &in) == 0 && in.l2 == -1 && in.l3 == 1 && in.core == 1 && in.node == 0,
		      "power8: P#8: no L2 (-1), L3 1, core 1, node 0");
		sb_ok(!sb_topo_has_pu(t, 2) && sb_topo_has_pu(t, 105), "power8: has P#105, not P#2");
		expect_plan(t, n, "cpus:105,0-1,8", cpus, 4);
		expect_plan(t, n, "scatter", scatter, 4);
		sb_ok(plan_str(t, "cpus:0-2", 3, pus, err, sizeof(err)) == -1 && strstr(err, "PU 2 "),
		      "power8: cpus:0-2 fails on the missing P#2: %s", err);
		sb_topo_free(t);
	}
	/* Opteron: 8 packages of 2 single-PU cores, a node each, no L3; node OS
	   numbers are not in package order (package 0 has node P#1). */
	if ((t = load_named("amd-opteron-8n2c-distances.xml"))) {
		const char *n = "opteron";
		static const int scatter[] = {0, 8, 2, 10, 4, 12, 6, 14, 1, 9};
		static const int node0[] = {2, 3};

		CLS(t, n, 0, 1, SB_DIST_NUMA);
		CLS(t, n, 0, 2, SB_DIST_REMOTE);
		sb_ok(sb_topo_pu_node(t, 0) == 1 && sb_topo_pu_node(t, 2) == 0 && sb_topo_pu_node(t, 6) == 5,
		      "opteron: P#0 on node 1, P#2 on node 0, P#6 on node 5 (as lstopo)");
		sb_ok(sb_topo_pu_info(t, 3, &in) == 0 && in.l3 == -1 && in.l2 == 3 && in.smt_rank == 0,
		      "opteron: P#3: no L3, L2 3");
		expect_plan(t, n, "node:0", node0, 2);
		/* the 2 groups of 4 packages alternate too */
		expect_plan(t, n, "scatter", scatter, 10);
		sb_topo_free(t);
	}
	/* 4-socket Intel, one NUMA node for all: crossing a socket is remote. */
	if ((t = load_named("intel-4s2c2t.xml"))) {
		const char *n = "intel-4s";
		static const int cores[] = {0, 4, 1, 5, 2, 6, 3, 7, 8};
		static const int compact[] = {0, 8, 4, 12, 1};

		CLS(t, n, 0, 8, SB_DIST_SMT);
		CLS(t, n, 0, 4, SB_DIST_L3);
		CLS(t, n, 0, 1, SB_DIST_REMOTE);
		expect_plan(t, n, "cores", cores, 9);
		expect_plan(t, n, "scatter", cores, 9);
		expect_plan(t, n, "compact", compact, 5);
		sb_topo_free(t);
	}
	/* Zen3: node = package, 8 L3 of 8 cores each, no SMT. */
	if ((t = load_named("amd-zen3-2x7763.xml"))) {
		const char *n = "zen3";
		static const int scatter[] = {0, 64, 1, 65};

		CLS(t, n, 0, 7, SB_DIST_L3);
		CLS(t, n, 0, 8, SB_DIST_NUMA);
		CLS(t, n, 0, 64, SB_DIST_REMOTE);
		expect_plan(t, n, "scatter", scatter, 4);
		sb_topo_free(t);
	}
}

/* Build a synthetic hwloc topology from desc, export it to a temporary XML
   file and load that through sb_topo_load.  NULL (and a failed check) if
   anything fails. */
static sb_topo_t *load_synthetic(const char *desc)
{
	char path[] = "/tmp/sb_topo_synth_XXXXXX", err[256];
	hwloc_topology_t h;
	sb_topo_t *t = NULL;
	int fd = mkstemp(path), ok;

	if (fd < 0) {
		sb_ok(0, "mkstemp: %s", strerror(errno));
		return NULL;
	}
	close(fd);
	ok = hwloc_topology_init(&h) == 0;
	if (ok) {
		ok = hwloc_topology_set_synthetic(h, desc) == 0 && hwloc_topology_load(h) == 0 &&
		     hwloc_topology_export_xml(h, path, 0) == 0;
		hwloc_topology_destroy(h);
	}
	if (ok)
		t = sb_topo_load(path, err, sizeof(err));
	sb_ok(t != NULL, "synthetic \"%s\": builds, exports, loads (%s)", desc, t ? "ok" : ok ? err : "hwloc");
	unlink(path);
	return t;
}

/* Synthetic machines for what the real XML files lack: an L2 shared by two
   cores, NUMA nodes below the package level, and SMT4. */
static void check_synthetic(void)
{
	sb_topo_t *t;

	if ((t = load_synthetic("pack:2 numa:2 l3:1 l2:2 core:2 pu:2"))) {
		const char *n = "synthetic-l2";
		static const int scatter[] = {0, 16, 8, 24, 2, 18};

		CLS(t, n, 0, 1, SB_DIST_SMT);
		CLS(t, n, 0, 2, SB_DIST_L2);
		CLS(t, n, 0, 4, SB_DIST_L3);
		CLS(t, n, 0, 8, SB_DIST_PACKAGE);
		CLS(t, n, 0, 16, SB_DIST_REMOTE);
		expect_plan(t, n, "scatter", scatter, 6);
		sb_ok(!strcmp(sb_topo_cpu_model(t), "unknown"), "synthetic-l2: cpu model \"unknown\"");
		sb_topo_free(t);
	}
	if ((t = load_synthetic("pack:1 l2:1 core:2 pu:4"))) {
		const char *n = "synthetic-smt4";
		static const int cores[] = {0, 4, 1, 5, 2, 6, 3, 7};
		static const int compact[] = {0, 1, 2, 3, 4, 5, 6, 7};
		sb_pu_info_t in;

		expect_plan(t, n, "cores", cores, 8);
		expect_plan(t, n, "scatter", cores, 8);
		expect_plan(t, n, "compact", compact, 8);
		sb_ok(sb_topo_pu_info(t, 7, &in) == 0 && in.smt_rank == 3 && in.core == 1 && in.l3 == -1,
		      "synthetic-smt4: P#7 is the 4th PU of core 1, no L3");
		CLS(t, n, 0, 3, SB_DIST_SMT);
		CLS(t, n, 0, 4, SB_DIST_L2);
		sb_topo_free(t);
	}
}

/* ---- parsing ------------------------------------------------------------ */

static void check_parse(void)
{
	static sb_placement_t p;
	char err[256], tiny[8];
	static const char *const bad[] = {"cpus:3-1",  "cpus:",   "cpus:a",      "node:-1",
					  "bogus",     "",        "node:",       "node:1x",
					  "cpus:1,,2", "cpus:1,", "cpus:0,0",    "cpus:2,0-3",
					  "Cores",     "cpus: 1", "cpus:0-5000", "cpus:99999999999",
					  "node:2:3",  "cores ",  "cpus:-1",     "cpus:1-",
					  "cpus:1;2"};

	sb_ok(sb_placement_parse("cores", &p, err, sizeof(err)) == 0 && p.kind == SB_PLACE_CORES, "parse cores");
	sb_ok(sb_placement_parse("compact", &p, err, sizeof(err)) == 0 && p.kind == SB_PLACE_COMPACT, "parse compact");
	sb_ok(sb_placement_parse("scatter", &p, err, sizeof(err)) == 0 && p.kind == SB_PLACE_SCATTER, "parse scatter");
	sb_ok(sb_placement_parse("node:3", &p, err, sizeof(err)) == 0 && p.kind == SB_PLACE_NODE && p.node == 3,
	      "parse node:3");
	sb_ok(sb_placement_parse("node:99", &p, err, sizeof(err)) == 0 && p.node == 99,
	      "parse node:99 (syntax only: the topology decides)");
	sb_ok(sb_placement_parse("cpus:0,2,4-7", &p, err, sizeof(err)) == 0 && p.kind == SB_PLACE_CPUS &&
		      p.ncpus == 6 && p.cpus[0] == 0 && p.cpus[1] == 2 && p.cpus[2] == 4 && p.cpus[5] == 7,
	      "parse cpus:0,2,4-7 -> 0,2,4,5,6,7");
	sb_ok(sb_placement_parse("cpus:9999", &p, err, sizeof(err)) == 0 && p.ncpus == 1 && p.cpus[0] == 9999,
	      "parse cpus:9999 (syntax only)");
	sb_ok(sb_placement_parse("cpus:7,3-3,0", &p, err, sizeof(err)) == 0 && p.ncpus == 3 && p.cpus[0] == 7 &&
		      p.cpus[1] == 3 && p.cpus[2] == 0,
	      "parse cpus:7,3-3,0 keeps the given order");
	sb_ok(sb_placement_parse("cpus:0-4095", &p, err, sizeof(err)) == 0 && p.ncpus == 4096 && p.cpus[4095] == 4095,
	      "parse cpus:0-4095 (the maximum, %d entries)", SB_PLACE_MAX_CPUS);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc;

		memset(err, 'x', sizeof(err));
		err[sizeof(err) - 1] = '\0';
		rc = sb_placement_parse(bad[i], &p, err, sizeof(err));
		sb_ok(rc == -1 && one_line(err) && strlen(err) < sizeof(err) - 1 &&
			      (!bad[i][0] || strstr(err, bad[i]) || bad[i][strlen(bad[i]) - 1] == ' '),
		      "parse \"%s\" fails, quoting it: %s", bad[i], err);
	}
	memset(tiny, 'x', sizeof(tiny));
	sb_ok(sb_placement_parse("bogus", &p, tiny, sizeof(tiny)) == -1 && tiny[sizeof(tiny) - 1] == '\0',
	      "parse error into an 8-byte buffer is truncated and terminated");
	sb_ok(sb_placement_parse("bogus", &p, NULL, 0) == -1, "parse error with no error buffer");
}

/* ---- this system -------------------------------------------------------- */

typedef struct {
	const sb_topo_t *t;
	int pu, rc, cpu;
	char err[256];
} bind_arg_t;

static void *bind_thread(void *v)
{
	bind_arg_t *a = v;

	a->rc = sb_topo_bind_self(a->t, a->pu, a->err, sizeof(a->err));
	a->cpu = sched_getcpu();
	return NULL;
}

static void check_live(void)
{
	char err[256], path[] = "/tmp/sb_topo_live_XXXXXX";
	sb_topo_t *t, *x;
	sb_topo_counts_t c, cx;
	bind_arg_t a;
	pthread_t th;
	int fd, pu;

	t = sb_topo_load(NULL, err, sizeof(err));
	if (!sb_ok(t != NULL, "this system loads (%s)", t ? "ok" : err))
		return;
	sb_topo_counts(t, &c);
	sb_ok(sb_topo_is_thissystem(t) == 1, "this system: is_thissystem");
	sb_ok(c.pus >= 1 && c.cores >= 1 && c.cores <= c.pus && c.nodes >= 1,
	      "this system: %d PUs, %d cores, %d nodes, %d packages, %d L3, \"%s\"", c.pus, c.cores, c.nodes,
	      c.packages, c.l3s, sb_topo_cpu_model(t));
	sb_ok(!sb_topo_has_pu(t, 0) || sb_topo_has_node(t, sb_topo_pu_node(t, 0)), "this system: PU 0's node %d exists",
	      sb_topo_pu_node(t, 0));

	/* PU 0 unless a cgroup keeps us off it */
	pu = 0;
	if (!sb_topo_has_pu(t, 0)) {
		plan_str(t, "compact", 1, pus_a, err, sizeof(err));
		pu = pus_a[0];
		sb_diag("PU 0 is not available here; binding to PU %d", pu);
	}
	memset(&a, 0, sizeof(a));
	a.t = t;
	a.pu = pu;
	if (pthread_create(&th, NULL, bind_thread, &a) == 0) {
		pthread_join(th, NULL);
		sb_ok(a.rc == 0 && a.cpu == pu, "this system: bind a thread to PU %d, verified (sched_getcpu %d) %s",
		      pu, a.cpu, a.err);
	} else {
		sb_ok(0, "pthread_create");
	}
	a.pu = 99999;
	if (pthread_create(&th, NULL, bind_thread, &a) == 0) {
		pthread_join(th, NULL);
		sb_ok(a.rc == -1 && strstr(a.err, "99999") && one_line(a.err),
		      "this system: binding to PU 99999 fails: %s", a.err);
	}
	{
		int rc = plan_str(t, "cores", c.pus + 1, pus_a, err, sizeof(err));

		sb_ok(rc == 1 && pus_a[c.pus] == pus_a[0], "this system: %d threads on %d PUs is oversubscribed",
		      c.pus + 1, c.pus);
		diag_print(t, pus_a, c.pus + 1 > 8 ? 8 : c.pus + 1);
	}

	fd = mkstemp(path);
	if (fd >= 0) {
		close(fd);
		x = NULL;
		if (sb_ok(sb_topo_export_xml(t, path) == 0, "this system exports to XML")) {
			x = sb_topo_load(path, err, sizeof(err));
			if (x)
				sb_topo_counts(x, &cx);
			sb_ok(x && !memcmp(&c, &cx, sizeof(c)) && !sb_topo_is_thissystem(x),
			      "the export reloads with the same counts, as not this system");
			if (x) {
				a.t = x;
				a.pu = pu;
				if (pthread_create(&th, NULL, bind_thread, &a) == 0) {
					pthread_join(th, NULL);
					sb_ok(a.rc == -1 && strstr(a.err, "not this system"),
					      "binding refuses on the reloaded export: %s", a.err);
				}
			}
		}
		sb_topo_free(x);
		unlink(path);
	}
	sb_ok(sb_topo_export_xml(t, "/nonexistent-dir/x.xml") == -1, "export to an unwritable path fails");
	sb_topo_free(t);
}

static void check_load_errors(void)
{
	char err[256];
	sb_topo_t *t;

	t = sb_topo_load("/nonexistent/topo.xml", err, sizeof(err));
	sb_ok(!t && one_line(err) && strstr(err, "/nonexistent/topo.xml"), "load of a missing file fails: %s", err);
	sb_topo_free(t);
	t = sb_topo_load("tests/tap.h", err, sizeof(err));
	sb_ok(!t && one_line(err) && strstr(err, "tests/tap.h"), "load of a non-XML file fails: %s", err);
	sb_topo_free(t);
	sb_topo_free(NULL);
	sb_ok(!strcmp(sb_dist_name(SB_DIST_REMOTE), "remote") && !strcmp(sb_dist_name(SB_DIST_SELF), "self") &&
		      !strcmp(sb_dist_name(SB_DIST_L2), "l2") && !strcmp(sb_dist_name(SB_DIST_NCLASSES), "invalid"),
	      "dist names");
}

int main(void)
{
	check_parse();
	check_load_errors();
	if (find_topodir(machines[0].file, topodir, sizeof(topodir)) < 0) {
		sb_ok(0, "topologies directory: set SB_TOPOLOGIES or run from the repository root (tests/topologies)");
	} else {
		sb_diag("topologies from %s", topodir);
		for (size_t i = 0; i < sizeof(machines) / sizeof(machines[0]); i++)
			check_machine(&machines[i]);
		check_by_hand();
	}
	check_synthetic();
	check_live();
	return sb_tap_done();
}
