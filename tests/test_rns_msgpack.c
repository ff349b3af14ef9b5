// SPDX-License-Identifier: MIT
// Tests of the msgpack encoder and reader against vectors/rns/msgpack.json
// (bytes written and read by the reference's umsgpack): every vector is
// dispatched on its kind and the run fails if any went unchecked. Encode
// vectors: the JSON value encodes to the exact bytes, the bytes decode to the
// value and re-encode unchanged. Decode vectors: non-canonical forms decode to
// the value and re-encode to the reference's form. Then truncated, oversized,
// invalid and deeply nested input, and a seeded random round trip.
#include "testutil.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meshlog/buf.h"
#include "meshlog/error.h"
#include "meshlog/rns_msgpack.h"

/* ---- loading: jansson has no integers above INT64_MAX --------------------- */

/* Copies JSON text, replacing integer literals outside int64 (the file has
 * 2^64-1) by {"bigint": "<digits>"} so jansson can load it exactly. */
static char *wrap_bigints(const char *s)
{
    ml_buf b = ML_BUF_INIT;
    bool in_str = false;
    for (size_t i = 0; s[i];) {
        char c = s[i];
        if (in_str || c == '"') {
            if (in_str && c == '\\') {
                assert_int_equal(ml_buf_append(&b, s + i, 2), 0);
                i += 2;
                continue;
            }
            in_str = c == '"' ? !in_str : in_str;
            assert_int_equal(ml_buf_putc(&b, (uint8_t)c), 0);
            i++;
            continue;
        }
        size_t n = 0;
        if (c == '-' || isdigit((unsigned char)c))
            while (s[i + n] && strchr("-+.eE0123456789", s[i + n]))
                n++;
        if (n == 0) {
            assert_int_equal(ml_buf_putc(&b, (uint8_t)c), 0);
            i++;
            continue;
        }
        char tok[64];
        assert_true(n < sizeof tok);
        memcpy(tok, s + i, n);
        tok[n] = 0;
        errno = 0;
        (void)strtoll(tok, NULL, 10);
        bool big = errno == ERANGE && strspn(tok, "-0123456789") == n;
        assert_int_equal(ml_buf_printf(&b, big ? "{\"bigint\": \"%s\"}" : "%s", tok), 0);
        i += n;
    }
    return (char *)b.p;
}

static json_t *load_msgpack_vectors(void)
{
    char *text = tu_read_file(tu_shared("vectors/rns/msgpack.json"), NULL);
    char *fixed = wrap_bigints(text);
    json_error_t err;
    json_t *j = json_loads(fixed, 0, &err);
    if (!j)
        fprintf(stderr, "msgpack.json: %s (line %d)\n", err.text, err.line);
    assert_non_null(j);
    free(text);
    free(fixed);
    return j;
}

/* ---- JSON value -> msgpack -------------------------------------------------- */

static uint64_t json_u64(json_t *v)
{
    const char *s = json_string_value(json_object_get(v, "bigint"));
    assert_non_null(s);
    errno = 0;
    uint64_t u = strtoull(s, NULL, 10);
    assert_int_equal(errno, 0);
    return u;
}

static double json_float(json_t *v)
{
    size_t n;
    uint8_t *b = tu_unhex(json_string_value(json_object_get(v, "float64_hex")), &n);
    assert_int_equal(n, 8);
    uint64_t bits = 0;
    for (size_t i = 0; i < 8; i++)
        bits = bits << 8 | b[i];
    free(b);
    double d;
    memcpy(&d, &bits, sizeof d);
    assert_true(d == json_number_value(json_object_get(v, "float")));
    return d;
}

static void encode_json(ml_buf *out, json_t *v);

static void encode_object(ml_buf *out, json_t *v)
{
    const char *key;
    json_t *val;
    if (json_object_get(v, "bin") && json_object_size(v) == 1) {
        size_t n;
        uint8_t *b = tu_unhex(json_string_value(json_object_get(v, "bin")), &n);
        assert_int_equal(rns_mp_put_bin(out, b, n), 0);
        free(b);
    } else if (json_object_get(v, "float64_hex")) {
        assert_int_equal(rns_mp_put_float(out, json_float(v)), 0);
    } else if (json_object_get(v, "bigint")) {
        assert_int_equal(rns_mp_put_uint(out, json_u64(v)), 0);
    } else if (json_is_array(json_object_get(v, "map")) && json_object_size(v) == 1) {
        json_t *pairs = json_object_get(v, "map"), *kv;
        size_t i;
        assert_int_equal(rns_mp_put_map(out, json_array_size(pairs)), 0);
        json_array_foreach(pairs, i, kv) {
            encode_json(out, json_array_get(kv, 0));
            encode_json(out, json_array_get(kv, 1));
        }
    } else {
        assert_int_equal(rns_mp_put_map(out, json_object_size(v)), 0);
        json_object_foreach(v, key, val) {
            assert_int_equal(rns_mp_put_cstr(out, key), 0);
            encode_json(out, val);
        }
    }
}

static void encode_json(ml_buf *out, json_t *v)
{
    size_t i;
    json_t *e;
    switch (json_typeof(v)) {
    case JSON_NULL: assert_int_equal(rns_mp_put_nil(out), 0); break;
    case JSON_TRUE: assert_int_equal(rns_mp_put_bool(out, true), 0); break;
    case JSON_FALSE: assert_int_equal(rns_mp_put_bool(out, false), 0); break;
    case JSON_INTEGER:
        assert_int_equal(rns_mp_put_int(out, json_integer_value(v)), 0);
        break;
    case JSON_STRING:
        assert_int_equal(rns_mp_put_str(out, json_string_value(v), json_string_length(v)), 0);
        break;
    case JSON_ARRAY:
        assert_int_equal(rns_mp_put_array(out, json_array_size(v)), 0);
        json_array_foreach(v, i, e)
            encode_json(out, e);
        break;
    case JSON_OBJECT: encode_object(out, v); break;
    case JSON_REAL: fail_msg("bare JSON real: floats carry float64_hex"); break;
    }
}

/* ---- msgpack -> compare with a JSON value ----------------------------------- */

static void match_json(rns_mp_reader *r, json_t *v);

static void match_bytes(const rns_mp_item *it, rns_mp_type type, const char *hex_or_str,
                        bool is_hex)
{
    assert_int_equal(it->type, type);
    if (is_hex) {
        tu_assert_hex(it->data, it->len, hex_or_str);
    } else {
        assert_int_equal(it->len, strlen(hex_or_str));
        assert_memory_equal(it->data, hex_or_str, it->len);
    }
}

static void match_object(rns_mp_reader *r, const rns_mp_item *it, json_t *v)
{
    const char *key;
    json_t *val;
    if (json_object_get(v, "bin") && json_object_size(v) == 1) {
        match_bytes(it, RNS_MP_BIN, json_string_value(json_object_get(v, "bin")), true);
    } else if (json_object_get(v, "float64_hex")) {
        assert_int_equal(it->type, RNS_MP_FLOAT);
        double want = json_float(v);
        assert_memory_equal(&it->f, &want, sizeof want);
    } else if (json_object_get(v, "bigint")) {
        assert_int_equal(it->type, RNS_MP_UINT);
        assert_true(it->u == json_u64(v));
    } else if (json_is_array(json_object_get(v, "map")) && json_object_size(v) == 1) {
        json_t *pairs = json_object_get(v, "map"), *kv;
        size_t i;
        assert_int_equal(it->type, RNS_MP_MAP);
        assert_int_equal(it->count, json_array_size(pairs));
        json_array_foreach(pairs, i, kv) {
            match_json(r, json_array_get(kv, 0));
            match_json(r, json_array_get(kv, 1));
        }
    } else {
        assert_int_equal(it->type, RNS_MP_MAP);
        assert_int_equal(it->count, json_object_size(v));
        json_object_foreach(v, key, val) {
            const char *s;
            size_t n;
            assert_int_equal(rns_mp_get_str(r, &s, &n), 0);
            assert_int_equal(n, strlen(key));
            assert_memory_equal(s, key, n);
            match_json(r, val);
        }
    }
}

static void match_json(rns_mp_reader *r, json_t *v)
{
    rns_mp_item it;
    size_t i;
    json_t *e;
    assert_int_equal(rns_mp_next(r, &it), 0);
    switch (json_typeof(v)) {
    case JSON_NULL: assert_int_equal(it.type, RNS_MP_NIL); break;
    case JSON_TRUE:
    case JSON_FALSE:
        assert_int_equal(it.type, RNS_MP_BOOL);
        assert_int_equal(it.b, json_is_true(v));
        break;
    case JSON_INTEGER:
        if (json_integer_value(v) < 0) {
            assert_int_equal(it.type, RNS_MP_INT);
            assert_true(it.i == json_integer_value(v));
        } else {
            assert_int_equal(it.type, RNS_MP_UINT);
            assert_true(it.u == (uint64_t)json_integer_value(v));
        }
        break;
    case JSON_STRING: match_bytes(&it, RNS_MP_STR, json_string_value(v), false); break;
    case JSON_ARRAY:
        assert_int_equal(it.type, RNS_MP_ARRAY);
        assert_int_equal(it.count, json_array_size(v));
        json_array_foreach(v, i, e)
            match_json(r, e);
        break;
    case JSON_OBJECT: match_object(r, &it, v); break;
    case JSON_REAL: fail_msg("bare JSON real"); break;
    }
}

/* ---- msgpack -> msgpack, through the reader and the encoder ------------------ */

static void repack(rns_mp_reader *r, ml_buf *out);

static void repack_item(rns_mp_reader *r, const rns_mp_item *it, ml_buf *out)
{
    switch (it->type) {
    case RNS_MP_NIL: assert_int_equal(rns_mp_put_nil(out), 0); break;
    case RNS_MP_BOOL: assert_int_equal(rns_mp_put_bool(out, it->b), 0); break;
    case RNS_MP_UINT: assert_int_equal(rns_mp_put_uint(out, it->u), 0); break;
    case RNS_MP_INT: assert_int_equal(rns_mp_put_int(out, it->i), 0); break;
    case RNS_MP_FLOAT: assert_int_equal(rns_mp_put_float(out, it->f), 0); break;
    case RNS_MP_STR:
        assert_int_equal(rns_mp_put_str(out, (const char *)it->data, it->len), 0);
        break;
    case RNS_MP_BIN: assert_int_equal(rns_mp_put_bin(out, it->data, it->len), 0); break;
    case RNS_MP_ARRAY:
        assert_int_equal(rns_mp_put_array(out, it->count), 0);
        for (uint32_t i = 0; i < it->count; i++)
            repack(r, out);
        break;
    case RNS_MP_MAP:
        assert_int_equal(rns_mp_put_map(out, it->count), 0);
        for (uint32_t i = 0; i < 2 * it->count; i++)
            repack(r, out);
        break;
    case RNS_MP_EXT: fail_msg("ext in a vector"); break;
    }
}

static void repack(rns_mp_reader *r, ml_buf *out)
{
    rns_mp_item it;
    assert_int_equal(rns_mp_next(r, &it), 0);
    repack_item(r, &it, out);
}

/* ---- vector kinds ------------------------------------------------------------ */

/* packed decodes to value, is one complete value, and repacks to `canonical`. */
static void check_decoding(const char *packed_hex, json_t *value, const char *canonical)
{
    size_t n;
    uint8_t *packed = tu_unhex(packed_hex, &n);
    rns_mp_reader r;
    rns_mp_reader_init(&r, packed, n);
    match_json(&r, value);
    assert_int_equal(rns_mp_remaining(&r), 0);

    ml_buf out = ML_BUF_INIT;
    rns_mp_reader_init(&r, packed, n);
    repack(&r, &out);
    tu_assert_hex(out.p, out.len, canonical);

    const uint8_t *raw;
    size_t rlen;
    rns_mp_reader_init(&r, packed, n);
    assert_int_equal(rns_mp_get_raw(&r, &raw, &rlen), 0);
    assert_true(raw == packed && rlen == n);
    /* Every proper prefix is incomplete. */
    for (size_t cut = 0; cut < n; cut++) {
        rns_mp_reader_init(&r, packed, cut);
        assert_int_equal(rns_mp_skip(&r), ML_EMALFORMED);
        assert_int_equal(r.off, 0);
    }
    ml_buf_free(&out);
    free(packed);
}

static void check_encode(json_t *v)
{
    const char *packed = json_string_value(json_object_get(v, "packed"));
    json_t *value = json_object_get(v, "value");
    ml_buf out = ML_BUF_INIT;
    encode_json(&out, value);
    tu_assert_hex(out.p, out.len, packed);
    check_decoding(packed, value, packed);
    ml_buf_free(&out);
}

static void check_decode(json_t *v)
{
    const char *repacked = json_string_value(json_object_get(v, "repacked"));
    json_t *value = json_object_get(v, "value");
    ml_buf out = ML_BUF_INIT;
    encode_json(&out, value);
    tu_assert_hex(out.p, out.len, repacked);
    check_decoding(json_string_value(json_object_get(v, "packed")), value, repacked);
    ml_buf_free(&out);
}

static const tu_checker kinds[] = {
    {"msgpack_encode", check_encode},
    {"msgpack_decode", check_decode},
};

static void test_vectors(void **state)
{
    (void)state;
    json_t *file = load_msgpack_vectors();
    tu_check_vectors(file, kinds, sizeof kinds / sizeof kinds[0]);
    json_decref(file);
}

/* ---- malformed and edge input --------------------------------------------------- */

static int decode_hex(const char *hex, rns_mp_item *it)
{
    size_t n;
    uint8_t *b = tu_unhex(hex, &n);
    rns_mp_reader r;
    rns_mp_reader_init(&r, b, n);
    int ret = rns_mp_next(&r, it);
    if (ret == 0)
        ret = rns_mp_skip(&r) == ML_EMALFORMED ? 0 : 1; /* exactly one value */
    free(b);
    return ret;
}

static void test_malformed(void **state)
{
    (void)state;
    rns_mp_item it;
    static const char *bad_hex[] = {
        "", "c1", "ddffffffff", "dfffffffff", "dc0002", "de000101", "9201",
        "dbffffffff616263", "c680000000", "c5ffff00", "cf0001", "cb3ff0",
        "c7ff01", "d401", "d8010203", "a2c328", "a2c080", "a3eda080", "a4f4908080",
        "a1ff", "a2e282", "a1c2", "a3e08080", "a4f0808080",
    };
    for (size_t i = 0; i < sizeof bad_hex / sizeof bad_hex[0]; i++) {
        if (decode_hex(bad_hex[i], &it) != ML_EMALFORMED)
            fail_msg("accepted %s", bad_hex[i]);
    }
    /* Valid edge forms: 4-byte UTF-8, ext, float32 and nested containers. */
    assert_int_equal(decode_hex("a4f09f9880", &it), 0);
    assert_int_equal(it.type, RNS_MP_STR);
    assert_int_equal(decode_hex("a3efbfbf", &it), 0);
    assert_int_equal(decode_hex("d4ff02", &it), 0);
    assert_int_equal(it.type, RNS_MP_EXT);
    assert_int_equal(it.ext_type, -1);
    assert_int_equal(decode_hex("c70205aabb", &it), 0);
    assert_int_equal(it.len, 2);
    assert_int_equal(decode_hex("d3ffffffffffffffff", &it), 0);
    assert_true(it.type == RNS_MP_INT && it.i == -1);
    assert_int_equal(decode_hex("d07f", &it), 0);
    assert_true(it.type == RNS_MP_UINT && it.u == 127);
}

static void test_typed_getters(void **state)
{
    (void)state;
    static const uint8_t in[] = {0xff, 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                 0xa1, 0x61, 0xc4, 0x01, 0x62, 0x92, 0xc0, 0xc3, 0x81, 0x01,
                                 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0};
    rns_mp_reader r;
    uint64_t u;
    int64_t i;
    double d;
    const char *s;
    const uint8_t *p;
    size_t n;
    uint32_t count;
    bool b;
    rns_mp_reader_init(&r, in, sizeof in);
    assert_int_equal(rns_mp_get_uint(&r, &u), ML_ERANGE);
    assert_int_equal(rns_mp_get_str(&r, &s, &n), ML_EMALFORMED);
    assert_int_equal(r.off, 0);
    assert_int_equal(rns_mp_get_int(&r, &i), 0);
    assert_true(i == -1);
    assert_int_equal(rns_mp_get_int(&r, &i), ML_ERANGE);
    assert_int_equal(rns_mp_get_uint(&r, &u), 0);
    assert_true(u == UINT64_MAX);
    assert_int_equal(rns_mp_get_bin(&r, &p, &n), ML_EMALFORMED);
    assert_int_equal(rns_mp_get_str(&r, &s, &n), 0);
    assert_true(n == 1 && s[0] == 'a');
    assert_int_equal(rns_mp_get_bin(&r, &p, &n), 0);
    assert_true(n == 1 && p[0] == 'b');
    assert_int_equal(rns_mp_get_map(&r, &count), ML_EMALFORMED);
    assert_int_equal(rns_mp_get_array(&r, &count), 0);
    assert_int_equal(count, 2);
    assert_int_equal(rns_mp_get_bool(&r, &b), ML_EMALFORMED);
    assert_int_equal(rns_mp_get_nil(&r), 0);
    assert_int_equal(rns_mp_get_nil(&r), ML_EMALFORMED);
    assert_int_equal(rns_mp_get_bool(&r, &b), 0);
    assert_true(b);
    assert_int_equal(rns_mp_get_float(&r, &d), ML_EMALFORMED);
    assert_int_equal(rns_mp_skip(&r), 0);   /* the map {1: ...} needs its value */
    assert_int_equal(rns_mp_remaining(&r), 0);
    assert_int_equal(rns_mp_get_float(&r, &d), ML_EMALFORMED);
    /* A 2-element map whose value is the float: skip takes all of it. */
    rns_mp_reader_init(&r, in + 18, sizeof in - 18);
    assert_int_equal(rns_mp_get_map(&r, &count), 0);
    assert_int_equal(rns_mp_get_uint(&r, &u), 0);
    assert_int_equal(rns_mp_get_float(&r, &d), 0);
    assert_true(d == 1.5);
    assert_int_equal(rns_mp_next(NULL, NULL), ML_EINVAL);
}

static void test_deep_nesting(void **state)
{
    (void)state;
    enum { DEPTH = 100000 };
    uint8_t *b = malloc(DEPTH + 1);
    assert_non_null(b);
    memset(b, 0x91, DEPTH);
    b[DEPTH] = 0x01;
    rns_mp_reader r;
    rns_mp_reader_init(&r, b, DEPTH + 1);
    assert_int_equal(rns_mp_skip(&r), 0);
    assert_int_equal(rns_mp_remaining(&r), 0);
    rns_mp_reader_init(&r, b, DEPTH);
    assert_int_equal(rns_mp_skip(&r), ML_EMALFORMED);
    free(b);
}

static void test_encoder_limits(void **state)
{
    (void)state;
    ml_buf out = ML_BUF_INIT;
    static const uint8_t one = 0;
#if SIZE_MAX > UINT32_MAX
    size_t huge = (size_t)UINT32_MAX + 1;
    assert_int_equal(rns_mp_put_array(&out, huge), ML_ETOOBIG);
    assert_int_equal(rns_mp_put_map(&out, huge), ML_ETOOBIG);
    assert_int_equal(rns_mp_put_bin(&out, &one, huge), ML_ETOOBIG);
    assert_int_equal(rns_mp_put_str(&out, "", huge), ML_ETOOBIG);
    assert_int_equal(out.len, 0);
#endif
    assert_int_equal(rns_mp_put_bin(&out, &one, 0), 0);
    assert_int_equal(rns_mp_put_array(&out, 65536), 0);
    assert_int_equal(rns_mp_put_map(&out, 65536), 0);
    assert_int_equal(rns_mp_put_int(&out, INT64_MIN), 0);
    assert_int_equal(rns_mp_put_uint(&out, 0x80000000u), 0);
    tu_assert_hex(out.p, out.len,
                  "c400dd00010000df00010000d38000000000000000ce80000000");
    ml_buf_free(&out);
}

/* Random nested values: encode, then read back, repack and skip. */
static void random_value(uint64_t *st, ml_buf *out, int depth)
{
    uint8_t blob[300];
    size_t n = (size_t)tu_rand_below(st, sizeof blob);
    for (size_t i = 0; i < n; i++)
        blob[i] = (uint8_t)('a' + tu_rand_below(st, 26));
    switch (tu_rand_below(st, depth > 4 ? 7 : 9)) {
    case 0: assert_int_equal(rns_mp_put_nil(out), 0); break;
    case 1: assert_int_equal(rns_mp_put_bool(out, (tu_rand(st) & 1) != 0), 0); break;
    case 2: assert_int_equal(rns_mp_put_uint(out, tu_rand(st) >> tu_rand_below(st, 64)), 0); break;
    case 3:
        assert_int_equal(rns_mp_put_int(out, -(int64_t)(tu_rand(st) >> (1 + tu_rand_below(st, 63)))), 0);
        break;
    case 4: assert_int_equal(rns_mp_put_float(out, (double)tu_rand(st) / 7.0), 0); break;
    case 5: assert_int_equal(rns_mp_put_str(out, (const char *)blob, n), 0); break;
    case 6: assert_int_equal(rns_mp_put_bin(out, blob, n), 0); break;
    default: {
        size_t count = (size_t)tu_rand_below(st, 20);
        bool map = (tu_rand(st) & 1) != 0;
        assert_int_equal(map ? rns_mp_put_map(out, count) : rns_mp_put_array(out, count), 0);
        for (size_t i = 0; i < (map ? 2 * count : count); i++)
            random_value(st, out, depth + 1);
    }
    }
}

static void test_random_round_trip(void **state)
{
    (void)state;
    uint64_t st = tu_seed();
    for (int round = 0; round < 300; round++) {
        ml_buf in = ML_BUF_INIT, out = ML_BUF_INIT;
        random_value(&st, &in, 0);
        rns_mp_reader r;
        rns_mp_reader_init(&r, in.p, in.len);
        repack(&r, &out);
        assert_int_equal(rns_mp_remaining(&r), 0);
        assert_int_equal(out.len, in.len);
        assert_memory_equal(out.p, in.p, in.len);
        rns_mp_reader_init(&r, in.p, in.len);
        assert_int_equal(rns_mp_skip(&r), 0);
        assert_int_equal(rns_mp_remaining(&r), 0);
        ml_buf_free(&in);
        ml_buf_free(&out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_typed_getters),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_encoder_limits),
        cmocka_unit_test(test_random_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
