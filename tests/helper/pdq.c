/* pdq.c: prov-test verbs over the PDQ hash and its index. */
#include <ctype.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
