// SPDX-License-Identifier: MIT
// Tests of rns_config.h: the config-file syntax (sections, subsections,
// quoting, lists, comments, errors) and the interface-section rules (modes
// and aliases, IFAC credentials, floors and caps, ingress-control defaults,
// discoverable interfaces), on sample configs.
#include <string.h>

#include "testutil.h"
#include "meshlog/error.h"
#include "meshlog/rns_config.h"
#include "meshlog/rns_ifac.h"

static const char sample[] =
    "# a reference-style config\n"
    "[reticulum]\n"
    "  enable_transport = No\n"
    "  share_instance = Yes   # trailing comment\n"
    "\n"
    "[logging]\n"
    "  loglevel = 4\n"
    "[interfaces]\n"
    "  [[Default Interface]]\n"
    "    type = AutoInterface\n"
    "    enabled = yes\n"
    "  [[TCP Server]]\n"
    "    type = TCPServerInterface\n"
    "    interface_enabled = True\n"
    "    listen_ip = 0.0.0.0\n"
    "    listen_port = 4242\n"
    "    network_name = \"my net # not a comment\"\n"
    "    peers = a, b ,c\n";

static rns_cfg *parse(const char *text)
{
    rns_cfg *cfg = NULL;
    char err[128];
    int rc = rns_cfg_parse(&cfg, text, strlen(text), err, sizeof err);
    if (rc)
        fprintf(stderr, "parse: %s\n", err);
    assert_int_equal(rc, 0);
    return cfg;
}

static void test_syntax(void **state)
{
    (void)state;
    rns_cfg *cfg = parse(sample);
    const rns_cfg_section *root = rns_cfg_root(cfg), *ret, *ifs, *tcp, *s;
    const char *name;
    size_t n;
    int b;
    long long v;

    ret = rns_cfg_sub(root, "reticulum");
    assert_non_null(ret);
    assert_int_equal(rns_cfg_bool(ret, "enable_transport", &b), 0);
    assert_int_equal(b, 0);
    assert_int_equal(rns_cfg_bool(ret, "share_instance", &b), 0);
    assert_int_equal(b, 1);
    assert_int_equal(rns_cfg_bool(ret, "missing", &b), ML_ENOTFOUND);
    assert_int_equal(rns_cfg_int(rns_cfg_sub(root, "logging"), "loglevel", &v), 0);
    assert_int_equal(v, 4);
    ifs = rns_cfg_sub(root, "interfaces");
    s = rns_cfg_sub_at(ifs, 0, &name);
    assert_non_null(s);
    assert_string_equal(name, "Default Interface");
    assert_null(rns_cfg_sub_at(ifs, 2, NULL));
    tcp = rns_cfg_sub(ifs, "TCP Server");
    assert_non_null(tcp);
    assert_string_equal(rns_cfg_get(tcp, "network_name", &n), "my net # not a comment");
    assert_int_equal(n, 1);
    assert_string_equal(rns_cfg_get(tcp, "peers", &n), "a, b, c");
    assert_int_equal(n, 3);
    assert_string_equal(rns_cfg_item(tcp, "peers", 1), "b");
    assert_string_equal(rns_cfg_item(tcp, "peers", 2), "c");
    assert_int_equal(rns_cfg_int(tcp, "peers", &v), ML_EMALFORMED);   /* a list */
    assert_int_equal(rns_cfg_int(tcp, "listen_ip", &v), ML_EMALFORMED);
    /* a subsection marker closes the previous subsection's keys */
    assert_null(rns_cfg_get(rns_cfg_sub(ifs, "Default Interface"), "listen_port", NULL));
    rns_cfg_free(cfg);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "[a\n",                        /* unbalanced */
        "[a]\n[[[b]]]\n",              /* two levels down at once */
        "[a]\nk = 1\nk = 2\n",         /* duplicate key */
        "[a]\n[a]\n",                  /* duplicate section */
        "just words\n",                /* no '=' */
        "[a]\nk = \"open\n",           /* unterminated quote */
        "[a]\nk = \"x\" y\n",          /* text after a quoted value */
        "[]\n",                        /* empty name */
    };
    char err[128];
    rns_cfg *cfg;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cfg = NULL;
        assert_int_equal(rns_cfg_parse(&cfg, bad[i], strlen(bad[i]), err, sizeof err),
                         ML_EMALFORMED);
        assert_null(cfg);
        assert_true(strncmp(err, "line ", 5) == 0);
    }
    assert_int_equal(rns_cfg_parse(NULL, "", 0, NULL, 0), ML_EINVAL);
    assert_int_equal(rns_cfg_parse(&cfg, "a\0b", 3, NULL, 0), ML_EMALFORMED);
    assert_int_equal(rns_cfg_parse(&cfg, "", 0, NULL, 0), 0);
    assert_null(rns_cfg_sub(rns_cfg_root(cfg), "x"));
    rns_cfg_free(cfg);
    rns_cfg_free(NULL);
}

/* Resolves "[interfaces] [[probe]] type = <type>" plus body. Returns the rc. */
static int resolve(const char *type, const char *body, rns_iface_config *ic)
{
    char text[1024], err[160];
    rns_cfg *cfg;
    int rc;

    snprintf(text, sizeof text, "[interfaces]\n  [[probe]]\n    type = %s\n    enabled = yes\n%s\n",
             type, body);
    cfg = parse(text);
    rc = rns_iface_config_resolve(rns_cfg_sub(rns_cfg_sub(rns_cfg_root(cfg), "interfaces"), "probe"),
                                  "probe", ic, err, sizeof err);
    if (rc)
        assert_true(err[0] != '\0');
    rns_cfg_free(cfg);
    return rc;
}

static int mode_for(const char *body)
{
    rns_iface_config ic;
    int mode;
    assert_int_equal(resolve("TCPServerInterface", body, &ic), 0);
    mode = ic.mode;
    rns_iface_config_clear(&ic);
    return mode;
}

static void test_modes(void **state)
{
    (void)state;
    rns_iface_config ic;

    assert_int_equal(mode_for(""), RNS_MODE_FULL);
    assert_int_equal(mode_for("mode = ptp"), RNS_MODE_POINT_TO_POINT);
    assert_int_equal(mode_for("mode = PointToPoint"), RNS_MODE_POINT_TO_POINT);
    assert_int_equal(mode_for("mode = point_to_point"), RNS_MODE_FULL);
    assert_int_equal(mode_for("mode = ap"), RNS_MODE_ACCESS_POINT);
    assert_int_equal(mode_for("mode = gw"), RNS_MODE_GATEWAY);
    assert_int_equal(mode_for("mode = roaming"), RNS_MODE_ROAMING);
    assert_int_equal(mode_for("mode = boundary"), RNS_MODE_BOUNDARY);
    assert_int_equal(mode_for("interface_mode = accesspoint\nmode = full"), RNS_MODE_ACCESS_POINT);
    assert_int_equal(mode_for("interface_mode = gateway\nmode = gateway"), RNS_MODE_GATEWAY);
    /* gateway through interface_mode needs the mode key, as in the reference */
    assert_int_equal(resolve("TCPServerInterface", "interface_mode = gateway", &ic), ML_EMALFORMED);
    /* discoverable raises a plain mode to gateway (RNodes: access point) */
    assert_int_equal(mode_for("discoverable = yes"), RNS_MODE_GATEWAY);
    assert_int_equal(mode_for("discoverable = yes\nmode = ap"), RNS_MODE_ACCESS_POINT);
    assert_int_equal(mode_for("discoverable = yes\nignore_config_warnings = yes"), RNS_MODE_FULL);
    assert_int_equal(resolve("RNodeInterface", "discoverable = yes", &ic), 0);
    assert_int_equal(ic.mode, RNS_MODE_ACCESS_POINT);
    rns_iface_config_clear(&ic);
}

static void test_bounds(void **state)
{
    (void)state;
    rns_iface_config ic;

    assert_int_equal(resolve("TCPServerInterface", "bitrate = 4\nannounce_cap = 0\nifac_size = 7", &ic), 0);
    assert_int_equal(ic.configured_bitrate, 0);
    assert_int_equal(ic.bitrate, 10000000);
    assert_int_equal(ic.hw_mtu, 8192);            /* autoconfigured from the guess */
    assert_true(ic.announce_cap > 0.0199 && ic.announce_cap < 0.0201);
    assert_int_equal(ic.ifac_size, 16);
    assert_int_equal(ic.discoverable, 0);
    assert_int_equal(ic.discovery_announce_interval, 0);
    rns_iface_config_clear(&ic);

    assert_int_equal(resolve("TCPServerInterface", "bitrate = 5\nannounce_cap = 50\nifac_size = 64", &ic), 0);
    assert_int_equal(ic.configured_bitrate, 5);
    assert_int_equal(ic.hw_mtu, 0);               /* too slow for an autoconfigured MTU */
    assert_true(ic.announce_cap > 0.499 && ic.announce_cap < 0.501);
    assert_int_equal(ic.ifac_size, 8);
    rns_iface_config_clear(&ic);

    assert_int_equal(resolve("KISSInterface", "announce_cap = 150\nifac_size = 512", &ic), 0);
    assert_int_equal(ic.ifac_size, 64);
    assert_int_equal(ic.bitrate, 1200);
    assert_true(ic.announce_cap > 0.0199 && ic.announce_cap < 0.0201);
    rns_iface_config_clear(&ic);
    assert_int_equal(resolve("KISSInterface", "", &ic), 0);
    assert_int_equal(ic.ifac_size, 8);
    rns_iface_config_clear(&ic);
    assert_int_equal(resolve("KISSInterface", "ifac_size = 520", &ic), ML_EMALFORMED);

    assert_int_equal(resolve("TCPServerInterface", "discoverable = yes\nannounce_interval = 1", &ic), 0);
    assert_int_equal(ic.discovery_announce_interval, 300);
    rns_iface_config_clear(&ic);
    assert_int_equal(resolve("TCPServerInterface", "discoverable = yes\nannounce_interval = 10", &ic), 0);
    assert_int_equal(ic.discovery_announce_interval, 600);
    rns_iface_config_clear(&ic);
    assert_int_equal(resolve("TCPServerInterface", "discoverable = yes", &ic), 0);
    assert_int_equal(ic.discovery_announce_interval, 21600);
    rns_iface_config_clear(&ic);

    /* wrong types are errors, not defaults */
    assert_int_equal(resolve("TCPServerInterface", "bitrate = fast", &ic), ML_EMALFORMED);
    assert_int_equal(resolve("TCPServerInterface", "discoverable = maybe", &ic), ML_EMALFORMED);
    assert_int_equal(resolve("TCPServerInterface", "ic_burst_freq = x", &ic), ML_EMALFORMED);
}

static void test_ifac_and_ic(void **state)
{
    (void)state;
    rns_iface_config ic;
    rns_ifac *ifac;

    assert_int_equal(resolve("UDPInterface", "networkname = nn\nnetwork_name = wins\npass_phrase = k", &ic), 0);
    assert_string_equal(ic.ifac_netname, "wins");
    assert_string_equal(ic.ifac_netkey, "k");
    assert_int_equal(rns_iface_config_ifac(&ic, &ifac), 0);
    assert_non_null(ifac);
    assert_int_equal(rns_ifac_size(ifac), 16);
    rns_ifac_free(ifac);
    rns_iface_config_clear(&ic);

    /* empty means unset: no access code */
    assert_int_equal(resolve("UDPInterface", "networkname =\npassphrase = \"\"", &ic), 0);
    assert_null(ic.ifac_netname);
    assert_null(ic.ifac_netkey);
    assert_int_equal(rns_iface_config_ifac(&ic, &ifac), 0);
    assert_null(ifac);
    /* ingress control: the Interface class defaults */
    assert_int_equal(ic.ic_max_held_announces, 256);
    assert_true(ic.ic_burst_freq == 10.0 && ic.ic_burst_freq_new == 3.0);
    assert_true(ic.ic_burst_hold == 15.0 && ic.ic_burst_penalty == 15.0);
    assert_true(ic.ic_held_release_interval == 5.0 && ic.ic_new_time == 7200.0);
    rns_iface_config_clear(&ic);

    assert_int_equal(resolve("UDPInterface", "ic_max_held_announces = 7\nic_burst_freq = 4.5\nic_new_time = 99", &ic), 0);
    assert_int_equal(ic.ic_max_held_announces, 7);
    assert_true(ic.ic_burst_freq == 4.5 && ic.ic_new_time == 99.0);
    rns_iface_config_clear(&ic);

    /* announce rate control: none configured; a transport node's defaults */
    assert_int_equal(resolve("UDPInterface", "", &ic), 0);
    assert_int_equal(ic.announce_rate_target, -1);
    rns_iface_config_transport_defaults(&ic);
    assert_int_equal(ic.announce_rate_target, RNS_DEFAULT_AR_TARGET);
    assert_int_equal(ic.announce_rate_penalty, 0);
    assert_int_equal(ic.announce_rate_grace, 5);
    rns_iface_config_clear(&ic);
    assert_int_equal(resolve("UDPInterface", "announce_rate_target = 60", &ic), 0);
    assert_int_equal(ic.announce_rate_grace, 0);    /* a target set alone: no grace */
    rns_iface_config_transport_defaults(&ic);
    assert_int_equal(ic.announce_rate_target, 60);
    assert_int_equal(ic.announce_rate_grace, 0);
    rns_iface_config_clear(&ic);
    /* below their lower bounds the values are ignored, not refused */
    assert_int_equal(resolve("UDPInterface", "announce_rate_target = 0\nannounce_rate_grace = -1\n"
                                             "announce_rate_penalty = 0", &ic), 0);
    assert_int_equal(ic.announce_rate_target, -1);
    assert_int_equal(ic.announce_rate_grace, -1);
    assert_int_equal(ic.announce_rate_penalty, 0);
    rns_iface_config_clear(&ic);

    /* an external (unknown) type: base defaults */
    assert_int_equal(resolve("MyOwnInterface", "", &ic), 0);
    assert_int_equal(ic.bitrate, RNS_BASE_BITRATE);
    assert_int_equal(ic.ifac_size, 16);
    assert_int_equal(ic.enabled, 1);
    rns_iface_config_clear(&ic);
    rns_iface_config_clear(NULL);
}

static void test_hash_list(void **state)
{
    (void)state;
    const char *ok[] = {"00112233445566778899aabbccddeeff", "00112233445566778899AABBCCDDEEFF",
                        "ffeeddccbbaa99887766554433221100"};
    const char *shorter[] = {"00112233445566778899aabbccddee"};
    const char *nothex[] = {"0011223344556677889900zz00112233"};
    uint8_t out[4][16];
    size_t n;
    char err[128];

    assert_int_equal(rns_cfg_hash_list(ok, 3, out, 4, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);   /* the same hash twice is kept once */
    assert_int_equal(out[1][0], 0xff);
    assert_int_equal(rns_cfg_hash_list(ok, 3, out, 1, &n, err, sizeof err), ML_ETOOBIG);
    assert_int_equal(rns_cfg_hash_list(shorter, 1, out, 4, &n, err, sizeof err), ML_EMALFORMED);
    assert_non_null(strstr(err, "32 hex digits"));
    assert_int_equal(rns_cfg_hash_list(nothex, 1, out, 4, &n, err, sizeof err), ML_EMALFORMED);
}

/* Resolves the [reticulum] section of text into ic. */
static int resolve_instance(const char *text, rns_instance_config *ic)
{
    char err[128];
    rns_cfg *cfg = parse(text);
    int rc = rns_instance_config_resolve(rns_cfg_sub(rns_cfg_root(cfg), "reticulum"), ic, err,
                                         sizeof err);
    rns_cfg_free(cfg);
    return rc;
}

static void test_instance(void **state)
{
    (void)state;
    rns_instance_config ic;
    char err[128];

    assert_int_equal(rns_instance_config_resolve(NULL, &ic, err, sizeof err), 0);
    assert_int_equal(ic.enable_transport, 0);
    assert_int_equal(ic.share_instance, 1);
    assert_int_equal(ic.use_implicit_proof, 1);
    assert_int_equal(ic.discover_interfaces, 0);
    assert_int_equal(ic.autoconnect_discovered_interfaces, 0);
    assert_int_equal(resolve_instance("[reticulum]\nenable_transport = yes\nuse_implicit_proof = no\n"
                                      "discover_interfaces = yes\n"
                                      "autoconnect_discovered_interfaces = 3\n", &ic), 0);
    assert_int_equal(ic.enable_transport, 1);
    assert_int_equal(ic.use_implicit_proof, 0);
    assert_int_equal(ic.discover_interfaces, 1);
    assert_int_equal(ic.autoconnect_discovered_interfaces, 3);
    assert_int_equal(resolve_instance("[reticulum]\nautoconnect_discovered_interfaces = -2\n"
                                      "required_discovery_value = 0\n", &ic), 0);
    assert_int_equal(ic.autoconnect_discovered_interfaces, 0);
    assert_int_equal(ic.required_discovery_value, 0);
    assert_int_equal(resolve_instance("[reticulum]\nrespond_to_probes = perhaps\n", &ic),
                     ML_EMALFORMED);
}

static void test_classes(void **state)
{
    (void)state;
    assert_int_equal(rns_iface_class_find("TCPInterface")->class_hw_mtu, 262144);
    assert_int_equal(rns_iface_class_find("AutoInterface")->class_hw_mtu, 1196);
    assert_int_equal(rns_iface_class_find("BackboneInterface")->class_hw_mtu, 1048576);
    assert_int_equal(rns_iface_class_find("UDPInterface")->class_hw_mtu, 0);
    assert_int_equal(rns_iface_class_find("PipeInterface")->default_ifac_size, 8);
    assert_null(rns_iface_class_find("NoSuchInterface"));
    assert_null(rns_iface_class_find(NULL));
    assert_int_equal(rns_iface_class_external()->default_ifac_size, 16);
    assert_int_equal(rns_iface_class_external()->supports_discovery, 0);
    assert_int_equal(rns_iface_class_find("TCPServerInterface")->supports_discovery, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_syntax),      cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_modes),       cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_ifac_and_ic), cmocka_unit_test(test_classes),
        cmocka_unit_test(test_hash_list),   cmocka_unit_test(test_instance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
