/*
 * bare_png.c: the baseline for bench-raster.sh: decodes each PNG named on
 * the command line with libpng into one interleaved buffer (16-bit samples
 * byte-swapped to host order, as prov does) and nothing else.  The file is
 * mapped and read from memory, as prov-fp reads it; the buffers are reused
 * from file to file.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct src {
	const unsigned char *p;
	size_t len, off;
};

static void
on_read(png_structp png, png_bytep out, png_size_t n)
{
	struct src *s = png_get_io_ptr(png);

	if (n > s->len - s->off)
		png_error(png, "unexpected end of file");
	memcpy(out, s->p + s->off, n);
	s->off += n;
}

struct bufs {
	unsigned char *buf;
	png_bytep *rows;
	size_t have, nrows;
};

/* Returns 0 when the file decoded; b's buffers are the caller's to free. */
static int
decode(struct src *src, struct bufs *b)
{
	png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);
	png_uint_32 h, y;
	size_t rb;

	if (setjmp(png_jmpbuf(png))) {
		png_destroy_read_struct(&png, &info, NULL);
		return 1;
	}
	png_set_read_fn(png, src, on_read);
	png_read_info(png, info);
	png_set_expand(png);
	if (png_get_bit_depth(png, info) == 16)
		png_set_swap(png);
	png_set_interlace_handling(png);
	png_read_update_info(png, info);
	h = png_get_image_height(png, info);
	rb = png_get_rowbytes(png, info);
	if (rb * h > b->have) {
		free(b->buf);
		if ((b->buf = malloc(rb * h)) == NULL)
			png_error(png, "out of memory");
		b->have = rb * h;
	}
	if (h > b->nrows) {
		free(b->rows);
		if ((b->rows = malloc(h * sizeof(*b->rows))) == NULL)
			png_error(png, "out of memory");
		b->nrows = h;
	}
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
	struct bufs b = { NULL, NULL, 0, 0 };
	int i, status = 0;

	for (i = 1; i < argc; i++) {
		struct stat st;
		struct src s;
		void *map;
		int fd = open(argv[i], O_RDONLY);

		if (fd < 0 || fstat(fd, &st) < 0 || st.st_size == 0 ||
		    (map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
		    0)) == MAP_FAILED) {
			perror(argv[i]);
			return 2;
		}
		close(fd);
		s.p = map;
		s.len = (size_t)st.st_size;
		s.off = 0;
		if (decode(&s, &b) != 0) {
			fprintf(stderr, "%s: decode failed\n", argv[i]);
			status = 1;
		}
		munmap(map, s.len);
	}
	free(b.buf);
	free(b.rows);
	return status;
}
