#!/bin/sh
# prov-ledger: entries, authority, coverage, proofs, export/import, faults.
. "$(dirname "$0")/lib.sh"

PROV_LEDGER=$TRASH/studio.ledger
export PROV_LEDGER
size() { prov-ledger log | wc -l; }

# Three records as prov-fp --json writes them.
records() {
	for f in a b c; do
		printf '%s' "$f$1" > "$f.bin"
		printf '{"path":"%s.bin","kind":"other","size":%d,"sha256":"%s"}\n' "$f" \
		    "$(wc -c < "$f.bin")" "$(sha256sum < "$f.bin" | cut -c1-64)"
	done
}

test_expect_success 'keys are generated 0600 and print their verifier key' '
	prov-ledger key generate studio.example/prov -o op.key >op.vkey &&
	prov-ledger key generate studio -o studio.key >studio.vkey &&
	prov-ledger key generate vendorA -o va.key >va.vkey &&
	prov-ledger key generate subB -o sb.key >sb.vkey &&
	prov-ledger key generate subC -o sc.key >sc.vkey &&
	test "$(stat -c %a va.key)" = 600 &&
	grep -Eq "^vendorA\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$" va.vkey &&
	test_must_fail --status=2 prov-ledger key generate vendorA -o va.key 2>err &&
	grep -q "va.key: File exists" err
'

test_expect_success 'init, parties and an approval with delegation' '
	prov-ledger init --origin studio.example/prov --key op.key >out &&
	grep -q "ledger for studio.example/prov" out &&
	prov-ledger party add studio --role studio --vkey "$(cat studio.vkey)" --key op.key &&
	prov-ledger party add vendorA --role vendor --vkey "$(cat va.vkey)" --key studio.key &&
	prov-ledger party add subB --role subcontractor --vkey "$(cat sb.vkey)" --key studio.key &&
	prov-ledger party add subC --role subcontractor --vkey "$(cat sc.vkey)" --key studio.key &&
	prov-ledger approve vendorA --project ep104 --may-delegate-to subB --key studio.key >seq &&
	test "$(cat seq)" = 5 &&
	prov-ledger approve subB --project ep104 --key studio.key &&
	test "$(size)" = 7
'

test_expect_success 'a vendor cannot add parties or approvals; nothing is written' '
	test_must_fail --status=1 prov-ledger party add rogue --role vendor --vkey "$(cat sc.vkey)" --key va.key 2>err &&
	grep -q "only the operator or a studio" err &&
	test_must_fail --status=1 prov-ledger approve subC --project ep104 --key va.key &&
	test "$(size)" = 7
'

test_expect_success 'handoffs inside the approved chain are covered' '
	records 1 >m1 &&
	prov-ledger handoff --to vendorA --project ep104 --key studio.key <m1 >h1 &&
	prov-ledger handoff --to subB --project ep104 --key va.key <m1 >h2 &&
	prov-ledger log >log &&
	! grep "NOT COVERED" log &&
	grep -q "vendorA -> subB, ep104, 3 artifacts" log
'

test_expect_success 'a handoff outside the chain is recorded and flagged, not refused' '
	prov-ledger handoff --to subC --project ep104 --note "overflow work" --key va.key <m1 >h3 &&
	prov-ledger log >log &&
	grep "vendorA -> subC" log | grep -q "NOT COVERED: subC holds no active approval for ep104" &&
	prov-ledger show "$(cat h3)" --json >e &&
	"$PYTHON" -c "import json,sys; b=json.load(open(\"e\"))[\"body\"]; sys.exit(b[\"covered\"] is not False)"
'

test_expect_success 'revoking an approval uncovers later handoffs' '
	prov-ledger revoke 6 --key studio.key &&
	prov-ledger handoff --to subB --project ep104 --key va.key <m1 &&
	prov-ledger log | tail -n 1 | grep -q "NOT COVERED"
'

test_expect_success 'receipts: only the receiver signs; a different delivery DIFFERS' '
	test_must_fail --status=1 prov-ledger receipt "$(cat h1)" --key sb.key <m1 2>err &&
	grep -q "signed by the handoff.s receiver" err &&
	prov-ledger receipt "$(cat h1)" --key va.key <m1 &&
	records 2 >m2 &&
	prov-ledger receipt "$(cat h1)" --key va.key <m2 &&
	prov-ledger log | tail -n 2 >log &&
	grep -q "of handoff $(cat h1), matches" log &&
	grep -q "of handoff $(cat h1), DIFFERS" log
'

test_expect_success 'bad input is refused with a clear error and nothing written' '
	n=$(size) &&
	printf "{\"path\":\"x\"\n" | test_must_fail --status=1 prov-ledger handoff --to subB --project ep104 --key va.key 2>err &&
	grep -q "stdin:1: not a JSON record" err &&
	test_must_fail --status=1 prov-ledger handoff --to nobody --project ep104 --key va.key <m1 2>err &&
	grep -q "unknown party nobody" err &&
	cp va.key open.key && chmod 644 open.key &&
	test_must_fail --status=2 prov-ledger handoff --to subB --project ep104 --key open.key <m1 2>err &&
	grep -q "too open" err &&
	prov-ledger key generate stranger -o x.key >/dev/null &&
	test_must_fail --status=1 prov-ledger sighting --where "ftp://open.example" --key x.key <m1 2>err &&
	grep -q "no party of this ledger" err &&
	test "$(size)" = "$n"
'

test_expect_success 'the file refuses updates and deletes' '
	! sqlite3 "$PROV_LEDGER" "UPDATE entries SET author = 1 WHERE seq = 1" 2>err &&
	grep -q "append-only" err &&
	! sqlite3 "$PROV_LEDGER" "DELETE FROM entries WHERE seq = 9" &&
	! sqlite3 "$PROV_LEDGER" "DELETE FROM nodes" &&
	test "$(sqlite3 "$PROV_LEDGER" "SELECT author FROM entries WHERE seq = 1")" = studio.example/prov
'

test_expect_success 'the export is the leaves: an independent root equals the checkpoint' '
	prov-ledger export >export.ndjson &&
	test_json_valid entry.schema.json export.ndjson &&
	prov-ledger checkpoint --key op.key >cp &&
	sed -n 1p cp >origin && echo studio.example/prov >expect && test_cmp expect origin &&
	test "$(sed -n 2p cp)" = "$(wc -l < export.ndjson)" &&
	"$PYTHON" "$TESTS_DIR/merkle_root.py" export.ndjson >root &&
	sed -n 3p cp >cproot && test_cmp root cproot &&
	grep -q "^— studio.example/prov " cp &&
	test_must_fail --status=1 prov-ledger checkpoint --key studio.key 2>err &&
	grep -q "not this ledger.s operator key" err
'

test_expect_success 'inclusion and consistency proofs check out independently' '
	prov-ledger prove 3 --json >p3 &&
	"$PYTHON" "$TESTS_DIR/merkle_root.py" --prove export.ndjson <p3 &&
	prov-ledger prove 3 --size 7 --json >p37 &&
	head -n 7 export.ndjson >first7 &&
	"$PYTHON" "$TESTS_DIR/merkle_root.py" --prove first7 <p37 &&
	prov-ledger prove --consistency 5 --json >c5 &&
	grep -q "\"size1\":5" c5 &&
	test_must_fail --status=1 prov-ledger prove 999
'

test_expect_success 'import re-verifies: a faithful copy is accepted, a changed one leaves nothing' '
	prov-ledger --ledger copy.ledger import <export.ndjson &&
	prov-ledger --ledger copy.ledger export >again &&
	test_cmp export.ndjson again &&
	sed "6s/\"project\":\"ep104\"/\"project\":\"ep105\"/" export.ndjson >changed &&
	! test_cmp export.ndjson changed >/dev/null &&
	test_must_fail --status=1 prov-ledger --ledger bad.ledger import <changed 2>err &&
	grep -q "entry 5: bad signature" err &&
	test ! -e bad.ledger &&
	sed 3d export.ndjson >dropped &&
	test_must_fail --status=1 prov-ledger --ledger bad.ledger import <dropped 2>err &&
	grep -q "wrong sequence number" err &&
	test_must_fail --status=2 prov-ledger --ledger copy.ledger import <export.ndjson 2>err &&
	grep -q "exists already" err
'

test_expect_success 'two writers at once both land, in one consistent tree' '
	n=$(size)
	prov-ledger handoff --to vendorA --project ep104 --key studio.key <m1 >w1 &
	prov-ledger handoff --to vendorA --project ep104 --key studio.key <m2 >w2 &
	wait &&
	test "$(size)" = $((n + 2)) &&
	test "$(cat w1)" != "$(cat w2)" &&
	prov-ledger export >e2 &&
	prov-ledger --ledger copy2.ledger import <e2
'

test_expect_success 'killed during a large handoff: the entry is all there or not at all' '
	"$PYTHON" -c "
import hashlib
for i in range(100000):
    h = hashlib.sha256(str(i).encode()).hexdigest()
    print(\"{\\\"path\\\":\\\"ep104/sh%06d.exr\\\",\\\"kind\\\":\\\"exr\\\",\\\"size\\\":%d,\\\"sha256\\\":\\\"%s\\\"}\" % (i, i, h))
" >big &&
	n=$(size)
	prov-ledger handoff --to vendorA --project ep104 --key studio.key <big >/dev/null 2>&1 &
	pid=$!
	sleep 1
	kill -9 $pid
	wait $pid
	m=$(size) &&
	{ test "$m" = "$n" || test "$m" = $((n + 1)); } &&
	prov-ledger export >after &&
	prov-ledger --ledger copy3.ledger import <after &&
	prov-ledger checkpoint --key op.key >cp2 &&
	"$PYTHON" "$TESTS_DIR/merkle_root.py" after >root2 &&
	sed -n 3p cp2 >cproot2 && test_cmp root2 cproot2
'

test_done
