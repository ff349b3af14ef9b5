// SPDX-License-Identifier: MIT
// Bridge commands: transport-node behaviour of live peers (forwarding, paths for others, shared instance).
#include "bridge.h"
#include "wire.h"

const br_cmd br_transport_cmds[] = {
    {NULL, NULL},
};
