/* t_png.c: the PNG format module on real files of the corpus. */
#include <dirent.h>
#include <stdlib.h>

#include "test.h"

static int
fp_png(const char *path, uint64_t max_pixels, struct prov_record *rec, struct prov_err *e)
{
	return test_fingerprint(&prov_format_png, path, max_pixels, rec, e);
}

static json_t *
image(const struct prov_record *rec, size_t i)
{
	return json_array_get(json_object_get(rec->fields, "images"), i);
}

static const char *
chan(const struct prov_record *rec, size_t i, const char *key)
{
	json_t *ch = json_array_get(json_object_get(image(rec, 0), "channels"), i);

	return json_string_value(json_object_get(ch, key));
}

DEFINE_TEST(test_png_bid)
{
	static const unsigned char png[] = { 0x89, 'P', 'N', 'G', 13, 10, 26, 10 };
	static const unsigned char exr[] = { 0x76, 0x2f, 0x31, 0x01, 2, 0, 0, 0 };

	assert_true(prov_format_png.bid(png, sizeof(png)) > 0);
	assert_eq_int(prov_format_png.bid(exr, sizeof(exr)), 0);
	assert_eq_int(prov_format_png.bid(png, 7), 0);
	assert_eq_str(prov_format_png.name, "png");
}

/* Every valid PNG of a corpus directory decodes (expect_ok), or, for the bad
 * ones, each either fails with a PNG error message or (the edge cases that
 * libpng accepts: short palettes, extra IDAT, a zTXt bomb it skips) decodes. */
static void
sweep(const char *rel, unsigned *ok, unsigned *bad, int expect_ok)
{
	struct prov_record rec;
	struct prov_err e;
	struct dirent *d;
	char path[4096];
	DIR *dir;

	snprintf(path, sizeof(path), "%s", corpus_path(rel));
	if ((dir = opendir(path)) == NULL) {
		test_fail(__FILE__, __LINE__, "cannot open %s", path);
		return;
	}
	while ((d = readdir(dir)) != NULL) {
		size_t n = strlen(d->d_name);
		int rc, want;

		if (n < 5 || strcmp(d->d_name + n - 4, ".png") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", corpus_path(rel), d->d_name);
		rc = fp_png(path, 0, &rec, &e);
		want = expect_ok;
		if (want && rc != PROV_OK)
			test_fail(__FILE__, __LINE__, "%s: %s", d->d_name, e.msg);
		else if (!want && rc != PROV_OK && (rc != PROV_FAILED ||
		    strstr(e.msg, ": PNG: ") == NULL))
			test_fail(__FILE__, __LINE__, "%s: unclear error %d: %s", d->d_name, rc, e.msg);
		else if (want && json_object_get(rec.fields, "pixels") == NULL)
			test_fail(__FILE__, __LINE__, "%s: no pixels", d->d_name);
		*(rc == PROV_OK ? ok : bad) += 1;
		prov_record_release(&rec);
	}
	closedir(dir);
}

DEFINE_TEST(test_png_corpus_decodes)
{
	unsigned ok = 0, bad = 0;

	sweep("png/pngsuite", &ok, &bad, 1);
	sweep("png/libpng-testpngs", &ok, &bad, 1);
	sweep("frames/sintel/raft-demo", &ok, &bad, 1);
	sweep("frames/sintel/faldoi-alley_1/clean", &ok, &bad, 1);
	sweep("frames/sintel/faldoi-cave_2/final", &ok, &bad, 1);
	assert_true(ok > 250);
	assert_eq_int(bad, 0);
}

DEFINE_TEST(test_png_bad_corpus_fails_cleanly)
{
	static const char *const dirs[] = { "bad/png/pillow", "bad/png/pngsuite-x",
	    "bad/png/libpng-crashers", "bad/png/libpng-badpal" };
	unsigned ok = 0, bad = 0;
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		sweep(dirs[i], &ok, &bad, 0);
	assert_true(bad >= 30);
}

DEFINE_TEST(test_png_types)
{
	struct prov_record rec;
	struct prov_err e;

	/* 16-bit RGB, kept as u16 */
	assert_ok(fp_png(corpus_path("png/pngsuite/basn2c16.png"), 0, &rec, &e));
	assert_eq_str(chan(&rec, 0, "name"), "R");
	assert_eq_str(chan(&rec, 0, "type"), "u16");
	assert_eq_int(json_array_size(json_object_get(image(&rec, 0), "channels")), 3);
	prov_record_release(&rec);
	/* 2-bit grey: one u8 per sample, bits 2 */
	assert_ok(fp_png(corpus_path("png/pngsuite/basn0g02.png"), 0, &rec, &e));
	assert_eq_str(chan(&rec, 0, "name"), "Y");
	assert_eq_int(json_integer_value(json_object_get(json_array_get(json_object_get(
	    image(&rec, 0), "channels"), 0), "bits")), 2);
	prov_record_release(&rec);
	/* palette with tRNS: R, G, B, A */
	assert_ok(fp_png(corpus_path("png/pngsuite/tbbn3p08.png"), 0, &rec, &e));
	assert_eq_int(json_array_size(json_object_get(image(&rec, 0), "channels")), 4);
	assert_eq_str(chan(&rec, 3, "name"), "A");
	prov_record_release(&rec);
}

/* Adam7 and non-interlaced versions of one image have one pixel hash. */
DEFINE_TEST(test_png_interlace_same_pixels)
{
	static const char *const pairs[][2] = {
		{ "basn2c08.png", "basi2c08.png" }, { "basn0g01.png", "basi0g01.png" },
		{ "basn6a16.png", "basi6a16.png" }, { "basn3p04.png", "basi3p04.png" } };
	struct prov_record a, b;
	struct prov_err e;
	char p[4096];
	size_t i;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		failure("%s", pairs[i][0]);
		snprintf(p, sizeof(p), "%s/%s", corpus_path("png/pngsuite"), pairs[i][0]);
		assert_ok(fp_png(p, 0, &a, &e));
		snprintf(p, sizeof(p), "%s/%s", corpus_path("png/pngsuite"), pairs[i][1]);
		assert_ok(fp_png(p, 0, &b, &e));
		assert_eq_str(json_string_value(json_object_get(a.fields, "pixels")),
		    json_string_value(json_object_get(b.fields, "pixels")));
		assert_eq_str(json_string_value(json_object_get(image(&b, 0), "interlace")), "adam7");
		prov_record_release(&a);
		prov_record_release(&b);
	}
}

DEFINE_TEST(test_png_text_meta_and_limit)
{
	struct prov_record rec;
	struct prov_err e;
	json_t *meta;

	assert_ok(fp_png(corpus_path("png/pngsuite/ct1n0g04.png"), 0, &rec, &e));
	meta = json_object_get(rec.fields, "meta");
	assert_true(json_string_value(json_object_get(meta, "Author")) != NULL);
	assert_true(json_string_value(json_object_get(meta, "Title")) != NULL);
	prov_record_release(&rec);
	assert_ok(fp_png(corpus_path("png/pngsuite/cm0n0g04.png"), 0, &rec, &e));
	assert_eq_str(json_string_value(json_object_get(json_object_get(rec.fields, "meta"),
	    "tIME")), "2000-01-01T12:34:56Z");
	prov_record_release(&rec);
	/* 32x32 = 1024 pixels: refused below, before any allocation */
	assert_eq_int(fp_png(corpus_path("png/pngsuite/basn2c08.png"), 1000, &rec, &e),
	    PROV_FAILED);
	assert_true(strstr(e.msg, "--max-pixels") != NULL);
	prov_record_release(&rec);
}
