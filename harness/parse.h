/*
 * parse.h - strict parsers for command-line values (DESIGN.md,
 * "Command-line conventions").
 *
 * Every parser returns 0 on success or -1 on any error; it never prints and
 * never exits (the caller prints one line naming the option and the value,
 * and exits 2).  Outputs are written only on success.  Nothing is tolerated
 * beyond the grammar: no whitespace, no signs where none is allowed, no
 * trailing characters, no empty string, NULL input is an error.
 */
#ifndef SPINBENCH_HARNESS_PARSE_H
#define SPINBENCH_HARNESS_PARSE_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

/* The most threads a run takes: thread lists, --writers, and the guard's
 * 16-bit marks (guard.h) all stay within it.  The one definition. */
#define SB_MAX_THREADS 4096

/*
 * Unsigned decimal: one or more digits [0-9] (leading zeros allowed), no sign,
 * nothing else; a value above UINT64_MAX is an error.
 */
int sb_parse_u64(const char *s, uint64_t *out);

/*
 * Strict double: [+-]? digits [ "." digits* ] [ (e|E) [+-]? digits ]
 * or [+-]? "." digits [...]; at least one mantissa digit.  No hex, inf, nan,
 * whitespace or trailing junk; a result that overflows to infinity is an
 * error (underflow to 0 or a subnormal is accepted).
 */
int sb_parse_double(const char *s, double *out);

/*
 * Duration with a required unit:  digits [ "." digits ] ( "ns" | "us" | "ms"
 * | "s" ), e.g. "200ns", "5us", "1ms", "0.5s".  Lowercase units only; no sign,
 * no exponent, no space.  Converted exactly in integer arithmetic and rounded
 * to the nearest ns (half up), so "1.5ns" is 2 ns.  A result of 0 ns is an
 * error unless allow_zero (durations must be > 0; think/critical-section
 * times may be 0); negative values are always errors (no sign is accepted).
 * More than UINT64_MAX ns (~584 years) is an error.
 */
int sb_parse_time_ns(const char *s, uint64_t *ns, int allow_zero);

/*
 * Thread-count list: comma-separated elements, each N, "max", or a range
 * A-B whose ends are N or "max"; "max" stands for max_pus.  Every value must
 * be in 1..SB_MAX_THREADS (4096), so "0" and "4097" are errors, and a
 * use of "max" with max_pus out of that range is an error.  A-B with A > B
 * is an error, as are empty elements ("1,,2", "1,", ",1").  The result is
 * sorted ascending and de-duplicated into out[0..*n-1]; more than cap
 * distinct values is an error.  Example: "1,2,4-8,16" -> 1 2 4 5 6 7 8 16.
 */
int sb_parse_thread_list(const char *s, int max_pus, int *out, int cap, int *n);

/* Write s to f as a JSON string literal: quoted, with '"', '\\' and control
 * characters escaped. */
void sb_json_str(FILE *f, const char *s);

/* p, or (p NULL: out of memory) one line on stderr and exit 1: for the
 * harness's set-up, where nothing sensible is left to do without memory. */
void *sb_need(void *p);

/*
 * Write a one-line error message into err (errlen bytes; nothing when err is
 * NULL or errlen 0): printf-style, newlines turned into blanks so that
 * whatever a library or strerror said stays on one line.  Can't fail.
 */
__attribute__((format(printf, 3, 4))) void sb_seterr(char *err, size_t errlen, const char *fmt, ...);

#endif
