// SPDX-License-Identifier: MIT
// Interface access codes (see rns_ifac.h). Outbound: sign the packet with the
// interface's Ed25519 key, keep the last ifac_size bytes of the signature as
// the code, insert it after the two header bytes and XOR everything but the
// code with a mask derived from (code, interface key). Inbound undoes the
// mask, takes the code out and recomputes it. The mask is written straight
// over the output buffer block by block, so no scratch copy of the packet is
// made. Derivation and layout follow docs/reticulum-notes.md A.12.
#include <stdlib.h>
#include <string.h>

#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/rns_ifac.h"

static const uint8_t ifac_salt[32] = {
    0xad, 0xf5, 0x4d, 0x88, 0x2c, 0x9a, 0x9b, 0x80, 0x77, 0x1e, 0xb4, 0x99, 0x5d, 0x70, 0x2d, 0x4a,
    0x3e, 0x73, 0x33, 0x91, 0xb2, 0xa0, 0xf5, 0x3f, 0x41, 0x6d, 0x9f, 0x90, 0x7e, 0x55, 0xcf, 0xf8,
};

struct rns_ifac {
    uint8_t key[RNS_IFAC_KEY_LEN]; /* X25519 private ‖ Ed25519 seed */
    uint8_t pub[64];               /* X25519 public ‖ Ed25519 public */
    size_t size;                   /* code length in bytes */
};

static int derive_key(rns_ifac *ifac, const char *network_name, const char *passphrase)
{
    uint8_t origin[64], origin_hash[32];
    size_t n = 0;
    if (network_name) {
        ml_sha256(origin + n, network_name, strlen(network_name));
        n += 32;
    }
    if (passphrase) {
        ml_sha256(origin + n, passphrase, strlen(passphrase));
        n += 32;
    }
    ml_sha256(origin_hash, origin, n);
    int ret = ml_hkdf_sha256(ifac->key, sizeof ifac->key, origin_hash, sizeof origin_hash,
                             ifac_salt, sizeof ifac_salt, NULL, 0);
    if (ret == 0)
        ret = ml_x25519_public(ifac->pub, ifac->key);
    if (ret == 0)
        ret = ml_ed25519_public(ifac->pub + 32, ifac->key + 32);
    ml_wipe(origin, sizeof origin);
    ml_wipe(origin_hash, sizeof origin_hash);
    return ret;
}

int rns_ifac_new(rns_ifac **out, const char *network_name, const char *passphrase,
                 size_t ifac_size)
{
    int ret = ML_EINVAL;
    rns_ifac *ifac = NULL;
    if (!out || (!network_name && !passphrase) || ifac_size < RNS_IFAC_MIN_SIZE ||
        ifac_size > RNS_IFAC_MAX_SIZE)
        goto out;
    ret = ML_ENOMEM;
    ifac = calloc(1, sizeof *ifac);
    if (!ifac)
        goto out;
    ifac->size = ifac_size;
    ret = derive_key(ifac, network_name, passphrase);
    if (ret)
        goto out;
    *out = ifac;
    ifac = NULL;
out:
    rns_ifac_free(ifac);
    return ret;
}

void rns_ifac_free(rns_ifac *ifac)
{
    if (!ifac)
        return;
    ml_wipe(ifac, sizeof *ifac);
    free(ifac);
}

size_t rns_ifac_size(const rns_ifac *ifac)
{
    return ifac ? ifac->size : 0;
}

void rns_ifac_key(const rns_ifac *ifac, uint8_t key[RNS_IFAC_KEY_LEN])
{
    memcpy(key, ifac->key, sizeof ifac->key);
}

void rns_ifac_public_key(const rns_ifac *ifac, uint8_t pub[64])
{
    memcpy(pub, ifac->pub, sizeof ifac->pub);
}

/* XORs buf[0..len) with HKDF(len, ikm = code, salt = key), except the code
 * bytes at buf[2..2+size). HKDF is expanded here rather than with
 * ml_hkdf_sha256 because the reference lets the block counter wrap modulo 256,
 * so masks for packets over 8160 bytes (links over TCP reach 8192) go past the
 * RFC 5869 limit; below it the two are identical. */
static void xor_mask(uint8_t *buf, size_t len, const rns_ifac *ifac, const uint8_t *code)
{
    uint8_t prk[32], block[33], t[32];
    size_t prev = 0;
    ml_hmac_sha256(prk, ifac->key, sizeof ifac->key, code, ifac->size);
    for (size_t off = 0, i = 1; off < len; i++) {
        block[prev] = (uint8_t)i;   /* the counter byte, wrapping */
        ml_hmac_sha256(t, prk, sizeof prk, block, prev + 1);
        for (size_t k = 0; k < sizeof t && off < len; k++, off++)
            if (off < 2 || off >= 2 + ifac->size)
                buf[off] ^= t[k];
        memcpy(block, t, sizeof t);
        prev = sizeof t;
    }
    ml_wipe(prk, sizeof prk);
    ml_wipe(block, sizeof block);
    ml_wipe(t, sizeof t);
}

/* The access code of packet raw: the tail of its Ed25519 signature. */
static int make_code(const rns_ifac *ifac, const uint8_t *raw, size_t len,
                     uint8_t code[RNS_IFAC_MAX_SIZE])
{
    uint8_t sig[64];
    int ret = ml_ed25519_sign(sig, ifac->key + 32, raw, len);
    if (ret == 0)
        memcpy(code, sig + sizeof sig - ifac->size, ifac->size);
    return ret;
}

int rns_ifac_outbound(const rns_ifac *ifac, ml_buf *out, const uint8_t *raw, size_t len)
{
    int ret = ML_EINVAL;
    uint8_t code[RNS_IFAC_MAX_SIZE];
    if (!out || !raw || len < 2)
        goto out;
    if (!ifac) {
        ret = ml_buf_append(out, raw, len);
        goto out;
    }
    ret = make_code(ifac, raw, len, code);
    if (ret == 0)
        ret = ml_buf_reserve(out, len + ifac->size);
    if (ret)
        goto out;
    uint8_t *w = out->p + out->len;
    w[0] = raw[0] | RNS_IFAC_FLAG;
    w[1] = raw[1];
    memcpy(w + 2, code, ifac->size);
    memcpy(w + 2 + ifac->size, raw + 2, len - 2);
    xor_mask(w, len + ifac->size, ifac, code);
    w[0] |= RNS_IFAC_FLAG;
    out->len += len + ifac->size;
    out->p[out->len] = 0;
out:
    return ret;
}

static int pass_through(ml_buf *out, const uint8_t *in, size_t len)
{
    if (len >= 1 && (in[0] & RNS_IFAC_FLAG))
        return ML_EAUTH;   /* a code we have no key for */
    return ml_buf_append(out, in, len);
}

/* Unmasks in into out's spare room, drops the code, checks it; commits out
 * only when it matches. */
static int unmask_and_check(const rns_ifac *ifac, ml_buf *out, const uint8_t *in,
                            size_t len)
{
    uint8_t want[RNS_IFAC_MAX_SIZE];
    const uint8_t *code = in + 2;
    size_t plen = len - ifac->size;
    int ret = ml_buf_reserve(out, len);
    if (ret)
        return ret;
    uint8_t *w = out->p + out->len;
    memcpy(w, in, len);
    xor_mask(w, len, ifac, code);
    w[0] &= (uint8_t)~RNS_IFAC_FLAG;
    memmove(w + 2, w + 2 + ifac->size, len - 2 - ifac->size);
    ret = make_code(ifac, w, plen, want);
    if (ret == 0 && ml_ct_memcmp(want, code, ifac->size) != 0)
        ret = ML_EAUTH;
    if (ret == 0)
        out->len += plen;
    out->p[out->len] = 0;
    return ret;
}

int rns_ifac_inbound(const rns_ifac *ifac, ml_buf *out, const uint8_t *in, size_t len)
{
    int ret = ML_EINVAL;
    if (!out || (!in && len))
        goto out;
    if (!ifac) {
        ret = pass_through(out, in, len);
        goto out;
    }
    ret = ML_EMALFORMED;
    if (len < 1)
        goto out;
    ret = ML_EAUTH;
    if (!(in[0] & RNS_IFAC_FLAG))
        goto out;
    ret = ML_EMALFORMED;
    if (len <= 2 + ifac->size)
        goto out;
    ret = unmask_and_check(ifac, out, in, len);
out:
    return ret;
}
