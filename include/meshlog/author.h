// SPDX-License-Identifier: MIT
// An author is a Reticulum identity: X25519 + Ed25519 keys kept in RNS's own
// 64-byte identity file (X25519 private key then Ed25519 seed, no header), so
// rnid and other Reticulum tools read the same file. The author id is the RNS
// identity hash: first 16 bytes of SHA-256 of the 64-byte public key, in hex.
#ifndef MESHLOG_AUTHOR_H
#define MESHLOG_AUTHOR_H

#include <stddef.h>
#include <stdint.h>

typedef struct ml_author {
    uint8_t priv[64];   /* secret: wiped by ml_author_wipe() */
    uint8_t pub[64];    /* X25519 pub || Ed25519 pub */
    uint8_t hash[16];
    char hex[33];       /* the author id */
} ml_author;

/* Derive public key and hash from the 64-byte private key. */
int ml_author_from_private(ml_author *a, const uint8_t priv[64]);
int ml_author_generate(ml_author *a);
/* Read an RNS identity file (exactly 64 bytes; rns_identity_load).
 * ML_EIO / ML_EMALFORMED. */
int ml_author_load(ml_author *a, const char *path);
/* Write it with mode 0600, atomically (rns_identity_save_new: temp file,
 * fsync, link). ML_EEXIST if the path exists: a key is never replaced. */
int ml_author_save(const ml_author *a, const char *path);
int ml_author_sign(const ml_author *a, uint8_t sig[64], const void *msg, size_t len);
/* Author id (hex identity hash) of a 64-byte public key. */
void ml_author_id_of(char out[33], const uint8_t pub[64]);
void ml_author_wipe(ml_author *a);

#endif
