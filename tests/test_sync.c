// SPDX-License-Identifier: MIT
// The sync engine between real stores over an in-memory link model: perfect
// and lossy links (loss, duplication, reordering, partitions), relaying through
// a node in the middle, agreeing nodes spending almost nothing, garbage,
// truncated, replayed and wrong-version messages refused without touching the
// store, and forged events never accepted. Seed: MESHLOG_SEED=N (printed).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evgen.h"
#include "meshlog/error.h"
#include "meshlog/json.h"
#include "meshlog/store.h"
#include "meshlog/sync.h"
#include "meshlog/wire.h"
#include "testutil.h"

#define MAXN 8
#define MTU 431

typedef struct node {
    ml_store *store;
    ml_sync *sync;
} node;

typedef struct msg {
    int64_t at;
    int from, to;
    uint8_t *data;
    size_t len;
} msg;

typedef struct net {
    node n[MAXN];
    int nn;
    ml_sync_peer *peer[MAXN][MAXN];   /* peer[a][b]: a's session with b */
    int up[MAXN][MAXN];
    msg *q;
    size_t nq, capq;
    int64_t now;
    uint64_t rng;
    int loss_pct, dup_pct, reorder_ms;
    uint64_t bytes, oversize;
    ml_buf rec[64];          /* messages node 0 sent node 1, for replay tests */
    size_t nrec;
} net;

static int64_t net_clock(void *ctx)
{
    return ((net *)ctx)->now;
}

static void debug_log(void *ctx, int level, const char *text)
{
    fprintf(stderr, "[%d] %s\n", (int)(intptr_t)ctx, text);
    (void)level;
}

static void net_init(net *w, int nodes, uint64_t seed)
{
    memset(w, 0, sizeof *w);
    w->nn = nodes;
    w->rng = seed;
    w->now = 1764000000000LL;
    for (int i = 0; i < nodes; i++) {
        char path[600];
        snprintf(path, sizeof path, "%s/n%d.db", tu_tmpdir(), i);
        ml_store_opts o = {1, net_clock, w, -1, NULL, NULL, 0};
        assert_int_equal(ml_store_open(&w->n[i].store, path, &o), 0);
        ml_sync_opts so = {MTU, 0, 0, 0, 5000, 0, getenv("MESHLOG_DEBUG") ? debug_log : NULL,
                           (void *)(intptr_t)i};
        assert_int_equal(ml_sync_new(&w->n[i].sync, w->n[i].store, &so), 0);
    }
}

static void net_free(net *w)
{
    for (int i = 0; i < w->nn; i++) {
        ml_sync_free(w->n[i].sync);
        ml_store_close(w->n[i].store);
    }
    for (size_t i = 0; i < w->nq; i++)
        free(w->q[i].data);
    free(w->q);
    for (size_t i = 0; i < w->nrec; i++)
        ml_buf_free(&w->rec[i]);
}

static void link_set(net *w, int a, int b, int up)
{
    if (w->up[a][b] == up)
        return;
    w->up[a][b] = w->up[b][a] = up;
    if (up) {
        assert_int_equal(ml_sync_peer_open(w->n[a].sync, "x", w->now, &w->peer[a][b]), 0);
        assert_int_equal(ml_sync_peer_open(w->n[b].sync, "y", w->now, &w->peer[b][a]), 0);
    } else {
        ml_sync_peer_close(w->peer[a][b]);
        ml_sync_peer_close(w->peer[b][a]);
        w->peer[a][b] = w->peer[b][a] = NULL;
    }
}

static void enqueue(net *w, int from, int to, const ml_buf *b, int64_t at)
{
    if (w->nq == w->capq) {
        w->capq = w->capq ? 2 * w->capq : 64;
        w->q = realloc(w->q, w->capq * sizeof *w->q);
        assert_non_null(w->q);
    }
    msg *m = &w->q[w->nq++];
    m->at = at;
    m->from = from;
    m->to = to;
    m->len = b->len;
    m->data = malloc(b->len);
    memcpy(m->data, b->p, b->len);
}

/* Pull every message each live session wants to send now. */
static void pump_out(net *w)
{
    ml_buf b = ML_BUF_INIT;
    for (int a = 0; a < w->nn; a++)
        for (int c = 0; c < w->nn; c++) {
            ml_sync_peer *p = w->peer[a][c];
            int flags;
            while (p && ml_sync_peer_output(p, w->now, &b, &flags) == 1) {
                w->bytes += b.len;
                if (a == 0 && c == 1 && w->nrec < 64) {
                    w->rec[w->nrec] = (ml_buf)ML_BUF_INIT;
                    ml_buf_append(&w->rec[w->nrec++], b.p, b.len);
                }
                if (b.len > MTU) {
                    assert_true(flags & ML_SYNC_MSG_BULK);
                    w->oversize++;
                }
                if ((int)tu_rand_below(&w->rng, 100) < w->loss_pct)
                    continue;
                int64_t delay = 5 + (w->reorder_ms ? (int64_t)tu_rand_below(&w->rng,
                                                     (uint64_t)w->reorder_ms) : 0);
                enqueue(w, a, c, &b, w->now + delay);
                if ((int)tu_rand_below(&w->rng, 100) < w->dup_pct)
                    enqueue(w, a, c, &b, w->now + delay + 3);
            }
        }
    ml_buf_free(&b);
}

/* Deliver everything due, advance time to the next message or deadline. */
static int step(net *w)
{
    pump_out(w);
    int64_t next = INT64_MAX;
    for (size_t i = 0; i < w->nq; i++)
        if (w->q[i].at < next)
            next = w->q[i].at;
    for (int a = 0; a < w->nn; a++)
        for (int c = 0; c < w->nn; c++)
            if (w->peer[a][c]) {
                int64_t d = ml_sync_peer_deadline(w->peer[a][c]);
                if (d < next)
                    next = d;
            }
    if (next == INT64_MAX)
        return 0;
    if (next > w->now)
        w->now = next;
    for (size_t i = 0; i < w->nq;) {
        msg m = w->q[i];
        if (m.at > w->now) {
            i++;
            continue;
        }
        memmove(&w->q[i], &w->q[i + 1], (w->nq - i - 1) * sizeof *w->q);   /* keep FIFO */
        w->nq--;
        if (w->peer[m.to][m.from]) {
            int rc = ml_sync_peer_input(w->peer[m.to][m.from], m.data, m.len, w->now);
            assert_true(rc == 0 || rc == ML_EMALFORMED);
        }
        free(m.data);
    }
    for (int a = 0; a < w->nn; a++)
        for (int c = 0; c < w->nn; c++)
            if (w->peer[a][c] && ml_sync_peer_deadline(w->peer[a][c]) <= w->now)
                ml_sync_peer_tick(w->peer[a][c], w->now);
    return 1;
}

static void canon_view(ml_store *s, ml_buf *out)
{
    ml_buf v = ML_BUF_INIT;
    ml_buf_reset(out);
    assert_int_equal(ml_store_view(s, NULL, &v), 0);
    assert_int_equal(ml_json_canon_text(out, (const char *)v.p, v.len, NULL, 0), 0);
    ml_buf_free(&v);
}

static int converged(net *w, int64_t want_events)
{
    ml_frontier f0, fi;
    int same = 1;
    assert_int_equal(ml_store_frontier(w->n[0].store, &f0), 0);
    int64_t total = 0;
    for (size_t k = 0; k < f0.n; k++)
        total += f0.v[k].seq;
    same = total == want_events;
    for (int i = 1; i < w->nn && same; i++) {
        assert_int_equal(ml_store_frontier(w->n[i].store, &fi), 0);
        same = fi.n == f0.n;
        for (size_t k = 0; k < f0.n && same; k++)
            same = strcmp(fi.v[k].author, f0.v[k].author) == 0 && fi.v[k].seq == f0.v[k].seq;
        ml_frontier_free(&fi);
    }
    ml_frontier_free(&f0);
    return same;
}

static void assert_same_views(net *w)
{
    ml_buf a = ML_BUF_INIT, b = ML_BUF_INIT;
    canon_view(w->n[0].store, &a);
    for (int i = 1; i < w->nn; i++) {
        canon_view(w->n[i].store, &b);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.p, b.p, a.len);
    }
    for (int i = 0; i < w->nn; i++) {
        ml_verify_report rep;
        assert_int_equal(ml_store_verify(w->n[i].store, &rep, NULL, NULL), 0);
    }
    ml_buf_free(&a);
    ml_buf_free(&b);
}

/* Give node i a feed of n random signed events (every event signed, as an
 * author writes them). */
static int64_t seed_feed(net *w, int i, int n, uint64_t *rng)
{
    tu_feed f;
    ml_event *evs = calloc((size_t)n, sizeof *evs);
    tu_feed_init(&f, rng, w->now);
    for (int k = 0; k < n; k++)
        tu_feed_random(&f, rng, 12, 1, &evs[k]);
    ml_ingest_result r;
    assert_int_equal(ml_store_ingest(w->n[i].store, evs, (size_t)n, 0, &r, NULL, NULL), 0);
    assert_int_equal(r.accepted, (size_t)n);
    ml_events_free(evs, (size_t)n);
    return n;
}

static void run_until(net *w, int64_t want, int64_t limit_ms)
{
    int64_t end = w->now + limit_ms;
    while (!converged(w, want) && w->now < end)
        if (!step(w))
            break;
    assert_true(converged(w, want));
}

static void test_two_nodes_perfect_link(void **state)
{
    (void)state;
    net w;
    uint64_t rng = 42;
    net_init(&w, 2, rng);
    int64_t total = seed_feed(&w, 0, 300, &rng) + seed_feed(&w, 0, 40, &rng) +
                    seed_feed(&w, 1, 120, &rng);
    link_set(&w, 0, 1, 1);
    run_until(&w, total, 600000);
    assert_same_views(&w);
    assert_int_equal(w.oversize, 0);
    fprintf(stderr, "perfect link: %lld events, %llu bytes, %.1f bytes/event\n",
            (long long)total, (unsigned long long)w.bytes, (double)w.bytes / (double)total);
    net_free(&w);
}

static void test_agreeing_nodes_cost_little(void **state)
{
    (void)state;
    net w;
    uint64_t rng = 7;
    net_init(&w, 2, rng);
    int64_t total = 0;
    for (int a = 0; a < 100; a++) {
        total += seed_feed(&w, 0, 2, &rng);
    }
    link_set(&w, 0, 1, 1);
    run_until(&w, total, 600000);
    link_set(&w, 0, 1, 0);
    /* a new session between nodes that agree: HELLO both ways, nothing else */
    w.bytes = 0;
    link_set(&w, 0, 1, 1);
    pump_out(&w);
    while (w.nq)
        step(&w);
    fprintf(stderr, "agreeing pair, 100 authors: %llu bytes per round\n",
            (unsigned long long)w.bytes);
    assert_true(w.bytes <= 64);
    net_free(&w);
}

/* A line A - B - C: A and C never meet and converge through B; links drop,
 * duplicate and reorder messages, and go down and up. */
static void test_lossy_relay(void **state)
{
    (void)state;
    uint64_t seed = tu_seed();
    for (int round = 0; round < 6; round++) {
        net w;
        uint64_t rng = seed + (uint64_t)round;
        net_init(&w, 3, rng);
        w.loss_pct = 15;
        w.dup_pct = 10;
        w.reorder_ms = 400;
        int64_t total = seed_feed(&w, 0, 150, &rng) + seed_feed(&w, 2, 90, &rng) +
                        seed_feed(&w, 1, 10, &rng);
        /* half an hour of flapping links, then the partition heals and the
         * nodes must converge within ten minutes */
        int64_t end = w.now + 1800 * 1000;
        while (!converged(&w, total) && w.now < end) {
            if (tu_rand_below(&rng, 20) == 0)
                link_set(&w, 0, 1, tu_rand_below(&rng, 3) != 0);
            if (tu_rand_below(&rng, 20) == 0)
                link_set(&w, 1, 2, tu_rand_below(&rng, 3) != 0);
            if (!step(&w))
                w.now += 1000;
        }
        link_set(&w, 0, 1, 1);
        link_set(&w, 1, 2, 1);
        end = w.now + 600 * 1000;
        while (!converged(&w, total) && w.now < end)
            if (!step(&w))
                break;
        if (!converged(&w, total)) {
            for (int i = 0; i < 3; i++) {
                ml_frontier f;
                ml_store_frontier(w.n[i].store, &f);
                for (size_t k = 0; k < f.n; k++)
                    fprintf(stderr, "node %d %.8s %lld\n", i, f.v[k].author, (long long)f.v[k].seq);
                ml_frontier_free(&f);
            }
            fprintf(stderr, "round %d up01=%d up12=%d q=%zu\n", round, w.up[0][1], w.up[1][2], w.nq);
            for (int x = 0; x < 3; x++)
                for (int y = 0; y < 3; y++)
                    if (w.peer[x][y]) {
                        const ml_sync_stats *st = ml_sync_peer_stats(w.peer[x][y]);
                        fprintf(stderr, "%d->%d behind %lld out %llu in %llu sent %llu acc %llu ref %llu deadline %lld now %lld\n", x, y,
                                (long long)ml_sync_peer_behind(w.peer[x][y]), (unsigned long long)st->msgs_out,
                                (unsigned long long)st->msgs_in, (unsigned long long)st->events_sent,
                                (unsigned long long)st->events_accepted, (unsigned long long)st->events_refused,
                                (long long)ml_sync_peer_deadline(w.peer[x][y]), (long long)w.now);
                    }
        }
        assert_true(converged(&w, total));
        assert_same_views(&w);
        net_free(&w);
    }
}

static int64_t events_held(ml_store *s)
{
    ml_frontier f;
    int64_t total = 0;
    assert_int_equal(ml_store_frontier(s, &f), 0);
    for (size_t i = 0; i < f.n; i++)
        total += f.v[i].seq;
    ml_frontier_free(&f);
    return total;
}

/* Garbage, truncated, bit-flipped, replayed and wrong-version messages, made
 * from the real messages of a sync between nodes 0 and 1, fed to node 2. */
static void test_bad_input_refused(void **state)
{
    (void)state;
    net w;
    uint64_t rng = tu_seed();
    net_init(&w, 3, rng);
    int64_t total = seed_feed(&w, 0, 60, &rng);
    link_set(&w, 0, 1, 1);
    while (!(events_held(w.n[1].store) == total && w.nq == 0))
        assert_true(step(&w));
    assert_true(w.nrec >= 3);
    ml_sync_peer *victim;
    assert_int_equal(ml_sync_peer_open(w.n[2].sync, "attacker", w.now, &victim), 0);
    for (int i = 0; i < 3000; i++) {
        ml_buf junk = ML_BUF_INIT;
        const ml_buf *src = &w.rec[tu_rand_below(&rng, w.nrec)];
        switch (tu_rand_below(&rng, 3)) {
        case 0:   /* garbage, sometimes behind a valid header */
            if (tu_rand_below(&rng, 2))
                ml_buf_append(&junk, src->p, 2);
            for (size_t k = tu_rand_below(&rng, 500); k > 0; k--)
                ml_buf_putc(&junk, (uint8_t)tu_rand(&rng));
            break;
        case 1:   /* truncated */
            ml_buf_append(&junk, src->p, tu_rand_below(&rng, src->len));
            break;
        default:  /* bits flipped */
            ml_buf_append(&junk, src->p, src->len);
            for (int k = 1 + (int)tu_rand_below(&rng, 3); k > 0; k--)
                junk.p[tu_rand_below(&rng, junk.len)] ^= (uint8_t)(1u << tu_rand_below(&rng, 8));
            break;
        }
        int rc = ml_sync_peer_input(victim, junk.p, junk.len, w.now);
        assert_true(rc == 0 || rc == ML_EMALFORMED || rc == ML_EUNSUPPORTED);
        ml_buf_free(&junk);
    }
    /* whatever got in is genuine: the store verifies and holds no more than
     * the real feed */
    ml_verify_report rep;
    assert_int_equal(ml_store_verify(w.n[2].store, &rep, NULL, NULL), 0);
    assert_true(events_held(w.n[2].store) <= total);
    assert_true(ml_sync_peer_stats(victim)->msgs_refused > 0);
    /* a wrong version is refused, and answered so */
    uint8_t v2[11] = {2, ML_WIRE_HELLO};
    ml_buf b = ML_BUF_INIT;
    int flags;
    assert_int_equal(ml_sync_peer_input(victim, v2, sizeof v2, w.now), ML_EUNSUPPORTED);
    assert_int_equal(ml_sync_peer_output(victim, w.now, &b, &flags), 1);
    assert_int_equal(b.p[1], ML_WIRE_VERSION_REFUSED);
    /* the genuine messages, replayed three times, give exactly the feed */
    for (int r = 0; r < 3; r++)
        for (size_t i = 0; i < w.nrec; i++) {
            int rc = ml_sync_peer_input(victim, w.rec[i].p, w.rec[i].len, w.now);
            if (rc)
                fprintf(stderr, "replay %zu type %d len %zu: %d\n", i, w.rec[i].p[1], w.rec[i].len, rc);
            assert_int_equal(rc, 0);
        }
    assert_int_equal(events_held(w.n[2].store), total);
    assert_int_equal(ml_store_verify(w.n[2].store, &rep, NULL, NULL), 0);
    ml_sync_peer_close(victim);
    ml_buf_free(&b);
    net_free(&w);
}

/* A forged event (payload changed, signature kept) inside a message. */
static void test_forged_event_refused(void **state)
{
    (void)state;
    uint64_t rng = 99;
    tu_feed f;
    ml_event evs[5];
    memset(evs, 0, sizeof evs);
    tu_feed_init(&f, &rng, 1764000000000LL);
    for (int i = 0; i < 5; i++)
        tu_feed_random(&f, &rng, 3, 1, &evs[i]);
    /* change the last (signed) event's payload: same signature, new content */
    char *v = strstr(evs[4].payload, "\"record_id\":\"R");
    assert_non_null(v);
    v[14] = v[14] == '1' ? '2' : '1';
    ml_wire_run run = {evs, 5};
    ml_buf m = ML_BUF_INIT;
    assert_int_equal(ml_wire_encode_events(&m, 0, &run, 1), 0);
    net w;
    net_init(&w, 1, rng);
    ml_sync_peer *p;
    assert_int_equal(ml_sync_peer_open(w.n[0].sync, "forger", w.now, &p), 0);
    assert_int_equal(ml_sync_peer_input(p, m.p, m.len, w.now), 0);
    ml_frontier fr;
    assert_int_equal(ml_store_frontier(w.n[0].store, &fr), 0);
    assert_int_equal(fr.n, 0);   /* nothing accepted: the only signature does not verify */
    ml_frontier_free(&fr);
    assert_true(ml_sync_peer_stats(p)->events_refused >= 1);
    ml_sync_peer_close(p);
    ml_buf_free(&m);
    for (int i = 0; i < 5; i++)
        ml_event_clear(&evs[i]);
    net_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_nodes_perfect_link),
        cmocka_unit_test(test_agreeing_nodes_cost_little),
        cmocka_unit_test(test_lossy_relay),
        cmocka_unit_test(test_bad_input_refused),
        cmocka_unit_test(test_forged_event_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
