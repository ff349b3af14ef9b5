// SPDX-License-Identifier: MIT
// Identities and destinations against every vector of vectors/rns/identity.json
// (RNS 1.4.2): keys and hashes, identity files, name and destination hashes,
// Identity.encrypt/decrypt (with and without ratchet), refused ciphertexts,
// signatures. Vectors are dispatched by kind; an unhandled kind fails.
// Also: save/load round trip (mode 0600, atomic) and refusal of bad files.
#include "rns_testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "meshlog/crypto.h"
#include "meshlog/rns_destination.h"

static json_t *g_file;

/* The randomness the reference drew, by kind, in order of use. */
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

static void check_identity(json_t *v)
{
    uint8_t priv[64], back[64];
    rns_identity *id = NULL;
    json_t *rand = json_object_get(v, "injected_randomness");

    rt_hex_fixed(v, "private_key", priv, sizeof priv);
    if (rand) {
        /* A generated identity is its two random draws, in order. */
        uint8_t drawn[64];
        injected(v, "x25519_private", drawn, 32);
        injected(v, "ed25519_private", drawn + 32, 32);
        assert_memory_equal(drawn, priv, 64);
    }
    assert_int_equal(rns_identity_from_private(&id, priv), 0);
    assert_int_equal(rns_identity_has_private(id), 1);
    tu_assert_hex(rns_identity_public_key(id), 64, rt_str(v, "public_key"));
    tu_assert_hex(rns_identity_hash(id), 16, rt_str(v, "identity_hash"));
    if (json_object_get(v, "x25519_public")) {
        tu_assert_hex(rns_identity_public_key(id), 32, rt_str(v, "x25519_public"));
        tu_assert_hex(rns_identity_public_key(id) + 32, 32, rt_str(v, "ed25519_public"));
    }
    assert_int_equal(rns_identity_private_key(id, back), 0);
    assert_memory_equal(back, priv, 64);
    rns_identity_free(id);
}

static void check_identity_file(json_t *v)
{
    char path[512];
    uint8_t *bytes;
    size_t n;
    struct stat st;
    rns_identity *id = rt_identity(g_file, rt_str(v, "identity")), *back = NULL;

    snprintf(path, sizeof path, "%s/identity", tu_tmpdir());
    assert_int_equal(rns_identity_save(id, path), 0);
    bytes = (uint8_t *)tu_read_file(path, &n);
    assert_int_equal(n, rt_int(v, "file_length"));
    tu_assert_hex(bytes, n, rt_str(v, "file_bytes"));
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(rns_identity_load(&back, path), 0);
    tu_assert_hex(rns_identity_public_key(back), 64, rt_str(v, "public_file_bytes"));
    free(bytes);
    rns_identity_free(back);
    rns_identity_free(id);
}

static void check_destination(json_t *v)
{
    const char *aspects[8];
    json_t *arr = json_object_get(v, "aspects"), *a;
    size_t i, n = json_array_size(arr);
    uint8_t nh[10], dh[16], dh2[16];
    rns_identity *id = NULL;
    json_t *label = json_object_get(v, "identity");
    ml_buf name = ML_BUF_INIT;

    assert_true(n <= 8);
    json_array_foreach(arr, i, a)
        aspects[i] = json_string_value(a);
    if (json_is_string(label))
        id = rt_identity(g_file, json_string_value(label));
    assert_int_equal(rns_destination_name(&name, rt_str(v, "app_name"), aspects, n), 0);
    assert_string_equal(ml_buf_str(&name), rt_str(v, "full_name"));
    assert_int_equal(rns_name_hash(nh, rt_str(v, "app_name"), aspects, n), 0);
    tu_assert_hex(nh, 10, rt_str(v, "name_hash"));
    enum rns_dest_type type = (enum rns_dest_type)rt_dest_type(rt_str(v, "destination_type"));
    assert_int_equal(rns_destination_hash_for(dh, nh, type, rt_str(v, "app_name"), aspects, n,
                                              id), 0);
    tu_assert_hex(dh, 16, rt_str(v, "destination_hash"));
    rns_destination_hash(dh2, nh, id ? rns_identity_hash(id) : NULL);
    assert_memory_equal(dh, dh2, 16);
    if (id)
        tu_assert_hex(rns_identity_hash(id), 16, rt_str(v, "identity_hash"));
    ml_buf_free(&name);
    rns_identity_free(id);
}

static void check_destination_invalid(json_t *v)
{
    const char *aspects[8];
    json_t *arr = json_object_get(v, "aspects"), *a;
    size_t i, n = json_array_size(arr);
    uint8_t nh[10], dh[16];
    ml_buf name = ML_BUF_INIT;

    assert_string_equal(rt_str(v, "expect"), "reject");
    json_array_foreach(arr, i, a)
        aspects[i] = json_string_value(a);
    assert_int_equal(rns_name_hash(nh, rt_str(v, "app_name"), aspects, n), ML_EINVAL);
    assert_int_equal(rns_destination_name(&name, rt_str(v, "app_name"), aspects, n), ML_EINVAL);
    assert_int_equal(rns_destination_hash_for(dh, NULL, RNS_DEST_PLAIN, rt_str(v, "app_name"),
                                              aspects, n, NULL), ML_EINVAL);
    assert_int_equal(name.len, 0);
    ml_buf_free(&name);
}

/* Encrypt with the injected ephemeral key and IV, compare, decrypt back. */
static void check_encrypt(json_t *v)
{
    rns_identity *bob = rt_identity(g_file, rt_str(v, "recipient"));
    uint8_t eph[32], iv[16], ratchet_pub[32], rid[10];
    uint8_t ratchets[2][32];
    size_t pl;
    uint8_t *pt = rt_hex(v, "plaintext", &pl);
    int with_ratchet = json_object_get(v, "ratchet_private") != NULL, used = 99;
    ml_buf ct = ML_BUF_INIT, back = ML_BUF_INIT;

    injected(v, "x25519_private", eph, 32);
    injected(v, "token_iv", iv, 16);
    tu_assert_hex(rns_identity_hash(bob), 16, rt_str(v, "salt_identity_hash"));
    if (with_ratchet) {
        rt_hex_fixed(v, "ratchet_public", ratchet_pub, 32);
        rt_hex_fixed(v, "ratchet_private", ratchets[1], 32);
        memset(ratchets[0], 0x55, 32); /* an older ratchet that does not fit */
        rns_ratchet_id(rid, ratchet_pub);
        tu_assert_hex(rid, 10, rt_str(v, "ratchet_id"));
    }
    assert_int_equal(rns_identity_encrypt(bob, &ct, pt, pl, with_ratchet ? ratchet_pub : NULL,
                                          eph, iv), 0);
    tu_assert_hex(ct.p, ct.len, rt_str(v, "ciphertext"));
    if (json_object_get(v, "ciphertext_length"))
        assert_int_equal(ct.len, rt_int(v, "ciphertext_length"));
    if (with_ratchet) {
        /* Only the ratchet opens it, and enforcing ratchets still works. */
        assert_int_equal(rns_identity_decrypt(bob, &back, ct.p, ct.len, NULL, 0, 0, NULL),
                         ML_EAUTH);
        assert_int_equal(rns_identity_decrypt(bob, &back, ct.p, ct.len,
                                              (const uint8_t(*)[32])ratchets, 2, 1, &used), 0);
        assert_int_equal(used, 1);
    } else {
        assert_int_equal(rns_identity_decrypt(bob, &back, ct.p, ct.len, NULL, 0, 0, &used), 0);
        assert_int_equal(used, -1);
    }
    assert_int_equal(back.len, pl);
    assert_true(pl == 0 || memcmp(back.p, pt, pl) == 0);
    ml_buf_free(&ct);
    ml_buf_free(&back);
    free(pt);
    rns_identity_free(bob);
}

static void check_decrypt_invalid(json_t *v)
{
    rns_identity *bob = rt_identity(g_file, rt_str(v, "recipient"));
    size_t n;
    uint8_t *ct = rt_hex(v, "ciphertext", &n);
    ml_buf out = ML_BUF_INIT;
    int rc = rns_identity_decrypt(bob, &out, ct, n, NULL, 0, 0, NULL);

    assert_string_equal(rt_str(v, "expect"), "reject");
    assert_true(rc == ML_EAUTH || rc == ML_EMALFORMED);
    assert_int_equal(out.len, 0);
    ml_buf_free(&out);
    free(ct);
    rns_identity_free(bob);
}

static void check_sign(json_t *v)
{
    rns_identity *id = rt_identity(g_file, rt_str(v, "identity")), *pub = NULL;
    size_t n;
    uint8_t *msg = rt_hex(v, "message", &n), sig[64];

    assert_int_equal(rns_identity_sign(id, sig, msg, n), 0);
    tu_assert_hex(sig, 64, rt_str(v, "signature"));
    assert_int_equal(rns_identity_from_public(&pub, rns_identity_public_key(id)), 0);
    assert_int_equal(rns_identity_has_private(pub), 0);
    assert_int_equal(rns_identity_sign(pub, sig, msg, n), ML_ESTATE);
    assert_int_equal(rns_identity_verify(pub, sig, msg, n), 0);
    sig[10] ^= 0x20;
    assert_int_equal(rns_identity_verify(pub, sig, msg, n), ML_EBADSIG);
    free(msg);
    rns_identity_free(pub);
    rns_identity_free(id);
}

static const tu_checker checkers[] = {
    {"identity", check_identity},
    {"identity_file", check_identity_file},
    {"destination_hash", check_destination},
    {"destination_hash_invalid", check_destination_invalid},
    {"identity_encrypt", check_encrypt},
    {"identity_encrypt_ratchet", check_encrypt},
    {"identity_decrypt_invalid", check_decrypt_invalid},
    {"identity_sign", check_sign},
};

static void test_every_vector(void **state)
{
    (void)state;
    tu_check_vectors(g_file, checkers, sizeof checkers / sizeof checkers[0]);
}

static void test_file_errors(void **state)
{
    (void)state;
    char path[512];
    uint8_t priv[64];
    rns_identity *id = NULL, *pub = NULL;
    const char *dir = tu_tmpdir();
    FILE *f;

    snprintf(path, sizeof path, "%s/missing", dir);
    assert_int_equal(rns_identity_load(&id, path), ML_EIO);
    assert_null(id);
    /* 63 and 65 bytes are not identities. */
    for (int n = 63; n <= 65; n += 2) {
        snprintf(path, sizeof path, "%s/short%d", dir, n);
        f = fopen(path, "wb");
        assert_non_null(f);
        for (int i = 0; i < n; i++)
            fputc(i, f);
        fclose(f);
        assert_int_equal(rns_identity_load(&id, path), ML_EMALFORMED);
    }
    /* Overwriting keeps 0600 and leaves no temporary file behind. */
    assert_int_equal(ml_random(priv, sizeof priv), 0);
    assert_int_equal(rns_identity_from_private(&id, priv), 0);
    snprintf(path, sizeof path, "%s/id", dir);
    assert_int_equal(rns_identity_save(id, path), 0);
    assert_int_equal(rns_identity_save(id, path), 0);
    /* save_new never replaces a file, and writes one that is not there. */
    assert_int_equal(rns_identity_save_new(id, path), ML_EEXIST);
    snprintf(path, sizeof path, "%s/id-new", dir);
    assert_int_equal(rns_identity_save_new(id, path), 0);
    assert_int_equal(rns_identity_load(&pub, path), 0);
    assert_memory_equal(rns_identity_public_key(pub), rns_identity_public_key(id), 64);
    rns_identity_free(pub);
    pub = NULL;
    char cmd[700];
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | grep -c tmp) -eq 0", dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(rns_identity_from_public(&pub, rns_identity_public_key(id)), 0);
    snprintf(path, sizeof path, "%s/pub", dir);
    assert_int_equal(rns_identity_save(pub, path), ML_ESTATE);
    snprintf(path, sizeof path, "%s/nodir/id", dir);
    assert_int_equal(rns_identity_save(id, path), ML_EIO);
    assert_int_equal(rns_identity_save_new(id, path), ML_EIO);
    rns_identity_free(id);
    rns_identity_free(pub);
    rns_identity_free(NULL);
}

static void test_destination_rules(void **state)
{
    (void)state;
    const char *aspects[] = {"sync"};
    uint8_t dh[16], priv[64] = {1};
    rns_identity *id = NULL;

    assert_int_equal(rns_identity_from_private(&id, priv), 0);
    assert_int_equal(rns_destination_hash_for(dh, NULL, RNS_DEST_SINGLE, "meshlog", aspects, 1,
                                              NULL), ML_EINVAL);
    assert_int_equal(rns_destination_hash_for(dh, NULL, RNS_DEST_PLAIN, "meshlog", aspects, 1,
                                              id), ML_EINVAL);
    assert_int_equal(rns_destination_hash_for(dh, NULL, RNS_DEST_LINK, "meshlog", aspects, 1,
                                              id), ML_EINVAL);
    assert_int_equal(rns_destination_hash_for(dh, NULL, RNS_DEST_GROUP, "", aspects, 1, NULL),
                     ML_EINVAL);
    assert_int_equal(rns_destination_hash_for(dh, NULL, RNS_DEST_GROUP, "meshlog", NULL, 0,
                                              NULL), 0);
    rns_identity_free(id);
}

static int setup(void **state)
{
    (void)state;
    g_file = tu_load_vectors("vectors/rns/identity.json");
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
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_destination_rules),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
