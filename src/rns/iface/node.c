// SPDX-License-Identifier: MIT
// The libuv driver of a Reticulum node (see rns_node.h). It owns the sockets
// and the transport core, and does only I/O: stream interfaces (TCP client,
// TCP server connections, the shared instance's Unix socket or TCP port) are
// HDLC-deframed into the core and framed out of it; UDP moves one packet per
// datagram. Every libuv handle lives in a heap "box" whose close callback
// frees it, so a connection can vanish at any moment without dangling state.
#include <errno.h>
#include <float.h>
#include <netdb.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/rns_config.h"
#include "meshlog/rns_dest.h"
#include "meshlog/rns_framing.h"
#include "meshlog/rns_ifac.h"
#include "meshlog/rns_msgpack.h"
#include "meshlog/rns_node.h"

#define MAX_NIFS RNS_TRANSPORT_MAX_IFACES
#define MAX_SERVERS 8
#define STREAM_FRAME_MAX (262144u + RNS_IFAC_MAX_SIZE)
#define READ_BUF 65536

enum kind { K_TCP_CLIENT, K_TCP_ACCEPTED, K_UDP, K_SHARED_UNIX, K_SHARED_TCP, K_TCP_LISTENER };

struct niface;

/* A heap-allocated libuv handle; freed by its close callback. */
typedef struct hbox {
    union uv_any_handle u;
    rns_node *node;
    struct niface *nif;          /* the interface it serves; NULL once detached */
    void *owner;                 /* servers: their struct server */
} hbox;

struct niface {
    rns_node *node;
    int id;                      /* the core's interface id */
    enum kind kind;
    hbox *conn;                  /* stream connection, or NULL */
    hbox *udp;
    hbox *retry;                 /* reconnect timer of a client */
    rns_deframer *df;
    int connected;
    char host[256];              /* client target; shared: instance name */
    uint16_t port;
    double reconnect_s;
    struct sockaddr_storage fwd; /* UDP forward address */
    const char *kind_name;       /* a literal */
    size_t ifac_size;            /* 0: no IFAC */
    uint32_t hw_mtu;
    int fixed_mtu;               /* hw_mtu was pinned by the fixed_mtu option */
    uint64_t bitrate;            /* effective, bits/s; 0 unknown */
    unsigned max_tries, tries;   /* reconnect attempts allowed (0: forever), made */
};

struct server {
    hbox *h;
    char *network_name, *passphrase;
    size_t ifac_size;
    uint64_t bitrate;            /* effective, given to its clients */
    uint32_t fixed_mtu;
    int mode;                    /* given to each accepted client */
    int local;                   /* a shared instance: clients are local clients */
};

struct rns_node {
    uv_loop_t own_loop;
    uv_loop_t *loop;
    int owns_loop;
    rns_transport *t;
    rns_identity *ident;          /* the transport identity (management destinations) */
    uint8_t probe[RNS_HASHLEN];   /* rnstransport.probe, when probes are answered */
    int probes;
    uint8_t rm[RNS_HASHLEN];      /* rnstransport.remote.management, when enabled */
    int rm_on;
    uint8_t (*acl)[RNS_HASHLEN];  /* identities allowed to manage remotely */
    size_t n_acl;
    int panic_on_error, panicked;
    uint8_t rpc_key[RNS_NODE_RPC_KEY_MAX]; /* configured rpc_key; rpc_len 0: the default */
    size_t rpc_len;
    uint8_t bh_src[RNS_NODE_MAX_SOURCES][RNS_HASHLEN]; /* blackhole_sources */
    size_t n_bh_src;
    uint8_t disc_src[RNS_NODE_MAX_SOURCES][RNS_HASHLEN]; /* interface_discovery_sources */
    size_t n_disc_src;
    rns_node_config cfg;
    uv_timer_t timer, stop_timer;
    struct niface *nifs[MAX_NIFS];
    size_t n_nifs;
    struct server servers[MAX_SERVERS];
    size_t n_servers;
    size_t open_handles;
    int in_service, again;
    uint64_t rx_bytes, tx_bytes;
    uint8_t rbuf[READ_BUF];
};

static void service(rns_node *n);
static int mgmt_request(rns_node *n, const rns_tev *ev);

/* ---- small helpers ------------------------------------------------------------- */

static void nlog(rns_node *n, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void nlog(rns_node *n, int level, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    if (!n->cfg.log)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    n->cfg.log(n->cfg.log_ctx, level, msg);
}

double rns_node_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int rng(void *ctx, void *out, size_t len)
{
    (void)ctx;
    return ml_random(out, len);
}

static hbox *hbox_new(rns_node *n, struct niface *nif)
{
    hbox *b = calloc(1, sizeof *b);
    if (b) {
        b->node = n;
        b->nif = nif;
        b->u.handle.data = b;
    }
    return b;
}

static void on_box_closed(uv_handle_t *h)
{
    hbox *b = h->data;
    b->node->open_handles--;
    free(b);
}

/* Closes a box whose handle was initialised (counted in open_handles). */
static void hbox_close(hbox *b)
{
    if (!b)
        return;
    b->nif = NULL;
    if (!uv_is_closing(&b->u.handle))
        uv_close(&b->u.handle, on_box_closed);
}

static struct niface *nif_get(rns_node *n, int id)
{
    for (size_t i = 0; i < n->n_nifs; i++)
        if (n->nifs[i]->id == id)
            return n->nifs[i];
    return NULL;
}

static int resolve(const char *host, uint16_t port, struct sockaddr_storage *out)
{
    struct addrinfo hints, *res = NULL;
    char ps[8];
    int ret = ML_EINVAL;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    snprintf(ps, sizeof ps, "%u", (unsigned)port);
    if (getaddrinfo(host, ps, &hints, &res) == 0 && res && res->ai_addrlen <= sizeof *out) {
        memset(out, 0, sizeof *out);
        memcpy(out, res->ai_addr, res->ai_addrlen);
        ret = 0;
    }
    if (res)
        freeaddrinfo(res);
    return ret;
}

static int make_ifac(const rns_iface_opts *o, rns_ifac **out)
{
    *out = NULL;
    if (!o || (!o->network_name && !o->passphrase))
        return 0;
    return rns_ifac_new(out, o->network_name, o->passphrase,
                        o->ifac_size ? o->ifac_size : RNS_IFAC_SIZE_DEFAULT);
}

/* ---- output ------------------------------------------------------------------------ */

struct wreq {
    uv_write_t req;
    uv_buf_t buf;
    ml_buf data;
};

struct ureq {
    uv_udp_send_t req;
    uv_buf_t buf;
    ml_buf data;
};

static void on_written(uv_write_t *req, int status)
{
    struct wreq *w = (struct wreq *)req;
    (void)status;                      /* a failed write shows up as a read error */
    ml_buf_free(&w->data);
    free(w);
}

static void on_udp_sent(uv_udp_send_t *req, int status)
{
    struct ureq *u = (struct ureq *)req;
    (void)status;
    ml_buf_free(&u->data);
    free(u);
}

static void send_stream(struct niface *nif, const ml_buf *pkt)
{
    struct wreq *w;

    if (!nif->conn || !nif->connected || !(w = calloc(1, sizeof *w)))
        return;
    if (rns_framing_encode(&w->data, RNS_FRAMING_HDLC, pkt->p, pkt->len)) {
        free(w);
        return;
    }
    w->buf = uv_buf_init((char *)w->data.p, (unsigned)w->data.len);
    if (uv_write(&w->req, &nif->conn->u.stream, &w->buf, 1, on_written)) {
        ml_buf_free(&w->data);
        free(w);
        return;
    }
    nif->node->tx_bytes += w->buf.len;
}

static void send_udp(struct niface *nif, const ml_buf *pkt)
{
    struct ureq *u;

    if (!nif->udp || !(u = calloc(1, sizeof *u)))
        return;
    if (ml_buf_append(&u->data, pkt->p, pkt->len)) {
        free(u);
        return;
    }
    u->buf = uv_buf_init((char *)u->data.p, (unsigned)u->data.len);
    if (uv_udp_send(&u->req, &nif->udp->u.udp, &u->buf, 1, (const struct sockaddr *)&nif->fwd,
                    on_udp_sent)) {
        ml_buf_free(&u->data);
        free(u);
        return;
    }
    nif->node->tx_bytes += u->buf.len;
}

static void send_outputs(rns_node *n)
{
    ml_buf pkt = ML_BUF_INIT;
    struct niface *nif;
    int id;

    while (rns_transport_pop_output(n->t, &id, &pkt) == 1) {
        if ((nif = nif_get(n, id)))
            nif->kind == K_UDP ? send_udp(nif, &pkt) : send_stream(nif, &pkt);
        ml_buf_reset(&pkt);
    }
    ml_buf_free(&pkt);
}

/* ---- the core's clock ---------------------------------------------------------------- */

static void on_timer(uv_timer_t *h)
{
    rns_node *n = h->data;
    rns_transport_tick(n->t, rns_node_now());
    service(n);
}

static void arm_timer(rns_node *n)
{
    double d = rns_transport_deadline(n->t), now = rns_node_now(), ms;

    uv_timer_stop(&n->timer);
    if (d >= DBL_MAX / 2)
        return;
    ms = (d - now) * 1000.0 + 1.0;
    if (ms < 0)
        ms = 0;
    if (ms > 3600e3)
        ms = 3600e3;
    uv_timer_start(&n->timer, on_timer, (uint64_t)ms, 0);
}

/* Sends what the core queued and hands its events to the application, until
 * the application's reactions have been sent too. */
static void service(rns_node *n)
{
    rns_tev ev;

    if (n->in_service) {
        n->again = 1;
        return;
    }
    n->in_service = 1;
    do {
        n->again = 0;
        rns_transport_flush(n->t, rns_node_now());
        send_outputs(n);
        while (rns_transport_pop_event(n->t, &ev) == 1) {
            if (!mgmt_request(n, &ev) && n->cfg.on_event)
                n->cfg.on_event(n->cfg.ctx, n, &ev);
            rns_tev_clear(&ev);
            n->again = 1;
        }
    } while (n->again);
    n->in_service = 0;
    arm_timer(n);
}

void rns_node_kick(rns_node *n)
{
    service(n);
}

/* ---- stream connections ------------------------------------------------------------------ */

static void schedule_reconnect(struct niface *nif);
static void nif_free(struct niface *nif);

/* Takes an interface out of the core and the node, and frees it. */
static void nif_remove(struct niface *nif)
{
    rns_node *n = nif->node;
    size_t i;

    rns_transport_remove_iface(n->t, nif->id);
    for (i = 0; i < n->n_nifs && n->nifs[i] != nif; i++)
        ;
    if (i < n->n_nifs)
        n->nifs[i] = n->nifs[--n->n_nifs];
    nif_free(nif);
}

static void set_up(struct niface *nif, int up)
{
    rns_node *n = nif->node;

    if (nif->connected == up)
        return;
    nif->connected = up;
    rns_transport_iface_set_up(n->t, nif->id, up);
    nlog(n, RNS_LOG_INFO, "interface %d %s", nif->id, up ? "up" : "down");
    if (n->cfg.on_iface)
        n->cfg.on_iface(n->cfg.ctx, n, nif->id, up);
}

/* The connection ended: clients retry, a server's client interface goes away. */
static void conn_lost(struct niface *nif)
{
    hbox_close(nif->conn);
    nif->conn = NULL;
    if (nif->kind != K_TCP_ACCEPTED) {
        set_up(nif, 0);
        schedule_reconnect(nif);
        return;
    }
    nif_remove(nif);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    hbox *b = h->data;
    (void)suggested;
    *buf = uv_buf_init((char *)b->node->rbuf, READ_BUF);
}

static void deframe(struct niface *nif, const uint8_t *data, size_t len)
{
    const uint8_t *pkt;
    size_t off = 0, plen, used;
    double now = rns_node_now();

    while (off < len) {
        int r = rns_deframer_feed(nif->df, data + off, len - off, &used, &pkt, &plen);
        if (r < 0)
            break;
        off += used;
        if (r == 1)
            rns_transport_inbound(nif->node->t, nif->id, pkt, plen, now);
    }
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    hbox *b = s->data;
    struct niface *nif = b->nif;
    rns_node *n = b->node;

    if (!nif)
        return;
    if (nread < 0) {
        nlog(n, RNS_LOG_INFO, "interface %d: %s", nif->id, uv_strerror((int)nread));
        conn_lost(nif);
    } else if (nread > 0) {
        n->rx_bytes += (uint64_t)nread;
        deframe(nif, (const uint8_t *)buf->base, (size_t)nread);
    }
    service(n);
}

static void conn_ready(struct niface *nif)
{
    nif->tries = 0;
    rns_deframer_reset(nif->df);
    if (uv_read_start(&nif->conn->u.stream, on_alloc, on_read)) {
        conn_lost(nif);
        return;
    }
    set_up(nif, 1);
    service(nif->node);
}

static void on_connect(uv_connect_t *req, int status)
{
    hbox *b = req->handle->data;
    struct niface *nif = b->nif;

    free(req);
    if (!nif)
        return;
    if (status < 0) {
        nlog(b->node, RNS_LOG_DEBUG, "interface %d: connect: %s", nif->id, uv_strerror(status));
        conn_lost(nif);
        return;
    }
    uv_tcp_nodelay(&b->u.tcp, 1);
    conn_ready(nif);
}

static int connect_tcp(struct niface *nif)
{
    rns_node *n = nif->node;
    struct sockaddr_storage sa;
    uv_connect_t *req = NULL;
    hbox *b = NULL;

    if (resolve(nif->host, nif->port, &sa))
        return ML_EINVAL;
    if (!(b = hbox_new(n, nif)) || !(req = calloc(1, sizeof *req))) {
        free(b);
        free(req);
        return ML_ENOMEM;
    }
    uv_tcp_init(n->loop, &b->u.tcp);
    n->open_handles++;
    nif->conn = b;
    if (uv_tcp_connect(req, &b->u.tcp, (const struct sockaddr *)&sa, on_connect)) {
        free(req);
        conn_lost(nif);
    }
    return 0;
}

/* The abstract socket "\0rns/<name>": libuv 1.44 cannot name abstract
 * sockets, so connect by hand (a local connect does not block) and adopt the fd. */
static int connect_unix(struct niface *nif)
{
    rns_node *n = nif->node;
    struct sockaddr_un sun;
    int fd = -1, len;
    hbox *b;

    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    len = snprintf(sun.sun_path + 1, sizeof sun.sun_path - 1, "rns/%s", nif->host);
    if (len < 0 || (size_t)len >= sizeof sun.sun_path - 1)
        return ML_EINVAL;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sun,
                          (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)len))) {
        nlog(n, RNS_LOG_DEBUG, "shared instance rns/%s: %s", nif->host, strerror(errno));
        if (fd >= 0)
            close(fd);
        schedule_reconnect(nif);
        return 0;
    }
    if (!(b = hbox_new(n, nif))) {
        close(fd);
        return ML_ENOMEM;
    }
    uv_pipe_init(n->loop, &b->u.pipe, 0);
    n->open_handles++;
    nif->conn = b;
    if (uv_pipe_open(&b->u.pipe, fd)) {
        close(fd);
        conn_lost(nif);
        return 0;
    }
    conn_ready(nif);
    return 0;
}

static int connect_client(struct niface *nif)
{
    return nif->kind == K_SHARED_UNIX ? connect_unix(nif) : connect_tcp(nif);
}

static void on_retry(uv_timer_t *h)
{
    hbox *b = h->data;
    if (b->nif && !b->nif->conn)
        connect_client(b->nif);
}

static void schedule_reconnect(struct niface *nif)
{
    double s = nif->reconnect_s > 0 ? nif->reconnect_s : RNS_NODE_RECONNECT_S;
    rns_node *n = nif->node;

    if (nif->max_tries && ++nif->tries > nif->max_tries) {
        /* the reference tears such an interface down, and with
         * panic_on_interface_error the whole instance goes */
        nlog(n, RNS_LOG_ERROR, "interface %d: reconnection attempts used up, torn down", nif->id);
        if (n->panic_on_error) {
            n->panicked = 1;
            nlog(n, RNS_LOG_ERROR, "panic_on_interface_error: stopping the node");
            rns_node_stop(n);
        }
        return;
    }
    if (nif->retry)
        uv_timer_start(&nif->retry->u.timer, on_retry, (uint64_t)(s * 1000.0), 0);
}

/* ---- interfaces ---------------------------------------------------------------------------- */

static void nif_free(struct niface *nif)
{
    if (!nif)
        return;
    hbox_close(nif->conn);
    hbox_close(nif->udp);
    hbox_close(nif->retry);
    rns_deframer_free(nif->df);
    free(nif);
}

/* A TCP interface's bitrate: the configured one unless below the minimum,
 * else the reference's guess for TCP. */
static uint64_t tcp_bitrate(const rns_iface_opts *o)
{
    if (o && o->bitrate >= RNS_MINIMUM_BITRATE)
        return o->bitrate;
    return rns_iface_class_find("TCPClientInterface")->bitrate_guess;
}

/* Creates the interface record and its core interface. */
static int nif_add(rns_node *n, enum kind kind, const char *name, uint32_t hw_mtu,
                   const rns_iface_opts *o, struct niface **out)
{
    rns_iface_props ip = {name, hw_mtu, kind != K_UDP, kind == K_SHARED_UNIX ||
                          kind == K_SHARED_TCP, NULL};
    struct niface *nif = NULL;
    int ret;

    *out = NULL;
    if (n->n_nifs >= MAX_NIFS)
        return ML_ETOOBIG;
    if ((ret = make_ifac(o, &ip.ifac)))
        return ret;
    if (!(nif = calloc(1, sizeof *nif))) {
        rns_ifac_free(ip.ifac);
        return ML_ENOMEM;
    }
    nif->node = n;
    nif->kind = kind;
    nif->kind_name = name;
    nif->hw_mtu = hw_mtu;
    nif->ifac_size = ip.ifac ? rns_ifac_size(ip.ifac) : 0;
    nif->reconnect_s = o ? o->reconnect_s : 0;
    if (kind == K_TCP_CLIENT || kind == K_TCP_ACCEPTED || kind == K_TCP_LISTENER) {
        /* TCP autoconfigures its HW_MTU from the bitrate; a slow link gets
         * none (500, and links over it signal no MTU). */
        nif->bitrate = tcp_bitrate(o);
        ip.hw_mtu = (uint32_t)rns_framing_autoconf_mtu(nif->bitrate);
        if (o && o->fixed_mtu)
            ip.hw_mtu = o->fixed_mtu; /* pinned; links over it still signal it */
        nif->fixed_mtu = o && o->fixed_mtu;
        ip.autoconf_mtu = ip.hw_mtu != 0;
        nif->hw_mtu = ip.hw_mtu;
    } else if (kind == K_UDP) {
        nif->bitrate = rns_iface_class_find("UDPInterface")->bitrate_guess;
    }
    if (kind != K_UDP && kind != K_TCP_LISTENER &&
        (ret = rns_deframer_new(&nif->df, RNS_FRAMING_HDLC, RNS_FRAME_MIN_DEFAULT,
                                STREAM_FRAME_MAX))) {
        rns_ifac_free(ip.ifac);
        free(nif);
        return ret;
    }
    if ((ret = rns_transport_add_iface(n->t, &ip, &nif->id))) {
        nif_free(nif);
        return ret;
    }
    rns_transport_iface_set_bitrate(n->t, nif->id, nif->bitrate);
    n->nifs[n->n_nifs++] = nif;
    *out = nif;
    return 0;
}

static int add_client(rns_node *n, enum kind kind, const char *host, uint16_t port,
                      const rns_iface_opts *o, int *iface_id)
{
    struct niface *nif;
    int ret;

    if (strlen(host) >= sizeof nif->host)
        return ML_EINVAL;
    if ((ret = nif_add(n, kind, kind == K_TCP_CLIENT ? "tcp-client" : "shared",
                       RNS_NODE_TCP_HW_MTU, o, &nif)))
        return ret;
    snprintf(nif->host, sizeof nif->host, "%s", host);
    nif->port = port;
    rns_transport_iface_set_up(n->t, nif->id, 0);
    if (!(nif->retry = hbox_new(n, nif)))
        return ML_ENOMEM;
    uv_timer_init(n->loop, &nif->retry->u.timer);
    n->open_handles++;
    if (iface_id)
        *iface_id = nif->id;
    return connect_client(nif);
}

int rns_node_add_tcp_client(rns_node *n, const char *host, uint16_t port,
                            const rns_iface_opts *o, int *iface_id)
{
    struct sockaddr_storage sa;

    if (!host || resolve(host, port, &sa))
        return ML_EINVAL;
    return add_client(n, K_TCP_CLIENT, host, port, o, iface_id);
}

int rns_node_add_shared(rns_node *n, const char *name, uint16_t tcp_port,
                        const rns_iface_opts *o, int *iface_id)
{
    if (tcp_port)
        return add_client(n, K_SHARED_TCP, "127.0.0.1", tcp_port, o, iface_id);
    return add_client(n, K_SHARED_UNIX, name ? name : "default", 0, o, iface_id);
}

/* No room for another interface: accept and hang up, since a connection left
 * in the backlog would stop libuv from accepting any later one. */
static void refuse(rns_node *n, uv_stream_t *s)
{
    hbox *b = hbox_new(n, NULL);

    if (!b)
        return;
    uv_tcp_init(n->loop, &b->u.tcp);
    n->open_handles++;
    uv_accept(s, &b->u.stream);
    nlog(n, RNS_LOG_WARN, "refused a TCP client: too many interfaces");
    hbox_close(b);
}

static void on_connection(uv_stream_t *s, int status)
{
    hbox *sb = s->data;
    struct server *srv = sb->owner;
    rns_node *n = sb->node;
    rns_iface_opts o = {srv->network_name, srv->passphrase, srv->ifac_size, 0, srv->bitrate,
                        srv->fixed_mtu};
    struct niface *nif;
    hbox *b;

    if (status < 0)
        return;
    if (nif_add(n, K_TCP_ACCEPTED, srv->local ? "local-client" : "tcp-server-client",
                RNS_NODE_TCP_HW_MTU, &o, &nif)) {
        refuse(n, s);
        return;
    }
    if (srv->local)
        rns_transport_iface_set_local_client(n->t, nif->id, 1);
    if (srv->mode)
        rns_transport_iface_set_mode(n->t, nif->id, srv->mode);
    if (!(b = hbox_new(n, nif))) {
        conn_lost(nif);
        return;
    }
    uv_tcp_init(n->loop, &b->u.tcp);
    n->open_handles++;
    nif->conn = b;
    if (uv_accept(s, &b->u.stream)) {
        conn_lost(nif);
        return;
    }
    uv_tcp_nodelay(&b->u.tcp, 1);
    conn_ready(nif);
}

static int bound_port_of(const uv_handle_t *h, int udp, uint16_t *port)
{
    struct sockaddr_storage sa;
    int len = sizeof sa;
    int r = udp ? uv_udp_getsockname((const uv_udp_t *)h, (struct sockaddr *)&sa, &len)
                : uv_tcp_getsockname((const uv_tcp_t *)h, (struct sockaddr *)&sa, &len);

    if (r)
        return ML_EIO;
    if (port)
        *port = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
                                               : ((struct sockaddr_in *)&sa)->sin_port);
    return 0;
}

static char *dup_opt(const char *s)
{
    return s ? strdup(s) : NULL;
}

int rns_node_add_tcp_server(rns_node *n, const char *host, uint16_t port,
                            const rns_iface_opts *o, uint16_t *bound_port)
{
    struct sockaddr_storage sa;
    struct server *srv;
    struct niface *lif;
    int r;

    if (!host || resolve(host, port, &sa))
        return ML_EINVAL;
    if (n->n_servers >= MAX_SERVERS)
        return ML_ETOOBIG;
    /* The listener is an interface of its own, as the reference's
     * TCPServerInterface is: it carries nothing itself (down in the core, so
     * nothing is queued for it; each accepted client is an interface), but
     * frames can be injected on it (rns_node_inject) before any client came. */
    if ((r = nif_add(n, K_TCP_LISTENER, "tcp-server", RNS_NODE_TCP_HW_MTU, o, &lif)))
        return r;
    rns_transport_iface_set_up(n->t, lif->id, 0);
    srv = &n->servers[n->n_servers];
    memset(srv, 0, sizeof *srv);
    if (!(srv->h = hbox_new(n, NULL)))
        return ML_ENOMEM;
    srv->h->owner = srv;
    uv_tcp_init(n->loop, &srv->h->u.tcp);
    n->open_handles++;
    n->n_servers++;
    srv->network_name = dup_opt(o ? o->network_name : NULL);
    srv->passphrase = dup_opt(o ? o->passphrase : NULL);
    srv->ifac_size = o ? o->ifac_size : 0;
    srv->bitrate = tcp_bitrate(o);
    srv->fixed_mtu = o ? o->fixed_mtu : 0;
    if ((r = uv_tcp_bind(&srv->h->u.tcp, (const struct sockaddr *)&sa, 0)) ||
        (r = uv_listen(&srv->h->u.stream, 16, on_connection))) {
        nlog(n, RNS_LOG_ERROR, "listen on %s:%u: %s", host, (unsigned)port, uv_strerror(r));
        return ML_EIO;
    }
    return bound_port_of(&srv->h->u.handle, 0, bound_port);
}

int rns_node_add_local_server(rns_node *n, uint16_t port, uint16_t *bound_port)
{
    int ret = rns_node_add_tcp_server(n, "127.0.0.1", port, NULL, bound_port);

    if (ret == 0)
        n->servers[n->n_servers - 1].local = 1;
    return ret;
}

void rns_node_set_mode(rns_node *n, int mode)
{
    for (size_t i = 0; i < n->n_nifs; i++)
        rns_transport_iface_set_mode(n->t, n->nifs[i]->id, mode);
    for (size_t i = 0; i < n->n_servers; i++)
        n->servers[i].mode = mode;
}

static void on_udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    on_alloc(h, suggested, buf);
}

static void on_udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                        const struct sockaddr *addr, unsigned flags)
{
    hbox *b = h->data;
    (void)addr;
    (void)flags;
    if (!b->nif || nread <= 0)
        return;
    b->node->rx_bytes += (uint64_t)nread;
    rns_transport_inbound(b->node->t, b->nif->id, (const uint8_t *)buf->base, (size_t)nread,
                          rns_node_now());
    service(b->node);
}

int rns_node_add_udp(rns_node *n, const char *listen_host, uint16_t listen_port,
                     const char *forward_host, uint16_t forward_port, const rns_iface_opts *o,
                     uint16_t *bound_port, int *iface_id)
{
    struct sockaddr_storage la, fa;
    struct niface *nif;
    int r;

    if (!listen_host || !forward_host || resolve(listen_host, listen_port, &la) ||
        resolve(forward_host, forward_port, &fa))
        return ML_EINVAL;
    if ((r = nif_add(n, K_UDP, "udp", RNS_NODE_UDP_HW_MTU, o, &nif)))
        return r;
    nif->fwd = fa;
    nif->connected = 1;
    if (!(nif->udp = hbox_new(n, nif))) {
        nif_remove(nif);
        return ML_ENOMEM;
    }
    uv_udp_init(n->loop, &nif->udp->u.udp);
    n->open_handles++;
    /* no SO_REUSEADDR: a port already in use is an error the caller sees,
     * not a socket that silently shares (and steals) its datagrams */
    if ((r = uv_udp_bind(&nif->udp->u.udp, (const struct sockaddr *)&la, 0)) ||
        (r = uv_udp_set_broadcast(&nif->udp->u.udp, 1)) ||
        (r = uv_udp_recv_start(&nif->udp->u.udp, on_udp_alloc, on_udp_recv))) {
        nlog(n, RNS_LOG_ERROR, "udp %s:%u: %s", listen_host, (unsigned)listen_port,
             uv_strerror(r));
        nif_remove(nif);
        return ML_EIO;
    }
    if (iface_id)
        *iface_id = nif->id;
    return bound_port_of(&nif->udp->u.handle, 1, bound_port);
}

int rns_node_iface_up(rns_node *n, int iface_id)
{
    struct niface *nif = nif_get(n, iface_id);
    return nif && nif->connected;
}

int rns_node_disconnect(rns_node *n, int iface_id)
{
    struct niface *nif = nif_get(n, iface_id);

    if (!nif || !nif->conn)
        return ML_ENOTFOUND;
    conn_lost(nif);
    service(n);
    return 0;
}

/* ---- test hooks ---------------------------------------------------------------------------- */

int rns_node_inject(rns_node *n, int iface_id, const uint8_t *raw, size_t len)
{
    int ret;

    if (!raw && len)
        return ML_EINVAL;
    ret = rns_transport_inbound(n->t, iface_id, raw ? raw : (const uint8_t *)"", len,
                                rns_node_now());
    service(n);
    return ret;
}

int rns_node_send_raw(rns_node *n, int iface_id, const uint8_t *raw, size_t len)
{
    int ret = rns_transport_send_raw(n->t, iface_id, raw, len);

    service(n);
    return ret;
}

size_t rns_node_ifaces(rns_node *n, int *ids, size_t max)
{
    int tmp[MAX_NIFS];
    size_t k = n->n_nifs;

    /* nifs[] is unordered (removal swaps in the last one); ids only grow */
    for (size_t i = 0; i < k; i++)
        tmp[i] = n->nifs[i]->id;
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && tmp[j - 1] > tmp[j]; j--) {
            int x = tmp[j];
            tmp[j] = tmp[j - 1];
            tmp[j - 1] = x;
        }
    for (size_t i = 0; i < k && i < max; i++)
        ids[i] = tmp[i];
    return k;
}

int rns_node_get_iface_info(rns_node *n, int iface_id, rns_node_iface_info *info)
{
    struct niface *nif = nif_get(n, iface_id);

    if (!nif)
        return ML_ENOTFOUND;
    info->kind = nif->kind_name;
    info->connected = nif->connected;
    info->ifac_size = nif->ifac_size;
    info->hw_mtu = nif->hw_mtu;
    info->fixed_mtu = nif->fixed_mtu;
    return 0;
}

void rns_node_byte_counts(const rns_node *n, uint64_t *rx_bytes, uint64_t *tx_bytes)
{
    if (rx_bytes)
        *rx_bytes = n->rx_bytes;
    if (tx_bytes)
        *tx_bytes = n->tx_bytes;
}

/* ---- node ---------------------------------------------------------------------------------- */

static void on_node_timer_closed(uv_handle_t *h)
{
    rns_node *n = h->data;
    n->open_handles--;
}

static int new_identity(rns_identity **out)
{
    uint8_t priv[RNS_KEYSIZE];
    int ret = ml_random(priv, sizeof priv);

    if (!ret)
        ret = rns_identity_from_private(out, priv);
    ml_wipe(priv, sizeof priv);
    return ret;
}

const rns_identity *rns_node_identity(const rns_node *n) { return n ? n->ident : NULL; }

/* Transport.probe_destination: rnstransport.probe under the transport
 * identity proves every packet it gets, so rnprobe can measure the path. */
int rns_node_respond_to_probes(rns_node *n)
{
    static const char *const aspects[] = {"probe"};
    rns_dest_params dp = {n->ident, RNS_TRANSPORT_APP_NAME, aspects, 1, RNS_PROVE_ALL, 0, NULL, 0};
    int ret;

    if (n->probes)
        return 0;
    if ((ret = rns_transport_register(n->t, &dp, n->probe)))
        return ret;
    n->probes = 1;
    return 0;
}

/* ---- remote management ---------------------------------------------------------------- */

/* The node answers the requests of its management destination itself. */
static int mgmt_request(rns_node *n, const rns_tev *ev)
{
    rns_link *l;
    const rns_identity *rid;
    rns_dest_request rq;
    ml_buf out = ML_BUF_INIT;
    double now = rns_node_now();

    if (!n->rm_on || ev->type != RNS_TEV_LINK || ev->link_ev.type != RNS_LINK_EV_REQUEST ||
        memcmp(ev->dest, n->rm, RNS_HASHLEN) != 0)
        return 0;
    if (!(l = rns_transport_link(n->t, ev->link_id)))
        return 1;
    rid = rns_link_remote_identity(l);
    memset(&rq, 0, sizeof rq);
    rq.data = ev->link_ev.data.p;
    rq.data_len = ev->link_ev.data.len;
    rq.request_id = ev->link_ev.id;
    rq.link_id = ev->link_id;
    rq.remote_identity_hash = rid ? rns_identity_hash(rid) : NULL;
    rq.requested_at = ev->link_ev.timestamp;
    if (rns_dest_handle_request(rns_transport_dest(n->t, n->rm), ev->link_ev.path_hash, &rq, &out) == 1 &&
        rns_link_respond(l, ev->link_ev.id, out.p, out.len, now) == 0)
        rns_transport_flush(n->t, now);
    ml_buf_free(&out);
    return 1;
}

/* The request data: a list whose first item says what is asked. */
static int request_list(const rns_dest_request *rq, rns_mp_reader *r, uint32_t *count)
{
    rns_mp_item it;
    rns_mp_reader_init(r, rq->data, rq->data_len);
    if (rns_mp_next(r, &it) || it.type != RNS_MP_ARRAY || it.count == 0)
        return -1;
    *count = it.count;
    return 0;
}

static int put_kv_uint(ml_buf *o, const char *k, uint64_t v)
{
    return rns_mp_put_cstr(o, k) || rns_mp_put_uint(o, v);
}

/* /status [want_link_count]: [interface stats] or [stats, link count]. */
static int status_gen(void *ctx, const rns_dest_request *rq, ml_buf *o)
{
    rns_node *n = ctx;
    rns_mp_reader r;
    rns_mp_item it;
    uint32_t count;
    int ids[64], links;
    size_t k = rns_node_ifaces(n, ids, 64);
    uint64_t rx, tx;

    if (!rq->remote_identity_hash || request_list(rq, &r, &count) || rns_mp_next(&r, &it))
        return 0;
    links = it.type == RNS_MP_BOOL && it.b;
    if (k > 64)
        k = 64;
    rns_node_byte_counts(n, &rx, &tx);
    if (rns_mp_put_array(o, links ? 2 : 1) || rns_mp_put_map(o, 4) ||
        rns_mp_put_cstr(o, "interfaces") || rns_mp_put_array(o, k))
        return ML_ENOMEM;
    for (size_t i = 0; i < k; i++) {
        rns_node_iface_info info;
        if (rns_node_get_iface_info(n, ids[i], &info))
            memset(&info, 0, sizeof info);
        if (rns_mp_put_map(o, 6) || rns_mp_put_cstr(o, "name") ||
            rns_mp_put_cstr(o, info.kind ? info.kind : "") || rns_mp_put_cstr(o, "status") ||
            rns_mp_put_bool(o, info.connected) || put_kv_uint(o, "mode", RNS_MODE_FULL) ||
            put_kv_uint(o, "bitrate", rns_node_bitrate(n, ids[i])) ||
            put_kv_uint(o, "ifac_size", info.ifac_size) || put_kv_uint(o, "hw_mtu", info.hw_mtu))
            return ML_ENOMEM;
    }
    if (put_kv_uint(o, "rxb", rx) || put_kv_uint(o, "txb", tx) ||
        rns_mp_put_cstr(o, "transport_id") || rns_mp_put_bin(o, rns_transport_id(n->t), RNS_HASHLEN))
        return ML_ENOMEM;
    if (links && rns_mp_put_uint(o, rns_transport_links_total(n->t)))
        return ML_ENOMEM;
    return 1;
}

/* /path ["table", destination or nil, max_hops or nil]: the path table. */
static int path_gen(void *ctx, const rns_dest_request *rq, ml_buf *o)
{
    rns_node *n = ctx;
    rns_mp_reader r;
    rns_mp_item it;
    uint32_t count;
    const uint8_t *only = NULL;
    uint64_t max_hops = UINT64_MAX;
    rns_path_info p;
    double now = rns_node_now();
    size_t k = 0;

    if (!rq->remote_identity_hash || request_list(rq, &r, &count) || rns_mp_next(&r, &it) ||
        it.type != RNS_MP_STR || it.len != 5 || memcmp(it.data, "table", 5) != 0)
        return 0;   /* "rates" is not kept by this node */
    if (count > 1 && !rns_mp_next(&r, &it) && it.type == RNS_MP_BIN && it.len == RNS_HASHLEN)
        only = it.data;
    if (count > 2 && !rns_mp_next(&r, &it) && it.type == RNS_MP_UINT)
        max_hops = it.u;
    for (size_t i = 0; rns_transport_path_at(n->t, i, now, &p); i++)
        k += (!only || !memcmp(only, p.dest, RNS_HASHLEN)) && p.hops <= max_hops;
    if (rns_mp_put_array(o, k))
        return ML_ENOMEM;
    for (size_t i = 0; rns_transport_path_at(n->t, i, now, &p); i++) {
        if ((only && memcmp(only, p.dest, RNS_HASHLEN)) || p.hops > max_hops)
            continue;
        if (rns_mp_put_map(o, 6) || rns_mp_put_cstr(o, "hash") ||
            rns_mp_put_bin(o, p.dest, RNS_HASHLEN) || rns_mp_put_cstr(o, "timestamp") ||
            rns_mp_put_float(o, p.last_seen) || rns_mp_put_cstr(o, "via") ||
            rns_mp_put_bin(o, p.next_hop, RNS_HASHLEN) || put_kv_uint(o, "hops", p.hops) ||
            rns_mp_put_cstr(o, "expires") || rns_mp_put_float(o, p.expires) ||
            put_kv_uint(o, "interface", (uint64_t)(p.iface_id < 0 ? 0 : p.iface_id)))
            return ML_ENOMEM;
    }
    return 1;
}

int rns_node_enable_remote_management(rns_node *n, const uint8_t *allowed, size_t n_allowed)
{
    static const char *const aspects[] = {"remote", "management"};
    rns_dest_params dp = {n->ident, RNS_TRANSPORT_APP_NAME, aspects, 2, RNS_PROVE_NONE, 1, NULL, 0};
    rns_dest *d;
    int ret;

    if (n->rm_on)
        return ML_EEXIST;
    if (n_allowed && !(n->acl = malloc(n_allowed * sizeof *n->acl)))
        return ML_ENOMEM;
    if (n_allowed)
        memcpy(n->acl, allowed, n_allowed * sizeof *n->acl);
    n->n_acl = n_allowed;
    if ((ret = rns_transport_register(n->t, &dp, n->rm)))
        goto fail;
    d = rns_transport_dest(n->t, n->rm);
    if (!d) {
        ret = ML_ENOTFOUND;
        goto fail;
    }
    if ((ret = rns_dest_register_request_handler(d, "/status", status_gen, n, RNS_DEST_ALLOW_LIST,
                                                 (const uint8_t(*)[16])n->acl, n->n_acl)) ||
        (ret = rns_dest_register_request_handler(d, "/path", path_gen, n, RNS_DEST_ALLOW_LIST,
                                                 (const uint8_t(*)[16])n->acl, n->n_acl)))
        goto fail;
    n->rm_on = 1;
    return 0;
fail:
    free(n->acl);
    n->acl = NULL;
    n->n_acl = 0;
    return ret;
}

int rns_node_remote_management(const rns_node *n, uint8_t hash[RNS_HASHLEN])
{
    if (!n || !n->rm_on)
        return 0;
    if (hash)
        memcpy(hash, n->rm, RNS_HASHLEN);
    return 1;
}

const uint8_t *rns_node_remote_management_allowed(const rns_node *n, size_t *count)
{
    *count = n && n->rm_on ? n->n_acl : 0;
    return n && n->rm_on && n->n_acl ? n->acl[0] : NULL;
}

int rns_node_probe_destination(const rns_node *n, uint8_t hash[RNS_HASHLEN])
{
    if (!n || !n->probes)
        return 0;
    if (hash)
        memcpy(hash, n->probe, RNS_HASHLEN);
    return 1;
}

int rns_node_new(rns_node **out, const rns_node_config *cfg)
{
    rns_transport_config tc = {rng, NULL, cfg ? cfg->log : NULL, cfg ? cfg->log_ctx : NULL};
    rns_node *n;
    int ret;

    *out = NULL;
    if (!(n = calloc(1, sizeof *n)))
        return ML_ENOMEM;
    if (cfg)
        n->cfg = *cfg;
    n->loop = n->cfg.loop;
    if (!n->loop) {
        if (uv_loop_init(&n->own_loop)) {
            free(n);
            return ML_EIO;
        }
        n->loop = &n->own_loop;
        n->owns_loop = 1;
    }
    uv_timer_init(n->loop, &n->timer);
    uv_timer_init(n->loop, &n->stop_timer);
    n->timer.data = n->stop_timer.data = n;
    n->open_handles = 2;
    if ((ret = rns_transport_new(&n->t, &tc)) || (ret = new_identity(&n->ident))) {
        rns_node_free(n);
        return ret;
    }
    *out = n;
    return 0;
}

void rns_node_free(rns_node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n_nifs; i++)
        nif_free(n->nifs[i]);
    for (size_t i = 0; i < n->n_servers; i++) {
        hbox_close(n->servers[i].h);
        free(n->servers[i].network_name);
        free(n->servers[i].passphrase);
    }
    uv_close((uv_handle_t *)&n->timer, on_node_timer_closed);
    uv_close((uv_handle_t *)&n->stop_timer, on_node_timer_closed);
    while (n->open_handles)
        uv_run(n->loop, UV_RUN_ONCE);
    if (n->owns_loop)
        uv_loop_close(n->loop);
    rns_transport_free(n->t);
    rns_identity_free(n->ident);
    free(n->acl);
    free(n);
}

rns_transport *rns_node_transport(rns_node *n)
{
    return n->t;
}

uv_loop_t *rns_node_loop(rns_node *n)
{
    return n->loop;
}

static void on_stop(uv_timer_t *h)
{
    rns_node *n = h->data;
    uv_stop(n->loop);
}

uint64_t rns_node_bitrate(const rns_node *n, int iface_id)
{
    if (!n)
        return 0;
    if (iface_id < 0)
        return n->n_servers ? n->servers[0].bitrate : 0;
    for (size_t i = 0; i < n->n_nifs; i++)
        if (n->nifs[i]->id == iface_id)
            return n->nifs[i]->bitrate;
    return 0;
}

int rns_node_set_max_reconnect_tries(rns_node *n, int iface_id, unsigned tries)
{
    for (size_t i = 0; i < n->n_nifs; i++)
        if (n->nifs[i]->id == iface_id && n->nifs[i]->retry) {
            n->nifs[i]->max_tries = tries;
            return 0;
        }
    return ML_ENOTFOUND;
}

int rns_node_set_rpc_key(rns_node *n, const uint8_t *key, size_t len)
{
    if (!n || len > RNS_NODE_RPC_KEY_MAX || (len && !key))
        return ML_EINVAL;
    if (len)
        memcpy(n->rpc_key, key, len);
    n->rpc_len = key ? len : 0;
    return 0;
}

size_t rns_node_rpc_key(const rns_node *n, uint8_t out[RNS_NODE_RPC_KEY_MAX])
{
    uint8_t priv[RNS_KEYSIZE];

    if (!n)
        return 0;
    if (n->rpc_len) {
        memcpy(out, n->rpc_key, n->rpc_len);
        return n->rpc_len;
    }
    /* the reference's default: full_hash(transport identity private key) */
    if (rns_identity_private_key(n->ident, priv))
        return 0;
    ml_sha256(out, priv, sizeof priv);
    ml_wipe(priv, sizeof priv);
    return 32;
}

static int set_sources(uint8_t (*dst)[RNS_HASHLEN], size_t *n_dst, const uint8_t *hashes,
                       size_t count)
{
    size_t k = 0;

    if (count && !hashes)
        return ML_EINVAL;
    for (size_t i = 0; i < count; i++) {
        const uint8_t *h = hashes + i * RNS_HASHLEN;
        size_t j;
        for (j = 0; j < k && memcmp(dst[j], h, RNS_HASHLEN); j++)
            ;
        if (j < k)
            continue;
        if (k == RNS_NODE_MAX_SOURCES) {
            *n_dst = 0;
            return ML_ETOOBIG;
        }
        memcpy(dst[k++], h, RNS_HASHLEN);
    }
    *n_dst = k;
    return 0;
}

int rns_node_set_blackhole_sources(rns_node *n, const uint8_t *hashes, size_t count)
{
    return n ? set_sources(n->bh_src, &n->n_bh_src, hashes, count) : ML_EINVAL;
}

const uint8_t *rns_node_blackhole_sources(const rns_node *n, size_t *count)
{
    *count = n ? n->n_bh_src : 0;
    return *count ? n->bh_src[0] : NULL;
}

int rns_node_set_interface_discovery_sources(rns_node *n, const uint8_t *hashes, size_t count)
{
    return n ? set_sources(n->disc_src, &n->n_disc_src, hashes, count) : ML_EINVAL;
}

const uint8_t *rns_node_interface_discovery_sources(const rns_node *n, size_t *count)
{
    *count = n ? n->n_disc_src : 0;
    return *count ? n->disc_src[0] : NULL;
}

void rns_node_set_panic_on_interface_error(rns_node *n, int on) { n->panic_on_error = on != 0; }
int rns_node_panic_on_interface_error(const rns_node *n) { return n->panic_on_error; }
int rns_node_panicked(const rns_node *n) { return n->panicked; }

int rns_node_run(rns_node *n, double seconds)
{
    if (n->panicked)
        return ML_ESTATE;
    service(n);
    if (seconds >= 0)
        uv_timer_start(&n->stop_timer, on_stop, (uint64_t)(seconds * 1000.0), 0);
    uv_run(n->loop, UV_RUN_DEFAULT);
    uv_timer_stop(&n->stop_timer);
    return n->panicked ? ML_ESTATE : 0;
}

void rns_node_stop(rns_node *n)
{
    uv_stop(n->loop);
}
