// SPDX-License-Identifier: MIT
// A fresh, in-memory fold of a set of events into the view, written the way
// the seed's reducer is (sort by total order, apply one by one), independently
// of the store's incremental SQL maintenance. `verify` and the tests compare
// the two; they must always agree.
#ifndef MESHLOG_FOLD_H
#define MESHLOG_FOLD_H

#include "meshlog/buf.h"
#include "meshlog/event.h"

typedef struct ml_fold ml_fold;

int ml_fold_new(ml_fold **out);
/* Copies what it needs from ev. */
int ml_fold_add(ml_fold *f, const ml_event *ev);
/* Canonical JSON (sort_keys, compact) of the whole view. */
int ml_fold_canonical(ml_fold *f, ml_buf *out);
void ml_fold_free(ml_fold *f);

#endif
