#!/bin/sh
# demo.sh: the demo pipeline, on a SQLite ledger.
#
# A studio hands episode 104 frames to its vendor; the vendor hands them on
# to a subcontractor its approval allows, who passes them to a studio nobody
# approved.  Copies turn up on an open server, renamed and re-encoded.  The
# ledger records every handoff (the last one flagged as outside the approved
# chain), the found copies are matched to the handoff they left through, an
# auditor verifies the ledger and cosigns its checkpoint, and the producer's
# report on the delivery says it must not go out again.
#
# Environment: PROV_BIN (the built commands), PROV_CORPUS (real frames),
# DEMO_DIR (where the run's files go, default build/demo).
set -eu
: "${PROV_BIN:?PROV_BIN must name the directory of the built commands}"
CORPUS=$(cd "${PROV_CORPUS:-../shared/corpus}" && pwd)
PATH=$PROV_BIN:$PATH
DEMO_DIR=${DEMO_DIR:-build/demo}
rm -rf "$DEMO_DIR"
mkdir -p "$DEMO_DIR"
cd "$DEMO_DIR"
PROV_LEDGER=$PWD/studio.ledger
export PROV_LEDGER LC_ALL=C

step() { printf '\n== %s\n' "$*"; }

step "keys: the ledger operator, the studio, a vendor, two subcontractors, an auditor"
prov-ledger key generate studio.example/prov -o operator.key >operator.vkey
prov-ledger key generate studio -o studio.key >studio.vkey
prov-ledger key generate redpanda -o redpanda.key >redpanda.vkey
prov-ledger key generate kite -o kite.key >kite.vkey
prov-ledger key generate nightowl -o nightowl.key >nightowl.vkey
prov-ledger key generate auditor.example/witness -o auditor.key --cosigner >auditor.vkey
cat operator.vkey redpanda.vkey

step "the ledger: parties and approvals (redpanda may hand ep104 on to kite)"
prov-ledger init --origin studio.example/prov --key operator.key
prov-ledger party add studio --role studio --vkey "$(cat studio.vkey)" --key operator.key >/dev/null
prov-ledger party add redpanda --role vendor --vkey "$(cat redpanda.vkey)" --key studio.key >/dev/null
prov-ledger party add kite --role subcontractor --vkey "$(cat kite.vkey)" --key studio.key >/dev/null
prov-ledger party add nightowl --role subcontractor --vkey "$(cat nightowl.vkey)" --key studio.key >/dev/null
prov-ledger approve redpanda --project ep104 --may-delegate-to kite --key studio.key >/dev/null
prov-ledger approve kite --project ep104 --key studio.key >/dev/null

step "the delivery: comp frames of ep104 sq020 sh030, fingerprinted"
shot=delivery/ep104/sq020/sh030/comp/v003
mkdir -p "$shot"
n=101
for f in openexr/comp_piz.exr openexr-images/ScanLines/Carrots.exr \
    openexr-images/TestImages/GammaChart.exr openexr-images/ScanLines/Cannon.exr; do
	cp "$CORPUS/exr/$f" "$shot/ep104_sq020_sh030_comp_v003.0$n.exr"
	n=$((n + 1))
done
prov-fp --json delivery >delivery.ndjson
prov-fp delivery

step "handoffs: studio -> redpanda -> kite -> nightowl"
h1=$(prov-ledger handoff --to redpanda --project ep104 --note "ep104 comp, sh030" --key studio.key <delivery.ndjson)
prov-fp --json delivery >arrived.ndjson	# what the vendor found on arrival
prov-ledger receipt "$h1" --key redpanda.key <arrived.ndjson >/dev/null
h2=$(prov-ledger handoff --to kite --project ep104 --key redpanda.key <delivery.ndjson)
h3=$(prov-ledger handoff --to nightowl --project ep104 --key kite.key <delivery.ndjson)
prov-ledger log

step "the checkpoint the auditor keeps"
prov-ledger checkpoint --key operator.key | tee checkpoint.saved

step "found on an open server: renamed and re-encoded copies"
mkdir -p found/ep104
cp "$shot/ep104_sq020_sh030_comp_v003.0101.exr" found/ep104/shot30_0101.exr
exrmaketiled -z zip "$shot/ep104_sq020_sh030_comp_v003.0102.exr" found/ep104/shot30_0102_tiled.exr >/dev/null
cp "$shot/ep104_sq020_sh030_comp_v003.0103.exr" found/ep104/
# an 8-bit JPEG preview at half size: other bytes, other pixels, same picture
convert "$shot/ep104_sq020_sh030_comp_v003.0104.exr" -colorspace sRGB -resize 50% \
	found/ep104/preview_0104.jpg
prov-fp --json found >found.ndjson
prov-ledger sighting --where "http://files.nightowl.example/ep104/" --key studio.key <found.ndjson >/dev/null

step "perceptual matches of the found files among every artifact in the ledger"
prov-ledger match <found.ndjson | grep -v "(sighting"

step "which handoff did they leave through? the found files against handoff $h3 (kite -> nightowl)"
prov-audit -q --handoff "$h3" --records found.ndjson 2>&1 | grep -v "^OK" || true
prov-ledger log | grep "kite -> nightowl"

step "the auditor: verify everything, prove the saved checkpoint is extended, cosign"
prov-ledger checkpoint --key operator.key >/dev/null
prov-audit --checkpoint checkpoint.saved --key operator.vkey --cosign auditor.key -o cosigned.checkpoint
cat cosigned.checkpoint

step "the producer's report on the delivery, before sending it out again"
# Exit 1: its frames went kite -> nightowl, which no approval covers.
prov-report --html report.html --markdown report.md --json report.json delivery ||
	echo "prov-report: exit $?: the delivery must not go out (report.html)"

step "done: the files are in $DEMO_DIR"
