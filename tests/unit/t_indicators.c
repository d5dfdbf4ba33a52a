/* t_indicators.c: who, where and with what, from a record's meta and path. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "test.h"

/* "type=value@field;..." of rec's indicators. */
static void
dump(const struct prov_record *r, char *out, size_t size)
{
	json_t *ind = json_object_get(r->fields, "indicators"), *o;
	size_t i, used = 0;

	out[0] = '\0';
	json_array_foreach(ind, i, o)
		used += (size_t)snprintf(out + used, size - used, "%s=%s@%s;",
		    json_string_value(json_object_get(o, "type")),
		    json_string_value(json_object_get(o, "value")),
		    json_string_value(json_object_get(o, "field")));
}

DEFINE_TEST(test_indicators_tiff_like_meta_and_paths)
{
	struct prov_record r;
	json_t *meta = json_object();
	char got[2048];

	prov_record_init(&r);
	prov_buf_addstr(&r.path, "/home/mkim/out/EP104/frame.0001.tif");
	json_object_set_new(meta, "Artist", json_string("\xea\xb9\x80\xeb\xaf\xbc\xec\xa4\x80"));
	json_object_set_new(meta, "HostComputer", json_string("RENDER-07"));
	json_object_set_new(meta, "Software", json_string("Nuke 13.2v4"));
	json_object_set_new(meta, "DocumentName",
	    json_string("C:\\Users\\wang.lei\\Desktop\\\xe9\x95\x9c\xe5\xa4\xb4.psd"));
	json_object_set_new(meta, "OffsetTime", json_string("+09:00"));
	json_object_set_new(meta, "nuke/script",
	    json_string("\\\\fs02\\projects\\show\\comp.nk"));
	json_object_set_new(meta, "comments",
	    json_string("from https://user@files.vendor-b.example:8443/drop?x=1, "
	    "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"));
	json_object_set_new(meta, "ImageDescription", json_string("plain text 1920x1080"));
	json_object_set_new(r.fields, "meta", meta);
	assert_eq_int(prov_indicators_add(&r), 13);
	dump(&r, got, sizeof(got));
	assert_eq_str(got,
	    "owner=\xea\xb9\x80\xeb\xaf\xbc\xec\xa4\x80@Artist;"
	    "locale=Hangul@Artist;"
	    "host=RENDER-07@HostComputer;"
	    "software=Nuke 13.2v4@Software;"
	    "path=C:\\Users\\wang.lei\\Desktop\\\xe9\x95\x9c\xe5\xa4\xb4.psd@DocumentName;"
	    "user=wang.lei@DocumentName;"
	    "locale=Han@DocumentName;"
	    "tz=+09:00@OffsetTime;"
	    "path=\\\\fs02\\projects\\show\\comp.nk@nuke/script;"
	    "host=fs02@nuke/script;"
	    "host=files.vendor-b.example@comments;"
	    "locale=Cyrillic@comments;"
	    "user=mkim@path;");
	prov_record_release(&r);
}

DEFINE_TEST(test_indicators_members_and_no_duplicates)
{
	struct prov_record r;
	json_t *m = json_object(), *ind = json_array(), *o = json_object();
	char got[1024];

	prov_record_init(&r);
	prov_buf_addstr(&r.path, "x.zip!/\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88/a.png");
	json_object_set_new(m, "uname", json_string("tanaka"));
	json_object_set_new(m, "gname", json_string("staff"));
	json_object_set_new(m, "name_charset", json_string("CP932"));
	json_object_set_new(m, "name_decoded", json_string("\xe8\xa1\xa8/\xe4\xb8\x80.txt"));
	json_object_set_new(r.fields, "member", m);
	/* Already there (a format module's own): not added twice. */
	json_object_set_new(o, "type", json_string("user"));
	json_object_set_new(o, "value", json_string("tanaka"));
	json_object_set_new(o, "field", json_string("member.uname"));
	json_array_append_new(ind, o);
	json_object_set_new(r.fields, "indicators", ind);
	assert_eq_int(prov_indicators_add(&r), 4);
	dump(&r, got, sizeof(got));
	assert_eq_str(got, "user=tanaka@member.uname;user=staff@member.gname;"
	    "locale=Han@member.name_decoded;locale=ja_JP.CP932@member.name_charset;"
	    "locale=Kana@path;");
	assert_eq_int(prov_indicators_add(&r), 0);
	prov_record_release(&r);

	/* Nothing to say: no "indicators" key at all. */
	prov_record_init(&r);
	prov_buf_addstr(&r.path, "renders/shot.0001.exr");
	assert_eq_int(prov_indicators_add(&r), 0);
	assert_true(json_object_get(r.fields, "indicators") == NULL);
	prov_record_release(&r);
}

/* Member-name charsets are named as the locale they point at. */
DEFINE_TEST(test_indicators_charset_locales)
{
	static const char *const cases[][2] = {
		{ "GBK", "locale=zh_CN.GBK@member.name_charset;" },
		{ "EUC-JP", "locale=ja_JP.EUC-JP@member.name_charset;" },
		{ "CP949", "locale=ko_KR.CP949@member.name_charset;" },
		{ "KOI8-R", "locale=ru_RU.KOI8-R@member.name_charset;" },
		{ "CP866", "locale=ru_RU.CP866@member.name_charset;" },
		/* several languages use it: the charset alone */
		{ "CP1251", "locale=CP1251@member.name_charset;" },
		/* says nothing about a place */
		{ "unknown", "" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct prov_record r;
		json_t *m = json_object();
		char got[512];

		prov_record_init(&r);
		prov_buf_addstr(&r.path, "a.zip!/x");
		json_object_set_new(m, "name_charset", json_string(cases[i][0]));
		json_object_set_new(r.fields, "member", m);
		prov_indicators_add(&r);
		dump(&r, got, sizeof(got));
		failure("%s", cases[i][0]);
		assert_eq_str(got, cases[i][1]);
		prov_record_release(&r);
	}
}

DEFINE_TEST(test_indicators_scripts)
{
	assert_eq_str(prov_script_of("\xed\x95\x9c", 3), "Hangul");
	assert_eq_str(prov_script_of("ab\xe3\x81\x82", 5), "Kana");
	assert_eq_str(prov_script_of("\xe4\xb8\xad", 3), "Han");
	assert_eq_str(prov_script_of("\xd0\x96", 2), "Cyrillic");
	assert_true(prov_script_of("caf\xc3\xa9 na\xc3\xafve", 12) == NULL);
	assert_true(prov_script_of("\xe4\xb8", 2) == NULL);	/* truncated */
	assert_true(prov_script_of("\xff\xfe", 2) == NULL);
}

/* A real EXR through the EXR module, then indicators. */
DEFINE_TEST(test_indicators_real_exr_owner)
{
	const char *path = corpus_path("exr/openexr-images/ScanLines/Cannon.exr");
	struct prov_fp_opts opts;
	struct prov_record r;
	struct prov_blob b;
	struct prov_err e;
	unsigned char *data;
	size_t len;
	char got[4096];

	data = test_slurp(path, &len);
	assert_true(data != NULL);
	memset(&opts, 0, sizeof(opts));
	prov_limits_default(&opts.limits);
	b.data = data;
	b.len = len;
	b.name = "Cannon.exr";
	prov_record_init(&r);
	prov_buf_addstr(&r.path, "/Users/jdoe/EP104/SQ020/SH030/Cannon.exr");
	assert_ok(prov_format_exr.fingerprint(&b, &opts, &r, &e));
	prov_indicators_add(&r);
	dump(&r, got, sizeof(got));
	failure("%s", got);
	assert_true(strstr(got, "owner=Copyright 2006 Industrial Light & Magic@owner;") != NULL);
	assert_true(strstr(got, "user=jdoe@path;") != NULL);
	/* The EXR module's own owner entry is not repeated. */
	assert_true(strstr(strstr(got, "owner=") + 1, "owner=") == NULL);
	prov_record_release(&r);
	free(data);
}

/* XML namespace names in an XMP packet are not hosts; a real URL is. */
DEFINE_TEST(test_indicators_xmp_namespaces_are_not_hosts)
{
	struct prov_record r;
	json_t *meta = json_object();
	char got[1024];

	prov_record_init(&r);
	prov_buf_addstr(&r.path, "x.tif");
	json_object_set_new(meta, "XMP", json_string(
	    "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF "
	    "xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
	    "<rdf:Description xmlns:xmp = 'http://ns.example-vendor.test/xap/1.0/' "
	    "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
	    "xmp:BaseURL=\"https://nas01.vendor.test/ep104/\"/></rdf:RDF></x:xmpmeta>"));
	json_object_set_new(r.fields, "meta", meta);
	assert_eq_int(prov_indicators_add(&r), 1);
	dump(&r, got, sizeof(got));
	assert_eq_str(got, "host=nas01.vendor.test@XMP;");
	prov_record_release(&r);
}
