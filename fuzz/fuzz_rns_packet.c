// SPDX-License-Identifier: MIT
// libFuzzer target for the Reticulum packet decoder and the parsers that sit
// directly on it (path requests, proofs). Whatever unpacks must re-pack to
// the same bytes and hash the same after a HEADER_1 <-> HEADER_2 rewrite.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meshlog/rns_packet.h"
#include "meshlog/rns_pathreq.h"
#include "meshlog/rns_proof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_rewrites(const rns_packet *p)
{
    static const uint8_t tid[RNS_HASHLEN] = {1, 2, 3};
    uint8_t h1[RNS_FULL_HASHLEN], h2[RNS_FULL_HASHLEN];
    rns_packet q = *p;

    if (rns_packet_hash(h1, p))
        return;
    rns_packet_set_transport(&q, tid);
    if (rns_packet_hash(h2, &q) == 0 && memcmp(h1, h2, sizeof h1))
        abort();
    rns_packet_clear_transport(&q);
    if (rns_packet_hash(h2, &q) == 0 && memcmp(h1, h2, sizeof h1))
        abort();
}

/* A fixed public key to check proofs against (never valid, never crashes). */
static const rns_identity *signer(void)
{
    static rns_identity *id;
    static const uint8_t pub[RNS_KEYSIZE] = {9};

    if (!id && rns_identity_from_public(&id, pub))
        abort();
    return id;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rns_packet p;
    rns_pathreq r;
    ml_buf b = ML_BUF_INIT;
    uint8_t hash[RNS_FULL_HASHLEN] = {0};

    if (rns_packet_unpack(&p, data, size))
        return 0;
    if (rns_packet_pack(&b, &p) || b.len != size || memcmp(b.p, data, size))
        abort();
    check_rewrites(&p);
    (void)rns_pathreq_parse_packet(&r, &p);
    (void)rns_proof_validate(p.data, p.data_len, hash, signer());
    ml_buf_free(&b);
    return 0;
}
