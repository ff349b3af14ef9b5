// SPDX-License-Identifier: MIT
// Shared test helpers: see testutil.h.
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "meshlog/buf.h"

const char *tu_shared(const char *rel)
{
    static char path[4096];
    const char *base = getenv("MESHLOG_SHARED");
    if (!base || !*base)
        base = "../shared";
    snprintf(path, sizeof path, "%s/%s", base, rel);
    return path;
}

char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        fail();
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    assert_true(n >= 0);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    assert_int_equal(got, (size_t)n);
    buf[n] = 0;
    if (len)
        *len = (size_t)n;
    return buf;
}

json_t *tu_load_vectors(const char *rel)
{
    json_error_t err;
    const char *path = tu_shared(rel);
    json_t *j = json_load_file(path, 0, &err);
    if (!j) {
        fprintf(stderr, "cannot load %s: %s (line %d)\n", path, err.text, err.line);
        fail();
    }
    return j;
}

json_t *tu_vector(json_t *file, const char *name)
{
    json_t *vs = json_object_get(file, "vectors");
    size_t i;
    json_t *v;
    json_array_foreach(vs, i, v) {
        const char *n = json_string_value(json_object_get(v, "name"));
        if (n && strcmp(n, name) == 0)
            return v;
    }
    fprintf(stderr, "vector %s not found\n", name);
    fail();
    return NULL;
}

size_t tu_check_vectors(json_t *file, const tu_checker *table, size_t n)
{
    json_t *vs = json_object_get(file, "vectors"), *v;
    size_t i, handled = 0;
    assert_true(json_array_size(vs) > 0);
    json_array_foreach(vs, i, v) {
        const char *kind = json_string_value(json_object_get(v, "kind"));
        size_t k = 0;
        while (kind && k < n && strcmp(table[k].kind, kind) != 0)
            k++;
        if (!kind || k == n) {
            fprintf(stderr, "unhandled vector %s (kind %s)\n",
                    json_string_value(json_object_get(v, "name")), kind ? kind : "?");
            continue;
        }
        table[k].check(v);
        handled++;
    }
    assert_int_equal(handled, json_array_size(vs));
    return handled;
}

size_t tu_count_kind(json_t *file, const char *kind)
{
    json_t *v;
    size_t i, n = 0;
    json_array_foreach(json_object_get(file, "vectors"), i, v) {
        const char *k = json_string_value(json_object_get(v, "kind"));
        n += k && strcmp(k, kind) == 0;
    }
    return n;
}

uint8_t *tu_unhex(const char *hex, size_t *len)
{
    size_t n = strlen(hex);
    assert_int_equal(n % 2, 0);
    uint8_t *out = malloc(n / 2 + 1);
    assert_non_null(out);
    assert_int_equal(ml_unhex(out, n / 2, hex, n), 0);
    if (len)
        *len = n / 2;
    return out;
}

void tu_assert_hex(const uint8_t *buf, size_t len, const char *hex)
{
    char *got = malloc(2 * len + 1);
    assert_non_null(got);
    ml_hex(got, buf, len);
    assert_string_equal(got, hex);
    free(got);
}

static char tmpdir_path[256];

static void rm_tmpdir(void)
{
    if (tmpdir_path[0] && !getenv("MESHLOG_KEEP_TMP")) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir_path);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmpdir_path);
    }
}

const char *tu_tmpdir(void)
{
    static int n;
    char tmpl[] = "/tmp/meshlog-test-XXXXXX";
    if (!tmpdir_path[0]) {
        assert_non_null(mkdtemp(tmpl));
        snprintf(tmpdir_path, sizeof tmpdir_path, "%s", tmpl);
        atexit(rm_tmpdir);
    }
    static char sub[300];
    snprintf(sub, sizeof sub, "%s/%d", tmpdir_path, n++);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", sub);
    assert_int_equal(system(cmd), 0);
    return sub;
}

const char *tu_bin(void)
{
    const char *b = getenv("MESHLOG_BIN");
    return b && *b ? b : "meshlog";
}

uint64_t tu_seed(void)
{
    const char *s = getenv("MESHLOG_SEED");
    uint64_t seed = s && *s ? strtoull(s, NULL, 0)
                            : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    fprintf(stderr, "seed: MESHLOG_SEED=%llu\n", (unsigned long long)seed);
    return seed;
}

uint64_t tu_rand(uint64_t *state)
{
    /* splitmix64: tiny, good enough for test schedules */
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t tu_rand_below(uint64_t *state, uint64_t n)
{
    return n ? tu_rand(state) % n : 0;
}
