// SPDX-License-Identifier: MIT
// bz2 as the Reticulum reference uses it (Python's bz2 module): resources and
// Buffer stream chunks are compressed with block size 9 (compresslevel 9,
// the default), and a receiver decompresses with a hard limit on the output so
// a small hostile input cannot expand without bound. Thin wrapper over libbz2.
#ifndef MESHLOG_RNS_BZ2_H
#define MESHLOG_RNS_BZ2_H

#include <stddef.h>
#include <stdint.h>

#include "meshlog/buf.h"

/* Decompression limits the reference applies: Buffer chunks and resources. */
#define RNS_BZ2_BUFFER_LIMIT (16u * 1024u)
#define RNS_BZ2_RESOURCE_LIMIT (64u * 1024u * 1024u)

/* bz2.compress(data): one stream, block size 9; the bytes are exactly the
 * reference's. Appends to out. 0, ML_EINVAL (input above 4 GiB - 1),
 * ML_ENOMEM (a libbz2 failure also gives ML_EINVAL). */
int rns_bz2_compress(ml_buf *out, const uint8_t *in, size_t len);

/* bz2.decompress(data) with an output limit: every concatenated stream is
 * decompressed, as Python does. Appends to out. 0; ML_EMALFORMED (not bz2,
 * truncated, or trailing bytes that are not another stream); ML_ETOOBIG
 * (output would exceed limit); ML_ENOMEM. On error out keeps its length. */
int rns_bz2_decompress(ml_buf *out, const uint8_t *in, size_t len, size_t limit);

/* BZ2Decompressor().decompress(data, max_length=limit) that must reach the
 * end of the stream (Buffer chunks): only the first stream is decompressed,
 * bytes after it are ignored. Errors as rns_bz2_decompress. */
int rns_bz2_decompress_first(ml_buf *out, const uint8_t *in, size_t len, size_t limit);

#endif
