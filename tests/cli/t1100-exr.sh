#!/bin/sh
# OpenEXR: the format module on the corpus, on files written here with the
# OpenEXR tools and oiiotool, and on every file of bad/exr.  Runs the module
# through `prov-test exr_fp` (one JSON line per file, exit 1 if any failed).
. "$(dirname "$0")/lib.sh"

# pixels FILE: the top-level pixel hash of one file.
pixels() {
	prov-test exr_fp "$1" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["pixels"])'
}
# test_json_ok FILE: every line is JSON (jansson wrote valid UTF-8).
test_json_ok() {
	"$PYTHON" -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]' "$1"
}
# field FILE EXPR: a Python expression over the record r.
field() {
	prov-test exr_fp "$1" | "$PYTHON" -c "import json,sys; r=json.load(sys.stdin); print($2)"
}

test_expect_success 'every EXR of the corpus decodes' '
	find "$CORPUS/exr" -name "*.exr" | sort >list &&
	test "$(wc -l <list)" -ge 60 &&
	tr "\n" "\0" <list | xargs -0 prov-test exr_fp >out 2>err &&
	test_must_be_empty err &&
	test "$(wc -l <out)" = "$(wc -l <list)" &&
	"$PYTHON" -c "
import json,sys
for line in open(\"out\"):
    r = json.loads(line)
    assert \"error\" not in r, r[\"path\"]
    assert r[\"pixels\"].startswith(\"v1:\") and len(r[\"pixels\"]) == 67, r[\"path\"]
    assert len(r[\"images\"]) == r[\"parts\"], r[\"path\"]
"
'

test_expect_success 'every file of bad/exr gives an error record, none crashes' '
	find "$CORPUS/bad/exr" -type f ! -name "LICENSE*" ! -name "*.rst" ! -name "*.md" ! -name "*.txt" |
		sort >list &&
	test "$(wc -l <list)" -ge 190 &&
	tr "\n" "\0" <list | xargs -0 prov-test exr_fp >out 2>err
	test $? = 123 &&
	test "$(wc -l <out)" = "$(wc -l <list)" &&
	! grep -q -e AddressSanitizer -e "runtime error" err &&
	"$PYTHON" -c "
import json
ok = errs = 0
for line in open(\"out\"):
    r = json.loads(line)
    if \"error\" in r:
        assert r[\"error\"].startswith(r[\"path\"] + \": EXR \"), r
        errs += 1
    else:
        ok += 1
# the few that decode are the documented edge cases (type attribute lies)
assert ok <= 6 and errs >= 190, (ok, errs)
" &&
	test "$(wc -l <err)" -ge 190
'

test_expect_success 'bad/exr files one by one exit 1 with the reason on stderr' '
	test_must_fail --status=1 prov-test exr_fp "$CORPUS/bad/exr/openexr/comp_early_eof_piz.exr" >out 2>err &&
	grep -q "comp_early_eof_piz.exr: EXR" err &&
	grep -q "\"error\":" out &&
	test_must_fail --status=1 prov-test exr_fp "$CORPUS/bad/exr/openexr/invalid.exr" >out 2>err &&
	grep -q "invalid.exr: EXR header" err
'

test_expect_success 'the UTF-8 file name decodes and matches its twin' '
	pixels "$CORPUS/exr/tinyexr/日本語.exr" >a &&
	pixels "$CORPUS/exr/tinyexr/2by2.exr" >b &&
	test_cmp a b
'

test_expect_success 'make one image with every lossless compression, scanline and tiled' '
	oiiotool --pattern fill:topleft=0.1,0.2,0.3,1:topright=0.9,0.1,0.4,1:bottomleft=0.3,0.8,0.2,0.5:bottomright=1,1,0,1 96x64 4 \
		--pattern checker:width=8:height=8:color1=0.05,0,0,0:color2=0,0.02,0,0 96x64 4 --add \
		-d half --compression zip -o zip.exr &&
	for c in none rle zips piz pxr24 b44; do
		oiiotool zip.exr -d half --compression $c -o $c.exr || return 1
	done &&
	oiiotool zip.exr -d half --tile 16 16 --compression zip -o tiled.exr &&
	exrmaketiled -z piz zip.exr tiledpiz.exr &&
	exrmaketiled -m -z zip zip.exr mip.exr &&
	test -s mip.exr
'

test_expect_success 'lossless compressions and tiling give one pixel hash' '
	pixels zip.exr >expect &&
	for f in none rle zips piz pxr24 tiled tiledpiz mip; do
		pixels $f.exr >actual &&
		test_cmp expect actual || return 1
	done &&
	test "$(field tiled.exr "r[\"images\"][0][\"type\"]")" = tiledimage &&
	test "$(field mip.exr "r[\"images\"][0][\"tiled\"][\"mode\"]")" = mipmap &&
	test "$(field mip.exr "len(r[\"images\"][0][\"levels\"])")" = 7
'

test_expect_success 'lossy B44 changes the hash of this gradient' '
	pixels zip.exr >a &&
	pixels b44.exr >b &&
	! test_cmp a b >/dev/null
'

test_expect_success 'metadata never changes the pixel hash, and is recorded' '
	exrstdattr -owner "Kim Jiwoo" -comments "first pass" -utcOffset -32400 \
		-longitude 126.97 -latitude 37.56 -capDate "2026:11:28 10:00:00" zip.exr meta.exr &&
	oiiotool zip.exr --attrib "nuke/node_hash" "abc123" --attrib "nuke/script" "/home/kim/shots/sh010.nk" \
		-d half --compression zip -o attr.exr &&
	pixels zip.exr >expect &&
	pixels meta.exr >a && test_cmp expect a &&
	pixels attr.exr >b && test_cmp expect b &&
	! cmp -s zip.exr meta.exr &&
	test "$(field meta.exr "r[\"meta\"][\"owner\"]")" = "Kim Jiwoo" &&
	test "$(field meta.exr "r[\"meta\"][\"utcOffset\"]")" = "-32400 (UTC+09:00)" &&
	test "$(field attr.exr "r[\"meta\"][\"nuke/script\"]")" = "/home/kim/shots/sh010.nk" &&
	field meta.exr "sorted(i[\"type\"] for i in r[\"indicators\"])" >ind &&
	grep -q "owner" ind && grep -q "tz" ind && grep -q "location" ind && grep -q "time" ind
'

test_expect_success 'strings that are not UTF-8 are kept losslessly' '
	exrstdattr -comments "$(printf "\\261\\350\\301\\366\\277\\354")" -owner "$(printf "caf\\351")" zip.exr cp949.exr &&
	prov-test exr_fp cp949.exr >out &&
	test_json_ok out &&
	test "$(field cp949.exr "r[\"meta\"][\"comments_bytes\"]")" = b1e8c1f6bfec &&
	test "$(field cp949.exr "r[\"meta\"][\"owner_bytes\"]")" = 636166e9 &&
	test "$(field cp949.exr "[i for i in r[\"indicators\"] if i[\"type\"] == \"owner\"][0][\"value_bytes\"]")" = 636166e9
'

test_expect_success 'one changed sample changes the pixel hash' '
	oiiotool zip.exr --fill:color=1,0,0,1 1x1+3+3 -d half --compression zip -o changed.exr &&
	pixels zip.exr >a &&
	pixels changed.exr >b &&
	! test_cmp a b >/dev/null
'

test_expect_success 'multi-part: each part is an image with its name' '
	oiiotool zip.exr --ch R,G -d half --compression zip -o rg.exr &&
	exrmultipart -combine -i zip.exr::beauty rg.exr::rg -o multi.exr &&
	prov-test exr_fp multi.exr >out &&
	field multi.exr "r[\"parts\"], len(r[\"images\"])" >n &&
	echo "2 2" >expect && test_cmp expect n &&
	pixels zip.exr >a &&
	field multi.exr "r[\"images\"][0][\"pixels\"]" >b && test_cmp a b &&
	field multi.exr "r[\"images\"][1][\"name\"]" >c && echo rg >expect && test_cmp expect c
'

test_expect_success 'multi-view: each view part carries its view' '
	exrmultiview -z zip left zip.exr right changed.exr stereo.exr &&
	prov-test exr_fp stereo.exr >out &&
	field stereo.exr "[(i.get(\"view\"), i.get(\"views\")) for i in r[\"images\"]]" >views &&
	grep -q left views && grep -q right views
'

test_expect_success 'data window and display window are recorded apart' '
	oiiotool zip.exr --origin +10+20 --fullsize 200x100+0+0 -d half --compression zip -o window.exr &&
	field window.exr "r[\"images\"][0][\"data_window\"], r[\"images\"][0][\"display_window\"]" >w &&
	echo "[10, 20, 105, 83] [0, 0, 199, 99]" >expect && test_cmp expect w &&
	pixels zip.exr >a && pixels window.exr >b && ! test_cmp a b >/dev/null
'

test_expect_success 'DWAA/DWAB decode as the C++ library decodes them' '
	for f in comp_dwaa_v1 comp_dwab_v2; do
		oiiotool "$CORPUS/exr/openexr/$f.exr" -d half --compression none -o $f-none.exr &&
		pixels "$CORPUS/exr/openexr/$f.exr" >a &&
		pixels $f-none.exr >b &&
		test_cmp a b || return 1
	done &&
	oiiotool zip.exr -d half --tile 32 32 --compression dwaa -o dwatiled.exr &&
	oiiotool dwatiled.exr -d half --compression none -o dwatiled-none.exr &&
	pixels dwatiled.exr >a && pixels dwatiled-none.exr >b && test_cmp a b &&
	test "$(field dwatiled.exr "r[\"images\"][0][\"compression\"]")" = dwaa
'

test_expect_success 'deep: one hash across compressions, scanlines and tiles' '
	for c in none zips zip; do
		oiiotool "$CORPUS/exr/openexr/11.deep.exr" --compression $c -o deep-$c.exr || return 1
	done &&
	oiiotool "$CORPUS/exr/openexr/11.deep.exr" --tile 64 64 --compression zips -o deep-tiled.exr &&
	pixels deep-none.exr >expect &&
	for f in deep-zips deep-zip deep-tiled; do
		pixels $f.exr >actual && test_cmp expect actual || return 1
	done &&
	test "$(field deep-tiled.exr "r[\"images\"][0][\"type\"], r[\"images\"][0][\"samples\"]")" = "deeptile 6056" &&
	pixels "$CORPUS/exr/openexr/11.deep.exr" >orig &&
	! test_cmp expect orig >/dev/null
'

test_expect_success 'the pixel limit refuses a large image before decoding' '
	test_must_fail --status=1 prov-test exr_fp -m 1000 zip.exr >out 2>err &&
	grep -q "exceeds the limit of 1000 pixels" err &&
	grep -q "\"error\":" out
'

test_done
