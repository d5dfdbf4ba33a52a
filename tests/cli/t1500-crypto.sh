#!/bin/sh
# Merkle trees, keys, signed notes, checkpoints and canonical JSON through
# prov-test, against the known answers of vectors/tlog.md.
. "$(dirname "$0")/lib.sh"

# The leaves of tlog.md, in hex, one per line (the first is empty).
leaves() {
	printf '%s\n' "" 00 10 2021 3031 40414243 5051525354555657 \
	    606162636465666768696a6b6c6d6e6f | head -n "$1"
}

test_expect_success 'roots of 0 to 8 leaves are those of tlog.md' '
	grep -E "^    [0-8] [0-9a-f]{64}$" "$VECTORS/tlog.md" >roots &&
	test $(wc -l <roots) = 9 &&
	for n in 0 1 2 3 4 5 6 7 8; do
		printf "    %s " $n && leaves $n | prov-test merkle_root || return 1
	done >out 2>err &&
	test_cmp roots out &&
	test_must_be_empty err
'

test_expect_success 'every inclusion proof in trees of 1 to 8 leaves verifies' '
	for n in 1 2 3 4 5 6 7 8; do
		root=$(leaves $n | prov-test merkle_root) &&
		i=0 &&
		while [ $i -lt $n ]; do
			leaf=$(leaves $n | sed -n "$((i + 1))p" | tr -d "\n") &&
			lh=$(printf "00%s" "$leaf" | xxd -r -p | sha256sum | cut -c1-64) &&
			leaves $n | prov-test merkle_prove $i >proof &&
			prov-test merkle_verify $i $n $lh $root <proof >out || return 1
			test "$(cat out)" = ok || return 1
			i=$((i + 1))
		done
	done
'

# (A size of 5 or 8 would give leaf 3 a path of the same shape, so the
# proof must verify there too; 4 gives a shorter path.)
test_expect_success 'a changed inclusion proof, index or size is rejected' '
	root=$(leaves 7 | prov-test merkle_root) &&
	lh=$(printf 002021 | xxd -r -p | sha256sum | cut -c1-64) &&
	leaves 7 | prov-test merkle_prove 3 >proof &&
	prov-test merkle_verify 3 7 $lh $root <proof >out &&
	sed "1s/^./f/" proof >bad &&
	test_must_fail --status=1 prov-test merkle_verify 3 7 $lh $root <bad >out 2>err &&
	test_must_be_empty out &&
	grep -q "inclusion proof rejected" err &&
	test_must_fail --status=1 prov-test merkle_verify 2 7 $lh $root <proof 2>err &&
	test_must_fail --status=1 prov-test merkle_verify 3 4 $lh $root <proof 2>err &&
	head -n 2 proof >short &&
	test_must_fail --status=1 prov-test merkle_verify 3 7 $lh $root <short 2>err
'

test_expect_success 'consistency proofs between every pair of sizes up to 8' '
	for a in 1 2 3 4 5 6 7 8; do
		r1=$(leaves $a | prov-test merkle_root) &&
		b=$a &&
		while [ $b -le 8 ]; do
			r2=$(leaves $b | prov-test merkle_root) &&
			leaves $b | prov-test merkle_prove -c $a >proof &&
			prov-test merkle_verify -c $a $b $r1 $r2 <proof >out &&
			test "$(cat out)" = ok || return 1
			if [ $a -lt $b ]; then
				test_must_fail --status=1 prov-test merkle_verify -c $a $b $r2 $r2 \
				    <proof 2>err || return 1
			fi
			b=$((b + 1))
		done
	done
'

test_expect_success 'signing the Go known answer gives its signature line' '
	(umask 077 && sed -n "s/^    \(PRIVATE+KEY+PeterNeumann+.*\)$/\1/p" "$VECTORS/tlog.md" >peter.key) &&
	test "$(stat -c %a peter.key)" = 600 &&
	printf "%s\n%s\n" "If you think cryptography is the answer to your problem," \
	    "then you don'"'"'t know what your problem is." >text &&
	prov-test note_sign peter.key <text >note 2>err &&
	test_must_be_empty err &&
	{ cat text && echo && grep "^    — PeterNeumann " "$VECTORS/tlog.md" | sed "s/^    //"; } >expect &&
	test_cmp expect note &&
	vkey=$(sed -n "s/^    \(PeterNeumann+[0-9a-f]*+.*\)$/\1/p" "$VECTORS/tlog.md") &&
	prov-test note_verify "$vkey" <note >out &&
	{ cat text && echo "verified PeterNeumann" && echo "unknown 0"; } >expect &&
	test_cmp expect out
'

test_expect_success 'the C2SP example verifies; a changed text does not' '
	vkey=$(sed -n "s/^    \(example.com\/foo+.*\)$/\1/p" "$VECTORS/tlog.md") &&
	{ echo "This is an example message." && echo &&
	  grep "^    — example.com/foo " "$VECTORS/tlog.md" | sed "s/^    //"; } >note &&
	prov-test note_verify "$vkey" <note >out &&
	grep -qx "verified example.com/foo" out &&
	sed "1s/example/Example/" note >forged &&
	test_must_fail --status=1 prov-test note_verify "$vkey" <forged >out 2>err &&
	test_must_be_empty out &&
	grep -q "signature by example.com/foo does not verify" err
'

test_expect_success 'only a known key can make a note verify' '
	prov-test key_generate other other.key >other.vkey &&
	vkey=$(sed -n "s/^    \(example.com\/foo+.*\)$/\1/p" "$VECTORS/tlog.md") &&
	{ echo "This is an example message." && echo &&
	  grep "^    — example.com/foo " "$VECTORS/tlog.md" | sed "s/^    //"; } >note &&
	test_must_fail --status=1 prov-test note_verify "$(cat other.vkey)" <note 2>err &&
	grep -q "no signature by a known key" err &&
	prov-test note_cosign other.key 0 <note >both 2>err &&
	prov-test note_verify "$vkey" "$(cat other.vkey)" <both >out &&
	grep -qx "verified other" out && grep -qx "verified example.com/foo" out &&
	echo "another text" | prov-test note_sign other.key | tail -n 1 >otherline &&
	{ cat note && cat otherline; } >spliced &&
	prov-test note_verify "$vkey" <spliced >out &&
	grep -qx "unknown 1" out &&
	test_must_fail --status=1 prov-test note_verify "$vkey" "$(cat other.vkey)" <spliced 2>err &&
	grep -q "signature by other does not verify" err
'

test_expect_success 'private keys open to others or behind a symlink are refused' '
	prov-test key_generate alice alice.key >alice.vkey &&
	test "$(stat -c %a alice.key)" = 600 &&
	grep -Eq "^alice\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$" alice.vkey &&
	echo "x" >text &&
	chmod 640 alice.key &&
	test_must_fail --status=2 prov-test note_sign alice.key <text >out 2>err &&
	test_must_be_empty out &&
	grep -q "alice.key: permissions 0640 are too open" err &&
	chmod 600 alice.key &&
	ln -s alice.key link.key &&
	test_must_fail --status=2 prov-test note_sign link.key <text 2>err &&
	grep -q "link.key: a symlink" err &&
	test_must_fail --status=2 prov-test key_generate alice alice.key 2>err &&
	grep -q "alice.key: File exists" err
'

test_expect_success 'a signed checkpoint, cosigned, verifies with both keys' '
	prov-test key_generate studio.example/prov op.key >op.vkey &&
	prov-test key_generate witness.example w.key --cosigner >w.vkey &&
	root=$(leaves 8 | prov-test merkle_root) &&
	b64=$(echo $root | xxd -r -p | base64) &&
	printf "studio.example/prov\n8\n%s\n" "$b64" >cp &&
	prov-test checkpoint_parse <cp >out &&
	printf "origin studio.example/prov\nsize 8\nroot %s\n" $root >expect &&
	test_cmp expect out &&
	prov-test note_sign op.key <cp >signed &&
	prov-test note_cosign w.key 1700000000 <signed >cosigned &&
	prov-test note_verify "$(cat op.vkey)" "$(cat w.vkey)" <cosigned >out &&
	{ cat cp && echo "verified studio.example/prov" &&
	  echo "verified witness.example time 1700000000" && echo "unknown 0"; } >expect &&
	test_cmp expect out &&
	sed "2s/8/7/" cosigned >rolled &&
	test_must_fail --status=1 prov-test note_verify "$(cat w.vkey)" <rolled 2>err &&
	grep -q "signature by witness.example does not verify" err
'

test_expect_success 'checkpoint text is parsed strictly' '
	printf "o\n08\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n" >lead &&
	test_must_fail --status=1 prov-test checkpoint_parse <lead >out 2>err &&
	test_must_be_empty out && grep -q "bad tree size" err &&
	printf "\n8\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n" >noorigin &&
	test_must_fail --status=1 prov-test checkpoint_parse <noorigin 2>err &&
	grep -q "bad origin" err &&
	printf "o\n8\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n" >short &&
	test_must_fail --status=1 prov-test checkpoint_parse <short 2>err &&
	grep -q "bad root hash" err &&
	printf "o\n18446744073709551616\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n" >big &&
	test_must_fail --status=1 prov-test checkpoint_parse <big 2>err
'

test_expect_success 'canonical JSON: sorted by UTF-16, minimal escapes, integers only' '
	printf "%s" "{\"\\ufb33\":1, \"\\ud83d\\ude00\":[true,null], \"a\":\"\\u001f\\n\\u00e9/\"}" |
	    prov-test cjson >out 2>err &&
	printf "{\"a\":\"\\\\u001f\\\\n\303\251/\",\"\360\237\230\200\":[true,null],\"\357\254\263\":1}\n" >expect &&
	test_cmp expect out &&
	test_must_be_empty err &&
	head -c -1 out | prov-test cjson --check >ok &&
	test "$(cat ok)" = canonical &&
	echo "{\"a\": 1}" | head -c -1 | test_must_fail --status=1 prov-test cjson --check 2>err &&
	grep -q "not in canonical form" err &&
	echo "[1.5]" | test_must_fail --status=1 prov-test cjson 2>err &&
	grep -q "real numbers" err &&
	echo "[9007199254740992]" | test_must_fail --status=1 prov-test cjson 2>err &&
	grep -q "beyond 2^53-1" err
'

test_done
