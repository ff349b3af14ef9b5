// SPDX-License-Identifier: MIT
// Transport cores wired back to back in memory, for the tests of the
// sans-I/O core (test_rns_transport*.c, test_rns_linkres.c, ...): a core with
// a seeded rng and identity, one in-memory interface, a destination, the
// events it raised, and a pump that carries frames between two cores at a
// virtual time until both queues are empty. Set RNS_TEST_LOG to see the
// cores' log lines.
#ifndef MESHLOG_RNS_MEMNET_H
#define MESHLOG_RNS_MEMNET_H

#include "rns_testutil.h"

#include "meshlog/rns_ifac.h"
#include "meshlog/rns_transport.h"

#define MN_MAX_EVS 64

typedef struct mn_node {
    rns_transport *t;
    uint64_t rs;                 /* the core's PRNG state (rt_rng) */
    int ifc;                     /* its in-memory interface (mn_init) */
    rns_identity *id;
    uint8_t dest[RNS_HASHLEN];   /* the destination mn_register made */
    rns_tev evs[MN_MAX_EVS];     /* events mn_collect kept, oldest first */
    size_t n_evs;
    unsigned n_progress;         /* resource PROGRESS events: counted, not kept */
} mn_node;

/* Sees (and may rewrite) every frame mn_pass carries; from_a is 1 for frames
 * of the first core given to mn_move/mn_pump. Returning 0 drops the frame.
 * mn_core resets it to NULL. */
typedef int (*mn_tap_fn)(ml_buf *pkt, int from_a);
extern mn_tap_fn mn_tap;

/* A core without interfaces and an identity drawn from the core's PRNG. */
void mn_core(mn_node *n, uint64_t seed);
/* mn_core plus one interface "mem" (MTU 500) into n->ifc. */
void mn_init(mn_node *n, uint64_t seed, int shared, rns_ifac *ifac);
/* Registers SINGLE destination app.aspect for n->id into n->dest;
 * app_data (a string, may be NULL) goes into its announces. */
void mn_register(mn_node *n, const char *app, const char *aspect,
                 enum rns_proof_strategy proof, int accept_links, const char *app_data);
void mn_free(mn_node *n);

/* Moves the core's pending events into n->evs (beyond MN_MAX_EVS they are
 * dropped; PROGRESS events are only counted). */
void mn_collect(mn_node *n);
/* Clears the kept events. */
void mn_clear_events(mn_node *n);
/* Drops the core's pending events without keeping them. */
void mn_drain_events(mn_node *n);
/* The first kept event of a type (a link event of link_type when >= 0). */
rns_tev *mn_find_ev(mn_node *n, enum rns_tev_type type, int link_type);

/* Carries every frame `from` has queued into `to` (through mn_tap, told
 * from_a); returns how many were taken off the queue. *last_len (may be NULL)
 * gets the last frame's length. */
size_t mn_pass(mn_node *from, mn_node *to, int from_a, double now, size_t *last_len);
/* Carries frames both ways until both queues are empty; events stay queued. */
void mn_move(mn_node *a, mn_node *b, double now);
/* mn_move, then mn_collect on both. */
void mn_pump(mn_node *a, mn_node *b, double now);

#endif
