// SPDX-License-Identifier: MIT
// Bridge commands: Reticulum configuration files, interface options and discovery.
#include <stdlib.h>
#include <string.h>

#include "bridge.h"
#include "meshlog/error.h"
#include "meshlog/crypto.h"
#include "meshlog/rns_config.h"
#include "meshlog/rns_dest.h"
#include "meshlog/rns_destination.h"
#include "meshlog/rns_discovery.h"
#include "meshlog/rns_identity.h"
#include "meshlog/rns_ifac.h"
#include "wire.h"

static int set_real(br_ctx *c, const char *key, double v) { return br_set(c, key, json_real(v)); }

static const char *mode_name(int mode)
{
    switch (mode) {
    case RNS_MODE_FULL: return "full";
    case RNS_MODE_POINT_TO_POINT: return "pointtopoint";
    case RNS_MODE_ACCESS_POINT: return "access_point";
    case RNS_MODE_ROAMING: return "roaming";
    case RNS_MODE_BOUNDARY: return "boundary";
    case RNS_MODE_GATEWAY: return "gateway";
    default: return NULL;
    }
}

static int set_opt_str(br_ctx *c, const char *key, const char *v)
{
    return v ? br_set_str(c, key, v) : br_set_null(c, key);
}

static int report_iface(br_ctx *c, const rns_iface_config *ic)
{
    rns_ifac *ifac = NULL;
    const char *mn = mode_name(ic->mode);
    int ret = br_check(c, rns_iface_config_ifac(ic, &ifac), "IFAC");

    rns_ifac_free(ifac);
    if (ret)
        return ret;
    return br_set_int(c, "selected_interface_mode", ic->mode) ||
           (ic->configured_bitrate ? br_set_int(c, "configured_bitrate", ic->configured_bitrate)
                                   : br_set_null(c, "configured_bitrate")) ||
           br_set_int(c, "mode", ic->mode) || set_opt_str(c, "mode_name", mn) ||
           br_set_int(c, "bitrate", (long long)ic->bitrate) ||
           (ic->hw_mtu ? br_set_int(c, "hw_mtu", ic->hw_mtu) : br_set_null(c, "hw_mtu")) ||
           set_real(c, "announce_cap", ic->announce_cap) ||
           br_set_int(c, "ifac_size", (long long)ic->ifac_size) ||
           br_set_int(c, "default_ifac_size", (long long)ic->cls->default_ifac_size) ||
           br_set_bool(c, "discoverable", ic->discoverable) ||
           (ic->discoverable
                ? br_set_int(c, "discovery_announce_interval", ic->discovery_announce_interval)
                : br_set_null(c, "discovery_announce_interval")) ||
           set_opt_str(c, "ifac_netname", ic->ifac_netname) ||
           set_opt_str(c, "ifac_netkey", ic->ifac_netkey) ||
           br_set_bool(c, "ifac_active", ic->ifac_netname || ic->ifac_netkey) ||
           br_set_bool(c, "enabled", ic->enabled) ||
           br_set_int(c, "ic_max_held_announces", ic->ic_max_held_announces) ||
           set_real(c, "ic_burst_hold", ic->ic_burst_hold) ||
           set_real(c, "ic_burst_freq_new", ic->ic_burst_freq_new) ||
           set_real(c, "ic_burst_freq", ic->ic_burst_freq) ||
           set_real(c, "ic_new_time", ic->ic_new_time) ||
           set_real(c, "ic_burst_penalty", ic->ic_burst_penalty) ||
           set_real(c, "ic_held_release_interval", ic->ic_held_release_interval);
}

/* Parses config text and resolves one [[interface]] section of [interfaces]. */
static int cmd_config_parse_interface(br_ctx *c)
{
    const char *text, *name;
    char err[256];
    rns_cfg *cfg = NULL;
    rns_iface_config ic;
    const rns_cfg_section *sec;
    int rc, ret;

    if (br_str(c, "config_text", &text) || br_str(c, "interface_name", &name))
        return -1;
    rc = rns_cfg_parse(&cfg, text, strlen(text), err, sizeof err);
    if (rc == ML_EMALFORMED)
        return br_fail(c, "config: %s", err);
    if (br_check(c, rc, "config"))
        return -1;
    sec = rns_cfg_sub(rns_cfg_sub(rns_cfg_root(cfg), "interfaces"), name);
    if (!sec) {
        rns_cfg_free(cfg);
        return br_fail(c, "config_text has no [[%s]] under [interfaces]", name);
    }
    rc = rns_iface_config_resolve(sec, name, &ic, err, sizeof err);
    rns_cfg_free(cfg);
    if (rc == ML_EMALFORMED)
        return br_fail(c, "interface %s: %s", name, err);
    if (br_check(c, rc, "interface"))
        return -1;
    ret = report_iface(c, &ic);
    rns_iface_config_clear(&ic);
    return ret;
}

/* The HW_MTU an interface class fixes; classes that size it per instance
 * answer with an error key, as the reference does. */
static int cmd_interface_hw_mtu(br_ctx *c)
{
    const char *type;
    const rns_iface_class *cls;

    if (br_str(c, "type", &type))
        return -1;
    cls = rns_iface_class_find(type);
    if (!cls || !cls->class_hw_mtu)
        return br_set_str(c, "error", "no class-level HW_MTU for this interface type");
    return br_set_int(c, "hw_mtu", cls->class_hw_mtu);
}

static int cmd_announce_queue_constants(br_ctx *c)
{
    return br_set_int(c, "announce_cap", RNS_ANNOUNCE_CAP_PERCENT) ||
           br_set_int(c, "max_queued_announces", RNS_MAX_QUEUED_ANNOUNCES) ||
           br_set_int(c, "queued_announce_life", RNS_QUEUED_ANNOUNCE_LIFE);
}

/* ---- interface discovery ------------------------------------------------------------ */

static int stamp_rng(void *ctx, void *out, size_t len)
{
    (void)ctx;
    return ml_random(out, len);
}

static int stamp_rounds(br_ctx *c, unsigned *rounds)
{
    long long r;
    if (br_int(c, "expand_rounds", RNS_DISCOVERY_EXPAND_ROUNDS, &r))
        return -1;
    if (r < 1 || r > 100000)
        return br_fail(c, "expand_rounds must be 1..100000");
    *rounds = (unsigned)r;
    return 0;
}

static int stamp_cost(br_ctx *c, long long max, unsigned *cost)
{
    long long v;
    if (br_int(c, "cost", -1, &v))
        return -1;
    if (v < 0 || v > max)
        return br_fail(c, "cost must be 0..%lld", max);
    *cost = (unsigned)v;
    return 0;
}

/* The LXMF-style proof-of-work of discovery announces: op = workblock,
 * value, valid, generate or default_cost. */
static int cmd_discovery_stamp(br_ctx *c)
{
    ml_buf a = ML_BUF_INIT, b = ML_BUF_INIT;
    const char *op;
    unsigned rounds = 0, cost = 0;
    uint8_t stamp[RNS_STAMP_SIZE];
    int ret;

    if (br_str(c, "op", &op))
        return -1;
    if (!strcmp(op, "default_cost"))
        return br_set_int(c, "default_stamp_value", RNS_DISCOVERY_STAMP_VALUE) ||
               br_set_int(c, "handler_default_required_value", RNS_DISCOVERY_STAMP_VALUE);
    if (!strcmp(op, "workblock")) {
        ret = br_hex(c, "material", &a) || stamp_rounds(c, &rounds) ||
              br_check(c, rns_stamp_workblock(&b, a.p, a.len, rounds), "workblock") ||
              br_set_buf(c, "workblock", &b) || br_set_int(c, "length", (long long)b.len);
    } else if (!strcmp(op, "value")) {
        ret = br_hex(c, "workblock", &a) || br_hex(c, "stamp", &b) ||
              br_set_int(c, "value", rns_stamp_value(a.p, a.len, b.p, b.len));
    } else if (!strcmp(op, "valid")) {
        ret = br_hex(c, "workblock", &a) || br_hex(c, "stamp", &b) || stamp_cost(c, 256, &cost) ||
              br_set_bool(c, "valid", rns_stamp_valid(a.p, a.len, b.p, b.len, cost));
    } else if (!strcmp(op, "generate")) {
        ret = br_hex(c, "material", &a) || stamp_rounds(c, &rounds) || stamp_cost(c, 24, &cost) ||
              br_check(c, rns_stamp_workblock(&b, a.p, a.len, rounds), "workblock") ||
              br_check(c, rns_stamp_generate(stamp, b.p, b.len, cost, stamp_rng, NULL,
                                             (uint64_t)1 << 30),
                       "stamp") ||
              br_set_hex(c, "stamp", stamp, sizeof stamp) ||
              br_set_int(c, "value", rns_stamp_value(b.p, b.len, stamp, sizeof stamp)) ||
              br_set_int(c, "stamp_size", RNS_STAMP_SIZE);
    } else {
        ret = br_fail(c, "unknown discovery_stamp op: %s", op);
    }
    ml_buf_free(&a);
    ml_buf_free(&b);
    return ret;
}

static int cmd_discovery_validate_address(br_ctx *c)
{
    const char *addr;
    if (br_str(c, "address", &addr))
        return -1;
    return br_set_bool(c, "is_ip_address", rns_discovery_is_ip_address(addr)) ||
           br_set_bool(c, "is_ygg_ipv6", rns_discovery_is_ygg_ipv6(addr)) ||
           br_set_bool(c, "is_hostname", rns_discovery_is_hostname(addr));
}

static int cmd_discovery_sanitize_name(br_ctx *c)
{
    const char *name;
    char *out;
    int ret;

    if (br_str(c, "name", &name))
        return -1;
    if (!(out = malloc(strlen(name) + 1)))
        return br_fail(c, "out of memory");
    rns_discovery_sanitize_name(out, name);
    /* The reference gives None for an empty name, else the cleaned text. */
    ret = *name ? br_set_str(c, "sanitize_name", out) : br_set_null(c, "sanitize_name");
    rns_discovery_sanitize(out, name);
    ret = ret || br_set_str(c, "sanitize", out);
    free(out);
    return ret;
}

static int identity_param(br_ctx *c, const char *key, rns_identity **out)
{
    uint8_t priv[RNS_KEYSIZE];
    *out = NULL;
    if (!br_param(c, key))
        return 0;
    if (br_hex_fixed(c, key, priv, sizeof priv))
        return -1;
    return br_check(c, rns_identity_from_private(out, priv), key);
}

static int cmd_discovery_announce_identity(br_ctx *c)
{
    rns_identity *net = NULL, *tx = NULL;
    const rns_identity *chosen;
    uint8_t dest[RNS_HASHLEN];
    int has_net, ret;

    ret = br_bool(c, "has_network_identity", 0, &has_net) ||
          identity_param(c, "network_identity_priv", &net) ||
          identity_param(c, "identity_priv", &tx) ||
          br_check(c, rns_discovery_destination(dest, has_net ? net : NULL, tx, &chosen),
                   "discovery destination");
    if (!ret)
        ret = br_set_hex(c, "discovery_destination_hash", dest, sizeof dest) ||
              br_set_hex(c, "chosen_identity_hash", rns_identity_hash(chosen), RNS_HASHLEN) ||
              (net ? br_set_hex(c, "network_identity_hash", rns_identity_hash(net), RNS_HASHLEN)
                   : br_set_null(c, "network_identity_hash")) ||
              (tx ? br_set_hex(c, "identity_hash", rns_identity_hash(tx), RNS_HASHLEN)
                  : br_set_null(c, "identity_hash")) ||
              br_set_str(c, "app_name", RNS_DISCOVERY_APP_NAME);
    rns_identity_free(net);
    rns_identity_free(tx);
    return ret;
}

/* ---- live peers ------------------------------------------------------------------------- */

/* A list of hex identity hashes, validated by the config library. */
static int hash_list_param(br_ctx *c, const char *key, uint8_t (*out)[RNS_HASHLEN], size_t max,
                           size_t *n)
{
    json_t *v = br_param(c, key), *e;
    const char *items[64];
    char err[160];
    size_t i, k = 0;
    int rc;

    *n = 0;
    if (!v)
        return 0;
    if (!json_is_array(v) || json_array_size(v) > 64)
        return br_fail(c, "%s must be a list of at most 64 hex strings", key);
    json_array_foreach(v, i, e) {
        if (!json_is_string(e))
            return br_fail(c, "%s must be a list of hex strings", key);
        items[k++] = json_string_value(e);
    }
    rc = rns_cfg_hash_list(items, k, out, max, n, err, sizeof err);
    if (rc == ML_EMALFORMED)
        return br_fail(c, "%s: %s", key, err);
    return br_check(c, rc, key);
}

/* n hashes of 16 bytes, back to back, as a list of hex strings. */
static json_t *hex_list(const uint8_t *h, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        char hex[2 * RNS_HASHLEN + 1];
        ml_hex(hex, h + i * RNS_HASHLEN, RNS_HASHLEN);
        json_array_append_new(a, json_string(hex));
    }
    return a;
}

int config_apply(br_ctx *c, peer *pr)
{
    int probes, implicit, rm, panic;
    uint8_t acl[64][RNS_HASHLEN], src[RNS_NODE_MAX_SOURCES][RNS_HASHLEN];
    size_t n_acl = 0, n_src = 0;
    json_t *rk = br_param(c, "rpc_key");

    /* malformed rpc_key: the reference drops it and keeps the default key */
    if (rk && !json_is_null(rk)) {
        uint8_t key[RNS_NODE_RPC_KEY_MAX];
        size_t klen;
        if (!json_is_string(rk))
            return br_fail(c, "rpc_key must be a hex string");
        if (rns_cfg_rpc_key(json_string_value(rk), key, sizeof key, &klen) == 0 &&
            br_check(c, rns_node_set_rpc_key(pr->node, key, klen), "rpc_key"))
            return -1;
    }
    if (hash_list_param(c, "blackhole_sources", src, RNS_NODE_MAX_SOURCES, &n_src) ||
        br_check(c, rns_node_set_blackhole_sources(pr->node, src[0], n_src), "blackhole_sources"))
        return -1;
    n_src = 0;
    if (hash_list_param(c, "interface_discovery_sources", src, RNS_NODE_MAX_SOURCES, &n_src) ||
        br_check(c, rns_node_set_interface_discovery_sources(pr->node, src[0], n_src),
                 "interface_discovery_sources"))
        return -1;
    if (br_bool(c, "respond_to_probes", 0, &probes) ||
        br_bool(c, "use_implicit_proof", 1, &implicit) ||
        br_bool(c, "panic_on_interface_error", 0, &panic))
        return -1;
    rns_node_set_panic_on_interface_error(pr->node, panic);
    rns_transport_set_implicit_proofs(core(pr), implicit);
    if (probes && br_check(c, rns_node_respond_to_probes(pr->node), "respond_to_probes"))
        return -1;
    /* the ACL is checked even when remote management stays off, as the
     * reference refuses to start on a malformed entry either way */
    if (hash_list_param(c, "remote_management_allowed", acl, 64, &n_acl) ||
        br_bool(c, "enable_remote_management", 0, &rm))
        return -1;
    if (rm && br_check(c, rns_node_enable_remote_management(pr->node, acl[0], n_acl),
                       "remote management"))
        return -1;
    return 0;
}

/* The posture the node runs with, as the node reports it. */
static int cmd_wire_instance_posture(br_ctx *c)
{
    peer *pr;
    const uint8_t *acl, *bh, *ds;
    size_t n_acl, n_bh, n_ds;

    if (peer_param(c, &pr))
        return -1;
    acl = rns_node_remote_management_allowed(pr->node, &n_acl);
    bh = rns_node_blackhole_sources(pr->node, &n_bh);
    ds = rns_node_interface_discovery_sources(pr->node, &n_ds);
    return br_set_bool(c, "transport_enabled", rns_transport_transport_enabled(core(pr))) ||
           br_set_bool(c, "is_shared_instance", pr->shared_master) ||
           br_set_bool(c, "is_connected_to_shared_instance", pr->local_client) ||
           br_set_bool(c, "respond_to_probes", rns_node_probe_destination(pr->node, NULL)) ||
           br_set_bool(c, "remote_management_enabled", rns_node_remote_management(pr->node, NULL)) ||
           br_set(c, "remote_management_allowed", hex_list(acl, n_acl)) ||
           br_set_bool(c, "panic_on_interface_error", rns_node_panic_on_interface_error(pr->node)) ||
           br_set_bool(c, "should_use_implicit_proof", rns_transport_implicit_proofs(core(pr))) ||
           br_set(c, "blackhole_sources", hex_list(bh, n_bh)) ||
           br_set(c, "interface_discovery_sources", hex_list(ds, n_ds));
}

/* The instance's RPC key and the transport private key it defaults from. */
static int cmd_wire_rpc_authkey(br_ctx *c)
{
    peer *pr;
    uint8_t key[RNS_NODE_RPC_KEY_MAX], priv[RNS_KEYSIZE];
    size_t len;
    int rc;

    if (peer_param(c, &pr))
        return -1;
    if (!(len = rns_node_rpc_key(pr->node, key)))
        return br_fail(c, "the node has no RPC key");
    if (br_check(c, rns_identity_private_key(rns_node_identity(pr->node), priv),
                 "transport private key"))
        return -1;
    rc = br_set_hex(c, "rpc_key", key, len) ||
         br_set_hex(c, "transport_private_key", priv, sizeof priv);
    ml_wipe(priv, sizeof priv);
    return rc ? -1 : 0;
}

/* PROVE_ALL as the reference numbers it (Destination.PROVE_* = 0x21..0x23). */
static int proof_code(enum rns_proof_strategy p) { return p == RNS_PROVE_ALL ? 0x23 : 0x21; }

static int report_remote_management(br_ctx *c, peer *pr)
{
    uint8_t rm[RNS_HASHLEN];
    const uint8_t *acl;
    size_t n_acl;
    rns_dest *d;
    rns_dest_handler_info hi;
    json_t *o, *hs;
    char hex[2 * RNS_HASHLEN + 1];

    if (!rns_node_remote_management(pr->node, rm) || !(d = rns_transport_dest(core(pr), rm)))
        return br_set(c, "remote_management", json_pack("{s:b}", "present", 0));
    acl = rns_node_remote_management_allowed(pr->node, &n_acl);
    hs = json_array();
    for (size_t i = 0; rns_dest_request_handler_at(d, i, &hi); i++) {
        int same = hi.n_allowed == n_acl &&
                   (n_acl == 0 || memcmp(hi.allowed, acl, n_acl * RNS_HASHLEN) == 0);
        ml_hex(hex, hi.path_hash, RNS_HASHLEN);
        json_array_append_new(hs, json_pack("{s:s,s:s,s:i,s:o,s:b}", "path", hi.path, "path_hash", hex,
                                            "allow", hi.allow, "allowed_hashes",
                                            hex_list(hi.n_allowed ? hi.allowed[0] : NULL, hi.n_allowed), "allowed_list_is_acl",
                                            same));
    }
    ml_hex(hex, rm, RNS_HASHLEN);
    o = json_pack("{s:b,s:s,s:s,s:b,s:b,s:o}", "present", 1, "hash", hex, "name",
                  RNS_TRANSPORT_APP_NAME ".remote.management", "in_mgmt_destinations", 1, "in_mgmt_hashes", 1,
                  "request_handlers", hs);
    return br_set(c, "remote_management", o);
}

static int cmd_wire_mgmt_destinations(br_ctx *c)
{
    peer *pr;
    uint8_t probe[RNS_HASHLEN];
    enum rns_proof_strategy ps;
    int links;
    json_t *o;

    if (peer_param(c, &pr))
        return -1;
    if (br_set_hex(c, "transport_identity_hash", rns_identity_hash(rns_node_identity(pr->node)),
                   RNS_HASHLEN) ||
        br_set_str(c, "app_name", RNS_TRANSPORT_APP_NAME) || report_remote_management(c, pr))
        return -1;
    if (!rns_node_probe_destination(pr->node, probe))
        return br_set(c, "probe", json_pack("{s:b}", "present", 0));
    if (br_check(c, rns_transport_local_dest(core(pr), probe, &ps, &links), "probe destination"))
        return -1;
    o = json_pack("{s:b,s:s,s:i,s:b,s:b}", "present", 1, "name", RNS_TRANSPORT_APP_NAME ".probe",
                  "proof_strategy", proof_code(ps), "accepts_links", links,
                  "in_mgmt_destinations", 1);
    if (o) {
        char hex[2 * RNS_HASHLEN + 1];
        ml_hex(hex, probe, RNS_HASHLEN);
        json_object_set_new(o, "hash", json_string(hex));
    }
    return br_set(c, "probe", o);
}

static int cmd_wire_interface_bitrate(br_ctx *c)
{
    peer *pr;
    uint64_t rate;

    if (peer_param(c, &pr))
        return -1;
    if (!(rate = rns_node_bitrate(pr->node, pr->iface_id)))
        return br_fail(c, "no wire interface on this peer");
    return br_set_int(c, "bitrate", (long long)rate) ||
           br_set_int(c, "bitrate_guess",
                      (long long)rns_iface_class_find(pr->iface_id < 0 ? "TCPServerInterface"
                                                                       : "TCPClientInterface")
                          ->bitrate_guess) ||
           br_set_int(c, "minimum_bitrate", RNS_MINIMUM_BITRATE);
}

static int cmd_wire_first_hop_timeout(br_ctx *c)
{
    peer *pr;
    uint8_t dest[RNS_HASHLEN];

    if (peer_param(c, &pr) || br_hex_fixed(c, "destination_hash", dest, sizeof dest))
        return -1;
    return set_real(c, "timeout", rns_transport_first_hop_timeout(core(pr), dest, rns_node_now())) ||
           br_set_int(c, "default_per_hop_timeout", RNS_DEFAULT_PER_HOP_TIMEOUT);
}

/* InterfaceDiscovery.autoconnect over four records none of which may be
 * dialled; a record the library accepts is dialled as a TCP client, and the
 * node's interface count says whether anything was added. */
static int cmd_wire_discovery_autoconnect_gate(br_ctx *c)
{
    static const struct {
        const char *name, *type, *at;
        long port;
    } cases[] = {
        {"wrong_type", "UDPInterface", "10.0.0.5", 4242},
        {"tcp_client", "TCPClientInterface", "10.0.0.6", 4242},
        {"i2p", "I2PInterface", "abcdefgh.b32.i2p", 0},
        {"yggdrasil", "BackboneInterface", "200::1", 4242},
    };
    peer *pr;
    uint8_t h[32];

    if (peer_param(c, &pr))
        return -1;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t before = rns_node_ifaces(pr->node, NULL, 0), after;
        if (rns_discovery_autoconnect(cases[i].type, cases[i].at) &&
            br_check(c, rns_node_add_tcp_client(pr->node, cases[i].at, (uint16_t)cases[i].port, NULL, NULL),
                     "autoconnect"))
            return -1;
        after = rns_node_ifaces(pr->node, NULL, 0);
        if (br_set(c, cases[i].name, json_pack("{s:I}", "interfaces_added", (json_int_t)(after - before))))
            return -1;
    }
    rns_discovery_endpoint_hash(h, "10.9.9.9", 4242);
    return br_set_hex(c, "endpoint_hash", h, sizeof h) || br_set_str(c, "endpoint_spec", "10.9.9.9:4242");
}

/* The shared-instance port and the announce-rate defaults a transport node
 * gives an interface whose section sets none. */
static int cmd_wire_interface_transport_defaults(br_ctx *c)
{
    static const char section[] = "[interfaces]\n[[i]]\ntype = TCPServerInterface\n";
    rns_cfg *cfg = NULL;
    rns_iface_config ic;
    char err[160];
    peer *pr;
    int ret;

    if (peer_param(c, &pr) ||
        br_check(c, rns_cfg_parse(&cfg, section, sizeof section - 1, err, sizeof err), "config"))
        return -1;
    ret = br_check(c, rns_iface_config_resolve(rns_cfg_sub(rns_cfg_sub(rns_cfg_root(cfg), "interfaces"), "i"),
                                               "i", &ic, err, sizeof err),
                   "interface");
    rns_cfg_free(cfg);
    if (ret)
        return -1;
    rns_iface_config_transport_defaults(&ic);
    ret = br_set_int(c, "local_interface_port", RNS_NODE_SHARED_PORT) ||
          br_set_int(c, "ar_target", ic.announce_rate_target) ||
          br_set_int(c, "ar_penalty", ic.announce_rate_penalty) ||
          br_set_int(c, "ar_grace", ic.announce_rate_grace);
    rns_iface_config_clear(&ic);
    return ret;
}

/* Discovery is opt-in: an interface section without "discoverable", the
 * base interface class and a [reticulum] section without discovery keys. */
static int cmd_discovery_feature_defaults(br_ctx *c)
{
    static const char text[] = "[reticulum]\n[interfaces]\n[[i]]\ntype = ExternalInterface\n";
    rns_cfg *cfg = NULL;
    rns_instance_config rc;
    rns_iface_config ic;
    char err[160];
    int ret;

    if (br_check(c, rns_cfg_parse(&cfg, text, sizeof text - 1, err, sizeof err), "config"))
        return -1;
    ret = br_check(c, rns_instance_config_resolve(rns_cfg_sub(rns_cfg_root(cfg), "reticulum"), &rc, err,
                                                  sizeof err),
                   "[reticulum]") ||
          br_check(c, rns_iface_config_resolve(rns_cfg_sub(rns_cfg_sub(rns_cfg_root(cfg), "interfaces"), "i"),
                                               "i", &ic, err, sizeof err),
                   "interface");
    rns_cfg_free(cfg);
    if (ret)
        return -1;
    ret = br_set_bool(c, "interface_discoverable", ic.discoverable) ||
          br_set_bool(c, "interface_supports_discovery", ic.cls->supports_discovery) ||
          br_set_bool(c, "discover_interfaces", rc.discover_interfaces) ||
          br_set_bool(c, "should_autoconnect_discovered_interfaces",
                      rc.autoconnect_discovered_interfaces > 0) ||
          br_set_int(c, "max_autoconnected_interfaces", rc.autoconnect_discovered_interfaces);
    rns_iface_config_clear(&ic);
    return ret;
}

const br_cmd br_config_cmds[] = {
    {"discovery_feature_defaults", cmd_discovery_feature_defaults},
    {"wire_discovery_autoconnect_gate", cmd_wire_discovery_autoconnect_gate},
    {"wire_interface_transport_defaults", cmd_wire_interface_transport_defaults},
    {"wire_instance_posture", cmd_wire_instance_posture},
    {"wire_rpc_authkey", cmd_wire_rpc_authkey},
    {"wire_mgmt_destinations", cmd_wire_mgmt_destinations},
    {"wire_interface_bitrate", cmd_wire_interface_bitrate},
    {"wire_first_hop_timeout", cmd_wire_first_hop_timeout},
    {"discovery_stamp", cmd_discovery_stamp},
    {"discovery_validate_address", cmd_discovery_validate_address},
    {"discovery_sanitize_name", cmd_discovery_sanitize_name},
    {"discovery_announce_identity", cmd_discovery_announce_identity},
    {"config_parse_interface", cmd_config_parse_interface},
    {"interface_hw_mtu", cmd_interface_hw_mtu},
    {"announce_queue_constants", cmd_announce_queue_constants},
    {NULL, NULL},
};
