/* t_core.c: errors, buffers, hashing, escaping, names in JSON, images. */
#include <stdlib.h>

#include "test.h"

DEFINE_TEST(test_seterr_formats_and_returns_code)
{
	struct prov_err e;

	assert_eq_int(prov_seterr(&e, PROV_FAILED, 2, "%s: bad %d", "x.png", 7), PROV_FAILED);
	assert_eq_str(e.msg, "x.png: bad 7");
	assert_eq_int(e.sys_errno, 2);
	assert_eq_int(prov_seterr(NULL, PROV_FATAL, 0, "ignored"), PROV_FATAL);
	assert_eq_str(prov_strstatus(PROV_WARN), "warning");
}

DEFINE_TEST(test_buf_grows_keeps_nul_and_detaches)
{
	struct prov_buf b = PROV_BUF_INIT;
	size_t len, i;
	char *p;

	assert_eq_str(b.buf, "");
	for (i = 0; i < 1000; i++)
		prov_buf_addf(&b, "%zu,", i % 10);
	assert_eq_int(b.len, 2000);
	assert_eq_int(b.buf[b.len], '\0');
	prov_buf_add(&b, "a\0b", 3);
	assert_eq_int(b.len, 2003);
	p = prov_buf_detach(&b, &len);
	assert_eq_int(len, 2003);
	assert_eq_str(b.buf, "");
	assert_eq_mem(p, "0,1,2,", 6);
	free(p);
	p = prov_buf_detach(&b, NULL);	/* an empty buffer detaches to a malloc'd "" */
	assert_eq_str(p, "");
	free(p);
}

DEFINE_TEST(test_sha256_known_answers)
{
	unsigned char d[32];
	char hex[65];
	struct prov_sha256 h;

	assert_ok(prov_sha256("abc", 3, d));
	prov_hex(d, 32, hex);
	assert_eq_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_ok(prov_sha256_init(&h, NULL));
	prov_sha256_update(&h, "a", 1);
	prov_sha256_update(&h, "bc", 2);
	prov_sha256_final(&h, d);
	prov_hex(d, 32, hex);
	assert_eq_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* final leaves the state ready for the next message */
	prov_sha256_final(&h, d);
	prov_hex(d, 32, hex);
	assert_eq_str(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	prov_sha256_release(&h);
	assert_eq_int(prov_unhex("e3b0c4", d, 3), 0);
	assert_eq_int(d[0], 0xe3);
	assert_eq_int(prov_unhex("e3b0c", d, 3), -1);
	assert_eq_int(prov_unhex("zz", d, 1), -1);
}

DEFINE_TEST(test_escape_controls_and_backslash)
{
	struct prov_buf b = PROV_BUF_INIT;

	assert_eq_int(prov_escape(&b, "plain/\xea\xb0\x80.exr", 13), 0);
	assert_eq_str(b.buf, "plain/\xea\xb0\x80.exr");
	prov_buf_reset(&b);
	assert_eq_int(prov_escape(&b, "a\\b\nc\rd\x1b[2J\x7f", 12), 1);
	assert_eq_str(b.buf, "a\\\\b\\nc\\rd\\x1b[2J\\x7f");
	prov_buf_release(&b);
}

DEFINE_TEST(test_json_name_is_lossless)
{
	json_t *o = json_object();
	/* "sh" then CP949 bytes for a Hangul syllable: not UTF-8 */
	const char cp949[] = "sh\xb0\xa1.exr";
	char *s;

	prov_json_set_name(o, "path", "ok/\xe6\x97\xa5.exr", 10);
	assert_eq_str(json_string_value(json_object_get(o, "path")), "ok/\xe6\x97\xa5.exr");
	assert_true(json_object_get(o, "path_bytes") == NULL);
	prov_json_set_name(o, "name", cp949, sizeof(cp949) - 1);
	assert_eq_str(json_string_value(json_object_get(o, "name")),
	    "sh\xef\xbf\xbd\xef\xbf\xbd.exr");
	assert_eq_str(json_string_value(json_object_get(o, "name_bytes")), "7368b0a12e657872");
	s = json_dumps(o, JSON_COMPACT);
	assert_true(s != NULL);
	free(s);
	json_decref(o);
	assert_eq_int(prov_utf8_valid("\xed\xa0\x80", 3), 0);	/* surrogate */
	assert_eq_int(prov_utf8_valid("\xc0\xaf", 2), 0);	/* overlong */
	assert_eq_int(prov_utf8_valid("a\0b", 3), 0);
}

DEFINE_TEST(test_image_channels_respect_limits)
{
	struct prov_image img;
	struct prov_limits lim;
	struct prov_err e;

	prov_limits_default(&lim);
	prov_image_init(&img);
	img.width = 5;
	img.height = 3;
	assert_ok(prov_image_add_channel(&img, "R", PROV_SAMPLE_HALF, 0, 1, 1, &lim, &e));
	assert_ok(prov_image_add_channel(&img, "RY", PROV_SAMPLE_HALF, 0, 2, 2, &lim, &e));
	assert_eq_int(prov_channel_samples(&img, 0), 15);
	assert_eq_int(prov_channel_samples(&img, 1), 6);
	assert_eq_int(prov_image_find(&img, "RY"), 1);
	assert_eq_int(img.channels[0].bits, 16);
	prov_image_release(&img);
	img.width = 1000000;
	img.height = 1000000;
	assert_eq_int(prov_image_add_channel(&img, "R", PROV_SAMPLE_F32, 0, 1, 1, &lim, &e),
	    PROV_FAILED);
	assert_true(strstr(e.msg, "--max-pixels") != NULL);
	prov_image_release(&img);
}
