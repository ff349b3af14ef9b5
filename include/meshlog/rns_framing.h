// SPDX-License-Identifier: MIT
// Reticulum stream framing: the HDLC-like framing that TCP, Backbone, the local
// shared instance, Serial and Pipe interfaces put around each packet, and the
// KISS framing used by KISS/RNode interfaces (and TCP with kiss_framing). It is
// sans-I/O: rns_framing_encode() turns one packet into frame bytes, and an
// rns_deframer turns an arbitrary byte stream (split reads, back-to-back frames,
// line noise) back into packets. Interface drivers in src/rns/iface/ sit on top.
// Framing carries no checksum; IFAC (rns_ifac.h) and packet hashes protect the
// content. Wire facts: docs/reticulum-notes.md A.13.
#ifndef MESHLOG_RNS_FRAMING_H
#define MESHLOG_RNS_FRAMING_H

#include <stddef.h>
#include <stdint.h>

#include "meshlog/buf.h"

#define RNS_HDLC_FLAG 0x7E
#define RNS_HDLC_ESC 0x7D
#define RNS_HDLC_ESC_XOR 0x20

#define RNS_KISS_FEND 0xC0
#define RNS_KISS_FESC 0xDB
#define RNS_KISS_TFEND 0xDC
#define RNS_KISS_TFESC 0xDD
#define RNS_KISS_CMD_DATA 0x00

/* The reference drops frames of HEADER_MINSIZE (19) bytes or less. */
#define RNS_FRAME_MIN_DEFAULT 20
/* Upper bound accepted for a deframer's max_len (largest autoconfigured
 * HW_MTU, 524288, plus the largest IFAC, 64, with room to spare). */
#define RNS_FRAME_MAX_LIMIT (1024u * 1024u)

typedef enum rns_framing_mode {
    RNS_FRAMING_HDLC = 0, /* 7E | escaped packet | 7E */
    RNS_FRAMING_KISS = 1, /* C0 00 | escaped packet | C0 */
} rns_framing_mode;

/* Largest frame rns_framing_encode() can produce for a len-byte packet
 * (every byte escaped), or 0 if that does not fit in size_t. */
size_t rns_framing_encoded_max(rns_framing_mode mode, size_t len);

/* Appends the frame of pkt[0..len) to out. HDLC escapes 7D first (7D 5D),
 * then 7E (7D 5E); KISS escapes DB first (DB DD), then C0 (DB DC).
 * Returns 0, ML_EINVAL (bad mode, NULL pointers), ML_ETOOBIG or ML_ENOMEM;
 * on error out keeps its previous length. */
int rns_framing_encode(ml_buf *out, rns_framing_mode mode, const uint8_t *pkt,
                       size_t len);

/* ---- stream deframer --------------------------------------------------------
 * Pull API: feed bytes; each call consumes input up to and including the byte
 * that completes one packet, and stops there so the caller can take it:
 *
 *     size_t off = 0;
 *     while (off < n) {
 *         const uint8_t *pkt; size_t plen, used;
 *         int r = rns_deframer_feed(d, data + off, n - off, &used, &pkt, &plen);
 *         if (r < 0) break;
 *         off += used;
 *         if (r == 1) handle(pkt, plen);
 *     }
 *
 * Bytes before the first flag are discarded. The closing flag of one frame
 * opens the next (7E A 7E B 7E gives A and B). Empty frames (7E 7E keepalives)
 * are ignored silently; frames shorter than min_len, longer than max_len
 * (counted after unescaping), or KISS frames with a non-data command are
 * dropped and counted. Memory is one max_len buffer, allocated at creation. */
typedef struct rns_deframer rns_deframer;

typedef struct rns_deframer_stats {
    uint64_t packets;    /* packets handed out */
    uint64_t too_short;  /* non-empty frames below min_len */
    uint64_t too_long;   /* frames above max_len */
    uint64_t not_data;   /* KISS frames with another command */
} rns_deframer_stats;

/* Creates a deframer. min_len >= 1 and min_len <= max_len <=
 * RNS_FRAME_MAX_LIMIT, else ML_EINVAL; ML_ENOMEM. Free with rns_deframer_free.
 * An interface passes RNS_FRAME_MIN_DEFAULT and its HW_MTU plus IFAC size. */
int rns_deframer_new(rns_deframer **out, rns_framing_mode mode, size_t min_len,
                     size_t max_len);
void rns_deframer_free(rns_deframer *d); /* NULL ok */

/* Forgets any partial frame and hunts for the next flag (after a reconnect). */
void rns_deframer_reset(rns_deframer *d);

/* Consumes data[0..len) until one packet completes or the input ends; *used
 * says how many bytes were consumed (always len when no packet completed).
 * Returns 1 with *pkt and *pkt_len set to the packet, which points into the
 * deframer and stays valid until the next feed or reset; 0 when the input is
 * used up with no packet; ML_EINVAL on NULL arguments. */
int rns_deframer_feed(rns_deframer *d, const uint8_t *data, size_t len, size_t *used,
                      const uint8_t **pkt, size_t *pkt_len);

/* The reference's KISS receive loops (TCP with kiss_framing, KISS, RNode)
 * append a byte only while the frame is shorter than HW_MTU, so an over-long
 * frame arrives cut to its first HW_MTU bytes instead of being dropped. on=1
 * gives this deframer that behaviour (max_len is the cut); 0, the default,
 * drops over-long frames. NULL ok. */
void rns_deframer_set_truncate(rns_deframer *d, int on);
/* Counters since creation. */
rns_deframer_stats rns_deframer_get_stats(const rns_deframer *d);

/* ---- hardware MTU -----------------------------------------------------------
 * HW_MTU the reference autoconfigures for an interface from its bitrate in
 * bits/s (TCP interfaces assume 10 Mbit/s, hence 8192), or 0 when bitrates at
 * or below 62500 get no autoconfigured MTU (the interface keeps the base 500). */
size_t rns_framing_autoconf_mtu(uint64_t bitrate);

#endif
