// SPDX-License-Identifier: MIT
// JSON as Python writes it. Event ids hash the bytes of
//   json.dumps(obj, sort_keys=True, separators=(",", ":"))      ("canonical")
// and `meshlog view` prints json.dumps(view, indent=2, sort_keys=True), so both
// are reproduced here byte for byte: keys sorted by code point, non-ASCII as
// \uXXXX (surrogate pairs above U+FFFF), short escapes \" \\ \n \r \t \b \f,
// other controls and DEL as \u00XX / \u007f, ints over the full int64 range,
// floats as Python's shortest round-trip repr (0.1, 1.0, -0.0, 1e+16, 1e-05).
// Parsing uses jansson; a value that cannot be kept exactly (int beyond int64,
// NaN, Infinity, invalid UTF-8, lone surrogate) is refused with a message that
// says where.
#ifndef MESHLOG_JSON_H
#define MESHLOG_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "meshlog/buf.h"

/* A view into canonical JSON text (not NUL-terminated, not owned). */
typedef struct ml_span {
    const char *p;
    size_t len;
} ml_span;

/* Append the canonical encoding of v to out. On failure returns ML_ERANGE
 * (NaN/Inf) or ML_EMALFORMED (invalid UTF-8 / NUL in a key / nested deeper
 * than ML_JSON_MAX_DEPTH), ML_EINVAL (v NULL) or ML_ENOMEM, appends nothing,
 * and, when err is non-NULL, writes a message naming the path, e.g.
 * `payload.value[2]: NaN`. */
int ml_json_canon(ml_buf *out, const json_t *v, char *err, size_t errlen);

/* Parse JSON text (one value, any type) and append its canonical encoding.
 * Errors: ML_EMALFORMED (syntax, invalid UTF-8, lone surrogate, NUL in a key),
 * ML_ERANGE (integer beyond int64, float overflow); err says where, as
 * `line 1, column 12 (byte 11): <jansson's text>`. Appends nothing on error. */
int ml_json_canon_text(ml_buf *out, const char *text, size_t len, char *err,
                       size_t errlen);

/* Append a JSON string literal (with quotes) for UTF-8 input, escaped as
 * Python's ensure_ascii does. ML_EMALFORMED on invalid UTF-8 (overlong forms
 * and encoded surrogates included), appending nothing. NUL bytes are fine. */
int ml_json_put_str(ml_buf *out, const char *utf8, size_t len);

/* Python repr() of a finite double into out (NUL-terminated, at most 32 bytes
 * with the NUL). ML_ERANGE for NaN or infinity. Exact integer arithmetic: no
 * dependence on the locale or on libc's printf. */
int ml_json_fmt_double(char out[32], double d);

/* Re-print canonical JSON text the way json.dumps(indent=2) does, with every
 * line after the first indented by `depth` extra levels (2 spaces each), so a
 * value can be nested inside a larger pretty document. No trailing newline.
 * Input must be canonical (as produced above: no whitespace, ASCII only);
 * ML_EMALFORMED otherwise, ML_EINVAL for depth outside 0..ML_JSON_MAX_DEPTH.
 * Appends nothing on error. */
int ml_json_pretty(ml_buf *out, const char *canon, size_t len, int depth);

/* Scanner over canonical text, with no allocation. It checks bounds on every
 * read but validates only what it walks over: a span it returns from text
 * that is not canonical may itself be malformed.
 * ml_json_get: value span of member `key` (raw UTF-8, compared with the
 *   decoded key) of the top-level object `obj`.
 *   Returns 0, ML_ENOTFOUND, or ML_EMALFORMED (obj is not an object, or is
 *   broken before the key is found). */
int ml_json_get(ml_span obj, const char *key, ml_span *val);
/* The first value of each of keys[0..n) (n <= 32) in one pass: bit i of
 * *found is set when vals[i] was found, exactly where ml_json_get(obj,
 * keys[i]) would find it. Returns 0, or the error that stopped the pass. */
int ml_json_get_many(ml_span obj, const char *const *keys, size_t n, ml_span *vals,
                     unsigned *found);
/* Type tests on a value span. */
int ml_json_is_string(ml_span v);  /* 1: exactly one string literal */
int ml_json_is_int(ml_span v);     /* 1: integer literal (no '.', 'e') */
/* Decode a JSON string literal into UTF-8 (appended to out; NUL-terminated;
 * a \u0000 becomes a NUL byte, so use out->len). ML_EINVAL if v does not
 * start with '"'; ML_EMALFORMED on a bad escape, a lone surrogate, a raw
 * control byte, no closing quote or bytes after it; nothing appended then. */
int ml_json_str_decode(ml_span v, ml_buf *out);
/* Integer literal -> int64. ML_EINVAL if not an integer, ML_ERANGE overflow. */
int ml_json_int_value(ml_span v, int64_t *out);

/* Iterate over the members of an object or the elements of an array span
 * (canonical text, no allocation). Initialise with ml_json_iter_init, then call
 * ml_json_iter_next until it returns 0. Each call returns 1 with *val (and,
 * for an object, *key: the string literal with its quotes; an empty span for
 * an array) set, 0 at the end, or ML_EMALFORMED. key may be NULL. */
typedef struct ml_json_iter {
    const char *p, *end;
    char close;     /* '}' or ']' */
    int started;    /* 0 before the first item */
} ml_json_iter;
int ml_json_iter_init(ml_json_iter *it, ml_span container);
int ml_json_iter_next(ml_json_iter *it, ml_span *key, ml_span *val);

/* How deep values may nest (the top-level value is at depth 1, so 2048
 * nested empty arrays pass and 2048 around a scalar do not): jansson's parser
 * limit, kept by the encoder and the pretty printer too, so deep input fails
 * the same way everywhere instead of exhausting the stack. */
#define ML_JSON_MAX_DEPTH 2048

/* Parse canonical (or any) JSON text into a jansson value, with the same
 * checks as ml_json_canon_text. Caller json_decref()s. NULL on error. */
json_t *ml_json_parse(const char *text, size_t len, char *err, size_t errlen);

#endif
