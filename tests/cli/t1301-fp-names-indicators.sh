#!/bin/sh
# prov-fp: "names" from every record's path (archive members too) by the
# default and a project's patterns (--names), and "indicators" from meta,
# member and path, on corpus files and on renamed copies of them.
. "$(dirname "$0")/lib.sh"

TAB=$(printf '\t')
EXR=$CORPUS/exr/openexr/comp_zip.exr
PNG=$CORPUS/frames/sintel/raft-demo/frame_0016.png
SF=$CORPUS/project/sprite-fright-010_0020_A

# key of the record whose path is $2, as compact JSON (sorted keys)
pick() {
	jq -c -S --arg p "$2" "select(.path == \$p) | .$1" out
}

test_expect_success 'names of renamed corpus frames, in a tree and in a zip' '
	d=show/EP104/SQ020/SH030/comp/v003 &&
	mkdir -p $d plates &&
	cp "$EXR" $d/ep104_sq020_sh030_comp_v003.0101.exr &&
	cp "$PNG" plates/104_020_030_lgt.v012.1001.png &&
	cp "$PNG" plates/notes.png &&
	zip -q -r frames.zip show plates &&
	prov-fp --json show plates frames.zip >out 2>err &&
	test_must_be_empty err &&
	test_json_valid fingerprint.schema.json out &&
	e="{\"episode\":\"104\",\"frame\":\"0101\",\"sequence\":\"020\",\"shot\":\"030\",\"task\":\"comp\",\"version\":\"003\"}" &&
	test "$(pick names $d/ep104_sq020_sh030_comp_v003.0101.exr)" = "$e" &&
	test "$(pick names "frames.zip!/$d/ep104_sq020_sh030_comp_v003.0101.exr")" = "$e" &&
	e="{\"episode\":\"104\",\"frame\":\"1001\",\"sequence\":\"020\",\"shot\":\"030\",\"task\":\"lgt\",\"version\":\"012\"}" &&
	test "$(pick names plates/104_020_030_lgt.v012.1001.png)" = "$e" &&
	test "$(pick names "frames.zip!/plates/104_020_030_lgt.v012.1001.png")" = "$e" &&
	test "$(pick names plates/notes.png)" = null &&
	test "$(pick names frames.zip)" = null &&
	test $(grep -c "\"names\":" out) = 4
'

test_expect_success 'names are the same with -j 2 (same output, byte for byte)' '
	prov-fp --json show plates frames.zip >one &&
	prov-fp -j 2 --json show plates frames.zip >two 2>err &&
	test_must_be_empty err &&
	test_cmp one two
'

test_expect_success '--names: the project file of a real shot (sprite-fright-010_0020_A)' '
	cat >names.conf <<-\EOT &&
	# Blender Studio: <show>-<sequence>_<shot>_<variant>/...
	-,sequence,shot,- (^|/)[a-z-]+-([0-9]{3})_([0-9]{4})_([A-Z])/
	defaults
	EOT
	prov-fp --json "$SF/lib/cam/camera_rig.blend" >out 2>err &&
	test_must_be_empty err &&
	test "$(pick names "$SF/lib/cam/camera_rig.blend")" = "{\"task\":\"rig\"}" &&
	prov-fp --json --names names.conf "$SF/lib/cam/camera_rig.blend" >out 2>err &&
	test_must_be_empty err &&
	test_json_valid fingerprint.schema.json out &&
	test "$(pick names "$SF/lib/cam/camera_rig.blend")" = \
		"{\"sequence\":\"010\",\"shot\":\"0020\",\"task\":\"rig\"}"
'

test_expect_success '--names without "defaults" replaces the built-in patterns' '
	printf -- "-,episode (^|/)show_([0-9]+)/\n" >only.conf &&
	mkdir -p show_7 && cp "$PNG" show_7/sh030_comp_v003.0101.png &&
	prov-fp --json --names only.conf show_7 >out 2>err &&
	test_must_be_empty err &&
	test "$(pick names show_7/sh030_comp_v003.0101.png)" = "{\"episode\":\"7\"}"
'

test_expect_success '--names: a bad or missing file is a usage error (exit 2), nothing written' '
	printf "# ok\nshot,actor (a)(b)\n" >bad.conf &&
	test_must_fail --status=2 prov-fp --json --names bad.conf "$PNG" >out 2>err &&
	test_must_be_empty out &&
	grep -qx "prov-fp: bad.conf:2: unknown field \"actor\"" err &&
	test_must_fail --status=2 prov-fp --names nosuch.conf "$PNG" >out 2>err &&
	test_must_be_empty out &&
	grep -q "^prov-fp: nosuch.conf: No such file or directory" err
'

test_expect_success 'indicators of corpus EXR headers and PNG text, each with its field' '
	prov-fp --json "$CORPUS/exr/openexr-images/ScanLines/Cannon.exr" \
		"$CORPUS/exr/openexr-images/MultiView/Fog.exr" \
		"$CORPUS/png/pngsuite/ct1n0g04.png" >out 2>err &&
	test_must_be_empty err &&
	test_json_valid fingerprint.schema.json out &&
	pick indicators "$CORPUS/exr/openexr-images/ScanLines/Cannon.exr" >got &&
	echo "[{\"field\":\"owner\",\"type\":\"owner\",\"value\":\"Copyright 2006 Industrial Light & Magic\"}]" >expect &&
	test_cmp expect got &&
	pick indicators "$CORPUS/exr/openexr-images/MultiView/Fog.exr" >got &&
	echo "[{\"field\":\"latitude\",\"type\":\"location\",\"value\":\"37.797344\"},{\"field\":\"longitude\",\"type\":\"location\",\"value\":\"-122.476112\"}]" >expect &&
	test_cmp expect got &&
	pick indicators "$CORPUS/png/pngsuite/ct1n0g04.png" >got &&
	grep -q "{\"field\":\"Author\",\"type\":\"owner\",\"value\":\"Willem A.J. van Schaik\\\\n(willem@schaik.com)\"}" got &&
	grep -q "{\"field\":\"Software\",\"type\":\"software\",\"value\":\"Created on a NeXTstation color using \\\\\"pnmtopng\\\\\".\"}" got
'

test_expect_success 'indicators of corpus TIFF tags, and of tags set here with tiffset' '
	T=$CORPUS/tiff/libtiff/minisblack-2c-8b-alpha.tiff &&
	G=$CORPUS/tiff/image-tiff/gradient-1c-32b-float.tiff &&
	cp "$CORPUS/tiff/libtiff/minisblack-1c-8b.tiff" set.tiff &&
	tiffset -s 316 "RENDER-07" set.tiff &&
	tiffset -s 315 "lee.hana" set.tiff &&
	prov-fp --json "$T" "$G" set.tiff >out 2>err &&
	test_must_be_empty err &&
	test_json_valid fingerprint.schema.json out &&
	pick indicators "$T" >got &&
	echo "[{\"field\":\"Artist\",\"type\":\"owner\",\"value\":\"Stockdisc\"},{\"field\":\"Software\",\"type\":\"software\",\"value\":\"Adobe Photoshop CS3 Windows\"}]" >expect &&
	test_cmp expect got &&
	pick indicators "$G" >got &&
	echo "[{\"field\":\"DocumentName\",\"type\":\"path\",\"value\":\"/Users/championa/code/rust/image-tiff/tests/images/gradient-1c-32b-float.tiff\"},{\"field\":\"DocumentName\",\"type\":\"user\",\"value\":\"championa\"}]" >expect &&
	test_cmp expect got &&
	pick indicators set.tiff >got &&
	grep -q "{\"field\":\"HostComputer\",\"type\":\"host\",\"value\":\"RENDER-07\"}" got &&
	grep -q "{\"field\":\"Artist\",\"type\":\"owner\",\"value\":\"lee.hana\"}" got &&
	# the maker'"'"'s site in Software is no host indicator
	! grep -q "\"type\":\"host\",\"value\":\"www.GraphicsMagick.org\"" got
'

test_expect_success 'indicators of an EXR made here: owner, comments with a Windows home, utcOffset' '
	exrstdattr -owner "kim.minji" -comments "from C:\\Users\\kim.minji\\Desktop\\ep104" \
		-utcOffset -32400 -capDate "2024:03:05 11:02:13" "$EXR" tagged.exr &&
	prov-fp --json tagged.exr >out 2>err &&
	test_must_be_empty err &&
	test_json_valid fingerprint.schema.json out &&
	pick indicators tagged.exr >got &&
	grep -q "{\"field\":\"owner\",\"type\":\"owner\",\"value\":\"kim.minji\"}" got &&
	grep -q "{\"field\":\"comments\",\"type\":\"user\",\"value\":\"kim.minji\"}" got &&
	grep -q "{\"field\":\"utcOffset\",\"type\":\"tz\",\"value\":\"[^\"]*09:00\"}" got &&
	test "$(pick meta.capDate tagged.exr)" = "\"2024:03:05 11:02:13\"" &&
	# the pixels are the corpus file'"'"'s: metadata never changes them
	prov-fp --json "$EXR" >out2 &&
	test "$(jq -r .pixels out)" = "$(jq -r .pixels out2)"
'

test_expect_success 'indicators from paths: /home/<name>/ and C:\Users\<name>\ in member names' '
	mkdir -p home/mina/ep104 &&
	cp "$PNG" home/mina/ep104/frame.png &&
	prov-fp --json "$TRASH/home" >out 2>err &&
	test_must_be_empty err &&
	pick indicators "$TRASH/home/mina/ep104/frame.png" >got &&
	grep -q "{\"field\":\"path\",\"type\":\"user\",\"value\":\"mina\"}" got &&
	mkdir -p w && cp "$PNG" "w/C:\\Users\\tanaka\\ep104\\f.png" &&
	bsdtar -cf win.tar --uname=tanaka --gname=vendorco -C w . &&
	prov-fp --json win.tar >out 2>err &&
	test_must_be_empty err &&
	test_json_valid fingerprint.schema.json out &&
	jq -c -S "select(.member) | .indicators" out >got &&
	echo "[{\"field\":\"member.uname\",\"type\":\"user\",\"value\":\"tanaka\"},{\"field\":\"member.gname\",\"type\":\"user\",\"value\":\"vendorco\"},{\"field\":\"path\",\"type\":\"user\",\"value\":\"tanaka\"}]" >expect &&
	test_cmp expect got
'

test_expect_success 'indicators of corpus archives with GBK and Shift-JIS (CP932) names' '
	prov-fp --json "$CORPUS/archives/zip2/non_utf8.zip" \
		"$CORPUS/archives/libarchive/zip/test_read_format_zip_filename_cp932.zip" >out 2>err &&
	test_must_be_empty err &&
	test_json_valid fingerprint.schema.json out &&
	jq -c -S "select(.member.name_bytes == \"d6d0cec4\") | .indicators" out >got &&
	echo "[{\"field\":\"member.name_decoded\",\"type\":\"locale\",\"value\":\"Han\"},{\"field\":\"member.name_charset\",\"type\":\"locale\",\"value\":\"zh_CN.GBK\"}]" >expect &&
	test_cmp expect got &&
	test $(jq -c "select(.member.name_charset == \"CP932\") | .indicators[] | select(.field == \"member.name_charset\" and .value == \"ja_JP.CP932\" and .type == \"locale\")" out | wc -l) = 3 &&
	# archives and members without such names carry no indicators
	test $(jq -c "select(.kind == \"archive\") | .indicators" out | grep -vc null) = 0
'

test_expect_success 'text and --sum output are unchanged by names and indicators' '
	prov-fp show >out 2>err &&
	test_must_be_empty err &&
	h=$(sha256sum show/EP104/SQ020/SH030/comp/v003/ep104_sq020_sh030_comp_v003.0101.exr | cut -d" " -f1) &&
	echo "$h${TAB}exr${TAB}show/EP104/SQ020/SH030/comp/v003/ep104_sq020_sh030_comp_v003.0101.exr" >expect &&
	test_cmp expect out
'

test_done
