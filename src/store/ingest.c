// SPDX-License-Identifier: MIT
// Ingest of remote or imported events: one transaction per batch.
//
// Per author, the batch's events (plus any held back earlier) are sorted by
// seq and walked from the feed's head: the longest run that links by `prev`
// is found, and for a signed feed the last signed event of that run that
// verifies vouches for every event before it (the chain binds them), so a
// run needs one signature check, not one per event. Events past that point
// are held (kept in `pending`, across restarts) until a gap fills or a later
// signature arrives. A different event for a filled slot is fork evidence.
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/json.h"
#include "store_int.h"

/* The window of seqs beyond the head that may be held: bounds what a peer can
 * make us store for a feed we cannot verify yet. */
#define ML_PENDING_WINDOW (1LL << 20)

typedef struct cand {
    ml_event *ev;
    int from_pending;
    int state;               /* 0 open, 1 accepted, 2 refused, 3 duplicate */
} cand;

typedef struct ingest_ctx {
    ml_store *s;
    unsigned flags;
    ml_ingest_result *res;
    ml_ingest_cb cb;
    void *cb_ctx;
} ingest_ctx;

static void report(ingest_ctx *c, const ml_event *ev, enum ml_outcome o, const char *why)
{
    switch (o) {
    case ML_OUT_ACCEPTED: c->res->accepted++; break;
    case ML_OUT_DUPLICATE: c->res->duplicates++; break;
    case ML_OUT_HELD: c->res->held++; break;
    case ML_OUT_REFUSED: c->res->refused++; break;
    }
    if (c->cb)
        c->cb(c->cb_ctx, ev, o, why);
}

static int bind_event_cols(sqlite3_stmt *st, int64_t aid, const ml_event *ev)
{
    sqlite3_bind_int64(st, 1, aid);
    sqlite3_bind_int64(st, 2, ev->seq);
    sqlite3_bind_blob(st, 3, ev->id.b, ML_ID_LEN, SQLITE_STATIC);
    if (ev->has_prev)
        sqlite3_bind_blob(st, 4, ev->prev.b, ML_ID_LEN, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 4);
    sqlite3_bind_int64(st, 5, ev->hlc.wall);
    sqlite3_bind_int64(st, 6, ev->hlc.counter);
    sqlite3_bind_text(st, 7, ev->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, ev->payload, (int)ev->payload_len, SQLITE_STATIC);
    if (ev->has_sig)
        sqlite3_bind_blob(st, 9, ev->sig, ML_SIG_LEN, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 9);
    return 0;
}

/* Refuse an event: count it, and keep it as evidence when it competes for a
 * slot of a known feed (fork, broken chain, bad signature). */
static int refuse(ingest_ctx *c, ml_author_ent *a, const ml_event *ev, const char *reason,
                  int keep)
{
    ml_store *s = c->s;
    int rc = mls_refusal_bump(s, reason);
    if (!rc && keep && a) {
        sqlite3_stmt *st = s->st[ST_FORK_INSERT];
        bind_event_cols(st, a->aid, ev);
        sqlite3_bind_text(st, 10, reason, -1, SQLITE_STATIC);
        rc = mls_step_done(s, st, "keeping fork evidence");
    }
    mls_log(s, ML_LOG_WARN, "refused %s seq %lld: %s", ev->author, (long long)ev->seq, reason);
    report(c, ev, ML_OUT_REFUSED, reason);
    return rc;
}

static int cmp_author_seq(const void *x, const void *y)
{
    const ml_event *a = *(ml_event *const *)x, *b = *(ml_event *const *)y;
    int r = strcmp(a->author, b->author);
    if (r)
        return r;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Is the batch in (author, seq) order already? */
static int batch_sorted(ml_event *evs, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        ml_event *a = &evs[i - 1], *b = &evs[i];
        if (cmp_author_seq(&a, &b) > 0)
            return 0;
    }
    return 1;
}

static int cmp_cand(const void *x, const void *y)
{
    const cand *a = x, *b = y;
    return a->ev->seq < b->ev->seq ? -1 : a->ev->seq > b->ev->seq;
}

/* Is this event a plausible signed-feed event at all? Author ids of signed
 * feeds are RNS identity hashes: 32 lowercase hex. */
static int looks_signed_author(const char *author)
{
    if (strlen(author) != 32)
        return 0;
    for (const char *p = author; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

static int author_for(ingest_ctx *c, ml_event **grp, ml_author_ent **out)
{
    ml_store *s = c->s;
    const char *author = grp[0]->author;
    *out = mls_author_find(s, author);
    if (*out)
        return 0;
    int is_signed = looks_signed_author(author);
    if (is_signed && (c->flags & ML_INGEST_LEGACY)) {
        /* a signed feed imported with --legacy stays signed if it opens like one */
        is_signed = grp[0]->seq != 1 || strcmp(grp[0]->kind, ML_KIND_FEED_OPEN) == 0;
    }
    if (!is_signed && !(c->flags & ML_INGEST_LEGACY))
        return 1;   /* caller refuses the group */
    return mls_author_insert(s, author, is_signed, out);
}

static int load_pending(ml_store *s, ml_author_ent *a, cand **cv, size_t *cn, size_t *ccap,
                        ml_event **owned, size_t *nowned)
{
    sqlite3_stmt *st = s->st[ST_PENDING_BY_AUTHOR];
    int rc = 0;
    sqlite3_bind_int64(st, 1, a->aid);
    while (sqlite3_step(st) == SQLITE_ROW) {
        ml_event *ev = calloc(1, sizeof *ev);
        if (!ev) {
            rc = ML_ENOMEM;
            break;
        }
        owned[(*nowned)++] = ev;   /* caller sized `owned` by a->pending */
        int64_t seq = sqlite3_column_int64(st, 0);
        /* columns: seq id prev wall counter kind payload sig */
        ev->seq = seq;
        memcpy(ev->id.b, sqlite3_column_blob(st, 1), ML_ID_LEN);
        ev->has_prev = sqlite3_column_bytes(st, 2) == ML_ID_LEN;
        if (ev->has_prev)
            memcpy(ev->prev.b, sqlite3_column_blob(st, 2), ML_ID_LEN);
        ev->hlc.wall = sqlite3_column_int64(st, 3);
        ev->hlc.counter = sqlite3_column_int64(st, 4);
        ev->kind = strdup((const char *)sqlite3_column_text(st, 5));
        size_t pl = (size_t)sqlite3_column_bytes(st, 6);
        ev->payload = malloc(pl + 1);
        ev->author = strdup(a->author);
        if (!ev->kind || !ev->payload || !ev->author) {
            rc = ML_ENOMEM;
            break;
        }
        memcpy(ev->payload, sqlite3_column_text(st, 6), pl);
        ev->payload[pl] = 0;
        ev->payload_len = pl;
        ev->has_sig = sqlite3_column_bytes(st, 7) == ML_SIG_LEN;
        if (ev->has_sig)
            memcpy(ev->sig, sqlite3_column_blob(st, 7), ML_SIG_LEN);
        if (*cn == *ccap) {
            size_t cap = *ccap * 2 + 16;
            cand *ncv = realloc(*cv, cap * sizeof *ncv);
            if (!ncv) {
                rc = ML_ENOMEM;
                break;
            }
            *cv = ncv;
            *ccap = cap;
        }
        (*cv)[(*cn)++] = (cand){ev, 1, 0};
        if (*nowned >= (size_t)a->pending)
            break;
    }
    sqlite3_reset(st);
    return rc;
}

static int verify_sig(ml_store *s, const ml_author_ent *a, const ml_event *ev)
{
    ml_buf_reset(&s->scratch2);
    if (ml_event_canonical(ev, &s->scratch2))
        return ML_EMALFORMED;
    return ml_ed25519_verify(ev->sig, a->pub + 32, s->scratch2.p, s->scratch2.len);
}

/* seq 1 of a signed feed must be feed.open carrying the key whose hash is the
 * author id. */
static int check_feed_open(ml_author_ent *a, const ml_event *ev)
{
    uint8_t pub[64];
    char id[33];
    char *name = NULL;
    if (mls_feed_open_pubkey(ev, pub, &name))
        return ML_EMALFORMED;
    ml_author_id_of(id, pub);
    if (strcmp(id, a->author) != 0) {
        free(name);
        return ML_EBADSIG;
    }
    memcpy(a->pub, pub, 64);
    a->has_pub = 1;
    free(a->name);
    a->name = name;
    a->dirty = 1;
    return 0;
}

/* Accept run[0..k) after the checks; update the clock and the author. */
static int accept_run(ingest_ctx *c, ml_author_ent *a, cand **run, size_t k)
{
    ml_store *s = c->s;
    int rc = 0;
    for (size_t i = 0; i < k && !rc; i++) {
        ml_event *ev = run[i]->ev;
        if ((rc = mls_accept(s, a, ev, i + 1 == k)))
            break;
        run[i]->state = 1;
        if (ml_hlc_update(&s->hlc, ev->hlc)) {
            if (!a->skewed)
                mls_log(s, ML_LOG_WARN, "author %s: clock more than %lld ms ahead", a->author,
                        (long long)s->hlc.max_skew_ms);
            a->skewed = 1;
            c->res->skewed++;
        } else if (ml_event_order(&ev->hlc, "", 0, &a->max, "", 0) > 0) {
            a->max = ev->hlc;
        }
        report(c, ev, ML_OUT_ACCEPTED, NULL);
    }
    return rc;
}

/* Find the next linked run from the head in the sorted candidates; returns
 * its length (pointers into run[]). Candidates for the next slot that do not
 * link are refused as a broken chain. */
static int next_run(ingest_ctx *c, ml_author_ent *a, cand *cv, size_t cn,
                    cand **run, size_t *k)
{
    int64_t want = a->head_seq + 1;
    int has_prev = a->head_seq > 0;
    ml_id prev = a->head_id;
    int rc = 0;
    *k = 0;
    for (size_t i = 0; i < cn && !rc; i++) {
        cand *cd = &cv[i];
        if (cd->state)
            continue;
        if (cd->ev->seq < want)
            continue;
        if (cd->ev->seq > want)
            break;
        if (cd->ev->has_prev == has_prev && (!has_prev || ml_id_equal(&cd->ev->prev, &prev))) {
            if (*k > 0 && run[*k - 1]->ev->seq == cd->ev->seq)
                continue;   /* same slot, same link: an identical duplicate */
            run[(*k)++] = cd;
            prev = cd->ev->id;
            has_prev = 1;
            want++;
        } else if (*k == 0) {
            cd->state = 2;
            rc = refuse(c, a, cd->ev, "bad_chain", 1);
        }
    }
    return rc;
}

/* Of a linked run, how many events can be accepted: legacy feeds all; signed
 * feeds up to the last event whose signature verifies. Bad signatures are
 * refused (with every later event of the run, which chain to them). */
static int vouched_prefix(ingest_ctx *c, ml_author_ent *a, cand **run, size_t k, size_t *ok,
                          int *changed)
{
    int rc = 0;
    *ok = 0;
    *changed = 0;
    if (!a->is_signed) {
        *ok = k;
        return 0;
    }
    if (run[0]->ev->seq == 1 && (rc = check_feed_open(a, run[0]->ev)) != 0) {
        for (size_t i = 0; i < k; i++)
            run[i]->state = 2;
        *changed = 1;
        rc = refuse(c, a, run[0]->ev, rc == ML_EBADSIG ? "feed_open_key_mismatch"
                                                           : "bad_feed_open", 1);
        return rc;
    }
    size_t end = k;
    while (end > 0 && !rc) {
        ml_event *ev = run[end - 1]->ev;
        if (ev->has_sig && a->has_pub && verify_sig(c->s, a, ev) == 0) {
            *ok = end;
            break;
        }
        if (ev->has_sig) {   /* forged or damaged: it and its successors go */
            *changed = 1;
            for (size_t i = end - 1; i < k && !rc; i++)
                if (run[i]->state == 0) {
                    run[i]->state = 2;
                    rc = refuse(c, a, run[i]->ev, i == end - 1 ? "bad_signature"
                                                                : "chains_to_refused", 1);
                }
            k = end - 1;
        }
        end--;
    }
    return rc;
}

static int hold(ingest_ctx *c, ml_author_ent *a, cand *cd)
{
    ml_store *s = c->s;
    if (cd->ev->seq > a->head_seq + ML_PENDING_WINDOW)
        return refuse(c, a, cd->ev, "too_far_ahead", 0);
    /* held events are rare, so a signature they carry is checked now when the
     * key is known: a forgery is refused instead of waiting forever */
    if (!cd->from_pending && cd->ev->has_sig && a->is_signed && a->has_pub &&
        verify_sig(c->s, a, cd->ev) != 0) {
        cd->state = 2;
        return refuse(c, a, cd->ev, "bad_signature", 1);
    }
    if (!cd->from_pending) {
        sqlite3_stmt *st = s->st[ST_PENDING_INSERT];
        bind_event_cols(st, a->aid, cd->ev);
        int rc = mls_step_done(s, st, "holding event");
        if (rc)
            return rc;
        if (sqlite3_changes(s->db) > 0)
            a->pending++;
        a->dirty = 1;
    }
    report(c, cd->ev, ML_OUT_HELD,
           a->is_signed && cd->ev->seq == a->head_seq + 1 ? "awaiting a signed successor"
                                                          : "waiting for an earlier event");
    return 0;
}

/* Old slots: same id is a duplicate, a different one is a fork. */
static int check_filled(ingest_ctx *c, ml_author_ent *a, const ml_event *ev)
{
    ml_store *s = c->s;
    sqlite3_stmt *st = s->st[ST_EVENT_ID_AT];
    sqlite3_bind_int64(st, 1, a->aid);
    sqlite3_bind_int64(st, 2, ev->seq);
    int same = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == ML_ID_LEN &&
               memcmp(sqlite3_column_blob(st, 0), ev->id.b, ML_ID_LEN) == 0;
    sqlite3_reset(st);
    if (same) {
        report(c, ev, ML_OUT_DUPLICATE, NULL);
        return 0;
    }
    return refuse(c, a, ev, "fork", 1);
}

static int drain(ingest_ctx *c, ml_author_ent *a, cand *cv, size_t cn)
{
    int rc = 0;
    cand **run = malloc((cn + 1) * sizeof *run);
    if (!run)
        return ML_ENOMEM;
    for (;;) {
        size_t k = 0, ok = 0;
        int changed = 0;
        if ((rc = next_run(c, a, cv, cn, run, &k)) || k == 0)
            break;
        if ((rc = vouched_prefix(c, a, run, k, &ok, &changed)))
            break;
        if (ok == 0) {
            if (changed)
                continue;   /* part of the run was refused: look again from the head */
            break;
        }
        if ((rc = accept_run(c, a, run, ok)))
            break;
    }
    free(run);
    return rc;
}

static int settle(ingest_ctx *c, ml_author_ent *a, cand *cv, size_t cn)
{
    ml_store *s = c->s;
    int rc = 0;
    int had_pending = 0;
    for (size_t i = 0; i < cn && !rc; i++) {
        cand *cd = &cv[i];
        had_pending |= cd->from_pending;
        if (cd->state == 0 && cd->ev->seq <= a->head_seq)
            rc = check_filled(c, a, cd->ev);
        else if (cd->state == 0)
            rc = hold(c, a, cd);
        if (!rc && cd->state == 2 && cd->from_pending) {
            sqlite3_stmt *st = s->st[ST_PENDING_DELETE_ONE];
            sqlite3_bind_int64(st, 1, a->aid);
            sqlite3_bind_int64(st, 2, cd->ev->seq);
            sqlite3_bind_blob(st, 3, cd->ev->id.b, ML_ID_LEN, SQLITE_STATIC);
            rc = mls_step_done(s, st, "dropping refused pending event");
            had_pending = 1;
        }
    }
    if (!rc && had_pending) {
        sqlite3_stmt *st = s->st[ST_PENDING_DELETE];
        sqlite3_bind_int64(st, 1, a->aid);
        sqlite3_bind_int64(st, 2, a->head_seq);
        rc = mls_step_done(s, st, "clearing pending");
        if (!rc) {
            sqlite3_stmt *q = NULL;
            if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM pending WHERE aid=?1", -1, &q,
                                   NULL) == SQLITE_OK) {
                sqlite3_bind_int64(q, 1, a->aid);
                if (sqlite3_step(q) == SQLITE_ROW)
                    a->pending = sqlite3_column_int64(q, 0);
            }
            sqlite3_finalize(q);
            a->dirty = 1;
        }
    }
    return rc;
}

static int ingest_author(ingest_ctx *c, ml_event **grp, size_t n)
{
    ml_store *s = c->s;
    ml_author_ent *a = NULL;
    int rc = author_for(c, grp, &a);
    if (rc == 1) {
        rc = 0;
        for (size_t i = 0; i < n && !rc; i++)
            rc = refuse(c, NULL, grp[i], "unsigned", 0);
        return rc;
    }
    if (rc)
        return rc;
    if (!a->is_signed && !(c->flags & ML_INGEST_LEGACY)) {
        for (size_t i = 0; i < n && !rc; i++)
            rc = refuse(c, a, grp[i], "unsigned", 0);
        return rc;
    }
    size_t ccap = n + 16, cn = 0, nowned = 0;
    cand *cv = malloc(ccap * sizeof *cv);
    ml_event **owned = calloc((size_t)a->pending + 1, sizeof *owned);
    if (!cv || !owned) {
        rc = ML_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (grp[i]->seq <= a->head_seq) {
            if ((rc = check_filled(c, a, grp[i])))
                goto out;
            continue;
        }
        cv[cn++] = (cand){grp[i], 0, 0};
    }
    if (a->pending > 0 && cn > 0 &&
        (rc = load_pending(s, a, &cv, &cn, &ccap, owned, &nowned)))
        goto out;
    int in_order = 1;
    for (size_t i = 1; i < cn && in_order; i++)
        in_order = cv[i - 1].ev->seq <= cv[i].ev->seq;
    if (!in_order)
        qsort(cv, cn, sizeof *cv, cmp_cand);
    if ((rc = drain(c, a, cv, cn)))
        goto out;
    rc = settle(c, a, cv, cn);
out:
    if (nowned) {   /* the fold thread may still read events loaded here */
        int rc2 = mlv_async_sync(s);
        rc = rc ? rc : rc2;
    }
    for (size_t i = 0; i < nowned; i++) {
        ml_event_clear(owned[i]);
        free(owned[i]);
    }
    free(owned);
    free(cv);
    return rc;
}

/* Content checks every event gets before it touches the store; computes
 * the id (canonical bytes and a hash) in scratch. */
static const char *precheck(ml_event *ev, ml_buf *scratch)
{
    if (ev->seq < 1)
        return "bad_seq";
    if (ev->hlc.wall < 0 || ev->hlc.counter < 0)
        return "bad_clock";
    if ((ev->seq == 1) == (ev->has_prev != 0))
        return "bad_chain";
    if (ev->payload_len < 2 || ev->payload[0] != '{')
        return "bad_payload";
    if (ml_event_compute_id(ev, &ev->id, scratch))
        return "bad_text";
    if (ev->has_claimed && !ml_id_equal(&ev->id, &ev->claimed))
        return "bad_id";
    return NULL;
}

/* Prechecks are independent and hashing is a fifth of the writer's work: a
 * large batch is prechecked on another thread, in batch order, while the
 * writer ingests the authors whose events are already checked (batches
 * usually arrive in feed order; one that does not is sorted once all its
 * verdicts are in). A writer that would wait for verdicts checks chunks from
 * the far end of the batch instead (the other core may be busy with the view
 * fold or a checkpoint). Verdicts are reported with their author's group. */
#define PRECHECK_SPLIT 1024
#define PRECHECK_STEP 256   /* events claimed at a time */

typedef struct pre_pipe {
    ml_event *evs;
    size_t n;
    const char **why;
    ml_buf scratch;         /* the thread's */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t next;            /* the thread claims [next, ...) upwards */
    size_t done;            /* verdicts [0, done) are in */
    size_t back;            /* the writer claims [..., back) downwards; [back, n) are in */
} pre_pipe;

static void pre_chunk(pre_pipe *p, size_t from, size_t to, ml_buf *scratch)
{
    for (size_t i = from; i < to; i++)
        p->why[i] = precheck(&p->evs[i], scratch);
}

static void *pre_run(void *arg)
{
    pre_pipe *p = arg;
    pthread_mutex_lock(&p->mu);
    while (p->next < p->back) {
        size_t from = p->next, to = from + PRECHECK_STEP < p->back ? from + PRECHECK_STEP : p->back;
        p->next = to;
        pthread_mutex_unlock(&p->mu);
        pre_chunk(p, from, to, &p->scratch);
        pthread_mutex_lock(&p->mu);
        p->done = to;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Until the verdicts of [i, j) are in: check chunks from the end, or wait. */
static void pre_wait(ml_store *s, pre_pipe *p, size_t i, size_t j)
{
    pthread_mutex_lock(&p->mu);
    while (!(j <= p->done || i >= p->back || p->done >= p->back)) {
        if (p->back > p->next) {
            size_t to = p->back;
            size_t from = to - p->next > PRECHECK_STEP ? to - PRECHECK_STEP : p->next;
            p->back = from;   /* claimed; only this thread moves back */
            pthread_mutex_unlock(&p->mu);
            pre_chunk(p, from, to, &s->scratch);
            pthread_mutex_lock(&p->mu);
        } else {
            pthread_cond_wait(&p->cv, &p->mu);
        }
    }
    pthread_mutex_unlock(&p->mu);
}

/* Report the refused among evs[i..j) and gather the others into out. */
static int take_checked(ingest_ctx *c, pre_pipe *p, size_t i, size_t j, ml_event **out,
                        size_t *m)
{
    int rc = 0;
    pre_wait(c->s, p, i, j);
    for (; i < j && !rc; i++) {
        if (p->why[i])
            rc = refuse(c, NULL, &p->evs[i], p->why[i], 0);
        else
            out[(*m)++] = &p->evs[i];
    }
    return rc;
}

static int ingest_groups(ingest_ctx *c, pre_pipe *p, ml_event **order)
{
    ml_store *s = c->s;
    ml_event *evs = p->evs;
    size_t n = p->n, m = 0;
    int rc = 0;
    if (n >= PRECHECK_SPLIT)
        rc = mlv_async_begin(s);   /* fold the view on a second thread */
    if (!batch_sorted(evs, n)) {
        rc = rc ? rc : take_checked(c, p, 0, n, order, &m);
        qsort(order, m, sizeof *order, cmp_author_seq);
        for (size_t i = 0; i < m && !rc;) {
            size_t j = i + 1;
            while (j < m && strcmp(order[j]->author, order[i]->author) == 0)
                j++;
            rc = ingest_author(c, order + i, j - i);
            i = j;
        }
    } else {
        /* each author's events as soon as their verdicts are in */
        for (size_t i = 0; i < n && !rc;) {
            size_t j = i + 1;
            while (j < n && strcmp(evs[j].author, evs[i].author) == 0)
                j++;
            m = 0;
            rc = take_checked(c, p, i, j, order, &m);
            if (!rc && m)
                rc = ingest_author(c, order, m);
            i = j;
        }
    }
    int rc2 = mlv_async_end(s);
    return rc ? rc : rc2;
}

int ml_store_ingest(ml_store *s, ml_event *evs, size_t n, unsigned flags, ml_ingest_result *res,
                    ml_ingest_cb cb, void *cb_ctx)
{
    ml_ingest_result dummy;
    ingest_ctx c = {s, flags, res ? res : &dummy, cb, cb_ctx};
    memset(c.res, 0, sizeof *c.res);
    ml_event **order = malloc((n + 1) * sizeof *order);
    const char **why = malloc((n + 1) * sizeof *why);
    if (!order || !why) {
        free(order);
        free(why);
        return ML_ENOMEM;
    }
    pre_pipe p = {evs, n, why, ML_BUF_INIT, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
                  0, 0, n};
    pthread_t th;
    int threaded = n >= PRECHECK_SPLIT && pthread_create(&th, NULL, pre_run, &p) == 0;
    if (!threaded) {   /* all on this thread */
        pre_chunk(&p, 0, n, &s->scratch);
        p.next = p.done = n;
    }
    int rc = mls_begin(s);
    if (!rc)
        rc = ingest_groups(&c, &p, order);
    if (threaded)
        pthread_join(th, NULL);   /* after an error too: it reads evs */
    ml_buf_free(&p.scratch);
    pthread_cond_destroy(&p.cv);
    pthread_mutex_destroy(&p.mu);
    free(why);
    free(order);
    if (rc) {
        mls_rollback(s);
        return rc;
    }
    return mls_commit(s);
}
