// SPDX-License-Identifier: MIT
// Bridge commands: resources, channels and buffers over live links.
#include "bridge.h"
#include "wire.h"

const br_cmd br_resource_cmds[] = {
    {NULL, NULL},
};
