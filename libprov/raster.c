/*
 * raster.c: text and EXIF helpers of the PNG, TIFF and JPEG modules.
 */
#include <stdio.h>
#include <string.h>

#include "prov.h"
#include "raster.h"
#include "banned.h"

static void
meta_put(json_t *meta, const char *key, const char *utf8, size_t len)
{
	json_t *old = json_object_get(meta, key);

	if (len == 0)
		return;
	if (json_is_string(old)) {
		struct prov_buf b = PROV_BUF_INIT;
		const char *o = json_string_value(old);

		if (strlen(o) == len && memcmp(o, utf8, len) == 0)
			return;
		prov_buf_addstr(&b, o);
		prov_buf_addch(&b, '\n');
		prov_buf_add(&b, utf8, len);
		json_object_set_new(meta, key, json_stringn(b.buf, b.len));
		prov_buf_release(&b);
		return;
	}
	json_object_set_new(meta, key, json_stringn(utf8, len));
}

static size_t
trimmed(const char *s, size_t len)
{
	const char *nul = memchr(s, 0, len);

	if (nul != NULL)
		len = (size_t)(nul - s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
	    s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	return len;
}

void
prov_raster_meta_latin1(json_t *meta, const char *key, const char *s, size_t len)
{
	struct prov_buf b = PROV_BUF_INIT;
	size_t i;

	len = trimmed(s, len);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x80) {
			prov_buf_addch(&b, c);
		} else {
			prov_buf_addch(&b, 0xc0 | (c >> 6));
			prov_buf_addch(&b, 0x80 | (c & 0x3f));
		}
	}
	meta_put(meta, key, b.buf, b.len);
	prov_buf_release(&b);
}

void
prov_raster_meta_text(json_t *meta, const char *key, const char *s, size_t len)
{
	len = trimmed(s, len);
	if (prov_utf8_valid(s, len))
		meta_put(meta, key, s, len);
	else
		prov_raster_meta_latin1(meta, key, s, len);
}

/* ------------------------------------------------------------------ EXIF */

struct exif {
	const unsigned char *p;
	size_t len;
	int be;
};

static uint32_t
rd16(const struct exif *x, size_t off)
{
	const unsigned char *q = x->p + off;

	return x->be ? (uint32_t)(q[0] << 8 | q[1]) : (uint32_t)(q[1] << 8 | q[0]);
}

static uint32_t
rd32(const struct exif *x, size_t off)
{
	const unsigned char *q = x->p + off;

	return x->be ? (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3]
	    : (uint32_t)q[3] << 24 | (uint32_t)q[2] << 16 | (uint32_t)q[1] << 8 | q[0];
}

struct exif_tag {
	int ifd;		/* 0 IFD0, 1 EXIF, 2 GPS */
	uint32_t tag;
	const char *name;
};

static const struct exif_tag exif_tags[] = {
	{ 0, 0x010e, "ImageDescription" }, { 0, 0x010f, "Make" },
	{ 0, 0x0110, "Model" }, { 0, 0x0131, "Software" },
	{ 0, 0x0132, "DateTime" }, { 0, 0x013b, "Artist" },
	{ 0, 0x013c, "HostComputer" }, { 0, 0x8298, "Copyright" },
	{ 1, 0x9003, "DateTimeOriginal" }, { 1, 0x9004, "DateTimeDigitized" },
	{ 1, 0x9010, "OffsetTime" }, { 1, 0x9011, "OffsetTimeOriginal" },
	{ 1, 0xa430, "CameraOwnerName" }, { 1, 0xa431, "BodySerialNumber" },
	{ 1, 0xa420, "ImageUniqueID" },
};

/* The value of entry e (12 bytes at off): its bytes, or NULL when out of
 * bounds. */
static const unsigned char *
entry_value(const struct exif *x, size_t off, size_t size, size_t *n)
{
	uint32_t count = rd32(x, off + 4);
	size_t bytes;
	uint32_t where;

	if (count > x->len || size == 0 || count > x->len / size)
		return NULL;
	bytes = (size_t)count * size;
	*n = count;
	if (bytes <= 4)
		return x->p + off + 8;
	where = rd32(x, off + 8);
	if (where > x->len || bytes > x->len - where)
		return NULL;
	return x->p + where;
}

static void
gps_coord(const struct exif *x, size_t off, const char *ref, json_t *meta,
    const char *key)
{
	const unsigned char *v;
	char text[96];
	double part[3];
	size_t n = 0, i;

	v = entry_value(x, off, 8, &n);
	if (v == NULL || n != 3 || rd16(x, off + 2) != 5)
		return;
	for (i = 0; i < 3; i++) {
		struct exif sub = *x;
		uint32_t num, den;

		sub.p = v + 8 * i;
		sub.len = 8;
		num = rd32(&sub, 0);
		den = rd32(&sub, 4);
		part[i] = den ? (double)num / den : 0;
	}
	snprintf(text, sizeof(text), "%g %g %g%s%s", part[0], part[1], part[2],
	    ref[0] ? " " : "", ref);
	json_object_set_new(meta, key, json_string(text));
}

static int
read_ifd(const struct exif *x, uint32_t at, int which, json_t *meta, uint32_t sub[2])
{
	char ref[2][2] = { "", "" };
	size_t gps_off[2] = { 0, 0 };
	uint32_t n, i;
	int orientation = 0;

	if (at < 8 || at > x->len || x->len - at < 2)
		return 0;
	n = rd16(x, at);
	if (n > 512 || (x->len - at - 2) / 12 < n)
		return 0;
	for (i = 0; i < n; i++) {
		size_t off = at + 2 + (size_t)i * 12;
		uint32_t tag = rd16(x, off), type = rd16(x, off + 2);
		const unsigned char *v;
		size_t cnt = 0, k;

		if (which == 0 && tag == 0x0112 && type == 3)
			orientation = (int)rd16(x, off + 8);
		if (which == 0 && (tag == 0x8769 || tag == 0x8825) && (type == 4 || type == 13))
			sub[tag == 0x8769 ? 0 : 1] = rd32(x, off + 8);
		if (which == 2) {
			if ((tag == 1 || tag == 3) && type == 2 && rd32(x, off + 4) <= 4) {
				ref[tag == 3][0] = (char)x->p[off + 8];
				ref[tag == 3][1] = 0;
				if ((unsigned char)ref[tag == 3][0] < 0x20 || (unsigned char)ref[tag == 3][0] > 0x7e)
					ref[tag == 3][0] = 0;
			}
			if (tag == 2 || tag == 4)
				gps_off[tag == 4] = off;
			continue;
		}
		if (type != 2 && type != 7)
			continue;
		for (k = 0; k < sizeof(exif_tags) / sizeof(exif_tags[0]); k++) {
			if (exif_tags[k].ifd != which || exif_tags[k].tag != tag)
				continue;
			if ((v = entry_value(x, off, 1, &cnt)) != NULL)
				prov_raster_meta_text(meta, exif_tags[k].name,
				    (const char *)v, cnt);
		}
	}
	if (gps_off[0])
		gps_coord(x, gps_off[0], ref[0], meta, "GPSLatitude");
	if (gps_off[1])
		gps_coord(x, gps_off[1], ref[1], meta, "GPSLongitude");
	return orientation;
}

int
prov_exif_meta(const unsigned char *p, size_t len, json_t *meta)
{
	struct exif x;
	uint32_t sub[2] = { 0, 0 };
	int orientation;

	if (len >= 6 && memcmp(p, "Exif\0\0", 6) == 0) {
		p += 6;
		len -= 6;
	}
	if (len < 8 || len > UINT32_MAX)
		return 0;
	if (memcmp(p, "II*\0", 4) == 0)
		x.be = 0;
	else if (memcmp(p, "MM\0*", 4) == 0)
		x.be = 1;
	else
		return 0;
	x.p = p;
	x.len = len;
	orientation = read_ifd(&x, rd32(&x, 4), 0, meta, sub);
	if (sub[0])
		read_ifd(&x, sub[0], 1, meta, sub);
	if (sub[1])
		read_ifd(&x, sub[1], 2, meta, sub);
	return orientation >= 1 && orientation <= 8 ? orientation : 0;
}
