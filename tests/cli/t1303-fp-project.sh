#!/bin/sh
# prov-fp on project files: kind "project", application and version in
# "meta", embedded paths in "paths", and the users, hosts and code pages
# in them as indicators; the corpus Blender files and scenes written here.
. "$(dirname "$0")/lib.sh"

TAB=$(printf '\t')
SF=$CORPUS/project/sprite-fright-010_0020_A

test_expect_success 'corpus Blender files: kind project, meta, paths, software indicator' '
	(cd "$SF" && prov-fp --json lib/cam/camera_rig.blend lib/nodes/utility.blend readme.txt) >out 2>err &&
	test_must_be_empty err &&
	test_json_valid fingerprint.schema.json out &&
	jq -r "[.path, .kind, .meta.application // \"-\", .meta.version // \"-\"] | @tsv" out >got &&
	cat >expect <<-EOT &&
	lib/cam/camera_rig.blend${TAB}project${TAB}Blender${TAB}3.00
	lib/nodes/utility.blend${TAB}project${TAB}Blender${TAB}3.00
	readme.txt${TAB}other${TAB}-${TAB}-
	EOT
	test_cmp expect got &&
	test "$(jq -c "select(.path == \"lib/nodes/utility.blend\") | .paths" out)" = \
		"[\"//utility.rigging.blend\",\"//utility.shading.blend\",\"//utility.modeling.blend\",\"//utility.geometry.blend\",\"//../../../../Desktop/\"]" &&
	jq -c "select(.kind == \"project\") | .indicators" out >got &&
	echo "[{\"type\":\"software\",\"value\":\"Blender\",\"field\":\"application\"}]" >expect1 &&
	cat expect1 expect1 >expect &&
	test_cmp expect got &&
	test "$(jq -c "select(.path == \"readme.txt\") | .indicators" out)" = null
'

test_expect_success 'scenes written here: Maya ASCII, Nuke, OTIO' '
	cat >sh030_anim_v003.ma <<-\EOT &&
	//Maya ASCII 2022 scene
	//Name: sh030_anim_v003.ma
	//Codeset: 949
	file -rdi 1 -ns "chr" -rfn "chrRN" -typ "mayaAscii" "C:/Users/park.j/vendor/chars/chr_rig_v012.ma";
	requires maya "2022";
	fileInfo "product" "Maya 2022";
	createNode file -n "tex";
		setAttr ".ftn" -type "string" "/home/lee/tex/bark.tif";
	EOT
	cat >ep104_sh030_comp_v003.nk <<-\EOT &&
	#! /usr/local/Nuke13.2v4/libnuke-13.2.4.so -nx
	version 13.2 v4
	Root {
	 inputs 0
	 name /mnt/show/ep104/sh030/comp/sh030_comp_v003.nk
	}
	Read {
	 file "\\\\render02\\plates\\sh030.####.exr"
	 name Read1
	}
	Write {
	 file /home/kowalski/out/sh030_comp.####.exr
	 name Write1
	}
	EOT
	printf "{\"OTIO_SCHEMA\": \"Timeline.1\", \"name\": \"ep104_cut_v7\", \"tracks\": {\"children\": [{\"target_url\": \"https://cdn.vendor.example/sh020.mov\"}]}}\n" >cut.otio &&
	prov-fp --json sh030_anim_v003.ma ep104_sh030_comp_v003.nk cut.otio >out 2>err &&
	test_must_be_empty err &&
	test_json_valid fingerprint.schema.json out &&
	jq -r "[.path, .kind, .meta.application] | @tsv" out >got &&
	cat >expect <<-EOT &&
	sh030_anim_v003.ma${TAB}project${TAB}Maya
	ep104_sh030_comp_v003.nk${TAB}project${TAB}Nuke
	cut.otio${TAB}project${TAB}OpenTimelineIO
	EOT
	test_cmp expect got &&
	jq -r "select(.path == \"sh030_anim_v003.ma\") | .indicators[] | [.type, .value, .field] | @tsv" out >got &&
	grep -qx "user${TAB}park.j${TAB}paths" got &&
	grep -qx "user${TAB}lee${TAB}paths" got &&
	grep -qx "locale${TAB}ko_KR.CP949${TAB}codeset" got &&
	jq -r "select(.path == \"ep104_sh030_comp_v003.nk\") | .indicators[] | [.type, .value, .field] | @tsv" out >got &&
	grep -qx "host${TAB}render02${TAB}paths" got &&
	grep -qx "user${TAB}kowalski${TAB}paths" got &&
	jq -r "select(.path == \"cut.otio\") | .indicators[] | [.type, .value, .field] | @tsv" out >got &&
	grep -qx "host${TAB}cdn.vendor.example${TAB}paths" got &&
	# names of the project files themselves
	jq -c -S "select(.path == \"sh030_anim_v003.ma\") | .names" out >got &&
	echo "{\"shot\":\"030\",\"task\":\"anim\",\"version\":\"003\"}" >expect &&
	test_cmp expect got
'

test_expect_success 'project files inside a tar: the same keys on the member records' '
	bsdtar -cf scenes.tar --uname=park.j sh030_anim_v003.ma ep104_sh030_comp_v003.nk &&
	prov-fp --json scenes.tar >out 2>err &&
	test_must_be_empty err &&
	test_json_valid fingerprint.schema.json out &&
	jq -r "select(.member) | [.path, .kind, .meta.application] | @tsv" out >got &&
	cat >expect <<-EOT &&
	scenes.tar!/sh030_anim_v003.ma${TAB}project${TAB}Maya
	scenes.tar!/ep104_sh030_comp_v003.nk${TAB}project${TAB}Nuke
	EOT
	test_cmp expect got &&
	jq -r "select(.path == \"scenes.tar!/sh030_anim_v003.ma\") | .indicators[] | [.type, .value, .field] | @tsv" out >got &&
	grep -qx "user${TAB}park.j${TAB}paths" got &&
	grep -qx "user${TAB}park.j${TAB}member.uname" got
'

test_done
