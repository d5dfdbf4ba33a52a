/* t_tiff.c: the TIFF format module on real files of the corpus. */
#include <dirent.h>
#include <stdlib.h>

#include "test.h"

static int
fp_tiff(const char *path, uint64_t max_pixels, struct prov_record *rec, struct prov_err *e)
{
	return test_fingerprint(&prov_format_tiff, path, max_pixels, rec, e);
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

static void
sweep(const char *rel, unsigned *ok, unsigned *bad, int expect_ok,
    const char *const *rejected, size_t nrejected)
{
	struct prov_record rec;
	struct prov_err e;
	struct dirent *d;
	char path[4096];
	DIR *dir;
	size_t i;

	snprintf(path, sizeof(path), "%s", corpus_path(rel));
	if ((dir = opendir(path)) == NULL) {
		test_fail(__FILE__, __LINE__, "cannot open %s", path);
		return;
	}
	while ((d = readdir(dir)) != NULL) {
		size_t n = strlen(d->d_name);
		int rc, want;

		if (n < 5 || d->d_type == DT_DIR ||
		    (strcmp(d->d_name + n - 4, ".tif") != 0 && strcmp(d->d_name + n - 5, ".tiff") != 0))
			continue;
		snprintf(path, sizeof(path), "%s/%s", corpus_path(rel), d->d_name);
		rc = fp_tiff(path, 0, &rec, &e);
		want = expect_ok;
		for (i = 0; i < nrejected; i++)
			if (strcmp(d->d_name, rejected[i]) == 0)
				want = 0;
		if (want && rc != PROV_OK)
			test_fail(__FILE__, __LINE__, "%s: %s", d->d_name, e.msg);
		else if (!want && rc != PROV_OK && (rc != PROV_FAILED ||
		    strstr(e.msg, ": TIFF") == NULL))
			test_fail(__FILE__, __LINE__, "%s: unclear error %d: %s", d->d_name, rc, e.msg);
		else if (want && json_object_get(rec.fields, "pixels") == NULL)
			test_fail(__FILE__, __LINE__, "%s: no pixels", d->d_name);
		*(rc == PROV_OK ? ok : bad) += 1;
		prov_record_release(&rec);
	}
	closedir(dir);
}


DEFINE_TEST(test_tiff_bid)
{
	static const unsigned char le[] = { 'I', 'I', 42, 0, 8, 0, 0, 0 };
	static const unsigned char be[] = { 'M', 'M', 0, 43, 0, 8, 0, 0 };
	static const unsigned char png[] = { 0x89, 'P', 'N', 'G', 13, 10, 26, 10 };

	assert_true(prov_format_tiff.bid(le, sizeof(le)) > 0);
	assert_true(prov_format_tiff.bid(be, sizeof(be)) > 0);
	assert_eq_int(prov_format_tiff.bid(png, sizeof(png)), 0);
	assert_eq_str(prov_format_tiff.name, "tiff");
}

/* Every TIFF of the corpus decodes but the few libtiff itself rejects
 * (SOURCES.md); 64-bit integer samples (gradient-3c-64b.tiff) decode too. */
DEFINE_TEST(test_tiff_corpus_decodes)
{
	static const char *const dirs[] = { "tiff/libtiff", "tiff/pillow", "tiff/libtiffpic",
	    "tiff/libtiffpic/depth", "tiff/image-tiff", "tiff/image-tiff/seq",
	    "project/sprite-fright-010_0020_A/lib/char/jay/maps" };
	static const char *const rejected[] = { "testfax3_bug54_1dnoEOL.tif",
	    "separate_planar_extra_samples.tiff", "text.tif" };
	unsigned ok = 0, bad = 0;
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		sweep(dirs[i], &ok, &bad, 1, rejected, sizeof(rejected) / sizeof(rejected[0]));
	failure("%u decoded, %u failed", ok, bad);
	assert_true(ok >= 220);
	assert_eq_int(bad, 3);
}

DEFINE_TEST(test_tiff_bad_corpus_fails_cleanly)
{
	static const char *const dirs[] = { "bad/tiff/pillow", "bad/tiff/libtiff",
	    "bad/tiff/image-tiff" };
	unsigned ok = 0, bad = 0;
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		sweep(dirs[i], &ok, &bad, 0, NULL, 0);
	assert_true(bad >= 35);
}

DEFINE_TEST(test_tiff_pages_meta_limit)
{
	struct prov_record rec;
	struct prov_err e;

	assert_ok(fp_tiff(corpus_path("tiff/libtiff/test_two_ifds.tif"), 0, &rec, &e));
	assert_eq_int(json_integer_value(json_object_get(rec.fields, "pages")), 2);
	assert_eq_int(json_array_size(json_object_get(rec.fields, "images")), 2);
	prov_record_release(&rec);
	assert_ok(fp_tiff(corpus_path("tiff/libtiff/minisblack-2c-8b-alpha.tiff"), 0, &rec, &e));
	assert_true(json_string_value(json_object_get(json_object_get(rec.fields, "meta"),
	    "Artist")) != NULL);
	assert_eq_str(chan(&rec, 0, "name"), "Y");
	assert_eq_str(chan(&rec, 1, "name"), "A");
	prov_record_release(&rec);
	/* the project's 16-bit Deflate texture: u16 samples */
	assert_ok(fp_tiff(corpus_path("project/sprite-fright-010_0020_A/lib/char/jay/maps/jay.hat_displacement.tif"),
	    0, &rec, &e));
	assert_eq_str(chan(&rec, 0, "type"), "u16");
	assert_eq_str(json_string_value(json_object_get(image(&rec, 0), "compression")), "deflate");
	prov_record_release(&rec);
	assert_eq_int(fp_tiff(corpus_path("tiff/libtiffpic/jello.tif"), 100, &rec, &e), PROV_FAILED);
	assert_true(strstr(e.msg, "--max-pixels") != NULL);
	prov_record_release(&rec);
}

