#!/bin/sh
# prov-ledger: the README's root recipe, the man page's synopsis, an
# interrupted import, and the derived members import insists on.
. "$(dirname "$0")/lib.sh"

PROV_LEDGER=$TRASH/studio.ledger
export PROV_LEDGER

test_expect_success 'a small ledger with a handoff' '
	prov-ledger key generate studio.example/prov -o op.key >op.vkey &&
	prov-ledger key generate studio -o studio.key >studio.vkey &&
	prov-ledger key generate vendorA -o va.key >va.vkey &&
	prov-ledger init --origin studio.example/prov --key op.key >/dev/null &&
	prov-ledger party add studio --role studio --vkey "$(cat studio.vkey)" --key op.key >/dev/null &&
	prov-ledger party add vendorA --role vendor --vkey "$(cat va.vkey)" --key studio.key >/dev/null &&
	prov-ledger approve vendorA --project ep104 --until 2099-12-31 --key studio.key >/dev/null &&
	printf "{\"path\":\"a.exr\",\"kind\":\"exr\",\"size\":1,\"sha256\":\"%s\"}\n" \
	    "$(printf a | sha256sum | cut -c1-64)" >m &&
	prov-ledger handoff --to vendorA --project ep104 --note "layouts" --key studio.key <m >h &&
	test "$(cat h)" = 4 &&
	prov-ledger log >log &&
	grep -q "^4	.*	handoff	studio	studio -> vendorA, ep104, 1 artifacts$" log &&
	! grep -q "NOT COVERED" log
'

test_expect_success 'the README recipe recomputes the checkpoint root from the export' '
	sed -n "/^    import base64, hashlib, sys$/,/^    print(base64/p" "$SRC_DIR/README.md" |
	    sed "s/^    //" >root.py &&
	test "$(wc -l <root.py)" -ge 8 &&
	prov-ledger export >export.ndjson &&
	test "$(wc -l <export.ndjson)" = 5 &&
	prov-ledger checkpoint --key op.key >cp &&
	"$PYTHON" root.py export.ndjson >root &&
	sed -n 3p cp >expect && test_cmp expect root &&
	head -n 3 export.ndjson >first3 &&
	"$PYTHON" root.py first3 >root3 &&
	! test_cmp expect root3 >/dev/null
'

test_expect_success 'the man page synopsis names every verb of the usage' '
	prov-ledger --help >usage &&
	for v in init "key generate" "party add" approve revoke handoff receipt sighting \
	    log show checkpoint prove export import; do
		grep -q "^  $v\|| $v" usage || { echo "usage lacks $v"; exit 1; }
		first=${v%% *} &&
		grep -q "^\.Cm $v\$\|^\.Cm $first" "$SRC_DIR/man/prov-ledger.1" ||
		    { echo "man page lacks $v"; exit 1; }
	done &&
	grep -q "^\.Sh EXIT STATUS" "$SRC_DIR/man/prov-ledger.1"
'

test_expect_success 'import refuses an entry whose coverage verdict was edited' '
	"$PYTHON" - <<-\PY &&
	import json
	lines = open("export.ndjson").read().splitlines()
	e = json.loads(lines[4])
	e["body"]["covered"] = False
	e["body"]["uncovered_reason"] = "made up"
	open("forged.ndjson", "w").write("\n".join(lines[:4] + [json.dumps(e, separators=(",", ":"), sort_keys=True)]) + "\n")
	PY
	test_must_fail --status=1 prov-ledger --ledger forged.ledger import <forged.ndjson 2>err &&
	grep -q "entry 4" err &&
	test ! -e forged.ledger
'

test_expect_success 'approval dates must be YYYY-MM-DD; nothing written' '
	test_must_fail --status=1 prov-ledger approve vendorA --project ep105 --until "June 2027" \
	    --key studio.key >out 2>err &&
	test ! -s out &&
	grep -q "from and until are dates YYYY-MM-DD" err &&
	test "$(prov-ledger log | wc -l)" = 5
'

test_expect_success 'a receipt that differs names what is missing and what was not expected' '
	printf "{\"path\":\"b.exr\",\"kind\":\"exr\",\"size\":1,\"sha256\":\"%s\"}\n" \
	    "$(printf b | sha256sum | cut -c1-64)" >other &&
	prov-ledger receipt 4 --key va.key <m >r1 &&
	prov-ledger receipt 4 --key va.key <other >r2 &&
	prov-ledger log | tail -n 2 >log &&
	grep -q "of handoff 4, matches$" log &&
	grep -q "of handoff 4, DIFFERS: 1 missing, 1 unexpected$" log &&
	prov-ledger show "$(cat r2)" --json >e &&
	"$PYTHON" -c "
import json, sys
d = json.load(open(\"e\"))[\"body\"][\"differences\"]
sys.exit(not (d[\"missing\"][0][\"path\"] == \"a.exr\" and d[\"unexpected\"][0][\"path\"] == \"b.exr\"))
" &&
	prov-ledger show "$(cat r1)" --json | grep -v -q differences &&
	prov-ledger export >e2 &&
	test_json_valid entry.schema.json e2 &&
	prov-ledger --ledger copy.ledger import <e2
'

test_expect_success 'killed during an import: no entry of the copy is left half there' '
	for i in $(seq 1 300); do echo "$i"; done | while read -r i; do
		printf "{\"path\":\"f%d.exr\",\"kind\":\"exr\",\"size\":%d,\"sha256\":\"%064d\"}\n" "$i" "$i" "$i"
	done >m300 &&
	for i in 1 2 3 4 5 6 7 8; do
		prov-ledger handoff --to vendorA --project ep104 --key studio.key <m300 >/dev/null || exit 1
	done &&
	prov-ledger export >big.ndjson &&
	n=$(wc -l <big.ndjson) &&
	mkfifo feed || exit 1
	# the whole export, then the writer stays open: the import is
	# killed after reading every line, before its commit
	prov-ledger --ledger killed.ledger import <feed 2>/dev/null &
	pid=$!
	{ cat big.ndjson; sleep 4; } >feed &
	feeder=$!
	sleep 2
	kill -9 $pid
	wait $pid
	test $? = 137 || { echo "the import was not killed"; exit 1; }
	wait $feeder
	if test -e killed.ledger; then
		m=$(prov-ledger --ledger killed.ledger log 2>/dev/null | wc -l) &&
		test "$m" = 0
	fi &&
	prov-ledger --ledger whole.ledger import <big.ndjson &&
	test "$(prov-ledger --ledger whole.ledger log | wc -l)" = "$n"
'

test_done
