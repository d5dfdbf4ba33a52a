/*
 * raster.h: helpers shared by the PNG, TIFF and JPEG modules (internal to
 * libprov, not API): text from files into "meta", and a bounded EXIF reader.
 */
#ifndef PROV_RASTER_H
#define PROV_RASTER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Sets meta[key] to the text s[0..len), cut at the first NUL and stripped of
 * trailing white space; kept as is when it is valid UTF-8, else read as
 * Latin-1 and converted.  Empty values are skipped.  When key is already
 * set, the new value is appended after a newline. */
void prov_raster_meta_text(json_t *meta, const char *key, const char *s, size_t len);
/* As above, but s is Latin-1 whatever it looks like (PNG tEXt, zTXt). */
void prov_raster_meta_latin1(json_t *meta, const char *key, const char *s, size_t len);

/*
 * Reads an EXIF block (a TIFF structure: "II*\0" or "MM\0*", optionally
 * preceded by "Exif\0\0") and sets in meta the string fields that tell who,
 * where and with what: ImageDescription, Make, Model, Software, DateTime,
 * Artist, HostComputer, Copyright from IFD0, DateTimeOriginal, OffsetTime,
 * OffsetTimeOriginal, CameraOwnerName, BodySerialNumber from the EXIF IFD,
 * and GPSLatitude/GPSLongitude ("d m s" with N/S/E/W) from the GPS IFD.
 * Every offset is checked against len; at most 3 IFDs of 512 entries are
 * read.  Returns the Orientation (1..8) when present, else 0.
 */
int prov_exif_meta(const unsigned char *p, size_t len, json_t *meta);

#endif
