#!/bin/sh
# JPEG: the format module on JPEGs written here from a corpus frame with
# libjpeg-turbo's own tools (cjpeg, jpegtran, wrjpgcom, djpeg) and
# ImageMagick, through `prov-test raster_fp` (one JSON line per file, exit 1
# if any failed): decoding, lossless transcodes, metadata, the pixel hash
# against PNG and TIFF, and damaged files.
. "$(dirname "$0")/lib.sh"

FRAME="$CORPUS/frames/sintel/raft-demo/frame_0016.png"

# r FILE EXPR: a Python expression over the record r of FILE.
r() {
	prov-test raster_fp "$1" | "$PYTHON" -c "import json,sys; r=json.load(sys.stdin); i=r.get(\"images\", [{}])[0]; print($2)"
}
pixels() {
	r "$1" 'r["pixels"]'
}

test_expect_success 'baseline, progressive, arithmetic, grey and CMYK JPEGs decode' '
	convert "$FRAME" ppm:frame.ppm &&
	cjpeg -quality 85 -outfile base.jpg frame.ppm &&
	cjpeg -quality 85 -progressive -outfile prog.jpg frame.ppm &&
	cjpeg -quality 85 -arithmetic -outfile arith.jpg frame.ppm &&
	cjpeg -grayscale -outfile grey.jpg frame.ppm &&
	convert "$FRAME" -colorspace CMYK -quality 90 cmyk.jpg &&
	prov-test raster_fp base.jpg prog.jpg arith.jpg grey.jpg cmyk.jpg >out 2>err &&
	test_must_be_empty err &&
	"$PYTHON" -c "
import json
rs = [json.loads(l) for l in open(\"out\")]
want = [(\"base.jpg\", \"ycbcr\", \"R G B\"), (\"prog.jpg\", \"ycbcr\", \"R G B\"),
        (\"arith.jpg\", \"ycbcr\", \"R G B\"), (\"grey.jpg\", \"grayscale\", \"Y\"),
        (\"cmyk.jpg\", \"ycck\", \"cmyk.C cmyk.M cmyk.Y cmyk.K\")]
assert len(rs) == 5, rs
for r, (path, space, chans) in zip(rs, want):
    i = r[\"images\"][0]
    assert r[\"path\"] == path and r[\"kind\"] == \"jpeg\", r
    assert \"error\" not in r, r
    assert (i[\"width\"], i[\"height\"]) == (1024, 436), i
    assert i[\"color_space\"] == space, i
    assert \" \".join(c[\"name\"] for c in i[\"channels\"]) == chans, i
    assert all(c[\"type\"] == \"u8\" for c in i[\"channels\"]), i
    assert r[\"pixels\"].startswith(\"v1:\") and len(r[\"pixels\"]) == 67, r
assert rs[1][\"images\"][0][\"progressive\"] is True
assert rs[0][\"images\"][0][\"progressive\"] is False
assert rs[2][\"images\"][0][\"arithmetic\"] is True
assert rs[0][\"images\"][0][\"sampling\"] == \"2x2,1x1,1x1\"
assert rs[4][\"images\"][0][\"adobe_transform\"] == 2
assert len(set(r[\"pixels\"] for r in rs)) == 3, [r[\"pixels\"] for r in rs]
"
'

test_expect_success 'lossless transcodes and a comment keep the pixel hash' '
	jpegtran -progressive -outfile t_prog.jpg base.jpg &&
	jpegtran -optimize -copy none -outfile t_opt.jpg base.jpg &&
	jpegtran -arithmetic -outfile t_arith.jpg base.jpg &&
	wrjpgcom -comment "ep104 comp by jdoe@render-07" base.jpg >com.jpg &&
	pixels base.jpg >want &&
	for f in t_prog t_opt t_arith com prog arith; do
		! cmp -s base.jpg $f.jpg && pixels $f.jpg >got_$f &&
		test_cmp want got_$f || return 1
	done &&
	test "$(r com.jpg "r[\"meta\"][\"COM\"]")" = "ep104 comp by jdoe@render-07" &&
	test "$(r base.jpg "\"meta\" in r")" = False
'

test_expect_success 'the JPEG hash is the hash of libjpeg-turbo'"'"'s own decode (djpeg)' '
	djpeg -outfile base.ppm base.jpg && convert base.ppm PNG24:dec.png &&
	pixels dec.png >got_dec && test_cmp want got_dec &&
	djpeg -outfile grey.pgm grey.jpg && convert grey.pgm -define png:color-type=0 -depth 8 greydec.png &&
	r greydec.png "r[\"images\"][0][\"channels\"][0][\"name\"]" >gname &&
	echo Y >gwant && test_cmp gwant gname &&
	pixels greydec.png >got_g && pixels grey.jpg >want_g && test_cmp want_g got_g
'

test_expect_success 'the same 8-bit RGB as PNG and TIFF never matches a near-lossless JPEG of it' '
	convert "$FRAME" PNG24:src.png && convert "$FRAME" -compress LZW src.tif &&
	cjpeg -quality 100 -sample 1x1 -dct float -outfile q100.jpg frame.ppm &&
	pixels src.png >p_png && pixels src.tif >p_tif && pixels q100.jpg >p_jpg &&
	test_cmp p_png p_tif && ! test_cmp p_png p_jpg &&
	test "$(r q100.jpg "i[\"sampling\"]")" = "1x1,1x1,1x1" &&
	djpeg -outfile q100.ppm q100.jpg &&
	"$PYTHON" -c "
import sys
# the q100 decode is close to the source (the two are the same picture) but
# not equal: a hash that matched would claim pixels the JPEG does not hold
a = open(sys.argv[1], \"rb\").read()[-1024*436*3:]
b = open(sys.argv[2], \"rb\").read()[-1024*436*3:]
diff = [abs(x - y) for x, y in zip(a, b)]
assert len(a) == len(b) == 1024*436*3
assert max(diff) > 0 and sum(diff) / len(diff) < 2, (max(diff), sum(diff) / len(diff))
" frame.ppm q100.ppm
'

test_expect_success 'EXIF, XMP and COM are recorded; the orientation is recorded, not applied' '
	"$PYTHON" -c "
import struct, sys
def ifd(entries, data_at):
    # entries: (tag, type, count, value bytes); values > 4 bytes go after the IFD
    out, extra = b\"\", b\"\"
    base = data_at + 2 + 12 * len(entries) + 4
    for tag, typ, cnt, val in entries:
        if len(val) <= 4:
            out += struct.pack(\"<HHI\", tag, typ, cnt) + val.ljust(4, b\"\\0\")
        else:
            out += struct.pack(\"<HHII\", tag, typ, cnt, base + len(extra))
            extra += val + (b\"\\0\" if len(val) % 2 else b\"\")
    return struct.pack(\"<H\", len(entries)) + out + b\"\\0\\0\\0\\0\" + extra
def asc(s):
    b = s.encode() + b\"\\0\"
    return (2, len(b), b)
def rat(*v):
    return (5, len(v), b\"\".join(struct.pack(\"<II\", n, d) for n, d in v))
# IFD0 at 8, EXIF IFD at 200, GPS IFD at 400 (offsets from the TIFF header)
exif = ifd([(0x0112, 3, 1, struct.pack(\"<H\", 6)),
            (0x013B, *asc(\"Jane Doe\")), (0x0131, *asc(\"Nuke 13.2v4\")),
            (0x013C, *asc(\"render-07\")),
            (0x8769, 4, 1, struct.pack(\"<I\", 200)),
            (0x8825, 4, 1, struct.pack(\"<I\", 400))], 8)
sub = ifd([(0x9003, *asc(\"2024:03:01 10:20:30\")), (0x9010, *asc(\"+09:00\"))], 200)
gps = ifd([(1, *asc(\"N\")), (2, *rat((37, 1), (33, 1), (0, 1))),
           (3, *asc(\"E\")), (4, *rat((126, 1), (58, 1), (30, 1)))], 400)
t = b\"II*\\0\" + struct.pack(\"<I\", 8) + exif
t = t.ljust(200, b\"\\0\") + sub
t = t.ljust(400, b\"\\0\") + gps
app1 = b\"Exif\\0\\0\" + t
xmp = b\"http://ns.adobe.com/xap/1.0/\\0\" + \"<x:xmpmeta><dc:creator>김민준</dc:creator></x:xmpmeta>\".encode()
seg = lambda m, b: b\"\\xff\" + bytes([m]) + struct.pack(\">H\", len(b) + 2) + b
d = open(\"base.jpg\", \"rb\").read()
open(\"exif.jpg\", \"wb\").write(d[:2] + seg(0xE1, app1) + seg(0xE1, xmp) + seg(0xFE, b\"from C:\\\\Users\\\\jdoe\\\\shots\") + d[2:])
" &&
	prov-test raster_fp exif.jpg >out 2>err && test_must_be_empty err &&
	"$PYTHON" -c "
import json
r = json.load(open(\"out\"))
m, i = r[\"meta\"], r[\"images\"][0]
assert m[\"Artist\"] == \"Jane Doe\" and m[\"Software\"] == \"Nuke 13.2v4\", m
assert m[\"HostComputer\"] == \"render-07\", m
assert m[\"DateTimeOriginal\"] == \"2024:03:01 10:20:30\" and m[\"OffsetTime\"] == \"+09:00\", m
assert m[\"GPSLatitude\"] == \"37 33 0 N\" and m[\"GPSLongitude\"] == \"126 58 30 E\", m
assert \"김민준\" in m[\"XMP\"] and m[\"COM\"] == \"from C:\\\\Users\\\\jdoe\\\\shots\", m
assert i[\"orientation\"] == 6 and i[\"exif\"] is True, i
assert (i[\"width\"], i[\"height\"]) == (1024, 436), i
" &&
	pixels exif.jpg >got_exif && test_cmp want got_exif
'

test_expect_success 'cut and damaged JPEGs give error records, exit 1, and the run goes on' '
	size=$(wc -c <base.jpg) &&
	head -c $((size / 2)) base.jpg >half.jpg &&
	head -c 400 base.jpg >header.jpg &&
	head -c 3 base.jpg >magic.jpg &&
	"$PYTHON" -c "
d = bytearray(open(\"base.jpg\", \"rb\").read())
for k in range(len(d) // 3, len(d) // 3 + 600, 5):
    d[k] ^= 0x5a
open(\"flipped.jpg\", \"wb\").write(d)
d = bytearray(open(\"base.jpg\", \"rb\").read())
i = d.index(b\"\\xff\\xc0\")	# SOF0: precision, height, width
d[i + 5:i + 9] = b\"\\xfd\\xe8\\xfd\\xe8\"	# 65000 x 65000
open(\"huge.jpg\", \"wb\").write(d)
d = bytearray(open(\"base.jpg\", \"rb\").read())
d[i + 5:i + 9] = b\"\\0\\0\\0\\0\"
open(\"zero.jpg\", \"wb\").write(d)
" &&
	test_must_fail --status=1 prov-test raster_fp half.jpg base.jpg header.jpg magic.jpg \
		flipped.jpg huge.jpg zero.jpg >out 2>err &&
	test "$(wc -l <out)" = 7 && test "$(wc -l <err)" = 6 &&
	grep -q "^prov-test: half.jpg: JPEG: Premature end of JPEG file$" err &&
	grep -q "^prov-test: huge.jpg: JPEG: 65000x65000 image exceeds the limit of 268435456 pixels (--max-pixels)$" err &&
	grep -q "^prov-test: flipped.jpg: JPEG: Corrupt JPEG data" err &&
	"$PYTHON" -c "
import json
rs = [json.loads(l) for l in open(\"out\")]
for r in rs:
    if r[\"path\"] == \"base.jpg\":
        assert \"error\" not in r and r[\"pixels\"].startswith(\"v1:\"), r
    else:
        assert r[\"error\"].startswith(r[\"path\"] + \": JPEG: \"), r
        assert \"pixels\" not in r, r
" &&
	test_must_fail --status=1 prov-test raster_fp -m 400000 base.jpg >out 2>err &&
	grep -q "base.jpg: JPEG: 1024x436 image exceeds the limit of 400000 pixels" err
'

test_expect_success 'JPEG fuzz: 600 cut and mutated files, each a record or a clean error' '
	cjpeg -quality 75 -outfile small.jpg frame.ppm &&
	convert "$FRAME" -resize 96x41 ppm:- | cjpeg -quality 80 -outfile s1.jpg &&
	convert "$FRAME" -resize 96x41 ppm:- | cjpeg -progressive -outfile s2.jpg &&
	mkdir fz && "$PYTHON" -c "
import random
rnd = random.Random(1210)
for n, src in enumerate([\"s1.jpg\", \"s2.jpg\"]):
    d = open(src, \"rb\").read()
    for k in range(150):
        open(\"fz/%d-cut%03d.jpg\" % (n, k), \"wb\").write(d[:3 + k * (len(d) - 3) // 150])
    for k in range(150):
        m = bytearray(d)
        for _ in range(rnd.randint(1, 8)):
            m[rnd.randrange(2, len(m))] = rnd.randrange(256)
        open(\"fz/%d-mut%03d.jpg\" % (n, k), \"wb\").write(m)
" &&
	ls fz/*.jpg >list && test "$(wc -l <list)" = 600 &&
	{ xargs prov-test raster_fp <list >out 2>err; test $? -le 123; } &&
	test "$(wc -l <out)" = 600 &&
	"$PYTHON" -c "
import json
bad = ok = 0
for l in open(\"out\"):
    r = json.loads(l)
    if \"error\" in r:
        assert r[\"error\"].startswith(r[\"path\"] + \": JPEG: \"), r
        bad += 1
    else:
        assert r[\"kind\"] == \"jpeg\" and r[\"pixels\"].startswith(\"v1:\"), r
        ok += 1
assert bad >= 300 and ok >= 2, (bad, ok)
" &&
	test "$(wc -l <err)" -ge 300
'

test_done
