#!/bin/sh
# PDQ of decoded images through the format modules (schemas/pdq-v1.md):
# every image gets "pdq", the first also at the record's top level; 16-bit
# samples are scaled, alpha is ignored, scene-linear EXR goes through the
# display transform, uniform borders give "pdq_trimmed".
. "$(dirname "$0")/lib.sh"

frame=$CORPUS/frames/sintel/faldoi-alley_1/clean/frame_0001.png
exr=$CORPUS/exr/openexr-images

# field N of the first line of FILE whose field 2 is S
field() { awk -F'\t' -v s="$2" -v n="$3" '$2 == s { print $n; exit }' "$1"; }

test_expect_success 'a PNG frame: the reference hash in images[0] and at the top level' '
	grep "^frames/sintel/faldoi-alley_1/clean/frame_0001.png	" "$VECTORS/pdq.tsv" |
		cut -f2,3 >expect &&
	test -s expect &&
	prov-test pdq_fp "$frame" >out 2>err &&
	test_must_be_empty err &&
	printf "%s\t%s\n" "$(field out 0 3)" "$(field out 0 4)" >actual &&
	test_cmp expect actual &&
	printf "%s\t%s\n" "$(field out top 3)" "$(field out top 4)" >actual &&
	test_cmp expect actual &&
	test "$(field out 0 5)" = "-"
'

test_expect_success '16-bit samples are scaled to 8 bits, not cut to their low byte' '
	convert "$frame" -depth 16 -blur 0x1 x16.png &&
	convert x16.png -depth 8 x8.png &&
	convert x16.png pnm:x16.pnm &&
	identify -format "%z\n" x16.png x8.png >depths &&
	printf "16\n8\n" >expect && test_cmp expect depths &&
	prov-test pdq_fp x16.png x8.png >out &&
	a=$(field out 0 3) && b=$(sed -n 3p out | cut -f3) &&
	test -n "$a" && test "$a" = "$b" &&
	prov-test pdq_pnm x16.pnm >low &&
	d=$(prov-test pdq_distance "$a" "$(cut -f1 low)") &&
	test "$d" -gt 31
'

test_expect_success 'alpha is ignored' '
	convert "$frame" -alpha set -channel A -evaluate set 50% +channel rgba.png &&
	identify -format "%[channels]\n" rgba.png >ch && grep -q a ch &&
	prov-test pdq_fp "$frame" rgba.png >out &&
	test "$(sed -n 1p out | cut -f3)" = "$(sed -n 3p out | cut -f3)"
'

test_expect_success 'letterbox and pillarbox: pdq far, pdq_trimmed equal to the original' '
	prov-test pdq_fp "$frame" >orig && o=$(field orig 0 3) &&
	convert "$frame" -background black -gravity center -extent 1024x576 lb.png &&
	convert "$frame" -background "rgb(40,40,40)" -gravity center -extent 1400x436 pb.png &&
	prov-test pdq_fp lb.png pb.png >out &&
	awk -F"\t" "\$2 == 0 { print \$5, \$6, \$7 }" out >trim &&
	printf "%s 100 0,70,1023,505\n%s 100 188,0,1211,435\n" $o $o >expect &&
	test_cmp expect trim &&
	for h in $(awk -F"\t" "\$2 == 0 { print \$3 }" out); do
		d=$(prov-test pdq_distance "$o" "$h") && test "$d" -gt 31 || return 1
	done
'

test_expect_success 'a letterboxed, downscaled JPEG still matches through pdq_trimmed' '
	convert "$frame" -resize 50% -background black -gravity center -extent 512x288 \
		-quality 70 lb.jpg &&
	prov-test pdq_fp "$frame" lb.jpg >out 2>err &&
	test_must_be_empty err &&
	o=$(sed -n 1p out | cut -f3) && h=$(sed -n 3p out | cut -f3) &&
	t=$(sed -n 3p out | cut -f5) && test "$t" != "-" &&
	d=$(prov-test pdq_distance "$o" "$h") && test "$d" -gt 31 &&
	d=$(prov-test pdq_distance "$o" "$t") && test "$d" -le 31
'

test_expect_success 'every TIFF page has its own pdq, the first at the top level' '
	f2=$CORPUS/frames/sintel/faldoi-cave_2/clean/frame_0001.png &&
	convert "$frame" "$f2" -compress lzw pages.tif &&
	prov-test pdq_fp "$frame" "$f2" pages.tif >out 2>err &&
	test_must_be_empty err &&
	a=$(sed -n 1p out | cut -f3,4) && b=$(sed -n 3p out | cut -f3,4) &&
	test "$a" != "$b" &&
	printf "%s\n%s\n%s\n" "$a" "$b" "$a" >expect &&
	sed -n 5,7p out | cut -f3,4 >actual &&
	test_cmp expect actual &&
	sed -n 5,7p out | cut -f2 | tr "\n" " " >idx && test "$(cat idx)" = "0 1 top "
'

test_expect_success 'an image without bars gets no pdq_trimmed; a blank one neither' '
	convert -size 200x100 xc:black black.png &&
	prov-test pdq_fp black.png >out &&
	printf "0000000000000000000000000000000000000000000000000000000000000000\t0\t-\n" >expect &&
	field out 0 3 >h && field out 0 4 >q && field out 0 5 >t &&
	paste h q t >actual && test_cmp expect actual
'

test_expect_success 'opts.pdq = 0 records no perceptual hash' '
	prov-test pdq_fp --no-pdq "$frame" >out &&
	printf "%s\t0\t-\t-1\t-\n%s\ttop\t-\t-1\n" "$frame" "$frame" >expect &&
	test_cmp expect out
'

# The pair a leak produces: an EXR frame and the 8-bit sRGB PNG a vendor
# exports from it, with OpenImageIO and with ImageMagick.
for f in ScanLines/Cannon LuminanceChroma/Garden; do
	test_expect_success "EXR $f and its 8-bit sRGB PNG exports match" '
		oiiotool "$exr/$f.exr" --colorconvert linear sRGB -d uint8 -o oiio.png &&
		convert "$exr/$f.exr" -colorspace sRGB -depth 8 im.png &&
		identify -format "%z %m\n" oiio.png im.png >fmt &&
		printf "8 PNG\n8 PNG\n" >expect && test_cmp expect fmt &&
		prov-test pdq_fp "$exr/$f.exr" oiio.png im.png >out 2>err &&
		test_must_be_empty err &&
		awk -F"\t" "\$2 == 0 { print \$3, \$4 }" out >h &&
		test $(wc -l <h) -eq 3 &&
		e=$(sed -n 1p h | cut -d" " -f1) && test "$(sed -n 1p h | cut -d" " -f2)" -ge 50 &&
		for x in $(sed -n "2,3p" h | cut -d" " -f1); do
			d=$(prov-test pdq_distance "$e" "$x") && test "$d" -le 31 || return 1
		done
	'
done

test_expect_success 'EXR parts without colour (depth, motion) get no pdq and no error' '
	prov-test pdq_fp "$exr/Beachball/multipart.0001.exr" >out 2>err &&
	test_must_be_empty err &&
	awk -F"\t" "\$2 != \"top\" && \$3 != \"-\"" out >coloured &&
	awk -F"\t" "\$2 != \"top\" && \$3 == \"-\"" out >other &&
	test $(wc -l <coloured) -eq 2 && test $(wc -l <other) -eq 8 &&
	test "$(field out top 3)" = "$(field out 0 3)"
'

test_expect_success 'the display window is hashed: an EXR and its oiiotool export' '
	f=$exr/Beachball/singlepart.0001.exr &&
	oiiotool "$f" --ch R,G,B -d uint8 --colorconvert linear sRGB -o bb.png &&
	identify -format "%wx%h\n" bb.png >size && echo 2048x1556 >expect &&
	test_cmp expect size &&
	prov-test pdq_fp "$f" bb.png >out &&
	sed -n 1p out | cut -f3- >a && sed -n 3p out | cut -f3- >b &&
	test_cmp a b &&
	grep -q "	656,245,1530,1120$" a
'

test_expect_success 'prov-fp --json: pdq at the top, pdq_trimmed with its box, valid records' '
	convert "$frame" -background black -gravity center -extent 1024x576 lb2.png &&
	prov-fp --json "$frame" lb2.png >out.json 2>err &&
	test_must_be_empty err &&
	test_json_valid fingerprint.schema.json out.json &&
	"$PYTHON" -c "
import json, sys
r = [json.loads(l) for l in open(\"out.json\")]
for x in r:
    assert x[\"pdq\"] == x[\"images\"][0][\"pdq\"], x[\"path\"]
assert \"pdq_trimmed\" not in r[0][\"images\"][0]
t = r[1][\"images\"][0][\"pdq_trimmed\"]
assert t[\"box\"] == [0, 70, 1023, 505], t
assert t[\"hash\"] == r[0][\"pdq\"][\"hash\"], t
print(\"ok\")
" >py.out &&
	echo ok >expect && test_cmp expect py.out
'

test_expect_success 'bad images: an error or nothing, never a crash' '
	for f in "$CORPUS"/bad/png/* "$CORPUS"/bad/exr/*; do
		prov-test pdq_fp "$f" >out 2>err
		rc=$?
		test $rc -le 1 || { echo "$f: status $rc"; return 1; }
		test $rc -eq 0 || test -s err || return 1
	done
'

test_done
