#!/bin/sh
# The README's demo (examples/demo.sh) runs to the end and shows what it
# promises: the handoff outside the approved chain, the found copies traced
# to it (moved, same pixels, perceptually the same), the audit and the
# cosignature.
. "$(dirname "$0")/lib.sh"

test_expect_success 'the demo runs and tells the story' '
	DEMO_DIR=$TRASH/demo sh "$SRC_DIR/examples/demo.sh" >out 2>err &&
	grep -q "kite -> nightowl, ep104, 4 artifacts, NOT COVERED: nightowl holds no active approval for ep104" out &&
	grep -q "redpanda -> kite, ep104, 4 artifacts\$" out &&
	grep -q "^prov-audit: handoff 10: 0 matched, 0 changed, 1 same pixels, 1 perceptually the same, 2 moved, 0 new, 0 missing, 0 errors\$" out &&
	grep -q "^perceptual	found/ep104/preview_0104.jpg	was delivery/.*_v003.0104.exr	pdq distance [0-9]*\$" out &&
	grep -q "^same-pixels	found/ep104/shot30_0102_tiled.exr	was delivery/.*_v003.0102.exr\$" out &&
	grep -q "^found/ep104/preview_0104.jpg: delivery/.*_v003.0104.exr (handoff 10, artifact 3, distance" out &&
	grep -q "^OK	12 entries, 12 verified, 2 checkpoints verified" out &&
	test $(grep -c "^— " demo/cosigned.checkpoint) = 2 &&
	grep -q "^— auditor.example/witness " demo/cosigned.checkpoint &&
	grep -q "^check custody: FAILED: 4 files went through a handoff no approval covered$" out &&
	grep -q "^prov-report: exit 1: the delivery must not go out" out &&
	grep -q "<h1 class=\"verdict fail\">FAIL: 4 files" demo/report.html &&
	test_must_be_empty err
'

test_expect_success 'every corpus frame record can go into a ledger entry' '
	prov-ledger --ledger l key generate op -o op.key >op.vkey &&
	prov-ledger --ledger l key generate studio -o st.key >st.vkey &&
	prov-ledger --ledger l init --origin example.org/l --key op.key >/dev/null &&
	prov-ledger --ledger l party add studio --role studio --vkey "$(cat st.vkey)" --key op.key >/dev/null &&
	prov-ledger --ledger l key generate v -o v.key >v.vkey &&
	prov-ledger --ledger l party add v --role vendor --vkey "$(cat v.vkey)" --key st.key >/dev/null &&
	(cd "$CORPUS" && prov-fp -j 2 --json exr/openexr exr/openexr-images frames) >fp.ndjson &&
	test $(wc -l <fp.ndjson) -gt 40 &&
	prov-ledger --ledger l handoff --from studio --to v --project p --key st.key <fp.ndjson >id &&
	prov-ledger --ledger l log | grep -q "	studio -> v, p, $(wc -l <fp.ndjson) artifacts, NOT COVERED"
'

test_done
