// SPDX-License-Identifier: MIT
// Single-packet proofs (see rns_proof.h): what turns a sent packet's receipt
// into "delivered". Proofs travel unencrypted, so validation rests entirely
// on the signature over the full packet hash.
#include <string.h>

#include "meshlog/error.h"
#include "meshlog/rns_proof.h"

int rns_proof_make(ml_buf *out, const rns_identity *signer,
                   const uint8_t packet_hash[RNS_FULL_HASHLEN], int explicit_proof)
{
    uint8_t data[RNS_PROOF_EXPLICIT_LEN];
    size_t n = 0;
    rns_packet p;
    int ret;

    if (explicit_proof) {
        memcpy(data, packet_hash, RNS_FULL_HASHLEN);
        n = RNS_FULL_HASHLEN;
    }
    if ((ret = rns_identity_sign(signer, data + n, packet_hash, RNS_FULL_HASHLEN)))
        return ret;
    n += RNS_SIGLEN;
    memset(&p, 0, sizeof p);
    p.packet_type = RNS_PACKET_PROOF;
    p.dest_type = RNS_DEST_SINGLE;
    p.context = RNS_CTX_NONE;
    memcpy(p.dest_hash, packet_hash, RNS_HASHLEN);
    p.data = data;
    p.data_len = n;
    return rns_packet_pack(out, &p);
}

int rns_proof_validate(const uint8_t *data, size_t len,
                       const uint8_t packet_hash[RNS_FULL_HASHLEN],
                       const rns_identity *signer)
{
    const uint8_t *sig = data;

    if (!data || (len != RNS_PROOF_IMPLICIT_LEN && len != RNS_PROOF_EXPLICIT_LEN))
        return ML_EMALFORMED;
    if (len == RNS_PROOF_EXPLICIT_LEN) {
        if (memcmp(data, packet_hash, RNS_FULL_HASHLEN))
            return ML_EBADID;
        sig = data + RNS_FULL_HASHLEN;
    }
    return rns_identity_verify(signer, sig, packet_hash, RNS_FULL_HASHLEN);
}

int rns_proof_validate_packet(const rns_packet *p, const uint8_t packet_hash[RNS_FULL_HASHLEN],
                              const rns_identity *signer)
{
    if (p->packet_type != RNS_PACKET_PROOF || memcmp(p->dest_hash, packet_hash, RNS_HASHLEN))
        return ML_EINVAL;
    return rns_proof_validate(p->data, p->data_len, packet_hash, signer);
}
