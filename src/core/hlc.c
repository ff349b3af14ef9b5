// SPDX-License-Identifier: MIT
// Hybrid logical clock: the seed's now()/update() plus a skew bound, so one
// node with a wrong clock cannot drag every other node's clock into the future.
#include <time.h>

#include "meshlog/hlc.h"

int64_t ml_clock_system_ms(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ml_hlc_init(ml_hlc *h, ml_clock_fn fn, void *ctx)
{
    h->last.wall = 0;
    h->last.counter = 0;
    h->now_ms = fn ? fn : ml_clock_system_ms;
    h->ctx = ctx;
    h->max_skew_ms = ML_HLC_DEFAULT_MAX_SKEW_MS;
}

ml_stamp ml_hlc_now(ml_hlc *h)
{
    int64_t pt = h->now_ms(h->ctx);
    if (pt > h->last.wall) {
        h->last.wall = pt;
        h->last.counter = 0;
    } else {
        h->last.counter++;
    }
    return h->last;
}

int ml_hlc_update(ml_hlc *h, ml_stamp r)
{
    int64_t pt = h->now_ms(h->ctx);
    if (h->max_skew_ms >= 0 && r.wall > pt && r.wall - pt > h->max_skew_ms)
        return 1;
    int64_t w = h->last.wall;
    if (r.wall > w)
        w = r.wall;
    if (pt > w)
        w = pt;
    if (w == h->last.wall && w == r.wall)
        h->last.counter = (h->last.counter > r.counter ? h->last.counter : r.counter) + 1;
    else if (w == h->last.wall)
        h->last.counter++;
    else if (w == r.wall)
        h->last.counter = r.counter + 1;
    else
        h->last.counter = 0;
    h->last.wall = w;
    return 0;
}

void ml_hlc_observe(ml_hlc *h, ml_stamp s)
{
    if (s.wall > h->last.wall || (s.wall == h->last.wall && s.counter > h->last.counter))
        h->last = s;
}
