#!/bin/sh
# prov-audit --handoff ID PATH...: files on disk fingerprinted and judged
# against a handoff's manifest; real corpus frames re-encoded with real tools.
. "$(dirname "$0")/lib.sh"

PROV_LEDGER=$TRASH/studio.ledger
export PROV_LEDGER
EXR="$CORPUS/exr/openexr-images/TestImages"

test_expect_success 'a delivery of corpus frames recorded in a handoff' '
	ledger_studio_vendor &&
	prov-ledger approve vendorA --project ep104 --key studio.key &&
	mkdir deliv &&
	cp "$EXR/stripes.exr" "$EXR/GammaChart.exr" "$EXR/AllHalfValues.exr" deliv/ &&
	printf "notes\n" >"deliv/caf$(printf "\303\251").txt" &&
	printf "x" >deliv/readme.txt &&
	for f in deliv/*; do
		printf "{\"path\":\"%s\",\"size\":%d,\"sha256\":\"%s\"" "$f" "$(wc -c <"$f")" \
		    "$(sha256sum <"$f" | cut -c1-64)" &&
		case $f in *.exr)
			printf ",\"pixels\":\"%s\"" "$(prov-test exr_fp "$f" |
			    "$PYTHON" -c "import json,sys; print(json.load(sys.stdin)[\"pixels\"])")";;
		esac &&
		printf "}\n" || return 1
	done >manifest &&
	test "$(wc -l <manifest)" = 5 &&
	prov-ledger handoff --to vendorA --project ep104 --key studio.key <manifest >id &&
	test "$(cat id)" = 4
'

test_expect_success 'the delivery as it was: everything matched, exit 0' '
	prov-audit -q --handoff 4 deliv >out 2>err &&
	test_must_be_empty out &&
	grep -q "handoff 4: 5 matched, 0 changed, 0 same pixels, 0 perceptually the same, 0 moved, 0 new, 0 missing" err &&
	prov-audit --handoff 4 deliv >out 2>err &&
	test "$(grep -c "^matched	deliv/" out)" = 5
'

test_expect_success 'a frame re-compressed by oiiotool has the same pixels' '
	oiiotool deliv/stripes.exr --compression piz -o piz.exr &&
	! cmp -s piz.exr deliv/stripes.exr &&
	mv piz.exr deliv/stripes.exr &&
	test_must_fail --status=1 prov-audit --handoff 4 deliv >out 2>err &&
	grep -q "^same-pixels	deliv/stripes.exr$" out &&
	grep -q "4 matched, 0 changed, 1 same pixels" err &&
	cp "$EXR/stripes.exr" deliv/stripes.exr
'

test_expect_success 'renamed, removed, added and edited files; an NFD copy of an NFC name' '
	mv deliv/GammaChart.exr deliv/sh010_v2.exr &&
	rm deliv/AllHalfValues.exr &&
	cp "$EXR/WideFloatRange.exr" deliv/ &&
	printf "y" >deliv/readme.txt &&
	mv "deliv/caf$(printf "\303\251").txt" "deliv/cafe$(printf "\314\201").txt" &&
	test_must_fail --status=1 prov-audit --handoff 4 deliv >out 2>err &&
	grep -q "^moved	deliv/sh010_v2.exr	was deliv/GammaChart.exr$" out &&
	grep -q "^missing	deliv/AllHalfValues.exr$" out &&
	grep -q "^new	deliv/WideFloatRange.exr$" out &&
	grep -q "^changed	deliv/readme.txt$" out &&
	grep -q "^matched	deliv/cafe" out &&
	grep -q "^matched	deliv/stripes.exr$" out &&
	grep -q "2 matched, 1 changed, 0 same pixels, 0 perceptually the same, 1 moved, 1 new, 1 missing" err &&
	test_must_fail --status=1 prov-audit --json --handoff 4 deliv >out.json &&
	grep -q "{\"status\":\"moved\",\"path\":\"deliv/sh010_v2.exr\",\"manifest_path\":\"deliv/GammaChart.exr\"}" out.json &&
	"$PYTHON" -c "import json,sys; [json.loads(l) for l in open(\"out.json\")]"
'

test_expect_success 'usage errors and entries that are not handoffs exit 2' '
	test_must_fail --status=2 prov-audit --handoff 1 deliv >out 2>err &&
	grep -q "entry 1 is not a handoff" err &&
	test_must_fail --status=2 prov-audit --handoff 4 nosuch >out 2>err &&
	grep -q "nosuch" err &&
	test_must_fail --status=2 prov-audit deliv 2>err &&
	grep -q "^usage: prov-audit" err
'

test_done
