// SPDX-License-Identifier: MIT
// Bridge commands: transport-node behaviour of live peers (forwarding, paths
// for others, shared instance). The behaviour is the core's (rns_transport.h,
// "transport node"); these only read its tables and set its options.
#include <string.h>

#include "bridge.h"
#include "wire.h"
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
    json_t *v = br_param(c, "enable_transport");

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

const br_cmd br_transport_cmds[] = {
    {"wire_transport_enabled", cmd_wire_transport_enabled},
    {"wire_set_interface_mode", cmd_wire_set_interface_mode},
    {"wire_has_discovery_path_request", cmd_wire_has_discovery_path_request},
    {"wire_has_announce_table_entry", cmd_wire_has_announce_table_entry},
    {"wire_read_announce_table_timestamp", cmd_wire_read_announce_table_timestamp},
    {"wire_read_path_random_hash", cmd_wire_read_path_random_hash},
    {NULL, NULL},
};
