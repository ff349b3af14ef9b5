// SPDX-License-Identifier: MIT
// libFuzzer target for the msgpack reader (src/rns/msgpack.c). Arbitrary bytes
// must never crash the reader; every item it hands out must lie inside the
// input; skip must make progress or fail without moving; and an input made of
// complete values re-encodes to a canonical form that decodes to as many
// items and re-encodes to itself.
// Containers are only headers in the item stream, so the transcoding is a flat
// loop and deeply nested input cannot exhaust the stack here either.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meshlog/buf.h"
#include "meshlog/rns_msgpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) abort(); } while (0)

static void check_item(const rns_mp_item *it, const uint8_t *data, size_t size)
{
    if (it->type == RNS_MP_STR || it->type == RNS_MP_BIN || it->type == RNS_MP_EXT) {
        CHECK(it->len <= size);
        CHECK(it->len == 0 || (it->data >= data && it->data + it->len <= data + size));
    }
}

static int put_item(ml_buf *out, const rns_mp_item *it)
{
    switch (it->type) {
    case RNS_MP_NIL: return rns_mp_put_nil(out);
    case RNS_MP_BOOL: return rns_mp_put_bool(out, it->b);
    case RNS_MP_UINT: return rns_mp_put_uint(out, it->u);
    case RNS_MP_INT: return rns_mp_put_int(out, it->i);
    case RNS_MP_FLOAT: return rns_mp_put_float(out, it->f);
    case RNS_MP_STR: return rns_mp_put_str(out, (const char *)it->data, it->len);
    case RNS_MP_BIN: return rns_mp_put_bin(out, it->data, it->len);
    case RNS_MP_ARRAY: return rns_mp_put_array(out, it->count);
    case RNS_MP_MAP: return rns_mp_put_map(out, it->count);
    case RNS_MP_EXT: return 1;   /* the encoder has no ext: stop there */
    }
    return 1;
}

/* Decodes items until the input ends or fails, re-encoding each into out.
 * Returns the number of items transcoded; *all says the input ended cleanly. */
static size_t transcode(const uint8_t *data, size_t size, ml_buf *out, int *all)
{
    rns_mp_reader r;
    rns_mp_item it;
    size_t n = 0;
    rns_mp_reader_init(&r, data, size);
    *all = 0;
    while (rns_mp_remaining(&r) > 0) {
        size_t before = rns_mp_remaining(&r);
        if (rns_mp_next(&r, &it) != 0) {
            CHECK(rns_mp_remaining(&r) == before);
            break;
        }
        CHECK(rns_mp_remaining(&r) < before);
        check_item(&it, data, size);
        if (put_item(out, &it) != 0)
            return n;
        n++;
    }
    *all = rns_mp_remaining(&r) == 0;
    return n;
}

/* Skips whole values; returns 1 when they cover the input exactly. */
static int check_skip(const uint8_t *data, size_t size)
{
    rns_mp_reader r;
    rns_mp_reader_init(&r, data, size);
    while (rns_mp_remaining(&r) > 0) {
        size_t before = r.off;
        const uint8_t *p = NULL;
        size_t len = 0;
        if (rns_mp_get_raw(&r, &p, &len) != 0) {
            CHECK(r.off == before);
            return 0;
        }
        CHECK(p == data + before && len >= 1 && r.off == before + len);
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ml_buf once = ML_BUF_INIT, twice = ML_BUF_INIT;
    int whole = check_skip(data, size), all1 = 0, all2 = 0;
    size_t n1 = transcode(data, size, &once, &all1);
    if (whole && all1) {
        size_t n2 = transcode(once.p, once.len, &twice, &all2);
        CHECK(all2 && n2 == n1 && twice.len == once.len);
        CHECK(once.len == 0 || memcmp(twice.p, once.p, once.len) == 0);
    }
    ml_buf_free(&once);
    ml_buf_free(&twice);
    return 0;
}
