/*
 * report.c - sbprof-report RAWDIR OUTDIR [PARK_NS]: read the prof-*.bin
 * files a profiled run left in RAWDIR (sbprof.h) and write the figures of
 * profiler/README.md to OUTDIR: locks.csv (per class and kind), sites.csv
 * (per class, kind and call site), conds.csv, histograms.csv and
 * processes.csv.  Sites and classes are raw addresses here (hex);
 * profile-app resolves them.  Prints the clock's calibration on stdout as
 * one JSON object.  Exit 0, or 1 with one line on stderr.
 *
 * Per process (file), the entries of every slot are sorted by key and
 * summed: counts added, histograms merged with sb_hist_merge.  Ticks become
 * ns with this machine's calibration (sb_clock_init; the counter is the
 * one the library read).
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "sbprof.h"
#include "stats.h"

static double ns_per_tick;
static uint64_t park_ticks;

typedef struct agg {
	sbp_entry_t e; /* summed; key fields from the first */
	uint64_t sites;
} agg_t;

static const char *kind_name(uint32_t k)
{
	static const char *const n[] = {"?", "mutex", "spin", "read", "write", "cond"};
	return k <= SBP_K_COND ? n[k] : "?";
}

static int cmp_site(const void *a, const void *b)
{
	const sbp_entry_t *x = *(sbp_entry_t *const *)a, *y = *(sbp_entry_t *const *)b;
#define CMP(f)            \
	if (x->f != y->f) \
		return x->f < y->f ? -1 : 1;
	CMP(class_pc) CMP(origin) CMP(kind) CMP(site_pc) return 0;
#undef CMP
}

static void add(sbp_entry_t *d, const sbp_entry_t *s)
{
	d->acquisitions += s->acquisitions;
	d->contended += s->contended;
	d->owner_changes += s->owner_changes;
	d->trylock_fail += s->trylock_fail;
	d->timeouts += s->timeouts;
	d->errors += s->errors;
	d->relocks += s->relocks;
	d->cond_waits += s->cond_waits;
	d->cond_unsplit += s->cond_unsplit;
	d->signals += s->signals;
	d->broadcasts += s->broadcasts;
	sb_hist_merge(&d->hist[0], &s->hist[0]);
	sb_hist_merge(&d->hist[1], &s->hist[1]);
}

static double ns(uint64_t ticks)
{
	return (double)ticks * ns_per_tick;
}

/* Waits at or above the park threshold: their number and time (bucket midpoints). */
static void parked(const sb_hist_t *h, uint64_t *n, double *t)
{
	*n = 0;
	*t = 0;
	for (int i = 0; i < SB_HIST_NBUCKETS; i++) {
		uint64_t lo = sb_hist_bucket_lower(i);
		if (!h->bucket[i] || lo < park_ticks)
			continue;
		*n += h->bucket[i];
		*t += (double)h->bucket[i] * ns(lo + (sb_hist_bucket_width(i) - 1) / 2);
	}
}

static void pct(FILE *f, const sb_hist_t *h)
{
	fprintf(f, ",%.0f,%.0f,%.0f,%.0f,%.0f", ns(h->sum), ns(sb_hist_percentile(h, 50)),
		ns(sb_hist_percentile(h, 99)), ns(sb_hist_percentile(h, 99.9)), ns(sb_hist_max(h)));
}

/*
 * Role (README): none, uncontended, parking, contended.  parking: the
 * waits at or above the park threshold make at least half the wait time,
 * and some site holds the lock that long as a rule (its hold p50 is at or
 * above the threshold), so the waiters were parked on purpose; a holder
 * preempted now and then moves a site's p99, not its p50.  park_site: the
 * largest hold p50 in ticks among the class's sites whose holds mostly
 * begin with a lock call (for a site row: its own).
 */
static const char *role(const sbp_entry_t *e, double tp, uint64_t park_site)
{
	if (!e->acquisitions)
		return "none";
	if (!e->contended)
		return "uncontended";
	if (tp >= 0.5 * ns(e->hist[0].sum) && park_site >= park_ticks)
		return "parking";
	return "contended";
}

#define LOCK_HEAD                                                                                                     \
	"acquisitions,contended,uncontended,contended_share,owner_changes,trylock_fail,timeouts,errors,relocks,"      \
	"holds,wait_total_ns,wait_p50_ns,wait_p99_ns,wait_p999_ns,wait_max_ns,hold_total_ns,hold_p50_ns,hold_p99_ns," \
	"hold_p999_ns,hold_max_ns,parked,parked_wait_ns,role"

static void lock_row(FILE *f, const sbp_entry_t *e, uint64_t park_site)
{
	uint64_t np;
	double tp;
	parked(&e->hist[0], &np, &tp);
	fprintf(f,
		",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.6f,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
		",%" PRIu64,
		e->acquisitions, e->contended, e->acquisitions - e->contended,
		e->acquisitions ? (double)e->contended / (double)e->acquisitions : 0.0, e->owner_changes,
		e->trylock_fail, e->timeouts, e->errors, e->relocks, e->hist[1].count);
	pct(f, &e->hist[0]);
	pct(f, &e->hist[1]);
	fprintf(f, ",%" PRIu64 ",%.0f,%s\n", np, tp, role(e, tp, park_site));
}

static void hist_rows(FILE *f, int pid, const sbp_entry_t *e, const char *site, int which, const char *name)
{
	const sb_hist_t *h = &e->hist[which];
	for (int i = 0; i < SB_HIST_NBUCKETS; i++) {
		if (!h->bucket[i])
			continue;
		uint64_t lo = sb_hist_bucket_lower(i);
		fprintf(f, "%d,%s,0x%" PRIx64 ",%s,%s,%.1f,%.1f,%" PRIu64 "\n", pid, kind_name(e->kind), e->class_pc,
			site, name, ns(lo), ns(lo + sb_hist_bucket_width(i)), h->bucket[i]);
	}
}

typedef struct outs {
	FILE *locks, *sites, *conds, *hists, *procs;
} outs_t;

static outs_t o; /* the output files (main's; the process's life) */

/* One process's file: merge its slots, write its rows. */
static int one_file(const char *path, outs_t *dst)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || (size_t)st.st_size < sizeof(sbp_file_t)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	const sbp_file_t *fh = p;
	if (memcmp(fh->magic, SBP_MAGIC, sizeof SBP_MAGIC) != 0 || fh->version != SBP_VERSION ||
	    fh->slot_size != sizeof(sbp_slot_t) || fh->entry_size != sizeof(sbp_entry_t) ||
	    (size_t)st.st_size < SBP_PAGE + (size_t)fh->nslots * sizeof(sbp_slot_t)) {
		munmap(p, (size_t)st.st_size);
		return -1;
	}
	uint32_t used = atomic_load(&((sbp_file_t *)p)->slots_used);
	if (used > fh->nslots)
		used = fh->nslots;
	size_t n = 0, cap = 64;
	const sbp_entry_t **v = malloc(cap * sizeof *v);
	uint64_t table_full = 0, unmatched = 0, held_over = 0, threads = 0;
	for (uint32_t s = 0; s < used && v; s++) {
		const sbp_slot_t *sl = (const sbp_slot_t *)((const char *)p + SBP_PAGE +
							    (size_t)s * sizeof(sbp_slot_t));
		table_full += sl->table_full;
		unmatched += sl->unmatched_unlock;
		held_over += sl->held_overflow;
		threads += sl->threads;
		for (int i = 0; i < SBP_ENTRIES; i++) {
			if (!sl->entry[i].class_pc)
				continue;
			if (n == cap) {
				const sbp_entry_t **nv = realloc(v, 2 * cap * sizeof *v);
				if (!nv)
					break;
				v = nv;
				cap *= 2;
			}
			v[n++] = &sl->entry[i];
		}
	}
	if (!v) {
		munmap(p, (size_t)st.st_size);
		return -1;
	}
	fprintf(dst->procs,
		"%d,%d,%u,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%u,%" PRIu64 ",%" PRIu64 ",%.0f\n",
		fh->pid, fh->ppid, fh->fork_child, fh->state == 2 ? "exit" : "no-destructor", threads, table_full,
		unmatched, held_over, (unsigned)atomic_load(&((sbp_file_t *)p)->slots_full),
		(uint64_t)atomic_load(&((sbp_file_t *)p)->early_calls),
		(uint64_t)atomic_load(&((sbp_file_t *)p)->side_full),
		fh->state == 2 ? (double)(fh->end_ns - fh->start_ns) : -1.0);

	qsort(v, n, sizeof *v, cmp_site);
	agg_t *site = calloc(1, sizeof *site), *cls = calloc(1, sizeof *cls);
	for (size_t i = 0; i < n && site && cls;) {
		/* one class and kind: v[i .. j) */
		size_t j = i;
		uint64_t park_site = 0;
		memset(cls, 0, sizeof *cls);
		cls->e = *v[i];
		sb_hist_init(&cls->e.hist[0]);
		sb_hist_init(&cls->e.hist[1]);
		memset(&cls->e.acquisitions, 0, offsetof(sbp_entry_t, hist) - offsetof(sbp_entry_t, acquisitions));
		while (j < n && v[j]->class_pc == v[i]->class_pc && v[j]->origin == v[i]->origin &&
		       v[j]->kind == v[i]->kind) {
			size_t k = j;
			memset(site, 0, sizeof *site);
			site->e = *v[j];
			while (k < n && cmp_site(&v[k], &v[j]) == 0)
				k++;
			for (size_t m = j + 1; m < k; m++)
				add(&site->e, v[m]);
			add(&cls->e, &site->e);
			uint64_t p50 = sb_hist_percentile(&site->e.hist[1], 50);
			if (site->e.acquisitions && site->e.acquisitions >= site->e.relocks && p50 > park_site)
				park_site = p50; /* holds begun mostly by lock calls, not condvar relocks */
			cls->sites++;
			const sbp_entry_t *e = &site->e;
			char sitepc[32];
			snprintf(sitepc, sizeof sitepc, "0x%" PRIx64, e->site_pc);
			if (e->kind == SBP_K_COND) {
				fprintf(dst->conds,
					"%d,0x%" PRIx64 ",%s,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
					",%" PRIu64,
					fh->pid, e->class_pc, e->origin == SBP_O_INIT ? "init" : "first-use", sitepc,
					e->cond_waits, e->timeouts, e->cond_unsplit, e->signals, e->broadcasts);
				pct(dst->conds, &e->hist[0]);
				pct(dst->conds, &e->hist[1]);
				fputc('\n', dst->conds);
				hist_rows(dst->hists, fh->pid, e, sitepc, 0, "signal_wait");
				hist_rows(dst->hists, fh->pid, e, sitepc, 1, "reacquire");
			} else {
				fprintf(dst->sites, "%d,%s,0x%" PRIx64 ",%s,%s", fh->pid, kind_name(e->kind),
					e->class_pc, e->origin == SBP_O_INIT ? "init" : "first-use", sitepc);
				lock_row(dst->sites, e, sb_hist_percentile(&e->hist[1], 50));
			}
			j = k;
		}
		const sbp_entry_t *e = &cls->e;
		if (e->kind != SBP_K_COND) {
			fprintf(dst->locks, "%d,%s,0x%" PRIx64 ",%s,%" PRIu64, fh->pid, kind_name(e->kind), e->class_pc,
				e->origin == SBP_O_INIT ? "init" : "first-use", cls->sites);
			lock_row(dst->locks, e, park_site);
			hist_rows(dst->hists, fh->pid, e, "*", 0, "wait");
			hist_rows(dst->hists, fh->pid, e, "*", 1, "hold");
		}
		i = j;
	}
	free(site);
	free(cls);
	free(v);
	munmap(p, (size_t)st.st_size);
	return 0;
}

static FILE *csv(const char *dir, const char *name, const char *head)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (f)
		fprintf(f, "%s\n", head);
	return f;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: sbprof-report RAWDIR OUTDIR [PARK_NS]\n");
		return 1;
	}
	sb_clock_info_t ci;
	if (sb_clock_init(&ci) != 0) {
		fprintf(stderr, "sbprof-report: the clock could not be calibrated\n");
		return 1;
	}
	ns_per_tick = sb_ns_per_tick();
	park_ticks = sb_ns_to_ticks(argc > 3 ? atof(argv[3]) : 1e6);

	o.locks = csv(argv[2], "locks.csv", "pid,kind,class,origin,sites," LOCK_HEAD);
	o.sites = csv(argv[2], "sites.csv", "pid,kind,class,origin,site," LOCK_HEAD);
	o.conds = csv(argv[2], "conds.csv",
		      "pid,class,origin,site,waits,timeouts,unsplit,signals,broadcasts,signal_wait_total_ns,"
		      "signal_wait_p50_ns,signal_wait_p99_ns,signal_wait_p999_ns,signal_wait_max_ns,reacquire_total_ns,"
		      "reacquire_p50_ns,reacquire_p99_ns,reacquire_p999_ns,reacquire_max_ns");
	o.hists = csv(argv[2], "histograms.csv", "pid,kind,class,site,histogram,lower_ns,upper_ns,count");
	o.procs = csv(argv[2], "processes.csv",
		      "pid,ppid,fork_child,ended,threads,table_full,unmatched_unlocks,held_overflow,slots_full,"
		      "early_calls,side_table_full,lifetime_ns");
	if (!o.locks || !o.sites || !o.conds || !o.hists || !o.procs) {
		fprintf(stderr, "sbprof-report: cannot write to %s\n", argv[2]);
		return 1;
	}
	DIR *d = opendir(argv[1]);
	struct dirent *de;
	int bad = 0, files = 0;
	while (d && (de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (strncmp(de->d_name, "prof-", 5) != 0 || l < 9 || strcmp(de->d_name + l - 4, ".bin") != 0)
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", argv[1], de->d_name);
		if (one_file(path, &o) != 0) {
			fprintf(stderr, "sbprof-report: %s is not a profile record\n", path);
			bad = 1;
		}
		files++;
	}
	if (d)
		closedir(d);
	if (fclose(o.locks) | fclose(o.sites) | fclose(o.conds) | fclose(o.hists) | fclose(o.procs)) {
		fprintf(stderr, "sbprof-report: cannot write to %s\n", argv[2]);
		return 1;
	}
	printf("{\"source\": \"%s\", \"ns_per_tick\": %.9f, \"invariant\": %d, \"ordering\": \"%s\", \"records\": %d}\n",
	       ci.source, ns_per_tick, ci.invariant, SB_CLOCK_ORDERING, files);
	return bad;
}
