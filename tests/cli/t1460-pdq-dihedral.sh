#!/bin/sh
# prov-ledger match finds rotated and mirrored copies: real corpus frames
# handed off as they are, found again turned, mirrored or transposed by
# ImageMagick and re-encoded as JPEG, and named by the transform that turns
# the stored frame into the found one.
. "$(dirname "$0")/lib.sh"

PROV_LEDGER=$TRASH/studio.ledger
export PROV_LEDGER
S=$CORPUS/frames/sintel

test_expect_success 'a handoff of frames from three shots' '
	prov-ledger key generate studio.example/prov -o op.key >op.vkey &&
	prov-ledger key generate studio -o studio.key >studio.vkey &&
	prov-ledger key generate vendorA -o va.key >va.vkey &&
	prov-ledger init --origin studio.example/prov --key op.key >/dev/null &&
	prov-ledger party add studio --role studio --vkey "$(cat studio.vkey)" --key op.key &&
	prov-ledger party add vendorA --role vendor --vkey "$(cat va.vkey)" --key studio.key &&
	mkdir sent &&
	cp "$S/faldoi-cave_2/final/frame_0001.png" sent/cave.png &&
	cp "$S/faldoi-alley_1/final/frame_0001.png" sent/alley.png &&
	cp "$S/faldoi-market_5/final/frame_0001.png" sent/market.png &&
	prov-fp --json sent/cave.png sent/alley.png sent/market.png >m &&
	test "$(wc -l <m)" = 3 &&
	prov-ledger handoff --to vendorA --project ep104 --key studio.key <m >h &&
	test "$(cat h)" = 3
'

# found/NAME.jpg: sent frame, ImageMagick operation, the transform prov
# must report (the reference's names: rot270 = turned 90 degrees clockwise).
test_expect_success 'leaked copies: flopped, flipped, rotated, transposed JPEGs' '
	mkdir found &&
	convert sent/cave.png -flop -quality 85 found/cave-flop.jpg &&
	convert sent/cave.png -rotate 90 -quality 85 found/cave-rot90cw.jpg &&
	convert sent/alley.png -flip -quality 85 found/alley-flip.jpg &&
	convert sent/alley.png -rotate 180 -quality 85 found/alley-rot180.jpg &&
	convert sent/market.png -rotate 270 -quality 85 found/market-rot90ccw.jpg &&
	convert sent/market.png -transpose -quality 85 found/market-transpose.jpg &&
	convert sent/cave.png -quality 85 found/cave-upright.jpg &&
	prov-fp --json found/cave-flop.jpg found/cave-rot90cw.jpg found/alley-flip.jpg \
		found/alley-rot180.jpg found/market-rot90ccw.jpg found/market-transpose.jpg \
		found/cave-upright.jpg >q &&
	test "$(wc -l <q)" = 7
'

test_expect_success 'each copy matches its own frame only, with its transform' '
	prov-ledger match --json <q >out 2>err &&
	test_must_be_empty err &&
	test_json_valid pdq-match.schema.json out &&
	"$PYTHON" -c "
import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    assert m[\"distance\"] <= 31, m
    print(m[\"query\"], m[\"path\"], m[\"transform\"], m[\"entry\"])
" out >got &&
	cat >expect <<-\EOT &&
	found/cave-flop.jpg sent/cave.png flipy 3
	found/cave-rot90cw.jpg sent/cave.png rot270 3
	found/alley-flip.jpg sent/alley.png flipx 3
	found/alley-rot180.jpg sent/alley.png rot180 3
	found/market-rot90ccw.jpg sent/market.png rot90 3
	found/market-transpose.jpg sent/market.png flipplus1 3
	found/cave-upright.jpg sent/cave.png original 3
	EOT
	test_cmp expect got
'

test_expect_success 'text output names the transform; upright copies name none' '
	prov-ledger match <q >out 2>err &&
	test_must_be_empty err &&
	grep -q "^found/cave-rot90cw.jpg: sent/cave.png (handoff 3, artifact 0, rot270, distance [0-9]*, quality 100)$" out &&
	grep -q "^found/cave-upright.jpg: sent/cave.png (handoff 3, artifact 0, distance [0-9]*, quality 100)$" out &&
	test "$(wc -l <out)" = 7
'

test_expect_success '--upright finds only the upright copy' '
	prov-ledger match --upright --json <q >out 2>err &&
	test_must_be_empty err &&
	test "$(wc -l <out)" = 1 &&
	grep -q "^{\"query\":\"found/cave-upright.jpg\",.*\"transform\":\"original\"" out
'

test_done
