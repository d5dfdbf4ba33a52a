#!/bin/sh
# prov-trace: real corpus frames handed studio -> vendor -> a subcontractor
# nobody approved, found again renamed inside a zip, re-encoded as JPEG,
# re-compressed and re-tagged; traced to the vendor as the last approved
# custodian and the vendor -> subcontractor handoff as the exit.
. "$(dirname "$0")/lib.sh"

PROV_LEDGER=$TRASH/studio.ledger
export PROV_LEDGER
EXR="$CORPUS/exr/openexr-images"

test_expect_success 'a ledger: studio, redpanda (vendor), kite and nightowl (subcontractors)' '
	prov-ledger key generate studio.example/prov -o op.key >op.vkey &&
	for p in studio redpanda kite nightowl; do
		prov-ledger key generate $p -o $p.key >$p.vkey || return 1
	done &&
	prov-ledger init --origin studio.example/prov --key op.key &&
	prov-ledger party add studio --role studio --vkey "$(cat studio.vkey)" --key op.key &&
	prov-ledger party add redpanda --role vendor --vkey "$(cat redpanda.vkey)" --key studio.key &&
	prov-ledger party add kite --role subcontractor --vkey "$(cat kite.vkey)" --key studio.key &&
	prov-ledger party add nightowl --role subcontractor --vkey "$(cat nightowl.vkey)" --key studio.key &&
	prov-ledger approve redpanda --project ep104 --may-delegate-to kite --key studio.key >approval &&
	test "$(cat approval)" = 5
'

test_expect_success 'frames handed studio -> redpanda (receipt) -> nightowl' '
	mkdir -p deliv/ep104 &&
	cp "$EXR/ScanLines/Cannon.exr" deliv/ep104/ep104_sq020_sh030.0101.exr &&
	cp "$EXR/ScanLines/Carrots.exr" deliv/ep104/ep104_sq020_sh030.0102.exr &&
	cp "$EXR/TestImages/GammaChart.exr" deliv/ep104/ep104_sq020_sh030.0103.exr &&
	prov-fp --json deliv >deliv.ndjson &&
	prov-ledger handoff --to redpanda --project ep104 --key studio.key <deliv.ndjson >h1 &&
	prov-ledger receipt "$(cat h1)" --key redpanda.key <deliv.ndjson >r1 &&
	prov-ledger handoff --to nightowl --project ep104 --key redpanda.key <deliv.ndjson >h2 &&
	test "$(cat h1) $(cat r1) $(cat h2)" = "6 7 8" &&
	prov-ledger show 8 | grep -q "\"covered\": false"
'

test_expect_success 'a renamed copy inside a zip: bytes, vendor last approved, exit 8' '
	mkdir -p found/srv &&
	cp deliv/ep104/ep104_sq020_sh030.0102.exr found/srv/shot30_b.exr &&
	(cd found/srv && zip -q ../dump.zip shot30_b.exr) && rm -r found/srv &&
	test_must_fail --status=1 prov-trace found >out 2>err &&
	test_must_be_empty err &&
	cat >expect <<-\EOT &&
	found/dump.zip!/shot30_b.exr: left-chain (bytes, 3 artifacts)
	  matches: handoff 6 artifact 1 deliv/ep104/ep104_sq020_sh030.0102.exr
	  handoff 6 DATE studio -> redpanda [ep104]: approved by approval 5; receipt 7
	  handoff 8 DATE redpanda -> nightowl [ep104]: LEFT THE APPROVED CHAIN: nightowl holds no active approval for ep104
	  last approved custodian: redpanda
	  exit: handoff 8 redpanda -> nightowl
	1 found: 0 in the approved chain, 1 left it, 0 matched without custody, 0 untraced, 0 failed
	EOT
	sed "s/ [0-9]\{4\}-[0-9][0-9]-[0-9][0-9] / DATE /" out >out.n &&
	test_cmp expect out.n
'

test_expect_success 'a re-encoded half-size JPEG matches perceptually, with its distance' '
	convert deliv/ep104/ep104_sq020_sh030.0101.exr -colorspace sRGB -resize 50% found/preview_0101.jpg &&
	test_must_fail --status=1 prov-trace --json found/preview_0101.jpg >out 2>err &&
	test_must_be_empty err &&
	test_json_valid trace.schema.json out &&
	jq -s -e "map(select(.found == \"found/preview_0101.jpg\"))[0] | .match.how == \"perceptual\"
	    and .match.distance <= 31 and .last_approved == \"redpanda\" and .exit.entry == 8
	    and .verdict == \"left-chain\"
	    and (.match.artifacts | map(.path) | unique == [\"deliv/ep104/ep104_sq020_sh030.0101.exr\"])" out &&
	test_must_fail --status=1 prov-trace --pdq-threshold 0 --json found/preview_0101.jpg >out &&
	jq -e ".verdict == \"untraced\" and (has(\"match\") | not)" out
'

test_expect_success 'a re-compressed copy matches by pixels; an unknown file is untraced' '
	oiiotool deliv/ep104/ep104_sq020_sh030.0103.exr --compression piz -o found/gamma_piz.exr &&
	! cmp -s found/gamma_piz.exr deliv/ep104/ep104_sq020_sh030.0103.exr &&
	printf "not a frame\n" >found/readme.txt &&
	test_must_fail --status=1 prov-trace --json found >out 2>err &&
	test_must_be_empty err &&
	test_json_valid trace.schema.json out &&
	test "$(wc -l <out)" = 5 &&
	jq -s -e "map(select(.found == \"found/gamma_piz.exr\"))[0] | .match.how == \"pixels\" and .exit.to == \"nightowl\"" out &&
	jq -s -e "map(select(.found == \"found/readme.txt\"))[0] | .verdict == \"untraced\" and .custody == null" out &&
	jq -s -e "map(select(.found == \"found/dump.zip\"))[0] | .verdict == \"container\"" out &&
	test_must_fail --status=1 prov-trace found/readme.txt >out &&
	grep -q "^found/readme.txt: untraced$" out
'

test_expect_success 'prov-fp records on stdin (-) trace as the files do' '
	prov-fp --json found >found.ndjson &&
	test_must_fail --status=1 prov-trace --json - <found.ndjson >a &&
	test_must_fail --status=1 prov-trace --json found >b &&
	test_cmp a b &&
	test_must_fail --status=1 prov-trace --json --records found.ndjson >c &&
	test_cmp a c
'

test_expect_success 'a frame that stayed with the vendor is inside the chain: exit 0' '
	mkdir -p deliv2 &&
	cp "$EXR/TestImages/WideFloatRange.exr" deliv2/ep104_sq030_sh010.0001.exr &&
	prov-fp --json deliv2 | prov-ledger handoff --to redpanda --project ep104 --key studio.key >h3 &&
	cp deliv2/ep104_sq030_sh010.0001.exr kept.exr &&
	prov-trace kept.exr >out 2>err &&
	test_must_be_empty err &&
	grep -q "^kept.exr: in-chain (bytes, 1 artifact)$" out &&
	grep -q "^  last approved custodian: redpanda$" out &&
	! grep -q exit: out
'

test_expect_success 'a revoked approval: the handoff after the revocation leaves the chain' '
	prov-ledger approve kite --project ep104 --key studio.key >a_kite &&
	prov-ledger revoke "$(cat a_kite)" --key studio.key >rev &&
	prov-fp --json deliv2 | prov-ledger handoff --to kite --project ep104 --key redpanda.key >h4 &&
	test_must_fail --status=1 prov-trace --json kept.exr >out &&
	test_json_valid trace.schema.json out &&
	jq -e ".exit.entry == $(cat h4) and .exit.from == \"redpanda\" and .exit.to == \"kite\"
	    and .last_approved == \"redpanda\"
	    and (.exit.reason | test(\"kite holds no active approval\"))" out
'

test_expect_success 'an approval revoked after the handoff still covered it then' '
	prov-ledger revoke 5 --key studio.key >rev5 &&
	test_must_fail --status=1 prov-trace kept.exr >out &&
	grep -q "^  handoff $(cat h3) .* studio -> redpanda \[ep104\]: approved by approval 5 (revoked later by $(cat rev5))$" out
'

test_expect_success 'indicators of an unapproved party in a found copy' '
	exrstdattr -owner "nightowl render farm" deliv2/ep104_sq030_sh010.0001.exr tagged.exr &&
	test_must_fail --status=1 prov-trace --json tagged.exr >out &&
	test_json_valid trace.schema.json out &&
	jq -e ".match.how == \"pixels\" and .unapproved_indicators
	    and (.indicators | map(select(.party == \"nightowl\" and .status == \"unapproved\")) | length > 0)" out &&
	test_must_fail --status=1 prov-trace tagged.exr >out &&
	grep -q "^  indicator owner nightowl render farm (.*): party nightowl, no approval$" out
'

test_expect_success 'hostile names are escaped in text and DOT' '
	mkdir hostile &&
	name=$(printf "x\033[2J\"];evil->x[label=\"\nfake.exr") &&
	cp deliv/ep104/ep104_sq020_sh030.0101.exr "hostile/$name" &&
	test_must_fail --status=1 prov-trace hostile >out 2>err &&
	test "$(wc -l <out)" = 7 &&
	! grep -q "$(printf "\033")" out &&
	grep -q "^\\\\hostile/x\\\\x1b\\[2J\"\\];evil->x\\[label=\"\\\\nfake.exr: left-chain" out &&
	test_must_fail --status=1 prov-trace --dot hostile >g.dot 2>err &&
	test_must_be_empty err &&
	! grep -q "$(printf "\033")" g.dot &&
	dot -Tsvg g.dot >g.svg &&
	dot -Tplain g.dot >g.plain &&
	test "$(grep -c "^node " g.plain)" = 4 &&
	test "$(grep -c "^edge " g.plain)" = 3 &&
	grep -q "\"party:redpanda\" -> \"party:nightowl\" \[label=\"handoff 8 .*color=red, penwidth=3" g.dot &&
	grep -q "label=\"hostile/x\\\\\\\\x1b\\[2J\\\\\"\\];evil" g.dot
'

test_expect_success 'usage and ledger errors exit 2' '
	test_must_fail --status=2 prov-trace >out 2>err &&
	test_must_be_empty out && grep -q "^usage: prov-trace" err &&
	test_must_fail --status=2 prov-trace --pdq-threshold 999 kept.exr >out 2>err &&
	test_must_be_empty out && grep -q "pdq-threshold" err &&
	test_must_fail --status=2 prov-trace --ledger nope.ledger kept.exr >out 2>err &&
	test_must_be_empty out && grep -q "nope.ledger" err &&
	printf "{\"path\": 3}\n" >bad.ndjson &&
	test_must_fail --status=2 prov-trace --records bad.ndjson >out 2>err &&
	test_must_be_empty out && grep -q "bad.ndjson:1: not a prov-fp record" err &&
	prov-trace --help >out && grep -q "^usage: prov-trace" out
'

test_expect_success 'bad corpus files are reported as failed copies, the run goes on' '
	find "$CORPUS/bad" -type f | sort | awk "NR % 40 == 1" >bad.list &&
	test "$(wc -l <bad.list)" -ge 8 &&
	mkdir badcopies &&
	while read -r f; do cp "$f" badcopies/ || return 1; done <bad.list &&
	cp kept.exr badcopies/ &&
	test_must_fail --status=1 prov-trace --json badcopies >out 2>err &&
	test_must_be_empty err &&
	test_json_valid trace.schema.json out &&
	jq -s -e "map(select(.found == \"badcopies/kept.exr\"))[0].match.how == \"bytes\"" out &&
	jq -s -e "map(select(.verdict == \"error\")) | length >= 4" out
'

test_done
