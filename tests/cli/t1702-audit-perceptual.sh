#!/bin/sh
# prov-audit --handoff: a corpus frame re-encoded by ImageMagick (resized,
# JPEG) is judged perceptually the same by the PDQ hashes in the records;
# --pdq-threshold moves the line.
. "$(dirname "$0")/lib.sh"

PROV_LEDGER=$TRASH/studio.ledger
export PROV_LEDGER
FRAMES="$CORPUS/frames/sintel/raft-demo"

test_expect_success 'a handoff of two Sintel frames, recorded with their PDQ hashes' '
	ledger_studio_vendor &&
	mkdir deliv &&
	cp "$FRAMES/frame_0016.png" "$FRAMES/frame_0020.png" deliv/ &&
	prov-ledger handoff --to vendorA --project ep104 --key studio.key deliv >id &&
	test "$(cat id)" = 3 &&
	prov-ledger show 3 --json >e.json &&
	"$PYTHON" -c "
import json, re, sys
arts = json.load(open(\"e.json\"))[\"body\"][\"manifest\"][\"artifacts\"]
sys.exit(not (len(arts) == 2 and all(re.fullmatch(\"[0-9a-f]{64}\", a[\"pdq\"][\"hash\"]) for a in arts)))"
'

test_expect_success 'resized to half and saved as JPEG: perceptually the same, exit 1' '
	convert deliv/frame_0016.png -resize 50% -quality 60 deliv/frame_0016.jpg &&
	rm deliv/frame_0016.png &&
	test_must_fail --status=1 prov-audit --handoff 3 deliv >out 2>err &&
	grep -q "^perceptual	deliv/frame_0016.jpg	was deliv/frame_0016.png	pdq distance [0-9]*$" out &&
	grep -q "^matched	deliv/frame_0020.png$" out &&
	test "$(wc -l <out)" = 3 &&
	grep -q "1 matched, 0 changed, 0 same pixels, 1 perceptually the same, 0 moved, 0 new, 0 missing" err &&
	d=$(sed -n "s/^perceptual.*pdq distance //p" out) &&
	test "$d" -gt 0 && test "$d" -le 31 &&
	echo $((d - 1)) >below
'

test_expect_success '--pdq-threshold below that distance: a new file and a missing one' '
	test_must_fail --status=1 prov-audit --handoff 3 --pdq-threshold "$(cat below)" deliv >out 2>err &&
	grep -q "^new	deliv/frame_0016.jpg$" out &&
	grep -q "^missing	deliv/frame_0016.png$" out &&
	grep -q "0 perceptually the same, 0 moved, 1 new, 1 missing" err
'

test_expect_success 'another frame of the shot in its place is not the same image' '
	rm deliv/frame_0016.jpg &&
	convert "$FRAMES/frame_0025.png" -quality 90 deliv/frame_0016.jpg &&
	test_must_fail --status=1 prov-audit --handoff 3 deliv >out 2>err &&
	grep -q "^new	deliv/frame_0016.jpg$" out &&
	grep -q "^missing	deliv/frame_0016.png$" out
'

test_done
