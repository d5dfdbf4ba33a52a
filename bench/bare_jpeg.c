/*
 * bare_jpeg.c: the baseline for bench-raster.sh: decodes each JPEG named on
 * the command line with libjpeg-turbo (library defaults, as prov: islow
 * IDCT, fancy upsampling) into one interleaved buffer, and nothing else.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

#include <jpeglib.h>

struct err {
	struct jpeg_error_mgr pub;
	jmp_buf jb;
};

static void
on_error(j_common_ptr cinfo)
{
	longjmp(((struct err *)(void *)cinfo->err)->jb, 1);
}

/* Returns 0 when the file decoded. */
static int
decode(FILE *fp, unsigned char **buf)
{
	struct jpeg_decompress_struct d;
	struct err e;

	d.err = jpeg_std_error(&e.pub);
	e.pub.error_exit = on_error;
	if (setjmp(e.jb)) {
		jpeg_destroy_decompress(&d);
		return 1;
	}
	jpeg_create_decompress(&d);
	jpeg_stdio_src(&d, fp);
	jpeg_read_header(&d, TRUE);
	jpeg_start_decompress(&d);
	*buf = realloc(*buf, (size_t)d.output_width * d.output_height * d.output_components);
	while (d.output_scanline < d.output_height) {
		JSAMPROW row = *buf + (size_t)d.output_scanline * d.output_width * d.output_components;

		jpeg_read_scanlines(&d, &row, 1);
	}
	jpeg_finish_decompress(&d);
	jpeg_destroy_decompress(&d);
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned char *buf = NULL;
	int i, status = 0;

	for (i = 1; i < argc; i++) {
		FILE *fp = fopen(argv[i], "rb");

		if (fp == NULL) {
			perror(argv[i]);
			return 2;
		}
		if (decode(fp, &buf) != 0) {
			fprintf(stderr, "%s: decode failed\n", argv[i]);
			status = 1;
		}
		fclose(fp);
	}
	free(buf);
	return status;
}
