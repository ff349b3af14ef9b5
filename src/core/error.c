// SPDX-License-Identifier: MIT
// ml_strerror: one table naming every ML_E* code.
#include "meshlog/error.h"

static const char *const messages[] = {
    "ok",
    "out of memory",
    "invalid argument",
    "malformed input",
    "crypto library failure",
    "I/O error",
    "database error",
    "not found",
    "already exists",
    "bad signature",
    "id does not match content",
    "broken hash chain",
    "fork: a different event for a filled slot",
    "value cannot be kept exactly",
    "unsupported version or feature",
    "too large",
    "unsigned event where a signed one is required",
    "stored data fails verification",
    "timed out",
    "not valid in the current state",
    "authentication failed",
    "message type has no MSGTYPE",
};

const char *ml_strerror(int err)
{
    int i = -err;
    if (i < 0 || (unsigned)i >= sizeof messages / sizeof messages[0])
        return "unknown error";
    return messages[i];
}
