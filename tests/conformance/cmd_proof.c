// SPDX-License-Identifier: MIT
// Bridge commands: packets, proofs, proof strategies and receipts on live
// peers, and the frame-level hooks (the frame tap, raw frames injected on an
// interface, bytes sent). Everything is computed by libmeshlog: the transport
// core decides proofs and receipts, the node moves and counts the bytes, the
// packet, announce, IFAC, proof and link modules make and check the frames
// that the adversarial commands feed in.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bridge.h"
#include "wire.h"
#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/rns_announce.h"
#include "meshlog/rns_config.h"
#include "meshlog/rns_dest.h"
#include "meshlog/rns_destination.h"
#include "meshlog/rns_ifac.h"
#include "meshlog/rns_link.h"
#include "meshlog/rns_msgpack.h"
#include "meshlog/rns_packet.h"
#include "meshlog/rns_proof.h"

/* The reference's numbering of receipt states and proof strategies. */
#define REF_FAILED 0x00
#define REF_SENT 0x01
#define REF_DELIVERED 0x02
#define REF_CULLED 0xFF

static const struct {
    int num;
    const char *name;
} receipt_states[] = {{REF_SENT, "SENT"}, {REF_DELIVERED, "DELIVERED"},
                      {REF_FAILED, "FAILED"}, {REF_CULLED, "CULLED"}};

/* ---- the frame tap --------------------------------------------------------------- */

static wire_frame ring[WIRE_TAP_MAX];
static unsigned long long tap_seq;

static void on_frame(void *ctx, int iface_id, int outbound, const uint8_t *raw, size_t len)
{
    wire_frame *f = &ring[tap_seq % WIRE_TAP_MAX];

    ml_buf_reset(&f->raw);
    if (ml_buf_append(&f->raw, raw, len))
        return;
    f->seq = ++tap_seq;
    f->pr = ctx;
    f->iface = iface_id;
    f->outbound = outbound;
    f->when = rns_node_now();
}

void wire_tap_attach(peer *pr)
{
    rns_transport_set_frame_tap(rns_node_transport(pr->node), on_frame, pr);
}

void wire_tap_forget(const peer *pr)
{
    for (size_t i = 0; i < WIRE_TAP_MAX; i++)
        if (ring[i].pr == pr)
            ring[i].pr = NULL;
}

unsigned long long wire_tap_seq(void)
{
    return tap_seq;
}

const wire_frame *wire_tap_next(unsigned long long after)
{
    unsigned long long oldest = tap_seq > WIRE_TAP_MAX ? tap_seq - WIRE_TAP_MAX + 1 : 1;
    unsigned long long s = after + 1 > oldest ? after + 1 : oldest;

    return s <= tap_seq ? &ring[(s - 1) % WIRE_TAP_MAX] : NULL;
}

int peer_iface(peer *pr, int ifac)
{
    int ids[RNS_TRANSPORT_MAX_IFACES];
    size_t n = rns_node_ifaces(pr->node, ids, RNS_TRANSPORT_MAX_IFACES);
    rns_node_iface_info info;

    for (size_t i = 0; i < n && i < RNS_TRANSPORT_MAX_IFACES; i++)
        if (rns_node_get_iface_info(pr->node, ids[i], &info) == 0 &&
            (ifac < 0 || (info.ifac_size > 0) == ifac))
            return ids[i];
    return -1;
}

/* Every frame a peer's core took in, as the reference's inbound tap records
 * them: the header fields read straight off the raw bytes. */
static int cmd_wire_get_received_packets(br_ctx *c)
{
    long long since;
    json_t *list = json_array();
    const wire_frame *f;
    unsigned long long at;
    char name[64];
    rns_node_iface_info info;

    if (br_int(c, "since_seq", 0, &since) || since < 0) {
        json_decref(list);
        return since < 0 ? br_fail(c, "since_seq must be >= 0") : -1;
    }
    for (at = (unsigned long long)since; (f = wire_tap_next(at)); at = f->seq) {
        json_t *e;
        char *hex;
        if (f->outbound)
            continue;
        if (!(e = json_object()) || !(hex = malloc(2 * f->raw.len + 1))) {
            json_decref(e);
            json_decref(list);
            return br_fail(c, "out of memory");
        }
        ml_hex(hex, f->raw.p, f->raw.len);
        json_object_set_new(e, "seq", json_integer((json_int_t)f->seq));
        json_object_set_new(e, "timestamp_ms", json_integer((json_int_t)(f->when * 1000.0)));
        json_object_set_new(e, "raw_hex", json_string(hex));
        json_object_set_new(e, "packet_type",
                            f->raw.len >= 2 ? json_integer(f->raw.p[0] & 0x03) : json_null());
        if (f->raw.len >= 18) {
            hex[4 + 2 * RNS_HASHLEN] = 0;
            json_object_set_new(e, "destination_hash_hex", json_string(hex + 4));
        } else {
            json_object_set_new(e, "destination_hash_hex", json_null());
        }
        json_object_set_new(e, "context",
                            f->raw.len >= 19 ? json_integer(f->raw.p[18]) : json_null());
        if (f->pr && rns_node_get_iface_info(f->pr->node, f->iface, &info) == 0)
            snprintf(name, sizeof name, "%s/%d", info.kind, f->iface);
        else
            snprintf(name, sizeof name, "iface/%d", f->iface);
        json_object_set_new(e, "interface_name", json_string(name));
        json_array_append_new(list, e);
        free(hex);
    }
    return br_set(c, "packets", list) || br_set_int(c, "highest_seq", (long long)wire_tap_seq());
}

/* Bytes the peer's interfaces wrote on the wire (HDLC framing included). */
static int cmd_wire_tx_bytes(br_ctx *c)
{
    uint64_t tx = 0;
    peer *pr;

    if (peer_param(c, &pr))
        return -1;
    rns_node_byte_counts(pr->node, NULL, &tx);
    return br_set_int(c, "tx_bytes", (long long)tx);
}

/* ---- raw frames through an interface's receive path ---------------------------------- */

/* A genuine announce, made by the announce module, of a fresh identity's
 * SINGLE destination app.aspects: *id (the caller frees it) and dest get
 * them. Empty app data is none. */
static int announce_fresh(br_ctx *c, const char *app, const char *const *aspects, size_t n,
                          const ml_buf *app_data, ml_buf *out, rns_identity **id,
                          uint8_t dest[RNS_HASHLEN])
{
    uint8_t priv[RNS_KEYSIZE], name_hash[RNS_NAME_HASHLEN], r16[16];
    rns_announce_params ap;
    int ret = br_random(c, priv, sizeof priv) || br_random(c, r16, sizeof r16) ||
              br_check(c, rns_identity_from_private(id, priv), "identity") ||
              br_check(c, rns_destination_hash_for(dest, name_hash, RNS_DEST_SINGLE, app,
                                                   aspects, n, *id), "destination");

    if (!ret) {
        memset(&ap, 0, sizeof ap);
        ap.name_hash = name_hash;
        ap.random16 = r16;
        ap.now = (uint64_t)rns_node_now();
        ap.app_data = app_data->len ? app_data->p : NULL;
        ap.app_data_len = app_data->len;
        ret = br_check(c, rns_announce_make(out, *id, &ap), "announce");
    }
    ml_wipe(priv, sizeof priv);
    return ret;
}

/* A genuine announce of a fresh destination this peer does not own (so the
 * core learns a path from it). */
static int foreign_announce(br_ctx *c, ml_buf *out, uint8_t dest[RNS_HASHLEN])
{
    const char *app = "rawframe", *aspects[8];
    size_t n = 0;
    ml_buf scratch = ML_BUF_INIT, app_data = ML_BUF_INIT;
    rns_identity *id = NULL;
    int has_app, ret;

    if (br_param(c, "app_name") && br_str(c, "app_name", &app))
        return -1;
    if (br_param(c, "aspects")) {
        if (br_aspects(c, "aspects", aspects, 8, &n, &scratch))
            return -1;
    } else {
        aspects[0] = "inject";
        n = 1;
    }
    ret = br_hex_opt(c, "app_data", &app_data, &has_app);
    if (!ret && !app_data.len)
        ret = br_check(c, ml_buf_append(&app_data, "probe", 5), "app data");
    if (!ret)
        ret = announce_fresh(c, app, aspects, n, &app_data, out, &id, dest);
    rns_identity_free(id);
    ml_buf_free(&scratch);
    ml_buf_free(&app_data);
    return ret;
}

/* The frame the peer's IFAC interface would send for plain, masked with the
 * credentials it was started with. */
static int mask_for(br_ctx *c, peer *pr, size_t ifac_size, const ml_buf *plain, ml_buf *out)
{
    rns_ifac *ifac = NULL;
    int ret = br_check(c, rns_ifac_new(&ifac, pr->network_name, pr->passphrase, ifac_size),
                       "ifac") ||
              br_check(c, rns_ifac_outbound(ifac, out, plain->p, plain->len), "ifac outbound");

    rns_ifac_free(ifac);
    return ret;
}

/* Pushes a genuine announce frame (masked, trimmed, or as given) through one
 * of the peer's interfaces as if received there, and reports whether the
 * core learnt a path from it; see the reference's variants. */
static int cmd_wire_inject_raw_frame(br_ctx *c)
{
    const char *variant;
    uint8_t dest[RNS_HASHLEN];
    ml_buf plain = ML_BUF_INIT, frame = ML_BUF_INIT;
    rns_node_iface_info info = {0};
    int ifac_if, open_if, target = -1, ret, masked = 0, report_ifac = 0;
    long long trim = 2;
    peer *pr;

    if (peer_param(c, &pr) || br_str(c, "variant", &variant))
        return -1;
    ifac_if = peer_iface(pr, 1);
    open_if = peer_iface(pr, 0);
    if (ifac_if >= 0)
        rns_node_get_iface_info(pr->node, ifac_if, &info);
    if (!strcmp(variant, "inject_external")) {
        if (open_if < 0)
            return br_fail(c, "inject_external requires a non-IFAC (open) interface");
        ret = br_hex(c, "raw", &frame) || br_hex_fixed(c, "dest_hash", dest, RNS_HASHLEN);
        target = open_if;
    } else if (!strcmp(variant, "build_masked") || !strcmp(variant, "masked_full") ||
               !strcmp(variant, "masked_short") || !strcmp(variant, "plain_on_ifac")) {
        if (ifac_if < 0)
            return br_fail(c, "variant %s requires an IFAC interface", variant);
        masked = strcmp(variant, "plain_on_ifac") != 0;
        target = ifac_if;
        report_ifac = 1;
        ret = foreign_announce(c, &plain, dest) ||
              (masked ? mask_for(c, pr, info.ifac_size, &plain, &frame)
                      : br_check(c, ml_buf_append(&frame, plain.p, plain.len), "frame"));
        if (!ret && !strcmp(variant, "masked_short"))
            frame.len = 2 + info.ifac_size;
    } else if (!strcmp(variant, "plain_on_open") || !strcmp(variant, "min_short")) {
        target = open_if >= 0 ? open_if : !strcmp(variant, "min_short") ? ifac_if : -1;
        if (target < 0)
            return br_fail(c, "%s requires an open interface", variant);
        report_ifac = target == ifac_if;
        ret = foreign_announce(c, &plain, dest) ||
              br_check(c, ml_buf_append(&frame, plain.p, plain.len), "frame") ||
              (!strcmp(variant, "min_short") && br_int(c, "trim_to", 2, &trim));
        if (!ret && !strcmp(variant, "min_short")) {
            if (trim < 0 || (size_t)trim > frame.len)
                ret = br_fail(c, "trim_to out of range");
            else
                frame.len = (size_t)trim;
        }
    } else {
        return br_fail(c, "unknown variant: '%s'", variant);
    }
    if (!ret && !strcmp(variant, "build_masked")) {
        ret = br_set_hex(c, "dest_hash", dest, RNS_HASHLEN) || br_set_buf(c, "raw", &frame) ||
              br_set_int(c, "frame_len", (long long)frame.len) ||
              br_set_int(c, "ifac_size", (long long)info.ifac_size);
        goto out;
    }
    if (!ret) {
        rns_node_inject(pr->node, target, frame.p ? frame.p : (const uint8_t *)"", frame.len);
        ret = br_set_hex(c, "dest_hash", dest, RNS_HASHLEN) ||
              br_set_int(c, "frame_len", (long long)frame.len) ||
              br_set_bool(c, "learned",
                          rns_transport_has_path(core(pr), dest, rns_node_now(), NULL)) ||
              (report_ifac && br_set_int(c, "ifac_size", (long long)info.ifac_size));
    }
out:
    ml_buf_free(&plain);
    ml_buf_free(&frame);
    return ret;
}

/* ---- proof strategies ------------------------------------------------------------------ */

/* The suite's PROVE_APP callback: prove iff the payload begins with 0x01. */
static int prove_app_decision(void *ctx, const uint8_t dest[RNS_HASHLEN], const uint8_t *data,
                              size_t len)
{
    (void)ctx;
    (void)dest;
    return len >= 1 && data[0] == 0x01;
}

static const struct {
    const char *name;
    enum rns_proof_strategy strategy;
    int ref_num;             /* RNS.Destination.PROVE_* */
} strategies[] = {
    {"none", RNS_PROVE_NONE, 0x21}, {"app", RNS_PROVE_APP, 0x22}, {"all", RNS_PROVE_ALL, 0x23}};

static int cmd_wire_set_proof_strategy(br_ctx *c)
{
    uint8_t dest[RNS_HASHLEN];
    const char *name;
    size_t k;
    int now;
    peer *pr;

    if (peer_param(c, &pr) || dest_param(c, dest) || br_str(c, "strategy", &name))
        return -1;
    for (k = 0; k < 3 && strcasecmp(strategies[k].name, name); k++)
        ;
    if (k == 3)
        return br_fail(c, "strategy must be one of ['all', 'app', 'none'] (got '%s')", name);
    if (!find_listener(pr, dest))
        return br_fail(c, "No registered destination with this hash on this handle; call "
                          "wire_listen first.");
    if (br_check(c, rns_transport_set_proof_strategy(core(pr), dest, strategies[k].strategy,
                                                     prove_app_decision, NULL),
                 "proof strategy"))
        return -1;
    now = rns_transport_proof_strategy(core(pr), dest);
    for (k = 0; k < 3 && (int)strategies[k].strategy != now; k++)
        ;
    if (k == 3)
        return br_fail(c, "proof strategy not readable");
    return br_set_str(c, "strategy", strategies[k].name) ||
           br_set_int(c, "proof_strategy", strategies[k].ref_num);
}

static int cmd_wire_set_proof_implicit(br_ctx *c)
{
    int on;
    peer *pr;

    if (peer_param(c, &pr) || br_bool(c, "enabled", 1, &on))
        return -1;
    rns_transport_set_implicit_proofs(core(pr), on);
    return br_set_bool(c, "implicit_proof", rns_transport_implicit_proofs(core(pr)));
}

/* ---- single packets with receipts --------------------------------------------------------- */

static int settled(peer *pr, const void *arg)
{
    return pr->receipts[*(const size_t *)arg].state != 0;
}

/* Sends a single packet with a receipt, waits for it to settle and reports
 * the proof the destination sent back, as the core handed it over. */
static int cmd_wire_send_packet_with_proof_request(br_ctx *c)
{
    uint8_t dest[RNS_HASHLEN];
    long long timeout;
    unsigned hops = 0;
    size_t slot = 0;
    int sent, implicit;
    receipt *r;
    peer *pr;

    if (peer_param(c, &pr) || dest_param(c, dest) || br_int(c, "timeout_ms", 10000, &timeout) ||
        send_single(c, pr, &slot, &sent))
        return -1;
    if (!sent)
        return br_set_bool(c, "sent", 0) || br_set_null(c, "receipt_id") ||
               br_set_null(c, "hops") || br_set_bool(c, "delivered", 0);
    rns_transport_has_path(core(pr), dest, rns_node_now(), &hops);
    wait_until(settled, pr, &slot, timeout);
    r = &pr->receipts[slot];
    implicit = rns_transport_implicit_proofs(core(pr));
    if (br_set_bool(c, "sent", 1) ||
        br_set_hex(c, "receipt_id", r->packet_hash, RNS_FULL_HASHLEN) ||
        br_set_int(c, "hops", hops) || br_set_bool(c, "delivered", r->state == 1) ||
        br_set_bool(c, "proved", r->state == 1) ||
        br_set_bool(c, "implicit_proof_config", implicit) ||
        br_set_int(c, "impl_length", RNS_PROOF_IMPLICIT_LEN) ||
        br_set_int(c, "expl_length", RNS_PROOF_EXPLICIT_LEN) ||
        br_set_hex(c, "proved_packet_hash", r->packet_hash, RNS_FULL_HASHLEN))
        return -1;
    if (r->state == 1 && r->proof_raw_len) {
        rns_packet p;
        if (br_check(c, rns_packet_unpack(&p, r->proof_raw, r->proof_raw_len), "proof packet"))
            return -1;
        return br_set_hex(c, "proof_data", p.data, p.data_len) ||
               br_set_int(c, "proof_len", (long long)p.data_len) ||
               br_set_bool(c, "proof_is_implicit", p.data_len == RNS_PROOF_IMPLICIT_LEN) ||
               br_set_bool(c, "proof_is_explicit", p.data_len == RNS_PROOF_EXPLICIT_LEN) ||
               br_set_hex(c, "proof_raw", r->proof_raw, r->proof_raw_len);
    }
    return br_set_null(c, "proof_data") || br_set_null(c, "proof_len") ||
           br_set_null(c, "proof_is_implicit") || br_set_null(c, "proof_is_explicit") ||
           br_set_null(c, "proof_raw");
}

/* A bridge receipt for a packet the core opened a receipt for. */
static size_t track_receipt(peer *pr, const uint8_t hash[RNS_FULL_HASHLEN],
                            const uint8_t dest[RNS_HASHLEN])
{
    receipt *r;

    if (pr->n_receipts == MAX_RECEIPTS)
        memmove(&pr->receipts[0], &pr->receipts[1], sizeof pr->receipts[0] * --pr->n_receipts);
    r = &pr->receipts[pr->n_receipts];
    memset(r, 0, sizeof *r);
    memcpy(r->packet_hash, hash, RNS_FULL_HASHLEN);
    memcpy(r->dest, dest, RNS_HASHLEN);
    return pr->n_receipts++;
}

/* A SINGLE DATA packet encrypted to a known destination by the library,
 * then damaged (its last token byte, or cut to the header), sent with a
 * receipt: the receiver cannot decrypt it, so must not prove it. */
static int cmd_wire_send_undecryptable(br_ctx *c)
{
    uint8_t dest[RNS_HASHLEN], pub[RNS_KEYSIZE], eph[32], iv[16], hash[RNS_FULL_HASHLEN];
    const char *how = "ciphertext";
    ml_buf data = ML_BUF_INIT, ct = ML_BUF_INIT;
    rns_identity *id = NULL;
    rns_packet p = {.packet_type = RNS_PACKET_DATA, .dest_type = RNS_DEST_SINGLE};
    int has_receipt = 0, ret;
    peer *pr;

    ret = peer_param(c, &pr) || dest_param(c, dest) || br_hex_opt(c, "data", &data, &(int){0}) ||
          (br_param(c, "corruption") && br_str(c, "corruption", &how));
    if (!ret && strcmp(how, "ciphertext") && strcmp(how, "truncate"))
        ret = br_fail(c, "Unsupported corruption='%s'; expected 'ciphertext' or 'truncate'", how);
    if (!ret && rns_transport_recall(core(pr), dest, pub, NULL, NULL))
        ret = br_fail(c, "No identity known for this destination; ensure an announce for it "
                         "was received first.");
    if (!ret)
        ret = br_check(c, rns_identity_from_public(&id, pub), "identity") ||
              br_random(c, eph, sizeof eph) || br_random(c, iv, sizeof iv) ||
              br_check(c, rns_identity_encrypt(id, &ct, data.p, data.len, NULL, eph, iv),
                       "encrypt");
    if (ret)
        goto out;
    if (!strcmp(how, "ciphertext"))
        ct.p[ct.len - 1]++;
    else
        ct.len = 0;
    memcpy(p.dest_hash, dest, RNS_HASHLEN);
    p.data = ct.p;
    p.data_len = ct.len;
    if ((ret = br_check(c, rns_transport_send_packet(core(pr), &p, pub, 1, rns_node_now(), hash,
                                                     &has_receipt), "send")))
        goto out;
    if (has_receipt)
        track_receipt(pr, hash, dest);
    rns_node_kick(pr->node);
    ret = br_set_bool(c, "sent", 1) ||
          (has_receipt ? br_set_hex(c, "receipt_id", hash, sizeof hash)
                       : br_set_null(c, "receipt_id")) ||
          br_set_bool(c, "delivered", 0) || br_set_str(c, "status", "pending");
out:
    ml_wipe(eph, sizeof eph);
    rns_identity_free(id);
    ml_buf_free(&data);
    ml_buf_free(&ct);
    return ret;
}

/* A fresh identity and its SINGLE destination conformance.<aspect>. */
static int fresh_destination(br_ctx *c, const char *aspect, rns_identity **id,
                             uint8_t dest[RNS_HASHLEN])
{
    const char *aspects[1] = {aspect};
    uint8_t priv[RNS_KEYSIZE];
    int ret = br_random(c, priv, sizeof priv) ||
              br_check(c, rns_identity_from_private(id, priv), "identity") ||
              br_check(c, rns_destination_hash_for(dest, NULL, RNS_DEST_SINGLE, "conformance",
                                                   aspects, 1, *id), "destination");

    ml_wipe(priv, sizeof priv);
    return ret;
}

/* Sends a DATA packet with a receipt to a fresh destination whose identity
 * the bridge holds (so it can sign proofs for it); *slot is the receipt. */
static int send_to_fresh(br_ctx *c, peer *pr, const char *aspect, rns_identity **id,
                         uint8_t hash[RNS_FULL_HASHLEN], size_t *slot)
{
    uint8_t dest[RNS_HASHLEN], data[20], eph[32], iv[16];
    ml_buf ct = ML_BUF_INIT;
    rns_packet p = {.packet_type = RNS_PACKET_DATA, .dest_type = RNS_DEST_SINGLE};
    int has_receipt = 0;
    int ret = fresh_destination(c, aspect, id, dest) || br_random(c, data, sizeof data) ||
              br_random(c, eph, sizeof eph) || br_random(c, iv, sizeof iv) ||
              br_check(c, rns_identity_encrypt(*id, &ct, data, sizeof data, NULL, eph, iv),
                       "encrypt");

    if (!ret) {
        memcpy(p.dest_hash, dest, RNS_HASHLEN);
        p.data = ct.p;
        p.data_len = ct.len;
        ret = br_check(c, rns_transport_send_packet(core(pr), &p, rns_identity_public_key(*id), 1,
                                                    rns_node_now(), hash, &has_receipt),
                       "send");
    }
    if (!ret && !has_receipt)
        ret = br_fail(c, "the core opened no receipt for a SINGLE DATA packet");
    if (!ret) {
        *slot = track_receipt(pr, hash, dest);
        rns_node_kick(pr->node);
    }
    ml_wipe(eph, sizeof eph);
    ml_buf_free(&ct);
    return ret;
}

/* Feeds a PROOF packet carrying `proof` for hash into the peer as if
 * received on its first interface. */
static int inject_proof(br_ctx *c, peer *pr, const uint8_t hash[RNS_FULL_HASHLEN],
                        const uint8_t *proof, size_t len)
{
    rns_packet p = {.packet_type = RNS_PACKET_PROOF, .dest_type = RNS_DEST_SINGLE};
    ml_buf raw = ML_BUF_INIT;
    int iface = peer_iface(pr, -1), ret;

    memcpy(p.dest_hash, hash, RNS_HASHLEN);
    p.data = proof;
    p.data_len = len;
    if (iface < 0)
        return br_fail(c, "No live interface on this handle");
    ret = br_check(c, rns_packet_pack(&raw, &p), "pack");
    if (!ret) {
        ml_buf framed = ML_BUF_INIT;
        rns_node_iface_info info;
        ret = br_check(c, rns_node_get_iface_info(pr->node, iface, &info), "interface") ||
              (info.ifac_size ? mask_for(c, pr, info.ifac_size, &raw, &framed)
                              : br_check(c, ml_buf_append(&framed, raw.p, raw.len), "frame"));
        if (!ret)
            rns_node_inject(pr->node, iface, framed.p, framed.len);
        ml_buf_free(&framed);
    }
    ml_buf_free(&raw);
    return ret;
}

/* Well-formed and forged single-packet proofs, signed by the library with
 * the destination's identity (which the bridge holds here) or another one,
 * fed to a waiting receipt of the core. */
static int cmd_wire_inject_single_proof_format(br_ctx *c)
{
    const char *variant;
    uint8_t hash[RNS_FULL_HASHLEN], proof[RNS_PROOF_EXPLICIT_LEN], priv[RNS_KEYSIZE];
    rns_identity *id = NULL, *other = NULL;
    ml_buf pk = ML_BUF_INIT;
    rns_packet p;
    size_t slot = 0, len = 0;
    int ret, explicit_form = 1, st;
    peer *pr;

    if (peer_param(c, &pr) || br_str(c, "variant", &variant))
        return -1;
    if (strcmp(variant, "valid_explicit") && strcmp(variant, "valid_implicit") &&
        strcmp(variant, "forged_explicit") && strcmp(variant, "wrong_hash_explicit"))
        return br_fail(c, "unknown single-proof-format variant: '%s'", variant);
    explicit_form = strcmp(variant, "valid_implicit") != 0;
    ret = send_to_fresh(c, pr, "proof-format", &id, hash, &slot);
    if (!ret && !strcmp(variant, "forged_explicit"))
        ret = br_random(c, priv, sizeof priv) ||
              br_check(c, rns_identity_from_private(&other, priv), "identity");
    if (!ret)
        ret = br_check(c, rns_proof_make(&pk, other ? other : id, hash, explicit_form), "proof") ||
              br_check(c, rns_packet_unpack(&p, pk.p, pk.len), "proof packet");
    if (ret)
        goto out;
    len = p.data_len;
    memcpy(proof, p.data, len);
    if (!strcmp(variant, "wrong_hash_explicit") &&
        (ret = br_random(c, proof, RNS_FULL_HASHLEN)))
        goto out;
    if ((ret = inject_proof(c, pr, hash, proof, len)))
        goto out;
    br_wire_pump(10);
    st = pr->receipts[slot].state;
    ret = br_set_str(c, "variant", variant) ||
          br_set_bool(c, "validated", rns_proof_validate(proof, len, hash, id) == 0) ||
          br_set_int(c, "status", receipt_states[st].num) ||
          br_set_str(c, "status_name", receipt_states[st].name) ||
          br_set_int(c, "proof_len", (long long)len) ||
          br_set_int(c, "expl_length", RNS_PROOF_EXPLICIT_LEN) ||
          br_set_int(c, "impl_length", RNS_PROOF_IMPLICIT_LEN);
out:
    ml_wipe(priv, sizeof priv);
    rns_identity_free(id);
    rns_identity_free(other);
    ml_buf_free(&pk);
    return ret;
}

/* Builds a packet of the asked type, context and destination type and hands
 * it to the core with create_receipt set: whether a receipt comes back is
 * the core's Transport.outbound gate. */
static int cmd_wire_packet_receipt_generation(br_ctx *c)
{
    const char *type = "single", *aspects[1] = {"receipt-gen"};
    long long context, ptype;
    uint8_t data[12], eph[32], iv[16];
    rns_identity *id = NULL;
    rns_packet p;
    ml_buf ct = ML_BUF_INIT;
    rns_transport_stats before, after;
    int has_receipt = 0, ret;
    peer *pr;

    if (peer_param(c, &pr) || (br_param(c, "dest_type") && br_str(c, "dest_type", &type)) ||
        br_int(c, "context", RNS_CTX_NONE, &context) ||
        br_int(c, "packet_type", RNS_PACKET_DATA, &ptype))
        return -1;
    if (strcasecmp(type, "single") && strcasecmp(type, "plain"))
        return br_fail(c, "dest_type must be 'single' or 'plain' (got '%s')", type);
    if (context < 0 || context > 255 || ptype < 0 || ptype > 3)
        return br_fail(c, "context must be 0..255 and packet_type 0..3");
    memset(&p, 0, sizeof p);
    p.packet_type = (uint8_t)ptype;
    p.context = (uint8_t)context;
    p.dest_type = strcasecmp(type, "plain") ? RNS_DEST_SINGLE : RNS_DEST_PLAIN;
    ret = br_random(c, data, sizeof data);
    if (!ret && p.dest_type == RNS_DEST_SINGLE)
        ret = fresh_destination(c, "receipt-gen", &id, p.dest_hash);
    else if (!ret)
        ret = br_check(c, rns_destination_hash_for(p.dest_hash, NULL, RNS_DEST_PLAIN,
                                                   "conformance", aspects, 1, NULL),
                       "destination");
    /* SINGLE DATA is encrypted to the destination, as Packet.pack does */
    if (!ret && id && p.packet_type == RNS_PACKET_DATA && p.context == RNS_CTX_NONE)
        ret = br_random(c, eph, sizeof eph) || br_random(c, iv, sizeof iv) ||
              br_check(c, rns_identity_encrypt(id, &ct, data, sizeof data, NULL, eph, iv),
                       "encrypt");
    else if (!ret)
        ret = br_check(c, ml_buf_append(&ct, data, sizeof data), "data");
    if (ret)
        goto out;
    p.data = ct.p;
    p.data_len = ct.len;
    before = rns_transport_get_stats(core(pr));
    if ((ret = br_check(c, rns_transport_send_packet(core(pr), &p,
                                                     id ? rns_identity_public_key(id) : NULL, 1,
                                                     rns_node_now(), NULL, &has_receipt),
                        "send")))
        goto out;
    after = rns_transport_get_stats(core(pr));
    rns_node_kick(pr->node);
    ret = br_set_str(c, "dest_type", p.dest_type == RNS_DEST_PLAIN ? "plain" : "single") ||
          br_set_int(c, "context", context) || br_set_int(c, "packet_type", ptype) ||
          br_set_bool(c, "sent", after.tx_packets > before.tx_packets) ||
          br_set_bool(c, "has_receipt", has_receipt) || br_set_bool(c, "create_receipt_flag", 1);
out:
    ml_wipe(eph, sizeof eph);
    rns_identity_free(id);
    ml_buf_free(&ct);
    return ret;
}

/* A receipt of the core for a fresh, path-less destination: its timeout and
 * what it is made of; with force_timeout, the timeout replaced and the
 * core's timer run, so the FAILED / CULLED outcome shows. */
static int cmd_wire_packet_receipt_timeout(br_ctx *c)
{
    json_t *force = br_param(c, "force_timeout");
    uint8_t hash[RNS_FULL_HASHLEN];
    rns_identity *id = NULL;
    rns_receipt_info info;
    rns_node_iface_info ii;
    int ids[RNS_TRANSPORT_MAX_IFACES], shared = 0, ret;
    size_t slot = 0, n;
    peer *pr;

    if (peer_param(c, &pr))
        return -1;
    if (force && !json_is_number(force))
        return br_fail(c, "force_timeout must be a number");
    n = rns_node_ifaces(pr->node, ids, RNS_TRANSPORT_MAX_IFACES);
    for (size_t i = 0; i < n && i < RNS_TRANSPORT_MAX_IFACES; i++)
        if (rns_node_get_iface_info(pr->node, ids[i], &ii) == 0 && !strcmp(ii.kind, "shared"))
            shared = 1;
    ret = send_to_fresh(c, pr, "receipt-timeout", &id, hash, &slot) ||
          br_check(c, rns_transport_receipt(core(pr), hash, &info), "receipt");
    if (!ret)
        ret = br_set(c, "timeout", json_real(info.timeout)) ||
              br_set_int(c, "status", receipt_states[pr->receipts[slot].state].num) ||
              br_set_bool(c, "is_link", 0) ||
              br_set(c, "default_per_hop_timeout", json_real((double)RNS_DEFAULT_PER_HOP_TIMEOUT)) ||
              br_set(c, "timeout_per_hop", json_real((double)RNS_DEFAULT_PER_HOP_TIMEOUT)) ||
              br_set_int(c, "pathfinder_m", RNS_PATHFINDER_M) ||
              br_set_int(c, "hops_to", info.hops) ||
              br_set(c, "first_hop_timeout", json_real(info.first_hop_timeout)) ||
              br_set_bool(c, "is_connected_to_shared", shared) ||
              br_set_int(c, "status_sent", REF_SENT);
    if (!ret && force) {
        double t = json_number_value(force);
        ret = br_check(c, rns_transport_receipt_set_timeout(core(pr), hash, t), "timeout") ||
              br_check(c, rns_transport_tick(core(pr), rns_node_now()), "tick");
        rns_node_kick(pr->node);
        if (!ret)
            ret = br_set(c, "forced_timeout", json_real(t)) ||
                  br_set_int(c, "forced_status", receipt_states[pr->receipts[slot].state].num) ||
                  br_set_int(c, "status_culled", REF_CULLED) ||
                  br_set_int(c, "status_failed", REF_FAILED);
    }
    rns_identity_free(id);
    return ret;
}

/* Checks a genuine announce (made by the announce module) against a key
 * recorded for its destination: none, its own, or another one. */
static int cmd_wire_known_key_validate(br_ctx *c)
{
    const char *plant = "mismatch";
    uint8_t dest[RNS_HASHLEN], other_pub[RNS_KEYSIZE], priv[RNS_KEYSIZE];
    const char *app, *aspects[16];
    size_t n;
    ml_buf scratch = ML_BUF_INIT, app_data = ML_BUF_INIT, raw = ML_BUF_INIT;
    rns_identity *id = NULL, *other = NULL;
    rns_announce a;
    rns_packet p;
    const uint8_t *planted = NULL;
    int has_app, ret;
    peer *pr;

    ret = peer_param(c, &pr) || br_str(c, "app_name", &app) ||
          br_aspects(c, "aspects", aspects, 16, &n, &scratch) ||
          (br_param(c, "plant") && br_str(c, "plant", &plant)) ||
          br_hex_opt(c, "app_data", &app_data, &has_app);
    if (!ret && strcasecmp(plant, "mismatch") && strcasecmp(plant, "match") &&
        strcasecmp(plant, "none"))
        ret = br_fail(c, "plant must be 'mismatch', 'match' or 'none' (got '%s')", plant);
    if (!ret)
        ret = announce_fresh(c, app, aspects, n, &app_data, &raw, &id, dest) ||
              br_check(c, rns_packet_unpack(&p, raw.p, raw.len), "unpack");
    if (!ret && !strcasecmp(plant, "mismatch")) {
        ret = br_random(c, priv, sizeof priv) ||
              br_check(c, rns_identity_from_private(&other, priv), "identity");
        if (!ret) {
            memcpy(other_pub, rns_identity_public_key(other), RNS_KEYSIZE);
            planted = other_pub;
        }
    } else if (!ret && !strcasecmp(plant, "match")) {
        planted = rns_identity_public_key(id);
    }
    if (!ret)
        ret = br_set_bool(c, "validated", rns_announce_validate(&a, &p, planted, NULL) == 0) ||
              br_set_hex(c, "destination_hash", dest, RNS_HASHLEN) ||
              br_set_hex(c, "public_key", rns_identity_public_key(id), RNS_KEYSIZE) ||
              (planted ? br_set_hex(c, "planted_public_key", planted, RNS_KEYSIZE)
                       : br_set_null(c, "planted_public_key")) ||
              br_set_str(c, "plant", !strcasecmp(plant, "match")  ? "match"
                                     : !strcasecmp(plant, "none") ? "none"
                                                                  : "mismatch");
    ml_wipe(priv, sizeof priv);
    rns_identity_free(id);
    rns_identity_free(other);
    ml_buf_free(&scratch);
    ml_buf_free(&app_data);
    ml_buf_free(&raw);
    return ret;
}

/* ---- link frames --------------------------------------------------------------------------- */

static int rng_thunk(void *ctx, void *out, size_t len)
{
    (void)ctx;
    return ml_random(out, len);
}

/* A link handshake between two library links inside the bridge, to a fresh
 * destination: *lrproof receives the responder's LRPROOF as sent. With
 * complete, the initiator also takes the proof and the responder the RTT
 * packet, so both are ACTIVE. */
static int link_pair(br_ctx *c, rns_link **ini, rns_link **res, ml_buf *lrproof, int complete)
{
    uint8_t dest[RNS_HASHLEN];
    rns_identity *id = NULL, *pub = NULL;
    rns_link_initiate_params ip;
    rns_link_accept_params ap;
    rns_link_event ev;
    ml_buf b = ML_BUF_INIT;
    rns_packet p;
    double now = rns_node_now();
    int ret = fresh_destination(c, "lrproof-shape", &id, dest) ||
              br_check(c, rns_identity_from_public(&pub, rns_identity_public_key(id)), "identity");

    *ini = *res = NULL;
    if (!ret) {
        memset(&ip, 0, sizeof ip);
        ip.dest_hash = dest;
        ip.dest_identity = pub;
        ip.mtu = RNS_LINK_DEFAULT_MTU;
        ip.hops = 1;
        ip.rng = rng_thunk;
        ret = br_check(c, rns_link_initiate(ini, &ip, now), "link") ||
              br_check(c, rns_link_pop_packet(*ini, &b) == 1 ? 0 : ML_ESTATE, "link request") ||
              br_check(c, rns_packet_unpack(&p, b.p, b.len), "unpack");
    }
    if (!ret) {
        memset(&ap, 0, sizeof ap);
        ap.identity = id;
        ap.mtu_limit = RNS_LINK_DEFAULT_MTU;
        ap.hops = 1;
        ap.rng = rng_thunk;
        ret = br_check(c, rns_link_accept(res, &ap, &p, now), "accept") ||
              br_check(c, rns_link_pop_packet(*res, lrproof) == 1 ? 0 : ML_ESTATE, "lrproof");
    }
    if (!ret && complete) {
        ml_buf_reset(&b);
        ret = br_check(c, rns_packet_unpack(&p, lrproof->p, lrproof->len), "unpack") ||
              br_check(c, rns_link_receive(*ini, &p, now), "lrproof") ||
              br_check(c, rns_link_pop_packet(*ini, &b) == 1 ? 0 : ML_ESTATE, "rtt") ||
              br_check(c, rns_packet_unpack(&p, b.p, b.len), "unpack") ||
              br_check(c, rns_link_receive(*res, &p, now), "rtt");
        while (!ret && rns_link_pop_event(*ini, &ev) == 1)
            rns_link_event_clear(&ev);
        while (!ret && rns_link_pop_event(*res, &ev) == 1)
            rns_link_event_clear(&ev);
    }
    rns_identity_free(id);
    rns_identity_free(pub);
    ml_buf_free(&b);
    return ret;
}

/* The LRPROOF a responder link sends, as the link module packs it. */
static int cmd_wire_capture_lrproof_frame(br_ctx *c)
{
    rns_link *ini = NULL, *res = NULL;
    ml_buf raw = ML_BUF_INIT;
    peer *pr;
    int ret = peer_param(c, &pr) || link_pair(c, &ini, &res, &raw, 0);

    if (!ret)
        ret = br_set_buf(c, "raw", &raw) || br_set_int(c, "flags", raw.p[0]) ||
              br_set_hex(c, "link_id", rns_link_id(res), RNS_HASHLEN) ||
              br_set_int(c, "packet_type", RNS_PACKET_PROOF) ||
              br_set_int(c, "context", RNS_CTX_LRPROOF) ||
              br_set_int(c, "expected_link_dest_type", RNS_DEST_LINK) ||
              br_set_int(c, "truncated_hashlength", RNS_HASHLEN);
    rns_link_free(ini);
    rns_link_free(res);
    ml_buf_free(&raw);
    return ret;
}

/* Link data proofs are explicit only: the initiator of an established
 * library link pair sends DATA; the responder's real proof, its bare
 * signature, or junk comes back, and the initiator link judges it. */
static int cmd_wire_inject_crafted_link_proof(br_ctx *c)
{
    const char *variant;
    rns_link *ini = NULL, *res = NULL;
    ml_buf lrproof = ML_BUF_INIT, b = ML_BUF_INIT, raw = ML_BUF_INIT;
    uint8_t data[20], hash[RNS_FULL_HASHLEN], junk[RNS_SIGLEN];
    rns_packet p;
    rns_link_event ev;
    const uint8_t *proof = NULL;
    size_t len = 0;
    int ret, validated = 0, kind;
    double now = rns_node_now();
    peer *pr;

    if (peer_param(c, &pr) || br_str(c, "variant", &variant))
        return -1;
    kind = !strcmp(variant, "valid_explicit")       ? 0
           : !strcmp(variant, "implicit_valid_sig") ? 1
           : !strcmp(variant, "implicit_random")    ? 2
           : !strcmp(variant, "wrong_length_short") ? 3
                                                    : -1;
    if (kind < 0)
        return br_fail(c, "unknown link-proof variant: '%s'", variant);
    ret = link_pair(c, &ini, &res, &lrproof, 1) || br_random(c, data, sizeof data) ||
          br_random(c, junk, sizeof junk) ||
          br_check(c, rns_link_send(ini, RNS_CTX_NONE, data, sizeof data, now, hash), "send") ||
          br_check(c, rns_link_pop_packet(ini, &b) == 1 ? 0 : ML_ESTATE, "data") ||
          br_check(c, rns_packet_unpack(&p, b.p, b.len), "unpack") ||
          br_check(c, rns_link_prove(res, &p, now), "prove") ||
          br_check(c, rns_link_pop_packet(res, &raw) == 1 ? 0 : ML_ESTATE, "proof") ||
          br_check(c, rns_packet_unpack(&p, raw.p, raw.len), "unpack");
    if (ret)
        goto out;
    /* the responder's explicit proof is hash | signature */
    proof = kind == 0 ? p.data : kind == 1 ? p.data + RNS_FULL_HASHLEN : junk;
    len = kind == 0 ? p.data_len : kind == 3 ? RNS_SIGLEN / 2 : RNS_SIGLEN;
    p.data = proof;
    p.data_len = len;
    rns_link_receive(ini, &p, now);
    while (rns_link_pop_event(ini, &ev) == 1) {
        if (ev.type == RNS_LINK_EV_PROOF && !memcmp(ev.id, hash, RNS_FULL_HASHLEN))
            validated = 1;
        rns_link_event_clear(&ev);
    }
    ret = br_set_str(c, "variant", variant) || br_set_bool(c, "validated", validated) ||
          br_set_int(c, "status", validated ? REF_DELIVERED : REF_SENT) ||
          br_set_str(c, "status_name", validated ? "DELIVERED" : "SENT") ||
          br_set_int(c, "proof_len", (long long)len) ||
          br_set_int(c, "expl_length", RNS_PROOF_EXPLICIT_LEN) ||
          br_set_int(c, "impl_length", RNS_PROOF_IMPLICIT_LEN);
out:
    rns_link_free(ini);
    rns_link_free(res);
    ml_buf_free(&lrproof);
    ml_buf_free(&b);
    ml_buf_free(&raw);
    return ret;
}

static const char *const link_states[] = {"PENDING", "HANDSHAKE", "ACTIVE", "STALE", "CLOSED"};

/* Sending over a link that has been closed: the link refuses, nothing goes
 * out (the node's byte counter stands still). */
static int cmd_wire_send_over_closed_link(br_ctx *c)
{
    uint8_t id[RNS_HASHLEN];
    ml_buf data = ML_BUF_INIT;
    uint64_t tx0 = 0, tx1 = 0;
    rns_link *live;
    int sent = 0, ret;
    wlink *l;
    peer *pr;

    ret = wlink_param(c, &pr, &l) || br_hex_opt(c, "data", &data, &(int){0});
    if (ret)
        goto out;
    memcpy(id, l->id, RNS_HASHLEN);
    snapshot(pr, l);
    rns_node_byte_counts(pr->node, NULL, &tx0);
    /* the core frees a link once closed: then there is nothing to send on */
    if ((live = rns_transport_link(core(pr), id)) &&
        rns_link_send(live, RNS_CTX_NONE, data.p, data.len, rns_node_now(), NULL) == 0) {
        sent = 1;
        rns_transport_flush(core(pr), rns_node_now());
        rns_node_kick(pr->node);
    }
    br_wire_pump(20);
    rns_node_byte_counts(pr->node, NULL, &tx1);
    ret = br_set_int(c, "link_status", l->state) ||
          br_set_str(c, "link_status_name", link_states[l->state]) ||
          br_set_bool(c, "sent", sent) || br_set_int(c, "bytes_transmitted", (long long)(tx1 - tx0));
out:
    ml_buf_free(&data);
    return ret;
}

/* Destination.encrypt / decrypt of a PLAIN destination (rns_dest.h): no keys,
 * the bytes pass as they are. */
static int plain_crypt(br_ctx *c, int decrypt)
{
    const char *app, *aspects[RNS_DEST_MAX_ASPECTS];
    size_t n;
    ml_buf scratch = ML_BUF_INIT, in = ML_BUF_INIT, out = ML_BUF_INIT;
    rns_dest_config dc = {.direction = RNS_DEST_IN, .type = RNS_DEST_PLAIN, .rng = rng_thunk};
    rns_dest *d = NULL;
    peer *pr;
    int ret = peer_param(c, &pr) || br_str(c, "app_name", &app) ||
              br_aspects(c, "aspects", aspects, RNS_DEST_MAX_ASPECTS, &n, &scratch) ||
              br_hex_opt(c, decrypt ? "ciphertext" : "plaintext", &in, &(int){0});

    if (!ret) {
        dc.app_name = app;
        dc.aspects = aspects;
        dc.n_aspects = n;
        ret = br_check(c, rns_dest_new(&d, &dc), "destination") ||
              br_check(c, decrypt ? rns_dest_decrypt(d, &out, in.p, in.len)
                                  : rns_dest_encrypt(d, &out, in.p, in.len, NULL),
                       decrypt ? "decrypt" : "encrypt");
    }
    if (!ret)
        ret = br_set_buf(c, decrypt ? "plaintext" : "ciphertext", &out) ||
              br_set_bool(c, "passthrough",
                          out.len == in.len && (!in.len || !memcmp(out.p, in.p, in.len)));
    rns_dest_free(d);
    ml_buf_free(&scratch);
    ml_buf_free(&in);
    ml_buf_free(&out);
    return ret;
}

static int cmd_wire_plain_encrypt(br_ctx *c) { return plain_crypt(c, 0); }
static int cmd_wire_plain_decrypt(br_ctx *c) { return plain_crypt(c, 1); }

/* ---- known destinations ------------------------------------------------------------------- */

/* Saves the core's known-destination table, clears it (recall must then
 * miss), loads it back (recall must hit again, with the same app data). */
static int cmd_wire_known_destinations_roundtrip(br_ctx *c)
{
    uint8_t dest[RNS_HASHLEN];
    ml_buf file = ML_BUF_INIT, rec = ML_BUF_INIT;
    const uint8_t *app = NULL;
    size_t app_len = 0, loaded = 0;
    rns_mp_reader r;
    uint32_t elems = 0;
    int present, cleared_hit, loaded_hit, ret;
    peer *pr;

    if (peer_param(c, &pr) || dest_param(c, dest))
        return -1;
    present = rns_transport_recall(core(pr), dest, NULL, NULL, NULL) == 0;
    ret = br_check(c, rns_transport_known_save(core(pr), &file), "save");
    if (!ret) {
        rns_transport_known_clear(core(pr));
        cleared_hit = rns_transport_recall(core(pr), dest, NULL, NULL, NULL) == 0;
        ret = br_check(c, rns_transport_known_load(core(pr), file.p, file.len, &loaded), "load");
    }
    if (ret)
        goto out;
    loaded_hit = rns_transport_recall(core(pr), dest, NULL, &app, &app_len) == 0;
    if (loaded_hit && rns_transport_known_record(core(pr), dest, &rec) == 0) {
        rns_mp_reader_init(&r, rec.p, rec.len);
        rns_mp_get_array(&r, &elems);
    }
    ret = br_set_bool(c, "present_before_save", present) ||
          br_set_bool(c, "recall_after_clear_found", cleared_hit) ||
          br_set_bool(c, "recall_after_load_found", loaded_hit) ||
          (app ? br_set_hex(c, "app_data_after_load", app, app_len)
               : br_set_null(c, "app_data_after_load")) ||
          (loaded_hit ? br_set_int(c, "entry_len_after_load", elems)
                      : br_set_null(c, "entry_len_after_load")) ||
          br_set_int(c, "table_size_after_load", (long long)loaded);
out:
    ml_buf_free(&file);
    ml_buf_free(&rec);
    return ret;
}

const br_cmd br_proof_cmds[] = {
    {"wire_get_received_packets", cmd_wire_get_received_packets},
    {"wire_tx_bytes", cmd_wire_tx_bytes},
    {"wire_inject_raw_frame", cmd_wire_inject_raw_frame},
    {"wire_set_proof_strategy", cmd_wire_set_proof_strategy},
    {"wire_set_proof_implicit", cmd_wire_set_proof_implicit},
    {"wire_send_packet_with_proof_request", cmd_wire_send_packet_with_proof_request},
    {"wire_send_undecryptable", cmd_wire_send_undecryptable},
    {"wire_inject_single_proof_format", cmd_wire_inject_single_proof_format},
    {"wire_packet_receipt_generation", cmd_wire_packet_receipt_generation},
    {"wire_packet_receipt_timeout", cmd_wire_packet_receipt_timeout},
    {"wire_known_key_validate", cmd_wire_known_key_validate},
    {"wire_capture_lrproof_frame", cmd_wire_capture_lrproof_frame},
    {"wire_inject_crafted_link_proof", cmd_wire_inject_crafted_link_proof},
    {"wire_send_over_closed_link", cmd_wire_send_over_closed_link},
    {"wire_plain_encrypt", cmd_wire_plain_encrypt},
    {"wire_known_destinations_roundtrip", cmd_wire_known_destinations_roundtrip},
    {"wire_plain_decrypt", cmd_wire_plain_decrypt},
    {NULL, NULL},
};
