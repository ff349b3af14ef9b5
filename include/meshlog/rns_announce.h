// SPDX-License-Identifier: MIT
// Reticulum announces: how a destination makes its public key (and optional
// ratchet and app data) known, and how a receiver validates one. Sans-I/O:
// the random bytes and the clock are parameters; "is this destination already
// known, and with which key" is the caller's state, passed in.
//
//   payload = public_key(64) | name_hash(10) | random_hash(10) |
//             [ratchet(32) when context_flag] | signature(64) | app_data
//   random_hash = SHA-256(16 random bytes)[:5] | emission time (5 bytes BE)
//   signed    = destination_hash | public_key | name_hash | random_hash |
//               ratchet | app_data
#ifndef MESHLOG_RNS_ANNOUNCE_H
#define MESHLOG_RNS_ANNOUNCE_H

#include <stddef.h>
#include <stdint.h>

#include "meshlog/buf.h"
#include "meshlog/rns_identity.h"
#include "meshlog/rns_packet.h"

#define RNS_RANDOM_HASHLEN 10
#define RNS_RATCHETLEN 32
/* Payload without ratchet and app data: 64 + 10 + 10 + 64. */
#define RNS_ANNOUNCE_MINLEN 148

/* Why an announce was refused (RNS_ANNOUNCE_VALID when it was not). */
enum rns_announce_reason {
    RNS_ANNOUNCE_VALID = 0,
    RNS_ANNOUNCE_NOT_ANNOUNCE,   /* packet type is not ANNOUNCE */
    RNS_ANNOUNCE_TRUNCATED,      /* payload shorter than its fields */
    RNS_ANNOUNCE_BAD_SIGNATURE,  /* Ed25519 signature does not verify */
    RNS_ANNOUNCE_DEST_MISMATCH,  /* destination hash is not H(name_hash | H(key)) */
    RNS_ANNOUNCE_KEY_CONFLICT,   /* destination known with a different public key */
};

/* A parsed announce. Pointers borrow from the packet's data. */
typedef struct rns_announce {
    uint8_t dest_hash[RNS_HASHLEN];
    const uint8_t *public_key;     /* 64 bytes */
    const uint8_t *name_hash;      /* 10 bytes */
    const uint8_t *random_hash;    /* 10 bytes */
    const uint8_t *ratchet;        /* 32 bytes, or NULL */
    const uint8_t *signature;      /* 64 bytes */
    const uint8_t *app_data;       /* NULL when nothing follows the signature */
    size_t app_data_len;
    uint64_t emitted;              /* emission time from random_hash, UNIX seconds */
} rns_announce;

/* Inputs of rns_announce_make. */
typedef struct rns_announce_params {
    const uint8_t *name_hash;      /* 10 bytes: rns_name_hash() of the destination */
    const uint8_t *random16;       /* 16 fresh random bytes (hashed into random_hash) */
    uint64_t now;                  /* UNIX seconds, < 2^40 */
    const uint8_t *ratchet_pub;    /* 32 bytes, or NULL for no ratchet */
    const uint8_t *app_data;       /* may be NULL */
    size_t app_data_len;
    uint8_t context;               /* RNS_CTX_NONE, or RNS_CTX_PATH_RESPONSE */
} rns_announce_params;

/* Builds the complete announce packet (HEADER_1, hops 0, flags 0x01 or 0x21
 * with a ratchet) for id's SINGLE destination with the given name hash, and
 * appends it to out. 0, ML_ESTATE (id has no private key), ML_EINVAL, ML_ENOMEM. */
int rns_announce_make(ml_buf *out, const rns_identity *id, const rns_announce_params *ap);

/* Splits an announce packet's fields (no cryptographic check). 0,
 * ML_EINVAL (not an announce) or ML_EMALFORMED (truncated). */
int rns_announce_parse(rns_announce *a, const rns_packet *p);

/* Identity.validate_announce: parses, verifies the signature and that the
 * destination hash belongs to the key; if known_pub (the key already recorded
 * for this destination hash, or NULL) differs, refuses. Returns 0 when valid,
 * else ML_EINVAL / ML_EMALFORMED / ML_EBADSIG / ML_EBADID (destination
 * mismatch) / ML_EEXIST (key conflict); *reason (may be NULL) says which. */
int rns_announce_validate(rns_announce *a, const rns_packet *p, const uint8_t *known_pub,
                          enum rns_announce_reason *reason);

/* Static text for a reason, for logs. */
const char *rns_announce_reason_str(enum rns_announce_reason reason);

#endif
