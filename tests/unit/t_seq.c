/* t_seq.c: frame sequences, their gaps, padding and Merkle roots. */
#include <stdio.h>
#include <stdlib.h>

#include "test.h"

struct out {
	int n;
	json_t *recs;		/* array of {"path", ...fields} */
};

static int
collect(void *ctx, struct prov_record *rec)
{
	struct out *o = ctx;
	json_t *r = json_deep_copy(rec->fields);

	json_object_set_new(r, "path", json_stringn(rec->path.buf, rec->path.len));
	json_object_set_new(r, "kind", json_string(rec->kind));
	json_array_append_new(o->recs, r);
	o->n++;
	return 0;
}

/* A frame record whose pixel hash is SHA-256 of `content` (sha256 too, unless
 * content is NULL: then the sha256 is of the path and there is no pixel hash). */
static int
offer(struct prov_seq *s, const char *path, const char *content)
{
	struct prov_record r;
	unsigned char h[32];
	char px[68];
	int k;

	prov_record_init(&r);
	r.kind = "png";
	prov_buf_addstr(&r.path, path);
	if (content != NULL) {
		prov_sha256(content, strlen(content), h);
		prov_pixels_format(h, px);
		json_object_set_new(r.fields, "pixels", json_string(px));
	}
	prov_sha256(path, strlen(path), r.sha256);
	r.has_sha256 = 1;
	k = prov_seq_add(s, &r);
	prov_record_release(&r);
	return k;
}

static json_t *
seqobj(struct out *o, int i)
{
	return json_object_get(json_array_get(o->recs, (size_t)i), "sequence");
}

static const char *
gstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static long long
gint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* The expected root of leaves made from SHA-256 of the given contents. */
static void
expect_root(const char *const *contents, int n, char hex[65])
{
	struct prov_merkle m;
	unsigned char h[32], leaf[32];
	int i;

	prov_merkle_init(&m, NULL, NULL);
	for (i = 0; i < n; i++) {
		prov_sha256(contents[i], strlen(contents[i]), h);
		prov_merkle_leaf_hash(h, 32, leaf);
		prov_merkle_add(&m, leaf);
	}
	prov_merkle_root(&m, h);
	prov_hex(h, 32, hex);
}

DEFINE_TEST(test_seq_gaps_padding_and_root)
{
	struct prov_seq *s = prov_seq_new();
	struct out o = { 0, json_array() };
	const char *c[] = { "f1", "f2", "f3", "f7", "f9", "f10" };
	char hex[65], buf[64];
	int nums[] = { 1, 2, 3, 7, 9, 10 }, i;
	json_t *q, *g;

	/* Offered out of order: the root follows frame order. */
	for (i = 5; i >= 0; i--) {
		snprintf(buf, sizeof(buf), "EP104/SH030/shot.%04d.exr", nums[i]);
		assert_eq_int(offer(s, buf, c[i]), 1);
	}
	assert_eq_int(prov_seq_count(s), 6);
	assert_eq_int(prov_seq_flush(s, NULL, collect, &o), 0);
	assert_eq_int(prov_seq_count(s), 0);
	assert_eq_int(o.n, 1);
	q = seqobj(&o, 0);
	assert_eq_str(gstr(json_array_get(o.recs, 0), "path"), "EP104/SH030/shot.####.exr");
	assert_eq_str(gstr(json_array_get(o.recs, 0), "kind"), "sequence");
	assert_eq_str(gstr(q, "pattern"), "shot.%04d.exr");
	assert_eq_str(gstr(q, "pattern_hash"), "shot.####.exr");
	assert_eq_int(gint(q, "first"), 1);
	assert_eq_int(gint(q, "last"), 10);
	assert_eq_int(gint(q, "count"), 6);
	assert_eq_int(gint(q, "padding"), 4);
	assert_eq_str(gstr(q, "leaves"), "pixels");
	g = json_object_get(q, "gaps");
	assert_eq_int(json_array_size(g), 2);
	assert_eq_int(json_integer_value(json_array_get(json_array_get(g, 0), 0)), 4);
	assert_eq_int(json_integer_value(json_array_get(json_array_get(g, 0), 1)), 6);
	assert_eq_int(json_integer_value(json_array_get(json_array_get(g, 1), 0)), 8);
	assert_eq_int(json_integer_value(json_array_get(json_array_get(g, 1), 1)), 8);
	expect_root(c, 6, hex);
	assert_eq_str(gstr(q, "merkle_root"), hex);
	json_decref(o.recs);
	prov_seq_free(s);
}

DEFINE_TEST(test_seq_swapped_or_missing_frame_changes_root)
{
	const char *c[] = { "a", "b", "c", "d" };
	char root[3][65], buf[64];
	int round, i;

	for (round = 0; round < 3; round++) {
		struct prov_seq *s = prov_seq_new();
		struct out o = { 0, json_array() };

		for (i = 0; i < 4; i++) {
			int k = i;

			if (round == 1 && (i == 1 || i == 2))
				k = 3 - i;	/* frames 2 and 3 swapped */
			if (round == 2 && i == 3)
				continue;	/* last frame missing */
			snprintf(buf, sizeof(buf), "frame_%04d.png", i + 1);
			offer(s, buf, c[k]);
		}
		assert_eq_int(prov_seq_flush(s, NULL, collect, &o), 0);
		assert_eq_int(o.n, 1);
		snprintf(root[round], 65, "%s", gstr(seqobj(&o, 0), "merkle_root"));
		json_decref(o.recs);
		prov_seq_free(s);
	}
	assert_true(strcmp(root[0], root[1]) != 0);
	assert_true(strcmp(root[0], root[2]) != 0);
	assert_true(strcmp(root[1], root[2]) != 0);
}

DEFINE_TEST(test_seq_mixed_patterns_and_dirs)
{
	struct prov_seq *s = prov_seq_new();
	struct out o = { 0, json_array() };
	struct prov_names *n;
	struct prov_err e;

	assert_ok(prov_names_open(&n, NULL, 0, NULL, &e));
	offer(s, "a/shot_0001.png", "1");
	offer(s, "a/shot_0002.png", "2");
	offer(s, "a/shot.0001.png", "1");	/* another prefix: "shot." */
	offer(s, "a/shot.0002.png", "2");
	offer(s, "a/shot.0003.exr", "3");	/* another suffix: alone */
	offer(s, "b/shot_0001.png", "1");	/* another directory */
	offer(s, "b/shot_0002.png", NULL);	/* no pixel hash: sha256 leaf */
	offer(s, "b/shot_001.png", "x");	/* another padding: alone */
	offer(s, "c/ep104_sq020_sh030_v003.1001.exr", "1");
	offer(s, "c/ep104_sq020_sh030_v003.1002.exr", "2");
	offer(s, "c/ep104_sq020_sh030_v003.1002.exr", "dup");	/* duplicate */
	assert_eq_int(offer(s, "c/readme.txt", "t"), 0);
	assert_eq_int(offer(s, "c/plate_1920x1080.png", "t"), 0);
	assert_eq_int(offer(s, "c/v8engine", "t"), 0);
	assert_eq_int(prov_seq_flush(s, n, collect, &o), 0);
	assert_eq_int(o.n, 4);
	assert_eq_str(gstr(json_array_get(o.recs, 0), "path"), "a/shot.####.png");
	assert_eq_str(gstr(json_array_get(o.recs, 1), "path"), "a/shot_####.png");
	assert_eq_str(gstr(json_array_get(o.recs, 2), "path"), "b/shot_####.png");
	assert_eq_str(gstr(seqobj(&o, 2), "leaves"), "mixed");
	assert_eq_str(gstr(json_array_get(o.recs, 3), "path"),
	    "c/ep104_sq020_sh030_v003.####.exr");
	assert_eq_int(gint(seqobj(&o, 3), "count"), 2);
	assert_eq_int(gint(seqobj(&o, 3), "first"), 1001);
	assert_eq_str(gstr(json_object_get(json_array_get(o.recs, 3), "names"), "shot"), "030");
	{
		const char *c[] = { "1", "2" };
		char hex[65];

		expect_root(c, 2, hex);
		assert_eq_str(gstr(seqobj(&o, 3), "merkle_root"), hex);
		assert_eq_str(gstr(seqobj(&o, 0), "merkle_root"), hex);
	}
	json_decref(o.recs);
	prov_seq_free(s);
	prov_names_close(n);
}

DEFINE_TEST(test_seq_unpadded_and_emit_stop)
{
	struct prov_seq *s = prov_seq_new();
	struct out o = { 0, json_array() };
	char buf[32];
	int i;

	for (i = 1; i <= 12; i++) {
		snprintf(buf, sizeof(buf), "r/f.%d.tif", i);
		offer(s, buf, buf);
	}
	assert_eq_int(prov_seq_flush(s, NULL, collect, &o), 0);
	/* One sequence per digit count: 1-9 and 10-12. */
	assert_eq_int(o.n, 2);
	assert_eq_str(gstr(seqobj(&o, 0), "pattern"), "f.%01d.tif");
	assert_eq_int(gint(seqobj(&o, 1), "count"), 3);
	json_decref(o.recs);
	prov_seq_free(s);
}

/* One ustar header + data block per member, then two zero blocks. */
static size_t
ustar(unsigned char *tar, size_t cap, const char *const *names,
    const char *const *data, size_t n)
{
	size_t off = 0, i, k;

	memset(tar, 0, cap);
	for (i = 0; i < n; i++) {
		unsigned char *h = tar + off;
		unsigned sum = 0;

		memcpy(h, names[i], strlen(names[i]));
		memcpy(h + 100, "0000644", 7);
		memcpy(h + 108, "0000000", 7);
		memcpy(h + 116, "0000000", 7);
		snprintf((char *)h + 124, 12, "%011o", (unsigned)strlen(data[i]));
		memcpy(h + 136, "00000000000", 11);
		h[156] = '0';
		memcpy(h + 257, "ustar\00000", 8);
		memset(h + 148, ' ', 8);
		for (k = 0; k < 512; k++)
			sum += h[k];
		snprintf((char *)h + 148, 8, "%06o", sum);
		memcpy(h + 512, data[i], strlen(data[i]));
		off += 1024;
	}
	return off + 1024;
}

struct fpout {
	struct prov_buf text;
};

static int
keep_line(void *arg, const struct prov_record *r)
{
	struct fpout *o = arg;
	json_t *j = prov_record_to_json(r);
	char *s;

	json_object_del(j, "sha256");
	json_object_del(j, "size");
	json_object_del(j, "member");
	json_object_del(j, "archive");
	json_object_del(j, "indicators");
	s = json_dumps(j, JSON_COMPACT);
	prov_buf_addstr(&o->text, s);
	prov_buf_addch(&o->text, '\n');
	free(s);
	json_decref(j);
	return 0;
}

/* prov_fp_memory(): names on every record, sequences after them. */
DEFINE_TEST(test_seq_through_fp_memory)
{
	static const char *const names[] = {
		"sh030/ep104_sh030_v003.0002.txt", "sh030/ep104_sh030_v003.0001.txt",
		"sh030/ep104_sh030_v003.0004.txt"
	};
	static const char *const data[] = { "two\n", "one\n", "four\n" };
	unsigned char tar[8192];
	struct prov_fp_opts opts;
	struct fpout o = { PROV_BUF_INIT };
	struct prov_err e;
	size_t len = ustar(tar, sizeof(tar), names, data, 3);
	unsigned char h[3][32], l01[32], root[32], buf[65];
	char hex[65];
	int i;

	prov_fp_opts_default(&opts);
	opts.sequences = 1;
	assert_ok(prov_fp_memory(tar, len, "d.tar", 5, &opts, keep_line, &o, &e));
	/* the root over sha256("one\n"), sha256("two\n"), sha256("four\n") */
	prov_sha256("one\n", 4, h[0]);
	prov_sha256("two\n", 4, h[1]);
	prov_sha256("four\n", 5, h[2]);
	for (i = 0; i < 3; i++) {
		buf[0] = 0;
		memcpy(buf + 1, h[i], 32);
		prov_sha256(buf, 33, h[i]);
	}
	buf[0] = 1;
	memcpy(buf + 1, h[0], 32);
	memcpy(buf + 33, h[1], 32);
	{
		unsigned char nb[65];

		memcpy(nb, buf, 65);
		prov_sha256(nb, 65, l01);
		nb[0] = 1;
		memcpy(nb + 1, l01, 32);
		memcpy(nb + 33, h[2], 32);
		prov_sha256(nb, 65, root);
	}
	prov_hex(root, 32, hex);
	{
		char want[2048];

		snprintf(want, sizeof(want),
		    "{\"path\":\"d.tar\",\"kind\":\"archive\"}\n"
		    "{\"path\":\"d.tar!/sh030/ep104_sh030_v003.0002.txt\",\"kind\":\"other\","
		    "\"names\":{\"episode\":\"104\",\"shot\":\"030\",\"frame\":\"0002\",\"version\":\"003\"}}\n"
		    "{\"path\":\"d.tar!/sh030/ep104_sh030_v003.0001.txt\",\"kind\":\"other\","
		    "\"names\":{\"episode\":\"104\",\"shot\":\"030\",\"frame\":\"0001\",\"version\":\"003\"}}\n"
		    "{\"path\":\"d.tar!/sh030/ep104_sh030_v003.0004.txt\",\"kind\":\"other\","
		    "\"names\":{\"episode\":\"104\",\"shot\":\"030\",\"frame\":\"0004\",\"version\":\"003\"}}\n"
		    "{\"path\":\"d.tar!/sh030/ep104_sh030_v003.####.txt\",\"kind\":\"sequence\","
		    "\"sequence\":{\"pattern\":\"ep104_sh030_v003.%%04d.txt\","
		    "\"pattern_hash\":\"ep104_sh030_v003.####.txt\",\"first\":1,\"last\":4,"
		    "\"count\":3,\"padding\":4,\"gaps\":[[3,3]],\"leaves\":\"sha256\","
		    "\"merkle_root\":\"%s\"},"
		    "\"names\":{\"episode\":\"104\",\"shot\":\"030\",\"version\":\"003\"}}\n", hex);
		assert_eq_str(o.text.buf, want);
	}
	/* without sequences: the same records, no sequence */
	prov_buf_reset(&o.text);
	opts.sequences = 0;
	assert_ok(prov_fp_memory(tar, len, "d.tar", 5, &opts, keep_line, &o, &e));
	assert_true(strstr(o.text.buf, "\"sequence\"") == NULL);
	assert_true(strstr(o.text.buf, "\"frame\":\"0004\"") != NULL);
	prov_buf_release(&o.text);
}
