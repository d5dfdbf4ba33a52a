/* t_raster.c: image planes reused between images, 64-bit integer samples. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

/* A 1024x512 image with one u8 channel (512 KiB: large enough to be kept). */
static int
plane_image(struct prov_image *img, struct prov_err *e)
{
	struct prov_limits lim;

	prov_limits_default(&lim);
	prov_image_init(img);
	img->width = 1024;
	img->height = 512;
	return prov_image_add_channel(img, "Y", PROV_SAMPLE_U8, 8, 1, 1, &lim, e);
}

DEFINE_TEST(test_image_planes_reused_and_zeroed)
{
	struct prov_image img;
	struct prov_err e;
	unsigned char *first;
	size_t i, n = 1024 * 512;
	int nonzero = 0;

	prov_image_planes_release();
	assert_ok(plane_image(&img, &e));
	first = img.channels[0].data;
	memset(first, 0xab, n);
	prov_image_release(&img);
	/* the same thread gets the same buffer back, zeroed as by calloc */
	assert_ok(plane_image(&img, &e));
	assert_true(img.channels[0].data == first);
	for (i = 0; i < n; i++)
		nonzero |= ((unsigned char *)img.channels[0].data)[i];
	assert_eq_int(nonzero, 0);
	/* a channel's data may still be freed by its owner: plain malloc */
	free(img.channels[0].data);
	img.channels[0].data = NULL;
	prov_image_release(&img);
	prov_image_planes_release();
	prov_image_planes_release();	/* twice, and on an empty cache: no-op */
}

/* A 1080p plane (over 1 MiB): allocated on a huge-page boundary, zeroed,
 * reused zeroed, and still an ordinary malloc block. */
DEFINE_TEST(test_image_planes_large_aligned)
{
	struct prov_limits lim;
	struct prov_image img;
	struct prov_err e;
	unsigned char *p;
	size_t i, n = 1920 * 1080 * 2;
	int nonzero = 0;

	prov_limits_default(&lim);
	prov_image_planes_release();
	prov_image_init(&img);
	img.width = 1920;
	img.height = 1080;
	assert_ok(prov_image_add_channel(&img, "R", PROV_SAMPLE_U16, 16, 1, 1, &lim, &e));
	p = img.channels[0].data;
	assert_true(((uintptr_t)p & ((2u << 20) - 1)) == 0);
	for (i = 0; i < n; i++)
		nonzero |= p[i];
	assert_eq_int(nonzero, 0);
	memset(p, 0x5a, n);
	prov_image_release(&img);
	img.width = 1920;
	img.height = 1080;
	assert_ok(prov_image_add_channel(&img, "G", PROV_SAMPLE_U16, 16, 1, 1, &lim, &e));
	assert_true(img.channels[0].data == p);
	for (i = 0; i < n; i++)
		nonzero |= p[i];
	assert_eq_int(nonzero, 0);
	free(img.channels[0].data);
	img.channels[0].data = NULL;
	prov_image_release(&img);
	prov_image_planes_release();
}

DEFINE_TEST(test_image_planes_small_or_misfit_not_reused)
{
	struct prov_limits lim;
	struct prov_image img;
	struct prov_err e;
	void *big;

	prov_limits_default(&lim);
	prov_image_planes_release();
	assert_ok(plane_image(&img, &e));
	big = img.channels[0].data;
	prov_image_release(&img);
	/* a quarter of the size: the cached block is too large to hand out */
	prov_image_init(&img);
	img.width = 512;
	img.height = 256;
	assert_ok(prov_image_add_channel(&img, "Y", PROV_SAMPLE_U8, 8, 1, 1, &lim, &e));
	assert_true(img.channels[0].data != big);
	prov_image_release(&img);
	/* still cached for a fitting request */
	assert_ok(plane_image(&img, &e));
	assert_true(img.channels[0].data == big);
	prov_image_release(&img);
	prov_image_planes_release();
}

static void *
thread_main(void *arg)
{
	struct prov_image img;
	struct prov_err e;

	(void)arg;
	/* fills this thread's cache; its exit must free it (LeakSanitizer) */
	if (plane_image(&img, &e) != PROV_OK)
		return NULL;
	prov_image_release(&img);
	return img.width == 0 ? (void *)1 : NULL;
}

DEFINE_TEST(test_image_planes_per_thread)
{
	struct prov_image img;
	struct prov_err e;
	pthread_t t;
	void *mine, *ret = NULL;

	prov_image_planes_release();
	assert_ok(plane_image(&img, &e));
	mine = img.channels[0].data;
	prov_image_release(&img);
	assert_eq_int(pthread_create(&t, NULL, thread_main, NULL), 0);
	assert_eq_int(pthread_join(t, &ret), 0);
	assert_true(ret != NULL);
	/* the other thread neither took nor freed this thread's buffer */
	assert_ok(plane_image(&img, &e));
	assert_true(img.channels[0].data == mine);
	prov_image_release(&img);
}
