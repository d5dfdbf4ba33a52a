#!/bin/sh
# 64-bit integer TIFF samples (u64, i64): the corpus's gradient-3c-64b.tiff
# and files written here.  The pixel hash is recomputed independently from
# schemas/pixels-v1.md by tiff64.py (a small TIFF reader and writer), and
# PDQ luminance scales 64-bit samples like every other integer width.
. "$(dirname "$0")/lib.sh"

G64="$CORPUS/tiff/image-tiff/gradient-3c-64b.tiff"
FRAME="$CORPUS/frames/sintel/raft-demo/frame_0016.png"

cat >tiff64.py <<'EOF'
"""tiff64.py hash FILE | write {u64|i64} {II|MM} IN.ppm OUT.tif

hash: the pixels-v1 hash of an uncompressed contiguous strip TIFF with
      64-bit integer samples, from the spec (not from prov).
write: an RGB TIFF of 64-bit samples from an 8-bit binary PPM: u64 holds
      v * 0x0101010101010101 (so v is its 8-bit value), i64 holds
      v * floor((2^63 - 1) / 255), and pixel (0, 0) is -5 in every i64
      channel (negative: 8-bit value 0)."""
import hashlib, struct, sys

def read(path):
    d = open(path, "rb").read()
    e = {b"II": "<", b"MM": ">"}[d[:2]]
    ifd = struct.unpack(e + "I", d[4:8])[0]
    n = struct.unpack(e + "H", d[ifd:ifd + 2])[0]
    tags = {}
    for i in range(n):
        tag, typ, cnt, val = struct.unpack(e + "HHII", d[ifd + 2 + 12 * i:ifd + 14 + 12 * i])
        size = {3: 2, 4: 4}.get(typ)
        if size is None:
            continue
        f = e + ("H" if size == 2 else "I") * cnt
        if size * cnt <= 4:
            raw = d[ifd + 10 + 12 * i:ifd + 10 + 12 * i + size * cnt]
        else:
            raw = d[val:val + size * cnt]
        tags[tag] = struct.unpack(f, raw)
    w, h, spp = tags[256][0], tags[257][0], tags[277][0]
    assert all(b == 64 for b in tags[258]) and tags.get(259, (1,))[0] == 1
    signed = tags.get(339, (1,))[0] == 2
    data = b"".join(d[o:o + c] for o, c in zip(tags[273], tags[279]))
    vals = struct.unpack(e + ("q" if signed else "Q") * (w * h * spp), data[:8 * w * h * spp])
    return w, h, spp, signed, vals

def pixels(path):
    w, h, spp, signed, vals = read(path)
    names = ["R", "G", "B", "A"][:spp] if spp >= 3 else ["Y"]
    m = hashlib.sha256(b"prov-pixels-v1\0")
    m.update(struct.pack(">II", w, h) + struct.pack(">iiii", 0, 0, w - 1, h - 1))
    m.update(struct.pack(">I", spp))
    order = sorted(range(spp), key=lambda k: names[k].encode())
    for k in order:
        m.update(names[k].encode() + b"\0" + bytes([11 if signed else 10, 64]) +
                 struct.pack(">II", 1, 1))
    for k in order:
        m.update(struct.pack("<" + ("q" if signed else "Q") * (w * h), *vals[k::spp]))
    return "v1:" + m.hexdigest()

def write(kind, e, src, dst):
    d = open(src, "rb").read()
    parts = d.split(maxsplit=4)
    assert parts[0] == b"P6" and parts[3] == b"255"
    w, h, px = int(parts[1]), int(parts[2]), parts[4]
    if kind == "u64":
        vals = [v * 0x0101010101010101 for v in px]
    else:
        vals = [v * ((2 ** 63 - 1) // 255) for v in px]
        vals[0:3] = [-5, -5, -5]
    data = struct.pack(e + ("Q" if kind == "u64" else "q") * len(vals), *vals)
    tags = [(256, 4, [w]), (257, 4, [h]), (258, 3, [64, 64, 64]), (259, 3, [1]),
            (262, 3, [2]), (273, 4, [0]), (277, 3, [3]), (278, 4, [h]),
            (279, 4, [len(data)]), (284, 3, [1]),
            (339, 3, [1 if kind == "u64" else 2] * 3)]
    ifd = 8 + len(data)
    extra = ifd + 2 + 12 * len(tags) + 4
    out, blobs = [], b""
    for tag, typ, v in tags:
        size = 2 if typ == 3 else 4
        raw = struct.pack(e + ("H" if typ == 3 else "I") * len(v), *v)
        if tag == 273:
            raw = struct.pack(e + "I", 8)
        if len(raw) <= 4:
            out.append(struct.pack(e + "HHI", tag, typ, len(v)) + raw.ljust(4, b"\0"))
        else:
            out.append(struct.pack(e + "HHII", tag, typ, len(v), extra + len(blobs)))
            blobs += raw
    hdr = (b"II*\0" if e == "<" else b"MM\0*") + struct.pack(e + "I", ifd)
    open(dst, "wb").write(hdr + data + struct.pack(e + "H", len(tags)) + b"".join(out) +
                          struct.pack(e + "I", 0) + blobs)

if sys.argv[1] == "hash":
    print(pixels(sys.argv[2]))
else:
    write(sys.argv[2], {"II": "<", "MM": ">"}[sys.argv[3]], sys.argv[4], sys.argv[5])
EOF

# jq-free field access: FIELD of the first image, or of the record.
img() {
	"$PYTHON" -c "import json,sys; r=json.loads(open(sys.argv[1]).readline()); print($2)" "$1"
}

test_expect_success 'gradient-3c-64b.tiff (the corpus): u64 R, G, B, the pixel hash of the spec' '
	prov-fp --json "$G64" >g.json 2>err &&
	test_must_be_empty err &&
	test "$(img g.json "\" \".join(c[\"name\"] + \":\" + c[\"type\"] for c in r[\"images\"][0][\"channels\"])")" = "R:u64 G:u64 B:u64" &&
	test "$(img g.json "r[\"images\"][0][\"bits_per_sample\"]")" = 64 &&
	test "$(img g.json "\"error\" in r")" = False &&
	"$PYTHON" tiff64.py hash "$G64" >want &&
	img g.json "r[\"pixels\"]" >got &&
	test_cmp want got &&
	grep -q "^v1:[0-9a-f]\{64\}$" got &&
	test_json_valid fingerprint.schema.json g.json
'

test_expect_success 'the same u64 samples little- and big-endian, strips or tiles: one hash' '
	convert "$FRAME" -resize 96x54! -depth 8 ppm:f.ppm &&
	"$PYTHON" tiff64.py write u64 II f.ppm le.tif &&
	"$PYTHON" tiff64.py write u64 MM f.ppm be.tif &&
	tiffinfo le.tif >info 2>&1 && grep -q "Bits/Sample: 64" info &&
	tiffcp -t -w 32 -l 32 le.tif tiled.tif &&
	tiffcp -c zip le.tif zip.tif &&
	"$PYTHON" tiff64.py hash le.tif >want &&
	"$PYTHON" tiff64.py hash be.tif >want_be &&
	test_cmp want want_be &&
	for f in le be tiled zip; do
		prov-fp --json $f.tif >$f.json && img $f.json "r[\"pixels\"]" >got_$f &&
		test_cmp want got_$f || return 1
	done &&
	test "$(img tiled.json "r[\"images\"][0][\"tiled\"]")" = True
'

test_expect_success 'PDQ of u64 and i64 samples is the PDQ of their 8-bit values' '
	convert f.ppm PNG24:f.png &&
	"$PYTHON" tiff64.py write i64 II f.ppm s.tif &&
	prov-fp --json f.png >png.json && prov-fp --json s.tif >s.json &&
	img png.json "r[\"pdq\"][\"hash\"]" >want_pdq &&
	img le.json "r[\"pdq\"][\"hash\"]" >got_u &&
	test_cmp want_pdq got_u &&
	! grep -q "^0*$" want_pdq &&
	test "$(img s.json "r[\"images\"][0][\"channels\"][0][\"type\"]")" = i64 &&
	"$PYTHON" tiff64.py hash s.tif >want_s && img s.json "r[\"pixels\"]" >got_s &&
	test_cmp want_s got_s && ! test_cmp want got_s &&
	img s.json "r[\"pdq\"][\"hash\"]" >got_s_pdq &&
	"$PYTHON" -c "
import sys
a, b = (int(open(f).read(), 16) for f in sys.argv[1:])
d = bin(a ^ b).count(\"1\")
# pixel (0, 0) went from its 8-bit value to 0 (negative): nearly the same
assert d <= 8, d
" want_pdq got_s_pdq
'

test_expect_success 'one changed u64 sample changes the hash' '
	"$PYTHON" -c "
d = bytearray(open(\"le.tif\", \"rb\").read())
d[8 + 8 * 100] ^= 1
open(\"c.tif\", \"wb\").write(d)
" &&
	prov-fp --json c.tif >c.json && img c.json "r[\"pixels\"]" >got_c &&
	"$PYTHON" tiff64.py hash c.tif >want_c &&
	test_cmp want_c got_c && ! test_cmp want got_c
'

test_done
