// SPDX-License-Identifier: MIT
// Reference-compatibility primitives that the core crypto module (crypto.h)
// deliberately leaves out, because the 1.x protocol never needs them on the
// wire: the bare AES-CBC block cipher (AES-128 or AES-256, no padding), the
// reference's lax PKCS7 unpad rule, and the token in both key sizes the
// reference's Token class accepts (64 bytes: AES-256, the protocol; 32 bytes:
// the legacy AES-128 form removed from the protocol in RNS 1.0). The
// conformance bridge uses them to answer the suite's primitive commands with
// library code; protocol code should keep using crypto.h.
#ifndef MESHLOG_CRYPTO_COMPAT_H
#define MESHLOG_CRYPTO_COMPAT_H

#include <stddef.h>
#include <stdint.h>

#include "meshlog/buf.h"

#define ML_AES_BLOCK 16

/* Bare AES-CBC: key is 16 (AES-128) or 32 (AES-256) bytes, len a multiple of
 * 16 (0 allowed); the output, appended to out, has the same length as the
 * input. encrypt: 1 to encrypt, 0 to decrypt. Returns 0, ML_EINVAL (key size,
 * length not a whole number of blocks), ML_ENOMEM or ML_ECRYPTO; on error out
 * keeps its previous length. */
int ml_aes_cbc_raw(ml_buf *out, int encrypt, const uint8_t *key, size_t keylen,
                   const uint8_t iv[16], const uint8_t *in, size_t len);

/* PKCS7 pad + AES-CBC (16- or 32-byte key), and AES-CBC + lax unpad. Same
 * returns as ml_aes_cbc_raw, plus ML_EMALFORMED when the decrypted padding
 * fails the lax rule below. */
int ml_aes_cbc_pkcs7_encrypt(ml_buf *out, const uint8_t *key, size_t keylen,
                             const uint8_t iv[16], const uint8_t *in, size_t len);
int ml_aes_cbc_pkcs7_decrypt(ml_buf *out, const uint8_t *key, size_t keylen,
                             const uint8_t iv[16], const uint8_t *in, size_t len);

/* The reference's PKCS7.unpad: n = last byte; refuses only n > 16 (and an
 * empty input); strips n bytes without looking at them, so n = 0 strips
 * nothing. *out_len is the length kept. 0 or ML_EMALFORMED. Protocol code
 * uses the strict ml_pkcs7_unpad_len() instead. */
int ml_pkcs7_unpad_lax_len(const uint8_t *in, size_t len, size_t *out_len);

/* Token with a 64-byte (AES-256) or 32-byte (AES-128) key: signing key =
 * first half, AES key = second half; token = IV || CBC(PKCS7(pt)) ||
 * HMAC-SHA256(signing key, IV || ct). 64-byte keys go through crypto.h's
 * ml_token_encrypt/ml_token_decrypt, 32-byte keys through the same layout
 * with AES-128. iv may be NULL (random). Returns as ml_token_*; ML_EINVAL for
 * any other key size. */
int ml_token_any_encrypt(ml_buf *out, const uint8_t *key, size_t keylen, const uint8_t *iv16,
                         const uint8_t *pt, size_t len);
int ml_token_any_decrypt(ml_buf *out, const uint8_t *key, size_t keylen, const uint8_t *tok,
                         size_t len);

/* Token.verify_hmac: 0 when the last 32 bytes are the HMAC of the rest under
 * the key's signing half, ML_EAUTH when not, ML_EMALFORMED when the token is
 * 32 bytes or shorter, ML_EINVAL for a key size other than 32/64. */
int ml_token_verify_hmac(const uint8_t *key, size_t keylen, const uint8_t *tok, size_t len);

#endif
