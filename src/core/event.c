// SPDX-License-Identifier: MIT
// Events: canonical bytes, ids, and the seed's JSON line format. The canonical
// bytes are assembled directly (keys already in sorted order: author, hlc,
// kind, payload, prev, seq) because the payload is kept canonical already;
// this is the hot path of ingest.
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/event.h"
#include "meshlog/json.h"

void ml_event_clear(ml_event *ev)
{
    if (!ev)
        return;
    free(ev->author);
    free(ev->kind);
    free(ev->payload);
    memset(ev, 0, sizeof *ev);
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

int ml_event_copy(ml_event *dst, const ml_event *src)
{
    *dst = *src;
    dst->author = dup_n(src->author, strlen(src->author));
    dst->kind = dup_n(src->kind, strlen(src->kind));
    dst->payload = dup_n(src->payload, src->payload_len);
    if (!dst->author || !dst->kind || !dst->payload) {
        ml_event_clear(dst);
        return ML_ENOMEM;
    }
    return 0;
}

void ml_id_hex(char out[2 * ML_ID_LEN + 1], const ml_id *id)
{
    ml_hex(out, id->b, ML_ID_LEN);
}

int ml_id_equal(const ml_id *a, const ml_id *b)
{
    return memcmp(a->b, b->b, ML_ID_LEN) == 0;
}

/* Decimal digits of v at the end of buf[24]; returns the start. snprintf
 * costs more than hashing here, on the hottest path of ingest. */
static char *fmt_i64(char buf[24], int64_t v)
{
    char *p = buf + 24;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    return p;
}

static int put_i64(ml_buf *out, int64_t v)
{
    char buf[24];
    char *p = fmt_i64(buf, v);
    return ml_buf_append(out, p, (size_t)(buf + 24 - p));
}

int ml_event_canonical(const ml_event *ev, ml_buf *out)
{
    int rc;
    if ((rc = ml_buf_append(out, "{\"author\":", 10)))
        return rc;
    if ((rc = ml_json_put_str(out, ev->author, strlen(ev->author))))
        return rc;
    if ((rc = ml_buf_append(out, ",\"hlc\":[", 8)) || (rc = put_i64(out, ev->hlc.wall)) ||
        (rc = ml_buf_putc(out, ',')) || (rc = put_i64(out, ev->hlc.counter)) ||
        (rc = ml_buf_append(out, "],\"kind\":", 9)))
        return rc;
    if ((rc = ml_json_put_str(out, ev->kind, strlen(ev->kind))))
        return rc;
    if ((rc = ml_buf_append(out, ",\"payload\":", 11)))
        return rc;
    if ((rc = ml_buf_append(out, ev->payload, ev->payload_len)))
        return rc;
    char prev[2 * ML_ID_LEN + 1] = "";
    if (ev->has_prev)
        ml_id_hex(prev, &ev->prev);
    if ((rc = ml_buf_append(out, ",\"prev\":\"", 9)) ||
        (rc = ml_buf_append(out, prev, ev->has_prev ? 2 * ML_ID_LEN : 0)) ||
        (rc = ml_buf_append(out, "\",\"seq\":", 8)) || (rc = put_i64(out, ev->seq)))
        return rc;
    return ml_buf_putc(out, '}');
}

int ml_event_compute_id(const ml_event *ev, ml_id *id, ml_buf *scratch)
{
    ml_buf_reset(scratch);
    int rc = ml_event_canonical(ev, scratch);
    if (rc)
        return rc;
    uint8_t h[32];
    ml_sha256(h, scratch->p, scratch->len);
    memcpy(id->b, h, ML_ID_LEN);
    return 0;
}

int ml_event_seal(ml_event *ev, ml_buf *scratch)
{
    return ml_event_compute_id(ev, &ev->id, scratch);
}

int ml_event_order(const ml_stamp *sa, const char *aa, int64_t qa,
                   const ml_stamp *sb, const char *ab, int64_t qb)
{
    if (sa->wall != sb->wall)
        return sa->wall < sb->wall ? -1 : 1;
    if (sa->counter != sb->counter)
        return sa->counter < sb->counter ? -1 : 1;
    int c = strcmp(aa, ab);   /* UTF-8 byte order == code point order */
    if (c)
        return c < 0 ? -1 : 1;
    if (qa != qb)
        return qa < qb ? -1 : 1;
    return 0;
}

/* ---- the seed's line format ----------------------------------------------- */

/* Messages are built from a fixed subject and predicate, so no caller-made
 * format strings exist. */
static int line_err(char *err, size_t errlen, int rc, const char *subject, const char *rest)
{
    if (err && errlen)
        snprintf(err, errlen, "%s%s", subject, rest);
    return rc;
}

static int take_string(char **dst, const json_t *v, const char *name, char *err, size_t errlen)
{
    if (!json_is_string(v))
        return line_err(err, errlen, ML_EMALFORMED, name, " must be a string");
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (memchr(s, 0, n))
        return line_err(err, errlen, ML_EMALFORMED, name, " contains a NUL character");
    *dst = dup_n(s, n);
    return *dst ? 0 : ML_ENOMEM;
}

static int take_hex(uint8_t *dst, size_t n, const json_t *v, const char *name, char *err,
                    size_t errlen)
{
    const char *s = json_string_value(v);
    if (!s || ml_unhex(dst, n, s, strlen(s)))
        return line_err(err, errlen, ML_EMALFORMED, name, " must be lowercase hex");
    return 0;
}

static int take_hlc(ml_event *ev, const json_t *h, char *err, size_t errlen)
{
    if (!json_is_array(h) || json_array_size(h) != 2 ||
        !json_is_integer(json_array_get(h, 0)) || !json_is_integer(json_array_get(h, 1)))
        return line_err(err, errlen, ML_EMALFORMED, "\"h\"", " must be [wall_ms, counter] integers");
    ev->hlc.wall = json_integer_value(json_array_get(h, 0));
    ev->hlc.counter = json_integer_value(json_array_get(h, 1));
    if (ev->hlc.wall < 0 || ev->hlc.counter < 0)
        return line_err(err, errlen, ML_ERANGE, "\"h\"", " must not be negative");
    return 0;
}

static int take_prev(ml_event *ev, const json_t *v, char *err, size_t errlen)
{
    const char *s = json_string_value(v);
    if (!s)
        return line_err(err, errlen, ML_EMALFORMED, "\"v\"", " must be a string");
    ev->has_prev = *s != 0;
    if (ev->has_prev)
        return take_hex(ev->prev.b, ML_ID_LEN, v, "\"v\"", err, errlen);
    return 0;
}

static int take_payload(ml_event *ev, const json_t *p, char *err, size_t errlen)
{
    if (!json_is_object(p))
        return line_err(err, errlen, ML_EMALFORMED, "\"p\"", " must be an object");
    ml_buf b = ML_BUF_INIT;
    char sub[200];
    int rc = ml_json_canon(&b, p, sub, sizeof sub);
    if (rc) {
        ml_buf_free(&b);
        return line_err(err, errlen, rc, "payload: ", sub);
    }
    ev->payload = (char *)b.p;
    ev->payload_len = b.len;
    return 0;
}

int ml_event_from_line(ml_event *ev, const json_t *o, char *err, size_t errlen)
{
    int rc;
    if (!json_is_object(o))
        return line_err(err, errlen, ML_EMALFORMED, "line is not a JSON object", "");
    const json_t *s = json_object_get(o, "s");
    if (!json_is_integer(s) || json_integer_value(s) < 1)
        return line_err(err, errlen, ML_EMALFORMED, "\"s\"", " must be an integer >= 1");
    ev->seq = json_integer_value(s);
    if ((rc = take_string(&ev->author, json_object_get(o, "a"), "\"a\"", err, errlen)) ||
        (rc = take_string(&ev->kind, json_object_get(o, "k"), "\"k\"", err, errlen)) ||
        (rc = take_hlc(ev, json_object_get(o, "h"), err, errlen)) ||
        (rc = take_prev(ev, json_object_get(o, "v"), err, errlen)) ||
        (rc = take_payload(ev, json_object_get(o, "p"), err, errlen)))
        goto out;
    ev->has_claimed = json_object_get(o, "i") != NULL;
    if (ev->has_claimed &&
        (rc = take_hex(ev->claimed.b, ML_ID_LEN, json_object_get(o, "i"), "\"i\"", err, errlen)))
        goto out;
    const json_t *g = json_object_get(o, "g");
    ev->has_sig = g != NULL && !json_is_null(g);
    if (ev->has_sig && (rc = take_hex(ev->sig, ML_SIG_LEN, g, "\"g\"", err, errlen)))
        goto out;
    rc = 0;
out:
    if (rc)
        ml_event_clear(ev);
    return rc;
}

/* Python's default json.dumps separators (", " and ": ") over canonical text:
 * insert a space after every ',' and ':' outside strings. */
static int loosen(ml_buf *out, const char *s, size_t n)
{
    int in_str = 0, rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        char c = s[i];
        rc = ml_buf_putc(out, (uint8_t)c);
        if (in_str) {
            if (c == '\\' && i + 1 < n)
                rc = rc ? rc : ml_buf_putc(out, (uint8_t)s[++i]);
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == ',' || c == ':') {
            rc = rc ? rc : ml_buf_putc(out, ' ');
        }
    }
    return rc;
}

int ml_event_to_line(const ml_event *ev, ml_buf *out)
{
    char tmp[200];
    char prev[2 * ML_ID_LEN + 1] = "", id[2 * ML_ID_LEN + 1];
    int rc;
    if (ev->has_prev)
        ml_id_hex(prev, &ev->prev);
    ml_id_hex(id, &ev->id);
    if ((rc = ml_buf_puts(out, "{\"a\": ")) ||
        (rc = ml_json_put_str(out, ev->author, strlen(ev->author))))
        return rc;
    snprintf(tmp, sizeof tmp, ", \"s\": %" PRId64 ", \"h\": [%" PRId64 ", %" PRId64 "], \"k\": ",
             ev->seq, ev->hlc.wall, ev->hlc.counter);
    if ((rc = ml_buf_puts(out, tmp)) ||
        (rc = ml_json_put_str(out, ev->kind, strlen(ev->kind))) ||
        (rc = ml_buf_puts(out, ", \"p\": ")) ||
        (rc = loosen(out, ev->payload, ev->payload_len)))
        return rc;
    snprintf(tmp, sizeof tmp, ", \"v\": \"%s\", \"i\": \"%s\"", prev, id);
    if ((rc = ml_buf_puts(out, tmp)))
        return rc;
    if (ev->has_sig) {
        char sig[2 * ML_SIG_LEN + 1];
        ml_hex(sig, ev->sig, ML_SIG_LEN);
        if ((rc = ml_buf_printf(out, ", \"g\": \"%s\"", sig)))
            return rc;
    }
    return ml_buf_puts(out, "}\n");
}
