// SPDX-License-Identifier: MIT
// libFuzzer target for the link state machine's receive path. A link pair is
// established with fixed keys; then the first input byte picks a mode:
//   even: the rest is a raw packet, retargeted to the link id, fed to both ends;
//   odd:  byte 1 is a context and the rest a plaintext that the initiator
//         encrypts and sends, so the responder's decrypted-payload parsers
//         (LRRTT, identify, request, response, close) see fuzzed bytes.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meshlog/rns_link.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rng_state;

static int rng(void *ctx, void *out, size_t len)
{
    uint8_t *o = out;
    (void)ctx;
    for (size_t i = 0; i < len; i++) {
        rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
        o[i] = (uint8_t)(rng_state >> 56);
    }
    return 0;
}

static void drain(rns_link *l)
{
    ml_buf b = ML_BUF_INIT;
    rns_link_event ev;

    if (!l)
        return;
    while (rns_link_pop_packet(l, &b) == 1)
        ml_buf_reset(&b);
    while (rns_link_pop_event(l, &ev))
        rns_link_event_clear(&ev);
    ml_buf_free(&b);
}

/* Moves one packet from `from` to `to`; 0 when there was none. */
static int deliver(rns_link *from, rns_link *to, double now)
{
    ml_buf b = ML_BUF_INIT;
    rns_packet p;
    int moved = rns_link_pop_packet(from, &b) == 1;

    if (moved && rns_packet_unpack(&p, b.p, b.len) == 0)
        (void)rns_link_receive(to, &p, now);
    ml_buf_free(&b);
    return moved;
}

static int make_pair(rns_link **ini, rns_link **res, rns_identity *bob)
{
    uint8_t dh[RNS_HASHLEN] = {1};
    rns_link_initiate_params ip = {dh, bob, 500, NULL, 1, 0, 1, rng, NULL, 0};
    rns_link_accept_params ap = {bob, 500, 1, 1, rng, NULL};
    ml_buf b = ML_BUF_INIT;
    rns_packet p;
    int ret;

    rng_state = 42;
    if ((ret = rns_link_initiate(ini, &ip, 1000)) || rns_link_pop_packet(*ini, &b) != 1 ||
        (ret = rns_packet_unpack(&p, b.p, b.len)) || (ret = rns_link_accept(res, &ap, &p, 1001)))
        abort();
    ml_buf_free(&b);
    deliver(*res, *ini, 1002);
    deliver(*ini, *res, 1003);
    drain(*ini);
    drain(*res);
    return rns_link_state(*res) == RNS_LINK_ACTIVE ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static rns_identity *bob;
    static const uint8_t priv[RNS_KEYSIZE] = {7, 7, 7};
    rns_link *ini = NULL, *res = NULL;
    rns_packet p;

    if (!bob && rns_identity_from_private(&bob, priv))
        abort();
    if (size < 2 || make_pair(&ini, &res, bob))
        goto out;
    if (data[0] & 1) {
        if (rns_link_send(ini, data[1], data + 2, size - 2, 1004, NULL) == 0)
            deliver(ini, res, 1005);
    } else if (rns_packet_unpack(&p, data + 1, size - 1) == 0) {
        memcpy(p.dest_hash, rns_link_id(ini), RNS_HASHLEN);
        (void)rns_link_receive(ini, &p, 1004);
        (void)rns_link_receive(res, &p, 1004);
    }
    /* Whatever state that left, the timers and teardown must cope. */
    (void)rns_link_tick(ini, 5000);
    (void)rns_link_tick(res, 5000);
    (void)rns_link_close(res, 5001);
out:
    drain(ini);
    drain(res);
    rns_link_free(ini);
    rns_link_free(res);
    return 0;
}
