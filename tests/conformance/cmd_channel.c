// SPDX-License-Identifier: MIT
// Bridge commands: Reticulum Channel over live links. The channel is the
// link's rns_channel inside the peer's transport core (opened on first use,
// as Link.get_channel); these commands feed it envelopes, drain what it
// delivered, send through it and read its window back in the suite's terms.
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

static int set_window(br_ctx *c, const rns_channel *ch)
{
    rns_channel_info in;

    rns_channel_info_get(ch, &in);
    return br_set_int(c, "window", in.window) || br_set_int(c, "window_min", in.window_min) ||
           br_set_int(c, "window_max", in.window_max) ||
           br_set_int(c, "window_flexibility", in.window_flexibility) ||
           br_set_int(c, "next_rx_sequence", in.next_rx_sequence) ||
           br_set_int(c, "next_sequence", in.next_sequence) ||
           br_set_int(c, "rx_ring", (long long)in.rx_ring) ||
           br_set_int(c, "tx_ring", (long long)in.tx_ring) ||
           br_set_int(c, "tx_tries", in.tx_tries) || br_set_int(c, "mdu", (long long)in.mdu) ||
           br_set_int(c, "fast_rate_rounds", in.fast_rate_rounds) ||
           br_set_int(c, "medium_rate_rounds", in.medium_rate_rounds) ||
           br_set_int(c, "message_handlers", (long long)in.message_handlers);
}

static int cmd_wire_channel_window(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN];
    rns_channel *ch;
    peer *pr;

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

/* A real send through the channel; waits (timeout_ms) for the proof. */
static int cmd_wire_channel_send(br_ctx *c)
{
    struct send_wait w;
    ml_buf data = ML_BUF_INIT;
    long long msgtype, timeout_ms;
    rns_channel *ch;
    rns_channel_info in;
    peer *pr;
    int ret, drop = 0, delivered;

    if (channel_param(c, &pr, w.id, &ch) || br_int(c, "msgtype", WIRE_MSGTYPE, &msgtype) ||
        br_int(c, "timeout_ms", 20000, &timeout_ms) || br_bool(c, "drop_acks", 0, &drop) ||
        br_hex_opt(c, "data", &data, &(int){0}))
        return ml_buf_free(&data), -1;
    if (drop) {
        ml_buf_free(&data);
        return br_fail(c, "drop_acks is not supported by this bridge");
    }
    if (msgtype < 0 || msgtype >= RNS_MSGTYPE_SYSTEM) {
        ml_buf_free(&data);
        return br_set_bool(c, "rejected", 1) ||
               br_set_str(c, "error", "system-reserved or invalid message type") ||
               br_set_bool(c, "sent", 0);
    }
    ret = rns_transport_channel_send(core(pr), w.id, (uint16_t)msgtype, data.p, data.len,
                                     rns_node_now(), &w.seq);
    ml_buf_free(&data);
    if (ret == ML_ESTATE)
        return br_set_bool(c, "sent", 0) || br_set_bool(c, "delivered", 0) ||
               br_set_int(c, "tries", 0) || br_set_null(c, "sequence") ||
               br_set_bool(c, "ready", 0) || set_window(c, ch);
    if (br_check(c, ret, "channel send"))
        return -1;
    rns_node_kick(pr->node);
    wait_until(send_done, pr, &w, timeout_ms);
    if (!(ch = rns_transport_link_channel(core(pr), w.id)))
        return br_set_bool(c, "sent", 1) || br_set_bool(c, "delivered", 0) ||
               br_set_int(c, "sequence", w.seq);
    rns_channel_info_get(ch, &in);
    delivered = in.tx_ring == 0;
    /* tries is only known while the envelope is still in flight. */
    if (!delivered && br_set_int(c, "tries", in.tx_tries))
        return -1;
    return br_set_bool(c, "sent", 1) || br_set_bool(c, "delivered", delivered) ||
           br_set_int(c, "sequence", w.seq) || br_set_int(c, "window", in.window) ||
           br_set_int(c, "window_max", in.window_max);
}

const br_cmd br_channel_cmds[] = {
    {"wire_channel_inject", cmd_wire_channel_inject},
    {"wire_channel_received", cmd_wire_channel_received},
    {"wire_channel_window", cmd_wire_channel_window},
    {"wire_channel_send", cmd_wire_channel_send},
    {NULL, NULL},
};
