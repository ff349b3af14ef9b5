// SPDX-License-Identifier: MIT
// The sync engine (see sync.h): per-peer anti-entropy over thin links.
//
// A session opens with HELLO (an 8-byte digest of the frontier). Equal
// digests: the peers agree and nothing else moves until one of them has new
// events. Different digests: each sends FRONTIER entries (author, seq) for
// what it holds, then pushes what the other lacks as EVENTS messages, built
// lazily when the transport asks for output, so a slow link is never handed
// more than it can carry. Each EVENTS message holds runs of one author's
// events ending at a signed event, at most one MTU. The receiver ingests a
// message in one transaction and answers, after a short delay, with FRONTIER
// entries for what changed (the acknowledgement). A run that cannot be linked
// (an earlier message was lost) is dropped and NACKed so the sender rewinds;
// unacknowledged data is resent after a timeout; a new session starts from
// the frontiers, so a dropped link loses at most the messages in flight.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/sync.h"
#include "meshlog/wire.h"

#define READ_CHUNK 96        /* events read per author when filling a message */
#define HELD_MAX 32          /* runs kept per session while an earlier one is late */

typedef struct pauth {
    char author[33];
    int64_t peer_has;        /* the peer is known to hold 1..peer_has */
    int64_t sent;            /* sent up to here in this session (>= peer_has) */
    int64_t told;            /* we told the peer we hold 1..told */
    int nack;                /* a run arrived after a gap: ask the peer to rewind */
} pauth;

typedef struct head {
    char author[33];
    int64_t seq;
} head;

struct ml_sync_peer {
    ml_sync *s;
    char name[64];
    pauth *a;
    size_t na, cap;
    int hello_due, frontier_due, refuse_due, know_peer, told_once;
    int64_t next_hello, ack_due, last_send;
    int64_t gossip;          /* current HELLO interval: backs off while we agree */
    size_t inflight, rr;
    ml_wire_run held[HELD_MAX];  /* runs that arrived ahead of a gap (reordering) */
    size_t nheld;
    ml_sync_stats st;
    ml_sync_peer *next;
};

struct ml_sync {
    ml_store *store;
    ml_sync_opts o;
    ml_sync_peer *peers;
    head *heads;             /* this node's signed feeds, refreshed per use */
    size_t nheads, capheads;
};

static void plog(ml_sync_peer *p, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void plog(ml_sync_peer *p, int level, const char *fmt, ...)
{
    if (!p->s->o.log)
        return;
    char msg[400];
    int n = snprintf(msg, sizeof msg, "sync %s: ", p->name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    p->s->o.log(p->s->o.log_ctx, level, msg);
}

/* ---- this node's heads ---------------------------------------------------------- */

static int add_head(void *ctx, const ml_author_info *a)
{
    ml_sync *s = ctx;
    if (!a->is_signed || a->head_seq == 0 || strlen(a->author) != 32)
        return 0;
    head *nh = ml_grow(s->heads, &s->capheads, s->nheads, sizeof *nh, 32);
    if (!nh)
        return 1;
    s->heads = nh;
    memcpy(s->heads[s->nheads].author, a->author, 33);
    s->heads[s->nheads++].seq = a->head_seq;
    return 0;
}

static int load_heads(ml_sync *s)
{
    s->nheads = 0;
    return ml_store_authors(s->store, add_head, s);
}

int ml_sync_digest(ml_sync *s, uint8_t out[ML_SYNC_DIGEST_LEN])
{
    ml_sha256_ctx c;
    uint8_t h[32];
    int rc = load_heads(s);
    if (!rc)
        rc = ml_sha256_init(&c);
    for (size_t i = 0; i < s->nheads && !rc; i++) {   /* sorted by author */
        uint8_t rec[24];
        ml_unhex(rec, 16, s->heads[i].author, 32);
        for (int b = 0; b < 8; b++)
            rec[16 + b] = (uint8_t)((uint64_t)s->heads[i].seq >> (56 - 8 * b));
        rc = ml_sha256_update(&c, rec, sizeof rec);
    }
    if (!rc)
        rc = ml_sha256_final(&c, h);
    if (!rc)
        memcpy(out, h, ML_SYNC_DIGEST_LEN);
    return rc;
}

/* ---- engine and sessions ------------------------------------------------------------ */

int ml_sync_new(ml_sync **out, ml_store *store, const ml_sync_opts *opts)
{
    ml_sync *s = calloc(1, sizeof *s);
    if (!s)
        return ML_ENOMEM;
    s->store = store;
    if (opts)
        s->o = *opts;
    if (!s->o.mtu)
        s->o.mtu = ML_SYNC_DEFAULT_MTU;
    if (!s->o.bulk_threshold)
        s->o.bulk_threshold = 512;
    if (!s->o.gossip_ms)
        s->o.gossip_ms = 30000;
    if (!s->o.ack_delay_ms)
        s->o.ack_delay_ms = 200;
    if (!s->o.resend_ms)
        s->o.resend_ms = 20000;
    if (!s->o.window)
        s->o.window = 8;
    *out = s;
    return 0;
}

void ml_sync_free(ml_sync *s)
{
    if (!s)
        return;
    while (s->peers)
        ml_sync_peer_close(s->peers);
    free(s->heads);
    free(s);
}

int ml_sync_peer_open(ml_sync *s, const char *name, int64_t now, ml_sync_peer **out)
{
    ml_sync_peer *p = calloc(1, sizeof *p);
    if (!p)
        return ML_ENOMEM;
    p->s = s;
    snprintf(p->name, sizeof p->name, "%s", name ? name : "peer");
    p->hello_due = 1;
    p->gossip = s->o.gossip_ms;
    p->next_hello = now + p->gossip;
    p->next = s->peers;
    s->peers = p;
    *out = p;
    return 0;
}

void ml_sync_peer_close(ml_sync_peer *p)
{
    if (!p)
        return;
    for (ml_sync_peer **q = &p->s->peers; *q; q = &(*q)->next)
        if (*q == p) {
            *q = p->next;
            break;
        }
    for (size_t i = 0; i < p->nheld; i++)
        ml_events_free(p->held[i].evs, p->held[i].n);
    free(p->a);
    free(p);
}

const ml_sync_stats *ml_sync_peer_stats(const ml_sync_peer *p)
{
    return &p->st;
}

static pauth *pa_get(ml_sync_peer *p, const char *author)
{
    for (size_t i = 0; i < p->na; i++)
        if (strcmp(p->a[i].author, author) == 0)
            return &p->a[i];
    pauth *na = ml_grow(p->a, &p->cap, p->na, sizeof *na, 16);
    if (!na)
        return NULL;
    p->a = na;
    pauth *a = &p->a[p->na++];
    memset(a, 0, sizeof *a);
    snprintf(a->author, sizeof a->author, "%s", author);
    return a;
}

int64_t ml_sync_peer_behind(const ml_sync_peer *p)
{
    ml_sync *s = p->s;
    int64_t behind = 0;
    if (load_heads(s))
        return -1;
    for (size_t i = 0; i < s->nheads; i++) {
        int64_t have = 0;
        for (size_t j = 0; j < p->na; j++)
            if (strcmp(p->a[j].author, s->heads[i].author) == 0)
                have = p->a[j].peer_has;
        if (s->heads[i].seq > have)
            behind += s->heads[i].seq - have;
    }
    return behind;
}

/* Sent but not acknowledged: what a lost last message leaves behind. */
static int unacked(const ml_sync_peer *p)
{
    for (size_t i = 0; i < p->na; i++)
        if (p->a[i].sent > p->a[i].peer_has)
            return 1;
    return 0;
}

int64_t ml_sync_peer_deadline(const ml_sync_peer *p)
{
    int64_t d = p->next_hello;
    if (p->ack_due && p->ack_due < d)
        d = p->ack_due;
    if (unacked(p) && p->last_send + p->s->o.resend_ms < d)
        d = p->last_send + p->s->o.resend_ms;
    return d;
}

static void rewind_all(ml_sync_peer *p)
{
    for (size_t i = 0; i < p->na; i++)
        p->a[i].sent = p->a[i].peer_has;
    p->inflight = 0;
}

int ml_sync_peer_tick(ml_sync_peer *p, int64_t now)
{
    if (now >= p->next_hello) {
        p->hello_due = 1;
        p->next_hello = now + p->gossip;
    }
    if (unacked(p) && now >= p->last_send + p->s->o.resend_ms) {
        plog(p, ML_LOG_INFO, "no acknowledgement for %lld ms: resending",
             (long long)p->s->o.resend_ms);
        rewind_all(p);
    }
    return 0;
}

/* ---- input ------------------------------------------------------------------------------ */

static int on_hello(ml_sync_peer *p, const ml_wire_msg *m, int64_t now)
{
    uint8_t mine[ML_SYNC_DIGEST_LEN];
    int rc = ml_sync_digest(p->s, mine);
    if (rc)
        return rc;
    if (memcmp(mine, m->digest, sizeof mine) != 0) {
        /* something differs: back to the normal pace, starting now */
        p->gossip = p->s->o.gossip_ms;
        if (p->next_hello > now + p->gossip)
            p->next_hello = now + p->gossip;
        p->frontier_due = 1;
        if (!(m->flags & ML_WIRE_F_KNOWS_YOU)) {
            /* our frontier never arrived (lost): tell it all again */
            p->told_once = 0;
            for (size_t i = 0; i < p->na; i++)
                p->a[i].told = 0;
        }
        return 0;
    }
    /* we agree: the peer holds exactly our heads; gossip less and less often
     * while that lasts (a HELLO costs airtime under a duty cycle) */
    if (p->gossip < 16 * p->s->o.gossip_ms)
        p->gossip *= 2;
    p->know_peer = 1;
    for (size_t i = 0; i < p->s->nheads; i++) {
        pauth *a = pa_get(p, p->s->heads[i].author);
        if (!a)
            return ML_ENOMEM;
        int64_t h = p->s->heads[i].seq;
        a->peer_has = a->peer_has > h ? a->peer_has : h;
        a->sent = a->sent > a->peer_has ? a->sent : a->peer_has;
        a->told = h;
    }
    return 0;
}

static int on_frontier(ml_sync_peer *p, const ml_wire_msg *m, int64_t now)
{
    p->know_peer = 1;
    p->inflight = 0;   /* an acknowledgement: the window opens again */
    p->last_send = now;   /* and the resend timer restarts from here */
    for (size_t i = 0; i < m->n_entries; i++) {
        pauth *a = pa_get(p, m->entries[i].author);
        if (!a)
            return ML_ENOMEM;
        int64_t seq = m->entries[i].seq;
        if (m->flags & ML_WIRE_F_NACK) {
            a->peer_has = seq > a->peer_has ? seq : a->peer_has;
            a->sent = seq;   /* the peer lost something after seq: go back */
            plog(p, ML_LOG_INFO, "peer missed events of %.8s after %lld: resending",
                 a->author, (long long)seq);
        } else if (seq > a->peer_has) {
            a->peer_has = seq;
        }
        if (a->sent < a->peer_has)
            a->sent = a->peer_has;
    }
    return 0;
}

static int linkable(ml_sync_peer *p, const ml_wire_run *r, ml_id *prev)
{
    return r->evs[0].seq == 1 ||
           ml_store_id_at(p->s->store, r->evs[0].author, r->evs[0].seq - 1, prev) == 0;
}

/* Move run r's events into evs[*n...], filling prev (the first from the
 * store, the rest from the chain). */
static int link_run(ml_wire_run *r, const ml_id *prev, ml_event *evs, size_t *n)
{
    ml_buf scratch = ML_BUF_INIT;
    int rc = 0;
    for (size_t j = 0; j < r->n && !rc; j++) {
        ml_event *ev = &evs[(*n)++];
        *ev = r->evs[j];                     /* moved: the run no longer owns it */
        memset(&r->evs[j], 0, sizeof r->evs[j]);
        ev->has_prev = ev->seq > 1;
        if (j == 0)
            ev->prev = *prev;
        else
            rc = ml_event_compute_id(ev - 1, &ev->prev, &scratch);
    }
    ml_buf_free(&scratch);
    return rc;
}

static int ingest_linked(ml_sync_peer *p, ml_event *evs, size_t n)
{
    ml_ingest_result res;
    int rc = n ? ml_store_ingest(p->s->store, evs, n, 0, &res, NULL, NULL) : 0;
    if (!rc && n) {
        p->st.events_accepted += res.accepted;
        p->st.events_refused += res.refused;
        if (res.refused)
            plog(p, ML_LOG_WARN, "refused %zu event(s) (see store counters)", res.refused);
    }
    ml_events_free(evs, n);
    return rc;
}

/* Ingest the message's runs that link to what we hold; keep the others (an
 * earlier message is late or lost) until the acknowledgement decides. */
static int take_runs(ml_sync_peer *p, ml_wire_run *runs, size_t nruns)
{
    size_t total = 0, n = 0;
    int rc = 0;
    for (size_t i = 0; i < nruns; i++)
        total += runs[i].n;
    ml_event *evs = calloc(total + 1, sizeof *evs);
    if (!evs)
        return ML_ENOMEM;
    for (size_t i = 0; i < nruns && !rc; i++) {
        ml_id prev = {{0}};
        if (linkable(p, &runs[i], &prev)) {
            size_t mark = n;
            rc = link_run(&runs[i], &prev, evs, &n);
            if (rc == ML_EMALFORMED) {   /* text that cannot be canonical: drop the run */
                for (size_t j = mark; j < n; j++)
                    ml_event_clear(&evs[j]);
                p->st.events_refused += n - mark;
                n = mark;
                rc = 0;
            }
        } else if (p->nheld < HELD_MAX) {
            p->held[p->nheld++] = runs[i];
            runs[i] = (ml_wire_run){NULL, 0};
        } else {
            pauth *a = pa_get(p, runs[i].evs[0].author);
            if (a)
                a->nack = 1;
        }
    }
    return rc ? (ml_events_free(evs, n), rc) : ingest_linked(p, evs, n);
}

/* Held runs that now link (the gap filled) are ingested; repeat until none. */
static int drain_held(ml_sync_peer *p)
{
    int progress = 1, rc = 0;
    while (progress && !rc && p->nheld) {
        ml_wire_run ready[HELD_MAX];
        size_t nr = 0, keep = 0;
        for (size_t i = 0; i < p->nheld; i++) {
            ml_id prev;
            if (linkable(p, &p->held[i], &prev))
                ready[nr++] = p->held[i];
            else
                p->held[keep++] = p->held[i];
        }
        p->nheld = keep;
        progress = nr > 0;
        if (nr)
            rc = take_runs(p, ready, nr);
        for (size_t i = 0; i < nr; i++)
            ml_events_free(ready[i].evs, ready[i].n);
    }
    return rc;
}

/* At acknowledgement time, runs still waiting for a gap are given up and
 * NACKed: the sender rewinds to what we hold. */
static void give_up_held(ml_sync_peer *p)
{
    for (size_t i = 0; i < p->nheld; i++) {
        pauth *a = pa_get(p, p->held[i].evs[0].author);
        if (a)
            a->nack = 1;
        ml_events_free(p->held[i].evs, p->held[i].n);
    }
    p->nheld = 0;
}

static int on_events(ml_sync_peer *p, ml_wire_msg *m, int64_t now)
{
    int rc = take_runs(p, m->runs, m->n_runs);
    if (!rc)
        rc = drain_held(p);
    if (!p->ack_due)
        p->ack_due = now + p->s->o.ack_delay_ms;
    return rc;
}

int ml_sync_peer_input(ml_sync_peer *p, const uint8_t *msg, size_t len, int64_t now)
{
    ml_wire_msg m;
    p->st.msgs_in++;
    p->st.bytes_in += len;
    int rc = ml_wire_decode(&m, msg, len);
    if (rc == ML_EUNSUPPORTED) {
        plog(p, ML_LOG_WARN, "peer speaks sync protocol version %d, we speak %d: refusing",
             m.version, ML_WIRE_VERSION);
        p->refuse_due = 1;
        p->st.msgs_refused++;
        return rc;
    }
    if (rc) {
        plog(p, ML_LOG_WARN, "refused a malformed %zu-byte message", len);
        p->st.msgs_refused++;
        return rc == ML_ENOMEM ? rc : ML_EMALFORMED;
    }
    switch (m.type) {
    case ML_WIRE_HELLO: rc = on_hello(p, &m, now); break;
    case ML_WIRE_FRONTIER: rc = on_frontier(p, &m, now); break;
    case ML_WIRE_EVENTS: rc = on_events(p, &m, now); break;
    case ML_WIRE_VERSION_REFUSED:
        plog(p, ML_LOG_WARN, "peer refused our version %d (it speaks %d)", ML_WIRE_VERSION,
             m.peer_version);
        rc = ML_EUNSUPPORTED;
        break;
    default:
        plog(p, ML_LOG_WARN, "refused a message of unknown type %d", m.type);
        p->st.msgs_refused++;
        rc = ML_EMALFORMED;
    }
    ml_wire_msg_free(&m);
    return rc;
}

/* ---- output ------------------------------------------------------------------------------- */

/* FRONTIER entries for what changed since we last told the peer (or NACKs),
 * as many as fit one message. With force, the message goes even when empty:
 * it still tells the peer we heard it (first contact, acknowledgements). */
static int out_frontier(ml_sync_peer *p, ml_buf *out, int nack, int force)
{
    ml_sync *s = p->s;
    size_t cap = (s->o.mtu - 4) / 20, n = 0;
    ml_wire_entry *e = calloc(cap + 1, sizeof *e);
    int rc = e ? load_heads(s) : ML_ENOMEM;
    for (size_t i = 0; !rc && i < (nack ? p->na : s->nheads) && n < cap; i++) {
        if (nack) {
            if (!p->a[i].nack)
                continue;
            p->a[i].nack = 0;
            memcpy(e[n].author, p->a[i].author, 33);
            int64_t h = 0;
            for (size_t j = 0; j < s->nheads; j++)
                if (strcmp(s->heads[j].author, p->a[i].author) == 0)
                    h = s->heads[j].seq;
            e[n++].seq = h;
            continue;
        }
        pauth *a = pa_get(p, s->heads[i].author);
        if (!a) {
            rc = ML_ENOMEM;
            break;
        }
        if (s->heads[i].seq <= a->told)
            continue;
        memcpy(e[n].author, a->author, 33);
        e[n++].seq = s->heads[i].seq;
        a->told = s->heads[i].seq;
    }
    if (!rc && !nack) {   /* more to tell than one message holds? */
        p->frontier_due = 0;
        for (size_t i = 0; i < s->nheads; i++) {
            pauth *a = pa_get(p, s->heads[i].author);
            if (a && s->heads[i].seq > a->told)
                p->frontier_due = 1;
        }
    }
    if (!rc && (n || force))
        rc = ml_wire_encode_frontier(out, nack ? ML_WIRE_F_NACK : 0, e, n);
    free(e);
    return rc ? rc : (int)(n > 0 || force);
}

static int has_nack(const ml_sync_peer *p)
{
    for (size_t i = 0; i < p->na; i++)
        if (p->a[i].nack)
            return 1;
    return 0;
}

typedef struct msgbuild {
    ml_wire_run runs[64];
    ml_event *owned[64];     /* the feed chunks read, freed after encoding */
    size_t owned_n[64];
    size_t n;
    int oversize;
} msgbuild;

static void mb_free(msgbuild *b)
{
    for (size_t i = 0; i < b->n; i++)
        ml_events_free(b->owned[i], b->owned_n[i]);
    b->n = 0;
}

/* Size of the message if the run under construction ended at evs[k]. */
static int try_size(msgbuild *b, ml_event *evs, size_t k, ml_buf *tmp, size_t *size)
{
    b->runs[b->n] = (ml_wire_run){evs, k + 1};
    int rc = ml_wire_encode_events(tmp, 0, b->runs, b->n + 1);
    *size = tmp->len;
    return rc;
}

/* Add as much of one author's feed as fits, ending at a signed event. */
static int add_author(ml_sync_peer *p, msgbuild *b, pauth *a, ml_buf *tmp, int *added)
{
    ml_event *evs;
    size_t n, sig[READ_CHUNK], ns = 0, size;
    *added = 0;
    int rc = ml_store_read_feed(p->s->store, a->author, a->sent + 1, READ_CHUNK, &evs, &n);
    if (rc || n == 0)
        return rc == ML_ENOTFOUND ? 0 : rc;
    for (size_t i = 0; i < n; i++)
        if (evs[i].has_sig)
            sig[ns++] = i;
    /* binary search: the largest signed cut that fits the MTU */
    size_t lo = 0, hi = ns, best = SIZE_MAX;
    while (!rc && lo < hi) {
        size_t mid = (lo + hi) / 2;
        rc = try_size(b, evs, sig[mid], tmp, &size);
        if (!rc && size <= p->s->o.mtu) {
            best = mid;
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (!rc && best == SIZE_MAX && b->n == 0 && ns > 0) {
        best = 0;                /* nothing fits: one oversize (bulk) message */
        b->oversize = 1;
    }
    /* a relayed signature is checked before we vouch with it; a bad one is
     * dropped and an earlier cut taken */
    while (!rc && best != SIZE_MAX &&
           ml_store_confirm_sig(p->s->store, &evs[sig[best]]) != 0)
        best = best > 0 ? best - 1 : SIZE_MAX;
    if (rc || best == SIZE_MAX) {
        ml_events_free(evs, n);
        return rc;
    }
    b->runs[b->n] = (ml_wire_run){evs, sig[best] + 1};
    b->owned[b->n] = evs;
    b->owned_n[b->n] = n;
    b->n++;
    a->sent = evs[sig[best]].seq;
    p->st.events_sent += sig[best] + 1;
    *added = 1;
    return 0;
}

static int out_events(ml_sync_peer *p, ml_buf *out, int *flags)
{
    ml_sync *s = p->s;
    msgbuild b = {0};
    ml_buf tmp = ML_BUF_INIT;
    int rc = load_heads(s);
    int64_t behind = 0;
    for (size_t k = 0; !rc && k < s->nheads; k++) {
        pauth *a = pa_get(p, s->heads[k].author);
        if (!a)
            rc = ML_ENOMEM;
        else if (s->heads[k].seq > a->sent)
            behind += s->heads[k].seq - a->sent;
    }
    for (size_t k = 0; !rc && k < s->nheads && b.n < 64 && !b.oversize; k++) {
        size_t i = (p->rr + k) % s->nheads;
        pauth *a = pa_get(p, s->heads[i].author);
        int added;
        if (s->heads[i].seq <= a->sent)
            continue;
        rc = add_author(p, &b, a, &tmp, &added);
        if (!rc && !added && b.n > 0)
            break;               /* the message is full */
    }
    if (s->nheads)
        p->rr = (p->rr + 1) % s->nheads;
    if (!rc && b.n) {
        *flags = (b.oversize || behind > (int64_t)s->o.bulk_threshold) ? ML_SYNC_MSG_BULK : 0;
        rc = ml_wire_encode_events(out, *flags ? ML_WIRE_F_BULK : 0, b.runs, b.n);
    }
    int made = !rc && b.n > 0;
    mb_free(&b);
    ml_buf_free(&tmp);
    return rc ? rc : made;
}

static void sent_one(ml_sync_peer *p, const ml_buf *out, int64_t now)
{
    p->st.msgs_out++;
    p->st.bytes_out += out->len;
    p->last_send = now;
}

int ml_sync_peer_output(ml_sync_peer *p, int64_t now, ml_buf *out, int *flags)
{
    int r = 0;
    *flags = 0;
    if (p->refuse_due) {
        p->refuse_due = 0;
        r = ml_wire_encode_refused(out) ? ML_ENOMEM : 1;
    } else if (p->hello_due) {
        uint8_t d[ML_SYNC_DIGEST_LEN];
        p->hello_due = 0;
        r = ml_sync_digest(p->s, d);
        r = r ? r : (ml_wire_encode_hello(out, d, p->know_peer ? ML_WIRE_F_KNOWS_YOU : 0)
                         ? ML_ENOMEM : 1);
    }
    if (!r && p->nheld && p->ack_due && now >= p->ack_due)
        give_up_held(p);
    if (!r && has_nack(p))
        r = out_frontier(p, out, 1, 0);
    if (!r && (p->frontier_due || (p->ack_due && now >= p->ack_due))) {
        /* the first frontier of a session and every acknowledgement go even
         * when nothing changed; later ones only while something did */
        int force = !p->told_once || (p->ack_due && now >= p->ack_due);
        r = out_frontier(p, out, 0, force);
        p->told_once = 1;
        if (force || r == 0)
            p->ack_due = 0;
    }
    if (!r && p->know_peer && p->inflight < p->s->o.window) {
        r = out_events(p, out, flags);
        if (r == 1) {
            p->inflight++;
            p->gossip = p->s->o.gossip_ms;
            if (p->next_hello > now + p->gossip)
                p->next_hello = now + p->gossip;
        }
    }
    if (r == 1)
        sent_one(p, out, now);
    return r;
}
