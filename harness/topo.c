/*
 * topo.c - topology (hwloc 2) and placement; the contracts are in topo.h.
 *
 * At load time every PU gets one record (by hwloc logical index) with the
 * logical indexes of its ancestors, its home NUMA node and its SMT rank, and
 * the NUMA nodes get their scatter rank.  Plans are sorts of those records
 * by a policy's key, so they are pure functions of (topology, policy,
 * threads) and cost nothing worth mentioning even for thousands of PUs.
 */
#include "topo.h"
#include "parse.h"

#include <errno.h>
#include <hwloc.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	int os;       /* OS index */
	int core;     /* Core logical index, -1 */
	int core_key; /* unique per core; PUs without a Core are their own core */
	int l2, l3;   /* cache logical indexes, -1 */
	int node_os;  /* home NUMA node, OS index */
	int node_l;   /* home NUMA node, logical index */
	int package;  /* Package logical index, -1 */
	int smt_rank; /* rank among the PUs of its core, logical order */
} pu_rec_t;

struct sb_topo {
	hwloc_topology_t topo;
	int thissystem;
	int npus;
	pu_rec_t *pu; /* [npus], by PU logical index */
	int max_os;   /* largest PU OS index */
	int *os2l;    /* [max_os + 1]: PU logical index, -1 if none */
	int nnodes;
	int *node_scatter; /* [nnodes]: position of node (logical) in scatter order */
	sb_topo_counts_t counts;
	char cpu_model[128];
};

/* Copy at most 64 characters of user input, control characters as '?', so
   quoting it keeps a message on one line. */
static const char *quote(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < len && i < 64; i++)
		buf[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

/* ---- loading ---------------------------------------------------------- */

/* The first NUMA node among the memory children of o, looking through
   memory-side caches; NULL if none. */
static hwloc_obj_t first_mem_node(hwloc_obj_t o)
{
	for (hwloc_obj_t m = o->memory_first_child; m; m = m->next_sibling) {
		hwloc_obj_t n = m->type == HWLOC_OBJ_NUMANODE ? m : first_mem_node(m);

		if (n)
			return n;
	}
	return NULL;
}

/* Append the NUMA nodes (logical indexes) among o's memory children, looking
   through memory-side caches, to out[*n], at most cap in all. */
static void mem_nodes(hwloc_obj_t o, int *out, int *n, int cap)
{
	for (hwloc_obj_t m = o->memory_first_child; m; m = m->next_sibling) {
		if (m->type == HWLOC_OBJ_NUMANODE) {
			if (*n < cap)
				out[(*n)++] = (int)m->logical_index;
		} else {
			mem_nodes(m, out, n, cap);
		}
	}
}

/* The home NUMA node of a PU: the first NUMA node attached to its lowest
   ancestor that has one. */
static hwloc_obj_t home_node(hwloc_topology_t topo, hwloc_obj_t pu)
{
	for (hwloc_obj_t a = pu; a; a = a->parent) {
		hwloc_obj_t m = first_mem_node(a);

		if (m)
			return m;
	}
	/* Not reached with hwloc 2 (there is always a node); be safe anyway. */
	for (int i = 0;; i++) {
		hwloc_obj_t n = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, (unsigned)i);

		if (!n || hwloc_bitmap_isset(n->cpuset, pu->os_index))
			return n;
	}
}

/*
 * NUMA nodes (logical indexes) under o in scatter order: the nodes attached to
 * o itself, then its children's lists interleaved round-robin, so that
 * consecutive entries come from different children at the highest level
 * where they can.  out has room for cap entries.  Returns the count, -1 on
 * allocation failure.
 */
static int scatter_nodes(hwloc_obj_t o, int *out, int cap)
{
	int n = 0, *buf, *cnt;
	unsigned nch = o->arity;

	mem_nodes(o, out, &n, cap);
	if (!nch || o->type == HWLOC_OBJ_PU)
		return n;
	buf = malloc(sizeof(int) * (size_t)cap * nch);
	cnt = calloc(nch, sizeof(int));
	if (!buf || !cnt) {
		free(buf);
		free(cnt);
		return -1;
	}
	for (unsigned i = 0; i < nch; i++) {
		cnt[i] = scatter_nodes(o->children[i], buf + (size_t)i * (size_t)cap, cap);
		if (cnt[i] < 0) {
			free(buf);
			free(cnt);
			return -1;
		}
	}
	for (int r = 0, more = 1; more; r++) {
		more = 0;
		for (unsigned i = 0; i < nch; i++)
			if (r < cnt[i]) {
				if (n < cap)
					out[n++] = buf[(size_t)i * (size_t)cap + (size_t)r];
				more = 1;
			}
	}
	free(buf);
	free(cnt);
	return n;
}

static int anc_index(hwloc_topology_t topo, hwloc_obj_t pu, hwloc_obj_type_t type)
{
	hwloc_obj_t a = hwloc_get_ancestor_obj_by_type(topo, type, pu);

	return a ? (int)a->logical_index : -1;
}

/* Build the per-PU records and the node scatter ranks.  0, or -1 with err. */
static int build(sb_topo_t *t, char *err, size_t errlen)
{
	hwloc_topology_t topo = t->topo;
	int ncoreobj = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
	int *core_seen, *order, n, extra_cores = 0;
	hwloc_obj_t o;

	t->npus = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
	t->nnodes = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
	if (t->npus <= 0 || t->nnodes <= 0) {
		sb_seterr(err, errlen, "topology has %d PUs and %d NUMA nodes", t->npus, t->nnodes);
		return -1;
	}
	if (ncoreobj < 0)
		ncoreobj = 0;
	t->pu = calloc((size_t)t->npus, sizeof(*t->pu));
	t->node_scatter = calloc((size_t)t->nnodes, sizeof(int));
	core_seen = calloc((size_t)ncoreobj + (size_t)t->npus, sizeof(int));
	order = calloc((size_t)t->nnodes, sizeof(int));
	if (!t->pu || !t->node_scatter || !core_seen || !order)
		goto oom;

	t->max_os = 0;
	for (int i = 0; i < t->npus; i++) {
		pu_rec_t *r = &t->pu[i];
		hwloc_obj_t nd;

		o = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, (unsigned)i);
		r->os = (int)o->os_index;
		r->core = anc_index(topo, o, HWLOC_OBJ_CORE);
		if (r->core >= 0) {
			r->core_key = r->core;
		} else {
			r->core_key = ncoreobj + i;
			extra_cores++;
		}
		r->l2 = anc_index(topo, o, HWLOC_OBJ_L2CACHE);
		r->l3 = anc_index(topo, o, HWLOC_OBJ_L3CACHE);
		r->package = anc_index(topo, o, HWLOC_OBJ_PACKAGE);
		nd = home_node(topo, o);
		r->node_os = nd ? (int)nd->os_index : 0;
		r->node_l = nd ? (int)nd->logical_index : 0;
		/* PUs come in logical order, and a core's PUs are consecutive in it */
		r->smt_rank = core_seen[r->core_key]++;
		if (r->os > t->max_os)
			t->max_os = r->os;
	}
	t->os2l = malloc(sizeof(int) * ((size_t)t->max_os + 1));
	if (!t->os2l)
		goto oom;
	for (int i = 0; i <= t->max_os; i++)
		t->os2l[i] = -1;
	for (int i = 0; i < t->npus; i++)
		t->os2l[t->pu[i].os] = i;

	n = scatter_nodes(hwloc_get_root_obj(topo), order, t->nnodes);
	if (n < 0)
		goto oom;
	if (n != t->nnodes) /* cannot happen: every node is someone's memory child */
		for (n = 0; n < t->nnodes; n++)
			order[n] = n;
	for (int i = 0; i < t->nnodes; i++)
		t->node_scatter[order[i]] = i;

	t->counts.pus = t->npus;
	t->counts.cores = ncoreobj + extra_cores;
	t->counts.nodes = t->nnodes;
	t->counts.packages = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE);
	t->counts.l3s = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_L3CACHE);
	if (t->counts.packages < 0)
		t->counts.packages = 0;
	if (t->counts.l3s < 0)
		t->counts.l3s = 0;

	{
		const char *m = NULL;
		size_t len;

		o = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PACKAGE, 0);
		if (o)
			m = hwloc_obj_get_info_by_name(o, "CPUModel");
		if (!m)
			m = hwloc_obj_get_info_by_name(hwloc_get_root_obj(topo), "CPUModel");
		snprintf(t->cpu_model, sizeof(t->cpu_model), "%s", m ? m : "");
		len = strlen(t->cpu_model);
		while (len && (t->cpu_model[len - 1] == ' ' || t->cpu_model[len - 1] == '\t'))
			t->cpu_model[--len] = '\0';
		if (!len)
			snprintf(t->cpu_model, sizeof(t->cpu_model), "unknown");
	}
	free(core_seen);
	free(order);
	return 0;
oom:
	free(core_seen);
	free(order);
	sb_seterr(err, errlen, "out of memory");
	return -1;
}

sb_topo_t *sb_topo_load(const char *xml_path, char *err, size_t errlen)
{
	sb_topo_t *t = calloc(1, sizeof(*t));
	int e;

	if (err && errlen)
		err[0] = '\0';
	if (!t) {
		sb_seterr(err, errlen, "out of memory");
		return NULL;
	}
	if (hwloc_topology_init(&t->topo) < 0) {
		sb_seterr(err, errlen, "hwloc_topology_init: %s", strerror(errno));
		free(t);
		return NULL;
	}
	if (xml_path) {
		FILE *f = fopen(xml_path, "r");

		if (!f) {
			sb_seterr(err, errlen, "topology %s: %s", xml_path, strerror(errno));
			goto fail;
		}
		fclose(f);
		if (hwloc_topology_set_xml(t->topo, xml_path) < 0) {
			sb_seterr(err, errlen, "topology %s: hwloc cannot read it as XML: %s", xml_path,
				  strerror(errno));
			goto fail;
		}
	}
	if (hwloc_topology_load(t->topo) < 0) {
		e = errno;
		if (xml_path)
			sb_seterr(err, errlen, "topology %s: hwloc cannot load it (not an hwloc XML topology?): %s",
				  xml_path, strerror(e));
		else
			sb_seterr(err, errlen, "hwloc cannot load this system's topology: %s", strerror(e));
		goto fail;
	}
	t->thissystem = hwloc_topology_is_thissystem(t->topo) ? 1 : 0;
	if (build(t, err, errlen) < 0) {
		if (xml_path && err && errlen) {
			char why[160];

			snprintf(why, sizeof(why), "%s", err);
			sb_seterr(err, errlen, "topology %s: %s", xml_path, why);
		}
		goto fail;
	}
	return t;
fail:
	sb_topo_free(t);
	return NULL;
}

void sb_topo_free(sb_topo_t *t)
{
	if (!t)
		return;
	if (t->topo)
		hwloc_topology_destroy(t->topo);
	free(t->pu);
	free(t->os2l);
	free(t->node_scatter);
	free(t);
}

int sb_topo_is_thissystem(const sb_topo_t *t)
{
	return t->thissystem;
}

void sb_topo_counts(const sb_topo_t *t, sb_topo_counts_t *c)
{
	*c = t->counts;
}

const char *sb_topo_cpu_model(const sb_topo_t *t)
{
	return t->cpu_model;
}

/* ---- queries ---------------------------------------------------------- */

static const pu_rec_t *pu_rec(const sb_topo_t *t, int os)
{
	if (os < 0 || os > t->max_os || t->os2l[os] < 0)
		return NULL;
	return &t->pu[t->os2l[os]];
}

int sb_topo_pu_info(const sb_topo_t *t, int pu_os_index, sb_pu_info_t *out)
{
	const pu_rec_t *r = pu_rec(t, pu_os_index);

	if (!r)
		return -1;
	out->os_index = r->os;
	out->core = r->core;
	out->l2 = r->l2;
	out->l3 = r->l3;
	out->node = r->node_os;
	out->package = r->package;
	out->smt_rank = r->smt_rank;
	return 0;
}

int sb_topo_has_pu(const sb_topo_t *t, int pu_os_index)
{
	return pu_rec(t, pu_os_index) != NULL;
}

static hwloc_obj_t node_obj(const sb_topo_t *t, int node_os)
{
	if (node_os < 0)
		return NULL;
	return hwloc_get_numanode_obj_by_os_index(t->topo, (unsigned)node_os);
}

int sb_topo_has_node(const sb_topo_t *t, int node_os_index)
{
	return node_obj(t, node_os_index) != NULL;
}

int sb_topo_pu_node(const sb_topo_t *t, int pu_os_index)
{
	const pu_rec_t *r = pu_rec(t, pu_os_index);

	return r ? r->node_os : -1;
}

sb_dist_t sb_topo_classify(const sb_topo_t *t, int pu_a, int pu_b)
{
	const pu_rec_t *a = pu_rec(t, pu_a), *b = pu_rec(t, pu_b);

	if (!a || !b)
		return SB_DIST_NCLASSES;
	if (a == b)
		return SB_DIST_SELF;
	if (a->core_key == b->core_key)
		return SB_DIST_SMT;
	if (a->l2 >= 0 && a->l2 == b->l2)
		return SB_DIST_L2;
	if (a->l3 >= 0 && a->l3 == b->l3)
		return SB_DIST_L3;
	if (a->package != b->package)
		return SB_DIST_REMOTE;
	return a->node_l == b->node_l ? SB_DIST_NUMA : SB_DIST_PACKAGE;
}

const char *sb_dist_name(sb_dist_t d)
{
	static const char *const names[SB_DIST_NCLASSES] = {"self", "smt", "l2", "l3", "numa", "package", "remote"};

	return ((unsigned)d < SB_DIST_NCLASSES) ? names[d] : "invalid";
}

/* ---- placement -------------------------------------------------------- */

/* Parse a decimal number at *p (digits only) into *v; advances *p.  0 ok,
   -1 no digits, -2 larger than SB_PLACE_MAX_INDEX. */
static int parse_num(const char **p, int *v)
{
	const char *s = *p;
	long x = 0;

	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9') {
		x = x * 10 + (*s++ - '0');
		if (x > SB_PLACE_MAX_INDEX)
			return -2;
	}
	*p = s;
	*v = (int)x;
	return 0;
}

int sb_placement_parse(const char *s, sb_placement_t *out, char *err, size_t errlen)
{
	char q[80];
	const char *p;
	hwloc_bitmap_t seen;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!s || !out) {
		sb_seterr(err, errlen, "placement: no value");
		return -1;
	}
	out->node = -1;
	out->ncpus = 0;
	if (!strcmp(s, "cores")) {
		out->kind = SB_PLACE_CORES;
		return 0;
	}
	if (!strcmp(s, "compact")) {
		out->kind = SB_PLACE_COMPACT;
		return 0;
	}
	if (!strcmp(s, "scatter")) {
		out->kind = SB_PLACE_SCATTER;
		return 0;
	}
	if (!strncmp(s, "node:", 5)) {
		p = s + 5;
		rc = parse_num(&p, &out->node);
		if (rc || *p) {
			sb_seterr(err, errlen, "placement \"%s\": %s", quote(s, q, sizeof(q)),
				  rc == -2 ? "node number too large" : "node:N wants a decimal node number N >= 0");
			return -1;
		}
		out->kind = SB_PLACE_NODE;
		return 0;
	}
	if (strncmp(s, "cpus:", 5)) {
		sb_seterr(err, errlen, "placement \"%s\": unknown policy (cores, compact, scatter, node:N, cpus:LIST)",
			  quote(s, q, sizeof(q)));
		return -1;
	}
	out->kind = SB_PLACE_CPUS;
	seen = hwloc_bitmap_alloc();
	if (!seen) {
		sb_seterr(err, errlen, "placement \"%s\": out of memory", quote(s, q, sizeof(q)));
		return -1;
	}
	p = s + 5;
	for (;;) {
		int a, b;

		rc = parse_num(&p, &a);
		if (rc)
			goto bad_num;
		b = a;
		if (*p == '-') {
			p++;
			rc = parse_num(&p, &b);
			if (rc)
				goto bad_num;
			if (b < a) {
				sb_seterr(err, errlen, "placement \"%s\": descending range %d-%d",
					  quote(s, q, sizeof(q)), a, b);
				goto fail;
			}
		}
		for (int c = a; c <= b; c++) {
			if (hwloc_bitmap_isset(seen, (unsigned)c)) {
				sb_seterr(err, errlen, "placement \"%s\": cpu %d listed twice", quote(s, q, sizeof(q)),
					  c);
				goto fail;
			}
			if (out->ncpus == SB_PLACE_MAX_CPUS) {
				sb_seterr(err, errlen, "placement \"%s\": more than %d cpus", quote(s, q, sizeof(q)),
					  SB_PLACE_MAX_CPUS);
				goto fail;
			}
			hwloc_bitmap_set(seen, (unsigned)c);
			out->cpus[out->ncpus++] = c;
		}
		if (!*p)
			break;
		if (*p != ',') {
			sb_seterr(err, errlen, "placement \"%s\": unexpected '%c' in the cpu list",
				  quote(s, q, sizeof(q)), (*p >= 0x20 && *p != 0x7f) ? *p : '?');
			goto fail;
		}
		p++;
	}
	hwloc_bitmap_free(seen);
	return 0;
bad_num:
	if (rc == -2)
		sb_seterr(err, errlen, "placement \"%s\": cpu number larger than %d", quote(s, q, sizeof(q)),
			  SB_PLACE_MAX_INDEX);
	else if (!*p)
		sb_seterr(err, errlen, "placement \"%s\": cpu list ends where a cpu number should be",
			  quote(s, q, sizeof(q)));
	else
		sb_seterr(err, errlen, "placement \"%s\": expected a cpu number at '%c' (cpus:0,2,4-7)",
			  quote(s, q, sizeof(q)), (*p >= 0x20 && *p != 0x7f) ? *p : '?');
fail:
	hwloc_bitmap_free(seen);
	return -1;
}

/* A PU (logical index) with its sort key, for building an order. */
typedef struct {
	int k1, k2, k3;
	int l;
} keyed_t;

static int cmp_keyed(const void *x, const void *y)
{
	const keyed_t *a = x, *b = y;

	if (a->k1 != b->k1)
		return a->k1 < b->k1 ? -1 : 1;
	if (a->k2 != b->k2)
		return a->k2 < b->k2 ? -1 : 1;
	if (a->k3 != b->k3)
		return a->k3 < b->k3 ? -1 : 1;
	return a->l < b->l ? -1 : a->l > b->l;
}

/*
 * The policy's full order as PU logical indexes in ord (room for npus).
 * Returns its length, 0 when the policy is not valid on this topology (err
 * says why), -1 on allocation failure.
 */
static int policy_order(const sb_topo_t *t, const sb_placement_t *p, int *ord, char *err, size_t errlen)
{
	keyed_t *k;
	int n = 0;

	if (p->kind == SB_PLACE_COMPACT) {
		for (int i = 0; i < t->npus; i++)
			ord[i] = i;
		return t->npus;
	}
	if (p->kind == SB_PLACE_CPUS) {
		if (p->ncpus <= 0 || p->ncpus > SB_PLACE_MAX_CPUS) {
			sb_seterr(err, errlen, "placement cpus: has %d entries", p->ncpus);
			return 0;
		}
		for (int i = 0; i < p->ncpus; i++) {
			const pu_rec_t *r = pu_rec(t, p->cpus[i]);

			if (!r) {
				char list[128];

				hwloc_bitmap_list_snprintf(list, sizeof(list),
							   hwloc_topology_get_topology_cpuset(t->topo));
				sb_seterr(err, errlen, "placement cpus: PU %d is not in this topology (its PUs: %s)",
					  p->cpus[i], list);
				return 0;
			}
			for (int j = 0; j < i; j++)
				if (p->cpus[j] == p->cpus[i]) {
					sb_seterr(err, errlen, "placement cpus: PU %d listed twice", p->cpus[i]);
					return 0;
				}
			ord[i] = (int)(r - t->pu);
		}
		return p->ncpus;
	}
	k = malloc(sizeof(*k) * (size_t)t->npus);
	if (!k) {
		sb_seterr(err, errlen, "out of memory");
		return -1;
	}
	if (p->kind == SB_PLACE_NODE) {
		hwloc_obj_t nd = node_obj(t, p->node);

		if (!nd) {
			char list[128];

			hwloc_bitmap_list_snprintf(list, sizeof(list), hwloc_topology_get_topology_nodeset(t->topo));
			sb_seterr(err, errlen, "placement node:%d: this topology has no NUMA node %d (its nodes: %s)",
				  p->node, p->node, list);
			free(k);
			return 0;
		}
		for (int i = 0; i < t->npus; i++)
			if (hwloc_bitmap_isset(nd->cpuset, (unsigned)t->pu[i].os))
				k[n++] = (keyed_t){t->pu[i].smt_rank, 0, 0, i};
		if (!n)
			sb_seterr(err, errlen, "placement node:%d: NUMA node %d has no PUs", p->node, p->node);
	} else if (p->kind == SB_PLACE_CORES) {
		for (int i = 0; i < t->npus; i++)
			k[n++] = (keyed_t){t->pu[i].smt_rank, t->pu[i].node_l, 0, i};
	} else if (p->kind == SB_PLACE_SCATTER) {
		/* first by (rank, node, logical) to number each PU within its
		   (rank, node) group, then round-robin over nodes by that number */
		for (int i = 0; i < t->npus; i++)
			k[n++] = (keyed_t){t->pu[i].smt_rank, t->node_scatter[t->pu[i].node_l], 0, i};
		qsort(k, (size_t)n, sizeof(*k), cmp_keyed);
		for (int i = 0, j = 0, prank = -1, pnode = -1; i < n; i++) {
			j = (k[i].k1 == prank && k[i].k2 == pnode) ? j + 1 : 0;
			prank = k[i].k1;
			pnode = k[i].k2;
			k[i] = (keyed_t){prank, j, pnode, k[i].l};
		}
	} else {
		sb_seterr(err, errlen, "placement: unknown policy kind %d", (int)p->kind);
	}
	qsort(k, (size_t)n, sizeof(*k), cmp_keyed);
	for (int i = 0; i < n; i++)
		ord[i] = k[i].l;
	free(k);
	return n;
}

int sb_plan(const sb_topo_t *t, const sb_placement_t *p, int threads, int *pus, char *err, size_t errlen)
{
	int *ord, n;

	if (err && errlen)
		err[0] = '\0';
	if (!t || !p || !pus) {
		sb_seterr(err, errlen, "placement: no topology, policy or output");
		return -1;
	}
	if (threads < 1) {
		sb_seterr(err, errlen, "placement: %d threads (want at least 1)", threads);
		return -1;
	}
	ord = malloc(sizeof(int) * (size_t)(t->npus > SB_PLACE_MAX_CPUS ? t->npus : SB_PLACE_MAX_CPUS));
	if (!ord) {
		sb_seterr(err, errlen, "out of memory");
		return -1;
	}
	n = policy_order(t, p, ord, err, errlen);
	if (n <= 0) {
		free(ord);
		return -1;
	}
	for (int i = 0; i < threads; i++)
		pus[i] = t->pu[ord[i % n]].os;
	free(ord);
	return threads > n ? 1 : 0;
}

int sb_plan_usable_pus(const sb_topo_t *t, const sb_placement_t *p)
{
	int *ord, n;

	ord = malloc(sizeof(int) * (size_t)(t->npus > SB_PLACE_MAX_CPUS ? t->npus : SB_PLACE_MAX_CPUS));
	if (!ord)
		return 0;
	n = policy_order(t, p, ord, NULL, 0);
	free(ord);
	return n > 0 ? n : 0;
}

static void print_idx(FILE *f, int w, int v)
{
	if (v < 0)
		fprintf(f, " %*s", w, "-");
	else
		fprintf(f, " %*d", w, v);
}

void sb_plan_print(FILE *f, const sb_topo_t *t, const int *pus, int threads)
{
	fprintf(f, "%6s %5s %5s %4s %4s %7s  %s\n", "thread", "pu", "core", "l3", "node", "package", "class");
	for (int i = 0; i < threads; i++) {
		sb_pu_info_t in;

		fprintf(f, "%6d %5d", i, pus[i]);
		if (sb_topo_pu_info(t, pus[i], &in) < 0) {
			fprintf(f, " %5s %4s %4s %7s  %s\n", "?", "?", "?", "?", "?");
			continue;
		}
		print_idx(f, 5, in.core);
		print_idx(f, 4, in.l3);
		print_idx(f, 4, in.node);
		print_idx(f, 7, in.package);
		fprintf(f, "  %s\n", sb_dist_name(sb_topo_classify(t, pus[0], pus[i])));
	}
}

/* ---- binding ---------------------------------------------------------- */

int sb_topo_bind_self(const sb_topo_t *t, int pu_os_index, char *err, size_t errlen)
{
	hwloc_bitmap_t want = NULL, got = NULL;
	char s[64];
	int rc = -1, e;

	if (err && errlen)
		err[0] = '\0';
	if (!t->thissystem) {
		sb_seterr(err, errlen, "bind to PU %d: the topology is not this system (loaded from XML); not binding",
			  pu_os_index);
		return -1;
	}
	if (!pu_rec(t, pu_os_index)) {
		sb_seterr(err, errlen, "bind to PU %d: no such PU in this topology", pu_os_index);
		return -1;
	}
	want = hwloc_bitmap_alloc();
	got = hwloc_bitmap_alloc();
	if (!want || !got) {
		sb_seterr(err, errlen, "bind to PU %d: out of memory", pu_os_index);
		goto out;
	}
	hwloc_bitmap_only(want, (unsigned)pu_os_index);
	if (hwloc_set_cpubind(t->topo, want, HWLOC_CPUBIND_THREAD | HWLOC_CPUBIND_STRICT) < 0) {
		e = errno;
		sb_seterr(err, errlen, "bind to PU %d: hwloc_set_cpubind: %s", pu_os_index, strerror(e));
		goto out;
	}
	if (hwloc_get_cpubind(t->topo, got, HWLOC_CPUBIND_THREAD) < 0) {
		e = errno;
		sb_seterr(err, errlen, "bind to PU %d: hwloc_get_cpubind: %s", pu_os_index, strerror(e));
		goto out;
	}
	if (!hwloc_bitmap_isequal(got, want)) {
		hwloc_bitmap_list_snprintf(s, sizeof(s), got);
		sb_seterr(err, errlen, "bind to PU %d: the binding reads back as PUs %s", pu_os_index, s);
		goto out;
	}
	/* Linux migrates a thread that rebinds itself at once; the yield gives
	   any other OS the chance, and a few more cover a slow migration. */
	for (int i = 0; i < 100; i++) {
		sched_yield();
		if (hwloc_get_last_cpu_location(t->topo, got, HWLOC_CPUBIND_THREAD) < 0) {
			e = errno;
			sb_seterr(err, errlen, "bind to PU %d: hwloc_get_last_cpu_location: %s", pu_os_index,
				  strerror(e));
			goto out;
		}
		if (hwloc_bitmap_isequal(got, want)) {
			rc = 0;
			goto out;
		}
	}
	hwloc_bitmap_list_snprintf(s, sizeof(s), got);
	sb_seterr(err, errlen, "bind to PU %d: bound, but the thread still runs on PU %s", pu_os_index, s);
out:
	hwloc_bitmap_free(want);
	hwloc_bitmap_free(got);
	return rc;
}

int sb_topo_export_xml(const sb_topo_t *t, const char *path)
{
	return hwloc_topology_export_xml(t->topo, path, 0) < 0 ? -1 : 0;
}
