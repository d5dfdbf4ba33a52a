#!/bin/sh
# demo.sh: the demo pipeline (see README.md).
#
# Fingerprints a handful of frames from the shared corpus and an archive
# of them made here (members are read from inside the archive, never
# extracted), then shows the records as text and as NDJSON.
set -eu
: "${PROV_BIN:?PROV_BIN must name the directory of the built tools}"
CORPUS=${PROV_CORPUS:-$(cd "$(dirname "$0")/../.." && pwd)/shared/corpus}
work=$(mktemp -d "${TMPDIR:-/tmp}/prov-demo-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

frames=$(find "$CORPUS/frames" -name '*.png' | sort | head -n 4)
mkdir "$work/delivery"
for f in $frames; do cp "$f" "$work/delivery/"; done
(cd "$work" && zip -q -r delivery.zip delivery)

cd "$work"
echo "== prov-fp: the delivery folder and its zip (sha256, kind, path)"
"$PROV_BIN/prov-fp" delivery delivery.zip
echo
echo "== prov-fp --json on the zip (one NDJSON record per line)"
"$PROV_BIN/prov-fp" --json delivery.zip
echo
echo "== prov-fp --sum, checked by sha256sum -c"
"$PROV_BIN/prov-fp" --sum delivery >delivery.sha256
sha256sum -c delivery.sha256
