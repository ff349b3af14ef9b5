// SPDX-License-Identifier: MIT
// The transport core's observation and test hooks: the frame tap (every
// frame in and out), raw frames queued as they are, and what the core keeps
// about proofs and receipts. Two cores back to back in memory with a virtual
// clock; randomness is a seeded PRNG (the seed is printed).
#include "rns_memnet.h"

#include "meshlog/crypto.h"
#include "meshlog/rns_ifac.h"
#include "meshlog/rns_msgpack.h"
#include "meshlog/rns_packet.h"
#include "meshlog/rns_proof.h"
#include "meshlog/rns_transport.h"

static uint64_t g_seed;

static const char *const g_aspects[] = {"hooks"};

static void node_register(mn_node *n, enum rns_proof_strategy proof)
{
    mn_register(n, "meshlogtest", g_aspects[0], proof, 1, NULL);
}
/* The first event of a type (a link event of link_type when >= 0), moved
 * out; the others are dropped. 1 if found. */
static int take_event(mn_node *n, enum rns_tev_type type, int link_type, rns_tev *out)
{
    rns_tev ev;
    int found = 0;

    while (rns_transport_pop_event(n->t, &ev) == 1) {
        if (!found && ev.type == type &&
            (link_type < 0 || (int)ev.link_ev.type == link_type)) {
            *out = ev;
            found = 1;
            continue;
        }
        rns_tev_clear(&ev);
    }
    return found;
}

/* ---- frame tap --------------------------------------------------------------------- */

typedef struct tapped {
    int iface, outbound;
    ml_buf raw;
} tapped;

static tapped g_taps[32];
static size_t g_ntaps;

static void tap(void *ctx, int iface_id, int outbound, const uint8_t *raw, size_t len)
{
    (void)ctx;
    if (g_ntaps == 32)
        return;
    g_taps[g_ntaps].iface = iface_id;
    g_taps[g_ntaps].outbound = outbound;
    memset(&g_taps[g_ntaps].raw, 0, sizeof(ml_buf));
    assert_int_equal(ml_buf_append(&g_taps[g_ntaps].raw, raw, len), 0);
    g_ntaps++;
}

static void taps_clear(void)
{
    for (size_t i = 0; i < g_ntaps; i++)
        ml_buf_free(&g_taps[i].raw);
    g_ntaps = 0;
}

/* The tap sees each frame as the wire carries it: IFAC on, in both
 * directions, including frames the core then drops. */
static void test_frame_tap(void **state)
{
    mn_node a, b;
    rns_ifac *ia = NULL, *ib = NULL;
    ml_buf out = ML_BUF_INIT;
    int ifc;
    (void)state;

    assert_int_equal(rns_ifac_new(&ia, "net", "pw", 8), 0);
    assert_int_equal(rns_ifac_new(&ib, "net", "pw", 8), 0);
    mn_init(&a, g_seed + 1, 0, ia);
    mn_init(&b, g_seed + 2, 0, ib);
    node_register(&a, RNS_PROVE_NONE);
    rns_transport_set_frame_tap(a.t, tap, NULL);
    rns_transport_set_frame_tap(b.t, tap, NULL);
    assert_int_equal(rns_transport_announce(a.t, a.dest, 1.0), 0);
    assert_int_equal(g_ntaps, 1);
    assert_int_equal(g_taps[0].outbound, 1);
    assert_int_equal(g_taps[0].iface, a.ifc);
    assert_true(g_taps[0].raw.p[0] & RNS_IFAC_FLAG);    /* IFAC applied */
    assert_int_equal(rns_transport_pop_output(a.t, &ifc, &out), 1);
    assert_int_equal(out.len, g_taps[0].raw.len);
    assert_memory_equal(out.p, g_taps[0].raw.p, out.len);
    assert_int_equal(rns_transport_inbound(b.t, b.ifc, out.p, out.len, 1.0), 0);
    assert_int_equal(g_ntaps, 2);
    assert_int_equal(g_taps[1].outbound, 0);
    assert_int_equal(g_taps[1].iface, b.ifc);
    assert_memory_equal(g_taps[1].raw.p, out.p, out.len);
    assert_true(rns_transport_has_path(b.t, a.dest, 1.0, NULL));
    /* a dropped frame (too short for its access code) is still seen */
    assert_int_equal(rns_transport_inbound(b.t, b.ifc, out.p, 2, 1.0), 0);
    assert_int_equal(g_ntaps, 3);
    assert_int_equal(g_taps[2].raw.len, 2);
    /* removed: nothing more is seen */
    rns_transport_set_frame_tap(b.t, NULL, NULL);
    assert_int_equal(rns_transport_inbound(b.t, b.ifc, out.p, out.len, 1.0), 0);
    assert_int_equal(g_ntaps, 3);
    taps_clear();
    ml_buf_free(&out);
    mn_drain_events(&b);
    mn_free(&a);
    mn_free(&b);
}

/* A raw frame goes out byte for byte (plus the interface's access code) and
 * is judged by the receiver like any other. */
static void test_send_raw(void **state)
{
    mn_node a, b;
    ml_buf ann = ML_BUF_INIT, out = ML_BUF_INIT;
    int ifc;
    (void)state;

    mn_init(&a, g_seed + 3, 0, NULL);
    mn_init(&b, g_seed + 4, 0, NULL);
    node_register(&a, RNS_PROVE_NONE);
    assert_int_equal(rns_transport_announce(a.t, a.dest, 1.0), 0);
    assert_int_equal(rns_transport_pop_output(a.t, &ifc, &ann), 1);
    assert_int_equal(rns_transport_send_raw(a.t, a.ifc, ann.p, ann.len), 0);
    assert_int_equal(rns_transport_pop_output(a.t, &ifc, &out), 1);
    assert_int_equal(ifc, a.ifc);
    assert_int_equal(out.len, ann.len);
    assert_memory_equal(out.p, ann.p, ann.len);
    assert_int_equal(rns_transport_inbound(b.t, b.ifc, out.p, out.len, 1.0), 0);
    assert_true(rns_transport_has_path(b.t, a.dest, 1.0, NULL));
    /* broadcast form, and bad input */
    assert_int_equal(rns_transport_send_raw(a.t, -1, ann.p, ann.len), 0);
    assert_int_equal(rns_transport_pop_output(a.t, &ifc, &out), 1);
    assert_int_equal(rns_transport_send_raw(a.t, 99, ann.p, ann.len), ML_ENOTFOUND);
    assert_int_equal(rns_transport_send_raw(a.t, a.ifc, ann.p, 1), ML_EINVAL);
    assert_int_equal(rns_transport_send_raw(a.t, a.ifc, NULL, 0), ML_EINVAL);
    assert_int_equal(rns_transport_pop_output(a.t, &ifc, &out), 0);
    ml_buf_free(&ann);
    ml_buf_free(&out);
    mn_drain_events(&b);
    mn_free(&a);
    mn_free(&b);
}

/* ---- proof strategies ------------------------------------------------------------------- */

static int g_app_calls;

/* PROVE_APP decision of the tests: prove what starts with 0x01. */
static int approve(void *ctx, const uint8_t dest[RNS_HASHLEN], const uint8_t *data, size_t len)
{
    const uint8_t *want = ctx;
    g_app_calls++;
    assert_memory_equal(dest, want, RNS_HASHLEN);
    return len > 0 && data[0] == 0x01;
}

/* Sends one single packet b -> a; returns 1 when a proved it (and checks
 * the proof packet the event carries), 0 when not. */
static int single_proved(mn_node *a, mn_node *b, const char *payload, double now, size_t *proof_len)
{
    uint8_t hash[RNS_FULL_HASHLEN];
    rns_tev ev;
    rns_packet p;
    int proved;

    assert_int_equal(rns_transport_send(b->t, a->dest, (const uint8_t *)payload,
                                        strlen(payload), now, hash), 0);
    mn_move(a, b, now + 0.25);
    mn_drain_events(a);
    if (!(proved = take_event(b, RNS_TEV_PROOF, -1, &ev)))
        return 0;
    assert_memory_equal(ev.packet_hash, hash, RNS_FULL_HASHLEN);
    assert_int_equal(rns_packet_unpack(&p, ev.data.p, ev.data.len), 0);
    assert_int_equal(p.packet_type, RNS_PACKET_PROOF);
    assert_int_equal(p.header_type, RNS_HEADER_1);
    assert_int_equal(p.context, RNS_CTX_NONE);
    assert_int_equal(p.hops, 0);                  /* as received, before counting */
    assert_memory_equal(p.dest_hash, hash, RNS_HASHLEN);
    assert_int_equal(rns_proof_validate(p.data, p.data_len, hash, a->id), 0);
    *proof_len = p.data_len;
    rns_tev_clear(&ev);
    return proved;
}

static void test_proof_strategy_single(void **state)
{
    mn_node a, b;
    size_t len = 0;
    uint8_t nowhere[RNS_HASHLEN] = {0};
    (void)state;

    mn_init(&a, g_seed + 5, 0, NULL);
    mn_init(&b, g_seed + 6, 0, NULL);
    node_register(&a, RNS_PROVE_NONE);
    assert_int_equal(rns_transport_proof_strategy(a.t, a.dest), RNS_PROVE_NONE);
    assert_int_equal(rns_transport_proof_strategy(a.t, nowhere), -1);
    rns_transport_announce(a.t, a.dest, 1.0);
    mn_move(&a, &b, 1.0);
    mn_drain_events(&b);
    assert_false(single_proved(&a, &b, "none", 2.0, &len));
    assert_int_equal(rns_transport_set_proof_strategy(a.t, a.dest, RNS_PROVE_ALL, NULL, NULL), 0);
    assert_int_equal(rns_transport_proof_strategy(a.t, a.dest), RNS_PROVE_ALL);
    assert_true(single_proved(&a, &b, "all", 3.0, &len));
    assert_int_equal(len, RNS_PROOF_IMPLICIT_LEN);
    rns_transport_set_implicit_proofs(a.t, 0);
    assert_false(rns_transport_implicit_proofs(a.t));
    assert_true(single_proved(&a, &b, "all, explicit", 4.0, &len));
    assert_int_equal(len, RNS_PROOF_EXPLICIT_LEN);
    rns_transport_set_implicit_proofs(a.t, 1);
    /* PROVE_APP: the application decides per packet */
    g_app_calls = 0;
    assert_int_equal(rns_transport_set_proof_strategy(a.t, a.dest, RNS_PROVE_APP, approve, a.dest),
                     0);
    assert_true(single_proved(&a, &b, "\x01yes", 5.0, &len));
    assert_false(single_proved(&a, &b, "\x02no", 6.0, &len));
    assert_int_equal(g_app_calls, 2);
    /* PROVE_APP without a callback proves nothing */
    assert_int_equal(rns_transport_set_proof_strategy(a.t, a.dest, RNS_PROVE_APP, NULL, NULL), 0);
    assert_false(single_proved(&a, &b, "\x01", 7.0, &len));
    assert_int_equal(rns_transport_set_proof_strategy(a.t, nowhere, RNS_PROVE_ALL, NULL, NULL),
                     ML_ENOTFOUND);
    assert_int_equal(rns_transport_set_proof_strategy(a.t, a.dest, (enum rns_proof_strategy)7,
                                                      NULL, NULL), ML_EINVAL);
    mn_free(&a);
    mn_free(&b);
}

/* Link data sent b -> a over link id; 1 when a proved it. */
static int link_proved(mn_node *a, mn_node *b, const uint8_t id[RNS_HASHLEN], const char *payload,
                       double now)
{
    uint8_t hash[RNS_FULL_HASHLEN];
    rns_link *l = rns_transport_link(b->t, id);
    rns_tev ev;
    int proved;

    assert_non_null(l);
    assert_int_equal(rns_link_send(l, RNS_CTX_NONE, (const uint8_t *)payload, strlen(payload),
                                   now, hash), 0);
    assert_int_equal(rns_transport_flush(b->t, now), 0);
    mn_move(a, b, now);
    mn_drain_events(a);
    if ((proved = take_event(b, RNS_TEV_LINK, RNS_LINK_EV_PROOF, &ev))) {
        assert_memory_equal(ev.link_ev.id, hash, RNS_FULL_HASHLEN);
        rns_tev_clear(&ev);
    }
    return proved;
}

/* A change of strategy reaches links that are already open. */
static void test_proof_strategy_links(void **state)
{
    mn_node a, b;
    uint8_t id[RNS_HASHLEN];
    (void)state;

    mn_init(&a, g_seed + 7, 0, NULL);
    mn_init(&b, g_seed + 8, 0, NULL);
    node_register(&a, RNS_PROVE_NONE);
    rns_transport_announce(a.t, a.dest, 1.0);
    mn_move(&a, &b, 1.0);
    assert_int_equal(rns_transport_link_open(b.t, a.dest, 2.0, id), 0);
    mn_move(&a, &b, 2.0);
    mn_drain_events(&a);
    mn_drain_events(&b);
    assert_int_equal(rns_link_state(rns_transport_link(b.t, id)), RNS_LINK_ACTIVE);
    assert_false(link_proved(&a, &b, id, "none", 3.0));
    assert_int_equal(rns_transport_set_proof_strategy(a.t, a.dest, RNS_PROVE_ALL, NULL, NULL), 0);
    assert_true(link_proved(&a, &b, id, "all", 4.0));
    g_app_calls = 0;
    assert_int_equal(rns_transport_set_proof_strategy(a.t, a.dest, RNS_PROVE_APP, approve, a.dest),
                     0);
    assert_true(link_proved(&a, &b, id, "\x01yes", 5.0));
    assert_false(link_proved(&a, &b, id, "\x02no", 6.0));
    assert_int_equal(g_app_calls, 2);
    assert_int_equal(rns_transport_set_proof_strategy(a.t, a.dest, RNS_PROVE_NONE, NULL, NULL), 0);
    assert_false(link_proved(&a, &b, id, "\x01", 7.0));
    /* a link opened under PROVE_APP asks too */
    assert_int_equal(rns_transport_set_proof_strategy(a.t, a.dest, RNS_PROVE_APP, approve, a.dest),
                     0);
    assert_int_equal(rns_transport_link_open(b.t, a.dest, 8.0, id), 0);
    mn_move(&a, &b, 8.0);
    mn_drain_events(&a);
    mn_drain_events(&b);
    assert_true(link_proved(&a, &b, id, "\x01" "again", 9.0));
    mn_free(&a);
    mn_free(&b);
}

/* ---- receipts ------------------------------------------------------------------------------ */

static int send_kind(mn_node *b, const uint8_t *dest, const uint8_t *pub, uint8_t type,
                     uint8_t dest_type, uint8_t context, double now)
{
    rns_packet p;
    int receipt = -1;
    uint8_t hash[RNS_FULL_HASHLEN];

    memset(&p, 0, sizeof p);
    p.packet_type = type;
    p.dest_type = dest_type;
    p.context = context;
    memcpy(p.dest_hash, dest, RNS_HASHLEN);
    p.data = (const uint8_t *)"twelve bytes";
    p.data_len = 12;
    assert_int_equal(rns_transport_send_packet(b->t, &p, pub, 1, now, hash, &receipt), 0);
    assert_int_equal(receipt == 1, rns_transport_receipt(b->t, hash, NULL) == 0);
    return receipt;
}

/* The reference's receipt gate: only DATA, not PLAIN, not link-control or
 * resource contexts, and only when the destination's key is known. */
static void test_receipt_gate(void **state)
{
    mn_node a, b;
    ml_buf out = ML_BUF_INIT;
    const uint8_t *pub;
    uint8_t stranger[RNS_HASHLEN];
    int ifc;
    (void)state;

    mn_init(&a, g_seed + 9, 0, NULL);
    mn_init(&b, g_seed + 10, 0, NULL);
    node_register(&a, RNS_PROVE_NONE);
    rns_transport_announce(a.t, a.dest, 1.0);
    mn_move(&a, &b, 1.0);
    mn_drain_events(&b);
    pub = rns_identity_public_key(a.id);
    assert_int_equal(send_kind(&b, a.dest, NULL, RNS_PACKET_DATA, RNS_DEST_SINGLE,
                               RNS_CTX_NONE, 2.0), 1);
    assert_int_equal(send_kind(&b, a.dest, pub, RNS_PACKET_DATA, RNS_DEST_PLAIN,
                               RNS_CTX_NONE, 2.0), 0);
    assert_int_equal(send_kind(&b, a.dest, pub, RNS_PACKET_DATA, RNS_DEST_SINGLE,
                               RNS_CTX_KEEPALIVE, 2.0), 0);
    assert_int_equal(send_kind(&b, a.dest, pub, RNS_PACKET_DATA, RNS_DEST_SINGLE,
                               RNS_CTX_LRRTT, 2.0), 0);
    assert_int_equal(send_kind(&b, a.dest, pub, RNS_PACKET_DATA, RNS_DEST_SINGLE,
                               RNS_CTX_RESOURCE, 2.0), 0);
    assert_int_equal(send_kind(&b, a.dest, pub, RNS_PACKET_DATA, RNS_DEST_SINGLE,
                               RNS_CTX_RESOURCE_RCL, 2.0), 0);
    assert_int_equal(send_kind(&b, a.dest, pub, RNS_PACKET_DATA, RNS_DEST_SINGLE,
                               RNS_CTX_REQUEST, 2.0), 1);
    assert_int_equal(send_kind(&b, a.dest, pub, RNS_PACKET_ANNOUNCE, RNS_DEST_SINGLE,
                               RNS_CTX_NONE, 2.0), 0);
    assert_int_equal(send_kind(&b, a.dest, pub, RNS_PACKET_LINKREQUEST, RNS_DEST_SINGLE,
                               RNS_CTX_NONE, 2.0), 0);
    assert_int_equal(send_kind(&b, a.dest, pub, RNS_PACKET_PROOF, RNS_DEST_SINGLE,
                               RNS_CTX_NONE, 2.0), 0);
    /* no key known and none given: no receipt, but the packet still goes */
    memset(stranger, 0x5a, sizeof stranger);
    assert_int_equal(send_kind(&b, stranger, NULL, RNS_PACKET_DATA, RNS_DEST_SINGLE,
                               RNS_CTX_NONE, 2.0), 0);
    for (int i = 0; i < 11; i++)
        assert_int_equal(rns_transport_pop_output(b.t, &ifc, &out), 1);
    assert_int_equal(rns_transport_pop_output(b.t, &ifc, &out), 0);
    ml_buf_free(&out);
    mn_free(&a);
    mn_free(&b);
}

/* Receipt timeouts as the reference computes them, and FAILED vs CULLED. */
static void test_receipt_timeouts(void **state)
{
    mn_node a, b;
    uint8_t h1[RNS_FULL_HASHLEN], h2[RNS_FULL_HASHLEN], h3[RNS_FULL_HASHLEN];
    uint8_t stranger[RNS_HASHLEN];
    rns_receipt_info ri;
    rns_packet p;
    rns_tev ev;
    (void)state;

    mn_init(&a, g_seed + 11, 0, NULL);
    mn_init(&b, g_seed + 12, 0, NULL);
    node_register(&a, RNS_PROVE_NONE);
    rns_transport_announce(a.t, a.dest, 1.0);
    mn_move(&a, &b, 1.0);
    mn_drain_events(&b);
    /* one hop known: first hop + one hop */
    assert_int_equal(rns_transport_send(b.t, a.dest, (const uint8_t *)"x", 1, 10.0, h1), 0);
    assert_int_equal(rns_transport_receipt(b.t, h1, &ri), 0);
    assert_memory_equal(ri.dest, a.dest, RNS_HASHLEN);
    assert_int_equal(ri.hops, 1);
    assert_true(ri.sent == 10.0 && ri.timeout == 12.0 && ri.first_hop_timeout == 6.0);
    /* no path: RNS_PATHFINDER_M hops */
    memset(stranger, 0x33, sizeof stranger);
    memset(&p, 0, sizeof p);
    memcpy(p.dest_hash, stranger, RNS_HASHLEN);
    p.data = (const uint8_t *)"y";
    p.data_len = 1;
    assert_int_equal(rns_transport_send_packet(b.t, &p, rns_identity_public_key(a.id), 1, 10.0,
                                               h2, NULL), 0);
    assert_int_equal(rns_transport_receipt(b.t, h2, &ri), 0);
    assert_int_equal(ri.hops, RNS_PATHFINDER_M);
    assert_true(ri.timeout == 6.0 + 6.0 * 128);
    assert_int_equal(rns_transport_send(b.t, a.dest, (const uint8_t *)"z", 1, 10.0, h3), 0);
    /* forced: 0 fails at once, < 0 culls; the third waits its 12 s */
    assert_int_equal(rns_transport_receipt_set_timeout(b.t, h1, 0), 0);
    assert_int_equal(rns_transport_receipt_set_timeout(b.t, h2, -1), 0);
    assert_true(rns_transport_deadline(b.t) <= 10.0);
    assert_int_equal(rns_transport_tick(b.t, 10.5), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(rns_transport_pop_event(b.t, &ev), 1);
        assert_int_equal(ev.type, RNS_TEV_RECEIPT_TIMEOUT);
        if (!memcmp(ev.packet_hash, h1, sizeof h1))
            assert_false(ev.culled);
        else
            assert_true(!memcmp(ev.packet_hash, h2, sizeof h2) && ev.culled);
        rns_tev_clear(&ev);
    }
    assert_int_equal(rns_transport_pop_event(b.t, &ev), 0);
    assert_int_equal(rns_transport_receipt(b.t, h1, NULL), ML_ENOTFOUND);
    assert_int_equal(rns_transport_receipt_set_timeout(b.t, h1, 5), ML_ENOTFOUND);
    assert_true(rns_transport_deadline(b.t) == 22.0);
    assert_int_equal(rns_transport_tick(b.t, 22.0), 0);
    assert_int_equal(rns_transport_pop_event(b.t, &ev), 1);
    assert_memory_equal(ev.packet_hash, h3, sizeof h3);
    rns_tev_clear(&ev);
    mn_free(&a);
    mn_free(&b);
}

/* ---- known destinations ------------------------------------------------------------------- */

/* The table survives save -> clear -> load; old 4-element records and odd
 * keys are handled as the reference does; damage is refused. */
static void test_known_save_load(void **state)
{
    mn_node a, b;
    ml_buf file = ML_BUF_INIT, rec = ML_BUF_INIT, old = ML_BUF_INIT;
    const uint8_t *app;
    uint8_t pub[RNS_KEYSIZE], h[RNS_FULL_HASHLEN];
    size_t app_len, n;
    rns_mp_reader r;
    uint32_t elems;
    rns_dest_params dp;
    (void)state;

    mn_init(&a, g_seed + 13, 0, NULL);
    mn_init(&b, g_seed + 14, 0, NULL);
    memset(&dp, 0, sizeof dp);
    dp.identity = a.id, dp.app_name = "meshlogtest", dp.aspects = g_aspects, dp.n_aspects = 1;
    dp.app_data = (const uint8_t *)"app", dp.app_data_len = 3;
    assert_int_equal(rns_transport_register(a.t, &dp, a.dest), 0);
    rns_transport_announce(a.t, a.dest, 100.0);
    mn_move(&a, &b, 100.0);
    mn_drain_events(&b);
    assert_int_equal(rns_transport_known_record(b.t, a.dest, &rec), 0);
    rns_mp_reader_init(&r, rec.p, rec.len);
    assert_int_equal(rns_mp_get_array(&r, &elems), 0);
    assert_int_equal(elems, 5);
    assert_int_equal(rns_transport_known_save(b.t, &file), 0);
    rns_transport_known_clear(b.t);
    assert_int_equal(rns_transport_recall(b.t, a.dest, NULL, NULL, NULL), ML_ENOTFOUND);
    assert_false(rns_transport_has_path(b.t, a.dest, 100.0, NULL));
    assert_int_equal(rns_transport_known_load(b.t, file.p, file.len, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(rns_transport_recall(b.t, a.dest, pub, &app, &app_len), 0);
    assert_memory_equal(pub, rns_identity_public_key(a.id), RNS_KEYSIZE);
    assert_int_equal(app_len, 3);
    assert_memory_equal(app, "app", 3);
    assert_false(rns_transport_has_path(b.t, a.dest, 100.0, NULL));   /* paths are not stored */
    /* a recalled identity is enough to send */
    assert_int_equal(rns_transport_send(b.t, a.dest, (const uint8_t *)"x", 1, 101.0, h), 0);
    /* an older file: 4 elements, a 15-byte key skipped, app data nil */
    rns_transport_known_clear(b.t);
    assert_int_equal(rns_mp_put_map(&old, 2), 0);
    assert_int_equal(rns_mp_put_bin(&old, "fifteen bytes!!", 15), 0);
    assert_int_equal(rns_mp_put_nil(&old), 0);
    assert_int_equal(rns_mp_put_bin(&old, a.dest, RNS_HASHLEN), 0);
    assert_int_equal(rns_mp_put_array(&old, 4), 0);
    assert_int_equal(rns_mp_put_uint(&old, 1700000000), 0);
    assert_int_equal(rns_mp_put_bin(&old, h, sizeof h), 0);
    assert_int_equal(rns_mp_put_bin(&old, rns_identity_public_key(a.id), RNS_KEYSIZE), 0);
    assert_int_equal(rns_mp_put_nil(&old), 0);
    assert_int_equal(rns_transport_known_load(b.t, old.p, old.len, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(rns_transport_recall(b.t, a.dest, NULL, &app, &app_len), 0);
    assert_null(app);
    /* damage: cut anywhere, or a short key in a record */
    for (size_t cut = 0; cut < file.len; cut += 7)
        assert_int_equal(rns_transport_known_load(b.t, file.p, cut, NULL), ML_EMALFORMED);
    old.p[old.len - 1 - RNS_KEYSIZE - 2] ^= 0xff;          /* not a bin header any more */
    assert_int_equal(rns_transport_known_load(b.t, old.p, old.len, NULL), ML_EMALFORMED);
    assert_int_equal(rns_transport_known_load(b.t, NULL, 5, NULL), ML_EINVAL);
    ml_buf_free(&file);
    ml_buf_free(&rec);
    ml_buf_free(&old);
    mn_drain_events(&b);
    mn_free(&a);
    mn_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_tap),
        cmocka_unit_test(test_send_raw),
        cmocka_unit_test(test_proof_strategy_single),
        cmocka_unit_test(test_proof_strategy_links),
        cmocka_unit_test(test_receipt_gate),
        cmocka_unit_test(test_receipt_timeouts),
        cmocka_unit_test(test_known_save_load),
    };
    g_seed = tu_seed();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
