// SPDX-License-Identifier: MIT
// Tests of rns_buffer.h: the writer's chunks against the Buffer vectors of
// ../shared/vectors/rns/channel.json (byte for byte, bz2 included), the
// compression tries and size limits, the decompression bound, readers on a
// channel (stream ids, EOF, refused chunks, handler order), and a stream
// between two transport cores where the listener's channel comes from its
// destination's policy (and a link without one proves no CHANNEL packet).
#include <string.h>

#include "rns_memnet.h"
#include "meshlog/rns_buffer.h"
#include "meshlog/rns_bz2.h"
#include "meshlog/rns_link.h"
#include "meshlog/rns_transport.h"

#define MT 0x0101u

static void test_vectors(void **state)
{
    json_t *file = tu_load_vectors("vectors/rns/channel.json"), *v;
    size_t i, n = 0;
    (void)state;

    json_array_foreach(json_object_get(file, "vectors"), i, v) {
        size_t len, wlen, taken = 0;
        uint8_t *pt, *w;
        int comp = -1;
        rns_envelope e;
        rns_stream_msg m;
        ml_buf msg = ML_BUF_INIT, data = ML_BUF_INIT;

        if (strcmp(rt_str(v, "kind"), "buffer"))
            continue;
        pt = tu_unhex(rt_str(json_array_get(json_object_get(v, "packets"), 0), "plaintext"), &len);
        w = tu_unhex(rt_str(v, "written_data"), &wlen);
        assert_int_equal(rns_envelope_unpack(&e, pt, len), 0);
        assert_int_equal(rns_buffer_unpack_chunk(&m, &data, e.payload, e.len), 0);
        assert_int_equal(data.len, wlen);
        assert_memory_equal(data.p, w, wlen);
        /* The writer makes the same message from the same write. */
        assert_int_equal(rns_buffer_pack_chunk(&msg, m.stream_id, m.eof, w, wlen, &taken, &comp), 0);
        assert_int_equal(taken, wlen);
        assert_int_equal(comp, m.compressed);
        assert_int_equal(msg.len, e.len);
        assert_memory_equal(msg.p, e.payload, e.len);
        ml_buf_free(&msg);
        ml_buf_free(&data);
        free(pt);
        free(w);
        n++;
    }
    assert_int_equal(n, 3);
    json_decref(file);
}

static void fill_random(uint8_t *p, size_t n, uint64_t *st)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(tu_rand(st) >> 56);
}

/* Packs one chunk and checks what it took, its flag and its content. */
static void pack_expect(const uint8_t *d, size_t len, size_t want_taken, int want_comp)
{
    ml_buf msg = ML_BUF_INIT, back = ML_BUF_INIT;
    size_t taken = 0;
    int comp = -1;
    rns_stream_msg m;

    assert_int_equal(rns_buffer_pack_chunk(&msg, 3, 0, d, len, &taken, &comp), 0);
    assert_int_equal(taken, want_taken);
    assert_int_equal(comp, want_comp);
    assert_true(msg.len - RNS_STREAM_HEADER <= RNS_STREAM_MAX_DATA_LEN);
    assert_int_equal(rns_buffer_unpack_chunk(&m, &back, msg.p, msg.len), 0);
    assert_true(m.stream_id == 3 && !m.eof && m.compressed == want_comp);
    assert_int_equal(back.len, want_taken);
    assert_memory_equal(back.p, d, want_taken);
    ml_buf_free(&msg);
    ml_buf_free(&back);
}

static void test_pack_rules(void **state)
{
    uint64_t st = tu_seed();
    size_t n = 3 * RNS_BUFFER_MAX_CHUNK_LEN + 5000;
    uint8_t *d = calloc(1, n);
    ml_buf msg = ML_BUF_INIT;
    (void)state;

    assert_non_null(d);
    /* 423 = the base link MDU (431) less the stream and envelope headers */
    assert_int_equal(RNS_STREAM_MAX_DATA_LEN, rns_link_mdu_for_mtu(500) - 8);
    /* Compressible: at most 16 KiB of input is looked at per write. */
    pack_expect(d, n, RNS_BUFFER_MAX_CHUNK_LEN, 1);
    /* 32 bytes or fewer go raw, however well they would compress. */
    pack_expect(d, 32, 32, 0);
    /* Incompressible: the first MAX_DATA_LEN bytes go raw. */
    fill_random(d, n, &st);
    pack_expect(d, n, RNS_STREAM_MAX_DATA_LEN, 0);
    pack_expect(d, 100, 100, 0);
    /* The whole piece does not compress, its first half does (try 2). */
    memset(d, 0, 8192);
    pack_expect(d, 16384, 8192, 1);
    /* Only its first third does (try 3): int(9000 / 3). */
    memset(d, 0, 3000);
    fill_random(d + 3000, 6000, &st);
    pack_expect(d, 9000, 3000, 1);
    /* The fourth try is never made: a zero quarter alone does not help. */
    memset(d, 0, 2000);
    fill_random(d + 2000, 6000, &st);
    pack_expect(d, 8000, RNS_STREAM_MAX_DATA_LEN, 0);
    /* An empty write with EOF is the stream's end. */
    assert_int_equal(rns_buffer_pack_chunk(&msg, 7, 1, NULL, 0, NULL, NULL), 0);
    tu_assert_hex(msg.p, msg.len, "8007");
    assert_int_equal(rns_buffer_pack_chunk(&msg, RNS_STREAM_ID_MAX + 1, 0, d, 1, NULL, NULL),
                     ML_EINVAL);
    assert_int_equal(msg.len, 2);
    ml_buf_free(&msg);
    free(d);
}

/* A compressed chunk with this content (header: stream 0, flags as given). */
static void bz2_chunk(ml_buf *out, const uint8_t *d, size_t n, int eof)
{
    ml_buf z = ML_BUF_INIT;

    assert_int_equal(rns_bz2_compress(&z, d, n), 0);
    assert_int_equal(rns_stream_msg_pack(out, 0, eof, 1, z.p, z.len), 0);
    ml_buf_free(&z);
}

static void test_unpack_bound(void **state)
{
    uint8_t *zero = calloc(1, RNS_BUFFER_MAX_CHUNK_LEN + 1);
    ml_buf msg = ML_BUF_INIT, data = ML_BUF_INIT, z = ML_BUF_INIT;
    rns_stream_msg m;
    (void)state;

    assert_non_null(zero);
    /* Exactly 16 KiB is legitimate; one byte more is refused, not cut. */
    bz2_chunk(&msg, zero, RNS_BUFFER_MAX_CHUNK_LEN, 0);
    assert_int_equal(rns_buffer_unpack_chunk(&m, &data, msg.p, msg.len), 0);
    assert_int_equal(data.len, RNS_BUFFER_MAX_CHUNK_LEN);
    ml_buf_reset(&msg);
    ml_buf_reset(&data);
    bz2_chunk(&msg, zero, RNS_BUFFER_MAX_CHUNK_LEN + 1, 0);
    assert_int_equal(rns_buffer_unpack_chunk(&m, &data, msg.p, msg.len), ML_ETOOBIG);
    assert_int_equal(data.len, 0);
    /* Not bz2, and an empty compressed chunk. */
    assert_int_equal(rns_buffer_unpack_chunk(&m, &data, (const uint8_t *)"\x40\x00junk", 6),
                     ML_EMALFORMED);
    assert_int_equal(rns_buffer_unpack_chunk(&m, &data, (const uint8_t *)"\x40\x00", 2),
                     ML_EMALFORMED);
    assert_int_equal(rns_buffer_unpack_chunk(&m, &data, (const uint8_t *)"\x40", 1),
                     ML_EMALFORMED);
    /* Bytes after the first bz2 stream are ignored, as BZ2Decompressor does. */
    ml_buf_reset(&msg);
    bz2_chunk(&msg, (const uint8_t *)"abc", 3, 0);
    assert_int_equal(rns_bz2_compress(&z, (const uint8_t *)"def", 3), 0);
    assert_int_equal(ml_buf_append(&msg, z.p, z.len), 0);
    assert_int_equal(rns_buffer_unpack_chunk(&m, &data, msg.p, msg.len), 0);
    assert_int_equal(data.len, 3);
    assert_memory_equal(data.p, "abc", 3);
    ml_buf_free(&msg);
    ml_buf_free(&data);
    ml_buf_free(&z);
    free(zero);
}

/* ---- readers on a channel -------------------------------------------------------------------- */

static int feed(rns_channel *ch, uint16_t type, uint16_t seq, const ml_buf *payload)
{
    ml_buf env = ML_BUF_INIT;
    int ret;

    assert_int_equal(rns_envelope_pack(&env, type, seq, payload->p, payload->len), 0);
    ret = rns_channel_receive(ch, env.p, env.len);
    ml_buf_free(&env);
    return ret;
}

static int feed_stream(rns_channel *ch, uint16_t seq, uint16_t sid, int eof, const char *s)
{
    ml_buf msg = ML_BUF_INIT;
    int ret;

    assert_int_equal(rns_stream_msg_pack(&msg, sid, eof, 0, (const uint8_t *)s, strlen(s)), 0);
    ret = feed(ch, RNS_MSGTYPE_STREAM_DATA, seq, &msg);
    ml_buf_free(&msg);
    return ret;
}

static void expect_read(rns_buffer_rx *rx, uint16_t sid, const char *want)
{
    ml_buf b = ML_BUF_INIT;

    assert_int_equal(rns_buffer_rx_available(rx, sid), (long)strlen(want));
    assert_int_equal(rns_buffer_rx_read(rx, sid, &b, 1 << 20), (long)strlen(want));
    assert_int_equal(b.len, strlen(want));
    if (b.len)
        assert_memory_equal(b.p, want, b.len);
    ml_buf_free(&b);
}

static void test_rx_on_channel(void **state)
{
    uint8_t *zero = calloc(1, 4 * RNS_BUFFER_MAX_CHUNK_LEN);
    rns_channel *ch;
    rns_buffer_rx *rx;
    rns_channel_info info;
    ml_buf msg = ML_BUF_INIT, b = ML_BUF_INIT;
    uint16_t type = 0;
    (void)state;

    assert_non_null(zero);
    assert_int_equal(rns_channel_new(&ch, 0.05, 431), 0);
    /* StreamDataMessage is a system type: not for applications. */
    assert_int_equal(rns_channel_register(ch, RNS_MSGTYPE_STREAM_DATA), ML_EINVAL);
    assert_int_equal(rns_channel_register_system(ch, MT), ML_EINVAL);
    assert_int_equal(rns_channel_send_system(ch, MT, NULL, 0, &b, NULL), ML_EINVAL);
    /* Before any reader the type is unknown: dropped, sequence unmoved. */
    assert_int_equal(feed_stream(ch, 0, 0, 0, "early"), 1);
    assert_int_equal(rns_buffer_rx_new(&rx, ch), 0);
    assert_int_equal(rns_buffer_rx_open(rx, 0), 0);
    assert_int_equal(rns_buffer_rx_open(rx, 5), 0);
    assert_int_equal(rns_buffer_rx_open(rx, 5), 0);
    assert_int_equal(rns_buffer_rx_open(rx, RNS_STREAM_ID_MAX + 1), ML_EINVAL);
    assert_int_equal(rns_buffer_rx_read(rx, 9, &b, 10), ML_ENOTFOUND);
    assert_int_equal(rns_channel_register(ch, MT), 0);

    /* Out of order across streams: each reader gets its own bytes in order. */
    assert_int_equal(feed_stream(ch, 1, 5, 0, "five"), 0);
    assert_int_equal(rns_buffer_rx_available(rx, 5), 0);
    assert_int_equal(feed_stream(ch, 0, 0, 0, "zero-a"), 0);
    assert_int_equal(feed_stream(ch, 2, 0, 0, "zero-b"), 0);
    expect_read(rx, 0, "zero-azero-b");
    expect_read(rx, 5, "five");
    /* A stream nobody reads, and an application message, are left to the
     * channel's caller. */
    assert_int_equal(feed_stream(ch, 3, 9, 0, "nine"), 0);
    ml_buf_reset(&msg);
    assert_int_equal(ml_buf_append(&msg, "app", 3), 0);
    assert_int_equal(feed(ch, MT, 4, &msg), 0);
    assert_int_equal(rns_channel_pop_message(ch, &type, &b), 1);
    assert_int_equal(type, RNS_MSGTYPE_STREAM_DATA);
    ml_buf_reset(&b);
    assert_int_equal(rns_channel_pop_message(ch, &type, &b), 1);
    assert_true(type == MT && b.len == 3);
    ml_buf_reset(&b);

    /* Compressed chunks inflate; one past the bound is refused like an
     * unpack error: dropped, the sequence stays, the refusal is recorded. */
    ml_buf_reset(&msg);
    bz2_chunk(&msg, zero, RNS_BUFFER_MAX_CHUNK_LEN, 0);
    assert_int_equal(feed(ch, RNS_MSGTYPE_STREAM_DATA, 5, &msg), 0);
    assert_int_equal(rns_buffer_rx_available(rx, 0), RNS_BUFFER_MAX_CHUNK_LEN);
    assert_int_equal(rns_buffer_rx_error(rx), 0);
    assert_null(rns_buffer_rx_error_text(rx));
    ml_buf_reset(&msg);
    bz2_chunk(&msg, zero, 4 * RNS_BUFFER_MAX_CHUNK_LEN, 1);
    assert_int_equal(feed(ch, RNS_MSGTYPE_STREAM_DATA, 6, &msg), 1);
    rns_channel_info_get(ch, &info);
    assert_true(info.next_rx_sequence == 6 && info.rx_ring == 0);
    assert_int_equal(rns_buffer_rx_error(rx), ML_ETOOBIG);
    assert_string_equal(rns_buffer_rx_error_text(rx),
                        "Decompressed buffer chunk exceeds maximum legitimate size");
    assert_int_equal(rns_buffer_rx_refused(rx), 1);
    assert_int_equal(rns_buffer_rx_eof(rx, 0), 0);
    assert_int_equal(rns_buffer_rx_available(rx, 0), RNS_BUFFER_MAX_CHUNK_LEN);
    assert_int_equal(rns_buffer_rx_read(rx, 0, &b, 100), 100);
    assert_int_equal(rns_buffer_rx_available(rx, 0), RNS_BUFFER_MAX_CHUNK_LEN - 100);
    ml_buf_reset(&b);
    assert_int_equal(rns_buffer_rx_read(rx, 0, &b, 1 << 20), RNS_BUFFER_MAX_CHUNK_LEN - 100);
    ml_buf_reset(&b);
    /* The end of a stream. */
    assert_int_equal(feed_stream(ch, 6, 0, 1, "end"), 0);
    assert_int_equal(rns_buffer_rx_eof(rx, 0), 1);
    assert_int_equal(rns_buffer_rx_eof(rx, 5), 0);
    assert_int_equal(rns_buffer_rx_eof(rx, 8), ML_ENOTFOUND);
    expect_read(rx, 0, "end");

    rns_channel_info_get(ch, &info);
    assert_int_equal(info.message_handlers, 1);
    rns_buffer_rx_free(rx);
    rns_channel_info_get(ch, &info);
    assert_int_equal(info.message_handlers, 0);
    /* Unhooked: chunks now wait for the caller. */
    assert_int_equal(feed_stream(ch, 7, 0, 0, "later"), 0);
    assert_int_equal(rns_channel_pop_message(ch, &type, &b), 1);
    ml_buf_free(&msg);
    ml_buf_free(&b);
    rns_channel_free(ch);
    free(zero);
}

/* Handlers run in order; > 0 takes the message, < 0 is passed over. */
static int g_log[8];
static size_t g_n_log;

static int h_record(void *ctx, uint16_t type, const uint8_t *d, size_t n)
{
    int rc = (int)(intptr_t)ctx;
    (void)type;
    (void)d;
    (void)n;
    g_log[g_n_log++] = rc;
    return rc;
}

static void test_handlers(void **state)
{
    rns_channel *ch;
    ml_buf m = ML_BUF_INIT, b = ML_BUF_INIT;
    (void)state;

    assert_int_equal(rns_channel_new(&ch, 0.05, 431), 0);
    assert_int_equal(rns_channel_register(ch, MT), 0);
    assert_int_equal(ml_buf_append(&m, "x", 1), 0);
    assert_int_equal(rns_channel_add_handler(ch, NULL, NULL), ML_EINVAL);
    assert_int_equal(rns_channel_add_handler(ch, h_record, (void *)(intptr_t)-1), 0);
    assert_int_equal(rns_channel_add_handler(ch, h_record, (void *)(intptr_t)0), 0);
    assert_int_equal(rns_channel_add_handler(ch, h_record, (void *)(intptr_t)1), 0);
    assert_int_equal(rns_channel_add_handler(ch, h_record, (void *)(intptr_t)2), 0);
    assert_int_equal(feed(ch, MT, 0, &m), 0);
    /* failed (-1) and declined (0) both go on; 1 takes it; 2 never runs */
    assert_int_equal(g_n_log, 3);
    assert_true(g_log[0] == -1 && g_log[1] == 0 && g_log[2] == 1);
    assert_int_equal(rns_channel_pop_message(ch, NULL, &b), 0);
    assert_int_equal(rns_channel_remove_handler(ch, h_record, (void *)(intptr_t)1), 0);
    assert_int_equal(rns_channel_remove_handler(ch, h_record, (void *)(intptr_t)1), ML_ENOTFOUND);
    g_n_log = 0;
    assert_int_equal(feed(ch, MT, 1, &m), 0);
    assert_int_equal(g_n_log, 3);
    assert_int_equal(g_log[2], 2);
    assert_int_equal(rns_channel_pop_message(ch, NULL, &b), 0);
    /* The same handler twice is one handler (the reference's list). */
    assert_int_equal(rns_channel_add_handler(ch, h_record, (void *)(intptr_t)0), 0);
    for (int i = 4; i < RNS_CHANNEL_MAX_HANDLERS + 2; i++)
        assert_int_equal(rns_channel_add_handler(ch, h_record, (void *)(intptr_t)(10 + i)),
                         i <= RNS_CHANNEL_MAX_HANDLERS ? 0 : ML_ETOOBIG);
    ml_buf_free(&m);
    ml_buf_free(&b);
    rns_channel_free(ch);
}

/* ---- two cores: the listener's channel and readers come from its policy ----------------- */

static int g_channel_events; /* CHANNEL packets reported as link events */

static void core_pump(mn_node *a, mn_node *b, double now)
{
    rns_tev ev;

    mn_move(a, b, now);
    for (mn_node *n = a; n; n = n == a ? b : NULL)
        while (rns_transport_pop_event(n->t, &ev) == 1) {
            if (ev.type == RNS_TEV_LINK && ev.link_ev.type == RNS_LINK_EV_PACKET &&
                ev.link_ev.context == RNS_CTX_CHANNEL)
                g_channel_events++;
            rns_tev_clear(&ev);
        }
}

static void link_up(mn_node *a, mn_node *b, double now, uint8_t id[RNS_HASHLEN])
{
    assert_int_equal(rns_transport_link_open(a->t, b->dest, now, id), 0);
    core_pump(a, b, now);
}

/* Writes all of d as the bridge's writer loop does, then the EOF message. */
static void stream_all(mn_node *a, mn_node *b, const uint8_t id[RNS_HASHLEN],
                       const uint8_t *d, size_t n, double *now)
{
    rns_buffer_sent s;
    size_t off = 0;
    int ret, eof_sent = 0;

    for (int guard = 0; !eof_sent && guard < 100000; guard++) {
        if (off < n)
            ret = rns_transport_buffer_write(a->t, id, 0, 0, d + off, n - off, *now, &s);
        else
            ret = rns_transport_buffer_write(a->t, id, 0, 1, NULL, 0, *now, &s);
        if (ret == ML_ESTATE) {
            *now += 0.01;
            assert_int_equal(rns_transport_tick(a->t, *now), 0);
            assert_int_equal(rns_transport_tick(b->t, *now), 0);
        } else {
            assert_int_equal(ret, 0);
            assert_true(s.taken > 0 || off == n);
            assert_true(s.bytes <= RNS_STREAM_MAX_DATA_LEN);
            eof_sent = off == n;
            off += s.taken;
        }
        core_pump(a, b, *now);
    }
    assert_true(eof_sent);
}

static void test_through_cores(void **state)
{
    mn_node a, b;
    uint8_t id1[RNS_HASHLEN], id2[RNS_HASHLEN];
    rns_chan_policy pol;
    rns_channel *ch;
    rns_channel_info info;
    rns_buffer_rx *rx;
    ml_buf got = ML_BUF_INIT;
    size_t n = 40000;
    uint8_t *d = malloc(n);
    uint16_t seq;
    double now = 1000;
    uint64_t seed = tu_seed();
    (void)state;

    assert_non_null(d);
    mn_init(&a, seed, 0, NULL);
    mn_init(&b, seed + 1, 0, NULL);
    mn_register(&a, "meshlogtest", "buf", RNS_PROVE_NONE, 1, NULL);
    mn_register(&b, "meshlogtest", "buf", RNS_PROVE_NONE, 1, NULL);
    assert_int_equal(rns_transport_announce(b.t, b.dest, now), 0);
    core_pump(&a, &b, now);

    /* No channel policy: b's link drops a's CHANNEL packet unproved. */
    link_up(&a, &b, now, id1);
    g_channel_events = 0;
    assert_int_equal(rns_transport_channel_send(a.t, id1, MT, (const uint8_t *)"x", 1, now, &seq), 0);
    core_pump(&a, &b, now);
    assert_non_null(ch = rns_transport_link_channel(a.t, id1));
    rns_channel_info_get(ch, &info);
    assert_int_equal(info.tx_ring, 1);
    assert_int_equal(g_channel_events, 0);
    assert_null(rns_transport_link_buffer(b.t, id1, 0));

    /* With a policy, a link established to b gets a channel with the wire
     * type and a reader on stream 0. */
    memset(&pol, 0, sizeof pol);
    pol.open = 1;
    pol.msgtypes[pol.n_msgtypes++] = MT;
    pol.buffer = 1;
    pol.stream_ids[pol.n_stream_ids++] = 0;
    assert_int_equal(rns_transport_set_channel_policy(b.t, a.dest, &pol), ML_ENOTFOUND);
    pol.msgtypes[0] = RNS_MSGTYPE_STREAM_DATA;
    assert_int_equal(rns_transport_set_channel_policy(b.t, b.dest, &pol), ML_EINVAL);
    pol.msgtypes[0] = MT;
    assert_int_equal(rns_transport_set_channel_policy(b.t, b.dest, &pol), 0);
    link_up(&a, &b, now, id2);
    assert_non_null(rx = rns_transport_link_buffer(b.t, id2, 0));
    assert_int_equal(rns_transport_channel_send(a.t, id2, MT, (const uint8_t *)"y", 1, now, &seq), 0);
    core_pump(&a, &b, now);
    rns_channel_info_get(rns_transport_link_channel(a.t, id2), &info);
    assert_int_equal(info.tx_ring, 0); /* proved */

    /* A compressible stream and an incompressible one, byte exact. */
    for (size_t i = 0; i < n; i++)
        d[i] = (uint8_t)("reticulum-buffer-"[i % 17]);
    stream_all(&a, &b, id2, d, n, &now);
    assert_int_equal(rns_buffer_rx_eof(rx, 0), 1);
    assert_int_equal(rns_buffer_rx_read(rx, 0, &got, n + 1), (long)n);
    assert_memory_equal(got.p, d, n);
    n = 12000; /* raw chunks of 423: enough to span many windows */
    fill_random(d, n, &seed);
    ml_buf_reset(&got);
    stream_all(&a, &b, id2, d, n, &now);
    assert_int_equal(rns_buffer_rx_read(rx, 0, &got, n + 1), (long)n);
    assert_memory_equal(got.p, d, n);
    assert_int_equal(rns_buffer_rx_error(rx), 0);
    /* One channel per link: the wire message and every chunk shared its
     * sequence space. */
    rns_channel_info_get(rns_transport_link_channel(a.t, id2), &info);
    assert_true(info.next_sequence >= 1 + 4 + n / RNS_STREAM_MAX_DATA_LEN + 1);
    assert_int_equal(g_channel_events, 0);
    /* The initiator has no reader side until asked for one. */
    assert_null(rns_transport_link_buffer(a.t, id2, 0));
    assert_non_null(rx = rns_transport_link_buffer(a.t, id2, 1));
    assert_ptr_equal(rns_transport_link_buffer(a.t, id2, 0), rx);
    assert_null(rns_transport_link_buffer(a.t, (uint8_t[RNS_HASHLEN]){0}, 1));

    ml_buf_free(&got);
    free(d);
    mn_free(&a);
    mn_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),      cmocka_unit_test(test_pack_rules),
        cmocka_unit_test(test_unpack_bound), cmocka_unit_test(test_rx_on_channel),
        cmocka_unit_test(test_handlers),     cmocka_unit_test(test_through_cores),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
