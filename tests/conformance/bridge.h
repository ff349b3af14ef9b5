// SPDX-License-Identifier: MIT
// Shared pieces of the conformance bridge (meshlog-conformance-bridge): the
// handler signature, the per-area command tables, and the helpers handlers
// use to read request parameters and write results. A handler reads
// c->params, calls libmeshlog, and fills c->result; on failure it returns
// nonzero after br_fail() has set c->err, and the loop answers success:false.
#ifndef MESHLOG_CONFORMANCE_BRIDGE_H
#define MESHLOG_CONFORMANCE_BRIDGE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "meshlog/buf.h"

typedef struct br_ctx {
    json_t *params;   /* borrowed: the request's params object */
    json_t *result;   /* owned by the loop: the answer's result object */
    char err[512];    /* set by br_fail() */
} br_ctx;

typedef int (*br_fn)(br_ctx *c);

typedef struct br_cmd {
    const char *name;
    br_fn fn;
} br_cmd;

/* Command tables, one per area, each ended by {NULL, NULL}. */
extern const br_cmd br_crypto_cmds[];
extern const br_cmd br_identity_cmds[];
extern const br_cmd br_packet_cmds[];
extern const br_cmd br_framing_cmds[];
extern const br_cmd br_wire_cmds[];
extern const br_cmd br_dest_cmds[];
extern const br_cmd br_config_cmds[];
extern const br_cmd br_transport_cmds[];
extern const br_cmd br_link_cmds[];
extern const br_cmd br_proof_cmds[];
extern const br_cmd br_resource_cmds[];
extern const br_cmd br_channel_cmds[];
extern const br_cmd br_buffer_cmds[];

/* The live peers' shared libuv loop (cmd_wire.c): NULL until a wire_start_*
 * made one. br_wire_pump() waits up to max_ms for its sockets or timers and
 * runs what is ready; br_wire_shutdown() stops every peer. */
uv_loop_t *br_wire_loop(void);
void br_wire_pump(int max_ms);
void br_wire_shutdown(void);

/* Sets c->err and returns -1. */
int br_fail(br_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* rc < 0: fails with "what: <ml_strerror(rc)>" and returns -1; else 0. */
int br_check(br_ctx *c, int rc, const char *what);

/* ---- parameters ---------------------------------------------------------- */
/* A present, non-null parameter, or NULL. */
json_t *br_param(br_ctx *c, const char *key);
/* Required hex parameter, decoded and appended to out (reset first). */
int br_hex(br_ctx *c, const char *key, ml_buf *out);
/* Optional hex: absent or null gives *present = 0 and an empty out. */
int br_hex_opt(br_ctx *c, const char *key, ml_buf *out, int *present);
/* Required hex of exactly n bytes. */
int br_hex_fixed(br_ctx *c, const char *key, uint8_t *out, size_t n);
/* Required string. */
int br_str(br_ctx *c, const char *key, const char **out);
/* Optional integer (JSON integer, or a string of digits): def when absent. */
int br_int(br_ctx *c, const char *key, long long def, long long *out);
/* Optional boolean (JSON true/false or integer): def when absent. */
int br_bool(br_ctx *c, const char *key, int def, int *out);
/* Splits s at each delim into up to max parts, copied into scratch; "" gives
 * no parts. *n set. */
int br_split(br_ctx *c, const char *s, char delim, const char **names, size_t max,
             size_t *n, ml_buf *scratch);
/* The aspects parameter: a list of strings or one comma-separated string.
 * Fills up to max pointers into names (borrowed from params, or into
 * scratch for the string form); *n set. */
int br_aspects(br_ctx *c, const char *key, const char **names, size_t max, size_t *n,
               ml_buf *scratch);

/* ---- results --------------------------------------------------------------- */
int br_set_hex(br_ctx *c, const char *key, const uint8_t *p, size_t n);
int br_set_buf(br_ctx *c, const char *key, const ml_buf *b);
int br_set_int(br_ctx *c, const char *key, long long v);
int br_set_bool(br_ctx *c, const char *key, int v);
int br_set_str(br_ctx *c, const char *key, const char *s);
int br_set_null(br_ctx *c, const char *key);
/* Takes ownership of v. */
int br_set(br_ctx *c, const char *key, json_t *v);

/* Fresh random bytes from the library's CSPRNG. */
int br_random(br_ctx *c, void *out, size_t n);

#endif
