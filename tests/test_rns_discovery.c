// SPDX-License-Identifier: MIT
// Tests of rns_discovery.h: stamp work blocks and values against fixed
// vectors made with the reference (LXMF 0.9 LXStamper), generated stamps,
// the address checks and the name clean-ups.
#include <string.h>

#include "testutil.h"
#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/rns_destination.h"
#include "meshlog/rns_discovery.h"

static void material(uint8_t m[32])
{
    for (int i = 0; i < 32; i++)
        m[i] = (uint8_t)i;
}

static void test_workblock(void **state)
{
    (void)state;
    ml_buf wb = ML_BUF_INIT;
    uint8_t m[32], h[32];

    material(m);
    assert_int_equal(rns_stamp_workblock(&wb, m, sizeof m, 2), 0);
    assert_int_equal(wb.len, 512);
    tu_assert_hex(wb.p, 16, "c025bbe68a4017092b9878de5c0819fa");
    tu_assert_hex(wb.p + 256, 16, "d109b155cab63818d6edd64cadfbd243");
    ml_sha256(h, wb.p, wb.len);
    tu_assert_hex(h, 32, "96cafd66a6a5166f99b5de7f38f823f83735754c29937280c85aae326eabd9c1");
    /* rounds past 127 use a longer msgpack integer in the salt */
    wb.len = 0;
    assert_int_equal(rns_stamp_workblock(&wb, m, sizeof m, 130), 0);
    ml_sha256(h, wb.p, wb.len);
    tu_assert_hex(h, 32, "2cac1448698eadabe0312f3f682d32e99fff37ae720dfd94b15e47e5b8edd47d");
    assert_int_equal(rns_stamp_workblock(&wb, m, sizeof m, 0), ML_EINVAL);
    assert_int_equal(rns_stamp_workblock(NULL, m, sizeof m, 1), ML_EINVAL);
    ml_buf_free(&wb);
}

static int rng(void *ctx, void *out, size_t len)
{
    (void)ctx;
    return ml_random(out, len);
}

static void test_value_and_generate(void **state)
{
    (void)state;
    ml_buf wb = ML_BUF_INIT;
    uint8_t m[32], stamp[RNS_STAMP_SIZE];

    material(m);
    assert_int_equal(rns_stamp_workblock(&wb, m, sizeof m, 2), 0);
    memset(stamp, 0x65, sizeof stamp);
    assert_int_equal(rns_stamp_value(wb.p, wb.len, stamp, sizeof stamp), 13);
    assert_true(rns_stamp_valid(wb.p, wb.len, stamp, sizeof stamp, 13));
    assert_false(rns_stamp_valid(wb.p, wb.len, stamp, sizeof stamp, 14));
    assert_true(rns_stamp_valid(wb.p, wb.len, stamp, sizeof stamp, 0));
    assert_false(rns_stamp_valid(wb.p, wb.len, stamp, sizeof stamp, 257));

    assert_int_equal(rns_stamp_generate(stamp, wb.p, wb.len, 6, rng, NULL, 1u << 20), 0);
    assert_true(rns_stamp_value(wb.p, wb.len, stamp, sizeof stamp) >= 6);
    assert_int_equal(rns_stamp_generate(stamp, wb.p, wb.len, 64, rng, NULL, 4), ML_ETIMEOUT);
    assert_int_equal(rns_stamp_generate(stamp, wb.p, wb.len, 65, rng, NULL, 4), ML_EINVAL);
    ml_buf_free(&wb);
}

static void test_addresses(void **state)
{
    (void)state;
    char long_name[400];

    assert_true(rns_discovery_is_ip_address("192.168.1.1"));
    assert_true(rns_discovery_is_ip_address("2001:db8::1"));
    assert_false(rns_discovery_is_ip_address("999.1.1.1"));
    assert_false(rns_discovery_is_ip_address("example.com"));
    assert_true(rns_discovery_is_ygg_ipv6("200::1"));
    assert_true(rns_discovery_is_ygg_ipv6("3ff::1"));
    assert_false(rns_discovery_is_ygg_ipv6("2001:db8::1"));
    assert_false(rns_discovery_is_ygg_ipv6("192.168.1.1"));

    assert_true(rns_discovery_is_hostname("example.com"));
    assert_true(rns_discovery_is_hostname("good-host.Example.com."));
    assert_false(rns_discovery_is_hostname("host.123"));
    assert_false(rns_discovery_is_hostname("-bad.com"));
    assert_false(rns_discovery_is_hostname("bad-.com"));
    assert_false(rns_discovery_is_hostname("under_score.com"));
    assert_false(rns_discovery_is_hostname("a..b"));
    assert_false(rns_discovery_is_hostname(""));
    memset(long_name, 'a', sizeof long_name);
    for (size_t i = 60; i < 300; i += 61)
        long_name[i] = '.';
    long_name[300] = '\0';
    assert_false(rns_discovery_is_hostname(long_name));
    long_name[250] = '\0';
    assert_true(rns_discovery_is_hostname(long_name));
}

static void test_names(void **state)
{
    (void)state;
    char out[64];

    rns_discovery_sanitize_name(out, "  Hello   World  ");
    assert_string_equal(out, "Hello World");
    rns_discovery_sanitize_name(out, "A     B");
    assert_string_equal(out, "A B");
    rns_discovery_sanitize_name(out, "!!!Name (x)!!!");
    assert_string_equal(out, "Name (x)");
    rns_discovery_sanitize_name(out, "!!!");
    assert_string_equal(out, "");
    rns_discovery_sanitize_name(out, "caf\xc3\xa9");
    assert_string_equal(out, "caf");
    rns_discovery_sanitize(out, " Node\nName\r ");
    assert_string_equal(out, "NodeName");
}

static void test_destination(void **state)
{
    (void)state;
    static const char *const aspects[] = {"discovery", "interface"};
    uint8_t pa[RNS_KEYSIZE], pb[RNS_KEYSIZE], d[RNS_HASHLEN], want[RNS_HASHLEN];
    rns_identity *a, *b;
    const rns_identity *chosen;

    memset(pa, 1, sizeof pa);
    memset(pb, 2, sizeof pb);
    assert_int_equal(rns_identity_from_private(&a, pa), 0);
    assert_int_equal(rns_identity_from_private(&b, pb), 0);
    assert_int_equal(rns_discovery_destination(d, a, b, &chosen), 0);
    assert_ptr_equal(chosen, a);
    assert_int_equal(rns_destination_hash_for(want, NULL, RNS_DEST_SINGLE, "rnstransport", aspects, 2, a), 0);
    assert_memory_equal(d, want, RNS_HASHLEN);
    assert_int_equal(rns_discovery_destination(d, NULL, b, &chosen), 0);
    assert_ptr_equal(chosen, b);
    assert_memory_not_equal(d, want, RNS_HASHLEN);
    assert_int_equal(rns_discovery_destination(d, NULL, NULL, NULL), ML_EINVAL);
    rns_identity_free(a);
    rns_identity_free(b);
}

static void test_autoconnect(void **state)
{
    (void)state;
    uint8_t h[32];

    assert_true(rns_discovery_autoconnect("BackboneInterface", "10.0.0.1"));
    assert_false(rns_discovery_autoconnect("BackboneInterface", "200::1"));
    assert_false(rns_discovery_autoconnect("TCPClientInterface", "10.0.0.1"));
    assert_false(rns_discovery_autoconnect("I2PInterface", "abcdefgh.b32.i2p"));
    assert_false(rns_discovery_autoconnect("UDPInterface", "10.0.0.1"));
    assert_false(rns_discovery_autoconnect(NULL, "10.0.0.1"));
    rns_discovery_endpoint_hash(h, "10.9.9.9", 4242);
    tu_assert_hex(h, 32, "9d3d11bf12d66d61d869e2fb3cb1d9fc0a95cd6b896ab4f8f46e7d0d6c7c1920");
    rns_discovery_endpoint_hash(h, "host", -1);
    tu_assert_hex(h, 32, "4740ae6347b0172c01254ff55bae5aff5199f4446e7f6d643d40185b3f475145");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_workblock), cmocka_unit_test(test_value_and_generate),
        cmocka_unit_test(test_addresses), cmocka_unit_test(test_names),
        cmocka_unit_test(test_destination), cmocka_unit_test(test_autoconnect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
