#!/bin/sh
# prov-fp on plain files and directory trees: hashes, order, output forms,
# errors and exit codes.
. "$(dirname "$0")/lib.sh"

TAB=$(printf '\t')

test_expect_success 'a tree to fingerprint' '
	mkdir -p tree/b tree/a/deep &&
	printf "hello\n" >tree/a/one.txt &&
	printf "" >tree/a/empty &&
	head -c 3000000 /dev/zero | tr "\0" "x" >tree/b/big.bin &&
	printf "z" >tree/Z.txt &&
	printf "deep" >tree/a/deep/d.txt &&
	ln -s ../a/one.txt tree/b/link &&
	printf "nl" >"tree/b/new
line" &&
	printf "bs" >"tree/b/back\\slash"
'

test_expect_success 'text: hash, kind, path; sha256sum hashes; sorted walk' '
	prov-fp tree >out 2>err &&
	test_must_be_empty err &&
	cat >expect-order <<-EOF &&
	tree/Z.txt
	tree/a/deep/d.txt
	tree/a/empty
	tree/a/one.txt
	tree/b/back\\\\slash
	tree/b/big.bin
	tree/b/link
	tree/b/new\\nline
	EOF
	cut -f3 out >order &&
	test_cmp expect-order order &&
	for f in tree/Z.txt tree/a/deep/d.txt tree/a/empty tree/a/one.txt tree/b/big.bin; do
		h=$(sha256sum "$f" | cut -d" " -f1) &&
		grep -qx "$h${TAB}other${TAB}$f" out || { echo "no line for $f"; exit 1; }
	done &&
	grep -qx -e "-${TAB}symlink${TAB}tree/b/link" out &&
	h=$(printf nl | sha256sum | cut -d" " -f1) &&
	grep -qx "\\\\$h${TAB}other${TAB}tree/b/new\\\\nline" out
'

test_expect_success '-j 2 gives the same output as -j 1' '
	prov-fp -j 1 --json tree tree/a >one &&
	prov-fp -j 2 --json tree tree/a >two &&
	test_cmp one two &&
	test $(wc -l <two) = 11
'

test_expect_success '--json validates against the schema and has the link target' '
	prov-fp --json tree >out.json &&
	test_json_valid fingerprint.schema.json out.json >v &&
	grep -q "8 valid" v &&
	grep "\"path\":\"tree/b/link\"" out.json | grep -q "\"kind\":\"symlink\",\"size\":12,\"link\":\"../a/one.txt\"" &&
	grep "tree/b/big.bin" out.json | grep -q "\"size\":3000000,"
'

test_expect_success '-L follows links met in the walk' '
	prov-fp -L tree >out &&
	h=$(sha256sum tree/a/one.txt | cut -d" " -f1) &&
	grep -qx "$h${TAB}other${TAB}tree/b/link" out
'

test_expect_success '--sum round trip through sha256sum -c' '
	prov-fp --sum tree >sums &&
	sha256sum tree/Z.txt >expect-line &&
	grep -qxF "$(cat expect-line)" sums &&
	sha256sum -c sums >check 2>&1 &&
	test $(grep -c ": OK\$" check) = 7 &&
	! grep -q link sums
'

test_expect_success 'names from a NUL list, from a newline list, stdin data' '
	find tree -type f -print0 | sort -z >list0 &&
	prov-fp -0 --files-from list0 --sum >a &&
	prov-fp -0 <list0 --sum >b &&
	test_cmp a b &&
	test $(wc -l <a) = 7 &&
	printf "tree/Z.txt\ntree/a/one.txt\n" | prov-fp --sum >c &&
	sha256sum tree/Z.txt tree/a/one.txt >expect &&
	test_cmp expect c &&
	printf abc | prov-fp --sum - >d &&
	printf abc | sha256sum >expect &&
	test_cmp expect d
'

test_expect_success 'a missing and an unreadable file: error records, exit 1' '
	printf secret >tree/a/locked && chmod 000 tree/a/locked &&
	test_must_fail --status=1 prov-fp --json tree/Z.txt nosuch tree/a/locked >out 2>err &&
	chmod 644 tree/a/locked &&
	test $(wc -l <out) = 3 &&
	grep -q "^{\"path\":\"tree/Z.txt\",\"kind\":\"other\"" out &&
	grep -q "\"path\":\"nosuch\".*\"error\":\"No such file or directory\"" out &&
	grep -qx "prov-fp: nosuch: No such file or directory" err &&
	if [ "$(id -u)" != 0 ]; then grep -qx "prov-fp: tree/a/locked: Permission denied" err; fi &&
	test_json_valid fingerprint.schema.json out
'

test_expect_success 'hostile names are escaped on stderr too' '
	test_must_fail --status=1 prov-fp "$(printf "no\033[2Jsuch")" >out 2>err &&
	grep -qx "prov-fp: no\\\\x1b\\[2Jsuch: No such file or directory" err &&
	grep -q -e "^\\\\-${TAB}error${TAB}no\\\\x1b" out
'

test_expect_success 'usage errors exit 2, --help exits 0 on stdout' '
	test_must_fail --status=2 prov-fp --bogus >out 2>err &&
	test_must_be_empty out && grep -q "^usage: prov-fp" err &&
	test_must_fail --status=2 prov-fp -j 0 tree 2>err &&
	grep -q "out of range" err &&
	prov-fp --help >out && grep -q "^usage: prov-fp" out &&
	prov-fp --version >out && grep -q "^prov-fp 0\\." out
'

test_expect_success 'a write error on stdout is fatal (exit 2)' '
	if [ -w /dev/full ]; then
		test_must_fail --status=2 prov-fp tree >/dev/full 2>err &&
		grep -q "prov-fp: stdout" err
	fi
'

test_expect_success 'special files are recorded, never opened' '
	mkfifo tree/fifo &&
	prov-fp --json tree/fifo >out &&
	grep -q "\"kind\":\"special\",\"size\":0,\"type\":\"fifo\"" out &&
	rm tree/fifo
'

test_done
