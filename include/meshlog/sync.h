// SPDX-License-Identifier: MIT
// The sync engine: anti-entropy between two nodes over thin links, sans-I/O.
// One ml_sync per node (it reads and writes the node's store); one
// ml_sync_peer per session with a neighbour. A transport (the simulator, the
// daemon's Reticulum links) feeds received messages in, pulls messages out
// when it can send, and calls tick() at the deadline it is given. Time is
// passed in; nothing here touches a socket or a clock.
//
// The model is the seed's: each side learns what the other holds (its
// frontier: one seq per author) and pushes what the other lacks, relaying
// every signed feed it holds. On top of it: a short digest so nodes that
// already agree spend ~20 bytes per round, frontier deltas within a session,
// new local events pushed at once, messages chunked to the MTU with one
// signature per author run, acknowledgements so a dropped message is resent,
// and a version byte. The wire format is in docs/PROTOCOL.md.
#ifndef MESHLOG_SYNC_H
#define MESHLOG_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "meshlog/buf.h"
#include "meshlog/store.h"

#define ML_SYNC_VERSION 1
#define ML_SYNC_DEFAULT_MTU 431          /* a Reticulum link's payload at MTU 500 */
#define ML_SYNC_DIGEST_LEN 8

typedef struct ml_sync ml_sync;
typedef struct ml_sync_peer ml_sync_peer;

typedef struct ml_sync_opts {
    size_t mtu;              /* largest message; 0: ML_SYNC_DEFAULT_MTU */
    size_t bulk_threshold;   /* events behind beyond which messages are flagged bulk; 0: 512 */
    int64_t gossip_ms;       /* HELLO interval while idle; 0: 30000 */
    int64_t ack_delay_ms;    /* coalescing delay for acknowledgements; 0: 200 */
    int64_t resend_ms;       /* unacknowledged data is resent after this; 0: 20000 */
    size_t window;           /* messages in flight before waiting for an ack; 0: 8 */
    ml_log_fn log;           /* NULL: silent */
    void *log_ctx;
} ml_sync_opts;

/* Flags returned with each outgoing message. */
enum {
    ML_SYNC_MSG_BULK = 1,    /* part of a large delta: a transport may move a run of
                                these as one bulk transfer (a Reticulum resource) */
};

typedef struct ml_sync_stats {
    uint64_t msgs_out, bytes_out, msgs_in, bytes_in;
    uint64_t events_sent, events_accepted, events_refused, msgs_refused;
} ml_sync_stats;

int ml_sync_new(ml_sync **out, ml_store *store, const ml_sync_opts *opts);
void ml_sync_free(ml_sync *s);   /* closes every peer */

/* The digest of this node's frontier (signed feeds only). */
int ml_sync_digest(ml_sync *s, uint8_t out[ML_SYNC_DIGEST_LEN]);

/* Begin a session (a link came up). `name` is for logs. The session starts by
 * saying HELLO. */
int ml_sync_peer_open(ml_sync *s, const char *name, int64_t now_ms, ml_sync_peer **out);
/* End it (link gone). Nothing is lost: the next session starts from frontiers. */
void ml_sync_peer_close(ml_sync_peer *p);

/* A message from the peer. Malformed or refused input is logged and counted
 * and never touches the store; returns 0, or ML_EUNSUPPORTED when the peer
 * speaks another version (the session should be closed), or ML_EMALFORMED. */
int ml_sync_peer_input(ml_sync_peer *p, const uint8_t *msg, size_t len, int64_t now_ms);
/* The next message to send, if any: 1 and *out filled (replacing its
 * contents), 0 when there is nothing to send now. */
int ml_sync_peer_output(ml_sync_peer *p, int64_t now_ms, ml_buf *out, int *flags);
/* When tick() should next be called (ms), or INT64_MAX. */
int64_t ml_sync_peer_deadline(const ml_sync_peer *p);
int ml_sync_peer_tick(ml_sync_peer *p, int64_t now_ms);

/* How many events this side believes the peer lacks (for progress). */
int64_t ml_sync_peer_behind(const ml_sync_peer *p);
const ml_sync_stats *ml_sync_peer_stats(const ml_sync_peer *p);

#endif
