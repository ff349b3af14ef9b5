// SPDX-License-Identifier: MIT
// The sans-I/O transport core, two (or three) cores wired back to back in
// memory with a virtual clock: announces both ways, path requests, links from
// either side with data, proofs, request/response, keepalive and teardown,
// single packets with receipts, HEADER_2 addressing behind a transport node
// and a shared instance, IFAC, and bad input (truncated, oversize, replayed,
// bit-flipped). Randomness is a seeded PRNG; the seed is printed.
#include "rns_memnet.h"

#include "meshlog/crypto.h"
#include "meshlog/rns_msgpack.h"
#include "meshlog/rns_packet.h"
#include "meshlog/rns_transport.h"

static uint64_t g_seed;

static void node_register(mn_node *n, int accept)
{
    mn_register(n, "meshlogtest", "echo", RNS_PROVE_ALL, accept, "hi");
}

static void test_announce_both_ways(void **state)
{
    mn_node a, b;
    rns_tev *ev;
    unsigned hops = 0;
    uint8_t pub[64];
    (void)state;
    mn_init(&a, g_seed, 0, NULL);
    mn_init(&b, g_seed + 1, 0, NULL);
    node_register(&a, 1);
    node_register(&b, 1);
    assert_int_equal(rns_transport_announce(a.t, a.dest, 1000.0), 0);
    assert_int_equal(rns_transport_announce(b.t, b.dest, 1000.0), 0);
    mn_pump(&a, &b, 1000.0);
    assert_non_null(ev = mn_find_ev(&b, RNS_TEV_ANNOUNCE, -1));
    assert_memory_equal(ev->dest, a.dest, RNS_HASHLEN);
    assert_int_equal(ev->hops, 1);
    assert_true(ev->has_app_data);
    assert_int_equal(ev->data.len, 2);
    assert_non_null(ev = mn_find_ev(&a, RNS_TEV_ANNOUNCE, -1));
    assert_memory_equal(ev->dest, b.dest, RNS_HASHLEN);
    assert_int_equal(rns_transport_has_path(b.t, a.dest, 1001.0, &hops), 1);
    assert_int_equal(hops, 1);
    assert_int_equal(rns_transport_recall(b.t, a.dest, pub, NULL, NULL), 0);
    assert_memory_equal(pub, rns_identity_public_key(a.id), 64);
    /* the same announce again (a replay) changes nothing */
    mn_clear_events(&b);
    mn_free(&a);
    mn_free(&b);
}

static void test_path_request(void **state)
{
    mn_node a, b;
    rns_tev *ev;
    (void)state;
    mn_init(&a, g_seed + 2, 0, NULL);
    mn_init(&b, g_seed + 3, 0, NULL);
    node_register(&a, 1);
    assert_int_equal(rns_transport_has_path(b.t, a.dest, 10.0, NULL), 0);
    assert_int_equal(rns_transport_request_path(b.t, a.dest, 10.0), 0);
    mn_pump(&a, &b, 10.0);
    assert_non_null(ev = mn_find_ev(&b, RNS_TEV_ANNOUNCE, -1));
    assert_true(ev->path_response);
    assert_int_equal(rns_transport_has_path(b.t, a.dest, 10.0, NULL), 1);
    /* a second request with the same tag would be ignored; a new one answers */
    mn_clear_events(&b);
    assert_int_equal(rns_transport_request_path(b.t, a.dest, 12.0), 0);
    mn_pump(&a, &b, 12.0);
    assert_non_null(mn_find_ev(&b, RNS_TEV_ANNOUNCE, -1));
    mn_free(&a);
    mn_free(&b);
}

/* Opens a link from `from` to `to`'s destination and runs the handshake. */
static void open_link(mn_node *from, mn_node *to, double now, uint8_t id[RNS_HASHLEN])
{
    rns_tev *ev;
    assert_int_equal(rns_transport_link_open(from->t, to->dest, now, id), 0);
    mn_pump(from, to, now);
    assert_non_null(ev = mn_find_ev(from, RNS_TEV_LINK, RNS_LINK_EV_ESTABLISHED));
    assert_true(ev->initiator);
    assert_non_null(ev = mn_find_ev(to, RNS_TEV_LINK, RNS_LINK_EV_ESTABLISHED));
    assert_false(ev->initiator);
    assert_memory_equal(ev->link_id, id, RNS_HASHLEN);
    assert_memory_equal(ev->dest, to->dest, RNS_HASHLEN);
}

static void link_session(mn_node *ini, mn_node *resp, double t0)
{
    uint8_t id[RNS_HASHLEN], hash[32], req_id[RNS_HASHLEN];
    ml_buf mp = ML_BUF_INIT;
    rns_link *l;
    rns_tev *ev;

    open_link(ini, resp, t0, id);
    mn_clear_events(ini);
    mn_clear_events(resp);
    /* data with a proof (the destination proves all) */
    assert_non_null(l = rns_transport_link(ini->t, id));
    assert_int_equal(rns_link_send(l, RNS_CTX_NONE, (const uint8_t *)"ping", 4, t0 + 1, hash), 0);
    assert_int_equal(rns_transport_flush(ini->t, t0 + 1), 0);
    mn_pump(ini, resp, t0 + 1);
    assert_non_null(ev = mn_find_ev(resp, RNS_TEV_LINK, RNS_LINK_EV_DATA));
    assert_memory_equal(ev->link_ev.data.p, "ping", 4);
    assert_non_null(ev = mn_find_ev(ini, RNS_TEV_LINK, RNS_LINK_EV_PROOF));
    assert_memory_equal(ev->link_ev.id, hash, 32);
    /* the responder sends back */
    assert_non_null(l = rns_transport_link(resp->t, id));
    assert_int_equal(rns_link_send(l, RNS_CTX_NONE, (const uint8_t *)"pong", 4, t0 + 1, NULL), 0);
    assert_int_equal(rns_transport_flush(resp->t, t0 + 1), 0);
    mn_pump(ini, resp, t0 + 1);
    assert_non_null(ev = mn_find_ev(ini, RNS_TEV_LINK, RNS_LINK_EV_DATA));
    assert_memory_equal(ev->link_ev.data.p, "pong", 4);
    mn_clear_events(ini);
    mn_clear_events(resp);
    /* request / response on /echo */
    assert_int_equal(rns_mp_put_cstr(&mp, "hello"), 0);
    l = rns_transport_link(ini->t, id);
    assert_int_equal(rns_link_request(l, "/echo", mp.p, mp.len, t0 + 2, req_id), 0);
    rns_transport_flush(ini->t, t0 + 2);
    mn_pump(ini, resp, t0 + 2);
    assert_non_null(ev = mn_find_ev(resp, RNS_TEV_LINK, RNS_LINK_EV_REQUEST));
    l = rns_transport_link(resp->t, id);
    assert_int_equal(rns_link_respond(l, ev->link_ev.id, ev->link_ev.data.p,
                                      ev->link_ev.data.len, t0 + 2), 0);
    rns_transport_flush(resp->t, t0 + 2);
    mn_pump(ini, resp, t0 + 2);
    assert_non_null(ev = mn_find_ev(ini, RNS_TEV_LINK, RNS_LINK_EV_RESPONSE));
    assert_memory_equal(ev->link_ev.id, req_id, RNS_HASHLEN);
    assert_memory_equal(ev->link_ev.data.p, mp.p, mp.len);
    mn_clear_events(ini);
    mn_clear_events(resp);
    /* keepalive: idle past the keepalive interval, the timers ping/pong */
    double t = t0 + 2;
    for (int i = 0; i < 40; i++) {
        t += 1.0;
        rns_transport_tick(ini->t, t);
        rns_transport_tick(resp->t, t);
        mn_pump(ini, resp, t);
    }
    assert_null(mn_find_ev(ini, RNS_TEV_LINK, RNS_LINK_EV_STALE));
    assert_null(mn_find_ev(resp, RNS_TEV_LINK, RNS_LINK_EV_CLOSED));
    assert_int_equal(rns_link_state(rns_transport_link(ini->t, id)), RNS_LINK_ACTIVE);
    assert_true(rns_transport_deadline(ini->t) <= t + 360.0);
    /* teardown */
    assert_int_equal(rns_link_close(rns_transport_link(ini->t, id), t), 0);
    rns_transport_flush(ini->t, t);
    mn_pump(ini, resp, t);
    assert_non_null(ev = mn_find_ev(resp, RNS_TEV_LINK, RNS_LINK_EV_CLOSED));
    assert_int_equal(ev->link_ev.reason, RNS_LINK_CLOSE_INITIATOR_CLOSED);
    assert_non_null(mn_find_ev(ini, RNS_TEV_LINK, RNS_LINK_EV_CLOSED));
    rns_transport_tick(ini->t, t + 1);
    rns_transport_tick(resp->t, t + 1);
    assert_null(rns_transport_link(ini->t, id));
    assert_null(rns_transport_link(resp->t, id));
    ml_buf_free(&mp);
}

static void test_links_either_side(void **state)
{
    mn_node a, b;
    (void)state;
    mn_init(&a, g_seed + 4, 0, NULL);
    mn_init(&b, g_seed + 5, 0, NULL);
    node_register(&a, 1);
    node_register(&b, 1);
    rns_transport_announce(a.t, a.dest, 100.0);
    rns_transport_announce(b.t, b.dest, 100.0);
    mn_pump(&a, &b, 100.0);
    mn_clear_events(&a);
    mn_clear_events(&b);
    link_session(&b, &a, 101.0);
    mn_clear_events(&a);
    mn_clear_events(&b);
    link_session(&a, &b, 200.0);
    mn_free(&a);
    mn_free(&b);
}

static int g_tapped;
static void count_tap(void *ctx, const rns_link *l, int outbound, uint8_t packet_type,
                      uint8_t context, const uint8_t *data, size_t len)
{
    (void)ctx, (void)l, (void)packet_type;
    if (!outbound && context == RNS_CTX_NONE && len == 4 && !memcmp(data, "bind", 4))
        g_tapped++;
}

/* A link takes packets only on the interface it was set up over; the link
 * read-outs and the link tap. */
static void test_link_binding(void **state)
{
    rns_iface_props other = {"other", 500, 0, 0, NULL};
    uint8_t id[RNS_HASHLEN];
    ml_buf raw = ML_BUF_INIT;
    int foreign;
    mn_node a, b;
    (void)state;

    mn_init(&a, g_seed + 40, 0, NULL);
    mn_init(&b, g_seed + 41, 0, NULL);
    node_register(&b, 1);
    rns_transport_announce(b.t, b.dest, 100.0);
    mn_pump(&a, &b, 100.0);
    assert_int_equal(rns_transport_link_mtu(a.t, b.dest, 100.0), 500);
    open_link(&a, &b, 101.0, id);
    mn_clear_events(&b);
    assert_int_equal(rns_transport_link_count(b.t, b.dest), 1);
    assert_int_equal(rns_transport_link_count(a.t, b.dest), 1);
    assert_int_equal(rns_transport_link_iface(b.t, id), b.ifc);
    assert_int_equal(rns_transport_add_iface(b.t, &other, &foreign), 0);
    rns_transport_set_link_tap(b.t, count_tap, NULL);
    g_tapped = 0;
    /* link data arriving on another interface is refused, on its own taken */
    assert_int_equal(rns_link_pack(rns_transport_link(a.t, id), RNS_CTX_NONE,
                                   (const uint8_t *)"bind", 4, &raw), 0);
    assert_int_equal(rns_transport_inbound(b.t, foreign, raw.p, raw.len, 102.0), 0);
    mn_collect(&b);
    assert_null(mn_find_ev(&b, RNS_TEV_LINK, RNS_LINK_EV_DATA));
    assert_int_equal(g_tapped, 0);
    /* (a second copy: the first one's hash is in the duplicate filter now) */
    ml_buf_reset(&raw);
    assert_int_equal(rns_link_pack(rns_transport_link(a.t, id), RNS_CTX_NONE,
                                   (const uint8_t *)"bind", 4, &raw), 0);
    assert_int_equal(rns_transport_inbound(b.t, b.ifc, raw.p, raw.len, 102.0), 0);
    mn_collect(&b);
    assert_non_null(mn_find_ev(&b, RNS_TEV_LINK, RNS_LINK_EV_DATA));
    assert_int_equal(g_tapped, 1);
    rns_transport_set_link_tap(b.t, NULL, NULL);
    ml_buf_free(&raw);
    mn_free(&a);
    mn_free(&b);
}

/* A file response: the content as a resource with metadata, handed to the
 * requester as a RESPONSE event with has_metadata and the raw content. */
static void test_file_response(void **state)
{
    uint8_t id[RNS_HASHLEN], req[RNS_HASHLEN], content[2000];
    ml_buf meta = ML_BUF_INIT;
    rns_tev *ev;
    mn_node a, b;
    (void)state;

    mn_init(&a, g_seed + 50, 0, NULL);
    mn_init(&b, g_seed + 51, 0, NULL);
    node_register(&b, 1);
    rns_transport_announce(b.t, b.dest, 100.0);
    mn_pump(&a, &b, 100.0);
    open_link(&a, &b, 101.0, id);
    mn_clear_events(&a);
    for (size_t i = 0; i < sizeof content; i++)
        content[i] = (uint8_t)(i * 7);
    /* a request first: a response resource is taken only for a request sent */
    assert_int_equal(rns_mp_put_nil(&meta), 0);
    assert_int_equal(rns_transport_link_request(a.t, id, "/file", meta.p, meta.len, 102.0, req), 0);
    mn_pump(&a, &b, 102.0);
    ml_buf_reset(&meta);
    assert_int_equal(rns_mp_put_bin(&meta, (const uint8_t *)"meta", 4), 0);
    assert_int_equal(rns_transport_link_respond_file(b.t, id, req, content, sizeof content, meta.p,
                                                     meta.len, 102.0), 0);
    for (int i = 0; i < 20 && !mn_find_ev(&a, RNS_TEV_LINK, RNS_LINK_EV_RESPONSE); i++) {
        rns_transport_tick(a.t, 102.0 + i * 0.1);
        rns_transport_tick(b.t, 102.0 + i * 0.1);
        mn_pump(&a, &b, 102.0 + i * 0.1);
    }
    assert_non_null(ev = mn_find_ev(&a, RNS_TEV_LINK, RNS_LINK_EV_RESPONSE));
    assert_true(ev->link_ev.has_metadata);
    assert_memory_equal(ev->link_ev.id, req, RNS_HASHLEN);
    assert_int_equal(ev->link_ev.data.len, sizeof content);
    assert_memory_equal(ev->link_ev.data.p, content, sizeof content);
    assert_int_equal(ev->link_ev.metadata.len, meta.len);
    assert_memory_equal(ev->link_ev.metadata.p, meta.p, meta.len);
    assert_int_equal(rns_transport_link_respond_file(b.t, req, req, content, 1, NULL, 0, 103.0),
                     ML_ENOTFOUND);
    ml_buf_free(&meta);
    mn_free(&a);
    mn_free(&b);
}

static void test_single_packet_proof(void **state)
{
    mn_node a, b;
    uint8_t hash[32];
    rns_tev *ev;
    (void)state;
    mn_init(&a, g_seed + 6, 0, NULL);
    mn_init(&b, g_seed + 7, 0, NULL);
    node_register(&a, 0);
    assert_int_equal(rns_transport_send(b.t, a.dest, (const uint8_t *)"x", 1, 5.0, hash),
                     ML_ENOTFOUND);
    rns_transport_announce(a.t, a.dest, 5.0);
    mn_pump(&a, &b, 5.0);
    assert_int_equal(rns_transport_send(b.t, a.dest, (const uint8_t *)"single", 6, 6.0, hash), 0);
    mn_pump(&a, &b, 6.5);
    assert_non_null(ev = mn_find_ev(&a, RNS_TEV_DATA, -1));
    assert_memory_equal(ev->data.p, "single", 6);
    assert_non_null(ev = mn_find_ev(&b, RNS_TEV_PROOF, -1));
    assert_memory_equal(ev->packet_hash, hash, 32);
    assert_true(ev->rtt > 0.4 && ev->rtt < 0.6);
    /* a link request to a destination that does not accept links times out */
    uint8_t id[RNS_HASHLEN];
    mn_clear_events(&b);
    assert_int_equal(rns_transport_link_open(b.t, a.dest, 7.0, id), 0);
    mn_pump(&a, &b, 7.0);
    assert_null(mn_find_ev(&b, RNS_TEV_LINK, RNS_LINK_EV_ESTABLISHED));
    rns_transport_tick(b.t, 30.0);
    mn_collect(&b);
    assert_non_null(ev = mn_find_ev(&b, RNS_TEV_LINK, RNS_LINK_EV_CLOSED));
    assert_int_equal(ev->link_ev.reason, RNS_LINK_CLOSE_TIMEOUT);
    /* a receipt that is never proved times out */
    mn_clear_events(&b);
    ml_buf drop = ML_BUF_INIT;
    int ifc;
    assert_int_equal(rns_transport_send(b.t, a.dest, (const uint8_t *)"lost", 4, 40.0, hash), 0);
    while (rns_transport_pop_output(b.t, &ifc, &drop) == 1)
        ml_buf_reset(&drop);
    ml_buf_free(&drop);
    rns_transport_tick(b.t, 100.0);
    mn_collect(&b);
    assert_non_null(ev = mn_find_ev(&b, RNS_TEV_RECEIPT_TIMEOUT, -1));
    assert_memory_equal(ev->packet_hash, hash, 32);
    mn_free(&a);
    mn_free(&b);
}

/* A tap playing a transport node with id 0xAA..: announces from a reach b as
 * HEADER_2 with `extra_hops` more hops; HEADER_2 packets from b are checked to
 * name that node and stripped back to HEADER_1 on delivery. */
static unsigned g_extra_hops;
static int g_saw_h2;

static int transport_tap(ml_buf *pkt, int from_a)
{
    uint8_t tid[RNS_HASHLEN];
    rns_packet p;
    ml_buf out = ML_BUF_INIT;

    memset(tid, 0xAA, sizeof tid);
    assert_int_equal(rns_packet_unpack(&p, pkt->p, pkt->len), 0);
    (void)from_a;   /* only a announces, only b sends HEADER_2 */
    if (p.packet_type == RNS_PACKET_ANNOUNCE) {
        p.hops = (uint8_t)(p.hops + g_extra_hops);
        rns_packet_set_transport(&p, tid);
    } else if (p.header_type == RNS_HEADER_2) {
        assert_memory_equal(p.transport_id, tid, RNS_HASHLEN);
        g_saw_h2++;
        rns_packet_clear_transport(&p);
    }
    assert_int_equal(rns_packet_pack(&out, &p), 0);
    ml_buf_reset(pkt);
    ml_buf_append(pkt, out.p, out.len);
    ml_buf_free(&out);
    return 1;
}

static void header2_case(int shared, unsigned extra)
{
    mn_node a, b;
    uint8_t id[RNS_HASHLEN], hash[32];
    (void)hash;
    mn_init(&a, g_seed + 8, 0, NULL);
    mn_init(&b, g_seed + 9, shared, NULL);
    node_register(&a, 1);
    mn_tap = transport_tap;
    g_extra_hops = extra;
    g_saw_h2 = 0;
    rns_transport_announce(a.t, a.dest, 50.0);
    mn_pump(&a, &b, 50.0);
    assert_non_null(mn_find_ev(&b, RNS_TEV_ANNOUNCE, -1));
    open_link(&b, &a, 51.0, id);
    assert_int_equal(g_saw_h2, 1);     /* the LINKREQUEST, and only it */
    assert_int_equal(rns_transport_send(b.t, a.dest, (const uint8_t *)"s", 1, 52.0, hash), 0);
    mn_pump(&a, &b, 52.0);
    assert_int_equal(g_saw_h2, 2);
    assert_non_null(mn_find_ev(&b, RNS_TEV_PROOF, -1));
    mn_tap = NULL;
    mn_free(&a);
    mn_free(&b);
}

static void test_header2_via_transport(void **state)
{
    (void)state;
    header2_case(0, 1);   /* 2 hops through a transport node */
    header2_case(1, 1);   /* 1 hop (after the local adjustment) through rnsd */
}

static void test_ifac(void **state)
{
    mn_node a, b, c;
    rns_ifac *ia, *ib, *ic;
    (void)state;
    assert_int_equal(rns_ifac_new(&ia, "net", "pw", 16), 0);
    assert_int_equal(rns_ifac_new(&ib, "net", "pw", 16), 0);
    assert_int_equal(rns_ifac_new(&ic, "net", "other", 16), 0);
    mn_init(&a, g_seed + 10, 0, ia);
    mn_init(&b, g_seed + 11, 0, ib);
    mn_init(&c, g_seed + 12, 0, ic);
    node_register(&a, 1);
    rns_transport_announce(a.t, a.dest, 1.0);
    rns_transport_announce(a.t, a.dest, 2.0);
    mn_pump(&a, &b, 1.0);
    assert_non_null(mn_find_ev(&b, RNS_TEV_ANNOUNCE, -1));
    rns_transport_announce(a.t, a.dest, 3.0);
    mn_pump(&a, &c, 3.0);
    assert_null(mn_find_ev(&c, RNS_TEV_ANNOUNCE, -1));
    assert_true(rns_transport_get_stats(c.t).dropped_ifac >= 1);
    mn_free(&a);
    mn_free(&b);
    mn_free(&c);
}

/* Captures every packet a sends, for the bad-input test. */
static ml_buf g_cap[16];
static size_t g_ncap;
static int capture_tap(ml_buf *pkt, int from_a)
{
    if (from_a && g_ncap < 16) {
        ml_buf_reset(&g_cap[g_ncap]);
        ml_buf_append(&g_cap[g_ncap++], pkt->p, pkt->len);
    }
    return 1;
}

static void test_bad_input(void **state)
{
    mn_node a, b;
    uint8_t id[RNS_HASHLEN], big[9000];
    uint64_t rs = g_seed;
    rns_link *l;
    (void)state;
    mn_init(&a, g_seed + 13, 0, NULL);
    mn_init(&b, g_seed + 14, 0, NULL);
    node_register(&a, 1);
    node_register(&b, 1);
    rns_transport_announce(b.t, b.dest, 1.0);
    mn_pump(&a, &b, 1.0);
    open_link(&a, &b, 2.0, id);
    mn_clear_events(&b);
    mn_tap = capture_tap;
    g_ncap = 0;
    l = rns_transport_link(a.t, id);
    assert_int_equal(rns_link_send(l, RNS_CTX_NONE, (const uint8_t *)"once", 4, 3.0, NULL), 0);
    rns_transport_flush(a.t, 3.0);
    mn_pump(&a, &b, 3.0);
    rns_transport_announce(a.t, a.dest, 3.0);
    mn_pump(&a, &b, 3.0);
    mn_tap = NULL;
    assert_int_equal(g_ncap, 2);
    assert_non_null(mn_find_ev(&b, RNS_TEV_LINK, RNS_LINK_EV_DATA));
    mn_clear_events(&b);
    /* replayed: the duplicate filter drops the data packet; the announce's blob is known */
    for (size_t i = 0; i < g_ncap; i++)
        assert_int_equal(rns_transport_inbound(b.t, b.ifc, g_cap[i].p, g_cap[i].len, 4.0), 0);
    mn_collect(&b);
    assert_int_equal(b.n_evs, 0);
    assert_true(rns_transport_get_stats(b.t).dropped_duplicate >= 1);
    /* truncated at every length, and every single-bit flip: no event, no crash */
    for (size_t i = 0; i < g_ncap; i++) {
        for (size_t n = 0; n < g_cap[i].len; n++)
            rns_transport_inbound(b.t, b.ifc, g_cap[i].p, n, 5.0);
        for (size_t bit = 0; bit < g_cap[i].len * 8; bit++) {
            g_cap[i].p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            rns_transport_inbound(b.t, b.ifc, g_cap[i].p, g_cap[i].len, 5.0);
            g_cap[i].p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
    }
    mn_collect(&b);
    for (size_t i = 0; i < b.n_evs; i++)
        assert_int_not_equal(b.evs[i].type, RNS_TEV_DATA);
    /* oversize and random garbage */
    rt_rng(&rs, big, sizeof big);
    assert_int_equal(rns_transport_inbound(b.t, b.ifc, big, sizeof big, 6.0), 0);
    for (size_t n = 0; n < 2000; n++) {
        size_t len = (size_t)tu_rand_below(&rs, 600);
        rt_rng(&rs, big, len);
        rns_transport_inbound(b.t, b.ifc, big, len, 6.0);
    }
    assert_int_equal(rns_transport_inbound(b.t, 999, big, 20, 6.0), ML_ENOTFOUND);
    /* the link still works afterwards */
    mn_clear_events(&b);
    l = rns_transport_link(a.t, id);
    assert_non_null(l);
    assert_int_equal(rns_link_send(l, RNS_CTX_NONE, (const uint8_t *)"twice", 5, 7.0, NULL), 0);
    rns_transport_flush(a.t, 7.0);
    mn_pump(&a, &b, 7.0);
    assert_non_null(mn_find_ev(&b, RNS_TEV_LINK, RNS_LINK_EV_DATA));
    for (size_t i = 0; i < 16; i++)
        ml_buf_free(&g_cap[i]);
    mn_free(&a);
    mn_free(&b);
}

static void test_iface_down_and_remove(void **state)
{
    mn_node a, b;
    ml_buf pkt = ML_BUF_INIT;
    int ifc, id2;
    rns_iface_props ip = {"second", 500, 0, 0, NULL};
    (void)state;
    mn_init(&a, g_seed + 15, 0, NULL);
    mn_init(&b, g_seed + 16, 0, NULL);
    node_register(&a, 1);
    assert_int_equal(rns_transport_iface_set_up(a.t, a.ifc, 0), 0);
    rns_transport_announce(a.t, a.dest, 1.0);
    assert_int_equal(rns_transport_pop_output(a.t, &ifc, &pkt), 0);
    assert_int_equal(rns_transport_iface_set_up(a.t, a.ifc, 1), 0);
    assert_int_equal(rns_transport_add_iface(a.t, &ip, &id2), 0);
    rns_transport_announce(a.t, a.dest, 1.0);
    assert_int_equal(rns_transport_remove_iface(a.t, id2), 0);
    assert_int_equal(rns_transport_remove_iface(a.t, id2), ML_ENOTFOUND);
    assert_int_equal(rns_transport_pop_output(a.t, &ifc, &pkt), 1);
    assert_int_equal(ifc, a.ifc);
    assert_int_equal(rns_transport_pop_output(a.t, &ifc, &pkt), 0);
    ml_buf_free(&pkt);
    mn_free(&a);
    mn_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_announce_both_ways),
        cmocka_unit_test(test_path_request),
        cmocka_unit_test(test_links_either_side),
        cmocka_unit_test(test_link_binding),
        cmocka_unit_test(test_file_response),
        cmocka_unit_test(test_single_packet_proof),
        cmocka_unit_test(test_header2_via_transport),
        cmocka_unit_test(test_ifac),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_iface_down_and_remove),
    };
    g_seed = tu_seed();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
