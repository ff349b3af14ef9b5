// SPDX-License-Identifier: MIT
// Channel over two real links in memory and over two transport cores in
// memory: in-order delivery, a lost packet retransmitted after its timeout,
// duplicates and stale sequences dropped, reordering across the 16-bit
// wrap, the window growing and shrinking, teardown after 5 tries.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rns_memnet.h"
#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/rns_channel.h"
#include "meshlog/rns_envelope.h"
#include "meshlog/rns_link.h"
#include "meshlog/rns_transport.h"

#define T0 1000.0
#define MT 0x0101

static int rng(void *ctx, void *out, size_t len)
{
    (void)ctx;
    return ml_random(out, len);
}

struct pair {
    rns_link *ini, *res;
    rns_identity *id;
};

/* Moves one packet from a to b; returns 1 if one moved. keep (if set) gets a copy. */
static int pump(rns_link *a, rns_link *b, double now, ml_buf *keep)
{
    ml_buf raw = ML_BUF_INIT;
    rns_packet p;
    int n = rns_link_pop_packet(a, &raw);

    if (n == 1) {
        if (keep) {
            ml_buf_reset(keep);
            assert_int_equal(ml_buf_append(keep, raw.p, raw.len), 0);
        }
        if (b) {
            assert_int_equal(rns_packet_unpack(&p, raw.p, raw.len), 0);
            assert_int_equal(rns_link_receive(b, &p, now), 0);
        }
    }
    ml_buf_free(&raw);
    return n == 1;
}

static void drain_events(rns_link *l)
{
    rns_link_event ev;
    while (rns_link_pop_event(l, &ev))
        rns_link_event_clear(&ev);
}

static struct pair handshake(void)
{
    struct pair pr = {0};
    uint8_t priv[64], dh[16] = {1, 2, 3};
    rns_identity *pub = NULL;
    rns_link_initiate_params ip = {0};
    rns_link_accept_params ap = {0};
    ml_buf raw = ML_BUF_INIT;
    rns_packet p;

    assert_int_equal(ml_random(priv, sizeof priv), 0);
    assert_int_equal(rns_identity_from_private(&pr.id, priv), 0);
    assert_int_equal(rns_identity_from_public(&pub, rns_identity_public_key(pr.id)), 0);
    ip.dest_hash = dh;
    ip.dest_identity = pub;
    ip.mtu = 500;
    ip.hops = 1;
    ip.rng = rng;
    assert_int_equal(rns_link_initiate(&pr.ini, &ip, T0), 0);
    assert_int_equal(rns_link_pop_packet(pr.ini, &raw), 1);
    assert_int_equal(rns_packet_unpack(&p, raw.p, raw.len), 0);
    ap.identity = pr.id;
    ap.mtu_limit = 500;
    ap.hops = 1;
    ap.rng = rng;
    assert_int_equal(rns_link_accept(&pr.res, &ap, &p, T0 + 0.01), 0);
    assert_true(pump(pr.res, pr.ini, T0 + 0.02, NULL)); /* LRPROOF */
    assert_true(pump(pr.ini, pr.res, T0 + 0.03, NULL)); /* LRRTT */
    assert_int_equal(rns_link_state(pr.ini), RNS_LINK_ACTIVE);
    assert_int_equal(rns_link_state(pr.res), RNS_LINK_ACTIVE);
    drain_events(pr.ini);
    drain_events(pr.res);
    rns_identity_free(pub);
    ml_buf_free(&raw);
    return pr;
}

/* Sends one message from ch on link l; returns its sequence. */
static uint16_t send_msg(rns_channel *ch, rns_link *l, const char *msg, double now)
{
    ml_buf env = ML_BUF_INIT;
    uint8_t hash[RNS_FULL_HASHLEN];
    uint16_t seq;

    assert_int_equal(rns_channel_send(ch, MT, (const uint8_t *)msg, strlen(msg), &env, &seq), 0);
    assert_int_equal(rns_link_send(l, RNS_CTX_CHANNEL, env.p, env.len, now, hash), 0);
    assert_int_equal(rns_channel_sent(ch, seq, hash, now), 0);
    ml_buf_free(&env);
    return seq;
}

/* Delivers the receiving link's CHANNEL packets to rx and proves them (as the
 * core does); returns how many envelopes were taken as new. */
static int receive_side(rns_link *l, rns_channel *rx)
{
    rns_link_event ev;
    int taken = 0;

    while (rns_link_pop_event(l, &ev)) {
        if (ev.type == RNS_LINK_EV_PACKET && ev.context == RNS_CTX_CHANNEL)
            taken += rns_channel_receive(rx, ev.data.p, ev.data.len) == 0;
        rns_link_event_clear(&ev);
    }
    return taken;
}

static void ack_side(rns_link *l, rns_channel *tx)
{
    rns_link_event ev;

    while (rns_link_pop_event(l, &ev)) {
        if (ev.type == RNS_LINK_EV_PROOF)
            assert_int_equal(rns_channel_delivered(tx, ev.id), 1);
        rns_link_event_clear(&ev);
    }
}

static void expect_msg(rns_channel *ch, const char *want)
{
    ml_buf b = ML_BUF_INIT;
    uint16_t t = 0;

    assert_int_equal(rns_channel_pop_message(ch, &t, &b), 1);
    assert_int_equal(t, MT);
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.p, want, b.len);
    ml_buf_free(&b);
}

static void test_over_links(void **state)
{
    (void)state;
    struct pair pr = handshake();
    rns_channel *tx, *rx;
    rns_channel_info info;
    ml_buf lost = ML_BUF_INIT, re = ML_BUF_INIT, b = ML_BUF_INIT;
    rns_packet p;
    double now = T0 + 1;
    uint16_t seq;

    assert_int_equal(rns_channel_new(&tx, rns_link_rtt(pr.ini), rns_link_mdu(pr.ini)), 0);
    assert_int_equal(rns_channel_new(&rx, rns_link_rtt(pr.res), rns_link_mdu(pr.res)), 0);
    rns_link_set_channel_open(pr.res, 1); /* as the core does when it opens a channel */
    assert_int_equal(rns_channel_register(rx, MT), 0);
    assert_int_equal(rns_channel_register(rx, 0xF000), ML_EINVAL);
    rns_channel_info_get(tx, &info);
    assert_true(info.window == 2 && info.window_min == 2 && info.window_max == 5 &&
                info.window_flexibility == 4 && info.next_sequence == 0);

    /* Two in flight fill the window; the first packet is lost. */
    assert_int_equal(send_msg(tx, pr.ini, "one", now), 0);
    assert_int_equal(send_msg(tx, pr.ini, "two", now), 1);
    assert_false(rns_channel_ready(tx));
    assert_int_equal(rns_channel_send(tx, MT, (const uint8_t *)"x", 1, &b, &seq), ML_ESTATE);
    assert_true(pump(pr.ini, NULL, now, &lost));
    assert_true(pump(pr.ini, pr.res, now, &b));
    assert_int_equal(receive_side(pr.res, rx), 1);
    rns_channel_info_get(rx, &info);
    assert_true(info.rx_ring == 1 && info.next_rx_sequence == 0); /* held: 0 is missing */
    assert_int_equal(rns_channel_pop_message(rx, NULL, &re), 0);
    /* The link proves every CHANNEL packet it takes: "two" is acknowledged. */
    assert_true(pump(pr.res, pr.ini, now, NULL));
    assert_false(pump(pr.res, pr.ini, now, NULL));
    ack_side(pr.ini, tx);
    rns_channel_info_get(tx, &info);
    assert_true(info.tx_ring == 1 && info.window == 3);
    ml_buf_reset(&b);

    /* Timeout: "one" comes due and is sent again; the window shrinks by one. */
    assert_int_equal(rns_channel_tick(tx, now, &re, &seq), 0);
    now = rns_channel_deadline(tx);
    assert_true(now > T0 + 1 && now < T0 + 2);
    assert_int_equal(rns_channel_tick(tx, now, &re, &seq), 1);
    assert_int_equal(seq, 0);
    rns_channel_info_get(tx, &info);
    assert_true(info.window == 2 && info.window_max == 5 && info.tx_tries == 2);
    {
        uint8_t hash[RNS_FULL_HASHLEN];
        assert_int_equal(rns_link_send(pr.ini, RNS_CTX_CHANNEL, re.p, re.len, now, hash), 0);
        assert_int_equal(rns_channel_sent(tx, seq, hash, now), 0);
    }
    assert_true(pump(pr.ini, pr.res, now, NULL));
    assert_int_equal(receive_side(pr.res, rx), 1);
    expect_msg(rx, "one");
    expect_msg(rx, "two");
    assert_int_equal(rns_channel_pop_message(rx, NULL, &b), 0);

    /* The lost copy turning up late is a duplicate of a delivered sequence. */
    assert_int_equal(rns_packet_unpack(&p, lost.p, lost.len), 0);
    assert_int_equal(rns_link_receive(pr.res, &p, now), 0);
    assert_int_equal(receive_side(pr.res, rx), 0);
    rns_channel_info_get(rx, &info);
    assert_true(info.rx_ring == 0 && info.next_rx_sequence == 2);

    ml_buf_free(&lost);
    ml_buf_free(&re);
    ml_buf_free(&b);
    rns_channel_free(tx);
    rns_channel_free(rx);
    rns_link_free(pr.ini);
    rns_link_free(pr.res);
    rns_identity_free(pr.id);
}

static int inject(rns_channel *ch, uint16_t type, uint16_t seq, const char *data)
{
    ml_buf env = ML_BUF_INIT;
    int ret;

    assert_int_equal(rns_envelope_pack(&env, type, seq, (const uint8_t *)data, strlen(data)), 0);
    ret = rns_channel_receive(ch, env.p, env.len);
    ml_buf_free(&env);
    return ret;
}

/* A message type with a shape: a greeting of at most 15 characters that
 * starts with 'h'; its unpack refuses anything else. Counts live messages. */
#define GREET_MT 0x0505
static int greet_live;

typedef struct greet {
    char text[16];
} greet;

static int greet_pack(const void *msg, ml_buf *out)
{
    const greet *g = msg;
    return ml_buf_append(out, g->text, strlen(g->text));
}

static int greet_unpack(void *msg, const uint8_t *payload, size_t len)
{
    greet *g = msg;
    if (len >= sizeof g->text || !len || payload[0] != 'h')
        return ML_EMALFORMED;
    memcpy(g->text, payload, len);
    g->text[len] = 0;
    return 0;
}

static int greet_make(void **msg)
{
    if (!(*msg = calloc(1, sizeof(greet))))
        return ML_ENOMEM;
    greet_live++;
    return 0;
}

static void greet_destroy(void *msg)
{
    greet_live -= msg != NULL;
    free(msg);
}

static int make_fails(void **msg)
{
    (void)msg;
    return ML_EINVAL;
}

static int make_nomem(void **msg)
{
    (void)msg;
    return ML_ENOMEM;
}

static rns_channel_msgtype greet_type(void)
{
    rns_channel_msgtype mt = {1, GREET_MT, greet_pack, greet_unpack, greet_make, greet_destroy};
    return mt;
}

/* Registration refuses each defect of the reference's checks with
 * INVALID_MSG_TYPE; the envelope packer refuses a type without MSGTYPE with
 * NO_MSG_TYPE; a valid type registers and carries a message over a link. */
static void test_msgtype_registration(void **state)
{
    (void)state;
    struct pair pr = handshake();
    rns_channel *tx, *rx;
    rns_channel_msgtype mt;
    rns_channel_info info;
    ml_buf env = ML_BUF_INIT, b = ML_BUF_INIT;
    const char *why;
    uint8_t hash[RNS_FULL_HASHLEN];
    uint16_t seq, t = 0;
    greet g = {"hello"};
    double now = T0 + 1;

    assert_int_equal(rns_channel_new(&tx, rns_link_rtt(pr.ini), rns_link_mdu(pr.ini)), 0);
    assert_int_equal(rns_channel_new(&rx, rns_link_rtt(pr.res), rns_link_mdu(pr.res)), 0);
    rns_link_set_channel_open(pr.res, 1);

    /* not a message type at all */
    mt = greet_type();
    mt.unpack = NULL;
    assert_int_equal(rns_channel_register_msgtype(rx, &mt, &why), ML_EINVAL);
    assert_non_null(strstr(why, "not a message type"));
    mt = greet_type();
    mt.pack = NULL;
    assert_int_equal(rns_channel_register_msgtype(rx, &mt, NULL), ML_EINVAL);
    /* MSGTYPE None */
    mt = greet_type();
    mt.has_msgtype = 0;
    assert_int_equal(rns_channel_register_msgtype(rx, &mt, &why), ML_EINVAL);
    assert_non_null(strstr(why, "no MSGTYPE"));
    /* reserved: refused for applications, the library's own register */
    mt = greet_type();
    mt.msgtype = 0xF001;
    assert_int_equal(rns_channel_register_msgtype(rx, &mt, &why), ML_EINVAL);
    assert_non_null(strstr(why, "reserved"));
    assert_int_equal(rns_channel_register(rx, 0xF001), ML_EINVAL);
    assert_int_equal(rns_channel_register_system(rx, 0xF001), 0);
    assert_int_equal(rns_channel_register_system(rx, MT), ML_EINVAL);
    /* not constructible; out of memory is not a defect of the type */
    mt = greet_type();
    mt.make = make_fails;
    assert_int_equal(rns_channel_register_msgtype(rx, &mt, &why), ML_EINVAL);
    assert_non_null(strstr(why, "constructed"));
    mt.make = NULL;
    assert_int_equal(rns_channel_register_msgtype(rx, &mt, NULL), ML_EINVAL);
    mt.make = make_nomem;
    assert_int_equal(rns_channel_register_msgtype(rx, &mt, NULL), ML_ENOMEM);
    assert_int_equal(rns_channel_ce_type(ML_EINVAL), RNS_CHANNEL_CE_INVALID_MSG_TYPE);
    /* none of them took: an envelope of 0x0505 is still unregistered */
    assert_int_equal(inject(rx, GREET_MT, 0, "hi"), 1);

    /* Envelope.pack's own guard, and a send of such a message. */
    mt = greet_type();
    mt.has_msgtype = 0;
    assert_int_equal(rns_channel_envelope_pack(&mt, &g, 0, &env), ML_ENOMSGTYPE);
    assert_int_equal(env.len, 0);
    assert_int_equal(rns_channel_ce_type(ML_ENOMSGTYPE), RNS_CHANNEL_CE_NO_MSG_TYPE);
    assert_int_equal(rns_channel_send_message(tx, &mt, &g, &env, &seq), ML_ENOMSGTYPE);
    rns_channel_info_get(tx, &info);
    assert_true(info.next_sequence == 0 && info.tx_ring == 0);
    mt = greet_type();
    assert_int_equal(rns_channel_envelope_pack(&mt, &g, 9, &env), 0);
    assert_int_equal(env.len, RNS_ENVELOPE_HEADER + 5);
    assert_memory_equal(env.p, "\x05\x05\x00\x09\x00\x05hello", env.len);
    ml_buf_reset(&env);

    /* Valid: registered (constructed once and thrown away), then used. */
    assert_int_equal(rns_channel_register_msgtype(rx, &mt, &why), 0);
    assert_null(why);
    assert_int_equal(greet_live, 0);
    assert_int_equal(rns_channel_send_message(tx, &mt, &g, &env, &seq), 0);
    assert_int_equal(rns_link_send(pr.ini, RNS_CTX_CHANNEL, env.p, env.len, now, hash), 0);
    assert_int_equal(rns_channel_sent(tx, seq, hash, now), 0);
    assert_true(pump(pr.ini, pr.res, now, NULL));
    assert_int_equal(receive_side(pr.res, rx), 1);
    assert_int_equal(rns_channel_pop_message(rx, &t, &b), 1);
    assert_int_equal(t, GREET_MT);
    assert_true(b.len == 5 && !memcmp(b.p, "hello", 5));
    assert_int_equal(greet_live, 0);
    /* The type's unpack is the factory: a payload it refuses is dropped with
     * the sequence unmoved, and the next valid one is delivered. */
    assert_int_equal(inject(rx, GREET_MT, 1, "nope"), 1);
    rns_channel_info_get(rx, &info);
    assert_true(info.next_rx_sequence == 1 && info.rx_ring == 0);
    assert_int_equal(inject(rx, GREET_MT, 1, "hey"), 0);
    ml_buf_reset(&b);
    assert_int_equal(rns_channel_pop_message(rx, &t, &b), 1);
    assert_true(b.len == 3 && !memcmp(b.p, "hey", 3));
    assert_int_equal(greet_live, 0);

    ml_buf_free(&env);
    ml_buf_free(&b);
    rns_channel_free(tx);
    rns_channel_free(rx);
    rns_link_free(pr.ini);
    rns_link_free(pr.res);
    rns_identity_free(pr.id);
}

/* Receive rules without links: reorder, duplicates, stale, unregistered, wrap. */
static void test_receive_rules(void **state)
{
    (void)state;
    rns_channel *ch;
    rns_channel_info info;
    ml_buf b = ML_BUF_INIT;

    assert_int_equal(rns_channel_new(&ch, 0.01, 431), 0);
    assert_int_equal(rns_channel_register(ch, MT), 0);
    assert_int_equal(rns_channel_receive(ch, (const uint8_t *)"\1\1\0", 3), ML_EMALFORMED);
    assert_int_equal(inject(ch, MT, 1, "b"), 0);
    assert_int_equal(inject(ch, MT, 1, "dup"), 1);
    assert_int_equal(inject(ch, 0x0202, 0, "unregistered"), 1);
    rns_channel_info_get(ch, &info);
    assert_true(info.next_rx_sequence == 0 && info.rx_ring == 1);
    assert_int_equal(inject(ch, MT, 0, "a"), 0);
    assert_int_equal(inject(ch, MT, 2, "c"), 0);
    expect_msg(ch, "a");
    expect_msg(ch, "b");
    expect_msg(ch, "c");
    assert_int_equal(inject(ch, MT, 0, "stale"), 1);
    assert_int_equal(inject(ch, MT, 3 + RNS_CHANNEL_WINDOW_MAX + 1, "far"), 1);
    rns_channel_info_get(ch, &info);
    assert_true(info.next_rx_sequence == 3 && info.rx_ring == 0);
    assert_int_equal(rns_channel_pop_message(ch, NULL, &b), 0);
    rns_channel_free(ch);

    /* Across the wrap: 0 is held until 0xFFFF arrives. */
    assert_int_equal(rns_channel_new(&ch, 0.01, 431), 0);
    assert_int_equal(rns_channel_register(ch, MT), 0);
    for (unsigned s = 0; s < 0xFFFF; s++) {
        assert_int_equal(inject(ch, MT, (uint16_t)s, ""), 0);
        ml_buf_reset(&b);
        assert_int_equal(rns_channel_pop_message(ch, NULL, &b), 1);
    }
    assert_int_equal(inject(ch, MT, 0, "zero"), 0);
    rns_channel_info_get(ch, &info);
    assert_true(info.next_rx_sequence == 0xFFFF && info.rx_ring == 1);
    assert_int_equal(inject(ch, MT, 0xFFFF, "last"), 0);
    expect_msg(ch, "last");
    expect_msg(ch, "zero");
    rns_channel_info_get(ch, &info);
    assert_true(info.next_rx_sequence == 1 && info.rx_ring == 0);
    rns_channel_free(ch);
    ml_buf_free(&b);
}

/* An envelope never acknowledged: 5 tries, then the channel gives up. */
static void test_teardown(void **state)
{
    (void)state;
    rns_channel *ch;
    rns_channel_info info;
    ml_buf env = ML_BUF_INIT;
    uint8_t hash[RNS_FULL_HASHLEN] = {7};
    uint16_t seq;
    double now = T0;
    int tries = 1;

    assert_int_equal(rns_channel_new(&ch, 0.1, 431), 0);
    assert_int_equal(rns_channel_send(ch, MT, (const uint8_t *)"x", 1, &env, &seq), 0);
    assert_int_equal(rns_channel_send(ch, 0xF000, (const uint8_t *)"x", 1, &env, &seq), ML_EINVAL);
    assert_int_equal(rns_channel_sent(ch, 9, hash, now), ML_ENOTFOUND);
    assert_int_equal(rns_channel_sent(ch, seq, hash, now), 0);
    assert_int_equal(rns_channel_delivered(ch, (uint8_t[RNS_FULL_HASHLEN]){8}), 0);
    for (;;) {
        int r;
        now = rns_channel_deadline(ch);
        ml_buf_reset(&env);
        r = rns_channel_tick(ch, now, &env, &seq);
        if (r == ML_ETIMEOUT)
            break;
        assert_int_equal(r, 1);
        tries++;
        assert_int_equal(rns_channel_sent(ch, seq, hash, now), 0);
    }
    assert_int_equal(tries, RNS_CHANNEL_MAX_TRIES);
    rns_channel_info_get(ch, &info);
    assert_true(info.closed && info.window == 2);
    assert_false(rns_channel_ready(ch));
    ml_buf_free(&env);
    rns_channel_free(ch);

    /* Ten deliveries at a fast RTT promote the window range to 16..48. */
    assert_int_equal(rns_channel_new(&ch, 0.01, 431), 0);
    for (int i = 0; i < RNS_CHANNEL_FAST_RATE_THRESHOLD; i++) {
        hash[0] = (uint8_t)i;
        assert_int_equal(rns_channel_send(ch, MT, (const uint8_t *)"x", 1, &env, &seq), 0);
        assert_int_equal(rns_channel_sent(ch, seq, hash, now), 0);
        rns_channel_info_get(ch, &info);
        assert_int_equal(info.window_max, 5);
        assert_int_equal(rns_channel_delivered(ch, hash), 1);
    }
    rns_channel_info_get(ch, &info);
    assert_true(info.window_max == 48 && info.window_min == 16 && info.window == 5);
    ml_buf_free(&env);
    rns_channel_free(ch);
}

/* ---- two transport cores in memory: the core feeds the channel ---- */

static int g_drop_channel;     /* CHANNEL packets from a still to drop */
static ml_buf g_dup;           /* a copy of the last CHANNEL packet from a */

/* Keeps a copy of each CHANNEL packet a sends and drops the next
 * g_drop_channel of them. */
static int channel_tap(ml_buf *pkt, int from_a)
{
    rns_packet p;

    if (!from_a || rns_packet_unpack(&p, pkt->p, pkt->len) || p.context != RNS_CTX_CHANNEL)
        return 1;
    ml_buf_reset(&g_dup);
    assert_int_equal(ml_buf_append(&g_dup, pkt->p, pkt->len), 0);
    if (g_drop_channel > 0) {
        g_drop_channel--;
        return 0;
    }
    return 1;
}

static void core_pump(mn_node *a, mn_node *b, double now)
{
    mn_tap = channel_tap;
    mn_move(a, b, now);
    mn_drain_events(a);
    mn_drain_events(b);
}

/* Two cores (seeded from tu_seed) and a link from a to b: b's channel on it
 * takes MT; a has none yet (sending opens it). */
static rns_channel *linked_cores(mn_node *a, mn_node *b, uint8_t id[RNS_HASHLEN], double now)
{
    uint64_t seed = tu_seed();
    rns_channel *cb;

    mn_init(a, seed, 0, NULL);
    mn_init(b, seed + 1, 0, NULL);
    mn_register(a, "meshlogtest", "chan", RNS_PROVE_NONE, 1, NULL);
    mn_register(b, "meshlogtest", "chan", RNS_PROVE_NONE, 1, NULL);
    assert_int_equal(rns_transport_announce(b->t, b->dest, now), 0);
    core_pump(a, b, now);
    assert_int_equal(rns_transport_link_open(a->t, b->dest, now, id), 0);
    core_pump(a, b, now);
    assert_non_null(cb = rns_transport_link_channel(b->t, id));
    assert_int_equal(rns_channel_register(cb, MT), 0);
    return cb;
}

static void test_through_cores(void **state)
{
    (void)state;
    mn_node a, b;
    uint8_t id[RNS_HASHLEN];
    rns_channel *ca, *cb;
    rns_channel_info info;
    uint16_t seq;
    double now = 1000;

    cb = linked_cores(&a, &b, id, now);
    assert_int_equal(rns_transport_channel_send(a.t, (uint8_t[RNS_HASHLEN]){0}, MT,
                                                (const uint8_t *)"x", 1, now, &seq),
                     ML_ENOTFOUND);

    /* The first CHANNEL packet is lost; the second is held until the
     * retransmit of the first arrives. */
    g_drop_channel = 1;
    assert_int_equal(rns_transport_channel_send(a.t, id, MT, (const uint8_t *)"one", 3, now, &seq), 0);
    assert_int_equal(seq, 0);
    assert_int_equal(rns_transport_channel_send(a.t, id, MT, (const uint8_t *)"two", 3, now, &seq), 0);
    assert_int_equal(rns_transport_channel_send(a.t, id, MT, (const uint8_t *)"3", 1, now, &seq),
                     ML_ESTATE); /* window of 2 full */
    core_pump(&a, &b, now);
    assert_non_null(ca = rns_transport_link_channel(a.t, id));
    rns_channel_info_get(cb, &info);
    assert_true(info.rx_ring == 1 && info.next_rx_sequence == 0);
    rns_channel_info_get(ca, &info);
    assert_true(info.tx_ring == 1 && info.window == 3); /* "two" proved */
    for (int i = 0; i < 20; i++) {
        rns_channel_info_get(ca, &info);
        if (info.tx_ring == 0)
            break;
        now = rns_transport_deadline(a.t) + 0.001;
        assert_int_equal(rns_transport_tick(a.t, now), 0);
        assert_int_equal(rns_transport_tick(b.t, now), 0);
        core_pump(&a, &b, now);
    }
    rns_channel_info_get(ca, &info);
    assert_int_equal(info.tx_ring, 0);
    expect_msg(cb, "one");
    expect_msg(cb, "two");

    /* The same packet again (a duplicate on the wire) is proved but not delivered. */
    assert_int_equal(rns_transport_inbound(b.t, b.ifc, g_dup.p, g_dup.len, now), 0);
    core_pump(&a, &b, now);
    {
        ml_buf m = ML_BUF_INIT;
        assert_int_equal(rns_channel_pop_message(cb, NULL, &m), 0);
        ml_buf_free(&m);
    }
    rns_channel_info_get(cb, &info);
    assert_true(info.next_rx_sequence == 2 && info.rx_ring == 0);

    ml_buf_free(&g_dup);
    mn_free(&a);
    mn_free(&b);
}

#define assert_near(a, b) assert_true(fabs((a) - (b)) < 1e-9)

/* The loss path on demand (ignore_proofs), the sequence given back when a
 * send did not go out, the timeout formula and its stretching, CETypes. */
static void test_flow_switches(void **state)
{
    (void)state;
    rns_channel *ch;
    rns_channel_info info;
    ml_buf env = ML_BUF_INIT;
    uint8_t hash[RNS_FULL_HASHLEN] = {1}, got[RNS_FULL_HASHLEN];
    uint16_t seq, seq2;
    double now = T0;
    int r, tries = 1;

    assert_int_equal(rns_channel_new(&ch, 0.1, 431), 0);
    assert_int_equal(rns_channel_register(ch, MT), 0);
    /* Grow the window to its max of 5 with three deliveries. */
    for (int i = 0; i < 3; i++) {
        hash[1] = (uint8_t)i;
        assert_int_equal(rns_channel_send(ch, MT, (const uint8_t *)"w", 1, &env, &seq), 0);
        assert_int_equal(rns_channel_sent(ch, seq, hash, now), 0);
        assert_int_equal(rns_channel_delivered(ch, hash), 1);
    }
    rns_channel_info_get(ch, &info);
    assert_true(info.window == 5 && info.window_max == 5 && info.link_mdu == 431);

    /* A message given back: its sequence is taken by the next send. */
    assert_int_equal(rns_channel_send(ch, MT, (const uint8_t *)"u", 1, &env, &seq), 0);
    assert_int_equal(seq, 3);
    assert_int_equal(rns_channel_unsend(ch, 2), ML_ENOTFOUND);
    assert_int_equal(rns_channel_unsend(ch, seq), 0);
    assert_int_equal(rns_channel_unsend(ch, seq), ML_ENOTFOUND);
    rns_channel_info_get(ch, &info);
    assert_true(info.next_sequence == 3 && info.tx_ring == 0);

    /* An envelope whose proofs are ignored: resent with growing timeouts,
     * the window shrinks to its min, then the channel shuts down. */
    assert_int_equal(rns_channel_send(ch, MT, (const uint8_t *)"lost", 4, &env, &seq), 0);
    assert_int_equal(seq, 3);
    assert_int_equal(rns_channel_ignore_proofs(ch, 9), ML_ENOTFOUND);
    assert_int_equal(rns_channel_envelope_hash(ch, seq, got), ML_ENOTFOUND);
    assert_int_equal(rns_channel_ignore_proofs(ch, seq), 0);
    hash[0] = 0x55;
    assert_int_equal(rns_channel_sent(ch, seq, hash, now), 0);
    assert_int_equal(rns_channel_envelope_hash(ch, seq, got), 0);
    assert_memory_equal(got, hash, sizeof hash);
    assert_near(rns_channel_deadline(ch) - now, 0.25 * 2.5);
    /* An out-of-order envelope waits in the receive ring until shutdown. */
    ml_buf_reset(&env);
    assert_int_equal(rns_envelope_pack(&env, MT, 5, (const uint8_t *)"h", 1), 0);
    assert_int_equal(rns_channel_receive(ch, env.p, env.len), 0);
    for (;;) {
        double prev = now;
        now = rns_channel_deadline(ch);
        assert_int_equal(rns_channel_delivered(ch, hash), 0);
        ml_buf_reset(&env);
        if ((r = rns_channel_tick(ch, now, &env, &seq2)) == ML_ETIMEOUT)
            break;
        assert_int_equal(r, 1);
        assert_int_equal(seq2, seq);
        tries++;
        /* The timeout grows by 1.5 per try. */
        if (tries > 2)
            assert_true(now - prev > 0.25 * 2.5);
        hash[0]++;
        assert_int_equal(rns_channel_sent(ch, seq, hash, now), 0);
        assert_near(rns_channel_timeout(ch, (unsigned)tries),
                    rns_channel_timeout(ch, 1) * pow(1.5, tries - 1));
    }
    assert_int_equal(seq2, seq);
    assert_int_equal(tries, RNS_CHANNEL_MAX_TRIES);
    rns_channel_info_get(ch, &info);
    assert_true(info.closed && info.exhausted && info.exhausted_sequence == seq);
    assert_int_equal(info.exhausted_tries, RNS_CHANNEL_MAX_TRIES);
    assert_true(info.window == 2 && info.window_max == 5); /* 5 > 2 + 4 does not hold */
    assert_true(info.tx_ring == 0 && info.rx_ring == 0);
    assert_int_equal(rns_channel_send(ch, MT, (const uint8_t *)"x", 1, &env, &seq), ML_ESTATE);
    rns_channel_free(ch);

    /* A second envelope in flight stretches the first one's timeout. */
    assert_int_equal(rns_channel_new(&ch, 0.1, 431), 0);
    assert_int_equal(rns_channel_send(ch, MT, (const uint8_t *)"a", 1, &env, &seq), 0);
    assert_int_equal(rns_channel_sent(ch, seq, hash, T0), 0);
    assert_near(rns_channel_deadline(ch), T0 + 0.25 * 2.5);
    assert_int_equal(rns_channel_send(ch, MT, (const uint8_t *)"b", 1, &env, &seq), 0);
    hash[0]++;
    assert_int_equal(rns_channel_sent(ch, seq, hash, T0 + 0.1), 0);
    assert_near(rns_channel_deadline(ch), T0 + 0.25 * 3.5);
    rns_channel_free(ch);
    ml_buf_free(&env);

    assert_int_equal(rns_channel_ce_type(ML_ETOOBIG), RNS_CHANNEL_CE_TOO_BIG);
    assert_int_equal(rns_channel_ce_type(ML_ESTATE), RNS_CHANNEL_CE_LINK_NOT_READY);
    assert_int_equal(rns_channel_ce_type(ML_EINVAL), RNS_CHANNEL_CE_INVALID_MSG_TYPE);
    assert_int_equal(rns_channel_ce_type(ML_ENOMEM), -1);
}

/* Through the cores: an injected transmit failure gives the sequence back;
 * ignored proofs tear the link down after 5 tries, and the channel's last
 * state stays readable after the link is gone. */
static void test_core_flow(void **state)
{
    (void)state;
    mn_node a, b;
    uint8_t id[RNS_HASHLEN];
    rns_channel *ca, *cb;
    rns_channel_info info;
    uint16_t seq;
    double now = 1000;

    cb = linked_cores(&a, &b, id, now);
    assert_int_equal(rns_transport_channel_info(a.t, id, &info), ML_ENOTFOUND);
    assert_int_equal(rns_transport_channel_fail_next(a.t, (uint8_t[RNS_HASHLEN]){0}),
                     ML_ENOTFOUND);

    assert_int_equal(rns_transport_channel_fail_next(a.t, id), 0);
    assert_int_equal(rns_transport_channel_send(a.t, id, MT, (const uint8_t *)"f", 1, now, &seq),
                     ML_ESTATE);
    assert_int_equal(rns_transport_channel_info(a.t, id, &info), 0);
    assert_true(info.next_sequence == 0 && info.tx_ring == 0);
    assert_int_equal(rns_transport_channel_send(a.t, id, MT, (const uint8_t *)"ok", 2, now, &seq),
                     0);
    assert_int_equal(seq, 0); /* the sequence given back is reused */
    core_pump(&a, &b, now);
    expect_msg(cb, "ok");
    {
        uint8_t ctx[4];
        size_t n = 9;
        rns_link *lb = rns_transport_link(b.t, id);
        assert_int_equal(rns_link_proof_log(lb, ctx, sizeof ctx, &n), 1);
        assert_true(n == 1 && ctx[0] == RNS_CTX_CHANNEL);
        assert_int_equal(rns_link_proof_log(lb, NULL, 0, NULL), 1);
        assert_int_equal(rns_link_proof_log(NULL, ctx, sizeof ctx, &n), 0);
    }

    assert_int_equal(rns_transport_channel_send(a.t, id, MT, (const uint8_t *)"lost", 4, now,
                                                &seq), 0);
    assert_non_null(ca = rns_transport_link_channel(a.t, id));
    assert_int_equal(rns_channel_ignore_proofs(ca, seq), 0);
    for (int i = 0; i < 40 && rns_transport_link_channel(a.t, id); i++) {
        core_pump(&a, &b, now);
        now = rns_transport_deadline(a.t) + 0.001;
        assert_int_equal(rns_transport_tick(a.t, now), 0);
    }
    core_pump(&a, &b, now);
    assert_int_equal(rns_transport_tick(a.t, now), 0); /* reaps the closed link */
    assert_null(rns_transport_link_channel(a.t, id));
    assert_int_equal(rns_transport_channel_send(a.t, id, MT, (const uint8_t *)"x", 1, now, &seq),
                     ML_ENOTFOUND);
    assert_int_equal(rns_transport_channel_info(a.t, id, &info), 0);
    assert_true(info.closed && info.exhausted && info.exhausted_sequence == 1);
    assert_int_equal(info.exhausted_tries, RNS_CHANNEL_MAX_TRIES);
    assert_true(info.tx_ring == 0 && info.window == 2);
    /* The receiver got every copy but delivered the message once. */
    expect_msg(cb, "lost");
    {
        ml_buf m = ML_BUF_INIT;
        assert_int_equal(rns_channel_pop_message(cb, NULL, &m), 0);
        ml_buf_free(&m);
    }

    ml_buf_free(&g_dup);
    mn_free(&a);
    mn_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_over_links),
        cmocka_unit_test(test_receive_rules),
        cmocka_unit_test(test_msgtype_registration),
        cmocka_unit_test(test_teardown),
        cmocka_unit_test(test_through_cores),
        cmocka_unit_test(test_flow_switches),
        cmocka_unit_test(test_core_flow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
