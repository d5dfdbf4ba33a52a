#!/bin/sh
# prov-fp over the shared corpus: every archive, and every file of
# corpus/bad (under the sanitizers in make check): no crash, an error
# record and a stderr line for each bad input, the rest goes on.
. "$(dirname "$0")/lib.sh"

TAB=$(printf '\t')

test_expect_success 'every corpus archive: records for all, valid JSON, exit 1' '
	(cd "$CORPUS" && find archives -type f | sort) >list &&
	(cd "$CORPUS" && test_must_fail --status=1 prov-fp -j 2 --json -T "$TRASH/list" >"$TRASH/out" 2>"$TRASH/err") &&
	test_json_valid fingerprint.schema.json out >v &&
	while read -r f; do
		grep -q "^{\"path\":\"$f\",\"kind\":\"[a-z]*\",\"size\":[0-9]*,\"sha256\":\"$(sha256sum "$CORPUS/$f" | cut -d" " -f1)\"" out ||
			{ echo "no record for $f"; exit 1; }
	done <list &&
	! grep -v "^prov-fp: archives/[^ ]*: [^ ]" err
'

test_expect_success 'the corpus charsets are guessed' '
	cd "$CORPUS" &&
	prov-fp --json archives/zip2/non_utf8.zip archives/adm-zip/chs_name.zip \
		archives/libarchive/zip/test_read_format_zip_filename_cp932.zip \
		archives/libarchive/zip/test_read_format_zip_filename_cp866.zip \
		archives/libarchive/zip/test_read_format_zip_filename_koi8r.zip \
		archives/libarchive/tar/test_read_format_ustar_filename_eucjp.tar.Z >"$TRASH/cs" &&
	cd "$TRASH" &&
	grep -q "\"name_bytes\":\"d6d0cec4\",\"name_charset\":\"GBK\",\"name_decoded\":\"中文\"" cs &&
	grep -q "\"name_bytes\":\"93fa95b6\",\"name_charset\":\"CP932\",\"name_decoded\":\"日文\"" cs &&
	grep -q "\"name_charset\":\"CP932\",\"name_decoded\":\"表だよ/一覧表.txt\"" cs &&
	grep -q "\"name_charset\":\"CP866\",\"name_decoded\":\"ПРИВЕТ\"" cs &&
	grep -q "\"name_charset\":\"CP866\",\"name_decoded\":\"привет\"" cs &&
	grep -q "\"name_charset\":\"KOI8-R\",\"name_decoded\":\"привет\"" cs &&
	grep -q "\"name_charset\":\"KOI8-R\",\"name_decoded\":\"ПРИВЕТ\"" cs &&
	grep -q "\"name_charset\":\"EUC-JP\",\"name_decoded\":\"漢字.txt\"" cs &&
	grep -q "\"path\":\"archives/adm-zip/chs_name.zip!/中文路径.txt\"" cs
'

test_expect_success 'encrypted, unsupported, multi-volume: named errors' '
	cd "$CORPUS" &&
	test_must_fail --status=1 prov-fp \
		archives/libarchive/zip/test_read_format_zip_winzip_aes128.zip \
		archives/zip2/legacy_shrink.zip \
		archives/libarchive/rar/test_read_format_rar5_multiarchive_solid.part02.rar \
		archives/libarchive/rar/test_read_format_rar5_multiarchive_solid.part01.rar \
		archives/libarchive/7z/test_read_format_7zip_encryption_header.7z \
		>"$TRASH/out" 2>"$TRASH/err" &&
	cd "$TRASH" &&
	grep -qx "prov-fp: archives/libarchive/zip/test_read_format_zip_winzip_aes128.zip!/README: encrypted member: no passphrase, contents not read" err &&
	grep -qx "prov-fp: archives/zip2/legacy_shrink.zip!/FIRST.TXT: Unsupported ZIP compression method (1: shrinking)" err &&
	grep -q "^prov-fp: archives/libarchive/rar/test_read_format_rar5_multiarchive_solid.part02.rar: " err &&
	grep -q "^prov-fp: archives/libarchive/rar/test_read_format_rar5_multiarchive_solid.part01.rar!/elf-Linux-ARMv7-ls: truncated member" err &&
	grep -q "^prov-fp: archives/libarchive/7z/test_read_format_7zip_encryption_header.7z: .*encrypted" err &&
	grep -q -e "^-${TAB}error${TAB}archives/libarchive/zip/test_read_format_zip_winzip_aes128.zip!/README\$" out
'

test_expect_success 'raw compressed streams are other, with their compression' '
	cd "$CORPUS" && prov-fp --json archives/libarchive/raw/* >"$TRASH/out" 2>"$TRASH/err" &&
	cd "$TRASH" && test_must_be_empty err &&
	test $(grep -c "\"kind\":\"other\",.*\"compression\":\\[\"[a-z0-9]*\"\\]" out) = 7
'

test_expect_success 'path-safety samples are marked, never written anywhere' '
	cd "$CORPUS" && prov-fp --json archives/libarchive/tar/test_patterns_4.tar \
		archives/libarchive/zip/test_symlink_dotdot.zip >"$TRASH/out" &&
	cd "$TRASH" &&
	grep "test_patterns_4.tar!//../file02\"" out | grep -q "\"unsafe\":\\[\"dotdot\",\"absolute\"\\]" &&
	grep "test_patterns_4.tar!/c:/file04\"" out | grep -q "\"unsafe\":\\[\"absolute\"\\]" &&
	grep -q "\"unsafe\":\\[\"link_dotdot\"\\]" out &&
	test ! -e file01 && test ! -e file04
'

test_expect_success 'every file of corpus/bad: no crash, exit 1, one line per error' '
	# libarchive 3.6 loops, allocates without bound or calls exit() on
	# some of these: their readers run in a child that is stopped at the
	# limits, with an error record, and the run goes on.
	(cd "$CORPUS" && find bad -type f | sort) >badlist &&
	(cd "$CORPUS" && test_must_fail --status=1 prov-fp -j 2 --json \
		--max-archive-memory 256M --archive-stall 3 -T "$TRASH/badlist" \
		>"$TRASH/out" 2>"$TRASH/err") &&
	test_json_valid fingerprint.schema.json out &&
	test $(grep "^{\"path\":\"bad/[^\"]*\",\"kind\"" out | grep -vc "^{\"path\":\"[^\"]*!/") = $(wc -l <badlist) &&
	test $(grep -c "\"error\":" out) = $(wc -l <err) &&
	grep -q "^prov-fp: bad/archives/adm-zip/bad_crc.zip!/lorem_ipsum.txt: .*CRC" err &&
	grep -q "^prov-fp: bad/archives/libarchive/test_read_format_xar_doublelink.xar: archive reader stopped: " err &&
	! grep -v "^prov-fp: bad/[^ ]*: [^ ]" err
'

test_expect_success 'an archive reader past its memory limit is stopped, the run goes on' '
	cd "$CORPUS" &&
	test_must_fail --status=1 prov-fp --max-archive-memory 64M --archive-stall 120 \
		bad/archives/libarchive/test_read_format_7zip_folders_oom.7z \
		bad/archives/libarchive/test_read_format_iso_rockridge_ce_loop.iso.Z \
		archives/zip2/non_utf8.zip >"$TRASH/out" 2>"$TRASH/err" &&
	cd "$TRASH" &&
	cat >expect <<-\EOF &&
	prov-fp: bad/archives/libarchive/test_read_format_7zip_folders_oom.7z: archive reader stopped: it used more memory than --max-archive-memory allows
	prov-fp: bad/archives/libarchive/test_read_format_iso_rockridge_ce_loop.iso.Z: archive reader stopped: it used more memory than --max-archive-memory allows
	EOF
	test_cmp expect err &&
	test $(wc -l <out) = 5 &&
	grep -q "${TAB}archive${TAB}archives/zip2/non_utf8.zip\$" out
'

test_expect_success 'an archive reader that makes no progress is stopped' '
	cd "$CORPUS" &&
	test_must_fail --status=1 prov-fp --json --archive-stall 2 \
		bad/archives/libarchive/test_read_format_xar_doublelink.xar >"$TRASH/out" 2>"$TRASH/err" &&
	cd "$TRASH" &&
	echo "prov-fp: bad/archives/libarchive/test_read_format_xar_doublelink.xar: archive reader stopped: it made no progress within --archive-stall seconds" >expect &&
	test_cmp expect err &&
	grep -q "\"kind\":\"archive\",.*\"error\":\"archive reader stopped" out
'

test_done
