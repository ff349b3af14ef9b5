// SPDX-License-Identifier: MIT
// A Reticulum destination as an object (the reference's RNS.Destination):
// direction, type, identity and name, proof strategy, default announce app
// data, request handlers, the path-response announce cache, and the ratchets
// of a local SINGLE destination (rotation, retention, the signed ratchet
// file, ratchet-aware decryption). Sans-I/O except for the ratchet file
// (rns_dest_enable_ratchets and rotations write it, as the reference does):
// time and randomness are parameters. The transport core keeps one of these
// per registered destination (rns_transport_dest()).
//
// Constants are the reference's, so values read off the wire or a suite
// compare directly: directions IN 0x11 / OUT 0x12, types SINGLE..LINK 0..3
// (enum rns_dest_type), proof strategies 0x21..0x23, request policies 0..2.
#ifndef MESHLOG_RNS_DEST_H
#define MESHLOG_RNS_DEST_H

#include <stddef.h>
#include <stdint.h>

#include "meshlog/buf.h"
#include "meshlog/rns_destination.h"
#include "meshlog/rns_identity.h"
#include "meshlog/rns_link.h"   /* rns_rng_fn */

enum rns_dest_direction { RNS_DEST_IN = 0x11, RNS_DEST_OUT = 0x12 };
enum rns_dest_proof {
    RNS_DEST_PROVE_NONE = 0x21,
    RNS_DEST_PROVE_APP = 0x22,   /* the application decides per packet */
    RNS_DEST_PROVE_ALL = 0x23,
};
enum rns_dest_policy { RNS_DEST_ALLOW_NONE = 0, RNS_DEST_ALLOW_ALL = 1, RNS_DEST_ALLOW_LIST = 2 };

#define RNS_DEST_PR_TAG_WINDOW 30.0         /* seconds a path-response announce is reused */
#define RNS_DEST_RATCHET_COUNT 512          /* ratchets kept by default */
#define RNS_DEST_RATCHET_INTERVAL 1800      /* seconds between rotations by default */
#define RNS_DEST_MAX_HANDLERS 64
#define RNS_DEST_MAX_ASPECTS 32

typedef struct rns_dest rns_dest;

typedef struct rns_dest_config {
    const rns_identity *identity;   /* copied; NULL: none (see rns_dest_new) */
    int direction;                  /* RNS_DEST_IN / RNS_DEST_OUT */
    int type;                       /* enum rns_dest_type */
    const char *app_name;
    const char *const *aspects;
    size_t n_aspects;
    rns_rng_fn rng;                 /* required: identity creation, ratchets, encryption */
    void *rng_ctx;
} rns_dest_config;

/* Destination.__init__. ML_EINVAL for: a type or direction outside the
 * constants, a dot in a name part, OUT non-PLAIN without identity, PLAIN with
 * an identity, no rng. An IN non-PLAIN destination without identity gets a
 * new one, and its hex hash is appended as an extra aspect (so it is part of
 * the name hash). The expanded name ends with "." + identity hex hash when
 * there is an identity. ML_ENOMEM, or the rng's error. */
int rns_dest_new(rns_dest **out, const rns_dest_config *cfg);
void rns_dest_free(rns_dest *d);    /* wipes keys; NULL ok */

const uint8_t *rns_dest_hash(const rns_dest *d);        /* 16 bytes */
const uint8_t *rns_dest_name_hash(const rns_dest *d);   /* 10 bytes */
const char *rns_dest_name(const rns_dest *d);           /* expanded name */
const rns_identity *rns_dest_identity(const rns_dest *d);  /* NULL for PLAIN */
int rns_dest_identity_generated(const rns_dest *d);     /* 1: made by rns_dest_new */
int rns_dest_type(const rns_dest *d);
int rns_dest_direction(const rns_dest *d);

/* Proof strategy; new destinations start with RNS_DEST_PROVE_NONE.
 * set: ML_EINVAL for a value outside 0x21..0x23. */
int rns_dest_proof_strategy(const rns_dest *d);
int rns_dest_set_proof_strategy(rns_dest *d, int strategy);

/* Default announce app data, used when an announce is given none: bytes
 * (copied), or a function asked at each announce (it appends to out; an
 * error from it means no app data). Clearing: both NULL. */
typedef int (*rns_dest_app_data_fn)(void *ctx, ml_buf *out);
int rns_dest_set_default_app_data(rns_dest *d, const uint8_t *data, size_t len);
int rns_dest_set_default_app_data_fn(rns_dest *d, rns_dest_app_data_fn fn, void *ctx);
int rns_dest_has_default_app_data(const rns_dest *d);

/* ---- announces -------------------------------------------------------------- */

typedef struct rns_dest_announce_opts {
    const uint8_t *app_data;        /* NULL: the default, if any */
    size_t app_data_len;
    int path_response;              /* context PATH_RESPONSE */
    const uint8_t *tag;             /* path request tag, or NULL */
    size_t tag_len;                 /* <= 16 */
    double now;                     /* UNIX seconds */
} rns_dest_announce_opts;

/* Destination.announce(send=False): appends the announce packet (HEADER_1)
 * to out. ML_EINVAL unless SINGLE, ML_ESTATE unless IN (or no private key).
 * Path-response announces answering the same tag within
 * RNS_DEST_PR_TAG_WINDOW s reuse the cached payload byte for byte (older
 * entries are evicted first). With ratchets enabled the ratchets rotate (when
 * due) and the newest one is announced and remembered as this destination's
 * current ratchet. */
int rns_dest_announce(rns_dest *d, ml_buf *out, const rns_dest_announce_opts *o);
size_t rns_dest_path_response_cache_size(const rns_dest *d);

/* ---- request handlers ------------------------------------------------------------ */

typedef struct rns_dest_request {
    const char *path;
    const uint8_t *data;            /* msgpack of the request data */
    size_t data_len;
    const uint8_t *request_id;      /* 16 */
    const uint8_t *link_id;         /* 16 */
    const uint8_t *remote_identity_hash;  /* 16, or NULL when not identified */
    double requested_at;
} rns_dest_request;
/* Appends the msgpack response to out; returns 1 for a response, 0 for none. */
typedef int (*rns_dest_response_fn)(void *ctx, const rns_dest_request *rq, ml_buf *out);

/* Destination.register_request_handler: ML_EINVAL for an empty path, a NULL
 * generator, or a policy outside 0..2; ML_ETOOBIG; ML_ENOMEM. allowed: n
 * identity hashes (16 bytes each), copied, for ALLOW_LIST. Re-registering a
 * path replaces its handler. */
int rns_dest_register_request_handler(rns_dest *d, const char *path, rns_dest_response_fn fn,
                                      void *ctx, int allow, const uint8_t (*allowed)[16],
                                      size_t n_allowed);
/* 1 if a handler was removed, 0 if there was none. */
int rns_dest_deregister_request_handler(rns_dest *d, const char *path);
size_t rns_dest_request_handler_count(const rns_dest *d);
/* The i-th handler, read back (pointers borrowed until it changes): 1, or 0
 * past the end. */
typedef struct rns_dest_handler_info {
    const char *path;
    const uint8_t *path_hash;        /* 16 */
    int allow;
    const uint8_t (*allowed)[16];
    size_t n_allowed;
} rns_dest_handler_info;
int rns_dest_request_handler_at(const rns_dest *d, size_t i, rns_dest_handler_info *out);
/* Runs the handler for path_hash (truncated hash of the path) if the policy
 * lets the requester in: 1 response appended, 0 none (no handler, refused,
 * or the handler gave none), ML_ENOMEM. */
int rns_dest_handle_request(rns_dest *d, const uint8_t path_hash[RNS_HASHLEN],
                            const rns_dest_request *rq, ml_buf *out);

/* ---- ratchets ------------------------------------------------------------------------ */

/* Destination.enable_ratchets: loads the ratchet file at path (refusing one
 * whose signature is not this identity's: ML_EBADSIG; ML_EMALFORMED) or,
 * when there is none, starts an empty list and writes the file. The next
 * announce rotates. ML_EINVAL (no path, not SINGLE with a private key), ML_EIO. */
int rns_dest_enable_ratchets(rns_dest *d, const char *path);
/* Ratchets without a file (nothing persisted). Same as above otherwise. */
int rns_dest_enable_ratchets_volatile(rns_dest *d);
int rns_dest_ratchets_enabled(const rns_dest *d);
/* Destination.rotate_ratchets: a new ratchet (newest first) when now is past
 * the last rotation + the interval; the list is cut to the retained count and
 * the file rewritten. *rotated (may be NULL) says whether one was added.
 * ML_ESTATE when ratchets are not enabled; ML_EIO, the rng's error. */
int rns_dest_rotate_ratchets(rns_dest *d, double now, int *rotated);
/* ML_EINVAL for a value <= 0 (nothing changes). */
int rns_dest_set_ratchet_interval(rns_dest *d, long seconds);
long rns_dest_ratchet_interval(const rns_dest *d);
int rns_dest_set_retained_ratchets(rns_dest *d, long count);
long rns_dest_retained_ratchets(const rns_dest *d);
/* Refuse packets to the base key: ML_ESTATE unless ratchets are enabled. */
int rns_dest_enforce_ratchets(rns_dest *d);
int rns_dest_ratchets_enforced(const rns_dest *d);
size_t rns_dest_ratchet_count(const rns_dest *d);
/* Public key (32) and id (10) of ratchet idx (0 = newest); ML_ENOTFOUND. */
int rns_dest_ratchet_public(const rns_dest *d, size_t idx, uint8_t pub[32]);
int rns_dest_ratchet_id_at(const rns_dest *d, size_t idx, uint8_t id[RNS_RATCHET_ID_LEN]);
/* Time of the last rotation (0 after enabling: the first announce rotates);
 * settable to move the rotation gate (tests, restored state). */
double rns_dest_latest_ratchet_time(const rns_dest *d);
void rns_dest_set_latest_ratchet_time(rns_dest *d, double t);
/* The ratchet id the last encrypt chose or the last decrypt used: 1 and id
 * filled, or 0 when none (the base key was used, or nothing happened yet). */
int rns_dest_latest_ratchet_id(const rns_dest *d, uint8_t id[RNS_RATCHET_ID_LEN]);
void rns_dest_clear_latest_ratchet_id(rns_dest *d);

/* The ratchet file as the reference writes it: msgpack map
 * {"signature": bin(64), "ratchets": bin(msgpack array of bin(32) private
 * keys, newest first)}, the signature by the identity over the inner bytes. */
int rns_dest_ratchets_encode(const rns_dest *d, ml_buf *out);
/* Replaces the ratchet list from file bytes after checking the signature.
 * ML_EMALFORMED, ML_EBADSIG, ML_ESTATE (ratchets not enabled), ML_ENOMEM. */
int rns_dest_ratchets_decode(rns_dest *d, const uint8_t *p, size_t len);
/* Writes / re-reads the ratchet file (atomic replace). ML_ESTATE without a path. */
int rns_dest_ratchets_persist(rns_dest *d);
int rns_dest_ratchets_reload(rns_dest *d);

/* ---- encryption ---------------------------------------------------------------------- */

/* Destination.encrypt for SINGLE: to the identity, through ratchet_pub when
 * given, else through the ratchet this destination last announced (if any);
 * records that ratchet's id. PLAIN: copies. ML_EINVAL (GROUP, LINK, no
 * identity), ML_ENOMEM, ML_ECRYPTO. */
int rns_dest_encrypt(rns_dest *d, ml_buf *out, const uint8_t *pt, size_t len,
                     const uint8_t *ratchet_pub);
/* Destination.decrypt for SINGLE: the retained ratchets first, then (unless
 * enforced) the base key; records the ratchet id used, or none. PLAIN: copies.
 * 0, ML_EAUTH (nothing opens it), ML_EMALFORMED, ML_ESTATE (no private key). */
int rns_dest_decrypt(rns_dest *d, ml_buf *out, const uint8_t *ct, size_t len);

#endif
