// SPDX-License-Identifier: MIT
// Tests of rns_resource.h against every vector in
// ../shared/vectors/rns/resources.json. For each transfer: the stream facts
// (random prefix and hash from their inputs, bz2 bytes, hashes, sizes), the
// advertisement (decrypted, decoded field by field, re-encoded), then the
// whole exchange driven step by step between our sender and our receiver:
// each packet the vector lists must be the next one our side queues, equal
// byte for byte as plaintext and as the raw packet (encrypted with the IV the
// vector shows), and is then fed to the other side. Every step must be
// consumed, both ends must end COMPLETE, and the receiver must hand back the
// payload and metadata. Vectors run in file order because the reference
// carries the receive window from one resource to the next on a link.
#include <string.h>

#include "rns_testutil.h"
#include "meshlog/crypto.h"
#include "meshlog/rns_bz2.h"
#include "meshlog/rns_msgpack.h"
#include "meshlog/rns_resource.h"

#define STEP_DT (1.0 / 32.0) /* the vectors' clock: 1/32 s per delivered packet */

typedef struct xfer {
    json_t *v;
    uint8_t key[64], link_id[16];
    uint32_t mtu;
    rns_resource *snd, *rcv;
    double now;
    ml_buf hashmap;  /* map hashes of parts in the order they went out */
    ml_buf stream;   /* the parts, concatenated */
    int counts[5];   /* ADV REQ part HMU PRF */
    unsigned window; /* the link's window left by the previous resource */
} xfer;

static const char *const step_names[] = {"RESOURCE_ADV", "RESOURCE_REQ", "RESOURCE part",
                                         "RESOURCE_HMU", "RESOURCE_PRF"};
static const uint8_t step_ctx[] = {RNS_CTX_RESOURCE_ADV, RNS_CTX_RESOURCE_REQ, RNS_CTX_RESOURCE,
                                   RNS_CTX_RESOURCE_HMU, RNS_CTX_RESOURCE_PRF};

static int step_kind(const char *name)
{
    for (int i = 0; i < 5; i++)
        if (strcmp(name, step_names[i]) == 0)
            return i;
    fprintf(stderr, "unknown step %s\n", name);
    fail();
    return -1;
}

/* Builds the link packet for payload (encrypting it with iv unless the
 * context is sent plain) and checks it against the step's raw bytes. */
static void check_raw(xfer *x, json_t *step, uint8_t ctx, const uint8_t *pt, size_t len)
{
    rns_packet p;
    ml_buf tok = ML_BUF_INIT, raw = ML_BUF_INIT;
    int plain = ctx == RNS_CTX_RESOURCE || ctx == RNS_CTX_RESOURCE_PRF;

    memset(&p, 0, sizeof p);
    if (!plain) {
        uint8_t iv[16];
        rt_hex_fixed(step, "iv", iv, 16);
        assert_int_equal(ml_token_encrypt(&tok, x->key, iv, pt, len), 0);
    }
    p.dest_type = RNS_DEST_LINK;
    p.packet_type = ctx == RNS_CTX_RESOURCE_PRF ? RNS_PACKET_PROOF : RNS_PACKET_DATA;
    p.context = ctx;
    memcpy(p.dest_hash, x->link_id, 16);
    p.data = plain ? pt : tok.p;
    p.data_len = plain ? len : tok.len;
    assert_int_equal(rns_packet_pack(&raw, &p), 0);
    tu_assert_hex(raw.p, raw.len, rt_str(step, "raw"));
    assert_int_equal(raw.len, rt_int(step, "length"));
    ml_buf_free(&tok), ml_buf_free(&raw);
}

/* Decode direction: the step's raw packet parses, and its token decrypts
 * to the plaintext the vector gives. */
static void check_step_decodes(xfer *x, json_t *step)
{
    rns_packet p;
    uint8_t *raw;
    rt_check_packet(step, &p, &raw);
    assert_memory_equal(p.dest_hash, x->link_id, 16);
    if (json_is_true(json_object_get(step, "encrypted"))) {
        ml_buf pt = ML_BUF_INIT;
        assert_int_equal(ml_token_decrypt(&pt, x->key, p.data, p.data_len), 0);
        tu_assert_hex(pt.p, pt.len, rt_str(step, "plaintext"));
        ml_buf_free(&pt);
    }
    free(raw);
}

static void check_req_fields(json_t *step, const uint8_t *pt, size_t len)
{
    json_t *f = json_object_get(step, "plaintext_fields"), *e;
    const char *last = json_string_value(json_object_get(f, "last_map_hash"));
    size_t off = 1, i;

    tu_assert_hex(pt, 1, rt_str(f, "hashmap_exhausted_flag"));
    if (last) {
        tu_assert_hex(pt + 1, 4, last);
        off += 4;
    } else {
        assert_true(json_is_null(json_object_get(f, "last_map_hash")));
    }
    tu_assert_hex(pt + off, 32, rt_str(f, "resource_hash"));
    off += 32;
    assert_int_equal(len - off, 4 * json_array_size(json_object_get(f, "requested_map_hashes")));
    json_array_foreach(json_object_get(f, "requested_map_hashes"), i, e)
        tu_assert_hex(pt + off + 4 * i, 4, json_string_value(e));
}

static void check_hmu_fields(json_t *step, const uint8_t *pt, size_t len)
{
    json_t *f = json_object_get(step, "plaintext_fields");
    json_t *dec = json_object_get(f, "decoded");
    assert_true(len > 32);
    tu_assert_hex(pt, 32, rt_str(f, "resource_hash"));
    tu_assert_hex(pt + 32, len - 32, rt_str(f, "msgpack"));
    rns_mp_reader rd;
    uint32_t count;
    uint64_t seg;
    const uint8_t *m;
    size_t mlen;

    assert_int_equal(json_array_size(dec), 2);
    rns_mp_reader_init(&rd, pt + 32, len - 32);
    assert_int_equal(rns_mp_get_array(&rd, &count), 0);
    assert_int_equal(count, 2);
    assert_int_equal(rns_mp_get_uint(&rd, &seg), 0);
    assert_int_equal(seg, json_integer_value(json_array_get(dec, 0)));
    assert_int_equal(rns_mp_get_bin(&rd, &m, &mlen), 0);
    tu_assert_hex(m, mlen, rt_str(json_array_get(dec, 1), "bin"));
}

static void check_part_fields(xfer *x, json_t *step, const uint8_t *d, size_t len)
{
    uint8_t r[4], full[32];
    ml_sha256_ctx c;
    rt_hex_fixed(x->v, "random_hash", r, 4);
    assert_int_equal(ml_sha256_init(&c), 0);
    assert_int_equal(ml_sha256_update(&c, d, len), 0);
    assert_int_equal(ml_sha256_update(&c, r, 4), 0);
    assert_int_equal(ml_sha256_final(&c, full), 0);
    tu_assert_hex(full, 4, rt_str(step, "map_hash"));
    /* parts go out in order in these transfers: index = parts so far */
    assert_int_equal(rt_int(step, "part_index"), x->counts[2]);
    assert_int_equal(ml_buf_append(&x->hashmap, full, 4), 0);
    assert_int_equal(ml_buf_append(&x->stream, d, len), 0);
}

static void check_prf_fields(xfer *x, json_t *step, const uint8_t *pt, size_t len)
{
    json_t *f = json_object_get(step, "fields");
    assert_int_equal(len, 64);
    tu_assert_hex(pt, len, rt_str(step, "data"));
    tu_assert_hex(pt, 32, rt_str(f, "resource_hash"));
    tu_assert_hex(pt + 32, 32, rt_str(f, "proof"));
    tu_assert_hex(pt + 32, 32, rt_str(x->v, "expected_proof"));
}

/* Every key a vector or step carries is one this test checks (or prose), so
 * a field added to the vectors cannot be skipped silently. */
static void check_keys_known(json_t *obj, const char *const *known)
{
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val) {
        size_t i;
        for (i = 0; known[i] && strcmp(known[i], key) != 0; i++)
            ;
        if (!known[i])
            fprintf(stderr, "unchecked vector field %s\n", key);
        assert_non_null(known[i]);
    }
}

static const char *const step_keys[] = {
    "step", "direction", "raw", "length", "flags", "header_type", "context_flag",
    "transport_type", "destination_type", "packet_type", "hops", "destination_hash", "context",
    "context_name", "data", "packet_hash", "truncated_packet_hash", "encrypted", "iv",
    "plaintext", "plaintext_decoded", "plaintext_fields", "part_index", "map_hash", "fields",
    NULL};

static const char *const vector_keys[] = {
    "name", "kind", "about", "link", "link_id", "derived_key", "sdu", "payload",
    "payload_length", "payload_sha256", "metadata", "metadata_prefix", "data_length",
    "data_sha256", "injected_randomness", "random_prefix_input", "random_prefix", "stream_iv",
    "random_hash_input", "random_hash", "compressed", "bz2_compressed_length",
    "stream_plaintext_length", "stream_plaintext_sha256", "encrypted_stream_length",
    "transfer_size", "total_parts", "resource_hash", "original_hash", "expected_proof",
    "hashmap", "advertisement_plaintext", "advertisement_decoded", "packet_counts", "transfer",
    "result", "stream_plaintext", "bz2_compressed", "resource_flags", NULL};

/* One step: the producing side's next queued payload is this packet. */
static void run_step(xfer *x, json_t *step)
{
    int k = step_kind(rt_str(step, "step"));
    int from_sender = strcmp(rt_str(step, "direction"), "initiator->responder") == 0;
    rns_resource *src = from_sender ? x->snd : x->rcv, *dst = from_sender ? x->rcv : x->snd;
    ml_buf out = ML_BUF_INIT;
    uint8_t ctx = 0;

    check_keys_known(step, step_keys);
    check_step_decodes(x, step);
    if (json_object_get(step, "plaintext_decoded"))
        assert_true(json_equal(json_object_get(step, "plaintext_decoded"),
                               json_object_get(x->v, "advertisement_decoded")));
    assert_int_equal(rns_resource_pop(src, &ctx, &out), 1);
    assert_int_equal(ctx, step_ctx[k]);
    assert_int_equal(from_sender, k == 0 || k == 2 || k == 3);
    check_raw(x, step, ctx, out.p, out.len);
    if (k == 1)
        check_req_fields(step, out.p, out.len);
    else if (k == 2)
        check_part_fields(x, step, out.p, out.len);
    else if (k == 3)
        check_hmu_fields(step, out.p, out.len);
    else if (k == 4)
        check_prf_fields(x, step, out.p, out.len);
    x->now += STEP_DT;
    if (k == 0) {
        assert_null(x->rcv);
        assert_int_equal(rns_resource_accept(&x->rcv, x->key, x->mtu, out.p, out.len, x->window,
                                             x->now), 0);
    } else {
        assert_int_equal(rns_resource_input(dst, ctx, out.p, out.len, x->now), 0);
    }
    x->counts[k]++;
    ml_buf_free(&out);
}

static void check_bin_field(json_t *dec, const char *k, const uint8_t *p, size_t len)
{
    tu_assert_hex(p, len, rt_str(json_object_get(dec, k), "bin"));
}

/* The advertisement: decoded field by field, and re-encoded to the same bytes. */
static void check_advertisement(xfer *x)
{
    json_t *dec = json_object_get(x->v, "advertisement_decoded");
    size_t len, sdu = (size_t)rt_int(x->v, "sdu");
    uint8_t *pt = rt_hex(x->v, "advertisement_plaintext", &len);
    rns_resource_adv a;
    ml_buf b = ML_BUF_INIT;

    assert_int_equal(rns_resource_sdu(x->mtu), sdu);
    assert_int_equal(rns_resource_adv_unpack(&a, pt, len, sdu), 0);
    assert_int_equal(a.t, rt_int(dec, "t"));
    assert_int_equal(a.d, rt_int(dec, "d"));
    assert_int_equal(a.n, rt_int(dec, "n"));
    assert_int_equal(a.i, rt_int(dec, "i"));
    assert_int_equal(a.l, rt_int(dec, "l"));
    assert_int_equal(a.f, rt_int(dec, "f"));
    check_bin_field(dec, "h", a.h, 32);
    check_bin_field(dec, "r", a.r, 4);
    check_bin_field(dec, "o", a.o, 32);
    check_bin_field(dec, "m", a.m, a.m_len);
    assert_true(json_is_null(json_object_get(dec, "q")));
    assert_null(a.q);
    assert_int_equal(json_object_size(dec), 11);
    assert_int_equal(rns_resource_adv_pack(&b, &a), 0);
    tu_assert_hex(b.p, b.len, rt_str(x->v, "advertisement_plaintext"));
    /* every shorter prefix is refused */
    for (size_t cut = 0; cut < len; cut++)
        assert_int_equal(rns_resource_adv_unpack(&a, pt, cut, sdu), ML_EMALFORMED);
    ml_buf_free(&b);
    free(pt);
}

static void check_sha_of_input(json_t *v, const char *in_key, const char *out_key)
{
    size_t len;
    uint8_t *in = rt_hex(v, in_key, &len), h[32];
    ml_sha256(h, in, len);
    tu_assert_hex(h, 4, rt_str(v, out_key));
    free(in);
}

/* injected_randomness lists, in order of use: the prefix input, the stream
 * IV, the random hash input. */
static void check_randomness(json_t *v)
{
    static const char *const kinds[] = {"random_hash_input", "token_iv", "random_hash_input"};
    static const char *const fields[] = {"random_prefix_input", "stream_iv", "random_hash_input"};
    json_t *inj = json_object_get(v, "injected_randomness"), *e;
    size_t i;
    assert_int_equal(json_array_size(inj), 3);
    json_array_foreach(inj, i, e) {
        assert_string_equal(rt_str(e, "kind"), kinds[i]);
        assert_string_equal(rt_str(e, "hex"), rt_str(v, fields[i]));
    }
}

/* The metadata the vector shows decoded is the msgpack map of the prefix. */
static void check_metadata(json_t *v, const uint8_t *pre, size_t prelen)
{
    json_t *meta = json_object_get(v, "metadata"), *val;
    rns_mp_reader rd;
    uint32_t count;

    if (json_is_null(meta)) {
        assert_int_equal(prelen, 0);
        return;
    }
    assert_true(prelen > 3);
    assert_int_equal(((size_t)pre[0] << 16 | (size_t)pre[1] << 8 | pre[2]), prelen - 3);
    rns_mp_reader_init(&rd, pre + 3, prelen - 3);
    assert_int_equal(rns_mp_get_map(&rd, &count), 0);
    assert_int_equal(count, json_object_size(meta));
    for (uint32_t i = 0; i < count; i++) {
        const char *k, *sv;
        size_t kl, sl;
        char key[64];
        assert_int_equal(rns_mp_get_str(&rd, &k, &kl), 0);
        assert_int_equal(rns_mp_get_str(&rd, &sv, &sl), 0);
        assert_true(kl < sizeof key);
        memcpy(key, k, kl);
        key[kl] = '\0';
        val = json_object_get(meta, key);
        assert_non_null(val);
        assert_int_equal(sl, strlen(json_string_value(val)));
        assert_memory_equal(sv, json_string_value(val), sl);
    }
    assert_int_equal(rns_mp_remaining(&rd), 0);
}

/* Facts about the stream that do not depend on our state machines. */
static void check_stream_facts(xfer *x, const uint8_t *data, size_t dlen)
{
    json_t *v = x->v;
    uint8_t h[32];
    ml_buf bz = ML_BUF_INIT;

    check_keys_known(v, vector_keys);
    check_randomness(v);
    check_sha_of_input(v, "random_prefix_input", "random_prefix");
    check_sha_of_input(v, "random_hash_input", "random_hash");
    ml_sha256(h, data, dlen);
    tu_assert_hex(h, 32, rt_str(v, "data_sha256"));
    assert_int_equal(dlen, rt_int(v, "data_length"));
    assert_int_equal(rns_bz2_compress(&bz, data, dlen), 0);
    assert_int_equal(bz.len, rt_int(v, "bz2_compressed_length"));
    if (json_object_get(v, "bz2_compressed"))
        tu_assert_hex(bz.p, bz.len, rt_str(v, "bz2_compressed"));
    assert_int_equal(json_is_true(json_object_get(v, "compressed")), bz.len < dlen);
    ml_buf_free(&bz);
}

/* After the exchange: the parts form the encrypted stream of the vector. */
static void check_stream_after(xfer *x)
{
    json_t *v = x->v;
    ml_buf pt = ML_BUF_INIT;
    uint8_t h[32];

    tu_assert_hex(x->hashmap.p, x->hashmap.len, rt_str(v, "hashmap"));
    assert_int_equal(x->stream.len, rt_int(v, "encrypted_stream_length"));
    assert_int_equal(x->stream.len, rt_int(v, "transfer_size"));
    tu_assert_hex(x->stream.p, 16, rt_str(v, "stream_iv"));
    assert_int_equal(ml_token_decrypt(&pt, x->key, x->stream.p, x->stream.len), 0);
    assert_int_equal(pt.len, rt_int(v, "stream_plaintext_length"));
    ml_sha256(h, pt.p, pt.len);
    tu_assert_hex(h, 32, rt_str(v, "stream_plaintext_sha256"));
    if (json_object_get(v, "stream_plaintext"))
        tu_assert_hex(pt.p, pt.len, rt_str(v, "stream_plaintext"));
    tu_assert_hex(pt.p, 4, rt_str(v, "random_prefix"));
    ml_buf_free(&pt);
}

static void check_counts(xfer *x)
{
    json_t *pc = json_object_get(x->v, "packet_counts"), *n;
    const char *key;
    int total = 0;
    json_object_foreach(pc, key, n) {
        int k = step_kind(key);
        assert_int_equal(x->counts[k], json_integer_value(n));
        total += (int)json_integer_value(n);
    }
    assert_int_equal(total, (int)json_array_size(json_object_get(x->v, "transfer")));
    assert_int_equal(x->counts[0], 1);
    assert_int_equal(x->counts[4], 1);
}

static void check_results(xfer *x, const uint8_t *payload, size_t plen, const uint8_t *meta,
                          size_t mlen)
{
    json_t *res = json_object_get(x->v, "result");
    const uint8_t *d, *m;
    size_t dl, ml;

    assert_string_equal(rt_str(res, "sender_status"), "COMPLETE");
    assert_string_equal(rt_str(res, "receiver_status"), "COMPLETE");
    assert_true(json_is_true(json_object_get(res, "received_payload_matches")));
    assert_int_equal(rns_resource_status(x->snd), RNS_RESOURCE_COMPLETE);
    assert_int_equal(rns_resource_status(x->rcv), RNS_RESOURCE_COMPLETE);
    assert_int_equal(rns_resource_data(x->rcv, &d, &dl, &m, &ml), 0);
    assert_int_equal(dl, plen);
    assert_memory_equal(d, payload, plen);
    assert_int_equal(ml, mlen);
    if (mlen)
        assert_memory_equal(m, meta, mlen);
    tu_assert_hex(rns_resource_hash(x->rcv), 32, rt_str(x->v, "resource_hash"));
    tu_assert_hex(rns_resource_hash(x->snd), 32, rt_str(x->v, "original_hash"));
    tu_assert_hex(&(uint8_t){rns_resource_flags(x->snd)}, 1, rt_str(x->v, "resource_flags"));
    assert_int_equal(rns_resource_parts(x->rcv), rt_int(x->v, "total_parts"));
    /* nothing left to send, and nothing more accepted */
    {
        uint8_t ctx;
        ml_buf b = ML_BUF_INIT;
        assert_int_equal(rns_resource_pop(x->snd, &ctx, &b), 0);
        assert_int_equal(rns_resource_pop(x->rcv, &ctx, &b), 0);
        assert_int_equal(rns_resource_input(x->rcv, RNS_CTX_RESOURCE, d, 1, x->now), ML_ESTATE);
    }
}

/* data = [len24 || metadata] || payload, as the vector gives its parts. */
static void run_vector(json_t *file, json_t *v, unsigned *window)
{
    json_t *link = json_object_get(json_object_get(file, "links"), rt_str(v, "link")), *step;
    size_t plen, prelen, i;
    uint8_t *payload = rt_hex(v, "payload", &plen), *pre = rt_hex(v, "metadata_prefix", &prelen);
    rns_resource_send_params sp;
    ml_buf data = ML_BUF_INIT;
    xfer x;

    memset(&x, 0, sizeof x);
    x.v = v;
    x.window = *window;
    x.mtu = (uint32_t)rt_int(link, "mtu");
    rt_hex_fixed(v, "derived_key", x.key, 64);
    rt_hex_fixed(v, "link_id", x.link_id, 16);
    tu_assert_hex(x.key, 64, rt_str(link, "derived_key"));
    assert_int_equal(plen, rt_int(v, "payload_length"));
    assert_int_equal(ml_buf_append(&data, pre, prelen), 0);
    assert_int_equal(ml_buf_append(&data, payload, plen), 0);
    check_stream_facts(&x, data.p, data.len);
    check_metadata(v, pre, prelen);
    {
        uint8_t h[32];
        ml_sha256(h, payload, plen);
        tu_assert_hex(h, 32, rt_str(v, "payload_sha256"));
    }
    check_advertisement(&x);

    memset(&sp, 0, sizeof sp);
    sp.key = x.key;
    sp.link_mtu = x.mtu;
    sp.data = payload;
    sp.len = plen;
    sp.metadata = prelen ? pre + 3 : NULL;
    sp.metadata_len = prelen ? prelen - 3 : 0;
    sp.auto_compress = 1;
    rt_hex_fixed(v, "random_prefix", sp.random_prefix, 4);
    rt_hex_fixed(v, "random_hash", sp.random_hash, 4);
    rt_hex_fixed(v, "stream_iv", sp.iv, 16);
    assert_int_equal(rns_resource_send(&x.snd, &sp, x.now), 0);
    tu_assert_hex(rns_resource_hash(x.snd), 32, rt_str(v, "resource_hash"));

    json_array_foreach(json_object_get(v, "transfer"), i, step) {
        if (i == 0)
            assert_string_equal(rt_str(step, "step"), "RESOURCE_ADV");
        run_step(&x, step);
    }
    check_counts(&x);
    check_stream_after(&x);
    check_results(&x, payload, plen, prelen ? pre + 3 : NULL, prelen ? prelen - 3 : 0);
    *window = rns_resource_window(x.rcv);

    rns_resource_free(x.snd), rns_resource_free(x.rcv);
    ml_buf_free(&x.hashmap), ml_buf_free(&x.stream), ml_buf_free(&data);
    free(payload), free(pre);
}

static void test_vectors(void **state)
{
    json_t *file = tu_load_vectors("vectors/rns/resources.json"), *v;
    unsigned window_a = 0, window_b = 0;
    size_t i;
    int seen = 0;
    (void)state;

    json_array_foreach(json_object_get(file, "vectors"), i, v) {
        int on_a = strcmp(rt_str(v, "link"), "A") == 0;
        assert_string_equal(rt_str(v, "kind"), "resource");
        fprintf(stderr, "resource vector %s\n", rt_str(v, "name"));
        run_vector(file, v, on_a ? &window_a : &window_b);
        seen++;
    }
    assert_int_equal(seen, 6);
    json_decref(file);
}

/* A sender of n bytes over MTU 500 and a receiver of its (maybe altered)
 * advertisement. */
static void make_pair(rns_resource **snd, rns_resource **rcv, size_t n, void (*alter)(rns_resource_adv *))
{
    static uint8_t key[64], payload[4000];
    rns_resource_send_params sp;
    rns_resource_adv a;
    ml_buf adv = ML_BUF_INIT, re = ML_BUF_INIT;
    uint8_t ctx;

    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(i * 2654435761u >> 13);
    memset(key, 7, sizeof key);
    memset(&sp, 0, sizeof sp);
    sp.key = key;
    sp.link_mtu = 500;
    sp.data = payload;
    sp.len = n;
    memcpy(sp.random_hash, "\x01\x02\x03\x04", 4);
    assert_int_equal(rns_resource_send(snd, &sp, 0), 0);
    assert_int_equal(rns_resource_pop(*snd, &ctx, &adv), 1);
    assert_int_equal(ctx, RNS_CTX_RESOURCE_ADV);
    assert_int_equal(rns_resource_adv_unpack(&a, adv.p, adv.len, rns_resource_sdu(500)), 0);
    if (alter)
        alter(&a);
    assert_int_equal(rns_resource_adv_pack(&re, &a), 0);
    assert_int_equal(rns_resource_accept(rcv, key, 500, re.p, re.len, 0, 0), 0);
    ml_buf_free(&adv), ml_buf_free(&re);
}

/* Moves every queued payload from one side to the other; returns the last
 * input's result. */
static int pump(rns_resource *from, rns_resource *to)
{
    ml_buf b = ML_BUF_INIT;
    uint8_t ctx;
    int ret = 0;
    while (rns_resource_pop(from, &ctx, &b) == 1) {
        ret = rns_resource_input(to, ctx, b.p, b.len, 1);
        ml_buf_reset(&b);
    }
    ml_buf_free(&b);
    return ret;
}

static void grow_d(rns_resource_adv *a)
{
    a->d += 1;
}

static void test_round_trip_and_corrupt(void **state)
{
    rns_resource *s = NULL, *r = NULL;
    const uint8_t *d;
    size_t dl;
    (void)state;

    make_pair(&s, &r, 4000, NULL);
    for (int i = 0; i < 10 && rns_resource_status(r) != RNS_RESOURCE_COMPLETE; i++) {
        assert_int_equal(pump(r, s), 0);
        assert_int_equal(pump(s, r), 0);
    }
    assert_int_equal(rns_resource_data(r, &d, &dl, NULL, NULL), 0);
    assert_int_equal(dl, 4000);
    assert_int_equal(pump(r, s), 0);
    assert_int_equal(rns_resource_status(s), RNS_RESOURCE_COMPLETE);
    rns_resource_free(s), rns_resource_free(r);

    /* an advertisement lying about d: the data fails its check */
    s = r = NULL;
    make_pair(&s, &r, 1000, grow_d);
    assert_int_equal(pump(r, s), 0);
    assert_int_equal(pump(s, r), ML_ECORRUPT);
    assert_int_equal(rns_resource_status(r), RNS_RESOURCE_CORRUPT);
    assert_int_equal(rns_resource_data(r, &d, &dl, NULL, NULL), ML_ESTATE);
    assert_int_equal(rns_resource_input(r, RNS_CTX_RESOURCE, d, 0, 1), ML_ESTATE);
    rns_resource_free(s), rns_resource_free(r);
}

static void test_refusals(void **state)
{
    rns_resource *s = NULL, *r = NULL;
    uint8_t req[64] = {0}, bad[80];
    ml_buf b = ML_BUF_INIT;
    rns_resource_adv a;
    (void)state;

    make_pair(&s, &r, 2000, NULL);
    /* sender: bad flag, short, another resource, misaligned, wrong proof */
    assert_int_equal(rns_resource_input(s, RNS_CTX_RESOURCE_REQ, req, 0, 0), ML_EMALFORMED);
    req[0] = 0x17;
    assert_int_equal(rns_resource_input(s, RNS_CTX_RESOURCE_REQ, req, 33, 0), ML_EMALFORMED);
    req[0] = 0;
    assert_int_equal(rns_resource_input(s, RNS_CTX_RESOURCE_REQ, req, 20, 0), ML_EMALFORMED);
    assert_int_equal(rns_resource_input(s, RNS_CTX_RESOURCE_REQ, req, 33, 0), ML_EINVAL);
    memcpy(req + 1, rns_resource_hash(s), 32);
    assert_int_equal(rns_resource_input(s, RNS_CTX_RESOURCE_REQ, req, 35, 0), ML_EMALFORMED);
    memcpy(bad, rns_resource_hash(s), 32);
    memset(bad + 32, 0, 32);
    assert_int_equal(rns_resource_input(s, RNS_CTX_RESOURCE_PRF, bad, 64, 0), ML_EBADID);
    assert_int_equal(rns_resource_input(s, RNS_CTX_RESOURCE_PRF, bad, 63, 0), ML_EMALFORMED);
    assert_int_equal(rns_resource_input(s, RNS_CTX_RESOURCE_HMU, bad, 64, 0), ML_EINVAL);
    /* exhausted, naming a map hash that is not a segment end: a sequencing
     * error that cancels the transfer */
    req[0] = 0xff;
    memcpy(req + 5, rns_resource_hash(s), 32);
    assert_int_equal(rns_resource_input(s, RNS_CTX_RESOURCE_REQ, req, 37, 0), 0);
    assert_int_equal(rns_resource_status(s), RNS_RESOURCE_FAILED);
    /* receiver: HMU for another resource, truncated, segment out of range */
    memset(bad, 0, sizeof bad);
    assert_int_equal(rns_resource_input(r, RNS_CTX_RESOURCE_HMU, bad, 40, 0), ML_EINVAL);
    memcpy(bad, rns_resource_hash(r), 32);
    assert_int_equal(rns_resource_input(r, RNS_CTX_RESOURCE_HMU, bad, 31, 0), ML_EMALFORMED);
    memcpy(bad + 32, "\x92\x05\xc4\x04" "abcd", 8);
    assert_int_equal(rns_resource_input(r, RNS_CTX_RESOURCE_HMU, bad, 40, 0), ML_EMALFORMED);
    memcpy(bad + 32, "\x92\x00\xc4\x03" "abc", 7);
    assert_int_equal(rns_resource_input(r, RNS_CTX_RESOURCE_HMU, bad, 39, 0), ML_EMALFORMED);
    assert_int_equal(rns_resource_input(r, RNS_CTX_RESOURCE_REQ, bad, 39, 0), ML_EINVAL);
    /* a part nobody asked for is ignored */
    assert_int_equal(rns_resource_input(r, RNS_CTX_RESOURCE, bad, 40, 0), 0);
    rns_resource_free(s), rns_resource_free(r);

    /* advertisements with impossible sizes */
    memset(&a, 0, sizeof a);
    a.t = 64, a.d = 10, a.n = 1, a.i = a.l = 1, a.f = RNS_RESOURCE_F_ENCRYPTED;
    a.m = (const uint8_t *)"abcd", a.m_len = 4;
    assert_int_equal(rns_resource_adv_pack(&b, &a), 0);
    assert_int_equal(rns_resource_adv_unpack(&a, b.p, b.len, 464), 0);
    assert_int_equal(rns_resource_adv_unpack(&a, b.p, b.len, 0), ML_EMALFORMED);
    /* n is derived from t and the SDU, whatever the advertisement says */
    ml_buf_reset(&b);
    a.n = 7;
    assert_int_equal(rns_resource_adv_pack(&b, &a), 0);
    assert_int_equal(rns_resource_adv_unpack(&a, b.p, b.len, 464), 0);
    assert_int_equal(a.n, 1);
    static const struct { uint64_t t; uint32_t n, i, l; uint8_t f; size_t m_len; } cases[] = {
        {RNS_RESOURCE_MAX_TRANSFER + 1, 6780, 1, 1, 1, 4}, /* too large */
        {60, 1, 1, 1, 1, 4},     /* not a token length */
        {32, 1, 1, 1, 1, 4},     /* shorter than a token */
        {64, 1, 2, 1, 1, 4},     /* i > l */
        {64, 1, 0, 1, 1, 4},     /* i = 0 */
        {64, 1, 1, 1, 0, 4},     /* not encrypted */
        {64, 1, 1, 1, 1, 0},     /* no map hashes */
        {64, 1, 1, 1, 1, 8},     /* more map hashes than parts */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rns_resource_adv c = a;
        c.t = cases[i].t, c.n = cases[i].n, c.i = cases[i].i, c.l = cases[i].l;
        c.f = cases[i].f, c.m = (const uint8_t *)"abcdefgh", c.m_len = cases[i].m_len;
        ml_buf_reset(&b);
        assert_int_equal(rns_resource_adv_pack(&b, &c), 0);
        assert_int_equal(rns_resource_adv_unpack(&c, b.p, b.len, 464), ML_EMALFORMED);
        assert_int_equal(rns_resource_accept(&r, bad, 500, b.p, b.len, 0, 0), ML_EMALFORMED);
    }
    /* trailing byte, and a duplicate key in place of another */
    ml_buf_reset(&b);
    assert_int_equal(rns_resource_adv_pack(&b, &a), 0);
    assert_int_equal(ml_buf_putc(&b, 0xc0), 0);
    assert_int_equal(rns_resource_adv_unpack(&a, b.p, b.len, 464), ML_EMALFORMED);
    b.len--;
    b.p[1 + 1] = 'd'; /* key "t" becomes a second "d" */
    assert_int_equal(rns_resource_adv_unpack(&a, b.p, b.len, 464), ML_EMALFORMED);
    ml_buf_free(&b);
}

/* Runs a whole transfer between a sender and a receiver; returns the
 * number of HMU payloads that went by. */
static int transfer(const rns_resource_send_params *sp, rns_resource **snd, rns_resource **rcv)
{
    ml_buf b = ML_BUF_INIT;
    uint8_t ctx;
    double now = 0;
    int hmus = 0, moved = 1;

    assert_int_equal(rns_resource_send(snd, sp, now), 0);
    assert_int_equal(rns_resource_pop(*snd, &ctx, &b), 1);
    assert_int_equal(rns_resource_accept(rcv, sp->key, sp->link_mtu, b.p, b.len, 0, now), 0);
    while (moved) {
        moved = 0;
        for (int side = 0; side < 2; side++) {
            rns_resource *from = side ? *rcv : *snd, *to = side ? *snd : *rcv;
            ml_buf_reset(&b);
            while (rns_resource_pop(from, &ctx, &b) == 1) {
                now += STEP_DT;
                hmus += ctx == RNS_CTX_RESOURCE_HMU;
                assert_int_equal(rns_resource_input(to, ctx, b.p, b.len, now), 0);
                ml_buf_reset(&b);
                moved = 1;
            }
        }
    }
    ml_buf_free(&b);
    return hmus;
}

static void test_large_request_metadata(void **state)
{
    static uint8_t key[64], payload[80000], qid[16] = {9, 8, 7};
    static const uint8_t meta[] = {0x81, 0xa1, 'k', 0x01}; /* {"k": 1} */
    rns_resource_send_params sp;
    rns_resource *s = NULL, *r = NULL;
    const uint8_t *d, *m;
    size_t dl, ml;
    uint64_t st = 42;
    (void)state;

    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)tu_rand(&st);
    memset(&sp, 0, sizeof sp);
    sp.key = key;
    sp.link_mtu = 500;
    sp.data = payload;
    sp.len = sizeof payload;
    sp.metadata = meta;
    sp.metadata_len = sizeof meta;
    sp.auto_compress = 1;
    sp.request_id = qid;
    sp.request_id_len = sizeof qid;
    sp.is_response = 1;
    /* 173 parts: the receiver needs two hashmap updates */
    assert_int_equal(transfer(&sp, &s, &r), 2);
    assert_int_equal(rns_resource_status(s), RNS_RESOURCE_COMPLETE);
    assert_int_equal(rns_resource_flags(r), RNS_RESOURCE_F_ENCRYPTED | RNS_RESOURCE_F_RESPONSE |
                                                RNS_RESOURCE_F_METADATA);
    assert_int_equal(rns_resource_data(r, &d, &dl, &m, &ml), 0);
    assert_int_equal(dl, sizeof payload);
    assert_memory_equal(d, payload, dl);
    assert_int_equal(ml, sizeof meta);
    assert_memory_equal(m, meta, ml);
    assert_int_equal(rns_resource_cancel(r), ML_ESTATE);
    rns_resource_free(s), rns_resource_free(r);
}

static void test_cancel(void **state)
{
    rns_resource *s = NULL, *r = NULL;
    ml_buf b = ML_BUF_INIT;
    uint8_t ctx;
    (void)state;

    make_pair(&s, &r, 2000, NULL);
    assert_int_equal(rns_resource_cancel(r), 0);
    assert_int_equal(rns_resource_status(r), RNS_RESOURCE_FAILED);
    while (rns_resource_pop(r, &ctx, &b) == 1 && ctx != RNS_CTX_RESOURCE_RCL)
        ml_buf_reset(&b);
    assert_int_equal(ctx, RNS_CTX_RESOURCE_RCL);
    assert_int_equal(rns_resource_input(s, ctx, b.p, b.len, 0), 0);
    assert_int_equal(rns_resource_status(s), RNS_RESOURCE_REJECTED);
    assert_int_equal(rns_resource_cancel(s), ML_ESTATE);
    rns_resource_free(s), rns_resource_free(r);

    s = r = NULL;
    make_pair(&s, &r, 2000, NULL);
    ml_buf_reset(&b);
    assert_int_equal(rns_resource_cancel(s), 0);
    assert_int_equal(rns_resource_pop(s, &ctx, &b), 1);
    assert_int_equal(ctx, RNS_CTX_RESOURCE_ICL);
    assert_int_equal(rns_resource_input(r, ctx, b.p, b.len, 0), 0);
    assert_int_equal(rns_resource_status(r), RNS_RESOURCE_FAILED);
    assert_int_equal(rns_resource_cancel(NULL), ML_EINVAL);
    rns_resource_free(s), rns_resource_free(r);
    ml_buf_free(&b);
}

static void test_timers(void **state)
{
    rns_resource *s = NULL, *r = NULL;
    ml_buf b = ML_BUF_INIT, adv = ML_BUF_INIT;
    uint8_t ctx;
    double t;
    (void)state;

    /* a lost part is asked for again once the receiver's deadline passes */
    make_pair(&s, &r, 2000, NULL);
    assert_int_equal(pump(r, s), 0);
    assert_int_equal(rns_resource_pop(s, &ctx, &b), 1); /* dropped */
    assert_int_equal(ctx, RNS_CTX_RESOURCE);
    assert_int_equal(pump(s, r), 0);
    assert_int_equal(rns_resource_status(r), RNS_RESOURCE_TRANSFERRING);
    t = rns_resource_deadline(r);
    assert_true(t > 1 && t < 100);
    assert_int_equal(rns_resource_tick(r, t - 0.01), 0);
    assert_int_equal(rns_resource_pop(r, &ctx, &b), 0);
    assert_int_equal(rns_resource_tick(r, t), 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pump(r, s), 0);
        assert_int_equal(pump(s, r), 0);
    }
    assert_int_equal(rns_resource_status(r), RNS_RESOURCE_COMPLETE);
    assert_true(rns_resource_deadline(r) > 1e300);
    rns_resource_free(s), rns_resource_free(r);

    /* an unanswered advertisement is sent again 4 times, then cancelled */
    s = r = NULL;
    make_pair(&s, &r, 2000, NULL);
    rns_resource_set_rtt(s, 2.0);
    ml_buf_reset(&b);
    for (int i = 0; i < 4; i++) {
        t = rns_resource_deadline(s);
        assert_true(t >= 10);
        assert_int_equal(rns_resource_tick(s, t), 0);
        assert_int_equal(rns_resource_pop(s, &ctx, &adv), 1);
        assert_int_equal(ctx, RNS_CTX_RESOURCE_ADV);
        if (i > 0)
            assert_memory_equal(adv.p, b.p, b.len);
        ml_buf_reset(&b);
        assert_int_equal(ml_buf_append(&b, adv.p, adv.len), 0);
        ml_buf_reset(&adv);
    }
    assert_int_equal(rns_resource_tick(s, rns_resource_deadline(s)), 0);
    assert_int_equal(rns_resource_pop(s, &ctx, &b), 1);
    assert_int_equal(ctx, RNS_CTX_RESOURCE_ICL);
    assert_int_equal(rns_resource_status(s), RNS_RESOURCE_FAILED);

    /* a receiver that hears nothing retries 16 times, then cancels */
    for (int i = 0; i < 16; i++) {
        assert_int_equal(rns_resource_tick(r, rns_resource_deadline(r)), 0);
        assert_int_equal(rns_resource_status(r), RNS_RESOURCE_ADVERTISED);
    }
    assert_int_equal(rns_resource_tick(r, rns_resource_deadline(r)), 0);
    assert_int_equal(rns_resource_status(r), RNS_RESOURCE_FAILED);
    while (rns_resource_pop(r, &ctx, &b) == 1)
        ;
    assert_int_equal(ctx, RNS_CTX_RESOURCE_RCL);
    assert_true(rns_resource_deadline(r) > 1e300);
    assert_int_equal(rns_resource_tick(NULL, 0), 0);
    rns_resource_free(s), rns_resource_free(r);
    ml_buf_free(&b), ml_buf_free(&adv);
}

static void test_send_limits(void **state)
{
    static uint8_t key[64];
    rns_resource_send_params sp;
    rns_resource *s = (rns_resource *)&sp; /* must stay untouched on error */
    (void)state;

    memset(&sp, 0, sizeof sp);
    sp.key = key;
    sp.link_mtu = 500;
    sp.data = key;
    sp.len = RNS_RESOURCE_MAX_EFFICIENT_SIZE + 1;
    assert_int_equal(rns_resource_send(&s, &sp, 0), ML_ETOOBIG);
    sp.len = 10;
    sp.link_mtu = 40;
    assert_int_equal(rns_resource_send(&s, &sp, 0), ML_EINVAL);
    sp.link_mtu = 500;
    sp.key = NULL;
    assert_int_equal(rns_resource_send(&s, &sp, 0), ML_EINVAL);
    assert_ptr_equal(s, (rns_resource *)&sp);
    rns_resource_free(NULL);
}

/* force_collision: the first build of a several-part resource fails as on
 * a real map-hash collision; a single part cannot collide. */
static void test_force_collision(void **state)
{
    static uint8_t key[64], payload[4000];
    rns_resource_send_params sp;
    rns_resource *r = NULL;
    (void)state;

    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(i * 2654435761u >> 13);
    memset(&sp, 0, sizeof sp);
    sp.key = key;
    sp.link_mtu = 236;
    sp.data = payload;
    sp.len = sizeof payload;
    sp.force_collision = 1;
    assert_int_equal(rns_resource_send(&r, &sp, 0), ML_EEXIST);
    assert_null(r);
    sp.force_collision = 0;
    assert_int_equal(rns_resource_send(&r, &sp, 0), 0);
    assert_true(rns_resource_parts(r) >= 2);
    rns_resource_free(r);
    sp.len = 10;
    sp.force_collision = 1;
    assert_int_equal(rns_resource_send(&r, &sp, 0), 0);
    assert_int_equal(rns_resource_parts(r), 1);
    rns_resource_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_round_trip_and_corrupt),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_send_limits),
        cmocka_unit_test(test_large_request_metadata),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_timers),
        cmocka_unit_test(test_force_collision),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
