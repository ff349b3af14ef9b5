// SPDX-License-Identifier: MIT
// Reticulum resources: a transfer of up to 1 MiB - 1 of data over an
// established link, as a sans-I/O state machine for the sender and the
// receiver. Time and randomness come in as arguments; plaintext payloads to
// send come out of an outbox, each with its packet context. The caller (the
// link glue) encrypts ADV, REQ, HMU, ICL and RCL payloads with the link token
// (rns_link_send does), sends RESOURCE parts as they are, and sends
// RESOURCE_PRF as a PROOF packet, plain. Incoming resource packets
// (RNS_LINK_EV_PACKET, decrypted by the link) go to rns_resource_input().
//
// Sender: data = [3-byte BE length || msgpack metadata] || payload; bz2 it
// when that is smaller; stream = random prefix(4) || data-or-bz2; one token
// over the whole stream; parts of SDU = MTU - 36 bytes; map hash of a part =
// SHA-256(part || r)[:4]; resource hash h = SHA-256(data || r); an
// advertisement (msgpack map t d n h r o i l q f m) carries the first 74 map
// hashes. Receiver: requests parts by map hash in a growing window
// (RESOURCE_REQ), asks for more map hashes when the known ones run out (the
// sender answers RESOURCE_HMU), reassembles, decrypts, decompresses (capped
// at 64 MiB), checks h and proves with h || SHA-256(data || h).
#ifndef MESHLOG_RNS_RESOURCE_H
#define MESHLOG_RNS_RESOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "meshlog/buf.h"

#define RNS_RESOURCE_MAPHASH_LEN 4u
#define RNS_RESOURCE_HASHMAP_MAX_LEN 74u     /* map hashes per ADV / HMU */
#define RNS_RESOURCE_RANDOM_LEN 4u
#define RNS_RESOURCE_HASH_LEN 32u
#define RNS_RESOURCE_MAX_EFFICIENT_SIZE (1024u * 1024u - 1u)
#define RNS_RESOURCE_MAX_TRANSFER (3u * RNS_RESOURCE_MAX_EFFICIENT_SIZE)
#define RNS_RESOURCE_WINDOW 4u               /* initial receive window */
#define RNS_RESOURCE_COLLISION_GUARD 224u    /* 2 x 75 + 74 parts */
#define RNS_RESOURCE_REQ_MAX (1u + 4u + 32u + 75u * 4u) /* longest RESOURCE_REQ */
/* The window profile, retry budgets and limits (the reference's values). */
#define RNS_RESOURCE_WINDOW_MIN 2u
#define RNS_RESOURCE_WINDOW_MAX_SLOW 10u        /* ceiling until the rate is fast */
#define RNS_RESOURCE_WINDOW_MAX_VERY_SLOW 4u
#define RNS_RESOURCE_WINDOW_MAX_FAST 75u        /* also the largest window */
#define RNS_RESOURCE_WINDOW_FLEXIBILITY 4u
#define RNS_RESOURCE_FAST_RATE_THRESHOLD (RNS_RESOURCE_WINDOW_MAX_SLOW - RNS_RESOURCE_WINDOW - 2u)
#define RNS_RESOURCE_VERY_SLOW_RATE_THRESHOLD 2u
#define RNS_RESOURCE_RATE_FAST (50000.0 / 8.0)  /* bytes per second */
#define RNS_RESOURCE_RATE_VERY_SLOW (2000.0 / 8.0)
#define RNS_RESOURCE_MAX_RETRIES 16u
#define RNS_RESOURCE_MAX_ADV_RETRIES 4u
#define RNS_RESOURCE_PART_TIMEOUT_FACTOR 4.0
#define RNS_RESOURCE_METADATA_MAX 0xffffffu
#define RNS_RESOURCE_HASHMAP_EXHAUSTED 0xffu    /* first byte of a RESOURCE_REQ */
#define RNS_RESOURCE_HASHMAP_NOT_EXHAUSTED 0x00u
/* Data above this is sent uncompressed, and the receiver's default bound
 * for decompressing (equal to RNS_BZ2_RESOURCE_LIMIT). */
#define RNS_RESOURCE_AUTO_COMPRESS_MAX (64u * 1024u * 1024u)

/* Advertisement flags (f). */
enum {
    RNS_RESOURCE_F_ENCRYPTED = 0x01,
    RNS_RESOURCE_F_COMPRESSED = 0x02,
    RNS_RESOURCE_F_SPLIT = 0x04,
    RNS_RESOURCE_F_REQUEST = 0x08,
    RNS_RESOURCE_F_RESPONSE = 0x10,
    RNS_RESOURCE_F_METADATA = 0x20,
};

enum rns_resource_status {
    RNS_RESOURCE_ADVERTISED,      /* sender: ADV queued; receiver: first REQ queued */
    RNS_RESOURCE_TRANSFERRING,
    RNS_RESOURCE_AWAITING_PROOF,  /* sender: every part sent */
    RNS_RESOURCE_COMPLETE,        /* receiver: data checked, PRF queued; sender: proved */
    RNS_RESOURCE_FAILED,          /* a peer error; nothing more is accepted */
    RNS_RESOURCE_CORRUPT,         /* receiver: data does not match the hash */
    RNS_RESOURCE_REJECTED,        /* sender: the receiver refused it (RESOURCE_RCL) */
};

/* A decoded advertisement. Pointers borrow from the decoded plaintext. */
typedef struct rns_resource_adv {
    uint64_t t;            /* transfer size: encrypted stream bytes */
    uint64_t d;            /* data size (metadata prefix included) */
    uint32_t n;            /* number of parts */
    uint8_t h[32];         /* resource hash */
    uint8_t r[4];          /* random hash for map hashes */
    uint8_t o[32];         /* original hash (first segment) */
    uint32_t i, l;         /* segment index (1-based) and count */
    const uint8_t *q;      /* request id, NULL when nil */
    size_t q_len;
    uint8_t f;             /* RNS_RESOURCE_F_* */
    const uint8_t *m;      /* map hashes, 4 bytes each */
    size_t m_len;
} rns_resource_adv;

/* Encodes an advertisement exactly as the reference does (keys in the order
 * t d n h r o i l q f m, smallest integer forms). Appends to out.
 * 0, ML_EINVAL (m_len not a multiple of 4 or above 74 hashes), ML_ENOMEM. */
int rns_resource_adv_pack(ml_buf *out, const rns_resource_adv *a);
/* Decodes and bounds-checks an advertisement plaintext for a link SDU: every
 * key present once, types right, t <= RNS_RESOURCE_MAX_TRANSFER and a
 * possible token length, n replaced by ceil(t / sdu) (the advertised n is not
 * trusted), m holding 1..74 hashes and no more than n, 1 <= i <= l, only known flags, encrypted set. Unknown keys are
 * skipped. 0 or ML_EMALFORMED; the pointers in *a borrow from pt. */
int rns_resource_adv_unpack(rns_resource_adv *a, const uint8_t *pt, size_t len, size_t sdu);

/* SDU of resource parts on a link of this MTU (MTU - 36); 0 if too small. */
size_t rns_resource_sdu(uint32_t link_mtu);

typedef struct rns_resource rns_resource;

/* What a sender needs. Randomness is passed in so transfers are reproducible. */
typedef struct rns_resource_send_params {
    const uint8_t *key;            /* 64-byte link derived key */
    uint32_t link_mtu;
    const uint8_t *data;           /* payload */
    size_t len;
    const uint8_t *metadata;       /* one msgpack-encoded value, or NULL */
    size_t metadata_len;           /* below 2^24 */
    int auto_compress;             /* bz2 when smaller */
    const uint8_t *request_id;     /* q, or NULL; with is_request/is_response */
    size_t request_id_len;         /* up to 32 */
    int is_request, is_response;
    uint8_t random_prefix[4];      /* stream prefix */
    uint8_t random_hash[4];        /* r */
    uint8_t iv[16];                /* token IV of the stream */
    /* Segments of a split transfer (0 in all three: a single segment). The
     * caller cuts the data; metadata goes with the first segment only, later
     * ones set has_metadata_flag so the advertisement still says x. */
    uint32_t segment_index, total_segments;
    const uint8_t *original_hash;  /* 32, the first segment's hash; NULL: own */
    int has_metadata_flag;
    uint64_t total_size;           /* d: every segment's data + metadata; 0: this one's */
    /* Test/diagnostic: the hashmap build takes part 1's map hash to be part
     * 0's (a genuine map hash, repeated), so a resource of 2+ parts fails
     * with ML_EEXIST exactly as on a real collision. */
    int force_collision;
} rns_resource_send_params;

/* Builds the stream, parts and hashmap and queues the advertisement.
 * *out is caller-owned (rns_resource_free). ML_EINVAL, ML_ETOOBIG (data with
 * metadata above RNS_RESOURCE_MAX_EFFICIENT_SIZE: the caller splits), ML_EEXIST
 * (two parts share a map hash within the collision guard: call again with
 * another random_hash), ML_ENOMEM. */
int rns_resource_send(rns_resource **out, const rns_resource_send_params *sp, double now);

/* Accepts an advertisement (decrypted payload of a RESOURCE_ADV) and queues
 * the first RESOURCE_REQ. window is the link's last resource window (0: the
 * default 4; the reference carries it from one resource to the next on a
 * link, see rns_resource_window). *out is caller-owned. ML_EMALFORMED (see
 * rns_resource_adv_unpack), ML_EINVAL, ML_ENOMEM. */
int rns_resource_accept(rns_resource **out, const uint8_t key[64], uint32_t link_mtu,
                        const uint8_t *adv, size_t adv_len, unsigned window, double now);

/* Feeds a resource packet payload (decrypted where the link encrypts it):
 * sender: RESOURCE_REQ, RESOURCE_PRF, RESOURCE_RCL; receiver: RESOURCE parts,
 * RESOURCE_HMU, RESOURCE_ICL. 0 when taken (a part that matches no wanted map
 * hash is ignored, as the reference does); ML_EINVAL (another resource's hash
 * or a context this side does not take), ML_EMALFORMED, ML_ESTATE (finished
 * or failed), ML_EBADID (wrong proof), ML_ECORRUPT (receiver: reassembled data
 * fails the hash; status CORRUPT), ML_ETOOBIG (decompression limit), ML_ENOMEM. */
int rns_resource_input(rns_resource *r, uint8_t context, const uint8_t *data, size_t len,
                       double now);

/* Sender: a RESOURCE_REQ with the hash of the packet that carried it. As the
 * reference's link (its req_hashlist), a request whose packet was served
 * already is ignored: a re-delivered packet does not send the parts again.
 * 0 served (as rns_resource_input; the hash is recorded), 1 a duplicate
 * (ignored), or rns_resource_input's errors (the hash is not recorded). */
int rns_resource_input_request(rns_resource *r, const uint8_t packet_hash[32],
                               const uint8_t *data, size_t len, double now);
/* Sender: how many request packet hashes are recorded; *known (may be NULL)
 * says whether packet_hash (may be NULL) is one of them. */
size_t rns_resource_request_hashes(const rns_resource *r, const uint8_t packet_hash[32],
                                   int *known);

/* Moves the oldest queued payload to out (appended) and its context to *context.
 * 1 when one was moved, 0 when none is queued, ML_ENOMEM. */
int rns_resource_pop(rns_resource *r, uint8_t *context, ml_buf *out);

/* Timers. The link's RTT (default 0.5 s) scales them; the receiver also
 * learns it from its first request. Call rns_resource_tick() at
 * rns_resource_deadline() (HUGE_VAL when nothing is pending). On expiry the
 * receiver shrinks its window and asks again for the parts (or hashmap
 * update) it lacks, up to 16 times; the sender resends an unanswered
 * advertisement up to 4 times, and gives up on a receiver silent for
 * 10 s + 256 x RTT. Giving up cancels (see rns_resource_cancel). The
 * schedule approximates the reference's; it is not its exact one. Any
 * accepted input resets the retry count. tick returns 0 or ML_ENOMEM. */
void rns_resource_set_rtt(rns_resource *r, double rtt);
double rns_resource_deadline(const rns_resource *r);
int rns_resource_tick(rns_resource *r, double now);

/* Gives up on the transfer: queues RESOURCE_ICL (sender) or RESOURCE_RCL
 * (receiver) naming the resource hash and sets status FAILED. 0, ML_ESTATE
 * (already COMPLETE, FAILED or CORRUPT), ML_ENOMEM. */
int rns_resource_cancel(rns_resource *r);

/* Receiver: the decompressed size above which the data counts as corrupt
 * (a bz2 bomb). Default RNS_BZ2_RESOURCE_LIMIT. */
void rns_resource_set_max_decompressed(rns_resource *r, size_t max);
size_t rns_resource_max_decompressed(const rns_resource *r);

/* What a resource advertised (both roles): sizes, segment, hashes. For a
 * receiver q is the request id copied at accept (q_len 0 when none); m is
 * NULL. Borrowed until the next call on r. */
const rns_resource_adv *rns_resource_adv_of(const rns_resource *r);
/* Sender: the hashmap (4 bytes per part), the part i bytes, the proof the
 * receiver must send (32) and the SDU. NULL/0 when out of range. */
const uint8_t *rns_resource_hashmap(const rns_resource *r);
const uint8_t *rns_resource_part(const rns_resource *r, uint32_t i, size_t *len);
const uint8_t *rns_resource_expected_proof(const rns_resource *r);
size_t rns_resource_part_sdu(const rns_resource *r);
/* Receiver counters: RESOURCE_REQs that said the hashmap ran out, hashmap
 * updates taken, and parts received (sender: parts sent at least once). */
void rns_resource_counters(const rns_resource *r, unsigned *hmu_requests, unsigned *hmu_received,
                           uint32_t *parts_received);
int rns_resource_is_sender(const rns_resource *r);
/* Sender: the first part index its request search scope starts at. */
uint32_t rns_resource_sender_scope(const rns_resource *r);
/* Receiver bookkeeping: the window and its bounds, the highest index up to
 * which every part is in (-1: none), how many map hashes are known, whether
 * it waits for a hashmap update. */
typedef struct rns_resource_rx_state {
    unsigned window, window_min, window_max;
    int64_t consecutive_height;
    uint32_t hashmap_height;
    int waiting_for_hmu;
} rns_resource_rx_state;
void rns_resource_get_rx_state(const rns_resource *r, rns_resource_rx_state *st);

/* Receiver: manual requests. rns_resource_accept always asks for the first
 * window; after that a manual receiver does not ask for the next window when
 * a round completes or a hashmap update arrives: the application calls
 * rns_resource_request_next() (the reference's Resource.request_next). The
 * timer's retries still ask again for lost parts. */
void rns_resource_set_manual_requests(rns_resource *r, int manual);
/* Queues the RESOURCE_REQ for the next window: the missing parts from the
 * consecutive height + 1 whose map hashes are known, at most window of them;
 * on an unknown map hash it also says the hashmap ran out and waits for the
 * update. 1 when a request was queued, 0 when none is (waiting for a hashmap
 * update), ML_ESTATE (not a receiver, or not transferring), ML_ENOMEM. */
int rns_resource_request_next(rns_resource *r, double now);

/* Test facility (receiver): stores part bytes at index without the map-hash
 * check a received part passes, so tests can reach the assembly check with
 * any content. The last part assembles as rns_resource_input does: the data
 * must match the resource hash (else CORRUPT, ML_ECORRUPT, no proof), and a
 * good one queues the proof. 0, ML_EINVAL, ML_ESTATE, ML_EMALFORMED (wrong
 * length for the index), ML_EEXIST (that part is in), ML_ENOMEM. */
int rns_resource_plant_part(rns_resource *r, uint32_t index, const uint8_t *d, size_t len,
                            double now);

/* Wipes the key and frees. NULL ok. */
void rns_resource_free(rns_resource *r);

enum rns_resource_status rns_resource_status(const rns_resource *r);
const uint8_t *rns_resource_hash(const rns_resource *r);   /* 32 bytes, borrowed */
uint8_t rns_resource_flags(const rns_resource *r);
uint32_t rns_resource_parts(const rns_resource *r);
/* The receive window now; the link hands it to the next rns_resource_accept. */
unsigned rns_resource_window(const rns_resource *r);
/* Receiver, once COMPLETE: payload and metadata (msgpack, len 0 when none),
 * borrowed until rns_resource_free. ML_ESTATE before. */
int rns_resource_data(const rns_resource *r, const uint8_t **data, size_t *len,
                      const uint8_t **metadata, size_t *metadata_len);

#endif
