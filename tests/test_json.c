// SPDX-License-Identifier: MIT
// Tests of src/core/json.c against the Python reference: every seed vector
// file (canonical bytes and their ids, indent=2 views), Python's float repr
// on the edge cases, int64 limits, escapes, refusals with their messages,
// the scanner's edge cases, and a seeded round-trip property over random
// values (the seed is printed; MESHLOG_SEED replays it).
#include "testutil.h"

#include <dirent.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meshlog/buf.h"
#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/json.h"

#define SEED_DIR "vectors/seed"

static ml_span span_of(const char *s)
{
    return (ml_span){s, strlen(s)};
}

static int has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), k = strlen(suffix);
    return n > k && strcmp(name + n - k, suffix) == 0;
}

/* Calls fn(path) for every seed vector file ending in suffix; returns how
 * many, so a new vector file is covered without touching this test. */
static int for_each_seed(const char *suffix, void (*fn)(const char *path))
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", tu_shared(SEED_DIR));
    DIR *d = opendir(dir);
    assert_non_null(d);
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !has_suffix(e->d_name, suffix))
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        fn(path);
        count++;
    }
    closedir(d);
    return count;
}

/* ---- canonical vectors -------------------------------------------------- */

static void check_canonical_line(const char *path, const char *line, size_t len)
{
    char err[256] = "";
    assert_true(len > 33 && line[32] == ' ');
    const char *text = line + 33;
    size_t tlen = len - 33;
    json_t *v = ml_json_parse(text, tlen, err, sizeof err);
    if (!v)
        fprintf(stderr, "%s: %s\n", path, err);
    assert_non_null(v);
    ml_buf out = ML_BUF_INIT;
    assert_int_equal(ml_json_canon(&out, v, err, sizeof err), 0);
    if (out.len != tlen || memcmp(out.p, text, tlen) != 0)
        fprintf(stderr, "%s:\n want %.*s\n got  %s\n", path, (int)tlen, text, out.p);
    assert_int_equal(out.len, tlen);
    assert_memory_equal(out.p, text, tlen);
    uint8_t h[32];
    char hex[33];
    ml_sha256(h, out.p, out.len);
    ml_hex(hex, h, 16);
    assert_memory_equal(hex, line, 32);
    ml_buf_free(&out);
    json_decref(v);
}

static void check_canonical_file(const char *path)
{
    size_t len;
    char *data = tu_read_file(path, &len);
    int lines = 0;
    for (char *p = data, *nl; p < data + len; p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(data + len - p));
        if (!nl)
            nl = data + len;
        if (nl > p) {
            check_canonical_line(path, p, (size_t)(nl - p));
            lines++;
        }
    }
    assert_true(lines > 0);
    free(data);
}

static void test_seed_canonical(void **state)
{
    (void)state;
    assert_true(for_each_seed(".canonical", check_canonical_file) >= 9);
}

/* ---- pretty views ------------------------------------------------------- */

static void check_view_file(const char *path)
{
    size_t len;
    char *data = tu_read_file(path, &len);
    char err[256] = "";
    /* json.dumps output plus exactly one newline, written by the reference. */
    assert_true(len >= 2 && data[len - 1] == '\n' && data[len - 2] != '\n');
    ml_buf canon = ML_BUF_INIT, pretty = ML_BUF_INIT;
    assert_int_equal(ml_json_canon_text(&canon, data, len, err, sizeof err), 0);
    assert_int_equal(ml_json_pretty(&pretty, (const char *)canon.p, canon.len, 0), 0);
    if (pretty.len != len - 1 || memcmp(pretty.p, data, len - 1) != 0)
        fprintf(stderr, "%s: pretty output differs:\n%s\n", path, pretty.p);
    assert_int_equal(pretty.len, len - 1);
    assert_memory_equal(pretty.p, data, len - 1);
    ml_buf_free(&canon);
    ml_buf_free(&pretty);
    free(data);
}

static void test_seed_views(void **state)
{
    (void)state;
    assert_true(for_each_seed(".view.json", check_view_file) >= 9);
}

static void expect_pretty(const char *canon, int depth, const char *want)
{
    ml_buf out = ML_BUF_INIT;
    assert_int_equal(ml_json_pretty(&out, canon, strlen(canon), depth), 0);
    assert_string_equal(ml_buf_str(&out), want);
    ml_buf_free(&out);
}

static void test_pretty_shapes(void **state)
{
    (void)state;
    expect_pretty("{}", 0, "{}");
    expect_pretty("[]", 3, "[]");
    expect_pretty("1.5e-07", 0, "1.5e-07");
    expect_pretty("\"a\\\"b\"", 0, "\"a\\\"b\"");
    expect_pretty("[1,{},[],\"x\"]", 0, "[\n  1,\n  {},\n  [],\n  \"x\"\n]");
    expect_pretty("{\"a\":{\"b\":[null,true]},\"c\":false}", 0,
                  "{\n  \"a\": {\n    \"b\": [\n      null,\n      true\n    ]\n  },\n"
                  "  \"c\": false\n}");
    /* depth: every line after the first moves right by 2 spaces per level */
    expect_pretty("{\"a\":[1]}", 1, "{\n    \"a\": [\n      1\n    ]\n  }");
    expect_pretty("[{\"k\":\"v\"}]", 2, "[\n      {\n        \"k\": \"v\"\n      }\n    ]");
}

static void test_pretty_refuses(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", " 1", "{\"a\" :1}", "{\"a\": 1}", "[1,]", "[,1]", "{\"a\":1", "[1]x",
        "01", "1.", "-", "1e", "{1:2}", "[}", "{]", "{\"a\"}", "{\"a\":}", "tru",
        "nul", "\"abc", "\"\\x\"", "\"\\u12g4\"", "\"\x01\"", "\"caf\xc3\xa9\"",
        "[1 ,2]", "{\"a\":1,}", "]", "}", "[[]", "NaN", "{\"a\":1}}",
    };
    ml_buf out = ML_BUF_INIT;
    assert_int_equal(ml_buf_puts(&out, "keep"), 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int r = ml_json_pretty(&out, bad[i], strlen(bad[i]), 0);
        if (r != ML_EMALFORMED)
            fprintf(stderr, "pretty accepted %s\n", bad[i]);
        assert_int_equal(r, ML_EMALFORMED);
        assert_string_equal(ml_buf_str(&out), "keep");  /* failed append leaves no trace */
    }
    assert_int_equal(ml_json_pretty(&out, "1", 1, -1), ML_EINVAL);
    ml_buf_free(&out);
}

/* Values nest up to ML_JSON_MAX_DEPTH deep, as jansson parses them: n arrays
 * around nothing reach depth n, around a scalar depth n+1. */
static void test_depth_limit(void **state)
{
    (void)state;
    static char text[2 * ML_JSON_MAX_DEPTH + 8];
    ml_buf out = ML_BUF_INIT, canon = ML_BUF_INIT;
    for (size_t n = ML_JSON_MAX_DEPTH - 1; n <= ML_JSON_MAX_DEPTH + 1; n++) {
        for (size_t inner = 0; inner < 2; inner++) {
            memset(text, '[', n);
            text[n] = '1';
            memset(text + n + inner, ']', n);
            size_t len = 2 * n + inner;
            int want = n + inner <= ML_JSON_MAX_DEPTH ? 0 : ML_EMALFORMED;
            assert_int_equal(ml_json_pretty(&out, text, len, 0), want);
            assert_int_equal(ml_json_canon_text(&canon, text, len, NULL, 0), want);
            if (want == 0)
                assert_memory_equal(canon.p, text, len);
            ml_buf_reset(&out);
            ml_buf_reset(&canon);
        }
    }
    /* the encoder keeps the limit for values built in memory too */
    json_t *v = json_integer(1);
    for (int i = 0; i < ML_JSON_MAX_DEPTH; i++)
        v = json_pack("[o]", v);
    char err[256] = "";
    assert_int_equal(ml_json_canon(&canon, v, err, sizeof err), ML_EMALFORMED);
    assert_non_null(strstr(err, "nested too deeply"));
    json_decref(v);
    ml_buf_free(&out);
    ml_buf_free(&canon);
}

/* ---- numbers ------------------------------------------------------------ */

static void test_float_repr(void **state)
{
    (void)state;
    static const struct {
        double d;
        const char *want;
    } cases[] = {
        {0.1, "0.1"},
        {1.0, "1.0"},
        {-0.0, "-0.0"},
        {0.0, "0.0"},
        {1e16, "1e+16"},
        {1e-05, "1e-05"},
        {0.0001, "0.0001"},
        {5e-324, "5e-324"},
        {1.7976931348623157e+308, "1.7976931348623157e+308"},
        {2.2250738585072014e-308, "2.2250738585072014e-308"},
        {123456789012345.6, "123456789012345.6"},
        {1000000000000000.0, "1000000000000000.0"},
        {2.5e-07, "2.5e-07"},
        {1.5e-07, "1.5e-07"},
        {1e+22, "1e+22"},
        {1e+300, "1e+300"},
        {0.30000000000000004, "0.30000000000000004"},
        {100.0, "100.0"},
        {-2.5, "-2.5"},
        {9999999999999998.0, "9999999999999998.0"},
        {3.141592653589793, "3.141592653589793"},
        /* next to a power of two: the nearest 16-digit decimal does not read
         * back but its neighbour does, and Python prints the neighbour */
        {7.120236347223045e-307, "7.120236347223045e-307"},
        {7.291122019556398e-304, "7.291122019556398e-304"},
    };
    char out[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(ml_json_fmt_double(out, cases[i].d), 0);
        assert_string_equal(out, cases[i].want);
    }
    assert_int_equal(ml_json_fmt_double(out, NAN), ML_ERANGE);
    assert_int_equal(ml_json_fmt_double(out, INFINITY), ML_ERANGE);
    assert_int_equal(ml_json_fmt_double(out, -INFINITY), ML_ERANGE);
}

/* The reference the float printer is checked against: the first precision
 * at which printf's correctly rounded %e, or its neighbour one unit away,
 * reads back (slow, obviously right). Digits without trailing zeros. */
static void ref_shortest(double a, char dig[24], int *exp10)
{
    char buf[64], cand[64];
    for (int prec = 0; prec <= 16; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec, a);
        size_t n = 0;
        const char *q = buf;
        for (; *q != 'e'; q++)
            if (*q >= '0' && *q <= '9')
                dig[n++] = *q;
        dig[n] = 0;
        *exp10 = atoi(q + 1);
        for (int step = 0; step < 3; step++) {
            char d2[24];
            memcpy(d2, dig, n + 1);
            uint64_t m = strtoull(d2, NULL, 10) + (uint64_t)(step == 1) - (uint64_t)(step == 2);
            int e2 = *exp10;
            snprintf(d2, sizeof d2, "%llu", (unsigned long long)m);
            e2 += (int)strlen(d2) - (int)n;  /* carried (or borrowed) a digit */
            snprintf(cand, sizeof cand, "%se%d", d2, e2 - (int)strlen(d2) + 1);
            if (strtod(cand, NULL) == a) {
                memcpy(dig, d2, strlen(d2) + 1);
                *exp10 = e2;
                goto found;
            }
        }
    }
found:
    for (size_t n = strlen(dig); n > 1 && dig[n - 1] == '0'; n--)
        dig[n - 1] = 0;
}

/* The significant digits and decimal exponent of a repr like 1.5e-07. */
static void repr_digits(const char *repr, char dig[24], int *exp10)
{
    size_t n = 0;
    int point = -1, lead = 0;
    const char *q = repr[0] == '-' ? repr + 1 : repr;
    for (; *q && *q != 'e'; q++) {
        if (*q == '.') {
            point = (int)n + lead;
        } else if (n == 0 && *q == '0') {
            lead++;
        } else {
            dig[n++] = *q;
        }
    }
    dig[n] = 0;
    if (point < 0)
        point = (int)n + lead;  /* no point: it follows the last digit */
    while (n > 1 && dig[n - 1] == '0')
        dig[--n] = 0;
    *exp10 = (*q ? atoi(q + 1) : 0) + point - lead - 1;
}

static void check_shortest(double d)
{
    char repr[32], want[24], got[24];
    int we, ge;
    if (d == 0)
        return;  /* 0.0 and -0.0 are fixed cases above */
    assert_int_equal(ml_json_fmt_double(repr, d), 0);
    assert_true(strtod(repr, NULL) == d);
    ref_shortest(fabs(d), want, &we);
    repr_digits(repr, got, &ge);
    if (strcmp(want, got) != 0 || we != ge)
        fprintf(stderr, "%a: repr %s, reference %se%d\n", d, repr, want, we);
    assert_string_equal(got, want);
    assert_int_equal(ge, we);
}

/* Every power of two with its neighbours (where the gap below halves), the
 * subnormals' ends, and random bit patterns (seed printed). */
static void test_float_shortest(void **state)
{
    (void)state;
    for (int k = -1074; k <= 1023; k++) {
        double p = ldexp(1.0, k);
        check_shortest(p);
        check_shortest(nextafter(p, 0));
        check_shortest(nextafter(p, INFINITY));
    }
    check_shortest(DBL_MAX);
    check_shortest(DBL_MIN);
    check_shortest(nextafter(DBL_MIN, 0));
    uint64_t rng = tu_seed();
    for (int i = 0; i < 20000; i++) {
        uint64_t bits = tu_rand(&rng);
        double d;
        memcpy(&d, &bits, sizeof d);
        if (isfinite(d) && d != 0)
            check_shortest(d);
        check_shortest((double)tu_rand_below(&rng, 1000000) / 1000.0);
    }
}

static void expect_canon_text(const char *text, int want_ret, const char *want)
{
    ml_buf out = ML_BUF_INIT;
    char err[256] = "";
    int r = ml_json_canon_text(&out, text, strlen(text), err, sizeof err);
    if (r != want_ret)
        fprintf(stderr, "%s: got %d (%s)\n", text, r, err);
    assert_int_equal(r, want_ret);
    if (want)
        assert_string_equal(ml_buf_str(&out), want);
    else
        assert_true(out.len == 0 && strlen(err) > 0);
    ml_buf_free(&out);
}

static void test_numbers_text(void **state)
{
    (void)state;
    expect_canon_text("1e16", 0, "1e+16");
    expect_canon_text("1E5", 0, "100000.0");
    expect_canon_text("9999999999999998.0", 0, "9999999999999998.0");
    expect_canon_text("-0.0", 0, "-0.0");
    expect_canon_text("-0", 0, "0");
    expect_canon_text("1e-400", 0, "0.0");
    expect_canon_text("0.1000000000000000055511151231257827", 0, "0.1");
    expect_canon_text("9223372036854775807", 0, "9223372036854775807");
    expect_canon_text("-9223372036854775808", 0, "-9223372036854775808");
    expect_canon_text("[9223372036854775808]", ML_ERANGE, NULL);
    expect_canon_text("-9223372036854775809", ML_ERANGE, NULL);
    expect_canon_text("1e400", ML_ERANGE, NULL);
    expect_canon_text("NaN", ML_EMALFORMED, NULL);
    expect_canon_text("[1, Infinity]", ML_EMALFORMED, NULL);
    expect_canon_text("-Infinity", ML_EMALFORMED, NULL);
}

static void test_int_limits(void **state)
{
    (void)state;
    json_t *v = json_pack("[I,I,I]", (json_int_t)INT64_MIN, (json_int_t)INT64_MAX,
                          (json_int_t)0);
    ml_buf out = ML_BUF_INIT;
    assert_int_equal(ml_json_canon(&out, v, NULL, 0), 0);
    assert_string_equal(ml_buf_str(&out), "[-9223372036854775808,9223372036854775807,0]");
    int64_t x;
    ml_span s = {(const char *)out.p + 1, 20};
    assert_int_equal(ml_json_int_value(s, &x), 0);
    assert_true(x == INT64_MIN);
    s = (ml_span){(const char *)out.p + 22, 19};
    assert_int_equal(ml_json_int_value(s, &x), 0);
    assert_true(x == INT64_MAX);
    ml_buf_free(&out);
    json_decref(v);
}

static void test_range_error_says_where(void **state)
{
    (void)state;
    const char *text = "{\"a\":\n[1, 99999999999999999999]}";
    char err[256] = "";
    ml_buf out = ML_BUF_INIT;
    assert_int_equal(ml_json_canon_text(&out, text, strlen(text), err, sizeof err),
                     ML_ERANGE);
    assert_non_null(strstr(err, "line 2"));
    assert_non_null(strstr(err, "column"));
    assert_null(ml_json_parse(text, strlen(text), err, sizeof err));
    assert_int_equal(out.len, 0);
    ml_buf_free(&out);
}

/* ---- strings and refusals ----------------------------------------------- */

static void expect_str(const char *raw, size_t len, const char *want)
{
    ml_buf out = ML_BUF_INIT;
    assert_int_equal(ml_json_put_str(&out, raw, len), 0);
    assert_string_equal(ml_buf_str(&out), want);
    ml_buf_free(&out);
}

static void test_escapes(void **state)
{
    (void)state;
    expect_str("", 0, "\"\"");
    expect_str("a/b", 3, "\"a/b\"");
    expect_str("\"\\\b\f\n\r\t", 7, "\"\\\"\\\\\\b\\f\\n\\r\\t\"");
    expect_str("\x01\x1f\x7f ~", 5, "\"\\u0001\\u001f\\u007f ~\"");
    expect_str("a\0b", 3, "\"a\\u0000b\"");
    expect_str("caf\xc3\xa9", 5, "\"caf\\u00e9\"");
    expect_str("\xe4\xb8\xad", 3, "\"\\u4e2d\"");
    expect_str("\xef\xbb\xbf", 3, "\"\\ufeff\"");
    expect_str("\xf0\x9f\x98\x80", 4, "\"\\ud83d\\ude00\"");
    expect_str("\xf4\x8f\xbf\xbf", 4, "\"\\udbff\\udfff\"");
}

/* Strings longer than the encoder's 4 KiB chunks, with sequences across the
 * chunk edges, encode and decode back exactly; a bad byte at the far end
 * still leaves the buffer as it was. */
static void test_long_string(void **state)
{
    (void)state;
    static const char unit[] = "a\xc3\xa9\xf0\x9f\x98\x80\n";     /* 8 bytes */
    static const char unit_esc[] = "a\\u00e9\\ud83d\\ude00\\n";
    ml_buf raw = ML_BUF_INIT, want = ML_BUF_INIT, got = ML_BUF_INIT, back = ML_BUF_INIT;
    assert_int_equal(ml_buf_puts(&raw, "xx"), 0);
    assert_int_equal(ml_buf_puts(&want, "\"xx"), 0);
    for (int i = 0; i < 1500; i++) {
        assert_int_equal(ml_buf_puts(&raw, unit), 0);
        assert_int_equal(ml_buf_puts(&want, unit_esc), 0);
    }
    assert_int_equal(ml_buf_putc(&want, '"'), 0);
    assert_int_equal(ml_json_put_str(&got, (const char *)raw.p, raw.len), 0);
    assert_int_equal(got.len, want.len);
    assert_memory_equal(got.p, want.p, want.len);
    ml_span lit = {(const char *)got.p, got.len};
    assert_true(ml_json_is_string(lit));
    assert_int_equal(ml_json_str_decode(lit, &back), 0);
    assert_int_equal(back.len, raw.len);
    assert_memory_equal(back.p, raw.p, raw.len);
    assert_int_equal(ml_buf_putc(&raw, 0xc3), 0);  /* truncated sequence at the end */
    ml_buf_reset(&got);
    assert_int_equal(ml_json_put_str(&got, (const char *)raw.p, raw.len), ML_EMALFORMED);
    assert_int_equal(got.len, 0);
    ml_buf_free(&raw);
    ml_buf_free(&want);
    ml_buf_free(&got);
    ml_buf_free(&back);
}

/* The raw strings of strings.canonical, by field: put_str must give the very
 * bytes Python wrote for payload.value. */
static const struct {
    const char *field, *raw;
} python_strings[] = {
    {"s02", "quote\" backslash\\ slash/"},
    {"s03", "tab\tnl\ncr\rbs\bff\f"},
    {"s04", "ctl\x01\x1f del\x7f"},
    {"s05", "caf\xc3\xa9"},
    {"s06", "\xe4\xb8\xad\xe6\x96\x87"},
    {"s07", "emoji \xf0\x9f\x98\x80 \xf0\x9f\xa7\xad"},
    {"s08", "nbsp\xc2\xa0 line\xe2\x80\xa8sep"},
    {"s09", "\xef\xbb\xbf" "bom"},
    {"s10", "<script>&amp;</script>"},
    {"s11", "\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf"},
};

static void check_python_string(ml_span event)
{
    ml_span payload, field, value;
    ml_buf fname = ML_BUF_INIT, enc = ML_BUF_INIT, dec = ML_BUF_INIT;
    assert_int_equal(ml_json_get(event, "payload", &payload), 0);
    if (ml_json_get(payload, "field", &field) != 0 ||
        ml_json_get(payload, "value", &value) != 0)
        return;
    assert_int_equal(ml_json_str_decode(field, &fname), 0);
    for (size_t i = 0; i < sizeof python_strings / sizeof python_strings[0]; i++) {
        if (strcmp(ml_buf_str(&fname), python_strings[i].field) != 0)
            continue;
        const char *raw = python_strings[i].raw;
        assert_int_equal(ml_json_put_str(&enc, raw, strlen(raw)), 0);
        assert_int_equal(enc.len, value.len);
        assert_memory_equal(enc.p, value.p, value.len);
        assert_int_equal(ml_json_str_decode(value, &dec), 0);
        assert_string_equal(ml_buf_str(&dec), raw);
    }
    ml_buf_free(&fname);
    ml_buf_free(&enc);
    ml_buf_free(&dec);
}

static void test_python_strings(void **state)
{
    (void)state;
    size_t len;
    char *data = tu_read_file(tu_shared(SEED_DIR "/strings.canonical"), &len);
    int events = 0;
    for (char *p = data, *nl; p < data + len; p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(data + len - p));
        if (!nl)
            nl = data + len;
        if (nl - p > 33) {
            check_python_string((ml_span){p + 33, (size_t)(nl - p - 33)});
            events++;
        }
    }
    assert_true(events >= 12);
    free(data);
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "\xff", "\x80", "\xc0\xaf", "\xc3", "\xe0\x80\xaf", "\xed\xa0\x80",
        "\xf4\x90\x80\x80", "\xf0\x9f\x98", "ok\xc3(",
    };
    ml_buf out = ML_BUF_INIT;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(ml_json_put_str(&out, bad[i], strlen(bad[i])), ML_EMALFORMED);
        assert_int_equal(out.len, 0);
        char text[32];
        snprintf(text, sizeof text, "[\"%s\"]", bad[i]);
        expect_canon_text(text, ML_EMALFORMED, NULL);
    }
    expect_canon_text("\"\\ud800\"", ML_EMALFORMED, NULL);      /* lone surrogates */
    expect_canon_text("\"\\udc00x\"", ML_EMALFORMED, NULL);
    expect_canon_text("\"\\ud83d\\ude00\\u0000\"", 0, "\"\\ud83d\\ude00\\u0000\"");
    expect_canon_text("{\"a\\u0000b\":1}", ML_EMALFORMED, NULL); /* NUL in a key */
    expect_canon_text("\"tab\there\"", ML_EMALFORMED, NULL);     /* raw control */
    expect_canon_text("[1,]", ML_EMALFORMED, NULL);
    expect_canon_text("1 2", ML_EMALFORMED, NULL);
    expect_canon_text(" {\"b\" : 1, \"a\":[ ]} ", 0, "{\"a\":[],\"b\":1}");
    ml_buf_free(&out);
}

static void test_canon_error_path(void **state)
{
    (void)state;
    char err[256] = "";
    ml_buf out = ML_BUF_INIT;
    json_t *v = json_pack("{s:{s:[i,s,o]}}", "payload", "value", 1, "ok",
                          json_string_nocheck("bad\xff"));
    assert_int_equal(ml_json_canon(&out, v, err, sizeof err), ML_EMALFORMED);
    assert_string_equal(err, "payload.value[2]: string is not valid UTF-8");
    assert_int_equal(out.len, 0);
    json_decref(v);

    v = json_object();
    json_object_setn_new(v, "a\0b", 3, json_true());
    assert_int_equal(ml_json_canon(&out, v, err, sizeof err), ML_EMALFORMED);
    assert_non_null(strstr(err, "NUL in object key"));
    json_decref(v);

    assert_int_equal(ml_json_canon(&out, NULL, err, sizeof err), ML_EINVAL);
    ml_buf_free(&out);
}

static void test_key_order(void **state)
{
    (void)state;
    /* code point order, which is UTF-8 byte order; a prefix sorts first */
    json_t *v = json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:i}", "b", 1, "a", 2, "\xc3\xa9", 3,
                          "z", 4, "\xf0\x9f\x98\x80", 5, "ab", 6, "\xef\xbf\xbf", 7);
    ml_buf out = ML_BUF_INIT;
    assert_int_equal(ml_json_canon(&out, v, NULL, 0), 0);
    assert_string_equal(ml_buf_str(&out), "{\"a\":2,\"ab\":6,\"b\":1,\"z\":4,\"\\u00e9\":3,"
                                          "\"\\uffff\":7,\"\\ud83d\\ude00\":5}");
    json_decref(v);
    ml_buf_reset(&out);
    /* more keys than the small on-stack table, in reverse order */
    v = json_object();
    for (int i = 99; i >= 0; i--) {
        char k[16];
        snprintf(k, sizeof k, "k%02d", i);
        json_object_set_new(v, k, json_integer(i));
    }
    assert_int_equal(ml_json_canon(&out, v, NULL, 0), 0);
    assert_int_equal(strncmp(ml_buf_str(&out), "{\"k00\":0,\"k01\":1,", 17), 0);
    assert_non_null(strstr(ml_buf_str(&out), "\"k98\":98,\"k99\":99}"));
    json_decref(v);
    ml_buf_free(&out);
}

/* ---- scanner ------------------------------------------------------------ */

static void expect_get(const char *obj, const char *key, int want_ret, const char *want)
{
    ml_span v = {NULL, 0};
    int r = ml_json_get(span_of(obj), key, &v);
    assert_int_equal(r, want_ret);
    if (want_ret == 0) {
        assert_int_equal(v.len, strlen(want));
        assert_memory_equal(v.p, want, v.len);
    }
}

static void test_scanner_get(void **state)
{
    (void)state;
    const char *ev = "{\"author\":\"t\\u00e9am\",\"hlc\":[1764000000000,0],\"kind\":\"x\","
                     "\"payload\":{\"a\":\"}\",\"b\":[\"]\",{\"c\":\"\\\"\"}]},\"seq\":1}";
    expect_get(ev, "author", 0, "\"t\\u00e9am\"");
    expect_get(ev, "hlc", 0, "[1764000000000,0]");
    expect_get(ev, "payload", 0, "{\"a\":\"}\",\"b\":[\"]\",{\"c\":\"\\\"\"}]}");
    expect_get(ev, "seq", 0, "1");
    expect_get(ev, "a", ML_ENOTFOUND, NULL);
    expect_get(ev, "", ML_ENOTFOUND, NULL);
    expect_get("{}", "a", ML_ENOTFOUND, NULL);
    expect_get("{\"\":1}", "", 0, "1");
    /* keys with escapes compare by their decoded bytes */
    expect_get("{\"caf\\u00e9\":1,\"q\\\"\":2,\"a\\\\b\":3,\"\\ud83d\\ude00\":4}", "caf\xc3\xa9",
               0, "1");
    expect_get("{\"q\\\"\":2}", "q\"", 0, "2");
    expect_get("{\"a\\\\b\":3}", "a\\b", 0, "3");
    expect_get("{\"a\\bc\":3}", "a\\bc", ML_ENOTFOUND, NULL);
    expect_get("{\"\\ud83d\\ude00\":4}", "\xf0\x9f\x98\x80", 0, "4");
    expect_get("{\"\\ud83d\":4}", "\xed\xa0\xbd", ML_ENOTFOUND, NULL);
    /* not an object, or broken anywhere before the key is found */
    static const char *const bad[] = {
        "[1]", "\"a\"", "1", "", "{", "{\"a\":1", "{\"x\":}", "{\"x\" 1}",
        "{\"x\":1 ,\"a\":2}", "{\"x\":[1,\"a\":2}", "{\"x\":\"abc}", "{\"x\":1}}", "{\"x\\",
        "{x:1}", "{\"x\":1\"a\":2}", "{\"x\":1,}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_get(bad[i], "a", ML_EMALFORMED, NULL);
    ml_span v;
    assert_int_equal(ml_json_get((ml_span){NULL, 0}, "a", &v), ML_EMALFORMED);
    assert_int_equal(ml_json_get(span_of("{}"), NULL, &v), ML_EINVAL);
    assert_int_equal(ml_json_get(span_of("{}"), "a", NULL), ML_EINVAL);
}

static void test_scanner_types(void **state)
{
    (void)state;
    static const char *const ints[] = {"0", "-0", "7", "-12", "9223372036854775807"};
    static const char *const not_ints[] = {"", "-", "01", "-01", "1.0", "1e5", "\"1\"",
                                           "1 ", "+1", "true", "0x1"};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        assert_true(ml_json_is_int(span_of(ints[i])));
    for (size_t i = 0; i < sizeof not_ints / sizeof not_ints[0]; i++)
        assert_false(ml_json_is_int(span_of(not_ints[i])));
    assert_false(ml_json_is_int((ml_span){NULL, 0}));

    static const char *const strs[] = {"\"\"", "\"a\"", "\"\\\"\"", "\"\\\\\""};
    static const char *const not_strs[] = {"", "\"", "\"a", "\"\\\"", "\"a\"b", "1", "[\"a\"]",
                                           "\"a\"\"b\""};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        assert_true(ml_json_is_string(span_of(strs[i])));
    for (size_t i = 0; i < sizeof not_strs / sizeof not_strs[0]; i++)
        assert_false(ml_json_is_string(span_of(not_strs[i])));
    assert_false(ml_json_is_string((ml_span){NULL, 0}));
}

static void test_scanner_int_value(void **state)
{
    (void)state;
    int64_t x = 5;
    assert_int_equal(ml_json_int_value(span_of("-9223372036854775808"), &x), 0);
    assert_true(x == INT64_MIN);
    assert_int_equal(ml_json_int_value(span_of("9223372036854775807"), &x), 0);
    assert_true(x == INT64_MAX);
    assert_int_equal(ml_json_int_value(span_of("-0"), &x), 0);
    assert_true(x == 0);
    assert_int_equal(ml_json_int_value(span_of("1764000000000"), &x), 0);
    assert_true(x == 1764000000000);
    assert_int_equal(ml_json_int_value(span_of("9223372036854775808"), &x), ML_ERANGE);
    assert_int_equal(ml_json_int_value(span_of("-9223372036854775809"), &x), ML_ERANGE);
    assert_int_equal(ml_json_int_value(span_of("99999999999999999999999"), &x), ML_ERANGE);
    assert_int_equal(ml_json_int_value(span_of("1.5"), &x), ML_EINVAL);
    assert_int_equal(ml_json_int_value(span_of("\"1\""), &x), ML_EINVAL);
    assert_int_equal(ml_json_int_value((ml_span){NULL, 0}, &x), ML_EINVAL);
}

static void expect_decode(const char *lit, int want_ret, const char *want, size_t want_len)
{
    ml_buf out = ML_BUF_INIT;
    assert_int_equal(ml_buf_puts(&out, ">"), 0);
    int r = ml_json_str_decode(span_of(lit), &out);
    if (r != want_ret)
        fprintf(stderr, "decode %s: %d\n", lit, r);
    assert_int_equal(r, want_ret);
    if (r == 0) {
        assert_int_equal(out.len, want_len + 1);
        assert_memory_equal(out.p + 1, want, want_len);
        assert_int_equal(out.p[out.len], 0);  /* NUL-terminated */
    } else {
        assert_string_equal(ml_buf_str(&out), ">");  /* nothing appended */
    }
    ml_buf_free(&out);
}

static void test_scanner_decode(void **state)
{
    (void)state;
    expect_decode("\"\"", 0, "", 0);
    expect_decode("\"plain\"", 0, "plain", 5);
    expect_decode("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", 0, "\"\\/\b\f\n\r\t", 8);
    expect_decode("\"caf\\u00e9 \\u4E2D\"", 0, "caf\xc3\xa9 \xe4\xb8\xad", 9);
    expect_decode("\"\\ud83d\\ude00!\"", 0, "\xf0\x9f\x98\x80!", 5);
    expect_decode("\"a\\u0000b\"", 0, "a\0b", 3);
    expect_decode("\"\\u007f\\u0001\"", 0, "\x7f\x01", 2);
    expect_decode("\"raw \xc3\xa9\"", 0, "raw \xc3\xa9", 6);
    expect_decode("plain", ML_EINVAL, NULL, 0);
    expect_decode("", ML_EINVAL, NULL, 0);
    expect_decode("1", ML_EINVAL, NULL, 0);
    static const char *const bad[] = {
        "\"", "\"abc", "\"abc\\\"", "\"a\"b", "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"",
        "\"\\ud800\"", "\"\\ud800x\"", "\"\\ud800\\u0041\"", "\"\\udc00\"", "\"\\ud83d\\ude0\"",
        "\"tab\t\"", "\"\\", "\"\\u",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_decode(bad[i], ML_EMALFORMED, NULL, 0);
}

static void test_scanner_iter(void **state)
{
    (void)state;
    ml_json_iter it;
    ml_span k, v;
    const char *arr = "[1,\"a,]\",[2,3],{},{\"x\":[]}]";
    static const char *const items[] = {"1", "\"a,]\"", "[2,3]", "{}", "{\"x\":[]}"};
    assert_int_equal(ml_json_iter_init(&it, span_of(arr)), 0);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(ml_json_iter_next(&it, &k, &v), 1);
        assert_int_equal(k.len, 0);
        assert_int_equal(v.len, strlen(items[i]));
        assert_memory_equal(v.p, items[i], v.len);
    }
    assert_int_equal(ml_json_iter_next(&it, &k, &v), 0);
    assert_int_equal(ml_json_iter_next(&it, &k, &v), 0);

    assert_int_equal(ml_json_iter_init(&it, span_of("{\"a\":1,\"b\":{\"c\":2}}")), 0);
    assert_int_equal(ml_json_iter_next(&it, &k, &v), 1);
    assert_memory_equal(k.p, "\"a\"", 3);
    assert_int_equal(ml_json_iter_next(&it, NULL, &v), 1);
    assert_memory_equal(v.p, "{\"c\":2}", v.len);
    assert_int_equal(ml_json_iter_next(&it, &k, &v), 0);

    assert_int_equal(ml_json_iter_init(&it, span_of("{}")), 0);
    assert_int_equal(ml_json_iter_next(&it, &k, &v), 0);
    assert_int_equal(ml_json_iter_init(&it, span_of("[]")), 0);
    assert_int_equal(ml_json_iter_next(&it, &k, &v), 0);
    static const char *const bad_init[] = {"", "[", "{", "1", "[1}", "\"[]\""};
    for (size_t i = 0; i < sizeof bad_init / sizeof bad_init[0]; i++)
        assert_int_equal(ml_json_iter_init(&it, span_of(bad_init[i])), ML_EMALFORMED);
    static const char *const bad_next[] = {"[1,]", "[,1]", "[1 2]", "[1]]", "{\"a\"}", "{1:2}"};
    for (size_t i = 0; i < sizeof bad_next / sizeof bad_next[0]; i++) {
        assert_int_equal(ml_json_iter_init(&it, span_of(bad_next[i])), 0);
        int r;
        while ((r = ml_json_iter_next(&it, &k, &v)) == 1)
            ;
        assert_int_equal(r, ML_EMALFORMED);
        assert_int_equal(ml_json_iter_next(&it, &k, &v), ML_EMALFORMED);  /* stays broken */
    }
    assert_int_equal(ml_json_iter_init(&it, span_of("[1]")), 0);
    assert_int_equal(ml_json_iter_next(&it, &k, NULL), ML_EINVAL);
}

/* ---- round-trip property over random values ----------------------------- */

static json_t *random_value(uint64_t *rng, int depth);

static json_t *random_string(uint64_t *rng)
{
    static const char *const pieces[] = {
        "a", "Z", " ", "\"", "\\", "/", "\b", "\n", "\x01", "\x1f", "\x7f", "~",
        "\xc3\xa9", "\xe4\xb8\xad", "\xe2\x80\xa8", "\xef\xbf\xbf", "\xf0\x9f\x98\x80",
        "\xf4\x8f\xbf\xbf", "\xed\x9f\xbf", "\xee\x80\x80",
    };
    char buf[128];
    size_t n = 0, count = (size_t)tu_rand_below(rng, 12);
    for (size_t i = 0; i < count; i++) {
        const char *p = pieces[tu_rand_below(rng, sizeof pieces / sizeof pieces[0])];
        memcpy(buf + n, p, strlen(p));
        n += strlen(p);
    }
    if (tu_rand_below(rng, 8) == 0)
        buf[n++] = 0;  /* strings (not keys) may hold NUL */
    return json_stringn(buf, n);
}

static json_t *random_number(uint64_t *rng)
{
    uint64_t bits = tu_rand(rng);
    switch (tu_rand_below(rng, 4)) {
    case 0:
        return json_integer((json_int_t)bits);
    case 1:
        return json_integer((json_int_t)tu_rand_below(rng, 2000) - 1000);
    case 2: {
        double d;
        memcpy(&d, &bits, sizeof d);
        return json_real(isfinite(d) ? d : 0.5);
    }
    default:
        return json_real((double)(int64_t)tu_rand_below(rng, 100000) /
                         (double)(1 + tu_rand_below(rng, 1000)));
    }
}

static json_t *random_container(uint64_t *rng, int depth, int obj)
{
    json_t *c = obj ? json_object() : json_array();
    size_t n = (size_t)tu_rand_below(rng, 6);
    for (size_t i = 0; i < n; i++) {
        json_t *v = random_value(rng, depth + 1);
        if (!obj) {
            json_array_append_new(c, v);
            continue;
        }
        json_t *k = random_string(rng);
        const char *ks = json_string_value(k);
        json_object_setn_new(c, ks, strlen(ks), v);
        json_decref(k);
    }
    return c;
}

static json_t *random_value(uint64_t *rng, int depth)
{
    uint64_t kind = tu_rand_below(rng, depth > 4 ? 6 : 8);
    switch (kind) {
    case 0: return json_null();
    case 1: return json_boolean(tu_rand_below(rng, 2));
    case 2:
    case 3: return random_number(rng);
    case 4:
    case 5: return random_string(rng);
    default: return random_container(rng, depth, kind == 6);
    }
}

/* Every scanner view of a canonical object agrees with jansson's. */
static void check_scanner_agrees(const ml_buf *canon, const json_t *v)
{
    ml_span obj = {(const char *)canon->p, canon->len}, k, val;
    ml_json_iter it;
    ml_buf key = ML_BUF_INIT, enc = ML_BUF_INIT;
    assert_int_equal(ml_json_iter_init(&it, obj), 0);
    while (ml_json_iter_next(&it, &k, &val) == 1) {
        ml_span got;
        ml_buf_reset(&key);
        assert_int_equal(ml_json_str_decode(k, &key), 0);
        assert_non_null(json_object_getn(v, (const char *)key.p, key.len));
        assert_int_equal(ml_json_get(obj, (const char *)key.p, &got), 0);
        assert_true(got.p == val.p && got.len == val.len);
        ml_buf_reset(&enc);
        assert_int_equal(ml_json_canon(&enc, json_object_getn(v, (const char *)key.p, key.len),
                                       NULL, 0), 0);
        assert_int_equal(enc.len, val.len);
        assert_memory_equal(enc.p, val.p, val.len);
    }
    ml_buf_free(&key);
    ml_buf_free(&enc);
}

static void check_round_trip(const json_t *v)
{
    ml_buf a = ML_BUF_INIT, b = ML_BUF_INIT, pretty = ML_BUF_INIT;
    char err[256] = "";
    assert_int_equal(ml_json_canon(&a, v, err, sizeof err), 0);
    assert_int_equal(ml_json_canon_text(&b, (const char *)a.p, a.len, err, sizeof err), 0);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.p, b.p, a.len);
    assert_int_equal(ml_json_pretty(&pretty, (const char *)a.p, a.len, 1), 0);
    ml_buf_reset(&b);
    assert_int_equal(ml_json_canon_text(&b, (const char *)pretty.p, pretty.len, err,
                                        sizeof err), 0);
    assert_memory_equal(a.p, b.p, a.len);
    if (json_is_object(v))
        check_scanner_agrees(&a, v);
    ml_buf_free(&a);
    ml_buf_free(&b);
    ml_buf_free(&pretty);
}

static void test_round_trip_random(void **state)
{
    (void)state;
    uint64_t rng = tu_seed();
    for (int i = 0; i < 3000; i++) {
        json_t *v = random_container(&rng, 0, i % 4 != 0);
        check_round_trip(v);
        json_decref(v);
    }
}

/* ml_json_get_many finds, in one pass, exactly what ml_json_get finds key by
 * key: first occurrences, escaped keys, members before a malformed tail. */
static void test_get_many_matches_get(void **state)
{
    (void)state;
    const char *objs[] = {
        "{\"by\":\"x\",\"form\":{\"a\":[1,2]},\"record_id\":\"R\"}",
        "{\"record_id\":\"A\",\"record_id\":\"B\",\"value\":null}",
        "{\"f\\u0069eld\":\"k\",\"value\":1.5}",
        "{\"value\":3,\"text\":\"t\" , bad}",
        "{}",
        "[1,2]",
        "{\"text\":",
    };
    const char *keys[] = {"record_id", "form", "by", "field", "value", "text"};
    for (size_t o = 0; o < sizeof objs / sizeof objs[0]; o++) {
        ml_span obj = {objs[o], strlen(objs[o])}, vals[6], v;
        unsigned found = 0;
        ml_json_get_many(obj, keys, 6, vals, &found);
        for (int i = 0; i < 6; i++) {
            int got = ml_json_get(obj, keys[i], &v) == 0;
            assert_int_equal(got, (found >> i) & 1);
            if (got) {
                assert_int_equal(v.len, vals[i].len);
                assert_ptr_equal(v.p, vals[i].p);
            }
        }
    }
    ml_span vals[1];
    unsigned found;
    assert_int_equal(ml_json_get_many((ml_span){"{}", 2}, keys, 33, vals, &found), ML_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_canonical),
        cmocka_unit_test(test_seed_views),
        cmocka_unit_test(test_pretty_shapes),
        cmocka_unit_test(test_pretty_refuses),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_float_repr),
        cmocka_unit_test(test_float_shortest),
        cmocka_unit_test(test_numbers_text),
        cmocka_unit_test(test_int_limits),
        cmocka_unit_test(test_range_error_says_where),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_long_string),
        cmocka_unit_test(test_python_strings),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_canon_error_path),
        cmocka_unit_test(test_key_order),
        cmocka_unit_test(test_scanner_get),
        cmocka_unit_test(test_scanner_types),
        cmocka_unit_test(test_scanner_int_value),
        cmocka_unit_test(test_scanner_decode),
        cmocka_unit_test(test_scanner_iter),
        cmocka_unit_test(test_round_trip_random),
        cmocka_unit_test(test_get_many_matches_get),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
