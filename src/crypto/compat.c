// SPDX-License-Identifier: MIT
// Reference-compatibility crypto (crypto_compat.h): bare AES-CBC in both key
// sizes over OpenSSL's EVP interface with padding switched off, the
// reference's lax PKCS7 unpad, and the token for 32- and 64-byte keys. It
// sits beside crypto.c rather than in it so the protocol's own primitives
// stay minimal; this file only adds what the conformance bridge must answer.
#include "meshlog/crypto_compat.h"

#include <string.h>

#include <openssl/evp.h>

#include "meshlog/crypto.h"
#include "meshlog/error.h"

#define TOKEN_IV 16
#define TOKEN_MAC 32

static const EVP_CIPHER *cbc_cipher(size_t keylen)
{
    if (keylen == 16)
        return EVP_aes_128_cbc();
    if (keylen == 32)
        return EVP_aes_256_cbc();
    return NULL;
}

/* One EVP pass with padding off; out must have room for len bytes. */
static int cbc_run(uint8_t *out, int encrypt, const EVP_CIPHER *c, const uint8_t *key,
                   const uint8_t *iv, const uint8_t *in, size_t len)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, fin = 0, ret = ML_ECRYPTO;

    if (!ctx || len > (size_t)0x7fffffff)
        goto out;
    if (EVP_CipherInit_ex(ctx, c, NULL, key, iv, encrypt) != 1)
        goto out;
    EVP_CIPHER_CTX_set_padding(ctx, 0);
    if (len && EVP_CipherUpdate(ctx, out, &n, in, (int)len) != 1)
        goto out;
    if (EVP_CipherFinal_ex(ctx, out + n, &fin) != 1 || (size_t)(n + fin) != len)
        goto out;
    ret = 0;
out:
    EVP_CIPHER_CTX_free(ctx); /* wipes the key schedule */
    return ret;
}

int ml_aes_cbc_raw(ml_buf *out, int encrypt, const uint8_t *key, size_t keylen,
                   const uint8_t iv[16], const uint8_t *in, size_t len)
{
    const EVP_CIPHER *c = cbc_cipher(keylen);
    int ret;

    if (!out || !key || !iv || (!in && len) || !c || len % ML_AES_BLOCK)
        return ML_EINVAL;
    if ((ret = ml_buf_reserve(out, len + 1)))
        return ret;
    if ((ret = cbc_run(out->p + out->len, encrypt, c, key, iv, in, len))) {
        ml_wipe(out->p + out->len, len);
        return ret;
    }
    out->len += len;
    out->p[out->len] = 0;
    return 0;
}

int ml_pkcs7_unpad_lax_len(const uint8_t *in, size_t len, size_t *out_len)
{
    size_t n;

    if (!in || !out_len || len == 0)
        return ML_EMALFORMED;
    n = in[len - 1];
    if (n > ML_AES_BLOCK || n > len)
        return ML_EMALFORMED;
    *out_len = len - n;
    return 0;
}

int ml_aes_cbc_pkcs7_encrypt(ml_buf *out, const uint8_t *key, size_t keylen,
                             const uint8_t iv[16], const uint8_t *in, size_t len)
{
    ml_buf padded = ML_BUF_INIT;
    int ret = ml_pkcs7_pad(&padded, in, len);

    if (!ret)
        ret = ml_aes_cbc_raw(out, 1, key, keylen, iv, padded.p, padded.len);
    ml_wipe(padded.p, padded.len);
    ml_buf_free(&padded);
    return ret;
}

int ml_aes_cbc_pkcs7_decrypt(ml_buf *out, const uint8_t *key, size_t keylen,
                             const uint8_t iv[16], const uint8_t *in, size_t len)
{
    size_t start = out ? out->len : 0, keep = 0;
    int ret = ml_aes_cbc_raw(out, 0, key, keylen, iv, in, len);

    if (ret)
        return ret;
    if (ml_pkcs7_unpad_lax_len(out->p + start, len, &keep)) {
        ml_wipe(out->p + start, len);
        out->len = start;
        out->p[start] = 0;
        return ML_EMALFORMED;
    }
    ml_wipe(out->p + start + keep, len - keep);
    out->len = start + keep;
    out->p[out->len] = 0;
    return 0;
}

int ml_token_verify_hmac(const uint8_t *key, size_t keylen, const uint8_t *tok, size_t len)
{
    uint8_t mac[TOKEN_MAC];
    int ret;

    if (!key || (keylen != 32 && keylen != 64))
        return ML_EINVAL;
    if (!tok || len <= TOKEN_MAC)
        return ML_EMALFORMED;
    ml_hmac_sha256(mac, key, keylen / 2, tok, len - TOKEN_MAC);
    ret = ml_ct_memcmp(mac, tok + len - TOKEN_MAC, TOKEN_MAC) ? ML_EAUTH : 0;
    ml_wipe(mac, sizeof mac);
    return ret;
}

/* The AES-128 token (32-byte key): same layout as the AES-256 one. */
static int token128_encrypt(ml_buf *out, const uint8_t key[32], const uint8_t *iv16,
                            const uint8_t *pt, size_t len)
{
    size_t start = out->len;
    uint8_t iv[TOKEN_IV], mac[TOKEN_MAC];
    int ret;

    if (iv16)
        memcpy(iv, iv16, TOKEN_IV);
    else if ((ret = ml_random(iv, TOKEN_IV)))
        return ret;
    if ((ret = ml_buf_append(out, iv, TOKEN_IV)))
        return ret;
    if ((ret = ml_aes_cbc_pkcs7_encrypt(out, key + 16, 16, iv, pt, len)))
        goto fail;
    ml_hmac_sha256(mac, key, 16, out->p + start, out->len - start);
    if (!(ret = ml_buf_append(out, mac, TOKEN_MAC)))
        return 0;
fail:
    out->len = start;
    out->p[start] = 0;
    return ret;
}

static int token128_decrypt(ml_buf *out, const uint8_t key[32], const uint8_t *tok, size_t len)
{
    int ret = ml_token_verify_hmac(key, 32, tok, len);
    size_t body = len - TOKEN_MAC;

    if (ret)
        return ret;
    if (body < TOKEN_IV + ML_AES_BLOCK || (body - TOKEN_IV) % ML_AES_BLOCK)
        return ML_EMALFORMED;
    return ml_aes_cbc_pkcs7_decrypt(out, key + 16, 16, tok, tok + TOKEN_IV, body - TOKEN_IV);
}

int ml_token_any_encrypt(ml_buf *out, const uint8_t *key, size_t keylen, const uint8_t *iv16,
                         const uint8_t *pt, size_t len)
{
    if (!out || !key || (!pt && len))
        return ML_EINVAL;
    if (keylen == 64)
        return ml_token_encrypt(out, key, iv16, pt, len);
    if (keylen == 32)
        return token128_encrypt(out, key, iv16, pt, len);
    return ML_EINVAL;
}

int ml_token_any_decrypt(ml_buf *out, const uint8_t *key, size_t keylen, const uint8_t *tok,
                         size_t len)
{
    if (!out || !key)
        return ML_EINVAL;
    if (keylen == 64)
        return ml_token_decrypt(out, key, tok, len);
    if (keylen == 32)
        return token128_decrypt(out, key, tok, len);
    return ML_EINVAL;
}
