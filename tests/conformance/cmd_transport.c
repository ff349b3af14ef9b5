// SPDX-License-Identifier: MIT
// Bridge commands: transport-node behaviour of live peers (forwarding, paths
// for others, shared instance). The behaviour is the core's (rns_transport.h,
// "transport node"); these only read its tables and set its options.
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"
#include "wire.h"
#include "meshlog/crypto.h"
#include "meshlog/error.h"

/* mode: absent or "" keeps FULL; an unknown name is an error, as in the
 * reference bridge (a typo must not pass as FULL). */
static int mode_param(br_ctx *c, int *mode)
{
    json_t *v = br_param(c, "mode");

    *mode = 0;
    if (!v || json_is_null(v) || (json_is_string(v) && !*json_string_value(v)))
        return 0;
    if (!json_is_string(v) || !(*mode = rns_iface_mode_from_name(json_string_value(v))))
        return br_fail(c, "Unknown interface mode: %s",
                       json_is_string(v) ? json_string_value(v) : "(not a string)");
    return 0;
}

/* enable_transport: absent -> on (the suite's server default), null or false -> off. */
static int transport_param(br_ctx *c, int *on)
{
    /* not br_param: it reads null as absent, and null means off here */
    json_t *v = json_is_object(c->params) ? json_object_get(c->params, "enable_transport") : NULL;

    *on = 1;
    if (!v)
        return 0;
    if (json_is_null(v)) {
        *on = 0;
        return 0;
    }
    return br_bool(c, "enable_transport", 1, on);
}

int wire_transport_opts(br_ctx *c, peer *pr, int server)
{
    int mode, on = 0, share = 0;
    uint16_t port = 0;
    const char *type = "unix";

    if (mode_param(c, &mode))
        return -1;
    if (mode)
        rns_node_set_mode(pr->node, mode);
    if (!server)
        return 0;
    if (transport_param(c, &on) || br_bool(c, "share_instance", 0, &share))
        return -1;
    if (share && br_param(c, "share_instance_type") && br_str(c, "share_instance_type", &type))
        return -1;
    if (share && strcmp(type, "tcp"))
        return br_fail(c, "share_instance_type=%s: only tcp is supported", type);
    rns_transport_set_transport(core(pr), on);
    if (share && br_check(c, rns_node_add_local_server(pr->node, 0, &port), "shared instance"))
        return -1;
    pr->shared_master = share;
    if (br_set_bool(c, "transport_enabled", on))
        return -1;
    if (share)
        return br_set_str(c, "share_instance_type", "tcp") ||
               br_set_int(c, "shared_instance_port", port);
    return 0;
}

static int cmd_wire_transport_enabled(br_ctx *c)
{
    peer *pr;

    if (peer_param(c, &pr))
        return -1;
    return br_set_bool(c, "transport_enabled", rns_transport_transport_enabled(core(pr))) ||
           br_set_bool(c, "is_shared_instance", pr->shared_master) ||
           br_set_bool(c, "is_connected_to_shared_instance", pr->local_client);
}

static int cmd_wire_set_interface_mode(br_ctx *c)
{
    int mode;
    peer *pr;

    if (peer_param(c, &pr) || mode_param(c, &mode))
        return -1;
    if (!mode)
        return br_fail(c, "mode parameter is required and must be non-empty");
    rns_node_set_mode(pr->node, mode);
    return br_set_str(c, "mode", json_string_value(br_param(c, "mode")));
}

static int cmd_wire_has_discovery_path_request(br_ctx *c)
{
    uint8_t dest[RNS_HASHLEN];
    peer *pr;

    if (peer_param(c, &pr) || dest_param(c, dest))
        return -1;
    return br_set_bool(c, "found",
                       rns_transport_has_discovery_request(core(pr), dest, rns_node_now()));
}

static int cmd_wire_has_announce_table_entry(br_ctx *c)
{
    uint8_t dest[RNS_HASHLEN];
    peer *pr;

    if (peer_param(c, &pr) || dest_param(c, dest))
        return -1;
    return br_set_bool(c, "found", rns_transport_announce_entry(core(pr), dest, NULL));
}

static int cmd_wire_read_announce_table_timestamp(br_ctx *c)
{
    uint8_t dest[RNS_HASHLEN];
    double ts = 0;
    peer *pr;

    if (peer_param(c, &pr) || dest_param(c, dest))
        return -1;
    if (!rns_transport_announce_entry(core(pr), dest, &ts))
        return br_set_bool(c, "found", 0);
    return br_set_bool(c, "found", 1) || br_set_int(c, "timestamp", (long long)(ts * 1000.0));
}

static int cmd_wire_read_path_random_hash(br_ctx *c)
{
    uint8_t dest[RNS_HASHLEN];
    rns_path_entry e;
    peer *pr;

    if (peer_param(c, &pr) || dest_param(c, dest))
        return -1;
    if (rns_transport_path_entry(core(pr), dest, rns_node_now(), &e) || !e.has_random_hash)
        return br_set_bool(c, "found", 0);
    return br_set_bool(c, "found", 1) ||
           br_set_hex(c, "random_hash", e.random_hash, sizeof e.random_hash);
}

/* ---- behavioral harness ----------------------------------------------------------------
 * A bare core (no sockets) with mock interfaces: bytes are injected as if
 * received and what the core sends is collected per interface for
 * behavioral_drain_tx. Time is the wall clock; the core's timers run on every
 * request (the suite sleeps between requests, so a timer that is due fires
 * by the next one). */

#define MAX_BCORES 4
#define MAX_BIFACES 16

typedef struct biface {
    char id[13];
    int iface;
    json_t *tx;                  /* hex packets sent on it, not yet drained */
} biface;

typedef struct bcore {
    char handle[HANDLE_LEN + 1];
    rns_transport *t;
    biface ifs[MAX_BIFACES];
    size_t n_ifs;
    json_t *defaults;            /* behavioral_start's interface knobs */
} bcore;

static bcore *bcores[MAX_BCORES];

static int b_rng(void *ctx, void *out, size_t len)
{
    (void)ctx;
    return ml_random(out, len);
}

static void bcore_free(bcore *b)
{
    if (!b)
        return;
    rns_transport_free(b->t);
    for (size_t i = 0; i < b->n_ifs; i++)
        json_decref(b->ifs[i].tx);
    json_decref(b->defaults);
    free(b);
}

/* Runs due timers and files what the core sends under its interface. */
static void bcore_run(bcore *b)
{
    ml_buf pkt = ML_BUF_INIT;
    int id;

    rns_transport_tick(b->t, rns_node_now());
    while (rns_transport_pop_output(b->t, &id, &pkt) == 1) {
        for (size_t i = 0; i < b->n_ifs; i++)
            if (b->ifs[i].iface == id)
                append_hex(b->ifs[i].tx, &pkt);
        ml_buf_reset(&pkt);
    }
    ml_buf_free(&pkt);
}

static int bcore_param(br_ctx *c, bcore **out)
{
    const char *h;

    if (br_str(c, "handle", &h))
        return -1;
    for (size_t i = 0; i < MAX_BCORES; i++)
        if (bcores[i] && strcmp(bcores[i]->handle, h) == 0) {
            *out = bcores[i];
            bcore_run(bcores[i]);
            return 0;
        }
    return br_fail(c, "Unknown handle: %s", h);
}

static int biface_param(br_ctx *c, bcore *b, biface **out)
{
    const char *id;

    if (br_str(c, "iface_id", &id))
        return -1;
    for (size_t i = 0; i < b->n_ifs; i++)
        if (strcmp(b->ifs[i].id, id) == 0) {
            *out = &b->ifs[i];
            return 0;
        }
    return br_fail(c, "Unknown iface_id: %s", id);
}

static int cmd_behavioral_start(br_ctx *c)
{
    static const char *const knobs[] = {"announce_rate_target", "announce_rate_grace",
                                        "announce_rate_penalty", "announce_cap", "bitrate"};
    rns_transport_config cfg = {b_rng, NULL, NULL, NULL};
    uint8_t r[HANDLE_LEN / 2];
    size_t slot;
    bcore *b;
    int on;

    if (br_bool(c, "enable_transport", 1, &on))
        return -1;
    for (slot = 0; slot < MAX_BCORES && bcores[slot]; slot++)
        ;
    if (slot == MAX_BCORES)
        return br_fail(c, "too many behavioral instances (max %d)", MAX_BCORES);
    if (!(b = calloc(1, sizeof *b)) || !(b->defaults = json_object())) {
        free(b);
        return br_fail(c, "out of memory");
    }
    for (size_t i = 0; i < sizeof knobs / sizeof knobs[0]; i++)
        if (br_param(c, knobs[i]))
            json_object_set(b->defaults, knobs[i], br_param(c, knobs[i]));
    if (br_random(c, r, sizeof r) || br_check(c, rns_transport_new(&b->t, &cfg), "core")) {
        bcore_free(b);
        return -1;
    }
    rns_transport_set_transport(b->t, on);
    ml_hex(b->handle, r, sizeof r);
    bcores[slot] = b;
    return br_set_str(c, "handle", b->handle) ||
           br_set_hex(c, "identity_hash", rns_transport_id(b->t), RNS_HASHLEN);
}

static int cmd_behavioral_stop(br_ctx *c)
{
    bcore *b;

    if (bcore_param(c, &b))
        return -1;
    for (size_t i = 0; i < MAX_BCORES; i++)
        if (bcores[i] == b)
            bcores[i] = NULL;
    bcore_free(b);
    return br_set_bool(c, "stopped", 1);
}

/* A knob from the request, else behavioral_start's default; NULL when neither. */
static json_t *knob(br_ctx *c, bcore *b, const char *key)
{
    json_t *v = br_param(c, key);
    if (!v)
        v = json_object_get(b->defaults, key);
    return v && !json_is_null(v) ? v : NULL;
}

static int cmd_behavioral_attach_mock_interface(br_ctx *c)
{
    const char *name, *mode_s = "full";
    char lower[32];
    long long mtu;
    int mode, lc;
    json_t *rt, *cap, *rate;
    rns_iface_props ip;
    biface *f;
    uint8_t r[6];
    bcore *b;

    if (bcore_param(c, &b) || br_str(c, "name", &name) || br_int(c, "mtu", 500, &mtu) ||
        br_bool(c, "local_client", 0, &lc) ||
        (br_param(c, "mode") && br_str(c, "mode", &mode_s)))
        return -1;
    if (b->n_ifs == MAX_BIFACES)
        return br_fail(c, "too many interfaces (max %d)", MAX_BIFACES);
    if (mtu < 500 || mtu > 262144)
        return br_fail(c, "mtu out of range");
    snprintf(lower, sizeof lower, "%s", mode_s);
    for (char *p = lower; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (!(mode = rns_iface_mode_from_name(lower)))
        return br_fail(c, "Unknown interface mode: %s", mode_s);
    memset(&ip, 0, sizeof ip);
    ip.name = name;
    ip.hw_mtu = (uint32_t)mtu;
    f = &b->ifs[b->n_ifs];
    memset(f, 0, sizeof *f);
    if (br_check(c, rns_transport_add_iface(b->t, &ip, &f->iface), "interface") ||
        br_check(c, rns_transport_iface_set_mode(b->t, f->iface, mode), "mode") ||
        br_check(c, rns_transport_iface_set_local_client(b->t, f->iface, lc), "local client"))
        return -1;
    if ((rt = knob(c, b, "announce_rate_target"))) {
        json_t *g = knob(c, b, "announce_rate_grace"), *pn = knob(c, b, "announce_rate_penalty");
        rns_transport_iface_set_announce_rate(b->t, f->iface, json_number_value(rt),
                                              g ? (int)json_number_value(g) : 0,
                                              pn ? json_number_value(pn) : 0);
    } else {
        rns_transport_iface_set_announce_rate(b->t, f->iface, 0, 0, 0);   /* none */
    }
    if ((cap = knob(c, b, "announce_cap"))) {
        rate = knob(c, b, "bitrate");
        if (br_check(c, rns_transport_iface_set_announce_cap(b->t, f->iface,
                                                             json_number_value(cap),
                                                             rate ? (uint64_t)json_number_value(rate)
                                                                  : 62500),
                     "announce_cap"))
            return -1;
    }
    if (br_random(c, r, sizeof r) || !(f->tx = json_array()))
        return -1;
    ml_hex(f->id, r, sizeof r);
    b->n_ifs++;
    return br_set_str(c, "iface_id", f->id) || br_set_int(c, "ifac_size", 0);
}

static int cmd_behavioral_inject(br_ctx *c)
{
    ml_buf raw = ML_BUF_INIT;
    biface *f;
    bcore *b;
    int ret = bcore_param(c, &b) || biface_param(c, b, &f) || br_hex(c, "raw", &raw);

    if (!ret)
        ret = br_check(c, rns_transport_inbound(b->t, f->iface, raw.p, raw.len, rns_node_now()),
                       "inbound");
    ml_buf_free(&raw);
    if (!ret)
        bcore_run(b);
    return ret;
}

static int cmd_behavioral_drain_tx(br_ctx *c)
{
    biface *f;
    bcore *b;
    json_t *tx;

    if (bcore_param(c, &b) || biface_param(c, b, &f))
        return -1;
    tx = f->tx;
    if (!(f->tx = json_array())) {
        f->tx = tx;
        return br_fail(c, "out of memory");
    }
    return br_set(c, "packets", tx);
}

static int cmd_behavioral_read_path_table(br_ctx *c)
{
    uint8_t dest[RNS_HASHLEN];
    rns_path_entry e;
    bcore *b;

    if (bcore_param(c, &b) || br_hex_fixed(c, "dest", dest, RNS_HASHLEN))
        return -1;
    if (rns_transport_path_entry(b->t, dest, rns_node_now(), &e))
        return br_set_bool(c, "found", 0);
    return br_set_bool(c, "found", 1) || br_set_int(c, "hops", e.hops) ||
           br_set_hex(c, "next_hop", e.next_hop, RNS_HASHLEN) ||
           br_set_int(c, "timestamp", (long long)(e.timestamp * 1000.0)) ||
           br_set_int(c, "expires", (long long)(e.expires * 1000.0));
}

const br_cmd br_transport_cmds[] = {
    {"behavioral_start", cmd_behavioral_start},
    {"behavioral_stop", cmd_behavioral_stop},
    {"behavioral_attach_mock_interface", cmd_behavioral_attach_mock_interface},
    {"behavioral_inject", cmd_behavioral_inject},
    {"behavioral_drain_tx", cmd_behavioral_drain_tx},
    {"behavioral_read_path_table", cmd_behavioral_read_path_table},
    {"wire_transport_enabled", cmd_wire_transport_enabled},
    {"wire_set_interface_mode", cmd_wire_set_interface_mode},
    {"wire_has_discovery_path_request", cmd_wire_has_discovery_path_request},
    {"wire_has_announce_table_entry", cmd_wire_has_announce_table_entry},
    {"wire_read_announce_table_timestamp", cmd_wire_read_announce_table_timestamp},
    {"wire_read_path_random_hash", cmd_wire_read_path_random_hash},
    {NULL, NULL},
};
