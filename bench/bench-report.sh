#!/bin/sh
# bench-report.sh: prov-report on a delivery of $N real frames, against
# what a producer would run otherwise to learn the same: prov-fp to
# fingerprint the delivery, prov-trace on the records for the custody, and
# prov-audit for the ledger, one after the other.
#
# The delivery is the first $N (default 200) images of the corpus (frames,
# exr, png, tiff; sorted by path), all handed studio -> vendor in one
# handoff of a fresh ledger, so the report passes.  Each run is timed
# (wall and CPU seconds, peak RSS): prov-report on the directory (fingerprint
# + trace + audit + HTML/Markdown/JSON), prov-report --records (the same
# without fingerprinting), and the three commands separately.  A second
# pass replaces a quarter of the frames by other corpus images the ledger
# never saw, so that they are flagged and their thumbnails decoded.
#
# Environment: BENCH_DIR (scratch), PROV_BIN, PROV_CORPUS, N.
set -u
: "${BENCH_DIR:?}" "${PROV_BIN:?}"
N=${N:-200}
CORPUS=$(cd "${PROV_CORPUS:-../shared/corpus}" && pwd)
PATH=$PROV_BIN:$PATH
dir=$BENCH_DIR/report
rm -rf "$dir" && mkdir -p "$dir/deliv" && cd "$dir" || exit 2
PROV_LEDGER=$dir/bench.ledger
export PROV_LEDGER LC_ALL=C

# run LABEL CMD...: one line of figures (GNU time), the command's output dropped.
run() {
	label=$1
	shift
	/usr/bin/time -f "%e %U %S %M" -o t.out "$@" >/dev/null 2>run.err
	rc=$?
	# GNU time puts "Command exited with non-zero status" first.
	tail -n 1 t.out | awk -v l="$label" -v rc="$rc" \
	    '{ printf "  %-36s %7.2f %7.2f %7.0f  exit %s\n", l, $1, $2 + $3, $4 / 1024, rc }'
	tail -n 1 t.out | awk '{ print $1 }' >>"times.$label_group"
}

find "$CORPUS/frames" "$CORPUS/exr" "$CORPUS/png" "$CORPUS/tiff" -type f \
    \( -name '*.exr' -o -name '*.png' -o -name '*.tif' -o -name '*.tiff' \) | sort | head -n "$N" >list
i=0
while read -r f; do
	i=$((i + 1))
	case $f in *.exr) ext=exr ;; *.png) ext=png ;; *) ext=tif ;; esac
	cp "$f" "deliv/frame_$(printf %05d $i).$ext"
done <list
prov-ledger key generate bench.example/prov -o op.key >op.vkey
prov-ledger key generate studio -o studio.key >studio.vkey
prov-ledger key generate vendor -o vendor.key >vendor.vkey
prov-ledger init --origin bench.example/prov --key op.key >/dev/null
prov-ledger party add studio --role studio --vkey "$(cat studio.vkey)" --key op.key >/dev/null
prov-ledger party add vendor --role vendor --vkey "$(cat vendor.vkey)" --key studio.key >/dev/null
prov-ledger approve vendor --project bench --key studio.key >/dev/null
prov-fp -j 2 --json deliv >deliv.ndjson 2>/dev/null
prov-ledger handoff --to vendor --project bench --key studio.key <deliv.ndjson >/dev/null
echo "delivery: $(ls deliv | wc -l) frames, $(du -sh deliv | cut -f1); ledger: $(prov-ledger log | wc -l) entries"
prov-trace --records deliv.ndjson >/dev/null 2>&1	# the PDQ index file, built once

bench() {
	printf '  %-36s %7s %7s %7s\n' run wall_s cpu_s rss_MB
	label_group=report
	: >times.report
	run "prov-report DIR (+html,md,json)" prov-report -j 2 --html r.html --markdown r.md --json r.json deliv
	run "prov-report --records (1st pass)" prov-report -j 2 --records deliv.ndjson
	label_group=separate
	: >times.separate
	run "prov-fp -j 2 --json" sh -c 'prov-fp -j 2 --json deliv >fp.ndjson'
	run "prov-trace --records" prov-trace -j 2 --records fp.ndjson
	run "prov-audit" prov-audit
	paste -sd+ times.separate | bc >sep.sum
	echo "  ratio: prov-report DIR / (prov-fp + prov-trace + prov-audit) wall = $(echo "scale=2; $(head -n 1 times.report) / $(cat sep.sum)" | bc)"
}
echo "== all frames recorded (the report passes)"
bench
echo "== a quarter of the frames replaced by images the ledger never saw (flagged, thumbnails)"
find "$CORPUS/frames" "$CORPUS/exr" "$CORPUS/png" "$CORPUS/tiff" -type f \
    \( -name '*.exr' -o -name '*.png' -o -name '*.tif' -o -name '*.tiff' \) | sort |
    sed -n "$((N + 1)),\$p" >others
k=0
for f in deliv/*; do
	k=$((k + 1))
	[ $((k % 4)) -eq 0 ] || continue
	o=$(sed -n "$((k / 4))p" others)
	[ -n "$o" ] && cp "$o" "$f"
done
bench
grep -c "<img src=" r.html | sed 's/^/  thumbnails in report.html: /'
