// SPDX-License-Identifier: MIT
// The feed store: one SQLite file (WAL) per node holding every author's feed,
// events held back until their gap fills, fork evidence, blobs, and the view
// maintained incrementally as events arrive.
//
// Feed rules: an author's events are accepted in seq order 1, 2, 3, ... only,
// each linking to its predecessor by `prev`. Early arrivals wait in a pending
// table (kept across restarts); duplicates are ignored; a second, different
// event for a filled slot is refused and kept as fork evidence. Signed feeds
// open with a `feed.open` event carrying the public key; a run of contiguous
// events is accepted when the last signed event of the run verifies, since the
// hash chain makes that one signature vouch for everything before it.
#ifndef MESHLOG_STORE_H
#define MESHLOG_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "meshlog/author.h"
#include "meshlog/buf.h"
#include "meshlog/event.h"
#include "meshlog/hlc.h"

typedef struct ml_store ml_store;

enum { ML_LOG_ERROR = 0, ML_LOG_WARN = 1, ML_LOG_INFO = 2, ML_LOG_DEBUG = 3 };
typedef void (*ml_log_fn)(void *ctx, int level, const char *msg);

typedef struct ml_store_opts {
    int create;              /* create the file and schema if missing */
    ml_clock_fn clock;       /* NULL: system clock */
    void *clock_ctx;
    int64_t max_skew_ms;     /* 0: default (1 hour); <0: no bound */
    ml_log_fn log;           /* NULL: silent */
    void *log_ctx;
    int durable;             /* 1 (default when opts NULL): fsync every commit */
} ml_store_opts;

/* Open (or with opts->create, create) a store. *out is NULL on error.
 * ML_ENOTFOUND if missing and !create, ML_EDB / ML_ECORRUPT otherwise. */
int ml_store_open(ml_store **out, const char *path, const ml_store_opts *opts);
void ml_store_close(ml_store *s);
/* Map the file for reads: cold queries (a command's `view`) get much faster,
 * but mapped pages count as resident memory, so bulk ingesters leave it off. */
int ml_store_map_reads(ml_store *s);
/* The last SQLite or validation message, for people (never NULL). */
const char *ml_store_errmsg(ml_store *s);
ml_hlc *ml_store_hlc(ml_store *s);

/* ---- local author -------------------------------------------------------- */
/* Record the local identity (path of its RNS identity file) and open its feed
 * with seq 1 `feed.open` {"name": name, "pubkey": hex}. ML_EEXIST if the store
 * already has a local author. */
int ml_store_init_local(ml_store *s, const ml_author *a, const char *name,
                        const char *identity_path);
/* Local author id (33 bytes) and identity file path (into path, pathlen).
 * ML_ENOTFOUND when the store has none. */
int ml_store_local(ml_store *s, char author[33], char *path, size_t pathlen);
/* Append a local event (payload = canonical JSON object), signed, synced to
 * disk before returning. out (optional) receives a copy; ml_event_clear it. */
int ml_store_append(ml_store *s, const ml_author *a, const char *kind,
                    const char *payload, size_t payload_len, ml_event *out);

/* ---- ingest ---------------------------------------------------------------- */
enum {
    ML_INGEST_LEGACY = 1,    /* accept unsigned (seed) feeds, marking them unsigned */
};

/* Events per ml_store_ingest call (one transaction) that `meshlog import`
 * uses: bulk loads pay one commit per this many events. */
#define ML_IMPORT_BATCH 50000

enum ml_outcome {
    ML_OUT_ACCEPTED = 0,
    ML_OUT_DUPLICATE,
    ML_OUT_HELD,             /* waiting for an earlier seq */
    ML_OUT_REFUSED,
};

typedef struct ml_ingest_result {
    size_t accepted, duplicates, held, refused;
    size_t skewed;           /* accepted events whose clock was beyond the bound */
} ml_ingest_result;

/* Called once per input event (and per pending event finally accepted) with
 * its outcome and, for HELD/REFUSED, a short reason. */
typedef void (*ml_ingest_cb)(void *ctx, const ml_event *ev, enum ml_outcome out,
                             const char *reason);

/* Ingest a batch in one transaction. Events are checked for id (against
 * ev->claimed when set), chain and signature; their ids are (re)computed.
 * The array is reordered; events stay owned by the caller. */
int ml_store_ingest(ml_store *s, ml_event *evs, size_t n, unsigned flags,
                    ml_ingest_result *res, ml_ingest_cb cb, void *cb_ctx);

/* ---- frontier and delta ---------------------------------------------------- */
typedef struct ml_frontier_entry {
    char *author;
    int64_t seq;
} ml_frontier_entry;

typedef struct ml_frontier {
    ml_frontier_entry *v;    /* sorted by author (byte order) */
    size_t n;
} ml_frontier;

void ml_frontier_free(ml_frontier *f);
/* Highest contiguous seq per author (authors with at least one event). */
int ml_store_frontier(ml_store *s, ml_frontier *out);
/* Events the holder of `remote` lacks, ordered by (author, seq), at most
 * limit (0 = no limit), signed authors only unless include_unsigned.
 * Caller frees with ml_events_free. */
int ml_store_delta(ml_store *s, const ml_frontier *remote, size_t limit,
                   int include_unsigned, ml_event **out, size_t *n);
void ml_events_free(ml_event *evs, size_t n);
/* Up to max events of one author's feed from seq `from` on, with prev filled
 * and sig_verified set for signatures already checked. ML_ENOTFOUND for an
 * unknown author. Caller frees with ml_events_free. */
int ml_store_read_feed(ml_store *s, const char *author, int64_t from, size_t max,
                       ml_event **out, size_t *n);
/* Before forwarding a signature that was stored unverified (relayed mid-run),
 * check it, once: a valid one is marked verified (0); a bad one is dropped
 * from the store and from ev (ML_EBADSIG), so a relay only ever forwards
 * signatures that verify. */
int ml_store_confirm_sig(ml_store *s, ml_event *ev);
/* The id of an author's event at seq. ML_ENOTFOUND if not held. */
int ml_store_id_at(ml_store *s, const char *author, int64_t seq, ml_id *id);

/* ---- reading --------------------------------------------------------------- */
typedef struct ml_log_filter {
    const char *author;      /* NULL: all */
    const char *record_id;   /* NULL: all */
    size_t limit;            /* 0: all */
    int newest_first;        /* total order (wall, counter, author, seq), newest first */
    int feed_order;          /* by (author, seq) instead: what export writes */
} ml_log_filter;
/* Calls cb for each stored event matching; cb returning non-zero stops. */
int ml_store_events(ml_store *s, const ml_log_filter *f,
                    int (*cb)(void *ctx, const ml_event *ev), void *ctx);

/* The whole view (rid NULL) or one record, as json.dumps(indent=2,
 * sort_keys=True) prints it (no trailing newline). ML_ENOTFOUND for an
 * unknown record. */
int ml_store_view(ml_store *s, const char *rid, ml_buf *out);
/* CSV: record_id, form, created_by, then one column per field name. */
int ml_store_export_csv(ml_store *s, ml_buf *out);

typedef struct ml_author_info {
    const char *author;
    const char *name;        /* from feed.open, may be NULL */
    int is_signed;
    int skewed;
    int64_t head_seq;
    int64_t pending;
} ml_author_info;
int ml_store_authors(ml_store *s, int (*cb)(void *ctx, const ml_author_info *a), void *ctx);

/* Refusal counters by reason ("bad_id", "bad_signature", "fork", ...). */
int ml_store_counters(ml_store *s, int (*cb)(void *ctx, const char *reason, int64_t n),
                      void *ctx);

/* ---- blobs ----------------------------------------------------------------- */
/* Store a blob content-addressed by SHA-256 (hex into hash). Idempotent. */
int ml_store_put_blob(ml_store *s, const void *data, size_t len, char hash[65]);
int ml_store_get_blob(ml_store *s, const char *hash, ml_buf *out);

/* ---- verification ---------------------------------------------------------- */
typedef struct ml_verify_report {
    int64_t events, authors, signatures_checked, problems;
} ml_verify_report;
/* Re-check every chain, id and stored signature, that each signed feed's head
 * is signed, and that the view equals a fresh fold of all events. Problems go
 * to cb (may be NULL). Returns 0 when clean, ML_ECORRUPT when not. Never
 * modifies the store. */
int ml_store_verify(ml_store *s, ml_verify_report *rep,
                    void (*cb)(void *ctx, const char *problem), void *ctx);

#endif
