#!/bin/sh
# The PDQ index beside the ledger grows by appending: the first match after
# a new handoff adds a record of its hashes at the end of <ledger>.pdqidx
# (the file keeps its inode), and a torn append (a crash in the middle of the write) is
# dropped, the index catching up from the ledger: the same matches, and
# the file rewritten whole (libprov/pdqindex.c).
. "$(dirname "$0")/lib.sh"

PROV_LEDGER=$TRASH/studio.ledger
export PROV_LEDGER
F=$CORPUS/frames/sintel/raft-demo

test_expect_success 'a ledger with a handoff of four frames, and its index (made by a match)' '
	prov-ledger key generate studio.example/prov -o op.key >op.vkey &&
	prov-ledger key generate studio -o studio.key >studio.vkey &&
	prov-ledger key generate vendorA -o va.key >va.vkey &&
	prov-ledger init --origin studio.example/prov --key op.key >/dev/null &&
	prov-ledger party add studio --role studio --vkey "$(cat studio.vkey)" --key op.key &&
	prov-ledger party add vendorA --role vendor --vkey "$(cat va.vkey)" --key studio.key &&
	mkdir a b found &&
	cp "$F/frame_0016.png" "$F/frame_0018.png" "$F/frame_0020.png" "$F/frame_0022.png" a/ &&
	cp "$F/frame_0024.png" "$F/frame_0025.png" b/ &&
	prov-ledger handoff --to vendorA --project ep104 --key studio.key a >h &&
	test "$(cat h)" = 3 &&
	convert b/frame_0025.png -resize 50% -quality 80 found/x.jpg &&
	convert a/frame_0018.png -quality 60 found/y.jpg &&
	prov-fp --json found >q &&
	prov-ledger match --upright --json <q >m0 2>err &&
	test_must_be_empty err &&
	test -f studio.ledger.pdqidx &&
	stat -c "%i %s" studio.ledger.pdqidx >before &&
	! grep -q "b/frame_0025.png" m0
'

test_expect_success 'a second handoff of two frames is appended: 96 + 2 x 48 bytes, same inode' '
	prov-ledger handoff --to vendorA --project ep105 --key studio.key b >h &&
	test "$(cat h)" = 4 &&
	prov-ledger match --upright --json <q >m 2>err &&
	test_must_be_empty err &&
	read -r ino size <before &&
	stat -c "%i %s" studio.ledger.pdqidx >after &&
	echo "$ino $((size + 96 + 2 * 48))" >expect &&
	test_cmp expect after
'

test_expect_success 'matches through the appended index: both handoffs' '
	prov-ledger match --upright --json <q >m 2>err &&
	test_must_be_empty err &&
	stat -c "%i %s" studio.ledger.pdqidx >again &&
	test_cmp after again &&
	jq -r "select((.query == \"found/x.jpg\" and .path == \"b/frame_0025.png\") or (.query == \"found/y.jpg\" and .path == \"a/frame_0018.png\")) | [.query, .path, .entry] | join(\" \")" m >got &&
	printf "%s\n" "found/x.jpg b/frame_0025.png 4" "found/y.jpg a/frame_0018.png 3" >expect &&
	test_cmp expect got
'

test_expect_success 'a torn append is dropped: the same matches, the file rewritten whole' '
	cp studio.ledger.pdqidx whole &&
	truncate -s -50 studio.ledger.pdqidx &&
	prov-ledger match --upright --json <q >m2 2>err &&
	test_must_be_empty err &&
	test_cmp m m2 &&
	read -r ino size <after &&
	stat -c "%i" studio.ledger.pdqidx >ino2 &&
	! test "$(cat ino2)" = "$ino" &&
	prov-ledger match --upright --json <q >m3 &&
	test_cmp m m3 &&
	truncate -s -1 studio.ledger.pdqidx &&
	prov-ledger match --upright --json <q >m4 2>err &&
	grep -q "^prov-ledger: pdq index rebuilt: .*studio.ledger.pdqidx: index size .* (truncated)$" err &&
	test_cmp m m4
'

test_done
