// SPDX-License-Identifier: MIT
// Destination names and hashes (see rns_destination.h). The identity's hex
// hash is never part of the hashed name: only the bare dotted app name is.
#include <string.h>

#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/rns_destination.h"

static int name_part_ok(const char *s)
{
    return s && !strchr(s, '.');
}

int rns_destination_name(ml_buf *out, const char *app_name, const char *const *aspects,
                         size_t n_aspects)
{
    size_t start = out->len;
    int ret = ML_EINVAL;

    if (!name_part_ok(app_name) || !*app_name || (n_aspects && !aspects))
        return ML_EINVAL;
    for (size_t i = 0; i < n_aspects; i++)
        if (!name_part_ok(aspects[i]))
            return ML_EINVAL;
    if ((ret = ml_buf_puts(out, app_name)))
        goto out;
    for (size_t i = 0; i < n_aspects && !ret; i++) {
        ret = ml_buf_putc(out, '.');
        if (!ret)
            ret = ml_buf_puts(out, aspects[i]);
    }
out:
    if (ret && out->p) {
        out->len = start;
        out->p[start] = 0;
    }
    return ret;
}

int rns_name_hash(uint8_t out[RNS_NAME_HASHLEN], const char *app_name,
                  const char *const *aspects, size_t n_aspects)
{
    ml_buf name = ML_BUF_INIT;
    uint8_t full[32];
    int ret = rns_destination_name(&name, app_name, aspects, n_aspects);

    if (ret == 0) {
        ml_sha256(full, name.p, name.len);
        memcpy(out, full, RNS_NAME_HASHLEN);
    }
    ml_buf_free(&name);
    return ret;
}

void rns_destination_hash(uint8_t out[RNS_HASHLEN], const uint8_t name_hash[RNS_NAME_HASHLEN],
                          const uint8_t *identity_hash)
{
    uint8_t material[RNS_NAME_HASHLEN + RNS_HASHLEN];
    size_t n = RNS_NAME_HASHLEN;

    memcpy(material, name_hash, RNS_NAME_HASHLEN);
    if (identity_hash) {
        memcpy(material + n, identity_hash, RNS_HASHLEN);
        n += RNS_HASHLEN;
    }
    rns_truncated_hash(out, material, n);
}

int rns_destination_hash_for(uint8_t out[RNS_HASHLEN], uint8_t *name_hash_out,
                             enum rns_dest_type type, const char *app_name,
                             const char *const *aspects, size_t n_aspects,
                             const rns_identity *id)
{
    uint8_t nh[RNS_NAME_HASHLEN];
    int ret;

    if ((type == RNS_DEST_SINGLE && !id) || (type == RNS_DEST_PLAIN && id) ||
        type == RNS_DEST_LINK || (unsigned)type > RNS_DEST_LINK)
        return ML_EINVAL;
    if ((ret = rns_name_hash(nh, app_name, aspects, n_aspects)))
        return ret;
    rns_destination_hash(out, nh, id ? rns_identity_hash(id) : NULL);
    if (name_hash_out)
        memcpy(name_hash_out, nh, sizeof nh);
    return 0;
}
