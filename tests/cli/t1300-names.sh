#!/bin/sh
# Names from paths by the default and a project's naming patterns.
. "$(dirname "$0")/lib.sh"

test_expect_success 'default patterns read episode, sequence, shot, frame, version, task' '
	prov-test names "x.zip!/EP104/SQ020/SH030/comp/v003/ep104_sq020_sh030_comp_v003.0101.exr" \
		"104_020_030_lgt.v012.1001.exr" "plate_1920x1080.png" >out 2>err &&
	cat >expect <<-\EOT &&
	{"episode":"104","sequence":"020","shot":"030","frame":"0101","version":"003","task":"comp"}
	{"episode":"104","sequence":"020","shot":"030","frame":"1001","version":"012","task":"lgt"}
	{"task":"plate"}
	EOT
	test_cmp expect out &&
	test_must_be_empty err
'

test_expect_success 'a names file replaces the defaults unless it says defaults' '
	cat >names.conf <<-\EOT &&
	# <show>_<episode>-<shot>_r<version>
	-,episode,shot ^(.*/)?[a-z]+_([0-9]{3})-([0-9]{4})
	version _r([0-9]+)\.
	EOT
	prov-test names -f names.conf "kiki_101-0040_paint_r7.0012.png" >out &&
	echo "{\"episode\":\"101\",\"shot\":\"0040\",\"version\":\"7\"}" >expect &&
	test_cmp expect out &&
	echo defaults >>names.conf &&
	prov-test names -f names.conf "kiki_101-0040_paint_r7.0012.png" >out &&
	echo "{\"episode\":\"101\",\"shot\":\"0040\",\"frame\":\"0012\",\"version\":\"7\",\"task\":\"paint\"}" >expect &&
	test_cmp expect out
'

test_expect_success 'a bad names file is refused with its line number' '
	printf "# ok\nshot,actor (a)(b)\n" >bad.conf &&
	test_must_fail --status=1 prov-test names -f bad.conf x >out 2>err &&
	test_must_be_empty out &&
	grep "bad.conf:2: unknown field \"actor\"" err &&
	printf "shot ([0-9]+\n" >bad2.conf &&
	test_must_fail --status=1 prov-test names -f bad2.conf x >out 2>err &&
	grep "bad2.conf:1: " err
'

test_done
