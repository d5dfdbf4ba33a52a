/* t_compare.c: files against a manifest, judged record by record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

static json_t *
recs(const char *ndjson)
{
	json_t *a = json_array();
	const char *p = ndjson;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		json_t *r = json_loadb(p, n, 0, NULL);
		if (r == NULL)
			abort();
		json_array_append_new(a, r);
		p += n + (nl != NULL);
	}
	return a;
}

/* "status path" lines, one per judgement. */
static void
collect(void *ctx, const struct prov_compare_line *line)
{
	struct prov_buf *b = ctx;
	const json_t *r = line->disk ? line->disk : line->manifest;

	prov_buf_addf(b, "%s %s", line->status, json_string_value(json_object_get(r, "path")));
	if (line->manifest && line->disk)
		prov_buf_addf(b, "<%s", json_string_value(json_object_get(line->manifest, "path")));
	if (line->distance >= 0)
		prov_buf_addf(b, " d%d", line->distance);
	prov_buf_addch(b, '\n');
}

#define H(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
	c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c

DEFINE_TEST(test_compare_every_verdict)
{
	json_t *m = recs(
	    "{\"path\":\"a.exr\",\"sha256\":\"" H("1") "\"}\n"
	    "{\"path\":\"b.exr\",\"sha256\":\"" H("2") "\"}\n"
	    "{\"path\":\"c.exr\",\"sha256\":\"" H("3") "\"}\n"
	    "{\"path\":\"d.png\",\"sha256\":\"" H("4") "\",\"pixels\":\"v1:" H("a") "\"}\n"
	    "{\"path\":\"e.png\",\"sha256\":\"" H("5") "\",\"pdq\":{\"hash\":\"" H("0") "\"}}\n"
	    "{\"path\":\"caf\xc3\xa9.exr\",\"sha256\":\"" H("6") "\"}\n"
	    "{\"path\":\"gone.exr\",\"sha256\":\"" H("7") "\"}\n");
	json_t *d = recs(
	    "{\"path\":\"a.exr\",\"sha256\":\"" H("1") "\"}\n"
	    "{\"path\":\"b.exr\",\"sha256\":\"" H("9") "\"}\n"
	    "{\"path\":\"renamed.exr\",\"sha256\":\"" H("3") "\"}\n"
	    "{\"path\":\"d.tif\",\"sha256\":\"" H("8") "\",\"pixels\":\"v1:" H("a") "\"}\n"
	    /* 31 bits away: 0x7 = 3 bits in each of 10 digits, plus 1 */
	    "{\"path\":\"e.jpg\",\"sha256\":\"" H("b") "\",\"pdq\":{\"hash\":\""
	    "7777777777100000000000000000000000000000000000000000000000000000\"}}\n"
	    "{\"path\":\"cafe\xcc\x81.exr\",\"sha256\":\"" H("6") "\"}\n"
	    "{\"path\":\"extra.exr\",\"sha256\":\"" H("c") "\"}\n");
	struct prov_buf out = PROV_BUF_INIT;
	struct prov_compare_counts c;

	assert_eq_int(prov_compare_records(m, d, -1, collect, &out, &c), PROV_FAILED);
	assert_eq_str(out.buf,
	    "matched a.exr<a.exr\n"
	    "changed b.exr<b.exr\n"
	    "moved renamed.exr<c.exr\n"
	    "same-pixels d.tif<d.png\n"
	    "perceptual e.jpg<e.png d31\n"
	    "matched cafe\xcc\x81.exr<caf\xc3\xa9.exr\n"
	    "new extra.exr\n"
	    "missing gone.exr\n");
	assert_true(c.matched == 2 && c.changed == 1 && c.moved == 1 && c.same_pixels == 1 &&
	    c.perceptual == 1 && c.added == 1 && c.missing == 1);
	prov_buf_release(&out);
	json_decref(d);

	/* 32 bits away is no longer the same image. */
	d = recs("{\"path\":\"e.jpg\",\"sha256\":\"" H("b") "\",\"pdq\":{\"hash\":\""
	    "7777777777300000000000000000000000000000000000000000000000000000\"}}\n");
	json_array_remove(m, 6);
	assert_eq_int(prov_compare_records(m, d, -1, collect, &out, &c), PROV_FAILED);
	assert_true(strstr(out.buf, "new e.jpg\n") != NULL);
	assert_true(c.perceptual == 0 && c.added == 1 && c.missing == 6);
	prov_buf_release(&out);
	/* ... unless the threshold is raised to 32 */
	assert_eq_int(prov_compare_records(m, d, 32, collect, &out, &c), PROV_FAILED);
	assert_true(strstr(out.buf, "perceptual e.jpg<e.png d32\n") != NULL);
	assert_true(c.perceptual == 1 && c.added == 0 && c.missing == 5);
	prov_buf_release(&out);
	/* and at threshold 0 only an identical hash is perceptually the same */
	assert_eq_int(prov_compare_records(m, d, 0, collect, &out, &c), PROV_FAILED);
	assert_true(c.perceptual == 0 && c.added == 1);
	prov_buf_release(&out);
	json_decref(d);
	json_decref(m);
}

DEFINE_TEST(test_compare_all_matched_and_duplicates)
{
	/* Two manifest records with the same bytes under two names: each
	 * file on disk claims its own. */
	json_t *m = recs("{\"path\":\"x/1.exr\",\"sha256\":\"" H("1") "\"}\n"
	    "{\"path\":\"x/2.exr\",\"sha256\":\"" H("1") "\"}\n");
	json_t *d = recs("{\"path\":\"x/2.exr\",\"sha256\":\"" H("1") "\"}\n"
	    "{\"path\":\"x/1.exr\",\"sha256\":\"" H("1") "\"}\n");
	json_t *e = json_array();
	struct prov_compare_counts c;

	assert_eq_int(prov_compare_records(m, d, -1, NULL, NULL, &c), PROV_OK);
	assert_true(c.matched == 2 && c.missing == 0);
	/* Nothing on disk: everything missing. */
	assert_eq_int(prov_compare_records(m, e, -1, NULL, NULL, &c), PROV_FAILED);
	assert_true(c.missing == 2 && c.matched == 0);
	/* An empty manifest and nothing on disk match. */
	assert_eq_int(prov_compare_records(e, e, -1, NULL, NULL, &c), PROV_OK);
	json_decref(m);
	json_decref(d);
	json_decref(e);
}

DEFINE_TEST(test_pdq_hex_distance)
{
	assert_eq_int(prov_pdq_hex_distance(H("0"), H("0")), 0);
	assert_eq_int(prov_pdq_hex_distance(H("0"), H("f")), 256);
	assert_eq_int(prov_pdq_hex_distance(H("0"), "00"), -1);
	assert_eq_int(prov_pdq_hex_distance(H("0"), NULL), -1);
	assert_eq_int(prov_pdq_hex_distance(H("0"), H("g")), -1);
}

/* "status path" lines with root lengths for the disk records. */
static char *
judge_with(json_t *m, json_t *d, const size_t *roots, struct prov_compare_counts *c, int *rc)
{
	struct prov_buf out = PROV_BUF_INIT;
	struct prov_compare_opts o;

	prov_compare_opts_default(&o);
	o.root_len = roots;
	*rc = prov_compare_files(m, d, &o, collect, &out, c);
	return prov_buf_detach(&out, NULL);
}

DEFINE_TEST(test_compare_archive_member_names)
{
	/* A manifest made from the directory deliv. */
	json_t *m = recs("{\"path\":\"deliv/a.exr\",\"sha256\":\"" H("1") "\"}\n"
	    "{\"path\":\"deliv/sub/b.exr\",\"sha256\":\"" H("2") "\"}\n"
	    "{\"path\":\"deliv/c.exr\",\"sha256\":\"" H("3") "\"}\n");
	/* zipped with its top folder, without it, under another one, and
	 * the directory given by an absolute path */
	static const char *const layouts[] = {
	    "{\"path\":\"d.zip\",\"sha256\":\"" H("9") "\",\"archive\":{}}\n"
	    "{\"path\":\"d.zip!/deliv/a.exr\",\"sha256\":\"" H("1") "\",\"member\":{}}\n"
	    "{\"path\":\"d.zip!/deliv/sub/b.exr\",\"sha256\":\"" H("2") "\",\"member\":{}}\n"
	    "{\"path\":\"d.zip!/deliv/c.exr\",\"sha256\":\"" H("3") "\",\"member\":{}}\n",
	    "{\"path\":\"d.zip\",\"sha256\":\"" H("9") "\",\"archive\":{}}\n"
	    "{\"path\":\"d.zip!/a.exr\",\"sha256\":\"" H("1") "\",\"member\":{}}\n"
	    "{\"path\":\"d.zip!/sub/b.exr\",\"sha256\":\"" H("2") "\",\"member\":{}}\n"
	    "{\"path\":\"d.zip!/./c.exr\",\"sha256\":\"" H("3") "\",\"member\":{}}\n",
	    "{\"path\":\"x/d.tar\",\"sha256\":\"" H("9") "\",\"archive\":{}}\n"
	    "{\"path\":\"x/d.tar!/deliv_v2/a.exr\",\"sha256\":\"" H("1") "\",\"member\":{}}\n"
	    "{\"path\":\"x/d.tar!/deliv_v2/sub/b.exr\",\"sha256\":\"" H("2") "\",\"member\":{}}\n"
	    "{\"path\":\"x/d.tar!/deliv_v2/c.exr\",\"sha256\":\"" H("3") "\",\"member\":{}}\n",
	    "{\"path\":\"/mnt/in/deliv/a.exr\",\"sha256\":\"" H("1") "\"}\n"
	    "{\"path\":\"/mnt/in/deliv/sub/b.exr\",\"sha256\":\"" H("2") "\"}\n"
	    "{\"path\":\"/mnt/in/deliv/c.exr\",\"sha256\":\"" H("3") "\"}\n",
	};
	size_t roots[4] = { 14, 14, 14, 14 }, i;
	struct prov_compare_counts c;
	int rc;

	for (i = 0; i < 4; i++) {
		json_t *d = recs(layouts[i]);
		char *out = judge_with(m, d, roots, &c, &rc);
		failure("layout %zu: %s", i, out);
		assert_eq_int(rc, PROV_OK);
		assert_true(c.matched == 3 && c.missing == 0 && c.added == 0 && c.errors == 0);
		free(out);
		json_decref(d);
	}
	json_decref(m);
}

DEFINE_TEST(test_compare_archive_extra_missing_and_damaged)
{
	json_t *m = recs("{\"path\":\"deliv/a.exr\",\"sha256\":\"" H("1") "\"}\n"
	    "{\"path\":\"deliv/b.exr\",\"sha256\":\"" H("2") "\"}\n"
	    "{\"path\":\"deliv/c.exr\",\"sha256\":\"" H("3") "\"}\n");
	/* An extra member beside the top folder keeps the others' names; a
	 * member renamed with the same bytes is moved; a damaged archive is an
	 * error line and its member that could not be read one more. */
	json_t *d = recs(
	    "{\"path\":\"d.zip\",\"sha256\":\"" H("9") "\",\"archive\":{}}\n"
	    "{\"path\":\"d.zip!/README\",\"sha256\":\"" H("8") "\",\"member\":{}}\n"
	    "{\"path\":\"d.zip!/deliv/a.exr\",\"sha256\":\"" H("1") "\",\"member\":{}}\n"
	    "{\"path\":\"d.zip!/deliv/z.exr\",\"sha256\":\"" H("2") "\",\"member\":{}}\n"
	    "{\"path\":\"d.zip!/deliv/ln\",\"kind\":\"symlink\",\"member\":{}}\n"
	    "{\"path\":\"bad.zip\",\"sha256\":\"" H("7") "\",\"archive\":{},\"error\":\"truncated\"}\n"
	    "{\"path\":\"bad.zip!/c.exr\",\"member\":{},\"error\":\"ZIP decompression failed\"}\n");
	struct prov_compare_counts c;
	int rc;
	char *out = judge_with(m, d, NULL, &c, &rc);

	assert_eq_int(rc, PROV_FAILED);
	assert_eq_str(out,
	    "new d.zip!/README\n"
	    "matched d.zip!/deliv/a.exr<deliv/a.exr\n"
	    "moved d.zip!/deliv/z.exr<deliv/b.exr\n"
	    "error bad.zip\n"
	    "error bad.zip!/c.exr\n"
	    "missing deliv/c.exr\n");
	assert_true(c.errors == 2 && c.matched == 1 && c.moved == 1 && c.added == 1 &&
	    c.missing == 1);
	free(out);
	json_decref(d);
	/* An archive that is itself in the manifest is judged whole. */
	json_array_append_new(m, json_pack("{s:s,s:s}", "path", "d.zip", "sha256", H("9")));
	d = recs("{\"path\":\"d.zip\",\"sha256\":\"" H("9") "\",\"archive\":{}}\n"
	    "{\"path\":\"d.zip!/deliv/a.exr\",\"sha256\":\"" H("1") "\",\"member\":{}}\n"
	    "{\"path\":\"d.zip!/deliv/b.exr!/x\",\"sha256\":\"" H("6") "\",\"member\":{}}\n");
	out = judge_with(m, d, NULL, &c, &rc);
	assert_eq_str(out,
	    "matched d.zip<d.zip\n"
	    "missing deliv/a.exr\n"
	    "missing deliv/b.exr\n"
	    "missing deliv/c.exr\n");
	free(out);
	json_decref(d);
	json_decref(m);
}

/* The perceptual pairing through the index gives what a linear scan of
 * the manifest gives, pair for pair, on random hashes near each other. */
DEFINE_TEST(test_compare_pdq_index_equals_linear)
{
	json_t *m = json_array(), *d = json_array();
	struct prov_compare_opts o;
	struct prov_buf a = PROV_BUF_INIT, b = PROV_BUF_INIT;
	struct prov_compare_counts ca, cb;
	unsigned char base[32], h[32];
	char hex[65], sha[65], name[16];
	unsigned seed = 12345;
	int i, k, bit;

	for (i = 0; i < 32; i++)
		base[i] = (unsigned char)(seed = seed * 1103515245 + 12345) >> 16;
	/* 300 manifest images in 30 clusters, 300 disk images near them */
	for (i = 0; i < 600; i++) {
		memcpy(h, base, 32);
		h[(i % 30)] ^= 0xff;			/* the cluster: 8 bits */
		for (k = 0; k < 12; k++) {		/* up to 12 more */
			seed = seed * 1103515245 + 12345;
			bit = (int)((seed >> 16) % 256);
			h[bit / 8] ^= (unsigned char)(1 << (bit % 8));
		}
		prov_hex(h, 32, hex);
		snprintf(sha, sizeof(sha), "%064x", i);
		snprintf(name, sizeof(name), "%c%d", i < 300 ? 'm' : 'd', i);
		json_array_append_new(i < 300 ? m : d, json_pack("{s:s,s:s,s:{s:s}}",
		    "path", name, "sha256", sha, "pdq", "hash", hex));
	}
	prov_compare_opts_default(&o);
	o.pdq_max = 20;
	prov_compare_files(m, d, &o, collect, &a, &ca);
	o.linear = 1;
	prov_compare_files(m, d, &o, collect, &b, &cb);
	assert_eq_str(a.buf, b.buf);
	assert_true(ca.perceptual == cb.perceptual && ca.perceptual > 50 && ca.added > 0);
	prov_buf_release(&a);
	prov_buf_release(&b);
	json_decref(m);
	json_decref(d);
}
