// SPDX-License-Identifier: MIT
// Bridge commands: Reticulum configuration files, interface options and discovery.
#include <string.h>

#include "bridge.h"
#include "meshlog/error.h"
#include "meshlog/rns_config.h"
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

const br_cmd br_config_cmds[] = {
    {"config_parse_interface", cmd_config_parse_interface},
    {"interface_hw_mtu", cmd_interface_hw_mtu},
    {"announce_queue_constants", cmd_announce_queue_constants},
    {NULL, NULL},
};
