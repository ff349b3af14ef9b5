// SPDX-License-Identifier: MIT
// The primitives of include/meshlog/crypto.h over OpenSSL 3 libcrypto: SHA-2,
// HMAC, HKDF, X25519, Ed25519, AES-256-CBC with our own strict PKCS7, and the
// Reticulum token. This is the only file in the tree that includes OpenSSL, so
// swapping the backend (or auditing how keys are handled) touches one file.
// Every function wipes the secrets it copied onto its own stack or heap.
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "meshlog/crypto.h"
#include "meshlog/crypto_compat.h"
#include "meshlog/error.h"

#define AES_BLOCK 16
#define TOKEN_IV 16
#define TOKEN_MAC 32

/* OpenSSL rejects NULL data pointers even with a zero length in places;
 * this stands in for "no bytes". */
static const uint8_t empty_input[1];

static const void *nonnull(const void *p)
{
    return p ? p : empty_input;
}

/* ---- hashing ------------------------------------------------------------ */

/* OpenSSL 3 looks the algorithm up in its provider tables on every
 * EVP_Digest(EVP_sha256()) call, which costs as much as hashing a short
 * event: fetch it once, and keep one digest context per thread. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static void sha256_ctx_free(void *p)
{
    EVP_MD_CTX_free(p);
}

static pthread_key_t sha256_key;
static pthread_once_t sha256_key_once = PTHREAD_ONCE_INIT;

static void sha256_key_make(void)
{
    pthread_key_create(&sha256_key, sha256_ctx_free);
}

static EVP_MD_CTX *sha256_ctx(void)
{
    pthread_once(&sha256_key_once, sha256_key_make);
    EVP_MD_CTX *c = pthread_getspecific(sha256_key);
    if (!c && (c = EVP_MD_CTX_new()) != NULL && pthread_setspecific(sha256_key, c) != 0) {
        EVP_MD_CTX_free(c);
        c = NULL;
    }
    return c;
}

void ml_sha256(uint8_t out[32], const void *data, size_t len)
{
    pthread_once(&sha256_once, sha256_fetch);
    EVP_MD_CTX *c = sha256_md ? sha256_ctx() : NULL;
    if (c && EVP_DigestInit_ex(c, sha256_md, NULL) && EVP_DigestUpdate(c, nonnull(data), len) &&
        EVP_DigestFinal_ex(c, out, NULL))
        return;
    if (!EVP_Digest(nonnull(data), len, out, NULL, EVP_sha256(), NULL))
        memset(out, 0, 32);
}

void ml_sha512(uint8_t out[64], const void *data, size_t len)
{
    if (!EVP_Digest(nonnull(data), len, out, NULL, EVP_sha512(), NULL))
        memset(out, 0, 64);
}

int ml_sha256_init(ml_sha256_ctx *c)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    c->opaque = NULL;
    if (!md)
        return ML_ECRYPTO;
    if (!EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(md);
        return ML_ECRYPTO;
    }
    c->opaque = md;
    return 0;
}

int ml_sha256_update(ml_sha256_ctx *c, const void *d, size_t n)
{
    if (!c->opaque)
        return ML_ESTATE;
    return EVP_DigestUpdate(c->opaque, nonnull(d), n) ? 0 : ML_ECRYPTO;
}

int ml_sha256_final(ml_sha256_ctx *c, uint8_t out[32])
{
    int ret = ML_ECRYPTO;
    if (!c->opaque)
        return ML_ESTATE;
    if (EVP_DigestFinal_ex(c->opaque, out, NULL))
        ret = 0;
    ml_sha256_abort(c);
    return ret;
}

void ml_sha256_abort(ml_sha256_ctx *c)
{
    if (!c)
        return;
    EVP_MD_CTX_free(c->opaque);
    c->opaque = NULL;
}

/* HMAC over the concatenation of two parts, so callers never build a
 * temporary copy of (possibly secret) input just to hash it. */
static int hmac2(uint8_t out[32], const uint8_t *key, size_t keylen,
                 const void *a, size_t alen, const void *b, size_t blen)
{
    int ret = ML_ECRYPTO;
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    size_t outl = 0;

    if (!ctx || !EVP_MAC_init(ctx, nonnull(key), keylen, params))
        goto out;
    if (!EVP_MAC_update(ctx, nonnull(a), alen) || !EVP_MAC_update(ctx, nonnull(b), blen))
        goto out;
    if (!EVP_MAC_final(ctx, out, &outl, 32) || outl != 32)
        goto out;
    ret = 0;
out:
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    return ret;
}

void ml_hmac_sha256(uint8_t out[32], const uint8_t *key, size_t keylen,
                    const void *data, size_t len)
{
    if (hmac2(out, key, keylen, data, len, NULL, 0))
        memset(out, 0, 32);
}

int ml_hkdf_sha256(uint8_t *out, size_t out_len, const uint8_t *ikm, size_t ikm_len,
                   const uint8_t *salt, size_t salt_len,
                   const uint8_t *info, size_t info_len)
{
    int ret = ML_ECRYPTO;
    EVP_KDF *kdf = NULL;
    EVP_KDF_CTX *ctx = NULL;
    OSSL_PARAM params[5], *p = params;

    if (!out || out_len == 0 || out_len > 255 * 32 || (!ikm && ikm_len))
        return ML_EINVAL;
    /* An absent or empty salt means 32 zero bytes (RFC 5869). HMAC pads short
     * keys with zeros, so the empty key gives the same PRK. */
    *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                             (void *)nonnull(ikm), ikm_len);
    if (salt && salt_len)
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt,
                                                 salt_len);
    if (info && info_len)
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info,
                                                 info_len);
    *p = OSSL_PARAM_construct_end();
    kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    if (ctx && EVP_KDF_derive(ctx, out, out_len, params) == 1)
        ret = 0;
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    if (ret)
        ml_wipe(out, out_len);
    return ret;
}

/* ---- X25519 ------------------------------------------------------------- */

int ml_x25519_public(uint8_t pub[32], const uint8_t priv[32])
{
    int ret = ML_ECRYPTO;
    size_t n = 32;
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, 32);

    if (k && EVP_PKEY_get_raw_public_key(k, pub, &n) && n == 32)
        ret = 0;
    EVP_PKEY_free(k); /* clears the private key it copied */
    return ret;
}

int ml_x25519(uint8_t shared[32], const uint8_t priv[32], const uint8_t peer_pub[32])
{
    int ret = ML_ECRYPTO;
    size_t n = 32;
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, 32);
    EVP_PKEY *peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer_pub, 32);
    EVP_PKEY_CTX *ctx = k ? EVP_PKEY_CTX_new(k, NULL) : NULL;

    if (!ctx || !peer || EVP_PKEY_derive_init(ctx) != 1)
        goto out;
    if (EVP_PKEY_derive_set_peer(ctx, peer) != 1)
        goto out;
    /* OpenSSL fails the derivation on an all-zero result (a low-order peer
     * point), which is exactly the case we must refuse. */
    if (EVP_PKEY_derive(ctx, shared, &n) != 1 || n != 32)
        goto out;
    ret = 0;
out:
    if (ret)
        ml_wipe(shared, 32);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(peer);
    EVP_PKEY_free(k);
    return ret;
}

/* ---- Ed25519 ------------------------------------------------------------ */

int ml_ed25519_public(uint8_t pub[32], const uint8_t seed[32])
{
    int ret = ML_ECRYPTO;
    size_t n = 32;
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);

    if (k && EVP_PKEY_get_raw_public_key(k, pub, &n) && n == 32)
        ret = 0;
    EVP_PKEY_free(k);
    return ret;
}

int ml_ed25519_sign(uint8_t sig[64], const uint8_t seed[32], const void *msg, size_t len)
{
    int ret = ML_ECRYPTO;
    size_t n = 64;
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    EVP_MD_CTX *md = EVP_MD_CTX_new();

    if (!k || !md || EVP_DigestSignInit(md, NULL, NULL, NULL, k) != 1)
        goto out;
    if (EVP_DigestSign(md, sig, &n, nonnull(msg), len) != 1 || n != 64)
        goto out;
    ret = 0;
out:
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(k);
    return ret;
}

int ml_ed25519_verify(const uint8_t sig[64], const uint8_t pub[32], const void *msg,
                      size_t len)
{
    int ret = ML_ECRYPTO;
    EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
    EVP_MD_CTX *md = EVP_MD_CTX_new();

    if (!md)
        goto out;
    /* A public key OpenSSL cannot decode can verify nothing: a bad signature,
     * not a library failure. */
    ret = ML_EBADSIG;
    if (!k || EVP_DigestVerifyInit(md, NULL, NULL, NULL, k) != 1)
        goto out;
    if (EVP_DigestVerify(md, sig, 64, nonnull(msg), len) == 1)
        ret = 0;
out:
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(k);
    return ret;
}

/* ---- PKCS7 and AES-256-CBC --------------------------------------------- */

int ml_pkcs7_pad(ml_buf *out, const uint8_t *in, size_t len)
{
    uint8_t pad[AES_BLOCK];
    size_t n = AES_BLOCK - len % AES_BLOCK;

    memset(pad, (int)n, sizeof pad);
    if (ml_buf_reserve(out, len + n))
        return ML_ENOMEM;
    if (ml_buf_append(out, nonnull(in), len) || ml_buf_append(out, pad, n))
        return ML_ENOMEM;
    return 0;
}

int ml_pkcs7_unpad_len(const uint8_t *in, size_t len, size_t *out_len)
{
    if (!in || len == 0 || len % AES_BLOCK)
        return ML_EMALFORMED;
    uint8_t n = in[len - 1];
    if (n == 0 || n > AES_BLOCK)
        return ML_EMALFORMED;
    /* Every pad byte must carry the pad length; the reference only checks
     * the last one, but a lax check would accept forged tails. */
    for (size_t i = len - n; i < len; i++)
        if (in[i] != n)
            return ML_EMALFORMED;
    *out_len = len - n;
    return 0;
}

/* Raw CBC over whole blocks (no padding), appended to out. */
static int aes_cbc(ml_buf *out, int enc, const uint8_t key[32], const uint8_t iv[16],
                   const uint8_t *in, size_t len)
{
    int ret = ML_ECRYPTO, n1 = 0, n2 = 0;
    EVP_CIPHER_CTX *ctx = NULL;

    if (len % AES_BLOCK || len > INT_MAX)
        return ML_EMALFORMED;
    if (ml_buf_reserve(out, len + AES_BLOCK))
        return ML_ENOMEM;
    ctx = EVP_CIPHER_CTX_new();
    if (!ctx || EVP_CipherInit_ex(ctx, EVP_aes_256_cbc(), NULL, key, iv, enc) != 1)
        goto out;
    EVP_CIPHER_CTX_set_padding(ctx, 0);
    if (EVP_CipherUpdate(ctx, out->p + out->len, &n1, nonnull(in), (int)len) != 1)
        goto out;
    if (EVP_CipherFinal_ex(ctx, out->p + out->len + n1, &n2) != 1)
        goto out;
    if ((size_t)n1 + (size_t)n2 != len)
        goto out;
    out->len += len;
    out->p[out->len] = 0;
    ret = 0;
out:
    EVP_CIPHER_CTX_free(ctx); /* clears the key schedule */
    return ret;
}

int ml_aes256_cbc_encrypt(ml_buf *out, const uint8_t key[32], const uint8_t iv[16],
                          const uint8_t *in, size_t len)
{
    ml_buf padded = ML_BUF_INIT;
    int ret = ml_pkcs7_pad(&padded, in, len);

    if (ret == 0)
        ret = aes_cbc(out, 1, key, iv, padded.p, padded.len);
    ml_wipe(padded.p, padded.cap);
    ml_buf_free(&padded);
    return ret;
}

int ml_aes256_cbc_decrypt(ml_buf *out, const uint8_t key[32], const uint8_t iv[16],
                          const uint8_t *in, size_t len)
{
    size_t start = out->len, ptlen = 0;
    int ret;

    if (len == 0)
        return ML_EMALFORMED;
    ret = aes_cbc(out, 0, key, iv, in, len);
    if (ret)
        return ret;
    ret = ml_pkcs7_unpad_len(out->p + start, len, &ptlen);
    if (ret) {
        /* Leave no half-decrypted bytes behind in the caller's buffer. */
        ml_wipe(out->p + start, len);
        ptlen = 0;
    }
    ml_wipe(out->p + start + ptlen, len - ptlen);
    out->len = start + ptlen;
    out->p[out->len] = 0;
    return ret;
}

/* ---- the Reticulum token -------------------------------------------------- */

int ml_token_encrypt(ml_buf *out, const uint8_t key64[64], const uint8_t *iv16,
                     const uint8_t *pt, size_t len)
{
    uint8_t iv[TOKEN_IV], mac[TOKEN_MAC];
    size_t start = out->len;
    int ret;

    if (iv16)
        memcpy(iv, iv16, sizeof iv);
    else if ((ret = ml_random(iv, sizeof iv)))
        return ret;
    if ((ret = ml_buf_append(out, iv, sizeof iv)))
        goto out;
    if ((ret = ml_aes256_cbc_encrypt(out, key64 + 32, iv, pt, len)))
        goto out;
    if ((ret = hmac2(mac, key64, 32, out->p + start, out->len - start, NULL, 0)))
        goto out;
    ret = ml_buf_append(out, mac, sizeof mac);
out:
    if (ret && out->p) {
        out->len = start;
        out->p[start] = 0;
    }
    return ret;
}

int ml_token_decrypt(ml_buf *out, const uint8_t key64[64], const uint8_t *tok, size_t len)
{
    uint8_t mac[TOKEN_MAC];
    size_t body;
    int ret;

    if (!tok || len <= TOKEN_MAC)
        return ML_EMALFORMED;
    body = len - TOKEN_MAC;
    /* Authenticate before touching the ciphertext: no padding oracle. */
    if ((ret = hmac2(mac, key64, 32, tok, body, NULL, 0)))
        goto out;
    if (ml_ct_memcmp(mac, tok + body, TOKEN_MAC)) {
        ret = ML_EAUTH;
        goto out;
    }
    if (body < TOKEN_IV + AES_BLOCK || (body - TOKEN_IV) % AES_BLOCK) {
        ret = ML_EMALFORMED;
        goto out;
    }
    ret = ml_aes256_cbc_decrypt(out, key64 + 32, tok, tok + TOKEN_IV, body - TOKEN_IV);
out:
    ml_wipe(mac, sizeof mac);
    return ret;
}

/* ---- randomness and hygiene ---------------------------------------------- */

int ml_random(void *out, size_t len)
{
    uint8_t *p = out;

    while (len > 0) {
        int n = len > INT_MAX ? INT_MAX : (int)len;
        if (RAND_bytes(p, n) != 1)
            return ML_ECRYPTO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

void ml_wipe(void *p, size_t len)
{
    if (p && len)
        OPENSSL_cleanse(p, len);
}

int ml_ct_memcmp(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) != 0;
}

/* ---- reference-compatibility crypto (crypto_compat.h) -------------------------
 * Bare AES-CBC in both key sizes with padding switched off, the reference's
 * lax PKCS7 unpad, and the token for 32- and 64-byte keys: what the
 * conformance bridge must answer. Kept here so that this stays the one file
 * that includes OpenSSL. */


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
