#!/bin/sh
# Every PNG and TIFF of the corpus that libpng and libtiff themselves read
# decodes; the three that do not fail with the library's reason.  Then, when
# prov-fp is built, the damaged files go through `prov-fp --json` itself.
. "$(dirname "$0")/lib.sh"

# The corpus files libtiff does not read in full, and what it says:
# TIFFReadEncodedStrip fails (tiffcp refuses them too); only TIFFRGBAImage
# (tiff2rgba) goes on, leaving the rows blank.  (64-bit integer samples,
# gradient-3c-64b.tiff, decode as u64: t1240.)
cat >known <<'EOF'
tiff/libtiff/testfax3_bug54_1dnoEOL.tif: TIFF page 0: cannot decode a strip
tiff/libtiffpic/text.tif: TIFF page 0: cannot decode a strip: Not enough data at scanline 320 (0 != 1512)
tiff/pillow/separate_planar_extra_samples.tiff: TIFF page 0: cannot decode a strip: Invalid strip byte count 0, strip 1
EOF

test_expect_success 'every corpus PNG and TIFF decodes, but the three libtiff cannot read' '
	(cd "$CORPUS" && find png tiff frames -type f \( -iname "*.png" -o -iname "*.tif" -o -iname "*.tiff" \)) |
		sort >list &&
	test "$(wc -l <list)" -ge 500 &&
	{ (cd "$CORPUS" && tr "\n" "\0" | xargs -0 prov-test raster_fp) <list >out 2>err; test $? -le 123; } &&
	test "$(wc -l <out)" = "$(wc -l <list)" &&
	"$PYTHON" -c "
import json
errors = []
for line in open(\"out\"):
    r = json.loads(line)
    if \"error\" in r:
        errors.append(r[\"error\"])
    else:
        assert r[\"kind\"] in (\"png\", \"tiff\"), r[\"path\"]
        assert all(i[\"pixels\"].startswith(\"v1:\") for i in r[\"images\"]), r[\"path\"]
open(\"got\", \"w\").write(\"\".join(e + \"\\n\" for e in sorted(errors)))
" &&
	test_cmp known got &&
	(cd "$CORPUS" && tiffcp -c none tiff/image-tiff/gradient-3c-64b.tiff "$TRASH/g64.tif" 2>/dev/null) &&
	! (cd "$CORPUS" && tiffcp -c none tiff/libtiffpic/text.tif "$TRASH/t.tif" 2>/dev/null)
'

if command -v prov-fp >/dev/null 2>&1; then
test_expect_success 'prov-fp --json: every damaged PNG, TIFF, JPEG and WebP gives a record naming it' '
	find "$CORPUS/bad/png" "$CORPUS/bad/tiff" -type f ! -name "LICENSE*" ! -name "*.md" | sort >bad &&
	convert "$CORPUS/frames/sintel/raft-demo/frame_0016.png" -resize 96x41 ppm:small.ppm &&
	cjpeg -progressive -outfile small.jpg small.ppm &&
	convert small.ppm -quality 70 small.webp &&
	"$PYTHON" -c "
for src in (\"small.jpg\", \"small.webp\"):
    d = open(src, \"rb\").read()
    for k in range(1, 20):
        open(\"cut%02d.%s\" % (k, src[6:]), \"wb\").write(d[:k * len(d) // 20])
" &&
	ls "$TRASH"/cut*.* >>bad &&
	test_must_fail --status=1 prov-fp --json -j2 --files-from bad >out 2>err &&
	test "$(wc -l <out)" = "$(wc -l <bad)" &&
	"$PYTHON" -c "
import json
paths = set(l.rstrip(\"\\n\") for l in open(\"bad\"))
err = set(l.rstrip(\"\\n\") for l in open(\"err\"))
n = 0
for line in open(\"out\"):
    r = json.loads(line)
    assert r[\"path\"] in paths, r[\"path\"]
    if \"error\" in r:
        # the record holds the reason, stderr names the file with it
        assert r[\"error\"], r
        assert any(l.startswith(\"prov-fp: \" + r[\"path\"] + \": \") and
                   l.endswith(r[\"error\"]) for l in err), r
        n += 1
    elif r[\"kind\"] in (\"png\", \"tiff\", \"jpeg\", \"webp\"):
        assert r[\"pixels\"].startswith(\"v1:\"), r
assert n >= 100, n
" &&
	test "$(grep -c "cut.*\.jpg.*JPEG" err)" -ge 15 &&
	test "$(grep -c "cut.*\.webp.*WebP" err)" -ge 15 &&
	if [ -f "$SRC_DIR/schemas/fingerprint.schema.json" ]; then
		test_json_valid fingerprint.schema.json out
	fi
'
else
	echo "# prov-fp is not built: the damaged files go through prov-test raster_fp (t1200, t1210, t1220) only"
fi

test_done
