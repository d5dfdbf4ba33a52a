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

/* ------------------------------------------------- decoded images (v1) */

/*
 * What prov hashes for a decoded image is specified in schemas/pdq-v1.md:
 * every sample is first brought to an 8-bit display value, then luma is
 * computed from those values exactly as from an 8-bit file, so an image and
 * its faithful 8-bit export give the same luma plane.
 */

/* IEEE half to float, exactly (every half is a float). */
static float
half_to_float(uint16_t h)
{
	uint32_t s = (uint32_t)(h >> 15) << 31, ex = (h >> 10) & 31, m = h & 1023, u;
	float f;

	if (ex == 31)
		u = s | 0x7f800000u | (m << 13);
	else if (ex != 0)
		u = s | ((ex + 112) << 23) | (m << 13);
	else {
		/* Subnormal: m * 2^-24, exact in float. */
		f = (float)m * (1.0f / 16777216.0f);
		return s ? -f : f;
	}
	memcpy(&f, &u, sizeof(f));
	return f;
}

/*
 * The display transform of scene-linear values: clamp to [0, 1], the sRGB
 * transfer function (IEC 61966-2-1), times 255 rounded to nearest.  The
 * 8-bit value k is the count of thresholds t[0..254] at or below x, where
 * t[k] is the linear value whose encoding is exactly (k + 0.5) / 255; this
 * equals rounding the encoded value except within a rounding error of a
 * tie.  For display-referred floats (a float TIFF) the transform is clamp
 * and round only.
 */
static double srgb_thresh[255];
static unsigned char half_lin8[65536], half_disp8[65536];
static int conv_ready;

static double
srgb_decode(double v)
{
	return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
}

static unsigned char
lin8(double x)
{
	int lo = 0, hi = 255;

	if (!(x > 0.0))		/* also NaN */
		return 0;
	while (lo < hi) {	/* the number of thresholds <= x */
		int mid = (lo + hi) / 2;

		if (srgb_thresh[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (unsigned char)lo;
}

static unsigned char
disp8(double x)
{
	if (!(x > 0.0))
		return 0;
	if (x >= 1.0)
		return 255;
	return (unsigned char)(x * 255.0 + 0.5);
}

static void
conv_init(void)
{
	unsigned k;

	/* Benign race, as dct_init(): every thread writes the same values. */
	if (__atomic_load_n(&conv_ready, __ATOMIC_ACQUIRE))
		return;
	for (k = 0; k < 255; k++)
		srgb_thresh[k] = srgb_decode((k + 0.5) / 255.0);
	for (k = 0; k < 65536; k++) {
		float f = half_to_float((uint16_t)k);

		half_lin8[k] = lin8(f);
		half_disp8[k] = disp8(f);
	}
	__atomic_store_n(&conv_ready, 1, __ATOMIC_RELEASE);
}

/* Sample i of channel ch as an 8-bit display value. */
static void
to8(const struct prov_channel *ch, enum prov_transfer tf, size_t n, unsigned char *out)
{
	size_t i;
	unsigned bits = ch->bits;
	uint64_t max;

	switch (ch->type) {
	case PROV_SAMPLE_U8:
	case PROV_SAMPLE_U16:
	case PROV_SAMPLE_U32:
		if (bits == 0 || bits > prov_sample_size(ch->type) * 8)
			bits = (unsigned)prov_sample_size(ch->type) * 8;
		max = (1ull << bits) - 1;
		for (i = 0; i < n; i++) {
			uint64_t v = ch->type == PROV_SAMPLE_U8 ? ((const uint8_t *)ch->data)[i] :
			    ch->type == PROV_SAMPLE_U16 ? ((const uint16_t *)ch->data)[i] :
			    ((const uint32_t *)ch->data)[i];
			out[i] = v >= max ? 255 : (unsigned char)((v * 255 + max / 2) / max);
		}
		break;
	case PROV_SAMPLE_I8:
	case PROV_SAMPLE_I16:
	case PROV_SAMPLE_I32:
		/* Signed samples: 0 .. 2^(bits-1)-1 is the range; negatives are 0. */
		if (bits < 2 || bits > prov_sample_size(ch->type) * 8)
			bits = (unsigned)prov_sample_size(ch->type) * 8;
		max = (1ull << (bits - 1)) - 1;
		for (i = 0; i < n; i++) {
			int64_t v = ch->type == PROV_SAMPLE_I8 ? ((const int8_t *)ch->data)[i] :
			    ch->type == PROV_SAMPLE_I16 ? ((const int16_t *)ch->data)[i] :
			    ((const int32_t *)ch->data)[i];
			out[i] = v <= 0 ? 0 : (uint64_t)v >= max ? 255 :
			    (unsigned char)(((uint64_t)v * 255 + max / 2) / max);
		}
		break;
	case PROV_SAMPLE_HALF: {
		const unsigned char *lut = tf == PROV_TRANSFER_LINEAR ? half_lin8 : half_disp8;

		for (i = 0; i < n; i++)
			out[i] = lut[((const uint16_t *)ch->data)[i]];
		break;
	}
	case PROV_SAMPLE_F32:
		for (i = 0; i < n; i++) {
			double x = ((const float *)ch->data)[i];
			out[i] = tf == PROV_TRANSFER_LINEAR ? lin8(x) : disp8(x);
		}
		break;
	case PROV_SAMPLE_F64:
		for (i = 0; i < n; i++) {
			double x = ((const double *)ch->data)[i];
			out[i] = tf == PROV_TRANSFER_LINEAR ? lin8(x) : disp8(x);
		}
		break;
	}
}

/* Channel "<layer>.<name>", or "<name>" when layer is NULL or empty. */
static int
find_layer(const struct prov_image *img, const char *layer, const char *name)
{
	size_t ll = layer != NULL ? strlen(layer) : 0;
	unsigned c;

	if (ll == 0)
		return prov_image_find(img, name);
	for (c = 0; c < img->nchannels; c++) {
		const char *s = img->channels[c].name;

		if (strncmp(s, layer, ll) == 0 && s[ll] == '.' && strcmp(s + ll + 1, name) == 0)
			return (int)c;
	}
	return -1;
}

static int
full_res(const struct prov_image *img, int c)
{
	return c >= 0 && img->channels[c].x_sampling == 1 && img->channels[c].y_sampling == 1;
}

/* The luma of the data window's pixels, width*height. */
static int
data_luma(const struct prov_image *img, const char *layer, float **luma,
    struct prov_err *e)
{
	int r = find_layer(img, layer, "R"), g = find_layer(img, layer, "G"),
	    b = find_layer(img, layer, "B"), y = find_layer(img, layer, "Y");
	size_t n, i;
	unsigned char *p8;
	float *l;

	*luma = NULL;
	if (img->width == 0 || img->height == 0)
		return prov_seterr(e, PROV_WARN, 0, "pdq: empty image");
	if (!(full_res(img, r) && full_res(img, g) && full_res(img, b)))
		r = -1;
	if (r < 0 && !full_res(img, y))
		return prov_seterr(e, PROV_WARN, 0, "pdq: no full-resolution R, G, B or Y channel");
	if ((uint64_t)img->width * img->height > SIZE_MAX / (3 + sizeof(float)))
		return prov_seterr(e, PROV_FAILED, 0, "pdq: image too large");
	n = (size_t)img->width * img->height;
	p8 = malloc(n * (r >= 0 ? 3 : 1));
	l = malloc(n * sizeof(float));
	if (p8 == NULL || l == NULL) {
		free(p8);
		free(l);
		return prov_seterr(e, PROV_FAILED, ENOMEM, "pdq: out of memory");
	}
	conv_init();
	if (r >= 0) {
		to8(&img->channels[r], img->transfer, n, p8);
		to8(&img->channels[g], img->transfer, n, p8 + n);
		to8(&img->channels[b], img->transfer, n, p8 + 2 * n);
		for (i = 0; i < n; i++)
			l[i] = 0.299f * (float)p8[i] + 0.587f * (float)p8[n + i] +
			    0.114f * (float)p8[2 * n + i];
	} else {
		to8(&img->channels[y], img->transfer, n, p8);
		for (i = 0; i < n; i++)
			l[i] = (float)p8[i];
	}
	free(p8);
	*luma = l;
	return PROV_OK;
}

#define DISPLAY_MAX ((uint64_t)64 << 20)	/* pixels of a display window */

/*
 * The region hashed (schemas/pdq-v1.md section 1): the display window when
 * it differs from the data window and is of a sane size, else the data
 * window.  Returns 1 for the display window, its size in *w, *h.
 */
static int
use_display(const struct prov_image *img, uint32_t *w, uint32_t *h)
{
	const int32_t *dw = img->data_window, *dp = img->display_window;
	int64_t W = (int64_t)dp[2] - dp[0] + 1, H = (int64_t)dp[3] - dp[1] + 1;

	*w = img->width;
	*h = img->height;
	if (memcmp(dw, dp, 4 * sizeof(dw[0])) == 0 || W < 1 || H < 1 ||
	    (uint64_t)W * (uint64_t)H > DISPLAY_MAX ||
	    (uint64_t)W * (uint64_t)H > 16 * (uint64_t)img->width * img->height)
		return 0;
	/* A data window that does not match width x height is not trusted. */
	if ((int64_t)dw[2] - dw[0] + 1 != img->width || (int64_t)dw[3] - dw[1] + 1 != img->height)
		return 0;
	*w = (uint32_t)W;
	*h = (uint32_t)H;
	return 1;
}

int
prov_pdq_image_luma(const struct prov_image *img, const char *layer, float **luma,
    uint32_t *width, uint32_t *height, struct prov_err *e)
{
	const int32_t *dw = img->data_window, *dp = img->display_window;
	float *data, *out;
	uint32_t W, H;
	int64_t x0, x1, y, sx;
	int rc;

	*luma = NULL;
	if ((rc = data_luma(img, layer, &data, e)) != PROV_OK)
		return rc;
	if (!use_display(img, &W, &H)) {
		*luma = data;
		*width = img->width;
		*height = img->height;
		return PROV_OK;
	}
	if ((out = calloc((size_t)W * H, sizeof(float))) == NULL) {
		free(data);
		return prov_seterr(e, PROV_FAILED, ENOMEM, "pdq: out of memory");
	}
	/* The data window's columns x0..x1 inside the display window. */
	x0 = dw[0] > dp[0] ? dw[0] : dp[0];
	x1 = dw[2] < dp[2] ? dw[2] : dp[2];
	for (y = dw[1] > dp[1] ? dw[1] : dp[1]; y <= dw[3] && y <= dp[3] && x0 <= x1; y++) {
		sx = x0 - dw[0];
		memcpy(out + (size_t)(y - dp[1]) * W + (size_t)(x0 - dp[0]),
		    data + (size_t)(y - dw[1]) * img->width + (size_t)sx,
		    (size_t)(x1 - x0 + 1) * sizeof(float));
	}
	free(data);
	*luma = out;
	*width = W;
	*height = H;
	return PROV_OK;
}

/* ----------------------------------------------------- uniform borders */

#define TRIM_TOL 12.0f	/* luma levels a bar may vary by (JPEG noise) */

/* Whether n samples at stride st from p all lie within tol of ref. */
static int
line_within(const float *p, size_t n, size_t st, float ref)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i * st] < ref - TRIM_TOL || p[i * st] > ref + TRIM_TOL)
			return 0;
	return 1;
}

/* The middle value of an outer line, if the line is uniform, else -1. */
static float
line_ref(const float *p, size_t n, size_t st)
{
	float ref = p[(n / 2) * st];

	return line_within(p, n, st, ref) ? ref : -1.0f;
}

int
prov_pdq_borders(const float *luma, uint32_t width, uint32_t height, uint32_t box[4])
{
	size_t W = width, H = height;
	uint32_t x0 = 0, y0 = 0, x1 = width, y1 = height;	/* half-open */
	uint32_t minw, minh, bw, bh;
	float ref;

	box[0] = 0;
	box[1] = 0;
	box[2] = width ? width - 1 : 0;
	box[3] = height ? height - 1 : 0;
	if (width < 16 || height < 16)
		return 0;
	/* What must stay: a quarter of each side, and at least 16 pixels. */
	minw = width / 4 > 16 ? width / 4 : 16;
	minh = height / 4 > 16 ? height / 4 : 16;
	if ((ref = line_ref(luma, W, 1)) >= 0.0f)
		while (y1 - y0 > minh && line_within(luma + y0 * W, W, 1, ref))
			y0++;
	if ((ref = line_ref(luma + (H - 1) * W, W, 1)) >= 0.0f)
		while (y1 - y0 > minh && line_within(luma + (y1 - 1) * W, W, 1, ref))
			y1--;
	/* Columns over the rows that remain. */
	if ((ref = line_ref(luma + y0 * W, y1 - y0, W)) >= 0.0f)
		while (x1 - x0 > minw && line_within(luma + y0 * W + x0, y1 - y0, W, ref))
			x0++;
	if ((ref = line_ref(luma + y0 * W + W - 1, y1 - y0, W)) >= 0.0f)
		while (x1 - x0 > minw && line_within(luma + y0 * W + x1 - 1, y1 - y0, W, ref))
			x1--;
	/* Bars thinner than 1% of the side (and 2 pixels) are not bars. */
	bw = width / 100 > 2 ? width / 100 : 2;
	bh = height / 100 > 2 ? height / 100 : 2;
	if (x0 < bw)
		x0 = 0;
	if (width - x1 < bw)
		x1 = width;
	if (y0 < bh)
		y0 = 0;
	if (height - y1 < bh)
		y1 = height;
	if (x0 == 0 && y0 == 0 && x1 == width && y1 == height)
		return 0;
	/* All uniform: a blank image, nothing to trim to. */
	if (x1 - x0 <= minw && y1 - y0 <= minh)
		return 0;
	box[0] = x0;
	box[1] = y0;
	box[2] = x1 - 1;
	box[3] = y1 - 1;
	return 1;
}

int
prov_pdq_image(const struct prov_image *img, const char *layer, struct prov_pdq *out,
    struct prov_pdq *trimmed, uint32_t box[4], struct prov_err *e)
{
	float *luma, *crop;
	uint32_t bx[4], cw, ch, yy, W, H;
	int rc;

	memset(out, 0, sizeof(*out));
	if (trimmed != NULL) {
		memset(trimmed, 0, sizeof(*trimmed));
		trimmed->quality = -1;
	}
	if ((rc = prov_pdq_image_luma(img, layer, &luma, &W, &H, e)) != PROV_OK)
		return rc;
	rc = prov_pdq_luma(luma, W, H, out, NULL, e);
	if (rc == PROV_OK && trimmed != NULL && prov_pdq_borders(luma, W, H, bx)) {
		cw = bx[2] - bx[0] + 1;
		ch = bx[3] - bx[1] + 1;
		if ((crop = malloc((size_t)cw * ch * sizeof(float))) == NULL) {
			free(luma);
			return prov_seterr(e, PROV_FAILED, ENOMEM, "pdq: out of memory");
		}
		for (yy = 0; yy < ch; yy++)
			memcpy(crop + (size_t)yy * cw,
			    luma + (size_t)(bx[1] + yy) * W + bx[0], cw * sizeof(float));
		rc = prov_pdq_luma(crop, cw, ch, trimmed, NULL, e);
		free(crop);
		if (box != NULL)
			memcpy(box, bx, sizeof(bx));
	}
	free(luma);
	return rc;
}
