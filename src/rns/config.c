// SPDX-License-Identifier: MIT
// Reticulum config files and interface sections (rns_config.h).
#include "meshlog/rns_config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "meshlog/buf.h"
#include "meshlog/error.h"
#include "meshlog/rns_framing.h"
#include "meshlog/rns_ifac.h"

/* ---- interface classes ----------------------------------------------------- */

static const rns_iface_class classes[] = {
    /* type, DEFAULT_IFAC_SIZE, BITRATE_GUESS, class HW_MTU, AUTOCONFIGURE_MTU,
     * supports_discovery */
    {"TCPInterface", 16, 10000000u, 262144, 1, 0},
    {"TCPServerInterface", 16, 10000000u, 262144, 1, 1},
    {"TCPClientInterface", 16, 10000000u, 262144, 1, 1},
    {"BackboneInterface", 16, 1000000000u, 1048576, 1, 1},
    {"BackboneClientInterface", 16, 100000000u, 1048576, 1, 1},
    {"AutoInterface", 16, 10000000u, 1196, 0, 0},
    {"UDPInterface", 16, 10000000u, 0, 0, 0},
    {"I2PInterface", 16, 256000u, 0, 0, 1},
    {"WeaveInterface", 16, 250000u, 1024, 0, 1},
    {"LocalInterface", 16, RNS_BASE_BITRATE, 0, 1, 0},
    {"SerialInterface", 8, RNS_BASE_BITRATE, 0, 0, 0},
    {"KISSInterface", 8, 1200u, 0, 0, 0},
    {"AX25KISSInterface", 8, 1200u, 0, 0, 0},
    {"RNodeInterface", 8, RNS_BASE_BITRATE, 0, 0, 1},
    {"RNodeMultiInterface", 8, RNS_BASE_BITRATE, 0, 0, 0},
    {"PipeInterface", 8, 1000000u, 0, 0, 0},
};

static const rns_iface_class external_class = {"", 16, RNS_BASE_BITRATE, 0, 0, 0};

const rns_iface_class *rns_iface_class_find(const char *type)
{
    if (!type)
        return NULL;
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
        if (strcmp(classes[i].type, type) == 0)
            return &classes[i];
    return NULL;
}

const rns_iface_class *rns_iface_class_external(void) { return &external_class; }

/* ---- the parsed tree ----------------------------------------------------------- */

typedef struct cfg_kv {
    char *key;
    char *value;     /* unquoted; lists joined with ", " */
    char **items;    /* list items, NULL for a scalar */
    size_t n_items;
} cfg_kv;

struct rns_cfg_section {
    char *name;
    int depth;
    rns_cfg_section *parent;
    cfg_kv *kv;
    size_t n_kv;
    rns_cfg_section **subs;
    size_t n_subs;
};

struct rns_cfg {
    rns_cfg_section root;
};

static void section_clear(rns_cfg_section *s)
{
    for (size_t i = 0; i < s->n_kv; i++) {
        free(s->kv[i].key);
        free(s->kv[i].value);
        for (size_t j = 0; s->kv[i].items && j < s->kv[i].n_items; j++)
            free(s->kv[i].items[j]);
        free(s->kv[i].items);
    }
    free(s->kv);
    for (size_t i = 0; i < s->n_subs; i++) {
        section_clear(s->subs[i]);
        free(s->subs[i]);
    }
    free(s->subs);
    free(s->name);
}

void rns_cfg_free(rns_cfg *cfg)
{
    if (!cfg)
        return;
    section_clear(&cfg->root);
    free(cfg);
}

const rns_cfg_section *rns_cfg_root(const rns_cfg *cfg) { return cfg ? &cfg->root : NULL; }

const rns_cfg_section *rns_cfg_sub(const rns_cfg_section *s, const char *name)
{
    if (!s || !name)
        return NULL;
    for (size_t i = 0; i < s->n_subs; i++)
        if (strcmp(s->subs[i]->name, name) == 0)
            return s->subs[i];
    return NULL;
}

const rns_cfg_section *rns_cfg_sub_at(const rns_cfg_section *s, size_t i, const char **name)
{
    if (!s || i >= s->n_subs)
        return NULL;
    if (name)
        *name = s->subs[i]->name;
    return s->subs[i];
}

static const cfg_kv *find_kv(const rns_cfg_section *s, const char *key)
{
    if (!s || !key)
        return NULL;
    for (size_t i = 0; i < s->n_kv; i++)
        if (strcmp(s->kv[i].key, key) == 0)
            return &s->kv[i];
    return NULL;
}

const char *rns_cfg_get(const rns_cfg_section *s, const char *key, size_t *n_items)
{
    const cfg_kv *kv = find_kv(s, key);
    if (n_items)
        *n_items = kv ? (kv->items ? kv->n_items : 1) : 0;
    return kv ? kv->value : NULL;
}

const char *rns_cfg_item(const rns_cfg_section *s, const char *key, size_t i)
{
    const cfg_kv *kv = find_kv(s, key);
    if (!kv)
        return NULL;
    if (!kv->items)
        return i == 0 ? kv->value : NULL;
    return i < kv->n_items ? kv->items[i] : NULL;
}

/* A scalar value, or NULL with *rc set (absent, or a list). */
static const char *scalar(const rns_cfg_section *s, const char *key, int *rc)
{
    const cfg_kv *kv = find_kv(s, key);
    *rc = !kv ? ML_ENOTFOUND : kv->items ? ML_EMALFORMED : 0;
    return *rc ? NULL : kv->value;
}

int rns_cfg_bool(const rns_cfg_section *s, const char *key, int *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    int rc;
    const char *v = scalar(s, key, &rc);

    if (!v)
        return rc;
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return ML_EMALFORMED;
}

int rns_cfg_int(const rns_cfg_section *s, const char *key, long long *out)
{
    int rc;
    const char *v = scalar(s, key, &rc);
    char *end;
    long long x;

    if (!v)
        return rc;
    while (isspace((unsigned char)*v))
        v++;
    if (!*v)
        return ML_EMALFORMED;
    errno = 0;
    x = strtoll(v, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (*end || errno)
        return ML_EMALFORMED;
    *out = x;
    return 0;
}

int rns_cfg_float(const rns_cfg_section *s, const char *key, double *out)
{
    int rc;
    const char *v = scalar(s, key, &rc);
    char *end;
    double x;

    if (!v)
        return rc;
    while (isspace((unsigned char)*v))
        v++;
    if (!*v)
        return ML_EMALFORMED;
    x = strtod(v, &end);
    while (isspace((unsigned char)*end))
        end++;
    if (*end || isnan(x))
        return ML_EMALFORMED;
    *out = x;
    return 0;
}

/* ---- parser ----------------------------------------------------------------------- */

typedef struct parser {
    const char *p, *end;
    unsigned line;
    char *err;
    size_t errlen;
} parser;

static int perr(parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(parser *ps, const char *fmt, ...)
{
    if (ps->err && ps->errlen) {
        va_list ap;
        int n = snprintf(ps->err, ps->errlen, "line %u: ", ps->line);
        va_start(ap, fmt);
        if (n >= 0 && (size_t)n < ps->errlen)
            vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return ML_EMALFORMED;
}

static char *dup_range(const char *a, const char *b)
{
    size_t n = (size_t)(b - a);
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, a, n);
        s[n] = '\0';
    }
    return s;
}

static const char *skip_ws(const char *a, const char *b)
{
    while (a < b && (*a == ' ' || *a == '\t'))
        a++;
    return a;
}

static const char *trim_end(const char *a, const char *b)
{
    while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r'))
        b--;
    return b;
}

/* One value element starting at *pp: a quoted string, or unquoted text up to
 * a comma or a comment. *out gets a copy; *pp moves past it. */
static int value_element(parser *ps, const char **pp, const char *end, char **out)
{
    const char *a = skip_ws(*pp, end), *b;

    if (a < end && (*a == '"' || *a == '\'')) {
        char q = *a++;
        b = memchr(a, q, (size_t)(end - a));
        if (!b)
            return perr(ps, "unterminated quoted value");
        *out = dup_range(a, b);
        *pp = b + 1;
    } else {
        b = a;
        while (b < end && *b != ',' && *b != '#')
            b++;
        *out = dup_range(a, trim_end(a, b));
        *pp = b;
    }
    return *out ? 0 : ML_ENOMEM;
}

static int add_kv(parser *ps, rns_cfg_section *s, char *key, const char *v, const char *end)
{
    cfg_kv kv = {key, NULL, NULL, 0};
    char **items = NULL;
    size_t n = 0, total = 0;
    int list = 0, rc = 0;

    for (;;) {
        char *item = NULL, **grown;
        const char *after;
        if ((rc = value_element(ps, &v, end, &item)))
            goto fail;
        grown = realloc(items, (n + 1) * sizeof *items);
        if (!grown) {
            free(item);
            rc = ML_ENOMEM;
            goto fail;
        }
        items = grown;
        items[n++] = item;
        total += strlen(item) + 2;
        after = skip_ws(v, end);
        if (after < end && *after == ',') {
            list = 1;
            v = after + 1;
            /* "a," is a one-item list; "a, # c" too. */
            if (skip_ws(v, end) == end || *skip_ws(v, end) == '#')
                break;
            continue;
        }
        if (after < end && *after != '#') {
            rc = perr(ps, "unexpected text after the value of %s", key);
            goto fail;
        }
        break;
    }
    if (find_kv(s, key)) {
        rc = perr(ps, "duplicate key %s", key);
        goto fail;
    }
    kv.value = malloc(total + 1);
    if (!kv.value) {
        rc = ML_ENOMEM;
        goto fail;
    }
    kv.value[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(kv.value, ", ");
        strcat(kv.value, items[i]);
    }
    if (list) {
        kv.items = items;
        kv.n_items = n;
        items = NULL;
    }
    {
        cfg_kv *grown = realloc(s->kv, (s->n_kv + 1) * sizeof *grown);
        if (!grown) {
            free(kv.value);
            free(kv.items);
            kv.items = NULL;
            rc = ML_ENOMEM;
            goto fail;
        }
        s->kv = grown;
        s->kv[s->n_kv++] = kv;
    }
    for (size_t i = 0; items && i < n; i++)
        free(items[i]);
    free(items);
    return 0;
fail:
    for (size_t i = 0; items && i < n; i++)
        free(items[i]);
    free(items);
    free(key);
    return rc;
}

static int add_section(parser *ps, rns_cfg_section **cur, int depth, char *name)
{
    rns_cfg_section *parent = *cur, *s, **grown;

    if (depth > parent->depth + 1) {
        int rc = perr(ps, "section %s is nested more than one level below its parent", name);
        free(name);
        return rc;
    }
    while (parent->depth >= depth)
        parent = parent->parent;
    if (rns_cfg_sub(parent, name)) {
        int rc = perr(ps, "duplicate section %s", name);
        free(name);
        return rc;
    }
    s = calloc(1, sizeof *s);
    grown = s ? realloc(parent->subs, (parent->n_subs + 1) * sizeof *grown) : NULL;
    if (!grown) {
        free(s);
        free(name);
        return ML_ENOMEM;
    }
    parent->subs = grown;
    s->name = name;
    s->depth = depth;
    s->parent = parent;
    parent->subs[parent->n_subs++] = s;
    *cur = s;
    return 0;
}

static int parse_line(parser *ps, rns_cfg_section **cur, const char *a, const char *b)
{
    a = skip_ws(a, b);
    b = trim_end(a, b);
    if (a == b || *a == '#')
        return 0;
    if (*a == '[') {
        int open = 0, close = 0;
        const char *n, *e;
        while (a < b && *a == '[') {
            open++;
            a++;
        }
        e = b;
        /* a trailing comment after the brackets */
        for (const char *q = a; q < b; q++)
            if (*q == '#') {
                e = trim_end(a, q);
                break;
            }
        while (e > a && e[-1] == ']') {
            close++;
            e--;
        }
        if (open != close)
            return perr(ps, "unbalanced brackets in a section marker");
        n = skip_ws(a, e);
        e = trim_end(n, e);
        if (n == e)
            return perr(ps, "empty section name");
        {
            char *name = dup_range(n, e);
            if (!name)
                return ML_ENOMEM;
            return add_section(ps, cur, open, name);
        }
    }
    {
        const char *eq = memchr(a, '=', (size_t)(b - a));
        char *key;
        if (!eq)
            return perr(ps, "expected \"key = value\" or a [section]");
        if (trim_end(a, eq) == a)
            return perr(ps, "empty key");
        key = dup_range(a, trim_end(a, eq));
        if (!key)
            return ML_ENOMEM;
        return add_kv(ps, *cur, key, eq + 1, b);
    }
}

int rns_cfg_parse(rns_cfg **out, const char *text, size_t len, char *err, size_t errlen)
{
    parser ps = {text, text + len, 0, err, errlen};
    rns_cfg *cfg;
    rns_cfg_section *cur;
    int rc = 0;

    if (err && errlen)
        err[0] = '\0';
    if (!out || (!text && len))
        return ML_EINVAL;
    cfg = calloc(1, sizeof *cfg);
    if (!cfg)
        return ML_ENOMEM;
    cur = &cfg->root;
    while (ps.p < ps.end && !rc) {
        const char *nl = memchr(ps.p, '\n', (size_t)(ps.end - ps.p));
        const char *eol = nl ? nl : ps.end;
        ps.line++;
        if (memchr(ps.p, '\0', (size_t)(eol - ps.p)))
            rc = perr(&ps, "NUL byte in the text");
        else
            rc = parse_line(&ps, &cur, ps.p, eol);
        ps.p = nl ? nl + 1 : ps.end;
    }
    if (rc) {
        rns_cfg_free(cfg);
        return rc;
    }
    *out = cfg;
    return 0;
}

int rns_cfg_hash_list(const char *const *items, size_t n, uint8_t (*out)[16], size_t max,
                      size_t *n_out, char *err, size_t errlen)
{
    *n_out = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t h[16];
        size_t k;
        if (!items[i] || strlen(items[i]) != 32 || ml_unhex(h, sizeof h, items[i], 32) != 0) {
            if (err && errlen)
                snprintf(err, errlen, "identity hash %s is not 32 hex digits",
                         items[i] ? items[i] : "(null)");
            return ML_EMALFORMED;
        }
        for (k = 0; k < *n_out && memcmp(out[k], h, 16); k++)
            ;
        if (k < *n_out)
            continue;
        if (*n_out == max)
            return ML_ETOOBIG;
        memcpy(out[(*n_out)++], h, 16);
    }
    return 0;
}

int rns_cfg_rpc_key(const char *hex, uint8_t *out, size_t max, size_t *n_out)
{
    size_t len = hex ? strlen(hex) : 0;

    *n_out = 0;
    if (len == 0 || len % 2)
        return ML_EMALFORMED;
    if (len / 2 > max)
        return ML_ETOOBIG;
    if (ml_unhex(out, len / 2, hex, len))
        return ML_EMALFORMED;
    *n_out = len / 2;
    return 0;
}

/* ---- interface sections ------------------------------------------------------------ */

static int mode_of(const char *v)
{
    static const struct {
        const char *name;
        int mode;
    } names[] = {
        {"full", RNS_MODE_FULL},          {"access_point", RNS_MODE_ACCESS_POINT},
        {"accesspoint", RNS_MODE_ACCESS_POINT}, {"ap", RNS_MODE_ACCESS_POINT},
        {"pointtopoint", RNS_MODE_POINT_TO_POINT}, {"ptp", RNS_MODE_POINT_TO_POINT},
        {"roaming", RNS_MODE_ROAMING},    {"boundary", RNS_MODE_BOUNDARY},
        {"gateway", RNS_MODE_GATEWAY},    {"gw", RNS_MODE_GATEWAY},
        {"internal", RNS_MODE_INTERNAL},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(v, names[i].name) == 0)
            return names[i].mode;
    return 0;
}

typedef struct resolver {
    const rns_cfg_section *s;
    char *err;
    size_t errlen;
} resolver;

static int bad(resolver *r, const char *key, const char *what)
{
    if (r->err && r->errlen)
        snprintf(r->err, r->errlen, "%s: not %s", key, what);
    return ML_EMALFORMED;
}

/* Reads an optional key: 1 present, 0 absent, <0 error. */
static int opt_int(resolver *r, const char *key, long long *v)
{
    int rc = rns_cfg_int(r->s, key, v);
    return rc == ML_ENOTFOUND ? 0 : rc ? bad(r, key, "an integer") : 1;
}
static int opt_float(resolver *r, const char *key, double *v)
{
    int rc = rns_cfg_float(r->s, key, v);
    return rc == ML_ENOTFOUND ? 0 : rc ? bad(r, key, "a number") : 1;
}
static int opt_bool(resolver *r, const char *key, int *v)
{
    int rc = rns_cfg_bool(r->s, key, v);
    return rc == ML_ENOTFOUND ? 0 : rc ? bad(r, key, "a boolean") : 1;
}
/* An integer the reference uses only at or above min: a smaller one is
 * ignored (not refused) and *v keeps its default. */
static int opt_int_min(resolver *r, const char *key, long long min, long long *v)
{
    long long x;
    int rc = opt_int(r, key, &x);
    if (rc > 0 && x >= min)
        *v = x;
    return rc;
}
/* A string value; an empty one counts as unset. */
static int opt_str(resolver *r, const char *key, char **v)
{
    const char *s = rns_cfg_get(r->s, key, NULL);
    if (!s || !*s)
        return 0;
    free(*v);
    *v = strdup(s);
    return *v ? 1 : ML_ENOMEM;
}

static int resolve_mode(resolver *r, rns_iface_config *c)
{
    const char *im = rns_cfg_get(r->s, "interface_mode", NULL);
    const char *m = rns_cfg_get(r->s, "mode", NULL);
    int mode;

    c->mode = RNS_MODE_FULL;
    if (im) {
        mode = mode_of(im);
        if (mode && mode != RNS_MODE_GATEWAY && mode != RNS_MODE_INTERNAL) {
            c->mode = mode;
            return 0;
        }
        /* The reference looks gateway and internal up in the "mode" key, with
         * its case kept, and fails to load when there is none. */
        if (!m) {
            if (r->err && r->errlen)
                snprintf(r->err, r->errlen,
                         "interface_mode = %s needs a \"mode\" key as well (the reference "
                         "reads gateway/internal from \"mode\")", im);
            return ML_EMALFORMED;
        }
        if (!strcmp(m, "gateway") || !strcmp(m, "gw"))
            c->mode = RNS_MODE_GATEWAY;
        else if (!strcmp(m, "internal"))
            c->mode = RNS_MODE_INTERNAL;
        return 0;
    }
    if (m && (mode = mode_of(m)))
        c->mode = mode;
    return 0;
}

static int resolve_ic(resolver *r, rns_iface_config *c)
{
    const struct {
        const char *key;
        double *v;
    } knobs[] = {
        {"ic_burst_hold", &c->ic_burst_hold},
        {"ic_burst_freq_new", &c->ic_burst_freq_new},
        {"ic_burst_freq", &c->ic_burst_freq},
        {"ic_pr_burst_freq_new", &c->ic_pr_burst_freq_new},
        {"ic_pr_burst_freq", &c->ic_pr_burst_freq},
        {"ec_pr_freq", &c->ec_pr_freq},
        {"ic_new_time", &c->ic_new_time},
        {"ic_burst_penalty", &c->ic_burst_penalty},
        {"ic_held_release_interval", &c->ic_held_release_interval},
    };
    int rc, b;

    c->ingress_control = 1;
    c->egress_control = -1;
    c->ic_max_held_announces = RNS_IC_MAX_HELD_ANNOUNCES;
    c->ic_burst_hold = RNS_IC_BURST_HOLD;
    c->ic_burst_freq_new = RNS_IC_BURST_FREQ_NEW;
    c->ic_burst_freq = RNS_IC_BURST_FREQ;
    c->ic_pr_burst_freq_new = RNS_IC_PR_BURST_FREQ_NEW;
    c->ic_pr_burst_freq = RNS_IC_PR_BURST_FREQ;
    c->ec_pr_freq = RNS_EC_PR_FREQ;
    c->ic_new_time = RNS_IC_NEW_TIME;
    c->ic_burst_penalty = RNS_IC_BURST_PENALTY;
    c->ic_held_release_interval = RNS_IC_HELD_RELEASE_INTERVAL;
    if ((rc = opt_bool(r, "ingress_control", &c->ingress_control)) < 0)
        return rc;
    if ((rc = opt_bool(r, "egress_control", &b)) < 0)
        return rc;
    if (rc)
        c->egress_control = b;
    if ((rc = opt_int(r, "ic_max_held_announces", &c->ic_max_held_announces)) < 0)
        return rc;
    for (size_t i = 0; i < sizeof knobs / sizeof knobs[0]; i++)
        if ((rc = opt_float(r, knobs[i].key, knobs[i].v)) < 0)
            return rc;
    return 0;
}

static int resolve_rates(resolver *r, rns_iface_config *c)
{
    double f;
    int rc;

    if ((rc = opt_int_min(r, "bitrate", RNS_MINIMUM_BITRATE, &c->configured_bitrate)) < 0)
        return rc;
    c->bitrate = c->configured_bitrate ? (uint64_t)c->configured_bitrate : c->cls->bitrate_guess;
    c->hw_mtu = c->cls->autoconfigure_mtu ? (uint32_t)rns_framing_autoconf_mtu(c->bitrate)
                                          : c->cls->class_hw_mtu;

    c->announce_rate_target = c->announce_rate_grace = c->announce_rate_penalty = -1;
    if ((rc = opt_int_min(r, "announce_rate_target", 1, &c->announce_rate_target)) < 0 ||
        (rc = opt_int_min(r, "announce_rate_grace", 0, &c->announce_rate_grace)) < 0 ||
        (rc = opt_int_min(r, "announce_rate_penalty", 0, &c->announce_rate_penalty)) < 0)
        return rc;
    if (c->announce_rate_target > 0 && c->announce_rate_grace < 0)
        c->announce_rate_grace = 0;
    if (c->announce_rate_target > 0 && c->announce_rate_penalty < 0)
        c->announce_rate_penalty = 0;

    c->announce_cap = RNS_ANNOUNCE_CAP_PERCENT / 100.0;
    if ((rc = opt_float(r, "announce_cap", &f)) < 0)
        return rc;
    if (rc && f > 0 && f <= 100)
        c->announce_cap = f / 100.0;
    return 0;
}

static int resolve_discovery(resolver *r, rns_iface_config *c)
{
    long long v;
    int rc, quiet = 0;

    c->discovery_stamp_value = -1;
    if ((rc = opt_bool(r, "discoverable", &c->discoverable)) < 0)
        return rc;
    if (!c->discoverable)
        return 0;
    c->discovery_announce_interval = RNS_DISCOVERY_INTERVAL_DEFAULT;
    if ((rc = opt_int(r, "announce_interval", &v)) < 0)
        return rc;
    if (rc) /* minutes */
        c->discovery_announce_interval =
            v < RNS_DISCOVERY_INTERVAL_MIN / 60 ? RNS_DISCOVERY_INTERVAL_MIN : v * 60;
    if ((rc = opt_int(r, "discovery_stamp_value", &c->discovery_stamp_value)) < 0 ||
        (rc = opt_str(r, "discovery_name", &c->discovery_name)) < 0 ||
        (rc = opt_str(r, "reachable_on", &c->reachable_on)) < 0 ||
        (rc = opt_bool(r, "discovery_encrypt", &c->discovery_encrypt)) < 0 ||
        (rc = opt_bool(r, "publish_ifac", &c->publish_ifac)) < 0 ||
        (rc = opt_bool(r, "ignore_config_warnings", &quiet)) < 0)
        return rc;
    /* Discoverable means reachable from outside: such an interface must
     * relay, so a plain mode is raised to gateway (access point on RNodes). */
    if (c->mode != RNS_MODE_GATEWAY && c->mode != RNS_MODE_ACCESS_POINT &&
        c->mode != RNS_MODE_INTERNAL && !quiet)
        c->mode = (!strcmp(c->type, "RNodeInterface") || !strcmp(c->type, "RNodeMultiInterface"))
                      ? RNS_MODE_ACCESS_POINT
                      : RNS_MODE_GATEWAY;
    return 0;
}

int rns_instance_config_resolve(const rns_cfg_section *s, rns_instance_config *out, char *err,
                                size_t errlen)
{
    resolver r = {s, err, errlen};
    const struct {
        const char *key;
        int *v;
    } flags[] = {
        {"enable_transport", &out->enable_transport},
        {"share_instance", &out->share_instance},
        {"respond_to_probes", &out->respond_to_probes},
        {"use_implicit_proof", &out->use_implicit_proof},
        {"enable_remote_management", &out->enable_remote_management},
        {"panic_on_interface_error", &out->panic_on_interface_error},
        {"link_mtu_discovery", &out->link_mtu_discovery},
        {"discover_interfaces", &out->discover_interfaces},
    };
    int rc;

    if (err && errlen)
        err[0] = '\0';
    if (!out)
        return ML_EINVAL;
    memset(out, 0, sizeof *out);
    out->share_instance = out->use_implicit_proof = out->link_mtu_discovery = 1;
    if (!s)
        return 0;
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if ((rc = opt_bool(&r, flags[i].key, flags[i].v)) < 0)
            return rc;
    /* Both stay 0 (off / the default cost) unless positive. */
    if ((rc = opt_int_min(&r, "autoconnect_discovered_interfaces", 1,
                          &out->autoconnect_discovered_interfaces)) < 0 ||
        (rc = opt_int_min(&r, "required_discovery_value", 1, &out->required_discovery_value)) < 0)
        return rc;
    return 0;
}

int rns_iface_config_resolve(const rns_cfg_section *s, const char *name, rns_iface_config *out,
                             char *err, size_t errlen)
{
    resolver r = {s, err, errlen};
    rns_iface_config *c = out;
    const char *type;
    long long bits;
    int rc, on;

    if (err && errlen)
        err[0] = '\0';
    if (!s || !name || !out)
        return ML_EINVAL;
    memset(c, 0, sizeof *c);
    type = rns_cfg_get(s, "type", NULL);
    if (!type || !*type) {
        if (err && errlen)
            snprintf(err, errlen, "interface %s has no type", name);
        return ML_EMALFORMED;
    }
    c->name = strdup(name);
    c->type = strdup(type);
    if (!c->name || !c->type) {
        rc = ML_ENOMEM;
        goto fail;
    }
    c->cls = rns_iface_class_find(type);
    if (!c->cls)
        c->cls = rns_iface_class_external();

    if ((rc = opt_bool(&r, "interface_enabled", &on)) < 0)
        goto fail;
    c->enabled = rc && on;
    if (!c->enabled) {
        if ((rc = opt_bool(&r, "enabled", &on)) < 0)
            goto fail;
        c->enabled = rc && on;
    }
    c->outgoing = 1;
    if ((rc = opt_bool(&r, "outgoing", &c->outgoing)) < 0)
        goto fail;
    if ((rc = resolve_mode(&r, c)) < 0)
        goto fail;

    /* ifac_size is configured in bits; under one byte it is ignored. */
    c->ifac_size = c->cls->default_ifac_size;
    if ((rc = opt_int(&r, "ifac_size", &bits)) < 0)
        goto fail;
    if (rc && bits >= RNS_IFAC_MIN_SIZE * 8) {
        if (bits / 8 > RNS_IFAC_MAX_SIZE) {
            rc = bad(&r, "ifac_size", "at most 512 bits");
            goto fail;
        }
        c->ifac_size = (size_t)(bits / 8);
    }
    /* Later aliases win; an empty value is no value. */
    if ((rc = opt_str(&r, "networkname", &c->ifac_netname)) < 0 ||
        (rc = opt_str(&r, "network_name", &c->ifac_netname)) < 0 ||
        (rc = opt_str(&r, "passphrase", &c->ifac_netkey)) < 0 ||
        (rc = opt_str(&r, "pass_phrase", &c->ifac_netkey)) < 0)
        goto fail;

    if ((rc = resolve_ic(&r, c)) < 0 || (rc = resolve_rates(&r, c)) < 0 ||
        (rc = opt_bool(&r, "bootstrap_only", &c->bootstrap_only)) < 0 ||
        (rc = resolve_discovery(&r, c)) < 0)
        goto fail;
    return 0;
fail:
    rns_iface_config_clear(c);
    return rc;
}

void rns_iface_config_transport_defaults(rns_iface_config *c)
{
    if (!c)
        return;
    if (c->announce_rate_target < 0)
        c->announce_rate_target = RNS_DEFAULT_AR_TARGET;
    if (c->announce_rate_penalty < 0)
        c->announce_rate_penalty = RNS_DEFAULT_AR_PENALTY;
    if (c->announce_rate_grace < 0)
        c->announce_rate_grace = RNS_DEFAULT_AR_GRACE;
}

void rns_iface_config_clear(rns_iface_config *c)
{
    if (!c)
        return;
    free(c->name);
    free(c->type);
    free(c->ifac_netname);
    free(c->ifac_netkey);
    free(c->discovery_name);
    free(c->reachable_on);
    memset(c, 0, sizeof *c);
}

int rns_iface_config_ifac(const rns_iface_config *c, rns_ifac **out)
{
    if (!c || !out)
        return ML_EINVAL;
    *out = NULL;
    if (!c->ifac_netname && !c->ifac_netkey)
        return 0;
    return rns_ifac_new(out, c->ifac_netname, c->ifac_netkey, c->ifac_size);
}
