#!/bin/sh
# prov-fp --seq: one "sequence" record per frame sequence, after the file
# records; its Merkle root is recomputed here (RFC 6962 over the frames'
# pixel hashes) and must change when a frame is missing or swapped, and
# stay when a frame is re-encoded losslessly.
. "$(dirname "$0")/lib.sh"

TAB=$(printf '\t')
RAFT=$CORPUS/frames/sintel/raft-demo
P=ep104_sq020_sh030_comp_v003

# RFC 6962 root over the named key of the file records of out, in the order
# of the frame numbers (the last digit run of the name).
cat >root.py <<-\EOT
	import hashlib, json, re, sys
	key, recs = sys.argv[1], []
	for line in open("out"):
	    r = json.loads(line)
	    m = re.search(r"([0-9]+)\.[a-z]+$", r["path"])
	    if r["kind"] != "sequence" and m and key in r and "error" not in r:
	        h = r[key][3:] if key == "pixels" else r[key]
	        recs.append((int(m.group(1)), bytes.fromhex(h)))
	def root(l):
	    if len(l) == 1:
	        return hashlib.sha256(b"\0" + l[0]).digest()
	    k = 1
	    while 2 * k < len(l):
	        k *= 2
	    return hashlib.sha256(b"\1" + root(l[:k]) + root(l[k:])).digest()
	print(root([h for _, h in sorted(recs)]).hex())
EOT

seqrec() {
	jq -c -S "select(.kind == \"sequence\") | .sequence | del(.merkle_root)" out
}

test_expect_success 'ten EXR frames made from the corpus Sintel frames, renamed' '
	oiiotool --frames 16-25 "$RAFT/frame_%04d.png" -d half --compression zip \
		-o "tmp_%04d.exr" &&
	mkdir -p shot && n=101 &&
	for i in 16 17 18 19 20 21 22 23 24 25; do
		mv tmp_00$i.exr shot/$P.0$n.exr && n=$((n + 1)) || exit 1
	done &&
	test $(ls shot | wc -l) = 10
'

test_expect_success '--seq: pattern, range, padding, names, and the root recomputed' '
	prov-fp --json --seq shot >out 2>err &&
	test_must_be_empty err &&
	test_json_valid fingerprint.schema.json out &&
	test $(wc -l <out) = 11 &&
	tail -n 1 out | jq -r "[.path, .kind] | @tsv" >got &&
	echo "shot/$P.####.exr${TAB}sequence" >expect &&
	test_cmp expect got &&
	seqrec >got &&
	echo "{\"count\":10,\"first\":101,\"gaps\":[],\"last\":110,\"leaves\":\"pixels\",\"padding\":4,\"pattern\":\"$P.%04d.exr\",\"pattern_hash\":\"$P.####.exr\"}" >expect &&
	test_cmp expect got &&
	tail -n 1 out | jq -c -S .names >got &&
	echo "{\"episode\":\"104\",\"sequence\":\"020\",\"shot\":\"030\",\"task\":\"comp\",\"version\":\"003\"}" >expect &&
	test_cmp expect got &&
	root=$($PYTHON root.py pixels) &&
	test "$(tail -n 1 out | jq -r .sequence.merkle_root)" = "$root" &&
	echo "$root" >root.all &&
	test "$(tail -n 1 out | jq .size)" = "$(cat shot/* | wc -c)" &&
	# no --seq, no sequence record
	prov-fp --json shot >out2 &&
	test $(wc -l <out2) = 10 &&
	! grep -q "\"kind\":\"sequence\"" out2
'

test_expect_success 'text output: the root in the hash column; --sum leaves it out' '
	prov-fp --seq shot >out 2>err &&
	test_must_be_empty err &&
	tail -n 1 out >got &&
	echo "$(cat root.all)${TAB}sequence${TAB}shot/$P.####.exr" >expect &&
	test_cmp expect got &&
	prov-fp --sum --seq shot >sum &&
	test $(wc -l <sum) = 10 &&
	(cd shot && sha256sum $P.*.exr) | sed "s|  |  shot/|" >expect &&
	test_cmp expect sum
'

test_expect_success 'the same with -j 2, and with frames given one by one' '
	prov-fp --json --seq shot >one &&
	prov-fp -j 2 --json --seq shot >two 2>err &&
	test_must_be_empty err &&
	test_cmp one two &&
	prov-fp -j 2 --json --seq shot/$P.0110.exr shot/$P.0101.exr shot/$P.0105.exr \
		shot/$P.0102.exr shot/$P.0103.exr shot/$P.0104.exr shot/$P.0106.exr \
		shot/$P.0107.exr shot/$P.0108.exr shot/$P.0109.exr >out &&
	test "$(tail -n 1 out | jq -r .sequence.merkle_root)" = "$(cat root.all)"
'

test_expect_success 'a missing frame: a gap, and another root' '
	cp -R shot miss && rm miss/$P.0105.exr &&
	prov-fp --json --seq miss >out 2>err &&
	test_must_be_empty err &&
	seqrec >got &&
	echo "{\"count\":9,\"first\":101,\"gaps\":[[105,105]],\"last\":110,\"leaves\":\"pixels\",\"padding\":4,\"pattern\":\"$P.%04d.exr\",\"pattern_hash\":\"$P.####.exr\"}" >expect &&
	test_cmp expect got &&
	r=$(tail -n 1 out | jq -r .sequence.merkle_root) &&
	test "$r" = "$($PYTHON root.py pixels)" &&
	test "$r" != "$(cat root.all)"
'

test_expect_success 'two frames swapped: same count and range, another root' '
	cp -R shot swap &&
	mv swap/$P.0103.exr t.exr && mv swap/$P.0104.exr swap/$P.0103.exr &&
	mv t.exr swap/$P.0104.exr &&
	prov-fp --json --seq swap >out 2>err &&
	test_must_be_empty err &&
	seqrec >got &&
	echo "{\"count\":10,\"first\":101,\"gaps\":[],\"last\":110,\"leaves\":\"pixels\",\"padding\":4,\"pattern\":\"$P.%04d.exr\",\"pattern_hash\":\"$P.####.exr\"}" >expect &&
	test_cmp expect got &&
	r=$(tail -n 1 out | jq -r .sequence.merkle_root) &&
	test "$r" = "$($PYTHON root.py pixels)" &&
	test "$r" != "$(cat root.all)"
'

test_expect_success 'a frame re-encoded losslessly (ZIP to PIZ): other bytes, same root' '
	cp -R shot piz &&
	oiiotool shot/$P.0107.exr --compression piz -o piz/$P.0107.exr &&
	! cmp -s shot/$P.0107.exr piz/$P.0107.exr &&
	prov-fp --json --seq piz >out 2>err &&
	test_must_be_empty err &&
	test "$(tail -n 1 out | jq -r .sequence.merkle_root)" = "$(cat root.all)"
'

test_expect_success 'a frame that does not decode is a gap, and the run exits 1' '
	cp -R shot trunc &&
	head -c 5000 shot/$P.0108.exr >trunc/$P.0108.exr &&
	test_must_fail --status=1 prov-fp --json --seq trunc >out 2>err &&
	grep -q "^prov-fp: trunc/$P.0108.exr: " err &&
	test $(wc -l <err) = 1 &&
	test "$(tail -n 1 out | jq -c .sequence.gaps)" = "[[108,108]]"
'

test_expect_success 'frames inside a zip: the same root as on disk' '
	zip -q -r shot.zip shot &&
	prov-fp --json --seq shot.zip >out 2>err &&
	test_must_be_empty err &&
	test_json_valid fingerprint.schema.json out &&
	tail -n 1 out | jq -r "[.path, .sequence.merkle_root] | @tsv" >got &&
	echo "shot.zip!/shot/$P.####.exr${TAB}$(cat root.all)" >expect &&
	test_cmp expect got
'

test_expect_success 'the corpus Sintel PNG frames: one sequence per shot and pass' '
	(cd "$CORPUS" && prov-fp -j 2 --json --seq frames) >out 2>err &&
	test_must_be_empty err &&
	test_json_valid fingerprint.schema.json out &&
	jq -r "select(.kind == \"sequence\") | [.path, .sequence.first, .sequence.last, .sequence.leaves] | @tsv" out >got &&
	cat >expect <<-EOT &&
	frames/sintel/faldoi-alley_1/clean/frame_####.png${TAB}1${TAB}4${TAB}pixels
	frames/sintel/faldoi-alley_1/final/frame_####.png${TAB}1${TAB}4${TAB}pixels
	frames/sintel/faldoi-cave_2/clean/frame_####.png${TAB}1${TAB}4${TAB}pixels
	frames/sintel/faldoi-cave_2/final/frame_####.png${TAB}1${TAB}4${TAB}pixels
	frames/sintel/faldoi-market_5/clean/frame_####.png${TAB}1${TAB}4${TAB}pixels
	frames/sintel/faldoi-market_5/final/frame_####.png${TAB}1${TAB}4${TAB}pixels
	frames/sintel/raft-demo/frame_####.png${TAB}16${TAB}25${TAB}pixels
	EOT
	test_cmp expect got &&
	jq -c "select(.path | startswith(\"frames/sintel/raft-demo/\"))" out >raft &&
	mv raft out && test "$(tail -n 1 out | jq -r .sequence.merkle_root)" = "$($PYTHON root.py pixels)"
'

test_expect_success 'frames that are not images: byte hashes; unpadded numbers, - and _ separators' '
	mkdir -p dpx &&
	for i in 1 2 3 9 10 11; do echo "plate $i" >dpx/plate-$i.dpx || exit 1; done &&
	for i in 0001 0002 0004; do echo "cache $i" >dpx/cache_$i.abc || exit 1; done &&
	echo lonely >dpx/single.0007.txt &&
	prov-fp --json --seq dpx >out 2>err &&
	test_must_be_empty err &&
	test_json_valid fingerprint.schema.json out &&
	jq -r "select(.kind == \"sequence\") | [.path, .sequence.pattern, .sequence.count, (.sequence.gaps | tostring), .sequence.leaves] | @tsv" out >got &&
	cat >expect <<-EOT &&
	dpx/cache_####.abc${TAB}cache_%04d.abc${TAB}3${TAB}[[3,3]]${TAB}sha256
	dpx/plate-#.dpx${TAB}plate-%01d.dpx${TAB}4${TAB}[[4,8]]${TAB}sha256
	dpx/plate-##.dpx${TAB}plate-%02d.dpx${TAB}2${TAB}[]${TAB}sha256
	EOT
	test_cmp expect got &&
	jq -c "select(.path | startswith(\"dpx/cache_\"))" out >c &&
	mv c out && test "$(tail -n 1 out | jq -r .sequence.merkle_root)" = "$($PYTHON root.py sha256)"
'

test_done
