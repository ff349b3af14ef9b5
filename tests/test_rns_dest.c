// SPDX-License-Identifier: MIT
// Destination objects (rns_dest.h): constructor guards and the generated
// identity, proof strategies, default app data, announces (refusals, the
// path-response cache), request handlers, ratchets (rotation gate, retention,
// the signed ratchet file and a tampered one, decryption with and without
// enforcement); the transport core with a ratcheted destination (the peer
// adopts the ratchet, encrypts to it, and the destination decrypts with it;
// the golden ratchet announce without app data recalls as present-but-empty);
// key-less identities; Packet.pack's HEADER_2 refusals.
#include "rns_testutil.h"

#include <stdio.h>
#include <unistd.h>

#include "meshlog/crypto.h"
#include "meshlog/rns_announce.h"
#include "meshlog/rns_dest.h"
#include "meshlog/rns_transport.h"

static uint64_t g_rs = 0x5eed;

static int rng(void *ctx, void *out, size_t len)
{
    uint64_t *s = ctx ? ctx : &g_rs;
    uint8_t *o = out;
    for (size_t i = 0; i < len; i++)
        o[i] = (uint8_t)(tu_rand(s) >> 56);
    return 0;
}

static const char *const g_aspects[] = {"hooks", "abcd"};

static rns_identity *make_identity(void)
{
    uint8_t priv[64];
    rns_identity *id = NULL;
    rng(NULL, priv, sizeof priv);
    assert_int_equal(rns_identity_from_private(&id, priv), 0);
    return id;
}

static rns_dest *make(const rns_identity *id, int dir, int type)
{
    rns_dest_config dc = {id, dir, type, "lxmf", g_aspects, 2, rng, NULL};
    rns_dest *d = NULL;
    assert_int_equal(rns_dest_new(&d, &dc), 0);
    return d;
}

static void test_constructor(void **state)
{
    rns_identity *id = make_identity();
    rns_dest_config dc = {NULL, RNS_DEST_IN, RNS_DEST_SINGLE, "lxmf", g_aspects, 2, rng, NULL};
    const char *with_auto[3] = {"hooks", "abcd", NULL};
    char hex[33], name[128];
    uint8_t nh[RNS_NAME_HASHLEN], h[RNS_HASHLEN];
    rns_dest *d = NULL;

    (void)state;
    /* IN SINGLE without identity: one is made and its hash is an aspect */
    assert_int_equal(rns_dest_new(&d, &dc), 0);
    assert_true(rns_dest_identity_generated(d));
    ml_hex(hex, rns_identity_hash(rns_dest_identity(d)), RNS_HASHLEN);
    with_auto[2] = hex;
    assert_int_equal(rns_name_hash(nh, "lxmf", with_auto, 3), 0);
    assert_memory_equal(rns_dest_name_hash(d), nh, sizeof nh);
    snprintf(name, sizeof name, "lxmf.hooks.abcd.%s.%s", hex, hex);
    assert_string_equal(rns_dest_name(d), name);
    assert_int_equal(rns_dest_proof_strategy(d), RNS_DEST_PROVE_NONE);
    rns_dest_free(d);

    /* guards */
    dc.direction = RNS_DEST_OUT;
    assert_int_equal(rns_dest_new(&d, &dc), ML_EINVAL);        /* OUT without identity */
    dc.type = RNS_DEST_PLAIN;
    dc.identity = id;
    assert_int_equal(rns_dest_new(&d, &dc), ML_EINVAL);        /* PLAIN with identity */
    dc.identity = NULL;
    assert_int_equal(rns_dest_new(&d, &dc), 0);                /* PLAIN without: fine */
    assert_null(rns_dest_identity(d));
    assert_string_equal(rns_dest_name(d), "lxmf.hooks.abcd");
    rns_dest_free(d);
    dc.type = 0x99;
    assert_int_equal(rns_dest_new(&d, &dc), ML_EINVAL);
    dc.type = RNS_DEST_SINGLE;
    dc.direction = 0x99;
    assert_int_equal(rns_dest_new(&d, &dc), ML_EINVAL);
    dc.direction = RNS_DEST_IN;
    dc.app_name = "a.b";
    assert_int_equal(rns_dest_new(&d, &dc), ML_EINVAL);

    /* with an identity: the hash the naming functions give */
    d = make(id, RNS_DEST_OUT, RNS_DEST_SINGLE);
    assert_int_equal(rns_destination_hash_for(h, NULL, RNS_DEST_SINGLE, "lxmf", g_aspects, 2, id),
                     0);
    assert_memory_equal(rns_dest_hash(d), h, sizeof h);
    assert_int_equal(rns_dest_direction(d), RNS_DEST_OUT);
    rns_dest_free(d);
    rns_identity_free(id);
}

static void test_proof_and_handlers(void **state)
{
    rns_dest *d = make(NULL, RNS_DEST_IN, RNS_DEST_SINGLE);

    (void)state;
    for (int s = RNS_DEST_PROVE_NONE; s <= RNS_DEST_PROVE_ALL; s++) {
        assert_int_equal(rns_dest_set_proof_strategy(d, s), 0);
        assert_int_equal(rns_dest_proof_strategy(d), s);
    }
    assert_int_equal(rns_dest_set_proof_strategy(d, 0x99), ML_EINVAL);
    assert_int_equal(rns_dest_proof_strategy(d), RNS_DEST_PROVE_ALL);
    rns_dest_free(d);
}

static int echo(void *ctx, const rns_dest_request *rq, ml_buf *out)
{
    (*(int *)ctx)++;
    return ml_buf_append(out, rq->data, rq->data_len) ? ML_ENOMEM : 1;
}

static void test_request_handlers(void **state)
{
    rns_dest *d = make(NULL, RNS_DEST_IN, RNS_DEST_SINGLE);
    uint8_t who[1][16] = {{1, 2, 3}}, other[16] = {9}, ph[RNS_HASHLEN];
    rns_dest_request rq = {NULL, (const uint8_t *)"q", 1, NULL, NULL, NULL, 0};
    ml_buf out = ML_BUF_INIT;
    int calls = 0;

    (void)state;
    assert_int_equal(rns_dest_register_request_handler(d, "", echo, &calls, 1, NULL, 0), ML_EINVAL);
    assert_int_equal(rns_dest_register_request_handler(d, "/e", NULL, NULL, 1, NULL, 0), ML_EINVAL);
    assert_int_equal(rns_dest_register_request_handler(d, "/e", echo, &calls, 0x99, NULL, 0),
                     ML_EINVAL);
    assert_int_equal(rns_dest_request_handler_count(d), 0);
    assert_int_equal(rns_dest_register_request_handler(d, "/e", echo, &calls, RNS_DEST_ALLOW_ALL,
                                                       NULL, 0), 0);
    assert_int_equal(rns_dest_register_request_handler(d, "/l", echo, &calls, RNS_DEST_ALLOW_LIST,
                                                       (const uint8_t(*)[16])who, 1), 0);
    assert_int_equal(rns_dest_request_handler_count(d), 2);
    rns_truncated_hash(ph, "/e", 2);
    assert_int_equal(rns_dest_handle_request(d, ph, &rq, &out), 1);
    assert_int_equal(out.len, 1);
    /* the list admits only identified peers on it */
    rns_truncated_hash(ph, "/l", 2);
    ml_buf_reset(&out);
    assert_int_equal(rns_dest_handle_request(d, ph, &rq, &out), 0);
    rq.remote_identity_hash = other;
    assert_int_equal(rns_dest_handle_request(d, ph, &rq, &out), 0);
    rq.remote_identity_hash = who[0];
    assert_int_equal(rns_dest_handle_request(d, ph, &rq, &out), 1);
    assert_int_equal(calls, 2);
    assert_int_equal(rns_dest_deregister_request_handler(d, "/e"), 1);
    assert_int_equal(rns_dest_deregister_request_handler(d, "/e"), 0);
    assert_int_equal(rns_dest_request_handler_count(d), 1);
    ml_buf_free(&out);
    rns_dest_free(d);
}

/* App data of an announce packet, or NULL. */
static const uint8_t *announced_app(const ml_buf *pkt, size_t *len, rns_announce *a)
{
    rns_packet p;
    assert_int_equal(rns_packet_unpack(&p, pkt->p, pkt->len), 0);
    assert_int_equal(rns_announce_validate(a, &p, NULL, NULL), 0);
    *len = a->app_data_len;
    return a->app_data;
}

static int def_fn(void *ctx, ml_buf *out)
{
    return ml_buf_puts(out, ctx);
}

static void test_announce_and_default_app_data(void **state)
{
    rns_dest *d = make(NULL, RNS_DEST_IN, RNS_DEST_SINGLE);
    rns_dest_announce_opts o = {.now = 1767225600.0};
    ml_buf pkt = ML_BUF_INIT;
    rns_announce a;
    size_t len;

    (void)state;
    assert_int_equal(rns_dest_announce(d, &pkt, &o), 0);
    assert_null(announced_app(&pkt, &len, &a));
    assert_false(rns_dest_has_default_app_data(d));
    assert_int_equal(rns_dest_set_default_app_data(d, (const uint8_t *)"dflt", 4), 0);
    ml_buf_reset(&pkt);
    assert_int_equal(rns_dest_announce(d, &pkt, &o), 0);
    assert_memory_equal(announced_app(&pkt, &len, &a), "dflt", 4);
    assert_int_equal(rns_dest_set_default_app_data_fn(d, def_fn, "fromfn"), 0);
    ml_buf_reset(&pkt);
    assert_int_equal(rns_dest_announce(d, &pkt, &o), 0);
    assert_memory_equal(announced_app(&pkt, &len, &a), "fromfn", 6);
    o.app_data = (const uint8_t *)"given";
    o.app_data_len = 5;
    ml_buf_reset(&pkt);
    assert_int_equal(rns_dest_announce(d, &pkt, &o), 0);
    assert_memory_equal(announced_app(&pkt, &len, &a), "given", 5);
    assert_int_equal(a.emitted, 1767225600);
    rns_dest_free(d);

    /* only IN SINGLE destinations announce */
    d = make(NULL, RNS_DEST_IN, RNS_DEST_GROUP);
    assert_int_equal(rns_dest_announce(d, &pkt, &o), ML_EINVAL);
    rns_dest_free(d);
    d = make(NULL, RNS_DEST_IN, RNS_DEST_PLAIN);
    assert_int_equal(rns_dest_announce(d, &pkt, &o), ML_EINVAL);
    rns_dest_free(d);
    {
        rns_identity *id = make_identity();
        d = make(id, RNS_DEST_OUT, RNS_DEST_SINGLE);
        assert_int_equal(rns_dest_announce(d, &pkt, &o), ML_ESTATE);
        rns_dest_free(d);
        rns_identity_free(id);
    }
    ml_buf_free(&pkt);
}

static void test_path_response_cache(void **state)
{
    rns_dest *d = make(NULL, RNS_DEST_IN, RNS_DEST_SINGLE);
    const uint8_t tag[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    rns_dest_announce_opts o = {.path_response = 1, .tag = tag, .tag_len = 8, .now = 1e6};
    ml_buf a1 = ML_BUF_INIT, a2 = ML_BUF_INIT, a3 = ML_BUF_INIT;
    rns_packet p;

    (void)state;
    assert_int_equal(rns_dest_announce(d, &a1, &o), 0);
    o.now += 10;
    assert_int_equal(rns_dest_announce(d, &a2, &o), 0);
    assert_int_equal(a1.len, a2.len);
    assert_memory_equal(a1.p, a2.p, a1.len);    /* reused within the window */
    assert_int_equal(rns_packet_unpack(&p, a1.p, a1.len), 0);
    assert_int_equal(p.context, RNS_CTX_PATH_RESPONSE);
    assert_int_equal(rns_dest_path_response_cache_size(d), 1);
    o.now += RNS_DEST_PR_TAG_WINDOW + 1;
    assert_int_equal(rns_dest_announce(d, &a3, &o), 0);
    assert_false(a1.len == a3.len && memcmp(a1.p, a3.p, a1.len) == 0);
    ml_buf_free(&a1);
    ml_buf_free(&a2);
    ml_buf_free(&a3);
    rns_dest_free(d);
}

static void test_ratchets(void **state)
{
    rns_dest *d = make(NULL, RNS_DEST_IN, RNS_DEST_SINGLE), *other;
    rns_dest_announce_opts o = {.now = 1767225600.0};
    uint8_t id0[RNS_RATCHET_ID_LEN], id1[RNS_RATCHET_ID_LEN], pub[32], rid[RNS_RATCHET_ID_LEN];
    ml_buf pkt = ML_BUF_INIT, ct = ML_BUF_INIT, pt = ML_BUF_INIT, file = ML_BUF_INIT;
    char path[512];
    rns_announce a;
    size_t len;
    int rotated;
    FILE *f;

    (void)state;
    assert_int_equal(rns_dest_rotate_ratchets(d, o.now, NULL), ML_ESTATE);
    assert_int_equal(rns_dest_enforce_ratchets(d), ML_ESTATE);
    snprintf(path, sizeof path, "%s/ratchets", tu_tmpdir());
    assert_int_equal(rns_dest_enable_ratchets(d, path), 0);
    assert_int_equal(access(path, F_OK), 0);        /* an empty, signed file */
    assert_int_equal(rns_dest_ratchet_count(d), 0);
    assert_int_equal(rns_dest_latest_ratchet_id(d, rid), 0);

    /* the first announce rotates and carries the newest ratchet */
    assert_int_equal(rns_dest_announce(d, &pkt, &o), 0);
    assert_int_equal(rns_dest_ratchet_count(d), 1);
    assert_null(announced_app(&pkt, &len, &a));
    assert_non_null(a.ratchet);
    assert_int_equal(rns_dest_ratchet_public(d, 0, pub), 0);
    assert_memory_equal(a.ratchet, pub, 32);
    assert_int_equal(rns_dest_ratchet_id_at(d, 0, id0), 0);

    /* the gate: nothing before the interval, one after */
    assert_int_equal(rns_dest_set_ratchet_interval(d, 0), ML_EINVAL);
    assert_int_equal(rns_dest_set_ratchet_interval(d, 100), 0);
    assert_int_equal(rns_dest_rotate_ratchets(d, o.now + 50, &rotated), 0);
    assert_false(rotated);
    assert_int_equal(rns_dest_rotate_ratchets(d, o.now + 101, &rotated), 0);
    assert_true(rotated);
    assert_int_equal(rns_dest_ratchet_count(d), 2);
    assert_int_equal(rns_dest_ratchet_id_at(d, 1, id1), 0);
    assert_memory_equal(id1, id0, sizeof id0);      /* the old current is now previous */

    /* encrypt picks the announced ratchet; decrypt finds it and records its id */
    assert_int_equal(rns_dest_encrypt(d, &ct, (const uint8_t *)"hello", 5, NULL), 0);
    assert_int_equal(rns_dest_latest_ratchet_id(d, rid), 1);
    assert_memory_equal(rid, id0, sizeof rid);
    rns_dest_clear_latest_ratchet_id(d);
    assert_int_equal(rns_dest_decrypt(d, &pt, ct.p, ct.len), 0);
    assert_memory_equal(pt.p, "hello", 5);
    assert_int_equal(rns_dest_latest_ratchet_id(d, rid), 1);
    assert_memory_equal(rid, id0, sizeof rid);

    /* to the base key: opens, with no ratchet id; refused once enforced */
    {
        uint8_t eph[32], iv[16];
        rng(NULL, eph, 32);
        rng(NULL, iv, 16);
        ml_buf_reset(&ct);
        assert_int_equal(rns_identity_encrypt(rns_dest_identity(d), &ct, (const uint8_t *)"x", 1,
                                              NULL, eph, iv), 0);
    }
    ml_buf_reset(&pt);
    assert_int_equal(rns_dest_decrypt(d, &pt, ct.p, ct.len), 0);
    assert_int_equal(rns_dest_latest_ratchet_id(d, rid), 0);
    assert_int_equal(rns_dest_enforce_ratchets(d), 0);
    ml_buf_reset(&pt);
    assert_int_equal(rns_dest_decrypt(d, &pt, ct.p, ct.len), ML_EAUTH);

    /* the file round trip: the same list comes back */
    assert_int_equal(rns_dest_ratchets_persist(d), 0);
    assert_int_equal(rns_dest_set_retained_ratchets(d, 1), 0);
    assert_int_equal(rns_dest_ratchet_count(d), 1);
    assert_int_equal(rns_dest_ratchets_reload(d), 0);
    assert_int_equal(rns_dest_ratchet_count(d), 2);
    assert_int_equal(rns_dest_ratchet_id_at(d, 1, rid), 0);
    assert_memory_equal(rid, id0, sizeof rid);

    /* another identity cannot load it: the signature is not its own */
    other = make(NULL, RNS_DEST_IN, RNS_DEST_SINGLE);
    assert_int_equal(rns_dest_enable_ratchets(other, path), ML_EBADSIG);
    assert_false(rns_dest_ratchets_enabled(other));
    /* a flipped byte is refused too */
    assert_int_equal(rns_dest_ratchets_encode(d, &file), 0);
    file.p[file.len - 1] ^= 1;
    assert_int_equal(rns_dest_ratchets_decode(d, file.p, file.len), ML_EBADSIG);
    assert_int_equal(rns_dest_ratchets_decode(d, file.p, file.len / 2), ML_EMALFORMED);
    assert_int_equal(rns_dest_ratchet_count(d), 2);
    assert_non_null(f = fopen(path, "wb"));
    fputs("junk", f);
    fclose(f);
    assert_int_equal(rns_dest_ratchets_reload(d), ML_EMALFORMED);
    rns_dest_free(other);
    ml_buf_free(&pkt);
    ml_buf_free(&ct);
    ml_buf_free(&pt);
    ml_buf_free(&file);
    rns_dest_free(d);
}

/* Every truncation and every single-bit flip of a ratchet file is refused
 * with an error and leaves the ratchets as they were; random bytes too. */
static void test_ratchet_file_damage(void **state)
{
    rns_dest *d = make(NULL, RNS_DEST_IN, RNS_DEST_SINGLE);
    ml_buf file = ML_BUF_INIT;
    uint8_t id0[RNS_RATCHET_ID_LEN], id[RNS_RATCHET_ID_LEN], junk[300];
    uint64_t rs = tu_seed();
    int rotated;

    (void)state;
    assert_int_equal(rns_dest_ratchets_decode(d, (const uint8_t *)"\x80", 1), ML_ESTATE);
    assert_int_equal(rns_dest_enable_ratchets_volatile(d), 0);
    for (int i = 0; i < 3; i++) {
        rns_dest_set_latest_ratchet_time(d, 0);
        assert_int_equal(rns_dest_rotate_ratchets(d, 1e9, &rotated), 0);
        assert_true(rotated);
    }
    assert_int_equal(rns_dest_ratchet_id_at(d, 0, id0), 0);
    assert_int_equal(rns_dest_ratchets_encode(d, &file), 0);
    assert_int_equal(rns_dest_ratchets_persist(d), ML_ESTATE);   /* volatile: no file */
    for (size_t n = 0; n < file.len; n++)
        assert_true(rns_dest_ratchets_decode(d, file.p, n) < 0);
    for (size_t bit = 0; bit < file.len * 8; bit++) {
        file.p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_true(rns_dest_ratchets_decode(d, file.p, file.len) < 0);
        file.p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    for (int i = 0; i < 200; i++) {
        size_t n = (size_t)tu_rand_below(&rs, sizeof junk);
        rng(&rs, junk, n);
        assert_true(rns_dest_ratchets_decode(d, junk, n) < 0);
    }
    assert_int_equal(rns_dest_ratchet_count(d), 3);
    assert_int_equal(rns_dest_ratchet_id_at(d, 0, id), 0);
    assert_memory_equal(id, id0, sizeof id);
    assert_int_equal(rns_dest_ratchets_decode(d, file.p, file.len), 0);
    assert_int_equal(rns_dest_ratchet_count(d), 3);
    ml_buf_free(&file);
    rns_dest_free(d);
}

/* ---- the core with a ratcheted destination ---------------------------------------- */

typedef struct core {
    rns_transport *t;
    uint64_t rs;
    int ifc;
} core;

static void core_init(core *c, uint64_t seed)
{
    rns_transport_config cfg = {rng, &c->rs, NULL, NULL};
    rns_iface_props ip = {"mem", 500, 0, 0, NULL};

    memset(c, 0, sizeof *c);
    c->rs = seed;
    assert_int_equal(rns_transport_new(&c->t, &cfg), 0);
    assert_int_equal(rns_transport_add_iface(c->t, &ip, &c->ifc), 0);
}

static void move(core *from, core *to, double now)
{
    ml_buf pkt = ML_BUF_INIT;
    int ifc;

    while (rns_transport_pop_output(from->t, &ifc, &pkt) == 1) {
        assert_int_equal(rns_transport_inbound(to->t, to->ifc, pkt.p, pkt.len, now), 0);
        ml_buf_reset(&pkt);
    }
    ml_buf_free(&pkt);
}

static rns_tev pop_event(core *c, enum rns_tev_type type)
{
    rns_tev ev, found;
    int got = 0;

    memset(&found, 0, sizeof found);
    while (rns_transport_pop_event(c->t, &ev) == 1) {
        if (!got && ev.type == type) {
            found = ev;
            got = 1;
        } else {
            rns_tev_clear(&ev);
        }
    }
    assert_true(got);
    return found;
}

static void test_core_ratchets(void **state)
{
    core a, b;
    rns_identity *id = make_identity();
    rns_dest_params dp = {id, "meshlogtest", g_aspects, 2, RNS_PROVE_NONE, 1, NULL, 0};
    uint8_t dest[RNS_HASHLEN], pub[RNS_KEYSIZE], rpub[32], mine[32], rid[RNS_RATCHET_ID_LEN];
    uint8_t cur[RNS_RATCHET_ID_LEN];
    const uint8_t *app;
    size_t app_len;
    char path[512];
    double now = 1767225600.0;
    rns_dest *d;
    rns_tev ev;

    (void)state;
    core_init(&a, 11);
    core_init(&b, 22);
    assert_int_equal(rns_transport_register(a.t, &dp, dest), 0);
    assert_non_null(d = rns_transport_dest(a.t, dest));
    assert_null(rns_transport_dest(a.t, (const uint8_t *)"0123456789abcdef"));
    snprintf(path, sizeof path, "%s/core-ratchets", tu_tmpdir());
    assert_int_equal(rns_dest_enable_ratchets(d, path), 0);
    assert_int_equal(rns_transport_announce(a.t, dest, now), 0);
    move(&a, &b, now);

    /* B adopted the ratchet A announced, and recalls app data as present-but-empty */
    ev = pop_event(&b, RNS_TEV_ANNOUNCE);
    assert_true(ev.has_app_data);
    assert_int_equal(ev.data.len, 0);
    rns_tev_clear(&ev);
    assert_int_equal(rns_transport_recall(b.t, dest, pub, &app, &app_len), 0);
    assert_non_null(app);
    assert_int_equal(app_len, 0);
    assert_int_equal(rns_transport_recall_ratchet(b.t, dest, rpub), 0);
    assert_int_equal(rns_dest_ratchet_public(d, 0, mine), 0);
    assert_memory_equal(rpub, mine, 32);
    assert_int_equal(rns_transport_recall_ratchet(b.t, (const uint8_t *)"0123456789abcdef", rpub),
                     ML_ENOTFOUND);

    /* a single packet from B is encrypted to the ratchet; A opens it with it,
     * even with the base key refused */
    assert_int_equal(rns_dest_enforce_ratchets(d), 0);
    assert_int_equal(rns_transport_send(b.t, dest, (const uint8_t *)"fs", 2, now, NULL), 0);
    move(&b, &a, now);
    ev = pop_event(&a, RNS_TEV_DATA);
    assert_int_equal(ev.data.len, 2);
    assert_memory_equal(ev.data.p, "fs", 2);
    rns_tev_clear(&ev);
    assert_int_equal(rns_dest_latest_ratchet_id(d, rid), 1);
    assert_int_equal(rns_dest_ratchet_id_at(d, 0, cur), 0);
    assert_memory_equal(rid, cur, sizeof rid);

    /* a newer announce after a rotation replaces the adopted ratchet */
    rns_dest_set_latest_ratchet_time(d, 0);
    assert_int_equal(rns_transport_announce(a.t, dest, now + 1), 0);
    move(&a, &b, now + 1);
    assert_int_equal(rns_transport_recall_ratchet(b.t, dest, rpub), 0);
    assert_int_equal(rns_dest_ratchet_public(d, 0, mine), 0);
    assert_memory_equal(rpub, mine, 32);
    assert_int_equal(rns_dest_ratchet_count(d), 2);

    rns_transport_free(a.t);
    rns_transport_free(b.t);
    rns_identity_free(id);
}

/* The golden ratchet announce without app data (RNS 1.4.2): parsed, it has
 * none; recorded by the core, it is present and empty, as the reference's
 * Identity.recall gives b"". The ratchetless one stays none. */
static void test_core_golden_app_data(void **state)
{
    json_t *file = tu_load_vectors("vectors/rns/announces.json");
    const char *names[2] = {"announce_ratchet_no_app_data", "announce_no_app_data"};
    const uint8_t *app;
    size_t len, app_len;
    uint8_t *raw;
    rns_packet p;
    rns_announce a;
    core c;

    (void)state;
    for (int i = 0; i < 2; i++) {
        json_t *v = tu_vector(file, names[i]);
        uint8_t dest[RNS_HASHLEN];

        core_init(&c, 33);
        raw = rt_hex(v, "raw", &len);
        assert_int_equal(rns_packet_unpack(&p, raw, len), 0);
        assert_int_equal(rns_announce_parse(&a, &p), 0);
        assert_null(a.app_data);
        memcpy(dest, p.dest_hash, RNS_HASHLEN);
        assert_int_equal(rns_transport_inbound(c.t, c.ifc, raw, len, 1767225900.0), 0);
        assert_int_equal(rns_transport_recall(c.t, dest, NULL, &app, &app_len), 0);
        if (i == 0) {
            assert_non_null(app);
            assert_int_equal(app_len, 0);
            assert_int_equal(rns_transport_recall_ratchet(c.t, dest, (uint8_t[32]){0}), 0);
        } else {
            assert_null(app);
        }
        free(raw);
        rns_transport_free(c.t);
    }
    json_decref(file);
}

static void test_keyless_identity(void **state)
{
    rns_identity *id = NULL;
    uint8_t sig[RNS_SIGLEN] = {0}, eph[32] = {1}, iv[16] = {2}, data[80] = {0};
    ml_buf out = ML_BUF_INIT;

    (void)state;
    assert_int_equal(rns_identity_new_keyless(&id), 0);
    assert_false(rns_identity_has_public(id));
    assert_false(rns_identity_has_private(id));
    assert_int_equal(rns_identity_sign(id, sig, data, sizeof data), ML_ESTATE);
    assert_int_equal(rns_identity_decrypt(id, &out, data, sizeof data, NULL, 0, 0, NULL),
                     ML_ESTATE);
    assert_int_equal(rns_identity_encrypt(id, &out, data, 4, NULL, eph, iv), ML_ESTATE);
    assert_int_equal(rns_identity_verify(id, sig, data, 4), ML_ESTATE);
    assert_int_equal(out.len, 0);
    rns_identity_free(id);
}

static void test_header2_origin(void **state)
{
    rns_packet p;
    ml_buf out = ML_BUF_INIT;
    const char *why = NULL;
    rns_packet q;

    (void)state;
    memset(&p, 0, sizeof p);
    p.header_type = RNS_HEADER_2;
    p.transport_type = RNS_TRANSPORT_TRANSPORT;
    p.packet_type = RNS_PACKET_ANNOUNCE;
    p.data = (const uint8_t *)"\0";
    p.data_len = 1;
    memset(p.transport_id, 0xab, RNS_HASHLEN);
    assert_int_equal(rns_packet_pack_origin(&out, &p, 0, &why), ML_EINVAL);
    assert_string_equal(why, "Packet with header type 2 must have a transport ID");
    assert_int_equal(out.len, 0);
    assert_int_equal(rns_packet_pack_origin(&out, &p, 1, &why), 0);
    assert_null(why);
    assert_int_equal(rns_packet_unpack(&q, out.p, out.len), 0);
    assert_int_equal(q.header_type, RNS_HEADER_2);
    assert_memory_equal(q.transport_id, p.transport_id, RNS_HASHLEN);
    p.packet_type = RNS_PACKET_DATA;
    ml_buf_reset(&out);
    assert_int_equal(rns_packet_pack_origin(&out, &p, 1, &why), ML_EINVAL);
    assert_non_null(why);
    p.header_type = RNS_HEADER_1;
    assert_int_equal(rns_packet_pack_origin(&out, &p, 0, NULL), 0);
    ml_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constructor),
        cmocka_unit_test(test_proof_and_handlers),
        cmocka_unit_test(test_request_handlers),
        cmocka_unit_test(test_announce_and_default_app_data),
        cmocka_unit_test(test_path_response_cache),
        cmocka_unit_test(test_ratchets),
        cmocka_unit_test(test_ratchet_file_damage),
        cmocka_unit_test(test_core_ratchets),
        cmocka_unit_test(test_core_golden_app_data),
        cmocka_unit_test(test_keyless_identity),
        cmocka_unit_test(test_header2_origin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
