// SPDX-License-Identifier: MIT
// The simulator's link model and its randomness: a seeded PRNG (xoshiro256**
// through splitmix64), the bytes a message occupies on the air under a
// framing, airtime at a bit rate, a sliding-hour duty-cycle budget per radio,
// and the fate of one message (lost, or how long its bulk parts took). The
// numbers and their reasons are in docs/SIMULATOR.md.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "meshlog/error.h"
#include "sim_int.h"

/* ---- PRNG --------------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void sim_rng_init(sim_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t sim_rng_next(sim_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double sim_rng_unit(sim_rng *r)
{
    return (double)(sim_rng_next(r) >> 11) * 0x1.0p-53;
}

int64_t sim_rng_range(sim_rng *r, int64_t lo, int64_t hi)
{
    if (hi <= lo)
        return lo;
    uint64_t span = (uint64_t)(hi - lo) + 1;
    return lo + (int64_t)(sim_rng_next(r) % span);
}

/* ---- framing and airtime ------------------------------------------------------- */

/* A Reticulum link packet: 19 bytes of header (flags, hops, link id, context)
 * and a token of 16 bytes IV, AES-CBC ciphertext padded (PKCS7) to 16, and a
 * 32-byte HMAC. */
#define RNS_LINK_HEADER 19
#define RNS_TOKEN_FIXED 48

size_t ml_sim_framed_size(int framing, size_t n)
{
    if (framing == ML_SIM_FRAMING_RNS)
        return RNS_LINK_HEADER + RNS_TOKEN_FIXED + 16 * (n / 16 + 1);
    return n + (size_t)(framing > 0 ? framing : 0);
}

size_t ml_sim_payload_mtu(int framing, size_t mtu)
{
    size_t fixed = RNS_LINK_HEADER + RNS_TOKEN_FIXED + 1;
    if (framing == ML_SIM_FRAMING_RNS)   /* RNS's link MDU, as rns_link_mdu_for_mtu */
        return mtu > fixed + 16 ? (mtu - fixed) / 16 * 16 - 1 : 0;
    return mtu > (size_t)framing ? mtu - (size_t)framing : 0;
}

int64_t sim_airtime_ms(size_t bytes, double bitrate)
{
    return (int64_t)ceil((double)bytes * 8000.0 / bitrate);
}

/* ---- duty cycle ----------------------------------------------------------------- */

#define DUTY_WINDOW_MS 3600000LL

static void duty_expire(sim_duty *d, int64_t now)
{
    while (d->n && d->start[d->head] <= now - DUTY_WINDOW_MS) {
        d->sum -= d->len[d->head];
        d->head++;
        d->n--;
    }
}

int64_t sim_duty_allowed(sim_duty *d, int64_t now, int64_t air, double duty)
{
    if (duty >= 1)
        return now;
    duty_expire(d, now);
    double budget = duty * (double)DUTY_WINDOW_MS;
    int64_t sum = d->sum;
    /* a message longer than the whole budget goes once the window is empty */
    double need = (double)air > budget ? 0 : budget - (double)air;
    for (size_t i = 0; i < d->n && (double)sum > need; i++) {
        sum -= d->len[d->head + i];
        int64_t t = d->start[d->head + i] + DUTY_WINDOW_MS;
        if ((double)sum <= need)
            return t > now ? t : now;
    }
    return now;
}

int sim_duty_record(sim_duty *d, int64_t now, int64_t air)
{
    duty_expire(d, now);
    if (d->head && d->head + d->n == d->cap) {   /* slide back before growing */
        memmove(d->start, d->start + d->head, d->n * sizeof *d->start);
        memmove(d->len, d->len + d->head, d->n * sizeof *d->len);
        d->head = 0;
    }
    if (d->head + d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 64;
        int64_t *s = realloc(d->start, cap * sizeof *s);
        if (!s)
            return ML_ENOMEM;
        d->start = s;
        int64_t *l = realloc(d->len, cap * sizeof *l);
        if (!l)
            return ML_ENOMEM;
        d->len = l;
        d->cap = cap;
    }
    d->start[d->head + d->n] = now;
    d->len[d->head + d->n] = air;
    d->n++;
    d->sum += air;
    double share = (double)d->sum / (double)DUTY_WINDOW_MS;
    if (share > d->peak)
        d->peak = share;
    return 0;
}

void sim_duty_free(sim_duty *d)
{
    if (!d)
        return;
    free(d->start);
    free(d->len);
    memset(d, 0, sizeof *d);
}

/* ---- one message's fate ---------------------------------------------------------- */

/* Tries until one gets through (each lost with p->loss), at most
 * SIM_BULK_MAX_TRIES; returns the tries, or 0 when every one was lost. */
static int tries_until_through(const sc_profile *p, sim_rng *r)
{
    for (int t = 1; t <= SIM_BULK_MAX_TRIES; t++)
        if (sim_rng_unit(r) >= p->loss)
            return t;
    return 0;
}

/* A bulk transfer, as a Reticulum resource moves one: an advertisement, then
 * the parts; a lost part is asked for again (one round trip per round). Lost
 * as a whole only when some packet fails SIM_BULK_MAX_TRIES times. */
static void plan_bulk(const sc_profile *p, size_t pmtu, size_t len, sim_rng *r, sim_tx *out)
{
    int t = tries_until_through(p, r), rounds = t;
    out->lost = t == 0;
    out->wire_bytes = (size_t)(t ? t : SIM_BULK_MAX_TRIES) *
                      ml_sim_framed_size(p->framing, SIM_BULK_ADV_BYTES);
    for (size_t off = 0; off < len && !out->lost; off += pmtu) {
        size_t part = len - off < pmtu ? len - off : pmtu;
        t = tries_until_through(p, r);
        out->lost = t == 0;
        out->wire_bytes += (size_t)(t ? t : SIM_BULK_MAX_TRIES) *
                           ml_sim_framed_size(p->framing, part);
        out->parts++;
        if (t > rounds)
            rounds = t;
    }
    out->extra_ms = (rounds - 1) * 2 * p->latency_ms;
}

void sim_tx_plan(const sc_profile *p, size_t pmtu, size_t len, int bulk, sim_rng *r,
                 sim_tx *out)
{
    memset(out, 0, sizeof *out);
    if (bulk && pmtu) {
        plan_bulk(p, pmtu, len, r, out);
    } else {
        out->parts = 1;
        out->wire_bytes = ml_sim_framed_size(p->framing, len);
        out->lost = sim_rng_unit(r) < p->loss;
    }
    out->air_ms = sim_airtime_ms(out->wire_bytes, p->bitrate);
}
