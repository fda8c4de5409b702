/*
 * workload.c - workload parameters, preset files, delay calibration and the
 * think-time tables; see workload.h.
 */
#include "workload.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "ds.h"
#include "parse.h"

/* ---------------------------------------------------------------- defaults */

void sb_workload_default(sb_workload_t *w)
{
	memset(w, 0, sizeof *w);
	snprintf(w->name, sizeof w->name, "max-contention");
	w->preset[0] = '\0';
	snprintf(w->purpose, sizeof w->purpose,
		 "empty critical section (only the checker's read-modify-write of one shared line), no think time: "
		 "the lock's own handoff cost under maximum contention");
	w->cs_ns = 0;
	w->think_kind = SB_THINK_FIXED;
	w->think_a_ns = w->think_b_ns = 0;
	w->cs_lines = 0;
	w->colocated = 0;
	w->nlocks = 1;
	w->read_ratio = 0;
	w->writers = -1;
	w->hold_limit_ns = SB_WORKLOAD_DEFAULT_HOLD_LIMIT_NS;
	w->ds = SB_DS_NONE;
	w->ds_lookup_pct = 80;
	w->ds_insert_pct = 10;
	w->ds_delete_pct = 10;
	w->ds_keys = SB_WORKLOAD_DEFAULT_DS_KEYS;
}

/* ---------------------------------------------------------------- option values */

/* cs/think time: "0" or a duration with unit, at most SB_WORKLOAD_MAX_TIME_NS. */
static int parse_wtime(const char *s, uint64_t *ns, int allow_zero)
{
	uint64_t v;

	if (allow_zero && s && strcmp(s, "0") == 0)
		v = 0;
	else if (sb_parse_time_ns(s, &v, allow_zero) != 0)
		return -1;
	if (v > SB_WORKLOAD_MAX_TIME_NS)
		return -1;
	*ns = v;
	return 0;
}

static int parse_int_range(const char *s, long lo, long hi, int *out)
{
	uint64_t v;

	if (sb_parse_u64(s, &v) != 0 || v < (uint64_t)lo || v > (uint64_t)hi)
		return -1;
	*out = (int)v;
	return 0;
}

/* think value: TIME | fixed:TIME | uniform:A-B | exp:MEAN. */
static int parse_think(const char *s, sb_think_kind_t *kind, uint64_t *a, uint64_t *b)
{
	if (strncmp(s, "fixed:", 6) == 0) {
		s += 6;
	} else if (strncmp(s, "uniform:", 8) == 0) {
		char lo[64];
		const char *dash = strchr(s + 8, '-');
		size_t n;
		uint64_t va, vb;

		if (!dash)
			return -1;
		n = (size_t)(dash - (s + 8));
		if (n >= sizeof lo)
			return -1;
		memcpy(lo, s + 8, n);
		lo[n] = '\0';
		if (parse_wtime(lo, &va, 1) != 0 || parse_wtime(dash + 1, &vb, 1) != 0 || va > vb)
			return -1;
		*kind = SB_THINK_UNIFORM;
		*a = va;
		*b = vb;
		return 0;
	} else if (strncmp(s, "exp:", 4) == 0) {
		uint64_t m;
		if (parse_wtime(s + 4, &m, 0) != 0)
			return -1;
		*kind = SB_THINK_EXP;
		*a = m;
		*b = 0;
		return 0;
	}
	uint64_t v;
	if (parse_wtime(s, &v, 1) != 0)
		return -1;
	*kind = SB_THINK_FIXED;
	*a = v;
	*b = 0;
	return 0;
}

static int parse_mix(const char *s, int pct[3])
{
	char buf[32];
	char *parts[3], *p;
	size_t n = strlen(s);
	int v[3];

	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n + 1);
	parts[0] = buf;
	for (int i = 1; i < 3; i++) {
		p = strchr(parts[i - 1], '/');
		if (!p)
			return -1;
		*p = '\0';
		parts[i] = p + 1;
	}
	if (strchr(parts[2], '/'))
		return -1;
	for (int i = 0; i < 3; i++)
		if (parse_int_range(parts[i], 0, 100, &v[i]) != 0)
			return -1;
	if (v[0] + v[1] + v[2] != 100)
		return -1;
	memcpy(pct, v, sizeof v);
	return 0;
}

static const char *const ds_names[] = {"none", "hashtable", "list"};

enum {
	K_CS,
	K_THINK,
	K_CS_LINES,
	K_DATA,
	K_LOCKS,
	K_READ_RATIO,
	K_WRITERS,
	K_HOLD_LIMIT,
	K_DS,
	K_DS_MIX,
	K_DS_KEYS,
	K_NKEYS
};

static const struct {
	const char *name;
	const char *hint;
} keys[K_NKEYS] = {
	[K_CS] = {"cs", "a time with unit, e.g. 0, 100ns, 5us; at most 1s"},
	[K_THINK] = {"think", "TIME, fixed:TIME, uniform:A-B with A <= B, or exp:MEAN with MEAN > 0; times like "
			      "500ns, at most 1s"},
	[K_CS_LINES] = {"cs-lines", "an integer 0..4096"},
	[K_DATA] = {"data", "separate or colocated"},
	[K_LOCKS] = {"locks", "an integer 1..4096"},
	[K_READ_RATIO] = {"read-ratio", "a number in [0,1]"},
	[K_WRITERS] = {"writers", "an integer 0..4096"},
	[K_HOLD_LIMIT] = {"hold-limit", "a time with unit greater than 0, e.g. 25us"},
	[K_DS] = {"ds", "none, hashtable or list"},
	[K_DS_MIX] = {"ds-mix", "LOOKUP/INSERT/DELETE percentages summing to 100, e.g. 80/10/10"},
	[K_DS_KEYS] = {"ds-keys", "an integer 1..16777216"},
};

static int key_index(const char *opt)
{
	for (int i = 0; i < K_NKEYS; i++)
		if (strcmp(opt, keys[i].name) == 0)
			return i;
	return -1;
}

/* Apply option k; on error *w is untouched. */
static int apply(sb_workload_t *w, int k, const char *val)
{
	sb_workload_t n = *w;
	double d;
	int pct[3];

	if (!val)
		return -1;
	switch (k) {
	case K_CS:
		if (parse_wtime(val, &n.cs_ns, 1) != 0)
			return -1;
		break;
	case K_THINK:
		if (parse_think(val, &n.think_kind, &n.think_a_ns, &n.think_b_ns) != 0)
			return -1;
		break;
	case K_CS_LINES:
		if (parse_int_range(val, 0, SB_WORKLOAD_MAX_LINES, &n.cs_lines) != 0)
			return -1;
		break;
	case K_DATA:
		if (strcmp(val, "separate") == 0)
			n.colocated = 0;
		else if (strcmp(val, "colocated") == 0)
			n.colocated = 1;
		else
			return -1;
		break;
	case K_LOCKS:
		if (parse_int_range(val, 1, SB_WORKLOAD_MAX_LOCKS, &n.nlocks) != 0)
			return -1;
		break;
	case K_READ_RATIO:
		if (sb_parse_double(val, &d) != 0 || !(d >= 0 && d <= 1))
			return -1;
		n.read_ratio = d == 0 ? 0 : d; /* no -0 */
		n.writers = -1;
		break;
	case K_WRITERS:
		if (parse_int_range(val, 0, SB_MAX_THREADS, &n.writers) != 0)
			return -1;
		n.read_ratio = -1;
		break;
	case K_HOLD_LIMIT:
		if (sb_parse_time_ns(val, &n.hold_limit_ns, 0) != 0)
			return -1;
		break;
	case K_DS: {
		int found = -1;
		for (int i = 0; i < 3; i++)
			if (strcmp(val, ds_names[i]) == 0)
				found = i;
		if (found < 0)
			return -1;
		n.ds = (sb_ds_kind_t)found;
		break;
	}
	case K_DS_MIX:
		if (parse_mix(val, pct) != 0)
			return -1;
		n.ds_lookup_pct = pct[0];
		n.ds_insert_pct = pct[1];
		n.ds_delete_pct = pct[2];
		break;
	case K_DS_KEYS: {
		int v;
		if (parse_int_range(val, 1, SB_DS_MAX_KEYS, &v) != 0)
			return -1;
		n.ds_keys = (uint32_t)v;
		break;
	}
	default:
		return -1;
	}
	*w = n;
	return 0;
}

int sb_workload_set(sb_workload_t *w, const char *opt, const char *val, char *err, size_t errlen)
{
	int k = opt ? key_index(opt) : -1;

	if (k < 0) {
		sb_seterr(err, errlen, "--%s: unknown workload option", opt ? opt : "(null)");
		return -1;
	}
	if (apply(w, k, val) != 0) {
		sb_seterr(err, errlen, "--%s: invalid value '%s' (%s)", opt, val ? val : "", keys[k].hint);
		return -1;
	}
	w->overridden = 1;
	if (w->preset[0])
		snprintf(w->name, sizeof w->name, "%s+overrides", w->preset);
	else
		snprintf(w->name, sizeof w->name, "custom");
	return 0;
}

/* ---------------------------------------------------------------- presets */

static int valid_preset_name(const char *s, size_t n)
{
	if (n == 0 || n >= SB_WORKLOAD_PRESET_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

int sb_workload_names(const char *dir, char names[][SB_WORKLOAD_PRESET_MAX], int cap)
{
	enum { MAXN = 512 };
	char(*all)[SB_WORKLOAD_PRESET_MAX] = malloc(MAXN * sizeof *all);
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d || !all) {
		if (d)
			closedir(d);
		free(all);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len <= 5 || strcmp(e->d_name + len - 5, ".conf") != 0)
			continue;
		if (!valid_preset_name(e->d_name, len - 5) || n >= MAXN)
			continue;
		memcpy(all[n], e->d_name, len - 5);
		all[n][len - 5] = '\0';
		n++;
	}
	closedir(d);
	qsort(all, (size_t)n, sizeof all[0], cmp_names);
	for (int i = 0; i < n && i < cap; i++)
		memcpy(names[i], all[i], sizeof all[i]);
	free(all);
	return n;
}

/* Trim leading and trailing blanks in place. */
static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
		*--end = '\0';
	return s;
}

static void unknown_preset(const char *dir, const char *name, char *err, size_t errlen)
{
	char names[64][SB_WORKLOAD_PRESET_MAX];
	char list[1024];
	size_t used = 0;
	int n = sb_workload_names(dir, names, 64);

	list[0] = '\0';
	for (int i = 0; i < n && i < 64; i++) {
		int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
		if (w < 0 || (size_t)w >= sizeof list - used)
			break;
		used += (size_t)w;
	}
	if (n < 0)
		sb_seterr(err, errlen, "--workload: unknown preset '%s' (cannot read %s)", name, dir);
	else
		sb_seterr(err, errlen, "--workload: unknown preset '%s' (valid: %s)", name, n ? list : "none found");
}

int sb_workload_load(sb_workload_t *w, const char *dir, const char *name, char *err, size_t errlen)
{
	char path[4096], line[1024];
	FILE *f;
	int lineno = 0, seen[K_NKEYS + 1] = {0};

	if (!name || !valid_preset_name(name, strlen(name))) {
		sb_seterr(err, errlen, "--workload: invalid preset name '%s' ([a-z0-9-], 1..47 chars)",
			  name ? name : "");
		return -1;
	}
	if ((size_t)snprintf(path, sizeof path, "%s/%s.conf", dir, name) >= sizeof path) {
		sb_seterr(err, errlen, "--workload: preset path too long");
		return -1;
	}
	f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT)
			unknown_preset(dir, name, err, errlen);
		else
			sb_seterr(err, errlen, "--workload: %s: %s", path, strerror(errno));
		return -1;
	}
	sb_workload_default(w);
	w->purpose[0] = '\0';
	while (fgets(line, sizeof line, f)) {
		char *s, *eq, *key, *val, *hash;
		int k;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			sb_seterr(err, errlen, "--workload: %s:%d: line longer than %zu characters", path, lineno,
				  sizeof line - 2);
			goto fail;
		}
		s = trim(line);
		if (*s == '#' || *s == '\0')
			continue;
		/* A comment after the value starts at a '#' that follows a blank. */
		for (hash = s + 1; (hash = strchr(hash, '#')) != NULL; hash++) {
			if (hash[-1] == ' ' || hash[-1] == '\t') {
				*hash = '\0';
				break;
			}
		}
		eq = strchr(s, '=');
		if (!eq) {
			sb_seterr(err, errlen, "--workload: %s:%d: expected 'key = value', got '%s'", path, lineno, s);
			goto fail;
		}
		*eq = '\0';
		key = trim(s);
		val = trim(eq + 1);
		if (!*key) {
			sb_seterr(err, errlen, "--workload: %s:%d: missing key before '='", path, lineno);
			goto fail;
		}
		if (!*val) {
			sb_seterr(err, errlen, "--workload: %s:%d: %s: empty value", path, lineno, key);
			goto fail;
		}
		if (strcmp(key, "purpose") == 0) {
			k = K_NKEYS;
		} else {
			k = key_index(key);
			if (k < 0) {
				sb_seterr(err, errlen, "--workload: %s:%d: unknown key '%s'", path, lineno, key);
				goto fail;
			}
		}
		if (seen[k]++) {
			sb_seterr(err, errlen, "--workload: %s:%d: %s given twice", path, lineno, key);
			goto fail;
		}
		if (k == K_NKEYS) {
			if (strlen(val) >= sizeof w->purpose) {
				sb_seterr(err, errlen, "--workload: %s:%d: purpose longer than %zu characters", path,
					  lineno, sizeof w->purpose - 1);
				goto fail;
			}
			snprintf(w->purpose, sizeof w->purpose, "%s", val);
		} else if (apply(w, k, val) != 0) {
			sb_seterr(err, errlen, "--workload: %s:%d: %s: invalid value '%s' (%s)", path, lineno, key, val,
				  keys[k].hint);
			goto fail;
		}
	}
	if (ferror(f)) {
		sb_seterr(err, errlen, "--workload: %s: read error", path);
		goto fail;
	}
	fclose(f);
	snprintf(w->name, sizeof w->name, "%s", name);
	snprintf(w->preset, sizeof w->preset, "%s", name);
	w->overridden = 0;
	return 0;
fail:
	fclose(f);
	return -1;
}

/* ---------------------------------------------------------------- describing */

/* ns in the largest unit that divides it exactly: "0", "100ns", "5us", "1ms", "2s". */
static void fmt_time(char *buf, size_t len, uint64_t ns)
{
	if (ns == 0)
		snprintf(buf, len, "0");
	else if (ns % 1000000000u == 0)
		snprintf(buf, len, "%" PRIu64 "s", ns / 1000000000u);
	else if (ns % 1000000u == 0)
		snprintf(buf, len, "%" PRIu64 "ms", ns / 1000000u);
	else if (ns % 1000u == 0)
		snprintf(buf, len, "%" PRIu64 "us", ns / 1000u);
	else
		snprintf(buf, len, "%" PRIu64 "ns", ns);
}

void sb_workload_describe(const sb_workload_t *w, char *buf, size_t len)
{
	char cs[32], a[32], b[32], think[80], rw[48], ds[96], hold[32];

	if (!buf || !len)
		return;
	fmt_time(cs, sizeof cs, w->cs_ns);
	fmt_time(a, sizeof a, w->think_a_ns);
	fmt_time(b, sizeof b, w->think_b_ns);
	fmt_time(hold, sizeof hold, w->hold_limit_ns);
	switch (w->think_kind) {
	case SB_THINK_UNIFORM:
		snprintf(think, sizeof think, "uniform:%s-%s", a, b);
		break;
	case SB_THINK_EXP:
		snprintf(think, sizeof think, "exp:%s", a);
		break;
	case SB_THINK_FIXED:
	default:
		snprintf(think, sizeof think, "%s", a);
		break;
	}
	if (w->writers >= 0)
		snprintf(rw, sizeof rw, "writers=%d", w->writers);
	else
		snprintf(rw, sizeof rw, "read-ratio=%.6g", w->read_ratio);
	if (w->ds != SB_DS_NONE)
		snprintf(ds, sizeof ds, "ds=%s ds-mix=%d/%d/%d ds-keys=%" PRIu32, ds_names[w->ds], w->ds_lookup_pct,
			 w->ds_insert_pct, w->ds_delete_pct, w->ds_keys);
	else
		snprintf(ds, sizeof ds, "ds=none");
	snprintf(buf, len, "cs=%s think=%s cs-lines=%d data=%s locks=%d %s hold-limit=%s %s", cs, think, w->cs_lines,
		 w->colocated ? "colocated" : "separate", w->nlocks, rw, hold, ds);
}

int sb_workload_list(FILE *f, const char *dir)
{
	char names[256][SB_WORKLOAD_PRESET_MAX];
	int n = sb_workload_names(dir, names, 256);

	if (n < 0) {
		fprintf(f, "no workload presets: cannot read %s\n", dir);
		return -1;
	}
	if (n > 256)
		n = 256;
	for (int i = 0; i < n; i++) {
		sb_workload_t w;
		char err[512], desc[512];
		if (sb_workload_load(&w, dir, names[i], err, sizeof err) != 0) {
			fprintf(f, "%-16s (does not load: %s)\n", names[i], err);
			continue;
		}
		sb_workload_describe(&w, desc, sizeof desc);
		fprintf(f, "%-16s %s\n%16s %s\n", names[i], w.purpose[0] ? w.purpose : "-", "", desc);
	}
	return n;
}

int sb_workload_validate(const sb_workload_t *w, int threads, char *err, size_t errlen)
{
	if (threads < 1) {
		sb_seterr(err, errlen, "--threads: invalid value '%d' (at least 1)", threads);
		return -1;
	}
	if (w->writers >= threads) {
		sb_seterr(err, errlen, "--writers: invalid value '%d' (must be less than --threads=%d)", w->writers,
			  threads);
		return -1;
	}
	if (w->ds != SB_DS_NONE && w->writers >= 0) {
		sb_seterr(err, errlen, "--writers: invalid value '%d' (not with ds=%s: its ds-mix decides the reads)",
			  w->writers, ds_names[w->ds]);
		return -1;
	}
	if (w->ds != SB_DS_NONE && w->read_ratio != 0) {
		sb_seterr(err, errlen,
			  "--read-ratio: invalid value '%.6g' (not with ds=%s: its ds-mix decides the reads)",
			  w->read_ratio, ds_names[w->ds]);
		return -1;
	}
	return 0;
}

uint64_t sb_workload_read_threshold(const sb_workload_t *w, unsigned tid)
{
	if (w->writers >= 0)
		return tid < (unsigned)w->writers ? 0 : SB_CHANCE_ALWAYS;
	return sb_chance_threshold(w->read_ratio);
}

/* ---------------------------------------------------------------- delay */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

double sb_delay_calibrate(void)
{
	enum { ROUNDS = 501, BATCHES = 5, READS = 501 };
	uint64_t d[ROUNDS];
	uint64_t n = 64, ns0, t0, dt, overhead;

	ns0 = sb_now_ns();
	/* Warm up (lets the core reach its running frequency) and find n with
	 * sb_delay(n) around 1-4 us. */
	while (sb_now_ns() - ns0 < 2000000) {
		t0 = sb_now_ns();
		sb_delay(n);
		dt = sb_now_ns() - t0;
		if (dt < 1000 && n < (1ull << 30))
			n *= 2;
		else if (dt > 4000 && n > 64)
			n /= 2;
	}
	/* The stamps' own cost, subtracted from every round. */
	for (int i = 0; i < READS; i++) {
		t0 = sb_tick_start();
		d[i] = sb_tick_end() - t0;
	}
	qsort(d, READS, sizeof d[0], cmp_u64);
	overhead = d[READS / 2];
	/* Short rounds like the delays made, in batches spread over ~5 ms (a
	 * shared or virtual machine has slow and fast spells): a disturbed
	 * round only moves the tails, not the median. */
	for (int bt = 0; bt < BATCHES; bt++) {
		for (int i = bt * ROUNDS / BATCHES; i < (bt + 1) * ROUNDS / BATCHES; i++) {
			t0 = sb_tick_start();
			sb_delay(n);
			d[i] = sb_tick_end() - t0;
		}
		t0 = sb_now_ns();
		while (sb_now_ns() - t0 < 1000000)
			sb_delay(n);
	}
	qsort(d, ROUNDS, sizeof d[0], cmp_u64);
	double ticks_per_iter = (double)(d[ROUNDS / 2] > overhead ? d[ROUNDS / 2] - overhead : 1) / (double)n;
	return ticks_per_iter * sb_ns_per_tick();
}

void sb_delay_cal_init(sb_delay_cal_t *c, double ns_per_iter, uint64_t stamp_ticks)
{
	c->iters_per_tick = ns_per_iter > 0 ? sb_ns_per_tick() / ns_per_iter : 1.0;
	c->deadline_ticks = sb_ns_to_ticks(SB_DELAY_DEADLINE_NS);
	if (c->deadline_ticks < 1)
		c->deadline_ticks = 1;
	c->stamp_ticks = stamp_ticks < c->deadline_ticks ? stamp_ticks : 0;
}

/* ---------------------------------------------------------------- think */

/* G(f) = integral of ln(1+x) from 0 to f. */
static double ln1p_integral(double f)
{
	return (1 + f) * log1p(f) - f;
}

void sb_think_set(sb_think_t *t, sb_think_kind_t kind, uint64_t a, uint64_t b)
{
	memset(t, 0, sizeof *t);
	t->kind = kind;
	switch (kind) {
	case SB_THINK_UNIFORM:
		if (b < a)
			b = a;
		t->a = a;
		t->span = b - a + 1;
		if (t->span == 0) /* a = 0, b = UINT64_MAX */
			t->span = UINT64_MAX;
		break;
	case SB_THINK_EXP:
		t->mean = (double)a;
		t->ln2_mean = M_LN2 * t->mean;
		for (int i = 0; i < SB_EXP_TABLE; i++) {
			double lo = (double)i / SB_EXP_TABLE, hi = (double)(i + 1) / SB_EXP_TABLE;
			double avg = (ln1p_integral(hi) - ln1p_integral(lo)) * SB_EXP_TABLE;
			t->tab[i] = -avg * t->mean;
		}
		break;
	case SB_THINK_FIXED:
	default:
		t->kind = SB_THINK_FIXED;
		t->a = a;
		break;
	}
}

void sb_think_init(sb_think_t *t, const sb_workload_t *w)
{
	sb_think_set(t, w->think_kind, sb_ns_to_ticks((double)w->think_a_ns), sb_ns_to_ticks((double)w->think_b_ns));
}

int sb_workload_has_reads(const sb_workload_t *w)
{
	if (w->ds != SB_DS_NONE)
		return w->ds_lookup_pct > 0;
	return w->read_ratio > 0 || w->writers >= 0;
}

double sb_workload_think_mean_ns(const sb_workload_t *w)
{
	switch (w->think_kind) {
	case SB_THINK_UNIFORM:
		return ((double)w->think_a_ns + (double)w->think_b_ns) / 2.0;
	case SB_THINK_EXP:
	case SB_THINK_FIXED:
	default:
		return (double)w->think_a_ns;
	}
}

/* ---------------------------------------------------------------- ds mix */

void sb_ds_mix_init(sb_ds_mix_t *m, const sb_workload_t *w)
{
	m->lookup_below = sb_chance_threshold(w->ds_lookup_pct / 100.0);
	m->insert_below = sb_chance_threshold((w->ds_lookup_pct + w->ds_insert_pct) / 100.0);
	m->nkeys = w->ds_keys ? w->ds_keys : 1;
}
