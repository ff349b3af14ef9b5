// SPDX-License-Identifier: MIT
// The Reticulum link state machine (see rns_link.h), for both the initiator
// and the responder. Everything leaves through two FIFOs, packets and events,
// so the same code runs under the daemon's event loop, the simulator and the
// tests. Ephemeral private keys and the derived link key live only in struct
// rns_link and are wiped when the link closes or is freed.
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/rns_destination.h"
#include "meshlog/rns_link.h"
#include "meshlog/rns_msgpack.h"

#define ECPUBSIZE 64            /* X25519 public || Ed25519 public */
#define SIGNALLING_LEN 3
#define LRPROOF_LEN (RNS_SIGLEN + 32)
#define KEYLEN 64
#define KEEPALIVE_MAX RNS_LINK_KEEPALIVE_MAX
#define KEEPALIVE_MIN 5.0
#define KEEPALIVE_RTT_FACTOR (360.0 / 1.75)
#define STALE_FACTOR 2.0
#define KEEPALIVE_TIMEOUT_FACTOR 4.0
#define STALE_GRACE 5.0
#define RESPONDER_LRRTT_GRACE 360.0
#define KEEPALIVE_PING 0xFF
#define KEEPALIVE_PONG 0xFE
#define RNS_LINK_MIN_MTU (RNS_HEADER_MAXSIZE + RNS_TOKEN_OVERHEAD + 16 + 1)
#define TRAFFIC_TIMEOUT_FACTOR ((double)RNS_LINK_TRAFFIC_TIMEOUT_FACTOR)
#define RESPONSE_MAX_GRACE_TIME ((double)RNS_LINK_RESPONSE_MAX_GRACE_TIME)

struct node {
    struct node *next;
    ml_buf pkt;
    rns_link_event ev;
};

struct queue {
    struct node *head, *tail;
};

struct rns_link {
    int initiator;
    enum rns_link_state state;
    uint8_t link_id[RNS_HASHLEN];
    uint8_t x_priv[32], x_pub[32];   /* our ephemeral X25519 key */
    uint8_t ed_seed[32];             /* initiator: ephemeral signing key */
    rns_identity *signer;            /* responder: the destination identity */
    rns_identity *remote;            /* destination (initiator) / identified peer */
    uint8_t peer_x_pub[32];
    uint8_t peer_sig_pub[32];        /* checks the peer's proofs */
    uint8_t shared[32];              /* X25519 secret, kept (as the reference) until close */
    uint8_t key[KEYLEN];
    int has_key, has_shared, has_pub;
    uint32_t mtu;
    unsigned mode;
    int prove_all;                   /* 0 none, 1 all, 2 ask prove_fn */
    rns_link_prove_fn prove_fn;
    void *prove_ctx;
    int channel_open;                /* CHANNEL packets are taken (and proved) */
    double rtt, keepalive, stale_time;
    double request_time, deadline_establish;
    double last_inbound, last_outbound, last_keepalive, stale_since;
    double last_data;                /* last non-keepalive traffic, either way */
    double ka_sent;                  /* last keepalive actually sent (0: none yet) */
    rns_rng_fn rng;
    rns_link_tap_fn tap;
    void *tap_ctx;
    uint8_t proof_log[RNS_LINK_PROOF_LOG]; /* contexts of the packets proved (ring) */
    size_t n_proved;
    int track_phy, has_phy;
    double rssi, snr, q;
    void *rng_ctx;
    struct queue packets, events;
};

/* ---- queues --------------------------------------------------------------- */

static struct node *q_push(struct queue *q)
{
    struct node *n = calloc(1, sizeof *n);

    if (!n)
        return NULL;
    if (q->tail)
        q->tail->next = n;
    else
        q->head = n;
    q->tail = n;
    return n;
}

static struct node *q_pop(struct queue *q)
{
    struct node *n = q->head;

    if (n) {
        q->head = n->next;
        if (!q->head)
            q->tail = NULL;
    }
    return n;
}

static void q_free(struct queue *q)
{
    struct node *n;

    while ((n = q_pop(q)) != NULL) {
        ml_buf_free(&n->pkt);
        rns_link_event_clear(&n->ev);
        free(n);
    }
}

static rns_link_event *push_event(rns_link *l, enum rns_link_event_type type)
{
    struct node *n = q_push(&l->events);

    if (!n)
        return NULL;
    n->ev.type = type;
    return &n->ev;
}

/* ---- helpers ------------------------------------------------------------- */

size_t rns_link_mdu_for_mtu(uint32_t mtu)
{
    size_t room = mtu > 1 + RNS_HEADER_MINSIZE + RNS_TOKEN_OVERHEAD + 16
                      ? mtu - 1 - RNS_HEADER_MINSIZE - RNS_TOKEN_OVERHEAD : 16;

    return room / 16 * 16 - 1;
}

void rns_link_signalling(uint8_t out[3], uint32_t mtu, unsigned mode)
{
    uint32_t v = (mtu & 0x1FFFFF) | (((mode << 5) & 0xE0u) << 16);

    out[0] = (uint8_t)(v >> 16);
    out[1] = (uint8_t)(v >> 8);
    out[2] = (uint8_t)v;
}

void rns_link_parse_signalling(const uint8_t in[3], uint32_t *mtu, unsigned *mode)
{
    uint32_t v = (uint32_t)in[0] << 16 | (uint32_t)in[1] << 8 | in[2];

    *mtu = v & 0x1FFFFF;
    *mode = (in[0] & 0xE0u) >> 5;
}

int rns_link_id_of_request(uint8_t out[RNS_HASHLEN], const rns_packet *request)
{
    rns_packet p = *request;

    if (p.packet_type != RNS_PACKET_LINKREQUEST || p.data_len < ECPUBSIZE)
        return ML_EMALFORMED;
    /* The signalling bytes may be clamped or stripped in transit; the id
     * must not change with them. */
    p.data_len = ECPUBSIZE;
    return rns_packet_truncated_hash(out, &p);
}

static void set_rtt(rns_link *l, double rtt)
{
    double ka = rtt * KEEPALIVE_RTT_FACTOR;

    l->rtt = rtt;
    l->keepalive = ka < KEEPALIVE_MIN ? KEEPALIVE_MIN : ka > KEEPALIVE_MAX ? KEEPALIVE_MAX : ka;
    l->stale_time = l->keepalive * STALE_FACTOR;
}

static int derive_key(rns_link *l)
{
    int ret = ml_x25519(l->shared, l->x_priv, l->peer_x_pub);

    if (ret == 0)
        ret = ml_hkdf_sha256(l->key, KEYLEN, l->shared, sizeof l->shared, l->link_id,
                             RNS_HASHLEN, NULL, 0);
    l->has_key = l->has_shared = ret == 0;
    if (ret)
        ml_wipe(l->shared, sizeof l->shared);
    return ret;
}

static int link_sign(const rns_link *l, uint8_t sig[RNS_SIGLEN], const void *msg, size_t len)
{
    if (l->initiator)
        return ml_ed25519_sign(sig, l->ed_seed, msg, len);
    return rns_identity_sign(l->signer, sig, msg, len);
}

static rns_link *link_new(rns_rng_fn rng, void *rng_ctx, int prove_all)
{
    rns_link *l = calloc(1, sizeof *l);

    if (!l)
        return NULL;
    l->rng = rng;
    l->rng_ctx = rng_ctx;
    l->prove_all = prove_all ? 1 : 0;
    l->mode = RNS_LINK_MODE_AES256_CBC;
    l->mtu = RNS_LINK_DEFAULT_MTU;
    set_rtt(l, KEEPALIVE_MAX / KEEPALIVE_RTT_FACTOR);
    l->rtt = 0;
    return l;
}

/* Forget every secret: on close and on free. */
static void wipe_secrets(rns_link *l)
{
    ml_wipe(l->x_priv, sizeof l->x_priv);
    ml_wipe(l->x_pub, sizeof l->x_pub);
    ml_wipe(l->ed_seed, sizeof l->ed_seed);
    ml_wipe(l->shared, sizeof l->shared);
    ml_wipe(l->key, sizeof l->key);
    l->has_key = l->has_shared = l->has_pub = 0;
}

void rns_link_free(rns_link *l)
{
    if (!l)
        return;
    q_free(&l->packets);
    q_free(&l->events);
    rns_identity_free(l->signer);
    rns_identity_free(l->remote);
    ml_wipe(l, sizeof *l);
    free(l);
}

/* ---- sending ---------------------------------------------------------------- */

/* Packs p and queues the bytes; nothing is queued on failure. */
static int queue_packet(rns_link *l, const rns_packet *p, double now)
{
    ml_buf b = ML_BUF_INIT;
    struct node *n;
    int ret = rns_packet_pack(&b, p);

    if (ret == 0 && !(n = q_push(&l->packets)))
        ret = ML_ENOMEM;
    if (ret) {
        ml_buf_free(&b);
        return ret;
    }
    n->pkt = b;
    l->last_outbound = now;
    return 0;
}

/* A HEADER_1 packet to the link id. */
static void link_packet(rns_packet *p, const rns_link *l, uint8_t type, uint8_t context,
                        const uint8_t *data, size_t len)
{
    memset(p, 0, sizeof *p);
    p->packet_type = type;
    p->dest_type = RNS_DEST_LINK;
    p->context = context;
    memcpy(p->dest_hash, l->link_id, RNS_HASHLEN);
    p->data = data;
    p->data_len = len;
}

/* Queues one HEADER_1 packet to the link id. */
static int queue_link_packet(rns_link *l, uint8_t type, uint8_t context, const uint8_t *data,
                             size_t len, double now, uint8_t *hash_out)
{
    rns_packet p;
    int ret;

    link_packet(&p, l, type, context, data, len);
    if (hash_out && (ret = rns_packet_hash(hash_out, &p)))
        return ret;
    return queue_packet(l, &p, now);
}

static int plain_context(uint8_t context)
{
    return context == RNS_CTX_KEEPALIVE || context == RNS_CTX_RESOURCE ||
           context == RNS_CTX_CACHE_REQUEST;
}

/* The body of a DATA packet on the link: the plaintext itself for the
 * contexts sent in the clear, else a token under the link key (in tok). */
static int link_body(rns_link *l, uint8_t context, const uint8_t *pt, size_t len, ml_buf *tok,
                     const uint8_t **body, size_t *body_len)
{
    uint8_t iv[16];
    int ret;

    if (plain_context(context)) {
        *body = pt;
        *body_len = len;
        return 0;
    }
    if (!l->has_key)
        return ML_ESTATE;
    if ((ret = l->rng(l->rng_ctx, iv, sizeof iv)) ||
        (ret = ml_token_encrypt(tok, l->key, iv, pt, len)))
        return ret;
    *body = tok->p;
    *body_len = tok->len;
    return 0;
}

static int send_data(rns_link *l, uint8_t context, const uint8_t *pt, size_t len, double now,
                     uint8_t *hash_out)
{
    ml_buf tok = ML_BUF_INIT;
    const uint8_t *body;
    size_t body_len;
    int ret;

    if (l->tap)
        l->tap(l->tap_ctx, l, 1, RNS_PACKET_DATA, context, pt, len);
    if (context != RNS_CTX_KEEPALIVE)
        l->last_data = now;
    if (plain_context(context) ? len + RNS_HEADER_MINSIZE > l->mtu
                               : l->has_key && len > rns_link_mdu(l))
        return ML_ETOOBIG;
    if ((ret = link_body(l, context, pt, len, &tok, &body, &body_len)) == 0)
        ret = queue_link_packet(l, RNS_PACKET_DATA, context, body, body_len, now, hash_out);
    ml_buf_free(&tok);
    return ret;
}

static int usable(const rns_link *l)
{
    return l->state == RNS_LINK_ACTIVE || l->state == RNS_LINK_STALE;
}

int rns_link_send(rns_link *l, uint8_t context, const uint8_t *data, size_t len, double now,
                  uint8_t *packet_hash)
{
    if (!usable(l))
        return ML_ESTATE;
    return send_data(l, context, data, len, now, packet_hash);
}

void rns_link_set_proving(rns_link *l, int mode, rns_link_prove_fn fn, void *ctx)
{
    l->prove_all = mode == 1 || mode == 2 ? mode : 0;
    l->prove_fn = fn;
    l->prove_ctx = ctx;
}

void rns_link_set_channel_open(rns_link *l, int open)
{
    if (l)
        l->channel_open = open != 0;
}

int rns_link_send_resource_proof(rns_link *l, const uint8_t *data, size_t len, double now)
{
    if (!usable(l))
        return ML_ESTATE;
    return queue_link_packet(l, RNS_PACKET_PROOF, RNS_CTX_RESOURCE_PRF, data, len, now, NULL);
}

const uint8_t *rns_link_key(const rns_link *l)
{
    return l->has_key ? l->key : NULL;
}

int rns_link_prove(rns_link *l, const rns_packet *p, double now)
{
    uint8_t proof[RNS_FULL_HASHLEN + RNS_SIGLEN];
    int ret;

    if (!usable(l))
        return ML_ESTATE;
    if ((ret = rns_packet_hash(proof, p)) ||
        (ret = link_sign(l, proof + RNS_FULL_HASHLEN, proof, RNS_FULL_HASHLEN)))
        return ret;
    if (l->tap)
        l->tap(l->tap_ctx, l, 1, RNS_PACKET_PROOF, RNS_CTX_NONE, proof, sizeof proof);
    if ((ret = queue_link_packet(l, RNS_PACKET_PROOF, RNS_CTX_NONE, proof, sizeof proof, now,
                                 NULL)) == 0)
        l->proof_log[l->n_proved++ % RNS_LINK_PROOF_LOG] = p->context;
    return ret;
}

size_t rns_link_proof_log(const rns_link *l, uint8_t *contexts, size_t max, size_t *copied)
{
    size_t kept, n = 0;

    if (!l)
        return 0;
    kept = l->n_proved < RNS_LINK_PROOF_LOG ? l->n_proved : RNS_LINK_PROOF_LOG;
    if (contexts)
        for (size_t i = kept > max ? kept - max : 0; i < kept; i++)
            contexts[n++] = l->proof_log[(l->n_proved - kept + i) % RNS_LINK_PROOF_LOG];
    if (copied)
        *copied = n;
    return l->n_proved;
}

int rns_link_identify(rns_link *l, const rns_identity *id, double now)
{
    uint8_t signd[RNS_HASHLEN + RNS_KEYSIZE], pt[RNS_KEYSIZE + RNS_SIGLEN];
    int ret;

    if (!l->initiator || !usable(l))
        return ML_ESTATE;
    memcpy(signd, l->link_id, RNS_HASHLEN);
    memcpy(signd + RNS_HASHLEN, rns_identity_public_key(id), RNS_KEYSIZE);
    memcpy(pt, rns_identity_public_key(id), RNS_KEYSIZE);
    if ((ret = rns_identity_sign(id, pt + RNS_KEYSIZE, signd, sizeof signd)))
        return ret;
    return send_data(l, RNS_CTX_LINKIDENTIFY, pt, sizeof pt, now, NULL);
}

int rns_link_request(rns_link *l, const char *path, const uint8_t *data, size_t len,
                     double now, uint8_t *request_id)
{
    uint8_t path_hash[RNS_HASHLEN], hash[RNS_FULL_HASHLEN];
    ml_buf pt = ML_BUF_INIT;
    int ret;

    if (!usable(l))
        return ML_ESTATE;
    if (!path || !data || !len)
        return ML_EINVAL;
    rns_truncated_hash(path_hash, path, strlen(path));
    if ((ret = rns_mp_put_array(&pt, 3)) || (ret = rns_mp_put_float(&pt, now)) ||
        (ret = rns_mp_put_bin(&pt, path_hash, sizeof path_hash)) ||
        (ret = ml_buf_append(&pt, data, len)))
        goto out;
    if ((ret = send_data(l, RNS_CTX_REQUEST, pt.p, pt.len, now, hash)))
        goto out;
    if (request_id)
        memcpy(request_id, hash, RNS_HASHLEN);
out:
    ml_buf_free(&pt);
    return ret;
}

int rns_link_respond(rns_link *l, const uint8_t request_id[RNS_HASHLEN],
                     const uint8_t *response, size_t len, double now)
{
    ml_buf pt = ML_BUF_INIT;
    int ret;

    if (!usable(l))
        return ML_ESTATE;
    if (!response || !len)
        return ML_EINVAL;
    if ((ret = rns_mp_put_array(&pt, 2)) == 0 &&
        (ret = rns_mp_put_bin(&pt, request_id, RNS_HASHLEN)) == 0 &&
        (ret = ml_buf_append(&pt, response, len)) == 0)
        ret = send_data(l, RNS_CTX_RESPONSE, pt.p, pt.len, now, NULL);
    ml_buf_free(&pt);
    return ret;
}

/* Ends the link locally with reason; queues the CLOSED event. */
static int closed(rns_link *l, enum rns_link_close_reason reason)
{
    rns_link_event *ev;

    l->state = RNS_LINK_CLOSED;
    wipe_secrets(l);
    if (!(ev = push_event(l, RNS_LINK_EV_CLOSED)))
        return ML_ENOMEM;
    ev->reason = reason;
    return 0;
}

/* Sends LINKCLOSE when there is a key to send it with, then closes. */
static int teardown(rns_link *l, enum rns_link_close_reason reason, double now)
{
    int ret = 0, ret2;

    if (l->has_key)
        ret = send_data(l, RNS_CTX_LINKCLOSE, l->link_id, RNS_HASHLEN, now, NULL);
    ret2 = closed(l, reason);
    return ret ? ret : ret2;
}

int rns_link_close(rns_link *l, double now)
{
    if (l->state == RNS_LINK_CLOSED)
        return ML_ESTATE;
    return teardown(l, l->initiator ? RNS_LINK_CLOSE_INITIATOR_CLOSED
                                    : RNS_LINK_CLOSE_DESTINATION_CLOSED, now);
}

/* ---- establishing ------------------------------------------------------------ */

int rns_link_initiate(rns_link **out, const rns_link_initiate_params *lp, double now)
{
    uint8_t data[ECPUBSIZE + SIGNALLING_LEN];
    size_t n = ECPUBSIZE;
    rns_packet p;
    rns_link *l = NULL;
    int ret = ML_EINVAL;

    *out = NULL;
    if (!lp->dest_hash || !lp->dest_identity || !lp->rng || lp->dest_type != RNS_DEST_SINGLE)
        return ML_EINVAL;
    if (!(l = link_new(lp->rng, lp->rng_ctx, lp->prove_all)))
        return ML_ENOMEM;
    l->initiator = 1;
    l->state = RNS_LINK_PENDING;
    if ((ret = l->rng(l->rng_ctx, l->x_priv, 32)) || (ret = l->rng(l->rng_ctx, l->ed_seed, 32)))
        goto out;
    if ((ret = ml_x25519_public(data, l->x_priv)) ||
        (ret = ml_ed25519_public(data + 32, l->ed_seed)))
        goto out;
    memcpy(l->x_pub, data, 32);
    l->has_pub = 1;
    if ((ret = rns_identity_from_public(&l->remote, rns_identity_public_key(lp->dest_identity))))
        goto out;
    memcpy(l->peer_sig_pub, rns_identity_public_key(l->remote) + 32, 32);
    if (lp->mtu) {
        l->mtu = lp->mtu;
        rns_link_signalling(data + n, lp->mtu, l->mode);
        n += SIGNALLING_LEN;
    }
    memset(&p, 0, sizeof p);
    p.packet_type = RNS_PACKET_LINKREQUEST;
    p.dest_type = RNS_DEST_SINGLE;
    memcpy(p.dest_hash, lp->dest_hash, RNS_HASHLEN);
    p.data = data;
    p.data_len = n;
    if ((ret = rns_link_id_of_request(l->link_id, &p)))
        goto out;
    if (lp->transport_id)
        rns_packet_set_transport(&p, lp->transport_id);
    if ((ret = queue_packet(l, &p, now)))
        goto out;
    l->request_time = l->last_inbound = now;
    l->deadline_establish = now + lp->first_hop_timeout +
                            RNS_LINK_PER_HOP_TIMEOUT * (lp->hops > 1 ? lp->hops : 1);
    *out = l;
    l = NULL;
out:
    rns_link_free(l);
    return ret;
}

/* The responder's LRPROOF: signature | our X25519 public | signalling. */
static int queue_lrproof(rns_link *l, double now)
{
    uint8_t signd[RNS_HASHLEN + 32 + 32 + SIGNALLING_LEN];
    uint8_t data[LRPROOF_LEN + SIGNALLING_LEN], sig_l[SIGNALLING_LEN];
    int ret;

    rns_link_signalling(sig_l, l->mtu, l->mode);
    memcpy(signd, l->link_id, RNS_HASHLEN);
    memcpy(signd + RNS_HASHLEN, l->x_pub, 32);
    memcpy(signd + RNS_HASHLEN + 32, rns_identity_public_key(l->signer) + 32, 32);
    memcpy(signd + RNS_HASHLEN + 64, sig_l, SIGNALLING_LEN);
    if ((ret = link_sign(l, data, signd, sizeof signd)))
        return ret;
    memcpy(data + RNS_SIGLEN, l->x_pub, 32);
    memcpy(data + LRPROOF_LEN, sig_l, SIGNALLING_LEN);
    return queue_link_packet(l, RNS_PACKET_PROOF, RNS_CTX_LRPROOF, data, sizeof data, now, NULL);
}

/* Reads what the request asks for: keys, MTU and mode. */
static int take_request(rns_link *l, const rns_link_accept_params *lp, const rns_packet *req)
{
    uint32_t limit = lp->mtu_limit ? lp->mtu_limit : RNS_LINK_DEFAULT_MTU, mtu = 0;
    unsigned mode = RNS_LINK_MODE_AES256_CBC;

    if (req->packet_type != RNS_PACKET_LINKREQUEST)
        return ML_EINVAL;
    if (req->data_len != ECPUBSIZE && req->data_len != ECPUBSIZE + SIGNALLING_LEN)
        return ML_EMALFORMED;
    memcpy(l->peer_x_pub, req->data, 32);
    memcpy(l->peer_sig_pub, req->data + 32, 32);
    l->mtu = RNS_LINK_DEFAULT_MTU;
    if (req->data_len > ECPUBSIZE) {
        rns_link_parse_signalling(req->data + ECPUBSIZE, &mtu, &mode);
        if (mode != RNS_LINK_MODE_AES256_CBC)
            return ML_EUNSUPPORTED;
        l->mtu = mtu;
    }
    if (l->mtu > limit)
        l->mtu = limit;
    /* Too small an MTU leaves no room for an encrypted payload. */
    if (l->mtu < RNS_LINK_MIN_MTU)
        return ML_EMALFORMED;
    return rns_link_id_of_request(l->link_id, req);
}

int rns_link_accept(rns_link **out, const rns_link_accept_params *lp, const rns_packet *request,
                    double now)
{
    uint8_t priv[RNS_KEYSIZE];
    rns_link *l = NULL;
    int ret = ML_EINVAL;

    *out = NULL;
    if (!lp->identity || !lp->rng || !rns_identity_has_private(lp->identity))
        return ML_EINVAL;
    if (!(l = link_new(lp->rng, lp->rng_ctx, lp->prove_all)))
        return ML_ENOMEM;
    l->state = RNS_LINK_HANDSHAKE;
    if ((ret = take_request(l, lp, request)))
        goto out;
    if ((ret = rns_identity_private_key(lp->identity, priv)) ||
        (ret = rns_identity_from_private(&l->signer, priv)))
        goto out;
    if ((ret = l->rng(l->rng_ctx, l->x_priv, 32)) || (ret = ml_x25519_public(l->x_pub, l->x_priv)))
        goto out;
    l->has_pub = 1;
    if ((ret = derive_key(l)) || (ret = queue_lrproof(l, now)))
        goto out;
    l->request_time = l->last_inbound = now;
    l->deadline_establish = now + RNS_LINK_PER_HOP_TIMEOUT * (lp->hops > 1 ? lp->hops : 1) +
                            RESPONDER_LRRTT_GRACE;
    *out = l;
    l = NULL;
out:
    ml_wipe(priv, sizeof priv);
    rns_link_free(l);
    return ret;
}

static int established(rns_link *l, double now)
{
    l->state = RNS_LINK_ACTIVE;
    l->last_inbound = l->last_keepalive = now;
    return push_event(l, RNS_LINK_EV_ESTABLISHED) ? 0 : ML_ENOMEM;
}

/* Checks the LRPROOF signature over link id | key | destination key | signalling. */
static int check_lrproof(rns_link *l, const rns_packet *p)
{
    uint8_t signd[RNS_HASHLEN + 64 + SIGNALLING_LEN];
    size_t n = RNS_HASHLEN + 64;
    uint32_t mtu = RNS_LINK_DEFAULT_MTU;
    unsigned mode = l->mode;

    if (p->data_len != LRPROOF_LEN && p->data_len != LRPROOF_LEN + SIGNALLING_LEN)
        return ML_EMALFORMED;
    if (p->data_len > LRPROOF_LEN) {
        rns_link_parse_signalling(p->data + LRPROOF_LEN, &mtu, &mode);
        if (mode != l->mode)
            return ML_EUNSUPPORTED;
        if (mtu < RNS_LINK_MIN_MTU)
            return ML_EMALFORMED;
        memcpy(signd + n, p->data + LRPROOF_LEN, SIGNALLING_LEN);
        n += SIGNALLING_LEN;
    }
    memcpy(signd, l->link_id, RNS_HASHLEN);
    memcpy(signd + RNS_HASHLEN, p->data + RNS_SIGLEN, 32);
    memcpy(signd + RNS_HASHLEN + 32, l->peer_sig_pub, 32);
    if (ml_ed25519_verify(p->data, l->peer_sig_pub, signd, n))
        return ML_EBADSIG;
    memcpy(l->peer_x_pub, p->data + RNS_SIGLEN, 32);
    l->mtu = mtu;
    return 0;
}

static int handle_lrproof(rns_link *l, const rns_packet *p, double now)
{
    uint8_t rtt_mp[9];
    ml_buf b = ML_BUF_INIT;
    int ret;

    if (!l->initiator || l->state != RNS_LINK_PENDING)
        return ML_ESTATE;
    /* A proof in another mode ends the attempt, as the reference's
     * validate_proof does; a bad signature only leaves it waiting. */
    if ((ret = check_lrproof(l, p)) == ML_EUNSUPPORTED) {
        int ret2 = closed(l, RNS_LINK_CLOSE_NONE);
        return ret2 ? ret2 : ret;
    }
    if (ret || (ret = derive_key(l)))
        return ret;
    set_rtt(l, now - l->request_time);
    if ((ret = rns_mp_put_float(&b, l->rtt)) == 0 && b.len == sizeof rtt_mp)
        memcpy(rtt_mp, b.p, sizeof rtt_mp);
    ml_buf_free(&b);
    if (ret || (ret = established(l, now)))
        return ret;
    return send_data(l, RNS_CTX_LRRTT, rtt_mp, sizeof rtt_mp, now, NULL);
}

/* ---- receiving ------------------------------------------------------------- */

static int handle_lrrtt(rns_link *l, const ml_buf *pt, double now)
{
    rns_mp_reader r;
    double rtt = 0, measured = now - l->request_time;

    if (l->initiator)
        return ML_ESTATE;
    rns_mp_reader_init(&r, pt->p, pt->len);
    if (rns_mp_get_float(&r, &rtt) || rns_mp_remaining(&r) || !(rtt >= 0))
        return ML_EMALFORMED;
    if (l->state != RNS_LINK_HANDSHAKE)
        return 0; /* a repeated LRRTT changes nothing */
    set_rtt(l, measured > rtt ? measured : rtt);
    return established(l, now);
}

static int handle_identify(rns_link *l, const ml_buf *pt)
{
    uint8_t signd[RNS_HASHLEN + RNS_KEYSIZE];
    rns_identity *id = NULL;
    rns_link_event *ev;
    int ret;

    if (l->initiator)
        return ML_ESTATE;
    if (pt->len != RNS_KEYSIZE + RNS_SIGLEN)
        return ML_EMALFORMED;
    memcpy(signd, l->link_id, RNS_HASHLEN);
    memcpy(signd + RNS_HASHLEN, pt->p, RNS_KEYSIZE);
    if ((ret = rns_identity_from_public(&id, pt->p)))
        return ret;
    if ((ret = rns_identity_verify(id, pt->p + RNS_KEYSIZE, signd, sizeof signd)))
        goto out;
    ret = ML_ENOMEM;
    if (!(ev = push_event(l, RNS_LINK_EV_IDENTIFIED)) ||
        rns_identity_from_public(&ev->identity, pt->p))
        goto out;
    rns_identity_free(l->remote);
    l->remote = id;
    id = NULL;
    ret = 0;
out:
    rns_identity_free(id);
    return ret;
}

/* msgpack [timestamp, path_hash(16), data] -> REQUEST event. */
static int handle_request(rns_link *l, const rns_packet *p, const ml_buf *pt)
{
    uint8_t id[RNS_HASHLEN];
    rns_mp_reader r;
    uint32_t count = 0;
    double ts = 0;
    const uint8_t *ph = NULL, *data = NULL;
    size_t phlen = 0, dlen = 0;
    rns_link_event *ev;
    int ret;

    rns_mp_reader_init(&r, pt->p, pt->len);
    if (rns_mp_get_array(&r, &count) || count != 3 || rns_mp_get_float(&r, &ts) ||
        rns_mp_get_bin(&r, &ph, &phlen) || phlen != RNS_HASHLEN ||
        rns_mp_get_raw(&r, &data, &dlen) || rns_mp_remaining(&r))
        return ML_EMALFORMED;
    if ((ret = rns_packet_truncated_hash(id, p)))
        return ret;
    if (!(ev = push_event(l, RNS_LINK_EV_REQUEST)))
        return ML_ENOMEM;
    ev->context = RNS_CTX_REQUEST;
    ev->timestamp = ts;
    memcpy(ev->path_hash, ph, RNS_HASHLEN);
    memcpy(ev->id, id, RNS_HASHLEN);
    return ml_buf_append(&ev->data, data, dlen);
}

/* msgpack [request_id(16), response] -> RESPONSE event. */
static int handle_response(rns_link *l, const ml_buf *pt)
{
    rns_mp_reader r;
    uint32_t count = 0;
    const uint8_t *id = NULL, *data = NULL;
    size_t idlen = 0, dlen = 0;
    rns_link_event *ev;

    rns_mp_reader_init(&r, pt->p, pt->len);
    if (rns_mp_get_array(&r, &count) || count != 2 || rns_mp_get_bin(&r, &id, &idlen) ||
        idlen != RNS_HASHLEN || rns_mp_get_raw(&r, &data, &dlen) || rns_mp_remaining(&r))
        return ML_EMALFORMED;
    if (!(ev = push_event(l, RNS_LINK_EV_RESPONSE)))
        return ML_ENOMEM;
    ev->context = RNS_CTX_RESPONSE;
    memcpy(ev->id, id, RNS_HASHLEN);
    return ml_buf_append(&ev->data, data, dlen);
}

static int handle_close(rns_link *l, const ml_buf *pt)
{
    if (pt->len != RNS_HASHLEN || ml_ct_memcmp(pt->p, l->link_id, RNS_HASHLEN))
        return ML_EBADID;
    return closed(l, l->initiator ? RNS_LINK_CLOSE_DESTINATION_CLOSED
                                  : RNS_LINK_CLOSE_INITIATOR_CLOSED);
}

static int handle_keepalive(rns_link *l, const rns_packet *p, double now)
{
    static const uint8_t pong = KEEPALIVE_PONG;

    if (p->data_len != 1)
        return ML_EMALFORMED;
    /* As the reference: the responder answers every ping at once. */
    if (!l->initiator && p->data[0] == KEEPALIVE_PING) {
        l->last_keepalive = l->ka_sent = now;
        return send_data(l, RNS_CTX_KEEPALIVE, &pong, 1, now, NULL);
    }
    return 0;
}

/* Application data and every context the link itself does not interpret. */
static int deliver(rns_link *l, const rns_packet *p, ml_buf *pt, double now)
{
    int auto_prove = p->context == RNS_CTX_CHANNEL ||
                     (p->context == RNS_CTX_NONE && l->prove_all == 1) ||
                     (p->context == RNS_CTX_NONE && l->prove_all == 2 && l->prove_fn &&
                      l->prove_fn(l->prove_ctx, l, pt->p, pt->len));
    rns_link_event *ev;
    int ret;

    /* Without a channel the reference drops CHANNEL packets unproved. */
    if (p->context == RNS_CTX_CHANNEL && !l->channel_open)
        return 0;
    ev = push_event(l, p->context == RNS_CTX_NONE ? RNS_LINK_EV_DATA : RNS_LINK_EV_PACKET);
    if (!ev)
        return ML_ENOMEM;
    ev->context = p->context;
    /* PACKET: the packet's hash, for de-duplication (resource requests) */
    if (ev->type == RNS_LINK_EV_PACKET && (ret = rns_packet_hash(ev->id, p)))
        return ret;
    ev->data = *pt;
    memset(pt, 0, sizeof *pt);
    return auto_prove ? rns_link_prove(l, p, now) : 0;
}

/* Dispatch of a decrypted (or plain-context) DATA packet by context. */
static int dispatch_data(rns_link *l, const rns_packet *p, ml_buf *pt, double now)
{
    if (p->context == RNS_CTX_LRRTT)
        return handle_lrrtt(l, pt, now);
    if (!usable(l))
        return ML_ESTATE;
    switch (p->context) {
    case RNS_CTX_KEEPALIVE:
        return handle_keepalive(l, p, now);
    case RNS_CTX_LINKCLOSE:
        return handle_close(l, pt);
    case RNS_CTX_LINKIDENTIFY:
        return handle_identify(l, pt);
    case RNS_CTX_REQUEST:
        return handle_request(l, p, pt);
    case RNS_CTX_RESPONSE:
        return handle_response(l, pt);
    default:
        return deliver(l, p, pt, now);
    }
}

static int handle_data(rns_link *l, const rns_packet *p, double now)
{
    ml_buf pt = ML_BUF_INIT;
    int ret;

    if (plain_context(p->context))
        ret = ml_buf_append(&pt, p->data, p->data_len);
    else if (!l->has_key)
        ret = ML_ESTATE;
    else
        ret = ml_token_decrypt(&pt, l->key, p->data, p->data_len);
    if (ret == 0 && l->tap)
        l->tap(l->tap_ctx, l, 0, RNS_PACKET_DATA, p->context, pt.p, pt.len);
    if (ret == 0)
        ret = dispatch_data(l, p, &pt, now);
    ml_wipe(pt.p, pt.cap);
    ml_buf_free(&pt);
    return ret;
}

static int handle_proof(rns_link *l, const rns_packet *p)
{
    rns_link_event *ev;

    if (!usable(l))
        return ML_ESTATE;
    if (l->tap)
        l->tap(l->tap_ctx, l, 0, RNS_PACKET_PROOF, p->context, p->data, p->data_len);
    if (p->context == RNS_CTX_RESOURCE_PRF) {
        if (!(ev = push_event(l, RNS_LINK_EV_PACKET)))
            return ML_ENOMEM;
        ev->context = p->context;
        return ml_buf_append(&ev->data, p->data, p->data_len);
    }
    if (p->data_len != RNS_FULL_HASHLEN + RNS_SIGLEN)
        return ML_EMALFORMED;
    if (ml_ed25519_verify(p->data + RNS_FULL_HASHLEN, l->peer_sig_pub, p->data,
                          RNS_FULL_HASHLEN))
        return ML_EBADSIG;
    if (!(ev = push_event(l, RNS_LINK_EV_PROOF)))
        return ML_ENOMEM;
    memcpy(ev->id, p->data, RNS_FULL_HASHLEN);
    return 0;
}

int rns_link_receive(rns_link *l, const rns_packet *p, double now)
{
    int ret = ML_EINVAL;

    if (memcmp(p->dest_hash, l->link_id, RNS_HASHLEN))
        return ML_EINVAL;
    if (l->state == RNS_LINK_CLOSED)
        return ML_ESTATE;
    /* The initiator's own ping echoed back (a shared medium) is no sign of
     * life: ignored without touching the watchdog, as the reference does. */
    if (l->initiator && p->packet_type == RNS_PACKET_DATA && p->context == RNS_CTX_KEEPALIVE &&
        p->data_len == 1 && p->data[0] == KEEPALIVE_PING)
        return 0;
    if (p->packet_type == RNS_PACKET_PROOF && p->context == RNS_CTX_LRPROOF)
        ret = handle_lrproof(l, p, now);
    else if (p->packet_type == RNS_PACKET_PROOF)
        ret = handle_proof(l, p);
    else if (p->packet_type == RNS_PACKET_DATA)
        ret = handle_data(l, p, now);
    if (ret == 0 && l->state != RNS_LINK_CLOSED) {
        l->last_inbound = now;
        if (p->context != RNS_CTX_KEEPALIVE)
            l->last_data = now;
        if (l->state == RNS_LINK_STALE)
            l->state = RNS_LINK_ACTIVE;
    }
    return ret;
}

/* ---- timers ------------------------------------------------------------------ */

static double keepalive_due(const rns_link *l)
{
    double base = l->last_inbound > l->last_keepalive ? l->last_inbound : l->last_keepalive;

    return l->initiator ? base + l->keepalive : DBL_MAX;
}

double rns_link_deadline(const rns_link *l)
{
    double stale = l->last_inbound + l->stale_time, ka = keepalive_due(l);

    switch (l->state) {
    case RNS_LINK_PENDING:
    case RNS_LINK_HANDSHAKE:
        return l->deadline_establish;
    case RNS_LINK_ACTIVE:
        return ka < stale ? ka : stale;
    case RNS_LINK_STALE:
        return l->stale_since + l->rtt * KEEPALIVE_TIMEOUT_FACTOR + STALE_GRACE;
    default:
        return DBL_MAX;
    }
}

static int tick_active(rns_link *l, double now)
{
    static const uint8_t ping = KEEPALIVE_PING;

    if (now >= l->last_inbound + l->stale_time) {
        l->state = RNS_LINK_STALE;
        l->stale_since = now;
        return push_event(l, RNS_LINK_EV_STALE) ? 0 : ML_ENOMEM;
    }
    if (now >= keepalive_due(l)) {
        l->last_keepalive = l->ka_sent = now;
        return send_data(l, RNS_CTX_KEEPALIVE, &ping, 1, now, NULL);
    }
    return 0;
}

int rns_link_tick(rns_link *l, double now)
{
    if (now < rns_link_deadline(l))
        return 0;
    switch (l->state) {
    case RNS_LINK_PENDING:
    case RNS_LINK_HANDSHAKE:
        return closed(l, RNS_LINK_CLOSE_TIMEOUT);
    case RNS_LINK_ACTIVE:
        return tick_active(l, now);
    case RNS_LINK_STALE:
        return teardown(l, RNS_LINK_CLOSE_TIMEOUT, now);
    default:
        return 0;
    }
}

/* ---- outputs and accessors ------------------------------------------------------ */

int rns_link_pop_packet(rns_link *l, ml_buf *out)
{
    struct node *n = q_pop(&l->packets);
    int ret;

    if (!n)
        return 0;
    ret = ml_buf_append(out, n->pkt.p, n->pkt.len) ? ML_ENOMEM : 1;
    ml_buf_free(&n->pkt);
    free(n);
    return ret;
}

int rns_link_pop_event(rns_link *l, rns_link_event *ev)
{
    struct node *n = q_pop(&l->events);

    if (!n)
        return 0;
    *ev = n->ev;
    free(n);
    return 1;
}

void rns_link_event_clear(rns_link_event *ev)
{
    if (!ev)
        return;
    ml_wipe(ev->data.p, ev->data.cap);
    ml_buf_free(&ev->data);
    ml_buf_free(&ev->metadata);
    rns_identity_free(ev->identity);
    ev->identity = NULL;
}

enum rns_link_state rns_link_state(const rns_link *l)
{
    return l->state;
}

const uint8_t *rns_link_id(const rns_link *l)
{
    return l->link_id;
}

int rns_link_is_initiator(const rns_link *l)
{
    return l->initiator;
}

uint32_t rns_link_mtu(const rns_link *l)
{
    return l->mtu;
}

size_t rns_link_mdu(const rns_link *l)
{
    return rns_link_mdu_for_mtu(l->mtu);
}

double rns_link_rtt(const rns_link *l)
{
    return l->rtt;
}

void rns_link_set_rtt(rns_link *l, double rtt)
{
    if (l && rtt >= 0)
        l->rtt = rtt;
}

double rns_link_keepalive(const rns_link *l)
{
    return l->keepalive;
}

const rns_identity *rns_link_remote_identity(const rns_link *l)
{
    return l->remote;
}

/* ---- read-outs, overrides and hooks ------------------------------------------------------ */

void rns_link_set_tap(rns_link *l, rns_link_tap_fn fn, void *ctx)
{
    l->tap = fn;
    l->tap_ctx = ctx;
}

void rns_link_get_timers(const rns_link *l, rns_link_timers *out)
{
    memset(out, 0, sizeof *out);
    out->request_time = l->request_time;
    out->establishment_timeout = l->deadline_establish - l->request_time;
    out->last_inbound = l->last_inbound;
    out->last_outbound = l->last_outbound;
    out->last_data = l->last_data;
    out->last_keepalive = l->ka_sent;
    out->keepalive = l->keepalive;
    out->stale_time = l->stale_time;
}

int rns_link_set_watchdog(rns_link *l, double keepalive, double stale_time)
{
    if (!(keepalive >= 0) || !(stale_time >= 0))
        return ML_EINVAL;
    if (keepalive > 0)
        l->keepalive = keepalive;
    if (stale_time > 0)
        l->stale_time = stale_time;
    return 0;
}

void rns_link_key_state(const rns_link *l, rns_link_keys *out)
{
    out->prv = l->has_pub;   /* made and wiped together with the public key */
    out->pub = l->has_pub;
    out->shared = l->has_shared;
    out->derived = l->has_key;
}

int rns_link_ephemeral_keys(const rns_link *l, uint8_t x_pub[32], uint8_t sig_pub[32])
{
    if (!l->has_pub)
        return ML_ESTATE;
    memcpy(x_pub, l->x_pub, 32);
    if (l->initiator)
        return ml_ed25519_public(sig_pub, l->ed_seed);
    memcpy(sig_pub, rns_identity_public_key(l->signer) + 32, 32);
    return 0;
}

unsigned rns_link_mode(const rns_link *l)
{
    return l->mode;
}

int rns_link_mode_enabled(unsigned mode)
{
    return mode == RNS_LINK_MODE_AES256_CBC;
}

int rns_link_pack(rns_link *l, uint8_t context, const uint8_t *data, size_t len, ml_buf *raw)
{
    ml_buf tok = ML_BUF_INIT;
    const uint8_t *body;
    size_t body_len;
    rns_packet p;
    int ret;

    if ((ret = link_body(l, context, data, len, &tok, &body, &body_len)) == 0) {
        link_packet(&p, l, RNS_PACKET_DATA, context, body, body_len);
        ret = rns_packet_pack(raw, &p);
    }
    ml_buf_free(&tok);
    return ret;
}

double rns_link_request_timeout(const rns_link *l)
{
    return l->rtt * TRAFFIC_TIMEOUT_FACTOR + RESPONSE_MAX_GRACE_TIME * 1.125;
}

void rns_link_track_phy_stats(rns_link *l, int on)
{
    l->track_phy = on != 0;
    l->has_phy = 0;
}

void rns_link_set_phy_stats(rns_link *l, double rssi, double snr, double q)
{
    if (!l->track_phy)
        return;
    l->rssi = rssi;
    l->snr = snr;
    l->q = q;
    l->has_phy = 1;
}

int rns_link_phy_stats(const rns_link *l, double *rssi, double *snr, double *q)
{
    if (!l->track_phy || !l->has_phy)
        return ML_ENOTFOUND;
    *rssi = l->rssi;
    *snr = l->snr;
    *q = l->q;
    return 0;
}
