/*
 * pdq.c: the PDQ perceptual hash, bit-exact with Meta's reference C++ code
 * (ThreatExchange, pdq/cpp) in the full-resolution convention: the hashing
 * core runs on the decoded pixels at their own size.
 *
 * The arithmetic follows the reference step by step (single-precision
 * floats, the same summation orders, the same box-filter running sums and
 * sampling positions).  This file is built with -ffp-contract=off and
 * without fast-math (see the Makefile).  What differs is only the order in
 * which independent work is done, never the order of the operations on one
 * value:
 *   - the vertical box filter streams row by row through one running sum
 *     per column (the reference walks each column top to bottom, which
 *     touches a new cache line per sample);
 *   - the horizontal filter runs several rows side by side so that their
 *     independent running sums overlap in the pipeline;
 *   - the second pass produces only what the 64x64 decimation samples:
 *     its horizontal filter keeps every running sum but divides only at the
 *     64 sampled columns, its vertical filter runs over those 64 columns.
 *
 * Input conversion (what the reference leaves undefined, see DESIGN.md):
 * 8-bit samples as they are; other integer samples scaled to 8 bits by
 * their significant bits, v * 255 / (2^bits - 1) rounded to nearest (the
 * reference keeps the low byte of 16-bit samples, which is meaningless);
 * float samples of a scene-linear image (EXR) through the display transform
 * clamp to [0,1], sRGB transfer function, * 255 rounded to nearest; alpha
 * ignored; orientation not applied (the stored pixels are hashed, as the
 * reference does; the orientation is recorded beside the hash).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "prov.h"
#include "banned.h"

#define DIM 64

/* ------------------------------------------------------------ box filter */

/* Window of the box filter along a dimension of n samples: ceil(n / 128). */
static int
window_size(uint32_t n)
{
	return (int)((n + 2 * DIM - 1) / (2 * DIM));
}

/*
 * One row, full output.  The reference's box1DFloat: phase 1 primes the sum,
 * phase 2 writes with a growing count, phase 3 adds the new sample then
 * subtracts the old one, phase 4 subtracts with a shrinking count.
 */
static void
box_row(const float *in, float *out, int n, int w)
{
	int h = (w + 2) / 2, i, cnt = 0, li = 0, ri = 0, oi = 0;
	float sum = 0.0f, fw = (float)w;

	for (i = 0; i < h - 1; i++) {
		sum += in[ri++];
		cnt++;
	}
	for (i = 0; i < w - h + 1; i++) {
		sum += in[ri++];
		cnt++;
		out[oi++] = sum / (float)cnt;
	}
	for (i = 0; i < n - w; i++) {
		sum += in[ri++];
		sum -= in[li++];
		out[oi++] = sum / fw;
	}
	for (i = 0; i < h - 1; i++) {
		sum -= in[li++];
		cnt--;
		out[oi++] = sum / (float)cnt;
	}
}

#define NR 8	/* rows filtered side by side */

/* NR rows (stride n) at once, full output: the same operations per row. */
static void
box_rows8(const float *in, float *out, int n, int w)
{
	int h = (w + 2) / 2, i, r, cnt = 0, li = 0, ri = 0, oi = 0;
	float sum[NR], fw = (float)w, fc;

	for (r = 0; r < NR; r++)
		sum[r] = 0.0f;
	for (i = 0; i < h - 1; i++, ri++) {
		for (r = 0; r < NR; r++)
			sum[r] += in[(size_t)r * n + ri];
		cnt++;
	}
	for (i = 0; i < w - h + 1; i++, ri++, oi++) {
		cnt++;
		fc = (float)cnt;
		for (r = 0; r < NR; r++) {
			sum[r] += in[(size_t)r * n + ri];
			out[(size_t)r * n + oi] = sum[r] / fc;
		}
	}
	for (i = 0; i < n - w; i++, ri++, li++, oi++) {
		for (r = 0; r < NR; r++) {
			sum[r] += in[(size_t)r * n + ri];
			sum[r] -= in[(size_t)r * n + li];
			out[(size_t)r * n + oi] = sum[r] / fw;
		}
	}
	for (i = 0; i < h - 1; i++, li++, oi++) {
		cnt--;
		fc = (float)cnt;
		for (r = 0; r < NR; r++) {
			sum[r] -= in[(size_t)r * n + li];
			out[(size_t)r * n + oi] = sum[r] / fc;
		}
	}
}

/*
 * NR rows at once (or fewer: nr), output only at the sampled columns
 * cols[0..63] (ascending, may repeat) into out[r * 64 + k].  The running
 * sums are exactly those of box_row(); only unused quotients are skipped.
 */
static void
box_rows_sampled(const float *in, float *out, int nr, int n, int w,
    const int cols[DIM])
{
	int h = (w + 2) / 2, i, r, cnt = 0, li = 0, ri = 0, oi = 0, k = 0;
	float sum[NR], fw = (float)w;

	for (r = 0; r < NR; r++)
		sum[r] = 0.0f;
#define EMIT(div) \
	while (k < DIM && cols[k] == oi) { \
		for (r = 0; r < nr; r++) \
			out[(size_t)r * DIM + k] = sum[r] / (div); \
		k++; \
	}
	for (i = 0; i < h - 1; i++, ri++) {
		for (r = 0; r < nr; r++)
			sum[r] += in[(size_t)r * n + ri];
		cnt++;
	}
	for (i = 0; i < w - h + 1; i++, ri++, oi++) {
		for (r = 0; r < nr; r++)
			sum[r] += in[(size_t)r * n + ri];
		cnt++;
		EMIT((float)cnt)
	}
	for (i = 0; i < n - w; i++, ri++, li++, oi++) {
		for (r = 0; r < nr; r++) {
			sum[r] += in[(size_t)r * n + ri];
			sum[r] -= in[(size_t)r * n + li];
		}
		EMIT(fw)
	}
	for (i = 0; i < h - 1; i++, li++, oi++) {
		for (r = 0; r < nr; r++)
			sum[r] -= in[(size_t)r * n + li];
		cnt--;
		EMIT((float)cnt)
	}
#undef EMIT
}

/*
 * The vertical filter over an nrows x ncols plane, row by row through one
 * running sum per column (sum[], ncols floats of scratch).  Per column the
 * operations are those of box_row() down the column.
 */
static void
box_cols(const float *in, float *out, int nrows, int ncols, int w, float *sum)
{
	int h = (w + 2) / 2, i, j, cnt = 0, li = 0, ri = 0, oi = 0;
	float fw = (float)w, fc;
	const float *a, *b;
	float *o;

	for (j = 0; j < ncols; j++)
		sum[j] = 0.0f;
	for (i = 0; i < h - 1; i++, ri++) {
		a = in + (size_t)ri * ncols;
		for (j = 0; j < ncols; j++)
			sum[j] += a[j];
		cnt++;
	}
	for (i = 0; i < w - h + 1; i++, ri++, oi++) {
		a = in + (size_t)ri * ncols;
		o = out + (size_t)oi * ncols;
		cnt++;
		fc = (float)cnt;
		for (j = 0; j < ncols; j++) {
			sum[j] += a[j];
			o[j] = sum[j] / fc;
		}
	}
	for (i = 0; i < nrows - w; i++, ri++, li++, oi++) {
		a = in + (size_t)ri * ncols;
		b = in + (size_t)li * ncols;
		o = out + (size_t)oi * ncols;
		for (j = 0; j < ncols; j++) {
			sum[j] += a[j];
			sum[j] -= b[j];
			o[j] = sum[j] / fw;
		}
	}
	for (i = 0; i < h - 1; i++, li++, oi++) {
		b = in + (size_t)li * ncols;
		o = out + (size_t)oi * ncols;
		cnt--;
		fc = (float)cnt;
		for (j = 0; j < ncols; j++) {
			sum[j] -= b[j];
			o[j] = sum[j] / fc;
		}
	}
}

/* ------------------------------------------------------- DCT and median */

static float dct_matrix[16][DIM];
static int dct_ready;

static void
dct_init(void)
{
	/* Benign race: every thread computes the same values. */
	float scale = (float)sqrt(2.0 / DIM);
	int i, j;

	if (__atomic_load_n(&dct_ready, __ATOMIC_ACQUIRE))
		return;
	for (i = 0; i < 16; i++)
		for (j = 0; j < DIM; j++)
			dct_matrix[i][j] = (float)(scale *
			    cos((M_PI / 2 / 64.0) * (i + 1) * (2 * j + 1)));
	__atomic_store_n(&dct_ready, 1, __ATOMIC_RELEASE);
}

static int
cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

/* Bits from a 16x16 coefficient matrix: 1 iff above the lower median. */
static void
bits_from_dct(const float c[256], struct prov_pdq *out)
{
	float sorted[256], median;
	int k;

	memcpy(sorted, c, sizeof(sorted));
	qsort(sorted, 256, sizeof(float), cmp_float);
	median = sorted[127];
	memset(out->w, 0, sizeof(out->w));
	for (k = 0; k < 256; k++)
		if (c[k] > median)
			out->w[k >> 4] |= (uint16_t)(1u << (k & 15));
}

/* ------------------------------------------------------------ the core */

int
prov_pdq_luma(const float *luma, uint32_t width, uint32_t height,
    struct prov_pdq *out, struct prov_pdq_dct *dct, struct prov_err *e)
{
	int W = (int)width, H = (int)height, rows[DIM], cols[DIM];
	int wr, wc, i, j, k, gsum;
	float *tmp = NULL, *blur = NULL, *cmp = NULL, *sum = NULL;
	float g[DIM][DIM], t[16][DIM], c[256];
	size_t n;

	memset(out, 0, sizeof(*out));
	if (dct != NULL)
		memset(dct, 0, sizeof(*dct));
	if (width < 5 || height < 5)
		return PROV_OK;
	if (width > INT32_MAX / 2 || height > INT32_MAX / 2 ||
	    (uint64_t)width * height > SIZE_MAX / (2 * sizeof(float)))
		return prov_seterr(e, PROV_FAILED, 0, "pdq: image too large");
	n = (size_t)width * height;
	/* tmp also holds the second vertical pass: height x max(width, 64). */
	tmp = malloc((size_t)height * (width > DIM ? width : DIM) * sizeof(float));
	blur = malloc(n * sizeof(float));
	cmp = malloc((size_t)height * DIM * sizeof(float));
	sum = malloc((size_t)(width > DIM ? width : DIM) * sizeof(float));
	if (tmp == NULL || blur == NULL || cmp == NULL || sum == NULL) {
		free(tmp); free(blur); free(cmp); free(sum);
		return prov_seterr(e, PROV_FAILED, ENOMEM, "pdq: out of memory");
	}
	dct_init();
	wr = window_size(width);
	wc = window_size(height);
	for (i = 0; i < DIM; i++) {
		rows[i] = (int)(((i + 0.5) * H) / DIM);
		cols[i] = (int)(((i + 0.5) * W) / DIM);
	}

	/* Pass 1: rows (luma -> tmp), columns (tmp -> blur). */
	for (i = 0; i + NR <= H; i += NR)
		box_rows8(luma + (size_t)i * W, tmp + (size_t)i * W, W, wr);
	for (; i < H; i++)
		box_row(luma + (size_t)i * W, tmp + (size_t)i * W, W, wr);
	box_cols(tmp, blur, H, W, wc, sum);
	/* Pass 2: rows at the sampled columns (blur -> cmp), then columns. */
	for (i = 0; i < H; i += NR)
		box_rows_sampled(blur + (size_t)i * W, cmp + (size_t)i * DIM,
		    H - i < NR ? H - i : NR, W, wr, cols);
	box_cols(cmp, tmp, H, DIM, wc, sum);
	for (i = 0; i < DIM; i++)
		for (j = 0; j < DIM; j++)
			g[i][j] = tmp[(size_t)rows[i] * DIM + j];
	free(tmp); free(blur); free(cmp); free(sum);

	/* Quality: truncated gradients, vertical pairs then horizontal. */
	gsum = 0;
	for (i = 0; i < DIM - 1; i++)
		for (j = 0; j < DIM; j++) {
			int d = (int)(((g[i][j] - g[i + 1][j]) * 100) / 255);
			gsum += abs(d);
		}
	for (i = 0; i < DIM; i++)
		for (j = 0; j < DIM - 1; j++) {
			int d = (int)(((g[i][j] - g[i][j + 1]) * 100) / 255);
			gsum += abs(d);
		}
	out->quality = gsum / 90 > 100 ? 100 : gsum / 90;

	/* DCT: T = D g, C = T D^T, float accumulators, k ascending. */
	for (i = 0; i < 16; i++)
		for (j = 0; j < DIM; j++) {
			float s = 0.0f;
			for (k = 0; k < DIM; k++)
				s += dct_matrix[i][k] * g[k][j];
			t[i][j] = s;
		}
	for (i = 0; i < 16; i++)
		for (j = 0; j < 16; j++) {
			float s = 0.0f;
			for (k = 0; k < DIM; k++)
				s += t[i][k] * dct_matrix[j][k];
			c[i * 16 + j] = s;
		}
	bits_from_dct(c, out);
	if (dct != NULL) {
		memcpy(dct->c, c, sizeof(c));
		dct->quality = out->quality;
	}
	return PROV_OK;
}

/* ------------------------------------------------------ dihedral variants */

void
prov_pdq_dihedral(const struct prov_pdq_dct *dct, struct prov_pdq out[8])
{
	float v[256];
	int var, u, w;

	for (var = 0; var < 8; var++) {
		for (u = 0; u < 16; u++)
			for (w = 0; w < 16; w++) {
				float x = dct->c[u * 16 + w];
				int neg = 0, tr = 0;

				switch (var) {
				case PROV_PDQ_ORIGINAL: break;
				case PROV_PDQ_ROT90: tr = 1; neg = w % 2 == 0; break;
				case PROV_PDQ_ROT180: neg = (u + w) % 2 == 1; break;
				case PROV_PDQ_ROT270: tr = 1; neg = u % 2 == 0; break;
				case PROV_PDQ_FLIPX: neg = u % 2 == 0; break;
				case PROV_PDQ_FLIPY: neg = w % 2 == 0; break;
				case PROV_PDQ_FLIPPLUS1: tr = 1; break;
				default: tr = 1; neg = (u + w) % 2 == 1; break;
				}
				if (neg)
					x = -x;
				if (tr)
					v[w * 16 + u] = x;
				else
					v[u * 16 + w] = x;
			}
		bits_from_dct(v, &out[var]);
		out[var].quality = dct->quality;
	}
}

/* ------------------------------------------------------------ text, distance */

void
prov_pdq_format(const struct prov_pdq *h, char out[PROV_PDQ_HEX + 1])
{
	static const char hx[] = "0123456789abcdef";
	int i, k, p = 0;

	for (i = 15; i >= 0; i--)
		for (k = 12; k >= 0; k -= 4)
			out[p++] = hx[(h->w[i] >> k) & 15];
	out[p] = '\0';
}

int
prov_pdq_parse(const char *text, struct prov_pdq *h)
{
	int i, k, p = 0;

	memset(h, 0, sizeof(*h));
	if (text == NULL || strlen(text) != PROV_PDQ_HEX)
		return -1;
	for (i = 15; i >= 0; i--)
		for (k = 12; k >= 0; k -= 4) {
			int c = text[p++], d;

			if (c >= '0' && c <= '9')
				d = c - '0';
			else if (c >= 'a' && c <= 'f')
				d = c - 'a' + 10;
			else if (c >= 'A' && c <= 'F')
				d = c - 'A' + 10;
			else
				return -1;
			h->w[i] |= (uint16_t)(d << k);
		}
	return 0;
}

int
prov_pdq_distance(const struct prov_pdq *a, const struct prov_pdq *b)
{
	uint64_t x[4], y[4];
	int i, d = 0;

	memcpy(x, a->w, sizeof(x));
	memcpy(y, b->w, sizeof(y));
	for (i = 0; i < 4; i++)
		d += __builtin_popcountll(x[i] ^ y[i]);
	return d;
}

/* --------------------------------------------------------- 8-bit inputs */

int
prov_pdq_rgb8(const unsigned char *px, uint32_t width, uint32_t height,
    unsigned nchan, struct prov_pdq *out, struct prov_pdq_dct *dct,
    struct prov_err *e)
{
	float *luma;
	size_t i, n;
	int rc;

	if (nchan != 1 && nchan != 3 && nchan != 4)
		return prov_seterr(e, PROV_FAILED, 0, "pdq: %u channels", nchan);
	if ((uint64_t)width * height > SIZE_MAX / (4 * sizeof(float)))
		return prov_seterr(e, PROV_FAILED, 0, "pdq: image too large");
	n = (size_t)width * height;
	if ((luma = malloc((n ? n : 1) * sizeof(float))) == NULL)
		return prov_seterr(e, PROV_FAILED, ENOMEM, "pdq: out of memory");
	for (i = 0; i < n; i++) {
		const unsigned char *p = px + i * nchan;

		if (nchan == 1)
			luma[i] = (float)p[0];
		else
			luma[i] = 0.299f * (float)p[0] + 0.587f * (float)p[1] +
			    0.114f * (float)p[2];
	}
	rc = prov_pdq_luma(luma, width, height, out, dct, e);
	free(luma);
	return rc;
}
