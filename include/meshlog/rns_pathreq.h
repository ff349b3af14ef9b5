// SPDX-License-Identifier: MIT
// Reticulum path requests: "who knows a path to this destination?" A DATA
// packet to the PLAIN destination rnstransport.path.request carrying
// requested destination(16) | [requesting transport id(16)] | tag. Sans-I/O:
// the tag's randomness is a parameter, and the duplicate filter is a small
// table the caller owns.
#ifndef MESHLOG_RNS_PATHREQ_H
#define MESHLOG_RNS_PATHREQ_H

#include <stddef.h>
#include <stdint.h>

#include "meshlog/buf.h"
#include "meshlog/rns_identity.h"
#include "meshlog/rns_packet.h"

#define RNS_PATHREQ_TAGLEN 16   /* tags are cut to this for dedup and answers */

/* Destination hash of rnstransport.path.request (6b9f6601...). */
extern const uint8_t rns_pathreq_destination[RNS_HASHLEN];

/* A parsed request. tag holds tag_len (1..16) bytes. */
typedef struct rns_pathreq {
    uint8_t dest_hash[RNS_HASHLEN];
    int has_transport_id;
    uint8_t transport_id[RNS_HASHLEN];
    uint8_t tag[RNS_PATHREQ_TAGLEN];
    size_t tag_len;
} rns_pathreq;

/* Builds the path request packet (flags 0x08, HEADER_1, hops 0) and appends
 * it to out. transport_id is the requester's transport identity hash, only
 * when it has transport enabled (else NULL). tag: 16 bytes, normally
 * rns_random_hash() of fresh random bytes. 0 or ML_ENOMEM. */
int rns_pathreq_make(ml_buf *out, const uint8_t dest_hash[RNS_HASHLEN],
                     const uint8_t *transport_id, const uint8_t tag[RNS_PATHREQ_TAGLEN]);

/* Parses the payload the way the reference does: 16 bytes = no tag (the
 * reference ignores such requests: ML_EMALFORMED); 17..32 = destination | tag;
 * more than 32 = destination | transport id | tag; tags are cut to 16 bytes.
 * 0 or ML_EMALFORMED. */
int rns_pathreq_parse(rns_pathreq *r, const uint8_t *data, size_t len);
/* Same, from a packet: also checks it is DATA to the PLAIN path request
 * destination (ML_EINVAL when it is some other packet). */
int rns_pathreq_parse_packet(rns_pathreq *r, const rns_packet *p);

/* Duplicate filter keyed on destination | tag, remembering the last
 * `capacity` requests. Owned by the caller: rns_pathreq_seen_free(). */
typedef struct rns_pathreq_seen rns_pathreq_seen;
int rns_pathreq_seen_new(rns_pathreq_seen **out, size_t capacity);  /* 0/ML_EINVAL/ML_ENOMEM */
void rns_pathreq_seen_free(rns_pathreq_seen *s);                      /* NULL ok */
/* 1 if r is new (and now remembered), 0 if it was seen before. */
int rns_pathreq_seen_check(rns_pathreq_seen *s, const rns_pathreq *r);

#endif
