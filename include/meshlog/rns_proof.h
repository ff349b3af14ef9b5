// SPDX-License-Identifier: MIT
// Reticulum delivery proofs for single packets: the destination signs the
// full 32-byte hash of the packet it received and sends a PROOF packet
// (flags 0x03) to the packet's truncated hash. Implicit proofs carry the
// signature only (64 bytes, the reference default); explicit ones carry
// packet hash | signature (96 bytes). A receiver accepts both.
// Link proofs (flags 0x0F, to the link id) are built by the link module.
#ifndef MESHLOG_RNS_PROOF_H
#define MESHLOG_RNS_PROOF_H

#include <stddef.h>
#include <stdint.h>

#include "meshlog/buf.h"
#include "meshlog/rns_identity.h"
#include "meshlog/rns_packet.h"

#define RNS_PROOF_IMPLICIT_LEN 64
#define RNS_PROOF_EXPLICIT_LEN 96

/* Appends the proof packet for packet_hash, signed by signer, to out.
 * explicit_proof: 1 for the 96-byte form. 0, ML_ESTATE (no private key),
 * ML_ENOMEM, ML_ECRYPTO. */
int rns_proof_make(ml_buf *out, const rns_identity *signer,
                   const uint8_t packet_hash[RNS_FULL_HASHLEN], int explicit_proof);

/* Checks a proof payload (64 or 96 bytes) for packet_hash against the
 * destination's identity (a public-only identity is enough). 0 when valid;
 * ML_EMALFORMED (other length), ML_EBADID (explicit proof names another
 * packet), ML_EBADSIG. */
int rns_proof_validate(const uint8_t *data, size_t len,
                       const uint8_t packet_hash[RNS_FULL_HASHLEN],
                       const rns_identity *signer);

/* Same from a received packet: also checks it is a PROOF addressed to the
 * truncated packet hash (ML_EINVAL otherwise). */
int rns_proof_validate_packet(const rns_packet *p, const uint8_t packet_hash[RNS_FULL_HASHLEN],
                              const rns_identity *signer);

#endif
