// SPDX-License-Identifier: MIT
// The seed's CLI value coercion: "true"/"false" (any case) become booleans,
// then Python int(), then float(), else the text itself. Values Python would
// turn into something JSON cannot hold exactly stay text: NaN and infinities
// (Python would write invalid JSON), and integers beyond int64 (ML_ERANGE, so
// the caller can tell the person to use --string).
#ifndef MESHLOG_COERCE_H
#define MESHLOG_COERCE_H

#include "meshlog/buf.h"

/* Append the canonical JSON of the coerced value. 0, ML_ERANGE, ML_EMALFORMED
 * (text that is not valid UTF-8). */
int ml_coerce_value(ml_buf *out, const char *text);

#endif
