/*
 * fp_png.c: the PNG format module, through libpng.
 *
 * libpng reports errors by calling an error function that must not return:
 * ours copies the message into the decoder's own context and longjmps back
 * to decode(), so nothing is printed and no state is shared between
 * threads.  Pixels keep their stored values: 16-bit samples stay u16,
 * 1/2/4-bit grey is unpacked to one byte per sample with `bits` set, and
 * only palettes are expanded (to R, G, B, plus A when there is a tRNS).
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "prov.h"
#include "raster.h"
#include "banned.h"

struct png_ctx {
	const struct prov_blob *blob;
	const struct prov_fp_opts *opts;
	struct prov_record *rec;
	struct prov_err *e;
	size_t pos;
	png_structp png;
	png_infop info;
	struct prov_image img;
	unsigned char *rows;		/* whole image (interlaced) or one row */
	png_bytep *rowp;
	char msg[200];
	int failed;			/* our own error, e already set */
	json_t *obj;
	unsigned char cicp[4];		/* here, not on decode()'s stack: setjmp */
	int has_cicp;
};

static int
png_bid(const unsigned char *head, size_t len)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', 13, 10, 26, 10 };

	return len >= 8 && memcmp(head, sig, 8) == 0 ? 100 : 0;
}

static void
on_error(png_structp png, png_const_charp msg)
{
	struct png_ctx *c = png_get_error_ptr(png);

	snprintf(c->msg, sizeof(c->msg), "%s", msg);
	png_longjmp(png, 1);
}

static void
on_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static void
on_read(png_structp png, png_bytep out, size_t n)
{
	struct png_ctx *c = png_get_io_ptr(png);

	if (n > c->blob->len - c->pos)
		png_error(png, "file truncated");
	memcpy(out, c->blob->data + c->pos, n);
	c->pos += n;
}

/* Metadata chunks into "meta" and colour hints into the image object. */
static void
collect_meta(struct png_ctx *c)
{
	png_textp text = NULL;
	png_timep t = NULL;
	png_bytep exif = NULL;
	png_uint_32 exif_len = 0;
	json_t *meta = json_object_get(c->rec->fields, "meta");
	int n = 0, i;

	if (meta == NULL) {
		meta = json_object();
		json_object_set_new(c->rec->fields, "meta", meta);
	}
	png_get_text(c->png, c->info, &text, &n);
	for (i = 0; i < n; i++) {
		size_t klen = strnlen(text[i].key, 80);
		struct prov_buf key = PROV_BUF_INIT;
		json_t *k = json_object();

		/* Keywords are Latin-1 in every text chunk. */
		prov_raster_meta_latin1(k, "k", text[i].key, klen);
		if (json_object_get(k, "k") == NULL) {
			json_decref(k);
			continue;
		}
		prov_buf_addstr(&key, json_string_value(json_object_get(k, "k")));
		json_decref(k);
		if (text[i].compression == PNG_ITXT_COMPRESSION_NONE ||
		    text[i].compression == PNG_ITXT_COMPRESSION_zTXt)
			prov_raster_meta_text(meta, key.buf, text[i].text,
			    text[i].itxt_length);
		else
			prov_raster_meta_latin1(meta, key.buf, text[i].text,
			    text[i].text_length);
		prov_buf_release(&key);
	}
	if (png_get_tIME(c->png, c->info, &t) && t != NULL) {
		char buf[40];

		snprintf(buf, sizeof(buf), "%04u-%02u-%02uT%02u:%02u:%02uZ",
		    t->year, t->month, t->day, t->hour, t->minute, t->second);
		json_object_set_new(meta, "tIME", json_string(buf));
	}
	if (png_get_eXIf_1(c->png, c->info, &exif_len, &exif) && exif != NULL) {
		int o;

		json_object_set_new(c->obj, "exif", json_true());
		o = prov_exif_meta(exif, exif_len, meta);
		if (o > 0)
			c->img.orientation = o;
	}
	if (json_object_size(meta) == 0)
		json_object_del(c->rec->fields, "meta");
}

static void
colour_hints(struct png_ctx *c)
{
	png_fixed_point gamma;
	png_charp name;
	png_bytep prof;
	png_uint_32 plen;
	int comp, intent;

	if (png_get_valid(c->png, c->info, PNG_INFO_sRGB) &&
	    png_get_sRGB(c->png, c->info, &intent))
		json_object_set_new(c->obj, "sRGB", json_integer(intent));
	if (png_get_valid(c->png, c->info, PNG_INFO_gAMA) &&
	    png_get_gAMA_fixed(c->png, c->info, &gamma))
		json_object_set_new(c->obj, "gAMA", json_integer(gamma));	/* x 100000 */
	if (png_get_valid(c->png, c->info, PNG_INFO_iCCP) &&
	    png_get_iCCP(c->png, c->info, &name, &comp, &prof, &plen)) {
		json_t *icc = json_object();

		prov_raster_meta_latin1(icc, "name", name, strnlen(name, 80));
		json_object_set_new(icc, "size", json_integer(plen));
		json_object_set_new(c->obj, "iCCP", icc);
	}
}

/*
 * Walks the chunk headers before libpng sees them: a chunk that claims more
 * bytes than the file holds is refused here (libpng 1.6.39 would first
 * allocate what the length claims, up to 2 GiB).  Also finds cICP (PNG
 * third edition), which libpng 1.6.39 does not know.  Returns 0, or -1 with
 * the offending chunk's name in bad[].
 */
static int
walk_chunks(const struct prov_blob *b, unsigned char cicp[4], int *has_cicp,
    char bad[5], uint32_t *claimed)
{
	size_t pos = 8;

	*has_cicp = 0;
	while (pos + 12 <= b->len) {
		const unsigned char *p = b->data + pos;
		uint32_t n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		    (uint32_t)p[2] << 8 | p[3];
		size_t i;

		if (n > b->len - pos - 12) {
			for (i = 0; i < 4; i++)
				bad[i] = p[4 + i] >= 0x20 && p[4 + i] < 0x7f ? (char)p[4 + i] : '?';
			bad[4] = 0;
			*claimed = n;
			return -1;
		}
		if (memcmp(p + 4, "IEND", 4) == 0)
			return 0;
		if (memcmp(p + 4, "cICP", 4) == 0 && n == 4) {
			memcpy(cicp, p + 8, 4);
			*has_cicp = 1;
		}
		pos += 12 + (size_t)n;
	}
	return 0;
}

/* Copies row y of interleaved samples into the planes. */
static void
scatter(struct png_ctx *c, const unsigned char *row, uint32_t y, unsigned nch, int wide)
{
	uint32_t w = c->img.width, x;
	unsigned k;

	if (wide) {
		const uint16_t *s = (const uint16_t *)(const void *)row;

		for (k = 0; k < nch; k++) {
			uint16_t *d = (uint16_t *)c->img.channels[k].data + (size_t)y * w;

			for (x = 0; x < w; x++)
				d[x] = s[(size_t)x * nch + k];
		}
	} else if (nch == 1) {
		memcpy((unsigned char *)c->img.channels[0].data + (size_t)y * w, row, w);
	} else {
		for (k = 0; k < nch; k++) {
			unsigned char *d = (unsigned char *)c->img.channels[k].data + (size_t)y * w;

			for (x = 0; x < w; x++)
				d[x] = row[(size_t)x * nch + k];
		}
	}
}

static const char *
color_name(int ct)
{
	switch (ct) {
	case PNG_COLOR_TYPE_GRAY: return "gray";
	case PNG_COLOR_TYPE_GRAY_ALPHA: return "gray_alpha";
	case PNG_COLOR_TYPE_PALETTE: return "palette";
	case PNG_COLOR_TYPE_RGB: return "rgb";
	case PNG_COLOR_TYPE_RGB_ALPHA: return "rgb_alpha";
	}
	return "unknown";
}

/* Everything libpng touches between setjmp and the end; c holds all state,
 * so nothing automatic is modified after setjmp. */
static int
decode(struct png_ctx *c)
{
	static const char *const names[4][4] = { { "Y" }, { "Y", "A" },
	    { "R", "G", "B" }, { "R", "G", "B", "A" } };
	png_uint_32 w, h, y;
	int depth, ct, interlace, passes, p;
	unsigned nch, k, bits;
	size_t rowbytes;
	char bad[5];
	uint32_t claimed;

	if (setjmp(png_jmpbuf(c->png)))
		return c->failed ? PROV_FAILED
		    : prov_seterr(c->e, PROV_FAILED, 0, "%s: PNG: %s", c->blob->name, c->msg);
	if (walk_chunks(c->blob, c->cicp, &c->has_cicp, bad, &claimed) != 0) {
		c->failed = 1;
		prov_seterr(c->e, PROV_FAILED, 0,
		    "%s: PNG: %s chunk claims %lu bytes, more than the file holds (truncated)",
		    c->blob->name, bad, (unsigned long)claimed);
		png_longjmp(c->png, 1);
	}
	png_set_user_limits(c->png, 0x7fffffff, 0x7fffffff);
	png_set_chunk_malloc_max(c->png, 8u << 20);	/* libpng default: bounds zTXt bombs */
	png_set_read_fn(c->png, c, on_read);
	png_read_info(c->png, c->info);
	png_get_IHDR(c->png, c->info, &w, &h, &depth, &ct, &interlace, NULL, NULL);
	json_object_set_new(c->obj, "color_type", json_string(color_name(ct)));
	json_object_set_new(c->obj, "bit_depth", json_integer(depth));
	json_object_set_new(c->obj, "compression", json_string("deflate"));
	json_object_set_new(c->obj, "interlace", json_string(interlace ? "adam7" : "none"));
	if ((uint64_t)w * h > c->opts->limits.max_pixels) {
		c->failed = 1;
		prov_seterr(c->e, PROV_FAILED, 0,
		    "%s: PNG: %ux%u image exceeds the limit of %llu pixels (--max-pixels)",
		    c->blob->name, (unsigned)w, (unsigned)h,
		    (unsigned long long)c->opts->limits.max_pixels);
		png_longjmp(c->png, 1);
	}
	colour_hints(c);
	if (c->has_cicp)
		json_object_set_new(c->obj, "cICP", json_pack("[iiii]", c->cicp[0],
		    c->cicp[1], c->cicp[2], c->cicp[3]));
	bits = (unsigned)depth;
	if (ct == PNG_COLOR_TYPE_PALETTE) {
		png_set_palette_to_rgb(c->png);
		if (png_get_valid(c->png, c->info, PNG_INFO_tRNS))
			png_set_tRNS_to_alpha(c->png);
		bits = 8;
	} else if (depth < 8) {
		png_set_packing(c->png);
		if (png_get_valid(c->png, c->info, PNG_INFO_tRNS))
			json_object_set_new(c->obj, "transparent_color", json_true());
	} else if (png_get_valid(c->png, c->info, PNG_INFO_tRNS)) {
		json_object_set_new(c->obj, "transparent_color", json_true());
	}
	if (depth == 16)
		png_set_swap(c->png);	/* native (little-endian) u16 */
	passes = png_set_interlace_handling(c->png);
	png_read_update_info(c->png, c->info);
	nch = png_get_channels(c->png, c->info);
	rowbytes = png_get_rowbytes(c->png, c->info);
	if (nch < 1 || nch > 4 || rowbytes < (size_t)w * nch * (depth == 16 ? 2 : 1)) {
		c->failed = 1;
		prov_seterr(c->e, PROV_FAILED, 0, "%s: PNG: unexpected row layout", c->blob->name);
		png_longjmp(c->png, 1);
	}
	c->img.width = w;
	c->img.height = h;
	c->img.data_window[2] = c->img.display_window[2] = (int32_t)(w - 1);
	c->img.data_window[3] = c->img.display_window[3] = (int32_t)(h - 1);
	for (k = 0; k < nch; k++)
		if (prov_image_add_channel(&c->img, names[nch - 1][k],
		    depth == 16 ? PROV_SAMPLE_U16 : PROV_SAMPLE_U8,
		    k == nch - 1 && (nch == 2 || nch == 4) && ct != PNG_COLOR_TYPE_PALETTE
		    ? (unsigned)depth : bits, 1, 1, &c->opts->limits, c->e) != PROV_OK) {
			c->failed = 1;
			png_longjmp(c->png, 1);
		}
	if (passes > 1) {
		c->rows = prov_xmalloc(rowbytes * h);
		c->rowp = prov_xmalloc(h * sizeof(*c->rowp));
		for (y = 0; y < h; y++)
			c->rowp[y] = c->rows + rowbytes * y;
		png_read_image(c->png, c->rowp);
		for (y = 0; y < h; y++)
			scatter(c, c->rowp[y], y, nch, depth == 16);
	} else {
		c->rows = prov_xmalloc(rowbytes);
		for (p = 0; p < passes; p++)
			for (y = 0; y < h; y++) {
				png_read_row(c->png, c->rows, NULL);
				scatter(c, c->rows, y, nch, depth == 16);
			}
	}
	png_read_end(c->png, c->info);
	return PROV_OK;
}

static int
png_fingerprint(const struct prov_blob *blob, const struct prov_fp_opts *opts,
    struct prov_record *rec, struct prov_err *e)
{
	struct png_ctx c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.blob = blob;
	c.opts = opts;
	c.rec = rec;
	c.e = e;
	prov_image_init(&c.img);
	c.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &c, on_error, on_warning);
	if (c.png == NULL)
		return prov_seterr(e, PROV_FATAL, 0, "%s: PNG: cannot allocate a decoder", blob->name);
	c.info = png_create_info_struct(c.png);
	if (c.info == NULL) {
		png_destroy_read_struct(&c.png, NULL, NULL);
		return prov_seterr(e, PROV_FATAL, 0, "%s: PNG: cannot allocate a decoder", blob->name);
	}
	c.obj = json_object();
	rc = decode(&c);
	collect_meta(&c);	/* also what was read before a failure */
	png_destroy_read_struct(&c.png, &c.info, NULL);
	free(c.rows);
	free(c.rowp);
	if (rc == PROV_OK && opts->images)
		rc = prov_image_fingerprint(&c.img, opts, c.obj, e);
	if (rc == PROV_OK && opts->images)
		prov_record_add_image(rec, c.obj);
	else
		json_decref(c.obj);
	prov_image_release(&c.img);
	return rc;
}

const struct prov_format prov_format_png = { "png", png_bid, png_fingerprint };
