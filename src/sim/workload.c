// SPDX-License-Identifier: MIT
// What the simulated field workers write: site assessments, water points and
// casualty cards, created by one node and then filled in with field.set and
// note.add events, some of them on records another node created (so last
// writer wins is exercised across the mesh). Payloads are canonical JSON built
// here with the keys in sorted order.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meshlog/error.h"
#include "meshlog/json.h"
#include "sim_int.h"

enum val_type { V_INT, V_FLOAT, V_BOOL, V_TEXT };

typedef struct field_spec {
    const char *name;
    enum val_type type;
    int lo, hi;                   /* V_INT range; V_FLOAT in tenths */
    const char *const *words;     /* V_TEXT choices, NULL-terminated */
} field_spec;

static const char *const road_words[] = {"open", "blocked", "4x4 only", "flooded", NULL};
static const char *const status_words[] = {"working", "dry", "contaminated", "repaired", NULL};
static const char *const triage_words[] = {"green", "yellow", "red", NULL};

static const field_spec site_fields[] = {
    {"households", V_INT, 5, 320, NULL},  {"people", V_INT, 10, 1500, NULL},
    {"water_ok", V_BOOL, 0, 1, NULL},     {"gps_acc_m", V_FLOAT, 25, 300, NULL},
    {"road", V_TEXT, 0, 0, road_words},   {NULL, V_INT, 0, 0, NULL},
};
static const field_spec water_fields[] = {
    {"flow_lpm", V_FLOAT, 5, 400, NULL},  {"status", V_TEXT, 0, 0, status_words},
    {"chlorine_mg_l", V_FLOAT, 0, 20, NULL}, {"queue", V_INT, 0, 80, NULL},
    {NULL, V_INT, 0, 0, NULL},
};
static const field_spec casualty_fields[] = {
    {"triage", V_TEXT, 0, 0, triage_words}, {"age", V_INT, 1, 90, NULL},
    {"evacuated", V_BOOL, 0, 1, NULL},      {NULL, V_INT, 0, 0, NULL},
};

static const struct form {
    const char *name;
    const field_spec *fields;
} forms[] = {
    {"site_assessment", site_fields},
    {"water_point", water_fields},
    {"casualty", casualty_fields},
};
#define N_FORMS (sizeof forms / sizeof forms[0])

static const char *const notes[] = {
    "bridge on the north road is out",
    "two wells, one dry since last week",
    "clinic open mornings only, no fuel for the generator",
    "families moving towards the river camp",
    "road passable with 4x4, water over the ford",
    "asked for chlorine tablets and jerrycans",
    "school used as shelter, about 40 people",
    "no phone coverage past the ridge",
    "market closed, prices doubled",
    "re-check tomorrow at first light",
};
#define N_NOTES (sizeof notes / sizeof notes[0])

/* The form is encoded in the record id's position in the global list. */
static const struct form *form_of(size_t idx)
{
    return &forms[idx % N_FORMS];
}

static size_t n_fields(const field_spec *f)
{
    size_t n = 0;
    while (f[n].name)
        n++;
    return n;
}

static int put_value(ml_buf *out, const field_spec *f, sim_rng *r)
{
    char num[32];
    size_t nw = 0;
    switch (f->type) {
    case V_INT: return ml_buf_printf(out, "%lld", (long long)sim_rng_range(r, f->lo, f->hi));
    case V_BOOL: return ml_buf_puts(out, sim_rng_range(r, 0, 1) ? "true" : "false");
    case V_FLOAT:
        if (ml_json_fmt_double(num, (double)sim_rng_range(r, f->lo, f->hi) / 10.0))
            return ML_ERANGE;
        return ml_buf_puts(out, num);
    case V_TEXT: {
        while (f->words[nw])
            nw++;
        const char *w = f->words[sim_rng_range(r, 0, (int64_t)nw - 1)];
        return ml_json_put_str(out, w, strlen(w));
    }
    }
    return ML_EINVAL;
}

static int add_record(sim_records *rs, const char *rid)
{
    void *v = ml_grow(rs->rid, &rs->cap, rs->n, sizeof *rs->rid, 32);
    if (!v)
        return ML_ENOMEM;
    rs->rid = v;
    snprintf(rs->rid[rs->n++], sizeof rs->rid[0], "%s", rid);
    return 0;
}

static int make_create(sim_rng *r, const char *node, sim_records *all, size_t *own,
                       ml_buf *out)
{
    (void)r;
    char rid[48];
    snprintf(rid, sizeof rid, "%s/%zu", node, ++*own);
    const struct form *f = form_of(all->n);
    int rc = add_record(all, rid);
    if (!rc)
        rc = ml_buf_puts(out, "{\"by\":");
    if (!rc)
        rc = ml_json_put_str(out, node, strlen(node));
    if (!rc)
        rc = ml_buf_printf(out, ",\"form\":\"%s\",\"record_id\":", f->name);
    if (!rc)
        rc = ml_json_put_str(out, rid, strlen(rid));
    if (!rc)
        rc = ml_buf_putc(out, '}');
    return rc;
}

/* A record to write about: one of this node's own most of the time, else any
 * record the node's store already holds. SIZE_MAX when it knows none. */
static int is_mine(const char *rid, const char *node)
{
    size_t prefix = strlen(node);
    return strncmp(rid, node, prefix) == 0 && rid[prefix] == '/';
}

static size_t pick_record(sim_rng *r, ml_store *s, const char *node, const sim_records *all)
{
    size_t n = all->n;
    if (!n)
        return SIZE_MAX;
    int foreign = sim_rng_range(r, 0, 3) == 0;
    size_t start = (size_t)sim_rng_range(r, 0, (int64_t)n - 1);
    for (int pass = foreign ? 0 : 1; pass < 2; pass++) {
        for (size_t k = 0; k < n; k++) {
            size_t i = (start + k) % n;
            if (pass == 1 && is_mine(all->rid[i], node))
                return i;
            if (pass == 0 && !is_mine(all->rid[i], node)) {
                ml_buf v = ML_BUF_INIT;
                int known = ml_store_view(s, all->rid[i], &v) == 0;
                ml_buf_free(&v);
                if (known)
                    return i;
            }
        }
    }
    return SIZE_MAX;
}

static int make_set(sim_rng *r, const sim_records *all, size_t rec, ml_buf *out)
{
    const field_spec *fs = form_of(rec)->fields;
    const field_spec *f = &fs[sim_rng_range(r, 0, (int64_t)n_fields(fs) - 1)];
    int rc = ml_buf_printf(out, "{\"field\":\"%s\",\"record_id\":", f->name);
    if (!rc)
        rc = ml_json_put_str(out, all->rid[rec], strlen(all->rid[rec]));
    if (!rc)
        rc = ml_buf_puts(out, ",\"value\":");
    if (!rc)
        rc = put_value(out, f, r);
    if (!rc)
        rc = ml_buf_putc(out, '}');
    return rc;
}

static int make_note(sim_rng *r, const sim_records *all, size_t rec, ml_buf *out)
{
    const char *text = notes[sim_rng_range(r, 0, (int64_t)N_NOTES - 1)];
    int rc = ml_buf_puts(out, "{\"record_id\":");
    if (!rc)
        rc = ml_json_put_str(out, all->rid[rec], strlen(all->rid[rec]));
    if (!rc)
        rc = ml_buf_puts(out, ",\"text\":");
    if (!rc)
        rc = ml_json_put_str(out, text, strlen(text));
    if (!rc)
        rc = ml_buf_putc(out, '}');
    return rc;
}

int sim_workload_next(sim_rng *r, ml_store *s, const char *node, sim_records *all,
                      size_t *own, const char **kind, ml_buf *out)
{
    ml_buf_reset(out);
    int64_t dice = sim_rng_range(r, 0, 99);
    size_t rec = dice < 15 ? SIZE_MAX : pick_record(r, s, node, all);
    if (rec == SIZE_MAX) {
        *kind = ML_KIND_RECORD_CREATE;
        return make_create(r, node, all, own, out);
    }
    if (dice < 75) {
        *kind = ML_KIND_FIELD_SET;
        return make_set(r, all, rec, out);
    }
    *kind = ML_KIND_NOTE_ADD;
    return make_note(r, all, rec, out);
}

void sim_records_free(sim_records *rs)
{
    if (!rs)
        return;
    free(rs->rid);
    memset(rs, 0, sizeof *rs);
}
