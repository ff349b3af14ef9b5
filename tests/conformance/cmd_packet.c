// SPDX-License-Identifier: MIT
// stub
#include "bridge.h"
const br_cmd br_packet_cmds[] = {{NULL, NULL}};
