/*
 * exr_dwa.h: the C face of the one C++ file (exr_dwa.cpp), which decodes the
 * parts OpenEXRCore 3.1.5 cannot (DWAA, DWAB), and those the C++ library
 * decodes faster or more faithfully (PIZ, subsampled channels; see use_cxx()
 * in fp_exr.c), with the OpenEXR C++ library.
 * Internal to libprov: not API.
 */
#ifndef PROV_EXR_DWA_H
#define PROV_EXR_DWA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One channel to fill: planar, row-major, tightly packed (as prov_image). */
struct prov_exr_dwa_chan {
	const char *name;	/* as in the file's channel list */
	int type;		/* 0 uint, 1 half, 2 float (exr_pixel_type_t) */
	int xs, ys;		/* sampling */
	void *data;		/* caller-owned, bytes bytes */
	size_t bytes;
};

/*
 * Decodes part `part` of the EXR file held in data[0..len) into the given
 * channels (the data window is checked against dw: xmin, ymin, xmax, ymax).
 * Returns 0 on success; on failure returns -1 with a message in err.
 * Every C++ exception stays inside.  The caller must have validated the
 * header and every chunk of the part with OpenEXRCore first (sizes and
 * offsets), so that nothing here allocates more than the image.
 * Thread-safe: no global state is touched (the C++ library's global thread
 * pool is left at its default of no threads).
 */
int prov_exr_dwa_decode(const unsigned char *data, size_t len, int part,
    const int32_t dw[4], unsigned nchan, struct prov_exr_dwa_chan *chans,
    char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
