// SPDX-License-Identifier: MIT
// Reticulum Channel (rns_channel.h): sequencing, reordering and the
// retransmit window over envelopes; no I/O, the caller moves the bytes.
#include "meshlog/rns_channel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "meshlog/error.h"
#include "meshlog/rns_envelope.h"

#define SEQ_MAX 0xFFFFu
#define SEQ_MODULUS 0x10000u
#define MAX_TYPES 32
/* The receive window admits at most WINDOW_MAX + 1 sequences, so this
 * bound never drops a valid envelope; it only caps what a peer can pin. */
#define RX_RING_MAX (2 * RNS_CHANNEL_WINDOW_MAX + 2)
/* Delivered messages wait for the caller; refuse more than this. */
#define DELIVERED_MAX 65536u
#define NEVER 1e300

typedef struct rx_env {
    uint16_t msgtype, sequence;
    ml_buf data;
} rx_env;

typedef struct handler {
    rns_channel_handler_fn fn;
    void *ctx;
} handler;

typedef struct tx_env {
    uint16_t sequence;
    unsigned tries;
    int has_hash;
    int ignore_proofs;      /* rns_channel_ignore_proofs: never delivered */
    uint8_t hash[RNS_FULL_HASHLEN];
    double sent_at, timeout, deadline; /* deadline = sent_at + timeout once armed */
    ml_buf raw;
} tx_env;

struct rns_channel {
    double rtt;
    size_t link_mdu;
    unsigned window, window_min, window_max, window_flexibility;
    uint16_t next_sequence, next_rx_sequence;
    uint16_t types[MAX_TYPES];
    size_t n_types;
    /* per registered type: its message type (made and unpacked per envelope,
     * the reference's message factory) and the caller's extra unpack check */
    rns_channel_msgtype desc[MAX_TYPES];
    rns_channel_unpack_fn unpack[MAX_TYPES];
    void *unpack_ctx[MAX_TYPES];
    handler handlers[RNS_CHANNEL_MAX_HANDLERS];
    size_t n_handlers;
    rx_env rx[RX_RING_MAX]; /* sorted as the reference's ring */
    size_t n_rx;
    tx_env tx[RNS_CHANNEL_WINDOW_MAX];
    size_t n_tx;
    rx_env *done;           /* delivered, oldest first from done_head */
    size_t n_done, done_head, cap_done;
    unsigned fast_rate_rounds, medium_rate_rounds;
    int closed;
    int exhausted;          /* closed because this envelope ran out of tries */
    uint16_t exhausted_sequence;
    unsigned exhausted_tries;
};

int rns_channel_new(rns_channel **out, double rtt, size_t mdu)
{
    rns_channel *ch;

    if (!out || rtt < 0 || mdu < RNS_ENVELOPE_HEADER)
        return ML_EINVAL;
    if (!(ch = calloc(1, sizeof *ch)))
        return ML_ENOMEM;
    ch->rtt = rtt;
    ch->link_mdu = mdu;
    if (rtt > RNS_CHANNEL_RTT_SLOW) {
        /* Very slow links: one envelope in flight at a time. */
        ch->window = ch->window_max = ch->window_min = ch->window_flexibility = 1;
    } else {
        ch->window = RNS_CHANNEL_WINDOW;
        ch->window_max = RNS_CHANNEL_WINDOW_MAX_SLOW;
        ch->window_min = RNS_CHANNEL_WINDOW_MIN;
        ch->window_flexibility = RNS_CHANNEL_WINDOW_FLEXIBILITY;
    }
    *out = ch;
    return 0;
}

void rns_channel_free(rns_channel *ch)
{
    if (!ch)
        return;
    for (size_t i = 0; i < ch->n_rx; i++)
        ml_buf_free(&ch->rx[i].data);
    for (size_t i = 0; i < ch->n_tx; i++)
        ml_buf_free(&ch->tx[i].raw);
    for (size_t i = ch->done_head; i < ch->done_head + ch->n_done; i++)
        ml_buf_free(&ch->done[i].data);
    free(ch->done);
    free(ch);
}

void rns_channel_set_rtt(rns_channel *ch, double rtt)
{
    if (ch && rtt >= 0)
        ch->rtt = rtt;
}

/* The plain message type: a message is an ml_buf of payload bytes. */
static int bytes_pack(const void *msg, ml_buf *out)
{
    const ml_buf *b = msg;
    return b ? ml_buf_append(out, b->p, b->len) : ML_EINVAL;
}

static int bytes_unpack(void *msg, const uint8_t *payload, size_t len)
{
    ml_buf *b = msg;
    if (!b)
        return ML_EINVAL;
    ml_buf_reset(b);
    return ml_buf_append(b, payload, len);
}

static int bytes_make(void **msg)
{
    ml_buf *b = malloc(sizeof *b);
    if (!b)
        return ML_ENOMEM;
    *b = (ml_buf)ML_BUF_INIT;
    *msg = b;
    return 0;
}

static void bytes_destroy(void *msg)
{
    if (msg)
        ml_buf_free(msg);
    free(msg);
}

rns_channel_msgtype rns_channel_bytes_msgtype(uint16_t msgtype)
{
    rns_channel_msgtype mt = {1, msgtype, bytes_pack, bytes_unpack, bytes_make, bytes_destroy};
    return mt;
}

/* The reference's checks in its order: a MessageBase subclass, a MSGTYPE,
 * not reserved unless the library's own, constructible with no arguments
 * (the message made is thrown away). ML_EINVAL with *why, or ML_ENOMEM. */
static int msgtype_check(const rns_channel_msgtype *mt, int is_system, const char **why)
{
    void *msg = NULL;
    int r;

    *why = NULL;
    if (!mt->pack || !mt->unpack)
        *why = "not a message type (no pack or unpack function)";
    else if (!mt->has_msgtype)
        *why = "message type has no MSGTYPE";
    else if (mt->msgtype >= RNS_MSGTYPE_SYSTEM && !is_system)
        *why = "system-reserved message type";
    else if (!mt->make)
        *why = "message type cannot be constructed (no make function)";
    else if ((r = mt->make(&msg)) == ML_ENOMEM)
        return r; /* the machine failed, not the type */
    else if (r)
        *why = "message type raised an error when constructed with no arguments";
    else if (mt->destroy)
        mt->destroy(msg);
    return *why ? ML_EINVAL : 0;
}

static int register_type(rns_channel *ch, const rns_channel_msgtype *mt, int is_system,
                         const char **why)
{
    const char *dummy;
    size_t i;
    int r;

    if (!why)
        why = &dummy;
    *why = NULL;
    if (!ch || !mt)
        return ML_EINVAL;
    if ((r = msgtype_check(mt, is_system, why)))
        return r;
    for (i = 0; i < ch->n_types && ch->types[i] != mt->msgtype; i++)
        ;
    if (i == MAX_TYPES)
        return ML_ETOOBIG;
    if (i == ch->n_types)
        ch->types[ch->n_types++] = mt->msgtype;
    ch->desc[i] = *mt; /* as the reference, a new class replaces the factory */
    return 0;
}

int rns_channel_register_msgtype(rns_channel *ch, const rns_channel_msgtype *mt,
                                 const char **why)
{
    return register_type(ch, mt, 0, why);
}

int rns_channel_register(rns_channel *ch, uint16_t msgtype)
{
    rns_channel_msgtype mt = rns_channel_bytes_msgtype(msgtype);
    return register_type(ch, &mt, 0, NULL);
}

int rns_channel_register_system(rns_channel *ch, uint16_t msgtype)
{
    rns_channel_msgtype mt = rns_channel_bytes_msgtype(msgtype);
    if (msgtype < RNS_MSGTYPE_SYSTEM)
        return ML_EINVAL;
    return register_type(ch, &mt, 1, NULL);
}

int rns_channel_envelope_pack(const rns_channel_msgtype *mt, const void *msg, uint16_t sequence,
                              ml_buf *out)
{
    ml_buf data = ML_BUF_INIT;
    int ret;

    if (!mt || !out)
        return ML_EINVAL;
    if (!mt->has_msgtype)
        return ML_ENOMSGTYPE; /* Envelope.pack's own guard */
    if (!mt->pack)
        return ML_EINVAL;
    if (!(ret = mt->pack(msg, &data)))
        ret = rns_envelope_pack(out, mt->msgtype, sequence, data.p, data.len);
    ml_buf_free(&data);
    return ret;
}

int rns_channel_set_unpack(rns_channel *ch, uint16_t msgtype, rns_channel_unpack_fn fn, void *ctx)
{
    for (size_t i = 0; ch && i < ch->n_types; i++) {
        if (ch->types[i] != msgtype)
            continue;
        ch->unpack[i] = fn;
        ch->unpack_ctx[i] = fn ? ctx : NULL;
        return 0;
    }
    return ML_ENOTFOUND;
}

int rns_channel_add_handler(rns_channel *ch, rns_channel_handler_fn fn, void *ctx)
{
    if (!ch || !fn)
        return ML_EINVAL;
    for (size_t i = 0; i < ch->n_handlers; i++)
        if (ch->handlers[i].fn == fn && ch->handlers[i].ctx == ctx)
            return 0; /* added once, as the reference's list */
    if (ch->n_handlers == RNS_CHANNEL_MAX_HANDLERS)
        return ML_ETOOBIG;
    ch->handlers[ch->n_handlers].fn = fn;
    ch->handlers[ch->n_handlers++].ctx = ctx;
    return 0;
}

int rns_channel_remove_handler(rns_channel *ch, rns_channel_handler_fn fn, void *ctx)
{
    for (size_t i = 0; ch && i < ch->n_handlers; i++) {
        if (ch->handlers[i].fn != fn || ch->handlers[i].ctx != ctx)
            continue;
        memmove(ch->handlers + i, ch->handlers + i + 1,
                (ch->n_handlers - i - 1) * sizeof *ch->handlers);
        ch->n_handlers--;
        return 0;
    }
    return ML_ENOTFOUND;
}

/* The index of msgtype among the registered types, or -1. */
static long type_index(const rns_channel *ch, uint16_t msgtype)
{
    for (size_t i = 0; i < ch->n_types; i++)
        if (ch->types[i] == msgtype)
            return (long)i;
    return -1;
}

/* Handlers in registration order; the first that takes the message ends
 * the run. One that fails is passed over, as the reference logs a raising
 * callback and goes on. 1: taken. */
static int run_handlers(rns_channel *ch, const rx_env *e)
{
    for (size_t i = 0; i < ch->n_handlers; i++)
        if (ch->handlers[i].fn(ch->handlers[i].ctx, e->msgtype, e->data.p, e->data.len) > 0)
            return 1;
    return 0;
}

static int push_done(rns_channel *ch, rx_env *e)
{
    if (ch->done_head + ch->n_done == ch->cap_done) {
        if (ch->done_head) { /* reuse the drained front first */
            memmove(ch->done, ch->done + ch->done_head, ch->n_done * sizeof *ch->done);
            ch->done_head = 0;
        } else {
            size_t cap = ch->cap_done ? ch->cap_done * 2 : 16;
            rx_env *d = realloc(ch->done, cap * sizeof *d);
            if (!d)
                return ML_ENOMEM;
            ch->done = d;
            ch->cap_done = cap;
        }
    }
    ch->done[ch->done_head + ch->n_done++] = *e;
    return 0;
}

/* Moves every envelope that continues the sequence to the delivered queue
 * (across the 0xFFFF -> 0 wrap). */
static int deliver_contiguous(rns_channel *ch)
{
    for (;;) {
        size_t i;
        int ret;

        for (i = 0; i < ch->n_rx && ch->rx[i].sequence != ch->next_rx_sequence; i++)
            ;
        if (i == ch->n_rx)
            return 0;
        if (run_handlers(ch, &ch->rx[i]))
            ml_buf_free(&ch->rx[i].data);
        else if ((ret = push_done(ch, &ch->rx[i])))
            return ret;
        memmove(ch->rx + i, ch->rx + i + 1, (ch->n_rx - i - 1) * sizeof *ch->rx);
        ch->n_rx--;
        ch->next_rx_sequence = (uint16_t)((ch->next_rx_sequence + 1u) % SEQ_MODULUS);
    }
}

/* The reference's factory on one payload: an empty message made, then
 * unpacked. 0, 1 (refused: drop the envelope), ML_ENOMEM. Plain bytes
 * take any payload, so they skip the round trip. */
static int run_factory(const rns_channel_msgtype *mt, const uint8_t *payload, size_t len)
{
    void *msg = NULL;
    int r;

    if (mt->unpack == bytes_unpack)
        return 0;
    if ((r = mt->make(&msg)))
        return r == ML_ENOMEM ? r : 1;
    r = mt->unpack(msg, payload, len);
    if (mt->destroy)
        mt->destroy(msg);
    return r == ML_ENOMEM ? r : r != 0;
}

int rns_channel_receive(rns_channel *ch, const uint8_t *raw, size_t len)
{
    uint16_t msgtype, seq;
    int r;
    long next, s;
    size_t i;
    long ti;
    rx_env e;

    if (!ch || (!raw && len))
        return ML_EINVAL;
    if (len < RNS_ENVELOPE_HEADER)
        return ML_EMALFORMED;
    msgtype = (uint16_t)((raw[0] << 8) | raw[1]);
    seq = (uint16_t)((raw[2] << 8) | raw[3]);
    /* Unregistered types are refused before the sequence is looked at, so
     * the gap stays open for a valid envelope with that sequence. */
    if ((ti = type_index(ch, msgtype)) < 0)
        return 1;
    /* The reference unpacks the message before it looks at the sequence; an
     * unpack that fails drops the envelope with the sequence unmoved. */
    if (ch->unpack[ti] && ch->unpack[ti](ch->unpack_ctx[ti], msgtype, raw + RNS_ENVELOPE_HEADER,
                                         len - RNS_ENVELOPE_HEADER))
        return 1;
    if ((r = run_factory(&ch->desc[ti], raw + RNS_ENVELOPE_HEADER, len - RNS_ENVELOPE_HEADER)))
        return r;
    next = ch->next_rx_sequence;
    s = seq;
    if (s < next) {
        /* Behind us: only valid when the window wraps past 0xFFFF and the
         * sequence lies in the wrapped part. */
        long overflow = (next + RNS_CHANNEL_WINDOW_MAX) % (long)SEQ_MODULUS;
        if (overflow >= next || s > overflow)
            return 1;
    } else if (s > next + RNS_CHANNEL_WINDOW_MAX) {
        return 1;
    }
    if (ch->n_done >= DELIVERED_MAX)
        return ML_ETOOBIG;
    for (i = 0; i < ch->n_rx; i++) {
        if (ch->rx[i].sequence == seq)
            return 1; /* duplicate: the first copy stays */
        if (s < ch->rx[i].sequence && !(next - s > (long)(SEQ_MAX / 2)))
            break;
    }
    if (ch->n_rx == RX_RING_MAX)
        return 1;
    e.msgtype = msgtype;
    e.sequence = seq;
    e.data = (ml_buf)ML_BUF_INIT;
    if (ml_buf_append(&e.data, raw + RNS_ENVELOPE_HEADER, len - RNS_ENVELOPE_HEADER))
        return ML_ENOMEM;
    memmove(ch->rx + i + 1, ch->rx + i, (ch->n_rx - i) * sizeof *ch->rx);
    ch->rx[i] = e;
    ch->n_rx++;
    return deliver_contiguous(ch);
}

int rns_channel_pop_message(rns_channel *ch, uint16_t *msgtype, ml_buf *data)
{
    rx_env *e;

    if (!ch || !data)
        return ML_EINVAL;
    if (!ch->n_done)
        return 0;
    e = &ch->done[ch->done_head];
    if (ml_buf_append(data, e->data.p, e->data.len))
        return ML_ENOMEM;
    if (msgtype)
        *msgtype = e->msgtype;
    ml_buf_free(&e->data);
    ch->done_head++;
    if (!--ch->n_done)
        ch->done_head = 0;
    return 1;
}

int rns_channel_ready(const rns_channel *ch)
{
    return ch && !ch->closed && ch->n_tx < ch->window;
}

static int send_any(rns_channel *ch, uint16_t msgtype, const uint8_t *data, size_t len,
                    ml_buf *envelope, uint16_t *sequence)
{
    tx_env *t;
    int ret;

    if (!ch || !envelope || (!data && len))
        return ML_EINVAL;
    if (!rns_channel_ready(ch) || ch->n_tx == RNS_CHANNEL_WINDOW_MAX)
        return ML_ESTATE;
    if (len + RNS_ENVELOPE_HEADER > ch->link_mdu)
        return ML_ETOOBIG;
    t = &ch->tx[ch->n_tx];
    memset(t, 0, sizeof *t);
    if ((ret = rns_envelope_pack(&t->raw, msgtype, ch->next_sequence, data, len)))
        return ret;
    if (ml_buf_append(envelope, t->raw.p, t->raw.len)) {
        ml_buf_free(&t->raw);
        return ML_ENOMEM;
    }
    t->sequence = ch->next_sequence;
    t->tries = 1;
    t->deadline = NEVER; /* armed by rns_channel_sent */
    ch->n_tx++;
    ch->next_sequence = (uint16_t)((ch->next_sequence + 1u) % SEQ_MODULUS);
    if (sequence)
        *sequence = t->sequence;
    return 0;
}

int rns_channel_send(rns_channel *ch, uint16_t msgtype, const uint8_t *data, size_t len,
                     ml_buf *envelope, uint16_t *sequence)
{
    if (msgtype >= RNS_MSGTYPE_SYSTEM)
        return ML_EINVAL;
    return send_any(ch, msgtype, data, len, envelope, sequence);
}

int rns_channel_send_message(rns_channel *ch, const rns_channel_msgtype *mt, const void *msg,
                             ml_buf *envelope, uint16_t *sequence)
{
    ml_buf data = ML_BUF_INIT;
    int ret;

    if (!ch || !mt || !envelope)
        return ML_EINVAL;
    if (!rns_channel_ready(ch))
        return ML_ESTATE;
    if (!mt->has_msgtype)
        return ML_ENOMSGTYPE;
    if (!mt->pack)
        return ML_EINVAL;
    if (!(ret = mt->pack(msg, &data)))
        ret = rns_channel_send(ch, mt->msgtype, data.p, data.len, envelope, sequence);
    ml_buf_free(&data);
    return ret;
}

int rns_channel_send_system(rns_channel *ch, uint16_t msgtype, const uint8_t *data, size_t len,
                            ml_buf *envelope, uint16_t *sequence)
{
    if (msgtype < RNS_MSGTYPE_SYSTEM)
        return ML_EINVAL;
    return send_any(ch, msgtype, data, len, envelope, sequence);
}

double rns_channel_timeout(const rns_channel *ch, unsigned tries)
{
    double base;

    if (!ch)
        return 0;
    base = ch->rtt * 2.5 > 0.025 ? ch->rtt * 2.5 : 0.025;
    return pow(1.5, (double)tries - 1.0) * base * ((double)ch->n_tx + 1.5);
}

int rns_channel_sent(rns_channel *ch, uint16_t sequence, const uint8_t hash[RNS_FULL_HASHLEN],
                     double now)
{
    if (!ch || !hash)
        return ML_EINVAL;
    for (size_t i = 0; i < ch->n_tx; i++) {
        tx_env *t = &ch->tx[i];
        if (t->sequence != sequence)
            continue;
        memcpy(t->hash, hash, RNS_FULL_HASHLEN);
        t->has_hash = 1;
        t->sent_at = now;
        t->timeout = rns_channel_timeout(ch, t->tries);
        t->deadline = now + t->timeout;
        /* As _update_packet_timeouts: one more in flight stretches the
         * others' timeouts (never shortens them). */
        for (size_t j = 0; j < ch->n_tx; j++) {
            tx_env *o = &ch->tx[j];
            double u = rns_channel_timeout(ch, o->tries);
            if (o->has_hash && o->deadline < NEVER && u > o->timeout) {
                o->timeout = u;
                o->deadline = o->sent_at + u;
            }
        }
        return 0;
    }
    return ML_ENOTFOUND;
}

int rns_channel_ignore_proofs(rns_channel *ch, uint16_t sequence)
{
    if (!ch)
        return ML_EINVAL;
    for (size_t i = 0; i < ch->n_tx; i++) {
        if (ch->tx[i].sequence == sequence) {
            ch->tx[i].ignore_proofs = 1;
            return 0;
        }
    }
    return ML_ENOTFOUND;
}

int rns_channel_unsend(rns_channel *ch, uint16_t sequence)
{
    tx_env *t;

    if (!ch)
        return ML_EINVAL;
    t = ch->n_tx ? &ch->tx[ch->n_tx - 1] : NULL;
    if (!t || t->has_hash || t->sequence != sequence ||
        (uint16_t)(sequence + 1u) != ch->next_sequence)
        return ML_ENOTFOUND;
    ml_buf_free(&t->raw);
    ch->n_tx--;
    ch->next_sequence = sequence;
    return 0;
}

int rns_channel_envelope_hash(const rns_channel *ch, uint16_t sequence,
                              uint8_t hash[RNS_FULL_HASHLEN])
{
    if (!ch || !hash)
        return ML_EINVAL;
    for (size_t i = 0; i < ch->n_tx; i++) {
        if (ch->tx[i].sequence == sequence && ch->tx[i].has_hash) {
            memcpy(hash, ch->tx[i].hash, RNS_FULL_HASHLEN);
            return 0;
        }
    }
    return ML_ENOTFOUND;
}

/* Sustained deliveries at a low RTT raise the window's range (once per
 * band), as the reference does after FAST_RATE_THRESHOLD rounds. */
static void promote(rns_channel *ch)
{
    if (ch->rtt == 0)
        return;
    if (ch->rtt > RNS_CHANNEL_RTT_FAST) {
        ch->fast_rate_rounds = 0;
        if (ch->rtt > RNS_CHANNEL_RTT_MEDIUM) {
            ch->medium_rate_rounds = 0;
        } else if (++ch->medium_rate_rounds == RNS_CHANNEL_FAST_RATE_THRESHOLD &&
                   ch->window_max < RNS_CHANNEL_WINDOW_MAX_MEDIUM) {
            ch->window_max = RNS_CHANNEL_WINDOW_MAX_MEDIUM;
            ch->window_min = RNS_CHANNEL_WINDOW_MIN_LIMIT_MEDIUM;
        }
    } else if (++ch->fast_rate_rounds == RNS_CHANNEL_FAST_RATE_THRESHOLD &&
               ch->window_max < RNS_CHANNEL_WINDOW_MAX) {
        ch->window_max = RNS_CHANNEL_WINDOW_MAX;
        ch->window_min = RNS_CHANNEL_WINDOW_MIN_LIMIT_FAST;
    }
}

int rns_channel_delivered(rns_channel *ch, const uint8_t hash[RNS_FULL_HASHLEN])
{
    if (!ch || !hash)
        return 0;
    for (size_t i = 0; i < ch->n_tx; i++) {
        if (!ch->tx[i].has_hash || memcmp(ch->tx[i].hash, hash, RNS_FULL_HASHLEN))
            continue;
        if (ch->tx[i].ignore_proofs)
            return 0;
        ml_buf_free(&ch->tx[i].raw);
        memmove(ch->tx + i, ch->tx + i + 1, (ch->n_tx - i - 1) * sizeof *ch->tx);
        ch->n_tx--;
        if (ch->window < ch->window_max)
            ch->window++;
        promote(ch);
        return 1;
    }
    return 0;
}

/* As the reference's _shutdown: nothing stays in flight or waits for a gap
 * and no handler runs any more; messages already delivered stay for the
 * caller to drain. */
static void shutdown_rings(rns_channel *ch)
{
    for (size_t i = 0; i < ch->n_rx; i++)
        ml_buf_free(&ch->rx[i].data);
    for (size_t i = 0; i < ch->n_tx; i++)
        ml_buf_free(&ch->tx[i].raw);
    ch->n_rx = ch->n_tx = 0;
    ch->n_handlers = 0; /* the reference clears its message callbacks too */
    ch->closed = 1;
}

int rns_channel_tick(rns_channel *ch, double now, ml_buf *resend, uint16_t *sequence)
{
    if (!ch || !resend)
        return ML_EINVAL;
    if (ch->closed)
        return 0;
    for (size_t i = 0; i < ch->n_tx; i++) {
        tx_env *t = &ch->tx[i];
        if (!t->has_hash || now < t->deadline)
            continue;
        if (t->tries >= RNS_CHANNEL_MAX_TRIES) {
            ch->exhausted = 1;
            ch->exhausted_sequence = t->sequence;
            ch->exhausted_tries = t->tries;
            if (sequence)
                *sequence = t->sequence;
            shutdown_rings(ch);
            return ML_ETIMEOUT;
        }
        if (ml_buf_append(resend, t->raw.p, t->raw.len))
            return ML_ENOMEM;
        t->tries++;
        t->deadline = NEVER; /* until rns_channel_sent re-arms it */
        /* Loss: shrink the window, and its ceiling while it is flexible. */
        if (ch->window > ch->window_min) {
            ch->window--;
            if (ch->window_max > ch->window_min + ch->window_flexibility)
                ch->window_max--;
        }
        if (sequence)
            *sequence = t->sequence;
        return 1;
    }
    return 0;
}

double rns_channel_deadline(const rns_channel *ch)
{
    double d = NEVER;

    if (!ch || ch->closed)
        return d;
    for (size_t i = 0; i < ch->n_tx; i++)
        if (ch->tx[i].has_hash && ch->tx[i].deadline < d)
            d = ch->tx[i].deadline;
    return d;
}

int rns_channel_ce_type(int err)
{
    switch (err) {
    case ML_EINVAL:
        return RNS_CHANNEL_CE_INVALID_MSG_TYPE;
    case ML_ENOMSGTYPE:
        return RNS_CHANNEL_CE_NO_MSG_TYPE;
    case ML_ETOOBIG:
        return RNS_CHANNEL_CE_TOO_BIG;
    case ML_ESTATE:
    case ML_ENOTFOUND:
        return RNS_CHANNEL_CE_LINK_NOT_READY;
    default:
        return -1;
    }
}

void rns_channel_info_get(const rns_channel *ch, rns_channel_info *info)
{
    if (!info)
        return;
    memset(info, 0, sizeof *info);
    if (!ch)
        return;
    info->window = ch->window;
    info->window_min = ch->window_min;
    info->window_max = ch->window_max;
    info->window_flexibility = ch->window_flexibility;
    info->next_sequence = ch->next_sequence;
    info->next_rx_sequence = ch->next_rx_sequence;
    info->rx_ring = ch->n_rx;
    info->tx_ring = ch->n_tx;
    for (size_t i = 0; i < ch->n_tx; i++)
        if (ch->tx[i].tries > info->tx_tries)
            info->tx_tries = ch->tx[i].tries;
    info->mdu = ch->link_mdu - RNS_ENVELOPE_HEADER > 0xFFFF ? 0xFFFF
                                                            : ch->link_mdu - RNS_ENVELOPE_HEADER;
    info->link_mdu = ch->link_mdu;
    info->closed = ch->closed;
    info->exhausted = ch->exhausted;
    info->exhausted_sequence = ch->exhausted_sequence;
    info->exhausted_tries = ch->exhausted_tries;
    info->fast_rate_rounds = ch->fast_rate_rounds;
    info->medium_rate_rounds = ch->medium_rate_rounds;
    info->message_handlers = ch->n_handlers;
}
