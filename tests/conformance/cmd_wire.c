// SPDX-License-Identifier: MIT
// Bridge commands for the suite's live-TCP tests (wire_*): each
// wire_start_tcp_server / wire_start_tcp_client makes a peer, an rns_node
// (rns_node.h) with one TCP interface, named by a handle. All peers share
// one libuv loop, which the bridge's main loop keeps running between
// requests (br_wire_loop), so sockets, timers, path requests and proofs are
// served while the suite drives the other peer; commands that wait (poll,
// send with a receipt) pump the same loop until their condition or deadline.
// What the core reports (announces heard, data, proofs, link events) is
// recorded per peer by the event callback for the poll commands to read.
#include <poll.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"
#include "wire.h"
#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/rns_destination.h"
#include "meshlog/rns_ifac.h"
#include "meshlog/rns_msgpack.h"
#include "meshlog/rns_node.h"
#include "meshlog/rns_packet.h"
#include "meshlog/rns_proof.h"
#include "meshlog/rns_transport.h"


static uv_loop_t loop;
static int loop_ready;
static peer *peers[MAX_PEERS];

/* ---- the shared loop ------------------------------------------------------------ */

uv_loop_t *br_wire_loop(void)
{
    return loop_ready ? &loop : NULL;
}

void br_wire_pump(int max_ms)
{
    struct pollfd p;
    int timeout;

    if (!loop_ready)
        return;
    timeout = uv_backend_timeout(&loop);
    if (timeout < 0 || timeout > max_ms)
        timeout = max_ms;
    p.fd = uv_backend_fd(&loop);
    p.events = POLLIN;
    poll(&p, 1, timeout);
    uv_run(&loop, UV_RUN_NOWAIT);
}

/* Pumps the loop until done(c, arg) says so or deadline_ms passes. */
void wait_until(int (*done)(peer *, const void *), peer *pr, const void *arg,
                       long long timeout_ms)
{
    double deadline = rns_node_now() + (double)timeout_ms / 1000.0;

    while (!done(pr, arg) && rns_node_now() < deadline)
        br_wire_pump(20);
}

static void on_log(void *ctx, int level, const char *msg)
{
    peer *pr = ctx;
    if (level <= RNS_LOG_INFO)
        fprintf(stderr, "[%s] %s\n", pr ? pr->handle : "-", msg);
}

/* ---- events ---------------------------------------------------------------------- */

listener *find_listener(peer *pr, const uint8_t dest[RNS_HASHLEN])
{
    for (size_t i = 0; i < pr->n_listeners; i++)
        if (memcmp(pr->listeners[i].dest, dest, RNS_HASHLEN) == 0)
            return &pr->listeners[i];
    return NULL;
}

wlink *find_link(peer *pr, const uint8_t id[RNS_HASHLEN])
{
    for (size_t i = 0; i < pr->n_links; i++)
        if (memcmp(pr->links[i].id, id, RNS_HASHLEN) == 0)
            return &pr->links[i];
    return NULL;
}

void append_hex(json_t *list, const ml_buf *b)
{
    char *hex = malloc(2 * b->len + 1);
    if (!hex)
        return;
    ml_hex(hex, b->p, b->len);
    json_array_append_new(list, json_string(hex));
    free(hex);
}

static void note_heard(peer *pr, const rns_tev *ev)
{
    heard *h = NULL;

    for (size_t i = 0; i < pr->n_heard && !h; i++)
        if (memcmp(pr->heard[i].dest, ev->dest, RNS_HASHLEN) == 0)
            h = &pr->heard[i];
    if (!h && pr->n_heard == MAX_HEARD)
        memmove(&pr->heard[0], &pr->heard[1], sizeof pr->heard[0] * --pr->n_heard);
    if (!h)
        h = &pr->heard[pr->n_heard++];
    memcpy(h->dest, ev->dest, RNS_HASHLEN);
    memcpy(h->identity_hash, ev->identity_hash, RNS_HASHLEN);
    h->when = rns_node_now();
}

void note_receipt(peer *pr, const uint8_t hash[RNS_FULL_HASHLEN], int state)
{
    for (size_t i = 0; i < pr->n_receipts; i++)
        if (memcmp(pr->receipts[i].packet_hash, hash, RNS_FULL_HASHLEN) == 0)
            pr->receipts[i].state = state;
}

/* A single packet's proof: the receipt is proved, and keeps the proof packet. */
void note_proof(peer *pr, const rns_tev *ev)
{
    for (size_t i = 0; i < pr->n_receipts; i++) {
        receipt *r = &pr->receipts[i];
        if (memcmp(r->packet_hash, ev->packet_hash, RNS_FULL_HASHLEN))
            continue;
        r->state = 1;
        r->proof_hops = ev->hops;
        r->proof_raw_len = ev->data.len <= PROOF_RAW_MAX ? ev->data.len : 0;
        if (r->proof_raw_len)
            memcpy(r->proof_raw, ev->data.p, r->proof_raw_len);
    }
}

/* Refreshes a link record from the live link, while the core still has it. */
void snapshot(peer *pr, wlink *l)
{
    rns_link *live = rns_transport_link(rns_node_transport(pr->node), l->id);
    const rns_identity *remote;

    if (!live)
        return;
    l->state = (int)rns_link_state(live);
    l->mtu = rns_link_mtu(live);
    l->mdu = rns_link_mdu(live);
    l->rtt = rns_link_rtt(live);
    l->keepalive = rns_link_keepalive(live);
    rns_link_get_timers(live, &l->timers);
    rns_link_key_state(live, &l->keys);
    remote = rns_link_remote_identity(live);
    /* as in the reference, only a responder reports a remote identity: the
     * initiator's, once it has identified itself */
    if (remote && !l->initiator) {
        l->identified = 1;
        memcpy(l->remote_hash, rns_identity_hash(remote), RNS_HASHLEN);
    }
}

/* Request data and responses travel as one msgpack value; the suite's are
 * byte strings (bin) or nil. */
static int unpack_bytes(const ml_buf *mp, const uint8_t **p, size_t *len)
{
    rns_mp_reader r;

    rns_mp_reader_init(&r, mp->p, mp->len);
    *p = NULL;
    *len = 0;
    if (rns_mp_get_nil(&r) == 0)
        return 0;
    return rns_mp_get_bin(&r, p, len) == 0 ? 1 : -1;
}

static handler *find_handler(peer *pr, const uint8_t dest[RNS_HASHLEN],
                             const uint8_t path_hash[RNS_HASHLEN])
{
    for (size_t i = 0; i < pr->n_handlers; i++)
        if (!memcmp(pr->handlers[i].dest, dest, RNS_HASHLEN) &&
            !memcmp(pr->handlers[i].path_hash, path_hash, RNS_HASHLEN))
            return &pr->handlers[i];
    return NULL;
}

static int allowed(const handler *h, const wlink *l)
{
    char hex[2 * RNS_HASHLEN + 1];
    json_t *e;
    size_t i;

    if (h->allow == 0)
        return 1;
    if (h->allow == 2 || !l->identified)
        return 0;
    ml_hex(hex, l->remote_hash, RNS_HASHLEN);
    json_array_foreach(h->allowed, i, e)
        if (json_is_string(e) && strcasecmp(json_string_value(e), hex) == 0)
            return 1;
    return 0;
}

/* A request reached one of our destinations: log it and answer, if its
 * handler allows the requester (others get no answer, as in the reference). */
static void answer_request(peer *pr, const wlink *l, const rns_link_event *lev)
{
    handler *h = find_handler(pr, l->dest, lev->path_hash);
    rns_link *live = rns_transport_link(rns_node_transport(pr->node), l->id);
    const uint8_t *data;
    size_t len;
    ml_buf resp = ML_BUF_INIT, hex = ML_BUF_INIT;

    if (!h || !live || !allowed(h, l))
        return;
    if (unpack_bytes(&lev->data, &data, &len) < 0)
        data = NULL, len = 0;
    if (!ml_buf_reserve(&hex, 2 * (len > RNS_HASHLEN ? len : RNS_HASHLEN) + 1)) {
        json_t *entry = json_object();
        ml_hex((char *)hex.p, data ? data : (const uint8_t *)"", len);
        json_object_set_new(entry, "data", json_string((char *)hex.p));
        ml_hex((char *)hex.p, lev->id, RNS_HASHLEN);
        json_object_set_new(entry, "request_id", json_string((char *)hex.p));
        ml_hex((char *)hex.p, l->id, RNS_HASHLEN);
        json_object_set_new(entry, "link_id", json_string((char *)hex.p));
        ml_hex((char *)hex.p, l->remote_hash, RNS_HASHLEN);
        json_object_set_new(entry, "remote_identity_hash",
                            l->identified ? json_string((char *)hex.p) : json_null());
        json_object_set_new(entry, "requested_at", json_real(lev->timestamp));
        json_array_append_new(h->log, entry);
    }
    /* a handler that returns nothing sends no RESPONSE at all; one larger
     * than the link MDU goes as a resource */
    if (h->file && h->has_meta) {
        if (rns_transport_link_respond_file(rns_node_transport(pr->node), l->id, lev->id,
                                            h->response.p, h->response.len, h->meta.p,
                                            h->meta.len, rns_node_now()) == 0)
            rns_transport_flush(rns_node_transport(pr->node), rns_node_now());
    } else if (!h->response_none && !rns_mp_put_bin(&resp, h->response.p, h->response.len) &&
        rns_transport_link_respond(rns_node_transport(pr->node), l->id, lev->id, resp.p, resp.len,
                                   rns_node_now()) == 0)
        rns_transport_flush(rns_node_transport(pr->node), rns_node_now());
    ml_buf_free(&resp);
    ml_buf_free(&hex);
}

static void note_response(peer *pr, const rns_link_event *lev)
{
    for (size_t i = 0; i < pr->n_requests; i++) {
        request *q = &pr->requests[i];
        const uint8_t *p;
        size_t len;
        int r;
        if (q->state || memcmp(q->id, lev->id, RNS_HASHLEN))
            continue;
        if (lev->has_metadata) { /* a file: its content as it is, metadata bytes */
            ml_buf_reset(&q->response);
            q->has_response = ml_buf_append(&q->response, lev->data.p, lev->data.len) == 0;
            q->has_metadata = unpack_bytes(&lev->metadata, &p, &len) == 1 &&
                              ml_buf_append(&q->metadata, p, len) == 0;
            q->answered = rns_node_now();
            q->state = 1;
            continue;
        }
        r = unpack_bytes(&lev->data, &p, &len);
        q->has_response = r == 1 && ml_buf_append(&q->response, p, len) == 0;
        q->answered = rns_node_now();
        q->state = 1;
    }
}

static void note_link(peer *pr, const rns_tev *ev)
{
    wlink *l = find_link(pr, ev->link_id);
    listener *ls;

    if (!l && pr->n_links < MAX_LINKS) {
        l = &pr->links[pr->n_links++];
        memset(l, 0, sizeof *l);
        memcpy(l->id, ev->link_id, RNS_HASHLEN);
        memcpy(l->dest, ev->dest, RNS_HASHLEN);
        l->initiator = ev->initiator;
        l->last_keepalive = -1;
    }
    if (!l)
        return;
    snapshot(pr, l);
    if (ev->link_ev.type == RNS_LINK_EV_CLOSED) {
        l->state = RNS_LINK_CLOSED;
        l->reason = (int)ev->link_ev.reason;
    } else if (ev->link_ev.type == RNS_LINK_EV_IDENTIFIED && ev->link_ev.identity &&
               !l->initiator) {
        l->identified = 1;
        memcpy(l->remote_hash, rns_identity_hash(ev->link_ev.identity), RNS_HASHLEN);
    } else if (ev->link_ev.type == RNS_LINK_EV_DATA && (ls = find_listener(pr, l->dest))) {
        append_hex(ls->link_data, &ev->link_ev.data);
    } else if (ev->link_ev.type == RNS_LINK_EV_PROOF) {
        note_receipt(pr, ev->link_ev.id, 1);
    } else if (ev->link_ev.type == RNS_LINK_EV_REQUEST) {
        answer_request(pr, l, &ev->link_ev);
    } else if (ev->link_ev.type == RNS_LINK_EV_RESPONSE) {
        note_response(pr, &ev->link_ev);
    }
}

static void on_event(void *ctx, rns_node *n, const rns_tev *ev)
{
    peer *pr = ctx;
    listener *ls;
    (void)n;

    switch (ev->type) {
    case RNS_TEV_ANNOUNCE:
        note_heard(pr, ev);
        break;
    case RNS_TEV_DATA:
        if ((ls = find_listener(pr, ev->dest)))
            append_hex(ls->opportunistic, &ev->data);
        break;
    case RNS_TEV_PROOF:
        note_proof(pr, ev);
        break;
    case RNS_TEV_RECEIPT_TIMEOUT:
        note_receipt(pr, ev->packet_hash, ev->culled ? 3 : 2);
        break;
    case RNS_TEV_LINK:
        note_link(pr, ev);
        channel_on_event(pr, ev);
        break;
    case RNS_TEV_RESOURCE:
        resource_on_event(pr, ev);
        break;
    }
}

static void on_iface(void *ctx, rns_node *n, int iface_id, int up)
{
    peer *pr = ctx;
    (void)n;
    if (iface_id == pr->iface_id)
        pr->iface_up = up;
    if (up)
        pr->last_iface = iface_id;
}

/* ---- peers ------------------------------------------------------------------------ */

static void peer_free(peer *pr)
{
    if (!pr)
        return;
    rns_node_free(pr->node);
    wire_tap_forget(pr);
    resource_peer_free(pr);
    channel_peer_free(pr);
    ml_wipe(pr->groups, sizeof pr->groups);
    free(pr->network_name);
    free(pr->passphrase);
    json_decref(pr->link_capture);
    for (size_t i = 0; i < pr->n_handlers; i++) {
        free(pr->handlers[i].path);
        json_decref(pr->handlers[i].allowed);
        json_decref(pr->handlers[i].log);
        ml_buf_free(&pr->handlers[i].response);
        ml_buf_free(&pr->handlers[i].meta);
    }
    for (size_t i = 0; i < pr->n_requests; i++) {
        ml_buf_free(&pr->requests[i].response);
        ml_buf_free(&pr->requests[i].metadata);
    }
    for (size_t i = 0; i < pr->n_listeners; i++) {
        json_decref(pr->listeners[i].opportunistic);
        json_decref(pr->listeners[i].link_data);
    }
    free(pr);
}

static int peer_new(br_ctx *c, peer **out)
{
    rns_node_config cfg = {.loop = &loop, .log = on_log, .on_event = on_event,
                           .on_iface = on_iface};
    uint8_t r[HANDLE_LEN / 2];
    size_t slot;
    peer *pr;

    for (slot = 0; slot < MAX_PEERS && peers[slot]; slot++)
        ;
    if (slot == MAX_PEERS)
        return br_fail(c, "too many peers in one bridge (max %d)", MAX_PEERS);
    if (!loop_ready && uv_loop_init(&loop))
        return br_fail(c, "cannot start the event loop");
    loop_ready = 1;
    if (!(pr = calloc(1, sizeof *pr)))
        return br_fail(c, "out of memory");
    cfg.ctx = cfg.log_ctx = pr;
    pr->iface_id = -1;
    pr->last_iface = -1;
    if (br_random(c, r, sizeof r) || br_check(c, rns_node_new(&pr->node, &cfg), "node")) {
        free(pr);
        return -1;
    }
    ml_hex(pr->handle, r, sizeof r);
    wire_tap_attach(pr);
    br_link_peer_init(pr);
    peers[slot] = pr;
    *out = pr;
    return 0;
}

static void peer_drop(peer *pr)
{
    for (size_t i = 0; i < MAX_PEERS; i++)
        if (peers[i] == pr)
            peers[i] = NULL;
    peer_free(pr);
}

int peer_param(br_ctx *c, peer **out)
{
    const char *h;

    if (br_str(c, "handle", &h))
        return -1;
    for (size_t i = 0; i < MAX_PEERS; i++)
        if (peers[i] && strcmp(peers[i]->handle, h) == 0) {
            *out = peers[i];
            return 0;
        }
    return br_fail(c, "Unknown handle: %s", h);
}

rns_transport *core(peer *pr)
{
    return rns_node_transport(pr->node);
}

/* IFAC credentials: an empty string means none, as in the reference config. */
static int iface_opts(br_ctx *c, rns_iface_opts *o)
{
    json_t *nn = br_param(c, "network_name"), *pp = br_param(c, "passphrase");
    long long bits;

    memset(o, 0, sizeof *o);
    if ((nn && !json_is_string(nn)) || (pp && !json_is_string(pp)))
        return br_fail(c, "network_name and passphrase must be strings");
    o->network_name = nn && *json_string_value(nn) ? json_string_value(nn) : NULL;
    o->passphrase = pp && *json_string_value(pp) ? json_string_value(pp) : NULL;
    if (br_int(c, "ifac_size", 0, &bits))
        return -1;
    /* The suite gives ifac_size in bits, as a reference config does; as
     * there, less than one byte means "not set" (the interface default). */
    if (bits > 8 * RNS_IFAC_MAX_SIZE)
        return br_fail(c, "ifac_size must be at most %d bits", 8 * RNS_IFAC_MAX_SIZE);
    o->ifac_size = bits >= 8 ? (size_t)(bits / 8) : 0;
    /* bitrate in bits/s; below the minimum the node keeps its guess */
    if (br_int(c, "bitrate", 0, &bits))
        return -1;
    o->bitrate = bits > 0 ? (uint64_t)bits : 0;
    /* fixed_mtu pins the TCP interface's MTU; links over it signal it */
    if (br_int(c, "fixed_mtu", 0, &bits))
        return -1;
    if (bits && (bits < 500 || bits > RNS_NODE_TCP_HW_MTU))
        return br_fail(c, "fixed_mtu must be between 500 and %d", RNS_NODE_TCP_HW_MTU);
    o->fixed_mtu = (uint32_t)bits;
    return 0;
}

/* The peer remembers its interface's IFAC credentials for wire_ifac_compute. */
static int keep_credentials(br_ctx *c, peer *pr, const rns_iface_opts *o)
{
    pr->ifac_size = o->ifac_size ? o->ifac_size : RNS_IFAC_SIZE_DEFAULT;
    pr->network_name = o->network_name ? strdup(o->network_name) : NULL;
    pr->passphrase = o->passphrase ? strdup(o->passphrase) : NULL;
    if ((o->network_name && !pr->network_name) || (o->passphrase && !pr->passphrase))
        return br_fail(c, "out of memory");
    return 0;
}

static int cmd_wire_start_tcp_server(br_ctx *c)
{
    rns_iface_opts o;
    long long port;
    uint16_t bound = 0;
    peer *pr;

    if (iface_opts(c, &o) || br_int(c, "bind_port", 0, &port))
        return -1;
    if (port < 0 || port > 65535)
        return br_fail(c, "bind_port out of range");
    if (peer_new(c, &pr))
        return -1;
    if (config_apply(c, pr) || keep_credentials(c, pr, &o) ||
        br_check(c, rns_node_add_tcp_server(pr->node, "127.0.0.1", (uint16_t)port, &o, &bound),
                 "TCP server") || wire_transport_opts(c, pr, 1)) {
        peer_drop(pr);
        return -1;
    }
    return br_set_str(c, "handle", pr->handle) ||
           br_set_hex(c, "identity_hash", rns_transport_id(core(pr)), RNS_HASHLEN) ||
           br_set_int(c, "port", bound);
}

static int iface_is_up(peer *pr, const void *arg)
{
    (void)arg;
    return pr->iface_up || rns_node_iface_up(pr->node, pr->iface_id);
}

/* Returns once connected (or after 5 s), so an announce that follows at once
 * is not lost on a down interface. */
static int cmd_wire_start_tcp_client(br_ctx *c)
{
    const char *host;
    rns_iface_opts o;
    long long port;
    peer *pr;

    if (iface_opts(c, &o) || br_str(c, "target_host", &host) ||
        br_int(c, "target_port", -1, &port))
        return -1;
    if (port <= 0 || port > 65535)
        return br_fail(c, "target_port out of range");
    if (peer_new(c, &pr))
        return -1;
    if (config_apply(c, pr) || keep_credentials(c, pr, &o) ||
        br_check(c, rns_node_add_tcp_client(pr->node, host, (uint16_t)port, &o, &pr->iface_id),
                 "TCP client") || wire_transport_opts(c, pr, 0)) {
        peer_drop(pr);
        return -1;
    }
    wait_until(iface_is_up, pr, NULL, 5000);
    /* A reference server adds an accepted client to its interfaces from
     * another thread; give it a moment, as a reference client's slower
     * start does, so an announce made right away reaches this peer. */
    for (double end = rns_node_now() + CLIENT_SETTLE_S; rns_node_now() < end;)
        br_wire_pump(20);
    return br_set_str(c, "handle", pr->handle) ||
           br_set_hex(c, "identity_hash", rns_transport_id(core(pr)), RNS_HASHLEN);
}

/* A clean shutdown: links are closed (LINKCLOSE reaches the peers, which
 * then see DESTINATION_CLOSED or INITIATOR_CLOSED rather than a timeout)
 * before the sockets go. */
static void close_links(peer *pr)
{
    double now = rns_node_now();
    int closing = 0;

    for (size_t i = 0; i < pr->n_links; i++) {
        rns_link *l = rns_transport_link(core(pr), pr->links[i].id);
        if (l && rns_link_state(l) != RNS_LINK_CLOSED && rns_link_close(l, now) == 0)
            closing = 1;
    }
    if (!closing)
        return;
    rns_transport_flush(core(pr), now);
    rns_node_kick(pr->node);
    for (int i = 0; i < 5; i++)
        br_wire_pump(20);
}

static int cmd_wire_stop(br_ctx *c)
{
    peer *pr;

    if (peer_param(c, &pr))
        return -1;
    close_links(pr);
    peer_drop(pr);
    return br_set_bool(c, "stopped", 1);
}

/* ---- destinations and announces --------------------------------------------------------- */

/* Registers a SINGLE destination with a fresh identity and announces it. */
static int make_destination(br_ctx *c, peer *pr, enum rns_proof_strategy proof,
                            const ml_buf *app_data, int has_app_data)
{
    const char *app, *aspects[16];
    size_t n;
    ml_buf scratch = ML_BUF_INIT;
    uint8_t priv[RNS_KEYSIZE];
    rns_identity *id = NULL;
    rns_dest_params dp = {.proof = proof, .accept_links = 1};
    listener *ls;
    int ret;

    if (pr->n_listeners == MAX_LISTENERS)
        return br_fail(c, "too many destinations on one peer (max %d)", MAX_LISTENERS);
    ls = &pr->listeners[pr->n_listeners];
    ret = br_str(c, "app_name", &app) || br_aspects(c, "aspects", aspects, 16, &n, &scratch) ||
          br_random(c, priv, sizeof priv) ||
          br_check(c, rns_identity_from_private(&id, priv), "identity");
    if (!ret) {
        dp.identity = id, dp.app_name = app, dp.aspects = aspects, dp.n_aspects = n;
        dp.app_data = has_app_data ? (app_data->p ? app_data->p : (const uint8_t *)"") : NULL;
        dp.app_data_len = app_data->len;
        ret = br_check(c, rns_transport_register(core(pr), &dp, ls->dest), "register") ||
              dest_enable_ratchets_param(c, pr, ls->dest) ||
              br_check(c, rns_transport_announce(core(pr), ls->dest, rns_node_now()), "announce");
    }
    if (!ret) {
        memcpy(ls->identity_hash, rns_identity_hash(id), RNS_HASHLEN);
        memcpy(ls->public_key, rns_identity_public_key(id), RNS_KEYSIZE);
        ls->opportunistic = json_array();
        ls->link_data = json_array();
        pr->n_listeners++;
        rns_node_kick(pr->node);
        ret = br_set_hex(c, "destination_hash", ls->dest, RNS_HASHLEN) ||
              br_set_hex(c, "identity_hash", ls->identity_hash, RNS_HASHLEN) ||
              br_set_hex(c, "public_key", ls->public_key, RNS_KEYSIZE) ||
              dest_ratchet_result(c, pr, ls->dest);
    }
    ml_wipe(priv, sizeof priv);
    rns_identity_free(id);
    ml_buf_free(&scratch);
    return ret;
}

static int cmd_wire_listen(br_ctx *c)
{
    const char *proof = "none";
    ml_buf none = ML_BUF_INIT;
    peer *pr;

    if (peer_param(c, &pr))
        return -1;
    if (br_param(c, "proof_strategy") && br_str(c, "proof_strategy", &proof))
        return -1;
    if (strcmp(proof, "all") && strcmp(proof, "none"))
        return br_fail(c, "Unsupported proof_strategy=%s; expected none or all", proof);
    if (make_destination(c, pr, strcmp(proof, "all") ? RNS_PROVE_NONE : RNS_PROVE_ALL, &none, 0))
        return -1;
    return resource_listen(c, pr, pr->listeners[pr->n_listeners - 1].dest) ||
           channel_listen(c, pr, pr->listeners[pr->n_listeners - 1].dest);
}

/* app_data: hex; empty means none unless app_data_empty asks for b"". */
static int cmd_wire_announce(br_ctx *c)
{
    ml_buf app = ML_BUF_INIT;
    int has, empty, ret;
    peer *pr;

    if (peer_param(c, &pr))
        return -1;
    ret = br_hex_opt(c, "app_data", &app, &has) || br_bool(c, "app_data_empty", 0, &empty) ||
          make_destination(c, pr, RNS_PROVE_NONE, &app, app.len > 0 || empty);
    ml_buf_free(&app);
    return ret;
}

/* Announces one of this peer's destinations again, with new app data (or
 * none), as Destination.announce(app_data=...) does. */
static int cmd_wire_reannounce(br_ctx *c)
{
    uint8_t dest[RNS_HASHLEN];
    ml_buf app = ML_BUF_INIT;
    peer *pr;
    int ret = peer_param(c, &pr) || br_hex_fixed(c, "destination_hash", dest, RNS_HASHLEN) ||
              br_hex_opt(c, "app_data", &app, &(int){0});

    if (!ret && !find_listener(pr, dest))
        ret = br_fail(c, "No registered destination with this hash on this handle");
    if (!ret)
        ret = dest_backdate_rotation(c, pr, dest) ||
              br_check(c, rns_transport_set_app_data(core(pr), dest, app.len ? app.p : NULL,
                                                     app.len), "app data") ||
              br_check(c, rns_transport_announce(core(pr), dest, rns_node_now()), "announce");
    if (!ret) {
        rns_node_kick(pr->node);
        ret = br_set_bool(c, "announced", 1) || dest_current_ratchet(c, pr, dest);
    }
    ml_buf_free(&app);
    return ret;
}

/* ---- paths and identities ------------------------------------------------------------------ */

static int has_path(peer *pr, const void *dest)
{
    return rns_transport_has_path(core(pr), dest, rns_node_now(), NULL);
}

int dest_param(br_ctx *c, uint8_t dest[RNS_HASHLEN])
{
    return br_hex_fixed(c, "destination_hash", dest, RNS_HASHLEN);
}

static int cmd_wire_poll_path(br_ctx *c)
{
    uint8_t dest[RNS_HASHLEN];
    long long timeout;
    unsigned hops = 0;
    peer *pr;

    if (peer_param(c, &pr) || dest_param(c, dest) || br_int(c, "timeout_ms", 5000, &timeout))
        return -1;
    wait_until(has_path, pr, dest, timeout);
    if (!rns_transport_has_path(core(pr), dest, rns_node_now(), &hops))
        return br_set_bool(c, "found", 0) || br_set_null(c, "hops");
    return br_set_bool(c, "found", 1) || br_set_int(c, "hops", hops);
}

static int cmd_wire_request_path(br_ctx *c)
{
    uint8_t dest[RNS_HASHLEN];
    peer *pr;

    if (peer_param(c, &pr) || dest_param(c, dest) ||
        br_check(c, rns_transport_request_path(core(pr), dest, rns_node_now()), "path request"))
        return -1;
    rns_node_kick(pr->node);
    return br_set_bool(c, "sent", 1);
}

static const heard *find_heard(const peer *pr, const uint8_t *hash, int by_identity)
{
    for (size_t i = pr->n_heard; i-- > 0;)
        if (memcmp(by_identity ? pr->heard[i].identity_hash : pr->heard[i].dest, hash,
                   RNS_HASHLEN) == 0)
            return &pr->heard[i];
    return NULL;
}

/* The core's path table entry (times in ms, as the reference bridge gives them). */
static int cmd_wire_read_path_entry(br_ctx *c)
{
    uint8_t dest[RNS_HASHLEN];
    rns_path_entry e;
    peer *pr;

    if (peer_param(c, &pr) || dest_param(c, dest))
        return -1;
    if (rns_transport_path_entry(core(pr), dest, rns_node_now(), &e))
        return br_set_bool(c, "found", 0);
    return br_set_bool(c, "found", 1) || br_set_int(c, "hops", e.hops) ||
           br_set_int(c, "timestamp", (long long)(e.timestamp * 1000.0)) ||
           br_set_int(c, "expires", (long long)(e.expires * 1000.0)) ||
           br_set_hex(c, "next_hop", e.next_hop, RNS_HASHLEN) ||
           br_set_str(c, "receiving_interface_name", e.iface_name);
}

/* Identity.recall: announces heard (by destination, or by identity hash
 * through the announces this peer saw), then this peer's own destinations. */
static int recall(peer *pr, const uint8_t *hash, int by_identity, uint8_t pub[RNS_KEYSIZE],
                  const uint8_t **app, size_t *app_len)
{
    const heard *h = by_identity ? find_heard(pr, hash, 1) : NULL;
    const uint8_t *dest = h ? h->dest : hash;

    if ((!by_identity || h) && rns_transport_recall(core(pr), dest, pub, app, app_len) == 0)
        return 1;
    for (size_t i = 0; i < pr->n_listeners; i++) {
        const listener *ls = &pr->listeners[i];
        if (memcmp(by_identity ? ls->identity_hash : ls->dest, hash, RNS_HASHLEN) == 0) {
            memcpy(pub, ls->public_key, RNS_KEYSIZE);
            *app = NULL;
            return 1;
        }
    }
    return 0;
}

typedef struct recall_arg {
    const uint8_t *hash;
    int by_identity;
} recall_arg;

static int recalled(peer *pr, const void *arg)
{
    const recall_arg *ra = arg;
    uint8_t pub[RNS_KEYSIZE];
    const uint8_t *app;
    size_t len;

    return recall(pr, ra->hash, ra->by_identity, pub, &app, &len);
}

static int cmd_wire_identity_recall(br_ctx *c)
{
    uint8_t hash[RNS_HASHLEN], pub[RNS_KEYSIZE], ih[RNS_HASHLEN];
    const uint8_t *app = NULL;
    size_t app_len = 0;
    long long timeout;
    recall_arg ra = {hash, 0};
    peer *pr;

    if (peer_param(c, &pr) || dest_param(c, hash) || br_int(c, "timeout_ms", 0, &timeout) ||
        br_bool(c, "from_identity_hash", 0, &ra.by_identity))
        return -1;
    wait_until(recalled, pr, &ra, timeout);
    if (!recall(pr, hash, ra.by_identity, pub, &app, &app_len))
        return br_set_bool(c, "found", 0) || br_set_null(c, "app_data");
    rns_identity_hash_of(ih, pub);
    return br_set_bool(c, "found", 1) || br_set_hex(c, "public_key", pub, RNS_KEYSIZE) ||
           br_set_hex(c, "hash", ih, RNS_HASHLEN) ||
           (app ? br_set_hex(c, "app_data", app, app_len) : br_set_null(c, "app_data"));
}

/* ---- opportunistic packets, proofs and receipts -------------------------------------------- */

static int receipt_settled(peer *pr, const void *arg)
{
    const receipt *r = &pr->receipts[*(const size_t *)arg];
    return r->state != 0;
}

/* Sends one encrypted DATA packet to a known SINGLE destination and opens
 * a receipt for it. *slot: the receipt; 0, or nonzero with c->err set. A
 * packet the core cannot send is reported as *sent = 0. */
int send_single(br_ctx *c, peer *pr, size_t *slot, int *sent)
{
    uint8_t dest[RNS_HASHLEN];
    ml_buf data = ML_BUF_INIT;
    int rc, ret = dest_param(c, dest) || br_hex_opt(c, "data", &data, &(int){0});

    *sent = 0;
    if (ret)
        goto out;
    if (pr->n_receipts == MAX_RECEIPTS)
        memmove(&pr->receipts[0], &pr->receipts[1], sizeof pr->receipts[0] * --pr->n_receipts);
    *slot = pr->n_receipts;
    rc = rns_transport_send(core(pr), dest, data.p, data.len, rns_node_now(),
                            pr->receipts[*slot].packet_hash);
    if (rc == ML_ENOTFOUND)
        ret = br_fail(c, "No identity known for this destination; ensure an announce for it "
                         "was received first");
    if (rc)
        goto out;
    memcpy(pr->receipts[*slot].dest, dest, RNS_HASHLEN);
    pr->receipts[*slot].proof_raw_len = 0;
    pr->receipts[pr->n_receipts++].state = 0;
    rns_node_kick(pr->node);
    *sent = 1;
out:
    ml_buf_free(&data);
    return ret;
}

/* Sends and waits for the delivery proof. */
static int cmd_wire_send_opportunistic(br_ctx *c)
{
    long long timeout;
    size_t slot = 0;
    int sent;
    peer *pr;

    if (peer_param(c, &pr) || br_int(c, "timeout_ms", 5000, &timeout) ||
        send_single(c, pr, &slot, &sent))
        return -1;
    if (!sent)
        return br_set_bool(c, "sent", 0) || br_set_bool(c, "delivered", 0) ||
               br_set_str(c, "status", "send_failed");
    wait_until(receipt_settled, pr, &slot, timeout);
    return br_set_bool(c, "sent", 1) || br_set_bool(c, "delivered", pr->receipts[slot].state == 1) ||
           br_set_str(c, "status", pr->receipts[slot].state == 1 ? "delivered" : "timeout");
}

/* Sends without waiting; the receipt is named by the packet hash. */
static int cmd_wire_send_packet(br_ctx *c)
{
    uint8_t dest[RNS_HASHLEN];
    size_t slot = 0;
    unsigned hops = 0;
    int sent;
    peer *pr;

    if (peer_param(c, &pr) || dest_param(c, dest) || send_single(c, pr, &slot, &sent))
        return -1;
    if (!sent)
        return br_set_bool(c, "sent", 0) || br_set_null(c, "receipt_id") || br_set_null(c, "hops");
    rns_transport_has_path(core(pr), dest, rns_node_now(), &hops);
    return br_set_bool(c, "sent", 1) ||
           br_set_hex(c, "receipt_id", pr->receipts[slot].packet_hash, RNS_FULL_HASHLEN) ||
           br_set_int(c, "hops", hops);
}

/* A receipt's state, numbered as the reference numbers them. */
static int cmd_wire_packet_receipt_status(br_ctx *c)
{
    static const struct {
        int num;
        const char *name;
    } states[] = {{1, "SENT"}, {2, "DELIVERED"}, {0, "FAILED"}, {0xFF, "CULLED"}};
    uint8_t h[RNS_FULL_HASHLEN];
    long long timeout;
    size_t slot;
    peer *pr;
    int st;

    if (peer_param(c, &pr) || br_hex_fixed(c, "receipt_id", h, sizeof h) ||
        br_int(c, "timeout_ms", 0, &timeout))
        return -1;
    for (slot = 0; slot < pr->n_receipts; slot++)
        if (!memcmp(pr->receipts[slot].packet_hash, h, sizeof h))
            break;
    if (slot == pr->n_receipts)
        return br_fail(c, "Unknown receipt_id");
    wait_until(receipt_settled, pr, &slot, timeout);
    st = pr->receipts[slot].state;
    return br_set_int(c, "status", states[st].num) || br_set_str(c, "status_name", states[st].name) ||
           br_set_bool(c, "delivered", st == 1) || br_set_bool(c, "proved", st == 1);
}

static int has_items(peer *pr, const void *arg)
{
    (void)pr;
    return json_array_size((json_t *)(uintptr_t)arg) > 0;
}

/* Drains a listener's buffer, waiting up to timeout_ms for the first item. */
static int drain(br_ctx *c, int links)
{
    uint8_t dest[RNS_HASHLEN];
    long long timeout;
    listener *ls;
    json_t *buf;
    peer *pr;

    if (peer_param(c, &pr) || dest_param(c, dest) || br_int(c, "timeout_ms", 5000, &timeout))
        return -1;
    if (!(ls = find_listener(pr, dest)))
        return br_fail(c, "No listener registered for this destination_hash");
    buf = links ? ls->link_data : ls->opportunistic;
    wait_until(has_items, pr, buf, timeout);
    if (br_set(c, "packets", json_deep_copy(buf)))
        return -1;
    json_array_clear(buf);
    return 0;
}

static int cmd_wire_opportunistic_poll(br_ctx *c) { return drain(c, 0); }

/* ---- links ------------------------------------------------------------------------------------- */

static int link_settled(peer *pr, const void *id)
{
    const wlink *l = find_link(pr, id);
    return l && l->state >= RNS_LINK_ACTIVE;
}

static int cmd_wire_link_open(br_ctx *c)
{
    uint8_t dest[RNS_HASHLEN], id[RNS_HASHLEN];
    long long timeout;
    const wlink *l;
    peer *pr;

    if (peer_param(c, &pr) || dest_param(c, dest) || br_int(c, "timeout_ms", 10000, &timeout))
        return -1;
    if (br_check(c, rns_transport_link_open(core(pr), dest, rns_node_now(), id), "link open"))
        return -1;
    rns_node_kick(pr->node);
    wait_until(link_settled, pr, id, timeout);
    l = find_link(pr, id);
    if (!l || l->state != RNS_LINK_ACTIVE)
        return br_fail(c, "Link to %s was not established within %lld ms",
                       "the destination", timeout);
    return br_set_hex(c, "link_id", id, RNS_HASHLEN) || br_set_str(c, "status", "active");
}

int link_param(br_ctx *c, peer **pr, rns_link **l, uint8_t id[RNS_HASHLEN])
{
    if (peer_param(c, pr) || br_hex_fixed(c, "link_id", id, RNS_HASHLEN))
        return -1;
    if (!(*l = rns_transport_link(core(*pr), id)))
        return br_fail(c, "Unknown link_id");
    return 0;
}

static int cmd_wire_link_send(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN];
    ml_buf data = ML_BUF_INIT;
    rns_link *l;
    peer *pr;
    int ret = link_param(c, &pr, &l, id) || br_hex_opt(c, "data", &data, &(int){0}) ||
              br_check(c, rns_link_send(l, RNS_CTX_NONE, data.p, data.len, rns_node_now(), NULL),
                       "link send") ||
              br_check(c, rns_transport_flush(core(pr), rns_node_now()), "flush");

    if (!ret)
        rns_node_kick(pr->node);
    ml_buf_free(&data);
    return ret || br_set_bool(c, "sent", 1);
}

static int cmd_wire_link_poll(br_ctx *c) { return drain(c, 1); }

static int cmd_wire_link_close(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN];
    rns_link *l;
    peer *pr;

    if (link_param(c, &pr, &l, id) || br_check(c, rns_link_close(l, rns_node_now()), "close") ||
        br_check(c, rns_transport_flush(core(pr), rns_node_now()), "flush"))
        return -1;
    rns_node_kick(pr->node);
    return br_set_bool(c, "closed", 1);
}

/* The access code the peer's interface puts on packet_data. With a 64-byte
 * code the library's outbound IFAC carries the whole Ed25519 signature
 * (unmasked, after the two header bytes); the tag is its tail. */
static int cmd_wire_ifac_compute(br_ctx *c)
{
    ml_buf pkt = ML_BUF_INIT, out = ML_BUF_INIT;
    uint8_t key[RNS_IFAC_KEY_LEN];
    rns_ifac *full = NULL;
    long long size;
    peer *pr;
    int ret = peer_param(c, &pr) || br_hex(c, "packet_data", &pkt);

    if (!ret)
        ret = br_int(c, "ifac_size", (long long)pr->ifac_size, &size);
    if (!ret && !pr->network_name && !pr->passphrase)
        ret = br_fail(c, "No IFAC-configured interface on this handle");
    if (!ret && (size < RNS_IFAC_MIN_SIZE || size > RNS_IFAC_MAX_SIZE || pkt.len < 2))
        ret = br_fail(c, "ifac_size must be 1..64 and packet_data at least 2 bytes");
    if (!ret)
        ret = br_check(c, rns_ifac_new(&full, pr->network_name, pr->passphrase, RNS_IFAC_MAX_SIZE),
                       "ifac") ||
              br_check(c, rns_ifac_outbound(full, &out, pkt.p, pkt.len), "ifac outbound");
    if (!ret) {
        rns_ifac_key(full, key);
        ret = br_set_hex(c, "ifac_key", key, sizeof key) || br_set_int(c, "ifac_size", size) ||
              br_set_hex(c, "signature", out.p + 2, RNS_SIGLEN) ||
              br_set_hex(c, "ifac", out.p + 2 + RNS_SIGLEN - size, (size_t)size);
        ml_wipe(key, sizeof key);
    }
    rns_ifac_free(full);
    ml_buf_free(&pkt);
    ml_buf_free(&out);
    return ret;
}

/* Milliseconds since a watchdog time, or null when it never happened. */
static int set_ago_ms(br_ctx *c, const char *key, double when)
{
    double ago = rns_node_now() - when;

    if (when <= 0)
        return br_set_null(c, key);
    return br_set_int(c, key, (long long)((ago > 0 ? ago : 0) * 1000.0));
}

/* The lifecycle snapshot the suite reads, numbered as the reference numbers
 * link states and teardown reasons (the same order as rns_link.h); the
 * watchdog's times come from the link (rns_link_get_timers). As the
 * reference's get_mtu()/get_mdu(), MTU and MDU are reported only while the
 * link is ACTIVE. */
static int set_link_status(br_ctx *c, peer *pr, wlink *l)
{
    static const char *const states[] = {"PENDING", "HANDSHAKE", "ACTIVE", "STALE", "CLOSED"};
    static const char *const reasons[] = {NULL, "TIMEOUT", "INITIATOR_CLOSED",
                                          "DESTINATION_CLOSED"};
    int active;

    snapshot(pr, l);
    active = l->state == RNS_LINK_ACTIVE;
    return br_set_int(c, "status", l->state) || br_set_str(c, "status_name", states[l->state]) ||
           (l->reason ? br_set_int(c, "teardown_reason", l->reason) ||
                            br_set_str(c, "teardown_reason_name", reasons[l->reason])
                      : br_set_null(c, "teardown_reason") ||
                            br_set_null(c, "teardown_reason_name")) ||
           set_ago_ms(c, "no_inbound_for_ms", l->timers.last_inbound) ||
           set_ago_ms(c, "last_keepalive_ago_ms", l->timers.last_keepalive) ||
           br_set(c, "keepalive_s", json_real(l->keepalive)) ||
           br_set(c, "stale_time_s", json_real(l->timers.stale_time)) ||
           br_set(c, "rtt", json_real(l->rtt)) ||
           (active ? br_set_int(c, "mtu", l->mtu) : br_set_null(c, "mtu")) ||
           (active ? br_set_int(c, "mdu", (long long)l->mdu) : br_set_null(c, "mdu")) ||
           br_set_int(c, "mode", RNS_LINK_MODE_AES256_CBC) ||
           (l->identified ? br_set_hex(c, "remote_identity_hash", l->remote_hash, RNS_HASHLEN)
                          : br_set_null(c, "remote_identity_hash")) ||
           br_set_bool(c, "remote_identified", l->identified && !l->initiator);
}

int wlink_param(br_ctx *c, peer **pr, wlink **l)
{
    uint8_t id[RNS_HASHLEN];

    if (peer_param(c, pr) || br_hex_fixed(c, "link_id", id, RNS_HASHLEN))
        return -1;
    if (!(*l = find_link(*pr, id)))
        return br_fail(c, "Unknown link_id");
    return 0;
}

static int cmd_wire_link_status(br_ctx *c)
{
    peer *pr;
    wlink *l;

    return wlink_param(c, &pr, &l) || set_link_status(c, pr, l);
}

typedef struct await_arg {
    const uint8_t *id;
    int target;
} await_arg;

static int reached(peer *pr, const void *arg)
{
    const await_arg *a = arg;
    wlink *l = find_link(pr, a->id);

    if (l)
        snapshot(pr, l);
    return l && l->state >= a->target;
}

/* Waits until the link's state is at least target_status (name or number). */
static int cmd_wire_link_await_status(br_ctx *c)
{
    static const char *const states[] = {"PENDING", "HANDSHAKE", "ACTIVE", "STALE", "CLOSED"};
    json_t *t = br_param(c, "target_status");
    long long timeout;
    await_arg a = {NULL, -1};
    peer *pr;
    wlink *l;

    if (wlink_param(c, &pr, &l) || br_int(c, "timeout_ms", 15000, &timeout))
        return -1;
    for (int i = 0; i < 5 && json_is_string(t); i++)
        if (strcasecmp(json_string_value(t), states[i]) == 0)
            a.target = i;
    if (json_is_integer(t))
        a.target = (int)json_integer_value(t);
    if (a.target < 0 || a.target > 4)
        return br_fail(c, "Unknown target_status");
    a.id = l->id;
    wait_until(reached, pr, &a, timeout);
    return set_link_status(c, pr, l) || br_set_bool(c, "reached", l->state >= a.target);
}

static int inbound_link(peer *pr, const void *dest)
{
    for (size_t i = 0; i < pr->n_links; i++)
        if (!pr->links[i].initiator && !memcmp(pr->links[i].dest, dest, RNS_HASHLEN))
            return 1;
    return 0;
}

/* The most recent link a listening destination accepted. */
static int cmd_wire_listener_link_status(br_ctx *c)
{
    uint8_t dest[RNS_HASHLEN];
    long long timeout;
    wlink *last = NULL;
    size_t count = 0;
    peer *pr;

    if (peer_param(c, &pr) || dest_param(c, dest) || br_int(c, "timeout_ms", 0, &timeout))
        return -1;
    if (!find_listener(pr, dest))
        return br_fail(c, "No listener registered for this destination_hash");
    wait_until(inbound_link, pr, dest, timeout);
    for (size_t i = 0; i < pr->n_links; i++)
        if (!pr->links[i].initiator && !memcmp(pr->links[i].dest, dest, RNS_HASHLEN))
            last = &pr->links[i], count++;
    if (!last)
        return br_set_bool(c, "found", 0) || br_set_int(c, "link_count", 0);
    return set_link_status(c, pr, last) || br_set_bool(c, "found", 1) ||
           br_set_int(c, "link_count", (long long)count);
}

/* Initiator only: reveals an identity (from its private key) to the peer. */
static int cmd_wire_link_identify(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN], priv[RNS_KEYSIZE];
    rns_identity *who = NULL;
    rns_link *l;
    peer *pr;
    int ret = link_param(c, &pr, &l, id) || br_hex_fixed(c, "private_key", priv, sizeof priv) ||
              br_check(c, rns_identity_from_private(&who, priv), "identity") ||
              br_check(c, rns_link_identify(l, who, rns_node_now()), "identify") ||
              br_check(c, rns_transport_flush(core(pr), rns_node_now()), "flush");

    if (!ret) {
        rns_node_kick(pr->node);
        ret = br_set_bool(c, "identified", 1) ||
              br_set_hex(c, "identity_hash", rns_identity_hash(who), RNS_HASHLEN);
    }
    ml_wipe(priv, sizeof priv);
    rns_identity_free(who);
    return ret;
}

/* A handler on one of this peer's destinations answering `path` with fixed
 * bytes (or nil), for every requester or only listed identities. */
static int cmd_wire_register_request_handler(br_ctx *c)
{
    static const char *const policies[] = {"all", "list", "none"};
    uint8_t dest[RNS_HASHLEN];
    const char *path, *allow = "all";
    json_t *list = NULL;
    handler *h;
    peer *pr;
    int pol;

    if (peer_param(c, &pr) || dest_param(c, dest) || br_str(c, "path", &path))
        return -1;
    if (br_param(c, "allow") && br_str(c, "allow", &allow))
        return -1;
    for (pol = 0; pol < 3 && strcmp(allow, policies[pol]); pol++)
        ;
    if (pol == 3)
        return br_fail(c, "unsupported allow: %s (use all, list or none)", allow);
    if (!find_listener(pr, dest))
        return br_fail(c, "No registered destination with this hash; call wire_listen first");
    if (!*path)
        return br_fail(c, "Invalid path specified");
    if (pr->n_handlers == MAX_HANDLERS)
        return br_fail(c, "too many request handlers (max %d)", MAX_HANDLERS);
    list = br_param(c, "allowed_identity_hashes");
    h = &pr->handlers[pr->n_handlers];
    memset(h, 0, sizeof *h);
    if (br_param(c, "response_file")) { /* a file, with optional metadata (bytes) */
        ml_buf m = ML_BUF_INIT;
        int r = br_hex(c, "response_file", &h->response) ||
                br_hex_opt(c, "response_metadata", &m, &h->has_meta) ||
                (h->has_meta && br_check(c, rns_mp_put_bin(&h->meta, m.p, m.len), "metadata"));
        ml_buf_free(&m);
        h->file = 1;
        if (r)
            return ml_buf_free(&h->response), ml_buf_free(&h->meta), -1;
    } else if (br_hex_opt(c, "response", &h->response, &(int){0}) ||
               br_bool(c, "response_none", 0, &h->response_none)) {
        return ml_buf_free(&h->response), -1;
    }
    memcpy(h->dest, dest, RNS_HASHLEN);
    rns_truncated_hash(h->path_hash, path, strlen(path)); /* how requests name paths */
    h->path = strdup(path);
    h->allow = pol;
    h->allowed = json_is_array(list) ? json_deep_copy(list) : json_array();
    h->log = json_array();
    if (!h->path) {
        json_decref(h->allowed), json_decref(h->log), ml_buf_free(&h->response);
        ml_buf_free(&h->meta);
        return br_fail(c, "out of memory");
    }
    pr->n_handlers++;
    return br_set_bool(c, "registered", 1);
}

/* The handler the request names by handle, destination_hash and path;
 * *h is NULL if there is none. */
static int handler_param(br_ctx *c, handler **h)
{
    uint8_t dest[RNS_HASHLEN], ph[RNS_HASHLEN];
    const char *path;
    peer *pr;

    if (peer_param(c, &pr) || dest_param(c, dest) || br_str(c, "path", &path))
        return -1;
    rns_truncated_hash(ph, path, strlen(path));
    *h = find_handler(pr, dest, ph);
    return 0;
}

static int cmd_wire_get_request_log(br_ctx *c)
{
    handler *h;

    if (handler_param(c, &h))
        return -1;
    if (!h)
        return br_set_int(c, "count", 0) || br_set(c, "entries", json_array());
    return br_set_int(c, "count", (long long)json_array_size(h->log)) ||
           br_set(c, "entries", json_deep_copy(h->log));
}

/* Removes a handler: later requests for its path go unanswered. The log
 * stays readable. */
static int cmd_wire_deregister_request_handler(br_ctx *c)
{
    handler *h;

    if (handler_param(c, &h))
        return -1;
    if (h)
        h->allow = 2; /* answers nobody, as an unregistered path */
    return br_set_bool(c, "deregistered", h != NULL);
}

static int request_answered(peer *pr, const void *arg)
{
    return pr->requests[*(const size_t *)arg].state != 0;
}

/* Sends a request over an outbound link and waits for the response. */
static int cmd_wire_link_request(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN];
    ml_buf data = ML_BUF_INIT, mp = ML_BUF_INIT;
    const char *path;
    long long timeout;
    int has_data, ret;
    size_t slot;
    request *q;
    rns_link *l;
    peer *pr;

    ret = link_param(c, &pr, &l, id) || br_str(c, "path", &path) ||
          br_hex_opt(c, "data", &data, &has_data) || br_int(c, "timeout_ms", 10000, &timeout);
    if (!ret && pr->n_requests == MAX_REQUESTS)
        ret = br_fail(c, "too many requests on one peer (max %d)", MAX_REQUESTS);
    if (!ret)
        ret = br_check(c, data.len ? rns_mp_put_bin(&mp, data.p, data.len) : rns_mp_put_nil(&mp),
                       "request data");
    if (ret)
        goto out;
    slot = pr->n_requests;
    q = &pr->requests[slot];
    memset(q, 0, sizeof *q);
    q->sent = rns_node_now();
    (void)l; /* larger than the link MDU: the request goes as a resource */
    if ((ret = br_check(c, rns_transport_link_request(core(pr), id, path, mp.p, mp.len, q->sent,
                                                      q->id), "request") ||
               br_check(c, rns_transport_flush(core(pr), q->sent), "flush")))
        goto out;
    pr->n_requests++;
    rns_node_kick(pr->node);
    wait_until(request_answered, pr, &slot, timeout);
    q = &pr->requests[slot];
    if (!q->state)
        ret = br_set_str(c, "status", "timeout") || br_set_null(c, "response") ||
              br_set_null(c, "response_metadata");
    else
        ret = br_set_str(c, "status", "ready") ||
              (q->has_response ? br_set_buf(c, "response", &q->response)
                               : br_set_null(c, "response")) ||
              (q->has_metadata ? br_set_buf(c, "response_metadata", &q->metadata)
                               : br_set_null(c, "response_metadata")) ||
              br_set(c, "response_time_s", json_real(q->answered - q->sent));
out:
    ml_buf_free(&data);
    ml_buf_free(&mp);
    return ret;
}

/* A client of a shared instance (a reference master's TCP shared port). */
static int cmd_wire_start_local_client(br_ctx *c)
{
    rns_iface_opts o = {0};
    long long port;
    peer *pr;

    if (br_int(c, "shared_instance_port", 0, &port))
        return -1;
    if (port <= 0 || port > 65535)
        return br_fail(c, "wire_start_local_client requires shared_instance_port");
    if (peer_new(c, &pr))
        return -1;
    if (br_check(c, rns_node_add_shared(pr->node, NULL, (uint16_t)port, &o, &pr->iface_id),
                 "shared instance")) {
        peer_drop(pr);
        return -1;
    }
    wait_until(iface_is_up, pr, NULL, 5000);
    if (!iface_is_up(pr, NULL)) {
        peer_drop(pr);
        return br_fail(c, "could not attach to the shared instance on port %lld", port);
    }
    pr->local_client = 1;
    return br_set_str(c, "handle", pr->handle) ||
           br_set_hex(c, "identity_hash", rns_transport_id(core(pr)), RNS_HASHLEN);
}

/* The interface's IFAC identifier: the IFAC identity's signature over
 * SHA-256(ifac key), taken from the library's outbound IFAC with a 64-byte
 * code over those 32 bytes (see wire_ifac_compute). */
static int cmd_wire_ifac_signature(br_ctx *c)
{
    uint8_t key[RNS_IFAC_KEY_LEN], kh[32];
    ml_buf out = ML_BUF_INIT;
    rns_ifac *full = NULL;
    peer *pr;
    int ret = peer_param(c, &pr);

    if (!ret && !pr->network_name && !pr->passphrase)
        ret = br_fail(c, "No IFAC-configured interface on this handle");
    if (!ret)
        ret = br_check(c, rns_ifac_new(&full, pr->network_name, pr->passphrase, RNS_IFAC_MAX_SIZE),
                       "ifac");
    if (!ret) {
        rns_ifac_key(full, key);
        ml_sha256(kh, key, sizeof key);
        ret = br_check(c, rns_ifac_outbound(full, &out, kh, sizeof kh), "ifac outbound") ||
              br_set_hex(c, "ifac_signature", out.p + 2, RNS_SIGLEN) ||
              br_set_hex(c, "ifac_key", key, sizeof key) ||
              br_set_int(c, "ifac_size", (long long)pr->ifac_size) ||
              br_set_int(c, "default_ifac_size", RNS_IFAC_SIZE_DEFAULT);
        ml_wipe(key, sizeof key);
    }
    rns_ifac_free(full);
    ml_buf_free(&out);
    return ret;
}

/* ---- GROUP destinations and key material ------------------------------------------------- */

static int cmd_wire_group_create(br_ctx *c)
{
    const char *app, *aspects[16];
    ml_buf scratch = ML_BUF_INIT, key = ML_BUF_INIT;
    int has_key, ret;
    size_t n = 0;
    group *g;
    peer *pr;

    if (peer_param(c, &pr))
        return -1;
    if (pr->n_groups == MAX_GROUPS)
        return br_fail(c, "too many GROUP destinations (max %d)", MAX_GROUPS);
    g = &pr->groups[pr->n_groups];
    ret = br_str(c, "app_name", &app) ||
          br_aspects(c, "aspects", aspects, 16, &n, &scratch) ||
          br_hex_opt(c, "key", &key, &has_key);
    if (!ret && has_key && key.len != sizeof g->key)
        ret = br_fail(c, "a GROUP key is 64 bytes (AES-256 token), got %zu", key.len);
    if (!ret) {
        ret = br_check(c, rns_destination_hash_for(g->dest, NULL, RNS_DEST_GROUP, app, aspects, n,
                                                   NULL), "destination") ||
              (has_key ? (memcpy(g->key, key.p, sizeof g->key), 0)
                       : br_random(c, g->key, sizeof g->key));
    }
    if (!ret) {
        pr->n_groups++;
        ret = br_set_hex(c, "destination_hash", g->dest, RNS_HASHLEN) ||
              br_set_hex(c, "key", g->key, sizeof g->key);
    }
    ml_wipe(key.p, key.len);
    ml_buf_free(&key);
    ml_buf_free(&scratch);
    return ret;
}

static int group_param(br_ctx *c, peer **pr, group **g)
{
    uint8_t dest[RNS_HASHLEN];

    if (peer_param(c, pr) || dest_param(c, dest))
        return -1;
    for (size_t i = 0; i < (*pr)->n_groups; i++)
        if (!memcmp((*pr)->groups[i].dest, dest, RNS_HASHLEN)) {
            *g = &(*pr)->groups[i];
            return 0;
        }
    return br_fail(c, "No GROUP destination with this hash on this handle");
}

static int cmd_wire_group_encrypt(br_ctx *c)
{
    ml_buf pt = ML_BUF_INIT, ct = ML_BUF_INIT;
    group *g;
    peer *pr;
    int ret = group_param(c, &pr, &g) || br_hex_opt(c, "plaintext", &pt, &(int){0}) ||
              br_check(c, ml_token_encrypt(&ct, g->key, NULL, pt.p, pt.len), "encrypt") ||
              br_set_buf(c, "ciphertext", &ct);

    ml_buf_free(&pt);
    ml_buf_free(&ct);
    return ret;
}

/* A token that does not open with this key is "not decrypted", not an error. */
static int cmd_wire_group_decrypt(br_ctx *c)
{
    ml_buf ct = ML_BUF_INIT, pt = ML_BUF_INIT;
    group *g;
    peer *pr;
    int ret = group_param(c, &pr, &g) || br_hex_opt(c, "ciphertext", &ct, &(int){0});

    if (!ret && ml_token_decrypt(&pt, g->key, ct.p, ct.len) != 0)
        ret = br_set_null(c, "plaintext") || br_set_bool(c, "decrypted", 0);
    else if (!ret)
        ret = br_set_buf(c, "plaintext", &pt) || br_set_bool(c, "decrypted", 1);
    ml_wipe(pt.p, pt.len);
    ml_buf_free(&pt);
    ml_buf_free(&ct);
    return ret;
}

/* A fresh identity: 64 random bytes through the library. */
static int cmd_wire_identity_keypair(br_ctx *c)
{
    uint8_t priv[RNS_KEYSIZE];
    rns_identity *id = NULL;
    int ret = br_random(c, priv, sizeof priv) ||
              br_check(c, rns_identity_from_private(&id, priv), "identity") ||
              br_set_hex(c, "private_key", priv, sizeof priv) ||
              br_set_hex(c, "public_key", rns_identity_public_key(id), RNS_KEYSIZE) ||
              br_set_hex(c, "hash", rns_identity_hash(id), RNS_HASHLEN);

    ml_wipe(priv, sizeof priv);
    rns_identity_free(id);
    return ret;
}

static int cmd_wire_ratchet_keypair(br_ctx *c)
{
    uint8_t priv[32], pub[32];
    int ret = br_random(c, priv, sizeof priv) ||
              br_check(c, ml_x25519_public(pub, priv), "ratchet key") ||
              br_set_hex(c, "private_key", priv, sizeof priv) ||
              br_set_hex(c, "public_key", pub, sizeof pub);

    ml_wipe(priv, sizeof priv);
    return ret;
}

static int cmd_wire_link_mtu(br_ctx *c)
{
    static const char *const states[] = {"PENDING", "HANDSHAKE", "ACTIVE", "STALE", "CLOSED"};
    peer *pr;
    wlink *l;

    if (wlink_param(c, &pr, &l))
        return -1;
    snapshot(pr, l);
    return br_set_int(c, "mtu", l->mtu) || br_set_int(c, "mdu", (long long)l->mdu) ||
           br_set_int(c, "mode", RNS_LINK_MODE_AES256_CBC) || br_set_int(c, "status", l->state) ||
           br_set_str(c, "status_name", states[l->state]);
}

/* Link data with a receipt: the peer's explicit proof names the packet hash,
 * which is the receipt id (see wire_packet_receipt_status). */
static int cmd_wire_send_link_data(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN];
    ml_buf data = ML_BUF_INIT;
    receipt *r;
    rns_link *l;
    peer *pr;
    int ret = link_param(c, &pr, &l, id) || br_hex_opt(c, "data", &data, &(int){0});

    if (ret)
        goto out;
    if (pr->n_receipts == MAX_RECEIPTS)
        memmove(&pr->receipts[0], &pr->receipts[1], sizeof pr->receipts[0] * --pr->n_receipts);
    r = &pr->receipts[pr->n_receipts];
    if (rns_link_send(l, RNS_CTX_NONE, data.p, data.len, rns_node_now(), r->packet_hash) ||
        rns_transport_flush(core(pr), rns_node_now())) {
        ret = br_set_bool(c, "sent", 0) || br_set_null(c, "receipt_id");
        goto out;
    }
    r->state = 0;
    pr->n_receipts++;
    rns_node_kick(pr->node);
    ret = br_set_bool(c, "sent", 1) || br_set_hex(c, "receipt_id", r->packet_hash, RNS_FULL_HASHLEN);
out:
    ml_buf_free(&data);
    return ret;
}

/* Builds the proof packet of an adversarial variant for packet_hash: the
 * library's own proof, made with a throwaway identity (a forgery), then
 * damaged where the variant says; or a PROOF of a length no proof has. */
static int craft_proof(br_ctx *c, const char *variant, const uint8_t hash[RNS_FULL_HASHLEN],
                       ml_buf *raw)
{
    static const struct {
        const char *name;
        int explicit_proof;
        size_t random_len;       /* 0: a signed proof */
    } kinds[] = {
        {"forged_implicit", 0, 0},    {"forged_explicit", 1, 0},
        {"wrong_hash_explicit", 1, 0}, {"wrong_length_short", 0, 32},
        {"wrong_length_mid", 0, 65},  {"wrong_length_long", 0, 97},
    };
    uint8_t priv[RNS_KEYSIZE], junk[97];
    rns_identity *throwaway = NULL;
    rns_packet p = {.packet_type = RNS_PACKET_PROOF, .dest_type = RNS_DEST_SINGLE};
    size_t k;
    int ret;

    for (k = 0; k < sizeof kinds / sizeof kinds[0] && strcmp(kinds[k].name, variant); k++)
        ;
    if (k == sizeof kinds / sizeof kinds[0])
        return br_fail(c, "unknown proof variant: %s", variant);
    if (kinds[k].random_len) {
        memcpy(p.dest_hash, hash, RNS_HASHLEN);
        p.data = junk;
        p.data_len = kinds[k].random_len;
        return br_random(c, junk, sizeof junk) || br_check(c, rns_packet_pack(raw, &p), "pack");
    }
    ret = br_random(c, priv, sizeof priv) ||
          br_check(c, rns_identity_from_private(&throwaway, priv), "identity") ||
          br_check(c, rns_proof_make(raw, throwaway, hash, kinds[k].explicit_proof), "proof");
    /* an explicit proof naming another packet: its hash part replaced */
    if (!ret && strcmp(variant, "wrong_hash_explicit") == 0)
        ret = br_random(c, raw->p + RNS_HEADER_MINSIZE, RNS_FULL_HASHLEN);
    ml_wipe(priv, sizeof priv);
    rns_identity_free(throwaway);
    return ret;
}

/* Feeds a crafted proof for one of our receipts into the peer as if it had
 * arrived on its interface, and reports the library's verdict on it and the
 * receipt's state after the core has seen it. */
static int cmd_wire_inject_crafted_proof(br_ctx *c)
{
    static const char *const names[] = {"SENT", "DELIVERED", "FAILED", "CULLED"};
    static const int nums[] = {1, 2, 0, 0xFF};
    uint8_t h[RNS_FULL_HASHLEN], pub[RNS_KEYSIZE];
    ml_buf raw = ML_BUF_INIT;
    rns_identity *signer = NULL;
    const char *variant;
    rns_packet p;
    size_t slot;
    peer *pr;
    int ret = peer_param(c, &pr) || br_hex_fixed(c, "receipt_id", h, sizeof h) ||
              br_str(c, "variant", &variant), valid = 0, st;

    for (slot = 0; !ret && slot < pr->n_receipts; slot++)
        if (!memcmp(pr->receipts[slot].packet_hash, h, sizeof h))
            break;
    if (!ret && slot == pr->n_receipts)
        ret = br_fail(c, "Unknown receipt_id");
    if (!ret)
        ret = craft_proof(c, variant, h, &raw) ||
              br_check(c, rns_packet_unpack(&p, raw.p, raw.len), "unpack") ||
              br_check(c, rns_transport_recall(core(pr), pr->receipts[slot].dest, pub, NULL, NULL),
                       "recall") ||
              br_check(c, rns_identity_from_public(&signer, pub), "identity");
    if (ret)
        goto out;
    valid = rns_proof_validate(p.data, p.data_len, h, signer) == 0;
    if (pr->last_iface >= 0)
        rns_transport_inbound(core(pr), pr->last_iface, raw.p, raw.len, rns_node_now());
    rns_node_kick(pr->node);
    br_wire_pump(20);
    st = pr->receipts[slot].state;
    ret = br_set_str(c, "variant", variant) || br_set_bool(c, "validated", valid) ||
          br_set_int(c, "status", nums[st]) || br_set_str(c, "status_name", names[st]) ||
          br_set_bool(c, "proved", st == 1) || br_set_int(c, "proof_len", (long long)p.data_len);
out:
    rns_identity_free(signer);
    ml_buf_free(&raw);
    return ret;
}

const br_cmd br_wire_cmds[] = {
    {"wire_inject_crafted_proof", cmd_wire_inject_crafted_proof},
    {"wire_link_mtu", cmd_wire_link_mtu},
    {"wire_send_link_data", cmd_wire_send_link_data},
    {"wire_group_create", cmd_wire_group_create},
    {"wire_group_encrypt", cmd_wire_group_encrypt},
    {"wire_group_decrypt", cmd_wire_group_decrypt},
    {"wire_identity_keypair", cmd_wire_identity_keypair},
    {"wire_ratchet_keypair", cmd_wire_ratchet_keypair},
    {"wire_ifac_signature", cmd_wire_ifac_signature},
    {"wire_start_local_client", cmd_wire_start_local_client},
    {"wire_register_request_handler", cmd_wire_register_request_handler},
    {"wire_get_request_log", cmd_wire_get_request_log},
    {"wire_deregister_request_handler", cmd_wire_deregister_request_handler},
    {"wire_link_request", cmd_wire_link_request},
    {"wire_link_status", cmd_wire_link_status},
    {"wire_link_await_status", cmd_wire_link_await_status},
    {"wire_listener_link_status", cmd_wire_listener_link_status},
    {"wire_link_identify", cmd_wire_link_identify},
    {"wire_link_teardown", cmd_wire_link_close},
    {"wire_ifac_compute", cmd_wire_ifac_compute},
    {"wire_start_tcp_server", cmd_wire_start_tcp_server},
    {"wire_start_tcp_client", cmd_wire_start_tcp_client},
    {"wire_stop", cmd_wire_stop},
    {"wire_listen", cmd_wire_listen},
    {"wire_announce", cmd_wire_announce},
    {"wire_reannounce", cmd_wire_reannounce},
    {"wire_poll_path", cmd_wire_poll_path},
    {"wire_request_path", cmd_wire_request_path},
    {"wire_read_path_entry", cmd_wire_read_path_entry},
    {"wire_identity_recall", cmd_wire_identity_recall},
    {"wire_send_opportunistic", cmd_wire_send_opportunistic},
    {"wire_send_packet", cmd_wire_send_packet},
    {"wire_packet_receipt_status", cmd_wire_packet_receipt_status},
    {"wire_opportunistic_poll", cmd_wire_opportunistic_poll},
    {"wire_link_open", cmd_wire_link_open},
    {"wire_link_send", cmd_wire_link_send},
    {"wire_link_poll", cmd_wire_link_poll},
    {"wire_link_close", cmd_wire_link_close},
    {NULL, NULL},
};

void br_wire_shutdown(void)
{
    for (size_t i = 0; i < MAX_PEERS; i++)
        if (peers[i]) {
            close_links(peers[i]);
            peer_drop(peers[i]);
        }
    if (loop_ready) {
        uv_run(&loop, UV_RUN_NOWAIT);
        uv_loop_close(&loop);
        loop_ready = 0;
    }
}
