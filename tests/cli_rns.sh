#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The 'meshlog rns' probe end to end between two C nodes over loopback: an
# echo server on TCP (ephemeral port) and on UDP (random high ports), listen
# seeing its announces, link with data and with a /echo request, identity
# files, IFAC (right and wrong passphrase), clear errors, and --help.
set -u
M=${MESHLOG_BIN:?}
T=$(mktemp -d /tmp/meshlog-rns-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT
. "$(dirname "${BASH_SOURCE[0]}")/lib_cli.sh"
cd "$T"

# waits until file $1 matches regex $2 (up to 5 s)
wait_for() { for _ in $(seq 50); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# --- help and usage
check '$M rns --help | grep -q "echo" && $M rns --help | grep -q "listen" && $M rns --help | grep -q "link"' "rns --help lists subcommands"
for s in echo listen link; do
  check '$M rns $s --help | grep -q -- "--tcp HOST:PORT"' "rns $s --help"
done
$M rns link --send x >/dev/null 2>&1; check '[ $? -eq 2 ]' "no interface is a usage error"
$M rns frob >/dev/null 2>&1; check '[ $? -eq 2 ]' "unknown subcommand"

# --- echo over TCP, identity file created and reused
$M rns echo -v --identity id.key --listen 127.0.0.1:0 --aspects meshlogtest.echo --app-data cli \
   >echo.out 2>echo.err & pids+=($!)
check 'wait_for echo.err "tcp listening on port [0-9]+"' "echo listens"
check 'wait_for echo.out "^[0-9a-f]{32}$"' "echo prints its destination first"
D=$(head -1 echo.out)
P=$(sed -nE 's/.*tcp listening on port ([0-9]+).*/\1/p' echo.err | head -1)
check '[ -f id.key ] && [ $(stat -c %s id.key) -eq 64 ]' "identity file created"

out=$($M rns listen --tcp 127.0.0.1:$P --aspects meshlogtest.echo --seconds 2)
check 'grep -q "\"dest\":\"$D\"" <<<"$out"' "listen sees the announce (got: $out)"
check 'grep -q "\"aspects\":\"meshlogtest.echo\"" <<<"$out" && grep -q "\"app_data\":\"636c69\"" <<<"$out"' "listen: aspects and app_data"
check 'grep -q "\"hops\":1" <<<"$out" && grep -q "\"identity\":\"[0-9a-f]\{32\}\"" <<<"$out"' "listen: hops and identity"

out=$($M rns link "$D" --tcp 127.0.0.1:$P --send "hello mesh"); rc=$?
check '[ $rc -eq 0 ] && grep -q "\"reply\":\"hello mesh\"" <<<"$out" && grep -q "\"rtt_ms\":" <<<"$out"' "link over TCP echoes (rc $rc: $out)"
check 'grep -q "\"proved\":true" <<<"$out"' "link data proved"
out=$($M rns link --tcp 127.0.0.1:$P --send "ask" --request /echo "$D"); rc=$?
check '[ $rc -eq 0 ] && grep -q "\"reply\":\"ask\"" <<<"$out"' "request /echo over TCP (rc $rc: $out)"
check 'wait_for echo.err "link [0-9a-f]+ closed"' "echo saw the link torn down"

out=$($M rns link 00112233445566778899aabbccddeeff --tcp 127.0.0.1:$P --send x --timeout 2 2>&1); rc=$?
check '[ $rc -eq 1 ] && grep -q "no path" <<<"$out"' "no path is a clear error (rc $rc: $out)"
out=$($M rns link "$D" --tcp 127.0.0.1:1 --send x --timeout 2 2>&1); rc=$?
check '[ $rc -eq 1 ] && grep -q "no interface came up" <<<"$out"' "unreachable target is a clear error (rc $rc: $out)"

kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null
$M rns echo --identity id.key --listen 127.0.0.1:0 --aspects meshlogtest.echo -v >echo2.out 2>echo2.err & pids+=($!)
check 'wait_for echo2.out "^[0-9a-f]{32}$" && [ "$(head -1 echo2.out)" = "$D" ]' "same identity, same destination"
kill "${pids[1]}"; wait "${pids[1]}" 2>/dev/null

# --- UDP (random high ports; retried if taken)
for try in 1 2 3 4 5; do
  PA=$((20000 + RANDOM % 40000)); PB=$((PA + 1))
  : >u.out; : >u.err
  $M rns echo --udp 127.0.0.1:$PA,127.0.0.1:$PB --aspects meshlogtest.udp --announce-every 1 >u.out 2>u.err & up=$!
  if wait_for u.out "^[0-9a-f]{32}$"; then break; fi
  kill $up 2>/dev/null; wait $up 2>/dev/null
done
pids+=($up)
DU=$(head -1 u.out)
out=$($M rns listen --udp 127.0.0.1:$PB,127.0.0.1:$PA --aspects meshlogtest.udp --seconds 2.5)
check 'grep -q "\"dest\":\"$DU\"" <<<"$out" && grep -q "\"aspects\":\"meshlogtest.udp\"" <<<"$out"' "listen over UDP"
out=$($M rns link "$DU" --udp 127.0.0.1:$PB,127.0.0.1:$PA --send "over udp"); rc=$?
check '[ $rc -eq 0 ] && grep -q "\"reply\":\"over udp\"" <<<"$out" && grep -q "\"mtu\":500" <<<"$out"' "link over UDP (rc $rc: $out)"
out=$($M rns link "$DU" --udp 127.0.0.1:$PB,127.0.0.1:$PA --send "r" --request /echo); rc=$?
check '[ $rc -eq 0 ] && grep -q "\"reply\":\"r\"" <<<"$out"' "request over UDP (rc $rc: $out)"
kill $up; wait $up 2>/dev/null

# --- IFAC: the right passphrase links, a wrong one hears nothing
$M rns echo -v --listen 127.0.0.1:0 --aspects meshlogtest.ifac --network-name testnet --passphrase s3cret \
   >i.out 2>i.err & pids+=($!)
check 'wait_for i.err "tcp listening on port [0-9]+" && wait_for i.out "^[0-9a-f]{32}$"' "echo with IFAC"
DI=$(head -1 i.out)
PI=$(sed -nE 's/.*tcp listening on port ([0-9]+).*/\1/p' i.err | head -1)
out=$($M rns link "$DI" --tcp 127.0.0.1:$PI --network-name testnet --passphrase s3cret --send ifac); rc=$?
check '[ $rc -eq 0 ] && grep -q "\"reply\":\"ifac\"" <<<"$out"' "link with IFAC (rc $rc: $out)"
out=$($M rns link "$DI" --tcp 127.0.0.1:$PI --network-name testnet --passphrase wrong --send x --timeout 2 2>&1); rc=$?
check '[ $rc -eq 1 ] && grep -q "no path" <<<"$out"' "wrong passphrase: no path (rc $rc)"

finish cli_rns
