// SPDX-License-Identifier: MIT
// msgpack as the Reticulum reference writes it (its vendored umsgpack): the
// encoding of link requests and responses, LRRTT, resource advertisements,
// hashmap updates and resource metadata. The encoder appends to an ml_buf and
// always picks what the reference picks: the smallest integer form (unsigned
// forms for values >= 0), float64 for every float, str for text, bin for bytes.
// The reader is a cursor over caller-owned bytes: it never allocates, checks
// every length against the bytes left before reading, and hands out str/bin
// payloads as pointers into the input. Arrays and maps come as a header with a
// count; their elements follow in the stream, so callers walk structures with
// plain loops and there is no recursion. All names use the prefix rns_mp_.
#ifndef MESHLOG_RNS_MSGPACK_H
#define MESHLOG_RNS_MSGPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meshlog/buf.h"

/* ---- encoder -----------------------------------------------------------------
 * Each appends one value (or a container header) to b and returns 0,
 * ML_ETOOBIG (a length or count above 2^32-1) or ML_ENOMEM; on error b keeps
 * its previous length. After rns_mp_put_array(b, n) append n values; after
 * rns_mp_put_map(b, n) append n key/value pairs. */
int rns_mp_put_nil(ml_buf *b);
int rns_mp_put_bool(ml_buf *b, bool v);
int rns_mp_put_uint(ml_buf *b, uint64_t v);
int rns_mp_put_int(ml_buf *b, int64_t v);   /* v >= 0 uses the unsigned forms */
int rns_mp_put_float(ml_buf *b, double v);  /* always float64 (cb) */
/* s[0..len) must be UTF-8 (the reference refuses other str payloads). */
int rns_mp_put_str(ml_buf *b, const char *s, size_t len);
int rns_mp_put_cstr(ml_buf *b, const char *s);          /* NUL-terminated */
int rns_mp_put_bin(ml_buf *b, const void *data, size_t len);
int rns_mp_put_array(ml_buf *b, size_t count);
int rns_mp_put_map(ml_buf *b, size_t count);

/* ---- reader ------------------------------------------------------------------ */

typedef enum rns_mp_type {
    RNS_MP_NIL,
    RNS_MP_BOOL,
    RNS_MP_UINT,  /* any integer >= 0, whatever its wire form */
    RNS_MP_INT,   /* any integer < 0 */
    RNS_MP_FLOAT, /* float32 (widened) or float64 */
    RNS_MP_STR,   /* valid UTF-8, not NUL-terminated */
    RNS_MP_BIN,
    RNS_MP_ARRAY,
    RNS_MP_MAP,
    RNS_MP_EXT,   /* not used by Reticulum; readable so it can be skipped */
} rns_mp_type;

/* One decoded value or container header. data points into the reader's input. */
typedef struct rns_mp_item {
    rns_mp_type type;
    bool b;               /* BOOL */
    uint64_t u;           /* UINT */
    int64_t i;            /* INT */
    double f;             /* FLOAT */
    const uint8_t *data;  /* STR, BIN, EXT payload */
    size_t len;           /* its length */
    uint32_t count;       /* ARRAY elements, MAP key/value pairs */
    int8_t ext_type;      /* EXT */
} rns_mp_item;

/* A cursor; a plain value the caller may copy to back-track. */
typedef struct rns_mp_reader {
    const uint8_t *p;
    size_t len;
    size_t off;
} rns_mp_reader;

void rns_mp_reader_init(rns_mp_reader *r, const void *data, size_t len);
size_t rns_mp_remaining(const rns_mp_reader *r);

/* Decodes the next item without moving (peek) or and moves past it (next):
 * scalars, str, bin and ext whole; arrays and maps only their header. Returns
 * 0 or ML_EMALFORMED (truncated, the reserved byte c1, str not UTF-8, or a
 * count larger than the bytes left could hold); ML_EINVAL on NULL. */
int rns_mp_peek(const rns_mp_reader *r, rns_mp_item *it);
int rns_mp_next(rns_mp_reader *r, rns_mp_item *it);

/* Moves past one complete value, containers with all their contents. Time is
 * bounded by the input length. 0 or ML_EMALFORMED (the reader then stays). */
int rns_mp_skip(rns_mp_reader *r);
/* Like skip, and hands out the encoded bytes of the value skipped. */
int rns_mp_get_raw(rns_mp_reader *r, const uint8_t **p, size_t *len);

/* Typed reads. Each moves past the value only on success; returns 0,
 * ML_EMALFORMED (bad bytes or another type), or ML_ERANGE (an integer that
 * does not fit the requested type). get_float accepts only floats. */
int rns_mp_get_nil(rns_mp_reader *r);
int rns_mp_get_bool(rns_mp_reader *r, bool *v);
int rns_mp_get_uint(rns_mp_reader *r, uint64_t *v);
int rns_mp_get_int(rns_mp_reader *r, int64_t *v);
int rns_mp_get_float(rns_mp_reader *r, double *v);
int rns_mp_get_str(rns_mp_reader *r, const char **s, size_t *len);
int rns_mp_get_bin(rns_mp_reader *r, const uint8_t **p, size_t *len);
int rns_mp_get_array(rns_mp_reader *r, uint32_t *count);
int rns_mp_get_map(rns_mp_reader *r, uint32_t *count);

#endif
