/* t_pixels.c: the pixel hash depends on pixels and layout, not on order. */
#include "test.h"

static void
make_rgb(struct prov_image *img, int swap)
{
	static const char *const rgb[] = { "R", "G", "B" };
	struct prov_limits lim;
	unsigned c, i;

	prov_limits_default(&lim);
	prov_image_init(img);
	img->width = 4;
	img->height = 2;
	img->data_window[2] = 3;
	img->data_window[3] = 1;
	for (c = 0; c < 3; c++) {
		unsigned k = swap ? 2 - c : c;
		prov_image_add_channel(img, rgb[k], PROV_SAMPLE_U16, 0, 1, 1, &lim, NULL);
		for (i = 0; i < 8; i++)
			((uint16_t *)img->channels[c].data)[i] = (uint16_t)(k * 1000 + i);
	}
}

DEFINE_TEST(test_pixels_hash_ignores_channel_storage_order)
{
	struct prov_image a, b;
	unsigned char ha[32], hb[32];
	char text[68];

	make_rgb(&a, 0);
	make_rgb(&b, 1);
	assert_ok(prov_pixels_hash(&a, ha, NULL));
	assert_ok(prov_pixels_hash(&b, hb, NULL));
	assert_eq_mem(ha, hb, 32);
	prov_pixels_format(ha, text);
	assert_eq_int(strlen(text), 67);
	assert_eq_mem(text, "v1:", 3);
	/* one sample changes the hash */
	((uint16_t *)b.channels[1].data)[5] ^= 1;
	assert_ok(prov_pixels_hash(&b, hb, NULL));
	assert_true(memcmp(ha, hb, 32) != 0);
	/* the same samples under another data window are another image */
	((uint16_t *)b.channels[1].data)[5] ^= 1;
	b.data_window[0] = 1;
	assert_ok(prov_pixels_hash(&b, hb, NULL));
	assert_true(memcmp(ha, hb, 32) != 0);
	prov_image_release(&a);
	prov_image_release(&b);
}

DEFINE_TEST(test_image_fingerprint_describes_and_records)
{
	struct prov_image img;
	struct prov_record rec;
	json_t *o = json_object();

	make_rgb(&img, 0);
	prov_record_init(&rec);
	assert_ok(prov_image_fingerprint(&img, NULL, o, NULL));
	assert_eq_int(json_integer_value(json_object_get(o, "width")), 4);
	assert_eq_str(json_string_value(json_object_get(json_array_get(
	    json_object_get(o, "channels"), 0), "type")), "u16");
	prov_record_add_image(&rec, o);
	assert_true(json_equal(json_object_get(rec.fields, "pixels"), json_object_get(o, "pixels")));
	assert_eq_int(json_integer_value(json_object_get(o, "index")), 0);
	prov_record_release(&rec);
	prov_image_release(&img);
}
