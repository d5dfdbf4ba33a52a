#!/bin/sh
# prov-ledger handoff/receipt/sighting PATH...: the command fingerprints the
# files itself (directories walked); --from names the sender and must be the
# signer.
. "$(dirname "$0")/lib.sh"

PROV_LEDGER=$TRASH/studio.ledger
export PROV_LEDGER
size() { prov-ledger log | wc -l; }
FRAMES="$CORPUS/frames/sintel/raft-demo"

test_expect_success 'a ledger, and a delivery of corpus frames' '
	ledger_studio_vendor &&
	prov-ledger approve vendorA --project ep104 --key studio.key &&
	mkdir -p deliv/sq010 &&
	cp "$FRAMES/frame_0016.png" "$FRAMES/frame_0017.png" deliv/sq010/ &&
	printf "notes\n" >deliv/readme.txt &&
	test "$(size)" = 4
'

test_expect_success 'handoff --from A PATH...: every file under the PATHs recorded' '
	prov-ledger handoff --from studio --to vendorA --project ep104 --key studio.key deliv >id &&
	test "$(cat id)" = 4 &&
	prov-ledger show 4 --json >e.json &&
	"$PYTHON" - "$FRAMES/frame_0016.png" >got <<-\EOF &&
	import hashlib, json, sys
	e = json.load(open("e.json"))
	assert e["author"] == "studio" and e["body"]["from"] == "studio"
	arts = e["body"]["manifest"]["artifacts"]
	for a in arts:
	    print(a["path"], a["kind"], a["size"], a["sha256"], a.get("pixels", "-")[:3])
	want = hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest()
	assert arts[1]["sha256"] == want, arts[1]["sha256"]
	EOF
	cat >want <<-EOF &&
	deliv/readme.txt other 6 $(sha256sum <deliv/readme.txt | cut -c1-64) -
	deliv/sq010/frame_0016.png png $(wc -c <deliv/sq010/frame_0016.png) $(sha256sum <deliv/sq010/frame_0016.png | cut -c1-64) v1:
	deliv/sq010/frame_0017.png png $(wc -c <deliv/sq010/frame_0017.png) $(sha256sum <deliv/sq010/frame_0017.png | cut -c1-64) v1:
	EOF
	test_cmp want got &&
	prov-audit -q --handoff 4 deliv >out 2>err &&
	test_must_be_empty out &&
	grep -q "3 matched, 0 changed" err
'

test_expect_success 'the same PATHs give the manifest that records on stdin give' '
	prov-ledger show 4 --json >e.json &&
	"$PYTHON" -c "
import json
for a in json.load(open(\"e.json\"))[\"body\"][\"manifest\"][\"artifacts\"]:
    print(json.dumps(a))" >records &&
	prov-ledger handoff --to vendorA --project ep104 --key studio.key <records >id2 &&
	prov-ledger show 4 --json >a.json && prov-ledger show "$(cat id2)" --json >b.json &&
	"$PYTHON" -c "
import json, sys
a, b = (json.load(open(f))[\"body\"][\"manifest\"] for f in (\"a.json\", \"b.json\"))
sys.exit(a != b)"
'

test_expect_success 'a receipt from PATHs: matches, then a frame re-encoded by ImageMagick differs' '
	mkdir recv &&
	cp -R deliv recv/ &&
	(cd recv && prov-ledger receipt 4 --key "$TRASH/va.key" deliv >../r) &&
	prov-ledger log >log &&
	grep -q "^$(cat r)	.*of handoff 4, matches$" log &&
	convert recv/deliv/sq010/frame_0017.png -define png:compression-level=1 re.png &&
	! cmp -s re.png recv/deliv/sq010/frame_0017.png &&
	mv re.png recv/deliv/sq010/frame_0017.png &&
	(cd recv && prov-ledger receipt 4 --key "$TRASH/va.key" deliv >../r2) &&
	prov-ledger log >log &&
	grep -q "^$(cat r2)	.*of handoff 4, DIFFERS: 1 missing, 1 unexpected$" log &&
	prov-ledger show "$(cat r2)" --json >r2.json &&
	"$PYTHON" -c "
import json, sys
d = json.load(open(\"r2.json\"))[\"body\"][\"differences\"]
sys.exit(not (d[\"missing\"][0][\"path\"] == d[\"unexpected\"][0][\"path\"] == \"deliv/sq010/frame_0017.png\"))"
'

test_expect_success 'sighting PATH: the found file is fingerprinted' '
	prov-ledger sighting --where "ftp://leak.example/" --key va.key deliv/sq010/frame_0016.png >s &&
	prov-ledger show "$(cat s)" --json >s.json &&
	"$PYTHON" -c "
import json, sys
a = json.load(open(\"s.json\"))[\"body\"][\"artifacts\"]
sys.exit(not (len(a) == 1 and a[0][\"sha256\"] == sys.argv[1] and a[0][\"kind\"] == \"png\"))" \
	    "$(sha256sum <deliv/sq010/frame_0016.png | cut -c1-64)"
'

test_expect_success '--from another party, a missing PATH, an empty directory: nothing written' '
	n=$(size) &&
	test_must_fail --status=1 prov-ledger handoff --from vendorA --to vendorA --project ep104 \
	    --key studio.key deliv 2>err &&
	grep -q "handoff: must be signed by its sender" err &&
	test_must_fail --status=2 prov-ledger handoff --to vendorA --project ep104 \
	    --key studio.key deliv/nosuch 2>err &&
	grep -q "deliv/nosuch: No such file or directory" err &&
	mkdir empty &&
	test_must_fail --status=1 prov-ledger handoff --to vendorA --project ep104 \
	    --key studio.key empty 2>err &&
	grep -q "no files to record" err &&
	test "$(size)" = "$n"
'

test_expect_success 'checkpoint without --key: the newest stored one, if it covers every entry' '
	test_must_fail --status=2 prov-ledger checkpoint >out 2>err &&
	test_must_be_empty out &&
	grep -q "no stored checkpoint covers the $(size) entries; --key OPERATOR_KEY signs one" err &&
	prov-ledger checkpoint --key op.key >signed.cp &&
	prov-ledger checkpoint >stored.cp &&
	test_cmp signed.cp stored.cp &&
	prov-audit --checkpoint stored.cp --key op.vkey >out &&
	grep -q "^OK" out &&
	prov-ledger sighting --where "ftp://leak.example/" --key va.key deliv/readme.txt >/dev/null &&
	test_must_fail --status=2 prov-ledger checkpoint 2>err &&
	grep -q "no stored checkpoint covers the $(size) entries" err
'

test_done
