#!/bin/sh
# prov-audit: the ledger verified from its entries alone; tampering with the
# SQLite file behind prov's back is caught and named; files against a handoff.
. "$(dirname "$0")/lib.sh"

PROV_LEDGER=$TRASH/studio.ledger
export PROV_LEDGER

records() {
	for f in a b c; do
		printf '%s' "$f$1" > "$f.bin"
		printf '{"path":"%s.bin","kind":"other","size":%d,"sha256":"%s"}\n' "$f" \
		    "$(wc -c < "$f.bin")" "$(sha256sum < "$f.bin" | cut -c1-64)"
	done
}

test_expect_success 'a ledger with handoffs and a checkpoint the auditor saves' '
	prov-ledger key generate studio.example/prov -o op.key >op.vkey &&
	prov-ledger key generate studio -o studio.key >studio.vkey &&
	prov-ledger key generate vendorA -o va.key >va.vkey &&
	prov-ledger key generate auditor.example/w -o w.key --cosigner >w.vkey &&
	prov-ledger init --origin studio.example/prov --key op.key &&
	prov-ledger party add studio --role studio --vkey "$(cat studio.vkey)" --key op.key &&
	prov-ledger party add vendorA --role vendor --vkey "$(cat va.vkey)" --key studio.key &&
	prov-ledger approve vendorA --project ep104 --key studio.key &&
	records 1 >m1 &&
	prov-ledger handoff --to vendorA --project ep104 --key studio.key <m1 &&
	prov-ledger checkpoint --key op.key >saved.cp &&
	prov-ledger receipt 4 --key va.key <m1 &&
	prov-ledger handoff --to vendorA --project ep104 --key studio.key <m1 &&
	prov-ledger checkpoint --key op.key >now.cp
'

test_expect_success 'an intact ledger verifies and extends the saved checkpoint' '
	prov-audit --checkpoint saved.cp --key op.vkey >out &&
	grep -q "^OK	7 entries, 7 verified, 2 checkpoints verified" out &&
	prov-ledger export >export.ndjson &&
	prov-audit --export export.ndjson --checkpoint saved.cp --key op.vkey >out &&
	grep -q "^OK	7 entries, 7 verified, 0 checkpoints" out &&
	prov-audit --json >out.json &&
	grep -q "\"status\":\"ok\"" out.json
'

# Each tamper test works on a copy and changes it with sqlite3 directly,
# removing the triggers first as anyone with the file can.
tamper() {
	cp "$PROV_LEDGER" t.ledger &&
	sqlite3 t.ledger "DROP TRIGGER entries_no_update; DROP TRIGGER entries_no_delete;
	    DROP TRIGGER nodes_no_delete; DROP TRIGGER checkpoints_no_delete; $1"
}

test_expect_success 'an edited byte of an entry is named' '
	tamper "UPDATE entries SET bytes = replace(bytes, \"ep104\", \"ep105\") WHERE seq = 4" &&
	test_must_fail --status=1 prov-audit --ledger t.ledger --checkpoint saved.cp --key op.vkey >out &&
	grep -q "^FAIL	entry 4 (handoff): bad signature by studio" out &&
	grep -q "^FAIL	entry 4: its bytes differ from those hashed when it was appended" out &&
	grep -q "^FAIL	saved checkpoint: today.s 7 entries do not extend its 5" out &&
	grep -q "^FAILED" out
'

test_expect_success 'a deleted entry is named' '
	tamper "DELETE FROM entries WHERE seq = 2" &&
	test_must_fail --status=1 prov-audit --ledger t.ledger >out &&
	grep -q "^FAIL	entry 2: missing (the next stored entry is 3): removed" out
'

test_expect_success 'two swapped entries are named' '
	tamper "UPDATE entries SET bytes = (SELECT bytes FROM entries WHERE seq = 6) WHERE seq = 5;
	    UPDATE entries SET bytes = (SELECT bytes FROM entries WHERE seq = 4) WHERE seq = 6;" &&
	test_must_fail --status=1 prov-audit --ledger t.ledger >out &&
	grep -q "^FAIL	entry 5 (handoff): wrong sequence number" out
'

test_expect_success 'an entry inserted between two others is named' '
	tamper "UPDATE entries SET seq = seq + 100 WHERE seq >= 5; UPDATE entries SET seq = seq - 99 WHERE seq >= 105;
	    INSERT INTO entries (seq, type, author, time, bytes) SELECT 5, type, author, time, bytes FROM entries WHERE seq = 4;" &&
	test "$(sqlite3 t.ledger "SELECT count(*) FROM entries")" = 8 &&
	test_must_fail --status=1 prov-audit --ledger t.ledger --checkpoint saved.cp --key op.vkey >out &&
	grep -q "^FAIL	entry 5 (handoff): wrong sequence number" out &&
	grep -q "^FAIL	the stored tree does not match the entries" out &&
	grep -q "^FAIL	stored checkpoint at size 7: its root does not match the entries" out &&
	! grep -q "saved checkpoint" out
'

test_expect_success 'a ledger cut back to an earlier size is caught by the saved checkpoint' '
	tamper "DELETE FROM entries WHERE seq >= 3; DELETE FROM nodes WHERE idx >= 3 AND level = 0;
	    DELETE FROM nodes WHERE level > 0 AND ((idx + 1) << level) > 3; DELETE FROM checkpoints;" &&
	prov-audit --ledger t.ledger >out &&
	grep -q "^OK	3 entries" out &&
	test_must_fail --status=1 prov-audit --ledger t.ledger --checkpoint saved.cp --key op.vkey >out &&
	grep -q "saved checkpoint: it has 5 entries, the ledger only 3: the ledger was rolled back" out
'

test_expect_success 'an older copy of the file in place of the new one is caught' '
	prov-ledger --ledger old.ledger import <export.ndjson &&
	head -n 5 export.ndjson >old.ndjson &&
	test_must_fail --status=1 prov-audit --export old.ndjson --checkpoint now.cp --key op.vkey >out &&
	grep -q "it has 7 entries, the ledger only 5" out
'

test_expect_success 'forged or foreign checkpoints are rejected' '
	sed "s/^5$/6/" saved.cp >forged.cp &&
	test_must_fail --status=1 prov-audit --checkpoint forged.cp --key op.vkey >out &&
	grep -q "saved checkpoint: signature by studio.example/prov does not verify" out &&
	prov-ledger key generate studio.example/prov -o other.key >other.vkey &&
	prov-ledger --ledger other.ledger init --origin other.example/prov --key other.key &&
	prov-ledger --ledger other.ledger checkpoint --key other.key >other.cp &&
	test_must_fail --status=1 prov-audit --checkpoint other.cp --key other.vkey >out &&
	grep -q "origin other.example/prov is not this ledger.s" out &&
	test_must_fail --status=1 prov-audit --checkpoint other.cp --key op.vkey >out &&
	grep -q "no signature by a known key" out
'

test_expect_success 'a witness cosigns what it verified; a cosignature by an unknown key is rejected' '
	prov-audit --cosign w.key -o cosigned.cp >out &&
	test "$(grep -c "^— " cosigned.cp)" = 2 &&
	prov-audit --checkpoint cosigned.cp --key op.vkey --witness w.vkey >out &&
	grep -q "^OK" out &&
	prov-ledger key generate stranger -o s.key --cosigner >s.vkey &&
	test_must_fail --status=1 prov-audit --checkpoint cosigned.cp --key op.vkey --witness s.vkey >out &&
	grep -q "^FAIL	saved checkpoint: no cosignature by witness stranger (1 by keys not trusted)" out &&
	prov-audit --cosign s.key -o stranger.cp >out &&
	test_must_fail --status=1 prov-audit --checkpoint stranger.cp --key op.vkey --witness w.vkey >out &&
	grep -q "^FAIL	saved checkpoint: no cosignature by witness auditor.example/w" out &&
	prov-audit --checkpoint stranger.cp --key op.vkey >out &&
	grep -q "^OK" out &&
	"$PYTHON" -c "
import sys
lines = open(\"cosigned.cp\").read().split(\"\n\")
s = lines[-2]
lines[-2] = s[:-6] + (\"A\" if s[-6] != \"A\" else \"B\") + s[-5:]
open(\"badco.cp\", \"w\").write(\"\n\".join(lines))" &&
	! cmp -s cosigned.cp badco.cp &&
	test_must_fail --status=1 prov-audit --checkpoint badco.cp --key op.vkey --witness w.vkey >out &&
	grep -q "signature by auditor.example/w does not verify" out &&
	test_must_fail --status=2 prov-audit --cosign op.key -o x.cp 2>err &&
	grep -q "not a cosigner key" err
'

# Re-signs entry N of an export as entry SEQ at the time of the last line,
# with the private key in KEYFILE, exactly as prov-ledger signs.
resign() {
	"$PYTHON" - "$@" <<-\EOF
	import base64, json, sys
	from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
	export, n, seq, keyfile = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
	lines = open(export, encoding="utf-8").read().splitlines()
	seed = base64.b64decode(open(keyfile).read().strip().split("+", 4)[4])[1:]
	e = json.loads(lines[n])
	e["seq"], e["time"] = seq, json.loads(lines[-1])["time"]
	del e["sig"]
	canon = lambda o: json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
	e["sig"] = base64.b64encode(Ed25519PrivateKey.from_private_bytes(seed).sign(canon(e).encode())).decode()
	print(canon(e))
	EOF
}

test_expect_success 'an entry signed with a key revoked before it is named' '
	cp "$PROV_LEDGER" rv.ledger &&
	prov-ledger --ledger rv.ledger sighting --where "ftp://x.example" --key va.key <m1 >s &&
	test "$(cat s)" = 7 &&
	prov-ledger --ledger rv.ledger export >rv.ndjson &&
	{ cat rv.ndjson && resign rv.ndjson 7 8 va.key; } >ok.ndjson &&
	prov-audit --export ok.ndjson >out &&
	grep -q "^OK	9 entries, 9 verified" out &&
	prov-ledger --ledger rv.ledger revoke --vkey "$(cat va.vkey)" --key studio.key &&
	prov-ledger --ledger rv.ledger export >rv.ndjson &&
	{ cat rv.ndjson && resign rv.ndjson 7 9 va.key; } >late.ndjson &&
	test_must_fail --status=1 prov-audit --export late.ndjson >out &&
	grep -q "^FAIL	entry 9 (sighting): key vendorA is no party of this ledger, or was revoked" out &&
	grep -q "^FAILED	10 entries, 9 verified" out
'

test_expect_success 'files against a handoff: matched, changed, moved, new, missing' '
	records 1 >disk &&
	prov-audit -q --handoff 4 --records disk >out 2>err &&
	test_must_be_empty out &&
	grep -q "3 matched, 0 changed" err &&
	sed "s/\"a.bin\"/\"renamed.bin\"/; /\"c.bin\"/d" m1 >disk2 &&
	printf "%s\n" "{\"path\":\"b.bin\",\"sha256\":\"$(printf x | sha256sum | cut -c1-64)\"}" \
	    "{\"path\":\"extra.bin\",\"sha256\":\"$(printf y | sha256sum | cut -c1-64)\"}" >>disk2 &&
	sed -i "/\"b.bin\",\"kind\"/d" disk2 &&
	test_must_fail --status=1 prov-audit --handoff 4 --records disk2 >out 2>err &&
	grep -q "^moved	renamed.bin	was a.bin" out &&
	grep -q "^changed	b.bin" out &&
	grep -q "^new	extra.bin" out &&
	grep -q "^missing	c.bin" out
'

test_expect_success 'same pixels, perceptual copies and NFD names are recognised' '
	h1=$(printf 1 | sha256sum | cut -c1-64) && h2=$(printf 2 | sha256sum | cut -c1-64) &&
	p=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef &&
	q=f123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef &&
	{
	printf "{\"path\":\"sh010.exr\",\"sha256\":\"%s\",\"pixels\":\"v1:%s\"}\n" $h1 $h1 &&
	printf "{\"path\":\"sh020.png\",\"sha256\":\"%s\",\"pdq\":{\"hash\":\"%s\",\"quality\":100}}\n" $h2 $p &&
	printf "{\"path\":\"caf\303\251.png\",\"sha256\":\"%s\"}\n" $h2
	} >frames &&
	prov-ledger handoff --to vendorA --project ep104 --key studio.key <frames >h &&
	{
	printf "{\"path\":\"sh010.exr\",\"sha256\":\"%s\",\"pixels\":\"v1:%s\"}\n" $h2 $h1 &&
	printf "{\"path\":\"leak.jpg\",\"sha256\":\"%s\",\"pdq\":{\"hash\":\"%s\",\"quality\":90}}\n" $h1 $q &&
	printf "{\"path\":\"cafe\314\201.png\",\"sha256\":\"%s\"}\n" $h2
	} >found &&
	test_must_fail --status=1 prov-audit --handoff "$(cat h)" --records found >out 2>err &&
	grep -q "^same-pixels	sh010.exr" out &&
	grep -q "^perceptual	leak.jpg	was sh020.png	pdq distance 4" out &&
	grep -q "^matched	cafe" out &&
	test_must_fail --status=1 prov-audit --handoff "$(cat h)" --pdq-threshold 3 --records found >out 2>err &&
	grep -q "^new	leak.jpg$" out &&
	grep -q "^missing	sh020.png$" out &&
	grep -q "0 perceptually the same" err &&
	test_must_fail --status=2 prov-audit --handoff "$(cat h)" --pdq-threshold 257 --records found 2>err &&
	grep -q "pdq-threshold: 257 is out of range 0..256" err
'

test_done
