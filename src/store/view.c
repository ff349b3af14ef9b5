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
#include <stdlib.h>
#include <string.h>

#include "meshlog/error.h"
#include "meshlog/json.h"
#include "store_int.h"

typedef struct vargs {
    ml_span p;
    ml_buf *rid, *f1, *f2;
} vargs;

static int get_str(ml_span p, const char *key, ml_buf *out)
{
    ml_span v;
    ml_buf_reset(out);
    if (ml_json_get(p, key, &v) || !ml_json_is_string(v))
        return ML_ENOTFOUND;
    return ml_json_str_decode(v, out);
}

static void bind_key(sqlite3_stmt *st, int col, const ml_event *ev)
{
    sqlite3_bind_int64(st, col, ev->hlc.wall);
    sqlite3_bind_int64(st, col + 1, ev->hlc.counter);
    sqlite3_bind_text(st, col + 2, ev->author, -1, SQLITE_STATIC);
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

/* Events about one record come in runs, so remembering the last record made
 * sure of in this transaction saves most INSERT OR IGNOREs. */
static int known(ml_store *s, const ml_buf *rid)
{
    /* vlast holds a marker byte then the record id, so "" is never "known" by accident */
    return s->vlast.len == rid->len + 1 && memcmp(s->vlast.p + 1, rid->p, rid->len) == 0;
}

static void remember(ml_store *s, const ml_buf *rid)
{
    ml_buf_reset(&s->vlast);
    if (ml_buf_putc(&s->vlast, 1) || ml_buf_append(&s->vlast, rid->p, rid->len))
        ml_buf_reset(&s->vlast);
}

static int apply_create(ml_store *s, const ml_event *ev, vargs *va)
{
    sqlite3_stmt *st = s->st[ST_REC_CREATE];
    ml_span form, by;
    bind_buf(st, 1, va->rid);
    if (ml_json_get(va->p, "form", &form) == 0) {
        bind_span(st, 2, form);
        bind_key(st, 3, ev);
    }
    if (ml_json_get(va->p, "by", &by) == 0) {
        bind_span(st, 7, by);
        bind_key(st, 8, ev);
    }
    int rc = mls_step_done(s, st, "updating record");
    sqlite3_clear_bindings(st);
    if (!rc)
        remember(s, va->rid);
    return rc;
}

static int touch(ml_store *s, vargs *va)
{
    if (known(s, va->rid))
        return 0;
    sqlite3_stmt *st = s->st[ST_REC_TOUCH];
    bind_buf(st, 1, va->rid);
    int rc = mls_step_done(s, st, "adding record");
    if (!rc)
        remember(s, va->rid);
    return rc;
}

static int apply_field(ml_store *s, const ml_event *ev, vargs *va)
{
    ml_span value;
    if (get_str(va->p, "field", va->f1) || ml_json_get(va->p, "value", &value))
        return 0;
    int rc = touch(s, va);
    if (rc)
        return rc;
    sqlite3_stmt *st = s->st[ST_FIELD_SET];
    bind_buf(st, 1, va->rid);
    bind_buf(st, 2, va->f1);
    bind_span(st, 3, value);
    bind_key(st, 4, ev);
    return mls_step_done(s, st, "setting field");
}

static int apply_note(ml_store *s, const ml_event *ev, vargs *va)
{
    ml_span text;
    if (ml_json_get(va->p, "text", &text))
        return 0;
    int rc = touch(s, va);
    if (rc)
        return rc;
    sqlite3_stmt *st = s->st[ST_NOTE_ADD];
    bind_buf(st, 1, va->rid);
    bind_key(st, 2, ev);
    bind_span(st, 6, text);
    return mls_step_done(s, st, "adding note");
}

static int apply_attachment(ml_store *s, const ml_event *ev, vargs *va)
{
    ml_span size = {"0", 1}, mime = {"\"\"", 2};
    if (get_str(va->p, "field", va->f1) || get_str(va->p, "blob_hash", va->f2))
        return 0;
    ml_json_get(va->p, "size", &size);
    ml_json_get(va->p, "mime", &mime);
    int rc = touch(s, va);
    if (rc)
        return rc;
    sqlite3_stmt *st = s->st[ST_ATT_ADD];
    bind_buf(st, 1, va->rid);
    bind_buf(st, 2, va->f1);
    bind_buf(st, 3, va->f2);
    bind_key(st, 4, ev);
    bind_span(st, 8, size);
    bind_span(st, 9, mime);
    return mls_step_done(s, st, "adding attachment");
}

static const struct {
    const char *kind;
    int (*apply)(ml_store *, const ml_event *, vargs *);
} reducers[] = {
    {ML_KIND_RECORD_CREATE, apply_create},
    {ML_KIND_FIELD_SET, apply_field},
    {ML_KIND_NOTE_ADD, apply_note},
    {ML_KIND_ATTACHMENT_ADD, apply_attachment},
};

int mlv_apply(ml_store *s, const ml_event *ev)
{
    vargs va = {{NULL, 0}, &s->vrid, &s->vf1, &s->vf2};
    for (size_t i = 0; i < sizeof reducers / sizeof reducers[0]; i++) {
        if (strcmp(ev->kind, reducers[i].kind) != 0)
            continue;
        va.p = (ml_span){ev->payload, ev->payload_len};
        if (get_str(va.p, "record_id", va.rid))
            return 0;
        return reducers[i].apply(s, ev, &va);
    }
    return 0;
}

/* ---- printing ---------------------------------------------------------------- */

typedef struct scan {
    sqlite3_stmt *st;
    int row;     /* 1 while positioned on a row */
} scan;

static int scan_open(ml_store *s, scan *sc, const char *sql, const char *rid)
{
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

static int print_fields(ml_buf *out, scan *sc, const char *rid, int rl, int d)
{
    int rc = put_key(out, d, "fields"), n = 0;
    if (!rc)
        rc = ml_buf_putc(out, '{');
    for (; !rc && scan_at(sc, rid, rl); scan_next(sc), n++) {
        if (n)
            rc = ml_buf_putc(out, ',');
        if (!rc) rc = put_indent(out, d + 1);
        if (!rc) rc = put_col_str(out, sc->st, 1);
        if (!rc) rc = ml_buf_append(out, ": ", 2);
        if (!rc) rc = put_col_json(out, sc->st, 2, d + 1);
    }
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
    if (!rc) rc = print_fields(out, &sc[1], rid, rl, d);
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

static const char *const view_sql[2][4] = {
    {"SELECT rid, form, by FROM v_records ORDER BY rid",
     "SELECT rid, field, value FROM v_fields ORDER BY rid, field",
     "SELECT rid, text FROM v_notes ORDER BY rid, w, c, a, s",
     "SELECT rid, field, blob_hash, size, mime FROM v_atts"
     " ORDER BY rid, field, blob_hash, w, c, a, s"},
    {"SELECT rid, form, by FROM v_records WHERE rid=?1",
     "SELECT rid, field, value FROM v_fields WHERE rid=?1 ORDER BY field",
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
static int csv_json(ml_buf *out, sqlite3_stmt *st, int col, ml_buf *tmp)
{
    ml_span v = {(const char *)sqlite3_column_text(st, col), (size_t)sqlite3_column_bytes(st, col)};
    if (ml_json_is_string(v)) {
        ml_buf_reset(tmp);
        int rc = ml_json_str_decode(v, tmp);
        return rc ? rc : csv_cell(out, (const char *)tmp->p, tmp->len);
    }
    return csv_cell(out, v.p, v.len);
}

typedef struct colset {
    char **name;
    size_t n;
} colset;

static int load_columns(ml_store *s, colset *cs)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT DISTINCT field FROM v_fields ORDER BY field", -1, &st,
                           NULL) != SQLITE_OK)
        return mls_db_err(s, "reading fields");
    int rc = 0;
    while (!rc && sqlite3_step(st) == SQLITE_ROW) {
        if (cs->n == cap) {
            cap = cap ? 2 * cap : 16;
            char **nn = realloc(cs->name, cap * sizeof *nn);
            if (!nn) {
                rc = ML_ENOMEM;
                break;
            }
            cs->name = nn;
        }
        if (!(cs->name[cs->n++] = strdup((const char *)sqlite3_column_text(st, 0))))
            rc = ML_ENOMEM;
    }
    sqlite3_finalize(st);
    return rc;
}

static int csv_row(ml_buf *out, scan sc[2], const colset *cs, ml_buf *tmp)
{
    sqlite3_stmt *r = sc[0].st;
    const char *rid = (const char *)sqlite3_column_text(r, 0);
    int rl = sqlite3_column_bytes(r, 0);
    int rc = csv_cell(out, rid, (size_t)rl);
    if (!rc) rc = ml_buf_putc(out, ',');
    if (!rc) rc = csv_json(out, r, 1, tmp);
    if (!rc) rc = ml_buf_putc(out, ',');
    if (!rc) rc = csv_json(out, r, 2, tmp);
    for (size_t i = 0; i < cs->n && !rc; i++) {
        rc = ml_buf_putc(out, ',');
        if (!rc && scan_at(&sc[1], rid, rl) &&
            strcmp((const char *)sqlite3_column_text(sc[1].st, 1), cs->name[i]) == 0) {
            rc = csv_json(out, sc[1].st, 2, tmp);
            scan_next(&sc[1]);
        }
    }
    return rc ? rc : ml_buf_append(out, "\r\n", 2);
}

int ml_store_export_csv(ml_store *s, ml_buf *out)
{
    colset cs = {NULL, 0};
    scan sc[2] = {{0}};
    ml_buf tmp = ML_BUF_INIT;
    int rc = load_columns(s, &cs);
    for (int i = 0; i < 2 && !rc; i++)
        rc = scan_open(s, &sc[i], view_sql[0][i], NULL);
    if (!rc)
        rc = ml_buf_puts(out, "record_id,form,created_by");
    for (size_t i = 0; i < cs.n && !rc; i++) {
        rc = ml_buf_putc(out, ',');
        if (!rc)
            rc = csv_cell(out, cs.name[i], strlen(cs.name[i]));
    }
    if (!rc)
        rc = ml_buf_append(out, "\r\n", 2);
    for (; !rc && sc[0].row; scan_next(&sc[0]))
        rc = csv_row(out, sc, &cs, &tmp);
    for (int i = 0; i < 2; i++)
        sqlite3_finalize(sc[i].st);
    for (size_t i = 0; i < cs.n; i++)
        free(cs.name[i]);
    free(cs.name);
    ml_buf_free(&tmp);
    return rc;
}
