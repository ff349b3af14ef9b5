// SPDX-License-Identifier: MIT
// meshlog rns: an operator's probe for the Reticulum stack, in the spirit of
// rnprobe/rnstatus. `echo` serves a destination that echoes link data and
// /echo requests, `listen` prints announces as JSON lines, `link` opens a link
// to a destination, sends once and reports the round trip. All three share the
// interface flags (--tcp, --listen, --udp, --shared) and --identity, and run a
// rns_node (src/rns/iface/) on its own libuv loop.
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/rns_destination.h"
#include "meshlog/rns_msgpack.h"
#include "meshlog/rns_node.h"

#define MAX_IFS 8
#define MAX_ASPECT_NAMES 8
#define MAX_ASPECTS 8

/* ---- options shared by the subcommands ----------------------------------------------- */

typedef struct rns_opts {
    const char *tcp[MAX_IFS], *listen[MAX_IFS], *udp[MAX_IFS];
    size_t n_tcp, n_listen, n_udp;
    int shared;
    const char *shared_name;
    const char *identity_path;
    const char *network_name, *passphrase;
    const char *names[MAX_ASPECT_NAMES];     /* --aspects, dotted */
    size_t n_names;
    double announce_every, seconds, timeout, idle;
    const char *send, *request, *app_data;
    int verbose;
} rns_opts;

enum {
    O_TCP = 0x200, O_LISTEN, O_UDP, O_SHARED, O_IDENTITY, O_NETNAME, O_PASS, O_ASPECTS,
    O_EVERY, O_SECONDS, O_TIMEOUT, O_SEND, O_REQUEST, O_APPDATA, O_IDLE,
};

static const struct option g_longopts[] = {
    {"tcp", required_argument, NULL, O_TCP},
    {"listen", required_argument, NULL, O_LISTEN},
    {"udp", required_argument, NULL, O_UDP},
    {"shared", optional_argument, NULL, O_SHARED},
    {"identity", required_argument, NULL, O_IDENTITY},
    {"network-name", required_argument, NULL, O_NETNAME},
    {"passphrase", required_argument, NULL, O_PASS},
    {"aspects", required_argument, NULL, O_ASPECTS},
    {"announce-every", required_argument, NULL, O_EVERY},
    {"seconds", required_argument, NULL, O_SECONDS},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"send", required_argument, NULL, O_SEND},
    {"request", required_argument, NULL, O_REQUEST},
    {"app-data", required_argument, NULL, O_APPDATA},
    {"idle", required_argument, NULL, O_IDLE},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char g_common_help[] =
    "interfaces (any number; at least one):\n"
    "  --tcp HOST:PORT        TCP client interface (HDLC framed; reconnects by itself)\n"
    "  --listen HOST:PORT     TCP server interface (port 0: any free port, logged with -v)\n"
    "  --udp LISTEN:PORT,FORWARD:PORT\n"
    "                         UDP interface: receive on LISTEN, send to FORWARD\n"
    "  --shared [NAME]        attach to a local rnsd: abstract socket \\0rns/NAME (default\n"
    "                         'default'); NAME tcp or tcp:PORT uses 127.0.0.1:37428 or PORT\n"
    "                         (--shared=NAME works too)\n"
    "  --network-name NAME, --passphrase PASS\n"
    "                         IFAC on every interface (must match the peers')\n"
    "other:\n"
    "  --identity FILE        RNS identity (64-byte private key; created if missing);\n"
    "                         default: a fresh random identity\n"
    "  -v, --verbose          log what the stack does to stderr\n"
    "  -h, --help             this help\n";

typedef struct rns_sub {
    const char *name, *args, *summary, *help;
    int (*run)(rns_opts *o, int argc, char **argv);
} rns_sub;

static int run_echo(rns_opts *o, int argc, char **argv);
static int run_listen(rns_opts *o, int argc, char **argv);
static int run_link(rns_opts *o, int argc, char **argv);

static const rns_sub g_subs[] = {
    {"echo", "--aspects APP.ASPECT... [--announce-every S] [--app-data TEXT]",
     "serve an echo destination",
     "Prints the destination hash as the first line of stdout, announces it (on start,\n"
     "whenever an interface comes up, and every S seconds with --announce-every),\n"
     "accepts links, echoes every link packet back, proves every packet, and answers\n"
     "requests on path /echo with the request's data. Runs until interrupted.\n",
     run_echo},
    {"listen", "[--aspects APP.ASPECT...] [--seconds S]", "print announces as JSON lines",
     "One JSON line per announce heard: dest, identity, hops, app_data (hex or null),\n"
     "path_response, and aspects when the announce matches an --aspects name (the\n"
     "option may repeat). Each line is flushed. Runs until interrupted or S seconds.\n",
     run_listen},
    {"link", "DEST --send TEXT [--request PATH] [--timeout S] [--idle S]",
     "open a link, send, print the round trip",
     "Finds a path to DEST (32 hex digits; path requests until it is known), opens a\n"
     "link, sends TEXT as link data (or, with --request PATH, as a request on PATH,\n"
     "e.g. /echo), waits for the echo or the response, closes the link and prints one\n"
     "JSON line: rtt_ms, reply, proved (data only: the destination proved it), hops,\n"
     "link_id, mtu. --idle S keeps the established link idle for S seconds before\n"
     "sending (keepalives must hold it up). Exit status 0 only on success;\n"
     "1 with a message for no path, a refused link or a timeout (--timeout, default 30 s).\n",
     run_link},
};

#define N_SUBS (sizeof g_subs / sizeof g_subs[0])

static void rns_usage(FILE *f)
{
    fprintf(f, "usage: meshlog rns SUBCOMMAND [OPTIONS]\n\n"
               "A Reticulum probe that speaks RNS 1.x over TCP, UDP or a local rnsd.\n\n"
               "subcommands:\n");
    for (size_t i = 0; i < N_SUBS; i++)
        fprintf(f, "  %-8s %s\n", g_subs[i].name, g_subs[i].summary);
    fprintf(f, "\n'meshlog rns SUBCOMMAND --help' describes one.\n");
}

static void sub_usage(FILE *f, const rns_sub *s)
{
    fprintf(f, "usage: meshlog rns %s [INTERFACES] %s\n\n%s.\n\n%s\n%s", s->name, s->args,
            s->summary, s->help, g_common_help);
}

static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    return errno || end == s || *end || *out < 0 ? -1 : 0;
}

/* Takes one option into o; -1 on a bad value. */
static int take_opt(rns_opts *o, int opt, const char *arg)
{
    switch (opt) {
    case O_TCP:
        return o->n_tcp < MAX_IFS ? (o->tcp[o->n_tcp++] = arg, 0) : -1;
    case O_LISTEN:
        return o->n_listen < MAX_IFS ? (o->listen[o->n_listen++] = arg, 0) : -1;
    case O_UDP:
        return o->n_udp < MAX_IFS ? (o->udp[o->n_udp++] = arg, 0) : -1;
    case O_SHARED:
        o->shared = 1;
        o->shared_name = arg;
        return 0;
    case O_IDENTITY: o->identity_path = arg; return 0;
    case O_NETNAME: o->network_name = arg; return 0;
    case O_PASS: o->passphrase = arg; return 0;
    case O_ASPECTS:
        return o->n_names < MAX_ASPECT_NAMES ? (o->names[o->n_names++] = arg, 0) : -1;
    case O_EVERY: return parse_double(arg, &o->announce_every);
    case O_SECONDS: return parse_double(arg, &o->seconds);
    case O_TIMEOUT: return parse_double(arg, &o->timeout);
    case O_SEND: o->send = arg; return 0;
    case O_REQUEST: o->request = arg; return 0;
    case O_APPDATA: o->app_data = arg; return 0;
    case O_IDLE: return parse_double(arg, &o->idle);
    case 'v': o->verbose = 1; return 0;
    default: return -1;
    }
}

static int is_dest_hex(const char *s)
{
    uint8_t tmp[RNS_HASHLEN];
    return s && strlen(s) == 2 * RNS_HASHLEN && ml_unhex(tmp, RNS_HASHLEN, s, strlen(s)) == 0;
}

/* Parses argv after the subcommand name. Returns 0, or an exit status. */
static int parse_opts(const rns_sub *s, rns_opts *o, int argc, char **argv)
{
    int opt;

    /* GNU getopt permutes: link's DEST may come before or after the options */
    optind = 1;
    while ((opt = getopt_long(argc, argv, "hv", g_longopts, NULL)) != -1) {
        if (opt == 'h') {
            sub_usage(stdout, s);
            exit(0);
        }
        /* --shared NAME (separate word) is taken unless it looks like DEST */
        if (opt == O_SHARED && !optarg && optind < argc && argv[optind][0] != '-' &&
            !is_dest_hex(argv[optind]))
            optarg = argv[optind++];
        if (opt == '?' || take_opt(o, opt, optarg)) {
            if (opt != '?')
                fprintf(stderr, "meshlog rns %s: bad value for an option: %s\n", s->name,
                        optarg ? optarg : "");
            fputc('\n', stderr);
            sub_usage(stderr, s);
            return EXIT_USAGE;
        }
    }
    if (!o->n_tcp && !o->n_listen && !o->n_udp && !o->shared) {
        fprintf(stderr, "meshlog rns %s: no interface: give --tcp, --listen, --udp or --shared\n\n",
                s->name);
        sub_usage(stderr, s);
        return EXIT_USAGE;
    }
    return 0;
}

/* ---- the node: identity, interfaces, loop -------------------------------------------- */

typedef struct app {
    rns_opts *o;
    rns_node *node;
    rns_identity *id;
    uv_signal_t sigint, sigterm;
    uv_timer_t tick;
    int handles;
    int status;
    /* echo */
    uint8_t dest[RNS_HASHLEN];
    uint8_t echo_path[RNS_HASHLEN];
    double next_announce;
    /* listen */
    uint8_t name_hash[MAX_ASPECT_NAMES][RNS_NAME_HASHLEN];
    /* link */
    uint8_t target[RNS_HASHLEN], link_id[RNS_HASHLEN], req_id[RNS_HASHLEN];
    uint8_t sent_hash[RNS_FULL_HASHLEN];
    int state;                       /* link: 0 path, 1 linking, 2 waiting, 3 done */
    int proved;
    int ever_up;                     /* a client interface (TCP, shared) connected */
    json_t *reply;                   /* link: held until the data's proof comes */
    double start, last_pathreq, t_send, done_at, rtt_ms, reply_at, idle_until;
} app;

static void log_stderr(void *ctx, int level, const char *msg)
{
    static const char *names[] = {"error", "warn", "info", "debug"};
    (void)ctx;
    fprintf(stderr, "rns %s: %s\n", names[level & 3], msg);
}

static int load_identity(app *a)
{
    uint8_t priv[RNS_KEYSIZE];
    const char *path = a->o->identity_path;
    int rc;

    if (path && (rc = rns_identity_load(&a->id, path)) != ML_EIO)
        return rc ? cli_fail("cannot read identity %s: %s", path, ml_strerror(rc)) : 0;
    if (path && errno != ENOENT)
        return cli_fail("cannot read identity %s: %s", path, strerror(errno));
    if ((rc = ml_random(priv, sizeof priv)) == 0)
        rc = rns_identity_from_private(&a->id, priv);
    ml_wipe(priv, sizeof priv);
    if (rc)
        return cli_fail("cannot make an identity: %s", ml_strerror(rc));
    if (path && (rc = rns_identity_save(a->id, path)))
        return cli_fail("cannot write identity %s: %s", path, ml_strerror(rc));
    return 0;
}

/* "HOST:PORT" (HOST may be [v6]) into host and port. */
static int split_hostport(const char *s, char *host, size_t hsz, uint16_t *port)
{
    const char *colon = strrchr(s, ':');
    size_t hl;
    char *end;
    unsigned long p;

    if (!colon || colon == s)
        return -1;
    hl = (size_t)(colon - s);
    if (s[0] == '[' && hl >= 2 && s[hl - 1] == ']') {
        s++;
        hl -= 2;
    }
    if (hl >= hsz)
        return -1;
    memcpy(host, s, hl);
    host[hl] = 0;
    p = strtoul(colon + 1, &end, 10);
    if (*end || end == colon + 1 || p > 65535)
        return -1;
    *port = (uint16_t)p;
    return 0;
}

static int add_udp(app *a, const char *spec, const rns_iface_opts *io)
{
    char l[300], lh[256], fh[256];
    const char *comma = strchr(spec, ',');
    uint16_t lp, fp, bound = 0;
    int rc;

    if (!comma || (size_t)(comma - spec) >= sizeof l)
        return cli_fail("--udp wants LISTEN:PORT,FORWARD:PORT, not '%s'", spec);
    memcpy(l, spec, (size_t)(comma - spec));
    l[comma - spec] = 0;
    if (split_hostport(l, lh, sizeof lh, &lp) || split_hostport(comma + 1, fh, sizeof fh, &fp))
        return cli_fail("--udp wants LISTEN:PORT,FORWARD:PORT, not '%s'", spec);
    if ((rc = rns_node_add_udp(a->node, lh, lp, fh, fp, io, &bound, NULL)))
        return cli_fail("cannot open UDP interface %s: %s (port in use? -v shows why)", spec,
                        ml_strerror(rc));
    if (a->o->verbose)
        fprintf(stderr, "rns info: udp listening on port %u\n", (unsigned)bound);
    return 0;
}

static int add_shared(app *a, const rns_iface_opts *io)
{
    const char *name = a->o->shared_name;
    uint16_t port = 0;
    int rc;

    if (name && strcmp(name, "tcp") == 0)
        port = RNS_NODE_SHARED_PORT;
    else if (name && strncmp(name, "tcp:", 4) == 0)
        port = (uint16_t)strtoul(name + 4, NULL, 10);
    if (name && strncmp(name, "tcp", 3) == 0 && !port)
        return cli_fail("--shared tcp:PORT wants a port, not '%s'", name);
    if ((rc = rns_node_add_shared(a->node, port ? NULL : name, port, io, NULL)))
        return cli_fail("cannot attach to the shared instance: %s", ml_strerror(rc));
    return 0;
}

static int add_interfaces(app *a)
{
    rns_opts *o = a->o;
    rns_iface_opts io = {o->network_name, o->passphrase, 0, 0, 0, 0};
    char host[256];
    uint16_t port, bound;
    int rc;

    for (size_t i = 0; i < o->n_tcp; i++) {
        if (split_hostport(o->tcp[i], host, sizeof host, &port))
            return cli_fail("--tcp wants HOST:PORT, not '%s'", o->tcp[i]);
        if ((rc = rns_node_add_tcp_client(a->node, host, port, &io, NULL)))
            return cli_fail("cannot use TCP target %s: %s", o->tcp[i], ml_strerror(rc));
    }
    for (size_t i = 0; i < o->n_listen; i++) {
        if (split_hostport(o->listen[i], host, sizeof host, &port))
            return cli_fail("--listen wants HOST:PORT, not '%s'", o->listen[i]);
        if ((rc = rns_node_add_tcp_server(a->node, host, port, &io, &bound)))
            return cli_fail("cannot listen on %s: %s (port in use? -v shows why)",
                            o->listen[i], ml_strerror(rc));
        if (o->verbose)
            fprintf(stderr, "rns info: tcp listening on port %u\n", (unsigned)bound);
    }
    for (size_t i = 0; i < o->n_udp; i++)
        if (add_udp(a, o->udp[i], &io))
            return 1;
    return o->shared ? add_shared(a, &io) : 0;
}

static void on_signal(uv_signal_t *h, int sig)
{
    app *a = h->data;
    (void)sig;
    rns_node_stop(a->node);
}

static void on_handle_closed(uv_handle_t *h)
{
    app *a = h->data;
    a->handles--;
}

static int app_start(app *a, rns_node_event_fn on_event, rns_node_iface_fn on_iface)
{
    rns_node_config nc = {NULL, a->o->verbose ? log_stderr : NULL, NULL, on_event, on_iface, a};
    uv_loop_t *loop;
    int rc;

    if (load_identity(a))
        return 1;
    if ((rc = rns_node_new(&a->node, &nc)))
        return cli_fail("cannot start the Reticulum node: %s", ml_strerror(rc));
    loop = rns_node_loop(a->node);
    uv_signal_init(loop, &a->sigint);
    uv_signal_init(loop, &a->sigterm);
    uv_timer_init(loop, &a->tick);
    a->sigint.data = a->sigterm.data = a->tick.data = a;
    a->handles = 3;
    uv_signal_start(&a->sigint, on_signal, SIGINT);
    uv_signal_start(&a->sigterm, on_signal, SIGTERM);
    signal(SIGPIPE, SIG_IGN);
    a->start = rns_node_now();
    return 0;
}

static void app_stop(app *a)
{
    if (a->node && a->handles) {
        uv_close((uv_handle_t *)&a->sigint, on_handle_closed);
        uv_close((uv_handle_t *)&a->sigterm, on_handle_closed);
        uv_close((uv_handle_t *)&a->tick, on_handle_closed);
        while (a->handles)
            uv_run(rns_node_loop(a->node), UV_RUN_ONCE);
    }
    rns_node_free(a->node);
    rns_identity_free(a->id);
}

/* "app.aspect1.aspect2" into the app name and aspects (pointers into buf). */
static int split_name(const char *dotted, char *buf, size_t bsz, const char **app_name,
                      const char **aspects, size_t *n)
{
    char *p;

    if (strlen(dotted) >= bsz)
        return -1;
    strcpy(buf, dotted);
    *app_name = buf;
    *n = 0;
    for (p = strchr(buf, '.'); p; p = strchr(p + 1, '.')) {
        if (*n >= MAX_ASPECTS)
            return -1;
        *p = 0;
        aspects[(*n)++] = p + 1;
    }
    return 0;
}

static int name_hash_of(const char *dotted, uint8_t out[RNS_NAME_HASHLEN])
{
    char buf[512];
    const char *app_name, *aspects[MAX_ASPECTS];
    size_t n;

    if (split_name(dotted, buf, sizeof buf, &app_name, aspects, &n))
        return ML_EINVAL;
    return rns_name_hash(out, app_name, aspects, n);
}

static void print_json(json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
    if (s) {
        fputs(s, stdout);
        fputc('\n', stdout);
        fflush(stdout);
        free(s);
    }
    json_decref(o);
}

static json_t *json_hex(const uint8_t *p, size_t n)
{
    char *h = malloc(2 * n + 1);
    json_t *j;

    if (!h)
        return json_null();
    ml_hex(h, p, n);
    j = json_string(h);
    free(h);
    return j;
}

/* ---- echo ------------------------------------------------------------------------------- */

static void echo_announce(app *a)
{
    rns_transport_announce(rns_node_transport(a->node), a->dest, rns_node_now());
    rns_node_kick(a->node);
}

static void echo_link_event(app *a, const rns_tev *ev)
{
    rns_link *l = rns_transport_link(rns_node_transport(a->node), ev->link_id);
    const rns_link_event *le = &ev->link_ev;
    double now = rns_node_now();
    char id[33];

    ml_hex(id, ev->link_id, RNS_HASHLEN);
    if (le->type == RNS_LINK_EV_ESTABLISHED || le->type == RNS_LINK_EV_CLOSED)
        fprintf(stderr, "link %s %s\n", id,
                le->type == RNS_LINK_EV_CLOSED ? "closed" : "established");
    if (!l)
        return;
    if (le->type == RNS_LINK_EV_DATA)
        rns_link_send(l, RNS_CTX_NONE, le->data.p, le->data.len, now, NULL);
    else if (le->type == RNS_LINK_EV_REQUEST &&
             memcmp(le->path_hash, a->echo_path, RNS_HASHLEN) == 0)
        rns_link_respond(l, le->id, le->data.p, le->data.len, now);
}

static void echo_on_event(void *ctx, rns_node *n, const rns_tev *ev)
{
    app *a = ctx;
    (void)n;
    if (ev->type == RNS_TEV_LINK)
        echo_link_event(a, ev);
}

static void echo_on_iface(void *ctx, rns_node *n, int iface_id, int up)
{
    app *a = ctx;
    (void)n;
    (void)iface_id;
    if (up)
        echo_announce(a);
}

static void echo_tick(uv_timer_t *h)
{
    app *a = h->data;
    echo_announce(a);
}

static int echo_register(app *a)
{
    char buf[512], hex[33];
    const char *app_name, *aspects[MAX_ASPECTS];
    size_t n;
    const char *ad = a->o->app_data;
    rns_dest_params dp;
    uint8_t full[32];
    int rc;

    if (!a->o->n_names || split_name(a->o->names[0], buf, sizeof buf, &app_name, aspects, &n))
        return cli_fail("echo needs --aspects APP.ASPECT (e.g. meshlog.echo)");
    memset(&dp, 0, sizeof dp);
    dp.identity = a->id;
    dp.app_name = app_name;
    dp.aspects = aspects;
    dp.n_aspects = n;
    dp.proof = RNS_PROVE_ALL;
    dp.accept_links = 1;
    dp.app_data = (const uint8_t *)ad;
    dp.app_data_len = ad ? strlen(ad) : 0;
    if ((rc = rns_transport_register(rns_node_transport(a->node), &dp, a->dest)))
        return cli_fail("cannot serve %s: %s", a->o->names[0], ml_strerror(rc));
    ml_sha256(full, "/echo", 5);
    memcpy(a->echo_path, full, RNS_HASHLEN);
    ml_hex(hex, a->dest, RNS_HASHLEN);
    printf("%s\n", hex);
    fflush(stdout);
    return 0;
}

static int run_echo(rns_opts *o, int argc, char **argv)
{
    app a;
    int ret = 1;

    (void)argc;
    (void)argv;
    memset(&a, 0, sizeof a);
    a.o = o;
    if (app_start(&a, echo_on_event, echo_on_iface) || add_interfaces(&a) || echo_register(&a))
        goto out;
    echo_announce(&a);
    if (o->announce_every > 0) {
        uint64_t ms = (uint64_t)(o->announce_every * 1000.0);
        uv_timer_start(&a.tick, echo_tick, ms, ms);
    }
    rns_node_run(a.node, -1);
    ret = 0;
out:
    app_stop(&a);
    return ret;
}

/* ---- listen ------------------------------------------------------------------------------ */

static void listen_on_event(void *ctx, rns_node *n, const rns_tev *ev)
{
    app *a = ctx;
    json_t *o;
    (void)n;

    if (ev->type != RNS_TEV_ANNOUNCE)
        return;
    o = json_object();
    json_object_set_new(o, "dest", json_hex(ev->dest, RNS_HASHLEN));
    json_object_set_new(o, "identity", json_hex(ev->identity_hash, RNS_HASHLEN));
    json_object_set_new(o, "hops", json_integer(ev->hops));
    json_object_set_new(o, "app_data", ev->has_app_data ? json_hex(ev->data.p, ev->data.len)
                                                        : json_null());
    json_object_set_new(o, "name_hash", json_hex(ev->name_hash, RNS_NAME_HASHLEN));
    json_object_set_new(o, "path_response", json_boolean(ev->path_response));
    for (size_t i = 0; i < a->o->n_names; i++)
        if (memcmp(a->name_hash[i], ev->name_hash, RNS_NAME_HASHLEN) == 0) {
            json_object_set_new(o, "aspects", json_string(a->o->names[i]));
            break;
        }
    print_json(o);
}

static int run_listen(rns_opts *o, int argc, char **argv)
{
    app a;
    int ret = 1;

    (void)argc;
    (void)argv;
    memset(&a, 0, sizeof a);
    a.o = o;
    for (size_t i = 0; i < o->n_names; i++)
        if (name_hash_of(o->names[i], a.name_hash[i]))
            return cli_fail("--aspects wants APP.ASPECT..., not '%s'", o->names[i]);
    if (app_start(&a, listen_on_event, NULL) || add_interfaces(&a))
        goto out;
    rns_node_run(a.node, o->seconds > 0 ? o->seconds : -1);
    ret = 0;
out:
    app_stop(&a);
    return ret;
}

/* ---- link -------------------------------------------------------------------------------- */

enum { L_PATH, L_LINKING, L_IDLE, L_WAITING, L_PROOF, L_DONE };
#define PROOF_GRACE 1.0   /* seconds to wait for the proof once the echo is in */

static void link_finish(app *a, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void link_finish(app *a, int status, const char *fmt, ...)
{
    rns_link *l = rns_transport_link(rns_node_transport(a->node), a->link_id);
    va_list ap;

    if (a->state == L_DONE)
        return;
    json_decref(a->reply);
    a->reply = NULL;
    a->state = L_DONE;
    a->status = status;
    if (fmt) {
        fputs("meshlog: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    }
    if (l && rns_link_state(l) != RNS_LINK_CLOSED && rns_link_state(l) != RNS_LINK_PENDING)
        rns_link_close(l, rns_node_now());
    rns_node_kick(a->node);
    a->done_at = rns_node_now();   /* the tick stops the loop once LINKCLOSE is out */
}

static void link_send(app *a, rns_link *l)
{
    ml_buf mp = ML_BUF_INIT;
    double now = rns_node_now();
    const char *text = a->o->send;
    int rc;

    a->t_send = now;
    if (a->o->request) {
        rc = rns_mp_put_str(&mp, text, strlen(text));
        if (rc == 0)
            rc = rns_link_request(l, a->o->request, mp.p, mp.len, now, a->req_id);
    } else {
        rc = rns_link_send(l, RNS_CTX_NONE, (const uint8_t *)text, strlen(text), now,
                           a->sent_hash);
    }
    ml_buf_free(&mp);
    if (rc)
        link_finish(a, 1, "cannot send on the link: %s", ml_strerror(rc));
    else
        a->state = L_WAITING;
}

/* The reply as JSON: text when it is UTF-8, else hex. */
static json_t *reply_json(const uint8_t *p, size_t n)
{
    json_t *j = json_stringn((const char *)p, n);
    return j ? j : json_hex(p, n);
}

/* A response is one msgpack value: strings and bytes print as text. */
static json_t *response_json(const uint8_t *p, size_t n)
{
    rns_mp_reader r;
    const char *s;
    const uint8_t *b;
    size_t len;

    rns_mp_reader_init(&r, p, n);
    if (rns_mp_get_str(&r, &s, &len) == 0)
        return reply_json((const uint8_t *)s, len);
    rns_mp_reader_init(&r, p, n);
    if (rns_mp_get_bin(&r, &b, &len) == 0)
        return reply_json(b, len);
    return json_hex(p, n);
}

/* Prints the result line. The reference sends the echo and the proof from
 * different threads, so the proof may trail the echo: link_got_reply waits
 * up to PROOF_GRACE for it. Requests have no proof: the response is one. */
static void link_emit(app *a)
{
    rns_link *l = rns_transport_link(rns_node_transport(a->node), a->link_id);
    unsigned hops = 0;
    json_t *o = json_object();

    rns_transport_has_path(rns_node_transport(a->node), a->target, rns_node_now(), &hops);
    json_object_set_new(o, "rtt_ms", json_real(a->rtt_ms));
    json_object_set_new(o, "reply", a->reply);
    a->reply = NULL;
    if (!a->o->request)
        json_object_set_new(o, "proved", json_boolean(a->proved));
    json_object_set_new(o, "hops", json_integer(hops));
    json_object_set_new(o, "link_id", json_hex(a->link_id, RNS_HASHLEN));
    if (l)
        json_object_set_new(o, "mtu", json_integer(rns_link_mtu(l)));
    print_json(o);
    link_finish(a, 0, NULL);
}

static void link_got_reply(app *a, json_t *reply)
{
    a->reply_at = rns_node_now();
    a->rtt_ms = (a->reply_at - a->t_send) * 1000.0;
    a->reply = reply;
    a->state = L_PROOF;
    if (a->o->request || a->proved)
        link_emit(a);
}

static void link_event(app *a, const rns_tev *ev)
{
    const rns_link_event *le = &ev->link_ev;
    rns_link *l = rns_transport_link(rns_node_transport(a->node), a->link_id);
    char hex[33];

    ml_hex(hex, a->target, RNS_HASHLEN);
    if (memcmp(ev->link_id, a->link_id, RNS_HASHLEN) || a->state == L_DONE)
        return;
    if (le->type == RNS_LINK_EV_PROOF && !memcmp(le->id, a->sent_hash, RNS_FULL_HASHLEN)) {
        a->proved = 1;
        if (a->state == L_PROOF)
            link_emit(a);
    } else if (le->type == RNS_LINK_EV_ESTABLISHED && l && a->o->idle > 0) {
        a->state = L_IDLE;
        a->idle_until = rns_node_now() + a->o->idle;
    } else if (le->type == RNS_LINK_EV_ESTABLISHED && l)
        link_send(a, l);
    else if (le->type == RNS_LINK_EV_DATA && a->state == L_WAITING && !a->o->request)
        link_got_reply(a, reply_json(le->data.p, le->data.len));
    else if (le->type == RNS_LINK_EV_RESPONSE && a->state == L_WAITING &&
             !memcmp(le->id, a->req_id, RNS_HASHLEN))
        link_got_reply(a, response_json(le->data.p, le->data.len));
    else if (le->type == RNS_LINK_EV_CLOSED && a->state == L_PROOF)
        link_emit(a);
    else if (le->type == RNS_LINK_EV_CLOSED)
        link_finish(a, 1, a->state == L_LINKING
                              ? (le->reason == RNS_LINK_CLOSE_TIMEOUT
                                     ? "link to %s not established: no proof from the "
                                       "destination in time (refused, or unreachable)"
                                     : "link to %s refused: the destination closed it")
                              : "link to %s closed before the reply came",
                    hex);
}

static void link_on_event(void *ctx, rns_node *n, const rns_tev *ev)
{
    app *a = ctx;
    (void)n;
    if (ev->type == RNS_TEV_LINK)
        link_event(a, ev);
}

static void link_request_path(app *a)
{
    a->last_pathreq = rns_node_now();
    rns_transport_request_path(rns_node_transport(a->node), a->target, a->last_pathreq);
    rns_node_kick(a->node);
}

static void link_on_iface(void *ctx, rns_node *n, int iface_id, int up)
{
    app *a = ctx;
    (void)n;
    (void)iface_id;
    a->ever_up |= up;
    if (up && a->state == L_PATH)
        link_request_path(a);
}

static void link_try_open(app *a, double now)
{
    rns_transport *t = rns_node_transport(a->node);
    int rc;

    if (!rns_transport_has_path(t, a->target, now, NULL)) {
        if (now - a->last_pathreq >= 5.0)
            link_request_path(a);
        return;
    }
    if ((rc = rns_transport_link_open(t, a->target, now, a->link_id))) {
        link_finish(a, 1, "cannot open a link: %s", ml_strerror(rc));
        return;
    }
    a->state = L_LINKING;
    rns_node_kick(a->node);
}

static void link_idle_over(app *a)
{
    rns_link *l = rns_transport_link(rns_node_transport(a->node), a->link_id);

    if (!l || rns_link_state(l) != RNS_LINK_ACTIVE) {
        link_finish(a, 1, "the link did not stay up while idle (state %d)",
                    l ? (int)rns_link_state(l) : -1);
        return;
    }
    link_send(a, l);
    rns_node_kick(a->node);
}

static void link_tick(uv_timer_t *h)
{
    app *a = h->data;
    double now = rns_node_now();
    char hex[33];

    if (a->state == L_DONE) {
        if (now - a->done_at > 0.3)
            rns_node_stop(a->node);
        return;
    }
    ml_hex(hex, a->target, RNS_HASHLEN);
    if (now - a->start > a->o->timeout + a->o->idle && a->state == L_PATH && !a->ever_up &&
        !a->o->n_udp && !a->o->n_listen) {
        link_finish(a, 1, "no interface came up in %.0f s: nothing answered at the --tcp "
                          "target or shared instance (is rnsd running? right port?)",
                    a->o->timeout);
        return;
    }
    if (now - a->start > a->o->timeout + a->o->idle) {
        link_finish(a, 1, a->state == L_PATH ? "no path to %s after %.0f s (is it announcing, "
                                               "and is an interface connected?)"
                          : a->state == L_LINKING ? "timed out opening a link to %s (%.0f s)"
                                                  : "timed out waiting for the reply from "
                                                    "%s (%.0f s)",
                    hex, a->o->timeout);
        return;
    }
    if (a->state == L_PATH)
        link_try_open(a, now);
    else if (a->state == L_IDLE && now >= a->idle_until)
        link_idle_over(a);
    else if (a->state == L_PROOF && now - a->reply_at >= PROOF_GRACE)
        link_emit(a);
}

static int run_link(rns_opts *o, int argc, char **argv)
{
    app a;
    int ret = 1;

    memset(&a, 0, sizeof a);
    a.o = o;
    if (optind != argc - 1 || !is_dest_hex(argv[optind]))
        return cli_fail("link wants one DEST (32 hex digits) before or after the options; "
                        "see 'meshlog rns link --help'"),
               EXIT_USAGE;
    if (!o->send)
        return cli_fail("link needs --send TEXT"), EXIT_USAGE;
    if (o->timeout <= 0)
        o->timeout = 30.0;
    ml_unhex(a.target, RNS_HASHLEN, argv[optind], 2 * RNS_HASHLEN);
    if (app_start(&a, link_on_event, link_on_iface) || add_interfaces(&a))
        goto out;
    a.status = 1;
    a.last_pathreq = a.start - 10.0;
    uv_timer_start(&a.tick, link_tick, 100, 100);
    link_try_open(&a, rns_node_now());
    rns_node_run(a.node, -1);
    ret = a.state == L_DONE ? a.status : 1;
    if (a.state != L_DONE)
        fprintf(stderr, "meshlog: interrupted\n");
out:
    app_stop(&a);
    return ret;
}

/* ---- entry --------------------------------------------------------------------------------- */

int cmd_rns(int argc, char **argv)
{
    rns_opts o;
    int rc;

    memset(&o, 0, sizeof o);
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        rns_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    for (size_t i = 0; i < N_SUBS; i++) {
        if (strcmp(argv[1], g_subs[i].name))
            continue;
        if ((rc = parse_opts(&g_subs[i], &o, argc - 1, argv + 1)))
            return rc;
        return g_subs[i].run(&o, argc - 1, argv + 1);
    }
    fprintf(stderr, "meshlog rns: unknown subcommand '%s'\n\n", argv[1]);
    rns_usage(stderr);
    return EXIT_USAGE;
}
