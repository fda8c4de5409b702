/*
 * test_parse.c - the strict command-line value parsers, table driven.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"
#include "tap.h"

static void test_u64(void)
{
	static const struct {
		const char *s;
		uint64_t v;
	} good[] = {
		{"0", 0}, {"10", 10}, {"007", 7}, {"4097", 4097}, {"18446744073709551615", UINT64_MAX},
	};
	static const char *const bad[] = {
		"", "-1", "+1", "abc", "2x", " 1", "1 ", "1.0", "0x10", "18446744073709551616", "99999999999999999999",
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		uint64_t v = 12345;
		int rc = sb_parse_u64(good[i].s, &v);
		sb_ok(rc == 0 && v == good[i].v, "u64 \"%s\" -> %llu", good[i].s, (unsigned long long)good[i].v);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint64_t v = 12345;
		int rc = sb_parse_u64(bad[i], &v);
		sb_ok(rc == -1 && v == 12345, "u64 \"%s\" rejected, output untouched", bad[i]);
	}
	uint64_t v;
	sb_ok(sb_parse_u64(NULL, &v) == -1, "u64 NULL rejected");
}

static void test_time(void)
{
	static const struct {
		const char *s;
		int allow_zero;
		uint64_t ns;
	} good[] = {
		{"200ns", 0, 200},
		{"5us", 0, 5000},
		{"1ms", 0, 1000000},
		{"0.5s", 0, 500000000},
		{"2s", 0, 2000000000},
		{"0.25us", 0, 250},
		{"1.5ns", 0, 2},
		{"1.4ns", 0, 1},
		{"1.0000000004s", 0, 1000000000},
		{"1.0000000005s", 0, 1000000001},
		{"0.123456789123s", 0, 123456789},
		{"10.75ms", 0, 10750000},
		{"18446744073709551615ns", 0, UINT64_MAX},
		{"18446744073s", 0, UINT64_C(18446744073000000000)},
		{"0s", 1, 0},
		{"0ns", 1, 0},
		{"0.0us", 1, 0},
		{"100ns", 1, 100},
	};
	static const struct {
		const char *s;
		int allow_zero;
	} bad[] = {
		{"10", 0},
		{"10", 1},
		{"-1us", 0},
		{"-1us", 1},
		{"0s", 0},
		{"0ns", 0},
		{"0.4ns", 0},
		{"1.5xs", 0},
		{"", 0},
		{"", 1},
		{"1.s", 0},
		{".5s", 0},
		{"1e3us", 0},
		{"5 us", 0},
		{" 5us", 0},
		{"5us ", 0},
		{"5US", 0},
		{"1min", 0},
		{"+5us", 0},
		{"us", 0},
		{"5usx", 0},
		{"5sec", 0},
		{"1..5s", 0},
		{"-0s", 1},
		{"18446744073709551616ns", 0},
		{"18446744074s", 0},
		{"18446744073.709551616s", 0},
		{"0", 1},
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		uint64_t ns = 777;
		int rc = sb_parse_time_ns(good[i].s, &ns, good[i].allow_zero);
		sb_ok(rc == 0 && ns == good[i].ns, "time \"%s\"%s -> %llu ns (got rc %d, %llu)", good[i].s,
		      good[i].allow_zero ? " (zero ok)" : "", (unsigned long long)good[i].ns, rc,
		      (unsigned long long)ns);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint64_t ns = 777;
		int rc = sb_parse_time_ns(bad[i].s, &ns, bad[i].allow_zero);
		sb_ok(rc == -1 && ns == 777, "time \"%s\"%s rejected", bad[i].s, bad[i].allow_zero ? " (zero ok)" : "");
	}
	uint64_t ns;
	sb_ok(sb_parse_time_ns(NULL, &ns, 1) == -1, "time NULL rejected");
}

static void test_threads(void)
{
	static const struct {
		const char *s;
		int max_pus;
		int n;
		int v[12];
	} good[] = {
		{"1", 8, 1, {1}},
		{"10", 8, 1, {10}},
		{"max", 8, 1, {8}},
		{"1,2,4-8,16", 8, 8, {1, 2, 4, 5, 6, 7, 8, 16}},
		{"16,4-8,2,1", 8, 8, {1, 2, 4, 5, 6, 7, 8, 16}},
		{"4,2,2,1,2-4", 8, 4, {1, 2, 3, 4}},
		{"4,2,2,1", 8, 3, {1, 2, 4}},
		{"2-max", 6, 5, {2, 3, 4, 5, 6}},
		{"max,1,max", 64, 2, {1, 64}},
		{"8-8", 8, 1, {8}},
		{"4096", 2, 1, {4096}},
		{"4095-max", 4096, 2, {4095, 4096}},
		{"001,02", 2, 2, {1, 2}},
	};
	static const struct {
		const char *s;
		int max_pus;
	} bad[] = {
		{"0", 8},      {"-1", 8},
		{"abc", 8},    {"4097", 8},
		{"3-1", 8},    {"1,,2", 8},
		{"2x", 8},     {"", 8},
		{"1,", 8},     {",1", 8},
		{"1-", 8},     {"-", 8},
		{"1-2-3", 8},  {" 1", 8},
		{"1 ", 8},     {"max-1", 8},
		{"1-4097", 8}, {"0-4", 8},
		{"max", 0},    {"max", 5000},
		{"maxx", 8},   {"MAX", 8},
		{"1;2", 8},    {"+1", 8},
		{"1.0", 8},    {"99999999999999999999", 8},
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		int out[4096], n = -1;
		int rc = sb_parse_thread_list(good[i].s, good[i].max_pus, out, 4096, &n);
		int same = rc == 0 && n == good[i].n;
		for (int j = 0; same && j < n; j++)
			same = out[j] == good[i].v[j];
		sb_ok(same, "threads \"%s\" (max %d) -> %d values (got rc %d, n %d)", good[i].s, good[i].max_pus,
		      good[i].n, rc, n);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int out[16] = {0}, n = -7;
		int rc = sb_parse_thread_list(bad[i].s, bad[i].max_pus, out, 16, &n);
		sb_ok(rc == -1 && n == -7 && out[0] == 0, "threads \"%s\" (max %d) rejected, outputs untouched",
		      bad[i].s, bad[i].max_pus);
	}
	int out[4096], n = 0;
	sb_ok(sb_parse_thread_list("1-4096", 8, out, 4096, &n) == 0 && n == 4096 && out[0] == 1 && out[4095] == 4096,
	      "threads \"1-4096\" -> 4096 values");
	sb_ok(sb_parse_thread_list("1-10", 8, out, 5, &n) == -1, "threads: more values than cap rejected");
	sb_ok(sb_parse_thread_list("1-5,3-5", 8, out, 5, &n) == 0 && n == 5, "threads: cap counts distinct values");
	sb_ok(sb_parse_thread_list(NULL, 8, out, 5, &n) == -1, "threads NULL rejected");
}

static void test_double(void)
{
	static const struct {
		const char *s;
		double v;
	} good[] = {
		{"0", 0},  {"-1.5", -1.5}, {"1e3", 1000},    {".5", 0.5},
		{"2.", 2}, {"+3", 3},      {"2.5E-1", 0.25}, {"1e-400", 0},
	};
	static const char *const bad[] = {
		"",   "abc", "1x",    "nan", "inf", "-inf", "0x10",  " 1",  "1 ",
		"1e", "1e+", "1e400", "-",   ".",   "e5",   "1.2.3", "--1",
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		double v = 99;
		int rc = sb_parse_double(good[i].s, &v);
		sb_ok(rc == 0 && v == good[i].v, "double \"%s\" -> %g", good[i].s, good[i].v);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		double v = 99;
		int rc = sb_parse_double(bad[i], &v);
		sb_ok(rc == -1 && v == 99, "double \"%s\" rejected", bad[i]);
	}
}

int main(void)
{
	test_u64();
	test_time();
	test_threads();
	test_double();
	return sb_tap_done();
}
