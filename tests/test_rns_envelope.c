// SPDX-License-Identifier: MIT
// Tests of rns_envelope.h against ../shared/vectors/rns/channel.json: every
// CHANNEL packet's decrypted plaintext parses as an envelope with the
// vector's MSGTYPE, sequence and payload and re-packs to the same bytes; the
// Buffer ones carry a StreamDataMessage whose (decompressed) chunk is the
// data written. Plus truncated and inconsistent input.
#include <string.h>

#include "rns_testutil.h"
#include "meshlog/rns_bz2.h"
#include "meshlog/rns_envelope.h"

static void check_stream(json_t *v, const rns_envelope *e)
{
    rns_stream_msg m;
    ml_buf data = ML_BUF_INIT, again = ML_BUF_INIT;

    assert_int_equal(e->msgtype, RNS_MSGTYPE_STREAM_DATA);
    assert_int_equal(rns_stream_msg_unpack(&m, e->payload, e->len), 0);
    assert_int_equal(rns_stream_msg_pack(&again, m.stream_id, m.eof, m.compressed, m.data, m.len), 0);
    assert_int_equal(again.len, e->len);
    assert_memory_equal(again.p, e->payload, e->len);
    if (m.compressed)
        assert_int_equal(rns_bz2_decompress(&data, m.data, m.len, RNS_BZ2_BUFFER_LIMIT), 0);
    else
        assert_int_equal(ml_buf_append(&data, m.data, m.len), 0);
    if (m.eof && m.len == 0)
        assert_int_equal(strlen(rt_str(v, "written_data")), 0);
    else
        tu_assert_hex(data.p, data.len, rt_str(v, "written_data"));
    ml_buf_free(&data);
    ml_buf_free(&again);
}

static void test_vectors(void **state)
{
    json_t *file = tu_load_vectors("vectors/rns/channel.json"), *v, *p;
    size_t i, j, n = 0;
    (void)state;

    json_array_foreach(json_object_get(file, "vectors"), i, v) {
        json_array_foreach(json_object_get(v, "packets"), j, p) {
            size_t len;
            uint8_t *pt;
            rns_envelope e;
            ml_buf again = ML_BUF_INIT;
            if (strcmp(rt_str(p, "step"), "CHANNEL"))
                continue;
            pt = tu_unhex(rt_str(p, "plaintext"), &len);
            assert_int_equal(rns_envelope_unpack(&e, pt, len), 0);
            assert_int_equal(rns_envelope_pack(&again, e.msgtype, e.sequence, e.payload, e.len), 0);
            tu_assert_hex(again.p, again.len, rt_str(p, "plaintext"));
            if (json_object_get(v, "message_payload")) {
                assert_int_equal(e.msgtype, strtol(rt_str(v, "msgtype"), NULL, 16));
                tu_assert_hex(e.payload, e.len, rt_str(v, "message_payload"));
            } else if (j == 0) {
                check_stream(v, &e);
            }
            ml_buf_free(&again);
            free(pt);
            n++;
        }
    }
    assert_true(n >= 6);
    json_decref(file);
}

static void test_malformed(void **state)
{
    static const uint8_t bad_len[] = {0x01, 0x01, 0x00, 0x07, 0x00, 0x05, 'h', 'i'};
    rns_envelope e;
    rns_stream_msg m;
    ml_buf b = ML_BUF_INIT;
    (void)state;

    assert_int_equal(rns_envelope_unpack(&e, bad_len, 5), ML_EMALFORMED);
    assert_int_equal(rns_envelope_unpack(&e, bad_len, sizeof bad_len), ML_EMALFORMED);
    assert_int_equal(rns_stream_msg_unpack(&m, bad_len, 1), ML_EMALFORMED);
    assert_int_equal(rns_stream_msg_pack(&b, RNS_STREAM_ID_MAX + 1, 0, 0, NULL, 0), ML_EINVAL);
    assert_int_equal(rns_stream_msg_pack(&b, 0x1234, 1, 1, (const uint8_t *)"x", 1), 0);
    tu_assert_hex(b.p, b.len, "d23478");
    assert_int_equal(rns_stream_msg_unpack(&m, b.p, b.len), 0);
    assert_true(m.stream_id == 0x1234 && m.eof && m.compressed && m.len == 1);
    ml_buf_reset(&b);
    assert_int_equal(rns_envelope_pack(&b, 0x0101, 7, (const uint8_t *)"hello", 5), 0);
    tu_assert_hex(b.p, b.len, "01010007000568656c6c6f");
    ml_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
