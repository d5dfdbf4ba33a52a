/*
 * bare_tiff.c: the baseline for bench-raster.sh: decodes every strip or tile
 * of every page of each TIFF named on the command line with libtiff
 * (TIFFReadEncodedStrip/Tile into one buffer, reused from page to page and
 * file to file) and nothing else.  TIFFOpen maps the file, as prov-fp does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <tiffio.h>

int
main(int argc, char **argv)
{
	unsigned char *buf = NULL;
	tmsize_t have = 0;
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

			if (size <= 0) {
				status = 1;
				continue;
			}
			if (size > have) {
				free(buf);
				if ((buf = malloc((size_t)size)) == NULL) {
					perror("malloc");
					return 2;
				}
				have = size;
			}
			for (k = 0; k < n; k++) {
				tmsize_t got = tiled ? TIFFReadEncodedTile(tif, k, buf, size)
				    : TIFFReadEncodedStrip(tif, k, buf, size);

				if (got < 0)
					status = 1;
			}
		} while (TIFFReadDirectory(tif));
		TIFFClose(tif);
	}
	free(buf);
	return status;
}
