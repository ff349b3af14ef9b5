// SPDX-License-Identifier: MIT
// Reticulum identities (see rns_identity.h): key handling, hashes, signing,
// Identity.encrypt/decrypt to SINGLE destinations (ephemeral X25519 + HKDF
// salted with the identity hash + token), and the 64-byte identity file.
// Private keys live only inside struct rns_identity and are wiped on free.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/rns_identity.h"

#define X25519_LEN 32
#define DERIVED_KEY_LEN 64

struct rns_identity {
    int has_private;
    int keyless;                  /* neither key loaded (rns_identity_new_keyless) */
    uint8_t x_priv[X25519_LEN];
    uint8_t ed_seed[32];
    uint8_t pub[RNS_KEYSIZE];     /* X25519 public || Ed25519 public */
    uint8_t hash[RNS_HASHLEN];
};

void rns_truncated_hash(uint8_t out[RNS_HASHLEN], const void *data, size_t len)
{
    uint8_t full[32];
    ml_sha256(full, data, len);
    memcpy(out, full, RNS_HASHLEN);
}

void rns_random_hash(uint8_t out[RNS_HASHLEN], const uint8_t random16[16])
{
    rns_truncated_hash(out, random16, 16);
}

void rns_identity_hash_of(uint8_t out[RNS_HASHLEN], const uint8_t pub[RNS_KEYSIZE])
{
    rns_truncated_hash(out, pub, RNS_KEYSIZE);
}

void rns_ratchet_id(uint8_t out[RNS_RATCHET_ID_LEN], const uint8_t ratchet_pub[32])
{
    uint8_t full[32];
    ml_sha256(full, ratchet_pub, 32);
    memcpy(out, full, RNS_RATCHET_ID_LEN);
}

int rns_identity_from_private(rns_identity **out, const uint8_t priv[RNS_KEYSIZE])
{
    int ret = ML_ENOMEM;
    rns_identity *id = calloc(1, sizeof *id);

    *out = NULL;
    if (!id)
        goto out;
    memcpy(id->x_priv, priv, X25519_LEN);
    memcpy(id->ed_seed, priv + X25519_LEN, 32);
    id->has_private = 1;
    if ((ret = ml_x25519_public(id->pub, id->x_priv)))
        goto out;
    if ((ret = ml_ed25519_public(id->pub + X25519_LEN, id->ed_seed)))
        goto out;
    rns_identity_hash_of(id->hash, id->pub);
    *out = id;
    id = NULL;
out:
    rns_identity_free(id);
    return ret;
}

int rns_identity_from_public(rns_identity **out, const uint8_t pub[RNS_KEYSIZE])
{
    rns_identity *id = calloc(1, sizeof *id);

    *out = NULL;
    if (!id)
        return ML_ENOMEM;
    memcpy(id->pub, pub, RNS_KEYSIZE);
    rns_identity_hash_of(id->hash, id->pub);
    *out = id;
    return 0;
}

int rns_identity_new_keyless(rns_identity **out)
{
    rns_identity *id = calloc(1, sizeof *id);

    *out = id;
    if (!id)
        return ML_ENOMEM;
    id->keyless = 1;
    return 0;
}

int rns_identity_has_public(const rns_identity *id)
{
    return !id->keyless;
}

void rns_identity_free(rns_identity *id)
{
    if (!id)
        return;
    ml_wipe(id, sizeof *id);
    free(id);
}

int rns_identity_has_private(const rns_identity *id)
{
    return id->has_private;
}

const uint8_t *rns_identity_public_key(const rns_identity *id)
{
    return id->pub;
}

const uint8_t *rns_identity_hash(const rns_identity *id)
{
    return id->hash;
}

int rns_identity_private_key(const rns_identity *id, uint8_t out[RNS_KEYSIZE])
{
    if (!id->has_private)
        return ML_ESTATE;
    memcpy(out, id->x_priv, X25519_LEN);
    memcpy(out + X25519_LEN, id->ed_seed, 32);
    return 0;
}

int rns_identity_sign(const rns_identity *id, uint8_t sig[RNS_SIGLEN], const void *msg,
                      size_t len)
{
    if (!id->has_private)
        return ML_ESTATE;
    return ml_ed25519_sign(sig, id->ed_seed, msg, len);
}

int rns_identity_verify(const rns_identity *id, const uint8_t sig[RNS_SIGLEN],
                        const void *msg, size_t len)
{
    if (id->keyless)
        return ML_ESTATE;
    return ml_ed25519_verify(sig, id->pub + X25519_LEN, msg, len) ? ML_EBADSIG : 0;
}

/* key = HKDF(X25519(priv, pub), salt = identity hash): the packet key of
 * both directions of Identity.encrypt/decrypt. */
static int derive_key(uint8_t key[DERIVED_KEY_LEN], const uint8_t priv[32],
                      const uint8_t pub[32], const uint8_t salt[RNS_HASHLEN])
{
    uint8_t shared[32];
    int ret = ml_x25519(shared, priv, pub);

    if (ret == 0)
        ret = ml_hkdf_sha256(key, DERIVED_KEY_LEN, shared, sizeof shared, salt,
                             RNS_HASHLEN, NULL, 0);
    ml_wipe(shared, sizeof shared);
    return ret;
}

int rns_identity_encrypt(const rns_identity *id, ml_buf *out, const uint8_t *pt, size_t len,
                         const uint8_t *ratchet_pub, const uint8_t eph_priv[32],
                         const uint8_t iv[16])
{
    uint8_t eph_pub[32], key[DERIVED_KEY_LEN];
    const uint8_t *target = ratchet_pub ? ratchet_pub : id->pub;
    size_t start = out->len;
    int ret;

    if (id->keyless)
        return ML_ESTATE;

    if ((ret = ml_x25519_public(eph_pub, eph_priv)))
        goto out;
    if ((ret = derive_key(key, eph_priv, target, id->hash)))
        goto out;
    if ((ret = ml_buf_append(out, eph_pub, sizeof eph_pub)))
        goto out;
    ret = ml_token_encrypt(out, key, iv, pt, len);
out:
    if (ret && out->p) {
        out->len = start;
        out->p[start] = 0;
    }
    ml_wipe(key, sizeof key);
    return ret;
}

/* One decryption attempt with one X25519 private key. */
static int try_decrypt(const rns_identity *id, ml_buf *out, const uint8_t priv[32],
                       const uint8_t *ct, size_t len)
{
    uint8_t key[DERIVED_KEY_LEN];
    int ret = derive_key(key, priv, ct, id->hash);

    /* A low-order ephemeral key gives no shared secret: the token cannot be
     * for us, which is an authentication failure, not a library fault. */
    if (ret == ML_ECRYPTO)
        ret = ML_EAUTH;
    if (ret == 0)
        ret = ml_token_decrypt(out, key, ct + 32, len - 32);
    ml_wipe(key, sizeof key);
    return ret;
}

int rns_identity_decrypt(const rns_identity *id, ml_buf *out, const uint8_t *ct, size_t len,
                         const uint8_t (*ratchets)[32], size_t n_ratchets,
                         int enforce_ratchets, int *used_ratchet)
{
    int ret = ML_EAUTH;

    if (used_ratchet)
        *used_ratchet = -1;
    if (!id->has_private)
        return ML_ESTATE;
    /* ephemeral key(32) + IV(16) + one block(16) + HMAC(32) */
    if (!ct || len < 32 + RNS_TOKEN_OVERHEAD + 16)
        return ML_EMALFORMED;
    for (size_t i = 0; i < n_ratchets; i++) {
        ret = try_decrypt(id, out, ratchets[i], ct, len);
        if (ret == 0) {
            if (used_ratchet)
                *used_ratchet = (int)i;
            return 0;
        }
    }
    if (!enforce_ratchets)
        ret = try_decrypt(id, out, id->x_priv, ct, len);
    return ret;
}

int rns_identity_load(rns_identity **out, const char *path)
{
    uint8_t priv[RNS_KEYSIZE + 1];
    int ret = ML_EIO;
    size_t n = 0;
    FILE *f = fopen(path, "rb");

    *out = NULL;
    if (!f)
        return ML_EIO;
    /* Read one byte more than a key: a longer file is not an identity. */
    n = fread(priv, 1, sizeof priv, f);
    if (ferror(f))
        goto out;
    ret = ML_EMALFORMED;
    if (n != RNS_KEYSIZE)
        goto out;
    ret = rns_identity_from_private(out, priv);
out:
    fclose(f);
    ml_wipe(priv, sizeof priv);
    return ret;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return ML_EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* fsync the directory holding path, so the rename itself is durable. */
static int sync_parent_dir(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    int fd, ret = ML_EIO;

    if (n >= sizeof dir)
        return ML_EINVAL;
    if (!slash)
        memcpy(dir, ".", 2);
    else if (n == 0)
        memcpy(dir, "/", 2);
    else {
        memcpy(dir, path, n);
        dir[n] = 0;
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return ML_EIO;
    if (fsync(fd) == 0)
        ret = 0;
    close(fd);
    return ret;
}

/* replace 0: link, not rename, so an existing file (even one made meanwhile)
 * is never replaced. */
static int save_file(const rns_identity *id, const char *path, int replace)
{
    uint8_t priv[RNS_KEYSIZE];
    char tmp[4096];
    int fd = -1, created = 0, ret;

    if ((ret = rns_identity_private_key(id, priv)))
        return ret;
    ret = ML_EEXIST;
    if (!replace && access(path, F_OK) == 0)
        goto out;
    ret = ML_EINVAL;
    if (snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", path) >= (int)sizeof tmp)
        goto out;
    ret = ML_EIO;
    /* mkstemp creates the file with mode 0600 before any key byte is written. */
    fd = mkstemp(tmp);
    if (fd < 0)
        goto out;
    created = 1;
    if (fchmod(fd, S_IRUSR | S_IWUSR) || write_all(fd, priv, sizeof priv) || fsync(fd))
        goto out;
    if (close(fd)) {
        fd = -1;
        goto out;
    }
    fd = -1;
    if (replace ? rename(tmp, path) : link(tmp, path)) {
        if (errno == EEXIST)
            ret = ML_EEXIST;
        goto out;
    }
    if (!replace)
        unlink(tmp);
    created = 0;
    ret = sync_parent_dir(path);
out:
    if (fd >= 0)
        close(fd);
    if (ret && created) {
        int saved = errno;
        unlink(tmp);
        errno = saved;
    }
    ml_wipe(priv, sizeof priv);
    return ret;
}

int rns_identity_save(const rns_identity *id, const char *path)
{
    return save_file(id, path, 1);
}

int rns_identity_save_new(const rns_identity *id, const char *path)
{
    return save_file(id, path, 0);
}
