// SPDX-License-Identifier: MIT
// Crash test: a child process appends local entries as fast as it can and
// reports each one that returned success; the parent kills it with SIGKILL at
// a random moment, reopens the store, and checks that every reported entry is
// there and that verify passes. Seed: MESHLOG_SEED=N (printed).
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "meshlog/error.h"
#include "meshlog/store.h"
#include "testutil.h"

static void child(const char *path, int fd)
{
    ml_author a;
    ml_store *s;
    ml_store_opts o = {0, NULL, NULL, 0, NULL, NULL, 1};
    if (ml_author_generate(&a) || ml_store_open(&s, path, &o))
        _exit(2);
    char id[33];
    if (ml_store_local(s, id, NULL, 0) != 0 && ml_store_init_local(s, &a, "crash", "-") != 0)
        _exit(3);
    /* the store's author may be from an earlier round: use its key file */
    for (long i = 0;; i++) {
        char p[128];
        ml_event ev = {0};
        int n = snprintf(p, sizeof p, "{\"field\":\"n\",\"record_id\":\"R%ld\",\"value\":%ld}",
                         i % 7, i);
        if (ml_store_append(s, &a, "field.set", p, (size_t)n, &ev) != 0)
            _exit(4);
        long long seq = (long long)ev.seq;
        ml_event_clear(&ev);
        if (write(fd, &seq, sizeof seq) != sizeof seq)
            _exit(5);
    }
}

static long long run_round(const char *path, uint64_t *rng)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        child(path, p[1]);
    }
    close(p[1]);
    long long seq, last = 0;
    long want = 3 + (long)tu_rand_below(rng, 40);
    for (long got = 0; got < want && read(p[0], &seq, sizeof seq) == sizeof seq; got++)
        last = seq;
    struct timespec ts = {0, (long)tu_rand_below(rng, 20000000)};
    nanosleep(&ts, NULL);   /* land the kill anywhere, often inside a commit */
    kill(pid, SIGKILL);
    while (read(p[0], &seq, sizeof seq) == sizeof seq)
        last = seq;
    close(p[0]);
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFSIGNALED(status));
    return last;
}

static void test_kill_during_appends(void **state)
{
    (void)state;
    uint64_t rng = tu_seed();
    char path[600];
    snprintf(path, sizeof path, "%s/crash.db", tu_tmpdir());
    ml_store_opts create = {1, NULL, NULL, 0, NULL, NULL, 1};
    ml_store *s;
    assert_int_equal(ml_store_open(&s, path, &create), 0);
    ml_store_close(s);
    for (int round = 0; round < 6; round++) {
        unlink(path);
        assert_int_equal(ml_store_open(&s, path, &create), 0);
        ml_store_close(s);
        long long acked = run_round(path, &rng);
        assert_int_equal(ml_store_open(&s, path, NULL), 0);
        ml_frontier f;
        assert_int_equal(ml_store_frontier(s, &f), 0);
        assert_int_equal(f.n, 1);
        fprintf(stderr, "round %d: %lld acknowledged, %lld on disk\n", round, acked,
                (long long)f.v[0].seq);
        assert_true(f.v[0].seq >= acked);
        ml_frontier_free(&f);
        ml_verify_report rep;
        assert_int_equal(ml_store_verify(s, &rep, NULL, NULL), 0);
        ml_store_close(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_during_appends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
