// SPDX-License-Identifier: MIT
// Every log the Python seed wrote (../shared/vectors/seed/): each line's
// canonical bytes and id match the .canonical file, and ingesting the log as
// legacy gives a view byte-identical to the seed's .view.json, equal to a
// fresh fold; the damaged log's refusals carry the right reasons.
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meshlog/error.h"
#include "meshlog/fold.h"
#include "meshlog/json.h"
#include "meshlog/store.h"
#include "testutil.h"

typedef struct logfile {
    ml_event *evs;
    size_t n;
} logfile;

static void load_log(const char *name, logfile *lf)
{
    char rel[512];
    snprintf(rel, sizeof rel, "vectors/seed/%s.jsonl", name);
    char *text = tu_read_file(tu_shared(rel), NULL);
    lf->evs = calloc(1024, sizeof *lf->evs);
    lf->n = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        json_error_t jerr;
        json_t *o = json_loads(line, JSON_ALLOW_NUL, &jerr);
        assert_non_null(o);
        char err[200];
        assert_true(lf->n < 1024);
        int rc = ml_event_from_line(&lf->evs[lf->n], o, err, sizeof err);
        if (rc)
            fprintf(stderr, "%s: %s\n", name, err);
        assert_int_equal(rc, 0);
        lf->n++;
        json_decref(o);
    }
    free(text);
}

static void free_log(logfile *lf)
{
    ml_events_free(lf->evs, lf->n);
}

static void check_canonical(const char *name, logfile *lf)
{
    char rel[512];
    snprintf(rel, sizeof rel, "vectors/seed/%s.canonical", name);
    char *text = tu_read_file(tu_shared(rel), NULL);
    ml_buf canon = ML_BUF_INIT;
    size_t i = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"), i++) {
        assert_true(i < lf->n);
        assert_true(strlen(line) > 33);
        line[32] = 0;
        ml_buf_reset(&canon);
        assert_int_equal(ml_event_canonical(&lf->evs[i], &canon), 0);
        assert_string_equal((const char *)canon.p, line + 33);
        ml_id id;
        char hex[33];
        assert_int_equal(ml_event_compute_id(&lf->evs[i], &id, &canon), 0);
        ml_id_hex(hex, &id);
        assert_string_equal(hex, line);
    }
    assert_int_equal(i, lf->n);
    ml_buf_free(&canon);
    free(text);
}

typedef struct outcome_log {
    char lines[64][160];
    size_t n;
} outcome_log;

static void record_outcome(void *ctx, const ml_event *ev, enum ml_outcome o, const char *why)
{
    outcome_log *ol = ctx;
    if (o == ML_OUT_ACCEPTED || ol->n >= 64)
        return;
    snprintf(ol->lines[ol->n++], sizeof ol->lines[0], "%s %lld %s %s", ev->author,
             (long long)ev->seq, o == ML_OUT_HELD ? "held" : o == ML_OUT_REFUSED ? "refused" : "dup",
             why ? why : "");
}

static int has_outcome(outcome_log *ol, const char *want)
{
    for (size_t i = 0; i < ol->n; i++)
        if (strncmp(ol->lines[i], want, strlen(want)) == 0)
            return 1;
    return 0;
}

static void check_view(const char *name, logfile *lf)
{
    char rel[512], path[1024];
    snprintf(rel, sizeof rel, "vectors/seed/%s.view.json", name);
    size_t want_len;
    char *want = tu_read_file(tu_shared(rel), &want_len);
    snprintf(path, sizeof path, "%s/%s.db", tu_tmpdir(), name);
    ml_store_opts o = {1, NULL, NULL, -1, NULL, NULL, 0};
    ml_store *s;
    assert_int_equal(ml_store_open(&s, path, &o), 0);
    outcome_log ol = {0};
    ml_ingest_result res;
    assert_int_equal(ml_store_ingest(s, lf->evs, lf->n, ML_INGEST_LEGACY, &res, record_outcome,
                                     &ol), 0);
    ml_buf view = ML_BUF_INIT;
    assert_int_equal(ml_store_view(s, NULL, &view), 0);
    assert_int_equal(ml_buf_putc(&view, '\n'), 0);
    assert_int_equal(view.len, want_len);
    assert_memory_equal(view.p, want, want_len);
    /* the incremental view equals a fresh fold, and the store verifies */
    ml_verify_report rep;
    assert_int_equal(ml_store_verify(s, &rep, NULL, NULL), 0);
    if (strcmp(name, "damaged") == 0) {
        assert_int_equal(res.accepted, 3);
        assert_true(has_outcome(&ol, "bad 3 refused bad_id"));
        assert_true(has_outcome(&ol, "bad 4 held"));
        assert_true(has_outcome(&ol, "bad 5 held"));
        assert_true(has_outcome(&ol, "good 1 refused fork"));
        assert_true(has_outcome(&ol, "good 3 held"));
        assert_true(has_outcome(&ol, "good 4 held"));
        assert_int_equal(res.refused, 2);
        assert_int_equal(res.held, 4);
    } else {
        assert_int_equal(res.accepted, lf->n);
    }
    /* ingesting the same log again changes nothing */
    assert_int_equal(ml_store_ingest(s, lf->evs, lf->n, ML_INGEST_LEGACY, &res, NULL, NULL), 0);
    assert_int_equal(res.accepted, 0);
    ml_buf_reset(&view);
    assert_int_equal(ml_store_view(s, NULL, &view), 0);
    assert_memory_equal(view.p, want, want_len - 1);
    /* without --legacy, unsigned feeds are refused outright */
    snprintf(path, sizeof path, "%s/%s-signed.db", tu_tmpdir(), name);
    ml_store *s2;
    assert_int_equal(ml_store_open(&s2, path, &o), 0);
    assert_int_equal(ml_store_ingest(s2, lf->evs, lf->n, 0, &res, NULL, NULL), 0);
    assert_int_equal(res.accepted, 0);
    assert_int_equal(res.refused, lf->n);
    ml_store_close(s2);
    ml_buf_free(&view);
    ml_store_close(s);
    free(want);
}

static void test_every_seed_vector(void **state)
{
    (void)state;
    DIR *d = opendir(tu_shared("vectors/seed"));
    assert_non_null(d);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 7 || strcmp(e->d_name + l - 6, ".jsonl") != 0)
            continue;
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(l - 6), e->d_name);
        logfile lf;
        load_log(name, &lf);
        check_canonical(name, &lf);
        check_view(name, &lf);
        free_log(&lf);
        files++;
    }
    closedir(d);
    assert_true(files >= 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_seed_vector),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
