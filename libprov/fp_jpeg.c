/*
 * fp_jpeg.c: the JPEG format module, through libjpeg-turbo.
 *
 * libjpeg's error_exit must not return: ours formats the message into the
 * decoder's own context and longjmps back to decode(); output_message is
 * silenced, so nothing is printed and threads share nothing.  libjpeg
 * reports a cut file or damaged entropy data only as a warning and fills
 * the rest with grey; those warnings (premature end of file, premature end
 * of a data segment, bad Huffman or arithmetic code, lost restart marker)
 * fail the file here, since its pixels are not the ones that were written,
 * and so do stray bytes after scan data (the entropy decoder stopped short
 * of the marker).  Other warnings (stray bytes between header markers, an
 * unknown JFIF revision) are counted and the first one kept.
 *
 * Pixels are decoded to 8-bit Y (greyscale files) or R, G, B (YCbCr and
 * RGB files); CMYK and YCCK files give the stored (Adobe: inverted) ink
 * samples as cmyk.C, cmyk.M, cmyk.Y, cmyk.K.  The decoded values depend on
 * libjpeg-turbo's IDCT and upsampling (the library defaults: islow, fancy
 * upsampling), so a JPEG's pixel hash is stable for one decoder, not across
 * decoders; a lossless transcode (jpegtran: progressive, optimised Huffman
 * tables, markers dropped) keeps the coefficients and so the pixel hash.
 * The EXIF orientation is recorded, never applied.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#include "prov.h"
#include "raster.h"
#include "banned.h"

/* libjpeg's own working memory (progressive coefficient buffers, tables):
 * past this it fails with "backing store not supported". */
#define MAX_JPEG_MEMORY (1024L << 20)
#define MAX_META_TEXT 65536

struct jpeg_ctx {
	struct jpeg_error_mgr pub;	/* first: the error manager is the context */
	jmp_buf jb;
	char msg[JMSG_LENGTH_MAX];
	char warning[JMSG_LENGTH_MAX];	/* the first tolerated warning */
	const struct prov_blob *blob;
	const struct prov_fp_opts *opts;
	struct prov_record *rec;
	struct prov_err *e;
	struct jpeg_decompress_struct d;
	struct prov_image img;
	unsigned char *row;
	json_t *obj;
	size_t icc_bytes;
	int scanning;			/* past the header: stray bytes mean damage */
	int failed;			/* our own error, e already set */
};

static int
jpeg_bid(const unsigned char *h, size_t len)
{
	return len >= 3 && h[0] == 0xff && h[1] == 0xd8 && h[2] == 0xff ? 80 : 0;
}

static void
on_error_exit(j_common_ptr cinfo)
{
	struct jpeg_ctx *c = (struct jpeg_ctx *)(void *)cinfo->err;

	(*cinfo->err->format_message)(cinfo, c->msg);
	longjmp(c->jb, 1);
}

/* Warnings (level -1) that mean the pixels are not the written ones end
 * the decoding as errors; trace messages (level >= 0) are dropped. */
static void
on_emit(j_common_ptr cinfo, int level)
{
	struct jpeg_ctx *c = (struct jpeg_ctx *)(void *)cinfo->err;

	if (level >= 0)
		return;
	switch (c->pub.msg_code) {
	case JWRN_JPEG_EOF:
	case JWRN_HIT_MARKER:
	case JWRN_HUFF_BAD_CODE:
	case JWRN_ARITH_BAD_CODE:
	case JWRN_MUST_RESYNC:
		(*cinfo->err->format_message)(cinfo, c->msg);
		longjmp(c->jb, 1);
	case JWRN_EXTRANEOUS_DATA:
		/* between header markers, some writers pad; after a scan, it
		 * means the entropy decoder lost its way */
		if (c->scanning) {
			(*cinfo->err->format_message)(cinfo, c->msg);
			longjmp(c->jb, 1);
		}
		break;
	default:
		break;
	}
	if (c->pub.num_warnings++ == 0)
		(*cinfo->err->format_message)(cinfo, c->warning);
}

static void
on_output(j_common_ptr cinfo)
{
	(void)cinfo;
}

static const char *
space_name(J_COLOR_SPACE s)
{
	switch (s) {
	case JCS_GRAYSCALE: return "grayscale";
	case JCS_YCbCr: return "ycbcr";
	case JCS_RGB: return "rgb";
	case JCS_CMYK: return "cmyk";
	case JCS_YCCK: return "ycck";
	default: return "other";
	}
}

/* COM, EXIF (APP1 "Exif"), XMP (APP1 Adobe namespace) into "meta"; the
 * ICC profile (APP2) is only measured. */
static void
markers(struct jpeg_ctx *c)
{
	static const char xmp_ns[] = "http://ns.adobe.com/xap/1.0/";	/* and its NUL */
	json_t *meta = json_object_get(c->rec->fields, "meta");
	jpeg_saved_marker_ptr m;

	if (meta == NULL) {
		meta = json_object();
		json_object_set_new(c->rec->fields, "meta", meta);
	}
	for (m = c->d.marker_list; m != NULL; m = m->next) {
		if (m->marker == JPEG_COM) {
			prov_raster_meta_text(meta, "COM", (const char *)m->data,
			    m->data_length < MAX_META_TEXT ? m->data_length : MAX_META_TEXT);
		} else if (m->marker == JPEG_APP0 + 1 && m->data_length >= 6 &&
		    memcmp(m->data, "Exif\0\0", 6) == 0) {
			int o = prov_exif_meta(m->data, m->data_length, meta);

			json_object_set_new(c->obj, "exif", json_true());
			if (o > 0 && c->img.orientation == 1)
				c->img.orientation = o;
		} else if (m->marker == JPEG_APP0 + 1 && m->data_length > sizeof(xmp_ns) &&
		    memcmp(m->data, xmp_ns, sizeof(xmp_ns)) == 0) {
			size_t n = m->data_length - sizeof(xmp_ns);

			prov_raster_meta_text(meta, "XMP", (const char *)m->data + sizeof(xmp_ns),
			    n < MAX_META_TEXT ? n : MAX_META_TEXT);
		} else if (m->marker == JPEG_APP0 + 2 && m->data_length > 14 &&
		    memcmp(m->data, "ICC_PROFILE\0", 12) == 0) {
			c->icc_bytes += m->data_length - 14;
		}
	}
	if (json_object_size(meta) == 0)
		json_object_del(c->rec->fields, "meta");
}

/* Encoding facts into the image's object: colour space, progressive,
 * arithmetic coding, chroma sampling ("2x2,1x1,1x1"), Adobe marker, ICC. */
static void
geometry(struct jpeg_ctx *c)
{
	char samp[64];
	size_t at = 0;
	int k;

	json_object_set_new(c->obj, "compression", json_string("jpeg"));
	json_object_set_new(c->obj, "color_space", json_string(space_name(c->d.jpeg_color_space)));
	json_object_set_new(c->obj, "progressive", json_boolean(c->d.progressive_mode));
	if (c->d.arith_code)
		json_object_set_new(c->obj, "arithmetic", json_true());
	samp[0] = 0;
	for (k = 0; k < c->d.num_components && k < 4; k++) {
		int n = snprintf(samp + at, sizeof(samp) - at, "%s%dx%d", k ? "," : "",
		    c->d.comp_info[k].h_samp_factor, c->d.comp_info[k].v_samp_factor);

		if (n < 0 || (size_t)n >= sizeof(samp) - at)
			break;
		at += (size_t)n;
	}
	json_object_set_new(c->obj, "sampling", json_string(samp));
	if (c->d.saw_Adobe_marker)
		json_object_set_new(c->obj, "adobe_transform", json_integer(c->d.Adobe_transform));
	if (c->icc_bytes > 0)
		json_object_set_new(c->obj, "icc_profile", json_integer((json_int_t)c->icc_bytes));
}

static void fail(struct jpeg_ctx *c) __attribute__((noreturn));
static void
fail(struct jpeg_ctx *c)
{
	c->failed = 1;
	longjmp(c->jb, 1);
}

/*
 * Copies one interleaved row into the planar channels.  Kept out of
 * decode(): in a function that calls setjmp the compiler keeps every
 * variable in memory, which made this loop several times slower than the
 * decoding itself.
 */
#if defined(__x86_64__) && defined(__GNUC__)
/*
 * 16 RGB pixels (48 bytes) at a time with SSSE3 byte shuffles: each plane's
 * 16 bytes are gathered from the three 16-byte loads and OR-ed together
 * (index 0x80 gives a zero byte).  Returns the pixels done (a multiple of
 * 16); the caller finishes the rest.
 */
#include <tmmintrin.h>

#define Z 0x80
static const unsigned char split_mask[3][3][16] __attribute__((aligned(16))) = {
	{ { 0, 3, 6, 9, 12, 15, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z },
	  { Z, Z, Z, Z, Z, Z, 2, 5, 8, 11, 14, Z, Z, Z, Z, Z },
	  { Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, 1, 4, 7, 10, 13 } },
	{ { 1, 4, 7, 10, 13, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z },
	  { Z, Z, Z, Z, Z, 0, 3, 6, 9, 12, 15, Z, Z, Z, Z, Z },
	  { Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, 2, 5, 8, 11, 14 } },
	{ { 2, 5, 8, 11, 14, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z },
	  { Z, Z, Z, Z, Z, 1, 4, 7, 10, 13, Z, Z, Z, Z, Z, Z },
	  { Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, 0, 3, 6, 9, 12, 15 } },
};
#undef Z

static __attribute__((target("ssse3"))) size_t
split3_ssse3(const unsigned char *row, unsigned char *d0, unsigned char *d1,
    unsigned char *d2, size_t w)
{
	unsigned char *d[3] = { d0, d1, d2 };
	__m128i m[3][3];
	size_t x;
	int p, k;

	for (p = 0; p < 3; p++)
		for (k = 0; k < 3; k++)
			m[p][k] = _mm_load_si128((const __m128i *)(const void *)split_mask[p][k]);
	for (x = 0; x + 16 <= w; x += 16, row += 48) {
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)row);
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(row + 16));
		__m128i c = _mm_loadu_si128((const __m128i *)(const void *)(row + 32));

		for (p = 0; p < 3; p++)
			_mm_storeu_si128((__m128i *)(void *)(d[p] + x), _mm_or_si128(
			    _mm_or_si128(_mm_shuffle_epi8(a, m[p][0]),
			    _mm_shuffle_epi8(b, m[p][1])), _mm_shuffle_epi8(c, m[p][2])));
	}
	return x;
}

static size_t
split3_fast(const unsigned char *row, unsigned char *d0, unsigned char *d1,
    unsigned char *d2, size_t w)
{
	return __builtin_cpu_supports("ssse3") ? split3_ssse3(row, d0, d1, d2, w) : 0;
}
#else
static size_t
split3_fast(const unsigned char *row, unsigned char *d0, unsigned char *d1,
    unsigned char *d2, size_t w)
{
	(void)row, (void)d0, (void)d1, (void)d2, (void)w;
	return 0;
}
#endif

static __attribute__((noinline)) void
split_row(struct prov_image *img, const unsigned char *row, unsigned nch, size_t y)
{
	size_t w = img->width, x;
	unsigned char *d0 = (unsigned char *)img->channels[0].data + y * w;
	unsigned char *d1 = (unsigned char *)img->channels[1].data + y * w;
	unsigned char *d2 = (unsigned char *)img->channels[2].data + y * w;

	if (nch == 3) {
		x = split3_fast(row, d0, d1, d2, w);
		for (row += 3 * x; x < w; x++, row += 3) {
			d0[x] = row[0];
			d1[x] = row[1];
			d2[x] = row[2];
		}
	} else {
		unsigned char *d3 = (unsigned char *)img->channels[3].data + y * w;

		for (x = 0; x < w; x++, row += 4) {
			d0[x] = row[0];
			d1[x] = row[1];
			d2[x] = row[2];
			d3[x] = row[3];
		}
	}
}

/* Every libjpeg call; c holds all the state, so that nothing needs to
 * survive the longjmp in a local variable. */
static int
decode(struct jpeg_ctx *c)
{
	static const char *const rgb[3] = { "R", "G", "B" };
	static const char *const cmyk[4] = { "cmyk.C", "cmyk.M", "cmyk.Y", "cmyk.K" };
	const char *const *names;
	unsigned k, nch;

	if (setjmp(c->jb))
		return c->failed ? PROV_FAILED
		    : prov_seterr(c->e, PROV_FAILED, 0, "%s: JPEG: %s", c->blob->name, c->msg);
	jpeg_create_decompress(&c->d);
	c->d.mem->max_memory_to_use = MAX_JPEG_MEMORY;
	jpeg_mem_src(&c->d, c->blob->data, (unsigned long)c->blob->len);
	jpeg_save_markers(&c->d, JPEG_COM, 0xffff);
	jpeg_save_markers(&c->d, JPEG_APP0 + 1, 0xffff);
	jpeg_save_markers(&c->d, JPEG_APP0 + 2, 0xffff);
	jpeg_read_header(&c->d, TRUE);
	markers(c);
	geometry(c);
	if ((uint64_t)c->d.image_width * c->d.image_height > c->opts->limits.max_pixels) {
		prov_seterr(c->e, PROV_FAILED, 0,
		    "%s: JPEG: %ux%u image exceeds the limit of %llu pixels (--max-pixels)",
		    c->blob->name, (unsigned)c->d.image_width, (unsigned)c->d.image_height,
		    (unsigned long long)c->opts->limits.max_pixels);
		fail(c);
	}
	if (!c->opts->images)
		return PROV_OK;
	switch (c->d.jpeg_color_space) {
	case JCS_GRAYSCALE:
		c->d.out_color_space = JCS_GRAYSCALE;
		names = rgb;
		break;
	case JCS_CMYK:
	case JCS_YCCK:
		c->d.out_color_space = JCS_CMYK;
		names = cmyk;
		break;
	default:
		c->d.out_color_space = JCS_RGB;
		names = rgb;
	}
	c->scanning = 1;
	jpeg_start_decompress(&c->d);
	nch = (unsigned)c->d.output_components;
	if (c->d.output_width != c->d.image_width || c->d.output_height != c->d.image_height ||
	    (nch != 1 && nch != 3 && nch != 4)) {
		prov_seterr(c->e, PROV_FAILED, 0, "%s: JPEG: unexpected output layout",
		    c->blob->name);
		fail(c);
	}
	c->img.width = c->d.output_width;
	c->img.height = c->d.output_height;
	c->img.data_window[2] = c->img.display_window[2] = (int32_t)(c->img.width - 1);
	c->img.data_window[3] = c->img.display_window[3] = (int32_t)(c->img.height - 1);
	for (k = 0; k < nch; k++)
		if (prov_image_add_channel(&c->img, nch == 1 ? "Y" : names[k], PROV_SAMPLE_U8,
		    8, 1, 1, &c->opts->limits, c->e) != PROV_OK) {
			prov_err_prefix(c->e, "%s: JPEG", c->blob->name);
			fail(c);
		}
	c->row = prov_xmalloc((size_t)c->img.width * nch);
	while (c->d.output_scanline < c->d.output_height) {
		JSAMPROW rows[1];
		JDIMENSION y = c->d.output_scanline;

		rows[0] = nch == 1 ? (unsigned char *)c->img.channels[0].data +
		    (size_t)y * c->img.width : c->row;
		if (jpeg_read_scanlines(&c->d, rows, 1) != 1)
			break;
		if (nch > 1)
			split_row(&c->img, c->row, nch, y);
	}
	if (c->d.output_scanline < c->d.output_height) {
		prov_seterr(c->e, PROV_FAILED, 0, "%s: JPEG: truncated", c->blob->name);
		fail(c);
	}
	jpeg_finish_decompress(&c->d);
	if (c->pub.num_warnings > 0) {
		json_object_set_new(c->obj, "warnings", json_integer(c->pub.num_warnings));
		json_object_set_new(c->obj, "warning", json_string(c->warning));
	}
	return PROV_OK;
}

static int
jpeg_fingerprint(const struct prov_blob *blob, const struct prov_fp_opts *opts,
    struct prov_record *rec, struct prov_err *e)
{
	struct jpeg_ctx *c = prov_xcalloc(1, sizeof(*c));
	int rc;

	c->blob = blob;
	c->opts = opts;
	c->rec = rec;
	c->e = e;
	prov_image_init(&c->img);
	c->d.err = jpeg_std_error(&c->pub);
	c->pub.error_exit = on_error_exit;
	c->pub.emit_message = on_emit;
	c->pub.output_message = on_output;
	c->obj = json_object();
	rc = decode(c);
	jpeg_destroy_decompress(&c->d);
	free(c->row);
	if (rc == PROV_OK && opts->images)
		rc = prov_image_fingerprint(&c->img, opts, c->obj, e);
	if (rc == PROV_OK && opts->images)
		prov_record_add_image(rec, c->obj);
	else
		json_decref(c->obj);
	prov_image_release(&c->img);
	free(c);
	return rc;
}

const struct prov_format prov_format_jpeg = { "jpeg", jpeg_bid, jpeg_fingerprint };
