// SPDX-License-Identifier: MIT
// Making and validating Reticulum announces (see rns_announce.h). Validation
// is the gate for every public key this node learns from the network, so it
// checks lengths first, then the signature, then that the destination hash
// really is derived from the announced key, then the caller's known key.
#include <string.h>

#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/rns_announce.h"

#define PUBKEY_OFF 0
#define NAME_OFF (PUBKEY_OFF + RNS_KEYSIZE)
#define RANDOM_OFF (NAME_OFF + RNS_NAME_HASHLEN)
#define RATCHET_OFF (RANDOM_OFF + RNS_RANDOM_HASHLEN)
#define MAX_EMISSION_TIME ((uint64_t)1 << 40)

/* signed data = destination | public key | name hash | random hash | ratchet | app data.
 * The first four are contiguous in both the payload and dest||payload. */
static int signed_data(ml_buf *out, const uint8_t dest[RNS_HASHLEN], const uint8_t *fields,
                       const uint8_t *ratchet, const uint8_t *app_data, size_t app_len)
{
    int ret = ml_buf_append(out, dest, RNS_HASHLEN);

    if (!ret)
        ret = ml_buf_append(out, fields, RATCHET_OFF);
    if (!ret && ratchet)
        ret = ml_buf_append(out, ratchet, RNS_RATCHETLEN);
    if (!ret && app_len)
        ret = ml_buf_append(out, app_data, app_len);
    return ret;
}

/* public key | name hash | random hash, the shared start of the payload. */
static void fixed_fields(uint8_t f[RATCHET_OFF], const rns_identity *id,
                         const rns_announce_params *ap)
{
    uint8_t rnd[32];

    memcpy(f + PUBKEY_OFF, rns_identity_public_key(id), RNS_KEYSIZE);
    memcpy(f + NAME_OFF, ap->name_hash, RNS_NAME_HASHLEN);
    ml_sha256(rnd, ap->random16, 16);
    memcpy(f + RANDOM_OFF, rnd, 5);
    for (int i = 0; i < 5; i++)
        f[RANDOM_OFF + 5 + i] = (uint8_t)(ap->now >> (8 * (4 - i)));
}

int rns_announce_make(ml_buf *out, const rns_identity *id, const rns_announce_params *ap)
{
    uint8_t fields[RATCHET_OFF], sig[RNS_SIGLEN];
    ml_buf signd = ML_BUF_INIT, payload = ML_BUF_INIT;
    rns_packet p;
    int ret = ML_EINVAL;

    if (!ap->name_hash || !ap->random16 || ap->now >= MAX_EMISSION_TIME ||
        (ap->app_data_len && !ap->app_data))
        return ML_EINVAL;
    if (!rns_identity_has_private(id))
        return ML_ESTATE;
    memset(&p, 0, sizeof p);
    p.packet_type = RNS_PACKET_ANNOUNCE;
    p.dest_type = RNS_DEST_SINGLE;
    p.context = ap->context;
    p.context_flag = ap->ratchet_pub ? 1 : 0;
    rns_destination_hash(p.dest_hash, ap->name_hash, rns_identity_hash(id));
    fixed_fields(fields, id, ap);
    if ((ret = signed_data(&signd, p.dest_hash, fields, ap->ratchet_pub, ap->app_data,
                           ap->app_data_len)))
        goto out;
    if ((ret = rns_identity_sign(id, sig, signd.p, signd.len)))
        goto out;
    /* The payload is the signed data without the destination, with the
     * signature placed before the app data. */
    if ((ret = ml_buf_append(&payload, signd.p + RNS_HASHLEN,
                             signd.len - RNS_HASHLEN - ap->app_data_len)) ||
        (ret = ml_buf_append(&payload, sig, sizeof sig)) ||
        (ret = ml_buf_append(&payload, ap->app_data, ap->app_data_len)))
        goto out;
    p.data = payload.p;
    p.data_len = payload.len;
    ret = rns_packet_pack(out, &p);
out:
    ml_buf_free(&signd);
    ml_buf_free(&payload);
    return ret;
}

int rns_announce_parse(rns_announce *a, const rns_packet *p)
{
    size_t need = RNS_ANNOUNCE_MINLEN + (p->context_flag ? RNS_RATCHETLEN : 0);
    size_t sig_off = RATCHET_OFF + (p->context_flag ? RNS_RATCHETLEN : 0);
    const uint8_t *d = p->data;

    memset(a, 0, sizeof *a);
    if (p->packet_type != RNS_PACKET_ANNOUNCE)
        return ML_EINVAL;
    if (!d || p->data_len < need)
        return ML_EMALFORMED;
    memcpy(a->dest_hash, p->dest_hash, RNS_HASHLEN);
    a->public_key = d + PUBKEY_OFF;
    a->name_hash = d + NAME_OFF;
    a->random_hash = d + RANDOM_OFF;
    a->ratchet = p->context_flag ? d + RATCHET_OFF : NULL;
    a->signature = d + sig_off;
    if (p->data_len > need) {
        a->app_data = d + need;
        a->app_data_len = p->data_len - need;
    }
    for (int i = 5; i < RNS_RANDOM_HASHLEN; i++)
        a->emitted = a->emitted << 8 | a->random_hash[i];
    return 0;
}

/* Signature over the announce's signed data with the announced key. */
static int check_signature(const rns_announce *a)
{
    ml_buf signd = ML_BUF_INIT;
    int ret = signed_data(&signd, a->dest_hash, a->public_key, a->ratchet, a->app_data,
                          a->app_data_len);

    if (ret == 0)
        ret = ml_ed25519_verify(a->signature, a->public_key + 32, signd.p, signd.len);
    ml_buf_free(&signd);
    return ret;
}

static int check_destination(const rns_announce *a)
{
    uint8_t id_hash[RNS_HASHLEN], expected[RNS_HASHLEN];

    rns_identity_hash_of(id_hash, a->public_key);
    rns_destination_hash(expected, a->name_hash, id_hash);
    return memcmp(expected, a->dest_hash, RNS_HASHLEN) ? ML_EBADID : 0;
}

int rns_announce_validate(rns_announce *a, const rns_packet *p, const uint8_t *known_pub,
                          enum rns_announce_reason *reason)
{
    enum rns_announce_reason why = RNS_ANNOUNCE_VALID;
    int ret = rns_announce_parse(a, p);

    if (ret == ML_EINVAL)
        why = RNS_ANNOUNCE_NOT_ANNOUNCE;
    else if (ret)
        why = RNS_ANNOUNCE_TRUNCATED;
    else if ((ret = check_signature(a)) != 0)
        why = RNS_ANNOUNCE_BAD_SIGNATURE;
    else if ((ret = check_destination(a)) != 0)
        why = RNS_ANNOUNCE_DEST_MISMATCH;
    else if (known_pub && memcmp(known_pub, a->public_key, RNS_KEYSIZE)) {
        why = RNS_ANNOUNCE_KEY_CONFLICT;
        ret = ML_EEXIST;
    }
    if (reason)
        *reason = why;
    return ret;
}

static const char *const reason_text[] = {
    [RNS_ANNOUNCE_VALID] = "valid",
    [RNS_ANNOUNCE_NOT_ANNOUNCE] = "not an announce packet",
    [RNS_ANNOUNCE_TRUNCATED] = "announce payload truncated",
    [RNS_ANNOUNCE_BAD_SIGNATURE] = "announce signature does not verify",
    [RNS_ANNOUNCE_DEST_MISMATCH] = "destination hash does not match the announced key",
    [RNS_ANNOUNCE_KEY_CONFLICT] = "destination already known with a different key",
};

const char *rns_announce_reason_str(enum rns_announce_reason reason)
{
    if ((unsigned)reason >= sizeof reason_text / sizeof reason_text[0])
        return "unknown reason";
    return reason_text[reason];
}
