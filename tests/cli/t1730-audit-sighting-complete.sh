#!/bin/sh
# A sighting's exact matches must be complete: every earlier handoff
# artifact with the found file's bytes, and for a file no handoff has the
# bytes of, every one with its pixels.  A sighting that leaves one out is
# refused on append, on import and by the audit's replay, naming the
# artifact left out.  Perceptual matches may be left out (the distance is
# the finder's choice).
. "$(dirname "$0")/lib.sh"

PROV_LEDGER=$TRASH/studio.ledger
export PROV_LEDGER
FRAMES="$CORPUS/frames/sintel/raft-demo"
EXR="$CORPUS/exr/openexr-images/TestImages"

test_expect_success 'two handoffs (frame_0016 in both), found copies made with real tools' '
	ledger_studio_vendor &&
	mkdir deliv again found &&
	cp "$FRAMES/frame_0016.png" "$FRAMES/frame_0020.png" "$EXR/stripes.exr" deliv/ &&
	cp "$FRAMES/frame_0016.png" again/ &&
	prov-ledger handoff --to vendorA --project ep104 --key studio.key deliv >h1 &&
	prov-ledger handoff --to vendorA --project ep105 --key studio.key again >h2 &&
	test "$(cat h1) $(cat h2)" = "3 4" &&
	cp deliv/frame_0016.png found/a.png &&
	oiiotool deliv/stripes.exr --compression piz -o found/b.exr &&
	! cmp -s found/b.exr deliv/stripes.exr &&
	convert deliv/frame_0020.png -resize 50% -quality 70 found/c.jpg &&
	prov-fp --json found/a.png found/b.exr >ab.ndjson &&
	test "$(wc -l <ab.ndjson)" = 2
'

# forged MATCHES: a sighting of found/a.png and found/b.exr with this
# "matches" (omitted when MATCHES is "-"), appended through the library.
forged() {
	{
		printf "{\"where\":\"x\",\"artifacts\":[%s,%s]" "$(sed -n 1p ab.ndjson)" "$(sed -n 2p ab.ndjson)"
		test "$1" = - || printf ",\"matches\":[%s]" "$1"
		printf "}"
	} >body.json &&
	prov-test ledger_append "$PROV_LEDGER" va.key sighting <body.json
}
m() { printf "{\"artifact\":%s,\"entry\":%s,\"index\":%s,\"how\":\"%s\"}" "$@"; }

test_expect_success 'prov-ledger sighting lists every exact match, and it is accepted' '
	prov-ledger sighting --where "ftp://leak.example/" --key va.key found/a.png found/b.exr >s &&
	test "$(cat s)" = 5 &&
	prov-ledger show 5 --json >s.json &&
	"$PYTHON" -c "
import json
m = [(x[\"artifact\"], x[\"entry\"], x[\"index\"], x[\"how\"]) for x in json.load(open(\"s.json\"))[\"body\"][\"matches\"]]
assert m == [(0, 3, 0, \"bytes\"), (0, 4, 0, \"bytes\"), (1, 3, 2, \"pixels\")], m"
'

test_expect_success 'a sighting omitting a byte match is refused, naming the artifact left out' '
	test_must_fail --status=1 forged "$(m 0 3 0 bytes),$(m 1 3 2 pixels)" >out 2>err &&
	test_must_be_empty out &&
	grep -q "sighting: artifact 0 (found/a.png) has the bytes of handoff 4 artifact 0 (again/frame_0016.png), and its matches omit it" err &&
	test_must_fail --status=1 forged "$(m 0 4 0 bytes),$(m 1 3 2 pixels)" 2>err &&
	grep -q "sighting: artifact 0 (found/a.png) has the bytes of handoff 3 artifact 0 (deliv/frame_0016.png), and its matches omit it" err &&
	# a true claim of the weaker kind does not stand in for the byte match
	test_must_fail --status=1 forged "$(m 0 3 0 pixels),$(m 0 4 0 bytes),$(m 1 3 2 pixels)" 2>err &&
	grep -q "artifact 0 (found/a.png) has the bytes of handoff 3 artifact 0 (deliv/frame_0016.png)" err &&
	test "$(prov-ledger log | wc -l)" = 6
'

test_expect_success 'a sighting omitting a pixel match, or without matches, is refused' '
	test_must_fail --status=1 forged "$(m 0 3 0 bytes),$(m 0 4 0 bytes)" 2>err &&
	grep -q "sighting: artifact 1 (found/b.exr) has the pixels of handoff 3 artifact 2 (deliv/stripes.exr), and its matches omit it" err &&
	test_must_fail --status=1 forged - 2>err &&
	grep -q "sighting: artifact 0 (found/a.png) has the bytes of handoff 3 artifact 0" err &&
	test "$(prov-ledger log | wc -l)" = 6 &&
	forged "$(m 0 3 0 bytes),$(m 0 4 0 bytes),$(m 1 3 2 pixels)" >seq &&
	test "$(cat seq)" = 6
'

test_expect_success 'perceptual matches may be left out; a file of no handoff needs none' '
	prov-fp --json found/c.jpg >c.ndjson &&
	prov-ledger sighting --where x --key va.key <c.ndjson >s2 &&
	prov-ledger show "$(cat s2)" --json >s2.json &&
	grep -q "\"how\":\"perceptual\"" s2.json &&
	printf "{\"where\":\"x\",\"artifacts\":[%s]}" "$(cat c.ndjson)" >body.json &&
	prov-test ledger_append "$PROV_LEDGER" va.key sighting <body.json >s3 &&
	test "$(cat s3)" = 8 &&
	prov-audit >out 2>err &&
	grep -q "^OK	9 entries, 9 verified" out
'

# A sighting leaving out a byte match, signed by vendorA outside prov (as
# anyone with the key can), appended to an export.
test_expect_success 'import and the audit replay refuse a forged incomplete sighting' '
	prov-ledger export >good.ndjson &&
	"$PYTHON" - va.key "$(cat va.vkey)" ab.ndjson <<-\PY >forged.ndjson &&
	import base64, json, sys
	from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
	seed = base64.b64decode(open(sys.argv[1]).read().strip().split("+", 4)[4])[1:]
	key = Ed25519PrivateKey.from_private_bytes(seed)
	lines = [l for l in open("good.ndjson").read().split("\n") if l]
	last = json.loads(lines[-1])
	arts = [json.loads(l) for l in open(sys.argv[3]) if l.strip()]
	canon = lambda o: json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
	e = {"author": "vendorA", "key": sys.argv[2], "seq": len(lines), "time": last["time"],
	     "type": "sighting", "body": {"where": "x", "artifacts": arts[:1],
	     "matches": [{"artifact": 0, "entry": 3, "index": 0, "how": "bytes"}]}}
	e["sig"] = base64.b64encode(key.sign(canon(e).encode())).decode()
	for l in lines:
	    print(l)
	print(canon(e))
	PY
	test "$(wc -l <forged.ndjson)" = 10 &&
	test_must_fail --status=1 prov-ledger --ledger copy.ledger import <forged.ndjson >out 2>err &&
	grep -q "entry 9: sighting: artifact 0 (found/a.png) has the bytes of handoff 4 artifact 0 (again/frame_0016.png), and its matches omit it" err &&
	test ! -e copy.ledger &&
	test_must_fail --status=1 prov-audit --export forged.ndjson >out 2>err &&
	grep -q "^FAIL	entry 9 (sighting): sighting: artifact 0 (found/a.png) has the bytes of handoff 4 artifact 0 (again/frame_0016.png), and its matches omit it" out &&
	grep -q "^FAILED	10 entries, 9 verified" out &&
	test_must_fail --status=1 prov-audit --export - <forged.ndjson >out 2>err &&
	grep -q "^FAIL	entry 9 (sighting): sighting: artifact 0 (found/a.png) has the bytes of handoff 4 artifact 0 (again/frame_0016.png), and its matches omit it" out &&
	prov-audit --export good.ndjson >out &&
	grep -q "^OK	9 entries, 9 verified" out
'

test_expect_success 'the same entry written into the ledger file with sqlite3: the audit names it' '
	cp "$PROV_LEDGER" t.ledger &&
	tail -n 1 forged.ndjson | tr -d "\n" >row &&
	sqlite3 t.ledger "INSERT INTO entries (seq, type, author, time, bytes)
	    VALUES (9, '"'"'sighting'"'"', '"'"'vendorA'"'"', '"'"'$("$PYTHON" -c "import json; print(json.loads(open(\"row\").read())[\"time\"])")'"'"', readfile('"'"'row'"'"'))" &&
	test_must_fail --status=1 prov-audit --ledger t.ledger >out 2>err &&
	grep -q "^FAIL	entry 9 (sighting): sighting: artifact 0 (found/a.png) has the bytes of handoff 4 artifact 0" out
'

test_done
