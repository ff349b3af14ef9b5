// SPDX-License-Identifier: MIT
// meshlog sim: runs a scenario in the deterministic simulator and tells what
// happened, for a person (who was in range of whom, what moved, how many
// events each node still lacked, then the converged dataset and each node's
// bytes and airtime), or as one JSON object with --json. Exit status 0 only
// when every node ended with the same frontier and view.
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "meshlog/error.h"
#include "meshlog/sim.h"

#define STORY_RECORDS 10   /* records shown in full at the end of the story */

typedef struct story {
    size_t n;
    char (*names)[40];     /* node names, for the contact lines */
    int tell;              /* the contact lines (off for --json and --quiet) */
    int skip_idle;         /* big meshes: leave out contacts where nothing moved */
} story;

/* ---- finding the scenario ------------------------------------------------------- */

static int readable(const char *p)
{
    return access(p, R_OK) == 0;
}

/* A path as given, else NAME under $MESHLOG_SCENARIOS, ./scenarios,
 * <executable>/../scenarios, then the source tree's scenarios/. */
static int find_scenario(const char *arg, char *out, size_t len)
{
    char exe[PATH_MAX], dirs[4][PATH_MAX];
    size_t nd = 0;
    const char *env = getenv("MESHLOG_SCENARIOS");
    if (strchr(arg, '/') || readable(arg)) {
        snprintf(out, len, "%s", arg);
        return readable(arg) ? 0 : -1;
    }
    if (env && *env)
        snprintf(dirs[nd++], PATH_MAX, "%s", env);
    snprintf(dirs[nd++], PATH_MAX, "scenarios");
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = 0;
        snprintf(dirs[nd++], PATH_MAX, "%.4000s/../scenarios", exe);
    }
#ifdef MESHLOG_SOURCE_DIR
    snprintf(dirs[nd++], PATH_MAX, "%s/scenarios", MESHLOG_SOURCE_DIR);
#endif
    for (size_t i = 0; i < nd; i++) {
        snprintf(out, len, "%.4000s/%.200s", dirs[i], arg);
        if (readable(out))
            return 0;
    }
    return -1;
}

/* ---- the story ------------------------------------------------------------------ */

static void fmt_time(char out[32], int64_t ms)
{
    int64_t s = ms > 0 ? ms / 1000 : 0;
    snprintf(out, 32, "%" PRId64 ":%02" PRId64 ":%02" PRId64, s / 3600, s / 60 % 60, s % 60);
}

static void fmt_hm(char out[32], int64_t ms)
{
    int64_t m = ms > 0 ? ms / 60000 : 0;
    snprintf(out, 32, "%" PRId64 ":%02" PRId64, m / 60, m % 60);
}

static void fmt_bytes(char out[24], uint64_t b)
{
    if (b < 10000)
        snprintf(out, 24, "%" PRIu64 " B", b);
    else
        snprintf(out, 24, "%.1f KB", (double)b / 1000.0);
}

/* Column width of a node in the "behind" columns. */
static int col(const story *st, size_t i)
{
    int w = (int)strlen(st->names[i]);
    return w < 4 ? 4 : w;
}

static void print_header(const story *st)
{
    printf("\n%-12s %-24s %9s %10s %8s  | behind:", "contact", "", "moved", "on air", "");
    for (size_t i = 0; i < st->n; i++)
        printf(" %*s", col(st, i), st->names[i]);
    printf("\n%-12s %-24s %9s %10s %8s  |\n", "from-to", "a <-> b", "a>b  b>a", "bytes",
           "airtime");
}

static void on_link_down(const story *st, const ml_sim_note *n)
{
    char from[32], to[32], span[72], who[96], bytes[24];
    if (st->skip_idle && !n->moved_ab && !n->moved_ba)
        return;
    fmt_hm(from, n->t_ms - n->up_ms);
    fmt_hm(to, n->t_ms);
    snprintf(span, sizeof span, "%s-%s", from, to);
    snprintf(who, sizeof who, "%s <-> %s", st->names[n->a], st->names[n->b]);
    fmt_bytes(bytes, n->bytes_ab + n->bytes_ba);
    printf("%-12s %-24s %4" PRIu64 " %4" PRIu64 " %10s %7.1fs  |        ", span, who,
           n->moved_ab, n->moved_ba, bytes, n->air_ab_s + n->air_ba_s);
    for (size_t i = 0; i < st->n; i++)
        printf(" %*" PRId64, col(st, i), n->behind[i]);
    printf("\n");
}

static void observe(void *ctx, const ml_sim_note *n)
{
    const story *st = ctx;
    char t[32];
    fmt_time(t, n->t_ms);
    switch (n->kind) {
    case ML_SIM_LINK_DOWN:
        if (st->tell)
            on_link_down(st, n);
        break;
    case ML_SIM_LOG:
        fprintf(stderr, "%s %s: %s\n", t, st->names[n->a], n->text);
        break;
    case ML_SIM_CONVERGED:
        if (st->tell)
            printf("%s  every node now holds every event.\n", t);
        break;
    case ML_SIM_LINK_UP:
    case ML_SIM_PROGRESS:
        break;
    }
}

static void print_value(const json_t *v)
{
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(10));
    printf("%s", s ? s : "?");
    free(s);
}

static void print_record(const char *rid, const json_t *rec)
{
    const char *key;
    json_t *v;
    printf("  %-14s %-16s by %-8s", rid, json_string_value(json_object_get(rec, "form")),
           json_string_value(json_object_get(rec, "created_by")));
    json_object_foreach(json_object_get(rec, "fields"), key, v) {
        printf(" %s=", key);
        print_value(v);
    }
    size_t notes = json_array_size(json_object_get(rec, "notes"));
    if (notes)
        printf("  (%zu note%s)", notes, notes == 1 ? "" : "s");
    printf("\n");
}

static int print_dataset(ml_sim *sim)
{
    ml_buf v = ML_BUF_INIT;
    int rc = ml_store_view(ml_sim_store(sim, 0), NULL, &v);
    json_t *root = rc ? NULL : json_loadb((const char *)v.p, v.len, 0, NULL);
    if (!root) {
        ml_buf_free(&v);
        return cli_fail("cannot read the converged view");
    }
    size_t n = json_object_size(root), shown = 0;
    printf("\nThe dataset every node now prints (%zu records):\n", n);
    const char *rid;
    json_t *rec;
    json_object_foreach(root, rid, rec) {
        if (shown++ < STORY_RECORDS)
            print_record(rid, rec);
    }
    if (n > STORY_RECORDS)
        printf("  ... and %zu more (--keep DIR, then meshlog --data DIR/NODE.db view)\n",
               n - STORY_RECORDS);
    json_decref(root);
    ml_buf_free(&v);
    return 0;
}

static void print_nodes(ml_sim *sim)
{
    printf("\n%-10s %6s %6s %6s %10s %10s %9s %9s\n", "node", "wrote", "got", "msgs",
           "engine B", "on air B", "airtime", "peak/h");
    for (size_t i = 0; i < ml_sim_node_count(sim); i++) {
        ml_sim_node_info n;
        if (ml_sim_node_get(sim, i, &n))
            continue;
        printf("%-10s %6" PRIu64 " %6" PRIu64 " %6" PRIu64 " %10" PRIu64 " %10" PRIu64
               " %8.1fs %8.2f%%\n",
               n.name, n.written, n.received, n.msgs_sent, n.sync_bytes_sent,
               n.wire_bytes_sent, n.airtime_s, 100.0 * n.duty_peak);
    }
}

static void print_summary(ml_sim *sim)
{
    ml_sim_result r;
    char t[32], lw[32];
    if (ml_sim_result_get(sim, &r))
        return;
    fmt_time(t, r.converged_ms);
    fmt_time(lw, r.last_write_ms);
    if (r.converged)
        printf("\nConverged at %s simulated (last entry written at %s): %" PRIu64
               " events, identical frontiers and byte-identical views on all %zu nodes.\n",
               t, lw, r.events, ml_sim_node_count(sim));
    else
        printf("\nNOT converged by the end (%.0f s simulated).\n", (double)r.end_ms / 1000.0);
    printf("On the wire: %" PRIu64 " bytes in %" PRIu64 " messages (%" PRIu64
           " lost, %" PRIu64 " duplicated), %.1f bytes per event delivered; %.1f s airtime.\n",
           r.wire_bytes, r.msgs, r.lost_msgs, r.dup_msgs,
           r.delivered ? (double)r.wire_bytes / (double)r.delivered : 0.0, r.airtime_s);
    printf("Lower bound (payload bytes of what each contact delivered, at its bit rate): "
           "%.3g s; airtime/bound %.1f",
           r.lower_bound_s, r.lower_bound_s > 0 ? r.airtime_s / r.lower_bound_s : 0.0);
    if (r.converged && r.lower_bound_s > 0)
        printf(", time to converge/bound %.0f", (double)r.converged_ms / 1000.0 / r.lower_bound_s);
    printf(".\n");
    fmt_time(t, r.schedule_bound_ms);
    if (r.schedule_bound_ms >= 0)
        printf("With instant links, this contact plan allows convergence at %s at the earliest.\n", t);
}

static void print_intro(const ml_sim_scenario *sc, uint64_t seed, const story *st)
{
    printf("meshlog sim %s, seed %" PRIu64 " (the same seed replays the same run)\n",
           ml_sim_scenario_name(sc), seed);
    if (*ml_sim_scenario_description(sc))
        printf("%s\n", ml_sim_scenario_description(sc));
    printf("Nodes:");
    for (size_t i = 0; i < st->n; i++)
        printf(" %s", st->names[i]);
    printf(" (each a real store, author and sync engine).\n");
    ml_buf b = ML_BUF_INIT;
    if (ml_sim_scenario_describe(sc, &b) == 0)
        fputs(ml_buf_str(&b), stdout);
    ml_buf_free(&b);
    printf("\nEach contact as it ends: the events that moved each way, the bytes and airtime\n"
           "it took, and how many events each node still lacked at that moment%s.\n",
           st->skip_idle ? "\n(contacts where nothing moved are left out)" : "");
    print_header(st);
}

/* ---- the command ----------------------------------------------------------------- */

typedef struct sim_args {
    const char *scenario, *keep;
    uint64_t seed;
    int has_seed, json, quiet, verbose;
} sim_args;

static int parse_args(int argc, char **argv, sim_args *a)
{
    static const struct option opts[] = {
        {"seed", required_argument, NULL, 's'}, {"json", no_argument, NULL, 'j'},
        {"quiet", no_argument, NULL, 'q'},      {"verbose", no_argument, NULL, 'v'},
        {"keep", required_argument, NULL, 'k'}, {NULL, 0, NULL, 0},
    };
    const cli_cmd *c = cli_find("sim");
    int o;
    memset(a, 0, sizeof *a);
    /* options may come before or after SCENARIO (getopt stops at the first word) */
    for (;;) {
        o = cli_getopt(c, argc, argv, "s:jqvk:", opts);
        if (o == -1 && optind < argc && !a->scenario) {
            a->scenario = argv[optind++];
            continue;
        }
        if (o == -1)
            break;
        char *end;
        switch (o) {
        case 's':
            errno = 0;
            a->seed = strtoull(optarg, &end, 0);
            if (*end || errno || optarg[0] == '-')
                return cli_fail("--seed wants a non-negative integer, not '%s'", optarg);
            a->has_seed = 1;
            break;
        case 'j': a->json = 1; break;
        case 'q': a->quiet = 1; break;
        case 'v': a->verbose = 1; break;
        case 'k': a->keep = optarg; break;
        default: break;
        }
    }
    if (!a->scenario || optind < argc) {
        fprintf(stderr, "meshlog sim: expected one SCENARIO\n\n");
        cli_usage(stderr, c);
        exit(EXIT_USAGE);
    }
    return 0;
}

static int load(const sim_args *a, ml_sim_scenario **sc)
{
    char path[PATH_MAX + 256], err[512];
    if (find_scenario(a->scenario, path, sizeof path))
        return cli_fail("no scenario '%s' (a file, or a name in $MESHLOG_SCENARIOS, "
                        "./scenarios or the source tree's scenarios/)", a->scenario);
    if (ml_sim_scenario_load(sc, path, err, sizeof err))
        return cli_fail("%s: %s", path, err);
    return 0;
}

static int story_init(story *st, ml_sim *sim)
{
    st->n = ml_sim_node_count(sim);
    st->names = calloc(st->n ? st->n : 1, sizeof *st->names);
    if (!st->names)
        return cli_fail("out of memory");
    for (size_t i = 0; i < st->n; i++) {
        ml_sim_node_info ni;
        if (!ml_sim_node_get(sim, i, &ni))
            snprintf(st->names[i], sizeof st->names[i], "%s", ni.name);
    }
    return 0;
}

static int report(const sim_args *a, ml_sim *sim)
{
    if (a->json) {
        ml_buf b = ML_BUF_INIT;
        int rc = ml_sim_report_json(sim, &b);
        if (!rc)
            rc = ml_buf_putc(&b, '\n');
        int ret = rc ? cli_fail("report: %s", ml_strerror(rc)) : cli_write_out(b.p, b.len);
        ml_buf_free(&b);
        return ret;
    }
    ml_sim_result r;
    if (ml_sim_result_get(sim, &r))
        return 1;
    if (r.converged && !a->quiet && print_dataset(sim))
        return 1;
    print_nodes(sim);
    print_summary(sim);
    return 0;
}

int cmd_sim(int argc, char **argv)
{
    sim_args a;
    ml_sim_scenario *sc = NULL;
    ml_sim *sim = NULL;
    story st;
    int ret = 1, rc;
    memset(&st, 0, sizeof st);
    if (parse_args(argc, argv, &a) || load(&a, &sc))
        goto out;
    uint64_t seed = a.has_seed ? a.seed : ml_sim_scenario_seed(sc);
    int telling = !a.json && !a.quiet;
    ml_sim_opts o = {seed, a.keep, NULL, &st, 0, a.verbose ? ML_LOG_DEBUG : -1};
    o.observe = telling || a.verbose ? observe : NULL;
    if ((rc = ml_sim_new(&sim, sc, &o))) {
        cli_fail("cannot set up the simulation: %s", ml_strerror(rc));
        goto out;
    }
    if (story_init(&st, sim))
        goto out;
    st.tell = telling;
    st.skip_idle = st.n > 6;
    if (telling)
        print_intro(sc, seed, &st);
    if ((rc = ml_sim_run(sim))) {
        cli_fail("simulation failed: %s", ml_strerror(rc));
        goto out;
    }
    if (report(&a, sim))
        goto out;
    ml_sim_result r;
    ret = ml_sim_result_get(sim, &r) == 0 && r.converged ? 0 : 1;
out:
    ml_sim_free(sim);
    ml_sim_scenario_free(sc);
    free(st.names);
    return ret;
}
