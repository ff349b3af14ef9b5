// SPDX-License-Identifier: MIT
// The compact binary sync messages (docs/PROTOCOL.md has them byte by byte).
// Never JSON on a radio: integers are varints, clocks delta-coded, ids and
// prev never sent (the receiver recomputes them), authors and strings sent
// once per message, and one signature per author run. Every decoder length is
// checked before it is read; nothing is allocated from an unchecked count.
#ifndef MESHLOG_WIRE_H
#define MESHLOG_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "meshlog/buf.h"
#include "meshlog/event.h"

#define ML_WIRE_VERSION 1

enum ml_wire_type {
    ML_WIRE_HELLO = 1,       /* digest of the sender's frontier */
    ML_WIRE_FRONTIER = 2,    /* (author, seq) entries: what the sender holds */
    ML_WIRE_EVENTS = 3,      /* runs of events */
    ML_WIRE_VERSION_REFUSED = 4,
};

enum {
    ML_WIRE_F_KNOWS_YOU = 1, /* HELLO: the sender holds the receiver's frontier */
    ML_WIRE_F_NACK = 1,      /* FRONTIER: a run for these authors arrived after a gap */
    ML_WIRE_F_BULK = 1,      /* EVENTS: part of a large delta */
};

typedef struct ml_wire_entry {
    char author[33];         /* hex of the 16-byte identity hash */
    int64_t seq;
} ml_wire_entry;

/* One author run inside an EVENTS message: consecutive seqs, the last event
 * carrying the signature that vouches for the run. */
typedef struct ml_wire_run {
    ml_event *evs;
    size_t n;
} ml_wire_run;

typedef struct ml_wire_msg {
    int version;
    int type;
    int flags;
    uint8_t digest[8];                 /* HELLO */
    ml_wire_entry *entries;            /* FRONTIER */
    size_t n_entries;
    ml_wire_run *runs;                 /* EVENTS: events have no prev/id yet */
    size_t n_runs;
    int peer_version;                  /* VERSION_REFUSED */
} ml_wire_msg;

/* Varints (LEB128). put: 0/ML_ENOMEM. get: 0 or ML_EMALFORMED. */
int ml_wire_put_varint(ml_buf *out, uint64_t v);
int ml_wire_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v);

int ml_wire_encode_hello(ml_buf *out, const uint8_t digest[8], int flags);
int ml_wire_encode_frontier(ml_buf *out, int flags, const ml_wire_entry *e, size_t n);
int ml_wire_encode_refused(ml_buf *out);
/* Runs must hold signed-feed events (32-hex authors), each run contiguous,
 * its last event signed. ML_EINVAL otherwise; ML_ERANGE for a payload value
 * the binary form cannot carry exactly. Replaces out's contents. */
int ml_wire_encode_events(ml_buf *out, int flags, const ml_wire_run *runs, size_t n);

/* Decode one message. ML_EUNSUPPORTED (with m->version set) for another
 * version, ML_EMALFORMED for anything that does not parse. On success the
 * caller frees with ml_wire_msg_free. */
int ml_wire_decode(ml_wire_msg *m, const uint8_t *msg, size_t len);
void ml_wire_msg_free(ml_wire_msg *m);

#endif
