#!/bin/sh
# prov-ledger match: found frames against every artifact of the ledger by
# PDQ distance, through the index kept beside the ledger.
#
# The manifests are real records of real corpus frames (prov-test
# raster_fp: path, geometry, pixel hashes) with the sha256 of their bytes.
# prov-fp's PDQ module is not on main yet, so their "pdq" is the reference
# hash of that very file from ../shared/vectors/pdq.tsv (pdq_fullres, the
# convention prov implements); a record that already carries "pdq" keeps
# it.  The queries are the same frames as the reference command-line tool
# hashes them after squashing them to 512x512 (pdq_tool512: a resized copy),
# a hash with bits flipped, and one nothing is near.  The expected answer is
# computed independently by a linear scan in Python.
. "$(dirname "$0")/lib.sh"

PROV_LEDGER=$TRASH/studio.ledger
export PROV_LEDGER
VEC=$VECTORS/pdq.tsv

# manifest.py TSV: raster_fp NDJSON on stdin -> prov-fp records with
# sha256 and pdq, on stdout.
cat >manifest.py <<'EOF'
import hashlib, json, os, sys
ref = {}
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    if f[0] != "path":
        ref[f[0]] = (f[1], int(f[2]))
for line in sys.stdin:
    r = json.loads(line)
    r.setdefault("sha256", hashlib.sha256(open(r["path"], "rb").read()).hexdigest())
    if "pdq" not in r:
        h, q = ref[r["path"]]
        r["pdq"] = {"hash": h, "quality": q}
    print(json.dumps(r, separators=(",", ":")))
EOF

# expect.py D QUERIES ENTRY:MANIFEST...: the matches by a linear scan over
# every dihedral variant of every query hash, one line each: query line,
# entry, artifact, distance, quality, path.
cat >expect.py <<'EOF'
import json, sys
def hashes(r):
    out = []
    for i, im in enumerate(r.get("images", [])):
        for k in ("pdq", "pdq_trimmed"):
            if k in im: out.append((im[k]["hash"], im[k].get("quality", 0)))
    for k in ("pdq", "pdq_trimmed"):
        if k in r: out.append((r[k]["hash"], r[k].get("quality", 0)))
    return out
def dist(a, b):
    return bin(int(a, 16) ^ int(b, 16)).count("1")
# The 8 dihedral variants of a hash from its bits (the reference's table:
# bit 16*u + w is DCT row u, column w; a variant transposes and/or negates
# coefficients, a negated one taken as an inverted bit).
TABLE = [(0, lambda u, w: 0), (1, lambda u, w: w % 2 == 0), (0, lambda u, w: (u + w) % 2),
         (1, lambda u, w: u % 2 == 0), (0, lambda u, w: u % 2 == 0), (0, lambda u, w: w % 2 == 0),
         (1, lambda u, w: 0), (1, lambda u, w: (u + w) % 2)]
def variants(h):
    n, out = int(h, 16), []
    for tr, neg in TABLE:
        v = 0
        for u in range(16):
            for w in range(16):
                b = (n >> (16 * u + w) & 1) ^ int(bool(neg(u, w)))
                v |= b << (16 * w + u if tr else 16 * u + w)
        out.append("%064x" % v)
    return out
d = int(sys.argv[1])
queries = []
for n, line in enumerate(open(sys.argv[2]), 1):
    line = line.strip()
    if not line: continue
    queries.append((n, [(line, 0)] if len(line) == 64 and not line.startswith("{") else hashes(json.loads(line))))
arts = []
for spec in sys.argv[3:]:
    entry, path = spec.split(":", 1)
    for i, line in enumerate(open(path)):
        arts.append((int(entry), i, json.loads(line)))
rows = []
for n, qh in queries:
    for entry, i, r in arts:
        best = None
        for h, _ in [(v, q) for h0, q in qh for v in variants(h0)]:
            for s, q in hashes(r):
                dd = dist(h, s)
                if best is None or dd < best[0]: best = (dd, q)
        if best and best[0] <= d:
            rows.append((n, best[0], entry, i, best[1], r["path"]))
for n, dd, entry, i, q, p in sorted(rows):
    print(n, entry, i, dd, q, p)
EOF

# got.py: prov-ledger match --json on stdin, in expect.py's layout.
cat >got.py <<'EOF'
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    print(m["line"], m["entry"], m["artifact"], m["distance"], m["quality"], m["path"])
EOF

# Frames from four shots, neighbours of a shot near-identical, and PNGs.
cut -f1 "$VEC" | grep -E '^frames/sintel/' >frames1
cut -f1 "$VEC" | grep -E '^png/pngsuite/(basn|cs|f0)' >frames2

test_expect_success 'a ledger with a handoff of real frames' '
	prov-ledger key generate studio.example/prov -o op.key >op.vkey &&
	prov-ledger key generate studio -o studio.key >studio.vkey &&
	prov-ledger key generate vendorA -o va.key >va.vkey &&
	prov-ledger init --origin studio.example/prov --key op.key >/dev/null &&
	prov-ledger party add studio --role studio --vkey "$(cat studio.vkey)" --key op.key &&
	prov-ledger party add vendorA --role vendor --vkey "$(cat va.vkey)" --key studio.key &&
	(cd "$CORPUS" && xargs prov-test raster_fp <"$TRASH/frames1") >raw1 &&
	(cd "$CORPUS" && "$PYTHON" "$TRASH/manifest.py" "$VEC") <raw1 >m1 &&
	test "$(wc -l <m1)" = "$(wc -l <frames1)" &&
	prov-ledger handoff --to vendorA --project ep104 --key studio.key <m1 >h1 &&
	test "$(cat h1)" = 3 &&
	test ! -e studio.ledger.pdqidx
'

# Queries: the 512x512 squashed hash of every fourth frame, a frame's hash
# with 20 and with 40 bits flipped (as a record), and the complement of a
# hash (256 bits from it, far from everything).
test_expect_success 'queries: resized copies, a flipped hash, nothing near' '
	grep -E "^frames/sintel/" "$VEC" | awk -F "	" "NR % 4 == 1 { print \$4 }" >q &&
	test "$(wc -l <q)" -ge 8 &&
	"$PYTHON" -c "
import json, sys
h = [l.split(\"\t\") for l in open(sys.argv[1]) if l.startswith(\"frames/sintel/raft\")][3][1]
def flip(h, k): return \"%064x\" % (int(h, 16) ^ ((1 << k) - 1) << 100)
print(json.dumps({\"path\": \"found/leak.png\", \"pdq\": {\"hash\": flip(h, 20), \"quality\": 90}}))
print(json.dumps({\"path\": \"found/far.png\", \"pdq\": {\"hash\": flip(h, 40), \"quality\": 90}}))
print(\"%064x\" % (int(h, 16) ^ (1 << 256) - 1))
" "$VEC" >>q &&
	"$PYTHON" expect.py 31 q 3:m1 >expect &&
	test "$(wc -l <expect)" -gt 20 &&
	n=$(wc -l <q) &&
	grep -q "^$((n - 2)) 3 [0-9]* 20 " expect &&
	! grep -q "^$((n - 1)) " expect &&
	! grep -q "^$n " expect
'

test_expect_success 'match finds exactly what a linear scan finds, and writes the index' '
	prov-ledger match --json <q >out 2>err &&
	test_must_be_empty err &&
	test_json_valid pdq-match.schema.json out &&
	"$PYTHON" got.py <out >got &&
	test_cmp expect got &&
	test -s studio.ledger.pdqidx &&
	grep -q "\"query\":\"found/leak.png\",\"line\":$(($(wc -l <q) - 2)),\"type\":\"handoff\",\"entry\":3" out &&
	! grep -q "found/far.png" out
'

test_expect_success 'text output names the query, the artifact and the entry' '
	prov-ledger match <q >out 2>err &&
	test_must_be_empty err &&
	test "$(wc -l <out)" = "$(wc -l <expect)" &&
	grep -q "^found/leak.png: frames/sintel/raft-demo/.* (handoff 3, artifact [0-9]*, distance 20, quality 100)$" out
'

test_expect_success '--distance bounds the matches; 0 is the exact hash only' '
	"$PYTHON" expect.py 10 q 3:m1 >expect10 &&
	prov-ledger match --distance 10 --json <q | "$PYTHON" got.py >got10 &&
	test_cmp expect10 got10 &&
	grep -E "^frames/sintel/" "$VEC" | cut -f2 | head -n 3 >exact &&
	prov-ledger match --distance 0 --json <exact >out &&
	test "$(wc -l <out)" = 3 &&
	! grep -qv "\"distance\":0," out
'

test_expect_success 'the index is reused as it is while the ledger has not grown' '
	before=$(stat -c %i studio.ledger.pdqidx) &&
	prov-ledger match --json <q >/dev/null &&
	test "$(stat -c %i studio.ledger.pdqidx)" = "$before"
'

test_expect_success 'a new handoff is added to the index and matched' '
	before=$(stat -c "%i %s" studio.ledger.pdqidx) &&
	(cd "$CORPUS" && xargs prov-test raster_fp <"$TRASH/frames2") >raw2 &&
	(cd "$CORPUS" && "$PYTHON" "$TRASH/manifest.py" "$VEC") <raw2 >m2 &&
	prov-ledger handoff --to vendorA --project ep104 --key studio.key <m2 >h2 &&
	test "$(cat h2)" = 4 &&
	grep -E "^png/pngsuite/" "$VEC" | cut -f2 | head -n 2 >>q &&
	"$PYTHON" expect.py 31 q 3:m1 4:m2 >expect2 &&
	prov-ledger match --json <q >out 2>err &&
	test_must_be_empty err &&
	"$PYTHON" got.py <out >got2 &&
	test_cmp expect2 got2 &&
	grep -q " 4 [0-9]* 0 [0-9]* png/pngsuite/" got2 &&
	# appended to the file (the same inode, longer), not rewritten
	set -- $before $(stat -c "%i %s" studio.ledger.pdqidx) &&
	test "$1" = "$3" && test "$4" -gt "$2"
'

test_expect_success 'a corrupt index is detected and rebuilt, with the same answer' '
	printf "\377\377\377\377" | dd of=studio.ledger.pdqidx bs=1 seek=300 conv=notrunc 2>/dev/null &&
	prov-ledger match --json <q >out 2>err &&
	grep -q "^prov-ledger: pdq index rebuilt: .*studio.ledger.pdqidx: index checksum mismatch$" err &&
	"$PYTHON" got.py <out >got &&
	test_cmp expect2 got &&
	prov-ledger match --json <q >out 2>err &&
	test_must_be_empty err &&
	truncate -s 1000 studio.ledger.pdqidx &&
	prov-ledger match --json <q >out 2>err &&
	grep -q "pdq index rebuilt: .*size" err &&
	"$PYTHON" got.py <out >got &&
	test_cmp expect2 got
'

test_expect_success 'the index of another ledger is not trusted' '
	PROV_LEDGER=$TRASH/other.ledger &&
	prov-ledger init --origin other.example/prov --key op.key >/dev/null &&
	prov-ledger match <q >out 2>/dev/null &&
	test_must_be_empty out &&
	cp other.ledger.pdqidx studio.ledger.pdqidx &&
	PROV_LEDGER=$TRASH/studio.ledger &&
	prov-ledger match --json <q >out 2>err &&
	grep -q "pdq index rebuilt: .*another ledger" err &&
	"$PYTHON" got.py <out >got &&
	test_cmp expect2 got
'

test_expect_success 'queries without a hash are counted; bad lines and options refused' '
	printf "{\"path\":\"x.txt\",\"sha256\":\"00\"}\n" >nohash &&
	prov-ledger match <nohash >out 2>err &&
	test_must_be_empty out &&
	grep -q "1 of 1 queries carry no PDQ hash" err &&
	printf "%s\nnot a hash\n" "$(head -n 1 q)" >bad &&
	test_must_fail --status=1 prov-ledger match <bad >out 2>err &&
	test_must_be_empty out &&
	grep -q "stdin:2: neither a prov-fp record nor a 64-digit hex hash" err &&
	test_must_fail --status=2 prov-ledger match --distance 257 <q >out 2>err &&
	test_must_be_empty out &&
	grep -q "distance" err
'

test_done
