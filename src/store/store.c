// SPDX-License-Identifier: MIT
// The feed store over SQLite: schema, statements, the author cache, local
// appends, frontier and delta, reading events, blobs and counters. Ingest of
// remote events is in ingest.c, the view in view.c, verification in verify.c.
//
// Durability: WAL with synchronous=FULL, so a commit is on disk when it
// returns; a local entry is one transaction. Every change to feeds and view
// happens inside one transaction, so a killed process leaves either all of a
// batch or none of it.
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/json.h"
#include "store_int.h"

/* 3: fields blobs may be format 2 (view.c); a schema-2 store opens as 3
 * unchanged, since format 1 is still read. */
#define ML_SCHEMA_VERSION "3"

/* Page size of new store files (see store_setup). */
#define STORE_PAGE_SIZE 16384
#define ML_STR_(x) #x
#define ML_STR(x) ML_STR_(x)

/* The events table, also used by the schema-1 upgrade. */
#define EVENTS_TABLE(name)                                                                   \
    "CREATE TABLE IF NOT EXISTS " name "(k INTEGER PRIMARY KEY,"                             \
    " aid INTEGER NOT NULL, seq INTEGER NOT NULL, id BLOB NOT NULL,"                         \
    " wall INTEGER NOT NULL, counter INTEGER NOT NULL, kind TEXT NOT NULL,"                  \
    " payload TEXT NOT NULL, sig BLOB, sigok INTEGER NOT NULL DEFAULT 0);"

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS authors("
    " aid INTEGER PRIMARY KEY, author TEXT NOT NULL UNIQUE, signed INTEGER NOT NULL,"
    " pubkey BLOB, name TEXT, head_seq INTEGER NOT NULL DEFAULT 0, head_id BLOB,"
    " pending INTEGER NOT NULL DEFAULT 0, max_wall INTEGER NOT NULL DEFAULT 0,"
    " max_counter INTEGER NOT NULL DEFAULT 0, skewed INTEGER NOT NULL DEFAULT 0);"
    /* prev is not stored: it is the id of (aid, seq-1), so the chain is
     * structural. The rowid k is (aid << 40) + seq (EV_KEY): a feed is one
     * rowid range, appends go to its end, and a row is not its own key (the
     * rows are large). */
    EVENTS_TABLE("events")
    "CREATE TABLE IF NOT EXISTS pending("
    " aid INTEGER NOT NULL, seq INTEGER NOT NULL, id BLOB NOT NULL, prev BLOB,"
    " wall INTEGER NOT NULL, counter INTEGER NOT NULL, kind TEXT NOT NULL,"
    " payload TEXT NOT NULL, sig BLOB, PRIMARY KEY(aid, seq, id)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS forks("
    " aid INTEGER NOT NULL, seq INTEGER NOT NULL, id BLOB NOT NULL, prev BLOB,"
    " wall INTEGER NOT NULL, counter INTEGER NOT NULL, kind TEXT NOT NULL,"
    " payload TEXT NOT NULL, sig BLOB, reason TEXT NOT NULL,"
    " PRIMARY KEY(aid, seq, id)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS refusals(reason TEXT PRIMARY KEY, n INTEGER NOT NULL)"
    " WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS blobs(hash TEXT PRIMARY KEY, size INTEGER NOT NULL,"
    " data BLOB NOT NULL) WITHOUT ROWID;"
    /* The view. JSON values are stored as canonical text; (w,c,a,s) is the
     * reducer's total order key (wall, counter, author, seq). A record's
     * fields are one blob in its row (format in view.c), so a batch writes
     * each record it touches once. */
    "CREATE TABLE IF NOT EXISTS v_records(rid TEXT PRIMARY KEY,"
    " form TEXT NOT NULL DEFAULT '\"\"', fw INTEGER, fc INTEGER, fa TEXT, fs INTEGER,"
    " by TEXT NOT NULL DEFAULT '\"\"', bw INTEGER, bc INTEGER, ba TEXT, bs INTEGER,"
    " fields BLOB)"
    " WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS v_notes(rid TEXT NOT NULL, w INTEGER NOT NULL,"
    " c INTEGER NOT NULL, a TEXT NOT NULL, s INTEGER NOT NULL, text TEXT NOT NULL,"
    " PRIMARY KEY(rid, w, c, a, s)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS v_atts(rid TEXT NOT NULL, field TEXT NOT NULL,"
    " blob_hash TEXT NOT NULL, w INTEGER NOT NULL, c INTEGER NOT NULL, a TEXT NOT NULL,"
    " s INTEGER NOT NULL, size TEXT NOT NULL, mime TEXT NOT NULL,"
    " PRIMARY KEY(rid, field, blob_hash, w, c, a, s)) WITHOUT ROWID;";

static const char *const st_sql[ST__COUNT] = {
    [ST_AUTHOR_INSERT] = "INSERT INTO authors(author, signed) VALUES(?1, ?2)",
    [ST_AUTHOR_UPDATE] =
        "UPDATE authors SET pubkey=?2, name=?3, head_seq=?4, head_id=?5, pending=?6,"
        " max_wall=?7, max_counter=?8, skewed=?9, signed=?10 WHERE aid=?1",
    [ST_EVENT_INSERT] = "INSERT INTO events(k, aid, seq, id, wall, counter, kind, payload, sig,"
                        " sigok) VALUES(" EV_KEY("?1", "?2") ", ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
                        " ?9)",
    /* seq=?2 too: a seq out of range must not reach into another feed's range */
    [ST_EVENT_ID_AT] = "SELECT id FROM events WHERE k=" EV_KEY("?1", "?2") " AND seq=?2",
    [ST_PENDING_INSERT] =
        "INSERT OR IGNORE INTO pending(aid, seq, id, prev, wall, counter, kind, payload, sig)"
        " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [ST_PENDING_BY_AUTHOR] = "SELECT seq, id, prev, wall, counter, kind, payload, sig"
                             " FROM pending WHERE aid=?1 ORDER BY seq",
    [ST_PENDING_DELETE] = "DELETE FROM pending WHERE aid=?1 AND seq<=?2",
    [ST_PENDING_DELETE_ONE] = "DELETE FROM pending WHERE aid=?1 AND seq=?2 AND id=?3",
    [ST_FORK_INSERT] =
        "INSERT OR IGNORE INTO forks(aid, seq, id, prev, wall, counter, kind, payload, sig,"
        " reason) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [ST_REFUSAL_BUMP] = "INSERT INTO refusals(reason, n) VALUES(?1, 1)"
                        " ON CONFLICT(reason) DO UPDATE SET n = n + 1",
    [ST_REC_GET] = "SELECT form, fw, fc, fa, fs, by, bw, bc, ba, bs, fields FROM v_records"
                   " WHERE rid=?1",
    [ST_REC_INSERT] = "INSERT INTO v_records(rid, form, fw, fc, fa, fs, by, bw, bc, ba, bs, fields)"
                      " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    [ST_REC_UPDATE] = "UPDATE v_records SET form=?2, fw=?3, fc=?4, fa=?5, fs=?6, by=?7, bw=?8,"
                      " bc=?9, ba=?10, bs=?11, fields=?12 WHERE rid=?1",
    [ST_NOTE_ADD] = "INSERT OR IGNORE INTO v_notes(rid, w, c, a, s, text)"
                    " VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_ATT_ADD] = "INSERT OR IGNORE INTO v_atts(rid, field, blob_hash, w, c, a, s, size, mime)"
                   " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
};

/* ---- errors and logging ----------------------------------------------------- */

int mls_err(ml_store *s, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->errmsg, sizeof s->errmsg, fmt, ap);
    va_end(ap);
    return rc;
}

int mls_db_err(ml_store *s, const char *what)
{
    int code = sqlite3_errcode(s->db);
    int rc = (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) ? ML_ECORRUPT : ML_EDB;
    if (code == SQLITE_FULL || code == SQLITE_IOERR)
        rc = ML_EIO;
    return mls_err(s, rc, "%s: %s", what, sqlite3_errmsg(s->db));
}

void mls_log(ml_store *s, int level, const char *fmt, ...)
{
    if (!s->log)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s->log(s->log_ctx, level, msg);
}

const char *ml_store_errmsg(ml_store *s)
{
    return s && s->errmsg[0] ? s->errmsg : "no error";
}

ml_hlc *ml_store_hlc(ml_store *s)
{
    return &s->hlc;
}

int mls_step_done(ml_store *s, sqlite3_stmt *st, const char *what)
{
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    return r == SQLITE_DONE || r == SQLITE_ROW ? 0 : mls_db_err(s, what);
}

/* ---- transactions and the author cache ---------------------------------------- */

static void authors_drop(ml_store *s)
{
    for (size_t i = 0; i < s->n_authors; i++) {
        free(s->authors[i].author);
        free(s->authors[i].name);
    }
    s->n_authors = 0;
}

static int authors_load(ml_store *s)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    authors_drop(s);
    if (sqlite3_prepare_v2(s->db,
                           "SELECT aid, author, signed, pubkey, name, head_seq, head_id,"
                           " pending, max_wall, max_counter, skewed FROM authors ORDER BY aid",
                           -1, &st, NULL) != SQLITE_OK)
        return mls_db_err(s, "loading authors");
    while (sqlite3_step(st) == SQLITE_ROW) {
        ml_author_ent *a;
        const char *name = (const char *)sqlite3_column_text(st, 1);
        if ((rc = mls_author_add(s, name, sqlite3_column_int(st, 2), &a)))
            break;
        a->aid = sqlite3_column_int64(st, 0);
        if (sqlite3_column_bytes(st, 3) == 64) {
            memcpy(a->pub, sqlite3_column_blob(st, 3), 64);
            a->has_pub = 1;
        }
        if (sqlite3_column_type(st, 4) == SQLITE_TEXT)
            a->name = strdup((const char *)sqlite3_column_text(st, 4));
        a->head_seq = sqlite3_column_int64(st, 5);
        if (sqlite3_column_bytes(st, 6) == ML_ID_LEN)
            memcpy(a->head_id.b, sqlite3_column_blob(st, 6), ML_ID_LEN);
        a->pending = sqlite3_column_int64(st, 7);
        a->max.wall = sqlite3_column_int64(st, 8);
        a->max.counter = sqlite3_column_int64(st, 9);
        a->skewed = sqlite3_column_int(st, 10);
        a->dirty = 0;
        ml_hlc_observe(&s->hlc, a->max);
    }
    sqlite3_finalize(st);
    return rc;
}

ml_author_ent *mls_author_find(ml_store *s, const char *author)
{
    for (size_t i = s->n_authors; i-- > 0;)
        if (strcmp(s->authors[i].author, author) == 0)
            return &s->authors[i];
    return NULL;
}

/* Adds to the cache only; the row is inserted by author_insert(). */
int mls_author_add(ml_store *s, const char *author, int is_signed, ml_author_ent **out)
{
    ml_author_ent *na = ml_grow(s->authors, &s->cap_authors, s->n_authors, sizeof *na, 16);
    if (!na)
        return ML_ENOMEM;
    s->authors = na;
    ml_author_ent *a = &s->authors[s->n_authors];
    memset(a, 0, sizeof *a);
    a->author = strdup(author);
    if (!a->author)
        return ML_ENOMEM;
    a->is_signed = is_signed;
    s->n_authors++;
    *out = a;
    return 0;
}

int mls_author_insert(ml_store *s, const char *author, int is_signed, ml_author_ent **out)
{
    sqlite3_stmt *st = s->st[ST_AUTHOR_INSERT];
    sqlite3_bind_text(st, 1, author, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, is_signed);
    int rc = mls_step_done(s, st, "adding author");
    if (rc)
        return rc;
    if ((rc = mls_author_add(s, author, is_signed, out)))
        return rc;
    (*out)->aid = sqlite3_last_insert_rowid(s->db);
    if ((*out)->aid >= EV_MAX_AID)
        return mls_err(s, ML_ETOOBIG, "this store holds no more authors");
    return 0;
}

static int authors_flush(ml_store *s)
{
    sqlite3_stmt *st = s->st[ST_AUTHOR_UPDATE];
    for (size_t i = 0; i < s->n_authors; i++) {
        ml_author_ent *a = &s->authors[i];
        if (!a->dirty)
            continue;
        sqlite3_bind_int64(st, 1, a->aid);
        if (a->has_pub)
            sqlite3_bind_blob(st, 2, a->pub, 64, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 2);
        if (a->name)
            sqlite3_bind_text(st, 3, a->name, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 3);
        sqlite3_bind_int64(st, 4, a->head_seq);
        if (a->head_seq)
            sqlite3_bind_blob(st, 5, a->head_id.b, ML_ID_LEN, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 5);
        sqlite3_bind_int64(st, 6, a->pending);
        sqlite3_bind_int64(st, 7, a->max.wall);
        sqlite3_bind_int64(st, 8, a->max.counter);
        sqlite3_bind_int(st, 9, a->skewed);
        sqlite3_bind_int(st, 10, a->is_signed);
        int rc = mls_step_done(s, st, "updating author");
        sqlite3_clear_bindings(st);
        if (rc)
            return rc;
        a->dirty = 0;
    }
    return 0;
}

int mls_begin(ml_store *s)
{
    mlv_discard(s);
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return mls_db_err(s, "begin");
    s->in_tx = 1;
    return 0;
}

int mls_commit(ml_store *s)
{
    int rc = mlv_flush(s);
    if (!rc)
        rc = authors_flush(s);
    if (rc) {
        mls_rollback(s);
        return rc;
    }
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        rc = mls_db_err(s, "commit");
        mls_rollback(s);
        return rc;
    }
    s->in_tx = 0;
    return 0;
}

/* A failed transaction poisons nothing: roll back and reload the cache from
 * what is on disk, so memory never runs ahead of the file. */
void mls_rollback(ml_store *s)
{
    if (s->in_tx)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    s->in_tx = 0;
    mlv_discard(s);
    ml_hlc saved = s->hlc;
    if (authors_load(s))
        authors_drop(s);
    if (saved.last.wall > s->hlc.last.wall)
        s->hlc.last = saved.last;   /* a clock never goes back */
}

int mls_refusal_bump(ml_store *s, const char *reason)
{
    sqlite3_stmt *st = s->st[ST_REFUSAL_BUMP];
    sqlite3_bind_text(st, 1, reason, -1, SQLITE_STATIC);
    return mls_step_done(s, st, "counting refusal");
}

/* ---- open / close --------------------------------------------------------------- */

static int meta_get(ml_store *s, const char *k, char *out, size_t outlen)
{
    sqlite3_stmt *st = NULL;
    int rc = ML_ENOTFOUND;
    if (sqlite3_prepare_v2(s->db, "SELECT v FROM meta WHERE k=?1", -1, &st, NULL) != SQLITE_OK)
        return mls_db_err(s, "reading meta");
    sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        snprintf(out, outlen, "%s", (const char *)sqlite3_column_text(st, 0));
        rc = 0;
    }
    sqlite3_finalize(st);
    return rc;
}

static int meta_set(ml_store *s, const char *k, const char *v)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO meta(k, v) VALUES(?1, ?2)", -1, &st,
                           NULL) != SQLITE_OK)
        return mls_db_err(s, "writing meta");
    sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, v, -1, SQLITE_STATIC);
    int rc = mls_step_done(s, st, "writing meta");
    sqlite3_finalize(st);
    return rc;
}

/* Schema 1 -> 2: the view's fields move into their records' rows, events
 * into a rowid table keyed by EV_KEY. One
 * transaction: a store is either upgraded whole or left as it was. */
static int upgrade_1(ml_store *s)
{
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return mls_db_err(s, "upgrading the store");
    int rc = mlv_upgrade_1(s);
    if (!rc && sqlite3_exec(s->db,
                            EVENTS_TABLE("events2")
                            "INSERT INTO events2 SELECT " EV_KEY("aid", "seq") ", aid, seq, id,"
                            " wall, counter, kind, payload, sig, sigok FROM events;"
                            "DROP TABLE events;"
                            "ALTER TABLE events2 RENAME TO events;",
                            NULL, NULL, NULL) != SQLITE_OK)
        rc = mls_db_err(s, "upgrading the store");
    if (!rc)
        rc = meta_set(s, "schema_version", ML_SCHEMA_VERSION);
    if (!rc && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = mls_db_err(s, "upgrading the store");
    if (rc)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    else
        mls_log(s, ML_LOG_INFO, "store upgraded to schema %s", ML_SCHEMA_VERSION);
    return rc;
}

static int store_setup(ml_store *s, int create, int durable)
{
    char ver[32];
    sqlite3_busy_timeout(s->db, 10000);
    /* A new file gets large pages (must come before WAL mode writes page 1;
     * a no-op on an existing store): a bulk ingest then writes a quarter as
     * many WAL frames, each one two write calls and part of a kernel page,
     * which was a third of the ingest's time at 4 KiB pages. */
    sqlite3_exec(s->db, "PRAGMA page_size=" ML_STR(STORE_PAGE_SIZE), NULL, NULL, NULL);
    if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK)
        return mls_db_err(s, "enabling WAL");
    if (sqlite3_exec(s->db, durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
                     NULL, NULL, NULL) != SQLITE_OK)
        return mls_db_err(s, "setting synchronous");
    /* bounded memory: ~8 MB page cache whatever the store size */
    sqlite3_exec(s->db, "PRAGMA cache_size=-8192", NULL, NULL, NULL);
    /* Checkpoints run on a background thread (ckpt.c), whose WAL hook
     * replaces SQLite's autocheckpoint; the WAL file is cut back to 64 MB
     * after one. */
    sqlite3_exec(s->db, "PRAGMA journal_size_limit=67108864", NULL, NULL, NULL);
    sqlite3_stmt *ps = NULL;
    s->page_size = 4096;
    if (sqlite3_prepare_v2(s->db, "PRAGMA page_size", -1, &ps, NULL) == SQLITE_OK &&
        sqlite3_step(ps) == SQLITE_ROW)
        s->page_size = sqlite3_column_int(ps, 0);
    sqlite3_finalize(ps);
    mls_ckpt_install(s);
    if (create && sqlite3_exec(s->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK)
        return mls_db_err(s, "creating schema");
    int rc = meta_get(s, "schema_version", ver, sizeof ver);
    if (rc == ML_ENOTFOUND && create)
        rc = meta_set(s, "schema_version", ML_SCHEMA_VERSION);
    else if (!rc && strcmp(ver, "1") == 0)
        rc = upgrade_1(s);
    else if (!rc && strcmp(ver, "2") == 0)
        rc = meta_set(s, "schema_version", ML_SCHEMA_VERSION);
    else if (rc == ML_ENOTFOUND)
        return mls_err(s, ML_ECORRUPT, "not a meshlog store (no schema version)");
    else if (!rc && strcmp(ver, ML_SCHEMA_VERSION) != 0)
        return mls_err(s, ML_EUNSUPPORTED, "store schema version %s, this build reads %s", ver,
                       ML_SCHEMA_VERSION);
    if (rc)
        return rc;
    for (int i = 0; i < ST__COUNT; i++)
        if (sqlite3_prepare_v3(s->db, st_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i],
                               NULL) != SQLITE_OK)
            return mls_db_err(s, "preparing statements");
    return authors_load(s);
}

int ml_store_open(ml_store **out, const char *path, const ml_store_opts *opts)
{
    ml_store_opts dflt = {0, NULL, NULL, 0, NULL, NULL, 1};
    const ml_store_opts *o = opts ? opts : &dflt;
    *out = NULL;
    if (!o->create && access(path, F_OK) != 0)
        return ML_ENOTFOUND;
    ml_store *s = calloc(1, sizeof *s);
    if (!s)
        return ML_ENOMEM;
    ml_hlc_init(&s->hlc, o->clock, o->clock_ctx);
    if (o->max_skew_ms)
        s->hlc.max_skew_ms = o->max_skew_ms;
    s->log = o->log;
    s->log_ctx = o->log_ctx;
    /* one thread per ml_store: SQLite's own mutexes are pure overhead here */
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
                (o->create ? SQLITE_OPEN_CREATE : 0);
    int rc;
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK)
        rc = mls_db_err(s, "opening store");
    else
        rc = store_setup(s, o->create, opts ? o->durable : 1);
    if (rc) {
        mls_log(s, ML_LOG_ERROR, "%s", s->errmsg);
        ml_store_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

int ml_store_map_reads(ml_store *s)
{
    if (sqlite3_exec(s->db, "PRAGMA mmap_size=1073741824", NULL, NULL, NULL) != SQLITE_OK)
        return mls_db_err(s, "mapping the store");
    return 0;
}

void ml_store_close(ml_store *s)
{
    if (!s)
        return;
    if (s->in_tx)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    mls_ckpt_stop(s);   /* then closing the connection checkpoints the rest */
    for (int i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(s->st[i]);
    sqlite3_close(s->db);
    authors_drop(s);
    free(s->authors);
    ml_buf_free(&s->scratch);
    ml_buf_free(&s->scratch2);
    ml_buf_free(&s->vrid);
    ml_buf_free(&s->vf1);
    ml_buf_free(&s->vf2);
    mlv_free(s);
    free(s);
}

/* ---- accepting an event (shared by local appends and ingest) ------------------------ */

int mls_feed_open_pubkey(const ml_event *ev, uint8_t pub[64], char **name)
{
    ml_span p = {ev->payload, ev->payload_len}, v;
    ml_buf hex = ML_BUF_INIT;
    int rc = ML_EMALFORMED;
    if (strcmp(ev->kind, ML_KIND_FEED_OPEN) != 0 || ml_json_get(p, "pubkey", &v) ||
        ml_json_str_decode(v, &hex) || ml_unhex(pub, 64, (const char *)hex.p, hex.len))
        goto out;
    if (name) {
        *name = NULL;
        ml_buf_reset(&hex);
        if (ml_json_get(p, "name", &v) == 0 && ml_json_str_decode(v, &hex) == 0)
            *name = strdup(ml_buf_str(&hex));
    }
    rc = 0;
out:
    ml_buf_free(&hex);
    return rc;
}

int mls_accept(ml_store *s, ml_author_ent *a, const ml_event *ev, int sig_checked)
{
    sqlite3_stmt *st = s->st[ST_EVENT_INSERT];
    if (ev->seq >= EV_MAX_SEQ)
        return mls_err(s, ML_ETOOBIG, "feed %s is longer than this store holds", a->author);
    sqlite3_bind_int64(st, 1, a->aid);
    sqlite3_bind_int64(st, 2, ev->seq);
    sqlite3_bind_blob(st, 3, ev->id.b, ML_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, ev->hlc.wall);
    sqlite3_bind_int64(st, 5, ev->hlc.counter);
    sqlite3_bind_text(st, 6, ev->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, ev->payload, (int)ev->payload_len, SQLITE_STATIC);
    if (ev->has_sig)
        sqlite3_bind_blob(st, 8, ev->sig, ML_SIG_LEN, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 8);
    sqlite3_bind_int(st, 9, ev->has_sig && sig_checked);
    int rc = mls_step_done(s, st, "storing event");
    if (rc)
        return rc;
    if ((rc = mlv_apply(s, ev, a->author)))
        return rc;
    a->head_seq = ev->seq;
    a->head_id = ev->id;
    a->dirty = 1;
    return 0;
}

/* ---- the local author --------------------------------------------------------------- */

int ml_store_local(ml_store *s, char author[33], char *path, size_t pathlen)
{
    char buf[4096];
    int rc = meta_get(s, "local_author", author, 33);
    if (rc)
        return rc;
    if (path && (rc = meta_get(s, "identity_path", buf, sizeof buf)) == 0)
        snprintf(path, pathlen, "%s", buf);
    return rc;
}

static int append_locked(ml_store *s, const ml_author *au, const char *kind, const char *payload,
                         size_t payload_len, ml_event *out)
{
    ml_author_ent *a = mls_author_find(s, au->hex);
    int rc;
    if (!a && (rc = mls_author_insert(s, au->hex, 1, &a)))
        return rc;
    ml_event ev = {0};
    ev.author = (char *)au->hex;
    ev.kind = (char *)kind;
    ev.payload = (char *)payload;
    ev.payload_len = payload_len;
    ev.seq = a->head_seq + 1;
    ev.has_prev = a->head_seq > 0;
    ev.prev = a->head_id;
    ev.hlc = ml_hlc_now(&s->hlc);
    ml_buf_reset(&s->scratch);
    if ((rc = ml_event_canonical(&ev, &s->scratch)))
        return mls_err(s, rc, "event is not valid UTF-8");
    uint8_t h[32];
    ml_sha256(h, s->scratch.p, s->scratch.len);
    memcpy(ev.id.b, h, ML_ID_LEN);
    if ((rc = ml_author_sign(au, ev.sig, s->scratch.p, s->scratch.len)))
        return mls_err(s, rc, "signing failed");
    ev.has_sig = 1;
    if ((rc = mls_accept(s, a, &ev, 1)))
        return rc;
    a->max = ev.hlc;
    if (ev.seq == 1 && strcmp(kind, ML_KIND_FEED_OPEN) == 0) {
        memcpy(a->pub, au->pub, 64);
        a->has_pub = 1;
        mls_feed_open_pubkey(&ev, a->pub, &a->name);
    }
    if (out)
        rc = ml_event_copy(out, &ev);
    return rc;
}

int ml_store_append(ml_store *s, const ml_author *au, const char *kind, const char *payload,
                    size_t payload_len, ml_event *out)
{
    int rc = mls_begin(s);
    if (rc)
        return rc;
    ml_author_ent *a = mls_author_find(s, au->hex);
    if (!a || a->head_seq == 0) {
        mls_rollback(s);
        return mls_err(s, ML_ESTATE, "this store has no feed for author %s (run init)", au->hex);
    }
    rc = append_locked(s, au, kind, payload, payload_len, out);
    if (rc) {
        mls_rollback(s);
        return rc;
    }
    return mls_commit(s);
}

int ml_store_init_local(ml_store *s, const ml_author *au, const char *name,
                        const char *identity_path)
{
    char existing[33];
    if (ml_store_local(s, existing, NULL, 0) == 0)
        return mls_err(s, ML_EEXIST, "store already belongs to author %s", existing);
    ml_buf p = ML_BUF_INIT;
    char pub[129];
    ml_hex(pub, au->pub, 64);
    int rc = ml_buf_puts(&p, "{\"name\":");
    if (!rc)
        rc = ml_json_put_str(&p, name, strlen(name));
    if (!rc)
        rc = ml_buf_printf(&p, ",\"pubkey\":\"%s\"}", pub);
    if (rc)
        goto out;
    if ((rc = mls_begin(s)))
        goto out;
    if ((rc = meta_set(s, "local_author", au->hex)) ||
        (rc = meta_set(s, "identity_path", identity_path)) ||
        (rc = append_locked(s, au, ML_KIND_FEED_OPEN, (const char *)p.p, p.len, NULL))) {
        mls_rollback(s);
        goto out;
    }
    rc = mls_commit(s);
out:
    ml_buf_free(&p);
    return rc;
}

/* ---- frontier, delta, reading ---------------------------------------------------------- */

void ml_frontier_free(ml_frontier *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++)
        free(f->v[i].author);
    free(f->v);
    f->v = NULL;
    f->n = 0;
}

static int cmp_front(const void *x, const void *y)
{
    return strcmp(((const ml_frontier_entry *)x)->author, ((const ml_frontier_entry *)y)->author);
}

int ml_store_frontier(ml_store *s, ml_frontier *out)
{
    out->v = calloc(s->n_authors + 1, sizeof *out->v);
    out->n = 0;
    if (!out->v)
        return ML_ENOMEM;
    for (size_t i = 0; i < s->n_authors; i++) {
        if (s->authors[i].head_seq == 0)
            continue;
        ml_frontier_entry *e = &out->v[out->n];
        e->author = strdup(s->authors[i].author);
        e->seq = s->authors[i].head_seq;
        if (!e->author) {
            ml_frontier_free(out);
            return ML_ENOMEM;
        }
        out->n++;
    }
    qsort(out->v, out->n, sizeof *out->v, cmp_front);
    return 0;
}

void ml_events_free(ml_event *evs, size_t n)
{
    if (!evs)
        return;
    for (size_t i = 0; i < n; i++)
        ml_event_clear(&evs[i]);
    free(evs);
}

/* Columns: seq, id, wall, counter, kind, payload, sig starting at `col`. The
 * author and prev are filled by the caller. */
int mls_row_to_event(sqlite3_stmt *st, int col, ml_event *ev)
{
    ev->seq = sqlite3_column_int64(st, col);
    if (sqlite3_column_bytes(st, col + 1) != ML_ID_LEN)
        return ML_ECORRUPT;
    memcpy(ev->id.b, sqlite3_column_blob(st, col + 1), ML_ID_LEN);
    ev->hlc.wall = sqlite3_column_int64(st, col + 2);
    ev->hlc.counter = sqlite3_column_int64(st, col + 3);
    ev->kind = strdup((const char *)sqlite3_column_text(st, col + 4));
    size_t plen = (size_t)sqlite3_column_bytes(st, col + 5);
    ev->payload = malloc(plen + 1);
    if (!ev->kind || !ev->payload)
        return ML_ENOMEM;
    memcpy(ev->payload, sqlite3_column_text(st, col + 5), plen);
    ev->payload[plen] = 0;
    ev->payload_len = plen;
    ev->has_sig = sqlite3_column_bytes(st, col + 6) == ML_SIG_LEN;
    if (ev->has_sig)
        memcpy(ev->sig, sqlite3_column_blob(st, col + 6), ML_SIG_LEN);
    return 0;
}

static int64_t remote_seq(const ml_frontier *r, const char *author)
{
    size_t lo = 0, hi = r ? r->n : 0;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(r->v[mid].author, author);
        if (c == 0)
            return r->v[mid].seq;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

typedef struct event_vec {
    ml_event *v;
    size_t n, cap;
} event_vec;

static ml_event *vec_push(event_vec *ev)
{
    ml_event *nv = ml_grow(ev->v, &ev->cap, ev->n, sizeof *nv, 64);
    if (!nv)
        return NULL;
    ev->v = nv;
    memset(&ev->v[ev->n], 0, sizeof ev->v[0]);
    return &ev->v[ev->n++];
}

static int cmp_author_ptr(const void *x, const void *y)
{
    return strcmp((*(ml_author_ent *const *)x)->author, (*(ml_author_ent *const *)y)->author);
}

/* Append the event of the current row (columns: seq id wall counter kind
 * payload sig sigok), linked to the one before it. */
static int push_linked(event_vec *vec, const ml_author_ent *a, sqlite3_stmt *st, ml_id *prev,
                       int *have_prev)
{
    ml_event *ev = vec_push(vec);
    if (!ev || !(ev->author = strdup(a->author)))
        return ML_ENOMEM;
    int rc = mls_row_to_event(st, 0, ev);
    if (rc)
        return rc;
    ev->has_prev = *have_prev;
    ev->prev = *prev;
    ev->sig_verified = ev->has_sig && sqlite3_column_int(st, 7);
    *prev = ev->id;
    *have_prev = 1;
    return 0;
}

static int delta_author(ml_store *s, sqlite3_stmt *st, ml_author_ent *a, int64_t from,
                        size_t limit, event_vec *vec)
{
    int rc = 0;
    ml_id prev = {{0}};
    int have_prev = 0;
    sqlite3_bind_int64(st, 1, a->aid);
    sqlite3_bind_int64(st, 2, from > 0 ? from : 1);
    while ((!limit || vec->n < limit) && sqlite3_step(st) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(st, 0);
        if (seq == from && from > 0) {   /* only to learn prev of the first */
            memcpy(prev.b, sqlite3_column_blob(st, 1), ML_ID_LEN);
            have_prev = 1;
            continue;
        }
        if ((rc = push_linked(vec, a, st, &prev, &have_prev)))
            break;
    }
    sqlite3_reset(st);
    return rc ? mls_err(s, rc, "reading events") : 0;
}

int ml_store_delta(ml_store *s, const ml_frontier *remote, size_t limit, int include_unsigned,
                   ml_event **out, size_t *n)
{
    sqlite3_stmt *st = NULL;
    event_vec vec = {0};
    int rc = 0;
    ml_author_ent **order = malloc((s->n_authors + 1) * sizeof *order);
    if (!order)
        return ML_ENOMEM;
    for (size_t i = 0; i < s->n_authors; i++)
        order[i] = &s->authors[i];
    qsort(order, s->n_authors, sizeof *order, cmp_author_ptr);
    if (sqlite3_prepare_v2(s->db,
                           "SELECT seq, id, wall, counter, kind, payload, sig, sigok FROM events"
                           " WHERE k >= " EV_KEY("?1", "?2") " AND k < (?1 + 1) << 40"
                           " ORDER BY k",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = mls_db_err(s, "reading delta");
        goto out;
    }
    for (size_t i = 0; i < s->n_authors && !rc && (!limit || vec.n < limit); i++) {
        ml_author_ent *a = order[i];
        int64_t have = remote_seq(remote, a->author);
        if (a->head_seq > have && (a->is_signed || include_unsigned))
            rc = delta_author(s, st, a, have, limit, &vec);
    }
out:
    sqlite3_finalize(st);
    free(order);
    if (rc) {
        ml_events_free(vec.v, vec.n);
        vec.v = NULL;
        vec.n = 0;
    }
    *out = vec.v;
    *n = vec.n;
    return rc;
}

static int events_query(ml_store *s, const ml_log_filter *f, sqlite3_stmt **st)
{
    char sql[600];
    if (f->feed_order)
        snprintf(sql, sizeof sql,
                 "SELECT e.seq, e.id, e.wall, e.counter, e.kind, e.payload, e.sig, a.author,"
                 " (SELECT p.id FROM events p WHERE p.k=e.k-1)"
                 " FROM authors a JOIN events e ON " EV_FEED("e.k", "a.aid")
                 " WHERE (?1 IS NULL OR a.author = ?1)"
                 " AND (?2 IS NULL OR json_extract(e.payload, '$.record_id') = ?2)"
                 " ORDER BY a.author, e.seq");
    else
    snprintf(sql, sizeof sql,
             "SELECT e.seq, e.id, e.wall, e.counter, e.kind, e.payload, e.sig, a.author,"
             " (SELECT p.id FROM events p WHERE p.k=e.k-1)"
             " FROM events e JOIN authors a ON a.aid = e.aid"
             " WHERE (?1 IS NULL OR a.author = ?1)"
             " AND (?2 IS NULL OR json_extract(e.payload, '$.record_id') = ?2)"
             " ORDER BY e.wall %s, e.counter %s, a.author %s, e.seq %s",
             f->newest_first ? "DESC" : "ASC", f->newest_first ? "DESC" : "ASC",
             f->newest_first ? "DESC" : "ASC", f->newest_first ? "DESC" : "ASC");
    if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
        return mls_db_err(s, "reading events");
    if (f->author)
        sqlite3_bind_text(*st, 1, f->author, -1, SQLITE_STATIC);
    if (f->record_id)
        sqlite3_bind_text(*st, 2, f->record_id, -1, SQLITE_STATIC);
    return 0;
}

int ml_store_events(ml_store *s, const ml_log_filter *f, int (*cb)(void *, const ml_event *),
                    void *ctx)
{
    ml_log_filter none = {NULL, NULL, 0, 0, 0};
    sqlite3_stmt *st = NULL;
    size_t count = 0;
    if (!f)
        f = &none;
    int rc = events_query(s, f, &st);
    while (!rc && (!f->limit || count < f->limit)) {
        int r = sqlite3_step(st);
        if (r == SQLITE_DONE)
            break;
        if (r != SQLITE_ROW) {
            rc = mls_db_err(s, "reading events");
            break;
        }
        ml_event ev = {0};
        rc = mls_row_to_event(st, 0, &ev);
        if (!rc && !(ev.author = strdup((const char *)sqlite3_column_text(st, 7))))
            rc = ML_ENOMEM;
        ev.has_prev = sqlite3_column_bytes(st, 8) == ML_ID_LEN;
        if (ev.has_prev)
            memcpy(ev.prev.b, sqlite3_column_blob(st, 8), ML_ID_LEN);
        if (!rc && cb(ctx, &ev))
            count = f->limit ? f->limit : SIZE_MAX;
        ml_event_clear(&ev);
        count++;
    }
    sqlite3_finalize(st);
    return rc;
}

int ml_store_authors(ml_store *s, int (*cb)(void *, const ml_author_info *), void *ctx)
{
    ml_author_ent **order = malloc((s->n_authors + 1) * sizeof *order);
    if (!order)
        return ML_ENOMEM;
    for (size_t i = 0; i < s->n_authors; i++)
        order[i] = &s->authors[i];
    qsort(order, s->n_authors, sizeof *order, cmp_author_ptr);
    for (size_t i = 0; i < s->n_authors; i++) {
        ml_author_info info = {order[i]->author, order[i]->name, order[i]->is_signed,
                               order[i]->skewed, order[i]->head_seq, order[i]->pending};
        if (cb(ctx, &info))
            break;
    }
    free(order);
    return 0;
}

int ml_store_counters(ml_store *s, int (*cb)(void *, const char *, int64_t), void *ctx)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT reason, n FROM refusals ORDER BY reason", -1, &st,
                           NULL) != SQLITE_OK)
        return mls_db_err(s, "reading counters");
    while (sqlite3_step(st) == SQLITE_ROW)
        if (cb(ctx, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1)))
            break;
    sqlite3_finalize(st);
    return 0;
}

/* ---- blobs -------------------------------------------------------------------------------- */

int ml_store_put_blob(ml_store *s, const void *data, size_t len, char hash[65])
{
    uint8_t h[32];
    sqlite3_stmt *st = NULL;
    ml_sha256(h, data, len);
    ml_hex(hash, h, 32);
    if (len > INT32_MAX)
        return mls_err(s, ML_ETOOBIG, "blob larger than 2 GiB");
    if (sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO blobs(hash, size, data) VALUES(?1,?2,?3)",
                           -1, &st, NULL) != SQLITE_OK)
        return mls_db_err(s, "storing blob");
    sqlite3_bind_text(st, 1, hash, 64, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)len);
    sqlite3_bind_blob(st, 3, data, (int)len, SQLITE_STATIC);
    int rc = mls_step_done(s, st, "storing blob");
    sqlite3_finalize(st);
    return rc;
}

int ml_store_get_blob(ml_store *s, const char *hash, ml_buf *out)
{
    sqlite3_stmt *st = NULL;
    int rc = ML_ENOTFOUND;
    if (sqlite3_prepare_v2(s->db, "SELECT data FROM blobs WHERE hash=?1", -1, &st, NULL) !=
        SQLITE_OK)
        return mls_db_err(s, "reading blob");
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        rc = ml_buf_append(out, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
    sqlite3_finalize(st);
    return rc;
}

/* ---- reading one feed (the sync engine's source) ---------------------------------------- */

int ml_store_id_at(ml_store *s, const char *author, int64_t seq, ml_id *id)
{
    ml_author_ent *a = mls_author_find(s, author);
    if (!a || seq < 1 || seq > a->head_seq)
        return ML_ENOTFOUND;
    if (seq == a->head_seq) {
        *id = a->head_id;
        return 0;
    }
    sqlite3_stmt *st = s->st[ST_EVENT_ID_AT];
    sqlite3_bind_int64(st, 1, a->aid);
    sqlite3_bind_int64(st, 2, seq);
    int rc = ML_ENOTFOUND;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == ML_ID_LEN) {
        memcpy(id->b, sqlite3_column_blob(st, 0), ML_ID_LEN);
        rc = 0;
    }
    sqlite3_reset(st);
    return rc;
}

/* A relayed signature is checked the first time it is about to be forwarded. */
int ml_store_confirm_sig(ml_store *s, ml_event *ev)
{
    ml_author_ent *a = mls_author_find(s, ev->author);
    if (!ev->has_sig || !a)
        return ML_EBADSIG;
    if (ev->sig_verified)
        return 0;
    ml_buf_reset(&s->scratch2);
    int ok = a->has_pub && ml_event_canonical(ev, &s->scratch2) == 0 &&
             ml_ed25519_verify(ev->sig, a->pub + 32, s->scratch2.p, s->scratch2.len) == 0;
    sqlite3_stmt *st = NULL;
    const char *sql =
        ok ? "UPDATE events SET sigok=1 WHERE k=" EV_KEY("?1", "?2") " AND seq=?2"
           : "UPDATE events SET sig=NULL, sigok=0 WHERE k=" EV_KEY("?1", "?2") " AND seq=?2";
    if (!ok)
        ev->has_sig = 0;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return mls_db_err(s, "marking signature");
    sqlite3_bind_int64(st, 1, a->aid);
    sqlite3_bind_int64(st, 2, ev->seq);
    int rc = mls_step_done(s, st, "marking signature");
    sqlite3_finalize(st);
    if (!ok)
        mls_log(s, ML_LOG_WARN, "dropped a bad relayed signature: %s seq %lld", a->author,
                (long long)ev->seq);
    ev->sig_verified = ok;
    return rc ? rc : ok ? 0 : ML_EBADSIG;
}

int ml_store_read_feed(ml_store *s, const char *author, int64_t from, size_t max,
                       ml_event **out, size_t *n)
{
    ml_author_ent *a = mls_author_find(s, author);
    sqlite3_stmt *st = NULL;
    event_vec vec = {0};
    ml_id prev = {{0}};
    int rc = 0, have_prev = 0;
    *out = NULL;
    *n = 0;
    if (!a)
        return ML_ENOTFOUND;
    if (from < 1)
        from = 1;
    if (from > 1 && (rc = ml_store_id_at(s, author, from - 1, &prev)) != 0)
        return rc;
    have_prev = from > 1;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT seq, id, wall, counter, kind, payload, sig, sigok FROM events"
                           " WHERE k >= " EV_KEY("?1", "?2") " AND k < (?1 + 1) << 40"
                           " ORDER BY k LIMIT ?3",
                           -1, &st, NULL) != SQLITE_OK)
        return mls_db_err(s, "reading feed");
    sqlite3_bind_int64(st, 1, a->aid);
    sqlite3_bind_int64(st, 2, from);
    sqlite3_bind_int64(st, 3, max ? (int64_t)max : -1);
    while (!rc && sqlite3_step(st) == SQLITE_ROW)
        rc = push_linked(&vec, a, st, &prev, &have_prev);
    sqlite3_finalize(st);
    if (rc) {
        ml_events_free(vec.v, vec.n);
        return rc;
    }
    *out = vec.v;
    *n = vec.n;
    return 0;
}
