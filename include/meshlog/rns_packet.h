// SPDX-License-Identifier: MIT
// Reticulum packets on the wire: the flags byte, HEADER_1 and HEADER_2
// layouts, context values, the packet hash, and the header rewrites that
// transport nodes do (HEADER_1 <-> HEADER_2). Pure functions over bytes: the
// payload is not encrypted or decrypted here (see rns_identity.h, link).
//
//   HEADER_1: flags | hops | destination(16) | context | data
//   HEADER_2: flags | hops | transport_id(16) | destination(16) | context | data
//   flags:    ifac<<7 | header_type<<6 | context_flag<<5 | transport_type<<4 |
//             destination_type<<2 | packet_type
#ifndef MESHLOG_RNS_PACKET_H
#define MESHLOG_RNS_PACKET_H

#include <stddef.h>
#include <stdint.h>

#include "meshlog/buf.h"
#include "meshlog/rns_destination.h"
#include "meshlog/rns_identity.h"

#define RNS_MTU 500
#define RNS_HEADER_MINSIZE 19           /* HEADER_1 */
#define RNS_HEADER_MAXSIZE 35           /* HEADER_2 */
#define RNS_MDU 464                     /* MTU - HEADER_MAXSIZE - IFAC_MIN_SIZE */
#define RNS_ENCRYPTED_MDU 383           /* plaintext that fits a SINGLE packet */
#define RNS_PATHFINDER_M 128            /* packets with hops >= this are refused */

enum rns_packet_type {
    RNS_PACKET_DATA = 0,
    RNS_PACKET_ANNOUNCE = 1,
    RNS_PACKET_LINKREQUEST = 2,
    RNS_PACKET_PROOF = 3,
};

enum rns_header_type { RNS_HEADER_1 = 0, RNS_HEADER_2 = 1 };
enum rns_transport_type { RNS_TRANSPORT_BROADCAST = 0, RNS_TRANSPORT_TRANSPORT = 1 };

enum rns_context {
    RNS_CTX_NONE = 0x00,
    RNS_CTX_RESOURCE = 0x01,
    RNS_CTX_RESOURCE_ADV = 0x02,
    RNS_CTX_RESOURCE_REQ = 0x03,
    RNS_CTX_RESOURCE_HMU = 0x04,
    RNS_CTX_RESOURCE_PRF = 0x05,
    RNS_CTX_RESOURCE_ICL = 0x06,
    RNS_CTX_RESOURCE_RCL = 0x07,
    RNS_CTX_CACHE_REQUEST = 0x08,
    RNS_CTX_REQUEST = 0x09,
    RNS_CTX_RESPONSE = 0x0A,
    RNS_CTX_PATH_RESPONSE = 0x0B,
    RNS_CTX_COMMAND = 0x0C,
    RNS_CTX_COMMAND_STATUS = 0x0D,
    RNS_CTX_CHANNEL = 0x0E,
    RNS_CTX_KEEPALIVE = 0xFA,
    RNS_CTX_LINKIDENTIFY = 0xFB,
    RNS_CTX_LINKCLOSE = 0xFC,
    RNS_CTX_LINKPROOF = 0xFD,
    RNS_CTX_LRRTT = 0xFE,
    RNS_CTX_LRPROOF = 0xFF,
};

/* A decoded packet. After rns_packet_unpack() `data` points into the raw
 * bytes that were unpacked (borrowed, not owned); for rns_packet_pack() it
 * points at the caller's payload. transport_id is meaningful for HEADER_2. */
typedef struct rns_packet {
    uint8_t header_type;     /* enum rns_header_type */
    uint8_t context_flag;    /* 0/1; for announces: a ratchet is present */
    uint8_t transport_type;  /* enum rns_transport_type */
    uint8_t dest_type;       /* enum rns_dest_type */
    uint8_t packet_type;     /* enum rns_packet_type */
    uint8_t hops;
    uint8_t context;         /* enum rns_context */
    uint8_t transport_id[RNS_HASHLEN];
    uint8_t dest_hash[RNS_HASHLEN];
    const uint8_t *data;
    size_t data_len;
} rns_packet;

/* The flags byte for p (IFAC bit clear). The struct maps 1:1 to the wire, so
 * unpack -> pack gives the same bytes and the hash of a received packet is
 * the one its sender computed. (The reference forces destination type LINK
 * on LRPROOF packets when packing; whoever builds an LRPROOF sets
 * dest_type = RNS_DEST_LINK.) */
uint8_t rns_packet_flags(const rns_packet *p);

/* Decodes raw into p. Checks every length; refuses hops >= 128 and the IFAC
 * flag (the interface strips access codes before this). 0 or ML_EMALFORMED.
 * p->data borrows from raw. */
int rns_packet_unpack(rns_packet *p, const uint8_t *raw, size_t len);
/* Encodes p and appends it to out. ML_EINVAL on out-of-range fields or hops
 * >= 128, ML_ENOMEM. The MTU is not enforced here: it belongs to the
 * interface (500 by default, up to a link's negotiated MTU). */
int rns_packet_pack(ml_buf *out, const rns_packet *p);

/* Packet.pack's refusals for a packet this node originates, then
 * rns_packet_pack: a HEADER_2 packet needs a transport id (has_transport_id
 * says whether p->transport_id was set; the struct always has room for one),
 * and only announces may leave their origin as HEADER_2, since other packets
 * are rewritten to HEADER_2 by the transport core on their way out. ML_EINVAL
 * with *why (may be NULL) set to the reason ("Packet with header type 2 must
 * have a transport ID", as the reference words it), else as rns_packet_pack. */
int rns_packet_pack_origin(ml_buf *out, const rns_packet *p, int has_transport_id,
                           const char **why);

/* The part covered by the packet hash: (flags & 0x0F) || destination ||
 * context || data. It leaves out hops, the transport id and the IFAC,
 * header-type, context-flag and transport-type bits, so it does not change
 * in transit. Appended to out; 0 or ML_ENOMEM. */
int rns_packet_hashable_part(ml_buf *out, const rns_packet *p);
/* SHA-256 of the hashable part; 0 or ML_ECRYPTO. */
int rns_packet_hash(uint8_t out[RNS_FULL_HASHLEN], const rns_packet *p);
/* The first 16 bytes of the packet hash. */
int rns_packet_truncated_hash(uint8_t out[RNS_HASHLEN], const rns_packet *p);

/* Makes p a HEADER_2/TRANSPORT packet addressed through transport_id (the
 * next hop learned from an announce), as Transport.outbound does when the
 * path is longer than one hop. The packet hash does not change. */
void rns_packet_set_transport(rns_packet *p, const uint8_t transport_id[RNS_HASHLEN]);
/* The last transport hop's rewrite: back to HEADER_1/BROADCAST. */
void rns_packet_clear_transport(rns_packet *p);
/* Raw-bytes form of rns_packet_set_transport: unpacks raw, inserts the
 * transport id, appends the HEADER_2 packet to out. 0, ML_EMALFORMED, ML_ENOMEM. */
int rns_packet_to_header2(ml_buf *out, const uint8_t *raw, size_t len,
                          const uint8_t transport_id[RNS_HASHLEN]);
/* What a receiver does first: count the hop it just crossed. ML_ERANGE when
 * that makes 128 or more (such a packet must be dropped). */
int rns_packet_count_hop(rns_packet *p);

/* Name of a context value ("NONE", "LRPROOF", ...) or NULL if unknown. */
const char *rns_context_name(uint8_t context);

#endif
