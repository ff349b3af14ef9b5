// SPDX-License-Identifier: MIT
// Bridge commands: Reticulum Channel over live links. The channel is the
// link's rns_channel inside the peer's transport core (opened on first use,
// as Link.get_channel); these commands feed it envelopes, drain what it
// delivered, send through it and read its window back in the suite's terms.
#include <stdlib.h>
#include <string.h>

#include "bridge.h"
#include "meshlog/error.h"
#include "meshlog/rns_channel.h"
#include "meshlog/rns_envelope.h"
#include "wire.h"

/* The message type the suite's bridges register on every channel
 * (_WIRE_CHANNEL_MSGTYPE in its reference bridge). */
#define WIRE_MSGTYPE WIRE_CHANNEL_MSGTYPE

/* The peer and the channel of the link named by link_id (or channel_id),
 * opened with the wire message type registered. */
static int channel_param(br_ctx *c, peer **pr, uint8_t id[RNS_HASHLEN], rns_channel **ch)
{
    const char *key = br_param(c, "link_id") ? "link_id" : "channel_id";

    if (peer_param(c, pr) || br_hex_fixed(c, key, id, RNS_HASHLEN))
        return -1;
    if (!(*ch = rns_transport_link_channel(core(*pr), id)))
        return br_fail(c, "Unknown link_id");
    return br_check(c, rns_channel_register(*ch, WIRE_MSGTYPE), "register") ||
           br_check(c, channel_record(*pr, id, *ch), "record");
}

/* Envelopes {sequence, data hex, msgtype?} or {raw hex} packed with the
 * library's envelope layout and fed to the channel's receive path. */
static int cmd_wire_channel_inject(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN];
    json_t *list = br_param(c, "envelopes"), *done = json_array(), *e;
    ml_buf env = ML_BUF_INIT;
    rns_channel *ch;
    peer *pr;
    size_t i;
    int ret = channel_param(c, &pr, id, &ch);

    if (!ret && list && !json_is_array(list))
        ret = br_fail(c, "envelopes must be a list");
    json_array_foreach(ret ? NULL : list, i, e) {
        json_t *seq = json_object_get(e, "sequence"), *mt = json_object_get(e, "msgtype");
        const char *raw = json_string_value(json_object_get(e, "raw"));
        const char *data = json_string_value(json_object_get(e, "data"));
        br_ctx sub = {e, NULL, {0}};

        ml_buf_reset(&env);
        if (!json_is_object(e) || (!raw && !json_is_integer(seq))) {
            ret = br_fail(c, "envelope %zu: needs sequence (or raw)", i);
            break;
        }
        if (raw) {
            ret = br_hex(&sub, "raw", &env);
        } else {
            ml_buf pl = ML_BUF_INIT;
            json_int_t s = json_integer_value(seq), m = json_is_integer(mt)
                                                              ? json_integer_value(mt)
                                                              : (json_int_t)WIRE_MSGTYPE;
            if (s < 0 || s > 0xFFFF || m < 0 || m > 0xFFFF) {
                ret = br_fail(c, "envelope %zu: sequence/msgtype out of range", i);
                break;
            }
            ret = data ? br_hex(&sub, "data", &pl) : 0;
            if (!ret && rns_envelope_pack(&env, (uint16_t)m, (uint16_t)s, pl.p, pl.len))
                ret = br_fail(c, "envelope %zu: cannot pack", i);
            ml_buf_free(&pl);
        }
        if (ret) {
            if (sub.err[0])
                ret = br_fail(c, "envelope %zu: %s", i, sub.err);
            break;
        }
        if ((ret = rns_channel_receive(ch, env.p, env.len)) < 0 && ret != ML_EMALFORMED) {
            ret = br_check(c, ret, "channel receive");
            break;
        }
        ret = 0;
        json_array_append_new(done, json_integer(raw ? (json_is_integer(seq)
                                                            ? json_integer_value(seq)
                                                            : -1)
                                                     : json_integer_value(seq)));
    }
    ml_buf_free(&env);
    if (ret) {
        json_decref(done);
        return ret;
    }
    return br_set(c, "injected", done);
}

/* What the link's channel delivered of the wire type, as its recording
 * handler kept it (also after the link is gone). Other types nobody took
 * are dropped, as the reference's handlers let them fall through. */
static int cmd_wire_channel_received(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN] = {0};
    rns_channel *ch;
    json_t *rec;
    peer *pr = NULL;
    int gone = channel_param(c, &pr, id, &ch);

    rec = pr ? channel_take_recorded(pr, id) : NULL;
    if (gone && (!rec || !json_array_size(rec))) {
        json_decref(rec);
        return -1; /* never seen: channel_param's error */
    }
    c->err[0] = 0;
    return rec ? br_set(c, "messages", rec) : br_check(c, ML_ENOMEM, "channel");
}

static int set_info(br_ctx *c, const rns_channel_info *inp)
{
    rns_channel_info in = *inp;

    return br_set_int(c, "window", in.window) || br_set_int(c, "window_min", in.window_min) ||
           br_set_int(c, "window_max", in.window_max) ||
           br_set_int(c, "window_flexibility", in.window_flexibility) ||
           br_set_int(c, "next_rx_sequence", in.next_rx_sequence) ||
           br_set_int(c, "next_sequence", in.next_sequence) ||
           br_set_int(c, "rx_ring", (long long)in.rx_ring) ||
           br_set_int(c, "tx_ring", (long long)in.tx_ring) ||
           br_set_int(c, "tx_tries", in.tx_tries) || br_set_int(c, "mdu", (long long)in.mdu) ||
           br_set_int(c, "outlet_mdu", (long long)in.link_mdu) ||
           br_set_int(c, "fast_rate_rounds", in.fast_rate_rounds) ||
           br_set_int(c, "medium_rate_rounds", in.medium_rate_rounds) ||
           br_set_int(c, "message_handlers", (long long)in.message_handlers);
}

static int set_window(br_ctx *c, const rns_channel *ch)
{
    rns_channel_info in;

    rns_channel_info_get(ch, &in);
    return set_info(c, &in);
}

/* A live link's channel (opened on first use), or the last state the core
 * kept of the channel of a link that is gone (torn down by its channel). */
static int cmd_wire_channel_window(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN];
    rns_channel_info in;
    rns_channel *ch;
    peer *pr;

    if (peer_param(c, &pr) || br_hex_fixed(c, "link_id", id, RNS_HASHLEN))
        return -1;
    if (!rns_transport_link_channel(core(pr), id) &&
        rns_transport_channel_info(core(pr), id, &in) == 0)
        return set_info(c, &in);
    return channel_param(c, &pr, id, &ch) || set_window(c, ch);
}

struct send_wait {
    uint8_t id[RNS_HASHLEN];
    uint16_t seq;
};

/* Done when nothing is in flight any more, or the link is gone. */
static int send_done(peer *pr, const void *arg)
{
    const struct send_wait *w = arg;
    rns_channel *ch = rns_transport_link_channel(core(pr), w->id);
    rns_channel_info in;

    if (!ch)
        return 1;
    rns_channel_info_get(ch, &in);
    return in.tx_ring == 0 || in.closed;
}

/* A channel call the library refused, as the reference's ChannelException. */
static int set_rejected(br_ctx *c, int err, const rns_channel_info *in)
{
    int ce = rns_channel_ce_type(err);

    return br_set_bool(c, "sent", 0) || br_set_bool(c, "rejected", 1) ||
           br_set_bool(c, "delivered", 0) || br_set_str(c, "error", ml_strerror(err)) ||
           (ce < 0 ? br_set_null(c, "ce_type") : br_set_int(c, "ce_type", ce)) ||
           br_set_int(c, "next_sequence", in->next_sequence) ||
           br_set_int(c, "window", in->window) || br_set_int(c, "window_max", in->window_max);
}

/* Sends through the channel and waits (timeout_ms) for the outcome: the
 * proof, or the link gone. Reports it from the channel's state (kept by the
 * core after the link is gone). */
static int send_and_wait(br_ctx *c, peer *pr, struct send_wait *w, uint16_t msgtype,
                         const ml_buf *data, int drop, long long timeout_ms, int *delivered)
{
    rns_channel_info in;
    wlink *l;
    int ret;

    ret = rns_transport_channel_send(core(pr), w->id, msgtype, data->p, data->len,
                                     rns_node_now(), &w->seq);
    if (ret == ML_ESTATE || ret == ML_ETOOBIG || ret == ML_EINVAL) {
        rns_transport_channel_info(core(pr), w->id, &in);
        return set_rejected(c, ret, &in);
    }
    if (br_check(c, ret, "channel send"))
        return -1;
    /* Before the node runs again: no proof of this packet can be in yet. */
    if (drop && br_check(c, rns_channel_ignore_proofs(rns_transport_link_channel(core(pr), w->id),
                                                      w->seq), "drop_acks"))
        return -1;
    rns_node_kick(pr->node);
    wait_until(send_done, pr, w, timeout_ms);
    if (rns_transport_channel_info(core(pr), w->id, &in))
        return br_set_bool(c, "sent", 1) || br_set_bool(c, "delivered", 0) ||
               br_set_int(c, "sequence", w->seq);
    /* The only envelope in flight left the ring without the channel
     * shutting down: its proof came. */
    *delivered = in.tx_ring == 0 && !in.closed;
    if (in.exhausted && in.exhausted_sequence == w->seq) {
        if (br_set_int(c, "tries", in.exhausted_tries))
            return -1;
    } else if (!*delivered && br_set_int(c, "tries", in.tx_tries)) {
        return -1; /* tries is only known while the envelope is in flight */
    }
    if ((l = find_link(pr, w->id))) {
        snapshot(pr, l);
        if (br_set_int(c, "link_status", l->state))
            return -1;
    }
    return br_set_bool(c, "sent", 1) || br_set_bool(c, "rejected", 0) ||
           br_set_bool(c, "delivered", *delivered) || br_set_int(c, "sequence", w->seq) ||
           br_set_int(c, "next_sequence", in.next_sequence) ||
           br_set_int(c, "window", in.window) || br_set_int(c, "window_max", in.window_max);
}

/* A real send through the channel. drop_acks: the channel ignores the proofs
 * of this message (rns_channel_ignore_proofs), so it is retransmitted until
 * the link is torn down; fail_outlet: the core's fault injection makes the
 * link carry nothing (rns_transport_channel_fail_next); msgtype: registered
 * first, as the reference does, so a reserved one is refused there. */
static int cmd_wire_channel_send(br_ctx *c)
{
    struct send_wait w;
    ml_buf data = ML_BUF_INIT;
    long long msgtype, timeout_ms;
    rns_channel_info in;
    rns_channel *ch;
    peer *pr;
    int ret, drop = 0, fail = 0, delivered = 0;

    /* A link its channel tore down: the send is refused by the library
     * (ME_LINK_NOT_READY), reported with the channel's kept state. */
    if (!peer_param(c, &pr) && !br_hex_fixed(c, br_param(c, "link_id") ? "link_id" : "channel_id",
                                            w.id, RNS_HASHLEN) &&
        !rns_transport_link_channel(core(pr), w.id) &&
        rns_transport_channel_info(core(pr), w.id, &in) == 0) {
        ret = rns_transport_channel_send(core(pr), w.id, WIRE_MSGTYPE, NULL, 0, rns_node_now(),
                                         &w.seq);
        return ret ? set_rejected(c, ret, &in) : br_fail(c, "sent on a link that is gone");
    }
    c->err[0] = 0;
    if (channel_param(c, &pr, w.id, &ch) || br_int(c, "msgtype", WIRE_MSGTYPE, &msgtype) ||
        br_int(c, "timeout_ms", 20000, &timeout_ms) || br_bool(c, "drop_acks", 0, &drop) ||
        br_bool(c, "fail_outlet", 0, &fail) || br_hex_opt(c, "data", &data, &(int){0}))
        return ml_buf_free(&data), -1;
    if (msgtype < 0 || msgtype > 0xFFFF) {
        ml_buf_free(&data);
        return br_fail(c, "msgtype out of range");
    }
    if ((ret = rns_channel_register(ch, (uint16_t)msgtype))) {
        ml_buf_free(&data);
        rns_channel_info_get(ch, &in);
        return set_rejected(c, ret, &in) ||
               (ret == ML_EINVAL && br_set_str(c, "error", "message type is system-reserved"));
    }
    if (fail && br_check(c, rns_transport_channel_fail_next(core(pr), w.id), "fail_outlet")) {
        ml_buf_free(&data);
        return -1;
    }
    ret = send_and_wait(c, pr, &w, (uint16_t)msgtype, &data, drop, timeout_ms, &delivered);
    ml_buf_free(&data);
    return ret;
}

/* hex is the lowercase hex of b. */
static int hex_is(const char *hex, const ml_buf *b)
{
    char *want = malloc(2 * b->len + 1);
    int same;

    if (!want)
        return 0;
    ml_hex(want, b->p, b->len);
    same = strcmp(hex, want) == 0;
    free(want);
    return same;
}

/* A real send, with the context and type of the packet the channel emitted
 * read back through the link tap (the envelope's bytes name it). */
static int cmd_wire_channel_emit_capture(br_ctx *c)
{
    struct send_wait w;
    ml_buf data = ML_BUF_INIT, env = ML_BUF_INIT;
    long long timeout_ms;
    uint8_t hash[RNS_FULL_HASHLEN];
    json_t *cap, *e, *found = NULL;
    rns_channel *ch;
    peer *pr;
    size_t i;
    int ret, delivered = 0, has_hash = 0;

    if (channel_param(c, &pr, w.id, &ch) || br_int(c, "timeout_ms", 15000, &timeout_ms) ||
        br_hex_opt(c, "data", &data, &(int){0}))
        return ml_buf_free(&data), -1;
    capture_arm(pr, w.id);
    ret = rns_transport_channel_send(core(pr), w.id, WIRE_MSGTYPE, data.p, data.len,
                                     rns_node_now(), &w.seq);
    if (!ret)
        has_hash = rns_channel_envelope_hash(ch, w.seq, hash) == 0;
    if (!ret && !(ret = rns_envelope_pack(&env, WIRE_MSGTYPE, w.seq, data.p, data.len))) {
        rns_node_kick(pr->node);
        wait_until(send_done, pr, &w, timeout_ms);
        ch = rns_transport_link_channel(core(pr), w.id);
        if (ch) {
            rns_channel_info in;
            rns_channel_info_get(ch, &in);
            delivered = in.tx_ring == 0 && !in.closed;
        }
    }
    cap = capture_take(pr);
    json_array_foreach(cap, i, e) {
        const char *pt = json_string_value(json_object_get(e, "plaintext"));
        if (json_is_true(json_object_get(e, "outbound")) && pt && env.len &&
            hex_is(pt, &env))
            found = e;
    }
    ml_buf_free(&data);
    ml_buf_free(&env);
    if (br_check(c, ret, "channel send")) {
        json_decref(cap);
        return -1;
    }
    ret = (found ? br_set(c, "context", json_incref(json_object_get(found, "context"))) ||
                       br_set(c, "packet_type",
                              json_incref(json_object_get(found, "packet_type")))
                 : br_set_null(c, "context") || br_set_null(c, "packet_type")) ||
          (has_hash ? br_set_hex(c, "packet_hash", hash, sizeof hash)
                    : br_set_null(c, "packet_hash")) ||
          br_set_bool(c, "delivered", delivered) ||
          br_set_int(c, "channel_context", RNS_CTX_CHANNEL) ||
          br_set_int(c, "data_context", RNS_CTX_NONE);
    json_decref(cap);
    return ret;
}

/* The links a listening destination accepted, newest last. */
static size_t inbound_links(peer *pr, const uint8_t dest[RNS_HASHLEN], wlink **out, size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i < pr->n_links && n < max; i++)
        if (!pr->links[i].initiator && !memcmp(pr->links[i].dest, dest, RNS_HASHLEN))
            out[n++] = &pr->links[i];
    return n;
}

/* The contexts of the packets a listener's inbound links proved (the links
 * still open; rns_link_proof_log), and how many of them were CHANNEL. */
static int cmd_wire_listener_proof_log(br_ctx *c)
{
    uint8_t dest[RNS_HASHLEN], ctx[RNS_LINK_PROOF_LOG];
    json_t *list;
    wlink *links[MAX_LINKS];
    size_t n, k;
    long long channel = 0;
    peer *pr;

    if (peer_param(c, &pr) || dest_param(c, dest))
        return -1;
    if (!find_listener(pr, dest))
        return br_fail(c, "No listener registered for this destination_hash");
    list = json_array();
    n = inbound_links(pr, dest, links, MAX_LINKS);
    for (size_t i = 0; i < n; i++) {
        rns_link *l = rns_transport_link(core(pr), links[i]->id);
        rns_link_proof_log(l, ctx, sizeof ctx, &k);
        for (size_t j = 0; l && j < k; j++) {
            json_array_append_new(list, json_integer(ctx[j]));
            channel += ctx[j] == RNS_CTX_CHANNEL;
        }
    }
    return br_set(c, "contexts", list) || br_set_int(c, "channel_proofs", channel) ||
           br_set_int(c, "channel_context", RNS_CTX_CHANNEL);
}

/* The newest inbound link of the listener that has a channel open. */
static int has_inbound_channel(peer *pr, const void *dest)
{
    wlink *links[MAX_LINKS];
    rns_channel_info in;

    for (size_t n = inbound_links(pr, dest, links, MAX_LINKS); n > 0; n--)
        if (rns_transport_channel_info(core(pr), links[n - 1]->id, &in) == 0)
            return (int)n;
    return 0;
}

/* The receive state of a listener's inbound channel (the channel policy
 * opens it once the link is established: wait a little for it). */
static int cmd_wire_listener_channel_rx(br_ctx *c)
{
    uint8_t dest[RNS_HASHLEN];
    wlink *links[MAX_LINKS];
    rns_channel_info in;
    peer *pr;
    int n;

    if (peer_param(c, &pr) || dest_param(c, dest))
        return -1;
    if (!find_listener(pr, dest))
        return br_fail(c, "No listener registered for this destination_hash");
    wait_until(has_inbound_channel, pr, dest, 4000);
    if (!(n = has_inbound_channel(pr, dest)))
        return br_fail(c, "no inbound channel on this listener");
    inbound_links(pr, dest, links, MAX_LINKS);
    if (br_check(c, rns_transport_channel_info(core(pr), links[n - 1]->id, &in), "channel"))
        return -1;
    return br_set_int(c, "next_rx_sequence", in.next_rx_sequence) ||
           br_set_int(c, "next_sequence", in.next_sequence) ||
           br_set_int(c, "rx_ring", (long long)in.rx_ring);
}

/* The library's retransmit timeout (rns_channel_timeout) on a throwaway
 * channel of the link's MDU with the given RTT and ring_depth envelopes
 * really in flight: deliveries first widen the window enough, then
 * ring_depth sends stay unanswered. */
static int cmd_wire_channel_timeout_formula(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN], hash[RNS_FULL_HASHLEN] = {0};
    json_t *jr = br_param(c, "rtt");
    long long tries, depth;
    ml_buf env = ML_BUF_INIT;
    rns_channel_info in;
    rns_channel *ch;
    uint16_t seq;
    rns_link *l;
    peer *pr;
    int ret = 0;

    if (link_param(c, &pr, &l, id) || br_int(c, "tries", 1, &tries) ||
        br_int(c, "ring_depth", 0, &depth))
        return -1;
    if (!json_is_number(jr) || json_number_value(jr) < 0)
        return br_fail(c, "rtt must be a number >= 0");
    if (tries < 1 || tries > 1000 || depth < 0 || depth > RNS_CHANNEL_WINDOW_MAX)
        return br_fail(c, "tries must be 1..1000 and ring_depth 0..%d", RNS_CHANNEL_WINDOW_MAX);
    if (br_check(c, rns_channel_new(&ch, json_number_value(jr), rns_link_mdu(l)), "channel"))
        return -1;
    for (long long i = 0; i < depth && !ret; i++) { /* +1 window per delivery */
        hash[0] = (uint8_t)i;
        ret = rns_channel_send(ch, RNS_MSGTYPE_SYSTEM - 1, NULL, 0, &env, &seq) ||
              rns_channel_sent(ch, seq, hash, 0) || rns_channel_delivered(ch, hash) != 1;
    }
    for (long long i = 0; i < depth && !ret; i++) {
        hash[0] = (uint8_t)(0x80 + i);
        ret = rns_channel_send(ch, RNS_MSGTYPE_SYSTEM - 1, NULL, 0, &env, &seq) ||
              rns_channel_sent(ch, seq, hash, 0);
    }
    ml_buf_free(&env);
    rns_channel_info_get(ch, &in);
    if (ret || in.tx_ring != (size_t)depth) {
        rns_channel_free(ch);
        return br_fail(c, "the channel's window does not reach %lld in flight", depth);
    }
    ret = br_set(c, "timeout", json_real(rns_channel_timeout(ch, (unsigned)tries))) ||
          br_set(c, "rtt", json_real(json_number_value(jr))) || br_set_int(c, "tries", tries) ||
          br_set_int(c, "ring_depth", (long long)in.tx_ring);
    rns_channel_free(ch);
    return ret;
}

const br_cmd br_channel_cmds[] = {
    {"wire_channel_inject", cmd_wire_channel_inject},
    {"wire_channel_received", cmd_wire_channel_received},
    {"wire_channel_window", cmd_wire_channel_window},
    {"wire_channel_send", cmd_wire_channel_send},
    {"wire_channel_emit_capture", cmd_wire_channel_emit_capture},
    {"wire_channel_timeout_formula", cmd_wire_channel_timeout_formula},
    {"wire_listener_proof_log", cmd_wire_listener_proof_log},
    {"wire_listener_channel_rx", cmd_wire_listener_channel_rx},
    {NULL, NULL},
};
