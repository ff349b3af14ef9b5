// SPDX-License-Identifier: MIT
// ml_buf: growable byte buffer, hex helpers. Every allocation of variable-length
// output in libmeshlog goes through here, so growth policy lives in one place.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meshlog/buf.h"
#include "meshlog/error.h"

int ml_buf_reserve(ml_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1)
        return ML_ENOMEM;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p)
        return ML_ENOMEM;
    b->p = p;
    b->cap = cap;
    return 0;
}

int ml_buf_append(ml_buf *b, const void *data, size_t len)
{
    if (ml_buf_reserve(b, len))
        return ML_ENOMEM;
    if (len)
        memcpy(b->p + b->len, data, len);
    b->len += len;
    b->p[b->len] = 0;
    return 0;
}

int ml_buf_putc(ml_buf *b, uint8_t c)
{
    return ml_buf_append(b, &c, 1);
}

int ml_buf_puts(ml_buf *b, const char *s)
{
    return ml_buf_append(b, s, strlen(s));
}

int ml_buf_printf(ml_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return ML_EINVAL;
    if ((size_t)n < sizeof small)
        return ml_buf_append(b, small, (size_t)n);
    if (ml_buf_reserve(b, (size_t)n))
        return ML_ENOMEM;
    va_start(ap, fmt);
    vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void ml_buf_reset(ml_buf *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = 0;
}

void ml_buf_free(ml_buf *b)
{
    if (!b)
        return;
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

const char *ml_buf_str(ml_buf *b)
{
    return b->p ? (const char *)b->p : "";
}

void *ml_grow(void *v, size_t *cap, size_t n, size_t elsize, size_t first)
{
    if (n < *cap)
        return v;
    size_t ncap = *cap ? 2 * *cap : first;
    if (ncap < *cap || (elsize && ncap > SIZE_MAX / elsize))
        return NULL;
    void *nv = realloc(v, ncap * elsize);
    if (nv)
        *cap = ncap;
    return nv;
}

void ml_hex(char *out, const uint8_t *in, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int ml_unhex(uint8_t *out, size_t n, const char *hex, size_t hexlen)
{
    if (hexlen != 2 * n)
        return ML_EMALFORMED;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return ML_EMALFORMED;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}
