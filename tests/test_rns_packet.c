// SPDX-License-Identifier: MIT
// Packets, proofs and path requests against every vector of
// vectors/rns/packets.json and vectors/rns/path_requests.json (RNS 1.4.2):
// header decoding and re-encoding, packet hashes, payload encryption for
// SINGLE/GROUP/PLAIN, HEADER_1 -> HEADER_2, transport forwarding, hop limits,
// implicit/explicit proofs, path request make/parse/dedup. Each file's
// vectors are dispatched by kind; an unhandled kind fails the test.
#include "rns_testutil.h"

#include "meshlog/crypto.h"
#include "meshlog/rns_destination.h"
#include "meshlog/rns_pathreq.h"
#include "meshlog/rns_proof.h"

static json_t *g_packets, *g_pathreqs;

static void injected(json_t *v, const char *kind, uint8_t *out, size_t n)
{
    json_t *list = json_object_get(v, "injected_randomness"), *e;
    size_t i;
    json_array_foreach(list, i, e) {
        if (strcmp(rt_str(e, "kind"), kind) == 0) {
            rt_hex_fixed(e, "hex", out, n);
            return;
        }
    }
    fail_msg("no injected %s", kind);
}

/* "app.aspect" of a vector's destination into a destination hash. */
static void dest_hash_of(json_t *dest, enum rns_dest_type type, rns_identity *id,
                         uint8_t out[16])
{
    char name[64];
    const char *aspects[1];
    snprintf(name, sizeof name, "%s", rt_str(dest, "name"));
    char *dot = strchr(name, '.');
    assert_non_null(dot);
    *dot = 0;
    aspects[0] = dot + 1;
    assert_int_equal(rns_destination_hash_for(out, NULL, type, name, aspects, 1, id), 0);
    tu_assert_hex(out, 16, rt_str(dest, "destination_hash"));
}

/* SINGLE: re-encrypt with the injected randomness, decrypt as the recipient. */
static void check_single_payload(json_t *v, const rns_packet *p, rns_identity *bob)
{
    uint8_t eph[32], iv[16], rpub[32], rpriv[1][32];
    size_t pl;
    uint8_t *pt = rt_hex(v, "plaintext", &pl);
    int ratchet = json_object_get(v, "ratchet_private") != NULL;
    ml_buf b = ML_BUF_INIT;

    injected(v, "x25519_private", eph, 32);
    injected(v, "token_iv", iv, 16);
    if (ratchet) {
        rt_hex_fixed(v, "ratchet_public", rpub, 32);
        rt_hex_fixed(v, "ratchet_private", rpriv[0], 32);
    }
    assert_int_equal(rns_identity_encrypt(bob, &b, pt, pl, ratchet ? rpub : NULL, eph, iv), 0);
    assert_int_equal(b.len, p->data_len);
    assert_memory_equal(b.p, p->data, b.len);
    ml_buf_reset(&b);
    assert_int_equal(rns_identity_decrypt(bob, &b, p->data, p->data_len,
                                          (const uint8_t(*)[32])rpriv, ratchet ? 1 : 0, 0, NULL),
                     0);
    tu_assert_hex(b.p, b.len, rt_str(v, "plaintext"));
    ml_buf_free(&b);
    free(pt);
}

static void check_packet(json_t *v)
{
    rns_packet p, p2;
    uint8_t *raw, dh[16], tid[16];
    json_t *dest = json_object_get(v, "destination");
    json_t *label = json_object_get(dest, "identity");
    rns_identity *id = json_is_string(label) ? rt_identity(g_packets, json_string_value(label))
                                             : NULL;
    ml_buf b = ML_BUF_INIT;

    rt_check_packet(v, &p, &raw);
    dest_hash_of(dest, (enum rns_dest_type)p.dest_type, id, dh);
    assert_memory_equal(p.dest_hash, dh, 16);
    if (p.dest_type == RNS_DEST_SINGLE) {
        check_single_payload(v, &p, id);
    } else if (p.dest_type == RNS_DEST_GROUP) {
        uint8_t key[64], iv[16];
        rt_hex_fixed(v, "group_key", key, 64);
        injected(v, "token_iv", iv, 16);
        assert_int_equal(ml_token_decrypt(&b, key, p.data, p.data_len), 0);
        tu_assert_hex(b.p, b.len, rt_str(v, "plaintext"));
    } else {
        tu_assert_hex(p.data, p.data_len, rt_str(v, "plaintext"));
    }
    if (json_object_get(v, "header1_raw")) {
        /* What Transport.outbound sends for a multi-hop path. */
        size_t n;
        uint8_t *h1 = rt_hex(v, "header1_raw", &n);
        rt_hex_fixed(v, "next_hop_transport_id", tid, 16);
        ml_buf_reset(&b);
        assert_int_equal(rns_packet_to_header2(&b, h1, n, tid), 0);
        tu_assert_hex(b.p, b.len, rt_str(v, "raw"));
        assert_int_equal(rns_packet_unpack(&p2, h1, n), 0);
        uint8_t h_a[32], h_b[32];
        assert_int_equal(rns_packet_hash(h_a, &p2), 0);
        assert_int_equal(rns_packet_hash(h_b, &p), 0);
        assert_memory_equal(h_a, h_b, 32);
        free(h1);
    }
    ml_buf_free(&b);
    free(raw);
    rns_identity_free(id);
}

/* A transport node receives, counts the hop, and rewrites the header. */
static void check_forward(json_t *v)
{
    size_t n;
    uint8_t *in = rt_hex(v, "received_raw", &n), *raw, next[16];
    rns_packet got, want;
    ml_buf b = ML_BUF_INIT;
    rns_identity *t = rt_identity(g_packets, "transport");

    rt_check_packet(v, &want, &raw);
    rt_hex_fixed(v, "path_next_hop", next, 16);
    assert_int_equal(rns_packet_unpack(&got, in, n), 0);
    assert_memory_equal(got.transport_id, rns_identity_hash(t), 16);
    tu_assert_hex(rns_identity_hash(t), 16, rt_str(v, "transport_node_identity_hash"));
    assert_int_equal(rns_packet_count_hop(&got), 0);
    if (rt_int(v, "path_remaining_hops") > 1)
        rns_packet_set_transport(&got, next);
    else
        rns_packet_clear_transport(&got);
    assert_int_equal(rns_packet_pack(&b, &got), 0);
    tu_assert_hex(b.p, b.len, rt_str(v, "raw"));
    ml_buf_free(&b);
    free(in);
    free(raw);
    rns_identity_free(t);
}

static void check_hops(json_t *v)
{
    json_t *cases = json_object_get(v, "cases"), *c;
    size_t i, n, seen = 0;
    json_array_foreach(cases, i, c) {
        uint8_t *raw = rt_hex(c, "raw", &n), hash[32];
        rns_packet p;
        int ok = json_is_true(json_object_get(c, "unpack_ok"));
        assert_int_equal(rns_packet_unpack(&p, raw, n), ok ? 0 : ML_EMALFORMED);
        if (ok) {
            assert_int_equal(p.hops, rt_int(c, "hops_byte"));
            assert_int_equal(rns_packet_hash(hash, &p), 0);
            tu_assert_hex(hash, 32, rt_str(c, "packet_hash"));
            /* Counting the hop refuses only what would reach 128. */
            assert_int_equal(rns_packet_count_hop(&p), p.hops == 127 ? ML_ERANGE : 0);
        }
        seen++;
        free(raw);
    }
    assert_true(seen >= 6);
}

static void check_proof(json_t *v)
{
    rns_packet p;
    uint8_t *raw, ph[32];
    rns_identity *bob = rt_identity(g_packets, rt_str(v, "signer")), *pub = NULL;
    ml_buf b = ML_BUF_INIT;
    int explicit_proof;

    rt_check_packet(v, &p, &raw);
    rt_hex_fixed(v, "proved_packet_hash", ph, 32);
    explicit_proof = p.data_len == RNS_PROOF_EXPLICIT_LEN;
    assert_int_equal(rns_proof_make(&b, bob, ph, explicit_proof), 0);
    tu_assert_hex(b.p, b.len, rt_str(v, "raw"));
    assert_int_equal(rns_identity_from_public(&pub, rns_identity_public_key(bob)), 0);
    assert_int_equal(rns_proof_validate_packet(&p, ph, pub), 0);
    /* Another packet's hash, or a flipped signature bit, is refused. */
    ph[31] ^= 1;
    assert_int_equal(rns_proof_validate(p.data, p.data_len, ph, pub),
                     explicit_proof ? ML_EBADID : ML_EBADSIG);
    ph[31] ^= 1;
    raw[b.len - 1] ^= 1;
    assert_int_equal(rns_proof_validate(p.data, p.data_len, ph, pub), ML_EBADSIG);
    assert_int_equal(rns_proof_validate(p.data, p.data_len - 1, ph, pub), ML_EMALFORMED);
    ml_buf_free(&b);
    free(raw);
    rns_identity_free(bob);
    rns_identity_free(pub);
}

static void check_pathreq(json_t *v)
{
    rns_packet p;
    rns_pathreq r;
    uint8_t *raw, dest[16], tag[16], tid[16];
    json_t *tid_j = json_object_get(v, "requesting_transport_id");
    json_t *parsed = json_object_get(v, "parsed_by_reference");
    ml_buf b = ML_BUF_INIT;

    rt_check_packet(v, &p, &raw);
    rt_hex_fixed(v, "requested_destination_hash", dest, 16);
    rt_hex_fixed(v, "tag", tag, 16);
    if (json_object_get(v, "injected_randomness")) {
        uint8_t in[16], t2[16];
        injected(v, "random_hash_input", in, 16);
        rns_random_hash(t2, in);
        assert_memory_equal(t2, tag, 16);
    }
    if (tid_j)
        rt_hex_fixed(v, "requesting_transport_id", tid, 16);
    assert_int_equal(rns_pathreq_make(&b, dest, tid_j ? tid : NULL, tag), 0);
    tu_assert_hex(b.p, b.len, rt_str(v, "raw"));
    tu_assert_hex(rns_pathreq_destination, 16, rt_str(g_pathreqs, "path_request_destination_hash"));
    assert_int_equal(rns_pathreq_parse_packet(&r, &p), 0);
    tu_assert_hex(r.dest_hash, 16, rt_str(parsed, "destination_hash"));
    tu_assert_hex(r.tag, r.tag_len, rt_str(parsed, "tag"));
    assert_int_equal(r.has_transport_id, tid_j != NULL);
    if (tid_j)
        tu_assert_hex(r.transport_id, 16, rt_str(parsed, "requestor_transport_id"));
    ml_buf_free(&b);
    free(raw);
}

static void check_pathreq_parse(json_t *v)
{
    size_t n;
    uint8_t *raw = rt_hex(v, "raw", &n);
    rns_packet p;
    rns_pathreq r;
    json_t *parsed = json_object_get(v, "parsed_by_reference");
    json_t *times = json_object_get(v, "times_received");
    rns_pathreq_seen *seen = NULL;

    assert_int_equal(rns_packet_unpack(&p, raw, n), 0);
    if (times) {
        /* Dedup: the same request received N times is handled once. */
        long long handled = 0;
        assert_int_equal(rns_pathreq_seen_new(&seen, 4), 0);
        for (long long i = 0; i < json_integer_value(times); i++) {
            assert_int_equal(rns_pathreq_parse_packet(&r, &p), 0);
            handled += rns_pathreq_seen_check(seen, &r);
        }
        assert_int_equal(handled, rt_int(v, "times_handled"));
    } else if (json_is_null(parsed)) {
        assert_string_equal(rt_str(v, "expect"), "ignored");
        assert_int_equal(rns_pathreq_parse_packet(&r, &p), ML_EMALFORMED);
    } else {
        assert_string_equal(rt_str(v, "expect"), "answered");
        assert_int_equal(rns_pathreq_parse_packet(&r, &p), 0);
        tu_assert_hex(r.dest_hash, 16, rt_str(parsed, "destination_hash"));
        tu_assert_hex(r.tag, r.tag_len, rt_str(parsed, "tag"));
        json_t *tid = json_object_get(parsed, "requestor_transport_id");
        assert_int_equal(r.has_transport_id, json_is_string(tid));
        if (json_is_string(tid))
            tu_assert_hex(r.transport_id, 16, json_string_value(tid));
    }
    rns_pathreq_seen_free(seen);
    free(raw);
}

static const tu_checker packet_checkers[] = {
    {"packet", check_packet},
    {"transport_forward", check_forward},
    {"hops", check_hops},
    {"proof", check_proof},
};

static const tu_checker pathreq_checkers[] = {
    {"path_request", check_pathreq},
    {"path_request_parse", check_pathreq_parse},
};

static void test_packet_vectors(void **state)
{
    (void)state;
    tu_check_vectors(g_packets, packet_checkers, sizeof packet_checkers / sizeof packet_checkers[0]);
}

static void test_pathreq_vectors(void **state)
{
    (void)state;
    tu_check_vectors(g_pathreqs, pathreq_checkers, sizeof pathreq_checkers / sizeof pathreq_checkers[0]);
}

/* The flag table and context names of packets.json. */
static void test_flag_table(void **state)
{
    (void)state;
    json_t *flags = json_object_get(g_packets, "flag_examples"), *e;
    json_t *ctxs = json_object_get(g_packets, "contexts"), *c;
    const char *key;
    size_t i, n = 0;

    json_array_foreach(flags, i, e) {
        rns_packet p;
        memset(&p, 0, sizeof p);
        p.header_type = (uint8_t)rt_int(e, "header_type");
        p.context_flag = (uint8_t)rt_int(e, "context_flag");
        p.transport_type = (uint8_t)rt_int(e, "transport_type");
        p.dest_type = (uint8_t)rt_dest_type(rt_str(e, "destination_type"));
        p.packet_type = (uint8_t)rt_packet_type(rt_str(e, "packet_type"));
        rt_hex_fixed(e, "context", &p.context, 1);
        uint8_t f = rns_packet_flags(&p);
        tu_assert_hex(&f, 1, rt_str(e, "flags"));
        n++;
    }
    assert_true(n >= 13);
    n = 0;
    json_object_foreach(ctxs, key, c) {
        uint8_t v;
        assert_int_equal(ml_unhex(&v, 1, json_string_value(c), 2), 0);
        assert_string_equal(rns_context_name(v), key);
        n++;
    }
    assert_int_equal(n, 21);
    assert_null(rns_context_name(0x42));
}

/* Every truncation of a valid packet either unpacks consistently or is
 * refused; the IFAC flag and bad hops are refused. */
static void test_unpack_bounds(void **state)
{
    (void)state;
    json_t *v = tu_vector(g_packets, "data_single_header2");
    size_t n;
    uint8_t *raw = rt_hex(v, "raw", &n);
    rns_packet p;

    for (size_t len = 0; len <= n; len++) {
        int rc = rns_packet_unpack(&p, raw, len);
        assert_int_equal(rc, len >= RNS_HEADER_MAXSIZE ? 0 : ML_EMALFORMED);
        if (rc == 0)
            assert_int_equal(p.data_len, len - RNS_HEADER_MAXSIZE);
    }
    assert_int_equal(rns_packet_unpack(&p, NULL, 0), ML_EMALFORMED);
    raw[0] |= 0x80;
    assert_int_equal(rns_packet_unpack(&p, raw, n), ML_EMALFORMED);
    raw[0] &= 0x7F;
    raw[0] &= (uint8_t)~0x40; /* now HEADER_1: 19 bytes suffice */
    assert_int_equal(rns_packet_unpack(&p, raw, RNS_HEADER_MINSIZE), 0);
    assert_int_equal(p.data_len, 0);
    assert_int_equal(rns_packet_unpack(&p, raw, RNS_HEADER_MINSIZE - 1), ML_EMALFORMED);
    free(raw);

    memset(&p, 0, sizeof p);
    ml_buf b = ML_BUF_INIT;
    p.hops = 128;
    assert_int_equal(rns_packet_pack(&b, &p), ML_EINVAL);
    p.hops = 0;
    p.dest_type = 4;
    assert_int_equal(rns_packet_pack(&b, &p), ML_EINVAL);
    assert_int_equal(b.len, 0);
    ml_buf_free(&b);
}

static void test_pathreq_dedup_ring(void **state)
{
    (void)state;
    rns_pathreq_seen *s = NULL;
    rns_pathreq r[3];
    uint8_t data[32];

    assert_int_equal(rns_pathreq_seen_new(&s, 0), ML_EINVAL);
    assert_int_equal(rns_pathreq_seen_new(&s, 2), 0);
    for (int i = 0; i < 3; i++) {
        memset(data, i, sizeof data);
        assert_int_equal(rns_pathreq_parse(&r[i], data, sizeof data), 0);
        assert_int_equal(rns_pathreq_seen_check(s, &r[i]), 1);
    }
    /* Capacity 2: the oldest was forgotten, the two newest are remembered. */
    assert_int_equal(rns_pathreq_seen_check(s, &r[2]), 0);
    assert_int_equal(rns_pathreq_seen_check(s, &r[1]), 0);
    assert_int_equal(rns_pathreq_seen_check(s, &r[0]), 1);
    assert_int_equal(rns_pathreq_parse(&r[0], data, 16), ML_EMALFORMED);
    rns_pathreq_seen_free(s);
}

static int setup(void **state)
{
    (void)state;
    g_packets = tu_load_vectors("vectors/rns/packets.json");
    g_pathreqs = tu_load_vectors("vectors/rns/path_requests.json");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    json_decref(g_packets);
    json_decref(g_pathreqs);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_packet_vectors),
        cmocka_unit_test(test_pathreq_vectors),
        cmocka_unit_test(test_flag_table),
        cmocka_unit_test(test_unpack_bounds),
        cmocka_unit_test(test_pathreq_dedup_ring),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
