// SPDX-License-Identifier: MIT
// CI test of the conformance bridge (tests/conformance/): each test builds a
// script of requests from one file of ../shared/vectors/rns, runs
// meshlog-conformance-bridge over it ($MESHLOG_BRIDGE, set by
// tests/conformance/CMakeLists.txt), and checks every answer byte for byte
// against the vector: the same commands and result keys the Reticulum
// conformance suite uses, so what passes here is what the suite sees.
// Requests that must fail expect success:false; randomised commands
// (encryption, key generation) are checked by a round trip in a second run.
// The live commands run two peers inside one bridge over 127.0.0.1.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rns_testutil.h"
#include "meshlog/crypto.h"

/* A script: requests, and for each the expected result keys (NULL: the
 * request must be refused). */
typedef struct script {
    json_t *reqs;
    json_t *expect;
} script;

static void sc_init(script *s)
{
    s->reqs = json_array();
    s->expect = json_array();
}

static void sc_free(script *s)
{
    json_decref(s->reqs);
    json_decref(s->expect);
}

/* Adds a request; params and expect are stolen (expect NULL: must fail). */
static void add(script *s, const char *cmd, json_t *params, json_t *expect)
{
    char id[32];
    assert_non_null(params);
    snprintf(id, sizeof id, "r%zu", json_array_size(s->reqs));
    json_array_append_new(s->reqs, json_pack("{s:s,s:s,s:o}", "id", id, "command", cmd,
                                             "params", params));
    json_array_append_new(s->expect, expect ? expect : json_null());
}

/* $MESHLOG_BRIDGE, else beside the built meshlog command ($MESHLOG_BIN, set
 * for every test): <build>/tests/conformance/meshlog-conformance-bridge. */
static const char *bridge_path(void)
{
    static char path[1024];
    const char *b = getenv("MESHLOG_BRIDGE"), *bin = getenv("MESHLOG_BIN"), *slash;

    if (b)
        return b;
    if (!bin || !(slash = strrchr(bin, '/')))
        fprintf(stderr, "set MESHLOG_BRIDGE or MESHLOG_BIN (run through ctest)\n");
    assert_true(bin && slash);
    snprintf(path, sizeof path, "%.*s/tests/conformance/meshlog-conformance-bridge",
             (int)(slash - bin), bin);
    return path;
}

/* Runs the bridge over the script; returns the answers, in order. */
static json_t *run(const script *s)
{
    char req[600], ans[600], cmd[4096], *text, *line, *save = NULL;
    json_t *answers = json_array(), *r;
    size_t i, len;
    FILE *f;

    snprintf(req, sizeof req, "%s/requests.jsonl", tu_tmpdir());
    snprintf(ans, sizeof ans, "%s/answers.jsonl", tu_tmpdir());
    assert_non_null(f = fopen(req, "w"));
    json_array_foreach(s->reqs, i, r) {
        assert_int_equal(json_dumpf(r, f, JSON_COMPACT), 0);
        fputc('\n', f);
    }
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' < '%s' > '%s'", bridge_path(), req, ans);
    assert_int_equal(system(cmd), 0);
    text = tu_read_file(ans, &len);
    line = strtok_r(text, "\n", &save);
    assert_non_null(line);
    assert_string_equal(line, "READY");
    while ((line = strtok_r(NULL, "\n", &save))) {
        json_error_t err;
        json_t *a = json_loads(line, 0, &err);
        if (!a)
            fprintf(stderr, "answer is not JSON: %s\n", line);
        assert_non_null(a);
        json_array_append_new(answers, a);
    }
    free(text);
    assert_int_equal(json_array_size(answers), json_array_size(s->reqs));
    return answers;
}

static void show_mismatch(json_t *req, const char *key, json_t *want, json_t *got)
{
    char *r = json_dumps(req, JSON_COMPACT), *w = json_dumps(want, JSON_ENCODE_ANY),
         *g = got ? json_dumps(got, JSON_ENCODE_ANY) : NULL;
    fprintf(stderr, "request %s\n  %s: want %s\n  %*s  got  %s\n", r, key, w,
            (int)strlen(key), "", g ? g : "(absent)");
    free(r);
    free(w);
    free(g);
}

/* want equals got; for objects, every key of want is in got and equal. */
static int subset_equal(json_t *want, json_t *got)
{
    const char *key;
    json_t *v;

    if (!got)
        return 0;
    if (!json_is_object(want) || !json_is_object(got))
        return json_equal(want, got);
    json_object_foreach(want, key, v)
        if (!subset_equal(v, json_object_get(got, key)))
            return 0;
    return 1;
}

/* Checks every answer; returns them (caller decrefs) for round trips. */
static json_t *check(const script *s)
{
    json_t *answers = run(s), *a;
    size_t i;
    int bad = 0;

    json_array_foreach(answers, i, a) {
        json_t *req = json_array_get(s->reqs, i), *want = json_array_get(s->expect, i);
        json_t *ok = json_object_get(a, "success"), *res = json_object_get(a, "result"), *v;
        const char *key;
        assert_true(json_equal(json_object_get(a, "id"), json_object_get(req, "id")));
        if (json_is_null(want)) {
            if (!json_is_false(ok))
                show_mismatch(req, "success", json_false(), ok), bad++;
            continue;
        }
        if (!json_is_true(ok)) {
            show_mismatch(req, "success", json_true(), json_object_get(a, "error"));
            bad++;
            continue;
        }
        json_object_foreach(want, key, v) {
            json_t *got = json_object_get(res, key);
            if (!subset_equal(v, got))
                show_mismatch(req, key, v, got), bad++;
        }
    }
    assert_int_equal(bad, 0);
    return answers;
}

static void check_and_free(script *s)
{
    json_decref(check(s));
    sc_free(s);
}

static const char *S(json_t *v, const char *key)
{
    return rt_str(v, key);
}

/* The hex string of a result key in an answer. */
static const char *answer_hex(json_t *answers, size_t i, const char *key)
{
    const char *s = json_string_value(json_object_get(json_object_get(json_array_get(answers, i),
                                                                      "result"), key));
    assert_non_null(s);
    return s;
}

/* ---- primitives.json ----------------------------------------------------------- */

static void hash_vector(script *s, json_t *v)
{
    add(s, "sha256", json_pack("{s:s}", "data", S(v, "input")),
        json_pack("{s:s}", "hash", S(v, "sha256")));
    add(s, "sha512", json_pack("{s:s}", "data", S(v, "input")),
        json_pack("{s:s}", "hash", S(v, "sha512")));
    add(s, "truncated_hash", json_pack("{s:s}", "data", S(v, "input")),
        json_pack("{s:s,s:s}", "hash", S(v, "truncated_hash"), "full_hash", S(v, "sha256")));
}

static void hkdf_vector(script *s, json_t *v)
{
    json_t *p = json_pack("{s:I,s:s}", "length", rt_int(v, "length"), "ikm", S(v, "ikm"));
    if (json_is_string(json_object_get(v, "salt")))
        json_object_set(p, "salt", json_object_get(v, "salt"));
    if (json_is_string(json_object_get(v, "info")))
        json_object_set(p, "info", json_object_get(v, "info"));
    add(s, "hkdf", p, json_pack("{s:s}", "derived_key", S(v, "okm")));
}

static void token_vector(script *s, json_t *v)
{
    const char *key = S(v, "key"), *enc = S(v, "encryption_key");
    char *ivct;

    add(s, "token_decrypt", json_pack("{s:s,s:s}", "key", key, "token", S(v, "token")),
        json_pack("{s:s}", "plaintext", S(v, "plaintext")));
    add(s, "token_verify_hmac", json_pack("{s:s,s:s}", "key", key, "token", S(v, "token")),
        json_pack("{s:b}", "valid", 1));
    add(s, "aes_encrypt", json_pack("{s:s,s:s,s:s}", "plaintext", S(v, "plaintext"), "key", enc,
                                    "iv", S(v, "iv")),
        json_pack("{s:s}", "ciphertext", S(v, "ciphertext")));
    add(s, "aes_decrypt", json_pack("{s:s,s:s,s:s}", "ciphertext", S(v, "ciphertext"), "key", enc,
                                    "iv", S(v, "iv")),
        json_pack("{s:s}", "plaintext", S(v, "plaintext")));
    add(s, "aes_256_cbc_encrypt",
        json_pack("{s:s,s:s,s:s}", "plaintext", S(v, "padded_plaintext"), "key", enc, "iv",
                  S(v, "iv")),
        json_pack("{s:s}", "ciphertext", S(v, "ciphertext")));
    add(s, "aes_256_cbc_decrypt",
        json_pack("{s:s,s:s,s:s}", "ciphertext", S(v, "ciphertext"), "key", enc, "iv",
                  S(v, "iv")),
        json_pack("{s:s}", "plaintext", S(v, "padded_plaintext")));
    ivct = malloc(strlen(S(v, "iv")) + strlen(S(v, "ciphertext")) + 1);
    assert_non_null(ivct);
    strcpy(ivct, S(v, "iv"));
    strcat(ivct, S(v, "ciphertext"));
    add(s, "hmac_sha256", json_pack("{s:s,s:s}", "key", S(v, "signing_key"), "message", ivct),
        json_pack("{s:s}", "hmac", S(v, "hmac")));
    free(ivct);
}

/* Rejected tokens: decrypt refused; the HMAC check says which are forged. */
static void token_invalid_vector(script *s, json_t *v)
{
    const char *name = S(v, "name");
    json_t *p = json_pack("{s:s,s:s}", "key", S(v, "key"), "token", S(v, "token"));
    int forged = strstr(name, "bit") || strstr(name, "wrong") || strstr(name, "last_byte");

    add(s, "token_decrypt", json_deep_copy(p), NULL);
    if (strcmp(name, "token_truncated_32") == 0)
        add(s, "token_verify_hmac", p, NULL);
    else
        add(s, "token_verify_hmac", p, json_pack("{s:b}", "valid", !forged));
}

static void x25519_vector(script *s, json_t *v)
{
    add(s, "x25519_generate", json_pack("{s:s}", "seed", S(v, "private_a")),
        json_pack("{s:s,s:s}", "public_key", S(v, "public_a"), "private_key",
                  S(v, "private_stored_a")));
    add(s, "x25519_public_from_private", json_pack("{s:s}", "private_key", S(v, "private_b")),
        json_pack("{s:s}", "public_key", S(v, "public_b")));
    add(s, "x25519_exchange",
        json_pack("{s:s,s:s}", "private_key", S(v, "private_a"), "peer_public_key",
                  S(v, "public_b")),
        json_pack("{s:s}", "shared_secret", S(v, "shared_secret")));
    add(s, "crypto_provider_op",
        json_pack("{s:s,s:s,s:s,s:s}", "op", "x25519_exchange", "provider", "internal",
                  "private_key", S(v, "private_b"), "peer_public_key", S(v, "public_a")),
        json_pack("{s:s}", "result", S(v, "shared_secret")));
    add(s, "ratchet_public_from_private", json_pack("{s:s}", "ratchet_private", S(v, "private_a")),
        json_pack("{s:s}", "ratchet_public", S(v, "public_a")));
}

static void ed25519_vector(script *s, json_t *v)
{
    add(s, "ed25519_generate", json_pack("{s:s}", "seed", S(v, "seed")),
        json_pack("{s:s}", "public_key", S(v, "public_key")));
    add(s, "ed25519_sign", json_pack("{s:s,s:s}", "private_key", S(v, "seed"), "message",
                                     S(v, "message")),
        json_pack("{s:s}", "signature", S(v, "signature")));
    add(s, "crypto_provider_op",
        json_pack("{s:s,s:s,s:s,s:s}", "op", "ed25519_sign", "provider", "pyca", "private_key",
                  S(v, "seed"), "message", S(v, "message")),
        json_pack("{s:s}", "result", S(v, "signature")));
    add(s, "ed25519_verify",
        json_pack("{s:s,s:s,s:s}", "public_key", S(v, "public_key"), "message", S(v, "message"),
                  "signature", S(v, "signature")),
        json_pack("{s:b}", "valid", 1));
    add(s, "ed25519_verify",
        json_pack("{s:s,s:s,s:s}", "public_key", S(v, "public_key"), "message", S(v, "message"),
                  "signature", S(v, "bad_signature")),
        json_pack("{s:b}", "valid", 0));
}

static void test_primitives(void **state)
{
    json_t *file = tu_load_vectors("vectors/rns/primitives.json"), *v, *answers;
    script s, rt;
    size_t i;
    (void)state;

    sc_init(&s);
    json_array_foreach(json_object_get(file, "vectors"), i, v) {
        const char *kind = S(v, "kind");
        if (strcmp(kind, "hash") == 0 || strncmp(S(v, "name"), "sha256", 6) == 0)
            hash_vector(&s, v);
        else if (strcmp(kind, "hmac") == 0 || strncmp(S(v, "name"), "hmac", 4) == 0)
            add(&s, "hmac_sha256", json_pack("{s:s,s:s}", "key", S(v, "key"), "message",
                                             S(v, "message")),
                json_pack("{s:s}", "hmac", S(v, "mac")));
        else if (strncmp(S(v, "name"), "hkdf", 4) == 0)
            hkdf_vector(&s, v);
        else if (strncmp(S(v, "name"), "pkcs7", 5) == 0) {
            add(&s, "pkcs7_pad", json_pack("{s:s}", "data", S(v, "input")),
                json_pack("{s:s}", "padded", S(v, "padded")));
            add(&s, "pkcs7_unpad", json_pack("{s:s}", "data", S(v, "padded")),
                json_pack("{s:s}", "unpadded", S(v, "input")));
        } else if (strcmp(kind, "token_invalid") == 0)
            token_invalid_vector(&s, v);
        else if (strncmp(S(v, "name"), "token", 5) == 0)
            token_vector(&s, v);
        else if (strcmp(kind, "x25519") == 0)
            x25519_vector(&s, v);
        else if (strncmp(S(v, "name"), "ed25519", 7) == 0)
            ed25519_vector(&s, v);
    }
    /* the reference's lax unpad, and its refusal of a pad length above 16 */
    add(&s, "pkcs7_unpad", json_pack("{s:s}", "data", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa05"),
        json_pack("{s:s}", "unpadded", "aaaaaaaaaaaaaaaaaaaaaa"));
    add(&s, "pkcs7_unpad", json_pack("{s:s}", "data", "000000000000000000000000000000000011"), NULL);
    /* AES-128 (NIST SP 800-38A F.2.1, first block) and a key of the wrong size */
    add(&s, "aes_256_cbc_encrypt",
        json_pack("{s:s,s:s,s:s}", "plaintext", "6bc1bee22e409f96e93d7e117393172a", "key",
                  "2b7e151628aed2a6abf7158809cf4f3c", "iv", "000102030405060708090a0b0c0d0e0f"),
        NULL);
    add(&s, "aes_encrypt",
        json_pack("{s:s,s:s,s:s,s:s}", "plaintext", "6bc1bee22e409f96e93d7e117393172a", "key",
                  "2b7e151628aed2a6abf7158809cf4f3c", "iv", "000102030405060708090a0b0c0d0e0f",
                  "mode", "AES_128_CBC"),
        json_pack("{s:s}", "ciphertext",
                  "7649abac8119b246cee98e9b12e9197d8964e0b149c10b7b682e6e39aaeb731c"));
    add(&s, "token_generate_key", json_pack("{s:s}", "mode", "AES_256_CBC"), json_object());
    add(&s, "token_generate_key", json_pack("{s:s}", "mode", "AES_512"), NULL);
    check_and_free(&s);

    /* round trips of the randomised token encryption, both key sizes */
    sc_init(&s);
    add(&s, "token_encrypt", json_pack("{s:s,s:s}", "key", S(tu_vector(file, "token_hello"), "key"),
                                       "plaintext", "68656c6c6f"), json_object());
    add(&s, "token_encrypt", json_pack("{s:s,s:s}", "key", "000102030405060708090a0b0c0d0e0f"
                                       "101112131415161718191a1b1c1d1e1f", "plaintext", "6869"),
        json_object());
    answers = check(&s);
    sc_init(&rt);
    add(&rt, "token_decrypt", json_pack("{s:s,s:s}", "key", S(tu_vector(file, "token_hello"), "key"),
                                        "token", answer_hex(answers, 0, "token")),
        json_pack("{s:s}", "plaintext", "68656c6c6f"));
    add(&rt, "token_decrypt", json_pack("{s:s,s:s}", "key", "000102030405060708090a0b0c0d0e0f"
                                        "101112131415161718191a1b1c1d1e1f",
                                        "token", answer_hex(answers, 1, "token")),
        json_pack("{s:s}", "plaintext", "6869"));
    check_and_free(&rt);
    json_decref(answers);
    sc_free(&s);
    json_decref(file);
}

/* ---- identity.json ---------------------------------------------------------------- */

static const char *priv_of(json_t *file, const char *label)
{
    char name[64];
    snprintf(name, sizeof name, "identity_%s", label);
    return S(tu_vector(file, name), "private_key");
}

static const char *pub_of(json_t *file, const char *label)
{
    char name[64];
    snprintf(name, sizeof name, "identity_%s", label);
    return S(tu_vector(file, name), "public_key");
}

static void destination_vector(script *s, json_t *v)
{
    json_t *aspects = json_object_get(v, "aspects");
    const char *ih = json_string_value(json_object_get(v, "identity_hash"));

    add(s, "name_hash", json_pack("{s:s}", "name", S(v, "full_name")),
        json_pack("{s:s}", "hash", S(v, "name_hash")));
    add(s, "app_and_aspects_from_name", json_pack("{s:s}", "full_name", S(v, "full_name")),
        json_pack("{s:s,s:O}", "app_name", S(v, "app_name"), "aspects", aspects));
    if (!ih)
        return;
    add(s, "destination_hash",
        json_pack("{s:s,s:s,s:O}", "identity_hash", ih, "app_name", S(v, "app_name"), "aspects",
                  aspects),
        json_pack("{s:s}", "destination_hash", S(v, "destination_hash")));
    add(s, "hash_from_name_and_identity",
        json_pack("{s:s,s:s}", "full_name", S(v, "full_name"), "identity_hash", ih),
        json_pack("{s:s}", "destination_hash", S(v, "destination_hash")));
}

static void identity_vector(script *s, json_t *file, json_t *v)
{
    const char *kind = S(v, "kind"), *name = S(v, "name");

    if (strcmp(kind, "identity") == 0) {
        add(s, "identity_from_private_key", json_pack("{s:s}", "private_key", S(v, "private_key")),
            json_pack("{s:s,s:s,s:s}", "public_key", S(v, "public_key"), "hash",
                      S(v, "identity_hash"), "hexhash", S(v, "identity_hash")));
        add(s, "identity_hash", json_pack("{s:s}", "public_key", S(v, "public_key")),
            json_pack("{s:s}", "hash", S(v, "identity_hash")));
    } else if (strcmp(kind, "destination_hash") == 0) {
        destination_vector(s, v);
    } else if (strcmp(kind, "destination_hash_invalid") == 0) {
        add(s, "destination_hash",
            json_pack("{s:s,s:s,s:O}", "identity_hash", "00112233445566778899aabbccddeeff",
                      "app_name", S(v, "app_name"), "aspects", json_object_get(v, "aspects")),
            NULL);
    } else if (strcmp(kind, "identity_encrypt") == 0) {
        add(s, "identity_decrypt", json_pack("{s:s,s:s}", "private_key",
                                             priv_of(file, S(v, "recipient")), "ciphertext",
                                             S(v, "ciphertext")),
            json_pack("{s:s}", "plaintext", S(v, "plaintext")));
    } else if (strcmp(kind, "identity_encrypt_ratchet") == 0) {
        add(s, "ratchet_decrypt",
            json_pack("{s:s,s:s,s:[s],s:b}", "private_key", priv_of(file, S(v, "recipient")),
                      "ciphertext", S(v, "ciphertext"), "ratchet_privates",
                      S(v, "ratchet_private"), "enforce_ratchets", 1),
            json_pack("{s:s,s:s}", "plaintext", S(v, "plaintext"), "latest_ratchet_id",
                      S(v, "ratchet_id")));
        add(s, "ratchet_id", json_pack("{s:s}", "ratchet_public", S(v, "ratchet_public")),
            json_pack("{s:s}", "ratchet_id", S(v, "ratchet_id")));
        /* without the ratchet the identity key cannot open it */
        add(s, "identity_decrypt", json_pack("{s:s,s:s}", "private_key",
                                             priv_of(file, S(v, "recipient")), "ciphertext",
                                             S(v, "ciphertext")),
            json_pack("{s:n}", "plaintext"));
    } else if (strcmp(kind, "identity_decrypt_invalid") == 0) {
        add(s, "identity_decrypt", json_pack("{s:s,s:s}", "private_key",
                                             priv_of(file, S(v, "recipient")), "ciphertext",
                                             S(v, "ciphertext")),
            json_pack("{s:n}", "plaintext"));
    } else if (strcmp(kind, "identity_sign") == 0) {
        add(s, "identity_sign", json_pack("{s:s,s:s}", "private_key", priv_of(file, S(v, "identity")),
                                          "message", S(v, "message")),
            json_pack("{s:s}", "signature", S(v, "signature")));
        add(s, "identity_verify", json_pack("{s:s,s:s,s:s}", "public_key",
                                            pub_of(file, S(v, "identity")), "message",
                                            S(v, "message"), "signature", S(v, "signature")),
            json_pack("{s:b}", "valid", 1));
    }
    (void)name;
}

static void test_identity(void **state)
{
    json_t *file = tu_load_vectors("vectors/rns/identity.json"), *v, *answers;
    const char *bob_priv = priv_of(file, "bob"), *bob_pub = pub_of(file, "bob");
    script s, rt;
    size_t i;
    (void)state;

    sc_init(&s);
    json_array_foreach(json_object_get(file, "vectors"), i, v)
        identity_vector(&s, file, v);
    add(&s, "destination_expand_name",
        json_pack("{s:s,s:[s],s:s}", "app_name", "meshlog", "aspects", "sync",
                  "identity_private_key", priv_of(file, "alice")),
        json_pack("{s:s}", "name", S(tu_vector(file, "destination_meshlog.sync_alice"),
                                     "expanded_name_with_identity")));
    add(&s, "identity_random_hash", json_object(), json_object());
    check_and_free(&s);

    /* round trips: encryption to bob (also through a ratchet), identity files */
    sc_init(&s);
    add(&s, "identity_encrypt", json_pack("{s:s,s:s}", "public_key", bob_pub, "plaintext", "6869"),
        json_object());
    add(&s, "ratchet_encrypt",
        json_pack("{s:s,s:s,s:s}", "public_key", bob_pub, "plaintext", "6869", "ratchet_public",
                  S(tu_vector(file, "identity_encrypt_bob_ratchet"), "ratchet_public")),
        json_object());
    add(&s, "identity_to_file", json_pack("{s:s}", "private_key", bob_priv), json_object());
    answers = check(&s);
    sc_init(&rt);
    add(&rt, "identity_decrypt", json_pack("{s:s,s:s}", "private_key", bob_priv, "ciphertext",
                                           answer_hex(answers, 0, "ciphertext")),
        json_pack("{s:s}", "plaintext", "6869"));
    add(&rt, "ratchet_decrypt",
        json_pack("{s:s,s:s,s:s}", "private_key", bob_priv, "ciphertext",
                  answer_hex(answers, 1, "ciphertext"), "ratchet_private",
                  S(tu_vector(file, "identity_encrypt_bob_ratchet"), "ratchet_private")),
        json_pack("{s:s}", "plaintext", "6869"));
    add(&rt, "identity_from_file", json_pack("{s:s}", "path", answer_hex(answers, 2, "path")),
        json_pack("{s:b,s:s}", "found", 1, "public_key", bob_pub));
    add(&rt, "identity_from_file", json_pack("{s:s}", "path", "/nonexistent/identity"),
        json_pack("{s:b}", "found", 0));
    check_and_free(&rt);
    remove(answer_hex(answers, 2, "path"));
    json_decref(answers);
    sc_free(&s);
    json_decref(file);
}

/* ---- packets.json and announces.json ------------------------------------------------ */

static json_int_t hexbyte(json_t *v, const char *key)
{
    return strtol(S(v, key), NULL, 16);
}

/* packet_unpack and packet_hash of a packet vector, every header field. */
static void unpack_vector(script *s, json_t *v)
{
    json_t *tid = json_object_get(v, "transport_id");
    add(s, "packet_unpack", json_pack("{s:s}", "raw", S(v, "raw")),
        json_pack("{s:b,s:I,s:I,s:I,s:I,s:I,s:i,s:i,s:s,s:O,s:I,s:s,s:s}", "unpacked", 1, "flags",
                  hexbyte(v, "flags"), "hops", rt_int(v, "hops"), "header_type",
                  rt_int(v, "header_type"), "context_flag", rt_int(v, "context_flag"),
                  "transport_type", rt_int(v, "transport_type"), "destination_type",
                  rt_dest_type(S(v, "destination_type")), "packet_type",
                  rt_packet_type(S(v, "packet_type")), "destination_hash", S(v, "destination_hash"),
                  "transport_id", tid ? tid : json_null(), "context", hexbyte(v, "context"),
                  "data", S(v, "data"), "hash", S(v, "packet_hash")));
    add(s, "packet_hash", json_pack("{s:s}", "raw", S(v, "raw")),
        json_pack("{s:s}", "hash", S(v, "packet_hash")));
}

static void test_packets(void **state)
{
    json_t *file = tu_load_vectors("vectors/rns/packets.json"), *v, *cs;
    json_t *ids = tu_load_vectors("vectors/rns/identity.json");
    script s;
    size_t i, j;
    (void)state;

    sc_init(&s);
    json_array_foreach(json_object_get(file, "vectors"), i, v) {
        if (json_object_get(v, "raw") && json_object_get(v, "packet_hash"))
            unpack_vector(&s, v);
        if (strcmp(S(v, "name"), "hops_handling") == 0)
            json_array_foreach(json_object_get(v, "cases"), j, cs)
                if (json_is_true(json_object_get(cs, "unpack_ok")))
                    add(&s, "packet_hash", json_pack("{s:s}", "raw", S(cs, "raw")),
                        json_pack("{s:s}", "hash", S(cs, "packet_hash")));
        if (strcmp(S(v, "name"), "data_single") == 0)
            add(&s, "identity_decrypt",
                json_pack("{s:s,s:s}", "private_key", priv_of(ids, "bob"), "ciphertext",
                          S(v, "data")),
                json_pack("{s:s}", "plaintext", S(v, "plaintext")));
    }
    /* a PLAIN packet built here has the reference's exact bytes */
    v = tu_vector(file, "data_plain");
    add(&s, "packet_unpack", json_pack("{s:s}", "raw", "0800"), json_pack("{s:b}", "unpacked", 0));
    add(&s, "packet_hash", json_pack("{s:s}", "raw", "08"), NULL);
    add(&s, "packet_build", json_pack("{s:s,s:i,s:s}", "dest_type", "plain", "packet_type", 0,
                                      "data", S(v, "plaintext")),
        json_pack("{s:I,s:i,s:s}", "flags", hexbyte(v, "flags"), "destination_type", 2, "data",
                  S(v, "plaintext")));
    add(&s, "packet_constants", json_object(),
        json_pack("{s:i,s:i,s:i,s:i,s:i,s:i}", "mtu", 500, "header_minsize", 19, "header_maxsize",
                  35, "mdu", 464, "packet_encrypted_mdu", 383, "link_mdu", 431));
    add(&s, "packet_context_constants", json_object(),
        json_pack("{s:i,s:i,s:i}", "NONE", 0, "PATH_RESPONSE", 11, "LRPROOF", 255));
    check_and_free(&s);
    json_decref(ids);
    json_decref(file);
}

static void test_announces(void **state)
{
    json_t *file = tu_load_vectors("vectors/rns/announces.json"), *v;
    json_t *ids = tu_load_vectors("vectors/rns/identity.json");
    script s;
    size_t i;
    (void)state;

    sc_init(&s);
    json_array_foreach(json_object_get(file, "vectors"), i, v) {
        const char *name = S(v, "name");
        json_t *pk = json_object_get(v, "precondition_known_public_key");
        if (pk)  /* plant the other key first, as a remembered destination */
            add(&s, "identity_remember",
                json_pack("{s:s,s:s,s:O,s:n}", "packet_hash", "00000000000000000000000000000000",
                          "destination_hash", "12f8a71e5f9f879abad1e3474f10c0b3", "public_key", pk,
                          "app_data"),
                json_pack("{s:b,s:b}", "ok", 1, "recalled", 1));
        if (strcmp(S(v, "expect"), "valid") == 0) {
            json_t *want = json_pack("{s:b,s:b}", "valid", 1, "has_ratchet",
                                     json_object_get(v, "ratchet") != NULL);
            if (json_object_get(v, "ratchet"))
                json_object_set(want, "ratchet", json_object_get(v, "ratchet"));
            add(&s, "announce_validate", json_pack("{s:s}", "raw", S(v, "raw")), want);
            unpack_vector(&s, v);
        } else {
            add(&s, "announce_validate", json_pack("{s:s}", "raw", S(v, "raw")),
                json_pack("{s:b}", "valid", 0));
        }
        (void)name;
    }
    /* a fresh announce built here validates, with app data and a ratchet */
    add(&s, "announce_build",
        json_pack("{s:s,s:s,s:[s],s:s,s:b,s:i}", "private_key", priv_of(ids, "carol"), "app_name",
                  "meshlog", "aspects", "sync", "app_data", "6869", "enable_ratchets", 1,
                  "emission_ts", 1767225660),
        json_pack("{s:s,s:s,s:s,s:b}", "destination_hash", "d0d99c4af000ac98fc2aa4bdb0475caa",
                  "name_hash", "0226d3cbae1b47c6d882", "app_data", "6869", "has_ratchet", 1));
    add(&s, "announce_validate", json_pack("{s:s}", "raw", "0800"),
        json_pack("{s:b,s:s}", "valid", 0, "error", "unpack_failed"));
    check_and_free(&s);
    json_decref(ids);
    json_decref(file);
}

/* ---- framing.json and autointerface.json ---------------------------------------------- */

static void framing_vector(script *s, json_t *v)
{
    const char *kind = S(v, "kind");
    int kiss = strncmp(kind, "kiss", 4) == 0;

    if (strcmp(kind, "hdlc") == 0 || strcmp(kind, "kiss") == 0) {
        add(s, kiss ? "kiss_frame" : "hdlc_frame", json_pack("{s:s}", "data", S(v, "packet")),
            json_pack("{s:s}", "framed", S(v, "framed")));
        add(s, kiss ? "kiss_deframe" : "hdlc_deframe", json_pack("{s:s}", "framed", S(v, "framed")),
            json_pack("{s:s}", "data", S(v, "packet")));
    } else if (strcmp(kind, "hdlc_stream") == 0 || strcmp(kind, "kiss_stream") == 0) {
        add(s, kiss ? "kiss_deframe_stream" : "hdlc_deframe_stream",
            json_pack("{s:s,s:i}", "stream", S(v, "stream"), "hw_mtu", 500),
            json_pack("{s:O}", "frames", json_object_get(v, "expected_packets")));
    } else if (strcmp(kind, "ifac") == 0) {
        json_t *cred = json_pack("{s:O,s:O,s:I}", "network_name", json_object_get(v, "network_name"),
                                 "passphrase", json_object_get(v, "passphrase"), "ifac_size",
                                 rt_int(v, "ifac_size"));
        json_t *out = json_deep_copy(cred), *in = json_deep_copy(cred), *other = cred;
        json_object_set_new(out, "packet", json_string(S(v, "packet")));
        add(s, "ifac_outbound", out,
            json_pack("{s:s,s:s,s:s,s:s}", "masked_packet", S(v, "masked_packet"), "ifac",
                      S(v, "ifac"), "ifac_key", S(v, "ifac_key"), "ifac_identity_public_key",
                      S(v, "ifac_identity_public_key")));
        json_object_set_new(in, "masked_packet", json_string(S(v, "masked_packet")));
        add(s, "ifac_inbound", in, json_pack("{s:b,s:s}", "accepted", 1, "packet", S(v, "packet")));
        json_object_set_new(other, "passphrase", json_string("another passphrase"));
        json_object_set_new(other, "masked_packet", json_string(S(v, "masked_packet")));
        add(s, "ifac_inbound", other, json_pack("{s:b}", "accepted", 0));
    }
}

static void test_framing(void **state)
{
    json_t *file = tu_load_vectors("vectors/rns/framing.json"), *v, *row;
    json_t *auto_file = tu_load_vectors("vectors/rns/autointerface.json");
    script s;
    size_t i, j;
    (void)state;

    sc_init(&s);
    json_array_foreach(json_object_get(file, "vectors"), i, v) {
        framing_vector(&s, v);
        if (strcmp(S(v, "kind"), "interface_mtu") == 0)
            json_array_foreach(json_object_get(v, "table"), j, row)
                add(&s, "interface_optimise_mtu",
                    json_pack("{s:O}", "bitrate", json_object_get(row, "bitrate")),
                    json_pack("{s:O,s:b}", "hw_mtu", json_object_get(row, "hw_mtu"), "unchanged",
                              0));
    }
    json_array_foreach(json_object_get(auto_file, "vectors"), i, v) {
        if (strcmp(S(v, "kind"), "autointerface_token") == 0) {
            const char *g = S(v, "group_id");
            char *hex = malloc(2 * strlen(g) + 1);
            assert_non_null(hex);
            ml_hex(hex, (const uint8_t *)g, strlen(g));
            add(&s, "auto_discovery_token",
                json_pack("{s:s,s:s}", "group_id", hex, "link_local_addr",
                          S(v, "link_local_address")),
                json_pack("{s:s}", "token", S(v, "token")));
            free(hex);
        }
    }
    add(&s, "hdlc_escape", json_pack("{s:s}", "data", "7d7e00"),
        json_pack("{s:s}", "escaped", "7d5d7d5e00"));
    add(&s, "hdlc_deframe", json_pack("{s:s}", "framed", "7e0001"), NULL);
    add(&s, "kiss_deframe", json_pack("{s:s}", "framed", "c00100c0"), NULL);
    add(&s, "interface_default_ifac_size", json_object(),
        json_pack("{s:{s:i,s:i},s:i}", "default_ifac_size", "SerialInterface", 8,
                  "TCPClientInterface", 16, "ifac_min_size", 1));
    check_and_free(&s);
    json_decref(auto_file);
    json_decref(file);
}

/* ---- bz2 (resources.json) and the protocol itself --------------------------------------- */

static void test_bz2(void **state)
{
    json_t *file = tu_load_vectors("vectors/rns/resources.json"), *v = NULL, *e;
    script s;
    size_t i;
    (void)state;

    json_array_foreach(json_object_get(file, "vectors"), i, e)
        if (strcmp(S(e, "name"), "resource_5k_compressible") == 0)
            v = e;
    assert_non_null(v);
    sc_init(&s);
    add(&s, "bz2_compress", json_pack("{s:s}", "data", S(v, "payload")),
        json_pack("{s:s}", "compressed", S(v, "bz2_compressed")));
    add(&s, "bz2_decompress", json_pack("{s:s}", "compressed", S(v, "bz2_compressed")),
        json_pack("{s:s}", "decompressed", S(v, "payload")));
    /* bz2 of "hello" as Python's bz2.compress writes it */
    add(&s, "bz2_compress", json_pack("{s:s}", "data", "68656c6c6f"),
        json_pack("{s:s,s:i}", "compressed",
                  "425a68393141592653591931653d00000081000244a000219a68334d07338bb9229c28480c98b29e80",
                  "original_size", 5));
    add(&s, "bz2_decompress", json_pack("{s:s}", "compressed", "425a6839"), NULL);
    check_and_free(&s);
    json_decref(file);
}

/* ---- channel.json: envelopes and Buffer stream messages -------------------------------- */

static void test_channel(void **state)
{
    json_t *file = tu_load_vectors("vectors/rns/channel.json"), *v, *p;
    script s;
    size_t i, j;
    (void)state;

    sc_init(&s);
    json_array_foreach(json_object_get(file, "vectors"), i, v) {
        json_array_foreach(json_object_get(v, "packets"), j, p) {
            json_t *env = json_object_get(p, "envelope"), *sd = json_object_get(p, "stream_data");
            if (!env)
                continue;
            add(&s, "wire_channel_envelope_pack",
                json_pack("{s:I,s:O,s:O}", "msgtype", (json_int_t)strtol(S(env, "msgtype"), NULL, 16),
                          "sequence", json_object_get(env, "sequence"), "data",
                          json_object_get(env, "payload")),
                json_pack("{s:s}", "raw", S(p, "plaintext")));
            if (sd && j == 0)
                add(&s, "wire_buffer_pack", json_pack("{s:O}", "unpack_raw", json_object_get(env, "payload")),
                    json_pack("{s:O,s:O,s:O,s:s}", "stream_id", json_object_get(sd, "stream_id"),
                              "eof", json_object_get(sd, "eof"), "compressed",
                              json_object_get(sd, "compressed"), "data", S(v, "written_data")));
        }
    }
    add(&s, "wire_buffer_pack", json_pack("{s:i,s:s,s:b,s:b}", "stream_id", 4660, "data", "deadbeef",
                                          "eof", 1, "compressed", 0),
        json_pack("{s:s,s:i}", "raw", "9234deadbeef", "msgtype", 0xff00));
    add(&s, "wire_buffer_pack", json_pack("{s:i,s:s}", "stream_id", 16384, "data", ""),
        json_pack("{s:s}", "error", "stream_id must be 0-16383"));
    check_and_free(&s);
    json_decref(file);
}

/* ---- configuration and discovery (cmd_config.c) ------------------------------------------ */

static void test_config(void **state)
{
    static const char conf[] = "[interfaces]\n  [[probe]]\n    type = ConfigParseProbeInterface\n"
                               "    interface_enabled = true\n";
    char text[512];
    script s;
    (void)state;

    sc_init(&s);
    snprintf(text, sizeof text, "%s    discoverable = true\n    announce_interval = 1\n"
             "    networkname =\n    passphrase = k\n    bitrate = 4\n", conf);
    add(&s, "config_parse_interface", json_pack("{s:s,s:s}", "interface_name", "probe", "config_text", text),
        json_pack("{s:i,s:b,s:i,s:n,s:s,s:b,s:n,s:i,s:i}", "mode", 6, "discoverable", 1,
                  "discovery_announce_interval", 300, "ifac_netname", "ifac_netkey", "k",
                  "ifac_active", 1, "configured_bitrate", "ifac_size", 16,
                  "ic_max_held_announces", 256));
    snprintf(text, sizeof text, "%s    interface_mode = gateway\n", conf);
    add(&s, "config_parse_interface", json_pack("{s:s,s:s}", "interface_name", "probe", "config_text", text),
        NULL);
    add(&s, "config_parse_interface", json_pack("{s:s,s:s}", "interface_name", "other", "config_text", conf),
        NULL);
    add(&s, "interface_hw_mtu", json_pack("{s:s}", "type", "AutoInterface"), json_pack("{s:i}", "hw_mtu", 1196));
    add(&s, "interface_hw_mtu", json_pack("{s:s}", "type", "UDPInterface"),
        json_pack("{s:s}", "error", "no class-level HW_MTU for this interface type"));
    add(&s, "announce_queue_constants", json_object(),
        json_pack("{s:i,s:i,s:i}", "announce_cap", 2, "max_queued_announces", 16384,
                  "queued_announce_life", 86400));
    /* work block and stamp value against values made with the reference */
    add(&s, "discovery_stamp",
        json_pack("{s:s,s:s,s:s}", "op", "value", "workblock", "00", "stamp", "00"), json_pack("{s:i}", "value", 0));
    add(&s, "discovery_stamp", json_pack("{s:s,s:s,s:i}", "op", "workblock", "material",
                                         "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                                         "expand_rounds", 2),
        json_pack("{s:i}", "length", 512));
    add(&s, "discovery_stamp", json_pack("{s:s}", "op", "nonsense"), NULL);
    add(&s, "discovery_validate_address", json_pack("{s:s}", "address", "200::1"),
        json_pack("{s:b,s:b,s:b}", "is_ip_address", 1, "is_ygg_ipv6", 1, "is_hostname", 0));
    add(&s, "discovery_sanitize_name", json_pack("{s:s}", "name", "  A   B!! "),
        json_pack("{s:s,s:s}", "sanitize_name", "A B", "sanitize", "A   B!!"));
    add(&s, "kiss_deframe_stream", json_pack("{s:s,s:i}", "stream", "c000414141414141c0", "hw_mtu", 20),
        json_pack("{s:[s]}", "frames", "414141414141"));
    check_and_free(&s);
}

static void test_protocol(void **state)
{
    script s;
    (void)state;

    sc_init(&s);
    add(&s, "no_such_command", json_object(), NULL);
    add(&s, "sha256", json_object(), NULL);                         /* missing parameter */
    add(&s, "sha256", json_pack("{s:s}", "data", "abc"), NULL);     /* odd hex */
    add(&s, "sha256", json_pack("{s:i}", "data", 5), NULL);         /* not a string */
    add(&s, "identity_from_private_key", json_pack("{s:s}", "private_key", "00"), NULL);
    add(&s, "hkdf", json_pack("{s:i,s:s}", "length", 0, "ikm", "00"), NULL);
    add(&s, "packet_unpack", json_pack("{s:s}", "raw", ""), json_pack("{s:b}", "unpacked", 0));
    check_and_free(&s);
}

/* ---- live TCP on loopback: two peers inside one bridge --------------------------------- */

/* An interactive bridge: requests one at a time, for commands whose
 * parameters depend on earlier answers (handles, ports, link ids). */
typedef struct session {
    pid_t pid;
    FILE *to, *from;
    int n;
} session;

static void session_start(session *s)
{
    int in[2], out[2];
    char line[64];

    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]);
        close(out[0]);
        execl(bridge_path(), bridge_path(), (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    assert_non_null(s->to = fdopen(in[1], "w"));
    assert_non_null(s->from = fdopen(out[0], "r"));
    assert_non_null(fgets(line, sizeof line, s->from));
    assert_string_equal(line, "READY\n");
    s->n = 0;
}

/* Sends one request (params stolen); returns the answer's result (owned by
 * the caller), failing the test unless success matches want_ok. */
static json_t *call(session *s, const char *cmd, json_t *params, int want_ok)
{
    char *line = NULL, id[32];
    size_t cap = 0;
    json_t *req, *ans, *res;
    json_error_t err;

    snprintf(id, sizeof id, "w%d", s->n++);
    req = json_pack("{s:s,s:s,s:o}", "id", id, "command", cmd, "params", params);
    assert_int_equal(json_dumpf(req, s->to, JSON_COMPACT), 0);
    fputc('\n', s->to);
    fflush(s->to);
    assert_true(getline(&line, &cap, s->from) > 0);
    assert_non_null(ans = json_loads(line, 0, &err));
    if (json_is_true(json_object_get(ans, "success")) != want_ok)
        fprintf(stderr, "%s: %s", cmd, line);
    assert_int_equal(json_is_true(json_object_get(ans, "success")), want_ok);
    res = json_incref(json_object_get(ans, "result"));
    json_decref(ans);
    json_decref(req);
    free(line);
    return res ? res : json_object();
}

static void session_end(session *s)
{
    int status;

    fclose(s->to);
    fclose(s->from);
    assert_int_equal(waitpid(s->pid, &status, 0), s->pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static char *take_str(json_t *res, const char *key)
{
    const char *v = json_string_value(json_object_get(res, key));
    char *copy;
    assert_non_null(v);
    assert_non_null(copy = strdup(v));
    json_decref(res);
    return copy;
}

/* A server and a client (optionally with IFAC credentials); returns handles. */
static void start_pair(session *s, const char *net, const char *srv_pass, const char *cli_pass,
                       char **server, char **client)
{
    json_t *r = call(s, "wire_start_tcp_server",
                     json_pack("{s:s,s:s}", "network_name", net, "passphrase", srv_pass), 1);
    json_int_t port = json_integer_value(json_object_get(r, "port"));

    assert_true(port > 0);
    *server = take_str(r, "handle");
    r = call(s, "wire_start_tcp_client",
             json_pack("{s:s,s:s,s:s,s:I}", "network_name", net, "passphrase", cli_pass,
                       "target_host", "127.0.0.1", "target_port", port), 1);
    *client = take_str(r, "handle");
}

static void expect(json_t *res, const char *key, json_t *want)
{
    json_t *got = json_object_get(res, key);
    if (!json_equal(got, want))
        show_mismatch(res, key, want, got);
    assert_true(json_equal(got, want));
    json_decref(want);
}

static void test_wire_loopback(void **state)
{
    session s;
    char *srv, *cli, *dest, *pub, *link;
    json_t *r;
    (void)state;

    session_start(&s);
    start_pair(&s, "", "", "", &srv, &cli);
    r = call(&s, "wire_listen", json_pack("{s:s,s:s,s:[s],s:s}", "handle", srv, "app_name",
                                          "meshlog", "aspects", "ci", "proof_strategy", "all"), 1);
    assert_non_null(pub = strdup(json_string_value(json_object_get(r, "public_key"))));
    dest = take_str(r, "destination_hash");
    r = call(&s, "wire_poll_path", json_pack("{s:s,s:s,s:i}", "handle", cli, "destination_hash",
                                             dest, "timeout_ms", 5000), 1);
    expect(r, "found", json_true());
    expect(r, "hops", json_integer(1));
    json_decref(r);
    r = call(&s, "wire_identity_recall", json_pack("{s:s,s:s}", "handle", cli, "destination_hash", dest), 1);
    expect(r, "public_key", json_string(pub));
    json_decref(r);
    /* an opportunistic packet, proved by the destination */
    r = call(&s, "wire_send_opportunistic",
             json_pack("{s:s,s:s,s:s,s:[s],s:s,s:i}", "handle", cli, "destination_hash", dest,
                       "app_name", "meshlog", "aspects", "ci", "data", "6869", "timeout_ms", 5000), 1);
    expect(r, "delivered", json_true());
    json_decref(r);
    r = call(&s, "wire_opportunistic_poll",
             json_pack("{s:s,s:s,s:i}", "handle", srv, "destination_hash", dest, "timeout_ms", 2000), 1);
    expect(r, "packets", json_pack("[s]", "6869"));
    json_decref(r);
    /* a link: open, data across, teardown seen on both ends */
    r = call(&s, "wire_link_open", json_pack("{s:s,s:s,s:s,s:[s]}", "handle", cli, "destination_hash",
                                             dest, "app_name", "meshlog", "aspects", "ci"), 1);
    link = take_str(r, "link_id");
    json_decref(call(&s, "wire_link_send", json_pack("{s:s,s:s,s:s}", "handle", cli, "link_id", link,
                                                     "data", "70696e67"), 1));
    r = call(&s, "wire_link_poll",
             json_pack("{s:s,s:s,s:i}", "handle", srv, "destination_hash", dest, "timeout_ms", 2000), 1);
    expect(r, "packets", json_pack("[s]", "70696e67"));
    json_decref(r);
    r = call(&s, "wire_link_status", json_pack("{s:s,s:s}", "handle", cli, "link_id", link), 1);
    expect(r, "status_name", json_string("ACTIVE"));
    json_decref(r);
    /* a request over the link, answered by a handler on the destination */
    json_decref(call(&s, "wire_register_request_handler",
                     json_pack("{s:s,s:s,s:s,s:s}", "handle", srv, "destination_hash", dest, "path",
                               "/echo", "response", "706f6e67"), 1));
    r = call(&s, "wire_link_request", json_pack("{s:s,s:s,s:s,s:s,s:i}", "handle", cli, "link_id", link,
                                                "path", "/echo", "data", "6869", "timeout_ms", 5000), 1);
    expect(r, "status", json_string("ready"));
    expect(r, "response", json_string("706f6e67"));
    json_decref(r);
    r = call(&s, "wire_get_request_log", json_pack("{s:s,s:s,s:s}", "handle", srv, "destination_hash",
                                                   dest, "path", "/echo"), 1);
    expect(r, "count", json_integer(1));
    json_decref(r);
    r = call(&s, "wire_deregister_request_handler",
             json_pack("{s:s,s:s,s:s}", "handle", srv, "destination_hash", dest, "path", "/none"), 1);
    expect(r, "deregistered", json_false());
    json_decref(r);
    r = call(&s, "wire_deregister_request_handler",
             json_pack("{s:s,s:s,s:s}", "handle", srv, "destination_hash", dest, "path", "/echo"), 1);
    expect(r, "deregistered", json_true());
    json_decref(r);
    r = call(&s, "wire_get_request_log", json_pack("{s:s,s:s,s:s}", "handle", srv, "destination_hash",
                                                   dest, "path", "/echo"), 1);
    expect(r, "count", json_integer(1));   /* the log stays readable */
    json_decref(r);
    json_decref(call(&s, "wire_link_teardown", json_pack("{s:s,s:s}", "handle", cli, "link_id", link), 1));
    r = call(&s, "wire_link_await_status", json_pack("{s:s,s:s,s:s,s:i}", "handle", cli, "link_id",
                                                     link, "target_status", "CLOSED", "timeout_ms", 2000), 1);
    expect(r, "reached", json_true());
    json_decref(r);
    for (int i = 0; i < 40; i++) {  /* the responder hears LINKCLOSE a moment later */
        r = call(&s, "wire_listener_link_status",
                 json_pack("{s:s,s:s,s:i}", "handle", srv, "destination_hash", dest, "timeout_ms", 50), 1);
        const char *st = json_string_value(json_object_get(r, "status_name"));
        if ((st && strcmp(st, "CLOSED") == 0) || i == 39)
            break;
        json_decref(r);
    }
    expect(r, "teardown_reason_name", json_string("INITIATOR_CLOSED"));
    json_decref(r);
    /* GROUP destinations: a shared key decrypts, another key does not */
    r = call(&s, "wire_group_create", json_pack("{s:s,s:s,s:[s]}", "handle", srv, "app_name", "meshlog",
                                                "aspects", "group"), 1);
    {
        char *gdest = strdup(json_string_value(json_object_get(r, "destination_hash")));
        char *key = take_str(r, "key"), *ct;
        assert_non_null(gdest);
        json_decref(call(&s, "wire_group_create", json_pack("{s:s,s:s,s:[s],s:s}", "handle", cli,
                                                            "app_name", "meshlog", "aspects", "group",
                                                            "key", key), 1));
        ct = take_str(call(&s, "wire_group_encrypt", json_pack("{s:s,s:s,s:s}", "handle", cli,
                                                               "destination_hash", gdest,
                                                               "plaintext", "6869"), 1),
                      "ciphertext");
        r = call(&s, "wire_group_decrypt", json_pack("{s:s,s:s,s:s}", "handle", srv, "destination_hash",
                                                     gdest, "ciphertext", ct), 1);
        expect(r, "plaintext", json_string("6869"));
        json_decref(r);
        free(gdest), free(key), free(ct);
    }
    json_decref(call(&s, "wire_stop", json_pack("{s:s}", "handle", cli), 1));
    json_decref(call(&s, "wire_stop", json_pack("{s:s}", "handle", cli), 0));   /* gone */
    json_decref(call(&s, "wire_stop", json_pack("{s:s}", "handle", srv), 1));
    free(srv), free(cli), free(dest), free(pub), free(link);
    session_end(&s);
}

/* The link commands of cmd_link.c: watchdog read-outs, crafted and damaged
 * link traffic fed to the core, and the handshake gates. */
static void test_wire_links(void **state)
{
    session s;
    char *srv, *cli, *dest, *link;
    json_t *r;
    double ka;
    (void)state;

    session_start(&s);
    r = call(&s, "wire_link_signalling_bytes", json_pack("{s:i,s:i}", "mtu", 500, "mode", 1), 1);
    expect(r, "signalling_bytes", json_string("2001f4"));
    json_decref(r);
    r = call(&s, "wire_link_signalling_bytes", json_pack("{s:i,s:i}", "mtu", 500, "mode", 0), 1);
    expect(r, "raised", json_true());
    json_decref(r);
    start_pair(&s, "", "", "", &srv, &cli);
    r = call(&s, "wire_listen", json_pack("{s:s,s:s,s:[s]}", "handle", srv, "app_name", "meshlog",
                                          "aspects", "links"), 1);
    dest = take_str(r, "destination_hash");
    json_decref(call(&s, "wire_poll_path", json_pack("{s:s,s:s,s:i}", "handle", cli,
                                                     "destination_hash", dest, "timeout_ms", 5000), 1));
    r = call(&s, "wire_link_open", json_pack("{s:s,s:s,s:s,s:[s]}", "handle", cli, "destination_hash",
                                             dest, "app_name", "meshlog", "aspects", "links"), 1);
    link = take_str(r, "link_id");
    r = call(&s, "wire_link_status", json_pack("{s:s,s:s}", "handle", cli, "link_id", link), 1);
    ka = json_real_value(json_object_get(r, "keepalive_s"));
    expect(r, "stale_time_s", json_real(2 * ka));
    assert_true(json_is_integer(json_object_get(r, "no_inbound_for_ms")));
    json_decref(r);
    r = call(&s, "wire_link_set_watchdog", json_pack("{s:s,s:s,s:f,s:f}", "handle", cli, "link_id",
                                                     link, "keepalive_s", 50.0, "stale_time_s", 90.0), 1);
    expect(r, "stale_time_s", json_real(90.0));
    json_decref(r);
    /* the responder answers a ping at once */
    r = call(&s, "wire_send_keepalive_probe", json_pack("{s:s,s:s}", "handle", srv, "link_id", link), 1);
    expect(r, "response", json_string("fe"));
    expect(r, "last_data_advanced", json_false());
    json_decref(r);
    /* damaged link data is not delivered; nor is good data on another interface */
    r = call(&s, "wire_inject_tampered_link_data", json_pack("{s:s,s:s,s:s,s:s}", "handle", srv,
                                                             "link_id", link, "data", "6869",
                                                             "corruption", "hmac"), 1);
    expect(r, "delivered", json_false());
    expect(r, "link_active", json_true());
    json_decref(r);
    r = call(&s, "wire_inject_tampered_link_data",
             json_pack("{s:s,s:s,s:s,s:s}", "handle", srv, "link_id", link, "data", "6869",
                       "corruption", "foreign_interface"), 1);
    expect(r, "delivered", json_false());
    json_decref(r);
    r = call(&s, "wire_inject_tampered_link_data", json_pack("{s:s,s:s,s:s,s:s}", "handle", srv,
                                                             "link_id", link, "data", "6869",
                                                             "corruption", "none"), 1);
    expect(r, "delivered", json_true());
    json_decref(r);
    /* handshake gates on self-made links */
    r = call(&s, "wire_inject_crafted_lrproof", json_pack("{s:s,s:s}", "handle", cli, "variant",
                                                          "forged_signature"), 1);
    expect(r, "activated", json_false());
    json_decref(r);
    r = call(&s, "wire_inject_crafted_lrproof", json_pack("{s:s,s:s}", "handle", cli, "variant",
                                                          "mode_mismatch"), 1);
    expect(r, "status_name", json_string("CLOSED"));
    json_decref(r);
    r = call(&s, "wire_inject_crafted_lrproof", json_pack("{s:s,s:s}", "handle", cli, "variant", "valid"), 1);
    expect(r, "activated", json_true());
    json_decref(r);
    r = call(&s, "wire_inject_crafted_link_request", json_pack("{s:s,s:s,s:i}", "handle", cli,
                                                               "variant", "valid64", "hops", 3), 1);
    expect(r, "mtu", json_integer(500));
    expect(r, "establishment_timeout", json_real(6 * 3 + 360));
    json_decref(r);
    r = call(&s, "wire_inject_crafted_link_request", json_pack("{s:s,s:s}", "handle", cli, "variant",
                                                               "size_66"), 1);
    expect(r, "accepted", json_false());
    json_decref(r);
    r = call(&s, "wire_inject_crafted_link_identify", json_pack("{s:s,s:s,s:s}", "handle", srv,
                                                                "link_id", link, "variant",
                                                                "forged_signature"), 1);
    expect(r, "adopted", json_false());
    json_decref(r);
    /* LINKCLOSE naming another link is ignored; the real id closes */
    r = call(&s, "wire_send_forged_link_close", json_pack("{s:s,s:s,s:s}", "handle", cli, "link_id",
                                                          link, "forged_id", dest), 1);
    expect(r, "torn_down", json_false());
    json_decref(r);
    r = call(&s, "wire_send_forged_link_close", json_pack("{s:s,s:s,s:s}", "handle", cli, "link_id",
                                                          link, "forged_id", link), 1);
    expect(r, "torn_down", json_true());
    json_decref(r);
    r = call(&s, "wire_link_key_material", json_pack("{s:s,s:s}", "handle", cli, "link_id", link), 1);
    expect(r, "derived_key_present", json_false());
    json_decref(r);
    json_decref(call(&s, "wire_stop", json_pack("{s:s}", "handle", cli), 1));
    json_decref(call(&s, "wire_stop", json_pack("{s:s}", "handle", srv), 1));
    free(srv), free(cli), free(dest), free(link);
    session_end(&s);
}

/* Buffer over a live link: the listener's policy channel reassembles a
 * compressible multi-chunk stream byte exact with EOF, takes a channel
 * message for its link, and a bz2 chunk past 16 KiB aborts its reader; a
 * throwaway channel picks the all-1 window above 1.45 s RTT. */
static void test_wire_buffer(void **state)
{
    session s;
    char *srv, *cli, *dest, *link, *hex;
    json_t *r;
    size_t n = 40000;
    (void)state;

    session_start(&s);
    start_pair(&s, "", "", "", &srv, &cli);
    r = call(&s, "wire_listen", json_pack("{s:s,s:s,s:[s]}", "handle", srv, "app_name", "meshlog",
                                          "aspects", "buf"), 1);
    dest = take_str(r, "destination_hash");
    json_decref(call(&s, "wire_poll_path", json_pack("{s:s,s:s,s:i}", "handle", cli,
                                                     "destination_hash", dest, "timeout_ms", 5000), 1));
    r = call(&s, "wire_link_open", json_pack("{s:s,s:s,s:s,s:[s]}", "handle", cli, "destination_hash",
                                             dest, "app_name", "meshlog", "aspects", "buf"), 1);
    link = take_str(r, "link_id");

    assert_non_null(hex = calloc(2 * n + 1, 1));
    for (size_t i = 0; i < 2 * n; i++)
        hex[i] = "0123456789abcdef"[(i / 2) % 16 == 0 ? 0 : (i % 7) + 1];
    r = call(&s, "wire_buffer_stream", json_pack("{s:s,s:s,s:s}", "handle", cli, "link_id", link,
                                                 "data", hex), 1);
    expect(r, "written", json_integer((json_int_t)n));
    expect(r, "eof", json_true());
    expect(r, "max_data_len", json_integer(423));
    expect(r, "tx_ring_after", json_integer(0));
    json_decref(r);
    r = call(&s, "wire_buffer_received", json_pack("{s:s,s:s,s:i}", "handle", srv,
                                                   "destination_hash", dest, "timeout_ms", 5000), 1);
    expect(r, "data", json_string(hex));
    expect(r, "eof", json_true());
    expect(r, "aborted", json_false());
    json_decref(r);
    free(hex);

    /* The same channel takes a message for the listener's recorder. */
    r = call(&s, "wire_channel_send", json_pack("{s:s,s:s,s:s}", "handle", cli, "link_id", link,
                                                "data", "c0ffee"), 1);
    expect(r, "delivered", json_true());
    json_decref(r);
    r = call(&s, "wire_channel_received", json_pack("{s:s,s:s}", "handle", srv, "link_id", link), 1);
    expect(r, "messages", json_pack("[s]", "c0ffee"));
    json_decref(r);

    r = call(&s, "wire_buffer_stream", json_pack("{s:s,s:s,s:s,s:b}", "handle", cli, "link_id",
                                                 link, "data", "", "bomb", 1), 1);
    expect(r, "bomb", json_true());
    json_decref(r);
    r = call(&s, "wire_buffer_received", json_pack("{s:s,s:s,s:i}", "handle", srv,
                                                   "destination_hash", dest, "timeout_ms", 5000), 1);
    expect(r, "aborted", json_true());
    expect(r, "data", json_string(""));
    json_decref(r);

    r = call(&s, "wire_channel_profile", json_pack("{s:s,s:s,s:f}", "handle", cli, "link_id", link,
                                                   "rtt", 1.46), 1);
    expect(r, "window", json_integer(1));
    expect(r, "window_max", json_integer(1));
    json_decref(r);
    json_decref(call(&s, "wire_stop", json_pack("{s:s}", "handle", cli), 1));
    json_decref(call(&s, "wire_stop", json_pack("{s:s}", "handle", srv), 1));
    free(srv), free(cli), free(dest), free(link);
    session_end(&s);
}

/* Channel flow over a live link: a delivered send grows the window, a
 * failed transmit gives its sequence back, an oversized message is refused,
 * a send whose proofs are ignored tears the link down after 5 tries (the
 * window stays readable), and the resource collision guard rebuilds. */
static void test_wire_channel_flow(void **state)
{
    session s;
    char *srv, *cli, *dest, *link;
    json_t *r;
    json_int_t mdu;
    (void)state;

    session_start(&s);
    start_pair(&s, "", "", "", &srv, &cli);
    r = call(&s, "wire_listen", json_pack("{s:s,s:s,s:[s]}", "handle", srv, "app_name", "meshlog",
                                          "aspects", "flow"), 1);
    dest = take_str(r, "destination_hash");
    json_decref(call(&s, "wire_poll_path", json_pack("{s:s,s:s,s:i}", "handle", cli,
                                                     "destination_hash", dest, "timeout_ms", 5000), 1));
    r = call(&s, "wire_link_open", json_pack("{s:s,s:s,s:s,s:[s]}", "handle", cli, "destination_hash",
                                             dest, "app_name", "meshlog", "aspects", "flow"), 1);
    link = take_str(r, "link_id");

    r = call(&s, "wire_resource_force_collision", json_pack("{s:s,s:s}", "handle", cli, "link_id",
                                                            link), 1);
    expect(r, "remapped", json_true());
    expect(r, "hashmap_changed", json_true());
    expect(r, "builds", json_integer(2));
    assert_true(json_integer_value(json_object_get(r, "num_parts")) >= 2);
    json_decref(r);

    r = call(&s, "wire_channel_window", json_pack("{s:s,s:s}", "handle", cli, "link_id", link), 1);
    expect(r, "window", json_integer(2));
    mdu = json_integer_value(json_object_get(r, "outlet_mdu"));
    expect(r, "mdu", json_integer(mdu - 6));
    json_decref(r);
    r = call(&s, "wire_channel_timeout_formula",
             json_pack("{s:s,s:s,s:f,s:i,s:i}", "handle", cli, "link_id", link, "rtt", 0.5,
                       "tries", 3, "ring_depth", 4), 1);
    expect(r, "ring_depth", json_integer(4));
    assert_true(fabs(json_real_value(json_object_get(r, "timeout")) - 2.25 * 1.25 * 5.5) < 1e-9);
    json_decref(r);
    r = call(&s, "wire_channel_timeout_formula",
             json_pack("{s:s,s:s,s:f,s:i}", "handle", cli, "link_id", link, "rtt", 0.001,
                       "tries", 1), 1);
    assert_true(fabs(json_real_value(json_object_get(r, "timeout")) - 0.025 * 1.5) < 1e-9);
    json_decref(r);
    r = call(&s, "wire_channel_send", json_pack("{s:s,s:s,s:s,s:b}", "handle", cli, "link_id", link,
                                                "data", "aa", "fail_outlet", 1), 1);
    expect(r, "rejected", json_true());
    expect(r, "ce_type", json_integer(3));
    expect(r, "next_sequence", json_integer(0));
    json_decref(r);
    r = call(&s, "wire_channel_send", json_pack("{s:s,s:s,s:s,s:i}", "handle", cli, "link_id", link,
                                                "data", "bb", "msgtype", 0xF000), 1);
    expect(r, "rejected", json_true());
    expect(r, "sent", json_false());
    json_decref(r);
    r = call(&s, "wire_channel_send", json_pack("{s:s,s:s,s:s}", "handle", cli, "link_id", link,
                                                "data", "cc"), 1);
    expect(r, "delivered", json_true());
    expect(r, "sequence", json_integer(0));
    expect(r, "window", json_integer(3));
    json_decref(r);
    r = call(&s, "wire_listener_proof_log", json_pack("{s:s,s:s}", "handle", srv,
                                                      "destination_hash", dest), 1);
    expect(r, "channel_proofs", json_integer(1));
    expect(r, "channel_context", json_integer(0x0E));
    json_decref(r);
    r = call(&s, "wire_listener_channel_rx", json_pack("{s:s,s:s}", "handle", srv,
                                                       "destination_hash", dest), 1);
    expect(r, "next_rx_sequence", json_integer(1));
    json_decref(r);
    {
        size_t n = (size_t)mdu - 5;
        char *hex = calloc(2 * n + 1, 1);
        assert_non_null(hex);
        memset(hex, '0', 2 * n);
        r = call(&s, "wire_channel_send", json_pack("{s:s,s:s,s:s}", "handle", cli, "link_id",
                                                    link, "data", hex), 1);
        free(hex);
        expect(r, "ce_type", json_integer(5));
        expect(r, "next_sequence", json_integer(1));
        json_decref(r);
    }
    r = call(&s, "wire_channel_emit_capture", json_pack("{s:s,s:s,s:s}", "handle", cli, "link_id",
                                                        link, "data", "dd"), 1);
    expect(r, "context", json_integer(0x0E));
    expect(r, "packet_type", json_integer(0));
    expect(r, "delivered", json_true());
    json_decref(r);

    r = call(&s, "wire_channel_send", json_pack("{s:s,s:s,s:s,s:b}", "handle", cli, "link_id", link,
                                                "data", "ee", "drop_acks", 1), 1);
    expect(r, "delivered", json_false());
    expect(r, "tries", json_integer(5));
    expect(r, "link_status", json_integer(4));
    json_decref(r);
    r = call(&s, "wire_channel_window", json_pack("{s:s,s:s}", "handle", cli, "link_id", link), 1);
    expect(r, "window", json_integer(2));
    expect(r, "tx_ring", json_integer(0));
    json_decref(r);

    json_decref(call(&s, "wire_stop", json_pack("{s:s}", "handle", cli), 1));
    json_decref(call(&s, "wire_stop", json_pack("{s:s}", "handle", srv), 1));
    free(srv), free(cli), free(dest), free(link);
    session_end(&s);
}

/* A transport node in the middle: C's destination reaches A at 2 hops through
 * the server's transport id, and a link goes across; a shared instance with
 * transport off relays for its local client. */
static void test_wire_transport(void **state)
{
    session s;
    char *srv, *a, *c, *dest, *tid, *link, *master, *lc;
    json_int_t port;
    json_t *r;
    (void)state;

    session_start(&s);
    r = call(&s, "wire_start_tcp_server", json_pack("{s:s,s:s,s:s}", "network_name", "",
                                                    "passphrase", "", "mode", "gateway"), 1);
    expect(r, "transport_enabled", json_true());
    port = json_integer_value(json_object_get(r, "port"));
    assert_non_null(tid = strdup(json_string_value(json_object_get(r, "identity_hash"))));
    srv = take_str(r, "handle");
    a = take_str(call(&s, "wire_start_tcp_client",
                      json_pack("{s:s,s:s,s:s,s:I}", "network_name", "", "passphrase", "",
                                "target_host", "127.0.0.1", "target_port", port), 1), "handle");
    c = take_str(call(&s, "wire_start_tcp_client",
                      json_pack("{s:s,s:s,s:s,s:I}", "network_name", "", "passphrase", "",
                                "target_host", "127.0.0.1", "target_port", port), 1), "handle");
    dest = take_str(call(&s, "wire_listen", json_pack("{s:s,s:s,s:[s]}", "handle", c, "app_name",
                                                      "meshlog", "aspects", "hop"), 1),
                    "destination_hash");
    r = call(&s, "wire_poll_path", json_pack("{s:s,s:s,s:i}", "handle", a, "destination_hash",
                                             dest, "timeout_ms", 5000), 1);
    expect(r, "hops", json_integer(2));
    json_decref(r);
    r = call(&s, "wire_read_path_entry", json_pack("{s:s,s:s}", "handle", a, "destination_hash", dest), 1);
    expect(r, "next_hop", json_string(tid));
    json_decref(r);
    r = call(&s, "wire_read_path_random_hash", json_pack("{s:s,s:s}", "handle", srv,
                                                         "destination_hash", dest), 1);
    expect(r, "found", json_true());
    json_decref(r);
    link = take_str(call(&s, "wire_link_open", json_pack("{s:s,s:s,s:s,s:[s]}", "handle", a,
                                                         "destination_hash", dest, "app_name",
                                                         "meshlog", "aspects", "hop"), 1),
                    "link_id");
    json_decref(call(&s, "wire_link_send", json_pack("{s:s,s:s,s:s}", "handle", a, "link_id", link,
                                                     "data", "6869"), 1));
    r = call(&s, "wire_link_poll", json_pack("{s:s,s:s,s:i}", "handle", c, "destination_hash", dest,
                                             "timeout_ms", 2000), 1);
    expect(r, "packets", json_pack("[s]", "6869"));
    json_decref(r);
    /* a gateway interface goes looking for unknown paths */
    json_decref(call(&s, "wire_request_path", json_pack("{s:s,s:s}", "handle", c, "destination_hash",
                                                        "00112233445566778899aabbccddeeff"), 1));
    for (int i = 0; i < 50; i++) {
        r = call(&s, "wire_has_discovery_path_request",
                 json_pack("{s:s,s:s}", "handle", srv, "destination_hash",
                           "00112233445566778899aabbccddeeff"), 1);
        if (json_is_true(json_object_get(r, "found")) || i == 49)
            break;
        json_decref(r);
        json_decref(call(&s, "wire_tx_bytes", json_pack("{s:s}", "handle", srv), 1));
    }
    expect(r, "found", json_true());
    json_decref(r);
    json_decref(call(&s, "wire_set_interface_mode", json_pack("{s:s,s:s}", "handle", srv, "mode", "nope"), 0));
    /* a shared instance with transport off relays its local client's announce */
    r = call(&s, "wire_start_tcp_server", json_pack("{s:s,s:s,s:b,s:s,s:b}", "network_name", "",
                                                    "passphrase", "", "share_instance", 1,
                                                    "share_instance_type", "tcp",
                                                    "enable_transport", 0), 1);
    expect(r, "transport_enabled", json_false());
    port = json_integer_value(json_object_get(r, "shared_instance_port"));
    assert_true(port > 0);
    master = take_str(r, "handle");
    lc = take_str(call(&s, "wire_start_local_client", json_pack("{s:I}", "shared_instance_port", port), 1),
                  "handle");
    r = call(&s, "wire_transport_enabled", json_pack("{s:s}", "handle", master), 1);
    expect(r, "is_shared_instance", json_true());
    json_decref(r);
    free(dest);
    dest = take_str(call(&s, "wire_announce", json_pack("{s:s,s:s,s:[s]}", "handle", lc, "app_name",
                                                        "meshlog", "aspects", "local"), 1),
                    "destination_hash");
    r = call(&s, "wire_poll_path", json_pack("{s:s,s:s,s:i}", "handle", master, "destination_hash",
                                             dest, "timeout_ms", 5000), 1);
    expect(r, "hops", json_integer(0));
    json_decref(r);
    for (char **h = (char *[]){lc, master, a, c, srv, NULL}; *h; h++)
        json_decref(call(&s, "wire_stop", json_pack("{s:s}", "handle", *h), 1));
    free(srv), free(a), free(c), free(dest), free(tid), free(link), free(master), free(lc);
    session_end(&s);
}

/* rpc_key (malformed: the default) and the trusted source lists at start. */
static void test_wire_config_sources(void **state)
{
    session s;
    char *a, *b;
    json_t *r;
    (void)state;

    session_start(&s);
    json_decref(call(&s, "wire_start_tcp_server",
                     json_pack("{s:s,s:s,s:[s]}", "network_name", "", "passphrase", "", "blackhole_sources",
                               "00112233445566778899aabbccddee"), 0));
    json_decref(call(&s, "wire_start_tcp_server",
                     json_pack("{s:s,s:s,s:[s]}", "network_name", "", "passphrase", "",
                               "interface_discovery_sources", "zz112233445566778899aabbccddeeff"), 0));
    a = take_str(call(&s, "wire_start_tcp_server",
                      json_pack("{s:s,s:s,s:s,s:[s,s],s:[s]}", "network_name", "", "passphrase", "",
                                "rpc_key", "nothexkey00zz", "blackhole_sources",
                                "00112233445566778899aabbccddeeff", "00112233445566778899AABBCCDDEEFF",
                                "interface_discovery_sources", "ffeeddccbbaa99887766554433221100"), 1),
                 "handle");
    b = take_str(call(&s, "wire_start_tcp_server",
                      json_pack("{s:s,s:s,s:s}", "network_name", "", "passphrase", "", "rpc_key", "0a0B"), 1),
                 "handle");
    r = call(&s, "wire_instance_posture", json_pack("{s:s}", "handle", a), 1);
    expect(r, "blackhole_sources", json_pack("[s]", "00112233445566778899aabbccddeeff"));
    expect(r, "interface_discovery_sources", json_pack("[s]", "ffeeddccbbaa99887766554433221100"));
    json_decref(r);
    r = call(&s, "wire_rpc_authkey", json_pack("{s:s}", "handle", a), 1);
    {
        uint8_t priv[64], want[32];
        char hex[65];
        const char *p = json_string_value(json_object_get(r, "transport_private_key"));
        assert_non_null(p);
        assert_int_equal(ml_unhex(priv, sizeof priv, p, strlen(p)), 0);
        ml_sha256(want, priv, sizeof priv);
        ml_hex(hex, want, sizeof want);
        expect(r, "rpc_key", json_string(hex));
    }
    json_decref(r);
    r = call(&s, "wire_rpc_authkey", json_pack("{s:s}", "handle", b), 1);
    expect(r, "rpc_key", json_string("0a0b"));
    json_decref(r);
    json_decref(call(&s, "wire_stop", json_pack("{s:s}", "handle", a), 1));
    json_decref(call(&s, "wire_stop", json_pack("{s:s}", "handle", b), 1));
    free(a), free(b);
    session_end(&s);
}

/* Announces cross an IFAC link only when both ends share the credentials. */
static void test_wire_ifac(void **state)
{
    session s;
    char *srv, *cli, *srv2, *cli2, *dest;
    json_t *r;
    (void)state;

    session_start(&s);
    start_pair(&s, "meshlog-ci", "right", "right", &srv, &cli);
    start_pair(&s, "meshlog-ci", "right", "wrong", &srv2, &cli2);
    dest = take_str(call(&s, "wire_announce", json_pack("{s:s,s:s,s:[s],s:s}", "handle", cli,
                                                        "app_name", "meshlog", "aspects", "ifac",
                                                        "app_data", "6869"), 1),
                    "destination_hash");
    r = call(&s, "wire_poll_path", json_pack("{s:s,s:s,s:i}", "handle", srv, "destination_hash",
                                             dest, "timeout_ms", 5000), 1);
    expect(r, "found", json_true());
    json_decref(r);
    r = call(&s, "wire_identity_recall", json_pack("{s:s,s:s}", "handle", srv, "destination_hash", dest), 1);
    expect(r, "app_data", json_string("6869"));
    json_decref(r);
    /* the destination does not prove: forged proofs must not settle the receipt */
    {
        static const char *const variants[] = {"forged_implicit", "forged_explicit",
                                               "wrong_hash_explicit", "wrong_length_mid"};
        char *rid = take_str(call(&s, "wire_send_packet",
                                  json_pack("{s:s,s:s,s:s,s:[s],s:s}", "handle", srv,
                                            "destination_hash", dest, "app_name", "meshlog",
                                            "aspects", "ifac", "data", "6869"), 1),
                             "receipt_id");
        for (size_t i = 0; i < 4; i++) {
            r = call(&s, "wire_inject_crafted_proof",
                     json_pack("{s:s,s:s,s:s}", "handle", srv, "receipt_id", rid, "variant",
                               variants[i]), 1);
            expect(r, "validated", json_false());
            expect(r, "status_name", json_string("SENT"));
            json_decref(r);
        }
        free(rid);
    }
    free(dest);
    dest = take_str(call(&s, "wire_announce", json_pack("{s:s,s:s,s:[s]}", "handle", cli2, "app_name",
                                                        "meshlog", "aspects", "ifac"), 1),
                    "destination_hash");
    r = call(&s, "wire_poll_path", json_pack("{s:s,s:s,s:i}", "handle", srv2, "destination_hash",
                                             dest, "timeout_ms", 1000), 1);
    expect(r, "found", json_false());
    json_decref(r);
    r = call(&s, "wire_ifac_compute", json_pack("{s:s,s:s}", "handle", srv, "packet_data",
                                                "000102030405060708090a0b0c0d0e0f"), 1);
    expect(r, "ifac_size", json_integer(16));
    json_decref(r);
    free(srv), free(cli), free(srv2), free(cli2), free(dest);
    session_end(&s);   /* end of input stops every peer */
}

/* ---- destination objects, key-less identities, HEADER_2 origination ------------------ */

/* Destinations named from the golden identities: the constructed hash is the
 * announced one; the guards refuse; the cache and default app data act. */
static void test_destinations(void **state)
{
    json_t *file = tu_load_vectors("vectors/rns/announces.json"), *v, *id, *answers;
    const char *alice = NULL, *dest = NULL;
    size_t i;
    script s;
    (void)state;

    json_array_foreach(json_object_get(file, "identities"), i, id)
        if (strcmp(S(id, "label"), "alice") == 0)
            alice = S(id, "private_key");
    json_array_foreach(json_object_get(file, "vectors"), i, v)
        if (json_object_get(v, "identity") && strcmp(S(v, "identity"), "alice") == 0)
            dest = S(v, "destination_hash");
    assert_non_null(alice);
    assert_non_null(dest);
    sc_init(&s);
    add(&s, "destination_construct",
        json_pack("{s:s,s:s,s:s,s:[s],s:s}", "direction", "in", "type", "single", "app_name",
                  "meshlog", "aspects", "sync", "identity_private_key", alice),
        json_pack("{s:s,s:i,s:i,s:i}", "destination_hash", dest, "proof_strategy", 0x21, "type", 0,
                  "direction", 0x11));
    add(&s, "destination_construct", json_pack("{s:s,s:s,s:s}", "direction", "out", "type",
                                               "single", "app_name", "meshlog"), NULL);
    add(&s, "destination_construct",
        json_pack("{s:s,s:s,s:s,s:s}", "direction", "in", "type", "plain", "app_name", "meshlog",
                  "identity_private_key", alice), NULL);
    add(&s, "destination_construct",
        json_pack("{s:s,s:i,s:s}", "direction", "in", "type", 0x99, "app_name", "meshlog"), NULL);
    add(&s, "destination_construct",
        json_pack("{s:i,s:s,s:s}", "direction", 0x99, "type", "single", "app_name", "meshlog"), NULL);
    add(&s, "destination_construct", json_pack("{s:s,s:s,s:s}", "direction", "in", "type",
                                               "plain", "app_name", "meshlog"),
        json_pack("{s:s,s:i}", "name", "meshlog", "type", 2));
    add(&s, "destination_announce_attempt", json_pack("{s:s,s:s,s:s}", "direction", "in", "type",
                                                      "group", "app_name", "meshlog"), NULL);
    add(&s, "destination_announce_attempt", json_pack("{s:s,s:s,s:s}", "direction", "in", "type",
                                                      "single", "app_name", "meshlog"),
        json_pack("{s:b}", "ok", 1));
    add(&s, "destination_set_proof_strategy_raw",
        json_pack("{s:s,s:i}", "app_name", "meshlog", "strategy_value", 0x22),
        json_pack("{s:i}", "proof_strategy", 0x22));
    add(&s, "destination_set_proof_strategy_raw",
        json_pack("{s:s,s:i}", "app_name", "meshlog", "strategy_value", 0x99), NULL);
    add(&s, "destination_rotate_ratchets", json_pack("{s:s}", "app_name", "meshlog"), NULL);
    add(&s, "destination_rotate_ratchets", json_pack("{s:s,s:b}", "app_name", "meshlog", "enable", 1),
        json_pack("{s:b,s:b,s:i}", "rotated", 1, "has_ratchets", 1, "ratchet_count", 1));
    add(&s, "destination_default_app_data",
        json_pack("{s:s,s:s,s:s}", "app_name", "meshlog", "default_kind", "callable",
                  "default_value", "6466"),
        json_pack("{s:s,s:b}", "app_data", "6466", "default_app_data_set", 1));
    add(&s, "destination_default_app_data",
        json_pack("{s:s,s:s,s:s,s:s}", "app_name", "meshlog", "default_kind", "bytes",
                  "default_value", "6466", "override_app_data", "6f76"),
        json_pack("{s:s}", "app_data", "6f76"));
    add(&s, "destination_register_request_handler_validate",
        json_pack("{s:s,s:s}", "app_name", "meshlog", "path", "/echo"),
        json_pack("{s:b,s:i}", "registered", 1, "handler_count", 1));
    add(&s, "destination_register_request_handler_validate",
        json_pack("{s:s,s:i}", "app_name", "meshlog", "allow", 0x99), NULL);
    add(&s, "destination_path_response_cache",
        json_pack("{s:s,s:s,s:i}", "app_name", "meshlog", "tag", "0102030405060708",
                  "advance_seconds", 0),
        json_pack("{s:b,s:i,s:b}", "reused", 1, "pr_tag_window", 30, "first_is_path_response", 1));
    add(&s, "destination_path_response_cache",
        json_pack("{s:s,s:s,s:i}", "app_name", "meshlog", "tag", "0102030405060708",
                  "advance_seconds", 31),
        json_pack("{s:b}", "reused", 0));
    for (const char *const *op = (const char *const[]){"sign", "decrypt", "encrypt", NULL}; *op; op++)
        add(&s, "identity_keyless_op", json_pack("{s:s,s:s}", "op", *op, "data", "00112233"),
            json_pack("{s:s}", "raised", "KeyError"));
    add(&s, "packet_build_raw_header2", json_pack("{s:i}", "packet_type", 1),
        json_pack("{s:s}", "error", "Packet with header type 2 must have a transport ID"));
    add(&s, "packet_build_raw_header2",
        json_pack("{s:i,s:s}", "packet_type", 1, "transport_id", "00112233445566778899aabbccddeeff"),
        json_pack("{s:i}", "raw_len", 36));
    add(&s, "packet_build_raw_header2",
        json_pack("{s:i,s:s,s:s}", "packet_type", 0, "transport_id",
                  "00112233445566778899aabbccddeeff", "data", "abcdef"),
        json_object());
    answers = check(&s);
    /* the refused DATA packet has an error and no raw bytes */
    {
        json_t *res = json_object_get(json_array_get(answers, json_array_size(answers) - 1),
                                      "result");
        assert_non_null(json_object_get(res, "error"));
        assert_null(json_object_get(res, "raw"));
    }
    json_decref(answers);
    sc_free(&s);
    json_decref(file);
}

/* Ratchets over loopback: the announce carries one, the client adopts it,
 * encrypts to it, the destination opens it with it; a rotation and a
 * re-announce replace it. */
static void test_wire_ratchets(void **state)
{
    session s;
    char *srv, *cli, *dest, *cur, *ct, *next;
    json_t *r;
    (void)state;

    session_start(&s);
    start_pair(&s, "", "", "", &srv, &cli);
    r = call(&s, "wire_announce", json_pack("{s:s,s:s,s:[s],s:b}", "handle", srv, "app_name",
                                            "meshlog", "aspects", "ratchet", "enable_ratchets", 1), 1);
    expect(r, "ratchets_enabled", json_true());
    expect(r, "ratchet_count", json_integer(1));
    assert_non_null(cur = strdup(json_string_value(json_object_get(r, "current_ratchet_id"))));
    dest = take_str(r, "destination_hash");
    r = call(&s, "wire_identity_recall", json_pack("{s:s,s:s,s:i}", "handle", cli,
                                                   "destination_hash", dest, "timeout_ms", 5000), 1);
    expect(r, "app_data", json_string(""));     /* a ratchet and no app data: present, empty */
    json_decref(r);
    r = call(&s, "wire_get_adopted_ratchet", json_pack("{s:s,s:s}", "handle", cli,
                                                       "destination_hash", dest), 1);
    expect(r, "ratchet_id", json_string(cur));
    json_decref(r);
    r = call(&s, "wire_encrypt_to_remote", json_pack("{s:s,s:s,s:s}", "handle", cli,
                                                     "destination_hash", dest, "plaintext", "6869"), 1);
    expect(r, "used_ratchet", json_true());
    ct = take_str(r, "ciphertext");
    r = call(&s, "wire_destination_decrypt", json_pack("{s:s,s:s,s:s}", "handle", srv,
                                                       "destination_hash", dest, "ciphertext", ct), 1);
    expect(r, "plaintext", json_string("6869"));
    expect(r, "latest_ratchet_id", json_string(cur));
    json_decref(r);
    r = call(&s, "wire_set_ratchet_interval", json_pack("{s:s,s:s,s:i}", "handle", srv,
                                                        "destination_hash", dest, "seconds", 100), 1);
    expect(r, "ratchet_interval", json_integer(100));
    json_decref(r);
    r = call(&s, "wire_rotate_ratchet", json_pack("{s:s,s:s,s:i}", "handle", srv, "destination_hash",
                                                  dest, "last_rotation_ago_s", 50), 1);
    expect(r, "rotated", json_false());
    json_decref(r);
    r = call(&s, "wire_reannounce", json_pack("{s:s,s:s,s:i}", "handle", srv, "destination_hash",
                                              dest, "rotate_ago_s", 99999), 1);
    next = take_str(r, "current_ratchet_id");
    assert_string_not_equal(next, cur);
    for (int i = 0; i < 50; i++) {
        r = call(&s, "wire_get_adopted_ratchet", json_pack("{s:s,s:s}", "handle", cli,
                                                           "destination_hash", dest), 1);
        const char *got = json_string_value(json_object_get(r, "ratchet_id"));
        if ((got && strcmp(got, next) == 0) || i == 49)
            break;
        json_decref(r);
        usleep(100000);
    }
    expect(r, "ratchet_id", json_string(next));
    json_decref(r);
    r = call(&s, "wire_ratchet_file_roundtrip", json_pack("{s:s,s:s}", "handle", srv,
                                                          "destination_hash", dest), 1);
    expect(r, "roundtrip_match", json_true());
    expect(r, "ratchet_count_after", json_integer(2));
    json_decref(r);
    json_decref(call(&s, "wire_read_ratchets", json_pack("{s:s,s:s}", "handle", cli,
                                                         "destination_hash", dest), 0));
    /* a received ratchet on disk: written, reloaded cold, cleaned as unknown */
    for (int i = 0; i < 2; i++) {
        r = call(&s, "wire_identity_ratchet_persist", json_pack("{s:s}", "handle", cli), 1);
        expect(r, "file_written", json_true());
        expect(r, "tmp_leftover", json_false());
        expect(r, "reload_match", json_true());
        expect(r, "reloaded_len", json_integer(32));
        expect(r, "cleaned_removed", json_true());
        json_decref(r);
    }
    free(srv), free(cli), free(dest), free(cur), free(ct), free(next);
    session_end(&s);
}

/* Proof strategies, the proof packet handed back, receipts and their gate,
 * and frames injected through an interface's receive path. */
static void test_wire_proofs(void **state)
{
    session s;
    char *srv, *cli, *dest, *lone;
    json_t *r, *params;
    (void)state;

    session_start(&s);
    start_pair(&s, "", "", "", &srv, &cli);
    dest = take_str(call(&s, "wire_listen", json_pack("{s:s,s:s,s:[s]}", "handle", srv, "app_name",
                                                      "meshlog", "aspects", "proofs"), 1),
                    "destination_hash");
    json_decref(call(&s, "wire_poll_path", json_pack("{s:s,s:s,s:i}", "handle", cli,
                                                     "destination_hash", dest, "timeout_ms", 5000), 1));
    params = json_pack("{s:s,s:s,s:s,s:[s],s:s,s:i}", "handle", cli, "destination_hash", dest,
                       "app_name", "meshlog", "aspects", "proofs", "data", "6869", "timeout_ms", 500);
    /* PROVE_NONE by default: nothing comes back */
    r = call(&s, "wire_send_packet_with_proof_request", json_deep_copy(params), 1);
    expect(r, "delivered", json_false());
    expect(r, "proof_raw", json_null());
    json_decref(r);
    r = call(&s, "wire_set_proof_strategy", json_pack("{s:s,s:s,s:s}", "handle", srv,
                                                      "destination_hash", dest, "strategy", "all"), 1);
    expect(r, "proof_strategy", json_integer(0x23));
    json_decref(r);
    json_object_set_new(params, "timeout_ms", json_integer(5000));
    r = call(&s, "wire_send_packet_with_proof_request", json_deep_copy(params), 1);
    expect(r, "delivered", json_true());
    expect(r, "proof_len", json_integer(64));
    /* the proof as received: PROOF, HEADER_1, hops 0, to the packet's truncated hash */
    assert_int_equal(strncmp(S(r, "proof_raw"), "0300", 4), 0);
    assert_int_equal(strncmp(S(r, "proof_raw") + 4, S(r, "proved_packet_hash"), 32), 0);
    json_decref(r);
    json_decref(call(&s, "wire_set_proof_implicit", json_pack("{s:s,s:b}", "handle", srv,
                                                              "enabled", 0), 1));
    r = call(&s, "wire_send_packet_with_proof_request", json_deep_copy(params), 1);
    expect(r, "proof_len", json_integer(96));
    json_decref(r);
    json_decref(params);
    r = call(&s, "wire_tx_bytes", json_pack("{s:s}", "handle", cli), 1);
    assert_true(json_integer_value(json_object_get(r, "tx_bytes")) > 0);
    json_decref(r);
    /* the receipt gate and timeouts */
    r = call(&s, "wire_packet_receipt_generation", json_pack("{s:s,s:s,s:i}", "handle", cli,
                                                             "dest_type", "single", "context", 0), 1);
    expect(r, "has_receipt", json_true());
    expect(r, "sent", json_true());
    json_decref(r);
    r = call(&s, "wire_packet_receipt_generation", json_pack("{s:s,s:s,s:i}", "handle", cli,
                                                             "dest_type", "plain", "context", 0), 1);
    expect(r, "has_receipt", json_false());
    json_decref(r);
    r = call(&s, "wire_packet_receipt_timeout", json_pack("{s:s,s:f}", "handle", cli,
                                                          "force_timeout", -1.0), 1);
    expect(r, "timeout", json_real(774.0));
    expect(r, "forced_status", json_integer(0xFF));
    json_decref(r);
    r = call(&s, "wire_inject_single_proof_format",
             json_pack("{s:s,s:s}", "handle", cli, "variant", "valid_explicit"), 1);
    expect(r, "status_name", json_string("DELIVERED"));
    json_decref(r);
    r = call(&s, "wire_inject_single_proof_format",
             json_pack("{s:s,s:s}", "handle", cli, "variant", "forged_explicit"), 1);
    expect(r, "status_name", json_string("SENT"));
    expect(r, "validated", json_false());
    json_decref(r);
    r = call(&s, "wire_inject_crafted_link_proof",
             json_pack("{s:s,s:s}", "handle", cli, "variant", "implicit_valid_sig"), 1);
    expect(r, "validated", json_false());
    json_decref(r);
    r = call(&s, "wire_capture_lrproof_frame", json_pack("{s:s}", "handle", cli), 1);
    assert_int_equal(strncmp(S(r, "raw"), "0f", 2), 0);   /* PROOF to a LINK */
    json_decref(r);
    /* raw frames through the receive path: a whole announce teaches a path,
     * a cut one does not; the tap saw them */
    r = call(&s, "wire_inject_raw_frame", json_pack("{s:s,s:s}", "handle", srv, "variant",
                                                    "plain_on_open"), 1);
    expect(r, "learned", json_true());
    json_decref(r);
    r = call(&s, "wire_inject_raw_frame", json_pack("{s:s,s:s,s:i}", "handle", srv, "variant",
                                                    "min_short", "trim_to", 2), 1);
    expect(r, "learned", json_false());
    expect(r, "frame_len", json_integer(2));
    json_decref(r);
    r = call(&s, "wire_get_received_packets", json_pack("{s:s,s:i}", "handle", srv, "since_seq", 0), 1);
    assert_true(json_array_size(json_object_get(r, "packets")) > 2);
    json_decref(r);
    /* an announce checked against the key recorded for its destination */
    r = call(&s, "wire_known_key_validate",
             json_pack("{s:s,s:s,s:[s],s:s}", "handle", srv, "app_name", "meshlog", "aspects",
                       "known", "plant", "mismatch"), 1);
    expect(r, "validated", json_false());
    json_decref(r);
    r = call(&s, "wire_known_key_validate",
             json_pack("{s:s,s:s,s:[s],s:s,s:s}", "handle", srv, "app_name", "meshlog", "aspects",
                       "known", "plant", "match", "app_data", "6869"), 1);
    expect(r, "validated", json_true());
    expect(r, "plant", json_string("match"));
    json_decref(r);
    /* a lone IFAC server: frames go in on its listener */
    lone = take_str(call(&s, "wire_start_tcp_server", json_pack("{s:s,s:s}", "network_name", "ci",
                                                                "passphrase", "pw"), 1),
                    "handle");
    r = call(&s, "wire_inject_raw_frame", json_pack("{s:s,s:s}", "handle", lone, "variant",
                                                    "masked_full"), 1);
    expect(r, "learned", json_true());
    expect(r, "ifac_size", json_integer(16));
    json_decref(r);
    r = call(&s, "wire_inject_raw_frame", json_pack("{s:s,s:s}", "handle", lone, "variant",
                                                    "masked_short"), 1);
    expect(r, "learned", json_false());
    expect(r, "frame_len", json_integer(18));
    json_decref(r);
    r = call(&s, "wire_inject_raw_frame", json_pack("{s:s,s:s}", "handle", lone, "variant",
                                                    "plain_on_ifac"), 1);
    expect(r, "learned", json_false());
    json_decref(r);
    json_decref(call(&s, "wire_set_proof_strategy", json_pack("{s:s,s:s,s:s}", "handle", srv,
                                                              "destination_hash", dest,
                                                              "strategy", "sometimes"), 0));
    free(srv), free(cli), free(dest), free(lone);
    session_end(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_primitives), cmocka_unit_test(test_identity),
        cmocka_unit_test(test_packets),    cmocka_unit_test(test_announces),
        cmocka_unit_test(test_framing),    cmocka_unit_test(test_bz2),
        cmocka_unit_test(test_channel),    cmocka_unit_test(test_wire_loopback),
        cmocka_unit_test(test_wire_ifac),  cmocka_unit_test(test_destinations),
        cmocka_unit_test(test_wire_ratchets),
        cmocka_unit_test(test_wire_proofs), cmocka_unit_test(test_wire_links),
        cmocka_unit_test(test_wire_transport),
        cmocka_unit_test(test_wire_channel_flow),
        cmocka_unit_test(test_wire_buffer),
        cmocka_unit_test(test_wire_config_sources),
        cmocka_unit_test(test_protocol),   cmocka_unit_test(test_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
