// SPDX-License-Identifier: MIT
// Hybrid logical clock (Kulkarni et al. 2014), as in the seed: stamps are
// (wall_ms, counter), never behind any stamp this node has accepted, close to
// wall time. The physical clock is injected, so tests and the simulator run
// on simulated time. A remote stamp more than max_skew_ms ahead of the local
// physical clock does not drag the clock forward (it is still stored).
#ifndef MESHLOG_HLC_H
#define MESHLOG_HLC_H

#include <stdint.h>

#include "meshlog/event.h"

typedef int64_t (*ml_clock_fn)(void *ctx);   /* physical time, ms since epoch */

#define ML_HLC_DEFAULT_MAX_SKEW_MS (3600LL * 1000)

typedef struct ml_hlc {
    ml_stamp last;
    ml_clock_fn now_ms;    /* NULL = system real-time clock */
    void *ctx;
    int64_t max_skew_ms;
} ml_hlc;

void ml_hlc_init(ml_hlc *h, ml_clock_fn fn, void *ctx);
/* System wall clock in ms. */
int64_t ml_clock_system_ms(void *ctx);
/* Stamp for a local event. */
ml_stamp ml_hlc_now(ml_hlc *h);
/* Merge a remote stamp, as the seed's update(); returns 1 (and leaves the
 * clock alone) if the stamp is beyond the skew bound, else 0. */
int ml_hlc_update(ml_hlc *h, ml_stamp remote);
/* Raise the clock to at least s without the physical-time step (used when a
 * store reopens: the clock resumes from the newest accepted stamp). */
void ml_hlc_observe(ml_hlc *h, ml_stamp s);

#endif
