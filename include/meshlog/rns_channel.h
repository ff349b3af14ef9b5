// SPDX-License-Identifier: MIT
// Reticulum Channel: reliable, ordered delivery of typed messages over one
// link, as a sans-I/O state machine. The channel only handles envelopes
// (rns_envelope.h); the caller carries them in link packets of context
// CHANNEL and tells the channel what happened to them:
//
//   send:    rns_channel_send() -> envelope bytes; the caller sends them with
//            rns_link_send(l, RNS_CTX_CHANNEL, ...) and reports the packet
//            hash with rns_channel_sent().
//   ack:     the peer proves each CHANNEL packet; on RNS_LINK_EV_PROOF call
//            rns_channel_delivered(hash) (the window grows).
//   timeout: at rns_channel_deadline() call rns_channel_tick(): it hands back
//            an envelope to send again (report it with rns_channel_sent()),
//            or ML_ETIMEOUT once an envelope went unanswered 5 times (the
//            reference then tears the link down).
//   receive: feed each CHANNEL packet's plaintext to rns_channel_receive()
//            (and prove the packet); drain in-order messages with
//            rns_channel_pop_message().
//
// Behaviour follows RNS 1.4.2 Channel.py: 16-bit sequences that wrap,
// out-of-order envelopes held in a receive ring, duplicates and stale
// sequences dropped, envelopes of unregistered MSGTYPEs dropped without
// advancing the sequence, window 2 (min 2, max 5, flexibility 4) or 1 on
// links slower than 1.45 s RTT, raised to max 12 / min 5 after 10
// deliveries at an RTT <= 0.75 s and to 48 / 16 after 10 at <= 0.18 s,
// retransmit timeout
// 1.5^(tries-1) * max(2.5 rtt, 0.025) * (in flight + 1.5).
#ifndef MESHLOG_RNS_CHANNEL_H
#define MESHLOG_RNS_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "meshlog/buf.h"
#include "meshlog/rns_packet.h"

#define RNS_CHANNEL_WINDOW 2
#define RNS_CHANNEL_WINDOW_MIN 2
#define RNS_CHANNEL_WINDOW_MAX_SLOW 5
#define RNS_CHANNEL_WINDOW_MAX 48 /* WINDOW_MAX_FAST: the receive window */
#define RNS_CHANNEL_WINDOW_FLEXIBILITY 4
#define RNS_CHANNEL_RTT_SLOW 1.45
#define RNS_CHANNEL_RTT_MEDIUM 0.75
#define RNS_CHANNEL_RTT_FAST 0.18
#define RNS_CHANNEL_WINDOW_MAX_MEDIUM 12
#define RNS_CHANNEL_WINDOW_MIN_LIMIT_MEDIUM 5
#define RNS_CHANNEL_WINDOW_MIN_LIMIT_FAST 16
#define RNS_CHANNEL_FAST_RATE_THRESHOLD 10
#define RNS_CHANNEL_MAX_TRIES 5

typedef struct rns_channel rns_channel;

/* The reference's ChannelException types (CEType), for reporting a failed
 * channel call in its terms. */
enum rns_channel_ce {
    RNS_CHANNEL_CE_NO_MSG_TYPE = 0,
    RNS_CHANNEL_CE_INVALID_MSG_TYPE = 1,
    RNS_CHANNEL_CE_NOT_REGISTERED = 2,
    RNS_CHANNEL_CE_LINK_NOT_READY = 3,
    RNS_CHANNEL_CE_ALREADY_SENT = 4,
    RNS_CHANNEL_CE_TOO_BIG = 5,
};
/* The CEType the reference raises where rns_channel_register() or a send
 * (rns_channel_send, rns_transport_channel_send) failed with err: ML_EINVAL
 * (reserved type, or a defective message type) INVALID_MSG_TYPE,
 * ML_ENOMSGTYPE (a message without MSGTYPE packed) NO_MSG_TYPE, ML_ETOOBIG
 * TOO_BIG, ML_ESTATE and ML_ENOTFOUND (closed, window full, link gone or not
 * carrying) LINK_NOT_READY; -1 for other errors. */
int rns_channel_ce_type(int err);

/* A channel for a link whose RTT is rtt seconds and whose MDU (largest
 * plaintext of one packet) is mdu bytes. 0, ML_EINVAL, ML_ENOMEM. */
int rns_channel_new(rns_channel **out, double rtt, size_t mdu);
void rns_channel_free(rns_channel *ch); /* NULL ok */
/* The link's current RTT (timeouts are computed from it). */
void rns_channel_set_rtt(rns_channel *ch, double rtt);

/* A message type (the reference's MessageBase subclass) as a descriptor:
 * its MSGTYPE (has_msgtype 0 plays MSGTYPE None) and the functions of its
 * messages. make() constructs an empty message (the class called with no
 * arguments; nonzero: it cannot be), destroy() frees one, pack() appends a
 * message's payload, unpack() fills a message from a payload (nonzero
 * refuses it). A descriptor without pack or unpack is not a message type. */
typedef struct rns_channel_msgtype {
    int has_msgtype;
    uint16_t msgtype;
    int (*pack)(const void *msg, ml_buf *out);
    int (*unpack)(void *msg, const uint8_t *payload, size_t len);
    int (*make)(void **msg);
    void (*destroy)(void *msg);
} rns_channel_msgtype;

/* The library's plain message type: a message is an ml_buf holding the
 * payload bytes as they are. */
rns_channel_msgtype rns_channel_bytes_msgtype(uint16_t msgtype);

/* Registers a message type for reception, with the reference's checks in
 * its order (Channel._register_message_type): not a message type (no pack
 * or unpack), no MSGTYPE, a reserved MSGTYPE (>= RNS_MSGTYPE_SYSTEM), and
 * make() failing each give ML_EINVAL (CEType INVALID_MSG_TYPE) with *why
 * (if why) set to a static text naming the defect. The descriptor is
 * copied; registering a MSGTYPE again replaces its type. Each envelope of
 * the type that arrives is then made and unpacked before the sequence is
 * looked at, and dropped when that fails (the reference's factory).
 * ML_ETOOBIG when too many types are registered. */
int rns_channel_register_msgtype(rns_channel *ch, const rns_channel_msgtype *mt,
                                 const char **why);

/* Accepts messages of this MSGTYPE (rns_channel_bytes_msgtype). ML_EINVAL
 * for reserved types (>= RNS_MSGTYPE_SYSTEM), ML_ETOOBIG when too many are
 * registered. */
int rns_channel_register(rns_channel *ch, uint16_t msgtype);

/* Envelope.pack: appends the envelope of msg, a message of type mt, with
 * this sequence. ML_ENOMSGTYPE when mt has no MSGTYPE (CEType NO_MSG_TYPE),
 * ML_EINVAL when mt cannot pack, ML_ETOOBIG, ML_ENOMEM, or pack()'s error;
 * out keeps its length on error. */
int rns_channel_envelope_pack(const rns_channel_msgtype *mt, const void *msg, uint16_t sequence,
                              ml_buf *out);

/* Registers a system-reserved MSGTYPE (>= RNS_MSGTYPE_SYSTEM), as the
 * library's own layers do (Buffer's StreamDataMessage). ML_EINVAL for
 * application types, ML_ETOOBIG. */
int rns_channel_register_system(rns_channel *ch, uint16_t msgtype);

/* The reference unpacks every envelope of a registered type as it arrives,
 * before the sequence is looked at; an unpack that fails drops the envelope
 * (sequence unmoved, nothing delivered). fn plays that part for one type:
 * nonzero refuses the payload. It must not call into the channel.
 * fn NULL removes it. 0 or ML_ENOTFOUND (type not registered). */
typedef int (*rns_channel_unpack_fn)(void *ctx, uint16_t msgtype, const uint8_t *payload,
                                     size_t len);
int rns_channel_set_unpack(rns_channel *ch, uint16_t msgtype, rns_channel_unpack_fn fn, void *ctx);

/* Message handlers (Channel.add_message_handler): every delivered message
 * runs them in registration order; the first that returns > 0 takes it and
 * the run stops; one returning < 0 (failed) is passed over, as the
 * reference logs a raising handler and goes on. A message no handler takes
 * waits for rns_channel_pop_message(). Handlers must not call into the
 * channel. add: 0, ML_EINVAL, ML_ETOOBIG; remove: 0 or ML_ENOTFOUND. */
#define RNS_CHANNEL_MAX_HANDLERS 16
typedef int (*rns_channel_handler_fn)(void *ctx, uint16_t msgtype, const uint8_t *data,
                                      size_t len);
int rns_channel_add_handler(rns_channel *ch, rns_channel_handler_fn fn, void *ctx);
int rns_channel_remove_handler(rns_channel *ch, rns_channel_handler_fn fn, void *ctx);

/* Feeds one received envelope (a CHANNEL packet's plaintext). 0 when taken
 * (held or delivered), 1 when dropped (duplicate, stale, outside the
 * window, unregistered MSGTYPE), ML_EMALFORMED (shorter than the header),
 * ML_ENOMEM. As in the reference, the LENGTH field is not checked: the
 * payload is everything after the header. */
int rns_channel_receive(rns_channel *ch, const uint8_t *raw, size_t len);
/* Moves the oldest delivered message: its type, and its payload appended
 * to data. 1 when one was moved, 0 when none, ML_ENOMEM. */
int rns_channel_pop_message(rns_channel *ch, uint16_t *msgtype, ml_buf *data);

/* Nonzero when fewer envelopes than the window are unacknowledged. */
int rns_channel_ready(const rns_channel *ch);
/* Packs the next envelope into envelope (appended) and takes its sequence
 * (*sequence). ML_ESTATE when not ready, ML_ETOOBIG when the envelope
 * exceeds the MDU, ML_EINVAL (reserved MSGTYPE), ML_ENOMEM. The envelope
 * waits in the transmit ring until delivered. */
int rns_channel_send(rns_channel *ch, uint16_t msgtype, const uint8_t *data, size_t len,
                     ml_buf *envelope, uint16_t *sequence);
/* rns_channel_send for msg, a message of type mt, packed as
 * rns_channel_envelope_pack does: ML_ESTATE when not ready (checked first,
 * as the reference), then ML_ENOMSGTYPE, and the errors of rns_channel_send. */
int rns_channel_send_message(rns_channel *ch, const rns_channel_msgtype *mt, const void *msg,
                             ml_buf *envelope, uint16_t *sequence);
/* The same for a system-reserved MSGTYPE (Buffer's StreamDataMessage);
 * ML_EINVAL for application types. */
int rns_channel_send_system(rns_channel *ch, uint16_t msgtype, const uint8_t *data, size_t len,
                            ml_buf *envelope, uint16_t *sequence);
/* The envelope of `sequence` went out (again) as the packet with this hash;
 * arms its retransmit timer. ML_ENOTFOUND when it is not in flight. */
int rns_channel_sent(rns_channel *ch, uint16_t sequence, const uint8_t hash[RNS_FULL_HASHLEN],
                     double now);
/* A proof for packet `hash` arrived: 1 when it acknowledged an envelope in
 * flight (removed; the window grows up to its max), 0 when it named none. */
int rns_channel_delivered(rns_channel *ch, const uint8_t hash[RNS_FULL_HASHLEN]);
/* The envelope `sequence`, just taken by rns_channel_send, could not be
 * transmitted: it leaves the transmit ring and its sequence is given back,
 * so the next send reuses it (the reference restores the reservation when
 * its outlet sends nothing). ML_ENOTFOUND unless it is the newest envelope
 * and not yet reported sent. */
int rns_channel_unsend(rns_channel *ch, uint16_t sequence);
/* Runs the retransmit timers. 1: an envelope is due again: its bytes are
 * appended to resend and its sequence in *sequence (the window shrinks);
 * 0: nothing due; ML_ETIMEOUT: an envelope was tried RNS_CHANNEL_MAX_TRIES
 * times (its sequence in *sequence); the channel then shuts down as the
 * reference's does: both rings are emptied and the handlers removed
 * (delivered messages stay to be drained), it refuses sends, and the info
 * reports the exhausted envelope;
 * ML_ENOMEM. */
int rns_channel_tick(rns_channel *ch, double now, ml_buf *resend, uint16_t *sequence);
/* When rns_channel_tick() next has something to do; very large when idle. */
double rns_channel_deadline(const rns_channel *ch);
/* The retransmit timeout (seconds) of an envelope on its tries-th
 * transmission with the current RTT and envelopes in flight:
 * 1.5^(tries-1) * max(2.5 rtt, 0.025) * (in flight + 1.5). Each
 * rns_channel_sent() also stretches the armed timeouts of the others to
 * this value when it grew (the reference's _update_packet_timeouts). */
double rns_channel_timeout(const rns_channel *ch, unsigned tries);
/* The packet hash the envelope `sequence` last went out as. 0, ML_ENOTFOUND
 * (not in flight, or not reported sent yet). */
int rns_channel_envelope_hash(const rns_channel *ch, uint16_t sequence,
                              uint8_t hash[RNS_FULL_HASHLEN]);

/* Test/diagnostic switch: proofs of the envelope `sequence` (of every packet
 * it goes out as, resends included) are ignored from now on, so it is never
 * delivered and the loss path runs for real on a live link: retransmission
 * with growing timeouts, window shrink, and after RNS_CHANNEL_MAX_TRIES the
 * ML_ETIMEOUT that tears the link down. ML_ENOTFOUND when not in flight. */
int rns_channel_ignore_proofs(rns_channel *ch, uint16_t sequence);

/* The window and sequence state, as the reference exposes it. */
typedef struct rns_channel_info {
    unsigned window, window_min, window_max, window_flexibility;
    uint16_t next_sequence, next_rx_sequence;
    size_t rx_ring, tx_ring;
    unsigned tx_tries;   /* the most tries of an envelope in flight */
    size_t mdu;          /* link MDU - header, at most 0xFFFF */
    size_t link_mdu;     /* the link MDU a whole envelope must fit (the outlet's) */
    int closed;
    int exhausted;       /* closed because an envelope ran out of tries: */
    uint16_t exhausted_sequence; /* which one, */
    unsigned exhausted_tries;    /* and how often it went out */
    unsigned fast_rate_rounds, medium_rate_rounds;
    size_t message_handlers;
} rns_channel_info;
void rns_channel_info_get(const rns_channel *ch, rns_channel_info *info);

#endif
