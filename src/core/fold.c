// SPDX-License-Identifier: MIT
// A fresh fold, written as the seed's materialize() is: sort every event by
// (wall, counter, author, seq), apply them one by one to in-memory records,
// then sort attachments by (field, blob_hash). It shares no code with the
// store's incremental SQL view, so comparing the two catches either going
// wrong. Used by `meshlog verify` and the property tests.
#include <stdlib.h>
#include <string.h>

#include "meshlog/error.h"
#include "meshlog/fold.h"
#include "meshlog/json.h"

typedef struct fev {
    ml_stamp hlc;
    char *author;
    int64_t seq;
    char *kind;
    char *payload;
    size_t payload_len;
} fev;

struct ml_fold {
    fev *v;
    size_t n, cap;
};

int ml_fold_new(ml_fold **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : ML_ENOMEM;
}

void ml_fold_free(ml_fold *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].author);
        free(f->v[i].kind);
        free(f->v[i].payload);
    }
    free(f->v);
    free(f);
}

int ml_fold_add(ml_fold *f, const ml_event *ev)
{
    fev *nv = ml_grow(f->v, &f->cap, f->n, sizeof *nv, 256);
    if (!nv)
        return ML_ENOMEM;
    f->v = nv;
    fev *e = &f->v[f->n];
    e->hlc = ev->hlc;
    e->seq = ev->seq;
    e->author = strdup(ev->author);
    e->kind = strdup(ev->kind);
    e->payload = malloc(ev->payload_len + 1);
    if (!e->author || !e->kind || !e->payload) {
        free(e->author);
        free(e->kind);
        free(e->payload);
        return ML_ENOMEM;
    }
    memcpy(e->payload, ev->payload, ev->payload_len);
    e->payload[ev->payload_len] = 0;
    e->payload_len = ev->payload_len;
    f->n++;
    return 0;
}

static int cmp_fev(const void *x, const void *y)
{
    const fev *a = x, *b = y;
    return ml_event_order(&a->hlc, a->author, a->seq, &b->hlc, b->author, b->seq);
}

static json_t *record_for(json_t *records, const char *rid)
{
    json_t *r = json_object_get(records, rid);
    if (r)
        return r;
    r = json_pack("{s:s, s:s, s:s, s:{}, s:[], s:[]}", "record_id", rid, "form", "",
                  "created_by", "", "fields", "attachments", "notes");
    json_object_set_new(records, rid, r);
    return r;
}

static void apply(json_t *records, const char *kind, json_t *p)
{
    const char *rid = json_string_value(json_object_get(p, "record_id"));
    if (!rid)
        return;
    json_t *field = json_object_get(p, "field");
    if (strcmp(kind, ML_KIND_RECORD_CREATE) == 0) {
        json_t *r = record_for(records, rid);
        if (json_object_get(p, "form"))
            json_object_set(r, "form", json_object_get(p, "form"));
        if (json_object_get(p, "by"))
            json_object_set(r, "created_by", json_object_get(p, "by"));
    } else if (strcmp(kind, ML_KIND_FIELD_SET) == 0) {
        if (json_is_string(field) && json_object_get(p, "value"))
            json_object_set(json_object_get(record_for(records, rid), "fields"),
                            json_string_value(field), json_object_get(p, "value"));
    } else if (strcmp(kind, ML_KIND_NOTE_ADD) == 0) {
        if (json_object_get(p, "text"))
            json_array_append(json_object_get(record_for(records, rid), "notes"),
                              json_object_get(p, "text"));
    } else if (strcmp(kind, ML_KIND_ATTACHMENT_ADD) == 0) {
        json_t *bh = json_object_get(p, "blob_hash");
        if (!json_is_string(field) || !json_is_string(bh))
            return;
        json_t *size = json_object_get(p, "size"), *mime = json_object_get(p, "mime");
        json_t *att = json_pack("{s:O, s:O, s:O, s:O}", "field", field, "blob_hash", bh,
                                "size", size ? size : json_integer(0),
                                "mime", mime ? mime : json_string(""));
        if (!size)
            json_decref(json_object_get(att, "size"));
        if (!mime)
            json_decref(json_object_get(att, "mime"));
        json_array_append_new(json_object_get(record_for(records, rid), "attachments"), att);
    }
}

typedef struct att_ref {
    json_t *att;
    size_t idx;
} att_ref;

static int cmp_att(const void *x, const void *y)
{
    const att_ref *a = x, *b = y;
    int c = strcmp(json_string_value(json_object_get(a->att, "field")),
                   json_string_value(json_object_get(b->att, "field")));
    if (!c)
        c = strcmp(json_string_value(json_object_get(a->att, "blob_hash")),
                   json_string_value(json_object_get(b->att, "blob_hash")));
    if (!c)
        c = a->idx < b->idx ? -1 : a->idx > b->idx;   /* stable, like Python's sorted */
    return c;
}

static int sort_attachments(json_t *rec)
{
    json_t *arr = json_object_get(rec, "attachments");
    size_t n = json_array_size(arr);
    if (n < 2)
        return 0;
    att_ref *refs = malloc(n * sizeof *refs);
    if (!refs)
        return ML_ENOMEM;
    for (size_t i = 0; i < n; i++)
        refs[i] = (att_ref){json_incref(json_array_get(arr, i)), i};
    qsort(refs, n, sizeof *refs, cmp_att);
    json_array_clear(arr);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, refs[i].att);
    free(refs);
    return 0;
}

int ml_fold_canonical(ml_fold *f, ml_buf *out)
{
    int rc = 0;
    json_t *records = json_object();
    if (!records)
        return ML_ENOMEM;
    if (f->n)   /* qsort(NULL, 0, ...) is undefined */
        qsort(f->v, f->n, sizeof *f->v, cmp_fev);
    for (size_t i = 0; i < f->n; i++) {
        json_t *p = ml_json_parse(f->v[i].payload, f->v[i].payload_len, NULL, 0);
        if (!p) {
            rc = ML_EMALFORMED;
            break;
        }
        apply(records, f->v[i].kind, p);
        json_decref(p);
    }
    const char *key;
    json_t *rec;
    json_object_foreach(records, key, rec)
        if (!rc)
            rc = sort_attachments(rec);
    if (!rc)
        rc = ml_json_canon(out, records, NULL, 0);
    json_decref(records);
    return rc;
}
