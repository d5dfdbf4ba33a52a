/* t_jpeg.c: the JPEG format module on JPEGs written here with libjpeg. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <jpeglib.h>

#include "test.h"

/* A w x h JPEG of a colour gradient (or grey), with a COM marker; the
 * buffer is malloc'd by libjpeg and freed by the caller. */
static unsigned char *
make_jpeg(unsigned w, unsigned h, int grey, int progressive, unsigned long *len)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr jerr;
	unsigned char *out = NULL, *row;
	unsigned x, nc = grey ? 1 : 3;

	c.err = jpeg_std_error(&jerr);
	jpeg_create_compress(&c);
	*len = 0;
	jpeg_mem_dest(&c, &out, len);
	c.image_width = w;
	c.image_height = h;
	c.input_components = (int)nc;
	c.in_color_space = grey ? JCS_GRAYSCALE : JCS_RGB;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, 90, TRUE);
	if (progressive)
		jpeg_simple_progression(&c);
	jpeg_start_compress(&c, TRUE);
	jpeg_write_marker(&c, JPEG_COM, (const JOCTET *)"made by t_jpeg", 14);
	row = malloc((size_t)w * nc);
	while (c.next_scanline < c.image_height) {
		JSAMPROW rp[1] = { row };

		for (x = 0; x < w * nc; x++)
			row[x] = (unsigned char)((x * 7 + c.next_scanline * 3) & 0xff);
		jpeg_write_scanlines(&c, rp, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	free(row);
	return out;
}

static int
fp_jpeg(const unsigned char *data, size_t len, uint64_t max_pixels, int images,
    struct prov_record *rec, struct prov_err *e)
{
	struct prov_fp_opts opts;
	struct prov_blob blob;

	memset(&opts, 0, sizeof(opts));
	prov_limits_default(&opts.limits);
	if (max_pixels)
		opts.limits.max_pixels = max_pixels;
	opts.images = images;
	prov_record_init(rec);
	prov_err_clear(e);
	blob.data = data;
	blob.len = len;
	blob.name = "mem.jpg";
	return prov_format_jpeg.fingerprint(&blob, &opts, rec, e);
}

static const char *
field(const struct prov_record *rec, const char *key)
{
	return json_string_value(json_object_get(rec->fields, key));
}

static json_t *
image0(const struct prov_record *rec)
{
	return json_array_get(json_object_get(rec->fields, "images"), 0);
}

DEFINE_TEST(test_jpeg_bid)
{
	static const unsigned char jpg[] = { 0xff, 0xd8, 0xff, 0xe0 };
	static const unsigned char png[] = { 0x89, 'P', 'N', 'G', 13, 10, 26, 10 };

	assert_true(prov_format_jpeg.bid(jpg, sizeof(jpg)) > 0);
	assert_eq_int(prov_format_jpeg.bid(jpg, 2), 0);
	assert_eq_int(prov_format_jpeg.bid(png, sizeof(png)), 0);
	assert_eq_str(prov_format_jpeg.name, "jpeg");
}

DEFINE_TEST(test_jpeg_colour_and_grey)
{
	struct prov_record rec;
	struct prov_err e;
	unsigned long len;
	unsigned char *rgb = make_jpeg(67, 33, 0, 0, &len);
	unsigned char *grey;
	unsigned long glen;
	json_t *img, *ch;
	char first[68];

	assert_eq_int(fp_jpeg(rgb, len, 0, 1, &rec, &e), PROV_OK);
	img = image0(&rec);
	assert_eq_int(json_integer_value(json_object_get(img, "width")), 67);
	assert_eq_int(json_integer_value(json_object_get(img, "height")), 33);
	ch = json_object_get(img, "channels");
	assert_eq_int(json_array_size(ch), 3);
	assert_eq_str(json_string_value(json_object_get(json_array_get(ch, 2), "name")), "B");
	assert_eq_str(json_string_value(json_object_get(json_array_get(ch, 0), "type")), "u8");
	assert_eq_str(json_string_value(json_object_get(json_object_get(rec.fields, "meta"),
	    "COM")), "made by t_jpeg");
	assert_true(strncmp(field(&rec, "pixels"), "v1:", 3) == 0);
	snprintf(first, sizeof(first), "%s", field(&rec, "pixels"));
	prov_record_release(&rec);

	/* the same coefficients in a progressive file: the same pixels */
	free(rgb);
	rgb = make_jpeg(67, 33, 0, 1, &len);
	assert_eq_int(fp_jpeg(rgb, len, 0, 1, &rec, &e), PROV_OK);
	assert_true(json_is_true(json_object_get(image0(&rec), "progressive")));
	prov_record_release(&rec);

	grey = make_jpeg(67, 33, 1, 0, &glen);
	assert_eq_int(fp_jpeg(grey, glen, 0, 1, &rec, &e), PROV_OK);
	ch = json_object_get(image0(&rec), "channels");
	assert_eq_int(json_array_size(ch), 1);
	assert_eq_str(json_string_value(json_object_get(json_array_get(ch, 0), "name")), "Y");
	assert_true(strcmp(field(&rec, "pixels"), first) != 0);
	prov_record_release(&rec);

	/* without decoding: meta only, no images, no pixels */
	assert_eq_int(fp_jpeg(grey, glen, 0, 0, &rec, &e), PROV_OK);
	assert_true(json_object_get(rec.fields, "images") == NULL);
	assert_true(json_object_get(rec.fields, "meta") != NULL);
	prov_record_release(&rec);
	free(rgb);
	free(grey);
}

/* The pixel limit is checked against the header before any pixel
 * allocation: a 60000 x 60000 header in a 1 kB file, and the exact edge. */
DEFINE_TEST(test_jpeg_pixel_limit)
{
	struct prov_record rec;
	struct prov_err e;
	unsigned long len, i;
	unsigned char *j = make_jpeg(40, 30, 0, 0, &len);

	assert_eq_int(fp_jpeg(j, len, 1200, 1, &rec, &e), PROV_OK);
	prov_record_release(&rec);
	assert_eq_int(fp_jpeg(j, len, 1199, 1, &rec, &e), PROV_FAILED);
	assert_eq_str(e.msg, "mem.jpg: JPEG: 40x30 image exceeds the limit of 1199 pixels (--max-pixels)");
	assert_true(json_object_get(rec.fields, "images") == NULL);
	prov_record_release(&rec);
	for (i = 2; i + 9 < len; i++)
		if (j[i] == 0xff && j[i + 1] == 0xc0)
			break;
	assert_true(i + 9 < len);
	j[i + 5] = 0xea;	/* height 60000 */
	j[i + 6] = 0x60;
	j[i + 7] = 0xea;	/* width 60000 */
	j[i + 8] = 0x60;
	assert_eq_int(fp_jpeg(j, len, 0, 1, &rec, &e), PROV_FAILED);
	assert_eq_str(e.msg, "mem.jpg: JPEG: 60000x60000 image exceeds the limit of 268435456 pixels (--max-pixels)");
	prov_record_release(&rec);
	free(j);
}

struct par_job {
	const unsigned char *data;
	size_t len;
	int rounds;
	int rc;
	char pixels[68];
	char msg[256];
};

static void *
par_run(void *arg)
{
	struct par_job *job = arg;
	int i;

	for (i = 0; i < job->rounds; i++) {
		struct prov_record rec;
		struct prov_err e;
		const char *p;

		job->rc = fp_jpeg(job->data, job->len, 0, 1, &rec, &e);
		p = field(&rec, "pixels");
		snprintf(job->pixels, sizeof(job->pixels), "%s", p ? p : "");
		snprintf(job->msg, sizeof(job->msg), "%s", job->rc ? e.msg : "");
		prov_record_release(&rec);
	}
	return NULL;
}

/* Errors are caught per decoder: a cut file decoded in one thread while
 * good files decode in others changes nobody's result. */
DEFINE_TEST(test_jpeg_concurrent_errors)
{
	unsigned long len;
	unsigned char *good = make_jpeg(160, 90, 0, 0, &len);
	unsigned char *prog;
	unsigned long plen;
	struct par_job jobs[3], alone[3];
	pthread_t t[3];
	int i;

	prog = make_jpeg(160, 90, 0, 1, &plen);
	jobs[0] = (struct par_job){ good, len, 6, 0, "", "" };
	jobs[1] = (struct par_job){ good, len / 2, 6, 0, "", "" };
	jobs[2] = (struct par_job){ prog, plen * 2 / 3, 6, 0, "", "" };
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
		failure("job %d", i);
		assert_eq_int(jobs[i].rc, alone[i].rc);
		assert_eq_str(jobs[i].pixels, alone[i].pixels);
		assert_eq_str(jobs[i].msg, alone[i].msg);
	}
	assert_eq_int(jobs[0].rc, PROV_OK);
	assert_eq_int(jobs[1].rc, PROV_FAILED);
	assert_eq_str(jobs[1].msg, "mem.jpg: JPEG: Premature end of JPEG file");
	assert_eq_int(jobs[2].rc, PROV_FAILED);
	free(good);
	free(prog);
}
