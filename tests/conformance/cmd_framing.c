// SPDX-License-Identifier: MIT
// Bridge commands for what sits between packets and the medium: HDLC and
// KISS framing and stream deframing (rns_framing.h), interface access codes
// (rns_ifac.h; ifac_outbound/ifac_inbound are this bridge's own commands,
// since the suite only reaches IFAC over live interfaces), hardware MTU
// autoconfiguration, AutoInterface discovery tokens, bz2 (rns_bz2.h), and
// the Channel envelope and Buffer stream message layouts (rns_envelope.h).
#include <stdlib.h>
#include <string.h>

#include "bridge.h"
#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/rns_autoif.h"
#include "meshlog/rns_bz2.h"
#include "meshlog/rns_config.h"
#include "meshlog/rns_envelope.h"
#include "meshlog/rns_framing.h"
#include "meshlog/rns_ifac.h"

/* ---- framing ------------------------------------------------------------------ */

static int frame(br_ctx *c, rns_framing_mode mode, const char *key, int strip_flags)
{
    ml_buf in = ML_BUF_INIT, out = ML_BUF_INIT;
    int ret = br_hex(c, "data", &in);

    if (!ret)
        ret = br_check(c, rns_framing_encode(&out, mode, in.p, in.len), "frame");
    /* The escaped body alone is the frame without its two flags. */
    if (!ret && strip_flags)
        ret = br_set_hex(c, key, out.p + 1, out.len - 2);
    else if (!ret)
        ret = br_set_buf(c, key, &out);
    ml_buf_free(&in);
    ml_buf_free(&out);
    return ret;
}

static int cmd_hdlc_frame(br_ctx *c) { return frame(c, RNS_FRAMING_HDLC, "framed", 0); }
static int cmd_kiss_frame(br_ctx *c) { return frame(c, RNS_FRAMING_KISS, "framed", 0); }
static int cmd_hdlc_escape(br_ctx *c) { return frame(c, RNS_FRAMING_HDLC, "escaped", 1); }

/* Runs a deframer over stream; each packet is appended to frames (a JSON
 * array), or only the first one when first_only. */
static int deframe(br_ctx *c, rns_framing_mode mode, const ml_buf *stream, size_t min_len,
                   size_t max_len, json_t *frames, int first_only)
{
    rns_deframer *d = NULL;
    size_t off = 0;
    int ret = br_check(c, rns_deframer_new(&d, mode, min_len, max_len), "deframer");

    /* The reference's TCP receive loop in KISS mode cuts over-long frames to
     * HW_MTU and has no runt check (min_len 1 below); HDLC drops both. */
    if (!ret && mode == RNS_FRAMING_KISS && !first_only)
        rns_deframer_set_truncate(d, 1);

    while (!ret && off < stream->len) {
        const uint8_t *pkt;
        size_t plen, used;
        char *hex;
        int r = rns_deframer_feed(d, stream->p + off, stream->len - off, &used, &pkt, &plen);
        if ((ret = br_check(c, r, "deframe")))
            break;
        off += used;
        if (r != 1)
            continue;
        if (!(hex = malloc(2 * plen + 1))) {
            ret = br_fail(c, "out of memory");
            break;
        }
        ml_hex(hex, pkt, plen);
        json_array_append_new(frames, json_string(hex));
        free(hex);
        if (first_only)
            break;
    }
    rns_deframer_free(d);
    return ret;
}

static int deframe_one(br_ctx *c, rns_framing_mode mode)
{
    ml_buf in = ML_BUF_INIT;
    json_t *frames = json_array();
    int ret = br_hex(c, "framed", &in);

    if (!ret)
        ret = deframe(c, mode, &in, 1, in.len ? in.len : 1, frames, 1);
    if (!ret && json_array_size(frames) == 0)
        ret = br_fail(c, "no complete %s data frame in the input",
                      mode == RNS_FRAMING_HDLC ? "HDLC" : "KISS");
    if (!ret)
        ret = br_set(c, "data", json_incref(json_array_get(frames, 0)));
    json_decref(frames);
    ml_buf_free(&in);
    return ret;
}

static int cmd_hdlc_deframe(br_ctx *c) { return deframe_one(c, RNS_FRAMING_HDLC); }
static int cmd_kiss_deframe(br_ctx *c) { return deframe_one(c, RNS_FRAMING_KISS); }

/* A TCP interface's receive path: runt frames (<= 19 bytes) are dropped. */
static int deframe_stream(br_ctx *c, rns_framing_mode mode)
{
    ml_buf in = ML_BUF_INIT;
    json_t *frames = json_array();
    long long hw_mtu;
    int ret = br_hex(c, "stream", &in) || br_int(c, "hw_mtu", 262144, &hw_mtu);

    if (!ret && (hw_mtu < RNS_FRAME_MIN_DEFAULT || hw_mtu > (long long)RNS_FRAME_MAX_LIMIT))
        ret = br_fail(c, "hw_mtu must be %d..%u", RNS_FRAME_MIN_DEFAULT, RNS_FRAME_MAX_LIMIT);
    if (!ret)
        ret = deframe(c, mode, &in, mode == RNS_FRAMING_KISS ? 1 : RNS_FRAME_MIN_DEFAULT,
                      (size_t)hw_mtu, frames, 0);
    if (!ret)
        ret = br_set(c, "frames", json_incref(frames));
    json_decref(frames);
    ml_buf_free(&in);
    return ret;
}

static int cmd_hdlc_deframe_stream(br_ctx *c) { return deframe_stream(c, RNS_FRAMING_HDLC); }
static int cmd_kiss_deframe_stream(br_ctx *c) { return deframe_stream(c, RNS_FRAMING_KISS); }

/* ---- interfaces ----------------------------------------------------------------- */

/* Interface.optimise_mtu: HW_MTU from the bitrate, only for interfaces that
 * autoconfigure; -1 marks "left unchanged", null "no autoconfigured MTU". */
static int cmd_interface_optimise_mtu(br_ctx *c)
{
    long long bitrate;
    int autoconf, ret = br_int(c, "bitrate", -1, &bitrate) || br_bool(c, "autoconfigure", 1, &autoconf);
    size_t mtu;

    if (!ret && bitrate < 0)
        ret = br_fail(c, "missing parameter bitrate");
    if (ret)
        return -1;
    if (!autoconf)
        return br_set_int(c, "hw_mtu", -1) || br_set_bool(c, "unchanged", 1);
    mtu = rns_framing_autoconf_mtu((uint64_t)bitrate);
    return (mtu ? br_set_int(c, "hw_mtu", (long long)mtu) : br_set_null(c, "hw_mtu")) ||
           br_set_bool(c, "unchanged", 0);
}

/* Default IFAC sizes: 8 bytes on serial-class media, 16 on packet media. */
static int cmd_interface_default_ifac_size(br_ctx *c)
{
    static const char *const types[] = {
        "SerialInterface",    "KISSInterface",      "AX25KISSInterface", "RNodeInterface",
        "PipeInterface",      "TCPServerInterface", "TCPClientInterface", "UDPInterface",
        "AutoInterface",      "BackboneInterface",
    };
    json_t *m = json_object();

    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        json_object_set_new(m, types[i],
                            json_integer((json_int_t)rns_iface_class_find(types[i])->default_ifac_size));
    return br_set(c, "default_ifac_size", m) || br_set_int(c, "ifac_min_size", RNS_IFAC_MIN_SIZE);
}

/* AutoInterface peer token (rns_autoif.h); the group id arrives as hex. */
static int cmd_auto_discovery_token(br_ctx *c)
{
    ml_buf group = ML_BUF_INIT;
    const char *addr;
    uint8_t token[RNS_AUTOIF_TOKEN_LEN];
    int ret = br_hex(c, "group_id", &group) || br_str(c, "link_local_addr", &addr) ||
              br_check(c, rns_autoif_token(token, (const char *)group.p, group.len, addr,
                                           strlen(addr)), "token") ||
              br_set_hex(c, "token", token, sizeof token);

    ml_buf_free(&group);
    return ret;
}

/* ---- IFAC --------------------------------------------------------------------------- */

static int ifac_param(br_ctx *c, rns_ifac **ifac)
{
    json_t *nn = br_param(c, "network_name"), *pp = br_param(c, "passphrase");
    long long size;

    *ifac = NULL;
    if ((nn && !json_is_string(nn)) || (pp && !json_is_string(pp)))
        return br_fail(c, "network_name and passphrase must be strings");
    if (br_int(c, "ifac_size", RNS_IFAC_SIZE_DEFAULT, &size))
        return -1;
    if (size < RNS_IFAC_MIN_SIZE || size > RNS_IFAC_MAX_SIZE)
        return br_fail(c, "ifac_size must be %d..%d bytes", RNS_IFAC_MIN_SIZE, RNS_IFAC_MAX_SIZE);
    return br_check(c, rns_ifac_new(ifac, json_string_value(nn), json_string_value(pp),
                                    (size_t)size), "ifac (give network_name and/or passphrase)");
}

static int set_ifac_identity(br_ctx *c, const rns_ifac *ifac)
{
    uint8_t key[RNS_IFAC_KEY_LEN], pub[64];
    int ret;

    rns_ifac_key(ifac, key);
    rns_ifac_public_key(ifac, pub);
    ret = br_set_hex(c, "ifac_key", key, sizeof key) ||
          br_set_hex(c, "ifac_identity_public_key", pub, sizeof pub);
    ml_wipe(key, sizeof key);
    return ret;
}

/* What an IFAC interface transmits for a packet. */
static int cmd_ifac_outbound(br_ctx *c)
{
    ml_buf pkt = ML_BUF_INIT, out = ML_BUF_INIT;
    rns_ifac *ifac = NULL;
    int ret = ifac_param(c, &ifac) || br_hex(c, "packet", &pkt);

    if (!ret)
        ret = br_check(c, rns_ifac_outbound(ifac, &out, pkt.p, pkt.len), "ifac outbound") ||
              set_ifac_identity(c, ifac) || br_set_buf(c, "masked_packet", &out) ||
              br_set_hex(c, "ifac", out.p + 2, rns_ifac_size(ifac));
    rns_ifac_free(ifac);
    ml_buf_free(&pkt);
    ml_buf_free(&out);
    return ret;
}

/* What an IFAC interface accepts: the original packet, or accepted=false. */
static int cmd_ifac_inbound(br_ctx *c)
{
    ml_buf in = ML_BUF_INIT, out = ML_BUF_INIT;
    rns_ifac *ifac = NULL;
    int rc, ret = ifac_param(c, &ifac) || br_hex(c, "masked_packet", &in);

    if (!ret) {
        rc = rns_ifac_inbound(ifac, &out, in.p, in.len);
        if (rc == ML_EAUTH || rc == ML_EMALFORMED)
            ret = br_set_bool(c, "accepted", 0) || br_set_null(c, "packet");
        else
            ret = br_check(c, rc, "ifac inbound") || br_set_bool(c, "accepted", 1) ||
                  br_set_buf(c, "packet", &out);
    }
    rns_ifac_free(ifac);
    ml_buf_free(&in);
    ml_buf_free(&out);
    return ret;
}

/* ---- bz2 ----------------------------------------------------------------------------- */

static int cmd_bz2_compress(br_ctx *c)
{
    ml_buf in = ML_BUF_INIT, out = ML_BUF_INIT;
    int ret = br_hex(c, "data", &in) || br_check(c, rns_bz2_compress(&out, in.p, in.len), "bz2");

    if (!ret)
        ret = br_set_buf(c, "compressed", &out) || br_set_int(c, "original_size", (long long)in.len) ||
              br_set_int(c, "compressed_size", (long long)out.len) ||
              br_set(c, "ratio", json_real(in.len ? (double)out.len / (double)in.len : 0.0));
    ml_buf_free(&in);
    ml_buf_free(&out);
    return ret;
}

/* The resource limit bounds what one request can make the bridge allocate. */
static int cmd_bz2_decompress(br_ctx *c)
{
    ml_buf in = ML_BUF_INIT, out = ML_BUF_INIT;
    int ret = br_hex(c, "compressed", &in) ||
              br_check(c, rns_bz2_decompress(&out, in.p, in.len, RNS_BZ2_RESOURCE_LIMIT),
                       "bz2 decompress");

    if (!ret)
        ret = br_set_buf(c, "decompressed", &out) || br_set_int(c, "size", (long long)out.len);
    ml_buf_free(&in);
    ml_buf_free(&out);
    return ret;
}

/* ---- Channel envelopes and Buffer stream messages ------------------------------------ */

static int u16_param(br_ctx *c, const char *key, long long *v)
{
    if (br_int(c, key, -1, v))
        return -1;
    if (*v < 0 || *v > 0xFFFF)
        return br_fail(c, "parameter %s must be 0..65535", key);
    return 0;
}

static int cmd_wire_channel_envelope_pack(br_ctx *c)
{
    ml_buf data = ML_BUF_INIT, out = ML_BUF_INIT;
    long long msgtype, seq;
    int ret = u16_param(c, "msgtype", &msgtype) || u16_param(c, "sequence", &seq) ||
              br_hex_opt(c, "data", &data, &(int){0}) ||
              br_check(c, rns_envelope_pack(&out, (uint16_t)msgtype, (uint16_t)seq, data.p,
                                            data.len), "envelope");

    if (!ret)
        ret = br_set_buf(c, "raw", &out) || br_set_int(c, "sequence", seq);
    ml_buf_free(&data);
    ml_buf_free(&out);
    return ret;
}

/* StreamDataMessage.unpack: a compressed chunk is handed out decompressed,
 * within the reference's 16 KiB chunk limit. */
static int buffer_unpack(br_ctx *c)
{
    ml_buf raw = ML_BUF_INIT, data = ML_BUF_INIT;
    rns_stream_msg m;
    int ret = br_hex(c, "unpack_raw", &raw);

    if (!ret && rns_stream_msg_unpack(&m, raw.p, raw.len))
        ret = br_set_str(c, "error", "StreamDataMessage shorter than its header");
    else if (!ret) {
        ret = m.compressed ? rns_bz2_decompress(&data, m.data, m.len, RNS_BZ2_BUFFER_LIMIT)
                           : ml_buf_append(&data, m.data, m.len);
        ret = ret ? br_set_str(c, "error", ml_strerror(ret))
                  : br_set_int(c, "stream_id", m.stream_id) || br_set_bool(c, "eof", m.eof) ||
                        br_set_bool(c, "compressed", m.compressed) ||
                        br_set_buf(c, "data", &data);
    }
    ml_buf_free(&raw);
    ml_buf_free(&data);
    return ret;
}

/* Packs (or with unpack_raw, parses) a Buffer StreamDataMessage; a stream id
 * out of range is reported as {error}, as the reference does. */
static int cmd_wire_buffer_pack(br_ctx *c)
{
    ml_buf data = ML_BUF_INIT, out = ML_BUF_INIT;
    long long sid;
    int eof, comp, ret;

    if (br_param(c, "unpack_raw"))
        return buffer_unpack(c);
    ret = br_int(c, "stream_id", -1, &sid) || br_hex_opt(c, "data", &data, &(int){0}) ||
          br_bool(c, "eof", 0, &eof) || br_bool(c, "compressed", 0, &comp);
    if (!ret && (sid < 0 || sid > RNS_STREAM_ID_MAX))
        ret = br_set_str(c, "error", "stream_id must be 0-16383");
    else if (!ret)
        ret = br_check(c, rns_stream_msg_pack(&out, (uint16_t)sid, eof, comp, data.p, data.len),
                       "stream message") ||
              br_set_buf(c, "raw", &out) || br_set_int(c, "msgtype", RNS_MSGTYPE_STREAM_DATA);
    ml_buf_free(&data);
    ml_buf_free(&out);
    return ret;
}

const br_cmd br_framing_cmds[] = {
    {"wire_channel_envelope_pack", cmd_wire_channel_envelope_pack},
    {"wire_buffer_pack", cmd_wire_buffer_pack},
    {"hdlc_frame", cmd_hdlc_frame},
    {"kiss_frame", cmd_kiss_frame},
    {"hdlc_escape", cmd_hdlc_escape},
    {"hdlc_deframe", cmd_hdlc_deframe},
    {"kiss_deframe", cmd_kiss_deframe},
    {"hdlc_deframe_stream", cmd_hdlc_deframe_stream},
    {"kiss_deframe_stream", cmd_kiss_deframe_stream},
    {"interface_optimise_mtu", cmd_interface_optimise_mtu},
    {"interface_default_ifac_size", cmd_interface_default_ifac_size},
    {"auto_discovery_token", cmd_auto_discovery_token},
    {"ifac_outbound", cmd_ifac_outbound},
    {"ifac_inbound", cmd_ifac_inbound},
    {"bz2_compress", cmd_bz2_compress},
    {"bz2_decompress", cmd_bz2_decompress},
    {NULL, NULL},
};
