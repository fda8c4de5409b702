/*
 * folder.c - the result folder; see folder.h.
 */
#include "folder.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int sb_mkdir_p(const char *path)
{
	char p[2 * PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, 0777) != 0 && errno != EEXIST)
				return -1;
			*s = '/';
		}
	}
	return mkdir(p, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

static int is_result_folder(const char *dir)
{
	char p[2 * PATH_MAX + 64], buf[4096];
	snprintf(p, sizeof(p), "%s/meta.json", dir);
	FILE *f = fopen(p, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, "\"schema_version\"") && strstr(buf, "\"run_id\"");
}

int sb_out_state(const char *dir)
{
	struct stat st;
	if (stat(dir, &st) != 0)
		return errno == ENOENT ? SB_OUT_NEW : SB_OUT_BAD;
	if (!S_ISDIR(st.st_mode))
		return SB_OUT_BAD;
	DIR *d = opendir(dir);
	if (!d)
		return SB_OUT_BAD;
	struct dirent *e;
	int empty = 1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return empty ? SB_OUT_EMPTY : is_result_folder(dir) ? SB_OUT_RESULT : SB_OUT_FOREIGN;
}

/* The folder that holds `path` (its parent), "." for a bare name. */
static void parent_of(const char *path, char *out, size_t n)
{
	snprintf(out, n, "%s", path);
	size_t len = strlen(out);
	while (len > 1 && out[len - 1] == '/')
		out[--len] = '\0';
	char *s = strrchr(out, '/');
	if (!s)
		snprintf(out, n, ".");
	else if (s == out)
		out[1] = '\0';
	else
		*s = '\0';
}

int sb_out_probe(const char *dir)
{
	char parent[2 * PATH_MAX + 64], probe[2 * PATH_MAX + 96];
	struct stat st;
	parent_of(dir, parent, sizeof(parent));
	int existed = stat(parent, &st) == 0;
	if (sb_mkdir_p(parent) != 0)
		return -1;
	snprintf(probe, sizeof(probe), "%s/.spinbench-probe.%d", parent, (int)getpid());
	if (mkdir(probe, 0777) != 0) {
		if (!existed)
			rmdir(parent);
		return -1;
	}
	rmdir(probe);
	return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* rm -rf path (no symlink is followed). */
static int sb_remove_tree(const char *path)
{
	return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int sb_folder_make(const sb_opts_t *o, sb_meta_t *meta, char *dir, size_t dirlen)
{
	time_t now = time(NULL);
	struct tm tm;
	char stamp[32];

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	strftime(meta->start_iso, sizeof(meta->start_iso), "%Y-%m-%dT%H:%M:%S%z", &tm);
	if (!o->out[0]) {
		snprintf(meta->run_id, sizeof(meta->run_id), "%s-%s", o->machine, stamp);
		snprintf(dir, dirlen, "%s/.%s.partial", o->results_dir, meta->run_id);
	} else {
		char parent[PATH_MAX], base[PATH_MAX];
		snprintf(base, sizeof(base), "%s", o->out);
		for (size_t l = strlen(base); l > 1 && base[l - 1] == '/'; l--)
			base[l - 1] = '\0';
		const char *b = strrchr(base, '/');
		snprintf(meta->run_id, sizeof(meta->run_id), "%s", b ? b + 1 : base);
		/* run_id is a CSV field, written unquoted: no comma, quote or line break in it */
		for (char *q = meta->run_id; *q; q++)
			if (*q == ',' || *q == '"' || *q == '\n' || *q == '\r')
				*q = '_';
		parent_of(o->out, parent, sizeof(parent));
		snprintf(dir, dirlen, "%s/.%s.partial-%d", parent, meta->run_id, (int)getpid());
	}
	if (sb_mkdir_p(dir) != 0) {
		fprintf(stderr, "run-bench: cannot create %s: %s\n", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int sb_folder_publish(const sb_opts_t *o, const sb_meta_t *meta, const char *dir, char *final, size_t flen)
{
	if (!o->out[0]) {
		snprintf(final, flen, "%s/%s", o->results_dir, meta->run_id);
		for (int i = 2; access(final, F_OK) == 0 && i < 100; i++)
			snprintf(final, flen, "%s/%s-%d", o->results_dir, meta->run_id, i);
		if (rename(dir, final) != 0) {
			fprintf(stderr, "run-bench: cannot rename %s to %s: %s\n", dir, final, strerror(errno));
			return -1;
		}
		if (meta->complete) {
			char link[PATH_MAX + 16], tmp[PATH_MAX + 16];
			const char *base = strrchr(final, '/') + 1;
			snprintf(link, sizeof(link), "%s/latest", o->results_dir);
			snprintf(tmp, sizeof(tmp), "%s/.latest.tmp", o->results_dir);
			unlink(tmp);
			if (symlink(base, tmp) != 0 || rename(tmp, link) != 0)
				fprintf(stderr, "run-bench: warning: cannot update %s\n", link);
		}
		return 0;
	}
	char old[2 * PATH_MAX + 96], parent[PATH_MAX];
	int st = sb_out_state(o->out);
	snprintf(final, flen, "%s", o->out);
	parent_of(o->out, parent, sizeof(parent));
	snprintf(old, sizeof(old), "%s/.%s.old-%d", parent, meta->run_id, (int)getpid());
	if (st == SB_OUT_FOREIGN || st == SB_OUT_BAD) {
		fprintf(stderr,
			"run-bench: %s changed during the run and is not a result folder; the results "
			"stay in %s\n",
			o->out, dir);
		return -1;
	}
	if (st != SB_OUT_NEW && rename(o->out, old) != 0) {
		fprintf(stderr, "run-bench: cannot move the old %s aside: %s; the results stay in %s\n", o->out,
			strerror(errno), dir);
		return -1;
	}
	if (rename(dir, o->out) != 0) {
		fprintf(stderr, "run-bench: cannot rename %s to %s: %s\n", dir, o->out, strerror(errno));
		return -1;
	}
	if (st != SB_OUT_NEW && sb_remove_tree(old) != 0)
		fprintf(stderr, "run-bench: warning: cannot remove the previous result %s\n", old);
	return 0;
}
