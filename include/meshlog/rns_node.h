// SPDX-License-Identifier: MIT
// A Reticulum node on a libuv event loop: the I/O driver around the sans-I/O
// transport core (rns_transport.h). It owns the core and the interfaces and
// only moves bytes and time: TCP client (HDLC framed, reconnects by itself),
// TCP server (each accepted client is an interface of its own), UDP (one
// packet per datagram, listen + forward address), and the client of a local
// shared instance (a running rnsd: abstract Unix socket "\0rns/<name>", or TCP
// 127.0.0.1:<port>), each optionally with IFAC. The core's deadline drives one
// timer. Events from the core reach the application through a callback, inside
// which the application may call into the core freely.
#ifndef MESHLOG_RNS_NODE_H
#define MESHLOG_RNS_NODE_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "meshlog/rns_transport.h"

#define RNS_NODE_TCP_HW_MTU 8192       /* the reference's guess for TCP (10 Mbit/s) */
#define RNS_NODE_UDP_HW_MTU 1064
#define RNS_NODE_SHARED_PORT 37428
#define RNS_NODE_RECONNECT_S 3.0

typedef struct rns_node rns_node;

/* One event from the core. ev is owned by the node (cleared after the call). */
typedef void (*rns_node_event_fn)(void *ctx, rns_node *n, const rns_tev *ev);
/* An interface came up (connected) or went down. */
typedef void (*rns_node_iface_fn)(void *ctx, rns_node *n, int iface_id, int up);

typedef struct rns_node_config {
    uv_loop_t *loop;               /* NULL: the node makes and owns one */
    rns_log_fn log;                /* NULL: silent */
    void *log_ctx;
    rns_node_event_fn on_event;    /* may be NULL */
    rns_node_iface_fn on_iface;    /* may be NULL */
    void *ctx;                     /* passed to both callbacks */
} rns_node_config;

/* Per-interface options; NULL means none. */
typedef struct rns_iface_opts {
    const char *network_name;      /* IFAC network name, or NULL */
    const char *passphrase;        /* IFAC passphrase, or NULL */
    size_t ifac_size;              /* bytes; 0: 16 */
    double reconnect_s;            /* TCP/shared client retry period; 0: default */
    uint64_t bitrate;              /* TCP: bits/s; below RNS_MINIMUM_BITRATE (0 too):
                                      the 10 Mbit/s guess. Sets the HW_MTU the
                                      interface autoconfigures and the first-hop
                                      timeout of paths over it */
    uint32_t fixed_mtu;            /* TCP client/server: the HW MTU, which links over it
                                      signal (the reference's fixed_mtu); 0: 8192 */
} rns_iface_opts;

/* Creates a node with a fresh core (randomness from ml_random). *out is the
 * caller's: rns_node_free(). 0, ML_ENOMEM, ML_EIO (loop). */
int rns_node_new(rns_node **out, const rns_node_config *cfg);
/* Closes every socket, runs the loop until they are closed, frees the core. NULL ok. */
void rns_node_free(rns_node *n);

rns_transport *rns_node_transport(rns_node *n);   /* borrowed */
uv_loop_t *rns_node_loop(rns_node *n);            /* borrowed */
/* The clock the node gives the core: UNIX time in seconds. */
double rns_node_now(void);
/* Sends what the core has queued, hands out its events and re-arms the timer.
 * Call it after calling into the core from outside an event callback. */
void rns_node_kick(rns_node *n);

/* Interfaces. host is an IPv4/IPv6 literal or name; port 0 on a listener
 * picks a free port, returned in *bound_port (may be NULL). iface_id (may be
 * NULL) receives the core's interface id. All return 0, ML_EINVAL (bad
 * address), ML_EIO (socket error; errno-style detail in the log), ML_ENOMEM. */
int rns_node_add_tcp_client(rns_node *n, const char *host, uint16_t port,
                            const rns_iface_opts *o, int *iface_id);
int rns_node_add_tcp_server(rns_node *n, const char *host, uint16_t port,
                            const rns_iface_opts *o, uint16_t *bound_port);
int rns_node_add_udp(rns_node *n, const char *listen_host, uint16_t listen_port,
                     const char *forward_host, uint16_t forward_port, const rns_iface_opts *o,
                     uint16_t *bound_port, int *iface_id);
/* The shared instance: tcp_port 0 connects to the abstract Unix socket
 * "\0rns/<name>" (name NULL: "default"), else to TCP 127.0.0.1:tcp_port. */
int rns_node_add_shared(rns_node *n, const char *name, uint16_t tcp_port,
                        const rns_iface_opts *o, int *iface_id);

/* A shared instance (as rnsd's share_instance): local programs attach over
 * TCP 127.0.0.1:port (0: a free port, returned in *bound_port); each is an
 * interface of the core marked local_client, relayed for even with
 * transport disabled. 0, ML_EINVAL, ML_EIO, ML_ETOOBIG, ML_ENOMEM. */
int rns_node_add_local_server(rns_node *n, uint16_t port, uint16_t *bound_port);
/* Sets the mode (enum rns_iface_mode) of every interface and of clients
 * servers accept later. */
void rns_node_set_mode(rns_node *n, int mode);

/* 1 when a client interface is connected (UDP and server clients: always 1). */
int rns_node_iface_up(rns_node *n, int iface_id);
/* Drops a client interface's connection as if the peer had gone; it
 * reconnects by itself after reconnect_s (see rns_node_set_max_reconnect_tries).
 * For tests and operators. 0 or ML_ENOTFOUND. */
int rns_node_disconnect(rns_node *n, int iface_id);

/* Test hooks. rns_node_inject feeds raw to the core as if it had arrived on
 * iface_id (as deframed: IFAC still on), then sends the core's answers and
 * hands out its events; rns_node_send_raw sends raw as is (IFAC applied,
 * framed as the interface frames) on iface_id, or on every interface that is
 * up when iface_id < 0. Frames in both directions can be watched with
 * rns_transport_set_frame_tap. 0, ML_EINVAL, ML_ENOTFOUND, ML_ENOMEM. */
int rns_node_inject(rns_node *n, int iface_id, const uint8_t *raw, size_t len);
int rns_node_send_raw(rns_node *n, int iface_id, const uint8_t *raw, size_t len);
/* The ids of the node's current interfaces (a TCP server's clients
 * included), oldest first, up to max; returns how many there are. */
size_t rns_node_ifaces(rns_node *n, int *ids, size_t max);
/* What the node knows of one of its interfaces. kind: "tcp-client",
 * "tcp-server" (a listener: it carries nothing, its clients are interfaces of
 * their own), "tcp-server-client", "udp" or "shared". 0 or ML_ENOTFOUND. */
typedef struct rns_node_iface_info {
    const char *kind;          /* static string */
    int connected;
    size_t ifac_size;          /* bytes of access code; 0: no IFAC */
    uint32_t hw_mtu;
    int fixed_mtu;             /* 1: hw_mtu was pinned (fixed_mtu), not autoconfigured */
} rns_node_iface_info;
int rns_node_get_iface_info(rns_node *n, int iface_id, rns_node_iface_info *info);
/* Bytes received and written by the node's interfaces on the wire (framing
 * included; datagrams for UDP), summed over every interface it ever had.
 * Either pointer may be NULL. */
void rns_node_byte_counts(const rns_node *n, uint64_t *rx_bytes, uint64_t *tx_bytes);

/* The node's transport identity (random per node), under which its
 * management destinations are named. Borrowed. */
const rns_identity *rns_node_identity(const rns_node *n);
/* respond_to_probes: registers rnstransport.probe under the transport
 * identity, proving every packet it receives (no links), so other nodes can
 * probe this one. Idempotent. 0, or rns_transport_register's error. */
int rns_node_respond_to_probes(rns_node *n);
/* 1 and its hash (may be NULL) when probes are answered, else 0. */
int rns_node_probe_destination(const rns_node *n, uint8_t hash[RNS_HASHLEN]);

/* enable_remote_management: registers rnstransport.remote.management under
 * the transport identity with the reference's request handlers, answered by
 * the node itself, for identified requesters among allowed only (ALLOW_LIST):
 * "/status" [want_link_count] gives [interface stats(, link count)], "/path"
 * ["table", dest|nil, max_hops|nil] the path table. allowed: n_allowed
 * identity hashes of 16 bytes each, back to back; copied.
 * 0, ML_EEXIST (already on), ML_ENOMEM, or a registration error. */
int rns_node_enable_remote_management(rns_node *n, const uint8_t *allowed, size_t n_allowed);
/* 1 and its destination hash (may be NULL) when on, else 0. */
int rns_node_remote_management(const rns_node *n, uint8_t hash[RNS_HASHLEN]);
/* The ACL (borrowed): *count hashes of 16 bytes back to back; NULL when off. */
const uint8_t *rns_node_remote_management_allowed(const rns_node *n, size_t *count);

/* The instance's RPC key (the reference's rpc_key): the authkey a local
 * RPC control endpoint of this instance requires. No endpoint exists yet
 * (local clients attach over the shared-instance data socket only), so the
 * key is configuration kept for it. key NULL / len 0: back to the default,
 * SHA-256 of the transport identity's 64-byte private key. 0, or ML_EINVAL
 * (len over RNS_NODE_RPC_KEY_MAX). */
#define RNS_NODE_RPC_KEY_MAX 64
int rns_node_set_rpc_key(rns_node *n, const uint8_t *key, size_t len);
/* The effective key into out; its length (32 for the default), 0 on error. */
size_t rns_node_rpc_key(const rns_node *n, uint8_t out[RNS_NODE_RPC_KEY_MAX]);

/* Trusted identity lists of the [reticulum] section, count identity hashes
 * of 16 bytes back to back, copied, duplicates kept once:
 * blackhole_sources: transport identities whose published blackhole lists
 * this instance would adopt; interface_discovery_sources: identities whose
 * interface discovery announces it would accept. Neither a blackhole-list
 * fetcher nor a discovery receiver is built yet: the lists are held and
 * reported, nothing consults them. 0 or ML_ETOOBIG (over RNS_NODE_MAX_SOURCES). */
#define RNS_NODE_MAX_SOURCES 64
int rns_node_set_blackhole_sources(rns_node *n, const uint8_t *hashes, size_t count);
const uint8_t *rns_node_blackhole_sources(const rns_node *n, size_t *count);
int rns_node_set_interface_discovery_sources(rns_node *n, const uint8_t *hashes, size_t count);
const uint8_t *rns_node_interface_discovery_sources(const rns_node *n, size_t *count);

/* The effective bitrate (bits/s) of an interface, or for iface_id < 0 of the
 * node's first TCP server (what its clients' interfaces get); 0 when none. */
uint64_t rns_node_bitrate(const rns_node *n, int iface_id);

/* A client interface (TCP or shared) gives up after `tries` failed
 * reconnection attempts in a row (0, the default: never) and stays down.
 * 0 or ML_ENOTFOUND (no such client interface). */
int rns_node_set_max_reconnect_tries(rns_node *n, int iface_id, unsigned tries);
/* panic_on_interface_error: an interface that gives up stops the node for
 * good (the reference exits the process): rns_node_run returns ML_ESTATE from
 * then on and rns_node_panicked says 1. Off by default. */
void rns_node_set_panic_on_interface_error(rns_node *n, int on);
int rns_node_panic_on_interface_error(const rns_node *n);
int rns_node_panicked(const rns_node *n);

/* Runs the node's loop for up to `seconds` (< 0: until rns_node_stop). */
int rns_node_run(rns_node *n, double seconds);
/* Makes rns_node_run return soon (safe from callbacks). */
void rns_node_stop(rns_node *n);

#endif
