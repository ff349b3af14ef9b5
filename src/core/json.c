// SPDX-License-Identifier: MIT
// Canonical JSON as Python writes it, byte for byte: the encoder behind every
// event id (json.dumps(sort_keys=True, separators=(",", ":"))), the indent=2
// re-printer behind `meshlog view`, and an allocation-free scanner that reads
// fields back out of canonical text on the ingest path. Parsing is jansson's;
// encoding, pretty printing and scanning are ours, because jansson's own dumps
// differ from Python's (float repr, escapes). See include/meshlog/json.h.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meshlog/error.h"
#include "meshlog/json.h"

static const char hexdig[] = "0123456789abcdef";

/* Restore a buffer to an earlier length, so a failed append leaves no trace. */
static void buf_truncate(ml_buf *b, size_t len)
{
    b->len = len;
    if (b->p)
        b->p[len] = 0;
}

/* ======================================================================
 * Strings: ensure_ascii escaping
 * ====================================================================== */

/* The short escapes Python's encoder uses; other controls become \u00XX. */
static const char esc_short[128] = {
    ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r',
    ['\t'] = 't', ['"'] = '"',  ['\\'] = '\\',
};

/* Bytes of input escaped per reserve(), so huge strings do not need 6x their
 * size reserved in one go. */
#define STR_CHUNK 4096

static char *put_u(char *o, uint32_t u)
{
    o[0] = '\\';
    o[1] = 'u';
    o[2] = hexdig[(u >> 12) & 15];
    o[3] = hexdig[(u >> 8) & 15];
    o[4] = hexdig[(u >> 4) & 15];
    o[5] = hexdig[u & 15];
    return o + 6;
}

static char *put_ascii(char *o, uint8_t c)
{
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
        *o++ = (char)c;
    } else if (esc_short[c]) {
        *o++ = '\\';
        *o++ = esc_short[c];
    } else {
        o = put_u(o, c);  /* other controls and DEL (\u007f), as Python */
    }
    return o;
}

/* Code points above the BMP become a UTF-16 surrogate pair, as in Python. */
static char *put_cp(char *o, uint32_t cp)
{
    if (cp < 0x10000)
        return put_u(o, cp);
    cp -= 0x10000;
    o = put_u(o, 0xd800 | (cp >> 10));
    return put_u(o, 0xdc00 | (cp & 0x3ff));
}

/* Decode one UTF-8 sequence at s (s[0] >= 0x80, n bytes available). Returns
 * its length, or 0 when invalid: truncated, overlong, a surrogate, or above
 * U+10FFFF. Strict, because Python could not have produced such text. */
static size_t utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
    uint8_t c = s[0];
    size_t len;
    uint32_t v, min;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2, v = c & 0x1fu, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, v = c & 0x0fu, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, v = c & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3fu);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

/* Escape input from *sp up to stop (a final multi-byte sequence may run past
 * it, up to end) into the space already reserved in out. */
static int escape_chunk(ml_buf *out, const uint8_t **sp, const uint8_t *stop,
                        const uint8_t *end)
{
    const uint8_t *s = *sp;
    char *o = (char *)out->p + out->len;
    int ret = 0;
    while (s < stop) {
        if (*s < 0x80) {
            o = put_ascii(o, *s++);
            continue;
        }
        uint32_t cp;
        size_t n = utf8_decode(s, (size_t)(end - s), &cp);
        if (!n) {
            ret = ML_EMALFORMED;
            break;
        }
        o = put_cp(o, cp);
        s += n;
    }
    out->len = (size_t)(o - (char *)out->p);
    *sp = s;
    return ret;
}

int ml_json_put_str(ml_buf *out, const char *utf8, size_t len)
{
    size_t start = out->len;
    const uint8_t *s = (const uint8_t *)utf8, *end = s + len;
    int ret = ml_buf_putc(out, '"');
    while (ret == 0 && s < end) {
        size_t chunk = (size_t)(end - s) < STR_CHUNK ? (size_t)(end - s) : STR_CHUNK;
        /* 6 output bytes per input byte at most, plus one 4-byte sequence
         * straddling the chunk end (12 bytes as a surrogate pair). */
        ret = ml_buf_reserve(out, chunk * 6 + 12);
        if (ret == 0)
            ret = escape_chunk(out, &s, s + chunk, end);
    }
    if (ret == 0)
        ret = ml_buf_putc(out, '"');
    if (ret)
        buf_truncate(out, start);
    return ret;
}

/* ======================================================================
 * Numbers: Python's int and float repr
 * ====================================================================== */

/* Decimal int64 into o (at least 21 bytes); returns the length. */
static size_t fmt_int(char *o, int64_t v)
{
    char tmp[24];
    size_t n = 0, len = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        o[len++] = '-';
    while (n)
        o[len++] = tmp[--n];
    return len;
}

/* Shortest round-trip digits, exactly as Python's repr (David Gay's dtoa,
 * mode 0) picks them: the free-format algorithm of Burger and Dybvig
 * ("Printing Floating-Point Numbers Quickly and Accurately", 1996) over small
 * bignums. Exact integer arithmetic, so no libc float formatting, no locale,
 * and about ten times faster than searching with snprintf + strtod. */

/* 40 x 32 bits: the largest operand is about 2^1130 (the smallest subnormal
 * scaled by 10^323, or DBL_MAX with its scale). */
#define BN_LIMBS 40

typedef struct bn {
    uint32_t d[BN_LIMBS];  /* little-endian limbs */
    size_t n;              /* limbs in use; d[n-1] != 0 unless n == 0 */
} bn;

static void bn_set(bn *a, uint64_t v)
{
    a->n = 0;
    for (; v; v >>= 32)
        a->d[a->n++] = (uint32_t)v;
}

static void bn_mul_small(bn *a, uint32_t m)
{
    uint64_t carry = 0;
    for (size_t i = 0; i < a->n; i++) {
        uint64_t t = (uint64_t)a->d[i] * m + carry;
        a->d[i] = (uint32_t)t;
        carry = t >> 32;
    }
    if (carry && a->n < BN_LIMBS)
        a->d[a->n++] = (uint32_t)carry;
}

static void bn_mul_pow10(bn *a, int k)
{
    static const uint32_t p10[] = {1, 10, 100, 1000, 10000, 100000, 1000000,
                                   10000000, 100000000};
    for (; k >= 9; k -= 9)
        bn_mul_small(a, 1000000000u);
    if (k > 0)
        bn_mul_small(a, p10[k]);
}

static void bn_shl(bn *a, unsigned bits)
{
    size_t limbs = bits / 32, sh = bits % 32;
    if (a->n == 0 || a->n + limbs + 1 > BN_LIMBS)
        return;
    a->d[a->n + limbs] = 0;
    for (size_t i = a->n; i-- > 0;) {
        a->d[i + limbs + 1] |= sh ? a->d[i] >> (32 - sh) : 0;
        a->d[i + limbs] = a->d[i] << sh;
    }
    memset(a->d, 0, limbs * sizeof a->d[0]);
    a->n += limbs + 1;
    while (a->n && a->d[a->n - 1] == 0)
        a->n--;
}

static int bn_cmp(const bn *a, const bn *b)
{
    if (a->n != b->n)
        return a->n < b->n ? -1 : 1;
    for (size_t i = a->n; i-- > 0;)
        if (a->d[i] != b->d[i])
            return a->d[i] < b->d[i] ? -1 : 1;
    return 0;
}

static void bn_add(bn *out, const bn *a, const bn *b)
{
    const bn *big = a->n >= b->n ? a : b, *small = big == a ? b : a;
    uint64_t carry = 0;
    for (size_t i = 0; i < big->n; i++) {
        carry += (uint64_t)big->d[i] + (i < small->n ? small->d[i] : 0);
        out->d[i] = (uint32_t)carry;
        carry >>= 32;
    }
    out->n = big->n;
    if (carry && out->n < BN_LIMBS)
        out->d[out->n++] = (uint32_t)carry;
}

/* a -= b, for a >= b. */
static void bn_sub(bn *a, const bn *b)
{
    int64_t borrow = 0;
    for (size_t i = 0; i < a->n; i++) {
        int64_t t = (int64_t)a->d[i] - (i < b->n ? b->d[i] : 0) - borrow;
        borrow = t < 0;
        a->d[i] = (uint32_t)(t + (borrow ? (int64_t)1 << 32 : 0));
    }
    while (a->n && a->d[a->n - 1] == 0)
        a->n--;
}

/* The state of the digit generator: v = r/s, with the round-trip interval
 * (v - mm/s, v + mp/s); its ends belong to it when the significand is even
 * (round-half-even reading), as Python's dtoa assumes. */
typedef struct fpp {
    bn r, s, mp, mm;
    int even;
} fpp;

/* Is v + mp/s at or past 1 (past the next power of ten once scaled)? */
static int fpp_high(const fpp *g, const bn *r)
{
    bn t;
    bn_add(&t, r, &g->mp);
    int c = bn_cmp(&t, &g->s);
    return g->even ? c >= 0 : c > 0;
}

static void fpp_scale_up(fpp *g)
{
    bn_mul_small(&g->r, 10);
    bn_mul_small(&g->mp, 10);
    bn_mul_small(&g->mm, 10);
}

/* v = f * 2^e as r/s with its interval; the gap below is half the gap above
 * when f is the smallest significand of a (normal, not the first) binade. */
static void fpp_init(fpp *g, uint64_t f, int e, int unequal)
{
    unsigned extra = unequal ? 1 : 0;
    g->even = (f & 1) == 0;
    bn_set(&g->r, f << (1 + extra));
    bn_set(&g->s, (uint64_t)2 << extra);
    bn_set(&g->mp, (uint64_t)1 << extra);
    bn_set(&g->mm, 1);
    if (e >= 0) {
        bn_shl(&g->r, (unsigned)e);
        bn_shl(&g->mp, (unsigned)e);
        bn_shl(&g->mm, (unsigned)e);
    } else {
        bn_shl(&g->s, (unsigned)-e);
    }
}

/* Scale so that v = 0.d1d2... x 10^k with d1 != 0; returns k. */
static int fpp_scale(fpp *g, double v)
{
    int k = (int)ceil(log10(v));
    if (k >= 0) {
        bn_mul_pow10(&g->s, k);
    } else {
        bn_mul_pow10(&g->r, -k);
        bn_mul_pow10(&g->mp, -k);
        bn_mul_pow10(&g->mm, -k);
    }
    /* log10 may be off by one near powers of ten: fix it either way */
    while (fpp_high(g, &g->r)) {
        bn_mul_small(&g->s, 10);
        k++;
    }
    for (;;) {
        fpp t = *g;
        fpp_scale_up(&t);
        if (fpp_high(&t, &t.r))
            break;
        *g = t;
        k--;
    }
    return k;
}

/* Generate digits until the remainder falls within the interval; the last
 * digit is the nearer of d and d+1 (ties to even, as dtoa). */
static size_t fpp_digits(fpp *g, char dig[20])
{
    size_t n = 0;
    for (;;) {
        fpp_scale_up(g);
        int d = 0;
        while (bn_cmp(&g->r, &g->s) >= 0) {
            bn_sub(&g->r, &g->s);
            d++;
        }
        int c = bn_cmp(&g->r, &g->mm);
        int low = g->even ? c <= 0 : c < 0, high = fpp_high(g, &g->r);
        if ((!low && !high) && n < 16) {
            dig[n++] = (char)('0' + d);
            continue;
        }
        if (low && high) {
            bn twice;
            bn_add(&twice, &g->r, &g->r);
            c = bn_cmp(&twice, &g->s);
            d += c > 0 || (c == 0 && (d & 1));
        } else if (high) {
            d++;
        }
        dig[n++] = (char)('0' + d);
        return n;
    }
}

/* The shortest significand that reads back as a (> 0, finite): digits only,
 * and the decimal exponent of its first digit. */
static void shortest_digits(double a, char dig[20], size_t *nd, int *exp10)
{
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    unsigned be = (unsigned)(bits >> 52) & 0x7ff;
    uint64_t frac = bits & (((uint64_t)1 << 52) - 1);
    uint64_t f = be ? frac | (uint64_t)1 << 52 : frac;
    int e = be ? (int)be - 1075 : -1074;
    fpp *g = &(fpp){0};
    fpp_init(g, f, e, frac == 0 && be > 1);
    *exp10 = fpp_scale(g, a) - 1;
    *nd = fpp_digits(g, dig);
    while (*nd > 1 && dig[*nd - 1] == '0')
        (*nd)--;
}

/* Python's layout: 1e+16, 1.5e-07 outside [1e-4, 1e16), else 0.0001, 1.0. */
static void float_layout(char *o, int neg, const char *dig, size_t nd, int e)
{
    if (neg)
        *o++ = '-';
    if (e < -4 || e >= 16) {
        *o++ = dig[0];
        if (nd > 1) {
            *o++ = '.';
            memcpy(o, dig + 1, nd - 1);
            o += nd - 1;
        }
        unsigned ae = (unsigned)(e < 0 ? -e : e);
        *o++ = 'e';
        *o++ = e < 0 ? '-' : '+';
        if (ae >= 100)
            *o++ = (char)('0' + ae / 100);
        *o++ = (char)('0' + ae / 10 % 10);
        *o++ = (char)('0' + ae % 10);
    } else if (e < 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = -1; i > e; i--)
            *o++ = '0';
        memcpy(o, dig, nd);
        o += nd;
    } else {
        size_t ip = (size_t)e + 1;  /* digits before the point */
        for (size_t i = 0; i < ip; i++)
            *o++ = i < nd ? dig[i] : '0';
        *o++ = '.';
        if (nd > ip) {
            memcpy(o, dig + ip, nd - ip);
            o += nd - ip;
        } else {
            *o++ = '0';
        }
    }
    *o = 0;
}

int ml_json_fmt_double(char out[32], double d)
{
    if (!isfinite(d)) {
        out[0] = 0;
        return ML_ERANGE;
    }
    char dig[20] = "0";
    size_t nd = 1;
    int e = 0;
    if (d != 0)
        shortest_digits(fabs(d), dig, &nd, &e);
    float_layout(out, signbit(d) != 0, dig, nd, e);
    return 0;
}

/* ======================================================================
 * Canonical encoder over jansson values
 * ====================================================================== */

#define PATH_CAP 160

/* The error path is built innermost-first while unwinding, at the end of
 * path[], so a successful encode never pays for it. */
typedef struct canon_ctx {
    ml_buf *out;
    const char *why;
    char path[PATH_CAP];
    size_t pathlen;      /* the path is path[PATH_CAP - pathlen .. PATH_CAP) */
    int truncated;
} canon_ctx;

typedef struct member {
    const char *key;
    size_t len;
    json_t *val;
} member;

static int canon_value(canon_ctx *c, const json_t *v, int depth);

/* Prepend one path component; unprintable bytes become '?'. */
static void path_prepend(canon_ctx *c, const char *s, size_t n, int dot)
{
    size_t need = n + (dot ? 1 : 0);
    if (c->truncated || n > 64 || need > PATH_CAP - c->pathlen) {
        c->truncated = 1;
        return;
    }
    char *o = c->path + PATH_CAP - c->pathlen - need;
    if (dot)
        *o++ = '.';
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        o[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
    }
    c->pathlen += need;
}

static int member_cmp(const void *a, const void *b)
{
    const member *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->key, y->key, n);
    if (r)
        return r;
    return x->len < y->len ? -1 : x->len > y->len;
}

/* Sort keys by code point (= UTF-8 byte order). Objects parsed from canonical
 * text arrive sorted, and insertion sort is linear on sorted input. */
static void sort_members(member *m, size_t n)
{
    if (n > 64) {
        qsort(m, n, sizeof *m, member_cmp);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        member t = m[i];
        size_t j = i;
        for (; j > 0 && member_cmp(&m[j - 1], &t) > 0; j--)
            m[j] = m[j - 1];
        m[j] = t;
    }
}

static size_t collect_members(const json_t *obj, member *m, size_t cap)
{
    size_t n = 0;
    for (void *it = json_object_iter((json_t *)obj); it && n < cap;
         it = json_object_iter_next((json_t *)obj, it)) {
        m[n].key = json_object_iter_key(it);
        m[n].len = json_object_iter_key_len(it);
        m[n].val = json_object_iter_value(it);
        n++;
    }
    return n;
}

static int canon_member(canon_ctx *c, const member *m, int depth)
{
    int ret = 0;
    if (memchr(m->key, 0, m->len)) {
        c->why = "NUL in object key";
        ret = ML_EMALFORMED;
    } else if ((ret = ml_json_put_str(c->out, m->key, m->len)) != 0) {
        c->why = ret == ML_ENOMEM ? "out of memory" : "key is not valid UTF-8";
    } else if ((ret = ml_buf_putc(c->out, ':')) != 0) {
        c->why = "out of memory";
    } else {
        ret = canon_value(c, m->val, depth);
    }
    if (ret)
        path_prepend(c, m->key, m->len, 1);
    return ret;
}

static int canon_object(canon_ctx *c, const json_t *obj, int depth)
{
    member small[16], *m = small;
    size_t n = json_object_size(obj);
    int ret = 0;
    if (n > 16 && !(m = malloc(n * sizeof *m))) {
        c->why = "out of memory";
        return ML_ENOMEM;
    }
    n = collect_members(obj, m, n);
    sort_members(m, n);
    ret = ml_buf_putc(c->out, '{');
    for (size_t i = 0; i < n && ret == 0; i++) {
        if (i)
            ret = ml_buf_putc(c->out, ',');
        if (ret == 0)
            ret = canon_member(c, &m[i], depth);
    }
    if (ret == 0)
        ret = ml_buf_putc(c->out, '}');
    if (ret == ML_ENOMEM && !c->why)
        c->why = "out of memory";
    if (m != small)
        free(m);
    return ret;
}

static int canon_array(canon_ctx *c, const json_t *arr, int depth)
{
    size_t n = json_array_size(arr);
    int ret = ml_buf_putc(c->out, '[');
    for (size_t i = 0; i < n && ret == 0; i++) {
        if (i)
            ret = ml_buf_putc(c->out, ',');
        if (ret == 0 && (ret = canon_value(c, json_array_get(arr, i), depth)) != 0) {
            char idx[32];
            int k = snprintf(idx, sizeof idx, "[%zu]", i);
            path_prepend(c, idx, (size_t)k, 0);
        }
    }
    if (ret == 0)
        ret = ml_buf_putc(c->out, ']');
    if (ret == ML_ENOMEM && !c->why)
        c->why = "out of memory";
    return ret;
}

static int canon_scalar(canon_ctx *c, const json_t *v)
{
    char tmp[32];
    size_t n = 0;
    int ret = 0;
    switch (json_typeof(v)) {
    case JSON_STRING:
        ret = ml_json_put_str(c->out, json_string_value(v), json_string_length(v));
        if (ret)
            c->why = ret == ML_ENOMEM ? "out of memory" : "string is not valid UTF-8";
        return ret;
    case JSON_INTEGER:
        n = fmt_int(tmp, (int64_t)json_integer_value(v));
        break;
    case JSON_REAL:
        if (ml_json_fmt_double(tmp, json_real_value(v))) {
            c->why = isnan(json_real_value(v)) ? "NaN" : "Infinity";
            return ML_ERANGE;
        }
        n = strlen(tmp);
        break;
    case JSON_TRUE:
        return ml_buf_append(c->out, "true", 4);
    case JSON_FALSE:
        return ml_buf_append(c->out, "false", 5);
    default:
        return ml_buf_append(c->out, "null", 4);
    }
    return ml_buf_append(c->out, tmp, n);
}

static int canon_value(canon_ctx *c, const json_t *v, int depth)
{
    if (!v) {
        c->why = "missing value";
        return ML_EINVAL;
    }
    /* The top-level value is at depth 1, as in jansson's parser. */
    if (depth >= ML_JSON_MAX_DEPTH) {
        c->why = "nested too deeply";
        return ML_EMALFORMED;
    }
    if (json_is_object(v))
        return canon_object(c, v, depth + 1);
    if (json_is_array(v))
        return canon_array(c, v, depth + 1);
    return canon_scalar(c, v);
}

static void canon_error(const canon_ctx *c, int ret, char *err, size_t errlen)
{
    if (!err || !errlen)
        return;
    const char *path = c->path + PATH_CAP - c->pathlen;
    int plen = (int)c->pathlen;
    if (plen && path[0] == '.')
        path++, plen--;
    const char *why = c->why ? c->why : ml_strerror(ret);
    if (plen || c->truncated)
        snprintf(err, errlen, "%s%.*s: %s", c->truncated ? "..." : "", plen, path, why);
    else
        snprintf(err, errlen, "%s", why);
}

int ml_json_canon(ml_buf *out, const json_t *v, char *err, size_t errlen)
{
    canon_ctx c = {.out = out};
    size_t start = out->len;
    int ret = canon_value(&c, v, 0);
    if (ret) {
        buf_truncate(out, start);
        canon_error(&c, ret, err, errlen);
    }
    return ret;
}

/* ======================================================================
 * Parsing (jansson)
 * ====================================================================== */

static int parse_code(const json_error_t *je)
{
    switch (json_error_code(je)) {
    case json_error_numeric_overflow:
        return ML_ERANGE;
    case json_error_out_of_memory:
        return ML_ENOMEM;
    default:
        return ML_EMALFORMED;
    }
}

static json_t *parse(const char *text, size_t len, char *err, size_t errlen, int *code)
{
    json_error_t je;
    json_t *v = NULL;
    *code = ML_EINVAL;
    if (!text && len) {
        if (err && errlen)
            snprintf(err, errlen, "no text");
        return NULL;
    }
    v = json_loadb(text ? text : "", len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (v) {
        *code = 0;
        return v;
    }
    *code = parse_code(&je);
    if (err && errlen)
        snprintf(err, errlen, "line %d, column %d (byte %d): %s", je.line, je.column,
                 je.position, je.text);
    return NULL;
}

json_t *ml_json_parse(const char *text, size_t len, char *err, size_t errlen)
{
    int code;
    return parse(text, len, err, errlen, &code);
}

int ml_json_canon_text(ml_buf *out, const char *text, size_t len, char *err,
                       size_t errlen)
{
    int ret;
    json_t *v = parse(text, len, err, errlen, &ret);
    if (!v)
        goto out;
    ret = ml_json_canon(out, v, err, errlen);
out:
    json_decref(v);
    return ret;
}

/* ======================================================================
 * Token scanning shared by the pretty printer and the scanner
 * ====================================================================== */

/* What each short escape stands for (0: not a short escape). */
static const char unesc_short[128] = {
    ['"'] = '"',  ['\\'] = '\\', ['/'] = '/',  ['b'] = '\b',
    ['f'] = '\f', ['n'] = '\n',   ['r'] = '\r', ['t'] = '\t',
};

static int hex4(const char *p, const char *end)
{
    if (end - p < 4)
        return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char ch = p[i];
        int d = ch >= '0' && ch <= '9'   ? ch - '0'
                : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                         : -1;
        if (d < 0)
            return -1;
        v = v << 4 | d;
    }
    return v;
}

/* A strictly checked canonical string literal at p: escapes must be valid,
 * bytes printable ASCII. Returns the end of the literal or NULL. */
static const char *scan_string(const char *p, const char *end)
{
    if (p >= end || *p != '"')
        return NULL;
    for (p++; p < end; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '"')
            return p + 1;
        if (ch < 0x20 || ch >= 0x7f)
            return NULL;
        if (ch != '\\')
            continue;
        if (++p >= end)
            return NULL;
        if (*p == 'u') {
            if (hex4(p + 1, end) < 0)
                return NULL;
            p += 4;
        } else if ((unsigned char)*p >= 128 || !unesc_short[(unsigned char)*p]) {
            return NULL;
        }
    }
    return NULL;
}

static const char *scan_digits(const char *p, const char *end)
{
    const char *s = p;
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    return p > s ? p : NULL;
}

/* A JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static const char *scan_number(const char *p, const char *end)
{
    if (p < end && *p == '-')
        p++;
    if (p < end && *p == '0')
        p++;
    else if (!(p = scan_digits(p, end)))
        return NULL;
    if (p < end && *p == '.' && !(p = scan_digits(p + 1, end)))
        return NULL;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        p = scan_digits(p, end);
    }
    return p;
}

static const char *scan_literal(const char *p, const char *end)
{
    static const char *const lits[] = {"true", "false", "null"};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(lits[i]);
        if ((size_t)(end - p) >= n && memcmp(p, lits[i], n) == 0)
            return p + n;
    }
    return NULL;
}

static const char *scan_scalar(const char *p, const char *end)
{
    if (p >= end)
        return NULL;
    if (*p == '"')
        return scan_string(p, end);
    if (*p == '-' || (*p >= '0' && *p <= '9'))
        return scan_number(p, end);
    return scan_literal(p, end);
}

/* ======================================================================
 * Pretty printer: json.dumps(indent=2, sort_keys=True) from canonical text
 * ====================================================================== */

typedef struct pretty_ctx {
    ml_buf *out;
    const char *p, *end;
    size_t base;     /* extra indent levels asked for by the caller */
    size_t level;    /* containers open */
    uint64_t is_obj[ML_JSON_MAX_DEPTH / 64];
} pretty_ctx;

/* Room for n more bytes and the NUL, with no call while there is room. */
static int pretty_room(pretty_ctx *c, size_t n)
{
    return c->out->cap - c->out->len > n ? 0 : ml_buf_reserve(c->out, n);
}

static int pretty_put(pretty_ctx *c, const char *s, size_t n)
{
    if (pretty_room(c, n))
        return ML_ENOMEM;
    memcpy(c->out->p + c->out->len, s, n);
    c->out->len += n;
    return 0;
}

/* An optional separator (',' or a bracket), a newline and the indent. */
static int pretty_newline(pretty_ctx *c, char before)
{
    size_t n = 2 * (c->base + c->level);
    if (pretty_room(c, n + 2))
        return ML_ENOMEM;
    uint8_t *o = c->out->p + c->out->len;
    if (before)
        *o++ = (uint8_t)before;
    *o++ = '\n';
    memset(o, ' ', n);
    c->out->len = (size_t)(o + n - c->out->p);
    return 0;
}

static int in_object(const pretty_ctx *c)
{
    size_t i = c->level - 1;
    return (int)((c->is_obj[i / 64] >> (i % 64)) & 1);
}

/* A member key and its colon, printed as `"key": `. */
static int pretty_key(pretty_ctx *c)
{
    const char *q = scan_string(c->p, c->end);
    if (!q || q >= c->end || *q != ':')
        return ML_EMALFORMED;
    int ret = pretty_put(c, c->p, (size_t)(q - c->p));
    if (ret == 0)
        ret = pretty_put(c, ": ", 2);
    c->p = q + 1;
    return ret;
}

/* Open a non-empty container: `{` + newline, then the first key if any. */
static int pretty_open(pretty_ctx *c, int obj)
{
    uint64_t bit = (uint64_t)1 << (c->level % 64);
    if (obj)
        c->is_obj[c->level / 64] |= bit;
    else
        c->is_obj[c->level / 64] &= ~bit;
    c->level++;
    int ret = pretty_newline(c, *c->p++);
    if (ret == 0 && obj)
        ret = pretty_key(c);
    return ret;
}

/* One value: a scalar or an empty container (returns 0), or the opening of
 * a non-empty container (returns 1: its first value is still to come). */
static int pretty_value(pretty_ctx *c)
{
    const char *p = c->p, *end = c->end;
    if (c->level >= ML_JSON_MAX_DEPTH)
        return ML_EMALFORMED;  /* this value would be one level too deep */
    if (p < end && (*p == '{' || *p == '[')) {
        char close = *p == '{' ? '}' : ']';
        if (p + 1 < end && p[1] == close) {
            c->p += 2;
            return pretty_put(c, p, 2);
        }
        int ret = pretty_open(c, *p == '{');
        return ret ? ret : 1;
    }
    const char *q = scan_scalar(p, end);
    if (!q)
        return ML_EMALFORMED;
    c->p = q;
    return pretty_put(c, p, (size_t)(q - p));
}

/* After a value inside a container: a comma (and the next key) or the
 * matching close. Returns 1 when a value must follow, 0 when not. */
static int pretty_after(pretty_ctx *c)
{
    if (c->p >= c->end)
        return ML_EMALFORMED;
    char ch = *c->p++;
    int obj = in_object(c);
    if (ch == ',') {
        int ret = pretty_newline(c, ',');
        if (ret == 0 && obj)
            ret = pretty_key(c);
        return ret ? ret : 1;
    }
    if (ch != (obj ? '}' : ']'))
        return ML_EMALFORMED;
    c->level--;
    int ret = pretty_newline(c, 0);
    return ret ? ret : pretty_put(c, &ch, 1);
}

int ml_json_pretty(ml_buf *out, const char *canon, size_t len, int depth)
{
    pretty_ctx *c = NULL;
    size_t start = out->len;
    int ret = ML_EINVAL;
    if ((!canon && len) || depth < 0 || depth > ML_JSON_MAX_DEPTH)
        goto out;
    ret = ML_ENOMEM;
    if (!(c = calloc(1, sizeof *c)))
        goto out;
    c->out = out;
    c->p = canon ? canon : "";
    c->end = c->p + len;
    c->base = (size_t)depth;
    /* indented output is typically 1.2-1.6x its input: one realloc, not ten */
    if ((ret = ml_buf_reserve(out, len + len / 2)) != 0)
        goto out;
    ret = pretty_value(c);
    while (ret > 0 || (ret == 0 && c->level > 0))
        ret = ret > 0 ? pretty_value(c) : pretty_after(c);
    if (ret == 0 && c->p != c->end)
        ret = ML_EMALFORMED;
out:
    buf_truncate(out, ret ? start : out->len);  /* also NUL-terminates */
    free(c);
    return ret;
}

/* ======================================================================
 * Scanner over canonical text
 * ====================================================================== */

/* Skip a string literal without checking its escapes (the scanner trusts
 * canonical text for content, never for bounds). */
static const char *skip_string(const char *p, const char *end)
{
    const char *start = ++p;
    while ((p = memchr(p, '"', (size_t)(end - p))) != NULL) {
        size_t backslashes = 0;  /* an odd run before it escapes the quote */
        for (const char *q = p; q > start && q[-1] == '\\'; q--)
            backslashes++;
        if (backslashes % 2 == 0)
            return p + 1;
        p++;
    }
    return NULL;
}

/* The bytes skip_container stops at. */
static const uint8_t structural[256] = {
    ['"'] = 1, ['{'] = 1, ['['] = 1, ['}'] = 1, [']'] = 1,
};

static const char *skip_container(const char *p, const char *end)
{
    size_t depth = 0;
    for (;;) {
        while (p < end && !structural[(uint8_t)*p])
            p++;
        if (p >= end)
            return NULL;
        char ch = *p;
        if (ch == '"') {
            if (!(p = skip_string(p, end)))
                return NULL;
            continue;
        }
        if (ch == '{' || ch == '[')
            depth++;
        else if (--depth == 0)
            return p + 1;
        p++;
    }
}

static const char *skip_value(const char *p, const char *end)
{
    if (p >= end)
        return NULL;
    if (*p == '"')
        return skip_string(p, end);
    if (*p == '{' || *p == '[')
        return skip_container(p, end);
    return scan_scalar(p, end);
}

int ml_json_iter_init(ml_json_iter *it, ml_span v)
{
    memset(it, 0, sizeof *it);
    if (!v.p || v.len < 2 || (v.p[0] != '{' && v.p[0] != '['))
        return ML_EMALFORMED;
    it->close = v.p[0] == '{' ? '}' : ']';
    if (v.p[v.len - 1] != it->close)
        return ML_EMALFORMED;
    it->p = v.p + 1;
    it->end = v.p + v.len;
    return 0;
}

/* The key literal and colon of an object member at p; returns what
 * follows the colon, or NULL. */
static const char *iter_key(const char *p, const char *end, ml_span *key)
{
    const char *q = p < end && *p == '"' ? skip_string(p, end) : NULL;
    if (!q || q >= end || *q != ':')
        return NULL;
    if (key)
        *key = (ml_span){p, (size_t)(q - p)};
    return q + 1;
}

/* One item at it->p; NULL if malformed. */
static const char *iter_item(ml_json_iter *it, ml_span *key, ml_span *val)
{
    const char *p = it->p, *q;
    if (it->started && *p++ != ',')
        return NULL;
    if (key)
        *key = (ml_span){NULL, 0};
    if (it->close == '}' && !(p = iter_key(p, it->end, key)))
        return NULL;
    if (!(q = skip_value(p, it->end)))
        return NULL;
    *val = (ml_span){p, (size_t)(q - p)};
    return q;
}

int ml_json_iter_next(ml_json_iter *it, ml_span *key, ml_span *val)
{
    const char *q;
    if (!val)
        return ML_EINVAL;
    if (!it->p || it->p >= it->end)
        return ML_EMALFORMED;
    if (*it->p == it->close) {
        if (it->p + 1 == it->end)
            return 0;
        q = NULL;
    } else {
        q = iter_item(it, key, val);
    }
    it->p = q;  /* NULL: a broken container stays broken on later calls */
    it->started = 1;
    return q ? 1 : ML_EMALFORMED;
}

/* Decode the escape at p (p[0] == '\\') into UTF-8 u[0..*ulen). Returns the
 * bytes consumed, or 0 if malformed (including a lone surrogate, which has no
 * UTF-8 form). */
static size_t unescape(const char *p, const char *end, uint8_t u[4], size_t *ulen)
{
    if (end - p < 2)
        return 0;
    unsigned char e = (unsigned char)p[1];
    if (e < 128 && unesc_short[e]) {
        u[0] = (uint8_t)unesc_short[e];
        *ulen = 1;
        return 2;
    }
    int h = p[1] == 'u' ? hex4(p + 2, end) : -1;
    size_t used = 6;
    uint32_t cp = (uint32_t)h;
    if (h < 0 || (h >= 0xdc00 && h <= 0xdfff))
        return 0;
    if (h >= 0xd800 && h <= 0xdbff) {
        int lo = end - p >= 12 && p[6] == '\\' && p[7] == 'u' ? hex4(p + 8, end) : -1;
        if (lo < 0xdc00 || lo > 0xdfff)
            return 0;
        cp = 0x10000 + (((uint32_t)h - 0xd800) << 10) + ((uint32_t)lo - 0xdc00);
        used = 12;
    }
    if (cp < 0x80) {
        u[0] = (uint8_t)cp, *ulen = 1;
    } else if (cp < 0x800) {
        u[0] = (uint8_t)(0xc0 | cp >> 6), u[1] = (uint8_t)(0x80 | (cp & 0x3f)), *ulen = 2;
    } else if (cp < 0x10000) {
        u[0] = (uint8_t)(0xe0 | cp >> 12), u[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
        u[2] = (uint8_t)(0x80 | (cp & 0x3f)), *ulen = 3;
    } else {
        u[0] = (uint8_t)(0xf0 | cp >> 18), u[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
        u[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f)), u[3] = (uint8_t)(0x80 | (cp & 0x3f));
        *ulen = 4;
    }
    return used;
}

int ml_json_str_decode(ml_span v, ml_buf *out)
{
    if (!v.p || v.len < 1 || v.p[0] != '"')
        return ML_EINVAL;
    size_t start = out->len;
    const char *p = v.p + 1, *end = v.p + v.len;
    int ret = ML_EMALFORMED;
    for (;;) {
        const char *q = p;
        while (q < end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
            q++;
        if ((ret = ml_buf_append(out, p, (size_t)(q - p))) != 0)
            break;
        ret = ML_EMALFORMED;
        if (q >= end || (unsigned char)*q < 0x20)
            break;
        if (*q == '"') {
            ret = q + 1 == end ? 0 : ML_EMALFORMED;
            break;
        }
        uint8_t u[4];
        size_t ulen, used = unescape(q, end, u, &ulen);
        if (!used || (ret = ml_buf_append(out, u, ulen)) != 0)
            break;
        p = q + used;
    }
    if (ret)
        buf_truncate(out, start);
    return ret;
}

/* Does the string literal lit (from skip_string) decode to key[0..klen)? */
static int key_equals(ml_span lit, const char *key, size_t klen)
{
    const char *p = lit.p + 1, *end = lit.p + lit.len - 1;
    if (!memchr(p, '\\', (size_t)(end - p)))
        return (size_t)(end - p) == klen && memcmp(p, key, klen) == 0;
    size_t k = 0;
    while (p < end) {
        if (*p != '\\') {
            if (k >= klen || key[k] != *p)
                return 0;
            k++, p++;
            continue;
        }
        uint8_t u[4];
        size_t ulen, used = unescape(p, end, u, &ulen);
        if (!used || ulen > klen - k || memcmp(key + k, u, ulen) != 0)
            return 0;
        k += ulen, p += used;
    }
    return k == klen;
}

int ml_json_get(ml_span obj, const char *key, ml_span *val)
{
    ml_json_iter it;
    ml_span k, v;
    if (!key || !val)
        return ML_EINVAL;
    size_t klen = strlen(key);
    int ret = ml_json_iter_init(&it, obj);
    if (ret == 0 && it.close != '}')
        ret = ML_EMALFORMED;
    while (ret == 0) {
        int r = ml_json_iter_next(&it, &k, &v);
        if (r <= 0) {
            ret = r ? r : ML_ENOTFOUND;
            break;
        }
        if (key_equals(k, key, klen)) {
            *val = v;
            break;
        }
    }
    return ret;
}

int ml_json_get_many(ml_span obj, const char *const *keys, size_t n, ml_span *vals,
                     unsigned *found)
{
    ml_json_iter it;
    ml_span k, v;
    size_t lens[32];
    unsigned want;
    if (!keys || !vals || !found || n > 32)
        return ML_EINVAL;
    *found = 0;
    want = n == 32 ? ~0u : (1u << n) - 1;
    for (size_t i = 0; i < n; i++)
        lens[i] = strlen(keys[i]);
    int ret = ml_json_iter_init(&it, obj);
    if (ret == 0 && it.close != '}')
        ret = ML_EMALFORMED;
    while (ret == 0 && *found != want) {
        int r = ml_json_iter_next(&it, &k, &v);
        if (r <= 0) {
            ret = r;
            break;
        }
        const char *kp = k.p + 1;
        size_t kl = k.len - 2;
        int plain = !memchr(kp, '\\', kl);   /* the usual case: compare bytes */
        for (size_t i = 0; i < n; i++)
            if (!(*found & (1u << i)) &&
                (plain ? kl == lens[i] && memcmp(kp, keys[i], kl) == 0
                       : key_equals(k, keys[i], lens[i]))) {
                vals[i] = v;
                *found |= 1u << i;
                break;
            }
    }
    return ret;
}

int ml_json_is_string(ml_span v)
{
    return v.p && v.len >= 2 && v.p[0] == '"' && skip_string(v.p, v.p + v.len) == v.p + v.len;
}

int ml_json_is_int(ml_span v)
{
    if (!v.p || !v.len)
        return 0;
    const char *p = v.p, *end = v.p + v.len;
    if (*p == '-')
        p++;
    if (p < end && *p == '0')
        return p + 1 == end;
    return scan_digits(p, end) == end;
}

int ml_json_int_value(ml_span v, int64_t *out)
{
    if (!ml_json_is_int(v))
        return ML_EINVAL;
    int neg = v.p[0] == '-';
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, u = 0;
    for (size_t i = (size_t)neg; i < v.len; i++) {
        uint64_t d = (uint64_t)(v.p[i] - '0');
        if (u > (limit - d) / 10)
            return ML_ERANGE;
        u = u * 10 + d;
    }
    /* -(u - 1) - 1 reaches INT64_MIN without overflowing. */
    *out = neg && u ? -(int64_t)(u - 1) - 1 : (int64_t)u;
    return 0;
}
