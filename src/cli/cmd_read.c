// SPDX-License-Identifier: MIT
// Commands that read the store: view, frontier, log, export, status, blob.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "meshlog/error.h"
#include "meshlog/json.h"

int cmd_view(int argc, char **argv)
{
    const cli_cmd *c = cli_find("view");
    while (cli_getopt(c, argc, argv, "", NULL) != -1) {
    }
    cli_need_args(c, argc, argv, 0, 1);
    const char *rid = optind < argc ? argv[optind] : NULL;
    ml_store *s;
    if (cli_open(&s))
        return 1;
    ml_buf out = ML_BUF_INIT;
    int rc = ml_store_view(s, rid, &out), ret = 1;
    if (rc == ML_ENOTFOUND)
        cli_fail("no record '%s' (meshlog view lists them all)", rid);
    else if (rc)
        cli_fail("cannot read the view: %s", ml_store_errmsg(s));
    else if ((rc = ml_buf_putc(&out, '\n')) == 0)
        ret = cli_write_out(out.p, out.len);
    ml_buf_free(&out);
    ml_store_close(s);
    return ret;
}

int cmd_frontier(int argc, char **argv)
{
    const cli_cmd *c = cli_find("frontier");
    while (cli_getopt(c, argc, argv, "", NULL) != -1) {
    }
    cli_need_args(c, argc, argv, 0, 0);
    ml_store *s;
    ml_frontier f = {0};
    if (cli_open(&s))
        return 1;
    int rc = ml_store_frontier(s, &f);
    ml_buf out = ML_BUF_INIT;
    for (size_t i = 0; !rc && i < f.n; i++) {
        rc = ml_buf_puts(&out, i ? ",\n  " : "{\n  ");
        if (!rc) rc = ml_json_put_str(&out, f.v[i].author, strlen(f.v[i].author));
        if (!rc) rc = ml_buf_printf(&out, ": %lld", (long long)f.v[i].seq);
    }
    if (!rc)
        rc = ml_buf_puts(&out, f.n ? "\n}\n" : "{}\n");
    int ret = rc ? cli_fail("cannot read the frontier: %s", ml_strerror(rc))
                 : cli_write_out(out.p, out.len);
    ml_buf_free(&out);
    ml_frontier_free(&f);
    ml_store_close(s);
    return ret;
}

typedef struct log_ctx {
    int json;
    ml_buf line;
    int failed;
} log_ctx;

static int log_one(void *ctx, const ml_event *ev)
{
    log_ctx *l = ctx;
    char id[33];
    ml_buf_reset(&l->line);
    if (l->json) {
        l->failed = ml_event_to_line(ev, &l->line);
    } else {
        ml_id_hex(id, &ev->id);
        l->failed = ml_buf_printf(&l->line, "%lld.%lld %s %s#%lld %s ", (long long)ev->hlc.wall,
                                  (long long)ev->hlc.counter, id, ev->author, (long long)ev->seq,
                                  ev->kind);
        if (!l->failed)
            l->failed = ml_buf_append(&l->line, ev->payload, ev->payload_len);
        if (!l->failed)
            l->failed = ml_buf_putc(&l->line, '\n');
    }
    if (!l->failed)
        l->failed = cli_write_out(l->line.p, l->line.len);
    return l->failed;
}

int cmd_log(int argc, char **argv)
{
    const cli_cmd *c = cli_find("log");
    static const struct option opts[] = {
        {"author", required_argument, NULL, 'a'}, {"record", required_argument, NULL, 'r'},
        {"limit", required_argument, NULL, 'n'},  {"oldest-first", no_argument, NULL, 'o'},
        {"json", no_argument, NULL, 'j'},         {NULL, 0, NULL, 0}};
    ml_log_filter f = {NULL, NULL, 0, 1, 0};
    log_ctx l = {0, ML_BUF_INIT, 0};
    int o;
    while ((o = cli_getopt(c, argc, argv, "", opts)) != -1) {
        char *end;
        switch (o) {
        case 'a': f.author = optarg; break;
        case 'r': f.record_id = optarg; break;
        case 'o': f.newest_first = 0; break;
        case 'j': l.json = 1; break;
        case 'n':
            f.limit = (size_t)strtoull(optarg, &end, 10);
            if (*end || !*optarg)
                return cli_fail("--limit needs a number, not '%s'", optarg);
            break;
        }
    }
    cli_need_args(c, argc, argv, 0, 0);
    ml_store *s;
    if (cli_open(&s))
        return 1;
    int rc = ml_store_events(s, &f, log_one, &l);
    if (rc)
        cli_fail("cannot read events: %s", ml_store_errmsg(s));
    ml_buf_free(&l.line);
    ml_store_close(s);
    return rc || l.failed ? 1 : 0;
}

/* Output that goes to a file is written beside it and renamed into place, so
 * a crash never leaves half an export under the real name. */
typedef struct sink {
    FILE *f;
    const char *path;
    char tmp[4096];
} sink;

static int sink_open(sink *k, const char *path)
{
    k->path = path;
    k->f = stdout;
    if (!path)
        return 0;
    snprintf(k->tmp, sizeof k->tmp, "%s.tmp%ld", path, (long)getpid());
    k->f = fopen(k->tmp, "wb");
    return k->f ? 0 : cli_fail("cannot write %s: %s", k->tmp, strerror(errno));
}

static int sink_close(sink *k, int ok)
{
    if (!k->path)
        return fflush(stdout) == 0 && ok ? 0 : 1;
    ok = ok && fflush(k->f) == 0 && fsync(fileno(k->f)) == 0;
    ok = (fclose(k->f) == 0) && ok;
    if (ok && rename(k->tmp, k->path) == 0)
        return 0;
    unlink(k->tmp);
    return cli_fail("cannot write %s: %s", k->path, strerror(errno));
}

typedef struct export_ctx {
    FILE *f;
    ml_buf line;
    int failed;
} export_ctx;

static int export_one(void *ctx, const ml_event *ev)
{
    export_ctx *x = ctx;
    ml_buf_reset(&x->line);
    if (ml_event_to_line(ev, &x->line) || fwrite(x->line.p, 1, x->line.len, x->f) != x->line.len)
        x->failed = 1;
    return x->failed;
}

int cmd_export(int argc, char **argv)
{
    const cli_cmd *c = cli_find("export");
    static const struct option opts[] = {{"csv", no_argument, NULL, 'c'},
                                         {"output", required_argument, NULL, 'o'},
                                         {NULL, 0, NULL, 0}};
    int csv = 0, o;
    const char *path = NULL;
    while ((o = cli_getopt(c, argc, argv, "o:", opts)) != -1) {
        if (o == 'c')
            csv = 1;
        else if (o == 'o')
            path = optarg;
    }
    cli_need_args(c, argc, argv, 0, 0);
    ml_store *s;
    sink k;
    if (cli_open(&s))
        return 1;
    if (sink_open(&k, path)) {
        ml_store_close(s);
        return 1;
    }
    int ok;
    if (csv) {
        ml_buf out = ML_BUF_INIT;
        ok = ml_store_export_csv(s, &out) == 0 && fwrite(out.p, 1, out.len, k.f) == out.len;
        ml_buf_free(&out);
    } else {
        ml_log_filter f = {NULL, NULL, 0, 0, 1};
        export_ctx x = {k.f, ML_BUF_INIT, 0};
        ok = ml_store_events(s, &f, export_one, &x) == 0 && !x.failed;
        ml_buf_free(&x.line);
    }
    if (!ok)
        cli_fail("export failed: %s", ml_store_errmsg(s));
    ml_store_close(s);
    return sink_close(&k, ok);
}

static int status_author(void *ctx, const ml_author_info *a)
{
    const char *local = ctx;
    printf("  %s %-12s seq %-8lld%s%s%s%s\n", a->author, a->name ? a->name : "-",
           (long long)a->head_seq, a->is_signed ? "" : " unsigned",
           a->skewed ? " clock-skewed" : "", strcmp(a->author, local) == 0 ? " (this node)" : "",
           "");
    if (a->pending)
        printf("      %lld event(s) held, waiting for earlier ones\n", (long long)a->pending);
    return 0;
}

static int status_counter(void *ctx, const char *reason, int64_t n)
{
    int *any = ctx;
    if (!*any)
        printf("refused:\n");
    *any = 1;
    printf("  %-24s %lld\n", reason, (long long)n);
    return 0;
}

int cmd_status(int argc, char **argv)
{
    const cli_cmd *c = cli_find("status");
    while (cli_getopt(c, argc, argv, "", NULL) != -1) {
    }
    cli_need_args(c, argc, argv, 0, 0);
    ml_store *s;
    char local[33] = "", path[4096] = "";
    if (cli_open(&s))
        return 1;
    ml_store_local(s, local, path, sizeof path);
    printf("store    %s\nauthor   %s\nidentity %s\nfeeds:\n", cli_data_path,
           local[0] ? local : "(none: run meshlog init)", path[0] ? path : "-");
    ml_store_authors(s, status_author, local);
    int any = 0;
    ml_store_counters(s, status_counter, &any);
    ml_store_close(s);
    return 0;
}

int cmd_blob(int argc, char **argv)
{
    const cli_cmd *c = cli_find("blob");
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                         {NULL, 0, NULL, 0}};
    const char *path = NULL;
    int o;
    while ((o = cli_getopt(c, argc, argv, "o:", opts)) != -1)
        if (o == 'o')
            path = optarg;
    cli_need_args(c, argc, argv, 1, 1);
    ml_store *s;
    sink k;
    if (cli_open(&s))
        return 1;
    ml_buf b = ML_BUF_INIT;
    int rc = ml_store_get_blob(s, argv[optind], &b);
    ml_store_close(s);
    if (rc) {
        ml_buf_free(&b);
        return cli_fail("no blob %s in %s", argv[optind], cli_data_path);
    }
    if (sink_open(&k, path)) {
        ml_buf_free(&b);
        return 1;
    }
    int ok = fwrite(b.p, 1, b.len, k.f) == b.len;
    ml_buf_free(&b);
    return sink_close(&k, ok);
}
