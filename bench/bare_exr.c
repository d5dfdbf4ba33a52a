/*
 * bare_exr.c: the bare OpenEXRCore decode that prov-fp is measured against.
 *
 *     bare_exr [-t THREADS] FILE...
 *
 * Maps each file (as prov-fp does) and decodes every flat part chunk by
 * chunk into planar channel buffers (as prov-fp does, without hashing or
 * records), one decode pipeline reused per thread, the library's default
 * unpack routines (its fast path: prov-fp uses the same).  The planes are
 * allocated once and reused from file to file, as prov-fp's plane cache
 * reuses them, so that neither pays for faulting in fresh pages per frame.  With -t N the chunks of each file
 * are shared by N threads (chunk i goes to thread i mod N), which is how
 * "our own threading" of Core would look.  Parts Core 3.1.5 cannot decode
 * (DWAA/DWAB) are counted and skipped.  Prints the number of files, parts
 * decoded and parts skipped.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <err.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openexr.h>

/* Plane buffers kept across parts and files: grown, never shrunk. */
static unsigned char **keep;
static size_t *keep_len;
static int nkeep;

static unsigned char *
plane(int c, size_t len)
{
	if (c >= nkeep) {
		keep = realloc(keep, (size_t)(c + 1) * sizeof(*keep));
		keep_len = realloc(keep_len, (size_t)(c + 1) * sizeof(*keep_len));
		if (keep == NULL || keep_len == NULL)
			err(2, "realloc");
		while (nkeep <= c) {
			keep[nkeep] = NULL;
			keep_len[nkeep++] = 0;
		}
	}
	if (keep_len[c] < len) {
		free(keep[c]);
		if ((keep[c] = malloc(len)) == NULL)
			err(2, "malloc");
		keep_len[c] = len;
	}
	return keep[c];
}

struct mem {
	const unsigned char *data;
	size_t len;
};

struct job {
	exr_const_context_t ctx;
	int part, nthreads, self, tiled;
	exr_attr_box2i_t dw;
	int32_t lpc, tw, th, ntx, nchunks;
	int nch;
	unsigned char **planes;	/* per channel */
	size_t *esize;
	int64_t width;
	int failed;
};

static int64_t
mem_read(exr_const_context_t ctx, void *ud, void *buf, uint64_t sz, uint64_t off,
    exr_stream_error_func_ptr_t ecb)
{
	const struct mem *m = ud;
	uint64_t n;

	(void)ctx;
	(void)ecb;
	if (off >= m->len)
		return 0;
	n = m->len - off < sz ? m->len - off : sz;
	memcpy(buf, m->data + off, n);
	return (int64_t)n;
}

static int64_t
mem_size(exr_const_context_t ctx, void *ud)
{
	(void)ctx;
	return (int64_t)((const struct mem *)ud)->len;
}

static void
quiet(exr_const_context_t ctx, exr_result_t code, const char *msg)
{
	(void)ctx;
	(void)code;
	(void)msg;
}

static void *
run_job(void *arg)
{
	struct job *j = arg;
	exr_decode_pipeline_t dec = EXR_DECODE_PIPELINE_INITIALIZER;
	int started = 0, i, c;

	for (i = j->self; i < j->nchunks; i += j->nthreads) {
		exr_chunk_info_t ci;
		int64_t x0, y0;

		if (j->tiled) {
			x0 = (int64_t)(i % j->ntx) * j->tw;
			y0 = (int64_t)(i / j->ntx) * j->th;
			if (exr_read_tile_chunk_info(j->ctx, j->part, i % j->ntx,
			    i / j->ntx, 0, 0, &ci) != EXR_ERR_SUCCESS)
				goto fail;
		} else {
			x0 = 0;
			y0 = (int64_t)i * j->lpc;
			if (exr_read_scanline_chunk_info(j->ctx, j->part,
			    (int)(j->dw.min.y + y0), &ci) != EXR_ERR_SUCCESS)
				goto fail;
		}
		if (!started) {
			if (exr_decoding_initialize(j->ctx, j->part, &ci, &dec) !=
			    EXR_ERR_SUCCESS)
				goto fail;
			started = 1;
		} else if (exr_decoding_update(j->ctx, j->part, &ci, &dec) !=
		    EXR_ERR_SUCCESS)
			goto fail;
		for (c = 0; c < dec.channel_count; c++) {
			exr_coding_channel_info_t *dc = &dec.channels[c];
			int64_t cols = j->width / dc->x_samples;
			dc->user_bytes_per_element = dc->bytes_per_element;
			dc->user_data_type = dc->data_type;
			dc->user_pixel_stride = dc->bytes_per_element;
			dc->user_line_stride = (int32_t)(cols * dc->bytes_per_element);
			dc->decode_to_ptr = j->planes[c] +
			    ((y0 / dc->y_samples) * cols + x0) * dc->bytes_per_element;
		}
		if (i == j->self && exr_decoding_choose_default_routines(j->ctx, j->part,
		    &dec) != EXR_ERR_SUCCESS)
			goto fail;
		if (exr_decoding_run(j->ctx, j->part, &dec) != EXR_ERR_SUCCESS)
			goto fail;
	}
	if (started)
		exr_decoding_destroy(j->ctx, &dec);
	return NULL;
fail:
	if (started)
		exr_decoding_destroy(j->ctx, &dec);
	j->failed = 1;
	return NULL;
}

static int
decode_part(exr_context_t ctx, int p, int nthreads)
{
	const exr_attr_chlist_t *cl;
	exr_storage_t storage;
	exr_compression_t comp;
	struct job *jobs;
	pthread_t *tids;
	unsigned char **planes;
	int64_t width, height;
	int c, t, failed = 0;
	struct job base;

	memset(&base, 0, sizeof(base));
	if (exr_get_storage(ctx, p, &storage) || exr_get_compression(ctx, p, &comp) ||
	    exr_get_data_window(ctx, p, &base.dw) || exr_get_channels(ctx, p, &cl))
		return -1;
	if (storage != EXR_STORAGE_SCANLINE && storage != EXR_STORAGE_TILED)
		return 1;
	if (comp == EXR_COMPRESSION_DWAA || comp == EXR_COMPRESSION_DWAB)
		return 1;
	width = (int64_t)base.dw.max.x - base.dw.min.x + 1;
	height = (int64_t)base.dw.max.y - base.dw.min.y + 1;
	planes = calloc((size_t)cl->num_channels, sizeof(*planes));
	for (c = 0; c < cl->num_channels; c++)
		planes[c] = plane(c, (size_t)(width * height) *
		    (cl->entries[c].pixel_type == EXR_PIXEL_HALF ? 2 : 4));
	base.ctx = ctx;
	base.part = p;
	base.planes = planes;
	base.width = width;
	base.nthreads = nthreads;
	if (storage == EXR_STORAGE_TILED) {
		uint32_t tw, th;
		exr_get_tile_descriptor(ctx, p, &tw, &th, NULL, NULL);
		base.tiled = 1;
		base.tw = (int32_t)tw;
		base.th = (int32_t)th;
		base.ntx = (int32_t)((width + tw - 1) / tw);
		base.nchunks = base.ntx * (int32_t)((height + th - 1) / th);
	} else {
		exr_get_scanlines_per_chunk(ctx, p, &base.lpc);
		base.nchunks = (int32_t)((height + base.lpc - 1) / base.lpc);
	}
	jobs = calloc((size_t)nthreads, sizeof(*jobs));
	tids = calloc((size_t)nthreads, sizeof(*tids));
	for (t = 0; t < nthreads; t++) {
		jobs[t] = base;
		jobs[t].self = t;
		if (nthreads > 1)
			pthread_create(&tids[t], NULL, run_job, &jobs[t]);
		else
			run_job(&jobs[t]);
	}
	for (t = 0; t < nthreads; t++) {
		if (nthreads > 1)
			pthread_join(tids[t], NULL);
		failed |= jobs[t].failed;
	}
	free(planes);
	free(jobs);
	free(tids);
	return failed ? -1 : 0;
}

int
main(int argc, char **argv)
{
	int i = 1, nthreads = 1, decoded = 0, skipped = 0, files = 0;

	if (argc > 2 && strcmp(argv[1], "-t") == 0) {
		nthreads = (int)strtol(argv[2], NULL, 10);
		if (nthreads < 1 || nthreads > 64)
			errx(2, "-t: 1..64");
		i = 3;
	}
	for (; i < argc; i++) {
		exr_context_initializer_t init = EXR_DEFAULT_CONTEXT_INITIALIZER;
		exr_context_t ctx = NULL;
		struct mem m;
		struct stat st;
		void *map;
		int fd, n, p;

		if ((fd = open(argv[i], O_RDONLY)) < 0 || fstat(fd, &st) < 0)
			err(2, "%s", argv[i]);
		m.len = (size_t)st.st_size;
		map = mmap(NULL, m.len ? m.len : 1, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED)
			err(2, "%s: mmap", argv[i]);
		close(fd);
		m.data = map;
		init.user_data = &m;
		init.read_fn = mem_read;
		init.size_fn = mem_size;
		init.error_handler_fn = quiet;
		init.flags = EXR_CONTEXT_FLAG_SILENT_HEADER_PARSE;
		if (exr_start_read(&ctx, argv[i], &init) != EXR_ERR_SUCCESS)
			errx(1, "%s: cannot read", argv[i]);
		exr_get_count(ctx, &n);
		for (p = 0; p < n; p++) {
			int rc = decode_part(ctx, p, nthreads);
			if (rc < 0)
				errx(1, "%s: part %d: decode failed", argv[i], p);
			if (rc == 0)
				decoded++;
			else
				skipped++;
		}
		exr_finish(&ctx);
		munmap(map, m.len ? m.len : 1);
		files++;
	}
	for (i = 0; i < nkeep; i++)
		free(keep[i]);
	free(keep);
	free(keep_len);
	printf("%d files, %d parts decoded, %d skipped\n", files, decoded, skipped);
	return 0;
}
