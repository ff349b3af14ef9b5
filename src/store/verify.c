// SPDX-License-Identifier: MIT
// `meshlog verify`: re-derive everything the store claims from the events
// themselves, read-only. Every feed must run 1..head with no gap, each id
// must hash its content with prev = the previous id, every signature checked
// at ingest must still verify, signed feeds must open with their key and end
// in a signature, and the incremental view must equal a fresh fold. A store
// that fails is reported, never "repaired".
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/fold.h"
#include "meshlog/json.h"
#include "store_int.h"

typedef struct vctx {
    ml_store *s;
    ml_verify_report *rep;
    void (*cb)(void *, const char *);
    void *ctx;
} vctx;

static void problem(vctx *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(vctx *v, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    v->rep->problems++;
    if (v->cb)
        v->cb(v->ctx, msg);
}

static void warning(vctx *v, const char *msg)
{
    if (v->cb)
        v->cb(v->ctx, msg);
}

static void check_sig(vctx *v, const ml_author_ent *a, const ml_event *ev, int sigok,
                      ml_buf *canon)
{
    if (!ev->has_sig)
        return;
    v->rep->signatures_checked++;
    if (a->has_pub && ml_ed25519_verify(ev->sig, a->pub + 32, canon->p, canon->len) == 0)
        return;
    if (sigok)
        problem(v, "%s seq %lld: signature does not verify", a->author, (long long)ev->seq);
    else
        warning(v, "note: an unverified relayed signature does not verify (content is vouched"
                   " for by a later signature)");
}

static void check_event(vctx *v, ml_author_ent *a, ml_event *ev, const ml_event *prev,
                        int sigok, ml_buf *canon)
{
    ev->has_prev = prev != NULL;
    if (prev)
        ev->prev = prev->id;
    ml_id want;
    ml_buf_reset(canon);
    if (ml_event_canonical(ev, canon)) {
        problem(v, "%s seq %lld: cannot encode", a->author, (long long)ev->seq);
        return;
    }
    uint8_t h[32];
    ml_sha256(h, canon->p, canon->len);
    memcpy(want.b, h, ML_ID_LEN);
    if (!ml_id_equal(&want, &ev->id))
        problem(v, "%s seq %lld: id does not match content (or prev link broken)", a->author,
                (long long)ev->seq);
    if (a->is_signed && ev->seq == 1) {
        uint8_t pub[64];
        char id[33];
        if (mls_feed_open_pubkey(ev, pub, NULL) != 0)
            problem(v, "%s: signed feed does not open with feed.open", a->author);
        else if (ml_author_id_of(id, pub), strcmp(id, a->author) != 0)
            problem(v, "%s: feed.open key does not match the author id", a->author);
    }
    if (a->is_signed)
        check_sig(v, a, ev, sigok, canon);
}

static int verify_feed(vctx *v, ml_author_ent *a, sqlite3_stmt *st, ml_fold *fold)
{
    ml_event prev = {0}, cur = {0};
    ml_buf canon = ML_BUF_INIT;
    int64_t expect = 1;
    int rc = 0, last_signed = 0;
    sqlite3_bind_int64(st, 1, a->aid);
    while (!rc && sqlite3_step(st) == SQLITE_ROW) {
        memset(&cur, 0, sizeof cur);
        if ((rc = mls_row_to_event(st, 0, &cur)) || !(cur.author = strdup(a->author))) {
            rc = rc ? rc : ML_ENOMEM;
            break;
        }
        if (cur.seq != expect)
            problem(v, "%s: gap before seq %lld", a->author, (long long)cur.seq);
        check_event(v, a, &cur, expect > 1 ? &prev : NULL, sqlite3_column_int(st, 7), &canon);
        last_signed = cur.has_sig;
        rc = ml_fold_add(fold, &cur);
        v->rep->events++;
        expect = cur.seq + 1;
        ml_event_clear(&prev);
        prev = cur;
    }
    sqlite3_reset(st);
    if (expect - 1 != a->head_seq)
        problem(v, "%s: head says seq %lld, feed holds %lld", a->author,
                (long long)a->head_seq, (long long)(expect - 1));
    if (a->is_signed && a->head_seq > 0 && !last_signed)
        problem(v, "%s: the newest event carries no signature", a->author);
    ml_event_clear(&prev);
    ml_buf_free(&canon);
    return rc;
}

static int compare_view(vctx *v, ml_fold *fold)
{
    ml_buf a = ML_BUF_INIT, b = ML_BUF_INIT, c = ML_BUF_INIT;
    int rc = ml_store_view(v->s, NULL, &a);
    if (!rc)
        rc = ml_json_canon_text(&b, (const char *)a.p, a.len, NULL, 0);
    if (!rc)
        rc = ml_fold_canonical(fold, &c);
    if (!rc && (b.len != c.len || memcmp(b.p, c.p, b.len) != 0))
        problem(v, "the view differs from a fresh fold of the events");
    ml_buf_free(&a);
    ml_buf_free(&b);
    ml_buf_free(&c);
    return rc;
}

int ml_store_verify(ml_store *s, ml_verify_report *rep, void (*cb)(void *, const char *),
                    void *ctx)
{
    ml_verify_report dummy;
    vctx v = {s, rep ? rep : &dummy, cb, ctx};
    memset(v.rep, 0, sizeof *v.rep);
    sqlite3_stmt *st = NULL;
    ml_fold *fold = NULL;
    int rc = ml_fold_new(&fold);
    if (rc)
        return rc;
    if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db,
                           "SELECT seq, id, wall, counter, kind, payload, sig, sigok FROM events"
                           " WHERE " EV_FEED("k", "?1") " ORDER BY k",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = mls_db_err(s, "verifying");
        goto out;
    }
    for (size_t i = 0; i < s->n_authors && !rc; i++) {
        v.rep->authors++;
        rc = verify_feed(&v, &s->authors[i], st, fold);
    }
    if (!rc)
        rc = compare_view(&v, fold);
out:
    sqlite3_finalize(st);
    sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    ml_fold_free(fold);
    if (rc)
        return rc;
    return v.rep->problems ? ML_ECORRUPT : 0;
}
