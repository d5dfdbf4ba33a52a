/*
 * image.c: the decoded image model shared by decoders and hashers.
 *
 * Plane reuse.  A thread that fingerprints frame after frame allocates the
 * same few multi-megabyte planes for every frame.  glibc serves such
 * blocks from fresh mappings (or trims them back to the kernel on free), so
 * each frame paid a page fault per 4 KiB of every plane: for a 1080p JPEG
 * that cost more than decoding it.  prov_image_release() therefore keeps a
 * thread's large planes (at least PLANE_MIN bytes) in a small per-thread
 * cache, up to PLANE_SLOTS buffers and PLANE_BYTES bytes, and
 * prov_image_add_channel() takes a cached buffer of a fitting size (at most
 * 1/8 larger than asked, or no larger than a new huge-page-rounded plane of
 * that size, below) before it allocates.  The cache holds ordinary
 * malloc blocks, so code that frees a channel's data itself stays correct;
 * a buffer is zeroed when handed out again, as calloc would.  The cache is
 * freed when its thread exits, or by prov_image_planes_release().  Nothing
 * is shared between threads and no malloc setting is changed.
 *
 * A new plane of at least PLANE_HUGE bytes is allocated on a 2 MiB
 * boundary, its size rounded up to 2 MiB, and advised as a transparent
 * huge page candidate (madvise: a hint, ignored where unsupported): its
 * first touch then faults a few 2 MiB pages instead of 512 pages per
 * 2 MiB, which is most of the first frame's cost in a one-frame run.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "prov.h"
#include "banned.h"

#define PLANE_MIN ((size_t)256 << 10)
#define PLANE_SLOTS 8
#define PLANE_BYTES ((size_t)256 << 20)
#define PLANE_HUGE ((size_t)1 << 20)
#define HUGE_PAGE ((size_t)2 << 20)

struct plane_cache {
	unsigned n;			/* buffers held, oldest first */
	size_t bytes;
	void *buf[PLANE_SLOTS];
	size_t size[PLANE_SLOTS];	/* malloc_usable_size() of each */
};

static __thread struct plane_cache *planes;
static pthread_key_t planes_key;
static pthread_once_t planes_once = PTHREAD_ONCE_INIT;
static int planes_key_ok;

static void
planes_free(struct plane_cache *pc)
{
	unsigned i;

	for (i = 0; i < pc->n; i++)
		free(pc->buf[i]);
	free(pc);
}

/* Thread exit: the key's value is the exiting thread's cache. */
static void
planes_destructor(void *arg)
{
	planes_free(arg);
	planes = NULL;
}

static void
planes_key_init(void)
{
	planes_key_ok = pthread_key_create(&planes_key, planes_destructor) == 0;
}

void
prov_image_planes_release(void)
{
	struct plane_cache *pc = planes;

	if (pc == NULL)
		return;
	planes = NULL;
	if (planes_key_ok)
		pthread_setspecific(planes_key, NULL);
	planes_free(pc);
}

static void
plane_drop(struct plane_cache *pc, unsigned i)
{
	pc->bytes -= pc->size[i];
	pc->n--;
	memmove(pc->buf + i, pc->buf + i + 1, (pc->n - i) * sizeof(pc->buf[0]));
	memmove(pc->size + i, pc->size + i + 1, (pc->n - i) * sizeof(pc->size[0]));
}

/* Gives buffer p back: cached when large, else (or when the cache cannot
 * be set up) freed. */
static void
plane_put(void *p)
{
	struct plane_cache *pc = planes;
	size_t size;

	if (p == NULL)
		return;
	size = malloc_usable_size(p);
	if (size < PLANE_MIN || size > PLANE_BYTES) {
		free(p);
		return;
	}
	if (pc == NULL) {
		pthread_once(&planes_once, planes_key_init);
		if (!planes_key_ok || (pc = calloc(1, sizeof(*pc))) == NULL) {
			free(p);
			return;
		}
		if (pthread_setspecific(planes_key, pc) != 0) {
			free(pc);
			free(p);
			return;
		}
		planes = pc;
	}
	while (pc->n > 0 && (pc->n == PLANE_SLOTS || pc->bytes + size > PLANE_BYTES)) {
		free(pc->buf[0]);
		plane_drop(pc, 0);
	}
	pc->buf[pc->n] = p;
	pc->size[pc->n++] = size;
	pc->bytes += size;
}

/* A zeroed buffer of n bytes (n >= 1): a cached one that fits, else a new
 * one. */
static void *
plane_get(size_t n)
{
	struct plane_cache *pc = planes;
	unsigned i, best = PLANE_SLOTS;
	void *p;

	if (pc != NULL && n >= PLANE_MIN) {
		/* At most 1/8 larger than asked, or no larger than a new
		 * plane of n bytes would be: rounded up to 2 MiB, plus up to
		 * 2 MiB that malloc_usable_size() counts in front of an
		 * aligned mapping.  Without the latter a 1080p half or 16-bit
		 * plane (4147200 bytes) never fitted its own cached buffer
		 * and every frame faulted in new planes. */
		size_t limit = n + n / 8;

		if (n >= PLANE_HUGE && n <= SIZE_MAX / 2 - 2 * HUGE_PAGE &&
		    ((n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1)) + HUGE_PAGE > limit)
			limit = ((n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1)) + HUGE_PAGE;
		for (i = 0; i < pc->n; i++)
			if (pc->size[i] >= n && pc->size[i] <= limit &&
			    (best == PLANE_SLOTS || pc->size[i] < pc->size[best]))
				best = i;
		if (best != PLANE_SLOTS) {
			p = pc->buf[best];
			plane_drop(pc, best);
			return memset(p, 0, n);
		}
	}
	if (n >= PLANE_HUGE && n <= SIZE_MAX - HUGE_PAGE) {
		size_t size = (n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);

		if ((p = aligned_alloc(HUGE_PAGE, size)) != NULL) {
#ifdef MADV_HUGEPAGE
			(void)madvise(p, size, MADV_HUGEPAGE);
#endif
			return memset(p, 0, n);
		}
	}
	return prov_xcalloc(n, 1);
}

void
prov_image_init(struct prov_image *img)
{
	memset(img, 0, sizeof(*img));
	img->orientation = 1;
}

void
prov_image_release(struct prov_image *img)
{
	unsigned c;

	for (c = 0; c < img->nchannels; c++) {
		free(img->channels[c].name);
		plane_put(img->channels[c].data);
	}
	free(img->channels);
	prov_image_init(img);
}

size_t
prov_sample_size(enum prov_sample type)
{
	switch (type) {
	case PROV_SAMPLE_U8:
	case PROV_SAMPLE_I8:
		return 1;
	case PROV_SAMPLE_U16:
	case PROV_SAMPLE_I16:
	case PROV_SAMPLE_HALF:
		return 2;
	case PROV_SAMPLE_U32:
	case PROV_SAMPLE_I32:
	case PROV_SAMPLE_F32:
		return 4;
	case PROV_SAMPLE_F64:
	case PROV_SAMPLE_U64:
	case PROV_SAMPLE_I64:
		return 8;
	}
	return 0;
}

static size_t
subsampled(uint32_t n, int s)
{
	return s > 1 ? ((size_t)n + (size_t)s - 1) / (size_t)s : n;
}

size_t
prov_channel_samples(const struct prov_image *img, unsigned c)
{
	const struct prov_channel *ch = &img->channels[c];

	return subsampled(img->width, ch->x_sampling) *
	    subsampled(img->height, ch->y_sampling);
}

int
prov_image_find(const struct prov_image *img, const char *name)
{
	unsigned c;

	for (c = 0; c < img->nchannels; c++)
		if (strcmp(img->channels[c].name, name) == 0)
			return (int)c;
	return -1;
}

int
prov_image_add_channel(struct prov_image *img, const char *name,
    enum prov_sample type, unsigned bits, int xs, int ys,
    const struct prov_limits *lim, struct prov_err *e)
{
	uint64_t pixels = (uint64_t)img->width * img->height;
	struct prov_channel *ch;
	size_t n, size = prov_sample_size(type);

	if (img->width == 0 || img->height == 0)
		return prov_seterr(e, PROV_FAILED, 0, "image has no pixels");
	if (lim != NULL && pixels > lim->max_pixels)
		return prov_seterr(e, PROV_FAILED, 0,
		    "%ux%u image exceeds the limit of %llu pixels (--max-pixels)",
		    img->width, img->height, (unsigned long long)lim->max_pixels);
	if (xs < 1 || ys < 1 || size == 0)
		return prov_seterr(e, PROV_FAILED, 0, "channel %s: bad sampling", name);
	n = subsampled(img->width, xs) * subsampled(img->height, ys);
	if (n > SIZE_MAX / size)
		return prov_seterr(e, PROV_FAILED, 0, "channel %s: too large", name);
	img->channels = prov_xrealloc(img->channels,
	    (img->nchannels + 1) * sizeof(*img->channels));
	ch = &img->channels[img->nchannels++];
	ch->name = prov_xstrdup(name);
	ch->type = type;
	ch->bits = bits ? bits : (unsigned)(size * 8);
	ch->x_sampling = xs;
	ch->y_sampling = ys;
	ch->data = plane_get(n * size);
	return PROV_OK;
}
