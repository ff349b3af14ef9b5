// SPDX-License-Identifier: MIT
// Internals of the simulator shared by its files: the parsed scenario
// (scenario.c), the PRNG, the workload generator (workload.c), the link model
// (link.c), the run itself (sim.c) and the report (report.c).
#ifndef MESHLOG_SIM_INT_H
#define MESHLOG_SIM_INT_H

#include <stddef.h>
#include <stdint.h>

#include "meshlog/author.h"
#include "meshlog/buf.h"
#include "meshlog/sim.h"
#include "meshlog/store.h"
#include "meshlog/sync.h"

#define SIM_NAME_MAX 32
/* Simulated time 0 is this wall time (2026-06-01 06:00 UTC): the stores'
 * clocks and the engines' `now` read SIM_EPOCH_MS + t. */
#define SIM_EPOCH_MS 1780293600000LL

/* ---- scenario ------------------------------------------------------------ */
typedef struct sc_profile {
    char name[SIM_NAME_MAX];
    char radio[SIM_NAME_MAX];  /* links on the same radio share airtime and duty */
    double bitrate;            /* bit/s */
    int64_t latency_ms;        /* propagation + processing, one way */
    size_t mtu;                /* radio packet MTU, framing included */
    double loss, dup, reorder; /* probabilities per message */
    double corrupt;            /* a hostile or broken peer: bytes flipped or cut short */
    int64_t jitter_ms;         /* largest extra delay of a reordered/duplicated message */
    double duty;               /* share of any sliding hour a radio may transmit (1: none) */
    int framing;               /* ML_SIM_FRAMING_RNS or fixed bytes per message */
} sc_profile;

enum sc_sched { SC_ALWAYS = 0, SC_EVERY, SC_RANDOM, SC_PARTITIONED };

typedef struct sc_link {
    size_t a, b;
    sc_profile p;
    enum sc_sched sched;
    int64_t every_ms, for_ms, at_ms;               /* SC_EVERY */
    int64_t up_min, up_max, down_min, down_max;    /* SC_RANDOM */
} sc_link;

typedef struct sc_write {
    size_t node;
    int64_t every_ms, jitter_ms, from_ms, until_ms;
} sc_write;

struct ml_sim_scenario {
    char name[64];
    char *desc;
    uint64_t seed;
    int64_t duration_ms;
    char (*nodes)[SIM_NAME_MAX];
    size_t n_nodes;
    sc_profile *profiles;
    size_t n_profiles;
    sc_link *links;
    size_t n_links;
    sc_write *writes;
    size_t n_writes;
    /* random partitions: every U(min, max) the nodes fall into U(gmin, gmax)
     * groups at random; a `partitioned` link is up while its ends share one */
    int64_t part_min, part_max;
    int part_gmin, part_gmax;
    ml_sync_opts sync;         /* mtu, log unset: the sim fills them per link */
};

/* ---- PRNG: xoshiro256** seeded through splitmix64 -------------------------- */
typedef struct sim_rng {
    uint64_t s[4];
} sim_rng;

/* An independent stream for (seed, stream): the link and node streams do not
 * shift when another part of the run draws more or fewer numbers. */
void sim_rng_init(sim_rng *r, uint64_t seed, uint64_t stream);
uint64_t sim_rng_next(sim_rng *r);
double sim_rng_unit(sim_rng *r);                        /* [0, 1) */
int64_t sim_rng_range(sim_rng *r, int64_t lo, int64_t hi); /* [lo, hi] */

/* ---- workload ---------------------------------------------------------------- */
typedef struct sim_records {
    char (*rid)[48];           /* every record created so far, in creation order */
    size_t n, cap;
} sim_records;

/* The next entry a field worker at `node` (display name) makes: kind and
 * canonical payload into *kind / out. `own` counts that node's records; the
 * store decides which records it already knows (for edits of others' records). */
int sim_workload_next(sim_rng *r, ml_store *s, const char *node, sim_records *all,
                      size_t *own, const char **kind, ml_buf *out);
void sim_records_free(sim_records *rs);

/* ---- link model ------------------------------------------------------------ */
/* Airtime of `bytes` on the air at bitrate, in ms, rounded up. */
int64_t sim_airtime_ms(size_t bytes, double bitrate);

/* Sliding-hour duty cycle bookkeeping of one radio. */
typedef struct sim_duty {
    int64_t *start, *len;      /* transmissions in the last hour, oldest first */
    size_t head, n, cap;
    int64_t sum;               /* airtime in the window */
    double peak;               /* highest window share seen */
} sim_duty;

/* Earliest time >= now at which `air` ms may start under `duty` (1: now). */
int64_t sim_duty_allowed(sim_duty *d, int64_t now, int64_t air, double duty);
int sim_duty_record(sim_duty *d, int64_t now, int64_t air);
void sim_duty_free(sim_duty *d);

/* How a message of len bytes crosses a link: the bytes on the air, the airtime,
 * and the extra delay from retransmitting lost bulk parts; lost when it never
 * arrives. */
typedef struct sim_tx {
    size_t wire_bytes;
    int64_t air_ms;
    int64_t extra_ms;
    int lost;
    int parts;
} sim_tx;

/* Bulk transfers: an advertisement of this many payload bytes, then parts of
 * the payload MTU, each lost part sent again (at most this many tries). */
#define SIM_BULK_ADV_BYTES 96
#define SIM_BULK_MAX_TRIES 8

void sim_tx_plan(const sc_profile *p, size_t payload_mtu, size_t len, int bulk,
                 sim_rng *r, sim_tx *out);

/* ---- the run ------------------------------------------------------------------ */
enum sim_ev_type { EV_UP, EV_DOWN, EV_WRITE, EV_ARRIVE, EV_TXDONE, EV_TICK, EV_WAKE, EV_PROGRESS };

/* Independent PRNG streams, so one part's draws never shift another's. */
#define STREAM_SCHED(i) ((1ULL << 32) + (i))
#define STREAM_LINK(i) ((2ULL << 32) + (i))
#define STREAM_KEY(i) ((3ULL << 32) + (i))
#define STREAM_WRITE(i) ((4ULL << 32) + (i))
#define STREAM_WTIME(i) ((5ULL << 32) + (i))
#define STREAM_PART ((6ULL << 32))

typedef struct sim_radio {
    char name[SIM_NAME_MAX];
    int64_t busy_until;        /* transmitting until then */
    int64_t wake_at;           /* a WAKE event is pending for then, or -1 */
    sim_duty duty;
    size_t rr;                 /* round-robin cursor over the node's links */
    double airtime_s;
    /* a message pulled from an engine that waits for duty-cycle budget */
    int held;
    size_t held_link;
    int held_side, held_flags;
    uint32_t held_epoch;
    sim_tx held_tx;
    ml_buf held_msg;
} sim_radio;

typedef struct sim_node {
    struct ml_sim *sim;
    size_t idx;
    const char *name;
    ml_author author;
    ml_store *store;
    ml_sync *sync;
    sim_rng wrng;              /* what it writes */
    size_t own_records;
    sim_radio *radios;
    size_t n_radios;
    size_t *links;             /* indices of the links it is an end of */
    size_t n_links;
    int64_t *front;            /* seq it holds of each node's feed */
    int64_t held;              /* sum of front */
    size_t *psize;             /* payload bytes of its own events, by seq - 1 */
    size_t n_psize, cap_psize;
    uint64_t written, received, msgs, sync_bytes, wire_bytes, warnings;
    double airtime_s;
    int64_t last_write;        /* its last planned write (0: only feed.open) */
} sim_node;

typedef struct sim_side {      /* one end's session over a link, and what it sent */
    ml_sync_peer *peer;
    int64_t tick_at, last_tick;
    uint64_t wire;
    double air_s;
} sim_side;

typedef struct sim_link {
    const sc_link *sc;
    size_t end[2], radio[2];   /* nodes and their radio index */
    size_t pmtu;               /* largest engine message in one packet */
    int up;
    uint32_t epoch;            /* bumped at each up and down: stale events drop */
    int64_t up_since;
    sim_side side[2];
    sim_rng rng;
    uint64_t lb_bytes;         /* payload bytes of events first delivered over it */
    int64_t (*win)[2];         /* its contact windows [from, to), in order */
    size_t n_win;
} sim_link;

typedef struct sim_ev {
    int64_t t;
    uint64_t seq;              /* ties broken by insertion order: deterministic */
    int type;
    int side;
    uint32_t epoch;
    size_t idx, radio;
    uint8_t *msg;
    size_t len;
} sim_ev;

struct ml_sim {
    const ml_sim_scenario *sc;
    ml_sim_opts opts;
    char *workdir;
    int own_workdir;
    int64_t now;
    sim_ev *heap;
    size_t n_heap, cap_heap;
    uint64_t ev_seq;
    sim_node *nodes;
    size_t n_nodes;
    sim_link *links;
    size_t n_links;
    sim_records records;
    int64_t *behind;
    uint64_t total;            /* distinct events written so far */
    size_t writes_left;
    int dirty;                 /* a frontier moved since the last convergence check */
    int stop;
    int view_mismatch;
    ml_sim_result res;
    ml_buf scratch;
};

/* report.c: the earliest time every node could hold every event on this
 * contact plan if links moved any amount of data instantly (ms). */
int64_t sim_schedule_bound(const struct ml_sim *sim);

/* sim.c: queue an event of type at t about node or link idx; the engines' log
 * callback (ctx: the sim_node). */
int sim_push(struct ml_sim *sim, int type, int64_t t, size_t idx);
void sim_engine_log(void *ctx, int level, const char *msg);

#endif
