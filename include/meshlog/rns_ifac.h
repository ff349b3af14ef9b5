// SPDX-License-Identifier: MIT
// Reticulum interface access codes (IFAC): a per-interface shared secret derived
// from a network name and/or passphrase. Every packet sent on such an interface
// carries a truncated Ed25519 signature made with a key derived from that
// secret, and the whole packet except the code is XOR-masked, so nodes outside
// the network cannot read headers nor inject packets. This module sits between
// the packet layer and the framing (rns_framing.h): outbound after a packet is
// built, inbound right after deframing. Sans-I/O and deterministic (Ed25519 is
// deterministic). Wire facts: docs/reticulum-notes.md A.12.
#ifndef MESHLOG_RNS_IFAC_H
#define MESHLOG_RNS_IFAC_H

#include <stddef.h>
#include <stdint.h>

#include "meshlog/buf.h"

#define RNS_IFAC_FLAG 0x80         /* bit of header byte 0 */
#define RNS_IFAC_MIN_SIZE 1        /* bytes */
#define RNS_IFAC_MAX_SIZE 64       /* a whole Ed25519 signature */
#define RNS_IFAC_SIZE_DEFAULT 16   /* TCP, UDP, Auto, I2P, Backbone */
#define RNS_IFAC_SIZE_SERIAL 8     /* Serial, KISS, RNode, Pipe */
#define RNS_IFAC_KEY_LEN 64

typedef struct rns_ifac rns_ifac;

/* Derives the interface key: origin = SHA-256(network_name) ‖ SHA-256(passphrase)
 * (each only when not NULL; both are UTF-8, NUL-terminated), key =
 * HKDF(64, SHA-256(origin), salt = IFAC salt). ifac_size is in bytes.
 * Returns 0, ML_EINVAL (both NULL, size outside 1..64), ML_ENOMEM or
 * ML_ECRYPTO. The caller frees *out with rns_ifac_free(), which wipes it. */
int rns_ifac_new(rns_ifac **out, const char *network_name, const char *passphrase,
                 size_t ifac_size);
void rns_ifac_free(rns_ifac *ifac); /* NULL ok */

/* The code length in bytes this interface adds to each packet. */
size_t rns_ifac_size(const rns_ifac *ifac);
/* Copies the 64-byte derived key (a network secret: wipe your copy). */
void rns_ifac_key(const rns_ifac *ifac, uint8_t key[RNS_IFAC_KEY_LEN]);
/* Copies the IFAC identity's public key: X25519 pub(32) ‖ Ed25519 pub(32). */
void rns_ifac_public_key(const rns_ifac *ifac, uint8_t pub[64]);

/* Appends what goes on the wire for packet raw[0..len) (len >= 2): with ifac
 * NULL (no IFAC on this interface) the packet as is, else the masked packet
 * with its access code, len + ifac_size bytes. Returns 0, ML_EINVAL,
 * ML_ENOMEM or ML_ECRYPTO; on error out keeps its previous length. */
int rns_ifac_outbound(const rns_ifac *ifac, ml_buf *out, const uint8_t *raw,
                      size_t len);

/* Checks and strips the access code of a received packet and appends the
 * original packet to out. Returns 0 when accepted; ML_EAUTH when it must be
 * dropped (IFAC flag on an interface without IFAC, flag missing on an IFAC
 * interface, wrong code: other network or changed bytes); ML_EMALFORMED when
 * shorter than a header and code; ML_EINVAL, ML_ENOMEM, ML_ECRYPTO. On error
 * out keeps its previous length. ifac NULL means no IFAC on this interface. */
int rns_ifac_inbound(const rns_ifac *ifac, ml_buf *out, const uint8_t *in, size_t len);

#endif
