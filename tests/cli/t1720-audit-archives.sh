#!/bin/sh
# prov-audit --handoff ID ARCHIVE: the members of zip, tar, 7z and nested
# archives judged against a handoff made from a directory; zipped with
# the top folder, without it, or under another one; a re-encoded, a
# missing and an extra member; damaged archives.
. "$(dirname "$0")/lib.sh"

PROV_LEDGER=$TRASH/studio.ledger
export PROV_LEDGER
FRAMES="$CORPUS/frames/sintel/raft-demo"
EXR="$CORPUS/exr/openexr-images/TestImages"
BAD="$CORPUS/bad/archives"

test_expect_success 'a handoff of the directory deliv: two Sintel frames and an EXR' '
	ledger_studio_vendor &&
	mkdir deliv &&
	cp "$FRAMES/frame_0016.png" "$FRAMES/frame_0020.png" "$EXR/stripes.exr" deliv/ &&
	prov-ledger handoff --to vendorA --project ep104 --key studio.key deliv >id &&
	test "$(cat id)" = 3
'

# check_all_matched ARCHIVE PREFIX: three "matched" lines named PREFIX...,
# the summary, nothing on stdout with -q, exit 0.
check_all_matched() {
	prov-audit --handoff 3 "$1" >out 2>err &&
	test "$(wc -l <out)" = 4 &&
	grep -q "^OK	" out &&
	grep -q "^matched	$2frame_0016.png$" out &&
	grep -q "^matched	$2frame_0020.png$" out &&
	grep -q "^matched	$2stripes.exr$" out &&
	grep -q "handoff 3: 3 matched, 0 changed, 0 same pixels, 0 perceptually the same, 0 moved, 0 new, 0 missing, 0 errors$" err &&
	prov-audit -q --handoff 3 "$1" >out 2>err &&
	test_must_be_empty out
}

test_expect_success 'zip with the top folder: members meet the manifest by name' '
	zip -qr d1.zip deliv &&
	check_all_matched d1.zip "d1.zip!/deliv/"
'

test_expect_success 'zip without the top folder' '
	(cd deliv && zip -q ../d2.zip frame_0016.png frame_0020.png stripes.exr) &&
	check_all_matched d2.zip "d2.zip!/"
'

test_expect_success 'tar (bsdtar) under another top folder' '
	cp -r deliv deliv_v2 &&
	bsdtar -cf d3.tar deliv_v2 &&
	check_all_matched d3.tar "d3.tar!/deliv_v2/"
'

test_expect_success '7z with the top folder, and the directory by an absolute path' '
	7z a -bd d4.7z deliv >7z.log &&
	check_all_matched d4.7z "d4.7z!/deliv/" &&
	check_all_matched "$TRASH/deliv" "$TRASH/deliv/"
'

test_expect_success 'a tar.gz of ./ inside a zip: nested members' '
	tar -czf inner.tar.gz -C deliv . &&
	zip -q outer.zip inner.tar.gz &&
	check_all_matched outer.zip "outer.zip!/inner.tar.gz!/./"
'

test_expect_success 'a re-encoded, a recompressed, a missing and an extra member' '
	mkdir -p v2/deliv &&
	convert deliv/frame_0016.png -quality 85 v2/deliv/frame_0016.jpg &&
	oiiotool deliv/stripes.exr --compression piz -o v2/deliv/stripes.exr &&
	! cmp -s v2/deliv/stripes.exr deliv/stripes.exr &&
	printf "notes\n" >v2/deliv/notes.txt &&
	(cd v2 && zip -qr ../v2.zip deliv) &&
	test_must_fail --status=1 prov-audit --handoff 3 v2.zip >out 2>err &&
	grep -q "^FAILED	\|^OK	" out &&
	grep -q "^perceptual	v2.zip!/deliv/frame_0016.jpg	was deliv/frame_0016.png	pdq distance [0-9]*$" out &&
	grep -q "^same-pixels	v2.zip!/deliv/stripes.exr$" out &&
	grep -q "^new	v2.zip!/deliv/notes.txt$" out &&
	grep -q "^missing	deliv/frame_0020.png$" out &&
	test "$(wc -l <out)" = 5 &&
	grep -q "0 matched, 0 changed, 1 same pixels, 1 perceptually the same, 0 moved, 1 new, 1 missing, 0 errors$" err &&
	test_must_fail --status=1 prov-audit -q --json --handoff 3 v2.zip >out.json &&
	test "$(wc -l <out.json)" = 4 &&
	test_json_valid audit-files.schema.json out.json &&
	grep -q "{\"status\":\"perceptual\",\"path\":\"v2.zip!/deliv/frame_0016.jpg\",\"manifest_path\":\"deliv/frame_0016.png\",\"pdq_distance\":[0-9]*,\"pdq_transform\":\"original\"}" out.json
'

test_expect_success 'a member renamed with the same bytes is moved' '
	mkdir -p v3/deliv &&
	cp deliv/* v3/deliv/ &&
	mv v3/deliv/frame_0020.png v3/deliv/sh010_0020.png &&
	bsdtar -cf v3.tar -C v3 deliv &&
	test_must_fail --status=1 prov-audit --handoff 3 v3.tar >out 2>err &&
	grep -q "^moved	v3.tar!/deliv/sh010_0020.png	was deliv/frame_0020.png$" out &&
	grep -q "2 matched, 0 changed, 0 same pixels, 0 perceptually the same, 1 moved, 0 new, 0 missing, 0 errors$" err
'

test_expect_success 'a zip in a handoff: the zip and each of its members are judged' '
	prov-ledger handoff --to vendorA --project ep104 --key studio.key d1.zip >id2 &&
	test "$(cat id2)" = 4 &&
	prov-audit --handoff 4 d1.zip >out 2>err &&
	grep -q "^matched	d1.zip$" out &&
	grep -q "^matched	d1.zip!/deliv/stripes.exr$" out &&
	test "$(wc -l <out)" = 5 &&
	grep -q "4 matched, 0 changed, .* 0 new, 0 missing, 0 errors$" err
'

test_expect_success 'a truncated zip: an error line naming it, the members read before are judged' '
	head -c 700000 d1.zip >cut.zip &&
	test_must_fail --status=1 prov-audit --handoff 3 cut.zip >out 2>err &&
	grep -q "^error	cut.zip	archive ends in error" out &&
	grep -q "^missing	deliv/" out &&
	grep -q ", [1-9] errors$" err
'

test_expect_success 'a damaged corpus archive beside a good delivery: the audit goes on' '
	test_must_fail --status=1 prov-audit --handoff 3 "$BAD/zip2/invalid_offset.zip" d2.zip >out 2>err &&
	grep -q "^error	$BAD/zip2/invalid_offset.zip	Extra data overflow" out &&
	grep -q "^new	$BAD/zip2/invalid_offset.zip!/zip/Cargo.toml$" out &&
	test "$(grep -c "^matched	d2.zip!/" out)" = 3 &&
	grep -q "3 matched, 0 changed, 0 same pixels, 0 perceptually the same, 0 moved, 2 new, 0 missing, 1 errors$" err
'

# The other formats of corpus/bad (rar, iso, lha, xar, cab...) go through
# the same reader in t1002; here the delivery formats go through the audit.
test_expect_success 'every damaged zip, tar, 7z and gz of the corpus: exit 1, never 2' '
	find "$BAD" -type f | grep -E "\.(zip|zipx|tar|7z|gz|Z)\$" | sort >list &&
	test "$(wc -l <list)" -ge 40 &&
	set -- $(cat list) &&
	test_must_fail --status=1 prov-audit -q -j 2 --archive-stall 1 --max-archive-memory 64M \
	    --handoff 3 "$@" >out 2>err &&
	! grep -q "Sanitizer\|runtime error" err &&
	# it grows and loops: whichever limit it meets first stops it
	grep -E -q "^new	$BAD/libarchive/test_read_filter_gzip_recursive.gz	error archive reader stopped: it (made no progress|used more memory)" out &&
	grep -q "^error	$BAD/adm-zip/bad_crc.zip!/lorem_ipsum.txt	ZIP bad CRC" out &&
	test "$(grep -c "^missing	deliv/" out)" = 3 &&
	grep -q "handoff 3: 0 matched, .* 3 missing, [1-9][0-9] errors$" err
'

test_done
