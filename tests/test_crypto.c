// SPDX-License-Identifier: MIT
// Checks src/crypto against every vector of vectors/rns/primitives.json (taken
// from the Python reference RNS 1.4.2), dispatched by kind. A vector whose kind
// has no checker fails the run, so new vectors cannot be skipped silently.
// Also: tampered tokens are refused, strict PKCS7, incremental SHA-256.
#include "testutil.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "meshlog/crypto.h"
#include "meshlog/error.h"

/* Hex field of a vector as malloc'd bytes; "" and null give an empty buffer. */
static uint8_t *field(json_t *v, const char *key, size_t *len)
{
    const char *hex = json_string_value(json_object_get(v, key));
    return tu_unhex(hex ? hex : "", len);
}

static const char *str(json_t *v, const char *key)
{
    const char *s = json_string_value(json_object_get(v, key));
    assert_non_null(s);
    return s;
}

static void check_sha256(json_t *v)
{
    size_t n;
    uint8_t *in = field(v, "input", &n), h[32], h512[64];
    ml_sha256(h, in, n);
    tu_assert_hex(h, 32, str(v, "sha256"));
    tu_assert_hex(h, 16, str(v, "truncated_hash"));
    ml_sha512(h512, in, n);
    tu_assert_hex(h512, 64, str(v, "sha512"));
    /* The streaming API must agree when fed in uneven pieces. */
    ml_sha256_ctx c;
    assert_int_equal(ml_sha256_init(&c), 0);
    for (size_t off = 0, step = 1; off < n; off += step, step = step * 2 + 1)
        assert_int_equal(ml_sha256_update(&c, in + off, step < n - off ? step : n - off), 0);
    assert_int_equal(ml_sha256_final(&c, h), 0);
    tu_assert_hex(h, 32, str(v, "sha256"));
    free(in);
}

static void check_hmac(json_t *v)
{
    size_t kl, ml;
    uint8_t *key = field(v, "key", &kl), *msg = field(v, "message", &ml), mac[32];
    ml_hmac_sha256(mac, key, kl, msg, ml);
    tu_assert_hex(mac, 32, str(v, "mac"));
    free(key);
    free(msg);
}

static void check_hkdf(json_t *v)
{
    size_t il, sl, nl;
    uint8_t *ikm = field(v, "ikm", &il), *salt = field(v, "salt", &sl);
    uint8_t *info = field(v, "info", &nl);
    size_t len = (size_t)json_integer_value(json_object_get(v, "length"));
    uint8_t *okm = malloc(len);
    assert_non_null(okm);
    bool null_salt = json_is_null(json_object_get(v, "salt"));
    assert_int_equal(ml_hkdf_sha256(okm, len, ikm, il, null_salt ? NULL : salt, sl,
                                    nl ? info : NULL, nl), 0);
    tu_assert_hex(okm, len, str(v, "okm"));
    free(okm);
    free(ikm);
    free(salt);
    free(info);
}

static void check_pkcs7(json_t *v)
{
    size_t n, pl, back = 99;
    uint8_t *in = field(v, "input", &n), *padded = field(v, "padded", &pl);
    ml_buf b = ML_BUF_INIT;
    assert_int_equal(ml_pkcs7_pad(&b, in, n), 0);
    tu_assert_hex(b.p, b.len, str(v, "padded"));
    tu_assert_hex(b.p + b.len - 1, 1, str(v, "pad_byte"));
    assert_int_equal(ml_pkcs7_unpad_len(padded, pl, &back), 0);
    assert_int_equal(back, n);
    ml_buf_free(&b);
    free(in);
    free(padded);
}

static void check_token(json_t *v)
{
    size_t kl, il, pl, tl, cl;
    uint8_t *key = field(v, "key", &kl), *iv = field(v, "iv", &il);
    uint8_t *pt = field(v, "plaintext", &pl), *tok = field(v, "token", &tl);
    uint8_t *ct = field(v, "ciphertext", &cl);
    ml_buf b = ML_BUF_INIT;
    assert_int_equal(kl, 64);
    assert_int_equal(ml_token_encrypt(&b, key, iv, pt, pl), 0);
    tu_assert_hex(b.p, b.len, str(v, "token"));
    assert_int_equal(b.len, json_integer_value(json_object_get(v, "token_length")));
    ml_buf_reset(&b);
    assert_int_equal(ml_token_decrypt(&b, key, tok, tl), 0);
    assert_int_equal(b.len, pl);
    assert_true(pl == 0 || memcmp(b.p, pt, pl) == 0);
    /* The bare cipher agrees with the token's middle part. */
    ml_buf_reset(&b);
    assert_int_equal(ml_aes256_cbc_encrypt(&b, key + 32, iv, pt, pl), 0);
    tu_assert_hex(b.p, b.len, str(v, "ciphertext"));
    ml_buf_reset(&b);
    assert_int_equal(ml_aes256_cbc_decrypt(&b, key + 32, iv, ct, cl), 0);
    assert_int_equal(b.len, pl);
    ml_buf_free(&b);
    free(key);
    free(iv);
    free(pt);
    free(tok);
    free(ct);
}

static void check_token_invalid(json_t *v)
{
    size_t kl, tl;
    uint8_t *key = field(v, "key", &kl), *tok = field(v, "token", &tl);
    ml_buf b = ML_BUF_INIT;
    assert_string_equal(str(v, "expect"), "reject");
    int rc = ml_token_decrypt(&b, key, tok, tl);
    assert_true(rc == ML_EAUTH || rc == ML_EMALFORMED);
    /* A bad MAC is reported as such, never as a padding problem. */
    if (strstr(str(v, "reference_error"), "HMAC was invalid"))
        assert_int_equal(rc, ML_EAUTH);
    assert_int_equal(b.len, 0);
    ml_buf_free(&b);
    free(key);
    free(tok);
}

static void check_x25519(json_t *v)
{
    size_t n;
    uint8_t *pa = field(v, "private_a", &n), *pb = field(v, "private_b", &n);
    uint8_t pub[32], pub_b[32], s1[32], s2[32];
    assert_int_equal(ml_x25519_public(pub, pa), 0);
    tu_assert_hex(pub, 32, str(v, "public_a"));
    assert_int_equal(ml_x25519_public(pub_b, pb), 0);
    tu_assert_hex(pub_b, 32, str(v, "public_b"));
    assert_int_equal(ml_x25519(s1, pa, pub_b), 0);
    assert_int_equal(ml_x25519(s2, pb, pub), 0);
    tu_assert_hex(s1, 32, str(v, "shared_secret"));
    tu_assert_hex(s2, 32, str(v, "shared_secret"));
    free(pa);
    free(pb);
}

static void check_ed25519(json_t *v)
{
    size_t n, ml;
    uint8_t *seed = field(v, "seed", &n), *msg = field(v, "message", &ml);
    uint8_t *good = field(v, "signature", &n), *bad = field(v, "bad_signature", &n);
    uint8_t pub[32], sig[64];
    assert_int_equal(ml_ed25519_public(pub, seed), 0);
    tu_assert_hex(pub, 32, str(v, "public_key"));
    assert_int_equal(ml_ed25519_sign(sig, seed, msg, ml), 0);
    tu_assert_hex(sig, 64, str(v, "signature"));
    assert_int_equal(ml_ed25519_verify(good, pub, msg, ml), 0);
    assert_int_equal(ml_ed25519_verify(bad, pub, msg, ml), ML_EBADSIG);
    free(seed);
    free(msg);
    free(good);
    free(bad);
}

static const tu_checker checkers[] = {
    {"sha256", check_sha256},   {"hmac_sha256", check_hmac},
    {"hkdf", check_hkdf},       {"pkcs7", check_pkcs7},
    {"token", check_token},     {"token_invalid", check_token_invalid},
    {"x25519", check_x25519},   {"ed25519", check_ed25519},
};

static void test_every_vector(void **state)
{
    (void)state;
    json_t *file = tu_load_vectors("vectors/rns/primitives.json");
    tu_check_vectors(file, checkers, sizeof checkers / sizeof checkers[0]);
    assert_true(tu_count_kind(file, "token_invalid") >= 8);
    json_decref(file);
}

static void test_pkcs7_strict(void **state)
{
    (void)state;
    uint8_t blk[16];
    size_t n = 0;
    memset(blk, 0x04, sizeof blk);
    assert_int_equal(ml_pkcs7_unpad_len(blk, 16, &n), 0);
    assert_int_equal(n, 12);
    blk[13] = 0x05; /* one wrong pad byte inside the run */
    assert_int_equal(ml_pkcs7_unpad_len(blk, 16, &n), ML_EMALFORMED);
    memset(blk, 0, sizeof blk);
    assert_int_equal(ml_pkcs7_unpad_len(blk, 16, &n), ML_EMALFORMED);
    memset(blk, 0x11, sizeof blk);
    assert_int_equal(ml_pkcs7_unpad_len(blk, 16, &n), ML_EMALFORMED);
    assert_int_equal(ml_pkcs7_unpad_len(blk, 15, &n), ML_EMALFORMED);
    assert_int_equal(ml_pkcs7_unpad_len(blk, 0, &n), ML_EMALFORMED);
}

/* Round trips with random IVs; every single-bit flip of the token is refused. */
static void test_token_tamper(void **state)
{
    (void)state;
    uint8_t key[64], pt[40];
    ml_buf tok = ML_BUF_INIT, out = ML_BUF_INIT;
    assert_int_equal(ml_random(key, sizeof key), 0);
    assert_int_equal(ml_random(pt, sizeof pt), 0);
    assert_int_equal(ml_token_encrypt(&tok, key, NULL, pt, sizeof pt), 0);
    assert_int_equal(tok.len, 16 + 48 + 32);
    assert_int_equal(ml_token_decrypt(&out, key, tok.p, tok.len), 0);
    assert_memory_equal(out.p, pt, sizeof pt);
    for (size_t bit = 0; bit < tok.len * 8; bit++) {
        ml_buf_reset(&out);
        tok.p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_int_equal(ml_token_decrypt(&out, key, tok.p, tok.len), ML_EAUTH);
        assert_int_equal(out.len, 0);
        tok.p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    for (size_t len = 0; len < tok.len; len++)
        assert_true(ml_token_decrypt(&out, key, tok.p, len) < 0);
    ml_buf_free(&tok);
    ml_buf_free(&out);
}

static void test_x25519_low_order(void **state)
{
    (void)state;
    uint8_t priv[32], zero[32] = {0}, shared[32];
    memset(priv, 0x42, sizeof priv);
    assert_int_equal(ml_x25519(shared, priv, zero), ML_ECRYPTO);
}

static void test_hkdf_limits(void **state)
{
    (void)state;
    uint8_t out[8] = {0};
    assert_int_equal(ml_hkdf_sha256(out, 0, out, 8, NULL, 0, NULL, 0), ML_EINVAL);
    assert_int_equal(ml_hkdf_sha256(out, 255 * 32 + 1, out, 8, NULL, 0, NULL, 0), ML_EINVAL);
    assert_int_equal(ml_ct_memcmp("abc", "abd", 3) != 0, 1);
    assert_int_equal(ml_ct_memcmp("abc", "abc", 3), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_vector),
        cmocka_unit_test(test_pkcs7_strict),
        cmocka_unit_test(test_token_tamper),
        cmocka_unit_test(test_x25519_low_order),
        cmocka_unit_test(test_hkdf_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
