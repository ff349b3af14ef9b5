// SPDX-License-Identifier: MIT
// Transport cores wired back to back in memory (see rns_memnet.h).
#include "rns_memnet.h"

mn_tap_fn mn_tap;

static void mn_log(void *ctx, int level, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "[%d] %s\n", level, msg);
}

void mn_core(mn_node *n, uint64_t seed)
{
    /* No log callback unless asked: the core then skips formatting. */
    rns_transport_config cfg = {rt_rng, &n->rs, getenv("RNS_TEST_LOG") ? mn_log : NULL, NULL};
    uint8_t priv[64];

    memset(n, 0, sizeof *n);
    mn_tap = NULL;
    n->rs = seed;
    assert_int_equal(rns_transport_new(&n->t, &cfg), 0);
    rt_rng(&n->rs, priv, sizeof priv);
    assert_int_equal(rns_identity_from_private(&n->id, priv), 0);
}

void mn_init(mn_node *n, uint64_t seed, int shared, rns_ifac *ifac)
{
    rns_iface_props ip = {"mem", 500, 0, shared, ifac};

    mn_core(n, seed);
    assert_int_equal(rns_transport_add_iface(n->t, &ip, &n->ifc), 0);
}

void mn_register(mn_node *n, const char *app, const char *aspect,
                 enum rns_proof_strategy proof, int accept_links, const char *app_data)
{
    const char *aspects[1] = {aspect};
    rns_dest_params dp = {n->id, app, aspects, 1, proof, accept_links,
                          (const uint8_t *)app_data, app_data ? strlen(app_data) : 0};
    assert_int_equal(rns_transport_register(n->t, &dp, n->dest), 0);
}

void mn_free(mn_node *n)
{
    mn_clear_events(n);
    rns_transport_free(n->t);
    rns_identity_free(n->id);
}

void mn_collect(mn_node *n)
{
    rns_tev ev;
    while (rns_transport_pop_event(n->t, &ev) == 1) {
        if (ev.type == RNS_TEV_RESOURCE && ev.res_ev.type == RNS_RES_EV_PROGRESS)
            n->n_progress++;
        else if (n->n_evs < MN_MAX_EVS) {
            n->evs[n->n_evs++] = ev;
            continue;
        }
        rns_tev_clear(&ev);
    }
}

void mn_clear_events(mn_node *n)
{
    for (size_t i = 0; i < n->n_evs; i++)
        rns_tev_clear(&n->evs[i]);
    n->n_evs = 0;
}

void mn_drain_events(mn_node *n)
{
    rns_tev ev;
    while (rns_transport_pop_event(n->t, &ev) == 1)
        rns_tev_clear(&ev);
}

rns_tev *mn_find_ev(mn_node *n, enum rns_tev_type type, int link_type)
{
    for (size_t i = 0; i < n->n_evs; i++)
        if (n->evs[i].type == type &&
            (link_type < 0 || (int)n->evs[i].link_ev.type == link_type))
            return &n->evs[i];
    return NULL;
}

size_t mn_pass(mn_node *from, mn_node *to, int from_a, double now, size_t *last_len)
{
    ml_buf pkt = ML_BUF_INIT;
    size_t moved = 0;
    int ifc;

    while (rns_transport_pop_output(from->t, &ifc, &pkt) == 1) {
        if (last_len)
            *last_len = pkt.len;
        if (!mn_tap || mn_tap(&pkt, from_a))
            assert_int_equal(rns_transport_inbound(to->t, to->ifc, pkt.p, pkt.len, now), 0);
        ml_buf_reset(&pkt);
        moved++;
    }
    ml_buf_free(&pkt);
    return moved;
}

void mn_move(mn_node *a, mn_node *b, double now)
{
    /* The guard ends a ping-pong that never settles (a bug under test). */
    for (int guard = 0; guard < 100000; guard++) {
        size_t moved = mn_pass(a, b, 1, now, NULL);
        if (!(moved + mn_pass(b, a, 0, now, NULL)))
            break;
    }
}

void mn_pump(mn_node *a, mn_node *b, double now)
{
    mn_move(a, b, now);
    mn_collect(a);
    mn_collect(b);
}
