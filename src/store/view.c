// SPDX-License-Identifier: MIT
// The view, maintained incrementally: each accepted event updates the v_*
// tables with an order-independent rule (an upsert guarded by the total order
// key (wall, counter, author, seq)), so the tables always equal the seed's
// fold of the same set of events, whatever the arrival order. Printing walks
// four index-ordered scans in step, so `meshlog view` never re-folds the log.
//
// The seed's reducer, in short: record.create sets form and created_by (the
// latest create by total order that has the key wins); field.set is
// last-writer-wins per field; note.add appends in total order; attachment.add
// appends, listed sorted by (field, blob_hash). Unknown kinds are ignored.
// Events whose record_id (or field, or blob_hash) is not a string are ignored
// too: the seed would crash or print an unsortable view on them.
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "meshlog/error.h"
#include "meshlog/json.h"
#include "store_int.h"

/* ---- the batch: one transaction's view changes, folded in memory ----------- *
 *
 * Each accepted event is folded into an in-memory batch keyed by record (and
 * by (record, field) for field.set), with the same last-writer-wins rule as
 * the tables; at commit (or when the batch grows large) every touched record
 * row is read once, merged and written once. A record's fields live in its
 * v_records row as one blob (entries sorted by field name), so a batch costs
 * one read and one write per record, not one upsert per event. Notes and
 * attachments only ever accumulate: they are inserted as they arrive. */

/* (wall, counter, author, seq): the reducer's total order key. */
typedef struct vkey {
    int64_t w, c, s;
    const char *a;   /* the author id: the store's cached copy, or inside a blob */
    size_t alen;
} vkey;

typedef struct vstr {
    size_t off, len;   /* into the batch's arena */
} vstr;

typedef struct vfld {
    vstr name, val;
    vkey k;
    uint32_t rec;      /* the record's index */
    uint32_t next;     /* next field of the same record + 1; 0: none */
} vfld;

typedef struct vrec {
    vstr rid;
    int has_form, has_by;
    vstr form, by;
    vkey fk, bk;
    uint32_t fields;   /* first field + 1; 0: none */
    uint32_t nfields;
} vrec;

struct mlv_batch {
    ml_buf arena;
    vrec *r;
    vfld *f;
    size_t nr, capr, nf, capf;
    uint32_t *rh, *fh;   /* open-addressing tables of entry index + 1 */
    size_t rhcap, fhcap;
    ml_buf blob;         /* one record's merged fields */
};

/* A batch is written out early past these sizes, to bound memory. */
#define VB_MAX_RECORDS 4096
#define VB_MAX_ARENA (8u << 20)

static int bytes_cmp(const void *a, size_t an, const void *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    int r = n ? memcmp(a, b, n) : 0;
    if (r)
        return r < 0 ? -1 : 1;
    return an < bn ? -1 : an > bn;
}

/* As SQLite compared (w, c, a, s) tuples: integers, then author bytes. */
static int key_cmp(const vkey *x, const vkey *y)
{
    if (x->w != y->w)
        return x->w < y->w ? -1 : 1;
    if (x->c != y->c)
        return x->c < y->c ? -1 : 1;
    int r = bytes_cmp(x->a, x->alen, y->a, y->alen);
    if (r)
        return r;
    return x->s < y->s ? -1 : x->s > y->s;
}

static uint64_t fnv(const void *p, size_t n, uint64_t h)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

#define FNV0 0xcbf29ce484222325ULL

static const uint8_t *vb_at(const mlv_batch *b, vstr v)
{
    return b->arena.p ? b->arena.p + v.off : (const uint8_t *)"";
}

static int vb_put(mlv_batch *b, const void *p, size_t n, vstr *out)
{
    out->off = b->arena.len;
    out->len = n;
    return n ? ml_buf_append(&b->arena, p, n) : 0;
}

static uint64_t rec_hash(const void *rid, size_t n)
{
    return fnv(rid, n, FNV0);
}

static uint64_t fld_hash(uint32_t rec, const void *name, size_t n)
{
    return fnv(name, n, fnv(&rec, sizeof rec, FNV0));
}

static int field_eq(const mlv_batch *b, const vfld *f, const void *name, size_t n)
{
    return f->name.len == n && (n == 0 || memcmp(vb_at(b, f->name), name, n) == 0);
}

/* Grow an open-addressing table to twice the entries it indexes, rehashing. */
static int rehash_records(mlv_batch *b)
{
    size_t cap = b->rhcap ? 2 * b->rhcap : 1024;
    uint32_t *t = calloc(cap, sizeof *t);
    if (!t)
        return ML_ENOMEM;
    for (size_t i = 0; i < b->nr; i++) {
        size_t j = (size_t)rec_hash(vb_at(b, b->r[i].rid), b->r[i].rid.len) & (cap - 1);
        while (t[j])
            j = (j + 1) & (cap - 1);
        t[j] = (uint32_t)i + 1;
    }
    free(b->rh);
    b->rh = t;
    b->rhcap = cap;
    return 0;
}

static int rehash_fields(mlv_batch *b)
{
    size_t cap = b->fhcap ? 2 * b->fhcap : 4096;
    uint32_t *t = calloc(cap, sizeof *t);
    if (!t)
        return ML_ENOMEM;
    for (size_t r = 0; r < b->nr; r++)
        for (uint32_t i = b->r[r].fields; i; i = b->f[i - 1].next) {
            const vfld *f = &b->f[i - 1];
            size_t j = (size_t)fld_hash((uint32_t)r, vb_at(b, f->name), f->name.len) & (cap - 1);
            while (t[j])
                j = (j + 1) & (cap - 1);
            t[j] = i;
        }
    free(b->fh);
    b->fh = t;
    b->fhcap = cap;
    return 0;
}

/* The batch entry of record rid, added when missing. */
static int rec_get(mlv_batch *b, const ml_buf *rid, uint32_t *out)
{
    if (2 * (b->nr + 1) > b->rhcap && rehash_records(b))
        return ML_ENOMEM;
    size_t j = (size_t)rec_hash(rid->p, rid->len) & (b->rhcap - 1);
    for (; b->rh[j]; j = (j + 1) & (b->rhcap - 1)) {
        const vrec *r = &b->r[b->rh[j] - 1];
        if (r->rid.len == rid->len && memcmp(vb_at(b, r->rid), rid->p, rid->len) == 0) {
            *out = b->rh[j] - 1;
            return 0;
        }
    }
    vrec *nr = ml_grow(b->r, &b->capr, b->nr, sizeof *nr, 256);
    if (!nr)
        return ML_ENOMEM;
    b->r = nr;
    vrec *r = &b->r[b->nr];
    memset(r, 0, sizeof *r);
    if (vb_put(b, rid->p, rid->len, &r->rid))
        return ML_ENOMEM;
    b->rh[j] = (uint32_t)++b->nr;
    *out = (uint32_t)b->nr - 1;
    return 0;
}

/* Set (rec, name) = val at key k unless the batch already holds a later write. */
static int fld_set(mlv_batch *b, uint32_t rec, const ml_buf *name, ml_span val, const vkey *k)
{
    if (2 * (b->nf + 1) > b->fhcap && rehash_fields(b))
        return ML_ENOMEM;
    size_t j = (size_t)fld_hash(rec, name->p, name->len) & (b->fhcap - 1);
    for (; b->fh[j]; j = (j + 1) & (b->fhcap - 1)) {
        vfld *f = &b->f[b->fh[j] - 1];
        if (f->rec != rec || !field_eq(b, f, name->p, name->len))
            continue;
        if (key_cmp(k, &f->k) <= 0)
            return 0;
        f->k = *k;
        return vb_put(b, val.p, val.len, &f->val);
    }
    vfld *nf = ml_grow(b->f, &b->capf, b->nf, sizeof *nf, 1024);
    if (!nf)
        return ML_ENOMEM;
    b->f = nf;
    vfld *f = &b->f[b->nf];
    if (vb_put(b, name->p, name->len, &f->name) || vb_put(b, val.p, val.len, &f->val))
        return ML_ENOMEM;
    f->k = *k;
    f->rec = rec;
    f->next = b->r[rec].fields;
    b->r[rec].fields = (uint32_t)++b->nf;
    b->r[rec].nfields++;
    b->fh[j] = (uint32_t)b->nf;
    return 0;
}

static void vb_clear(mlv_batch *b)
{
    ml_buf_reset(&b->arena);
    b->nr = b->nf = 0;
    if (b->rh)
        memset(b->rh, 0, b->rhcap * sizeof *b->rh);
    if (b->fh)
        memset(b->fh, 0, b->fhcap * sizeof *b->fh);
}

void mlv_discard(ml_store *s)
{
    if (s->vb)
        vb_clear(s->vb);
}

void mlv_free(ml_store *s)
{
    mlv_batch *b = s->vb;
    if (!b)
        return;
    ml_buf_free(&b->arena);
    ml_buf_free(&b->blob);
    free(b->r);
    free(b->f);
    free(b->rh);
    free(b->fh);
    free(b);
    s->vb = NULL;
}

/* ---- the fields blob ----------------------------------------------------------
 * Entries sorted by field name (bytes, as SQLite's BINARY collation).
 * Format 2 (schema 3 on): the blob opens with 4 bytes 0xff, then each entry is
 * varint name length, name, varint value length, value (canonical JSON),
 * varint wall, counter, seq, then the author: varint (length << 1) and its
 * bytes, or varint 1 and 16 bytes for an author id of 32 lowercase hex
 * (every signed feed's); varints are LEB128 of the unsigned 64-bit value. Format 1 (schema 2, still read): each entry is
 * u32 name length, name, u32 value length, value, i64 wall, i64 counter, i64
 * seq, u32 author length, author, little-endian. No format-1 blob can open
 * with the marker (a 4 GiB name), and no format-2 entry can (a varint that
 * long would be a name of 256 MiB or more, refused). Format 2 is a third
 * smaller for W1's records, and the view is a third of what ingest writes. */

#define BLOB2_MARK "\xff\xff\xff\xff"
#define BLOB2_MAX_NAME (1u << 28)

typedef struct bent {
    const uint8_t *name, *val;
    size_t nl, vl;
    vkey k;
    int v2;            /* the blob is format 2; zero before the first entry */
    char ahex[33];     /* k.a of a packed author id */
} bent;

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 8; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

static size_t put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

static int get_varint(const uint8_t **q, const uint8_t *end, uint64_t *v)
{
    uint64_t r = 0;
    for (unsigned sh = 0; sh < 64 && *q < end; sh += 7) {
        uint8_t b = *(*q)++;
        r |= (uint64_t)(b & 0x7f) << sh;
        if (!(b & 0x80)) {
            *v = r;
            return 0;
        }
    }
    return ML_ECORRUPT;
}

/* Only lowercase ids pack: the unpacked text must be the same bytes. */
static int packable_author(const char *a, size_t n)
{
    if (n != 32)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((a[i] >= '0' && a[i] <= '9') || (a[i] >= 'a' && a[i] <= 'f')))
            return 0;
    return 1;
}

/* Append an entry (format 2) to the blob being built in o. */
static int blob_put(ml_buf *o, const void *name, size_t nl, const void *val, size_t vl,
                    const vkey *k)
{
    if (nl >= BLOB2_MAX_NAME || vl > UINT32_MAX || k->alen > UINT32_MAX)
        return ML_ETOOBIG;
    size_t need = 4 + 7 * 10 + nl + vl + k->alen;
    if (ml_buf_reserve(o, need))
        return ML_ENOMEM;
    uint8_t *p = o->p + o->len;
    if (o->len == 0) {
        memcpy(p, BLOB2_MARK, 4);
        p += 4;
    }
    p += put_varint(p, nl);
    if (nl)
        memcpy(p, name, nl);
    p += nl;
    p += put_varint(p, vl);
    if (vl)
        memcpy(p, val, vl);
    p += vl;
    p += put_varint(p, (uint64_t)k->w);
    p += put_varint(p, (uint64_t)k->c);
    p += put_varint(p, (uint64_t)k->s);
    if (packable_author(k->a, k->alen) && ml_unhex(p + 1, 16, k->a, 32) == 0) {
        *p = 1;   /* a packed author id */
        p += 17;
    } else {
        p += put_varint(p, (uint64_t)k->alen << 1);
        if (k->alen)
            memcpy(p, k->a, k->alen);
        p += k->alen;
    }
    o->len = (size_t)(p - o->p);
    o->p[o->len] = 0;
    return 0;
}

/* A length that fits in what is left; the cursor moves past the bytes. */
static int get_len(const uint8_t **q, const uint8_t *end, size_t *len, const uint8_t **at)
{
    uint64_t v;
    if (get_varint(q, end, &v) || v > (uint64_t)(end - *q))
        return ML_ECORRUPT;
    *len = (size_t)v;
    *at = *q;
    *q += v;
    return 0;
}

static int blob_next_v2(const uint8_t **p, const uint8_t *end, bent *e)
{
    const uint8_t *q = *p;
    uint64_t w, c, sq, al;
    if (get_len(&q, end, &e->nl, &e->name) || get_len(&q, end, &e->vl, &e->val) ||
        get_varint(&q, end, &w) || get_varint(&q, end, &c) || get_varint(&q, end, &sq) ||
        get_varint(&q, end, &al))
        return ML_ECORRUPT;
    e->k.w = (int64_t)w;
    e->k.c = (int64_t)c;
    e->k.s = (int64_t)sq;
    if (al == 1) {   /* a packed author id */
        if (end - q < 16)
            return ML_ECORRUPT;
        ml_hex(e->ahex, q, 16);
        e->k.a = e->ahex;
        e->k.alen = 32;
        q += 16;
    } else {
        if ((al & 1) || (al >> 1) > (uint64_t)(end - q))
            return ML_ECORRUPT;
        e->k.a = (const char *)q;
        e->k.alen = (size_t)(al >> 1);
        q += e->k.alen;
    }
    *p = q;
    return 0;
}

/* Next entry at *p (< end) into e (zeroed before the first call). 1: no
 * more; ML_ECORRUPT: damaged. */
static int blob_next(const uint8_t **p, const uint8_t *end, bent *e)
{
    const uint8_t *q = *p;
    if (!e->v2 && end - q >= 4 && memcmp(q, BLOB2_MARK, 4) == 0) {
        e->v2 = 1;
        *p = q += 4;
    }
    if (q == end)
        return 1;
    if (e->v2)
        return blob_next_v2(p, end, e);
    size_t left = (size_t)(end - q);
    if (left < 4 || (e->nl = get_u32(q)) > left - 4 - 4)
        return ML_ECORRUPT;
    e->name = q + 4;
    q += 4 + e->nl;
    left = (size_t)(end - q);
    if (left < 4 || (e->vl = get_u32(q)) > left - 4 || left - 4 - e->vl < 28)
        return ML_ECORRUPT;
    e->val = q + 4;
    q += 4 + e->vl;
    e->k.w = (int64_t)get_u64(q);
    e->k.c = (int64_t)get_u64(q + 8);
    e->k.s = (int64_t)get_u64(q + 16);
    e->k.alen = get_u32(q + 24);
    q += 28;
    if (e->k.alen > (size_t)(end - q))
        return ML_ECORRUPT;
    e->k.a = (const char *)q;
    *p = q + e->k.alen;
    return 0;
}

/* ---- applying one event ----------------------------------------------------------- */

/* The payload members a reducer reads, found in one pass (first occurrence,
 * as ml_json_get finds them). */
enum { K_RID, K_FORM, K_BY, K_FIELD, K_VALUE, K_TEXT, K_BLOB, K_SIZE, K_MIME };

typedef struct vargs {
    ml_span v[9];
    unsigned found;
    ml_buf *rid, *f1, *f2;
    vkey k;
} vargs;

static int has(const vargs *va, int key)
{
    return (va->found >> key) & 1;
}

/* The member as a decoded string; ML_ENOTFOUND when absent or not a string. */
static int get_str(const vargs *va, int key, ml_buf *out)
{
    ml_buf_reset(out);
    if (!has(va, key) || !ml_json_is_string(va->v[key]))
        return ML_ENOTFOUND;
    return ml_json_str_decode(va->v[key], out);
}

static void bind_key(sqlite3_stmt *st, int col, const ml_event *ev, const vkey *k)
{
    sqlite3_bind_int64(st, col, ev->hlc.wall);
    sqlite3_bind_int64(st, col + 1, ev->hlc.counter);
    sqlite3_bind_text(st, col + 2, k->a, (int)k->alen, SQLITE_STATIC);
    sqlite3_bind_int64(st, col + 3, ev->seq);
}

static void bind_buf(sqlite3_stmt *st, int col, const ml_buf *b)
{
    sqlite3_bind_text(st, col, (const char *)b->p, (int)b->len, SQLITE_STATIC);
}

static void bind_span(sqlite3_stmt *st, int col, ml_span v)
{
    sqlite3_bind_text(st, col, v.p, (int)v.len, SQLITE_STATIC);
}

static int apply_create(ml_store *s, const ml_event *ev, vargs *va)
{
    mlv_batch *b = s->vb;
    uint32_t ri;
    int rc = rec_get(b, va->rid, &ri);
    (void)ev;
    if (!rc && has(va, K_FORM) && (!b->r[ri].has_form || key_cmp(&va->k, &b->r[ri].fk) > 0)) {
        rc = vb_put(b, va->v[K_FORM].p, va->v[K_FORM].len, &b->r[ri].form);
        b->r[ri].fk = va->k;
        b->r[ri].has_form = 1;
    }
    if (!rc && has(va, K_BY) && (!b->r[ri].has_by || key_cmp(&va->k, &b->r[ri].bk) > 0)) {
        rc = vb_put(b, va->v[K_BY].p, va->v[K_BY].len, &b->r[ri].by);
        b->r[ri].bk = va->k;
        b->r[ri].has_by = 1;
    }
    return rc;
}

static int apply_field(ml_store *s, const ml_event *ev, vargs *va)
{
    uint32_t ri;
    (void)ev;
    if (get_str(va, K_FIELD, va->f1) || !has(va, K_VALUE))
        return 0;
    int rc = rec_get(s->vb, va->rid, &ri);
    return rc ? rc : fld_set(s->vb, ri, va->f1, va->v[K_VALUE], &va->k);
}

static int apply_note(ml_store *s, const ml_event *ev, vargs *va)
{
    uint32_t ri;
    if (!has(va, K_TEXT))
        return 0;
    int rc = rec_get(s->vb, va->rid, &ri);   /* the record row is written at flush */
    if (rc)
        return rc;
    sqlite3_stmt *st = s->st[ST_NOTE_ADD];
    bind_buf(st, 1, va->rid);
    bind_key(st, 2, ev, &va->k);
    bind_span(st, 6, va->v[K_TEXT]);
    return mls_step_done(s, st, "adding note");
}

static int apply_attachment(ml_store *s, const ml_event *ev, vargs *va)
{
    ml_span size = {"0", 1}, mime = {"\"\"", 2};
    uint32_t ri;
    if (get_str(va, K_FIELD, va->f1) || get_str(va, K_BLOB, va->f2))
        return 0;
    if (has(va, K_SIZE))
        size = va->v[K_SIZE];
    if (has(va, K_MIME))
        mime = va->v[K_MIME];
    int rc = rec_get(s->vb, va->rid, &ri);
    if (rc)
        return rc;
    sqlite3_stmt *st = s->st[ST_ATT_ADD];
    bind_buf(st, 1, va->rid);
    bind_buf(st, 2, va->f1);
    bind_buf(st, 3, va->f2);
    bind_key(st, 4, ev, &va->k);
    bind_span(st, 8, size);
    bind_span(st, 9, mime);
    return mls_step_done(s, st, "adding attachment");
}

/* Per kind: its reducer and the members it reads, record_id first. */
static const struct {
    const char *kind;
    int (*apply)(ml_store *, const ml_event *, vargs *);
    int nkeys;
    int keys[5];
} reducers[] = {
    {ML_KIND_RECORD_CREATE, apply_create, 3, {K_RID, K_FORM, K_BY}},
    {ML_KIND_FIELD_SET, apply_field, 3, {K_RID, K_FIELD, K_VALUE}},
    {ML_KIND_NOTE_ADD, apply_note, 2, {K_RID, K_TEXT}},
    {ML_KIND_ATTACHMENT_ADD, apply_attachment, 5, {K_RID, K_FIELD, K_BLOB, K_SIZE, K_MIME}},
};

static const char *const key_names[9] = {"record_id", "form", "by", "field", "value",
                                         "text", "blob_hash", "size", "mime"};

static int vb_full(const mlv_batch *b)
{
    return b->nr >= VB_MAX_RECORDS || b->arena.len >= VB_MAX_ARENA;
}

static int apply_now(ml_store *s, const ml_event *ev, const char *author, int may_flush)
{
    vargs va = {{{NULL, 0}}, 0, &s->vrid, &s->vf1, &s->vf2,
                {ev->hlc.wall, ev->hlc.counter, ev->seq, author, strlen(author)}};
    if (!s->vb && !(s->vb = calloc(1, sizeof *s->vb)))
        return ML_ENOMEM;
    for (size_t i = 0; i < sizeof reducers / sizeof reducers[0]; i++) {
        if (strcmp(ev->kind, reducers[i].kind) != 0)
            continue;
        const char *names[5] = {NULL};
        ml_span vals[5] = {{NULL, 0}};
        unsigned found = 0;
        int n = reducers[i].nkeys;
        for (int j = 0; j < n; j++)
            names[j] = key_names[reducers[i].keys[j]];
        ml_json_get_many((ml_span){ev->payload, ev->payload_len}, names, (size_t)n, vals, &found);
        for (int j = 0; j < n; j++)
            if (found & (1u << j)) {
                va.v[reducers[i].keys[j]] = vals[j];
                va.found |= 1u << reducers[i].keys[j];
            }
        if (get_str(&va, K_RID, va.rid))
            return 0;
        int rc = reducers[i].apply(s, ev, &va);
        if (!rc && may_flush && vb_full(s->vb))
            rc = mlv_flush(s);
        return rc;
    }
    return 0;
}

/* ---- folding on a second thread ---------------------------------------------------- *
 *
 * During a large ingest the writer's thread stores events while this thread
 * folds them into the batch: the writer queues each accepted event (a ring,
 * published in chunks), the fold thread applies record.create and field.set,
 * which only touch the batch in memory, and leaves notes and attachments,
 * which insert rows, on a list the writer applies once the queue is drained.
 * The batch belongs to the fold thread until then; the writer touches it only
 * at a sync point (queue drained, thread idle): to write a batch that grew
 * past its bounds, before freeing events it loaded itself, and at the end. */

#define VQ_CAP 4096     /* queued events: a power of two */
#define VQ_CHUNK 128    /* published at a time */

typedef struct vq_item {
    const ml_event *ev;
    const char *author;
} vq_item;

struct mlv_async {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* work for the thread, or room/idle for the writer */
    vq_item ring[VQ_CAP];
    size_t head;            /* published by the writer */
    size_t tail;            /* applied by the thread */
    size_t mine;            /* queued by the writer, published up to head */
    size_t wtail;           /* the writer's last look at tail */
    int busy, stop, full, rc;
    vq_item *later;         /* notes and attachments, for the writer */
    size_t nlater, caplater;
};

static int is_later(const char *kind)
{
    return strcmp(kind, ML_KIND_NOTE_ADD) == 0 || strcmp(kind, ML_KIND_ATTACHMENT_ADD) == 0;
}

static int fold_one(ml_store *s, mlv_async *q, const vq_item *it)
{
    if (!is_later(it->ev->kind))
        return apply_now(s, it->ev, it->author, 0);
    vq_item *nl = ml_grow(q->later, &q->caplater, q->nlater, sizeof *nl, 256);
    if (!nl)
        return ML_ENOMEM;
    q->later = nl;
    q->later[q->nlater++] = *it;
    return 0;
}

static void *fold_main(void *arg)
{
    ml_store *s = arg;
    mlv_async *q = s->va;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (q->tail == q->head && !q->stop)
            pthread_cond_wait(&q->cv, &q->mu);
        if (q->tail == q->head)
            break;
        size_t from = q->tail, to = q->head;
        int rc = q->rc;
        q->busy = 1;
        pthread_mutex_unlock(&q->mu);
        for (size_t i = from; i < to && !rc; i++)
            rc = fold_one(s, q, &q->ring[i & (VQ_CAP - 1)]);
        int full = s->vb && vb_full(s->vb);
        pthread_mutex_lock(&q->mu);
        q->rc = rc;
        q->full |= full;
        q->tail = to;
        q->busy = 0;
        pthread_cond_broadcast(&q->cv);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

int mlv_async_begin(ml_store *s)
{
    if (s->va)
        return 0;
    if (!s->vb && !(s->vb = calloc(1, sizeof *s->vb)))
        return ML_ENOMEM;
    mlv_async *q = calloc(1, sizeof *q);
    if (!q)
        return ML_ENOMEM;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    s->va = q;
    if (pthread_create(&q->th, NULL, fold_main, s) != 0) {
        s->va = NULL;   /* fold on this thread instead */
        pthread_cond_destroy(&q->cv);
        pthread_mutex_destroy(&q->mu);
        free(q);
    }
    return 0;
}

static void publish(mlv_async *q)
{
    pthread_mutex_lock(&q->mu);
    q->head = q->mine;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

/* Drain the queue, then apply the notes and attachments left for this
 * thread; with flush, write the batch out. Returns the first error. */
static int async_sync(ml_store *s, int flush)
{
    mlv_async *q = s->va;
    publish(q);
    pthread_mutex_lock(&q->mu);
    while (q->tail != q->head || q->busy)
        pthread_cond_wait(&q->cv, &q->mu);
    int rc = q->rc;
    q->full = 0;
    pthread_mutex_unlock(&q->mu);
    for (size_t i = 0; i < q->nlater && !rc; i++)
        rc = apply_now(s, q->later[i].ev, q->later[i].author, 0);
    q->nlater = 0;
    if (!rc && flush)
        rc = mlv_flush(s);
    return rc;
}

int mlv_async_sync(ml_store *s)
{
    return s->va ? async_sync(s, 0) : 0;
}

int mlv_async_end(ml_store *s)
{
    mlv_async *q = s->va;
    if (!q)
        return 0;
    int rc = async_sync(s, 0);
    pthread_mutex_lock(&q->mu);
    q->stop = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->th, NULL);
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
    free(q->later);
    free(q);
    s->va = NULL;
    return rc;
}

int mlv_apply(ml_store *s, const ml_event *ev, const char *author)
{
    mlv_async *q = s->va;
    if (!q)
        return apply_now(s, ev, author, 1);
    if (q->mine - q->head >= VQ_CHUNK || q->mine - q->wtail >= VQ_CAP) {
        pthread_mutex_lock(&q->mu);
        q->head = q->mine;
        pthread_cond_broadcast(&q->cv);
        while (q->mine - q->tail >= VQ_CAP)   /* no room: wait for the thread */
            pthread_cond_wait(&q->cv, &q->mu);
        q->wtail = q->tail;
        int rc = q->rc, full = q->full;
        pthread_mutex_unlock(&q->mu);
        if (rc || (full && (rc = async_sync(s, 1))))
            return rc;
    }
    q->ring[q->mine & (VQ_CAP - 1)] = (vq_item){ev, author};
    q->mine++;
    return 0;
}

/* ---- writing the batch out ---------------------------------------------------------- */

typedef struct fref {
    const uint8_t *name;
    size_t len;
    const vfld *f;
} fref;

static int cmp_fref(const void *x, const void *y)
{
    const fref *a = x, *b = y;
    return bytes_cmp(a->name, a->len, b->name, b->len);
}

typedef struct rref {
    const uint8_t *rid;
    size_t len;
    uint32_t i;
} rref;

static int cmp_rref(const void *x, const void *y)
{
    const rref *a = x, *b = y;
    return bytes_cmp(a->rid, a->len, b->rid, b->len);
}

/* Merge the stored fields blob (sorted) with the batch's fields of a record
 * (sorted in fr), later key winning, into b->blob. *changed: the batch won
 * anywhere. */
static int merge_fields(mlv_batch *b, const uint8_t *old, size_t oldlen, fref *fr, size_t n,
                        int *changed)
{
    const uint8_t *p = old, *end = old + oldlen;
    bent e = {0};
    size_t i = 0;
    int rc = blob_next(&p, end, &e);
    ml_buf_reset(&b->blob);
    for (;;) {
        if (rc < 0)
            return rc;
        if (rc == 1 && i == n)
            return 0;
        int c = rc == 1 ? 1 : i == n ? -1 : bytes_cmp(e.name, e.nl, fr[i].name, fr[i].len);
        const vfld *f = i < n ? fr[i].f : NULL;
        vkey fk = f ? f->k : (vkey){0, 0, 0, NULL, 0};
        int r;
        if (c < 0 || (c == 0 && key_cmp(&e.k, &fk) >= 0)) {
            r = blob_put(&b->blob, e.name, e.nl, e.val, e.vl, &e.k);
        } else {
            r = blob_put(&b->blob, fr[i].name, fr[i].len, vb_at(b, f->val), f->val.len, &f->k);
            *changed = 1;
        }
        if (r)
            return r;
        if (c <= 0)
            rc = blob_next(&p, end, &e);
        if (c >= 0)
            i++;
    }
}

static void bind_vkey(sqlite3_stmt *st, int col, const vkey *k)
{
    sqlite3_bind_int64(st, col, k->w);
    sqlite3_bind_int64(st, col + 1, k->c);
    sqlite3_bind_text(st, col + 2, k->a, (int)k->alen, SQLITE_STATIC);
    sqlite3_bind_int64(st, col + 3, k->s);
}

/* One of form/by: the batch's if it is later than the stored one (columns
 * col..col+4 of get: value, w, c, a, s), else the stored one (kept as is). */
static int bind_created(sqlite3_stmt *put, int pcol, sqlite3_stmt *get, int row, int col,
                        const mlv_batch *b, int has, vstr v, const vkey *k)
{
    int stored = row && sqlite3_column_type(get, col + 1) != SQLITE_NULL;
    int take = has;
    if (has && stored) {
        vkey old = {sqlite3_column_int64(get, col + 1), sqlite3_column_int64(get, col + 2),
                    sqlite3_column_int64(get, col + 4),
                    (const char *)sqlite3_column_text(get, col + 3),
                    (size_t)sqlite3_column_bytes(get, col + 3)};
        take = key_cmp(k, &old) > 0;
    }
    if (take) {
        sqlite3_bind_text(put, pcol, (const char *)vb_at(b, v), (int)v.len, SQLITE_STATIC);
        bind_vkey(put, pcol + 1, k);
        return 1;
    }
    if (row) {
        for (int i = 0; i < 5; i++)
            sqlite3_bind_value(put, pcol + i, sqlite3_column_value(get, col + i));
    } else {
        sqlite3_bind_text(put, pcol, "\"\"", 2, SQLITE_STATIC);
        for (int i = 1; i < 5; i++)
            sqlite3_bind_null(put, pcol + i);
    }
    return 0;
}

static int flush_record(ml_store *s, mlv_batch *b, const vrec *r, fref *fr)
{
    sqlite3_stmt *get = s->st[ST_REC_GET];
    size_t n = 0;
    for (uint32_t i = r->fields; i; i = b->f[i - 1].next, n++)
        fr[n] = (fref){vb_at(b, b->f[i - 1].name), b->f[i - 1].name.len, &b->f[i - 1]};
    qsort(fr, n, sizeof *fr, cmp_fref);
    sqlite3_bind_text(get, 1, (const char *)vb_at(b, r->rid), (int)r->rid.len, SQLITE_STATIC);
    int step = sqlite3_step(get), row = step == SQLITE_ROW;
    if (!row && step != SQLITE_DONE) {
        sqlite3_reset(get);
        return mls_db_err(s, "reading record");
    }
    /* get: form fw fc fa fs by bw bc ba bs fields */
    int changed = !row, rc = 0;
    if (n)
        rc = merge_fields(b, row ? sqlite3_column_blob(get, 10) : NULL,
                          row ? (size_t)sqlite3_column_bytes(get, 10) : 0, fr, n, &changed);
    if (rc) {
        sqlite3_reset(get);
        return rc == ML_ECORRUPT
                   ? mls_err(s, rc, "the view row of record %.*s is damaged", (int)r->rid.len,
                             (const char *)vb_at(b, r->rid))
                   : rc;
    }
    sqlite3_stmt *put = s->st[row ? ST_REC_UPDATE : ST_REC_INSERT];
    changed |= bind_created(put, 2, get, row, 0, b, r->has_form, r->form, &r->fk);
    changed |= bind_created(put, 7, get, row, 5, b, r->has_by, r->by, &r->bk);
    if (n)
        sqlite3_bind_blob(put, 12, b->blob.p, (int)b->blob.len, SQLITE_STATIC);
    else if (row)
        sqlite3_bind_value(put, 12, sqlite3_column_value(get, 10));
    else
        sqlite3_bind_null(put, 12);
    sqlite3_reset(get);   /* bound values were copied (bind_value) or are ours */
    if (changed) {
        sqlite3_bind_text(put, 1, (const char *)vb_at(b, r->rid), (int)r->rid.len,
                          SQLITE_STATIC);
        rc = mls_step_done(s, put, "writing record");
    }
    sqlite3_clear_bindings(put);
    return rc;
}

int mlv_flush(ml_store *s)
{
    mlv_batch *b = s->vb;
    if (!b || !b->nr)
        return 0;
    int rc = 0;
    size_t maxf = 0;
    for (size_t i = 0; i < b->nr; i++)
        if (b->r[i].nfields > maxf)
            maxf = b->r[i].nfields;
    rref *order = malloc(b->nr * sizeof *order);
    fref *fr = malloc((maxf + 1) * sizeof *fr);
    if (!order || !fr) {
        rc = ML_ENOMEM;
        goto out;
    }
    /* rid order: neighbouring rows share B-tree pages */
    for (size_t i = 0; i < b->nr; i++)
        order[i] = (rref){vb_at(b, b->r[i].rid), b->r[i].rid.len, (uint32_t)i};
    qsort(order, b->nr, sizeof *order, cmp_rref);
    for (size_t i = 0; i < b->nr && !rc; i++)
        rc = flush_record(s, b, &b->r[order[i].i], fr);
out:
    free(order);
    free(fr);
    vb_clear(b);
    return rc;
}

/* ---- upgrading a schema-1 store ------------------------------------------------------ */

static int put_fields(ml_store *s, sqlite3_stmt *u, const ml_buf *rid, const ml_buf *blob)
{
    sqlite3_bind_text(u, 1, (const char *)rid->p, (int)rid->len, SQLITE_STATIC);
    sqlite3_bind_blob(u, 2, blob->p, (int)blob->len, SQLITE_STATIC);
    return mls_step_done(s, u, "upgrading the view");
}

/* Schema 1 kept each field as a row of v_fields: fold them into their
 * records' blobs, in field order, and drop the table. Inside the caller's
 * transaction. */
int mlv_upgrade_1(ml_store *s)
{
    sqlite3_stmt *q = NULL, *u = NULL;
    ml_buf rid = ML_BUF_INIT, blob = ML_BUF_INIT;
    int rc = 0, have = 0, r;
    if (sqlite3_exec(s->db, "ALTER TABLE v_records ADD COLUMN fields BLOB", NULL, NULL, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(s->db,
                           "SELECT rid, field, value, w, c, a, s FROM v_fields ORDER BY rid, field",
                           -1, &q, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "UPDATE v_records SET fields=?2 WHERE rid=?1", -1, &u, NULL) !=
            SQLITE_OK) {
        rc = mls_db_err(s, "upgrading the view");
        goto out;
    }
    while (!rc && (r = sqlite3_step(q)) == SQLITE_ROW) {
        const void *id = sqlite3_column_text(q, 0);
        size_t idlen = (size_t)sqlite3_column_bytes(q, 0);
        if (!have || bytes_cmp(rid.p, rid.len, id, idlen) != 0) {
            if (have && (rc = put_fields(s, u, &rid, &blob)))
                break;
            ml_buf_reset(&rid);
            ml_buf_reset(&blob);
            if ((rc = ml_buf_append(&rid, id, idlen)))
                break;
            have = 1;
        }
        vkey k = {sqlite3_column_int64(q, 3), sqlite3_column_int64(q, 4),
                  sqlite3_column_int64(q, 6), (const char *)sqlite3_column_text(q, 5),
                  (size_t)sqlite3_column_bytes(q, 5)};
        rc = blob_put(&blob, sqlite3_column_text(q, 1), (size_t)sqlite3_column_bytes(q, 1),
                      sqlite3_column_text(q, 2), (size_t)sqlite3_column_bytes(q, 2), &k);
    }
    if (!rc && r != SQLITE_DONE)
        rc = mls_db_err(s, "upgrading the view");
    if (!rc && have)
        rc = put_fields(s, u, &rid, &blob);
    if (!rc && sqlite3_exec(s->db, "DROP TABLE v_fields", NULL, NULL, NULL) != SQLITE_OK)
        rc = mls_db_err(s, "upgrading the view");
out:
    sqlite3_finalize(q);
    sqlite3_finalize(u);
    ml_buf_free(&rid);
    ml_buf_free(&blob);
    return rc;
}

/* ---- printing ---------------------------------------------------------------- */

typedef struct scan {
    sqlite3_stmt *st;
    int row;     /* 1 while positioned on a row */
} scan;

static int scan_open(ml_store *s, scan *sc, const char *sql, const char *rid)
{
    if (!sql)
        return 0;
    if (sqlite3_prepare_v2(s->db, sql, -1, &sc->st, NULL) != SQLITE_OK)
        return mls_db_err(s, "reading view");
    if (rid)
        sqlite3_bind_text(sc->st, 1, rid, -1, SQLITE_STATIC);
    sc->row = sqlite3_step(sc->st) == SQLITE_ROW;
    return 0;
}

/* Is the scan positioned on a row of record `rid`? */
static int scan_at(scan *sc, const char *rid, int rid_len)
{
    if (!sc->row)
        return 0;
    int n = sqlite3_column_bytes(sc->st, 0);
    return n == rid_len && memcmp(sqlite3_column_text(sc->st, 0), rid, (size_t)n) == 0;
}

static void scan_next(scan *sc)
{
    sc->row = sqlite3_step(sc->st) == SQLITE_ROW;
}

static int put_indent(ml_buf *out, int depth)
{
    int rc = ml_buf_putc(out, '\n');
    for (int i = 0; i < depth && !rc; i++)
        rc = ml_buf_append(out, "  ", 2);
    return rc;
}

static int put_col_str(ml_buf *out, sqlite3_stmt *st, int col)
{
    return ml_json_put_str(out, (const char *)sqlite3_column_text(st, col),
                           (size_t)sqlite3_column_bytes(st, col));
}

static int put_col_json(ml_buf *out, sqlite3_stmt *st, int col, int depth)
{
    return ml_json_pretty(out, (const char *)sqlite3_column_text(st, col),
                          (size_t)sqlite3_column_bytes(st, col), depth);
}

/* `"key": ` at depth */
static int put_key(ml_buf *out, int depth, const char *key)
{
    int rc = put_indent(out, depth);
    if (!rc)
        rc = ml_buf_putc(out, '"');
    if (!rc)
        rc = ml_buf_puts(out, key);
    return rc ? rc : ml_buf_append(out, "\": ", 3);
}

static int print_atts(ml_buf *out, scan *sc, const char *rid, int rl, int d)
{
    int rc = put_key(out, d, "attachments"), n = 0;
    if (!rc)
        rc = ml_buf_putc(out, '[');
    for (; !rc && scan_at(sc, rid, rl); scan_next(sc), n++) {
        if (n)
            rc = ml_buf_putc(out, ',');
        if (!rc) rc = put_indent(out, d + 1);
        if (!rc) rc = ml_buf_putc(out, '{');
        if (!rc) rc = put_key(out, d + 2, "blob_hash");
        if (!rc) rc = put_col_str(out, sc->st, 2);
        if (!rc) rc = ml_buf_putc(out, ',');
        if (!rc) rc = put_key(out, d + 2, "field");
        if (!rc) rc = put_col_str(out, sc->st, 1);
        if (!rc) rc = ml_buf_putc(out, ',');
        if (!rc) rc = put_key(out, d + 2, "mime");
        if (!rc) rc = put_col_json(out, sc->st, 4, d + 2);
        if (!rc) rc = ml_buf_putc(out, ',');
        if (!rc) rc = put_key(out, d + 2, "size");
        if (!rc) rc = put_col_json(out, sc->st, 3, d + 2);
        if (!rc) rc = put_indent(out, d + 1);
        if (!rc) rc = ml_buf_putc(out, '}');
    }
    if (!rc && n)
        rc = put_indent(out, d);
    return rc ? rc : ml_buf_putc(out, ']');
}

/* The fields of the record row at column col (the sorted blob). */
static int print_fields(ml_buf *out, sqlite3_stmt *r, int col, int d)
{
    const uint8_t *p = sqlite3_column_blob(r, col);
    const uint8_t *end = p + sqlite3_column_bytes(r, col);
    bent e = {0};
    int rc = put_key(out, d, "fields"), n = 0, more = 0;
    if (!rc)
        rc = ml_buf_putc(out, '{');
    for (; !rc && p && (more = blob_next(&p, end, &e)) == 0; n++) {
        if (n)
            rc = ml_buf_putc(out, ',');
        if (!rc) rc = put_indent(out, d + 1);
        if (!rc) rc = ml_json_put_str(out, (const char *)e.name, e.nl);
        if (!rc) rc = ml_buf_append(out, ": ", 2);
        if (!rc) rc = ml_json_pretty(out, (const char *)e.val, e.vl, d + 1);
    }
    if (!rc && more < 0)
        rc = ML_ECORRUPT;
    if (!rc && n)
        rc = put_indent(out, d);
    return rc ? rc : ml_buf_putc(out, '}');
}

static int print_notes(ml_buf *out, scan *sc, const char *rid, int rl, int d)
{
    int rc = put_key(out, d, "notes"), n = 0;
    if (!rc)
        rc = ml_buf_putc(out, '[');
    for (; !rc && scan_at(sc, rid, rl); scan_next(sc), n++) {
        if (n)
            rc = ml_buf_putc(out, ',');
        if (!rc) rc = put_indent(out, d + 1);
        if (!rc) rc = put_col_json(out, sc->st, 1, d + 1);
    }
    if (!rc && n)
        rc = put_indent(out, d);
    return rc ? rc : ml_buf_putc(out, ']');
}

/* One record object starting at the current position, members at depth d. */
static int print_record(ml_buf *out, scan sc[4], int d)
{
    sqlite3_stmt *r = sc[0].st;
    const char *rid = (const char *)sqlite3_column_text(r, 0);
    int rl = sqlite3_column_bytes(r, 0);
    int rc = ml_buf_putc(out, '{');
    if (!rc) rc = print_atts(out, &sc[3], rid, rl, d);
    if (!rc) rc = ml_buf_putc(out, ',');
    if (!rc) rc = put_key(out, d, "created_by");
    if (!rc) rc = put_col_json(out, r, 2, d);
    if (!rc) rc = ml_buf_putc(out, ',');
    if (!rc) rc = print_fields(out, r, 3, d);
    if (!rc) rc = ml_buf_putc(out, ',');
    if (!rc) rc = put_key(out, d, "form");
    if (!rc) rc = put_col_json(out, r, 1, d);
    if (!rc) rc = ml_buf_putc(out, ',');
    if (!rc) rc = print_notes(out, &sc[2], rid, rl, d);
    if (!rc) rc = ml_buf_putc(out, ',');
    if (!rc) rc = put_key(out, d, "record_id");
    if (!rc) rc = put_col_str(out, r, 0);
    if (!rc) rc = put_indent(out, d - 1);
    return rc ? rc : ml_buf_putc(out, '}');
}

/* Scans 0 (records, with their fields), 2 (notes) and 3 (attachments); 1 is unused. */
static const char *const view_sql[2][4] = {
    {"SELECT rid, form, by, fields FROM v_records ORDER BY rid",
     NULL,
     "SELECT rid, text FROM v_notes ORDER BY rid, w, c, a, s",
     "SELECT rid, field, blob_hash, size, mime FROM v_atts"
     " ORDER BY rid, field, blob_hash, w, c, a, s"},
    {"SELECT rid, form, by, fields FROM v_records WHERE rid=?1",
     NULL,
     "SELECT rid, text FROM v_notes WHERE rid=?1 ORDER BY w, c, a, s",
     "SELECT rid, field, blob_hash, size, mime FROM v_atts WHERE rid=?1"
     " ORDER BY field, blob_hash, w, c, a, s"},
};

int ml_store_view(ml_store *s, const char *rid, ml_buf *out)
{
    scan sc[4] = {{0}};
    int rc = 0, one = rid != NULL, n = 0;
    for (int i = 0; i < 4 && !rc; i++)
        rc = scan_open(s, &sc[i], view_sql[one][i], rid);
    if (rc)
        goto out;
    if (one) {
        rc = sc[0].row ? print_record(out, sc, 1) : ML_ENOTFOUND;
        goto out;
    }
    rc = ml_buf_putc(out, '{');
    for (; !rc && sc[0].row; scan_next(&sc[0]), n++) {
        if (n)
            rc = ml_buf_putc(out, ',');
        if (!rc) rc = put_indent(out, 1);
        if (!rc) rc = put_col_str(out, sc[0].st, 0);
        if (!rc) rc = ml_buf_append(out, ": ", 2);
        if (!rc) rc = print_record(out, sc, 2);
    }
    if (!rc && n)
        rc = ml_buf_putc(out, '\n');
    if (!rc)
        rc = ml_buf_putc(out, '}');
out:
    for (int i = 0; i < 4; i++)
        sqlite3_finalize(sc[i].st);
    return rc;
}

/* ---- CSV ----------------------------------------------------------------------- */

static int csv_cell(ml_buf *out, const char *s, size_t n)
{
    if (!memchr(s, ',', n) && !memchr(s, '"', n) && !memchr(s, '\n', n) && !memchr(s, '\r', n))
        return ml_buf_append(out, s, n);
    int rc = ml_buf_putc(out, '"');
    for (size_t i = 0; i < n && !rc; i++)
        rc = s[i] == '"' ? ml_buf_append(out, "\"\"", 2) : ml_buf_putc(out, (uint8_t)s[i]);
    return rc ? rc : ml_buf_putc(out, '"');
}

/* A JSON value as a spreadsheet wants it: strings bare, the rest as JSON. */
static int csv_value(ml_buf *out, ml_span v, ml_buf *tmp)
{
    if (ml_json_is_string(v)) {
        ml_buf_reset(tmp);
        int rc = ml_json_str_decode(v, tmp);
        return rc ? rc : csv_cell(out, (const char *)tmp->p, tmp->len);
    }
    return csv_cell(out, v.p, v.len);
}

static int csv_json(ml_buf *out, sqlite3_stmt *st, int col, ml_buf *tmp)
{
    ml_span v = {(const char *)sqlite3_column_text(st, col), (size_t)sqlite3_column_bytes(st, col)};
    return csv_value(out, v, tmp);
}

typedef struct colset {
    char **name;
    size_t *len;
    size_t n;
} colset;

static int cmp_col(const void *x, const void *y)
{
    const char *const *a = x, *const *b = y;
    size_t la, lb;
    memcpy(&la, *a, sizeof la);
    memcpy(&lb, *b, sizeof lb);
    return bytes_cmp(*a + sizeof la, la, *b + sizeof lb, lb);
}

/* Every field name in use, sorted and distinct. Each name is stored after
 * its length (size_t) so the sort needs no side table. */
static int load_columns(ml_store *s, colset *cs)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 0, n = 0;
    char **v = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT fields FROM v_records WHERE fields IS NOT NULL", -1,
                           &st, NULL) != SQLITE_OK)
        return mls_db_err(s, "reading fields");
    int rc = 0, more = 0;
    while (!rc && sqlite3_step(st) == SQLITE_ROW) {
        const uint8_t *p = sqlite3_column_blob(st, 0);
        const uint8_t *end = p + sqlite3_column_bytes(st, 0);
        bent e = {0};
        while (!rc && p && (more = blob_next(&p, end, &e)) == 0) {
            if (n == cap) {
                cap = cap ? 2 * cap : 64;
                char **nv = realloc(v, cap * sizeof *nv);
                if (!nv) {
                    rc = ML_ENOMEM;
                    break;
                }
                v = nv;
            }
            char *c = malloc(sizeof e.nl + e.nl + 1);
            if (!c) {
                rc = ML_ENOMEM;
                break;
            }
            memcpy(c, &e.nl, sizeof e.nl);
            memcpy(c + sizeof e.nl, e.name, e.nl);
            c[sizeof e.nl + e.nl] = 0;
            v[n++] = c;
        }
        if (!rc && more < 0)
            rc = ML_ECORRUPT;
    }
    sqlite3_finalize(st);
    if (!rc && n)
        qsort(v, n, sizeof *v, cmp_col);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (rc || (k && cmp_col(&v[i], &v[k - 1]) == 0))
            free(v[i]);
        else
            v[k++] = v[i];
    }
    if (k && (!(cs->name = malloc(k * sizeof *cs->name)) ||
              !(cs->len = malloc(k * sizeof *cs->len)))) {
        rc = ML_ENOMEM;
        free(cs->name);
        cs->name = NULL;
    }
    for (size_t i = 0; i < k; i++) {
        if (rc) {
            free(v[i]);
            continue;
        }
        memcpy(&cs->len[i], v[i], sizeof(size_t));
        memmove(v[i], v[i] + sizeof(size_t), cs->len[i] + 1);
        cs->name[cs->n++] = v[i];
    }
    free(v);
    return rc;
}

static int csv_row(ml_buf *out, scan *sc, const colset *cs, ml_buf *tmp)
{
    sqlite3_stmt *r = sc->st;
    const char *rid = (const char *)sqlite3_column_text(r, 0);
    int rl = sqlite3_column_bytes(r, 0);
    const uint8_t *p = sqlite3_column_blob(r, 3);
    const uint8_t *end = p + sqlite3_column_bytes(r, 3);
    bent e = {0};
    int more = p ? blob_next(&p, end, &e) : 1;
    int rc = csv_cell(out, rid, (size_t)rl);
    if (!rc) rc = ml_buf_putc(out, ',');
    if (!rc) rc = csv_json(out, r, 1, tmp);
    if (!rc) rc = ml_buf_putc(out, ',');
    if (!rc) rc = csv_json(out, r, 2, tmp);
    for (size_t i = 0; i < cs->n && !rc; i++) {
        rc = ml_buf_putc(out, ',');
        if (!rc && more == 0 && bytes_cmp(e.name, e.nl, cs->name[i], cs->len[i]) == 0) {
            ml_span v = {(const char *)e.val, e.vl};
            rc = csv_value(out, v, tmp);
            more = blob_next(&p, end, &e);
        }
    }
    if (!rc && more < 0)
        rc = ML_ECORRUPT;
    return rc ? rc : ml_buf_append(out, "\r\n", 2);
}

int ml_store_export_csv(ml_store *s, ml_buf *out)
{
    colset cs = {NULL, NULL, 0};
    scan sc[1] = {{0}};
    ml_buf tmp = ML_BUF_INIT;
    int rc = load_columns(s, &cs);
    if (!rc)
        rc = scan_open(s, &sc[0], view_sql[0][0], NULL);
    if (!rc)
        rc = ml_buf_puts(out, "record_id,form,created_by");
    for (size_t i = 0; i < cs.n && !rc; i++) {
        rc = ml_buf_putc(out, ',');
        if (!rc)
            rc = csv_cell(out, cs.name[i], cs.len[i]);
    }
    if (!rc)
        rc = ml_buf_append(out, "\r\n", 2);
    for (; !rc && sc[0].row; scan_next(&sc[0]))
        rc = csv_row(out, sc, &cs, &tmp);
    sqlite3_finalize(sc[0].st);
    for (size_t i = 0; i < cs.n; i++)
        free(cs.name[i]);
    free(cs.name);
    free(cs.len);
    ml_buf_free(&tmp);
    return rc;
}
