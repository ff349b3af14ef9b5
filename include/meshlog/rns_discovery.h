// SPDX-License-Identifier: MIT
// Reticulum interface discovery, the parts that are pure functions: the
// proof-of-work stamps discovery announces carry (the LXMF stamp scheme: a
// work block of HKDF expansions of the announce's info hash, and a 32-byte
// stamp whose SHA-256 together with the work block has enough leading zero
// bits), the checks on advertised addresses, the name clean-up on both
// sides, and which identity the discovery destination is built under.
// Discovery itself is opt-in (off unless an interface is discoverable).
#ifndef MESHLOG_RNS_DISCOVERY_H
#define MESHLOG_RNS_DISCOVERY_H

#include <stddef.h>
#include <stdint.h>

#include "meshlog/buf.h"
#include "meshlog/rns_identity.h"

#define RNS_DISCOVERY_APP_NAME "rnstransport"
#define RNS_DISCOVERY_STAMP_VALUE 16     /* default cost, sender and receiver */
#define RNS_DISCOVERY_EXPAND_ROUNDS 20   /* work block: 20 x 256 bytes */
#define RNS_STAMP_SIZE 32
#define RNS_STAMP_EXPAND_BYTES 256

/* The work block for material: for n in 0..rounds-1, HKDF-SHA256(256 bytes,
 * ikm = material, salt = SHA-256(material || msgpack(n))), concatenated.
 * Appends rounds * 256 bytes to out. 0, ML_EINVAL (rounds 0 or > 100000),
 * ML_ENOMEM, ML_ECRYPTO. */
int rns_stamp_workblock(ml_buf *out, const uint8_t *material, size_t len, unsigned rounds);
/* Leading zero bits of SHA-256(workblock || stamp) (0..256). */
unsigned rns_stamp_value(const uint8_t *workblock, size_t wb_len, const uint8_t *stamp,
                         size_t stamp_len);
/* 1 when SHA-256(workblock || stamp), as a big-endian number, is at most
 * 2^(256-cost); else 0. cost 0..256. */
int rns_stamp_valid(const uint8_t *workblock, size_t wb_len, const uint8_t *stamp,
                    size_t stamp_len, unsigned cost);
typedef int (*rns_stamp_rng_fn)(void *ctx, void *out, size_t len);
/* Tries random stamps until one is valid for cost, at most max_tries times.
 * 0 (stamp set), ML_ETIMEOUT (none found), ML_EINVAL (cost > 64), or the
 * rng's error. */
int rns_stamp_generate(uint8_t stamp[RNS_STAMP_SIZE], const uint8_t *workblock, size_t wb_len,
                       unsigned cost, rns_stamp_rng_fn rng, void *rng_ctx,
                       uint64_t max_tries);

/* Address checks on a discovered interface's reachable_on. NUL-terminated. */
int rns_discovery_is_ip_address(const char *s);   /* IPv4 or IPv6 literal */
int rns_discovery_is_ygg_ipv6(const char *s);     /* IPv6 in 200::/7 (Yggdrasil) */
/* A DNS name: one trailing dot allowed, at most 253 characters, labels of
 * 1-63 letters, digits and inner hyphens, and a top label not all digits. */
int rns_discovery_is_hostname(const char *s);

/* The receiver's clean-up of an announced name, into out (size >= strlen+1):
 * non-ASCII dropped, surrounding white space trimmed, runs of 5, 3 and 2
 * spaces collapsed, then anything but letters and digits cut from the start
 * and anything but letters, digits and ')' from the end. */
void rns_discovery_sanitize_name(char *out, const char *in);
/* The sender's clean-up: CR and LF removed, surrounding white space trimmed. */
void rns_discovery_sanitize(char *out, const char *in);

/* InterfaceDiscovery.autoconnect's choice for a discovered interface of the
 * given type reachable at reachable_on: 1 when it is to be dialled (a
 * BackboneInterface, as a TCP/HDLC client, not on Yggdrasil, which may not be
 * routed here), 0 otherwise (other types: not supported, or, for TCP client
 * and I2P records, not implemented by the reference either). */
int rns_discovery_autoconnect(const char *type, const char *reachable_on);
/* The key autoconnected interfaces are deduplicated by:
 * SHA-256("<reachable_on>:<port>"), port < 0 leaving ":<port>" out. */
void rns_discovery_endpoint_hash(uint8_t out[32], const char *reachable_on, long port);

/* The discovery destination rnstransport.discovery.interface is built under
 * the network identity when there is one, else the transport identity.
 * dest (16) gets its hash; *chosen (may be NULL) the identity used.
 * 0 or ML_EINVAL (neither identity). */
int rns_discovery_destination(uint8_t dest[RNS_HASHLEN], const rns_identity *network_identity,
                              const rns_identity *transport_identity,
                              const rns_identity **chosen);

#endif
