// SPDX-License-Identifier: MIT
// Announces against every vector of vectors/rns/announces.json (RNS 1.4.2):
// each valid announce is rebuilt byte for byte from its identity, injected
// randomness and clock (and HEADER_2 rebroadcasts from their originals), then
// validated; each invalid one is refused for the vector's reason. Vectors are
// dispatched by kind; an unhandled kind fails the test.
#include "rns_testutil.h"

#include "meshlog/crypto.h"
#include "meshlog/rns_announce.h"
#include "meshlog/rns_destination.h"

static json_t *g_file;

/* Fields every valid announce vector states, checked on the parsed form. */
static void check_fields(json_t *v, const rns_announce *a)
{
    tu_assert_hex(a->public_key, RNS_KEYSIZE, rt_str(v, "public_key"));
    tu_assert_hex(a->name_hash, RNS_NAME_HASHLEN, rt_str(v, "name_hash"));
    tu_assert_hex(a->random_hash, RNS_RANDOM_HASHLEN, rt_str(v, "random_hash"));
    tu_assert_hex(a->random_hash, 5, rt_str(v, "random_hash_random_part"));
    assert_int_equal(a->emitted, rt_int(v, "random_hash_timestamp"));
    tu_assert_hex(a->signature, RNS_SIGLEN, rt_str(v, "signature"));
    if (json_is_null(json_object_get(v, "app_data")))
        assert_null(a->app_data);
    else
        tu_assert_hex(a->app_data, a->app_data_len, rt_str(v, "app_data"));
    if (json_is_string(json_object_get(v, "ratchet"))) {
        assert_non_null(a->ratchet);
        tu_assert_hex(a->ratchet, RNS_RATCHETLEN, rt_str(v, "ratchet"));
        if (json_object_get(v, "ratchet_id")) {
            uint8_t rid[RNS_RATCHET_ID_LEN];
            rns_ratchet_id(rid, a->ratchet);
            tu_assert_hex(rid, sizeof rid, rt_str(v, "ratchet_id"));
        }
    } else {
        assert_null(a->ratchet);
    }
}

/* Rebuild an originated announce from identity, randomness and clock. */
static void check_make(json_t *v, const rns_announce *a, uint8_t context)
{
    rns_identity *id = rt_identity(g_file, rt_str(v, "identity"));
    json_t *rand = json_object_get(v, "injected_randomness");
    uint8_t random16[16], nh[RNS_NAME_HASHLEN], dh[RNS_HASHLEN];
    char name[64];
    const char *aspects[1];
    size_t app_len = 0;
    uint8_t *app = rt_hex(v, "app_data", &app_len);
    ml_buf b = ML_BUF_INIT;
    rns_announce_params ap;

    rt_hex_fixed(json_array_get(rand, 0), "hex", random16, 16);
    assert_string_equal(rt_str(json_array_get(rand, 0), "kind"), "random_hash_input");
    snprintf(name, sizeof name, "%s", rt_str(v, "destination_name"));
    char *dot = strchr(name, '.');
    *dot = 0;
    aspects[0] = dot + 1;
    assert_int_equal(rns_destination_hash_for(dh, nh, RNS_DEST_SINGLE, name, aspects, 1, id), 0);
    tu_assert_hex(dh, 16, rt_str(v, "destination_hash"));
    memset(&ap, 0, sizeof ap);
    ap.name_hash = nh;
    ap.random16 = random16;
    ap.now = (uint64_t)rt_int(v, "clock");
    ap.ratchet_pub = a->ratchet;
    ap.app_data = json_is_null(json_object_get(v, "app_data")) ? NULL : app;
    ap.app_data_len = app_len;
    ap.context = context;
    assert_int_equal(rns_announce_make(&b, id, &ap), 0);
    tu_assert_hex(b.p, b.len, rt_str(v, "raw"));
    ml_buf_free(&b);
    free(app);
    rns_identity_free(id);
}

/* A HEADER_2 rebroadcast: the original, one hop counted, transport id inserted. */
static void check_rebroadcast(json_t *v)
{
    json_t *orig = tu_vector(g_file, rt_str(v, "original"));
    rns_identity *t = rt_identity(g_file, rt_str(v, "transport_id_identity"));
    size_t n;
    uint8_t *raw = rt_hex(orig, "raw", &n);
    rns_packet p;
    ml_buf b = ML_BUF_INIT;

    assert_int_equal(rns_packet_unpack(&p, raw, n), 0);
    assert_int_equal(rns_packet_count_hop(&p), 0);
    rns_packet_set_transport(&p, rns_identity_hash(t));
    assert_int_equal(rns_packet_pack(&b, &p), 0);
    tu_assert_hex(b.p, b.len, rt_str(v, "raw"));
    ml_buf_free(&b);
    free(raw);
    rns_identity_free(t);
}

static void check_valid(json_t *v)
{
    rns_packet p;
    rns_announce a;
    uint8_t *raw;
    enum rns_announce_reason why = RNS_ANNOUNCE_TRUNCATED;

    assert_string_equal(rt_str(v, "expect"), "valid");
    rt_check_packet(v, &p, &raw);
    assert_int_equal(rns_announce_validate(&a, &p, NULL, &why), 0);
    assert_int_equal(why, RNS_ANNOUNCE_VALID);
    check_fields(v, &a);
    /* Re-announcing the known key is fine. */
    assert_int_equal(rns_announce_validate(&a, &p, a.public_key, &why), 0);
    if (json_object_get(v, "original"))
        check_rebroadcast(v);
    else
        check_make(v, &a, p.context);
    free(raw);
}

/* The reason we must give: the reference reports a truncated announce as a
 * failed signature (its slices come out short); we say which it was. */
static enum rns_announce_reason expected_reason(json_t *v, const rns_packet *p)
{
    const char *reason = rt_str(v, "reason");
    size_t need = RNS_ANNOUNCE_MINLEN + (p->context_flag ? RNS_RATCHETLEN : 0);

    if (strcmp(reason, "signature check fails") == 0)
        return p->data_len < need ? RNS_ANNOUNCE_TRUNCATED : RNS_ANNOUNCE_BAD_SIGNATURE;
    if (strcmp(reason, "destination mismatch") == 0)
        return RNS_ANNOUNCE_DEST_MISMATCH;
    if (strcmp(reason, "public key differs from known key") == 0)
        return RNS_ANNOUNCE_KEY_CONFLICT;
    fail_msg("unknown reason %s", reason);
    return RNS_ANNOUNCE_VALID;
}

static void check_invalid(json_t *v)
{
    static const int codes[] = {
        [RNS_ANNOUNCE_TRUNCATED] = ML_EMALFORMED,
        [RNS_ANNOUNCE_BAD_SIGNATURE] = ML_EBADSIG,
        [RNS_ANNOUNCE_DEST_MISMATCH] = ML_EBADID,
        [RNS_ANNOUNCE_KEY_CONFLICT] = ML_EEXIST,
    };
    size_t n;
    uint8_t *raw = rt_hex(v, "raw", &n), known[RNS_KEYSIZE];
    rns_packet p;
    rns_announce a;
    enum rns_announce_reason why = RNS_ANNOUNCE_VALID, want;
    int has_known = json_object_get(v, "precondition_known_public_key") != NULL;

    assert_string_equal(rt_str(v, "expect"), "reject");
    if (json_object_get(v, "length"))
        assert_int_equal(n, rt_int(v, "length"));
    assert_int_equal(rns_packet_unpack(&p, raw, n), 0);
    want = expected_reason(v, &p);
    if (has_known)
        rt_hex_fixed(v, "precondition_known_public_key", known, sizeof known);
    assert_int_equal(rns_announce_validate(&a, &p, has_known ? known : NULL, &why),
                     codes[want]);
    assert_int_equal(why, want);
    assert_non_null(rns_announce_reason_str(why));
    if (has_known) /* without the precondition the same bytes are valid */
        assert_int_equal(rns_announce_validate(&a, &p, NULL, &why), 0);
    free(raw);
}

static const tu_checker checkers[] = {
    {"announce", check_valid},
    {"announce_invalid", check_invalid},
};

static void test_every_vector(void **state)
{
    (void)state;
    tu_check_vectors(g_file, checkers, sizeof checkers / sizeof checkers[0]);
}

/* Fresh announces with random keys, ratchets and app data validate; any
 * single flipped payload bit makes them invalid. */
static void test_roundtrip_and_bitflips(void **state)
{
    (void)state;
    uint8_t priv[64], rnd[16], ratchet[32], app[40], nh[10];
    const char *aspects[] = {"test"};
    rns_identity *id = NULL;
    ml_buf b = ML_BUF_INIT;
    rns_announce_params ap;
    rns_packet p;
    rns_announce a;

    assert_int_equal(ml_random(priv, sizeof priv), 0);
    assert_int_equal(ml_random(rnd, sizeof rnd), 0);
    assert_int_equal(ml_random(ratchet, sizeof ratchet), 0);
    assert_int_equal(ml_random(app, sizeof app), 0);
    assert_int_equal(rns_identity_from_private(&id, priv), 0);
    assert_int_equal(rns_name_hash(nh, "meshlog", aspects, 1), 0);
    memset(&ap, 0, sizeof ap);
    ap.name_hash = nh;
    ap.random16 = rnd;
    ap.now = 1767225600;
    ap.ratchet_pub = ratchet;
    ap.app_data = app;
    ap.app_data_len = sizeof app;
    assert_int_equal(rns_announce_make(&b, id, &ap), 0);
    assert_int_equal(b.len, 19 + 148 + 32 + sizeof app);
    assert_int_equal(rns_packet_unpack(&p, b.p, b.len), 0);
    assert_int_equal(rns_announce_validate(&a, &p, NULL, NULL), 0);
    assert_int_equal(a.emitted, 1767225600);
    for (size_t bit = 0; bit < p.data_len * 8; bit++) {
        b.p[19 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_true(rns_announce_validate(&a, &p, NULL, NULL) < 0);
        b.p[19 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    p.packet_type = RNS_PACKET_DATA;
    enum rns_announce_reason why;
    assert_int_equal(rns_announce_validate(&a, &p, NULL, &why), ML_EINVAL);
    assert_int_equal(why, RNS_ANNOUNCE_NOT_ANNOUNCE);
    ap.now = (uint64_t)1 << 40;
    assert_int_equal(rns_announce_make(&b, id, &ap), ML_EINVAL);
    ml_buf_free(&b);
    rns_identity_free(id);
}

static int setup(void **state)
{
    (void)state;
    g_file = tu_load_vectors("vectors/rns/announces.json");
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
        cmocka_unit_test(test_roundtrip_and_bitflips),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
