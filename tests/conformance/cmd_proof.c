// SPDX-License-Identifier: MIT
// Bridge commands: packets, proofs, proof strategies and ratchets on live peers.
#include "bridge.h"
#include "wire.h"

const br_cmd br_proof_cmds[] = {
    {NULL, NULL},
};
