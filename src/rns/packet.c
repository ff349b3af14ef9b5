// SPDX-License-Identifier: MIT
// Reticulum packet framing (see rns_packet.h): flags, both header layouts,
// the transit-invariant packet hash, and transport header rewrites. The
// decoder is the first thing every received byte meets, so it checks each
// length before reading and never trusts the peer.
#include <string.h>

#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/rns_packet.h"

#define FLAG_IFAC 0x80

uint8_t rns_packet_flags(const rns_packet *p)
{
    return (uint8_t)((p->header_type & 1u) << 6 | (p->context_flag & 1u) << 5 |
                     (p->transport_type & 1u) << 4 | (p->dest_type & 3u) << 2 |
                     (p->packet_type & 3u));
}

int rns_packet_unpack(rns_packet *p, const uint8_t *raw, size_t len)
{
    size_t off = 2;

    memset(p, 0, sizeof *p);
    if (!raw || len < RNS_HEADER_MINSIZE)
        return ML_EMALFORMED;
    if (raw[0] & FLAG_IFAC)
        return ML_EMALFORMED;
    p->header_type = (uint8_t)(raw[0] >> 6 & 1);
    p->context_flag = (uint8_t)(raw[0] >> 5 & 1);
    p->transport_type = (uint8_t)(raw[0] >> 4 & 1);
    p->dest_type = (uint8_t)(raw[0] >> 2 & 3);
    p->packet_type = (uint8_t)(raw[0] & 3);
    p->hops = raw[1];
    if (p->hops >= RNS_PATHFINDER_M)
        return ML_EMALFORMED;
    if (p->header_type == RNS_HEADER_2) {
        if (len < RNS_HEADER_MAXSIZE)
            return ML_EMALFORMED;
        memcpy(p->transport_id, raw + off, RNS_HASHLEN);
        off += RNS_HASHLEN;
    }
    memcpy(p->dest_hash, raw + off, RNS_HASHLEN);
    off += RNS_HASHLEN;
    p->context = raw[off++];
    p->data = raw + off;
    p->data_len = len - off;
    return 0;
}

static int fields_ok(const rns_packet *p)
{
    return p->header_type <= 1 && p->context_flag <= 1 && p->transport_type <= 1 &&
           p->dest_type <= 3 && p->packet_type <= 3 && p->hops < RNS_PATHFINDER_M &&
           (p->data || p->data_len == 0);
}

int rns_packet_pack(ml_buf *out, const rns_packet *p)
{
    uint8_t head[RNS_HEADER_MAXSIZE];
    size_t n = 0, start = out->len;
    int ret;

    if (!fields_ok(p))
        return ML_EINVAL;
    head[n++] = rns_packet_flags(p);
    head[n++] = p->hops;
    if (p->header_type == RNS_HEADER_2) {
        memcpy(head + n, p->transport_id, RNS_HASHLEN);
        n += RNS_HASHLEN;
    }
    memcpy(head + n, p->dest_hash, RNS_HASHLEN);
    n += RNS_HASHLEN;
    head[n++] = p->context;
    if ((ret = ml_buf_reserve(out, n + p->data_len)))
        return ret;
    if ((ret = ml_buf_append(out, head, n)) == 0)
        ret = ml_buf_append(out, p->data, p->data_len);
    if (ret) {
        out->len = start;
        out->p[start] = 0;
    }
    return ret;
}

int rns_packet_pack_origin(ml_buf *out, const rns_packet *p, int has_transport_id,
                           const char **why)
{
    static const char *const no_tid = "Packet with header type 2 must have a transport ID";
    static const char *const not_announce =
        "Only announces can be originated with header type 2 (others are made HEADER_2 in transit)";

    if (why)
        *why = NULL;
    if (p->header_type == RNS_HEADER_2 && !has_transport_id) {
        if (why)
            *why = no_tid;
        return ML_EINVAL;
    }
    if (p->header_type == RNS_HEADER_2 && p->packet_type != RNS_PACKET_ANNOUNCE) {
        if (why)
            *why = not_announce;
        return ML_EINVAL;
    }
    return rns_packet_pack(out, p);
}

/* The fixed-size start of the hashable part: low flag bits, destination, context. */
static size_t hashable_head(uint8_t head[1 + RNS_HASHLEN + 1], const rns_packet *p)
{
    head[0] = rns_packet_flags(p) & 0x0F;
    memcpy(head + 1, p->dest_hash, RNS_HASHLEN);
    head[1 + RNS_HASHLEN] = p->context;
    return 2 + RNS_HASHLEN;
}

int rns_packet_hashable_part(ml_buf *out, const rns_packet *p)
{
    uint8_t head[2 + RNS_HASHLEN];
    size_t n = hashable_head(head, p), start = out->len;
    int ret = ml_buf_append(out, head, n);

    if (ret == 0)
        ret = ml_buf_append(out, p->data, p->data_len);
    if (ret && out->p) {
        out->len = start;
        out->p[start] = 0;
    }
    return ret;
}

int rns_packet_hash(uint8_t out[RNS_FULL_HASHLEN], const rns_packet *p)
{
    uint8_t head[2 + RNS_HASHLEN];
    size_t n = hashable_head(head, p);
    ml_sha256_ctx c;
    int ret = ml_sha256_init(&c);

    if (ret)
        return ret;
    if ((ret = ml_sha256_update(&c, head, n)) ||
        (ret = ml_sha256_update(&c, p->data, p->data_len))) {
        ml_sha256_abort(&c);
        return ret;
    }
    return ml_sha256_final(&c, out);
}

int rns_packet_truncated_hash(uint8_t out[RNS_HASHLEN], const rns_packet *p)
{
    uint8_t full[RNS_FULL_HASHLEN];
    int ret = rns_packet_hash(full, p);

    if (ret == 0)
        memcpy(out, full, RNS_HASHLEN);
    return ret;
}

void rns_packet_set_transport(rns_packet *p, const uint8_t transport_id[RNS_HASHLEN])
{
    p->header_type = RNS_HEADER_2;
    p->transport_type = RNS_TRANSPORT_TRANSPORT;
    memcpy(p->transport_id, transport_id, RNS_HASHLEN);
}

void rns_packet_clear_transport(rns_packet *p)
{
    p->header_type = RNS_HEADER_1;
    p->transport_type = RNS_TRANSPORT_BROADCAST;
    memset(p->transport_id, 0, RNS_HASHLEN);
}

int rns_packet_to_header2(ml_buf *out, const uint8_t *raw, size_t len,
                          const uint8_t transport_id[RNS_HASHLEN])
{
    rns_packet p;
    int ret = rns_packet_unpack(&p, raw, len);

    if (ret)
        return ret;
    rns_packet_set_transport(&p, transport_id);
    return rns_packet_pack(out, &p);
}

int rns_packet_count_hop(rns_packet *p)
{
    if (p->hops + 1 >= RNS_PATHFINDER_M)
        return ML_ERANGE;
    p->hops++;
    return 0;
}

static const struct {
    uint8_t value;
    const char *name;
} context_names[] = {
    {RNS_CTX_NONE, "NONE"},
    {RNS_CTX_RESOURCE, "RESOURCE"},
    {RNS_CTX_RESOURCE_ADV, "RESOURCE_ADV"},
    {RNS_CTX_RESOURCE_REQ, "RESOURCE_REQ"},
    {RNS_CTX_RESOURCE_HMU, "RESOURCE_HMU"},
    {RNS_CTX_RESOURCE_PRF, "RESOURCE_PRF"},
    {RNS_CTX_RESOURCE_ICL, "RESOURCE_ICL"},
    {RNS_CTX_RESOURCE_RCL, "RESOURCE_RCL"},
    {RNS_CTX_CACHE_REQUEST, "CACHE_REQUEST"},
    {RNS_CTX_REQUEST, "REQUEST"},
    {RNS_CTX_RESPONSE, "RESPONSE"},
    {RNS_CTX_PATH_RESPONSE, "PATH_RESPONSE"},
    {RNS_CTX_COMMAND, "COMMAND"},
    {RNS_CTX_COMMAND_STATUS, "COMMAND_STATUS"},
    {RNS_CTX_CHANNEL, "CHANNEL"},
    {RNS_CTX_KEEPALIVE, "KEEPALIVE"},
    {RNS_CTX_LINKIDENTIFY, "LINKIDENTIFY"},
    {RNS_CTX_LINKCLOSE, "LINKCLOSE"},
    {RNS_CTX_LINKPROOF, "LINKPROOF"},
    {RNS_CTX_LRRTT, "LRRTT"},
    {RNS_CTX_LRPROOF, "LRPROOF"},
};

const char *rns_context_name(uint8_t context)
{
    for (size_t i = 0; i < sizeof context_names / sizeof context_names[0]; i++)
        if (context_names[i].value == context)
            return context_names[i].name;
    return NULL;
}
