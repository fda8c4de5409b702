/*
 * parse.c - strict command-line value parsers; see parse.h.
 */
#include "parse.h"

#include <stdio.h>
#include <stdarg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Parse digits [p, end) (at least one, nothing else) with overflow check. */
static int parse_u64_range(const char *p, const char *end, uint64_t *out)
{
	uint64_t v = 0;

	if (p >= end)
		return -1;
	for (; p < end; p++) {
		if (!is_digit(*p))
			return -1;
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int sb_parse_u64(const char *s, uint64_t *out)
{
	if (!s)
		return -1;
	return parse_u64_range(s, s + strlen(s), out);
}

int sb_parse_double(const char *s, double *out)
{
	const char *p = s;
	int mant = 0;
	char *end;
	double v;

	if (!s)
		return -1;
	/* Validate the grammar first, so strtod's extras (hex, inf, nan,
	 * leading space) never get through. */
	if (*p == '+' || *p == '-')
		p++;
	while (is_digit(*p)) {
		p++;
		mant++;
	}
	if (*p == '.') {
		p++;
		while (is_digit(*p)) {
			p++;
			mant++;
		}
	}
	if (!mant)
		return -1;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!is_digit(*p))
			return -1;
		while (is_digit(*p))
			p++;
	}
	if (*p)
		return -1;
	v = strtod(s, &end);
	if (end != p || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

int sb_parse_time_ns(const char *s, uint64_t *ns, int allow_zero)
{
	const char *p = s, *ip, *ie, *fp = NULL, *fe = NULL;
	uint64_t mult, whole, frac = 0, v;
	int scale; /* mult == 10^scale */

	if (!s)
		return -1;
	ip = p;
	while (is_digit(*p))
		p++;
	ie = p;
	if (ip == ie)
		return -1;
	if (*p == '.') {
		fp = ++p;
		while (is_digit(*p))
			p++;
		fe = p;
		if (fp == fe)
			return -1;
	}
	if (strcmp(p, "ns") == 0) {
		mult = 1;
		scale = 0;
	} else if (strcmp(p, "us") == 0) {
		mult = 1000;
		scale = 3;
	} else if (strcmp(p, "ms") == 0) {
		mult = 1000000;
		scale = 6;
	} else if (strcmp(p, "s") == 0) {
		mult = 1000000000;
		scale = 9;
	} else {
		return -1;
	}
	if (parse_u64_range(ip, ie, &whole) != 0)
		return -1;
	if (whole > UINT64_MAX / mult)
		return -1;
	v = whole * mult;
	if (fp) {
		/* The first `scale` fraction digits are whole ns; the next one
		 * rounds (half up); the rest cannot change the result. */
		int i = 0, round = 0;
		for (const char *q = fp; i < scale; i++) {
			frac = frac * 10 + (q < fe ? (uint64_t)(*q++ - '0') : 0);
		}
		if (fe - fp > scale && fp[scale] >= '5')
			round = 1;
		frac += (uint64_t)round;
		if (v > UINT64_MAX - frac)
			return -1;
		v += frac;
	}
	if (v == 0 && !allow_zero)
		return -1;
	*ns = v;
	return 0;
}

/*
 * One thread-list value [p, end): digits or "max", checked into 1..4096.
 */
static int thread_value(const char *p, const char *end, int max_pus, int *out)
{
	uint64_t v;

	if (end - p == 3 && memcmp(p, "max", 3) == 0) {
		v = max_pus < 0 ? 0 : (uint64_t)max_pus;
	} else if (parse_u64_range(p, end, &v) != 0) {
		return -1;
	}
	if (v < 1 || v > SB_MAX_THREADS)
		return -1;
	*out = (int)v;
	return 0;
}

int sb_parse_thread_list(const char *s, int max_pus, int *out, int cap, int *n)
{
	unsigned char seen[SB_MAX_THREADS + 1];
	const char *p = s;
	int count = 0;

	if (!s || !*s)
		return -1;
	memset(seen, 0, sizeof seen);
	for (;;) {
		const char *e = strchr(p, ',');
		const char *end = e ? e : p + strlen(p);
		const char *dash = memchr(p, '-', (size_t)(end - p));
		int a, b;

		if (end == p)
			return -1; /* empty element */
		if (dash) {
			if (thread_value(p, dash, max_pus, &a) != 0 || thread_value(dash + 1, end, max_pus, &b) != 0 ||
			    a > b)
				return -1;
		} else {
			if (thread_value(p, end, max_pus, &a) != 0)
				return -1;
			b = a;
		}
		for (int v = a; v <= b; v++) {
			if (!seen[v]) {
				seen[v] = 1;
				count++;
			}
		}
		if (!e)
			break;
		p = e + 1;
	}
	if (count > cap)
		return -1;
	count = 0;
	for (int v = 1; v <= SB_MAX_THREADS; v++)
		if (seen[v])
			out[count++] = v;
	*n = count;
	return 0;
}

void sb_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	for (char *c = err; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
}

void *sb_need(void *p)
{
	if (!p) {
		fputs("run-bench: out of memory\n", stderr);
		exit(1);
	}
	return p;
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
