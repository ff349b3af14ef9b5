// SPDX-License-Identifier: MIT
// Author keys in the RNS identity-file format. The private key never leaves
// this struct except to the signer, and is wiped on every exit path.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "meshlog/author.h"
#include "meshlog/buf.h"
#include "meshlog/crypto.h"
#include "meshlog/error.h"

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
    uint8_t priv[65];
    int rc = ML_EIO;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ML_EIO;
    ssize_t n = read(fd, priv, sizeof priv);
    close(fd);
    if (n == 64)
        rc = ml_author_from_private(a, priv);
    else if (n >= 0)
        rc = ML_EMALFORMED;
    ml_wipe(priv, sizeof priv);
    return rc;
}

int ml_author_save(const ml_author *a, const char *path)
{
    char tmp[4096];
    if (access(path, F_OK) == 0)
        return ML_EEXIST;
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >= sizeof tmp)
        return ML_EINVAL;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return ML_EIO;
    int rc = ML_EIO;
    if (write(fd, a->priv, 64) == 64 && fsync(fd) == 0)
        rc = 0;
    close(fd);
    if (!rc && link(tmp, path) != 0)   /* link, not rename: never replace a key */
        rc = errno == EEXIST ? ML_EEXIST : ML_EIO;
    unlink(tmp);
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
