#!/bin/sh
# prov-ledger sighting: the entry records what each found artifact matched
# (which artifact of which handoff, by bytes, pixels or PDQ distance), and
# the ledger checks every such claim on append and on audit.
. "$(dirname "$0")/lib.sh"

PROV_LEDGER=$TRASH/studio.ledger
export PROV_LEDGER
FRAMES="$CORPUS/frames/sintel/raft-demo"
EXR="$CORPUS/exr/openexr-images/TestImages"

test_expect_success 'two handoffs: a delivery of three frames, then one of them again' '
	ledger_studio_vendor &&
	mkdir deliv again &&
	cp "$FRAMES/frame_0016.png" "$FRAMES/frame_0020.png" "$EXR/stripes.exr" deliv/ &&
	cp "$FRAMES/frame_0016.png" again/ &&
	prov-ledger handoff --to vendorA --project ep104 --key studio.key deliv >h1 &&
	prov-ledger handoff --to vendorA --project ep105 --key studio.key again >h2 &&
	test "$(cat h1) $(cat h2)" = "3 4"
'

test_expect_success 'a sighting records bytes, pixels and perceptual matches' '
	mkdir found &&
	cp deliv/frame_0016.png found/a.png &&
	oiiotool deliv/stripes.exr --compression piz -o found/b.exr &&
	convert deliv/frame_0020.png -resize 50% -quality 70 found/c.jpg &&
	cp "$FRAMES/frame_0025.png" found/d.png &&
	prov-ledger sighting --where "ftp://leak.example/" --key va.key found >s &&
	test "$(cat s)" = 5 &&
	prov-ledger show 5 --json >s.json &&
	test_json_valid entry.schema.json s.json &&
	"$PYTHON" - <<-\PY
	import json, sys
	b = json.load(open("s.json"))["body"]
	names = [a["path"] for a in b["artifacts"]]
	assert names == ["found/a.png", "found/b.exr", "found/c.jpg", "found/d.png"], names
	m = [(x["artifact"], x["entry"], x["index"], x["how"]) for x in b["matches"]]
	# frame_0016 went out twice: both handoffs; stripes.exr recompressed:
	# same pixels; frame_0020 resized as JPEG: perceptual; frame_0025: nothing
	assert m[:3] == [(0, 3, 0, "bytes"), (0, 4, 0, "bytes"), (1, 3, 2, "pixels")], m
	# the JPEG is nearest its own frame; frames of the same shot may
	# follow within the threshold, nearest first
	assert m[3] == (2, 3, 1, "perceptual"), m
	ds = [x["distance"] for x in b["matches"][3:]]
	assert all(x[0] == 2 and x[3] == "perceptual" for x in m[3:]), m
	assert 0 < ds[0] <= 31 and ds == sorted(ds) and max(ds) <= 31, ds
	assert ds[1:] == [] or ds[1] > ds[0], ds
	assert "distance" not in b["matches"][0]
	open("distance", "w").write(str(ds[0]))
	open("nmatches", "w").write(str(len(m)))
	PY
'

test_expect_success 'the handoff manifests hold the frames in the order the matches name' '
	prov-ledger show 3 --json >h.json &&
	"$PYTHON" -c "
import json
a = json.load(open(\"h.json\"))[\"body\"][\"manifest\"][\"artifacts\"]
assert [x[\"path\"] for x in a] == [\"deliv/frame_0016.png\", \"deliv/frame_0020.png\", \"deliv/stripes.exr\"], a" &&
	prov-ledger log >log &&
	grep -q "^5	.*	sighting	vendorA	at ftp://leak.example/, 4 artifacts, $(cat nmatches) matches$" log
'

test_expect_success '--distance below the JPEG copy'"'"'s distance: its own frame is no longer named' '
	prov-ledger sighting --where "ftp://leak.example/" --distance $(($(cat distance) - 1)) \
	    --key va.key found/c.jpg >s2 &&
	prov-ledger show "$(cat s2)" --json >s2.json &&
	"$PYTHON" -c "
import json, sys
m = json.load(open(\"s2.json\"))[\"body\"][\"matches\"]
assert all(x[\"distance\"] < int(sys.argv[1]) for x in m), m
assert not [x for x in m if (x[\"entry\"], x[\"index\"]) == (3, 1)], m" "$(cat distance)"
'

test_expect_success 'the audit replays the sightings and checks every match' '
	prov-audit >out 2>err &&
	grep -q "^OK	7 entries, 7 verified" out &&
	prov-ledger export >export.ndjson &&
	prov-audit --export export.ndjson >out &&
	grep -q "^OK	7 entries, 7 verified" out
'

# append_forged HOW-JSON: a sighting of found/c.jpg with this match,
# signed by vendorA through the library (not through prov-ledger).
append_forged() {
	printf "{\"where\":\"x\",\"artifacts\":[%s],\"matches\":[%s]}" \
	    "$(prov-fp --json found/c.jpg)" "$1" >body.json &&
	prov-test ledger_append "$PROV_LEDGER" va.key sighting <body.json
}

test_expect_success 'false claims are refused, naming the match' '
	d=$(cat distance) &&
	test_must_fail --status=1 append_forged "{\"artifact\":0,\"entry\":3,\"index\":1,\"how\":\"bytes\"}" 2>err &&
	grep -q "sighting: match 0: the bytes differ" err &&
	test_must_fail --status=1 append_forged "{\"artifact\":0,\"entry\":3,\"index\":1,\"how\":\"perceptual\",\"distance\":$((d - 1))}" 2>err &&
	grep -q "sighting: match 0: distance $((d - 1)) recorded, the PDQ hashes are $d apart" err &&
	test_must_fail --status=1 append_forged "{\"artifact\":0,\"entry\":2,\"index\":0,\"how\":\"bytes\"}" 2>err &&
	grep -q "sighting: match 0: entry 2 is no earlier handoff" err &&
	test_must_fail --status=1 append_forged "{\"artifact\":0,\"entry\":3,\"index\":9,\"how\":\"pixels\"}" 2>err &&
	grep -q "sighting: match 0: handoff 3 has no artifact 9" err &&
	test_must_fail --status=1 append_forged "{\"artifact\":1,\"entry\":3,\"index\":1,\"how\":\"bytes\"}" 2>err &&
	grep -q "sighting: match 0 is malformed" err &&
	test "$(prov-ledger log | wc -l)" = 7 &&
	append_forged "{\"artifact\":0,\"entry\":3,\"index\":1,\"how\":\"perceptual\",\"distance\":$d}" >seq &&
	test "$(cat seq)" = 7
'

test_done
