// SPDX-License-Identifier: MIT
// Path requests (see rns_pathreq.h): building, parsing with the reference's
// length rules, and a bounded duplicate filter so one request flooding in
// over several interfaces is answered once.
#include <stdlib.h>
#include <string.h>

#include "meshlog/error.h"
#include "meshlog/rns_pathreq.h"

#define KEYLEN (RNS_HASHLEN + RNS_PATHREQ_TAGLEN + 1)

const uint8_t rns_pathreq_destination[RNS_HASHLEN] = {
    0x6b, 0x9f, 0x66, 0x01, 0x4d, 0x98, 0x53, 0xfa,
    0xab, 0x22, 0x0f, 0xba, 0x47, 0xd0, 0x27, 0x61,
};

int rns_pathreq_make(ml_buf *out, const uint8_t dest_hash[RNS_HASHLEN],
                     const uint8_t *transport_id, const uint8_t tag[RNS_PATHREQ_TAGLEN])
{
    uint8_t data[3 * RNS_HASHLEN];
    size_t n = 0;
    rns_packet p;

    memcpy(data, dest_hash, RNS_HASHLEN);
    n += RNS_HASHLEN;
    if (transport_id) {
        memcpy(data + n, transport_id, RNS_HASHLEN);
        n += RNS_HASHLEN;
    }
    memcpy(data + n, tag, RNS_PATHREQ_TAGLEN);
    n += RNS_PATHREQ_TAGLEN;
    memset(&p, 0, sizeof p);
    p.packet_type = RNS_PACKET_DATA;
    p.dest_type = RNS_DEST_PLAIN;
    p.context = RNS_CTX_NONE;
    memcpy(p.dest_hash, rns_pathreq_destination, RNS_HASHLEN);
    p.data = data;
    p.data_len = n;
    return rns_packet_pack(out, &p);
}

int rns_pathreq_parse(rns_pathreq *r, const uint8_t *data, size_t len)
{
    size_t off = RNS_HASHLEN;

    memset(r, 0, sizeof *r);
    if (!data || len <= RNS_HASHLEN)
        return ML_EMALFORMED;
    memcpy(r->dest_hash, data, RNS_HASHLEN);
    if (len > 2 * RNS_HASHLEN) {
        memcpy(r->transport_id, data + off, RNS_HASHLEN);
        r->has_transport_id = 1;
        off += RNS_HASHLEN;
    }
    r->tag_len = len - off < RNS_PATHREQ_TAGLEN ? len - off : RNS_PATHREQ_TAGLEN;
    memcpy(r->tag, data + off, r->tag_len);
    return 0;
}

int rns_pathreq_parse_packet(rns_pathreq *r, const rns_packet *p)
{
    if (p->packet_type != RNS_PACKET_DATA || p->dest_type != RNS_DEST_PLAIN ||
        memcmp(p->dest_hash, rns_pathreq_destination, RNS_HASHLEN)) {
        memset(r, 0, sizeof *r);
        return ML_EINVAL;
    }
    return rns_pathreq_parse(r, p->data, p->data_len);
}

/* A ring of the most recent keys; a linear scan is fine at the sizes a
 * node keeps (path requests are rare compared with data). */
struct rns_pathreq_seen {
    size_t capacity, count, next;
    uint8_t (*keys)[KEYLEN];
};

int rns_pathreq_seen_new(rns_pathreq_seen **out, size_t capacity)
{
    rns_pathreq_seen *s;

    *out = NULL;
    if (capacity == 0 || capacity > SIZE_MAX / KEYLEN)
        return ML_EINVAL;
    s = calloc(1, sizeof *s);
    if (!s)
        return ML_ENOMEM;
    s->keys = calloc(capacity, KEYLEN);
    if (!s->keys) {
        free(s);
        return ML_ENOMEM;
    }
    s->capacity = capacity;
    *out = s;
    return 0;
}

void rns_pathreq_seen_free(rns_pathreq_seen *s)
{
    if (!s)
        return;
    free(s->keys);
    free(s);
}

int rns_pathreq_seen_check(rns_pathreq_seen *s, const rns_pathreq *r)
{
    uint8_t key[KEYLEN] = {0};

    /* The tag length is part of the key so that a short tag never collides
     * with a longer one that happens to start with zero bytes. */
    memcpy(key, r->dest_hash, RNS_HASHLEN);
    memcpy(key + RNS_HASHLEN, r->tag, r->tag_len);
    key[KEYLEN - 1] = (uint8_t)r->tag_len;
    for (size_t i = 0; i < s->count; i++)
        if (memcmp(s->keys[i], key, KEYLEN) == 0)
            return 0;
    memcpy(s->keys[s->next], key, KEYLEN);
    s->next = (s->next + 1) % s->capacity;
    if (s->count < s->capacity)
        s->count++;
    return 1;
}
