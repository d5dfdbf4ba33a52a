#!/bin/sh
# prov-report: a producer's delivery judged before it goes out.  Real
# corpus frames handed studio -> redpanda (approved); a second shot handed
# on to nightowl (no approval); deliveries made of them with a file the
# ledger never saw, a re-tagged frame naming nightowl, a hostile name, a
# zip; a tampered copy of the ledger.
. "$(dirname "$0")/lib.sh"

PROV_LEDGER=$TRASH/studio.ledger
export PROV_LEDGER
EXR="$CORPUS/exr/openexr-images"

test_expect_success 'a ledger: studio, redpanda (vendor), nightowl (subcontractor)' '
	prov-ledger key generate studio.example/prov -o op.key >op.vkey &&
	for p in studio redpanda nightowl; do
		prov-ledger key generate $p -o $p.key >$p.vkey || return 1
	done &&
	prov-ledger init --origin studio.example/prov --key op.key &&
	prov-ledger party add studio --role studio --vkey "$(cat studio.vkey)" --key op.key &&
	prov-ledger party add redpanda --role vendor --vkey "$(cat redpanda.vkey)" --key studio.key &&
	prov-ledger party add nightowl --role subcontractor --vkey "$(cat nightowl.vkey)" --key studio.key &&
	prov-ledger approve redpanda --project ep104 --key studio.key >approval &&
	test "$(cat approval)" = 4
'

test_expect_success 'shot 30 handed to redpanda (receipt); shot 40 on to nightowl' '
	mkdir -p deliv/ep104 shot40 &&
	cp "$EXR/ScanLines/Cannon.exr" deliv/ep104/ep104_sq020_sh030.0101.exr &&
	cp "$EXR/ScanLines/Carrots.exr" deliv/ep104/ep104_sq020_sh030.0102.exr &&
	cp "$EXR/TestImages/GammaChart.exr" deliv/ep104/ep104_sq020_sh030.0103.exr &&
	cp "$EXR/Beachball/singlepart.0001.exr" shot40/ep104_sq020_sh040.0101.exr &&
	prov-fp --json deliv >deliv.ndjson &&
	prov-ledger handoff --to redpanda --project ep104 --key studio.key <deliv.ndjson >h1 &&
	prov-ledger receipt "$(cat h1)" --key redpanda.key <deliv.ndjson >r1 &&
	prov-fp --json shot40 >shot40.ndjson &&
	prov-ledger handoff --to redpanda --project ep104 --key studio.key <shot40.ndjson >h2 &&
	prov-ledger handoff --to nightowl --project ep104 --key redpanda.key <shot40.ndjson >h3 &&
	test "$(cat h1) $(cat r1) $(cat h2) $(cat h3)" = "5 6 7 8"
'

test_expect_success 'a clean delivery passes: exit 0, PASS first' '
	prov-report deliv >out 2>err &&
	test_must_be_empty err &&
	cat >expect <<-\EOT &&
	PASS: 3 files, every check passed
	check records: ok: 3 of 3 files recorded
	check custody: ok: every handoff on the files'"'"' paths was approved
	check indicators: ok: no indicator of an unknown party
	check ledger: ok: 9 entries, 9 verified, 0 checkpoints, 0 findings
	EOT
	test_cmp expect out &&
	prov-report -q deliv >out &&
	test "$(cat out)" = "PASS: 3 files, every check passed" &&
	prov-report --json clean.json --markdown clean.md --html clean.html deliv >out &&
	head -n 1 out | grep -q "^PASS: " &&
	test_json_valid report.schema.json clean.json &&
	jq -e ".verdict == \"pass\" and .thumbnails == 0 and (.files | length) == 3
	    and (.files | all(.ok and .match.how == \"bytes\" and .last_approved == \"redpanda\"))
	    and (.checks | map(.pass) == [true, true, true, true])
	    and .graph.edges == [{\"entry\": 5, \"time\": .graph.edges[0].time,
	        \"from\": \"studio\", \"to\": \"redpanda\", \"project\": \"ep104\", \"chain\": \"in\"}]" clean.json &&
	grep -q "^# Delivery report: PASS: 3 files, every check passed$" clean.md &&
	grep -q "^| ledger | pass | 9 entries" clean.md &&
	grep -q "<h1 class=\"verdict pass\">PASS: 3 files" clean.html &&
	! grep -q "<img" clean.html
'

test_expect_success 'the clean delivery as its handoff: exit 0; JSON to stdout' '
	prov-report --handoff 5 --json - >out 2>err &&
	test_must_be_empty err &&
	test_json_valid report.schema.json out &&
	jq -e ".verdict == \"pass\" and .delivery == {\"handoff\": 5} and (.files | length) == 3" out &&
	prov-report --records deliv.ndjson >out &&
	head -n 1 out | grep -q "^PASS: 3 files"
'

test_expect_success 'a file the ledger never saw fails the records check' '
	cp -r deliv d1 &&
	printf "notes for the vendor\n" >d1/readme.txt &&
	test_must_fail --status=1 prov-report d1 >out 2>err &&
	test_must_be_empty err &&
	head -n 1 out | grep -q "^FAIL: 4 files, 1 of 4 checks failed$" &&
	grep -q "^check records: FAILED: 1 of 4 files has no ledger record$" out &&
	grep -q "^check custody: ok" out &&
	grep -q "^d1/readme.txt: no ledger record$" out &&
	test "$(grep -c "^d1/" out)" = 1
'

test_expect_success 'a frame whose custody went to an unapproved party fails custody' '
	mkdir d2 &&
	cp deliv/ep104/*.0101.exr shot40/*.exr d2/ &&
	test_must_fail --status=1 prov-report --json d2.json --html d2.html d2 >out 2>err &&
	test_must_be_empty err &&
	grep -q "^check custody: FAILED: 1 file went through a handoff no approval covered$" out &&
	grep -q "^check records: ok" out &&
	grep -q "^d2/ep104_sq020_sh040.0101.exr: left the approved chain; matched by bytes, handoff artifact in entry 7; last approved custodian redpanda; exit: handoff 8 redpanda -> nightowl$" out &&
	test_json_valid report.schema.json d2.json &&
	jq -e "(.files | map(select(.ok | not)) | length) == 1 and .thumbnails == 1
	    and (.graph.edges | map(.chain) == [\"in\", \"in\", \"exit\"])
	    and (.graph.parties | map(\"\(.name):\(.depth)\") == [\"studio:0\", \"redpanda:1\", \"nightowl:2\"])" d2.json &&
	grep -q "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"graph\"" d2.html &&
	test "$(grep -c "<path class=\"edge exit\".*stroke=\"#cf222e\" stroke-width=\"3\"" d2.html)" = 1 &&
	test "$(grep -c "<path class=\"edge in\"" d2.html)" = 2 &&
	grep -q "<text x=\"[0-9]*\" y=\"[0-9]*\" text-anchor=\"middle\">nightowl</text>" d2.html
'

test_expect_success 'the thumbnail of the flagged frame is a real PNG of its picture' '
	cat >thumb.py <<-\EOT &&
	import base64, json, struct, sys, zlib
	rep = json.load(open(sys.argv[1]))
	for f in rep["files"]:
	    if "thumbnail" not in f:
	        continue
	    t = f["thumbnail"]
	    png = base64.b64decode(t["png"].split(",", 1)[1])
	    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
	    w, h, depth, ctype = struct.unpack(">IIBB", png[16:26])
	    assert (w, h) == (t["width"], t["height"]), (w, h)
	    assert max(w, h) == int(sys.argv[2]) and depth == 8 and ctype == 2
	    # the pixels: not one flat colour
	    data, pos = b"", 8
	    while pos < len(png):
	        n, = struct.unpack(">I", png[pos:pos + 4])
	        if png[pos + 4:pos + 8] == b"IDAT":
	            data += png[pos + 8:pos + 8 + n]
	        pos += 12 + n
	    raw = zlib.decompress(data)
	    assert len(raw) == h * (1 + 3 * w)
	    assert len(set(raw)) > 16, "a flat thumbnail"
	    print(f["path"], w, h)
	EOT
	"$PYTHON" thumb.py d2.json 160 >out &&
	echo "d2/ep104_sq020_sh040.0101.exr 160 122" >expect &&
	test_cmp expect out &&
	test_must_fail --status=1 prov-report --thumbnails 0 --json d2.json d2 >/dev/null &&
	jq -e ".thumbnails == 0 and ([.files[] | select(.thumbnail)] | length) == 0" d2.json
'

test_expect_success 'a frame naming nightowl fails indicators, even once recorded' '
	mkdir d3 &&
	exrstdattr -owner "nightowl render farm" deliv/ep104/ep104_sq020_sh030.0103.exr d3/tagged.exr &&
	test_must_fail --status=1 prov-report d3 >out 2>err &&
	test_must_be_empty err &&
	grep -q "^check indicators: FAILED: 1 file carries indicators of a party no approval names$" out &&
	grep -q "^check records: ok: 1 of 1 files recorded$" out &&
	grep -q "^  indicator owner nightowl render farm (owner): party nightowl, no approval$" out &&
	prov-fp --json d3 | prov-ledger handoff --to redpanda --project ep104 --key studio.key >h4 &&
	test_must_fail --status=1 prov-report --json d3.json d3 >out &&
	test_json_valid report.schema.json d3.json &&
	jq -e ".files[0].match.how == \"bytes\" and .files[0].problems == [\"indicator\"]
	    and .files[0].indicators[0].party == \"nightowl\"" d3.json &&
	test_must_fail --status=1 prov-trace d3 >trace.out &&
	! grep -q indicator trace.out
'

test_expect_success 'a tampered ledger fails the ledger check' '
	cp "$PROV_LEDGER" t.ledger &&
	sqlite3 t.ledger "DROP TRIGGER entries_no_update;
	    UPDATE entries SET bytes = replace(bytes, \"ep104\", \"ep105\") WHERE seq = 4" &&
	test_must_fail --status=1 prov-report --ledger t.ledger --json t.json deliv >out 2>err &&
	test_must_be_empty err &&
	head -n 1 out | grep -q "^FAIL: 3 files, 1 of 4 checks failed$" &&
	grep -q "^check ledger: FAILED: 10 entries, [0-9]* verified, 0 checkpoints, 3 findings$" out &&
	grep -q "^ledger: entry 4 (approval): bad signature by studio" out &&
	test_json_valid report.schema.json t.json &&
	jq -e "(.checks | map(.pass) == [true, true, true, false]) and .ledger.findings_total >= 1" t.json
'

test_expect_success 'hostile names are escaped in text, HTML and Markdown' '
	mkdir d4 &&
	name=$(printf "x<script>alert(1)<!--\033[2J|*[a](b).exr") &&
	cp shot40/*.exr "d4/$name" &&
	test_must_fail --status=1 prov-report --html d4.html --markdown d4.md --json d4.json d4 >out 2>err &&
	test_must_be_empty err &&
	! grep -q "$(printf "\033")" out d4.html d4.md &&
	cat >expect.txt <<-\EOT &&
	\d4/x<script>alert(1)<!--\x1b[2J|*[a](b).exr: left the approved chain
	EOT
	cat >expect.html <<-\EOT &&
	<div class="name">d4/x&lt;script&gt;alert(1)&lt;!--\x1b[2J|*[a](b).exr</div>
	EOT
	cat >expect.md <<-\EOT &&
	- d4/x\<script\>alert\(1\)\<\!\-\-\\x1b\[2J\|\*\[a\]\(b\)\.exr: left the approved chain
	EOT
	grep -qF -f expect.txt out &&
	grep -qF -f expect.html d4.html &&
	grep -qF -f expect.md d4.md &&
	! grep -q "<script" d4.html &&
	! grep -q "<!--" d4.html &&
	! grep -q "[^\\]<script" d4.md &&
	grep -q "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src .none.;" d4.html &&
	grep -q "<img src=\"data:image/png;base64,[A-Za-z0-9+/=]*\" width=\"160\" height=\"[0-9]*\"" d4.html &&
	test_json_valid report.schema.json d4.json
'

test_expect_success 'a zip of recorded frames passes; a zip holding a stranger fails' '
	(cd deliv && zip -qr ../deliv.zip ep104) &&
	prov-report deliv.zip >out 2>err &&
	test_must_be_empty err &&
	head -n 1 out | grep -q "^PASS: 3 files" &&
	(cd d1 && zip -qr ../d1.zip .) &&
	test_must_fail --status=1 prov-report d1.zip >out &&
	grep -q "^d1.zip!/readme.txt: no ledger record$" out
'

test_expect_success 'members of an archive handed over whole are covered by it' '
	(cd d1 && zip -q ../pack.zip readme.txt ep104/ep104_sq020_sh030.0102.exr) &&
	test_must_fail --status=1 prov-report pack.zip >out &&
	grep -q "^pack.zip!/readme.txt: no ledger record$" out &&
	prov-fp --json pack.zip | head -n 1 >pack.ndjson &&
	grep -q "\"kind\":\"archive\"" pack.ndjson &&
	prov-ledger handoff --to redpanda --project ep104 --key studio.key <pack.ndjson >h5 &&
	prov-report --json pack.json pack.zip >out &&
	head -n 1 out | grep -q "^PASS: 3 files" &&
	jq -e ".files | map(select(.path == \"pack.zip!/readme.txt\"))[0]
	    | .in_archive == \"pack.zip\" and .ok" pack.json
'

test_expect_success 'a re-encoded preview is only perceptually the same: no record' '
	mkdir d5 &&
	convert deliv/ep104/ep104_sq020_sh030.0101.exr -colorspace sRGB -resize 50% d5/preview.jpg &&
	test_must_fail --status=1 prov-report --json d5.json d5 >out 2>err &&
	test_must_be_empty err &&
	grep -q "^check records: FAILED: 1 of 1 files has no ledger record$" out &&
	grep -q "^d5/preview.jpg: only a perceptual match (a derived copy, not a record); matched by perceptual" out &&
	test_json_valid report.schema.json d5.json &&
	jq -e ".files[0].problems == [\"perceptual-only\"] and .files[0].match.how == \"perceptual\"
	    and .files[0].thumbnail.width == 160" d5.json
'

test_expect_success 'an empty delivery fails; records from stdin' '
	mkdir empty &&
	test_must_fail --status=1 prov-report empty >out 2>err &&
	test_must_be_empty err &&
	grep -q "^FAIL: 0 files, 1 of 4 checks failed$" out &&
	grep -q "^check records: FAILED: the delivery holds no file$" out &&
	prov-report --records - <deliv.ndjson >out &&
	head -n 1 out | grep -q "^PASS: 3 files"
'

test_expect_success 'usage and ledger errors exit 2' '
	test_must_fail --status=2 prov-report >out 2>err &&
	test_must_be_empty out && grep -q "^usage: prov-report" err &&
	test_must_fail --status=2 prov-report --handoff 5 deliv >out 2>err &&
	test_must_be_empty out && grep -q "^usage: prov-report" err &&
	test_must_fail --status=2 prov-report --ledger nope.ledger deliv >out 2>err &&
	test_must_be_empty out && grep -q "nope.ledger" err &&
	test_must_fail --status=2 prov-report --handoff 3 >out 2>err &&
	test_must_be_empty out && grep -q "entry 3: not a handoff" err &&
	test_must_fail --status=2 prov-report --handoff 999 >out 2>err &&
	test_must_be_empty out && grep -q "entry 999: no such entry" err &&
	test_must_fail --status=2 prov-report --json - --html - deliv >out 2>err &&
	test_must_be_empty out && grep -q "only one output may go to stdout" err &&
	test_must_fail --status=2 prov-report --html nodir/r.html deliv >out 2>err &&
	grep -q "nodir/r.html" err &&
	printf "{\"path\": 3}\n" >bad.ndjson &&
	test_must_fail --status=2 prov-report --records bad.ndjson >out 2>err &&
	test_must_be_empty out && grep -q "bad.ndjson:1: not a prov-fp record" err &&
	prov-report --help >out && grep -q "^usage: prov-report" out
'

test_expect_success 'thumbnails of every bad corpus file: an error or a PNG, no crash' '
	find "$CORPUS/bad" -type f | sort >bad.list &&
	test "$(wc -l <bad.list)" -ge 100 &&
	tr "\n" "\0" <bad.list | xargs -0 prov-test report_thumb -s 64 >out 2>err &&
	test_must_be_empty err &&
	test "$(wc -l <out)" = "$(wc -l <bad.list)" &&
	grep -q "^error: " out &&
	! grep -v "^error: " out | grep -qv "^[0-9]*x[0-9]* [0-9]*$" &&
	prov-test report_thumb -s 64 deliv/ep104/ep104_sq020_sh030.0102.exr >out &&
	grep -q "^64x[0-9]* [0-9]*$" out
'

test_expect_success 'bad corpus files in a delivery are flagged, the run goes on' '
	awk "NR % 40 == 1" bad.list >bad.sample &&
	mkdir badd &&
	while read -r f; do cp "$f" badd/ || exit 1; done <bad.sample &&
	test_must_fail --status=1 prov-report --json bad.json --html bad.html badd >out 2>err &&
	test_must_be_empty err &&
	test_json_valid report.schema.json bad.json &&
	jq -e "(.files | map(select(.problems | index(\"error\"))) | length) >= 4" bad.json &&
	grep -q "^check records: FAILED" out
'

test_done
