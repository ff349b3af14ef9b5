// SPDX-License-Identifier: MIT
// msgpack encoder and bounded reader for the Reticulum stack (see rns_msgpack.h).
// The encoder mirrors the form choices of the reference's umsgpack, because
// peers hash and sign some of these bytes (resource advertisements, requests),
// so "a valid encoding" is not enough: it must be the same encoding. The reader
// accepts every form the reference reads and decodes the one-byte tag through
// a table of the c0..df range; each length is checked against the bytes left
// before it is used, and nothing is allocated.
#include <string.h>

#include "meshlog/error.h"
#include "meshlog/rns_msgpack.h"

/* ---- encoder ---------------------------------------------------------------- */

static void be_store(uint8_t *w, uint64_t v, size_t n)
{
    for (size_t i = n; i-- > 0; v >>= 8)
        w[i] = (uint8_t)v;
}

/* Appends tag, an n-byte big-endian value, then payload, all or nothing. */
static int put_tagged(ml_buf *b, uint8_t tag, uint64_t v, size_t n, const void *payload,
                      size_t plen)
{
    uint8_t h[9];
    h[0] = tag;
    be_store(h + 1, v, n);
    if (plen > SIZE_MAX - 1 - n || ml_buf_reserve(b, 1 + n + plen))
        return ML_ENOMEM;
    ml_buf_append(b, h, 1 + n);   /* cannot fail after the reserve */
    return ml_buf_append(b, payload, plen);
}

int rns_mp_put_nil(ml_buf *b) { return put_tagged(b, 0xc0, 0, 0, NULL, 0); }

int rns_mp_put_bool(ml_buf *b, bool v) { return put_tagged(b, v ? 0xc3 : 0xc2, 0, 0, NULL, 0); }

int rns_mp_put_uint(ml_buf *b, uint64_t v)
{
    if (v < 0x80)
        return put_tagged(b, (uint8_t)v, 0, 0, NULL, 0);
    if (v <= UINT8_MAX)
        return put_tagged(b, 0xcc, v, 1, NULL, 0);
    if (v <= UINT16_MAX)
        return put_tagged(b, 0xcd, v, 2, NULL, 0);
    if (v <= UINT32_MAX)
        return put_tagged(b, 0xce, v, 4, NULL, 0);
    return put_tagged(b, 0xcf, v, 8, NULL, 0);
}

int rns_mp_put_int(ml_buf *b, int64_t v)
{
    if (v >= 0)
        return rns_mp_put_uint(b, (uint64_t)v);
    /* Two's complement bits of v, truncated by be_store to the width. */
    uint64_t bits = (uint64_t)v;
    if (v >= -32)
        return put_tagged(b, (uint8_t)bits, 0, 0, NULL, 0);
    if (v >= INT8_MIN)
        return put_tagged(b, 0xd0, bits, 1, NULL, 0);
    if (v >= INT16_MIN)
        return put_tagged(b, 0xd1, bits, 2, NULL, 0);
    if (v >= INT32_MIN)
        return put_tagged(b, 0xd2, bits, 4, NULL, 0);
    return put_tagged(b, 0xd3, bits, 8, NULL, 0);
}

int rns_mp_put_float(ml_buf *b, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return put_tagged(b, 0xcb, bits, 8, NULL, 0);
}

/* A length-prefixed family: fixed form below fix_lim, then 8/16/32-bit forms
 * (op8 0 where the family has no 8-bit form). */
typedef struct len_family {
    uint8_t fix;
    size_t fix_lim;
    uint8_t op8, op16, op32;
} len_family;

static const len_family fam_str = {0xa0, 32, 0xd9, 0xda, 0xdb};
static const len_family fam_bin = {0x00, 0, 0xc4, 0xc5, 0xc6};
static const len_family fam_array = {0x90, 16, 0x00, 0xdc, 0xdd};
static const len_family fam_map = {0x80, 16, 0x00, 0xde, 0xdf};

static int put_family(ml_buf *b, const len_family *f, size_t n, const void *payload,
                      size_t plen)
{
    if (n < f->fix_lim)
        return put_tagged(b, (uint8_t)(f->fix | n), 0, 0, payload, plen);
    if (f->op8 && n <= UINT8_MAX)
        return put_tagged(b, f->op8, n, 1, payload, plen);
    if (n <= UINT16_MAX)
        return put_tagged(b, f->op16, n, 2, payload, plen);
    if (n <= UINT32_MAX)
        return put_tagged(b, f->op32, n, 4, payload, plen);
    return ML_ETOOBIG;
}

int rns_mp_put_str(ml_buf *b, const char *s, size_t len)
{
    return put_family(b, &fam_str, len, s, len);
}

int rns_mp_put_cstr(ml_buf *b, const char *s)
{
    return rns_mp_put_str(b, s, strlen(s));
}

int rns_mp_put_bin(ml_buf *b, const void *data, size_t len)
{
    return put_family(b, &fam_bin, len, data, len);
}

int rns_mp_put_array(ml_buf *b, size_t count)
{
    return put_family(b, &fam_array, count, NULL, 0);
}

int rns_mp_put_map(ml_buf *b, size_t count)
{
    return put_family(b, &fam_map, count, NULL, 0);
}

/* ---- reader ------------------------------------------------------------------ */

void rns_mp_reader_init(rns_mp_reader *r, const void *data, size_t len)
{
    r->p = data;
    r->len = data ? len : 0;
    r->off = 0;
}

size_t rns_mp_remaining(const rns_mp_reader *r)
{
    return r->len - r->off;
}

/* How a tag in c0..df reads: what it is, and the width of its value or length
 * field (fixext: the payload size). BAD marks c1, the never-used tag. */
enum { K_BAD, K_NIL, K_FALSE, K_TRUE, K_BIN, K_EXT, K_FIXEXT, K_F32, K_F64, K_UINT,
       K_INT, K_STR, K_ARRAY, K_MAP };

static const struct {
    uint8_t kind;
    uint8_t width;
} tags[32] = {
    {K_NIL, 0},    {K_BAD, 0},    {K_FALSE, 0},  {K_TRUE, 0},   /* c0-c3 */
    {K_BIN, 1},    {K_BIN, 2},    {K_BIN, 4},                   /* c4-c6 */
    {K_EXT, 1},    {K_EXT, 2},    {K_EXT, 4},                   /* c7-c9 */
    {K_F32, 4},    {K_F64, 8},                                  /* ca-cb */
    {K_UINT, 1},   {K_UINT, 2},   {K_UINT, 4},   {K_UINT, 8},   /* cc-cf */
    {K_INT, 1},    {K_INT, 2},    {K_INT, 4},    {K_INT, 8},    /* d0-d3 */
    {K_FIXEXT, 1}, {K_FIXEXT, 2}, {K_FIXEXT, 4}, {K_FIXEXT, 8}, /* d4-d7 */
    {K_FIXEXT, 16},                                             /* d8 */
    {K_STR, 1},    {K_STR, 2},    {K_STR, 4},                   /* d9-db */
    {K_ARRAY, 2},  {K_ARRAY, 4},  {K_MAP, 2},    {K_MAP, 4},    /* dc-df */
};

/* A position in the input; every read checks the bytes left first. */
typedef struct cursor {
    const uint8_t *p;
    size_t len;
    size_t off;
} cursor;

static int take_be(cursor *c, size_t n, uint64_t *v)
{
    if (n > c->len - c->off)
        return ML_EMALFORMED;
    *v = 0;
    for (size_t i = 0; i < n; i++)
        *v = *v << 8 | c->p[c->off++];
    return 0;
}

static int take_bytes(cursor *c, uint64_t n, rns_mp_item *it)
{
    if (n > c->len - c->off)
        return ML_EMALFORMED;
    it->data = c->p + c->off;
    it->len = (size_t)n;
    c->off += (size_t)n;
    return 0;
}

/* Strict UTF-8 as Python decodes it: no overlongs, surrogates or > U+10FFFF. */
static bool utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t k = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1
                 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 9;
        if (k == 9 || k > n - i - 1)
            return false;
        uint8_t lo = 0x80, hi = 0xbf;   /* bounds of the second byte */
        if (c == 0xe0) lo = 0xa0;
        if (c == 0xed) hi = 0x9f;
        if (c == 0xf0) lo = 0x90;
        if (c == 0xf4) hi = 0x8f;
        for (size_t j = 1; j <= k; j++) {
            uint8_t t = s[i + j];
            if (t < (j == 1 ? lo : 0x80) || t > (j == 1 ? hi : 0xbf))
                return false;
        }
        i += k + 1;
    }
    return true;
}

static int64_t sign_extend(uint64_t raw, size_t width)
{
    uint64_t sign = (uint64_t)1 << (8 * width - 1);
    uint64_t mask = sign * 2 - 1;   /* wraps to all ones for width 8 */
    if (!(raw & sign))
        return (int64_t)raw;
    return -(int64_t)(~raw & mask) - 1;
}

static void set_int(rns_mp_item *it, int64_t v)
{
    if (v < 0) {
        it->type = RNS_MP_INT;
        it->i = v;
    } else {
        it->type = RNS_MP_UINT;
        it->u = (uint64_t)v;
    }
}

static void set_float(rns_mp_item *it, uint64_t bits, size_t width)
{
    it->type = RNS_MP_FLOAT;
    if (width == 4) {
        uint32_t b32 = (uint32_t)bits;
        float f;
        memcpy(&f, &b32, sizeof f);
        it->f = (double)f;
    } else {
        memcpy(&it->f, &bits, sizeof it->f);
    }
}

/* A container promising more elements than bytes left is certainly bad; this
 * also lets callers loop over count without trusting it further. */
static int set_container(cursor *c, rns_mp_item *it, rns_mp_type type, uint64_t count)
{
    uint64_t min_bytes = type == RNS_MP_MAP ? 2 * count : count;
    if (min_bytes > c->len - c->off)
        return ML_EMALFORMED;
    it->type = type;
    it->count = (uint32_t)count;
    return 0;
}

static int read_ext(cursor *c, rns_mp_item *it, uint64_t len)
{
    uint64_t t;
    int ret = take_be(c, 1, &t);
    if (ret)
        return ret;
    it->type = RNS_MP_EXT;
    it->ext_type = (int8_t)sign_extend(t, 1);
    return take_bytes(c, len, it);
}

static int read_str(cursor *c, rns_mp_item *it, uint64_t len)
{
    int ret = take_bytes(c, len, it);
    if (ret)
        return ret;
    it->type = RNS_MP_STR;
    return utf8_valid(it->data, it->len) ? 0 : ML_EMALFORMED;
}

/* Tags c0..df: a table lookup, then the width-sized field, then the rest. */
static int read_tagged(cursor *c, uint8_t tag, rns_mp_item *it)
{
    uint8_t kind = tags[tag - 0xc0].kind, width = tags[tag - 0xc0].width;
    uint64_t v = 0;
    if (kind == K_BAD || (kind != K_FIXEXT && take_be(c, width, &v)))
        return ML_EMALFORMED;
    switch (kind) {
    case K_NIL: it->type = RNS_MP_NIL; return 0;
    case K_FALSE:
    case K_TRUE: it->type = RNS_MP_BOOL; it->b = kind == K_TRUE; return 0;
    case K_BIN: it->type = RNS_MP_BIN; return take_bytes(c, v, it);
    case K_EXT: return read_ext(c, it, v);
    case K_FIXEXT: return read_ext(c, it, width);
    case K_F32:
    case K_F64: set_float(it, v, width); return 0;
    case K_UINT: it->type = RNS_MP_UINT; it->u = v; return 0;
    case K_INT: set_int(it, sign_extend(v, width)); return 0;
    case K_STR: return read_str(c, it, v);
    case K_ARRAY: return set_container(c, it, RNS_MP_ARRAY, v);
    case K_MAP: return set_container(c, it, RNS_MP_MAP, v);
    }
    return ML_EMALFORMED;
}

static int read_item(cursor *c, rns_mp_item *it)
{
    memset(it, 0, sizeof *it);
    if (c->off >= c->len)
        return ML_EMALFORMED;
    uint8_t tag = c->p[c->off++];
    if (tag <= 0x7f || tag >= 0xe0) {   /* positive and negative fixint */
        set_int(it, tag <= 0x7f ? tag : (int64_t)tag - 256);
        return 0;
    }
    if (tag >= 0xc0)
        return read_tagged(c, tag, it);
    if (tag >= 0xa0)
        return read_str(c, it, tag & 0x1fu);
    if (tag >= 0x90)
        return set_container(c, it, RNS_MP_ARRAY, tag & 0x0fu);
    return set_container(c, it, RNS_MP_MAP, tag & 0x0fu);
}

int rns_mp_peek(const rns_mp_reader *r, rns_mp_item *it)
{
    if (!r || !it)
        return ML_EINVAL;
    cursor c = {r->p, r->len, r->off};
    return read_item(&c, it);
}

int rns_mp_next(rns_mp_reader *r, rns_mp_item *it)
{
    if (!r || !it)
        return ML_EINVAL;
    cursor c = {r->p, r->len, r->off};
    int ret = read_item(&c, it);
    if (ret == 0)
        r->off = c.off;
    return ret;
}

int rns_mp_get_raw(rns_mp_reader *r, const uint8_t **p, size_t *len)
{
    int ret = ML_EINVAL;
    if (!r || !p || !len)
        goto out;
    cursor c = {r->p, r->len, r->off};
    /* Values still owed; each item read consumes at least one byte. */
    uint64_t pending = 1;
    while (pending > 0) {
        rns_mp_item it;
        ret = read_item(&c, &it);
        if (ret)
            goto out;
        pending--;
        if (it.type == RNS_MP_ARRAY)
            pending += it.count;
        else if (it.type == RNS_MP_MAP)
            pending += 2 * (uint64_t)it.count;
    }
    *p = r->p + r->off;
    *len = c.off - r->off;
    r->off = c.off;
    ret = 0;
out:
    return ret;
}

int rns_mp_skip(rns_mp_reader *r)
{
    const uint8_t *p;
    size_t len;
    return rns_mp_get_raw(r, &p, &len);
}

/* Reads the next item if it has the wanted type; the reader moves only then. */
static int get_typed(rns_mp_reader *r, rns_mp_type want, rns_mp_item *it)
{
    if (!r)
        return ML_EINVAL;
    cursor c = {r->p, r->len, r->off};
    int ret = read_item(&c, it);
    if (ret == 0 && it->type != want)
        ret = ML_EMALFORMED;
    if (ret == 0)
        r->off = c.off;
    return ret;
}

int rns_mp_get_nil(rns_mp_reader *r)
{
    rns_mp_item it;
    return get_typed(r, RNS_MP_NIL, &it);
}

int rns_mp_get_bool(rns_mp_reader *r, bool *v)
{
    rns_mp_item it;
    int ret = get_typed(r, RNS_MP_BOOL, &it);
    if (ret == 0)
        *v = it.b;
    return ret;
}

/* Integers come as UINT or INT depending on sign; check the range before
 * moving, so a caller may retry with the other getter. */
static int get_integer(rns_mp_reader *r, rns_mp_item *it)
{
    if (!r)
        return ML_EINVAL;
    int ret = rns_mp_peek(r, it);
    if (ret == 0 && it->type != RNS_MP_UINT && it->type != RNS_MP_INT)
        ret = ML_EMALFORMED;
    return ret;
}

int rns_mp_get_uint(rns_mp_reader *r, uint64_t *v)
{
    rns_mp_item it;
    int ret = get_integer(r, &it);
    if (ret == 0 && it.type == RNS_MP_INT)
        ret = ML_ERANGE;
    if (ret == 0) {
        *v = it.u;
        ret = rns_mp_next(r, &it);
    }
    return ret;
}

int rns_mp_get_int(rns_mp_reader *r, int64_t *v)
{
    rns_mp_item it;
    int ret = get_integer(r, &it);
    if (ret == 0 && it.type == RNS_MP_UINT && it.u > INT64_MAX)
        ret = ML_ERANGE;
    if (ret == 0) {
        *v = it.type == RNS_MP_INT ? it.i : (int64_t)it.u;
        ret = rns_mp_next(r, &it);
    }
    return ret;
}

int rns_mp_get_float(rns_mp_reader *r, double *v)
{
    rns_mp_item it;
    int ret = get_typed(r, RNS_MP_FLOAT, &it);
    if (ret == 0)
        *v = it.f;
    return ret;
}

int rns_mp_get_str(rns_mp_reader *r, const char **s, size_t *len)
{
    rns_mp_item it;
    int ret = get_typed(r, RNS_MP_STR, &it);
    if (ret == 0) {
        *s = (const char *)it.data;
        *len = it.len;
    }
    return ret;
}

int rns_mp_get_bin(rns_mp_reader *r, const uint8_t **p, size_t *len)
{
    rns_mp_item it;
    int ret = get_typed(r, RNS_MP_BIN, &it);
    if (ret == 0) {
        *p = it.data;
        *len = it.len;
    }
    return ret;
}

int rns_mp_get_array(rns_mp_reader *r, uint32_t *count)
{
    rns_mp_item it;
    int ret = get_typed(r, RNS_MP_ARRAY, &it);
    if (ret == 0)
        *count = it.count;
    return ret;
}

int rns_mp_get_map(rns_mp_reader *r, uint32_t *count)
{
    rns_mp_item it;
    int ret = get_typed(r, RNS_MP_MAP, &it);
    if (ret == 0)
        *count = it.count;
    return ret;
}
