/* t_exr.c: the OpenEXR format module on real files of the corpus. */
#include <pthread.h>
#include <stdlib.h>

#include "test.h"

/* Runs the module on a corpus file; returns its status, fills rec. */
static int
fp_file(const char *rel, uint64_t max_pixels, struct prov_record *rec, struct prov_err *e)
{
	return test_fingerprint(&prov_format_exr, corpus_path(rel), max_pixels, rec, e);
}

static const char *
image_str(const struct prov_record *rec, size_t i, const char *key)
{
	return json_string_value(json_object_get(json_array_get(
	    json_object_get(rec->fields, "images"), i), key));
}

static const char *
top_pixels(const struct prov_record *rec)
{
	return json_string_value(json_object_get(rec->fields, "pixels"));
}

DEFINE_TEST(test_exr_bid)
{
	static const unsigned char exr[] = { 0x76, 0x2f, 0x31, 0x01, 2, 0, 0, 0 };
	static const unsigned char png[] = { 0x89, 'P', 'N', 'G', 13, 10, 26, 10 };

	assert_true(prov_format_exr.bid(exr, sizeof(exr)) > 0);
	assert_eq_int(prov_format_exr.bid(png, sizeof(png)), 0);
	assert_eq_int(prov_format_exr.bid(exr, 3), 0);
	assert_eq_str(prov_format_exr.name, "exr");
}

/* The comp_* set: one image in every codec.  The lossless ones decode to
 * the same pixels; the lossy ones (B44 on Y/RY/BY, DWAA, DWAB) differ. */
DEFINE_TEST(test_exr_lossless_compressions_share_one_hash)
{
	static const char *const lossless[] = { "none", "rle", "zips", "zip", "piz" };
	struct prov_record rec;
	struct prov_err e;
	char ref[80], rel[64];
	size_t i;

	assert_ok(fp_file("exr/openexr/comp_none.exr", 0, &rec, &e));
	assert_eq_str(image_str(&rec, 0, "compression"), "none");
	snprintf(ref, sizeof(ref), "%s", top_pixels(&rec));
	assert_eq_int(strlen(ref), 67);
	prov_record_release(&rec);
	for (i = 0; i < sizeof(lossless) / sizeof(lossless[0]); i++) {
		snprintf(rel, sizeof(rel), "exr/openexr/comp_%s.exr", lossless[i]);
		failure("%s", rel);
		assert_ok(fp_file(rel, 0, &rec, &e));
		assert_eq_str(image_str(&rec, 0, "compression"), lossless[i]);
		assert_eq_str(top_pixels(&rec), ref);
		prov_record_release(&rec);
	}
	assert_ok(fp_file("exr/openexr/comp_b44.exr", 0, &rec, &e));
	assert_true(strcmp(top_pixels(&rec), ref) != 0);
	prov_record_release(&rec);
}

/* DWA goes through the C++ library: both encoder versions of DWAA decode
 * to the same pixels, which differ from the lossless original. */
DEFINE_TEST(test_exr_dwa_through_cxx)
{
	struct prov_record rec;
	struct prov_err e;
	char a1[80], none[80];

	assert_ok(fp_file("exr/openexr/comp_none.exr", 0, &rec, &e));
	snprintf(none, sizeof(none), "%s", top_pixels(&rec));
	prov_record_release(&rec);
	assert_ok(fp_file("exr/openexr/comp_dwaa_v1.exr", 0, &rec, &e));
	assert_eq_str(image_str(&rec, 0, "compression"), "dwaa");
	snprintf(a1, sizeof(a1), "%s", top_pixels(&rec));
	prov_record_release(&rec);
	assert_true(strcmp(a1, none) != 0);
	assert_ok(fp_file("exr/openexr/comp_dwaa_v2.exr", 0, &rec, &e));
	assert_eq_str(top_pixels(&rec), a1);
	prov_record_release(&rec);
	assert_ok(fp_file("exr/openexr/comp_dwab_v2.exr", 0, &rec, &e));
	assert_eq_str(image_str(&rec, 0, "compression"), "dwab");
	assert_true(strcmp(top_pixels(&rec), none) != 0);
	prov_record_release(&rec);
}

DEFINE_TEST(test_exr_line_order_does_not_matter)
{
	struct prov_record a, b;
	struct prov_err e;

	assert_ok(fp_file("exr/openexr/lineOrder_increasing.exr", 0, &a, &e));
	assert_ok(fp_file("exr/openexr/lineOrder_decreasing.exr", 0, &b, &e));
	assert_eq_str(top_pixels(&a), top_pixels(&b));
	prov_record_release(&a);
	prov_record_release(&b);
}

DEFINE_TEST(test_exr_multipart_views)
{
	struct prov_record rec;
	struct prov_err e;
	json_t *images;

	assert_ok(fp_file("exr/openexr-images/Beachball/multipart.0001.exr", 0, &rec, &e));
	images = json_object_get(rec.fields, "images");
	assert_eq_int(json_array_size(images), 10);
	assert_eq_int(json_integer_value(json_object_get(rec.fields, "parts")), 10);
	assert_true(image_str(&rec, 0, "name") != NULL);
	assert_true(image_str(&rec, 0, "view") != NULL);
	assert_eq_str(image_str(&rec, 9, "type"), "scanlineimage");
	assert_eq_str(image_str(&rec, 0, "pixels"), top_pixels(&rec));
	prov_record_release(&rec);

	/* single-part multi-view: the views are listed */
	assert_ok(fp_file("exr/openexr-images/MultiView/Adjuster.exr", 0, &rec, &e));
	assert_eq_int(json_array_size(json_object_get(json_array_get(
	    json_object_get(rec.fields, "images"), 0), "views")), 3);
	assert_eq_str(image_str(&rec, 0, "compression"), "b44a");
	prov_record_release(&rec);
}

DEFINE_TEST(test_exr_deep)
{
	struct prov_record rec;
	struct prov_err e;
	json_t *img;

	assert_ok(fp_file("exr/openexr/11.deep.exr", 0, &rec, &e));
	img = json_array_get(json_object_get(rec.fields, "images"), 0);
	assert_true(json_is_true(json_object_get(img, "deep")));
	assert_eq_str(image_str(&rec, 0, "type"), "deepscanline");
	assert_eq_int(json_integer_value(json_object_get(img, "samples")), 6056);
	assert_eq_int(json_array_size(json_object_get(img, "channels")), 7);
	assert_eq_mem(top_pixels(&rec), "v1:", 3);
	prov_record_release(&rec);

	/* two deep parts, left and right, with their own data windows */
	assert_ok(fp_file("exr/openexr-images/v2/Stereo/Trunks.exr", 0, &rec, &e));
	assert_eq_str(image_str(&rec, 0, "view"), "left");
	assert_eq_str(image_str(&rec, 1, "view"), "right");
	assert_true(strcmp(image_str(&rec, 0, "pixels"), image_str(&rec, 1, "pixels")) != 0);
	prov_record_release(&rec);
}

DEFINE_TEST(test_exr_mipmap_levels_and_subsampling)
{
	struct prov_record rec;
	struct prov_err e;
	json_t *img, *ch;
	size_t i;
	int seen = 0;

	assert_ok(fp_file("exr/openexr-images/MultiResolution/ColorCodedLevels.exr", 0,
	    &rec, &e));
	img = json_array_get(json_object_get(rec.fields, "images"), 0);
	assert_eq_str(image_str(&rec, 0, "type"), "tiledimage");
	assert_eq_str(json_string_value(json_object_get(json_object_get(img, "tiled"),
	    "mode")), "mipmap");
	assert_eq_int(json_array_size(json_object_get(img, "levels")), 10);
	prov_record_release(&rec);

	assert_ok(fp_file("exr/openexr-images/Chromaticities/Rec709_YC.exr", 0, &rec, &e));
	img = json_array_get(json_object_get(rec.fields, "images"), 0);
	json_array_foreach(json_object_get(img, "channels"), i, ch) {
		const char *n = json_string_value(json_object_get(ch, "name"));
		if (strcmp(n, "RY") == 0 || strcmp(n, "BY") == 0) {
			assert_eq_int(json_integer_value(json_array_get(
			    json_object_get(ch, "sampling"), 0)), 2);
			seen++;
		}
	}
	assert_eq_int(seen, 2);
	assert_true(json_object_get(img, "chromaticities") == NULL);
	prov_record_release(&rec);

	assert_ok(fp_file("exr/openexr-images/Chromaticities/XYZ.exr", 0, &rec, &e));
	img = json_array_get(json_object_get(rec.fields, "images"), 0);
	assert_eq_int(json_array_size(json_object_get(img, "chromaticities")), 8);
	prov_record_release(&rec);
}

DEFINE_TEST(test_exr_windows_and_meta)
{
	struct prov_record rec;
	struct prov_err e;
	json_t *img, *meta, *ind, *it;
	size_t i;
	int owner = 0;

	assert_ok(fp_file("exr/openexr/v1.7.test.1.exr", 0, &rec, &e));
	img = json_array_get(json_object_get(rec.fields, "images"), 0);
	assert_eq_int(json_integer_value(json_array_get(json_object_get(img,
	    "data_window"), 0)), 20);
	assert_eq_int(json_integer_value(json_object_get(img, "width")), 178);
	prov_record_release(&rec);

	assert_ok(fp_file("exr/openexr-images/v2/Stereo/Trunks.exr", 0, &rec, &e));
	meta = json_object_get(rec.fields, "meta");
	assert_eq_str(json_string_value(json_object_get(meta, "owner")),
	    "Copyright 2012 Weta Digital Ltd");
	assert_eq_str(json_string_value(json_object_get(meta, "part1.view")), "right");
	ind = json_object_get(rec.fields, "indicators");
	json_array_foreach(ind, i, it)
		if (strcmp(json_string_value(json_object_get(it, "type")), "owner") == 0)
			owner++;
	assert_eq_int(owner, 1);
	prov_record_release(&rec);
}

DEFINE_TEST(test_exr_limits_and_bad_input)
{
	struct prov_record rec;
	struct prov_err e;

	/* 587x675 pixels against a limit of 1000 */
	assert_eq_int(fp_file("exr/openexr/comp_zip.exr", 1000, &rec, &e), PROV_FAILED);
	assert_true(strstr(e.msg, "--max-pixels") != NULL);
	assert_true(strstr(e.msg, "comp_zip.exr") != NULL);
	prov_record_release(&rec);

	assert_eq_int(fp_file("bad/exr/openexr/invalid.exr", 0, &rec, &e), PROV_FAILED);
	assert_true(strstr(e.msg, "EXR header") != NULL);
	prov_record_release(&rec);

	/* header and offset table intact, the tiles missing */
	assert_eq_int(fp_file("bad/exr/openexr/tiled.exr", 0, &rec, &e), PROV_FAILED);
	assert_true(strstr(e.msg, "bad/exr/openexr/tiled.exr: EXR") != NULL);
	prov_record_release(&rec);

	assert_eq_int(fp_file("bad/exr/openexr/comp_early_eof_piz.exr", 0, &rec, &e),
	    PROV_FAILED);
	prov_record_release(&rec);
}

/* Two threads fingerprinting at once (Core and C++ paths, and a failing
 * file) give what one thread gives: no shared state between calls. */
struct par_job {
	const char *rel;
	char pixels[300];	/* the hash, or the error message */
	int rc, rounds;
};

static void *
par_run(void *arg)
{
	struct par_job *j = arg;
	int i;

	for (i = 0; i < j->rounds; i++) {
		struct prov_record rec;
		struct prov_err e;
		const char *p;

		j->rc = fp_file(j->rel, 0, &rec, &e);
		p = top_pixels(&rec);
		if (i == 0)
			snprintf(j->pixels, sizeof(j->pixels), "%s", p ? p : e.msg);
		else if (strcmp(j->pixels, p ? p : e.msg) != 0)
			j->rc = -2;
		prov_record_release(&rec);
	}
	return NULL;
}

DEFINE_TEST(test_exr_concurrent_calls)
{
	struct par_job jobs[3] = {
		{ "exr/openexr/comp_zip.exr", "", 0, 4 },
		{ "exr/openexr/comp_dwab_v1.exr", "", 0, 4 },
		{ "bad/exr/openexr/comp_bad_pos_bounds_piz.exr", "", 0, 4 },
	};
	struct par_job alone[3];
	pthread_t t[3];
	int i;

	for (i = 0; i < 3; i++) {
		alone[i] = jobs[i];
		alone[i].rounds = 1;
		par_run(&alone[i]);
	}
	for (i = 0; i < 3; i++)
		assert_eq_int(pthread_create(&t[i], NULL, par_run, &jobs[i]), 0);
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < 3; i++) {
		failure("%s", jobs[i].rel);
		assert_eq_int(jobs[i].rc, alone[i].rc);
		assert_eq_str(jobs[i].pixels, alone[i].pixels);
	}
	assert_eq_int(jobs[0].rc, PROV_OK);
	assert_eq_int(jobs[1].rc, PROV_OK);
	assert_eq_int(jobs[2].rc, PROV_FAILED);
}

/* A tiny file whose header claims a 16000x16000 data window fails before
 * its 2 GB image is allocated: on the expansion limit, or without it on its
 * missing chunks; a window past the pixel limit fails on that limit. */
DEFINE_TEST(test_exr_huge_window_small_file)
{
	static const char key[] = "dataWindow\0box2i";
	struct prov_fp_opts opts;
	struct prov_record rec;
	struct prov_err e;
	struct prov_blob blob;
	unsigned char *data, *p = NULL;
	size_t len = 0, i;
	int32_t big = 15999;

	data = test_slurp(corpus_path("exr/tinyexr/2by2.exr"), &len);
	assert_true(data != NULL);
	for (i = 0; i + sizeof(key) + 4 + 16 <= len; i++)
		if (memcmp(data + i, key, sizeof(key)) == 0) {
			p = data + i + sizeof(key) + 4;	/* after the size */
			break;
		}
	assert_true(p != NULL);
	memcpy(p + 8, &big, 4);		/* max.x (little-endian host) */
	memcpy(p + 12, &big, 4);	/* max.y */
	memset(&opts, 0, sizeof(opts));
	prov_limits_default(&opts.limits);
	opts.images = 1;
	blob.data = data;
	blob.len = len;
	blob.name = "huge.exr";
	prov_record_init(&rec);
	prov_err_clear(&e);
	assert_eq_int(prov_format_exr.fingerprint(&blob, &opts, &rec, &e), PROV_FAILED);
	failure("%s", e.msg);
	assert_true(strstr(e.msg, "expansion limit") != NULL);
	prov_record_release(&rec);

	/* without the expansion limit, Core's chunk checks refuse it */
	opts.limits.max_ratio = 0;
	prov_record_init(&rec);
	assert_eq_int(prov_format_exr.fingerprint(&blob, &opts, &rec, &e), PROV_FAILED);
	failure("%s", e.msg);
	assert_true(strncmp(e.msg, "huge.exr: EXR ", 14) == 0);
	assert_true(strstr(e.msg, "limit") == NULL);
	prov_record_release(&rec);

	opts.limits.max_pixels = 1000000;
	prov_record_init(&rec);
	assert_eq_int(prov_format_exr.fingerprint(&blob, &opts, &rec, &e), PROV_FAILED);
	failure("%s", e.msg);
	assert_true(strstr(e.msg, "exceeds the limit") != NULL);
	prov_record_release(&rec);
	free(data);
}
