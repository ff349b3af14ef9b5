// SPDX-License-Identifier: MIT
// Reticulum resource transfer (see include/meshlog/rns_resource.h): the
// advertisement codec, the sender (stream, parts, hashmap, answering part
// requests and hashmap exhaustion) and the receiver (windowed requests,
// hashmap updates, reassembly, proof). Sans-I/O: payloads go to an outbox,
// time comes in as `now`, randomness in the send parameters.
#include "meshlog/rns_resource.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "meshlog/crypto.h"
#include "meshlog/error.h"
#include "meshlog/rns_bz2.h"
#include "meshlog/rns_msgpack.h"
#include "meshlog/rns_packet.h"

#define MAPLEN RNS_RESOURCE_MAPHASH_LEN
#define HMAX RNS_RESOURCE_HASHMAP_MAX_LEN
#define WINDOW_MIN RNS_RESOURCE_WINDOW_MIN
#define WINDOW_MAX_SLOW RNS_RESOURCE_WINDOW_MAX_SLOW
#define WINDOW_MAX_FAST RNS_RESOURCE_WINDOW_MAX_FAST
#define WINDOW_MAX_VERY_SLOW RNS_RESOURCE_WINDOW_MAX_VERY_SLOW
#define WINDOW_FLEXIBILITY RNS_RESOURCE_WINDOW_FLEXIBILITY
#define FAST_RATE_THRESHOLD RNS_RESOURCE_FAST_RATE_THRESHOLD
#define VERY_SLOW_RATE_THRESHOLD RNS_RESOURCE_VERY_SLOW_RATE_THRESHOLD
#define RATE_FAST RNS_RESOURCE_RATE_FAST
#define RATE_VERY_SLOW RNS_RESOURCE_RATE_VERY_SLOW
#define TOKEN_OVERHEAD 48u
#define META_MAX RNS_RESOURCE_METADATA_MAX
#define HDR_LEN 19u
/* Timers: an approximation of the reference's schedule, not its exact one. */
#define MAX_RETRIES RNS_RESOURCE_MAX_RETRIES
#define MAX_ADV_RETRIES RNS_RESOURCE_MAX_ADV_RETRIES
#define PART_TIMEOUT_FACTOR RNS_RESOURCE_PART_TIMEOUT_FACTOR
#define SENDER_GRACE 10.0      /* seconds the sender allows the receiver to act */
#define RETRY_GRACE 1.0
#define DEFAULT_RTT 0.5

enum role { SENDER, RECEIVER };

typedef struct outmsg {
    uint8_t context;
    ml_buf b;
} outmsg;

struct rns_resource {
    enum role role;
    enum rns_resource_status status;
    uint8_t key[64];
    size_t sdu;
    rns_resource_adv adv;      /* pointers q and m unused after setup */
    uint8_t *hashmap;          /* n map hashes */
    ml_buf stream;             /* the encrypted stream (receiver: filled by parts) */
    /* sender */
    uint32_t min_consec;       /* receiver's lowest unfinished part, as we know it */
    uint8_t proof[32];
    /* receiver */
    uint8_t *known;            /* per part: its map hash is known */
    uint8_t *got;              /* per part: received */
    uint32_t received, outstanding;
    int64_t consec;            /* highest index with all parts up to it received */
    unsigned window, window_max, window_min, fast_rounds, very_slow_rounds;
    int waiting_hmu, first_of_round;
    ml_buf req_hashes;         /* sender: packet hashes (32 each) of requests served */
    int manual;                /* the app asks for each next window (rns_resource_request_next) */
    double req_sent;
    size_t req_sent_bytes;
    /* timers (both roles) */
    double rtt, last_activity;
    unsigned retries;
    ml_buf adv_pt;             /* sender: the advertisement, for resending */
    uint64_t rxd_bytes, rxd_at_req;
    ml_buf data;               /* receiver: metadata prefix || payload */
    size_t max_decompressed;
    uint8_t q[32];             /* receiver: request id of the advertisement */
    unsigned hmu_requests, hmu_received;
    size_t meta_off, meta_len;
    /* outbox */
    outmsg *out;
    size_t out_head, out_len, out_cap;
};

/* ---- helpers --------------------------------------------------------------- */

size_t rns_resource_sdu(uint32_t link_mtu)
{
    /* the reference subtracts the largest header plus IFAC and context
     * (35 + 1) although parts travel with a 19-byte header */
    return link_mtu > 36u + 16u ? (size_t)link_mtu - 36u : 0;
}

static void map_hash(uint8_t out[MAPLEN], const uint8_t *part, size_t len, const uint8_t r[4])
{
    uint8_t full[32];
    ml_sha256_ctx c;
    if (ml_sha256_init(&c) == 0 && ml_sha256_update(&c, part, len) == 0 &&
        ml_sha256_update(&c, r, 4) == 0 && ml_sha256_final(&c, full) == 0) {
        memcpy(out, full, MAPLEN);
        return;
    }
    memset(out, 0, MAPLEN); /* libcrypto failure: a hash that matches nothing useful */
}

/* SHA-256(a || b) */
static int hash2(uint8_t out[32], const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    ml_sha256_ctx c;
    int ret = ml_sha256_init(&c);
    if (ret)
        return ret;
    if ((ret = ml_sha256_update(&c, a, alen)) != 0 || (ret = ml_sha256_update(&c, b, blen)) != 0) {
        ml_sha256_abort(&c);
        return ret;
    }
    return ml_sha256_final(&c, out);
}

static size_t part_len(const rns_resource *r, uint32_t i)
{
    return i + 1 < r->adv.n ? r->sdu : (size_t)r->adv.t - (size_t)(r->adv.n - 1) * r->sdu;
}

static int queue(rns_resource *r, uint8_t context, const uint8_t *a, size_t alen,
                 const uint8_t *b, size_t blen)
{
    outmsg *m;
    if (r->out_head + r->out_len == r->out_cap) {
        if (r->out_head > 0) {
            memmove(r->out, r->out + r->out_head, r->out_len * sizeof *r->out);
            r->out_head = 0;
        } else {
            size_t cap = r->out_cap ? 2 * r->out_cap : 8;
            outmsg *n = realloc(r->out, cap * sizeof *n);
            if (!n)
                return ML_ENOMEM;
            r->out = n;
            r->out_cap = cap;
        }
    }
    m = &r->out[r->out_head + r->out_len];
    m->context = context;
    m->b = (ml_buf)ML_BUF_INIT;
    if (ml_buf_append(&m->b, a, alen) || ml_buf_append(&m->b, b, blen)) {
        ml_buf_free(&m->b);
        return ML_ENOMEM;
    }
    r->out_len++;
    return 0;
}

int rns_resource_pop(rns_resource *r, uint8_t *context, ml_buf *out)
{
    outmsg *m;
    if (!r || !context || !out)
        return ML_EINVAL;
    if (r->out_len == 0)
        return 0;
    m = &r->out[r->out_head];
    if (ml_buf_append(out, m->b.p, m->b.len))
        return ML_ENOMEM;
    *context = m->context;
    ml_buf_free(&m->b);
    r->out_head++;
    r->out_len--;
    if (r->out_len == 0)
        r->out_head = 0;
    return 1;
}

void rns_resource_free(rns_resource *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->out_len; i++)
        ml_buf_free(&r->out[r->out_head + i].b);
    free(r->out);
    free(r->hashmap);
    free(r->known);
    free(r->got);
    ml_buf_free(&r->stream);
    ml_buf_free(&r->adv_pt);
    ml_buf_free(&r->req_hashes);
    if (r->data.p)
        ml_wipe(r->data.p, r->data.cap);
    ml_buf_free(&r->data);
    ml_wipe(r->key, sizeof r->key);
    free(r);
}

/* ---- advertisement --------------------------------------------------------- */

static int put_kv_uint(ml_buf *b, const char *k, uint64_t v)
{
    int ret = rns_mp_put_str(b, k, 1);
    return ret ? ret : rns_mp_put_uint(b, v);
}

static int put_kv_bin(ml_buf *b, const char *k, const uint8_t *p, size_t len)
{
    int ret = rns_mp_put_str(b, k, 1);
    if (ret)
        return ret;
    return p ? rns_mp_put_bin(b, p, len) : rns_mp_put_nil(b);
}

int rns_resource_adv_pack(ml_buf *out, const rns_resource_adv *a)
{
    size_t start;
    int ret = ML_EINVAL;

    if (!out || !a || (a->m_len % MAPLEN) != 0 || a->m_len > HMAX * MAPLEN)
        goto out;
    start = out->len;
    if ((ret = rns_mp_put_map(out, 11)) || (ret = put_kv_uint(out, "t", a->t)) ||
        (ret = put_kv_uint(out, "d", a->d)) || (ret = put_kv_uint(out, "n", a->n)) ||
        (ret = put_kv_bin(out, "h", a->h, 32)) || (ret = put_kv_bin(out, "r", a->r, 4)) ||
        (ret = put_kv_bin(out, "o", a->o, 32)) || (ret = put_kv_uint(out, "i", a->i)) ||
        (ret = put_kv_uint(out, "l", a->l)) || (ret = put_kv_bin(out, "q", a->q, a->q_len)) ||
        (ret = put_kv_uint(out, "f", a->f)) ||
        (ret = put_kv_bin(out, "m", a->m ? a->m : (const uint8_t *)"", a->m_len)))
        out->len = start;
out:
    return ret;
}

/* Reads a bin of exactly n bytes into dst. */
static int get_fixed(rns_mp_reader *rd, uint8_t *dst, size_t n)
{
    const uint8_t *p;
    size_t len;
    int ret = rns_mp_get_bin(rd, &p, &len);
    if (ret == 0 && len != n)
        ret = ML_EMALFORMED;
    if (ret == 0)
        memcpy(dst, p, n);
    return ret;
}

static int get_u32(rns_mp_reader *rd, uint32_t *v)
{
    uint64_t u;
    int ret = rns_mp_get_uint(rd, &u);
    if (ret == 0 && u > UINT32_MAX)
        ret = ML_EMALFORMED;
    if (ret == 0)
        *v = (uint32_t)u;
    return ret;
}

static int get_q(rns_mp_reader *rd, rns_resource_adv *a)
{
    if (rns_mp_get_nil(rd) == 0) {
        a->q = NULL;
        a->q_len = 0;
        return 0;
    }
    return rns_mp_get_bin(rd, &a->q, &a->q_len);
}

/* One value for key k; sets bit in *seen. Unknown keys are skipped. */
static int adv_field(rns_mp_reader *rd, rns_resource_adv *a, char k, unsigned *seen)
{
    static const char keys[] = "tdnhroilqfm";
    const char *pos = strchr(keys, k);
    uint32_t f = 0;
    int ret;

    if (!pos || k == '\0')
        return rns_mp_skip(rd);
    if (*seen & (1u << (pos - keys)))
        return ML_EMALFORMED;
    *seen |= 1u << (pos - keys);
    switch (k) {
    case 't': ret = rns_mp_get_uint(rd, &a->t); break;
    case 'd': ret = rns_mp_get_uint(rd, &a->d); break;
    case 'n': ret = get_u32(rd, &a->n); break;
    case 'h': ret = get_fixed(rd, a->h, 32); break;
    case 'r': ret = get_fixed(rd, a->r, 4); break;
    case 'o': ret = get_fixed(rd, a->o, 32); break;
    case 'i': ret = get_u32(rd, &a->i); break;
    case 'l': ret = get_u32(rd, &a->l); break;
    case 'q': ret = get_q(rd, a); break;
    case 'f':
        ret = get_u32(rd, &f);
        ret = (ret == 0 && f > 0x3f) ? ML_EMALFORMED : ret; /* only known flags */
        a->f = (uint8_t)f;
        break;
    default: ret = rns_mp_get_bin(rd, &a->m, &a->m_len); break;
    }
    return ret ? ML_EMALFORMED : 0;
}

/* The sizes must describe a transfer that can exist: a token of t bytes
 * (IV + whole AES blocks + MAC) cut into n parts of sdu bytes. */
/* The part count is derived from t and our SDU; the advertised n is not
 * trusted (the reference never reads it), so n is replaced. */
static int adv_sane(rns_resource_adv *a, size_t sdu)
{
    if (sdu == 0 || a->t < TOKEN_OVERHEAD + 16 || a->t > RNS_RESOURCE_MAX_TRANSFER ||
        a->t % 16 != 0)
        return 0;
    a->n = (uint32_t)((a->t + sdu - 1) / sdu);
    if (a->d > RNS_BZ2_RESOURCE_LIMIT)
        return 0;
    if (a->m_len == 0 || a->m_len % MAPLEN != 0 || a->m_len / MAPLEN > HMAX ||
        a->m_len / MAPLEN > a->n)
        return 0;
    if (a->i < 1 || a->i > a->l || !(a->f & RNS_RESOURCE_F_ENCRYPTED) || a->q_len > 32)
        return 0;
    return 1;
}

int rns_resource_adv_unpack(rns_resource_adv *a, const uint8_t *pt, size_t len, size_t sdu)
{
    rns_mp_reader rd;
    uint32_t count;
    unsigned seen = 0;
    int ret = ML_EMALFORMED;

    if (!a || (!pt && len))
        return ML_EINVAL;
    memset(a, 0, sizeof *a);
    rns_mp_reader_init(&rd, pt, len);
    if (rns_mp_get_map(&rd, &count))
        goto out;
    for (uint32_t i = 0; i < count; i++) {
        const char *k;
        size_t klen;
        if (rns_mp_get_str(&rd, &k, &klen))
            goto out;
        if (adv_field(&rd, a, klen == 1 ? k[0] : '\0', &seen))
            goto out;
    }
    if (seen != 0x7ffu || rns_mp_remaining(&rd) != 0 || !adv_sane(a, sdu))
        goto out;
    ret = 0;
out:
    return ret;
}

/* ---- sender ---------------------------------------------------------------- */

static rns_resource *res_new(enum role role, const uint8_t key[64], uint32_t mtu)
{
    rns_resource *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->role = role;
    memcpy(r->key, key, 64);
    r->sdu = rns_resource_sdu(mtu);
    r->consec = -1;
    r->rtt = DEFAULT_RTT;
    r->max_decompressed = RNS_BZ2_RESOURCE_LIMIT;
    return r;
}

/* data = [len24 || metadata] || payload, into out. */
static int build_data(ml_buf *out, const rns_resource_send_params *sp)
{
    int ret = 0;
    if (sp->metadata) {
        uint8_t len24[3] = {(uint8_t)(sp->metadata_len >> 16), (uint8_t)(sp->metadata_len >> 8),
                            (uint8_t)sp->metadata_len};
        if ((ret = ml_buf_append(out, len24, 3)) ||
            (ret = ml_buf_append(out, sp->metadata, sp->metadata_len)))
            return ret;
    }
    return ml_buf_append(out, sp->data, sp->len);
}

/* stream = prefix || (bz2(data) when smaller, else data), then one token. */
static int build_stream(rns_resource *r, const rns_resource_send_params *sp, const ml_buf *data)
{
    ml_buf plain = ML_BUF_INIT, bz = ML_BUF_INIT;
    int ret;

    if ((ret = ml_buf_append(&plain, sp->random_prefix, 4)))
        goto out;
    if (sp->auto_compress && (ret = rns_bz2_compress(&bz, data->p, data->len)))
        goto out;
    if (sp->auto_compress && bz.len < data->len) {
        r->adv.f |= RNS_RESOURCE_F_COMPRESSED;
        ret = ml_buf_append(&plain, bz.p, bz.len);
    } else {
        ret = ml_buf_append(&plain, data->p, data->len);
    }
    if (ret == 0)
        ret = ml_token_encrypt(&r->stream, r->key, sp->iv, plain.p, plain.len);
out:
    if (plain.p)
        ml_wipe(plain.p, plain.cap);
    if (bz.p)
        ml_wipe(bz.p, bz.cap);
    ml_buf_free(&plain);
    ml_buf_free(&bz);
    return ret;
}

/* Map hashes of every part; ML_EEXIST when two within the guard collide,
 * since the receiver could not tell them apart. */
static int build_hashmap(rns_resource *r, int force_collision)
{
    uint32_t n = r->adv.n;
    r->hashmap = malloc((size_t)n * MAPLEN);
    if (!r->hashmap)
        return ML_ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t *mh = r->hashmap + (size_t)i * MAPLEN;
        map_hash(mh, r->stream.p + (size_t)i * r->sdu, part_len(r, i), r->adv.r);
        if (force_collision && i == 1)
            memcpy(mh, r->hashmap, MAPLEN);
        for (uint32_t j = i > RNS_RESOURCE_COLLISION_GUARD ? i - RNS_RESOURCE_COLLISION_GUARD : 0;
             j < i; j++)
            if (memcmp(r->hashmap + (size_t)j * MAPLEN, mh, MAPLEN) == 0)
                return ML_EEXIST;
    }
    return 0;
}

static int send_adv(rns_resource *r, const rns_resource_send_params *sp)
{
    ml_buf b = ML_BUF_INIT;
    int ret;
    r->adv.q = sp->request_id;
    r->adv.q_len = sp->request_id ? sp->request_id_len : 0;
    r->adv.m = r->hashmap;
    r->adv.m_len = (size_t)(r->adv.n < HMAX ? r->adv.n : HMAX) * MAPLEN;
    ret = rns_resource_adv_pack(&r->adv_pt, &r->adv);
    if (ret == 0)
        ret = queue(r, RNS_CTX_RESOURCE_ADV, r->adv_pt.p, r->adv_pt.len, NULL, 0);
    r->adv.q = NULL;
    r->adv.m = NULL;
    ml_buf_free(&b);
    return ret;
}

static int send_check(const rns_resource_send_params *sp)
{
    size_t total;
    if (!sp || !sp->key || (!sp->data && sp->len) || rns_resource_sdu(sp->link_mtu) == 0 ||
        (sp->metadata && sp->metadata_len > META_MAX) ||
        (sp->request_id && sp->request_id_len > 32) ||
        (sp->total_segments && (sp->segment_index < 1 || sp->segment_index > sp->total_segments)))
        return ML_EINVAL;
    total = sp->len + (sp->metadata ? 3 + sp->metadata_len : 0);
    return total > RNS_RESOURCE_MAX_EFFICIENT_SIZE ? ML_ETOOBIG : 0;
}

int rns_resource_send(rns_resource **out, const rns_resource_send_params *sp, double now)
{
    rns_resource *r = NULL;
    ml_buf data = ML_BUF_INIT;
    int ret = send_check(sp);

    if (ret || !out)
        goto out;
    ret = ML_ENOMEM;
    if (!(r = res_new(SENDER, sp->key, sp->link_mtu)))
        goto out;
    r->adv.f = (uint8_t)(RNS_RESOURCE_F_ENCRYPTED |
                         (sp->metadata || sp->has_metadata_flag ? RNS_RESOURCE_F_METADATA : 0) |
                         (sp->total_segments > 1 ? RNS_RESOURCE_F_SPLIT : 0) |
                         (sp->is_request ? RNS_RESOURCE_F_REQUEST : 0) |
                         (sp->is_response ? RNS_RESOURCE_F_RESPONSE : 0));
    if ((ret = build_data(&data, sp)) || (ret = build_stream(r, sp, &data)))
        goto out;
    memcpy(r->adv.r, sp->random_hash, 4);
    if ((ret = hash2(r->adv.h, data.p, data.len, r->adv.r, 4)) ||
        (ret = hash2(r->proof, data.p, data.len, r->adv.h, 32)))
        goto out;
    memcpy(r->adv.o, sp->original_hash ? sp->original_hash : r->adv.h, 32);
    r->adv.t = r->stream.len;
    r->adv.d = sp->total_size ? sp->total_size : data.len;
    r->adv.n = (uint32_t)((r->stream.len + r->sdu - 1) / r->sdu);
    r->adv.i = sp->segment_index ? sp->segment_index : 1;
    r->adv.l = sp->total_segments ? sp->total_segments : 1;
    ret = ML_ENOMEM;
    if (!(r->got = calloc(r->adv.n, 1)))
        goto out;
    if ((ret = build_hashmap(r, sp->force_collision)) || (ret = send_adv(r, sp)))
        goto out;
    r->status = RNS_RESOURCE_ADVERTISED;
    r->last_activity = now;
    *out = r;
    r = NULL;
out:
    if (data.p)
        ml_wipe(data.p, data.cap);
    ml_buf_free(&data);
    rns_resource_free(r);
    return ret;
}

/* Index of the part with this map hash in the guard window, or -1. */
static int64_t find_part(const rns_resource *r, const uint8_t *mh)
{
    uint32_t end = r->min_consec + RNS_RESOURCE_COLLISION_GUARD;
    for (uint32_t i = r->min_consec; i < r->adv.n && i < end; i++)
        if (memcmp(r->hashmap + (size_t)i * MAPLEN, mh, MAPLEN) == 0)
            return i;
    return -1;
}

/* The receiver ran out of map hashes at last_mh: send the next segment of
 * the hashmap. The last known hash must end a 74-hash segment; anything else
 * is a sequencing error that cancels the transfer, as in the reference. The
 * search scope then starts a full window before that hash. */
static int send_hmu(rns_resource *r, const uint8_t *last_mh)
{
    ml_buf b = ML_BUF_INIT;
    int64_t idx = find_part(r, last_mh);
    uint32_t seg, start, end;
    int ret;

    if (idx >= 0)
        r->min_consec = (uint32_t)(idx > (int64_t)WINDOW_MAX_FAST ? idx - WINDOW_MAX_FAST : 0);
    if (idx < 0 || (idx + 1) % HMAX != 0)
        return rns_resource_cancel(r);
    seg = (uint32_t)((idx + 1) / HMAX);
    start = seg * HMAX;
    end = start + HMAX < r->adv.n ? start + HMAX : r->adv.n;
    if (start >= end)
        return rns_resource_cancel(r);
    if ((ret = rns_mp_put_array(&b, 2)) || (ret = rns_mp_put_uint(&b, seg)) ||
        (ret = rns_mp_put_bin(&b, r->hashmap + (size_t)start * MAPLEN, (size_t)(end - start) * MAPLEN)))
        goto out;
    ret = queue(r, RNS_CTX_RESOURCE_HMU, r->adv.h, 32, b.p, b.len);
out:
    ml_buf_free(&b);
    return ret;
}

static int sender_request(rns_resource *r, const uint8_t *d, size_t len)
{
    size_t pad;
    const uint8_t *req;
    int ret = 0;

    if (len < 1 || (d[0] != 0x00 && d[0] != 0xff))
        return ML_EMALFORMED;
    pad = d[0] == 0xff ? 1 + MAPLEN : 1;
    if (len < pad + 32 || (len - pad - 32) % MAPLEN != 0)
        return ML_EMALFORMED;
    if (memcmp(d + pad, r->adv.h, 32) != 0)
        return ML_EINVAL;
    req = d + pad + 32;
    r->status = RNS_RESOURCE_TRANSFERRING;
    /* parts go out in part order, like the reference's filter over its parts */
    for (uint32_t i = r->min_consec; ret == 0 && i < r->adv.n &&
                                     i < r->min_consec + RNS_RESOURCE_COLLISION_GUARD; i++)
        for (size_t k = 0; k + MAPLEN <= len - pad - 32; k += MAPLEN)
            if (memcmp(r->hashmap + (size_t)i * MAPLEN, req + k, MAPLEN) == 0) {
                ret = queue(r, RNS_CTX_RESOURCE, r->stream.p + (size_t)i * r->sdu, part_len(r, i),
                            NULL, 0);
                if (r->got && !r->got[i]) {
                    r->got[i] = 1; /* sender: parts sent at least once */
                    r->received++;
                }
                if (i + 1 == r->adv.n)
                    r->status = RNS_RESOURCE_AWAITING_PROOF;
                break;
            }
    if (ret == 0 && d[0] == 0xff)
        ret = send_hmu(r, d + 1);
    return ret;
}

/* As the reference's validate_proof: 64 bytes whose second half is the
 * expected proof. Which resource a proof names (its first half) is the
 * link's routing (rns_linkres). */
static int sender_proof(rns_resource *r, const uint8_t *d, size_t len)
{
    if (len != 64)
        return ML_EMALFORMED;
    if (ml_ct_memcmp(d + 32, r->proof, 32) != 0)
        return ML_EBADID;
    r->status = RNS_RESOURCE_COMPLETE;
    return 0;
}

static int sender_input(rns_resource *r, uint8_t context, const uint8_t *d, size_t len)
{
    switch (context) {
    case RNS_CTX_RESOURCE_REQ: return sender_request(r, d, len);
    case RNS_CTX_RESOURCE_PRF: return sender_proof(r, d, len);
    case RNS_CTX_RESOURCE_RCL:
        if (len != 32 || memcmp(d, r->adv.h, 32) != 0)
            return ML_EINVAL;
        r->status = RNS_RESOURCE_REJECTED;
        return 0;
    default: return ML_EINVAL;
    }
}

static int request_hash_known(const rns_resource *r, const uint8_t h[32])
{
    for (size_t off = 0; off + 32 <= r->req_hashes.len; off += 32)
        if (memcmp(r->req_hashes.p + off, h, 32) == 0)
            return 1;
    return 0;
}

int rns_resource_input_request(rns_resource *r, const uint8_t packet_hash[32],
                               const uint8_t *data, size_t len, double now)
{
    int ret;

    if (!r || !packet_hash || r->role != SENDER)
        return ML_EINVAL;
    if (request_hash_known(r, packet_hash))
        return 1; /* re-delivered: served already */
    if ((ret = rns_resource_input(r, RNS_CTX_RESOURCE_REQ, data, len, now)))
        return ret;
    return ml_buf_append(&r->req_hashes, packet_hash, 32);
}

size_t rns_resource_request_hashes(const rns_resource *r, const uint8_t packet_hash[32],
                                   int *known)
{
    if (!r)
        return 0;
    if (known)
        *known = packet_hash ? request_hash_known(r, packet_hash) : 0;
    return r->req_hashes.len / 32;
}

/* ---- receiver -------------------------------------------------------------- */

/* Raw size of a REQ packet carrying len plaintext bytes, for the rate. */
static size_t req_packet_size(size_t len)
{
    return HDR_LEN + 1 + TOKEN_OVERHEAD + (len / 16) * 16;
}

/* Asks for the next window of missing parts whose map hashes are known;
 * when it meets an unknown one, also says the hashmap ran out. */
static int request_next(rns_resource *r, double now)
{
    uint8_t req[RNS_RESOURCE_REQ_MAX], hashes[WINDOW_MAX_FAST * MAPLEN];
    size_t hdr, len;
    uint32_t start = (uint32_t)(r->consec + 1), asked = 0, pn;
    int exhausted = 0;

    if (r->waiting_hmu)
        return 0;
    for (pn = start; pn < r->adv.n && pn < start + r->window; pn++) {
        if (r->got[pn])
            continue;
        if (!r->known[pn]) {
            exhausted = pn > 0; /* index 0 is always known: never false */
            break;
        }
        memcpy(hashes + (size_t)asked * MAPLEN, r->hashmap + (size_t)pn * MAPLEN, MAPLEN);
        if (++asked >= r->window)
            break;
    }
    hdr = exhausted ? 1 + MAPLEN : 1;
    req[0] = exhausted ? 0xff : 0x00;
    if (exhausted) {
        /* the sender finds the next hashmap segment from our last known
         * hash. The reference names hashmap[height - 1]; with segments
         * arriving in order that is pn - 1, which is also known (index 0
         * always is) when a peer sends them out of order. */
        memcpy(req + 1, r->hashmap + (size_t)(pn - 1) * MAPLEN, MAPLEN);
        r->waiting_hmu = 1;
        r->hmu_requests++;
    }
    memcpy(req + hdr, r->adv.h, 32);
    memcpy(req + hdr + 32, hashes, (size_t)asked * MAPLEN);
    len = hdr + 32 + (size_t)asked * MAPLEN;
    r->outstanding = asked;
    r->req_sent = now;
    r->req_sent_bytes = req_packet_size(len);
    r->first_of_round = 1;
    r->rxd_at_req = r->rxd_bytes;
    return queue(r, RNS_CTX_RESOURCE_REQ, req, len, NULL, 0);
}

/* Takes map hashes for segment seg. */
static int hashmap_update(rns_resource *r, uint64_t seg, const uint8_t *m, size_t mlen)
{
    uint64_t base = seg * HMAX;
    if (mlen % MAPLEN != 0 || mlen / MAPLEN > HMAX || base >= r->adv.n ||
        base + mlen / MAPLEN > r->adv.n)
        return ML_EMALFORMED;
    for (size_t k = 0; k < mlen / MAPLEN; k++) {
        size_t i = (size_t)base + k;
        r->known[i] = 1;
        memcpy(r->hashmap + i * MAPLEN, m + k * MAPLEN, MAPLEN);
    }
    r->waiting_hmu = 0;
    return 0;
}

int rns_resource_accept(rns_resource **out, const uint8_t key[64], uint32_t link_mtu,
                        const uint8_t *adv, size_t adv_len, unsigned window, double now)
{
    rns_resource *r = NULL;
    int ret = ML_EINVAL;

    if (!out || !key || rns_resource_sdu(link_mtu) == 0)
        goto out;
    ret = ML_ENOMEM;
    if (!(r = res_new(RECEIVER, key, link_mtu)))
        goto out;
    if ((ret = rns_resource_adv_unpack(&r->adv, adv, adv_len, r->sdu)))
        goto out;
    ret = ML_ENOMEM;
    r->hashmap = calloc(r->adv.n, MAPLEN);
    r->known = calloc(r->adv.n, 1);
    r->got = calloc(r->adv.n, 1);
    if (!r->hashmap || !r->known || !r->got || ml_buf_reserve(&r->stream, (size_t)r->adv.t))
        goto out;
    r->stream.len = (size_t)r->adv.t;
    /* the window sizes the request buffer: keep it in the reference's bounds */
    r->window = window ? window : RNS_RESOURCE_WINDOW;
    r->window = r->window < WINDOW_MIN ? WINDOW_MIN : r->window;
    r->window = r->window > WINDOW_MAX_FAST ? WINDOW_MAX_FAST : r->window;
    r->window_max = WINDOW_MAX_SLOW;
    r->window_min = WINDOW_MIN;
    if ((ret = hashmap_update(r, 0, r->adv.m, r->adv.m_len)) || (ret = request_next(r, now)))
        goto out;
    r->adv.m = NULL;
    if (r->adv.q && r->adv.q_len <= sizeof r->q) {
        memcpy(r->q, r->adv.q, r->adv.q_len);
        r->adv.q = r->q;
    } else {
        r->adv.q = NULL; /* borrowed from adv: gone after this call */
        r->adv.q_len = 0;
    }
    r->status = RNS_RESOURCE_ADVERTISED;
    r->last_activity = now;
    *out = r;
    r = NULL;
out:
    rns_resource_free(r);
    return ret;
}

/* Splits data into metadata and payload when the flag says there is some. */
static int split_metadata(rns_resource *r)
{
    const uint8_t *p = r->data.p;
    size_t mlen;
    if (!(r->adv.f & RNS_RESOURCE_F_METADATA) || r->adv.i != 1)
        return 0; /* later segments of a split transfer carry no metadata */
    if (r->data.len < 3)
        return ML_EMALFORMED;
    mlen = ((size_t)p[0] << 16) | ((size_t)p[1] << 8) | p[2];
    if (mlen > r->data.len - 3)
        return ML_EMALFORMED;
    r->meta_len = mlen;
    r->meta_off = 3 + mlen;
    return 0;
}

/* All parts are in: decrypt, strip the prefix, decompress, check, prove. */
static int assemble(rns_resource *r)
{
    ml_buf plain = ML_BUF_INIT;
    uint8_t h[32], proof[32];
    int ret = ml_token_decrypt(&plain, r->key, r->stream.p, r->stream.len);

    if (ret == 0 && plain.len < RNS_RESOURCE_RANDOM_LEN)
        ret = ML_EMALFORMED;
    if (ret)
        goto out;
    if (r->adv.f & RNS_RESOURCE_F_COMPRESSED)
        ret = rns_bz2_decompress(&r->data, plain.p + 4, plain.len - 4, r->max_decompressed);
    else
        ret = ml_buf_append(&r->data, plain.p + 4, plain.len - 4);
    if (ret || (ret = hash2(h, r->data.p, r->data.len, r->adv.r, 4)))
        goto out;
    /* d is the whole transfer's size: only a single segment must match it */
    if (memcmp(h, r->adv.h, 32) != 0 || (r->adv.l == 1 && r->data.len != r->adv.d)) {
        ret = ML_ECORRUPT;
        goto out;
    }
    if ((ret = split_metadata(r)) || (ret = hash2(proof, r->data.p, r->data.len, h, 32)) ||
        (ret = queue(r, RNS_CTX_RESOURCE_PRF, h, 32, proof, 32)))
        goto out;
    r->status = RNS_RESOURCE_COMPLETE;
out:
    if (ret)
        r->status = ret == ML_ENOMEM ? r->status : RNS_RESOURCE_CORRUPT;
    if (plain.p)
        ml_wipe(plain.p, plain.cap);
    ml_buf_free(&plain);
    return ret == ML_EAUTH || ret == ML_EMALFORMED ? ML_ECORRUPT : ret;
}

/* The reference's window rules: grow by one per completed round, raise the
 * ceiling after sustained fast rounds, lower it after very slow ones. */
static void note_rate(rns_resource *r, double rate)
{
    if (rate > RATE_FAST && r->fast_rounds < FAST_RATE_THRESHOLD) {
        if (++r->fast_rounds == FAST_RATE_THRESHOLD)
            r->window_max = WINDOW_MAX_FAST;
    }
}

static void round_done(rns_resource *r, double now)
{
    double rtt = now - r->req_sent;
    double rate = rtt > 0 ? (double)(r->rxd_bytes - r->rxd_at_req) / rtt : 0;
    if (r->window < r->window_max) {
        r->window++;
        if (r->window - r->window_min > WINDOW_FLEXIBILITY - 1)
            r->window_min++;
    }
    if (rtt > 0) {
        note_rate(r, rate);
        if (r->fast_rounds == 0 && rate < RATE_VERY_SLOW &&
            r->very_slow_rounds < VERY_SLOW_RATE_THRESHOLD &&
            ++r->very_slow_rounds == VERY_SLOW_RATE_THRESHOLD)
            r->window_max = WINDOW_MAX_VERY_SLOW;
    }
}

/* Finds the wanted part with this map hash in the current window. */
static int64_t wanted_index(const rns_resource *r, const uint8_t mh[MAPLEN])
{
    uint32_t start = r->consec >= 0 ? (uint32_t)r->consec : 0;
    for (uint32_t i = start; i < r->adv.n && i < start + r->window; i++)
        if (r->known[i] && !r->got[i] && memcmp(r->hashmap + (size_t)i * MAPLEN, mh, MAPLEN) == 0)
            return i;
    return -1;
}

static int receive_part(rns_resource *r, const uint8_t *d, size_t len, double now)
{
    uint8_t mh[MAPLEN];
    int64_t idx;

    if (r->first_of_round && now > r->req_sent) {
        r->first_of_round = 0;
        r->rtt = now - r->req_sent > r->rtt ? now - r->req_sent : r->rtt;
        note_rate(r, (double)(HDR_LEN + 1 + len + r->req_sent_bytes) / (now - r->req_sent));
    }
    map_hash(mh, d, len, r->adv.r);
    idx = wanted_index(r, mh);
    if (idx < 0 || len != part_len(r, (uint32_t)idx))
        return 0; /* not one we asked for: ignored */
    r->status = RNS_RESOURCE_TRANSFERRING;
    memcpy(r->stream.p + (size_t)idx * r->sdu, d, len);
    r->got[idx] = 1;
    r->received++;
    r->rxd_bytes += len;
    if (r->outstanding)
        r->outstanding--;
    while (r->consec + 1 < (int64_t)r->adv.n && r->got[r->consec + 1])
        r->consec++;
    if (r->received == r->adv.n)
        return assemble(r);
    if (r->outstanding == 0) {
        round_done(r, now);
        return r->manual ? 0 : request_next(r, now);
    }
    return 0;
}

static int receive_hmu(rns_resource *r, const uint8_t *d, size_t len, double now)
{
    rns_mp_reader rd;
    uint32_t count;
    uint64_t seg;
    const uint8_t *m;
    size_t mlen;
    int ret;

    if (len < 32)
        return ML_EMALFORMED;
    if (memcmp(d, r->adv.h, 32) != 0)
        return ML_EINVAL;
    rns_mp_reader_init(&rd, d + 32, len - 32);
    if (rns_mp_get_array(&rd, &count) || count != 2 || rns_mp_get_uint(&rd, &seg) ||
        rns_mp_get_bin(&rd, &m, &mlen) || rns_mp_remaining(&rd) != 0 || seg > UINT32_MAX)
        return ML_EMALFORMED;
    if ((ret = hashmap_update(r, seg, m, mlen)))
        return ret;
    r->hmu_received++;
    return r->manual ? 0 : request_next(r, now);
}

static int receiver_input(rns_resource *r, uint8_t context, const uint8_t *d, size_t len,
                          double now)
{
    switch (context) {
    case RNS_CTX_RESOURCE: return receive_part(r, d, len, now);
    case RNS_CTX_RESOURCE_HMU: return receive_hmu(r, d, len, now);
    case RNS_CTX_RESOURCE_ICL:
        if (len != 32 || memcmp(d, r->adv.h, 32) != 0)
            return ML_EINVAL;
        r->status = RNS_RESOURCE_FAILED;
        return 0;
    default: return ML_EINVAL;
    }
}

/* ---- common ---------------------------------------------------------------- */

int rns_resource_input(rns_resource *r, uint8_t context, const uint8_t *data, size_t len,
                       double now)
{
    int ret;

    if (!r || (!data && len))
        return ML_EINVAL;
    if (r->status == RNS_RESOURCE_FAILED || r->status == RNS_RESOURCE_CORRUPT ||
        r->status == RNS_RESOURCE_REJECTED ||
        (r->status == RNS_RESOURCE_COMPLETE))
        return ML_ESTATE;
    ret = r->role == SENDER ? sender_input(r, context, data, len)
                            : receiver_input(r, context, data, len, now);
    if (ret == 0) {
        r->last_activity = now;
        r->retries = 0;
    }
    return ret;
}

void rns_resource_set_max_decompressed(rns_resource *r, size_t max)
{
    if (r)
        r->max_decompressed = max;
}

size_t rns_resource_max_decompressed(const rns_resource *r)
{
    return r->max_decompressed;
}

const rns_resource_adv *rns_resource_adv_of(const rns_resource *r)
{
    return &r->adv;
}

const uint8_t *rns_resource_hashmap(const rns_resource *r)
{
    return r->role == SENDER ? r->hashmap : NULL;
}

const uint8_t *rns_resource_part(const rns_resource *r, uint32_t i, size_t *len)
{
    if (r->role != SENDER || i >= r->adv.n)
        return NULL;
    *len = part_len(r, i);
    return r->stream.p + (size_t)i * r->sdu;
}

const uint8_t *rns_resource_expected_proof(const rns_resource *r)
{
    return r->role == SENDER ? r->proof : NULL;
}

size_t rns_resource_part_sdu(const rns_resource *r)
{
    return r->sdu;
}

void rns_resource_counters(const rns_resource *r, unsigned *hmu_requests, unsigned *hmu_received,
                           uint32_t *parts_received)
{
    if (hmu_requests)
        *hmu_requests = r->hmu_requests;
    if (hmu_received)
        *hmu_received = r->hmu_received;
    if (parts_received)
        *parts_received = r->received;
}

int rns_resource_is_sender(const rns_resource *r)
{
    return r->role == SENDER;
}

uint32_t rns_resource_sender_scope(const rns_resource *r)
{
    return r->min_consec;
}

void rns_resource_get_rx_state(const rns_resource *r, rns_resource_rx_state *st)
{
    memset(st, 0, sizeof *st);
    st->window = r->window;
    st->window_min = r->window_min;
    st->window_max = r->window_max;
    st->consecutive_height = r->consec;
    st->waiting_for_hmu = r->waiting_hmu;
    for (uint32_t i = 0; r->known && i < r->adv.n; i++)
        st->hashmap_height += r->known[i];
}

void rns_resource_set_rtt(rns_resource *r, double rtt)
{
    if (r && rtt > 0 && isfinite(rtt))
        r->rtt = rtt;
}

static int active(const rns_resource *r)
{
    return r->status == RNS_RESOURCE_ADVERTISED || r->status == RNS_RESOURCE_TRANSFERRING ||
           r->status == RNS_RESOURCE_AWAITING_PROOF;
}

/* Seconds after the last activity at which the next timer runs. The
 * receiver waits for its window of parts to arrive; the sender waits for a
 * request (ADVERTISED) or, once parts are out, for the receiver's retries. */
static double timeout(const rns_resource *r)
{
    double per_round = PART_TIMEOUT_FACTOR * r->rtt;
    if (r->role == RECEIVER)
        return RETRY_GRACE + per_round * (r->outstanding > 1 ? r->outstanding : 1);
    if (r->status == RNS_RESOURCE_ADVERTISED)
        return SENDER_GRACE + per_round;
    return SENDER_GRACE + per_round * MAX_RETRIES * RNS_RESOURCE_WINDOW;
}

double rns_resource_deadline(const rns_resource *r)
{
    return r && active(r) ? r->last_activity + timeout(r) : HUGE_VAL;
}

void rns_resource_set_manual_requests(rns_resource *r, int manual)
{
    if (r && r->role == RECEIVER)
        r->manual = manual != 0;
}

int rns_resource_request_next(rns_resource *r, double now)
{
    int ret;

    if (!r)
        return ML_EINVAL;
    if (r->role != RECEIVER || !active(r) || r->status == RNS_RESOURCE_AWAITING_PROOF)
        return ML_ESTATE;
    if (r->waiting_hmu)
        return 0; /* the hashmap update answers the last request first */
    if ((ret = request_next(r, now)))
        return ret;
    r->last_activity = now;
    return 1;
}

int rns_resource_plant_part(rns_resource *r, uint32_t index, const uint8_t *d, size_t len,
                            double now)
{
    if (!r || !d || r->role != RECEIVER || index >= r->adv.n)
        return ML_EINVAL;
    if (!active(r) || r->status == RNS_RESOURCE_AWAITING_PROOF)
        return ML_ESTATE;
    if (len != part_len(r, index))
        return ML_EMALFORMED;
    if (r->got[index])
        return ML_EEXIST;
    r->status = RNS_RESOURCE_TRANSFERRING;
    memcpy(r->stream.p + (size_t)index * r->sdu, d, len);
    r->got[index] = 1;
    r->received++;
    r->rxd_bytes += len;
    r->last_activity = now;
    while (r->consec + 1 < (int64_t)r->adv.n && r->got[r->consec + 1])
        r->consec++;
    return r->received == r->adv.n ? assemble(r) : 0;
}

/* Receiver: the window shrinks and the missing parts are asked for again
 * (the hashmap update too, if that was what got lost). */
static int receiver_retry(rns_resource *r, double now)
{
    if (r->window > r->window_min)
        r->window--;
    if (r->window_max > r->window_min)
        r->window_max--;
    r->waiting_hmu = 0;
    return request_next(r, now);
}

/* How many expiries are retried before giving up. A sender whose parts are
 * out has nothing to resend: the receiver drives retries, so its timer
 * already covers them. */
static unsigned retry_limit(const rns_resource *r)
{
    if (r->role == RECEIVER)
        return MAX_RETRIES;
    return r->status == RNS_RESOURCE_ADVERTISED ? MAX_ADV_RETRIES : 0;
}

int rns_resource_tick(rns_resource *r, double now)
{
    int ret = 0;

    if (!r || !active(r) || now < rns_resource_deadline(r))
        goto out;
    r->last_activity = now;
    if (++r->retries > retry_limit(r)) {
        ret = rns_resource_cancel(r);
        goto out;
    }
    if (r->role == RECEIVER)
        ret = receiver_retry(r, now);
    else if (r->status == RNS_RESOURCE_ADVERTISED)
        ret = queue(r, RNS_CTX_RESOURCE_ADV, r->adv_pt.p, r->adv_pt.len, NULL, 0);
out:
    return ret;
}

int rns_resource_cancel(rns_resource *r)
{
    int ret = ML_EINVAL;
    if (!r)
        goto out;
    ret = ML_ESTATE;
    if (r->status == RNS_RESOURCE_FAILED || r->status == RNS_RESOURCE_CORRUPT ||
        r->status == RNS_RESOURCE_REJECTED ||
        r->status == RNS_RESOURCE_COMPLETE)
        goto out;
    ret = queue(r, r->role == SENDER ? RNS_CTX_RESOURCE_ICL : RNS_CTX_RESOURCE_RCL, r->adv.h, 32,
                NULL, 0);
    if (ret == 0)
        r->status = RNS_RESOURCE_FAILED;
out:
    return ret;
}

enum rns_resource_status rns_resource_status(const rns_resource *r)
{
    return r->status;
}

const uint8_t *rns_resource_hash(const rns_resource *r)
{
    return r->adv.h;
}

uint8_t rns_resource_flags(const rns_resource *r)
{
    return r->adv.f;
}

uint32_t rns_resource_parts(const rns_resource *r)
{
    return r->adv.n;
}

unsigned rns_resource_window(const rns_resource *r)
{
    return r->window;
}

int rns_resource_data(const rns_resource *r, const uint8_t **data, size_t *len,
                      const uint8_t **metadata, size_t *metadata_len)
{
    if (!r || !data || !len || r->role != RECEIVER)
        return ML_EINVAL;
    if (r->status != RNS_RESOURCE_COMPLETE)
        return ML_ESTATE;
    *data = r->data.p + r->meta_off;
    *len = r->data.len - r->meta_off;
    if (metadata)
        *metadata = r->meta_len ? r->data.p + 3 : NULL;
    if (metadata_len)
        *metadata_len = r->meta_len;
    return 0;
}
