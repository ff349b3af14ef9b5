// SPDX-License-Identifier: MIT
// libFuzzer target for the HDLC/KISS stream deframer (src/rns/framing.c).
// Input: 4 header bytes, then the byte stream. Header: [0] bit 0 = KISS,
// [1] max_len = 1 + 33 * b (up to 8416), [2] min_len = 1 + b % 32 (at most
// max_len), [3] seed of the chunk splits. The stream is fed in pseudo-random
// chunks; every packet must respect the limits, the packets must be the same
// as when the stream is fed in one piece, and re-framing a packet and
// deframing it again must give it back exactly.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meshlog/buf.h"
#include "meshlog/rns_framing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) abort(); } while (0)

typedef struct config {
    rns_framing_mode mode;
    size_t min_len, max_len;
    uint32_t seed;
} config;

/* FNV-1a over the packet sequence, with each length folded in. */
static uint64_t fold(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < sizeof n; i++)
        h = (h ^ (uint8_t)(n >> (8 * i))) * 0x100000001b3u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3u;
    return h;
}

/* The framed packet deframes, in one piece, to exactly itself. */
static void check_reframe(const config *c, const uint8_t *pkt, size_t len)
{
    ml_buf f = ML_BUF_INIT;
    rns_deframer *d = NULL;
    const uint8_t *out = NULL;
    size_t used = 0, olen = 0;
    CHECK(rns_framing_encode(&f, c->mode, pkt, len) == 0);
    CHECK(f.len <= rns_framing_encoded_max(c->mode, len));
    CHECK(rns_deframer_new(&d, c->mode, c->min_len, c->max_len) == 0);
    CHECK(rns_deframer_feed(d, f.p, f.len, &used, &out, &olen) == 1);
    CHECK(used == f.len && olen == len && memcmp(out, pkt, len) == 0);
    rns_deframer_free(d);
    ml_buf_free(&f);
}

/* Feeds the stream in chunks of 1..64 bytes (split) or all at once; returns
 * the hash of the packet sequence, *count the number of packets. */
static uint64_t deframe(const config *c, const uint8_t *s, size_t n, int split,
                        size_t *count)
{
    uint32_t seed = c->seed;
    rns_deframer *d = NULL;
    uint64_t h = 0xcbf29ce484222325u;
    CHECK(rns_deframer_new(&d, c->mode, c->min_len, c->max_len) == 0);
    *count = 0;
    for (size_t off = 0; off < n;) {
        seed = seed * 1103515245u + 12345u;
        size_t chunk = split ? 1 + (seed >> 16) % 64 : n - off;
        chunk = chunk > n - off ? n - off : chunk;
        size_t end = off + chunk;
        while (off < end) {
            const uint8_t *pkt = NULL;
            size_t used = 0, len = 0;
            int r = rns_deframer_feed(d, s + off, end - off, &used, &pkt, &len);
            CHECK((r == 0 || r == 1) && used >= 1 && used <= end - off);
            off += used;
            if (r == 0)
                continue;
            CHECK(len >= c->min_len && len <= c->max_len);
            h = fold(h, pkt, len);
            (*count)++;
            if (split)
                check_reframe(c, pkt, len);
        }
    }
    CHECK(rns_deframer_get_stats(d).packets == *count);
    rns_deframer_free(d);
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    config c;
    c.mode = (data[0] & 1) ? RNS_FRAMING_KISS : RNS_FRAMING_HDLC;
    c.max_len = 1 + (size_t)data[1] * 33;
    c.min_len = 1 + (size_t)(data[2] % 32);
    if (c.min_len > c.max_len)
        c.min_len = c.max_len;
    c.seed = data[3];
    size_t n1, n2;
    uint64_t split = deframe(&c, data + 4, size - 4, 1, &n1);
    uint64_t once = deframe(&c, data + 4, size - 4, 0, &n2);
    CHECK(split == once && n1 == n2);
    return 0;
}
