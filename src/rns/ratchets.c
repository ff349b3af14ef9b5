// SPDX-License-Identifier: MIT
// The on-disk store of ratchets received from other destinations
// (rns_ratchets.h). Stateless beyond the folder path: every read goes to the
// file, so what one process wrote another reloads.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "meshlog/buf.h"
#include "meshlog/error.h"
#include "meshlog/rns_msgpack.h"
#include "meshlog/rns_ratchets.h"

#define FILE_MAX 4096          /* a valid file is ~60 bytes; more is damage */
#define PATH_CAP 4096

struct rns_ratchet_store {
    char *dir;
};

static int mkdirs(char *path)
{
    struct stat st;

    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(path, 0700) && errno != EEXIST) {
            *p = '/';
            return ML_EIO;
        }
        *p = '/';
    }
    if (mkdir(path, 0700) && errno != EEXIST)
        return ML_EIO;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : ML_EIO;
}

int rns_ratchet_store_open(rns_ratchet_store **out, const char *dir)
{
    rns_ratchet_store *s;
    size_t n;
    int ret;

    if (!out || !dir || !*dir || (n = strlen(dir)) > PATH_CAP - 64)
        return ML_EINVAL;
    *out = NULL;
    if (!(s = calloc(1, sizeof *s)) || !(s->dir = strdup(dir))) {
        free(s);
        return ML_ENOMEM;
    }
    while (n > 1 && s->dir[n - 1] == '/')
        s->dir[--n] = 0;
    if ((ret = mkdirs(s->dir))) {
        rns_ratchet_store_free(s);
        return ret;
    }
    *out = s;
    return 0;
}

void rns_ratchet_store_free(rns_ratchet_store *s)
{
    if (!s)
        return;
    free(s->dir);
    free(s);
}

const char *rns_ratchet_store_dir(const rns_ratchet_store *s)
{
    return s ? s->dir : NULL;
}

int rns_ratchet_store_path(const rns_ratchet_store *s, const uint8_t dest[RNS_HASHLEN],
                           char *out, size_t cap)
{
    char hex[2 * RNS_HASHLEN + 1];
    int n;

    ml_hex(hex, dest, RNS_HASHLEN);
    n = snprintf(out, cap, "%s/%s", s->dir, hex);
    return n < 0 || (size_t)n >= cap ? ML_ETOOBIG : 0;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
    ssize_t w;

    while (len) {
        if ((w = write(fd, p, len)) < 0) {
            if (errno == EINTR)
                continue;
            return ML_EIO;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int rns_ratchet_store_put(rns_ratchet_store *s, const uint8_t dest[RNS_HASHLEN],
                          const uint8_t ratchet[32], double now)
{
    char path[PATH_CAP], tmp[PATH_CAP + 8];
    ml_buf b = ML_BUF_INIT;
    int ret, fd = -1;

    if (!s || !dest || !ratchet)
        return ML_EINVAL;
    if ((ret = rns_ratchet_store_path(s, dest, path, sizeof path)))
        return ret;
    snprintf(tmp, sizeof tmp, "%s.out", path);
    /* The map in the reference's key order: {"ratchet", "received"}. */
    if ((ret = rns_mp_put_map(&b, 2)) || (ret = rns_mp_put_cstr(&b, "ratchet")) ||
        (ret = rns_mp_put_bin(&b, ratchet, 32)) || (ret = rns_mp_put_cstr(&b, "received")) ||
        (ret = rns_mp_put_float(&b, now)))
        goto out;
    ret = ML_EIO;
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
        goto out;
    if (write_all(fd, b.p, b.len) || fsync(fd)) {
        close(fd);
        unlink(tmp);
        goto out;
    }
    if (close(fd) || rename(tmp, path)) {
        unlink(tmp);
        goto out;
    }
    ret = 0;
out:
    ml_buf_free(&b);
    return ret;
}

/* Parses a file: 0 or ML_EMALFORMED (anything but the map the writer makes,
 * with a 32-byte ratchet and a numeric time; other keys are tolerated). */
static int parse(const uint8_t *p, size_t len, uint8_t ratchet[32], double *received)
{
    rns_mp_reader r;
    rns_mp_item it;
    uint32_t n;
    const char *key;
    size_t klen;
    int have_r = 0, have_t = 0;

    rns_mp_reader_init(&r, p, len);
    if (rns_mp_get_map(&r, &n))
        return ML_EMALFORMED;
    while (n--) {
        if (rns_mp_get_str(&r, &key, &klen) || rns_mp_next(&r, &it))
            return ML_EMALFORMED;
        if (klen == 7 && !memcmp(key, "ratchet", 7)) {
            if (it.type != RNS_MP_BIN || it.len != 32)
                return ML_EMALFORMED;
            memcpy(ratchet, it.data, 32);
            have_r = 1;
        } else if (klen == 8 && !memcmp(key, "received", 8)) {
            if (it.type == RNS_MP_FLOAT)
                *received = it.f;
            else if (it.type == RNS_MP_UINT)
                *received = (double)it.u;
            else if (it.type == RNS_MP_INT)
                *received = (double)it.i;
            else
                return ML_EMALFORMED;
            have_t = 1;
        } else if (it.type == RNS_MP_ARRAY || it.type == RNS_MP_MAP) {
            return ML_EMALFORMED;      /* never written; not worth walking */
        }
    }
    return have_r && have_t && rns_mp_remaining(&r) == 0 ? 0 : ML_EMALFORMED;
}

/* Reads and parses path: 0, ML_ENOTFOUND (no file), ML_EIO, ML_EMALFORMED. */
static int read_file(const char *path, uint8_t ratchet[32], double *received)
{
    uint8_t buf[FILE_MAX + 1];
    size_t len = 0;
    ssize_t n;
    int fd, ret;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return errno == ENOENT ? ML_ENOTFOUND : ML_EIO;
    while (len < sizeof buf) {
        if ((n = read(fd, buf + len, sizeof buf - len)) < 0) {
            if (errno == EINTR)
                continue;
            close(fd);
            return ML_EIO;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    ret = len > FILE_MAX ? ML_EMALFORMED : parse(buf, len, ratchet, received);
    return ret;
}

int rns_ratchet_store_get(rns_ratchet_store *s, const uint8_t dest[RNS_HASHLEN], double now,
                          uint8_t ratchet[32], double *received)
{
    char path[PATH_CAP];
    uint8_t r[32];
    double t = 0;
    int ret;

    if (!s || !dest || !ratchet)
        return ML_EINVAL;
    if ((ret = rns_ratchet_store_path(s, dest, path, sizeof path)))
        return ret;
    if ((ret = read_file(path, r, &t))) {
        if (ret == ML_EMALFORMED)
            unlink(path);              /* damaged: never trusted, not kept */
        return ML_ENOTFOUND;
    }
    if (!(now < t + RNS_RATCHET_EXPIRY))
        return ML_ENOTFOUND;           /* expired: left for the clean-up */
    memcpy(ratchet, r, 32);
    if (received)
        *received = t;
    return 0;
}

int rns_ratchet_store_clean(rns_ratchet_store *s, double now, rns_ratchet_in_use_fn in_use,
                            void *ctx, size_t *removed)
{
    char path[PATH_CAP];
    uint8_t dest[RNS_HASHLEN], r[32];
    struct dirent *e;
    size_t count = 0, nl;
    double t;
    DIR *d;
    int bad;

    if (removed)
        *removed = 0;
    if (!s)
        return ML_EINVAL;
    if (!(d = opendir(s->dir)))
        return ML_EIO;
    while ((e = readdir(d))) {
        nl = strlen(e->d_name);
        if (nl == 2 * RNS_HASHLEN + 4 && !strcmp(e->d_name + 2 * RNS_HASHLEN, ".out") &&
            !ml_unhex(dest, RNS_HASHLEN, e->d_name, 2 * RNS_HASHLEN)) {
            bad = 1;                   /* a write that never finished */
        } else if (nl != 2 * RNS_HASHLEN || ml_unhex(dest, RNS_HASHLEN, e->d_name, nl)) {
            continue;                  /* not ours */
        } else {
            snprintf(path, sizeof path, "%s/%s", s->dir, e->d_name);
            t = 0;
            bad = read_file(path, r, &t) == ML_EMALFORMED || !(now < t + RNS_RATCHET_EXPIRY) ||
                  (in_use && !in_use(ctx, dest));
        }
        if (!bad)
            continue;
        snprintf(path, sizeof path, "%s/%s", s->dir, e->d_name);
        if (unlink(path) == 0)
            count++;
    }
    closedir(d);
    if (removed)
        *removed = count;
    return 0;
}
