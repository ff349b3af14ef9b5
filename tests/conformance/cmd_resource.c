// SPDX-License-Identifier: MIT
// Bridge commands: resources, channels and buffers over live links. The
// transfers run in libmeshlog (rns_linkres.h through the transport core);
// this file starts them, records the RNS_TEV_RESOURCE events a peer's node
// reports, and reads them back in the suite's terms.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"
#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/rns_bz2.h"
#include "meshlog/rns_msgpack.h"
#include "meshlog/rns_packet.h"
#include "wire.h"

#define MAX_RX 64
#define MAX_TX 64
/* What the suite's reference listener does (wire_tcp.py): ACCEPT_APP admits
 * resources of at most 4096 data bytes, and inbound resources are bounded to
 * 256 KiB decompressed so a bz2 bomb trips cheaply. */
#define APP_ACCEPT_MAX 4096u
#define LISTEN_MAX_DECOMPRESSED (256u * 1024u)

/* An incoming resource on a link to one of our destinations. */
typedef struct rxrec {
    uint8_t dest[RNS_HASHLEN];
    uint8_t link_id[RNS_HASHLEN];
    uint32_t id;
    int concluded, polled;
    rns_res_event ev;            /* the last event: STARTED, then CONCLUDED (owns data) */
} rxrec;

/* An outgoing transfer started by wire_resource_send. */
typedef struct txrec {
    char rid[HANDLE_LEN + 1];
    uint8_t link_id[RNS_HASHLEN];
    uint32_t id;
    int concluded, status;
} txrec;

struct res_state {
    rxrec rx[MAX_RX];
    size_t n_rx;
    txrec tx[MAX_TX];
    size_t n_tx;
};

static struct res_state *state(peer *pr)
{
    if (!pr->res)
        pr->res = calloc(1, sizeof *pr->res);
    return pr->res;
}

void resource_peer_free(peer *pr)
{
    if (!pr || !pr->res)
        return;
    for (size_t i = 0; i < pr->res->n_rx; i++)
        rns_res_event_clear(&pr->res->rx[i].ev);
    free(pr->res);
    pr->res = NULL;
}

/* The reference's Resource status codes (Resource.py; REJECTED is NONE, 0). */
static int rns_status_code(enum rns_resource_status s)
{
    switch (s) {
    case RNS_RESOURCE_ADVERTISED: return 2;
    case RNS_RESOURCE_TRANSFERRING: return 3;
    case RNS_RESOURCE_AWAITING_PROOF: return 4;
    case RNS_RESOURCE_COMPLETE: return 6;
    case RNS_RESOURCE_FAILED: return 7;
    case RNS_RESOURCE_CORRUPT: return 8;
    case RNS_RESOURCE_REJECTED: return 0;
    }
    return -1;
}

static const char *status_name(int code)
{
    static const char *const names[] = {"NONE", "QUEUED", "ADVERTISED", "TRANSFERRING",
                                        "AWAITING_PROOF", "ASSEMBLING", "COMPLETE", "FAILED",
                                        "CORRUPT"};
    return code >= 0 && code <= 8 ? names[code] : NULL;
}

static rxrec *find_rx(struct res_state *s, const uint8_t link_id[RNS_HASHLEN], uint32_t id)
{
    for (size_t i = 0; i < s->n_rx; i++)
        if (s->rx[i].id == id && memcmp(s->rx[i].link_id, link_id, RNS_HASHLEN) == 0)
            return &s->rx[i];
    return NULL;
}

static txrec *find_tx_id(struct res_state *s, const uint8_t link_id[RNS_HASHLEN], uint32_t id)
{
    for (size_t i = 0; i < s->n_tx; i++)
        if (s->tx[i].id == id && memcmp(s->tx[i].link_id, link_id, RNS_HASHLEN) == 0)
            return &s->tx[i];
    return NULL;
}

void resource_on_event(peer *pr, const rns_tev *ev)
{
    struct res_state *s = state(pr);
    const rns_res_event *re = &ev->res_ev;
    rxrec *rx;
    txrec *tx;

    if (!s || re->type == RNS_RES_EV_PROGRESS)
        return;
    if (re->outgoing) {
        if (re->type == RNS_RES_EV_CONCLUDED && (tx = find_tx_id(s, ev->link_id, re->id))) {
            tx->concluded = 1;
            tx->status = rns_status_code(re->status);
        }
        return;
    }
    rx = find_rx(s, ev->link_id, re->id);
    if (!rx) {
        if (s->n_rx == MAX_RX) {
            /* keep the latest: drop the oldest record */
            rns_res_event_clear(&s->rx[0].ev);
            memmove(s->rx, s->rx + 1, (MAX_RX - 1) * sizeof *s->rx);
            s->n_rx--;
        }
        rx = &s->rx[s->n_rx++];
        memset(rx, 0, sizeof *rx);
        memcpy(rx->dest, ev->dest, RNS_HASHLEN);
        memcpy(rx->link_id, ev->link_id, RNS_HASHLEN);
        rx->id = re->id;
    }
    rns_res_event_clear(&rx->ev);
    rx->ev = *re;
    /* the node clears its event after the callback: keep our own copies */
    memset(&rx->ev.data, 0, sizeof rx->ev.data);
    memset(&rx->ev.metadata, 0, sizeof rx->ev.metadata);
    if (ml_buf_append(&rx->ev.data, re->data.p, re->data.len) ||
        ml_buf_append(&rx->ev.metadata, re->metadata.p, re->metadata.len))
        fprintf(stderr, "[%s] out of memory keeping a resource\n", pr->handle);
    rx->concluded = re->type == RNS_RES_EV_CONCLUDED;
}

/* ---- the listener's resource policy --------------------------------------------------- */

static int app_accept(void *ctx, const uint8_t link_id[RNS_HASHLEN], const rns_resource_adv *adv)
{
    (void)ctx;
    (void)link_id;
    return adv->d <= APP_ACCEPT_MAX;
}

int resource_listen(br_ctx *c, peer *pr, const uint8_t dest[RNS_HASHLEN])
{
    const char *name = "all";
    rns_res_policy p;

    if (br_param(c, "resource_strategy") && br_str(c, "resource_strategy", &name))
        return -1;
    memset(&p, 0, sizeof p);
    if (!strcmp(name, "all"))
        p.strategy = RNS_RES_ACCEPT_ALL;
    else if (!strcmp(name, "none"))
        p.strategy = RNS_RES_ACCEPT_NONE;
    else if (!strcmp(name, "app"))
        p.strategy = RNS_RES_ACCEPT_APP;
    else
        return br_fail(c, "resource_strategy must be 'all', 'none' or 'app' (got '%s')", name);
    p.accept = app_accept;
    p.max_decompressed = LISTEN_MAX_DECOMPRESSED;
    return br_check(c, rns_transport_set_resource_policy(core(pr), dest, &p), "resource policy") ||
           br_set_str(c, "resource_strategy", name);
}

/* ---- sending --------------------------------------------------------------------------------- */

/* Metadata bytes travel as one msgpack bin value, as the reference packs a
 * bytes object. */
static int pack_metadata(br_ctx *c, ml_buf *packed, int *has)
{
    ml_buf raw = ML_BUF_INIT;
    int ret = br_hex_opt(c, "metadata", &raw, has);

    if (!ret && *has && raw.len == 0 && !br_param(c, "metadata"))
        *has = 0;
    if (!ret && *has)
        ret = br_check(c, rns_mp_put_bin(packed, raw.p ? raw.p : (const uint8_t *)"", raw.len),
                       "metadata");
    ml_buf_free(&raw);
    return ret;
}

static int set_info(br_ctx *c, const rns_resource *r, uint32_t segments, int has_meta)
{
    const rns_resource_adv *a = rns_resource_adv_of(r);

    return br_set_hex(c, "original_hash", a->o, 32) || br_set_hex(c, "hash", a->h, 32) ||
           br_set_int(c, "total_segments", segments) || br_set_int(c, "segment_index", a->i) ||
           br_set_int(c, "parts", a->n) ||
           br_set_bool(c, "compressed", (a->f & RNS_RESOURCE_F_COMPRESSED) != 0) ||
           br_set_bool(c, "has_metadata", has_meta) || br_set_bool(c, "split", segments > 1);
}

static int tx_done(peer *pr, const void *arg)
{
    (void)pr;
    return ((const txrec *)arg)->concluded;
}

static int cmd_wire_resource_send(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN], rnd[HANDLE_LEN / 2];
    ml_buf data = ML_BUF_INIT, meta = ML_BUF_INIT;
    rns_res_send_opts o;
    const rns_resource *r;
    struct res_state *s;
    long long timeout;
    int wait, has_meta = 0, ret;
    uint32_t rid = 0, segs;
    rns_link *l;
    txrec *tx;
    peer *pr;

    ret = link_param(c, &pr, &l, id) || br_hex_opt(c, "data", &data, &(int){0}) ||
          br_int(c, "timeout_ms", 30000, &timeout) || br_bool(c, "wait", 1, &wait) ||
          pack_metadata(c, &meta, &has_meta) || br_random(c, rnd, sizeof rnd);
    if (ret)
        goto out;
    ret = -1;
    if (!(s = state(pr)) || s->n_tx == MAX_TX) {
        br_fail(c, "too many resources sent on this peer");
        goto out;
    }
    memset(&o, 0, sizeof o);
    o.data = data.p;
    o.len = data.len;
    o.metadata = has_meta ? meta.p : NULL;
    o.metadata_len = meta.len;
    if (br_check(c, rns_transport_resource_send(core(pr), id, &o, rns_node_now(), &rid),
                 "resource send"))
        goto out;
    rns_node_kick(pr->node);
    tx = &s->tx[s->n_tx++];
    memset(tx, 0, sizeof *tx);
    ml_hex(tx->rid, rnd, sizeof rnd);
    memcpy(tx->link_id, id, RNS_HASHLEN);
    tx->id = rid;
    segs = (uint32_t)((data.len + (has_meta ? 3 + meta.len : 0) + RNS_RESOURCE_MAX_EFFICIENT_SIZE -
                       1) / RNS_RESOURCE_MAX_EFFICIENT_SIZE);
    segs = segs ? segs : 1;
    r = rns_linkres_get(rns_transport_link_resources(core(pr), id), rid);
    if (r && set_info(c, r, segs, has_meta))
        goto out;
    if (!wait) {
        ret = br_set_bool(c, "started", 1) || br_set_str(c, "resource_id", tx->rid) ||
              br_set_int(c, "size", (long long)data.len);
        goto out;
    }
    wait_until(tx_done, pr, tx, timeout);
    if (!tx->concluded) {
        const rns_resource *now_r = rns_linkres_get(rns_transport_link_resources(core(pr), id), rid);
        int st = now_r ? rns_status_code(rns_resource_status(now_r)) : -1;
        (void)rns_transport_resource_cancel(core(pr), id, rid, rns_node_now());
        rns_node_kick(pr->node);
        ret = br_set_bool(c, "success", 0) || br_set_int(c, "status", st) ||
              br_set_int(c, "size", (long long)data.len) || br_set_bool(c, "timed_out", 1) ||
              br_set_str(c, "resource_id", tx->rid);
        goto out;
    }
    ret = br_set_bool(c, "success", tx->status == 6) || br_set_int(c, "status", tx->status) ||
          br_set_int(c, "size", (long long)data.len) || br_set_bool(c, "timed_out", 0) ||
          br_set_str(c, "resource_id", tx->rid);
out:
    ml_buf_free(&data);
    ml_buf_free(&meta);
    return ret;
}

static int cmd_wire_resource_cancel(br_ctx *c)
{
    struct res_state *s;
    const char *rid;
    txrec *tx = NULL;
    peer *pr;
    int ret;

    if (peer_param(c, &pr) || br_str(c, "resource_id", &rid))
        return -1;
    s = state(pr);
    for (size_t i = 0; s && i < s->n_tx && !tx; i++)
        if (!strcmp(s->tx[i].rid, rid))
            tx = &s->tx[i];
    if (!tx)
        return br_fail(c, "Unknown resource_id: %s", rid);
    ret = rns_transport_resource_cancel(core(pr), tx->link_id, tx->id, rns_node_now());
    rns_node_kick(pr->node);
    br_wire_pump(0);
    return br_set_bool(c, "cancelled", ret == 0) || br_set_str(c, "resource_id", rid) ||
           br_set_int(c, "status", tx->concluded ? tx->status : 7);
}

/* A compressible payload whose decompressed size passes the receiver's
 * bound: the receiver must find it CORRUPT and drop the link. */
static int cmd_wire_resource_send_bomb(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN], rnd[HANDLE_LEN / 2];
    long long want, timeout;
    size_t size, floor_ = LISTEN_MAX_DECOMPRESSED + 1, ceil_ = 2 * LISTEN_MAX_DECOMPRESSED;
    rns_res_send_opts o;
    struct res_state *s;
    uint8_t *zeros;
    uint32_t rid;
    rns_link *l;
    txrec *tx;
    peer *pr;
    int ret;

    if (link_param(c, &pr, &l, id) ||
        br_int(c, "decompressed_size", LISTEN_MAX_DECOMPRESSED + 1024 * 1024, &want) ||
        br_int(c, "timeout_ms", 30000, &timeout) || br_random(c, rnd, sizeof rnd))
        return -1;
    if (!(s = state(pr)) || s->n_tx == MAX_TX)
        return br_fail(c, "too many resources sent on this peer");
    size = want < 0 ? floor_ : (size_t)want;
    size = size < floor_ ? floor_ : size > ceil_ ? ceil_ : size;
    if (!(zeros = calloc(1, size)))
        return br_fail(c, "out of memory");
    memset(&o, 0, sizeof o);
    o.data = zeros;
    o.len = size;
    ret = br_check(c, rns_transport_resource_send(core(pr), id, &o, rns_node_now(), &rid),
                   "resource send");
    free(zeros);
    if (ret)
        return -1;
    rns_node_kick(pr->node);
    tx = &s->tx[s->n_tx++];
    memset(tx, 0, sizeof *tx);
    ml_hex(tx->rid, rnd, sizeof rnd);
    memcpy(tx->link_id, id, RNS_HASHLEN);
    tx->id = rid;
    wait_until(tx_done, pr, tx, timeout);
    if (!tx->concluded) {
        (void)rns_transport_resource_cancel(core(pr), id, rid, rns_node_now());
        rns_node_kick(pr->node);
    }
    return br_set_bool(c, "success", tx->concluded && tx->status == 6) ||
           br_set_int(c, "status", tx->concluded ? tx->status : 7) ||
           br_set_int(c, "size", (long long)size) || br_set_str(c, "resource_id", tx->rid);
}

/* ---- receiving ----------------------------------------------------------------------------- */

static int rx_ready(peer *pr, const void *arg)
{
    struct res_state *s = pr->res;
    const uint8_t *dest = arg;

    for (size_t i = 0; s && i < s->n_rx; i++)
        if (s->rx[i].concluded && !s->rx[i].polled && s->rx[i].ev.status == RNS_RESOURCE_COMPLETE &&
            memcmp(s->rx[i].dest, dest, RNS_HASHLEN) == 0)
            return 1;
    return 0;
}

static int cmd_wire_resource_poll(br_ctx *c)
{
    uint8_t dest[RNS_HASHLEN];
    long long timeout;
    struct res_state *s;
    json_t *list;
    peer *pr;

    if (peer_param(c, &pr) || dest_param(c, dest) || br_int(c, "timeout_ms", 30000, &timeout))
        return -1;
    if (!find_listener(pr, dest))
        return br_fail(c, "No listener registered for destination_hash");
    wait_until(rx_ready, pr, dest, timeout);
    if (!(list = json_array()))
        return br_fail(c, "out of memory");
    s = state(pr);
    for (size_t i = 0; s && i < s->n_rx; i++) {
        rxrec *rx = &s->rx[i];
        if (rx->concluded && !rx->polled && rx->ev.status == RNS_RESOURCE_COMPLETE &&
            memcmp(rx->dest, dest, RNS_HASHLEN) == 0 &&
            !(rx->ev.flags & (RNS_RESOURCE_F_REQUEST | RNS_RESOURCE_F_RESPONSE))) {
            append_hex(list, &rx->ev.data);
            rx->polled = 1;
        }
    }
    return br_set(c, "resources", list);
}

static rxrec *last_rx(peer *pr, const uint8_t dest[RNS_HASHLEN])
{
    struct res_state *s = pr->res;

    for (size_t i = s ? s->n_rx : 0; i-- > 0;)
        if (memcmp(s->rx[i].dest, dest, RNS_HASHLEN) == 0)
            return &s->rx[i];
    return NULL;
}

static size_t count_rx(peer *pr, const uint8_t dest[RNS_HASHLEN])
{
    size_t n = 0;

    for (size_t i = 0; pr->res && i < pr->res->n_rx; i++)
        n += memcmp(pr->res->rx[i].dest, dest, RNS_HASHLEN) == 0;
    return n;
}

static int rx_concluded(peer *pr, const void *arg)
{
    rxrec *rx = last_rx(pr, arg);
    return rx && rx->concluded;
}

/* The latest incoming resource on a listener: its live status while it
 * runs (read from the core), its concluded record after. */
static int cmd_wire_resource_receiver_status(br_ctx *c)
{
    uint8_t dest[RNS_HASHLEN];
    const rns_resource *r = NULL;
    long long timeout;
    int status, ret;
    unsigned hreq, hrx;
    uint32_t height = 0;
    rxrec *rx;
    peer *pr;

    if (peer_param(c, &pr) || dest_param(c, dest) || br_int(c, "timeout_ms", 0, &timeout))
        return -1;
    if (!find_listener(pr, dest))
        return br_fail(c, "No listener registered for destination_hash");
    wait_until(rx_concluded, pr, dest, timeout);
    if (!(rx = last_rx(pr, dest)))
        return br_set_bool(c, "found", 0) || br_set_int(c, "resource_count", 0);
    status = rns_status_code(rx->ev.status);
    hreq = rx->ev.hmu_requests;
    hrx = rx->ev.hmu_received;
    if (!rx->concluded &&
        (r = rns_linkres_get(rns_transport_link_resources(core(pr), rx->link_id), rx->id))) {
        status = rns_status_code(rns_resource_status(r));
        rns_resource_counters(r, &hreq, &hrx, NULL);
    }
    height = rx->ev.parts < RNS_RESOURCE_HASHMAP_MAX_LEN * (hrx + 1)
                 ? rx->ev.parts : RNS_RESOURCE_HASHMAP_MAX_LEN * (hrx + 1);
    ret = br_set_bool(c, "found", 1) ||
          br_set_int(c, "resource_count", (long long)count_rx(pr, dest)) ||
          br_set_int(c, "status", status) ||
          (status_name(status) ? br_set_str(c, "status_name", status_name(status))
                               : br_set_null(c, "status_name")) ||
          br_set_bool(c, "corrupt", status == 8) || br_set_int(c, "hmu_requests_sent", hreq) ||
          br_set_int(c, "hashmap_updates_received", hrx) ||
          br_set_int(c, "hashmap_height", height) ||
          br_set_int(c, "max_decompressed_size", (long long)rx->ev.max_decompressed) ||
          br_set_bool(c, "compressed", (rx->ev.flags & RNS_RESOURCE_F_COMPRESSED) != 0) ||
          br_set_bool(c, "has_metadata", rx->ev.has_metadata);
    if (ret)
        return ret;
    if (rx->concluded && rx->ev.status == RNS_RESOURCE_COMPLETE) {
        ret = br_set_buf(c, "data", &rx->ev.data);
        if (!ret && rx->ev.has_metadata) {
            /* the metadata is one msgpack value; bytes come back as given */
            rns_mp_reader rd;
            const uint8_t *m;
            size_t mlen;
            rns_mp_reader_init(&rd, rx->ev.metadata.p, rx->ev.metadata.len);
            if (rns_mp_get_bin(&rd, &m, &mlen) == 0 && !rns_mp_remaining(&rd))
                ret = br_set_hex(c, "metadata", m, mlen);
            else
                ret = br_set_buf(c, "metadata", &rx->ev.metadata);
        } else if (!ret) {
            ret = br_set_null(c, "metadata");
        }
        return ret;
    }
    return br_set_null(c, "data") || br_set_null(c, "metadata");
}

/* ---- construction only ------------------------------------------------------------------- */

static int cmd_wire_resource_create(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN];
    ml_buf data = ML_BUF_INIT, meta = ML_BUF_INIT, pkt = ML_BUF_INIT;
    rns_res_send_opts o;
    rns_resource *r = NULL;
    const rns_resource_adv *a;
    long long force_sdu = 0;
    int include_parts, auto_compress, has_meta = 0, ret;
    uint32_t segs = 1;
    json_t *parts = NULL;
    rns_link *l;
    peer *pr;

    ret = link_param(c, &pr, &l, id) || br_hex_opt(c, "data", &data, &(int){0}) ||
          br_bool(c, "include_parts", 1, &include_parts) ||
          br_bool(c, "auto_compress", 1, &auto_compress) || br_int(c, "force_sdu", 0, &force_sdu) ||
          pack_metadata(c, &meta, &has_meta);
    if (ret)
        goto out;
    ret = -1;
    if (force_sdu < 0 || force_sdu > 65535) {
        br_fail(c, "force_sdu out of range");
        goto out;
    }
    memset(&o, 0, sizeof o);
    /* the reference shrinks the link MTU for the construction: SDU + 36 */
    o.link_mtu = force_sdu ? (uint32_t)force_sdu + 36u : 0;
    o.data = data.p;
    o.len = data.len;
    o.metadata = has_meta ? meta.p : NULL;
    o.metadata_len = meta.len;
    o.no_compress = !auto_compress;
    if (br_check(c, rns_linkres_build(rns_transport_link_resources(core(pr), id), l, &o,
                                      rns_node_now(), &r, &segs),
                 "resource"))
        goto out;
    a = rns_resource_adv_of(r);
    ret = br_set_hex(c, "hash", a->h, 32) || br_set_hex(c, "truncated_hash", a->h, 16) ||
          br_set_hex(c, "random_hash", a->r, 4) ||
          br_set_hex(c, "expected_proof", rns_resource_expected_proof(r), 32) ||
          br_set_hex(c, "hashmap", rns_resource_hashmap(r), (size_t)a->n * 4) ||
          br_set_int(c, "num_parts", a->n) || br_set_bool(c, "encrypted", 1) ||
          br_set_bool(c, "compressed", (a->f & RNS_RESOURCE_F_COMPRESSED) != 0) ||
          br_set_bool(c, "split", segs > 1) || br_set_int(c, "total_segments", segs) ||
          br_set_int(c, "segment_index", a->i) || br_set_hex(c, "original_hash", a->o, 32) ||
          br_set_bool(c, "has_metadata", has_meta) || br_set_int(c, "flags", a->f) ||
          br_set_int(c, "size", (long long)a->t) ||
          br_set_int(c, "total_size", (long long)(data.len + (has_meta ? 3 + meta.len : 0))) ||
          br_set_int(c, "sdu", (long long)rns_resource_part_sdu(r));
    if (ret || !include_parts)
        goto out;
    ret = -1;
    if (!(parts = json_array())) {
        br_fail(c, "out of memory");
        goto out;
    }
    for (uint32_t i = 0; i < a->n; i++) {
        rns_packet p;
        size_t len = 0;
        memset(&p, 0, sizeof p);
        p.packet_type = RNS_PACKET_DATA;
        p.dest_type = RNS_DEST_LINK;
        p.context = RNS_CTX_RESOURCE;
        memcpy(p.dest_hash, id, RNS_HASHLEN);
        p.data = rns_resource_part(r, i, &len);
        p.data_len = len;
        ml_buf_reset(&pkt);
        if (br_check(c, rns_packet_pack(&pkt, &p), "part"))
            goto out;
        append_hex(parts, &pkt);
    }
    ret = br_set(c, "parts", parts);
    parts = NULL;
out:
    json_decref(parts);
    rns_resource_free(r);
    ml_buf_free(&data);
    ml_buf_free(&meta);
    ml_buf_free(&pkt);
    return ret;
}

/* ---- resource internals on a live link's key (sans-I/O, nothing is sent) ------------------- */

static int cmd_wire_resource_constants(br_ctx *c)
{
    return br_set_int(c, "WINDOW", RNS_RESOURCE_WINDOW) ||
           br_set_int(c, "WINDOW_MIN", RNS_RESOURCE_WINDOW_MIN) ||
           br_set_int(c, "WINDOW_MAX", RNS_RESOURCE_WINDOW_MAX_FAST) ||
           br_set_int(c, "MAPHASH_LEN", RNS_RESOURCE_MAPHASH_LEN) ||
           br_set_int(c, "RANDOM_HASH_SIZE", RNS_RESOURCE_RANDOM_LEN) ||
           br_set_int(c, "HASHMAP_MAX_LEN", RNS_RESOURCE_HASHMAP_MAX_LEN) ||
           br_set_int(c, "COLLISION_GUARD_SIZE", RNS_RESOURCE_COLLISION_GUARD) ||
           br_set_int(c, "MAX_EFFICIENT_SIZE", RNS_RESOURCE_MAX_EFFICIENT_SIZE) ||
           br_set_int(c, "METADATA_MAX_SIZE", RNS_RESOURCE_METADATA_MAX) ||
           br_set_int(c, "MAX_RETRIES", RNS_RESOURCE_MAX_RETRIES) ||
           br_set_int(c, "MAX_ADV_RETRIES", RNS_RESOURCE_MAX_ADV_RETRIES) ||
           br_set_int(c, "HASHMAP_IS_EXHAUSTED", RNS_RESOURCE_HASHMAP_EXHAUSTED) ||
           br_set_int(c, "HASHMAP_IS_NOT_EXHAUSTED", RNS_RESOURCE_HASHMAP_NOT_EXHAUSTED) ||
           br_set_int(c, "WINDOW_MAX_SLOW", RNS_RESOURCE_WINDOW_MAX_SLOW) ||
           br_set_int(c, "WINDOW_MAX_VERY_SLOW", RNS_RESOURCE_WINDOW_MAX_VERY_SLOW) ||
           br_set_int(c, "WINDOW_MAX_FAST", RNS_RESOURCE_WINDOW_MAX_FAST) ||
           br_set_int(c, "WINDOW_FLEXIBILITY", RNS_RESOURCE_WINDOW_FLEXIBILITY) ||
           br_set_int(c, "FAST_RATE_THRESHOLD", RNS_RESOURCE_FAST_RATE_THRESHOLD) ||
           br_set_int(c, "VERY_SLOW_RATE_THRESHOLD", RNS_RESOURCE_VERY_SLOW_RATE_THRESHOLD) ||
           br_set(c, "RATE_FAST", json_real(RNS_RESOURCE_RATE_FAST)) ||
           br_set(c, "RATE_VERY_SLOW", json_real(RNS_RESOURCE_RATE_VERY_SLOW)) ||
           br_set_int(c, "PART_TIMEOUT_FACTOR", (long long)RNS_RESOURCE_PART_TIMEOUT_FACTOR) ||
           br_set_int(c, "AUTO_COMPRESS_MAX_SIZE", RNS_RESOURCE_AUTO_COMPRESS_MAX);
}

/* A sender resource of len random bytes built for the link (parts sized for
 * mtu, 0: the link's), and, when rx is not NULL, the receiver made from its
 * advertisement. */
static int build_pair(br_ctx *c, peer *pr, const uint8_t id[RNS_HASHLEN], rns_link *l, size_t len,
                      uint32_t mtu, rns_resource **tx, rns_resource **rx)
{
    rns_res_send_opts o;
    ml_buf data = ML_BUF_INIT, adv = ML_BUF_INIT;
    uint8_t ctx = 0;
    int ret;

    *tx = NULL;
    if (rx)
        *rx = NULL;
    if (ml_buf_reserve(&data, len))
        return br_fail(c, "out of memory");
    data.len = len;
    memset(&o, 0, sizeof o);
    o.data = data.p;
    o.len = len;
    o.link_mtu = mtu;
    ret = br_random(c, data.p, len) ||
          br_check(c, rns_linkres_build(rns_transport_link_resources(core(pr), id), l, &o,
                                        rns_node_now(), tx, NULL), "resource");
    if (!ret && rx) {
        if (rns_resource_pop(*tx, &ctx, &adv) != 1 || ctx != RNS_CTX_RESOURCE_ADV)
            ret = br_fail(c, "the sender queued no advertisement");
        else
            ret = br_check(c, rns_resource_accept(rx, rns_link_key(l),
                                                  mtu ? mtu : rns_link_mtu(l), adv.p, adv.len,
                                                  0, rns_node_now()), "accept");
    }
    if (ret) {
        rns_resource_free(*tx);
        *tx = NULL;
    }
    ml_buf_free(&data);
    ml_buf_free(&adv);
    return ret;
}

static int cmd_wire_resource_decompress_limit(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN];
    rns_resource *tx, *rx;
    rns_link *l;
    peer *pr;
    int ret;

    if (link_param(c, &pr, &l, id) || build_pair(c, pr, id, l, 200, 0, &tx, &rx))
        return -1;
    ret = br_set_int(c, "constant", RNS_RESOURCE_AUTO_COMPRESS_MAX) ||
          br_set_int(c, "max_decompressed_size", (long long)rns_resource_max_decompressed(rx)) ||
          br_set_int(c, "auto_compress_limit", RNS_RESOURCE_AUTO_COMPRESS_MAX);
    rns_resource_free(tx);
    rns_resource_free(rx);
    return ret;
}

/* A crafted RESOURCE_PRF into a fresh sender: only 64 bytes ending in the
 * expected proof conclude it. */
static int cmd_wire_inject_crafted_resource_proof(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN], proof[96];
    const char *variant;
    rns_resource *tx;
    size_t len;
    rns_link *l;
    peer *pr;
    int st, ret;

    if (link_param(c, &pr, &l, id) || br_str(c, "variant", &variant) || br_random(c, proof, 96))
        return -1;
    if (!strcmp(variant, "valid") || !strcmp(variant, "wrong_proof"))
        len = 64;
    else if (!strcmp(variant, "wrong_length_short"))
        len = 32;
    else if (!strcmp(variant, "wrong_length_long"))
        len = 96;
    else
        return br_fail(c, "unknown resource-proof variant: %s", variant);
    if (build_pair(c, pr, id, l, 200, 0, &tx, NULL))
        return -1;
    if (!strcmp(variant, "valid"))
        memcpy(proof + 32, rns_resource_expected_proof(tx), 32);
    (void)rns_resource_input(tx, RNS_CTX_RESOURCE_PRF, proof, len, rns_node_now());
    st = rns_status_code(rns_resource_status(tx));
    ret = br_set_str(c, "variant", variant) || br_set_bool(c, "concluded", st == 6) ||
          br_set_int(c, "status", st) || br_set_str(c, "status_name", status_name(st)) ||
          br_set_int(c, "proof_len", (long long)len);
    rns_resource_free(tx);
    return ret;
}

/* A part into a fresh receiver: accepted only when its map hash is one
 * wanted in the current window and its slot is empty. */
static int cmd_wire_inject_crafted_resource_part(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN], forged[RNS_NODE_TCP_HW_MTU];
    const char *variant;
    rns_resource *tx, *rx;
    const uint8_t *part;
    uint32_t before, after, window;
    size_t plen = 0;
    int windowed, ret;
    rns_link *l;
    peer *pr;

    if (link_param(c, &pr, &l, id) || br_str(c, "variant", &variant))
        return -1;
    windowed = !strcmp(variant, "beyond_window") || !strcmp(variant, "duplicate_filled");
    if (!windowed && strcmp(variant, "valid") && strcmp(variant, "forged_map_hash"))
        return br_fail(c, "unknown resource-part variant: %s", variant);
    /* the window cases want many small parts: 1500 bytes at an SDU of 200 */
    if (build_pair(c, pr, id, l, windowed ? 1500 : 2000, windowed ? 236 : 0, &tx, &rx))
        return -1;
    window = rns_resource_window(rx);
    part = rns_resource_part(tx, 0, &plen);
    if (!strcmp(variant, "beyond_window"))
        part = rns_resource_part(tx, window, &plen);
    if (!part || plen > sizeof forged) {
        ret = br_fail(c, "need more than %u parts", window + 1);
        goto out;
    }
    if (!strcmp(variant, "forged_map_hash")) {
        if ((ret = br_random(c, forged, plen)))
            goto out;
        part = forged;
    }
    if (!strcmp(variant, "duplicate_filled"))
        (void)rns_resource_input(rx, RNS_CTX_RESOURCE, part, plen, rns_node_now());
    rns_resource_counters(rx, NULL, NULL, &before);
    (void)rns_resource_input(rx, RNS_CTX_RESOURCE, part, plen, rns_node_now());
    rns_resource_counters(rx, NULL, NULL, &after);
    ret = br_set_str(c, "variant", variant) || br_set_bool(c, "accepted", after > before) ||
          br_set_int(c, "parts_before", before) || br_set_int(c, "parts_after", after) ||
          br_set_int(c, "total_parts", rns_resource_parts(rx));
    if (!ret && windowed)
        ret = br_set_int(c, "window", window) || br_set_int(c, "received_count_after", after);
out:
    rns_resource_free(tx);
    rns_resource_free(rx);
    return ret;
}

static int receiver_state(br_ctx *c, const rns_resource *rx, const char *suffix, int full)
{
    rns_resource_rx_state st;
    char k1[48], k2[48], k3[48];

    rns_resource_get_rx_state(rx, &st);
    snprintf(k1, sizeof k1, "consecutive_height%s", suffix);
    snprintf(k2, sizeof k2, "hashmap_height%s", suffix);
    snprintf(k3, sizeof k3, "waiting_for_hmu%s", suffix);
    if (br_set_int(c, k1, st.consecutive_height) || br_set_int(c, k2, st.hashmap_height))
        return -1;
    if (!full)
        return 0;
    return br_set_bool(c, k3, st.waiting_for_hmu) || br_set_int(c, "window", st.window) ||
           br_set_int(c, "window_min", st.window_min) ||
           br_set_int(c, "window_max", st.window_max);
}

/* A fresh receiver, then n genuine parts in order. */
static int cmd_wire_resource_receiver_request_state(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN];
    rns_resource *tx, *rx;
    const uint8_t *part;
    long long n;
    uint32_t got = 0, fed = 0;
    size_t plen;
    rns_link *l;
    peer *pr;
    int ret;

    if (link_param(c, &pr, &l, id) || br_int(c, "n", 2, &n) ||
        build_pair(c, pr, id, l, 1500, 236, &tx, &rx))
        return -1;
    ret = br_set_int(c, "total_parts", rns_resource_parts(rx)) ||
          receiver_state(c, rx, "_initial", 1);
    for (uint32_t i = 0; !ret && n > 0 && i < (uint32_t)n && i < rns_resource_parts(tx); i++) {
        if ((part = rns_resource_part(tx, i, &plen)) &&
            rns_resource_input(rx, RNS_CTX_RESOURCE, part, plen, rns_node_now()) == 0)
            fed++;
    }
    rns_resource_counters(rx, NULL, NULL, &got);
    if (!ret)
        ret = br_set_int(c, "fed", fed) || br_set_int(c, "received_count", got) ||
              receiver_state(c, rx, "_after", 0);
    rns_resource_free(tx);
    rns_resource_free(rx);
    return ret;
}

/* Pops what a resource queued; counts RESOURCE_PRF payloads. */
static unsigned count_proofs(rns_resource *r)
{
    ml_buf b = ML_BUF_INIT;
    uint8_t ctx;
    unsigned n = 0;

    while (rns_resource_pop(r, &ctx, &b) == 1) {
        n += ctx == RNS_CTX_RESOURCE_PRF;
        ml_buf_reset(&b);
    }
    ml_buf_free(&b);
    return n;
}

/* Every part but the last, then the last: one proof, only at the end. */
static int cmd_wire_resource_receiver_proof_count(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN];
    rns_resource *tx, *rx;
    const uint8_t *part;
    unsigned before = 0, after;
    uint32_t n;
    size_t plen;
    rns_link *l;
    peer *pr;
    int st, ret;

    if (link_param(c, &pr, &l, id) || build_pair(c, pr, id, l, 1500, 236, &tx, &rx))
        return -1;
    n = rns_resource_parts(tx);
    for (uint32_t i = 0; i < n; i++) {
        if (i + 1 == n)
            before = count_proofs(rx);
        if ((part = rns_resource_part(tx, i, &plen)))
            (void)rns_resource_input(rx, RNS_CTX_RESOURCE, part, plen, rns_node_now());
        /* the requests that follow each round stay unanswered here */
    }
    after = count_proofs(rx);
    st = rns_status_code(rns_resource_status(rx));
    ret = br_set_int(c, "total_parts", n) || br_set_int(c, "proofs_before_final", before) ||
          br_set_int(c, "proofs_after_assembly", after) ||
          br_set_str(c, "status_name", status_name(st)) || br_set_bool(c, "complete", st == 6);
    rns_resource_free(tx);
    rns_resource_free(rx);
    return ret;
}

/* A later hashmap segment, produced by the sender itself (answering an
 * exhausted request), applied twice: the height grows once. */
static int cmd_wire_inject_hashmap_update(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN], req[1 + 4 + 32];
    rns_resource *tx, *rx;
    rns_resource_rx_state s0, s1, s2;
    ml_buf hmu = ML_BUF_INIT, b = ML_BUF_INIT;
    uint8_t ctx;
    rns_link *l;
    peer *pr;
    int ret;

    /* 20000 bytes at an SDU of 200: about 100 parts, two hashmap segments */
    if (link_param(c, &pr, &l, id) || build_pair(c, pr, id, l, 20000, 236, &tx, &rx))
        return -1;
    rns_resource_get_rx_state(rx, &s0);
    req[0] = RNS_RESOURCE_HASHMAP_EXHAUSTED;
    memcpy(req + 1, rns_resource_hashmap(tx) + (RNS_RESOURCE_HASHMAP_MAX_LEN - 1) * 4, 4);
    memcpy(req + 5, rns_resource_hash(tx), 32);
    ret = br_check(c, rns_resource_input(tx, RNS_CTX_RESOURCE_REQ, req, sizeof req,
                                         rns_node_now()), "request");
    while (!ret && rns_resource_pop(tx, &ctx, &b) == 1) {
        if (ctx == RNS_CTX_RESOURCE_HMU)
            ret = br_check(c, ml_buf_append(&hmu, b.p, b.len), "copy");
        ml_buf_reset(&b);
    }
    if (!ret && !hmu.len)
        ret = br_fail(c, "the sender sent no hashmap update");
    if (!ret) {
        (void)rns_resource_input(rx, RNS_CTX_RESOURCE_HMU, hmu.p, hmu.len, rns_node_now());
        rns_resource_get_rx_state(rx, &s1);
        (void)rns_resource_input(rx, RNS_CTX_RESOURCE_HMU, hmu.p, hmu.len, rns_node_now());
        rns_resource_get_rx_state(rx, &s2);
        ret = br_set_int(c, "total_parts", rns_resource_parts(rx)) ||
              br_set_int(c, "height_after_advert", s0.hashmap_height) ||
              br_set_int(c, "height_after_first", s1.hashmap_height) ||
              br_set_int(c, "height_after_duplicate", s2.hashmap_height) ||
              br_set_bool(c, "grew_on_first", s1.hashmap_height > s0.hashmap_height) ||
              br_set_bool(c, "grew_on_duplicate", s2.hashmap_height > s1.hashmap_height);
    }
    ml_buf_free(&hmu);
    ml_buf_free(&b);
    rns_resource_free(tx);
    rns_resource_free(rx);
    return ret;
}

static int lib_rng(void *ctx, void *out, size_t len)
{
    (void)ctx;
    return ml_random(out, len);
}

/* The reference's strategy codes (Link.ACCEPT_NONE/APP/ALL). */
static int strategy_code(enum rns_res_strategy s)
{
    return s == RNS_RES_ACCEPT_ALL ? 2 : s == RNS_RES_ACCEPT_APP ? 1 : 0;
}

/* Feeds an advertisement plaintext into a link's resources as the link
 * would deliver it; *accepted when an incoming resource appeared. The
 * request that follows an acceptance goes out on the live link (the peer
 * knows no such resource and ignores it). */
static int feed_adv(br_ctx *c, peer *pr, rns_linkres *lr, rns_link *l, const ml_buf *adv,
                    size_t *incoming)
{
    rns_link_event ev;
    int ret;

    memset(&ev, 0, sizeof ev);
    ev.type = RNS_LINK_EV_PACKET;
    ev.context = RNS_CTX_RESOURCE_ADV;
    ev.data = *adv;
    ret = rns_linkres_input(lr, l, &ev, rns_node_now());
    *incoming = rns_linkres_incoming(lr);
    (void)rns_transport_flush(core(pr), rns_node_now());
    rns_node_kick(pr->node);
    return ret < 0 ? br_check(c, ret, "advertisement") : 0;
}

/* The advertisement of a freshly built sender (flags from o). */
static int make_adv(br_ctx *c, peer *pr, const uint8_t id[RNS_HASHLEN], rns_link *l,
                    rns_res_send_opts *o, ml_buf *adv)
{
    uint8_t data[400], ctx = 0;
    rns_resource *tx = NULL;
    int ret;

    if (br_random(c, data, sizeof data))
        return -1;
    o->data = data;
    o->len = sizeof data;
    ret = br_check(c, rns_linkres_build(rns_transport_link_resources(core(pr), id), l, o,
                                        rns_node_now(), &tx, NULL), "resource");
    if (!ret && (rns_resource_pop(tx, &ctx, adv) != 1 || ctx != RNS_CTX_RESOURCE_ADV))
        ret = br_fail(c, "the sender queued no advertisement");
    rns_resource_free(tx);
    return ret;
}

static int cmd_wire_inject_duplicate_resource_adv(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN];
    rns_res_policy p = {RNS_RES_ACCEPT_ALL, NULL, NULL, 0};
    rns_res_send_opts o;
    rns_linkres *lr = NULL;
    ml_buf adv = ML_BUF_INIT;
    size_t first = 0, second = 0;
    rns_link *l;
    peer *pr;
    int ret;

    memset(&o, 0, sizeof o);
    if (link_param(c, &pr, &l, id) || make_adv(c, pr, id, l, &o, &adv))
        return -1;
    ret = br_check(c, rns_linkres_new(&lr, lib_rng, NULL), "resources");
    if (!ret) {
        rns_linkres_set_policy(lr, &p);
        ret = feed_adv(c, pr, lr, l, &adv, &first) || feed_adv(c, pr, lr, l, &adv, &second) ||
              br_set_bool(c, "first_accepted", first == 1) ||
              br_set_bool(c, "second_created", second > first) ||
              br_set_int(c, "incoming_count", (long long)second);
    }
    rns_linkres_free(lr);
    ml_buf_free(&adv);
    return ret;
}

static int cmd_wire_inject_resource_adv_flags(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN], rid[RNS_HASHLEN];
    rns_res_policy p = {RNS_RES_ACCEPT_NONE, NULL, NULL, 0};
    rns_res_send_opts o;
    rns_linkres *lr = NULL;
    ml_buf adv = ML_BUF_INIT;
    const char *variant;
    size_t n = 0;
    rns_link *l;
    peer *pr;
    int ret;

    if (link_param(c, &pr, &l, id) || br_str(c, "variant", &variant) ||
        br_random(c, rid, sizeof rid))
        return -1;
    memset(&o, 0, sizeof o);
    if (!strcmp(variant, "request_autoaccept")) {
        o.is_request = 1;
    } else if (!strcmp(variant, "response_no_pending_request")) {
        o.is_response = 1;
        p.strategy = RNS_RES_ACCEPT_ALL;
    } else if (!strcmp(variant, "plain_accept_all")) {
        p.strategy = RNS_RES_ACCEPT_ALL;
    } else if (strcmp(variant, "plain_accept_none")) {
        return br_fail(c, "unknown advertisement variant: %s", variant);
    }
    if (o.is_request || o.is_response) {
        o.request_id = rid;
        o.request_id_len = sizeof rid;
    }
    if (make_adv(c, pr, id, l, &o, &adv))
        return -1;
    ret = br_check(c, rns_linkres_new(&lr, lib_rng, NULL), "resources");
    if (!ret) {
        rns_linkres_set_policy(lr, &p);
        ret = feed_adv(c, pr, lr, l, &adv, &n) || br_set_str(c, "variant", variant) ||
              br_set_bool(c, "accepted", n > 0) ||
              br_set_int(c, "strategy", strategy_code(p.strategy));
    }
    rns_linkres_free(lr);
    ml_buf_free(&adv);
    return ret;
}

/* Undecodable or incomplete advertisements: dropped, nothing started. */
static int cmd_wire_inject_malformed_resource_adv(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN], garbage[41];
    rns_res_policy p = {RNS_RES_ACCEPT_ALL, NULL, NULL, 0};
    rns_res_send_opts o;
    rns_linkres *lr = NULL;
    ml_buf adv = ML_BUF_INIT;
    const char *variant;
    size_t n = 0;
    rns_link *l;
    peer *pr;
    int ret;

    if (link_param(c, &pr, &l, id) || br_str(c, "variant", &variant) ||
        br_random(c, garbage, sizeof garbage))
        return -1;
    memset(&o, 0, sizeof o);
    if (!strcmp(variant, "garbage")) {
        garbage[0] = 0xc1; /* never valid msgpack */
        ret = br_check(c, ml_buf_append(&adv, garbage, sizeof garbage), "copy");
    } else if (!strcmp(variant, "missing_key")) {
        /* a genuine advertisement re-encoded without its "h" */
        ml_buf full = ML_BUF_INIT;
        rns_resource_adv a;
        ret = make_adv(c, pr, id, l, &o, &full) ||
              br_check(c, rns_resource_adv_unpack(&a, full.p, full.len,
                                                  rns_resource_sdu(rns_link_mtu(l))), "adv");
        if (!ret) {
            ml_buf one = ML_BUF_INIT;
            ret = br_check(c, rns_resource_adv_pack(&one, &a), "adv");
            /* drop the "h" key/value pair: map header 0x8b -> 0x8a */
            if (!ret) {
                static const uint8_t hkey[] = {0xa1, 'h', 0xc4, 0x20};
                uint8_t *at = NULL;
                for (size_t i = 0; i + sizeof hkey + 32 <= one.len && !at; i++)
                    if (!memcmp(one.p + i, hkey, sizeof hkey))
                        at = one.p + i;
                if (!at || one.p[0] != 0x8b)
                    ret = br_fail(c, "advertisement layout not as expected");
                else {
                    size_t off = (size_t)(at - one.p), cut = sizeof hkey + 32;
                    one.p[0] = 0x8a;
                    ret = br_check(c, ml_buf_append(&adv, one.p, off), "copy") ||
                          br_check(c, ml_buf_append(&adv, at + cut, one.len - off - cut), "copy");
                }
            }
            ml_buf_free(&one);
        }
        ml_buf_free(&full);
    } else {
        return br_fail(c, "unknown malformed-adv variant: %s", variant);
    }
    if (!ret)
        ret = br_check(c, rns_linkres_new(&lr, lib_rng, NULL), "resources");
    if (!ret) {
        rns_linkres_set_policy(lr, &p);
        ret = feed_adv(c, pr, lr, l, &adv, &n) || br_set_str(c, "variant", variant) ||
              br_set_bool(c, "inbound_started", n > 0) || br_set_bool(c, "crashed", 0);
    }
    rns_linkres_free(lr);
    ml_buf_free(&adv);
    return ret;
}

/* Pops everything a resource queued; counts RESOURCE parts and keeps their
 * bytes (concatenated) in parts when not NULL. */
static unsigned drain_parts(rns_resource *r, ml_buf *parts)
{
    ml_buf b = ML_BUF_INIT;
    uint8_t ctx;
    unsigned n = 0;

    while (rns_resource_pop(r, &ctx, &b) == 1) {
        if (ctx == RNS_CTX_RESOURCE) {
            n++;
            if (parts)
                (void)ml_buf_append(parts, b.p, b.len);
        }
        ml_buf_reset(&b);
    }
    ml_buf_free(&b);
    return n;
}

/* Crafted RESOURCE_REQs into a fresh sender, made of its own hash and map
 * hashes: a hashmap-exhausted request must name the last hash of a 74-hash
 * segment (else the transfer is cancelled), a plain one is served part by
 * part in order. */
/* "duplicate": one genuine RESOURCE_REQ packet (encrypted with the link's
 * key, as the peer would send it) asking for every part, delivered twice
 * to a fresh sender with its packet hash, as the link hands it over
 * (rns_resource_input_request); parts served are counted as they leave. */
static int duplicate_request(br_ctx *c, peer *pr, const uint8_t id[RNS_HASHLEN], rns_link *l)
{
    ml_buf req = ML_BUF_INIT, tok = ML_BUF_INIT;
    uint8_t iv[16], ph[32];
    rns_resource *tx;
    rns_packet p;
    unsigned first, second;
    size_t count;
    int ret, known;

    if (build_pair(c, pr, id, l, 1500, 236, &tx, NULL))
        return -1;
    drain_parts(tx, NULL); /* the advertisement */
    ret = br_check(c, ml_buf_putc(&req, RNS_RESOURCE_HASHMAP_NOT_EXHAUSTED), "req") ||
          br_check(c, ml_buf_append(&req, rns_resource_hash(tx), 32), "req") ||
          br_check(c, ml_buf_append(&req, rns_resource_hashmap(tx),
                                    (size_t)rns_resource_parts(tx) * 4), "req") ||
          br_random(c, iv, sizeof iv) ||
          br_check(c, ml_token_encrypt(&tok, rns_link_key(l), iv, req.p, req.len), "encrypt");
    if (ret)
        goto out;
    memset(&p, 0, sizeof p);
    p.header_type = RNS_HEADER_1;
    p.packet_type = RNS_PACKET_DATA;
    p.dest_type = RNS_DEST_LINK;
    p.context = RNS_CTX_RESOURCE_REQ;
    memcpy(p.dest_hash, id, RNS_HASHLEN);
    p.data = tok.p;
    p.data_len = tok.len;
    if ((ret = br_check(c, rns_packet_hash(ph, &p), "packet hash")))
        goto out;
    (void)rns_resource_input_request(tx, ph, req.p, req.len, rns_node_now());
    first = drain_parts(tx, NULL);
    rns_resource_request_hashes(tx, ph, &known);
    (void)rns_resource_input_request(tx, ph, req.p, req.len, rns_node_now());
    second = first + drain_parts(tx, NULL);
    count = rns_resource_request_hashes(tx, NULL, NULL);
    ret = br_set_str(c, "variant", "duplicate") ||
          br_set_int(c, "total_parts", rns_resource_parts(tx)) ||
          br_set_int(c, "first_served", first) || br_set_int(c, "second_served", second) ||
          br_set_bool(c, "first_in_hashlist", known) ||
          br_set_int(c, "req_hashlist_len", (long long)count) ||
          br_set_bool(c, "deduped", second == first && count == 1);
out:
    ml_buf_free(&req);
    ml_buf_free(&tok);
    rns_resource_free(tx);
    return ret;
}

static int cmd_wire_inject_crafted_resource_request(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN];
    ml_buf req = ML_BUF_INIT, p1 = ML_BUF_INIT, p2 = ML_BUF_INIT;
    const char *variant;
    rns_resource *tx;
    const uint8_t *hm;
    uint32_t n, scope0, sent = 0;
    int64_t last = -1;
    int ret, st, serve_all, scope;
    rns_link *l;
    peer *pr;

    if (link_param(c, &pr, &l, id) || br_str(c, "variant", &variant))
        return -1;
    if (!strcmp(variant, "duplicate"))
        return duplicate_request(c, pr, id, l);
    serve_all = !strcmp(variant, "serve_all");
    scope = !strcmp(variant, "aligned_scope");
    if (!serve_all && !scope && strcmp(variant, "misaligned_hmu") && strcmp(variant, "aligned"))
        return br_fail(c, "unknown request variant: %s", variant);
    /* many small parts: at an SDU of 200, 9000 bytes (scope: 40000) */
    if (build_pair(c, pr, id, l, scope ? 40000 : serve_all ? 1500 : 20000, 236, &tx, NULL))
        return -1;
    drain_parts(tx, NULL); /* the advertisement */
    n = rns_resource_parts(tx);
    hm = rns_resource_hashmap(tx);
    scope0 = rns_resource_sender_scope(tx);
    if (!strcmp(variant, "misaligned_hmu"))
        last = 0;
    else if (!strcmp(variant, "aligned"))
        last = RNS_RESOURCE_HASHMAP_MAX_LEN - 1;
    else if (scope)
        last = 2 * RNS_RESOURCE_HASHMAP_MAX_LEN - 1;
    if (last >= (int64_t)n) {
        ret = br_fail(c, "need more than %lld parts", (long long)last);
        goto out;
    }
    ret = br_check(c, ml_buf_putc(&req, last >= 0 ? RNS_RESOURCE_HASHMAP_EXHAUSTED
                                                   : RNS_RESOURCE_HASHMAP_NOT_EXHAUSTED), "req");
    if (!ret && last >= 0)
        ret = br_check(c, ml_buf_append(&req, hm + last * 4, 4), "req");
    if (!ret)
        ret = br_check(c, ml_buf_append(&req, rns_resource_hash(tx), 32), "req") ||
              br_check(c, ml_buf_append(&req, hm, serve_all ? (size_t)n * 4 : 0), "req");
    if (ret)
        goto out;
    (void)rns_resource_input(tx, RNS_CTX_RESOURCE_REQ, req.p, req.len, rns_node_now());
    if (serve_all) {
        json_t *idx = json_array();
        unsigned served = drain_parts(tx, &p1);
        rns_resource_counters(tx, NULL, NULL, &sent);
        st = rns_status_code(rns_resource_status(tx));
        (void)rns_resource_input(tx, RNS_CTX_RESOURCE_REQ, req.p, req.len, rns_node_now());
        drain_parts(tx, &p2);
        /* parts are served in part order: served k is part k */
        for (unsigned k = 0; idx && k < served; k++)
            json_array_append_new(idx, json_integer(k));
        ret = br_set_str(c, "variant", variant) || br_set(c, "served_indices", idx) ||
              br_set_int(c, "sent_parts", sent) || br_set_int(c, "total_parts", n) ||
              br_set_bool(c, "identical_on_resend",
                          p1.len == p2.len && p1.len && !memcmp(p1.p, p2.p, p1.len)) ||
              br_set_str(c, "status_name", status_name(st));
        goto out;
    }
    drain_parts(tx, NULL);
    st = rns_status_code(rns_resource_status(tx));
    ret = br_set_str(c, "variant", variant) || br_set_bool(c, "cancelled", st == 7) ||
          br_set_int(c, "status", st) || br_set_str(c, "status_name", status_name(st)) ||
          br_set_int(c, "scope_before", scope0) ||
          br_set_int(c, "scope_after", rns_resource_sender_scope(tx)) ||
          br_set_int(c, "part_index", last + 1) ||
          br_set_int(c, "window_max", RNS_RESOURCE_WINDOW_MAX_FAST);
out:
    ml_buf_free(&req);
    ml_buf_free(&p1);
    ml_buf_free(&p2);
    rns_resource_free(tx);
    return ret;
}

/* One transfer at a time: a second one on a link waits (QUEUED) while the
 * first is out. Uses resources of its own on the live link; the first
 * advertisement does go to the peer, which may request it in vain. */
static int cmd_wire_resource_outgoing_queue_state(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN], data[300];
    rns_res_send_opts o;
    rns_linkres *lr = NULL;
    uint32_t first = 0, second = 0;
    size_t empty_out;
    int ret, st1, st2;
    rns_link *l;
    peer *pr;

    if (link_param(c, &pr, &l, id) || br_random(c, data, sizeof data) ||
        br_check(c, rns_linkres_new(&lr, lib_rng, NULL), "resources"))
        return -1;
    memset(&o, 0, sizeof o);
    o.data = data;
    o.len = sizeof data;
    empty_out = rns_linkres_outgoing(lr);
    ret = br_check(c, rns_linkres_send(lr, l, &o, rns_node_now(), &first), "first") ||
          br_check(c, rns_linkres_send(lr, l, &o, rns_node_now(), &second), "second");
    if (!ret) {
        const rns_resource *r1 = rns_linkres_get(lr, first);
        st1 = r1 ? rns_status_code(rns_resource_status(r1)) : -1;
        st2 = rns_linkres_queued(lr, second) ? 1 : -1;
        /* ready_with_one: a link with one transfer out takes no new one now */
        ret = br_set_bool(c, "ready_empty", empty_out == 0) ||
              br_set_bool(c, "ready_with_one", rns_linkres_outgoing(lr) == 0) ||
              br_set_int(c, "first_status", st1) ||
              (status_name(st1) ? br_set_str(c, "first_status_name", status_name(st1))
                                : br_set_null(c, "first_status_name")) ||
              br_set_int(c, "second_status", st2) ||
              (status_name(st2) ? br_set_str(c, "second_status_name", status_name(st2))
                                : br_set_null(c, "second_status_name")) ||
              br_set_bool(c, "queued", st2 == 1);
    }
    rns_linkres_free(lr);
    (void)rns_transport_flush(core(pr), rns_node_now());
    rns_node_kick(pr->node);
    return ret;
}

/* A genuine advertisement with n raised by 5: the receiver derives the part
 * count from t and its SDU. */
static int cmd_wire_resource_part_count_derivation(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN], ctx = 0;
    ml_buf adv = ML_BUF_INIT, tampered = ML_BUF_INIT;
    rns_resource *tx = NULL, *rx = NULL;
    rns_resource_adv a;
    uint32_t mtu = 236, genuine;
    size_t sdu = rns_resource_sdu(mtu);
    rns_link *l;
    peer *pr;
    int ret;

    if (link_param(c, &pr, &l, id) || build_pair(c, pr, id, l, 2000, mtu, &tx, NULL))
        return -1;
    ret = rns_resource_pop(tx, &ctx, &adv) == 1 && ctx == RNS_CTX_RESOURCE_ADV
              ? 0 : br_fail(c, "the sender queued no advertisement");
    if (!ret)
        ret = br_check(c, rns_resource_adv_unpack(&a, adv.p, adv.len, sdu), "adv");
    if (!ret) {
        genuine = a.n;
        a.n += 5;
        ret = br_check(c, rns_resource_adv_pack(&tampered, &a), "adv") ||
              br_check(c, rns_resource_accept(&rx, rns_link_key(l), mtu, tampered.p,
                                              tampered.len, 0, rns_node_now()), "accept") ||
              br_set_int(c, "sender_parts", rns_resource_parts(tx)) ||
              br_set_int(c, "adv_n_genuine", genuine) ||
              br_set_int(c, "adv_n_tampered", genuine + 5) ||
              br_set_int(c, "transfer_size", (long long)a.t) ||
              br_set_int(c, "receiver_sdu", (long long)rns_resource_part_sdu(rx)) ||
              br_set_int(c, "receiver_total_parts", rns_resource_parts(rx)) ||
              br_set_int(c, "derived_expected", (long long)((a.t + sdu - 1) / sdu));
    }
    ml_buf_free(&adv);
    ml_buf_free(&tampered);
    rns_resource_free(tx);
    rns_resource_free(rx);
    return ret;
}

/* The collision guard on demand: the library's force_collision option makes
 * the first hashmap build of a several-part resource collide, and the link's
 * resources rebuild it with a fresh random_hash (rns_linkres_last_build). */
static int cmd_wire_resource_force_collision(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN];
    ml_buf data = ML_BUF_INIT;
    rns_res_build_info bi;
    rns_res_send_opts o;
    rns_linkres *lr;
    rns_resource *tx = NULL;
    rns_link *l;
    peer *pr;
    int ret, remapped;

    if (link_param(c, &pr, &l, id))
        return -1;
    if (!(lr = rns_transport_link_resources(core(pr), id)))
        return br_fail(c, "no resources on this link");
    if (ml_buf_reserve(&data, 4000))
        return br_fail(c, "out of memory");
    data.len = 4000;
    memset(&o, 0, sizeof o);
    o.data = data.p;
    o.len = data.len;
    o.link_mtu = 236; /* parts of 200 bytes: a single part cannot collide */
    o.force_collision = 1;
    ret = br_random(c, data.p, data.len) ||
          br_check(c, rns_linkres_build(lr, l, &o, rns_node_now(), &tx, NULL), "resource");
    ml_buf_free(&data);
    if (ret)
        return -1;
    rns_linkres_last_build(lr, &bi);
    remapped = bi.builds > 1 && memcmp(bi.first_random_hash, bi.random_hash, 4) != 0;
    ret = br_set_bool(c, "remapped", remapped) || br_set_int(c, "builds", bi.builds) ||
          br_set_hex(c, "random_hash_before", bi.first_random_hash, 4) ||
          br_set_hex(c, "random_hash_after", bi.random_hash, 4) ||
          br_set_bool(c, "hashmap_changed",
                      remapped && !memcmp(rns_resource_adv_of(tx)->r, bi.random_hash, 4)) ||
          br_set_int(c, "num_parts", rns_resource_parts(tx));
    rns_resource_free(tx);
    return ret;
}

/* Cancelled resources ignore late parts, hashmap updates, requests and
 * proofs; a fresh sender takes the same proof (control). */
static int cmd_wire_resource_late_after_cancel(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN], proof[64], req[1 + 4 + 32];
    rns_resource *tx, *rx, *tx2 = NULL, *ctl = NULL;
    rns_resource_rx_state s0, s1;
    const uint8_t *part;
    uint32_t r0, r1, sent0, sent1;
    size_t plen = 0;
    int ret, rst, sst, sst2, cst;
    rns_link *l;
    peer *pr;

    if (link_param(c, &pr, &l, id) || build_pair(c, pr, id, l, 20000, 236, &tx, &rx))
        return -1;
    /* receiver */
    (void)rns_resource_cancel(rx);
    rst = rns_status_code(rns_resource_status(rx));
    rns_resource_counters(rx, NULL, NULL, &r0);
    rns_resource_get_rx_state(rx, &s0);
    part = rns_resource_part(tx, 0, &plen);
    (void)rns_resource_input(rx, RNS_CTX_RESOURCE, part, plen, rns_node_now());
    rns_resource_counters(rx, NULL, NULL, &r1);
    req[0] = RNS_RESOURCE_HASHMAP_EXHAUSTED; /* the sender's own next hashmap segment */
    memcpy(req + 1, rns_resource_hashmap(tx) + (RNS_RESOURCE_HASHMAP_MAX_LEN - 1) * 4, 4);
    memcpy(req + 5, rns_resource_hash(tx), 32);
    {
        ml_buf b = ML_BUF_INIT;
        uint8_t ctx;
        drain_parts(tx, NULL);
        (void)rns_resource_input(tx, RNS_CTX_RESOURCE_REQ, req, sizeof req, rns_node_now());
        while (rns_resource_pop(tx, &ctx, &b) == 1) {
            if (ctx == RNS_CTX_RESOURCE_HMU)
                (void)rns_resource_input(rx, ctx, b.p, b.len, rns_node_now());
            ml_buf_reset(&b);
        }
        ml_buf_free(&b);
    }
    rns_resource_get_rx_state(rx, &s1);
    /* sender: a fresh one, cancelled, then a serve-all request and a valid proof */
    ret = build_pair(c, pr, id, l, 1500, 236, &tx2, NULL) ||
          build_pair(c, pr, id, l, 1500, 236, &ctl, NULL);
    if (!ret) {
        ml_buf q = ML_BUF_INIT;
        drain_parts(tx2, NULL);
        (void)rns_resource_cancel(tx2);
        drain_parts(tx2, NULL);
        sst = rns_status_code(rns_resource_status(tx2));
        rns_resource_counters(tx2, NULL, NULL, &sent0);
        if (ml_buf_putc(&q, RNS_RESOURCE_HASHMAP_NOT_EXHAUSTED) ||
            ml_buf_append(&q, rns_resource_hash(tx2), 32) ||
            ml_buf_append(&q, rns_resource_hashmap(tx2), (size_t)rns_resource_parts(tx2) * 4))
            ret = br_fail(c, "out of memory");
        (void)rns_resource_input(tx2, RNS_CTX_RESOURCE_REQ, q.p, q.len, rns_node_now());
        rns_resource_counters(tx2, NULL, NULL, &sent1);
        memcpy(proof, rns_resource_hash(tx2), 32);
        memcpy(proof + 32, rns_resource_expected_proof(tx2), 32);
        (void)rns_resource_input(tx2, RNS_CTX_RESOURCE_PRF, proof, 64, rns_node_now());
        sst2 = rns_status_code(rns_resource_status(tx2));
        memcpy(proof, rns_resource_hash(ctl), 32);
        memcpy(proof + 32, rns_resource_expected_proof(ctl), 32);
        (void)rns_resource_input(ctl, RNS_CTX_RESOURCE_PRF, proof, 64, rns_node_now());
        cst = rns_status_code(rns_resource_status(ctl));
        ml_buf_free(&q);
        if (!ret)
            ret = br_set_str(c, "receiver_status", status_name(rst)) ||
                  br_set_int(c, "receiver_received_before", r0) ||
                  br_set_int(c, "receiver_received_after_late_part", r1) ||
                  br_set_int(c, "receiver_height_before", s0.hashmap_height) ||
                  br_set_int(c, "receiver_height_after_late_hmu", s1.hashmap_height) ||
                  br_set_str(c, "sender_status", status_name(sst)) ||
                  br_set_int(c, "sender_sent_before", sent0) ||
                  br_set_int(c, "sender_sent_after_late_request", sent1) ||
                  br_set_str(c, "sender_status_after_late_proof", status_name(sst2)) ||
                  br_set_str(c, "control_status_after_proof", status_name(cst));
    }
    rns_resource_free(tx);
    rns_resource_free(rx);
    rns_resource_free(tx2);
    rns_resource_free(ctl);
    return ret;
}

/* The id of the latest incoming resource a link's resources started. */
static uint32_t started_id(rns_linkres *lr)
{
    rns_res_event ev;
    uint32_t id = 0;

    while (rns_linkres_pop_event(lr, &ev) == 1) {
        if (ev.type == RNS_RES_EV_STARTED && !ev.outgoing)
            id = ev.id;
        rns_res_event_clear(&ev);
    }
    return id;
}

/* A first incoming transfer runs to COMPLETE on a link's resources (its
 * window grows round by round); the second one on that link starts at the
 * window the first ended with. Parts and advertisements are the library
 * sender's own; what the receiver sends goes out on the live link, where
 * the peer knows no such resource. */
static int cmd_wire_resource_window_inheritance(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN], ctx = 0;
    rns_res_policy p = {RNS_RES_ACCEPT_ALL, NULL, NULL, 0};
    rns_res_send_opts o;
    rns_resource *tx = NULL, *tx2 = NULL;
    rns_linkres *lr = NULL;
    ml_buf data = ML_BUF_INIT, adv = ML_BUF_INIT, adv2 = ML_BUF_INIT;
    rns_link_event ev;
    const rns_resource *r;
    uint32_t rid, rid2, n;
    unsigned win_done = 0;
    size_t inc = 0;
    int ret, completed = 0;
    rns_link *l;
    peer *pr;

    if (link_param(c, &pr, &l, id))
        return -1;
    /* enough parts for a few request rounds at this link's SDU */
    n = 7;
    if (ml_buf_reserve(&data, (size_t)n * rns_resource_sdu(rns_link_mtu(l))))
        return br_fail(c, "out of memory");
    data.len = (size_t)n * rns_resource_sdu(rns_link_mtu(l)) - 100;
    memset(&o, 0, sizeof o);
    o.data = data.p;
    o.len = data.len;
    o.no_compress = 1;
    ret = br_random(c, data.p, data.len) ||
          br_check(c, rns_linkres_build(rns_transport_link_resources(core(pr), id), l, &o,
                                        rns_node_now(), &tx, NULL), "resource") ||
          br_check(c, rns_linkres_build(rns_transport_link_resources(core(pr), id), l, &o,
                                        rns_node_now(), &tx2, NULL), "resource") ||
          br_check(c, rns_linkres_new(&lr, lib_rng, NULL), "resources");
    if (ret)
        goto out;
    rns_linkres_set_policy(lr, &p);
    if (rns_resource_pop(tx, &ctx, &adv) != 1 || rns_resource_pop(tx2, &ctx, &adv2) != 1) {
        ret = br_fail(c, "the sender queued no advertisement");
        goto out;
    }
    if ((ret = feed_adv(c, pr, lr, l, &adv, &inc)))
        goto out;
    rid = started_id(lr);
    n = rns_resource_parts(tx);
    for (uint32_t i = 0; i < n && !ret; i++) {
        size_t plen = 0;
        const uint8_t *part = rns_resource_part(tx, i, &plen);
        if (i + 1 == n && (r = rns_linkres_get(lr, rid)))
            win_done = rns_resource_window(r);
        memset(&ev, 0, sizeof ev);
        ev.type = RNS_LINK_EV_PACKET;
        ev.context = RNS_CTX_RESOURCE;
        ev.data.p = (uint8_t *)(uintptr_t)part;
        ev.data.len = plen;
        if (rns_linkres_input(lr, l, &ev, rns_node_now()) < 0)
            ret = br_fail(c, "part refused");
    }
    {
        rns_res_event e;
        while (rns_linkres_pop_event(lr, &e) == 1) {
            if (e.type == RNS_RES_EV_CONCLUDED && e.id == rid)
                completed = e.status == RNS_RESOURCE_COMPLETE;
            rns_res_event_clear(&e);
        }
    }
    if (ret || (ret = feed_adv(c, pr, lr, l, &adv2, &inc)))
        goto out;
    rid2 = started_id(lr);
    r = rns_linkres_get(lr, rid2);
    ret = br_set_int(c, "default_window", RNS_RESOURCE_WINDOW) ||
          br_set_int(c, "total_parts_1", n) || br_set_bool(c, "completed_1", completed) ||
          br_set_int(c, "window_after_complete", win_done) ||
          br_set_int(c, "link_last_window", rns_linkres_last_window(lr)) ||
          br_set_int(c, "window2_initial", r ? (long long)rns_resource_window(r) : -1);
out:
    (void)rns_transport_flush(core(pr), rns_node_now());
    rns_node_kick(pr->node);
    rns_linkres_free(lr);
    rns_resource_free(tx);
    rns_resource_free(tx2);
    ml_buf_free(&data);
    ml_buf_free(&adv);
    ml_buf_free(&adv2);
    return ret;
}

/* Progress of an incoming resource: the parts received over the parts, and
 * one progress event per part taken. */
static int cmd_wire_resource_progress(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN], ctx = 0;
    rns_res_policy p = {RNS_RES_ACCEPT_ALL, NULL, NULL, 0};
    rns_res_send_opts o;
    rns_resource *tx = NULL;
    rns_linkres *lr = NULL;
    ml_buf data = ML_BUF_INIT, adv = ML_BUF_INIT;
    rns_link_event ev;
    rns_res_event e;
    const rns_resource *r;
    uint32_t rid = 0, n, fed, got = 0, calls = 0;
    size_t inc = 0;
    double initial = -1;
    int ret;
    rns_link *l;
    peer *pr;

    if (link_param(c, &pr, &l, id))
        return -1;
    if (ml_buf_reserve(&data, 6 * rns_resource_sdu(rns_link_mtu(l))))
        return br_fail(c, "out of memory");
    data.len = 6 * rns_resource_sdu(rns_link_mtu(l)) - 100;
    memset(&o, 0, sizeof o);
    o.data = data.p;
    o.len = data.len;
    o.no_compress = 1;
    ret = br_random(c, data.p, data.len) ||
          br_check(c, rns_linkres_build(rns_transport_link_resources(core(pr), id), l, &o,
                                        rns_node_now(), &tx, NULL), "resource") ||
          br_check(c, rns_linkres_new(&lr, lib_rng, NULL), "resources");
    if (!ret && rns_resource_pop(tx, &ctx, &adv) != 1)
        ret = br_fail(c, "the sender queued no advertisement");
    if (ret)
        goto out;
    rns_linkres_set_policy(lr, &p);
    if ((ret = feed_adv(c, pr, lr, l, &adv, &inc)))
        goto out;
    rid = started_id(lr);
    if ((r = rns_linkres_get(lr, rid)) && rns_resource_parts(r)) {
        rns_resource_counters(r, NULL, NULL, &got);
        initial = (double)got / (double)rns_resource_parts(r);
    }
    n = rns_resource_parts(tx);
    fed = n / 2;
    for (uint32_t i = 0; i < fed; i++) {
        size_t plen = 0;
        const uint8_t *part = rns_resource_part(tx, i, &plen);
        memset(&ev, 0, sizeof ev);
        ev.type = RNS_LINK_EV_PACKET;
        ev.context = RNS_CTX_RESOURCE;
        ev.data.p = (uint8_t *)(uintptr_t)part;
        ev.data.len = plen;
        (void)rns_linkres_input(lr, l, &ev, rns_node_now());
    }
    while (rns_linkres_pop_event(lr, &e) == 1) {
        if (e.type == RNS_RES_EV_PROGRESS && e.id == rid) {
            calls++;
            got = e.received;
        }
        rns_res_event_clear(&e);
    }
    ret = br_set_int(c, "total_parts", n) || br_set_int(c, "fed", fed) ||
          br_set_int(c, "received_count", got) ||
          br_set(c, "progress_initial", json_real(initial)) ||
          br_set(c, "progress_mid", json_real(n ? (double)got / (double)n : 0.0)) ||
          br_set_int(c, "progress_callback_calls", calls);
out:
    (void)rns_transport_flush(core(pr), rns_node_now());
    rns_node_kick(pr->node);
    rns_linkres_free(lr);
    rns_resource_free(tx);
    ml_buf_free(&data);
    ml_buf_free(&adv);
    return ret;
}

/* Pops what a receiver queued; the first RESOURCE_REQ payload goes to req
 * (when not NULL). Returns how many RESOURCE_REQs there were. */
static unsigned drain_requests(rns_resource *r, ml_buf *req)
{
    ml_buf b = ML_BUF_INIT;
    uint8_t ctx;
    unsigned n = 0;

    while (rns_resource_pop(r, &ctx, &b) == 1) {
        if (ctx == RNS_CTX_RESOURCE_REQ && n++ == 0 && req)
            (void)ml_buf_append(req, b.p, b.len);
        ml_buf_reset(&b);
    }
    ml_buf_free(&b);
    return n;
}

static int hash_list(br_ctx *c, const char *key, const uint8_t *p, size_t n)
{
    json_t *list = json_array();
    char hex[2 * 4 + 1];

    if (!list)
        return br_fail(c, "out of memory");
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < 4; k++)
            snprintf(hex + 2 * k, 3, "%02x", p[4 * i + k]);
        if (json_array_append_new(list, json_string(hex))) {
            json_decref(list);
            return br_fail(c, "out of memory");
        }
    }
    return br_set(c, key, list);
}

/* A manual receiver (rns_resource_set_manual_requests) positioned by feeding
 * parts in order, then asked twice for its next window
 * (rns_resource_request_next); the first RESOURCE_REQ it queued is decoded.
 * "expected" comes from the sender's hashmap: the hashes from cch + 1 the
 * receiver knows, at most window of them. */
static int cmd_wire_resource_request_next_content(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN];
    const char *variant;
    rns_resource *tx, *rx;
    rns_resource_rx_state st;
    const uint8_t *part, *map;
    ml_buf req = ML_BUF_INIT;
    uint32_t feed, nexp = 0;
    size_t plen, hdr;
    int ex, ret, r1, r2, waiting;
    unsigned second;
    rns_link *l;
    peer *pr;

    if (link_param(c, &pr, &l, id) || br_str(c, "variant", &variant))
        return -1;
    ex = !strcmp(variant, "exhausted");
    if (!ex && strcmp(variant, "initial") && strcmp(variant, "after_parts"))
        return br_fail(c, "unknown request_next variant: %s", variant);
    /* SDU 150 (more than one hashmap segment) or 200, as the reference's case */
    if (build_pair(c, pr, id, l, ex ? 14000 : 1500, ex ? 186 : 236, &tx, &rx))
        return -1;
    feed = ex ? RNS_RESOURCE_HASHMAP_MAX_LEN - 1 : !strcmp(variant, "after_parts") ? 2 : 0;
    ret = 0;
    if (ex && rns_resource_parts(rx) <= RNS_RESOURCE_HASHMAP_MAX_LEN) {
        ret = br_fail(c, "need more than %u parts", RNS_RESOURCE_HASHMAP_MAX_LEN);
        goto out;
    }
    rns_resource_set_manual_requests(rx, 1);
    for (uint32_t i = 0; i < feed; i++)
        if ((part = rns_resource_part(tx, i, &plen)))
            (void)rns_resource_input(rx, RNS_CTX_RESOURCE, part, plen, rns_node_now());
    (void)drain_requests(rx, NULL); /* the request accept queued */
    rns_resource_get_rx_state(rx, &st);
    map = rns_resource_hashmap(tx);
    for (int64_t pn = st.consecutive_height + 1;
         pn < (int64_t)st.hashmap_height && nexp < st.window; pn++)
        nexp++;
    r1 = rns_resource_request_next(rx, rns_node_now());
    (void)drain_requests(rx, &req);
    rns_resource_get_rx_state(rx, &st);
    waiting = st.waiting_for_hmu;
    r2 = rns_resource_request_next(rx, rns_node_now());
    second = drain_requests(rx, NULL);
    if (r1 < 0 || r2 < 0) {
        ret = br_check(c, r1 < 0 ? r1 : r2, "request_next");
        goto out;
    }
    if (r1 != 1 || req.len < 1 + 32) {
        ret = br_fail(c, "request_next queued no RESOURCE_REQ");
        goto out;
    }
    hdr = 1 + (req.p[0] == 0xff ? 4 : 0) + 32;
    if (req.len < hdr) {
        ret = br_fail(c, "short RESOURCE_REQ");
        goto out;
    }
    ret = br_set_str(c, "variant", variant) || br_set_int(c, "window", st.window) ||
          br_set_int(c, "total_parts", rns_resource_parts(rx)) ||
          br_set_int(c, "hashmap_height", st.hashmap_height) ||
          br_set_int(c, "consecutive_height", st.consecutive_height) ||
          hash_list(c, "requested", req.p + hdr, (req.len - hdr) / 4) ||
          hash_list(c, "expected", map + (size_t)(st.consecutive_height + 1) * 4, nexp) ||
          br_set_bool(c, "exhausted", req.p[0] == 0xff) ||
          br_set_bool(c, "waiting_for_hmu", waiting) ||
          br_set_bool(c, "second_request_emitted", second > 0);
out:
    ml_buf_free(&req);
    rns_resource_free(tx);
    rns_resource_free(rx);
    return ret;
}

/* A receiver given every genuine part through rns_resource_plant_part
 * (past the map-hash gate), one replaced by random bytes for "corrupt":
 * only an assembly that matches the resource hash completes and proves. */
static int cmd_wire_inject_corrupt_assembled_resource(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN], junk[RNS_NODE_TCP_HW_MTU];
    const char *variant;
    rns_resource *tx, *rx;
    const uint8_t *part;
    uint32_t n, bad;
    unsigned proofs;
    size_t plen;
    int corrupt, ret = 0, st;
    rns_link *l;
    peer *pr;

    if (link_param(c, &pr, &l, id) || br_str(c, "variant", &variant))
        return -1;
    corrupt = !strcmp(variant, "corrupt");
    if (!corrupt && strcmp(variant, "valid"))
        return br_fail(c, "unknown corrupt-assemble variant: %s", variant);
    if (build_pair(c, pr, id, l, 2000, 236, &tx, &rx))
        return -1;
    (void)count_proofs(rx); /* the first request */
    n = rns_resource_parts(rx);
    bad = corrupt ? n / 2 : n;
    for (uint32_t i = 0; !ret && i < n; i++) {
        if (!(part = rns_resource_part(tx, i, &plen)) || plen > sizeof junk) {
            ret = br_fail(c, "no part %u", i);
            break;
        }
        if (i == bad) {
            if ((ret = br_random(c, junk, plen)))
                break;
            part = junk;
        }
        (void)rns_resource_plant_part(rx, i, part, plen, rns_node_now());
    }
    if (!ret) {
        proofs = count_proofs(rx);
        st = rns_status_code(rns_resource_status(rx));
        ret = br_set_str(c, "variant", variant) || br_set_int(c, "status", st) ||
              br_set_str(c, "status_name", status_name(st)) ||
              br_set_bool(c, "complete", rns_resource_status(rx) == RNS_RESOURCE_COMPLETE) ||
              br_set_bool(c, "corrupt", rns_resource_status(rx) == RNS_RESOURCE_CORRUPT) ||
              br_set_int(c, "proof_calls", proofs) || br_set_bool(c, "proof_sent", proofs > 0) ||
              br_set_int(c, "total_parts", n);
    }
    rns_resource_free(tx);
    rns_resource_free(rx);
    return ret;
}

const br_cmd br_resource_cmds[] = {
    {"wire_inject_corrupt_assembled_resource", cmd_wire_inject_corrupt_assembled_resource},
    {"wire_resource_request_next_content", cmd_wire_resource_request_next_content},
    {"wire_resource_progress", cmd_wire_resource_progress},
    {"wire_resource_window_inheritance", cmd_wire_resource_window_inheritance},
    {"wire_inject_crafted_resource_request", cmd_wire_inject_crafted_resource_request},
    {"wire_resource_outgoing_queue_state", cmd_wire_resource_outgoing_queue_state},
    {"wire_resource_force_collision", cmd_wire_resource_force_collision},
    {"wire_resource_part_count_derivation", cmd_wire_resource_part_count_derivation},
    {"wire_resource_late_after_cancel", cmd_wire_resource_late_after_cancel},
    {"wire_resource_receiver_request_state", cmd_wire_resource_receiver_request_state},
    {"wire_resource_receiver_proof_count", cmd_wire_resource_receiver_proof_count},
    {"wire_inject_hashmap_update", cmd_wire_inject_hashmap_update},
    {"wire_inject_duplicate_resource_adv", cmd_wire_inject_duplicate_resource_adv},
    {"wire_inject_resource_adv_flags", cmd_wire_inject_resource_adv_flags},
    {"wire_inject_malformed_resource_adv", cmd_wire_inject_malformed_resource_adv},
    {"wire_resource_constants", cmd_wire_resource_constants},
    {"wire_resource_decompress_limit", cmd_wire_resource_decompress_limit},
    {"wire_inject_crafted_resource_proof", cmd_wire_inject_crafted_resource_proof},
    {"wire_inject_crafted_resource_part", cmd_wire_inject_crafted_resource_part},
    {"wire_resource_send", cmd_wire_resource_send},
    {"wire_resource_cancel", cmd_wire_resource_cancel},
    {"wire_resource_send_bomb", cmd_wire_resource_send_bomb},
    {"wire_resource_poll", cmd_wire_resource_poll},
    {"wire_resource_receiver_status", cmd_wire_resource_receiver_status},
    {"wire_resource_create", cmd_wire_resource_create},
    {NULL, NULL},
};
