// SPDX-License-Identifier: MIT
// The simulator's run: a discrete-event loop over a binary heap of timed
// events (contacts opening and closing, writes, message arrivals, radios
// falling idle, engine timers, duty-cycle waits). Each node is a real store
// and a real sync engine; the loop only moves their messages, through the
// link model of link.c, and watches the frontiers until every node holds
// every event. Nothing here reads a clock or prints.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meshlog/error.h"
#include "sim_int.h"

static int64_t engine_now(const ml_sim *sim)
{
    return SIM_EPOCH_MS + sim->now;
}

/* ---- event heap ------------------------------------------------------------------ */

static int ev_before(const sim_ev *a, const sim_ev *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void ev_swap(sim_ev *a, sim_ev *b)
{
    sim_ev t = *a;
    *a = *b;
    *b = t;
}

static int ev_push(ml_sim *sim, sim_ev ev)
{
    if (sim->n_heap == sim->cap_heap) {
        size_t cap = sim->cap_heap ? 2 * sim->cap_heap : 256;
        sim_ev *h = realloc(sim->heap, cap * sizeof *h);
        if (!h) {
            free(ev.msg);
            return ML_ENOMEM;
        }
        sim->heap = h;
        sim->cap_heap = cap;
    }
    ev.seq = sim->ev_seq++;
    size_t i = sim->n_heap++;
    sim->heap[i] = ev;
    while (i && ev_before(&sim->heap[i], &sim->heap[(i - 1) / 2])) {
        ev_swap(&sim->heap[i], &sim->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    return 0;
}

static sim_ev ev_pop(ml_sim *sim)
{
    sim_ev top = sim->heap[0];
    sim->heap[0] = sim->heap[--sim->n_heap];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < sim->n_heap && ev_before(&sim->heap[l], &sim->heap[m]))
            m = l;
        if (r < sim->n_heap && ev_before(&sim->heap[r], &sim->heap[m]))
            m = r;
        if (m == i)
            break;
        ev_swap(&sim->heap[i], &sim->heap[m]);
        i = m;
    }
    return top;
}

static int push_simple(ml_sim *sim, int type, int64_t t, size_t idx, size_t radio)
{
    sim_ev ev = {t, 0, type, 0, 0, idx, radio, NULL, 0};
    return ev_push(sim, ev);
}

int sim_push(ml_sim *sim, int type, int64_t t, size_t idx)
{
    return push_simple(sim, type, t, idx, 0);
}

/* ---- notes to the observer ------------------------------------------------------- */

static void note(ml_sim *sim, ml_sim_note *n)
{
    if (!sim->opts.observe)
        return;
    n->t_ms = sim->now;
    n->behind = sim->behind;
    sim->opts.observe(sim->opts.observe_ctx, n);
}

void sim_engine_log(void *ctx, int level, const char *msg)
{
    sim_node *n = ctx;
    if (level <= ML_LOG_WARN)
        n->warnings++;
    if (level > n->sim->opts.engine_logs)
        return;
    ml_sim_note nt = {.kind = ML_SIM_LOG, .a = n->idx, .level = level, .text = msg};
    note(n->sim, &nt);
}

/* ---- frontiers and the lower bound ---------------------------------------------- */

static long author_node(const ml_sim *sim, const char *author)
{
    for (size_t i = 0; i < sim->n_nodes; i++)
        if (strcmp(sim->nodes[i].author.hex, author) == 0)
            return (long)i;
    return -1;
}

/* Re-read node y's frontier; events it gained count as delivered, and their
 * payload bytes go to the lower bound of the link they came over (if any). */
static int refresh_front(ml_sim *sim, sim_node *y, sim_link *via)
{
    ml_frontier f = {NULL, 0};
    int rc = ml_store_frontier(y->store, &f);
    for (size_t i = 0; !rc && i < f.n; i++) {
        long j = author_node(sim, f.v[i].author);
        if (j < 0 || f.v[i].seq <= y->front[j])
            continue;
        const sim_node *src = &sim->nodes[j];
        for (int64_t q = y->front[j] + 1; q <= f.v[i].seq && via; q++)
            via->lb_bytes += (size_t)q <= src->n_psize ? src->psize[q - 1] : 0;
        uint64_t gained = (uint64_t)(f.v[i].seq - y->front[j]);
        y->received += gained;
        sim->res.delivered += gained;
        y->held += (int64_t)gained;
        y->front[j] = f.v[i].seq;
        sim->dirty = 1;
    }
    sim->behind[y->idx] = (int64_t)sim->total - y->held;
    ml_frontier_free(&f);
    return rc;
}

static void refresh_behind(ml_sim *sim)
{
    for (size_t i = 0; i < sim->n_nodes; i++)
        sim->behind[i] = (int64_t)sim->total - sim->nodes[i].held;
}

/* Every node holds every event: the frontiers are then identical; the views
 * must be byte-identical too, else the run stops as not converged. */
static int check_converged(ml_sim *sim)
{
    ml_buf first = ML_BUF_INIT, v = ML_BUF_INIT;
    int rc = 0, same = 1;
    sim->dirty = 0;
    if (sim->writes_left)
        goto out;
    for (size_t i = 0; i < sim->n_nodes; i++)
        if (sim->nodes[i].held != (int64_t)sim->total)
            goto out;
    for (size_t i = 0; !rc && same && i < sim->n_nodes; i++) {
        ml_buf_reset(&v);
        rc = ml_store_view(sim->nodes[i].store, NULL, i ? &v : &first);
        same = !i || (v.len == first.len && memcmp(v.p, first.p, v.len) == 0);
    }
    if (rc)
        goto out;
    sim->stop = 1;
    sim->view_mismatch = !same;
    if (same) {
        sim->res.converged = 1;
        sim->res.converged_ms = sim->now;
        ml_sim_note n = {.kind = ML_SIM_CONVERGED};
        note(sim, &n);
    }
out:
    ml_buf_free(&first);
    ml_buf_free(&v);
    return rc;
}

/* ---- moving messages --------------------------------------------------------------- */

static int pump(ml_sim *sim, size_t node, size_t radio);

static int pump_all(ml_sim *sim, size_t node)
{
    int rc = 0;
    for (size_t r = 0; !rc && r < sim->nodes[node].n_radios; r++)
        rc = pump(sim, node, r);
    return rc;
}

/* Keep one TICK event at the session's deadline. An engine that keeps asking
 * for the present moment after a tick gets the next millisecond instead. */
static int resched_tick(ml_sim *sim, sim_link *l, int side)
{
    sim_side *s = &l->side[side];
    int64_t d = ml_sync_peer_deadline(s->peer);
    if (d == INT64_MAX) {
        s->tick_at = -1;
        return 0;
    }
    int64_t t = d - SIM_EPOCH_MS;
    if (t < sim->now)
        t = sim->now;
    if (t == s->last_tick)
        t++;
    if (t == s->tick_at)
        return 0;
    s->tick_at = t;
    sim_ev ev = {t, 0, EV_TICK, side, l->epoch, (size_t)(l - sim->links), 0, NULL, 0};
    return ev_push(sim, ev);
}

/* A hostile or broken sender: one to three bytes flipped, or the message cut
 * short. Draws only when the link corrupts, so other runs keep their streams. */
static size_t corrupt(ml_sim *sim, sim_link *l, uint8_t *m, size_t len)
{
    if (l->sc->p.corrupt <= 0 || !len || sim_rng_unit(&l->rng) >= l->sc->p.corrupt)
        return len;
    sim->res.corrupt_msgs++;
    if (sim_rng_range(&l->rng, 0, 3) == 0)
        return (size_t)sim_rng_range(&l->rng, 0, (int64_t)len - 1);
    for (int64_t k = sim_rng_range(&l->rng, 1, 3); k > 0; k--)
        m[sim_rng_range(&l->rng, 0, (int64_t)len - 1)] ^= (uint8_t)sim_rng_range(&l->rng, 1, 255);
    return len;
}

static int push_arrival(ml_sim *sim, sim_link *l, int side, int64_t t, const ml_buf *msg)
{
    uint8_t *copy = malloc(msg->len ? msg->len : 1);
    if (!copy)
        return ML_ENOMEM;
    memcpy(copy, msg->p, msg->len);
    size_t len = corrupt(sim, l, copy, msg->len);
    sim_ev ev = {t, 0, EV_ARRIVE, side, l->epoch, (size_t)(l - sim->links), 0, copy, len};
    return ev_push(sim, ev);
}

/* How a message travels: its engine flag, and whether it needs a bulk
 * transfer (longer than one packet's payload). */
enum { TX_FLAGGED = 1, TX_RESOURCE = 2 };

/* On the air now: the radio is busy for the airtime; the message arrives
 * after the latency (and bulk retries), unless lost; it may be delayed
 * (reordered) or, when it is a single packet, arrive twice. */
static int send_now(ml_sim *sim, size_t node, size_t radio, sim_link *l, int side,
                    const ml_buf *msg, const sim_tx *tx, int mode)
{
    const sc_profile *p = &l->sc->p;
    sim_node *n = &sim->nodes[node];
    sim_radio *r = &n->radios[radio];
    double air_s = (double)tx->wire_bytes * 8.0 / p->bitrate;
    int rc = sim_duty_record(&r->duty, sim->now, tx->air_ms);
    r->busy_until = sim->now + tx->air_ms;
    if (!rc)
        rc = push_simple(sim, EV_TXDONE, r->busy_until, node, radio);
    n->msgs++;
    n->sync_bytes += msg->len;
    n->wire_bytes += tx->wire_bytes;
    n->airtime_s += air_s;
    r->airtime_s += air_s;
    l->side[side].wire += tx->wire_bytes;
    l->side[side].air_s += air_s;
    sim->res.msgs++;
    sim->res.bulk_msgs += (mode & TX_FLAGGED) != 0;
    sim->res.sync_bytes += msg->len;
    sim->res.wire_bytes += tx->wire_bytes;
    sim->res.airtime_s += air_s;
    if (rc || tx->lost) {
        sim->res.lost_msgs += tx->lost != 0;
        return rc;
    }
    int64_t t = r->busy_until + p->latency_ms + tx->extra_ms;
    if (sim_rng_unit(&l->rng) < p->reorder)
        t += sim_rng_range(&l->rng, 0, p->jitter_ms);
    rc = push_arrival(sim, l, side, t, msg);
    if (!rc && !(mode & TX_RESOURCE) && sim_rng_unit(&l->rng) < p->dup) {
        sim->res.dup_msgs++;
        int64_t spread = p->jitter_ms > p->latency_ms ? p->jitter_ms : p->latency_ms;
        rc = push_arrival(sim, l, side, t + sim_rng_range(&l->rng, 0, spread), msg);
    }
    return rc;
}

/* A message the engine handed over: planned, then sent now or held until the
 * radio's duty-cycle budget allows it. A bulk-flagged message that fits one
 * packet goes as a packet; a longer one as a bulk transfer (an unflagged
 * one too, counted as oversize: the engine broke its MTU). */
static int transmit(ml_sim *sim, size_t node, size_t radio, sim_link *l, int side,
                    const ml_buf *msg, int flags)
{
    sim_radio *r = &sim->nodes[node].radios[radio];
    int mode = (flags & ML_SYNC_MSG_BULK ? TX_FLAGGED : 0) |
               (msg->len > l->pmtu ? TX_RESOURCE : 0);
    if (mode == TX_RESOURCE)
        sim->res.oversize++;
    sim_tx tx;
    sim_tx_plan(&l->sc->p, l->pmtu, msg->len, (mode & TX_RESOURCE) != 0, &l->rng, &tx);
    int64_t at = sim_duty_allowed(&r->duty, sim->now, tx.air_ms, l->sc->p.duty);
    if (at <= sim->now)
        return send_now(sim, node, radio, l, side, msg, &tx, mode);
    ml_buf_reset(&r->held_msg);
    int rc = ml_buf_append(&r->held_msg, msg->p, msg->len);
    if (rc)
        return rc;
    r->held = 1;
    r->held_link = (size_t)(l - sim->links);
    r->held_side = side;
    r->held_flags = mode;
    r->held_epoch = l->epoch;
    r->held_tx = tx;
    r->wake_at = at;
    return push_simple(sim, EV_WAKE, at, node, radio);
}

/* When a full packet may go on this link under the radio's duty budget. The
 * sim asks an engine for output only then, so that a message never waits in
 * the radio while the engine could still merge or drop it. */
static int64_t budget_at(ml_sim *sim, sim_radio *r, const sim_link *l)
{
    const sc_profile *p = &l->sc->p;
    size_t full = ml_sim_framed_size(p->framing, l->pmtu);
    return sim_duty_allowed(&r->duty, sim->now, sim_airtime_ms(full, p->bitrate), p->duty);
}

/* The radio is free: ask its sessions, round robin, for the next message. */
static int pump(ml_sim *sim, size_t node, size_t radio)
{
    sim_node *n = &sim->nodes[node];
    sim_radio *r = &n->radios[radio];
    int64_t wake = INT64_MAX;
    if (r->busy_until > sim->now || r->wake_at >= 0 || !n->n_links)
        return 0;
    for (size_t k = 0; k < n->n_links; k++) {
        sim_link *l = &sim->links[n->links[(r->rr + k) % n->n_links]];
        int side = l->end[0] == node ? 0 : 1;
        if (!l->up || l->radio[side] != radio)
            continue;
        int64_t at = budget_at(sim, r, l);
        if (at > sim->now) {
            wake = at < wake ? at : wake;
            continue;
        }
        int flags = 0;
        int rc = ml_sync_peer_output(l->side[side].peer, engine_now(sim), &sim->scratch, &flags);
        int rc2 = resched_tick(sim, l, side);
        if (rc < 0 || rc2)
            return rc < 0 ? rc : rc2;
        if (rc == 1) {
            r->rr = (r->rr + k + 1) % n->n_links;
            return transmit(sim, node, radio, l, side, &sim->scratch, flags);
        }
    }
    if (wake == INT64_MAX)
        return 0;
    r->wake_at = wake;
    return push_simple(sim, EV_WAKE, wake, node, radio);
}

/* ---- event handlers ----------------------------------------------------------------- */

static int on_up(ml_sim *sim, sim_ev *ev)
{
    sim_link *l = &sim->links[ev->idx];
    int rc = 0;
    l->up = 1;
    l->epoch++;
    l->up_since = sim->now;
    for (int k = 0; k < 2 && !rc; k++) {
        sim_side *s = &l->side[k];
        memset(s, 0, sizeof *s);
        s->tick_at = s->last_tick = -1;
        rc = ml_sync_peer_open(sim->nodes[l->end[k]].sync, sim->nodes[l->end[1 - k]].name,
                               engine_now(sim), &s->peer);
        if (!rc)
            rc = resched_tick(sim, l, k);
    }
    ml_sim_note n = {.kind = ML_SIM_LINK_UP, .a = l->end[0], .b = l->end[1]};
    note(sim, &n);
    for (int k = 0; k < 2 && !rc; k++)
        rc = pump(sim, l->end[k], l->radio[k]);
    return rc;
}

/* What the link's sessions sent, added to the totals (when they close). */
static void count_sessions(ml_sim *sim, const sim_link *l)
{
    for (int k = 0; k < 2; k++) {
        const ml_sync_stats *st = l->side[k].peer ? ml_sync_peer_stats(l->side[k].peer) : NULL;
        sim->res.events_sent += st ? st->events_sent : 0;
    }
}

static int on_down(ml_sim *sim, sim_ev *ev)
{
    sim_link *l = &sim->links[ev->idx];
    if (!l->up)
        return 0;
    const ml_sync_stats *sa = ml_sync_peer_stats(l->side[0].peer);
    const ml_sync_stats *sb = ml_sync_peer_stats(l->side[1].peer);
    ml_sim_note n = {.kind = ML_SIM_LINK_DOWN, .a = l->end[0], .b = l->end[1],
                     .moved_ab = sb ? sb->events_accepted : 0,
                     .moved_ba = sa ? sa->events_accepted : 0,
                     .bytes_ab = l->side[0].wire, .bytes_ba = l->side[1].wire,
                     .air_ab_s = l->side[0].air_s, .air_ba_s = l->side[1].air_s,
                     .up_ms = sim->now - l->up_since};
    count_sessions(sim, l);
    for (int k = 0; k < 2; k++) {
        ml_sync_peer_close(l->side[k].peer);
        l->side[k].peer = NULL;
        l->side[k].tick_at = -1;
    }
    l->up = 0;
    l->epoch++;   /* whatever is still in flight is lost */
    note(sim, &n);
    return 0;
}

static int push_psize(sim_node *n, size_t len)
{
    size_t *v = ml_grow(n->psize, &n->cap_psize, n->n_psize, sizeof *v, 64);
    if (!v)
        return ML_ENOMEM;
    n->psize = v;
    n->psize[n->n_psize++] = len;
    return 0;
}

static int on_write(ml_sim *sim, sim_ev *ev)
{
    sim_node *n = &sim->nodes[ev->idx];
    ml_buf payload = ML_BUF_INIT;
    ml_event out;
    const char *kind = NULL;
    memset(&out, 0, sizeof out);
    int rc = sim_workload_next(&n->wrng, n->store, n->name, &sim->records, &n->own_records,
                               &kind, &payload);
    if (!rc)
        rc = ml_store_append(n->store, &n->author, kind, (const char *)payload.p, payload.len,
                             &out);
    if (!rc)
        rc = push_psize(n, payload.len);
    if (!rc) {
        n->written++;
        sim->total++;
        sim->writes_left--;
        n->front[n->idx] = out.seq;
        n->held++;
        sim->res.last_write_ms = sim->now;
        sim->dirty = 1;
        refresh_behind(sim);
        rc = pump_all(sim, ev->idx);
    }
    ml_event_clear(&out);
    ml_buf_free(&payload);
    return rc;
}

static int on_arrive(ml_sim *sim, sim_ev *ev)
{
    sim_link *l = &sim->links[ev->idx];
    if (!l->up || ev->epoch != l->epoch)
        return 0;   /* the contact ended while it was in flight */
    int k = 1 - ev->side;
    size_t node = l->end[k];
    const ml_sync_stats *st = ml_sync_peer_stats(l->side[k].peer);
    uint64_t before = st ? st->events_accepted : 0;
    int rc = ml_sync_peer_input(l->side[k].peer, ev->msg, ev->len, engine_now(sim));
    if (rc == ML_EMALFORMED || rc == ML_EUNSUPPORTED)
        rc = 0;   /* refused, logged and counted by the engine; the session goes on */
    if (!rc)
        rc = resched_tick(sim, l, k);
    st = ml_sync_peer_stats(l->side[k].peer);
    int gained = st && st->events_accepted != before;
    if (!rc && gained)
        rc = refresh_front(sim, &sim->nodes[node], l);
    if (!rc)   /* new events may be relayed over the node's other links */
        rc = gained ? pump_all(sim, node) : pump(sim, node, l->radio[k]);
    return rc;
}

static int on_txdone(ml_sim *sim, sim_ev *ev)
{
    return pump(sim, ev->idx, ev->radio);
}

static int on_tick(ml_sim *sim, sim_ev *ev)
{
    sim_link *l = &sim->links[ev->idx];
    sim_side *s = &l->side[ev->side];
    if (!l->up || ev->epoch != l->epoch || ev->t != s->tick_at)
        return 0;   /* superseded */
    s->tick_at = -1;
    s->last_tick = sim->now;
    int rc = ml_sync_peer_tick(s->peer, engine_now(sim));
    if (!rc)
        rc = resched_tick(sim, l, ev->side);
    if (!rc)
        rc = pump(sim, l->end[ev->side], l->radio[ev->side]);
    return rc;
}

static int on_wake(ml_sim *sim, sim_ev *ev)
{
    sim_radio *r = &sim->nodes[ev->idx].radios[ev->radio];
    int rc = 0;
    r->wake_at = -1;
    if (r->held) {
        sim_link *l = &sim->links[r->held_link];
        r->held = 0;
        if (l->up && l->epoch == r->held_epoch)
            rc = send_now(sim, ev->idx, ev->radio, l, r->held_side, &r->held_msg,
                          &r->held_tx, r->held_flags);
    }
    if (!rc)
        rc = pump(sim, ev->idx, ev->radio);
    return rc;
}

static int on_progress(ml_sim *sim, sim_ev *ev)
{
    ml_sim_note n = {.kind = ML_SIM_PROGRESS};
    note(sim, &n);
    return push_simple(sim, EV_PROGRESS, ev->t + sim->opts.progress_ms, 0, 0);
}

static int (*const handlers[])(ml_sim *, sim_ev *) = {
    [EV_UP] = on_up,         [EV_DOWN] = on_down,     [EV_WRITE] = on_write,
    [EV_ARRIVE] = on_arrive, [EV_TXDONE] = on_txdone, [EV_TICK] = on_tick,
    [EV_WAKE] = on_wake,     [EV_PROGRESS] = on_progress,
};

int ml_sim_run(ml_sim *sim)
{
    int rc = 0;
    if (!sim)
        return ML_EINVAL;
    while (!rc && !sim->stop && sim->n_heap) {
        sim_ev ev = ev_pop(sim);
        if (ev.t > sim->sc->duration_ms) {
            free(ev.msg);
            break;
        }
        sim->now = ev.t;
        rc = handlers[ev.type](sim, &ev);
        free(ev.msg);
        if (!rc && sim->dirty)
            rc = check_converged(sim);
    }
    sim->res.end_ms = sim->stop ? sim->now : sim->sc->duration_ms;
    for (size_t k = 0; k < sim->n_links; k++)
        if (sim->links[k].up)
            count_sessions(sim, &sim->links[k]);
    sim->stop = 1;
    return rc;
}
