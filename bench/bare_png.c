/*
 * bare_png.c: the baseline for bench-raster.sh: decodes each PNG named on
 * the command line with libpng into one interleaved buffer (16-bit samples
 * byte-swapped to host order, as prov does) and nothing else.
 */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>

struct bufs {
	unsigned char *buf;
	png_bytep *rows;
};

/* Returns 0 when the file decoded; b's buffers are the caller's to free. */
static int
decode(FILE *fp, struct bufs *b)
{
	png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);
	png_uint_32 h, y;
	size_t rb;

	if (setjmp(png_jmpbuf(png))) {
		png_destroy_read_struct(&png, &info, NULL);
		return 1;
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
	b->buf = realloc(b->buf, rb * h);
	b->rows = realloc(b->rows, h * sizeof(*b->rows));
	for (y = 0; y < h; y++)
		b->rows[y] = b->buf + rb * y;
	png_read_image(png, b->rows);
	png_read_end(png, NULL);
	png_destroy_read_struct(&png, &info, NULL);
	return 0;
}

int
main(int argc, char **argv)
{
	struct bufs b = { NULL, NULL };
	int i, status = 0;

	for (i = 1; i < argc; i++) {
		FILE *fp = fopen(argv[i], "rb");

		if (fp == NULL) {
			perror(argv[i]);
			return 2;
		}
		if (decode(fp, &b) != 0) {
			fprintf(stderr, "%s: decode failed\n", argv[i]);
			status = 1;
		}
		fclose(fp);
	}
	free(b.buf);
	free(b.rows);
	return status;
}
