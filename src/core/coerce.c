// SPDX-License-Identifier: MIT
// Python's int() and float() grammars for ASCII input (surrounding white space
// allowed, '_' only between digits), so `meshlog set` stores what the seed's
// `--set` would have stored.
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "meshlog/coerce.h"
#include "meshlog/error.h"
#include "meshlog/json.h"

/* Digits with single underscores between them; copies digits to *o. */
static const char *digits(const char *p, char **o)
{
    if (!isdigit((unsigned char)*p))
        return NULL;
    while (isdigit((unsigned char)*p) || (*p == '_' && isdigit((unsigned char)p[1]))) {
        if (*p != '_')
            *(*o)++ = *p;
        p++;
    }
    return p;
}

static void strip(const char *text, const char **b, const char **e)
{
    *b = text;
    *e = text + strlen(text);
    while (*b < *e && isspace((unsigned char)**b))
        (*b)++;
    while (*e > *b && isspace((unsigned char)(*e)[-1]))
        (*e)--;
}

/* Python int(): returns 1 and *v when text is an int literal, -1 if it is one
 * but out of range, 0 if not. */
static int py_int(const char *text, long long *v)
{
    const char *b, *e;
    strip(text, &b, &e);
    char buf[128], *o = buf;
    if ((size_t)(e - b) >= sizeof buf - 1)
        return 0;
    if (*b == '+' || *b == '-')
        *o++ = *b++;
    const char *p = digits(b, &o);
    if (!p || p != e)
        return 0;
    *o = 0;
    errno = 0;
    *v = strtoll(buf, NULL, 10);
    return errno == ERANGE ? -1 : 1;
}

/* Python float() for finite decimal literals; 1 and *d, else 0. */
static int py_float(const char *text, double *d)
{
    const char *b, *e;
    strip(text, &b, &e);
    char buf[256], *o = buf;
    if ((size_t)(e - b) >= sizeof buf - 1)
        return 0;
    const char *p = b;
    if (*p == '+' || *p == '-')
        *o++ = *p++;
    const char *q = digits(p, &o);
    int have = q != NULL;
    p = q ? q : p;
    if (*p == '.') {
        *o++ = *p++;
        q = digits(p, &o);
        have |= q != NULL;
        p = q ? q : p;
    }
    if (!have)
        return 0;
    if (*p == 'e' || *p == 'E') {
        *o++ = *p++;
        if (*p == '+' || *p == '-')
            *o++ = *p++;
        if (!(p = digits(p, &o)))
            return 0;
    }
    if (p != e)
        return 0;
    *o = 0;
    *d = strtod(buf, NULL);
    return 1;
}

int ml_coerce_value(ml_buf *out, const char *text)
{
    long long iv;
    double dv;
    if (strcasecmp(text, "true") == 0)
        return ml_buf_puts(out, "true");
    if (strcasecmp(text, "false") == 0)
        return ml_buf_puts(out, "false");
    int r = py_int(text, &iv);
    if (r < 0)
        return ML_ERANGE;
    if (r > 0)
        return ml_buf_printf(out, "%lld", iv);
    if (py_float(text, &dv)) {
        char num[32];
        if (ml_json_fmt_double(num, dv) == 0)
            return ml_buf_puts(out, num);
    }
    return ml_json_put_str(out, text, strlen(text));
}
