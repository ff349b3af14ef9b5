// SPDX-License-Identifier: MIT
// meshlog import: the seed's JSONL log (plus our "g" signature) into the store.
// Lines are ingested in large batches, each one transaction; every refused or
// held event is reported with its line number and the reason.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "meshlog/error.h"

/* Events per transaction: ML_IMPORT_BATCH, or $MESHLOG_IMPORT_BATCH (for
 * tests and tuning). */
static size_t import_batch(void)
{
    const char *e = getenv("MESHLOG_IMPORT_BATCH");
    long v = e ? atol(e) : 0;
    return v > 0 ? (size_t)v : ML_IMPORT_BATCH;
}

typedef struct import_ctx {
    ml_event *evs;
    size_t *lines;
    size_t n, cap;
    size_t total[4];
    size_t malformed;
    int single_batch;
    json_t *held;   /* several batches: "author:seq" -> line, of events held so far */
} import_ctx;

static void print_outcome(size_t line, const char *what, const char *why, const char *author,
                          int64_t seq)
{
    fprintf(stderr, "line %zu: %s (%s): author %s seq %lld\n", line, what, why ? why : "?",
            author, (long long)seq);
}

static void on_outcome(void *ctx, const ml_event *ev, enum ml_outcome o, const char *why)
{
    import_ctx *im = ctx;
    size_t line = 0;
    if (ev >= im->evs && ev < im->evs + im->n)
        line = im->lines[ev - im->evs];
    if (im->held) {
        /* Over several batches an event held by one may be accepted (or
         * refused) by a later one: count and report holds at the end. */
        char key[320];
        snprintf(key, sizeof key, "%s:%lld", ev->author, (long long)ev->seq);
        json_t *was = json_object_get(im->held, key);
        if (was && !line)
            line = (size_t)json_integer_value(was);
        if (o == ML_OUT_HELD) {
            json_object_set_new(im->held, key, json_integer((json_int_t)line));
            return;
        }
        if (was)
            json_object_del(im->held, key);
    }
    im->total[o]++;
    if (o == ML_OUT_REFUSED || o == ML_OUT_HELD)
        print_outcome(line, o == ML_OUT_REFUSED ? "refused" : "held", why, ev->author, ev->seq);
}

typedef struct held_line {
    size_t line;
    const char *key;   /* "author:seq" */
} held_line;

static int cmp_line(const void *a, const void *b)
{
    size_t x = ((const held_line *)a)->line, y = ((const held_line *)b)->line;
    return x < y ? -1 : x > y;
}

/* Several batches: the events still held once all are in, in line order. */
static void report_held(import_ctx *im)
{
    size_t n = json_object_size(im->held), i = 0;
    held_line *h = malloc((n + 1) * sizeof *h);
    const char *key;
    json_t *v;
    im->total[ML_OUT_HELD] = n;
    if (!h) {
        fprintf(stderr, "%zu events held (waiting for earlier events)\n", n);
        return;
    }
    json_object_foreach(im->held, key, v) h[i++] = (held_line){(size_t)json_integer_value(v), key};
    qsort(h, n, sizeof *h, cmp_line);
    for (i = 0; i < n; i++) {
        const char *colon = strrchr(h[i].key, ':');
        fprintf(stderr, "line %zu: held (waiting for an earlier event): author %.*s seq %s\n",
                h[i].line, (int)(colon - h[i].key), h[i].key, colon + 1);
    }
    free(h);
}

static int flush_batch(ml_store *s, import_ctx *im, unsigned flags)
{
    ml_ingest_result res;
    int rc = ml_store_ingest(s, im->evs, im->n, flags, &res, on_outcome, im);
    for (size_t i = 0; i < im->n; i++)
        ml_event_clear(&im->evs[i]);
    im->n = 0;
    if (rc)
        return cli_fail("import failed, nothing of this batch was kept: %s",
                        ml_store_errmsg(s));
    return 0;
}

static int add_line(import_ctx *im, const char *text, size_t len, size_t lineno)
{
    json_error_t jerr;
    char err[300];
    if (im->n == im->cap) {
        size_t cap = im->cap ? im->cap * 2 : 1024;
        ml_event *ne = realloc(im->evs, cap * sizeof *ne);
        size_t *nl = ne ? realloc(im->lines, cap * sizeof *nl) : NULL;
        if (ne)
            im->evs = ne;
        if (!ne || !nl)
            return cli_fail("out of memory");
        im->lines = nl;
        im->cap = cap;
    }
    json_t *o = json_loadb(text, len, JSON_ALLOW_NUL, &jerr);
    memset(&im->evs[im->n], 0, sizeof im->evs[0]);
    int rc = o ? ml_event_from_line(&im->evs[im->n], o, err, sizeof err) : ML_EMALFORMED;
    if (!o)
        snprintf(err, sizeof err, "not JSON: %s (column %d)", jerr.text, jerr.column);
    json_decref(o);
    if (rc) {
        fprintf(stderr, "line %zu: refused (malformed): %s\n", lineno, err);
        im->malformed++;
        return 0;
    }
    im->lines[im->n++] = lineno;
    return 0;
}

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

static size_t count_lines(FILE *f)
{
    size_t n = 0;
    int ch;
    while ((ch = getc(f)) != EOF)
        n += ch == '\n';
    rewind(f);
    return n;
}

int cmd_import(int argc, char **argv)
{
    const cli_cmd *c = cli_find("import");
    static const struct option opts[] = {{"legacy", no_argument, NULL, 'l'}, {NULL, 0, NULL, 0}};
    unsigned flags = 0;
    int o;
    while ((o = cli_getopt(c, argc, argv, "", opts)) != -1)
        if (o == 'l')
            flags |= ML_INGEST_LEGACY;
    cli_need_args(c, argc, argv, 1, 1);
    const char *path = argv[optind];
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f)
        return cli_fail("cannot read %s: %s", path, strerror(errno));
    ml_store *s;
    if (access(cli_data_path, F_OK) != 0) {
        /* importing into a new store is how a migration starts: create it */
        ml_store_opts so = {1, NULL, NULL, 0, NULL, NULL, 1};
        if (ml_store_open(&s, cli_data_path, &so) != 0) {
            if (!is_stdin)
                fclose(f);
            return cli_fail("cannot create %s", cli_data_path);
        }
        ml_store_close(s);
        fprintf(stderr, "created %s (no local author yet: 'meshlog init' adds one)\n",
                cli_data_path);
    }
    if (cli_open(&s)) {
        if (!is_stdin)
            fclose(f);
        return 1;
    }
    import_ctx im = {0};
    size_t batch = import_batch();
    im.single_batch = is_stdin ? 0 : count_lines(f) <= batch;
    if (!im.single_batch && !(im.held = json_object())) {
        ml_store_close(s);
        if (!is_stdin)
            fclose(f);
        return cli_fail("out of memory");
    }
    int progress = isatty(2) && !im.single_batch;
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t len;
    int ret = 0;
    while (!ret && (len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (blank(line, (size_t)len))
            continue;
        ret = add_line(&im, line, (size_t)len, lineno);
        if (!ret && im.n >= batch) {
            ret = flush_batch(s, &im, flags);
            if (progress)
                fprintf(stderr, "\r%zu lines read...", lineno);
        }
    }
    if (ferror(f))
        ret = cli_fail("reading %s: %s", path, strerror(errno));
    if (!ret && im.n)
        ret = flush_batch(s, &im, flags);
    if (progress)
        fputc('\n', stderr);
    if (!ret && im.held)
        report_held(&im);
    json_decref(im.held);
    free(line);
    free(im.evs);
    free(im.lines);
    if (!is_stdin)
        fclose(f);
    if (!ret) {
        printf("%zu accepted, %zu duplicate, %zu held, %zu refused", im.total[ML_OUT_ACCEPTED],
               im.total[ML_OUT_DUPLICATE], im.total[ML_OUT_HELD],
               im.total[ML_OUT_REFUSED] + im.malformed);
        printf("%s\n", flags & ML_INGEST_LEGACY ? " (legacy: unsigned authors allowed)" : "");
        if (im.total[ML_OUT_REFUSED] + im.malformed + im.total[ML_OUT_HELD])
            ret = EXIT_PARTIAL;
    }
    ml_store_close(s);
    return ret;
}
