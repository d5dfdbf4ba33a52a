#!/bin/sh
# PNG and TIFF: the format modules on the corpus and on files written here
# with ImageMagick and libtiff's tools, through `prov-test raster_fp` (one
# JSON line per file, exit 1 if any failed): the pixel hash ignores
# containers, compression and metadata, and sees one changed sample.
. "$(dirname "$0")/lib.sh"

FRAME="$CORPUS/frames/sintel/raft-demo/frame_0016.png"

# r FILE EXPR: a Python expression over the record r of FILE.
r() {
	prov-test raster_fp "$1" | "$PYTHON" -c "import json,sys; r=json.load(sys.stdin); print($2)"
}
pixels() {
	r "$1" 'r["pixels"]'
}

test_expect_success 'a PNG re-saved with other filters and zlib levels keeps its pixel hash' '
	convert "$FRAME" -define png:compression-level=1 -define png:compression-filter=0 PNG24:a.png &&
	convert "$FRAME" -define png:compression-level=9 -define png:compression-filter=5 PNG24:b.png &&
	! cmp -s a.png b.png && ! cmp -s "$FRAME" b.png &&
	pixels "$FRAME" >want &&
	pixels a.png >got_a && pixels b.png >got_b &&
	test_cmp want got_a && test_cmp want got_b &&
	grep -q "^v1:[0-9a-f]\{64\}$" want
'

test_expect_success 'the same 8-bit RGB pixels as PNG and as TIFF share one hash' '
	convert "$FRAME" -compress LZW lzw.tif &&
	tiffcp -c zip lzw.tif zip.tif && tiffcp -c none lzw.tif none.tif &&
	tiffcp -t -w 64 -l 64 -c lzw lzw.tif tiled.tif &&
	tiffcp -p separate lzw.tif separate.tif &&
	tiffcp -c packbits -r 7 lzw.tif packbits.tif &&
	for f in lzw zip none tiled separate packbits; do
		pixels $f.tif >got_$f && test_cmp want got_$f || return 1
	done &&
	test "$(r tiled.tif "r[\"images\"][0][\"tiled\"]")" = True &&
	test "$(r separate.tif "r[\"images\"][0][\"planar\"]")" = separate &&
	test "$(r zip.tif "r[\"images\"][0][\"compression\"]")" = deflate
'

test_expect_success '16-bit PNG and 16-bit TIFF share one hash, kept as u16' '
	convert "$FRAME" -depth 16 PNG48:f16.png &&
	convert f16.png -depth 16 -compress LZW f16.tif &&
	tiffcp -c zip -t f16.tif f16t.tif &&
	pixels f16.png >want16 && pixels f16.tif >got16 && pixels f16t.tif >got16t &&
	test_cmp want16 got16 && test_cmp want16 got16t &&
	! test_cmp want want16 &&
	test "$(r f16.png "\" \".join(c[\"type\"] for c in r[\"images\"][0][\"channels\"])")" = "u16 u16 u16"
'

test_expect_success 'changing one sample changes the hash' '
	convert "$FRAME" -fill "#010203" -draw "point 5,7" PNG24:c.png &&
	convert c.png -compress LZW c.tif &&
	pixels c.png >got_c && pixels c.tif >got_ct &&
	! test_cmp want got_c && test_cmp got_c got_ct
'

test_expect_success 'metadata never changes the hash: a tEXt chunk, a TIFF Artist' '
	"$PYTHON" -c "
import struct, zlib, sys
d = open(sys.argv[1], \"rb\").read()
body = b\"Author\\0Ren\\xe9e\"
chunk = struct.pack(\">I\", len(body)) + b\"tEXt\" + body + struct.pack(\">I\", zlib.crc32(b\"tEXt\" + body))
open(\"t.png\", \"wb\").write(d[:33] + chunk + d[33:])
" a.png &&
	! cmp -s a.png t.png &&
	pixels t.png >got_t && test_cmp want got_t &&
	test "$(r t.png "r[\"meta\"][\"Author\"]")" = "Renée" &&
	cp lzw.tif artist.tif && tiffset -s 315 "Jane Doe" artist.tif &&
	tiffset -s 316 "render-07" artist.tif &&
	! cmp -s lzw.tif artist.tif &&
	pixels artist.tif >got_artist && test_cmp want got_artist &&
	test "$(r artist.tif "r[\"meta\"][\"Artist\"]")" = "Jane Doe" &&
	test "$(r artist.tif "r[\"meta\"][\"HostComputer\"]")" = "render-07"
'

test_expect_success 'a header claiming 10^6 x 10^6 pixels fails on the pixel limit' '
	"$PYTHON" -c "
import struct, zlib
ihdr = struct.pack(\">IIBBBBB\", 1000000, 1000000, 8, 2, 0, 0, 0)
def chunk(t, b): return struct.pack(\">I\", len(b)) + t + b + struct.pack(\">I\", zlib.crc32(t + b))
open(\"huge.png\", \"wb\").write(b\"\\x89PNG\\r\\n\\x1a\\n\" + chunk(b\"IHDR\", ihdr) + chunk(b\"IDAT\", zlib.compress(b\"\\0\" * 100)) + chunk(b\"IEND\", b\"\"))
" &&
	cp none.tif huge.tif && tiffset -s 256 1000000 huge.tif && tiffset -s 257 1000000 huge.tif &&
	test_must_fail prov-test raster_fp huge.png huge.tif >out 2>err &&
	test "$(grep -c "exceeds the limit of 268435456 pixels (--max-pixels)" out)" = 2 &&
	grep -q "huge.png: PNG: 1000000x1000000 image exceeds" err &&
	test_must_fail prov-test raster_fp -m 1000 "$FRAME" >out 2>err &&
	grep -q "\"error\": *\".*--max-pixels" out
'

test_expect_success 'a TIFF page of 64 32-bit samples per pixel fails on the byte budget, before allocating' '
	"$PYTHON" -c "
import struct
W = H = 16384; SPP = 64
e = [(256, 4, 1, W), (257, 4, 1, H), (258, 3, SPP, 8 + 2 + 12 * 9 + 4), (259, 3, 1, 1),
     (262, 3, 1, 1), (273, 4, 1, 8 + 2 + 12 * 9 + 4 + 2 * SPP), (277, 3, 1, SPP),
     (278, 4, 1, H), (279, 4, 1, 1000)]
b = b\"II*\\0\" + struct.pack(\"<IH\", 8, len(e))
for tag, typ, cnt, val in e:
    b += struct.pack(\"<HHIHH\", tag, typ, cnt, val, 0) if typ == 3 and cnt == 1 else struct.pack(\"<HHII\", tag, typ, cnt, val)
open(\"fat.tif\", \"wb\").write(b + b\"\\0\" * 4 + struct.pack(\"<64H\", *[32] * SPP) + b\"\\0\" * 1000)
" &&
	test_must_fail --status=1 prov-test raster_fp fat.tif >out 2>err &&
	grep -q "^prov-test: fat.tif: TIFF page 0: 16384x16384 image of 64 32-bit samples per pixel exceeds the limit of 268435456 pixels of 16 bytes (--max-pixels)$" err &&
	grep -q "\"error\": *\"fat.tif: TIFF page 0: 16384x16384 image of 64" out
'

test_expect_success 'every file of bad/png and bad/tiff: a record, an error or a defined result, no crash' '
	find "$CORPUS/bad/png" "$CORPUS/bad/tiff" -type f ! -name "LICENSE*" ! -name "*.md" | sort >list &&
	test "$(wc -l <list)" -ge 95 &&
	{ tr "\n" "\0" <list | xargs -0 prov-test raster_fp >out 2>err; test $? -le 123; } &&
	test "$(wc -l <out)" = "$(wc -l <list)" &&
	"$PYTHON" -c "
import json
n = 0
for line in open(\"out\"):
    r = json.loads(line)
    if \"error\" in r:
        n += 1
        assert r[\"error\"].startswith(r[\"path\"] + \": \"), r
    elif r[\"kind\"] != \"other\":	# PngSuite x* with a broken signature
        assert r[\"pixels\"].startswith(\"v1:\"), r[\"path\"]
assert n >= 70, n
"
'

test_done
