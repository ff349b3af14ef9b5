// SPDX-License-Identifier: MIT
// Feed store rules on signed feeds: acceptance, tampering of every part of an
// event, forks kept as evidence, held events surviving a restart, duplicates,
// clock skew, frontier and delta, and local appends.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "evgen.h"
#include "meshlog/error.h"
#include "meshlog/store.h"
#include "testutil.h"

#define T0 1764000000000LL

static int64_t fixed_now(void *ctx)
{
    return *(int64_t *)ctx;
}

static int64_t now_ms = T0 + 1000;

static ml_store *fresh(const char *name)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s.db", tu_tmpdir(), name);
    ml_store_opts o = {1, fixed_now, &now_ms, 0, NULL, NULL, 0};
    ml_store *s;
    assert_int_equal(ml_store_open(&s, path, &o), 0);
    return s;
}

static void make_feed(tu_feed *f, ml_event *evs, int n, uint64_t seed)
{
    uint64_t rng = seed;
    tu_feed_init(f, &rng, T0);
    memset(evs, 0, (size_t)n * sizeof *evs);
    for (int i = 0; i < n; i++) {
        char p[128];
        snprintf(p, sizeof p, "{\"field\":\"k\",\"record_id\":\"R\",\"value\":%d}", i);
        tu_feed_next(f, "field.set", p, 1, &evs[i]);
    }
}

static int64_t head_of(ml_store *s, const char *author)
{
    ml_frontier fr;
    int64_t seq = 0;
    assert_int_equal(ml_store_frontier(s, &fr), 0);
    for (size_t i = 0; i < fr.n; i++)
        if (strcmp(fr.v[i].author, author) == 0)
            seq = fr.v[i].seq;
    ml_frontier_free(&fr);
    return seq;
}

static void free_evs(ml_event *evs, int n)
{
    for (int i = 0; i < n; i++)
        ml_event_clear(&evs[i]);
}

static void test_signed_feed_accepted(void **state)
{
    (void)state;
    tu_feed f;
    ml_event evs[6];
    make_feed(&f, evs, 6, 1);
    ml_store *s = fresh("accept");
    ml_ingest_result r;
    assert_int_equal(ml_store_ingest(s, evs, 6, 0, &r, NULL, NULL), 0);
    assert_int_equal(r.accepted, 6);
    assert_int_equal(head_of(s, f.a.hex), 6);
    /* delta from nothing is everything, in order, with prev recomputed */
    ml_event *d;
    size_t n;
    assert_int_equal(ml_store_delta(s, NULL, 0, 0, &d, &n), 0);
    assert_int_equal(n, 6);
    for (size_t i = 0; i < n; i++) {
        assert_true(ml_id_equal(&d[i].id, &evs[i].id));
        assert_int_equal(d[i].has_prev, i > 0);
        if (i)
            assert_true(ml_id_equal(&d[i].prev, &evs[i - 1].id));
    }
    ml_events_free(d, n);
    /* delta from a partial frontier, with a limit */
    ml_frontier_entry fe = {f.a.hex, 2};
    ml_frontier fr = {&fe, 1};
    assert_int_equal(ml_store_delta(s, &fr, 3, 0, &d, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(d[0].seq, 3);
    assert_true(ml_id_equal(&d[0].prev, &evs[1].id));
    ml_events_free(d, n);
    ml_verify_report rep;
    assert_int_equal(ml_store_verify(s, &rep, NULL, NULL), 0);
    assert_int_equal(rep.events, 6);
    ml_store_close(s);
    free_evs(evs, 6);
}

enum { T_PAYLOAD, T_PREV, T_SEQ, T_AUTHOR, T_SIG, T__N };

static void tamper(ml_event *ev, int what)
{
    switch (what) {
    case T_PAYLOAD: ev->payload[ev->payload_len - 2] ^= 1; break;   /* the value digit */
    case T_PREV: ev->prev.b[3] ^= 0x10; break;
    case T_SEQ: ev->seq += 1; break;
    case T_AUTHOR: ev->author[5] = ev->author[5] == 'a' ? 'b' : 'a'; break;
    case T_SIG: ev->sig[10] ^= 0x40; break;
    }
}

/* A tampered event 4 delivered as the end of a run, to an empty store: it is
 * not accepted, nor is anything that chains through it. */
static void test_tampering_refused(void **state)
{
    (void)state;
    for (int what = 0; what < T__N; what++) {
        tu_feed f;
        ml_event evs[6];
        make_feed(&f, evs, 6, 7);
        tamper(&evs[3], what);
        char name[32];
        snprintf(name, sizeof name, "tamper%d", what);
        ml_store *s = fresh(name);
        ml_ingest_result r;
        assert_int_equal(ml_store_ingest(s, evs, 4, 0, &r, NULL, NULL), 0);
        assert_int_equal(r.accepted, 3);
        assert_int_equal(head_of(s, f.a.hex), 3);
        if (what != T_AUTHOR && what != T_SEQ)
            assert_int_equal(r.refused, 1);
        /* later events never get in through the tampered one */
        assert_int_equal(ml_store_ingest(s, evs + 4, 2, 0, &r, NULL, NULL), 0);
        assert_int_equal(r.accepted, what == T_SEQ || what == T_AUTHOR ? 0 : 0);
        assert_true(head_of(s, f.a.hex) == 3);
        /* and a store holding the genuine event refuses the tampered copy */
        ml_event orig[6];
        tu_feed g;
        make_feed(&g, orig, 6, 7);
        ml_store *s2 = fresh("tamper-orig");
        assert_int_equal(ml_store_ingest(s2, orig, 6, 0, &r, NULL, NULL), 0);
        assert_int_equal(r.accepted, 6);
        assert_int_equal(ml_store_ingest(s2, evs + 3, 1, 0, &r, NULL, NULL), 0);
        assert_int_equal(r.accepted, 0);
        assert_int_equal(head_of(s2, g.a.hex), 6);
        if (what == T_PAYLOAD || what == T_PREV || what == T_SEQ || what == T_SIG)
            assert_int_equal(r.refused + r.duplicates, 1);
        ml_verify_report rep;
        assert_int_equal(ml_store_verify(s2, &rep, NULL, NULL), 0);
        ml_store_close(s2);
        ml_store_close(s);
        free_evs(evs, 6);
        free_evs(orig, 6);
    }
}

static int count_reason(void *ctx, const char *reason, int64_t n)
{
    const char **want = ctx;
    if (strcmp(reason, want[0]) == 0)
        want[1] = n > 0 ? "yes" : NULL;
    return 0;
}

/* The author signs two different events for seq 3: the second is refused and
 * kept as evidence. */
static void test_fork_kept_as_evidence(void **state)
{
    (void)state;
    tu_feed f;
    ml_event evs[4], fork = {0};
    make_feed(&f, evs, 4, 11);
    tu_feed g = f;
    g.seq = 2;
    g.head = evs[1].id;
    tu_feed_next(&g, "note.add", "{\"record_id\":\"R\",\"text\":\"other\"}", 1, &fork);
    ml_store *s = fresh("fork");
    ml_ingest_result r;
    assert_int_equal(ml_store_ingest(s, evs, 4, 0, &r, NULL, NULL), 0);
    assert_int_equal(ml_store_ingest(s, &fork, 1, 0, &r, NULL, NULL), 0);
    assert_int_equal(r.refused, 1);
    const char *want[2] = {"fork", NULL};
    ml_store_counters(s, count_reason, want);
    assert_non_null(want[1]);
    assert_int_equal(head_of(s, f.a.hex), 4);
    ml_store_close(s);
    free_evs(evs, 4);
    ml_event_clear(&fork);
}

static void test_held_events_survive_restart(void **state)
{
    (void)state;
    tu_feed f;
    ml_event evs[8];
    make_feed(&f, evs, 8, 13);
    char path[600];
    snprintf(path, sizeof path, "%s/held.db", tu_tmpdir());
    ml_store_opts o = {1, fixed_now, &now_ms, 0, NULL, NULL, 0};
    ml_store *s;
    ml_ingest_result r;
    assert_int_equal(ml_store_open(&s, path, &o), 0);
    assert_int_equal(ml_store_ingest(s, evs + 3, 5, 0, &r, NULL, NULL), 0);
    assert_int_equal(r.held, 5);
    assert_int_equal(head_of(s, f.a.hex), 0);
    ml_store_close(s);
    assert_int_equal(ml_store_open(&s, path, &o), 0);
    assert_int_equal(ml_store_ingest(s, evs, 3, 0, &r, NULL, NULL), 0);
    assert_int_equal(r.accepted, 8);
    assert_int_equal(head_of(s, f.a.hex), 8);
    ml_verify_report rep;
    assert_int_equal(ml_store_verify(s, &rep, NULL, NULL), 0);
    /* duplicates change nothing */
    assert_int_equal(ml_store_ingest(s, evs, 8, 0, &r, NULL, NULL), 0);
    assert_int_equal(r.duplicates, 8);
    assert_int_equal(r.accepted, 0);
    ml_store_close(s);
    free_evs(evs, 8);
}

/* An intermediate event's signature damaged in transit: the content is
 * vouched for by the run's last signature, so the run is accepted, and
 * verify still passes (the stray signature is only noted). */
static void test_intermediate_bad_signature(void **state)
{
    (void)state;
    tu_feed f;
    ml_event evs[5];
    make_feed(&f, evs, 5, 17);
    evs[2].sig[0] ^= 1;
    ml_store *s = fresh("midsig");
    ml_ingest_result r;
    assert_int_equal(ml_store_ingest(s, evs, 5, 0, &r, NULL, NULL), 0);
    assert_int_equal(r.accepted, 5);
    ml_verify_report rep;
    assert_int_equal(ml_store_verify(s, &rep, NULL, NULL), 0);
    ml_store_close(s);
    free_evs(evs, 5);
}

static void test_skewed_clock(void **state)
{
    (void)state;
    tu_feed f;
    ml_event evs[3];
    uint64_t rng = 19;
    tu_feed_init(&f, &rng, T0);
    memset(evs, 0, sizeof evs);
    tu_feed_next(&f, "", "", 1, &evs[0]);
    f.clock.wall = now_ms + 2 * 3600 * 1000;   /* two hours ahead of us */
    tu_feed_next(&f, "field.set", "{\"field\":\"a\",\"record_id\":\"R\",\"value\":1}", 1, &evs[1]);
    ml_store *s = fresh("skew");
    ml_ingest_result r;
    assert_int_equal(ml_store_ingest(s, evs, 2, 0, &r, NULL, NULL), 0);
    assert_int_equal(r.accepted, 2);
    assert_int_equal(r.skewed, 1);
    /* the local clock was not dragged two hours forward */
    ml_stamp st = ml_hlc_now(ml_store_hlc(s));
    assert_true(st.wall < now_ms + 3600 * 1000);
    ml_store_close(s);
    free_evs(evs, 2);
}

static void test_local_append(void **state)
{
    (void)state;
    ml_author a;
    assert_int_equal(ml_author_generate(&a), 0);
    ml_store *s = fresh("local");
    assert_int_equal(ml_store_init_local(s, &a, "base", "/nonexistent"), 0);
    assert_int_equal(ml_store_init_local(s, &a, "base", "/nonexistent"), ML_EEXIST);
    const char *p = "{\"form\":\"f\",\"record_id\":\"R1\"}";
    ml_event ev = {0};
    assert_int_equal(ml_store_append(s, &a, "record.create", p, strlen(p), &ev), 0);
    assert_int_equal(ev.seq, 2);
    assert_true(ev.has_sig);
    ml_event_clear(&ev);
    ml_buf v = ML_BUF_INIT;
    assert_int_equal(ml_store_view(s, "R1", &v), 0);
    assert_non_null(strstr((const char *)v.p, "\"form\": \"f\""));
    assert_int_equal(ml_store_view(s, "nope", &v), ML_ENOTFOUND);
    ml_buf_free(&v);
    ml_verify_report rep;
    assert_int_equal(ml_store_verify(s, &rep, NULL, NULL), 0);
    assert_int_equal(rep.signatures_checked, 2);
    ml_store_close(s);
    ml_author_wipe(&a);
}

/* A store written by schema 1 (fields as rows of v_fields) opens upgraded,
 * with the same view. The old layout is made by taking a new store back. */
static void test_schema_1_upgraded(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/schema1.db", tu_tmpdir());
    ml_store_opts o = {1, fixed_now, &now_ms, 0, NULL, NULL, 0};
    ml_store *s;
    assert_int_equal(ml_store_open(&s, path, &o), 0);
    tu_feed f;
    uint64_t rng = 7;
    tu_feed_init(&f, &rng, T0);
    const char *pay[] = {
        "{\"form\":\"F\",\"record_id\":\"R1\"}",
        "{\"field\":\"b\",\"record_id\":\"R1\",\"value\":\"x\"}",
        "{\"field\":\"a\",\"record_id\":\"R1\",\"value\":1}",
        "{\"field\":\"a\",\"record_id\":\"R1\",\"value\":[2]}",
        "{\"field\":\"c\",\"record_id\":\"R2\",\"value\":true}",
    };
    const char *kinds[] = {"record.create", "field.set", "field.set", "field.set", "field.set"};
    ml_event evs[6];
    memset(evs, 0, sizeof evs);
    tu_feed_next(&f, "feed.open", NULL, 0, &evs[0]);
    for (int i = 0; i < 5; i++)
        tu_feed_next(&f, kinds[i], pay[i], i == 4, &evs[i + 1]);
    ml_ingest_result r;
    assert_int_equal(ml_store_ingest(s, evs, 6, 0, &r, NULL, NULL), 0);
    assert_int_equal(r.accepted, 6);
    ml_buf before = ML_BUF_INIT, after = ML_BUF_INIT;
    assert_int_equal(ml_store_view(s, NULL, &before), 0);
    ml_store_close(s);

    /* back to schema 1: the winning writes (events 2, 4 and 5) as v_fields rows */
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TABLE v_fields(rid TEXT NOT NULL, field TEXT NOT NULL,"
                                  " value TEXT NOT NULL, w INTEGER NOT NULL, c INTEGER NOT NULL,"
                                  " a TEXT NOT NULL, s INTEGER NOT NULL,"
                                  " PRIMARY KEY(rid, field)) WITHOUT ROWID;"
                                  "ALTER TABLE v_records DROP COLUMN fields;"
                                  "CREATE TABLE ev1(aid INTEGER NOT NULL, seq INTEGER NOT NULL,"
                                  " id BLOB NOT NULL, wall INTEGER NOT NULL,"
                                  " counter INTEGER NOT NULL, kind TEXT NOT NULL,"
                                  " payload TEXT NOT NULL, sig BLOB,"
                                  " sigok INTEGER NOT NULL DEFAULT 0,"
                                  " PRIMARY KEY(aid, seq)) WITHOUT ROWID;"
                                  "INSERT INTO ev1 SELECT aid, seq, id, wall, counter, kind,"
                                  " payload, sig, sigok FROM events;"
                                  "DROP TABLE events;"
                                  "ALTER TABLE ev1 RENAME TO events;"
                                  "UPDATE meta SET v='1' WHERE k='schema_version'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    const struct { const char *rid, *field, *value; int ev; } rows[] = {
        {"R1", "a", "[2]", 4}, {"R1", "b", "\"x\"", 2}, {"R2", "c", "true", 5}};
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO v_fields VALUES(?1,?2,?3,?4,?5,?6,?7)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    for (int i = 0; i < 3; i++) {
        const ml_event *ev = &evs[rows[i].ev];
        sqlite3_bind_text(st, 1, rows[i].rid, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, rows[i].field, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, rows[i].value, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, ev->hlc.wall);
        sqlite3_bind_int64(st, 5, ev->hlc.counter);
        sqlite3_bind_text(st, 6, ev->author, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 7, ev->seq);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);

    o.create = 0;
    assert_int_equal(ml_store_open(&s, path, &o), 0);
    assert_int_equal(ml_store_view(s, NULL, &after), 0);
    assert_string_equal((const char *)after.p, (const char *)before.p);
    ml_verify_report rep;
    assert_int_equal(ml_store_verify(s, &rep, NULL, NULL), 0);
    assert_int_equal(rep.events, 6);
    ml_id id;
    assert_int_equal(ml_store_id_at(s, evs[0].author, 3, &id), 0);
    assert_true(ml_id_equal(&id, &evs[2].id));
    /* and it keeps working: a later write merges with the upgraded row */
    assert_int_equal(ml_store_ingest(s, evs, 6, 0, &r, NULL, NULL), 0);
    assert_int_equal(r.duplicates, 6);
    ml_store_close(s);
    assert_int_equal(ml_store_open(&s, path, &o), 0);   /* already upgraded: opens as is */
    ml_store_close(s);
    ml_buf_free(&before);
    ml_buf_free(&after);
    free_evs(evs, 6);
}

/* A long ingest has its WAL copied into the store file while it runs, on a
 * second thread: the file grows before the store is closed, a second handle
 * reads everything committed, and the store verifies after a reopen. New
 * stores have 16 KiB pages. */
static void test_background_checkpoint(void **state)
{
    (void)state;
    enum { BATCHES = 10, PER = 3000 };
    char path[600];
    snprintf(path, sizeof path, "%s/ckpt.db", tu_tmpdir());
    ml_store_opts o = {1, fixed_now, &now_ms, 0, NULL, NULL, 0};
    ml_store *s, *s2;
    assert_int_equal(ml_store_open(&s, path, &o), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    off_t size0 = st.st_size;
    tu_feed f;
    uint64_t rng = 7;
    tu_feed_init(&f, &rng, T0);
    ml_event *evs = calloc(PER, sizeof *evs);
    assert_non_null(evs);
    for (int b = 0; b < BATCHES; b++) {
        for (int i = 0; i < PER; i++) {
            char p[128];
            snprintf(p, sizeof p, "{\"field\":\"f%d\",\"record_id\":\"R%d\",\"value\":%d}", i % 7,
                     (b * PER + i) / 7, i);
            tu_feed_next(&f, "field.set", p, i == PER - 1, &evs[i]);
        }
        ml_ingest_result r;
        assert_int_equal(ml_store_ingest(s, evs, PER, 0, &r, NULL, NULL), 0);
        assert_int_equal(r.accepted, PER);
        free_evs(evs, PER);
        memset(evs, 0, PER * sizeof *evs);
    }
    free(evs);
    /* the copy runs on its own: wait for it, however slow the machine */
    int grown = 0;
    for (int i = 0; i < 1200 && !grown; i++) {
        assert_int_equal(stat(path, &st), 0);
        grown = st.st_size > size0 + (1 << 20);
        if (!grown)
            nanosleep(&(struct timespec){0, 50000000}, NULL);
    }
    assert_true(grown);
    ml_store_opts ro = {0, fixed_now, &now_ms, 0, NULL, NULL, 0};
    assert_int_equal(ml_store_open(&s2, path, &ro), 0);
    assert_int_equal(head_of(s2, f.a.hex), BATCHES * PER);
    ml_store_close(s2);
    ml_store_close(s);
    assert_int_equal(ml_store_open(&s, path, &ro), 0);
    ml_verify_report rep;
    assert_int_equal(ml_store_verify(s, &rep, NULL, NULL), 0);
    assert_int_equal(rep.events, BATCHES * PER);
    ml_store_close(s);
    sqlite3 *db;
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), 16384);
    sqlite3_finalize(q);
    sqlite3_close(db);
}

static void put_le(uint8_t **p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        *(*p)++ = (uint8_t)(v >> (8 * i));
}

/* A schema-2 store keeps its fields blobs in format 1 (fixed-width
 * integers): it opens as schema 3, reads them as they are, and merges new
 * fields into a format-2 blob. The old blob is written here by hand. */
static void test_fields_blob_format_1_read(void **state)
{
    (void)state;
    tu_feed f;
    ml_event evs[6], z = {0};
    make_feed(&f, evs, 6, 5);   /* R.k = 1..5 (seq 1 is feed.open) */
    char path[600];
    snprintf(path, sizeof path, "%s/blob1.db", tu_tmpdir());
    ml_store_opts o = {1, fixed_now, &now_ms, 0, NULL, NULL, 0};
    ml_store *s;
    assert_int_equal(ml_store_open(&s, path, &o), 0);
    ml_ingest_result r;
    assert_int_equal(ml_store_ingest(s, evs, 6, 0, &r, NULL, NULL), 0);
    ml_store_close(s);

    uint8_t blob[200], *p = blob;
    put_le(&p, 1, 4);
    *p++ = 'k';
    put_le(&p, 1, 4);
    *p++ = '5';
    put_le(&p, (uint64_t)evs[5].hlc.wall, 8);
    put_le(&p, (uint64_t)evs[5].hlc.counter, 8);
    put_le(&p, 6, 8);
    put_le(&p, 32, 4);
    memcpy(p, f.a.hex, 32);
    p += 32;
    sqlite3 *db;
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "UPDATE v_records SET fields=?1 WHERE rid='R'", -1,
                                        &q, NULL), SQLITE_OK);
    sqlite3_bind_blob(q, 1, blob, (int)(p - blob), SQLITE_STATIC);
    assert_int_equal(sqlite3_step(q), SQLITE_DONE);
    sqlite3_finalize(q);
    assert_int_equal(sqlite3_exec(db, "UPDATE meta SET v='2' WHERE k='schema_version'", NULL,
                                  NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    assert_int_equal(ml_store_open(&s, path, &o), 0);
    ml_buf v = ML_BUF_INIT;
    assert_int_equal(ml_store_view(s, "R", &v), 0);
    assert_non_null(strstr((const char *)v.p, "\"k\": 5"));
    ml_verify_report rep;
    assert_int_equal(ml_store_verify(s, &rep, NULL, NULL), 0);   /* equals a fresh fold */
    tu_feed_next(&f, "field.set", "{\"field\":\"z\",\"record_id\":\"R\",\"value\":9}", 1, &z);
    assert_int_equal(ml_store_ingest(s, &z, 1, 0, &r, NULL, NULL), 0);
    assert_int_equal(r.accepted, 1);
    assert_int_equal(ml_store_view(s, "R", &v), 0);
    assert_non_null(strstr((const char *)v.p, "\"k\": 5"));
    assert_non_null(strstr((const char *)v.p, "\"z\": 9"));
    assert_int_equal(ml_store_verify(s, &rep, NULL, NULL), 0);
    ml_store_close(s);
    ml_buf_free(&v);

    /* the merged blob is format 2, and the store says schema 3 */
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT fields, (SELECT v FROM meta WHERE"
                                        " k='schema_version') FROM v_records WHERE rid='R'",
                                        -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_true(sqlite3_column_bytes(q, 0) > 4);
    assert_memory_equal(sqlite3_column_blob(q, 0), "\xff\xff\xff\xff", 4);
    assert_string_equal((const char *)sqlite3_column_text(q, 1), "3");
    sqlite3_finalize(q);
    sqlite3_close(db);
    free_evs(evs, 6);
    ml_event_clear(&z);
}

typedef struct seen {
    const ml_event *ev[4];
    const char *why[4];
    size_t n;
} seen;

static void on_refused(void *ctx, const ml_event *ev, enum ml_outcome o, const char *why)
{
    seen *sn = ctx;
    if (o == ML_OUT_REFUSED && sn->n < 4) {
        sn->ev[sn->n] = ev;
        sn->why[sn->n++] = why;
    }
}

/* A large batch is checked on two threads; verdicts still come per event, in
 * batch order, whichever half an event was in. */
static void test_large_batch_prechecks(void **state)
{
    (void)state;
    enum { N = 3000 };
    tu_feed f;
    ml_event *evs = calloc(N, sizeof *evs);
    assert_non_null(evs);
    uint64_t rng = 11;
    tu_feed_init(&f, &rng, T0);
    for (int i = 0; i < N; i++) {
        char p[128];
        snprintf(p, sizeof p, "{\"field\":\"k\",\"record_id\":\"R\",\"value\":%d}", i);
        tu_feed_next(&f, "field.set", p, i == 999 || i == N - 1, &evs[i]);
    }
    evs[1200].hlc.wall = -1;    /* first half */
    evs[2600].payload[0] = '[';   /* second half */
    ml_store *s = fresh("prechecks");
    ml_ingest_result r;
    seen sn = {{NULL}, {NULL}, 0};
    assert_int_equal(ml_store_ingest(s, evs, N, 0, &r, on_refused, &sn), 0);
    assert_int_equal(sn.n, 2);
    assert_ptr_equal(sn.ev[0], &evs[1200]);
    assert_string_equal(sn.why[0], "bad_clock");
    assert_ptr_equal(sn.ev[1], &evs[2600]);
    assert_string_equal(sn.why[1], "bad_payload");
    assert_int_equal(r.accepted, 1000);   /* up to the signature at 999 */
    assert_int_equal(head_of(s, f.a.hex), 1000);
    ml_store_close(s);
    free_evs(evs, N);
    free(evs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signed_feed_accepted),
        cmocka_unit_test(test_tampering_refused),
        cmocka_unit_test(test_fork_kept_as_evidence),
        cmocka_unit_test(test_held_events_survive_restart),
        cmocka_unit_test(test_intermediate_bad_signature),
        cmocka_unit_test(test_skewed_clock),
        cmocka_unit_test(test_local_append),
        cmocka_unit_test(test_schema_1_upgraded),
        cmocka_unit_test(test_background_checkpoint),
        cmocka_unit_test(test_large_batch_prechecks),
        cmocka_unit_test(test_fields_blob_format_1_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
