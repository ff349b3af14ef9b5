// SPDX-License-Identifier: MIT
// libFuzzer target for announce parsing and validation: the code that decides
// which public keys this node believes. Parsed fields must lie inside the
// input, and a packet that validates must also parse.
#include <stdint.h>
#include <stdlib.h>

#include "meshlog/rns_announce.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int inside(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
    return !p || (p >= data && n <= size && p + n <= data + size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rns_packet p;
    rns_announce a;
    enum rns_announce_reason why;
    int rc;

    if (rns_packet_unpack(&p, data, size))
        return 0;
    rc = rns_announce_validate(&a, &p, NULL, &why);
    if ((rc == 0) != (why == RNS_ANNOUNCE_VALID))
        abort();
    if (rns_announce_parse(&a, &p) == 0) {
        if (!inside(a.public_key, RNS_KEYSIZE, data, size) ||
            !inside(a.ratchet, RNS_RATCHETLEN, data, size) ||
            !inside(a.signature, RNS_SIGLEN, data, size) ||
            !inside(a.app_data, a.app_data_len, data, size))
            abort();
    } else if (rc == 0) {
        abort();
    }
    /* Validation against a known key must agree with the key it carries. */
    if (rc == 0 && rns_announce_validate(&a, &p, a.public_key, &why))
        abort();
    return 0;
}
