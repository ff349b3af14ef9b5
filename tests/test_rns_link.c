// SPDX-License-Identifier: MIT
// The link state machine against every vector of vectors/rns/links.json
// (RNS 1.4.2). Handshakes are replayed with the reference's injected keys
// and IVs on both an initiator and a responder, and every packet either side
// produces must equal the vector byte for byte; the other side must accept
// it with the right event. Packets on established links (data + proof,
// identify, request/response, keepalive, close) run on a pair rebuilt from
// the link's handshake vector. Then timers and refusals that the vectors do
// not show. Vectors are dispatched by kind; an unhandled kind fails.
#include "rns_testutil.h"

#include <math.h>

#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/rns_destination.h"
#include "meshlog/rns_link.h"

#define T0 1767225600.0
#define STEP (1.0 / 32)   /* the vectors' clock advances this per delivered packet */

static json_t *g_file;

/* ---- a random source that hands out queued bytes, then a seeded PRNG ------- */

struct trng {
    uint8_t buf[512];
    size_t len, off;
    uint64_t state;
};

static struct trng g_rng;

static void rng_push_hex(const char *hex)
{
    size_t n = strlen(hex) / 2;
    assert_true(g_rng.len + n <= sizeof g_rng.buf);
    assert_int_equal(ml_unhex(g_rng.buf + g_rng.len, n, hex, 2 * n), 0);
    g_rng.len += n;
}

static int rng_fn(void *ctx, void *out, size_t len)
{
    struct trng *r = ctx;
    uint8_t *o = out;

    if (r->off < r->len) {
        /* Injected values are consumed whole, in the order the reference drew them. */
        assert_true(r->len - r->off >= len);
        memcpy(o, r->buf + r->off, len);
        r->off += len;
        if (r->off == r->len)
            r->off = r->len = 0;
        return 0;
    }
    for (size_t i = 0; i < len; i++)
        o[i] = (uint8_t)tu_rand(&r->state);
    return 0;
}

/* ---- helpers --------------------------------------------------------------- */

struct pair {
    rns_link *ini, *res;
    double now;
};

static json_t *step_of(json_t *v, size_t i)
{
    return json_array_get(json_object_get(v, "packets"), i);
}

/* Pops exactly one packet from l and compares it with the step's raw bytes. */
static void expect_packet(rns_link *l, json_t *step, rns_packet *p, ml_buf *b)
{
    ml_buf_reset(b);
    assert_int_equal(rns_link_pop_packet(l, b), 1);
    tu_assert_hex(b->p, b->len, rt_str(step, "raw"));
    assert_int_equal(rns_packet_unpack(p, b->p, b->len), 0);
}

static void expect_no_packet(rns_link *l)
{
    ml_buf b = ML_BUF_INIT;
    assert_int_equal(rns_link_pop_packet(l, &b), 0);
    ml_buf_free(&b);
}

/* Pops one event of the given type (caller clears it). */
static void expect_event(rns_link *l, enum rns_link_event_type type, rns_link_event *ev)
{
    memset(ev, 0, sizeof *ev);
    assert_int_equal(rns_link_pop_event(l, ev), 1);
    assert_int_equal(ev->type, type);
}

static void expect_no_event(rns_link *l)
{
    rns_link_event ev;
    assert_int_equal(rns_link_pop_event(l, &ev), 0);
}

/* shared = X25519(initiator, responder); key = HKDF(shared, salt = link id). */
static void check_key_schedule(json_t *v)
{
    uint8_t ip[32], rp[32], rpub[32], shared[32], lid[16], key[64];
    rt_hex_fixed(v, "initiator_x25519_private", ip, 32);
    rt_hex_fixed(v, "responder_x25519_private", rp, 32);
    assert_int_equal(ml_x25519_public(rpub, rp), 0);
    tu_assert_hex(rpub, 32, rt_str(v, "responder_x25519_public"));
    assert_int_equal(ml_x25519(shared, ip, rpub), 0);
    tu_assert_hex(shared, 32, rt_str(v, "shared_secret"));
    rt_hex_fixed(v, "link_id", lid, 16);
    assert_int_equal(ml_hkdf_sha256(key, 64, shared, 32, lid, 16, NULL, 0), 0);
    tu_assert_hex(key, 64, rt_str(v, "derived_key"));
}

static rns_link *initiate(json_t *v, uint32_t mtu, const uint8_t *transport_id, double now)
{
    rns_identity *bob = rt_identity(g_file, "bob"), *pub = NULL;
    uint8_t dh[16];
    rns_link_initiate_params ip;
    rns_link *l = NULL;

    assert_int_equal(rns_identity_from_public(&pub, rns_identity_public_key(bob)), 0);
    rt_hex_fixed(json_object_get(v, "destination"), "destination_hash", dh, 16);
    rng_push_hex(rt_str(v, "initiator_x25519_private"));
    rng_push_hex(rt_str(v, "initiator_ed25519_private"));
    memset(&ip, 0, sizeof ip);
    ip.dest_hash = dh;
    ip.dest_identity = pub;
    ip.mtu = mtu;
    ip.transport_id = transport_id;
    ip.hops = 1;
    ip.rng = rng_fn;
    ip.rng_ctx = &g_rng;
    assert_int_equal(rns_link_initiate(&l, &ip, now), 0);
    assert_int_equal(rns_link_state(l), RNS_LINK_PENDING);
    tu_assert_hex(rns_link_id(l), 16, rt_str(v, "link_id"));
    rns_identity_free(pub);
    rns_identity_free(bob);
    return l;
}

static rns_link *accept_request(json_t *v, const rns_packet *req, double now)
{
    rns_identity *bob = rt_identity(g_file, "bob");
    rns_link_accept_params ap;
    rns_link *l = NULL;

    rng_push_hex(rt_str(v, "responder_x25519_private"));
    memset(&ap, 0, sizeof ap);
    ap.identity = bob;
    ap.mtu_limit = 8192;
    ap.hops = 1;
    ap.prove_all = 1; /* bob's destination uses PROVE_ALL */
    ap.rng = rng_fn;
    ap.rng_ctx = &g_rng;
    assert_int_equal(rns_link_accept(&l, &ap, req, now), 0);
    assert_int_equal(rns_link_state(l), RNS_LINK_HANDSHAKE);
    tu_assert_hex(rns_link_id(l), 16, rt_str(v, "link_id"));
    rns_identity_free(bob); /* the link keeps its own copy */
    return l;
}

/* Replays one handshake vector; returns the established pair. */
static struct pair handshake(json_t *v)
{
    struct pair pr;
    rns_packet p;
    rns_link_event ev;
    ml_buf b = ML_BUF_INIT;
    json_t *lrrtt = step_of(v, 2);
    json_t *mtu_j = json_object_get(v, "requested_mtu");
    uint32_t mtu = json_is_integer(mtu_j) ? (uint32_t)json_integer_value(mtu_j) : 0;

    check_key_schedule(v);
    pr.now = T0;
    pr.ini = initiate(v, mtu, NULL, pr.now);
    expect_packet(pr.ini, step_of(v, 0), &p, &b);
    pr.now += STEP;
    pr.res = accept_request(v, &p, pr.now);
    expect_packet(pr.res, step_of(v, 1), &p, &b);
    pr.now += STEP;
    if (lrrtt)
        rng_push_hex(rt_str(lrrtt, "iv"));
    assert_int_equal(rns_link_receive(pr.ini, &p, pr.now), 0);
    expect_event(pr.ini, RNS_LINK_EV_ESTABLISHED, &ev);
    assert_int_equal(rns_link_state(pr.ini), RNS_LINK_ACTIVE);
    assert_true(fabs(rns_link_rtt(pr.ini) - 2 * STEP) < 1e-9);
    ml_buf_reset(&b);
    assert_int_equal(rns_link_pop_packet(pr.ini, &b), 1);
    if (lrrtt)
        tu_assert_hex(b.p, b.len, rt_str(lrrtt, "raw"));
    assert_int_equal(rns_packet_unpack(&p, b.p, b.len), 0);
    pr.now += STEP;
    assert_int_equal(rns_link_receive(pr.res, &p, pr.now), 0);
    expect_event(pr.res, RNS_LINK_EV_ESTABLISHED, &ev);
    assert_int_equal(rns_link_state(pr.res), RNS_LINK_ACTIVE);
    if (json_object_get(v, "rtt"))
        assert_true(fabs(rns_link_rtt(pr.res) - json_real_value(json_object_get(v, "rtt"))) < 1e-9);
    if (mtu_j) {
        assert_int_equal(rns_link_mtu(pr.ini), rt_int(v, "confirmed_mtu"));
        assert_int_equal(rns_link_mtu(pr.res), rt_int(v, "confirmed_mtu"));
        assert_int_equal(rns_link_mdu(pr.ini), rt_int(v, "link_mdu"));
    }
    expect_no_packet(pr.res);
    ml_buf_free(&b);
    return pr;
}

static void pair_free(struct pair *pr)
{
    rns_link_event ev;
    while (rns_link_pop_event(pr->ini, &ev))
        rns_link_event_clear(&ev);
    while (rns_link_pop_event(pr->res, &ev))
        rns_link_event_clear(&ev);
    rns_link_free(pr->ini);
    rns_link_free(pr->res);
}

static void check_handshake(json_t *v)
{
    struct pair pr = handshake(v);
    pair_free(&pr);
}

static void check_linkrequest_transport(json_t *v)
{
    json_t *hs = tu_vector(g_file, "link_handshake_mtu500");
    uint8_t tid[16], lid[16];
    ml_buf b = ML_BUF_INIT;
    rns_packet p;
    size_t n;
    uint8_t *h1 = rt_hex(v, "header1_raw", &n);

    rt_hex_fixed(v, "next_hop_transport_id", tid, 16);
    rns_link *l = initiate(hs, (uint32_t)rt_int(hs, "requested_mtu"), tid, T0);
    expect_packet(l, step_of(v, 0), &p, &b);
    assert_int_equal(rns_link_id_of_request(lid, &p), 0);
    tu_assert_hex(lid, 16, rt_str(v, "link_id"));
    /* The same rewrite from the HEADER_1 bytes. */
    ml_buf_reset(&b);
    assert_int_equal(rns_packet_to_header2(&b, h1, n, tid), 0);
    tu_assert_hex(b.p, b.len, rt_str(step_of(v, 0), "raw"));
    free(h1);
    ml_buf_free(&b);
    rns_link_free(l);
}

/* ---- packets on an established link ----------------------------------------- */

struct ctx {
    json_t *v;
    struct pair *pr;
    uint8_t last_hash[32];
};

/* The sender makes the step's packet (injecting its IV) and we compare it. */
static void produce(struct ctx *c, json_t *step, rns_link *from, rns_packet *p, ml_buf *b)
{
    const char *name = rt_str(step, "step");
    size_t n;
    uint8_t *pt = rt_hex(step, "plaintext", &n);
    json_t *iv = json_object_get(step, "iv");

    if (json_is_string(iv))
        rng_push_hex(json_string_value(iv));
    if (strcmp(name, "DATA") == 0) {
        assert_int_equal(rns_link_send(from, RNS_CTX_NONE, pt, n, c->pr->now, c->last_hash), 0);
    } else if (strcmp(name, "LINKIDENTIFY") == 0) {
        rns_identity *id = rt_identity(g_file, rt_str(c->v, "identity"));
        assert_int_equal(rns_link_identify(from, id, c->pr->now), 0);
        rns_identity_free(id);
    } else if (strcmp(name, "REQUEST") == 0) {
        /* plaintext = 93 | cb ts(8) | c4 10 path_hash(16) | data */
        double ts = json_real_value(json_object_get(c->v, "request_timestamp"));
        uint8_t rid[16];
        assert_int_equal(rns_link_request(from, rt_str(c->v, "path"), pt + 28, n - 28, ts, rid), 0);
        tu_assert_hex(rid, 16, rt_str(c->v, "request_id"));
    } else if (strcmp(name, "RESPONSE") == 0) {
        /* plaintext = 92 | c4 10 request_id(16) | response */
        assert_int_equal(rns_link_respond(from, pt + 3, pt + 19, n - 19, c->pr->now), 0);
    } else if (strcmp(name, "KEEPALIVE request") == 0) {
        c->pr->now += rns_link_keepalive(from) + 1;
        assert_int_equal(rns_link_tick(from, c->pr->now), 0);
    } else if (strcmp(name, "LINKCLOSE") == 0) {
        assert_int_equal(rns_link_close(from, c->pr->now), 0);
    }
    /* PROOF and KEEPALIVE reply were queued by the previous delivery. */
    expect_packet(from, step, p, b);
    free(pt);
}

/* The receiver takes the packet; check what it tells its application. */
static void consume(struct ctx *c, json_t *step, rns_link *to, const rns_packet *p)
{
    const char *name = rt_str(step, "step");
    rns_link_event ev;

    c->pr->now += STEP;
    assert_int_equal(rns_link_receive(to, p, c->pr->now), 0);
    if (strcmp(name, "DATA") == 0) {
        expect_event(to, RNS_LINK_EV_DATA, &ev);
        tu_assert_hex(ev.data.p, ev.data.len, rt_str(step, "plaintext"));
    } else if (strcmp(name, "PROOF") == 0) {
        expect_event(to, RNS_LINK_EV_PROOF, &ev);
        tu_assert_hex(ev.id, 32, rt_str(step, "proved_packet_hash"));
        assert_memory_equal(ev.id, c->last_hash, 32);
    } else if (strcmp(name, "LINKIDENTIFY") == 0) {
        expect_event(to, RNS_LINK_EV_IDENTIFIED, &ev);
        tu_assert_hex(rns_identity_public_key(ev.identity), 64,
                      rt_str(json_object_get(step, "plaintext_fields"), "public_key"));
        assert_non_null(rns_link_remote_identity(to));
    } else if (strcmp(name, "REQUEST") == 0) {
        expect_event(to, RNS_LINK_EV_REQUEST, &ev);
        tu_assert_hex(ev.id, 16, rt_str(c->v, "request_id"));
        tu_assert_hex(ev.path_hash, 16, rt_str(c->v, "path_hash"));
        assert_true(ev.timestamp == json_real_value(json_object_get(c->v, "request_timestamp")));
        tu_assert_hex(ev.data.p, ev.data.len, rt_str(step, "plaintext") + 56);
    } else if (strcmp(name, "RESPONSE") == 0) {
        expect_event(to, RNS_LINK_EV_RESPONSE, &ev);
        tu_assert_hex(ev.id, 16, rt_str(c->v, "request_id"));
        tu_assert_hex(ev.data.p, ev.data.len, rt_str(step, "plaintext") + 38);
    } else if (strcmp(name, "LINKCLOSE") == 0) {
        expect_event(to, RNS_LINK_EV_CLOSED, &ev);
        assert_int_equal(ev.reason, rns_link_is_initiator(to) ? RNS_LINK_CLOSE_DESTINATION_CLOSED
                                                              : RNS_LINK_CLOSE_INITIATOR_CLOSED);
        assert_int_equal(rns_link_state(to), RNS_LINK_CLOSED);
    } else {
        assert_true(strncmp(name, "KEEPALIVE", 9) == 0);
        return; /* keepalives raise no event */
    }
    rns_link_event_clear(&ev);
    expect_no_event(to);
}

static void check_link_packets(json_t *v)
{
    json_t *link = json_object_get(json_object_get(g_file, "links"), rt_str(v, "link"));
    struct pair pr = handshake(tu_vector(g_file, rt_str(link, "handshake_vector")));
    struct ctx c = {v, &pr, {0}};
    json_t *steps = json_object_get(v, "packets"), *step;
    ml_buf b = ML_BUF_INIT;
    rns_packet p;
    size_t i;

    tu_assert_hex(rns_link_id(pr.ini), 16, rt_str(v, "link_id"));
    json_array_foreach(steps, i, step) {
        int forward = strcmp(rt_str(step, "direction"), "initiator->responder") == 0;
        rns_link *from = forward ? pr.ini : pr.res, *to = forward ? pr.res : pr.ini;
        produce(&c, step, from, &p, &b);
        consume(&c, step, to, &p);
    }
    /* Nothing else was queued: the initiator (PROVE_NONE) sent no proof. */
    if (strcmp(rt_str(v, "name"), "link_data_with_proof") != 0)
        expect_no_packet(pr.ini);
    ml_buf_free(&b);
    pair_free(&pr);
}

static const tu_checker checkers[] = {
    {"link_handshake", check_handshake},
    {"linkrequest_transport", check_linkrequest_transport},
    {"link_packets", check_link_packets},
};

static void test_every_vector(void **state)
{
    (void)state;
    tu_check_vectors(g_file, checkers, sizeof checkers / sizeof checkers[0]);
}

/* ---- beyond the vectors ---------------------------------------------------------- */

static void test_signalling(void **state)
{
    (void)state;
    static const struct { uint32_t mtu; const char *hex; } cases[] = {
        {500, "2001f4"}, {1064, "200428"}, {8192, "202000"}, {262144, "240000"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t s[3];
        uint32_t mtu;
        unsigned mode;
        rns_link_signalling(s, cases[i].mtu, RNS_LINK_MODE_AES256_CBC);
        tu_assert_hex(s, 3, cases[i].hex);
        rns_link_parse_signalling(s, &mtu, &mode);
        assert_int_equal(mtu, cases[i].mtu);
        assert_int_equal(mode, RNS_LINK_MODE_AES256_CBC);
    }
    assert_int_equal(rns_link_mdu_for_mtu(500), 431);
    assert_int_equal(rns_link_mdu_for_mtu(8192), 8111);
}

/* Refused packets change nothing; bad requests are not accepted. */
static void test_refusals(void **state)
{
    (void)state;
    json_t *v = tu_vector(g_file, "link_handshake_mtu500");
    rns_link *ini = initiate(v, 500, NULL, T0), *res = NULL;
    rns_identity *bob = rt_identity(g_file, "bob");
    rns_link_accept_params ap = {bob, 500, 1, 0, rng_fn, &g_rng};
    ml_buf b = ML_BUF_INIT, lr = ML_BUF_INIT;
    rns_packet p, q;
    uint8_t big[432] = {0};

    assert_int_equal(rns_link_pop_packet(ini, &lr), 1);
    assert_int_equal(rns_packet_unpack(&p, lr.p, lr.len), 0);
    /* Mode 0 (AES-128) is not enabled; lengths other than 64/67 are malformed. */
    lr.p[lr.len - 3] = (uint8_t)(lr.p[lr.len - 3] & 0x1F);
    assert_int_equal(rns_link_accept(&res, &ap, &p, T0), ML_EUNSUPPORTED);
    lr.p[lr.len - 3] |= 0x20;
    q = p;
    q.data_len = 65;
    assert_int_equal(rns_link_accept(&res, &ap, &q, T0), ML_EMALFORMED);
    assert_null(res);
    assert_int_equal(rns_link_accept(&res, &ap, &p, T0 + STEP), 0);
    assert_int_equal(rns_link_pop_packet(res, &b), 1);
    assert_int_equal(rns_packet_unpack(&q, b.p, b.len), 0);
    /* A forged LRPROOF (one signature bit) leaves the initiator pending. */
    b.p[19] ^= 1;
    assert_int_equal(rns_link_receive(ini, &q, T0 + 2 * STEP), ML_EBADSIG);
    assert_int_equal(rns_link_state(ini), RNS_LINK_PENDING);
    b.p[19] ^= 1;
    /* Data before the handshake completes, and packets for other links, are refused. */
    assert_int_equal(rns_link_send(ini, RNS_CTX_NONE, big, 1, T0, NULL), ML_ESTATE);
    assert_int_equal(rns_link_receive(ini, &q, T0 + 2 * STEP), 0);
    assert_int_equal(rns_link_receive(ini, &q, T0 + 2 * STEP), ML_ESTATE);
    assert_int_equal(rns_link_send(ini, RNS_CTX_NONE, big, 432, T0, NULL), ML_ETOOBIG);
    assert_int_equal(rns_link_send(ini, RNS_CTX_NONE, big, 431, T0, NULL), 0);
    q.dest_hash[0] ^= 1;
    assert_int_equal(rns_link_receive(ini, &q, T0), ML_EINVAL);
    /* A tampered data packet does not decrypt and raises no event. */
    ml_buf_reset(&b);
    while (rns_link_pop_packet(ini, &b) == 1) {
        assert_int_equal(rns_packet_unpack(&q, b.p, b.len), 0);
        if (q.context == RNS_CTX_NONE) {
            b.p[b.len - 1] ^= 1;
            assert_int_equal(rns_link_receive(res, &q, T0 + 3 * STEP), ML_EAUTH);
        }
        ml_buf_reset(&b);
    }
    rns_link_event ev;
    while (rns_link_pop_event(ini, &ev))
        rns_link_event_clear(&ev);
    expect_no_event(res);
    ml_buf_free(&b);
    ml_buf_free(&lr);
    rns_link_free(ini);
    rns_link_free(res);
    rns_identity_free(bob);
}

/* Pending links time out; silent links go stale, then close with LINKCLOSE. */
static void test_timers(void **state)
{
    (void)state;
    json_t *v = tu_vector(g_file, "link_handshake_mtu500");
    rns_link *l = initiate(v, 500, NULL, T0);
    rns_link_event ev;
    ml_buf b = ML_BUF_INIT;

    assert_true(rns_link_deadline(l) > T0 && rns_link_deadline(l) <= T0 + 6.0);
    assert_int_equal(rns_link_tick(l, T0 + 1), 0);
    assert_int_equal(rns_link_state(l), RNS_LINK_PENDING);
    assert_int_equal(rns_link_tick(l, rns_link_deadline(l)), 0);
    expect_event(l, RNS_LINK_EV_CLOSED, &ev);
    assert_int_equal(ev.reason, RNS_LINK_CLOSE_TIMEOUT);
    rns_link_free(l);

    struct pair pr = handshake(v);
    double ka = rns_link_keepalive(pr.ini), now = pr.now;
    assert_true(fabs(ka - 0.0625 * 360 / 1.75) < 1e-9);
    /* Keepalives every interval while nothing comes back, then stale. */
    int pings = 0;
    while (rns_link_state(pr.ini) == RNS_LINK_ACTIVE) {
        now = rns_link_deadline(pr.ini);
        assert_int_equal(rns_link_tick(pr.ini, now), 0);
        while (rns_link_pop_packet(pr.ini, &b) == 1) {
            tu_assert_hex(b.p + b.len - 2, 2, "faff");
            pings++;
            ml_buf_reset(&b);
        }
    }
    assert_int_equal(pings, 1);
    assert_int_equal(rns_link_state(pr.ini), RNS_LINK_STALE);
    expect_event(pr.ini, RNS_LINK_EV_STALE, &ev);
    assert_int_equal(rns_link_tick(pr.ini, rns_link_deadline(pr.ini)), 0);
    assert_int_equal(rns_link_state(pr.ini), RNS_LINK_CLOSED);
    expect_event(pr.ini, RNS_LINK_EV_CLOSED, &ev);
    assert_int_equal(ev.reason, RNS_LINK_CLOSE_TIMEOUT);
    assert_int_equal(rns_link_pop_packet(pr.ini, &b), 1);
    rns_packet p;
    assert_int_equal(rns_packet_unpack(&p, b.p, b.len), 0);
    assert_int_equal(p.context, RNS_CTX_LINKCLOSE);
    assert_int_equal(rns_link_receive(pr.res, &p, now), 0);
    assert_int_equal(rns_link_state(pr.res), RNS_LINK_CLOSED);
    assert_int_equal(rns_link_send(pr.ini, RNS_CTX_NONE, b.p, 1, now, NULL), ML_ESTATE);
    ml_buf_free(&b);
    pair_free(&pr);
}

/* ---- read-outs, overrides and hooks ------------------------------------------------------ */

struct tapped {
    int calls, outbound;
    uint8_t context;
    ml_buf data;
};

static void tap_fn(void *ctx, const rns_link *l, int outbound, uint8_t packet_type,
                   uint8_t context, const uint8_t *data, size_t len)
{
    struct tapped *t = ctx;
    (void)l, (void)packet_type;
    t->calls++;
    t->outbound = outbound;
    t->context = context;
    if (!outbound) { /* what came in, in the clear */
        ml_buf_reset(&t->data);
        assert_int_equal(ml_buf_append(&t->data, data, len), 0);
    }
}

/* Feeds `to` what rns_link_pack built on `from` (the key is the same both ways). */
static int feed(rns_link *from, rns_link *to, uint8_t context, const void *pt, size_t len,
                double now)
{
    ml_buf raw = ML_BUF_INIT;
    rns_packet p;
    int ret;

    assert_int_equal(rns_link_pack(from, context, pt, len, &raw), 0);
    assert_int_equal(rns_packet_unpack(&p, raw.p, raw.len), 0);
    ret = rns_link_receive(to, &p, now);
    ml_buf_free(&raw);
    return ret;
}

static void drain(rns_link *l)
{
    rns_link_event ev;
    ml_buf b = ML_BUF_INIT;
    while (rns_link_pop_event(l, &ev))
        rns_link_event_clear(&ev);
    while (rns_link_pop_packet(l, &b) == 1)
        ml_buf_reset(&b);
    ml_buf_free(&b);
}

/* Watchdog times and overrides, keepalive answers, crafted packets, key purge. */
static void test_hooks(void **state)
{
    (void)state;
    json_t *v = tu_vector(g_file, "link_handshake_mtu500");
    struct pair pr = handshake(v);
    rns_link_timers ti, tr, t2;
    rns_link_keys k;
    rns_link_event ev;
    struct tapped tap = {0, 0, 0, ML_BUF_INIT};
    ml_buf b = ML_BUF_INIT;
    rns_packet p;
    uint8_t xpub[32], spub[32], wrong[16] = {0};
    double now = pr.now + 1;

    drain(pr.ini);
    drain(pr.res);
    rns_link_get_timers(pr.ini, &ti);
    rns_link_get_timers(pr.res, &tr);
    assert_true(fabs(ti.establishment_timeout - 6.0) < 1e-9);
    assert_true(fabs(tr.establishment_timeout - (6.0 + 360.0)) < 1e-9);
    assert_true(ti.stale_time == 2 * ti.keepalive && ti.keepalive == rns_link_keepalive(pr.ini));
    assert_true(ti.last_keepalive == 0 && ti.last_inbound > 0);
    assert_true(fabs(rns_link_request_timeout(pr.ini) - (rns_link_rtt(pr.ini) * 6 + 11.25)) < 1e-9);

    /* A ping is answered at once with a pong; it refreshes last_inbound only. */
    rns_link_set_tap(pr.res, tap_fn, &tap);
    assert_int_equal(feed(pr.ini, pr.res, RNS_CTX_KEEPALIVE, "\xff", 1, now), 0);
    assert_int_equal(rns_link_pop_packet(pr.res, &b), 1);
    tu_assert_hex(b.p + b.len - 2, 2, "fafe");
    assert_true(tap.calls == 2 && tap.outbound && tap.context == RNS_CTX_KEEPALIVE); /* in, out */
    rns_link_get_timers(pr.res, &t2);
    assert_true(t2.last_inbound == now && t2.last_data == tr.last_data && t2.last_keepalive == now);
    /* The initiator's own ping coming back changes nothing. */
    assert_int_equal(feed(pr.res, pr.ini, RNS_CTX_KEEPALIVE, "\xff", 1, now), 0);
    rns_link_get_timers(pr.ini, &t2);
    assert_true(t2.last_inbound == ti.last_inbound);
    expect_no_packet(pr.ini);

    /* Crafted data reaches the application; the tap sees it in the clear. */
    assert_int_equal(feed(pr.ini, pr.res, RNS_CTX_NONE, "hello", 5, now), 0);
    expect_event(pr.res, RNS_LINK_EV_DATA, &ev);
    tu_assert_hex(ev.data.p, ev.data.len, "68656c6c6f");
    rns_link_event_clear(&ev);
    tu_assert_hex(tap.data.p, tap.data.len, "68656c6c6f");
    drain(pr.res);

    /* Watchdog override: the deadline follows; bad values are refused. */
    assert_int_equal(rns_link_set_watchdog(pr.ini, 1.0, 3.0), 0);
    assert_true(rns_link_deadline(pr.ini) <= now + 1.0);
    assert_int_equal(rns_link_set_watchdog(pr.ini, -1.0, 0), ML_EINVAL);
    rns_link_get_timers(pr.ini, &t2);
    assert_true(t2.keepalive == 1.0 && t2.stale_time == 3.0);

    /* Phy figures only while tracking. */
    double r, sn, q;
    rns_link_set_phy_stats(pr.ini, -42, 7, 83);
    assert_int_equal(rns_link_phy_stats(pr.ini, &r, &sn, &q), ML_ENOTFOUND);
    rns_link_track_phy_stats(pr.ini, 1);
    rns_link_set_phy_stats(pr.ini, -42, 7, 83);
    assert_int_equal(rns_link_phy_stats(pr.ini, &r, &sn, &q), 0);
    assert_true(r == -42 && sn == 7 && q == 83);
    rns_link_track_phy_stats(pr.ini, 0);
    assert_int_equal(rns_link_phy_stats(pr.ini, &r, &sn, &q), ML_ENOTFOUND);

    /* LINKCLOSE naming another link is refused; the right id closes. */
    assert_int_equal(feed(pr.ini, pr.res, RNS_CTX_LINKCLOSE, wrong, 16, now), ML_EBADID);
    assert_int_equal(rns_link_state(pr.res), RNS_LINK_ACTIVE);
    rns_link_key_state(pr.res, &k);
    assert_true(k.prv && k.pub && k.shared && k.derived);
    assert_int_equal(rns_link_ephemeral_keys(pr.ini, xpub, spub), 0);
    assert_int_equal(rns_link_ephemeral_keys(pr.res, xpub, spub), 0);
    assert_int_equal(feed(pr.ini, pr.res, RNS_CTX_LINKCLOSE, rns_link_id(pr.res), 16, now), 0);
    assert_int_equal(rns_link_state(pr.res), RNS_LINK_CLOSED);
    rns_link_key_state(pr.res, &k);
    assert_true(!k.prv && !k.pub && !k.shared && !k.derived);
    assert_int_equal(rns_link_ephemeral_keys(pr.res, xpub, spub), ML_ESTATE);
    assert_int_equal(rns_link_pack(pr.res, RNS_CTX_NONE, (const uint8_t *)"x", 1, &b), ML_ESTATE);
    /* A closed link takes nothing, not even a packet made while it was up. */
    ml_buf_reset(&b);
    assert_int_equal(rns_link_pack(pr.ini, RNS_CTX_NONE, (const uint8_t *)"late", 4, &b), 0);
    assert_int_equal(rns_packet_unpack(&p, b.p, b.len), 0);
    assert_int_equal(rns_link_receive(pr.res, &p, now), ML_ESTATE);
    ml_buf_free(&b);
    ml_buf_free(&tap.data);
    pair_free(&pr);
}

/* An LRPROOF in another link mode ends the attempt; links go to SINGLE only. */
static void test_lrproof_mode_and_dest_type(void **state)
{
    (void)state;
    json_t *v = tu_vector(g_file, "link_handshake_mtu500");
    rns_link *ini = initiate(v, 500, NULL, T0), *res = NULL, *l = NULL;
    rns_identity *bob = rt_identity(g_file, "bob");
    rns_link_accept_params ap = {bob, 500, 1, 0, rng_fn, &g_rng};
    rns_link_initiate_params ip;
    ml_buf b = ML_BUF_INIT, lr = ML_BUF_INIT;
    rns_link_event ev;
    rns_packet p, q;

    assert_int_equal(rns_link_pop_packet(ini, &lr), 1);
    assert_int_equal(rns_packet_unpack(&p, lr.p, lr.len), 0);
    assert_int_equal(rns_link_accept(&res, &ap, &p, T0 + STEP), 0);
    assert_int_equal(rns_link_pop_packet(res, &b), 1);
    assert_int_equal(rns_packet_unpack(&q, b.p, b.len), 0);
    assert_int_equal(q.data_len, 99);
    b.p[b.len - 3] = (uint8_t)((b.p[b.len - 3] & 0x1F) | (2 << 5));
    assert_int_equal(rns_link_receive(ini, &q, T0 + 2 * STEP), ML_EUNSUPPORTED);
    assert_int_equal(rns_link_state(ini), RNS_LINK_CLOSED);
    expect_event(ini, RNS_LINK_EV_CLOSED, &ev);
    expect_no_packet(ini);

    memset(&ip, 0, sizeof ip);
    ip.dest_hash = rns_link_id(ini);
    ip.dest_identity = bob;
    ip.rng = rng_fn;
    ip.rng_ctx = &g_rng;
    ip.dest_type = RNS_DEST_PLAIN;
    assert_int_equal(rns_link_initiate(&l, &ip, T0), ML_EINVAL);
    assert_null(l);
    ip.dest_type = RNS_DEST_GROUP;
    assert_int_equal(rns_link_initiate(&l, &ip, T0), ML_EINVAL);
    ip.dest_type = RNS_DEST_SINGLE;
    assert_int_equal(rns_link_initiate(&l, &ip, T0), 0);
    assert_true(rns_link_mode_enabled(RNS_LINK_MODE_AES256_CBC) && !rns_link_mode_enabled(0) &&
                !rns_link_mode_enabled(2) && rns_link_mode(l) == RNS_LINK_MODE_AES256_CBC);
    rns_link_free(l);
    drain(res);
    ml_buf_free(&b);
    ml_buf_free(&lr);
    rns_link_free(ini);
    rns_link_free(res);
    rns_identity_free(bob);
}

static int setup(void **state)
{
    (void)state;
    g_file = tu_load_vectors("vectors/rns/links.json");
    g_rng.state = tu_seed();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    json_decref(g_file);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_vector),
        cmocka_unit_test(test_signalling),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_timers),
        cmocka_unit_test(test_hooks),
        cmocka_unit_test(test_lrproof_mode_and_dest_type),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
