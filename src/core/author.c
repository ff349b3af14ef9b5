// SPDX-License-Identifier: MIT
// Author keys in the RNS identity-file format; the file I/O is rns_identity's.
// The private key never leaves this struct except to the signer and the
// identity file, and every copy of it is wiped on every exit path.
#include <string.h>

#include "meshlog/author.h"
#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/rns_identity.h"

void ml_author_id_of(char out[33], const uint8_t pub[64])
{
    uint8_t h[32];
    ml_sha256(h, pub, 64);
    ml_hex(out, h, 16);
}

int ml_author_from_private(ml_author *a, const uint8_t priv[64])
{
    memcpy(a->priv, priv, 64);
    if (ml_x25519_public(a->pub, a->priv) || ml_ed25519_public(a->pub + 32, a->priv + 32)) {
        ml_author_wipe(a);
        return ML_ECRYPTO;
    }
    uint8_t h[32];
    ml_sha256(h, a->pub, 64);
    memcpy(a->hash, h, 16);
    ml_hex(a->hex, a->hash, 16);
    return 0;
}

int ml_author_generate(ml_author *a)
{
    uint8_t priv[64];
    int rc = ml_random(priv, sizeof priv);
    if (!rc)
        rc = ml_author_from_private(a, priv);
    ml_wipe(priv, sizeof priv);
    return rc;
}

int ml_author_load(ml_author *a, const char *path)
{
    rns_identity *id = NULL;
    uint8_t priv[64];
    int rc = rns_identity_load(&id, path);

    if (!rc && !(rc = rns_identity_private_key(id, priv)))
        rc = ml_author_from_private(a, priv);
    ml_wipe(priv, sizeof priv);
    rns_identity_free(id);   /* wipes its copy */
    return rc;
}

int ml_author_save(const ml_author *a, const char *path)
{
    rns_identity *id = NULL;
    int rc = rns_identity_from_private(&id, a->priv);

    if (!rc)
        rc = rns_identity_save_new(id, path);   /* never replaces a key */
    rns_identity_free(id);
    return rc;
}

int ml_author_sign(const ml_author *a, uint8_t sig[64], const void *msg, size_t len)
{
    return ml_ed25519_sign(sig, a->priv + 32, msg, len);
}

void ml_author_wipe(ml_author *a)
{
    if (a)
        ml_wipe(a, sizeof *a);
}
