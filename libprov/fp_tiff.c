/*
 * fp_tiff.c: the TIFF format module, through libtiff 4.5.
 *
 * The blob is opened with TIFFClientOpenExt over memory (mapped, so strips
 * are decoded straight from it) with per-handle error and warning handlers:
 * nothing is printed and the first error is kept for the record.  Every
 * page (IFD of the main chain) is its own image.
 *
 * Pixels keep the stored samples for grey, RGB, palette (expanded to R, G,
 * B from the colour map) and separated (CMYK) images, in strips or tiles,
 * contiguous or separate planes, 1-32 bit integers and 16/32/64-bit floats.
 * Photometrics whose samples are not colour values (YCbCr other than JPEG,
 * CIE L*a*b*, LogL/LogLuv) and old-style JPEG go through libtiff's
 * TIFFRGBAImage and give 8-bit R, G, B (and A) instead; the image says so
 * with "decoded": "rgba8".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tiffio.h>

#include "prov.h"
#include "raster.h"
#include "banned.h"

#define MAX_PAGES 4096
#define MAX_ALLOC (512u << 20)
/* Up to 64 samples per pixel: the pixel limit alone would let a page ask for
 * 64 planes of max_pixels each.  16 bytes is RGBA float. */
#define MAX_BYTES_PER_PIXEL 16u

struct tiff_ctx {
	const struct prov_blob *blob;
	toff_t pos;
	char msg[200];
	unsigned nerr;
};

static int
tiff_bid(const unsigned char *h, size_t len)
{
	if (len < 4)
		return 0;
	if ((h[0] == 'I' && h[1] == 'I' && (h[2] == 42 || h[2] == 43) && h[3] == 0) ||
	    (h[0] == 'M' && h[1] == 'M' && h[2] == 0 && (h[3] == 42 || h[3] == 43)))
		return 50;
	return 0;
}

static tmsize_t
mem_read(thandle_t h, void *buf, tmsize_t n)
{
	struct tiff_ctx *c = h;
	size_t left = c->pos < c->blob->len ? c->blob->len - (size_t)c->pos : 0;

	if (n < 0)
		return -1;
	if ((size_t)n > left)
		n = (tmsize_t)left;
	memcpy(buf, c->blob->data + c->pos, (size_t)n);
	c->pos += (toff_t)n;
	return n;
}

static tmsize_t
mem_write(thandle_t h, void *buf, tmsize_t n)
{
	(void)h;
	(void)buf;
	(void)n;
	return -1;
}

static toff_t
mem_seek(thandle_t h, toff_t off, int whence)
{
	struct tiff_ctx *c = h;
	toff_t base = whence == SEEK_CUR ? c->pos : whence == SEEK_END ? c->blob->len : 0;

	if (off > UINT64_MAX - base)
		return (toff_t)-1;
	c->pos = base + off;
	return c->pos;
}

static int
mem_close(thandle_t h)
{
	(void)h;
	return 0;
}

static toff_t
mem_size(thandle_t h)
{
	return ((struct tiff_ctx *)h)->blob->len;
}

static int
mem_map(thandle_t h, void **base, toff_t *size)
{
	struct tiff_ctx *c = h;

	*base = (void *)(uintptr_t)c->blob->data;	/* libtiff only reads it */
	*size = c->blob->len;
	return 1;
}

static void
mem_unmap(thandle_t h, void *base, toff_t size)
{
	(void)h;
	(void)base;
	(void)size;
}

static int
on_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
	struct tiff_ctx *c = user;

	(void)tif;
	(void)module;
	if (c->nerr++ == 0)
		vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	return 1;
}

static int
on_warning(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
	(void)tif;
	(void)user;
	(void)module;
	(void)fmt;
	(void)ap;
	return 1;
}

static const char *
compression_name(unsigned v)
{
	switch (v) {
	case COMPRESSION_NONE: return "none";
	case COMPRESSION_CCITTRLE: return "ccittrle";
	case COMPRESSION_CCITTFAX3: return "ccittfax3";
	case COMPRESSION_CCITTFAX4: return "ccittfax4";
	case COMPRESSION_LZW: return "lzw";
	case COMPRESSION_OJPEG: return "ojpeg";
	case COMPRESSION_JPEG: return "jpeg";
	case COMPRESSION_ADOBE_DEFLATE: return "deflate";
	case COMPRESSION_DEFLATE: return "deflate";	/* the old code, same stream */
	case COMPRESSION_PACKBITS: return "packbits";
	case COMPRESSION_THUNDERSCAN: return "thunderscan";
	case COMPRESSION_NEXT: return "next";
	case COMPRESSION_SGILOG: return "sgilog";
	case COMPRESSION_SGILOG24: return "sgilog24";
	case COMPRESSION_PIXARLOG: return "pixarlog";
	case COMPRESSION_LZMA: return "lzma";
	case COMPRESSION_ZSTD: return "zstd";
	case COMPRESSION_WEBP: return "webp";
	case COMPRESSION_JBIG: return "jbig";
	case COMPRESSION_LERC: return "lerc";
	}
	return "other";
}

static const char *
photometric_name(unsigned v)
{
	switch (v) {
	case PHOTOMETRIC_MINISWHITE: return "miniswhite";
	case PHOTOMETRIC_MINISBLACK: return "minisblack";
	case PHOTOMETRIC_RGB: return "rgb";
	case PHOTOMETRIC_PALETTE: return "palette";
	case PHOTOMETRIC_MASK: return "mask";
	case PHOTOMETRIC_SEPARATED: return "separated";
	case PHOTOMETRIC_YCBCR: return "ycbcr";
	case PHOTOMETRIC_CIELAB: return "cielab";
	case PHOTOMETRIC_ICCLAB: return "icclab";
	case PHOTOMETRIC_ITULAB: return "itulab";
	case PHOTOMETRIC_LOGL: return "logl";
	case PHOTOMETRIC_LOGLUV: return "logluv";
	}
	return "other";
}

/* One page being decoded. */
struct page {
	struct tiff_ctx *c;
	TIFF *tif;
	const struct prov_fp_opts *opts;
	struct prov_err *e;
	unsigned index;
	uint32_t w, h;
	uint16_t spp, bps, fmt, planar, photometric, compression, orientation;
	enum prov_sample type;
	int minwhite;			/* invert unsigned grey */
};

static int
page_err(struct page *p, const char *what)
{
	if (p->c->nerr > 0)
		return prov_seterr(p->e, PROV_FAILED, 0, "%s: TIFF page %u: %s: %s",
		    p->c->blob->name, p->index, what, p->c->msg);
	return prov_seterr(p->e, PROV_FAILED, 0, "%s: TIFF page %u: %s",
	    p->c->blob->name, p->index, what);
}

static int
sample_type(struct page *p)
{
	unsigned b = p->bps;

	if (b == 0 || b > 64)
		return -1;
	if (p->fmt == SAMPLEFORMAT_IEEEFP) {
		if (b == 16)
			p->type = PROV_SAMPLE_HALF;
		else if (b == 32)
			p->type = PROV_SAMPLE_F32;
		else if (b == 64)
			p->type = PROV_SAMPLE_F64;
		else
			return -1;
		return 0;
	}
	if (b == 64 && (p->fmt == SAMPLEFORMAT_UINT || p->fmt == SAMPLEFORMAT_VOID ||
	    p->fmt == SAMPLEFORMAT_INT)) {
		/* whole 64-bit words only (libtiff swaps them to host order) */
		p->type = p->fmt == SAMPLEFORMAT_INT ? PROV_SAMPLE_I64 : PROV_SAMPLE_U64;
		return 0;
	}
	if (b > 32)
		return -1;
	if (p->fmt == SAMPLEFORMAT_INT)
		p->type = b <= 8 ? PROV_SAMPLE_I8 : b <= 16 ? PROV_SAMPLE_I16 : PROV_SAMPLE_I32;
	else if (p->fmt == SAMPLEFORMAT_UINT || p->fmt == SAMPLEFORMAT_VOID)
		p->type = b <= 8 ? PROV_SAMPLE_U8 : b <= 16 ? PROV_SAMPLE_U16 : PROV_SAMPLE_U32;
	else
		return -1;
	return 0;
}

/* Stores value v (raw bits, or a whole sample when bps is a byte multiple)
 * of sample type t at index i. */
static inline void
put(void *dst, enum prov_sample t, size_t i, uint32_t v)
{
	switch (prov_sample_size(t)) {
	case 1: ((uint8_t *)dst)[i] = (uint8_t)v; break;
	case 2: ((uint16_t *)dst)[i] = (uint16_t)v; break;
	default: ((uint32_t *)dst)[i] = v; break;
	}
}

/*
 * Unpacks n pixels of spb interleaved samples from one row of a strip or
 * tile into channels ch[k0 .. k0+spb) at sample index at.  libtiff has
 * already put 16/24/32/64-bit samples in host order; narrower samples are
 * packed most significant bit first.
 */
static void
unpack(struct page *p, const unsigned char *src, uint32_t n, unsigned spb,
    struct prov_channel *ch, size_t at)
{
	unsigned bps = p->bps, k;
	uint32_t x;

	if (bps == 8) {
		for (k = 0; k < spb; k++) {
			uint8_t *d = (uint8_t *)ch[k].data + at;

			if (spb == 1)
				memcpy(d, src, n);
			else
				for (x = 0; x < n; x++)
					d[x] = src[(size_t)x * spb + k];
		}
	} else if (bps == 16 || bps == 32 || bps == 64) {
		size_t sz = bps / 8;

		for (k = 0; k < spb; k++) {
			unsigned char *d = (unsigned char *)ch[k].data + at * sz;
			const unsigned char *s = src + (size_t)k * sz;
			size_t step = (size_t)spb * sz;

			/* constant sizes, so that memcpy becomes a load and a store */
			if (spb == 1)
				memcpy(d, src, (size_t)n * sz);
			else if (sz == 2)
				for (x = 0; x < n; x++, s += step)
					memcpy(d + (size_t)x * 2, s, 2);
			else if (sz == 4)
				for (x = 0; x < n; x++, s += step)
					memcpy(d + (size_t)x * 4, s, 4);
			else
				for (x = 0; x < n; x++, s += step)
					memcpy(d + (size_t)x * 8, s, 8);
		}
	} else if (bps == 24) {
		for (x = 0; x < n; x++)
			for (k = 0; k < spb; k++) {
				const unsigned char *s = src + ((size_t)x * spb + k) * 3;
				uint32_t v = (uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16;

				if (p->fmt == SAMPLEFORMAT_INT && (v & 0x800000))
					v |= 0xff000000u;
				((uint32_t *)ch[k].data)[at + x] = v;
			}
	} else {
		uint64_t bit = 0;

		for (x = 0; x < n; x++)
			for (k = 0; k < spb; k++) {
				uint32_t v = 0;
				unsigned b;

				for (b = 0; b < bps; b++, bit++)
					v = v << 1 | ((src[bit >> 3] >> (7 - (bit & 7))) & 1);
				if (p->fmt == SAMPLEFORMAT_INT && (v >> (bps - 1)) & 1)
					v |= ~0u << bps;
				put(ch[k].data, p->type, at + x, v);
			}
	}
}

/* Reads every strip or tile of the page into img's first spp channels. */
static int
read_raw(struct page *p, struct prov_image *img)
{
	unsigned nplanes = p->planar == PLANARCONFIG_SEPARATE ? p->spp : 1;
	unsigned spb = p->planar == PLANARCONFIG_SEPARATE ? 1 : p->spp, pl;
	unsigned char *buf;
	uint32_t y, x, r;

	if (TIFFIsTiled(p->tif)) {
		uint32_t tw = 0, th = 0;
		uint64_t tsize = TIFFTileSize64(p->tif), rowsize = TIFFTileRowSize64(p->tif);

		TIFFGetField(p->tif, TIFFTAG_TILEWIDTH, &tw);
		TIFFGetField(p->tif, TIFFTAG_TILELENGTH, &th);
		if (tw == 0 || th == 0 || tsize == 0 || tsize > MAX_ALLOC ||
		    rowsize == 0 || rowsize * th > tsize ||
		    (uint64_t)tw * th > p->opts->limits.max_pixels)
			return page_err(p, "bad tile size");
		if (rowsize * 8 < (uint64_t)tw * spb * p->bps)
			return page_err(p, "bad tile row size");
		buf = prov_xmalloc((size_t)tsize);
		for (pl = 0; pl < nplanes; pl++)
			for (y = 0; y < p->h; y += th)
				for (x = 0; x < p->w; x += tw) {
					uint32_t t = TIFFComputeTile(p->tif, x, y, 0, (uint16_t)pl);
					uint32_t nx = tw < p->w - x ? tw : p->w - x;

					if (TIFFReadEncodedTile(p->tif, t, buf, (tmsize_t)tsize) < 0) {
						free(buf);
						return page_err(p, "cannot decode a tile");
					}
					for (r = 0; r < th && y + r < p->h; r++)
						unpack(p, buf + rowsize * r, nx, spb,
						    img->channels + pl, (size_t)(y + r) * p->w + x);
				}
	} else {
		uint32_t rps = 0;
		uint64_t ssize = TIFFStripSize64(p->tif), rowsize = TIFFScanlineSize64(p->tif);

		TIFFGetFieldDefaulted(p->tif, TIFFTAG_ROWSPERSTRIP, &rps);
		if (rps == 0 || rps > p->h)
			rps = p->h;
		if (ssize == 0 || ssize > MAX_ALLOC || rowsize == 0 ||
		    rowsize * 8 < (uint64_t)p->w * spb * p->bps)
			return page_err(p, "bad strip size");
		buf = prov_xmalloc((size_t)ssize);
		for (pl = 0; pl < nplanes; pl++)
			for (y = 0; y < p->h; y += rps) {
				uint32_t s = TIFFComputeStrip(p->tif, y, (uint16_t)pl);
				uint32_t rows = rps < p->h - y ? rps : p->h - y;
				tmsize_t got = TIFFReadEncodedStrip(p->tif, s, buf, (tmsize_t)ssize);

				if (got < 0 || (uint64_t)got < rowsize * rows) {
					free(buf);
					return page_err(p, "cannot decode a strip");
				}
				for (r = 0; r < rows; r++)
					unpack(p, buf + rowsize * r, p->w, spb,
					    img->channels + pl, (size_t)(y + r) * p->w);
			}
	}
	free(buf);
	if (p->c->nerr > 0)
		return page_err(p, "decoding");
	return PROV_OK;
}

/* Replaces the index channel 0 by R, G, B from the colour map. */
static int
expand_palette(struct page *p, struct prov_image *img)
{
	uint16_t *cm[3];
	size_t n = (size_t)p->w * p->h, i, entries = (size_t)1 << p->bps;
	static const char *const rgb[3] = { "R", "G", "B" };
	int wide = 0;
	unsigned k, base = img->nchannels;

	if (p->bps > 16 || p->fmt == SAMPLEFORMAT_IEEEFP ||
	    !TIFFGetField(p->tif, TIFFTAG_COLORMAP, &cm[0], &cm[1], &cm[2]))
		return page_err(p, "palette image without a usable colour map");
	for (k = 0; k < 3; k++)
		for (i = 0; i < entries; i++)
			if (cm[k][i] > 255)
				wide = 1;
	for (k = 0; k < 3; k++)
		if (prov_image_add_channel(img, rgb[k], PROV_SAMPLE_U8, 8, 1, 1,
		    &p->opts->limits, p->e) != PROV_OK)
			return PROV_FAILED;
	for (k = 0; k < 3; k++) {
		uint8_t *d = img->channels[base + k].data;

		for (i = 0; i < n; i++) {
			size_t v = img->channels[0].type == PROV_SAMPLE_U8
			    ? ((uint8_t *)img->channels[0].data)[i]
			    : ((uint16_t *)img->channels[0].data)[i];
			uint16_t c = v < entries ? cm[k][v] : 0;

			d[i] = (uint8_t)(wide ? c >> 8 : c);
		}
	}
	/* R, G, B first, then the extra samples, as for RGB images */
	{
		struct prov_channel *nc = prov_xcalloc(img->nchannels - 1, sizeof(*nc));

		for (k = 0; k < 3; k++)
			nc[k] = img->channels[base + k];
		for (k = 1; k < base; k++)
			nc[3 + k - 1] = img->channels[k];
		free(img->channels[0].name);
		free(img->channels[0].data);
		free(img->channels);
		img->channels = nc;
		img->nchannels--;
	}
	return PROV_OK;
}

static int
read_rgba(struct page *p, struct prov_image *img, json_t *obj)
{
	static const char *const names[4] = { "R", "G", "B", "A" };
	TIFFRGBAImage ri;
	char emsg[1024];
	uint32_t *raster;
	size_t n = (size_t)p->w * p->h, i;
	unsigned k, nch;
	int ok;

	if (!TIFFRGBAImageOK(p->tif, emsg) || !TIFFRGBAImageBegin(&ri, p->tif, 0, emsg)) {
		prov_seterr(p->e, PROV_FAILED, 0, "%s: TIFF page %u: %s", p->c->blob->name,
		    p->index, emsg);
		return PROV_FAILED;
	}
	ri.req_orientation = p->orientation;	/* keep the stored row order */
	raster = prov_xmalloc(n * sizeof(*raster));
	ok = TIFFRGBAImageGet(&ri, raster, p->w, p->h);
	nch = ri.alpha ? 4 : 3;
	TIFFRGBAImageEnd(&ri);
	if (!ok || p->c->nerr > 0) {
		free(raster);
		return page_err(p, "cannot decode");
	}
	for (k = 0; k < nch; k++) {
		uint8_t *d;

		if (prov_image_add_channel(img, names[k], PROV_SAMPLE_U8, 8, 1, 1,
		    &p->opts->limits, p->e) != PROV_OK) {
			free(raster);
			return PROV_FAILED;
		}
		d = img->channels[k].data;
		for (i = 0; i < n; i++)
			d[i] = (uint8_t)(raster[i] >> (8 * k));
	}
	free(raster);
	json_object_set_new(obj, "decoded", json_string("rgba8"));
	return PROV_OK;
}

static void
name_channels(struct page *p, char names[][32], unsigned *nbase)
{
	uint16_t nextra = 0, *extra = NULL, ink = INKSET_CMYK;
	unsigned k, base = 0, ex = 0;

	TIFFGetField(p->tif, TIFFTAG_EXTRASAMPLES, &nextra, &extra);
	switch (p->photometric) {
	case PHOTOMETRIC_RGB:
		snprintf(names[0], 32, "R");
		snprintf(names[1], 32, "G");
		snprintf(names[2], 32, "B");
		base = 3;
		break;
	case PHOTOMETRIC_SEPARATED:
		TIFFGetFieldDefaulted(p->tif, TIFFTAG_INKSET, &ink);
		if (ink == INKSET_CMYK && p->spp >= 4) {
			snprintf(names[0], 32, "cmyk.C");
			snprintf(names[1], 32, "cmyk.M");
			snprintf(names[2], 32, "cmyk.Y");
			snprintf(names[3], 32, "cmyk.K");
			base = 4;
		} else {
			uint16_t ninks = (uint16_t)(p->spp - nextra);

			for (k = 0; k < ninks && k < p->spp; k++)
				snprintf(names[k], 32, "ink%u", k + 1);
			base = k;
		}
		break;
	case PHOTOMETRIC_PALETTE:
		snprintf(names[0], 32, "index");
		base = 1;
		break;
	default:
		snprintf(names[0], 32, "Y");
		base = 1;
	}
	if (base > p->spp)
		base = p->spp;
	for (k = base; k < p->spp; k++, ex++) {
		uint16_t kind = extra != NULL && ex < nextra ? extra[ex] : EXTRASAMPLE_UNSPECIFIED;

		if ((kind == EXTRASAMPLE_ASSOCALPHA || kind == EXTRASAMPLE_UNASSALPHA) &&
		    ex == 0) {
			snprintf(names[k], 32, "A");
		} else {
			snprintf(names[k], 32, "extra%u", ex + 1);
		}
	}
	*nbase = base;
}

static const struct { uint32_t tag; const char *name; } ascii_tags[] = {
	{ TIFFTAG_ARTIST, "Artist" }, { TIFFTAG_HOSTCOMPUTER, "HostComputer" },
	{ TIFFTAG_SOFTWARE, "Software" }, { TIFFTAG_DATETIME, "DateTime" },
	{ TIFFTAG_DOCUMENTNAME, "DocumentName" },
	{ TIFFTAG_IMAGEDESCRIPTION, "ImageDescription" },
	{ TIFFTAG_COPYRIGHT, "Copyright" }, { TIFFTAG_MAKE, "Make" },
	{ TIFFTAG_MODEL, "Model" }, { TIFFTAG_PAGENAME, "PageName" },
};

static void
page_meta(struct page *p, json_t *meta)
{
	json_t *pm = json_object();
	const char *key;
	json_t *v;
	char *s;
	void *xmp;
	uint32_t xlen = 0;
	uint64_t exif = 0;
	size_t k;

	for (k = 0; k < sizeof(ascii_tags) / sizeof(ascii_tags[0]); k++)
		if (TIFFGetField(p->tif, ascii_tags[k].tag, &s) && s != NULL)
			prov_raster_meta_text(pm, ascii_tags[k].name, s, strnlen(s, 65536));
	if (TIFFGetField(p->tif, TIFFTAG_XMLPACKET, &xlen, &xmp) && xmp != NULL)
		prov_raster_meta_text(pm, "XMP", xmp, xlen < 65536 ? xlen : 65536);
	if (TIFFGetField(p->tif, TIFFTAG_EXIFIFD, &exif) && exif != 0 &&
	    TIFFReadEXIFDirectory(p->tif, exif)) {
		static const struct { uint32_t tag; const char *name; } et[] = {
			{ EXIFTAG_DATETIMEORIGINAL, "DateTimeOriginal" },
			{ EXIFTAG_OFFSETTIME, "OffsetTime" },
			{ EXIFTAG_OFFSETTIMEORIGINAL, "OffsetTimeOriginal" },
		};

		for (k = 0; k < sizeof(et) / sizeof(et[0]); k++)
			if (TIFFGetField(p->tif, et[k].tag, &s) && s != NULL)
				prov_raster_meta_text(pm, et[k].name, s, strnlen(s, 256));
		TIFFSetDirectory(p->tif, (tdir_t)p->index);
	}
	json_object_foreach(pm, key, v) {
		if (p->index == 0) {
			json_object_set(meta, key, v);
		} else {
			json_t *first = json_object_get(meta, key);

			if (!json_equal(first, v)) {
				char name[96];

				snprintf(name, sizeof(name), "page%u.%s", p->index, key);
				json_object_set(meta, name, v);
			}
		}
	}
	json_decref(pm);
}

static int
decode_page(struct page *p, json_t *obj, json_t *meta)
{
	struct prov_image img;
	char names[64][32];
	unsigned nbase = 0, k;
	int rc = PROV_OK, raw;
	uint16_t jpegcolor = 0;

	prov_image_init(&img);
	TIFFGetField(p->tif, TIFFTAG_IMAGEWIDTH, &p->w);
	TIFFGetField(p->tif, TIFFTAG_IMAGELENGTH, &p->h);
	TIFFGetFieldDefaulted(p->tif, TIFFTAG_SAMPLESPERPIXEL, &p->spp);
	TIFFGetFieldDefaulted(p->tif, TIFFTAG_BITSPERSAMPLE, &p->bps);
	TIFFGetFieldDefaulted(p->tif, TIFFTAG_SAMPLEFORMAT, &p->fmt);
	TIFFGetFieldDefaulted(p->tif, TIFFTAG_PLANARCONFIG, &p->planar);
	TIFFGetFieldDefaulted(p->tif, TIFFTAG_COMPRESSION, &p->compression);
	TIFFGetFieldDefaulted(p->tif, TIFFTAG_ORIENTATION, &p->orientation);
	if (!TIFFGetField(p->tif, TIFFTAG_PHOTOMETRIC, &p->photometric))
		p->photometric = p->spp >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;
	page_meta(p, meta);
	json_object_set_new(obj, "page", json_integer(p->index));
	json_object_set_new(obj, "compression", json_string(compression_name(p->compression)));
	json_object_set_new(obj, "photometric", json_string(photometric_name(p->photometric)));
	json_object_set_new(obj, "planar", json_string(p->planar == PLANARCONFIG_SEPARATE
	    ? "separate" : "contig"));
	json_object_set_new(obj, "tiled", json_boolean(TIFFIsTiled(p->tif)));
	json_object_set_new(obj, "bits_per_sample", json_integer(p->bps));
	if (p->w == 0 || p->h == 0)
		return page_err(p, "image has no pixels");
	if ((uint64_t)p->w * p->h > p->opts->limits.max_pixels)
		return prov_seterr(p->e, PROV_FAILED, 0,
		    "%s: TIFF page %u: %ux%u image exceeds the limit of %llu pixels (--max-pixels)",
		    p->c->blob->name, p->index, p->w, p->h,
		    (unsigned long long)p->opts->limits.max_pixels);
	if (p->spp == 0 || p->spp > 64)
		return page_err(p, "bad samples per pixel");
	img.width = p->w;
	img.height = p->h;
	img.data_window[2] = img.display_window[2] = (int32_t)(p->w - 1);
	img.data_window[3] = img.display_window[3] = (int32_t)(p->h - 1);
	img.orientation = p->orientation >= 1 && p->orientation <= 8 ? p->orientation : 1;

	if (p->photometric == PHOTOMETRIC_YCBCR && p->compression == COMPRESSION_JPEG &&
	    p->planar == PLANARCONFIG_CONTIG && p->bps == 8) {
		TIFFSetField(p->tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
		TIFFGetField(p->tif, TIFFTAG_JPEGCOLORMODE, &jpegcolor);
		p->photometric = PHOTOMETRIC_RGB;
	}
	raw = (p->photometric == PHOTOMETRIC_MINISBLACK || p->photometric == PHOTOMETRIC_MINISWHITE ||
	    p->photometric == PHOTOMETRIC_RGB || p->photometric == PHOTOMETRIC_PALETTE ||
	    p->photometric == PHOTOMETRIC_SEPARATED || p->photometric == PHOTOMETRIC_MASK) &&
	    p->compression != COMPRESSION_OJPEG && sample_type(p) == 0;
	if (raw && (uint64_t)p->w * p->h * p->spp * prov_sample_size(p->type) /
	    MAX_BYTES_PER_PIXEL > p->opts->limits.max_pixels)
		return prov_seterr(p->e, PROV_FAILED, 0,
		    "%s: TIFF page %u: %ux%u image of %u %u-bit samples per pixel exceeds "
		    "the limit of %llu pixels of %u bytes (--max-pixels)",
		    p->c->blob->name, p->index, p->w, p->h, p->spp, p->bps,
		    (unsigned long long)p->opts->limits.max_pixels, MAX_BYTES_PER_PIXEL);
	if (!raw) {
		rc = read_rgba(p, &img, obj);
	} else {
		name_channels(p, names, &nbase);
		for (k = 0; k < p->spp && rc == PROV_OK; k++)
			rc = prov_image_add_channel(&img, names[k], p->type,
			    p->fmt == SAMPLEFORMAT_IEEEFP ? 0 : p->bps, 1, 1,
			    &p->opts->limits, p->e);
		if (rc == PROV_OK)
			rc = read_raw(p, &img);
		if (rc == PROV_OK && p->photometric == PHOTOMETRIC_MINISWHITE &&
		    (p->type == PROV_SAMPLE_U8 || p->type == PROV_SAMPLE_U16 ||
		    p->type == PROV_SAMPLE_U32)) {
			size_t n = (size_t)p->w * p->h, i;
			uint32_t max = p->bps >= 32 ? 0xffffffffu : (1u << p->bps) - 1;

			for (i = 0; i < n; i++) {
				uint32_t v = p->type == PROV_SAMPLE_U8 ? ((uint8_t *)img.channels[0].data)[i]
				    : p->type == PROV_SAMPLE_U16 ? ((uint16_t *)img.channels[0].data)[i]
				    : ((uint32_t *)img.channels[0].data)[i];
				put(img.channels[0].data, p->type, i, max - v);
			}
		}
		if (rc == PROV_OK && p->photometric == PHOTOMETRIC_MINISWHITE &&
		    p->type == PROV_SAMPLE_U64) {
			size_t n = (size_t)p->w * p->h, i;
			uint64_t *d = img.channels[0].data;

			for (i = 0; i < n; i++)
				d[i] = UINT64_MAX - d[i];
		}
		if (rc == PROV_OK && p->photometric == PHOTOMETRIC_PALETTE)
			rc = expand_palette(p, &img);
		for (k = 0; k < img.nchannels; k++)
			if (strcmp(img.channels[k].name, "A") == 0 && p->photometric != PHOTOMETRIC_PALETTE) {
				uint16_t nextra = 0, *extra = NULL;

				TIFFGetField(p->tif, TIFFTAG_EXTRASAMPLES, &nextra, &extra);
				img.premultiplied = nextra > 0 && extra[0] == EXTRASAMPLE_ASSOCALPHA;
			}
	}
	if (rc == PROV_OK && p->opts->images)
		rc = prov_image_fingerprint(&img, p->opts, obj, p->e);
	prov_image_release(&img);
	return rc;
}

static int
tiff_fingerprint(const struct prov_blob *blob, const struct prov_fp_opts *opts,
    struct prov_record *rec, struct prov_err *e)
{
	struct tiff_ctx c;
	TIFFOpenOptions *to;
	TIFF *tif;
	json_t *meta = json_object();
	unsigned index = 0;
	int rc = PROV_OK;

	memset(&c, 0, sizeof(c));
	c.blob = blob;
	if ((to = TIFFOpenOptionsAlloc()) == NULL)
		return prov_seterr(e, PROV_FATAL, 0, "%s: TIFF: cannot allocate", blob->name);
	TIFFOpenOptionsSetMaxSingleMemAlloc(to, MAX_ALLOC);
	TIFFOpenOptionsSetErrorHandlerExtR(to, on_error, &c);
	TIFFOpenOptionsSetWarningHandlerExtR(to, on_warning, &c);
	tif = TIFFClientOpenExt(blob->name, "r", &c, mem_read, mem_write, mem_seek,
	    mem_close, mem_size, mem_map, mem_unmap, to);
	TIFFOpenOptionsFree(to);
	if (tif == NULL) {
		json_decref(meta);
		return prov_seterr(e, PROV_FAILED, 0, "%s: TIFF: %s", blob->name,
		    c.nerr ? c.msg : "cannot open");
	}
	json_object_set_new(rec->fields, "meta", meta);
	do {
		struct page p;
		json_t *obj = json_object();

		/* errors libtiff tolerated while reading the directory (unknown
		 * or unsorted tags) are not decoding errors */
		c.nerr = 0;
		c.msg[0] = 0;
		memset(&p, 0, sizeof(p));
		p.c = &c;
		p.tif = tif;
		p.opts = opts;
		p.e = e;
		p.index = index;
		rc = decode_page(&p, obj, meta);
		if (rc == PROV_OK && opts->images)
			prov_record_add_image(rec, obj);
		else
			json_decref(obj);
		index++;
	} while (rc == PROV_OK && index < MAX_PAGES && TIFFReadDirectory(tif));
	if (rc == PROV_OK && c.nerr > 0 && index < MAX_PAGES)
		rc = prov_seterr(e, PROV_FAILED, 0, "%s: TIFF: after page %u: %s",
		    blob->name, index - 1, c.msg);
	json_object_set_new(rec->fields, "pages", json_integer(index));
	TIFFClose(tif);
	if (json_object_size(meta) == 0)
		json_object_del(rec->fields, "meta");
	return rc;
}

const struct prov_format prov_format_tiff = { "tiff", tiff_bid, tiff_fingerprint };
