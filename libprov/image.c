/* image.c: the decoded image model shared by decoders and hashers. */
#include <stdlib.h>
#include <string.h>

#include "prov.h"
#include "banned.h"

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
		free(img->channels[c].data);
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
	ch->data = prov_xcalloc(n, size);
	return PROV_OK;
}
