// SPDX-License-Identifier: MIT
// Destination objects (see rns_dest.h). The naming rules live in
// destination.c and the announce layout in announce.c; this file adds the
// state a destination carries between calls: who it is, how it proves, what
// it announces by default, its request handlers, the path-response cache and
// its ratchets.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/rns_announce.h"
#include "meshlog/rns_dest.h"
#include "meshlog/rns_msgpack.h"
#include "meshlog/rns_packet.h"

#define PR_CACHE_MAX 32
#define TAG_MAX 16
#define RATCHET_FILE_MAX (64 * 1024 * 1024)

struct pr_entry {
    uint8_t tag[TAG_MAX];
    size_t tag_len;
    double when;
    int context_flag;
    ml_buf payload;
};

struct handler {
    char *path;
    uint8_t path_hash[RNS_HASHLEN];
    rns_dest_response_fn fn;
    void *ctx;
    int allow;
    uint8_t (*allowed)[16];
    size_t n_allowed;
};

struct rns_dest {
    int type, direction, generated;
    rns_identity *id;
    uint8_t hash[RNS_HASHLEN];
    uint8_t name_hash[RNS_NAME_HASHLEN];
    char *name;
    int proof;
    rns_rng_fn rng;
    void *rng_ctx;
    ml_buf def_app;
    int has_def_app;
    rns_dest_app_data_fn def_fn;
    void *def_ctx;
    struct pr_entry pr[PR_CACHE_MAX];
    size_t n_pr;
    struct handler handlers[RNS_DEST_MAX_HANDLERS];
    size_t n_handlers;
    /* ratchets: private keys, newest first */
    int ratchets_on, enforce;
    uint8_t (*ratchets)[32];
    size_t n_ratchets, cap_ratchets;
    char *ratchets_path;
    long interval, retained;
    double latest_time;
    int has_latest_id;
    uint8_t latest_id[RNS_RATCHET_ID_LEN];
    int has_announced;            /* Identity._remember_ratchet for ourselves */
    uint8_t announced[32];
};

/* ---- construction ---------------------------------------------------------------- */

static int copy_identity(rns_identity **out, const rns_identity *id)
{
    uint8_t priv[RNS_KEYSIZE];
    int ret;

    if (!rns_identity_has_private(id))
        return rns_identity_from_public(out, rns_identity_public_key(id));
    if ((ret = rns_identity_private_key(id, priv)) == 0)
        ret = rns_identity_from_private(out, priv);
    ml_wipe(priv, sizeof priv);
    return ret;
}

static int new_identity(rns_identity **out, const rns_dest_config *cfg)
{
    uint8_t priv[RNS_KEYSIZE];
    int ret = cfg->rng(cfg->rng_ctx, priv, sizeof priv);

    if (ret == 0)
        ret = rns_identity_from_private(out, priv);
    ml_wipe(priv, sizeof priv);
    return ret;
}

int rns_dest_new(rns_dest **out, const rns_dest_config *cfg)
{
    const char *aspects[RNS_DEST_MAX_ASPECTS + 1];
    char hexhash[2 * RNS_HASHLEN + 1];
    size_t n;
    ml_buf name = ML_BUF_INIT;
    rns_dest *d = NULL;
    int ret = ML_EINVAL;

    *out = NULL;
    if (!cfg || !cfg->rng || cfg->n_aspects > RNS_DEST_MAX_ASPECTS ||
        (cfg->n_aspects && !cfg->aspects) || (unsigned)cfg->type > RNS_DEST_LINK ||
        (cfg->direction != RNS_DEST_IN && cfg->direction != RNS_DEST_OUT))
        return ML_EINVAL;
    if (!cfg->identity && cfg->direction == RNS_DEST_OUT && cfg->type != RNS_DEST_PLAIN)
        return ML_EINVAL;          /* "Can't create outbound SINGLE destination without an identity" */
    if (cfg->identity && cfg->type == RNS_DEST_PLAIN)
        return ML_EINVAL;          /* "PLAIN cannot hold an identity" */
    if (!(d = calloc(1, sizeof *d)))
        return ML_ENOMEM;
    d->type = cfg->type;
    d->direction = cfg->direction;
    d->proof = RNS_DEST_PROVE_NONE;
    d->rng = cfg->rng;
    d->rng_ctx = cfg->rng_ctx;
    d->interval = RNS_DEST_RATCHET_INTERVAL;
    d->retained = RNS_DEST_RATCHET_COUNT;
    n = cfg->n_aspects;
    if (n)
        memcpy(aspects, cfg->aspects, n * sizeof *aspects);
    if (cfg->identity) {
        ret = copy_identity(&d->id, cfg->identity);
    } else if (cfg->type != RNS_DEST_PLAIN) {
        /* IN without identity: a new one, named by its hash as an extra aspect */
        ret = new_identity(&d->id, cfg);
        d->generated = 1;
        if (ret == 0) {
            ml_hex(hexhash, rns_identity_hash(d->id), RNS_HASHLEN);
            aspects[n++] = hexhash;
        }
    } else {
        ret = 0;
    }
    if (ret || (ret = rns_destination_name(&name, cfg->app_name, aspects, n)))
        goto out;
    if ((ret = rns_name_hash(d->name_hash, cfg->app_name, aspects, n)))
        goto out;
    rns_destination_hash(d->hash, d->name_hash, d->id ? rns_identity_hash(d->id) : NULL);
    if (d->id) {
        ml_hex(hexhash, rns_identity_hash(d->id), RNS_HASHLEN);
        if ((ret = ml_buf_putc(&name, '.')) || (ret = ml_buf_puts(&name, hexhash)))
            goto out;
    }
    if (!(d->name = strdup(ml_buf_str(&name)))) {
        ret = ML_ENOMEM;
        goto out;
    }
    *out = d;
    d = NULL;
out:
    ml_buf_free(&name);
    rns_dest_free(d);
    return ret;
}

static void free_handler(struct handler *h)
{
    free(h->path);
    free(h->allowed);
    memset(h, 0, sizeof *h);
}

void rns_dest_free(rns_dest *d)
{
    if (!d)
        return;
    rns_identity_free(d->id);
    free(d->name);
    ml_buf_free(&d->def_app);
    for (size_t i = 0; i < d->n_pr; i++)
        ml_buf_free(&d->pr[i].payload);
    for (size_t i = 0; i < d->n_handlers; i++)
        free_handler(&d->handlers[i]);
    if (d->ratchets)
        ml_wipe(d->ratchets, d->cap_ratchets * sizeof *d->ratchets);
    free(d->ratchets);
    free(d->ratchets_path);
    ml_wipe(d, sizeof *d);
    free(d);
}

const uint8_t *rns_dest_hash(const rns_dest *d) { return d->hash; }
const uint8_t *rns_dest_name_hash(const rns_dest *d) { return d->name_hash; }
const char *rns_dest_name(const rns_dest *d) { return d->name; }
const rns_identity *rns_dest_identity(const rns_dest *d) { return d->id; }
int rns_dest_identity_generated(const rns_dest *d) { return d->generated; }
int rns_dest_type(const rns_dest *d) { return d->type; }
int rns_dest_direction(const rns_dest *d) { return d->direction; }
int rns_dest_proof_strategy(const rns_dest *d) { return d->proof; }

int rns_dest_set_proof_strategy(rns_dest *d, int strategy)
{
    if (strategy < RNS_DEST_PROVE_NONE || strategy > RNS_DEST_PROVE_ALL)
        return ML_EINVAL;      /* "Unsupported proof strategy" */
    d->proof = strategy;
    return 0;
}

int rns_dest_set_default_app_data(rns_dest *d, const uint8_t *data, size_t len)
{
    ml_buf_reset(&d->def_app);
    d->def_fn = NULL;
    d->has_def_app = data != NULL;
    if (data && len && ml_buf_append(&d->def_app, data, len)) {
        d->has_def_app = 0;
        return ML_ENOMEM;
    }
    return 0;
}

int rns_dest_set_default_app_data_fn(rns_dest *d, rns_dest_app_data_fn fn, void *ctx)
{
    ml_buf_reset(&d->def_app);
    d->has_def_app = 0;
    d->def_fn = fn;
    d->def_ctx = ctx;
    return 0;
}

int rns_dest_has_default_app_data(const rns_dest *d)
{
    return d->has_def_app || d->def_fn;
}

/* ---- announces ------------------------------------------------------------------- */

/* Drops cache entries older than the window, as announce() does first. */
static void pr_evict(rns_dest *d, double now)
{
    for (size_t i = 0; i < d->n_pr;) {
        if (now > d->pr[i].when + RNS_DEST_PR_TAG_WINDOW) {
            ml_buf_free(&d->pr[i].payload);
            d->pr[i] = d->pr[--d->n_pr];
            memset(&d->pr[d->n_pr], 0, sizeof d->pr[0]);
            continue;
        }
        i++;
    }
}

static struct pr_entry *pr_find(rns_dest *d, const uint8_t *tag, size_t len)
{
    for (size_t i = 0; i < d->n_pr; i++)
        if (d->pr[i].tag_len == len && memcmp(d->pr[i].tag, tag, len) == 0)
            return &d->pr[i];
    return NULL;
}

/* Remembers payload under tag; a full cache gives up its oldest entry. */
static int pr_store(rns_dest *d, const uint8_t *tag, size_t len, double now, int flag,
                    const uint8_t *payload, size_t plen)
{
    struct pr_entry *e = pr_find(d, tag, len);
    size_t oldest = 0;

    if (!e && d->n_pr < PR_CACHE_MAX)
        e = &d->pr[d->n_pr++];
    if (!e) {
        for (size_t i = 1; i < d->n_pr; i++)
            if (d->pr[i].when < d->pr[oldest].when)
                oldest = i;
        e = &d->pr[oldest];
    }
    ml_buf_reset(&e->payload);
    memcpy(e->tag, tag, len);
    e->tag_len = len;
    e->when = now;
    e->context_flag = flag;
    return ml_buf_append(&e->payload, payload, plen);
}

size_t rns_dest_path_response_cache_size(const rns_dest *d)
{
    return d->n_pr;
}

/* The announce packet around a payload (reused from the cache). */
static int pack_announce(ml_buf *out, const rns_dest *d, const uint8_t *payload, size_t len,
                         int flag, uint8_t context)
{
    rns_packet p;

    memset(&p, 0, sizeof p);
    p.packet_type = RNS_PACKET_ANNOUNCE;
    p.dest_type = RNS_DEST_SINGLE;
    p.context_flag = (uint8_t)flag;
    p.context = context;
    memcpy(p.dest_hash, d->hash, RNS_HASHLEN);
    p.data = payload;
    p.data_len = len;
    return rns_packet_pack(out, &p);
}

/* The app data an announce carries: given, else the default, else none. */
static int announce_app_data(rns_dest *d, const rns_dest_announce_opts *o, ml_buf *tmp,
                             const uint8_t **p, size_t *len)
{
    *p = NULL;
    *len = 0;
    if (o->app_data) {
        *p = o->app_data;
        *len = o->app_data_len;
    } else if (d->has_def_app) {
        *p = d->def_app.p ? d->def_app.p : (const uint8_t *)"";
        *len = d->def_app.len;
    } else if (d->def_fn) {
        if (d->def_fn(d->def_ctx, tmp) == 0) {
            *p = tmp->p ? tmp->p : (const uint8_t *)"";
            *len = tmp->len;
        }
    }
    return 0;
}

int rns_dest_announce(rns_dest *d, ml_buf *out, const rns_dest_announce_opts *o)
{
    uint8_t r16[16], rpub[32];
    uint8_t context = o->path_response ? RNS_CTX_PATH_RESPONSE : RNS_CTX_NONE;
    rns_announce_params ap;
    ml_buf pkt = ML_BUF_INIT, tmp = ML_BUF_INIT;
    struct pr_entry *e;
    rns_packet p;
    int ret;

    if (d->type != RNS_DEST_SINGLE)
        return ML_EINVAL;      /* "Only SINGLE destination types can be announced" */
    if (d->direction != RNS_DEST_IN || !d->id || !rns_identity_has_private(d->id))
        return ML_ESTATE;      /* "Only IN destination types can be announced" */
    if (o->tag && o->tag_len > TAG_MAX)
        return ML_EINVAL;
    pr_evict(d, o->now);
    if (o->path_response && o->tag && (e = pr_find(d, o->tag, o->tag_len)))
        return pack_announce(out, d, e->payload.p, e->payload.len, e->context_flag, context);
    if (d->ratchets_on) {
        if ((ret = rns_dest_rotate_ratchets(d, o->now, NULL)))
            return ret;
        if (!d->n_ratchets)
            return ML_ESTATE;
        if ((ret = ml_x25519_public(rpub, d->ratchets[0])))
            return ret;
        memcpy(d->announced, rpub, sizeof rpub);
        d->has_announced = 1;
    }
    if ((ret = d->rng(d->rng_ctx, r16, sizeof r16)))
        return ret;
    memset(&ap, 0, sizeof ap);
    ap.name_hash = d->name_hash;
    ap.random16 = r16;
    ap.now = o->now > 0 ? (uint64_t)o->now : 0;
    ap.ratchet_pub = d->ratchets_on ? rpub : NULL;
    ap.context = context;
    announce_app_data(d, o, &tmp, &ap.app_data, &ap.app_data_len);
    if ((ret = rns_announce_make(&pkt, d->id, &ap)) == 0 &&
        (ret = rns_packet_unpack(&p, pkt.p, pkt.len)) == 0 && o->tag)
        ret = pr_store(d, o->tag, o->tag_len, o->now, p.context_flag, p.data, p.data_len);
    if (ret == 0)
        ret = ml_buf_append(out, pkt.p, pkt.len);
    ml_buf_free(&pkt);
    ml_buf_free(&tmp);
    return ret;
}

/* ---- request handlers --------------------------------------------------------------- */

static struct handler *handler_find(rns_dest *d, const uint8_t hash[RNS_HASHLEN])
{
    for (size_t i = 0; i < d->n_handlers; i++)
        if (memcmp(d->handlers[i].path_hash, hash, RNS_HASHLEN) == 0)
            return &d->handlers[i];
    return NULL;
}

int rns_dest_register_request_handler(rns_dest *d, const char *path, rns_dest_response_fn fn,
                                      void *ctx, int allow, const uint8_t (*allowed)[16],
                                      size_t n_allowed)
{
    struct handler h, *slot;

    if (!path || !*path)
        return ML_EINVAL;      /* "Invalid path specified" */
    if (!fn)
        return ML_EINVAL;      /* "Invalid response generator specified" */
    if (allow < RNS_DEST_ALLOW_NONE || allow > RNS_DEST_ALLOW_LIST || (n_allowed && !allowed))
        return ML_EINVAL;      /* "Invalid request policy" */
    memset(&h, 0, sizeof h);
    rns_truncated_hash(h.path_hash, path, strlen(path));
    slot = handler_find(d, h.path_hash);
    if (!slot && d->n_handlers >= RNS_DEST_MAX_HANDLERS)
        return ML_ETOOBIG;
    if (!(h.path = strdup(path)) ||
        (n_allowed && !(h.allowed = malloc(n_allowed * sizeof *h.allowed)))) {
        free_handler(&h);
        return ML_ENOMEM;
    }
    if (n_allowed)
        memcpy(h.allowed, allowed, n_allowed * sizeof *h.allowed);
    h.n_allowed = n_allowed;
    h.fn = fn;
    h.ctx = ctx;
    h.allow = allow;
    if (slot)
        free_handler(slot);
    else
        slot = &d->handlers[d->n_handlers++];
    *slot = h;
    return 0;
}

int rns_dest_deregister_request_handler(rns_dest *d, const char *path)
{
    uint8_t hash[RNS_HASHLEN];
    struct handler *h;

    if (!path)
        return 0;
    rns_truncated_hash(hash, path, strlen(path));
    if (!(h = handler_find(d, hash)))
        return 0;
    free_handler(h);
    *h = d->handlers[--d->n_handlers];
    memset(&d->handlers[d->n_handlers], 0, sizeof *h);
    return 1;
}

size_t rns_dest_request_handler_count(const rns_dest *d)
{
    return d->n_handlers;
}

static int request_allowed(const struct handler *h, const uint8_t *remote)
{
    if (h->allow == RNS_DEST_ALLOW_ALL)
        return 1;
    if (h->allow != RNS_DEST_ALLOW_LIST || !remote)
        return 0;
    for (size_t i = 0; i < h->n_allowed; i++)
        if (memcmp(h->allowed[i], remote, RNS_HASHLEN) == 0)
            return 1;
    return 0;
}

int rns_dest_request_handler_at(const rns_dest *d, size_t i, rns_dest_handler_info *out)
{
    const struct handler *h;

    if (!d || !out || i >= d->n_handlers)
        return 0;
    h = &d->handlers[i];
    out->path = h->path;
    out->path_hash = h->path_hash;
    out->allow = h->allow;
    out->allowed = (const uint8_t(*)[16])h->allowed;
    out->n_allowed = h->n_allowed;
    return 1;
}

int rns_dest_handle_request(rns_dest *d, const uint8_t path_hash[RNS_HASHLEN],
                            const rns_dest_request *rq, ml_buf *out)
{
    struct handler *h = handler_find(d, path_hash);
    rns_dest_request r;
    size_t start = out->len;
    int ret;

    if (!h || !request_allowed(h, rq->remote_identity_hash))
        return 0;
    r = *rq;
    r.path = h->path;
    ret = h->fn(h->ctx, &r, out);
    if (ret <= 0 && out->p) {
        out->len = start;
        out->p[start] = 0;
    }
    return ret < 0 ? ret : ret > 0;
}

/* ---- ratchets ------------------------------------------------------------------------ */

static int ratchets_reserve(rns_dest *d, size_t n)
{
    uint8_t (*p)[32];
    size_t cap = d->cap_ratchets ? d->cap_ratchets : 8;

    if (n <= d->cap_ratchets)
        return 0;
    while (cap < n)
        cap *= 2;
    if (!(p = calloc(cap, sizeof *p)))
        return ML_ENOMEM;
    if (d->n_ratchets)
        memcpy(p, d->ratchets, d->n_ratchets * sizeof *p);
    if (d->ratchets)
        ml_wipe(d->ratchets, d->cap_ratchets * sizeof *p);
    free(d->ratchets);
    d->ratchets = p;
    d->cap_ratchets = cap;
    return 0;
}

static int can_ratchet(const rns_dest *d)
{
    return d->type == RNS_DEST_SINGLE && d->id && rns_identity_has_private(d->id);
}

int rns_dest_enable_ratchets_volatile(rns_dest *d)
{
    if (!can_ratchet(d))
        return ML_EINVAL;
    d->ratchets_on = 1;
    d->latest_time = 0;
    return 0;
}

int rns_dest_enable_ratchets(rns_dest *d, const char *path)
{
    char *copy;
    int ret;

    if (!path || !*path || !can_ratchet(d))
        return ML_EINVAL;
    if (!(copy = strdup(path)))
        return ML_ENOMEM;
    free(d->ratchets_path);
    d->ratchets_path = copy;
    d->ratchets_on = 1;
    d->latest_time = 0;
    ret = rns_dest_ratchets_reload(d);
    if (ret == ML_ENOTFOUND) {
        d->n_ratchets = 0;     /* no file yet: a new, empty one */
        ret = rns_dest_ratchets_persist(d);
    }
    if (ret) {
        d->ratchets_on = 0;
        d->n_ratchets = 0;
        free(d->ratchets_path);
        d->ratchets_path = NULL;
    }
    return ret;
}

int rns_dest_ratchets_enabled(const rns_dest *d)
{
    return d->ratchets_on;
}

int rns_dest_rotate_ratchets(rns_dest *d, double now, int *rotated)
{
    uint8_t fresh[32];
    int ret;

    if (rotated)
        *rotated = 0;
    if (!d->ratchets_on)
        return ML_ESTATE;      /* "Cannot rotate ratchet ..., ratchets are not enabled" */
    if (!(now > d->latest_time + (double)d->interval))
        return 0;
    if ((ret = ratchets_reserve(d, d->n_ratchets + 1)) ||
        (ret = d->rng(d->rng_ctx, fresh, sizeof fresh)))
        return ret;
    memmove(d->ratchets + 1, d->ratchets, d->n_ratchets * sizeof *d->ratchets);
    memcpy(d->ratchets[0], fresh, sizeof fresh);
    ml_wipe(fresh, sizeof fresh);
    d->n_ratchets++;
    d->latest_time = now;
    if ((size_t)d->retained < d->n_ratchets)
        d->n_ratchets = (size_t)d->retained;
    if (rotated)
        *rotated = 1;
    return d->ratchets_path ? rns_dest_ratchets_persist(d) : 0;
}

int rns_dest_set_ratchet_interval(rns_dest *d, long seconds)
{
    if (seconds <= 0)
        return ML_EINVAL;
    d->interval = seconds;
    return 0;
}

long rns_dest_ratchet_interval(const rns_dest *d) { return d->interval; }

int rns_dest_set_retained_ratchets(rns_dest *d, long count)
{
    if (count <= 0)
        return ML_EINVAL;
    d->retained = count;
    if ((size_t)count < d->n_ratchets)
        d->n_ratchets = (size_t)count;
    return 0;
}

long rns_dest_retained_ratchets(const rns_dest *d) { return d->retained; }

int rns_dest_enforce_ratchets(rns_dest *d)
{
    if (!d->ratchets_on)
        return ML_ESTATE;
    d->enforce = 1;
    return 0;
}

int rns_dest_ratchets_enforced(const rns_dest *d) { return d->enforce; }
size_t rns_dest_ratchet_count(const rns_dest *d) { return d->n_ratchets; }

int rns_dest_ratchet_public(const rns_dest *d, size_t idx, uint8_t pub[32])
{
    if (idx >= d->n_ratchets)
        return ML_ENOTFOUND;
    return ml_x25519_public(pub, d->ratchets[idx]);
}

int rns_dest_ratchet_id_at(const rns_dest *d, size_t idx, uint8_t id[RNS_RATCHET_ID_LEN])
{
    uint8_t pub[32];
    int ret = rns_dest_ratchet_public(d, idx, pub);

    if (ret == 0)
        rns_ratchet_id(id, pub);
    return ret;
}

double rns_dest_latest_ratchet_time(const rns_dest *d) { return d->latest_time; }
void rns_dest_set_latest_ratchet_time(rns_dest *d, double t) { d->latest_time = t; }

int rns_dest_latest_ratchet_id(const rns_dest *d, uint8_t id[RNS_RATCHET_ID_LEN])
{
    if (d->has_latest_id)
        memcpy(id, d->latest_id, RNS_RATCHET_ID_LEN);
    return d->has_latest_id;
}

void rns_dest_clear_latest_ratchet_id(rns_dest *d)
{
    d->has_latest_id = 0;
}

static int pack_list(const rns_dest *d, ml_buf *out)
{
    int ret = rns_mp_put_array(out, d->n_ratchets);

    for (size_t i = 0; i < d->n_ratchets && !ret; i++)
        ret = rns_mp_put_bin(out, d->ratchets[i], 32);
    return ret;
}

int rns_dest_ratchets_encode(const rns_dest *d, ml_buf *out)
{
    ml_buf inner = ML_BUF_INIT;
    uint8_t sig[RNS_SIGLEN];
    int ret;

    if (!d->ratchets_on)
        return ML_ESTATE;
    if ((ret = pack_list(d, &inner)) || (ret = rns_identity_sign(d->id, sig, inner.p, inner.len)))
        goto out;
    if ((ret = rns_mp_put_map(out, 2)) || (ret = rns_mp_put_cstr(out, "signature")) ||
        (ret = rns_mp_put_bin(out, sig, sizeof sig)) || (ret = rns_mp_put_cstr(out, "ratchets")) ||
        (ret = rns_mp_put_bin(out, inner.p, inner.len)))
        goto out;
out:
    if (inner.p)
        ml_wipe(inner.p, inner.len);
    ml_buf_free(&inner);
    return ret;
}

int rns_dest_ratchets_decode(rns_dest *d, const uint8_t *p, size_t len)
{
    const uint8_t *sig = NULL, *inner = NULL, *bin;
    size_t sig_len = 0, inner_len = 0, n;
    rns_mp_reader r, ir;
    uint32_t count, items;
    const char *key;
    size_t klen;
    int ret;

    if (!d->ratchets_on)
        return ML_ESTATE;
    rns_mp_reader_init(&r, p, len);
    if (rns_mp_get_map(&r, &count))
        return ML_EMALFORMED;
    for (uint32_t i = 0; i < count; i++) {
        if (rns_mp_get_str(&r, &key, &klen))
            return ML_EMALFORMED;
        if (klen == 9 && memcmp(key, "signature", 9) == 0)
            ret = rns_mp_get_bin(&r, &sig, &sig_len);
        else if (klen == 8 && memcmp(key, "ratchets", 8) == 0)
            ret = rns_mp_get_bin(&r, &inner, &inner_len);
        else
            ret = rns_mp_skip(&r);
        if (ret)
            return ML_EMALFORMED;
    }
    if (!sig || !inner || sig_len != RNS_SIGLEN)
        return ML_EMALFORMED;
    if (rns_identity_verify(d->id, sig, inner, inner_len))
        return ML_EBADSIG;     /* "Invalid ratchet file signature" */
    rns_mp_reader_init(&ir, inner, inner_len);
    if (rns_mp_get_array(&ir, &items))
        return ML_EMALFORMED;
    if ((ret = ratchets_reserve(d, items ? items : 1)))
        return ret;
    for (n = 0; n < items; n++) {
        if (rns_mp_get_bin(&ir, &bin, &klen) || klen != 32)
            return ML_EMALFORMED;
    }
    rns_mp_reader_init(&ir, inner, inner_len);
    rns_mp_get_array(&ir, &items);
    for (n = 0; n < items; n++) {
        rns_mp_get_bin(&ir, &bin, &klen);
        memcpy(d->ratchets[n], bin, 32);
    }
    d->n_ratchets = items;
    return 0;
}

int rns_dest_ratchets_persist(rns_dest *d)
{
    ml_buf b = ML_BUF_INIT, tmp = ML_BUF_INIT;
    int ret, fd = -1;
    size_t off = 0;
    ssize_t w;

    if (!d->ratchets_path)
        return ML_ESTATE;
    if ((ret = rns_dest_ratchets_encode(d, &b)) ||
        (ret = ml_buf_printf(&tmp, "%s.tmp", d->ratchets_path)))
        goto out;
    ret = ML_EIO;
    if ((fd = open(ml_buf_str(&tmp), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
        goto out;
    while (off < b.len) {
        if ((w = write(fd, b.p + off, b.len - off)) < 0) {
            if (errno == EINTR)
                continue;
            goto out;
        }
        off += (size_t)w;
    }
    if (fsync(fd) || close(fd)) {
        fd = -1;
        goto out;
    }
    fd = -1;
    if (rename(ml_buf_str(&tmp), d->ratchets_path))
        goto out;
    ret = 0;
out:
    if (fd >= 0)
        close(fd);
    if (ret && tmp.len)
        unlink(ml_buf_str(&tmp));
    if (b.p)
        ml_wipe(b.p, b.len);
    ml_buf_free(&b);
    ml_buf_free(&tmp);
    return ret;
}

int rns_dest_ratchets_reload(rns_dest *d)
{
    ml_buf b = ML_BUF_INIT;
    uint8_t chunk[4096];
    int ret = ML_EIO, fd;
    ssize_t n;

    if (!d->ratchets_path)
        return ML_ESTATE;
    if ((fd = open(d->ratchets_path, O_RDONLY | O_CLOEXEC)) < 0)
        return errno == ENOENT ? ML_ENOTFOUND : ML_EIO;
    for (;;) {
        if ((n = read(fd, chunk, sizeof chunk)) < 0) {
            if (errno == EINTR)
                continue;
            goto out;
        }
        if (n == 0)
            break;
        if (b.len + (size_t)n > RATCHET_FILE_MAX) {
            ret = ML_ETOOBIG;
            goto out;
        }
        if ((ret = ml_buf_append(&b, chunk, (size_t)n)))
            goto out;
        ret = ML_EIO;
    }
    ret = rns_dest_ratchets_decode(d, b.p, b.len);
out:
    close(fd);
    ml_wipe(chunk, sizeof chunk);
    if (b.p)
        ml_wipe(b.p, b.len);
    ml_buf_free(&b);
    return ret;
}

/* ---- encryption ----------------------------------------------------------------------- */

int rns_dest_encrypt(rns_dest *d, ml_buf *out, const uint8_t *pt, size_t len,
                     const uint8_t *ratchet_pub)
{
    uint8_t eph[32], iv[16];
    const uint8_t *target = ratchet_pub ? ratchet_pub : d->has_announced ? d->announced : NULL;
    int ret;

    if (d->type == RNS_DEST_PLAIN)
        return ml_buf_append(out, pt, len);
    if (d->type != RNS_DEST_SINGLE || !d->id)
        return ML_EINVAL;
    if ((ret = d->rng(d->rng_ctx, eph, sizeof eph)) || (ret = d->rng(d->rng_ctx, iv, sizeof iv)))
        return ret;
    ret = rns_identity_encrypt(d->id, out, pt, len, target, eph, iv);
    ml_wipe(eph, sizeof eph);
    if (ret == 0 && target) {
        rns_ratchet_id(d->latest_id, target);
        d->has_latest_id = 1;
    }
    return ret;
}

int rns_dest_decrypt(rns_dest *d, ml_buf *out, const uint8_t *ct, size_t len)
{
    int used = -1, ret;

    if (d->type == RNS_DEST_PLAIN)
        return ml_buf_append(out, ct, len);
    if (d->type != RNS_DEST_SINGLE || !d->id)
        return ML_EINVAL;
    ret = rns_identity_decrypt(d->id, out, ct, len, (const uint8_t(*)[32])d->ratchets,
                               d->n_ratchets, d->enforce, &used);
    if (ret == 0 && used >= 0) {
        rns_dest_ratchet_id_at(d, (size_t)used, d->latest_id);
        d->has_latest_id = 1;
    } else if (ret == 0 || (d->enforce && ret == ML_EAUTH)) {
        d->has_latest_id = 0;
    }
    return ret;
}
