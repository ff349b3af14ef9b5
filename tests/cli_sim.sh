#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `meshlog sim` end to end: basecamp --json prints one valid JSON object with
# every figure the issue names and converged true; the same seed prints the
# same bytes; the story reads as a story; broken or missing scenarios are
# refused with a message that says where.
set -u
M=${MESHLOG_BIN:?}
SRC=${MESHLOG_SRC:?}
T=$(mktemp -d /tmp/meshlog-clisim-XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$(dirname "${BASH_SOURCE[0]}")/lib_cli.sh"
cd "$T"

# --- basecamp as JSON, found by name next to the build directory
json=$($M sim basecamp --json); rc=$?
check '[ $rc -eq 0 ]' "sim basecamp exits 0 (converged)"
echo "$json" >basecamp.json
check 'python3 - basecamp.json <<"PY"
import json, sys
d = json.load(open(sys.argv[1]))
need = {"converged": bool, "time_to_converge_s": (int, float), "events": int,
        "bytes_on_wire": int, "bytes_per_event_delivered": (int, float),
        "airtime_s": dict, "lower_bound_s": (int, float)}
for k, t in need.items():
    assert k in d and isinstance(d[k], t), k
assert d["converged"] is True
assert d["events"] > 0 and d["bytes_on_wire"] > 0 and d["lower_bound_s"] > 0
assert d["time_to_converge_s"] > d["lower_bound_s"]
assert sorted(d["airtime_s"]) == ["base", "team-a", "team-b", "team-c"]
assert all(v > 0 for v in d["airtime_s"].values())
assert all(n["behind"] == 0 for n in d["nodes"])
PY' "basecamp JSON has every key and converged true"
check '[ $(wc -l <basecamp.json) -eq 1 ]' "one JSON object on one line"

# --- determinism: same seed, same bytes; another seed still converges
check '[ "$($M sim basecamp --json --seed 1)" = "$json" ]' "same seed, same report"
check '$M sim --seed 5 --json basecamp | grep -q "\"seed\":5,\"converged\":true"' "--seed before the name, another seed converges"
check 'MESHLOG_SCENARIOS=$SRC/scenarios $M sim lan --json | grep -q "\"converged\":true"' "lan via MESHLOG_SCENARIOS"
check '$M sim "$SRC/scenarios/chaos" --quiet | grep -q "^Converged at"' "chaos by path, --quiet"

# --- the story
story=$($M sim basecamp)
check 'grep -q "base <-> team-a (lora): in range every" <<<"$story"' "story says who is in range of whom"
check 'grep -q "behind: base team-a team-b team-c" <<<"$story" && grep -Eq "^0:20-0:35 +base <-> team-a +[0-9]+ +[0-9]+ " <<<"$story"' \
      "story says what moved and who is behind"
check 'grep -q "The dataset every node now prints" <<<"$story" && grep -q "^team-c " <<<"$story"' "story ends with the dataset and per-node figures"
check '[ $(wc -l <<<"$story") -lt 90 ]' "story fits in under a minute of reading"

# --- refusals
printf 'node a b\nduration 1h\nprofile p\nlink a b p every 5m\n' >broken
out=$($M sim ./broken 2>&1); rc=$?
check '[ $rc -eq 1 ] && grep -q "line 4: .*for" <<<"$out"' "broken scenario names its line"
out=$($M sim no-such-scenario 2>&1); rc=$?
check '[ $rc -eq 1 ] && grep -q "no scenario" <<<"$out"' "missing scenario"
out=$($M sim 2>&1); rc=$?
check '[ $rc -eq 2 ]' "no scenario is a usage error"
check '$M sim --help | grep -q -- "--json"' "sim --help"
printf 'node a b\nduration 30m\nprofile p\nlink a b p every 1h for 1m at 40m\nwrite a every 1m\n' >never
check '! $M sim ./never --quiet >/dev/null' "a scenario that cannot converge exits non-zero"

finish cli_sim
