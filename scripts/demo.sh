#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make demo: a short scripted session on temporary stores. A base camp and a
# field team each record entries offline; their logs are exchanged as signed
# JSONL (the radio sync lands with the sync issue); both end with the same
# dataset, and each verifies it.
set -euo pipefail
BUILD=${1:-build}
M="$(cd "$BUILD" && pwd)/meshlog"
T=$(mktemp -d /tmp/meshlog-demo-XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run()  { printf '$ meshlog %s\n' "$*"; "$M" "$@"; }

step "Base camp and team A each create a store with a Reticulum identity"
run --data base.db init --name base
run --data team.db init --name team-a

step "Team A, offline in the field, fills in a site assessment"
run --data team.db create R-7 site_assessment
run --data team.db set R-7 households 42
run --data team.db set R-7 water_ok false
run --data team.db set R-7 gps_acc_m 8.5
run --data team.db note R-7 "bridge on the north road is out"
printf '\xff\xd8\xff\xe0 (a photo of the bridge)' > bridge.jpg
run --data team.db attach R-7 photo bridge.jpg

step "Base camp records a water point and corrects nothing of team A's"
run --data base.db create W-1 water_point
run --data base.db set W-1 flow_lpm 12.5

step "The two meet: signed logs cross (each event checked: id, chain, signature)"
"$M" --data team.db export -o team.jsonl
"$M" --data base.db export -o base.jsonl
run --data base.db import team.jsonl
run --data team.db import base.jsonl

step "Both hold the same frontier and the same dataset"
run --data base.db frontier
diff <("$M" --data base.db view) <("$M" --data team.db view) && echo "views identical"
run --data base.db view

step "A forged edit is refused; nothing a person entered is lost"
sed 's/"households", "record_id": "R-7", "value": 42/"households", "record_id": "R-7", "value": 4200/' \
    team.jsonl > forged.jsonl
"$M" --data base.db import forged.jsonl || echo "(import exit status $?: refused lines reported above)"
run --data base.db view R-7 | grep households

step "The coordinator exports CSV and checks the store"
run --data base.db export --csv
run --data base.db verify
