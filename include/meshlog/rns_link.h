// SPDX-License-Identifier: MIT
// Reticulum links: an encrypted, bidirectional session to a SINGLE
// destination, as a sans-I/O state machine for both ends. Bytes, time and
// randomness go in; packets to transmit, events for the application and a
// timer deadline come out. No socket, clock or RNG call happens inside: the
// caller passes `now` (seconds, the same clock throughout, normally UNIX time)
// and a random-bytes callback (tests inject fixed bytes, the daemon passes
// ml_random).
//
// Handshake: initiator -> LINKREQUEST (ephemeral X25519 + Ed25519 public
// keys, MTU signalling); responder -> LRPROOF (signed by the destination
// identity, its own ephemeral X25519 key, confirmed MTU); initiator -> LRRTT
// (encrypted measured RTT). Both sides derive the 64-byte token key with
// HKDF(X25519 shared secret, salt = link id). Then: DATA in any context,
// explicit proofs, keepalives (ff / fe), LINKIDENTIFY, REQUEST/RESPONSE and
// LINKCLOSE. Resources and channels sit on top and see their packets as
// RNS_LINK_EV_PACKET events.
//
// Typical loop: feed every packet addressed to the link id to
// rns_link_receive(); call rns_link_tick() at rns_link_deadline(); after each
// call drain rns_link_pop_packet() (to the interface) and rns_link_pop_event()
// (to the application).
#ifndef MESHLOG_RNS_LINK_H
#define MESHLOG_RNS_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "meshlog/buf.h"
#include "meshlog/rns_identity.h"
#include "meshlog/rns_packet.h"

#define RNS_LINK_MODE_AES256_CBC 1   /* the only mode RNS 1.x enables */
#define RNS_LINK_DEFAULT_MTU 500
#define RNS_LINK_PER_HOP_TIMEOUT 6.0 /* seconds */
#define RNS_LINK_KEEPALIVE_MAX 360.0 /* seconds: keepalive before an RTT is known */
#define RNS_LINK_ECPUBSIZE 64        /* LINKREQUEST: X25519 public | Ed25519 public */
#define RNS_LINK_MTU_SIZE 3          /* signalling bytes after them */
#define RNS_LINK_MTU_BYTEMASK 0x1FFFFFu
#define RNS_LINK_MODE_BYTEMASK 0xE0u

/* Fills out[0..len) with random bytes; 0 or a negative ML_E* code. */
typedef int (*rns_rng_fn)(void *ctx, void *out, size_t len);

typedef struct rns_link rns_link;

enum rns_link_state {
    RNS_LINK_PENDING,    /* initiator: LINKREQUEST sent, waiting for LRPROOF */
    RNS_LINK_HANDSHAKE,  /* responder: LRPROOF sent, waiting for LRRTT */
    RNS_LINK_ACTIVE,
    RNS_LINK_STALE,      /* nothing heard for stale_time; closes after a grace */
    RNS_LINK_CLOSED,
};

enum rns_link_close_reason {
    RNS_LINK_CLOSE_NONE,
    RNS_LINK_CLOSE_TIMEOUT,             /* handshake or stale timeout */
    RNS_LINK_CLOSE_INITIATOR_CLOSED,    /* the initiator sent LINKCLOSE */
    RNS_LINK_CLOSE_DESTINATION_CLOSED,  /* the responder sent LINKCLOSE */
};

/* Initiator parameters. */
typedef struct rns_link_initiate_params {
    const uint8_t *dest_hash;          /* 16 bytes: the SINGLE destination */
    const rns_identity *dest_identity; /* its identity, from an announce (public is enough) */
    uint32_t mtu;                      /* MTU to signal; 0 sends a legacy 64-byte request */
    const uint8_t *transport_id;       /* next hop when the path is > 1 hop, else NULL */
    unsigned hops;                     /* known hops to the destination (timeout) */
    double first_hop_timeout;          /* extra seconds for the first hop (0: none) */
    int prove_all;                     /* send explicit proofs for received DATA */
    rns_rng_fn rng;                    /* draws: X25519 key, Ed25519 seed, IVs */
    void *rng_ctx;
    int dest_type;                     /* enum rns_dest_type of the destination: only
                                          SINGLE (0, the default) takes links */
} rns_link_initiate_params;

/* Responder parameters. */
typedef struct rns_link_accept_params {
    const rns_identity *identity;      /* the destination's identity (private keys) */
    uint32_t mtu_limit;                /* our interface MTU: the confirmed MTU is <= this
                                          (0: RNS_LINK_DEFAULT_MTU) */
    unsigned hops;                     /* hops the request travelled (timeout) */
    int prove_all;                     /* PROVE_ALL destination: prove every DATA packet */
    rns_rng_fn rng;                    /* draws: X25519 key, IVs */
    void *rng_ctx;
} rns_link_accept_params;

/* Starts a link: *out is owned by the caller (rns_link_free), the
 * LINKREQUEST waits in the outbox. 0, ML_EINVAL (also: a destination that is
 * not SINGLE), ML_ENOMEM, or the rng's error. */
int rns_link_initiate(rns_link **out, const rns_link_initiate_params *lp, double now);

/* Answers a received LINKREQUEST packet for the destination of lp->identity:
 * *out (caller-owned) is in HANDSHAKE with the LRPROOF in its outbox.
 * ML_EMALFORMED (bad request length), ML_EUNSUPPORTED (a mode other than
 * AES-256-CBC), ML_EINVAL (not a LINKREQUEST, identity without private key),
 * ML_ECRYPTO, ML_ENOMEM. */
int rns_link_accept(rns_link **out, const rns_link_accept_params *lp, const rns_packet *request,
                    double now);

/* Wipes the keys and frees, with everything still queued. NULL ok. */
void rns_link_free(rns_link *l);

/* The link id of a LINKREQUEST packet: truncated hash of its hashable part
 * without the signalling bytes. 0 or ML_EMALFORMED. */
int rns_link_id_of_request(uint8_t out[RNS_HASHLEN], const rns_packet *request);

/* Feeds a packet addressed to this link (destination hash = link id).
 * Returns 0 when it was taken; ML_EINVAL (not for this link), ML_ESTATE (not
 * acceptable in the current state, e.g. data before the handshake ended or on
 * a closed link), ML_EBADSIG (bad LRPROOF or proof signature), ML_EUNSUPPORTED
 * (LRPROOF with another link mode: as in the reference, this closes a
 * PENDING link), ML_EAUTH / ML_EMALFORMED (does not decrypt
 * or parse), ML_EBADID (LINKCLOSE naming another link). A refused packet
 * changes nothing. Proof events are raised for any correctly signed proof;
 * matching them to packets sent (receipts) is the caller's job. */
int rns_link_receive(rns_link *l, const rns_packet *p, double now);

/* Runs the timers: handshake timeout, keepalive, stale, close. 0 or ML_ENOMEM. */
int rns_link_tick(rns_link *l, double now);
/* When rns_link_tick() next has something to do (a `now` value); a very large
 * value when closed. */
double rns_link_deadline(const rns_link *l);

/* Encrypts and queues one DATA packet in `context` (RNS_CTX_NONE for plain
 * application data). Plaintext up to rns_link_mdu() bytes (ML_ETOOBIG).
 * Contexts sent without link encryption (KEEPALIVE, RESOURCE parts,
 * CACHE_REQUEST) are queued as given. packet_hash (may be NULL) receives the
 * 32-byte packet hash, which a later RNS_LINK_EV_PROOF names.
 * ML_ESTATE unless ACTIVE or STALE. */
int rns_link_send(rns_link *l, uint8_t context, const uint8_t *data, size_t len, double now,
                  uint8_t *packet_hash);
/* Queues an explicit proof (packet hash | signature) for a received packet. */
int rns_link_prove(rns_link *l, const rns_packet *p, double now);
/* What the link proved (rns_link_prove, automatic or asked for): returns how
 * many packets in all, and copies the contexts of the latest ones, oldest
 * first, at most max and RNS_LINK_PROOF_LOG (*copied: how many). A CHANNEL
 * packet shows up here only while a channel is open, as in the reference. */
#define RNS_LINK_PROOF_LOG 64
size_t rns_link_proof_log(const rns_link *l, uint8_t *contexts, size_t max, size_t *copied);
/* Who decides whether received application data (context NONE) is proved,
 * as a destination's proof strategy does: mode 0 never, 1 always, 2 ask
 * fn with the decrypted data (PROVE_APP; nonzero: prove). fn may be NULL
 * (mode 2 then proves nothing); it must not call into the link. */
typedef int (*rns_link_prove_fn)(void *ctx, const rns_link *l, const uint8_t *data, size_t len);
void rns_link_set_proving(rns_link *l, int mode, rns_link_prove_fn fn, void *ctx);
/* Whether a channel is open on the link (Link.get_channel was called):
 * only then are CHANNEL packets proved and reported (RNS_LINK_EV_PACKET);
 * without one they are dropped unproved, as the reference does. Off at
 * first; the transport core turns it on when it opens the link's channel. */
void rns_link_set_channel_open(rns_link *l, int open);
/* Initiator only: reveals id to the responder (LINKIDENTIFY). */
int rns_link_identify(rns_link *l, const rns_identity *id, double now);
/* Queues a REQUEST: msgpack [now, SHA-256(path)[:16], data], where data is
 * one msgpack-encoded value (e.g. from rns_mp_put_*). request_id (16, may
 * be NULL) is the truncated hash of the request packet. ML_ETOOBIG when it
 * does not fit one packet (larger requests go as a resource). */
int rns_link_request(rns_link *l, const char *path, const uint8_t *data, size_t len,
                     double now, uint8_t *request_id);
/* Queues a RESPONSE: msgpack [request_id, response], response one msgpack value. */
int rns_link_respond(rns_link *l, const uint8_t request_id[RNS_HASHLEN],
                     const uint8_t *response, size_t len, double now);
/* Queues a RESOURCE_PRF proof packet (sent plain, as the reference does).
 * ML_ESTATE unless ACTIVE or STALE. */
int rns_link_send_resource_proof(rns_link *l, const uint8_t *data, size_t len, double now);
/* The 64-byte derived token key (resources encrypt their whole stream with
 * it), NULL before the handshake. Borrowed. */
const uint8_t *rns_link_key(const rns_link *l);
/* Queues LINKCLOSE and closes (an RNS_LINK_EV_CLOSED event follows). */
int rns_link_close(rns_link *l, double now);

/* What the link tells the application. */
enum rns_link_event_type {
    RNS_LINK_EV_ESTABLISHED,  /* handshake complete */
    RNS_LINK_EV_DATA,         /* data: application data (context NONE) */
    RNS_LINK_EV_PACKET,       /* context + data: other contexts (resources, channel...);
                                 data decrypted unless the context is sent plain;
                                 id: the packet's full hash */
    RNS_LINK_EV_PROOF,        /* id: hash (32) of our packet the peer proved */
    RNS_LINK_EV_IDENTIFIED,   /* identity: the initiator's proven identity */
    RNS_LINK_EV_REQUEST,      /* id: request id (16), path_hash, timestamp, data: the
                                 msgpack-encoded request data */
    RNS_LINK_EV_RESPONSE,     /* id: request id (16), data: msgpack-encoded response */
    RNS_LINK_EV_STALE,        /* nothing heard for stale_time */
    RNS_LINK_EV_CLOSED,       /* reason */
};

typedef struct rns_link_event {
    enum rns_link_event_type type;
    uint8_t context;
    uint8_t id[RNS_FULL_HASHLEN];
    uint8_t path_hash[RNS_HASHLEN];
    double timestamp;
    enum rns_link_close_reason reason;
    ml_buf data;              /* owned by the event: ml_buf_free() it */
    rns_identity *identity;   /* owned by the event: rns_identity_free() it */
    int has_metadata;         /* RESPONSE that came as a file (a resource with
                                 metadata): data is the raw file content, not msgpack */
    ml_buf metadata;          /* then: the metadata, one msgpack value (owned) */
} rns_link_event;

/* Moves the oldest queued packet (raw bytes) to out (appended). 1 when a
 * packet was moved, 0 when the outbox is empty, ML_ENOMEM (packet lost). */
int rns_link_pop_packet(rns_link *l, ml_buf *out);
/* Moves the oldest event into *ev (caller frees ev->data and ev->identity).
 * 1 when an event was moved, 0 when none is queued. */
int rns_link_pop_event(rns_link *l, rns_link_event *ev);
/* Frees what an event owns. NULL ok. */
void rns_link_event_clear(rns_link_event *ev);

enum rns_link_state rns_link_state(const rns_link *l);
const uint8_t *rns_link_id(const rns_link *l);          /* 16 bytes, borrowed */
int rns_link_is_initiator(const rns_link *l);
uint32_t rns_link_mtu(const rns_link *l);
size_t rns_link_mdu(const rns_link *l);                 /* max plaintext per packet */
double rns_link_rtt(const rns_link *l);                 /* seconds, 0 until known */
/* Overrides the measured RTT (the reference's link.rtt is a plain
 * attribute): what reads it from then on (the channel's window bands and
 * timeouts, request timeouts) sees the new value. Negative is ignored. */
void rns_link_set_rtt(rns_link *l, double rtt);
double rns_link_keepalive(const rns_link *l);           /* seconds */
/* The peer's identity: the destination's for an initiator, the identified
 * initiator's (or NULL) for a responder. Borrowed. */
const rns_identity *rns_link_remote_identity(const rns_link *l);

/* Link MDU for an MTU: floor((mtu - 1 - 19 - 48) / 16) * 16 - 1. */
size_t rns_link_mdu_for_mtu(uint32_t mtu);
/* The 3 signalling bytes for an MTU and mode, and back. */
void rns_link_signalling(uint8_t out[3], uint32_t mtu, unsigned mode);
void rns_link_parse_signalling(const uint8_t in[3], uint32_t *mtu, unsigned *mode);

/* ---- read-outs, overrides and hooks (status output, tests) ---------------------------- */

/* The watchdog's times (same clock as `now`) and periods (seconds). */
typedef struct rns_link_timers {
    double request_time;           /* LINKREQUEST sent (initiator) / received */
    double establishment_timeout;  /* seconds after request_time the handshake may take:
                                      6 * max(1, hops) (+ first hop) for an initiator,
                                      6 * max(1, hops) + 360 for a responder */
    double last_inbound;           /* last packet taken (keepalives included) */
    double last_outbound;
    double last_data;              /* last non-keepalive packet, either way */
    double last_keepalive;         /* last keepalive sent, ping or pong (0: none yet) */
    double keepalive, stale_time;  /* periods */
} rns_link_timers;
void rns_link_get_timers(const rns_link *l, rns_link_timers *out);
/* Overrides the keepalive period and/or the stale time (0: keep as is); the
 * timers use them from now on. A later RTT measurement recomputes both.
 * 0 or ML_EINVAL (negative or NaN). */
int rns_link_set_watchdog(rns_link *l, double keepalive, double stale_time);

/* Which secrets the link holds: its ephemeral X25519 private and public key,
 * the X25519 shared secret and the derived link key. All are wiped on close. */
typedef struct rns_link_keys {
    int prv, pub, shared, derived;
} rns_link_keys;
void rns_link_key_state(const rns_link *l, rns_link_keys *out);
/* Our ephemeral X25519 public key and the Ed25519 key our side signs with
 * (initiator: its ephemeral key; responder: the destination's). ML_ESTATE
 * once closed. */
int rns_link_ephemeral_keys(const rns_link *l, uint8_t x_pub[32], uint8_t sig_pub[32]);
unsigned rns_link_mode(const rns_link *l);
/* 1 for the link modes this implementation (like RNS 1.x) enables: AES-256-CBC. */
int rns_link_mode_enabled(unsigned mode);

/* Packs one DATA packet to this link in `context`, encrypted with the link key
 * unless the context is sent plain, into raw (appended) without queueing it:
 * what the peer would send (the key is the same both ways). For tools and
 * tests that feed crafted or damaged link traffic to a link.
 * 0, ML_ESTATE (no key), ML_ENOMEM, or the rng's error. */
int rns_link_pack(rns_link *l, uint8_t context, const uint8_t *data, size_t len, ml_buf *raw);

/* The reference's request-timeout terms (Link.TRAFFIC_TIMEOUT_FACTOR,
 * RNS.Resource.RESPONSE_MAX_GRACE_TIME), used by rns_link_request_timeout. */
#define RNS_LINK_TRAFFIC_TIMEOUT_FACTOR 6
#define RNS_LINK_RESPONSE_MAX_GRACE_TIME 10

/* The default time to wait for a RESPONSE, as the reference computes it:
 * rtt * 6 + 10 * 1.125 seconds. */
double rns_link_request_timeout(const rns_link *l);

/* Physical-layer figures of received packets (RSSI in dBm, SNR in dB, link
 * quality in %), as a radio driver reports them. They are kept and reported
 * only while tracking is on (off by default): rns_link_phy_stats gives
 * ML_ENOTFOUND otherwise, or when none was reported since tracking began. */
void rns_link_track_phy_stats(rns_link *l, int on);
void rns_link_set_phy_stats(rns_link *l, double rssi, double snr, double q);
int rns_link_phy_stats(const rns_link *l, double *rssi, double *snr, double *q);

/* Sees every link packet in the clear: outbound (before encryption) for
 * DATA of every context and for proofs, inbound after decryption (DATA) or
 * as received (proofs). data is borrowed for the call; the tap must not call
 * into the link. */
typedef void (*rns_link_tap_fn)(void *ctx, const rns_link *l, int outbound, uint8_t packet_type,
                                uint8_t context, const uint8_t *data, size_t len);
void rns_link_set_tap(rns_link *l, rns_link_tap_fn fn, void *ctx);

#endif
