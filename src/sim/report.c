// SPDX-License-Identifier: MIT
// The simulator's figures: the run's totals, each node's traffic and airtime,
// the lower bound (payload bytes of the events each contact delivered, at
// that link's bit rate, with no overhead at all) and the one-object JSON
// report `meshlog sim --json` prints. Definitions: docs/SIMULATOR.md.
#include <stdio.h>
#include <string.h>

#include "meshlog/error.h"
#include "meshlog/json.h"
#include "sim_int.h"

static double lower_bound_s(const ml_sim *sim, uint64_t *bytes)
{
    double s = 0;
    *bytes = 0;
    for (size_t k = 0; k < sim->n_links; k++) {
        s += (double)sim->links[k].lb_bytes * 8.0 / sim->links[k].sc->p.bitrate;
        *bytes += sim->links[k].lb_bytes;
    }
    return s;
}

/* One relaxation pass over every contact window: an event at a node by the
 * end of a window reaches the other end at max(its time there, window start). */
static int relax(const ml_sim *sim, int64_t *arr)
{
    int changed = 0;
    for (size_t k = 0; k < sim->n_links; k++) {
        const sim_link *l = &sim->links[k];
        for (size_t w = 0; w < l->n_win; w++)
            for (int e = 0; e < 2; e++) {
                int64_t from = arr[l->end[e]], *to = &arr[l->end[1 - e]];
                int64_t t = from > l->win[w][0] ? from : l->win[w][0];
                if (from < l->win[w][1] && t < *to) {
                    *to = t;
                    changed = 1;
                }
            }
    }
    return changed;
}

/* Earliest arrival is monotone in the time an event is written, so each
 * node's last write decides; the bound is the latest arrival of any. */
int64_t sim_schedule_bound(const ml_sim *sim)
{
    int64_t *arr = calloc(sim->n_nodes, sizeof *arr), worst = 0;
    if (!arr)
        return -1;
    for (size_t src = 0; src < sim->n_nodes && worst >= 0; src++) {
        for (size_t i = 0; i < sim->n_nodes; i++)
            arr[i] = i == src ? sim->nodes[src].last_write : INT64_MAX;
        for (size_t pass = 0; pass <= sim->n_nodes && relax(sim, arr); pass++)
            ;
        for (size_t i = 0; i < sim->n_nodes && worst >= 0; i++)
            worst = arr[i] == INT64_MAX ? -1 : arr[i] > worst ? arr[i] : worst;
    }
    free(arr);
    return worst;
}

int ml_sim_result_get(ml_sim *sim, ml_sim_result *out)
{
    if (!sim || !out)
        return ML_EINVAL;
    *out = sim->res;
    out->events = sim->total;
    out->lower_bound_s = lower_bound_s(sim, &out->lower_bound_bytes);
    out->schedule_bound_ms = sim_schedule_bound(sim);
    if (!sim->stop)
        out->end_ms = sim->now;
    return 0;
}

size_t ml_sim_node_count(const ml_sim *sim)
{
    return sim ? sim->n_nodes : 0;
}

ml_store *ml_sim_store(ml_sim *sim, size_t i)
{
    return sim && i < sim->n_nodes ? sim->nodes[i].store : NULL;
}

int ml_sim_node_get(ml_sim *sim, size_t i, ml_sim_node_info *out)
{
    if (!sim || !out || i >= sim->n_nodes)
        return ML_EINVAL;
    const sim_node *n = &sim->nodes[i];
    memset(out, 0, sizeof *out);
    out->name = n->name;
    out->author = n->author.hex;
    out->written = n->written;
    out->received = n->received;
    out->msgs_sent = n->msgs;
    out->sync_bytes_sent = n->sync_bytes;
    out->wire_bytes_sent = n->wire_bytes;
    out->airtime_s = n->airtime_s;
    out->behind = (int64_t)sim->total - n->held;
    out->engine_warnings = n->warnings;
    for (size_t r = 0; r < n->n_radios; r++)
        if (n->radios[r].duty.peak > out->duty_peak)
            out->duty_peak = n->radios[r].duty.peak;
    return 0;
}

static int put_key(ml_buf *b, const char *key, int first)
{
    int rc = first ? 0 : ml_buf_putc(b, ',');
    if (!rc)
        rc = ml_json_put_str(b, key, strlen(key));
    return rc ? rc : ml_buf_putc(b, ':');
}

static int put_num(ml_buf *b, const char *key, double v, int decimals)
{
    int rc = put_key(b, key, 0);
    return rc ? rc : ml_buf_printf(b, "%.*f", decimals, v);
}

static int put_u64(ml_buf *b, const char *key, uint64_t v)
{
    int rc = put_key(b, key, 0);
    return rc ? rc : ml_buf_printf(b, "%llu", (unsigned long long)v);
}

static int put_text(ml_buf *b, const char *key, const char *v)
{
    int rc = put_key(b, key, 0);
    return rc ? rc : ml_json_put_str(b, v, strlen(v));
}

static int put_ratio(ml_buf *b, const char *key, double num, double den, int ok)
{
    int rc = put_key(b, key, 0);
    if (rc)
        return rc;
    return ok && den > 0 ? ml_buf_printf(b, "%.2f", num / den) : ml_buf_puts(b, "null");
}

static int put_node(ml_buf *b, ml_sim *sim, size_t i)
{
    ml_sim_node_info n;
    int rc = ml_sim_node_get(sim, i, &n);
    if (!rc)
        rc = ml_buf_printf(b, "%s{\"name\":", i ? "," : "");
    if (!rc)
        rc = ml_json_put_str(b, n.name, strlen(n.name));
    if (!rc)
        rc = put_text(b, "author", n.author);
    if (!rc)
        rc = put_u64(b, "written", n.written);
    if (!rc)
        rc = put_u64(b, "received", n.received);
    if (!rc)
        rc = put_u64(b, "messages", n.msgs_sent);
    if (!rc)
        rc = put_u64(b, "bytes_sync", n.sync_bytes_sent);
    if (!rc)
        rc = put_u64(b, "bytes_on_wire", n.wire_bytes_sent);
    if (!rc)
        rc = put_num(b, "airtime_s", n.airtime_s, 3);
    if (!rc)
        rc = put_num(b, "duty_peak", n.duty_peak, 4);
    if (!rc)
        rc = put_u64(b, "behind", (uint64_t)(n.behind > 0 ? n.behind : 0));
    if (!rc)
        rc = put_u64(b, "engine_warnings", n.engine_warnings);
    return rc ? rc : ml_buf_putc(b, '}');
}

static int put_airtimes(ml_buf *b, ml_sim *sim)
{
    int rc = put_key(b, "airtime_s", 0);
    if (!rc)
        rc = ml_buf_putc(b, '{');
    for (size_t i = 0; !rc && i < sim->n_nodes; i++) {
        rc = put_key(b, sim->nodes[i].name, i == 0);
        if (!rc)
            rc = ml_buf_printf(b, "%.3f", sim->nodes[i].airtime_s);
    }
    return rc ? rc : ml_buf_putc(b, '}');
}

static int put_nodes(ml_buf *b, ml_sim *sim)
{
    int rc = put_key(b, "nodes", 0);
    if (!rc)
        rc = ml_buf_putc(b, '[');
    for (size_t i = 0; !rc && i < sim->n_nodes; i++)
        rc = put_node(b, sim, i);
    return rc ? rc : ml_buf_putc(b, ']');
}

/* What bytes_on_wire counts beyond the engine's bytes, for the report. */
static int put_framing(ml_buf *b, const ml_sim *sim)
{
    int rns = 0, fixed = -1;
    for (size_t k = 0; k < sim->n_links; k++) {
        int f = sim->links[k].sc->p.framing;
        if (f == ML_SIM_FRAMING_RNS)
            rns = 1;
        else
            fixed = f;
    }
    int rc = put_key(b, "framing", 0);
    if (!rc)
        rc = ml_buf_printf(b, "\"engine bytes plus, per message, %s%s%s; a message longer than a packet adds a "
                           "%d B advertisement and is sent in parts of the payload MTU, each "
                           "framed so, lost parts sent again\"",
                           rns ? "a Reticulum link packet's 19 B header, 16 B IV, 32 B HMAC "
                                 "and AES padding to 16 B" : "",
                           rns && fixed >= 0 ? "; on other links " : "",
                           fixed >= 0 ? "a fixed frame overhead" : "", SIM_BULK_ADV_BYTES);
    return rc;
}

static int put_totals(ml_buf *b, ml_sim *sim, const ml_sim_result *r)
{
    double per_event = r->delivered ? (double)r->wire_bytes / (double)r->delivered : 0;
    int rc = put_u64(b, "events", r->events);
    if (!rc)
        rc = put_u64(b, "events_delivered", r->delivered);
    if (!rc)
        rc = put_u64(b, "events_sent", r->events_sent);
    if (!rc)
        rc = put_u64(b, "bytes_on_wire", r->wire_bytes);
    if (!rc)
        rc = put_u64(b, "bytes_sync", r->sync_bytes);
    if (!rc)
        rc = put_num(b, "bytes_per_event_delivered", per_event, 1);
    if (!rc)
        rc = put_u64(b, "messages", r->msgs);
    if (!rc)
        rc = put_u64(b, "bulk_messages", r->bulk_msgs);
    if (!rc)
        rc = put_u64(b, "lost_messages", r->lost_msgs);
    if (!rc)
        rc = put_u64(b, "duplicated_messages", r->dup_msgs);
    if (!rc)
        rc = put_u64(b, "corrupted_messages", r->corrupt_msgs);
    if (!rc)
        rc = put_u64(b, "oversize_messages", r->oversize);
    if (!rc)
        rc = put_airtimes(b, sim);
    if (!rc)
        rc = put_num(b, "airtime_total_s", r->airtime_s, 3);
    return rc;
}

static int put_times(ml_buf *b, const ml_sim_result *r)
{
    int rc = put_key(b, "time_to_converge_s", 0);
    if (!rc)
        rc = r->converged ? ml_buf_printf(b, "%.3f", (double)r->converged_ms / 1000.0)
                          : ml_buf_puts(b, "null");
    if (!rc)
        rc = put_num(b, "last_write_s", (double)r->last_write_ms / 1000.0, 3);
    if (!rc)
        rc = put_key(b, "converge_after_last_write_s", 0);
    if (!rc)
        rc = r->converged
                 ? ml_buf_printf(b, "%.3f", (double)(r->converged_ms - r->last_write_ms) / 1000.0)
                 : ml_buf_puts(b, "null");
    if (!rc)
        rc = put_num(b, "end_s", (double)r->end_ms / 1000.0, 3);
    if (!rc)
        rc = put_num(b, "lower_bound_s", r->lower_bound_s, 6);
    if (!rc)
        rc = put_u64(b, "lower_bound_bytes", r->lower_bound_bytes);
    if (!rc)
        rc = put_ratio(b, "converge_over_lower_bound", (double)r->converged_ms / 1000.0,
                       r->lower_bound_s, r->converged);
    if (!rc)
        rc = put_ratio(b, "airtime_over_lower_bound", r->airtime_s, r->lower_bound_s, 1);
    if (!rc)
        rc = put_key(b, "schedule_bound_s", 0);
    if (!rc)
        rc = r->schedule_bound_ms >= 0
                 ? ml_buf_printf(b, "%.3f", (double)r->schedule_bound_ms / 1000.0)
                 : ml_buf_puts(b, "null");
    if (!rc)
        rc = put_ratio(b, "converge_over_schedule_bound", (double)r->converged_ms,
                       (double)r->schedule_bound_ms, r->converged && r->schedule_bound_ms > 0);
    return rc;
}

int ml_sim_report_json(ml_sim *sim, ml_buf *out)
{
    ml_sim_result r;
    int rc = ml_sim_result_get(sim, &r);
    if (rc || !out)
        return rc ? rc : ML_EINVAL;
    rc = ml_buf_puts(out, "{\"scenario\":");
    if (!rc)
        rc = ml_json_put_str(out, sim->sc->name, strlen(sim->sc->name));
    if (!rc)
        rc = put_u64(out, "seed", sim->opts.seed);
    if (!rc)
        rc = ml_buf_printf(out, ",\"converged\":%s,\"views_identical\":%s",
                           r.converged ? "true" : "false",
                           sim->view_mismatch ? "false" : r.converged ? "true" : "null");
    if (!rc)
        rc = put_times(out, &r);
    if (!rc)
        rc = put_totals(out, sim, &r);
    if (!rc)
        rc = put_framing(out, sim);
    if (!rc)
        rc = put_nodes(out, sim);
    return rc ? rc : ml_buf_puts(out, "}");
}
