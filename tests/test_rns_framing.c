// SPDX-License-Identifier: MIT
// Tests of HDLC/KISS framing, the stream deframer, IFAC and the hardware MTU
// table: every vector of vectors/rns/framing.json (captured from RNS 1.4.2) is
// dispatched on its kind and the run fails if any vector went unchecked; then
// truncated, oversized, short, garbage and randomised split-stream inputs.
#include "testutil.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meshlog/buf.h"
#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/rns_framing.h"
#include "meshlog/rns_ifac.h"

#define MAX_PKTS 64
#define TEST_MAX_LEN 8192

/* Packets a deframer handed out, copied. */
typedef struct pkt_list {
    size_t n;
    ml_buf pkt[MAX_PKTS];
} pkt_list;

static void list_free(pkt_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        ml_buf_free(&l->pkt[i]);
    l->n = 0;
}

/* Feeds one chunk completely, collecting every packet. */
static void feed_all(rns_deframer *d, const uint8_t *data, size_t len, pkt_list *l)
{
    size_t off = 0;
    while (off < len) {
        const uint8_t *pkt = NULL;
        size_t plen = 0, used = 0;
        int r = rns_deframer_feed(d, data + off, len - off, &used, &pkt, &plen);
        assert_true(r == 0 || r == 1);
        assert_true(used >= 1 && used <= len - off);
        off += used;
        if (r == 1) {
            assert_true(l->n < MAX_PKTS);
            ml_buf b = ML_BUF_INIT;
            assert_int_equal(ml_buf_append(&b, pkt, plen), 0);
            l->pkt[l->n++] = b;
        }
    }
}

static rns_deframer *new_deframer(rns_framing_mode mode)
{
    rns_deframer *d = NULL;
    assert_int_equal(rns_deframer_new(&d, mode, RNS_FRAME_MIN_DEFAULT, TEST_MAX_LEN), 0);
    return d;
}

static void assert_list_hex(const pkt_list *l, json_t *expected)
{
    assert_int_equal(l->n, json_array_size(expected));
    for (size_t i = 0; i < l->n; i++)
        tu_assert_hex(l->pkt[i].p, l->pkt[i].len,
                      json_string_value(json_array_get(expected, i)));
}

/* ---- vector kinds --------------------------------------------------------- */

static void check_frame(json_t *v, rns_framing_mode mode)
{
    size_t plen, flen;
    uint8_t *pkt = tu_unhex(json_string_value(json_object_get(v, "packet")), &plen);
    uint8_t *framed = tu_unhex(json_string_value(json_object_get(v, "framed")), &flen);
    ml_buf out = ML_BUF_INIT;
    assert_int_equal(rns_framing_encode(&out, mode, pkt, plen), 0);
    tu_assert_hex(out.p, out.len, json_string_value(json_object_get(v, "framed")));
    assert_true(out.len <= rns_framing_encoded_max(mode, plen));

    /* Deframe it whole and one byte at a time. */
    rns_deframer *d = new_deframer(mode);
    pkt_list l = {0};
    feed_all(d, framed, flen, &l);
    for (size_t i = 0; i < flen; i++)
        feed_all(d, framed + i, 1, &l);
    assert_int_equal(l.n, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(l.pkt[i].len, plen);
        assert_memory_equal(l.pkt[i].p, pkt, plen);
    }
    list_free(&l);
    rns_deframer_free(d);
    ml_buf_free(&out);
    free(pkt);
    free(framed);
}

static void check_stream(json_t *v, rns_framing_mode mode)
{
    json_t *chunks = json_object_get(v, "stream_chunks");
    json_t *expected = json_object_get(v, "expected_packets");
    size_t slen, i;
    uint8_t *stream = tu_unhex(json_string_value(json_object_get(v, "stream")), &slen);
    ml_buf cat = ML_BUF_INIT;
    pkt_list l = {0};
    rns_deframer *d = new_deframer(mode);
    json_t *c;
    json_array_foreach(chunks, i, c) {
        size_t clen;
        uint8_t *chunk = tu_unhex(json_string_value(c), &clen);
        feed_all(d, chunk, clen, &l);
        assert_int_equal(ml_buf_append(&cat, chunk, clen), 0);
        free(chunk);
    }
    assert_list_hex(&l, expected);
    list_free(&l);
    /* The chunks are the stream; fed at once or bytewise it gives the same. */
    assert_int_equal(cat.len, slen);
    assert_memory_equal(cat.p, stream, slen);
    for (size_t step = 1; step <= 2; step++) {
        rns_deframer_reset(d);
        for (size_t off = 0; off < slen; off += step == 1 ? slen : 1)
            feed_all(d, stream + off, step == 1 ? slen : 1, &l);
        assert_list_hex(&l, expected);
        list_free(&l);
    }
    rns_deframer_free(d);
    ml_buf_free(&cat);
    free(stream);
}

static void check_hdlc(json_t *v) { check_frame(v, RNS_FRAMING_HDLC); }
static void check_kiss(json_t *v) { check_frame(v, RNS_FRAMING_KISS); }
static void check_hdlc_stream(json_t *v) { check_stream(v, RNS_FRAMING_HDLC); }
static void check_kiss_stream(json_t *v) { check_stream(v, RNS_FRAMING_KISS); }

static void check_mtu(json_t *v)
{
    json_t *table = json_object_get(v, "table"), *row;
    size_t i;
    assert_true(json_array_size(table) >= 10);
    json_array_foreach(table, i, row) {
        json_int_t rate = json_integer_value(json_object_get(row, "bitrate"));
        json_t *mtu = json_object_get(row, "hw_mtu");
        size_t want = json_is_null(mtu) ? 0 : (size_t)json_integer_value(mtu);
        assert_true(rate > 0);
        assert_int_equal(rns_framing_autoconf_mtu((uint64_t)rate), want);
    }
}

static const char *opt_str(json_t *v, const char *key)
{
    json_t *s = json_object_get(v, key);
    assert_true(json_is_null(s) || json_is_string(s));
    return json_string_value(s);
}

static rns_ifac *ifac_from(json_t *v)
{
    rns_ifac *ifac = NULL;
    size_t size = (size_t)json_integer_value(json_object_get(v, "ifac_size"));
    assert_int_equal(rns_ifac_new(&ifac, opt_str(v, "network_name"),
                                  opt_str(v, "passphrase"), size), 0);
    assert_int_equal(rns_ifac_size(ifac), size);
    return ifac;
}

/* The origin fields document the derivation; recompute them independently. */
static void check_ifac_origin(json_t *v)
{
    const char *parts[2] = {opt_str(v, "network_name"), opt_str(v, "passphrase")};
    uint8_t origin[64], hash[32];
    size_t n = 0;
    for (int i = 0; i < 2; i++)
        if (parts[i]) {
            ml_sha256(origin + n, parts[i], strlen(parts[i]));
            n += 32;
        }
    tu_assert_hex(origin, n, json_string_value(json_object_get(v, "ifac_origin")));
    ml_sha256(hash, origin, n);
    tu_assert_hex(hash, 32, json_string_value(json_object_get(v, "ifac_origin_hash")));
}

static void assert_inbound(const rns_ifac *ifac, const uint8_t *in, size_t len, int want)
{
    ml_buf out = ML_BUF_INIT;
    assert_int_equal(rns_ifac_inbound(ifac, &out, in, len), want);
    assert_int_equal(out.len, 0);
    ml_buf_free(&out);
}

/* The masked bytes, the code and the mask in the vector agree with each other. */
static void check_ifac_mask(json_t *v, const uint8_t *pkt, size_t plen,
                            const uint8_t *masked, size_t size)
{
    size_t mlen;
    uint8_t *mask = tu_unhex(json_string_value(json_object_get(v, "mask")), &mlen);
    assert_int_equal(mlen, plen + size);
    tu_assert_hex(masked + 2, size, json_string_value(json_object_get(v, "ifac")));
    assert_int_equal((masked[0] ^ mask[0]) & 0x7f, pkt[0] & 0x7f);
    assert_int_equal(masked[1] ^ mask[1], pkt[1]);
    for (size_t i = 2 + size; i < mlen; i++)
        assert_int_equal(masked[i] ^ mask[i], pkt[i - size]);
    free(mask);
}

static void check_ifac_rejects(json_t *v, const rns_ifac *ifac, const uint8_t *pkt,
                               size_t plen, const uint8_t *masked, size_t mlen)
{
    size_t flen;
    uint8_t *flipped = tu_unhex(
        json_string_value(json_object_get(v, "rejected_example_last_byte_flipped")), &flen);
    assert_int_equal(flen, mlen);
    assert_inbound(ifac, flipped, flen, ML_EAUTH);
    assert_inbound(ifac, pkt, plen, ML_EAUTH);      /* no IFAC flag */
    assert_inbound(NULL, masked, mlen, ML_EAUTH);   /* interface without IFAC */
    assert_inbound(ifac, masked, 2 + rns_ifac_size(ifac), ML_EMALFORMED);
    /* Another passphrase on the same network name. */
    rns_ifac *other = NULL;
    const char *net = opt_str(v, "network_name");
    assert_int_equal(rns_ifac_new(&other, net ? net : "x", "another passphrase",
                                  rns_ifac_size(ifac)), 0);
    assert_inbound(other, masked, mlen, ML_EAUTH);
    /* Every single-byte change is caught. */
    for (size_t i = 0; i < mlen; i++) {
        flipped[i] = masked[i] ^ 0x01;
        memcpy(flipped, masked, i);
        memcpy(flipped + i + 1, masked + i + 1, mlen - i - 1);
        if (i == 0)
            flipped[0] |= RNS_IFAC_FLAG;
        assert_inbound(ifac, flipped, mlen, ML_EAUTH);
    }
    rns_ifac_free(other);
    free(flipped);
}

static void check_ifac(json_t *v)
{
    size_t plen, mlen;
    uint8_t key[RNS_IFAC_KEY_LEN], pub[64];
    uint8_t *pkt = tu_unhex(json_string_value(json_object_get(v, "packet")), &plen);
    uint8_t *masked = tu_unhex(json_string_value(json_object_get(v, "masked_packet")), &mlen);
    rns_ifac *ifac = ifac_from(v);
    check_ifac_origin(v);
    rns_ifac_key(ifac, key);
    tu_assert_hex(key, sizeof key, json_string_value(json_object_get(v, "ifac_key")));
    rns_ifac_public_key(ifac, pub);
    tu_assert_hex(pub, sizeof pub,
                  json_string_value(json_object_get(v, "ifac_identity_public_key")));

    ml_buf out = ML_BUF_INIT;
    assert_int_equal(rns_ifac_outbound(ifac, &out, pkt, plen), 0);
    tu_assert_hex(out.p, out.len, json_string_value(json_object_get(v, "masked_packet")));
    ml_buf_reset(&out);
    assert_int_equal(rns_ifac_inbound(ifac, &out, masked, mlen), 0);
    tu_assert_hex(out.p, out.len, json_string_value(json_object_get(v, "packet")));
    check_ifac_mask(v, pkt, plen, masked, rns_ifac_size(ifac));
    check_ifac_rejects(v, ifac, pkt, plen, masked, mlen);

    ml_buf_free(&out);
    rns_ifac_free(ifac);
    free(pkt);
    free(masked);
}

static const tu_checker kinds[] = {
    {"hdlc", check_hdlc},
    {"kiss", check_kiss},
    {"hdlc_stream", check_hdlc_stream},
    {"kiss_stream", check_kiss_stream},
    {"ifac", check_ifac},
    {"interface_mtu", check_mtu},
};

static void test_vectors(void **state)
{
    (void)state;
    json_t *file = tu_load_vectors("vectors/rns/framing.json");
    tu_check_vectors(file, kinds, sizeof kinds / sizeof kinds[0]);
    json_decref(file);
}

/* ---- edge cases ------------------------------------------------------------ */

/* A frame of n bytes of c, framed by hand with the mode's encoder. */
static void frame_fill(ml_buf *out, rns_framing_mode mode, uint8_t c, size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    memset(p, c, n);
    assert_int_equal(rns_framing_encode(out, mode, p, n), 0);
    free(p);
}

static void test_length_limits(void **state)
{
    (void)state;
    for (int m = 0; m < 2; m++) {
        rns_framing_mode mode = (rns_framing_mode)m;
        rns_deframer *d = NULL;
        assert_int_equal(rns_deframer_new(&d, mode, 20, 100), 0);
        ml_buf s = ML_BUF_INIT;
        frame_fill(&s, mode, 0x41, 19);    /* too short */
        frame_fill(&s, mode, 0x42, 20);    /* minimum */
        frame_fill(&s, mode, 0x43, 101);   /* too long */
        frame_fill(&s, mode, mode == RNS_FRAMING_HDLC ? 0x7e : 0xc0, 100); /* max, escaped */
        frame_fill(&s, mode, 0x44, 5000);  /* far too long */
        frame_fill(&s, mode, 0x45, 21);
        pkt_list l = {0};
        feed_all(d, s.p, s.len, &l);
        assert_int_equal(l.n, 3);
        assert_int_equal(l.pkt[0].len, 20);
        assert_int_equal(l.pkt[0].p[0], 0x42);
        assert_int_equal(l.pkt[1].len, 100);
        assert_int_equal(l.pkt[2].len, 21);
        rns_deframer_stats st = rns_deframer_get_stats(d);
        assert_int_equal(st.packets, 3);
        assert_int_equal(st.too_short, 1);
        assert_int_equal(st.too_long, 2);
        list_free(&l);
        ml_buf_free(&s);
        rns_deframer_free(d);
    }
}

static void test_truncated(void **state)
{
    (void)state;
    rns_deframer *d = new_deframer(RNS_FRAMING_HDLC);
    ml_buf s = ML_BUF_INIT;
    frame_fill(&s, RNS_FRAMING_HDLC, 0x7d, 30);
    pkt_list l = {0};
    /* Every proper prefix yields nothing; the last byte completes it. */
    for (size_t cut = 0; cut < s.len; cut++) {
        rns_deframer_reset(d);
        feed_all(d, s.p, cut, &l);
        assert_int_equal(l.n, 0);
        feed_all(d, s.p + cut, s.len - cut, &l);
        assert_int_equal(l.n, 1);
        assert_int_equal(l.pkt[0].len, 30);
        list_free(&l);
    }
    /* A reset drops a partial frame: its tail then reads as garbage. */
    rns_deframer_reset(d);
    feed_all(d, s.p, s.len / 2, &l);
    rns_deframer_reset(d);
    feed_all(d, s.p + s.len / 2, s.len - s.len / 2, &l);
    assert_int_equal(l.n, 0);
    ml_buf_free(&s);
    rns_deframer_free(d);
}

static void test_garbage_and_escapes(void **state)
{
    (void)state;
    rns_deframer *d = new_deframer(RNS_FRAMING_HDLC);
    pkt_list l = {0};
    uint8_t noise[4096];
    for (size_t i = 0; i < sizeof noise; i++)
        noise[i] = (uint8_t)(i * 7 + 1) == 0x7e ? 0 : (uint8_t)(i * 7 + 1);
    feed_all(d, noise, sizeof noise, &l);
    assert_int_equal(l.n, 0);

    /* HDLC: an invalid escape keeps both bytes, a dangling one stays too. */
    static const uint8_t bad[] = {0x7e, 0x7d, 0x41, 0x7d, 0x7d, 0x5e, 0x01, 0x02, 0x03,
                                  0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
                                  0x0d, 0x0e, 0x0f, 0x10, 0x7d, 0x7e};
    feed_all(d, bad, sizeof bad, &l);
    assert_int_equal(l.n, 1);
    tu_assert_hex(l.pkt[0].p, l.pkt[0].len,
                  "7d417d7e0102030405060708090a0b0c0d0e0f107d");
    list_free(&l);
    rns_deframer_free(d);

    /* KISS: the port nibble is ignored, other commands are dropped, an
     * invalid escape yields the byte, FESC FEND still ends the frame. */
    d = new_deframer(RNS_FRAMING_KISS);
    static const uint8_t kiss[] = {
        0xc0, 0x01, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc,
        0xdd, 0xee, 0xff, 0x11, 0x22, 0x33, 0x44, 0x55, 0xc0, 0xc0, 0x10, 0xdb, 0x41, 0x02,
        0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
        0x11, 0x12, 0x13, 0x14, 0xdb, 0xc0};
    feed_all(d, kiss, sizeof kiss, &l);
    assert_int_equal(l.n, 1);
    tu_assert_hex(l.pkt[0].p, l.pkt[0].len, "4102030405060708090a0b0c0d0e0f1011121314");
    rns_deframer_stats st = rns_deframer_get_stats(d);
    assert_int_equal(st.not_data, 1);
    list_free(&l);
    rns_deframer_free(d);
}

static void test_bad_args(void **state)
{
    (void)state;
    rns_deframer *d = NULL;
    ml_buf out = ML_BUF_INIT;
    assert_int_equal(rns_deframer_new(&d, RNS_FRAMING_HDLC, 0, 10), ML_EINVAL);
    assert_int_equal(rns_deframer_new(&d, RNS_FRAMING_HDLC, 11, 10), ML_EINVAL);
    assert_int_equal(rns_deframer_new(&d, RNS_FRAMING_HDLC, 1, RNS_FRAME_MAX_LIMIT + 1),
                     ML_EINVAL);
    assert_int_equal(rns_deframer_new(&d, (rns_framing_mode)7, 1, 10), ML_EINVAL);
    assert_null(d);
    assert_int_equal(rns_framing_encode(&out, (rns_framing_mode)7, NULL, 0), ML_EINVAL);
    assert_int_equal(rns_framing_encode(&out, RNS_FRAMING_HDLC, NULL, 3), ML_EINVAL);
    assert_int_equal(rns_framing_encoded_max(RNS_FRAMING_KISS, SIZE_MAX / 2), 0);
    assert_int_equal(rns_framing_encode(&out, RNS_FRAMING_HDLC, NULL, 0), 0);
    tu_assert_hex(out.p, out.len, "7e7e");
    rns_deframer_free(NULL);
    rns_deframer_reset(NULL);
    ml_buf_free(&out);
}

/* Random packets rich in special bytes, framed back to back with keepalives
 * and short junk frames between them, arrive in random chunk splits. */
static uint8_t rand_byte(uint64_t *st)
{
    static const uint8_t special[] = {0x7e, 0x7d, 0x5e, 0x5d, 0xc0, 0xdb, 0xdc, 0xdd};
    uint64_t r = tu_rand(st);
    return (r & 3) == 0 ? special[(r >> 2) % sizeof special] : (uint8_t)(r >> 8);
}

static void random_round(uint64_t *st, rns_framing_mode mode, rns_deframer *d)
{
    ml_buf stream = ML_BUF_INIT, want[MAX_PKTS];
    size_t n = 1 + (size_t)tu_rand_below(st, 20);
    for (size_t i = 0; i < n; i++) {
        size_t len = 20 + (size_t)tu_rand_below(st, 300);
        want[i] = (ml_buf)ML_BUF_INIT;
        for (size_t k = 0; k < len; k++)
            assert_int_equal(ml_buf_putc(&want[i], rand_byte(st)), 0);
        assert_int_equal(rns_framing_encode(&stream, mode, want[i].p, len), 0);
        if (tu_rand_below(st, 4) == 0)
            frame_fill(&stream, mode, rand_byte(st), (size_t)tu_rand_below(st, 20));
    }
    pkt_list l = {0};
    for (size_t off = 0; off < stream.len;) {
        size_t c = 1 + (size_t)tu_rand_below(st, 64);
        c = c > stream.len - off ? stream.len - off : c;
        feed_all(d, stream.p + off, c, &l);
        off += c;
    }
    assert_int_equal(l.n, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(l.pkt[i].len, want[i].len);
        assert_memory_equal(l.pkt[i].p, want[i].p, want[i].len);
        ml_buf_free(&want[i]);
    }
    list_free(&l);
    ml_buf_free(&stream);
}

static void test_random_streams(void **state)
{
    (void)state;
    uint64_t st = tu_seed();
    for (int m = 0; m < 2; m++) {
        rns_deframer *d = new_deframer((rns_framing_mode)m);
        for (int round = 0; round < 200; round++)
            random_round(&st, (rns_framing_mode)m, d);
        rns_deframer_free(d);
    }
}

/* Masks longer than 255 HMAC blocks (8160 bytes): the reference lets the HKDF
 * counter wrap. Packet: 08 00 then byte i = (i * 131 + 7) & 0xff; key of the
 * "meshlog-net" vectors. Hashes of the masked output were computed by running
 * RNS 1.4.2's Transport.transmit on these packets with a stub interface. */
static void test_ifac_large_packets(void **state)
{
    (void)state;
    static const struct { size_t len, size; const char *sha256; } t[] = {
        {8144, 16, "88eb916ecd3343cc83650a967534343527e118e5b7863cd7f430a2604c567670"},
        {9000, 16, "a520aa129b53f86d0722a2a2db5fc7f3824ecf239c18102c8bb80f5a3334eadb"},
        {20000, 8, "ae0bd8f4f71debb12ed74dd40b4df604c2049f0ffec16b275a166ed603f38a31"},
    };
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
        rns_ifac *ifac = NULL;
        ml_buf masked = ML_BUF_INIT, back = ML_BUF_INIT;
        uint8_t *raw = malloc(t[k].len), hash[32];
        assert_non_null(raw);
        raw[0] = 0x08;
        raw[1] = 0x00;
        for (size_t i = 0; i < t[k].len - 2; i++)
            raw[i + 2] = (uint8_t)((i * 131 + 7) & 0xff);
        assert_int_equal(rns_ifac_new(&ifac, "meshlog-net", "correct horse battery staple",
                                      t[k].size), 0);
        assert_int_equal(rns_ifac_outbound(ifac, &masked, raw, t[k].len), 0);
        assert_int_equal(masked.len, t[k].len + t[k].size);
        ml_sha256(hash, masked.p, masked.len);
        tu_assert_hex(hash, sizeof hash, t[k].sha256);
        assert_int_equal(rns_ifac_inbound(ifac, &back, masked.p, masked.len), 0);
        assert_int_equal(back.len, t[k].len);
        assert_memory_equal(back.p, raw, t[k].len);
        ml_buf_free(&masked);
        ml_buf_free(&back);
        rns_ifac_free(ifac);
        free(raw);
    }
}

static void test_ifac_bad_args(void **state)
{
    (void)state;
    rns_ifac *ifac = NULL;
    ml_buf out = ML_BUF_INIT;
    static const uint8_t pkt[] = {0x08, 0x00, 0x01};
    assert_int_equal(rns_ifac_new(&ifac, NULL, NULL, 16), ML_EINVAL);
    assert_int_equal(rns_ifac_new(&ifac, "n", NULL, 0), ML_EINVAL);
    assert_int_equal(rns_ifac_new(&ifac, "n", NULL, 65), ML_EINVAL);
    assert_null(ifac);
    assert_int_equal(rns_ifac_new(&ifac, "n", "", 64), 0);
    assert_int_equal(rns_ifac_outbound(ifac, &out, pkt, 1), ML_EINVAL);
    assert_int_equal(rns_ifac_outbound(ifac, &out, pkt, 3), 0);
    assert_int_equal(out.len, 3 + 64);
    assert_int_equal(rns_ifac_inbound(ifac, &out, NULL, 0), ML_EMALFORMED);
    /* No IFAC on the interface: packets pass unchanged, flagged ones do not. */
    ml_buf_reset(&out);
    assert_int_equal(rns_ifac_outbound(NULL, &out, pkt, 3), 0);
    assert_int_equal(rns_ifac_inbound(NULL, &out, pkt, 3), 0);
    tu_assert_hex(out.p, out.len, "080001080001");
    rns_ifac_free(ifac);
    rns_ifac_free(NULL);
    ml_buf_free(&out);
}

static void test_mtu_edges(void **state)
{
    (void)state;
    static const struct { uint64_t rate; size_t mtu; } t[] = {
        {0, 0}, {62500, 0}, {1000000, 1024}, {2000000, 2048}, {5000000, 4096},
        {100000000, 16384}, {200000000, 32768}, {200000001, 65536},
        {400000001, 131072}, {750000001, 262144}, {999999999, 262144},
        {UINT64_MAX, 524288},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        assert_int_equal(rns_framing_autoconf_mtu(t[i].rate), t[i].mtu);
}

/* The reference's KISS receive loop cuts an over-long frame to HW_MTU. */
static void test_truncate(void **state)
{
    (void)state;
    rns_deframer *d;
    uint8_t pkt[40], stream[48];
    ml_buf f = ML_BUF_INIT;
    const uint8_t *out;
    size_t used, len;

    memset(pkt, 'A', sizeof pkt);
    assert_int_equal(rns_framing_encode(&f, RNS_FRAMING_KISS, pkt, sizeof pkt), 0);
    assert_true(f.len <= sizeof stream);
    memcpy(stream, f.p, f.len);
    assert_int_equal(rns_deframer_new(&d, RNS_FRAMING_KISS, 1, 20), 0);
    /* default: dropped */
    assert_int_equal(rns_deframer_feed(d, stream, f.len, &used, &out, &len), 0);
    assert_int_equal(rns_deframer_get_stats(d).too_long, 1);
    rns_deframer_set_truncate(d, 1);
    assert_int_equal(rns_deframer_feed(d, stream, f.len, &used, &out, &len), 1);
    assert_int_equal(len, 20);
    assert_memory_equal(out, pkt, 20);
    rns_deframer_set_truncate(NULL, 1);
    rns_deframer_free(d);
    ml_buf_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_length_limits),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_garbage_and_escapes),
        cmocka_unit_test(test_bad_args),
        cmocka_unit_test(test_random_streams),
        cmocka_unit_test(test_mtu_edges),
        cmocka_unit_test(test_truncate),
        cmocka_unit_test(test_ifac_large_packets),
        cmocka_unit_test(test_ifac_bad_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
