#!/bin/sh
# bench-audit.sh: prov-audit on a large ledger, and a files audit of a delivery.
#
#   1. A ledger of $AUDIT_N entries (default 10^5; AUDIT_N=1000000 for the
#      full figure) of signed handoffs, with a checkpoint: built by
#      `prov-test ledger_fill` (one transaction each), or with GEN=1 by
#      bench/gen-ledger.py (the same handoffs signed by Python) and
#      `prov-ledger import` (much faster to build at 10^6).  Timed with
#      /usr/bin/time (wall, CPU, peak resident memory): `prov-audit --ledger`
#      (every signature, sequence number and the tree recomputed from the
#      entries, the stored checkpoint), `prov-audit --export` of its NDJSON
#      export, from a file and from stdin, and what a user would otherwise
#      run: the root recomputed from the export by tests/merkle_root.py
#      (Python hashlib; no signatures, no sequence checks, so it does less),
#      `sqlite3 ... count(*)` (reading the file, nothing checked), and the
#      floor: $AUDIT_N Ed25519 verifications at `openssl speed`'s rate,
#      shared by every core.
#   2. A delivery of $FILES frames (default 10^4): 128x109 PNG tiles cut
#      by ImageMagick from the Sintel corpus frames (rolled by a few pixels
#      per round so that every tile is different), recorded in a handoff by
#      `prov-ledger handoff DIR`; a few files are then renamed, edited and
#      removed.  `prov-audit --handoff ID DIR` against `hashdeep -a -k`
#      (sha256 only) with the known-hashes file made from the delivery as it
#      was sent.  hashdeep uses every core by default; `-j0` is also shown.
#   3. The same delivery zipped (members audited against the directory's
#      handoff, then against a handoff of the zip itself, which records the
#      zip and each member), and every frame re-encoded as JPEG under
#      another name (each paired through the perceptual pass, from prov-fp
#      records made once).
#   4. $PDQ_N (default 10^4) records with synthetic PDQ hashes against a
#      manifest of as many: the perceptual pairing alone, at scale.
#
# PA_BEFORE=PATH: also time that (older) prov-audit on the all-JPEG delivery.
# LEDGER_FROM=FILE: audit a copy of that ledger (operator key in op.key
# beside it) instead of filling one; AUDIT_N=0 skips part 1, FILES=0 parts 2
# and 3, PDQ_N=0 part 4.
# Environment: BENCH_DIR (scratch), PROV_BIN, PROV_BENCH_BIN, AUDIT_N, FILES,
# LEDGER_FROM, GEN.
set -u
: "${BENCH_DIR:?}" "${PROV_BIN:?}" "${PROV_BENCH_BIN:?}"
AUDIT_N=${AUDIT_N:-100000}
FILES=${FILES:-10000}
PDQ_N=${PDQ_N:-10000}
PL=$PROV_BIN/prov-ledger
PA=$PROV_BIN/prov-audit
HELPER=$(dirname "$PROV_BENCH_BIN")/tests/prov-test
ROOTPY=$(pwd)/tests/merkle_root.py
GL=$(pwd)/bench/gen-ledger.py
CORPUS=${PROV_CORPUS:-$(pwd)/../shared/corpus}
if [ ! -x "$HELPER" ]; then
	make "$(realpath --relative-to=. "$(dirname "$PROV_BENCH_BIN")")/tests/prov-test" >/dev/null ||
	    { echo "bench-audit: cannot build $HELPER" >&2; exit 2; }
fi
dir=$BENCH_DIR/audit
rm -rf "$dir" && mkdir -p "$dir" && cd "$dir" || exit 2

# t LABEL STATUS CMD...: runs CMD (which must exit STATUS), prints wall and
# CPU seconds and the peak resident set; stdout to $dir/out.
t() {
	label=$1
	want=$2
	shift 2
	/usr/bin/time -f "%e %U %S %M" -o time.txt "$@" >out 2>err
	got=$?
	if [ "$got" != "$want" ]; then
		echo "$label: exit $got, not $want" >&2
		cat err >&2
		exit 2
	fi
	tail -n 1 time.txt | { read -r w u s m; echo "$w $u $s $m" >time.txt; }
	read -r wall user sys rss <time.txt
	last_cpu=$(echo "$user + $sys" | bc)
	printf '%-44s %8.2f s wall %8.2f s cpu %8d MiB peak\n' "$label" "$wall" \
	    "$last_cpu" $((rss / 1024))
	last_wall=$wall
}

echo "-- load: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
if [ "$AUDIT_N" != 0 ] || [ -n "${LEDGER_FROM:-}" ]; then
if [ -n "${LEDGER_FROM:-}" ]; then
	sqlite3 "$LEDGER_FROM" ".backup big.ledger" && cp "$(dirname "$LEDGER_FROM")/op.key" op.key ||
	    exit 2
	AUDIT_N=$(sqlite3 big.ledger "SELECT count(*) FROM entries")
	echo "-- a ledger of $AUDIT_N entries (copied from $LEDGER_FROM)"
elif [ "${GEN:-0}" = 1 ]; then
	echo "-- a ledger of $AUDIT_N entries (gen-ledger.py, prov-ledger import)"
	export PROV_LEDGER=$dir/head.ledger
	"$PL" key generate bench.example/prov -o op.key >/dev/null &&
	"$PL" key generate studio -o gstudio.key >gstudio.vkey &&
	"$PL" key generate vendor -o gvendor.key >gvendor.vkey &&
	"$PL" init --origin bench.example/prov --key op.key >/dev/null &&
	"$PL" party add studio --role studio --vkey "$(cat gstudio.vkey)" --key op.key >/dev/null &&
	"$PL" party add vendor --role vendor --vkey "$(cat gvendor.vkey)" --key gstudio.key >/dev/null &&
	"$PL" approve vendor --project ep104 --key gstudio.key >/dev/null &&
	"$PL" export >head.ndjson || exit 2
	t "gen-ledger.py $AUDIT_N (Python signs)" 0 sh -c \
	    "python3 '$GL' gstudio.key studio $AUDIT_N vendor ep104 <head.ndjson >gen.ndjson"
	t "prov-ledger import" 0 sh -c "'$PL' --ledger big.ledger import <gen.ndjson"
	rm -f gen.ndjson
else
	echo "-- a ledger of $AUDIT_N entries"
	t "prov-test ledger_fill $AUDIT_N" 0 "$HELPER" ledger_fill big.ledger op.key "$AUDIT_N" \
	    $((AUDIT_N / 5 > 0 ? AUDIT_N / 5 : 1))
fi
export PROV_LEDGER=$dir/big.ledger
t "prov-ledger checkpoint" 0 "$PL" checkpoint --key op.key
t "prov-ledger export" 0 "$PL" export
mv out export.ndjson
t "prov-audit --ledger (full audit)" 0 "$PA" --ledger big.ledger
sed 's/^/    /' out
audit=$last_wall
audit_cpu=$last_cpu
t "prov-audit --export (the NDJSON export)" 0 "$PA" --export export.ndjson
t "prov-audit --export - (from stdin)" 0 sh -c "'$PA' --export - <export.ndjson"
t "merkle_root.py of the export (reference)" 0 python3 "$ROOTPY" export.ndjson
py=$last_wall
t "sqlite3 count(*) (reads, checks nothing)" 0 sqlite3 big.ledger \
    "SELECT count(*), sum(length(bytes)) FROM entries"
vps=$(openssl speed -seconds 2 ed25519 2>/dev/null | awk '/Ed25519/ { print $NF }')
printf '%-44s %8.0f verify/s on one core\n' "openssl speed ed25519" "${vps:-0}"
printf '%-44s %8.1f us per entry (%.1f us cpu)\n' "full audit" \
    "$(echo "$audit * 1000000 / $AUDIT_N" | bc -l)" "$(echo "$audit_cpu * 1000000 / $AUDIT_N" | bc -l)"
if [ -n "$vps" ]; then
	printf '%-44s %8.2f s wall on %d cores, %.2f s cpu\n' "floor: the Ed25519 verifications alone" \
	    "$(echo "$AUDIT_N / $vps / $(nproc)" | bc -l)" "$(nproc)" "$(echo "$AUDIT_N / $vps" | bc -l)"
	printf '%-44s %8.2fx\n' "full audit cpu / floor cpu" "$(echo "$audit_cpu / ($AUDIT_N / $vps)" | bc -l)"
fi
printf '%-44s %8.2fx\n' "full audit / python root (no signatures)" "$(echo "$audit / $py" | bc -l)"
unset PROV_LEDGER
fi
[ "$FILES" = 0 ] && [ "$PDQ_N" = 0 ] && exit 0

if [ "$PDQ_N" != 0 ]; then
echo "-- the perceptual pairing of $PDQ_N files, from records with synthetic PDQ hashes"
# A manifest of $PDQ_N records with random PDQ hashes, and as many found
# records under other names and bytes, each 1..24 bits from one manifest
# hash: every pair is made by the perceptual pass.  Only the comparison
# is timed (the records are given with --records).
export PROV_LEDGER=$dir/pdq.ledger
"$PL" key generate pdq.example/prov -o pop.key >/dev/null &&
"$PL" key generate studio -o pstudio.key >pstudio.vkey &&
"$PL" key generate vendor -o pvendor.key >pvendor.vkey &&
"$PL" init --origin pdq.example/prov --key pop.key >/dev/null &&
"$PL" party add studio --role studio --vkey "$(cat pstudio.vkey)" --key pop.key >/dev/null &&
"$PL" party add vendor --role vendor --vkey "$(cat pvendor.vkey)" --key pstudio.key >/dev/null ||
    exit 2
python3 - "$PDQ_N" <<'PY' || exit 2
import json, random, sys
n = int(sys.argv[1])
r = random.Random(6)
with open("pdq-manifest.ndjson", "w") as m, open("pdq-found.ndjson", "w") as f:
    for i in range(n):
        h = r.getrandbits(256)
        rec = {"path": "deliv/f%06d.png" % i, "sha256": "%064x" % (2 * i), "pdq": {"hash": "%064x" % h, "quality": 100}}
        m.write(json.dumps(rec) + "\n")
        for b in r.sample(range(256), r.randint(1, 24)):
            h ^= 1 << b
        rec = {"path": "found/g%06d.jpg" % i, "sha256": "%064x" % (2 * i + 1), "pdq": {"hash": "%064x" % h, "quality": 100}}
        f.write(json.dumps(rec) + "\n")
PY
"$PL" handoff --to vendor --project ep104 --key pstudio.key <pdq-manifest.ndjson >pid || exit 2
t "prov-audit --records (PDQ index)" 1 "$PA" --handoff "$(cat pid)" --records pdq-found.ndjson
tail -n 1 err | sed 's/^/    /'
idx=$last_wall
if [ -n "${PA_BEFORE:-}" ]; then
	t "  the same by PA_BEFORE (linear scan)" 1 "$PA_BEFORE" --handoff "$(cat pid)" --records pdq-found.ndjson
	tail -n 1 err | sed 's/^/    /'
	printf '%-44s %8.2fx\n' "linear scan / index" "$(echo "$last_wall / $idx" | bc -l)"
fi
unset PROV_LEDGER
fi
[ "$FILES" = 0 ] && exit 0

echo "-- a files audit of a delivery of $FILES frames"
mkdir src deliv || exit 2
find "$CORPUS/frames" -name '*.png' | sort >frames.txt
nframes=$(wc -l <frames.txt)
[ "$nframes" -gt 0 ] || { echo "bench-audit: no corpus frames" >&2; exit 2; }
round=0
made=0
while [ "$made" -lt "$FILES" ]; do
	i=0
	while read -r f; do
		i=$((i + 1))
		convert "$f" -roll +$((round * 7))+$((round * 3)) -crop 128x109 +repage \
		    "src/r${round}_f${i}_%02d.png" || exit 2
	done <frames.txt
	round=$((round + 1))
	made=$(ls src | wc -l)
done
ls src | sort | head -n "$FILES" | while read -r f; do mv "src/$f" deliv/; done
rm -rf src
printf '%-44s %8d files, %d bytes\n' "delivery" "$(ls deliv | wc -l)" "$(du -sb deliv | cut -f1)"
export PROV_LEDGER=$dir/files.ledger
"$PL" key generate files.example/prov -o fop.key >/dev/null &&
"$PL" key generate studio -o studio.key >studio.vkey &&
"$PL" key generate vendor -o vendor.key >vendor.vkey &&
"$PL" init --origin files.example/prov --key fop.key >/dev/null &&
"$PL" party add studio --role studio --vkey "$(cat studio.vkey)" --key fop.key >/dev/null &&
"$PL" party add vendor --role vendor --vkey "$(cat vendor.vkey)" --key studio.key >/dev/null &&
"$PL" approve vendor --project ep104 --key studio.key >/dev/null || exit 2
t "prov-ledger handoff DIR (fingerprints)" 0 "$PL" handoff --to vendor --project ep104 --key studio.key deliv
id=$(cat out)
t "hashdeep -c sha256 -r -l (known hashes)" 0 hashdeep -c sha256 -r -l deliv
mv out known.txt
# the delivery as it arrived: 10 renamed, 5 with a byte appended (same
# pixels), 5 overwritten by another tile (changed), 10 removed
ls deliv | head -n 31 >changed.txt
sed -n 1,10p changed.txt | while read -r f; do mv "deliv/$f" "deliv/renamed_$f"; done
sed -n 11,15p changed.txt | while read -r f; do printf x >>"deliv/$f"; done
sed -n 16,20p changed.txt | while read -r f; do cp "deliv/$(sed -n 31p changed.txt)" "deliv/$f"; done
sed -n 21,30p changed.txt | while read -r f; do rm "deliv/$f"; done
t "prov-audit --handoff ID DIR" 1 "$PA" --handoff "$id" deliv
pa=$last_wall
tail -n 1 err | sed 's/^/    /'
t "hashdeep -c sha256 -a -k (audit)" 1 hashdeep -c sha256 -a -k known.txt -r -l deliv
hd=$last_wall
t "hashdeep -c sha256 -a -k -j0 (one thread)" 1 hashdeep -j0 -c sha256 -a -k known.txt -r -l deliv
hd0=$last_wall
t "hashdeep -c sha256 -a -vv (names each file)" 1 hashdeep -vv -c sha256 -a -k known.txt -r -l deliv
printf '%-44s %8.2fx (%.2fx against one thread)\n' "prov-audit / hashdeep -a" \
    "$(echo "$pa / $hd" | bc -l)" "$(echo "$pa / $hd0" | bc -l)"
t "prov-audit -j 2 --handoff ID DIR" 1 "$PA" -j 2 --handoff "$id" deliv

echo "-- the same delivery as a zip, and re-encoded"
(cd deliv && zip -q -0 -r ../deliv.zip .) || exit 2
t "prov-audit --handoff ID deliv.zip (members)" 1 "$PA" --handoff "$id" deliv.zip
tail -n 1 err | sed 's/^/    /'
# A handoff of the zip itself records the zip and every member; the
# audit of the same zip then matches it member by member.  hashdeep has
# no view inside an archive: it can only hash the zip as one file.
t "prov-ledger handoff deliv.zip (zip + members)" 0 "$PL" handoff --to vendor --project ep104 \
    --key studio.key deliv.zip
zid=$(cat out)
t "prov-audit --handoff ZIPID deliv.zip" 0 "$PA" --handoff "$zid" deliv.zip
tail -n 1 err | sed 's/^/    /'
# Every frame as a JPEG under another name: nothing pairs by name, bytes or
# pixels, so each one goes through the perceptual pairing, the worst case
# for it.  The records are made once (prov-fp), so the timings below are
# the audit's own comparison.
mkdir jpg && mogrify -path jpg -format jpg -quality 90 deliv/*.png || exit 2
"$PROV_BIN/prov-fp" --json jpg >jpg.ndjson || exit 2
t "prov-audit --records (all JPEG, PDQ index)" 1 "$PA" --handoff "$id" --records jpg.ndjson
tail -n 1 err | sed 's/^/    /'
idx=$last_wall
# PA_BEFORE=path of an older prov-audit (the linear perceptual scan) to
# compare with.
if [ -n "${PA_BEFORE:-}" ]; then
	t "  the same by $PA_BEFORE" 1 "$PA_BEFORE" --handoff "$id" --records jpg.ndjson
	tail -n 1 err | sed 's/^/    /'
	printf '%-44s %8.2fx\n' "linear scan / index" "$(echo "$last_wall / $idx" | bc -l)"
fi
