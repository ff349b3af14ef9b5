// SPDX-License-Identifier: MIT
// Resources over links (rns_linkres.h through the transport core): two cores
// back to back in memory with a virtual clock, a link between them on a
// 500-byte MTU (so tens of KiB take more than 74 parts and need hashmap
// updates). A transfer with metadata; lost parts; a tampered part refused and
// asked for again; cancel from either side; ACCEPT_NONE and an ACCEPT_APP
// refusal; a request and a response too large for a packet; a transfer above
// 1 MiB in two segments; a bz2 bomb that closes the link. Randomness is a
// seeded PRNG; the seed is printed.
#include "rns_memnet.h"

#include "meshlog/crypto.h"
#include "meshlog/rns_linkres.h"
#include "meshlog/rns_msgpack.h"
#include "meshlog/rns_packet.h"
#include "meshlog/rns_transport.h"

static uint64_t g_seed;

/* A core whose destination accepts links (and proves nothing itself). */
static void node_init(mn_node *n, uint64_t seed)
{
    mn_init(n, seed, 0, NULL);
    mn_register(n, "meshlogtest", "res", RNS_PROVE_NONE, 1, NULL);
}

static rns_tev *find_res(mn_node *n, enum rns_res_ev_type type, int outgoing)
{
    for (size_t i = 0; i < n->n_evs; i++)
        if (n->evs[i].type == RNS_TEV_RESOURCE && n->evs[i].res_ev.type == type &&
            n->evs[i].res_ev.outgoing == outgoing)
            return &n->evs[i];
    return NULL;
}

/* Runs the pair on virtual time (timers included) until the sender's
 * transfer concluded or `limit` seconds passed. */
static void run(mn_node *a, mn_node *b, double *now, double limit)
{
    double end = *now + limit;

    mn_pump(a, b, *now);
    while (!find_res(a, RNS_RES_EV_CONCLUDED, 1) && *now < end) {
        double d = rns_transport_deadline(a->t), e = rns_transport_deadline(b->t);
        d = e < d ? e : d;
        *now = d > *now + 0.05 ? (d < *now + 5.0 ? d : *now + 5.0) : *now + 0.05;
        assert_int_equal(rns_transport_tick(a->t, *now), 0);
        assert_int_equal(rns_transport_tick(b->t, *now), 0);
        mn_pump(a, b, *now);
    }
}

/* a opens a link to b (b accepts resources by `strategy`). */
static void setup(mn_node *a, mn_node *b, uint64_t seed, enum rns_res_strategy strategy,
                  rns_res_accept_fn accept, uint8_t link_id[RNS_HASHLEN], double now)
{
    rns_res_policy p;

    mn_tap = NULL;
    node_init(a, seed);
    node_init(b, seed + 1);
    memset(&p, 0, sizeof p);
    p.strategy = strategy;
    p.accept = accept;
    assert_int_equal(rns_transport_set_resource_policy(b->t, b->dest, &p), 0);
    assert_int_equal(rns_transport_announce(b->t, b->dest, now), 0);
    mn_pump(a, b, now);
    assert_int_equal(rns_transport_link_open(a->t, b->dest, now, link_id), 0);
    mn_pump(a, b, now);
    assert_non_null(mn_find_ev(a, RNS_TEV_LINK, RNS_LINK_EV_ESTABLISHED));
    mn_clear_events(a);
    mn_clear_events(b);
}

static uint8_t *random_bytes(uint64_t *s, size_t n)
{
    uint8_t *p = malloc(n);
    assert_non_null(p);
    rt_rng(s, p, n);
    return p;
}

static void test_transfer_with_metadata(void **state)
{
    uint8_t id[RNS_HASHLEN], meta[] = {0xc4, 0x03, 'a', 'b', 'c'};
    uint64_t s = g_seed;
    size_t n = 48 * 1024;
    uint8_t *data = random_bytes(&s, n);
    rns_res_send_opts o = {.data = data, .len = n, .metadata = meta, .metadata_len = sizeof meta};
    double now = 1000;
    uint32_t rid;
    mn_node a, b;
    rns_tev *ev;
    (void)state;

    setup(&a, &b, g_seed, RNS_RES_ACCEPT_ALL, NULL, id, now);
    assert_int_equal(rns_transport_resource_send(a.t, id, &o, now, &rid), 0);
    run(&a, &b, &now, 120);
    assert_non_null(ev = find_res(&b, RNS_RES_EV_STARTED, 0));
    assert_non_null(ev = find_res(&b, RNS_RES_EV_CONCLUDED, 0));
    assert_int_equal(ev->res_ev.status, RNS_RESOURCE_COMPLETE);
    assert_int_equal(ev->res_ev.data.len, n);
    assert_memory_equal(ev->res_ev.data.p, data, n);
    assert_true(ev->res_ev.has_metadata);
    assert_int_equal(ev->res_ev.metadata.len, sizeof meta);
    assert_memory_equal(ev->res_ev.metadata.p, meta, sizeof meta);
    assert_true(ev->res_ev.parts > RNS_RESOURCE_HASHMAP_MAX_LEN);
    assert_true(ev->res_ev.hmu_requests >= 1);
    assert_true(ev->res_ev.hmu_received >= 1);
    assert_int_equal(a.n_progress + b.n_progress, ev->res_ev.parts); /* one per part, no loss */
    assert_non_null(ev = find_res(&a, RNS_RES_EV_CONCLUDED, 1));
    assert_int_equal(ev->res_ev.status, RNS_RESOURCE_COMPLETE);
    assert_int_equal(ev->res_ev.id, rid);
    mn_free(&a);
    mn_free(&b);
    free(data);
}

/* Drops every 5th resource part once. */
static int g_count;
static int lossy(ml_buf *pkt, int from_a)
{
    rns_packet p;
    if (from_a && rns_packet_unpack(&p, pkt->p, pkt->len) == 0 && p.context == RNS_CTX_RESOURCE)
        return ++g_count % 5 != 0;
    return 1;
}

/* Flips a byte of the third part, once: its map hash no longer matches, the
 * receiver ignores it and asks again after a timeout. */
static int tamper(ml_buf *pkt, int from_a)
{
    rns_packet p;
    if (from_a && rns_packet_unpack(&p, pkt->p, pkt->len) == 0 && p.context == RNS_CTX_RESOURCE &&
        ++g_count == 3)
        pkt->p[pkt->len - 1] ^= 0x40;
    return 1;
}

static void transfer_through(mn_tap_fn tap)
{
    uint8_t id[RNS_HASHLEN];
    uint64_t s = g_seed + 7;
    size_t n = 20000;
    uint8_t *data = random_bytes(&s, n);
    rns_res_send_opts o = {.data = data, .len = n};
    double now = 1000;
    mn_node a, b;
    rns_tev *ev;

    setup(&a, &b, g_seed + 2, RNS_RES_ACCEPT_ALL, NULL, id, now);
    g_count = 0;
    mn_tap = tap;
    assert_int_equal(rns_transport_resource_send(a.t, id, &o, now, NULL), 0);
    run(&a, &b, &now, 300);
    mn_tap = NULL;
    assert_non_null(ev = find_res(&b, RNS_RES_EV_CONCLUDED, 0));
    assert_int_equal(ev->res_ev.status, RNS_RESOURCE_COMPLETE);
    assert_int_equal(ev->res_ev.data.len, n);
    assert_memory_equal(ev->res_ev.data.p, data, n);
    assert_non_null(ev = find_res(&a, RNS_RES_EV_CONCLUDED, 1));
    assert_int_equal(ev->res_ev.status, RNS_RESOURCE_COMPLETE);
    mn_free(&a);
    mn_free(&b);
    free(data);
}

static void test_lost_parts(void **state)
{
    (void)state;
    transfer_through(lossy);
}

static void test_tampered_part(void **state)
{
    (void)state;
    transfer_through(tamper);
}

/* Stops parts after the first window so a transfer stays in flight. */
static int no_parts(ml_buf *pkt, int from_a)
{
    rns_packet p;
    return !(from_a && rns_packet_unpack(&p, pkt->p, pkt->len) == 0 &&
             p.context == RNS_CTX_RESOURCE && ++g_count > 4);
}

static void test_cancel(void **state)
{
    uint8_t id[RNS_HASHLEN];
    uint64_t s = g_seed + 9;
    size_t n = 30000;
    uint8_t *data = random_bytes(&s, n);
    rns_res_send_opts o = {.data = data, .len = n, .no_compress = 1};
    double now = 1000;
    uint32_t rid, in_id;
    mn_node a, b;
    rns_tev *ev;
    (void)state;

    for (int side = 0; side < 2; side++) {
        setup(&a, &b, g_seed + 3, RNS_RES_ACCEPT_ALL, NULL, id, now);
        g_count = 0;
        mn_tap = no_parts;
        assert_int_equal(rns_transport_resource_send(a.t, id, &o, now, &rid), 0);
        mn_pump(&a, &b, now);
        assert_non_null(ev = find_res(&b, RNS_RES_EV_STARTED, 0));
        in_id = ev->res_ev.id;
        assert_null(find_res(&a, RNS_RES_EV_CONCLUDED, 1));
        if (side == 0)
            assert_int_equal(rns_transport_resource_cancel(a.t, id, rid, now), 0); /* ICL */
        else
            assert_int_equal(rns_transport_resource_cancel(b.t, id, in_id, now), 0); /* RCL */
        mn_pump(&a, &b, now);
        mn_tap = NULL;
        assert_non_null(ev = find_res(&b, RNS_RES_EV_CONCLUDED, 0));
        assert_int_equal(ev->res_ev.status, RNS_RESOURCE_FAILED);
        assert_non_null(ev = find_res(&a, RNS_RES_EV_CONCLUDED, 1));
        assert_int_equal(ev->res_ev.status, side == 0 ? RNS_RESOURCE_FAILED : RNS_RESOURCE_REJECTED);
        assert_int_equal(rns_transport_resource_cancel(a.t, id, rid, now), ML_ENOTFOUND);
        /* the link is still good for the next transfer */
        mn_clear_events(&a);
        mn_clear_events(&b);
        o.len = 1000;
        assert_int_equal(rns_transport_resource_send(a.t, id, &o, now, NULL), 0);
        run(&a, &b, &now, 60);
        assert_non_null(ev = find_res(&a, RNS_RES_EV_CONCLUDED, 1));
        assert_int_equal(ev->res_ev.status, RNS_RESOURCE_COMPLETE);
        o.len = n;
        mn_free(&a);
        mn_free(&b);
    }
    free(data);
}

static int accept_small(void *ctx, const uint8_t link_id[RNS_HASHLEN], const rns_resource_adv *adv)
{
    (void)ctx;
    (void)link_id;
    return adv->d <= 4096;
}

static void test_strategies(void **state)
{
    uint8_t id[RNS_HASHLEN], data[8000];
    rns_res_send_opts o = {.data = data, .len = sizeof data, .no_compress = 1};
    double now = 1000;
    mn_node a, b;
    rns_tev *ev;
    (void)state;

    memset(data, 0x5a, sizeof data);
    /* ACCEPT_NONE: the advertisement is dropped, the sender gives up */
    setup(&a, &b, g_seed + 4, RNS_RES_ACCEPT_NONE, NULL, id, now);
    assert_int_equal(rns_transport_resource_send(a.t, id, &o, now, NULL), 0);
    run(&a, &b, &now, 300);
    assert_null(find_res(&b, RNS_RES_EV_STARTED, 0));
    assert_non_null(ev = find_res(&a, RNS_RES_EV_CONCLUDED, 1));
    assert_int_equal(ev->res_ev.status, RNS_RESOURCE_FAILED);
    mn_free(&a);
    mn_free(&b);
    /* ACCEPT_APP: a small one in, a large one refused (RESOURCE_RCL) */
    setup(&a, &b, g_seed + 5, RNS_RES_ACCEPT_APP, accept_small, id, now);
    o.len = 1000;
    assert_int_equal(rns_transport_resource_send(a.t, id, &o, now, NULL), 0);
    run(&a, &b, &now, 60);
    assert_non_null(ev = find_res(&a, RNS_RES_EV_CONCLUDED, 1));
    assert_int_equal(ev->res_ev.status, RNS_RESOURCE_COMPLETE);
    mn_clear_events(&a);
    mn_clear_events(&b);
    o.len = sizeof data;
    assert_int_equal(rns_transport_resource_send(a.t, id, &o, now, NULL), 0);
    run(&a, &b, &now, 60);
    assert_non_null(ev = find_res(&a, RNS_RES_EV_CONCLUDED, 1));
    assert_int_equal(ev->res_ev.status, RNS_RESOURCE_REJECTED);
    assert_null(find_res(&b, RNS_RES_EV_STARTED, 0));
    mn_free(&a);
    mn_free(&b);
}

static void test_large_request_response(void **state)
{
    uint8_t id[RNS_HASHLEN], req_id[RNS_HASHLEN];
    ml_buf big = ML_BUF_INIT;
    uint8_t blob[3000];
    double now = 1000;
    mn_node a, b;
    rns_tev *ev;
    (void)state;

    memset(blob, 0x33, sizeof blob);
    assert_int_equal(rns_mp_put_bin(&big, blob, sizeof blob), 0);
    /* ACCEPT_NONE does not stop requests and responses */
    setup(&a, &b, g_seed + 6, RNS_RES_ACCEPT_NONE, NULL, id, now);
    assert_int_equal(rns_transport_link_request(a.t, id, "/big", big.p, big.len, now, req_id), 0);
    mn_pump(&a, &b, now);
    for (int i = 0; i < 20 && !mn_find_ev(&b, RNS_TEV_LINK, RNS_LINK_EV_REQUEST); i++) {
        now += 1;
        rns_transport_tick(a.t, now);
        rns_transport_tick(b.t, now);
        mn_pump(&a, &b, now);
    }
    assert_non_null(ev = mn_find_ev(&b, RNS_TEV_LINK, RNS_LINK_EV_REQUEST));
    assert_memory_equal(ev->link_ev.id, req_id, RNS_HASHLEN);
    assert_int_equal(ev->link_ev.data.len, big.len);
    assert_memory_equal(ev->link_ev.data.p, big.p, big.len);
    assert_int_equal(rns_transport_link_respond(b.t, id, req_id, big.p, big.len, now), 0);
    mn_pump(&a, &b, now);
    for (int i = 0; i < 20 && !mn_find_ev(&a, RNS_TEV_LINK, RNS_LINK_EV_RESPONSE); i++) {
        now += 1;
        rns_transport_tick(a.t, now);
        rns_transport_tick(b.t, now);
        mn_pump(&a, &b, now);
    }
    assert_non_null(ev = mn_find_ev(&a, RNS_TEV_LINK, RNS_LINK_EV_RESPONSE));
    assert_memory_equal(ev->link_ev.id, req_id, RNS_HASHLEN);
    assert_int_equal(ev->link_ev.data.len, big.len);
    assert_memory_equal(ev->link_ev.data.p, big.p, big.len);
    ml_buf_free(&big);
    mn_free(&a);
    mn_free(&b);
}

static void test_two_segments(void **state)
{
    uint8_t id[RNS_HASHLEN], meta[] = {0xa1, 'x'};
    size_t n = RNS_RESOURCE_MAX_EFFICIENT_SIZE + 5000;
    uint8_t *data = malloc(n);
    rns_res_send_opts o = {.data = data, .len = n, .metadata = meta, .metadata_len = sizeof meta,
                           .no_compress = 1};
    rns_resource *r = NULL;
    uint32_t segs = 0;
    double now = 1000;
    mn_node a, b;
    rns_tev *ev;
    (void)state;

    assert_non_null(data);
    for (size_t i = 0; i < n; i++)
        data[i] = (uint8_t)(i * 7 + (i >> 9));
    setup(&a, &b, g_seed + 8, RNS_RES_ACCEPT_ALL, NULL, id, now);
    /* built, not sent: the first of two segments */
    assert_int_equal(rns_linkres_build(rns_transport_link_resources(a.t, id),
                                       rns_transport_link(a.t, id), &o, now, &r, &segs), 0);
    assert_int_equal(segs, 2);
    assert_int_equal(rns_resource_adv_of(r)->i, 1);
    assert_true(rns_resource_flags(r) & RNS_RESOURCE_F_SPLIT);
    rns_resource_free(r);
    assert_int_equal(rns_transport_resource_send(a.t, id, &o, now, NULL), 0);
    run(&a, &b, &now, 3000);
    assert_non_null(ev = find_res(&b, RNS_RES_EV_CONCLUDED, 0));
    assert_int_equal(ev->res_ev.status, RNS_RESOURCE_COMPLETE);
    assert_int_equal(ev->res_ev.segment_index, 2);
    assert_int_equal(ev->res_ev.total_segments, 2);
    assert_int_equal(ev->res_ev.data.len, n);
    assert_memory_equal(ev->res_ev.data.p, data, n);
    assert_int_equal(ev->res_ev.metadata.len, sizeof meta);
    assert_non_null(ev = find_res(&a, RNS_RES_EV_CONCLUDED, 1));
    assert_int_equal(ev->res_ev.status, RNS_RESOURCE_COMPLETE);
    mn_free(&a);
    mn_free(&b);
    free(data);
}

/* A manual receiver takes the first window and then waits for the app to ask
 * for each next one; the transfer completes only through those requests. */
static void test_manual_requests(void **state)
{
    uint8_t id[RNS_HASHLEN];
    size_t n = 30 * 400;
    uint8_t *data = malloc(n);
    rns_res_send_opts o = {.data = data, .len = n, .no_compress = 1};
    rns_linkres *lr;
    rns_link *l;
    uint32_t rid, got = 0, before;
    double now = 1000;
    unsigned asks = 0;
    mn_node a, b;
    rns_tev *ev;
    (void)state;

    assert_non_null(data);
    for (size_t i = 0; i < n; i++)
        data[i] = (uint8_t)(i * 13 + (i >> 7));
    setup(&a, &b, g_seed + 9, RNS_RES_ACCEPT_ALL, NULL, id, now);
    lr = rns_transport_link_resources(b.t, id);
    l = rns_transport_link(b.t, id);
    assert_non_null(lr);
    assert_non_null(l);
    rns_linkres_set_manual_requests(lr, 1);
    assert_int_equal(rns_transport_resource_send(a.t, id, &o, now, NULL), 0);
    mn_pump(&a, &b, now);
    assert_non_null(ev = find_res(&b, RNS_RES_EV_STARTED, 0));
    rid = ev->res_ev.id;
    assert_int_equal(rns_transport_resource_request_next(b.t, id, rid + 100, now), ML_ENOTFOUND);
    while (!find_res(&b, RNS_RES_EV_CONCLUDED, 0)) {
        rns_resource_counters(rns_linkres_get(lr, rid), NULL, NULL, &before);
        assert_true(before > got || asks == 0);
        got = before;
        mn_pump(&a, &b, now); /* nothing moves without a request */
        rns_resource_counters(rns_linkres_get(lr, rid), NULL, NULL, &before);
        assert_int_equal(before, got);
        assert_int_equal(rns_transport_resource_request_next(b.t, id, rid, now), 1);
        asks++;
        assert_true(asks < 40);
        now += 0.01;
        mn_pump(&a, &b, now);
    }
    assert_true(asks >= 2);
    ev = find_res(&b, RNS_RES_EV_CONCLUDED, 0);
    assert_int_equal(ev->res_ev.status, RNS_RESOURCE_COMPLETE);
    assert_int_equal(ev->res_ev.data.len, n);
    assert_memory_equal(ev->res_ev.data.p, data, n);
    /* over: the transfer is gone */
    assert_int_equal(rns_transport_resource_request_next(b.t, id, rid, now), ML_ENOTFOUND);
    mn_free(&a);
    mn_free(&b);
    free(data);
}

static unsigned pop_link_packets(rns_link *l)
{
    ml_buf b = ML_BUF_INIT;
    unsigned n = 0;
    while (rns_link_pop_packet(l, &b) == 1) {
        n++;
        ml_buf_reset(&b);
    }
    ml_buf_free(&b);
    return n;
}

/* A RESOURCE_REQ packet delivered twice (same packet hash) is served once;
 * an event without a packet hash is not de-duplicated. */
static void test_duplicate_request(void **state)
{
    uint8_t id[RNS_HASHLEN], ph[32];
    size_t n = 20 * 400;
    uint8_t *data = malloc(n);
    rns_res_send_opts o = {.data = data, .len = n, .no_compress = 1};
    const rns_resource *tx;
    rns_link_event ev;
    rns_linkres *lr;
    rns_link *l;
    uint32_t txid;
    double now = 1000;
    int known = 0;
    mn_node a, b;
    (void)state;

    assert_non_null(data);
    memset(data, 0x5a, n);
    setup(&a, &b, g_seed + 10, RNS_RES_ACCEPT_ALL, NULL, id, now);
    rns_linkres_set_manual_requests(rns_transport_link_resources(b.t, id), 1);
    assert_int_equal(rns_transport_resource_send(a.t, id, &o, now, &txid), 0);
    mn_pump(&a, &b, now);
    lr = rns_transport_link_resources(a.t, id);
    l = rns_transport_link(a.t, id);
    assert_non_null(tx = rns_linkres_get(lr, txid));
    assert_int_equal(rns_resource_request_hashes(tx, NULL, NULL), 1); /* b's first request */
    memset(&ev, 0, sizeof ev);
    ev.type = RNS_LINK_EV_PACKET;
    ev.context = RNS_CTX_RESOURCE_REQ;
    assert_int_equal(ml_buf_putc(&ev.data, RNS_RESOURCE_HASHMAP_NOT_EXHAUSTED), 0);
    assert_int_equal(ml_buf_append(&ev.data, rns_resource_hash(tx), 32), 0);
    assert_int_equal(ml_buf_append(&ev.data, rns_resource_hashmap(tx), 4 * 4), 0);
    memset(ph, 0xab, sizeof ph);
    memcpy(ev.id, ph, sizeof ph);
    assert_int_equal(rns_linkres_input(lr, l, &ev, now), 1);
    assert_int_equal(pop_link_packets(l), 4);
    assert_int_equal(rns_resource_request_hashes(tx, ph, &known), 2);
    assert_true(known);
    assert_int_equal(rns_linkres_input(lr, l, &ev, now), 1);
    assert_int_equal(pop_link_packets(l), 0); /* the duplicate served nothing */
    assert_int_equal(rns_resource_request_hashes(tx, NULL, NULL), 2);
    memset(ev.id, 0, sizeof ev.id);
    assert_int_equal(rns_linkres_input(lr, l, &ev, now), 1);
    assert_int_equal(pop_link_packets(l), 4);
    assert_int_equal(rns_linkres_input(lr, l, &ev, now), 1);
    assert_int_equal(pop_link_packets(l), 4);
    ml_buf_free(&ev.data);
    mn_free(&a);
    mn_free(&b);
    free(data);
}

/* Parts planted past the map-hash gate reach the real assembly check: the
 * genuine ones complete and prove, one replaced part makes it CORRUPT. */
static void test_plant_part_assembly(void **state)
{
    uint8_t id[RNS_HASHLEN], junk[600];
    size_t n = 3000, plen;
    uint8_t *data = malloc(n);
    rns_res_send_opts o = {.data = data, .len = n, .no_compress = 1};
    rns_resource *tx = NULL, *rx;
    const uint8_t *part;
    ml_buf adv = ML_BUF_INIT, b = ML_BUF_INIT;
    uint8_t ctx;
    double now = 1000;
    mn_node a, b2;
    (void)state;

    assert_non_null(data);
    memset(data, 0x33, n);
    memset(junk, 0xee, sizeof junk);
    setup(&a, &b2, g_seed + 11, RNS_RES_ACCEPT_ALL, NULL, id, now);
    rns_link *l = rns_transport_link(a.t, id);
    assert_int_equal(rns_linkres_build(rns_transport_link_resources(a.t, id), l, &o, now, &tx,
                                       NULL), 0);
    assert_int_equal(rns_resource_pop(tx, &ctx, &adv), 1);
    for (int corrupt = 0; corrupt < 2; corrupt++) {
        uint32_t parts;
        int ret = 0, proofs = 0;
        assert_int_equal(rns_resource_accept(&rx, rns_link_key(l), rns_link_mtu(l), adv.p,
                                             adv.len, 0, now), 0);
        parts = rns_resource_parts(rx);
        assert_true(parts >= 2);
        part = rns_resource_part(tx, 0, &plen);
        assert_int_equal(rns_resource_plant_part(rx, parts, part, plen, now), ML_EINVAL);
        assert_int_equal(rns_resource_plant_part(rx, 0, part, plen - 1, now), ML_EMALFORMED);
        for (uint32_t i = 0; i < parts; i++) {
            part = rns_resource_part(tx, i, &plen);
            assert_true(plen <= sizeof junk);
            ret = rns_resource_plant_part(rx, i, corrupt && i == 1 ? junk : part, plen, now);
            if (i + 1 < parts)
                assert_int_equal(ret, 0);
        }
        assert_int_equal(ret, corrupt ? ML_ECORRUPT : 0);
        assert_int_equal(rns_resource_status(rx),
                         corrupt ? RNS_RESOURCE_CORRUPT : RNS_RESOURCE_COMPLETE);
        while (rns_resource_pop(rx, &ctx, &b) == 1) {
            proofs += ctx == RNS_CTX_RESOURCE_PRF;
            ml_buf_reset(&b);
        }
        assert_int_equal(proofs, corrupt ? 0 : 1);
        rns_resource_free(rx);
    }
    rns_resource_free(tx);
    ml_buf_free(&adv);
    ml_buf_free(&b);
    mn_free(&a);
    mn_free(&b2);
    free(data);
}

static void test_bomb_closes_link(void **state)
{
    uint8_t id[RNS_HASHLEN];
    size_t n = 300 * 1024;
    uint8_t *zeros = calloc(1, n);
    rns_res_send_opts o = {.data = zeros, .len = n};
    rns_res_policy p = {RNS_RES_ACCEPT_ALL, NULL, NULL, 256 * 1024};
    double now = 1000;
    mn_node a, b;
    rns_tev *ev;
    (void)state;

    assert_non_null(zeros);
    setup(&a, &b, g_seed + 10, RNS_RES_ACCEPT_ALL, NULL, id, now);
    assert_int_equal(rns_transport_link_set_resource_policy(b.t, id, &p), 0);
    assert_int_equal(rns_transport_resource_send(a.t, id, &o, now, NULL), 0);
    run(&a, &b, &now, 60);
    assert_non_null(ev = find_res(&b, RNS_RES_EV_CONCLUDED, 0));
    assert_int_equal(ev->res_ev.status, RNS_RESOURCE_CORRUPT);
    assert_non_null(mn_find_ev(&b, RNS_TEV_LINK, RNS_LINK_EV_CLOSED));
    assert_non_null(ev = find_res(&a, RNS_RES_EV_CONCLUDED, 1));
    assert_int_not_equal(ev->res_ev.status, RNS_RESOURCE_COMPLETE);
    mn_free(&a);
    mn_free(&b);
    free(zeros);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transfer_with_metadata),
        cmocka_unit_test(test_lost_parts),
        cmocka_unit_test(test_tampered_part),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_strategies),
        cmocka_unit_test(test_large_request_response),
        cmocka_unit_test(test_two_segments),
        cmocka_unit_test(test_bomb_closes_link),
        cmocka_unit_test(test_manual_requests),
        cmocka_unit_test(test_duplicate_request),
        cmocka_unit_test(test_plant_part_assembly),
    };
    g_seed = tu_seed();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
