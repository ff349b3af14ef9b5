// SPDX-License-Identifier: MIT
// The transport core as a transport node: three cores in memory, A - T - C,
// T with transport enabled and one interface towards each side, a virtual
// clock. C's announce is rebroadcast by T (HEADER_2 through T, hops counted),
// a late A's path request is answered by T with the cached announce (same
// random hash, after the grace time), a link from A to C and its traffic both
// ways, a single packet whose proof returns through the reverse table,
// interface modes (ACCESS_POINT blocks rebroadcasts and own announces,
// discovery of unknown paths only from discovery modes, per-mode path
// expiry), the shared instance (a local client's announce at 0 hops, relayed
// even with transport disabled), and ingress control holding a burst.
#include "rns_memnet.h"

#include "meshlog/rns_packet.h"
#include "meshlog/rns_transport.h"

/* A and C have one interface each (a_if, c_if); T has t_a (to A) and t_c (to C). */
typedef struct net {
    mn_node a, t, c;
    int a_if, c_if, t_a, t_c;
    int a_up;                    /* 0: what T sends towards A is lost */
    size_t frames_to_a;          /* frames T sent towards A */
} net;

static const char *const g_aspects[] = {"node"};

static int add_iface(mn_node *n, const char *name, int shared)
{
    rns_iface_props ip = {name, 8192, 1, shared, NULL};
    int id;
    assert_int_equal(rns_transport_add_iface(n->t, &ip, &id), 0);
    return id;
}

static void core_register(mn_node *n, const char *app)
{
    mn_register(n, app, g_aspects[0], RNS_PROVE_ALL, 1, NULL);
}

static void net_init(net *w, uint64_t seed, int a_shared)
{
    memset(w, 0, sizeof *w);
    mn_core(&w->a, seed);
    mn_core(&w->t, seed + 1);
    mn_core(&w->c, seed + 2);
    w->a_if = add_iface(&w->a, "a", a_shared);
    w->c_if = add_iface(&w->c, "c", 0);
    w->t_a = add_iface(&w->t, "t-a", 0);
    w->t_c = add_iface(&w->t, "t-c", 0);
    w->a_up = 1;
    rns_transport_set_transport(w->t.t, 1);
}

static void net_free(net *w)
{
    mn_free(&w->a);
    mn_free(&w->t);
    mn_free(&w->c);
}

/* Moves packets until every queue is empty. */
static void pump(net *w, double now)
{
    ml_buf p = ML_BUF_INIT;
    int ifc, moved = 1;

    for (int guard = 0; moved && guard < 1000; guard++) {
        moved = 0;
        while (rns_transport_pop_output(w->a.t, &ifc, &p) == 1) {
            assert_int_equal(rns_transport_inbound(w->t.t, w->t_a, p.p, p.len, now), 0);
            ml_buf_reset(&p);
            moved = 1;
        }
        while (rns_transport_pop_output(w->c.t, &ifc, &p) == 1) {
            assert_int_equal(rns_transport_inbound(w->t.t, w->t_c, p.p, p.len, now), 0);
            ml_buf_reset(&p);
            moved = 1;
        }
        while (rns_transport_pop_output(w->t.t, &ifc, &p) == 1) {
            if (ifc == w->t_a) {
                w->frames_to_a++;
                if (w->a_up)
                    assert_int_equal(rns_transport_inbound(w->a.t, w->a_if, p.p, p.len, now), 0);
            } else {
                assert_int_equal(ifc, w->t_c);
                assert_int_equal(rns_transport_inbound(w->c.t, w->c_if, p.p, p.len, now), 0);
            }
            ml_buf_reset(&p);
            moved = 1;
        }
    }
    ml_buf_free(&p);
    mn_collect(&w->a);
    mn_collect(&w->t);
    mn_collect(&w->c);
}

/* Runs every core's timers from `from` to `to` in 100 ms steps. */
static void run(net *w, double from, double to)
{
    for (double now = from; now <= to; now += 0.1) {
        rns_transport_tick(w->a.t, now);
        rns_transport_tick(w->t.t, now);
        rns_transport_tick(w->c.t, now);
        pump(w, now);
    }
}

/* C announces; T learns it at 1 hop and rebroadcasts within PATHFINDER_RW. */
static void announce_c(net *w, double t0)
{
    core_register(&w->c, "meshlogtest");
    assert_int_equal(rns_transport_announce(w->c.t, w->c.dest, t0), 0);
    pump(w, t0);
    run(w, t0, t0 + 1.0);
}

static void test_announce_rebroadcast(void **state)
{
    net w;
    rns_path_entry at, aa;
    rns_tev *ev;
    (void)state;

    net_init(&w, 0x7a11, 0);
    announce_c(&w, 1000.0);
    assert_int_equal(rns_transport_path_entry(w.t.t, w.c.dest, 1001.0, &at), 0);
    assert_int_equal(at.hops, 1);
    assert_memory_equal(at.next_hop, w.c.dest, RNS_HASHLEN);   /* direct */
    assert_int_equal(at.iface_id, w.t_c);
    assert_true(at.has_random_hash);
    assert_true(at.expires - at.timestamp > RNS_PATH_EXPIRY - 1);
    assert_non_null(ev = mn_find_ev(&w.a, RNS_TEV_ANNOUNCE, -1));
    assert_int_equal(ev->hops, 2);
    assert_false(ev->path_response);
    assert_int_equal(rns_transport_path_entry(w.a.t, w.c.dest, 1001.0, &aa), 0);
    assert_int_equal(aa.hops, 2);
    assert_memory_equal(aa.next_hop, rns_transport_id(w.t.t), RNS_HASHLEN);
    assert_memory_equal(aa.random_hash, at.random_hash, sizeof at.random_hash);
    /* one retry after PATHFINDER_G unless someone passes it on, then done */
    size_t before = w.frames_to_a;
    run(&w, 1001.0, 1008.0);
    assert_int_equal(w.frames_to_a, before + 1);
    assert_false(rns_transport_announce_entry(w.t.t, w.c.dest, NULL));
    run(&w, 1008.0, 1015.0);
    assert_int_equal(w.frames_to_a, before + 1);
    net_free(&w);
}

static void test_path_request_for_another(void **state)
{
    net w;
    rns_path_entry at, aa;
    rns_tev *ev;
    size_t before;
    (void)state;

    net_init(&w, 0x9a7b, 0);
    w.a_up = 0;                        /* A is not there yet */
    announce_c(&w, 2000.0);
    run(&w, 2001.0, 2008.0);           /* the retry is lost too */
    w.a_up = 1;
    assert_int_equal(rns_transport_has_path(w.a.t, w.c.dest, 2010.0, NULL), 0);
    assert_int_equal(rns_transport_request_path(w.a.t, w.c.dest, 2010.0), 0);
    before = w.frames_to_a;
    pump(&w, 2010.0);
    /* answered after the grace time, not at once */
    assert_int_equal(w.frames_to_a, before);
    assert_true(rns_transport_announce_entry(w.t.t, w.c.dest, NULL));
    run(&w, 2010.0, 2011.0);
    assert_int_equal(w.frames_to_a, before + 1);
    assert_non_null(ev = mn_find_ev(&w.a, RNS_TEV_ANNOUNCE, -1));
    assert_true(ev->path_response);
    assert_int_equal(ev->hops, 2);
    /* the cached announce, not a new one */
    assert_int_equal(rns_transport_path_entry(w.t.t, w.c.dest, 2011.0, &at), 0);
    assert_int_equal(rns_transport_path_entry(w.a.t, w.c.dest, 2011.0, &aa), 0);
    assert_memory_equal(aa.random_hash, at.random_hash, sizeof at.random_hash);
    assert_memory_equal(aa.next_hop, rns_transport_id(w.t.t), RNS_HASHLEN);
    /* an unknown destination: T on a FULL interface does not go looking */
    uint8_t unknown[RNS_HASHLEN];
    memset(unknown, 0x42, sizeof unknown);
    assert_int_equal(rns_transport_request_path(w.c.t, unknown, 2012.0), 0);
    pump(&w, 2012.0);
    assert_false(rns_transport_has_discovery_request(w.t.t, unknown, 2012.0));
    /* on an ACCESS_POINT interface it does, and the request reaches A */
    assert_int_equal(rns_transport_iface_set_mode(w.t.t, w.t_c, RNS_MODE_ACCESS_POINT), 0);
    before = w.frames_to_a;
    unknown[0] = 0x43;
    assert_int_equal(rns_transport_request_path(w.c.t, unknown, 2013.0), 0);
    pump(&w, 2013.0);
    assert_true(rns_transport_has_discovery_request(w.t.t, unknown, 2013.0));
    assert_int_equal(w.frames_to_a, before + 1);
    /* forgotten after the path request timeout */
    run(&w, 2013.0, 2013.0 + RNS_PATH_REQUEST_TIMEOUT + 1.5);
    assert_false(rns_transport_has_discovery_request(w.t.t, unknown, 2030.0));
    net_free(&w);
}

static void test_link_and_proof_through(void **state)
{
    net w;
    uint8_t id[RNS_HASHLEN], hash[32], ph[32];
    rns_link *l;
    rns_tev *ev;
    (void)state;

    net_init(&w, 0x11e4, 0);
    announce_c(&w, 3000.0);
    mn_clear_events(&w.a);
    assert_int_equal(rns_transport_link_open(w.a.t, w.c.dest, 3002.0, id), 0);
    pump(&w, 3002.0);
    assert_non_null(ev = mn_find_ev(&w.a, RNS_TEV_LINK, RNS_LINK_EV_ESTABLISHED));
    assert_non_null(ev = mn_find_ev(&w.c, RNS_TEV_LINK, RNS_LINK_EV_ESTABLISHED));
    assert_memory_equal(ev->link_id, id, RNS_HASHLEN);
    mn_clear_events(&w.a);
    mn_clear_events(&w.c);
    /* A -> C, proved back (C proves all) */
    assert_non_null(l = rns_transport_link(w.a.t, id));
    assert_int_equal(rns_link_send(l, RNS_CTX_NONE, (const uint8_t *)"via T", 5, 3003.0, hash), 0);
    rns_transport_flush(w.a.t, 3003.0);
    pump(&w, 3003.0);
    assert_non_null(ev = mn_find_ev(&w.c, RNS_TEV_LINK, RNS_LINK_EV_DATA));
    assert_memory_equal(ev->link_ev.data.p, "via T", 5);
    assert_non_null(mn_find_ev(&w.a, RNS_TEV_LINK, RNS_LINK_EV_PROOF));
    /* C -> A */
    assert_non_null(l = rns_transport_link(w.c.t, id));
    assert_int_equal(rns_link_send(l, RNS_CTX_NONE, (const uint8_t *)"back", 4, 3003.0, NULL), 0);
    rns_transport_flush(w.c.t, 3003.0);
    pump(&w, 3003.0);
    assert_non_null(ev = mn_find_ev(&w.a, RNS_TEV_LINK, RNS_LINK_EV_DATA));
    assert_memory_equal(ev->link_ev.data.p, "back", 4);
    mn_clear_events(&w.a);
    mn_clear_events(&w.c);
    /* a single packet: delivered, and its proof finds the way back */
    assert_int_equal(rns_transport_send(w.a.t, w.c.dest, (const uint8_t *)"single", 6, 3004.0,
                                        ph), 0);
    pump(&w, 3004.0);
    assert_non_null(ev = mn_find_ev(&w.c, RNS_TEV_DATA, -1));
    assert_memory_equal(ev->data.p, "single", 6);
    assert_int_equal(ev->hops, 2);
    assert_non_null(ev = mn_find_ev(&w.a, RNS_TEV_PROOF, -1));
    assert_memory_equal(ev->packet_hash, ph, 32);
    /* without transport, T forwards nothing addressed through it */
    mn_clear_events(&w.c);
    rns_transport_set_transport(w.t.t, 0);
    assert_int_equal(rns_transport_send(w.a.t, w.c.dest, (const uint8_t *)"lost", 4, 3005.0,
                                        NULL), 0);
    pump(&w, 3005.0);
    assert_null(mn_find_ev(&w.c, RNS_TEV_DATA, -1));
    net_free(&w);
}

static void test_modes(void **state)
{
    net w;
    rns_path_entry e;
    size_t before;
    (void)state;

    /* ACCESS_POINT towards A: nothing is rebroadcast to A; the path to C,
     * learnt on an ACCESS_POINT interface, lives a day */
    net_init(&w, 0xa9, 0);
    assert_int_equal(rns_transport_iface_set_mode(w.t.t, w.t_a, RNS_MODE_ACCESS_POINT), 0);
    assert_int_equal(rns_transport_iface_set_mode(w.t.t, w.t_c, RNS_MODE_ACCESS_POINT), 0);
    announce_c(&w, 4000.0);
    assert_int_equal(w.frames_to_a, 0);
    assert_int_equal(rns_transport_path_entry(w.t.t, w.c.dest, 4001.0, &e), 0);
    assert_true(e.expires - e.timestamp > RNS_AP_PATH_EXPIRY - 1 &&
                e.expires - e.timestamp < RNS_AP_PATH_EXPIRY + 1);
    net_free(&w);

    /* ROAMING: a path request from the interface the path came from is not answered */
    net_init(&w, 0xa10, 0);
    assert_int_equal(rns_transport_iface_set_mode(w.t.t, w.t_c, RNS_MODE_ROAMING), 0);
    announce_c(&w, 5000.0);
    assert_int_equal(rns_transport_path_entry(w.t.t, w.c.dest, 5001.0, &e), 0);
    assert_true(e.expires - e.timestamp < RNS_ROAMING_PATH_EXPIRY + 1);
    run(&w, 5001.0, 5008.0);
    assert_int_equal(rns_transport_request_path(w.c.t, w.c.dest, 5010.0), 0);
    pump(&w, 5010.0);
    assert_false(rns_transport_announce_entry(w.t.t, w.c.dest, NULL));
    net_free(&w);

    /* an endpoint's own announce is not sent on an ACCESS_POINT interface */
    net_init(&w, 0xa11, 0);
    assert_int_equal(rns_transport_iface_set_mode(w.a.t, w.a_if, RNS_MODE_ACCESS_POINT), 0);
    core_register(&w.a, "meshlogtest");
    before = w.frames_to_a;
    assert_int_equal(rns_transport_announce(w.a.t, w.a.dest, 6000.0), 0);
    pump(&w, 6000.0);
    assert_false(rns_transport_has_path(w.t.t, w.a.dest, 6000.0, NULL));
    assert_int_equal(w.frames_to_a, before);
    assert_int_equal(rns_transport_iface_set_mode(w.a.t, w.a_if, 99), ML_EINVAL);
    assert_int_equal(rns_iface_mode_from_name("ap"), RNS_MODE_ACCESS_POINT);
    assert_int_equal(rns_iface_mode_from_name("nope"), 0);
    net_free(&w);
}

static void test_shared_instance(void **state)
{
    net w;
    rns_path_entry e;
    rns_tev *ev;
    (void)state;

    /* A is a local client of T (T: transport disabled, as rnsd by default) */
    net_init(&w, 0x5a4e, 1);
    rns_transport_set_transport(w.t.t, 0);
    assert_int_equal(rns_transport_iface_set_local_client(w.t.t, w.t_a, 1), 0);
    core_register(&w.a, "meshlogtest");
    assert_int_equal(rns_transport_announce(w.a.t, w.a.dest, 7000.0), 0);
    pump(&w, 7000.0);
    run(&w, 7000.0, 7001.0);
    /* the master sees its local client's destination at 0 hops ... */
    assert_int_equal(rns_transport_path_entry(w.t.t, w.a.dest, 7001.0, &e), 0);
    assert_int_equal(e.hops, 0);
    /* ... and relays the announce once, through itself */
    assert_non_null(ev = mn_find_ev(&w.c, RNS_TEV_ANNOUNCE, -1));
    assert_int_equal(ev->hops, 1);
    assert_int_equal(rns_transport_path_entry(w.c.t, w.a.dest, 7001.0, &e), 0);
    assert_memory_equal(e.next_hop, rns_transport_id(w.t.t), RNS_HASHLEN);
    /* C's announce reaches the local client at once, as 1 hop through T */
    mn_clear_events(&w.a);
    core_register(&w.c, "meshlogtest");
    assert_int_equal(rns_transport_announce(w.c.t, w.c.dest, 7002.0), 0);
    pump(&w, 7002.0);
    assert_int_equal(rns_transport_path_entry(w.a.t, w.c.dest, 7002.0, &e), 0);
    assert_int_equal(e.hops, 1);
    assert_memory_equal(e.next_hop, rns_transport_id(w.t.t), RNS_HASHLEN);
    /* a link from the local client through the master */
    uint8_t id[RNS_HASHLEN];
    mn_clear_events(&w.a);
    mn_clear_events(&w.c);
    assert_int_equal(rns_transport_link_open(w.a.t, w.c.dest, 7003.0, id), 0);
    pump(&w, 7003.0);
    assert_non_null(mn_find_ev(&w.a, RNS_TEV_LINK, RNS_LINK_EV_ESTABLISHED));
    assert_non_null(mn_find_ev(&w.c, RNS_TEV_LINK, RNS_LINK_EV_ESTABLISHED));
    net_free(&w);
}

static void test_ingress_burst(void **state)
{
    net w;
    mn_node src[8];
    uint8_t dests[8][RNS_HASHLEN];
    int held = 0;
    (void)state;

    net_init(&w, 0x1c, 0);
    /* eight fresh destinations announced from C's side 50 ms apart */
    for (int i = 0; i < 8; i++) {
        rns_dest_params dp = {NULL, "burst", g_aspects, 1, RNS_PROVE_NONE, 0, NULL, 0};
        mn_core(&src[i], 0x100 + (uint64_t)i);
        dp.identity = src[i].id;
        assert_int_equal(rns_transport_register(w.c.t, &dp, dests[i]), 0);
        assert_int_equal(rns_transport_announce(w.c.t, dests[i], 8000.0 + 0.05 * i), 0);
        pump(&w, 8000.0 + 0.05 * i);
    }
    for (int i = 0; i < 8; i++)
        held += !rns_transport_has_path(w.t.t, dests[i], 8001.0, NULL);
    /* the first ones pass before a rate can be measured, later ones are held */
    assert_true(rns_transport_has_path(w.t.t, dests[0], 8001.0, NULL));
    assert_true(rns_transport_has_path(w.t.t, dests[1], 8001.0, NULL));
    assert_true(held > 0);
    /* once the burst is over they are released, one by one */
    run(&w, 8001.0, 8001.0 + 15.0 + 5.0 * (held + 1) + 6.0);
    for (int i = 0; i < 8; i++)
        assert_true(rns_transport_has_path(w.t.t, dests[i], 8070.0, NULL));
    for (int i = 0; i < 8; i++)
        mn_free(&src[i]);
    net_free(&w);
}

/* With a tight announce cap towards A only the first forwarded announce goes
 * out at once; the next waits in the queue until the cap allows it. */
static void test_announce_cap(void **state)
{
    net w;
    mn_node src[3];
    uint8_t dests[3][RNS_HASHLEN];
    size_t before;
    (void)state;

    net_init(&w, 0xcab, 0);
    /* 1000 bit/s at 10 %: a ~170-byte announce every ~14 s */
    assert_int_equal(rns_transport_iface_set_announce_cap(w.t.t, w.t_a, 0.1, 1000), 0);
    assert_int_equal(rns_transport_iface_set_announce_cap(w.t.t, w.t_a, 2.0, 1000), ML_EINVAL);
    for (int i = 0; i < 2; i++) {
        rns_dest_params dp = {NULL, "cap", g_aspects, 1, RNS_PROVE_NONE, 0, NULL, 0};
        mn_core(&src[i], 0x200 + (uint64_t)i);
        dp.identity = src[i].id;
        assert_int_equal(rns_transport_register(w.c.t, &dp, dests[i]), 0);
        assert_int_equal(rns_transport_announce(w.c.t, dests[i], 9000.0 + i), 0);
        pump(&w, 9000.0 + i);
        run(&w, 9000.0 + i, 9000.9 + i);
    }
    /* both learnt, only one passed the cap towards A */
    assert_true(rns_transport_has_path(w.t.t, dests[0], 9002.0, NULL));
    assert_true(rns_transport_has_path(w.t.t, dests[1], 9002.0, NULL));
    assert_true(rns_transport_has_path(w.a.t, dests[0], 9002.0, NULL));
    assert_false(rns_transport_has_path(w.a.t, dests[1], 9002.0, NULL));
    before = w.frames_to_a;
    run(&w, 9002.0, 9020.0);
    assert_true(rns_transport_has_path(w.a.t, dests[1], 9020.0, NULL));
    assert_true(w.frames_to_a > before);
    for (int i = 0; i < 2; i++)
        mn_free(&src[i]);
    net_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_announce_rebroadcast),
        cmocka_unit_test(test_path_request_for_another),
        cmocka_unit_test(test_link_and_proof_through),
        cmocka_unit_test(test_modes),
        cmocka_unit_test(test_shared_instance),
        cmocka_unit_test(test_ingress_burst),
        cmocka_unit_test(test_announce_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
