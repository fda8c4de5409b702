/*
 * results.c - writing a run's folder.  Every file goes to "<name>.tmp" and is
 * renamed into place, so a folder never holds half a file.  A figure that
 * was not measured is written NA, never 0.
 */
#include <errno.h>
#include <hwloc.h>
#include <math.h>
#include <papi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "aggregate.h"
#include "counters.h"
#include "results.h"
#include "stats.h"

#ifndef SB_GIT_COMMIT
#define SB_GIT_COMMIT "unknown"
#endif
#ifndef SB_BUILD_CFLAGS
#define SB_BUILD_CFLAGS "unknown"
#endif

const char *sb_build_commit(void)
{
	return SB_GIT_COMMIT;
}

const char *sb_build_flags(void)
{
	return SB_BUILD_CFLAGS;
}

void sb_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Open dir/name.tmp for writing. */
static FILE *open_tmp(const char *dir, const char *name, char *tmp, size_t tmplen)
{
	snprintf(tmp, tmplen, "%s/%s.tmp", dir, name);
	FILE *f = fopen(tmp, "w");
	if (!f)
		fprintf(stderr, "run-bench: cannot write %s: %s\n", tmp, strerror(errno));
	return f;
}

/* Close and rename into place; -1 (reported) on any error. */
static int commit(FILE *f, const char *dir, const char *name, const char *tmp)
{
	char dst[PATH_MAX + 64];
	int bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		fprintf(stderr, "run-bench: error writing %s\n", tmp);
		unlink(tmp);
		return -1;
	}
	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	if (rename(tmp, dst) != 0) {
		fprintf(stderr, "run-bench: cannot rename %s to %s: %s\n", tmp, dst, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void put_u(FILE *f, uint64_t v, int valid)
{
	if (valid)
		fprintf(f, ",%llu", (unsigned long long)v);
	else
		fputs(",NA", f);
}

/* A double with `prec` decimals, NA when not a number. */
static void put_d(FILE *f, double v, int prec)
{
	if (isnan(v) || isinf(v))
		fputs(",NA", f);
	else
		fprintf(f, ",%.*f", prec, v);
}

static int distinct_pus(const sb_rep_t *r)
{
	int n = 0;
	for (int i = 0; i < r->threads; i++) {
		int seen = 0;
		for (int j = 0; j < i && !seen; j++)
			seen = r->trow[j].pu == r->trow[i].pu;
		n += !seen;
	}
	return n;
}

/* s as one CSV field: as it is, or quoted (RFC 4180) when it holds a comma,
 * a quote or a line break (--placement=cpus:0,2 does). */
static const char *csv_field(const char *s, char *buf, size_t len)
{
	if (!strpbrk(s, ",\"\r\n"))
		return s;
	size_t k = 0;
	buf[k++] = '"';
	for (; *s && k + 3 < len; s++) {
		if (*s == '"')
			buf[k++] = '"';
		buf[k++] = *s;
	}
	buf[k++] = '"';
	buf[k] = '\0';
	return buf;
}

/* A 0/1 flag, NA when it does not apply (-1). */
static void put_flag(FILE *f, int v)
{
	put_u(f, (uint64_t)(v > 0), v >= 0);
}

/* measured vs asked: 1 when they differ by more than the tolerance; -1 n/a */
static int asked_off(double measured, double asked)
{
	if (!(asked > 0) || isnan(measured))
		return -1;
	return fabs(measured - asked) > SB_ASKED_TOLERANCE * asked;
}

static int write_summary(const char *dir, const sb_runctx_t *ctx, const sb_meta_t *m, sb_rep_t *const *reps,
			 int n)
{
	char tmp[PATH_MAX + 64];
	FILE *f = open_tmp(dir, "summary.csv", tmp, sizeof(tmp));
	if (!f)
		return -1;
	const sb_workload_t *wl = ctx->wl;
	double think_asked = sb_workload_think_mean_ns(wl);
	fputs("run_id,machine,lock,family,workload,threads,placement,pus,lock_node,lock_node_real,rep,"
	      "duration_s,acquisitions,throughput_ops_s,jain,min_max_ratio,fairness_factor,starved,"
	      "reps,throughput_ci_lo,throughput_ci_hi,unstable,"
	      "timed_ops_s,timed_slowdown,timed_slow,timed_sample_every,timed_stamp_every,"
	      "timed_acquisitions,handoffs,shared_joins,reacquires,idle_acquires,"
	      "handoffs_to_writers,handoffs_to_readers,handoffs_from_readers,handoff_negative,clock_suspect,"
	      "handoff_p50_ns,handoff_p90_ns,handoff_p99_ns,handoff_p999_ns,handoff_max_ns,"
	      "handoff_to_writers_p50_ns,handoff_to_writers_p99_ns,handoff_to_readers_p50_ns,"
	      "handoff_to_readers_p99_ns,handoff_below_resolution,handoff_consistency,handoff_inconsistent,"
	      "acquire_p50_ns,acquire_p99_ns,acquire_max_ns,hold_p50_ns,hold_p99_ns,cs_ns,cs_off,"
	      "think_ns,think_mean_ns,think_off,delay_ns_per_iter,"
	      "violations,oversubscribed,invol_csw,runq_max_ns,steal_ms,preempted,spins_per_op,"
	      "virtual_nodes,handoff_local_share,reads,writes,read_acquire_p50_ns,read_acquire_p99_ns,"
	      "read_acquire_max_ns,write_acquire_p50_ns,write_acquire_p99_ns,write_acquire_max_ns,long_holds,"
	      "ds_problems,handoff_offset_suspect",
	      f);
	for (int c = 0; c < SB_DIST_NCLASSES; c++)
		fprintf(f, ",handoff_share_%s,handoff_p50_%s_ns,handoff_vs_c2c_%s", sb_dist_name((sb_dist_t)c),
			sb_dist_name((sb_dist_t)c), sb_dist_name((sb_dist_t)c));
	char cb[160];
	for (int k = 0; k < sb_counters_n(); k++)
		fprintf(f, ",%s_per_op", sb_counter_column(k, cb, sizeof(cb)));
	fputc('\n', f);
	for (int i = 0; i < n; i++) {
		const sb_rep_t *r = reps[i];
		const sb_cfg_stats_t *cs = &m->cfg_stats[r->cfg];
		/* A latency phase ran; a lock was taken (the control takes none: no handoffs). */
		int ta = r->timed, lk = ta && !(r->lock->flags & SB_F_NOLOCK);
		int ho = lk && r->ho.n > 0;
		int spins_ok = !(r->lock->flags & (SB_F_OPAQUE | SB_F_NOLOCK)) &&
			       strncmp(r->lock->name, "pthread", 7) != 0 && r->acquisitions > 0;
		double slow = sb_rep_slowdown(r);
		char pq[2 * sizeof(ctx->o->placement_str) + 3];
		fprintf(f, "%s,%s,%s,%s,%s,%d,%s,%d,%d", m->run_id, ctx->o->machine, r->lock->name,
			sb_family_name(r->lock->family), wl->name, r->threads,
			csv_field(ctx->o->placement_str, pq, sizeof(pq)), distinct_pus(r), r->lock_node);
		if (r->lock_node_real >= 0)
			fprintf(f, ",%d", r->lock_node_real);
		else
			fputs(",NA", f);
		fprintf(f, ",%d", r->rep);
		put_d(f, r->duration_s, 6);
		put_u(f, r->acquisitions, 1);
		put_d(f, r->throughput, 1);
		put_d(f, r->jain, 6);
		put_d(f, r->min_max, 6);
		put_d(f, r->fairness_factor, 6);
		put_u(f, (uint64_t)r->starved, 1);
		put_u(f, (uint64_t)cs->reps, 1);
		put_d(f, cs->ci_lo, 1);
		put_d(f, cs->ci_hi, 1);
		put_flag(f, m->repeat_auto ? !cs->stable : -1);
		put_d(f, ta ? r->timed_ops_s : NAN, 1);
		put_d(f, slow, 3);
		put_flag(f, isnan(slow) ? -1 : slow > SB_SLOWDOWN_LIMIT);
		put_u(f, r->sample_every, ta);
		put_u(f, r->stamp_every, ta);
		put_u(f, r->timed_acq, ta);
		put_u(f, r->handoffs, lk);
		put_u(f, r->joins, lk);
		put_u(f, r->reacquires, lk);
		put_u(f, r->idle, lk);
		put_u(f, r->ho_w, lk);
		put_u(f, r->ho_r, lk);
		put_u(f, r->ho_from_readers, lk);
		put_u(f, r->ho_nonpositive, lk);
		put_flag(f, lk ? r->clock_suspect : -1);
		put_u(f, r->ho.p50, ho);
		put_u(f, r->ho.p90, ho);
		put_u(f, r->ho.p99, ho);
		put_u(f, r->ho.p999, ho);
		put_u(f, r->ho.max, ho);
		put_u(f, r->ho_wp.p50, lk && r->ho_wp.n);
		put_u(f, r->ho_wp.p99, lk && r->ho_wp.n);
		put_u(f, r->ho_rp.p50, lk && r->ho_rp.n);
		put_u(f, r->ho_rp.p99, lk && r->ho_rp.n);
		put_flag(f, ho ? sb_rep_below_resolution(r, m->clock.granularity_ns) : -1);
		put_d(f, lk ? r->handoff_consistency : NAN, 3);
		put_flag(f, lk ? sb_rep_inconsistent(r) : -1);
		put_u(f, r->acq.p50, ta && r->acq.n);
		put_u(f, r->acq.p99, ta && r->acq.n);
		put_u(f, r->acq.max, ta && r->acq.n);
		put_u(f, r->hold.p50, ta && r->hold.n);
		put_u(f, r->hold.p99, ta && r->hold.n);
		put_u(f, wl->cs_ns, 1);
		put_flag(f, ta && r->hold.n ? asked_off((double)r->hold.p50, (double)wl->cs_ns) : -1);
		put_d(f, think_asked, 1);
		put_d(f, ta ? r->think_mean_ns : NAN, 1);
		put_flag(f, ta ? asked_off(r->think_mean_ns, think_asked) : -1);
		put_d(f, r->delay_ns_per_iter, 4);
		put_u(f, r->violations, 1);
		put_u(f, (uint64_t)r->oversubscribed, 1);
		put_u(f, (uint64_t)r->invol_csw, 1);
		put_u(f, r->runq_max_ns, r->runq_max_ns != UINT64_MAX);
		put_d(f, r->steal_ms, 1);
		put_u(f, (uint64_t)(r->preempted != 0), 1);
		put_d(f, spins_ok ? (double)r->spins / (double)r->acquisitions : NAN, 4);
		put_u(f, (uint64_t)ctx->o->virtual_nodes, 1);
		put_d(f, lk ? r->local_share : NAN, 4);
		put_u(f, r->reads, 1);
		put_u(f, r->writes, 1);
		put_u(f, r->rd.p50, ta && r->rd.n);
		put_u(f, r->rd.p99, ta && r->rd.n);
		put_u(f, r->rd.max, ta && r->rd.n);
		put_u(f, r->wr.p50, ta && r->wr.n);
		put_u(f, r->wr.p99, ta && r->wr.n);
		put_u(f, r->wr.max, ta && r->wr.n);
		put_u(f, r->long_holds, ta);
		put_u(f, r->ds_problems, wl->ds != SB_DS_NONE);
		put_u(f, (uint64_t)sb_offset_suspect(ctx->tsc_offset_ns, (double)r->ho.p50),
		      ctx->tsc_offset_ns == ctx->tsc_offset_ns && ho);
		for (int c = 0; c < SB_DIST_NCLASSES; c++) {
			int tracked = lk && r->npairs >= 0, has = tracked && r->class_count[c] > 0 && r->class_p50[c];
			put_d(f, tracked && r->handoffs ? (double)r->class_count[c] / (double)r->handoffs : NAN, 4);
			put_u(f, r->class_p50[c], has);
			put_d(f, has && ctx->c2c_floor[c] > 0 ? (double)r->class_p50[c] / ctx->c2c_floor[c] : NAN, 2);
		}
		for (int k = 0; k < sb_counters_n(); k++)
			put_d(f, r->ctr_per_op[k], 4);
		fputc('\n', f);
	}
	return commit(f, dir, "summary.csv", tmp);
}

/* configs.csv: one row per configuration, the medians over its repetitions (aggregate.h). */
static int write_configs(const char *dir, const sb_runctx_t *ctx, const sb_meta_t *m)
{
	char tmp[PATH_MAX + 64], cb[160];
	FILE *f = open_tmp(dir, "configs.csv", tmp, sizeof(tmp));
	if (!f)
		return -1;
	fputs("run_id,machine,lock,family,workload,placement,threads,reps,throughput_ops_s,throughput_q1,"
	      "throughput_q3,throughput_ci_lo,throughput_ci_hi,unstable,jain,handoff_p50_ns,handoff_p99_ns,"
	      "read_acquire_p50_ns,write_acquire_p50_ns,hold_p50_ns,cs_ns,think_mean_ns,timed_slowdown,timed_slow,"
	      "handoff_consistency,inconsistent_reps,clock_suspect_reps,below_resolution_reps,violations,"
	      "oversubscribed,starved_reps,preempted_reps,long_holds,read_share",
	      f);
	for (int k = 0; k < sb_counters_n(); k++)
		fprintf(f, ",%s_per_op", sb_counter_column(k, cb, sizeof(cb)));
	fputc('\n', f);
	for (int c = 0; c < m->ncfg; c++) {
		const sb_cfg_stats_t *s = &m->cfg_stats[c];
		const sb_cfg_t *g = &m->cfgs[c];
		if (!s->reps)
			continue;
		int nolock = (g->lock->flags & SB_F_NOLOCK) != 0;
		char pq[2 * sizeof(ctx->o->placement_str) + 3];
		fprintf(f, "%s,%s,%s,%s,%s,%s,%d", m->run_id, ctx->o->machine, g->lock->name,
			sb_family_name(g->lock->family), ctx->wl->name,
			csv_field(ctx->o->placement_str, pq, sizeof(pq)), g->threads);
		put_u(f, (uint64_t)s->reps, 1);
		put_d(f, s->tput, 1);
		put_d(f, s->tput_q1, 1);
		put_d(f, s->tput_q3, 1);
		put_d(f, s->ci_lo, 1);
		put_d(f, s->ci_hi, 1);
		put_flag(f, m->repeat_auto ? !s->stable : -1);
		put_d(f, s->jain, 6);
		put_d(f, nolock ? NAN : s->ho_p50, 1);
		put_d(f, nolock ? NAN : s->ho_p99, 1);
		put_d(f, s->rd_p50, 1);
		put_d(f, s->wr_p50, 1);
		put_d(f, s->hold_p50, 1);
		put_u(f, ctx->wl->cs_ns, 1);
		put_d(f, s->think_mean, 1);
		put_d(f, s->slowdown, 3);
		put_flag(f, isnan(s->slowdown) ? -1 : s->slowdown > SB_SLOWDOWN_LIMIT);
		put_d(f, nolock ? NAN : s->consistency, 3);
		put_u(f, (uint64_t)s->inconsistent_reps, 1);
		put_u(f, (uint64_t)s->clock_suspect_reps, 1);
		put_u(f, (uint64_t)s->below_res_reps, 1);
		put_u(f, s->violations, 1);
		put_u(f, (uint64_t)s->oversubscribed, 1);
		put_u(f, (uint64_t)s->starved_reps, 1);
		put_u(f, (uint64_t)s->preempted_reps, 1);
		put_u(f, s->long_holds, 1);
		put_d(f, s->acquisitions ? (double)s->reads / (double)s->acquisitions : NAN, 4);
		for (int k = 0; k < sb_counters_n(); k++)
			put_d(f, s->ctr[k], 4);
		fputc('\n', f);
	}
	return commit(f, dir, "configs.csv", tmp);
}

static int write_threads(const char *dir, const sb_meta_t *m, sb_rep_t *const *reps, int n)
{
	char tmp[PATH_MAX + 64];
	FILE *f = open_tmp(dir, "threads.csv", tmp, sizeof(tmp));
	if (!f)
		return -1;
	fputs("run_id,lock,threads,rep,thread,pu,node,acquisitions,share,timed_acquisitions,handoffs_in,"
	      "acquire_p50_ns,acquire_p99_ns,acquire_max_ns,hold_p50_ns,spins_per_op,invol_csw,vol_csw,"
	      "runq_delay_ns,reads,writes,long_holds",
	      f);
	char cb[160];
	for (int k = 0; k < sb_counters_n(); k++)
		fprintf(f, ",%s,%s_per_op", sb_counter_column(k, cb, sizeof(cb)), cb);
	fputc('\n', f);
	for (int i = 0; i < n; i++) {
		const sb_rep_t *r = reps[i];
		int spins_ok = !(r->lock->flags & (SB_F_OPAQUE | SB_F_NOLOCK)) && strncmp(r->lock->name, "pthread", 7) != 0;
		for (int t = 0; t < r->threads; t++) {
			const sb_thread_row_t *x = &r->trow[t];
			int ta = x->timed_acq > 0;
			fprintf(f, "%s,%s,%d,%d,%d,%d,%d", m->run_id, r->lock->name, r->threads, r->rep, x->tid, x->pu,
				x->node);
			put_u(f, x->acquisitions, 1);
			put_d(f, r->acquisitions ? (double)x->acquisitions / (double)r->acquisitions : NAN, 6);
			put_u(f, x->timed_acq, r->timed);
			put_u(f, x->handoffs_in, r->timed && !(r->lock->flags & SB_F_NOLOCK));
			put_u(f, x->acquire_p50, ta);
			put_u(f, x->acquire_p99, ta);
			put_u(f, x->acquire_max, ta);
			put_u(f, x->hold_p50, ta);
			put_d(f, spins_ok && x->acquisitions ? (double)x->spins / (double)x->acquisitions : NAN, 4);
			put_u(f, (uint64_t)x->invol_csw, 1);
			put_u(f, (uint64_t)x->vol_csw, 1);
			put_u(f, x->runq_delay_ns, x->runq_delay_ns != UINT64_MAX);
			put_u(f, x->reads, 1);
			put_u(f, x->writes, 1);
			put_u(f, x->long_holds, r->timed);
			for (int k = 0; k < sb_counters_n(); k++) {
				int ok = x->ctr[k] >= 0;
				uint64_t den = k == sb_counters_handoffs() ? x->timed_acq : x->acquisitions;
				put_u(f, (uint64_t)x->ctr[k], ok);
				put_d(f, ok && den ? (double)x->ctr[k] / (double)den : NAN, 4);
			}
			fputc('\n', f);
		}
	}
	return commit(f, dir, "threads.csv", tmp);
}

static int write_handoffs(const char *dir, const sb_meta_t *m, sb_rep_t *const *reps, int n)
{
	char tmp[PATH_MAX + 64];
	FILE *f = open_tmp(dir, "handoffs.csv", tmp, sizeof(tmp));
	if (!f)
		return -1;
	fputs("run_id,lock,threads,rep,from_pu,to_pu,class,count,p50_ns\n", f);
	for (int i = 0; i < n; i++) {
		const sb_rep_t *r = reps[i];
		for (int k = 0; k < r->npairs; k++) {
			const sb_pair_row_t *p = &r->pairs[k];
			fprintf(f, "%s,%s,%d,%d,%d,%d,%s,%llu", m->run_id, r->lock->name, r->threads, r->rep,
				p->from_pu, p->to_pu, sb_dist_name(p->cls), (unsigned long long)p->count);
			put_u(f, p->p50_ns, p->timed > 0);
			fputc('\n', f);
		}
	}
	return commit(f, dir, "handoffs.csv", tmp);
}

static void hist_rows(FILE *f, const sb_meta_t *m, const sb_rep_t *r, const char *metric, const sb_hist_t *h)
{
	for (int b = 0; b < sb_hist_nbuckets(); b++) {
		uint64_t c = sb_hist_bucket_count(h, b);
		if (c)
			fprintf(f, "%s,%s,%d,%d,%s,%llu,%llu,%llu\n", m->run_id, r->lock->name, r->threads, r->rep,
				metric, (unsigned long long)sb_hist_bucket_lower(b),
				(unsigned long long)sb_hist_bucket_width(b), (unsigned long long)c);
	}
}

static int write_histograms(const char *dir, const sb_meta_t *m, sb_rep_t *const *reps, int n)
{
	char tmp[PATH_MAX + 64];
	FILE *f = open_tmp(dir, "histograms.csv", tmp, sizeof(tmp));
	if (!f)
		return -1;
	fputs("run_id,lock,threads,rep,metric,bucket_lower_ns,bucket_width_ns,count\n", f);
	for (int i = 0; i < n; i++) {
		hist_rows(f, m, reps[i], "handoff", reps[i]->h_handoff);
		hist_rows(f, m, reps[i], "acquire", reps[i]->h_acquire);
		hist_rows(f, m, reps[i], "hold", reps[i]->h_hold);
	}
	return commit(f, dir, "histograms.csv", tmp);
}

static int write_c2c(const char *dir, const sb_meta_t *m)
{
	char tmp[PATH_MAX + 64];
	FILE *f = open_tmp(dir, "c2c.csv", tmp, sizeof(tmp));
	if (!f)
		return -1;
	fputs("from_pu,to_pu,class,median_ns,min_ns,samples,offset_ns\n", f);
	for (int i = 0; i < m->nc2c; i++) {
		const sb_c2c_row_t *c = &m->c2c[i];
		fprintf(f, "%d,%d,%s,%.1f,%.1f,%d,%.1f\n", c->from_pu, c->to_pu, sb_dist_name(c->cls), c->median_ns,
			c->min_ns, c->samples, c->offset_ns);
	}
	return commit(f, dir, "c2c.csv", tmp);
}

static void kv_s(FILE *f, const char *k, const char *v, int last)
{
	fprintf(f, "  \"%s\": ", k);
	sb_json_str(f, v);
	fputs(last ? "\n" : ",\n", f);
}

static int write_meta(const char *dir, const sb_runctx_t *ctx, const sb_meta_t *m)
{
	char tmp[PATH_MAX + 64], buf[256];
	const sb_opts_t *o = ctx->o;
	struct utsname u;
	sb_topo_counts_t c;
	FILE *f = open_tmp(dir, "meta.json", tmp, sizeof(tmp));
	if (!f)
		return -1;
	uname(&u);
	sb_topo_counts(ctx->topo, &c);
	unsigned hv = hwloc_get_api_version();

	fputs("{\n", f);
	fprintf(f, "  \"schema_version\": %d,\n", SB_SCHEMA_VERSION);
	kv_s(f, "run_id", m->run_id, 0);
	kv_s(f, "machine", o->machine, 0);
	kv_s(f, "cpu_model", sb_topo_cpu_model(ctx->topo), 0);
	snprintf(buf, sizeof(buf), "%s %s %s", u.sysname, u.release, u.machine);
	kv_s(f, "kernel", buf, 0);
	kv_s(f, "compiler", __VERSION__, 0);
	kv_s(f, "cflags", SB_BUILD_CFLAGS, 0);
	kv_s(f, "git_commit", SB_GIT_COMMIT, 0);
	kv_s(f, "start_time", m->start_iso, 0);
	kv_s(f, "command_line", o->cmdline, 0);
	fprintf(f, "  \"complete\": %s,\n", m->complete ? "true" : "false");
	kv_s(f, "stop_reason", m->stop_reason, 0);
	fputs("  \"clock\": {", f);
	fputs("\"source\": ", f);
	sb_json_str(f, m->clock.source);
	fprintf(f, ", \"invariant\": %s, \"ticks_per_sec\": %.0f, \"calibration_spread\": %.6f, "
		   "\"read_cost_ns\": %.2f, \"start_read_cost_ns\": %.2f, \"raw_read_cost_ns\": %.2f, "
		   "\"granularity_ns\": %.2f, \"ordering\": ",
		m->clock.invariant ? "true" : "false", m->clock.ticks_per_sec, m->clock.calib_spread,
		m->clock.read_cost_ns, m->clock.start_cost_ns, m->clock.raw_cost_ns, m->clock.granularity_ns);
	sb_json_str(f, SB_CLOCK_ORDERING);
	fprintf(f, ", \"hypervisor\": %s},\n", m->clock.hypervisor == 1 ? "true" : "false");
	fprintf(f, "  \"topology\": {\"pus\": %d, \"cores\": %d, \"numa_nodes\": %d, \"packages\": %d, "
		   "\"l3_caches\": %d, \"is_this_system\": %s},\n",
		c.pus, c.cores, c.nodes, c.packages, c.l3s, sb_topo_is_thissystem(ctx->topo) ? "true" : "false");
	snprintf(buf, sizeof(buf), "%u.%u.%u", hv >> 16, (hv >> 8) & 0xff, hv & 0xff);
	kv_s(f, "hwloc_version", buf, 0);
	snprintf(buf, sizeof(buf), "%d.%d.%d", PAPI_VERSION_MAJOR(PAPI_VERSION), PAPI_VERSION_MINOR(PAPI_VERSION),
		 PAPI_VERSION_REVISION(PAPI_VERSION));
	kv_s(f, "papi_version", buf, 0);
	fputs("  \"counters\": ", f);
	sb_counters_json(f);
	fputs(",\n", f);
	kv_s(f, "counters_requested", o->counters_str, 0);
	kv_s(f, "workload", ctx->wl->name, 0);
	sb_workload_describe(ctx->wl, buf, sizeof(buf));
	kv_s(f, "workload_parameters", buf, 0);
	kv_s(f, "workload_purpose", ctx->wl->purpose, 0);
	fprintf(f, "  \"hold_limit_ns\": %llu,\n", (unsigned long long)ctx->wl->hold_limit_ns);
	fputs("  \"delay\": \"calibrated loop below 200 ns (delay_ns_per_iter per repetition in summary.csv), "
	      "ordered-TSC deadline from 200 ns\",\n", f);
	kv_s(f, "placement", o->placement_str, 0);
	fprintf(f, "  \"lock_node\": %d,\n", o->lock_node);
	fprintf(f, "  \"virtual_nodes\": %d,\n", o->virtual_nodes);
	fprintf(f, "  \"c2c_pairs\": %d,\n", m->nc2c);
	if (m->nc2c > 0) {
		fputs("  \"c2c_floor_ns\": {", f);
		for (int cl = 0, k = 0; cl < SB_DIST_NCLASSES; cl++)
			if (ctx->c2c_floor[cl] > 0)
				fprintf(f, "%s\"%s\": %.1f", k++ ? ", " : "", sb_dist_name((sb_dist_t)cl), ctx->c2c_floor[cl]);
		fputs("},\n", f);
		fprintf(f, "  \"c2c_rounds\": %d,\n  \"tsc_offset_max_ns\": %.1f,\n  \"tsc_offset_before_ns\": %.1f,\n",
			m->c2c_rounds, m->tsc_offset_max_ns, m->tsc_offset_before_ns);
		if (isnan(m->tsc_offset_after_ns))
			fputs("  \"tsc_offset_after_ns\": null,\n", f);
		else
			fprintf(f, "  \"tsc_offset_after_ns\": %.1f,\n", m->tsc_offset_after_ns);
	} else {
		fputs("  \"tsc_offset_max_ns\": null,\n", f);
	}
	fprintf(f, "  \"duration_ns\": %llu,\n  \"warmup_ns\": %llu,\n  \"timed_ns\": %llu,\n",
		(unsigned long long)o->duration_ns, (unsigned long long)o->warmup_ns,
		(unsigned long long)o->timed_ns);
	if (m->repeat_auto)
		fprintf(f, "  \"repeat\": \"auto\",\n  \"repeat_rule\": \"%d to %d repetitions, until the "
			   "order-statistic 95%% interval of the median throughput is within +-%.0f%%\",\n",
			SB_AUTO_MIN_REPS, SB_AUTO_MAX_REPS, SB_AUTO_REL * 100);
	else
		fprintf(f, "  \"repeat\": %d,\n", o->repeat);
	kv_s(f, "sched", o->sched_fifo ? "fifo" : "other", 0);
	fprintf(f, "  \"rt_runtime_us\": %ld,\n  \"rt_period_us\": %ld,\n", m->rt_runtime_us, m->rt_period_us);
	fprintf(f, "  \"runner_pu\": %d,\n", ctx->runner_pu);
	fprintf(f, "  \"seed\": %llu,\n", (unsigned long long)o->seed);
	fputs("  \"order\": \"configurations x repetitions, shuffled with the seed\",\n", f);
	fputs("  \"locks\": [", f);
	for (int i = 0; i < o->nlocks; i++) {
		if (i)
			fputs(", ", f);
		sb_json_str(f, o->locks[i]->name);
	}
	fputs("],\n  \"threads\": [", f);
	for (int i = 0; i < o->ntcounts; i++)
		fprintf(f, "%s%d", i ? ", " : "", o->tcounts[i]);
	fputs("],\n", f);
	fprintf(f, "  \"handoff_pairs_max_threads\": %d,\n", SB_PAIR_MAX_THREADS);
	fprintf(f, "  \"configurations\": %d\n", m->nconfigs);
	fputs("}\n", f);
	return commit(f, dir, "meta.json", tmp);
}

int sb_results_write(const char *dir, const sb_runctx_t *ctx, const sb_meta_t *m, sb_rep_t *const *reps,
		     int nreps)
{
	char tmp[PATH_MAX + 64], dst[PATH_MAX + 64];
	int rc = 0;

	rc |= write_summary(dir, ctx, m, reps, nreps);
	rc |= write_configs(dir, ctx, m);
	rc |= write_threads(dir, m, reps, nreps);
	rc |= write_handoffs(dir, m, reps, nreps);
	rc |= write_histograms(dir, m, reps, nreps);
	rc |= write_meta(dir, ctx, m);
	if (m->nc2c > 0)
		rc |= write_c2c(dir, m);
	snprintf(tmp, sizeof(tmp), "%s/topology.xml.tmp", dir);
	snprintf(dst, sizeof(dst), "%s/topology.xml", dir);
	if (sb_topo_export_xml(ctx->topo, tmp) != 0 || rename(tmp, dst) != 0) {
		fprintf(stderr, "run-bench: cannot write %s\n", dst);
		unlink(tmp);
		rc = -1;
	}
	return rc ? -1 : 0;
}
