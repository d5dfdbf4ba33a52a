/*
 * bare_jpeg.c: the baseline for bench-raster.sh: decodes each JPEG named on
 * the command line with libjpeg-turbo (library defaults, as prov: islow
 * IDCT, fancy upsampling) into one interleaved buffer, and nothing else.
 * The file is mapped and read with jpeg_mem_src, as prov-fp reads it; the
 * buffer is reused from file to file, and jpeg_read_scanlines is asked for
 * every remaining row at once (the library returns what it has).
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

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

struct bufs {
	unsigned char *buf;
	JSAMPROW *rows;
	size_t have, nrows;
};

/* Returns 0 when the file decoded. */
static int
decode(const unsigned char *data, size_t len, struct bufs *b)
{
	struct jpeg_decompress_struct d;
	struct err e;
	size_t rb, y;

	d.err = jpeg_std_error(&e.pub);
	e.pub.error_exit = on_error;
	if (setjmp(e.jb)) {
		jpeg_destroy_decompress(&d);
		return 1;
	}
	jpeg_create_decompress(&d);
	jpeg_mem_src(&d, data, (unsigned long)len);
	jpeg_read_header(&d, TRUE);
	jpeg_start_decompress(&d);
	rb = (size_t)d.output_width * d.output_components;
	if (rb * d.output_height > b->have) {
		free(b->buf);
		if ((b->buf = malloc(rb * d.output_height)) == NULL)
			on_error((j_common_ptr)&d);
		b->have = rb * d.output_height;
	}
	if (d.output_height > b->nrows) {
		free(b->rows);
		if ((b->rows = malloc(d.output_height * sizeof(*b->rows))) == NULL)
			on_error((j_common_ptr)&d);
		b->nrows = d.output_height;
	}
	for (y = 0; y < d.output_height; y++)
		b->rows[y] = b->buf + rb * y;
	while (d.output_scanline < d.output_height)
		jpeg_read_scanlines(&d, b->rows + d.output_scanline,
		    d.output_height - d.output_scanline);
	jpeg_finish_decompress(&d);
	jpeg_destroy_decompress(&d);
	return 0;
}

int
main(int argc, char **argv)
{
	struct bufs b = { NULL, NULL, 0, 0 };
	int i, status = 0;

	for (i = 1; i < argc; i++) {
		struct stat st;
		void *map;
		int fd = open(argv[i], O_RDONLY);

		if (fd < 0 || fstat(fd, &st) < 0 || st.st_size == 0 ||
		    (map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
		    0)) == MAP_FAILED) {
			perror(argv[i]);
			return 2;
		}
		close(fd);
		if (decode(map, (size_t)st.st_size, &b) != 0) {
			fprintf(stderr, "%s: decode failed\n", argv[i]);
			status = 1;
		}
		munmap(map, (size_t)st.st_size);
	}
	free(b.buf);
	free(b.rows);
	return status;
}
