// SPDX-License-Identifier: MIT
// bench_w1: the core benchmark, workload W1 (10 authors x 10,000 events of
// record.create / field.set / note.add, each author a signed feed opened by
// feed.open), measured against the targets and against the Python seed in the
// same run: verified ingest into a fresh store, durable single appends, view
// time at 100k events (library call and the real `meshlog view`), peak RSS of
// a process ingesting 1M events, and the seed's figures via bench/seed_w1.py.
// Event generation and signing are never timed. Run by scripts/bench.sh
// (`make bench`), never by CTest. `--quick` scales the workloads down 10x
// (batch sizes stay), `--json` prints one JSON object instead of the report.
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "meshlog/author.h"
#include "meshlog/buf.h"
#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/event.h"
#include "meshlog/store.h"

#define W1_T0_MS 1764000000000LL   /* the W1 clock start */
#define W1_PAYLOAD_MAX 256          /* room for any W1 payload, feed.open included */
#define TMPFS_MAGIC_NUMBER 0x01021994L

/* ---- configuration and results --------------------------------------------- */

typedef struct cfg {
    int quick, json, no_seed, keep;
    int ingest_only;         /* --ingest-only: part 1 alone, for profiling */
    size_t authors;          /* W1: 10 */
    size_t per_author;       /* W1 events per author: 10,000 (plus our feed.open) */
    size_t big_authors;      /* the 1M part: 100 authors */
    size_t batches[3];       /* ingest batch sizes tried; the last is import's, the headline */
    size_t big_batch;        /* batch size of the 1M part */
    size_t append_max;       /* at most this many single appends ... */
    double append_secs;      /* ... or this long */
    size_t seed_rss_authors; /* seed RSS at 12 x per_author events */
    const char *argv0;
    char dir[PATH_MAX];      /* our temp dir */
} cfg;

/* Elapsed wall and CPU (this process) seconds. The machine may be shared, so
 * rates are given per wall second (what the targets mean) and per CPU second
 * (what load does not change much). thr: CPU of the calling thread alone; the
 * store checkpoints and hashes on a second thread, so on an otherwise idle
 * machine the wall time follows this one, not the process's CPU. */
typedef struct tspan {
    double wall, cpu, thr;
} tspan;

typedef struct big_result {  /* filled by the 1M child, sent through a pipe */
    int ok;
    size_t events, batch, signed_events;
    tspan ingest;
    long hwm_kb;             /* VmHWM of the child */
    double db_mb;
    char err[200];
} big_result;

typedef struct seed_result {
    int have;
    char why[200];           /* when not have */
    double ingest_one, ingest_many, ingest_one_cpu, ingest_many_cpu;   /* events/s */
    double view_s, view_cpu_s, rss_mb;
    size_t events, rss_events;
    char sha[65];
    char python[32];
} seed_result;

typedef struct results {
    size_t events;                       /* in the W1 store */
    tspan ingest[3];                     /* per batch size in cfg.batches */
    tspan append;                        /* append_n single appends */
    size_t append_n;
    tspan view;                          /* best of 3, each of wall and CPU */
    tspan view_cli;                      /* wall < 0: not measured; cpu from wait4 */
    size_t view_bytes;
    int cli_matches;                     /* -1 unknown */
    char cli_why[200];
    char view_sha[65];
    big_result big;
    long big_maxrss_kb;                  /* ru_maxrss of the child via wait4 */
    seed_result seed;
    double load1;
    int tmpfs;
} results;

/* ---- small helpers --------------------------------------------------------- */

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double now_s(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

static tspan tnow(void)
{
    return (tspan){clock_s(CLOCK_MONOTONIC), clock_s(CLOCK_PROCESS_CPUTIME_ID),
                   clock_s(CLOCK_THREAD_CPUTIME_ID)};
}

static tspan tsince(tspan t0)
{
    tspan t = tnow();
    return (tspan){t.wall - t0.wall, t.cpu - t0.cpu, t.thr - t0.thr};
}

/* Keep the smaller of each (best of several runs); best->wall < 0: none yet. */
static void tbest(tspan *best, tspan t)
{
    if (best->wall < 0 || t.wall < best->wall)
        best->wall = t.wall;
    if (best->cpu < 0 || t.cpu < best->cpu)
        best->cpu = t.cpu;
}

static double rate(size_t n, double secs)
{
    return secs > 0 ? (double)n / secs : 0;
}

/* What is running now, on stderr (the report goes to stdout). */
static void progress(const char *f, ...) __attribute__((format(printf, 1, 2)));
static void progress(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    fputs("bench_w1: ", stderr);
    vfprintf(stderr, f, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* n with thousands separators, into buf. */
static const char *grp(char buf[32], size_t n)
{
    char raw[32];
    int len = snprintf(raw, sizeof raw, "%zu", n), o = 0;
    for (int i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = raw[i];
    }
    buf[o] = 0;
    return buf;
}

/* snprintf into a fixed buffer, truncating silently (messages and paths that
 * were checked to fit where it matters). */
static void fmt(char *out, size_t len, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void fmt(char *out, size_t len, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    vsnprintf(out, len, f, ap);
    va_end(ap);
}

static void store_path(char *out, size_t len, const cfg *c, const char *name)
{
    fmt(out, len, "%s/%s", c->dir, name);
}

static void store_remove(const char *path)
{
    char p[PATH_MAX + 8];
    unlink(path);
    fmt(p, sizeof p, "%s-wal", path);
    unlink(p);
    fmt(p, sizeof p, "%s-shm", path);
    unlink(p);
}

static double file_mb(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (double)st.st_size / (1024.0 * 1024.0) : 0.0;
}

static long vm_hwm_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

static double load_average(void)
{
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1)
            l = -1;
        fclose(f);
    }
    return l;
}

static void sha_hex(char out[65], const void *p, size_t n)
{
    uint8_t h[32];
    ml_sha256(h, p, n);
    ml_hex(out, h, 32);
}

/* dirname of a path, in place. */
static void up(char *path)
{
    char *slash = strrchr(path, '/');
    if (slash && slash != path)
        *slash = 0;
    else if (slash)
        slash[1] = 0;
}

/* ---- the W1 workload --------------------------------------------------------- */

typedef struct w1_author {
    ml_author key;
    size_t index;
    int64_t seq;             /* last seq produced */
    ml_id prev;
    int64_t record_k;        /* k of the current record */
} w1_author;

/* The kind and payload (canonical, keys sorted) of seq `seq` of author w:
 * seq 1 is feed.open, seq k+2 is W1 event k. Returns the kind. */
static const char *w1_payload(w1_author *w, int64_t seq, char pay[W1_PAYLOAD_MAX], size_t *len)
{
    int n;
    const char *kind;
    if (seq == 1) {
        char pub[129];
        ml_hex(pub, w->key.pub, 64);
        n = snprintf(pay, W1_PAYLOAD_MAX, "{\"name\":\"w1-author-%zu\",\"pubkey\":\"%s\"}",
                     w->index, pub);
        kind = ML_KIND_FEED_OPEN;
    } else if ((seq - 2) % 10 == 0) {
        w->record_k = seq - 2;
        n = snprintf(pay, W1_PAYLOAD_MAX,
                     "{\"by\":\"%s\",\"form\":\"site_assessment\",\"record_id\":\"R-%zu-%" PRId64
                     "\"}", w->key.hex, w->index, w->record_k);
        kind = ML_KIND_RECORD_CREATE;
    } else if ((seq - 2) % 50 == 49) {
        n = snprintf(pay, W1_PAYLOAD_MAX,
                     "{\"record_id\":\"R-%zu-%" PRId64 "\",\"text\":\"note %" PRId64 "\"}",
                     w->index, w->record_k, seq - 2);
        kind = ML_KIND_NOTE_ADD;
    } else {
        n = snprintf(pay, W1_PAYLOAD_MAX,
                     "{\"field\":\"f%" PRId64 "\",\"record_id\":\"R-%zu-%" PRId64
                     "\",\"value\":%" PRId64 "}",
                     (seq - 2) % 7, w->index, w->record_k, seq - 2);
        kind = ML_KIND_FIELD_SET;
    }
    *len = (size_t)n;
    return kind;
}

/* The next event of author w into ev (payload text in pay, which must outlive
 * ev). One shared clock ticks 1 ms per event round-robin over the n_authors
 * authors, so no two events share a stamp. sign: a real Ed25519 signature;
 * otherwise a placeholder of the same size (the store checks only the last
 * signature of a run). */
static int w1_next(w1_author *w, size_t n_authors, ml_event *ev, char *pay, int sign,
                   ml_buf *scratch)
{
    int64_t seq = w->seq + 1;
    memset(ev, 0, sizeof *ev);
    ev->author = w->key.hex;
    ev->seq = seq;
    ev->hlc.wall = W1_T0_MS + (seq - 1) * (int64_t)n_authors + (int64_t)w->index;
    ev->kind = (char *)w1_payload(w, seq, pay, &ev->payload_len);
    ev->payload = pay;
    ev->has_prev = seq > 1;
    ev->prev = w->prev;
    int rc = ml_event_seal(ev, scratch);
    if (!rc && sign) {
        ml_buf_reset(scratch);
        rc = ml_event_canonical(ev, scratch);
        if (!rc)
            rc = ml_author_sign(&w->key, ev->sig, scratch->p, scratch->len);
    } else if (!rc) {
        memset(ev->sig, 0xa5, ML_SIG_LEN);
    }
    ev->has_sig = 1;
    w->seq = seq;
    w->prev = ev->id;
    return rc;
}

static int w1_authors(w1_author **out, size_t n)
{
    w1_author *v = calloc(n, sizeof *v);
    int rc = v ? 0 : ML_ENOMEM;
    for (size_t i = 0; i < n && !rc; i++) {
        v[i].index = i;
        rc = ml_author_generate(&v[i].key);
    }
    if (rc)
        free(v);
    *out = rc ? NULL : v;
    return rc;
}

/* A fixed shuffle of 0..n-1 (xorshift, Fisher-Yates): authors arrive in an
 * order that is neither sorted nor the creation order. */
static void shuffle(size_t *v, size_t n)
{
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < n; i++)
        v[i] = i;
    for (size_t i = n; i > 1; i--) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t j = (size_t)(x % i), t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

/* Every W1 event of every author, each one signed, author-major in a shuffled
 * author order. Payloads live in *arena. */
static int w1_build(const cfg *c, w1_author *au, ml_event **evs, char **arena, size_t *n)
{
    size_t per = c->per_author + 1, total = c->authors * per, k = 0;
    size_t *order = malloc(c->authors * sizeof *order);
    ml_buf scratch = ML_BUF_INIT;
    *evs = calloc(total, sizeof **evs);
    *arena = malloc(total * W1_PAYLOAD_MAX);
    int rc = order && *evs && *arena ? 0 : ML_ENOMEM;
    if (!rc)
        shuffle(order, c->authors);
    for (size_t a = 0; a < c->authors && !rc; a++)
        for (size_t s = 0; s < per && !rc; s++, k++)
            rc = w1_next(&au[order[a]], c->authors, &(*evs)[k], *arena + k * W1_PAYLOAD_MAX,
                         1, &scratch);
    *n = k;
    free(order);
    ml_buf_free(&scratch);
    return rc;
}

/* ---- 1. verified ingest -------------------------------------------------------- */

static int store_create(ml_store **s, const char *path)
{
    ml_store_opts o = {1, NULL, NULL, 0, NULL, NULL, 1};   /* durable, as `meshlog` opens */
    store_remove(path);
    int rc = ml_store_open(s, path, &o);
    if (rc)
        fprintf(stderr, "bench_w1: cannot create %s: %s\n", path, ml_strerror(rc));
    return rc;
}

static int ingest_batches(ml_store *s, ml_event *evs, size_t n, size_t batch, tspan *took)
{
    size_t accepted = 0;
    tspan t = tnow();
    for (size_t i = 0; i < n; i += batch) {
        size_t m = n - i < batch ? n - i : batch;
        ml_ingest_result res;
        int rc = ml_store_ingest(s, evs + i, m, 0, &res, NULL, NULL);
        if (rc || res.accepted != m) {
            fprintf(stderr,
                    "bench_w1: ingest of events %zu..%zu: %s, %zu accepted, %zu held, "
                    "%zu refused, %zu duplicate (%s)\n",
                    i, i + m, ml_strerror(rc), res.accepted, res.held, res.refused,
                    res.duplicates, ml_store_errmsg(s));
            return rc ? rc : ML_ESTATE;
        }
        accepted += res.accepted;
    }
    *took = tsince(t);
    return accepted == n ? 0 : ML_ESTATE;
}

/* Ingest all W1 events at each batch size into a fresh store. The time
 * includes closing the store, which checkpoints the WAL into the main file:
 * work an importer pays before it exits. The last store is reopened into
 * *keep for the view. */
static int bench_ingest(const cfg *c, results *r, ml_event *evs, size_t n, ml_store **keep,
                        char *keep_path, size_t keep_len)
{
    int rc = 0;
    *keep = NULL;
    for (int b = 0; b < 3 && !rc; b++) {
        char name[64], path[PATH_MAX];
        ml_store *s = NULL;
        tspan t0, closing;
        fmt(name, sizeof name, "w1-batch%zu.db", c->batches[b]);
        store_path(path, sizeof path, c, name);
        progress("1. ingesting %zu events in batches of %zu", n, c->batches[b]);
        if ((rc = store_create(&s, path)))
            break;
        rc = ingest_batches(s, evs, n, c->batches[b], &r->ingest[b]);
        t0 = tnow();
        ml_store_close(s);
        closing = tsince(t0);
        r->ingest[b].wall += closing.wall;
        r->ingest[b].cpu += closing.cpu;
        r->ingest[b].thr += closing.thr;
        if (b == 2 && !rc) {
            ml_store_opts o = {0, NULL, NULL, 0, NULL, NULL, 1};
            if ((rc = ml_store_open(keep, path, &o)) == 0)
                fmt(keep_path, keep_len, "%s", path);
        } else {
            store_remove(path);
        }
    }
    r->events = n;
    return rc;
}

/* ---- 2. durable single appends ------------------------------------------------------ */

static int bench_append(const cfg *c, results *r)
{
    char path[PATH_MAX], pay[W1_PAYLOAD_MAX];
    ml_store *s = NULL;
    w1_author w = {0};
    int rc;
    store_path(path, sizeof path, c, "append.db");
    progress("2. durable single appends (at most %zu events or %.1f s)", c->append_max,
             c->append_secs);
    if ((rc = ml_author_generate(&w.key)) || (rc = store_create(&s, path)))
        return rc;
    if ((rc = ml_store_init_local(s, &w.key, "bench", "bench.identity"))) {
        fprintf(stderr, "bench_w1: init_local: %s\n", ml_store_errmsg(s));
        goto out;
    }
    w.seq = 1;
    tspan t = tnow(), el = {0, 0, 0};
    size_t n = 0;
    while (!rc && n < c->append_max && el.wall < c->append_secs) {
        size_t len;
        const char *kind = w1_payload(&w, ++w.seq, pay, &len);
        if ((rc = ml_store_append(s, &w.key, kind, pay, len, NULL)))
            fprintf(stderr, "bench_w1: append: %s\n", ml_store_errmsg(s));
        n++;
        el = tsince(t);
    }
    r->append_n = n;
    r->append = el;
out:
    ml_store_close(s);
    store_remove(path);
    ml_author_wipe(&w.key);
    return rc;
}

/* ---- 3. the view ------------------------------------------------------------------- */

static int bench_view(results *r, ml_store *s)
{
    ml_buf out = ML_BUF_INIT;
    int rc = 0;
    r->view = (tspan){-1, -1, -1};
    progress("3. ml_store_view at %zu events (best of 3)", r->events);
    for (int i = 0; i < 3 && !rc; i++) {
        ml_buf_reset(&out);
        tspan t = tnow();
        rc = ml_store_view(s, NULL, &out);
        tbest(&r->view, tsince(t));
    }
    if (rc)
        fprintf(stderr, "bench_w1: view: %s\n", ml_store_errmsg(s));
    r->view_bytes = out.len;
    sha_hex(r->view_sha, out.p, out.len);
    ml_buf_free(&out);
    return rc;
}

/* The meshlog command: $MESHLOG_BIN, else ../meshlog next to our directory. */
static int find_cli(const cfg *c, char *out, size_t len)
{
    const char *env = getenv("MESHLOG_BIN");
    char self[PATH_MAX];
    if (env && *env) {
        fmt(out, len, "%s", env);
        return access(out, X_OK);
    }
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0)
        self[n] = 0;
    else
        fmt(self, sizeof self, "%s", c->argv0);
    up(self);   /* .../build/bench */
    up(self);   /* .../build */
    fmt(out, len, "%s/meshlog", self);
    return access(out, X_OK);
}

/* Run `bin --data db view` with stdout to `to`; its wall time and CPU time
 * (user + system, from wait4) in *took. */
static int run_cli_view(const char *bin, const char *db, const char *to, tspan *took)
{
    double t = now_s();
    pid_t pid = fork();
    if (pid < 0)
        return ML_EIO;
    if (pid == 0) {
        int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || dup2(fd, 1) < 0)
            _exit(126);
        execl(bin, "meshlog", "--data", db, "view", (char *)NULL);
        _exit(127);
    }
    int st = 0;
    struct rusage ru;
    if (wait4(pid, &st, 0, &ru) < 0)
        return ML_EIO;
    took->wall = now_s() - t;
    took->cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : ML_EIO;
}

/* Does the file hold the view (what ml_store_view printed, plus a newline)? */
static int same_view(const char *path, const results *r)
{
    FILE *f = fopen(path, "rb");
    ml_buf b = ML_BUF_INIT;
    char chunk[65536], sha[65];
    size_t n;
    while (f && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (ml_buf_append(&b, chunk, n))
            break;
    if (f)
        fclose(f);
    int same = b.len == r->view_bytes + 1 && b.p[b.len - 1] == '\n';
    if (same) {
        sha_hex(sha, b.p, b.len - 1);
        same = strcmp(sha, r->view_sha) == 0;
    }
    ml_buf_free(&b);
    return same;
}

static void bench_view_cli(const cfg *c, results *r, const char *db)
{
    char bin[PATH_MAX], copy[PATH_MAX];
    r->view_cli = (tspan){-1, -1, -1};
    r->cli_matches = -1;
    if (find_cli(c, bin, sizeof bin) != 0) {
        fmt(r->cli_why, sizeof r->cli_why, "no meshlog command at %s (set MESHLOG_BIN)",
                 bin);
        return;
    }
    progress("3. %s --data FILE view > /dev/null (best of 3)", bin);
    for (int i = 0; i < 3; i++) {
        tspan dt;
        if (run_cli_view(bin, db, "/dev/null", &dt) != 0) {
            fmt(r->cli_why, sizeof r->cli_why, "%s view failed", bin);
            r->view_cli = (tspan){-1, -1, -1};
            return;
        }
        tbest(&r->view_cli, dt);
    }
    store_path(copy, sizeof copy, c, "view.json");
    tspan dt;
    r->cli_matches = run_cli_view(bin, db, copy, &dt) == 0 && same_view(copy, r);
    unlink(copy);
}

/* ---- 4. 1M events in a child process ---------------------------------------------- */

/* Fill one batch from the author-major stream; sign the last event of each
 * author's run in the batch (and count them). Returns events filled. */
static size_t big_fill(const cfg *c, w1_author *au, size_t *cur, ml_event *evs, char *arena,
                       size_t *signed_n, ml_buf *scratch, int *rc)
{
    size_t per = c->per_author + 1, m = 0;
    while (m < c->big_batch && *cur < c->big_authors && !*rc) {
        w1_author *w = &au[*cur];
        int last = (size_t)w->seq + 1 == per || m + 1 == c->big_batch;
        *rc = w1_next(w, c->big_authors, &evs[m], arena + m * W1_PAYLOAD_MAX, last, scratch);
        *signed_n += (size_t)last;
        m++;
        if ((size_t)w->seq == per)
            (*cur)++;
    }
    return m;
}

static int bench_big(const cfg *c, big_result *br)
{
    char path[PATH_MAX];
    ml_store *s = NULL;
    w1_author *au = NULL;
    ml_buf scratch = ML_BUF_INIT;
    ml_event *evs = calloc(c->big_batch, sizeof *evs);
    char *arena = malloc(c->big_batch * W1_PAYLOAD_MAX);
    size_t cur = 0;
    int rc = evs && arena ? 0 : ML_ENOMEM;
    store_path(path, sizeof path, c, "big.db");
    if (!rc)
        rc = w1_authors(&au, c->big_authors);
    if (!rc)
        rc = store_create(&s, path);
    br->batch = c->big_batch;
    while (!rc && cur < c->big_authors) {
        size_t m = big_fill(c, au, &cur, evs, arena, &br->signed_events, &scratch, &rc);
        tspan dt = {0, 0, 0};
        if (!rc)
            rc = ingest_batches(s, evs, m, m, &dt);
        br->ingest.wall += dt.wall;
        br->ingest.cpu += dt.cpu;
        br->events += m;
    }
    if (rc)
        fmt(br->err, sizeof br->err, "%s (%s)", ml_strerror(rc), ml_store_errmsg(s));
    tspan t0 = tnow();
    ml_store_close(s);   /* timed: the final checkpoint is part of the ingest */
    tspan closing = tsince(t0);
    br->ingest.wall += closing.wall;
    br->ingest.cpu += closing.cpu;
    br->db_mb = file_mb(path);
    store_remove(path);
    free(au);
    free(evs);
    free(arena);
    ml_buf_free(&scratch);
    br->ok = rc == 0;
    return rc;
}

/* Run bench_big in a forked child, so only its own memory counts; its peak
 * RSS comes back from wait4. Called first, while this process is still small:
 * a forked child starts out counting the pages it shares with its parent. */
static int run_big_child(const cfg *c, results *r)
{
    int fd[2];
    if (pipe(fd) != 0)
        return ML_EIO;
    progress("4. ingesting %zu x %zu events in a child process (batches of %zu)",
             c->big_authors, c->per_author + 1, c->big_batch);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return ML_EIO;
    if (pid == 0) {
        big_result br;
        memset(&br, 0, sizeof br);
        close(fd[0]);
        bench_big(c, &br);
        br.hwm_kb = vm_hwm_kb();
        ssize_t w = write(fd[1], &br, sizeof br);
        _exit(w == (ssize_t)sizeof br && br.ok ? 0 : 1);
    }
    close(fd[1]);
    size_t got = 0;
    while (got < sizeof r->big) {
        ssize_t n = read(fd[0], (char *)&r->big + got, sizeof r->big - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd[0]);
    struct rusage ru;
    int st = 0;
    memset(&ru, 0, sizeof ru);
    if (wait4(pid, &st, 0, &ru) < 0 || got != sizeof r->big || !r->big.ok) {
        fprintf(stderr, "bench_w1: 1M child failed: %s\n", got ? r->big.err : "no result");
        return ML_EIO;
    }
    r->big_maxrss_kb = ru.ru_maxrss;
    return 0;
}

/* ---- 5. the seed -------------------------------------------------------------------- */

static void seed_paths(char script[PATH_MAX], char shared[PATH_MAX])
{
    char here[PATH_MAX];
    const char *env = getenv("MESHLOG_SEED_BENCH");
    fmt(here, sizeof here, "%s", __FILE__);   /* absolute: CMake passes full paths */
    up(here);
    if (env && *env)
        fmt(script, PATH_MAX, "%s", env);
    else
        fmt(script, PATH_MAX, "%s/seed_w1.py", here);
    env = getenv("MESHLOG_SHARED");
    if (env && *env)
        fmt(shared, PATH_MAX, "%s", env);
#ifdef ML_SHARED_DIR
    else
        fmt(shared, PATH_MAX, "%s", ML_SHARED_DIR);
#else
    else
        fmt(shared, PATH_MAX, "%s/../../shared", here);
#endif
}

/* Run python3 with args and parse the one JSON object it prints. */
static json_t *run_python(char *const argv[], char *why, size_t whylen)
{
    int fd[2];
    if (pipe(fd) != 0)
        return NULL;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        if (dup2(fd[1], 1) < 0)
            _exit(126);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fd[1]);
    ml_buf out = ML_BUF_INIT;
    char chunk[4096];
    ssize_t n;
    while (pid > 0 && (n = read(fd[0], chunk, sizeof chunk)) > 0)
        ml_buf_append(&out, chunk, (size_t)n);
    close(fd[0]);
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fmt(why, whylen, "%s",
                 WIFEXITED(st) && WEXITSTATUS(st) == 127 ? "python3 not found"
                                                         : "seed_w1.py failed");
        ml_buf_free(&out);
        return NULL;
    }
    json_t *j = json_loadb((const char *)out.p, out.len, 0, NULL);
    if (!j)
        fmt(why, whylen, "seed_w1.py printed no JSON");
    ml_buf_free(&out);
    return j;
}

static int bench_seed(const cfg *c, results *r, const w1_author *au)
{
    char script[PATH_MAX], shared[PATH_MAX], runnable[PATH_MAX + 32], na[32], ne[32], nr[32];
    seed_result *sr = &r->seed;
    seed_paths(script, shared);
    fmt(runnable, sizeof runnable, "%s/seed/runnable/meshlog/event.py", shared);
    if (access(script, R_OK) != 0 || access(runnable, R_OK) != 0) {
        fmt(sr->why, sizeof sr->why, "no %s", access(script, R_OK) ? script : runnable);
        return 0;
    }
    ml_buf ids = ML_BUF_INIT;
    for (size_t i = 0; i < c->authors; i++)
        ml_buf_printf(&ids, "%s%s", i ? "," : "", au[i].key.hex);
    fmt(na, sizeof na, "%zu", c->authors);
    fmt(ne, sizeof ne, "%zu", c->per_author);
    fmt(nr, sizeof nr, "%zu", c->seed_rss_authors);
    char *m_argv[] = {"python3", script, "measure", "--shared", shared, "--authors", na,
                      "--events", ne, "--author-ids", (char *)ids.p, NULL};
    char *r_argv[] = {"python3", script, "rss", "--shared", shared, "--authors", nr,
                      "--events", ne, NULL};
    progress("5. the seed: ingest and view of %zu x %zu events", c->authors, c->per_author);
    json_t *m = run_python(m_argv, sr->why, sizeof sr->why);
    json_t *rs = NULL;
    if (m) {
        progress("5. the seed: peak RSS at %zu x %zu events", c->seed_rss_authors,
                 c->per_author);
        rs = run_python(r_argv, sr->why, sizeof sr->why);
    }
    if (m && rs) {
        sr->have = 1;
        sr->ingest_one = json_number_value(json_object_get(m, "ingest_one_events_per_s"));
        sr->ingest_many = json_number_value(json_object_get(m, "ingest_many_events_per_s"));
        sr->ingest_one_cpu = json_number_value(json_object_get(m, "ingest_one_cpu_events_per_s"));
        sr->ingest_many_cpu =
            json_number_value(json_object_get(m, "ingest_many_cpu_events_per_s"));
        sr->view_s = json_number_value(json_object_get(m, "view_s"));
        sr->view_cpu_s = json_number_value(json_object_get(m, "view_cpu_s"));
        sr->events = (size_t)json_integer_value(json_object_get(m, "events"));
        const char *sha = json_string_value(json_object_get(m, "view_sha256"));
        const char *py = json_string_value(json_object_get(m, "python"));
        fmt(sr->sha, sizeof sr->sha, "%s", sha ? sha : "");
        fmt(sr->python, sizeof sr->python, "%s", py ? py : "?");
        sr->rss_mb = json_number_value(json_object_get(rs, "rss_mb"));
        sr->rss_events = (size_t)json_integer_value(json_object_get(rs, "events"));
    }
    json_decref(m);
    json_decref(rs);
    ml_buf_free(&ids);
    return 0;
}

/* ---- reporting ---------------------------------------------------------------------- */

/* The seed's ingest rate the target compares against: the faster of its two
 * paths (ingest one by one, ingest_many), per wall or per CPU second. */
static double seed_ingest(const results *r, int cpu)
{
    const seed_result *s = &r->seed;
    double one = cpu ? s->ingest_one_cpu : s->ingest_one;
    double many = cpu ? s->ingest_many_cpu : s->ingest_many;
    return one > many ? one : many;
}

/* Our rate at batch size index b (2: import's, the headline). */
static double our_ingest_at(const results *r, int b, int cpu)
{
    return rate(r->events, cpu ? r->ingest[b].cpu : r->ingest[b].wall);
}

static double our_ingest(const results *r, int cpu)
{
    return our_ingest_at(r, 2, cpu);
}

static double rss_mb(const results *r)
{
    return (double)r->big_maxrss_kb / 1024.0;
}

static const char *met(int ok)
{
    return ok ? "MET" : "MISSED";
}

static void report_targets(const cfg *c, const results *r)
{
    const seed_result *sr = &r->seed;
    double in = our_ingest(r, 0);
    printf("\ntargets, same run               ours          seed   ours/seed  target\n");
    if (sr->have) {
        for (int b = 2; b >= 0; b -= 2) {
            double w = our_ingest_at(r, b, 0), u = our_ingest_at(r, b, 1);
            char g[32];
            printf("  ingest, batch %-7s wall %9.0f ev/s %9.0f ev/s   %6.2fx   >= 2x seed  %s\n",
                   grp(g, c->batches[b]), w, seed_ingest(r, 0), w / seed_ingest(r, 0),
                   met(w >= 2 * seed_ingest(r, 0)));
            printf("  ingest, batch %-7s CPU  %9.0f ev/s %9.0f ev/s   %6.2fx   >= 2x seed  %s\n",
                   g, u, seed_ingest(r, 1), u / seed_ingest(r, 1),
                   met(u >= 2 * seed_ingest(r, 1)));
        }
        printf("  view at %-4s           %9.4f s   %9.4f s      %6.3fx   < 0.2 s     %s\n",
               c->quick ? "10k" : "100k", r->view.wall, sr->view_s, r->view.wall / sr->view_s,
               met(r->view.wall < 0.2));
        printf("  peak RSS, 1M ingest    %9.1f MB  %9.1f MB     %6.2fx   < 64 MB     %s\n",
               rss_mb(r), sr->rss_mb, rss_mb(r) / sr->rss_mb, met(rss_mb(r) < 64));
        printf("  (seed ingest: the faster of ingest and ingest_many, in memory, ids checked,\n"
               "   no signatures; ours: verified, durable, closing included; the headline batch\n"
               "   is import's, %zu events per transaction; seed RSS at %zu events in\n"
               "   memory, ours while ingesting %zu)\n",
               c->batches[2], sr->rss_events, r->big.events);
        return;
    }
    printf("  verified ingest, wall  %9.0f ev/s   (no seed figure)  >= 2x seed  ?\n", in);
    printf("  view at %-4s           %9.4f s                        < 0.2 s     %s\n",
           c->quick ? "10k" : "100k", r->view.wall, met(r->view.wall < 0.2));
    printf("  peak RSS, 1M ingest    %9.1f MB                       < 64 MB     %s\n", rss_mb(r),
           met(rss_mb(r) < 64));
}

static void report_seed(const results *r)
{
    const seed_result *sr = &r->seed;
    char g[32];
    if (!sr->have) {
        printf("5. the seed: not measured: %s\n", sr->why);
        return;
    }
    printf("5. the seed (Python %s; in memory, ids checked, no signatures), %s events\n",
           sr->python, grp(g, sr->events));
    printf("   ingest one by one: %8.0f events/s  (%8.0f per CPU-s)\n", sr->ingest_one,
           sr->ingest_one_cpu);
    printf("   ingest_many:       %8.0f events/s  (%8.0f per CPU-s)\n", sr->ingest_many,
           sr->ingest_many_cpu);
    printf("   view (materialize + json.dumps, best of 3): %.4f s (CPU %.4f s);"
           " same bytes as ours: %s\n",
           sr->view_s, sr->view_cpu_s, strcmp(sr->sha, r->view_sha) == 0 ? "yes" : "NO");
    printf("   peak RSS with %s events in memory: %.1f MB\n", grp(g, sr->rss_events), sr->rss_mb);
}

static void report_text(const cfg *c, const results *r)
{
    char g1[32], g2[32], g3[32];
    printf("meshlog bench W1 (core)%s: %zu authors x %s W1 events; each author is a signed "
           "feed,\nseq 1 feed.open then the W1 events = %s events per author, %s in all.\n",
           c->quick ? " --quick (scaled down 10x)" : "", c->authors, grp(g1, c->per_author),
           grp(g2, c->per_author + 1), grp(g3, r->events));
    printf("machine: %ld cores, load average %.2f at start; stores in %s%s\n",
           sysconf(_SC_NPROCESSORS_ONLN), r->load1, c->dir, r->tmpfs ? " (tmpfs!)" : "");
    printf("every event is built and signed (Ed25519) before timing starts\n\n");
    printf("1. verified ingest into a fresh store (ml_store_ingest, durable, author-major,"
           " shuffled authors;\n   time includes closing the store, i.e. the final WAL"
           " checkpoint; the last batch size is import's)\n");
    for (int b = 0; b < 3; b++)
        printf("   batch %6s: %8.0f events/s  (%8.0f per CPU-s, %8.0f per main-thread CPU-s;"
               " %s events in %.2f s)\n",
               grp(g1, c->batches[b]), rate(r->events, r->ingest[b].wall),
               rate(r->events, r->ingest[b].cpu), rate(r->events, r->ingest[b].thr),
               grp(g2, r->events), r->ingest[b].wall);
    printf("2. durable single local appends (ml_store_append, fsync each): %.0f events/s\n"
           "   (%.0f per CPU-s; %zu in %.2f s)\n", rate(r->append_n, r->append.wall),
           rate(r->append_n, r->append.cpu), r->append_n, r->append.wall);
    printf("3. view at %s events\n", grp(g1, r->events));
    printf("   ml_store_view (best of 3):          %.4f s  (CPU %.4f s; %s bytes)\n",
           r->view.wall, r->view.cpu, grp(g2, r->view_bytes));
    if (r->view_cli.wall >= 0)
        printf("   meshlog --data F view > /dev/null:  %.4f s  (CPU %.4f s; fork/exec, best of 3;"
               "\n                                       output %s)\n",
               r->view_cli.wall, r->view_cli.cpu,
               r->cli_matches == 1 ? "identical to ml_store_view" : "DIFFERS from ml_store_view");
    else
        printf("   meshlog view: not measured: %s\n", r->cli_why);
    printf("4. 1M ingest: %zu authors x %s = %s events, batches of %s, in a child process\n"
           "   (only the last event of each author's run in a batch is really signed: the one\n"
           "   signature ingest checks; the others carry a same-size placeholder; %zu signed)\n",
           c->big_authors, grp(g1, c->per_author + 1), grp(g2, r->big.events),
           grp(g3, r->big.batch), r->big.signed_events);
    printf("   ingest: %.0f events/s (%.0f per CPU-s; %.1f s)\n",
           rate(r->big.events, r->big.ingest.wall), rate(r->big.events, r->big.ingest.cpu),
           r->big.ingest.wall);
    printf("   peak RSS %.1f MB (child's ru_maxrss via wait4; VmHWM %.1f MB); store file %.0f MB\n",
           rss_mb(r), (double)r->big.hwm_kb / 1024.0, r->big.db_mb);
    report_seed(r);
    report_targets(c, r);
}

static void jnum(json_t *o, const char *k, double v, int have)
{
    json_object_set_new(o, k, have ? json_real(v) : json_null());
}

static void jint(json_t *o, const char *k, size_t v)
{
    json_object_set_new(o, k, json_integer((json_int_t)v));
}

static void jbool(json_t *o, const char *k, int v, int have)
{
    json_object_set_new(o, k, have ? json_boolean(v) : json_null());
}

static void json_ours(json_t *o, const cfg *c, const results *r)
{
    /* headline: import's batch size; then every size tried */
    jint(o, "ingest_batch", c->batches[2]);
    jnum(o, "ingest_events_per_s", our_ingest(r, 0), 1);
    jnum(o, "ingest_cpu_events_per_s", our_ingest(r, 1), 1);
    json_t *by = json_array();
    for (int b = 0; b < 3; b++) {
        json_t *e = json_object();
        jint(e, "batch", c->batches[b]);
        jnum(e, "events_per_s", our_ingest_at(r, b, 0), 1);
        jnum(e, "cpu_events_per_s", our_ingest_at(r, b, 1), 1);
        jnum(e, "main_thread_cpu_events_per_s", rate(r->events, r->ingest[b].thr), 1);
        json_array_append_new(by, e);
    }
    json_object_set_new(o, "ingest_by_batch", by);
    jnum(o, "append_events_per_s", rate(r->append_n, r->append.wall), 1);
    jnum(o, "append_cpu_events_per_s", rate(r->append_n, r->append.cpu), 1);
    jint(o, "append_events", r->append_n);
    jnum(o, "view_100k_s", r->view.wall, 1);
    jnum(o, "view_100k_cpu_s", r->view.cpu, 1);
    jnum(o, "view_cli_100k_s", r->view_cli.wall, r->view_cli.wall >= 0);
    jnum(o, "view_cli_100k_cpu_s", r->view_cli.cpu, r->view_cli.wall >= 0);
    jbool(o, "view_cli_matches", r->cli_matches == 1, r->cli_matches >= 0);
    jint(o, "view_bytes", r->view_bytes);
    jint(o, "events_1m", r->big.events);
    jint(o, "batch_1m", r->big.batch);
    jnum(o, "ingest_1m_events_per_s", rate(r->big.events, r->big.ingest.wall), 1);
    jnum(o, "ingest_1m_cpu_events_per_s", rate(r->big.events, r->big.ingest.cpu), 1);
    jnum(o, "rss_1m_mb", rss_mb(r), 1);
    jnum(o, "hwm_1m_mb", (double)r->big.hwm_kb / 1024.0, 1);
    jnum(o, "db_1m_mb", r->big.db_mb, 1);
}

static void json_seed(json_t *o, const results *r)
{
    const seed_result *sr = &r->seed;
    int h = sr->have;
    jnum(o, "seed_ingest_events_per_s", seed_ingest(r, 0), h);
    jnum(o, "seed_ingest_cpu_events_per_s", seed_ingest(r, 1), h);
    jnum(o, "seed_ingest_one_events_per_s", sr->ingest_one, h);
    jnum(o, "seed_ingest_many_events_per_s", sr->ingest_many, h);
    jnum(o, "seed_view_100k_s", sr->view_s, h);
    jnum(o, "seed_view_100k_cpu_s", sr->view_cpu_s, h);
    jnum(o, "seed_rss_120k_mb", sr->rss_mb, h);
    jint(o, "seed_rss_events", sr->rss_events);
    jbool(o, "view_matches_seed", strcmp(sr->sha, r->view_sha) == 0, h);
    jnum(o, "ratio_ingest_vs_seed", our_ingest(r, 0) / seed_ingest(r, 0), h);
    jnum(o, "ratio_ingest_cpu_vs_seed", our_ingest(r, 1) / seed_ingest(r, 1), h);
    jnum(o, "ratio_view_vs_seed", r->view.wall / sr->view_s, h);
    jnum(o, "ratio_rss_vs_seed", rss_mb(r) / sr->rss_mb, h);
    jbool(o, "target_ingest_2x_seed", our_ingest(r, 0) >= 2 * seed_ingest(r, 0), h);
    jbool(o, "target_ingest_cpu_2x_seed", our_ingest(r, 1) >= 2 * seed_ingest(r, 1), h);
    jnum(o, "ratio_ingest_batch1000_vs_seed", our_ingest_at(r, 0, 0) / seed_ingest(r, 0), h);
    jnum(o, "ratio_ingest_batch1000_cpu_vs_seed", our_ingest_at(r, 0, 1) / seed_ingest(r, 1), h);
    if (!h)
        json_object_set_new(o, "seed_skipped", json_string(sr->why));
}

static void report_json(const cfg *c, const results *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "workload", json_string("W1"));
    jbool(o, "quick", c->quick, 1);
    jint(o, "authors", c->authors);
    jint(o, "events_per_author", c->per_author + 1);
    jint(o, "events", r->events);
    jint(o, "cores", (size_t)sysconf(_SC_NPROCESSORS_ONLN));
    jnum(o, "load_average", r->load1, r->load1 >= 0);
    json_ours(o, c, r);
    json_seed(o, r);
    jbool(o, "target_view_under_0_2_s", r->view.wall < 0.2, 1);
    jbool(o, "target_rss_1m_under_64_mb", rss_mb(r) < 64, 1);
    char *text = json_dumps(o, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
    if (text)
        puts(text);
    free(text);
    json_decref(o);
}

/* ---- main ------------------------------------------------------------------------------ */

static int parse_args(cfg *c, int argc, char **argv)
{
    *c = (cfg){0, 0, 0, 0, 0, 10, 10000, 100, {1000, 10000, ML_IMPORT_BATCH}, 10000, 500, 2.0, 12, argv[0], ""};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            c->quick = 1;
        else if (strcmp(argv[i], "--json") == 0)
            c->json = 1;
        else if (strcmp(argv[i], "--no-seed") == 0)
            c->no_seed = 1;
        else if (strcmp(argv[i], "--keep") == 0)
            c->keep = 1;
        else if (strcmp(argv[i], "--ingest-only") == 0)
            c->ingest_only = c->no_seed = 1;
        else {
            fprintf(stderr, "usage: %s [--quick] [--json] [--no-seed] [--keep] [--ingest-only]\n"
                            "  --quick    everything 10x smaller\n"
                            "  --json     one JSON object on stdout instead of the report\n"
                            "  --no-seed  skip the Python seed's figures\n"
                            "  --keep     keep the W1 store (for profiling `meshlog view`)\n"
                            "  --ingest-only  part 1 alone, without the seed (for profiling)\n"
                            "env: MESHLOG_BIN (the meshlog command), MESHLOG_SHARED (folder"
                            " with seed/), MESHLOG_SEED_BENCH (seed_w1.py), TMPDIR\n",
                    argv[0]);
            return strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ? 0 : 2;
        }
    }
    if (c->quick) {
        c->per_author /= 10;   /* batch sizes stay: they set the commit rate */
        c->append_max /= 10;
        c->append_secs /= 10;
    }
    return -1;
}

static int make_dir(cfg *c, results *r)
{
    const char *t = getenv("TMPDIR");
    struct statfs sf;
    fmt(c->dir, sizeof c->dir, "%s/meshlog-bench-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(c->dir)) {
        fprintf(stderr, "bench_w1: cannot make a temp dir %s: %s\n", c->dir, strerror(errno));
        return ML_EIO;
    }
    r->tmpfs = statfs(c->dir, &sf) == 0 && (long)sf.f_type == TMPFS_MAGIC_NUMBER;
    return 0;
}

static int run(cfg *c, results *r)
{
    w1_author *au = NULL;
    ml_event *evs = NULL;
    char *arena = NULL, db[PATH_MAX] = "";
    ml_store *s = NULL;
    size_t n = 0;
    int rc = c->ingest_only ? 0 : run_big_child(c, r);   /* first, while this process is small */
    if (!rc) {
        progress("building and signing %zu x %zu events (not timed)", c->authors,
                 c->per_author + 1);
        rc = w1_authors(&au, c->authors);
    }
    if (!rc)
        rc = w1_build(c, au, &evs, &arena, &n);
    if (!rc)
        rc = bench_ingest(c, r, evs, n, &s, db, sizeof db);
    free(evs);
    free(arena);
    if (!rc && !c->ingest_only)
        rc = bench_view(r, s);
    ml_store_close(s);
    if (!rc && !c->ingest_only)
        bench_view_cli(c, r, db);
    if (db[0] && c->keep)
        progress("kept the W1 store: %s", db);
    else if (db[0])
        store_remove(db);
    if (!rc && !c->ingest_only)
        rc = bench_append(c, r);
    if (!rc && !c->no_seed)
        rc = bench_seed(c, r, au);
    else if (c->no_seed)
        fmt(r->seed.why, sizeof r->seed.why, "--no-seed");
    if (au)
        for (size_t i = 0; i < c->authors; i++)
            ml_author_wipe(&au[i].key);
    free(au);
    return rc;
}

int main(int argc, char **argv)
{
    cfg c;
    static results r;
    int rc = parse_args(&c, argc, argv);
    if (rc >= 0)
        return rc;
    r.load1 = load_average();
    if (make_dir(&c, &r))
        return 1;
    rc = run(&c, &r);
    if (!c.keep)
        rmdir(c.dir);
    if (rc) {
        fprintf(stderr, "bench_w1: failed: %s\n", ml_strerror(rc));
        return 1;
    }
    if (c.json)
        report_json(&c, &r);
    else
        report_text(&c, &r);
    return 0;
}
