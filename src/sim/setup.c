// SPDX-License-Identifier: MIT
// Building a simulation from a scenario and a seed: the work directory, one
// store + author + sync engine per node, the radios each node's links use,
// the contact plan (scheduled or random windows, drawn up front) and the
// write plan; and taking it all down again.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "meshlog/error.h"
#include "sim_int.h"

static const char *const db_suffixes[] = {".db", ".db-wal", ".db-shm", ".db-journal"};

static int64_t clock_of(void *ctx)
{
    const ml_sim *sim = ctx;
    return SIM_EPOCH_MS + sim->now;
}

static int make_workdir(ml_sim *sim)
{
    if (sim->opts.workdir) {
        sim->workdir = strdup(sim->opts.workdir);
        if (!sim->workdir)
            return ML_ENOMEM;
        return mkdir(sim->workdir, 0700) == 0 || errno == EEXIST ? 0 : ML_EIO;
    }
    const char *tmp = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/meshlog-sim-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(path))
        return ML_EIO;
    sim->own_workdir = 1;
    sim->workdir = strdup(path);
    return sim->workdir ? 0 : ML_ENOMEM;
}

static void node_path(const ml_sim *sim, size_t i, const char *suffix, char *out, size_t len)
{
    snprintf(out, len, "%s/%s%s", sim->workdir, sim->nodes[i].name, suffix);
}

/* The smallest payload MTU among the node's links: one engine per node has one mtu. */
static size_t node_mtu(const ml_sim *sim, size_t i)
{
    size_t m = 0;
    for (size_t k = 0; k < sim->n_links; k++)
        if (sim->links[k].end[0] == i || sim->links[k].end[1] == i)
            if (!m || sim->links[k].pmtu < m)
                m = sim->links[k].pmtu;
    return m ? m : ML_SYNC_DEFAULT_MTU;
}

static int feed_open_size(void *ctx, const ml_event *ev)
{
    *(size_t *)ctx = ev->payload_len;
    return 1;
}

/* The node's RNS identity, its 64 private bytes drawn from the seed. */
static int node_key(ml_sim *sim, size_t i)
{
    uint8_t priv[64];
    sim_rng kr;
    sim_rng_init(&kr, sim->opts.seed, STREAM_KEY(i));
    for (size_t b = 0; b < sizeof priv; b += 8) {
        uint64_t v = sim_rng_next(&kr);
        memcpy(priv + b, &v, 8);
    }
    int rc = ml_author_from_private(&sim->nodes[i].author, priv);
    memset(priv, 0, sizeof priv);
    return rc;
}

static int node_open(ml_sim *sim, size_t i)
{
    sim_node *n = &sim->nodes[i];
    char path[4200], idpath[4200];
    int rc = node_key(sim, i);
    node_path(sim, i, ".db", path, sizeof path);
    node_path(sim, i, ".identity", idpath, sizeof idpath);
    for (size_t k = 0; k < sizeof db_suffixes / sizeof db_suffixes[0]; k++) {
        char stale[4200];   /* a kept directory from an earlier run */
        node_path(sim, i, db_suffixes[k], stale, sizeof stale);
        unlink(stale);
    }
    ml_store_opts so = {.create = 1, .clock = clock_of, .clock_ctx = sim, .durable = 0};
    if (!rc)
        rc = ml_store_open(&n->store, path, &so);
    if (!rc)
        rc = ml_store_init_local(n->store, &n->author, n->name, idpath);
    ml_sync_opts o = sim->sc->sync;
    o.mtu = node_mtu(sim, i);
    o.log = sim_engine_log;
    o.log_ctx = n;
    if (!rc)
        rc = ml_sync_new(&n->sync, n->store, &o);
    size_t fsize = 0;
    ml_log_filter f = {n->author.hex, NULL, 1, 0, 1};
    if (!rc)
        rc = ml_store_events(n->store, &f, feed_open_size, &fsize);
    if (!rc && !(n->psize = malloc(64 * sizeof *n->psize)))
        rc = ML_ENOMEM;
    if (!rc) {
        n->cap_psize = 64;
        n->psize[n->n_psize++] = fsize;
        n->front[i] = 1;
        n->held = 1;
        n->written = 1;
        sim->total++;
    }
    return rc;
}

static size_t radio_of(sim_node *n, const char *name, int *rc)
{
    for (size_t r = 0; r < n->n_radios; r++)
        if (strcmp(n->radios[r].name, name) == 0)
            return r;
    sim_radio *v = realloc(n->radios, (n->n_radios + 1) * sizeof *v);
    if (!v) {
        *rc = ML_ENOMEM;
        return 0;
    }
    n->radios = v;
    memset(&v[n->n_radios], 0, sizeof *v);
    snprintf(v[n->n_radios].name, sizeof v->name, "%s", name);
    v[n->n_radios].wake_at = -1;
    return n->n_radios++;
}

static int links_build(ml_sim *sim)
{
    int rc = 0;
    sim->n_links = sim->sc->n_links;
    if (sim->n_links && !(sim->links = calloc(sim->n_links, sizeof *sim->links)))
        return ML_ENOMEM;
    for (size_t k = 0; k < sim->n_links && !rc; k++) {
        sim_link *l = &sim->links[k];
        l->sc = &sim->sc->links[k];
        l->end[0] = l->sc->a;
        l->end[1] = l->sc->b;
        l->pmtu = ml_sim_payload_mtu(l->sc->p.framing, l->sc->p.mtu);
        sim_rng_init(&l->rng, sim->opts.seed, STREAM_LINK(k));
        for (int e = 0; e < 2 && !rc; e++) {
            sim_node *n = &sim->nodes[l->end[e]];
            l->radio[e] = radio_of(n, l->sc->p.radio, &rc);
            size_t *v = rc ? NULL : realloc(n->links, (n->n_links + 1) * sizeof *v);
            if (!rc && !v)
                rc = ML_ENOMEM;
            if (!rc) {
                n->links = v;
                n->links[n->n_links++] = k;
            }
        }
    }
    return rc;
}

static int push_window(ml_sim *sim, size_t k, int64_t from, int64_t to)
{
    sim_link *l = &sim->links[k];
    int64_t end = sim->sc->duration_ms;
    if (from >= end)
        return 0;
    if (to > end)
        to = end;
    int64_t (*w)[2] = realloc(l->win, (l->n_win + 1) * sizeof *w);
    if (!w)
        return ML_ENOMEM;
    l->win = w;
    w[l->n_win][0] = from;
    w[l->n_win++][1] = to;
    int rc = sim_push(sim, EV_UP, from, k);
    return rc ? rc : sim_push(sim, EV_DOWN, to, k);
}

/* Random partitions: epoch i starts at t[i]; node j is in group g[i * nodes + j]. */
typedef struct part_plan {
    int64_t *t;
    int *g;
    size_t n;
} part_plan;

static int plan_partitions(ml_sim *sim, part_plan *pp)
{
    const ml_sim_scenario *sc = sim->sc;
    size_t nn = sim->n_nodes;
    sim_rng r;
    sim_rng_init(&r, sim->opts.seed, STREAM_PART);
    for (int64_t t = 0; sc->part_max > 0 && t < sc->duration_ms;
         t += sim_rng_range(&r, sc->part_min, sc->part_max)) {
        int64_t *nt = realloc(pp->t, (pp->n + 1) * sizeof *nt);
        if (nt)
            pp->t = nt;
        int *ng = nt ? realloc(pp->g, (pp->n + 1) * nn * sizeof *ng) : NULL;
        if (!ng)
            return ML_ENOMEM;
        pp->g = ng;
        pp->t[pp->n] = t;
        int64_t groups = sim_rng_range(&r, sc->part_gmin, sc->part_gmax);
        for (size_t j = 0; j < nn; j++)
            pp->g[pp->n * nn + j] = (int)sim_rng_range(&r, 0, groups - 1);
        pp->n++;
    }
    return 0;
}

/* A partitioned link is up over every run of epochs in which its ends share a group. */
static int partition_windows(ml_sim *sim, size_t k, const part_plan *pp)
{
    size_t a = sim->links[k].end[0], b = sim->links[k].end[1], nn = sim->n_nodes;
    int64_t from = -1;
    int rc = 0;
    for (size_t i = 0; i < pp->n && !rc; i++) {
        int together = pp->g[i * nn + a] == pp->g[i * nn + b];
        if (together && from < 0)
            from = pp->t[i];
        if (!together && from >= 0) {
            rc = push_window(sim, k, from, pp->t[i]);
            from = -1;
        }
    }
    return rc || from < 0 ? rc : push_window(sim, k, from, sim->sc->duration_ms);
}

/* Contacts: every window of every link, drawn now so the plan is fixed by the seed. */
static int plan_contacts(ml_sim *sim)
{
    part_plan pp = {NULL, NULL, 0};
    int rc = plan_partitions(sim, &pp);
    int64_t end = sim->sc->duration_ms;
    for (size_t k = 0; k < sim->n_links && !rc; k++) {
        const sc_link *l = sim->links[k].sc;
        sim_rng r;
        sim_rng_init(&r, sim->opts.seed, STREAM_SCHED(k));
        if (l->sched == SC_ALWAYS)
            rc = push_window(sim, k, 0, end);
        for (int64_t t = l->at_ms; l->sched == SC_EVERY && !rc && t < end; t += l->every_ms)
            rc = push_window(sim, k, t, t + l->for_ms);
        int64_t t = sim_rng_range(&r, 0, l->down_max);
        while (l->sched == SC_RANDOM && !rc && t < end) {
            int64_t up = sim_rng_range(&r, l->up_min, l->up_max);
            rc = push_window(sim, k, t, t + (up ? up : 1));
            t += (up ? up : 1) + sim_rng_range(&r, l->down_min, l->down_max) + 1;
        }
        if (l->sched == SC_PARTITIONED && !rc)
            rc = partition_windows(sim, k, &pp);
    }
    free(pp.t);
    free(pp.g);
    return rc;
}

static int plan_writes(ml_sim *sim)
{
    int rc = 0;
    for (size_t w = 0; w < sim->sc->n_writes && !rc; w++) {
        const sc_write *wr = &sim->sc->writes[w];
        sim_rng r;
        sim_rng_init(&r, sim->opts.seed, STREAM_WTIME(w));
        for (int64_t t = wr->from_ms; !rc && t <= wr->until_ms; t += wr->every_ms) {
            int64_t at = t + sim_rng_range(&r, 0, wr->jitter_ms);
            if (at > wr->until_ms)
                continue;
            rc = sim_push(sim, EV_WRITE, at, wr->node);
            sim->writes_left++;
            if (at > sim->nodes[wr->node].last_write)
                sim->nodes[wr->node].last_write = at;
        }
    }
    return rc;
}

static int nodes_build(ml_sim *sim)
{
    size_t nn = sim->sc->n_nodes;
    sim->n_nodes = nn;
    if (!(sim->nodes = calloc(nn, sizeof *sim->nodes)) ||
        !(sim->behind = calloc(nn, sizeof *sim->behind)))
        return ML_ENOMEM;
    for (size_t i = 0; i < nn; i++) {
        sim_node *n = &sim->nodes[i];
        n->sim = sim;
        n->idx = i;
        n->name = sim->sc->nodes[i];
        sim_rng_init(&n->wrng, sim->opts.seed, STREAM_WRITE(i));
        if (!(n->front = calloc(nn, sizeof *n->front)))
            return ML_ENOMEM;
    }
    return 0;
}

int ml_sim_new(ml_sim **out, const ml_sim_scenario *sc, const ml_sim_opts *opts)
{
    ml_sim *sim = NULL;
    int rc = ML_EINVAL;
    if (!out || !sc || !opts)
        goto out;
    *out = NULL;
    rc = ML_ENOMEM;
    if (!(sim = calloc(1, sizeof *sim)))
        goto out;
    sim->sc = sc;
    sim->opts = *opts;
    sim->res.converged_ms = -1;
    if ((rc = make_workdir(sim)) || (rc = nodes_build(sim)) || (rc = links_build(sim)))
        goto out;
    for (size_t i = 0; i < sim->n_nodes && !rc; i++)
        rc = node_open(sim, i);
    if (rc || (rc = plan_contacts(sim)) || (rc = plan_writes(sim)))
        goto out;
    if (opts->progress_ms > 0)
        rc = sim_push(sim, EV_PROGRESS, opts->progress_ms, 0);
    for (size_t i = 0; i < sim->n_nodes && !rc; i++)
        sim->behind[i] = (int64_t)sim->total - sim->nodes[i].held;
    sim->dirty = 1;
out:
    if (rc)
        ml_sim_free(sim);
    else
        *out = sim;
    return rc;
}

static void node_free(ml_sim *sim, size_t i)
{
    sim_node *n = &sim->nodes[i];
    char path[4200];
    ml_sync_free(n->sync);
    ml_store_close(n->store);
    for (size_t r = 0; r < n->n_radios; r++) {
        sim_duty_free(&n->radios[r].duty);
        ml_buf_free(&n->radios[r].held_msg);
    }
    free(n->radios);
    free(n->links);
    free(n->front);
    free(n->psize);
    ml_author_wipe(&n->author);
    for (size_t s = 0; sim->own_workdir && s < sizeof db_suffixes / sizeof db_suffixes[0]; s++) {
        node_path(sim, i, db_suffixes[s], path, sizeof path);
        unlink(path);
    }
}

void ml_sim_free(ml_sim *sim)
{
    if (!sim)
        return;
    for (size_t k = 0; k < sim->n_links; k++)
        for (int e = 0; e < 2; e++)
            if (sim->links[k].side[e].peer)
                ml_sync_peer_close(sim->links[k].side[e].peer);
    for (size_t i = 0; sim->nodes && i < sim->n_nodes; i++)
        node_free(sim, i);
    for (size_t i = 0; i < sim->n_heap; i++)
        free(sim->heap[i].msg);
    if (sim->own_workdir && sim->workdir)
        rmdir(sim->workdir);
    free(sim->workdir);
    free(sim->heap);
    free(sim->nodes);
    for (size_t k = 0; sim->links && k < sim->n_links; k++)
        free(sim->links[k].win);
    free(sim->links);
    free(sim->behind);
    sim_records_free(&sim->records);
    ml_buf_free(&sim->scratch);
    free(sim);
}
