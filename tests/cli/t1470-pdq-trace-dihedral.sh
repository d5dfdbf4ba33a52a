#!/bin/sh
# prov-trace, prov-audit --handoff and prov-ledger sighting match as
# prov-ledger match does: mirrored and rotated copies (the 8 dihedral
# variants, named by the transform turning the handed-off image into the
# found one) and single views of multi-view EXR files (their "layers").
. "$(dirname "$0")/lib.sh"

PROV_LEDGER=$TRASH/studio.ledger
export PROV_LEDGER
S=$CORPUS/frames/sintel
MV=$CORPUS/exr/openexr-images/MultiView

test_expect_success 'a handoff of three frames and a multi-view EXR' '
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
	cp "$MV/Adjuster.exr" sent/adjuster.exr &&
	prov-ledger handoff --to vendorA --project ep104 --key studio.key sent >h &&
	test "$(cat h)" = 3 &&
	prov-ledger show 3 --json >h.json &&
	"$PYTHON" -c "
import json
a = json.load(open(\"h.json\"))[\"body\"][\"manifest\"][\"artifacts\"]
print(*[x[\"path\"] for x in a])" >names &&
	echo "sent/adjuster.exr sent/alley.png sent/cave.png sent/market.png" >expect &&
	test_cmp expect names
'

# found/: the cave frame mirrored left/right (-flop), the alley frame
# turned 90 degrees clockwise, both as JPEG; the left view of the EXR
# exported alone as an 8-bit sRGB PNG; an upright JPEG of the market frame.
test_expect_success 'found copies made with ImageMagick and oiiotool' '
	mkdir found &&
	convert sent/cave.png -flop -quality 85 found/a.jpg &&
	convert sent/alley.png -rotate 90 -quality 85 found/b.jpg &&
	oiiotool sent/adjuster.exr --ch left.R,left.G,left.B --chnames R,G,B \
		--colorconvert linear sRGB -d uint8 -o found/c.png &&
	convert sent/market.png -quality 85 found/d.jpg &&
	prov-fp --json found >found.ndjson &&
	test "$(wc -l <found.ndjson)" = 4
'

test_expect_success 'prov-trace --json: each copy traced to its artifact, with transform and layer' '
	test_must_fail --status=1 prov-trace --json --records found.ndjson >out 2>err &&
	test_must_be_empty err &&
	test_json_valid trace.schema.json out &&
	"$PYTHON" -c "
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    m = r[\"match\"]
    a = m[\"artifacts\"][0]
    assert m[\"how\"] == \"perceptual\" and m[\"distance\"] <= 31, r
    assert a[\"transform\"] == m[\"transform\"], r
    print(r[\"found\"], a[\"path\"], a[\"entry\"], m[\"transform\"], a.get(\"layer\", \"-\"))
" out >got &&
	cat >expect <<-\EOT &&
	found/a.jpg sent/cave.png 3 flipy -
	found/b.jpg sent/alley.png 3 rot270 -
	found/c.png sent/adjuster.exr 3 original left
	found/d.jpg sent/market.png 3 original -
	EOT
	test_cmp expect got
'

test_expect_success 'prov-trace text and DOT name the transform and the layer' '
	test_must_fail --status=1 prov-trace --records found.ndjson >out 2>err &&
	grep -q "^found/a.jpg: [a-z-]* (perceptual, distance [0-9]*, flipy, 1 artifact)$" out &&
	grep -q "^found/b.jpg: [a-z-]* (perceptual, distance [0-9]*, rot270, 1 artifact)$" out &&
	grep -q "^found/d.jpg: [a-z-]* (perceptual, distance [0-9]*, 1 artifact)$" out &&
	grep -q "^  matches: handoff 3 artifact 0 sent/adjuster.exr layer left$" out &&
	grep -q "^  matches: handoff 3 artifact 2 sent/cave.png$" out &&
	test_must_fail --status=1 prov-trace --dot --records found.ndjson >dot 2>err &&
	grep -q "^	\"party:vendorA\" -> found0 \[style=dashed, label=\"perceptual flipy\"\];$" dot &&
	grep -q "^	\"party:vendorA\" -> found1 \[style=dashed, label=\"perceptual rot270\"\];$" dot &&
	grep -q "^	\"party:vendorA\" -> found3 \[style=dashed, label=\"perceptual\"\];$" dot
'

test_expect_success 'prov-trace --upright: the turned and mirrored copies are untraced' '
	test_must_fail --status=1 prov-trace --upright --json --records found.ndjson >out 2>err &&
	test_must_be_empty err &&
	jq -r "[.found, .verdict, (.match.transform // \"-\")] | join(\" \")" out >got &&
	grep -q "^found/a.jpg untraced -$" got &&
	grep -q "^found/b.jpg untraced -$" got &&
	grep -q "^found/c.png [a-z-]* original$" got
'

test_expect_success 'prov-audit --handoff pairs the copies by content, naming transform and layer' '
	test_must_fail --status=1 prov-audit --handoff 3 found >out 2>err &&
	grep -q "^perceptual	found/a.jpg	was sent/cave.png	pdq distance [0-9]* flipy$" out &&
	grep -q "^perceptual	found/b.jpg	was sent/alley.png	pdq distance [0-9]* rot270$" out &&
	grep -q "^perceptual	found/c.png	was sent/adjuster.exr	pdq distance [0-9]*	layer left$" out &&
	grep -q "^perceptual	found/d.jpg	was sent/market.png	pdq distance [0-9]*$" out &&
	grep -q "^OK	4 entries, 4 verified" out &&
	test "$(wc -l <out)" = 5 &&
	grep -q "4 perceptually the same, 0 moved, 0 new, 0 missing" err &&
	test_must_fail --status=1 prov-audit -q --handoff 3 --json found >out.json 2>err &&
	test_must_be_empty err &&
	test_json_valid audit-files.schema.json out.json &&
	jq -r "[.path, .pdq_transform, (.pdq_layer // \"-\")] | join(\" \")" out.json >got &&
	printf "%s\n" "found/a.jpg flipy -" "found/b.jpg rot270 -" "found/c.png original left" \
		"found/d.jpg original -" >expect &&
	test_cmp expect got
'

test_expect_success 'prov-audit --upright: the turned and mirrored copies are new' '
	test_must_fail --status=1 prov-audit --handoff 3 --upright found >out 2>err &&
	grep -q "^new	found/a.jpg$" out &&
	grep -q "^new	found/b.jpg$" out &&
	grep -q "^missing	sent/cave.png$" out &&
	grep -q "2 perceptually the same, 0 moved, 2 new, 2 missing" err
'

test_expect_success 'a sighting records the transform, and the ledger checks it' '
	prov-ledger sighting --where "ftp://leak.example/" --key va.key found/a.jpg found/b.jpg >s &&
	test "$(cat s)" = 4 &&
	prov-ledger show 4 --json >s.json &&
	test_json_valid entry.schema.json s.json &&
	jq -r ".body.matches[] | [.artifact, .entry, .index, .how, .transform] | join(\" \")" \
		s.json >got &&
	printf "%s\n" "0 3 2 perceptual flipy" "1 3 1 perceptual rot270" >expect &&
	test_cmp expect got &&
	prov-audit >out 2>err &&
	grep -q "^OK	5 entries, 5 verified" out
'

# forge MATCH-JSON: a sighting of found/a.jpg with this match, signed by
# vendorA through the library.
forge() {
	printf "{\"where\":\"x\",\"artifacts\":[%s],\"matches\":[%s]}" \
	    "$(prov-fp --json found/a.jpg)" "$1" >body.json &&
	prov-test ledger_append "$PROV_LEDGER" va.key sighting <body.json
}

test_expect_success 'a wrong or missing transform is refused' '
	d=$(jq ".body.matches[0].distance" s.json) &&
	test_must_fail --status=1 forge "{\"artifact\":0,\"entry\":3,\"index\":2,\"how\":\"perceptual\",\"distance\":$d,\"transform\":\"flipx\"}" 2>err &&
	grep -q "sighting: match 0: distance $d recorded, the PDQ hashes are [0-9]* apart as flipx" err &&
	test_must_fail --status=1 forge "{\"artifact\":0,\"entry\":3,\"index\":2,\"how\":\"perceptual\",\"distance\":$d}" 2>err &&
	grep -q "sighting: match 0: distance $d recorded, the PDQ hashes are [0-9]* apart$" err &&
	test_must_fail --status=1 forge "{\"artifact\":0,\"entry\":3,\"index\":2,\"how\":\"perceptual\",\"distance\":$d,\"transform\":\"sideways\"}" 2>err &&
	grep -q "sighting: match 0 is malformed" err &&
	test_must_fail --status=1 forge "{\"artifact\":0,\"entry\":3,\"index\":2,\"how\":\"perceptual\",\"distance\":$d,\"transform\":\"original\"}" 2>err &&
	grep -q "sighting: match 0 is malformed" err &&
	forge "{\"artifact\":0,\"entry\":3,\"index\":2,\"how\":\"perceptual\",\"distance\":$d,\"transform\":\"flipy\"}" >seq &&
	test "$(cat seq)" = 5
'

test_done
