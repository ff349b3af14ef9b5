// SPDX-License-Identifier: MIT
// Bridge commands for packets: building one as a reference sender would
// (rns_packet_pack over a PLAIN, SINGLE or GROUP destination named
// conformance.packet, the payload encrypted with the library's identity or
// token encryption), unpacking, hashing, and the wire constants.
#include <string.h>

#include "bridge.h"
#include "meshlog/crypto.h"
#include "meshlog/crypto_compat.h"
#include "meshlog/error.h"
#include "meshlog/rns_destination.h"
#include "meshlog/rns_identity.h"
#include "meshlog/rns_ifac.h"
#include "meshlog/rns_link.h"
#include "meshlog/rns_packet.h"

static const char *const app_name = "conformance";
static const char *const aspects[] = {"packet"};

/* The destination a built packet goes to, with its keys. */
typedef struct dest {
    enum rns_dest_type type;
    rns_identity *id;          /* SINGLE and GROUP */
    uint8_t group_key[64];     /* GROUP */
    uint8_t hash[RNS_HASHLEN];
} dest;

static void dest_free(dest *d)
{
    rns_identity_free(d->id);
    ml_wipe(d->group_key, sizeof d->group_key);
}

static int dest_make(br_ctx *c, const char *type, dest *d)
{
    static const struct {
        const char *name;
        enum rns_dest_type type;
    } types[] = {{"plain", RNS_DEST_PLAIN}, {"single", RNS_DEST_SINGLE}, {"group", RNS_DEST_GROUP}};
    uint8_t priv[RNS_KEYSIZE];
    size_t i;
    int ret = 0;

    memset(d, 0, sizeof *d);
    for (i = 0; i < 3 && strcmp(types[i].name, type); i++)
        ;
    if (i == 3)
        return br_fail(c, "unsupported dest_type: %s (use plain, single or group)", type);
    d->type = types[i].type;
    if (d->type != RNS_DEST_PLAIN) {
        ret = br_random(c, priv, sizeof priv) ||
              br_check(c, rns_identity_from_private(&d->id, priv), "identity") ||
              br_random(c, d->group_key, sizeof d->group_key);
        ml_wipe(priv, sizeof priv);
    }
    if (!ret)
        ret = br_check(c, rns_destination_hash_for(d->hash, NULL, d->type, app_name, aspects, 1,
                                                   d->id), "destination hash");
    return ret;
}

/* Packet.pack's rule for which payloads travel in the clear: announces, link
 * requests, resource proofs, resource parts (encrypted as a whole), keepalives
 * and cache requests; everything else is encrypted for the destination. */
static int payload_in_clear(const rns_packet *p)
{
    return p->packet_type == RNS_PACKET_ANNOUNCE || p->packet_type == RNS_PACKET_LINKREQUEST ||
           (p->packet_type == RNS_PACKET_PROOF && p->context == RNS_CTX_RESOURCE_PRF) ||
           p->context == RNS_CTX_RESOURCE || p->context == RNS_CTX_KEEPALIVE ||
           p->context == RNS_CTX_CACHE_REQUEST;
}

static int encrypt_for(br_ctx *c, const dest *d, const ml_buf *pt, ml_buf *ct)
{
    uint8_t eph[32], iv[16];
    int ret;

    if (d->type == RNS_DEST_PLAIN)
        return br_check(c, ml_buf_append(ct, pt->p, pt->len), "payload");
    if (d->type == RNS_DEST_GROUP)
        return br_check(c, ml_token_encrypt(ct, d->group_key, NULL, pt->p, pt->len), "encrypt");
    ret = br_random(c, eph, sizeof eph) || br_random(c, iv, sizeof iv) ||
          br_check(c, rns_identity_encrypt(d->id, ct, pt->p, pt->len, NULL, eph, iv), "encrypt");
    ml_wipe(eph, sizeof eph);
    return ret;
}

/* Packs p (payload pt) to d, refusing what the reference's pack refuses:
 * anything over the MTU. */
static int pack_to(br_ctx *c, const dest *d, rns_packet *p, const ml_buf *pt, ml_buf *raw)
{
    ml_buf payload = ML_BUF_INIT;
    int ret = payload_in_clear(p) ? br_check(c, ml_buf_append(&payload, pt->p, pt->len), "payload")
                                  : encrypt_for(c, d, pt, &payload);

    p->data = payload.p;
    p->data_len = payload.len;
    ml_buf_reset(raw);
    if (!ret)
        ret = br_check(c, rns_packet_pack(raw, p), "pack");
    if (!ret && raw->len > RNS_MTU)
        ret = br_fail(c, "Packet size of %zu exceeds MTU of %d bytes", raw->len, RNS_MTU);
    ml_buf_free(&payload);
    return ret;
}

/* Every header field of a packet, as the reference's unpack reports them. */
static int set_fields(br_ctx *c, const uint8_t *raw, const rns_packet *p)
{
    uint8_t h[RNS_FULL_HASHLEN];

    if (br_check(c, rns_packet_hash(h, p), "packet hash"))
        return -1;
    return br_set_int(c, "flags", raw[0]) || br_set_int(c, "hops", p->hops) ||
           br_set_int(c, "header_type", p->header_type) ||
           br_set_int(c, "context_flag", p->context_flag) ||
           br_set_int(c, "transport_type", p->transport_type) ||
           br_set_int(c, "destination_type", p->dest_type) ||
           br_set_int(c, "packet_type", p->packet_type) ||
           br_set_hex(c, "destination_hash", p->dest_hash, RNS_HASHLEN) ||
           (p->header_type == RNS_HEADER_2 ? br_set_hex(c, "transport_id", p->transport_id, RNS_HASHLEN)
                                           : br_set_null(c, "transport_id")) ||
           br_set_int(c, "context", p->context) || br_set_hex(c, "data", p->data, p->data_len) ||
           br_set_hex(c, "hash", h, sizeof h);
}

/* header_type is 1/2, "1"/"2" or "HEADER_1"/"HEADER_2" (human numbering). */
static int header_type_param(br_ctx *c, uint8_t *ht)
{
    json_t *v = br_param(c, "header_type");
    const char *s = json_string_value(v);

    *ht = RNS_HEADER_1;
    if (!v || (json_is_integer(v) && json_integer_value(v) == 1) ||
        (s && (!strcmp(s, "1") || !strcmp(s, "HEADER_1"))))
        return 0;
    *ht = RNS_HEADER_2;
    if ((json_is_integer(v) && json_integer_value(v) == 2) ||
        (s && (!strcmp(s, "2") || !strcmp(s, "HEADER_2"))))
        return 0;
    return br_fail(c, "unsupported header_type (use 1 / 2 or HEADER_1 / HEADER_2)");
}

static int u8_param(br_ctx *c, const char *key, long long def, long long max, uint8_t *out)
{
    long long v;

    if (br_int(c, key, def, &v))
        return -1;
    if (v < 0 || v > max)
        return br_fail(c, "parameter %s out of range 0..%lld", key, max);
    *out = (uint8_t)v;
    return 0;
}

/* The packet fields of a packet_build request. */
static int packet_params(br_ctx *c, rns_packet *p)
{
    memset(p, 0, sizeof *p);
    if (u8_param(c, "packet_type", 0, 3, &p->packet_type) ||
        u8_param(c, "context", 0, 255, &p->context) ||
        u8_param(c, "context_flag", 0, 1, &p->context_flag) ||
        u8_param(c, "transport_type", 0, 1, &p->transport_type) ||
        u8_param(c, "hops", 0, 255, &p->hops) || header_type_param(c, &p->header_type))
        return -1;
    if (p->header_type == RNS_HEADER_2 && p->packet_type != RNS_PACKET_ANNOUNCE)
        return br_fail(c, "HEADER_2 packets are only built for ANNOUNCE packets");
    if (p->header_type == RNS_HEADER_2)
        return br_hex_fixed(c, "transport_id", p->transport_id, RNS_HASHLEN);
    return 0;
}

static int cmd_packet_build(br_ctx *c)
{
    ml_buf pt = ML_BUF_INIT, raw = ML_BUF_INIT;
    const char *type = "plain";
    rns_packet p, back;
    dest d = {0};
    int ret = packet_params(c, &p) || br_hex_opt(c, "data", &pt, &(int){0});

    if (!ret && br_param(c, "dest_type"))
        ret = br_str(c, "dest_type", &type);
    if (!ret)
        ret = dest_make(c, type, &d);
    if (!ret) {
        p.dest_type = (uint8_t)d.type;
        memcpy(p.dest_hash, d.hash, RNS_HASHLEN);
        ret = pack_to(c, &d, &p, &pt, &raw);
    }
    /* The fields are read back by unpacking, as any receiver would. */
    if (!ret)
        ret = br_check(c, rns_packet_unpack(&back, raw.p, raw.len), "unpack") ||
              br_set_buf(c, "raw", &raw) || set_fields(c, raw.p, &back);
    dest_free(&d);
    ml_buf_free(&pt);
    ml_buf_free(&raw);
    return ret;
}

static int cmd_packet_unpack(br_ctx *c)
{
    ml_buf raw = ML_BUF_INIT;
    rns_packet p;
    int ret = br_hex(c, "raw", &raw);

    if (!ret && rns_packet_unpack(&p, raw.p, raw.len))
        ret = br_set_bool(c, "unpacked", 0);
    else if (!ret)
        ret = br_set_bool(c, "unpacked", 1) || set_fields(c, raw.p, &p);
    ml_buf_free(&raw);
    return ret;
}

/* The hash leaves the IFAC bit out, and unpack refuses that bit (interfaces
 * strip access codes before the packet layer), so it is cleared first. */
static int cmd_packet_hash(br_ctx *c)
{
    ml_buf raw = ML_BUF_INIT;
    uint8_t h[RNS_FULL_HASHLEN];
    rns_packet p;
    int ret = br_hex(c, "raw", &raw);

    if (!ret && raw.len)
        raw.p[0] &= (uint8_t)~RNS_IFAC_FLAG;
    if (!ret)
        ret = br_check(c, rns_packet_unpack(&p, raw.p, raw.len), "malformed packet") ||
              br_check(c, rns_packet_hash(h, &p), "packet hash") ||
              br_set_hex(c, "hash", h, sizeof h);
    ml_buf_free(&raw);
    return ret;
}

/* Packet.resend re-packs: fresh ephemeral key and IV for encrypted payloads. */
static int cmd_packet_resend_observe(br_ctx *c)
{
    static const char *const keys[2][2] = {{"raw_1", "hash_1"}, {"raw_2", "hash_2"}};
    ml_buf pt = ML_BUF_INIT, raw = ML_BUF_INIT;
    const char *type = "single";
    uint8_t h[RNS_FULL_HASHLEN];
    rns_packet p = {0}, back;
    dest d = {0};
    int ret = br_hex_opt(c, "data", &pt, &(int){0});

    if (!ret && br_param(c, "dest_type"))
        ret = br_str(c, "dest_type", &type);
    if (!ret && pt.len == 0)
        ret = br_check(c, ml_buf_puts(&pt, "conformance-resend"), "data");
    if (!ret)
        ret = dest_make(c, type, &d);
    p.dest_type = (uint8_t)d.type;
    memcpy(p.dest_hash, d.hash, RNS_HASHLEN);
    for (int i = 0; i < 2 && !ret; i++)
        ret = pack_to(c, &d, &p, &pt, &raw) ||
              br_check(c, rns_packet_unpack(&back, raw.p, raw.len), "unpack") ||
              br_check(c, rns_packet_hash(h, &back), "hash") || br_set_buf(c, keys[i][0], &raw) ||
              br_set_hex(c, keys[i][1], h, sizeof h);
    dest_free(&d);
    ml_buf_free(&pt);
    ml_buf_free(&raw);
    return ret;
}

/* Sizes in the reference's units (bits where it counts bits). */
static int cmd_packet_constants(br_ctx *c)
{
    static const struct {
        const char *name;
        long long v;
    } k[] = {
        {"mtu", RNS_MTU},
        {"header_minsize", RNS_HEADER_MINSIZE},
        {"header_maxsize", RNS_HEADER_MAXSIZE},
        {"mdu", RNS_MDU},
        {"ifac_min_size", RNS_IFAC_MIN_SIZE},
        {"packet_mdu", RNS_MDU},
        {"packet_plain_mdu", RNS_MDU},
        {"packet_encrypted_mdu", RNS_ENCRYPTED_MDU},
        {"hashlength", RNS_FULL_HASHLEN * 8},
        {"siglength", RNS_SIGLEN * 8},
        {"truncated_hashlength", RNS_HASHLEN * 8},
        {"keysize", RNS_KEYSIZE * 8},
        {"name_hash_length", RNS_NAME_HASHLEN * 8},
        {"token_overhead", RNS_TOKEN_OVERHEAD},
        {"aes128_blocksize", ML_AES_BLOCK},
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        if (br_set_int(c, k[i].name, k[i].v))
            return -1;
    return br_set_int(c, "link_mdu", (long long)rns_link_mdu_for_mtu(RNS_MTU));
}

/* Every context value the library names. */
static int cmd_packet_context_constants(br_ctx *c)
{
    for (int v = 0; v < 256; v++) {
        const char *name = rns_context_name((uint8_t)v);
        if (name && br_set_int(c, name, v))
            return -1;
    }
    return 0;
}

const br_cmd br_packet_cmds[] = {
    {"packet_build", cmd_packet_build},
    {"packet_unpack", cmd_packet_unpack},
    {"packet_hash", cmd_packet_hash},
    {"packet_resend_observe", cmd_packet_resend_observe},
    {"packet_constants", cmd_packet_constants},
    {"packet_context_constants", cmd_packet_context_constants},
    {NULL, NULL},
};
