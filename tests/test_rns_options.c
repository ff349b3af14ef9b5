// SPDX-License-Identifier: MIT
// Instance and interface options and their effects: an interface's bitrate
// (first-hop timeout of paths over it; the HW_MTU a TCP interface
// autoconfigures), use_implicit_proof (the proof form sent), respond_to_probes
// (a probe destination that proves everything). Two cores back to back in
// memory with a seeded PRNG, and a node for the node-level options.
#include "rns_memnet.h"

#include "meshlog/crypto.h"
#include "meshlog/rns_config.h"
#include "meshlog/rns_destination.h"
#include "meshlog/rns_msgpack.h"
#include "meshlog/rns_node.h"
#include "meshlog/rns_proof.h"
#include "meshlog/rns_transport.h"

static void core_init(mn_node *n, uint64_t seed, enum rns_proof_strategy proof)
{
    mn_init(n, seed, 0, NULL);
    mn_register(n, "meshlogtest", "options", proof, 1, NULL);
}

/* Moves everything a has queued into b; returns the last frame's length. */
static size_t pass(mn_node *a, mn_node *b, double now)
{
    size_t last = 0;
    mn_pass(a, b, 1, now, &last);
    mn_drain_events(b);
    return last;
}

static void test_first_hop_timeout(void **state)
{
    (void)state;
    mn_node a, b;

    core_init(&a, 11, RNS_PROVE_ALL);
    core_init(&b, 12, RNS_PROVE_NONE);
    /* no path: the bare per-hop timeout */
    assert_true(rns_transport_first_hop_timeout(b.t, a.dest, 1.0) == RNS_DEFAULT_PER_HOP_TIMEOUT);
    assert_int_equal(rns_transport_announce(a.t, a.dest, 1.0), 0);
    pass(&a, &b, 1.0);
    assert_true(rns_transport_has_path(b.t, a.dest, 1.0, NULL));
    /* a path over an interface of unknown bitrate adds nothing */
    assert_true(rns_transport_first_hop_timeout(b.t, a.dest, 1.0) == RNS_DEFAULT_PER_HOP_TIMEOUT);
    /* at 1000 bit/s an MTU takes 4 s more */
    assert_int_equal(rns_transport_iface_set_bitrate(b.t, b.ifc, 1000), 0);
    assert_true(rns_transport_first_hop_timeout(b.t, a.dest, 1.0) == 4.0 + RNS_DEFAULT_PER_HOP_TIMEOUT);
    assert_int_equal(rns_transport_iface_set_bitrate(b.t, 999, 1000), ML_ENOTFOUND);
    mn_free(&a);
    mn_free(&b);
}

static size_t proof_len(int implicit)
{
    mn_node a, b;
    uint8_t hash[RNS_FULL_HASHLEN];
    size_t len;
    enum rns_proof_strategy ps;
    int links;

    core_init(&a, 21, RNS_PROVE_ALL);
    core_init(&b, 22, RNS_PROVE_NONE);
    assert_int_equal(rns_transport_local_dest(a.t, a.dest, &ps, &links), 0);
    assert_int_equal(ps, RNS_PROVE_ALL);
    assert_int_equal(links, 1);
    assert_int_equal(rns_transport_local_dest(a.t, b.dest, NULL, NULL), ML_ENOTFOUND);
    assert_int_equal(rns_transport_implicit_proofs(a.t), 1);
    rns_transport_set_implicit_proofs(a.t, implicit);
    assert_int_equal(rns_transport_implicit_proofs(a.t), implicit);
    assert_int_equal(rns_transport_announce(a.t, a.dest, 1.0), 0);
    pass(&a, &b, 1.0);
    assert_int_equal(rns_transport_send(b.t, a.dest, (const uint8_t *)"hi", 2, 1.0, hash), 0);
    pass(&b, &a, 1.0);
    len = pass(&a, &b, 1.0);   /* the proof */
    mn_free(&a);
    mn_free(&b);
    return len;
}

static void test_implicit_proof(void **state)
{
    (void)state;
    size_t implicit = proof_len(1), explicit_ = proof_len(0);
    assert_int_equal(explicit_ - implicit, RNS_PROOF_EXPLICIT_LEN - RNS_PROOF_IMPLICIT_LEN);
}

static void test_node_options(void **state)
{
    (void)state;
    static const char *const aspects[] = {"probe"};
    rns_node *n;
    rns_iface_opts slow = {.bitrate = 1000}, below = {.bitrate = 4};
    uint16_t port;
    uint8_t probe[RNS_HASHLEN], want[RNS_HASHLEN];
    enum rns_proof_strategy ps;
    int links;

    assert_int_equal(rns_node_new(&n, NULL), 0);
    assert_non_null(rns_node_identity(n));
    assert_int_equal(rns_node_bitrate(n, -1), 0);
    assert_int_equal(rns_node_add_tcp_server(n, "127.0.0.1", 0, &below, &port), 0);
    /* below the minimum: the TCP guess */
    assert_int_equal(rns_node_bitrate(n, -1), rns_iface_class_find("TCPServerInterface")->bitrate_guess);
    rns_node_free(n);

    assert_int_equal(rns_node_new(&n, NULL), 0);
    assert_int_equal(rns_node_add_tcp_server(n, "127.0.0.1", 0, &slow, &port), 0);
    assert_int_equal(rns_node_bitrate(n, -1), 1000);
    assert_int_equal(rns_node_bitrate(n, 42), 0);

    assert_int_equal(rns_node_probe_destination(n, probe), 0);
    assert_int_equal(rns_node_respond_to_probes(n), 0);
    assert_int_equal(rns_node_respond_to_probes(n), 0);   /* idempotent */
    assert_int_equal(rns_node_probe_destination(n, probe), 1);
    assert_int_equal(rns_destination_hash_for(want, NULL, RNS_DEST_SINGLE, "rnstransport", aspects, 1,
                                              rns_node_identity(n)),
                     0);
    assert_memory_equal(probe, want, RNS_HASHLEN);
    assert_int_equal(rns_transport_local_dest(rns_node_transport(n), probe, &ps, &links), 0);
    assert_int_equal(ps, RNS_PROVE_ALL);
    assert_int_equal(links, 0);
    rns_node_free(n);
}

/* ---- remote management over a real link -------------------------------------------- */

typedef struct mpeer {
    rns_node *node;
    int seen, established, responses;
    uint8_t link_id[RNS_HASHLEN];
    ml_buf last;
} mpeer;

static uint8_t g_rm[RNS_HASHLEN];

static void m_event(void *ctx, rns_node *n, const rns_tev *ev)
{
    mpeer *p = ctx;
    (void)n;
    if (ev->type == RNS_TEV_ANNOUNCE && !memcmp(ev->dest, g_rm, RNS_HASHLEN))
        p->seen = 1;
    if (ev->type == RNS_TEV_LINK && ev->link_ev.type == RNS_LINK_EV_ESTABLISHED) {
        memcpy(p->link_id, ev->link_id, RNS_HASHLEN);
        p->established = 1;
    }
    if (ev->type == RNS_TEV_LINK && ev->link_ev.type == RNS_LINK_EV_RESPONSE) {
        p->responses++;
        ml_buf_reset(&p->last);
        assert_int_equal(ml_buf_append(&p->last, ev->link_ev.data.p, ev->link_ev.data.len), 0);
    }
}

static void m_wake(uv_timer_t *h) { (void)h; }

static void run_for(uv_loop_t *loop, int *flag, double secs)
{
    double end = rns_node_now() + secs;
    uv_timer_t wake;
    uv_timer_init(loop, &wake);
    uv_timer_start(&wake, m_wake, 10, 10);
    while (!(flag && *flag) && rns_node_now() < end)
        uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&wake, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
}

static void request(mpeer *b, mpeer *a, rns_link *l, const char *path, int with_links)
{
    ml_buf mp = ML_BUF_INIT;
    assert_int_equal(rns_mp_put_array(&mp, 1), 0);
    if (!strcmp(path, "/path"))
        assert_int_equal(rns_mp_put_cstr(&mp, "table"), 0);
    else
        assert_int_equal(rns_mp_put_bool(&mp, with_links), 0);
    assert_int_equal(rns_link_request(l, path, mp.p, mp.len, rns_node_now(), NULL), 0);
    rns_node_kick(b->node);
    rns_node_kick(a->node);
    ml_buf_free(&mp);
}

/* rpc_key: SHA-256 of the transport private key unless configured;
 * blackhole / interface discovery sources kept deduplicated. */
static void test_rpc_key_and_sources(void **state)
{
    (void)state;
    rns_node *n;
    uint8_t key[RNS_NODE_RPC_KEY_MAX], priv[RNS_KEYSIZE], want[32], custom[RNS_NODE_RPC_KEY_MAX];
    uint8_t hs[3][RNS_HASHLEN], many[RNS_NODE_MAX_SOURCES + 1][RNS_HASHLEN];
    const uint8_t *got;
    size_t len, cnt;

    assert_int_equal(rns_node_new(&n, NULL), 0);
    assert_int_equal(rns_identity_private_key(rns_node_identity(n), priv), 0);
    ml_sha256(want, priv, sizeof priv);
    assert_int_equal(rns_node_rpc_key(n, key), 32);
    assert_memory_equal(key, want, 32);
    assert_memory_not_equal(key, priv, 32);
    /* a configured key is used as it is, any length up to the limit */
    assert_int_equal(rns_cfg_rpc_key("00A1ff", custom, sizeof custom, &len), 0);
    assert_int_equal(len, 3);
    assert_int_equal(rns_node_set_rpc_key(n, custom, len), 0);
    assert_int_equal(rns_node_rpc_key(n, key), 3);
    assert_memory_equal(key, "\x00\xa1\xff", 3);
    assert_int_equal(rns_node_set_rpc_key(n, custom, RNS_NODE_RPC_KEY_MAX + 1), ML_EINVAL);
    assert_int_equal(rns_node_set_rpc_key(n, NULL, 0), 0);   /* back to the default */
    assert_int_equal(rns_node_rpc_key(n, key), 32);
    assert_memory_equal(key, want, 32);
    /* what the reference's bytes.fromhex refuses */
    assert_int_equal(rns_cfg_rpc_key("nothexkey00zz", custom, sizeof custom, &len), ML_EMALFORMED);
    assert_int_equal(rns_cfg_rpc_key("abc", custom, sizeof custom, &len), ML_EMALFORMED);
    assert_int_equal(rns_cfg_rpc_key("", custom, sizeof custom, &len), ML_EMALFORMED);
    assert_int_equal(rns_cfg_rpc_key("00112233", custom, 3, &len), ML_ETOOBIG);

    assert_null(rns_node_blackhole_sources(n, &cnt));
    assert_int_equal(cnt, 0);
    memset(hs, 0x11, sizeof hs);
    hs[1][0] = 0x22;
    assert_int_equal(rns_node_set_blackhole_sources(n, hs[0], 3), 0);
    got = rns_node_blackhole_sources(n, &cnt);
    assert_int_equal(cnt, 2);   /* hs[0] == hs[2] is kept once */
    assert_memory_equal(got, hs[0], RNS_HASHLEN);
    assert_memory_equal(got + RNS_HASHLEN, hs[1], RNS_HASHLEN);
    assert_int_equal(rns_node_set_interface_discovery_sources(n, hs[1], 1), 0);
    got = rns_node_interface_discovery_sources(n, &cnt);
    assert_int_equal(cnt, 1);
    assert_memory_equal(got, hs[1], RNS_HASHLEN);
    for (size_t i = 0; i < RNS_NODE_MAX_SOURCES + 1; i++) {
        memset(many[i], 0, RNS_HASHLEN);
        many[i][0] = (uint8_t)i;
    }
    assert_int_equal(rns_node_set_blackhole_sources(n, many[0], RNS_NODE_MAX_SOURCES + 1), ML_ETOOBIG);
    assert_int_equal(rns_node_set_blackhole_sources(n, many[0], RNS_NODE_MAX_SOURCES), 0);
    rns_node_blackhole_sources(n, &cnt);
    assert_int_equal(cnt, RNS_NODE_MAX_SOURCES);
    rns_node_free(n);
}

static void test_remote_management(void **state)
{
    (void)state;
    uv_loop_t loop;
    mpeer a = {0}, b = {0};
    rns_node_config ca = {&loop, NULL, NULL, m_event, NULL, &a}, cb = {&loop, NULL, NULL, m_event, NULL, &b};
    rns_identity *admin;
    uint8_t priv[64], acl[1][RNS_HASHLEN], rm[RNS_HASHLEN];
    uint16_t port;
    int ifc;
    size_t n;
    rns_link *l;
    rns_mp_reader r;
    rns_mp_item it;

    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(ml_random(priv, sizeof priv), 0);
    assert_int_equal(rns_identity_from_private(&admin, priv), 0);
    memcpy(acl[0], rns_identity_hash(admin), RNS_HASHLEN);
    assert_int_equal(rns_node_new(&a.node, &ca), 0);
    assert_int_equal(rns_node_new(&b.node, &cb), 0);
    assert_int_equal(rns_node_remote_management(a.node, rm), 0);
    assert_int_equal(rns_node_enable_remote_management(a.node, acl[0], 1), 0);
    assert_int_equal(rns_node_enable_remote_management(a.node, acl[0], 1), ML_EEXIST);
    assert_int_equal(rns_node_remote_management(a.node, g_rm), 1);
    assert_non_null(rns_node_remote_management_allowed(a.node, &n));
    assert_int_equal(n, 1);
    assert_int_equal(rns_node_add_tcp_server(a.node, "127.0.0.1", 0, NULL, &port), 0);
    assert_int_equal(rns_node_add_tcp_client(b.node, "127.0.0.1", port, NULL, &ifc), 0);
    run_for(&loop, NULL, 0.3);
    assert_int_equal(rns_transport_announce(rns_node_transport(a.node), g_rm, rns_node_now()), 0);
    rns_node_kick(a.node);
    run_for(&loop, &b.seen, 5);
    assert_true(b.seen);
    assert_int_equal(rns_transport_link_open(rns_node_transport(b.node), g_rm, rns_node_now(), rm), 0);
    rns_node_kick(b.node);
    run_for(&loop, &b.established, 5);
    assert_true(b.established);
    l = rns_transport_link(rns_node_transport(b.node), b.link_id);
    assert_non_null(l);

    /* not identified: no answer (ALLOW_LIST) */
    request(&b, &a, l, "/status", 1);
    run_for(&loop, &b.responses, 0.5);
    assert_int_equal(b.responses, 0);

    /* identified as the admin: the status, with the link count */
    assert_int_equal(rns_link_identify(l, admin, rns_node_now()), 0);
    rns_node_kick(b.node);
    run_for(&loop, NULL, 0.3);
    request(&b, &a, l, "/status", 1);
    run_for(&loop, &b.responses, 5);
    assert_int_equal(b.responses, 1);
    rns_mp_reader_init(&r, b.last.p, b.last.len);
    assert_int_equal(rns_mp_next(&r, &it), 0);
    assert_int_equal(it.type, RNS_MP_ARRAY);
    assert_int_equal(it.count, 2);
    assert_int_equal(rns_mp_next(&r, &it), 0);
    assert_int_equal(it.type, RNS_MP_MAP);
    assert_int_equal(rns_mp_skip(&r), 0); /* "interfaces" */
    assert_int_equal(rns_mp_next(&r, &it), 0);
    assert_int_equal(it.type, RNS_MP_ARRAY);
    assert_true(it.count >= 2);           /* the listener and its client */

    /* the path table: b's client interface is a path a learned? a knows none
     * of b's destinations, so an empty list */
    b.responses = 0;
    request(&b, &a, l, "/path", 0);
    run_for(&loop, &b.responses, 5);
    assert_int_equal(b.responses, 1);
    rns_mp_reader_init(&r, b.last.p, b.last.len);
    assert_int_equal(rns_mp_next(&r, &it), 0);
    assert_int_equal(it.type, RNS_MP_ARRAY);

    rns_node_free(b.node);
    rns_node_free(a.node);
    rns_identity_free(admin);
    ml_buf_free(&a.last);
    ml_buf_free(&b.last);
    uv_loop_close(&loop);
}

/* A client that may not reconnect forever gives up; with panic on, the node stops. */
static void test_panic(void **state)
{
    (void)state;
    rns_node *n, *srv;
    uint16_t port;
    int ifc;
    rns_iface_opts o = {.reconnect_s = 0.02};

    /* a port nobody listens on: bind a server, note its port, free it */
    assert_int_equal(rns_node_new(&srv, NULL), 0);
    assert_int_equal(rns_node_add_tcp_server(srv, "127.0.0.1", 0, NULL, &port), 0);
    rns_node_free(srv);

    assert_int_equal(rns_node_new(&n, NULL), 0);
    assert_int_equal(rns_node_panic_on_interface_error(n), 0);
    rns_node_set_panic_on_interface_error(n, 1);
    assert_int_equal(rns_node_panic_on_interface_error(n), 1);
    assert_int_equal(rns_node_add_tcp_client(n, "127.0.0.1", port, &o, &ifc), 0);
    assert_int_equal(rns_node_set_max_reconnect_tries(n, ifc, 2), 0);
    assert_int_equal(rns_node_set_max_reconnect_tries(n, 999, 2), ML_ENOTFOUND);
    assert_int_equal(rns_node_run(n, 3.0), ML_ESTATE);
    assert_int_equal(rns_node_panicked(n), 1);
    assert_int_equal(rns_node_run(n, 0.1), ML_ESTATE);
    rns_node_free(n);

    /* without panic the node goes on; the interface just stays down */
    assert_int_equal(rns_node_new(&n, NULL), 0);
    assert_int_equal(rns_node_add_tcp_client(n, "127.0.0.1", port, &o, &ifc), 0);
    assert_int_equal(rns_node_set_max_reconnect_tries(n, ifc, 1), 0);
    assert_int_equal(rns_node_run(n, 0.3), 0);
    assert_int_equal(rns_node_panicked(n), 0);
    assert_false(rns_node_iface_up(n, ifc));
    rns_node_free(n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_hop_timeout),
        cmocka_unit_test(test_implicit_proof),
        cmocka_unit_test(test_node_options),
        cmocka_unit_test(test_rpc_key_and_sources),
        cmocka_unit_test(test_remote_management),
        cmocka_unit_test(test_panic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
