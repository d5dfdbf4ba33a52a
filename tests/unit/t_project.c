/* t_project.c: project, scene and edit files recognised by content. */
#include <stdio.h>
#include <stdlib.h>

#include "test.h"

static int
run(const char *text, size_t len, struct prov_record *r)
{
	struct prov_fp_opts opts;
	struct prov_blob b;
	struct prov_err e;

	memset(&opts, 0, sizeof(opts));
	prov_limits_default(&opts.limits);
	b.data = (const unsigned char *)text;
	b.len = len;
	b.name = "x";
	prov_record_init(r);
	return prov_format_project.fingerprint(&b, &opts, r, &e);
}

static const char *
meta(const struct prov_record *r, const char *k)
{
	return json_string_value(json_object_get(json_object_get(r->fields, "meta"), k));
}

static int
has_path(const struct prov_record *r, const char *p)
{
	json_t *a = json_object_get(r->fields, "paths"), *v;
	size_t i;

	json_array_foreach(a, i, v)
		if (strcmp(json_string_value(v), p) == 0)
			return 1;
	return 0;
}

static int
has_indicator(const struct prov_record *r, const char *type, const char *value)
{
	json_t *a = json_object_get(r->fields, "indicators"), *v;
	size_t i;

	json_array_foreach(a, i, v)
		if (strcmp(json_string_value(json_object_get(v, "type")), type) == 0 &&
		    strcmp(json_string_value(json_object_get(v, "value")), value) == 0)
			return 1;
	return 0;
}

DEFINE_TEST(test_project_blend_sprite_fright)
{
	const char *files[] = {
		"project/sprite-fright-010_0020_A/lib/nodes/utility.blend",
		"project/sprite-fright-010_0020_A/lib/cam/camera_rig.blend",
	};
	struct prov_record r;
	unsigned char *d;
	size_t len, i;

	for (i = 0; i < 2; i++) {
		d = test_slurp(corpus_path(files[i]), &len);
		failure("%s", files[i]);
		assert_true(d != NULL);
		assert_eq_int(prov_format_project.bid(d, len), 100);
		assert_eq_int(prov_format_exr.bid(d, len), 0);
		assert_ok(run((const char *)d, len, &r));
		assert_eq_str(meta(&r, "application"), "Blender");
		assert_eq_str(meta(&r, "version"), "3.00");
		assert_eq_str(meta(&r, "pointer_size"), "8");
		if (i == 0) {
			assert_true(has_path(&r, "//utility.rigging.blend"));
			assert_true(has_path(&r, "//utility.shading.blend"));
			/* "//" is Blender's "relative to this file", not a host. */
			prov_indicators_add(&r);
			assert_true(has_indicator(&r, "software", "Blender"));
			assert_true(!has_indicator(&r, "host", "utility.rigging.blend"));
		}
		assert_true(json_array_size(json_object_get(r.fields, "paths")) > 0);
		prov_record_release(&r);
		free(d);
	}
	/* A truncated header and a look-alike are not Blender. */
	assert_eq_int(prov_format_project.bid((const unsigned char *)"BLENDER-v3", 10), 0);
	assert_eq_int(prov_format_project.bid((const unsigned char *)"BLENDERXv300", 12), 0);
}

DEFINE_TEST(test_project_maya_ascii)
{
	static const char ma[] =
	    "//Maya ASCII 2022 scene\n"
	    "//Name: sh030_anim_v003.ma\n"
	    "//Last modified: Tue, Mar 05, 2024 11:02:13 AM\n"
	    "//Codeset: 949\n"
	    "file -rdi 1 -ns \"chr\" -rfn \"chrRN\" -typ \"mayaAscii\" "
	    "\"C:/Users/park.j/vendor/chars/chr_rig_v012.ma\";\n"
	    "file -r -ns \"set\" -dr 1 -rfn \"setRN\" \"//fs01/show/sets/forest.mb\";\n"
	    "requires maya \"2022\";\n"
	    "requires -nodeType \"aiOptions\" \"mtoa\" \"5.0.0.1\";\n"
	    "fileInfo \"application\" \"maya\";\n"
	    "fileInfo \"product\" \"Maya 2022\";\n"
	    "fileInfo \"osv\" \"Windows 10 Pro v2009 (Build: 19045)\";\n"
	    "createNode file -n \"tex\";\n"
	    "\tsetAttr \".ftn\" -type \"string\" \"/home/lee/tex/bark.tif\";\n";
	struct prov_record r;

	assert_eq_int(prov_format_project.bid((const unsigned char *)ma, sizeof(ma) - 1), 100);
	assert_ok(run(ma, sizeof(ma) - 1, &r));
	assert_eq_str(meta(&r, "application"), "Maya");
	assert_eq_str(meta(&r, "version"), "2022");
	assert_eq_str(meta(&r, "codeset"), "949");
	assert_eq_str(meta(&r, "fileInfo.product"), "Maya 2022");
	assert_eq_str(meta(&r, "requires.maya"), "2022");
	assert_eq_str(meta(&r, "requires.mtoa"), "5.0.0.1");
	assert_true(has_path(&r, "C:/Users/park.j/vendor/chars/chr_rig_v012.ma"));
	assert_true(has_path(&r, "//fs01/show/sets/forest.mb"));
	assert_true(has_path(&r, "/home/lee/tex/bark.tif"));
	prov_indicators_add(&r);
	assert_true(has_indicator(&r, "user", "park.j"));
	assert_true(has_indicator(&r, "user", "lee"));
	assert_true(has_indicator(&r, "locale", "ko_KR.CP949"));
	assert_true(has_indicator(&r, "host", "fs01") == 0);	/* "//": not UNC */
	prov_record_release(&r);
}

DEFINE_TEST(test_project_nuke_otio_edl_xstage)
{
	static const char nk[] =
	    "#! /usr/local/Nuke13.2v4/libnuke-13.2.4.so -nx\n"
	    "version 13.2 v4\n"
	    "Root {\n inputs 0\n name /mnt/show/ep104/sh030/comp/sh030_comp_v003.nk\n}\n"
	    "Read {\n file \"\\\\\\\\render02\\\\plates\\\\sh030.####.exr\"\n name Read1\n}\n"
	    "Write {\n file /home/kowalski/out/sh030_comp.####.exr\n name Write1\n}\n";
	static const char otio[] =
	    "{\n    \"OTIO_SCHEMA\": \"Timeline.1\",\n    \"name\": \"ep104_cut_v7\",\n"
	    "    \"tracks\": {\"children\": [{\"media_reference\": {\"OTIO_SCHEMA\": "
	    "\"ExternalReference.1\", \"target_url\": \"file:///Users/amelie/cuts/sh010.mov\"}},"
	    "{\"target_url\" : \"https://cdn.vendor.example/sh020.mov\"}]}}\n";
	static const char edl[] =
	    "TITLE: EP104 CUT V7\nFCM: NON-DROP FRAME\n\n"
	    "001  AX       V     C        00:00:00:00 00:00:04:00 01:00:00:00 01:00:04:00\n"
	    "* FROM CLIP NAME: sh010_comp_v003.mov\n"
	    "* SOURCE FILE: /Volumes/edit/sh010_comp_v003.mov\n"
	    "002  AX       V     C        00:00:00:00 00:00:02:00 01:00:04:00 01:00:06:00\n";
	static const char xs[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<project source=\"Harmony Premium\" version=\"2100\" build=\"17880\" "
	    "creator=\"harmony\">\n <elements>\n  <element id=\"1\" elementName=\"bg\" "
	    "rootFolder=\"C:\\Users\\mina\\scenes\\ep104\"/>\n </elements>\n<scenes/>\n</project>\n";
	static const char notedl[] = "TITLE: my notes\nnothing here\n";
	static const char notjson[] = "{\"name\": \"x\"}";
	struct prov_record r;

	assert_eq_int(prov_format_project.bid((const unsigned char *)nk, sizeof(nk) - 1), 80);
	assert_ok(run(nk, sizeof(nk) - 1, &r));
	assert_eq_str(meta(&r, "application"), "Nuke");
	assert_eq_str(meta(&r, "version"), "13.2 v4");
	assert_true(has_path(&r, "/mnt/show/ep104/sh030/comp/sh030_comp_v003.nk"));
	assert_true(has_path(&r, "/home/kowalski/out/sh030_comp.####.exr"));
	prov_indicators_add(&r);
	assert_true(has_indicator(&r, "user", "kowalski"));
	assert_true(has_indicator(&r, "host", "render02"));
	prov_record_release(&r);

	assert_eq_int(prov_format_project.bid((const unsigned char *)otio, sizeof(otio) - 1), 80);
	assert_ok(run(otio, sizeof(otio) - 1, &r));
	assert_eq_str(meta(&r, "schema"), "Timeline.1");
	assert_eq_str(meta(&r, "name"), "ep104_cut_v7");
	assert_true(has_path(&r, "file:///Users/amelie/cuts/sh010.mov"));
	prov_indicators_add(&r);
	assert_true(has_indicator(&r, "user", "amelie"));
	assert_true(has_indicator(&r, "host", "cdn.vendor.example"));
	prov_record_release(&r);

	assert_eq_int(prov_format_project.bid((const unsigned char *)edl, sizeof(edl) - 1), 60);
	assert_ok(run(edl, sizeof(edl) - 1, &r));
	assert_eq_str(meta(&r, "title"), "EP104 CUT V7");
	assert_eq_str(meta(&r, "events"), "2");
	assert_true(has_path(&r, "/Volumes/edit/sh010_comp_v003.mov"));
	prov_record_release(&r);

	assert_eq_int(prov_format_project.bid((const unsigned char *)xs, sizeof(xs) - 1), 60);
	assert_ok(run(xs, sizeof(xs) - 1, &r));
	assert_eq_str(meta(&r, "source"), "Harmony Premium");
	assert_eq_str(meta(&r, "version"), "2100");
	assert_true(has_path(&r, "C:\\Users\\mina\\scenes\\ep104"));
	prov_indicators_add(&r);
	assert_true(has_indicator(&r, "user", "mina"));
	prov_record_release(&r);

	assert_eq_int(prov_format_project.bid((const unsigned char *)notedl, sizeof(notedl) - 1), 0);
	assert_eq_int(prov_format_project.bid((const unsigned char *)notjson, sizeof(notjson) - 1), 0);
	assert_eq_int(prov_format_project.bid((const unsigned char *)"", 0), 0);
	assert_eq_int(prov_format_project.bid((const unsigned char *)"<project", 8), 0);
}

/* A big, path-dense file: the paths kept are bounded. */
DEFINE_TEST(test_project_bounded)
{
	struct prov_buf b = PROV_BUF_INIT;
	struct prov_record r;
	int i;

	prov_buf_addstr(&b, "BLENDER-v300");
	for (i = 0; i < 5000; i++)
		prov_buf_addf(&b, "%c//tex/t%05d.png%c", 0, i, 0);
	assert_ok(run(b.buf, b.len, &r));
	assert_eq_int(json_array_size(json_object_get(r.fields, "paths")), 512);
	assert_true(json_is_true(json_object_get(r.fields, "paths_truncated")));
	prov_record_release(&r);
	prov_buf_release(&b);
}
