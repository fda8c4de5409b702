/*
 * test_counters.c - the PAPI path of harness/counters.c, tested through the
 * suite's software-defined events so that it runs on machines without a PMU:
 * PAPI library and thread init, per-thread event sets, start, read, stop,
 * with exact expected values per thread; --counters parsing and usage
 * errors; hardware counters that cannot be counted are NA (-1) with a
 * reason, never 0.  On a machine with a PMU the hardware presets are
 * available and must read >= 0.  The no-PMU path is also forced everywhere,
 * in a child process with SPINBENCH_PAPI_DISABLE=perf_event.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "arch.h"
#include "counters.h"
#include "tap.h"

#define NTHR 4

static int idx_of(const char *stem)
{
	for (int i = 0; i < sb_counters_n(); i++)
		if (!strcmp(sb_counter_name(i), stem))
			return i;
	return -1;
}

static int is_sde(int i)
{
	return !strncmp(sb_counter_event(i), "sde:::", 6);
}

/* Spin-wait iterations through the real per-thread counter path of arch.h. */
static void spin_n(unsigned long n)
{
	for (unsigned long k = 0; k < n; k++)
		sb_spin_wait();
}

/* ------------------------------------------------------------------ */
/* Child: PAPI with the perf_event component disabled (no PMU path).   */
/* ------------------------------------------------------------------ */

/* Runs in a fresh child before the parent touches PAPI; reports one line
 * per fact on fd: "key value". */
static void child_no_pmu(int fd)
{
	char err[1024];
	FILE *f = fdopen(fd, "w");
	setenv("SPINBENCH_PAPI_DISABLE", "perf_event", 1);
	int rc = sb_counters_setup("default,perf::TASK-CLOCK", err, sizeof(err));
	fprintf(f, "rc %d\nn %d\nwarn %s\n", rc, sb_counters_n(), err);
	for (int i = 0; i < sb_counters_n(); i++)
		fprintf(f, "ctr %s %d %s\n", sb_counter_name(i), sb_counter_available(i), sb_counter_reason(i));
	sb_ctr_thread_t *t = sb_counters_thread_init(err, sizeof(err));
	long long v[SB_CTR_MAX];
	spin_n(11);
	int r1 = t ? sb_counters_start(t) : -9;
	spin_n(123);
	sb_sde_acquisitions = 4567;
	int r2 = t ? sb_counters_stop(t, v) : -9;
	fprintf(f, "startstop %d %d\n", r1, r2);
	for (int i = 0; i < sb_counters_n(); i++)
		fprintf(f, "val %s %lld\n", sb_counter_name(i), v[i]);
	sb_counters_thread_fini(t);
	fclose(f);
	_exit(0);
}

/* Find "key NAME ..." in the child's report; returns the rest of the line
 * (in one of a few rotating buffers) or NULL. */
static const char *report_find(const char *rep, const char *key, const char *name)
{
	static char lines[4][1200];
	static int next;
	char *line = lines[next++ % 4];
	char pat[200];
	snprintf(pat, sizeof(pat), "\n%s %s ", key, name);
	const char *p = strstr(rep, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	size_t n = strcspn(p, "\n");
	if (n >= sizeof(lines[0]))
		n = sizeof(lines[0]) - 1;
	memcpy(line, p, n);
	line[n] = '\0';
	return line;
}

static void test_no_pmu_child(void)
{
	int pfd[2];
	static char rep[16384];
	size_t used = 1;
	rep[0] = '\n';
	if (pipe(pfd)) {
		sb_ok(0, "no-PMU child: pipe");
		return;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		child_no_pmu(pfd[1]);
	}
	close(pfd[1]);
	for (ssize_t k; (k = read(pfd[0], rep + used, sizeof(rep) - 1 - used)) > 0;)
		used += (size_t)k;
	rep[used] = '\0';
	close(pfd[0]);
	int st = 0;
	waitpid(pid, &st, 0);
	sb_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "no-PMU child (perf_event disabled) ran");

	const char *l1 = report_find(rep, "ctr", "PAPI_L1_DCM");
	sb_ok(l1 && l1[0] == '0' && strstr(l1, "perf_event") && strstr(l1, "disabled"),
	      "no PMU: PAPI_L1_DCM kept, unavailable, reason names the disabled perf_event component: %s",
	      l1 ? l1 : "(missing)");
	const char *tc = report_find(rep, "ctr", "perf_TASK_CLOCK");
	sb_ok(tc && tc[0] == '0' && strlen(tc) > 2,
	      "no PMU: a native name of the disabled component is kept as unavailable, not a usage error: %s",
	      tc ? tc : "(missing)");
	sb_ok(strstr(rep, "\nrc 6\n") != NULL, "no PMU: setup returns the number of unavailable counters (6)");
	sb_ok(strstr(rep, "\nwarn --counters: not countable on this machine") != NULL,
	      "no PMU: setup gives a warning line");
	const char *sp = report_find(rep, "ctr", "spins");
	sb_ok(sp && sp[0] == '1', "no PMU: software event spins still available");
	sb_ok(strstr(rep, "\nstartstop 0 0\n") != NULL, "no PMU: thread start/stop succeed");
	const char *vl1 = report_find(rep, "val", "PAPI_L1_DCM");
	const char *vsp = report_find(rep, "val", "spins");
	const char *vac = report_find(rep, "val", "acquisitions");
	sb_ok(vl1 && !strcmp(vl1, "-1"), "no PMU: PAPI_L1_DCM value is -1 (NA), not 0");
	sb_ok(vsp && !strcmp(vsp, "123"), "no PMU: spins over the window read through PAPI = 123 (got %s)",
	      vsp ? vsp : "?");
	sb_ok(vac && !strcmp(vac, "4567"), "no PMU: acquisitions read through PAPI = 4567 (got %s)", vac ? vac : "?");
}

/* ------------------------------------------------------------------ */
/* Threads: exact per-thread values through PAPI                       */
/* ------------------------------------------------------------------ */

#define WINDOWS 3

typedef struct {
	int tid;
	pthread_barrier_t *bar;
	int init_ok, start_rc[WINDOWS], stop_rc[WINDOWS];
	long long zero_after_start[WINDOWS];
	long long v[WINDOWS][SB_CTR_MAX];
	char err[256];
} targ_t;

static long long want_acq(int tid, int w)
{
	return 1000003LL * (tid + 1) + 17 * w;
}
static long long want_hand(int tid, int w)
{
	return 31LL * (tid + 1) + w;
}
static unsigned long want_spins(int tid, int w)
{
	return 1000UL * (unsigned long)(tid + 1) + 7UL * (unsigned long)w + 3;
}

static void *worker(void *p)
{
	targ_t *a = p;
	sb_ctr_thread_t *t = sb_counters_thread_init(a->err, sizeof(a->err));
	a->init_ok = t != NULL;
	/* Spins before the window must not count. */
	spin_n(500UL + (unsigned long)a->tid);
	for (int w = 0; w < WINDOWS; w++) {
		sb_sde_acquisitions = 999; /* stale values from before the window */
		sb_sde_handoffs = 999;
		pthread_barrier_wait(a->bar);
		a->start_rc[w] = t ? sb_counters_start(t) : -9;
		a->zero_after_start[w] = sb_sde_acquisitions + sb_sde_handoffs;
		/* Every thread has started before any sets its values or stops:
		 * the windows overlap, as in the benchmark. */
		pthread_barrier_wait(a->bar);
		spin_n(want_spins(a->tid, w));
		sb_sde_acquisitions = want_acq(a->tid, w);
		sb_sde_handoffs = want_hand(a->tid, w);
		pthread_barrier_wait(a->bar);
		a->stop_rc[w] = t ? sb_counters_stop(t, a->v[w]) : -9;
		spin_n(77); /* after the window: must not count in the next one either */
	}
	sb_counters_thread_fini(t);
	return NULL;
}

static void test_threads(void)
{
	char err[1024];
	int rc = sb_counters_setup("acquisitions, spins,handoffs,PAPI_TOT_CYC,PAPI_L1_DCM,sde:::spinbench::spins", err,
				   sizeof(err));
	sb_ok(rc >= 0, "setup with software and hardware events: rc=%d %s", rc, err);
	sb_ok(sb_counters_n() == 5, "the duplicate (spins by its full name) is dropped: %d counters", sb_counters_n());
	int ia = idx_of("acquisitions"), is = idx_of("spins"), ih = idx_of("handoffs");
	int ic = idx_of("PAPI_TOT_CYC"), il = idx_of("PAPI_L1_DCM");
	sb_ok(ia == 0 && is == 1 && ih == 2 && ic == 3 && il == 4, "counters keep the order given");
	sb_ok(sb_counter_available(ia) && sb_counter_available(is) && sb_counter_available(ih),
	      "software events available: %s", sb_counter_reason(is));
	sb_ok(!strcmp(sb_counter_event(is), "sde:::spinbench::spins"), "spins is the PAPI event %s",
	      sb_counter_event(is));

	pthread_t th[NTHR];
	targ_t a[NTHR];
	pthread_barrier_t bar;
	pthread_barrier_init(&bar, NULL, NTHR);
	for (int i = 0; i < NTHR; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].tid = i;
		a[i].bar = &bar;
		pthread_create(&th[i], NULL, worker, &a[i]);
	}
	for (int i = 0; i < NTHR; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&bar);

	for (int i = 0; i < NTHR; i++) {
		sb_ok(a[i].init_ok, "thread %d: PAPI_register_thread and its own event sets %s", i, a[i].err);
		for (int w = 0; w < WINDOWS; w++) {
			const long long *v = a[i].v[w];
			sb_ok(a[i].start_rc[w] == 0 && a[i].stop_rc[w] == 0, "thread %d window %d: start and stop", i,
			      w);
			sb_ok(a[i].zero_after_start[w] == 0, "thread %d window %d: start zeroes the harness counters",
			      i, w);
			sb_ok(v[ia] == want_acq(i, w), "thread %d window %d: acquisitions through PAPI %lld == %lld", i,
			      w, v[ia], want_acq(i, w));
			sb_ok(v[ih] == want_hand(i, w), "thread %d window %d: handoffs through PAPI %lld == %lld", i, w,
			      v[ih], want_hand(i, w));
			sb_ok(v[is] == (long long)want_spins(i, w),
			      "thread %d window %d: spins through PAPI %lld == %lu (this thread, this window only)", i,
			      w, v[is], want_spins(i, w));
			for (int k = 0; k < sb_counters_n(); k++) {
				if (is_sde(k))
					continue;
				if (sb_counter_available(k))
					sb_ok(v[k] >= 0, "thread %d window %d: %s available, value %lld >= 0", i, w,
					      sb_counter_name(k), v[k]);
				else
					sb_ok(v[k] == -1, "thread %d window %d: %s unavailable, value -1 (NA), not 0",
					      i, w, sb_counter_name(k));
			}
		}
	}
	for (int k = 0; k < sb_counters_n(); k++) {
		if (is_sde(k))
			continue;
		if (sb_counter_available(k))
			sb_ok(sb_counter_reason(k)[0] == '\0', "%s available here, no reason", sb_counter_name(k));
		else
			sb_ok(strlen(sb_counter_reason(k)) > 5, "%s unavailable here, reason: %s", sb_counter_name(k),
			      sb_counter_reason(k));
	}
	sb_diag("setup warning: %s", err[0] ? err : "(none)");
}

/* ------------------------------------------------------------------ */
/* Parsing                                                             */
/* ------------------------------------------------------------------ */

static void expect_usage(const char *spec, const char *needle)
{
	char err[512];
	int rc = sb_counters_setup(spec, err, sizeof(err));
	sb_ok(rc == -1 && strstr(err, needle) && sb_counters_n() == 0, "--counters='%s' is a usage error: %s", spec,
	      err);
}

static void test_parse(void)
{
	char err[1024];
	expect_usage("PAPI_NO_SUCH_EVENT", "--counters: unknown event 'PAPI_NO_SUCH_EVENT'");
	expect_usage("spins,bogus_event", "--counters: unknown event 'bogus_event'");
	expect_usage("sde:::spinbench::typo", "--counters: unknown event 'sde:::spinbench::typo'");
	expect_usage("sde:::otherlib::x", "--counters: unknown event 'sde:::otherlib::x'");
	expect_usage("spins,,handoffs", "--counters: empty item");
	expect_usage("", "--counters: empty item");
	expect_usage("none,spins", "--counters: 'none' cannot be combined");

	int rc = sb_counters_setup("none", err, sizeof(err));
	sb_ok(rc == 0 && sb_counters_n() == 0 && err[0] == '\0', "none: zero counters");
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	sb_counters_json(m);
	fclose(m);
	sb_ok(!strcmp(buf, "[]"), "none: meta.json counters is [] (%s)", buf);
	free(buf);
	sb_ctr_thread_t *t = sb_counters_thread_init(err, sizeof(err));
	long long v[1] = {5};
	sb_ok(t && sb_counters_start(t) == 0 && sb_counters_stop(t, v) == 0 && v[0] == 5,
	      "none: thread init/start/stop are no-ops");
	sb_counters_thread_fini(t);

	rc = sb_counters_setup("default", err, sizeof(err));
	sb_ok(rc >= 0 && sb_counters_n() == 8, "default parses: rc=%d, %d counters", rc, sb_counters_n());
	static const char *const dflt[] = {"PAPI_L1_DCM",  NULL,    "PAPI_L3_TCM",  "PAPI_TOT_CYC",
					   "PAPI_TOT_INS", "spins", "acquisitions", "handoffs"};
	int names_ok = sb_counters_n() == 8;
	for (int i = 0; names_ok && i < 8; i++)
		names_ok = dflt[i] ? !strcmp(sb_counter_name(i), dflt[i])
				   : (!strcmp(sb_counter_name(i), "PAPI_L2_DCM") ||
				      !strcmp(sb_counter_name(i), "PAPI_L2_TCM"));
	sb_ok(names_ok, "default: L1, L2 (DCM or TCM), L3, cycles, instructions, spins, acquisitions, handoffs");
	int nbad = 0, reasons_ok = 1;
	for (int i = 0; i < sb_counters_n(); i++) {
		nbad += !sb_counter_available(i);
		if (!sb_counter_available(i) && !sb_counter_reason(i)[0])
			reasons_ok = 0;
		sb_diag("default: %-14s %s %s", sb_counter_name(i), sb_counter_available(i) ? "yes" : "no ",
			sb_counter_reason(i));
	}
	sb_ok(rc == nbad && reasons_ok, "default: rc = unavailable count (%d), each with a reason", nbad);
	sb_ok(nbad == 0 ? err[0] == '\0' : !strncmp(err, "--counters: not countable on this machine", 41),
	      "default: one warning line when something is unavailable");
	sb_ok(sb_counter_name(8) == NULL && sb_counter_name(-1) == NULL && !sb_counter_available(99),
	      "out-of-range index");

	m = open_memstream(&buf, &len);
	sb_counters_json(m);
	fclose(m);
	sb_ok(buf[0] == '[' && buf[len - 1] == ']' &&
		      strstr(buf, "{\"name\": \"spins\", \"event\": \"sde:::spinbench::spins\", \"available\": true, "
				  "\"reason\": \"\"}") &&
		      (sb_counter_available(0) ? strstr(buf, "\"name\": \"PAPI_L1_DCM\", \"event\": \"PAPI_L1_DCM\", "
							     "\"available\": true")
					       : strstr(buf, "\"name\": \"PAPI_L1_DCM\", \"event\": \"PAPI_L1_DCM\", "
							     "\"available\": false, \"reason\": \"")),
	      "meta.json counters array");
	free(buf);

	/* A native name: accepted (known to PAPI here, or kept as NA), and its column stem is clean. */
	rc = sb_counters_setup("perf::TASK-CLOCK", err, sizeof(err));
	sb_ok(rc >= 0 && sb_counters_n() == 1 && !strcmp(sb_counter_name(0), "perf_TASK_CLOCK"),
	      "native event name accepted, column stem %s (rc=%d %s)", sb_counter_name(0) ? sb_counter_name(0) : "-",
	      rc, err);

	/* --list-counters, and it leaves the current list alone. */
	m = open_memstream(&buf, &len);
	sb_counters_list(m);
	fclose(m);
	sb_ok(strstr(buf, "--counters=default") && strstr(buf, "  spins ") && strstr(buf, "PAPI components:") &&
		      strstr(buf, "PAPI_L1_DCM"),
	      "--list-counters lists the default set, the software events and the components");
	sb_ok(sb_counters_n() == 1 && !strcmp(sb_counter_name(0), "perf_TASK_CLOCK"),
	      "--list-counters leaves the current list alone");
	free(buf);
}

/* ------------------------------------------------------------------ */
/* Cost of PAPI_start + PAPI_stop                                      */
/* ------------------------------------------------------------------ */

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void time_spec(const char *spec)
{
	char err[1024];
	long long v[SB_CTR_MAX];
	if (sb_counters_setup(spec, err, sizeof(err)) < 0)
		return;
	sb_ctr_thread_t *t = sb_counters_thread_init(err, sizeof(err));
	if (!t)
		return;
	const int n = 2000;
	double best = 1e30;
	for (int rep = 0; rep < 3; rep++) {
		double t0 = now_ns();
		for (int i = 0; i < n; i++) {
			sb_counters_start(t);
			sb_counters_stop(t, v);
		}
		double d = (now_ns() - t0) / n;
		if (d < best)
			best = d;
	}
	sb_counters_thread_fini(t);
	int avail = 0;
	for (int i = 0; i < sb_counters_n(); i++)
		avail += sb_counter_available(i);
	sb_diag("start+stop, %d counted events (%s): %.0f ns per window", avail, spec, best);
}

int main(void)
{
	test_no_pmu_child(); /* first: the child must be the first to initialise PAPI */
	test_parse();
	test_threads();
	time_spec("spins,acquisitions,handoffs");
	time_spec("perf::TASK-CLOCK");
	time_spec("default");
	sb_counters_setup("none", (char[8]){0}, 8);
	return sb_tap_done();
}
