#!/bin/sh
# Deep EXR parts get a PDQ of their flattened image: each pixel's samples
# sorted front to back by Z (then ZBack) and composited with "over"
# (schemas/pdq-v1.md section 9).  Checked against oiiotool --flatten on the
# corpus deep files, against flat EXRs holding the composited pixels, with
# samples stored back to front, and without alpha.
. "$(dirname "$0")/lib.sh"

LRV=$CORPUS/exr/openexr-images/v2/LowResLeftView/Trunks.exr
STEREO=$CORPUS/exr/openexr-images/v2/Stereo/Trunks.exr
ID=$CORPUS/exr/openexr/11.deep.exr

# img FILE N EXPR: EXPR of image N of FILE's record (r = the record, i = the
# image); the record is left in rec.json.
img() {
	prov-fp --json "$1" >rec.json &&
	"$PYTHON" -c '
import json, sys
r = json.loads(open(sys.argv[1]).readline())
i = r["images"][int(sys.argv[2])]
v = eval(sys.argv[3])
print(*(v if isinstance(v, tuple) else (v,)))
' rec.json "$2" "$3"
}
pdq() { img "$1" "${2:-0}" 'i["pdq"]["hash"]'; }

# Reverses the samples of every pixel of an uncompressed single-part deep
# scanline file (front to back becomes back to front).
cat >rev.py <<\PY
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read())
p, chans = 8, []
while d[p] != 0:
    e = d.index(0, p); name = d[p:e].decode(); p = e + 1
    e = d.index(0, p); typ = d[p:e].decode(); p = e + 1
    size, = struct.unpack_from("<i", d, p); p += 4
    val = d[p:p + size]; p += size
    if typ == "chlist":
        q = 0
        while val[q] != 0:
            e = val.index(0, q); q = e + 1
            pt, = struct.unpack_from("<i", val, q); q += 16
            chans.append(2 if pt == 1 else 4)
    elif name == "compression":
        assert val[0] == 0, "compression must be none"
    elif name == "dataWindow":
        x0, y0, x1, y1 = struct.unpack("<4i", val)
    elif name == "chunkCount":
        nchunks, = struct.unpack("<i", val)
p += 1
w = x1 - x0 + 1
for off in struct.unpack_from("<%dQ" % nchunks, d, p):
    y, tsz, psz, usz = struct.unpack_from("<iQQQ", d, off)
    assert tsz == 4 * w and psz == usz
    cum = struct.unpack_from("<%di" % w, d, off + 28)
    base, n = off + 28 + tsz, cum[-1]
    for es in chans:
        for x in range(w):
            a, b = (cum[x - 1] if x else 0), cum[x]
            s = [bytes(d[base + i * es:base + (i + 1) * es]) for i in range(a, b)]
            for i, v in zip(range(a, b), reversed(s)):
                d[base + i * es:base + (i + 1) * es] = v
        base += n * es
open(sys.argv[2], "wb").write(d)
PY

test_expect_success 'corpus deep files: the PDQ of oiiotool --flatten' '
	for f in "$LRV" "$ID"; do
		oiiotool "$f" --flatten -d float -o flat.exr &&
		pdq "$f" >got && pdq flat.exr >want &&
		test_cmp want got || return 1
	done &&
	# two deep parts (views) of 172743 and 193453 samples
	oiiotool "$STEREO" --flatten -d float -o stereo-left.exr &&
	pdq "$STEREO" 0 >got && pdq stereo-left.exr >want && test_cmp want got &&
	test "$(img "$STEREO" 1 "i[\"name\"], i[\"samples\"], i[\"pdq\"][\"quality\"]")" = \
		"rgba.right 193453 100" &&
	test "$(pdq "$STEREO" 1)" != "$(pdq "$STEREO" 0)" &&
	# the record carries the first part'"'"'s hash, and validates
	test "$(img "$STEREO" 0 "r[\"pdq\"][\"hash\"]")" = "$(cat want)" &&
	test_json_valid fingerprint.schema.json rec.json
'

# Two layers with values exact in half and in their composite: a
# half-transparent checker in front (Z 1) of an opaque one (Z 2).
test_expect_success 'setup: deep files made with oiiotool, and their flat composite' '
	oiiotool --pattern checker:width=16:height=16:color1=0.875,0.25,0.125:color2=0.125,0.375,0.75 \
		128x96 3 --ch R,G,B,A=1.0,Z=2.0 -d half -o back.exr &&
	oiiotool --pattern checker:width=24:height=40:xoffset=5:yoffset=3:color1=0.5,0.25,0,0.5:color2=0,0.0625,0.25,0.25 \
		128x96 4 --ch R,G,B,A,Z=1.0 -d half -o front.exr &&
	oiiotool front.exr --deepen back.exr --deepen --deepmerge --compression none -o deep.exr &&
	oiiotool front.exr --deepen back.exr --deepen --deepmerge --tile 32 32 \
		--compression zip -o deept.exr &&
	oiiotool deep.exr --flatten -d float --compression zip -o flat.exr &&
	test "$(img deep.exr 0 "i[\"type\"], i[\"samples\"]")" = "deepscanline 24576" &&
	test "$(img deept.exr 0 "i[\"type\"], i[\"samples\"]")" = "deeptile 24576"
'

test_expect_success 'deep scanline and deep tiled hash as the flat composite' '
	pdq flat.exr >want &&
	pdq deep.exr >got1 && test_cmp want got1 &&
	pdq deept.exr >got2 && test_cmp want got2 &&
	test_json_valid fingerprint.schema.json rec.json &&
	test "$(img deept.exr 0 "i[\"pdq\"][\"quality\"] >= 50")" = True &&
	# neither layer alone: compositing is what was hashed
	"$PYTHON" -c "
import sys
d = lambda a, b: bin(int(a, 16) ^ int(b, 16)).count(\"1\")
w, f, b = sys.argv[1:]
assert d(w, f) > 31 and d(w, b) > 31, (d(w, f), d(w, b))
" "$(cat want)" "$(pdq front.exr)" "$(pdq back.exr)"
'

test_expect_success 'samples stored back to front are sorted by Z first' '
	"$PYTHON" rev.py deep.exr rev.exr &&
	oiiotool -dumpdata rev.exr >dump &&
	grep -q "Pixel (0, 0): 2 samples : R=0.875 G=0.25 B=0.125 A=1 Z=2 /  R=0.5" dump &&
	# other pixels, same pdq
	test "$(img rev.exr 0 "i[\"pixels\"]")" != "$(img deep.exr 0 "i[\"pixels\"]")" &&
	pdq rev.exr >got && test_cmp want got
'

test_expect_success 'without A every sample is opaque: the front one is seen' '
	oiiotool front.exr --ch R,G,B,Z -o front-rgbz.exr &&
	oiiotool back.exr --ch R,G,B,Z -o back-rgbz.exr &&
	oiiotool back-rgbz.exr --deepen front-rgbz.exr --deepen --deepmerge -o noalpha.exr &&
	test "$(img noalpha.exr 0 "i[\"samples\"]")" = 24576 &&
	pdq front-rgbz.exr >want && pdq noalpha.exr >got && test_cmp want got
'

test_expect_success 'no colour channels: a deep part of Z alone has no pdq' '
	oiiotool deep.exr --ch Z -o zonly.exr &&
	prov-fp --json zonly.exr >out 2>err &&
	test_must_be_empty err &&
	grep -q "\"deep\":true" out &&
	! grep -q "\"pdq\"" out
'

test_expect_success 'the pixel limit still refuses a deep part before decoding' '
	test_must_fail --status=1 prov-fp --json --max-pixels 1000 deep.exr >out 2>err &&
	grep -q "exceeds the limit of 1000 pixels" err &&
	grep -q "\"error\":" out
'

test_done
