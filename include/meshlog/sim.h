// SPDX-License-Identifier: MIT
// The deterministic network simulator behind `meshlog sim`: N nodes, each with
// a real store (SQLite in a temporary directory, its clock the simulated
// time), its own author and one sync engine, joined by modelled radio links
// (bit rate, latency, MTU, loss, duplication, reordering, duty cycle, one
// transmission at a time per radio) that come and go on a schedule or at
// random. Everything random comes from one seed, so a run is reproduced
// exactly by its scenario and seed. Time is simulated (ms); a run of hours
// takes seconds. The scenario format and every figure are defined in
// docs/SIMULATOR.md.
//
// The library never prints: what happens is reported through an observer
// callback (the CLI tells the story from it) and the figures through
// ml_sim_result / ml_sim_report_json.
#ifndef MESHLOG_SIM_H
#define MESHLOG_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "meshlog/buf.h"
#include "meshlog/store.h"

typedef struct ml_sim_scenario ml_sim_scenario;
typedef struct ml_sim ml_sim;

/* ---- scenarios ------------------------------------------------------------- */
/* Parse scenario text (one directive per line, `#` comments). On error *out is
 * NULL, the return is ML_EMALFORMED (or ML_ENOMEM / ML_ETOOBIG) and err says
 * which line and why. Free with ml_sim_scenario_free. */
int ml_sim_scenario_parse(ml_sim_scenario **out, const char *text, size_t len,
                          char *err, size_t errlen);
/* Read and parse a file; ML_EIO when it cannot be read. */
int ml_sim_scenario_load(ml_sim_scenario **out, const char *path, char *err, size_t errlen);
void ml_sim_scenario_free(ml_sim_scenario *sc);
/* Name and description (never NULL; "" when absent), seed from the file
 * (0 when none), node count. */
const char *ml_sim_scenario_name(const ml_sim_scenario *sc);
const char *ml_sim_scenario_description(const ml_sim_scenario *sc);
uint64_t ml_sim_scenario_seed(const ml_sim_scenario *sc);
size_t ml_sim_scenario_nodes(const ml_sim_scenario *sc);
/* Append a few lines for people: each link profile and who is in range of
 * whom, when (one line per link, or a summary when there are many). */
int ml_sim_scenario_describe(const ml_sim_scenario *sc, ml_buf *out);

/* ---- what a run reports as it goes ------------------------------------------ */
enum ml_sim_note_kind {
    ML_SIM_LINK_UP = 0,      /* a, b: a contact begins */
    ML_SIM_LINK_DOWN,        /* a, b: it ends; moved_ab/ba, bytes, airtime filled */
    ML_SIM_PROGRESS,         /* behind[] for every node (periodic) */
    ML_SIM_CONVERGED,        /* every node holds every event */
    ML_SIM_LOG,              /* a (node), level, text: a sync engine log line */
};

typedef struct ml_sim_note {
    enum ml_sim_note_kind kind;
    int64_t t_ms;            /* simulated time since the start */
    size_t a, b;             /* node indices */
    /* LINK_DOWN: events accepted by b from a and by a from b during the contact,
     * bytes on the wire and airtime spent each way, contact length */
    uint64_t moved_ab, moved_ba, bytes_ab, bytes_ba;
    double air_ab_s, air_ba_s;
    int64_t up_ms;
    /* PROGRESS, LINK_UP/DOWN, CONVERGED: events each node lacks right now
     * (indexed by node; valid until the callback returns) */
    const int64_t *behind;
    int level;               /* LOG */
    const char *text;        /* LOG */
} ml_sim_note;

typedef void (*ml_sim_observer)(void *ctx, const ml_sim_note *n);

typedef struct ml_sim_opts {
    uint64_t seed;           /* every random draw derives from it */
    const char *workdir;     /* NULL: a new directory under $TMPDIR (or /tmp),
                                removed by ml_sim_free */
    ml_sim_observer observe; /* NULL: nothing reported */
    void *observe_ctx;
    int64_t progress_ms;     /* PROGRESS period; 0: none */
    int engine_logs;         /* forward engine log lines (LOG notes) up to this
                                level (ML_LOG_*); -1: none */
} ml_sim_opts;

/* Build the nodes (stores, authors, engines) and the contact plan. *out is
 * NULL on error; ML_EIO when the work directory cannot be made. */
int ml_sim_new(ml_sim **out, const ml_sim_scenario *sc, const ml_sim_opts *opts);
/* Run until every node holds every event (after the last scheduled write) or
 * the scenario's end. 0 when the run completed (converged or not: see
 * ml_sim_result), a negative code when a store or engine call failed. */
int ml_sim_run(ml_sim *sim);
/* Closes every store and removes a temporary work directory. NULL ok. */
void ml_sim_free(ml_sim *sim);

/* ---- figures ----------------------------------------------------------------- */
typedef struct ml_sim_node_info {
    const char *name;        /* owned by the sim */
    const char *author;      /* author id (hex), owned by the sim */
    uint64_t written;        /* events this node authored (feed.open included) */
    uint64_t received;       /* events it first got from the network */
    uint64_t msgs_sent, sync_bytes_sent, wire_bytes_sent;
    double airtime_s;        /* time its radios spent transmitting */
    double duty_peak;        /* highest share of any sliding hour spent transmitting */
    int64_t behind;          /* events it lacks at the end */
    uint64_t engine_warnings;/* engine log lines at WARN or ERROR */
} ml_sim_node_info;

typedef struct ml_sim_result {
    int converged;           /* identical frontiers and byte-identical views */
    int64_t converged_ms;    /* when (simulated), -1 if not */
    int64_t end_ms;          /* when the run stopped */
    uint64_t events;         /* distinct events */
    uint64_t delivered;      /* (node, event) first arrivals over the network */
    uint64_t msgs, sync_bytes, wire_bytes, bulk_msgs, lost_msgs, dup_msgs;
    uint64_t corrupt_msgs;   /* delivered with bytes flipped or cut short */
    uint64_t events_sent;    /* events the engines put in messages (resends included) */
    uint64_t oversize;       /* non-bulk messages over the engine's MTU (a bug) */
    double airtime_s;        /* all nodes */
    double lower_bound_s;    /* see docs/SIMULATOR.md */
    uint64_t lower_bound_bytes;
    int64_t last_write_ms;
    int64_t schedule_bound_ms;  /* earliest possible convergence on this contact
                                   plan with instant links; -1: never */
} ml_sim_result;

int ml_sim_result_get(ml_sim *sim, ml_sim_result *out);
size_t ml_sim_node_count(const ml_sim *sim);
int ml_sim_node_get(ml_sim *sim, size_t i, ml_sim_node_info *out);
/* The node's store (owned by the sim; valid until ml_sim_free), NULL if i is
 * out of range. */
ml_store *ml_sim_store(ml_sim *sim, size_t i);
/* Append the one-object JSON report (keys in docs/SIMULATOR.md) to out. */
int ml_sim_report_json(ml_sim *sim, ml_buf *out);

/* How many bytes a message of n payload bytes occupies on the air under a
 * framing (ML_SIM_FRAMING_RNS, or a fixed count of bytes >= 0), and the
 * largest payload that fits an MTU under it: the building blocks of the
 * link model, exported for the tests and the docs. */
#define ML_SIM_FRAMING_RNS (-1)
size_t ml_sim_framed_size(int framing, size_t n);
size_t ml_sim_payload_mtu(int framing, size_t mtu);

#endif
