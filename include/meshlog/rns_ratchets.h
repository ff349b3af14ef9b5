// SPDX-License-Identifier: MIT
// The store of ratchets RECEIVED from other destinations (Identity's
// _remember_ratchet / get_ratchet / _clean_ratchets): one file per
// destination, <dir>/<32 hex chars of the destination hash>, holding the
// msgpack map {"ratchet": bin(32), "received": float UNIX time}, as the
// reference writes it under storage/ratchets. Writes are atomic (a ".out"
// temp file, then rename). A damaged or truncated file is never trusted: it
// reads as absent and is removed. The store keeps no state beyond its folder,
// so a fresh store (or process) sees what an earlier one wrote. Time is
// always passed in. A destination's OWN ratchets are rns_dest.h's business.
#ifndef MESHLOG_RNS_RATCHETS_H
#define MESHLOG_RNS_RATCHETS_H

#include <stddef.h>
#include <stdint.h>

#include "meshlog/rns_identity.h"

#define RNS_RATCHET_EXPIRY (60.0 * 60 * 24 * 30)   /* RATCHET_EXPIRY: 30 days */

typedef struct rns_ratchet_store rns_ratchet_store;

/* Opens (creating it and its parents, mode 0700) the folder dir.
 * 0, ML_EINVAL, ML_EIO, ML_ENOMEM. */
int rns_ratchet_store_open(rns_ratchet_store **out, const char *dir);
void rns_ratchet_store_free(rns_ratchet_store *s);
const char *rns_ratchet_store_dir(const rns_ratchet_store *s);

/* The file path for dest (its final name, without ".out"); 0 or ML_ETOOBIG. */
int rns_ratchet_store_path(const rns_ratchet_store *s, const uint8_t dest[RNS_HASHLEN],
                           char *out, size_t cap);

/* Writes dest's ratchet (32) received at now, replacing any earlier one.
 * 0, ML_EIO, ML_ENOMEM. */
int rns_ratchet_store_put(rns_ratchet_store *s, const uint8_t dest[RNS_HASHLEN],
                          const uint8_t ratchet[32], double now);

/* Reads dest's ratchet: 0; ML_ENOTFOUND when there is none, it expired
 * (now >= received + RNS_RATCHET_EXPIRY) or its file is damaged (that file
 * is removed). *received (may be NULL) gets its time. */
int rns_ratchet_store_get(rns_ratchet_store *s, const uint8_t dest[RNS_HASHLEN], double now,
                          uint8_t ratchet[32], double *received);

/* _clean_ratchets: removes the files that expired, are damaged, or whose
 * destination in_use (may be NULL: all are in use) says is no longer known,
 * and stale ".out" temp files. Other names are left alone. *removed (may be
 * NULL) counts the files removed. 0 or ML_EIO (the folder cannot be read). */
typedef int (*rns_ratchet_in_use_fn)(void *ctx, const uint8_t dest[RNS_HASHLEN]);
int rns_ratchet_store_clean(rns_ratchet_store *s, double now, rns_ratchet_in_use_fn in_use,
                            void *ctx, size_t *removed);

#endif
