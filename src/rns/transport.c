// SPDX-License-Identifier: MIT
// The Reticulum transport core of an endpoint (see rns_transport.h): the tables
// that say who exists and how to reach them, the duplicate filter, and the
// glue between received packets, local destinations and links. Everything it
// wants to send goes through one output queue and everything the application
// should see through one event queue, so the daemon's event loop, the tests
// and the fuzzer drive it the same way.
#include <float.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/rns_announce.h"
#include "meshlog/rns_buffer.h"
#include "meshlog/rns_channel.h"
#include "meshlog/rns_config.h"
#include "meshlog/rns_dest.h"
#include "meshlog/rns_destination.h"
#include "meshlog/rns_msgpack.h"
#include "meshlog/rns_packet.h"
#include "meshlog/rns_pathreq.h"
#include "meshlog/rns_proof.h"
#include "meshlog/rns_ratchets.h"
#include "meshlog/rns_transport.h"

#define MAX_KNOWN 4096
#define MAX_BLOBS 16           /* random blobs remembered per destination */
#define MAX_RECEIPTS 256
#define MAX_LINKS 256
#define MAX_QUEUE 4096         /* output packets waiting for the driver */
#define DUP_SLOTS 4096         /* per generation; power of two */
#define DUP_GEN_MAX (DUP_SLOTS / 2)
#define PATHREQ_SEEN 256
#define BASE_MTU 500u

#define IA_SAMPLES 48           /* announce arrival times kept for ingress control */

struct held {                  /* an announce held back by ingress control */
    uint8_t dest[RNS_HASHLEN];
    unsigned hops;
    ml_buf raw;                /* as received, IFAC still on */
};

struct qann {                  /* a forwarded announce waiting for the announce cap */
    uint8_t dest[RNS_HASHLEN];
    double time;
    unsigned hops;
    uint64_t emitted;
    ml_buf raw;
};

struct ifx {
    double announce_cap;       /* share of bitrate for forwarded announces; 0: no cap */
    uint64_t cap_bitrate;      /* bits/s the cap is computed from */
    double allowed_at;         /* next forwarded announce not before */
    struct qann *q;            /* the interface's announce queue */
    size_t n_q;
    int mode;                  /* enum rns_iface_mode */
    int local_client;          /* a client of our shared instance */
    int ic_off;                /* ingress control disabled */
    int ar_set, ar_grace;      /* announce rate limit set explicitly */
    double ar_target, ar_penalty;
    double created;            /* first traffic seen (0: none yet) */
    double ia[IA_SAMPLES];     /* announce arrivals, oldest first */
    unsigned n_ia;
    int burst;
    double burst_at, release_at;
    struct held *held;
    size_t n_held;
};

struct iface {
    int id;
    int up;
    char name[48];
    uint32_t hw_mtu;
    int autoconf;
    int shared;
    rns_ifac *ifac;
    uint64_t bitrate;       /* bits/s, 0 unknown */
    struct ifx x;                 /* transport-node state (modes, ingress control) */
};

struct ldest {
    uint8_t hash[RNS_HASHLEN];
    uint8_t name_hash[RNS_NAME_HASHLEN];
    rns_identity *id;
    enum rns_proof_strategy proof;
    rns_proof_requested_fn proof_fn;   /* PROVE_APP */
    void *proof_ctx;
    int accept_links;
    ml_buf app_data;
    rns_dest *obj;                /* announces, ratchets, decryption */
    rns_res_policy res_policy;    /* for links accepted for it */
    rns_chan_policy chan_policy;  /* channel on links accepted for it */
};

/* A destination heard of: its key and, while not expired, a path to it. */
struct known {
    uint8_t dest[RNS_HASHLEN];
    uint8_t pub[RNS_KEYSIZE];
    ml_buf app_data;
    int has_app_data;
    int has_path;
    unsigned hops;
    uint8_t next_hop[RNS_HASHLEN];
    int via_transport;            /* the announce came HEADER_2 through next_hop */
    int iface;
    double expires, last_seen;
    double timestamp;             /* path table timestamp: learnt or last used */
    ml_buf cached;                /* the announce as received (IFAC off), for path responses */
    uint64_t emitted;
    int has_ratchet;              /* the last ratchet it announced (adopted) */
    uint8_t ratchet[RNS_RATCHETLEN];
    uint8_t blobs[MAX_BLOBS][RNS_RANDOM_HASHLEN];
    unsigned n_blobs, blob_next;
    uint8_t ann_hash[RNS_FULL_HASHLEN];   /* packet hash of the announce recorded */
    double used;                  /* last time we sent to it (0: never) */
};

struct tlink {
    rns_link *l;
    uint8_t id[RNS_HASHLEN];
    uint8_t dest[RNS_HASHLEN];
    int iface;                    /* -1: every interface */
    int initiator;
    int dead;                     /* CLOSED event queued: reap on the next call */
    rns_linkres *res;             /* its resources, made on first use */
    rns_res_policy res_policy;
    rns_channel *ch;              /* its channel, once opened (rns_transport_link_channel) */
    rns_buffer_rx *brx;           /* Buffer readers on ch, once made */
    int chan_fail_next;           /* rns_transport_channel_fail_next */
};

/* The last state of the channel of a link that is gone (rns_transport_channel_info). */
#define CHAN_LAST_MAX 8
struct chan_last {
    uint8_t id[RNS_HASHLEN];
    rns_channel_info info;
};

struct receipt {
    uint8_t hash[RNS_FULL_HASHLEN];
    uint8_t dest[RNS_HASHLEN];
    uint8_t pub[RNS_KEYSIZE];
    double sent, timeout;         /* timeout < 0: culled */
    unsigned hops;
    double first_hop;             /* its share of the timeout for the first hop */
};

struct dupgen {
    uint8_t (*h)[RNS_FULL_HASHLEN];
    uint8_t *used;
    size_t count;
};

struct onode {
    struct onode *next;
    int iface;
    ml_buf pkt;
};

struct enode {
    struct enode *next;
    rns_tev ev;
};

struct rns_transport {
    rns_transport_config cfg;
    uint8_t transport_id[RNS_HASHLEN];
    struct iface ifaces[RNS_TRANSPORT_MAX_IFACES];
    size_t n_ifaces;
    int next_iface_id;
    struct ldest dests[RNS_TRANSPORT_MAX_DESTS];
    size_t n_dests;
    struct known *known;
    size_t n_known, cap_known;
    struct tlink links[MAX_LINKS];
    size_t n_links;
    struct receipt receipts[MAX_RECEIPTS];
    size_t n_receipts;
    struct dupgen dup[2];         /* [0] current, [1] previous generation */
    rns_pathreq_seen *pr_seen;
    struct onode *out_head, *out_tail;
    size_t n_out;
    struct enode *ev_head, *ev_tail;
    rns_transport_stats stats;
    rns_frame_tap_fn tap;
    void *tap_ctx;
    int explicit_proofs;
    const uint8_t *in_raw;        /* the packet being handled (IFAC off), during inbound */
    size_t in_len;
    double res_now;               /* the latest `now` seen, for resource input */
    struct tnode *tn;             /* transport-node tables (transport_node section) */
    const uint8_t *cur_raw;       /* the packet being handled: as received ... */
    size_t cur_raw_len;
    const uint8_t *cur_plain;     /* ... and with its access code removed */
    size_t cur_plain_len;
    rns_link_tap_fn link_tap;
    void *link_tap_ctx;
    rns_ratchet_store *rstore;    /* received ratchets on disk, or NULL (borrowed) */
    struct chan_last chan_last[CHAN_LAST_MAX]; /* ring, newest at chan_last_next - 1 */
    size_t chan_last_next;
};

static int tn_init(rns_transport *t);
static void tn_free(rns_transport *t);
static void ifx_free(struct ifx *x);
static int tn_admit_remember(const rns_transport *t, const rns_packet *p);
static int tn_inbound(rns_transport *t, const rns_packet *p, const uint8_t *hash, int iface,
                      double now);
static int tn_announce_pre(rns_transport *t, const rns_packet *p, const struct known *k,
                           int iface, double now);
static int tn_announce_post(rns_transport *t, const rns_packet *p, struct known *k, int iface,
                            double now);
static int tn_path_request(rns_transport *t, const rns_pathreq *r, int iface, double now);
static int tn_send_pr(rns_transport *t, const uint8_t dest[RNS_HASHLEN], int iface,
                      const uint8_t *tag, double now);
static int tn_announce_broadcast(rns_transport *t, const uint8_t *raw, size_t len);
static int tn_tick(rns_transport *t, double now);
static double tn_deadline(const rns_transport *t);

/* ---- small helpers ------------------------------------------------------------ */

static void tlog(const rns_transport *t, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void tlog(const rns_transport *t, int level, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    if (!t->cfg.log)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    t->cfg.log(t->cfg.log_ctx, level, msg);
}

/* Short hex of a hash for log lines (static buffer per slot). */
static const char *hx(const uint8_t *h, int slot)
{
    static char buf[2][2 * RNS_HASHLEN + 1];
    ml_hex(buf[slot & 1], h, RNS_HASHLEN);
    return buf[slot & 1];
}

static struct iface *iface_get(rns_transport *t, int id)
{
    for (size_t i = 0; i < t->n_ifaces; i++)
        if (t->ifaces[i].id == id)
            return &t->ifaces[i];
    return NULL;
}

static struct ldest *ldest_get(rns_transport *t, const uint8_t hash[RNS_HASHLEN])
{
    for (size_t i = 0; i < t->n_dests; i++)
        if (memcmp(t->dests[i].hash, hash, RNS_HASHLEN) == 0)
            return &t->dests[i];
    return NULL;
}

static struct known *known_get(const rns_transport *t, const uint8_t dest[RNS_HASHLEN])
{
    for (size_t i = 0; i < t->n_known; i++)
        if (memcmp(t->known[i].dest, dest, RNS_HASHLEN) == 0)
            return &t->known[i];
    return NULL;
}

static struct tlink *link_get(rns_transport *t, const uint8_t id[RNS_HASHLEN])
{
    for (size_t i = 0; i < t->n_links; i++)
        if (!t->links[i].dead && memcmp(t->links[i].id, id, RNS_HASHLEN) == 0)
            return &t->links[i];
    return NULL;
}

static int path_valid(const struct known *k, double now)
{
    return k->has_path && now < k->expires;
}

/* ---- queues ------------------------------------------------------------------------ */

static rns_tev *push_event(rns_transport *t, enum rns_tev_type type)
{
    struct enode *n = calloc(1, sizeof *n);

    if (!n)
        return NULL;
    n->ev.type = type;
    if (t->ev_tail)
        t->ev_tail->next = n;
    else
        t->ev_head = n;
    t->ev_tail = n;
    return &n->ev;
}

/* Queues raw for one interface, with its access code. Drops quietly when the
 * interface is gone or down, or the queue is full (the driver is not draining). */
static int queue_on(rns_transport *t, struct iface *ifc, const uint8_t *raw, size_t len)
{
    struct onode *n;
    int ret;

    if (!ifc->up || t->n_out >= MAX_QUEUE)
        return 0;
    if (!(n = calloc(1, sizeof *n)))
        return ML_ENOMEM;
    if ((ret = rns_ifac_outbound(ifc->ifac, &n->pkt, raw, len))) {
        free(n);
        return ret == ML_ENOMEM ? ret : 0;
    }
    n->iface = ifc->id;
    if (t->tap)
        t->tap(t->tap_ctx, ifc->id, 1, n->pkt.p, n->pkt.len);
    if (t->out_tail)
        t->out_tail->next = n;
    else
        t->out_head = n;
    t->out_tail = n;
    t->n_out++;
    t->stats.tx_packets++;
    return 0;
}

static int queue_iface(rns_transport *t, int iface_id, const uint8_t *raw, size_t len)
{
    struct iface *ifc = iface_get(t, iface_id);
    return ifc ? queue_on(t, ifc, raw, len) : 0;
}

static int queue_broadcast(rns_transport *t, const uint8_t *raw, size_t len)
{
    int ret = 0;
    for (size_t i = 0; i < t->n_ifaces && ret == 0; i++)
        ret = queue_on(t, &t->ifaces[i], raw, len);
    return ret;
}

int rns_transport_pop_output(rns_transport *t, int *iface_id, ml_buf *out)
{
    struct onode *n = t->out_head;
    int ret;

    if (!n)
        return 0;
    t->out_head = n->next;
    if (!t->out_head)
        t->out_tail = NULL;
    t->n_out--;
    *iface_id = n->iface;
    ret = ml_buf_append(out, n->pkt.p, n->pkt.len) ? ML_ENOMEM : 1;
    ml_buf_free(&n->pkt);
    free(n);
    return ret;
}

int rns_transport_pop_event(rns_transport *t, rns_tev *ev)
{
    struct enode *n = t->ev_head;

    if (!n)
        return 0;
    t->ev_head = n->next;
    if (!t->ev_head)
        t->ev_tail = NULL;
    *ev = n->ev;
    free(n);
    return 1;
}

void rns_tev_clear(rns_tev *ev)
{
    if (!ev)
        return;
    ml_buf_free(&ev->data);
    rns_link_event_clear(&ev->link_ev);
    rns_res_event_clear(&ev->res_ev);
    memset(ev, 0, sizeof *ev);
}

/* ---- duplicate filter ------------------------------------------------------------ */

static size_t dup_slot(const uint8_t h[RNS_FULL_HASHLEN])
{
    size_t s = 0;
    memcpy(&s, h, sizeof s);
    return s & (DUP_SLOTS - 1);
}

static int dup_in(const struct dupgen *g, const uint8_t h[RNS_FULL_HASHLEN])
{
    for (size_t i = dup_slot(h), n = 0; n < DUP_SLOTS; n++, i = (i + 1) & (DUP_SLOTS - 1)) {
        if (!g->used[i])
            return 0;
        if (memcmp(g->h[i], h, RNS_FULL_HASHLEN) == 0)
            return 1;
    }
    return 0;
}

/* Adds h to the current generation; when it is half full, it becomes the
 * previous one, so memory stays bounded and recent hashes are kept. */
static void dup_add(rns_transport *t, const uint8_t h[RNS_FULL_HASHLEN])
{
    struct dupgen *g = &t->dup[0], tmp;
    size_t i = dup_slot(h);

    if (g->count >= DUP_GEN_MAX) {
        tmp = t->dup[1];
        t->dup[1] = t->dup[0];
        memset(tmp.used, 0, DUP_SLOTS);
        tmp.count = 0;
        t->dup[0] = tmp;
        g = &t->dup[0];
    }
    while (g->used[i])
        i = (i + 1) & (DUP_SLOTS - 1);
    memcpy(g->h[i], h, RNS_FULL_HASHLEN);
    g->used[i] = 1;
    g->count++;
}

static int dup_seen(const rns_transport *t, const uint8_t h[RNS_FULL_HASHLEN])
{
    return dup_in(&t->dup[0], h) || dup_in(&t->dup[1], h);
}

/* Packets the filter lets through even when seen: keepalives and resource or
 * channel traffic repeat byte for byte; announces of SINGLE destinations are
 * re-heard through other paths and judged by their random blobs instead. */
static int filter_exempt(const rns_packet *p)
{
    switch (p->context) {
    case RNS_CTX_KEEPALIVE:
    case RNS_CTX_RESOURCE:
    case RNS_CTX_RESOURCE_REQ:
    case RNS_CTX_RESOURCE_PRF:
    case RNS_CTX_CACHE_REQUEST:
    case RNS_CTX_CHANNEL:
        return 1;
    default:
        return p->packet_type == RNS_PACKET_ANNOUNCE && p->dest_type == RNS_DEST_SINGLE;
    }
}

/* ---- lifecycle ---------------------------------------------------------------------- */

static int dup_init(struct dupgen *g)
{
    g->h = calloc(DUP_SLOTS, sizeof *g->h);
    g->used = calloc(DUP_SLOTS, 1);
    g->count = 0;
    return g->h && g->used ? 0 : ML_ENOMEM;
}

int rns_transport_new(rns_transport **out, const rns_transport_config *cfg)
{
    rns_transport *t = NULL;
    uint8_t r[16];
    int ret = ML_EINVAL;

    *out = NULL;
    if (!cfg || !cfg->rng)
        return ML_EINVAL;
    if (!(t = calloc(1, sizeof *t)))
        return ML_ENOMEM;
    t->cfg = *cfg;
    if ((ret = dup_init(&t->dup[0])) || (ret = dup_init(&t->dup[1])) ||
        (ret = rns_pathreq_seen_new(&t->pr_seen, PATHREQ_SEEN)) || (ret = tn_init(t)))
        goto out;
    if ((ret = t->cfg.rng(t->cfg.rng_ctx, r, sizeof r)))
        goto out;
    rns_random_hash(t->transport_id, r);
    *out = t;
    t = NULL;
out:
    rns_transport_free(t);
    return ret;
}

static void free_queues(rns_transport *t)
{
    rns_tev ev;
    int ifc;
    ml_buf b = ML_BUF_INIT;

    while (rns_transport_pop_output(t, &ifc, &b) == 1)
        ml_buf_reset(&b);
    ml_buf_free(&b);
    while (rns_transport_pop_event(t, &ev) == 1)
        rns_tev_clear(&ev);
}

void rns_transport_free(rns_transport *t)
{
    if (!t)
        return;
    free_queues(t);
    for (size_t i = 0; i < t->n_ifaces; i++) {
        rns_ifac_free(t->ifaces[i].ifac);
        ifx_free(&t->ifaces[i].x);
    }
    tn_free(t);
    for (size_t i = 0; i < t->n_dests; i++) {
        rns_identity_free(t->dests[i].id);
        ml_buf_free(&t->dests[i].app_data);
        rns_dest_free(t->dests[i].obj);
    }
    for (size_t i = 0; i < t->n_known; i++) {
        ml_buf_free(&t->known[i].app_data);
        ml_buf_free(&t->known[i].cached);
    }
    free(t->known);
    for (size_t i = 0; i < t->n_links; i++) {
        rns_buffer_rx_free(t->links[i].brx);
        rns_channel_free(t->links[i].ch);
        rns_linkres_free(t->links[i].res);
        rns_link_free(t->links[i].l);
    }
    for (int g = 0; g < 2; g++) {
        free(t->dup[g].h);
        free(t->dup[g].used);
    }
    rns_pathreq_seen_free(t->pr_seen);
    free(t);
}

/* ---- interfaces ------------------------------------------------------------------------- */

int rns_transport_add_iface(rns_transport *t, const rns_iface_props *props, int *iface_id)
{
    struct iface *ifc;

    if (t->n_ifaces >= RNS_TRANSPORT_MAX_IFACES) {
        rns_ifac_free(props->ifac);
        return ML_ETOOBIG;
    }
    ifc = &t->ifaces[t->n_ifaces++];
    memset(ifc, 0, sizeof *ifc);
    ifc->id = t->next_iface_id++;
    ifc->up = 1;
    snprintf(ifc->name, sizeof ifc->name, "%s", props->name ? props->name : "iface");
    ifc->hw_mtu = props->hw_mtu ? props->hw_mtu : BASE_MTU;
    ifc->autoconf = props->autoconf_mtu;
    ifc->shared = props->shared_instance;
    ifc->ifac = props->ifac;
    ifc->x.mode = RNS_MODE_FULL;
    *iface_id = ifc->id;
    return 0;
}

/* Drops queued output for an interface that no longer exists. */
static void purge_output(rns_transport *t, int iface_id)
{
    struct onode **pp = &t->out_head, *n;

    t->out_tail = NULL;
    while ((n = *pp)) {
        if (n->iface == iface_id) {
            *pp = n->next;
            ml_buf_free(&n->pkt);
            free(n);
            t->n_out--;
            continue;
        }
        t->out_tail = n;
        pp = &n->next;
    }
}

int rns_transport_remove_iface(rns_transport *t, int iface_id)
{
    struct iface *ifc = iface_get(t, iface_id);

    if (!ifc)
        return ML_ENOTFOUND;
    rns_ifac_free(ifc->ifac);
    ifx_free(&ifc->x);
    *ifc = t->ifaces[--t->n_ifaces];
    for (size_t i = 0; i < t->n_known; i++)
        if (t->known[i].iface == iface_id)
            t->known[i].has_path = 0;
    for (size_t i = 0; i < t->n_links; i++)
        if (t->links[i].iface == iface_id)
            t->links[i].iface = -1;
    purge_output(t, iface_id);
    return 0;
}

int rns_transport_iface_set_up(rns_transport *t, int iface_id, int up)
{
    struct iface *ifc = iface_get(t, iface_id);

    if (!ifc)
        return ML_ENOTFOUND;
    ifc->up = up ? 1 : 0;
    if (!up)
        purge_output(t, iface_id);
    return 0;
}

int rns_transport_local_dest(const rns_transport *t, const uint8_t hash[RNS_HASHLEN],
                             enum rns_proof_strategy *proof, int *accept_links)
{
    const struct ldest *d = ldest_get((rns_transport *)t, hash);

    if (!d)
        return ML_ENOTFOUND;
    if (proof)
        *proof = d->proof;
    if (accept_links)
        *accept_links = d->accept_links;
    return 0;
}

int rns_transport_iface_set_bitrate(rns_transport *t, int iface_id, uint64_t bitrate)
{
    struct iface *ifc = iface_get(t, iface_id);

    if (!ifc)
        return ML_ENOTFOUND;
    ifc->bitrate = bitrate;
    return 0;
}

/* ---- local destinations ----------------------------------------------------------------- */

static int copy_identity(rns_identity **out, const rns_identity *id)
{
    uint8_t priv[RNS_KEYSIZE];
    int ret = rns_identity_private_key(id, priv);

    if (ret == 0)
        ret = rns_identity_from_private(out, priv);
    ml_wipe(priv, sizeof priv);
    return ret;
}

static int rng_thunk(void *ctx, void *out, size_t len);

/* The destination object's numbering of a proof strategy. */
static int dest_proof_of(enum rns_proof_strategy s)
{
    return s == RNS_PROVE_ALL ? RNS_DEST_PROVE_ALL
           : s == RNS_PROVE_APP ? RNS_DEST_PROVE_APP : RNS_DEST_PROVE_NONE;
}

/* The destination object behind a registered destination (rns_dest.h). */
static int make_obj(rns_transport *t, struct ldest *d, const rns_dest_params *dp)
{
    rns_dest_config dc = {.identity = dp->identity, .direction = RNS_DEST_IN,
                          .type = RNS_DEST_SINGLE, .app_name = dp->app_name,
                          .aspects = dp->aspects, .n_aspects = dp->n_aspects,
                          .rng = rng_thunk, .rng_ctx = t};
    int ret = rns_dest_new(&d->obj, &dc);

    if (ret == 0)
        ret = rns_dest_set_proof_strategy(d->obj, dest_proof_of(dp->proof));
    return ret;
}

int rns_transport_register(rns_transport *t, const rns_dest_params *dp, uint8_t *dest_hash)
{
    struct ldest d;
    int ret;

    memset(&d, 0, sizeof d);
    if (!dp || !dp->identity || !rns_identity_has_private(dp->identity))
        return ML_EINVAL;
    if (t->n_dests >= RNS_TRANSPORT_MAX_DESTS)
        return ML_ETOOBIG;
    if ((ret = rns_destination_hash_for(d.hash, d.name_hash, RNS_DEST_SINGLE, dp->app_name,
                                        dp->aspects, dp->n_aspects, dp->identity)))
        return ret;
    if (ldest_get(t, d.hash))
        return ML_EEXIST;
    if ((ret = copy_identity(&d.id, dp->identity)))
        return ret;
    if ((dp->app_data_len && (ret = ml_buf_append(&d.app_data, dp->app_data, dp->app_data_len))) ||
        (ret = make_obj(t, &d, dp))) {
        rns_identity_free(d.id);
        ml_buf_free(&d.app_data);
        rns_dest_free(d.obj);
        return ret;
    }
    d.proof = dp->proof;
    d.accept_links = dp->accept_links;
    t->dests[t->n_dests++] = d;
    if (dest_hash)
        memcpy(dest_hash, d.hash, RNS_HASHLEN);
    tlog(t, RNS_LOG_INFO, "registered destination %s", hx(d.hash, 0));
    return 0;
}

static int link_prove_thunk(void *ctx, const rns_link *l, const uint8_t *data, size_t len);

int rns_transport_set_proof_strategy(rns_transport *t, const uint8_t dest_hash[RNS_HASHLEN],
                                     enum rns_proof_strategy strategy,
                                     rns_proof_requested_fn fn, void *ctx)
{
    struct ldest *d = ldest_get(t, dest_hash);

    if (!d)
        return ML_ENOTFOUND;
    if (strategy != RNS_PROVE_NONE && strategy != RNS_PROVE_ALL && strategy != RNS_PROVE_APP)
        return ML_EINVAL;
    d->proof = strategy;
    d->proof_fn = fn;
    d->proof_ctx = ctx;
    rns_dest_set_proof_strategy(d->obj, dest_proof_of(strategy));   /* kept in step */
    /* as in the reference, open links follow their destination's strategy */
    for (size_t i = 0; i < t->n_links; i++)
        if (!t->links[i].initiator && !memcmp(t->links[i].dest, dest_hash, RNS_HASHLEN))
            rns_link_set_proving(t->links[i].l, (int)strategy, link_prove_thunk, t);
    return 0;
}

int rns_transport_proof_strategy(const rns_transport *t, const uint8_t dest_hash[RNS_HASHLEN])
{
    const struct ldest *d = ldest_get((rns_transport *)t, dest_hash);
    return d ? (int)d->proof : -1;
}

void rns_transport_set_implicit_proofs(rns_transport *t, int implicit_proofs)
{
    t->explicit_proofs = !implicit_proofs;
}

int rns_transport_implicit_proofs(const rns_transport *t)
{
    return !t->explicit_proofs;
}

int rns_transport_set_app_data(rns_transport *t, const uint8_t dest_hash[RNS_HASHLEN],
                               const uint8_t *app_data, size_t len)
{
    struct ldest *d = ldest_get(t, dest_hash);

    if (!d)
        return ML_ENOTFOUND;
    ml_buf_reset(&d->app_data);
    return len ? ml_buf_append(&d->app_data, app_data, len) : 0;
}

rns_dest *rns_transport_dest(rns_transport *t, const uint8_t dest_hash[RNS_HASHLEN])
{
    struct ldest *d = ldest_get(t, dest_hash);
    return d ? d->obj : NULL;
}

/* Builds an announce of d (context NONE or PATH_RESPONSE answering tag) into
 * out, through the destination object: it rotates and carries the ratchet. */
static int make_announce(rns_transport *t, const struct ldest *d, uint8_t context,
                         const uint8_t *tag, size_t tag_len, double now, ml_buf *out)
{
    rns_dest_announce_opts o;

    (void)t;
    memset(&o, 0, sizeof o);
    o.app_data = d->app_data.len ? d->app_data.p : NULL;
    o.app_data_len = d->app_data.len;
    o.path_response = context == RNS_CTX_PATH_RESPONSE;
    o.tag = tag;
    o.tag_len = tag_len;
    o.now = now;
    return rns_dest_announce(d->obj, out, &o);
}

int rns_transport_announce(rns_transport *t, const uint8_t dest_hash[RNS_HASHLEN], double now)
{
    struct ldest *d = ldest_get(t, dest_hash);
    ml_buf b = ML_BUF_INIT;
    int ret;

    if (!d)
        return ML_ENOTFOUND;
    if ((ret = make_announce(t, d, RNS_CTX_NONE, NULL, 0, now, &b)) == 0)
        ret = tn_announce_broadcast(t, b.p, b.len);
    ml_buf_free(&b);
    return ret;
}

/* ---- paths and identities ------------------------------------------------------------------- */

double rns_transport_first_hop_timeout(const rns_transport *t, const uint8_t dest[RNS_HASHLEN],
                                       double now)
{
    const struct known *k = known_get(t, dest);
    const struct iface *ifc = k && path_valid(k, now) ? iface_get((rns_transport *)t, k->iface) : NULL;

    if (!ifc || !ifc->bitrate)
        return RNS_DEFAULT_PER_HOP_TIMEOUT;
    return (double)RNS_MTU * 8.0 / (double)ifc->bitrate + RNS_DEFAULT_PER_HOP_TIMEOUT;
}

int rns_transport_path_at(const rns_transport *t, size_t i, double now, rns_path_info *out)
{
    for (size_t k = 0; k < t->n_known; k++) {
        const struct known *kn = &t->known[k];
        if (!path_valid(kn, now) || i--)
            continue;
        memcpy(out->dest, kn->dest, RNS_HASHLEN);
        memcpy(out->next_hop, kn->next_hop, RNS_HASHLEN);
        out->hops = kn->hops;
        out->iface_id = kn->iface;
        out->last_seen = kn->last_seen;
        out->expires = kn->expires;
        return 1;
    }
    return 0;
}

size_t rns_transport_links_total(const rns_transport *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n_links; i++)
        n += !t->links[i].dead;
    return n;
}

int rns_transport_has_path(const rns_transport *t, const uint8_t dest[RNS_HASHLEN], double now,
                           unsigned *hops)
{
    const struct known *k = known_get(t, dest);

    if (!k || !path_valid(k, now))
        return 0;
    if (hops)
        *hops = k->hops;
    return 1;
}

int rns_transport_request_path(rns_transport *t, const uint8_t dest[RNS_HASHLEN], double now)
{
    tlog(t, RNS_LOG_DEBUG, "path request for %s", hx(dest, 0));
    return tn_send_pr(t, dest, -1, NULL, now);
}

int rns_transport_recall(const rns_transport *t, const uint8_t dest[RNS_HASHLEN], uint8_t *pub,
                         const uint8_t **app_data, size_t *app_data_len)
{
    const struct known *k = known_get(t, dest);

    if (!k)
        return ML_ENOTFOUND;
    if (pub)
        memcpy(pub, k->pub, RNS_KEYSIZE);
    if (app_data)
        *app_data = !k->has_app_data ? NULL : k->app_data.p ? k->app_data.p : (const uint8_t *)"";
    if (app_data_len)
        *app_data_len = k->has_app_data ? k->app_data.len : 0;
    return 0;
}

int rns_transport_recall_ratchet(const rns_transport *t, const uint8_t dest[RNS_HASHLEN],
                                 uint8_t ratchet_pub[32])
{
    const struct known *k = known_get(t, dest);

    if (k && k->has_ratchet) {
        memcpy(ratchet_pub, k->ratchet, RNS_RATCHETLEN);
        return 0;
    }
    /* Cold memory: as get_ratchet, the one on disk (the latest time seen
     * judges its expiry; the core has no clock of its own). */
    if (t->rstore && !rns_ratchet_store_get(t->rstore, dest, t->res_now, ratchet_pub, NULL))
        return 0;
    return ML_ENOTFOUND;
}

/* Identity._remember_ratchet: adopts a ratchet heard in an announce and, when
 * it is new, writes it to the store (a failed write only costs persistence). */
int rns_transport_remember_ratchet(rns_transport *t, const uint8_t dest[RNS_HASHLEN],
                                   const uint8_t ratchet[32], double now)
{
    struct known *k = known_get(t, dest);

    if (k && k->has_ratchet && !memcmp(k->ratchet, ratchet, RNS_RATCHETLEN))
        return 0;                      /* known already: not rewritten */
    if (k) {
        memcpy(k->ratchet, ratchet, RNS_RATCHETLEN);
        k->has_ratchet = 1;
    }
    return t->rstore ? rns_ratchet_store_put(t->rstore, dest, ratchet, now) : 0;
}

static void adopt_ratchet(rns_transport *t, struct known *k, const uint8_t *ratchet, double now)
{
    if (rns_transport_remember_ratchet(t, k->dest, ratchet, now))
        tlog(t, RNS_LOG_ERROR, "could not persist the ratchet of %s", hx(k->dest, 0));
}

void rns_transport_set_ratchet_store(rns_transport *t, rns_ratchet_store *s)
{
    t->rstore = s;
}

rns_ratchet_store *rns_transport_ratchet_store(const rns_transport *t)
{
    return t->rstore;
}

static int ratchet_in_use(void *ctx, const uint8_t dest[RNS_HASHLEN])
{
    return known_get(ctx, dest) != NULL;
}

int rns_transport_clean_ratchets(rns_transport *t, double now, size_t *removed)
{
    if (removed)
        *removed = 0;
    if (!t->rstore)
        return ML_ESTATE;
    return rns_ratchet_store_clean(t->rstore, now, ratchet_in_use, t, removed);
}

/* A slot for dest: existing, new, or the least recently heard one reused. */
static struct known *known_slot(rns_transport *t, const uint8_t dest[RNS_HASHLEN])
{
    struct known *k = known_get(t, dest), *n;
    size_t oldest = 0;

    if (k)
        return k;
    if (t->n_known == t->cap_known && t->cap_known < MAX_KNOWN) {
        size_t cap = t->cap_known ? t->cap_known * 2 : 64;
        if (!(n = realloc(t->known, cap * sizeof *n)))
            return NULL;
        t->known = n;
        t->cap_known = cap;
    }
    if (t->n_known < t->cap_known) {
        k = &t->known[t->n_known++];
    } else {
        for (size_t i = 1; i < t->n_known; i++)
            if (t->known[i].last_seen < t->known[oldest].last_seen)
                oldest = i;
        k = &t->known[oldest];
        ml_buf_free(&k->app_data);
        ml_buf_free(&k->cached);
    }
    memset(k, 0, sizeof *k);
    memcpy(k->dest, dest, RNS_HASHLEN);
    return k;
}

/* ---- outbound routing --------------------------------------------------------------------- */

/* Whether packets to k must be addressed to the next hop (HEADER_2): the path
 * is longer than one hop, or one hop through a shared instance, which only
 * forwards what is addressed to its transport id. */
static int needs_transport(const rns_transport *t, const struct known *k)
{
    const struct iface *ifc = iface_get((rns_transport *)t, k->iface);

    if (!k->via_transport)
        return 0;
    return k->hops > 1 || (k->hops == 1 && ifc && ifc->shared);
}

/* Transport.outbound for a packet we originate to a SINGLE destination. */
static int route_single(rns_transport *t, rns_packet *p, double now)
{
    struct known *k = known_get(t, p->dest_hash);
    ml_buf b = ML_BUF_INIT;
    int ret, routed = k && path_valid(k, now) && iface_get(t, k->iface);

    if (routed && needs_transport(t, k))
        rns_packet_set_transport(p, k->next_hop);
    if ((ret = rns_packet_pack(&b, p)) == 0)
        ret = routed ? queue_iface(t, k->iface, b.p, b.len) : queue_broadcast(t, b.p, b.len);
    ml_buf_free(&b);
    return ret;
}

/* ---- sending ------------------------------------------------------------------------------- */

/* A receipt for a packet to dest, proved with pub. Its timeout is the
 * reference's PacketReceipt one: first hop plus a per-hop allowance for the
 * path's hops, or for RNS_PATHFINDER_M hops when no path is known. */
static int add_receipt(rns_transport *t, const uint8_t hash[RNS_FULL_HASHLEN],
                       const uint8_t dest[RNS_HASHLEN], const uint8_t pub[RNS_KEYSIZE],
                       double now)
{
    const struct known *k = known_get(t, dest);
    struct receipt *r;
    unsigned hops = k && path_valid(k, now) ? k->hops : RNS_PATHFINDER_M;

    if (t->n_receipts >= MAX_RECEIPTS)
        memmove(&t->receipts[0], &t->receipts[1], --t->n_receipts * sizeof *r);
    r = &t->receipts[t->n_receipts++];
    memcpy(r->hash, hash, RNS_FULL_HASHLEN);
    memcpy(r->dest, dest, RNS_HASHLEN);
    memcpy(r->pub, pub, RNS_KEYSIZE);
    r->sent = now;
    r->hops = hops;
    r->first_hop = rns_transport_first_hop_timeout(t, dest, now);
    r->timeout = r->first_hop + (double)RNS_DEFAULT_PER_HOP_TIMEOUT * (double)hops;
    return 0;
}

static struct receipt *receipt_get(const rns_transport *t, const uint8_t hash[RNS_FULL_HASHLEN])
{
    for (size_t i = 0; i < t->n_receipts; i++)
        if (memcmp(t->receipts[i].hash, hash, RNS_FULL_HASHLEN) == 0)
            return (struct receipt *)&t->receipts[i];
    return NULL;
}

int rns_transport_receipt(const rns_transport *t, const uint8_t packet_hash[RNS_FULL_HASHLEN],
                          rns_receipt_info *info)
{
    const struct receipt *r = receipt_get(t, packet_hash);

    if (!r)
        return ML_ENOTFOUND;
    if (info) {
        memcpy(info->dest, r->dest, RNS_HASHLEN);
        info->sent = r->sent;
        info->timeout = r->timeout;
        info->hops = r->hops;
        info->first_hop_timeout = r->first_hop;
    }
    return 0;
}

int rns_transport_receipt_set_timeout(rns_transport *t,
                                      const uint8_t packet_hash[RNS_FULL_HASHLEN], double timeout)
{
    struct receipt *r = receipt_get(t, packet_hash);

    if (!r)
        return ML_ENOTFOUND;
    r->timeout = timeout;
    return 0;
}

/* Transport.outbound's receipt gate. */
static int receipt_eligible(const rns_packet *p)
{
    return p->packet_type == RNS_PACKET_DATA && p->dest_type != RNS_DEST_PLAIN &&
           p->context < RNS_CTX_KEEPALIVE && /* KEEPALIVE..LRPROOF (0xFF) are link control */
           !(p->context >= RNS_CTX_RESOURCE && p->context <= RNS_CTX_RESOURCE_RCL);
}

int rns_transport_send_packet(rns_transport *t, const rns_packet *p, const uint8_t *pub,
                              int create_receipt, double now, uint8_t *packet_hash, int *receipt)
{
    const struct known *k = known_get(t, p->dest_hash);
    uint8_t hash[RNS_FULL_HASHLEN];
    rns_packet q = *p;
    int ret, make = 0;

    if (receipt)
        *receipt = 0;
    if (!pub && k)
        pub = k->pub;
    if ((ret = rns_packet_hash(hash, &q)))
        return ret;
    make = create_receipt && pub && receipt_eligible(&q);
    if (make && (ret = add_receipt(t, hash, q.dest_hash, pub, now)))
        return ret;
    if ((ret = route_single(t, &q, now)))
        return ret;
    if (packet_hash)
        memcpy(packet_hash, hash, RNS_FULL_HASHLEN);
    if (receipt)
        *receipt = make;
    return 0;
}

int rns_transport_send(rns_transport *t, const uint8_t dest[RNS_HASHLEN], const uint8_t *data,
                       size_t len, double now, uint8_t *packet_hash)
{
    struct known *k = known_get(t, dest);
    rns_identity *id = NULL;
    uint8_t eph[32], iv[16], hash[RNS_FULL_HASHLEN];
    ml_buf ct = ML_BUF_INIT;
    rns_packet p;
    int ret;

    if (!k)
        return ML_ENOTFOUND;
    k->used = now;
    if (len > RNS_ENCRYPTED_MDU)
        return ML_ETOOBIG;
    if (!k->has_ratchet && t->rstore &&   /* a ratchet remembered from before */
        !rns_ratchet_store_get(t->rstore, dest, now, k->ratchet, NULL))
        k->has_ratchet = 1;
    if ((ret = rns_identity_from_public(&id, k->pub)) ||
        (ret = t->cfg.rng(t->cfg.rng_ctx, eph, sizeof eph)) ||
        (ret = t->cfg.rng(t->cfg.rng_ctx, iv, sizeof iv)) ||
        (ret = rns_identity_encrypt(id, &ct, data, len, k->has_ratchet ? k->ratchet : NULL,
                                    eph, iv)))
        goto out;
    memset(&p, 0, sizeof p);
    p.packet_type = RNS_PACKET_DATA;
    p.dest_type = RNS_DEST_SINGLE;
    memcpy(p.dest_hash, dest, RNS_HASHLEN);
    p.data = ct.p;
    p.data_len = ct.len;
    if ((ret = rns_packet_hash(hash, &p)) || (ret = add_receipt(t, hash, k->dest, k->pub, now)) ||
        (ret = route_single(t, &p, now)))
        goto out;
    if (packet_hash)
        memcpy(packet_hash, hash, RNS_FULL_HASHLEN);
out:
    ml_wipe(eph, sizeof eph);
    ml_buf_free(&ct);
    rns_identity_free(id);
    return ret;
}

/* ---- links ---------------------------------------------------------------------------------- */

static int rng_thunk(void *ctx, void *out, size_t len);

static int drain_packets(rns_transport *t, struct tlink *tl)
{
    ml_buf b = ML_BUF_INIT;
    int ret = 0;

    while (ret == 0 && rns_link_pop_packet(tl->l, &b) == 1) {
        ret = tl->iface >= 0 ? queue_iface(t, tl->iface, b.p, b.len)
                             : queue_broadcast(t, b.p, b.len);
        ml_buf_reset(&b);
    }
    ml_buf_free(&b);
    return ret;
}

static int link_res(rns_transport *t, struct tlink *tl)
{
    if (!tl->res && rns_linkres_new(&tl->res, rng_thunk, t))
        return ML_ENOMEM;
    rns_linkres_set_policy(tl->res, &tl->res_policy);
    return 0;
}

/* Resource packets go to the link's resources (1: taken); requests and
 * responses that came as resources come back as link events. */
static int res_take(rns_transport *t, struct tlink *tl, const rns_link_event *lev)
{
    int r;

    if (lev->type == RNS_LINK_EV_CLOSED) {
        rns_linkres_link_closed(tl->res);
        return 0;
    }
    if (lev->type != RNS_LINK_EV_PACKET || lev->context < RNS_CTX_RESOURCE ||
        lev->context > RNS_CTX_RESOURCE_RCL)
        return 0;
    if (link_res(t, tl))
        return ML_ENOMEM;
    r = rns_linkres_input(tl->res, tl->l, lev, t->res_now);
    if (r == 2) {
        tlog(t, RNS_LOG_INFO, "link %s: resource data is a decompression bomb, closing",
             hx(tl->id, 0));
        r = rns_link_close(tl->l, t->res_now) == ML_ENOMEM ? ML_ENOMEM : 1;
    }
    return r;
}

static int res_events(rns_transport *t, struct tlink *tl)
{
    rns_res_event rev;
    rns_link_event lev;
    rns_tev *ev;
    int conv;

    while (tl->res && rns_linkres_pop_event(tl->res, &rev) == 1) {
        memset(&lev, 0, sizeof lev);
        conv = rns_res_event_as_link_event(&rev, &lev);
        if (!(ev = push_event(t, conv == 1 ? RNS_TEV_LINK : RNS_TEV_RESOURCE))) {
            rns_res_event_clear(&rev);
            rns_link_event_clear(&lev);
            return ML_ENOMEM;
        }
        memcpy(ev->link_id, tl->id, RNS_HASHLEN);
        memcpy(ev->dest, tl->dest, RNS_HASHLEN);
        ev->initiator = tl->initiator;
        ev->rtt = rns_link_rtt(tl->l);
        if (conv == 1) {
            ev->link_ev = lev;
            rns_res_event_clear(&rev);
        } else {
            ev->res_ev = rev;
        }
    }
    return 0;
}

/* CHANNEL packets go to the link's channel once one is open (1: taken; the
 * link has proved them already); proofs acknowledge its envelopes and still
 * reach the caller (receipts). Without a channel nothing changes. */
static int chan_take(struct tlink *tl, const rns_link_event *lev)
{
    int r;

    if (!tl->ch)
        return 0;
    if (lev->type == RNS_LINK_EV_PROOF) {
        rns_channel_delivered(tl->ch, lev->id);
        return 0;
    }
    if (lev->type != RNS_LINK_EV_PACKET || lev->context != RNS_CTX_CHANNEL)
        return 0;
    r = rns_channel_receive(tl->ch, lev->data.p, lev->data.len);
    return r == ML_ENOMEM ? r : 1;
}

/* Sends the channel's envelope `seq` (again) in a CHANNEL packet and arms its timer. */
static int chan_transmit(struct tlink *tl, const ml_buf *env, uint16_t seq, double now)
{
    uint8_t hash[RNS_FULL_HASHLEN];
    int ret = rns_link_send(tl->l, RNS_CTX_CHANNEL, env->p, env->len, now, hash);

    return ret ? ret : rns_channel_sent(tl->ch, seq, hash, now);
}

/* Retransmits what is due; after the last try the link is torn down, as the
 * reference's channel does. */
static int chan_tick(struct tlink *tl, double now)
{
    ml_buf env = ML_BUF_INIT;
    uint16_t seq;
    int r;

    rns_channel_set_rtt(tl->ch, rns_link_rtt(tl->l));
    while ((r = rns_channel_tick(tl->ch, now, &env, &seq)) == 1) {
        if ((r = chan_transmit(tl, &env, seq, now)))
            break;
        ml_buf_reset(&env);
    }
    ml_buf_free(&env);
    if (r == ML_ETIMEOUT)
        return rns_link_close(tl->l, now) == ML_ENOMEM ? ML_ENOMEM : 0;
    return r == ML_ENOMEM ? r : 0;
}

/* An inbound link just established: open the channel its destination asks
 * for (the reference's application does so in its link-established
 * callback), so the peer's CHANNEL packets are taken and proved. */
static int chan_accept(rns_transport *t, struct tlink *tl)
{
    const struct ldest *d = ldest_get(t, tl->dest);
    const rns_chan_policy *p = d ? &d->chan_policy : NULL;
    int r = 0;

    if (!p || !p->open)
        return 0;
    if (!rns_transport_link_channel(t, tl->id))
        return ML_ENOMEM;
    for (size_t i = 0; i < p->n_msgtypes && !r; i++)
        r = rns_channel_register(tl->ch, p->msgtypes[i]);
    if (!r && p->buffer && !tl->brx)
        r = rns_buffer_rx_new(&tl->brx, tl->ch);
    for (size_t i = 0; i < p->n_stream_ids && !r && tl->brx; i++)
        r = rns_buffer_rx_open(tl->brx, p->stream_ids[i]);
    if (r && r != ML_ENOMEM)
        tlog(t, RNS_LOG_WARN, "channel on link %s: %s", hx(tl->id, 0), ml_strerror(r));
    return r == ML_ENOMEM ? r : 0;
}

static int drain_link(rns_transport *t, struct tlink *tl)
{
    rns_link_event lev;
    rns_tev *ev;
    int ret = drain_packets(t, tl), r;

    while (ret == 0 && rns_link_pop_event(tl->l, &lev) == 1) {
        if (lev.type == RNS_LINK_EV_ESTABLISHED && !tl->initiator && (r = chan_accept(t, tl))) {
            rns_link_event_clear(&lev);
            return r;
        }
        if ((r = chan_take(tl, &lev)) != 0 || (r = res_take(t, tl, &lev)) != 0) {
            rns_link_event_clear(&lev);
            if (r < 0)
                return r;
            continue;
        }
        if (lev.type == RNS_LINK_EV_CLOSED && (ret = res_events(t, tl)))
            return ret;
        if (!(ev = push_event(t, RNS_TEV_LINK))) {
            rns_link_event_clear(&lev);
            return ML_ENOMEM;
        }
        memcpy(ev->link_id, tl->id, RNS_HASHLEN);
        memcpy(ev->dest, tl->dest, RNS_HASHLEN);
        ev->initiator = tl->initiator;
        ev->rtt = rns_link_rtt(tl->l);
        ev->link_ev = lev;
        if (lev.type == RNS_LINK_EV_CLOSED)
            tl->dead = 1;
    }
    if (ret == 0)
        ret = res_events(t, tl);
    return ret ? ret : drain_packets(t, tl);
}

/* Frees links whose CLOSED event has been handed out. */
static void reap_links(rns_transport *t)
{
    for (size_t i = 0; i < t->n_links;) {
        if (t->links[i].dead) {
            rns_buffer_rx_free(t->links[i].brx);
            if (t->links[i].ch) {
                struct chan_last *cl = &t->chan_last[t->chan_last_next++ % CHAN_LAST_MAX];
                memcpy(cl->id, t->links[i].id, RNS_HASHLEN);
                rns_channel_info_get(t->links[i].ch, &cl->info);
            }
            rns_channel_free(t->links[i].ch);
            rns_linkres_free(t->links[i].res);
            rns_link_free(t->links[i].l);
            t->links[i] = t->links[--t->n_links];
            continue;
        }
        i++;
    }
}

int rns_transport_flush(rns_transport *t, double now)
{
    int ret = 0;

    t->res_now = now;
    for (size_t i = 0; i < t->n_links && ret == 0; i++)
        if (!t->links[i].dead)
            ret = drain_link(t, &t->links[i]);
    return ret;
}

static struct tlink *add_link(rns_transport *t, rns_link *l, const uint8_t dest[RNS_HASHLEN],
                              int iface, int initiator)
{
    struct tlink *tl;

    if (t->n_links >= MAX_LINKS)
        return NULL;
    tl = &t->links[t->n_links++];
    memset(tl, 0, sizeof *tl);
    tl->l = l;
    memcpy(tl->id, rns_link_id(l), RNS_HASHLEN);
    memcpy(tl->dest, dest, RNS_HASHLEN);
    tl->iface = iface;
    tl->initiator = initiator;
    rns_link_set_tap(l, t->link_tap, t->link_tap_ctx);
    return tl;
}

static int rng_thunk(void *ctx, void *out, size_t len)
{
    rns_transport *t = ctx;
    return t->cfg.rng(t->cfg.rng_ctx, out, len);
}

/* The MTU a link over this interface may signal. */
static uint32_t link_mtu_for(const struct iface *ifc)
{
    return ifc && ifc->autoconf ? ifc->hw_mtu : BASE_MTU;
}

int rns_transport_link_open(rns_transport *t, const uint8_t dest[RNS_HASHLEN], double now,
                            uint8_t *link_id)
{
    struct known *k = known_get(t, dest);
    struct iface *ifc = NULL;
    rns_identity *id = NULL;
    rns_link *l = NULL;
    rns_link_initiate_params lp;
    struct tlink *tl;
    int ret, routed;

    reap_links(t);
    if (!k)
        return ML_ENOTFOUND;
    routed = path_valid(k, now) && (ifc = iface_get(t, k->iface)) != NULL;
    if ((ret = rns_identity_from_public(&id, k->pub)))
        return ret;
    memset(&lp, 0, sizeof lp);
    lp.dest_hash = dest;
    lp.dest_identity = id;
    lp.mtu = link_mtu_for(ifc);
    lp.transport_id = routed && needs_transport(t, k) ? k->next_hop : NULL;
    lp.hops = routed ? k->hops : 1;
    lp.rng = rng_thunk;
    lp.rng_ctx = t;
    if ((ret = rns_link_initiate(&l, &lp, now)))
        goto out;
    if (!(tl = add_link(t, l, dest, routed ? k->iface : -1, 1))) {
        ret = ML_ETOOBIG;
        goto out;
    }
    l = NULL;
    if (link_id)
        memcpy(link_id, tl->id, RNS_HASHLEN);
    tlog(t, RNS_LOG_INFO, "link %s to %s requested", hx(tl->id, 0), hx(dest, 1));
    ret = drain_link(t, tl);
out:
    rns_link_free(l);
    rns_identity_free(id);
    return ret;
}

rns_link *rns_transport_link(rns_transport *t, const uint8_t link_id[RNS_HASHLEN])
{
    struct tlink *tl = link_get(t, link_id);

    /* as documented, a closed link stays readable until it is reaped */
    for (size_t i = 0; !tl && i < t->n_links; i++)
        if (memcmp(t->links[i].id, link_id, RNS_HASHLEN) == 0)
            tl = &t->links[i];
    return tl ? tl->l : NULL;
}

/* ---- resources over links ------------------------------------------------------------------- */

int rns_transport_set_resource_policy(rns_transport *t, const uint8_t dest_hash[RNS_HASHLEN],
                                      const rns_res_policy *p)
{
    struct ldest *d = ldest_get(t, dest_hash);

    if (!d || !p)
        return ML_ENOTFOUND;
    d->res_policy = *p;
    return 0;
}

int rns_transport_link_set_resource_policy(rns_transport *t, const uint8_t link_id[RNS_HASHLEN],
                                           const rns_res_policy *p)
{
    struct tlink *tl = link_get(t, link_id);

    if (!tl || !p)
        return ML_ENOTFOUND;
    tl->res_policy = *p;
    if (tl->res)
        rns_linkres_set_policy(tl->res, p);
    return 0;
}

rns_channel *rns_transport_link_channel(rns_transport *t, const uint8_t link_id[RNS_HASHLEN])
{
    struct tlink *tl = link_get(t, link_id);

    if (!tl || tl->dead)
        return NULL;
    if (!tl->ch && rns_channel_new(&tl->ch, rns_link_rtt(tl->l), rns_link_mdu(tl->l)))
        tl->ch = NULL;
    if (tl->ch)
        rns_link_set_channel_open(tl->l, 1);
    return tl->ch;
}

int rns_transport_set_channel_policy(rns_transport *t, const uint8_t dest_hash[RNS_HASHLEN],
                                     const rns_chan_policy *p)
{
    struct ldest *d = ldest_get(t, dest_hash);

    if (!d)
        return ML_ENOTFOUND;
    if (!p || p->n_msgtypes > RNS_CHAN_POLICY_MAX || p->n_stream_ids > RNS_CHAN_POLICY_MAX)
        return ML_EINVAL;
    for (size_t i = 0; i < p->n_msgtypes; i++)
        if (p->msgtypes[i] >= RNS_MSGTYPE_SYSTEM)
            return ML_EINVAL;
    for (size_t i = 0; i < p->n_stream_ids; i++)
        if (p->stream_ids[i] > RNS_STREAM_ID_MAX)
            return ML_EINVAL;
    d->chan_policy = *p;
    return 0;
}

rns_buffer_rx *rns_transport_link_buffer(rns_transport *t, const uint8_t link_id[RNS_HASHLEN],
                                         int create)
{
    struct tlink *tl = link_get(t, link_id);

    if (!tl || tl->dead || (!tl->brx && !create))
        return tl && !tl->dead ? tl->brx : NULL;
    if (!tl->brx && (!rns_transport_link_channel(t, link_id) ||
                     rns_buffer_rx_new(&tl->brx, tl->ch)))
        tl->brx = NULL;
    return tl->brx;
}

/* One channel send on a link, application (system 0) or system-reserved
 * type: the envelope goes out now, or its sequence is given back. */
static int chan_send(rns_transport *t, const uint8_t link_id[RNS_HASHLEN], uint16_t msgtype,
                     const uint8_t *data, size_t len, double now, uint16_t *sequence, int system)
{
    struct tlink *tl = link_get(t, link_id);
    ml_buf env = ML_BUF_INIT;
    uint16_t seq;
    int ret;

    if (!tl || tl->dead)
        return ML_ENOTFOUND;
    /* A send the link cannot carry would pin a window slot forever. */
    if (rns_link_state(tl->l) != RNS_LINK_ACTIVE && rns_link_state(tl->l) != RNS_LINK_STALE)
        return ML_ESTATE;
    if (!rns_transport_link_channel(t, link_id))
        return ML_ENOMEM;
    rns_channel_set_rtt(tl->ch, rns_link_rtt(tl->l));
    ret = system ? rns_channel_send_system(tl->ch, msgtype, data, len, &env, &seq)
                 : rns_channel_send(tl->ch, msgtype, data, len, &env, &seq);
    if (!ret) {
        if (tl->chan_fail_next && !system) {
            tl->chan_fail_next = 0;
            ret = ML_ESTATE; /* injected: the link carried nothing */
        } else {
            ret = chan_transmit(tl, &env, seq, now);
        }
        /* Not sent: give the sequence back rather than pin a window slot. */
        if (ret)
            rns_channel_unsend(tl->ch, seq);
        else if (sequence)
            *sequence = seq;
    }
    ml_buf_free(&env);
    t->res_now = now;
    return ret ? ret : drain_link(t, tl);
}

int rns_transport_channel_send_system(rns_transport *t, const uint8_t link_id[RNS_HASHLEN],
                                      uint16_t msgtype, const uint8_t *data, size_t len,
                                      double now, uint16_t *sequence)
{
    return chan_send(t, link_id, msgtype, data, len, now, sequence, 1);
}

int rns_transport_buffer_write(rns_transport *t, const uint8_t link_id[RNS_HASHLEN],
                               uint16_t stream_id, int eof, const uint8_t *data, size_t len,
                               double now, rns_buffer_sent *sent)
{
    struct tlink *tl = link_get(t, link_id);
    ml_buf msg = ML_BUF_INIT;
    rns_buffer_sent s;
    int ret;

    memset(&s, 0, sizeof s);
    if (sent)
        *sent = s;
    if (!tl || tl->dead)
        return ML_ENOTFOUND;
    /* A write the channel cannot take now takes nothing (ME_LINK_NOT_READY). */
    if (!rns_transport_link_channel(t, link_id) || !rns_channel_ready(tl->ch))
        return tl->ch ? ML_ESTATE : ML_ENOMEM;
    if ((ret = rns_buffer_pack_chunk(&msg, stream_id, eof, data, len, &s.taken, &s.compressed)))
        return ret;
    s.bytes = msg.len - RNS_STREAM_HEADER;
    ret = rns_transport_channel_send_system(t, link_id, RNS_MSGTYPE_STREAM_DATA, msg.p, msg.len,
                                            now, &s.sequence);
    ml_buf_free(&msg);
    if (!ret && sent)
        *sent = s;
    return ret;
}

int rns_transport_channel_send(rns_transport *t, const uint8_t link_id[RNS_HASHLEN],
                               uint16_t msgtype, const uint8_t *data, size_t len, double now,
                               uint16_t *sequence)
{
    return chan_send(t, link_id, msgtype, data, len, now, sequence, 0);
}

int rns_transport_channel_fail_next(rns_transport *t, const uint8_t link_id[RNS_HASHLEN])
{
    struct tlink *tl = link_get(t, link_id);

    if (!tl || tl->dead)
        return ML_ENOTFOUND;
    tl->chan_fail_next = 1;
    return 0;
}

int rns_transport_channel_info(const rns_transport *t, const uint8_t link_id[RNS_HASHLEN],
                               rns_channel_info *info)
{
    if (!t || !link_id || !info)
        return ML_EINVAL;
    for (size_t i = 0; i < t->n_links; i++) {
        if (t->links[i].ch && !memcmp(t->links[i].id, link_id, RNS_HASHLEN)) {
            rns_channel_info_get(t->links[i].ch, info);
            return 0;
        }
    }
    /* Newest first: a link id names one link only, but be exact anyway. */
    for (size_t k = 1; k <= CHAN_LAST_MAX && k <= t->chan_last_next; k++) {
        const struct chan_last *cl = &t->chan_last[(t->chan_last_next - k) % CHAN_LAST_MAX];
        if (!memcmp(cl->id, link_id, RNS_HASHLEN)) {
            *info = cl->info;
            return 0;
        }
    }
    return ML_ENOTFOUND;
}

rns_linkres *rns_transport_link_resources(rns_transport *t, const uint8_t link_id[RNS_HASHLEN])
{
    struct tlink *tl = link_get(t, link_id);

    return tl && link_res(t, tl) == 0 ? tl->res : NULL;
}

int rns_transport_resource_send(rns_transport *t, const uint8_t link_id[RNS_HASHLEN],
                                const rns_res_send_opts *o, double now, uint32_t *res_id)
{
    struct tlink *tl = link_get(t, link_id);
    int ret;

    if (!tl)
        return ML_ENOTFOUND;
    t->res_now = now;
    if ((ret = link_res(t, tl)) || (ret = rns_linkres_send(tl->res, tl->l, o, now, res_id)))
        return ret;
    return drain_link(t, tl);
}

int rns_transport_resource_cancel(rns_transport *t, const uint8_t link_id[RNS_HASHLEN],
                                  uint32_t res_id, double now)
{
    struct tlink *tl = link_get(t, link_id);
    int ret;

    if (!tl || !tl->res)
        return ML_ENOTFOUND;
    t->res_now = now;
    if ((ret = rns_linkres_cancel(tl->res, tl->l, res_id, now)))
        return ret;
    return drain_link(t, tl);
}

int rns_transport_resource_request_next(rns_transport *t, const uint8_t link_id[RNS_HASHLEN],
                                        uint32_t res_id, double now)
{
    struct tlink *tl = link_get(t, link_id);
    int ret, dret;

    if (!tl || !tl->res)
        return ML_ENOTFOUND;
    t->res_now = now;
    if ((ret = rns_linkres_request_next(tl->res, tl->l, res_id, now)) < 0)
        return ret;
    dret = drain_link(t, tl);
    return dret ? dret : ret;
}

int rns_transport_link_request(rns_transport *t, const uint8_t link_id[RNS_HASHLEN],
                               const char *path, const uint8_t *data, size_t len, double now,
                               uint8_t *request_id)
{
    struct tlink *tl = link_get(t, link_id);
    uint8_t ph[32], id[32];
    rns_res_send_opts o;
    ml_buf b = ML_BUF_INIT;
    int ret;

    if (!tl || !path || (!data && len))
        return tl ? ML_EINVAL : ML_ENOTFOUND;
    t->res_now = now;
    if ((ret = link_res(t, tl)))
        return ret;
    ret = rns_link_request(tl->l, path, data, len, now, id);
    if (ret == 0) {
        rns_linkres_expect_response(tl->res, id);
        if (request_id)
            memcpy(request_id, id, RNS_HASHLEN);
    }
    if (ret != ML_ETOOBIG)
        return ret ? ret : drain_link(t, tl);
    /* too big for a packet: [timestamp, path hash, data] as a resource whose
     * request id is the hash of those bytes */
    ml_sha256(ph, path, strlen(path));
    if ((ret = rns_mp_put_array(&b, 3)) || (ret = rns_mp_put_float(&b, now)) ||
        (ret = rns_mp_put_bin(&b, ph, RNS_HASHLEN)) || (ret = ml_buf_append(&b, data, len)))
        goto out;
    ml_sha256(id, b.p, b.len);
    rns_linkres_expect_response(tl->res, id);
    memset(&o, 0, sizeof o);
    o.data = b.p;
    o.len = b.len;
    o.request_id = id;
    o.request_id_len = RNS_HASHLEN;
    o.is_request = 1;
    if (request_id)
        memcpy(request_id, id, RNS_HASHLEN);
    ret = rns_transport_resource_send(t, link_id, &o, now, NULL);
out:
    ml_buf_free(&b);
    return ret;
}

int rns_transport_link_respond_file(rns_transport *t, const uint8_t link_id[RNS_HASHLEN],
                                    const uint8_t request_id[RNS_HASHLEN], const uint8_t *data,
                                    size_t len, const uint8_t *metadata, size_t metadata_len,
                                    double now)
{
    rns_res_send_opts o;

    if (!request_id || (!data && len) || (!metadata && metadata_len))
        return ML_EINVAL;
    if (!link_get(t, link_id))
        return ML_ENOTFOUND;
    t->res_now = now;
    memset(&o, 0, sizeof o);
    o.data = data;
    o.len = len;
    o.metadata = metadata;
    o.metadata_len = metadata_len;
    o.request_id = request_id;
    o.request_id_len = RNS_HASHLEN;
    o.is_response = 1;
    return rns_transport_resource_send(t, link_id, &o, now, NULL);
}

int rns_transport_link_respond(rns_transport *t, const uint8_t link_id[RNS_HASHLEN],
                               const uint8_t request_id[RNS_HASHLEN], const uint8_t *response,
                               size_t len, double now)
{
    struct tlink *tl = link_get(t, link_id);
    rns_res_send_opts o;
    ml_buf b = ML_BUF_INIT;
    int ret;

    if (!tl || !request_id || (!response && len))
        return tl ? ML_EINVAL : ML_ENOTFOUND;
    t->res_now = now;
    ret = rns_link_respond(tl->l, request_id, response, len, now);
    if (ret != ML_ETOOBIG)
        return ret ? ret : drain_link(t, tl);
    /* too big: [request_id, response] as a resource flagged as a response */
    if ((ret = rns_mp_put_array(&b, 2)) || (ret = rns_mp_put_bin(&b, request_id, RNS_HASHLEN)) ||
        (ret = ml_buf_append(&b, response, len)))
        goto out;
    memset(&o, 0, sizeof o);
    o.data = b.p;
    o.len = b.len;
    o.request_id = request_id;
    o.request_id_len = RNS_HASHLEN;
    o.is_response = 1;
    ret = rns_transport_resource_send(t, link_id, &o, now, NULL);
out:
    ml_buf_free(&b);
    return ret;
}

/* A LINKREQUEST for one of our destinations: answer with a responder link. */
static int accept_link(rns_transport *t, struct ldest *d, const rns_packet *p, int iface,
                       double now)
{
    struct iface *ifc = iface_get(t, iface);
    rns_link_accept_params ap;
    rns_link *l = NULL;
    uint8_t id[RNS_HASHLEN];
    struct tlink *tl;
    int ret;

    if (!d->accept_links)
        return 0;
    if (rns_link_id_of_request(id, p) || link_get(t, id))
        return 0;                      /* malformed or a repeat of a known request */
    memset(&ap, 0, sizeof ap);
    ap.identity = d->id;
    ap.mtu_limit = link_mtu_for(ifc);
    ap.hops = p->hops;
    ap.prove_all = d->proof == RNS_PROVE_ALL;
    ap.rng = rng_thunk;
    ap.rng_ctx = t;
    if ((ret = rns_link_accept(&l, &ap, p, now))) {
        tlog(t, RNS_LOG_DEBUG, "link request refused: %s", ml_strerror(ret));
        return ret == ML_ENOMEM ? ret : 0;
    }
    if (d->proof == RNS_PROVE_APP)
        rns_link_set_proving(l, RNS_PROVE_APP, link_prove_thunk, t);
    if (!(tl = add_link(t, l, d->hash, iface, 0))) {
        rns_link_free(l);
        return 0;
    }
    tl->res_policy = d->res_policy;
    tlog(t, RNS_LOG_INFO, "link %s to %s accepted", hx(tl->id, 0), hx(d->hash, 1));
    return drain_link(t, tl);
}

/* PROVE_APP on a link: the destination's callback decides. */
static int link_prove_thunk(void *ctx, const rns_link *l, const uint8_t *data, size_t len)
{
    rns_transport *t = ctx;
    const struct ldest *d = NULL;

    for (size_t i = 0; i < t->n_links && !d; i++)
        if (t->links[i].l == l)
            d = ldest_get(t, t->links[i].dest);
    return d && d->proof == RNS_PROVE_APP && d->proof_fn &&
           d->proof_fn(d->proof_ctx, d->hash, data, len);
}

static int link_inbound(rns_transport *t, const rns_packet *p, int iface, double now)
{
    struct tlink *tl = link_get(t, p->dest_hash);
    int ret;

    if (!tl) {
        t->stats.dropped_unroutable++;
        return 0;
    }
    /* A link is bound to the interface it was set up over: the same packet
     * arriving elsewhere is someone else's doing (as Link.receive refuses it). */
    if (tl->iface >= 0 && iface != tl->iface) {
        tlog(t, RNS_LOG_WARN, "link %s: packet on interface %d, not %d: dropped", hx(tl->id, 0),
             iface, tl->iface);
        t->stats.dropped_unroutable++;
        return 0;
    }
    if ((ret = rns_link_receive(tl->l, p, now)))
        tlog(t, RNS_LOG_DEBUG, "link %s refused a packet: %s", hx(tl->id, 0), ml_strerror(ret));
    else if (tl->initiator && tl->iface < 0)
        tl->iface = iface;             /* learnt from the proof: answer on that interface */
    if (ret == ML_ENOMEM)
        return ret;
    return drain_link(t, tl);
}

/* ---- inbound: announces ------------------------------------------------------------------- */

static int blob_known(const struct known *k, const uint8_t *blob)
{
    for (unsigned i = 0; i < k->n_blobs; i++)
        if (memcmp(k->blobs[i], blob, RNS_RANDOM_HASHLEN) == 0)
            return 1;
    return 0;
}

static void blob_add(struct known *k, const uint8_t *blob)
{
    memcpy(k->blobs[k->blob_next], blob, RNS_RANDOM_HASHLEN);
    k->blob_next = (k->blob_next + 1) % MAX_BLOBS;
    if (k->n_blobs < MAX_BLOBS)
        k->n_blobs++;
}

/* The reference's rule for taking a path from an announce: a fresh random
 * blob, and fewer or equal hops with a newer emission, or an expired path,
 * or a newer emission with more hops. */
static int should_update(const struct known *k, const rns_announce *a, unsigned hops, double now)
{
    if (!k->has_path && !k->n_blobs)
        return 1;
    if (blob_known(k, a->random_hash))
        return 0;
    if (!path_valid(k, now))
        return 1;
    if (hops <= k->hops)
        return a->emitted >= k->emitted;
    return a->emitted > k->emitted;
}

/* The reference's rule (Identity.validate_announce): app data is present, if
 * possibly empty, whenever the payload is longer than a ratchetless announce
 * without app data; so an announce carrying a ratchet always has some. */
static int announce_has_app_data(const rns_announce *a)
{
    return a->app_data != NULL || a->ratchet != NULL;
}

static int announce_event(rns_transport *t, const rns_packet *p, const rns_announce *a)
{
    rns_tev *ev = push_event(t, RNS_TEV_ANNOUNCE);

    if (!ev)
        return ML_ENOMEM;
    memcpy(ev->dest, a->dest_hash, RNS_HASHLEN);
    memcpy(ev->public_key, a->public_key, RNS_KEYSIZE);
    rns_identity_hash_of(ev->identity_hash, a->public_key);
    memcpy(ev->name_hash, a->name_hash, RNS_NAME_HASHLEN);
    ev->hops = p->hops;
    ev->path_response = p->context == RNS_CTX_PATH_RESPONSE;
    ev->has_app_data = announce_has_app_data(a);
    return a->app_data ? ml_buf_append(&ev->data, a->app_data, a->app_data_len) : 0;
}

static int record_announce(struct known *k, const rns_packet *p, const rns_announce *a,
                           int iface, double now)
{
    memcpy(k->pub, a->public_key, RNS_KEYSIZE);
    ml_buf_reset(&k->app_data);
    k->has_app_data = announce_has_app_data(a);
    if (a->app_data && ml_buf_append(&k->app_data, a->app_data, a->app_data_len))
        return ML_ENOMEM;
    k->has_path = 1;
    k->hops = p->hops;
    k->via_transport = p->header_type == RNS_HEADER_2;
    memcpy(k->next_hop, k->via_transport ? p->transport_id : a->dest_hash, RNS_HASHLEN);
    k->iface = iface;
    k->expires = now + RNS_PATH_EXPIRY;
    k->last_seen = now;
    k->emitted = a->emitted;
    blob_add(k, a->random_hash);
    return rns_packet_hash(k->ann_hash, p);
}

static int handle_announce(rns_transport *t, const rns_packet *p, int iface, double now)
{
    struct known *k = known_get(t, p->dest_hash);
    enum rns_announce_reason why = RNS_ANNOUNCE_VALID;
    rns_announce a;
    int ret;

    if (ldest_get(t, p->dest_hash))
        return 0;                      /* our own, echoed back by a transport node */
    if (rns_announce_validate(&a, p, k ? k->pub : NULL, &why)) {
        t->stats.dropped_announce++;
        tlog(t, RNS_LOG_DEBUG, "announce for %s refused: %s", hx(p->dest_hash, 0),
             rns_announce_reason_str(why));
        return 0;
    }
    if (k && a.ratchet)                /* adopted even when the path stays */
        adopt_ratchet(t, k, a.ratchet, now);
    if (tn_announce_pre(t, p, k, iface, now))
        return 0;                      /* held back by ingress control */
    if (k && !should_update(k, &a, p->hops, now)) {
        t->stats.dropped_announce++;
        return 0;
    }
    if (!(k = known_slot(t, p->dest_hash)))
        return ML_ENOMEM;
    if ((ret = record_announce(k, p, &a, iface, now)) ||
        (ret = tn_announce_post(t, p, k, iface, now)))
        return ret;
    if (a.ratchet)
        adopt_ratchet(t, k, a.ratchet, now);
    tlog(t, RNS_LOG_DEBUG, "path to %s: %u hops", hx(p->dest_hash, 0), p->hops);
    return announce_event(t, p, &a);
}

/* ---- inbound: data, path requests, proofs ---------------------------------------------------- */

static int answer_path_request(rns_transport *t, const rns_packet *p, int iface, double now)
{
    rns_pathreq r;
    struct ldest *d;
    ml_buf b = ML_BUF_INIT;
    int ret;

    if (rns_pathreq_parse_packet(&r, p) || !rns_pathreq_seen_check(t->pr_seen, &r))
        return 0;
    if (!(d = ldest_get(t, r.dest_hash)))
        return tn_path_request(t, &r, iface, now);
    if ((ret = make_announce(t, d, RNS_CTX_PATH_RESPONSE, r.tag, r.tag_len, now, &b)) == 0)
        ret = queue_iface(t, iface, b.p, b.len);
    ml_buf_free(&b);
    tlog(t, RNS_LOG_DEBUG, "answered path request for %s", hx(r.dest_hash, 0));
    return ret;
}

static int prove_packet(rns_transport *t, const struct ldest *d, const uint8_t *hash, int iface)
{
    ml_buf b = ML_BUF_INIT;
    int ret = rns_proof_make(&b, d->id, hash, t->explicit_proofs);

    if (ret == 0)
        ret = queue_iface(t, iface, b.p, b.len);
    ml_buf_free(&b);
    return ret;
}

static int deliver_single(rns_transport *t, const rns_packet *p, const uint8_t *hash, int iface)
{
    struct ldest *d = ldest_get(t, p->dest_hash);
    ml_buf pt = ML_BUF_INIT;
    rns_tev *ev;
    int ret = 0;

    if (!d || p->context != RNS_CTX_NONE) {
        t->stats.dropped_unroutable++;
        return 0;
    }
    if (rns_dest_decrypt(d->obj, &pt, p->data, p->data_len)) {
        t->stats.dropped_malformed++;
        goto out;
    }
    if (!(ev = push_event(t, RNS_TEV_DATA))) {
        ret = ML_ENOMEM;
        goto out;
    }
    memcpy(ev->dest, d->hash, RNS_HASHLEN);
    memcpy(ev->packet_hash, hash, RNS_FULL_HASHLEN);
    ev->hops = p->hops;
    ev->data = pt;
    memset(&pt, 0, sizeof pt);
    /* proved only once decrypted, as the reference gates prove() on receive() */
    if (d->proof == RNS_PROVE_ALL ||
        (d->proof == RNS_PROVE_APP && d->proof_fn &&
         d->proof_fn(d->proof_ctx, d->hash, ev->data.p, ev->data.len)))
        ret = prove_packet(t, d, hash, iface);
out:
    ml_buf_free(&pt);
    return ret;
}

static int handle_proof(rns_transport *t, const rns_packet *p, double now)
{
    rns_identity *id = NULL;
    rns_tev *ev;
    int ret = 0;

    for (size_t i = 0; i < t->n_receipts; i++) {
        struct receipt *r = &t->receipts[i];
        if (memcmp(r->hash, p->dest_hash, RNS_HASHLEN))
            continue;
        if ((ret = rns_identity_from_public(&id, r->pub)))
            return ret == ML_ENOMEM ? ret : 0;
        ret = rns_proof_validate(p->data, p->data_len, r->hash, id);
        rns_identity_free(id);
        if (ret)
            return 0;                  /* forged or damaged proof: the receipt waits on */
        if (!(ev = push_event(t, RNS_TEV_PROOF)))
            return ML_ENOMEM;
        memcpy(ev->packet_hash, r->hash, RNS_FULL_HASHLEN);
        memcpy(ev->dest, r->dest, RNS_HASHLEN);
        ev->rtt = now - r->sent;
        ev->hops = p->hops;
        *r = t->receipts[--t->n_receipts];
        return t->in_raw ? ml_buf_append(&ev->data, t->in_raw, t->in_len) : 0;
    }
    t->stats.dropped_unroutable++;
    return 0;
}

static int dispatch(rns_transport *t, const rns_packet *p, const uint8_t *hash, int iface,
                    double now)
{
    struct ldest *d;

    switch (p->packet_type) {
    case RNS_PACKET_ANNOUNCE:
        return handle_announce(t, p, iface, now);
    case RNS_PACKET_LINKREQUEST:
        d = ldest_get(t, p->dest_hash);
        return d ? accept_link(t, d, p, iface, now) : 0;
    case RNS_PACKET_PROOF:
        if (p->dest_type == RNS_DEST_LINK || p->context == RNS_CTX_LRPROOF)
            return link_inbound(t, p, iface, now);
        return handle_proof(t, p, now);
    default:
        if (p->dest_type == RNS_DEST_LINK)
            return link_inbound(t, p, iface, now);
        if (p->dest_type == RNS_DEST_PLAIN)
            return answer_path_request(t, p, iface, now);
        return deliver_single(t, p, hash, iface);
    }
}

/* Counts the hop, with the reference's adjustment for a shared instance: its
 * clients see the instance's neighbours as direct ones. */
static int count_hop(rns_packet *p, const struct iface *ifc)
{
    if (rns_packet_count_hop(p))
        return ML_ERANGE;
    if ((ifc->shared || ifc->x.local_client) && p->hops > 0)
        p->hops--;
    return 0;
}

/* Whether a decoded packet is for this endpoint and new; counts the drops. */
static int admit(rns_transport *t, const rns_packet *p, const uint8_t hash[RNS_FULL_HASHLEN])
{
    /* HEADER_2 is for the transport node it names; this endpoint is none. */
    if (p->header_type == RNS_HEADER_2 && p->packet_type != RNS_PACKET_ANNOUNCE &&
        memcmp(p->transport_id, t->transport_id, RNS_HASHLEN)) {
        t->stats.dropped_unroutable++;
        return 0;
    }
    /* PLAIN and GROUP traffic is local only: a transport node never relays it. */
    if (p->packet_type != RNS_PACKET_ANNOUNCE && p->dest_type != RNS_DEST_SINGLE &&
        p->dest_type != RNS_DEST_LINK && p->hops > 1)
        return 0;
    if (filter_exempt(p))
        return 1;
    if (dup_seen(t, hash)) {
        t->stats.dropped_duplicate++;
        return 0;
    }
    if (tn_admit_remember(t, p))
        dup_add(t, hash);
    return 1;
}

int rns_transport_inbound(rns_transport *t, int iface_id, const uint8_t *raw, size_t len,
                          double now)
{
    struct iface *ifc = iface_get(t, iface_id);
    uint8_t hash[RNS_FULL_HASHLEN];
    ml_buf b = ML_BUF_INIT;
    rns_packet p;
    int ret = 0;

    if (!ifc)
        return ML_ENOTFOUND;
    if (t->tap)
        t->tap(t->tap_ctx, iface_id, 0, raw, len);
    reap_links(t);
    t->res_now = now;
    t->stats.rx_packets++;
    if (rns_ifac_inbound(ifc->ifac, &b, raw, len)) {
        t->stats.dropped_ifac++;
        goto out;
    }
    if (b.len > (size_t)ifc->hw_mtu + RNS_HEADER_MAXSIZE || rns_packet_unpack(&p, b.p, b.len) ||
        count_hop(&p, ifc) || rns_packet_hash(hash, &p)) {
        t->stats.dropped_malformed++;
        goto out;
    }
    t->cur_raw = raw, t->cur_raw_len = len, t->cur_plain = b.p, t->cur_plain_len = b.len;
    if (admit(t, &p, hash) && (ret = tn_inbound(t, &p, hash, iface_id, now)) == 0) {
        t->in_raw = b.p;
        t->in_len = b.len;
        ret = dispatch(t, &p, hash, iface_id, now);
        t->in_raw = NULL;
    }
    t->cur_raw = t->cur_plain = NULL;
out:
    ml_buf_free(&b);
    return ret;
}

/* ---- timers ------------------------------------------------------------------------------ */

static int tick_receipts(rns_transport *t, double now)
{
    rns_tev *ev;

    for (size_t i = 0; i < t->n_receipts;) {
        struct receipt *r = &t->receipts[i];
        if (r->timeout >= 0 && now < r->sent + r->timeout) {
            i++;
            continue;
        }
        if (!(ev = push_event(t, RNS_TEV_RECEIPT_TIMEOUT)))
            return ML_ENOMEM;
        memcpy(ev->packet_hash, r->hash, RNS_FULL_HASHLEN);
        memcpy(ev->dest, r->dest, RNS_HASHLEN);
        ev->culled = r->timeout < 0;
        *r = t->receipts[--t->n_receipts];
    }
    return 0;
}

int rns_transport_tick(rns_transport *t, double now)
{
    int ret = 0;

    reap_links(t);
    for (size_t i = 0; i < t->n_links && ret == 0; i++) {
        struct tlink *tl = &t->links[i];
        if (tl->dead)
            continue;
        t->res_now = now;
        if ((ret = rns_link_tick(tl->l, now)) == 0 && tl->res)
            ret = rns_linkres_tick(tl->res, tl->l, now);
        if (ret == 0 && tl->ch)
            ret = chan_tick(tl, now);
        if (ret == 0)
            ret = drain_link(t, tl);
    }
    if (ret == 0)
        ret = tn_tick(t, now);
    return ret ? ret : tick_receipts(t, now);
}

double rns_transport_deadline(const rns_transport *t)
{
    double d = DBL_MAX, x;

    for (size_t i = 0; i < t->n_links; i++)
        if (!t->links[i].dead && (x = rns_link_deadline(t->links[i].l)) < d)
            d = x;
    for (size_t i = 0; i < t->n_receipts; i++) {
        const struct receipt *r = &t->receipts[i];
        x = r->timeout < 0 ? r->sent : r->sent + r->timeout;
        if (x < d)
            d = x;
    }
    for (size_t i = 0; i < t->n_links; i++)
        if (!t->links[i].dead && (x = rns_linkres_deadline(t->links[i].res)) < d)
            d = x;
    for (size_t i = 0; i < t->n_links; i++)
        if (!t->links[i].dead && t->links[i].ch && (x = rns_channel_deadline(t->links[i].ch)) < d)
            d = x;
    if ((x = tn_deadline(t)) < d)
        d = x;
    return d;
}

rns_transport_stats rns_transport_get_stats(const rns_transport *t)
{
    return t->stats;
}

const uint8_t *rns_transport_id(const rns_transport *t)
{
    return t->transport_id;
}

void rns_transport_set_frame_tap(rns_transport *t, rns_frame_tap_fn fn, void *ctx)
{
    t->tap = fn;
    t->tap_ctx = ctx;
}

int rns_transport_send_raw(rns_transport *t, int iface_id, const uint8_t *raw, size_t len)
{
    if (!raw || len < 2)
        return ML_EINVAL;
    if (iface_id < 0)
        return queue_broadcast(t, raw, len);
    if (!iface_get(t, iface_id))
        return ML_ENOTFOUND;
    return queue_iface(t, iface_id, raw, len);
}

/* ---- known destinations on disk ------------------------------------------------------------ */

/* One record as the reference stores it: [time, announce packet hash,
 * public key, app data or nil, used]. */
static int put_known(ml_buf *out, const struct known *k)
{
    int ret = rns_mp_put_array(out, 5);

    if (!ret)
        ret = rns_mp_put_float(out, k->last_seen);
    if (!ret)
        ret = rns_mp_put_bin(out, k->ann_hash, RNS_FULL_HASHLEN);
    if (!ret)
        ret = rns_mp_put_bin(out, k->pub, RNS_KEYSIZE);
    if (!ret)
        ret = k->has_app_data ? rns_mp_put_bin(out, k->app_data.p, k->app_data.len)
                              : rns_mp_put_nil(out);
    if (!ret)
        ret = k->used > 0 ? rns_mp_put_float(out, k->used) : rns_mp_put_uint(out, 0);
    return ret;
}

int rns_transport_known_save(const rns_transport *t, ml_buf *out)
{
    int ret = rns_mp_put_map(out, t->n_known);

    for (size_t i = 0; i < t->n_known && ret == 0; i++)
        if ((ret = rns_mp_put_bin(out, t->known[i].dest, RNS_HASHLEN)) == 0)
            ret = put_known(out, &t->known[i]);
    return ret;
}

int rns_transport_known_record(const rns_transport *t, const uint8_t dest[RNS_HASHLEN],
                               ml_buf *out)
{
    const struct known *k = known_get(t, dest);
    return k ? put_known(out, k) : ML_ENOTFOUND;
}

/* A time: the reference writes floats, older files may hold integers. */
static int get_time(rns_mp_reader *r, double *v)
{
    rns_mp_item it;

    if (rns_mp_next(r, &it))
        return ML_EMALFORMED;
    if (it.type == RNS_MP_FLOAT)
        *v = it.f;
    else if (it.type == RNS_MP_UINT)
        *v = (double)it.u;
    else if (it.type == RNS_MP_INT)
        *v = (double)it.i;
    else
        return ML_EMALFORMED;
    return 0;
}

/* One record; 1 when taken, 0 when skipped (the reference skips keys that are
 * not 16 bytes), ML_EMALFORMED, ML_ENOMEM. */
static int load_known(rns_transport *t, rns_mp_reader *r)
{
    const uint8_t *key, *hash, *pub, *app = NULL;
    size_t klen, hlen, plen, alen = 0;
    uint32_t n;
    double when, used = 0;
    struct known *k;

    if (rns_mp_get_bin(r, &key, &klen))
        return ML_EMALFORMED;
    if (klen != RNS_HASHLEN)
        return rns_mp_skip(r) ? ML_EMALFORMED : 0;
    /* older files have 4 elements (no used marker) */
    if (rns_mp_get_array(r, &n) || n < 4 || get_time(r, &when) || rns_mp_get_bin(r, &hash, &hlen) ||
        rns_mp_get_bin(r, &pub, &plen) || plen != RNS_KEYSIZE)
        return ML_EMALFORMED;
    if (rns_mp_get_nil(r) && rns_mp_get_bin(r, &app, &alen))
        return ML_EMALFORMED;
    if (n >= 5 && get_time(r, &used))
        return ML_EMALFORMED;
    for (uint32_t i = 5; i < n; i++)
        if (rns_mp_skip(r))
            return ML_EMALFORMED;
    if (!(k = known_slot(t, key)))
        return ML_ENOMEM;
    memcpy(k->pub, pub, RNS_KEYSIZE);
    memset(k->ann_hash, 0, RNS_FULL_HASHLEN);
    memcpy(k->ann_hash, hash, hlen < RNS_FULL_HASHLEN ? hlen : RNS_FULL_HASHLEN);
    ml_buf_reset(&k->app_data);
    k->has_app_data = app != NULL;
    if (alen && ml_buf_append(&k->app_data, app, alen))
        return ML_ENOMEM;
    if (when > k->last_seen)
        k->last_seen = when;
    k->used = used;
    return 1;
}

int rns_transport_known_load(rns_transport *t, const uint8_t *data, size_t len, size_t *loaded)
{
    rns_mp_reader r;
    uint32_t n;
    size_t taken = 0;
    int ret = 0;

    if (loaded)
        *loaded = 0;
    if (!data && len)
        return ML_EINVAL;
    rns_mp_reader_init(&r, data, len);
    if (rns_mp_get_map(&r, &n))
        return ML_EMALFORMED;
    for (uint32_t i = 0; i < n && ret >= 0; i++)
        if ((ret = load_known(t, &r)) == 1)
            taken++;
    if (loaded)
        *loaded = taken;
    return ret < 0 ? ret : 0;
}

void rns_transport_known_clear(rns_transport *t)
{
    for (size_t i = 0; i < t->n_known; i++) {
        ml_buf_free(&t->known[i].app_data);
        ml_buf_free(&t->known[i].cached);
    }
    t->n_known = 0;
}

/* ==== transport node ==========================================================================
 * What a reference node with enable_transport = yes does on top of an endpoint
 * (RNS/Transport.py, 1.4.2), and what a shared instance does for its local
 * clients even with transport off. The tables live in struct tnode; the hooks
 * above call in at the points where the reference's inbound() branches. */

#define MAX_ANN 512              /* announces waiting for (re)transmission */
#define MAX_HELD_PR 64
#define MAX_LT 512               /* links passing through */
#define MAX_RT 1024              /* packets whose proof we route back */
#define MAX_DPR 128              /* path requests waiting on behalf of others */
#define MAX_LPR 128              /* path requests waiting for a local client's answer */
#define MAX_PREQ 256             /* path requests we sent */
#define MAX_RATE 1024
#define MAX_HELD 256             /* per interface, held by ingress control */
#define PATHFINDER_R 1           /* retransmit retries */
#define PATHFINDER_G 5.0         /* retry grace */
#define PATHFINDER_RW 0.5        /* random window for a rebroadcast */
#define LOCAL_REBROADCASTS_MAX 2
#define PATH_REQUEST_GRACE 0.4   /* let direct neighbours answer first */
#define PATH_REQUEST_RG 1.5      /* and more so on roaming interfaces */
#define REVERSE_TIMEOUT (8 * 60.0)
#define LINK_TIMEOUT 900.0       /* Link.STALE_TIME * 1.25 */
#define JOBS_INTERVAL 1.0
#define IC_NEW_TIME 7200.0
#define IC_BURST_FREQ_NEW 3.0
#define IC_BURST_FREQ 10.0
#define IC_BURST_HOLD 15.0
#define IC_BURST_PENALTY 15.0
#define IC_HELD_RELEASE_INTERVAL 5.0
#define IC_DEQUE_MIN_SAMPLE 2u
#define AR_FREQ_DECAY 10.0
#define DEFAULT_AR_TARGET 3600.0
#define DEFAULT_AR_GRACE 5
#define LR_SIZE 64u              /* link request payload without MTU signalling */
#define LRPROOF_SIZE 96u         /* signature + X25519 public key */

struct ann {
    uint8_t dest[RNS_HASHLEN];
    double timestamp, retransmit_at;
    int retries, local_rebroadcasts, block_rebroadcasts;
    uint8_t received_from[RNS_HASHLEN];
    unsigned hops;
    int attached;                /* interface id, or -1: every interface */
    ml_buf pkt;                  /* the announce as received, IFAC off */
};

struct ltent {
    uint8_t id[RNS_HASHLEN];
    uint8_t dest[RNS_HASHLEN];
    double timestamp, proof_timeout;
    int nh_iface, rcvd_iface;
    unsigned rem_hops, hops;
    int validated;
};

struct rtent {
    uint8_t hash[RNS_HASHLEN];   /* truncated hash of the packet to be proved */
    int rcvd_iface, out_iface;
    double timestamp;
};

struct dpr {
    uint8_t dest[RNS_HASHLEN];
    double timeout;
    int iface;
};

struct lpr {
    uint8_t dest[RNS_HASHLEN];
    int iface;
};

struct preq {
    uint8_t dest[RNS_HASHLEN];
    double when;
};

struct rate {
    uint8_t dest[RNS_HASHLEN];
    double last, blocked_until;
    int violations;
};

struct tnode {
    int enabled;
    double now;                  /* the latest time seen (for the announce cap) */
    struct ann ann[MAX_ANN];
    size_t n_ann;
    struct ann held_pr[MAX_HELD_PR];
    size_t n_held_pr;
    struct ltent lt[MAX_LT];
    size_t n_lt;
    struct rtent rt[MAX_RT];
    size_t n_rt;
    struct dpr dpr[MAX_DPR];
    size_t n_dpr;
    struct lpr lpr[MAX_LPR];
    size_t n_lpr;
    struct preq preq[MAX_PREQ];
    size_t n_preq;
    struct rate rate[MAX_RATE];
    size_t n_rate;
    double jobs_at;              /* next table cull / held release; 0: nothing to do */
};

static int tn_init(rns_transport *t)
{
    return (t->tn = calloc(1, sizeof *t->tn)) ? 0 : ML_ENOMEM;
}

static void tn_free(rns_transport *t)
{
    if (!t->tn)
        return;
    for (size_t i = 0; i < t->tn->n_ann; i++)
        ml_buf_free(&t->tn->ann[i].pkt);
    for (size_t i = 0; i < t->tn->n_held_pr; i++)
        ml_buf_free(&t->tn->held_pr[i].pkt);
    free(t->tn);
    t->tn = NULL;
}

static void ifx_free(struct ifx *x)
{
    for (size_t i = 0; i < x->n_held; i++)
        ml_buf_free(&x->held[i].raw);
    free(x->held);
    x->held = NULL;
    x->n_held = 0;
    for (size_t i = 0; i < x->n_q; i++)
        ml_buf_free(&x->q[i].raw);
    free(x->q);
    x->q = NULL;
    x->n_q = 0;
}

static void tn_wake(rns_transport *t, double now)
{
    if (!t->tn->jobs_at)
        t->tn->jobs_at = now + JOBS_INTERVAL;
}

static double rand_unit(rns_transport *t)
{
    uint32_t r = 0;
    if (t->cfg.rng(t->cfg.rng_ctx, &r, sizeof r))
        return 0.5;
    return (double)r / 4294967296.0;
}

/* ---- public knobs ---------------------------------------------------------------------- */

int rns_iface_mode_from_name(const char *name)
{
    static const struct { const char *n; int m; } map[] = {
        {"full", RNS_MODE_FULL},
        {"access_point", RNS_MODE_ACCESS_POINT}, {"accesspoint", RNS_MODE_ACCESS_POINT},
        {"ap", RNS_MODE_ACCESS_POINT},
        {"point_to_point", RNS_MODE_POINT_TO_POINT}, {"pointtopoint", RNS_MODE_POINT_TO_POINT},
        {"ptp", RNS_MODE_POINT_TO_POINT},
        {"roaming", RNS_MODE_ROAMING}, {"boundary", RNS_MODE_BOUNDARY},
        {"gateway", RNS_MODE_GATEWAY}, {"gw", RNS_MODE_GATEWAY},
    };
    for (size_t i = 0; name && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(name, map[i].n) == 0)
            return map[i].m;
    return 0;
}

void rns_transport_set_transport(rns_transport *t, int enabled)
{
    t->tn->enabled = enabled ? 1 : 0;
}

int rns_transport_transport_enabled(const rns_transport *t)
{
    return t->tn->enabled;
}

int rns_transport_iface_set_mode(rns_transport *t, int iface_id, int mode)
{
    struct iface *ifc = iface_get(t, iface_id);

    if (mode < RNS_MODE_FULL || mode > RNS_MODE_INTERNAL)
        return ML_EINVAL;
    if (!ifc)
        return ML_ENOTFOUND;
    ifc->x.mode = mode;
    return 0;
}

int rns_transport_iface_set_announce_rate(rns_transport *t, int iface_id, double target,
                                          int grace, double penalty)
{
    struct iface *ifc = iface_get(t, iface_id);

    if (!ifc)
        return ML_ENOTFOUND;
    ifc->x.ar_set = 1;
    ifc->x.ar_target = target;
    ifc->x.ar_grace = grace;
    ifc->x.ar_penalty = penalty;
    return 0;
}

int rns_transport_iface_set_local_client(rns_transport *t, int iface_id, int on)
{
    struct iface *ifc = iface_get(t, iface_id);

    if (!ifc)
        return ML_ENOTFOUND;
    ifc->x.local_client = on ? 1 : 0;
    return 0;
}

int rns_transport_iface_set_announce_cap(rns_transport *t, int iface_id, double cap,
                                         uint64_t bitrate)
{
    struct iface *ifc = iface_get(t, iface_id);

    if (!ifc)
        return ML_ENOTFOUND;
    if (cap < 0 || cap > 1)
        return ML_EINVAL;
    ifc->x.announce_cap = cap;
    ifc->x.cap_bitrate = bitrate;
    return 0;
}

int rns_transport_iface_set_ingress_control(rns_transport *t, int iface_id, int on)
{
    struct iface *ifc = iface_get(t, iface_id);

    if (!ifc)
        return ML_ENOTFOUND;
    ifc->x.ic_off = !on;
    return 0;
}

/* ---- table helpers -------------------------------------------------------------------- */

static int is_lc(rns_transport *t, int iface_id)
{
    struct iface *ifc = iface_get(t, iface_id);
    return ifc && ifc->x.local_client;
}

static int have_lc(const rns_transport *t)
{
    for (size_t i = 0; i < t->n_ifaces; i++)
        if (t->ifaces[i].x.local_client)
            return 1;
    return 0;
}

/* The entry of a transport table (n entries of `size` bytes, a 16-byte key
 * at offset `off` in each) whose key is `key`, or NULL. */
static void *tab_get(void *tab, size_t n, size_t size, size_t off, const uint8_t key[RNS_HASHLEN])
{
    uint8_t *e = tab;
    for (size_t i = 0; i < n; i++, e += size)
        if (memcmp(e + off, key, RNS_HASHLEN) == 0)
            return e;
    return NULL;
}

static struct ann *ann_get(const rns_transport *t, const uint8_t dest[RNS_HASHLEN])
{
    return tab_get(t->tn->ann, t->tn->n_ann, sizeof(struct ann), offsetof(struct ann, dest), dest);
}

static void ann_del(rns_transport *t, struct ann *e)
{
    ml_buf_free(&e->pkt);
    *e = t->tn->ann[--t->tn->n_ann];
}

/* Inserts or replaces the announce table entry for dest. */
static int ann_put(rns_transport *t, const uint8_t dest[RNS_HASHLEN], double now, double at,
                   int retries, const uint8_t received_from[RNS_HASHLEN], unsigned hops,
                   const uint8_t *pkt, size_t len, int block, int attached)
{
    struct ann *e = ann_get(t, dest);
    ml_buf b = ML_BUF_INIT;

    if (ml_buf_append(&b, pkt, len))
        return ML_ENOMEM;
    if (!e) {
        if (t->tn->n_ann >= MAX_ANN) {
            ml_buf_free(&b);
            return 0;                  /* full: this one is not rebroadcast */
        }
        e = &t->tn->ann[t->tn->n_ann++];
    } else {
        ml_buf_free(&e->pkt);
    }
    memset(e, 0, sizeof *e);
    memcpy(e->dest, dest, RNS_HASHLEN);
    e->timestamp = now;
    e->retransmit_at = at;
    e->retries = retries;
    memcpy(e->received_from, received_from, RNS_HASHLEN);
    e->hops = hops;
    e->block_rebroadcasts = block;
    e->attached = attached;
    e->pkt = b;
    return 0;
}

static struct ltent *lt_get(const rns_transport *t, const uint8_t id[RNS_HASHLEN])
{
    return tab_get(t->tn->lt, t->tn->n_lt, sizeof(struct ltent), offsetof(struct ltent, id), id);
}

static struct rtent *rt_get(const rns_transport *t, const uint8_t hash[RNS_HASHLEN])
{
    return tab_get(t->tn->rt, t->tn->n_rt, sizeof(struct rtent), offsetof(struct rtent, hash),
                   hash);
}

static struct dpr *dpr_get(const rns_transport *t, const uint8_t dest[RNS_HASHLEN])
{
    return tab_get(t->tn->dpr, t->tn->n_dpr, sizeof(struct dpr), offsetof(struct dpr, dest), dest);
}

static struct preq *preq_get(const rns_transport *t, const uint8_t dest[RNS_HASHLEN])
{
    return tab_get(t->tn->preq, t->tn->n_preq, sizeof(struct preq), offsetof(struct preq, dest),
                   dest);
}

/* Expiry of a path learnt on an interface of this mode. */
static double path_life(const struct iface *ifc)
{
    if (ifc && ifc->x.mode == RNS_MODE_ACCESS_POINT)
        return RNS_AP_PATH_EXPIRY;
    if (ifc && ifc->x.mode == RNS_MODE_ROAMING)
        return RNS_ROAMING_PATH_EXPIRY;
    return RNS_PATH_EXPIRY;
}

/* ---- sending ---------------------------------------------------------------------------- */

/* Re-emits an announce (data, context flag of `orig`) as HEADER_2 through our
 * transport id, with the given hops and context, on one interface or (-1)
 * on every interface the mode rules allow. */
static int send_announce_as(rns_transport *t, const rns_packet *orig, uint8_t context,
                            unsigned hops, int iface);

static int announce_blocked(rns_transport *t, const struct iface *out,
                            const uint8_t dest[RNS_HASHLEN], int local)
{
    const struct known *k = local ? NULL : known_get(t, dest);
    const struct iface *from = k && k->has_path ? iface_get(t, k->iface) : NULL;

    if (!local && !from)
        return 1;                      /* the next hop interface is gone */
    switch (out->x.mode) {
    case RNS_MODE_ACCESS_POINT:
        return 1;
    case RNS_MODE_ROAMING:
        return !local && (from->x.mode == RNS_MODE_ROAMING || from->x.mode == RNS_MODE_BOUNDARY);
    case RNS_MODE_BOUNDARY:
        return !local && from->x.mode == RNS_MODE_ROAMING;
    default:
        return 0;
    }
}

static double announce_wait(const struct ifx *x, size_t len)
{
    return ((double)len * 8.0 / (double)x->cap_bitrate) / x->announce_cap;
}

/* The announce cap of Transport.outbound: a forwarded announce goes out when
 * the interface's share of bandwidth allows, else it waits in the queue (one
 * per destination, the most recently emitted). 1: send now. */
static int announce_cap_gate(struct iface *ifc, const uint8_t *raw, size_t len, double now)
{
    struct ifx *x = &ifc->x;
    struct qann *q = NULL, *n;
    rns_packet p;
    uint64_t emitted = 0;

    if (x->announce_cap <= 0 || !x->cap_bitrate || rns_packet_unpack(&p, raw, len) ||
        p.hops == 0)
        return 1;
    if (!x->n_q && now > x->allowed_at) {
        x->allowed_at = now + announce_wait(x, len);
        return 1;
    }
    if (p.data_len >= RNS_KEYSIZE + RNS_NAME_HASHLEN + RNS_RANDOM_HASHLEN)
        for (int i = 5; i < 10; i++)
            emitted = emitted << 8 | p.data[RNS_KEYSIZE + RNS_NAME_HASHLEN + i];
    for (size_t i = 0; i < x->n_q && !q; i++)
        if (memcmp(x->q[i].dest, p.dest_hash, RNS_HASHLEN) == 0)
            q = &x->q[i];
    if (q && emitted <= q->emitted)
        return 0;
    if (!q) {
        if (x->n_q >= RNS_MAX_QUEUED_ANNOUNCES || !(n = realloc(x->q, (x->n_q + 1) * sizeof *n)))
            return 0;
        x->q = n;
        q = &x->q[x->n_q++];
        memset(q, 0, sizeof *q);
        memcpy(q->dest, p.dest_hash, RNS_HASHLEN);
    }
    q->time = now;
    q->hops = p.hops;
    q->emitted = emitted;
    ml_buf_reset(&q->raw);
    ml_buf_append(&q->raw, raw, len);
    return 0;
}

/* Interface.process_announce_queue: the nearest, oldest waiting announce. */
static int announce_queue_run(rns_transport *t, double now)
{
    int ret = 0;

    for (size_t i = 0; i < t->n_ifaces && ret == 0; i++) {
        struct iface *ifc = &t->ifaces[i];
        struct ifx *x = &ifc->x;
        size_t best = 0;

        for (size_t j = 0; j < x->n_q;) {
            if (now > x->q[j].time + RNS_QUEUED_ANNOUNCE_LIFE) {
                ml_buf_free(&x->q[j].raw);
                x->q[j] = x->q[--x->n_q];
            } else {
                j++;
            }
        }
        if (!x->n_q || now < x->allowed_at)
            continue;
        for (size_t j = 1; j < x->n_q; j++)
            if (x->q[j].hops < x->q[best].hops ||
                (x->q[j].hops == x->q[best].hops && x->q[j].time < x->q[best].time))
                best = j;
        x->allowed_at = now + announce_wait(x, x->q[best].raw.len);
        ret = queue_on(t, ifc, x->q[best].raw.p, x->q[best].raw.len);
        ml_buf_free(&x->q[best].raw);
        x->q[best] = x->q[--x->n_q];
    }
    return ret;
}

static int announce_out(rns_transport *t, const uint8_t dest[RNS_HASHLEN], const uint8_t *raw,
                        size_t len, int iface, int local)
{
    int ret = 0;

    if (iface >= 0)
        return queue_iface(t, iface, raw, len);
    for (size_t i = 0; i < t->n_ifaces && ret == 0; i++) {
        struct iface *o = &t->ifaces[i];
        if (announce_blocked(t, o, dest, local))
            continue;
        if (!local && o->x.mode != RNS_MODE_ROAMING && o->x.mode != RNS_MODE_BOUNDARY &&
            !announce_cap_gate(o, raw, len, t->tn->now))
            continue;
        ret = queue_on(t, o, raw, len);
    }
    return ret;
}

/* Our own announces: every interface but ACCESS_POINT ones (the reference
 * has no local-origin exception there; ROAMING and BOUNDARY have one). */
static int tn_announce_broadcast(rns_transport *t, const uint8_t *raw, size_t len)
{
    uint8_t dest[RNS_HASHLEN];

    if (len < 2 + RNS_HASHLEN)
        return ML_EINVAL;
    memcpy(dest, raw + 2, RNS_HASHLEN);
    return announce_out(t, dest, raw, len, -1, 1);
}

static int send_announce_as(rns_transport *t, const rns_packet *orig, uint8_t context,
                            unsigned hops, int iface)
{
    rns_packet q = *orig;
    ml_buf b = ML_BUF_INIT;
    int ret;

    if (hops >= RNS_PATHFINDER_M)
        return 0;
    rns_packet_set_transport(&q, t->transport_id);
    q.context = context;
    q.hops = (uint8_t)hops;
    if ((ret = rns_packet_pack(&b, &q)) == 0)
        ret = announce_out(t, q.dest_hash, b.p, b.len, iface, ldest_get(t, q.dest_hash) != NULL);
    ml_buf_free(&b);
    return ret == ML_ENOMEM ? ret : 0;
}

static int tn_send_pr(rns_transport *t, const uint8_t dest[RNS_HASHLEN], int iface,
                      const uint8_t *tag, double now)
{
    uint8_t r16[16], tg[RNS_PATHREQ_TAGLEN];
    struct preq *q;
    ml_buf b = ML_BUF_INIT;
    int ret;

    if (!tag) {
        if ((ret = t->cfg.rng(t->cfg.rng_ctx, r16, sizeof r16)))
            return ret;
        rns_random_hash(tg, r16);
        tag = tg;
    }
    if ((ret = rns_pathreq_make(&b, dest, t->tn->enabled ? t->transport_id : NULL, tag)) == 0)
        ret = iface >= 0 ? queue_iface(t, iface, b.p, b.len) : queue_broadcast(t, b.p, b.len);
    ml_buf_free(&b);
    if (!(q = preq_get(t, dest)) && t->tn->n_preq < MAX_PREQ) {
        q = &t->tn->preq[t->tn->n_preq++];
        memcpy(q->dest, dest, RNS_HASHLEN);
    }
    if (q)
        q->when = now;
    return ret;
}

/* ---- ingress control ------------------------------------------------------------------- */

static double ia_freq(struct ifx *x, double now)
{
    unsigned n = x->n_ia;
    double span;

    if (n <= IC_DEQUE_MIN_SAMPLE)
        return 0;
    span = now - x->ia[0];
    if (span > AR_FREQ_DECAY) {
        memmove(&x->ia[0], &x->ia[1], (x->n_ia - 1) * sizeof x->ia[0]);
        x->n_ia--;
    }
    return span <= 0 ? 0 : (double)n / span;
}

static void ia_record(struct ifx *x, double now)
{
    if (x->n_ia == IA_SAMPLES) {
        memmove(&x->ia[0], &x->ia[1], (IA_SAMPLES - 1) * sizeof x->ia[0]);
        x->n_ia--;
    }
    x->ia[x->n_ia++] = now;
}

static double ic_threshold(const struct ifx *x, double now)
{
    return now - x->created < IC_NEW_TIME ? IC_BURST_FREQ_NEW : IC_BURST_FREQ;
}

/* Interface.should_ingress_limit. */
static int ingress_limit(struct ifx *x, double now)
{
    double thr, f;

    if (x->ic_off || x->local_client)
        return 0;
    thr = ic_threshold(x, now);
    f = ia_freq(x, now);
    if (x->burst) {
        if (f < thr && now > x->burst_at + IC_BURST_HOLD && x->n_ia >= IC_DEQUE_MIN_SAMPLE)
            x->burst = 0;
        return 1;
    }
    if (f > thr) {
        x->burst = 1;
        x->burst_at = now;
        x->release_at = now + IC_BURST_PENALTY;
        return 1;
    }
    return 0;
}

static int hold_announce(rns_transport *t, struct iface *ifc, const rns_packet *p, double now)
{
    struct ifx *x = &ifc->x;
    struct held *h = NULL, *n;

    if (p->hops >= RNS_PATHFINDER_M - 1 || !t->cur_raw)
        return 0;
    for (size_t i = 0; i < x->n_held && !h; i++)
        if (memcmp(x->held[i].dest, p->dest_hash, RNS_HASHLEN) == 0)
            h = &x->held[i];
    if (!h) {
        if (x->n_held >= MAX_HELD)
            return 0;
        if (!(n = realloc(x->held, (x->n_held + 1) * sizeof *n)))
            return ML_ENOMEM;
        x->held = n;
        h = &x->held[x->n_held++];
        memset(h, 0, sizeof *h);
        memcpy(h->dest, p->dest_hash, RNS_HASHLEN);
    }
    h->hops = p->hops;
    ml_buf_reset(&h->raw);
    tn_wake(t, now);
    return ml_buf_append(&h->raw, t->cur_raw, t->cur_raw_len);
}

/* Interface.process_held_announces: once the burst has calmed, one held
 * announce (the nearest) goes through inbound again. */
static int release_held(rns_transport *t, double now)
{
    for (size_t i = 0; i < t->n_ifaces; i++) {
        struct iface *ifc = &t->ifaces[i];
        struct ifx *x = &ifc->x;
        size_t best = 0;
        ml_buf raw;
        int id = ifc->id;

        if (!x->n_held || now <= x->release_at || ia_freq(x, now) >= ic_threshold(x, now))
            continue;
        for (size_t j = 1; j < x->n_held; j++)
            if (x->held[j].hops < x->held[best].hops)
                best = j;
        raw = x->held[best].raw;
        x->held[best] = x->held[--x->n_held];
        x->release_at = now + IC_HELD_RELEASE_INTERVAL;
        tlog(t, RNS_LOG_DEBUG, "releasing a held announce on %s", ifc->name);
        rns_transport_inbound(t, id, raw.p, raw.len, now);
        ml_buf_free(&raw);
        return 0;                      /* the interface table may have moved */
    }
    return 0;
}

/* ---- announces ------------------------------------------------------------------------ */

static int tn_announce_pre(rns_transport *t, const rns_packet *p, const struct known *k,
                           int iface, double now)
{
    struct iface *ifc = iface_get(t, iface);
    struct ann *e;

    if (!ifc)
        return 0;
    if (!ifc->x.created)
        ifc->x.created = now;
    ia_record(&ifc->x, now);
    if (!(k && k->has_path) && !preq_get(t, p->dest_hash) && !dpr_get(t, p->dest_hash) &&
        ingress_limit(&ifc->x, now)) {
        tlog(t, RNS_LOG_DEBUG, "holding announce for %s (ingress burst)", hx(p->dest_hash, 0));
        hold_announce(t, ifc, p, now);
        return 1;
    }
    /* Another node's rebroadcast of an announce we are about to rebroadcast. */
    if (p->header_type == RNS_HEADER_2 && t->tn->enabled && (e = ann_get(t, p->dest_hash))) {
        if (p->hops == e->hops + 1) {
            e->local_rebroadcasts++;
            if (e->retries > 0 && e->local_rebroadcasts >= LOCAL_REBROADCASTS_MAX) {
                ann_del(t, e);
                e = NULL;
            }
        }
        if (e && p->hops == e->hops + 2 && e->retries > 0 && now < e->retransmit_at)
            ann_del(t, e);             /* passed on by the next node: done */
    }
    return 0;
}

/* Transport.py's announce rate limit: 1 when this rebroadcast is blocked. */
static int rate_blocked(rns_transport *t, const struct iface *ifc, const uint8_t *dest,
                        double now)
{
    double target = ifc->x.ar_set ? ifc->x.ar_target : DEFAULT_AR_TARGET;
    double penalty = ifc->x.ar_set ? ifc->x.ar_penalty : 0;
    int grace = ifc->x.ar_set ? ifc->x.ar_grace : DEFAULT_AR_GRACE;
    struct rate *r = NULL;

    if ((!ifc->x.ar_set && (!t->tn->enabled || ifc->x.local_client)) || target <= 0)
        return 0;
    for (size_t i = 0; i < t->tn->n_rate && !r; i++)
        if (memcmp(t->tn->rate[i].dest, dest, RNS_HASHLEN) == 0)
            r = &t->tn->rate[i];
    if (!r) {
        if (t->tn->n_rate >= MAX_RATE)
            memmove(&t->tn->rate[0], &t->tn->rate[1], --t->tn->n_rate * sizeof *r);
        r = &t->tn->rate[t->tn->n_rate++];
        memset(r, 0, sizeof *r);
        memcpy(r->dest, dest, RNS_HASHLEN);
        r->last = now;
        return 0;
    }
    if (now <= r->blocked_until)
        return 1;
    if (now - r->last < target)
        r->violations++;
    else if (r->violations > 0)
        r->violations--;
    if (r->violations > grace) {
        r->blocked_until = r->last + target + penalty;
        return 1;
    }
    r->last = now;
    return 0;
}

static int tn_announce_post(rns_transport *t, const rns_packet *p, struct known *k, int iface,
                            double now)
{
    struct iface *ifc = iface_get(t, iface);
    int from_lc = ifc && ifc->x.local_client, blocked = 0, ret = 0;
    struct lpr *lp = NULL;
    struct dpr *d;

    k->timestamp = now;
    k->expires = now + path_life(ifc);
    ml_buf_reset(&k->cached);
    if (t->cur_plain && ml_buf_append(&k->cached, t->cur_plain, t->cur_plain_len))
        return ML_ENOMEM;
    if (!ifc)
        return 0;
    if (p->context != RNS_CTX_PATH_RESPONSE)
        blocked = rate_blocked(t, ifc, p->dest_hash, now);
    if ((t->tn->enabled || from_lc) && p->context != RNS_CTX_PATH_RESPONSE) {
        if (blocked)
            tlog(t, RNS_LOG_DEBUG, "rebroadcast of %s blocked: announce rate",
                 hx(p->dest_hash, 0));
        else if ((ret = ann_put(t, p->dest_hash, now,
                                from_lc ? now : now + rand_unit(t) * PATHFINDER_RW,
                                from_lc ? PATHFINDER_R : 0, k->next_hop, p->hops,
                                k->cached.p, k->cached.len, 0, -1)))
            return ret;
    } else if (from_lc && p->context == RNS_CTX_PATH_RESPONSE) {
        for (size_t i = 0; i < t->tn->n_lpr && !lp; i++)
            if (memcmp(t->tn->lpr[i].dest, p->dest_hash, RNS_HASHLEN) == 0)
                lp = &t->tn->lpr[i];
        if (lp) {
            *lp = t->tn->lpr[--t->tn->n_lpr];
            if ((ret = ann_put(t, p->dest_hash, now, now, PATHFINDER_R, k->next_hop, p->hops,
                               k->cached.p, k->cached.len, 0, -1)))
                return ret;
        }
    }
    /* Local clients hear every new path at once, through us. */
    for (size_t i = 0; i < t->n_ifaces && ret == 0; i++)
        if (t->ifaces[i].x.local_client && t->ifaces[i].id != iface)
            ret = send_announce_as(t, p, RNS_CTX_NONE, p->hops, t->ifaces[i].id);
    /* Someone asked us for this path: answer at once. */
    if (ret == 0 && (d = dpr_get(t, p->dest_hash)))
        ret = send_announce_as(t, p, RNS_CTX_PATH_RESPONSE, p->hops, d->iface);
    return ret;
}

/* ---- path requests ------------------------------------------------------------------ */

static int tn_path_request(rns_transport *t, const rns_pathreq *r, int iface, double now)
{
    struct iface *ifc = iface_get(t, iface);
    struct known *k = known_get(t, r->dest_hash);
    int from_lc, search = 0, boundary = 0, have, ret = 0;
    struct ann *e;
    double at;

    if (!ifc)
        return 0;
    from_lc = ifc->x.local_client;
    have = k && path_valid(k, now) && iface_get(t, k->iface);
    if (t->tn->enabled) {
        search = ifc->x.mode == RNS_MODE_ACCESS_POINT || ifc->x.mode == RNS_MODE_GATEWAY ||
                 ifc->x.mode == RNS_MODE_ROAMING || ifc->x.mode == RNS_MODE_INTERNAL ||
                 ifc->x.mode == RNS_MODE_BOUNDARY;
        boundary = ifc->x.mode == RNS_MODE_BOUNDARY;
    }
    if (have && is_lc(t, k->iface)) {
        struct lpr *lp = NULL;
        for (size_t i = 0; i < t->tn->n_lpr && !lp; i++)
            if (memcmp(t->tn->lpr[i].dest, r->dest_hash, RNS_HASHLEN) == 0)
                lp = &t->tn->lpr[i];
        if (!lp && t->tn->n_lpr < MAX_LPR)
            lp = &t->tn->lpr[t->tn->n_lpr++];
        if (lp) {
            memcpy(lp->dest, r->dest_hash, RNS_HASHLEN);
            lp->iface = iface;
        }
    }
    if ((t->tn->enabled || from_lc) && have) {
        if (!k->cached.len)
            return 0;
        if (ifc->x.mode == RNS_MODE_ROAMING && iface == k->iface) {
            tlog(t, RNS_LOG_DEBUG, "not answering path request for %s: next hop on the same "
                 "roaming interface", hx(r->dest_hash, 0));
            return 0;
        }
        if (r->has_transport_id && memcmp(k->next_hop, r->transport_id, RNS_HASHLEN) == 0)
            return 0;                  /* the requester is our next hop */
        if (from_lc || is_lc(t, k->iface))
            at = now;
        else
            at = now + PATH_REQUEST_GRACE + (ifc->x.mode == RNS_MODE_ROAMING ? PATH_REQUEST_RG : 0);
        /* An announce waiting for its rebroadcast is held and put back once
         * the answer went out. */
        if ((e = ann_get(t, r->dest_hash)) && t->tn->n_held_pr < MAX_HELD_PR) {
            t->tn->held_pr[t->tn->n_held_pr++] = *e;
            memset(&e->pkt, 0, sizeof e->pkt);
        }
        tlog(t, RNS_LOG_DEBUG, "answering path request for %s, path known", hx(r->dest_hash, 0));
        return ann_put(t, r->dest_hash, now, at, PATHFINDER_R, k->next_hop, k->hops,
                       k->cached.p, k->cached.len, 1, iface);
    }
    if (from_lc) {
        uint8_t r16[16], tag[RNS_PATHREQ_TAGLEN];
        if ((ret = t->cfg.rng(t->cfg.rng_ctx, r16, sizeof r16)))
            return ret;
        rns_random_hash(tag, r16);
        for (size_t i = 0; i < t->n_ifaces && ret == 0; i++)
            if (t->ifaces[i].id != iface)
                ret = tn_send_pr(t, r->dest_hash, t->ifaces[i].id, tag, now);
        return ret;
    }
    if (search) {
        struct dpr *d;
        if (dpr_get(t, r->dest_hash) || t->tn->n_dpr >= MAX_DPR)
            return 0;
        d = &t->tn->dpr[t->tn->n_dpr++];
        memcpy(d->dest, r->dest_hash, RNS_HASHLEN);
        d->timeout = now + RNS_PATH_REQUEST_TIMEOUT;
        d->iface = iface;
        tn_wake(t, now);
        tlog(t, RNS_LOG_DEBUG, "discovering unknown path to %s for a requester",
             hx(r->dest_hash, 0));
        for (size_t i = 0; i < t->n_ifaces && ret == 0; i++) {
            const struct iface *o = &t->ifaces[i];
            if (o->id == iface || !o->up ||
                (boundary && o->x.mode != RNS_MODE_BOUNDARY && o->x.mode != RNS_MODE_GATEWAY))
                continue;
            ret = tn_send_pr(t, r->dest_hash, o->id, r->tag, now);
        }
        return ret;
    }
    for (size_t i = 0; i < t->n_ifaces && ret == 0; i++)
        if (t->ifaces[i].x.local_client)
            ret = tn_send_pr(t, r->dest_hash, t->ifaces[i].id, NULL, now);
    return ret;
}

/* ---- forwarding ------------------------------------------------------------------------ */

/* Whether a packet's hash goes into the duplicate filter on arrival: not for
 * link traffic we carry (it may pass by on a shared medium before its turn)
 * nor for link request proofs; those are remembered when forwarded. */
static int tn_admit_remember(const rns_transport *t, const rns_packet *p)
{
    if (p->packet_type == RNS_PACKET_PROOF && p->context == RNS_CTX_LRPROOF)
        return 0;
    return lt_get(t, p->dest_hash) == NULL;
}

static int forward_packet(rns_transport *t, const rns_packet *q, int iface)
{
    ml_buf b = ML_BUF_INIT;
    int ret = rns_packet_pack(&b, q);

    if (ret == 0)
        ret = queue_iface(t, iface, b.p, b.len);
    ml_buf_free(&b);
    return ret == ML_ENOMEM ? ret : 0;
}

/* A packet addressed through us: on to the next hop by the path table. */
static int forward_in_transport(rns_transport *t, const rns_packet *p, const uint8_t *hash,
                                int iface, double now)
{
    struct known *k = known_get(t, p->dest_hash);
    struct iface *in = iface_get(t, iface), *out;
    uint8_t lr[LR_SIZE + 3];
    rns_packet q = *p;

    if (!k || !path_valid(k, now) || !(out = iface_get(t, k->iface))) {
        tlog(t, RNS_LOG_DEBUG, "packet in transport for %s: no path", hx(p->dest_hash, 0));
        t->stats.dropped_unroutable++;
        return 0;
    }
    if (k->hops > 1)
        rns_packet_set_transport(&q, k->next_hop);
    else if (k->hops == 1)
        rns_packet_clear_transport(&q);
    if (p->packet_type == RNS_PACKET_LINKREQUEST) {
        struct ltent *le;
        uint8_t id[RNS_HASHLEN];

        if (rns_link_id_of_request(id, p))
            return 0;
        if (p->data_len == LR_SIZE + 3) {
            uint32_t path_mtu, mtu;
            unsigned mode;
            rns_link_parse_signalling(p->data + LR_SIZE, &path_mtu, &mode);
            if (!out->autoconf) {
                q.data_len = LR_SIZE;  /* the next hop cannot carry a larger MTU */
            } else if (out->hw_mtu < path_mtu || (in && in->hw_mtu < path_mtu)) {
                mtu = out->hw_mtu;
                if (in && in->hw_mtu < mtu)
                    mtu = in->hw_mtu;
                memcpy(lr, p->data, LR_SIZE);
                rns_link_signalling(lr + LR_SIZE, mtu, mode);
                q.data = lr;
            }
        }
        if (!(le = lt_get(t, id))) {
            if (t->tn->n_lt >= MAX_LT)
                return 0;
            le = &t->tn->lt[t->tn->n_lt++];
        }
        memset(le, 0, sizeof *le);
        memcpy(le->id, id, RNS_HASHLEN);
        memcpy(le->dest, p->dest_hash, RNS_HASHLEN);
        le->timestamp = now;
        le->proof_timeout = now + RNS_LINK_PER_HOP_TIMEOUT * (double)(k->hops > 1 ? k->hops : 1);
        le->nh_iface = k->iface;
        le->rcvd_iface = iface;
        le->rem_hops = k->hops;
        le->hops = p->hops;
        tlog(t, RNS_LOG_DEBUG, "link request %s to %s in transport", hx(id, 0),
             hx(p->dest_hash, 1));
    } else {
        struct rtent *re = rt_get(t, hash);
        if (!re) {
            if (t->tn->n_rt >= MAX_RT)
                memmove(&t->tn->rt[0], &t->tn->rt[1], --t->tn->n_rt * sizeof *re);
            re = &t->tn->rt[t->tn->n_rt++];
        }
        memcpy(re->hash, hash, RNS_HASHLEN);
        re->rcvd_iface = iface;
        re->out_iface = k->iface;
        re->timestamp = now;
    }
    tn_wake(t, now);
    k->timestamp = now;
    return forward_packet(t, &q, k->iface);
}

/* Link traffic through us: out on the other side of the link table entry. */
static int forward_link(rns_transport *t, const rns_packet *p, const uint8_t *hash, int iface,
                        double now)
{
    struct ltent *le = lt_get(t, p->dest_hash);
    int out = -1;

    if (!le)
        return 0;
    if (le->nh_iface == le->rcvd_iface) {
        if (p->hops == le->rem_hops || p->hops == le->hops)
            out = le->nh_iface;
    } else if (iface == le->nh_iface) {
        if (p->hops == le->rem_hops)
            out = le->rcvd_iface;
    } else if (iface == le->rcvd_iface) {
        if (p->hops == le->hops)
            out = le->nh_iface;
    }
    if (out < 0)
        return 0;
    dup_add(t, hash);
    le->timestamp = now;
    return forward_packet(t, p, out);
}

/* The destination's signature on a link request proof passing through. */
static int lrproof_valid(rns_transport *t, const struct ltent *le, const rns_packet *p)
{
    const struct known *k = known_get(t, le->dest);
    uint8_t msg[RNS_HASHLEN + 32 + 32 + 3];
    rns_identity *id = NULL;
    size_t n = RNS_HASHLEN + 64;
    int ok;

    if (!k || (p->data_len != LRPROOF_SIZE && p->data_len != LRPROOF_SIZE + 3))
        return 0;
    memcpy(msg, le->id, RNS_HASHLEN);
    memcpy(msg + RNS_HASHLEN, p->data + RNS_SIGLEN, 32);
    memcpy(msg + RNS_HASHLEN + 32, k->pub + 32, 32);
    if (p->data_len == LRPROOF_SIZE + 3) {
        memcpy(msg + n, p->data + LRPROOF_SIZE, 3);
        n += 3;
    }
    if (rns_identity_from_public(&id, k->pub))
        return 0;
    ok = rns_identity_verify(id, p->data, msg, n) == 0;
    rns_identity_free(id);
    return ok;
}

static int forward_lrproof(rns_transport *t, const rns_packet *p, int iface)
{
    struct ltent *le = lt_get(t, p->dest_hash);
    struct known *k;

    if (!le)
        return 0;
    if (p->hops != le->rem_hops && iface == le->nh_iface && !le->validated &&
        lrproof_valid(t, le, p)) {
        le->rem_hops = p->hops;        /* the path re-balanced */
        if ((k = known_get(t, le->dest)))
            k->hops = p->hops;
    }
    if (p->hops != le->rem_hops || iface != le->nh_iface || !lrproof_valid(t, le, p))
        return 0;
    le->validated = 1;
    return forward_packet(t, p, le->rcvd_iface);
}

static int forward_proof(rns_transport *t, const rns_packet *p, int iface)
{
    struct rtent *re = rt_get(t, p->dest_hash), e;

    if (!re)
        return 0;
    e = *re;
    *re = t->tn->rt[--t->tn->n_rt];
    return e.out_iface == iface ? forward_packet(t, p, e.rcvd_iface) : 0;
}

static int tn_inbound(rns_transport *t, const rns_packet *p, const uint8_t *hash, int iface,
                      double now)
{
    struct iface *ifc = iface_get(t, iface);
    int from_lc = ifc && ifc->x.local_client, for_lc = 0, lc_link = 0, proof_lc = 0, ret = 0;
    const struct known *k;
    const struct ltent *le;
    const struct rtent *re;

    if (!ifc)
        return 0;
    if (!ifc->x.created)
        ifc->x.created = now;
    if (p->packet_type != RNS_PACKET_ANNOUNCE) {
        k = known_get(t, p->dest_hash);
        for_lc = k && path_valid(k, now) && k->hops == 0 && is_lc(t, k->iface);
        if ((le = lt_get(t, p->dest_hash)))
            lc_link = is_lc(t, le->nh_iface) || is_lc(t, le->rcvd_iface);
    }
    if ((re = rt_get(t, p->dest_hash)))
        proof_lc = is_lc(t, re->rcvd_iface);
    /* Plain broadcasts (not path requests): between local clients and the rest. */
    if (p->dest_type == RNS_DEST_PLAIN && p->transport_type == RNS_TRANSPORT_BROADCAST &&
        p->packet_type != RNS_PACKET_ANNOUNCE && t->cur_plain &&
        memcmp(p->dest_hash, rns_pathreq_destination, RNS_HASHLEN) != 0 && have_lc(t)) {
        for (size_t i = 0; i < t->n_ifaces && ret == 0; i++)
            if (from_lc ? t->ifaces[i].id != iface : t->ifaces[i].x.local_client)
                ret = queue_on(t, &t->ifaces[i], t->cur_plain, t->cur_plain_len);
    }
    if (ret == 0 && (t->tn->enabled || from_lc || for_lc || lc_link)) {
        if (p->packet_type != RNS_PACKET_ANNOUNCE && (p->header_type == RNS_HEADER_2 || for_lc) &&
            !ldest_get(t, p->dest_hash) && !link_get(t, p->dest_hash))
            ret = forward_in_transport(t, p, hash, iface, now);
        if (ret == 0 && p->packet_type != RNS_PACKET_ANNOUNCE &&
            p->packet_type != RNS_PACKET_LINKREQUEST && p->context != RNS_CTX_LRPROOF)
            ret = forward_link(t, p, hash, iface, now);
    }
    if (ret == 0 && p->packet_type == RNS_PACKET_PROOF) {
        if (p->context == RNS_CTX_LRPROOF) {
            if (t->tn->enabled || lc_link || from_lc)
                ret = forward_lrproof(t, p, iface);
        } else if (p->context != RNS_CTX_RESOURCE_PRF && (t->tn->enabled || from_lc || proof_lc)) {
            ret = forward_proof(t, p, iface);
        }
    }
    return ret;
}

/* ---- timers ------------------------------------------------------------------------- */

static int held_pr_restore(rns_transport *t, struct ann *e)
{
    for (size_t i = 0; i < t->tn->n_held_pr; i++) {
        if (memcmp(t->tn->held_pr[i].dest, e->dest, RNS_HASHLEN))
            continue;
        ml_buf_free(&e->pkt);
        *e = t->tn->held_pr[i];
        t->tn->held_pr[i] = t->tn->held_pr[--t->tn->n_held_pr];
        return 1;
    }
    return 0;
}

static int send_ann_entry(rns_transport *t, const struct ann *e)
{
    rns_packet p;

    if (rns_packet_unpack(&p, e->pkt.p, e->pkt.len) || p.packet_type != RNS_PACKET_ANNOUNCE)
        return 0;
    tlog(t, RNS_LOG_DEBUG, "rebroadcasting announce for %s%s with %u hops", hx(e->dest, 0),
         e->block_rebroadcasts ? " as path response" : "", e->hops);
    return send_announce_as(t, &p, e->block_rebroadcasts ? RNS_CTX_PATH_RESPONSE : RNS_CTX_NONE,
                            e->hops, e->attached);
}

static void cull_tables(rns_transport *t, double now)
{
    struct tnode *tn = t->tn;

    for (size_t i = 0; i < tn->n_lt;) {
        struct ltent *le = &tn->lt[i];
        int stale = le->validated ? now > le->timestamp + LINK_TIMEOUT ||
                                        !iface_get(t, le->nh_iface) || !iface_get(t, le->rcvd_iface)
                                  : now > le->proof_timeout;
        if (stale)
            *le = tn->lt[--tn->n_lt];
        else
            i++;
    }
    for (size_t i = 0; i < tn->n_rt;) {
        struct rtent *re = &tn->rt[i];
        if (now > re->timestamp + REVERSE_TIMEOUT || !iface_get(t, re->rcvd_iface) ||
            !iface_get(t, re->out_iface))
            *re = tn->rt[--tn->n_rt];
        else
            i++;
    }
    for (size_t i = 0; i < tn->n_dpr;) {
        if (now > tn->dpr[i].timeout)
            tn->dpr[i] = tn->dpr[--tn->n_dpr];
        else
            i++;
    }
    for (size_t i = 0; i < tn->n_lpr;) {
        if (!iface_get(t, tn->lpr[i].iface))
            tn->lpr[i] = tn->lpr[--tn->n_lpr];
        else
            i++;
    }
}

static int tn_busy(const rns_transport *t)
{
    if (t->tn->n_lt || t->tn->n_rt || t->tn->n_dpr)
        return 1;
    for (size_t i = 0; i < t->n_ifaces; i++)
        if (t->ifaces[i].x.n_held)
            return 1;
    return 0;
}

static int tn_tick(rns_transport *t, double now)
{
    struct tnode *tn = t->tn;
    int ret = 0;

    tn->now = now;
    if ((ret = announce_queue_run(t, now)))
        return ret;
    for (size_t i = 0; i < tn->n_ann && ret == 0;) {
        struct ann *e = &tn->ann[i];
        if ((e->retries > 0 && e->retries >= LOCAL_REBROADCASTS_MAX) || e->retries > PATHFINDER_R) {
            ann_del(t, e);
            continue;
        }
        if (now >= e->retransmit_at) {
            e->retransmit_at = now + PATHFINDER_G + PATHFINDER_RW;
            e->retries++;
            ret = send_ann_entry(t, e);
            held_pr_restore(t, e);
        }
        i++;
    }
    if (ret == 0 && tn->jobs_at && now >= tn->jobs_at) {
        cull_tables(t, now);
        release_held(t, now);
        tn->jobs_at = tn_busy(t) ? now + JOBS_INTERVAL : 0;
    }
    return ret;
}

static double tn_deadline(const rns_transport *t)
{
    double d = t->tn->jobs_at ? t->tn->jobs_at : DBL_MAX;

    for (size_t i = 0; i < t->n_ifaces; i++)
        if (t->ifaces[i].x.n_q && t->ifaces[i].x.allowed_at < d)
            d = t->ifaces[i].x.allowed_at;
    for (size_t i = 0; i < t->tn->n_ann; i++)
        if (t->tn->ann[i].retransmit_at < d)
            d = t->tn->ann[i].retransmit_at;
    return d;
}

/* ---- inspection -------------------------------------------------------------------- */

int rns_transport_path_entry(const rns_transport *t, const uint8_t dest[RNS_HASHLEN],
                             double now, rns_path_entry *out)
{
    const struct known *k = known_get(t, dest);
    const struct iface *ifc;

    if (!k || !path_valid(k, now))
        return ML_ENOTFOUND;
    memset(out, 0, sizeof *out);
    out->hops = k->hops;
    memcpy(out->next_hop, k->next_hop, RNS_HASHLEN);
    out->iface_id = k->iface;
    if ((ifc = iface_get((rns_transport *)t, k->iface)))
        snprintf(out->iface_name, sizeof out->iface_name, "%s", ifc->name);
    out->timestamp = k->timestamp ? k->timestamp : k->last_seen;
    out->expires = k->expires;
    if (k->cached.len >= 2) {
        rns_packet p;
        size_t off = RNS_KEYSIZE + RNS_NAME_HASHLEN;
        if (rns_packet_unpack(&p, k->cached.p, k->cached.len) == 0 &&
            p.data_len >= off + RNS_RANDOM_HASHLEN) {
            memcpy(out->random_hash, p.data + off, RNS_RANDOM_HASHLEN);
            out->has_random_hash = 1;
        }
    }
    return 0;
}

int rns_transport_has_discovery_request(const rns_transport *t, const uint8_t dest[RNS_HASHLEN],
                                        double now)
{
    const struct dpr *d = dpr_get(t, dest);
    return d && now <= d->timeout;
}

int rns_transport_announce_entry(const rns_transport *t, const uint8_t dest[RNS_HASHLEN],
                                 double *timestamp)
{
    const struct ann *e = ann_get(t, dest);

    if (e && timestamp)
        *timestamp = e->timestamp;
    return e != NULL;
}

void rns_transport_set_link_tap(rns_transport *t, rns_link_tap_fn fn, void *ctx)
{
    t->link_tap = fn;
    t->link_tap_ctx = ctx;
    for (size_t i = 0; i < t->n_links; i++)
        rns_link_set_tap(t->links[i].l, fn, ctx);
}

int rns_transport_link_iface(rns_transport *t, const uint8_t link_id[RNS_HASHLEN])
{
    struct tlink *tl = link_get(t, link_id);
    return tl ? tl->iface : -1;
}

uint32_t rns_transport_link_mtu(rns_transport *t, const uint8_t dest[RNS_HASHLEN], double now)
{
    struct known *k = known_get(t, dest);
    struct iface *ifc = k && path_valid(k, now) ? iface_get(t, k->iface) : NULL;

    return link_mtu_for(ifc);
}

size_t rns_transport_link_count(const rns_transport *t, const uint8_t dest[RNS_HASHLEN])
{
    size_t n = 0;

    for (size_t i = 0; i < t->n_links; i++)
        if (!t->links[i].dead && !memcmp(t->links[i].dest, dest, RNS_HASHLEN))
            n++;
    return n;
}
