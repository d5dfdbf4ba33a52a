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
