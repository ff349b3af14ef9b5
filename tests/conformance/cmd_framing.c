// SPDX-License-Identifier: MIT
// stub
#include "bridge.h"
const br_cmd br_framing_cmds[] = {{NULL, NULL}};
