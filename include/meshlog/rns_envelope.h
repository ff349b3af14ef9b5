// SPDX-License-Identifier: MIT
// The byte layouts a Reticulum Channel carries inside link packets of
// context CHANNEL: the envelope (MSGTYPE u16 BE | SEQUENCE u16 BE | LENGTH
// u16 BE | payload) and, for Buffer streams, the StreamDataMessage payload
// (header u16 BE = stream id (14 bits) | 0x4000 compressed | 0x8000 EOF,
// then the chunk). Pure functions over bytes; the channel's window,
// sequencing and retransmission live elsewhere. Wire facts:
// docs/reticulum-notes.md A.10.
#ifndef MESHLOG_RNS_ENVELOPE_H
#define MESHLOG_RNS_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "meshlog/buf.h"

#define RNS_ENVELOPE_HEADER 6
#define RNS_MSGTYPE_SYSTEM 0xF000u      /* MSGTYPEs from here up are reserved */
#define RNS_MSGTYPE_STREAM_DATA 0xFF00u /* Buffer's StreamDataMessage */
#define RNS_STREAM_HEADER 2
#define RNS_STREAM_ID_MAX 0x3FFFu
#define RNS_STREAM_FLAG_COMPRESSED 0x4000u
#define RNS_STREAM_FLAG_EOF 0x8000u

/* A parsed envelope; payload borrows from the bytes parsed. */
typedef struct rns_envelope {
    uint16_t msgtype;
    uint16_t sequence;
    const uint8_t *payload;
    size_t len;
} rns_envelope;

/* Appends the envelope of payload[0..len). 0, ML_ETOOBIG (len > 65535),
 * ML_ENOMEM; on error out keeps its length. */
int rns_envelope_pack(ml_buf *out, uint16_t msgtype, uint16_t sequence, const uint8_t *payload,
                      size_t len);
/* Parses an envelope: 0, or ML_EMALFORMED when shorter than the header or
 * when LENGTH does not match the bytes that follow. */
int rns_envelope_unpack(rns_envelope *e, const uint8_t *raw, size_t len);

/* A parsed StreamDataMessage; data borrows (still compressed when flagged). */
typedef struct rns_stream_msg {
    uint16_t stream_id;
    int eof;
    int compressed;
    const uint8_t *data;
    size_t len;
} rns_stream_msg;

/* Appends header | data. ML_EINVAL when stream_id > RNS_STREAM_ID_MAX, ML_ENOMEM. */
int rns_stream_msg_pack(ml_buf *out, uint16_t stream_id, int eof, int compressed,
                        const uint8_t *data, size_t len);
/* Parses one: 0 or ML_EMALFORMED (shorter than the header). */
int rns_stream_msg_unpack(rns_stream_msg *m, const uint8_t *raw, size_t len);

#endif
