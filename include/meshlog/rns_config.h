// SPDX-License-Identifier: MIT
// Reticulum configuration: the reference's config-file syntax (a ConfigObj
// subset: "[section]", "[[subsection]]", "key = value", "#" comments, quoted
// values, comma lists) and the rules by which an interface section becomes an
// interface's settings (Reticulum._synthesize_interface in the reference):
// interface modes and their aliases, IFAC credentials and their aliases, the
// floors and caps of bitrate, ifac_size, announce_cap and the discovery
// announce interval, and the ingress-control (ic_*) knobs with the
// Interface class defaults. Also the per-class interface constants
// (DEFAULT_IFAC_SIZE, BITRATE_GUESS, class HW_MTU) and the instance-wide
// constants the reference fixes in Reticulum/Transport. Pure: text in,
// structs out; the node (rns_node.h) applies the result.
#ifndef MESHLOG_RNS_CONFIG_H
#define MESHLOG_RNS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

/* Interface.MODE_* */
enum rns_iface_mode {
    RNS_MODE_FULL = 0x01,
    RNS_MODE_POINT_TO_POINT = 0x02,
    RNS_MODE_ACCESS_POINT = 0x03,
    RNS_MODE_ROAMING = 0x04,
    RNS_MODE_BOUNDARY = 0x05,
    RNS_MODE_GATEWAY = 0x06,
    RNS_MODE_INTERNAL = 0x07,
};

/* Reticulum.* instance constants. */
#define RNS_MINIMUM_BITRATE 5              /* bits/s; lower configured bitrates are ignored */
#define RNS_ANNOUNCE_CAP_PERCENT 2         /* default share of bandwidth for announces */
#define RNS_MAX_QUEUED_ANNOUNCES 16384     /* per-interface announce queue depth */
#define RNS_QUEUED_ANNOUNCE_LIFE 86400     /* seconds a queued announce lives */
#define RNS_DEFAULT_PER_HOP_TIMEOUT 6      /* seconds, first hop with no known path */
#define RNS_BASE_BITRATE 62500             /* Interface base bitrate (no class guess) */

/* Interface ingress-control defaults (Interface.IC_*, MAX_HELD_ANNOUNCES). */
#define RNS_IC_MAX_HELD_ANNOUNCES 256
#define RNS_IC_NEW_TIME (2.0 * 60 * 60)
#define RNS_IC_BURST_FREQ_NEW 3.0
#define RNS_IC_BURST_FREQ 10.0
#define RNS_IC_PR_BURST_FREQ_NEW 3.0
#define RNS_IC_PR_BURST_FREQ 8.0
#define RNS_IC_BURST_HOLD 15.0
#define RNS_IC_BURST_PENALTY 15.0
#define RNS_IC_HELD_RELEASE_INTERVAL 5.0
#define RNS_EC_PR_FREQ 5.0

/* Announce rate control a transport node applies to its interfaces when the
 * config sets none (Interface.DEFAULT_AR_*). */
#define RNS_DEFAULT_AR_TARGET 3600
#define RNS_DEFAULT_AR_PENALTY 0
#define RNS_DEFAULT_AR_GRACE 5

/* Discovery announce interval: 6 h by default, never below 5 min. */
#define RNS_DISCOVERY_INTERVAL_DEFAULT (6 * 60 * 60)
#define RNS_DISCOVERY_INTERVAL_MIN (5 * 60)

/* ---- interface classes ----------------------------------------------------- */

typedef struct rns_iface_class {
    const char *type;          /* the config "type", e.g. "TCPServerInterface" */
    size_t default_ifac_size;  /* bytes: 8 on serial-class media, 16 on packet media */
    uint64_t bitrate_guess;    /* bits/s assumed until configured */
    uint32_t class_hw_mtu;     /* HW_MTU fixed at class level, 0 when per instance */
    int autoconfigure_mtu;     /* 1: HW_MTU follows the bitrate (optimise_mtu) */
    int supports_discovery;    /* 1: can be made discoverable (announced to others) */
} rns_iface_class;

/* The class of a config type, or NULL when it is not a reference type.
 * "TCPInterface" names the TCP base class (its class HW_MTU). */
const rns_iface_class *rns_iface_class_find(const char *type);
/* What an interface of a type we do not know (an external interface) gets:
 * the base Interface's bitrate, a 16-byte IFAC, no MTU autoconfiguration. */
const rns_iface_class *rns_iface_class_external(void);

/* ---- config file ------------------------------------------------------------ */

typedef struct rns_cfg rns_cfg;          /* a parsed file */
typedef struct rns_cfg_section rns_cfg_section;

/* Parses config text (UTF-8, need not be NUL-terminated). On ML_EMALFORMED
 * err (may be NULL) gets "line N: reason". 0, ML_EINVAL, ML_EMALFORMED, ML_ENOMEM. */
int rns_cfg_parse(rns_cfg **out, const char *text, size_t len, char *err, size_t errlen);
void rns_cfg_free(rns_cfg *cfg);   /* NULL ok */

/* The top level (holds "[name]" sections and keys before any section). */
const rns_cfg_section *rns_cfg_root(const rns_cfg *cfg);
/* A direct subsection by name, or NULL. */
const rns_cfg_section *rns_cfg_sub(const rns_cfg_section *s, const char *name);
/* The i-th direct subsection (in file order) or NULL; its name in *name. */
const rns_cfg_section *rns_cfg_sub_at(const rns_cfg_section *s, size_t i, const char **name);
/* The value of key (unquoted; a list joined with ", "), or NULL when absent.
 * *n_items (may be NULL) gets 1 for a scalar, the item count for a list. */
const char *rns_cfg_get(const rns_cfg_section *s, const char *key, size_t *n_items);
/* The i-th item of a list value (or 0: the scalar), or NULL. */
const char *rns_cfg_item(const rns_cfg_section *s, const char *key, size_t i);

/* ConfigObj's conversions of a present key: 0, ML_ENOTFOUND (absent),
 * ML_EMALFORMED (not that type, or a list). Booleans: true/false, yes/no,
 * on/off, 1/0 in any case. Integers: decimal with optional sign. */
int rns_cfg_bool(const rns_cfg_section *s, const char *key, int *out);
int rns_cfg_int(const rns_cfg_section *s, const char *key, long long *out);
int rns_cfg_float(const rns_cfg_section *s, const char *key, double *out);

/* Identity hash lists of the [reticulum] section (remote_management_allowed,
 * blackhole_sources, interface_discovery_sources): each item must be exactly
 * 32 hex digits (16 bytes), else ML_EMALFORMED with err naming it, as the
 * reference refuses to start; duplicates are kept once. out has room for
 * max; *n_out set. ML_ETOOBIG past max. */
int rns_cfg_hash_list(const char *const *items, size_t n, uint8_t (*out)[16], size_t max,
                      size_t *n_out, char *err, size_t errlen);

/* The [reticulum] rpc_key option: an even number of hex digits (either case),
 * 1..max bytes, into out; *n_out set. ML_EMALFORMED for anything else (the
 * reference then drops the option and uses its default key), ML_ETOOBIG past max. */
int rns_cfg_rpc_key(const char *hex, uint8_t *out, size_t max, size_t *n_out);

/* The [reticulum] section's switches, with the reference's defaults. */
typedef struct rns_instance_config {
    int enable_transport;          /* no */
    int share_instance;            /* yes */
    int respond_to_probes;         /* no */
    int use_implicit_proof;        /* yes */
    int enable_remote_management;  /* no */
    int panic_on_interface_error;  /* no */
    int link_mtu_discovery;        /* yes */
    int discover_interfaces;       /* no: the master switch of interface discovery */
    long long autoconnect_discovered_interfaces;  /* 0: off, else how many at most */
    long long required_discovery_value;           /* 0: the default stamp cost */
} rns_instance_config;
/* Resolves s (the [reticulum] section; NULL: none, all defaults). Values of
 * the wrong type are ML_EMALFORMED with err set. */
int rns_instance_config_resolve(const rns_cfg_section *s, rns_instance_config *out, char *err,
                                size_t errlen);

/* ---- an interface section, resolved ------------------------------------------ */

typedef struct rns_iface_config {
    char *name;                /* the [[subsection]] name */
    char *type;
    const rns_iface_class *cls;/* the type's class (external for unknown types) */
    int enabled;               /* interface_enabled / enabled */
    int outgoing;
    int mode;                  /* enum rns_iface_mode */
    long long configured_bitrate;  /* 0: none configured (or below the minimum) */
    uint64_t bitrate;          /* effective: configured, else the class guess */
    uint32_t hw_mtu;           /* effective: rns_framing_autoconf_mtu(bitrate) when the
                                  class autoconfigures,
                                  else the class HW_MTU; 0 when none */
    size_t ifac_size;          /* bytes, effective (configured bits / 8, else class default) */
    char *ifac_netname;        /* NULL: unset (an empty value is unset too) */
    char *ifac_netkey;
    double announce_cap;       /* fraction of bandwidth, (0, 1] */
    int ingress_control;
    int egress_control;        /* -1: not configured */
    long long ic_max_held_announces;
    double ic_burst_hold, ic_burst_freq_new, ic_burst_freq, ic_pr_burst_freq_new,
        ic_pr_burst_freq, ec_pr_freq, ic_new_time, ic_burst_penalty, ic_held_release_interval;
    long long announce_rate_target, announce_rate_grace, announce_rate_penalty; /* -1: none */
    int bootstrap_only;
    int discoverable;
    long long discovery_announce_interval;  /* seconds; 0 unless discoverable */
    long long discovery_stamp_value;        /* -1: default */
    char *discovery_name;      /* NULL unless set */
    char *reachable_on;
    int discovery_encrypt, publish_ifac;
} rns_iface_config;

/* Resolves interface section s named name as the reference does. Mode: the
 * "interface_mode" key wins over "mode"; full, access_point/accesspoint/ap,
 * pointtopoint/ptp, roaming, boundary, gateway/gw, internal; anything else is
 * FULL. As in the reference, an interface_mode the first five spellings do
 * not cover is looked up in the "mode" key, so interface_mode = gateway
 * without a mode key is refused (ML_EMALFORMED): a config the reference
 * cannot load either. A discoverable interface not in gateway, access point
 * or internal mode becomes gateway (RNode types: access point) unless
 * ignore_config_warnings is set. Values of the wrong type are ML_EMALFORMED
 * with err set. *out is the caller's: rns_iface_config_clear(). */
int rns_iface_config_resolve(const rns_cfg_section *s, const char *name, rns_iface_config *out,
                             char *err, size_t errlen);
void rns_iface_config_clear(rns_iface_config *c);   /* NULL ok */
/* What a transport-enabled instance adds: announce rate target, penalty and
 * grace default to RNS_DEFAULT_AR_* where the section set none. NULL ok. */
void rns_iface_config_transport_defaults(rns_iface_config *c);

struct rns_ifac;
/* The interface's access code from its credentials: *out NULL (and 0) when
 * neither a network name nor a passphrase is set, as in the reference.
 * 0, ML_ENOMEM, ML_ECRYPTO. */
int rns_iface_config_ifac(const rns_iface_config *c, struct rns_ifac **out);

#endif
