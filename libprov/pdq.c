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
 *     64 sampled columns, its vertical filter runs over those 64 columns;
 *   - the whole pipeline is streamed (pdq_core()): luma rows are made on
 *     demand from the source, so no image-sized buffer is allocated; the
 *     working set is a few dozen rows and stays in cache.
 *
 * Input conversion (what the reference leaves undefined, schemas/pdq-v1.md):
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
#include "pixels.h"
#include "banned.h"

#define DIM 64

/* ------------------------------------------------------------ box filter */

/* Window of the box filter along a dimension of n samples: ceil(n / 128). */
static int
window_size(uint32_t n)
{
	return (int)((n + 2 * DIM - 1) / (2 * DIM));
}

#define NR 8	/* rows filtered side by side */

#if defined(__SSE2__)
#define PDQ_SSE 1
#include <emmintrin.h>

/*
 * The steady phase of the row filter (add the entering sample, subtract the
 * leaving one, divide by the window) for NR = 8 rows, 4 steps at a time in
 * SSE lanes: lane r of lo/hi is row r (0-3) / r + 4 (4-7), so each lane
 * does exactly the scalar code's operations on its row's sum, in its
 * order; 4x4 transposes turn 4 samples of 4 rows into 4 steps of 4 lanes
 * and back.  Runs up to steps whole groups of 4 and returns the steps
 * done; sum[] is read and written back.
 *
 * Full output (box_rows): out[r][oi + j] = sum / w for every step j.
 * Sampled output (box_rows_sampled: out == NULL): at the steps whose
 * column oi + j equals cols[*k], sout[r * 64 + *k] = sum / w, as EMIT.
 */
static int
steady8(const float *const in[NR], float sum[NR], float fw, int steps, int ri,
    int li, float *const out[NR], int oi, float *sout, const int *cols, int *k)
{
	__m128 lo = _mm_loadu_ps(sum), hi = _mm_loadu_ps(sum + 4);
	const __m128 vw = _mm_set1_ps(fw);
	int i, j, r;

	for (i = 0; i + 4 <= steps; i += 4) {
		__m128 a[8], b[8], q[8];

		for (r = 0; r < NR; r++) {
			a[r] = _mm_loadu_ps(in[r] + ri + i);
			b[r] = _mm_loadu_ps(in[r] + li + i);
		}
		_MM_TRANSPOSE4_PS(a[0], a[1], a[2], a[3]);
		_MM_TRANSPOSE4_PS(a[4], a[5], a[6], a[7]);
		_MM_TRANSPOSE4_PS(b[0], b[1], b[2], b[3]);
		_MM_TRANSPOSE4_PS(b[4], b[5], b[6], b[7]);
		if (out != NULL) {
			for (j = 0; j < 4; j++) {
				lo = _mm_sub_ps(_mm_add_ps(lo, a[j]), b[j]);
				hi = _mm_sub_ps(_mm_add_ps(hi, a[4 + j]), b[4 + j]);
				q[j] = _mm_div_ps(lo, vw);
				q[4 + j] = _mm_div_ps(hi, vw);
			}
			_MM_TRANSPOSE4_PS(q[0], q[1], q[2], q[3]);
			_MM_TRANSPOSE4_PS(q[4], q[5], q[6], q[7]);
			for (r = 0; r < NR; r++)
				_mm_storeu_ps(out[r] + oi + i, q[r]);
		} else if (*k >= DIM || cols[*k] >= oi + i + 4) {
			for (j = 0; j < 4; j++) {
				lo = _mm_sub_ps(_mm_add_ps(lo, a[j]), b[j]);
				hi = _mm_sub_ps(_mm_add_ps(hi, a[4 + j]), b[4 + j]);
			}
		} else {
			for (j = 0; j < 4; j++) {
				float s[NR];

				lo = _mm_sub_ps(_mm_add_ps(lo, a[j]), b[j]);
				hi = _mm_sub_ps(_mm_add_ps(hi, a[4 + j]), b[4 + j]);
				if (*k >= DIM || cols[*k] != oi + i + j)
					continue;
				_mm_storeu_ps(s, lo);
				_mm_storeu_ps(s + 4, hi);
				while (*k < DIM && cols[*k] == oi + i + j) {
					for (r = 0; r < NR; r++)
						sout[(size_t)r * DIM + *k] = s[r] / fw;
					(*k)++;
				}
			}
		}
	}
	_mm_storeu_ps(sum, lo);
	_mm_storeu_ps(sum + 4, hi);
	return i;
}
#endif

/*
 * nr <= NR rows at once, full output: per row the reference's box1DFloat.
 * Phase 1 primes the sum, phase 2 writes with a growing count, phase 3 adds
 * the new sample then subtracts the old one, phase 4 subtracts with a
 * shrinking count.  The rows' independent running sums overlap in the
 * pipeline; each row sees exactly the reference's operations.
 */
static void
box_rows(const float *const in[NR], float *const out[NR], int nr, int n, int w)
{
	int h = (w + 2) / 2, i, r, cnt = 0, li = 0, ri = 0, oi = 0;
	float sum[NR], fw = (float)w, fc;

	for (r = 0; r < NR; r++)
		sum[r] = 0.0f;
	for (i = 0; i < h - 1; i++, ri++) {
		for (r = 0; r < nr; r++)
			sum[r] += in[r][ri];
		cnt++;
	}
	for (i = 0; i < w - h + 1; i++, ri++, oi++) {
		cnt++;
		fc = (float)cnt;
		for (r = 0; r < nr; r++) {
			sum[r] += in[r][ri];
			out[r][oi] = sum[r] / fc;
		}
	}
	i = 0;
#ifdef PDQ_SSE
	if (nr == NR) {
		i = steady8(in, sum, fw, n - w, ri, li, out, oi, NULL, NULL, NULL);
		ri += i;
		li += i;
		oi += i;
	}
#endif
	for (; i < n - w; i++, ri++, li++, oi++) {
		for (r = 0; r < nr; r++) {
			sum[r] += in[r][ri];
			sum[r] -= in[r][li];
			out[r][oi] = sum[r] / fw;
		}
	}
	for (i = 0; i < h - 1; i++, li++, oi++) {
		cnt--;
		fc = (float)cnt;
		for (r = 0; r < nr; r++) {
			sum[r] -= in[r][li];
			out[r][oi] = sum[r] / fc;
		}
	}
}

/*
 * NR rows at once (or fewer: nr), output only at the sampled columns
 * cols[0..63] (ascending, may repeat) into out[r * 64 + k].  The running
 * sums are exactly those of box_rows(); only unused quotients are skipped.
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
	i = 0;
#ifdef PDQ_SSE
	if (nr == NR) {
		const float *rows[NR];

		for (r = 0; r < NR; r++)
			rows[r] = in + (size_t)r * n;
		i = steady8(rows, sum, fw, n - w, ri, li, NULL, oi, out, cols, &k);
		ri += i;
		li += i;
		oi += i;
	}
#endif
	for (; i < n - w; i++, ri++, li++, oi++) {
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
 * operations are those of box_rows() down the column.
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

/*
 * Where the core reads luma rows from: a float plane, interleaved 8-bit
 * pixels, or a decoded image (converted row by row, section 3 of
 * schemas/pdq-v1.md).  row() returns row y of the region (width floats),
 * either a pointer into the source or buf filled.
 */
struct luma_src {
	const float *(*row)(const struct luma_src *s, uint32_t y, float *buf);
	float (*px)(const struct luma_src *s, uint32_t x, uint32_t y);
	uint32_t width;			/* of the region */
	const float *plane;		/* plane: stride width */
	const unsigned char *rgb;	/* 8-bit: stride pw pixels of nchan */
	unsigned nchan;
	const struct prov_image *img;	/* image: channels r, g, b or y */
	int r, g, b, y;
	int64_t ox, oy;			/* data-window pixel of region (0, 0) */
	unsigned char *s8;		/* image: 3 * width bytes of scratch */
	size_t pw;			/* stride of the 8-bit source */
};

/*
 * The core, streamed: the first pass's row filter feeds a ring of wc + NR
 * rows, its column filter runs over the ring one output row at a time (one
 * running sum per column, in the reference's order per column), every NR
 * output rows go through the second pass's row filter, sampled at the 64
 * columns, and the second column filter runs over those 64 columns.  The
 * working set is about (wc + 2 NR) rows, so nothing large is allocated or
 * touched twice: no page faults on big buffers, no cache misses.
 */
static int
pdq_core(const struct luma_src *src, uint32_t width, uint32_t height,
    struct prov_pdq *out, struct prov_pdq_dct *dct, struct prov_err *e)
{
	int W = (int)width, H = (int)height, rows[DIM], cols[DIM];
	int wr, wc, C, i, j, k, r, gsum, made = 0, h, cnt = 0, li = 0, ri = 0, oi = 0;
	int nb = 0, bstart = 0;
	float *mem, *ring, *inb, *bat, *sum, *cmp, *tmp2, *o, fw, fc;
	const float *a, *bb, *in[NR];
	float *outp[NR];
	float g[DIM][DIM], t[16][DIM], c[256];
	size_t nfl;

	memset(out, 0, sizeof(*out));
	if (dct != NULL)
		memset(dct, 0, sizeof(*dct));
	if (width < 5 || height < 5)
		return PROV_OK;
	if (width > INT32_MAX / 4 || height > INT32_MAX / 4)
		return prov_seterr(e, PROV_FAILED, 0, "pdq: image too large");
	wr = window_size(width);
	wc = window_size(height);
	C = wc + NR;
	/* ring C*W, source rows NR*W, batch NR*W, sums, cmp and tmp2 H*64 */
	nfl = ((size_t)C + 2 * NR) * (size_t)W + (size_t)(W > DIM ? W : DIM) +
	    2 * (size_t)H * DIM;
	if (nfl > SIZE_MAX / sizeof(float) || (mem = malloc(nfl * sizeof(float))) == NULL)
		return prov_seterr(e, PROV_FAILED, ENOMEM, "pdq: out of memory");
	ring = mem;
	inb = ring + (size_t)C * W;
	bat = inb + (size_t)NR * W;
	sum = bat + (size_t)NR * W;
	cmp = sum + (W > DIM ? W : DIM);
	tmp2 = cmp + (size_t)H * DIM;
	dct_init();
	for (i = 0; i < DIM; i++) {
		rows[i] = (int)(((i + 0.5) * H) / DIM);
		cols[i] = (int)(((i + 0.5) * W) / DIM);
	}

#define RING(x) (ring + (size_t)((x) % C) * W)
	/* Pass 1 rows: makes ring rows up to x, NR at a time.  A batch
	 * overwrites rows at most x + NR - 1 - C = x - wc - 1, which the
	 * column filter has already subtracted. */
#define FILL(x) \
	while (made <= (x)) { \
		int nr_ = H - made < NR ? H - made : NR; \
		for (r = 0; r < nr_; r++) { \
			in[r] = src->row(src, (uint32_t)(made + r), inb + (size_t)r * W); \
			outp[r] = RING(made + r); \
		} \
		box_rows(in, outp, nr_, W, wr); \
		made += nr_; \
	}
	/* Pass 2 rows over each NR rows of pass 1 columns. */
#define EMIT() \
	if (++nb == NR || oi + 1 == H) { \
		box_rows_sampled(bat, cmp + (size_t)bstart * DIM, nb, W, wr, cols); \
		bstart += nb; \
		nb = 0; \
	}
	/* Pass 1 columns, as box_cols() with rows from the ring. */
	h = (wc + 2) / 2;
	fw = (float)wc;
	for (j = 0; j < W; j++)
		sum[j] = 0.0f;
	for (i = 0; i < h - 1; i++, ri++) {
		FILL(ri)
		a = RING(ri);
		for (j = 0; j < W; j++)
			sum[j] += a[j];
		cnt++;
	}
	for (i = 0; i < wc - h + 1; i++, ri++, oi++) {
		FILL(ri)
		a = RING(ri);
		o = bat + (size_t)nb * W;
		cnt++;
		fc = (float)cnt;
		for (j = 0; j < W; j++) {
			sum[j] += a[j];
			o[j] = sum[j] / fc;
		}
		EMIT()
	}
	for (i = 0; i < H - wc; i++, ri++, li++, oi++) {
		FILL(ri)
		a = RING(ri);
		bb = RING(li);
		o = bat + (size_t)nb * W;
		for (j = 0; j < W; j++) {
			sum[j] += a[j];
			sum[j] -= bb[j];
			o[j] = sum[j] / fw;
		}
		EMIT()
	}
	for (i = 0; i < h - 1; i++, li++, oi++) {
		bb = RING(li);
		o = bat + (size_t)nb * W;
		cnt--;
		fc = (float)cnt;
		for (j = 0; j < W; j++) {
			sum[j] -= bb[j];
			o[j] = sum[j] / fc;
		}
		EMIT()
	}
#undef EMIT
#undef FILL
#undef RING
	/* Pass 2 columns over the 64 sampled columns. */
	box_cols(cmp, tmp2, H, DIM, wc, sum);
	for (i = 0; i < DIM; i++)
		for (j = 0; j < DIM; j++)
			g[i][j] = tmp2[(size_t)rows[i] * DIM + j];
	free(mem);

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
			float sacc = 0.0f;
			for (k = 0; k < DIM; k++)
				sacc += dct_matrix[i][k] * g[k][j];
			t[i][j] = sacc;
		}
	for (i = 0; i < 16; i++)
		for (j = 0; j < 16; j++) {
			float sacc = 0.0f;
			for (k = 0; k < DIM; k++)
				sacc += t[i][k] * dct_matrix[j][k];
			c[i * 16 + j] = sacc;
		}
	bits_from_dct(c, out);
	if (dct != NULL) {
		memcpy(dct->c, c, sizeof(c));
		dct->quality = out->quality;
	}
	return PROV_OK;
}

static const float *
plane_row(const struct luma_src *s, uint32_t y, float *buf)
{
	(void)buf;
	return s->plane + (size_t)y * s->width;
}

static float
plane_px(const struct luma_src *s, uint32_t x, uint32_t y)
{
	return s->plane[(size_t)y * s->width + x];
}

int
prov_pdq_luma(const float *luma, uint32_t width, uint32_t height,
    struct prov_pdq *out, struct prov_pdq_dct *dct, struct prov_err *e)
{
	struct luma_src src;

	memset(&src, 0, sizeof(src));
	src.row = plane_row;
	src.px = plane_px;
	src.width = width;
	src.plane = luma;
	return pdq_core(&src, width, height, out, dct, e);
}

/* ------------------------------------------------------ dihedral variants */

/* Where coefficient (u, w) of the original goes in variant var, and
 * whether it changes sign there: the reference's dihedral table. */
static void
variant_map(int var, int u, int w, int *tr, int *neg)
{
	*tr = 0;
	*neg = 0;
	switch (var) {
	case PROV_PDQ_ORIGINAL: break;
	case PROV_PDQ_ROT90: *tr = 1; *neg = w % 2 == 0; break;
	case PROV_PDQ_ROT180: *neg = (u + w) % 2 == 1; break;
	case PROV_PDQ_ROT270: *tr = 1; *neg = u % 2 == 0; break;
	case PROV_PDQ_FLIPX: *neg = u % 2 == 0; break;
	case PROV_PDQ_FLIPY: *neg = w % 2 == 0; break;
	case PROV_PDQ_FLIPPLUS1: *tr = 1; break;
	default: *tr = 1; *neg = (u + w) % 2 == 1; break;
	}
}

void
prov_pdq_dihedral(const struct prov_pdq_dct *dct, struct prov_pdq out[8])
{
	float v[256];
	int var, u, w, tr, neg;

	for (var = 0; var < 8; var++) {
		for (u = 0; u < 16; u++)
			for (w = 0; w < 16; w++) {
				float x = dct->c[u * 16 + w];

				variant_map(var, u, w, &tr, &neg);
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

void
prov_pdq_dihedral_hash(const struct prov_pdq *h, struct prov_pdq out[8])
{
	int var, u, w, tr, neg, bit;

	for (var = 0; var < 8; var++) {
		memset(out[var].w, 0, sizeof(out[var].w));
		for (u = 0; u < 16; u++)
			for (w = 0; w < 16; w++) {
				variant_map(var, u, w, &tr, &neg);
				bit = ((h->w[u] >> w) & 1) ^ neg;
				if (tr)
					out[var].w[w] |= (uint16_t)(bit << u);
				else
					out[var].w[u] |= (uint16_t)(bit << w);
			}
		out[var].quality = h->quality;
	}
}

const char *
prov_pdq_variant_name(int var)
{
	static const char *const names[8] = {
		"original", "rot90", "rot180", "rot270",
		"flipx", "flipy", "flipplus1", "flipminus1"
	};

	return var >= 0 && var < 8 ? names[var] : NULL;
}

int
prov_pdq_variant_inverse(int var)
{
	return var == PROV_PDQ_ROT90 ? PROV_PDQ_ROT270 : var == PROV_PDQ_ROT270 ? PROV_PDQ_ROT90 : var;
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

/* The reference's luma of one 8-bit pixel. */
static float
luma8(const unsigned char *p, unsigned nchan)
{
	if (nchan < 3)
		return (float)p[0];
	return 0.299f * (float)p[0] + 0.587f * (float)p[1] + 0.114f * (float)p[2];
}

static const float *
rgb8_row(const struct luma_src *s, uint32_t y, float *buf)
{
	const unsigned char *p = s->rgb + (size_t)y * s->pw * s->nchan;
	uint32_t x;

	for (x = 0; x < s->width; x++)
		buf[x] = luma8(p + (size_t)x * s->nchan, s->nchan);
	return buf;
}

int
prov_pdq_rgb8(const unsigned char *px, uint32_t width, uint32_t height,
    unsigned nchan, struct prov_pdq *out, struct prov_pdq_dct *dct,
    struct prov_err *e)
{
	struct luma_src src;

	if (nchan != 1 && nchan != 3 && nchan != 4)
		return prov_seterr(e, PROV_FAILED, 0, "pdq: %u channels", nchan);
	memset(&src, 0, sizeof(src));
	src.row = rgb8_row;
	src.width = width;
	src.rgb = px;
	src.pw = width;
	src.nchan = nchan;
	return pdq_core(&src, width, height, out, dct, e);
}

/* ------------------------------------------------- decoded images (v1) */

/*
 * What prov hashes for a decoded image is specified in schemas/pdq-v1.md:
 * every sample is first brought to an 8-bit display value, then luma is
 * computed from those values exactly as from an 8-bit file, so an image and
 * its faithful 8-bit export give the same luma plane.
 */

/* IEEE half to float, exactly (every half is a float); see pixels.h. */
float
prov_half_to_float(uint16_t h)
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
		float f = prov_half_to_float((uint16_t)k);

		half_lin8[k] = lin8(f);
		half_disp8[k] = disp8(f);
	}
	__atomic_store_n(&conv_ready, 1, __ATOMIC_RELEASE);
}

/* 64-bit integers as 32-bit ones, the product v * 255 in 128 bits. */
__extension__ typedef unsigned __int128 pdq_u128;

static void
to8_64(const struct prov_channel *ch, size_t off, size_t n, unsigned char *out)
{
	int sgn = ch->type == PROV_SAMPLE_I64;
	unsigned bits = ch->bits;
	uint64_t max, v;
	size_t i;

	if (bits < 2 || bits > 64)
		bits = 64;
	if (sgn)
		max = (UINT64_C(1) << (bits - 1)) - 1;
	else
		max = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
	for (i = 0; i < n; i++) {
		if (sgn) {
			int64_t s = ((const int64_t *)ch->data)[off + i];

			if (s <= 0) {
				out[i] = 0;
				continue;
			}
			v = (uint64_t)s;
		} else {
			v = ((const uint64_t *)ch->data)[off + i];
		}
		out[i] = v >= max ? 255 :
		    (unsigned char)(((pdq_u128)v * 255 + max / 2) / max);
	}
}

/* Samples off..off+n-1 of channel ch as 8-bit display values. */
static void
to8(const struct prov_channel *ch, enum prov_transfer tf, size_t off, size_t n,
    unsigned char *out)
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
		if (ch->type == PROV_SAMPLE_U8 && bits == 8) {
			memcpy(out, (const uint8_t *)ch->data + off, n);
			break;
		}
		if (ch->type == PROV_SAMPLE_U16 && bits == 16) {
			/* 16-bit frames (PNG, TIFF): the same rounding with a
			 * constant 32-bit divisor, which the compiler turns into
			 * a multiplication (v * 255 + 32767 < 2^24). */
			const uint16_t *d = (const uint16_t *)ch->data + off;
			for (i = 0; i < n; i++)
				out[i] = (unsigned char)(((uint32_t)d[i] * 255u + 32767u) /
				    65535u);
			break;
		}
		if (max <= 0xffff) {
			/* Narrower samples: 32-bit arithmetic suffices. */
			uint32_t m = (uint32_t)max;
			for (i = 0; i < n; i++) {
				uint32_t v = ch->type == PROV_SAMPLE_U8 ?
				    ((const uint8_t *)ch->data)[off + i] :
				    ch->type == PROV_SAMPLE_U16 ?
				    ((const uint16_t *)ch->data)[off + i] :
				    ((const uint32_t *)ch->data)[off + i];
				out[i] = v >= m ? 255 : (unsigned char)((v * 255u + m / 2) / m);
			}
			break;
		}
		for (i = 0; i < n; i++) {
			uint64_t v = ch->type == PROV_SAMPLE_U8 ? ((const uint8_t *)ch->data)[off + i] :
			    ch->type == PROV_SAMPLE_U16 ? ((const uint16_t *)ch->data)[off + i] :
			    ((const uint32_t *)ch->data)[off + i];
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
			int64_t v = ch->type == PROV_SAMPLE_I8 ? ((const int8_t *)ch->data)[off + i] :
			    ch->type == PROV_SAMPLE_I16 ? ((const int16_t *)ch->data)[off + i] :
			    ((const int32_t *)ch->data)[off + i];
			out[i] = v <= 0 ? 0 : (uint64_t)v >= max ? 255 :
			    (unsigned char)(((uint64_t)v * 255 + max / 2) / max);
		}
		break;
	case PROV_SAMPLE_HALF: {
		const unsigned char *lut = tf == PROV_TRANSFER_LINEAR ? half_lin8 : half_disp8;

		for (i = 0; i < n; i++)
			out[i] = lut[((const uint16_t *)ch->data)[off + i]];
		break;
	}
	case PROV_SAMPLE_F32:
		for (i = 0; i < n; i++) {
			double x = ((const float *)ch->data)[off + i];
			out[i] = tf == PROV_TRANSFER_LINEAR ? lin8(x) : disp8(x);
		}
		break;
	case PROV_SAMPLE_F64:
		for (i = 0; i < n; i++) {
			double x = ((const double *)ch->data)[off + i];
			out[i] = tf == PROV_TRANSFER_LINEAR ? lin8(x) : disp8(x);
		}
		break;
	case PROV_SAMPLE_U64:
	case PROV_SAMPLE_I64:
		to8_64(ch, off, n, out);
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

/* Samples off..off+n-1 of channel c as 8-bit display values: the
 * channel's own bytes when it holds 8-bit samples, else scratch filled. */
static const unsigned char *
row8(const struct luma_src *s, int c, size_t off, size_t n, unsigned char *scratch)
{
	const struct prov_channel *ch = &s->img->channels[c];

	if (ch->type == PROV_SAMPLE_U8 && (ch->bits == 0 || ch->bits >= 8))
		return (const unsigned char *)ch->data + off;
	to8(ch, s->img->transfer, off, n, scratch);
	return scratch;
}

/*
 * Row y of an image region: data-window pixels where the region overlaps
 * the data window, 0 elsewhere.
 */
static const float *
image_row(const struct luma_src *s, uint32_t y, float *buf)
{
	const struct prov_image *img = s->img;
	int64_t dy = (int64_t)y + s->oy, xa, xb, x;
	size_t off, n, W = s->width;

	xa = s->ox < 0 ? -s->ox : 0;			/* region x of data x 0 */
	xb = (int64_t)img->width - s->ox;		/* region x past the data */
	if (xb > (int64_t)W)
		xb = (int64_t)W;
	if (dy < 0 || dy >= (int64_t)img->height || xa >= xb) {
		memset(buf, 0, W * sizeof(float));
		return buf;
	}
	for (x = 0; x < xa; x++)
		buf[x] = 0.0f;
	for (x = xb; x < (int64_t)W; x++)
		buf[x] = 0.0f;
	off = (size_t)dy * img->width + (size_t)(xa + s->ox);
	n = (size_t)(xb - xa);
	if (s->r >= 0) {
		const unsigned char *r8 = row8(s, s->r, off, n, s->s8);
		const unsigned char *g8 = row8(s, s->g, off, n, s->s8 + W);
		const unsigned char *b8 = row8(s, s->b, off, n, s->s8 + 2 * W);

		for (x = 0; x < (int64_t)n; x++)
			buf[xa + x] = 0.299f * (float)r8[x] + 0.587f * (float)g8[x] +
			    0.114f * (float)b8[x];
	} else {
		const unsigned char *y8 = row8(s, s->y, off, n, s->s8);

		for (x = 0; x < (int64_t)n; x++)
			buf[xa + x] = (float)y8[x];
	}
	return buf;
}

/* One pixel of an image region, the same value image_row() gives. */
static float
image_px(const struct luma_src *s, uint32_t x, uint32_t y)
{
	const struct prov_image *img = s->img;
	int64_t dx = (int64_t)x + s->ox, dy = (int64_t)y + s->oy;
	unsigned char v[3];
	size_t off;

	if (dx < 0 || dy < 0 || dx >= (int64_t)img->width || dy >= (int64_t)img->height)
		return 0.0f;
	off = (size_t)dy * img->width + (size_t)dx;
	if (s->r < 0) {
		to8(&img->channels[s->y], img->transfer, off, 1, v);
		return (float)v[0];
	}
	to8(&img->channels[s->r], img->transfer, off, 1, v);
	to8(&img->channels[s->g], img->transfer, off, 1, v + 1);
	to8(&img->channels[s->b], img->transfer, off, 1, v + 2);
	return 0.299f * (float)v[0] + 0.587f * (float)v[1] + 0.114f * (float)v[2];
}

#define DISPLAY_MAX ((uint64_t)64 << 20)	/* pixels of a display window */

/*
 * The region hashed (schemas/pdq-v1.md section 1): the display window when
 * it differs from the data window and is of a sane size, else the data
 * window.  Sets the region's size and its offset into the data window.
 */
static void
region(const struct prov_image *img, uint32_t *w, uint32_t *h, int64_t *ox, int64_t *oy)
{
	const int32_t *dw = img->data_window, *dp = img->display_window;
	int64_t W = (int64_t)dp[2] - dp[0] + 1, H = (int64_t)dp[3] - dp[1] + 1;

	*w = img->width;
	*h = img->height;
	*ox = *oy = 0;
	if (memcmp(dw, dp, 4 * sizeof(dw[0])) == 0 || W < 1 || H < 1 ||
	    (uint64_t)W * (uint64_t)H > DISPLAY_MAX ||
	    (uint64_t)W * (uint64_t)H > 16 * (uint64_t)img->width * img->height)
		return;
	/* A data window that does not match width x height is not trusted. */
	if ((int64_t)dw[2] - dw[0] + 1 != img->width || (int64_t)dw[3] - dw[1] + 1 != img->height)
		return;
	*w = (uint32_t)W;
	*h = (uint32_t)H;
	*ox = (int64_t)dp[0] - dw[0];
	*oy = (int64_t)dp[1] - dw[1];
}

/* Sets up src over img's region; PROV_WARN when there is nothing to hash. */
static int
image_src(const struct prov_image *img, const char *layer, struct luma_src *src,
    uint32_t *w, uint32_t *h, struct prov_err *e)
{
	memset(src, 0, sizeof(*src));
	src->img = img;
	src->r = find_layer(img, layer, "R");
	src->g = find_layer(img, layer, "G");
	src->b = find_layer(img, layer, "B");
	src->y = find_layer(img, layer, "Y");
	if (img->width == 0 || img->height == 0)
		return prov_seterr(e, PROV_WARN, 0, "pdq: empty image");
	if (!(full_res(img, src->r) && full_res(img, src->g) && full_res(img, src->b)))
		src->r = -1;
	if (src->r < 0 && !full_res(img, src->y))
		return prov_seterr(e, PROV_WARN, 0, "pdq: no full-resolution R, G, B or Y channel");
	region(img, w, h, &src->ox, &src->oy);
	if ((src->s8 = malloc(3 * (size_t)*w)) == NULL)
		return prov_seterr(e, PROV_FAILED, ENOMEM, "pdq: out of memory");
	conv_init();
	src->row = image_row;
	src->px = image_px;
	src->width = *w;
	return PROV_OK;
}

int
prov_pdq_image_luma(const struct prov_image *img, const char *layer, float **luma,
    uint32_t *width, uint32_t *height, struct prov_err *e)
{
	struct luma_src src;
	uint32_t W, H, y;
	float *l;
	const float *row;
	int rc;

	*luma = NULL;
	if ((rc = image_src(img, layer, &src, &W, &H, e)) != PROV_OK)
		return rc;
	if ((uint64_t)W * H > SIZE_MAX / sizeof(float) ||
	    (l = malloc((size_t)W * H * sizeof(float))) == NULL) {
		free(src.s8);
		return prov_seterr(e, PROV_FAILED, ENOMEM, "pdq: out of memory");
	}
	for (y = 0; y < H; y++) {
		row = image_row(&src, y, l + (size_t)y * W);
		(void)row;
	}
	free(src.s8);
	*luma = l;
	*width = W;
	*height = H;
	return PROV_OK;
}

/* ----------------------------------------------------- uniform borders */

#define TRIM_TOL 12.0f	/* luma levels a bar may vary by (JPEG noise) */

static int
near(float v, float ref)
{
	return v >= ref - TRIM_TOL && v <= ref + TRIM_TOL;
}

/* Whether row y, columns [x0, x1), lies within the tolerance of ref. */
static int
row_near(const struct luma_src *s, uint32_t y, uint32_t x0, uint32_t x1, float ref)
{
	uint32_t x;

	for (x = x0; x < x1; x++)
		if (!near(s->px(s, x, y), ref))
			return 0;
	return 1;
}

/*
 * schemas/pdq-v1.md section 5.  Rows are tested pixel by pixel with an
 * early exit, columns as the shortest run of near pixels from each side
 * over the remaining rows, so an image without bars costs a few pixels.
 */
static int
borders(const struct luma_src *s, uint32_t width, uint32_t height, uint32_t box[4])
{
	uint32_t x0 = 0, y0 = 0, x1 = width, y1 = height;	/* half-open */
	uint32_t minw, minh, bw, bh, y, left, right, run, mid;
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
	ref = s->px(s, width / 2, 0);
	if (row_near(s, 0, 0, width, ref))
		while (y1 - y0 > minh && row_near(s, y0, 0, width, ref))
			y0++;
	ref = s->px(s, width / 2, height - 1);
	if (row_near(s, height - 1, 0, width, ref))
		while (y1 - y0 > minh && row_near(s, y1 - 1, 0, width, ref))
			y1--;
	/* Columns over the rows that remain; the reference value of a side is
	 * its pixel on the middle remaining row. */
	mid = y0 + (y1 - y0) / 2;
	ref = s->px(s, 0, mid);
	left = width;
	for (y = y0; y < y1 && left > 0; y++) {
		for (run = 0; run < left && near(s->px(s, run, y), ref); run++)
			;
		left = run;
	}
	x0 = left < width - minw ? left : width - minw;
	ref = s->px(s, width - 1, mid);
	right = width;
	for (y = y0; y < y1 && right > 0; y++) {
		for (run = 0; run < right && near(s->px(s, width - 1 - run, y), ref); run++)
			;
		right = run;
	}
	x1 = width - right > x0 + minw ? width - right : x0 + minw;
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
prov_pdq_borders(const float *luma, uint32_t width, uint32_t height, uint32_t box[4])
{
	struct luma_src src;

	memset(&src, 0, sizeof(src));
	src.row = plane_row;
	src.px = plane_px;
	src.width = width;
	src.plane = luma;
	return borders(&src, width, height, box);
}

int
prov_pdq_image(const struct prov_image *img, const char *layer, struct prov_pdq *out,
    struct prov_pdq *trimmed, uint32_t box[4], struct prov_err *e)
{
	struct luma_src src;
	uint32_t bx[4], W, H;
	int rc;

	memset(out, 0, sizeof(*out));
	if (trimmed != NULL) {
		memset(trimmed, 0, sizeof(*trimmed));
		trimmed->quality = -1;
	}
	if ((rc = image_src(img, layer, &src, &W, &H, e)) != PROV_OK)
		return rc;
	rc = pdq_core(&src, W, H, out, NULL, e);
	if (rc == PROV_OK && trimmed != NULL && borders(&src, W, H, bx)) {
		/* The same source, moved to the box (the scratch is wide enough). */
		src.ox += bx[0];
		src.oy += bx[1];
		src.width = bx[2] - bx[0] + 1;
		rc = pdq_core(&src, src.width, bx[3] - bx[1] + 1, trimmed, NULL, e);
		if (box != NULL)
			memcpy(box, bx, sizeof(bx));
	}
	free(src.s8);
	return rc;
}
