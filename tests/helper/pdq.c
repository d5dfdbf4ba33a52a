/* pdq.c: prov-test verbs over the PDQ hash and its index. */
#include <ctype.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "prov.h"
#include "../../tools/common.h"
#include "verbs.h"

static long long
pnm_int(FILE *f)
{
	long long v = 0;
	int c, any = 0;

	for (;;) {
		c = getc(f);
		if (c == '#')
			while (c != '\n' && c != EOF)
				c = getc(f);
		else if (!isspace(c))
			break;
	}
	while (c != EOF && isdigit(c)) {
		if (v > 0xffffffffLL)
			return -1;
		v = v * 10 + (c - '0');
		any = 1;
		c = getc(f);
	}
	return any ? v : -1;
}

/*
 * A binary PNM as ImageMagick writes it (P4 bilevel: black 0, white 255;
 * P5 grey; P6 RGB), into 8-bit samples, the way the reference's front end
 * (CImg) reads them: for any maxval over 255 it reads W*H*channels 16-bit
 * big-endian words and keeps only their low byte.  With maxval over 65535
 * (ImageMagick writes 4-byte samples for 24- and 32-bit images) that walks
 * the first half of the data two bytes at a time.  This reproduces the
 * reference; it is not prov's conversion (prov scales by the significant
 * bits).
 */
static unsigned char *
read_pnm(const char *path, uint32_t *w, uint32_t *h, unsigned *nchan)
{
	FILE *f = fopen(path, "rb");
	unsigned char *px;
	int type;
	long long W, H, maxv = 1;
	size_t n, bps, i;

	if (f == NULL)
		err(1, "%s", path);
	if (getc(f) != 'P')
		errx(1, "%s: not a PNM", path);
	type = getc(f);
	W = pnm_int(f);
	H = pnm_int(f);
	if (type != '4')
		maxv = pnm_int(f);
	if (W <= 0 || H <= 0 || W > 65536 || H > 65536 || maxv <= 0 ||
	    (type != '4' && type != '5' && type != '6') || (type == '4') != (maxv == 1))
		errx(1, "%s: unsupported PNM P%c %lldx%lld maxval %lld", path, type,
		    W, H, maxv);
	bps = maxv < 256 ? 1 : 2;
	*w = (uint32_t)W;
	*h = (uint32_t)H;
	*nchan = type == '6' ? 3 : 1;
	n = (size_t)W * H * *nchan;
	px = prov_xmalloc(n);
	if (type == '4') {
		size_t rowb = ((size_t)W + 7) / 8;
		unsigned char *row = prov_xmalloc(rowb);
		long long y, x;

		for (y = 0; y < H; y++) {
			if (fread(row, 1, rowb, f) != rowb)
				errx(1, "%s: short PBM", path);
			for (x = 0; x < W; x++)
				px[(size_t)y * W + x] =
				    (row[x / 8] >> (7 - x % 8)) & 1 ? 0 : 255;
		}
		free(row);
	} else if (bps == 1) {
		if (fread(px, 1, n, f) != n)
			errx(1, "%s: short PNM", path);
	} else {
		unsigned char s[4];

		for (i = 0; i < n; i++) {
			if (fread(s, 1, bps, f) != bps)
				errx(1, "%s: short PNM", path);
			px[i] = s[bps - 1];
		}
	}
	fclose(f);
	return px;
}

PROV_TEST_VERB(pdq_pnm, "FILE...: PDQ hash and quality of binary PNM files")
int
verb_pdq_pnm(int argc, char **argv)
{
	struct prov_err e = { 0 };
	struct prov_pdq h;
	char hex[PROV_PDQ_HEX + 1];
	uint32_t w, ht;
	unsigned nchan;
	int i;

	if (argc < 2)
		errx(2, "usage: prov-test pdq_pnm FILE...");
	for (i = 1; i < argc; i++) {
		unsigned char *px = read_pnm(argv[i], &w, &ht, &nchan);

		if (prov_pdq_rgb8(px, w, ht, nchan, &h, NULL, &e) != PROV_OK)
			errx(1, "%s: %s", argv[i], e.msg);
		free(px);
		prov_pdq_format(&h, hex);
		printf("%s\t%d\n", hex, h.quality);
	}
	return 0;
}

PROV_TEST_VERB(pdq_distance, "HEX HEX: Hamming distance of two PDQ hashes")
int
verb_pdq_distance(int argc, char **argv)
{
	struct prov_pdq a, b;

	if (argc != 3)
		errx(2, "usage: prov-test pdq_distance HEX HEX");
	if (prov_pdq_parse(argv[1], &a) != 0 || prov_pdq_parse(argv[2], &b) != 0)
		errx(1, "not a PDQ hash (64 hex digits)");
	printf("%d\n", prov_pdq_distance(&a, &b));
	return 0;
}

static const char *
str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "-";
}

PROV_TEST_VERB(pdq_fp, "[--no-pdq] FILE...: the pdq keys the format modules record, one line per image")
int
verb_pdq_fp(int argc, char **argv)
{
	struct prov_fp_opts opts;
	int i = 1, status = 0;

	memset(&opts, 0, sizeof(opts));
	prov_limits_default(&opts.limits);
	opts.images = 1;
	opts.pdq = 1;
	if (argc > 1 && strcmp(argv[1], "--no-pdq") == 0) {
		opts.pdq = 0;
		i++;
	}
	if (i >= argc)
		errx(2, "usage: prov-test pdq_fp [--no-pdq] FILE...");
	/*
	 * Per image: FILE, index, hash, quality, then the trimmed hash, its
	 * quality and box, or "-"; a last line "FILE top HASH QUALITY" for the
	 * record's top-level "pdq".
	 */
	for (; i < argc; i++) {
		const struct prov_format *const *f, *best = NULL;
		struct prov_record rec;
		struct prov_err e = { 0 };
		struct prov_blob blob;
		json_t *img, *p, *t;
		size_t len = 0, k;
		int bid, top = 0;
		unsigned char *data = helper_slurp(argv[i], &len);

		if (data == NULL)
			err(2, "%s", argv[i]);
		for (f = prov_formats; *f != NULL; f++)
			if ((bid = (*f)->bid(data, len)) > top) {
				top = bid;
				best = *f;
			}
		if (best == NULL)
			errx(1, "%s: no format module bids", argv[i]);
		prov_record_init(&rec);
		blob.data = data;
		blob.len = len;
		blob.name = argv[i];
		if (best->fingerprint(&blob, &opts, &rec, &e) != PROV_OK) {
			warn_err(&e);
			status = 1;
		}
		json_array_foreach(json_object_get(rec.fields, "images"), k, img) {
			p = json_object_get(img, "pdq");
			t = json_object_get(img, "pdq_trimmed");
			printf("%s\t%zu\t%s\t%lld", argv[i], k, str(p, "hash"),
			    p != NULL ? (long long)json_integer_value(json_object_get(p, "quality")) : -1LL);
			if (t != NULL) {
				json_t *box = json_object_get(t, "box");
				printf("\t%s\t%lld\t%lld,%lld,%lld,%lld", str(t, "hash"),
				    (long long)json_integer_value(json_object_get(t, "quality")),
				    (long long)json_integer_value(json_array_get(box, 0)),
				    (long long)json_integer_value(json_array_get(box, 1)),
				    (long long)json_integer_value(json_array_get(box, 2)),
				    (long long)json_integer_value(json_array_get(box, 3)));
			} else
				printf("\t-");
			printf("\n");
		}
		p = json_object_get(rec.fields, "pdq");
		printf("%s\ttop\t%s\t%lld\n", argv[i], str(p, "hash"),
		    p != NULL ? (long long)json_integer_value(json_object_get(p, "quality")) : -1LL);
		prov_record_release(&rec);
		free(data);
	}
	flush_or_die();
	return status;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

PROV_TEST_VERB(pdq_time, "REPS FILE...: best-of-REPS CPU milliseconds of PDQ on binary PNM files (luma+core, core)")
int
verb_pdq_time(int argc, char **argv)
{
	struct prov_err e = { 0 };
	struct prov_pdq h;
	uint32_t w, ht;
	unsigned nchan;
	int i, r, reps;

	if (argc < 3)
		errx(2, "usage: prov-test pdq_time REPS FILE...");
	reps = (int)parse_num(argv[1], 1, 1000, "REPS");
	/* Per file: width, height, best ms of prov_pdq_rgb8 (luma and the
	 * core), best ms of prov_pdq_luma (the core alone), the hash. */
	for (i = 2; i < argc; i++) {
		unsigned char *px = read_pnm(argv[i], &w, &ht, &nchan);
		float *luma = prov_xmalloc((size_t)w * ht * sizeof(float));
		double best_all = 1e30, best_core = 1e30, t;
		char hex[PROV_PDQ_HEX + 1];
		size_t k, n = (size_t)w * ht;

		for (k = 0; k < n; k++)
			luma[k] = nchan == 1 ? (float)px[k] : 0.299f * (float)px[3 * k] +
			    0.587f * (float)px[3 * k + 1] + 0.114f * (float)px[3 * k + 2];
		for (r = 0; r < reps; r++) {
			t = now_ms();
			if (prov_pdq_rgb8(px, w, ht, nchan, &h, NULL, &e) != PROV_OK)
				errx(1, "%s: %s", argv[i], e.msg);
			t = now_ms() - t;
			best_all = t < best_all ? t : best_all;
			t = now_ms();
			if (prov_pdq_luma(luma, w, ht, &h, NULL, &e) != PROV_OK)
				errx(1, "%s: %s", argv[i], e.msg);
			t = now_ms() - t;
			best_core = t < best_core ? t : best_core;
		}
		prov_pdq_format(&h, hex);
		printf("%u\t%u\t%.3f\t%.3f\t%s\n", w, ht, best_all, best_core, hex);
		free(luma);
		free(px);
	}
	flush_or_die();
	return 0;
}

PROV_TEST_VERB(pdq_dihedral, "FILE: the 8 variants of a binary PNM: name, from the DCT, from the hash bits, their distance")
int
verb_pdq_dihedral(int argc, char **argv)
{
	struct prov_err e = { 0 };
	struct prov_pdq h, fromdct[8], frombits[8];
	struct prov_pdq_dct *dct;
	char a[PROV_PDQ_HEX + 1], b[PROV_PDQ_HEX + 1];
	uint32_t w, ht;
	unsigned nchan;
	unsigned char *px;
	int v;

	if (argc != 2)
		errx(2, "usage: prov-test pdq_dihedral FILE");
	px = read_pnm(argv[1], &w, &ht, &nchan);
	dct = prov_xmalloc(sizeof(*dct));
	if (prov_pdq_rgb8(px, w, ht, nchan, &h, dct, &e) != PROV_OK)
		errx(1, "%s: %s", argv[1], e.msg);
	prov_pdq_dihedral(dct, fromdct);
	prov_pdq_dihedral_hash(&h, frombits);
	for (v = 0; v < 8; v++) {
		prov_pdq_format(&fromdct[v], a);
		prov_pdq_format(&frombits[v], b);
		printf("%s\t%s\t%s\t%d\n", prov_pdq_variant_name(v), a, b,
		    prov_pdq_distance(&fromdct[v], &frombits[v]));
	}
	free(dct);
	free(px);
	return 0;
}
