// SPDX-License-Identifier: MIT
// AutoInterface helpers (see include/meshlog/rns_autoif.h): the multicast
// discovery address, the discovery token and link-local address descoping.
// Everything here is a pure function of its inputs, so the interface driver,
// the simulator and the vector tests share it.
#include "meshlog/rns_autoif.h"

#include <stdio.h>
#include <string.h>

#include "meshlog/crypto.h"
#include "meshlog/error.h"

/* The reference builds the text itself instead of asking the OS for canonical
 * form, so each word is printed "%02x": the text differs from inet_ntop only
 * for words below 0x10, and the binary form is what sockets use anyway. */
static int addr_text(char *text, size_t cap, const uint8_t addr[16])
{
    int n = snprintf(text, cap, "ff%x%x:0", (unsigned)(addr[1] >> 4), (unsigned)(addr[1] & 0xf));
    for (size_t i = 4; i < 16 && n > 0 && (size_t)n < cap; i += 2) {
        unsigned w = ((unsigned)addr[i] << 8) | addr[i + 1];
        n += snprintf(text + n, cap - (size_t)n, ":%02x", w);
    }
    return (n > 0 && (size_t)n < cap) ? 0 : ML_EINVAL;
}

int rns_autoif_mcast_addr(uint8_t addr[16], char *text, size_t text_cap,
                          const char *group, size_t group_len,
                          unsigned addr_type, unsigned scope)
{
    uint8_t g[32];
    int ret = ML_EINVAL;

    if (!addr || (!group && group_len) || addr_type > 0xf || scope > 0xf)
        goto out;
    if (text && text_cap < RNS_AUTOIF_ADDR_TEXT_MAX)
        goto out;
    ml_sha256(g, group, group_len);
    addr[0] = 0xff;
    addr[1] = (uint8_t)((addr_type << 4) | scope);
    addr[2] = 0;
    addr[3] = 0;
    memcpy(addr + 4, g + 2, 12);
    ret = text ? addr_text(text, text_cap, addr) : 0;
out:
    return ret;
}

int rns_autoif_token(uint8_t out[RNS_AUTOIF_TOKEN_LEN], const char *group,
                     size_t group_len, const char *addr, size_t addr_len)
{
    ml_sha256_ctx c;
    uint8_t tmp[32];
    int ret = ML_EINVAL;

    if (!out || (!group && group_len) || (!addr && addr_len))
        goto out;
    ret = ml_sha256_init(&c);
    if (ret)
        goto out;
    if ((ret = ml_sha256_update(&c, group, group_len)) != 0 ||
        (ret = ml_sha256_update(&c, addr, addr_len)) != 0) {
        ml_sha256_abort(&c);
        goto out;
    }
    ret = ml_sha256_final(&c, tmp);
    if (ret == 0)
        memcpy(out, tmp, sizeof tmp);
out:
    return ret;
}

static int is_lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Length of an embedded-scope match "fe80:<hex>*::" at s[0..n), else 0. */
static size_t embedded_scope_len(const char *s, size_t n)
{
    size_t j = 5;
    if (n < 7 || memcmp(s, "fe80:", 5) != 0)
        return 0;
    while (j < n && is_lower_hex(s[j]))
        j++;
    return (j + 2 <= n && s[j] == ':' && s[j + 1] == ':') ? j + 2 : 0;
}

int rns_autoif_descope(char *out, size_t out_cap, const char *in)
{
    size_t n, i = 0, o = 0;
    int ret = ML_EINVAL;

    if (!out || !in)
        goto out;
    n = strcspn(in, "%");
    while (i < n) {
        size_t m = embedded_scope_len(in + i, n - i);
        const char *src = m ? "fe80::" : in + i;
        size_t take = m ? 6 : 1;
        if (o + take >= out_cap)
            goto out;
        memcpy(out + o, src, take);
        o += take;
        i += m ? m : 1;
    }
    if (o >= out_cap)
        goto out;
    out[o] = '\0';
    ret = 0;
out:
    return ret;
}
