// SPDX-License-Identifier: MIT
// Bridge commands: links: watchdog state, injectors and link-level hooks.
// The injectors build their packets with the library (rns_link_pack,
// rns_link_initiate), damage them where the suite asks, and feed them to the
// peer's core as if they had arrived on an interface (rns_transport_inbound),
// so what is tested is the core's handling of them. What links send and
// receive in the clear is watched with the link tap (rns_transport_set_link_tap).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"
#include "wire.h"
#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/rns_destination.h"
#include "meshlog/rns_msgpack.h"
#include "meshlog/rns_packet.h"

static const char *const state_names[] = {"PENDING", "HANDSHAKE", "ACTIVE", "STALE", "CLOSED"};

/* ---- the link tap --------------------------------------------------------------------------- */

static void on_link_tap(void *ctx, const rns_link *l, int outbound, uint8_t packet_type,
                        uint8_t context, const uint8_t *data, size_t len)
{
    peer *pr = ctx;
    const uint8_t *id = rns_link_id(l);
    wlink *w = find_link(pr, id);
    json_t *e;
    char *hex;

    if (w && outbound && packet_type == RNS_PACKET_DATA && context == RNS_CTX_KEEPALIVE && len == 1)
        w->last_keepalive = data[0];
    if (!pr->link_capture || memcmp(pr->capture_link, id, RNS_HASHLEN))
        return;
    if (!(e = json_object()))
        return;
    json_object_set_new(e, "outbound", json_boolean(outbound));
    json_object_set_new(e, "packet_type", json_integer(packet_type));
    json_object_set_new(e, "context", json_integer(context));
    if ((hex = malloc(2 * len + 1))) {
        ml_hex(hex, data, len);
        json_object_set_new(e, "plaintext", json_string(hex));
        free(hex);
    }
    json_array_append_new(pr->link_capture, e);
}

void br_link_peer_init(peer *pr)
{
    rns_transport_set_link_tap(core(pr), on_link_tap, pr);
}

/* Starts recording what one link sends and receives. */
void capture_arm(peer *pr, const uint8_t id[RNS_HASHLEN])
{
    json_decref(pr->link_capture);
    pr->link_capture = json_array();
    memcpy(pr->capture_link, id, RNS_HASHLEN);
}

/* Stops recording; the caller owns the list. */
json_t *capture_take(peer *pr)
{
    json_t *list = pr->link_capture;

    pr->link_capture = NULL;
    return list ? list : json_array();
}

/* Feeds raw to the core as if received on the link's interface (or, for a
 * link not bound yet, the interface that came up last), then lets the node
 * send the answers and hand out the events. */
static int inject(peer *pr, const uint8_t id[RNS_HASHLEN], const ml_buf *raw)
{
    int iface = rns_transport_link_iface(core(pr), id);
    int ret;

    if (iface < 0)
        iface = pr->last_iface;
    ret = rns_transport_inbound(core(pr), iface, raw->p, raw->len, rns_node_now());
    rns_node_kick(pr->node);
    return ret;
}

static int live_state(peer *pr, const uint8_t id[RNS_HASHLEN])
{
    rns_link *l = rns_transport_link(core(pr), id);
    wlink *w = find_link(pr, id);

    if (l)
        return (int)rns_link_state(l);
    return w ? w->state : RNS_LINK_CLOSED;
}

/* ---- watchdog ------------------------------------------------------------------------------ */

static int cmd_wire_link_set_watchdog(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN];
    json_t *ka = br_param(c, "keepalive_s"), *st = br_param(c, "stale_time_s");
    rns_link_timers t;
    rns_link *l;
    peer *pr;

    if (link_param(c, &pr, &l, id))
        return -1;
    if ((ka && !json_is_number(ka)) || (st && !json_is_number(st)))
        return br_fail(c, "keepalive_s and stale_time_s must be numbers");
    if (br_check(c, rns_link_set_watchdog(l, ka ? json_number_value(ka) : 0,
                                          st ? json_number_value(st) : 0), "watchdog"))
        return -1;
    rns_node_kick(pr->node); /* the core's deadline moved */
    rns_link_get_timers(l, &t);
    return br_set(c, "keepalive_s", json_real(t.keepalive)) ||
           br_set(c, "stale_time_s", json_real(t.stale_time));
}

/* A keepalive byte fed to the link as if the peer had sent it, and what the
 * link does with it: answer (seen by the link tap), watchdog times, state. */
static int cmd_wire_send_keepalive_probe(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN];
    ml_buf value = ML_BUF_INIT, raw = ML_BUF_INIT;
    rns_link_timers before, after;
    json_t *seen = NULL, *e, *answer = NULL;
    int has_value, status_before, initiator, ret;
    rns_link *l;
    peer *pr;
    size_t i;

    ret = link_param(c, &pr, &l, id) || br_hex_opt(c, "value", &value, &has_value);
    if (!ret && !has_value)
        ret = br_check(c, ml_buf_append(&value, "\xff", 1), "value");
    if (!ret)
        ret = br_check(c, rns_link_pack(l, RNS_CTX_KEEPALIVE, value.p, value.len, &raw), "pack");
    if (ret)
        goto out;
    initiator = rns_link_is_initiator(l);
    status_before = (int)rns_link_state(l);
    rns_link_get_timers(l, &before);
    capture_arm(pr, id);
    inject(pr, id, &raw);
    seen = capture_take(pr);
    json_array_foreach(seen, i, e)
        if (json_is_true(json_object_get(e, "outbound")) &&
            json_integer_value(json_object_get(e, "context")) == RNS_CTX_KEEPALIVE)
            answer = json_object_get(e, "plaintext");
    if ((l = rns_transport_link(core(pr), id)))
        rns_link_get_timers(l, &after);
    else
        after = before;
    ret = (answer ? br_set(c, "response", json_incref(answer)) : br_set_null(c, "response")) ||
          br_set_bool(c, "answered", answer != NULL) || br_set_bool(c, "initiator", initiator) ||
          br_set_bool(c, "last_inbound_advanced", after.last_inbound > before.last_inbound) ||
          br_set_bool(c, "last_data_advanced", after.last_data > before.last_data) ||
          br_set_int(c, "status_before", status_before) ||
          br_set_int(c, "status_after", live_state(pr, id));
out:
    json_decref(seen);
    ml_buf_free(&value);
    ml_buf_free(&raw);
    return ret;
}

static int cmd_wire_last_keepalive(br_ctx *c)
{
    uint8_t b;
    peer *pr;
    wlink *l;

    if (wlink_param(c, &pr, &l))
        return -1;
    if (l->last_keepalive < 0)
        return br_set_null(c, "payload");
    b = (uint8_t)l->last_keepalive;
    return br_set_hex(c, "payload", &b, 1);
}

/* ---- injectors ------------------------------------------------------------------------------ */

/* A LINKCLOSE naming forged_id, encrypted to the link: only the link's own id
 * may close it. */
static int cmd_wire_send_forged_link_close(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN], forged[RNS_HASHLEN];
    ml_buf raw = ML_BUF_INIT;
    rns_link *l;
    peer *pr;
    int before, after, ret = link_param(c, &pr, &l, id) ||
                             br_hex_fixed(c, "forged_id", forged, sizeof forged);

    if (!ret)
        ret = br_check(c, rns_link_pack(l, RNS_CTX_LINKCLOSE, forged, sizeof forged, &raw), "pack");
    if (ret)
        goto out;
    before = (int)rns_link_state(l);
    inject(pr, id, &raw);
    after = live_state(pr, id);
    ret = br_set_bool(c, "torn_down", after == RNS_LINK_CLOSED) ||
          br_set_int(c, "status_before", before) || br_set_int(c, "status_after", after) ||
          br_set_str(c, "status_name_after", state_names[after]) ||
          br_set_hex(c, "forged_id", forged, sizeof forged) ||
          br_set_hex(c, "real_link_id", id, sizeof id);
out:
    ml_buf_free(&raw);
    return ret;
}

/* The listener buffer link DATA for this (inbound) link is delivered to. */
static int inbound_listener(br_ctx *c, peer *pr, const uint8_t id[RNS_HASHLEN], listener **ls)
{
    wlink *w = find_link(pr, id);

    if (!w || w->initiator || !(*ls = find_listener(pr, w->dest)))
        return br_fail(c, "link is not an inbound link of a listener on this peer "
                          "(run the injector on the receiving peer)");
    return 0;
}

/* Link DATA encrypted to the link, then damaged as asked, fed to the core.
 * foreign_interface: a pristine packet arriving on another interface (one
 * added to the core for the occasion and removed afterwards). */
static int cmd_wire_inject_tampered_link_data(br_ctx *c)
{
    static const char *const kinds[] = {"none", "ciphertext", "hmac", "truncate",
                                        "foreign_interface"};
    uint8_t id[RNS_HASHLEN];
    ml_buf data = ML_BUF_INIT, raw = ML_BUF_INIT;
    const char *kind = "none";
    listener *ls;
    rns_packet p;
    rns_link *l;
    peer *pr;
    size_t before, k;
    int ret = link_param(c, &pr, &l, id) || br_hex_opt(c, "data", &data, &(int){0});

    if (!ret && br_param(c, "corruption"))
        ret = br_str(c, "corruption", &kind);
    for (k = 0; !ret && k < sizeof kinds / sizeof kinds[0] && strcmp(kinds[k], kind); k++)
        ;
    if (!ret && k == sizeof kinds / sizeof kinds[0])
        ret = br_fail(c, "unknown corruption: %s", kind);
    if (!ret)
        ret = inbound_listener(c, pr, id, &ls) ||
              br_check(c, rns_link_pack(l, RNS_CTX_NONE, data.p, data.len, &raw), "pack");
    if (ret)
        goto out;
    if (k == 1)
        raw.p[RNS_HEADER_MINSIZE + 4]++;
    else if (k == 2)
        raw.p[raw.len - 1]++;
    else if (k == 3)
        raw.len--;
    before = json_array_size(ls->link_data);
    if (k == 4) {
        rns_iface_props props = {.name = "foreign"};
        int foreign;
        if (br_check(c, rns_transport_add_iface(core(pr), &props, &foreign), "interface"))
            goto out;
        rns_transport_inbound(core(pr), foreign, raw.p, raw.len, rns_node_now());
        rns_transport_remove_iface(core(pr), foreign);
        rns_node_kick(pr->node);
    } else {
        inject(pr, id, &raw);
    }
    ret = br_set_str(c, "corruption", kind) ||
          br_set_bool(c, "unpacked", rns_packet_unpack(&p, raw.p, raw.len) == 0) ||
          br_set_bool(c, "delivered", json_array_size(ls->link_data) > before) ||
          br_set_bool(c, "link_active", live_state(pr, id) == RNS_LINK_ACTIVE) ||
          br_set_str(c, "status_name", state_names[live_state(pr, id)]);
out:
    ml_buf_free(&data);
    ml_buf_free(&raw);
    return ret;
}

/* A pristine DATA packet made while the link is up, replayed after the link
 * was closed. */
static int cmd_wire_inject_closed_link_data(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN], rnd[16];
    ml_buf data = ML_BUF_INIT, raw = ML_BUF_INIT;
    listener *ls;
    rns_link *l;
    peer *pr;
    size_t before;
    int iface, ret = link_param(c, &pr, &l, id) || br_hex_opt(c, "data", &data, &(int){0}) ||
                     inbound_listener(c, pr, id, &ls);

    if (!ret && !data.len)
        ret = br_random(c, rnd, sizeof rnd) || br_check(c, ml_buf_append(&data, rnd, 16), "data");
    if (!ret)
        ret = br_check(c, rns_link_pack(l, RNS_CTX_NONE, data.p, data.len, &raw), "pack");
    if (ret)
        goto out;
    iface = rns_transport_link_iface(core(pr), id);
    before = json_array_size(ls->link_data);
    if (br_check(c, rns_link_close(l, rns_node_now()), "close") ||
        br_check(c, rns_transport_flush(core(pr), rns_node_now()), "flush")) {
        ret = -1;
        goto out;
    }
    rns_node_kick(pr->node);
    rns_transport_inbound(core(pr), iface >= 0 ? iface : pr->last_iface, raw.p, raw.len,
                          rns_node_now());
    rns_node_kick(pr->node);
    ret = br_set_bool(c, "delivered_before", 0) ||
          br_set_bool(c, "delivered", json_array_size(ls->link_data) > before) ||
          br_set_str(c, "status_name", state_names[live_state(pr, id)]) ||
          br_set_bool(c, "link_closed", live_state(pr, id) == RNS_LINK_CLOSED);
out:
    ml_buf_free(&data);
    ml_buf_free(&raw);
    return ret;
}

/* ---- link internals ------------------------------------------------------------------------- */

static int cmd_wire_link_key_material(br_ctx *c)
{
    peer *pr;
    wlink *l;

    if (wlink_param(c, &pr, &l))
        return -1;
    snapshot(pr, l);
    return br_set_int(c, "status", l->state) || br_set_str(c, "status_name", state_names[l->state]) ||
           br_set_bool(c, "derived_key_present", l->keys.derived) ||
           br_set_bool(c, "shared_key_present", l->keys.shared) ||
           br_set_bool(c, "prv_present", l->keys.prv) || br_set_bool(c, "pub_present", l->keys.pub);
}

static int rng(void *ctx, void *out, size_t len)
{
    (void)ctx;
    return ml_random(out, len);
}

/* A fresh identity and the hash of its SINGLE destination app.aspects. */
static int fresh_destination(br_ctx *c, const char *def_aspect, rns_identity **id,
                             uint8_t dest[RNS_HASHLEN])
{
    const char *app = "conformance", *aspects[16] = {def_aspect};
    uint8_t priv[RNS_KEYSIZE];
    ml_buf scratch = ML_BUF_INIT;
    size_t n = 1;
    int ret = 0;

    if (br_param(c, "app_name"))
        ret = br_str(c, "app_name", &app);
    if (!ret && br_param(c, "aspects"))
        ret = br_aspects(c, "aspects", aspects, 16, &n, &scratch);
    if (!ret)
        ret = br_random(c, priv, sizeof priv) ||
              br_check(c, rns_identity_from_private(id, priv), "identity") ||
              br_check(c, rns_destination_hash_for(dest, NULL, RNS_DEST_SINGLE, app, aspects, n,
                                                   *id), "destination");
    ml_wipe(priv, sizeof priv);
    ml_buf_free(&scratch);
    return ret;
}

/* An initiator link to dest as this peer's core would open it (the MTU it
 * would signal), built but not sent: its LINKREQUEST packet unpacked into p,
 * whose data points into raw. */
static int build_request(br_ctx *c, peer *pr, const rns_identity *id, const uint8_t *dest,
                         rns_link **l, ml_buf *raw, rns_packet *p)
{
    rns_link_initiate_params lp = {.dest_hash = dest, .dest_identity = id, .rng = rng};

    lp.mtu = rns_transport_link_mtu(core(pr), dest, rns_node_now());
    if (br_check(c, rns_link_initiate(l, &lp, rns_node_now()), "link"))
        return -1;
    if (rns_link_pop_packet(*l, raw) != 1)
        return br_fail(c, "the link queued no LINKREQUEST");
    return br_check(c, rns_packet_unpack(p, raw->p, raw->len), "unpack");
}

/* The LINKREQUEST payload an initiator on this peer would send to a fresh
 * destination, and the fields it is made of, read off the link. */
static int cmd_wire_link_request_payload(br_ctx *c)
{
    uint8_t dest[RNS_HASHLEN], xpub[32], sigpub[32];
    rns_identity *id = NULL;
    rns_link *l = NULL;
    ml_buf raw = ML_BUF_INIT;
    rns_packet p;
    peer *pr;
    int ret = peer_param(c, &pr) || fresh_destination(c, "link-payload", &id, dest) ||
              build_request(c, pr, id, dest, &l, &raw, &p) ||
              br_check(c, rns_link_ephemeral_keys(l, xpub, sigpub), "keys");

    if (!ret)
        ret = br_set_hex(c, "request_data_hex", p.data, p.data_len) ||
              br_set_hex(c, "pub_bytes", xpub, sizeof xpub) ||
              br_set_hex(c, "sig_pub_bytes", sigpub, sizeof sigpub) ||
              br_set_hex(c, "signalling_bytes", p.data + RNS_LINK_ECPUBSIZE,
                         p.data_len - RNS_LINK_ECPUBSIZE) ||
              br_set_int(c, "mtu", rns_link_mtu(l)) || br_set_int(c, "mode", rns_link_mode(l)) ||
              br_set_int(c, "len", (long long)p.data_len) ||
              br_set_int(c, "ecpubsize", RNS_LINK_ECPUBSIZE) ||
              br_set_int(c, "link_mtu_size", RNS_LINK_MTU_SIZE) ||
              br_set_int(c, "reticulum_mtu", RNS_MTU);
    rns_link_free(l);
    rns_identity_free(id);
    ml_buf_free(&raw);
    return ret;
}

static int cmd_wire_link_signalling_bytes(br_ctx *c)
{
    long long mtu, mode;
    uint8_t sig[RNS_LINK_MTU_SIZE];
    json_t *enabled;
    int ok;

    if (br_int(c, "mtu", -1, &mtu) || br_int(c, "mode", -1, &mode))
        return -1;
    if (mtu < 0 || mode < 0 || mode > 7)
        return br_fail(c, "mtu (>= 0) and mode (0..7) are required");
    ok = rns_link_mode_enabled((unsigned)mode);
    if (ok)
        rns_link_signalling(sig, (uint32_t)mtu, (unsigned)mode);
    enabled = json_array();
    for (unsigned m = 0; m < 8; m++)
        if (rns_link_mode_enabled(m))
            json_array_append_new(enabled, json_integer(m));
    return br_set_int(c, "mtu", mtu) || br_set_int(c, "mode", mode) ||
           (ok ? br_set_hex(c, "signalling_bytes", sig, sizeof sig)
               : br_set_null(c, "signalling_bytes")) ||
           br_set_bool(c, "raised", !ok) || br_set_int(c, "mtu_bytemask", RNS_LINK_MTU_BYTEMASK) ||
           br_set_int(c, "mode_bytemask", RNS_LINK_MODE_BYTEMASK) ||
           br_set(c, "enabled_modes", enabled) ||
           br_set_int(c, "mode_default", RNS_LINK_MODE_AES256_CBC) ||
           br_set_int(c, "link_mtu_size", RNS_LINK_MTU_SIZE);
}

/* A LINKREQUEST of the given variant (a real request's payload, cut short or
 * with a reserved mode) for a fresh destination, answered (or refused) by
 * the library's responder. */
static int cmd_wire_inject_crafted_link_request(br_ctx *c)
{
    static const char *const variants[] = {"valid64", "valid67", "size_63", "size_66",
                                           "size_0", "bad_mode"};
    static const size_t lens[] = {64, 67, 63, 66, 0, 67};
    uint8_t dest[RNS_HASHLEN], data[RNS_LINK_ECPUBSIZE + RNS_LINK_MTU_SIZE];
    rns_identity *owner = NULL;
    rns_link *init = NULL, *resp = NULL;
    ml_buf raw = ML_BUF_INIT, raw2 = ML_BUF_INIT;
    const char *variant;
    long long hops;
    rns_link_timers t;
    rns_packet p;
    size_t v;
    peer *pr;
    int ret = peer_param(c, &pr) || br_str(c, "variant", &variant) || br_int(c, "hops", 0, &hops);

    for (v = 0; !ret && v < 6 && strcmp(variants[v], variant); v++)
        ;
    if (!ret && v == 6)
        ret = br_fail(c, "unknown link-request variant: %s", variant);
    if (!ret && (hops < 0 || hops > 255))
        ret = br_fail(c, "hops must be 0..255");
    if (!ret)
        ret = fresh_destination(c, "lr-validate", &owner, dest) ||
              build_request(c, pr, owner, dest, &init, &raw, &p);
    if (!ret && p.data_len != sizeof data)
        ret = br_fail(c, "the library's request is %zu bytes, not 67", p.data_len);
    if (ret)
        goto out;
    memcpy(data, p.data, sizeof data);
    if (v == 5)
        data[RNS_LINK_ECPUBSIZE] = 0x60; /* mode 3, reserved */
    p.data = data;
    p.data_len = lens[v];
    if ((ret = br_check(c, rns_packet_pack(&raw2, &p), "pack") ||
               br_check(c, rns_packet_unpack(&p, raw2.p, raw2.len), "unpack")))
        goto out;
    p.hops = (uint8_t)hops;
    {
        rns_link_accept_params ap = {.identity = owner, .hops = (unsigned)hops, .rng = rng};
        int r = rns_link_accept(&resp, &ap, &p, rns_node_now());
        if (r == ML_ENOMEM) {
            ret = br_check(c, r, "accept");
            goto out;
        }
    }
    ret = br_set_str(c, "variant", variant) || br_set_int(c, "data_len", (long long)lens[v]) ||
          br_set_bool(c, "accepted", resp != NULL) ||
          br_set_bool(c, "inbound_link_created", resp != NULL) ||
          br_set_int(c, "establishment_timeout_per_hop", (long long)RNS_LINK_PER_HOP_TIMEOUT) ||
          br_set_int(c, "keepalive", (long long)RNS_LINK_KEEPALIVE_MAX);
    if (!ret && resp) {
        rns_link_get_timers(resp, &t);
        ret = br_set(c, "establishment_timeout", json_real(t.establishment_timeout)) ||
              br_set_int(c, "mode", rns_link_mode(resp)) || br_set_int(c, "mtu", rns_link_mtu(resp));
    } else if (!ret) {
        ret = br_set_null(c, "establishment_timeout") || br_set_null(c, "mode") ||
              br_set_null(c, "mtu");
    }
out:
    rns_link_free(init);
    rns_link_free(resp);
    rns_identity_free(owner);
    ml_buf_free(&raw);
    ml_buf_free(&raw2);
    return ret;
}

/* A fresh destination registered on the peer's core with the accept gate
 * open or shut, and a real LINKREQUEST for it fed to the core. */
static int cmd_wire_link_accept_gate(br_ctx *c)
{
    const char *app = "conformance", *aspects[16] = {"accept-gate"};
    uint8_t priv[RNS_KEYSIZE], dest[RNS_HASHLEN], reg[RNS_HASHLEN];
    ml_buf scratch = ML_BUF_INIT, raw = ML_BUF_INIT;
    rns_identity *owner = NULL;
    rns_link *init = NULL;
    rns_packet p;
    size_t n = 1, before = 0, after = 0;
    int accepts = 0, iface;
    peer *pr;
    int ret = peer_param(c, &pr) || br_bool(c, "accepts", 0, &accepts);

    if (!ret && br_param(c, "app_name"))
        ret = br_str(c, "app_name", &app);
    if (!ret && br_param(c, "aspects"))
        ret = br_aspects(c, "aspects", aspects, 16, &n, &scratch);
    if (!ret)
        ret = br_random(c, priv, sizeof priv) ||
              br_check(c, rns_identity_from_private(&owner, priv), "identity");
    if (!ret) {
        rns_dest_params dp = {.identity = owner, .app_name = app, .aspects = aspects,
                              .n_aspects = n, .accept_links = accepts};
        ret = br_check(c, rns_transport_register(core(pr), &dp, reg), "register") ||
              build_request(c, pr, owner, reg, &init, &raw, &p);
        memcpy(dest, reg, sizeof dest);
    }
    if (ret)
        goto out;
    iface = pr->iface_id >= 0 ? pr->iface_id : pr->last_iface;
    before = rns_transport_link_count(core(pr), dest);
    rns_transport_inbound(core(pr), iface, raw.p, raw.len, rns_node_now());
    after = rns_transport_link_count(core(pr), dest);
    rns_node_kick(pr->node);
    ret = br_set_bool(c, "accepts", accepts) || br_set_int(c, "links_before", (long long)before) ||
          br_set_int(c, "links_after", (long long)after) ||
          br_set_bool(c, "link_created", after > before);
out:
    ml_wipe(priv, sizeof priv);
    rns_link_free(init);
    rns_identity_free(owner);
    ml_buf_free(&raw);
    ml_buf_free(&scratch);
    return ret;
}

/* identify on a link still PENDING: the library refuses it and sends nothing
 * (watched with the link tap). */
static int cmd_wire_link_identify_pending(br_ctx *c)
{
    uint8_t dest[RNS_HASHLEN], id[RNS_HASHLEN], priv[RNS_KEYSIZE];
    rns_identity *who = NULL;
    json_t *seen = NULL, *e;
    rns_link *l;
    peer *pr;
    size_t i;
    int sent = 0, status, ret = peer_param(c, &pr) || dest_param(c, dest) ||
                               br_hex_fixed(c, "private_key", priv, sizeof priv) ||
                               br_check(c, rns_identity_from_private(&who, priv), "identity") ||
                               br_check(c, rns_transport_link_open(core(pr), dest, rns_node_now(), id),
                                        "link open");

    if (ret)
        goto out;
    l = rns_transport_link(core(pr), id);
    capture_arm(pr, id);
    rns_link_identify(l, who, rns_node_now()); /* ML_ESTATE: not ACTIVE */
    rns_transport_flush(core(pr), rns_node_now());
    seen = capture_take(pr);
    json_array_foreach(seen, i, e)
        if (json_integer_value(json_object_get(e, "context")) == RNS_CTX_LINKIDENTIFY)
            sent = 1;
    status = (int)rns_link_state(l);
    rns_link_close(l, rns_node_now());
    rns_transport_flush(core(pr), rns_node_now());
    rns_node_kick(pr->node);
    ret = br_set_bool(c, "crashed", 0) || br_set_bool(c, "identify_packet_sent", sent) ||
          br_set_int(c, "status", status) || br_set_str(c, "status_name", state_names[status]) ||
          br_set_bool(c, "initiator", 1);
out:
    json_decref(seen);
    ml_wipe(priv, sizeof priv);
    rns_identity_free(who);
    return ret;
}

/* ---- requests and packets ------------------------------------------------------------------- */

/* A request sent with the library's default timeout (or an explicit one),
 * without waiting for the answer. */
static int cmd_wire_link_request_timeout(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN], rid[RNS_HASHLEN];
    ml_buf data = ML_BUF_INIT, mp = ML_BUF_INIT;
    json_t *explicit_ms = br_param(c, "timeout_ms");
    const char *path;
    double timeout;
    rns_link *l;
    peer *pr;
    int ret = link_param(c, &pr, &l, id) || br_str(c, "path", &path) ||
              br_hex_opt(c, "data", &data, &(int){0});

    if (!ret && explicit_ms && !json_is_number(explicit_ms))
        ret = br_fail(c, "timeout_ms must be a number");
    if (!ret)
        ret = br_check(c, data.len ? rns_mp_put_bin(&mp, data.p, data.len) : rns_mp_put_nil(&mp),
                       "request data") ||
              br_check(c, rns_link_request(l, path, mp.p, mp.len, rns_node_now(), rid), "request") ||
              br_check(c, rns_transport_flush(core(pr), rns_node_now()), "flush");
    if (ret)
        goto out;
    rns_node_kick(pr->node);
    timeout = explicit_ms ? json_number_value(explicit_ms) / 1000.0 : rns_link_request_timeout(l);
    ret = br_set(c, "receipt_timeout", json_real(timeout)) ||
          br_set(c, "rtt", json_real(rns_link_rtt(l))) ||
          br_set_int(c, "traffic_timeout_factor", RNS_LINK_TRAFFIC_TIMEOUT_FACTOR) ||
          br_set_int(c, "response_max_grace_time", RNS_LINK_RESPONSE_MAX_GRACE_TIME) ||
          (explicit_ms ? br_set(c, "explicit_timeout", json_real(timeout))
                       : br_set_null(c, "explicit_timeout")) ||
          br_set_hex(c, "request_id", rid, sizeof rid);
out:
    ml_buf_free(&data);
    ml_buf_free(&mp);
    return ret;
}

static br_fn wire_cmd(const char *name)
{
    for (const br_cmd *k = br_wire_cmds; k->name; k++)
        if (!strcmp(k->name, name))
            return k->fn;
    return NULL;
}

/* wire_link_request for answers larger than the link MDU (they come as a
 * resource): the same command with a longer default timeout. */
static int cmd_wire_link_request_large(br_ctx *c)
{
    br_fn send_request = wire_cmd("wire_link_request");

    if (!send_request)
        return br_fail(c, "wire_link_request is missing");
    if (!br_param(c, "timeout_ms") && json_object_set_new(c->params, "timeout_ms",
                                                          json_integer(30000)))
        return br_fail(c, "out of memory");
    return send_request(c);
}

/* wire_link_request with the link tap watching what arrives: RESPONSE
 * packets with their plaintext, RESOURCE_ADV packets. */
static int cmd_wire_capture_response_packet(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN];
    br_fn send_request = wire_cmd("wire_link_request");
    json_t *seen, *out, *e;
    rns_link *l;
    peer *pr;
    size_t i;
    int ret;

    if (link_param(c, &pr, &l, id))
        return -1;
    if (!send_request)
        return br_fail(c, "wire_link_request is missing");
    capture_arm(pr, id);
    ret = send_request(c);
    seen = capture_take(pr);
    out = json_array();
    json_array_foreach(seen, i, e) {
        json_int_t ctx = json_integer_value(json_object_get(e, "context"));
        json_t *x;
        if (json_is_true(json_object_get(e, "outbound")) ||
            (ctx != RNS_CTX_RESPONSE && ctx != RNS_CTX_RESOURCE_ADV))
            continue;
        x = json_object();
        json_object_set_new(x, "context", json_integer(ctx));
        json_object_set(x, "plaintext", ctx == RNS_CTX_RESPONSE ? json_object_get(e, "plaintext")
                                                                : json_null());
        json_array_append_new(out, x);
    }
    json_decref(seen);
    return ret || br_set(c, "captured", out);
}

/* One link DATA packet of `size` random bytes: sent, or refused by the
 * library because it does not fit the link's MTU. */
static int cmd_wire_send_oversize_link_packet(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN];
    ml_buf data = ML_BUF_INIT;
    long long size;
    char err[160];
    rns_link *l;
    peer *pr;
    int r, active, ret = link_param(c, &pr, &l, id) || br_int(c, "size", -1, &size);

    if (!ret && (size < 0 || size > 1 << 24))
        ret = br_fail(c, "size must be 0..16777216");
    if (!ret)
        ret = br_check(c, ml_buf_reserve(&data, (size_t)size + 1), "size") ||
              br_random(c, data.p, (size_t)size);
    if (ret)
        goto out;
    data.len = (size_t)size;
    active = rns_link_state(l) == RNS_LINK_ACTIVE;
    r = rns_link_send(l, RNS_CTX_NONE, data.p, data.len, rns_node_now(), NULL);
    if (r == 0) {
        rns_transport_flush(core(pr), rns_node_now());
        rns_node_kick(pr->node);
    }
    snprintf(err, sizeof err, "%lld bytes of link data exceed the MDU of %zu bytes of this "
             "link (MTU %u): %s", size, rns_link_mdu(l), rns_link_mtu(l), ml_strerror(r));
    ret = br_set_int(c, "size", size) ||
          (active ? br_set_int(c, "mtu", rns_link_mtu(l)) : br_set_null(c, "mtu")) ||
          (active ? br_set_int(c, "mdu", (long long)rns_link_mdu(l)) : br_set_null(c, "mdu")) ||
          br_set_int(c, "packet_mtu", rns_link_mtu(l)) || br_set_bool(c, "sent", r == 0) ||
          br_set_bool(c, "rejected", r != 0) ||
          (r ? br_set_str(c, "error", r == ML_ETOOBIG ? err : ml_strerror(r))
             : br_set_null(c, "error")) ||
          br_set_null(c, "raw_len");
out:
    ml_buf_free(&data);
    return ret;
}

/* ---- crafted handshake and identity packets ------------------------------------------------- */

/* A standalone initiator link to a fresh destination this command owns,
 * then an LRPROOF of the given variant built for it and fed to the link. */
static int cmd_wire_inject_crafted_lrproof(br_ctx *c)
{
    static const char *const variants[] = {"valid", "forged_signature", "wrong_signed_data",
                                           "mode_mismatch", "wrong_size", "non_pending"};
    uint8_t dest[RNS_HASHLEN], eph_priv[32], signd[RNS_HASHLEN + 64 + RNS_LINK_MTU_SIZE];
    uint8_t data[RNS_SIGLEN + 32 + RNS_LINK_MTU_SIZE], junk[96];
    rns_identity *owner = NULL, *signer = NULL, *other = NULL;
    rns_link *l = NULL;
    ml_buf raw = ML_BUF_INIT, raw2 = ML_BUF_INIT;
    const char *variant;
    size_t v, n = RNS_HASHLEN + 64, dlen = RNS_SIGLEN + 32;
    rns_packet p;
    peer *pr;
    int st, ret = peer_param(c, &pr) || br_str(c, "variant", &variant);

    for (v = 0; !ret && v < 6 && strcmp(variants[v], variant); v++)
        ;
    if (!ret && v == 6)
        ret = br_fail(c, "unknown lrproof variant: %s", variant);
    if (!ret)
        ret = fresh_destination(c, "lrproof", &owner, dest) ||
              build_request(c, pr, owner, dest, &l, &raw, &p) ||
              br_random(c, eph_priv, sizeof eph_priv) ||
              br_check(c, ml_x25519_public(data + RNS_SIGLEN, eph_priv), "x25519");
    if (ret)
        goto out;
    /* signed: link id | our ephemeral key | the destination's signing key */
    memcpy(signd, rns_link_id(l), RNS_HASHLEN);
    memcpy(signd + RNS_HASHLEN, data + RNS_SIGLEN, 32);
    memcpy(signd + RNS_HASHLEN + 32, rns_identity_public_key(owner) + 32, 32);
    if (v == 3) { /* a genuine proof with signalling, then its mode changed */
        rns_link_signalling(signd + n, RNS_MTU, rns_link_mode(l));
        memcpy(data + dlen, signd + n, RNS_LINK_MTU_SIZE);
        n += RNS_LINK_MTU_SIZE;
    }
    signer = owner;
    if (v == 1) {
        uint8_t priv[RNS_KEYSIZE];
        ret = br_random(c, priv, sizeof priv) ||
              br_check(c, rns_identity_from_private(&other, priv), "identity");
        ml_wipe(priv, sizeof priv);
        signer = other;
    }
    if (!ret && v == 2)
        ret = br_random(c, junk, sizeof junk);
    if (!ret)
        ret = br_check(c, rns_identity_sign(signer, data, v == 2 ? junk : signd,
                                            v == 2 ? sizeof junk : n), "sign");
    if (ret)
        goto out;
    if (v == 3) {
        dlen += RNS_LINK_MTU_SIZE;
        data[RNS_SIGLEN + 32] = (uint8_t)((data[RNS_SIGLEN + 32] & ~RNS_LINK_MODE_BYTEMASK) |
                                          ((2u << 5) & RNS_LINK_MODE_BYTEMASK));
    }
    if (v == 4)
        dlen--;
    if (v == 5)
        rns_link_close(l, rns_node_now()); /* PENDING: closes without a packet */
    memset(&p, 0, sizeof p);
    p.packet_type = RNS_PACKET_PROOF;
    p.dest_type = RNS_DEST_LINK;
    p.context = RNS_CTX_LRPROOF;
    memcpy(p.dest_hash, rns_link_id(l), RNS_HASHLEN);
    p.data = data;
    p.data_len = dlen;
    if ((ret = br_check(c, rns_packet_pack(&raw2, &p), "pack") ||
               br_check(c, rns_packet_unpack(&p, raw2.p, raw2.len), "unpack")))
        goto out;
    rns_link_receive(l, &p, rns_node_now());
    st = (int)rns_link_state(l);
    ret = br_set_str(c, "variant", variant) || br_set_bool(c, "activated", st == RNS_LINK_ACTIVE) ||
          br_set_int(c, "status", st) || br_set_str(c, "status_name", state_names[st]) ||
          (st == RNS_LINK_ACTIVE ? br_set_int(c, "mtu", rns_link_mtu(l)) : br_set_null(c, "mtu")) ||
          br_set_int(c, "mode", rns_link_mode(l));
out:
    ml_wipe(eph_priv, sizeof eph_priv);
    rns_link_free(l);
    rns_identity_free(owner);
    rns_identity_free(other);
    ml_buf_free(&raw);
    ml_buf_free(&raw2);
    return ret;
}

/* A LINKIDENTIFY of the given variant for a fresh claimed identity,
 * encrypted to the live link and fed to the core. */
static int cmd_wire_inject_crafted_link_identify(br_ctx *c)
{
    static const char *const variants[] = {"valid", "forged_signature", "wrong_signed_data",
                                           "wrong_length"};
    uint8_t id[RNS_HASHLEN], priv[RNS_KEYSIZE], signd[RNS_HASHLEN + RNS_KEYSIZE];
    uint8_t pt[RNS_KEYSIZE + RNS_SIGLEN], junk[96];
    rns_identity *claimed = NULL, *other = NULL, *signer;
    const rns_identity *after;
    ml_buf raw = ML_BUF_INIT;
    const char *variant;
    size_t v, len = sizeof pt;
    rns_link *l;
    peer *pr;
    int ret = link_param(c, &pr, &l, id) || br_str(c, "variant", &variant);

    for (v = 0; !ret && v < 4 && strcmp(variants[v], variant); v++)
        ;
    if (!ret && v == 4)
        ret = br_fail(c, "unknown link-identify variant: %s", variant);
    if (!ret)
        ret = br_random(c, priv, sizeof priv) ||
              br_check(c, rns_identity_from_private(&claimed, priv), "identity") ||
              br_random(c, priv, sizeof priv) ||
              br_check(c, rns_identity_from_private(&other, priv), "identity") ||
              br_random(c, junk, sizeof junk);
    if (ret)
        goto out;
    memcpy(signd, id, RNS_HASHLEN);
    memcpy(signd + RNS_HASHLEN, rns_identity_public_key(claimed), RNS_KEYSIZE);
    memcpy(pt, rns_identity_public_key(claimed), RNS_KEYSIZE);
    signer = v == 1 ? other : claimed;
    if ((ret = br_check(c, rns_identity_sign(signer, pt + RNS_KEYSIZE, v == 2 ? junk : signd,
                                             v == 2 ? sizeof junk : sizeof signd), "sign")))
        goto out;
    if (v == 3)
        len = RNS_KEYSIZE + RNS_SIGLEN / 2;
    if ((ret = br_check(c, rns_link_pack(l, RNS_CTX_LINKIDENTIFY, pt, len, &raw), "pack")))
        goto out;
    inject(pr, id, &raw);
    l = rns_transport_link(core(pr), id);
    after = l ? rns_link_remote_identity(l) : NULL;
    ret = br_set_str(c, "variant", variant) ||
          br_set_hex(c, "claimed_identity_hash", rns_identity_hash(claimed), RNS_HASHLEN) ||
          (after ? br_set_hex(c, "remote_identity_after", rns_identity_hash(after), RNS_HASHLEN)
                 : br_set_null(c, "remote_identity_after")) ||
          br_set_bool(c, "adopted", after && !memcmp(rns_identity_hash(after),
                                                     rns_identity_hash(claimed), RNS_HASHLEN)) ||
          br_set_bool(c, "initiator", l && rns_link_is_initiator(l));
out:
    ml_wipe(priv, sizeof priv);
    rns_identity_free(claimed);
    rns_identity_free(other);
    ml_buf_free(&raw);
    return ret;
}

/* ---- link gates ---------------------------------------------------------------------------- */

/* Links to fresh SINGLE, PLAIN and GROUP destinations: only SINGLE takes one. */
static int cmd_wire_link_type_gate(br_ctx *c)
{
    static const struct {
        const char *key;
        int type;
    } arms[] = {{"single", RNS_DEST_SINGLE}, {"plain", RNS_DEST_PLAIN}, {"group", RNS_DEST_GROUP}};
    uint8_t dest[RNS_HASHLEN];
    rns_identity *id = NULL;
    peer *pr;
    int ret = peer_param(c, &pr) || fresh_destination(c, "link-type-gate", &id, dest);

    for (size_t i = 0; !ret && i < sizeof arms / sizeof arms[0]; i++) {
        rns_link_initiate_params lp = {.dest_hash = dest, .dest_identity = id, .rng = rng,
                                       .mtu = RNS_MTU, .dest_type = arms[i].type};
        rns_link *l = NULL;
        int r = rns_link_initiate(&l, &lp, rns_node_now());
        json_t *o = json_object();
        char err[128];

        snprintf(err, sizeof err, "links can only be established to SINGLE destinations: %s",
                 ml_strerror(r));
        json_object_set_new(o, "raised", json_boolean(r != 0));
        json_object_set_new(o, "error", r ? json_string(err) : json_null());
        json_object_set_new(o, "link_created", json_boolean(l != NULL));
        rns_link_free(l);
        ret = br_set(c, arms[i].key, o);
    }
    rns_identity_free(id);
    return ret;
}

static json_t *phy_read(const rns_link *l)
{
    double rssi, snr, q;

    if (rns_link_phy_stats(l, &rssi, &snr, &q))
        return json_pack("{s:n,s:n,s:n}", "rssi", "snr", "q");
    return json_pack("{s:I,s:I,s:I}", "rssi", (json_int_t)rssi, "snr", (json_int_t)snr, "q",
                     (json_int_t)q);
}

/* Phy figures reported to the link with tracking off, on, and off again. */
static int cmd_wire_link_phy_stats_gate(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN];
    json_t *off, *on, *off_again;
    rns_link *l;
    peer *pr;

    if (link_param(c, &pr, &l, id))
        return -1;
    rns_link_set_phy_stats(l, -42, 7, 83);
    off = phy_read(l);
    rns_link_track_phy_stats(l, 1);
    rns_link_set_phy_stats(l, -42, 7, 83);
    on = phy_read(l);
    rns_link_track_phy_stats(l, 0);
    rns_link_set_phy_stats(l, -42, 7, 83);
    off_again = phy_read(l);
    return br_set(c, "stored", json_pack("{s:i,s:i,s:i}", "rssi", -42, "snr", 7, "q", 83)) ||
           br_set(c, "off", off) || br_set(c, "on", on) || br_set(c, "off_again", off_again);
}

static void count_close(void *ctx, const rns_link *l, int outbound, uint8_t packet_type,
                        uint8_t context, const uint8_t *data, size_t len)
{
    (void)l, (void)data, (void)len;
    if (outbound && packet_type == RNS_PACKET_DATA && context == RNS_CTX_LINKCLOSE)
        ++*(int *)ctx;
}

/* LINKCLOSE packets sent by closing a PENDING link (none) and the given
 * ACTIVE one (one). */
static int cmd_wire_link_teardown_emission(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN], dest[RNS_HASHLEN];
    rns_identity *owner = NULL;
    rns_link *l, *pending = NULL;
    ml_buf raw = ML_BUF_INIT;
    json_t *seen = NULL, *e;
    rns_packet p;
    size_t i;
    peer *pr;
    int pending_closes = 0, active_closes = 0, before, ret;

    ret = link_param(c, &pr, &l, id) || fresh_destination(c, "teardown-emit", &owner, dest) ||
          build_request(c, pr, owner, dest, &pending, &raw, &p);
    if (ret)
        goto out;
    rns_link_set_tap(pending, count_close, &pending_closes);
    rns_link_close(pending, rns_node_now());
    before = (int)rns_link_state(l);
    capture_arm(pr, id);
    rns_link_close(l, rns_node_now());
    rns_transport_flush(core(pr), rns_node_now());
    seen = capture_take(pr);
    rns_node_kick(pr->node);
    json_array_foreach(seen, i, e)
        if (json_is_true(json_object_get(e, "outbound")) &&
            json_integer_value(json_object_get(e, "context")) == RNS_CTX_LINKCLOSE)
            active_closes++;
    ret = br_set_int(c, "pending_linkclose_emitted", pending_closes) ||
          br_set_int(c, "active_linkclose_emitted", active_closes) ||
          br_set_str(c, "active_status_before", state_names[before]);
out:
    json_decref(seen);
    rns_link_free(pending);
    rns_identity_free(owner);
    ml_buf_free(&raw);
    return ret;
}

/* The peer's interface MTU as the node set it up, which links over it signal
 * (the core always does link MTU discovery). */
static int cmd_wire_interface_hw_mtu(br_ctx *c)
{
    rns_node_iface_info info;
    int ids[4], iface;
    peer *pr;

    if (peer_param(c, &pr))
        return -1;
    iface = pr->iface_id;
    if (iface < 0 && rns_node_ifaces(pr->node, ids, 4) > 0)
        iface = ids[0];
    if (iface < 0 || rns_node_get_iface_info(pr->node, iface, &info))
        return br_fail(c, "No configured wire interface on this handle.");
    return br_set_int(c, "hw_mtu", info.hw_mtu) || br_set_bool(c, "link_mtu_discovery", 1) ||
           br_set_int(c, "reticulum_mtu", RNS_MTU) ||
           br_set_bool(c, "autoconfigure_mtu", info.hw_mtu && !info.fixed_mtu) ||
           br_set_bool(c, "fixed_mtu", info.fixed_mtu);
}

const br_cmd br_link_cmds[] = {
    {"wire_inject_crafted_lrproof", cmd_wire_inject_crafted_lrproof},
    {"wire_inject_crafted_link_identify", cmd_wire_inject_crafted_link_identify},
    {"wire_link_type_gate", cmd_wire_link_type_gate},
    {"wire_link_phy_stats_gate", cmd_wire_link_phy_stats_gate},
    {"wire_link_teardown_emission", cmd_wire_link_teardown_emission},
    {"wire_interface_hw_mtu", cmd_wire_interface_hw_mtu},
    {"wire_link_set_watchdog", cmd_wire_link_set_watchdog},
    {"wire_send_keepalive_probe", cmd_wire_send_keepalive_probe},
    {"wire_last_keepalive", cmd_wire_last_keepalive},
    {"wire_send_forged_link_close", cmd_wire_send_forged_link_close},
    {"wire_inject_tampered_link_data", cmd_wire_inject_tampered_link_data},
    {"wire_inject_closed_link_data", cmd_wire_inject_closed_link_data},
    {"wire_link_key_material", cmd_wire_link_key_material},
    {"wire_link_request_payload", cmd_wire_link_request_payload},
    {"wire_link_signalling_bytes", cmd_wire_link_signalling_bytes},
    {"wire_inject_crafted_link_request", cmd_wire_inject_crafted_link_request},
    {"wire_link_accept_gate", cmd_wire_link_accept_gate},
    {"wire_link_identify_pending", cmd_wire_link_identify_pending},
    {"wire_link_request_timeout", cmd_wire_link_request_timeout},
    {"wire_capture_response_packet", cmd_wire_capture_response_packet},
    {"wire_link_request_large", cmd_wire_link_request_large},
    {"wire_send_oversize_link_packet", cmd_wire_send_oversize_link_packet},
    {NULL, NULL},
};
