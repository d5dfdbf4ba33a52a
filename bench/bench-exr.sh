#!/bin/sh
# bench-exr.sh: EXR fingerprinting against bare decodes and OpenImageIO.
#
# Generates an animation-like 1920x1080 RGBA half sequence (a gradient, a
# moving checker, per-frame grain) as ZIP, PIZ, DWAA and a 10-channel
# multi-layer ZIP variant, then times, on one core and on two:
#   prov-fp --json                 (decode + pixel hash + PDQ + metadata)
#   bare_exr                       (OpenEXRCore decode only, bench/bare_exr.c)
#   bare_exr_cxx                   (OpenEXR C++ decode only)
#   oiiotool --hash, iinfo --hash  (what a user would otherwise run)
# and prints frames/s and the ratio to the fastest bare decode.  Each figure
# is the best of $REPEAT runs.  Until prov-fp exists, the EXR module is timed
# through `prov-test exr_fp` (same decode and hashing, no byte SHA-256).
#
# Environment: BENCH_DIR (scratch), PROV_BIN, PROV_BENCH_BIN, FRAMES (24),
# REPEAT (2).
set -u
: "${BENCH_DIR:?}" "${PROV_BIN:?}" "${PROV_BENCH_BIN:?}"
FRAMES=${FRAMES:-24}
REPEAT=${REPEAT:-2}
BARE=$PROV_BENCH_BIN/bare_exr
BARECXX=$PROV_BENCH_BIN/bare_exr_cxx
dir=$BENCH_DIR/exr
mkdir -p "$dir" && cd "$dir" || exit 2

if [ -x "$PROV_BIN/prov-fp" ]; then
	FP="$PROV_BIN/prov-fp --json"
	FPJ2="$PROV_BIN/prov-fp --json -j2"
	fpname="prov-fp --json"
else
	helper=$(dirname "$PROV_BENCH_BIN")/tests/prov-test
	[ -x "$helper" ] || { echo "bench-exr: no prov-fp and no $helper" >&2; exit 2; }
	FP="$helper exr_fp"
	FPJ2=""
	fpname="prov-test exr_fp"
fi

# ---------------------------------------------------------------- the frames
if [ ! -f "layers.$(printf %04d "$FRAMES").exr" ]; then
	echo "generating $FRAMES frames x 4 variants in $dir"
	oiiotool --frames "1-$FRAMES" \
		--pattern fill:topleft=0.02,0.05,0.1,1:topright=0.8,0.6,0.3,1:bottomleft=0.1,0.3,0.05,1:bottomright=1.5,1.2,0.9,1 1920x1080 4 \
		--pattern "checker:width=96:height=96:color1=0.05,0.02,0,0:color2=0,0,0,0:offset={FRAME_NUMBER*12},{FRAME_NUMBER*5},0" 1920x1080 4 \
		--add --noise:type=gaussian:mean=0:stddev=0.004:mono=1:seed={FRAME_NUMBER} \
		-d half --compression zip -o zip.#.exr &&
	oiiotool --frames "1-$FRAMES" zip.#.exr -d half --compression piz -o piz.#.exr &&
	oiiotool --frames "1-$FRAMES" zip.#.exr -d half --compression dwaa -o dwaa.#.exr &&
	oiiotool --frames "1-$FRAMES" zip.#.exr \
		--dup --ch R,G,B --chnames diffuse.R,diffuse.G,diffuse.B --mulc 0.5 --chappend \
		--dup --ch R,G,B --chnames specular.R,specular.G,specular.B --mulc 0.25 --chappend \
		-d half --compression zip -o layers.#.exr || exit 2
fi

# best SECONDS of REPEAT runs of a command line (eval'd, output discarded):
# "WALL CPU", CPU being user+system time of it and its children.  On a
# loaded machine the CPU time is the steadier figure for one core.
best() {
	bw=""; bc=""
	i=0
	while [ $i -lt "$REPEAT" ]; do
		/usr/bin/time -f "%e %U %S" -o .time sh -c "$1" >/dev/null 2>&1 ||
			{ echo "bench-exr: failed: $1" >&2; echo "0 0"; return; }
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

# two processes over the two halves of the list
half2() {
	cmd=$1; shift
	n=$#
	h=$(( (n + 1) / 2 ))
	first=$(printf '%s\n' "$@" | head -n "$h" | tr '\n' ' ')
	second=$(printf '%s\n' "$@" | tail -n +"$((h + 1))" | tr '\n' ' ')
	echo "$cmd $first & $cmd $second & wait"
}

printf '%-8s %-22s %10s %9s %8s %8s\n' variant tool "fps/cpu-s" "fps -j2" "ratio1" "ratio2"
for v in zip piz dwaa layers; do
	files=$(ls $v.*.exr | tr '\n' ' ')
	n=$(echo $files | wc -w)
	# one core: CPU time of one process over the whole list
	r_core=$(best "$BARE $files")
	r_cxx=$(best "$BARECXX $files")
	r_fp=$(best "$FP $files")
	r_oiio=$(best "oiiotool --threads 1 -a --hash $files")
	r_iinfo=$(best "iinfo --hash $files")
	# two cores: wall time, two processes (or prov-fp -j2, oiiotool --threads 2)
	r_core2=$(best "$(half2 "$BARE" $files)")
	r_cxx2=$(best "$(half2 "$BARECXX" $files)")
	if [ -n "$FPJ2" ]; then
		r_fp2=$(best "$FPJ2 $files")
	else
		r_fp2=$(best "$(half2 "$FP" $files)")
	fi
	# threads inside one file instead: ours over Core's chunks, the C++ pool
	r_coret=$(best "$BARE -t 2 $files")
	r_cxxt=$(best "$BARECXX -t 2 $files")
	r_oiio2=$(best "oiiotool --threads 2 -a --hash $files")
	r_iinfo2=$(best "$(half2 "iinfo --hash" $files)")
	# the fastest bare decode (Core cannot decode DWA: C++ only there)
	c_core=$(cpu "$r_core"); c_cxx=$(cpu "$r_cxx")
	w_core2=$(wall "$r_core2"); w_cxx2=$(wall "$r_cxx2")
	if [ "$v" = dwaa ]; then fast1=$c_cxx; fast2=$w_cxx2; else
		fast1=$(awk "BEGIN { print ($c_core < $c_cxx) ? $c_core : $c_cxx }")
		fast2=$(awk "BEGIN { print ($w_core2 < $w_cxx2) ? $w_core2 : $w_cxx2 }")
	fi
	for row in "bare OpenEXRCore|$r_core|$r_core2" "bare OpenEXR C++|$r_cxx|$r_cxx2" \
	    "$fpname|$r_fp|$r_fp2" "oiiotool --hash|$r_oiio|$r_oiio2" \
	    "iinfo --hash|$r_iinfo|$r_iinfo2" \
	    "Core, 2 threads/file|$r_coret|$r_coret" "C++, 2 threads/file|$r_cxxt|$r_cxxt"; do
		name=${row%%|*}; rest=${row#*|}; a=$(cpu "${rest%%|*}"); b=$(wall "${rest#*|}")
		case $name in *threads/file)
			[ "$v" = dwaa ] && [ "$name" != "${name#Core}" ] && continue
			printf '%-8s %-22s %10s %9s %8s %8s\n' $v "$name" "" "$(fps $n $b)" "" \
			    "$(awk "BEGIN { printf \"%.2fx\", $b / $fast2 }")"
			continue ;;
		esac
		if [ "$v" = dwaa ] && [ "$name" = "bare OpenEXRCore" ]; then
			printf '%-8s %-22s %10s\n' $v "$name" "(no DWA)"
			continue
		fi
		printf '%-8s %-22s %10s %9s %8s %8s\n' $v "$name" "$(fps $n $a)" "$(fps $n $b)" \
		    "$(awk "BEGIN { printf \"%.2fx\", $a / $fast1 }")" \
		    "$(awk "BEGIN { printf \"%.2fx\", $b / $fast2 }")"
	done
done
echo "(fps/cpu-s: frames per CPU-second of one process; fps -j2: frames per wall second"
echo " with two workers, or one process decoding each file on two threads;"
echo " ratio: against the fastest bare decode of the variant)"

# start-up: one small frame, called once per frame as a farm job would
small=$(ls zip.*.exr | head -n 1)
oiiotool "$small" --resize 64x36 -d half --compression zip -o tiny.exr >/dev/null 2>&1
calls=20
t_fpc=$(wall "$(best "i=0; while [ \$i -lt $calls ]; do $FP tiny.exr; i=\$((i+1)); done")")
t_oiioc=$(wall "$(best "i=0; while [ \$i -lt 5 ]; do oiiotool tiny.exr --hash; i=\$((i+1)); done")")
awk "BEGIN { printf \"start-up, one 64x36 frame per call: %s %.1f ms/call, oiiotool --hash %.1f ms/call (%.0fx)\n\", \"$fpname\", 1000 * $t_fpc / $calls, 1000 * $t_oiioc / 5, ($t_oiioc / 5) / ($t_fpc / $calls) }"
