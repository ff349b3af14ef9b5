// SPDX-License-Identifier: MIT
// Bridge commands: Destination objects and the other primitives the first tables lack.
#include "bridge.h"
#include "wire.h"

const br_cmd br_dest_cmds[] = {
    {NULL, NULL},
};
