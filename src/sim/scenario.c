// SPDX-License-Identifier: MIT
// Scenario files for the simulator: plain text, one directive per line, `#`
// starts a comment. A directive is a word followed by words or `key value`
// pairs; durations carry units (500ms, 30s, 10m, 2h, 1h30m), probabilities
// are 0.05 or 5%, bit rates 1200, 9.6k or 10M. docs/SIMULATOR.md is the
// reference; each directive has one small handler in the table below.
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meshlog/error.h"
#include "sim_int.h"

#define MAX_TOKENS 48
#define MAX_NODES 64
#define MAX_ITEMS 4096

typedef struct parser {
    ml_sim_scenario *sc;
    char **tok;
    size_t n;
    char *err;
    size_t errlen;
} parser;

static int fail(parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(parser *ps, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (ps->err && ps->errlen)
        vsnprintf(ps->err, ps->errlen, fmt, ap);
    va_end(ap);
    return ML_EMALFORMED;
}

/* ---- values ------------------------------------------------------------------ */

/* "1h30m", "45s", "500ms", "0": a sum of number+unit terms. */
static int parse_duration(const char *s, int64_t *out)
{
    static const struct { const char *unit; double ms; } units[] = {
        {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000},
    };
    double total = 0;
    if (strcmp(s, "0") == 0) {
        *out = 0;
        return 0;
    }
    while (*s) {
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (end == s || errno || v < 0)
            return ML_EMALFORMED;
        size_t best = 0, best_len = 0;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
            size_t ul = strlen(units[i].unit);
            if (strncmp(end, units[i].unit, ul) == 0 && ul > best_len) {
                best = i;
                best_len = ul;
            }
        }
        if (!best_len)
            return ML_EMALFORMED;
        total += v * units[best].ms;
        s = end + best_len;
    }
    if (total > 1e15)
        return ML_ERANGE;
    *out = (int64_t)llround(total);
    return 0;
}

/* "0.05" or "5%", within [0, 1]. */
static int parse_prob(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s)
        return ML_EMALFORMED;
    if (*end == '%') {
        v /= 100;
        end++;
    }
    if (*end || !(v >= 0 && v <= 1))
        return ML_EMALFORMED;
    *out = v;
    return 0;
}

/* "1200", "9.6k", "10M": bit/s, positive. */
static int parse_rate(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || !(v > 0))
        return ML_EMALFORMED;
    if (*end == 'k' || *end == 'K')
        v *= 1e3, end++;
    else if (*end == 'M')
        v *= 1e6, end++;
    if (*end || !(v < 1e12))
        return ML_EMALFORMED;
    *out = v;
    return 0;
}

static int parse_count(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    if (!isdigit((unsigned char)s[0]))
        return ML_EMALFORMED;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno || v > max)
        return ML_EMALFORMED;
    *out = v;
    return 0;
}

/* "5m-20m": two durations. */
static int parse_span(const char *s, int64_t *lo, int64_t *hi)
{
    char buf[64];
    const char *dash = strchr(s, '-');
    if (!dash || (size_t)(dash - s) >= sizeof buf)
        return ML_EMALFORMED;
    memcpy(buf, s, (size_t)(dash - s));
    buf[dash - s] = 0;
    if (parse_duration(buf, lo) || parse_duration(dash + 1, hi) || *hi < *lo)
        return ML_EMALFORMED;
    return 0;
}

static int copy_name(char dst[SIM_NAME_MAX], const char *src)
{
    size_t n = strlen(src);
    if (n == 0 || n >= SIM_NAME_MAX)
        return ML_EMALFORMED;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)src[i]) && !strchr("-_.", src[i]))
            return ML_EMALFORMED;
    memcpy(dst, src, n + 1);
    return 0;
}

/* ---- key/value options of profiles and links ----------------------------------- */

enum opt_type { OT_RATE, OT_DUR, OT_SIZE, OT_PROB, OT_FRAMING, OT_NAME };

static const struct profile_key {
    const char *key;
    enum opt_type type;
    size_t off;
} profile_keys[] = {
    {"bitrate", OT_RATE, offsetof(sc_profile, bitrate)},
    {"latency", OT_DUR, offsetof(sc_profile, latency_ms)},
    {"mtu", OT_SIZE, offsetof(sc_profile, mtu)},
    {"loss", OT_PROB, offsetof(sc_profile, loss)},
    {"dup", OT_PROB, offsetof(sc_profile, dup)},
    {"reorder", OT_PROB, offsetof(sc_profile, reorder)},
    {"corrupt", OT_PROB, offsetof(sc_profile, corrupt)},
    {"jitter", OT_DUR, offsetof(sc_profile, jitter_ms)},
    {"duty", OT_PROB, offsetof(sc_profile, duty)},
    {"framing", OT_FRAMING, offsetof(sc_profile, framing)},
    {"radio", OT_NAME, offsetof(sc_profile, radio)},
};

static int set_framing(const char *v, int *out)
{
    uint64_t n;
    if (strcmp(v, "rns") == 0) {
        *out = ML_SIM_FRAMING_RNS;
        return 0;
    }
    if (parse_count(v, 4096, &n))
        return ML_EMALFORMED;
    *out = (int)n;
    return 0;
}

static int set_profile_key(sc_profile *p, const struct profile_key *k, const char *v)
{
    char *field = (char *)p + k->off;
    uint64_t n;
    switch (k->type) {
    case OT_RATE: return parse_rate(v, (double *)(void *)field);
    case OT_DUR: return parse_duration(v, (int64_t *)(void *)field);
    case OT_PROB: return parse_prob(v, (double *)(void *)field);
    case OT_FRAMING: return set_framing(v, (int *)(void *)field);
    case OT_NAME: return copy_name(field, v);
    case OT_SIZE:
        if (parse_count(v, 1u << 20, &n) || n < 100)
            return ML_EMALFORMED;
        *(size_t *)(void *)field = (size_t)n;
        return 0;
    }
    return ML_EMALFORMED;
}

/* Applies `key value` if key is a profile key: 1 applied, 0 not a profile key,
 * negative on a bad value. */
static int try_profile_key(parser *ps, sc_profile *p, const char *key, const char *val)
{
    for (size_t i = 0; i < sizeof profile_keys / sizeof profile_keys[0]; i++) {
        if (strcmp(profile_keys[i].key, key) != 0)
            continue;
        if (!val)
            return fail(ps, "'%s' needs a value", key);
        if (set_profile_key(p, &profile_keys[i], val))
            return fail(ps, "bad value '%s' for %s", val, key);
        return 1;
    }
    return 0;
}

static void profile_defaults(sc_profile *p, const char *name)
{
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->radio, sizeof p->radio, "%s", name);
    p->bitrate = 1200;
    p->latency_ms = 500;
    p->mtu = 500;
    p->duty = 1;
    p->framing = ML_SIM_FRAMING_RNS;
}

/* ---- directives -------------------------------------------------------------------- */

static int grow(void **v, size_t n, size_t size)
{
    if (n >= MAX_ITEMS)
        return ML_ETOOBIG;
    void *nv = realloc(*v, (n + 1) * size);
    if (!nv)
        return ML_ENOMEM;
    *v = nv;
    return 0;
}

static long node_index(const ml_sim_scenario *sc, const char *name)
{
    for (size_t i = 0; i < sc->n_nodes; i++)
        if (strcmp(sc->nodes[i], name) == 0)
            return (long)i;
    return -1;
}

static int d_name(parser *ps)
{
    if (ps->n != 2 || strlen(ps->tok[1]) >= sizeof ps->sc->name)
        return fail(ps, "usage: name WORD");
    snprintf(ps->sc->name, sizeof ps->sc->name, "%s", ps->tok[1]);
    return 0;
}

static int d_describe(parser *ps)
{
    ml_buf b = ML_BUF_INIT;
    int rc = 0;
    if (ps->sc->desc)
        rc = ml_buf_puts(&b, ps->sc->desc);
    for (size_t i = 1; !rc && i < ps->n; i++)
        rc = ml_buf_printf(&b, "%s%s", b.len ? " " : "", ps->tok[i]);
    if (!rc) {
        free(ps->sc->desc);
        ps->sc->desc = strdup(ml_buf_str(&b));
        rc = ps->sc->desc ? 0 : ML_ENOMEM;
    }
    ml_buf_free(&b);
    return rc;
}

static int d_duration(parser *ps)
{
    if (ps->n != 2 || parse_duration(ps->tok[1], &ps->sc->duration_ms) ||
        ps->sc->duration_ms <= 0)
        return fail(ps, "usage: duration DURATION (e.g. 12h)");
    return 0;
}

static int d_seed(parser *ps)
{
    if (ps->n != 2 || parse_count(ps->tok[1], UINT64_MAX, &ps->sc->seed))
        return fail(ps, "usage: seed N");
    return 0;
}

static int d_node(parser *ps)
{
    ml_sim_scenario *sc = ps->sc;
    if (ps->n < 2)
        return fail(ps, "usage: node NAME [NAME ...]");
    for (size_t i = 1; i < ps->n; i++) {
        if (sc->n_nodes >= MAX_NODES)
            return fail(ps, "more than %d nodes", MAX_NODES);
        if (node_index(sc, ps->tok[i]) >= 0)
            return fail(ps, "node '%s' twice", ps->tok[i]);
        int rc = grow((void **)&sc->nodes, sc->n_nodes, sizeof *sc->nodes);
        if (rc)
            return rc;
        if (copy_name(sc->nodes[sc->n_nodes], ps->tok[i]))
            return fail(ps, "bad node name '%s' (letters, digits, - _ . ; under 32)",
                        ps->tok[i]);
        sc->n_nodes++;
    }
    return 0;
}

static int d_profile(parser *ps)
{
    ml_sim_scenario *sc = ps->sc;
    sc_profile p;
    if (ps->n < 2)
        return fail(ps, "usage: profile NAME key value ...");
    profile_defaults(&p, "");
    if (copy_name(p.name, ps->tok[1]) || copy_name(p.radio, ps->tok[1]))
        return fail(ps, "bad profile name '%s'", ps->tok[1]);
    for (size_t i = 2; i < ps->n; i += 2) {
        int rc = try_profile_key(ps, &p, ps->tok[i], i + 1 < ps->n ? ps->tok[i + 1] : NULL);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return fail(ps, "unknown profile key '%s'", ps->tok[i]);
    }
    int rc = grow((void **)&sc->profiles, sc->n_profiles, sizeof *sc->profiles);
    if (rc)
        return rc;
    sc->profiles[sc->n_profiles++] = p;
    return 0;
}

/* Schedule words of a link: 1 consumed (with *used tokens), 0 not one. */
static int try_sched_key(parser *ps, sc_link *l, size_t i, size_t *used)
{
    const char *k = ps->tok[i], *v = i + 1 < ps->n ? ps->tok[i + 1] : NULL;
    *used = 2;
    if (strcmp(k, "always") == 0) {
        l->sched = SC_ALWAYS;
        *used = 1;
        return 1;
    }
    if (strcmp(k, "random") == 0) {
        l->sched = SC_RANDOM;
        *used = 1;
        return 1;
    }
    if (strcmp(k, "partitioned") == 0) {
        l->sched = SC_PARTITIONED;
        *used = 1;
        return 1;
    }
    int64_t *dst = strcmp(k, "every") == 0 ? &l->every_ms
                 : strcmp(k, "for") == 0   ? &l->for_ms
                 : strcmp(k, "at") == 0    ? &l->at_ms : NULL;
    if (dst) {
        if (!v || parse_duration(v, dst))
            return fail(ps, "'%s' needs a duration", k);
        if (dst == &l->every_ms)
            l->sched = SC_EVERY;
        return 1;
    }
    int up = strcmp(k, "up") == 0;
    if (up || strcmp(k, "down") == 0) {
        if (!v || parse_span(v, up ? &l->up_min : &l->down_min, up ? &l->up_max : &l->down_max))
            return fail(ps, "'%s' needs a span like 2m-20m", k);
        return 1;
    }
    return 0;
}

static int link_check(parser *ps, const sc_link *l)
{
    if (l->sched == SC_EVERY && (l->every_ms <= 0 || l->for_ms <= 0 || l->for_ms > l->every_ms))
        return fail(ps, "'every' needs 'for' with 0 < for <= every");
    if (l->sched == SC_RANDOM && (l->up_max <= 0 || l->down_max <= 0))
        return fail(ps, "'random' needs 'up MIN-MAX' and 'down MIN-MAX'");
    if (l->sched == SC_PARTITIONED && ps->sc->part_max <= 0)
        return fail(ps, "'partitioned' needs a 'partition' directive before it");
    if (ml_sim_payload_mtu(l->p.framing, l->p.mtu) < 64)
        return fail(ps, "mtu %zu leaves no room after framing", l->p.mtu);
    return 0;
}

static int add_link(parser *ps, const sc_link *tmpl, size_t a, size_t b)
{
    ml_sim_scenario *sc = ps->sc;
    int rc = grow((void **)&sc->links, sc->n_links, sizeof *sc->links);
    if (rc)
        return rc;
    sc->links[sc->n_links] = *tmpl;
    sc->links[sc->n_links].a = a;
    sc->links[sc->n_links].b = b;
    sc->n_links++;
    return 0;
}

static const sc_profile *find_profile(const ml_sim_scenario *sc, const char *name)
{
    for (size_t i = 0; i < sc->n_profiles; i++)
        if (strcmp(sc->profiles[i].name, name) == 0)
            return &sc->profiles[i];
    return NULL;
}

/* link A B PROFILE [overrides] SCHEDULE; A and/or B may be `*` (every pair). */
static int d_link(parser *ps)
{
    ml_sim_scenario *sc = ps->sc;
    sc_link l;
    memset(&l, 0, sizeof l);
    if (ps->n < 4)
        return fail(ps, "usage: link A B PROFILE [key value ...] SCHEDULE");
    const sc_profile *p = find_profile(sc, ps->tok[3]);
    if (!p)
        return fail(ps, "unknown profile '%s' (declare it with 'profile' first)", ps->tok[3]);
    l.p = *p;
    for (size_t i = 4, used = 0; i < ps->n; i += used) {
        int rc = try_sched_key(ps, &l, i, &used);
        if (rc == 0) {
            used = 2;
            rc = try_profile_key(ps, &l.p, ps->tok[i], i + 1 < ps->n ? ps->tok[i + 1] : NULL);
        }
        if (rc < 0)
            return rc;
        if (rc == 0)
            return fail(ps, "unknown link key '%s'", ps->tok[i]);
    }
    if (link_check(ps, &l))
        return ML_EMALFORMED;
    int all_a = strcmp(ps->tok[1], "*") == 0, all_b = strcmp(ps->tok[2], "*") == 0;
    long ia = all_a ? 0 : node_index(sc, ps->tok[1]), ib = all_b ? 0 : node_index(sc, ps->tok[2]);
    if (ia < 0 || ib < 0)
        return fail(ps, "unknown node '%s'", ia < 0 ? ps->tok[1] : ps->tok[2]);
    if (!all_a && !all_b && ia == ib)
        return fail(ps, "a link joins two different nodes");
    for (size_t a = 0; a < sc->n_nodes; a++)
        for (size_t b = a + 1; b < sc->n_nodes; b++) {
            int match = (all_a || (size_t)ia == a || (size_t)ia == b) &&
                        (all_b || (size_t)ib == a || (size_t)ib == b) &&
                        (all_a || all_b || ia != ib);
            int rc = match ? add_link(ps, &l, a, b) : 0;
            if (rc)
                return rc;
        }
    return 0;
}

/* write NODE|* every DUR [jitter DUR] [from DUR] [until DUR] */
static int d_write(parser *ps)
{
    ml_sim_scenario *sc = ps->sc;
    sc_write w = {0, 0, 0, 0, INT64_MAX};
    if (ps->n < 4 || ps->n % 2)
        return fail(ps, "usage: write NODE|* every DUR [jitter DUR] [from DUR] [until DUR]");
    for (size_t i = 2; i < ps->n; i += 2) {
        const char *k = ps->tok[i];
        int64_t *dst = strcmp(k, "every") == 0  ? &w.every_ms
                     : strcmp(k, "jitter") == 0 ? &w.jitter_ms
                     : strcmp(k, "from") == 0   ? &w.from_ms
                     : strcmp(k, "until") == 0  ? &w.until_ms : NULL;
        if (!dst)
            return fail(ps, "unknown write key '%s'", k);
        if (parse_duration(ps->tok[i + 1], dst))
            return fail(ps, "bad duration '%s' for %s", ps->tok[i + 1], k);
    }
    if (w.every_ms < 1000)
        return fail(ps, "'every' of at least 1s is required");
    int all = strcmp(ps->tok[1], "*") == 0;
    long idx = all ? 0 : node_index(sc, ps->tok[1]);
    if (idx < 0)
        return fail(ps, "unknown node '%s'", ps->tok[1]);
    for (size_t i = 0; i < sc->n_nodes; i++) {
        if (!all && i != (size_t)idx)
            continue;
        int rc = grow((void **)&sc->writes, sc->n_writes, sizeof *sc->writes);
        if (rc)
            return rc;
        w.node = i;
        sc->writes[sc->n_writes++] = w;
    }
    return 0;
}

/* partition every MIN-MAX groups MIN-MAX */
static int d_partition(parser *ps)
{
    ml_sim_scenario *sc = ps->sc;
    uint64_t lo, hi;
    char buf[32];
    const char *dash = ps->n == 5 ? strchr(ps->tok[4], '-') : NULL;
    if (!dash || strcmp(ps->tok[1], "every") || strcmp(ps->tok[3], "groups") ||
        parse_span(ps->tok[2], &sc->part_min, &sc->part_max) || sc->part_min <= 0 ||
        (size_t)(dash - ps->tok[4]) >= sizeof buf)
        return fail(ps, "usage: partition every MIN-MAX groups MIN-MAX (e.g. every 10m-1h groups 2-4)");
    memcpy(buf, ps->tok[4], (size_t)(dash - ps->tok[4]));
    buf[dash - ps->tok[4]] = 0;
    if (parse_count(buf, MAX_NODES, &lo) || parse_count(dash + 1, MAX_NODES, &hi) || lo < 1 ||
        hi < lo)
        return fail(ps, "groups: MIN-MAX with 1 <= MIN <= MAX <= %d", MAX_NODES);
    sc->part_gmin = (int)lo;
    sc->part_gmax = (int)hi;
    return 0;
}

/* sync gossip DUR ack DUR resend DUR window N bulk N */
static int d_sync(parser *ps)
{
    ml_sync_opts *o = &ps->sc->sync;
    if (ps->n % 2 == 0)
        return fail(ps, "usage: sync [gossip DUR] [ack DUR] [resend DUR] [window N] [bulk N]");
    for (size_t i = 1; i < ps->n; i += 2) {
        const char *k = ps->tok[i], *v = ps->tok[i + 1];
        int64_t *dur = strcmp(k, "gossip") == 0 ? &o->gossip_ms
                     : strcmp(k, "ack") == 0    ? &o->ack_delay_ms
                     : strcmp(k, "resend") == 0 ? &o->resend_ms : NULL;
        size_t *cnt = strcmp(k, "window") == 0 ? &o->window
                    : strcmp(k, "bulk") == 0   ? &o->bulk_threshold : NULL;
        uint64_t n;
        if (dur ? parse_duration(v, dur) != 0
                : !cnt || parse_count(v, 1u << 20, &n) != 0)
            return fail(ps, "bad sync option '%s %s'", k, v);
        if (cnt)
            *cnt = (size_t)n;
    }
    return 0;
}

static const struct directive {
    const char *word;
    int (*fn)(parser *ps);
} directives[] = {
    {"name", d_name},       {"describe", d_describe}, {"duration", d_duration},
    {"seed", d_seed},       {"node", d_node},         {"profile", d_profile},
    {"link", d_link},       {"write", d_write},       {"sync", d_sync},
    {"partition", d_partition},
};

/* Splits line (in place) into ps->tok; `#` ends it. */
static int tokenize(parser *ps, char *line)
{
    ps->n = 0;
    char *save = NULL;
    char *hash = strchr(line, '#');
    if (hash)
        *hash = 0;
    for (char *t = strtok_r(line, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
        if (ps->n >= MAX_TOKENS)
            return fail(ps, "more than %d words", MAX_TOKENS);
        ps->tok[ps->n++] = t;
    }
    return 0;
}

static int parse_line(parser *ps, char *line)
{
    int rc = tokenize(ps, line);
    if (rc || ps->n == 0)
        return rc;
    for (size_t i = 0; i < sizeof directives / sizeof directives[0]; i++)
        if (strcmp(directives[i].word, ps->tok[0]) == 0)
            return directives[i].fn(ps);
    return fail(ps, "unknown directive '%s'", ps->tok[0]);
}

static int finish(parser *ps)
{
    ml_sim_scenario *sc = ps->sc;
    if (sc->n_nodes < 2)
        return fail(ps, "a scenario needs at least two nodes");
    if (sc->duration_ms <= 0)
        return fail(ps, "a scenario needs 'duration'");
    for (size_t i = 0; i < sc->n_writes; i++)
        if (sc->writes[i].until_ms > sc->duration_ms)
            sc->writes[i].until_ms = sc->duration_ms;
    if (!sc->desc && !(sc->desc = strdup("")))
        return ML_ENOMEM;
    return 0;
}

int ml_sim_scenario_parse(ml_sim_scenario **out, const char *text, size_t len,
                          char *err, size_t errlen)
{
    char *tok[MAX_TOKENS];
    parser ps = {NULL, tok, 0, err, errlen};
    char *copy = NULL;
    int rc = ML_EINVAL, lineno = 0;
    if (!out || (!text && len))
        goto out;
    *out = NULL;
    rc = ML_ENOMEM;
    if (!(ps.sc = calloc(1, sizeof *ps.sc)) || !(copy = malloc(len + 1)))
        goto out;
    memcpy(copy, text, len);
    copy[len] = 0;
    rc = memchr(copy, 0, len) ? fail(&ps, "NUL byte in the scenario") : 0;
    for (char *line = copy, *next; line && !rc; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        lineno++;
        rc = parse_line(&ps, line);
    }
    if (!rc)
        rc = finish(&ps);
    else if (err && errlen) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s", err);
        snprintf(err, errlen, "line %d: %s", lineno, msg);
    }
out:
    free(copy);
    if (rc)
        ml_sim_scenario_free(ps.sc);
    else
        *out = ps.sc;
    return rc;
}

int ml_sim_scenario_load(ml_sim_scenario **out, const char *path, char *err, size_t errlen)
{
    ml_buf b = ML_BUF_INIT;
    char chunk[4096];
    int rc = ML_EIO;
    FILE *f = fopen(path, "rb");
    if (out)
        *out = NULL;
    if (!f) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    size_t n;
    rc = 0;
    while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = b.len + n > (1u << 20) ? ML_ETOOBIG : ml_buf_append(&b, chunk, n);
    if (!rc && ferror(f))
        rc = ML_EIO;
    if (rc) {
        snprintf(err, errlen, "cannot read %s: %s", path, ml_strerror(rc));
        goto out;
    }
    rc = ml_sim_scenario_parse(out, (const char *)b.p, b.len, err, errlen);
out:
    if (f)
        fclose(f);
    ml_buf_free(&b);
    return rc;
}

void ml_sim_scenario_free(ml_sim_scenario *sc)
{
    if (!sc)
        return;
    free(sc->desc);
    free(sc->nodes);
    free(sc->profiles);
    free(sc->links);
    free(sc->writes);
    free(sc);
}

const char *ml_sim_scenario_name(const ml_sim_scenario *sc) { return sc->name; }
const char *ml_sim_scenario_description(const ml_sim_scenario *sc) { return sc->desc ? sc->desc : ""; }
uint64_t ml_sim_scenario_seed(const ml_sim_scenario *sc) { return sc->seed; }
size_t ml_sim_scenario_nodes(const ml_sim_scenario *sc) { return sc->n_nodes; }

/* ---- a person's summary of the links ----------------------------------------------- */

static void fmt_dur(char out[32], int64_t ms)
{
    int64_t s = ms / 1000, h = s / 3600, m = s / 60 % 60;
    if (ms % 1000 || (s < 60 && s))
        snprintf(out, 32, "%llds", (long long)s);
    else if (h && m)
        snprintf(out, 32, "%lldh%02lldm", (long long)h, (long long)m);
    else if (h)
        snprintf(out, 32, "%lldh", (long long)h);
    else
        snprintf(out, 32, "%lldm", (long long)m);
}

static int describe_profile(ml_buf *b, const sc_profile *p)
{
    int rc = ml_buf_printf(b, "%s: %g bit/s, MTU %zu, %g ms, %g%% loss", p->name, p->bitrate,
                           p->mtu, (double)p->latency_ms, 100 * p->loss);
    if (!rc && p->dup > 0)
        rc = ml_buf_printf(b, ", %g%% duplicated", 100 * p->dup);
    if (!rc && p->corrupt > 0)
        rc = ml_buf_printf(b, ", %g%% corrupted", 100 * p->corrupt);
    if (!rc && p->reorder > 0)
        rc = ml_buf_printf(b, ", %g%% late", 100 * p->reorder);
    if (!rc && p->duty < 1)
        rc = ml_buf_printf(b, ", %g%% duty cycle", 100 * p->duty);
    return rc;
}

static int describe_sched(ml_buf *b, const sc_link *l)
{
    char x[32], y[32], z[32], w[32];
    switch (l->sched) {
    case SC_ALWAYS: return ml_buf_puts(b, "always in range");
    case SC_EVERY:
        fmt_dur(x, l->every_ms);
        fmt_dur(y, l->for_ms);
        fmt_dur(z, l->at_ms);
        return ml_buf_printf(b, "in range every %s for %s from %s", x, y, z);
    case SC_RANDOM:
        fmt_dur(x, l->up_min);
        fmt_dur(y, l->up_max);
        fmt_dur(z, l->down_min);
        fmt_dur(w, l->down_max);
        return ml_buf_printf(b, "in range at random for %s-%s, then out for %s-%s", x, y, z, w);
    case SC_PARTITIONED: return ml_buf_puts(b, "in range while in the same partition");
    }
    return ML_EINVAL;
}

int ml_sim_scenario_describe(const ml_sim_scenario *sc, ml_buf *out)
{
    int rc = 0;
    const size_t few = 8;
    if (!sc || !out)
        return ML_EINVAL;
    if (sc->part_max > 0) {
        char x[32], y[32];
        fmt_dur(x, sc->part_min);
        fmt_dur(y, sc->part_max);
        rc = ml_buf_printf(out, "  partitions: every %s-%s the nodes split at random into %d-%d "
                           "groups\n", x, y, sc->part_gmin, sc->part_gmax);
    }
    for (size_t i = 0; !rc && i < sc->n_profiles; i++) {
        rc = ml_buf_puts(out, "  profile ");
        if (!rc)
            rc = describe_profile(out, &sc->profiles[i]);
        if (!rc)
            rc = ml_buf_putc(out, '\n');
    }
    for (size_t i = 0; !rc && i < sc->n_links && sc->n_links <= few; i++) {
        const sc_link *l = &sc->links[i];
        rc = ml_buf_printf(out, "  %s <-> %s (%s): ", sc->nodes[l->a], sc->nodes[l->b], l->p.name);
        if (!rc)
            rc = describe_sched(out, l);
        if (!rc)
            rc = ml_buf_putc(out, '\n');
    }
    if (!rc && sc->n_links > few) {
        rc = ml_buf_printf(out, "  %zu links (%s), e.g. %s <-> %s: ", sc->n_links,
                           sc->n_links == sc->n_nodes * (sc->n_nodes - 1) / 2 ? "every pair" : "",
                           sc->nodes[sc->links[0].a], sc->nodes[sc->links[0].b]);
        if (!rc)
            rc = describe_sched(out, &sc->links[0]);
        if (!rc)
            rc = ml_buf_putc(out, '\n');
    }
    return rc;
}
