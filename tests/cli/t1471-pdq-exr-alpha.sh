#!/bin/sh
# Carrots.exr against its ImageMagick exports (schemas/pdq-v1.md 8): the
# file's alpha is 0 at every pixel while R, G, B hold the picture.  prov
# ignores alpha (as the PDQ reference does), so an export that drops alpha
# lands on prov's hash; an export that composites with that alpha is a
# blank frame, whose hash has quality 0 and is ~128 bits from anything.
. "$(dirname "$0")/lib.sh"

C=$CORPUS/exr/openexr-images/ScanLines/Carrots.exr

# hash FILE: "<hash> <quality>" of the file's primary image.
hash() {
	prov-test pdq_fp "$1" >h.tsv 2>h.err && test_must_be_empty h.err &&
	awk -F'\t' '$2 == "0" { print $3, $4 }' h.tsv
}
# dist FILE: the distance of FILE's hash to Carrots.exr's, and its quality.
dist() {
	set -- "$(hash "$1")" &&
	echo "$(prov-test pdq_distance "$(cut -d" " -f1 exr)" "${1% *}") ${1#* }"
}

test_expect_success 'the alpha channel is 0 everywhere, the colour is not' '
	oiiotool -v --stats "$C" >stats 2>&1 &&
	grep -q "channel list: R, G, B, A$" stats &&
	grep -q "Stats Max: 0.96[0-9]* 0.96[0-9]* 0.88[0-9]* 0.000000 (float)$" stats &&
	hash "$C" >exr &&
	test "$(cut -d" " -f2 exr)" = 100
'

test_expect_success 'exports without alpha: at most a few bits away' '
	convert "$C" -colorspace sRGB -depth 8 -alpha off im.png &&
	convert "$C" im.jpg &&
	oiiotool "$C" --ch R,G,B --colorconvert linear sRGB -d uint8 -o oiio.png &&
	echo "0 100" >expect &&
	dist im.png >got && test_cmp expect got &&
	dist oiio.png >got && test_cmp expect got &&
	dist im.jpg >got &&
	test "$(cut -d" " -f1 got)" -le 8 && test "$(cut -d" " -f2 got)" = 100
'

test_expect_success 'a linear 8-bit export (no sRGB curve) stays within the threshold' '
	convert "$C" -alpha off -depth 8 lin.png &&
	dist lin.png >got &&
	test "$(cut -d" " -f1 got)" -gt 8 && test "$(cut -d" " -f1 got)" -le 31
'

test_expect_success 'exports composited with the zero alpha are blank: quality 0, far away' '
	convert "$C" -flatten flat.jpg &&
	convert "$C" -background black -alpha remove black.png &&
	dist flat.jpg >got && test "$(cut -d" " -f2 got)" = 0 &&
	test "$(cut -d" " -f1 got)" -gt 100 &&
	dist black.png >got &&
	echo "$(hash "$C" | cut -d" " -f1 | "$PYTHON" -c "import sys; print(bin(int(sys.stdin.read(), 16)).count(\"1\"))") 0" >expect &&
	test_cmp expect got
'

test_done
