// SPDX-License-Identifier: MIT
// The background checkpointer: copies committed WAL frames into the store
// file on a second thread, over its own connection, so a long ingest does not
// stop to make the copy (a field machine has two cores or more; the writer
// keeps one busy). Checkpoints are PASSIVE: they never block the writer or
// readers, and SQLite makes them crash-safe, so nothing here touches
// durability: every commit still syncs the WAL before it returns.
//
// The writer's WAL hook wakes the thread once the WAL holds CKPT_BG_BYTES.
// Past CKPT_MAX_BYTES the writer waits for the thread and checkpoints itself,
// which lets the next transaction restart the WAL from its beginning: the
// file stays bounded even when the thread cannot keep up. If the thread
// cannot start, the writer checkpoints itself at that bound, as SQLite's
// own autocheckpoint would.
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define CKPT_BG_BYTES (4 << 20)
#define CKPT_MAX_BYTES (64 << 20)

struct mls_ckpt {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *path;
    int want;        /* the writer committed frames to copy */
    int busy;        /* a checkpoint is running */
    int stop;
};

static void *ckpt_main(void *arg)
{
    mls_ckpt *c = arg;
    sqlite3 *db = NULL;
    /* its own connection, used by this thread alone */
    if (sqlite3_open_v2(c->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        sqlite3_close(db);
        db = NULL;
    }
    if (db)
        sqlite3_exec(db, "PRAGMA cache_size=-512", NULL, NULL, NULL);
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->want && !c->stop)
            pthread_cond_wait(&c->cv, &c->mu);
        if (c->stop)
            break;
        c->want = 0;
        c->busy = 1;
        pthread_mutex_unlock(&c->mu);
        if (db)
            sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&c->mu);
        c->busy = 0;
        pthread_cond_broadcast(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
    sqlite3_close(db);
    return NULL;
}

static int ckpt_start(ml_store *s)
{
    const char *path = sqlite3_db_filename(s->db, "main");
    mls_ckpt *c = calloc(1, sizeof *c);
    if (!c || !path || !*path || !(c->path = strdup(path))) {
        free(c);
        return -1;
    }
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    if (pthread_create(&c->th, NULL, ckpt_main, c) != 0) {
        pthread_cond_destroy(&c->cv);
        pthread_mutex_destroy(&c->mu);
        free(c->path);
        free(c);
        return -1;
    }
    s->ckpt = c;
    return 0;
}

/* The writer waits until the thread is idle (it holds no checkpoint). */
static void ckpt_idle(mls_ckpt *c)
{
    pthread_mutex_lock(&c->mu);
    while (c->busy || c->want)
        pthread_cond_wait(&c->cv, &c->mu);
    pthread_mutex_unlock(&c->mu);
}

static int wal_hook(void *ctx, sqlite3 *db, const char *name, int frames)
{
    ml_store *s = ctx;
    int64_t bytes = (int64_t)frames * s->page_size;
    if (bytes < CKPT_BG_BYTES)
        return SQLITE_OK;
    if (!s->ckpt && !s->ckpt_failed && ckpt_start(s) != 0) {
        s->ckpt_failed = 1;
        mls_log(s, ML_LOG_INFO, "no background checkpointer: the writer checkpoints");
    }
    if (s->ckpt && bytes < CKPT_MAX_BYTES) {
        pthread_mutex_lock(&s->ckpt->mu);
        s->ckpt->want = 1;
        pthread_cond_signal(&s->ckpt->cv);
        pthread_mutex_unlock(&s->ckpt->mu);
        return SQLITE_OK;
    }
    if (bytes >= CKPT_MAX_BYTES) {
        if (s->ckpt)
            ckpt_idle(s->ckpt);
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    }
    return SQLITE_OK;
}

void mls_ckpt_install(ml_store *s)
{
    sqlite3_wal_hook(s->db, wal_hook, s);
}

void mls_ckpt_stop(ml_store *s)
{
    mls_ckpt *c = s->ckpt;
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    c->stop = 1;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->th, NULL);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c->path);
    free(c);
    s->ckpt = NULL;
}
