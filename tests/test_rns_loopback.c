// SPDX-License-Identifier: MIT
// Two C nodes (rns_node on one libuv loop) over real loopback sockets: TCP
// server/client and UDP. Announces both ways, paths, links opened from either
// side, data with proofs, request/response on /echo, keepalive over an idle
// link, teardown, a link that survives a reconnect of the TCP client
// interface, IFAC (matching and not), and garbage on the wire. Ports are
// ephemeral (bind 0 and read back; UDP picks random high ports and retries).
#include "rns_testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "meshlog/rns_framing.h"

#include "meshlog/crypto.h"
#include "meshlog/rns_msgpack.h"
#include "meshlog/rns_node.h"

#define MAX_SEEN 16

typedef struct peer {
    rns_node *node;
    rns_identity *id;
    uint8_t dest[RNS_HASHLEN];
    uint8_t echo_path[RNS_HASHLEN];
    uint8_t seen[MAX_SEEN][RNS_HASHLEN];
    size_t n_seen;
    uint8_t link_id[RNS_HASHLEN];   /* last link established (either role) */
    int established, closed, data, proofs, responses, iface_ups;
    ml_buf last;                    /* last data or response */
} peer;

static uv_loop_t g_loop;

static void on_event(void *ctx, rns_node *n, const rns_tev *ev)
{
    peer *p = ctx;
    const rns_link_event *le = &ev->link_ev;
    rns_link *l;
    (void)n;

    if (ev->type == RNS_TEV_ANNOUNCE && p->n_seen < MAX_SEEN)
        memcpy(p->seen[p->n_seen++], ev->dest, RNS_HASHLEN);
    if (ev->type != RNS_TEV_LINK)
        return;
    l = rns_transport_link(rns_node_transport(p->node), ev->link_id);
    switch (le->type) {
    case RNS_LINK_EV_ESTABLISHED:
        memcpy(p->link_id, ev->link_id, RNS_HASHLEN);
        p->established++;
        break;
    case RNS_LINK_EV_DATA:
        p->data++;
        ml_buf_reset(&p->last);
        ml_buf_append(&p->last, le->data.p, le->data.len);
        if (!ev->initiator && l)   /* the responder echoes */
            rns_link_send(l, RNS_CTX_NONE, le->data.p, le->data.len, rns_node_now(), NULL);
        break;
    case RNS_LINK_EV_REQUEST:
        if (l && !memcmp(le->path_hash, p->echo_path, RNS_HASHLEN))
            rns_link_respond(l, le->id, le->data.p, le->data.len, rns_node_now());
        break;
    case RNS_LINK_EV_RESPONSE:
        p->responses++;
        ml_buf_reset(&p->last);
        ml_buf_append(&p->last, le->data.p, le->data.len);
        break;
    case RNS_LINK_EV_PROOF:
        p->proofs++;
        break;
    case RNS_LINK_EV_CLOSED:
        p->closed++;
        break;
    default:
        break;
    }
}

static void on_iface(void *ctx, rns_node *n, int iface_id, int up)
{
    peer *p = ctx;
    (void)iface_id;
    if (up) {
        p->iface_ups++;
        rns_transport_announce(rns_node_transport(n), p->dest, rns_node_now());
    }
}

static void peer_init(peer *p)
{
    static const char *const aspects[] = {"loop"};
    rns_node_config nc = {&g_loop, NULL, NULL, on_event, on_iface, p};
    uint8_t priv[64], full[32];
    rns_dest_params dp;

    memset(p, 0, sizeof *p);
    assert_int_equal(rns_node_new(&p->node, &nc), 0);
    assert_int_equal(ml_random(priv, sizeof priv), 0);
    assert_int_equal(rns_identity_from_private(&p->id, priv), 0);
    memset(&dp, 0, sizeof dp);
    dp.identity = p->id;
    dp.app_name = "meshlogtest";
    dp.aspects = aspects;
    dp.n_aspects = 1;
    dp.proof = RNS_PROVE_ALL;
    dp.accept_links = 1;
    assert_int_equal(rns_transport_register(rns_node_transport(p->node), &dp, p->dest), 0);
    ml_sha256(full, "/echo", 5);
    memcpy(p->echo_path, full, RNS_HASHLEN);
}

static void peer_free(peer *p)
{
    rns_node_free(p->node);
    rns_identity_free(p->id);
    ml_buf_free(&p->last);
}

static void on_wake(uv_timer_t *h)
{
    (void)h;
}

typedef int (*pred_fn)(peer *a, peer *b);

/* Runs the loop until pred holds or `secs` pass; returns pred's value. */
static int run_until(peer *a, peer *b, pred_fn pred, double secs)
{
    double end = rns_node_now() + secs;
    uv_timer_t wake;
    int ok;

    uv_timer_init(&g_loop, &wake);
    uv_timer_start(&wake, on_wake, 10, 10);
    while (!(ok = pred(a, b)) && rns_node_now() < end)
        uv_run(&g_loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&wake, NULL);
    uv_run(&g_loop, UV_RUN_NOWAIT);
    return ok;
}

static int saw(const peer *p, const uint8_t *dest)
{
    for (size_t i = 0; i < p->n_seen; i++)
        if (!memcmp(p->seen[i], dest, RNS_HASHLEN))
            return 1;
    return 0;
}

static int both_announced(peer *a, peer *b) { return saw(a, b->dest) && saw(b, a->dest); }
static int both_established(peer *a, peer *b) { return a->established && b->established; }
static int a_has_reply(peer *a, peer *b) { (void)b; return a->data > 0 && a->proofs > 0; }
static int a_has_response(peer *a, peer *b) { (void)b; return a->responses > 0; }
static int both_closed(peer *a, peer *b) { return a->closed && b->closed; }
static int never(peer *a, peer *b) { (void)a; (void)b; return 0; }
static int a_up_twice(peer *a, peer *b) { (void)b; return a->iface_ups >= 2; }
static int b_has_path_to_a(peer *a, peer *b)
{
    return rns_transport_has_path(rns_node_transport(b->node), a->dest, rns_node_now(), NULL);
}

static void kick_both(peer *a, peer *b)
{
    rns_node_kick(a->node);
    rns_node_kick(b->node);
}

/* ini opens a link to resp, sends data (echoed, proved), a request; returns the link. */
static rns_link *session(peer *ini, peer *resp)
{
    uint8_t id[RNS_HASHLEN];
    ml_buf mp = ML_BUF_INIT;
    rns_link *l;

    ini->established = resp->established = ini->data = ini->proofs = ini->responses = 0;
    assert_int_equal(rns_transport_link_open(rns_node_transport(ini->node), resp->dest,
                                             rns_node_now(), id), 0);
    kick_both(ini, resp);
    assert_true(run_until(ini, resp, both_established, 10));
    assert_memory_equal(ini->link_id, id, RNS_HASHLEN);
    assert_memory_equal(resp->link_id, id, RNS_HASHLEN);
    l = rns_transport_link(rns_node_transport(ini->node), id);
    assert_int_equal(rns_link_send(l, RNS_CTX_NONE, (const uint8_t *)"over the wire", 13,
                                   rns_node_now(), NULL), 0);
    kick_both(ini, resp);
    assert_true(run_until(ini, resp, a_has_reply, 10));
    assert_int_equal(ini->last.len, 13);
    assert_memory_equal(ini->last.p, "over the wire", 13);
    assert_int_equal(rns_mp_put_cstr(&mp, "req"), 0);
    assert_int_equal(rns_link_request(l, "/echo", mp.p, mp.len, rns_node_now(), NULL), 0);
    kick_both(ini, resp);
    assert_true(run_until(ini, resp, a_has_response, 10));
    assert_memory_equal(ini->last.p, mp.p, mp.len);
    ml_buf_free(&mp);
    return l;
}

static void close_link(peer *ini, peer *resp, rns_link *l)
{
    ini->closed = resp->closed = 0;
    assert_int_equal(rns_link_close(l, rns_node_now()), 0);
    kick_both(ini, resp);
    assert_true(run_until(ini, resp, both_closed, 10));
}

static void test_tcp(void **state)
{
    peer a, b;
    uint16_t port = 0;
    int ifc = -1;
    rns_link *l;
    (void)state;
    peer_init(&a);
    peer_init(&b);
    assert_int_equal(rns_node_add_tcp_server(a.node, "127.0.0.1", 0, NULL, &port), 0);
    assert_true(port > 0);
    rns_iface_opts o = {NULL, NULL, 0, 0.5, 0, 0};
    assert_int_equal(rns_node_add_tcp_client(b.node, "127.0.0.1", port, &o, &ifc), 0);
    /* both announce when an interface comes up: paths both ways */
    assert_true(run_until(&a, &b, both_announced, 10));
    /* links from either side, with data, proofs and request/response */
    l = session(&b, &a);
    close_link(&b, &a, l);
    l = session(&a, &b);
    close_link(&a, &b, l);
    /* the TCP client reconnects by itself and the link lives on */
    l = session(&b, &a);
    uint8_t id[RNS_HASHLEN];
    memcpy(id, rns_link_id(l), RNS_HASHLEN);
    assert_int_equal(rns_node_disconnect(b.node, ifc), 0);
    assert_false(rns_node_iface_up(b.node, ifc));
    assert_true(run_until(&b, &a, a_up_twice, 10));
    assert_true(rns_node_iface_up(b.node, ifc));
    l = rns_transport_link(rns_node_transport(b.node), id);
    assert_non_null(l);
    b.data = b.proofs = 0;
    assert_int_equal(rns_link_send(l, RNS_CTX_NONE, (const uint8_t *)"after", 5,
                                   rns_node_now(), NULL), 0);
    kick_both(&a, &b);
    assert_true(run_until(&b, &a, a_has_reply, 10));
    assert_memory_equal(b.last.p, "after", 5);
    /* keepalive: idle past stale_time, the link stays up because pings and
     * pongs flow. A ping every 0.5 s against a 5 s stale limit (the defaults
     * are 5 s and 10 s): only 4.5 s without any answer, a stalled machine,
     * could fail it, and the idle is 6 s rather than 11.5. */
    rns_link *lb = rns_transport_link(rns_node_transport(b.node), id);
    rns_link *la = rns_transport_link(rns_node_transport(a.node), id);
    rns_link_timers tb, ta;
    double idle = rns_node_now();
    assert_non_null(la);
    assert_int_equal(rns_link_set_watchdog(lb, 0.5, 5.0), 0);
    assert_int_equal(rns_link_set_watchdog(la, 0.5, 5.0), 0);
    a.closed = b.closed = 0;
    kick_both(&a, &b);   /* re-arms the nodes' timers for the new periods */
    run_until(&a, &b, never, 6.0);
    assert_int_equal(rns_link_state(lb), RNS_LINK_ACTIVE);
    assert_int_equal(rns_link_state(la), RNS_LINK_ACTIVE);
    assert_int_equal(a.closed + b.closed, 0);
    rns_link_get_timers(lb, &tb);
    rns_link_get_timers(la, &ta);
    assert_true(tb.last_keepalive > idle && ta.last_keepalive > idle);   /* ping and pong */
    close_link(&b, &a, rns_transport_link(rns_node_transport(b.node), id));
    peer_free(&a);
    peer_free(&b);
}

static void test_udp(void **state)
{
    peer a, b;
    uint64_t rs = tu_seed();
    uint16_t pa = 0, pb = 0;
    rns_link *l;
    int ok = 0;
    (void)state;
    peer_init(&a);
    peer_init(&b);
    for (int tries = 0; tries < 20 && !ok; tries++) {
        pa = (uint16_t)(20000 + tu_rand_below(&rs, 40000));
        pb = (uint16_t)(pa + 1);
        if (rns_node_add_udp(a.node, "127.0.0.1", pa, "127.0.0.1", pb, NULL, NULL, NULL))
            continue;
        ok = rns_node_add_udp(b.node, "127.0.0.1", pb, "127.0.0.1", pa, NULL, NULL, NULL) == 0;
    }
    assert_true(ok);
    /* a port already taken is an error, and the failed interface is gone */
    assert_int_equal(rns_node_add_udp(a.node, "127.0.0.1", pb, "127.0.0.1", pa, NULL, NULL, NULL),
                     ML_EIO);
    rns_transport_announce(rns_node_transport(a.node), a.dest, rns_node_now());
    rns_transport_announce(rns_node_transport(b.node), b.dest, rns_node_now());
    kick_both(&a, &b);
    assert_true(run_until(&a, &b, both_announced, 10));
    l = session(&b, &a);
    assert_int_equal(rns_link_mtu(l), 500);
    close_link(&b, &a, l);
    l = session(&a, &b);
    close_link(&a, &b, l);
    peer_free(&a);
    peer_free(&b);
}

/* Writes random bytes and random HDLC frames to a TCP port, then hangs up. */
static void send_garbage(uint16_t port)
{
    struct sockaddr_in sa;
    uint8_t junk[700];
    ml_buf f = ML_BUF_INIT;
    uint64_t rs = 7;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    for (int i = 0; i < 200; i++) {
        size_t n = (size_t)tu_rand_below(&rs, sizeof junk);
        for (size_t k = 0; k < n; k++)
            junk[k] = (uint8_t)(tu_rand(&rs) >> 56);
        ml_buf_reset(&f);
        if (i & 1)
            assert_int_equal(rns_framing_encode(&f, RNS_FRAMING_HDLC, junk, n ? n : 1), 0);
        else
            ml_buf_append(&f, junk, n);
        assert_true(write(fd, f.p, f.len) == (ssize_t)f.len);
    }
    ml_buf_free(&f);
    close(fd);
}

static void test_ifac_and_garbage(void **state)
{
    peer a, b, c;
    uint16_t port = 0;
    rns_iface_opts oa = {"meshnet", "secret", 0, 0.5, 0, 0};
    rns_iface_opts oc = {"meshnet", "wrong", 0, 0.5, 0, 0};
    (void)state;
    peer_init(&a);
    peer_init(&b);
    peer_init(&c);
    assert_int_equal(rns_node_add_tcp_server(a.node, "127.0.0.1", 0, &oa, &port), 0);
    assert_int_equal(rns_node_add_tcp_client(b.node, "127.0.0.1", port, &oa, NULL), 0);
    assert_int_equal(rns_node_add_tcp_client(c.node, "127.0.0.1", port, &oc, NULL), 0);
    assert_true(run_until(&a, &b, both_announced, 10));
    /* c has the wrong passphrase: it hears nothing, and nothing of it is heard */
    run_until(&a, &c, never, 1.0);
    assert_false(saw(&c, a.dest));
    assert_false(saw(&a, c.dest));
    /* garbage on the wire changes nothing; then a link through IFAC */
    send_garbage(port);
    run_until(&a, &b, never, 0.5);
    rns_link *l = session(&b, &a);
    close_link(&b, &a, l);
    assert_true(rns_transport_get_stats(rns_node_transport(a.node)).dropped_ifac > 0);
    assert_true(b_has_path_to_a(&a, &b));
    peer_free(&c);
    peer_free(&a);
    peer_free(&b);
}

/* More clients than interfaces: the extra ones are hung up on, and once the
 * crowd leaves a real client gets in and links. */
static void test_many_clients(void **state)
{
    peer a, b;
    uint16_t port = 0;
    int fds[RNS_TRANSPORT_MAX_IFACES + 8];
    struct sockaddr_in sa;
    (void)state;
    peer_init(&a);
    peer_init(&b);
    assert_int_equal(rns_node_add_tcp_server(a.node, "127.0.0.1", 0, NULL, &port), 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
        /* non-blocking: the backlog fills while the loop is not running */
        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        assert_true(fds[i] >= 0);
        assert_true(connect(fds[i], (struct sockaddr *)&sa, sizeof sa) == 0 ||
                    errno == EINPROGRESS);
        if (i % 8 == 7)
            run_until(&a, &b, never, 0.05);
    }
    run_until(&a, &b, never, 0.5);
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        close(fds[i]);
    run_until(&a, &b, never, 0.5);
    assert_int_equal(rns_node_add_tcp_client(b.node, "127.0.0.1", port, NULL, NULL), 0);
    assert_true(run_until(&a, &b, both_announced, 10));
    rns_link *l = session(&b, &a);
    close_link(&b, &a, l);
    peer_free(&a);
    peer_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp),
        cmocka_unit_test(test_udp),
        cmocka_unit_test(test_ifac_and_garbage),
        cmocka_unit_test(test_many_clients),
    };
    int rc;
    assert_int_equal(uv_loop_init(&g_loop), 0);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    uv_run(&g_loop, UV_RUN_NOWAIT);
    uv_loop_close(&g_loop);
    return rc;
}
