// SPDX-License-Identifier: MIT
// Reticulum Buffer: byte streams over a Channel (RNS 1.4.2 Buffer.py), sans
// I/O. A stream is a run of StreamDataMessages (system MSGTYPE 0xFF00,
// layout in rns_envelope.h) addressed by a 14-bit stream id relative to the
// receiver; the last one carries the EOF flag.
//
//   write:   rns_buffer_pack_chunk() makes the next message from the bytes
//            still to send (RawChannelWriter.write): at most 16 KiB of input
//            is looked at; when more than 32 bytes are left, bz2 of the whole
//            piece, then of 1/2, then of 1/3 of it is tried, and the first
//            that is shorter than both RNS_STREAM_MAX_DATA_LEN and its input
//            goes compressed; otherwise the first RNS_STREAM_MAX_DATA_LEN
//            bytes go raw. The caller sends it with rns_channel_send_system
//            and carries on with the bytes it did not take.
//   read:    rns_buffer_rx on a channel (RawChannelReader): readers by stream
//            id collect the data of their stream and see its EOF. A
//            compressed chunk that would decompress past 16 KiB is refused
//            as the reference refuses it: the channel drops the envelope
//            unmoved (the stream stalls) and the refusal is recorded here.
#ifndef MESHLOG_RNS_BUFFER_H
#define MESHLOG_RNS_BUFFER_H

#include <stddef.h>
#include <stdint.h>

#include "meshlog/buf.h"
#include "meshlog/rns_channel.h"
#include "meshlog/rns_envelope.h"

#define RNS_BUFFER_MAX_CHUNK_LEN (16u * 1024u) /* input per write; decompression bound */
#define RNS_BUFFER_COMPRESSION_TRIES 4         /* tries 1..3: the whole, 1/2, 1/3 */
#define RNS_BUFFER_COMPRESS_MIN 32             /* no compression at or below this */
#define RNS_STREAM_OVERHEAD (RNS_STREAM_HEADER + RNS_ENVELOPE_HEADER)
/* StreamDataMessage.MAX_DATA_LEN: fixed from the link MDU of the base
 * 500-byte MTU (431), whatever MTU the link has. */
#define RNS_STREAM_MAX_DATA_LEN (431u - RNS_STREAM_OVERHEAD)
#define RNS_BUFFER_MAX_READERS 16
#define RNS_BUFFER_READER_MAX (64u * 1024u * 1024u) /* bytes a reader holds, at most */

/* One RawChannelWriter.write(data[0..len)): appends the StreamDataMessage
 * (header | chunk) to msg; *taken gets how many input bytes it carries and
 * *compressed whether the chunk is bz2. len 0 makes an empty message (with
 * eof: the end of the stream). 0, ML_EINVAL (stream_id > RNS_STREAM_ID_MAX),
 * ML_ENOMEM; on error msg keeps its length. */
int rns_buffer_pack_chunk(ml_buf *msg, uint16_t stream_id, int eof, const uint8_t *data,
                          size_t len, size_t *taken, int *compressed);

/* StreamDataMessage.unpack: parses raw into m and appends the chunk,
 * decompressed when flagged, to data (m->data/len then point into raw at
 * the chunk as sent). 0, ML_EMALFORMED (shorter than the header, or not
 * bz2), ML_ETOOBIG (decompresses past RNS_BUFFER_MAX_CHUNK_LEN), ML_ENOMEM;
 * on error data keeps its length. */
int rns_buffer_unpack_chunk(rns_stream_msg *m, ml_buf *data, const uint8_t *raw, size_t len);

/* The receive side of Buffer on one channel. */
typedef struct rns_buffer_rx rns_buffer_rx;

/* Registers StreamDataMessage on ch, checks every chunk as it arrives and
 * hands each stream's data to its reader. Free it before the channel.
 * 0, ML_EINVAL, ML_ENOMEM, ML_ETOOBIG (the channel has no room for another
 * type or handler). */
int rns_buffer_rx_new(rns_buffer_rx **out, rns_channel *ch);
void rns_buffer_rx_free(rns_buffer_rx *rx); /* NULL ok; unhooks it from the channel */
/* A reader for stream_id (RawChannelReader(stream_id, channel)); opening
 * one twice is a no-op. Messages of streams without a reader are left to
 * the channel's other handlers. 0, ML_EINVAL, ML_ETOOBIG. */
int rns_buffer_rx_open(rns_buffer_rx *rx, uint16_t stream_id);
/* Moves up to max bytes of stream_id's data to out (appended): how many,
 * or ML_ENOTFOUND (no reader), ML_ENOMEM. */
long rns_buffer_rx_read(rns_buffer_rx *rx, uint16_t stream_id, ml_buf *out, size_t max);
/* Bytes waiting, and whether the EOF message was seen; ML_ENOTFOUND. */
long rns_buffer_rx_available(const rns_buffer_rx *rx, uint16_t stream_id);
int rns_buffer_rx_eof(const rns_buffer_rx *rx, uint16_t stream_id);
/* The last chunk refused (0: none): ML_ETOOBIG past the bound, ML_EMALFORMED;
 * and its reason in the reference's words. */
int rns_buffer_rx_error(const rns_buffer_rx *rx);
const char *rns_buffer_rx_error_text(const rns_buffer_rx *rx);
/* How many chunks were refused so far. */
unsigned rns_buffer_rx_refused(const rns_buffer_rx *rx);

#endif
