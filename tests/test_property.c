// SPDX-License-Identifier: MIT
// Property test: random signed feeds from several authors, delivered to
// several stores in random order, in random batches, with duplicates, gaps
// and restarts. Every store ends with the same frontier and byte-identical
// view, equal to a fresh fold of the events, and never accepts an event its
// author did not sign. Seed: MESHLOG_SEED=N (printed); MESHLOG_ROUNDS=N.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evgen.h"
#include "meshlog/error.h"
#include "meshlog/fold.h"
#include "meshlog/json.h"
#include "meshlog/store.h"
#include "testutil.h"

#define N_STORES 3

typedef struct world {
    ml_event *evs;
    size_t n;
    ml_event forged;
} world;

/* big: feeds of 600-999 events, delivered in batches of 1,024 or more (the
 * store folds those on a second thread) */
static void make_world(world *w, uint64_t *rng, int big)
{
    int authors = 2 + (int)tu_rand_below(rng, 4);
    w->evs = calloc((size_t)authors * (big ? 1000 : 100), sizeof *w->evs);
    w->n = 0;
    for (int a = 0; a < authors; a++) {
        tu_feed f;
        tu_feed_init(&f, rng, 1764000000000LL + (int64_t)tu_rand_below(rng, 5));
        int len = big ? 600 + (int)tu_rand_below(rng, 400) : 2 + (int)tu_rand_below(rng, 60);
        for (int i = 0; i < len; i++) {
            /* the wire signs one event per run: sign some, always the last */
            int sign = i == len - 1 || tu_rand_below(rng, 4) == 0;
            tu_feed_random(&f, rng, 6, sign, &w->evs[w->n++]);
        }
    }
    /* a forgery: a copy of some event with its payload changed */
    size_t victim = tu_rand_below(rng, w->n);
    memset(&w->forged, 0, sizeof w->forged);
    assert_int_equal(ml_event_copy(&w->forged, &w->evs[victim]), 0);
    w->forged.payload[w->forged.payload_len - 2] ^= 1;
    w->forged.has_sig = 1;
}

static void deliver(ml_store *s, world *w, uint64_t *rng, size_t *order, size_t n, int big)
{
    size_t i = 0;
    while (i < n) {
        size_t batch = big ? 1024 + tu_rand_below(rng, 2000) : 1 + tu_rand_below(rng, 20);
        if (batch > n - i)
            batch = n - i;
        ml_event *b = calloc(batch + 1, sizeof *b);
        size_t m = 0;
        for (size_t j = 0; j < batch; j++)
            assert_int_equal(ml_event_copy(&b[m++], &w->evs[order[i + j]]), 0);
        if (tu_rand_below(rng, 10) == 0)
            assert_int_equal(ml_event_copy(&b[m++], &w->forged), 0);
        ml_ingest_result r;
        assert_int_equal(ml_store_ingest(s, b, m, 0, &r, NULL, NULL), 0);
        ml_events_free(b, m);
        i += batch;
    }
}

static void shuffle(size_t *v, size_t n, uint64_t *rng)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = tu_rand_below(rng, i);
        size_t t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

static void canonical_view(ml_store *s, ml_buf *out)
{
    ml_buf pretty = ML_BUF_INIT;
    assert_int_equal(ml_store_view(s, NULL, &pretty), 0);
    assert_int_equal(ml_json_canon_text(out, (const char *)pretty.p, pretty.len, NULL, 0), 0);
    ml_buf_free(&pretty);
}

static void one_round(uint64_t *rng, int round, int big)
{
    world w;
    make_world(&w, rng, big);
    ml_buf want = ML_BUF_INIT;
    ml_fold *fold;
    assert_int_equal(ml_fold_new(&fold), 0);
    for (size_t i = 0; i < w.n; i++)
        assert_int_equal(ml_fold_add(fold, &w.evs[i]), 0);
    assert_int_equal(ml_fold_canonical(fold, &want), 0);
    ml_fold_free(fold);

    size_t *order = malloc(w.n * sizeof *order);
    ml_buf views[N_STORES];
    ml_frontier fronts[N_STORES];
    for (int k = 0; k < N_STORES; k++) {
        char path[600];
        snprintf(path, sizeof path, "%s/p%d-%d.db", tu_tmpdir(), round, k);
        ml_store_opts o = {1, NULL, NULL, -1, NULL, NULL, 0};
        ml_store *s;
        assert_int_equal(ml_store_open(&s, path, &o), 0);
        for (size_t i = 0; i < w.n; i++)
            order[i] = i;
        shuffle(order, w.n, rng);
        /* first pass with a gap: a random slice is withheld */
        size_t cut = tu_rand_below(rng, w.n);
        deliver(s, &w, rng, order, cut, big);
        if (tu_rand_below(rng, 2)) {   /* restart in the middle */
            ml_store_close(s);
            assert_int_equal(ml_store_open(&s, path, &o), 0);
        }
        shuffle(order, w.n, rng);      /* then everything again, duplicates included */
        deliver(s, &w, rng, order, w.n, big);
        views[k] = (ml_buf)ML_BUF_INIT;
        canonical_view(s, &views[k]);
        assert_int_equal(ml_store_frontier(s, &fronts[k]), 0);
        ml_verify_report rep;
        assert_int_equal(ml_store_verify(s, &rep, NULL, NULL), 0);
        assert_int_equal((size_t)rep.events, w.n);
        ml_store_close(s);
    }
    for (int k = 0; k < N_STORES; k++) {
        if (views[k].len != want.len || memcmp(views[k].p, want.p, want.len) != 0) {
            fprintf(stderr, "round %d store %d view differs from the fold\n%s\n%s\n", round, k,
                    (const char *)views[k].p, (const char *)want.p);
            fail();
        }
        assert_int_equal(fronts[k].n, fronts[0].n);
        for (size_t i = 0; i < fronts[k].n; i++) {
            assert_string_equal(fronts[k].v[i].author, fronts[0].v[i].author);
            assert_int_equal(fronts[k].v[i].seq, fronts[0].v[i].seq);
        }
    }
    for (int k = 0; k < N_STORES; k++) {
        ml_frontier_free(&fronts[k]);
        ml_buf_free(&views[k]);
    }
    free(order);
    ml_buf_free(&want);
    ml_events_free(w.evs, w.n);
    ml_event_clear(&w.forged);
}

static void test_convergence(void **state)
{
    (void)state;
    uint64_t rng = tu_seed();
    const char *r = getenv("MESHLOG_ROUNDS");
    int rounds = r ? atoi(r) : 12;
    for (int i = 0; i < rounds; i++)
        one_round(&rng, i, 0);
    for (int i = 0; i < 2; i++)   /* large batches: a shuffled feed leaves gaps held across them */
        one_round(&rng, rounds + i, 1);
}

/* One large batch, as import hands the store: more records than the view's
 * in-memory batch holds (so it is written out part way and merged with rows
 * written earlier in the same transaction), fields set many times within the
 * batch by two authors whose clocks interleave, fields set on records created
 * earlier in the batch and on records whose create comes later. */
static void test_one_large_batch(void **state)
{
    (void)state;
    enum { PER = 4000 };
    uint64_t rng = tu_seed();
    ml_event *evs = calloc(2 * PER, sizeof *evs);
    tu_feed f[2];
    for (int a = 0; a < 2; a++)
        tu_feed_init(&f[a], &rng, 1764000000000LL + a);
    for (int a = 0; a < 2; a++) {
        for (int i = 0; i < PER; i++) {
            char p[160];
            const char *kind = "record.create";
            if (i % 3 == 2) {
                /* any record of either author, created or not yet */
                kind = "field.set";
                snprintf(p, sizeof p, "{\"field\":\"f%d\",\"record_id\":\"R-%d-%d\",\"value\":%d}",
                         (int)tu_rand_below(&rng, 3), (int)tu_rand_below(&rng, 2),
                         (int)tu_rand_below(&rng, PER), i);
            } else if (i % 3 == 1 && i % 9 == 4) {
                kind = "note.add";
                snprintf(p, sizeof p, "{\"record_id\":\"R-%d-%d\",\"text\":\"n%d\"}", a, i - 1, i);
            } else {
                snprintf(p, sizeof p, "{\"by\":\"x%d\",\"form\":\"F%d\",\"record_id\":\"R-%d-%d\"}",
                         a, i % 5, (int)tu_rand_below(&rng, 2), i);
            }
            tu_feed_next(&f[a], kind, p, i == PER - 1, &evs[a * PER + i]);
        }
    }
    ml_buf want = ML_BUF_INIT, got = ML_BUF_INIT;
    ml_fold *fold;
    assert_int_equal(ml_fold_new(&fold), 0);
    for (size_t i = 0; i < 2 * PER; i++)
        assert_int_equal(ml_fold_add(fold, &evs[i]), 0);
    assert_int_equal(ml_fold_canonical(fold, &want), 0);
    ml_fold_free(fold);

    char path[600];
    snprintf(path, sizeof path, "%s/large-batch.db", tu_tmpdir());
    ml_store_opts o = {1, NULL, NULL, -1, NULL, NULL, 0};
    ml_store *s;
    assert_int_equal(ml_store_open(&s, path, &o), 0);
    ml_ingest_result r;
    assert_int_equal(ml_store_ingest(s, evs, 2 * PER, 0, &r, NULL, NULL), 0);
    assert_int_equal(r.accepted, 2 * PER);
    canonical_view(s, &got);
    if (got.len != want.len || memcmp(got.p, want.p, want.len) != 0)
        fail_msg("the view after one large batch differs from the fold");
    /* the same events again change nothing; verify agrees */
    assert_int_equal(ml_store_ingest(s, evs, 2 * PER, 0, &r, NULL, NULL), 0);
    assert_int_equal(r.duplicates, 2 * PER);
    ml_verify_report rep;
    assert_int_equal(ml_store_verify(s, &rep, NULL, NULL), 0);
    ml_store_close(s);
    ml_buf_free(&want);
    ml_buf_free(&got);
    ml_events_free(evs, 2 * PER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_convergence),
        cmocka_unit_test(test_one_large_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
