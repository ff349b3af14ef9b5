// SPDX-License-Identifier: MIT
// libFuzzer target for src/core/json.c. Arbitrary bytes go through
// ml_json_canon_text; whatever it accepts must be a fixed point (canonical
// text re-parses and re-encodes to the same bytes), must pretty-print to text
// that canonicalizes back to it, and must read the same through the scanner
// as through jansson. Any disagreement abort()s. The scanner and the pretty
// printer also get the raw bytes, where they must fail cleanly, never crash,
// and the first 8 bytes, read as a double, must print as a repr that reads
// back to the very same double.
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meshlog/buf.h"
#include "meshlog/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond)
{
    if (!cond)
        abort();
}

static void canon_of(ml_buf *out, const char *text, size_t len)
{
    ml_buf_reset(out);
    require(ml_json_canon_text(out, text, len, NULL, 0) == 0);
}

/* A string span decodes, and re-encodes to the very same literal. */
static void check_string(ml_span v, ml_buf *tmp, ml_buf *tmp2)
{
    ml_buf_reset(tmp);
    ml_buf_reset(tmp2);
    require(ml_json_str_decode(v, tmp) == 0);
    require(ml_json_put_str(tmp2, (const char *)tmp->p, tmp->len) == 0);
    require(tmp2->len == v.len && memcmp(tmp2->p, v.p, v.len) == 0);
}

static void check_scalar(ml_span v, ml_buf *tmp, ml_buf *tmp2)
{
    int64_t x;
    if (ml_json_is_string(v))
        check_string(v, tmp, tmp2);
    if (ml_json_is_int(v))
        require(ml_json_int_value(v, &x) == 0);
}

/* Walk every member and element: keys decode and are found again by
 * ml_json_get; every value re-canonicalizes to itself. */
static void check_container(ml_span c, ml_buf *tmp, ml_buf *tmp2, int depth)
{
    ml_json_iter it;
    ml_span k, v, got;
    int r;
    require(ml_json_iter_init(&it, c) == 0);
    while ((r = ml_json_iter_next(&it, &k, &v)) == 1) {
        if (k.len) {
            check_string(k, tmp, tmp2);
            require(strlen((const char *)tmp->p) == tmp->len);  /* no NUL in keys */
            require(ml_json_get(c, (const char *)tmp->p, &got) == 0);
            require(got.p == v.p && got.len == v.len);
        }
        if (v.len && (v.p[0] == '{' || v.p[0] == '[') && depth < 64)
            check_container(v, tmp, tmp2, depth + 1);
        else
            check_scalar(v, tmp, tmp2);
    }
    require(r == 0);
}

/* Exercise the scanner and pretty printer on raw bytes: any answer is fine,
 * as long as it comes back without a crash. */
static void poke_raw(const char *text, size_t len, ml_buf *tmp)
{
    ml_span s = {text, len}, v;
    ml_json_iter it;
    int64_t x;
    ml_buf_reset(tmp);
    (void)ml_json_pretty(tmp, text, len, 1);
    (void)ml_json_get(s, "a", &v);
    (void)ml_json_is_string(s);
    (void)ml_json_int_value(s, &x);
    ml_buf_reset(tmp);
    (void)ml_json_str_decode(s, tmp);
    if (ml_json_iter_init(&it, s) == 0)
        while (ml_json_iter_next(&it, NULL, &v) == 1)
            ;
}

static void check_double(const uint8_t *data, size_t size)
{
    double d, back;
    char repr[32];
    if (size < sizeof d)
        return;
    memcpy(&d, data, sizeof d);
    if (!isfinite(d)) {
        require(ml_json_fmt_double(repr, d) != 0);
        return;
    }
    require(ml_json_fmt_double(repr, d) == 0);
    back = strtod(repr, NULL);
    require(memcmp(&back, &d, sizeof d) == 0);  /* -0.0 keeps its sign too */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ml_buf a = ML_BUF_INIT, b = ML_BUF_INIT, pretty = ML_BUF_INIT;
    ml_buf tmp = ML_BUF_INIT, tmp2 = ML_BUF_INIT;
    const char *text = (const char *)data;
    poke_raw(text, size, &tmp);
    check_double(data, size);
    if (ml_json_canon_text(&a, text, size, NULL, 0) != 0)
        goto out;
    canon_of(&b, (const char *)a.p, a.len);
    require(a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
    require(ml_json_pretty(&pretty, (const char *)a.p, a.len, 0) == 0);
    canon_of(&b, (const char *)pretty.p, pretty.len);
    require(a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
    ml_span whole = {(const char *)a.p, a.len};
    if (a.p[0] == '{' || a.p[0] == '[')
        check_container(whole, &tmp, &tmp2, 0);
    else
        check_scalar(whole, &tmp, &tmp2);
out:
    ml_buf_free(&a);
    ml_buf_free(&b);
    ml_buf_free(&pretty);
    ml_buf_free(&tmp);
    ml_buf_free(&tmp2);
    return 0;
}
