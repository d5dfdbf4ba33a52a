#!/bin/sh
# bench-raster.sh: PNG, TIFF and JPEG fingerprinting against bare decodes
# and OpenImageIO.
#
# Makes FRAMES 1920x1080 16-bit RGB frames from the Sintel frames of the
# corpus (scaled with ImageMagick), as PNG and as LZW TIFF, and 8-bit
# quality-90 JPEG copies of them (cjpeg), then times, on
# one core (CPU seconds of one process over all frames) and on two (wall
# time, prov-fp -j2 or two processes):
#   prov-fp --json      (decode + pixel hash + PDQ + metadata)
#   bare_png, bare_tiff, bare_jpeg
#                       (libpng / libtiff / libjpeg-turbo decode only,
#                       bench/bare_*.c)
#   oiiotool --hash     (what a user would otherwise run)
# and prints frames/s and the ratio to the bare decode.  Each figure is the
# best of $REPEAT runs.  Until prov-fp exists, the modules are timed through
# `prov-test raster_fp` (same decode and hashing, no byte SHA-256).
#
# Environment: BENCH_DIR (scratch), PROV_BIN, PROV_BENCH_BIN, FRAMES (24),
# REPEAT (2).
set -u
: "${BENCH_DIR:?}" "${PROV_BIN:?}" "${PROV_BENCH_BIN:?}"
FRAMES=${FRAMES:-24}
REPEAT=${REPEAT:-2}
CORPUS=${PROV_CORPUS:-$(cd "$(dirname "$0")/../../shared/corpus" 2>/dev/null && pwd)}
dir=$BENCH_DIR/raster
mkdir -p "$dir" && cd "$dir" || exit 2

if [ -x "$PROV_BIN/prov-fp" ]; then
	FP="$PROV_BIN/prov-fp --json"
	FPJ2="$PROV_BIN/prov-fp --json -j2"
	fpname="prov-fp --json"
else
	helper=$(dirname "$PROV_BENCH_BIN")/tests/prov-test
	[ -x "$helper" ] || { echo "bench-raster: no prov-fp and no $helper" >&2; exit 2; }
	FP="$helper raster_fp"
	FPJ2=""
	fpname="prov-test raster_fp"
fi

# glibc serves each new multi-megabyte channel buffer from a fresh mmap, so
# a frame would pay page faults for its planes; libprov keeps a thread's
# planes for its next image (libprov/image.c), as the bare decoders reuse
# one buffer.  The "+ malloc tunables" row keeps big blocks on the heap, as
# mallopt(M_MMAP_THRESHOLD) in a tool would: it should gain nothing now.
TUNED="GLIBC_TUNABLES=glibc.malloc.mmap_threshold=67108864:glibc.malloc.trim_threshold=268435456"

# ---------------------------------------------------------------- the frames
last=$(printf %04d "$FRAMES")
if [ ! -f "f8.$last.jpg" ]; then
	echo "generating $FRAMES frames as 16-bit PNG, LZW TIFF and JPEG in $dir"
	src=$(find "$CORPUS/frames/sintel" -name "*.png" | sort)
	[ -n "$src" ] || { echo "bench-raster: no Sintel frames under $CORPUS" >&2; exit 2; }
	i=1
	while [ $i -le "$FRAMES" ]; do
		for s in $src; do
			[ $i -le "$FRAMES" ] || break
			n=$(printf %04d $i)
			convert "$s" -resize '1920x1080!' -depth 16 PNG48:"f16.$n.png" &&
			convert "f16.$n.png" -depth 16 -compress LZW "f16.$n.tif" &&
			convert "f16.$n.png" -depth 8 ppm:- | cjpeg -quality 90 >"f8.$n.jpg" || exit 2
			i=$((i + 1))
		done
	done
fi

best() {
	bw=""; bc=""
	i=0
	while [ $i -lt "$REPEAT" ]; do
		/usr/bin/time -f "%e %U %S" -o .time sh -c "$1" >/dev/null 2>&1 ||
			{ echo "bench-raster: failed: $1" >&2; echo "0 0"; return; }
		w=$(awk '{ print $1 }' .time | tail -n 1)
		c=$(awk '{ print $2 + $3 }' .time | tail -n 1)
		if [ -z "$bw" ] || awk "BEGIN { exit !($w < $bw) }"; then bw=$w; fi
		if [ -z "$bc" ] || awk "BEGIN { exit !($c < $bc) }"; then bc=$c; fi
		i=$((i + 1))
	done
	echo "$bw $bc"
}
wall() { echo "${1% *}"; }
cpu() { echo "${1#* }"; }
fps() { awk "BEGIN { if ($2 > 0) printf \"%6.1f\", $1 / $2; else printf \"   n/a\" }"; }
ratio() { awk "BEGIN { if ($2 > 0) printf \"%5.2fx\", $1 / $2; else printf \"  n/a\" }"; }
half2() {
	cmd=$1; shift
	h=$(( ($# + 1) / 2 ))
	first=$(printf '%s\n' "$@" | head -n "$h" | tr '\n' ' ')
	second=$(printf '%s\n' "$@" | tail -n +"$((h + 1))" | tr '\n' ' ')
	echo "$cmd $first & $cmd $second & wait"
}

printf '%-6s %-22s %10s %9s %8s %8s\n' format tool "fps/cpu-s" "fps -j2" ratio1 ratio2
for v in png tif jpg; do
	files=$(ls f*.*.$v | tr '\n' ' ')
	n=$(echo $files | wc -w)
	case $v in
	png) BARE=$PROV_BENCH_BIN/bare_png; lib=libpng ;;
	tif) BARE=$PROV_BENCH_BIN/bare_tiff; lib=libtiff ;;
	jpg) BARE=$PROV_BENCH_BIN/bare_jpeg; lib=libjpeg-turbo ;;
	esac
	r_bare=$(best "$BARE $files")
	r_fp=$(best "$FP $files")
	r_oiio=$(best "oiiotool --threads 1 -a --hash $files")
	r_bare2=$(best "$(half2 "$BARE" $files)")
	if [ -n "$FPJ2" ]; then r_fp2=$(best "$FPJ2 $files"); else r_fp2=$(best "$(half2 "$FP" $files)"); fi
	r_oiio2=$(best "oiiotool --threads 2 -a --hash $files")
	r_fpt=$(best "$TUNED $FP $files")
	if [ -n "$FPJ2" ]; then r_fpt2=$(best "$TUNED $FPJ2 $files"); else r_fpt2=$(best "$(half2 "$TUNED $FP" $files)"); fi
	b1=$(cpu "$r_bare"); b2=$(wall "$r_bare2")
	for row in "bare $lib|$r_bare|$r_bare2" "$fpname|$r_fp|$r_fp2" \
	    "  + malloc tunables|$r_fpt|$r_fpt2" "oiiotool --hash|$r_oiio|$r_oiio2"; do
		name=${row%%|*}; rest=${row#*|}; a=$(cpu "${rest%%|*}"); b=$(wall "${rest#*|}")
		printf '%-6s %-22s %10s %9s %8s %8s\n' "$v" "$name" "$(fps "$n" "$a")" \
		    "$(fps "$n" "$b")" "$(ratio "$a" "$b1")" "$(ratio "$b" "$b2")"
	done
done
# Start-up: farm jobs call the tool once per frame.  CPU milliseconds per
# call of a run that does nothing else, and per call on one JPEG frame.
per_call() {
	r=$(best "i=0; while [ \$i -lt 10 ]; do $1; i=\$((i + 1)); done")
	awk "BEGIN { printf \"%7.1f ms\", $(cpu "$r") * 100 }"
}
one=$(ls f8.*.jpg | head -n 1)
if [ -x "$PROV_BIN/prov-fp" ]; then
	printf 'start-up, CPU per call: prov-fp --version %s, prov-fp --json (1 JPEG) %s,\n' \
	    "$(per_call "$PROV_BIN/prov-fp --version")" "$(per_call "$PROV_BIN/prov-fp --json $one")"
	printf '                        oiiotool --version %s, oiiotool --hash (1 JPEG) %s\n' \
	    "$(per_call "oiiotool --version")" "$(per_call "oiiotool --hash $one")"
fi
echo "(ratio: time against the bare decode; 1 core = CPU seconds, -j2 = wall seconds;"
echo " load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
