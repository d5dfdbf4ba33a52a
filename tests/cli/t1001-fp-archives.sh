#!/bin/sh
# prov-fp on archives made here with bsdtar, zip and 7z: member naming and
# hashes, nesting, metadata, charsets, unsafe names, limits.
. "$(dirname "$0")/lib.sh"

TAB=$(printf '\t')

test_expect_success 'archives built with real tools' '
	mkdir -p src/sub &&
	printf "alpha\n" >src/a.txt &&
	printf "beta\n" >src/sub/b.txt &&
	head -c 100000 /dev/urandom >src/sub/r.bin &&
	ln -s a.txt src/ln &&
	(cd src && zip -q -y -r ../t.zip a.txt sub ln) &&
	bsdtar -czf t.tgz --uname=artist --gname=studio -C src a.txt sub &&
	bsdtar -cJf t.txz -C src a.txt &&
	bsdtar --zstd -cf t.tar.zst -C src a.txt &&
	bsdtar --format=cpio -cf t.cpio -C src a.txt &&
	7z a -bd -bso0 t.7z ./src/a.txt ./src/sub >/dev/null &&
	cp t.zip inner.zip && zip -q nested.zip inner.zip t.tgz &&
	bsdtar -cf nest2.tar nested.zip
'

test_expect_success 'zip members: names, sha256sum hashes, symlink' '
	prov-fp t.zip >out 2>err &&
	test_must_be_empty err &&
	h=$(sha256sum t.zip | cut -d" " -f1) &&
	grep -qx "$h${TAB}archive${TAB}t.zip" out &&
	h=$(sha256sum src/a.txt | cut -d" " -f1) &&
	grep -qx "$h${TAB}other${TAB}t.zip!/a.txt" out &&
	h=$(sha256sum src/sub/r.bin | cut -d" " -f1) &&
	grep -qx "$h${TAB}other${TAB}t.zip!/sub/r.bin" out &&
	grep -qx -e "-${TAB}symlink${TAB}t.zip!/ln" out &&
	! grep -q "t.zip!/sub/\$" out
'

test_expect_success 'tar.gz, tar.xz, tar.zst, cpio, 7z members hash as the files do' '
	for a in t.tgz t.txz t.tar.zst t.cpio t.7z; do
		prov-fp "$a" >out 2>err || exit 1
		test_must_be_empty err || exit 1
		h=$(sha256sum src/a.txt | cut -d" " -f1) &&
		grep -q "^$h${TAB}other${TAB}$a!/\(\./src/\)\{0,1\}a.txt\$" out ||
			{ echo "$a: no a.txt"; cat out; exit 1; }
	done &&
	prov-fp t.7z | grep -q "t.7z!/.*sub/r.bin\$"
'

test_expect_success 'member metadata in JSON: owner names, mode, mtime, filters' '
	prov-fp --json t.tgz >out &&
	test_json_valid fingerprint.schema.json out &&
	grep "\"path\":\"t.tgz\"" out | grep -q "\"archive\":{\"format\":\"[^\"]*\",\"filters\":\\[\"gzip\"\\],\"members\":4}" &&
	grep "t.tgz!/a.txt" out | grep -q "\"member\":{\"mtime\":[0-9]*,\"mode\":\"0644\",\"uid\":[0-9]*,\"gid\":[0-9]*,\"uname\":\"artist\",\"gname\":\"studio\"}"
'

test_expect_success 'nested archives are read from memory, recursively' '
	prov-fp nest2.tar >out 2>err &&
	test_must_be_empty err &&
	h=$(sha256sum src/sub/b.txt | cut -d" " -f1) &&
	grep -qx "$h${TAB}other${TAB}nest2.tar!/nested.zip!/inner.zip!/sub/b.txt" out &&
	grep -qx "$h${TAB}other${TAB}nest2.tar!/nested.zip!/t.tgz!/sub/b.txt" out &&
	h=$(sha256sum inner.zip | cut -d" " -f1) &&
	grep -qx "$h${TAB}archive${TAB}nest2.tar!/nested.zip!/inner.zip" out
'

test_expect_success '--max-depth stops nesting with an error record' '
	test_must_fail --status=1 prov-fp --json --max-depth 2 nest2.tar >out 2>err &&
	grep -q "nest2.tar!/nested.zip!/inner.zip: archive nested deeper than 2 (--max-depth)" err &&
	! grep -q "inner.zip!/" out &&
	prov-fp --max-depth 0 nest2.tar >out &&
	test $(wc -l <out) = 1
'

test_expect_success 'names in legacy code pages are kept and their charset guessed' '
	mkdir cp && n=$(printf "\355\225\234\352\265\255.txt" | iconv -f UTF-8 -t CP949) &&
	printf x >"cp/$n" &&
	(cd cp && LC_ALL=C zip -q ../cp949.zip "$n") &&
	prov-fp --json cp949.zip >out &&
	test_json_valid fingerprint.schema.json out &&
	grep "cp949.zip!/" out | grep -q "\"name_bytes\":\"c7d1b1b92e747874\",\"name_charset\":\"CP949\",\"name_decoded\":\"한국.txt\"" &&
	grep "cp949.zip!/" out | grep -q "\"path_bytes\":\"[0-9a-f]*c7d1b1b92e747874\""
'

test_expect_success 'unsafe member names are recorded as-is, marked and escaped' '
	mkdir -p u/x && printf p >u/x/p.txt && printf q >"u/x/$(printf "c\\033d")" &&
	bsdtar -cf unsafe.tar -P -s ",^u/x/p.txt,../../etc/p.txt," -s ",^u/x/c,/abs/c," u/x/p.txt "u/x/$(printf "c\\033d")" &&
	prov-fp --json unsafe.tar >out &&
	grep "unsafe.tar!/../../etc/p.txt\"" out | grep -q "\"unsafe\":\\[\"dotdot\"\\]" &&
	grep "unsafe.tar!//abs/c" out | grep -q "\"unsafe\":\\[\"absolute\",\"control\"\\]" &&
	prov-fp unsafe.tar >txt &&
	grep -q "^\\\\[0-9a-f]*${TAB}other${TAB}unsafe.tar!//abs/c\\\\x1bd\$" txt
'

test_expect_success 'an encrypted member is an error record, the run goes on' '
	(cd src && zip -q -P secret ../enc.zip a.txt) &&
	test_must_fail --status=1 prov-fp enc.zip t.cpio >out 2>err &&
	grep -qx "prov-fp: enc.zip!/a.txt: encrypted member: no passphrase, contents not read" err &&
	grep -q "t.cpio!/a.txt\$" out
'

test_expect_success 'a zip bomb stops at the expansion limit' '
	head -c 200000000 /dev/zero >zeros &&
	zip -q bomb.zip zeros && rm zeros &&
	test_must_fail --status=1 prov-fp --json --max-ratio 100 bomb.zip >out 2>err &&
	grep -q "bomb.zip!/zeros: archive expands past 100 times its size (--max-ratio)" err &&
	grep -q "bomb.zip: expansion stopped at 100 times its size" err &&
	test_json_valid fingerprint.schema.json out
'

test_expect_success 'a nested bomb trips the default limit' '
	for i in 1 2 3 4 5 6 7 8 9; do cp bomb.zip b$i.zip; done &&
	zip -q -9 bomb2.zip b?.zip &&
	test_must_fail --status=1 prov-fp bomb2.zip >out 2>err &&
	grep -q "(--max-ratio)" err
'

test_expect_success '--max-member-size: hashed but not inspected' '
	test_must_fail --status=1 prov-fp --max-member-size 1K nested.zip >out 2>err &&
	grep -q "nested.zip!/inner.zip: larger than 1024 bytes (--max-member-size)" err &&
	h=$(sha256sum inner.zip | cut -d" " -f1) &&
	grep -q "^$h${TAB}error${TAB}nested.zip!/inner.zip\$" out
'

test_expect_success 'a compressed single stream is other, not an archive' '
	printf "just text\n" >plain && gzip -k plain &&
	prov-fp --json plain.gz >out &&
	grep -q "\"kind\":\"other\",.*\"compression\":\\[\"gzip\"\\]" out
'

test_expect_success '--sum leaves archive members out' '
	prov-fp --sum t.zip >sums &&
	test $(wc -l <sums) = 1 &&
	sha256sum -c sums
'

test_expect_success '-j 2: many archives read by forked readers, none hangs' '
	mkdir many &&
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		cp t.zip many/a$i.zip && cp t.tgz many/b$i.tgz &&
		cp src/sub/r.bin many/c$i.bin || exit 1
	done &&
	prov-fp --json many >one &&
	prov-fp -j 2 --archive-stall 5 --json many >two 2>err &&
	test_must_be_empty err &&
	test_cmp one two &&
	test $(grep -c "\"error\"" two) = 0
'

test_done
