/*
 * bare_tiff.c: the baseline for bench-raster.sh: decodes every strip or tile
 * of every page of each TIFF named on the command line with libtiff
 * (TIFFReadEncodedStrip/Tile into one buffer) and nothing else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <tiffio.h>

int
main(int argc, char **argv)
{
	int i, status = 0;

	TIFFSetWarningHandler(NULL);
	for (i = 1; i < argc; i++) {
		TIFF *tif = TIFFOpen(argv[i], "r");

		if (tif == NULL) {
			status = 1;
			continue;
		}
		do {
			int tiled = TIFFIsTiled(tif);
			uint32_t n = tiled ? TIFFNumberOfTiles(tif) : TIFFNumberOfStrips(tif), k;
			tmsize_t size = tiled ? TIFFTileSize(tif) : TIFFStripSize(tif);
			unsigned char *buf = malloc((size_t)size);

			for (k = 0; k < n; k++) {
				tmsize_t got = tiled ? TIFFReadEncodedTile(tif, k, buf, size)
				    : TIFFReadEncodedStrip(tif, k, buf, size);

				if (got < 0)
					status = 1;
			}
			free(buf);
		} while (TIFFReadDirectory(tif));
		TIFFClose(tif);
	}
	return status;
}
