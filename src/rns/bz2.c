// SPDX-License-Identifier: MIT
// bz2 for resources and Buffer chunks (rns_bz2.h) over libbz2's streaming
// API. Compression is one shot at block size 9, which makes the bytes match
// Python's bz2.compress. Decompression walks concatenated streams like
// Python's bz2.decompress and stops as soon as the output would pass the
// caller's limit, so memory is bounded by the limit, not by the input.
#include "meshlog/rns_bz2.h"

#include <bzlib.h>
#include <limits.h>
#include <string.h>

#include "meshlog/error.h"

#define BZ2_BLOCK_SIZE 9
#define BZ2_CHUNK 65536u

static const uint8_t empty[1];

int rns_bz2_compress(ml_buf *out, const uint8_t *in, size_t len)
{
    /* libbz2's worst case: 1% + 600 bytes over the input. */
    size_t bound = len + len / 100 + 601, start;
    unsigned int dlen;
    int ret;

    if (!out || (!in && len) || len > UINT_MAX - UINT_MAX / 100 - 601)
        return ML_EINVAL;
    if ((ret = ml_buf_reserve(out, bound + 1)))
        return ret;
    start = out->len;
    dlen = (unsigned int)bound;
    /* libbz2 refuses a NULL source even when it is empty */
    ret = BZ2_bzBuffToBuffCompress((char *)out->p + start, &dlen,
                                   (char *)(uintptr_t)(in ? in : empty), (unsigned int)len,
                                   BZ2_BLOCK_SIZE, 0, 0);
    if (ret != BZ_OK)
        return ret == BZ_MEM_ERROR ? ML_ENOMEM : ML_EINVAL;
    out->len = start + dlen;
    out->p[out->len] = 0;
    return 0;
}

/* Decompresses one stream starting at in; *used is its compressed length. */
static int one_stream(ml_buf *out, const uint8_t *in, size_t len, size_t limit, size_t start,
                      size_t *used)
{
    bz_stream s;
    int ret = ML_EMALFORMED, r;

    memset(&s, 0, sizeof s);
    if (BZ2_bzDecompressInit(&s, 0, 0) != BZ_OK)
        return ML_ENOMEM;
    s.next_in = (char *)(uintptr_t)in;
    s.avail_in = len > UINT_MAX ? UINT_MAX : (unsigned int)len;
    for (;;) {
        size_t room = limit - (out->len - start);
        size_t chunk = room < BZ2_CHUNK ? room : BZ2_CHUNK;
        if (chunk == 0)
            chunk = 1; /* one byte of room to notice an overflow */
        if ((r = ml_buf_reserve(out, chunk + 1))) {
            ret = r;
            break;
        }
        s.next_out = (char *)out->p + out->len;
        s.avail_out = (unsigned int)chunk;
        r = BZ2_bzDecompress(&s);
        out->len += chunk - s.avail_out;
        if (out->len - start > limit) {
            ret = ML_ETOOBIG;
            break;
        }
        if (r == BZ_STREAM_END) {
            *used = (size_t)(s.next_in - (char *)(uintptr_t)in);
            ret = 0;
            break;
        }
        if (r != BZ_OK || (s.avail_in == 0 && s.avail_out != 0))
            break; /* corrupt, or input ended inside the stream */
    }
    BZ2_bzDecompressEnd(&s);
    return ret;
}

/* A failed decompression leaves out as it was (the appended part dropped);
 * a good one leaves it NUL-terminated. Returns ret. */
static int settle(ml_buf *out, size_t start, int ret)
{
    if (ret)
        out->len = start;
    if (out->p)
        out->p[out->len] = 0;
    return ret;
}

int rns_bz2_decompress(ml_buf *out, const uint8_t *in, size_t len, size_t limit)
{
    size_t start, off = 0, used = 0;
    int ret = 0;

    if (!out || (!in && len))
        return ML_EINVAL;
    if (len == 0)
        return ML_EMALFORMED;
    start = out->len;
    while (off < len && !ret) {
        ret = one_stream(out, in + off, len - off, limit, start, &used);
        off += used;
    }
    return settle(out, start, ret);
}

int rns_bz2_decompress_first(ml_buf *out, const uint8_t *in, size_t len, size_t limit)
{
    size_t start, used = 0;
    int ret;

    if (!out || (!in && len))
        return ML_EINVAL;
    if (len == 0)
        return ML_EMALFORMED;
    start = out->len;
    ret = one_stream(out, in, len, limit, start, &used);
    return settle(out, start, ret);
}
