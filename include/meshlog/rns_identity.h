// SPDX-License-Identifier: MIT
// Reticulum identities: an X25519 key for encryption and an Ed25519 key for
// signatures. The 64-byte private form (X25519 private || Ed25519 seed) is
// also the identity file format; the 64-byte public key is X25519 public ||
// Ed25519 public, and the identity hash is SHA-256(public key)[:16].
// Sans-I/O except for rns_identity_load/save: randomness (ephemeral keys, IVs)
// is always a parameter, so the same calls run under tests and the simulator.
#ifndef MESHLOG_RNS_IDENTITY_H
#define MESHLOG_RNS_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "meshlog/buf.h"

#define RNS_KEYSIZE 64          /* public or private key, bytes */
#define RNS_HASHLEN 16          /* truncated hash: identity, destination, link id */
#define RNS_FULL_HASHLEN 32     /* SHA-256: packet hash */
#define RNS_NAME_HASHLEN 10
#define RNS_SIGLEN 64
#define RNS_RATCHET_ID_LEN 10
#define RNS_TOKEN_OVERHEAD 48   /* IV(16) + HMAC(32) */

typedef struct rns_identity rns_identity;

/* From the 64-byte private key (X25519 private || Ed25519 seed). *out is
 * owned by the caller: rns_identity_free(). 0, ML_ENOMEM or ML_ECRYPTO.
 * A new identity is rns_identity_from_private() over 64 bytes from ml_random(). */
int rns_identity_from_private(rns_identity **out, const uint8_t priv[RNS_KEYSIZE]);
/* From a peer's 64-byte public key: can verify and encrypt-to, not sign. */
int rns_identity_from_public(rns_identity **out, const uint8_t pub[RNS_KEYSIZE]);
/* An identity with no key loaded (the reference's Identity(create_keys=False)
 * before a key is loaded): sign, decrypt, encrypt and verify all refuse it
 * with ML_ESTATE; its public key and hash read as zeros. 0 or ML_ENOMEM. */
int rns_identity_new_keyless(rns_identity **out);
/* 0 for a keyless identity, else 1. */
int rns_identity_has_public(const rns_identity *id);
/* Wipes the private keys and frees. NULL ok. */
void rns_identity_free(rns_identity *id);

/* 1 if the identity holds private keys, else 0. */
int rns_identity_has_private(const rns_identity *id);
/* Borrowed pointers valid until rns_identity_free(): 64 and 16 bytes. */
const uint8_t *rns_identity_public_key(const rns_identity *id);
const uint8_t *rns_identity_hash(const rns_identity *id);
/* Copies the 64-byte private key out; the caller wipes it. ML_ESTATE if public-only. */
int rns_identity_private_key(const rns_identity *id, uint8_t out[RNS_KEYSIZE]);

/* SHA-256(data)[:16]: identity hashes, destination hashes, link ids. */
void rns_truncated_hash(uint8_t out[RNS_HASHLEN], const void *data, size_t len);
/* Identity.get_random_hash(): SHA-256(16 random bytes)[:16], randomness given. */
void rns_random_hash(uint8_t out[RNS_HASHLEN], const uint8_t random16[16]);
/* Identity hash of a 64-byte public key. */
void rns_identity_hash_of(uint8_t out[RNS_HASHLEN], const uint8_t pub[RNS_KEYSIZE]);
/* ratchet id = SHA-256(ratchet public key)[:10]. */
void rns_ratchet_id(uint8_t out[RNS_RATCHET_ID_LEN], const uint8_t ratchet_pub[32]);

/* Ed25519 signature with the identity's key. 0, ML_ESTATE (no private key), ML_ECRYPTO. */
int rns_identity_sign(const rns_identity *id, uint8_t sig[RNS_SIGLEN], const void *msg,
                      size_t len);
/* 0 if sig is valid for msg under the identity's Ed25519 key, else ML_EBADSIG. */
int rns_identity_verify(const rns_identity *id, const uint8_t sig[RNS_SIGLEN],
                        const void *msg, size_t len);

/* Identity.encrypt to this identity's SINGLE destinations. Appends
 * ephemeral X25519 public(32) || token(IV || AES-256-CBC || HMAC) to out.
 * The key is HKDF(X25519(eph_priv, target), salt = identity hash, 64 bytes),
 * where target is ratchet_pub when given, else the identity's X25519 key.
 * eph_priv (32) and iv (16) are fresh random bytes from the caller.
 * 0, ML_ENOMEM, ML_ECRYPTO. */
int rns_identity_encrypt(const rns_identity *id, ml_buf *out, const uint8_t *pt, size_t len,
                         const uint8_t *ratchet_pub, const uint8_t eph_priv[32],
                         const uint8_t iv[16]);
/* Identity.decrypt: tries each ratchet private key (n_ratchets of them, may
 * be 0) and then, unless enforce_ratchets, the identity's own X25519 key.
 * Appends the plaintext to out. 0 on success; ML_ESTATE (public-only),
 * ML_EMALFORMED (too short), ML_EAUTH (no key opens it). *used_ratchet (may
 * be NULL) is set to the index of the ratchet that worked, or -1. */
int rns_identity_decrypt(const rns_identity *id, ml_buf *out, const uint8_t *ct, size_t len,
                         const uint8_t (*ratchets)[32], size_t n_ratchets,
                         int enforce_ratchets, int *used_ratchet);

/* Reads an identity file: exactly 64 bytes, the private key. ML_EIO (errno
 * set), ML_EMALFORMED (wrong size), ML_ENOMEM. *out as for from_private. */
int rns_identity_load(rns_identity **out, const char *path);
/* Writes the private key to path with mode 0600, atomically: a temporary file
 * in the same directory, fsync, rename, fsync of the directory. A crash
 * leaves either the old file or the new one. ML_ESTATE (public-only), ML_EIO. */
int rns_identity_save(const rns_identity *id, const char *path);
/* The same, but never replaces a file: ML_EEXIST if path exists (also when it
 * appears during the write; the temporary file is linked into place). */
int rns_identity_save_new(const rns_identity *id, const char *path);

#endif
