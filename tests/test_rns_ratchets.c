// SPDX-License-Identifier: MIT
// The store of received ratchets (rns_ratchets.h): round trip through the
// file (atomic, no ".out" left), expiry after 30 days, damaged and truncated
// files read as absent and are removed, the clean-up; and the core with a
// store: the golden ratchet announce is written when adopted, a fresh core
// reloads it from disk, and the clean-up keeps only known destinations.
#include "rns_testutil.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "meshlog/rns_ratchets.h"
#include "meshlog/rns_transport.h"

static const double T0 = 1767225600.0;

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void write_bytes(const char *path, const void *p, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static rns_ratchet_store *open_store(const char *name)
{
    char dir[512];
    rns_ratchet_store *s = NULL;

    /* a nested path: the store creates its parents, as os.makedirs */
    snprintf(dir, sizeof dir, "%s/%s/ratchets/", tu_tmpdir(), name);
    assert_int_equal(rns_ratchet_store_open(&s, dir), 0);
    assert_non_null(s);
    return s;
}

static void test_round_trip(void **state)
{
    rns_ratchet_store *s = open_store("rt"), *s2;
    uint8_t dest[RNS_HASHLEN], r[32], got[32];
    char path[600], tmp[610];
    double t = 0;

    (void)state;
    memset(dest, 0xab, sizeof dest);
    for (int i = 0; i < 32; i++)
        r[i] = (uint8_t)i;
    assert_int_equal(rns_ratchet_store_get(s, dest, T0, got, NULL), ML_ENOTFOUND);
    assert_int_equal(rns_ratchet_store_put(s, dest, r, T0), 0);
    assert_int_equal(rns_ratchet_store_path(s, dest, path, sizeof path), 0);
    assert_non_null(strstr(path, "/abababababababababababababababab"));
    snprintf(tmp, sizeof tmp, "%s.out", path);
    assert_true(exists(path));
    assert_false(exists(tmp));

    /* the bytes are the reference's {"ratchet": bin, "received": float64} */
    {
        size_t len;
        char *raw = tu_read_file(path, &len);
        assert_int_equal(len, 1 + 8 + 2 + 32 + 9 + 9);
        assert_int_equal((uint8_t)raw[0], 0x82);
        assert_memory_equal(raw + 1, "\xa7ratchet\xc4\x20", 10);
        assert_memory_equal(raw + 11, r, 32);
        assert_memory_equal(raw + 43, "\xa8received\xcb", 10);
        free(raw);
    }

    /* another store on the same folder (a restart) reads it back */
    assert_int_equal(rns_ratchet_store_open(&s2, rns_ratchet_store_dir(s)), 0);
    assert_int_equal(rns_ratchet_store_get(s2, dest, T0 + 10, got, &t), 0);
    assert_memory_equal(got, r, 32);
    assert_true(t == T0);

    /* a newer one replaces it */
    r[0] = 0xff;
    assert_int_equal(rns_ratchet_store_put(s2, dest, r, T0 + 20), 0);
    assert_int_equal(rns_ratchet_store_get(s, dest, T0 + 30, got, NULL), 0);
    assert_memory_equal(got, r, 32);

    assert_int_equal(rns_ratchet_store_put(NULL, dest, r, T0), ML_EINVAL);
    assert_int_equal(rns_ratchet_store_open(&s2, ""), ML_EINVAL);
    rns_ratchet_store_free(s2);
    rns_ratchet_store_free(s);
}

static void test_expiry(void **state)
{
    rns_ratchet_store *s = open_store("exp");
    uint8_t dest[RNS_HASHLEN] = {1}, r[32] = {7}, got[32];
    char path[600];
    size_t removed = 9;

    (void)state;
    assert_int_equal(rns_ratchet_store_put(s, dest, r, T0), 0);
    assert_int_equal(rns_ratchet_store_get(s, dest, T0 + RNS_RATCHET_EXPIRY - 1, got, NULL), 0);
    assert_int_equal(rns_ratchet_store_get(s, dest, T0 + RNS_RATCHET_EXPIRY, got, NULL),
                     ML_ENOTFOUND);
    /* expired files stay until the clean-up removes them */
    assert_int_equal(rns_ratchet_store_path(s, dest, path, sizeof path), 0);
    assert_true(exists(path));
    assert_int_equal(rns_ratchet_store_clean(s, T0 + 100, NULL, NULL, &removed), 0);
    assert_int_equal(removed, 0);
    assert_int_equal(rns_ratchet_store_clean(s, T0 + RNS_RATCHET_EXPIRY + 1, NULL, NULL,
                                             &removed), 0);
    assert_int_equal(removed, 1);
    assert_false(exists(path));
    rns_ratchet_store_free(s);
}

static void test_damaged(void **state)
{
    rns_ratchet_store *s = open_store("bad");
    uint8_t dest[RNS_HASHLEN] = {2}, r[32] = {9}, got[32];
    char path[600], stale[610], other[600];
    size_t len, removed = 0;
    char *raw;

    (void)state;
    assert_int_equal(rns_ratchet_store_put(s, dest, r, T0), 0);
    assert_int_equal(rns_ratchet_store_path(s, dest, path, sizeof path), 0);
    raw = tu_read_file(path, &len);

    /* truncated at every length: absent, and the file is gone */
    for (size_t cut = 0; cut < len; cut++) {
        write_bytes(path, raw, cut);
        assert_int_equal(rns_ratchet_store_get(s, dest, T0, got, NULL), ML_ENOTFOUND);
        assert_false(exists(path));
    }
    /* a 31-byte ratchet, a text time, trailing junk, garbage */
    raw[10] = 0x1f;
    write_bytes(path, raw, len - 1);
    assert_int_equal(rns_ratchet_store_get(s, dest, T0, got, NULL), ML_ENOTFOUND);
    assert_false(exists(path));
    write_bytes(path, "\x82\xa7ratchet\xc4\x01x\xa8received\xa1x", 23);
    assert_int_equal(rns_ratchet_store_get(s, dest, T0, got, NULL), ML_ENOTFOUND);
    assert_int_equal(rns_ratchet_store_put(s, dest, r, T0), 0);
    free(raw);
    raw = tu_read_file(path, &len);
    raw = realloc(raw, len + 1);
    raw[len] = 0;
    write_bytes(path, raw, len + 1);
    assert_int_equal(rns_ratchet_store_get(s, dest, T0, got, NULL), ML_ENOTFOUND);
    free(raw);

    /* the clean-up removes damaged files and stale temps, leaves other names */
    write_bytes(path, "\xc1\xc1\xc1", 3);
    snprintf(stale, sizeof stale, "%s.out", path);
    write_bytes(stale, "x", 1);
    snprintf(other, sizeof other, "%s/README", rns_ratchet_store_dir(s));
    write_bytes(other, "x", 1);
    assert_int_equal(rns_ratchet_store_clean(s, T0, NULL, NULL, &removed), 0);
    assert_int_equal(removed, 2);
    assert_false(exists(path));
    assert_false(exists(stale));
    assert_true(exists(other));
    unlink(other);
    rns_ratchet_store_free(s);
}

static rns_transport *new_core(uint64_t *rs, int *ifc)
{
    rns_transport_config cfg = {rt_rng, rs, NULL, NULL};
    rns_iface_props ip = {"mem", 500, 0, 0, NULL};
    rns_transport *t = NULL;

    assert_int_equal(rns_transport_new(&t, &cfg), 0);
    assert_int_equal(rns_transport_add_iface(t, &ip, ifc), 0);
    return t;
}

/* The golden ratchet announce (RNS 1.4.2) adopted by a core with a store. */
static void test_core_store(void **state)
{
    json_t *file = tu_load_vectors("vectors/rns/announces.json");
    json_t *v = tu_vector(file, "announce_ratchet_no_app_data");
    rns_ratchet_store *s = open_store("core");
    uint64_t rs = 5;
    uint8_t dest[RNS_HASHLEN], mem[32], disk[32];
    rns_transport *a, *b;
    size_t len, removed = 9;
    uint8_t *raw = rt_hex(v, "raw", &len);
    rns_packet p;
    char path[600];
    int ifa, ifb;

    (void)state;
    assert_int_equal(rns_packet_unpack(&p, raw, len), 0);
    memcpy(dest, p.dest_hash, RNS_HASHLEN);
    a = new_core(&rs, &ifa);
    b = new_core(&rs, &ifb);
    assert_int_equal(rns_transport_clean_ratchets(a, T0, NULL), ML_ESTATE);
    rns_transport_set_ratchet_store(a, s);
    assert_ptr_equal(rns_transport_ratchet_store(a), s);
    assert_int_equal(rns_transport_inbound(a, ifa, raw, len, T0), 0);
    assert_int_equal(rns_transport_recall_ratchet(a, dest, mem), 0);
    assert_int_equal(rns_ratchet_store_path(s, dest, path, sizeof path), 0);
    assert_true(exists(path));

    /* a core that never heard the announce has no ratchet until given the store */
    assert_int_equal(rns_transport_recall_ratchet(b, dest, disk), ML_ENOTFOUND);
    rns_transport_set_ratchet_store(b, s);
    assert_int_equal(rns_transport_recall_ratchet(b, dest, disk), 0);
    assert_memory_equal(mem, disk, 32);

    /* clean-up: A knows the destination (kept), B does not (removed) */
    assert_int_equal(rns_transport_clean_ratchets(a, T0 + 1, &removed), 0);
    assert_int_equal(removed, 0);
    assert_true(exists(path));
    assert_int_equal(rns_transport_clean_ratchets(b, T0 + 1, &removed), 0);
    assert_int_equal(removed, 1);
    assert_false(exists(path));
    assert_int_equal(rns_transport_recall_ratchet(b, dest, disk), ML_ENOTFOUND);

    rns_transport_free(a);
    rns_transport_free(b);
    rns_ratchet_store_free(s);
    free(raw);
    json_decref(file);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_damaged),
        cmocka_unit_test(test_core_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
