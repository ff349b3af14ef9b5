// SPDX-License-Identifier: MIT
// Bridge commands: Destination objects (rns_dest.h) and the primitives that
// pin their behaviour (destination_*), the ratchets of the live peers' local
// destinations and the ratchets they adopted from announces (wire_*ratchet*,
// wire_encrypt_to_remote, wire_destination_decrypt), a key-less identity and
// Packet.pack's HEADER_2 refusals. Every answer comes from the library; the
// bridge only maps the reference's parameters and exception classes.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridge.h"
#include "wire.h"
#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/rns_announce.h"
#include "meshlog/rns_dest.h"
#include "meshlog/rns_identity.h"
#include "meshlog/rns_node.h"
#include "meshlog/rns_packet.h"
#include "meshlog/rns_ratchets.h"
#include "meshlog/rns_transport.h"

static int rng(void *ctx, void *out, size_t len)
{
    (void)ctx;
    return ml_random(out, len);
}

/* ---- ratchet files: one temporary directory per bridge, removed at exit ---- */

#define MAX_RFILES 256
static char rdir[64];
static char *rfiles[MAX_RFILES];
static size_t n_rfiles;

static void remove_rfiles(void)
{
    char tmp[600];

    for (size_t i = 0; i < n_rfiles; i++) {
        unlink(rfiles[i]);
        snprintf(tmp, sizeof tmp, "%s.tmp", rfiles[i]);
        unlink(tmp);
        free(rfiles[i]);
    }
    n_rfiles = 0;
    if (rdir[0])
        rmdir(rdir);
}

/* A fresh ratchet file path for dest, in the bridge's own temporary folder. */
static int ratchet_path(br_ctx *c, const uint8_t *dest, char *out, size_t cap)
{
    char hex[2 * RNS_HASHLEN + 1];
    uint8_t r[4];
    const char *base = getenv("TMPDIR");

    if (!rdir[0]) {
        snprintf(rdir, sizeof rdir, "%s/meshlog-ratchets-XXXXXX", base && *base ? base : "/tmp");
        if (strlen(rdir) >= sizeof rdir - 1 || !mkdtemp(rdir)) {
            rdir[0] = 0;
            return br_fail(c, "cannot create a folder for ratchet files");
        }
        atexit(remove_rfiles);
    }
    if (n_rfiles == MAX_RFILES)
        return br_fail(c, "too many ratchet files in this bridge");
    if (br_random(c, r, sizeof r))
        return -1;
    ml_hex(hex, dest, RNS_HASHLEN);
    snprintf(out, cap, "%s/ratchets_%s_%02x%02x%02x%02x", rdir, hex, r[0], r[1], r[2], r[3]);
    if (!(rfiles[n_rfiles] = strdup(out)))
        return br_fail(c, "out of memory");
    n_rfiles++;
    return 0;
}

/* ---- parameters and results ---------------------------------------------------------- */

/* A number parameter (integer or float); def when absent. */
static int num_param(br_ctx *c, const char *key, double def, double *out)
{
    json_t *v = br_param(c, key);

    *out = def;
    if (!v)
        return 0;
    if (!json_is_number(v))
        return br_fail(c, "parameter %s: expected a number", key);
    *out = json_number_value(v);
    return 0;
}

/* "single"/"group"/"plain"/"link" or the raw value, which rns_dest_new judges. */
static int type_param(br_ctx *c, int *out)
{
    static const char *const names[] = {"single", "group", "plain", "link"};
    json_t *v = br_param(c, "type");
    long long n;

    *out = RNS_DEST_SINGLE;
    if (v && json_is_string(v)) {
        for (int i = 0; i < 4; i++)
            if (strcmp(json_string_value(v), names[i]) == 0)
                return (*out = i, 0);
        return br_fail(c, "Unknown destination type %s", json_string_value(v));
    }
    if (br_int(c, "type", RNS_DEST_SINGLE, &n))
        return -1;
    *out = n < 0 || n > 0xffff ? -1 : (int)n;
    return 0;
}

static int direction_param(br_ctx *c, int *out)
{
    json_t *v = br_param(c, "direction");
    long long n;

    *out = RNS_DEST_IN;
    if (v && json_is_string(v)) {
        if (strcmp(json_string_value(v), "in") == 0)
            return 0;
        if (strcmp(json_string_value(v), "out") == 0)
            return (*out = RNS_DEST_OUT, 0);
        return br_fail(c, "Unknown destination direction %s", json_string_value(v));
    }
    if (br_int(c, "direction", RNS_DEST_IN, &n))
        return -1;
    *out = n < 0 || n > 0xffff ? -1 : (int)n;
    return 0;
}

/* The reference's words for rns_dest_new's refusals. */
static int construct_fail(br_ctx *c, int rc, const rns_dest_config *dc)
{
    if (rc != ML_EINVAL)
        return br_check(c, rc, "destination");
    if ((unsigned)dc->type > RNS_DEST_LINK)
        return br_fail(c, "ValueError: Unknown destination type");
    if (dc->direction != RNS_DEST_IN && dc->direction != RNS_DEST_OUT)
        return br_fail(c, "ValueError: Unknown destination direction");
    if (!dc->identity && dc->direction == RNS_DEST_OUT && dc->type != RNS_DEST_PLAIN)
        return br_fail(c, "ValueError: Can't create outbound SINGLE destination without an identity");
    if (dc->identity && dc->type == RNS_DEST_PLAIN)
        return br_fail(c, "TypeError: Selected destination type PLAIN cannot hold an identity");
    return br_fail(c, "ValueError: Dots can't be used in app names or aspects");
}

/* Builds a destination from type, direction, app_name, aspects and an
 * optional identity_private_key. */
static int make_dest(br_ctx *c, rns_dest **out)
{
    const char *app, *aspects[RNS_DEST_MAX_ASPECTS];
    size_t n = 0;
    ml_buf scratch = ML_BUF_INIT, priv = ML_BUF_INIT;
    rns_identity *id = NULL;
    rns_dest_config dc = {.rng = rng};
    int has_priv, ret;

    *out = NULL;
    ret = type_param(c, &dc.type) || direction_param(c, &dc.direction) ||
          br_str(c, "app_name", &app) ||
          (br_param(c, "aspects") &&
           br_aspects(c, "aspects", aspects, RNS_DEST_MAX_ASPECTS, &n, &scratch)) ||
          br_hex_opt(c, "identity_private_key", &priv, &has_priv);
    if (!ret && has_priv && priv.len != RNS_KEYSIZE)
        ret = br_fail(c, "identity_private_key: expected %d bytes", RNS_KEYSIZE);
    if (!ret && has_priv)
        ret = br_check(c, rns_identity_from_private(&id, priv.p), "identity");
    if (!ret) {
        dc.identity = id;
        dc.app_name = app;
        dc.aspects = aspects;
        dc.n_aspects = n;
        if ((ret = rns_dest_new(out, &dc)))
            ret = construct_fail(c, ret, &dc);
    }
    if (priv.p)
        ml_wipe(priv.p, priv.len);
    ml_buf_free(&priv);
    ml_buf_free(&scratch);
    rns_identity_free(id);
    return ret ? -1 : 0;
}

static int announce_fail(br_ctx *c, int rc)
{
    if (rc == ML_EINVAL)
        return br_fail(c, "TypeError: Only SINGLE destination types can be announced");
    if (rc == ML_ESTATE)
        return br_fail(c, "TypeError: Only IN destination types can be announced");
    return br_check(c, rc, "announce");
}

static int set_ratchet_id(br_ctx *c, const char *key, const rns_dest *d, size_t idx)
{
    uint8_t id[RNS_RATCHET_ID_LEN];

    if (rns_dest_ratchet_id_at(d, idx, id))
        return br_set_null(c, key);
    return br_set_hex(c, key, id, sizeof id);
}

static int set_latest_id(br_ctx *c, const char *key, const rns_dest *d)
{
    uint8_t id[RNS_RATCHET_ID_LEN];

    return rns_dest_latest_ratchet_id(d, id) ? br_set_hex(c, key, id, sizeof id)
                                             : br_set_null(c, key);
}

/* ---- primitives: Destination ---------------------------------------------------------- */

static int cmd_destination_construct(br_ctx *c)
{
    char hex[2 * RNS_HASHLEN + 1];
    rns_dest *d;
    int ret;

    if (make_dest(c, &d))
        return -1;
    ret = br_set_hex(c, "destination_hash", rns_dest_hash(d), RNS_HASHLEN) ||
          br_set_str(c, "name", rns_dest_name(d)) ||
          br_set_hex(c, "name_hash", rns_dest_name_hash(d), RNS_NAME_HASHLEN) ||
          br_set_int(c, "proof_strategy", rns_dest_proof_strategy(d)) ||
          br_set_int(c, "type", rns_dest_type(d)) ||
          br_set_int(c, "direction", rns_dest_direction(d));
    if (!ret && rns_dest_identity_generated(d)) {
        ml_hex(hex, rns_identity_hash(rns_dest_identity(d)), RNS_HASHLEN);
        ret = br_set_str(c, "auto_identity_hexhash", hex);
    }
    rns_dest_free(d);
    return ret;
}

static int cmd_destination_announce_attempt(br_ctx *c)
{
    rns_dest_announce_opts o = {.now = rns_node_now()};
    ml_buf pkt = ML_BUF_INIT;
    rns_dest *d;
    int ret, rc;

    if (make_dest(c, &d))
        return -1;
    if ((rc = rns_dest_announce(d, &pkt, &o)))
        ret = announce_fail(c, rc);
    else
        ret = br_set_bool(c, "ok", 1) ||
              br_set_hex(c, "destination_hash", rns_dest_hash(d), RNS_HASHLEN);
    ml_buf_free(&pkt);
    rns_dest_free(d);
    return ret;
}

static int cmd_destination_set_proof_strategy_raw(br_ctx *c)
{
    long long v;
    rns_dest *d;
    int ret;

    if (br_int(c, "strategy_value", -1, &v) || make_dest(c, &d))
        return -1;
    if (v < 0 || v > 0xff || rns_dest_set_proof_strategy(d, (int)v))
        ret = br_fail(c, "TypeError: Unsupported proof strategy");
    else
        ret = br_set_bool(c, "set", 1) ||
              br_set_int(c, "proof_strategy", rns_dest_proof_strategy(d));
    rns_dest_free(d);
    return ret;
}

static int cmd_destination_rotate_ratchets(br_ctx *c)
{
    char path[512];
    rns_dest *d;
    int enable, ret = 0, rc;

    if (br_bool(c, "enable", 0, &enable) || make_dest(c, &d))
        return -1;
    if (enable && !(ret = ratchet_path(c, rns_dest_hash(d), path, sizeof path)))
        ret = br_check(c, rns_dest_enable_ratchets(d, path), "enable_ratchets");
    if (!ret) {
        rc = rns_dest_rotate_ratchets(d, rns_node_now(), NULL);
        if (rc == ML_ESTATE)
            ret = br_fail(c, "SystemError: Cannot rotate ratchet on %s, ratchets are not enabled",
                          rns_dest_name(d));
        else if (!(ret = br_check(c, rc, "rotate_ratchets")))
            ret = br_set_bool(c, "rotated", 1) ||
                  br_set_bool(c, "has_ratchets", rns_dest_ratchets_enabled(d)) ||
                  br_set_int(c, "ratchet_count", (long long)rns_dest_ratchet_count(d));
    }
    rns_dest_free(d);
    return ret;
}

/* The default app data function of destination_default_app_data. */
static int default_fn(void *ctx, ml_buf *out)
{
    const ml_buf *b = ctx;
    return b->len ? ml_buf_append(out, b->p, b->len) : 0;
}

static int cmd_destination_default_app_data(br_ctx *c)
{
    const char *kind = "bytes";
    ml_buf def = ML_BUF_INIT, over = ML_BUF_INIT, pkt = ML_BUF_INIT;
    rns_dest_announce_opts o = {.now = rns_node_now()};
    rns_dest *d = NULL;
    rns_announce a;
    rns_packet p;
    int has_def, has_over, ret;

    ret = (br_param(c, "default_kind") && br_str(c, "default_kind", &kind)) ||
          br_hex_opt(c, "default_value", &def, &has_def) ||
          br_hex_opt(c, "override_app_data", &over, &has_over) || make_dest(c, &d);
    if (!ret) {
        if (strcmp(kind, "bytes") == 0)
            ret = br_check(c, rns_dest_set_default_app_data(d, def.p ? def.p : (uint8_t *)"",
                                                            def.len), "default app data");
        else if (strcmp(kind, "callable") == 0)
            ret = br_check(c, rns_dest_set_default_app_data_fn(d, default_fn, &def), "default");
        else if (strcmp(kind, "none"))
            ret = br_fail(c, "default_kind: expected bytes, callable or none");
    }
    if (!ret && over.len) {
        o.app_data = over.p;
        o.app_data_len = over.len;
    }
    if (!ret && (ret = rns_dest_announce(d, &pkt, &o)))
        ret = announce_fail(c, ret);
    if (!ret && (rns_packet_unpack(&p, pkt.p, pkt.len) || rns_announce_parse(&a, &p)))
        ret = br_fail(c, "the announce made does not parse");
    if (!ret)
        ret = br_set_hex(c, "app_data", a.app_data, a.app_data ? a.app_data_len : 0) ||
              br_set_bool(c, "default_app_data_set", rns_dest_has_default_app_data(d));
    rns_dest_free(d);
    ml_buf_free(&def);
    ml_buf_free(&over);
    ml_buf_free(&pkt);
    return ret ? -1 : 0;
}

/* The response generator destination_register_request_handler_validate
 * registers: answers with the request data. */
static int echo_fn(void *ctx, const rns_dest_request *rq, ml_buf *out)
{
    (void)ctx;
    return ml_buf_append(out, rq->data, rq->data_len) ? ML_ENOMEM : 1;
}

static int cmd_destination_register_request_handler_validate(br_ctx *c)
{
    const char *path = "/test/echo";
    long long allow;
    int gen_ok, rc, ret;
    rns_dest *d;

    if ((br_param(c, "path") && br_str(c, "path", &path)) ||
        br_bool(c, "generator_valid", 1, &gen_ok) ||
        br_int(c, "allow", RNS_DEST_ALLOW_ALL, &allow) || make_dest(c, &d))
        return -1;
    rc = rns_dest_register_request_handler(d, path, gen_ok ? echo_fn : NULL, NULL,
                                           allow < 0 || allow > 0xff ? -1 : (int)allow, NULL, 0);
    if (rc == ML_EINVAL)
        ret = br_fail(c, "ValueError: %s", !*path ? "Invalid path specified"
                                           : !gen_ok ? "Invalid response generator specified"
                                                     : "Invalid request policy");
    else if (!(ret = br_check(c, rc, "register_request_handler")))
        ret = br_set_bool(c, "registered", 1) ||
              br_set_int(c, "handler_count", (long long)rns_dest_request_handler_count(d));
    rns_dest_free(d);
    return ret;
}

/* Two path-response announces with the same tag, `advance_seconds` apart. */
static int cmd_destination_path_response_cache(br_ctx *c)
{
    ml_buf tag = ML_BUF_INIT, a1 = ML_BUF_INIT, a2 = ML_BUF_INIT;
    rns_dest_announce_opts o = {.path_response = 1, .now = 1000000.0};
    rns_packet p1, p2;
    double advance;
    rns_dest *d = NULL;
    int ret;

    ret = br_hex(c, "tag", &tag) || num_param(c, "advance_seconds", 0, &advance) ||
          make_dest(c, &d);
    if (!ret && (tag.len == 0 || tag.len > 16))
        ret = br_fail(c, "tag: expected 1 to 16 bytes");
    if (!ret) {
        o.tag = tag.p;
        o.tag_len = tag.len;
        if ((ret = rns_dest_announce(d, &a1, &o)) == 0) {
            o.now += advance;
            ret = rns_dest_announce(d, &a2, &o);
        }
        if (ret)
            ret = announce_fail(c, ret);
    }
    if (!ret && (rns_packet_unpack(&p1, a1.p, a1.len) || rns_packet_unpack(&p2, a2.p, a2.len)))
        ret = br_fail(c, "the announce made does not unpack");
    if (!ret)
        ret = br_set_hex(c, "first_announce_data", p1.data, p1.data_len) ||
              br_set_hex(c, "second_announce_data", p2.data, p2.data_len) ||
              br_set_bool(c, "reused", p1.data_len == p2.data_len &&
                                           memcmp(p1.data, p2.data, p1.data_len) == 0) ||
              br_set_int(c, "cache_size", (long long)rns_dest_path_response_cache_size(d)) ||
              br_set_int(c, "pr_tag_window", (long long)RNS_DEST_PR_TAG_WINDOW) ||
              br_set_bool(c, "first_is_path_response", p1.context == RNS_CTX_PATH_RESPONSE);
    rns_dest_free(d);
    ml_buf_free(&tag);
    ml_buf_free(&a1);
    ml_buf_free(&a2);
    return ret ? -1 : 0;
}

/* ---- primitives: key-less identity, HEADER_2 origination ------------------------------- */

static int cmd_identity_keyless_op(br_ctx *c)
{
    const char *op;
    ml_buf data = ML_BUF_INIT, out = ML_BUF_INIT;
    uint8_t sig[RNS_SIGLEN], eph[32], iv[16];
    rns_identity *id = NULL;
    int ret, rc = 0;

    ret = br_str(c, "op", &op) || br_hex(c, "data", &data) ||
          br_check(c, rns_identity_new_keyless(&id), "identity");
    if (!ret) {
        if (strcmp(op, "decrypt") == 0)
            rc = rns_identity_decrypt(id, &out, data.p, data.len, NULL, 0, 0, NULL);
        else if (strcmp(op, "sign") == 0)
            rc = rns_identity_sign(id, sig, data.p, data.len);
        else if (strcmp(op, "encrypt") == 0)
            rc = br_random(c, eph, sizeof eph) || br_random(c, iv, sizeof iv)
                     ? ML_ECRYPTO
                     : rns_identity_encrypt(id, &out, data.p, data.len, NULL, eph, iv);
        else
            ret = br_fail(c, "unknown op %s", op);
    }
    if (!ret) {
        /* ML_ESTATE: the identity holds no key, which the reference raises as KeyError */
        if (rc == ML_ESTATE)
            ret = br_set_str(c, "raised", "KeyError") ||
                  br_set_str(c, "message", "the identity holds no key");
        else if (rc)
            ret = br_set_str(c, "raised", ml_strerror(rc));
        else
            ret = br_set_null(c, "raised") ||
                  (strcmp(op, "sign") == 0 ? br_set_hex(c, "result", sig, sizeof sig)
                                           : br_set_buf(c, "result", &out));
    }
    rns_identity_free(id);
    ml_buf_free(&data);
    ml_buf_free(&out);
    return ret ? -1 : 0;
}

static int cmd_packet_build_raw_header2(br_ctx *c)
{
    static const char *const aspects[] = {"packet"};
    ml_buf data = ML_BUF_INIT, out = ML_BUF_INIT;
    uint8_t priv[RNS_KEYSIZE];
    rns_identity *id = NULL;
    long long type;
    const char *why;
    rns_packet p;
    int has_tid = 0, has_data, ret, rc;

    memset(&p, 0, sizeof p);
    ret = br_int(c, "packet_type", RNS_PACKET_ANNOUNCE, &type) ||
          br_hex_opt(c, "data", &data, &has_data) || br_random(c, priv, sizeof priv) ||
          br_check(c, rns_identity_from_private(&id, priv), "identity");
    if (!ret && (type < 0 || type > 3))
        ret = br_fail(c, "packet_type: expected 0..3");
    if (!ret && br_param(c, "transport_id")) {
        ret = br_hex_fixed(c, "transport_id", p.transport_id, RNS_HASHLEN);
        has_tid = 1;
    }
    if (!ret)
        ret = br_check(c, rns_destination_hash_for(p.dest_hash, NULL, RNS_DEST_SINGLE,
                                                   "conformance", aspects, 1, id),
                       "destination");
    if (!ret) {
        p.header_type = RNS_HEADER_2;
        p.transport_type = RNS_TRANSPORT_TRANSPORT;
        p.packet_type = (uint8_t)type;
        p.dest_type = RNS_DEST_SINGLE;
        p.data = data.len ? data.p : (const uint8_t *)"";
        p.data_len = data.len ? data.len : 1;    /* the reference's b"\x00" */
        rc = rns_packet_pack_origin(&out, &p, has_tid, &why);
        if (rc == ML_EINVAL && why)
            ret = br_set_str(c, "error", why) || br_set_str(c, "error_type", "IOError");
        else if (!(ret = br_check(c, rc, "pack")))
            ret = br_set_buf(c, "raw", &out) || br_set_int(c, "raw_len", (long long)out.len);
    }
    ml_wipe(priv, sizeof priv);
    rns_identity_free(id);
    ml_buf_free(&data);
    ml_buf_free(&out);
    return ret ? -1 : 0;
}

/* ---- live peers: ratchets of local destinations ---------------------------------------- */

/* Called by wire_listen / wire_announce between registering and announcing:
 * enable_ratchets gives the destination a ratchet file. */
int dest_enable_ratchets_param(br_ctx *c, peer *pr, const uint8_t dest[RNS_HASHLEN])
{
    char path[512];
    rns_dest *d = rns_transport_dest(core(pr), dest);
    int on;

    if (br_bool(c, "enable_ratchets", 0, &on))
        return -1;
    if (!on)
        return 0;
    if (!d)
        return br_fail(c, "destination not registered");
    if (ratchet_path(c, dest, path, sizeof path))
        return -1;
    return br_check(c, rns_dest_enable_ratchets(d, path), "enable_ratchets");
}

/* After that announce: what the reference's wire_announce reports. */
int dest_ratchet_result(br_ctx *c, peer *pr, const uint8_t dest[RNS_HASHLEN])
{
    rns_dest *d = rns_transport_dest(core(pr), dest);

    if (!d || !rns_dest_ratchets_enabled(d))
        return 0;
    return br_set_bool(c, "ratchets_enabled", 1) || set_ratchet_id(c, "current_ratchet_id", d, 0) ||
           br_set_int(c, "ratchet_count", (long long)rns_dest_ratchet_count(d));
}

/* wire_reannounce's rotate_ago_s: moves the last rotation back in time. */
int dest_backdate_rotation(br_ctx *c, peer *pr, const uint8_t dest[RNS_HASHLEN])
{
    rns_dest *d = rns_transport_dest(core(pr), dest);
    double ago;

    if (num_param(c, "rotate_ago_s", -1, &ago))
        return -1;
    if (ago >= 0 && d && rns_dest_ratchets_enabled(d))
        rns_dest_set_latest_ratchet_time(d, rns_node_now() - ago);
    return 0;
}

int dest_current_ratchet(br_ctx *c, peer *pr, const uint8_t dest[RNS_HASHLEN])
{
    rns_dest *d = rns_transport_dest(core(pr), dest);

    if (!d || !rns_dest_ratchets_enabled(d))
        return br_set_null(c, "current_ratchet_id");
    return set_ratchet_id(c, "current_ratchet_id", d, 0);
}

/* handle + destination_hash of a local destination; ratchets: it must have them. */
static int local_dest(br_ctx *c, peer **pr, rns_dest **d, int ratchets)
{
    uint8_t dest[RNS_HASHLEN];

    if (peer_param(c, pr) || dest_param(c, dest))
        return -1;
    if (!(*d = rns_transport_dest(core(*pr), dest)))
        return br_fail(c, "No registered destination with this hash on this handle");
    if (ratchets && !rns_dest_ratchets_enabled(*d))
        return br_fail(c, "Destination does not have ratchets enabled; call wire_announce"
                          "(enable_ratchets=True)");
    return 0;
}

static int cmd_wire_read_ratchets(br_ctx *c)
{
    peer *pr;
    rns_dest *d;

    if (local_dest(c, &pr, &d, 1))
        return -1;
    return br_set_int(c, "ratchet_count", (long long)rns_dest_ratchet_count(d)) ||
           set_ratchet_id(c, "current_ratchet_id", d, 0) ||
           set_ratchet_id(c, "previous_ratchet_id", d, 1) ||
           br_set_int(c, "ratchet_interval", rns_dest_ratchet_interval(d)) ||
           br_set_int(c, "retained_ratchets", rns_dest_retained_ratchets(d)) ||
           set_latest_id(c, "latest_ratchet_id", d) ||
           br_set(c, "latest_ratchet_time", json_real(rns_dest_latest_ratchet_time(d)));
}

static int cmd_wire_set_ratchet_interval(br_ctx *c)
{
    long long s;
    peer *pr;
    rns_dest *d;
    int ok;

    if (local_dest(c, &pr, &d, 1) || br_int(c, "seconds", 0, &s))
        return -1;
    ok = s > 0 && s <= 0x7fffffff && rns_dest_set_ratchet_interval(d, (long)s) == 0;
    return br_set_bool(c, "ok", ok) ||
           br_set_int(c, "ratchet_interval", rns_dest_ratchet_interval(d));
}

static int cmd_wire_rotate_ratchet(br_ctx *c)
{
    uint8_t before_id[RNS_RATCHET_ID_LEN];
    size_t before;
    double ago;
    peer *pr;
    rns_dest *d;
    int had, ret;

    if (local_dest(c, &pr, &d, 1) || num_param(c, "last_rotation_ago_s", -1, &ago))
        return -1;
    if (ago >= 0)
        rns_dest_set_latest_ratchet_time(d, rns_node_now() - ago);
    before = rns_dest_ratchet_count(d);
    had = rns_dest_ratchet_id_at(d, 0, before_id) == 0;
    if ((ret = br_check(c, rns_dest_rotate_ratchets(d, rns_node_now(), NULL), "rotate")))
        return ret;
    return br_set_bool(c, "rotated", rns_dest_ratchet_count(d) > before) ||
           br_set_int(c, "before_count", (long long)before) ||
           br_set_int(c, "after_count", (long long)rns_dest_ratchet_count(d)) ||
           (had ? br_set_hex(c, "before_current_id", before_id, sizeof before_id)
                : br_set_null(c, "before_current_id")) ||
           set_ratchet_id(c, "current_ratchet_id", d, 0) ||
           set_ratchet_id(c, "previous_ratchet_id", d, 1) ||
           br_set_int(c, "ratchet_interval", rns_dest_ratchet_interval(d)) ||
           br_set(c, "latest_ratchet_time", json_real(rns_dest_latest_ratchet_time(d)));
}

static int cmd_wire_set_retained_ratchets(br_ctx *c)
{
    long long n, pad;
    peer *pr;
    rns_dest *d;
    int ok;

    if (local_dest(c, &pr, &d, 1) || br_int(c, "n", 0, &n) || br_int(c, "pad_to", -1, &pad))
        return -1;
    if (pad > 4096)
        return br_fail(c, "pad_to: at most 4096");
    /* padding grows the list with real rotations (gate held open, room made
     * for them), before the cap under test is applied */
    if (pad > 0 && (size_t)pad > rns_dest_ratchet_count(d) &&
        br_check(c, rns_dest_set_retained_ratchets(d, (long)pad), "retain"))
        return -1;
    while (pad > 0 && rns_dest_ratchet_count(d) < (size_t)pad) {
        rns_dest_set_latest_ratchet_time(d, 0);
        if (br_check(c, rns_dest_rotate_ratchets(d, rns_node_now(), NULL), "rotate"))
            return -1;
    }
    ok = n > 0 && n <= 0x7fffffff && rns_dest_set_retained_ratchets(d, (long)n) == 0;
    return br_set_bool(c, "ok", ok) ||
           br_set_int(c, "retained_ratchets", rns_dest_retained_ratchets(d)) ||
           br_set_int(c, "ratchet_count", (long long)rns_dest_ratchet_count(d)) ||
           br_set_int(c, "ratchet_count_cap", RNS_DEST_RATCHET_COUNT);
}

static int ratchet_ids(rns_dest *d, json_t **out)
{
    uint8_t id[RNS_RATCHET_ID_LEN];
    char hex[2 * RNS_RATCHET_ID_LEN + 1];

    if (!(*out = json_array()))
        return -1;
    for (size_t i = 0; i < rns_dest_ratchet_count(d); i++) {
        if (rns_dest_ratchet_id_at(d, i, id))
            return -1;
        ml_hex(hex, id, sizeof id);
        if (json_array_append_new(*out, json_string(hex)))
            return -1;
    }
    return 0;
}

/* Persists the ratchets, reloads them from the file, and compares. */
static int cmd_wire_ratchet_file_roundtrip(br_ctx *c)
{
    json_t *before = NULL, *after = NULL;
    size_t n_before;
    peer *pr;
    rns_dest *d;
    int reload_ok, ret;

    if (local_dest(c, &pr, &d, 1))
        return -1;
    n_before = rns_dest_ratchet_count(d);
    if (ratchet_ids(d, &before) || br_check(c, rns_dest_ratchets_persist(d), "persist")) {
        json_decref(before);
        return br_fail(c, "cannot persist the ratchets");
    }
    reload_ok = rns_dest_ratchets_reload(d) == 0;
    if (ratchet_ids(d, &after)) {
        json_decref(before);
        json_decref(after);
        return br_fail(c, "out of memory");
    }
    ret = br_set_bool(c, "ratchets_path_set", 1) || br_set_bool(c, "reload_ok", reload_ok) ||
          br_set_int(c, "ratchet_count_before", (long long)n_before) ||
          br_set_int(c, "ratchet_count_after", (long long)rns_dest_ratchet_count(d)) ||
          br_set_bool(c, "roundtrip_match", reload_ok && json_equal(before, after)) ||
          br_set(c, "ratchet_ids", after);
    json_decref(before);
    return ret;
}

/* Destination.encrypt then decrypt on a local destination. */
static int cmd_wire_destination_latest_ratchet_id(br_ctx *c)
{
    uint8_t enc_id[RNS_RATCHET_ID_LEN], dec_id[RNS_RATCHET_ID_LEN];
    ml_buf probe = ML_BUF_INIT, ct = ML_BUF_INIT, pt = ML_BUF_INIT;
    int has_probe, has_enc, has_dec, ok, ret;
    peer *pr;
    rns_dest *d;

    if (local_dest(c, &pr, &d, 1) || br_hex_opt(c, "data", &probe, &has_probe))
        return -1;
    if (!probe.len && ml_buf_puts(&probe, "ratchet-probe"))
        return br_fail(c, "out of memory");
    ret = br_check(c, rns_dest_encrypt(d, &ct, probe.p, probe.len, NULL), "encrypt");
    if (!ret) {
        has_enc = rns_dest_latest_ratchet_id(d, enc_id);
        ok = rns_dest_decrypt(d, &pt, ct.p, ct.len) == 0 && pt.len == probe.len &&
             memcmp(pt.p, probe.p, pt.len) == 0;
        has_dec = rns_dest_latest_ratchet_id(d, dec_id);
        ret = br_set_bool(c, "decrypted", ok) ||
              (ok ? br_set_buf(c, "plaintext", &pt) : br_set_null(c, "plaintext")) ||
              set_latest_id(c, "latest_ratchet_id", d) ||
              (has_enc ? br_set_hex(c, "encrypt_ratchet_id", enc_id, sizeof enc_id)
                       : br_set_null(c, "encrypt_ratchet_id")) ||
              set_ratchet_id(c, "current_ratchet_id", d, 0) ||
              br_set_bool(c, "match", has_enc && has_dec && !memcmp(enc_id, dec_id, sizeof enc_id)) ||
              br_set_int(c, "ratchet_count", (long long)rns_dest_ratchet_count(d));
    }
    ml_buf_free(&probe);
    ml_buf_free(&ct);
    ml_buf_free(&pt);
    return ret;
}

static int cmd_wire_destination_decrypt(br_ctx *c)
{
    ml_buf ct = ML_BUF_INIT, pt = ML_BUF_INIT;
    peer *pr;
    rns_dest *d;
    int ok, ret;

    if (local_dest(c, &pr, &d, 0) || br_hex(c, "ciphertext", &ct)) {
        ml_buf_free(&ct);
        return -1;
    }
    rns_dest_clear_latest_ratchet_id(d);
    ok = rns_dest_decrypt(d, &pt, ct.p, ct.len) == 0;
    ret = br_set_bool(c, "decrypted", ok) ||
          (ok ? br_set_buf(c, "plaintext", &pt) : br_set_null(c, "plaintext")) ||
          set_latest_id(c, "latest_ratchet_id", d);
    ml_buf_free(&ct);
    ml_buf_free(&pt);
    return ret;
}

/* ---- live peers: ratchets adopted from announces ------------------------------------- */

static int cmd_wire_get_adopted_ratchet(br_ctx *c)
{
    uint8_t dest[RNS_HASHLEN], pub[32], id[RNS_RATCHET_ID_LEN];
    peer *pr;

    if (peer_param(c, &pr) || dest_param(c, dest))
        return -1;
    if (rns_transport_recall_ratchet(core(pr), dest, pub))
        return br_set_bool(c, "found", 0) || br_set_null(c, "ratchet_public") ||
               br_set_null(c, "ratchet_id");
    rns_ratchet_id(id, pub);
    return br_set_bool(c, "found", 1) || br_set_hex(c, "ratchet_public", pub, sizeof pub) ||
           br_set_hex(c, "ratchet_id", id, sizeof id);
}

/* ---- received ratchets on disk: one store folder per core, removed at exit ---- */

#define MAX_RSTORES 64
static char rxdir[64];
static rns_ratchet_store *rstores[MAX_RSTORES];
static size_t n_rstores;

static int rx_gone(void *ctx, const uint8_t dest[RNS_HASHLEN])
{
    (void)ctx;
    (void)dest;
    return 0;
}

static void remove_rstores(void)
{
    for (size_t i = 0; i < n_rstores; i++) {
        /* far past every expiry, nothing in use: the library empties it */
        rns_ratchet_store_clean(rstores[i], 1e18, rx_gone, NULL, NULL);
        rmdir(rns_ratchet_store_dir(rstores[i]));
        rns_ratchet_store_free(rstores[i]);
    }
    n_rstores = 0;
    if (rxdir[0])
        rmdir(rxdir);
}

/* The core's store of received ratchets, given one in a folder of the
 * bridge's own when it has none (the stand-in for storagepath/ratchets). */
static int core_rstore(br_ctx *c, rns_transport *t, rns_ratchet_store **out)
{
    char dir[128];
    const char *base = getenv("TMPDIR");

    if ((*out = rns_transport_ratchet_store(t)))
        return 0;
    if (!rxdir[0]) {
        snprintf(rxdir, sizeof rxdir, "%s/meshlog-rxratchets-XXXXXX", base && *base ? base : "/tmp");
        if (strlen(rxdir) >= sizeof rxdir - 1 || !mkdtemp(rxdir)) {
            rxdir[0] = 0;
            return br_fail(c, "cannot create a folder for received ratchets");
        }
        atexit(remove_rstores);
    }
    if (n_rstores == MAX_RSTORES)
        return br_fail(c, "too many ratchet stores in this bridge");
    snprintf(dir, sizeof dir, "%s/%zu", rxdir, n_rstores);
    if (br_check(c, rns_ratchet_store_open(out, dir), "open the ratchet store"))
        return -1;
    rstores[n_rstores++] = *out;
    rns_transport_set_ratchet_store(t, *out);
    return 0;
}

static int file_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* Identity._remember_ratchet / get_ratchet / _clean_ratchets through the
 * core and its store: a fresh ratchet for a random, never-heard destination
 * is written (atomically), read back from disk (the core has it nowhere in
 * memory, the destination being unknown), then cleaned as not in use. */
static int cmd_wire_identity_ratchet_persist(br_ctx *c)
{
    uint8_t dest[RNS_HASHLEN], priv[32], ratchet[32], back[32];
    char path[4096], tmp[4104];
    rns_ratchet_store *s;
    rns_transport *t;
    size_t removed = 0;
    int written, leftover, reloaded;
    peer *pr;

    if (peer_param(c, &pr) || core_rstore(c, t = core(pr), &s) || br_random(c, dest, sizeof dest) ||
        br_random(c, priv, sizeof priv))
        return -1;
    if (br_check(c, ml_x25519_public(ratchet, priv), "ratchet key"))
        return -1;
    ml_wipe(priv, sizeof priv);
    if (br_check(c, rns_ratchet_store_path(s, dest, path, sizeof path), "ratchet path") ||
        br_check(c, rns_transport_remember_ratchet(t, dest, ratchet, rns_node_now()),
                 "remember the ratchet"))
        return -1;
    snprintf(tmp, sizeof tmp, "%s.out", path);
    written = file_exists(path);
    leftover = file_exists(tmp);
    reloaded = rns_transport_recall_ratchet(t, dest, back) == 0;
    if (br_check(c, rns_transport_clean_ratchets(t, rns_node_now(), &removed), "clean ratchets"))
        return -1;
    return br_set_hex(c, "dest_hash", dest, sizeof dest) ||
           br_set_int(c, "ratchet_len", (long long)sizeof ratchet) ||
           br_set_bool(c, "file_written", written) || br_set_bool(c, "tmp_leftover", leftover) ||
           br_set_bool(c, "reload_match", reloaded && !memcmp(back, ratchet, sizeof back)) ||
           (reloaded ? br_set_int(c, "reloaded_len", (long long)sizeof back)
                     : br_set_null(c, "reloaded_len")) ||
           br_set_int(c, "accepted_size", RNS_RATCHETLEN) ||
           br_set_bool(c, "cleaned_removed", !file_exists(path));
}

/* Identity.recall + get_ratchet + Identity.encrypt, as Destination.encrypt
 * picks its target for a remote destination. */
static int cmd_wire_encrypt_to_remote(br_ctx *c)
{
    uint8_t dest[RNS_HASHLEN], pub[RNS_KEYSIZE], rpub[32], id[RNS_RATCHET_ID_LEN];
    uint8_t eph[32], iv[16];
    ml_buf pt = ML_BUF_INIT, ct = ML_BUF_INIT;
    rns_identity *ident = NULL;
    int use, has_r = 0, ret;
    peer *pr;

    ret = peer_param(c, &pr) || dest_param(c, dest) || br_hex_opt(c, "plaintext", &pt, &use) ||
          br_bool(c, "use_ratchet", 1, &use);
    if (!ret && rns_transport_recall(core(pr), dest, pub, NULL, NULL))
        ret = br_fail(c, "No identity known for this destination; an announce must be heard first");
    if (!ret)
        has_r = use && rns_transport_recall_ratchet(core(pr), dest, rpub) == 0;
    if (!ret)
        ret = br_check(c, rns_identity_from_public(&ident, pub), "identity") ||
              br_random(c, eph, sizeof eph) || br_random(c, iv, sizeof iv) ||
              br_check(c, rns_identity_encrypt(ident, &ct, pt.p, pt.len, has_r ? rpub : NULL,
                                               eph, iv), "encrypt");
    if (!ret) {
        if (has_r)
            rns_ratchet_id(id, rpub);
        ret = br_set_buf(c, "ciphertext", &ct) || br_set_bool(c, "used_ratchet", has_r) ||
              (has_r ? br_set_hex(c, "ratchet_id", id, sizeof id) ||
                           br_set_hex(c, "ratchet_public", rpub, sizeof rpub)
                     : br_set_null(c, "ratchet_id") || br_set_null(c, "ratchet_public"));
    }
    ml_wipe(eph, sizeof eph);
    rns_identity_free(ident);
    ml_buf_free(&pt);
    ml_buf_free(&ct);
    return ret ? -1 : 0;
}

const br_cmd br_dest_cmds[] = {
    {"destination_construct", cmd_destination_construct},
    {"destination_announce_attempt", cmd_destination_announce_attempt},
    {"destination_set_proof_strategy_raw", cmd_destination_set_proof_strategy_raw},
    {"destination_rotate_ratchets", cmd_destination_rotate_ratchets},
    {"destination_default_app_data", cmd_destination_default_app_data},
    {"destination_register_request_handler_validate",
     cmd_destination_register_request_handler_validate},
    {"destination_path_response_cache", cmd_destination_path_response_cache},
    {"identity_keyless_op", cmd_identity_keyless_op},
    {"packet_build_raw_header2", cmd_packet_build_raw_header2},
    {"wire_read_ratchets", cmd_wire_read_ratchets},
    {"wire_set_ratchet_interval", cmd_wire_set_ratchet_interval},
    {"wire_rotate_ratchet", cmd_wire_rotate_ratchet},
    {"wire_set_retained_ratchets", cmd_wire_set_retained_ratchets},
    {"wire_ratchet_file_roundtrip", cmd_wire_ratchet_file_roundtrip},
    {"wire_destination_latest_ratchet_id", cmd_wire_destination_latest_ratchet_id},
    {"wire_destination_decrypt", cmd_wire_destination_decrypt},
    {"wire_get_adopted_ratchet", cmd_wire_get_adopted_ratchet},
    {"wire_encrypt_to_remote", cmd_wire_encrypt_to_remote},
    {"wire_identity_ratchet_persist", cmd_wire_identity_ratchet_persist},
    {NULL, NULL},
};
