/*
 * bare_png.c: the baseline for bench-raster.sh: decodes each PNG named on
 * the command line with libpng into one interleaved buffer (16-bit samples
 * byte-swapped to host order, as prov does) and nothing else.
 */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
	int i, status = 0;

	for (i = 1; i < argc; i++) {
		FILE *fp = fopen(argv[i], "rb");
		png_structp png;
		png_infop info;
		png_bytep *volatile rows = NULL;	/* set after setjmp */
		unsigned char *volatile buf = NULL;
		png_uint_32 h, y;
		size_t rb;

		if (fp == NULL) {
			perror(argv[i]);
			return 2;
		}
		png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
		info = png_create_info_struct(png);
		if (setjmp(png_jmpbuf(png))) {
			fprintf(stderr, "%s: decode failed\n", argv[i]);
			status = 1;
			goto next;
		}
		png_init_io(png, fp);
		png_read_info(png, info);
		png_set_expand(png);
		if (png_get_bit_depth(png, info) == 16)
			png_set_swap(png);
		png_set_interlace_handling(png);
		png_read_update_info(png, info);
		h = png_get_image_height(png, info);
		rb = png_get_rowbytes(png, info);
		buf = malloc(rb * h);
		rows = malloc(h * sizeof(*rows));
		for (y = 0; y < h; y++)
			rows[y] = buf + rb * y;
		png_read_image(png, rows);
		png_read_end(png, NULL);
next:
		png_destroy_read_struct(&png, &info, NULL);
		free(buf);
		free(rows);
		fclose(fp);
	}
	return status;
}
