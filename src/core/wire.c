// SPDX-License-Identifier: MIT
// Sync messages on the wire. Layout (all integers LEB128 varints unless noted):
//   version(u8) type(u8) body
// HELLO     digest[8] flags(u8)
// FRONTIER  flags(u8) n { author[16] seq }
// EVENTS    flags(u8) nstr { len bytes } nauth { author[16] } nruns
//           { author_idx first_seq count { clock kind_idx value } sig[64] }
// Payloads travel as a small binary JSON whose strings and keys index the
// message's string table; the receiver rebuilds the exact canonical text, so
// ids (and signatures) are recomputed, never sent.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "meshlog/error.h"
#include "meshlog/json.h"
#include "meshlog/wire.h"

/* value tags */
enum {
    V_NULL = 0x00, V_FALSE = 0x01, V_TRUE = 0x02, V_INT = 0x03, V_FLOAT = 0x04,
    V_STR = 0x05, V_ARR = 0x06, V_OBJ = 0x07,
    V_SMALLINT = 0x08,   /* 0x08..0x7f: ints 0..119 */
    V_SMALLSTR = 0x80,   /* 0x80..0xbf: string index 0..63 */
    V_SMALLOBJ = 0xc0,   /* 0xc0..0xcf: object of 0..15 members */
    V_SMALLARR = 0xd0,   /* 0xd0..0xdf: array of 0..15 items */
};
#define SMALLINT_MAX 119
#define MAX_DEPTH 64

int ml_wire_put_varint(ml_buf *out, uint64_t v)
{
    uint8_t b[10];
    size_t n = 0;
    do {
        b[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            b[n] |= 0x80;
        n++;
    } while (v);
    return ml_buf_append(out, b, n);
}

int ml_wire_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    uint64_t r = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        if (*p >= end)
            return ML_EMALFORMED;
        uint8_t b = *(*p)++;
        if (shift == 63 && b > 1)
            return ML_EMALFORMED;   /* beyond 64 bits */
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return 0;
        }
    }
    return ML_EMALFORMED;
}

static uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static int put_header(ml_buf *out, int type)
{
    ml_buf_reset(out);
    uint8_t h[2] = {ML_WIRE_VERSION, (uint8_t)type};
    return ml_buf_append(out, h, 2);
}

int ml_wire_encode_hello(ml_buf *out, const uint8_t digest[8], int flags)
{
    int rc = put_header(out, ML_WIRE_HELLO);
    if (!rc)
        rc = ml_buf_append(out, digest, 8);
    return rc ? rc : ml_buf_putc(out, (uint8_t)flags);
}

int ml_wire_encode_refused(ml_buf *out)
{
    int rc = put_header(out, ML_WIRE_VERSION_REFUSED);
    return rc ? rc : ml_buf_putc(out, ML_WIRE_VERSION);
}

static int put_author(ml_buf *out, const char *hex)
{
    uint8_t b[16];
    if (ml_unhex(b, 16, hex, strlen(hex)))
        return ML_EINVAL;
    return ml_buf_append(out, b, 16);
}

int ml_wire_encode_frontier(ml_buf *out, int flags, const ml_wire_entry *e, size_t n)
{
    int rc = put_header(out, ML_WIRE_FRONTIER);
    if (!rc) rc = ml_buf_putc(out, (uint8_t)flags);
    if (!rc) rc = ml_wire_put_varint(out, n);
    for (size_t i = 0; i < n && !rc; i++) {
        rc = put_author(out, e[i].author);
        if (!rc)
            rc = ml_wire_put_varint(out, (uint64_t)e[i].seq);
    }
    return rc;
}

/* ---- the string table and binary JSON (encoder) ------------------------------- */

typedef struct strtab {
    ml_buf bytes;        /* varint-prefixed strings, as they go on the wire */
    char **s;
    size_t *len;
    size_t n, cap;
} strtab;

static void strtab_free(strtab *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->s[i]);
    free(t->s);
    free(t->len);
    ml_buf_free(&t->bytes);
}

static int strtab_index(strtab *t, const char *s, size_t len, uint64_t *idx)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->len[i] == len && memcmp(t->s[i], s, len) == 0) {
            *idx = i;
            return 0;
        }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 32;
        char **ns = realloc(t->s, cap * sizeof *ns);
        if (ns)
            t->s = ns;
        size_t *nl = ns ? realloc(t->len, cap * sizeof *nl) : NULL;
        if (!nl)
            return ML_ENOMEM;
        t->len = nl;
        t->cap = cap;
    }
    char *c = malloc(len + 1);
    if (!c)
        return ML_ENOMEM;
    memcpy(c, s, len);
    c[len] = 0;
    int rc = ml_wire_put_varint(&t->bytes, len);
    if (!rc)
        rc = ml_buf_append(&t->bytes, s, len);
    if (rc) {
        free(c);
        return rc;
    }
    t->s[t->n] = c;
    t->len[t->n] = len;
    *idx = t->n++;
    return 0;
}

static int enc_string(ml_buf *out, strtab *t, ml_span v, ml_buf *tmp, int as_key)
{
    uint64_t idx;
    ml_buf_reset(tmp);
    int rc = ml_json_str_decode(v, tmp);
    if (!rc)
        rc = strtab_index(t, (const char *)tmp->p, tmp->len, &idx);
    if (rc)
        return rc;
    if (as_key)
        return ml_wire_put_varint(out, idx);
    if (idx < 64)
        return ml_buf_putc(out, (uint8_t)(V_SMALLSTR + idx));
    rc = ml_buf_putc(out, V_STR);
    return rc ? rc : ml_wire_put_varint(out, idx);
}

static int enc_number(ml_buf *out, ml_span v)
{
    int64_t iv;
    if (ml_json_is_int(v)) {
        int rc = ml_json_int_value(v, &iv);
        if (rc)
            return rc;
        if (iv >= 0 && iv <= SMALLINT_MAX)
            return ml_buf_putc(out, (uint8_t)(V_SMALLINT + iv));
        rc = ml_buf_putc(out, V_INT);
        return rc ? rc : ml_wire_put_varint(out, zigzag(iv));
    }
    char text[64], back[32];
    if (v.len >= sizeof text)
        return ML_ERANGE;
    memcpy(text, v.p, v.len);
    text[v.len] = 0;
    double d = strtod(text, NULL);
    /* the receiver prints the double back: it must give these exact bytes */
    if (ml_json_fmt_double(back, d) || strcmp(back, text) != 0)
        return ML_ERANGE;
    uint8_t b[9] = {V_FLOAT};
    memcpy(b + 1, &d, 8);   /* little-endian hosts only: checked at build time below */
    return ml_buf_append(out, b, 9);
}

static int enc_value(ml_buf *out, strtab *t, ml_span v, ml_buf *tmp, int depth);

static int enc_container(ml_buf *out, strtab *t, ml_span v, ml_buf *tmp, int depth)
{
    int is_obj = v.p[0] == '{';
    ml_json_iter it;
    ml_span key, val;
    uint64_t n = 0;
    int r;
    if (depth > MAX_DEPTH)
        return ML_ERANGE;
    if (ml_json_iter_init(&it, v))
        return ML_EMALFORMED;
    while ((r = ml_json_iter_next(&it, NULL, &val)) == 1)
        n++;
    if (r < 0)
        return r;
    int rc = n < 16 ? ml_buf_putc(out, (uint8_t)((is_obj ? V_SMALLOBJ : V_SMALLARR) + n))
                    : ml_buf_putc(out, is_obj ? V_OBJ : V_ARR);
    if (!rc && n >= 16)
        rc = ml_wire_put_varint(out, n);
    ml_json_iter_init(&it, v);
    while (!rc && (r = ml_json_iter_next(&it, &key, &val)) == 1) {
        if (is_obj)
            rc = enc_string(out, t, key, tmp, 1);
        if (!rc)
            rc = enc_value(out, t, val, tmp, depth + 1);
    }
    return rc ? rc : (r < 0 ? r : 0);
}

static int enc_value(ml_buf *out, strtab *t, ml_span v, ml_buf *tmp, int depth)
{
    if (v.len == 0)
        return ML_EMALFORMED;
    switch (v.p[0]) {
    case 'n': return ml_buf_putc(out, V_NULL);
    case 'f': return ml_buf_putc(out, V_FALSE);
    case 't': return ml_buf_putc(out, V_TRUE);
    case '"': return enc_string(out, t, v, tmp, 0);
    case '[':
    case '{': return enc_container(out, t, v, tmp, depth);
    default: return enc_number(out, v);
    }
}

/* ---- EVENTS encoder ----------------------------------------------------------------- */

static int enc_event(ml_buf *body, strtab *t, const ml_event *ev, const ml_event *prev,
                     ml_buf *tmp)
{
    int rc;
    if (!prev) {
        rc = ml_wire_put_varint(body, (uint64_t)ev->hlc.wall);
    } else {
        rc = ml_wire_put_varint(body, zigzag(ev->hlc.wall - prev->hlc.wall));
    }
    if (!rc)
        rc = ml_wire_put_varint(body, (uint64_t)ev->hlc.counter);
    uint64_t kind;
    if (!rc)
        rc = strtab_index(t, ev->kind, strlen(ev->kind), &kind);
    if (!rc)
        rc = ml_wire_put_varint(body, kind);
    if (!rc && (ev->payload_len < 2 || ev->payload[0] != '{'))
        rc = ML_EINVAL;
    if (!rc)
        rc = enc_value(body, t, (ml_span){ev->payload, ev->payload_len}, tmp, 1);
    return rc;
}

static int run_ok(const ml_wire_run *r)
{
    if (r->n == 0 || !r->evs[r->n - 1].has_sig || strlen(r->evs[0].author) != 32)
        return 0;
    for (size_t i = 1; i < r->n; i++)
        if (r->evs[i].seq != r->evs[0].seq + (int64_t)i ||
            strcmp(r->evs[i].author, r->evs[0].author) != 0)
            return 0;
    return 1;
}

/* Index of the run's author in the message's author table, adding it on
 * first use. Authors are few per message: a linear look-up. */
static int author_index(const char **seen, ml_buf *authors, size_t *n_auth, const char *author,
                        uint64_t *idx)
{
    for (size_t k = 0; k < *n_auth; k++)
        if (strcmp(seen[k], author) == 0) {
            *idx = k;
            return 0;
        }
    seen[*n_auth] = author;
    *idx = (*n_auth)++;
    return put_author(authors, author);
}

static int enc_runs(ml_buf *body, strtab *t, ml_buf *authors, size_t *n_auth,
                    const ml_wire_run *runs, size_t n, ml_buf *tmp)
{
    const char **seen = calloc(n + 1, sizeof *seen);
    int rc = seen ? ml_wire_put_varint(body, n) : ML_ENOMEM;
    for (size_t i = 0; i < n && !rc; i++) {
        const ml_wire_run *r = &runs[i];
        uint64_t idx;
        if (!run_ok(r)) {
            rc = ML_EINVAL;
            break;
        }
        rc = author_index(seen, authors, n_auth, r->evs[0].author, &idx);
        if (!rc) rc = ml_wire_put_varint(body, idx);
        if (!rc) rc = ml_wire_put_varint(body, (uint64_t)r->evs[0].seq);
        if (!rc) rc = ml_wire_put_varint(body, r->n);
        for (size_t e = 0; e < r->n && !rc; e++)
            rc = enc_event(body, t, &r->evs[e], e ? &r->evs[e - 1] : NULL, tmp);
        if (!rc)
            rc = ml_buf_append(body, r->evs[r->n - 1].sig, ML_SIG_LEN);
    }
    free(seen);
    return rc;
}

int ml_wire_encode_events(ml_buf *out, int flags, const ml_wire_run *runs, size_t n)
{
    strtab t = {ML_BUF_INIT, NULL, NULL, 0, 0};
    ml_buf body = ML_BUF_INIT, authors = ML_BUF_INIT, tmp = ML_BUF_INIT;
    size_t n_auth = 0;
    int rc = enc_runs(&body, &t, &authors, &n_auth, runs, n, &tmp);
    if (!rc) rc = put_header(out, ML_WIRE_EVENTS);
    if (!rc) rc = ml_buf_putc(out, (uint8_t)flags);
    if (!rc) rc = ml_wire_put_varint(out, t.n);
    if (!rc) rc = ml_buf_append(out, t.bytes.p, t.bytes.len);
    if (!rc) rc = ml_wire_put_varint(out, n_auth);
    if (!rc) rc = ml_buf_append(out, authors.p, authors.len);
    if (!rc) rc = ml_buf_append(out, body.p, body.len);
    strtab_free(&t);
    ml_buf_free(&body);
    ml_buf_free(&authors);
    ml_buf_free(&tmp);
    return rc;
}

/* ---- decoder --------------------------------------------------------------------------- */

typedef struct rd {
    const uint8_t *p, *end;
    const uint8_t **str;     /* string table: pointers into the message */
    size_t *slen;
    size_t nstr;
} rd;

static int rd_varint(rd *r, uint64_t *v)
{
    return ml_wire_get_varint(&r->p, r->end, v);
}

static int rd_count(rd *r, size_t min_each, size_t *n)
{
    uint64_t v;
    if (rd_varint(r, &v))
        return ML_EMALFORMED;
    /* a count can never exceed what the remaining bytes could hold */
    if (min_each && v > (uint64_t)(r->end - r->p) / min_each)
        return ML_EMALFORMED;
    *n = (size_t)v;
    return 0;
}

static int dec_value(rd *r, ml_buf *out, int depth);

static int dec_str(rd *r, ml_buf *out, uint64_t idx)
{
    if (idx >= r->nstr)
        return ML_EMALFORMED;
    return ml_json_put_str(out, (const char *)r->str[idx], r->slen[idx]) ? ML_EMALFORMED : 0;
}

static int key_cmp(rd *r, uint64_t a, uint64_t b)
{
    size_t la = r->slen[a], lb = r->slen[b];
    int c = memcmp(r->str[a], r->str[b], la < lb ? la : lb);
    return c ? c : (la < lb ? -1 : la > lb);
}

static int dec_container(rd *r, ml_buf *out, int is_obj, uint64_t n, int depth)
{
    if (depth > MAX_DEPTH || n > (uint64_t)(r->end - r->p))
        return ML_EMALFORMED;
    int rc = ml_buf_putc(out, is_obj ? '{' : '[');
    uint64_t prev_key = 0;
    for (uint64_t i = 0; i < n && !rc; i++) {
        if (i)
            rc = ml_buf_putc(out, ',');
        if (!rc && is_obj) {
            uint64_t k;
            /* keys must come sorted and unique, or the text is not canonical */
            if (rd_varint(r, &k) || k >= r->nstr || (i && key_cmp(r, prev_key, k) >= 0) ||
                memchr(r->str[k], 0, r->slen[k]))   /* NUL in a key: never canonical */
                return ML_EMALFORMED;
            prev_key = k;
            rc = dec_str(r, out, k);
            if (!rc)
                rc = ml_buf_putc(out, ':');
        }
        if (!rc)
            rc = dec_value(r, out, depth + 1);
    }
    return rc ? rc : ml_buf_putc(out, is_obj ? '}' : ']');
}

static int dec_float(rd *r, ml_buf *out)
{
    double d;
    char text[32];
    if (r->end - r->p < 8)
        return ML_EMALFORMED;
    memcpy(&d, r->p, 8);
    r->p += 8;
    if (ml_json_fmt_double(text, d))
        return ML_EMALFORMED;   /* NaN / infinity */
    return ml_buf_puts(out, text);
}

static int dec_value(rd *r, ml_buf *out, int depth)
{
    uint64_t v;
    if (r->p >= r->end)
        return ML_EMALFORMED;
    uint8_t tag = *r->p++;
    if (tag >= V_SMALLINT && tag < V_SMALLSTR)
        return ml_buf_printf(out, "%d", tag - V_SMALLINT);
    if (tag >= V_SMALLSTR && tag < V_SMALLOBJ)
        return dec_str(r, out, tag - V_SMALLSTR);
    if (tag >= V_SMALLOBJ && tag < V_SMALLARR)
        return dec_container(r, out, 1, tag - V_SMALLOBJ, depth);
    if (tag >= V_SMALLARR && tag < V_SMALLARR + 16)
        return dec_container(r, out, 0, tag - V_SMALLARR, depth);
    switch (tag) {
    case V_NULL: return ml_buf_puts(out, "null");
    case V_FALSE: return ml_buf_puts(out, "false");
    case V_TRUE: return ml_buf_puts(out, "true");
    case V_FLOAT: return dec_float(r, out);
    case V_INT:
        if (rd_varint(r, &v))
            return ML_EMALFORMED;
        return ml_buf_printf(out, "%lld", (long long)unzigzag(v));
    case V_STR:
        return rd_varint(r, &v) ? ML_EMALFORMED : dec_str(r, out, v);
    case V_ARR:
    case V_OBJ:
        return rd_varint(r, &v) ? ML_EMALFORMED : dec_container(r, out, tag == V_OBJ, v, depth);
    default:
        return ML_EMALFORMED;
    }
}

static int dec_strtab(rd *r)
{
    size_t n;
    if (rd_count(r, 1, &n))
        return ML_EMALFORMED;
    r->str = calloc(n + 1, sizeof *r->str);
    r->slen = calloc(n + 1, sizeof *r->slen);
    if (!r->str || !r->slen)
        return ML_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        uint64_t len;
        if (rd_varint(r, &len) || len > (uint64_t)(r->end - r->p))
            return ML_EMALFORMED;
        r->str[i] = r->p;
        r->slen[i] = (size_t)len;
        r->p += len;
    }
    r->nstr = n;
    return 0;
}

static int dec_event(rd *r, ml_event *ev, const ml_event *prev, ml_buf *tmp)
{
    uint64_t wall, counter, kind;
    if (rd_varint(r, &wall) || rd_varint(r, &counter) || rd_varint(r, &kind) ||
        kind >= r->nstr || memchr(r->str[kind], 0, r->slen[kind]))
        return ML_EMALFORMED;
    int64_t w = prev ? prev->hlc.wall + unzigzag(wall) : (int64_t)wall;
    if (w < 0 || counter > INT64_MAX)
        return ML_EMALFORMED;
    ev->hlc.wall = w;
    ev->hlc.counter = (int64_t)counter;
    ev->kind = malloc(r->slen[kind] + 1);
    if (!ev->kind)
        return ML_ENOMEM;
    memcpy(ev->kind, r->str[kind], r->slen[kind]);
    ev->kind[r->slen[kind]] = 0;
    ml_buf_reset(tmp);
    if (r->p >= r->end || (*r->p != V_OBJ && (*r->p & 0xf0) != V_SMALLOBJ))
        return ML_EMALFORMED;   /* a payload is always an object */
    int rc = dec_value(r, tmp, 1);
    if (rc)
        return rc == ML_ENOMEM ? rc : ML_EMALFORMED;
    ev->payload = malloc(tmp->len + 1);
    if (!ev->payload)
        return ML_ENOMEM;
    memcpy(ev->payload, tmp->p, tmp->len + 1);
    ev->payload_len = tmp->len;
    return 0;
}

static int dec_run(rd *r, ml_wire_run *run, const char (*authors)[33], size_t n_auth,
                   ml_buf *tmp)
{
    uint64_t ai, first;
    size_t count;
    if (rd_varint(r, &ai) || ai >= n_auth || rd_varint(r, &first) || first < 1 ||
        first > INT64_MAX / 2 || rd_count(r, 4, &count) || count == 0)
        return ML_EMALFORMED;
    run->evs = calloc(count, sizeof *run->evs);
    if (!run->evs)
        return ML_ENOMEM;
    run->n = count;
    for (size_t i = 0; i < count; i++) {
        ml_event *ev = &run->evs[i];
        ev->seq = (int64_t)first + (int64_t)i;
        if (!(ev->author = strdup(authors[ai])))
            return ML_ENOMEM;
        int rc = dec_event(r, ev, i ? &run->evs[i - 1] : NULL, tmp);
        if (rc)
            return rc;
    }
    if (r->end - r->p < ML_SIG_LEN)
        return ML_EMALFORMED;
    memcpy(run->evs[count - 1].sig, r->p, ML_SIG_LEN);
    run->evs[count - 1].has_sig = 1;
    r->p += ML_SIG_LEN;
    return 0;
}

static int dec_events(ml_wire_msg *m, rd *r)
{
    size_t n_auth = 0, n_runs = 0;
    char (*authors)[33] = NULL;
    ml_buf tmp = ML_BUF_INIT;
    int rc = dec_strtab(r);
    if (!rc)
        rc = rd_count(r, 16, &n_auth);
    if (!rc && !(authors = calloc(n_auth + 1, sizeof *authors)))
        rc = ML_ENOMEM;
    for (size_t i = 0; i < n_auth && !rc; i++) {
        ml_hex(authors[i], r->p, 16);
        r->p += 16;
    }
    if (!rc)
        rc = rd_count(r, 4 + ML_SIG_LEN, &n_runs);
    if (!rc && !(m->runs = calloc(n_runs + 1, sizeof *m->runs)))
        rc = ML_ENOMEM;
    for (size_t i = 0; i < n_runs && !rc; i++) {
        m->n_runs++;
        rc = dec_run(r, &m->runs[i], (const char(*)[33])authors, n_auth, &tmp);
    }
    if (!rc && r->p != r->end)
        rc = ML_EMALFORMED;   /* trailing bytes */
    free(authors);
    ml_buf_free(&tmp);
    return rc;
}

static int dec_frontier(ml_wire_msg *m, rd *r)
{
    size_t n;
    if (rd_count(r, 17, &n))
        return ML_EMALFORMED;
    m->entries = calloc(n + 1, sizeof *m->entries);
    if (!m->entries)
        return ML_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        uint64_t seq;
        if (r->end - r->p < 16)   /* long varints can eat what the count allowed for */
            return ML_EMALFORMED;
        ml_hex(m->entries[i].author, r->p, 16);
        r->p += 16;
        if (rd_varint(r, &seq) || seq > INT64_MAX / 2)
            return ML_EMALFORMED;
        m->entries[i].seq = (int64_t)seq;
        m->n_entries++;
    }
    return r->p == r->end ? 0 : ML_EMALFORMED;
}

int ml_wire_decode(ml_wire_msg *m, const uint8_t *msg, size_t len)
{
    rd r = {msg, msg + len, NULL, NULL, 0};
    int rc = ML_EMALFORMED;
    memset(m, 0, sizeof *m);
    if (len < 2)
        return ML_EMALFORMED;
    m->version = msg[0];
    m->type = msg[1];
    if (m->version != ML_WIRE_VERSION)
        return ML_EUNSUPPORTED;
    r.p += 2;
    switch (m->type) {
    case ML_WIRE_HELLO:
        if (len != 11)
            break;
        memcpy(m->digest, r.p, 8);
        m->flags = r.p[8];
        rc = 0;
        break;
    case ML_WIRE_VERSION_REFUSED:
        if (len != 3)
            break;
        m->peer_version = r.p[0];
        rc = 0;
        break;
    case ML_WIRE_FRONTIER:
    case ML_WIRE_EVENTS:
        if (r.p >= r.end)
            break;
        m->flags = *r.p++;
        rc = m->type == ML_WIRE_FRONTIER ? dec_frontier(m, &r) : dec_events(m, &r);
        break;
    }
    free(r.str);
    free(r.slen);
    if (rc)
        ml_wire_msg_free(m);
    return rc;
}

void ml_wire_msg_free(ml_wire_msg *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_runs; i++) {
        for (size_t j = 0; j < m->runs[i].n; j++)   /* runs taken by a caller are empty */
            ml_event_clear(&m->runs[i].evs[j]);
        free(m->runs[i].evs);
    }
    free(m->runs);
    free(m->entries);
    int v = m->version, t = m->type;
    memset(m, 0, sizeof *m);
    m->version = v;
    m->type = t;
}

/* The float encoding copies a double's bytes: refuse to build where that is
 * not IEEE-754 little-endian. */
_Static_assert(sizeof(double) == 8, "IEEE-754 binary64 doubles required");
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "wire.c assumes a little-endian host"
#endif
