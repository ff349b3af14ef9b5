// SPDX-License-Identifier: MIT
// Bridge commands: Reticulum Buffer streams over a link's channel, and the
// listener side of channels. wire_listen gives its destination the
// library's channel policy (rns_transport_set_channel_policy: a channel on
// every inbound link once established, the wire message type registered,
// Buffer readers on stream 0 and any buffer_stream_ids), as the suite's
// reference bridge does in its link-established callback. Messages of the
// wire type that a channel delivers are recorded per link by a channel
// handler, so they can be read even after the link is gone.
#include <stdlib.h>
#include <string.h>

#include "bridge.h"
#include "meshlog/error.h"
#include "meshlog/rns_buffer.h"
#include "meshlog/rns_bz2.h"
#include "meshlog/rns_channel.h"
#include "wire.h"

/* The stream both ends use unless told otherwise (_WIRE_BUFFER_STREAM_ID). */
#define WIRE_STREAM_ID 0u
#define MAX_READ (1u << 20)

/* ---- recorded channel messages --------------------------------------------------------- */

typedef struct chan_rec {
    struct chan_rec *next;
    uint8_t id[RNS_HASHLEN];
    json_t *messages; /* hex payloads of the wire type, oldest first */
    int has_proof;    /* the last proof the link reported (RNS_LINK_EV_PROOF) */
    uint8_t last_proof[RNS_FULL_HASHLEN];
} chan_rec;

struct chan_state {
    chan_rec *recs;
};

static chan_rec *rec_get(peer *pr, const uint8_t id[RNS_HASHLEN], int create)
{
    chan_rec *r;

    if (!pr->chan && create && !(pr->chan = calloc(1, sizeof *pr->chan)))
        return NULL;
    for (r = pr->chan ? pr->chan->recs : NULL; r; r = r->next)
        if (!memcmp(r->id, id, RNS_HASHLEN))
            return r;
    if (!create || !(r = calloc(1, sizeof *r)))
        return NULL;
    memcpy(r->id, id, RNS_HASHLEN);
    if (!(r->messages = json_array())) {
        free(r);
        return NULL;
    }
    r->next = pr->chan->recs;
    pr->chan->recs = r;
    return r;
}

/* The recording handler (the reference bridge's on_channel_message): takes
 * messages of the wire type, leaves the others to the next handler. */
static int record_message(void *ctx, uint16_t msgtype, const uint8_t *data, size_t len)
{
    chan_rec *r = ctx;
    ml_buf b = {(uint8_t *)(uintptr_t)data, len, len};

    if (msgtype != WIRE_CHANNEL_MSGTYPE)
        return 0;
    append_hex(r->messages, &b);
    return 1;
}

int channel_record(peer *pr, const uint8_t id[RNS_HASHLEN], rns_channel *ch)
{
    chan_rec *r = rec_get(pr, id, 1);
    ml_buf m = ML_BUF_INIT;
    uint16_t type;
    int ret;

    if (!r)
        return ML_ENOMEM;
    if ((ret = rns_channel_add_handler(ch, record_message, r)))
        return ret;
    /* What the channel delivered before the handler was on comes first. */
    while ((ret = rns_channel_pop_message(ch, &type, &m)) == 1) {
        if (type == WIRE_CHANNEL_MSGTYPE)
            append_hex(r->messages, &m);
        ml_buf_reset(&m);
    }
    ml_buf_free(&m);
    return ret < 0 ? ret : 0;
}

json_t *channel_take_recorded(peer *pr, const uint8_t id[RNS_HASHLEN])
{
    chan_rec *r = rec_get(pr, id, 0);
    json_t *out;

    if (!r)
        return json_array();
    out = r->messages;
    r->messages = json_array();
    return out;
}

void channel_on_event(peer *pr, const rns_tev *ev)
{
    rns_channel *ch;
    chan_rec *r;

    if (ev->type == RNS_TEV_LINK && ev->link_ev.type == RNS_LINK_EV_PROOF &&
        (r = rec_get(pr, ev->link_id, 0))) {
        memcpy(r->last_proof, ev->link_ev.id, RNS_FULL_HASHLEN);
        r->has_proof = 1;
    }

    /* An inbound link the policy gave a channel: record its messages. */
    if (ev->type != RNS_TEV_LINK || ev->link_ev.type != RNS_LINK_EV_ESTABLISHED ||
        ev->initiator || !rns_transport_link_buffer(core(pr), ev->link_id, 0))
        return;
    if ((ch = rns_transport_link_channel(core(pr), ev->link_id)))
        channel_record(pr, ev->link_id, ch);
}

void channel_peer_free(peer *pr)
{
    chan_rec *r, *next;

    if (!pr->chan)
        return;
    for (r = pr->chan->recs; r; r = next) {
        next = r->next;
        json_decref(r->messages);
        free(r);
    }
    free(pr->chan);
    pr->chan = NULL;
}

/* ---- the listener side ----------------------------------------------------------------------- */

int channel_listen(br_ctx *c, peer *pr, const uint8_t dest[RNS_HASHLEN])
{
    json_t *ids = br_param(c, "buffer_stream_ids"), *e;
    rns_chan_policy p;
    int open;
    size_t i;

    if (br_bool(c, "open_channel", 1, &open))
        return -1;
    memset(&p, 0, sizeof p);
    p.open = open;
    p.msgtypes[p.n_msgtypes++] = WIRE_CHANNEL_MSGTYPE;
    p.buffer = 1;
    p.stream_ids[p.n_stream_ids++] = WIRE_STREAM_ID;
    if (ids && !json_is_array(ids))
        return br_fail(c, "buffer_stream_ids must be a list");
    json_array_foreach(ids, i, e) {
        if (!json_is_integer(e) || json_integer_value(e) < 0 ||
            json_integer_value(e) > RNS_STREAM_ID_MAX)
            return br_fail(c, "buffer_stream_ids: 0..%u expected", RNS_STREAM_ID_MAX);
        if (p.n_stream_ids == RNS_CHAN_POLICY_MAX)
            return br_fail(c, "buffer_stream_ids: at most %d", RNS_CHAN_POLICY_MAX - 1);
        p.stream_ids[p.n_stream_ids++] = (uint16_t)json_integer_value(e);
    }
    return br_check(c, rns_transport_set_channel_policy(core(pr), dest, &p), "channel policy");
}

/* ---- writing a stream -------------------------------------------------------------------- */

static int chan_ready(peer *pr, const void *id)
{
    rns_channel *ch = rns_transport_link_channel(core(pr), id);

    return !ch || rns_channel_ready(ch);
}

static int chan_drained(peer *pr, const void *id)
{
    rns_channel *ch = rns_transport_link_channel(core(pr), id);
    rns_channel_info in;

    rns_channel_info_get(ch, &in);
    return !ch || in.tx_ring == 0;
}

static long long ms_left(double deadline)
{
    double left = (deadline - rns_node_now()) * 1000.0;

    return left > 0 ? (long long)left : 0;
}

static json_t *manifest_entry(const rns_buffer_sent *s, int eof)
{
    return json_pack("{s:I, s:b, s:b, s:i}", "bytes", (json_int_t)s->bytes, "compressed",
                     s->compressed, "eof", eof, "sequence", (int)s->sequence);
}

/* One write through the library's writer; ML_ESTATE: not ready, nothing taken. */
static int write_once(peer *pr, const uint8_t id[RNS_HASHLEN], uint16_t sid, int eof,
                      const uint8_t *d, size_t n, json_t *manifest, rns_buffer_sent *s)
{
    int ret = rns_transport_buffer_write(core(pr), id, sid, eof, d, n, rns_node_now(), s);

    if (ret == 0) {
        json_array_append_new(manifest, manifest_entry(s, eof));
        rns_node_kick(pr->node);
    }
    return ret;
}

/* The bomb: one real bz2 chunk of n zero bytes in a StreamDataMessage (EOF
 * set), sent as it is through the channel. */
static int send_bomb(br_ctx *c, peer *pr, const uint8_t id[RNS_HASHLEN], uint16_t sid,
                     long long n, double deadline, json_t *manifest)
{
    ml_buf z = ML_BUF_INIT, msg = ML_BUF_INIT;
    uint8_t *zero;
    uint16_t seq = 0;
    rns_buffer_sent s;
    int ret;

    if (n < 0 || n > 64LL * 1024 * 1024)
        return br_fail(c, "bomb_decompressed_len out of range");
    if (!(zero = calloc(1, n ? (size_t)n : 1)))
        return br_check(c, ML_ENOMEM, "bomb");
    ret = rns_bz2_compress(&z, zero, (size_t)n);
    free(zero);
    if (!ret && z.len >= RNS_STREAM_MAX_DATA_LEN)
        ret = ML_ETOOBIG;
    if (!ret)
        ret = rns_stream_msg_pack(&msg, sid, 1, 1, z.p, z.len);
    if (!ret) {
        wait_until(chan_ready, pr, id, ms_left(deadline));
        ret = rns_transport_channel_send_system(core(pr), id, RNS_MSGTYPE_STREAM_DATA, msg.p,
                                                msg.len, rns_node_now(), &seq);
    }
    memset(&s, 0, sizeof s);
    s.bytes = z.len;
    s.compressed = 1;
    s.sequence = seq;
    ml_buf_free(&z);
    ml_buf_free(&msg);
    if (ret == ML_ESTATE)
        return br_set_int(c, "written", 0) || br_set_bool(c, "eof", 0) ||
               br_set_bool(c, "ready", 0) || br_set(c, "manifest", json_incref(manifest));
    if (br_check(c, ret, "bomb"))
        return -1;
    rns_node_kick(pr->node);
    json_array_append_new(manifest, manifest_entry(&s, 1));
    return br_set_int(c, "written", 0) || br_set_bool(c, "eof", 1) ||
           br_set_bool(c, "bomb", 1) || br_set_int(c, "decompressed_len", n) ||
           br_set_int(c, "sequence", seq) || br_set(c, "manifest", json_incref(manifest)) ||
           br_set_int(c, "max_chunk_len", RNS_BUFFER_MAX_CHUNK_LEN);
}

static int cmd_wire_buffer_stream(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN];
    ml_buf data = ML_BUF_INIT;
    json_t *manifest = json_array(), *returns = json_array();
    long long sid, timeout_ms, bomb_len;
    int bomb, eof_with_data, use_close, ret, eof_sent = 0;
    rns_buffer_sent s;
    rns_channel_info in;
    rns_link *l;
    size_t off = 0;
    double deadline;
    peer *pr;

    ret = link_param(c, &pr, &l, id) || br_hex_opt(c, "data", &data, &(int){0}) ||
          br_bool(c, "bomb", 0, &bomb) ||
          br_int(c, "bomb_decompressed_len", 4 * RNS_BUFFER_MAX_CHUNK_LEN, &bomb_len) ||
          br_int(c, "stream_id", WIRE_STREAM_ID, &sid) ||
          br_bool(c, "eof_with_data", 0, &eof_with_data) ||
          br_bool(c, "use_close", 0, &use_close) || br_int(c, "timeout_ms", 30000, &timeout_ms);
    if (!ret && (sid < 0 || sid > RNS_STREAM_ID_MAX))
        ret = br_fail(c, "stream_id must be 0-16383");
    if (!ret && !rns_transport_link_channel(core(pr), id))
        ret = br_fail(c, "Unknown link_id");
    deadline = rns_node_now() + (double)timeout_ms / 1000.0;
    if (!ret && bomb) {
        ret = send_bomb(c, pr, id, (uint16_t)sid, bomb_len, deadline, manifest);
        goto out;
    }
    /* The writer loop: each write takes what the library's writer chose. */
    while (!ret && off < data.len && rns_node_now() < deadline) {
        int eof = eof_with_data && data.len - off <= RNS_STREAM_MAX_DATA_LEN;
        int r = write_once(pr, id, (uint16_t)sid, eof, data.p + off, data.len - off, manifest, &s);
        if (r == ML_ESTATE || (r == 0 && s.taken == 0)) {
            wait_until(chan_ready, pr, id, ms_left(deadline) < 20 ? ms_left(deadline) : 20);
            continue;
        }
        if (r)
            ret = br_check(c, r, "buffer write");
        else {
            off += s.taken;
            eof_sent = eof && off == data.len;
            json_array_append_new(returns, json_integer((json_int_t)s.taken));
        }
    }
    if (!ret && !eof_with_data) {
        /* close(): wait for the window (at most rtt * in flight), then the
         * empty EOF message; without use_close wait for the window as long
         * as the caller allows. */
        rns_channel_info_get(rns_transport_link_channel(core(pr), id), &in);
        wait_until(chan_ready, pr, id,
                   use_close ? (long long)(rns_link_rtt(l) * (double)in.tx_ring * 1000.0)
                             : ms_left(deadline));
        if (rns_transport_link_channel(core(pr), id)) {
            int r = write_once(pr, id, (uint16_t)sid, 1, NULL, 0, manifest, &s);
            if (r && r != ML_ESTATE)
                ret = br_check(c, r, "buffer eof");
            eof_sent = r == 0;
        }
    }
    if (!ret) {
        wait_until(chan_drained, pr, id, ms_left(deadline));
        rns_channel_info_get(rns_transport_link_channel(core(pr), id), &in);
        ret = br_set_int(c, "written", (long long)off) || br_set_bool(c, "eof", eof_sent) ||
              br_set(c, "manifest", json_incref(manifest)) ||
              br_set(c, "write_returns", json_incref(returns)) ||
              br_set_int(c, "max_data_len", RNS_STREAM_MAX_DATA_LEN) ||
              br_set_int(c, "max_chunk_len", RNS_BUFFER_MAX_CHUNK_LEN) ||
              br_set_int(c, "compression_tries", RNS_BUFFER_COMPRESSION_TRIES) ||
              br_set_int(c, "tx_ring_after", rns_transport_link_channel(core(pr), id)
                                                 ? (long long)in.tx_ring
                                                 : -1);
    }
out:
    json_decref(manifest);
    json_decref(returns);
    ml_buf_free(&data);
    return ret;
}

/* ---- reading a stream -------------------------------------------------------------------- */

struct rx_wait {
    const uint8_t *dest;
    uint16_t sid;
};

/* The Buffer receive side of the newest inbound link to dest that has one. */
static rns_buffer_rx *listener_rx(peer *pr, const uint8_t dest[RNS_HASHLEN])
{
    rns_buffer_rx *rx;

    for (size_t i = pr->n_links; i-- > 0;)
        if (!pr->links[i].initiator && !memcmp(pr->links[i].dest, dest, RNS_HASHLEN) &&
            (rx = rns_transport_link_buffer(core(pr), pr->links[i].id, 0)))
            return rx;
    return NULL;
}

static int rx_done(peer *pr, const void *arg)
{
    const struct rx_wait *w = arg;
    rns_buffer_rx *rx = listener_rx(pr, w->dest);

    return rx && (rns_buffer_rx_eof(rx, w->sid) == 1 || rns_buffer_rx_error(rx));
}

static int cmd_wire_buffer_received(br_ctx *c)
{
    uint8_t dest[RNS_HASHLEN];
    long long timeout_ms, sid;
    ml_buf data = ML_BUF_INIT;
    struct rx_wait w;
    rns_buffer_rx *rx;
    peer *pr;
    int ret, eof = 0;

    if (peer_param(c, &pr) || dest_param(c, dest) || br_int(c, "timeout_ms", 30000, &timeout_ms) ||
        br_int(c, "stream_id", WIRE_STREAM_ID, &sid))
        return -1;
    if (!find_listener(pr, dest))
        return br_fail(c, "No listener registered for this destination_hash");
    if (sid < 0 || sid > RNS_STREAM_ID_MAX)
        return br_fail(c, "stream_id must be 0-16383");
    w.dest = dest;
    w.sid = (uint16_t)sid;
    wait_until(rx_done, pr, &w, timeout_ms);
    if ((rx = listener_rx(pr, dest))) {
        long n = rns_buffer_rx_read(rx, w.sid, &data, SIZE_MAX);
        if (n < 0 && n != ML_ENOTFOUND) {
            ml_buf_free(&data);
            return br_check(c, (int)n, "buffer read");
        }
        eof = rns_buffer_rx_eof(rx, w.sid) == 1;
    }
    ret = br_set_buf(c, "data", &data) || br_set_bool(c, "eof", eof) ||
          br_set_bool(c, "aborted", rx && rns_buffer_rx_error(rx)) ||
          (rx && rns_buffer_rx_error(rx) ? br_set_str(c, "error", rns_buffer_rx_error_text(rx))
                                         : br_set_null(c, "error"));
    ml_buf_free(&data);
    return ret;
}

/* ---- channel hooks that came with it ------------------------------------------------------ */

/* The window a new channel picks for an RTT (a throwaway channel; the
 * link's own is untouched). */
static int cmd_wire_channel_profile(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN];
    rns_channel *ch;
    rns_channel_info in;
    json_t *rtt_j = br_param(c, "rtt");
    rns_link *l;
    peer *pr;
    double rtt;

    if (link_param(c, &pr, &l, id))
        return -1;
    if (!json_is_number(rtt_j) || (rtt = json_number_value(rtt_j)) < 0)
        return br_fail(c, "rtt: a number >= 0 expected");
    if (br_check(c, rns_channel_new(&ch, rtt, rns_link_mdu(l)), "channel"))
        return -1;
    rns_channel_info_get(ch, &in);
    rns_channel_free(ch);
    return br_set(c, "rtt", json_real(rtt)) || br_set_int(c, "window", in.window) ||
           br_set_int(c, "window_min", in.window_min) ||
           br_set_int(c, "window_max", in.window_max) ||
           br_set_int(c, "window_flexibility", in.window_flexibility) ||
           br_set(c, "rtt_slow", json_real(RNS_CHANNEL_RTT_SLOW));
}

static int cmd_wire_link_set_rtt(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN];
    json_t *rtt_j = br_param(c, "rtt");
    rns_link *l;
    peer *pr;
    double prev;

    if (link_param(c, &pr, &l, id))
        return -1;
    if (!json_is_number(rtt_j) || json_number_value(rtt_j) < 0)
        return br_fail(c, "rtt: a number >= 0 expected");
    prev = rns_link_rtt(l);
    rns_link_set_rtt(l, json_number_value(rtt_j));
    return br_set(c, "rtt", json_real(rns_link_rtt(l))) || br_set(c, "previous", json_real(prev));
}

/* The reference's Channel._run_callbacks over a chain of handlers on a
 * throwaway channel: "false" declines, "true" takes the message, "raise"
 * fails; each logs its index when it runs. One envelope (sequence 0). */
struct chain_handler {
    int index, behaviour; /* 0 false, 1 true, -1 raise */
    json_t *log;
};

static int chain_run(void *ctx, uint16_t msgtype, const uint8_t *data, size_t len)
{
    struct chain_handler *h = ctx;

    (void)msgtype;
    (void)data;
    (void)len;
    json_array_append_new(h->log, json_integer(h->index));
    return h->behaviour;
}

#define CHAIN_MSGTYPE 0x0707u

static int cmd_wire_channel_handler_chain(br_ctx *c)
{
    struct chain_handler hs[RNS_CHANNEL_MAX_HANDLERS];
    uint8_t id[RNS_HASHLEN];
    json_t *specs = br_param(c, "handlers"), *e, *log;
    ml_buf env = ML_BUF_INIT;
    rns_channel *ch;
    rns_channel_info in;
    rns_link *l;
    size_t i;
    peer *pr;
    int ret;

    if (link_param(c, &pr, &l, id))
        return -1;
    if (!json_is_array(specs) || json_array_size(specs) > RNS_CHANNEL_MAX_HANDLERS)
        return br_fail(c, "handlers: a list of at most %d of false/true/raise",
                       RNS_CHANNEL_MAX_HANDLERS);
    if (br_check(c, rns_channel_new(&ch, rns_link_rtt(l), rns_link_mdu(l)), "channel"))
        return -1;
    log = json_array();
    ret = br_check(c, rns_channel_register(ch, CHAIN_MSGTYPE), "register");
    json_array_foreach(ret ? NULL : specs, i, e) {
        const char *b = json_string_value(e);
        hs[i].index = (int)i;
        hs[i].log = log;
        if (!b || (strcmp(b, "false") && strcmp(b, "true") && strcmp(b, "raise"))) {
            ret = br_fail(c, "handlers[%zu]: false, true or raise", i);
            break;
        }
        hs[i].behaviour = !strcmp(b, "true") ? 1 : !strcmp(b, "raise") ? -1 : 0;
        ret = br_check(c, rns_channel_add_handler(ch, chain_run, &hs[i]), "handler");
    }
    if (!ret)
        ret = br_check(c, rns_envelope_pack(&env, CHAIN_MSGTYPE, 0, (const uint8_t *)"chain-probe",
                                            11), "envelope") ||
              br_check(c, rns_channel_receive(ch, env.p, env.len), "receive");
    rns_channel_info_get(ch, &in);
    rns_channel_free(ch);
    ml_buf_free(&env);
    if (ret) {
        json_decref(log);
        return -1;
    }
    return br_set(c, "log", log) || br_set_int(c, "next_rx_sequence", in.next_rx_sequence) ||
           br_set_int(c, "handler_count", (long long)in.message_handlers);
}

static int send_settled(peer *pr, const void *id)
{
    rns_channel *ch = rns_transport_link_channel(core(pr), id);
    rns_channel_info in;

    rns_channel_info_get(ch, &in);
    return !ch || in.tx_ring == 0;
}

/* A genuine delivered send, then the late and spurious callbacks of the
 * reference's _packet_tx_op / _packet_timeout: the delivered packet's proof
 * again, its timer run long after, and a proof for a packet never sent.
 * None may grow the window or close the link. */
static int cmd_wire_channel_spurious_proof(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN], stray[RNS_FULL_HASHLEN];
    ml_buf resend = ML_BUF_INIT;
    json_t *errors = json_array();
    rns_channel_info before, after_dup, fin;
    long long timeout_ms;
    rns_channel *ch;
    chan_rec *r;
    rns_link *l;
    uint16_t seq;
    peer *pr;
    int delivered, st;

    if (link_param(c, &pr, &l, id) || br_int(c, "timeout_ms", 12000, &timeout_ms) ||
        !(ch = rns_transport_link_channel(core(pr), id)) ||
        br_check(c, rns_channel_register(ch, WIRE_CHANNEL_MSGTYPE), "register") ||
        br_check(c, channel_record(pr, id, ch), "record")) {
        json_decref(errors);
        return c->err[0] ? -1 : br_fail(c, "Unknown link_id");
    }
    r = rec_get(pr, id, 0);
    r->has_proof = 0;
    wait_until(chan_ready, pr, id, timeout_ms);
    if (br_check(c, rns_transport_channel_send(core(pr), id, WIRE_CHANNEL_MSGTYPE,
                                               (const uint8_t *)"genuine-proof", 13,
                                               rns_node_now(), &seq), "channel send")) {
        json_decref(errors);
        return -1;
    }
    rns_node_kick(pr->node);
    wait_until(send_settled, pr, id, timeout_ms);
    if (!(ch = rns_transport_link_channel(core(pr), id))) {
        json_decref(errors);
        return br_fail(c, "the link closed");
    }
    rns_channel_info_get(ch, &before);
    delivered = before.tx_ring == 0 && r->has_proof;
    /* (a) the delivered packet's proof once more */
    if (r->has_proof && rns_channel_delivered(ch, r->last_proof) != 0)
        json_array_append_new(errors, json_string("duplicate_proof: acknowledged again"));
    rns_channel_info_get(ch, &after_dup);
    /* (b) its timer, long after: nothing is due */
    st = rns_channel_tick(ch, rns_node_now() + 3600.0, &resend, NULL);
    if (st != 0)
        json_array_append_new(errors, json_string("timeout_delivered: acted on"));
    /* (c) a proof for a packet it never sent */
    if (br_random(c, stray, sizeof stray)) {
        json_decref(errors);
        ml_buf_free(&resend);
        return -1;
    }
    if (rns_channel_delivered(ch, stray) != 0)
        json_array_append_new(errors, json_string("proof_untracked: acknowledged"));
    ml_buf_free(&resend);
    rns_channel_info_get(ch, &fin);
    st = rns_link_state(l);
    return br_set_bool(c, "delivered", delivered) ||
           br_set_int(c, "window_before", before.window) ||
           br_set_int(c, "window_after_duplicate", after_dup.window) ||
           br_set_int(c, "window_final", fin.window) ||
           br_set_int(c, "tx_ring_before", (long long)before.tx_ring) ||
           br_set_int(c, "tx_ring_final", (long long)fin.tx_ring) ||
           br_set_int(c, "link_status", st) ||
           br_set_bool(c, "link_closed", st == RNS_LINK_CLOSED) || br_set(c, "errors", errors);
}

/* A message type whose messages cannot be made with no arguments (the
 * reference's class whose __init__ requires one). */
static int make_needs_arg(void **msg)
{
    (void)msg;
    return ML_EINVAL;
}

/* Message type registration on the link's channel. Each kind is the
 * reference's crafted message class as a descriptor with the same defect
 * (rns_channel_msgtype): the library's registration (or, for
 * envelope_pack_no_msgtype, its envelope packer) decides, and its error
 * gives the CEType. */
static int cmd_wire_channel_register(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN];
    rns_channel_msgtype mt;
    const char *kind, *why = NULL;
    rns_channel *ch;
    rns_link *l;
    peer *pr;
    int r;

    if (link_param(c, &pr, &l, id) || br_str(c, "kind", &kind))
        return -1;
    if (!(ch = rns_transport_link_channel(core(pr), id)))
        return br_fail(c, "Unknown link_id");
    if (!strcmp(kind, "valid")) {
        mt = rns_channel_bytes_msgtype(0x0505);
    } else if (!strcmp(kind, "non_message_base")) {
        mt = rns_channel_bytes_msgtype(0x0303);
        mt.pack = NULL; /* not a message type at all */
        mt.unpack = NULL;
    } else if (!strcmp(kind, "msgtype_none") || !strcmp(kind, "envelope_pack_no_msgtype")) {
        mt = rns_channel_bytes_msgtype(0);
        mt.has_msgtype = 0;
    } else if (!strcmp(kind, "reserved")) {
        mt = rns_channel_bytes_msgtype(0xF001);
    } else if (!strcmp(kind, "not_constructible")) {
        mt = rns_channel_bytes_msgtype(0x0404);
        mt.make = make_needs_arg;
    } else {
        return br_fail(c, "Unknown register kind: %s", kind);
    }
    if (!strcmp(kind, "envelope_pack_no_msgtype")) {
        ml_buf msg = ML_BUF_INIT, env = ML_BUF_INIT;
        r = rns_channel_envelope_pack(&mt, &msg, 0, &env);
        ml_buf_free(&env);
        why = r ? ml_strerror(r) : NULL;
    } else {
        r = rns_channel_register_msgtype(ch, &mt, &why);
    }
    if (r == ML_ENOMEM)
        return br_check(c, r, "register");
    if (r)
        return br_set_bool(c, "accepted", 0) || br_set_str(c, "error", why ? why : ml_strerror(r)) ||
               br_set_int(c, "ce_type", rns_channel_ce_type(r));
    return br_set_bool(c, "accepted", 1) || br_set_null(c, "error") || br_set_null(c, "ce_type");
}

const br_cmd br_buffer_cmds[] = {
    {"wire_buffer_stream", cmd_wire_buffer_stream},
    {"wire_buffer_received", cmd_wire_buffer_received},
    {"wire_channel_profile", cmd_wire_channel_profile},
    {"wire_link_set_rtt", cmd_wire_link_set_rtt},
    {"wire_channel_handler_chain", cmd_wire_channel_handler_chain},
    {"wire_channel_spurious_proof", cmd_wire_channel_spurious_proof},
    {"wire_channel_register", cmd_wire_channel_register},
    {NULL, NULL},
};
