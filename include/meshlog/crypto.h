// SPDX-License-Identifier: MIT
// The primitives meshlog and its Reticulum stack need, over OpenSSL 3 libcrypto.
// src/crypto/crypto.c is the only file in the tree that includes OpenSSL.
// Caller-supplied buffers carry their sizes in the prototypes. Every function
// wipes its own temporaries; callers wipe their secrets with ml_wipe().
#ifndef MESHLOG_CRYPTO_H
#define MESHLOG_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "meshlog/buf.h"

/* ---- hashing ------------------------------------------------------------ */
void ml_sha256(uint8_t out[32], const void *data, size_t len);
void ml_sha512(uint8_t out[64], const void *data, size_t len);

/* Incremental SHA-256 (for streaming files and multi-part inputs). */
typedef struct ml_sha256_ctx { void *opaque; } ml_sha256_ctx;
int ml_sha256_init(ml_sha256_ctx *c);                     /* 0 / ML_ECRYPTO */
int ml_sha256_update(ml_sha256_ctx *c, const void *d, size_t n);
int ml_sha256_final(ml_sha256_ctx *c, uint8_t out[32]);   /* frees ctx */
/* Frees a context without finishing it (error paths). NULL ok. */
void ml_sha256_abort(ml_sha256_ctx *c);

void ml_hmac_sha256(uint8_t out[32], const uint8_t *key, size_t keylen,
                    const void *data, size_t len);

/* RFC 5869 HKDF-SHA256. salt may be NULL/0 (32 zero bytes), info NULL/0.
 * out_len up to 255*32. Returns 0 or ML_EINVAL/ML_ECRYPTO. */
int ml_hkdf_sha256(uint8_t *out, size_t out_len, const uint8_t *ikm, size_t ikm_len,
                   const uint8_t *salt, size_t salt_len,
                   const uint8_t *info, size_t info_len);

/* ---- X25519 ------------------------------------------------------------- */
int ml_x25519_public(uint8_t pub[32], const uint8_t priv[32]);
/* shared = X25519(priv, peer_pub); ML_ECRYPTO on an all-zero result. */
int ml_x25519(uint8_t shared[32], const uint8_t priv[32], const uint8_t peer_pub[32]);

/* ---- Ed25519 (RFC 8032, private key = 32-byte seed) ---------------------- */
int ml_ed25519_public(uint8_t pub[32], const uint8_t seed[32]);
int ml_ed25519_sign(uint8_t sig[64], const uint8_t seed[32], const void *msg, size_t len);
/* 0 if valid, ML_EBADSIG if not. */
int ml_ed25519_verify(const uint8_t sig[64], const uint8_t pub[32], const void *msg,
                      size_t len);

/* ---- AES-256-CBC with PKCS7, and the Reticulum token ---------------------- */
/* PKCS7 pad to 16 (always adds 1..16 bytes). */
int ml_pkcs7_pad(ml_buf *out, const uint8_t *in, size_t len);
/* Strict unpad: returns the unpadded length, or ML_EMALFORMED. */
int ml_pkcs7_unpad_len(const uint8_t *in, size_t len, size_t *out_len);

int ml_aes256_cbc_encrypt(ml_buf *out, const uint8_t key[32], const uint8_t iv[16],
                          const uint8_t *in, size_t len);       /* pads */
int ml_aes256_cbc_decrypt(ml_buf *out, const uint8_t key[32], const uint8_t iv[16],
                          const uint8_t *in, size_t len);       /* unpads */

/* Token (modified Fernet, RNS 1.x): key64 = signing key(32) || AES key(32);
 * token = IV(16) || AES-256-CBC(PKCS7(pt)) || HMAC-SHA256(signing, IV||ct)(32).
 * iv may be NULL (random). Decrypt checks the MAC first, in constant time:
 * ML_EAUTH on a bad MAC, ML_EMALFORMED on bad length/padding. out is appended to. */
int ml_token_encrypt(ml_buf *out, const uint8_t key64[64], const uint8_t *iv16,
                     const uint8_t *pt, size_t len);
int ml_token_decrypt(ml_buf *out, const uint8_t key64[64], const uint8_t *tok, size_t len);

/* ---- randomness and hygiene ---------------------------------------------- */
/* Cryptographic random bytes; 0 or ML_ECRYPTO. */
int ml_random(void *out, size_t len);
/* Wipe memory in a way the compiler cannot drop. NULL ok. */
void ml_wipe(void *p, size_t len);
/* Constant-time comparison: 0 when equal. */
int ml_ct_memcmp(const void *a, const void *b, size_t len);

#endif
