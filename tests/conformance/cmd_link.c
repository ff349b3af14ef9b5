// SPDX-License-Identifier: MIT
// Bridge commands: links: watchdog state, injectors and link-level hooks.
#include "bridge.h"
#include "wire.h"

const br_cmd br_link_cmds[] = {
    {NULL, NULL},
};
