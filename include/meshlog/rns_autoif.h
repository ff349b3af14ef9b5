// SPDX-License-Identifier: MIT
// The pure parts of the Reticulum AutoInterface (IPv6 link-local LAN
// discovery): the multicast group a node joins, derived from a group id, the
// 32-byte discovery token it sends there, and how a system link-local address
// is turned into the text that token covers. No sockets here; the interface
// driver under src/rns/iface/ uses these so its addresses and tokens match the
// reference byte for byte (../shared/vectors/rns/autointerface.json).
#ifndef MESHLOG_RNS_AUTOIF_H
#define MESHLOG_RNS_AUTOIF_H

#include <stddef.h>
#include <stdint.h>

#define RNS_AUTOIF_DEFAULT_GROUP "reticulum"
#define RNS_AUTOIF_DISCOVERY_PORT 29716u         /* multicast discovery */
#define RNS_AUTOIF_UNICAST_DISCOVERY_PORT 29717u /* reverse peering: discovery + 1 */
#define RNS_AUTOIF_DATA_PORT 42671u
#define RNS_AUTOIF_HW_MTU 1196u
#define RNS_AUTOIF_TOKEN_LEN 32u
/* Longest reference-format address text: "ffXY:0:" + 6 x "xxxx:" less one, NUL. */
#define RNS_AUTOIF_ADDR_TEXT_MAX 40u

/* Multicast address type (the flags nibble). */
enum {
    RNS_AUTOIF_ADDR_PERMANENT = 0x0,
    RNS_AUTOIF_ADDR_TEMPORARY = 0x1, /* the reference's default */
};

/* Discovery scope (the scope nibble). */
enum {
    RNS_AUTOIF_SCOPE_LINK = 0x2, /* default */
    RNS_AUTOIF_SCOPE_ADMIN = 0x4,
    RNS_AUTOIF_SCOPE_SITE = 0x5,
    RNS_AUTOIF_SCOPE_ORGANISATION = 0x8,
    RNS_AUTOIF_SCOPE_GLOBAL = 0xe,
};

/* The multicast discovery group for group id group[0..group_len):
 * ff<type><scope>:0: followed by six 16-bit words from SHA-256(group)[2..14).
 * addr gets the 16 binary bytes. If text is not NULL it gets the address as
 * the reference prints it (each word "%02x", so a word below 0x10 keeps two
 * digits); text_cap must then be at least RNS_AUTOIF_ADDR_TEXT_MAX.
 * Returns 0, or ML_EINVAL (type or scope above 0xf, NULL arguments, text_cap
 * too small). */
int rns_autoif_mcast_addr(uint8_t addr[16], char *text, size_t text_cap,
                          const char *group, size_t group_len,
                          unsigned addr_type, unsigned scope);

/* The discovery token: SHA-256(group || address text), where the text is the
 * sender's descoped link-local address (see rns_autoif_descope). A receiver
 * recomputes it from the datagram's source address and compares. 0 or ML_EINVAL. */
int rns_autoif_token(uint8_t out[RNS_AUTOIF_TOKEN_LEN], const char *group,
                     size_t group_len, const char *addr, size_t addr_len);

/* Turns a system link-local address into token text, as the reference does:
 * drops a "%ifname" suffix, and an embedded scope "fe80:N::" becomes "fe80::"
 * (NetBSD and OpenBSD report addresses that way). in is NUL-terminated; out
 * (out_cap bytes) gets a NUL-terminated result, never longer than in.
 * Returns 0 or ML_EINVAL (NULL, or out_cap too small for the result). */
int rns_autoif_descope(char *out, size_t out_cap, const char *in);

#endif
