#!/bin/sh
# prov-audit on a longer ledger: the file, its export from a file, from stdin
# and through a pipe give the same verdict and name the same first bad
# entry every run (signatures are checked on several threads); a receipt
# whose manifest differs from its handoff's verifies from an export on
# stdin (the handoff is read again).
. "$(dirname "$0")/lib.sh"

test_expect_success 'a ledger of 600 signed handoffs and its export' '
	prov-test ledger_fill big.ledger op.key 600 600 >fill.out &&
	grep -q "^total: " fill.out &&
	prov-ledger --ledger big.ledger checkpoint --key op.key >cp &&
	prov-ledger --ledger big.ledger export >big.ndjson &&
	test "$(wc -l <big.ndjson)" = 600
'

test_expect_success 'the file and the export read four ways verify alike' '
	prov-audit --ledger big.ledger >file.out &&
	grep -q "^OK	600 entries, 600 verified, 1 checkpoints verified, root " file.out &&
	root=$(cut -f2 file.out | sed "s/.*root //") &&
	prov-audit --export big.ndjson >a.out &&
	prov-audit --export - <big.ndjson >b.out &&
	cat big.ndjson | prov-audit --export - >c.out &&
	echo "OK	600 entries, 600 verified, 0 checkpoints verified, root $root" >want &&
	test_cmp want a.out && test_cmp want b.out && test_cmp want c.out
'

# Changes the second character of the signature of line N (entry N-1).
break_sig() {
	sed "$1{s/\"sig\":\"\(.\)A/\"sig\":\"\1B/;t;s/\"sig\":\"\(.\)./\"sig\":\"\1A/;}" "$2"
}

test_expect_success 'two bad signatures: the first is named, the same way every run' '
	break_sig 301 big.ndjson >t1 && break_sig 452 t1 >bad.ndjson &&
	test "$(cmp -l big.ndjson bad.ndjson | wc -l)" = 2 &&
	for i in 1 2 3; do
		test_must_fail --status=1 prov-audit --export bad.ndjson >out.$i &&
		test_must_fail --status=1 prov-audit --export - <bad.ndjson >in.$i || return 1
	done &&
	grep "^FAIL	" out.1 >fails &&
	printf "FAIL\tentry 300 (handoff): bad signature by studio\n" >want &&
	test_cmp want fails &&
	grep -q "^FAILED	600 entries, 300 verified, 0 checkpoints verified" out.1 &&
	test_cmp out.1 out.2 && test_cmp out.1 out.3 &&
	test_cmp out.1 in.1 && test_cmp out.1 in.2 && test_cmp out.1 in.3
'

test_expect_success 'an edited entry in the file is named, the checkpoint fails' '
	cp big.ledger t.ledger &&
	sqlite3 t.ledger "DROP TRIGGER entries_no_update;
	    UPDATE entries SET bytes = replace(bytes, \"sh00000450\", \"sh00000451\") WHERE seq = 450" &&
	test_must_fail --status=1 prov-audit --ledger t.ledger >out &&
	grep -q "^FAIL	entry 450 (handoff): bad signature by studio" out &&
	grep -q "^FAIL	entry 450: its bytes differ from those hashed when it was appended" out &&
	grep -q "^FAIL	stored checkpoint at size 600: its root does not match the entries" out &&
	grep -q "^FAILED	600 entries, 450 verified, 0 checkpoints verified" out
'

test_expect_success 'a receipt that differs from its handoff verifies from stdin' '
	PROV_LEDGER=$TRASH/r.ledger && export PROV_LEDGER &&
	prov-ledger key generate r.example/prov -o rop.key >rop.vkey &&
	prov-ledger key generate studio -o studio.key >studio.vkey &&
	prov-ledger key generate vendor -o vendor.key >vendor.vkey &&
	prov-ledger init --origin r.example/prov --key rop.key &&
	prov-ledger party add studio --role studio --vkey "$(cat studio.vkey)" --key rop.key &&
	prov-ledger party add vendor --role vendor --vkey "$(cat vendor.vkey)" --key studio.key &&
	prov-ledger approve vendor --project ep1 --key studio.key &&
	printf "%s\n" "{\"path\":\"a.exr\",\"sha256\":\"$(printf a | sha256sum | cut -c1-64)\"}" \
	    "{\"path\":\"b.exr\",\"sha256\":\"$(printf b | sha256sum | cut -c1-64)\"}" >sent &&
	head -n 1 sent >got &&
	prov-ledger handoff --to vendor --project ep1 --key studio.key <sent >h &&
	prov-ledger receipt "$(cat h)" --key vendor.key <got &&
	prov-ledger show 5 >receipt.json &&
	grep -q "\"matches\": *false" receipt.json &&
	prov-ledger export >r.ndjson &&
	cat r.ndjson | prov-audit --export - >out &&
	grep -q "^OK	6 entries, 6 verified" out &&
	sed "6s/\"b.exr\"/\"c.exr\"/" r.ndjson >r2.ndjson &&
	test_must_fail --status=1 prov-audit --export - <r2.ndjson >out &&
	grep -q "^FAIL	entry 5 (receipt): bad signature by vendor" out
'

test_done
