/*
 * fp_webp.c: the WebP format module, through libwebp and libwebpdemux.
 *
 * libwebp reports errors as status codes and never prints, so no handler
 * is needed.  Pixels are decoded to 8-bit R, G, B (and A when the file has
 * alpha): a lossless WebP of a PNG's 8-bit RGB(A) pixels gives the PNG's
 * pixel hash; lossy ones depend on libwebp's YUV conversion, as JPEGs on
 * libjpeg-turbo's IDCT.  An animation is one image, its first frame as
 * composed on the canvas, with its frame count recorded.  EXIF (through
 * the raster EXIF reader) and XMP chunks go to "meta".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <webp/decode.h>
#include <webp/demux.h>

#include "prov.h"
#include "raster.h"
#include "banned.h"

#define MAX_META_TEXT 65536

static int
webp_bid(const unsigned char *h, size_t len)
{
	return len >= 16 && memcmp(h, "RIFF", 4) == 0 && memcmp(h + 8, "WEBPVP8", 7) == 0
	    ? 80 : 0;
}

static const char *
status_name(VP8StatusCode s)
{
	switch (s) {
	case VP8_STATUS_OUT_OF_MEMORY: return "out of memory";
	case VP8_STATUS_INVALID_PARAM: return "invalid parameter";
	case VP8_STATUS_BITSTREAM_ERROR: return "bitstream error";
	case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature";
	case VP8_STATUS_NOT_ENOUGH_DATA: return "truncated";
	default: return "cannot decode";
	}
}

/* EXIF and XMP chunks into meta; returns the EXIF orientation or 0. */
static int
chunks(const WebPDemuxer *dmux, json_t *meta, json_t *obj)
{
	WebPChunkIterator it;
	int o = 0;

	if (WebPDemuxGetChunk(dmux, "EXIF", 1, &it)) {
		o = prov_exif_meta(it.chunk.bytes, it.chunk.size, meta);
		json_object_set_new(obj, "exif", json_true());
		WebPDemuxReleaseChunkIterator(&it);
	}
	if (WebPDemuxGetChunk(dmux, "XMP ", 1, &it)) {
		prov_raster_meta_text(meta, "XMP", (const char *)it.chunk.bytes,
		    it.chunk.size < MAX_META_TEXT ? it.chunk.size : MAX_META_TEXT);
		WebPDemuxReleaseChunkIterator(&it);
	}
	if (WebPDemuxGetChunk(dmux, "ICCP", 1, &it)) {
		json_object_set_new(obj, "icc_profile", json_integer((json_int_t)it.chunk.size));
		WebPDemuxReleaseChunkIterator(&it);
	}
	return o;
}

/* The first frame of an animation, composed on the canvas, as RGBA. */
static int
first_frame(const struct prov_blob *blob, unsigned char *rgba, size_t size,
    struct prov_err *e)
{
	WebPAnimDecoderOptions ao;
	WebPAnimDecoder *ad;
	WebPAnimInfo info;
	WebPData data;
	uint8_t *frame = NULL;
	int ts = 0, rc = PROV_OK;

	data.bytes = blob->data;
	data.size = blob->len;
	if (!WebPAnimDecoderOptionsInit(&ao))
		return prov_seterr(e, PROV_FATAL, 0, "%s: WebP: library version mismatch",
		    blob->name);
	ao.color_mode = MODE_RGBA;
	ao.use_threads = 0;
	if ((ad = WebPAnimDecoderNew(&data, &ao)) == NULL)
		return prov_seterr(e, PROV_FAILED, 0, "%s: WebP: bad animation", blob->name);
	if (!WebPAnimDecoderGetInfo(ad, &info) ||
	    (size_t)info.canvas_width * info.canvas_height * 4 != size ||
	    !WebPAnimDecoderGetNext(ad, &frame, &ts) || frame == NULL)
		rc = prov_seterr(e, PROV_FAILED, 0, "%s: WebP: cannot decode the first frame",
		    blob->name);
	else
		memcpy(rgba, frame, size);
	WebPAnimDecoderDelete(ad);
	return rc;
}

static int
webp_fingerprint(const struct prov_blob *blob, const struct prov_fp_opts *opts,
    struct prov_record *rec, struct prov_err *e)
{
	static const char *const names[4] = { "R", "G", "B", "A" };
	WebPBitstreamFeatures f;
	WebPDemuxer *dmux;
	WebPDemuxState state;
	WebPData data;
	VP8StatusCode st;
	struct prov_image img;
	json_t *obj, *meta;
	unsigned char *buf = NULL;
	uint32_t w, h, frames = 1;
	unsigned nch, k;
	size_t n, i;
	int rc = PROV_OK, o;

	if ((st = WebPGetFeatures(blob->data, blob->len, &f)) != VP8_STATUS_OK)
		return prov_seterr(e, PROV_FAILED, 0, "%s: WebP: %s", blob->name, status_name(st));
	data.bytes = blob->data;
	data.size = blob->len;
	if ((dmux = WebPDemuxPartial(&data, &state)) == NULL)
		return prov_seterr(e, PROV_FAILED, 0, "%s: WebP: bad container", blob->name);
	if (state != WEBP_DEMUX_DONE) {
		WebPDemuxDelete(dmux);
		return prov_seterr(e, PROV_FAILED, 0, "%s: WebP: truncated", blob->name);
	}
	obj = json_object();
	meta = json_object();
	/* a still image decodes at its bitstream's size, an animation on
	 * its canvas */
	w = (uint32_t)f.width;
	h = (uint32_t)f.height;
	if (f.has_animation) {
		w = WebPDemuxGetI(dmux, WEBP_FF_CANVAS_WIDTH);
		h = WebPDemuxGetI(dmux, WEBP_FF_CANVAS_HEIGHT);
		frames = WebPDemuxGetI(dmux, WEBP_FF_FRAME_COUNT);
	}
	o = chunks(dmux, meta, obj);
	WebPDemuxDelete(dmux);
	if (json_object_size(meta) > 0)
		json_object_set(rec->fields, "meta", meta);
	json_decref(meta);
	json_object_set_new(obj, "compression", json_string(f.format == 2 ? "webp-lossless"
	    : f.format == 1 ? "webp-lossy" : "webp-mixed"));
	if (f.has_animation) {
		json_object_set_new(obj, "animated", json_true());
		json_object_set_new(obj, "frames", json_integer(frames));
	}
	prov_image_init(&img);
	if (o > 0)
		img.orientation = o;
	if (w == 0 || h == 0) {
		rc = prov_seterr(e, PROV_FAILED, 0, "%s: WebP: image has no pixels", blob->name);
		goto out;
	}
	if ((uint64_t)w * h > opts->limits.max_pixels) {
		rc = prov_seterr(e, PROV_FAILED, 0,
		    "%s: WebP: %ux%u image exceeds the limit of %llu pixels (--max-pixels)",
		    blob->name, w, h, (unsigned long long)opts->limits.max_pixels);
		goto out;
	}
	if (!opts->images)
		goto out;
	nch = f.has_alpha || f.has_animation ? 4 : 3;
	n = (size_t)w * h;
	buf = prov_xmalloc(n * nch);
	if (f.has_animation)
		rc = first_frame(blob, buf, n * nch, e);
	else if ((nch == 4 ? WebPDecodeRGBAInto(blob->data, blob->len, buf, n * 4, (int)w * 4)
	    : WebPDecodeRGBInto(blob->data, blob->len, buf, n * 3, (int)w * 3)) == NULL)
		rc = prov_seterr(e, PROV_FAILED, 0, "%s: WebP: cannot decode", blob->name);
	if (rc != PROV_OK)
		goto out;
	img.width = w;
	img.height = h;
	img.data_window[2] = img.display_window[2] = (int32_t)(w - 1);
	img.data_window[3] = img.display_window[3] = (int32_t)(h - 1);
	for (k = 0; k < nch; k++) {
		unsigned char *d;

		if ((rc = prov_image_add_channel(&img, names[k], PROV_SAMPLE_U8, 8, 1, 1,
		    &opts->limits, e)) != PROV_OK) {
			prov_err_prefix(e, "%s: WebP", blob->name);
			goto out;
		}
		d = img.channels[k].data;
		for (i = 0; i < n; i++)
			d[i] = buf[i * nch + k];
	}
	if ((rc = prov_image_fingerprint(&img, opts, obj, e)) == PROV_OK) {
		prov_record_add_image(rec, obj);
		obj = NULL;
	}
out:
	json_decref(obj);
	free(buf);
	prov_image_release(&img);
	return rc;
}

const struct prov_format prov_format_webp = { "webp", webp_bid, webp_fingerprint };
