// SPDX-License-Identifier: MIT
// Signed feeds for tests: see evgen.h.
#include "evgen.h"

#include <stdio.h>
#include <string.h>

#include "meshlog/buf.h"
#include "testutil.h"

void tu_feed_init(tu_feed *f, uint64_t *rng, int64_t wall)
{
    uint8_t priv[64];
    for (int i = 0; i < 64; i += 8) {
        uint64_t r = tu_rand(rng);
        memcpy(priv + i, &r, 8);
    }
    memset(f, 0, sizeof *f);
    assert_int_equal(ml_author_from_private(&f->a, priv), 0);
    f->clock.wall = wall;
}

void tu_feed_next(tu_feed *f, const char *kind, const char *payload, int sign, ml_event *out)
{
    char pub[129], open[300];
    ml_buf canon = ML_BUF_INIT;
    if (f->seq == 0) {
        ml_hex(pub, f->a.pub, 64);
        snprintf(open, sizeof open, "{\"name\":\"t-%.6s\",\"pubkey\":\"%s\"}", f->a.hex, pub);
        kind = "feed.open";
        payload = open;
        sign = 1;
    }
    out->author = strdup(f->a.hex);
    out->kind = strdup(kind);
    out->payload = strdup(payload);
    out->payload_len = strlen(payload);
    out->seq = ++f->seq;
    out->has_prev = out->seq > 1;
    out->prev = f->head;
    f->clock.counter++;
    out->hlc = f->clock;
    assert_int_equal(ml_event_canonical(out, &canon), 0);
    assert_int_equal(ml_event_seal(out, &canon), 0);
    if (sign) {
        assert_int_equal(ml_author_sign(&f->a, out->sig, canon.p, canon.len), 0);
        out->has_sig = 1;
    }
    f->head = out->id;
    ml_buf_free(&canon);
}

void tu_feed_random(tu_feed *f, uint64_t *rng, int records, int sign, ml_event *out)
{
    char payload[256];
    int rec = (int)tu_rand_below(rng, (uint64_t)records);
    const char *kind;
    f->clock.wall += (int64_t)tu_rand_below(rng, 3);   /* concurrent stamps happen */
    switch (tu_rand_below(rng, 6)) {
    case 0:
        kind = "record.create";
        snprintf(payload, sizeof payload, "{\"by\":\"%s\",\"form\":\"f%d\",\"record_id\":\"R%d\"}",
                 f->a.hex, (int)tu_rand_below(rng, 3), rec);
        break;
    case 1:
        kind = "note.add";
        snprintf(payload, sizeof payload, "{\"record_id\":\"R%d\",\"text\":\"n%llu\"}", rec,
                 (unsigned long long)tu_rand_below(rng, 1000));
        break;
    case 2:
        kind = "attachment.add";
        snprintf(payload, sizeof payload,
                 "{\"blob_hash\":\"%02x\",\"field\":\"p%d\",\"mime\":\"image/png\","
                 "\"record_id\":\"R%d\",\"size\":%d}",
                 (unsigned)tu_rand_below(rng, 4), (int)tu_rand_below(rng, 2), rec,
                 (int)tu_rand_below(rng, 100));
        break;
    default:
        kind = "field.set";
        snprintf(payload, sizeof payload, "{\"field\":\"k%d\",\"record_id\":\"R%d\",\"value\":%d}",
                 (int)tu_rand_below(rng, 4), rec, (int)tu_rand_below(rng, 100));
        break;
    }
    tu_feed_next(f, kind, payload, sign, out);
}
