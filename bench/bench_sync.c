// SPDX-License-Identifier: MIT
// Sync benchmark (issue 4): bytes on the wire, measured, next to the seed's
// JSON messages over the same events.
//  1. W1 (10 authors x 10,000 events, each feed opened by feed.open) synced
//     from one node to an empty one over a perfect link at MTU 431: every
//     byte the sync layer sends in both directions / events delivered; and
//     the seed's messages for the same events ({"t":"frontier",...} both ways,
//     {"t":"events","e":[...]} with 32 events each, json.dumps compact).
//  2. Two nodes that already agree, 100 authors: bytes per gossip round per
//     pair (ours: a HELLO each way; the seed: the whole frontier each way).
//  3. basecamp: `meshlog sim basecamp --json`, time to converge / lower bound.
// Usage: bench_sync [--quick] [--json]
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "meshlog/author.h"
#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/json.h"
#include "meshlog/store.h"
#include "meshlog/sync.h"

#define W1_T0 1764000000000LL

typedef struct figures {
    size_t events;
    uint64_t ours_bytes, ours_msgs, seed_bytes, seed_msgs;
    double secs;
    uint64_t agree_ours, agree_seed;
    double basecamp_ratio, basecamp_ttc, basecamp_lb;
    int have_basecamp;
} figures;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "bench_sync: %s: %s\n", what, ml_strerror(rc));
    exit(1);
}

static ml_store *fresh_store(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.db", dir, name);
    ml_store_opts o = {1, NULL, NULL, -1, NULL, NULL, 0};
    ml_store *s;
    int rc = ml_store_open(&s, path, &o);
    if (rc)
        die("open store", rc);
    return s;
}

/* The W1 payload of event k (0-based) of author index a. */
static void w1_payload(char *out, size_t len, const char *by, int a, int k, int *cur)
{
    if (k % 10 == 0) {
        *cur = k;
        snprintf(out, len, "{\"by\":\"%s\",\"form\":\"site_assessment\",\"record_id\":\"R-%d-%d\"}",
                 by, a, k);
    } else if (k % 50 == 49) {
        snprintf(out, len, "{\"record_id\":\"R-%d-%d\",\"text\":\"note %d\"}", a, *cur, k);
    } else {
        snprintf(out, len, "{\"field\":\"f%d\",\"record_id\":\"R-%d-%d\",\"value\":%d}", k % 7, a,
                 *cur, k);
    }
}

static const char *w1_kind(int k)
{
    return k % 10 == 0 ? "record.create" : k % 50 == 49 ? "note.add" : "field.set";
}

/* One signed W1 feed (feed.open + n events) ingested into s; appended to the
 * seed-bytes tally as the seed would carry the same events. */
static void w1_feed(ml_store *s, int a, int n, ml_buf *seed_events, size_t *seed_count,
                    uint64_t *seed_bytes, uint64_t *seed_msgs)
{
    ml_author au;
    uint8_t priv[64];
    char label[32];
    snprintf(label, sizeof label, "w1-author-%d", a);
    ml_sha256(priv, label, strlen(label));         /* distinct, reproducible keys */
    ml_sha256(priv + 32, priv, 32);
    ml_author_from_private(&au, priv);
    ml_event *evs = calloc((size_t)n + 1, sizeof *evs);
    ml_buf canon = ML_BUF_INIT;
    char pay[256], pub[129];
    int cur = 0;
    for (int k = -1; k < n; k++) {
        ml_event *ev = &evs[k + 1];
        if (k < 0) {
            ml_hex(pub, au.pub, 64);
            snprintf(pay, sizeof pay, "{\"name\":\"author-%d\",\"pubkey\":\"%s\"}", a, pub);
        } else {
            w1_payload(pay, sizeof pay, au.hex, a, k, &cur);
        }
        ev->author = strdup(au.hex);
        ev->kind = strdup(k < 0 ? "feed.open" : w1_kind(k));
        ev->payload = strdup(pay);
        ev->payload_len = strlen(pay);
        ev->seq = k + 2;
        ev->hlc.wall = W1_T0 + k + 1;
        ev->has_prev = k >= 0;
        if (k >= 0)
            ev->prev = evs[k].id;
        ml_buf_reset(&canon);
        ml_event_canonical(ev, &canon);
        ml_event_seal(ev, &canon);
        ml_author_sign(&au, ev->sig, canon.p, canon.len);
        ev->has_sig = 1;
        /* the seed's wire dict, json.dumps(separators=(",", ":")) */
        char id[33], prev[33] = "";
        ml_id_hex(id, &ev->id);
        if (ev->has_prev)
            ml_id_hex(prev, &ev->prev);
        if (*seed_count % 32 == 0) {
            if (*seed_count) {
                *seed_bytes += seed_events->len + 2;   /* "]}" */
                (*seed_msgs)++;
            }
            ml_buf_reset(seed_events);
            ml_buf_puts(seed_events, "{\"t\":\"events\",\"e\":[");
        } else {
            ml_buf_putc(seed_events, ',');
        }
        ml_buf_printf(seed_events, "{\"a\":\"%s\",\"s\":%lld,\"h\":[%lld,%lld],\"k\":\"%s\",\"p\":",
                      ev->author, (long long)ev->seq, (long long)ev->hlc.wall,
                      (long long)ev->hlc.counter, ev->kind);
        ml_buf_append(seed_events, ev->payload, ev->payload_len);
        ml_buf_printf(seed_events, ",\"v\":\"%s\",\"i\":\"%s\"}", prev, id);
        (*seed_count)++;
    }
    ml_ingest_result r;
    int rc = ml_store_ingest(s, evs, (size_t)n + 1, 0, &r, NULL, NULL);
    if (rc || r.accepted != (size_t)n + 1)
        die("ingest W1", rc ? rc : ML_ECORRUPT);
    ml_events_free(evs, (size_t)n + 1);
    ml_buf_free(&canon);
    ml_author_wipe(&au);
}

static int64_t held_total(ml_store *s)
{
    ml_frontier f;
    int64_t n = 0;
    ml_store_frontier(s, &f);
    for (size_t i = 0; i < f.n; i++)
        n += f.v[i].seq;
    ml_frontier_free(&f);
    return n;
}

/* Run two sessions over a perfect link until b holds `want` events (or, with
 * want < 0, until `until`), then until the acknowledgements have gone too. */
static void pump(ml_sync_peer *pa, ml_sync_peer *pb, ml_store *b, int64_t want, int64_t *now,
                 uint64_t *bytes, uint64_t *msgs)
{
    ml_buf m = ML_BUF_INIT;
    int64_t stop = INT64_MAX;
    while (*now <= stop) {
        int moved = 0, flags;
        while (ml_sync_peer_output(pa, *now, &m, &flags) == 1) {
            *bytes += m.len;
            (*msgs)++;
            moved = 1;
            ml_sync_peer_input(pb, m.p, m.len, *now);
        }
        while (ml_sync_peer_output(pb, *now, &m, &flags) == 1) {
            *bytes += m.len;
            (*msgs)++;
            moved = 1;
            ml_sync_peer_input(pa, m.p, m.len, *now);
        }
        if (stop == INT64_MAX && held_total(b) >= want)
            stop = *now + 1000;   /* long enough for the last acknowledgements */
        if (moved)
            continue;
        int64_t d = ml_sync_peer_deadline(pa), e = ml_sync_peer_deadline(pb);
        *now = d < e ? d : e;
        ml_sync_peer_tick(pa, *now);
        ml_sync_peer_tick(pb, *now);
    }
    ml_buf_free(&m);
}

static uint64_t seed_frontier_bytes(ml_store *s)
{
    ml_frontier f;
    ml_store_frontier(s, &f);
    ml_buf b = ML_BUF_INIT;
    ml_buf_puts(&b, "{\"t\":\"frontier\",\"f\":{");
    for (size_t i = 0; i < f.n; i++)
        ml_buf_printf(&b, "%s\"%s\":%lld", i ? "," : "", f.v[i].author, (long long)f.v[i].seq);
    ml_buf_puts(&b, "}}");
    uint64_t n = b.len;
    ml_buf_free(&b);
    ml_frontier_free(&f);
    return n;
}

static void bench_w1_sync(const char *dir, int per_author, figures *fg)
{
    ml_store *a = fresh_store(dir, "w1-a"), *b = fresh_store(dir, "w1-b");
    ml_buf seed_ev = ML_BUF_INIT;
    size_t seed_count = 0;
    fprintf(stderr, "building W1 (10 x %d signed events)...\n", per_author);
    for (int i = 0; i < 10; i++)
        w1_feed(a, i, per_author, &seed_ev, &seed_count, &fg->seed_bytes, &fg->seed_msgs);
    fg->seed_bytes += seed_ev.len + 2;
    fg->seed_msgs++;
    /* the seed: both gossip their frontier, then A answers with events */
    fg->seed_bytes += seed_frontier_bytes(a) + seed_frontier_bytes(b);
    fg->seed_msgs += 2;
    fg->events = seed_count;
    ml_sync *sa, *sb;
    ml_sync_opts o = {ML_SYNC_DEFAULT_MTU, 0, 0, 0, 0, 0, NULL, NULL};
    ml_sync_new(&sa, a, &o);
    ml_sync_new(&sb, b, &o);
    ml_sync_peer *pa, *pb;
    int64_t now = W1_T0;
    ml_sync_peer_open(sa, "a", now, &pa);
    ml_sync_peer_open(sb, "b", now, &pb);
    double t0 = now_s();
    pump(pa, pb, b, (int64_t)fg->events, &now, &fg->ours_bytes, &fg->ours_msgs);
    fg->secs = now_s() - t0;
    ml_frontier f;
    ml_store_frontier(b, &f);
    size_t got = 0;
    for (size_t i = 0; i < f.n; i++)
        got += (size_t)f.v[i].seq;
    ml_frontier_free(&f);
    if (got != fg->events) {
        fprintf(stderr, "bench_sync: only %zu of %zu events arrived\n", got, fg->events);
        exit(1);
    }
    ml_sync_free(sa);
    ml_sync_free(sb);
    ml_store_close(a);
    ml_store_close(b);
    ml_buf_free(&seed_ev);
}

static void bench_agree(const char *dir, figures *fg)
{
    ml_store *a = fresh_store(dir, "agree-a"), *b = fresh_store(dir, "agree-b");
    ml_buf junk = ML_BUF_INIT;
    size_t cnt = 0;
    uint64_t jb = 0, jm = 0;
    for (int i = 0; i < 100; i++) {
        w1_feed(a, 100 + i, 3, &junk, &cnt, &jb, &jm);
    }
    ml_sync *sa, *sb;
    ml_sync_new(&sa, a, NULL);
    ml_sync_new(&sb, b, NULL);
    ml_sync_peer *pa, *pb;
    int64_t now = W1_T0;
    uint64_t bytes = 0, msgs = 0;
    ml_sync_peer_open(sa, "a", now, &pa);
    ml_sync_peer_open(sb, "b", now, &pb);
    pump(pa, pb, b, held_total(a), &now, &bytes, &msgs);   /* converge first */
    /* one gossip round between nodes that agree */
    bytes = 0;
    now += 30000;
    ml_sync_peer_tick(pa, now);
    ml_sync_peer_tick(pb, now);
    ml_buf m = ML_BUF_INIT;
    int flags;
    for (int r = 0; r < 4; r++) {
        while (ml_sync_peer_output(pa, now, &m, &flags) == 1) {
            bytes += m.len;
            ml_sync_peer_input(pb, m.p, m.len, now);
        }
        while (ml_sync_peer_output(pb, now, &m, &flags) == 1) {
            bytes += m.len;
            ml_sync_peer_input(pa, m.p, m.len, now);
        }
    }
    fg->agree_ours = bytes;
    fg->agree_seed = seed_frontier_bytes(a) + seed_frontier_bytes(b);
    ml_buf_free(&m);
    ml_buf_free(&junk);
    ml_sync_free(sa);
    ml_sync_free(sb);
    ml_store_close(a);
    ml_store_close(b);
}

static void bench_basecamp(figures *fg)
{
    const char *bin = getenv("MESHLOG_BIN");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' sim basecamp --json 2>/dev/null", bin ? bin : "meshlog");
    FILE *p = popen(cmd, "r");
    if (!p)
        return;
    json_error_t err;
    json_t *j = json_loadf(p, 0, &err);
    pclose(p);
    if (!j)
        return;
    fg->basecamp_ttc = json_number_value(json_object_get(j, "time_to_converge_s"));
    fg->basecamp_lb = json_number_value(json_object_get(j, "lower_bound_s"));
    if (fg->basecamp_lb > 0 && json_is_true(json_object_get(j, "converged"))) {
        fg->basecamp_ratio = fg->basecamp_ttc / fg->basecamp_lb;
        fg->have_basecamp = 1;
    }
    json_decref(j);
}

int main(int argc, char **argv)
{
    int quick = 0, as_json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            quick = 1;
        else if (strcmp(argv[i], "--json") == 0)
            as_json = 1;
        else {
            fprintf(stderr, "usage: bench_sync [--quick] [--json]\n");
            return 2;
        }
    }
    char dir[] = "/tmp/meshlog-bench-sync-XXXXXX";
    if (!mkdtemp(dir))
        die("temp dir", ML_EIO);
    figures fg = {0};
    bench_w1_sync(dir, quick ? 1000 : 10000, &fg);
    bench_agree(dir, &fg);
    bench_basecamp(&fg);
    char rm[600];
    snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
    if (system(rm) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    double ours = (double)fg.ours_bytes / (double)fg.events;
    double seed = (double)fg.seed_bytes / (double)fg.events;
    if (as_json) {
        printf("{\"events\": %zu, \"sync_bytes\": %llu, \"sync_msgs\": %llu, "
               "\"bytes_per_event\": %.2f, \"seed_bytes_per_event\": %.2f, \"ratio\": %.2f, "
               "\"agree_bytes_per_round\": %llu, \"seed_agree_bytes_per_round\": %llu",
               fg.events, (unsigned long long)fg.ours_bytes, (unsigned long long)fg.ours_msgs,
               ours, seed, seed / ours, (unsigned long long)fg.agree_ours,
               (unsigned long long)fg.agree_seed);
        if (fg.have_basecamp)
            printf(", \"basecamp_time_to_converge_s\": %.1f, \"basecamp_lower_bound_s\": %.1f,"
                   " \"basecamp_ratio\": %.2f", fg.basecamp_ttc, fg.basecamp_lb,
                   fg.basecamp_ratio);
        printf("}\n");
        return 0;
    }
    printf("sync: W1 (10 authors x %d events + feed.open), one node to an empty one, MTU %d\n",
           quick ? 1000 : 10000, ML_SYNC_DEFAULT_MTU);
    printf("  meshlog  %8.2f bytes/event  (%llu bytes in %llu messages, both directions, %.2f s)\n",
           ours, (unsigned long long)fg.ours_bytes, (unsigned long long)fg.ours_msgs, fg.secs);
    printf("  seed     %8.2f bytes/event  (%llu bytes in %llu JSON messages, 32 events each)\n",
           seed, (unsigned long long)fg.seed_bytes, (unsigned long long)fg.seed_msgs);
    printf("  ratio    %8.2fx fewer bytes    (target: <= 32 bytes/event, >= 6x)\n", seed / ours);
    printf("agreeing pair, 100 authors: %llu bytes per gossip round (seed: %llu; target <= 64)\n",
           (unsigned long long)fg.agree_ours, (unsigned long long)fg.agree_seed);
    if (fg.have_basecamp)
        printf("basecamp: converged in %.1f s simulated, lower bound %.1f s: ratio %.2f\n",
               fg.basecamp_ttc, fg.basecamp_lb, fg.basecamp_ratio);
    else
        printf("basecamp: not measured (meshlog sim basecamp --json did not run)\n");
    return 0;
}
