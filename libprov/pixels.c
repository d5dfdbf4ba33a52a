/*
 * pixels.c: the pixel hash (schemas/pixels-v1.md) and the description of a
 * decoded image in a record.
 *
 * Samples are hashed straight from the planar channel buffers: v1 fixes
 * little-endian sample order, which is the native order here, so no copy is
 * made on the hot path.
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "prov.h"
#include "pixels.h"
#include "thumb.h"
#include "banned.h"

#if __BYTE_ORDER != __LITTLE_ENDIAN
#error "pixels v1 hashes native buffers as little-endian; add a swap for this host"
#endif

static const char pixels_v1_magic[] = "prov-pixels-v1";	/* hashed with its NUL */

/* The type codes written in the serialisation; never renumber. */
static unsigned char
type_code(enum prov_sample t)
{
	switch (t) {
	case PROV_SAMPLE_U8: return 1;
	case PROV_SAMPLE_U16: return 2;
	case PROV_SAMPLE_U32: return 3;
	case PROV_SAMPLE_I8: return 4;
	case PROV_SAMPLE_I16: return 5;
	case PROV_SAMPLE_I32: return 6;
	case PROV_SAMPLE_HALF: return 7;
	case PROV_SAMPLE_F32: return 8;
	case PROV_SAMPLE_F64: return 9;
	case PROV_SAMPLE_U64: return 10;
	case PROV_SAMPLE_I64: return 11;
	}
	return 0;
}

const char *
prov_sample_name(enum prov_sample t)
{
	static const char *const names[] = { "u8", "u16", "u32", "i8", "i16",
	    "i32", "half", "float", "double", "u64", "i64" };

	return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "unknown";
}

static void
put_be32(struct prov_sha256 *h, uint32_t v)
{
	unsigned char b[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
	    (unsigned char)(v >> 8), (unsigned char)v };

	prov_sha256_update(h, b, 4);
}

static int
by_name(const void *a, const void *b)
{
	const struct prov_channel *x = *(const struct prov_channel *const *)a;
	const struct prov_channel *y = *(const struct prov_channel *const *)b;

	return strcmp(x->name, y->name);
}

int
prov_pixels_hash(const struct prov_image *img, unsigned char out[PROV_SHA256_LEN],
    struct prov_err *e)
{
	const struct prov_channel **order;
	struct prov_sha256 h;
	unsigned c, i;

	if (img->nchannels == 0 || img->width == 0 || img->height == 0)
		return prov_seterr(e, PROV_FAILED, 0, "image has no pixels to hash");
	if (prov_sha256_init(&h, e) != PROV_OK)
		return PROV_FATAL;
	order = prov_xmalloc(img->nchannels * sizeof(*order));
	for (c = 0; c < img->nchannels; c++)
		order[c] = &img->channels[c];
	qsort(order, img->nchannels, sizeof(*order), by_name);

	prov_sha256_update(&h, pixels_v1_magic, sizeof(pixels_v1_magic));
	put_be32(&h, img->width);
	put_be32(&h, img->height);
	for (i = 0; i < 4; i++)
		put_be32(&h, (uint32_t)img->data_window[i]);
	put_be32(&h, img->nchannels);
	for (c = 0; c < img->nchannels; c++) {
		unsigned char desc[2] = { type_code(order[c]->type),
		    (unsigned char)order[c]->bits };
		prov_sha256_update(&h, order[c]->name, strlen(order[c]->name) + 1);
		prov_sha256_update(&h, desc, 2);
		put_be32(&h, (uint32_t)order[c]->x_sampling);
		put_be32(&h, (uint32_t)order[c]->y_sampling);
	}
	for (c = 0; c < img->nchannels; c++) {
		unsigned idx = (unsigned)(order[c] - img->channels);
		prov_sha256_update(&h, order[c]->data,
		    prov_channel_samples(img, idx) * prov_sample_size(order[c]->type));
	}
	prov_sha256_final(&h, out);
	prov_sha256_release(&h);
	free(order);
	return PROV_OK;
}

void
prov_pixels_format(const unsigned char hash[PROV_SHA256_LEN], char out[68])
{
	memcpy(out, "v1:", 3);
	prov_hex(hash, PROV_SHA256_LEN, out + 3);
}

static json_t *
window(const int32_t w[4])
{
	return json_pack("[iiii]", (json_int_t)w[0], (json_int_t)w[1],
	    (json_int_t)w[2], (json_int_t)w[3]);
}

static json_t *
pdq_json(const struct prov_pdq *h)
{
	char hex[PROV_PDQ_HEX + 1];

	prov_pdq_format(h, hex);
	return json_pack("{s:s,s:i}", "hash", hex, "quality", h->quality);
}

/* "pdq" and, when the image has uniform borders, "pdq_trimmed" (with the
 * region hashed, "box") of the colour of layer (NULL: the unprefixed
 * channels); see pixels.h. */
int
prov_image_pdq_add(const struct prov_image *img, const char *layer, json_t *obj,
    struct prov_err *e)
{
	struct prov_pdq h, t;
	struct prov_err pe = { 0 };
	uint32_t box[4];
	json_t *o;
	int rc;

	rc = prov_pdq_image(img, layer, &h, &t, box, &pe);
	if (rc != PROV_OK) {
		if (rc != PROV_WARN && e != NULL)
			*e = pe;
		return rc;
	}
	json_object_set_new(obj, "pdq", pdq_json(&h));
	if (t.quality >= 0) {
		o = pdq_json(&t);
		json_object_set_new(o, "box", json_pack("[IIII]", (json_int_t)box[0],
		    (json_int_t)box[1], (json_int_t)box[2], (json_int_t)box[3]));
		json_object_set_new(obj, "pdq_trimmed", o);
	}
	return PROV_OK;
}

int
prov_image_fingerprint(const struct prov_image *img, const struct prov_fp_opts *opts,
    json_t *obj, struct prov_err *e)
{
	unsigned char hash[PROV_SHA256_LEN];
	char text[68];
	json_t *chans = json_array();
	unsigned c;
	int rc;

	thumb_observe(img);
	json_object_set_new(obj, "width", json_integer(img->width));
	json_object_set_new(obj, "height", json_integer(img->height));
	for (c = 0; c < img->nchannels; c++) {
		const struct prov_channel *ch = &img->channels[c];
		json_t *o = json_pack("{s:s,s:s}", "name", "", "type",
		    prov_sample_name(ch->type));
		/* Channel names come from the file: may be any bytes. */
		prov_json_set_name(o, "name", ch->name, strlen(ch->name));
		if (ch->bits != prov_sample_size(ch->type) * 8)
			json_object_set_new(o, "bits", json_integer(ch->bits));
		if (ch->x_sampling != 1 || ch->y_sampling != 1)
			json_object_set_new(o, "sampling", json_pack("[ii]",
			    ch->x_sampling, ch->y_sampling));
		json_array_append_new(chans, o);
	}
	json_object_set_new(obj, "channels", chans);
	json_object_set_new(obj, "data_window", window(img->data_window));
	json_object_set_new(obj, "display_window", window(img->display_window));
	if (img->orientation != 1)
		json_object_set_new(obj, "orientation", json_integer(img->orientation));
	if ((rc = prov_pixels_hash(img, hash, e)) != PROV_OK)
		return rc;
	prov_pixels_format(hash, text);
	json_object_set_new(obj, "pixels", json_string(text));
	/* An image without colour or luminance channels has no "pdq". */
	if (opts != NULL && opts->pdq &&
	    (rc = prov_image_pdq_add(img, NULL, obj, e)) != PROV_WARN)
		return rc;
	return PROV_OK;
}

void
prov_record_add_image(struct prov_record *rec, json_t *obj)
{
	json_t *images = json_object_get(rec->fields, "images");
	json_t *v;

	if (images == NULL) {
		images = json_array();
		json_object_set_new(rec->fields, "images", images);
	}
	json_object_set_new(obj, "index", json_integer((json_int_t)json_array_size(images)));
	if (json_array_size(images) == 0) {
		if ((v = json_object_get(obj, "pixels")) != NULL)
			json_object_set(rec->fields, "pixels", v);
		if ((v = json_object_get(obj, "pdq")) != NULL)
			json_object_set(rec->fields, "pdq", v);
	}
	json_array_append_new(images, obj);
}
