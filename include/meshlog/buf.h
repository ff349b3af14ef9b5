// SPDX-License-Identifier: MIT
// A growable byte buffer: the one way libmeshlog hands variable-length output
// back to callers. The caller owns the buffer and frees it with ml_buf_free().
#ifndef MESHLOG_BUF_H
#define MESHLOG_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct ml_buf {
    uint8_t *p;   /* NUL-terminated for convenience when len < cap */
    size_t len;
    size_t cap;
} ml_buf;

#define ML_BUF_INIT {NULL, 0, 0}

/* Each returns 0 or ML_ENOMEM. The buffer always stays NUL-terminated. */
int ml_buf_reserve(ml_buf *b, size_t extra);
int ml_buf_append(ml_buf *b, const void *data, size_t len);
int ml_buf_putc(ml_buf *b, uint8_t c);
int ml_buf_puts(ml_buf *b, const char *s);
int ml_buf_printf(ml_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ml_buf_reset(ml_buf *b);          /* len = 0, keeps memory */
void ml_buf_free(ml_buf *b);           /* frees, back to ML_BUF_INIT; NULL ok */
const char *ml_buf_str(ml_buf *b);     /* "" when empty */

/* Room for one more element in a growable array v of *cap elements of
 * elsize bytes, n of them used: v itself while n < *cap, else v reallocated
 * to twice the size (first elements when empty) with *cap updated. NULL when
 * out of memory (v and *cap untouched). */
void *ml_grow(void *v, size_t *cap, size_t n, size_t elsize, size_t first);

/* Lowercase hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void ml_hex(char *out, const uint8_t *in, size_t n);
/* Parse exactly n bytes of hex (2n chars, either case); 0 or ML_EMALFORMED. */
int ml_unhex(uint8_t *out, size_t n, const char *hex, size_t hexlen);

#endif
