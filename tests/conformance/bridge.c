// SPDX-License-Identifier: MIT
// meshlog-conformance-bridge: the stdio bridge through which the Reticulum
// conformance suite (torlando-tech/reticulum-conformance) drives libmeshlog.
// It prints READY, then answers one JSON request per line
// ({"id","command","params"}) with one JSON line ({"id","success":true,
// "result":{...}} or {"id","success":false,"error":"..."}); bytes travel as
// lowercase hex, logs go to stderr, and end of input ends the program. Each
// command is a row in a table (name -> handler); the handlers live in
// cmd_*.c, one file per area, and compute every answer with the library.
// Unknown commands are answered success:false. docs/CONFORMANCE.md says how
// to run the suite against it.
#include "bridge.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "meshlog/crypto.h"
#include "meshlog/error.h"

/* ---- helpers shared by the handlers --------------------------------------- */

int br_fail(br_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    return -1;
}

int br_check(br_ctx *c, int rc, const char *what)
{
    if (rc >= 0)
        return 0;
    return br_fail(c, "%s: %s", what, ml_strerror(rc));
}

json_t *br_param(br_ctx *c, const char *key)
{
    json_t *v = json_is_object(c->params) ? json_object_get(c->params, key) : NULL;
    return json_is_null(v) ? NULL : v;
}

static int unhex_into(br_ctx *c, const char *key, const char *hex, ml_buf *out)
{
    size_t n = strlen(hex);

    ml_buf_reset(out);
    if (n % 2)
        return br_fail(c, "parameter %s: odd-length hex", key);
    if (br_check(c, ml_buf_reserve(out, n / 2 + 1), key))
        return -1;
    if (ml_unhex(out->p, n / 2, hex, n))
        return br_fail(c, "parameter %s: not hex", key);
    out->len = n / 2;
    out->p[out->len] = 0;
    return 0;
}

int br_hex_opt(br_ctx *c, const char *key, ml_buf *out, int *present)
{
    json_t *v = br_param(c, key);

    *present = 0;
    ml_buf_reset(out);
    if (!v)
        return 0;
    if (!json_is_string(v))
        return br_fail(c, "parameter %s: expected a hex string", key);
    *present = 1;
    return unhex_into(c, key, json_string_value(v), out);
}

int br_hex(br_ctx *c, const char *key, ml_buf *out)
{
    int present;

    if (br_hex_opt(c, key, out, &present))
        return -1;
    return present ? 0 : br_fail(c, "missing parameter %s", key);
}

int br_hex_fixed(br_ctx *c, const char *key, uint8_t *out, size_t n)
{
    ml_buf b = ML_BUF_INIT;
    int ret = br_hex(c, key, &b);

    if (!ret && b.len != n)
        ret = br_fail(c, "parameter %s: expected %zu bytes, got %zu", key, n, b.len);
    if (!ret)
        memcpy(out, b.p, n);
    ml_wipe(b.p, b.len);
    ml_buf_free(&b);
    return ret;
}

int br_str(br_ctx *c, const char *key, const char **out)
{
    json_t *v = br_param(c, key);

    if (!json_is_string(v))
        return br_fail(c, "missing string parameter %s", key);
    *out = json_string_value(v);
    return 0;
}

int br_int(br_ctx *c, const char *key, long long def, long long *out)
{
    json_t *v = br_param(c, key);
    char *end;

    *out = def;
    if (!v)
        return 0;
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 0;
    }
    if (json_is_string(v) && *json_string_value(v)) {
        *out = strtoll(json_string_value(v), &end, 0);
        if (*end == '\0')
            return 0;
    }
    return br_fail(c, "parameter %s: expected an integer", key);
}

int br_bool(br_ctx *c, const char *key, int def, int *out)
{
    json_t *v = br_param(c, key);

    *out = def;
    if (!v)
        return 0;
    if (json_is_boolean(v) || json_is_integer(v)) {
        *out = json_is_true(v) || (json_is_integer(v) && json_integer_value(v) != 0);
        return 0;
    }
    return br_fail(c, "parameter %s: expected a boolean", key);
}

int br_split(br_ctx *c, const char *s, char delim, const char **names, size_t max,
             size_t *n, ml_buf *scratch)
{
    char *p;

    *n = 0;
    ml_buf_reset(scratch);
    if (br_check(c, ml_buf_append(scratch, s, strlen(s) + 1), "split"))
        return -1;
    for (p = (char *)scratch->p; *s && p; (*n)++) {
        if (*n == max)
            return br_fail(c, "too many name parts (max %zu)", max);
        names[*n] = p;
        if ((p = strchr(p, delim)))
            *p++ = '\0';
    }
    return 0;
}

int br_aspects(br_ctx *c, const char *key, const char **names, size_t max, size_t *n,
               ml_buf *scratch)
{
    json_t *v = br_param(c, key), *e;
    size_t i;

    *n = 0;
    if (!v)
        return 0;
    if (json_is_string(v))
        return br_split(c, json_string_value(v), ',', names, max, n, scratch);
    if (!json_is_array(v))
        return br_fail(c, "parameter %s: expected a list of strings", key);
    if (json_array_size(v) > max)
        return br_fail(c, "too many aspects (max %zu)", max);
    json_array_foreach(v, i, e) {
        if (!json_is_string(e))
            return br_fail(c, "parameter %s: expected a list of strings", key);
        names[(*n)++] = json_string_value(e);
    }
    return 0;
}

int br_set(br_ctx *c, const char *key, json_t *v)
{
    if (!v || json_object_set_new(c->result, key, v))
        return br_fail(c, "out of memory");
    return 0;
}

int br_set_hex(br_ctx *c, const char *key, const uint8_t *p, size_t n)
{
    char *hex = malloc(2 * n + 1);
    int ret;

    if (!hex)
        return br_fail(c, "out of memory");
    ml_hex(hex, p, n);
    ret = br_set(c, key, json_string(hex));
    free(hex);
    return ret;
}

int br_set_buf(br_ctx *c, const char *key, const ml_buf *b)
{
    return br_set_hex(c, key, b->p, b->len);
}

int br_set_int(br_ctx *c, const char *key, long long v)
{
    return br_set(c, key, json_integer(v));
}

int br_set_bool(br_ctx *c, const char *key, int v)
{
    return br_set(c, key, json_boolean(v));
}

int br_set_str(br_ctx *c, const char *key, const char *s)
{
    return br_set(c, key, json_string(s));
}

int br_set_null(br_ctx *c, const char *key)
{
    return br_set(c, key, json_null());
}

int br_random(br_ctx *c, void *out, size_t n)
{
    return br_check(c, ml_random(out, n), "random");
}

/* ---- dispatch -------------------------------------------------------------- */

static const br_cmd *const tables[] = {
    br_crypto_cmds,    br_identity_cmds, br_packet_cmds, br_framing_cmds,
    br_wire_cmds,      br_dest_cmds,     br_config_cmds, br_transport_cmds,
    br_link_cmds,      br_proof_cmds,    br_resource_cmds,  br_channel_cmds,   br_buffer_cmds,
};

static br_fn lookup(const char *name)
{
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const br_cmd *cmd = tables[t]; cmd->name; cmd++)
            if (strcmp(cmd->name, name) == 0)
                return cmd->fn;
    return NULL;
}

/* Runs one request; returns the answer object (owned by the caller). */
static json_t *answer(json_t *req)
{
    json_t *id = json_is_object(req) ? json_object_get(req, "id") : NULL;
    json_t *cmdv = json_is_object(req) ? json_object_get(req, "command") : NULL;
    json_t *ans = json_object();
    br_ctx c = {.params = json_is_object(req) ? json_object_get(req, "params") : NULL};
    br_fn fn = NULL;

    json_object_set(ans, "id", id ? id : json_null());
    if (!json_is_string(cmdv))
        br_fail(&c, "request without a command");
    else if (!(fn = lookup(json_string_value(cmdv))))
        br_fail(&c, "unknown command: %s", json_string_value(cmdv));
    else if (c.params && !json_is_object(c.params)) {
        fn = NULL;
        br_fail(&c, "params must be an object");
    }
    if (fn) {
        c.result = json_object();
        if (fn(&c) == 0) {
            json_object_set_new(ans, "success", json_true());
            json_object_set_new(ans, "result", c.result);
            return ans;
        }
        json_decref(c.result);
    }
    json_object_set_new(ans, "success", json_false());
    json_object_set_new(ans, "error", json_string(c.err[0] ? c.err : "command failed"));
    return ans;
}

static void reply(json_t *ans)
{
    char *line = json_dumps(ans, JSON_COMPACT);

    if (line) {
        fputs(line, stdout);
        fputc('\n', stdout);
        free(line);
    } else {
        fputs("{\"id\":null,\"success\":false,\"error\":\"cannot encode answer\"}\n", stdout);
    }
    fflush(stdout);
}

/* Answers one request line. */
static void handle_line(const char *line)
{
    json_error_t jerr;
    json_t *req, *ans;

    if (strspn(line, " \t\r") == strlen(line))
        return;
    req = json_loads(line, 0, &jerr);
    if (!req) {
        fprintf(stderr, "bridge: bad request line: %s\n", jerr.text);
        ans = json_pack("{s:n,s:b,s:s}", "id", "success", 0, "error", "request is not JSON");
    } else {
        ans = answer(req);
    }
    reply(ans);
    json_decref(ans);
    json_decref(req);
}

/* Waits for input while the live peers' loop keeps running: stdin and the
 * loop's backend are polled together. 1 when stdin is readable or closed. */
static int wait_input(void)
{
    for (;;) {
        uv_loop_t *loop = br_wire_loop();
        struct pollfd p[2] = {{.fd = 0, .events = POLLIN}, {.fd = -1, .events = POLLIN}};
        int timeout = -1, r;
        if (loop) {
            p[1].fd = uv_backend_fd(loop);
            timeout = uv_backend_timeout(loop);
            if (timeout < 0 || timeout > 100)
                timeout = 100;
        }
        r = poll(p, 2, timeout);
        if (r < 0 && errno != EINTR)
            return 0;
        if (loop)
            uv_run(loop, UV_RUN_NOWAIT);
        if (r > 0 && p[0].revents)
            return 1;
    }
}

int main(void)
{
    ml_buf in = ML_BUF_INIT;
    char chunk[65536];
    ssize_t n;

    fputs("READY\n", stdout);
    fflush(stdout);
    for (;;) {
        char *nl;
        if (!wait_input())
            break;
        n = read(0, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (ml_buf_append(&in, chunk, (size_t)n))
            break;
        /* each complete line is one request; a partial one waits for more */
        while ((nl = memchr(in.p, '\n', in.len))) {
            size_t len = (size_t)(nl - (char *)in.p) + 1;
            *nl = '\0';
            handle_line((const char *)in.p);
            memmove(in.p, in.p + len, in.len - len);
            in.len -= len;
        }
    }
    if (in.len && ml_buf_putc(&in, 0) == 0)
        handle_line((const char *)in.p);
    ml_buf_free(&in);
    br_wire_shutdown();
    return 0;
}
