// SPDX-License-Identifier: MIT
// Test helper: signed feeds built in memory, deterministically from a seed, so
// property and crash tests can make events as real authors do.
#ifndef MESHLOG_EVGEN_H
#define MESHLOG_EVGEN_H

#include <stdint.h>

#include "meshlog/author.h"
#include "meshlog/event.h"

typedef struct tu_feed {
    ml_author a;
    int64_t seq;
    ml_id head;
    ml_stamp clock;
} tu_feed;

/* A new author from the PRNG state; clock starts at wall. */
void tu_feed_init(tu_feed *f, uint64_t *rng, int64_t wall);
/* Next event of the feed (seq 1 is always feed.open with the key). The event
 * is signed when sign != 0. out must be zeroed; ml_event_clear it. */
void tu_feed_next(tu_feed *f, const char *kind, const char *payload, int sign, ml_event *out);
/* Append one W1-like random entry (create/set/note/attach) on record pool rp. */
void tu_feed_random(tu_feed *f, uint64_t *rng, int records, int sign, ml_event *out);

#endif
