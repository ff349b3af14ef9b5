#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The meshlog command end to end, as a person uses it: init, entries, view,
# log, export/import between two stores, the seed's logs with --legacy,
# tampered input, verify, and --help on every command.
set -u
M=${MESHLOG_BIN:?}
S=${MESHLOG_SHARED:?}
T=$(mktemp -d /tmp/meshlog-cli-XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$(dirname "${BASH_SOURCE[0]}")/lib_cli.sh"

cd "$T"
# --- no store yet: a clear error that says what to do
out=$($M --data none.db view 2>&1); rc=$?
check '[ $rc -eq 1 ] && grep -q "meshlog init" <<<"$out"' "missing store should point to init"

# --- a field session
check '$M --data a.db init --name base >/dev/null' "init"
check '! $M --data a.db init --name again 2>/dev/null' "second init must refuse"
check '[ -f a.db.identity ] && [ $(stat -c %s a.db.identity) -eq 64 ] && [ $(stat -c %a a.db.identity) = 600 ]' \
      "identity file is 64 bytes, mode 600"
$M --data a.db create R-1 site_assessment >/dev/null
$M --data a.db set R-1 people 12 >/dev/null
$M --data a.db set R-1 flow 2.50 >/dev/null
$M --data a.db set R-1 ok TRUE >/dev/null
$M --data a.db set --string R-1 code 007 >/dev/null
$M --data a.db note R-1 "bridge out, café closed" >/dev/null
printf 'JPEGDATA' > photo.jpg
$M --data a.db attach R-1 photo photo.jpg >/dev/null
view=$($M --data a.db view R-1)
check 'grep -q "\"people\": 12$" <<<"$view"' "int coercion"
check 'grep -q "\"flow\": 2.5," <<<"$view"' "float coercion (2.50 -> 2.5)"
check 'grep -q "\"ok\": true" <<<"$view"' "bool coercion"
check 'grep -q "\"code\": \"007\"" <<<"$view"' "--string keeps text"
check 'grep -q "caf\\\\u00e9" <<<"$view"' "non-ASCII escaped as Python does"
check 'grep -q "\"mime\": \"image/jpeg\"" <<<"$view" && grep -q "\"size\": 8" <<<"$view"' "attachment"
hash=$(grep -o '"blob_hash": "[0-9a-f]*"' <<<"$view" | cut -d'"' -f4)
check '[ "$hash" = "$(sha256sum photo.jpg | cut -d" " -f1)" ]' "blob hash is the SHA-256 of the file"
check '$M --data a.db blob "$hash" | cmp -s - photo.jpg' "blob comes back"
check '[ $($M --data a.db log | wc -l) -eq 8 ] && $M --data a.db log --limit 1 | grep -q attachment.add' \
      "log newest first"
check '[ $($M --data a.db log --record R-1 --oldest-first | head -1 | grep -c record.create) -eq 1 ]' "log --record"
check '$M --data a.db verify >/dev/null' "verify a healthy store"
out=$($M --data a.db set R-1 big 99999999999999999999 2>&1); rc=$?
check '[ $rc -ne 0 ] && grep -q -- "--string" <<<"$out"' "huge int refused with advice"

# --- export, then import into another node: same view, signatures checked
$M --data a.db export -o a.jsonl
check '[ $(wc -l <a.jsonl) -eq 8 ] && grep -q "\"g\": \"" a.jsonl' "export carries signatures"
$M --data b.db init --name team >/dev/null
check '$M --data b.db import a.jsonl >/dev/null' "signed import"
check '[ "$($M --data b.db view R-1)" = "$view" ]' "same view after import"
check '$M --data b.db verify >/dev/null' "verify after import"
# --- over several batches: events held by one batch are accepted by a later one
tac a.jsonl > rev.jsonl
out=$(MESHLOG_IMPORT_BATCH=2 $M --data r.db import rev.jsonl 2>&1); rc=$?
check '[ $rc -eq 0 ] && grep -q "^8 accepted, 0 duplicate, 0 held, 0 refused" <<<"$out" && ! grep -q "line" <<<"$out"' \
      "reversed log in batches of 2: all accepted, nothing reported held"
check '[ "$($M --data r.db view R-1)" = "$view" ]' "same view after a reversed import"
sed 4d a.jsonl > gap.jsonl
out=$(MESHLOG_IMPORT_BATCH=2 $M --data g.db import gap.jsonl 2>&1); rc=$?
check '[ $rc -eq 3 ] && grep -q "^3 accepted, 0 duplicate, 4 held" <<<"$out" && [ $(grep -c "held (waiting" <<<"$out") -eq 4 ] && grep -q "^line 4: held" <<<"$out"' \
      "a gap in batches of 2: the 4 events after it reported held once, with their lines"
$M --data a.db export --csv -o a.csv
check 'head -1 a.csv | grep -q "^record_id,form,created_by,code,flow,ok,people" ' "csv header"
check 'grep -q "^R-1,site_assessment," a.csv' "csv row"

# --- tampered line: refused with its reason, nothing else lost
sed 's/"value": 12/"value": 13/' a.jsonl > t.jsonl
$M --data c.db init --name c >/dev/null
out=$($M --data c.db import t.jsonl 2>&1); rc=$?
check '[ $rc -eq 3 ] && grep -q "refused" <<<"$out"' "tampered import reports refusal (exit 3)"
check '! $M --data c.db view R-1 | grep -q "\"people\": 13"' "tampered value not in view"
check '$M --data c.db verify >/dev/null' "store still verifies after refusing"

# --- the seed's logs, with and without --legacy
for f in "$S"/vectors/seed/*.jsonl; do
  b=$(basename "$f" .jsonl)
  check '! $M --data s-$b.db import "$f" >/dev/null 2>&1' "$b: unsigned log refused without --legacy"
  $M --data l-$b.db import --legacy "$f" >/dev/null 2>&1
  $M --data l-$b.db view > $b.out
  check 'cmp -s $b.out "$S/vectors/seed/$b.view.json"' "$b: view byte-identical to the seed"
done

# --- --help everywhere
for c in init create set note attach view frontier log import export verify status blob; do
  check '$M $c --help | grep -q "^usage: meshlog"' "$c --help"
done
check '$M --help | grep -q commands' "meshlog --help"
out=$($M bogus 2>&1); rc=$?
check '[ $rc -eq 2 ] && grep -q "unknown command" <<<"$out"' "unknown command is a usage error"

finish cli_basic
