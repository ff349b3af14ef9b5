// SPDX-License-Identifier: MIT
// The transport core's observation and test hooks: the frame tap (every
// frame in and out), raw frames queued as they are, and what the core keeps
// about proofs and receipts. Two cores back to back in memory with a virtual
// clock; randomness is a seeded PRNG (the seed is printed).
#include "rns_testutil.h"

#include "meshlog/crypto.h"
#include "meshlog/rns_ifac.h"
#include "meshlog/rns_packet.h"
#include "meshlog/rns_proof.h"
#include "meshlog/rns_transport.h"

static uint64_t g_seed;

static int rng(void *ctx, void *out, size_t len)
{
    uint64_t *s = ctx;
    uint8_t *o = out;
    for (size_t i = 0; i < len; i++)
        o[i] = (uint8_t)(tu_rand(s) >> 56);
    return 0;
}

typedef struct node {
    rns_transport *t;
    uint64_t rs;
    int ifc;
    rns_identity *id;
    uint8_t dest[RNS_HASHLEN];
} node;

static const char *const g_aspects[] = {"hooks"};

static void node_init(node *n, uint64_t seed, rns_ifac *ifac)
{
    rns_transport_config cfg = {rng, &n->rs, NULL, NULL};
    rns_iface_props ip = {"mem", 500, 0, 0, ifac};
    uint8_t priv[64];

    memset(n, 0, sizeof *n);
    n->rs = seed;
    assert_int_equal(rns_transport_new(&n->t, &cfg), 0);
    assert_int_equal(rns_transport_add_iface(n->t, &ip, &n->ifc), 0);
    rng(&n->rs, priv, sizeof priv);
    assert_int_equal(rns_identity_from_private(&n->id, priv), 0);
}

static void node_register(node *n, enum rns_proof_strategy proof)
{
    rns_dest_params dp = {n->id, "meshlogtest", g_aspects, 1, proof, 1, NULL, 0};
    assert_int_equal(rns_transport_register(n->t, &dp, n->dest), 0);
}

static void drain_events(node *n)
{
    rns_tev ev;
    while (rns_transport_pop_event(n->t, &ev) == 1)
        rns_tev_clear(&ev);
}

static void node_free(node *n)
{
    rns_transport_free(n->t);
    rns_identity_free(n->id);
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
    node a, b;
    rns_ifac *ia = NULL, *ib = NULL;
    ml_buf out = ML_BUF_INIT;
    int ifc;
    (void)state;

    assert_int_equal(rns_ifac_new(&ia, "net", "pw", 8), 0);
    assert_int_equal(rns_ifac_new(&ib, "net", "pw", 8), 0);
    node_init(&a, g_seed + 1, ia);
    node_init(&b, g_seed + 2, ib);
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
    drain_events(&b);
    node_free(&a);
    node_free(&b);
}

/* A raw frame goes out byte for byte (plus the interface's access code) and
 * is judged by the receiver like any other. */
static void test_send_raw(void **state)
{
    node a, b;
    ml_buf ann = ML_BUF_INIT, out = ML_BUF_INIT;
    int ifc;
    (void)state;

    node_init(&a, g_seed + 3, NULL);
    node_init(&b, g_seed + 4, NULL);
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
    drain_events(&b);
    node_free(&a);
    node_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_tap),
        cmocka_unit_test(test_send_raw),
    };
    g_seed = tu_seed();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
