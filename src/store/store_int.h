// SPDX-License-Identifier: MIT
// Internals shared by the store's source files (store.c, ingest.c, view.c,
// verify.c): the struct behind ml_store, its statement table and author cache.
#ifndef MESHLOG_STORE_INT_H
#define MESHLOG_STORE_INT_H

#include <sqlite3.h>

#include "meshlog/store.h"

/* Events are keyed by rowid k = (aid << 40) + seq. SQL for the rowid of (aid, seq) and the bounds of a feed's range. */
#define EV_KEY(aid, seq) "((" aid ") << 40) + (" seq ")"
#define EV_FEED(k, aid) k " >= ((" aid ") << 40) AND " k " < ((" aid ") + 1) << 40"
/* So rowids stay exact: seq below 2^40, aid below 2^23. */
#define EV_MAX_SEQ (1LL << 40)
#define EV_MAX_AID (1LL << 23)

/* Prepared statements, one per row of the SQL table in store.c. */
enum st_id {
    ST_AUTHOR_INSERT,
    ST_AUTHOR_UPDATE,
    ST_EVENT_INSERT,
    ST_EVENT_ID_AT,
    ST_PENDING_INSERT,
    ST_PENDING_BY_AUTHOR,
    ST_PENDING_DELETE,
    ST_PENDING_DELETE_ONE,
    ST_FORK_INSERT,
    ST_REFUSAL_BUMP,
    ST_REC_GET,
    ST_REC_INSERT,
    ST_REC_UPDATE,
    ST_NOTE_ADD,
    ST_ATT_ADD,
    ST__COUNT
};

/* One author as cached in memory; authoritative copy in table `authors`. */
typedef struct ml_author_ent {
    char *author;
    int64_t aid;
    int is_signed;
    int has_pub;
    uint8_t pub[64];
    char *name;
    int64_t head_seq;
    ml_id head_id;
    int64_t pending;
    ml_stamp max;            /* newest stamp accepted within the skew bound */
    int skewed;
    int dirty;               /* row needs writing at commit */
} ml_author_ent;

typedef struct mls_ckpt mls_ckpt;
typedef struct mlv_async mlv_async;

struct ml_store {
    sqlite3 *db;
    sqlite3_stmt *st[ST__COUNT];
    char errmsg[512];
    ml_hlc hlc;
    ml_log_fn log;
    void *log_ctx;
    ml_author_ent *authors;
    size_t n_authors, cap_authors;
    ml_buf scratch;
    ml_buf scratch2;
    ml_buf vrid, vf1, vf2;   /* view.c's decode buffers */
    struct mlv_batch *vb;    /* view.c: this transaction's view changes, not yet written */
    mlv_async *va;           /* view.c: the fold thread of a large ingest, while it runs */
    int in_tx;
    int page_size;           /* of this store's file, in bytes */
    mls_ckpt *ckpt;          /* ckpt.c: the background checkpointer, once started */
    int ckpt_failed;         /* it could not start: the writer checkpoints */
};

/* store.c */
int mls_err(ml_store *s, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int mls_db_err(ml_store *s, const char *what);
void mls_log(ml_store *s, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int mls_begin(ml_store *s);
int mls_commit(ml_store *s);
void mls_rollback(ml_store *s);
ml_author_ent *mls_author_find(ml_store *s, const char *author);
int mls_author_add(ml_store *s, const char *author, int is_signed, ml_author_ent **out);
/* Adds the author's row and its cache entry. */
int mls_author_insert(ml_store *s, const char *author, int is_signed, ml_author_ent **out);
int mls_step_done(ml_store *s, sqlite3_stmt *st, const char *what);
/* Store an accepted event and apply it to the view. sig_checked: its own
 * signature was verified (local, or the one that vouched for a run); other
 * signatures are kept unverified, for relaying, and flagged so. */
int mls_accept(ml_store *s, ml_author_ent *a, const ml_event *ev, int sig_checked);
int mls_refusal_bump(ml_store *s, const char *reason);
int mls_row_to_event(sqlite3_stmt *st, int col, ml_event *ev);
int mls_feed_open_pubkey(const ml_event *ev, uint8_t pub[64], char **name);

/* ckpt.c: the WAL hook that starts and wakes the background checkpointer
 * (install after the store's pragmas); stop joins the thread (before the
 * connection closes). */
void mls_ckpt_install(ml_store *s);
void mls_ckpt_stop(ml_store *s);

/* view.c: fold one accepted event into the transaction's view batch (author:
 * the cached author id, valid until the transaction ends); mlv_flush writes
 * the batch into the view tables (mls_commit calls it); mlv_discard drops it
 * (rollback); mlv_free at close. */
typedef struct mlv_batch mlv_batch;
int mlv_apply(ml_store *s, const ml_event *ev, const char *author);
int mlv_flush(ml_store *s);
void mlv_discard(ml_store *s);
void mlv_free(ml_store *s);
/* The fold thread of one large ingest (see view.c): begin starts it (or,
 * if it cannot start, mlv_apply folds on the caller's thread as usual);
 * sync waits until everything queued is folded (before freeing events
 * given to mlv_apply); end does that and stops it, before commit or
 * rollback. sync and end return the first error the fold met. */
int mlv_async_begin(ml_store *s);
int mlv_async_sync(ml_store *s);
int mlv_async_end(ml_store *s);
/* Upgrade a schema-1 view (fields as rows) in place; inside a transaction. */
int mlv_upgrade_1(ml_store *s);

#endif
