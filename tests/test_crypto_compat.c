// SPDX-License-Identifier: MIT
// Tests of crypto_compat.h: bare AES-CBC against NIST SP 800-38A (F.2.1,
// F.2.5) and against crypto.h's padded AES-256-CBC, the reference's lax
// unpad rule, the token in both key sizes (64-byte keys against every token
// of ../shared/vectors/rns/primitives.json), and the HMAC check alone.
#include <string.h>

#include "rns_testutil.h"
#include "meshlog/crypto.h"
#include "meshlog/crypto_compat.h"

static const char *nist_pt = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
                             "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
static const char *nist_iv = "000102030405060708090a0b0c0d0e0f";

static void nist(const char *key_hex, const char *ct_hex)
{
    size_t klen, plen, ivlen, clen;
    uint8_t *key = tu_unhex(key_hex, &klen), *pt = tu_unhex(nist_pt, &plen);
    uint8_t *iv = tu_unhex(nist_iv, &ivlen), *ct = tu_unhex(ct_hex, &clen);
    ml_buf out = ML_BUF_INIT;

    assert_int_equal(ml_aes_cbc_raw(&out, 1, key, klen, iv, pt, plen), 0);
    tu_assert_hex(out.p, out.len, ct_hex);
    ml_buf_reset(&out);
    assert_int_equal(ml_aes_cbc_raw(&out, 0, key, klen, iv, ct, clen), 0);
    tu_assert_hex(out.p, out.len, nist_pt);
    /* not whole blocks, wrong key size: refused, out unchanged */
    assert_int_equal(ml_aes_cbc_raw(&out, 1, key, klen, iv, pt, 15), ML_EINVAL);
    assert_int_equal(ml_aes_cbc_raw(&out, 1, key, 24, iv, pt, 16), ML_EINVAL);
    assert_int_equal(out.len, plen);
    ml_buf_free(&out);
    free(key), free(pt), free(iv), free(ct);
}

static void test_nist(void **state)
{
    (void)state;
    nist("2b7e151628aed2a6abf7158809cf4f3c",
         "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
         "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7");
    nist("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
         "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
         "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b");
}

/* PKCS7 + AES-256 here gives the bytes of crypto.h's padded encryption. */
static void test_matches_core(void **state)
{
    uint8_t key[32], iv[16], pt[40];
    ml_buf a = ML_BUF_INIT, b = ML_BUF_INIT;
    (void)state;

    for (size_t i = 0; i < sizeof pt; i++)
        pt[i] = (uint8_t)(i * 7);
    memset(key, 0x42, sizeof key);
    memset(iv, 0x24, sizeof iv);
    for (size_t n = 0; n <= sizeof pt; n += 13) {
        ml_buf_reset(&a), ml_buf_reset(&b);
        assert_int_equal(ml_aes_cbc_pkcs7_encrypt(&a, key, 32, iv, pt, n), 0);
        assert_int_equal(ml_aes256_cbc_encrypt(&b, key, iv, pt, n), 0);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.p, b.p, a.len);
        ml_buf_reset(&b);
        assert_int_equal(ml_aes_cbc_pkcs7_decrypt(&b, key, 32, iv, a.p, a.len), 0);
        assert_int_equal(b.len, n);
        assert_memory_equal(b.p, pt, n);
    }
    ml_buf_free(&a), ml_buf_free(&b);
}

static void test_lax_unpad(void **state)
{
    uint8_t block[16];
    size_t keep = 99;
    (void)state;

    memset(block, 0xaa, sizeof block);
    block[15] = 5;      /* content of the pad is not checked */
    assert_int_equal(ml_pkcs7_unpad_lax_len(block, 16, &keep), 0);
    assert_int_equal(keep, 11);
    block[15] = 0;      /* nothing stripped */
    assert_int_equal(ml_pkcs7_unpad_lax_len(block, 16, &keep), 0);
    assert_int_equal(keep, 16);
    block[15] = 17;     /* longer than a block */
    assert_int_equal(ml_pkcs7_unpad_lax_len(block, 16, &keep), ML_EMALFORMED);
    block[0] = 4;       /* longer than the input */
    assert_int_equal(ml_pkcs7_unpad_lax_len(block, 1, &keep), ML_EMALFORMED);
    assert_int_equal(ml_pkcs7_unpad_lax_len(block, 0, &keep), ML_EMALFORMED);
}

static void test_token_vectors(void **state)
{
    json_t *file = tu_load_vectors("vectors/rns/primitives.json"), *v;
    size_t i, klen, tlen;
    (void)state;

    json_array_foreach(json_object_get(file, "vectors"), i, v) {
        const char *kind = rt_str(v, "kind");
        ml_buf out = ML_BUF_INIT;
        uint8_t *key, *tok;
        if (strncmp(kind, "token", 5) != 0)
            continue;
        key = tu_unhex(rt_str(v, "key"), &klen);
        tok = tu_unhex(rt_str(v, "token"), &tlen);
        if (strcmp(kind, "token_invalid") == 0) {
            assert_true(ml_token_any_decrypt(&out, key, klen, tok, tlen) < 0);
            assert_int_equal(out.len, 0);
        } else {
            size_t plen, ivlen;
            uint8_t *pt = tu_unhex(rt_str(v, "plaintext"), &plen);
            uint8_t *iv = tu_unhex(rt_str(v, "iv"), &ivlen);
            assert_int_equal(ml_token_verify_hmac(key, klen, tok, tlen), 0);
            assert_int_equal(ml_token_any_decrypt(&out, key, klen, tok, tlen), 0);
            tu_assert_hex(out.p, out.len, rt_str(v, "plaintext"));
            ml_buf_reset(&out);
            assert_int_equal(ml_token_any_encrypt(&out, key, klen, iv, pt, plen), 0);
            tu_assert_hex(out.p, out.len, rt_str(v, "token"));
            free(pt), free(iv);
        }
        ml_buf_free(&out);
        free(key), free(tok);
    }
    json_decref(file);
}

/* The 32-byte (AES-128) token: round trip, layout, forgery refused. */
static void test_token128(void **state)
{
    uint8_t key[32], iv[16], mac[32];
    ml_buf tok = ML_BUF_INIT, pt = ML_BUF_INIT, ct = ML_BUF_INIT;
    (void)state;

    for (size_t i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
    memset(iv, 7, sizeof iv);
    assert_int_equal(ml_token_any_encrypt(&tok, key, 32, iv, (const uint8_t *)"hello", 5), 0);
    assert_int_equal(tok.len, 16 + 16 + 32);
    assert_memory_equal(tok.p, iv, 16);
    assert_int_equal(ml_aes_cbc_pkcs7_encrypt(&ct, key + 16, 16, iv, (const uint8_t *)"hello", 5), 0);
    assert_memory_equal(tok.p + 16, ct.p, 16);
    ml_hmac_sha256(mac, key, 16, tok.p, 32);
    assert_memory_equal(tok.p + 32, mac, 32);
    assert_int_equal(ml_token_any_decrypt(&pt, key, 32, tok.p, tok.len), 0);
    assert_int_equal(pt.len, 5);
    assert_memory_equal(pt.p, "hello", 5);
    tok.p[20] ^= 1;
    assert_int_equal(ml_token_verify_hmac(key, 32, tok.p, tok.len), ML_EAUTH);
    assert_int_equal(ml_token_any_decrypt(&pt, key, 32, tok.p, tok.len), ML_EAUTH);
    assert_int_equal(ml_token_verify_hmac(key, 32, tok.p, 32), ML_EMALFORMED);
    assert_int_equal(ml_token_verify_hmac(key, 48, tok.p, tok.len), ML_EINVAL);
    assert_int_equal(ml_token_any_encrypt(&tok, key, 16, NULL, tok.p, 1), ML_EINVAL);
    ml_buf_free(&tok), ml_buf_free(&pt), ml_buf_free(&ct);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nist),          cmocka_unit_test(test_matches_core),
        cmocka_unit_test(test_lax_unpad),     cmocka_unit_test(test_token_vectors),
        cmocka_unit_test(test_token128),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
