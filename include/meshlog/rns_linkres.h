// SPDX-License-Identifier: MIT
// The resources of one link: what Link.py does around Resource.py. Sans-I/O
// like the link it drives: incoming resource packets (the link's
// RNS_LINK_EV_PACKET events of contexts RESOURCE*) go in, packets leave
// through the link's outbox (rns_link_send / rns_link_send_resource_proof),
// events leave through rns_linkres_pop_event(), and rns_linkres_deadline()
// says when to call rns_linkres_tick(). Randomness comes from a callback.
//
// Outgoing: one transfer is advertised at a time (the reference waits for
// the link to be ready); later ones wait in order. Data above 1 MiB - 1 is
// split into segments, each its own resource with i/l and the first
// segment's hash as o; metadata travels in the first. Incoming: an
// advertisement is accepted or refused (RESOURCE_RCL) by the link's policy
// (ACCEPT_NONE drops it silently, ACCEPT_ALL, ACCEPT_APP asks a callback);
// request and response resources (flags u/p) are always accepted; the next
// segment of a transfer in progress is accepted without asking. An
// advertisement that does not decode is dropped. A bz2 bomb asks the caller to
// tear the link down, as the reference does (the data is CORRUPT and
// RESOURCE_RCL is sent first).
#ifndef MESHLOG_RNS_LINKRES_H
#define MESHLOG_RNS_LINKRES_H

#include <stddef.h>
#include <stdint.h>

#include "meshlog/buf.h"
#include "meshlog/rns_link.h"
#include "meshlog/rns_resource.h"

#define RNS_LINKRES_MAX_OUT 16   /* transfers queued for sending on one link */
#define RNS_LINKRES_MAX_IN 8     /* incoming resources in progress on one link */

enum rns_res_strategy { RNS_RES_ACCEPT_NONE = 0, RNS_RES_ACCEPT_ALL = 1, RNS_RES_ACCEPT_APP = 2 };

/* ACCEPT_APP: 1 accepts the advertised resource, 0 refuses it. */
typedef int (*rns_res_accept_fn)(void *ctx, const uint8_t link_id[RNS_HASHLEN],
                                 const rns_resource_adv *adv);

typedef struct rns_res_policy {
    enum rns_res_strategy strategy;
    rns_res_accept_fn accept;   /* ACCEPT_APP; NULL refuses everything */
    void *ctx;
    size_t max_decompressed;    /* 0: RNS_BZ2_RESOURCE_LIMIT */
} rns_res_policy;

typedef struct rns_res_send_opts {
    const uint8_t *data;
    size_t len;
    const uint8_t *metadata;    /* one msgpack value, or NULL */
    size_t metadata_len;
    int no_compress;            /* 1: never bz2 (the reference's auto_compress=False) */
    const uint8_t *request_id;  /* with is_request / is_response */
    size_t request_id_len;
    int is_request, is_response;
    uint32_t link_mtu;          /* rns_linkres_build only: parts sized for this MTU
                                   instead of the link's (0: the link's) */
    int force_collision;        /* test/diagnostic: the first hashmap build of the first
                                   segment sees a map-hash collision (see
                                   rns_resource_send_params), so the collision guard
                                   rebuilds it with a fresh random_hash */
} rns_res_send_opts;

/* How the latest segment built on this link (rns_linkres_send, _build) got
 * its hashmap: builds taken (more than 1 after a map-hash collision, each
 * with a fresh random_hash), the random_hash of the first and of the last
 * (adopted) build. */
typedef struct rns_res_build_info {
    unsigned builds;
    uint8_t first_random_hash[4];
    uint8_t random_hash[4];
} rns_res_build_info;

enum rns_res_ev_type {
    RNS_RES_EV_STARTED,         /* an incoming resource was accepted */
    RNS_RES_EV_CONCLUDED,       /* a transfer ended: status COMPLETE, FAILED, CORRUPT, REJECTED */
    RNS_RES_EV_PROGRESS,        /* an incoming resource took a part: received, parts */
};

typedef struct rns_res_event {
    enum rns_res_ev_type type;
    uint32_t id;                /* the transfer's handle (rns_linkres_send; incoming: own) */
    int outgoing;
    enum rns_resource_status status;
    uint8_t hash[32];           /* of the (last) segment */
    uint8_t original_hash[32];
    uint8_t flags;
    uint64_t data_size;         /* d of the segment */
    uint64_t transfer_size;     /* t of the segment */
    uint64_t total_size;        /* outgoing: payload + metadata; incoming COMPLETE: payload */
    uint32_t parts, segment_index, total_segments;
    uint32_t received;          /* PROGRESS: parts of this segment received so far */
    unsigned hmu_requests, hmu_received;
    size_t max_decompressed;
    uint8_t request_id[32];
    size_t request_id_len;
    int has_metadata;
    ml_buf data;                /* incoming COMPLETE: the payload of every segment */
    ml_buf metadata;            /* incoming COMPLETE with has_metadata: one msgpack value */
} rns_res_event;

typedef struct rns_linkres rns_linkres;

/* 0, ML_EINVAL, ML_ENOMEM. */
int rns_linkres_new(rns_linkres **out, rns_rng_fn rng, void *rng_ctx);
/* Frees every resource (nothing is sent). NULL ok. */
void rns_linkres_free(rns_linkres *lr);
void rns_linkres_set_policy(rns_linkres *lr, const rns_res_policy *p);

/* Starts (or queues) a transfer on an established link; *id (may be NULL)
 * receives its handle. ML_EINVAL (metadata above 2^24 - 1 bytes...),
 * ML_ESTATE (link not usable), ML_ETOOBIG (RNS_LINKRES_MAX_OUT queued),
 * ML_ENOMEM. */
int rns_linkres_send(rns_linkres *lr, rns_link *l, const rns_res_send_opts *o, double now,
                     uint32_t *id);
/* Builds the first segment's resource as rns_linkres_send would, but hands it
 * to the caller instead of advertising it (for inspection; the caller frees
 * it). *total_segments receives the segment count. */
int rns_linkres_build(rns_linkres *lr, const rns_link *l, const rns_res_send_opts *o,
                      double now, rns_resource **out, uint32_t *total_segments);
void rns_linkres_last_build(const rns_linkres *lr, rns_res_build_info *info);
/* Cancels an outgoing transfer (RESOURCE_ICL) or an incoming one
 * (RESOURCE_RCL) by handle. 0, ML_ENOTFOUND, ML_ESTATE (already over). */
int rns_linkres_cancel(rns_linkres *lr, rns_link *l, uint32_t id, double now);

/* 1: incoming resources accepted from now on ask for each window after the
 * first only through rns_linkres_request_next (default 0: automatic). */
void rns_linkres_set_manual_requests(rns_linkres *lr, int manual);
/* Manual requests: asks the peer for the next
 * window of the incoming transfer id (see rns_resource_request_next).
 * 1 when a request was sent, 0 when none (waiting for a hashmap update),
 * ML_ENOTFOUND, ML_ESTATE (over, or between segments), ML_ENOMEM. */
int rns_linkres_request_next(rns_linkres *lr, rns_link *l, uint32_t id, double now);

/* Takes a link event. Returns 1 when it was a resource packet (consumed),
 * 0 when it is not for us, 2 when the caller must tear the link down (a bz2
 * bomb), ML_ENOMEM. */
int rns_linkres_input(rns_linkres *lr, rns_link *l, const rns_link_event *ev, double now);
/* The link closed: every transfer ends FAILED (events follow). */
void rns_linkres_link_closed(rns_linkres *lr);
int rns_linkres_tick(rns_linkres *lr, rns_link *l, double now);
double rns_linkres_deadline(const rns_linkres *lr);

/* 1 when an event was moved to *ev (caller: rns_res_event_clear), else 0. */
int rns_linkres_pop_event(rns_linkres *lr, rns_res_event *ev);
void rns_res_event_clear(rns_res_event *ev);   /* NULL ok */

/* An incoming request or response that came as a resource, as the link
 * event the reference raises for it (REQUEST: id = request id, path_hash,
 * timestamp, data; RESPONSE: id, data). 1 when converted, 0 when ev is
 * something else, ML_EMALFORMED, ML_ENOMEM. */
int rns_res_event_as_link_event(const rns_res_event *ev, rns_link_event *out);

/* For inspection: the last window an incoming resource ended with (0: none
 * yet) and the resource of an outgoing transfer's current segment, or of an
 * incoming one, by handle (borrowed; NULL when unknown or over). */
unsigned rns_linkres_last_window(const rns_linkres *lr);
const rns_resource *rns_linkres_get(const rns_linkres *lr, uint32_t id);
/* Outgoing transfers not yet concluded (the one advertised and those queued). */
size_t rns_linkres_outgoing(const rns_linkres *lr);
/* 1 when an outgoing transfer waits for its turn (not advertised yet). */
int rns_linkres_queued(const rns_linkres *lr, uint32_t id);
/* Incoming resources in progress (between segments included). */
size_t rns_linkres_incoming(const rns_linkres *lr);
/* A request was sent: a response resource naming this id (16 bytes) will be
 * accepted (once). Response advertisements naming no pending request are
 * dropped, as the reference does. Up to RNS_LINKRES_MAX_PENDING are kept
 * (the oldest is forgotten). */
#define RNS_LINKRES_MAX_PENDING 16
void rns_linkres_expect_response(rns_linkres *lr, const uint8_t request_id[RNS_HASHLEN]);

#endif
