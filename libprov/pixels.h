/*
 * pixels.h: the image description of pixels.c shared with the format
 * modules (internal to libprov, not API).
 */
#ifndef PROV_PIXELS_H
#define PROV_PIXELS_H

#include <jansson.h>

#include "prov.h"

/*
 * Sets "pdq" in obj, and "pdq_trimmed" (with "box") when the colour has
 * uniform borders, for the colour channels of layer ("<layer>.R", ...;
 * NULL or "" for the unprefixed ones) as prov_pdq_image() hashes them.
 * Returns PROV_OK; PROV_WARN, obj and e untouched, when the layer has no
 * full-resolution R, G, B or Y (nothing to hash); PROV_FAILED with e set
 * when out of memory.  Thread-safe.
 */
int prov_image_pdq_add(const struct prov_image *img, const char *layer, json_t *obj,
    struct prov_err *e);

/* An IEEE half as the float of the same value (exact: every half is one). */
float prov_half_to_float(uint16_t h);

#endif
