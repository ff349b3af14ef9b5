// SPDX-License-Identifier: MIT
// The simulator and, through it, the sync engine: scenario parsing and its
// errors, the link model's arithmetic (framing, MTU, duty cycle), and the
// property test: many seeded random meshes (3-5 nodes, loss, duplication,
// reordering, random partitions) always end with identical frontiers and
// byte-identical views on every node, every stored event verifying, and a run
// that replays exactly from its seed; half of them, and a dedicated test, with
// a sender that flips bytes and cuts messages short. The shipped scenarios
// converge too. Seed: MESHLOG_SEED=N (printed); MESHLOG_ROUNDS=N.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meshlog/error.h"
#include "meshlog/sim.h"
#include "meshlog/store.h"
#include "sim/sim_int.h"
#include "testutil.h"

/* ---- scenario parsing ---------------------------------------------------------- */

static const char good[] =
    "# a comment line\n"
    "name two\n"
    "describe Two nodes\n"
    "duration 1h30m   # trailing comment\n"
    "node a b\n"
    "node c\n"
    "profile lora bitrate 1.2k latency 400ms mtu 500 loss 5% duty 0.01 framing rns\n"
    "link a b lora every 10m for 2m at 30s\n"
    "link b c lora loss 0.5 random up 1m-2m down 3m-4m\n"
    "link a c lora always\n"
    "partition every 5m-10m groups 1-2\n"
    "link a b lora partitioned\n"
    "write * every 5m jitter 1m until 1h\n"
    "sync gossip 30s window 4\n";

static void test_parse_good(void **state)
{
    (void)state;
    ml_sim_scenario *sc = NULL;
    char err[256] = "";
    assert_int_equal(ml_sim_scenario_parse(&sc, good, strlen(good), err, sizeof err), 0);
    assert_string_equal(ml_sim_scenario_name(sc), "two");
    assert_string_equal(ml_sim_scenario_description(sc), "Two nodes");
    assert_int_equal(ml_sim_scenario_nodes(sc), 3);
    ml_buf d = ML_BUF_INIT;
    assert_int_equal(ml_sim_scenario_describe(sc, &d), 0);
    assert_non_null(strstr(ml_buf_str(&d), "a <-> b (lora): in range every 10m for 2m from 30s"));
    ml_buf_free(&d);
    ml_sim_scenario_free(sc);
}

static void expect_error(const char *text, const char *line_and_words)
{
    ml_sim_scenario *sc = (ml_sim_scenario *)1;
    char err[256] = "";
    assert_int_equal(ml_sim_scenario_parse(&sc, text, strlen(text), err, sizeof err),
                     ML_EMALFORMED);
    assert_null(sc);
    if (!strstr(err, line_and_words)) {
        fprintf(stderr, "error '%s' lacks '%s'\n", err, line_and_words);
        fail();
    }
}

static void test_parse_errors(void **state)
{
    (void)state;
    expect_error("node a b\nduration 1h\nfly away\n", "line 3: unknown directive 'fly'");
    expect_error("node a b\nduration 1x\n", "line 2: usage: duration");
    expect_error("node a b\nduration 1h\nlink a b lora always\n", "unknown profile 'lora'");
    expect_error("node a b\nduration 1h\nprofile p\nlink a z p always\n", "unknown node 'z'");
    expect_error("node a b\nduration 1h\nprofile p\nlink a b p every 5m\n", "'for'");
    expect_error("node a b\nduration 1h\nprofile p loss 120%\n", "bad value '120%' for loss");
    expect_error("node a b\nduration 1h\nprofile p mtu 80\n", "bad value '80' for mtu");
    expect_error("node a a\n", "node 'a' twice");
    expect_error("node a\nduration 1h\n", "at least two nodes");
    expect_error("node a b\n", "needs 'duration'");
    expect_error("node a b\nduration 1h\nwrite * every 0\n", "'every' of at least 1s");
    expect_error("node a b\nduration 1h\nprofile p\nlink a b p random up 1m-2m\n",
                 "'down MIN-MAX'");
    expect_error("node a b\x01\n", "bad node name");
    expect_error("node a b\nduration 1h\nprofile p\nlink a b p partitioned\n",
                 "needs a 'partition' directive");
    expect_error("node a b\nduration 1h\npartition every 5m groups 2\n", "usage: partition");
    const char nul[] = "node a b\0\n";
    ml_sim_scenario *sc = NULL;
    char err[128];
    assert_int_equal(ml_sim_scenario_parse(&sc, nul, sizeof nul - 1, err, sizeof err),
                     ML_EMALFORMED);
    assert_int_equal(ml_sim_scenario_load(&sc, "/nonexistent/scenario", err, sizeof err),
                     ML_EIO);
}

/* ---- link model ----------------------------------------------------------------- */

static void test_link_model(void **state)
{
    (void)state;
    /* a Reticulum link packet: 19 header + 16 IV + 32 HMAC + payload padded to 16 */
    assert_int_equal(ml_sim_payload_mtu(ML_SIM_FRAMING_RNS, 500), 431);
    assert_int_equal(ml_sim_framed_size(ML_SIM_FRAMING_RNS, 431), 499);
    assert_int_equal(ml_sim_framed_size(ML_SIM_FRAMING_RNS, 0), 83);
    assert_int_equal(ml_sim_framed_size(ML_SIM_FRAMING_RNS, 15), 83);
    assert_int_equal(ml_sim_framed_size(ML_SIM_FRAMING_RNS, 16), 99);
    assert_int_equal(ml_sim_framed_size(12, 100), 112);
    assert_int_equal(ml_sim_payload_mtu(12, 500), 488);

    /* a 2000-byte bulk transfer: a 96-byte advertisement and 5 parts */
    sc_profile p;
    memset(&p, 0, sizeof p);
    p.bitrate = 1200;
    p.latency_ms = 400;
    p.framing = ML_SIM_FRAMING_RNS;
    sim_rng r;
    sim_rng_init(&r, 1, 1);
    sim_tx tx;
    sim_tx_plan(&p, 431, 2000, 1, &r, &tx);
    assert_int_equal(tx.parts, 5);
    assert_int_equal(tx.wire_bytes, 179 + 4 * 499 + 355);
    assert_int_equal(tx.air_ms, (2530 * 8000 + 1199) / 1200);
    assert_false(tx.lost);
    assert_int_equal(tx.extra_ms, 0);
    p.loss = 0.5;   /* lost parts are sent again, one round trip per round */
    sim_tx_plan(&p, 431, 2000, 1, &r, &tx);
    assert_true(tx.lost || tx.wire_bytes > 2530);
    p.loss = 1;
    sim_tx_plan(&p, 431, 2000, 1, &r, &tx);
    assert_true(tx.lost);
    sim_tx_plan(&p, 431, 100, 0, &r, &tx);
    assert_true(tx.lost);
    assert_int_equal(tx.wire_bytes, 179);

    /* 1% of an hour: 36 s; the 37th second waits for the first to leave the window */
    sim_duty d;
    memset(&d, 0, sizeof d);
    for (int i = 0; i < 36; i++)
        assert_int_equal(sim_duty_record(&d, i * 10000, 1000), 0);
    assert_int_equal(sim_duty_allowed(&d, 360000, 1000, 0.01), 3600000);
    assert_int_equal(sim_duty_allowed(&d, 360000, 1000, 1), 360000);
    assert_int_equal(sim_duty_allowed(&d, 3600001, 1000, 0.01), 3600001);
    sim_duty_free(&d);
}

/* ---- runs ------------------------------------------------------------------------- */

static ml_sim_scenario *parse_or_fail(const char *text)
{
    ml_sim_scenario *sc = NULL;
    char err[256] = "";
    if (ml_sim_scenario_parse(&sc, text, strlen(text), err, sizeof err) != 0) {
        fprintf(stderr, "scenario does not parse: %s\n%s", err, text);
        fail();
    }
    return sc;
}

static void same_frontier(const ml_frontier *a, const ml_frontier *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_string_equal(a->v[i].author, b->v[i].author);
        assert_int_equal(a->v[i].seq, b->v[i].seq);
    }
}

/* Every node: the same frontier, the same view bytes, a clean verify (every
 * event's id, chain and signature, and the view against a fresh fold). */
static void check_nodes(ml_sim *sim)
{
    ml_frontier f0 = {NULL, 0};
    ml_buf v0 = ML_BUF_INIT;
    size_t n = ml_sim_node_count(sim);
    for (size_t i = 0; i < n; i++) {
        ml_store *s = ml_sim_store(sim, i);
        ml_frontier f = {NULL, 0};
        ml_buf v = ML_BUF_INIT;
        ml_verify_report rep;
        assert_int_equal(ml_store_frontier(s, &f), 0);
        assert_int_equal(ml_store_view(s, NULL, &v), 0);
        assert_int_equal(ml_store_verify(s, &rep, NULL, NULL), 0);
        assert_int_equal(rep.problems, 0);
        assert_int_equal(f.n, n);
        if (i == 0) {
            f0 = f;
            v0 = v;
            continue;
        }
        same_frontier(&f0, &f);
        assert_int_equal(v.len, v0.len);
        assert_memory_equal(v.p, v0.p, v.len);
        ml_frontier_free(&f);
        ml_buf_free(&v);
    }
    ml_frontier_free(&f0);
    ml_buf_free(&v0);
}

/* Runs a scenario; returns its JSON report (caller frees) and the result. */
static char *run(const ml_sim_scenario *sc, uint64_t seed, ml_sim_result *res, int check)
{
    ml_sim *sim = NULL;
    ml_sim_opts o = {seed, NULL, NULL, NULL, 0, -1};
    ml_buf json = ML_BUF_INIT;
    assert_int_equal(ml_sim_new(&sim, sc, &o), 0);
    assert_int_equal(ml_sim_run(sim), 0);
    assert_int_equal(ml_sim_result_get(sim, res), 0);
    if (res->converged && check)
        check_nodes(sim);
    assert_int_equal(ml_sim_report_json(sim, &json), 0);
    ml_sim_free(sim);
    char *s = strdup(ml_buf_str(&json));
    ml_buf_free(&json);
    return s;
}

static const char *const rates[] = {"1200", "9600", "50k", "1M"};

/* A random mesh: a spanning tree of random contacts plus a lossy extra link,
 * so every event has a way to every node, or (one in three) random partitions
 * of the whole mesh; loss, duplicates, late messages, sometimes garbage. */
static void random_scenario(uint64_t *rng, ml_buf *out)
{
    int nodes = 3 + (int)tu_rand_below(rng, 3);
    assert_int_equal(ml_buf_printf(out, "name random\nduration 16h\nnode"), 0);
    for (int i = 0; i < nodes; i++)
        assert_int_equal(ml_buf_printf(out, " n%d", i), 0);
    assert_int_equal(ml_buf_printf(out,
        "\nprofile p bitrate %s latency %dms loss %d%% dup %d%% reorder %d%% jitter %ds duty %d%%\n",
        rates[tu_rand_below(rng, 4)], 5 + (int)tu_rand_below(rng, 800),
        (int)tu_rand_below(rng, 31), (int)tu_rand_below(rng, 11), (int)tu_rand_below(rng, 31),
        (int)tu_rand_below(rng, 30), tu_rand_below(rng, 2) ? 100 : 10), 0);
    if (tu_rand_below(rng, 2))   /* a broken or hostile sender on every link */
        assert_int_equal(ml_buf_printf(out, "profile p corrupt %d%%\n",
                                       1 + (int)tu_rand_below(rng, 10)), 0);
    int tree = tu_rand_below(rng, 3) != 0;
    if (!tree) {   /* random partitions of the whole mesh instead */
        assert_int_equal(ml_buf_printf(out, "partition every 5m-%dm groups 1-%d\n"
                                       "link * * p partitioned\n",
                                       6 + (int)tu_rand_below(rng, 40),
                                       2 + (int)tu_rand_below(rng, 2)), 0);
    }
    for (int i = 1; tree && i < nodes; i++) {
        int parent = (int)tu_rand_below(rng, (uint64_t)i);
        if (tu_rand_below(rng, 4) == 0)
            assert_int_equal(ml_buf_printf(out, "link n%d n%d p always\n", parent, i), 0);
        else
            assert_int_equal(ml_buf_printf(out, "link n%d n%d p random up %dm-%dm down %dm-%dm\n",
                                           parent, i, 2, 2 + (int)tu_rand_below(rng, 20),
                                           5, 5 + (int)tu_rand_below(rng, 90)), 0);
    }
    int a = (int)tu_rand_below(rng, (uint64_t)nodes), b = (int)tu_rand_below(rng, (uint64_t)nodes);
    if (tree && a != b)
        assert_int_equal(ml_buf_printf(out, "link n%d n%d p loss 60%% random up 1m-5m down 10m-2h\n",
                                       a, b), 0);
    assert_int_equal(ml_buf_printf(out, "write * every %dm jitter 3m until %dm\n",
                                   2 + (int)tu_rand_below(rng, 10),
                                   20 + (int)tu_rand_below(rng, 60)), 0);
}

static void test_property(void **state)
{
    (void)state;
    uint64_t rng = tu_seed();
    const char *r = getenv("MESHLOG_ROUNDS");
    int rounds = r ? atoi(r) : 10;
    for (int i = 0; i < rounds; i++) {
        ml_buf text = ML_BUF_INIT;
        random_scenario(&rng, &text);
        uint64_t seed = tu_rand(&rng);
        ml_sim_scenario *sc = parse_or_fail(ml_buf_str(&text));
        ml_sim_result res, again;
        char *j1 = run(sc, seed, &res, 1);
        if (!res.converged) {
            fprintf(stderr, "round %d (sim seed %llu) did not converge:\n%s\n%s\n", i,
                    (unsigned long long)seed, ml_buf_str(&text), j1);
            fail();
        }
        assert_int_equal(res.oversize, 0);
        if (i < 2) {   /* a run replays exactly from its seed */
            char *j2 = run(sc, seed, &again, 0);
            assert_string_equal(j1, j2);
            free(j2);
        }
        free(j1);
        ml_sim_scenario_free(sc);
        ml_buf_free(&text);
    }
}

/* Garbage, truncated, replayed (duplicated, late) messages on every link: each
 * is refused and logged, sessions go on, nothing unsigned or altered is ever
 * stored, and the mesh still converges. */
static void test_hostile(void **state)
{
    (void)state;
    static const char text[] =
        "name hostile\nduration 12h\nnode a b c d\n"
        "profile p bitrate 9600 latency 200ms loss 10% dup 20% reorder 30% jitter 30s "
        "corrupt 25%\n"
        "link a b p always\nlink b c p random up 5m-20m down 10m-40m\n"
        "link c d p every 30m for 10m\nlink a d p random up 2m-5m down 1h-3h\n"
        "write * every 3m jitter 2m until 1h\n";
    ml_sim_scenario *sc = parse_or_fail(text);
    ml_sim *sim = NULL;
    ml_sim_opts o = {tu_seed(), NULL, NULL, NULL, 0, -1};
    ml_sim_result res;
    assert_int_equal(ml_sim_new(&sim, sc, &o), 0);
    assert_int_equal(ml_sim_run(sim), 0);
    assert_int_equal(ml_sim_result_get(sim, &res), 0);
    assert_true(res.corrupt_msgs > 0);
    assert_true(res.converged);
    check_nodes(sim);
    uint64_t warned = 0;
    for (size_t i = 0; i < ml_sim_node_count(sim); i++) {
        ml_sim_node_info ni;
        assert_int_equal(ml_sim_node_get(sim, i, &ni), 0);
        warned += ni.engine_warnings;
    }
    assert_true(warned > 0);   /* refusals are logged */
    ml_sim_free(sim);
    ml_sim_scenario_free(sc);
}

/* A busy pair on a 1% duty cycle: the radios never use more than 36 s of any
 * hour, the figures add up, and the budget, not the schedule, sets the pace. */
static void test_duty_budget(void **state)
{
    (void)state;
    static const char text[] =
        "name duty\nduration 24h\nnode a b\n"
        "profile lora bitrate 1200 latency 400ms loss 5% duty 1%\n"
        "link a b lora always\nwrite * every 1m jitter 30s until 2h\n";
    ml_sim_scenario *sc = parse_or_fail(text);
    ml_sim *sim = NULL;
    ml_sim_opts o = {42, NULL, NULL, NULL, 0, -1};
    ml_sim_result res;
    assert_int_equal(ml_sim_new(&sim, sc, &o), 0);
    assert_int_equal(ml_sim_run(sim), 0);
    assert_int_equal(ml_sim_result_get(sim, &res), 0);
    assert_true(res.converged);
    assert_true(res.converged_ms > res.schedule_bound_ms + 600000);
    assert_true(res.wire_bytes >= res.sync_bytes + 68 * res.msgs);
    double air = 0;
    for (size_t i = 0; i < ml_sim_node_count(sim); i++) {
        ml_sim_node_info ni;
        assert_int_equal(ml_sim_node_get(sim, i, &ni), 0);
        assert_true(ni.duty_peak <= 0.01 + 1e-9);
        assert_true(ni.duty_peak > 0.009);   /* the budget was the limit */
        air += ni.airtime_s;
    }
    assert_true(air > res.lower_bound_s && air - res.airtime_s < 1e-6 && res.airtime_s - air < 1e-6);
    ml_sim_free(sim);
    ml_sim_scenario_free(sc);
}

/* A team back from a long morning alone: far behind, so the engine flags its
 * messages bulk; the relay still converges. */
static void test_bulk(void **state)
{
    (void)state;
    static const char text[] =
        "name bulk\nduration 12h\nnode a b c\n"
        "profile lora bitrate 1200 latency 400ms loss 5%\n"
        "link a b lora every 4h for 30m at 2h\nlink b c lora every 4h for 30m at 2h40m\n"
        "write a every 30s until 1h\nsync bulk 20\n";
    ml_sim_scenario *sc = parse_or_fail(text);
    ml_sim_result res;
    char *j = run(sc, 3, &res, 1);
    assert_true(res.converged);
    assert_true(res.bulk_msgs > 0);
    assert_int_equal(res.oversize, 0);
    free(j);
    ml_sim_scenario_free(sc);
}

static ml_sim_scenario *shipped(const char *name)
{
    const char *src = getenv("MESHLOG_SRC");
    char path[1024], err[256];
    ml_sim_scenario *sc = NULL;
    snprintf(path, sizeof path, "%s/scenarios/%s", src && *src ? src : "..", name);
    if (ml_sim_scenario_load(&sc, path, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        fail();
    }
    return sc;
}

static void run_shipped(const char *name)
{
    ml_sim_scenario *sc = shipped(name);
    ml_sim_result res;
    char *j = run(sc, ml_sim_scenario_seed(sc), &res, 1);
    if (!res.converged) {
        fprintf(stderr, "%s did not converge: %s\n", name, j);
        fail();
    }
    assert_true(res.lower_bound_s > 0);
    assert_true(res.events > 0 && res.delivered > 0);
    free(j);
    ml_sim_scenario_free(sc);
}

static void test_lan(void **state)
{
    (void)state;
    run_shipped("lan");
}

static void test_chaos(void **state)
{
    (void)state;
    run_shipped("chaos");
}

static void test_basecamp(void **state)
{
    (void)state;
    run_shipped("basecamp");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),   cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_link_model),   cmocka_unit_test(test_property),
        cmocka_unit_test(test_hostile),      cmocka_unit_test(test_duty_budget),
        cmocka_unit_test(test_bulk),
        cmocka_unit_test(test_lan),          cmocka_unit_test(test_chaos),
        cmocka_unit_test(test_basecamp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
