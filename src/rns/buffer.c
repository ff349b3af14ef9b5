// SPDX-License-Identifier: MIT
// Reticulum Buffer (rns_buffer.h): StreamDataMessage chunks with the
// reference writer's compression rules, and the reader side on a channel.
#include "meshlog/rns_buffer.h"

#include <stdlib.h>
#include <string.h>

#include "meshlog/error.h"
#include "meshlog/rns_bz2.h"

int rns_buffer_pack_chunk(ml_buf *msg, uint16_t stream_id, int eof, const uint8_t *data,
                          size_t len, size_t *taken, int *compressed)
{
    ml_buf z = ML_BUF_INIT;
    size_t seg = 0;
    int ok = 0, ret;

    if (!msg || (!data && len) || stream_id > RNS_STREAM_ID_MAX)
        return ML_EINVAL;
    if (len > RNS_BUFFER_MAX_CHUNK_LEN)
        len = RNS_BUFFER_MAX_CHUNK_LEN;
    /* Try the whole piece, then 1/2, then 1/3 of it (int(len / try)). */
    for (unsigned t = 1; len > RNS_BUFFER_COMPRESS_MIN && t < RNS_BUFFER_COMPRESSION_TRIES; t++) {
        seg = len / t;
        ml_buf_reset(&z);
        if ((ret = rns_bz2_compress(&z, data, seg))) {
            ml_buf_free(&z);
            return ret;
        }
        if (z.len < RNS_STREAM_MAX_DATA_LEN && z.len < seg) {
            ok = 1;
            break;
        }
    }
    if (!ok)
        seg = len < RNS_STREAM_MAX_DATA_LEN ? len : RNS_STREAM_MAX_DATA_LEN;
    ret = ok ? rns_stream_msg_pack(msg, stream_id, eof, 1, z.p, z.len)
             : rns_stream_msg_pack(msg, stream_id, eof, 0, data, seg);
    ml_buf_free(&z);
    if (ret)
        return ret;
    if (taken)
        *taken = seg;
    if (compressed)
        *compressed = ok;
    return 0;
}

int rns_buffer_unpack_chunk(rns_stream_msg *m, ml_buf *data, const uint8_t *raw, size_t len)
{
    int ret;

    if (!m || !data)
        return ML_EINVAL;
    if ((ret = rns_stream_msg_unpack(m, raw, len)))
        return ret;
    if (!m->compressed)
        return ml_buf_append(data, m->data, m->len);
    return rns_bz2_decompress_first(data, m->data, m->len, RNS_BUFFER_MAX_CHUNK_LEN);
}

/* ---- the receive side -------------------------------------------------------------------- */

typedef struct reader {
    uint16_t stream_id;
    int eof;
    ml_buf data;
    size_t head; /* bytes of data already read */
} reader;

struct rns_buffer_rx {
    rns_channel *ch;
    reader readers[RNS_BUFFER_MAX_READERS];
    size_t n_readers;
    int error;
    unsigned refused;
    ml_buf scratch;
};

static reader *find(const rns_buffer_rx *rx, uint16_t stream_id)
{
    for (size_t i = 0; rx && i < rx->n_readers; i++)
        if (rx->readers[i].stream_id == stream_id)
            return (reader *)&rx->readers[i];
    return NULL;
}

/* The channel's unpack step for StreamDataMessage: a chunk that does not
 * decompress within the bound is refused (and remembered). */
static int check_chunk(void *ctx, uint16_t msgtype, const uint8_t *payload, size_t len)
{
    rns_buffer_rx *rx = ctx;
    rns_stream_msg m;
    int ret;

    (void)msgtype;
    ml_buf_reset(&rx->scratch);
    ret = rns_buffer_unpack_chunk(&m, &rx->scratch, payload, len);
    ml_buf_reset(&rx->scratch);
    if (ret == 0 || ret == ML_ENOMEM)
        return ret;
    rx->error = ret;
    rx->refused++;
    return ret;
}

/* RawChannelReader._handle_message: take the chunks of our streams. */
static int take_chunk(void *ctx, uint16_t msgtype, const uint8_t *payload, size_t len)
{
    rns_buffer_rx *rx = ctx;
    rns_stream_msg m;
    reader *r;
    int ret;

    if (msgtype != RNS_MSGTYPE_STREAM_DATA || rns_stream_msg_unpack(&m, payload, len))
        return 0;
    if (!(r = find(rx, m.stream_id)))
        return 0;
    /* Read bytes are dropped before the reader grows. */
    if (r->head) {
        memmove(r->data.p, r->data.p + r->head, r->data.len - r->head);
        r->data.len -= r->head;
        r->head = 0;
    }
    if (r->data.len - r->head > RNS_BUFFER_READER_MAX)
        return ML_ETOOBIG;
    if ((ret = rns_buffer_unpack_chunk(&m, &r->data, payload, len)))
        return ret;
    if (m.eof)
        r->eof = 1;
    return 1;
}

int rns_buffer_rx_new(rns_buffer_rx **out, rns_channel *ch)
{
    rns_buffer_rx *rx;
    int ret;

    if (!out || !ch)
        return ML_EINVAL;
    if (!(rx = calloc(1, sizeof *rx)))
        return ML_ENOMEM;
    rx->ch = ch;
    if ((ret = rns_channel_register_system(ch, RNS_MSGTYPE_STREAM_DATA)) ||
        (ret = rns_channel_set_unpack(ch, RNS_MSGTYPE_STREAM_DATA, check_chunk, rx)) ||
        (ret = rns_channel_add_handler(ch, take_chunk, rx))) {
        rns_channel_set_unpack(ch, RNS_MSGTYPE_STREAM_DATA, NULL, NULL);
        free(rx);
        return ret;
    }
    *out = rx;
    return 0;
}

void rns_buffer_rx_free(rns_buffer_rx *rx)
{
    if (!rx)
        return;
    rns_channel_remove_handler(rx->ch, take_chunk, rx);
    rns_channel_set_unpack(rx->ch, RNS_MSGTYPE_STREAM_DATA, NULL, NULL);
    for (size_t i = 0; i < rx->n_readers; i++)
        ml_buf_free(&rx->readers[i].data);
    ml_buf_free(&rx->scratch);
    free(rx);
}

int rns_buffer_rx_open(rns_buffer_rx *rx, uint16_t stream_id)
{
    reader *r;

    if (!rx || stream_id > RNS_STREAM_ID_MAX)
        return ML_EINVAL;
    if (find(rx, stream_id))
        return 0;
    if (rx->n_readers == RNS_BUFFER_MAX_READERS)
        return ML_ETOOBIG;
    r = &rx->readers[rx->n_readers++];
    memset(r, 0, sizeof *r);
    r->stream_id = stream_id;
    return 0;
}

long rns_buffer_rx_read(rns_buffer_rx *rx, uint16_t stream_id, ml_buf *out, size_t max)
{
    reader *r = find(rx, stream_id);
    size_t n;

    if (!r)
        return ML_ENOTFOUND;
    if (!out)
        return ML_EINVAL;
    n = r->data.len - r->head;
    if (n > max)
        n = max;
    if (n > (size_t)0x7FFFFFFF)
        n = 0x7FFFFFFF;
    if (ml_buf_append(out, r->data.p + r->head, n))
        return ML_ENOMEM;
    r->head += n;
    if (r->head == r->data.len) {
        ml_buf_reset(&r->data);
        r->head = 0;
    }
    return (long)n;
}

long rns_buffer_rx_available(const rns_buffer_rx *rx, uint16_t stream_id)
{
    const reader *r = find(rx, stream_id);

    return r ? (long)(r->data.len - r->head) : ML_ENOTFOUND;
}

int rns_buffer_rx_eof(const rns_buffer_rx *rx, uint16_t stream_id)
{
    const reader *r = find(rx, stream_id);

    return r ? r->eof : ML_ENOTFOUND;
}

int rns_buffer_rx_error(const rns_buffer_rx *rx)
{
    return rx ? rx->error : 0;
}

const char *rns_buffer_rx_error_text(const rns_buffer_rx *rx)
{
    if (!rx || !rx->error)
        return NULL;
    if (rx->error == ML_ETOOBIG)
        return "Decompressed buffer chunk exceeds maximum legitimate size";
    if (rx->error == ML_EMALFORMED)
        return "Invalid buffer chunk";
    return ml_strerror(rx->error);
}

unsigned rns_buffer_rx_refused(const rns_buffer_rx *rx)
{
    return rx ? rx->refused : 0;
}
