// SPDX-License-Identifier: MIT
// Reticulum destination naming: the name hash of "app.aspect1.aspect2" and the
// 16-byte destination hashes that packets are addressed to. Pure functions.
// name_hash = SHA-256(dotted name)[:10]; destination hash =
// SHA-256(name_hash || identity hash)[:16], or SHA-256(name_hash)[:16] when
// the destination has no identity (PLAIN, and GROUP created without one).
#ifndef MESHLOG_RNS_DESTINATION_H
#define MESHLOG_RNS_DESTINATION_H

#include <stddef.h>
#include <stdint.h>

#include "meshlog/buf.h"
#include "meshlog/rns_identity.h"

/* Destination types, as carried in bits 3-2 of the packet flags. */
enum rns_dest_type {
    RNS_DEST_SINGLE = 0,
    RNS_DEST_GROUP = 1,
    RNS_DEST_PLAIN = 2,
    RNS_DEST_LINK = 3,
};

/* Appends "app.aspect1...." to out. ML_EINVAL if app_name is empty, or the
 * app name or an aspect contains a dot (the reference refuses those, since
 * the dotted form would be ambiguous); ML_ENOMEM. */
int rns_destination_name(ml_buf *out, const char *app_name, const char *const *aspects,
                         size_t n_aspects);
/* SHA-256(dotted name)[:10]. Same errors as rns_destination_name. */
int rns_name_hash(uint8_t out[RNS_NAME_HASHLEN], const char *app_name,
                  const char *const *aspects, size_t n_aspects);
/* Destination hash from a name hash and an identity hash (NULL: none). */
void rns_destination_hash(uint8_t out[RNS_HASHLEN], const uint8_t name_hash[RNS_NAME_HASHLEN],
                          const uint8_t *identity_hash);
/* Both in one step for a destination of the given type. SINGLE needs an
 * identity, PLAIN must not have one, GROUP may (ML_EINVAL otherwise; LINK
 * destinations are addressed by link id, not named: ML_EINVAL).
 * name_hash_out may be NULL. */
int rns_destination_hash_for(uint8_t out[RNS_HASHLEN], uint8_t *name_hash_out,
                             enum rns_dest_type type, const char *app_name,
                             const char *const *aspects, size_t n_aspects,
                             const rns_identity *id);

#endif
