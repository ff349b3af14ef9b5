// SPDX-License-Identifier: MIT
// libFuzzer target for the JSONL line parser (meshlog import): arbitrary bytes
// must parse or be refused cleanly; a parsed event must survive export and
// re-import with identical canonical bytes.
#include <stdlib.h>
#include <string.h>

#include "meshlog/event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(const ml_event *ev)
{
    ml_buf line = ML_BUF_INIT, a = ML_BUF_INIT, b = ML_BUF_INIT;
    ml_event back = {0};
    json_error_t jerr;
    char err[200];
    if (ml_event_to_line(ev, &line) != 0 || ml_event_canonical(ev, &a) != 0)
        goto out;
    json_t *o = json_loadb((const char *)line.p, line.len, JSON_ALLOW_NUL, &jerr);
    if (!o || ml_event_from_line(&back, o, err, sizeof err) != 0)
        abort();   /* what we write, we must read */
    json_decref(o);
    if (ml_event_canonical(&back, &b) != 0 || a.len != b.len || memcmp(a.p, b.p, a.len) != 0)
        abort();
out:
    ml_event_clear(&back);
    ml_buf_free(&line);
    ml_buf_free(&a);
    ml_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t jerr;
    char err[200];
    json_t *o = json_loadb((const char *)data, size, JSON_ALLOW_NUL, &jerr);
    if (!o)
        return 0;
    ml_event ev = {0};
    if (ml_event_from_line(&ev, o, err, sizeof err) == 0) {
        ml_id id;
        ml_buf scratch = ML_BUF_INIT;
        ml_event_compute_id(&ev, &id, &scratch);
        ml_buf_free(&scratch);
        roundtrip(&ev);
        ml_event_clear(&ev);
    }
    json_decref(o);
    return 0;
}
