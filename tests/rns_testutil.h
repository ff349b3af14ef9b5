// SPDX-License-Identifier: MIT
// Helpers shared by the Reticulum vector tests (test_rns_*.c): hex fields of
// a vector, the fixed identities by label, and one checker that compares a
// packet vector's every decoded header field, its hash, and a re-pack of it.
// Header-only (static inline); the in-memory transport harness is
// rns_memnet.h.
#ifndef MESHLOG_RNS_TESTUTIL_H
#define MESHLOG_RNS_TESTUTIL_H

#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "meshlog/error.h"
#include "meshlog/rns_identity.h"
#include "meshlog/rns_packet.h"

/* A seeded byte source for the cores' rng callback: ctx is the test's
 * uint64_t PRNG state (tu_rand), so a run repeats from its printed seed. */
static inline int rt_rng(void *ctx, void *out, size_t len)
{
    uint8_t *o = out;
    for (size_t i = 0; i < len; i++)
        o[i] = (uint8_t)(tu_rand(ctx) >> 56);
    return 0;
}

/* String field that must exist. */
static inline const char *rt_str(json_t *v, const char *key)
{
    const char *s = json_string_value(json_object_get(v, key));
    if (!s)
        fprintf(stderr, "missing string field %s\n", key);
    assert_non_null(s);
    return s;
}

/* Hex field as malloc'd bytes; null/absent gives an empty buffer. */
static inline uint8_t *rt_hex(json_t *v, const char *key, size_t *len)
{
    const char *hex = json_string_value(json_object_get(v, key));
    return tu_unhex(hex ? hex : "", len);
}

/* Hex field of exactly n bytes into out. */
static inline void rt_hex_fixed(json_t *v, const char *key, uint8_t *out, size_t n)
{
    const char *hex = rt_str(v, key);
    assert_int_equal(strlen(hex), 2 * n);
    assert_int_equal(ml_unhex(out, n, hex, 2 * n), 0);
}

static inline long long rt_int(json_t *v, const char *key)
{
    json_t *j = json_object_get(v, key);
    assert_true(json_is_integer(j));
    return json_integer_value(j);
}

/* The identity with this label from file["identities"] (a list of
 * {label, private_key, ...} objects). Caller frees. */
static inline rns_identity *rt_identity(json_t *file, const char *label)
{
    json_t *ids = json_object_get(file, "identities"), *e;
    size_t i;
    json_array_foreach(ids, i, e) {
        if (strcmp(rt_str(e, "label"), label) == 0) {
            uint8_t priv[RNS_KEYSIZE];
            rns_identity *id = NULL;
            rt_hex_fixed(e, "private_key", priv, sizeof priv);
            assert_int_equal(rns_identity_from_private(&id, priv), 0);
            tu_assert_hex(rns_identity_public_key(id), RNS_KEYSIZE, rt_str(e, "public_key"));
            return id;
        }
    }
    fprintf(stderr, "identity %s not in file\n", label);
    fail();
    return NULL;
}

static inline int rt_dest_type(const char *name)
{
    static const char *const names[] = {"SINGLE", "GROUP", "PLAIN", "LINK"};
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    fail();
    return -1;
}

static inline int rt_packet_type(const char *name)
{
    static const char *const names[] = {"DATA", "ANNOUNCE", "LINKREQUEST", "PROOF"};
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    fail();
    return -1;
}

/* Unpacks v["raw"] into *p (borrowing *raw_out, which the caller frees) and
 * checks every decoded field the vector gives, the packet hash, and that
 * packing *p gives the raw bytes back. */
static inline void rt_check_packet(json_t *v, rns_packet *p, uint8_t **raw_out)
{
    size_t len;
    uint8_t *raw = rt_hex(v, "raw", &len), hash[32], flags;
    ml_buf b = ML_BUF_INIT;

    if (json_object_get(v, "length"))
        assert_int_equal(len, rt_int(v, "length"));
    assert_int_equal(rns_packet_unpack(p, raw, len), 0);
    rt_hex_fixed(v, "flags", &flags, 1);
    assert_int_equal(rns_packet_flags(p), flags);
    assert_int_equal(p->header_type, rt_int(v, "header_type"));
    assert_int_equal(p->context_flag, rt_int(v, "context_flag"));
    assert_int_equal(p->transport_type, rt_int(v, "transport_type"));
    assert_int_equal(p->dest_type, rt_dest_type(rt_str(v, "destination_type")));
    assert_int_equal(p->packet_type, rt_packet_type(rt_str(v, "packet_type")));
    assert_int_equal(p->hops, rt_int(v, "hops"));
    tu_assert_hex(p->dest_hash, RNS_HASHLEN, rt_str(v, "destination_hash"));
    if (p->header_type == RNS_HEADER_2)
        tu_assert_hex(p->transport_id, RNS_HASHLEN, rt_str(v, "transport_id"));
    tu_assert_hex(&p->context, 1, rt_str(v, "context"));
    if (json_object_get(v, "context_name"))
        assert_string_equal(rns_context_name(p->context), rt_str(v, "context_name"));
    tu_assert_hex(p->data, p->data_len, rt_str(v, "data"));
    assert_int_equal(rns_packet_hash(hash, p), 0);
    tu_assert_hex(hash, 32, rt_str(v, "packet_hash"));
    assert_int_equal(rns_packet_truncated_hash(hash, p), 0);
    tu_assert_hex(hash, 16, rt_str(v, "truncated_packet_hash"));
    if (json_object_get(v, "hashable_part")) {
        assert_int_equal(rns_packet_hashable_part(&b, p), 0);
        tu_assert_hex(b.p, b.len, rt_str(v, "hashable_part"));
        ml_buf_reset(&b);
    }
    assert_int_equal(rns_packet_pack(&b, p), 0);
    tu_assert_hex(b.p, b.len, rt_str(v, "raw"));
    ml_buf_free(&b);
    *raw_out = raw;
}

#endif
