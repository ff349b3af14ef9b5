// SPDX-License-Identifier: MIT
// libFuzzer target for resources: advertisement decoding and the receiver's
// (and sender's) input paths. The first byte picks a mode:
//   even: the rest is an advertisement plaintext, decoded and accepted;
//   odd:  a fixed sender and a receiver of its advertisement are set up and
//         the rest is a script of records: op, then for ops 2 and 3 a
//         context byte, a length byte and that many bytes.
//         op & 3 == 0: deliver one queued payload sender -> receiver
//                   1: deliver one queued payload receiver -> sender
//                   2: fuzzed payload to the receiver, 3: to the sender
//         and with bit 2 set, time first jumps to each side's next timer.
// So fuzzed bytes meet both fresh and half-finished transfers.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meshlog/rns_resource.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t key[64] = {7, 7, 7, 7, 7, 7, 7, 7};

static void drain(rns_resource *r)
{
    ml_buf b = ML_BUF_INIT;
    uint8_t ctx;
    while (r && rns_resource_pop(r, &ctx, &b) == 1)
        ml_buf_reset(&b);
    ml_buf_free(&b);
}

static void deliver(rns_resource *from, rns_resource *to, double now)
{
    ml_buf b = ML_BUF_INIT;
    uint8_t ctx;
    if (rns_resource_pop(from, &ctx, &b) == 1)
        (void)rns_resource_input(to, ctx, b.p, b.len, now);
    ml_buf_free(&b);
}

/* Lets time jump to the resource's next timer and runs it. */
static void tick_at_deadline(rns_resource *r, double *now)
{
    double t = rns_resource_deadline(r);
    if (t < 1e9 && t > *now)
        *now = t;
    (void)rns_resource_tick(r, *now);
}

static int make_pair(rns_resource **snd, rns_resource **rcv)
{
    static uint8_t payload[1500];
    rns_resource_send_params sp;
    ml_buf adv = ML_BUF_INIT;
    uint8_t ctx;
    int ret;

    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(i * 131u >> 3);
    memset(&sp, 0, sizeof sp);
    sp.key = key;
    sp.link_mtu = 500;
    sp.data = payload;
    sp.len = sizeof payload;
    ret = rns_resource_send(snd, &sp, 0);
    if (ret == 0 && rns_resource_pop(*snd, &ctx, &adv) == 1)
        ret = rns_resource_accept(rcv, key, 500, adv.p, adv.len, 0, 0);
    ml_buf_free(&adv);
    return ret;
}

static void run_script(const uint8_t *p, size_t n)
{
    rns_resource *s = NULL, *r = NULL;
    double now = 0;
    size_t off = 0;

    if (make_pair(&s, &r) != 0)
        goto out;
    while (off < n) {
        uint8_t raw = p[off++], op = raw & 3;
        now += 0.03125;
        if (raw & 4) {
            tick_at_deadline(s, &now);
            tick_at_deadline(r, &now);
        }
        if (op == 0)
            deliver(s, r, now);
        else if (op == 1)
            deliver(r, s, now);
        else if (off + 2 <= n) {
            uint8_t ctx = p[off];
            size_t len = p[off + 1];
            off += 2;
            len = len < n - off ? len : n - off;
            (void)rns_resource_input(op == 2 ? r : s, ctx, p + off, len, now);
            off += len;
        }
    }
    drain(s);
    drain(r);
out:
    rns_resource_free(s);
    rns_resource_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rns_resource_adv a;
    rns_resource *r = NULL;

    if (size < 1)
        return 0;
    if (data[0] & 1) {
        run_script(data + 1, size - 1);
        return 0;
    }
    (void)rns_resource_adv_unpack(&a, data + 1, size - 1, rns_resource_sdu(500));
    if (rns_resource_accept(&r, key, 500, data + 1, size - 1, data[0] >> 1, 0) == 0)
        drain(r);
    rns_resource_free(r);
    return 0;
}
