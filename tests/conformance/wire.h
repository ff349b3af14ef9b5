// SPDX-License-Identifier: MIT
// The live peers of the bridge (cmd_wire.c), shared with the other files of
// wire_* commands (cmd_*.c): a peer is an rns_node plus what its event
// callback has recorded for the poll commands to read.
#ifndef ML_BRIDGE_WIRE_H
#define ML_BRIDGE_WIRE_H

#include <jansson.h>

#include "bridge.h"
#include "meshlog/buf.h"
#include "meshlog/rns_link.h"
#include "meshlog/rns_node.h"
#include "meshlog/rns_transport.h"

#define MAX_PEERS 8
#define MAX_LISTENERS 32
#define MAX_HEARD 256
#define MAX_RECEIPTS 256
#define MAX_LINKS 32
#define HANDLE_LEN 16
#define CLIENT_SETTLE_S 0.5
#define MAX_HANDLERS 16
#define MAX_GROUPS 16
#define MAX_REQUESTS 32

/* A local destination made by wire_listen or wire_announce. */
typedef struct listener {
    uint8_t dest[RNS_HASHLEN];
    uint8_t identity_hash[RNS_HASHLEN];
    uint8_t public_key[RNS_KEYSIZE];
    json_t *opportunistic;   /* hex payloads of single packets received */
    json_t *link_data;       /* hex payloads received over links to it */
} listener;

/* An announce the core reported: when, and whose identity. */
typedef struct heard {
    uint8_t dest[RNS_HASHLEN];
    uint8_t identity_hash[RNS_HASHLEN];
    double when;
} heard;

#define PROOF_RAW_MAX 160

typedef struct receipt {
    uint8_t packet_hash[RNS_FULL_HASHLEN];
    uint8_t dest[RNS_HASHLEN];   /* single packets: the destination proving it */
    int state; /* 0 waiting, 1 proved, 2 timed out, 3 culled */
    uint8_t proof_raw[PROOF_RAW_MAX]; /* the proof packet as received (single packets) */
    size_t proof_raw_len;
    unsigned proof_hops;
} receipt;

/* A link seen on this peer, with the last snapshot of its state (the core
 * frees a link once its CLOSED event is handed out). */
typedef struct wlink {
    uint8_t id[RNS_HASHLEN];
    uint8_t dest[RNS_HASHLEN];
    int initiator;
    int state;               /* enum rns_link_state */
    int reason;              /* enum rns_link_close_reason */
    uint32_t mtu;
    size_t mdu;
    double rtt, keepalive;
    int identified;
    uint8_t remote_hash[RNS_HASHLEN];
    rns_link_timers timers;  /* the watchdog's times, as last seen */
    rns_link_keys keys;      /* which secrets it held, as last seen */
    int last_keepalive;      /* the last keepalive byte it sent, or -1 */
} wlink;

/* A request handler on a local destination (wire_register_request_handler). */
typedef struct handler {
    uint8_t dest[RNS_HASHLEN];
    uint8_t path_hash[RNS_HASHLEN];
    char *path;
    int allow;               /* 0 all, 1 listed identities, 2 none */
    json_t *allowed;         /* hex identity hashes */
    int response_none;
    ml_buf response;
    int file;                /* response_file: answered as a file (a resource) */
    int has_meta;
    ml_buf meta;             /* its metadata, one msgpack value */
    json_t *log;             /* one object per request that reached it */
} handler;

/* A request sent over a link, waiting for its response. */
typedef struct request {
    uint8_t id[RNS_HASHLEN];
    int state;               /* 0 waiting, 1 answered */
    int has_response;        /* the response was bytes (not nil) */
    ml_buf response;
    int has_metadata;        /* a file response's metadata (bytes) */
    ml_buf metadata;
    double sent, answered;
} request;

/* A GROUP destination: named without an identity, keyed by a pre-shared
 * 64-byte token key. */
typedef struct group {
    uint8_t dest[RNS_HASHLEN];
    uint8_t key[64];
} group;

typedef struct peer {
    char handle[HANDLE_LEN + 1];
    rns_node *node;
    int iface_id;            /* the client interface, or -1 */
    int iface_up;
    int last_iface;          /* the interface that came up last (for injection) */
    listener listeners[MAX_LISTENERS];
    size_t n_listeners;
    heard heard[MAX_HEARD];
    size_t n_heard;
    receipt receipts[MAX_RECEIPTS];
    size_t n_receipts;
    wlink links[MAX_LINKS];
    size_t n_links;
    group groups[MAX_GROUPS];
    size_t n_groups;
    handler handlers[MAX_HANDLERS];
    size_t n_handlers;
    request requests[MAX_REQUESTS];
    size_t n_requests;
    struct res_state *res;   /* resources seen (cmd_resource.c), or NULL */
    struct chan_state *chan; /* channel messages recorded per link (cmd_buffer.c), or NULL */
    int shared_master;       /* started with share_instance */
    int local_client;        /* attached to a shared instance */
    json_t *link_capture;    /* while armed (cmd_link.c): link packets seen by the link tap */
    uint8_t capture_link[RNS_HASHLEN];
    char *network_name;      /* IFAC credentials of its interface, or NULL */
    char *passphrase;
    size_t ifac_size;
} peer;

void wait_until(int (*done)(peer *, const void *), peer *pr, const void *arg, long long timeout_ms);
int send_single(br_ctx *c, peer *pr, size_t *slot, int *sent);
void note_proof(peer *pr, const rns_tev *ev);

/* The frame tap (cmd_proof.c): every frame in and out of every peer's core,
 * as on the wire (IFAC on), in a bridge-wide ring of the last WIRE_TAP_MAX,
 * numbered from 1. peer_new attaches a peer, peer_free forgets it. */
#define WIRE_TAP_MAX 1024
typedef struct wire_frame {
    unsigned long long seq;
    const peer *pr;          /* NULL once the peer is gone */
    int iface;
    int outbound;
    double when;
    ml_buf raw;
} wire_frame;
void wire_tap_attach(peer *pr);
void wire_tap_forget(const peer *pr);
/* The highest seq so far (0: none). */
unsigned long long wire_tap_seq(void);
/* The oldest frame kept with seq > after, or NULL. */
const wire_frame *wire_tap_next(unsigned long long after);
/* The peer's first interface (the configured one: a TCP server's listener,
 * a client's connection) that has IFAC (ifac 1), has none (0), or any (-1);
 * -1 when there is none. */
int peer_iface(peer *pr, int ifac);
listener *find_listener(peer *pr, const uint8_t dest[RNS_HASHLEN]);
wlink *find_link(peer *pr, const uint8_t id[RNS_HASHLEN]);
void append_hex(json_t *list, const ml_buf *b);
void note_receipt(peer *pr, const uint8_t hash[RNS_FULL_HASHLEN], int state);
void snapshot(peer *pr, wlink *l);
int peer_param(br_ctx *c, peer **out);
rns_transport *core(peer *pr);
int link_param(br_ctx *c, peer **pr, rns_link **l, uint8_t id[RNS_HASHLEN]);
int wlink_param(br_ctx *c, peer **pr, wlink **l);
int dest_param(br_ctx *c, uint8_t dest[RNS_HASHLEN]);
/* Ratchets of a peer's local destinations (cmd_dest.c), for wire_listen,
 * wire_announce and wire_reannounce: enable_ratchets between register and
 * announce; the announce's ratchet fields; rotate_ago_s; current_ratchet_id. */
int dest_enable_ratchets_param(br_ctx *c, peer *pr, const uint8_t dest[RNS_HASHLEN]);
int dest_ratchet_result(br_ctx *c, peer *pr, const uint8_t dest[RNS_HASHLEN]);
int dest_backdate_rotation(br_ctx *c, peer *pr, const uint8_t dest[RNS_HASHLEN]);
int dest_current_ratchet(br_ctx *c, peer *pr, const uint8_t dest[RNS_HASHLEN]);
/* cmd_config.c: the instance options of a wire_start_* request ([reticulum]
 * knobs) applied to a new peer's node; options it cannot honour are refused. */
int config_apply(br_ctx *c, peer *pr);
/* cmd_resource.c: RNS_TEV_RESOURCE events, the peer's records, and a
 * listener's resource_strategy (sets it on the core, adds it to the result). */
void resource_on_event(peer *pr, const rns_tev *ev);
void resource_peer_free(peer *pr);
int resource_listen(br_ctx *c, peer *pr, const uint8_t dest[RNS_HASHLEN]);
/* cmd_transport.c: mode (both), enable_transport and share_instance (server)
 * of wire_start_tcp_*; sets transport_enabled / shared_instance_port. */
int wire_transport_opts(br_ctx *c, peer *pr, int server);
/* cmd_buffer.c: the message type the suite's bridges register on every
 * channel (_WIRE_CHANNEL_MSGTYPE); a listener's channel policy (open_channel,
 * buffer_stream_ids); the recording handler on a link's channel (added
 * once; it also moves what the channel queued before; messages of that type
 * are kept per link, also after it closed) and what it recorded (new
 * reference); its events and cleanup. */
#define WIRE_CHANNEL_MSGTYPE 0x0101u
int channel_listen(br_ctx *c, peer *pr, const uint8_t dest[RNS_HASHLEN]);
int channel_record(peer *pr, const uint8_t id[RNS_HASHLEN], rns_channel *ch);
json_t *channel_take_recorded(peer *pr, const uint8_t id[RNS_HASHLEN]);
void channel_on_event(peer *pr, const rns_tev *ev);
void channel_peer_free(peer *pr);
/* cmd_link.c: installs the peer's link tap (keepalive bytes, captures). */
void br_link_peer_init(peer *pr);
/* cmd_link.c: records what one link sends and receives in the clear (the
 * link tap: {outbound, packet_type, context, plaintext hex}) from arm to
 * take; the caller owns the list take returns. */
void capture_arm(peer *pr, const uint8_t id[RNS_HASHLEN]);
json_t *capture_take(peer *pr);

#endif
