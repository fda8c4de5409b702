/* registry.c - the lock registry, from locks/registry.def. */
#include <stdlib.h>
#include <string.h>

#include "lockapi.h"

#define SB_LOCK(id, name, fam, flags, desc) extern const sb_lock_impl_t sb_impl_##id;
#include "registry.def"
#undef SB_LOCK

const sb_lock_desc_t sb_locks[] = {
#define SB_LOCK(id, name, fam, flags, desc) {name, #id, fam, flags, desc, &sb_impl_##id},
#include "registry.def"
#undef SB_LOCK
};

const int sb_nlocks = (int)(sizeof(sb_locks) / sizeof(sb_locks[0]));

static const char *const family_names[SB_FAM_N] = {
	[SB_FAM_BASIC] = "basic",     [SB_FAM_QUEUED] = "queued", [SB_FAM_RW] = "rw",     [SB_FAM_REF] = "ref",
	[SB_FAM_CONTROL] = "control", [SB_FAM_NUMA] = "numa",     [SB_FAM_TEST] = "test",
};

static bool test_locks_enabled(void)
{
	const char *e = getenv("SPINBENCH_TEST_LOCKS");
	return e && strcmp(e, "1") == 0;
}

bool sb_lock_visible(const sb_lock_desc_t *d)
{
	return d->family != SB_FAM_TEST || test_locks_enabled();
}

const char *sb_family_name(enum sb_family f)
{
	return (unsigned)f < SB_FAM_N ? family_names[f] : "?";
}

static int family_by_name(const char *s)
{
	for (int f = 0; f < SB_FAM_N; f++)
		if (strcmp(s, family_names[f]) == 0 && (f != SB_FAM_TEST || test_locks_enabled()))
			return f;
	return -1;
}

const sb_lock_desc_t *sb_lock_find(const char *name)
{
	for (int i = 0; i < sb_nlocks; i++)
		if (strcmp(sb_locks[i].name, name) == 0 && sb_lock_visible(&sb_locks[i]))
			return &sb_locks[i];
	return NULL;
}

static int add_unique(const sb_lock_desc_t **out, int n, int cap, const sb_lock_desc_t *d)
{
	for (int i = 0; i < n; i++)
		if (out[i] == d)
			return n;
	if (n < cap)
		out[n++] = d;
	return n;
}

static void valid_names(char *err, size_t errlen, const char *bad)
{
	size_t k = (size_t)snprintf(err, errlen, "--lock: unknown lock '%s'; valid: all, all:FAMILY, ", bad);
	for (int f = 0; f < SB_FAM_TEST && k < errlen; f++)
		k += (size_t)snprintf(err + k, errlen - k, "%s, ", family_names[f]);
	for (int i = 0; i < sb_nlocks && k < errlen; i++)
		if (sb_lock_visible(&sb_locks[i]))
			k += (size_t)snprintf(err + k, errlen - k, "%s%s", i ? ", " : "", sb_locks[i].name);
}

int sb_lock_select(const char *list, const sb_lock_desc_t **out, int cap, char *err, size_t errlen)
{
	char buf[1024];
	int n = 0;

	if (strlen(list) >= sizeof(buf) || list[0] == '\0') {
		snprintf(err, errlen, "--lock: invalid value '%s'", list);
		return -1;
	}
	strcpy(buf, list);
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int fam;
		const sb_lock_desc_t *d;

		if (strcmp(tok, "all") == 0) { /* every lock, never the test family */
			for (int i = 0; i < sb_nlocks; i++)
				if (sb_locks[i].family != SB_FAM_TEST)
					n = add_unique(out, n, cap, &sb_locks[i]);
		} else if (strncmp(tok, "all:", 4) == 0 && (fam = family_by_name(tok + 4)) >= 0) {
			for (int i = 0; i < sb_nlocks; i++)
				if ((int)sb_locks[i].family == fam)
					n = add_unique(out, n, cap, &sb_locks[i]);
		} else if ((fam = family_by_name(tok)) >= 0) {
			int found = 0;
			for (int i = 0; i < sb_nlocks; i++)
				if ((int)sb_locks[i].family == fam && (sb_locks[i].flags & SB_F_CANON)) {
					n = add_unique(out, n, cap, &sb_locks[i]);
					found = 1;
				}
			if (!found) /* ref, control: no canonical lock, take them all */
				for (int i = 0; i < sb_nlocks; i++)
					if ((int)sb_locks[i].family == fam)
						n = add_unique(out, n, cap, &sb_locks[i]);
		} else if ((d = sb_lock_find(tok)) != NULL) {
			n = add_unique(out, n, cap, d);
		} else {
			valid_names(err, errlen, tok);
			return -1;
		}
	}
	if (n == 0) {
		snprintf(err, errlen, "--lock: invalid value '%s'", list);
		return -1;
	}
	return n;
}

void sb_lock_list(FILE *f)
{
	fprintf(f, "%-16s %-8s %s\n", "LOCK", "FAMILY", "DESCRIPTION");
	for (int i = 0; i < sb_nlocks; i++) {
		const sb_lock_desc_t *d = &sb_locks[i];
		if (!sb_lock_visible(d))
			continue;
		fprintf(f, "%-16s %-8s %s%s%s\n", d->name, sb_family_name(d->family),
			(d->flags & SB_F_CANON) ? "[canonical] " : "", (d->flags & SB_F_FIFO) ? "[fifo] " : "",
			d->desc);
	}
	fprintf(f, "\nSelect with --lock=NAME[,NAME...]; a family name (basic, queued, rw) selects its\n"
		   "canonical lock; all:FAMILY selects every lock of a family; all selects every lock.\n");
}
