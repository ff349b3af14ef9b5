// SPDX-License-Identifier: MIT
// The resources of one link (see include/meshlog/rns_linkres.h): which
// advertisement to accept, which outgoing transfer goes next, segments of
// large transfers, and moving rns_resource outboxes onto the link.
#include "meshlog/rns_linkres.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/rns_bz2.h"
#include "meshlog/rns_msgpack.h"
#include "meshlog/rns_packet.h"

#define BUILD_TRIES 8   /* fresh random hashes after a map hash collision */
#define META_PREFIX 3u

struct xfer {
    uint32_t id;
    int outgoing;
    rns_resource *r;            /* the current segment; NULL between segments */
    /* outgoing: a private copy of what to send */
    ml_buf src, meta;
    int has_meta, no_compress, is_request, is_response;
    int force_collision;        /* rns_res_send_opts.force_collision */
    uint32_t mtu;               /* 0: the link's */
    uint8_t rid[32];
    size_t rid_len;
    uint32_t seg, nseg;         /* current segment (1-based), count */
    uint8_t orig[32];
    /* incoming: segments assembled so far */
    ml_buf acc, meta_in;
    int got_meta;
    uint32_t next_seg;          /* the segment expected next, 0: none */
};

struct evnode {
    struct evnode *next;
    rns_res_event ev;
};

struct rns_linkres {
    rns_rng_fn rng;
    void *rng_ctx;
    rns_res_policy policy;
    int manual_requests;
    struct xfer *out[RNS_LINKRES_MAX_OUT];
    size_t n_out;               /* out[0] is the one advertised */
    struct xfer *in[RNS_LINKRES_MAX_IN];
    size_t n_in;
    uint32_t next_id;
    unsigned last_window;
    rns_res_build_info last_build;
    uint8_t pending[RNS_LINKRES_MAX_PENDING][RNS_HASHLEN];
    size_t n_pending, pending_next;
    struct evnode *ev_head, *ev_tail;
};

/* ---- housekeeping ------------------------------------------------------------ */

int rns_linkres_new(rns_linkres **out, rns_rng_fn rng, void *rng_ctx)
{
    rns_linkres *lr;

    if (!out || !rng)
        return ML_EINVAL;
    if (!(lr = calloc(1, sizeof *lr)))
        return ML_ENOMEM;
    lr->rng = rng;
    lr->rng_ctx = rng_ctx;
    lr->next_id = 1;
    *out = lr;
    return 0;
}

static void xfer_free(struct xfer *x)
{
    if (!x)
        return;
    rns_resource_free(x->r);
    if (x->src.p)
        ml_wipe(x->src.p, x->src.cap);
    if (x->acc.p)
        ml_wipe(x->acc.p, x->acc.cap);
    ml_buf_free(&x->src);
    ml_buf_free(&x->meta);
    ml_buf_free(&x->acc);
    ml_buf_free(&x->meta_in);
    free(x);
}

void rns_res_event_clear(rns_res_event *ev)
{
    if (!ev)
        return;
    ml_buf_free(&ev->data);
    ml_buf_free(&ev->metadata);
}

void rns_linkres_free(rns_linkres *lr)
{
    struct evnode *n;

    if (!lr)
        return;
    for (size_t i = 0; i < lr->n_out; i++)
        xfer_free(lr->out[i]);
    for (size_t i = 0; i < lr->n_in; i++)
        xfer_free(lr->in[i]);
    while ((n = lr->ev_head) != NULL) {
        lr->ev_head = n->next;
        rns_res_event_clear(&n->ev);
        free(n);
    }
    free(lr);
}

void rns_linkres_set_policy(rns_linkres *lr, const rns_res_policy *p)
{
    if (lr && p)
        lr->policy = *p;
}

static rns_res_event *push_event(rns_linkres *lr, enum rns_res_ev_type type, const struct xfer *x)
{
    struct evnode *n = calloc(1, sizeof *n);
    const rns_resource_adv *a;

    if (!n)
        return NULL;
    if (lr->ev_tail)
        lr->ev_tail->next = n;
    else
        lr->ev_head = n;
    lr->ev_tail = n;
    n->ev.type = type;
    n->ev.id = x->id;
    n->ev.outgoing = x->outgoing;
    if (x->r) {
        a = rns_resource_adv_of(x->r);
        n->ev.status = rns_resource_status(x->r);
        memcpy(n->ev.hash, a->h, 32);
        memcpy(n->ev.original_hash, a->o, 32);
        n->ev.flags = a->f;
        n->ev.data_size = a->d;
        n->ev.transfer_size = a->t;
        n->ev.parts = a->n;
        n->ev.segment_index = a->i;
        n->ev.total_segments = a->l;
        if (a->q && a->q_len <= sizeof n->ev.request_id) {
            memcpy(n->ev.request_id, a->q, a->q_len);
            n->ev.request_id_len = a->q_len;
        }
        rns_resource_counters(x->r, &n->ev.hmu_requests, &n->ev.hmu_received, NULL);
        n->ev.max_decompressed = rns_resource_max_decompressed(x->r);
        n->ev.has_metadata = (a->f & RNS_RESOURCE_F_METADATA) != 0;
    }
    if (x->outgoing) {
        n->ev.total_size = x->src.len + (x->has_meta ? META_PREFIX + x->meta.len : 0);
        memcpy(n->ev.request_id, x->rid, x->rid_len);
        n->ev.request_id_len = x->rid_len;
    }
    return &n->ev;
}

int rns_linkres_pop_event(rns_linkres *lr, rns_res_event *ev)
{
    struct evnode *n = lr ? lr->ev_head : NULL;

    if (!n || !ev)
        return 0;
    lr->ev_head = n->next;
    if (!lr->ev_head)
        lr->ev_tail = NULL;
    *ev = n->ev;
    free(n);
    return 1;
}

/* Moves what a resource queued onto the link. Errors other than memory
 * (the link closed meanwhile) drop the packet, as a send on a closed link
 * does in the reference. */
static int flush(rns_resource *r, rns_link *l, double now)
{
    ml_buf b = ML_BUF_INIT;
    uint8_t ctx;
    int ret = 0, got;

    while ((got = rns_resource_pop(r, &ctx, &b)) == 1) {
        int s = ctx == RNS_CTX_RESOURCE_PRF ? rns_link_send_resource_proof(l, b.p, b.len, now)
                                             : rns_link_send(l, ctx, b.p, b.len, now, NULL);
        if (s == ML_ENOMEM)
            ret = s;
        ml_buf_reset(&b);
    }
    ml_buf_free(&b);
    return got < 0 ? got : ret;
}

static void remove_at(struct xfer **arr, size_t *n, size_t i)
{
    memmove(arr + i, arr + i + 1, (*n - i - 1) * sizeof *arr);
    (*n)--;
}

/* The transfer with this id among the n in arr, or NULL; *at (may be NULL)
 * gets its index. */
static struct xfer *xfer_find(struct xfer *const *arr, size_t n, uint32_t id, size_t *at)
{
    for (size_t i = 0; i < n; i++)
        if (arr[i]->id == id) {
            if (at)
                *at = i;
            return arr[i];
        }
    return NULL;
}

/* ---- building segments ---------------------------------------------------------- */

static uint32_t segments_of(size_t total)
{
    return total <= RNS_RESOURCE_MAX_EFFICIENT_SIZE
               ? 1u : (uint32_t)((total - 1) / RNS_RESOURCE_MAX_EFFICIENT_SIZE + 1);
}

/* The reference's cut: the first segment holds the metadata and fills up
 * to MAX_EFFICIENT_SIZE with data; later ones hold MAX_EFFICIENT_SIZE each. */
static void segment_span(const struct xfer *x, uint32_t seg, size_t *off, size_t *len)
{
    size_t meta = x->has_meta ? META_PREFIX + x->meta.len : 0;
    size_t first = RNS_RESOURCE_MAX_EFFICIENT_SIZE - meta;

    if (x->nseg == 1) {
        *off = 0;
        *len = x->src.len;
        return;
    }
    *off = seg == 1 ? 0 : first + (size_t)(seg - 2) * RNS_RESOURCE_MAX_EFFICIENT_SIZE;
    *len = seg == 1 ? first : RNS_RESOURCE_MAX_EFFICIENT_SIZE;
    if (*off > x->src.len)
        *off = x->src.len;
    if (*len > x->src.len - *off)
        *len = x->src.len - *off;
}

static int build_segment(rns_linkres *lr, const rns_link *l, const struct xfer *x, uint32_t seg,
                         double now, rns_resource **out)
{
    rns_resource_send_params sp;
    const uint8_t *key = rns_link_key(l);
    size_t off, len;
    int ret = ML_EEXIST;

    if (!key)
        return ML_ESTATE;
    segment_span(x, seg, &off, &len);
    memset(&sp, 0, sizeof sp);
    sp.key = key;
    sp.link_mtu = x->mtu ? x->mtu : rns_link_mtu(l);
    sp.data = x->src.p ? x->src.p + off : (const uint8_t *)"";
    sp.len = len;
    if (x->has_meta && seg == 1) {
        sp.metadata = x->meta.p ? x->meta.p : (const uint8_t *)"";
        sp.metadata_len = x->meta.len;
    }
    sp.has_metadata_flag = x->has_meta;
    /* the reference compresses only transfers up to AUTO_COMPRESS_MAX */
    sp.auto_compress = !x->no_compress && x->src.len <= RNS_RESOURCE_AUTO_COMPRESS_MAX;
    sp.request_id = x->rid_len ? x->rid : NULL;
    sp.request_id_len = x->rid_len;
    sp.is_request = x->is_request;
    sp.is_response = x->is_response;
    if (x->nseg > 1) {
        sp.total_size = x->src.len + (x->has_meta ? META_PREFIX + x->meta.len : 0);
        sp.segment_index = seg;
        sp.total_segments = x->nseg;
        sp.original_hash = seg > 1 ? x->orig : NULL;
    }
    memset(&lr->last_build, 0, sizeof lr->last_build);
    for (int i = 0; i < BUILD_TRIES && ret == ML_EEXIST; i++) {
        if ((ret = lr->rng(lr->rng_ctx, sp.random_prefix, sizeof sp.random_prefix)) ||
            (ret = lr->rng(lr->rng_ctx, sp.random_hash, sizeof sp.random_hash)) ||
            (ret = lr->rng(lr->rng_ctx, sp.iv, sizeof sp.iv)))
            break;
        sp.force_collision = x->force_collision && seg == 1 && i == 0;
        if (i == 0)
            memcpy(lr->last_build.first_random_hash, sp.random_hash, 4);
        memcpy(lr->last_build.random_hash, sp.random_hash, 4);
        lr->last_build.builds++;
        ret = rns_resource_send(out, &sp, now);
    }
    if (ret == 0 && rns_link_rtt(l) > 0)
        rns_resource_set_rtt(*out, rns_link_rtt(l));
    return ret;
}

static int xfer_from_opts(struct xfer **out, const rns_res_send_opts *o)
{
    struct xfer *x;

    if (!o || (!o->data && o->len) || (o->metadata && o->metadata_len > 0xffffffu) ||
        (o->request_id && o->request_id_len > 32))
        return ML_EINVAL;
    if (!(x = calloc(1, sizeof *x)))
        return ML_ENOMEM;
    x->outgoing = 1;
    x->has_meta = o->metadata != NULL;
    x->no_compress = o->no_compress;
    x->force_collision = o->force_collision;
    x->is_request = o->is_request;
    x->is_response = o->is_response;
    if (o->request_id) {
        memcpy(x->rid, o->request_id, o->request_id_len);
        x->rid_len = o->request_id_len;
    }
    if (ml_buf_append(&x->src, o->data, o->len) ||
        (x->has_meta && ml_buf_append(&x->meta, o->metadata, o->metadata_len))) {
        xfer_free(x);
        return ML_ENOMEM;
    }
    x->nseg = segments_of(o->len + (x->has_meta ? META_PREFIX + o->metadata_len : 0));
    x->seg = 1;
    *out = x;
    return 0;
}

int rns_linkres_build(rns_linkres *lr, const rns_link *l, const rns_res_send_opts *o,
                      double now, rns_resource **out, uint32_t *total_segments)
{
    struct xfer *x = NULL;
    int ret;

    if (!lr || !l || !out)
        return ML_EINVAL;
    if ((ret = xfer_from_opts(&x, o)))
        return ret;
    x->mtu = o->link_mtu;
    ret = build_segment(lr, l, x, 1, now, out);
    if (ret == 0 && total_segments)
        *total_segments = x->nseg;
    xfer_free(x);
    return ret;
}

void rns_linkres_last_build(const rns_linkres *lr, rns_res_build_info *info)
{
    if (!info)
        return;
    if (!lr)
        memset(info, 0, sizeof *info);
    else
        *info = lr->last_build;
}

/* ---- outgoing ---------------------------------------------------------------------- */

static int conclude(rns_linkres *lr, struct xfer *x, enum rns_resource_status status)
{
    rns_res_event *ev = push_event(lr, RNS_RES_EV_CONCLUDED, x);

    if (!ev)
        return ML_ENOMEM;
    ev->status = status;
    if (!x->outgoing && status == RNS_RESOURCE_COMPLETE) {
        ev->data = x->acc;
        ev->total_size = x->acc.len;
        memset(&x->acc, 0, sizeof x->acc);
        if (x->got_meta) {
            ev->metadata = x->meta_in;
            memset(&x->meta_in, 0, sizeof x->meta_in);
        }
    }
    return 0;
}

/* Advertises the first queued transfer when none is in flight. A transfer
 * that cannot be built ends FAILED and the next one is tried. */
static int advance_out(rns_linkres *lr, rns_link *l, double now)
{
    int ret;

    while (lr->n_out > 0 && !lr->out[0]->r) {
        struct xfer *x = lr->out[0];
        if ((ret = build_segment(lr, l, x, x->seg, now, &x->r)) == 0) {
            if (x->seg == 1)
                memcpy(x->orig, rns_resource_hash(x->r), 32);
            return flush(x->r, l, now);
        }
        if (ret == ML_ENOMEM)
            return ret;
        if ((ret = conclude(lr, x, RNS_RESOURCE_FAILED)))
            return ret;
        remove_at(lr->out, &lr->n_out, 0);
        xfer_free(x);
    }
    return 0;
}

int rns_linkres_send(rns_linkres *lr, rns_link *l, const rns_res_send_opts *o, double now,
                     uint32_t *id)
{
    struct xfer *x = NULL;
    int ret;

    if (!lr || !l)
        return ML_EINVAL;
    if (!rns_link_key(l) ||
        (rns_link_state(l) != RNS_LINK_ACTIVE && rns_link_state(l) != RNS_LINK_STALE))
        return ML_ESTATE;
    if (lr->n_out >= RNS_LINKRES_MAX_OUT)
        return ML_ETOOBIG;
    if ((ret = xfer_from_opts(&x, o)))
        return ret;
    x->id = lr->next_id++;
    lr->out[lr->n_out++] = x;
    if (id)
        *id = x->id;
    return advance_out(lr, l, now);
}

/* After input or a timer: a proved segment leads to the next one or to the
 * end; a failed or refused one ends the transfer. */
static int check_out(rns_linkres *lr, rns_link *l, double now)
{
    struct xfer *x;
    enum rns_resource_status st;
    int ret;

    if (lr->n_out == 0 || !(x = lr->out[0])->r)
        return 0;
    st = rns_resource_status(x->r);
    if (st == RNS_RESOURCE_COMPLETE && x->seg < x->nseg) {
        rns_resource_free(x->r);
        x->r = NULL;
        x->seg++;
        return advance_out(lr, l, now);
    }
    if (st != RNS_RESOURCE_COMPLETE && st != RNS_RESOURCE_FAILED && st != RNS_RESOURCE_REJECTED)
        return 0;
    if ((ret = conclude(lr, x, st)))
        return ret;
    remove_at(lr->out, &lr->n_out, 0);
    xfer_free(x);
    return advance_out(lr, l, now);
}

/* ---- incoming ---------------------------------------------------------------------- */

static int refuse(rns_link *l, const uint8_t h[32], double now)
{
    int ret = rns_link_send(l, RNS_CTX_RESOURCE_RCL, h, 32, now, NULL);
    return ret == ML_ENOMEM ? ret : 0;
}

void rns_linkres_expect_response(rns_linkres *lr, const uint8_t request_id[RNS_HASHLEN])
{
    if (!lr || !request_id)
        return;
    memcpy(lr->pending[lr->pending_next], request_id, RNS_HASHLEN);
    lr->pending_next = (lr->pending_next + 1) % RNS_LINKRES_MAX_PENDING;
    if (lr->n_pending < RNS_LINKRES_MAX_PENDING)
        lr->n_pending++;
}

/* A response is wanted when it answers a request we sent; the id is used up. */
static int response_pending(rns_linkres *lr, const rns_resource_adv *a)
{
    for (size_t i = 0; a->q && a->q_len == RNS_HASHLEN && i < lr->n_pending; i++)
        if (memcmp(lr->pending[i], a->q, RNS_HASHLEN) == 0) {
            memset(lr->pending[i], 0, RNS_HASHLEN);
            return 1;
        }
    return 0;
}

static int wanted(rns_linkres *lr, const uint8_t link_id[RNS_HASHLEN], const rns_resource_adv *a)
{
    if (a->f & RNS_RESOURCE_F_RESPONSE)
        return response_pending(lr, a) ? 1 : -1;
    if (a->f & RNS_RESOURCE_F_REQUEST)
        return 1;
    switch (lr->policy.strategy) {
    case RNS_RES_ACCEPT_ALL: return 1;
    case RNS_RES_ACCEPT_APP:
        return lr->policy.accept && lr->policy.accept(lr->policy.ctx, link_id, a) ? 1 : 0;
    default: return -1; /* dropped without an answer */
    }
}

static int take_adv(rns_linkres *lr, rns_link *l, const ml_buf *pt, double now)
{
    rns_resource_adv a;
    struct xfer *x = NULL;
    size_t slot;
    int ret, w;

    /* The reference drops an advertisement it cannot decode (and tears the
     * link down when the decoding fails before the strategy is asked). The
     * context byte is not authenticated, so any link packet can be turned
     * into a "bad advertisement" in flight: dropping keeps the link. */
    if (rns_resource_adv_unpack(&a, pt->p, pt->len, rns_resource_sdu(rns_link_mtu(l))))
        return 1;
    for (size_t i = 0; i < lr->n_in; i++) {
        x = lr->in[i];
        if (x->r && memcmp(rns_resource_hash(x->r), a.h, 32) == 0)
            return 1; /* already transferring: a resent advertisement */
    }
    for (slot = 0; slot < lr->n_in; slot++)
        if (!lr->in[slot]->r && lr->in[slot]->next_seg == a.i && a.i > 1 &&
            memcmp(lr->in[slot]->orig, a.o, 32) == 0)
            break;
    if (slot == lr->n_in) {
        if ((w = wanted(lr, rns_link_id(l), &a)) < 0)
            return 1;
        if (w == 0 || lr->n_in >= RNS_LINKRES_MAX_IN || a.i != 1)
            return refuse(l, a.h, now) ? ML_ENOMEM : 1;
        if (!(x = calloc(1, sizeof *x)))
            return ML_ENOMEM;
        x->id = lr->next_id++;
        memcpy(x->orig, a.o, 32);
        lr->in[lr->n_in++] = x;
    }
    x = lr->in[slot];
    ret = rns_resource_accept(&x->r, rns_link_key(l), rns_link_mtu(l), pt->p, pt->len,
                              lr->last_window, now);
    if (ret) {
        remove_at(lr->in, &lr->n_in, slot);
        xfer_free(x);
        return ret == ML_ENOMEM ? ret : 1;
    }
    x->next_seg = 0;
    if (rns_link_rtt(l) > 0)
        rns_resource_set_rtt(x->r, rns_link_rtt(l));
    rns_resource_set_max_decompressed(x->r, lr->policy.max_decompressed
                                                ? lr->policy.max_decompressed
                                                : RNS_BZ2_RESOURCE_LIMIT);
    rns_resource_set_manual_requests(x->r, lr->manual_requests);
    if (a.i == 1 && !push_event(lr, RNS_RES_EV_STARTED, x))
        return ML_ENOMEM;
    ret = flush(x->r, l, now);
    return ret ? ret : 1;
}

/* A segment that completed joins the transfer's data; the transfer ends
 * with the last one. */
static int segment_done(rns_linkres *lr, struct xfer *x)
{
    const uint8_t *d, *m;
    size_t dl, ml;
    const rns_resource_adv *a = rns_resource_adv_of(x->r);
    int ret;

    if ((ret = rns_resource_data(x->r, &d, &dl, &m, &ml)) || (ret = ml_buf_append(&x->acc, d, dl)))
        return ret;
    if (a->i == 1 && (a->f & RNS_RESOURCE_F_METADATA)) {
        if ((ret = ml_buf_append(&x->meta_in, m, ml)))
            return ret;
        x->got_meta = 1;
    }
    if (a->i < a->l) {
        x->next_seg = a->i + 1;
        lr->last_window = rns_resource_window(x->r);
        rns_resource_free(x->r);
        x->r = NULL;
        return 0;
    }
    return 1;
}

/* Ends incoming resources that are over. */
static int check_in(rns_linkres *lr)
{
    int ret;

    for (size_t i = 0; i < lr->n_in;) {
        struct xfer *x = lr->in[i];
        enum rns_resource_status st;
        if (!x->r) {
            i++;
            continue;
        }
        st = rns_resource_status(x->r);
        if (st == RNS_RESOURCE_COMPLETE) {
            if ((ret = segment_done(lr, x)) < 0)
                return ret;
            if (ret == 0) {
                i++;
                continue;
            }
        } else if (st != RNS_RESOURCE_FAILED && st != RNS_RESOURCE_CORRUPT) {
            i++;
            continue;
        }
        lr->last_window = rns_resource_window(x->r);
        if ((ret = conclude(lr, x, st)))
            return ret;
        remove_at(lr->in, &lr->n_in, i);
        xfer_free(x);
    }
    return 0;
}

static int feed_in(rns_linkres *lr, rns_link *l, uint8_t ctx, const ml_buf *d, double now)
{
    int teardown = 0, ret;

    for (size_t i = 0; i < lr->n_in; i++) {
        rns_resource *r = lr->in[i]->r;
        uint32_t before, after;
        if (!r)
            continue;
        rns_resource_counters(r, NULL, NULL, &before);
        ret = rns_resource_input(r, ctx, d->p, d->len, now);
        rns_resource_counters(r, NULL, NULL, &after);
        if (after > before) {
            /* one progress event per part taken, as the reference's callback */
            rns_res_event *ev = push_event(lr, RNS_RES_EV_PROGRESS, lr->in[i]);
            if (!ev)
                return ML_ENOMEM;
            ev->received = after;
        }
        if (ret == ML_ENOMEM)
            return ret;
        if (ret == ML_ETOOBIG) {
            /* a bz2 bomb: refuse it and drop the link, as the reference does */
            if (refuse(l, rns_resource_hash(r), now))
                return ML_ENOMEM;
            teardown = 1;
        }
        if ((ret = flush(r, l, now)))
            return ret;
    }
    if ((ret = check_in(lr)))
        return ret;
    return teardown ? 2 : 1;
}

static int feed_out(rns_linkres *lr, rns_link *l, uint8_t ctx, const ml_buf *d,
                    const uint8_t pkt_hash[32], double now)
{
    static const uint8_t none[32];
    rns_resource *r = lr->n_out ? lr->out[0]->r : NULL;
    int ret;

    /* a proof is for the resource its first 32 bytes name */
    if (r && ctx == RNS_CTX_RESOURCE_PRF &&
        (d->len < 32 || memcmp(d->p, rns_resource_hash(r), 32) != 0))
        return 1;
    if (r) {
        /* a request packet already served is ignored (an event without a
         * packet hash, all zero, is not de-duplicated) */
        if (ctx == RNS_CTX_RESOURCE_REQ && memcmp(pkt_hash, none, 32) != 0)
            ret = rns_resource_input_request(r, pkt_hash, d->p, d->len, now);
        else
            ret = rns_resource_input(r, ctx, d->p, d->len, now);
        if (ret == ML_ENOMEM)
            return ret;
        if ((ret = flush(r, l, now)) || (ret = check_out(lr, l, now)))
            return ret;
    }
    return 1;
}

int rns_linkres_input(rns_linkres *lr, rns_link *l, const rns_link_event *ev, double now)
{
    if (!lr || !l || !ev || ev->type != RNS_LINK_EV_PACKET)
        return 0;
    switch (ev->context) {
    case RNS_CTX_RESOURCE_ADV: return take_adv(lr, l, &ev->data, now);
    case RNS_CTX_RESOURCE:
    case RNS_CTX_RESOURCE_HMU:
    case RNS_CTX_RESOURCE_ICL: return feed_in(lr, l, ev->context, &ev->data, now);
    case RNS_CTX_RESOURCE_REQ:
    case RNS_CTX_RESOURCE_PRF:
    case RNS_CTX_RESOURCE_RCL: return feed_out(lr, l, ev->context, &ev->data, ev->id, now);
    default: return 0;
    }
}

int rns_linkres_cancel(rns_linkres *lr, rns_link *l, uint32_t id, double now)
{
    struct xfer *x;
    size_t i;
    int ret;

    if (!lr || !l)
        return ML_EINVAL;
    if ((x = xfer_find(lr->out, lr->n_out, id, &i))) {
        if (x->r) {
            if ((ret = rns_resource_cancel(x->r)) || (ret = flush(x->r, l, now)))
                return ret;
            return check_out(lr, l, now);
        }
        /* queued, never advertised: nothing to tell the peer */
        if ((ret = conclude(lr, x, RNS_RESOURCE_FAILED)))
            return ret;
        remove_at(lr->out, &lr->n_out, i);
        xfer_free(x);
        return 0;
    }
    if (!(x = xfer_find(lr->in, lr->n_in, id, NULL)))
        return ML_ENOTFOUND;
    if (!x->r)
        return ML_ESTATE;
    if ((ret = rns_resource_cancel(x->r)) || (ret = flush(x->r, l, now)))
        return ret;
    return check_in(lr);
}

void rns_linkres_set_manual_requests(rns_linkres *lr, int manual)
{
    if (lr)
        lr->manual_requests = manual != 0;
}

int rns_linkres_request_next(rns_linkres *lr, rns_link *l, uint32_t id, double now)
{
    struct xfer *x;
    int ret, fret;

    if (!lr || !l)
        return ML_EINVAL;
    if (!(x = xfer_find(lr->in, lr->n_in, id, NULL)))
        return ML_ENOTFOUND;
    if (!x->r)
        return ML_ESTATE;
    if ((ret = rns_resource_request_next(x->r, now)) < 0)
        return ret;
    fret = flush(x->r, l, now);
    return fret ? fret : ret;
}

void rns_linkres_link_closed(rns_linkres *lr)
{
    if (!lr)
        return;
    while (lr->n_out > 0) {
        struct xfer *x = lr->out[0];
        (void)conclude(lr, x, RNS_RESOURCE_FAILED);
        remove_at(lr->out, &lr->n_out, 0);
        xfer_free(x);
    }
    while (lr->n_in > 0) {
        struct xfer *x = lr->in[0];
        (void)conclude(lr, x, RNS_RESOURCE_FAILED);
        remove_at(lr->in, &lr->n_in, 0);
        xfer_free(x);
    }
}

int rns_linkres_tick(rns_linkres *lr, rns_link *l, double now)
{
    int ret = 0;

    if (!lr || !l)
        return ML_EINVAL;
    if (lr->n_out && lr->out[0]->r) {
        rns_resource *r = lr->out[0]->r;
        if ((ret = rns_resource_tick(r, now)) || (ret = flush(r, l, now)) ||
            (ret = check_out(lr, l, now)))
            return ret;
    }
    for (size_t i = 0; i < lr->n_in; i++) {
        rns_resource *r = lr->in[i]->r;
        if (r && ((ret = rns_resource_tick(r, now)) || (ret = flush(r, l, now))))
            return ret;
    }
    return check_in(lr);
}

double rns_linkres_deadline(const rns_linkres *lr)
{
    double d = DBL_MAX, x;

    if (!lr)
        return d;
    if (lr->n_out && lr->out[0]->r && (x = rns_resource_deadline(lr->out[0]->r)) < d)
        d = x;
    for (size_t i = 0; i < lr->n_in; i++)
        if (lr->in[i]->r && (x = rns_resource_deadline(lr->in[i]->r)) < d)
            d = x;
    return d;
}

unsigned rns_linkres_last_window(const rns_linkres *lr)
{
    return lr ? lr->last_window : 0;
}

const rns_resource *rns_linkres_get(const rns_linkres *lr, uint32_t id)
{
    const struct xfer *x;

    if (!lr)
        return NULL;
    if (!(x = xfer_find(lr->out, lr->n_out, id, NULL)))
        x = xfer_find(lr->in, lr->n_in, id, NULL);
    return x ? x->r : NULL;
}

size_t rns_linkres_outgoing(const rns_linkres *lr)
{
    return lr ? lr->n_out : 0;
}

int rns_linkres_queued(const rns_linkres *lr, uint32_t id)
{
    const struct xfer *x = lr ? xfer_find(lr->out, lr->n_out, id, NULL) : NULL;

    return x && x->r == NULL;
}

size_t rns_linkres_incoming(const rns_linkres *lr)
{
    return lr ? lr->n_in : 0;
}

/* ---- requests and responses that came as resources ------------------------------------ */

int rns_res_event_as_link_event(const rns_res_event *ev, rns_link_event *out)
{
    rns_mp_reader r;
    uint32_t count = 0;
    double ts = 0;
    const uint8_t *a = NULL, *d = NULL;
    size_t alen = 0, dlen = 0;
    uint8_t full[32];

    if (!ev || !out || ev->outgoing || ev->type != RNS_RES_EV_CONCLUDED ||
        ev->status != RNS_RESOURCE_COMPLETE ||
        !(ev->flags & (RNS_RESOURCE_F_REQUEST | RNS_RESOURCE_F_RESPONSE)))
        return 0;
    memset(out, 0, sizeof *out);
    rns_mp_reader_init(&r, ev->data.p, ev->data.len);
    if ((ev->flags & RNS_RESOURCE_F_RESPONSE) && ev->has_metadata) {
        /* a file response: the payload as it is, named by the resource's
         * request id, with its metadata (Link.response_resource_concluded) */
        if (ev->request_id_len < RNS_HASHLEN)
            return ML_EMALFORMED;
        out->type = RNS_LINK_EV_RESPONSE;
        out->context = RNS_CTX_RESPONSE;
        memcpy(out->id, ev->request_id, RNS_HASHLEN);
        out->has_metadata = 1;
        if (ml_buf_append(&out->data, ev->data.p, ev->data.len) ||
            ml_buf_append(&out->metadata, ev->metadata.p, ev->metadata.len)) {
            rns_link_event_clear(out);
            return ML_ENOMEM;
        }
        return 1;
    }
    if (ev->flags & RNS_RESOURCE_F_REQUEST) {
        /* [timestamp, path_hash, data]; the id is the packed request's hash */
        if (rns_mp_get_array(&r, &count) || count != 3 || rns_mp_get_float(&r, &ts) ||
            rns_mp_get_bin(&r, &a, &alen) || alen != RNS_HASHLEN ||
            rns_mp_get_raw(&r, &d, &dlen) || rns_mp_remaining(&r))
            return ML_EMALFORMED;
        ml_sha256(full, ev->data.p, ev->data.len);
        out->type = RNS_LINK_EV_REQUEST;
        out->context = RNS_CTX_REQUEST;
        out->timestamp = ts;
        memcpy(out->path_hash, a, RNS_HASHLEN);
        memcpy(out->id, full, RNS_HASHLEN);
    } else {
        /* [request_id, response] */
        if (rns_mp_get_array(&r, &count) || count != 2 || rns_mp_get_bin(&r, &a, &alen) ||
            alen != RNS_HASHLEN || rns_mp_get_raw(&r, &d, &dlen) || rns_mp_remaining(&r))
            return ML_EMALFORMED;
        out->type = RNS_LINK_EV_RESPONSE;
        out->context = RNS_CTX_RESPONSE;
        memcpy(out->id, a, RNS_HASHLEN);
    }
    return ml_buf_append(&out->data, d, dlen) ? ML_ENOMEM : 1;
}
