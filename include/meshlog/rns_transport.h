// SPDX-License-Identifier: MIT
// The Reticulum transport core of an endpoint node, sans-I/O. It sits between
// the interface drivers (src/rns/iface/) and the application: bytes come in as
// (interface id, bytes, now), packets to send go out through a queue of
// (interface id, bytes), and rns_transport_deadline() says when to call
// rns_transport_tick() next. No socket, clock or RNG call happens inside; the
// random bytes come from a callback.
//
// It owns: the local destinations (identity, proof strategy, announce app
// data), the table of known destinations learned from announces (public key,
// app data, and the path: hops, next hop transport id, receiving interface,
// expiry, recent random blobs against replays), the duplicate packet filter,
// path requests (sent, and answered for local destinations with a
// PATH_RESPONSE announce), the links (initiated here, or accepted for local
// destinations) keyed by link id, and receipts for single packets sent.
// It is not a transport node (it never forwards other nodes' packets), but it
// speaks to one: a packet for a destination more than one hop away (or one hop
// away through a shared instance) is rewritten to HEADER_2 and addressed to the
// next hop learned from the announce.
//
// IFAC is applied here, per interface: drivers move raw frames' contents only.
// Wire facts: docs/reticulum-notes.md (A.2, A.6-A.9, A.12-A.14).
#ifndef MESHLOG_RNS_TRANSPORT_H
#define MESHLOG_RNS_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "meshlog/buf.h"
#include "meshlog/rns_dest.h"
#include "meshlog/rns_identity.h"
#include "meshlog/rns_config.h"
#include "meshlog/rns_ifac.h"
#include "meshlog/rns_buffer.h"
#include "meshlog/rns_channel.h"
#include "meshlog/rns_link.h"
#include "meshlog/rns_linkres.h"
#include "meshlog/rns_ratchets.h"

#define RNS_TRANSPORT_MAX_IFACES 64
#define RNS_TRANSPORT_MAX_DESTS 32
#define RNS_PATH_EXPIRY (7.0 * 86400.0)     /* seconds a learned path lives */
#define RNS_PATH_REQUEST_TIMEOUT 15.0       /* seconds */

/* Log levels, as ml_log_fn in store.h. */
enum { RNS_LOG_ERROR = 0, RNS_LOG_WARN = 1, RNS_LOG_INFO = 2, RNS_LOG_DEBUG = 3 };
typedef void (*rns_log_fn)(void *ctx, int level, const char *msg);

typedef struct rns_transport rns_transport;

typedef struct rns_transport_config {
    rns_rng_fn rng;          /* required: all randomness (keys, IVs, tags, blobs) */
    void *rng_ctx;
    rns_log_fn log;          /* NULL: silent */
    void *log_ctx;
} rns_transport_config;

/* Creates a core. *out is owned by the caller: rns_transport_free().
 * 0, ML_EINVAL (no rng), ML_ENOMEM. */
int rns_transport_new(rns_transport **out, const rns_transport_config *cfg);
/* Frees everything: links (wiped), queues, tables, interfaces' IFAC. NULL ok. */
void rns_transport_free(rns_transport *t);

/* ---- interfaces -------------------------------------------------------------- */

/* What the core needs to know about an interface. */
typedef struct rns_iface_props {
    const char *name;        /* for logs; copied (may be NULL) */
    uint32_t hw_mtu;         /* largest packet it carries (0: 500) */
    int autoconf_mtu;        /* 1: links over it may signal hw_mtu (TCP, local) */
    int shared_instance;     /* 1: the connection to a shared instance (rnsd) */
    rns_ifac *ifac;          /* access codes, or NULL; the core takes ownership
                                (even when the call fails) */
} rns_iface_props;

/* Adds an interface; *iface_id receives its id (>= 0, never reused).
 * 0, ML_ENOMEM, ML_ETOOBIG (RNS_TRANSPORT_MAX_IFACES in use). */
int rns_transport_add_iface(rns_transport *t, const rns_iface_props *props, int *iface_id);
/* Removes an interface (a TCP server's client that went away): paths through
 * it are forgotten; links over it stay and time out unless the peer comes back
 * on another path. Queued output for it is dropped. 0 or ML_ENOTFOUND. */
int rns_transport_remove_iface(rns_transport *t, int iface_id);
/* The interface's bitrate in bits/s (0: unknown), for timeouts. 0 or ML_ENOTFOUND. */
int rns_transport_iface_set_bitrate(rns_transport *t, int iface_id, uint64_t bitrate);
/* Transport.first_hop_timeout: seconds to allow for the first hop towards
 * dest: RNS_DEFAULT_PER_HOP_TIMEOUT (6), plus the time an MTU-sized packet
 * takes at the bitrate of the path's interface when a path is known over an
 * interface of known bitrate. */
double rns_transport_first_hop_timeout(const rns_transport *t, const uint8_t dest[RNS_HASHLEN],
                                       double now);
/* Up/down (a TCP client reconnecting): nothing is queued for a down interface.
 * Paths and links over it are kept, so links survive a reconnect. */
int rns_transport_iface_set_up(rns_transport *t, int iface_id, int up);

/* ---- local destinations ---------------------------------------------------------- */

/* The app name of a transport instance's own destinations (path probes,
 * remote management), as in the reference. */
#define RNS_TRANSPORT_APP_NAME "rnstransport"

/* Which received packets a local destination proves: none, all, or those the
 * application approves (PROVE_APP, see rns_transport_set_proof_strategy). */
enum rns_proof_strategy { RNS_PROVE_NONE = 0, RNS_PROVE_ALL = 1, RNS_PROVE_APP = 2 };

typedef struct rns_dest_params {
    const rns_identity *identity;  /* with private keys; copied */
    const char *app_name;
    const char *const *aspects;
    size_t n_aspects;
    enum rns_proof_strategy proof; /* single packets and link packets */
    int accept_links;              /* 1: answer LINKREQUESTs */
    const uint8_t *app_data;       /* announced; copied; may be NULL */
    size_t app_data_len;
} rns_dest_params;

/* Registers a SINGLE destination. dest_hash (16) receives its hash.
 * 0, ML_EINVAL (names, identity without private key), ML_EEXIST, ML_ETOOBIG, ML_ENOMEM. */
int rns_transport_register(rns_transport *t, const rns_dest_params *dp, uint8_t *dest_hash);
/* A local destination's proof strategy and link policy (either may be NULL).
 * 0 or ML_ENOTFOUND. */
int rns_transport_local_dest(const rns_transport *t, const uint8_t hash[RNS_HASHLEN],
                             enum rns_proof_strategy *proof, int *accept_links);
/* Replaces a local destination's announce app data. 0, ML_ENOTFOUND, ML_ENOMEM. */
int rns_transport_set_app_data(rns_transport *t, const uint8_t dest_hash[RNS_HASHLEN],
                               const uint8_t *app_data, size_t len);
/* The destination object of a registered destination (rns_dest.h), borrowed
 * until rns_transport_free(), or NULL. Through it the application enables
 * and steers ratchets (the next announce rotates and carries the newest;
 * single packets are decrypted with the retained ones, and only with them
 * when enforced), sets default app data, and reads its name. */
rns_dest *rns_transport_dest(rns_transport *t, const uint8_t dest_hash[RNS_HASHLEN]);
/* PROVE_APP: asked, for each single packet and link data packet that
 * reached dest, whether to prove it; data is the decrypted payload. Nonzero
 * proves. It must not call into the core. */
typedef int (*rns_proof_requested_fn)(void *ctx, const uint8_t dest[RNS_HASHLEN],
                                      const uint8_t *data, size_t len);
/* Changes a local destination's proof strategy, for its links as well (open
 * ones included). fn/ctx decide for PROVE_APP (NULL: nothing is proved).
 * 0, ML_ENOTFOUND, ML_EINVAL (unknown strategy). */
int rns_transport_set_proof_strategy(rns_transport *t, const uint8_t dest_hash[RNS_HASHLEN],
                                     enum rns_proof_strategy strategy,
                                     rns_proof_requested_fn fn, void *ctx);
/* A local destination's proof strategy, or -1 when dest is not one. */
int rns_transport_proof_strategy(const rns_transport *t, const uint8_t dest_hash[RNS_HASHLEN]);
/* The form of the proofs this core sends for single packets: implicit (the
 * 64-byte signature, the reference's default) or explicit (packet hash and
 * signature, 96 bytes). Receivers accept both. */
void rns_transport_set_implicit_proofs(rns_transport *t, int implicit_proofs);
int rns_transport_implicit_proofs(const rns_transport *t);
/* Queues an announce of a local destination on every interface that is up.
 * 0, ML_ENOTFOUND, ML_ENOMEM, or the rng's error. */
int rns_transport_announce(rns_transport *t, const uint8_t dest_hash[RNS_HASHLEN], double now);

/* ---- paths and identities ---------------------------------------------------------- */

/* 1 if a path to dest is known (and not expired), else 0. *hops (may be NULL)
 * receives its hop count. */
int rns_transport_has_path(const rns_transport *t, const uint8_t dest[RNS_HASHLEN], double now,
                           unsigned *hops);
/* One entry of the path table. */
typedef struct rns_path_info {
    uint8_t dest[RNS_HASHLEN];
    uint8_t next_hop[RNS_HASHLEN];   /* the transport id it came through, or dest */
    unsigned hops;
    int iface_id;
    double last_seen, expires;
} rns_path_info;
/* The i-th destination (0, 1, ...) with a valid path: 1 and *out filled, 0
 * past the end. */
int rns_transport_path_at(const rns_transport *t, size_t i, double now, rns_path_info *out);
/* How many links (initiated or accepted, not yet reaped) the core holds. */
size_t rns_transport_links_total(const rns_transport *t);
/* Queues a path request for dest on every interface that is up. 0, ML_ENOMEM. */
int rns_transport_request_path(rns_transport *t, const uint8_t dest[RNS_HASHLEN], double now);
/* Identity.recall: the 64-byte public key announced for dest (copied to pub,
 * may be NULL) and a borrowed pointer to its app data (valid until the next
 * call into the core; NULL when none, non-NULL with length 0 when present but
 * empty: an announce with a ratchet and nothing after it, as the reference
 * records it). 0 or ML_ENOTFOUND. */
int rns_transport_recall(const rns_transport *t, const uint8_t dest[RNS_HASHLEN], uint8_t *pub,
                         const uint8_t **app_data, size_t *app_data_len);

/* The ratchet public key (32) last announced by a known destination (as
 * Identity.get_ratchet): 0, or ML_ENOTFOUND when none was heard. Packets sent
 * with rns_transport_send() are encrypted to it. */
int rns_transport_recall_ratchet(const rns_transport *t, const uint8_t dest[RNS_HASHLEN],
                                 uint8_t ratchet_pub[32]);

/* The store of received ratchets (rns_ratchets.h; borrowed, NULL: none, the
 * default): ratchets adopted from announces are written to it when new, and
 * recall_ratchet / send fall back to it when memory has none, as the
 * reference's get_ratchet reads storage/ratchets. clean_ratchets is
 * _clean_ratchets: removes the expired and damaged files and those of
 * destinations no longer known; 0 or ML_ESTATE (no store), ML_EIO. */
void rns_transport_set_ratchet_store(rns_transport *t, rns_ratchet_store *s);
rns_ratchet_store *rns_transport_ratchet_store(const rns_transport *t);
int rns_transport_clean_ratchets(rns_transport *t, double now, size_t *removed);
/* Identity._remember_ratchet: dest's ratchet heard at now (what announces
 * do): kept in memory when dest is known, written to the store when it is
 * not the one known already. 0, or the store's error (ML_EIO, ML_ENOMEM). */
int rns_transport_remember_ratchet(rns_transport *t, const uint8_t dest[RNS_HASHLEN],
                                   const uint8_t ratchet[32], double now);

/* Identity.save_known_destinations / load_known_destinations, sans I/O: the
 * table of destinations heard of, as the reference stores it (a msgpack map
 * of 16-byte destination hash to [time, announce packet hash, public key,
 * app data or nil, used], time and used as UNIX seconds, used 0 when we
 * never sent to it). save appends it to out (0 or ML_ENOMEM); record
 * appends one destination's record (ML_ENOTFOUND). load adds or refreshes
 * the keys and app data of every well-formed record (records of 4 elements,
 * from older files, too; keys other than 16 bytes are skipped, as there) and
 * says how many it took; paths are not stored, the next announce brings
 * them. 0, ML_EMALFORMED (the file is damaged: records before the damage
 * stay taken), ML_ENOMEM. clear forgets every destination heard of, paths
 * included. */
int rns_transport_known_save(const rns_transport *t, ml_buf *out);
int rns_transport_known_record(const rns_transport *t, const uint8_t dest[RNS_HASHLEN],
                               ml_buf *out);
int rns_transport_known_load(rns_transport *t, const uint8_t *data, size_t len, size_t *loaded);
void rns_transport_known_clear(rns_transport *t);

/* ---- sending ------------------------------------------------------------------------ */

/* Encrypts data to a known SINGLE destination and queues it (HEADER_2 when the
 * path asks for it; broadcast on every interface when no path is known).
 * packet_hash (32, may be NULL) names the receipt: an RNS_TEV_PROOF event
 * follows when the destination proves it, RNS_TEV_RECEIPT_TIMEOUT if not.
 * 0, ML_ENOTFOUND (identity unknown), ML_ETOOBIG (> RNS_ENCRYPTED_MDU), ML_ENOMEM. */
int rns_transport_send(rns_transport *t, const uint8_t dest[RNS_HASHLEN], const uint8_t *data,
                       size_t len, double now, uint8_t *packet_hash);

/* Transport.outbound for a packet the caller built (any type, context and
 * destination type), routed as rns_transport_send routes (HEADER_2 when the
 * path asks for it, else on every interface). With create_receipt a receipt
 * is opened only where the reference opens one: DATA packets, not to PLAIN
 * destinations, not in the link-control (KEEPALIVE..LRPROOF) or resource
 * (RESOURCE..RESOURCE_RCL) contexts. Its proofs are checked against pub (64
 * bytes), or when pub is NULL the key announced for the destination (no
 * receipt when none is known). *receipt (may be NULL) is 1 when one was
 * opened; packet_hash (32, may be NULL) receives the packet's hash.
 * 0, ML_EINVAL (does not pack), ML_ENOMEM. */
int rns_transport_send_packet(rns_transport *t, const rns_packet *p, const uint8_t *pub,
                              int create_receipt, double now, uint8_t *packet_hash, int *receipt);

/* A receipt still waiting for its proof. Its timeout is the reference's:
 * rns_transport_first_hop_timeout + RNS_DEFAULT_PER_HOP_TIMEOUT * hops, with
 * hops the path length when sent (RNS_PATHFINDER_M, rns_packet.h, when no
 * path was known). */
typedef struct rns_receipt_info {
    uint8_t dest[RNS_HASHLEN];
    double sent;              /* `now` when it was sent */
    double timeout;           /* seconds after sent; < 0: culled at the next tick */
    unsigned hops;
    double first_hop_timeout;
} rns_receipt_info;
/* 0, or ML_ENOTFOUND (no such receipt, or it was proved or has timed out). */
int rns_transport_receipt(const rns_transport *t, const uint8_t packet_hash[RNS_FULL_HASHLEN],
                          rns_receipt_info *info);
/* Replaces a waiting receipt's timeout (seconds after it was sent; < 0 culls
 * it: its RNS_TEV_RECEIPT_TIMEOUT says culled). 0 or ML_ENOTFOUND. */
int rns_transport_receipt_set_timeout(rns_transport *t,
                                      const uint8_t packet_hash[RNS_FULL_HASHLEN], double timeout);

/* Opens a link to a known destination. link_id (16) receives its id; the link
 * is reachable with rns_transport_link(). 0, ML_ENOTFOUND (identity unknown),
 * ML_ENOMEM, or the link's error. */
int rns_transport_link_open(rns_transport *t, const uint8_t dest[RNS_HASHLEN], double now,
                            uint8_t *link_id);
/* The link with this id, borrowed (valid until its RNS_LINK_EV_CLOSED event
 * has been popped and the next call into the core), or NULL. After calling
 * rns_link_send/request/respond/close on it, call rns_transport_flush(). */
rns_link *rns_transport_link(rns_transport *t, const uint8_t link_id[RNS_HASHLEN]);
/* The interface a link is bound to (packets for it arriving on another one
 * are dropped), or -1 (not yet known, or no such link). */
int rns_transport_link_iface(rns_transport *t, const uint8_t link_id[RNS_HASHLEN]);
/* The MTU a link opened to dest now would signal: the hardware MTU of the
 * interface its path leaves on when that interface autoconfigures its MTU,
 * else (no path, or a fixed interface) RNS_MTU. */
uint32_t rns_transport_link_mtu(rns_transport *t, const uint8_t dest[RNS_HASHLEN], double now);
/* How many open links (either direction) this core has for dest. */
size_t rns_transport_link_count(const rns_transport *t, const uint8_t dest[RNS_HASHLEN]);
/* Installs (fn NULL: removes) a tap on every link, present and future (see
 * rns_link_set_tap). */
void rns_transport_set_link_tap(rns_transport *t, rns_link_tap_fn fn, void *ctx);
/* Moves what links have queued into the output and event queues. 0 or ML_ENOMEM. */
int rns_transport_flush(rns_transport *t, double now);

/* ---- input, timers, output ------------------------------------------------------------ */

/* One packet (as deframed: IFAC still on) received on an interface. Refused
 * input is counted and logged, never fatal: returns 0 when the packet was
 * taken or dropped, ML_ENOTFOUND (no such interface), ML_ENOMEM. */
int rns_transport_inbound(rns_transport *t, int iface_id, const uint8_t *raw, size_t len,
                          double now);
/* Runs link timers, receipt and path-request timeouts. 0 or ML_ENOMEM. */
int rns_transport_tick(rns_transport *t, double now);
/* The next `now` at which rns_transport_tick() has work (a large value when none). */
double rns_transport_deadline(const rns_transport *t);

/* Moves the oldest packet to send into out (appended; IFAC applied) and its
 * interface into *iface_id. A broadcast is queued once per interface that is
 * up, since each interface may add its own access code. 1 when moved, 0 when
 * none, ML_ENOMEM (the packet is lost). */
int rns_transport_pop_output(rns_transport *t, int *iface_id, ml_buf *out);

/* What the core tells the application. */
enum rns_tev_type {
    RNS_TEV_ANNOUNCE,        /* dest, identity_hash, public_key, name_hash, hops,
                                data = app data (has_app_data), path_response */
    RNS_TEV_DATA,            /* dest (local), data = decrypted single packet */
    RNS_TEV_PROOF,           /* packet_hash proved by dest; rtt, hops, data = the
                                proof packet as received (IFAC removed) */
    RNS_TEV_RECEIPT_TIMEOUT, /* packet_hash was not proved in time (culled: its
                                timeout was set < 0) */
    RNS_TEV_LINK,            /* link_id, dest (the link's destination), link_ev */
    RNS_TEV_RESOURCE,        /* link_id, dest, initiator, res_ev (rns_linkres.h) */
};

typedef struct rns_tev {
    enum rns_tev_type type;
    uint8_t dest[RNS_HASHLEN];
    uint8_t link_id[RNS_HASHLEN];
    uint8_t identity_hash[RNS_HASHLEN];
    uint8_t public_key[RNS_KEYSIZE];
    uint8_t name_hash[RNS_NAME_HASHLEN];
    uint8_t packet_hash[RNS_FULL_HASHLEN];
    unsigned hops;
    int has_app_data;
    int path_response;       /* the announce answered a path request */
    int initiator;           /* RNS_TEV_LINK: 1 if we opened the link */
    double rtt;              /* seconds */
    ml_buf data;             /* owned by the event */
    rns_link_event link_ev;  /* RNS_TEV_LINK; owned by the event */
    int culled;              /* RNS_TEV_RECEIPT_TIMEOUT */
    rns_res_event res_ev;    /* RNS_TEV_RESOURCE; owned by the event */
} rns_tev;

/* ---- resources over links (rns_linkres.h) ---------------------------------------------- */

/* What links accepted for a local destination do with resource
 * advertisements (default ACCEPT_NONE, as the reference). The policy's
 * callback runs inside the core, during rns_transport_inbound.
 * 0 or ML_ENOTFOUND. */
int rns_transport_set_resource_policy(rns_transport *t, const uint8_t dest_hash[RNS_HASHLEN],
                                      const rns_res_policy *p);
/* The same for one link (e.g. one we opened). 0 or ML_ENOTFOUND. */
int rns_transport_link_set_resource_policy(rns_transport *t, const uint8_t link_id[RNS_HASHLEN],
                                           const rns_res_policy *p);
/* Sends a resource over a link (see rns_linkres_send); RNS_TEV_RESOURCE
 * events follow (CONCLUDED with the final status). ML_ENOTFOUND (no such
 * link) or rns_linkres_send's errors. */
int rns_transport_resource_send(rns_transport *t, const uint8_t link_id[RNS_HASHLEN],
                                const rns_res_send_opts *o, double now, uint32_t *res_id);
/* Cancels a transfer by handle (rns_linkres_cancel). ML_ENOTFOUND. */
int rns_transport_resource_cancel(rns_transport *t, const uint8_t link_id[RNS_HASHLEN],
                                  uint32_t res_id, double now);
/* Manual requests (rns_linkres_set_manual_requests on the link's
 * resources): asks for the next window of an incoming transfer and sends
 * the request (rns_linkres_request_next). 1 sent, 0 none, ML_ENOTFOUND... */
int rns_transport_resource_request_next(rns_transport *t, const uint8_t link_id[RNS_HASHLEN],
                                        uint32_t res_id, double now);
/* The link's resources, borrowed (created on first use), or NULL. */
rns_linkres *rns_transport_link_resources(rns_transport *t, const uint8_t link_id[RNS_HASHLEN]);
/* The link's channel (rns_channel.h), borrowed, opened on first use (as
 * Link.get_channel), or NULL. Once open, the core feeds it the link's
 * CHANNEL packets (no longer reported as link events), acknowledges its
 * envelopes from proofs, retransmits on its timers and closes the link
 * after the last try. Register the MSGTYPEs to accept; drain delivered
 * messages with rns_channel_pop_message(). */
rns_channel *rns_transport_link_channel(rns_transport *t, const uint8_t link_id[RNS_HASHLEN]);
/* Sends one message on the link's channel (opened if needed): *sequence
 * gets its sequence. ML_ENOTFOUND (no such link), ML_ESTATE (link not
 * active, or the window is full), rns_channel_send's errors. When the
 * link does not carry the packet, its error is returned and the sequence
 * is given back (rns_channel_unsend): the next send reuses it. */
int rns_transport_channel_send(rns_transport *t, const uint8_t link_id[RNS_HASHLEN],
                               uint16_t msgtype, const uint8_t *data, size_t len, double now,
                               uint16_t *sequence);
/* The same for a system-reserved MSGTYPE (rns_channel_send_system). */
int rns_transport_channel_send_system(rns_transport *t, const uint8_t link_id[RNS_HASHLEN],
                                      uint16_t msgtype, const uint8_t *data, size_t len,
                                      double now, uint16_t *sequence);

/* What links accepted for a local destination get once established: the
 * reference opens no channel by itself; its application calls
 * Link.get_channel() in the link-established callback, registers message
 * types and makes Buffer readers. Without a channel the link drops the
 * peer's CHANNEL packets unproved. */
#define RNS_CHAN_POLICY_MAX 8
typedef struct rns_chan_policy {
    int open;                                  /* open a channel on each one */
    uint16_t msgtypes[RNS_CHAN_POLICY_MAX];    /* application MSGTYPEs registered */
    size_t n_msgtypes;
    int buffer;                                /* with Buffer's receive side (rns_buffer_rx) */
    uint16_t stream_ids[RNS_CHAN_POLICY_MAX];  /* and a reader for each of these streams */
    size_t n_stream_ids;
} rns_chan_policy;
/* 0, ML_ENOTFOUND (no such local destination), ML_EINVAL (reserved MSGTYPE,
 * stream id past RNS_STREAM_ID_MAX, too many). Default: no channel. */
int rns_transport_set_channel_policy(rns_transport *t, const uint8_t dest_hash[RNS_HASHLEN],
                                     const rns_chan_policy *p);
/* The Buffer receive side on the link's channel, borrowed; with create it
 * is made (and the channel opened) when missing. NULL: no such link, none
 * made yet, or no memory. */
rns_buffer_rx *rns_transport_link_buffer(rns_transport *t, const uint8_t link_id[RNS_HASHLEN],
                                         int create);
/* One RawChannelWriter.write() on the link's channel: packs the next
 * StreamDataMessage for stream_id from data[0..len) (rns_buffer_pack_chunk)
 * and sends it. *sent: input bytes taken, chunk bytes on the wire, whether
 * compressed, the sequence. ML_ESTATE when the channel cannot take a
 * message now (nothing taken; try again once it is ready), ML_ENOTFOUND,
 * the channel's errors. */
typedef struct rns_buffer_sent {
    size_t taken, bytes;
    int compressed;
    uint16_t sequence;
} rns_buffer_sent;
int rns_transport_buffer_write(rns_transport *t, const uint8_t link_id[RNS_HASHLEN],
                               uint16_t stream_id, int eof, const uint8_t *data, size_t len,
                               double now, rns_buffer_sent *sent);
/* Test/diagnostic fault injection: the link's next rns_transport_channel_send
 * takes its sequence and then fails with ML_ESTATE as if the link had
 * carried nothing (the reference's outlet returning no packet), so the
 * sequence restore runs for real. 0, ML_ENOTFOUND. */
int rns_transport_channel_fail_next(rns_transport *t, const uint8_t link_id[RNS_HASHLEN]);
/* The window and sequence state of the link's channel (rns_channel_info_get),
 * also after the link is gone: the last state of the channels of the
 * latest 8 links that closed is kept (a channel that ran out of tries
 * reports closed and exhausted). 0, ML_ENOTFOUND (no channel was opened),
 * ML_EINVAL. */
int rns_transport_channel_info(const rns_transport *t, const uint8_t link_id[RNS_HASHLEN],
                               rns_channel_info *info);
/* A request, or the response to one, that goes as a packet when it fits the
 * link MDU and as a resource (flags u / p, q = request id) otherwise, as the
 * reference does. request_id (16, may be NULL) receives the id. */
int rns_transport_link_request(rns_transport *t, const uint8_t link_id[RNS_HASHLEN],
                               const char *path, const uint8_t *data, size_t len, double now,
                               uint8_t *request_id);
int rns_transport_link_respond(rns_transport *t, const uint8_t link_id[RNS_HASHLEN],
                               const uint8_t request_id[RNS_HASHLEN], const uint8_t *response,
                               size_t len, double now);

/* A file response (the reference's handler returning [file, metadata]): the
 * content goes as a resource flagged as the response to request_id, carrying
 * metadata (one msgpack value, or NULL), not wrapped in [request_id, response];
 * the requester gets it as RNS_LINK_EV_RESPONSE with has_metadata. */
int rns_transport_link_respond_file(rns_transport *t, const uint8_t link_id[RNS_HASHLEN],
                                    const uint8_t request_id[RNS_HASHLEN], const uint8_t *data,
                                    size_t len, const uint8_t *metadata, size_t metadata_len,
                                    double now);

/* Moves the oldest event into *ev; the caller calls rns_tev_clear(). 1 or 0. */
int rns_transport_pop_event(rns_transport *t, rns_tev *ev);
void rns_tev_clear(rns_tev *ev);   /* NULL ok */

/* Counters, for status output and tests. */
typedef struct rns_transport_stats {
    uint64_t rx_packets, tx_packets;
    uint64_t dropped_malformed, dropped_ifac, dropped_duplicate, dropped_announce;
    uint64_t dropped_unroutable;
} rns_transport_stats;
rns_transport_stats rns_transport_get_stats(const rns_transport *t);

/* ---- frame tap and raw frames (tests, diagnostics) ------------------------------------ */

/* Sees every frame the core handles: inbound (outbound = 0) as handed to
 * rns_transport_inbound (IFAC still on, before any check, even when it is
 * then dropped), outbound (outbound = 1) as queued for the driver (IFAC
 * applied). raw is borrowed for the call; the tap must not call into the core. */
typedef void (*rns_frame_tap_fn)(void *ctx, int iface_id, int outbound, const uint8_t *raw,
                                 size_t len);
/* Installs (fn NULL: removes) the one frame tap. */
void rns_transport_set_frame_tap(rns_transport *t, rns_frame_tap_fn fn, void *ctx);
/* Queues raw as it is (only the interface's IFAC is applied) on one
 * interface, or on every interface that is up when iface_id < 0: for tests
 * and tools that put crafted packets on the wire. No routing, receipt or
 * filter is involved. (To feed bytes in as if received, call
 * rns_transport_inbound.) 0, ML_EINVAL (len < 2), ML_ENOTFOUND, ML_ENOMEM. */
int rns_transport_send_raw(rns_transport *t, int iface_id, const uint8_t *raw, size_t len);

/* This core's ephemeral transport id (random per instance, as in a reference
 * node with transport disabled). Borrowed, 16 bytes. */
const uint8_t *rns_transport_id(const rns_transport *t);


/* ---- transport node ------------------------------------------------------------------
 * With transport enabled (Reticulum's enable_transport) the core also forwards
 * for others, as the reference's Transport does: announces are rebroadcast
 * (HEADER_2 through our transport id, same hops, PATHFINDER_R retries, rate
 * limits per interface), path requests for destinations with a known path are
 * answered with the cached announce (and forwarded for unknown ones from
 * discovery-mode interfaces), packets addressed through us go on by the path
 * table, link requests/proofs/traffic by a link table, proofs back by a
 * reverse table. Local clients of a shared instance (interfaces with
 * local_client set) are relayed for even with transport disabled. */

/* Interface modes: enum rns_iface_mode (rns_config.h).
 * "full", "access_point"/"ap", "roaming", ... -> mode, or 0 if unknown. */
int rns_iface_mode_from_name(const char *name);

#define RNS_AP_PATH_EXPIRY (86400.0)        /* paths learnt on ACCESS_POINT interfaces */
#define RNS_ROAMING_PATH_EXPIRY (6.0 * 3600.0)

void rns_transport_set_transport(rns_transport *t, int enabled);
int rns_transport_transport_enabled(const rns_transport *t);
/* Sets an interface's mode (FULL when never set; applies to later traffic).
 * 0, ML_EINVAL, ML_ENOTFOUND. */
int rns_transport_iface_set_mode(rns_transport *t, int iface_id, int mode);
/* Per-interface announce knobs: rate target/grace/penalty in seconds (target
 * <= 0: no rate limit; by default 3600/5/0 on a transport node), and ingress
 * control (burst holding of unknown announces; on by default). */
int rns_transport_iface_set_announce_rate(rns_transport *t, int iface_id, double target,
                                          int grace, double penalty);
int rns_transport_iface_set_ingress_control(rns_transport *t, int iface_id, int on);
/* The announce cap (Reticulum's announce_cap as a fraction, 0 < cap <= 1; 0:
 * none, the default here): forwarded announces leave the interface no faster
 * than cap * bitrate allows, the rest wait in its queue. 0, ML_EINVAL, ML_ENOTFOUND. */
int rns_transport_iface_set_announce_cap(rns_transport *t, int iface_id, double cap,
                                         uint64_t bitrate);
/* Marks an interface as a local client of our shared instance (set by the
 * node on the connections its shared-instance server accepts). */
int rns_transport_iface_set_local_client(rns_transport *t, int iface_id, int on);

/* The path table entry for dest, as the reference keeps it. */
typedef struct rns_path_entry {
    unsigned hops;
    uint8_t next_hop[RNS_HASHLEN];   /* transport id, or dest itself when direct */
    int iface_id;
    char iface_name[48];
    double timestamp, expires;
    int has_random_hash;
    uint8_t random_hash[10];         /* RNS_RANDOM_HASHLEN, of the cached announce */
} rns_path_entry;
/* 0 (filled), ML_ENOTFOUND (no valid path). */
int rns_transport_path_entry(const rns_transport *t, const uint8_t dest[RNS_HASHLEN],
                             double now, rns_path_entry *out);
/* Whether a path request for dest is waiting on behalf of another node. */
int rns_transport_has_discovery_request(const rns_transport *t, const uint8_t dest[RNS_HASHLEN],
                                        double now);
/* Whether dest has an announce waiting for (re)transmission; *timestamp (may
 * be NULL) receives when it was queued. */
int rns_transport_announce_entry(const rns_transport *t, const uint8_t dest[RNS_HASHLEN],
                                 double *timestamp);

#endif
