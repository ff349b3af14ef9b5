// SPDX-License-Identifier: MIT
// Tests of rns_bz2.h: the compressed bytes of the reference (the bz2 stream of
// the compressible resource in ../shared/vectors/rns/resources.json), round
// trips, concatenated streams, the output limit, and refused input.
#include <string.h>

#include "rns_testutil.h"
#include "meshlog/rns_bz2.h"

static void test_reference_bytes(void **state)
{
    json_t *file = tu_load_vectors("vectors/rns/resources.json"), *v;
    size_t i, plen, clen;
    int seen = 0;
    (void)state;

    json_array_foreach(json_object_get(file, "vectors"), i, v) {
        ml_buf out = ML_BUF_INIT;
        uint8_t *payload, *bz;
        if (!json_is_string(json_object_get(v, "bz2_compressed")) ||
            json_object_get(v, "metadata") != json_null())
            continue;
        payload = tu_unhex(rt_str(v, "payload"), &plen);
        bz = tu_unhex(rt_str(v, "bz2_compressed"), &clen);
        assert_int_equal(rns_bz2_compress(&out, payload, plen), 0);
        tu_assert_hex(out.p, out.len, rt_str(v, "bz2_compressed"));
        ml_buf_reset(&out);
        assert_int_equal(rns_bz2_decompress(&out, bz, clen, RNS_BZ2_RESOURCE_LIMIT), 0);
        assert_int_equal(out.len, plen);
        assert_memory_equal(out.p, payload, plen);
        /* one byte under the size: refused, nothing kept */
        ml_buf_reset(&out);
        assert_int_equal(rns_bz2_decompress(&out, bz, clen, plen - 1), ML_ETOOBIG);
        assert_int_equal(out.len, 0);
        /* truncated stream */
        assert_int_equal(rns_bz2_decompress(&out, bz, clen - 1, plen), ML_EMALFORMED);
        ml_buf_free(&out);
        free(payload), free(bz);
        seen++;
    }
    assert_true(seen > 0);
    json_decref(file);
}

static void test_streams_and_garbage(void **state)
{
    ml_buf a = ML_BUF_INIT, two = ML_BUF_INIT, out = ML_BUF_INIT;
    (void)state;

    assert_int_equal(rns_bz2_compress(&a, (const uint8_t *)"hello", 5), 0);
    tu_assert_hex(a.p, a.len,
                  "425a68393141592653591931653d00000081000244a000219a68334d07338bb9229c28480c98b29e80");
    assert_int_equal(ml_buf_append(&two, a.p, a.len), 0);
    assert_int_equal(ml_buf_append(&two, a.p, a.len), 0);
    assert_int_equal(rns_bz2_decompress(&out, two.p, two.len, 100), 0);
    assert_int_equal(out.len, 10);
    assert_memory_equal(out.p, "hellohello", 10);
    ml_buf_reset(&out);
    assert_int_equal(rns_bz2_decompress(&out, (const uint8_t *)"hello", 5, 100), ML_EMALFORMED);
    assert_int_equal(rns_bz2_decompress(&out, NULL, 0, 100), ML_EMALFORMED);
    /* trailing bytes that are not another stream */
    assert_int_equal(ml_buf_putc(&two, 0x00), 0);
    assert_int_equal(rns_bz2_decompress(&out, two.p, two.len, 100), ML_EMALFORMED);
    assert_int_equal(out.len, 0);
    /* empty input compresses to a valid empty stream */
    ml_buf_reset(&a);
    assert_int_equal(rns_bz2_compress(&a, NULL, 0), 0);
    assert_int_equal(rns_bz2_decompress(&out, a.p, a.len, 0), 0);
    assert_int_equal(out.len, 0);
    ml_buf_free(&a), ml_buf_free(&two), ml_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_bytes),
        cmocka_unit_test(test_streams_and_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
