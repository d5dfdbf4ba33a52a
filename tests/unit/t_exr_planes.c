/*
 * t_exr_planes.c: frame after frame, a thread gets its image planes back
 * from the plane cache (libprov/image.c) instead of faulting in new ones;
 * a 1080p RGBA half EXR or 16-bit RGB frame has planes of 4147200 bytes,
 * allocated on 2 MiB boundaries.
 */
#include <stdlib.h>
#include <string.h>

#include "test.h"

static void
frame(struct prov_image *img, enum prov_sample t, unsigned n, uint32_t w, uint32_t h)
{
	static const char *const names[4] = { "R", "G", "B", "A" };
	struct prov_limits lim;
	struct prov_err e = { 0 };
	unsigned c;

	prov_limits_default(&lim);
	prov_image_init(img);
	img->width = w;
	img->height = h;
	for (c = 0; c < n; c++)
		assert_ok(prov_image_add_channel(img, names[c], t, 0, 1, 1, &lim, &e));
}

DEFINE_TEST(test_exr_planes_reused_frame_after_frame)
{
	static const struct { enum prov_sample t; unsigned n; uint32_t w, h; } sizes[] = {
		{ PROV_SAMPLE_HALF, 4, 1920, 1080 },	/* EXR RGBA half */
		{ PROV_SAMPLE_U16, 3, 1920, 1080 },	/* 16-bit PNG, TIFF */
		{ PROV_SAMPLE_F32, 4, 1920, 1080 },	/* deep EXR flattened */
		{ PROV_SAMPLE_U8, 3, 2048, 858 },	/* JPEG */
	};
	struct prov_image img;
	void *first[4];
	unsigned k, c, hits;

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		prov_image_planes_release();
		frame(&img, sizes[k].t, sizes[k].n, sizes[k].w, sizes[k].h);
		for (c = 0; c < img.nchannels; c++) {
			first[c] = img.channels[c].data;
			/* dirty it: a reused plane must come back zeroed */
			memset(img.channels[c].data, 0x5a,
			    prov_channel_samples(&img, c) * prov_sample_size(sizes[k].t));
		}
		prov_image_release(&img);
		frame(&img, sizes[k].t, sizes[k].n, sizes[k].w, sizes[k].h);
		hits = 0;
		for (c = 0; c < img.nchannels; c++) {
			const unsigned char *d = img.channels[c].data;
			size_t len = prov_channel_samples(&img, c) * prov_sample_size(sizes[k].t);
			unsigned i;

			for (i = 0; i < sizes[k].n; i++)
				hits += d == first[i];
			assert_true(d[0] == 0 && d[len / 2] == 0 && d[len - 1] == 0);
		}
		failure("frame %u: %u of %u planes reused", k, hits, sizes[k].n);
		assert_eq_int(hits, sizes[k].n);
		prov_image_release(&img);
	}
	prov_image_planes_release();
}
