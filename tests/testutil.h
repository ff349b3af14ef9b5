// SPDX-License-Identifier: MIT
// Helpers shared by the cmocka tests: locate ../shared, load JSON vectors,
// hex, temporary directories, and a seeded PRNG whose seed is printed.
#ifndef MESHLOG_TESTUTIL_H
#define MESHLOG_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>

/* Path under the shared folder ($MESHLOG_SHARED, else ../shared next to the
 * source tree). Returns a static buffer, overwritten by the next call. */
const char *tu_shared(const char *rel);
/* Whole file into a malloc'd NUL-terminated buffer; fails the test if missing. */
char *tu_read_file(const char *path, size_t *len);
/* Parse a JSON file under shared/ (fails the test if missing). Caller json_decref. */
json_t *tu_load_vectors(const char *rel);
/* Find vector by "name" in obj["vectors"]; fails the test if absent. */
json_t *tu_vector(json_t *file, const char *name);
/* A vector checker, chosen by the vector's "kind". */
typedef struct tu_checker {
    const char *kind;
    void (*check)(json_t *v);
} tu_checker;
/* Run every vector of file["vectors"] through the checker of its kind. Fails
 * the test if the file holds no vector or a vector has no checker (it is
 * named on stderr): no vector is ever skipped. Returns how many ran. */
size_t tu_check_vectors(json_t *file, const tu_checker *table, size_t n);
/* How many vectors of file["vectors"] are of this kind. */
size_t tu_count_kind(json_t *file, const char *kind);
/* Hex string -> malloc'd bytes (fails the test on bad hex). *len set. */
uint8_t *tu_unhex(const char *hex, size_t *len);
/* Asserts that buf[0..len) equals the bytes of hex. */
void tu_assert_hex(const uint8_t *buf, size_t len, const char *hex);
/* A fresh empty temp directory (static buffer). Removed at exit. */
const char *tu_tmpdir(void);
/* Path of the built meshlog binary ($MESHLOG_BIN). */
const char *tu_bin(void);

/* Seeded PRNG: seed from $MESHLOG_SEED if set, else time; printed to stderr. */
uint64_t tu_seed(void);
uint64_t tu_rand(uint64_t *state);
uint64_t tu_rand_below(uint64_t *state, uint64_t n);

#endif
