#!/bin/sh
# prov-ledger handoff ARCHIVE: the archive is recorded with each of its
# members (nested ones too), as prov-fp --json gives them, so that a frame
# found later, extracted and renamed, traces to the handoff; PATHs and
# records on stdin give the same manifest; prov-audit then judges the
# archive member by member.
. "$(dirname "$0")/lib.sh"

PROV_LEDGER=$TRASH/studio.ledger
export PROV_LEDGER
FRAMES="$CORPUS/frames/sintel/raft-demo"
EXR="$CORPUS/exr/openexr-images/TestImages"
size() { prov-ledger log | wc -l; }
# arts ID: path, kind and sha256 of each artifact of handoff ID
arts() {
	prov-ledger show "$1" --json >e.json &&
	"$PYTHON" -c "
import json
for a in json.load(open(\"e.json\"))[\"body\"][\"manifest\"][\"artifacts\"]:
    print(a[\"path\"], a[\"kind\"], a[\"sha256\"], a.get(\"pixels\", \"-\")[:3])"
}
sum() { sha256sum <"$1" | cut -c1-64; }

test_expect_success 'a vendor delivery ep104_comp as a zip (with a symlink) and a tar.gz' '
	ledger_studio_vendor &&
	prov-ledger approve vendorA --project ep104 --key studio.key &&
	mkdir ep104_comp &&
	cp "$FRAMES/frame_0016.png" ep104_comp/sq010_0016.png &&
	cp "$FRAMES/frame_0017.png" ep104_comp/sq010_0017.png &&
	cp "$EXR/stripes.exr" ep104_comp/ &&
	ln -s sq010_0016.png ep104_comp/latest.png &&
	(cd ep104_comp && zip -qy ../ep104_comp.zip sq010_0016.png sq010_0017.png stripes.exr latest.png) &&
	tar -czf ep104_comp.tar.gz ep104_comp &&
	test "$(size)" = 4
'

test_expect_success 'handoff of the zip: the zip and each member, links left out' '
	prov-ledger handoff --from vendorA --to studio --project ep104 --key va.key ep104_comp.zip >id &&
	test "$(cat id)" = 4 &&
	arts 4 >got &&
	cat >want <<-EOF &&
	ep104_comp.zip archive $(sum ep104_comp.zip) -
	ep104_comp.zip!/sq010_0016.png png $(sum ep104_comp/sq010_0016.png) v1:
	ep104_comp.zip!/sq010_0017.png png $(sum ep104_comp/sq010_0017.png) v1:
	ep104_comp.zip!/stripes.exr exr $(sum ep104_comp/stripes.exr) v1:
	EOF
	test_cmp want got &&
	grep -q "\"count\":4" e.json &&
	prov-ledger log >log &&
	grep -q "^4	.*	handoff	vendorA	" log
'

test_expect_success 'prov-fp --json of the zip on stdin gives the same manifest' '
	prov-fp --json ep104_comp.zip >zip.ndjson &&
	grep -q "\"kind\":\"symlink\"" zip.ndjson &&
	prov-ledger handoff --from vendorA --to studio --project ep104 --key va.key <zip.ndjson >id2 &&
	prov-ledger show 4 --json >a.json && prov-ledger show "$(cat id2)" --json >b.json &&
	"$PYTHON" -c "
import json, sys
a, b = (json.load(open(f))[\"body\"][\"manifest\"] for f in (\"a.json\", \"b.json\"))
sys.exit(a != b)"
'

test_expect_success 'a tar.gz: members under their folder, the same frames as the zip' '
	prov-ledger handoff --from vendorA --to studio --project ep104 --key va.key ep104_comp.tar.gz >id3 &&
	arts "$(cat id3)" >got &&
	test "$(wc -l <got)" = 4 &&
	grep -q "^ep104_comp.tar.gz archive $(sum ep104_comp.tar.gz) -$" got &&
	grep -q "^ep104_comp.tar.gz!/ep104_comp/sq010_0016.png png $(sum ep104_comp/sq010_0016.png) v1:$" got &&
	grep -q "^ep104_comp.tar.gz!/ep104_comp/stripes.exr exr $(sum ep104_comp/stripes.exr) v1:$" got &&
	prov-fp --json ep104_comp.tar.gz | prov-ledger handoff --from vendorA --to studio \
	    --project ep104 --key va.key >id4 &&
	prov-ledger show "$(cat id3)" --json >a.json && prov-ledger show "$(cat id4)" --json >b.json &&
	"$PYTHON" -c "
import json, sys
a, b = (json.load(open(f))[\"body\"][\"manifest\"] for f in (\"a.json\", \"b.json\"))
sys.exit(a != b)"
'

test_expect_success 'prov-audit --handoff on the same zip: the zip and every member matched' '
	prov-audit --handoff 4 ep104_comp.zip >out 2>err &&
	cat >want <<-EOF &&
	matched	ep104_comp.zip
	matched	ep104_comp.zip!/sq010_0016.png
	matched	ep104_comp.zip!/sq010_0017.png
	matched	ep104_comp.zip!/stripes.exr
	EOF
	grep -v "^OK	" out >got &&
	test_cmp want got &&
	grep -q "handoff 4: 4 matched, 0 changed, 0 same pixels, 0 perceptually the same, 0 moved, 0 new, 0 missing, 0 errors$" err
'

test_expect_success 'the tar.gz copied elsewhere and renamed: moved, its members meet by name' '
	mkdir -p in/studio &&
	cp ep104_comp.tar.gz in/studio/delivery.tgz &&
	test_must_fail --status=1 prov-audit --handoff "$(cat id3)" in/studio/delivery.tgz >out 2>err &&
	grep -q "^moved	in/studio/delivery.tgz	was ep104_comp.tar.gz$" out &&
	test "$(grep -c "^matched	in/studio/delivery.tgz!/ep104_comp/" out)" = 3 &&
	grep -q "3 matched, 0 changed, .* 1 moved, 0 new, 0 missing, 0 errors$" err
'

test_expect_success 'the zip remade with a frame recompressed: the zip changed, members judged' '
	mkdir v2 &&
	cp ep104_comp/sq010_0016.png ep104_comp/stripes.exr v2/ &&
	oiiotool ep104_comp/sq010_0017.png -o v2/sq010_0017.png &&
	! cmp -s v2/sq010_0017.png ep104_comp/sq010_0017.png &&
	mkdir re && (cd v2 && zip -q ../re/ep104_comp.zip sq010_0016.png sq010_0017.png stripes.exr) &&
	test_must_fail --status=1 prov-audit --handoff 4 re/ep104_comp.zip >out 2>err &&
	grep -q "^changed	re/ep104_comp.zip$" out &&
	grep -q "^matched	re/ep104_comp.zip!/sq010_0016.png$" out &&
	grep -q "^same-pixels	re/ep104_comp.zip!/sq010_0017.png$" out &&
	grep -q "^matched	re/ep104_comp.zip!/stripes.exr$" out &&
	grep -q "2 matched, 1 changed, 1 same pixels, .* 0 new, 0 missing, 0 errors$" err
'

test_expect_success 'prov-trace: a member extracted and renamed traces to the zip handoff' '
	mkdir found &&
	(cd found && unzip -q ../ep104_comp.zip sq010_0017.png && mv sq010_0017.png leak_17.png) &&
	test_must_fail --status=1 prov-trace found/leak_17.png >out 2>err &&
	grep -q "^found/leak_17.png: .*(bytes, " out &&
	grep -q "matches: handoff 4 artifact 2 ep104_comp.zip!/sq010_0017.png" out
'

test_expect_success 'an archive with a member that cannot be read: refused, nothing written' '
	n=$(size) &&
	test_must_fail --status=1 prov-ledger handoff --from vendorA --to studio --project ep104 \
	    --key va.key "$CORPUS/bad/archives/adm-zip/bad_crc.zip" >out 2>err &&
	test_must_be_empty out &&
	grep -q "bad_crc.zip!/lorem_ipsum.txt: record has no sha256 (a failed fingerprint?): ZIP bad CRC" err &&
	test "$(size)" = "$n"
'

test_done
