// SPDX-License-Identifier: MIT
// Bridge commands for identities, ratchets, destination naming and
// announces: rns_identity.h, rns_destination.h and rns_announce.h. The only
// state is the "known destinations" table (destination hash -> public key)
// that rns_announce_validate() leaves to its caller: announces that validate
// and identity_remember fill it, so a later announce for the same destination
// with another key is refused, as in the reference's process-wide store.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bridge.h"
#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/rns_announce.h"
#include "meshlog/rns_destination.h"
#include "meshlog/rns_identity.h"
#include "meshlog/rns_packet.h"

#define MAX_ASPECTS 16
#define MAX_RATCHETS 64
#define KNOWN_MAX 4096

/* ---- known destinations ------------------------------------------------------ */

static struct {
    uint8_t dest[RNS_HASHLEN];
    uint8_t pub[RNS_KEYSIZE];
} known[KNOWN_MAX];
static size_t n_known;

/* Index of dest in the table, or n_known when absent. */
static size_t known_index(const uint8_t dest[RNS_HASHLEN])
{
    size_t i;

    for (i = 0; i < n_known; i++)
        if (memcmp(known[i].dest, dest, RNS_HASHLEN) == 0)
            break;
    return i;
}

static const uint8_t *known_key(const uint8_t dest[RNS_HASHLEN])
{
    size_t i = known_index(dest);

    return i < n_known ? known[i].pub : NULL;
}

/* Remembers dest -> pub, replacing an older key as Identity.remember does
 * (announces with another key are refused before they get here); the
 * oldest entry gives way when the table is full. */
static void remember(const uint8_t dest[RNS_HASHLEN], const uint8_t pub[RNS_KEYSIZE])
{
    size_t i = known_index(dest);

    if (i == n_known && n_known == KNOWN_MAX)
        memmove(&known[0], &known[1], sizeof known[0] * (i = --n_known));
    if (i == n_known)
        n_known++;
    memcpy(known[i].dest, dest, RNS_HASHLEN);
    memcpy(known[i].pub, pub, RNS_KEYSIZE);
}

/* ---- parameter helpers ---------------------------------------------------------- */

static int identity_param(br_ctx *c, const char *key, int private_key, rns_identity **id)
{
    uint8_t k[RNS_KEYSIZE];
    int ret = br_hex_fixed(c, key, k, sizeof k);

    *id = NULL;
    if (!ret)
        ret = br_check(c, private_key ? rns_identity_from_private(id, k)
                                      : rns_identity_from_public(id, k),
                       "identity");
    ml_wipe(k, sizeof k);
    return ret;
}

/* app_name + aspects of a request, as C strings the library takes. */
typedef struct naming {
    const char *app;
    const char *aspects[MAX_ASPECTS + 1]; /* room for an identity hexhash */
    size_t n;
    ml_buf scratch;
} naming;

static int naming_param(br_ctx *c, naming *nm)
{
    if (br_str(c, "app_name", &nm->app))
        return -1;
    return br_aspects(c, "aspects", nm->aspects, MAX_ASPECTS, &nm->n, &nm->scratch);
}

/* A dotted full name split into app name and aspects. */
static int naming_split(br_ctx *c, const char *full, naming *nm)
{
    const char *parts[MAX_ASPECTS + 1];
    size_t n;

    if (br_split(c, full, '.', parts, MAX_ASPECTS + 1, &n, &nm->scratch))
        return -1;
    if (n == 0)
        return br_fail(c, "empty name");
    nm->app = parts[0];
    nm->n = n - 1;
    memcpy(nm->aspects, parts + 1, sizeof parts[0] * nm->n);
    return 0;
}

static int set_identity(br_ctx *c, const rns_identity *id)
{
    char hexhash[2 * RNS_HASHLEN + 1];

    ml_hex(hexhash, rns_identity_hash(id), RNS_HASHLEN);
    if (br_set_hex(c, "public_key", rns_identity_public_key(id), RNS_KEYSIZE))
        return -1;
    if (br_set_hex(c, "hash", rns_identity_hash(id), RNS_HASHLEN))
        return -1;
    return br_set_str(c, "hexhash", hexhash);
}

/* ---- identities ------------------------------------------------------------------ */

static int cmd_identity_from_private_key(br_ctx *c)
{
    rns_identity *id;
    int ret = identity_param(c, "private_key", 1, &id);

    if (!ret)
        ret = set_identity(c, id);
    rns_identity_free(id);
    return ret;
}

static int cmd_identity_hash(br_ctx *c)
{
    rns_identity *id;
    int ret = identity_param(c, "public_key", 0, &id);

    if (!ret)
        ret = br_set_hex(c, "hash", rns_identity_hash(id), RNS_HASHLEN);
    rns_identity_free(id);
    return ret;
}

/* Identity.encrypt to public_key, optionally through a ratchet key. */
static int encrypt_to(br_ctx *c, const char *ratchet_key)
{
    ml_buf pt = ML_BUF_INIT, ct = ML_BUF_INIT;
    uint8_t eph[32], iv[16], ratchet[32];
    rns_identity *id;
    int ret = identity_param(c, "public_key", 0, &id);

    if (!ret && ratchet_key)
        ret = br_hex_fixed(c, ratchet_key, ratchet, sizeof ratchet);
    if (!ret)
        ret = br_hex(c, "plaintext", &pt);
    if (!ret)
        ret = br_random(c, eph, sizeof eph) || br_random(c, iv, sizeof iv) ? -1 : 0;
    if (!ret)
        ret = br_check(c, rns_identity_encrypt(id, &ct, pt.p, pt.len,
                                               ratchet_key ? ratchet : NULL, eph, iv),
                       "encrypt");
    if (!ret)
        ret = br_set_buf(c, "ciphertext", &ct);
    ml_wipe(eph, sizeof eph);
    ml_buf_free(&pt);
    ml_buf_free(&ct);
    rns_identity_free(id);
    return ret;
}

static int cmd_identity_encrypt(br_ctx *c) { return encrypt_to(c, NULL); }
static int cmd_ratchet_encrypt(br_ctx *c) { return encrypt_to(c, "ratchet_public"); }
/* The live suite's form: the ratchet key is optional. */
static int cmd_wire_identity_encrypt(br_ctx *c)
{
    return encrypt_to(c, br_param(c, "ratchet_pub") ? "ratchet_pub" : NULL);
}

/* The ratchet private keys to try, in order: a list under list_key, or one
 * key under ratchet_private. */
static int ratchets_param(br_ctx *c, const char *list_key, uint8_t (*r)[32], size_t *n)
{
    json_t *list = br_param(c, list_key), *e;
    size_t i;

    *n = 0;
    if (!list)
        return br_param(c, "ratchet_private") ? (*n = 1, br_hex_fixed(c, "ratchet_private", r[0], 32))
                                              : 0;
    if (!json_is_array(list) || json_array_size(list) > MAX_RATCHETS)
        return br_fail(c, "%s: expected a list of at most %d keys", list_key, MAX_RATCHETS);
    json_array_foreach(list, i, e) {
        const char *hex = json_string_value(e);
        if (!hex || strlen(hex) != 64 || ml_unhex(r[i], 32, hex, 64))
            return br_fail(c, "%s[%zu]: expected 32 bytes of hex", list_key, i);
        (*n)++;
    }
    return 0;
}

/* Identity.decrypt: plaintext, or null when no key opens the token.
 * with_ratchets: 0 none, 1 ratchet_privates (reporting the ratchet id that
 * worked), 2 the live suite's "ratchets" (reporting decrypted). */
static int decrypt_with(br_ctx *c, int with_ratchets)
{
    ml_buf ct = ML_BUF_INIT, pt = ML_BUF_INIT;
    uint8_t ratchets[MAX_RATCHETS][32], pub[32], rid[RNS_RATCHET_ID_LEN];
    size_t n = 0;
    int enforce = 0, used = -1, rc;
    rns_identity *id;
    int ret = identity_param(c, "private_key", 1, &id);

    if (!ret)
        ret = br_hex(c, "ciphertext", &ct);
    if (!ret && with_ratchets)
        ret = ratchets_param(c, with_ratchets == 1 ? "ratchet_privates" : "ratchets", ratchets,
                             &n) ||
              br_bool(c, "enforce_ratchets", 0, &enforce);
    if (!ret) {
        rc = rns_identity_decrypt(id, &pt, ct.p, ct.len, (const uint8_t(*)[32])ratchets, n,
                                  enforce, &used);
        ret = rc == 0 ? br_set_buf(c, "plaintext", &pt) : br_set_null(c, "plaintext");
        if (!ret && with_ratchets == 2)
            ret = br_set_bool(c, "decrypted", rc == 0);
    }
    if (!ret && with_ratchets == 1 && used >= 0 && !ml_x25519_public(pub, ratchets[used])) {
        rns_ratchet_id(rid, pub);
        ret = br_set_hex(c, "latest_ratchet_id", rid, sizeof rid);
    } else if (!ret && with_ratchets == 1) {
        ret = br_set_null(c, "latest_ratchet_id");
    }
    ml_wipe(ratchets, sizeof ratchets);
    ml_wipe(pt.p, pt.len);
    ml_buf_free(&pt);
    ml_buf_free(&ct);
    rns_identity_free(id);
    return ret;
}

static int cmd_identity_decrypt(br_ctx *c) { return decrypt_with(c, 0); }
static int cmd_ratchet_decrypt(br_ctx *c) { return decrypt_with(c, 1); }
static int cmd_wire_identity_decrypt(br_ctx *c) { return decrypt_with(c, 2); }

static int cmd_identity_sign(br_ctx *c)
{
    ml_buf msg = ML_BUF_INIT;
    uint8_t sig[RNS_SIGLEN];
    rns_identity *id;
    int ret = identity_param(c, "private_key", 1, &id);

    if (!ret)
        ret = br_hex(c, "message", &msg);
    if (!ret)
        ret = br_check(c, rns_identity_sign(id, sig, msg.p, msg.len), "sign");
    if (!ret)
        ret = br_set_hex(c, "signature", sig, sizeof sig);
    ml_buf_free(&msg);
    rns_identity_free(id);
    return ret;
}

static int cmd_identity_verify(br_ctx *c)
{
    ml_buf msg = ML_BUF_INIT, sig = ML_BUF_INIT;
    rns_identity *id;
    int ret = identity_param(c, "public_key", 0, &id);

    if (!ret)
        ret = br_hex(c, "message", &msg) || br_hex(c, "signature", &sig);
    if (!ret)
        ret = br_set_bool(c, "valid", sig.len == RNS_SIGLEN &&
                                          rns_identity_verify(id, sig.p, msg.p, msg.len) == 0);
    ml_buf_free(&msg);
    ml_buf_free(&sig);
    rns_identity_free(id);
    return ret;
}

/* Writes the identity file into a fresh temporary path and answers it. */
static int cmd_identity_to_file(br_ctx *c)
{
    const char *dir = getenv("TMPDIR");
    char path[512];
    rns_identity *id;
    int fd, ret = identity_param(c, "private_key", 1, &id);

    snprintf(path, sizeof path, "%s/conformance_identity_XXXXXX.bin", dir && *dir ? dir : "/tmp");
    if (!ret && (fd = mkstemps(path, 4)) < 0)
        ret = br_fail(c, "cannot create a temporary file in %s", dir && *dir ? dir : "/tmp");
    else if (!ret)
        close(fd);
    if (!ret)
        ret = br_check(c, rns_identity_save(id, path), "identity save");
    if (!ret)
        ret = br_set_str(c, "path", path);
    rns_identity_free(id);
    return ret;
}

static int cmd_identity_from_file(br_ctx *c)
{
    const char *path;
    rns_identity *id = NULL;
    int ret = br_str(c, "path", &path);

    if (!ret && rns_identity_load(&id, path) != 0)
        ret = br_set_bool(c, "found", 0);
    else if (!ret)
        ret = br_set_bool(c, "found", 1) || set_identity(c, id);
    rns_identity_free(id);
    return ret;
}

static int cmd_identity_random_hash(br_ctx *c)
{
    uint8_t r[16], h[RNS_HASHLEN];

    if (br_random(c, r, sizeof r))
        return -1;
    rns_random_hash(h, r);
    return br_set_hex(c, "random_hash", h, sizeof h);
}

/* Identity.remember: only whole 64-byte public keys are accepted. */
static int cmd_identity_remember(br_ctx *c)
{
    ml_buf pub = ML_BUF_INIT;
    uint8_t dest[RNS_HASHLEN];
    int ret = br_hex(c, "public_key", &pub) || br_hex_fixed(c, "destination_hash", dest, sizeof dest);

    if (!ret && pub.len != RNS_KEYSIZE)
        ret = br_set_bool(c, "ok", 0) || br_set_str(c, "error", "TypeError");
    else if (!ret) {
        remember(dest, pub.p);
        ret = br_set_bool(c, "ok", 1) || br_set_bool(c, "recalled", known_key(dest) != NULL);
    }
    if (!ret)
        ret = br_set_int(c, "public_key_len", (long long)pub.len);
    ml_buf_free(&pub);
    return ret;
}

/* ---- ratchets and hashes ------------------------------------------------------------ */

static int cmd_ratchet_id(br_ctx *c)
{
    uint8_t pub[32], rid[RNS_RATCHET_ID_LEN];

    if (br_hex_fixed(c, "ratchet_public", pub, sizeof pub))
        return -1;
    rns_ratchet_id(rid, pub);
    return br_set_hex(c, "ratchet_id", rid, sizeof rid);
}

static int cmd_ratchet_public_from_private(br_ctx *c)
{
    uint8_t priv[32], pub[32];
    int ret = br_hex_fixed(c, "ratchet_private", priv, sizeof priv);

    if (!ret)
        ret = br_check(c, ml_x25519_public(pub, priv), "ratchet public key");
    if (!ret)
        ret = br_set_hex(c, "ratchet_public", pub, sizeof pub);
    ml_wipe(priv, sizeof priv);
    return ret;
}

static int cmd_truncated_hash(br_ctx *c)
{
    ml_buf data = ML_BUF_INIT;
    uint8_t h[RNS_HASHLEN], full[RNS_FULL_HASHLEN];
    int ret = br_hex(c, "data", &data);

    if (!ret) {
        rns_truncated_hash(h, data.p, data.len);
        ml_sha256(full, data.p, data.len);
        ret = br_set_hex(c, "hash", h, sizeof h) || br_set_hex(c, "full_hash", full, sizeof full);
    }
    ml_buf_free(&data);
    return ret;
}

static int cmd_name_hash(br_ctx *c)
{
    naming nm = {0};
    const char *name;
    uint8_t nh[RNS_NAME_HASHLEN];
    int ret = br_str(c, "name", &name) || naming_split(c, name, &nm);

    if (!ret)
        ret = br_check(c, rns_name_hash(nh, nm.app, nm.aspects, nm.n), "name hash");
    if (!ret)
        ret = br_set_hex(c, "hash", nh, sizeof nh);
    ml_buf_free(&nm.scratch);
    return ret;
}

static int dest_hash_answer(br_ctx *c, naming *nm)
{
    uint8_t ih[RNS_HASHLEN], nh[RNS_NAME_HASHLEN], dh[RNS_HASHLEN];

    if (br_hex_fixed(c, "identity_hash", ih, sizeof ih))
        return -1;
    if (br_check(c, rns_name_hash(nh, nm->app, nm->aspects, nm->n), "name hash"))
        return -1;
    rns_destination_hash(dh, nh, ih);
    return br_set_hex(c, "destination_hash", dh, sizeof dh);
}

static int cmd_destination_hash(br_ctx *c)
{
    naming nm = {0};
    int ret = naming_param(c, &nm) || dest_hash_answer(c, &nm);

    ml_buf_free(&nm.scratch);
    return ret;
}

static int cmd_hash_from_name_and_identity(br_ctx *c)
{
    naming nm = {0};
    const char *full;
    int ret = br_str(c, "full_name", &full) || naming_split(c, full, &nm) ||
              dest_hash_answer(c, &nm);

    ml_buf_free(&nm.scratch);
    return ret;
}

/* The split is checked by rebuilding the dotted name through the library. */
static int cmd_app_and_aspects_from_name(br_ctx *c)
{
    naming nm = {0};
    ml_buf back = ML_BUF_INIT;
    const char *full;
    json_t *list = json_array();
    int ret = br_str(c, "full_name", &full) || naming_split(c, full, &nm);

    if (!ret)
        ret = br_check(c, rns_destination_name(&back, nm.app, nm.aspects, nm.n), "name");
    if (!ret && strcmp(ml_buf_str(&back), full))
        ret = br_fail(c, "name does not round-trip");
    for (size_t i = 0; !ret && i < nm.n; i++)
        json_array_append_new(list, json_string(nm.aspects[i]));
    if (!ret)
        ret = br_set_str(c, "app_name", nm.app) || br_set(c, "aspects", json_incref(list));
    json_decref(list);
    ml_buf_free(&back);
    ml_buf_free(&nm.scratch);
    return ret;
}

/* Destination.expand_name: with an identity, its hexhash is one more aspect. */
static int cmd_destination_expand_name(br_ctx *c)
{
    naming nm = {0};
    ml_buf name = ML_BUF_INIT;
    char hexhash[2 * RNS_HASHLEN + 1] = "";
    rns_identity *id = NULL;
    int ret = naming_param(c, &nm);

    if (!ret && br_param(c, "identity_private_key"))
        ret = identity_param(c, "identity_private_key", 1, &id);
    if (!ret && id) {
        ml_hex(hexhash, rns_identity_hash(id), RNS_HASHLEN);
        nm.aspects[nm.n++] = hexhash;
    }
    if (!ret)
        ret = br_check(c, rns_destination_name(&name, nm.app, nm.aspects, nm.n), "name");
    if (!ret)
        ret = br_set_str(c, "name", ml_buf_str(&name));
    if (!ret && id)
        ret = br_set_str(c, "identity_hexhash", hexhash);
    rns_identity_free(id);
    ml_buf_free(&name);
    ml_buf_free(&nm.scratch);
    return ret;
}

/* A GROUP destination encrypts with its pre-shared 64-byte token key, which
 * only exists once keys are created. */
static int cmd_destination_group_encrypt(br_ctx *c)
{
    ml_buf pt = ML_BUF_INIT, ct = ML_BUF_INIT, back = ML_BUF_INIT;
    uint8_t key[64];
    int create = 0, ret = br_hex(c, "plaintext", &pt) || br_bool(c, "create_keys", 0, &create);

    if (!ret && !create)
        ret = br_fail(c, "ValueError: No private key held by GROUP destination");
    if (!ret)
        ret = br_random(c, key, sizeof key);
    if (!ret)
        ret = br_check(c, ml_token_encrypt(&ct, key, NULL, pt.p, pt.len), "encrypt");
    if (!ret)
        ret = br_check(c, ml_token_decrypt(&back, key, ct.p, ct.len), "decrypt");
    if (!ret)
        ret = br_set_buf(c, "ciphertext", &ct) || br_set_buf(c, "roundtrip", &back) ||
              br_set_bool(c, "has_key", 1);
    ml_wipe(key, sizeof key);
    ml_buf_free(&pt);
    ml_buf_free(&ct);
    ml_buf_free(&back);
    return ret;
}

/* ---- announces ------------------------------------------------------------------------ */

static int set_announce(br_ctx *c, const ml_buf *raw)
{
    rns_packet p;
    rns_announce a;

    if (br_check(c, rns_packet_unpack(&p, raw->p, raw->len), "unpack") ||
        br_check(c, rns_announce_parse(&a, &p), "announce parse"))
        return -1;
    return br_set_buf(c, "raw", raw) || br_set_hex(c, "destination_hash", p.dest_hash, RNS_HASHLEN) ||
           br_set_hex(c, "announce_data", p.data, p.data_len) ||
           br_set_hex(c, "public_key", a.public_key, RNS_KEYSIZE) ||
           br_set_hex(c, "name_hash", a.name_hash, RNS_NAME_HASHLEN) ||
           br_set_hex(c, "random_hash", a.random_hash, RNS_RANDOM_HASHLEN) ||
           br_set_hex(c, "ratchet", a.ratchet, a.ratchet ? RNS_RATCHETLEN : 0) ||
           br_set_hex(c, "signature", a.signature, RNS_SIGLEN) ||
           br_set_hex(c, "app_data", a.app_data, a.app_data ? a.app_data_len : 0) ||
           br_set_bool(c, "has_ratchet", a.ratchet != NULL);
}

/* Destination.announce(send=False) for the identity's SINGLE destination. */
static int cmd_announce_build(br_ctx *c)
{
    naming nm = {0};
    ml_buf app = ML_BUF_INIT, raw = ML_BUF_INIT;
    uint8_t nh[RNS_NAME_HASHLEN], r16[16], rpriv[32], rpub[32];
    rns_announce_params ap = {.name_hash = nh, .random16 = r16, .context = RNS_CTX_NONE};
    long long ts;
    int ratchets = 0, has_app;
    rns_identity *id;
    int ret = identity_param(c, "private_key", 1, &id);

    if (!ret)
        ret = naming_param(c, &nm) || br_hex_opt(c, "app_data", &app, &has_app) ||
              br_bool(c, "enable_ratchets", 0, &ratchets) ||
              br_int(c, "emission_ts", (long long)time(NULL), &ts);
    if (!ret)
        ret = br_check(c, rns_name_hash(nh, nm.app, nm.aspects, nm.n), "name hash") ||
              br_random(c, r16, sizeof r16);
    if (!ret && ratchets)
        ret = br_random(c, rpriv, sizeof rpriv) ||
              br_check(c, ml_x25519_public(rpub, rpriv), "ratchet key");
    if (!ret && ts < 0)
        ret = br_fail(c, "emission_ts must not be negative");
    if (!ret) {
        ap.now = (uint64_t)ts;
        ap.ratchet_pub = ratchets ? rpub : NULL;
        ap.app_data = app.len ? app.p : NULL; /* empty app data is none */
        ap.app_data_len = app.len;
        ret = br_check(c, rns_announce_make(&raw, id, &ap), "announce") || set_announce(c, &raw);
    }
    ml_wipe(rpriv, sizeof rpriv);
    ml_buf_free(&app);
    ml_buf_free(&raw);
    ml_buf_free(&nm.scratch);
    rns_identity_free(id);
    return ret;
}

/* Identity.validate_announce over raw packet bytes. */
static int cmd_announce_validate(br_ctx *c)
{
    ml_buf raw = ML_BUF_INIT;
    rns_packet p;
    rns_announce a;
    int valid, ret = br_hex(c, "raw", &raw);

    if (ret)
        goto out;
    if (rns_packet_unpack(&p, raw.p, raw.len)) {
        ret = br_set_bool(c, "valid", 0) || br_set_str(c, "error", "unpack_failed");
        goto out;
    }
    if (p.packet_type != RNS_PACKET_ANNOUNCE) {
        ret = br_set_bool(c, "valid", 0) || br_set_str(c, "error", "not_an_announce");
        goto out;
    }
    valid = rns_announce_validate(&a, &p, known_key(p.dest_hash), NULL) == 0;
    if (valid)
        remember(p.dest_hash, a.public_key);
    ret = br_set_bool(c, "valid", valid) || br_set_hex(c, "destination_hash", p.dest_hash, RNS_HASHLEN) ||
          br_set_bool(c, "has_ratchet", p.context_flag);
    if (!ret && p.context_flag && rns_announce_parse(&a, &p) == 0)
        ret = br_set_hex(c, "ratchet", a.ratchet, RNS_RATCHETLEN);
out:
    ml_buf_free(&raw);
    return ret;
}

const br_cmd br_identity_cmds[] = {
    {"identity_from_private_key", cmd_identity_from_private_key},
    {"identity_hash", cmd_identity_hash},
    {"identity_encrypt", cmd_identity_encrypt},
    {"identity_decrypt", cmd_identity_decrypt},
    {"identity_sign", cmd_identity_sign},
    {"identity_verify", cmd_identity_verify},
    {"identity_to_file", cmd_identity_to_file},
    {"identity_from_file", cmd_identity_from_file},
    {"identity_random_hash", cmd_identity_random_hash},
    {"identity_remember", cmd_identity_remember},
    {"ratchet_id", cmd_ratchet_id},
    {"ratchet_public_from_private", cmd_ratchet_public_from_private},
    {"ratchet_encrypt", cmd_ratchet_encrypt},
    {"ratchet_decrypt", cmd_ratchet_decrypt},
    {"wire_identity_encrypt", cmd_wire_identity_encrypt},
    {"wire_identity_decrypt", cmd_wire_identity_decrypt},
    {"truncated_hash", cmd_truncated_hash},
    {"name_hash", cmd_name_hash},
    {"destination_hash", cmd_destination_hash},
    {"hash_from_name_and_identity", cmd_hash_from_name_and_identity},
    {"app_and_aspects_from_name", cmd_app_and_aspects_from_name},
    {"destination_expand_name", cmd_destination_expand_name},
    {"destination_group_encrypt", cmd_destination_group_encrypt},
    {"announce_build", cmd_announce_build},
    {"announce_validate", cmd_announce_validate},
    {NULL, NULL},
};
