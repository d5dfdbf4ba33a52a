/* t_names.c: episode/sequence/shot/frame/version/task from paths. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "test.h"

/* "episode=104 sequence=020 ..." of a path, in field order, into out. */
static void
parse(const struct prov_names *n, const char *path, char *out, size_t size)
{
	json_t *o = json_object();
	size_t used = 0;
	int i;

	out[0] = '\0';
	prov_names_parse(n, path, strlen(path), o);
	for (i = 0; i < PROV_NAMES_NFIELDS; i++) {
		json_t *v = json_object_get(o, prov_names_field(i));

		if (v != NULL)
			used += (size_t)snprintf(out + used, size - used, "%s%s=%s",
			    used ? " " : "", prov_names_field(i), json_string_value(v));
	}
	json_decref(o);
}

#define CHECK(path, want) do { \
	parse(n, path, got, sizeof(got)); \
	failure("%s", path); \
	assert_eq_str(got, want); \
} while (0)

DEFINE_TEST(test_names_defaults_studio_shapes)
{
	struct prov_names *n;
	struct prov_err e;
	char got[512];

	assert_ok(prov_names_open(&n, NULL, 0, NULL, &e));
	CHECK("ep104_sq020_sh030_v003.0101.exr",
	    "episode=104 sequence=020 shot=030 frame=0101 version=003");
	CHECK("/proj/EP104/SQ020/SH030/comp/v003/ep104_sq020_sh030_comp_v003.0101.exr",
	    "episode=104 sequence=020 shot=030 frame=0101 version=003 task=comp");
	CHECK("x.zip!/EP104/SQ020/SH030/comp/v003/ep104_sq020_sh030_comp_v003.0101.exr",
	    "episode=104 sequence=020 shot=030 frame=0101 version=003 task=comp");
	CHECK("renders/104_020_030/lgt/104_020_030_lgt.v012.1001.exr",
	    "episode=104 sequence=020 shot=030 frame=1001 version=012 task=lgt");
	CHECK("e104_s020_c030_anim_0042.png",
	    "episode=104 sequence=020 shot=030 frame=0042 task=anim");
	CHECK("sq010/sc030/lay/sq010_sc030_lay.v2.tif",
	    "sequence=010 shot=030 version=2 task=lay");
	CHECK("shot030/roto/shot030_roto_v01_0007.png",
	    "shot=030 frame=0007 version=01 task=roto");
	CHECK("C:\\work\\EP12\\SQ0040\\SH0010\\fx\\EP12_SQ0040_SH0010_fx.v004.0012.exr",
	    "episode=12 sequence=0040 shot=0010 frame=0012 version=004 task=fx");
	CHECK("bg/ep201_bg_forest.psd", "episode=201 task=bg");
	CHECK("sprite-fright-010_0020_A/frame_0003.png", "frame=0003");
	prov_names_close(n);
}

DEFINE_TEST(test_names_false_positives)
{
	struct prov_names *n;
	struct prov_err e;
	char got[512];

	assert_ok(prov_names_open(&n, NULL, 0, NULL, &e));
	CHECK("plates/plate_1920x1080.png", "task=plate");
	CHECK("scans/scan_2048x858_1920x1080.dpx", "");
	CHECK("review/render_2024_01_15.png", "");
	CHECK("review/2024-01-15/notes.txt", "");
	CHECK("104_020_030.exr", "episode=104 sequence=020 shot=030");
	CHECK("docs/compositing_notes.txt", "");
	CHECK("epilogue/seqence/shots.txt", "");
	CHECK("img/v8engine/IMG_20240115.jpg", "");
	CHECK("", "");
	prov_names_close(n);
}

DEFINE_TEST(test_names_config_file)
{
	struct prov_names *n;
	struct prov_err e;
	char got[512];
	const char *cfg =
	    "# studio X: <show>_<ep>-<shot>_<task>_r<version>.<frame>.<ext>\n"
	    "-,episode,shot ^(.*/)?[a-z]+_([0-9]{3})-([0-9]{4})_\n"
	    "version _r([0-9]+)\\.\n"
	    "task   _(paint|ink)_\n"
	    "defaults\n";
	FILE *fp;

	assert_ok(prov_names_open(&n, cfg, strlen(cfg), "cfg", &e));
	CHECK("out/kiki_101-0040_paint_r7.0012.png",
	    "episode=101 shot=0040 frame=0012 version=7 task=paint");
	prov_names_close(n);

	fp = fopen("names.conf", "w");
	assert_true(fp != NULL);
	fputs("episode,shot [a-z]+_([0-9]{3})-([0-9]{4})\n", fp);
	fclose(fp);
	assert_ok(prov_names_open_file(&n, "names.conf", &e));
	/* Without "defaults" only the file's rules apply. */
	CHECK("out/kiki_101-0040_paint_r7.0012.png", "episode=101 shot=0040");
	CHECK("ep104_sq020_sh030_v003.0101.exr", "");
	prov_names_close(n);
}

DEFINE_TEST(test_names_config_errors)
{
	struct prov_names *n = (struct prov_names *)1;
	struct prov_err e;
	struct prov_buf big = PROV_BUF_INIT;
	int i;

	assert_eq_int(prov_names_open(&n, "shot\n", 5, "c", &e), PROV_FAILED);
	assert_eq_str(e.msg, "c:1: expected FIELDS REGEX");
	assert_true(n == NULL);
	assert_eq_int(prov_names_open(&n, "\n# x\nactor (a)\n", 15, "c", &e), PROV_FAILED);
	assert_eq_str(e.msg, "c:3: unknown field \"actor\"");
	assert_eq_int(prov_names_open(&n, "shot,frame (a)\n", 15, "c", &e), PROV_FAILED);
	assert_eq_str(e.msg, "c:1: 2 fields named but the regex has 1 groups (at most 9)");
	assert_eq_int(prov_names_open(&n, "shot (a\n", 8, "c", &e), PROV_FAILED);
	assert_true(strncmp(e.msg, "c:1: ", 5) == 0);
	for (i = 0; i < 65; i++)
		prov_buf_addstr(&big, "shot (x)\n");
	assert_eq_int(prov_names_open(&n, big.buf, big.len, "c", &e), PROV_FAILED);
	assert_eq_str(e.msg, "c:65: more than 64 rules");
	prov_buf_release(&big);
	assert_eq_int(prov_names_open_file(&n, "missing.conf", &e), PROV_FAILED);
	assert_eq_int(e.sys_errno, ENOENT);
}

DEFINE_TEST(test_names_long_and_odd_paths)
{
	struct prov_names *n;
	struct prov_err e;
	struct prov_buf p = PROV_BUF_INIT;
	json_t *o = json_object();
	int i;

	assert_ok(prov_names_open(&n, NULL, 0, NULL, &e));
	for (i = 0; i < 2000; i++)
		prov_buf_addstr(&p, "dir/");
	prov_buf_addstr(&p, "EP104/SQ020/SH030/x.0101.exr");
	assert_eq_int(prov_names_parse(n, p.buf, p.len, o), 4);
	assert_eq_str(json_string_value(json_object_get(o, "shot")), "030");
	json_decref(o);
	/* Non-UTF-8 bytes and an embedded NUL. */
	o = json_object();
	assert_eq_int(prov_names_parse(n, "\xbf\xfe/EP104/sh030\0/sq9", 18, o), 2);
	json_decref(o);
	prov_buf_release(&p);
	prov_names_close(n);
}
