/*
 * counters.c - PAPI hardware counters and the suite's software-defined
 * events, per worker thread, over the measured window (counters.h).
 *
 * What libsde (PAPI 7.0) does, and what this file does about it:
 *
 *  - PAPI's SDE component finds libsde at PAPI_library_init time with
 *    dlopen(NULL) + dlsym("sde_ti_..."), i.e. in the global symbol scope.
 *    `pkg-config --libs papi` does not name libsde, so we dlopen
 *    "libsde.so.1" RTLD_GLOBAL before PAPI_library_init: no link flag, and
 *    where libsde is missing the software events are unavailable with the
 *    dlopen error as the reason, instead of a link failure.
 *
 *  - A counter registered with papi_sde_register_counter() is one address:
 *    process-wide.  A counter registered with papi_sde_register_counter_cb()
 *    is a function that libsde calls synchronously, under its own global
 *    lock, from the PAPI_start/PAPI_read/PAPI_stop of the thread that reads.
 *    So a callback that returns a _Thread_local variable gives per-thread
 *    values.  The callback's `param` is bound once at registration, so it
 *    must not be the address of a _Thread_local (it would be the main
 *    thread's): each event has its own parameterless callback.
 *
 *  - For a DELTA counter libsde subtracts the value it read at PAPI_start,
 *    but it keeps that value in the counter itself (one slot per event,
 *    process-wide, written without its lock in sde_ti_reset_counter).  With
 *    one event set per thread, thread B's PAPI_start overwrites thread A's
 *    start value, and A's PAPI_stop returns A_end - B_start.  So the events
 *    are registered PAPI_SDE_INSTANT (libsde subtracts nothing) and the
 *    window delta is made per thread here: sb_counters_start snapshots
 *    sb_spins into a _Thread_local and zeroes the harness's two counters;
 *    the callbacks return (sb_spins - snapshot) and the two counters.
 *
 *  - Any name "sde:::LIB::X" makes PAPI_event_name_to_code() succeed: libsde
 *    registers a placeholder (it reads -1) so that tools can name events of
 *    libraries not loaded yet.  So an sde::: name is accepted only when it
 *    is one of ours; anything else is an unknown event.
 *
 *  - An event set belongs to one component: hardware events (perf_event)
 *    and software events (sde) need two event sets per thread, started and
 *    stopped together.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <papi.h>
#include <pthread.h>
#include <sde_lib.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "counters.h"
#include "parse.h"

_Thread_local long long sb_sde_acquisitions, sb_sde_handoffs;
static _Thread_local unsigned long spins_at_start;

#define SDE_LIB "spinbench"
#define NAME_MAX_LEN 127

enum { SDE_NONE = 0, SDE_SPINS, SDE_ACQ, SDE_HANDOFFS, SDE_N };
static const char *const sde_short[SDE_N] = {"", "spins", "acquisitions", "handoffs"};
static const char *const sde_descr[SDE_N] = {
	"",
	"spin-wait loop iterations of this thread while waiting for a lock, over the measured window",
	"lock acquisitions of this thread in the measured window (the harness's own count)",
	"acquisitions of this thread that were handoffs (lock passed from another waiting thread)",
};

typedef struct ctr {
	char stem[NAME_MAX_LEN + 1];   /* column stem */
	char event[NAME_MAX_LEN + 24]; /* PAPI event name */
	int code;                      /* PAPI event code (valid if code_ok) */
	int code_ok;
	int cidx; /* PAPI component, -1 if unknown */
	int sde;  /* SDE_* */
	int available;
	char reason[320];
} ctr_t;

static ctr_t g_ctr[SB_CTR_MAX];
static int g_n;

/* PAPI state, set once by papi_init(). */
static int g_papi_tried, g_papi_ok;
/* The thread that initialised PAPI: PAPI registered it implicitly, and
 * PAPI_unregister_thread() on it breaks later PAPI calls in it (a crash in
 * PAPI_event_name_to_code, PAPI 7.0), so it is never unregistered. */
static pthread_t g_papi_main;
static char g_papi_err[256];
static int g_sde_ok;
static char g_sde_err[256];

/* snprintf that truncates silently (messages and reasons are best effort). */
__attribute__((format(printf, 3, 4))) static void sfmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	if (!len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* Software-defined events: per-thread callbacks                       */
/* ------------------------------------------------------------------ */

static long long cb_spins(void *p)
{
	(void)p;
	return (long long)(atomic_load_explicit(&sb_spins, memory_order_relaxed) - spins_at_start);
}

static long long cb_acq(void *p)
{
	(void)p;
	return sb_sde_acquisitions;
}

static long long cb_handoffs(void *p)
{
	(void)p;
	return sb_sde_handoffs;
}

typedef papi_handle_t (*sde_init_fn)(const char *);
typedef int (*sde_reg_cb_fn)(papi_handle_t, const char *, int, int, papi_sde_fptr_t, void *);
typedef int (*sde_describe_fn)(papi_handle_t, const char *, const char *);

/* Load libsde into the global scope (before PAPI_library_init), register our
 * events.  Sets g_sde_ok / g_sde_err. */
static void *sde_load(void)
{
	void *h = dlopen("libsde.so.1", RTLD_NOW | RTLD_GLOBAL);
	if (!h)
		h = dlopen("libsde.so", RTLD_NOW | RTLD_GLOBAL);
	if (!h) {
		const char *e = dlerror();
		sfmt(g_sde_err, sizeof(g_sde_err), "libsde (PAPI software-defined events) not loadable: %s",
		     e ? e : "dlopen failed");
	}
	return h;
}

static void sde_register(void *h)
{
	sde_init_fn f_init = (sde_init_fn)dlsym(h, "papi_sde_init");
	sde_reg_cb_fn f_reg = (sde_reg_cb_fn)dlsym(h, "papi_sde_register_counter_cb");
	sde_describe_fn f_descr = (sde_describe_fn)dlsym(h, "papi_sde_describe_counter");
	static const papi_sde_fptr_t cbs[SDE_N] = {NULL, cb_spins, cb_acq, cb_handoffs};

	if (!f_init || !f_reg) {
		sfmt(g_sde_err, sizeof(g_sde_err), "libsde lacks papi_sde_init/papi_sde_register_counter_cb");
		return;
	}
	papi_handle_t lib = f_init(SDE_LIB);
	if (!lib) {
		sfmt(g_sde_err, sizeof(g_sde_err), "papi_sde_init(\"%s\") failed", SDE_LIB);
		return;
	}
	for (int k = 1; k < SDE_N; k++) {
		int r = f_reg(lib, sde_short[k], PAPI_SDE_RO | PAPI_SDE_INSTANT, PAPI_SDE_long_long, cbs[k], NULL);
		if (r != SDE_OK) {
			sfmt(g_sde_err, sizeof(g_sde_err), "papi_sde_register_counter_cb(%s) failed (%d)", sde_short[k],
			     r);
			return;
		}
		if (f_descr)
			f_descr(lib, sde_short[k], sde_descr[k]);
	}
	g_sde_ok = 1;
}

/* ------------------------------------------------------------------ */
/* PAPI initialisation                                                 */
/* ------------------------------------------------------------------ */

static unsigned long sb_papi_thread_id(void)
{
	return (unsigned long)pthread_self();
}

/*
 * Once per process.  SPINBENCH_PAPI_DISABLE=comp1,comp2 disables those PAPI
 * components before PAPI_library_init (e.g. perf_event: shows the no-PMU
 * path, with NA and the reason, on a machine that has a PMU; the tests use it).
 */
static void papi_init(void)
{
	if (g_papi_tried)
		return;
	g_papi_tried = 1;

	void *h = sde_load();

	const char *dis = getenv("SPINBENCH_PAPI_DISABLE");
	if (dis && *dis) {
		char buf[256];
		sfmt(buf, sizeof(buf), "%s", dis);
		for (char *save = NULL, *c = strtok_r(buf, ",", &save); c; c = strtok_r(NULL, ",", &save))
			PAPI_disable_component_by_name(c);
	}

	int r = PAPI_library_init(PAPI_VER_CURRENT);
	if (r != PAPI_VER_CURRENT) {
		sfmt(g_papi_err, sizeof(g_papi_err), "PAPI_library_init failed: %s",
		     r > 0 ? "header/library version mismatch" : PAPI_strerror(r));
		return;
	}
	r = PAPI_thread_init(sb_papi_thread_id);
	if (r != PAPI_OK) {
		sfmt(g_papi_err, sizeof(g_papi_err), "PAPI_thread_init failed: %s", PAPI_strerror(r));
		return;
	}
	g_papi_ok = 1;
	g_papi_main = pthread_self();

	if (h)
		sde_register(h);
	if (g_sde_ok) {
		int cidx = PAPI_get_component_index("sde");
		const PAPI_component_info_t *ci = cidx >= 0 ? PAPI_get_component_info(cidx) : NULL;
		if (!ci) {
			g_sde_ok = 0;
			sfmt(g_sde_err, sizeof(g_sde_err), "this PAPI has no sde component");
		} else if (ci->disabled) {
			g_sde_ok = 0;
			sfmt(g_sde_err, sizeof(g_sde_err), "PAPI component sde is disabled: %.200s",
			     ci->disabled_reason);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Reasons                                                             */
/* ------------------------------------------------------------------ */

/* ", and the kernel exposes no CPU PMU (...)" when /sys lists none, else "". */
static void pmu_hint(char *buf, size_t len)
{
	DIR *d = opendir("/sys/bus/event_source/devices");
	char list[160] = "";
	size_t used = 0;
	int core = 0;
	buf[0] = '\0';
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		if (!strncmp(e->d_name, "cpu", 3) || !strncmp(e->d_name, "armv", 4) || !strncmp(e->d_name, "arm_", 4) ||
		    !strncmp(e->d_name, "power", 5))
			core = 1;
		int k = snprintf(list + used, sizeof(list) - used, "%s%s", used ? " " : "", e->d_name);
		if (k > 0 && (size_t)k < sizeof(list) - used)
			used += (size_t)k;
	}
	closedir(d);
	if (!core)
		sfmt(buf, len,
		     "; the kernel exposes no CPU PMU (/sys/bus/event_source/devices: %s), as in a VM "
		     "without a virtual PMU",
		     list);
}

static void comp_disabled_reason(int cidx, char *buf, size_t len)
{
	const PAPI_component_info_t *ci = cidx >= 0 ? PAPI_get_component_info(cidx) : NULL;
	buf[0] = '\0';
	if (ci && ci->disabled && ci->disabled != PAPI_EDELAY_INIT)
		sfmt(buf, len, "PAPI component %.40s is disabled: %.200s", ci->name,
		     ci->disabled_reason[0] ? ci->disabled_reason : "no reason given");
}

/* Reason for a hardware/native event that failed with PAPI error r. */
static void hw_reason(ctr_t *c, const char *what, int r)
{
	char dis[260], hint[240] = "";
	comp_disabled_reason(c->cidx, dis, sizeof(dis));
	if (dis[0]) {
		sfmt(c->reason, sizeof(c->reason), "%s", dis);
		return;
	}
	const PAPI_component_info_t *ci = c->cidx >= 0 ? PAPI_get_component_info(c->cidx) : NULL;
	if (ci && !strcmp(ci->name, "perf_event"))
		pmu_hint(hint, sizeof(hint));
	sfmt(c->reason, sizeof(c->reason), "%s: %s%s", what, PAPI_strerror(r), hint);
}

/* ------------------------------------------------------------------ */
/* Parsing and checking                                                */
/* ------------------------------------------------------------------ */

static void make_stem(const char *in, char *out, size_t len)
{
	size_t j = 0;
	int conv = 0; /* the last character written is a '_' that stands for other characters */
	for (const char *p = in; *p && j + 1 < len; p++) {
		char ch = *p;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_') {
			out[j++] = ch;
			conv = 0;
		} else if (!conv && j > 0) {
			out[j++] = '_';
			conv = 1;
		}
	}
	if (conv)
		j--;
	out[j] = '\0';
}

/* Which of our software events `name` is (short or full form), or SDE_NONE. */
static int sde_kind(const char *name)
{
	static const char pre[] = "sde:::" SDE_LIB "::";
	const char *s = name;
	if (!strncmp(name, pre, sizeof(pre) - 1))
		s = name + sizeof(pre) - 1;
	for (int k = 1; k < SDE_N; k++)
		if (!strcmp(s, sde_short[k]))
			return k;
	return SDE_NONE;
}

/* Any disabled CPU-counter component (a native name we cannot resolve may
 * belong to it).  Writes its reason; returns 1 if there is one. */
static int cpu_comp_disabled(char *buf, size_t len)
{
	static const char *const cpu_comps[] = {"perf_event", "perf_event_uncore"};
	for (size_t i = 0; i < sizeof(cpu_comps) / sizeof(cpu_comps[0]); i++) {
		comp_disabled_reason(PAPI_get_component_index(cpu_comps[i]), buf, len);
		if (buf[0])
			return 1;
	}
	return 0;
}

/* Resolve one name into c.  Returns -1 if it is no PAPI event at all. */
static int resolve(ctr_t *c, const char *name)
{
	memset(c, 0, sizeof(*c));
	c->cidx = -1;
	c->sde = sde_kind(name);
	if (c->sde) {
		sfmt(c->stem, sizeof(c->stem), "%s", sde_short[c->sde]);
		sfmt(c->event, sizeof(c->event), "sde:::%s::%s", SDE_LIB, sde_short[c->sde]);
	} else {
		make_stem(name, c->stem, sizeof(c->stem));
		sfmt(c->event, sizeof(c->event), "%s", name);
		if (!strncmp(name, "sde:::", 6))
			return -1; /* another library's SDE, or a typo: libsde would make a placeholder */
	}
	if (!g_papi_ok) {
		sfmt(c->reason, sizeof(c->reason), "%s", g_papi_err);
		return 0;
	}
	if (c->sde && !g_sde_ok) {
		sfmt(c->reason, sizeof(c->reason), "%s", g_sde_err);
		return 0;
	}
	char ev[sizeof(c->event)];
	sfmt(ev, sizeof(ev), "%s", c->event); /* PAPI wants a char * */
	int r = PAPI_event_name_to_code(ev, &c->code);
	if (r != PAPI_OK) {
		char dis[300];
		if (c->sde) {
			sfmt(c->reason, sizeof(c->reason), "PAPI_event_name_to_code: %s", PAPI_strerror(r));
			return 0;
		}
		/* A native name of a component that is disabled cannot be resolved:
		 * keep it (NA) rather than call it unknown. */
		if (strstr(name, "::") && strncmp(name, "PAPI_", 5) && cpu_comp_disabled(dis, sizeof(dis))) {
			sfmt(c->reason, sizeof(c->reason), "cannot be checked: %s", dis);
			return 0;
		}
		return -1;
	}
	c->code_ok = 1;
	c->cidx = PAPI_get_event_component(c->code);
	if (!c->sde && c->cidx == PAPI_get_component_index("sde"))
		return -1; /* e.g. a bare name that matched another library's SDE */
	return 0;
}

/* Try every resolved event in probe event sets of the calling thread,
 * cumulatively per component; mark available or set the reason. */
static void probe_all(void)
{
	int done[SB_CTR_MAX] = {0};
	for (int i = 0; i < g_n; i++) {
		if (done[i] || !g_ctr[i].code_ok)
			continue;
		int cidx = g_ctr[i].cidx;
		int es = PAPI_NULL;
		int r = PAPI_create_eventset(&es);
		if (r != PAPI_OK) {
			for (int j = i; j < g_n; j++)
				if (!done[j] && g_ctr[j].code_ok && g_ctr[j].cidx == cidx) {
					done[j] = 1;
					hw_reason(&g_ctr[j], "PAPI_create_eventset", r);
				}
			continue;
		}
		int in_set = 0;
		for (int j = i; j < g_n; j++) {
			ctr_t *c = &g_ctr[j];
			if (done[j] || !c->code_ok || c->cidx != cidx)
				continue;
			done[j] = 1;
			if (!c->sde && PAPI_query_event(c->code) != PAPI_OK) {
				char dis[260];
				comp_disabled_reason(c->cidx, dis, sizeof(dis));
				if (dis[0])
					sfmt(c->reason, sizeof(c->reason), "%s", dis);
				else
					hw_reason(c,
						  "PAPI has no mapping of it to this CPU's events (PAPI_query_event)",
						  PAPI_query_event(c->code));
				continue;
			}
			r = PAPI_add_event(es, c->code);
			if (r != PAPI_OK) {
				hw_reason(c, in_set ? "PAPI_add_event (with the events before it)" : "PAPI_add_event",
					  r);
				continue;
			}
			long long vals[SB_CTR_MAX];
			r = PAPI_start(es);
			if (r == PAPI_OK)
				r = PAPI_stop(es, vals);
			if (r != PAPI_OK) {
				hw_reason(c, in_set ? "PAPI_start (with the events before it)" : "PAPI_start", r);
				PAPI_remove_event(es, c->code);
				continue;
			}
			c->available = 1;
			in_set++;
		}
		PAPI_cleanup_eventset(es);
		PAPI_destroy_eventset(&es);
	}
	for (int i = 0; i < g_n; i++)
		if (!g_ctr[i].available && !g_ctr[i].reason[0])
			sfmt(g_ctr[i].reason, sizeof(g_ctr[i].reason), "not countable (no reason from PAPI)");
}

/* Append name to the list unless already there.  0, or -1 (usage error in err). */
static int add_name(const char *name, char *err, size_t errlen)
{
	ctr_t c;
	if (resolve(&c, name) < 0) {
		sfmt(err, errlen, "--counters: unknown event '%s'", name);
		return -1;
	}
	for (int i = 0; i < g_n; i++) {
		if (!strcmp(g_ctr[i].event, c.event))
			return 0; /* given twice: once is enough */
		if (!strcmp(g_ctr[i].stem, c.stem)) {
			sfmt(err, errlen, "--counters: events '%s' and '%s' would share the column '%s'",
			     g_ctr[i].event, c.event, c.stem);
			return -1;
		}
	}
	if (!c.stem[0]) {
		sfmt(err, errlen, "--counters: unknown event '%s'", name);
		return -1;
	}
	if (g_n == SB_CTR_MAX) {
		sfmt(err, errlen, "--counters: more than %d events", SB_CTR_MAX);
		return -1;
	}
	g_ctr[g_n++] = c;
	return 0;
}

static const char *const default_hw[] = {"PAPI_L1_DCM", "PAPI_L2_DCM", "PAPI_L3_TCM", "PAPI_TOT_CYC", "PAPI_TOT_INS"};

/* Is a preset countable in the calling thread (alone)? */
static int preset_countable(const char *name)
{
	int code, es = PAPI_NULL, ok = 0;
	char ev[32];
	long long v;
	sfmt(ev, sizeof(ev), "%s", name);
	if (!g_papi_ok || PAPI_event_name_to_code(ev, &code) != PAPI_OK || PAPI_query_event(code) != PAPI_OK)
		return 0;
	if (PAPI_create_eventset(&es) != PAPI_OK)
		return 0;
	if (PAPI_add_event(es, code) == PAPI_OK && PAPI_start(es) == PAPI_OK) {
		ok = 1;
		PAPI_stop(es, &v);
	}
	PAPI_cleanup_eventset(es);
	PAPI_destroy_eventset(&es);
	return ok;
}

static int add_default(char *err, size_t errlen)
{
	for (size_t k = 0; k < sizeof(default_hw) / sizeof(default_hw[0]); k++) {
		const char *n = default_hw[k];
		if (!strcmp(n, "PAPI_L2_DCM") && !preset_countable("PAPI_L2_DCM") && preset_countable("PAPI_L2_TCM"))
			n = "PAPI_L2_TCM";
		if (add_name(n, err, errlen) < 0)
			return -1;
	}
	for (int k = 1; k < SDE_N; k++)
		if (add_name(sde_short[k], err, errlen) < 0)
			return -1;
	return 0;
}

static void trim(char **s)
{
	char *b = *s, *e;
	while (*b == ' ' || *b == '\t')
		b++;
	e = b + strlen(b);
	while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n'))
		*--e = '\0';
	*s = b;
}

int sb_counters_setup(const char *spec, char *err, size_t errlen)
{
	char buf[1024];
	if (errlen)
		err[0] = '\0';
	g_n = 0;
	if (!spec) {
		sfmt(err, errlen, "--counters: missing value");
		return -1;
	}
	if (strlen(spec) >= sizeof(buf)) {
		sfmt(err, errlen, "--counters: value too long (%zu characters)", strlen(spec));
		return -1;
	}
	sfmt(buf, sizeof(buf), "%s", spec);
	char *all = buf;
	trim(&all);
	if (!strcmp(all, "none"))
		return 0;
	papi_init();

	char *p = all;
	for (;;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		char *item = p;
		trim(&item);
		if (!*item) {
			sfmt(err, errlen, "--counters: empty item in '%s'", spec);
			goto fail;
		}
		if (strlen(item) > NAME_MAX_LEN) {
			sfmt(err, errlen, "--counters: event name too long: '%.40s...'", item);
			goto fail;
		}
		if (!strcmp(item, "none")) {
			sfmt(err, errlen, "--counters: 'none' cannot be combined with other events in '%s'", spec);
			goto fail;
		}
		if (!strcmp(item, "default") ? add_default(err, errlen) : add_name(item, err, errlen))
			goto fail;
		if (!comma)
			break;
		p = comma + 1;
	}
	if (g_papi_ok)
		probe_all();

	/* Warning line: unavailable counters grouped by reason. */
	int nbad = 0, used[SB_CTR_MAX] = {0};
	size_t off = 0;
	for (int i = 0; i < g_n; i++)
		if (!g_ctr[i].available)
			nbad++;
	if (!nbad)
		return 0;
	off = (size_t)snprintf(err, errlen, "--counters: not countable on this machine, written as NA:");
	for (int i = 0; i < g_n && off < errlen; i++) {
		if (g_ctr[i].available || used[i])
			continue;
		int first = 1;
		for (int j = i; j < g_n && off < errlen; j++) {
			if (g_ctr[j].available || used[j] || strcmp(g_ctr[j].reason, g_ctr[i].reason))
				continue;
			used[j] = 1;
			off += (size_t)snprintf(err + off, errlen - off, "%s%s", first ? " " : ", ", g_ctr[j].stem);
			first = 0;
		}
		if (off < errlen)
			off += (size_t)snprintf(err + off, errlen - off, " (%s);", g_ctr[i].reason);
	}
	if (off < errlen && err[off - 1] == ';')
		err[off - 1] = '\0';
	return nbad;
fail:
	g_n = 0;
	return -1;
}

int sb_counters_n(void)
{
	return g_n;
}

const char *sb_counter_name(int i)
{
	return i >= 0 && i < g_n ? g_ctr[i].stem : NULL;
}

const char *sb_counter_event(int i)
{
	return i >= 0 && i < g_n ? g_ctr[i].event : NULL;
}

int sb_counters_handoffs(void)
{
	for (int i = 0; i < g_n; i++)
		if (strcmp(g_ctr[i].event, "sde:::spinbench::handoffs") == 0)
			return i;
	return -1;
}

const char *sb_counter_column(int i, char *buf, size_t len)
{
	const char *ev = sb_counter_event(i);
	snprintf(buf, len, "%s%s", ev && strncmp(ev, "sde:::", 6) == 0 ? "sde_" : "", sb_counter_name(i));
	return buf;
}

int sb_counter_available(int i)
{
	return i >= 0 && i < g_n ? g_ctr[i].available : 0;
}

const char *sb_counter_reason(int i)
{
	return i >= 0 && i < g_n ? (g_ctr[i].available ? "" : g_ctr[i].reason) : "";
}

/* ------------------------------------------------------------------ */
/* Listing and meta.json                                               */
/* ------------------------------------------------------------------ */

void sb_counters_json(FILE *f)
{
	fputc('[', f);
	for (int i = 0; i < g_n; i++) {
		fputs(i ? ", {\"name\": " : "{\"name\": ", f);
		sb_json_str(f, g_ctr[i].stem);
		fputs(", \"event\": ", f);
		sb_json_str(f, g_ctr[i].event);
		fprintf(f, ", \"available\": %s, \"reason\": ", g_ctr[i].available ? "true" : "false");
		sb_json_str(f, g_ctr[i].available ? "" : g_ctr[i].reason);
		fputc('}', f);
	}
	fputc(']', f);
}

static void list_line(FILE *f, const ctr_t *c, const char *descr)
{
	if (c->available)
		fprintf(f, "  %-24s yes  %s\n", c->stem, descr);
	else
		fprintf(f, "  %-24s no   %s: %s\n", c->stem, descr, c->reason);
}

void sb_counters_list(FILE *f)
{
	/* Work on a copy of the current list: run the checks on the default set
	 * and every other preset, then put the list back. */
	ctr_t saved[SB_CTR_MAX];
	int saved_n = g_n;
	char err[1024];
	memcpy(saved, g_ctr, sizeof(saved));

	papi_init();
	fprintf(f, "PAPI %d.%d.%d%s%s\n", PAPI_VERSION_MAJOR(PAPI_VERSION), PAPI_VERSION_MINOR(PAPI_VERSION),
		PAPI_VERSION_REVISION(PAPI_VERSION), g_papi_ok ? "" : ": ", g_papi_ok ? "" : g_papi_err);

	g_n = 0;
	if (sb_counters_setup("default", err, sizeof(err)) >= 0) {
		fprintf(f, "\n--counters=default (per acquisition in the CSVs, NA where not countable):\n");
		for (int i = 0; i < g_n; i++) {
			char descr[PAPI_MAX_STR_LEN] = "";
			if (g_ctr[i].sde)
				sfmt(descr, sizeof(descr), "%s", sde_descr[g_ctr[i].sde]);
			else if (g_ctr[i].code_ok) {
				PAPI_event_info_t info;
				if (PAPI_get_event_info(g_ctr[i].code, &info) == PAPI_OK)
					sfmt(descr, sizeof(descr), "%.127s", info.long_descr);
			}
			list_line(f, &g_ctr[i], descr);
		}
	}

	if (g_papi_ok) {
		/* Every other preset PAPI maps on this CPU, each really added and started. */
		int code = PAPI_PRESET_MASK, shown = 0;
		if (PAPI_enum_event(&code, PAPI_ENUM_FIRST) == PAPI_OK) {
			do {
				PAPI_event_info_t info;
				if (PAPI_get_event_info(code, &info) != PAPI_OK || info.count == 0)
					continue;
				int dflt = 0;
				for (size_t k = 0; k < sizeof(default_hw) / sizeof(default_hw[0]); k++)
					dflt |= !strcmp(info.symbol, default_hw[k]);
				if (dflt || !strcmp(info.symbol, "PAPI_L2_TCM"))
					continue;
				if (!shown++)
					fprintf(f, "\nother PAPI presets mapped on this CPU (--counters=NAME):\n");
				g_n = 0;
				if (add_name(info.symbol, err, sizeof(err)) == 0 && g_n == 1) {
					probe_all();
					list_line(f, &g_ctr[0], info.long_descr);
				}
			} while (PAPI_enum_event(&code, PAPI_PRESET_ENUM_AVAIL) == PAPI_OK);
		}
		if (!shown)
			fprintf(f, "\nno other PAPI preset is mapped on this CPU\n");

		fprintf(f, "\nPAPI components:\n");
		for (int i = 0; i < PAPI_num_components(); i++) {
			const PAPI_component_info_t *ci = PAPI_get_component_info(i);
			if (!ci)
				continue;
			if (ci->disabled && ci->disabled != PAPI_EDELAY_INIT)
				fprintf(f, "  %-20s disabled: %s\n", ci->name, ci->disabled_reason);
			else
				fprintf(f, "  %-20s %s\n", ci->name, ci->description);
		}
		fprintf(f,
			"\nNative event names (papi_native_avail) are accepted too, e.g. --counters=perf::TASK-CLOCK.\n");
	}
	g_n = saved_n;
	memcpy(g_ctr, saved, sizeof(saved));
}

/* ------------------------------------------------------------------ */
/* Per thread                                                          */
/* ------------------------------------------------------------------ */

struct sb_ctr_thread {
	int registered;
	int nsets;
	struct ctr_set {
		int es;
		int n;
		int idx[SB_CTR_MAX]; /* counter index of each event, in add order */
	} set[SB_CTR_MAX];
	long long buf[SB_CTR_MAX];
};

static void thread_teardown(sb_ctr_thread_t *t)
{
	for (int s = 0; s < t->nsets; s++) {
		PAPI_cleanup_eventset(t->set[s].es);
		PAPI_destroy_eventset(&t->set[s].es);
	}
	t->nsets = 0;
	if (t->registered)
		PAPI_unregister_thread();
	t->registered = 0;
}

sb_ctr_thread_t *sb_counters_thread_init(char *err, size_t errlen)
{
	sb_ctr_thread_t *t = calloc(1, sizeof(*t));
	int any = 0, r;
	if (errlen)
		err[0] = '\0';
	if (!t) {
		sfmt(err, errlen, "counters: out of memory");
		return NULL;
	}
	for (int i = 0; i < g_n; i++)
		any |= g_ctr[i].available;
	if (!any || !g_papi_ok)
		return t;
	r = PAPI_register_thread();
	if (r != PAPI_OK) {
		sfmt(err, errlen, "counters: PAPI_register_thread: %s", PAPI_strerror(r));
		free(t);
		return NULL;
	}
	t->registered = !pthread_equal(pthread_self(), g_papi_main);
	/* The software events' set first: it is started first and stopped last,
	 * so the hardware counts do not include the SDE set's start/stop. */
	int sde_cidx = PAPI_get_component_index("sde");
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < g_n; i++) {
			const ctr_t *c = &g_ctr[i];
			if (!c->available || (pass == 0) != (c->cidx == sde_cidx))
				continue;
			struct ctr_set *s = NULL;
			for (int k = 0; k < t->nsets; k++)
				if (g_ctr[t->set[k].idx[0]].cidx == c->cidx)
					s = &t->set[k];
			if (!s) {
				s = &t->set[t->nsets];
				s->es = PAPI_NULL;
				r = PAPI_create_eventset(&s->es);
				if (r != PAPI_OK) {
					sfmt(err, errlen, "counters: PAPI_create_eventset: %s", PAPI_strerror(r));
					goto fail;
				}
				t->nsets++;
			}
			r = PAPI_add_event(s->es, c->code);
			if (r != PAPI_OK) {
				sfmt(err, errlen, "counters: PAPI_add_event(%s) in a worker: %s", c->event,
				     PAPI_strerror(r));
				goto fail;
			}
			s->idx[s->n++] = i;
		}
	return t;
fail:
	thread_teardown(t);
	free(t);
	return NULL;
}

int sb_counters_start(sb_ctr_thread_t *t)
{
	spins_at_start = atomic_load_explicit(&sb_spins, memory_order_relaxed);
	sb_sde_acquisitions = 0;
	sb_sde_handoffs = 0;
	if (!t)
		return -1;
	for (int s = 0; s < t->nsets; s++) {
		int r = PAPI_start(t->set[s].es);
		if (r != PAPI_OK) {
			for (int k = 0; k < s; k++)
				PAPI_stop(t->set[k].es, t->buf);
			return -1;
		}
	}
	return 0;
}

int sb_counters_stop(sb_ctr_thread_t *t, long long *v)
{
	int rc = 0;
	for (int i = 0; i < g_n; i++)
		v[i] = -1;
	if (!t)
		return -1;
	/* Stop in reverse order of start: the hardware set stops first. */
	for (int s = t->nsets - 1; s >= 0; s--) {
		struct ctr_set *cs = &t->set[s];
		int r = PAPI_stop(cs->es, t->buf);
		if (r != PAPI_OK) {
			rc = -1;
			continue;
		}
		for (int k = 0; k < cs->n; k++)
			v[cs->idx[k]] = t->buf[k] < 0 ? -1 : t->buf[k];
	}
	if (rc)
		for (int i = 0; i < g_n; i++)
			v[i] = -1;
	return rc;
}

void sb_counters_thread_fini(sb_ctr_thread_t *t)
{
	if (!t)
		return;
	thread_teardown(t);
	free(t);
}
