/*
 * topo.h - the machine's topology (hwloc) and thread placement.
 *
 * An sb_topo_t wraps one loaded hwloc topology: this system, or an XML file
 * exported by hwloc elsewhere (shared/topologies/), so that placement plans
 * and distance classes can be computed and tested for machines we do not
 * have.  Everything here is a pure function of the loaded topology except
 * sb_topo_bind_self(), which binds the calling thread and refuses to do so on
 * a topology that is not this system.  No global mutable state: an sb_topo_t
 * is immutable once loaded and may be shared by threads.
 *
 * Indexes: a "PU" is always named by its OS index (what taskset and
 * /proc/cpuinfo call a CPU); NUMA nodes are named by OS index too (what
 * numactl calls a node).  Cores, caches and packages are named by hwloc's
 * logical index (0..n-1 in topology order), as lstopo prints them.
 *
 * Placement policies (DESIGN.md, "Placement"):
 *
 *   cores     one thread per core, cores in logical order, filling one NUMA
 *             node before the next (nodes in logical order); the 2nd PU of
 *             every core only after every core has one, then the 3rd ...
 *   compact   PUs in logical order (SMT siblings next to each other)
 *   scatter   round-robin across NUMA nodes, one per core before SMT
 *             siblings.  The node order interleaves the topology tree from
 *             the top: at every level the next pick goes to the next child
 *             (package, then group ...), so consecutive picks alternate
 *             packages while there are nodes left in several packages.
 *             Within a node, cores in logical order.
 *   node:N    only the PUs of NUMA node N (its cpuset), in cores order
 *   cpus:L    exactly the listed OS PU indexes, in the order given; a
 *             list may not name a PU twice
 *
 * A PU's "home" NUMA node is the nearest one: the NUMA node attached to its
 * lowest ancestor that has memory attached (hwloc 2 keeps NUMA nodes as
 * memory children; a machine with no NUMA information still has node 0).
 * cores and scatter group PUs by home node.
 *
 * Distance classes (DESIGN.md, "handoff pairs"), from the lowest common
 * ancestor of two PUs:
 *
 *   self     the same PU
 *   smt      the same core
 *   l2       the same L2 cache object (unified or data), different cores
 *   l3       the same L3 cache object, different L2
 *   numa     the same package (or no package level at all) and the same home
 *            NUMA node, no shared cache
 *   package  the same package, different NUMA nodes
 *   remote   different packages - even when one NUMA node spans them (the
 *            4-socket intel-4s2c2t.xml has a single node for 4 packages:
 *            crossing a socket is "remote" there, not "numa")
 */
#ifndef SPINBENCH_HARNESS_TOPO_H
#define SPINBENCH_HARNESS_TOPO_H

#include <stddef.h>
#include <stdio.h>

typedef struct sb_topo sb_topo_t; /* opaque, wraps an hwloc_topology_t */

/*
 * Load this system (xml_path NULL) or an hwloc XML file.  Returns the
 * topology, to be released with sb_topo_free().  On error returns NULL and
 * writes a one-line reason (naming the file) into err (if err and errlen).
 * With xml_path NULL hwloc's own environment (HWLOC_XMLFILE, ...) still
 * applies; sb_topo_is_thissystem() tells what was loaded.
 */
sb_topo_t *sb_topo_load(const char *xml_path, char *err, size_t errlen);

/* Release a topology from sb_topo_load(); NULL is ignored.  Cannot fail. */
void sb_topo_free(sb_topo_t *t);

/* 1 when the topology describes the machine we run on (binding is allowed),
   0 for one loaded from XML.  Cannot fail. */
int sb_topo_is_thissystem(const sb_topo_t *t);

typedef struct {
	int pus;      /* PU objects */
	int cores;    /* cores as placement sees them: Core objects, plus one
			 per PU that has no Core ancestor */
	int nodes;    /* NUMA nodes, CPU-less ones included (>= 1) */
	int packages; /* Package objects (0 when the topology has none) */
	int l3s;      /* L3 cache objects (0 on machines without L3) */
} sb_topo_counts_t;

/* Fill *c with the object counts above.  Cannot fail. */
void sb_topo_counts(const sb_topo_t *t, sb_topo_counts_t *c);

/* hwloc "CPUModel" info of the first package (else of the root object), with
   trailing blanks removed, or "unknown".  The string lives as long as t. */
const char *sb_topo_cpu_model(const sb_topo_t *t);

typedef struct {
	int os_index; /* the PU's OS index */
	int core;     /* logical index of the Core, -1 if none */
	int l2;       /* logical index of the L2 (unified/data), -1 if none */
	int l3;       /* logical index of the L3 (unified/data), -1 if none */
	int node;     /* OS index of the home NUMA node */
	int package;  /* logical index of the Package, -1 if none */
	int smt_rank; /* 0 for the first PU of its core, 1 for the 2nd ... */
} sb_pu_info_t;

/* Describe PU pu_os_index.  Returns 0, or -1 (and leaves *out alone) when the
   topology has no such PU. */
int sb_topo_pu_info(const sb_topo_t *t, int pu_os_index, sb_pu_info_t *out);

/* 1 if the topology has a PU / a NUMA node with this OS index, else 0. */
int sb_topo_has_pu(const sb_topo_t *t, int pu_os_index);
int sb_topo_has_node(const sb_topo_t *t, int node_os_index);

/* OS index of the PU's home NUMA node; -1 when there is no such PU. */
int sb_topo_pu_node(const sb_topo_t *t, int pu_os_index);

typedef enum { SB_PLACE_CORES, SB_PLACE_COMPACT, SB_PLACE_SCATTER, SB_PLACE_NODE, SB_PLACE_CPUS } sb_place_kind_t;

#define SB_PLACE_MAX_CPUS 4096
#define SB_PLACE_MAX_INDEX 1048575 /* largest OS index cpus:/node: accept */

typedef struct {
	sb_place_kind_t kind;
	int node;                    /* SB_PLACE_NODE: the node's OS index; else -1 */
	int ncpus;                   /* SB_PLACE_CPUS: entries in cpus[]; else 0 */
	int cpus[SB_PLACE_MAX_CPUS]; /* SB_PLACE_CPUS: OS PU indexes, in order */
} sb_placement_t;

/*
 * Parse "cores", "compact", "scatter", "node:N" or "cpus:LIST" (LIST: comma-
 * separated decimal OS indexes and ascending ranges A-B, e.g. "0,2,4-7"; no
 * blanks, no PU twice, at most SB_PLACE_MAX_CPUS entries).  Syntax only: the
 * topology is not consulted.  Returns 0 and fills *out, or -1 with a one-line
 * reason quoting the value in err (*out is then unspecified).
 */
int sb_placement_parse(const char *s, sb_placement_t *out, char *err, size_t errlen);

/*
 * Fill pus[0..threads-1] with PU OS indexes: thread i runs on pus[i].  A pure
 * function of (topology, placement, threads).  With more threads than usable
 * PUs (sb_plan_usable_pus) the policy's order wraps around: thread i gets
 * order[i % usable].
 * Returns 0 ok, 1 ok but oversubscribed (threads > usable PUs), or -1 with a
 * one-line reason in err naming the value (node:N the topology lacks or whose
 * node has no PU, cpus: with an index the topology lacks, threads < 1, out of
 * memory); pus is then unspecified.
 */
int sb_plan(const sb_topo_t *t, const sb_placement_t *p, int threads, int *pus, char *err, size_t errlen);

/* How many distinct PUs the policy may use on this topology; 0 when it names
   a node or a PU the topology lacks (sb_plan says why). */
int sb_plan_usable_pus(const sb_topo_t *t, const sb_placement_t *p);

/* Print the plan as a table, one line per thread: thread, pu (OS index),
   core, l3, node (OS index), package, and the distance class to thread 0's PU.
   "-" marks a level the machine lacks, "?" a PU the topology lacks. */
void sb_plan_print(FILE *f, const sb_topo_t *t, const int *pus, int threads);

typedef enum {
	SB_DIST_SELF,
	SB_DIST_SMT,
	SB_DIST_L2,
	SB_DIST_L3,
	SB_DIST_NUMA,
	SB_DIST_PACKAGE,
	SB_DIST_REMOTE,
	SB_DIST_NCLASSES
} sb_dist_t;

/* Distance class of two PUs (OS indexes), as in the table at the top.
   Symmetric.  Returns SB_DIST_NCLASSES when either PU is not in the topology. */
sb_dist_t sb_topo_classify(const sb_topo_t *t, int pu_a, int pu_b);

/* "self","smt","l2","l3","numa","package","remote"; "invalid" otherwise. */
const char *sb_dist_name(sb_dist_t d);

/*
 * Bind the calling thread to one PU (hwloc thread binding, strict) and verify
 * it: the binding read back must be exactly that PU, and after a sched_yield()
 * the thread must be found running there (hwloc_get_last_cpu_location).
 * Returns 0, or -1 with a one-line reason naming the PU in err: the topology
 * is not this system (nothing is attempted), no such PU, the OS refused, or
 * the check failed (the thread may then be left bound elsewhere).
 */
int sb_topo_bind_self(const sb_topo_t *t, int pu_os_index, char *err, size_t errlen);

/* Write the topology as hwloc XML to path.  Returns 0, or -1 (errno set by
   hwloc where it can). */
int sb_topo_export_xml(const sb_topo_t *t, const char *path);

#endif
