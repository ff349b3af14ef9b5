// SPDX-License-Identifier: MIT
// Bridge commands: Reticulum configuration files, interface options and discovery.
#include "bridge.h"
#include "wire.h"

const br_cmd br_config_cmds[] = {
    {NULL, NULL},
};
