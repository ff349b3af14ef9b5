// SPDX-License-Identifier: MIT
// Interface discovery: stamps, address checks, names (rns_discovery.h).
#include "meshlog/rns_discovery.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/rns_destination.h"
#include "meshlog/rns_msgpack.h"

/* ---- stamps ------------------------------------------------------------------- */

int rns_stamp_workblock(ml_buf *out, const uint8_t *material, size_t len, unsigned rounds)
{
    ml_buf salt_in = ML_BUF_INIT;
    uint8_t salt[32], block[RNS_STAMP_EXPAND_BYTES];
    size_t start;
    int ret = 0;

    if (!out || (!material && len) || rounds == 0 || rounds > 100000)
        return ML_EINVAL;
    start = out->len;
    for (unsigned n = 0; n < rounds && !ret; n++) {
        salt_in.len = 0;
        if ((ret = ml_buf_append(&salt_in, material, len)) ||
            (ret = rns_mp_put_uint(&salt_in, n)))
            break;
        ml_sha256(salt, salt_in.p, salt_in.len);
        if (!(ret = ml_hkdf_sha256(block, sizeof block, material, len, salt, sizeof salt, NULL, 0)))
            ret = ml_buf_append(out, block, sizeof block);
    }
    if (ret)
        out->len = start;
    ml_buf_free(&salt_in);
    return ret;
}

static void stamp_hash(uint8_t h[32], const uint8_t *wb, size_t wb_len, const uint8_t *stamp,
                       size_t stamp_len)
{
    ml_sha256_ctx c;
    if (ml_sha256_init(&c) || ml_sha256_update(&c, wb, wb_len) ||
        ml_sha256_update(&c, stamp, stamp_len) || ml_sha256_final(&c, h))
        memset(h, 0xFF, 32); /* a failed hash counts as no work done */
}

static unsigned leading_zeros(const uint8_t h[32])
{
    unsigned v = 0;
    for (size_t i = 0; i < 32; i++) {
        if (h[i] == 0) {
            v += 8;
            continue;
        }
        for (int b = 7; b >= 0 && !(h[i] >> b & 1); b--)
            v++;
        break;
    }
    return v;
}

unsigned rns_stamp_value(const uint8_t *workblock, size_t wb_len, const uint8_t *stamp,
                         size_t stamp_len)
{
    uint8_t h[32];
    stamp_hash(h, workblock, wb_len, stamp, stamp_len);
    return leading_zeros(h);
}

/* h <= 2^(256-cost): fewer than cost leading zeros is too big, except for
 * the single value 2^(256-cost) itself (one bit set, the rest zero). */
static int meets(const uint8_t h[32], unsigned cost)
{
    unsigned z = leading_zeros(h);
    if (cost == 0 || z >= cost)
        return 1;
    if (z + 1 != cost)
        return 0;
    /* bit 255-z is the only set bit? */
    for (size_t i = 0; i < 32; i++) {
        uint8_t want = (uint8_t)(i == z / 8 ? 0x80u >> (z % 8) : 0u);
        if (h[i] != want)
            return 0;
    }
    return 1;
}

int rns_stamp_valid(const uint8_t *workblock, size_t wb_len, const uint8_t *stamp,
                    size_t stamp_len, unsigned cost)
{
    uint8_t h[32];
    if (cost > 256)
        return 0;
    stamp_hash(h, workblock, wb_len, stamp, stamp_len);
    return meets(h, cost);
}

int rns_stamp_generate(uint8_t stamp[RNS_STAMP_SIZE], const uint8_t *workblock, size_t wb_len,
                       unsigned cost, rns_stamp_rng_fn rng, void *rng_ctx, uint64_t max_tries)
{
    if (!stamp || !rng || (!workblock && wb_len) || cost > 64)
        return ML_EINVAL;
    for (uint64_t i = 0; i < max_tries; i++) {
        int ret = rng(rng_ctx, stamp, RNS_STAMP_SIZE);
        if (ret)
            return ret;
        if (rns_stamp_valid(workblock, wb_len, stamp, RNS_STAMP_SIZE, cost))
            return 0;
    }
    return ML_ETIMEOUT;
}

/* ---- addresses ---------------------------------------------------------------- */

int rns_discovery_is_ip_address(const char *s)
{
    unsigned char buf[16];
    return s && (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1);
}

int rns_discovery_is_ygg_ipv6(const char *s)
{
    unsigned char a[16];
    return s && inet_pton(AF_INET6, s, a) == 1 && (a[0] & 0xFE) == 0x02;
}

static int label_ok(const char *a, size_t n)
{
    if (n < 1 || n > 63 || a[0] == '-' || a[n - 1] == '-')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)a[i]) || (unsigned char)a[i] > 0x7F)
            if (a[i] != '-')
                return 0;
    return 1;
}

int rns_discovery_is_hostname(const char *s)
{
    size_t n, start = 0, last_start = 0;
    int all_digits = 1;

    if (!s || !*s)
        return 0;
    n = strlen(s);
    if (s[n - 1] == '.')
        n--;
    if (n > 253)
        return 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.')
            continue;
        if (!label_ok(s + start, i - start))
            return 0;
        last_start = start;
        start = i + 1;
    }
    for (size_t i = last_start; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            all_digits = 0;
    return !all_digits;
}

/* ---- names --------------------------------------------------------------------- */

static int is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f); }

static void strip(char *s)
{
    size_t n = strlen(s), a = 0;
    while (n && is_space(s[n - 1]))
        n--;
    while (a < n && is_space(s[a]))
        a++;
    memmove(s, s + a, n - a);
    s[n - a] = '\0';
}

/* Replaces every run of k spaces by one, left to right, as str.replace does. */
static void collapse(char *s, size_t k)
{
    char *w = s;
    for (const char *r = s; *r;) {
        size_t i = 0;
        while (i < k && r[i] == ' ')
            i++;
        if (i == k) {
            *w++ = ' ';
            r += k;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
}

void rns_discovery_sanitize_name(char *out, const char *in)
{
    size_t n = 0, a = 0;

    for (const char *p = in; p && *p; p++)
        if (!((unsigned char)*p & 0x80))
            out[n++] = *p;
    out[n] = '\0';
    strip(out);
    collapse(out, 5);
    collapse(out, 3);
    collapse(out, 2);
    n = strlen(out);
    while (a < n && !isalnum((unsigned char)out[a]))
        a++;
    while (n > a && !isalnum((unsigned char)out[n - 1]) && out[n - 1] != ')')
        n--;
    memmove(out, out + a, n - a);
    out[n - a] = '\0';
}

void rns_discovery_sanitize(char *out, const char *in)
{
    size_t n = 0;
    for (const char *p = in; p && *p; p++)
        if (*p != '\n' && *p != '\r')
            out[n++] = *p;
    out[n] = '\0';
    strip(out);
}

/* ---- autoconnect ---------------------------------------------------------------------- */

int rns_discovery_autoconnect(const char *type, const char *reachable_on)
{
    if (!type || !reachable_on || strcmp(type, "BackboneInterface") != 0)
        return 0;
    return !rns_discovery_is_ygg_ipv6(reachable_on);
}

void rns_discovery_endpoint_hash(uint8_t out[32], const char *reachable_on, long port)
{
    char tail[32] = "";
    ml_sha256_ctx c;

    if (port >= 0)
        snprintf(tail, sizeof tail, ":%ld", port);
    if (!reachable_on)
        reachable_on = "";
    if (ml_sha256_init(&c) || ml_sha256_update(&c, reachable_on, strlen(reachable_on)) ||
        ml_sha256_update(&c, tail, strlen(tail)) || ml_sha256_final(&c, out))
        memset(out, 0, 32);
}

/* ---- the discovery destination ------------------------------------------------------- */

int rns_discovery_destination(uint8_t dest[RNS_HASHLEN], const rns_identity *network_identity,
                              const rns_identity *transport_identity,
                              const rns_identity **chosen)
{
    static const char *const aspects[] = {"discovery", "interface"};
    const rns_identity *id = network_identity ? network_identity : transport_identity;

    if (!dest || !id)
        return ML_EINVAL;
    if (chosen)
        *chosen = id;
    return rns_destination_hash_for(dest, NULL, RNS_DEST_SINGLE, RNS_DISCOVERY_APP_NAME, aspects,
                                    2, id);
}
