// SPDX-License-Identifier: MIT
// Bridge commands for the cryptographic primitives: hashes, HMAC, HKDF,
// PKCS7, AES-CBC, the token, X25519 and Ed25519. Each handler decodes its
// parameters, calls crypto.h / crypto_compat.h, and hex-encodes the answer.
#include <string.h>

#include "bridge.h"
#include "meshlog/crypto.h"
#include "meshlog/crypto_compat.h"
#include "meshlog/error.h"

/* Scratch buffers for a handler, wiped and freed together. */
typedef struct bufs {
    ml_buf a, b, c, d;
} bufs;

static void bufs_free(bufs *x)
{
    ml_buf *all[] = {&x->a, &x->b, &x->c, &x->d};
    for (size_t i = 0; i < 4; i++) {
        ml_wipe(all[i]->p, all[i]->cap);
        ml_buf_free(all[i]);
    }
}

static int cmd_sha256(br_ctx *c)
{
    bufs x = {0};
    uint8_t h[32];
    int ret = br_hex(c, "data", &x.a);

    if (!ret) {
        ml_sha256(h, x.a.p, x.a.len);
        ret = br_set_hex(c, "hash", h, sizeof h);
    }
    bufs_free(&x);
    return ret;
}

static int cmd_sha512(br_ctx *c)
{
    bufs x = {0};
    uint8_t h[64];
    int ret = br_hex(c, "data", &x.a);

    if (!ret) {
        ml_sha512(h, x.a.p, x.a.len);
        ret = br_set_hex(c, "hash", h, sizeof h);
    }
    bufs_free(&x);
    return ret;
}

static int cmd_hmac_sha256(br_ctx *c)
{
    bufs x = {0};
    uint8_t mac[32];
    int ret = br_hex(c, "key", &x.a);

    if (!ret)
        ret = br_hex(c, "message", &x.b);
    if (!ret) {
        ml_hmac_sha256(mac, x.a.p, x.a.len, x.b.p, x.b.len);
        ret = br_set_hex(c, "hmac", mac, sizeof mac);
    }
    bufs_free(&x);
    return ret;
}

static int cmd_hkdf(br_ctx *c)
{
    bufs x = {0};
    long long len;
    int has_salt, has_info, ret = br_int(c, "length", -1, &len);

    if (!ret && (len < 1 || len > 255 * 32))
        ret = br_fail(c, "length must be 1..8160, got %lld", len);
    if (!ret)
        ret = br_hex(c, "ikm", &x.a);
    if (!ret)
        ret = br_hex_opt(c, "salt", &x.b, &has_salt);
    if (!ret)
        ret = br_hex_opt(c, "info", &x.c, &has_info);
    if (!ret)
        ret = br_check(c, ml_buf_reserve(&x.d, (size_t)len + 1), "hkdf");
    /* An absent or empty salt means 32 zero bytes, which the library's NULL
     * salt gives, as the reference's HKDF does. */
    if (!ret)
        ret = br_check(c, ml_hkdf_sha256(x.d.p, (size_t)len, x.a.p, x.a.len,
                                         x.b.len ? x.b.p : NULL, x.b.len,
                                         x.c.len ? x.c.p : NULL, x.c.len), "hkdf");
    if (!ret)
        ret = br_set_hex(c, "derived_key", x.d.p, (size_t)len);
    bufs_free(&x);
    return ret;
}

static int cmd_pkcs7_pad(br_ctx *c)
{
    bufs x = {0};
    int ret = br_hex(c, "data", &x.a);

    if (!ret)
        ret = br_check(c, ml_pkcs7_pad(&x.b, x.a.p, x.a.len), "pkcs7_pad");
    if (!ret)
        ret = br_set_buf(c, "padded", &x.b);
    bufs_free(&x);
    return ret;
}

/* The reference's unpad is lax (only the pad length is checked). */
static int cmd_pkcs7_unpad(br_ctx *c)
{
    bufs x = {0};
    size_t keep = 0;
    int ret = br_hex(c, "data", &x.a);

    if (!ret && ml_pkcs7_unpad_lax_len(x.a.p, x.a.len, &keep))
        ret = br_fail(c, "invalid padding length");
    if (!ret)
        ret = br_set_hex(c, "unpadded", x.a.p, keep);
    bufs_free(&x);
    return ret;
}

/* Key, IV and input of the AES commands; mode AES_128_CBC wants 16-byte keys. */
static int aes_params(br_ctx *c, bufs *x, const char *in_key, int check_mode)
{
    const char *mode = "AES_256_CBC";
    size_t want;

    if (br_hex(c, "key", &x->a) || br_hex(c, "iv", &x->b) || br_hex(c, in_key, &x->c))
        return -1;
    if (check_mode && br_param(c, "mode") && br_str(c, "mode", &mode))
        return -1;
    if (strcmp(mode, "AES_128_CBC") && strcmp(mode, "AES_256_CBC"))
        return br_fail(c, "unknown mode %s", mode);
    want = strcmp(mode, "AES_128_CBC") == 0 ? 16 : 32;
    if (x->a.len != want)
        return br_fail(c, "Invalid key length %zu for %s", x->a.len * 8, mode);
    if (x->b.len != 16)
        return br_fail(c, "iv must be 16 bytes");
    return 0;
}

static int aes_cmd(br_ctx *c, int encrypt, int padded)
{
    bufs x = {0};
    int rc, ret = aes_params(c, &x, encrypt ? "plaintext" : "ciphertext", padded);

    if (!ret) {
        if (padded)
            rc = encrypt ? ml_aes_cbc_pkcs7_encrypt(&x.d, x.a.p, x.a.len, x.b.p, x.c.p, x.c.len)
                         : ml_aes_cbc_pkcs7_decrypt(&x.d, x.a.p, x.a.len, x.b.p, x.c.p, x.c.len);
        else
            rc = ml_aes_cbc_raw(&x.d, encrypt, x.a.p, x.a.len, x.b.p, x.c.p, x.c.len);
        ret = br_check(c, rc, encrypt ? "aes encrypt" : "aes decrypt");
    }
    if (!ret)
        ret = br_set_buf(c, encrypt ? "ciphertext" : "plaintext", &x.d);
    bufs_free(&x);
    return ret;
}

static int cmd_aes_encrypt(br_ctx *c) { return aes_cmd(c, 1, 1); }
static int cmd_aes_decrypt(br_ctx *c) { return aes_cmd(c, 0, 1); }
static int cmd_aes_256_cbc_encrypt(br_ctx *c) { return aes_cmd(c, 1, 0); }
static int cmd_aes_256_cbc_decrypt(br_ctx *c) { return aes_cmd(c, 0, 0); }

static int cmd_token_encrypt(br_ctx *c)
{
    bufs x = {0};
    int ret = br_hex(c, "key", &x.a);

    if (!ret)
        ret = br_hex(c, "plaintext", &x.b);
    if (!ret)
        ret = br_check(c, ml_token_any_encrypt(&x.c, x.a.p, x.a.len, NULL, x.b.p, x.b.len),
                       "token encrypt (key must be 32 or 64 bytes)");
    if (!ret)
        ret = br_set_buf(c, "token", &x.c);
    bufs_free(&x);
    return ret;
}

static int cmd_token_decrypt(br_ctx *c)
{
    bufs x = {0};
    int ret = br_hex(c, "key", &x.a);

    if (!ret)
        ret = br_hex(c, "token", &x.b);
    if (!ret)
        ret = br_check(c, ml_token_any_decrypt(&x.c, x.a.p, x.a.len, x.b.p, x.b.len),
                       "Could not decrypt token");
    if (!ret)
        ret = br_set_buf(c, "plaintext", &x.c);
    bufs_free(&x);
    return ret;
}

static int cmd_token_verify_hmac(br_ctx *c)
{
    bufs x = {0};
    int ret = br_hex(c, "key", &x.a), rc;

    if (!ret)
        ret = br_hex(c, "token", &x.b);
    if (!ret) {
        rc = ml_token_verify_hmac(x.a.p, x.a.len, x.b.p, x.b.len);
        ret = rc == ML_EAUTH ? br_set_bool(c, "valid", 0)
                             : br_check(c, rc, "verify_hmac") ? -1 : br_set_bool(c, "valid", 1);
    }
    bufs_free(&x);
    return ret;
}

/* Token.generate_key: 32 random bytes for AES-128, 64 for AES-256. */
static int cmd_token_generate_key(br_ctx *c)
{
    const char *mode = "AES_256_CBC";
    uint8_t key[64];
    size_t n;
    int ret;

    if (br_param(c, "mode") && br_str(c, "mode", &mode))
        return -1;
    if (strcmp(mode, "AES_128_CBC") == 0)
        n = 32;
    else if (strcmp(mode, "AES_256_CBC") == 0)
        n = 64;
    else
        return br_fail(c, "TypeError: Invalid token mode %s", mode);
    ret = br_random(c, key, n);
    if (!ret)
        ret = br_set_hex(c, "key", key, n);
    ml_wipe(key, sizeof key);
    return ret;
}

/* ---- X25519 / Ed25519 --------------------------------------------------------- */

static int key_and_pub(br_ctx *c, const char *in, int ed)
{
    uint8_t priv[32], pub[32];
    int ret = br_hex_fixed(c, in, priv, sizeof priv);

    if (!ret)
        ret = br_check(c, ed ? ml_ed25519_public(pub, priv) : ml_x25519_public(pub, priv),
                       "public key");
    /* The private key is reported as given: the library clamps X25519
     * scalars when it uses them, as the reference does. */
    if (!ret && strcmp(in, "seed") == 0)
        ret = br_set_hex(c, "private_key", priv, sizeof priv);
    if (!ret)
        ret = br_set_hex(c, "public_key", pub, sizeof pub);
    ml_wipe(priv, sizeof priv);
    return ret;
}

static int cmd_x25519_generate(br_ctx *c) { return key_and_pub(c, "seed", 0); }
static int cmd_x25519_public_from_private(br_ctx *c) { return key_and_pub(c, "private_key", 0); }
static int cmd_ed25519_generate(br_ctx *c) { return key_and_pub(c, "seed", 1); }

static int x25519_exchange(br_ctx *c, const char *out_key)
{
    uint8_t priv[32], peer[32], shared[32];
    int ret = br_hex_fixed(c, "private_key", priv, 32);

    if (!ret)
        ret = br_hex_fixed(c, "peer_public_key", peer, 32);
    if (!ret)
        ret = br_check(c, ml_x25519(shared, priv, peer), "x25519");
    if (!ret)
        ret = br_set_hex(c, out_key, shared, 32);
    ml_wipe(priv, 32);
    ml_wipe(shared, 32);
    return ret;
}

static int cmd_x25519_exchange(br_ctx *c) { return x25519_exchange(c, "shared_secret"); }

static int ed25519_sign(br_ctx *c, const char *out_key)
{
    bufs x = {0};
    uint8_t seed[32], sig[64];
    int ret = br_hex(c, "private_key", &x.b);

    /* 32 bytes is the seed; 64 is seed || public key, as the reference's
     * signing key also accepts (the public half is derived, not trusted). */
    if (!ret && x.b.len != 32 && x.b.len != 64)
        ret = br_fail(c, "ed25519 private key must be 32 or 64 bytes, got %zu", x.b.len);
    if (!ret) {
        memcpy(seed, x.b.p, 32);
        ret = br_hex(c, "message", &x.a);
    }
    if (!ret)
        ret = br_check(c, ml_ed25519_sign(sig, seed, x.a.p, x.a.len), "ed25519 sign");
    if (!ret)
        ret = br_set_hex(c, out_key, sig, 64);
    ml_wipe(seed, 32);
    bufs_free(&x);
    return ret;
}

static int cmd_ed25519_sign(br_ctx *c) { return ed25519_sign(c, "signature"); }

/* A malformed key or signature is "not valid", as for the reference. */
static int cmd_ed25519_verify(br_ctx *c)
{
    bufs x = {0};
    int ret = br_hex(c, "public_key", &x.a);

    if (!ret)
        ret = br_hex(c, "signature", &x.b);
    if (!ret)
        ret = br_hex(c, "message", &x.c);
    if (!ret)
        ret = br_set_bool(c, "valid", x.a.len == 32 && x.b.len == 64 &&
                                          ml_ed25519_verify(x.b.p, x.a.p, x.c.p, x.c.len) == 0);
    bufs_free(&x);
    return ret;
}

/* The reference can run each primitive through two crypto providers; this
 * library has one, so both names select it and must agree by construction. */
static int cmd_crypto_provider_op(br_ctx *c)
{
    static const struct {
        const char *op;
        int (*fn)(br_ctx *c, const char *out_key);
    } ops[] = {
        {"x25519_exchange", x25519_exchange},
        {"ed25519_sign", ed25519_sign},
    };
    const char *op, *provider;

    if (br_str(c, "op", &op) || br_str(c, "provider", &provider))
        return -1;
    if (strcmp(provider, "internal") && strcmp(provider, "pyca"))
        return br_fail(c, "Unknown provider: %s", provider);
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(op, ops[i].op) == 0)
            return ops[i].fn(c, "result");
    if (strcmp(op, "ed25519_verify") == 0)
        return cmd_ed25519_verify(c);
    if (strcmp(op, "aes_256_cbc_encrypt") == 0) {
        int ret = aes_cmd(c, 1, 0);
        json_t *ct = json_object_get(c->result, "ciphertext");
        if (!ret && ct) {
            json_object_set(c->result, "result", ct);
            json_object_del(c->result, "ciphertext");
        }
        return ret;
    }
    return br_fail(c, "Unknown op: %s", op);
}

const br_cmd br_crypto_cmds[] = {
    {"sha256", cmd_sha256},
    {"sha512", cmd_sha512},
    {"hmac_sha256", cmd_hmac_sha256},
    {"hkdf", cmd_hkdf},
    {"pkcs7_pad", cmd_pkcs7_pad},
    {"pkcs7_unpad", cmd_pkcs7_unpad},
    {"aes_encrypt", cmd_aes_encrypt},
    {"aes_decrypt", cmd_aes_decrypt},
    {"aes_256_cbc_encrypt", cmd_aes_256_cbc_encrypt},
    {"aes_256_cbc_decrypt", cmd_aes_256_cbc_decrypt},
    {"token_encrypt", cmd_token_encrypt},
    {"token_decrypt", cmd_token_decrypt},
    {"token_verify_hmac", cmd_token_verify_hmac},
    {"token_generate_key", cmd_token_generate_key},
    {"x25519_generate", cmd_x25519_generate},
    {"x25519_public_from_private", cmd_x25519_public_from_private},
    {"x25519_exchange", cmd_x25519_exchange},
    {"ed25519_generate", cmd_ed25519_generate},
    {"ed25519_sign", cmd_ed25519_sign},
    {"ed25519_verify", cmd_ed25519_verify},
    {"crypto_provider_op", cmd_crypto_provider_op},
    {NULL, NULL},
};
