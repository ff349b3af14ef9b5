// SPDX-License-Identifier: MIT
// Channel envelopes and Buffer stream messages (rns_envelope.h): fixed
// big-endian headers in front of a payload, checked against the length
// before every read.
#include "meshlog/rns_envelope.h"

#include "meshlog/error.h"

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

int rns_envelope_pack(ml_buf *out, uint16_t msgtype, uint16_t sequence, const uint8_t *payload,
                      size_t len)
{
    uint8_t h[RNS_ENVELOPE_HEADER];
    size_t start;
    int ret;

    if (!out || (!payload && len))
        return ML_EINVAL;
    if (len > 0xFFFFu)
        return ML_ETOOBIG;
    put16(h, msgtype);
    put16(h + 2, sequence);
    put16(h + 4, (unsigned)len);
    start = out->len;
    if ((ret = ml_buf_append(out, h, sizeof h)) || (ret = ml_buf_append(out, payload, len))) {
        out->len = start;
        if (out->p)
            out->p[start] = 0;
    }
    return ret;
}

int rns_envelope_unpack(rns_envelope *e, const uint8_t *raw, size_t len)
{
    if (!e || !raw || len < RNS_ENVELOPE_HEADER)
        return ML_EMALFORMED;
    if (get16(raw + 4) != len - RNS_ENVELOPE_HEADER)
        return ML_EMALFORMED;
    e->msgtype = get16(raw);
    e->sequence = get16(raw + 2);
    e->payload = raw + RNS_ENVELOPE_HEADER;
    e->len = len - RNS_ENVELOPE_HEADER;
    return 0;
}

int rns_stream_msg_pack(ml_buf *out, uint16_t stream_id, int eof, int compressed,
                        const uint8_t *data, size_t len)
{
    uint8_t h[RNS_STREAM_HEADER];
    size_t start;
    int ret;

    if (!out || (!data && len) || stream_id > RNS_STREAM_ID_MAX)
        return ML_EINVAL;
    put16(h, stream_id | (eof ? RNS_STREAM_FLAG_EOF : 0u) |
                 (compressed ? RNS_STREAM_FLAG_COMPRESSED : 0u));
    start = out->len;
    if ((ret = ml_buf_append(out, h, sizeof h)) || (ret = ml_buf_append(out, data, len))) {
        out->len = start;
        if (out->p)
            out->p[start] = 0;
    }
    return ret;
}

int rns_stream_msg_unpack(rns_stream_msg *m, const uint8_t *raw, size_t len)
{
    uint16_t h;

    if (!m || !raw || len < RNS_STREAM_HEADER)
        return ML_EMALFORMED;
    h = get16(raw);
    m->stream_id = (uint16_t)(h & RNS_STREAM_ID_MAX);
    m->eof = (h & RNS_STREAM_FLAG_EOF) != 0;
    m->compressed = (h & RNS_STREAM_FLAG_COMPRESSED) != 0;
    m->data = raw + RNS_STREAM_HEADER;
    m->len = len - RNS_STREAM_HEADER;
    return 0;
}
