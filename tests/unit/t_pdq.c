/*
 * t_pdq.c: the streamed PDQ core against a plain transcription of the
 * reference's layout (whole-image buffers, the column filter walking each
 * column top to bottom), on sizes and windows the vectors do not reach:
 * tall images whose column window is larger than the row batch, the
 * smallest images, odd widths.  Built with -ffp-contract=off as pdq.c.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

/* The reference's box1DFloat, with its stride. */
static void
ref_box1d(const float *in, float *out, int len, int stride, int w)
{
	int h = (w + 2) / 2, i, cws = 0, li = 0, ri = 0, oi = 0;
	float sum = 0.0f;

	for (i = 0; i < h - 1; i++, ri += stride) {
		sum += in[ri];
		cws++;
	}
	for (i = 0; i < w - h + 1; i++, ri += stride, oi += stride) {
		sum += in[ri];
		cws++;
		out[oi] = sum / (float)cws;
	}
	for (i = 0; i < len - w; i++, ri += stride, li += stride, oi += stride) {
		sum += in[ri];
		sum -= in[li];
		out[oi] = sum / (float)cws;
	}
	for (i = 0; i < h - 1; i++, li += stride, oi += stride) {
		sum -= in[li];
		cws--;
		out[oi] = sum / (float)cws;
	}
}

/* The reference's hash of a luma plane, its layout and its order. */
static void
ref_hash(const float *luma, int W, int H, uint16_t w[16], int *quality, float coef[256])
{
	float *a = malloc((size_t)W * H * sizeof(float)), *b = malloc((size_t)W * H * sizeof(float));
	float g[64][64], t[16][64], c[256], d[16][64], s, sorted[256], med, sc;
	int wr = (W + 127) / 128, wc = (H + 127) / 128, i, j, k, rep, gsum = 0;

	memcpy(a, luma, (size_t)W * H * sizeof(float));
	for (rep = 0; rep < 2; rep++) {
		for (i = 0; i < H; i++)
			ref_box1d(a + (size_t)i * W, b + (size_t)i * W, W, 1, wr);
		for (j = 0; j < W; j++)
			ref_box1d(b + j, a + j, H, W, wc);
	}
	for (i = 0; i < 64; i++)
		for (j = 0; j < 64; j++)
			g[i][j] = a[(size_t)(int)((i + 0.5) * H / 64) * W + (int)((j + 0.5) * W / 64)];
	free(a);
	free(b);
	for (i = 0; i < 63; i++)
		for (j = 0; j < 64; j++)
			gsum += abs((int)(((g[i][j] - g[i + 1][j]) * 100) / 255));
	for (i = 0; i < 64; i++)
		for (j = 0; j < 63; j++)
			gsum += abs((int)(((g[i][j] - g[i][j + 1]) * 100) / 255));
	*quality = gsum / 90 > 100 ? 100 : gsum / 90;
	sc = (float)sqrt(2.0 / 64);	/* a float, as the reference's */
	for (i = 0; i < 16; i++)
		for (j = 0; j < 64; j++)
			d[i][j] = (float)(sc * cos((M_PI / 2 / 64.0) * (i + 1) * (2 * j + 1)));
	for (i = 0; i < 16; i++)
		for (j = 0; j < 64; j++) {
			for (s = 0.0f, k = 0; k < 64; k++)
				s += d[i][k] * g[k][j];
			t[i][j] = s;
		}
	for (i = 0; i < 16; i++)
		for (j = 0; j < 16; j++) {
			for (s = 0.0f, k = 0; k < 64; k++)
				s += t[i][k] * d[j][k];
			c[i * 16 + j] = s;
		}
	memcpy(coef, c, sizeof(c));
	memcpy(sorted, c, sizeof(c));
	for (i = 1; i < 256; i++)	/* insertion sort: small and obvious */
		for (j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
			s = sorted[j];
			sorted[j] = sorted[j - 1];
			sorted[j - 1] = s;
		}
	med = sorted[127];
	memset(w, 0, 16 * sizeof(w[0]));
	for (k = 0; k < 256; k++)
		if (c[k] > med)
			w[k >> 4] |= (uint16_t)(1u << (k & 15));
}

/* A smooth picture with detail, so that the hash has contrast; fractional
 * values (as luma from RGB is), so that float sums round and a change in
 * the order of the operations shows. */
static float *
picture(int W, int H, unsigned seed)
{
	float *p = malloc((size_t)W * H * sizeof(float));
	int x, y;

	for (y = 0; y < H; y++)
		for (x = 0; x < W; x++) {
			seed = seed * 1103515245u + 12345u;
			p[(size_t)y * W + x] = (float)(127.5 + 80 * sin(x * 0.013 + y * 0.021) +
			    40 * cos(x * 0.07 - y * 0.005) + 0.299 * (seed >> 27));
		}
	return p;
}

DEFINE_TEST(test_pdq_streamed_core_equals_reference_layout)
{
	static const int sizes[][2] = { { 5, 5 }, { 6, 9 }, { 7, 300 }, { 300, 7 },
	    { 64, 2200 }, { 333, 1111 }, { 129, 1025 }, { 1920, 1080 }, { 97, 4100 } };
	struct prov_err e = { 0 };
	struct prov_pdq h;
	struct prov_pdq_dct dct;
	uint16_t w[16];
	float coef[256];
	unsigned k;
	int q;

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		int W = sizes[k][0], H = sizes[k][1];
		float *p = picture(W, H, k);

		failure("%dx%d", W, H);
		ref_hash(p, W, H, w, &q, coef);
		assert_ok(prov_pdq_luma(p, (uint32_t)W, (uint32_t)H, &h, &dct, &e));
		/* Bit for bit: the coefficients, not only the hash (a rounding
		 * difference upstream rarely flips a bit of the hash). */
		assert_eq_mem(dct.c, coef, sizeof(coef));
		assert_eq_mem(h.w, w, sizeof(w));
		assert_eq_int(h.quality, q);
		free(p);
	}
}

DEFINE_TEST(test_pdq_borders_finds_bars_and_leaves_pictures)
{
	float *p = picture(400, 300, 7), *lb = calloc((size_t)400 * 400, sizeof(float));
	uint32_t box[4];
	int y;

	assert_eq_int(prov_pdq_borders(p, 400, 300, box), 0);
	for (y = 0; y < 300; y++)
		memcpy(lb + (size_t)(y + 50) * 400, p + (size_t)y * 400, 400 * sizeof(float));
	assert_eq_int(prov_pdq_borders(lb, 400, 400, box), 1);
	assert_eq_int(box[0], 0);
	assert_eq_int(box[1], 50);
	assert_eq_int(box[2], 399);
	assert_eq_int(box[3], 349);
	memset(lb, 0, (size_t)400 * 400 * sizeof(float));
	assert_eq_int(prov_pdq_borders(lb, 400, 400, box), 0);
	free(p);
	free(lb);
}

/*
 * The pixel (x, y) of the original that lands at (ox, oy) of variant v of
 * a w x h image, independently of libprov's table: rot90 turns it
 * counter-clockwise, flipx mirrors top/bottom, flipy left/right,
 * flipplus1 transposes, flipminus1 transverses.
 */
static void
dihedral_src(int v, int w, int h, int ox, int oy, int *x, int *y)
{
	switch (v) {
	case PROV_PDQ_ORIGINAL: *x = ox; *y = oy; break;
	case PROV_PDQ_ROT90: *x = w - 1 - oy; *y = ox; break;
	case PROV_PDQ_ROT180: *x = w - 1 - ox; *y = h - 1 - oy; break;
	case PROV_PDQ_ROT270: *x = oy; *y = h - 1 - ox; break;
	case PROV_PDQ_FLIPX: *x = ox; *y = h - 1 - oy; break;
	case PROV_PDQ_FLIPY: *x = w - 1 - ox; *y = oy; break;
	case PROV_PDQ_FLIPPLUS1: *x = oy; *y = ox; break;
	default: *x = w - 1 - oy; *y = h - 1 - ox; break;
	}
}

/* The variants from the coefficients and from the bits alone both land
 * near the hash of the really transformed pixels, far from the others;
 * the bits variant of the inverse undoes a variant exactly. */
DEFINE_TEST(test_pdq_dihedral_variants_find_transformed_pixels)
{
	enum { W = 320, H = 240 };
	struct prov_err e = { 0 };
	struct prov_pdq h, fromdct[8], frombits[8], t, back[8];
	static struct prov_pdq_dct dct_s;
	static float img[W * H], out[W * H];
	struct prov_pdq_dct *dct = &dct_s;
	int v, x, y, sx, sy;

	/* An asymmetric picture: a ramp, a bright blob, a dark bar. */
	for (y = 0; y < H; y++)
		for (x = 0; x < W; x++) {
			float dx = (float)x - 80.0f, dy = (float)y - 60.0f;
			float val = 60.0f + 0.25f * (float)x + 0.1f * (float)y + 120.0f * expf(-(dx * dx + dy * dy) / 1600.0f);

			if (y > 170 && x > 190 && x < 290)
				val = 20.0f;
			img[y * W + x] = val > 255.0f ? 255.0f : val;
		}
	assert_ok(prov_pdq_luma(img, W, H, &h, dct, &e));
	assert_true(h.quality >= 50);
	prov_pdq_dihedral(dct, fromdct);
	prov_pdq_dihedral_hash(&h, frombits);
	assert_eq_int(prov_pdq_distance(&frombits[0], &h), 0);
	for (v = 0; v < 8; v++) {
		int tw = v == PROV_PDQ_ROT90 || v == PROV_PDQ_ROT270 || v >= PROV_PDQ_FLIPPLUS1 ? H : W;
		int th = tw == W ? H : W, u;

		for (y = 0; y < th; y++)
			for (x = 0; x < tw; x++) {
				dihedral_src(v, W, H, x, y, &sx, &sy);
				out[y * tw + x] = img[sy * W + sx];
			}
		assert_ok(prov_pdq_luma(out, (uint32_t)tw, (uint32_t)th, &t, NULL, &e));
		for (u = 0; u < 8; u++) {
			/* Found at PDQ's threshold; the reference's own
			 * variants are this far off on sharp edges too. */
			if (u == v) {
				assert_true(prov_pdq_distance(&fromdct[u], &t) <= 31);
				assert_true(prov_pdq_distance(&frombits[u], &t) <= 31);
			} else {
				assert_true(prov_pdq_distance(&frombits[u], &t) > 90);
			}
		}
		/* Undoing: the inverse's variant of variant v is the original. */
		prov_pdq_dihedral_hash(&frombits[v], back);
		assert_eq_int(prov_pdq_distance(&back[prov_pdq_variant_inverse(v)], &h), 0);
		assert_true(prov_pdq_variant_name(v) != NULL);
	}
	assert_true(prov_pdq_variant_name(8) == NULL);
	assert_eq_str(prov_pdq_variant_name(PROV_PDQ_FLIPY), "flipy");
}
