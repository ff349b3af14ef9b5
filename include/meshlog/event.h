// SPDX-License-Identifier: MIT
// Events: the only thing meshlog stores or sends. An event is immutable:
//   {author, seq, hlc, kind, payload, prev, id} (+ an Ed25519 signature)
// id = first 16 bytes of SHA-256 over the canonical JSON of
//   {"author","hlc":[wall,counter],"kind","payload","prev","seq"}
// exactly as the Python seed computes it, so ids match across implementations.
#ifndef MESHLOG_EVENT_H
#define MESHLOG_EVENT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "meshlog/buf.h"

#define ML_ID_LEN 16
#define ML_SIG_LEN 64
#define ML_PUBKEY_LEN 64   /* RNS public key: X25519 pub || Ed25519 pub */

typedef struct ml_id {
    uint8_t b[ML_ID_LEN];
} ml_id;

/* Hybrid logical clock stamp: (wall ms, counter). */
typedef struct ml_stamp {
    int64_t wall;
    int64_t counter;
} ml_stamp;

typedef struct ml_event {
    char *author;        /* UTF-8; a signed feed's author is its RNS identity hash, 32 hex */
    int64_t seq;         /* 1, 2, 3, ... with no gaps per author */
    ml_stamp hlc;
    char *kind;          /* UTF-8, e.g. "field.set" */
    char *payload;       /* canonical JSON text of the payload object */
    size_t payload_len;
    int has_prev;        /* 0 means prev is "" (seq 1) */
    ml_id prev;
    ml_id id;            /* as computed by ml_event_seal() */
    int has_sig;
    uint8_t sig[ML_SIG_LEN];
    int sig_verified;    /* the store has verified this signature already */
    int has_claimed;     /* an id that came with the event (import): checked on ingest */
    ml_id claimed;
} ml_event;

/* Kinds the reducer and feeds know. Others are stored, relayed and ignored. */
#define ML_KIND_FEED_OPEN "feed.open"
#define ML_KIND_RECORD_CREATE "record.create"
#define ML_KIND_FIELD_SET "field.set"
#define ML_KIND_NOTE_ADD "note.add"
#define ML_KIND_ATTACHMENT_ADD "attachment.add"

/* Frees the strings of ev and zeroes it. NULL ok. */
void ml_event_clear(ml_event *ev);
/* Deep copy; dst must be cleared or zeroed. 0 / ML_ENOMEM. */
int ml_event_copy(ml_event *dst, const ml_event *src);

/* Append the canonical bytes (what the id hashes and the signature signs).
 * ML_EMALFORMED if author/kind are not valid UTF-8. */
int ml_event_canonical(const ml_event *ev, ml_buf *out);
/* Compute the id from the content; `scratch` is reused between calls. */
int ml_event_compute_id(const ml_event *ev, ml_id *id, ml_buf *scratch);
/* Compute and store ev->id. */
int ml_event_seal(ml_event *ev, ml_buf *scratch);

/* Parse one line object of the seed's log format
 *   {"a":author,"s":seq,"h":[wall,counter],"k":kind,"p":payload,"v":prev,"i":id}
 * plus our optional "g": signature hex. "i" goes to ev->claimed. The payload
 * is canonicalised. ML_EMALFORMED/ML_ERANGE with a message in err. ev must be
 * zeroed; on error it is left cleared. */
int ml_event_from_line(ml_event *ev, const json_t *obj, char *err, size_t errlen);
/* Append one line in the seed's layout (json.dumps default separators), with
 * "g" when the event has a signature, and a trailing newline. */
int ml_event_to_line(const ml_event *ev, ml_buf *out);

/* Hex of an id (33 bytes incl. NUL). */
void ml_id_hex(char out[2 * ML_ID_LEN + 1], const ml_id *id);
int ml_id_equal(const ml_id *a, const ml_id *b);

/* Total order of the reducer: (wall, counter, author, seq); <0, 0, >0. */
int ml_event_order(const ml_stamp *sa, const char *aa, int64_t qa,
                   const ml_stamp *sb, const char *ab, int64_t qb);

#endif
