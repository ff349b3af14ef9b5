// SPDX-License-Identifier: MIT
// libFuzzer target for the transport core's inbound path: arbitrary bytes
// arriving on an interface. Each input builds the same deterministic scene
// (cores A and B with local destinations, announces heard both ways, a link
// from B to A established, a single packet from A to B awaiting its proof),
// then feeds the input to A as records:
//   byte 0: bit 0 = the interface is a shared-instance connection,
//           bit 1 = tick A's timers 400 s later after the records
//   then:   u16 big-endian length | that many bytes, repeated
// Seeds in fuzz/corpus/rns_transport/ are real packets of B's session
// (data, request, keepalive, proof, close, announce) in this format.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meshlog/rns_transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct scene {
    rns_transport *a, *b;
    int ia, ib;
    uint64_t rs_a, rs_b;
    uint8_t da[RNS_HASHLEN], db[RNS_HASHLEN], link_id[RNS_HASHLEN];
    rns_identity *ida, *idb;
} scene;

static int rng(void *ctx, void *out, size_t len)
{
    uint64_t *s = ctx;
    uint8_t *o = out;
    for (size_t i = 0; i < len; i++) {
        *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
        o[i] = (uint8_t)(*s >> 56);
    }
    return 0;
}

static void drain(rns_transport *t)
{
    ml_buf b = ML_BUF_INIT;
    rns_tev ev;
    int ifc;
    while (rns_transport_pop_output(t, &ifc, &b) == 1)
        ml_buf_reset(&b);
    ml_buf_free(&b);
    while (rns_transport_pop_event(t, &ev) == 1)
        rns_tev_clear(&ev);
}

/* Moves packets between the two cores until both are quiet. */
static void pump(scene *s, double now)
{
    ml_buf b = ML_BUF_INIT;
    int ifc, moved = 1;
    for (int guard = 0; moved && guard < 100; guard++) {
        moved = 0;
        while (rns_transport_pop_output(s->a, &ifc, &b) == 1) {
            rns_transport_inbound(s->b, s->ib, b.p, b.len, now);
            ml_buf_reset(&b);
            moved = 1;
        }
        while (rns_transport_pop_output(s->b, &ifc, &b) == 1) {
            rns_transport_inbound(s->a, s->ia, b.p, b.len, now);
            ml_buf_reset(&b);
            moved = 1;
        }
    }
    ml_buf_free(&b);
}

static int make_core(rns_transport **t, uint64_t *rs, int shared, int *ifc, rns_identity **id,
                     uint8_t dest[RNS_HASHLEN])
{
    static const char *const aspects[] = {"fuzz"};
    rns_transport_config cfg = {rng, rs, NULL, NULL};
    rns_iface_props ip = {"fuzz", 500, 0, shared, NULL};
    uint8_t priv[64];
    rns_dest_params dp = {NULL, "meshlog", aspects, 1, RNS_PROVE_ALL, 1, NULL, 0};

    rng(rs, priv, sizeof priv);
    if (rns_transport_new(t, &cfg) || rns_transport_add_iface(*t, &ip, ifc) ||
        rns_identity_from_private(id, priv))
        return -1;
    dp.identity = *id;
    return rns_transport_register(*t, &dp, dest);
}

static int scene_setup(scene *s, int shared)
{
    memset(s, 0, sizeof *s);
    s->rs_a = 1;
    s->rs_b = 2;
    if (make_core(&s->a, &s->rs_a, shared, &s->ia, &s->ida, s->da) ||
        make_core(&s->b, &s->rs_b, 0, &s->ib, &s->idb, s->db))
        return -1;
    rns_transport_announce(s->a, s->da, 1000.0);
    rns_transport_announce(s->b, s->db, 1000.0);
    pump(s, 1000.0);
    if (rns_transport_link_open(s->b, s->da, 1001.0, s->link_id))
        return -1;
    pump(s, 1001.0);
    rns_transport_send(s->a, s->db, (const uint8_t *)"x", 1, 1002.0, NULL);
    drain(s->a);
    drain(s->b);
    return 0;
}

static void scene_free(scene *s)
{
    rns_transport_free(s->a);
    rns_transport_free(s->b);
    rns_identity_free(s->ida);
    rns_identity_free(s->idb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    scene s;
    size_t off = 1;

    if (size < 1)
        return 0;
    if (scene_setup(&s, data[0] & 1) == 0) {
        while (off + 2 <= size) {
            size_t n = (size_t)data[off] << 8 | data[off + 1];
            off += 2;
            if (n > size - off)
                n = size - off;
            rns_transport_inbound(s.a, s.ia, data + off, n, 1003.0);
            drain(s.a);
            off += n;
        }
        if (data[0] & 2) {
            rns_transport_tick(s.a, 1400.0);
            drain(s.a);
        }
    }
    scene_free(&s);
    return 0;
}
