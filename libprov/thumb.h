/*
 * thumb.h: the per-thread observer of decoded images through which
 * report.c takes thumbnails of flagged frames with the format modules'
 * own decoders (internal to libprov, not API).
 */
#ifndef PROV_THUMB_H
#define PROV_THUMB_H

#include "prov.h"

/* Shows img to the calling thread's observer, if one is set (report.c
 * sets one only while it decodes a file for a thumbnail).  Called by
 * prov_image_fingerprint() for every decoded image; costs one test of a
 * thread-local pointer otherwise. */
void thumb_observe(const struct prov_image *img);

#endif
