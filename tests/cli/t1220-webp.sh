#!/bin/sh
# WebP: the format module on WebPs written here with ImageMagick (libwebp)
# from a corpus frame, through `prov-test raster_fp`: lossless WebP keeps the
# PNG's pixel hash, metadata chunks are recorded, damaged files fail cleanly.
. "$(dirname "$0")/lib.sh"

FRAME="$CORPUS/frames/sintel/raft-demo/frame_0016.png"

r() {
	prov-test raster_fp "$1" | "$PYTHON" -c "import json,sys; r=json.load(sys.stdin); i=r.get(\"images\", [{}])[0]; print($2)"
}
pixels() {
	r "$1" 'r["pixels"]'
}

test_expect_success 'lossless WebP has the PNG pixel hash (RGB and RGBA); lossy does not' '
	convert "$FRAME" PNG24:src.png &&
	convert src.png -define webp:lossless=true ll.webp &&
	convert src.png -quality 80 lossy.webp &&
	convert "$FRAME" -alpha set -channel A -evaluate set 50% +channel PNG32:rgba.png &&
	convert rgba.png -define webp:lossless=true rgba.webp &&
	pixels src.png >want && pixels ll.webp >got && test_cmp want got &&
	pixels rgba.png >want_a && pixels rgba.webp >got_a && test_cmp want_a got_a &&
	! test_cmp want want_a &&
	pixels lossy.webp >got_lossy && ! test_cmp want got_lossy &&
	test "$(r ll.webp "r[\"kind\"], i[\"compression\"], i[\"width\"], i[\"height\"]")" = "webp webp-lossless 1024 436" &&
	test "$(r lossy.webp "i[\"compression\"], \" \".join(c[\"name\"] for c in i[\"channels\"])")" = "webp-lossy R G B" &&
	test "$(r rgba.webp "\" \".join(c[\"name\"] for c in i[\"channels\"])")" = "R G B A"
'

test_expect_success 'EXIF and XMP chunks are recorded; the hash does not change' '
	"$PYTHON" -c "
import struct
d = open(\"ll.webp\", \"rb\").read()
assert d[12:16] == b\"VP8L\"
body = d[12:]
def chunk(t, b):
    return t + struct.pack(\"<I\", len(b)) + b + (b\"\\0\" if len(b) % 2 else b\"\")
def ifd0(entries):
    out, extra = b\"\", b\"\"
    base = 8 + 2 + 12 * len(entries) + 4
    for tag, typ, cnt, val in entries:
        if len(val) <= 4:
            out += struct.pack(\"<HHI\", tag, typ, cnt) + val.ljust(4, b\"\\0\")
        else:
            out += struct.pack(\"<HHII\", tag, typ, cnt, base + len(extra))
            extra += val
    return b\"II*\\0\" + struct.pack(\"<I\", 8) + struct.pack(\"<H\", len(entries)) + out + b\"\\0\" * 4 + extra
exif = ifd0([(0x0112, 3, 1, struct.pack(\"<H\", 8)), (0x013B, 2, 9, b\"Jane Doe\\0\"),
             (0x0131, 2, 12, b\"Krita 5.2.0\\0\")])
vp8x = struct.pack(\"<B3x\", 0x08 | 0x04) + (1023).to_bytes(3, \"little\") + (435).to_bytes(3, \"little\")
out = chunk(b\"VP8X\", vp8x) + body + chunk(b\"EXIF\", exif) + chunk(b\"XMP \", b\"<x:xmpmeta>render-07</x:xmpmeta>\")
open(\"meta.webp\", \"wb\").write(b\"RIFF\" + struct.pack(\"<I\", 4 + len(out)) + b\"WEBP\" + out)
" &&
	prov-test raster_fp meta.webp >out 2>err && test_must_be_empty err &&
	"$PYTHON" -c "
import json
r = json.load(open(\"out\"))
m, i = r[\"meta\"], r[\"images\"][0]
assert m[\"Artist\"] == \"Jane Doe\" and m[\"Software\"] == \"Krita 5.2.0\", m
assert m[\"XMP\"] == \"<x:xmpmeta>render-07</x:xmpmeta>\", m
assert i[\"orientation\"] == 8 and i[\"exif\"] is True, i
" &&
	pixels meta.webp >got_meta && test_cmp want got_meta
'

test_expect_success 'an animated WebP: its first frame, composed, with the frame count' '
	convert src.png -resize 64x27! s1.png && convert s1.png -negate s2.png &&
	convert -delay 10 s1.png s2.png -define webp:lossless=true anim.webp &&
	convert s1.png PNG32:s1a.png &&
	test "$(r anim.webp "i[\"animated\"], i[\"frames\"]")" = "True 2" &&
	pixels anim.webp >got_anim && pixels s1a.png >want_anim && test_cmp want_anim got_anim
'

test_expect_success 'cut, damaged and huge WebPs give error records, exit 1, the run goes on' '
	size=$(wc -c <lossy.webp) &&
	head -c $((size / 2)) lossy.webp >half.webp &&
	head -c 20 ll.webp >header.webp &&
	convert s1.png -quality 70 small.webp &&
	"$PYTHON" -c "
import os, random, struct
d = bytearray(open(\"ll.webp\", \"rb\").read())
assert d[12:16] == b\"VP8L\" and d[20] == 0x2f
v = struct.unpack(\"<I\", d[21:25])[0]
d[21:25] = struct.pack(\"<I\", (v & ~0xfffffff) | 16383 | 16383 << 14)	# 16384 x 16384
open(\"huge.webp\", \"wb\").write(d)
rnd = random.Random(1220)
os.mkdir(\"fz\")
for name in (\"anim\", \"small\"):
    src = open(name + \".webp\", \"rb\").read()
    for k in range(60):
        open(\"fz/%s-cut%02d.webp\" % (name, k), \"wb\").write(src[:k * len(src) // 60])
    for k in range(60):
        m = bytearray(src)
        for _ in range(rnd.randint(1, 6)):
            m[rnd.randrange(12, len(m))] = rnd.randrange(256)
        open(\"fz/%s-mut%02d.webp\" % (name, k), \"wb\").write(m)
" &&
	test_must_fail --status=1 prov-test raster_fp half.webp ll.webp header.webp >out 2>err &&
	test "$(wc -l <out)" = 3 && test "$(wc -l <err)" = 2 &&
	grep -q "^prov-test: half.webp: WebP: truncated$" err &&
	grep -q "^prov-test: header.webp: WebP: " err &&
	"$PYTHON" -c "
import json
for l in open(\"out\"):
    r = json.loads(l)
    if r[\"path\"] == \"ll.webp\":
        assert \"error\" not in r and r[\"pixels\"].startswith(\"v1:\"), r
    else:
        assert r[\"error\"].startswith(r[\"path\"] + \": WebP: \"), r
" &&
	test_must_fail --status=1 prov-test raster_fp -m 100000 huge.webp >out 2>err &&
	grep -q "^prov-test: huge.webp: WebP: 16384x16384 image exceeds the limit of 100000 pixels (--max-pixels)$" err &&
	ls fz/* >list && test "$(wc -l <list)" = 240 &&
	{ xargs prov-test raster_fp <list >out 2>err; test $? -le 123; } &&
	test "$(wc -l <out)" = 240 &&
	"$PYTHON" -c "
import json
bad = 0
for l in open(\"out\"):
    r = json.loads(l)
    if \"error\" in r:
        assert r[\"error\"].startswith(r[\"path\"] + \": \"), r
        bad += 1
    elif r[\"kind\"] == \"webp\":
        assert r[\"pixels\"].startswith(\"v1:\"), r
assert bad >= 100, bad
"
'

test_done
