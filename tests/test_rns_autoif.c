// SPDX-License-Identifier: MIT
// Tests of rns_autoif.h against every vector in
// ../shared/vectors/rns/autointerface.json: multicast discovery addresses
// (binary, reference text, canonical text), ports, discovery tokens and
// link-local descoping. A vector of an unknown kind, or a file with fewer
// vectors than expected, fails the test, so nothing is skipped silently.
#include <arpa/inet.h>
#include <string.h>

#include "rns_testutil.h"
#include "meshlog/crypto.h"
#include "meshlog/rns_autoif.h"

static unsigned nibble(const char *s)
{
    assert_int_equal(strlen(s), 1);
    return (unsigned)strtoul(s, NULL, 16);
}

static void check_multicast(json_t *v)
{
    const char *group = rt_str(v, "group_id");
    uint8_t addr[16], gh[32];
    char text[RNS_AUTOIF_ADDR_TEXT_MAX], canon[INET6_ADDRSTRLEN];

    ml_sha256(gh, group, strlen(group));
    tu_assert_hex(gh, 32, rt_str(v, "group_hash"));
    assert_int_equal(rns_autoif_mcast_addr(addr, text, sizeof text, group, strlen(group),
                                           nibble(rt_str(v, "multicast_address_type")),
                                           nibble(rt_str(v, "discovery_scope"))), 0);
    tu_assert_hex(addr, 16, rt_str(v, "multicast_address_binary"));
    assert_string_equal(text, rt_str(v, "multicast_address"));
    assert_non_null(inet_ntop(AF_INET6, addr, canon, sizeof canon));
    assert_string_equal(canon, rt_str(v, "multicast_address_canonical"));
    assert_int_equal(rt_int(v, "discovery_port"), RNS_AUTOIF_DISCOVERY_PORT);
    assert_int_equal(rt_int(v, "unicast_discovery_port"), RNS_AUTOIF_UNICAST_DISCOVERY_PORT);
    assert_int_equal(rt_int(v, "data_port"), RNS_AUTOIF_DATA_PORT);
    assert_int_equal(rt_int(v, "hw_mtu"), RNS_AUTOIF_HW_MTU);
}

static void check_token(json_t *v)
{
    const char *group = rt_str(v, "group_id"), *addr = rt_str(v, "link_local_address");
    uint8_t tok[RNS_AUTOIF_TOKEN_LEN], want[RNS_AUTOIF_TOKEN_LEN];

    rt_hex_fixed(v, "token", want, sizeof want);
    assert_int_equal(rns_autoif_token(tok, group, strlen(group), addr, strlen(addr)), 0);
    assert_memory_equal(tok, want, sizeof want);
    /* another group or another source address gives another token */
    assert_int_equal(rns_autoif_token(tok, "x", 1, addr, strlen(addr)), 0);
    assert_memory_not_equal(tok, want, sizeof want);
    assert_int_equal(rns_autoif_token(tok, group, strlen(group), "fe80::2", 7), 0);
    assert_memory_not_equal(tok, want, sizeof want);
}

static void check_descope(json_t *v)
{
    json_t *cases = json_object_get(v, "cases"), *c;
    size_t i;

    assert_true(json_array_size(cases) > 0);
    json_array_foreach(cases, i, c) {
        const char *in = rt_str(c, "input"), *want = rt_str(c, "output");
        char out[64];
        assert_int_equal(rns_autoif_descope(out, sizeof out, in), 0);
        assert_string_equal(out, want);
        /* an output buffer one byte short is refused, not overrun */
        assert_int_equal(rns_autoif_descope(out, strlen(want), in), ML_EINVAL);
    }
}

static void test_vectors(void **state)
{
    static const tu_checker kinds[] = {
        {"autointerface_multicast", check_multicast},
        {"autointerface_token", check_token},
        {"autointerface_descope", check_descope},
    };
    static const size_t want[] = {4, 4, 1};   /* at least this many of each kind */
    json_t *file = tu_load_vectors("vectors/rns/autointerface.json");
    (void)state;

    tu_check_vectors(file, kinds, sizeof kinds / sizeof kinds[0]);
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        assert_true(tu_count_kind(file, kinds[k].kind) >= want[k]);
    json_decref(file);
}

static void test_edges(void **state)
{
    uint8_t addr[16], tok[32];
    char text[RNS_AUTOIF_ADDR_TEXT_MAX], out[32];
    (void)state;

    /* a word below 0x10 keeps two digits in the reference text */
    assert_int_equal(rns_autoif_mcast_addr(addr, text, sizeof text, "meshlog", 7,
                                           RNS_AUTOIF_ADDR_TEMPORARY, RNS_AUTOIF_SCOPE_LINK), 0);
    assert_non_null(strstr(text, ":1ee:"));
    assert_int_equal(rns_autoif_mcast_addr(addr, NULL, 0, "g", 1, 0x10, 2), ML_EINVAL);
    assert_int_equal(rns_autoif_mcast_addr(addr, NULL, 0, "g", 1, 1, 0x10), ML_EINVAL);
    assert_int_equal(rns_autoif_mcast_addr(addr, text, 8, "g", 1, 1, 2), ML_EINVAL);
    assert_int_equal(rns_autoif_mcast_addr(addr, NULL, 0, NULL, 1, 1, 2), ML_EINVAL);
    assert_int_equal(rns_autoif_token(tok, NULL, 1, "a", 1), ML_EINVAL);
    assert_int_equal(rns_autoif_token(NULL, "a", 1, "a", 1), ML_EINVAL);
    /* embedded scope with more hex digits, and text that only looks similar */
    assert_int_equal(rns_autoif_descope(out, sizeof out, "fe80:1f::2%wlan0"), 0);
    assert_string_equal(out, "fe80::2");
    assert_int_equal(rns_autoif_descope(out, sizeof out, "fe80::"), 0);
    assert_string_equal(out, "fe80::");
    assert_int_equal(rns_autoif_descope(out, sizeof out, "fe80:g::1"), 0);
    assert_string_equal(out, "fe80:g::1");
    assert_int_equal(rns_autoif_descope(out, sizeof out, "%eth0"), 0);
    assert_string_equal(out, "");
    assert_int_equal(rns_autoif_descope(out, 0, "fe80::1"), ML_EINVAL);
    assert_int_equal(rns_autoif_descope(NULL, 4, "a"), ML_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
