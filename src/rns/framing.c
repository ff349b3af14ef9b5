// SPDX-License-Identifier: MIT
// HDLC-like and KISS framing for Reticulum stream interfaces (see rns_framing.h).
// Both framings share one shape: a flag byte delimits frames and an escape byte
// introduces a two-byte substitute for the flag or for itself; KISS adds a
// command byte after the opening flag. So one table row per mode drives both
// the encoder and a byte-at-a-time deframer state machine. The deframer owns a
// single buffer of the configured maximum and never grows it, so a hostile
// stream can cost at most max_len bytes of memory.
#include <stdbool.h>
#include <stdlib.h>

#include "meshlog/error.h"
#include "meshlog/rns_framing.h"

typedef struct framing_syntax {
    uint8_t flag;          /* frame delimiter */
    uint8_t esc;           /* escape introducer */
    uint8_t esc_flag;      /* esc + this = a literal flag byte */
    uint8_t esc_esc;       /* esc + this = a literal esc byte */
    bool has_cmd;          /* KISS: a command byte follows the opening flag */
    bool keep_bad_escape;  /* HDLC: esc + other byte stays as both bytes */
} framing_syntax;

static const framing_syntax syntaxes[] = {
    [RNS_FRAMING_HDLC] = {RNS_HDLC_FLAG, RNS_HDLC_ESC, RNS_HDLC_FLAG ^ RNS_HDLC_ESC_XOR,
                          RNS_HDLC_ESC ^ RNS_HDLC_ESC_XOR, false, true},
    [RNS_FRAMING_KISS] = {RNS_KISS_FEND, RNS_KISS_FESC, RNS_KISS_TFEND, RNS_KISS_TFESC,
                          true, false},
};

static const framing_syntax *syntax_of(rns_framing_mode mode)
{
    if ((unsigned)mode >= sizeof syntaxes / sizeof syntaxes[0])
        return NULL;
    return &syntaxes[mode];
}

size_t rns_framing_encoded_max(rns_framing_mode mode, size_t len)
{
    const framing_syntax *s = syntax_of(mode);
    size_t overhead = 2;
    if (!s)
        return 0;
    if (s->has_cmd)
        overhead++;
    if (len > (SIZE_MAX - overhead) / 2)
        return 0;
    return 2 * len + overhead;
}

int rns_framing_encode(ml_buf *out, rns_framing_mode mode, const uint8_t *pkt,
                       size_t len)
{
    int ret = ML_EINVAL;
    const framing_syntax *s = syntax_of(mode);
    if (!out || !s || (!pkt && len))
        goto out;
    size_t max = rns_framing_encoded_max(mode, len);
    ret = ML_ETOOBIG;
    if (!max)
        goto out;
    ret = ml_buf_reserve(out, max);
    if (ret)
        goto out;
    uint8_t *w = out->p + out->len;
    *w++ = s->flag;
    if (s->has_cmd)
        *w++ = RNS_KISS_CMD_DATA;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = pkt[i];
        if (c == s->esc || c == s->flag) {
            *w++ = s->esc;
            c = c == s->esc ? s->esc_esc : s->esc_flag;
        }
        *w++ = c;
    }
    *w++ = s->flag;
    out->len = (size_t)(w - out->p);
    out->p[out->len] = 0;
    ret = 0;
out:
    return ret;
}

/* ---- deframer ------------------------------------------------------------ */

typedef enum deframer_state {
    ST_HUNT, /* before the first flag: discard */
    ST_CMD,  /* KISS: expecting the command byte */
    ST_DATA, /* inside a frame */
    ST_ESC,  /* inside a frame, after an escape byte */
} deframer_state;

struct rns_deframer {
    const framing_syntax *syn;
    size_t min_len;
    size_t max_len;
    uint8_t *buf;       /* max_len bytes, allocated once */
    size_t len;         /* unescaped bytes of the current frame */
    deframer_state state;
    bool overflow;      /* current frame passed max_len: discard to the flag */
    bool not_data;      /* current KISS frame carries another command */
    bool ready;         /* buf holds a packet handed out; clear on next feed */
    bool truncate;      /* over-long frames keep their first max_len bytes */
    rns_deframer_stats stats;
};

int rns_deframer_new(rns_deframer **out, rns_framing_mode mode, size_t min_len,
                     size_t max_len)
{
    int ret = ML_EINVAL;
    rns_deframer *d = NULL;
    const framing_syntax *s = syntax_of(mode);
    if (!out || !s || min_len < 1 || min_len > max_len || max_len > RNS_FRAME_MAX_LIMIT)
        goto out;
    ret = ML_ENOMEM;
    d = calloc(1, sizeof *d);
    if (!d)
        goto out;
    d->buf = malloc(max_len);
    if (!d->buf)
        goto out;
    d->syn = s;
    d->min_len = min_len;
    d->max_len = max_len;
    d->state = ST_HUNT;
    *out = d;
    d = NULL;
    ret = 0;
out:
    rns_deframer_free(d);
    return ret;
}

void rns_deframer_free(rns_deframer *d)
{
    if (!d)
        return;
    free(d->buf);
    free(d);
}

void rns_deframer_reset(rns_deframer *d)
{
    if (!d)
        return;
    d->len = 0;
    d->state = ST_HUNT;
    d->overflow = false;
    d->not_data = false;
    d->ready = false;
}

void rns_deframer_set_truncate(rns_deframer *d, int on)
{
    if (d)
        d->truncate = on != 0;
}

rns_deframer_stats rns_deframer_get_stats(const rns_deframer *d)
{
    rns_deframer_stats none = {0, 0, 0, 0};
    return d ? d->stats : none;
}

static void open_frame(rns_deframer *d)
{
    d->overflow = false;
    d->not_data = false;
    d->state = d->syn->has_cmd ? ST_CMD : ST_DATA;
}

static void push(rns_deframer *d, uint8_t c)
{
    if (d->overflow)
        return;
    if (d->len == d->max_len) {
        d->overflow = !d->truncate;
        return;
    }
    d->buf[d->len++] = c;
}

/* The flag that closes a frame opens the next one. Returns 1 when the frame is
 * a packet to hand out; it then stays in buf until the next feed. */
static int close_frame(rns_deframer *d)
{
    int deliver = 0;
    if (d->overflow)
        d->stats.too_long++;
    else if (d->not_data)
        d->stats.not_data++;
    else if (d->len == 0)
        ; /* empty frame: keepalive, or the flag between two frames */
    else if (d->len < d->min_len)
        d->stats.too_short++;
    else
        deliver = 1;
    if (deliver) {
        d->stats.packets++;
        d->ready = true;
    } else {
        d->len = 0;
    }
    open_frame(d);
    return deliver;
}

static int step(rns_deframer *d, uint8_t c);

static int step_escaped(rns_deframer *d, uint8_t c)
{
    const framing_syntax *s = d->syn;
    d->state = ST_DATA;
    if (c == s->esc_flag) {
        push(d, s->flag);
        return 0;
    }
    if (c == s->esc_esc) {
        push(d, s->esc);
        return 0;
    }
    /* Not a valid escape. HDLC keeps the escape byte and reads c afresh, which
     * is what the reference's two substring replacements amount to; KISS
     * drops the escape byte. A flag still ends the frame either way. */
    if (s->keep_bad_escape) {
        push(d, s->esc);
        return step(d, c);
    }
    if (c == s->flag)
        return close_frame(d);
    push(d, c);
    return 0;
}

static int step(rns_deframer *d, uint8_t c)
{
    const framing_syntax *s = d->syn;
    switch (d->state) {
    case ST_HUNT:
        if (c == s->flag)
            open_frame(d);
        return 0;
    case ST_CMD:
        if (c != s->flag) {
            /* Low nibble is the command, high nibble the TNC port. */
            d->not_data = (c & 0x0F) != RNS_KISS_CMD_DATA;
            d->state = ST_DATA;
        }
        return 0;
    case ST_DATA:
        if (c == s->flag)
            return close_frame(d);
        if (c == s->esc)
            d->state = ST_ESC;
        else
            push(d, c);
        return 0;
    case ST_ESC:
        return step_escaped(d, c);
    }
    return 0;
}

int rns_deframer_feed(rns_deframer *d, const uint8_t *data, size_t len, size_t *used,
                      const uint8_t **pkt, size_t *pkt_len)
{
    int ret = ML_EINVAL;
    if (!d || (!data && len) || !used || !pkt || !pkt_len)
        goto out;
    if (d->ready) {
        d->ready = false;
        d->len = 0;
    }
    ret = 0;
    *used = len;
    for (size_t i = 0; i < len; i++) {
        if (step(d, data[i])) {
            *used = i + 1;
            *pkt = d->buf;
            *pkt_len = d->len;
            ret = 1;
            break;
        }
    }
out:
    return ret;
}

/* ---- hardware MTU autoconfiguration ---------------------------------------- */

/* Bitrate thresholds (strictly above) and the HW_MTU the reference picks. */
static const struct {
    uint64_t above;
    size_t hw_mtu;
} mtu_table[] = {
    {999999999u, 524288}, {750000000u, 262144}, {400000000u, 131072},
    {200000000u, 65536},  {100000000u, 32768},  {10000000u, 16384},
    {5000000u, 8192},     {2000000u, 4096},     {1000000u, 2048},
    {62500u, 1024},
};

size_t rns_framing_autoconf_mtu(uint64_t bitrate)
{
    for (size_t i = 0; i < sizeof mtu_table / sizeof mtu_table[0]; i++)
        if (bitrate > mtu_table[i].above)
            return mtu_table[i].hw_mtu;
    return 0;
}
