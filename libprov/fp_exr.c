/*
 * fp_exr.c: the OpenEXR format module.
 *
 * Reads the blob through OpenEXRCore (the C API) with a read function over
 * memory, every part of the file becoming one image of the record: scanline
 * and tiled parts decode into a struct prov_image (level 0 of mip/rip maps),
 * deep parts are hashed as they stream (schemas/pixels-v1.md, "Deep
 * images") and flattened, band by band, into a float image for their PDQ
 * (schemas/pdq-v1.md section 9).  DWAA/DWAB parts, which OpenEXRCore
 * 3.1.5 cannot decompress, PIZ parts (faster there) and subsampled parts go through the C++ library
 * (exr_dwa.cpp, see use_cxx()) once Core has validated the header and every
 * chunk of the part.
 *
 * Speed.  Core parts are decoded chunk by chunk on the calling thread with
 * one decode pipeline reused for every chunk (its buffers are allocated
 * once), straight into the planar channel buffers of the image.  OpenEXRCore
 * has no threads of its own; decoding the chunks of one file on several
 * threads helps a single large file, but prov-fp runs one file per -j
 * worker, where extra threads only add hand-offs.  The C++ library's thread
 * pool is left at zero threads for the same reason.  bench/bench-exr.sh
 * measures all of this against the bare decoders.
 *
 * No global state: every error message goes through the per-call struct
 * exr_call (the context's user data), so -j workers can run concurrently.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openexr.h>

#include "prov.h"
#include "exr_dwa.h"
#include "pixels.h"
#include "banned.h"

/* Decoded bytes of one part may not pass max_pixels * this (RGBA float). */
#define BYTES_PER_PIXEL_BUDGET 16

struct exr_call {
	const unsigned char *data;
	size_t len;
	const char *name;
	char msg[200];		/* the library's first message for this call */
	int have_msg;
};

static int64_t
mem_read(exr_const_context_t ctx, void *ud, void *buf, uint64_t sz, uint64_t off,
    exr_stream_error_func_ptr_t errcb)
{
	const struct exr_call *st = ud;
	uint64_t n;

	(void)ctx;
	(void)errcb;
	if (off >= st->len)
		return 0;
	n = st->len - off;
	if (sz < n)
		n = sz;
	memcpy(buf, st->data + off, (size_t)n);
	return (int64_t)n;
}

static int64_t
mem_size(exr_const_context_t ctx, void *ud)
{
	(void)ctx;
	return (int64_t)((const struct exr_call *)ud)->len;
}

static void
on_error(exr_const_context_t ctx, exr_result_t code, const char *msg)
{
	struct exr_call *st = NULL;
	void *ud = NULL;

	(void)code;
	if (ctx == NULL || exr_get_user_data(ctx, &ud) != EXR_ERR_SUCCESS || ud == NULL)
		return;
	st = ud;
	if (!st->have_msg && msg != NULL) {
		struct prov_buf b = PROV_BUF_INIT;
		/* Library messages may quote file bytes: escape them. */
		prov_escape(&b, msg, strlen(msg));
		snprintf(st->msg, sizeof(st->msg), "%s", b.buf);
		prov_buf_release(&b);
		st->have_msg = 1;
	}
}

static int
exr_fail(struct exr_call *st, exr_result_t rv, struct prov_err *e, const char *what)
{
	if (st->have_msg)
		return prov_seterr(e, PROV_FAILED, 0, "%s: EXR %s: %s", st->name, what,
		    st->msg);
	return prov_seterr(e, PROV_FAILED, 0, "%s: EXR %s: %s (%s)", st->name, what,
	    exr_get_default_error_message(rv), exr_get_error_code_as_string(rv));
}

static int
exr_bid(const unsigned char *head, size_t len)
{
	static const unsigned char magic[4] = { 0x76, 0x2f, 0x31, 0x01 };

	return len >= 4 && memcmp(head, magic, 4) == 0 ? 100 : 0;
}

static const char *
compression_name(exr_compression_t c)
{
	static const char *const names[] = { "none", "rle", "zips", "zip", "piz",
	    "pxr24", "b44", "b44a", "dwaa", "dwab" };

	return (unsigned)c < sizeof(names) / sizeof(names[0]) ? names[c] : "unknown";
}

static const char *
storage_name(exr_storage_t s)
{
	switch (s) {
	case EXR_STORAGE_SCANLINE: return "scanlineimage";
	case EXR_STORAGE_TILED: return "tiledimage";
	case EXR_STORAGE_DEEP_SCANLINE: return "deepscanline";
	case EXR_STORAGE_DEEP_TILED: return "deeptile";
	default: return "unknown";
	}
}

static enum prov_sample
sample_type(exr_pixel_type_t t)
{
	switch (t) {
	case EXR_PIXEL_UINT: return PROV_SAMPLE_U32;
	case EXR_PIXEL_HALF: return PROV_SAMPLE_HALF;
	default: return PROV_SAMPLE_F32;
	}
}

/* ------------------------------------------------------------- metadata */

static void
meta_set(json_t *meta, const char *key, const char *val, size_t len)
{
	prov_json_set_name(meta, key, val, len);
}

static void
meta_setf(json_t *meta, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void
meta_setf(json_t *meta, const char *key, const char *fmt, ...)
{
	struct prov_buf b = PROV_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	prov_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	json_object_set_new(meta, key, json_stringn(b.buf, b.len));
	prov_buf_release(&b);
}

static void
add_indicator(json_t *ind, const char *type, const char *value, size_t len,
    const char *field)
{
	json_t *o = json_object();

	json_object_set_new(o, "type", json_string(type));
	prov_json_set_name(o, "value", value, len);
	json_object_set_new(o, "field", json_string(field));
	json_array_append_new(ind, o);
}

/* "+02:00" for seconds east of UTC. */
static void
format_tz(char out[16], double east)
{
	long s = lround(east);
	char sign = s < 0 ? '-' : '+';

	if (s < 0)
		s = -s;
	snprintf(out, 16, "UTC%c%02ld:%02ld", sign, (s / 3600) % 100, (s / 60) % 60);
}

static unsigned
bcd(uint32_t v, int shift, uint32_t mask)
{
	uint32_t x = (v >> shift) & mask;

	return (x >> 4) * 10 + (x & 15);
}

/*
 * One attribute into meta (key is the attribute's name, prefixed for parts
 * after the first), and into indicators when it points at a person, place,
 * time zone, time or tool.  Only strings and the numeric attributes that
 * say who/where/when are kept.
 */
static void
meta_attr(json_t *meta, json_t *ind, const exr_attribute_t *a, const char *key)
{
	char tz[16];

	switch (a->type) {
	case EXR_ATTR_STRING:
		if (a->string == NULL || a->string->length < 0)
			return;
		meta_set(meta, key, a->string->str, (size_t)a->string->length);
		if (strcmp(a->name, "owner") == 0)
			add_indicator(ind, "owner", a->string->str,
			    (size_t)a->string->length, key);
		else if (strcmp(a->name, "capDate") == 0)
			add_indicator(ind, "time", a->string->str,
			    (size_t)a->string->length, key);
		else if (strcasecmp(a->name, "software") == 0 ||
		    strcasecmp(a->name, "writer") == 0 ||
		    strcasecmp(a->name, "creator") == 0)
			add_indicator(ind, "software", a->string->str,
			    (size_t)a->string->length, key);
		else if (strcasecmp(a->name, "hostComputer") == 0 ||
		    strcasecmp(a->name, "host") == 0 ||
		    strcasecmp(a->name, "hostname") == 0)
			add_indicator(ind, "host", a->string->str,
			    (size_t)a->string->length, key);
		break;
	case EXR_ATTR_STRING_VECTOR: {
		struct prov_buf b = PROV_BUF_INIT;
		int i;

		if (a->stringvector == NULL)
			return;
		for (i = 0; i < a->stringvector->n_strings; i++) {
			const exr_attr_string_t *s = &a->stringvector->strings[i];
			if (i > 0)
				prov_buf_addch(&b, '\n');
			if (s->length > 0 && s->str != NULL)
				prov_buf_add(&b, s->str, (size_t)s->length);
		}
		meta_set(meta, key, b.buf, b.len);
		prov_buf_release(&b);
		break;
	}
	case EXR_ATTR_FLOAT:
	case EXR_ATTR_DOUBLE: {
		double v = a->type == EXR_ATTR_FLOAT ? a->f : a->d;

		if (!isfinite(v))
			return;
		if (strcmp(a->name, "utcOffset") == 0) {
			/* utcOffset is UTC minus local time, in seconds. */
			format_tz(tz, -v);
			meta_setf(meta, key, "%.0f (%s)", v, tz);
			add_indicator(ind, "tz", tz, strlen(tz), key);
		} else if (strcmp(a->name, "longitude") == 0 ||
		    strcmp(a->name, "latitude") == 0 ||
		    strcmp(a->name, "altitude") == 0) {
			char buf[64];
			int n = snprintf(buf, sizeof(buf), "%.6f", v);
			meta_setf(meta, key, "%s", buf);
			if (strcmp(a->name, "altitude") != 0 && n > 0)
				add_indicator(ind, "location", buf, (size_t)n, key);
		}
		break;
	}
	case EXR_ATTR_TIMECODE:
		if (a->timecode != NULL && strcmp(a->name, "timeCode") == 0) {
			uint32_t t = a->timecode->time_and_flags;
			meta_setf(meta, key, "%02u:%02u:%02u:%02u", bcd(t, 24, 0x3f),
			    bcd(t, 16, 0x7f), bcd(t, 8, 0x7f), bcd(t, 0, 0x3f));
		}
		break;
	case EXR_ATTR_RATIONAL:
		if (a->rational != NULL && strcmp(a->name, "framesPerSecond") == 0)
			meta_setf(meta, key, "%d/%u", a->rational->num, a->rational->denom);
		break;
	case EXR_ATTR_KEYCODE:
		if (a->keycode != NULL)
			meta_setf(meta, key, "%d %d %d %d %d %d %d",
			    a->keycode->film_mfc_code, a->keycode->film_type,
			    a->keycode->prefix, a->keycode->count,
			    a->keycode->perf_offset, a->keycode->perfs_per_frame,
			    a->keycode->perfs_per_count);
		break;
	default:
		break;
	}
}

/* Whether part 0 holds an attribute of this name with the same string. */
static int
same_in_first(exr_const_context_t ctx, const exr_attribute_t *a)
{
	const exr_attribute_t *b = NULL;

	if (exr_get_attribute_by_name(ctx, 0, a->name, &b) != EXR_ERR_SUCCESS ||
	    b == NULL || b->type != a->type)
		return 0;
	if (a->type == EXR_ATTR_STRING)
		return a->string && b->string && a->string->length == b->string->length &&
		    (a->string->length <= 0 ||
		    memcmp(a->string->str, b->string->str, (size_t)a->string->length) == 0);
	if (a->type == EXR_ATTR_FLOAT)
		return a->f == b->f;
	if (a->type == EXR_ATTR_DOUBLE)
		return a->d == b->d;
	return 0;
}

static void
collect_meta(exr_const_context_t ctx, int nparts, json_t *meta, json_t *ind)
{
	int p, i, n;

	for (p = 0; p < nparts; p++) {
		if (exr_get_attribute_count(ctx, p, &n) != EXR_ERR_SUCCESS)
			continue;
		for (i = 0; i < n; i++) {
			const exr_attribute_t *a = NULL;
			struct prov_buf key = PROV_BUF_INIT;

			if (exr_get_attribute_by_index(ctx, p, EXR_ATTR_LIST_FILE_ORDER,
			    i, &a) != EXR_ERR_SUCCESS || a == NULL || a->name == NULL)
				continue;
			if (p > 0 && same_in_first(ctx, a))
				continue;
			if (p > 0)
				prov_buf_addf(&key, "part%d.", p);
			/* Attribute names are file bytes too: one that is not
			 * UTF-8 is kept as "bytes:<hex>". */
			if (prov_utf8_valid(a->name, strlen(a->name))) {
				prov_buf_addstr(&key, a->name);
			} else {
				char *hex = prov_xmalloc(2 * strlen(a->name) + 1);
				prov_hex((const unsigned char *)a->name, strlen(a->name), hex);
				prov_buf_addf(&key, "bytes:%s", hex);
				free(hex);
			}
			meta_attr(meta, ind, a, key.buf);
			prov_buf_release(&key);
		}
	}
}

/* ------------------------------------------------------ flat part decode */

struct part_info {
	int index;
	exr_storage_t storage;
	exr_compression_t comp;
	exr_attr_box2i_t dw, disp;
	const exr_attr_chlist_t *chans;
	int64_t width, height;
};

/* Rows and columns of a channel in the image (see prov_channel_samples). */
static size_t
cols_of(const struct prov_image *img, const struct prov_channel *ch)
{
	return ((size_t)img->width + (size_t)ch->x_sampling - 1) / (size_t)ch->x_sampling;
}

static size_t
rows_of(const struct prov_image *img, const struct prov_channel *ch)
{
	return ((size_t)img->height + (size_t)ch->y_sampling - 1) / (size_t)ch->y_sampling;
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/*
 * Points each decoder channel at its place in the image for the chunk at
 * pixel (x, y) of the data window (relative), checking that the chunk's
 * rows and columns fit.
 */
static int
aim_channels(struct exr_call *st, const struct part_info *pi, struct prov_image *img,
    exr_decode_pipeline_t *dec, int64_t rx, int64_t abs_y, struct prov_err *e)
{
	int c;

	if (dec->channel_count != (int)img->nchannels)
		return prov_seterr(e, PROV_FAILED, 0, "%s: EXR part %d: channel count changed",
		    st->name, pi->index);
	for (c = 0; c < dec->channel_count; c++) {
		exr_coding_channel_info_t *dc = &dec->channels[c];
		struct prov_channel *ch = &img->channels[c];
		size_t esize = prov_sample_size(ch->type), cols = cols_of(img, ch);
		size_t rows = rows_of(img, ch);
		int64_t row, col;

		if (dc->x_samples != ch->x_sampling || dc->y_samples != ch->y_sampling ||
		    dc->bytes_per_element != (int8_t)esize)
			return prov_seterr(e, PROV_FAILED, 0,
			    "%s: EXR part %d: channel layout changed", st->name, pi->index);
		/* The first row of this channel at or below abs_y. */
		row = floor_div(abs_y + ch->y_sampling - 1, ch->y_sampling) -
		    floor_div(pi->dw.min.y, ch->y_sampling);
		col = rx / ch->x_sampling;
		if (dc->height < 0 || dc->width < 0 || row < 0 || col < 0 ||
		    (dc->height > 0 && ((uint64_t)row + (uint64_t)dc->height > rows ||
		    (uint64_t)col + (uint64_t)dc->width > cols)))
			return prov_seterr(e, PROV_FAILED, 0,
			    "%s: EXR part %d: chunk outside the data window", st->name,
			    pi->index);
		dc->user_bytes_per_element = (int8_t)esize;
		dc->user_data_type = dc->data_type;
		dc->user_pixel_stride = (int32_t)esize;
		dc->user_line_stride = (int32_t)(cols * esize);
		dc->decode_to_ptr = dc->height > 0 ? (uint8_t *)ch->data +
		    ((size_t)row * cols + (size_t)col) * esize : (uint8_t *)ch->data;
	}
	return PROV_OK;
}

static int
run_chunk(struct exr_call *st, exr_context_t ctx, const struct part_info *pi,
    struct prov_image *img, exr_decode_pipeline_t *dec, int *started,
    const exr_chunk_info_t *ci, int64_t rx, int64_t abs_y, struct prov_err *e)
{
	exr_result_t rv;
	int rc;

	if (!*started) {
		if ((rv = exr_decoding_initialize(ctx, pi->index, ci, dec)) != EXR_ERR_SUCCESS)
			return exr_fail(st, rv, e, "decode");
		*started = 1;
		if ((rc = aim_channels(st, pi, img, dec, rx, abs_y, e)) != PROV_OK)
			return rc;
		if ((rv = exr_decoding_choose_default_routines(ctx, pi->index, dec)) !=
		    EXR_ERR_SUCCESS)
			return exr_fail(st, rv, e, "decode");
	} else {
		if ((rv = exr_decoding_update(ctx, pi->index, ci, dec)) != EXR_ERR_SUCCESS)
			return exr_fail(st, rv, e, "decode");
		if ((rc = aim_channels(st, pi, img, dec, rx, abs_y, e)) != PROV_OK)
			return rc;
	}
	if ((rv = exr_decoding_run(ctx, pi->index, dec)) != EXR_ERR_SUCCESS)
		return exr_fail(st, rv, e, "decode");
	return PROV_OK;
}

static int
decode_scanlines(struct exr_call *st, exr_context_t ctx, const struct part_info *pi,
    struct prov_image *img, int validate_only, struct prov_err *e)
{
	exr_decode_pipeline_t dec = EXR_DECODE_PIPELINE_INITIALIZER;
	exr_chunk_info_t ci;
	exr_result_t rv;
	int32_t lpc = 0;
	int64_t y;
	int started = 0, rc = PROV_OK;

	if ((rv = exr_get_scanlines_per_chunk(ctx, pi->index, &lpc)) != EXR_ERR_SUCCESS)
		return exr_fail(st, rv, e, "header");
	if (lpc < 1)
		return prov_seterr(e, PROV_FAILED, 0, "%s: EXR part %d: bad chunk height",
		    st->name, pi->index);
	for (y = pi->dw.min.y; y <= pi->dw.max.y && rc == PROV_OK; y += lpc) {
		if ((rv = exr_read_scanline_chunk_info(ctx, pi->index, (int)y, &ci)) !=
		    EXR_ERR_SUCCESS) {
			rc = exr_fail(st, rv, e, "chunk");
			break;
		}
		if (validate_only)
			continue;
		rc = run_chunk(st, ctx, pi, img, &dec, &started, &ci, 0, ci.start_y, e);
	}
	if (started)
		exr_decoding_destroy(ctx, &dec);
	return rc;
}

static int
decode_tiles(struct exr_call *st, exr_context_t ctx, const struct part_info *pi,
    struct prov_image *img, int validate_only, struct prov_err *e)
{
	exr_decode_pipeline_t dec = EXR_DECODE_PIPELINE_INITIALIZER;
	exr_chunk_info_t ci;
	exr_result_t rv;
	uint32_t tw = 0, th = 0;
	int64_t tx, ty, ntx, nty;
	int c, started = 0, rc = PROV_OK;

	if ((rv = exr_get_tile_descriptor(ctx, pi->index, &tw, &th, NULL, NULL)) !=
	    EXR_ERR_SUCCESS)
		return exr_fail(st, rv, e, "header");
	if (tw == 0 || th == 0)
		return prov_seterr(e, PROV_FAILED, 0, "%s: EXR part %d: bad tile size",
		    st->name, pi->index);
	for (c = 0; c < pi->chans->num_channels; c++)
		if (pi->chans->entries[c].x_sampling != 1 ||
		    pi->chans->entries[c].y_sampling != 1)
			return prov_seterr(e, PROV_FAILED, 0,
			    "%s: EXR part %d: subsampled channel in a tiled part",
			    st->name, pi->index);
	ntx = (pi->width + tw - 1) / tw;
	nty = (pi->height + th - 1) / th;
	for (ty = 0; ty < nty && rc == PROV_OK; ty++) {
		for (tx = 0; tx < ntx && rc == PROV_OK; tx++) {
			if ((rv = exr_read_tile_chunk_info(ctx, pi->index, (int)tx, (int)ty,
			    0, 0, &ci)) != EXR_ERR_SUCCESS) {
				rc = exr_fail(st, rv, e, "tile");
				break;
			}
			if (validate_only)
				continue;
			rc = run_chunk(st, ctx, pi, img, &dec, &started, &ci,
			    tx * tw, pi->dw.min.y + ty * th, e);
		}
	}
	if (started)
		exr_decoding_destroy(ctx, &dec);
	return rc;
}

/*
 * Which parts go to the C++ library (after Core has validated every chunk):
 * - DWAA/DWAB, which Core 3.1.5 cannot decode;
 * - PIZ, which the C++ library of the same release decodes 1.5-2 times
 *   faster on one core (bench/bench-exr.sh, 1080p RGBA half: 0.8-0.9 CPU-s
 *   per 6 frames against 1.3-1.75 through Core); for NONE, RLE, ZIPS, ZIP,
 *   PXR24, B44 and B44A the bare decoders are within 10% of each other and
 *   Core, the better-hardened reader, is kept;
 * - parts with subsampled channels (Y/RY/BY), which Core 3.1.5 decodes
 *   differently from the C++ library for some codecs (comp_b44.exr; see
 *   OpenEXR issue 1137), the C++ library being the reference reader.
 * Neither library's threads are used: prov-fp decodes one file per -j
 * worker, and two workers beat one file on two threads (bare_exr -t 2,
 * bare_exr_cxx -t 2 gain nothing once both cores are busy).
 */
static int
use_cxx(const struct part_info *pi)
{
	int c;

	if (pi->comp == EXR_COMPRESSION_DWAA || pi->comp == EXR_COMPRESSION_DWAB ||
	    pi->comp == EXR_COMPRESSION_PIZ)
		return 1;
	for (c = 0; c < pi->chans->num_channels; c++)
		if (pi->chans->entries[c].x_sampling != 1 ||
		    pi->chans->entries[c].y_sampling != 1)
			return 1;
	return 0;
}

static int
decode_cxx(struct exr_call *st, exr_context_t ctx, const struct part_info *pi,
    struct prov_image *img, struct prov_err *e)
{
	struct prov_exr_dwa_chan *dc;
	int32_t dw[4] = { pi->dw.min.x, pi->dw.min.y, pi->dw.max.x, pi->dw.max.y };
	char msg[200];
	unsigned c;
	int rc;

	/* flat_part() has had Core check every chunk's offset and size against
	 * the file, so the C++ library never meets a bogus chunk table. */
	(void)ctx;
	dc = prov_xcalloc(img->nchannels, sizeof(*dc));
	for (c = 0; c < img->nchannels; c++) {
		struct prov_channel *ch = &img->channels[c];
		dc[c].name = pi->chans->entries[c].name.str;
		dc[c].type = (int)pi->chans->entries[c].pixel_type;
		dc[c].xs = ch->x_sampling;
		dc[c].ys = ch->y_sampling;
		dc[c].data = ch->data;
		dc[c].bytes = prov_channel_samples(img, c) * prov_sample_size(ch->type);
	}
	msg[0] = '\0';
	rc = prov_exr_dwa_decode(st->data, st->len, pi->index, dw, img->nchannels, dc,
	    msg, sizeof(msg));
	free(dc);
	if (rc != 0) {
		struct prov_buf b = PROV_BUF_INIT;
		prov_escape(&b, msg, strlen(msg));
		rc = prov_seterr(e, PROV_FAILED, 0, "%s: EXR part %d: %s", st->name,
		    pi->index, b.buf);
		prov_buf_release(&b);
		return rc;
	}
	return PROV_OK;
}

static void
set_window(int32_t out[4], const exr_attr_box2i_t *b)
{
	out[0] = b->min.x;
	out[1] = b->min.y;
	out[2] = b->max.x;
	out[3] = b->max.y;
}

static json_t *
window_json(const exr_attr_box2i_t *b)
{
	return json_pack("[iiii]", (json_int_t)b->min.x, (json_int_t)b->min.y,
	    (json_int_t)b->max.x, (json_int_t)b->max.y);
}

static const char *
level_mode_name(exr_tile_level_mode_t m)
{
	switch (m) {
	case EXR_TILE_ONE_LEVEL: return "one";
	case EXR_TILE_MIPMAP_LEVELS: return "mipmap";
	case EXR_TILE_RIPMAP_LEVELS: return "ripmap";
	default: return "unknown";
	}
}

/* "tiled": {"tile": [w, h], "mode", "rounding"} and "levels": [[w, h], ...]. */
static void
describe_tiles(exr_context_t ctx, int part, json_t *obj)
{
	uint32_t tw, th;
	exr_tile_level_mode_t mode;
	exr_tile_round_mode_t round;
	int32_t lx = 0, ly = 0, x, y, w, h;
	json_t *levels;

	if (exr_get_tile_descriptor(ctx, part, &tw, &th, &mode, &round) != EXR_ERR_SUCCESS)
		return;
	json_object_set_new(obj, "tiled", json_pack("{s:[II],s:s,s:s}", "tile",
	    (json_int_t)tw, (json_int_t)th, "mode", level_mode_name(mode),
	    "rounding", round == EXR_TILE_ROUND_UP ? "up" : "down"));
	if (exr_get_tile_levels(ctx, part, &lx, &ly) != EXR_ERR_SUCCESS)
		return;
	levels = json_array();
	for (y = 0; y < ly; y++) {
		for (x = 0; x < lx; x++) {
			/* Mip maps have levels (i, i) only. */
			if (mode != EXR_TILE_RIPMAP_LEVELS && x != y)
				continue;
			if (exr_get_level_sizes(ctx, part, x, y, &w, &h) == EXR_ERR_SUCCESS)
				json_array_append_new(levels, json_pack("[II]",
				    (json_int_t)w, (json_int_t)h));
		}
	}
	json_object_set_new(obj, "levels", levels);
}

static int
check_size(struct exr_call *st, const struct part_info *pi,
    const struct prov_fp_opts *opts, struct prov_err *e)
{
	uint64_t pixels = (uint64_t)pi->width * (uint64_t)pi->height;
	uint64_t bytes = 0;
	int c;

	if (pi->width <= 0 || pi->height <= 0)
		return prov_seterr(e, PROV_FAILED, 0, "%s: EXR part %d: empty data window",
		    st->name, pi->index);
	if (pixels > opts->limits.max_pixels)
		return prov_seterr(e, PROV_FAILED, 0,
		    "%s: EXR part %d: %lldx%lld image exceeds the limit of %llu pixels "
		    "(--max-pixels)", st->name, pi->index, (long long)pi->width,
		    (long long)pi->height, (unsigned long long)opts->limits.max_pixels);
	for (c = 0; c < pi->chans->num_channels; c++)
		bytes += pixels * (pi->chans->entries[c].pixel_type == EXR_PIXEL_HALF ? 2 : 4);
	/* Compressed pixels expand at most ~1000 times (zlib's limit); a part
	 * that would decode to more than max_ratio times the file's size (and
	 * more than 64 MiB) is refused before anything is allocated. */
	if (opts->limits.max_ratio > 0 && bytes > ((uint64_t)64 << 20) &&
	    bytes / opts->limits.max_ratio > (uint64_t)st->len)
		return prov_seterr(e, PROV_FAILED, 0,
		    "%s: EXR part %d: %llu decoded bytes from a %llu-byte file exceed "
		    "the expansion limit", st->name, pi->index,
		    (unsigned long long)bytes, (unsigned long long)st->len);
	if (bytes / BYTES_PER_PIXEL_BUDGET > opts->limits.max_pixels)
		return prov_seterr(e, PROV_FAILED, 0,
		    "%s: EXR part %d: %d channels of %llu pixels exceed the decoding budget",
		    st->name, pi->index, pi->chans->num_channels,
		    (unsigned long long)pixels);
	return PROV_OK;
}

/* ------------------------------------------------------ views and layers */

/* A part's views and layers hashed beyond this many are left out. */
#define MAX_LAYERS 256

/* The string attribute name of part p, or NULL. */
static const exr_attr_string_t *
string_attr(exr_const_context_t ctx, int p, const char *name)
{
	const exr_attribute_t *a = NULL;

	if (exr_get_attribute_by_name(ctx, p, name, &a) != EXR_ERR_SUCCESS || a == NULL ||
	    a->type != EXR_ATTR_STRING || a->string == NULL || a->string->str == NULL ||
	    a->string->length < 0)
		return NULL;
	return a->string;
}

static int
same_str(const exr_attr_string_t *s, const char *p, size_t len)
{
	return s != NULL && s->str != NULL && s->length >= 0 &&
	    (size_t)s->length == len && memcmp(s->str, p, len) == 0;
}

/*
 * The view of channels "<layer>.X" (OpenEXR's viewFromChannelName()): in a
 * part with a "view" attribute, that view; in a single-part multi-view
 * file, the default view (the first of "multiView") for unprefixed
 * channels, the view named by the last component of the layer when it is
 * one of "multiView" ("left" of "left.R" and "diffuse.left.R"), else none.
 * Returns the view's string or NULL.
 */
static const exr_attr_string_t *
layer_view(exr_const_context_t ctx, int p, const char *layer)
{
	const exr_attribute_t *a = NULL;
	const exr_attr_string_vector_t *mv;
	const char *last;
	int i;

	if (string_attr(ctx, p, "view") != NULL)
		return string_attr(ctx, p, "view");
	if (exr_get_attribute_by_name(ctx, p, "multiView", &a) != EXR_ERR_SUCCESS ||
	    a == NULL || a->type != EXR_ATTR_STRING_VECTOR || a->stringvector == NULL ||
	    a->stringvector->n_strings < 1)
		return NULL;
	mv = a->stringvector;
	if (*layer == '\0')
		return &mv->strings[0];
	last = strrchr(layer, '.');
	last = last != NULL ? last + 1 : layer;
	for (i = 0; i < mv->n_strings; i++)
		if (same_str(&mv->strings[i], last, strlen(last)))
			return &mv->strings[i];
	return NULL;
}

/* Index of channel "<layer>.<name>" ("<name>" for layer ""), or -1. */
static int
layer_chan(const struct prov_image *img, const char *layer, const char *name)
{
	size_t ll = strlen(layer);
	unsigned c;

	for (c = 0; c < img->nchannels; c++) {
		const struct prov_channel *ch = &img->channels[c];
		const char *s = ch->name;

		if (ll > 0 && (strncmp(s, layer, ll) != 0 || s[ll] != '.'))
			continue;
		if (strcmp(s + (ll > 0 ? ll + 1 : 0), name) == 0)
			return ch->x_sampling == 1 && ch->y_sampling == 1 ? (int)c : -1;
	}
	return -1;
}

/* One "layers" entry: the layer, its view, the channels hashed (as
 * prov_pdq_image() picks them: R, G, B, else Y), its hashes. */
static int
layer_entry(exr_const_context_t ctx, const struct part_info *pi,
    const struct prov_image *img, const char *layer, json_t *obj, json_t *layers,
    struct prov_err *e)
{
	static const char *const rgb[] = { "R", "G", "B" };
	const exr_attr_string_t *view;
	json_t *ent, *chans;
	int idx[3], n = 0, i, rc;

	for (i = 0; i < 3; i++)
		if ((idx[i] = layer_chan(img, layer, rgb[i])) >= 0)
			n++;
	if (n < 3) {
		if ((idx[0] = layer_chan(img, layer, "Y")) < 0)
			return PROV_OK;
		n = 1;
	}
	ent = json_object();
	prov_json_set_name(ent, "layer", layer, strlen(layer));
	if ((view = layer_view(ctx, pi->index, layer)) != NULL)
		prov_json_set_name(ent, "view", view->str, (size_t)view->length);
	chans = json_array();
	for (i = 0; i < n; i++) {
		const char *cn = img->channels[idx[i]].name;
		json_t *tmp = json_object();

		prov_json_set_name(tmp, "c", cn, strlen(cn));
		json_array_append(chans, json_object_get(tmp, "c"));
		json_decref(tmp);
	}
	json_object_set_new(ent, "channels", chans);
	if (*layer == '\0') {
		/* The image's own hashes, already computed. */
		if (json_object_get(obj, "pdq") == NULL) {
			json_decref(ent);
			return PROV_OK;
		}
		json_object_set(ent, "pdq", json_object_get(obj, "pdq"));
		if (json_object_get(obj, "pdq_trimmed") != NULL)
			json_object_set(ent, "pdq_trimmed", json_object_get(obj, "pdq_trimmed"));
		rc = PROV_OK;
	} else if ((rc = prov_image_pdq_add(img, layer, ent, e)) == PROV_WARN) {
		json_decref(ent);
		return PROV_OK;
	}
	if (rc == PROV_OK)
		json_array_append(layers, ent);
	json_decref(ent);
	return rc;
}

/*
 * "layers" (schemas/pdq-v1.md section 6): when channels of a flat part
 * are grouped by prefix ("left.R", "diffuse.R", "right.Y"), one entry per
 * group with colour or luminance, the unprefixed channels first ("layer":
 * ""), then the prefixes in channel-list order, each with its view and
 * PDQ.  Parts with unprefixed channels only get none.
 */
static int
add_layers(exr_const_context_t ctx, const struct part_info *pi,
    const struct prov_image *img, json_t *obj, struct prov_err *e)
{
	char **names = NULL;
	size_t nnames = 0, i, len;
	json_t *layers;
	unsigned c;
	int rc = PROV_OK;

	for (c = 0; c < img->nchannels && nnames < MAX_LAYERS; c++) {
		const char *s = img->channels[c].name, *dot = strrchr(s, '.');

		if (dot == NULL || dot == s || (strcmp(dot + 1, "R") != 0 &&
		    strcmp(dot + 1, "G") != 0 && strcmp(dot + 1, "B") != 0 &&
		    strcmp(dot + 1, "Y") != 0))
			continue;
		len = (size_t)(dot - s);
		for (i = 0; i < nnames; i++)
			if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
				break;
		if (i < nnames)
			continue;
		names = prov_xrealloc(names, (nnames + 1) * sizeof(*names));
		names[nnames] = prov_xmalloc(len + 1);
		memcpy(names[nnames], s, len);
		names[nnames++][len] = '\0';
	}
	if (nnames == 0)
		return PROV_OK;
	layers = json_array();
	for (i = 0; i < nnames && rc == PROV_OK; i++)
		rc = layer_entry(ctx, pi, img, names[i], obj, layers, e);
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	if (rc == PROV_OK && json_array_size(layers) > 0) {
		json_t *first = json_array();

		/* The unprefixed colour first, when the part has any. */
		if ((rc = layer_entry(ctx, pi, img, "", obj, first, e)) == PROV_OK) {
			json_array_extend(first, layers);
			json_object_set(obj, "layers", first);
		}
		json_decref(first);
	}
	json_decref(layers);
	return rc;
}

static int
flat_part(struct exr_call *st, exr_context_t ctx, const struct part_info *pi,
    const struct prov_fp_opts *opts, json_t *obj, struct prov_err *e)
{
	struct prov_image img;
	int c, rc;

	prov_image_init(&img);
	img.width = (uint32_t)pi->width;
	img.height = (uint32_t)pi->height;
	set_window(img.data_window, &pi->dw);
	set_window(img.display_window, &pi->disp);
	img.transfer = PROV_TRANSFER_LINEAR;
	img.premultiplied = 1;
	for (c = 0; c < pi->chans->num_channels; c++) {
		const exr_attr_chlist_entry_t *ce = &pi->chans->entries[c];
		if (ce->name.str == NULL || ce->name.length <= 0 ||
		    memchr(ce->name.str, '\0', (size_t)ce->name.length) != NULL) {
			rc = prov_seterr(e, PROV_FAILED, 0, "%s: EXR part %d: bad channel name",
			    st->name, pi->index);
			goto out;
		}
		if (ce->x_sampling < 1 || ce->y_sampling < 1 ||
		    pi->dw.min.x % ce->x_sampling != 0 || pi->dw.min.y % ce->y_sampling != 0 ||
		    pi->width % ce->x_sampling != 0 || pi->height % ce->y_sampling != 0) {
			rc = prov_seterr(e, PROV_FAILED, 0,
			    "%s: EXR part %d: channel sampling does not fit the data window",
			    st->name, pi->index);
			goto out;
		}
	}
	/* Every chunk of the part must be in the file (offsets, leaders and
	 * sizes checked by Core) before the image is allocated: a small file
	 * claiming a large data window fails here, for free. */
	rc = pi->storage == EXR_STORAGE_TILED ?
	    decode_tiles(st, ctx, pi, &img, 1, e) :
	    decode_scanlines(st, ctx, pi, &img, 1, e);
	if (rc != PROV_OK)
		goto out;
	for (c = 0; c < pi->chans->num_channels; c++) {
		const exr_attr_chlist_entry_t *ce = &pi->chans->entries[c];
		if ((rc = prov_image_add_channel(&img, ce->name.str,
		    sample_type(ce->pixel_type), 0, ce->x_sampling, ce->y_sampling,
		    &opts->limits, e)) != PROV_OK)
			goto out;
	}
	if (img.nchannels == 0) {
		rc = prov_seterr(e, PROV_FAILED, 0, "%s: EXR part %d: no channels",
		    st->name, pi->index);
		goto out;
	}
	if (use_cxx(pi))
		rc = decode_cxx(st, ctx, pi, &img, e);
	else if (pi->storage == EXR_STORAGE_TILED)
		rc = decode_tiles(st, ctx, pi, &img, 0, e);
	else
		rc = decode_scanlines(st, ctx, pi, &img, 0, e);
	if (rc == PROV_OK)
		rc = prov_image_fingerprint(&img, opts, obj, e);
	if (rc == PROV_OK && opts->pdq)
		rc = add_layers(ctx, pi, &img, obj, e);
out:
	prov_image_release(&img);
	return rc;
}

/* ------------------------------------------------------ deep part hash */

static const char pixels_deep_magic[] = "prov-pixels-v1-deep";	/* with its NUL */

static void
put_be32(struct prov_sha256 *h, uint32_t v)
{
	unsigned char b[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
	    (unsigned char)(v >> 8), (unsigned char)v };

	prov_sha256_update(h, b, 4);
}

static unsigned char
deep_type_code(exr_pixel_type_t t)
{
	/* The codes of pixels-v1.md: u32 3, half 7, float 8. */
	return t == EXR_PIXEL_UINT ? 3 : t == EXR_PIXEL_HALF ? 7 : 8;
}

struct chan_order {
	int index;
	const char *name;
};

static int
by_chan_name(const void *a, const void *b)
{
	return strcmp(((const struct chan_order *)a)->name,
	    ((const struct chan_order *)b)->name);
}

/* One decoded deep chunk (a scanline block or a tile), copied out of the
 * reused decode pipeline. */
struct deep_chunk {
	int32_t w, h;
	uint32_t *counts;		/* w * h, per pixel */
	uint64_t *line;			/* h: samples of each row */
	size_t *rowstart;		/* h: byte offset of each row in data */
	unsigned char *data;
	size_t len;
};

static void
deep_chunk_release(struct deep_chunk *dc)
{
	free(dc->counts);
	free(dc->line);
	free(dc->rowstart);
	free(dc->data);
	memset(dc, 0, sizeof(*dc));
}

struct deep_state {
	struct exr_call *st;
	exr_context_t ctx;
	const struct part_info *pi;
	exr_decode_pipeline_t dec;
	int started;
	size_t sum_esize;
	uint64_t budget;		/* bytes held at once */
};

/*
 * Decodes one deep chunk into dc.  The sample count table is taken in the
 * file's form (cumulative within each row) and differenced here: 3.1.5's
 * EXR_DECODE_SAMPLE_COUNTS_AS_INDIVIDUAL leaves the table unfilled for
 * uncompressed parts.
 */
static int
deep_chunk(struct deep_state *ds, const exr_chunk_info_t *ci, struct deep_chunk *dc,
    struct prov_err *e)
{
	struct exr_call *st = ds->st;
	const struct part_info *pi = ds->pi;
	exr_result_t rv;
	uint64_t total = 0;
	int32_t r, x;

	if (ci->width < 1 || ci->height < 1)
		return prov_seterr(e, PROV_FAILED, 0, "%s: EXR part %d: empty deep chunk",
		    st->name, pi->index);
	/* The unpacked size of deep data comes from the file: bound it by what
	 * the codecs can expand to (zlib ~1032:1) and by the budget before the
	 * library allocates it. */
	if (ci->unpacked_size > ds->budget ||
	    ci->unpacked_size / 1100 > ci->packed_size + 65536)
		return prov_seterr(e, PROV_FAILED, 0,
		    "%s: EXR part %d: deep chunk claims %llu bytes unpacked from %llu",
		    st->name, pi->index, (unsigned long long)ci->unpacked_size,
		    (unsigned long long)ci->packed_size);
	if (!ds->started) {
		if ((rv = exr_decoding_initialize(ds->ctx, pi->index, ci, &ds->dec)) !=
		    EXR_ERR_SUCCESS)
			return exr_fail(st, rv, e, "decode");
		ds->started = 1;
		/* No channel pointers: decompress only; the samples are read
		 * from the unpacked buffer. */
		if ((rv = exr_decoding_choose_default_routines(ds->ctx, pi->index,
		    &ds->dec)) != EXR_ERR_SUCCESS)
			return exr_fail(st, rv, e, "decode");
		ds->dec.unpack_and_convert_fn = NULL;
	} else if ((rv = exr_decoding_update(ds->ctx, pi->index, ci, &ds->dec)) !=
	    EXR_ERR_SUCCESS)
		return exr_fail(st, rv, e, "decode");
	if ((rv = exr_decoding_run(ds->ctx, pi->index, &ds->dec)) != EXR_ERR_SUCCESS)
		return exr_fail(st, rv, e, "decode");
	if (ds->dec.sample_count_table == NULL ||
	    (ci->unpacked_size > 0 && ds->dec.unpacked_buffer == NULL))
		return prov_seterr(e, PROV_FAILED, 0, "%s: EXR part %d: deep chunk "
		    "without data", st->name, pi->index);
	dc->w = ci->width;
	dc->h = ci->height;
	dc->counts = prov_xcalloc((size_t)ci->width * (size_t)ci->height, sizeof(uint32_t));
	dc->line = prov_xcalloc((size_t)ci->height, sizeof(uint64_t));
	dc->rowstart = prov_xcalloc((size_t)ci->height, sizeof(size_t));
	for (r = 0; r < ci->height; r++) {
		int32_t prev = 0;
		dc->rowstart[r] = (size_t)(total * ds->sum_esize);
		for (x = 0; x < ci->width; x++) {
			int32_t cum = ds->dec.sample_count_table[(size_t)r * (size_t)ci->width +
			    (size_t)x];
			if (cum < prev)
				return prov_seterr(e, PROV_FAILED, 0,
				    "%s: EXR part %d: bad deep sample count table",
				    st->name, pi->index);
			dc->counts[(size_t)r * (size_t)ci->width + (size_t)x] =
			    (uint32_t)(cum - prev);
			prev = cum;
		}
		dc->line[r] = (uint64_t)prev;
		total += (uint64_t)prev;
	}
	if (ds->sum_esize && total > ci->unpacked_size / ds->sum_esize)
		return prov_seterr(e, PROV_FAILED, 0,
		    "%s: EXR part %d: deep samples exceed the chunk", st->name, pi->index);
	dc->len = (size_t)(total * ds->sum_esize);
	if (dc->len > 0) {
		dc->data = prov_xmalloc(dc->len);
		memcpy(dc->data, ds->dec.unpacked_buffer, dc->len);
	}
	return PROV_OK;
}

/*
 * Hashes rows [0, h) of a band of chunks side by side (one chunk for
 * scanlines, a row of tiles for tiled parts), as pixels-v1.md "Deep images"
 * says: per row, the counts of every pixel, then each channel's samples.
 * In a chunk each row holds its channels in file order, each channel's
 * samples pixel by pixel.
 */
static void
deep_hash_band(struct prov_sha256 *h, const struct deep_chunk *band, int n,
    int32_t rows, const exr_attr_chlist_t *cl, const int *order, const size_t *esize)
{
	int32_t r;
	int c, t, k;

	for (r = 0; r < rows; r++) {
		for (t = 0; t < n; t++)
			prov_sha256_update(h, band[t].counts + (size_t)r * (size_t)band[t].w,
			    (size_t)band[t].w * 4);	/* little-endian host */
		for (c = 0; c < cl->num_channels; c++) {
			int ch = order[c];
			for (t = 0; t < n; t++) {
				size_t off = band[t].rowstart[r];
				for (k = 0; k < ch; k++)
					off += (size_t)band[t].line[r] * esize[k];
				if (band[t].line[r] > 0)
					prov_sha256_update(h, band[t].data + off,
					    (size_t)band[t].line[r] * esize[ch]);
			}
		}
	}
}

/* ------------------------------------------------ deep part: flattened */

/*
 * For the perceptual hash, a deep part is flattened to one colour per pixel
 * as "Interpreting OpenEXR Deep Pixels" composites it (schemas/pdq-v1.md
 * section 9): the samples of a pixel sorted front to back by Z, then ZBack
 * (file order among equals), and added with "over" (premultiplied colour:
 * C += (1 - a) * C_s, a += (1 - a) * A_s) until the accumulated alpha
 * reaches 1.  A part without A has opaque samples: the front one wins.
 */

static float
deep_value(const unsigned char *p, exr_pixel_type_t t)
{
	uint16_t h;
	uint32_t u;
	float f;

	switch (t) {
	case EXR_PIXEL_HALF:
		memcpy(&h, p, 2);
		return prov_half_to_float(h);
	case EXR_PIXEL_UINT:
		memcpy(&u, p, 4);
		return (float)u;
	default:
		memcpy(&f, p, 4);
		return f;
	}
}

/* The flattened channels: colour R, G, B, Y, then A, Z, ZBack. */
enum { FL_R, FL_G, FL_B, FL_Y, FL_A, FL_Z, FL_ZB, FL_N };
static const char *const flat_names[FL_N] = { "R", "G", "B", "Y", "A", "Z", "ZBack" };

struct deep_flat {
	int chan[FL_N];			/* channel list index, or -1 */
	int plane[FL_Y + 1];		/* channel of img, or -1 */
	struct prov_image img;		/* F32 colour planes */
	struct deep_key *keys;		/* sort scratch */
	size_t nkeys;
};

struct deep_key {
	float z, zb;
	uint32_t s;			/* sample index within the pixel */
};

/* Z ascending, then ZBack, then file order; NaN depths after all others. */
static int
by_depth(const void *a, const void *b)
{
	const struct deep_key *x = a, *y = b;
	int xn = isnan(x->z), yn = isnan(y->z);

	if (xn != yn)
		return xn - yn;
	if (!xn && x->z != y->z)
		return x->z < y->z ? -1 : 1;
	xn = isnan(x->zb);
	yn = isnan(y->zb);
	if (xn != yn)
		return xn - yn;
	if (!xn && x->zb != y->zb)
		return x->zb < y->zb ? -1 : 1;
	return x->s < y->s ? -1 : x->s > y->s;
}

/* Sets up df for part pi: returns 1 when the part has colour to flatten. */
static int
deep_flat_init(struct deep_flat *df, const struct part_info *pi,
    const struct prov_fp_opts *opts, struct prov_err *e, int *rc)
{
	const exr_attr_chlist_t *cl = pi->chans;
	int c, k, colour = 0;

	memset(df, 0, sizeof(*df));
	prov_image_init(&df->img);
	*rc = PROV_OK;
	for (k = 0; k < FL_N; k++)
		df->chan[k] = -1;
	for (k = 0; k <= FL_Y; k++)
		df->plane[k] = -1;
	for (c = 0; c < cl->num_channels; c++)
		for (k = 0; k < FL_N; k++)
			if (strcmp(cl->entries[c].name.str, flat_names[k]) == 0)
				df->chan[k] = c;
	if (df->chan[FL_R] >= 0 && df->chan[FL_G] >= 0 && df->chan[FL_B] >= 0)
		colour = 1;
	else if (df->chan[FL_Y] >= 0)
		colour = 1;
	if (!opts->pdq || !colour)
		return 0;
	df->img.width = (uint32_t)pi->width;
	df->img.height = (uint32_t)pi->height;
	set_window(df->img.data_window, &pi->dw);
	set_window(df->img.display_window, &pi->disp);
	df->img.transfer = PROV_TRANSFER_LINEAR;
	df->img.premultiplied = 1;
	for (k = 0; k <= FL_Y; k++) {
		if (df->chan[k] < 0)
			continue;
		if ((*rc = prov_image_add_channel(&df->img, flat_names[k],
		    PROV_SAMPLE_F32, 0, 1, 1, &opts->limits, e)) != PROV_OK)
			return 0;
		df->plane[k] = (int)df->img.nchannels - 1;
	}
	return 1;
}

static void
deep_flat_release(struct deep_flat *df)
{
	prov_image_release(&df->img);
	free(df->keys);
	memset(df, 0, sizeof(*df));
}

/*
 * Composites rows [0, rows) of a band of chunks into image rows y0.. of
 * df->img; the chunk layout is that of deep_hash_band().
 */
static void
deep_flat_band(struct deep_flat *df, const struct deep_chunk *band, int n,
    int32_t rows, int64_t y0, const exr_attr_chlist_t *cl, const size_t *esize)
{
	const unsigned char *base[FL_N];
	int32_t r, x;
	int t, k, c;

	for (r = 0; r < rows; r++) {
		float *out[FL_Y + 1];
		int64_t x0 = 0;

		for (k = 0; k <= FL_Y; k++)
			out[k] = df->plane[k] < 0 ? NULL : (float *)df->img.channels[
			    df->plane[k]].data + (size_t)(y0 + r) * df->img.width;
		for (t = 0; t < n; t++) {
			const struct deep_chunk *dc = &band[t];
			const uint32_t *cnt = dc->counts + (size_t)r * (size_t)dc->w;
			uint64_t s0 = 0;

			/* Where each wanted channel's samples of this row start. */
			for (k = 0; k < FL_N; k++) {
				size_t off = dc->rowstart[r];
				base[k] = NULL;
				if (df->chan[k] < 0)
					continue;
				for (c = 0; c < df->chan[k]; c++)
					off += (size_t)dc->line[r] * esize[c];
				base[k] = dc->data + off;
			}
			for (x = 0; x < dc->w; x++) {
				float acc[FL_Y + 1] = { 0 }, a = 0;
				uint32_t ns = cnt[x], i;
				int sorted = 1;

				if (ns > 1 && df->chan[FL_Z] >= 0) {
					/* Keys for every sample; sort only when
					 * the file's order is not already front
					 * to back. */
					if (ns > df->nkeys) {
						free(df->keys);
						df->keys = prov_xcalloc(ns, sizeof(*df->keys));
						df->nkeys = ns;
					}
					for (i = 0; i < ns; i++) {
						int ck = df->chan[FL_Z], cb = df->chan[FL_ZB];
						df->keys[i].z = deep_value(base[FL_Z] +
						    (size_t)(s0 + i) * esize[ck],
						    cl->entries[ck].pixel_type);
						df->keys[i].zb = cb < 0 ? df->keys[i].z :
						    deep_value(base[FL_ZB] + (size_t)(s0 + i) *
						    esize[cb], cl->entries[cb].pixel_type);
						df->keys[i].s = i;
						if (i > 0 && by_depth(&df->keys[i - 1],
						    &df->keys[i]) > 0)
							sorted = 0;
					}
					if (!sorted)
						qsort(df->keys, ns, sizeof(*df->keys), by_depth);
				}
				for (i = 0; i < ns && a < 1.0f; i++) {
					uint32_t s = sorted ? i : df->keys[i].s;
					float w = 1.0f - a, sa = 1.0f;

					for (k = 0; k <= FL_Y; k++) {
						int ck = df->chan[k];
						if (out[k] == NULL)
							continue;
						acc[k] += w * deep_value(base[k] +
						    (size_t)(s0 + s) * esize[ck],
						    cl->entries[ck].pixel_type);
					}
					if (df->chan[FL_A] >= 0)
						sa = deep_value(base[FL_A] + (size_t)(s0 + s) *
						    esize[df->chan[FL_A]],
						    cl->entries[df->chan[FL_A]].pixel_type);
					a += w * sa;
				}
				for (k = 0; k <= FL_Y; k++)
					if (out[k] != NULL)
						out[k][x0 + x] = acc[k];
				s0 += ns;
			}
			x0 += dc->w;
		}
	}
}

static int
deep_part(struct exr_call *st, exr_context_t ctx, const struct part_info *pi,
    const struct prov_fp_opts *opts, json_t *obj, struct prov_err *e)
{
	const exr_attr_chlist_t *cl = pi->chans;
	struct deep_state ds;
	struct deep_flat df;
	struct chan_order *order = NULL;
	struct deep_chunk *band = NULL;
	struct prov_sha256 h;
	unsigned char hash[PROV_SHA256_LEN];
	char text[68];
	size_t *esize = NULL;
	int *ord = NULL;
	uint64_t total = 0;
	int64_t y = 0, by, nbands, ntx = 1;
	int32_t lpc = 0;
	uint32_t tw = 0, th = 0;
	int c, t, tiled = pi->storage == EXR_STORAGE_DEEP_TILED, rc = PROV_OK, flat;
	exr_result_t rv;
	json_t *chans;

	if (cl->num_channels <= 0)
		return prov_seterr(e, PROV_FAILED, 0, "%s: EXR part %d: no channels",
		    st->name, pi->index);
	if (tiled) {
		if ((rv = exr_get_tile_descriptor(ctx, pi->index, &tw, &th, NULL, NULL)) !=
		    EXR_ERR_SUCCESS)
			return exr_fail(st, rv, e, "header");
		if (tw == 0 || th == 0)
			return prov_seterr(e, PROV_FAILED, 0, "%s: EXR part %d: bad tile size",
			    st->name, pi->index);
		ntx = (pi->width + tw - 1) / tw;
		nbands = (pi->height + th - 1) / th;
	} else {
		if ((rv = exr_get_scanlines_per_chunk(ctx, pi->index, &lpc)) !=
		    EXR_ERR_SUCCESS)
			return exr_fail(st, rv, e, "header");
		if (lpc < 1)
			return prov_seterr(e, PROV_FAILED, 0,
			    "%s: EXR part %d: bad chunk height", st->name, pi->index);
		nbands = (pi->height + lpc - 1) / lpc;
	}
	if (prov_sha256_init(&h, e) != PROV_OK)
		return PROV_FATAL;
	memset(&ds, 0, sizeof(ds));
	memset(&df, 0, sizeof(df));
	prov_image_init(&df.img);
	ds.st = st;
	ds.ctx = ctx;
	ds.pi = pi;
	ds.budget = opts->limits.max_pixels * BYTES_PER_PIXEL_BUDGET;
	order = prov_xcalloc((size_t)cl->num_channels, sizeof(*order));
	ord = prov_xcalloc((size_t)cl->num_channels, sizeof(*ord));
	esize = prov_xcalloc((size_t)cl->num_channels, sizeof(*esize));
	band = prov_xcalloc((size_t)ntx, sizeof(*band));
	chans = json_array();
	for (c = 0; c < cl->num_channels; c++) {
		const exr_attr_chlist_entry_t *ce = &cl->entries[c];
		if (ce->name.str == NULL || ce->x_sampling != 1 || ce->y_sampling != 1) {
			rc = prov_seterr(e, PROV_FAILED, 0,
			    "%s: EXR part %d: bad deep channel", st->name, pi->index);
			goto out;
		}
		order[c].index = c;
		order[c].name = ce->name.str;
		esize[c] = ce->pixel_type == EXR_PIXEL_HALF ? 2 : 4;
		ds.sum_esize += esize[c];
	}
	qsort(order, (size_t)cl->num_channels, sizeof(*order), by_chan_name);
	for (c = 0; c < cl->num_channels; c++)
		ord[c] = order[c].index;
	/* The flattened colour for "pdq", allocated (and limited) before any
	 * chunk is read. */
	flat = deep_flat_init(&df, pi, opts, e, &rc);
	if (rc != PROV_OK)
		goto out;

	prov_sha256_update(&h, pixels_deep_magic, sizeof(pixels_deep_magic));
	put_be32(&h, (uint32_t)pi->width);
	put_be32(&h, (uint32_t)pi->height);
	put_be32(&h, (uint32_t)pi->dw.min.x);
	put_be32(&h, (uint32_t)pi->dw.min.y);
	put_be32(&h, (uint32_t)pi->dw.max.x);
	put_be32(&h, (uint32_t)pi->dw.max.y);
	put_be32(&h, (uint32_t)cl->num_channels);
	for (c = 0; c < cl->num_channels; c++) {
		const exr_attr_chlist_entry_t *ce = &cl->entries[ord[c]];
		unsigned char desc[2] = { deep_type_code(ce->pixel_type),
		    (unsigned char)(esize[ord[c]] * 8) };
		json_t *o;

		prov_sha256_update(&h, ce->name.str, strlen(ce->name.str) + 1);
		prov_sha256_update(&h, desc, 2);
		put_be32(&h, 1);
		put_be32(&h, 1);
		o = json_pack("{s:s,s:s}", "name", "", "type",
		    prov_sample_name(sample_type(ce->pixel_type)));
		prov_json_set_name(o, "name", ce->name.str, strlen(ce->name.str));
		json_array_append_new(chans, o);
	}

	for (by = 0; by < nbands && rc == PROV_OK; by++) {
		int64_t width = 0, held = 0;
		int32_t rows = 0;

		for (t = 0; t < ntx && rc == PROV_OK; t++) {
			exr_chunk_info_t ci;

			y = pi->dw.min.y + by * (tiled ? (int64_t)th : lpc);
			rv = tiled ? exr_read_tile_chunk_info(ctx, pi->index, t, (int)by, 0, 0,
			    &ci) : exr_read_scanline_chunk_info(ctx, pi->index, (int)y, &ci);
			if (rv != EXR_ERR_SUCCESS) {
				rc = exr_fail(st, rv, e, tiled ? "tile" : "chunk");
				break;
			}
			if ((rc = deep_chunk(&ds, &ci, &band[t], e)) != PROV_OK)
				break;
			if (t > 0 && band[t].h != rows) {
				rc = prov_seterr(e, PROV_FAILED, 0,
				    "%s: EXR part %d: deep tiles of one row differ in height",
				    st->name, pi->index);
				break;
			}
			rows = band[t].h;
			width += band[t].w;
			held += (int64_t)band[t].len;
			if ((uint64_t)held > ds.budget) {
				rc = prov_seterr(e, PROV_FAILED, 0,
				    "%s: EXR part %d: deep samples exceed the decoding budget",
				    st->name, pi->index);
				break;
			}
		}
		if (rc == PROV_OK && (width != pi->width ||
		    y + rows - 1 > pi->dw.max.y)) {
			rc = prov_seterr(e, PROV_FAILED, 0,
			    "%s: EXR part %d: deep chunks do not cover the data window",
			    st->name, pi->index);
		}
		if (rc == PROV_OK) {
			int32_t r;
			deep_hash_band(&h, band, (int)ntx, rows, cl, ord, esize);
			if (flat)
				deep_flat_band(&df, band, (int)ntx, rows,
				    by * (tiled ? (int64_t)th : lpc), cl, esize);
			for (t = 0; t < ntx; t++)
				for (r = 0; r < rows; r++)
					total += band[t].line[r];
		}
		for (t = 0; t < ntx; t++)
			deep_chunk_release(&band[t]);
	}
	if (rc == PROV_OK) {
		prov_sha256_final(&h, hash);
		prov_pixels_format(hash, text);
		json_object_set_new(obj, "width", json_integer(pi->width));
		json_object_set_new(obj, "height", json_integer(pi->height));
		json_object_set_new(obj, "channels", chans);
		chans = NULL;
		json_object_set_new(obj, "data_window", window_json(&pi->dw));
		json_object_set_new(obj, "display_window", window_json(&pi->disp));
		json_object_set_new(obj, "deep", json_true());
		json_object_set_new(obj, "samples", json_integer((json_int_t)total));
		json_object_set_new(obj, "pixels", json_string(text));
		if (flat && (rc = prov_image_pdq_add(&df.img, NULL, obj, e)) == PROV_WARN)
			rc = PROV_OK;
	}
out:
	deep_flat_release(&df);
	json_decref(chans);
	if (ds.started)
		exr_decoding_destroy(ctx, &ds.dec);
	prov_sha256_release(&h);
	free(order);
	free(ord);
	free(esize);
	free(band);
	return rc;
}

/* ------------------------------------------------------------- the module */

static int
part_info(struct exr_call *st, exr_context_t ctx, int p, struct part_info *pi,
    struct prov_err *e)
{
	exr_result_t rv;

	memset(pi, 0, sizeof(*pi));
	pi->index = p;
	if ((rv = exr_get_storage(ctx, p, &pi->storage)) != EXR_ERR_SUCCESS ||
	    (rv = exr_get_compression(ctx, p, &pi->comp)) != EXR_ERR_SUCCESS ||
	    (rv = exr_get_data_window(ctx, p, &pi->dw)) != EXR_ERR_SUCCESS ||
	    (rv = exr_get_display_window(ctx, p, &pi->disp)) != EXR_ERR_SUCCESS ||
	    (rv = exr_get_channels(ctx, p, &pi->chans)) != EXR_ERR_SUCCESS)
		return exr_fail(st, rv, e, "header");
	if (pi->chans == NULL)
		return prov_seterr(e, PROV_FAILED, 0, "%s: EXR part %d: no channel list",
		    st->name, p);
	pi->width = (int64_t)pi->dw.max.x - pi->dw.min.x + 1;
	pi->height = (int64_t)pi->dw.max.y - pi->dw.min.y + 1;
	return PROV_OK;
}

static void
describe_part(exr_context_t ctx, const struct part_info *pi, json_t *obj)
{
	const exr_attribute_t *a = NULL;
	const char *name = NULL;

	if (exr_get_name(ctx, pi->index, &name) == EXR_ERR_SUCCESS && name != NULL)
		prov_json_set_name(obj, "name", name, strlen(name));
	if (exr_get_attribute_by_name(ctx, pi->index, "view", &a) == EXR_ERR_SUCCESS &&
	    a != NULL && a->type == EXR_ATTR_STRING && a->string != NULL &&
	    a->string->length >= 0)
		prov_json_set_name(obj, "view", a->string->str, (size_t)a->string->length);
	if (exr_get_attribute_by_name(ctx, pi->index, "multiView", &a) == EXR_ERR_SUCCESS &&
	    a != NULL && a->type == EXR_ATTR_STRING_VECTOR && a->stringvector != NULL) {
		json_t *views = json_array();
		int i;
		for (i = 0; i < a->stringvector->n_strings; i++) {
			const exr_attr_string_t *s = &a->stringvector->strings[i];
			json_t *tmp = json_object();
			prov_json_set_name(tmp, "v", s->str ? s->str : "",
			    s->str && s->length > 0 ? (size_t)s->length : 0);
			json_array_append(views, json_object_get(tmp, "v"));
			json_decref(tmp);
		}
		json_object_set_new(obj, "views", views);
	}
	json_object_set_new(obj, "type", json_string(storage_name(pi->storage)));
	json_object_set_new(obj, "compression", json_string(compression_name(pi->comp)));
	if (exr_get_attribute_by_name(ctx, pi->index, "chromaticities", &a) ==
	    EXR_ERR_SUCCESS && a != NULL && a->type == EXR_ATTR_CHROMATICITIES &&
	    a->chromaticities != NULL) {
		/* As decimal strings that read back to the same floats: records
		 * go into ledger entries, whose canonical JSON has no reals. */
		const exr_attr_chromaticities_t *ch = a->chromaticities;
		const float v[8] = { ch->red_x, ch->red_y, ch->green_x, ch->green_y,
		    ch->blue_x, ch->blue_y, ch->white_x, ch->white_y };
		json_t *arr = json_array();
		char num[32];
		int i;
		for (i = 0; i < 8; i++) {
			snprintf(num, sizeof(num), "%.9g", (double)v[i]);
			json_array_append_new(arr, json_string(num));
		}
		json_object_set_new(obj, "chromaticities", arr);
	}
}

static int
exr_fingerprint(const struct prov_blob *blob, const struct prov_fp_opts *opts,
    struct prov_record *rec, struct prov_err *e)
{
	exr_context_initializer_t init = EXR_DEFAULT_CONTEXT_INITIALIZER;
	struct exr_call st;
	exr_context_t ctx = NULL;
	exr_result_t rv;
	int nparts = 0, p, rc = PROV_OK;
	uint64_t maxdim;
	json_t *meta, *ind;

	memset(&st, 0, sizeof(st));
	st.data = blob->data;
	st.len = blob->len;
	st.name = blob->name ? blob->name : "(blob)";
	init.user_data = &st;
	init.read_fn = mem_read;
	init.size_fn = mem_size;
	init.error_handler_fn = on_error;
	init.flags = EXR_CONTEXT_FLAG_SILENT_HEADER_PARSE |
	    EXR_CONTEXT_FLAG_DISABLE_CHUNK_RECONSTRUCTION;
	/* No side may exceed the pixel budget; the product is checked per part
	 * before anything is allocated. */
	maxdim = opts->limits.max_pixels < (uint64_t)INT32_MAX ?
	    opts->limits.max_pixels : (uint64_t)INT32_MAX;
	init.max_image_width = init.max_image_height = (int)(maxdim ? maxdim : 1);
	init.max_tile_width = init.max_tile_height = 65536;

	if ((rv = exr_start_read(&ctx, st.name, &init)) != EXR_ERR_SUCCESS) {
		rc = exr_fail(&st, rv, e, "header");
		exr_finish(&ctx);
		return rc;
	}
	if ((rv = exr_get_count(ctx, &nparts)) != EXR_ERR_SUCCESS || nparts < 1) {
		rc = exr_fail(&st, rv, e, "header");
		goto out;
	}
	json_object_set_new(rec->fields, "parts", json_integer(nparts));
	meta = json_object();
	ind = json_array();
	collect_meta(ctx, nparts, meta, ind);
	json_object_set_new(rec->fields, "meta", meta);
	if (json_array_size(ind) > 0)
		json_object_set_new(rec->fields, "indicators", ind);
	else
		json_decref(ind);
	if (!opts->images)
		goto out;
	for (p = 0; p < nparts && rc == PROV_OK; p++) {
		struct part_info pi;
		json_t *obj;

		if ((rc = part_info(&st, ctx, p, &pi, e)) != PROV_OK)
			break;
		obj = json_object();
		describe_part(ctx, &pi, obj);
		if ((rc = check_size(&st, &pi, opts, e)) != PROV_OK) {
			json_decref(obj);
			break;
		}
		switch (pi.storage) {
		case EXR_STORAGE_SCANLINE:
		case EXR_STORAGE_TILED:
			rc = flat_part(&st, ctx, &pi, opts, obj, e);
			break;
		case EXR_STORAGE_DEEP_SCANLINE:
		case EXR_STORAGE_DEEP_TILED:
			rc = deep_part(&st, ctx, &pi, opts, obj, e);
			break;
		default:
			rc = prov_seterr(e, PROV_FAILED, 0, "%s: EXR part %d: unknown type",
			    st.name, p);
			break;
		}
		if (rc == PROV_OK && (pi.storage == EXR_STORAGE_TILED ||
		    pi.storage == EXR_STORAGE_DEEP_TILED))
			describe_tiles(ctx, p, obj);
		if (rc != PROV_OK) {
			json_decref(obj);
			break;
		}
		prov_record_add_image(rec, obj);
	}
out:
	exr_finish(&ctx);
	return rc;
}

const struct prov_format prov_format_exr = {
	"exr",
	exr_bid,
	exr_fingerprint,
};
