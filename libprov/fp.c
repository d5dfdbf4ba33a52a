/*
 * fp.c: the fingerprinting pipeline.
 *
 * Inputs are added in order by one thread (the caller's); directories are
 * walked there, in sorted order.  Each file becomes a job with a sequence
 * number in a bounded ring.  Worker threads take pending jobs and turn each
 * into a list of records (one for a file, one per member more for an
 * archive).  Records are emitted on the caller's thread, strictly in job
 * order, so the output is the same for any number of workers.
 *
 * Per file: the first bytes are read and offered to every format module
 * (prov_formats[]) for a bid.  When a module wins, or the bytes look like
 * an archive, the whole file is mapped and handed over as a blob; otherwise
 * the bytes are only streamed through SHA-256 with a large buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fp_int.h"
#include "banned.h"

/* ------------------------------------------------------------ records */

void
fp_records_init(struct fp_records *l)
{
	l->v = NULL;
	l->n = l->alloc = 0;
}

size_t
fp_records_add(struct fp_records *l)
{
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? l->alloc * 2 : 4;
		l->v = prov_xrealloc(l->v, l->alloc * sizeof(*l->v));
	}
	prov_record_init(&l->v[l->n]);
	return l->n++;
}

void
fp_records_release(struct fp_records *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		prov_record_release(&l->v[i]);
	free(l->v);
	fp_records_init(l);
}

void
fp_fail(struct prov_record *rec, const char *fmt, ...)
{
	struct prov_err e;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	e.code = PROV_FAILED;
	e.sys_errno = 0;
	prov_record_fail(rec, &e);
}

/* ------------------------------------------------------------ workers */

int
fp_worker_init(struct fp_worker *w, struct prov_err *e)
{
	w->buf = prov_xmalloc(FP_READ_LEN);
	w->sha_ok = 0;
	if (prov_sha256_init(&w->sha, e) != PROV_OK) {
		free(w->buf);
		w->buf = NULL;
		return PROV_FATAL;
	}
	w->sha_ok = 1;
	return PROV_OK;
}

void
fp_worker_release(struct fp_worker *w)
{
	if (w->sha_ok)
		prov_sha256_release(&w->sha);
	w->sha_ok = 0;
	free(w->buf);
	w->buf = NULL;
}

/* ------------------------------------------------------------ formats */

const struct prov_format *
fp_best_format(const unsigned char *head, size_t len)
{
	const struct prov_format *best = NULL;
	int top = 0, i;

	for (i = 0; prov_formats[i] != NULL; i++) {
		int bid = prov_formats[i]->bid(head, len);
		if (bid > top) {
			top = bid;
			best = prov_formats[i];
		}
	}
	return best;
}

void
fp_run_format(struct fp_ctx *c, const struct prov_format *f,
    const struct prov_blob *blob, struct prov_record *rec)
{
	struct prov_err e;
	size_t n = strlen(blob->name);
	int rc;

	prov_err_clear(&e);
	rec->kind = f->name;
	rc = f->fingerprint(blob, c->opts, rec, &e);
	if (rc == PROV_OK || rc == PROV_WARN)
		return;
	if (e.msg[0] == '\0')
		snprintf(e.msg, sizeof(e.msg), "%s: cannot read", f->name);
	/* The record names the input already: keep only the reason. */
	if (strncmp(e.msg, blob->name, n) == 0 && e.msg[n] == ':' && e.msg[n + 1] == ' ')
		memmove(e.msg, e.msg + n + 2, strlen(e.msg + n + 2) + 1);
	if (e.code < PROV_FAILED)
		e.code = PROV_FAILED;
	prov_record_fail(rec, &e);
}

void
fp_blob(struct fp_ctx *c, size_t idx, const struct prov_blob *blob, unsigned depth)
{
	struct prov_record *rec = &c->out->v[idx];
	size_t hl = blob->len < FP_HEAD_LEN ? blob->len : FP_HEAD_LEN;
	const struct prov_format *f;

	rec->size = blob->len;
	if (prov_sha256(blob->data, blob->len, rec->sha256) != PROV_OK) {
		fp_fail(rec, "cannot compute SHA-256");
		return;
	}
	rec->has_sha256 = 1;
	if ((f = fp_best_format(blob->data, hl)) != NULL)
		fp_run_format(c, f, blob, rec);
	else if (archive_sniff(blob->data, hl))
		archive_read_blob(c, idx, blob, depth, 0);
	else if (archive_sniff_tail(blob->data + blob->len - (blob->len < FP_TAIL_LEN ?
	    blob->len : FP_TAIL_LEN), blob->len < FP_TAIL_LEN ? blob->len : FP_TAIL_LEN))
		archive_read_blob(c, idx, blob, depth, 1);
}

void
fp_record_finish(struct fp_ctx *c, struct prov_record *r)
{
	/*
	 * Every record passes here once, complete, after its format module
	 * and before it is emitted: names from the path by the run's naming
	 * patterns, then indicators from its meta, member and path.  Sequence
	 * grouping happens later, on the emitting thread (emit_job()), where
	 * records arrive in output order.
	 */
	if (c->opts->names != NULL)
		prov_names_add(c->opts->names, r);
	prov_indicators_add(r);
}

/* ------------------------------------------------------------ one input */

enum job_type { JOB_FILE, JOB_SYMLINK, JOB_SPECIAL, JOB_ERROR, JOB_STDIN };

struct job {
	enum job_type type;
	int err;			/* JOB_ERROR */
	mode_t mode;			/* JOB_SPECIAL */
	struct prov_buf path;
	struct fp_records out;
	int done;
};

static void
set_display(struct prov_buf *esc, const struct prov_buf *path)
{
	prov_buf_reset(esc);
	prov_escape(esc, path->buf, path->len);
}

static const char *
special_type(mode_t m)
{
	if (S_ISFIFO(m))
		return "fifo";
	if (S_ISSOCK(m))
		return "socket";
	if (S_ISCHR(m))
		return "char";
	if (S_ISBLK(m))
		return "block";
	if (S_ISDIR(m))
		return "directory";
	return "unknown";
}

/* Reads up to want bytes, retrying short reads; -1 on error. */
static ssize_t
read_full(int fd, unsigned char *buf, size_t want)
{
	size_t got = 0;

	while (got < want) {
		ssize_t n = read(fd, buf + got, want - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* The rest of a non-mappable stream (stdin) into mem, bounded. */
static int
slurp(int fd, struct prov_buf *mem, uint64_t limit, struct prov_record *rec,
    struct fp_worker *w)
{
	for (;;) {
		ssize_t n = read(fd, w->buf, FP_READ_LEN);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fp_fail(rec, "%s", strerror(errno));
			return -1;
		}
		if (n == 0)
			return 0;
		if (mem->len + (size_t)n > limit) {
			fp_fail(rec, "larger than %llu bytes (--max-member-size)",
			    (unsigned long long)limit);
			return -1;
		}
		prov_buf_add(mem, w->buf, (size_t)n);
	}
}

/* A zip directory at the end of a regular file (read into scratch). */
static int
zip_tail(int fd, uint64_t size, unsigned char *scratch)
{
	size_t n = size < FP_TAIL_LEN ? (size_t)size : FP_TAIL_LEN;
	ssize_t got;

	got = pread(fd, scratch, n, (off_t)(size - n));
	return got == (ssize_t)n && archive_sniff_tail(scratch, n);
}

static void
fp_fd(struct fp_ctx *c, size_t idx, int fd, int is_reg, uint64_t st_size)
{
	struct fp_worker *w = c->w;
	struct prov_buf esc = PROV_BUF_INIT, mem = PROV_BUF_INIT;
	const struct prov_format *f;
	struct prov_blob blob;
	uint64_t total;
	ssize_t hn, n;
	size_t want;
	int whole;

	set_display(&esc, &c->out->v[idx].path);
	/*
	 * A regular file known to be shorter than the head is read to its
	 * size, not on to the end-of-file read that would only say so (a
	 * syscall per small file).  A size of 0 says nothing (/proc files),
	 * and a file that is longer than fstat said is a race either way: the
	 * record then holds the bytes up to the size fstat gave.
	 */
	want = is_reg && st_size > 0 && st_size < FP_HEAD_LEN ? (size_t)st_size :
	    FP_HEAD_LEN;
	if ((hn = read_full(fd, w->buf, want)) < 0) {
		fp_fail(&c->out->v[idx], "%s", strerror(errno));
		goto out;
	}
	f = fp_best_format(w->buf, (size_t)hn);
	whole = (size_t)hn < FP_HEAD_LEN;	/* everything is in the head */
	if (f != NULL || archive_sniff(w->buf, (size_t)hn) ||
	    (whole && archive_sniff_tail(w->buf, (size_t)hn)) ||
	    (!whole && is_reg && zip_tail(fd, st_size, w->buf + FP_HEAD_LEN))) {
		blob.name = esc.buf;
		if (whole) {
			/* copied: archives reuse the worker's buffer for members */
			prov_buf_add(&mem, w->buf, (size_t)hn);
			blob.data = (const unsigned char *)mem.buf;
			blob.len = mem.len;
			fp_blob(c, idx, &blob, 0);
		} else if (is_reg && st_size <= SIZE_MAX) {
			void *map = mmap(NULL, (size_t)st_size, PROT_READ, MAP_PRIVATE, fd, 0);
			if (map == MAP_FAILED) {
				fp_fail(&c->out->v[idx], "mmap: %s", strerror(errno));
				goto out;
			}
			(void)madvise(map, (size_t)st_size, MADV_SEQUENTIAL);
			blob.data = map;
			blob.len = (size_t)st_size;
			fp_blob(c, idx, &blob, 0);
			munmap(map, (size_t)st_size);
		} else {
			prov_buf_add(&mem, w->buf, (size_t)hn);
			if (slurp(fd, &mem, c->opts->limits.max_member_bytes,
			    &c->out->v[idx], w) == 0) {
				blob.data = (const unsigned char *)mem.buf;
				blob.len = mem.len;
				fp_blob(c, idx, &blob, 0);
			}
		}
		goto out;
	}
	/* Bytes only: stream them through the digest. */
	prov_sha256_update(&w->sha, w->buf, (size_t)hn);
	total = (uint64_t)hn;
	if (!whole) {
		while ((n = read(fd, w->buf, FP_READ_LEN)) != 0) {
			if (n < 0) {
				if (errno == EINTR)
					continue;
				fp_fail(&c->out->v[idx], "%s", strerror(errno));
				prov_sha256_final(&w->sha, c->out->v[idx].sha256);
				goto out;
			}
			prov_sha256_update(&w->sha, w->buf, (size_t)n);
			total += (uint64_t)n;
		}
	}
	prov_sha256_final(&w->sha, c->out->v[idx].sha256);
	c->out->v[idx].has_sha256 = 1;
	c->out->v[idx].size = total;
out:
	prov_buf_release(&esc);
	prov_buf_release(&mem);
}

static void
fp_regular(struct fp_ctx *c, size_t idx, const char *path)
{
	struct prov_record *rec = &c->out->v[idx];
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		fp_fail(rec, "%s", strerror(errno));
		return;
	}
	if (fstat(fd, &st) != 0) {
		fp_fail(rec, "%s", strerror(errno));
		close(fd);
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		fp_fail(rec, "is a directory");
		close(fd);
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		rec->kind = "special";
		json_object_set_new(rec->fields, "type",
		    json_string(special_type(st.st_mode)));
		close(fd);
		return;
	}
#ifdef POSIX_FADV_SEQUENTIAL
	/* read-ahead matters when a file is streamed past its head only */
	if (st.st_size > FP_HEAD_LEN)
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	fp_fd(c, idx, fd, 1, (uint64_t)st.st_size);
	close(fd);
}

static void
fp_symlink(struct prov_record *rec, const char *path)
{
	struct prov_buf t = PROV_BUF_INIT;
	ssize_t n;

	rec->kind = "symlink";
	prov_buf_grow(&t, 256);
	for (;;) {
		n = readlink(path, t.buf, t.alloc - 1);
		if (n < 0) {
			fp_fail(rec, "%s", strerror(errno));
			break;
		}
		if ((size_t)n < t.alloc - 1) {
			t.len = (size_t)n;
			t.buf[n] = '\0';
			rec->size = (uint64_t)n;
			prov_json_set_name(rec->fields, "link", t.buf, t.len);
			break;
		}
		prov_buf_grow(&t, t.alloc * 2);
	}
	prov_buf_release(&t);
}

static void
run_job(struct fp_worker *w, const struct prov_fp_opts *opts, struct job *j)
{
	struct fp_ctx c;
	size_t idx, i;

	fp_job_enter();
	memset(&c, 0, sizeof(c));
	c.in_job = 1;
	c.opts = opts;
	c.w = w;
	c.out = &j->out;
	idx = fp_records_add(&j->out);
	prov_buf_add(&j->out.v[idx].path, j->path.buf, j->path.len);
	switch (j->type) {
	case JOB_ERROR:
		fp_fail(&j->out.v[idx], "%s", strerror(j->err));
		break;
	case JOB_SYMLINK:
		fp_symlink(&j->out.v[idx], j->path.buf);
		break;
	case JOB_SPECIAL:
		j->out.v[idx].kind = "special";
		json_object_set_new(j->out.v[idx].fields, "type",
		    json_string(special_type(j->mode)));
		break;
	case JOB_STDIN:
		fp_fd(&c, idx, STDIN_FILENO, 0, 0);
		break;
	case JOB_FILE:
		fp_regular(&c, idx, j->path.buf);
		break;
	}
	/* members were finished as they were read; the file itself last */
	for (i = 0; i < j->out.n; i++)
		if (i == idx)
			fp_record_finish(&c, &j->out.v[i]);
	fp_job_leave();
}

/* ------------------------------------------------------------ the run */

struct prov_fp {
	struct prov_fp_opts opts;
	int (*emit)(void *, const struct prov_record *);
	void *arg;
	unsigned jobs;
	int stopped;			/* emit asked to stop */

	/* jobs == 1: everything runs on the caller's thread */
	struct fp_worker w;

	/* jobs > 1: a ring of cap jobs; [head, head+count) are in flight,
	 * [next, head+count) not yet taken by a worker, [head, head+nready)
	 * finished and waiting to be emitted.  The caller's thread sleeps
	 * until want jobs at the head are finished (waiting = 1), so that it
	 * wakes once per batch of small files rather than once per file; a
	 * worker sleeps only when nothing is pending (idle counts them), and
	 * is woken only then. */
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	struct job *ring;
	size_t cap, head, count, next, nready, want;
	int waiting;
	unsigned idle;
	int quit;
	pthread_t *threads;
	unsigned nthreads;
	unsigned ready;			/* workers started (or failed to) */
	int worker_failed;
	struct prov_err worker_err;

	struct prov_names *own_names;	/* the defaults, when opts had none */
	struct prov_seq *seq;		/* opts.sequences: frames seen so far */
};

static void
job_release(struct job *j)
{
	prov_buf_release(&j->path);
	fp_records_release(&j->out);
}

static int
emit_job(struct prov_fp *fp, struct job *j)
{
	size_t i;

	for (i = 0; i < j->out.n && !fp->stopped; i++) {
		if (fp->seq != NULL && j->out.v[i].status == PROV_OK)
			prov_seq_add(fp->seq, &j->out.v[i]);
		if (fp->emit(fp->arg, &j->out.v[i]) != 0)
			fp->stopped = 1;
	}
	job_release(j);
	return fp->stopped;
}

/* Emits a sequence record made by prov_seq_flush(). */
static int
emit_seq(void *arg, struct prov_record *rec)
{
	struct prov_fp *fp = arg;

	return fp->emit(fp->arg, rec);
}

static void *
worker_main(void *arg)
{
	struct prov_fp *fp = arg;
	struct fp_worker w;
	struct prov_err e;

	fp_job_enter();
	if (fp_worker_init(&w, &e) != PROV_OK) {
		fp_job_leave();
		pthread_mutex_lock(&fp->mu);
		fp->worker_failed = 1;
		fp->worker_err = e;
		fp->ready++;
		pthread_cond_broadcast(&fp->done);
		pthread_mutex_unlock(&fp->mu);
		return NULL;
	}
	fp_job_leave();
	pthread_mutex_lock(&fp->mu);
	fp->ready++;
	pthread_cond_broadcast(&fp->done);
	for (;;) {
		struct job *j;

		while (!fp->quit && fp->next == fp->head + fp->count) {
			fp->idle++;
			pthread_cond_wait(&fp->work, &fp->mu);
			fp->idle--;
		}
		if (fp->next == fp->head + fp->count)
			break;		/* quit, nothing left */
		j = &fp->ring[fp->next++ % fp->cap];
		pthread_mutex_unlock(&fp->mu);
		run_job(&w, &fp->opts, j);
		pthread_mutex_lock(&fp->mu);
		j->done = 1;
		/* the finished run at the head grows past this job, if it can */
		while (fp->nready < fp->count &&
		    fp->ring[(fp->head + fp->nready) % fp->cap].done)
			fp->nready++;
		if (fp->waiting && fp->nready >= fp->want)
			pthread_cond_signal(&fp->done);
	}
	pthread_mutex_unlock(&fp->mu);
	fp_job_enter();
	fp_worker_release(&w);
	fp_job_leave();
	return NULL;
}

/*
 * Waits until want jobs at the head of the ring are finished (fewer when
 * fewer are in flight); called with mu held by the caller's thread, which
 * lets go of the job lock meanwhile so a worker can fork.
 */
static void
wait_done(struct prov_fp *fp, size_t want)
{
	if (want > fp->count)
		want = fp->count;
	if (fp->nready >= want || fp->worker_failed)
		return;
	fp->want = want;
	fp->waiting = 1;
	fp_job_leave();
	while (fp->nready < fp->want && !fp->worker_failed)
		pthread_cond_wait(&fp->done, &fp->mu);
	fp->waiting = 0;
	/* the job lock before mu, as everywhere */
	pthread_mutex_unlock(&fp->mu);
	fp_job_enter();
	pthread_mutex_lock(&fp->mu);
}

/* Emits the finished jobs at the head of the ring; called with mu held. */
static void
drain(struct prov_fp *fp)
{
	while (fp->nready > 0) {
		size_t n = fp->nready, i;

		/* workers do not touch finished jobs: emit them unlocked */
		pthread_mutex_unlock(&fp->mu);
		for (i = 0; i < n; i++) {
			struct job *j = &fp->ring[(fp->head + i) % fp->cap];

			emit_job(fp, j);
			j->done = 0;
		}
		pthread_mutex_lock(&fp->mu);
		fp->head += n;
		fp->count -= n;
		fp->nready -= n;
	}
}

static int
submit(struct prov_fp *fp, enum job_type type, const char *path, size_t len,
    int err, mode_t mode)
{
	struct job *j, one;

	if (fp->stopped)
		return 1;
	if (fp->jobs <= 1) {
		memset(&one, 0, sizeof(one));
		j = &one;
	} else {
		pthread_mutex_lock(&fp->mu);
		for (;;) {
			drain(fp);
			if (fp->count < fp->cap || fp->worker_failed)
				break;
			/* full: sleep until a quarter of the ring can go */
			wait_done(fp, fp->cap / 4);
		}
		if (fp->worker_failed) {
			pthread_mutex_unlock(&fp->mu);
			fp->stopped = 1;
			return 1;
		}
		j = &fp->ring[(fp->head + fp->count) % fp->cap];
		memset(j, 0, sizeof(*j));
	}
	j->type = type;
	j->err = err;
	j->mode = mode;
	prov_buf_init(&j->path);
	prov_buf_add(&j->path, path, len);
	fp_records_init(&j->out);
	if (fp->jobs <= 1) {
		run_job(&fp->w, &fp->opts, j);
		return emit_job(fp, j);
	}
	fp->count++;
	if (fp->idle > 0)
		pthread_cond_signal(&fp->work);
	pthread_mutex_unlock(&fp->mu);
	return fp->stopped;
}

static int
walk_cb(void *arg, const char *path, size_t len, enum walk_type type,
    const struct stat *st, int err)
{
	struct prov_fp *fp = arg;

	switch (type) {
	case WALK_FILE:
		return submit(fp, JOB_FILE, path, len, 0, 0);
	case WALK_SYMLINK:
		return submit(fp, JOB_SYMLINK, path, len, 0, 0);
	case WALK_SPECIAL:
		return submit(fp, JOB_SPECIAL, path, len, 0, st->st_mode);
	case WALK_ERROR:
		break;
	}
	return submit(fp, JOB_ERROR, path, len, err, 0);
}

void
prov_fp_opts_default(struct prov_fp_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	prov_limits_default(&opts->limits);
	opts->images = 1;
	opts->pdq = 1;
}

int
prov_fp_open(struct prov_fp **out, const struct prov_fp_opts *opts, unsigned jobs,
    int (*emit)(void *arg, const struct prov_record *rec), void *arg,
    struct prov_err *e)
{
	struct prov_fp *fp;
	unsigned i;

	*out = NULL;
	fp = prov_xcalloc(1, sizeof(*fp));
	fp->opts = *opts;
	fp->emit = emit;
	fp->arg = arg;
	fp->jobs = jobs ? jobs : 1;
	json_object_seed(0);	/* before any thread makes objects */
	if (fp->opts.names == NULL) {
		if (prov_names_open(&fp->own_names, NULL, 0, "defaults", e) != PROV_OK) {
			free(fp);
			return PROV_FATAL;
		}
		fp->opts.names = fp->own_names;
	}
	if (fp->opts.sequences)
		fp->seq = prov_seq_new();
	if (fp->jobs <= 1) {
		if (fp_worker_init(&fp->w, e) != PROV_OK) {
			prov_names_close(fp->own_names);
			prov_seq_free(fp->seq);
			free(fp);
			return PROV_FATAL;
		}
		*out = fp;
		return PROV_OK;
	}
	pthread_mutex_init(&fp->mu, NULL);
	pthread_cond_init(&fp->work, NULL);
	pthread_cond_init(&fp->done, NULL);
	/* room for batches of small files between the caller's wake-ups */
	fp->cap = (size_t)fp->jobs * 64;
	fp->ring = prov_xcalloc(fp->cap, sizeof(*fp->ring));
	fp->threads = prov_xcalloc(fp->jobs, sizeof(*fp->threads));
	/* the caller's thread is one of the run's threads until close */
	fp_job_enter();
	for (i = 0; i < fp->jobs; i++) {
		if (pthread_create(&fp->threads[i], NULL, worker_main, fp) != 0)
			break;
		fp->nthreads++;
	}
	/* no fork while a thread is still starting */
	pthread_mutex_lock(&fp->mu);
	while (fp->ready < fp->nthreads)
		pthread_cond_wait(&fp->done, &fp->mu);
	pthread_mutex_unlock(&fp->mu);
	*out = fp;
	if (fp->nthreads == 0) {
		prov_fp_close(fp);
		*out = NULL;
		return prov_seterr(e, PROV_FATAL, errno, "cannot start worker threads");
	}
	return PROV_OK;
}

int
prov_fp_add(struct prov_fp *fp, const char *path, struct prov_err *e)
{
	size_t len = strlen(path);
	struct stat st;

	if (strcmp(path, "-") == 0)
		submit(fp, JOB_STDIN, path, len, 0, 0);
	else if (stat(path, &st) != 0) {
		int err = errno;
		if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
			submit(fp, JOB_SYMLINK, path, len, 0, 0);	/* dangling */
		else
			submit(fp, JOB_ERROR, path, len, err, 0);
	} else if (S_ISDIR(st.st_mode))
		walk_tree(path, len, fp->opts.follow_symlinks, walk_cb, fp);
	else if (S_ISREG(st.st_mode))
		submit(fp, JOB_FILE, path, len, 0, 0);
	else
		submit(fp, JOB_SPECIAL, path, len, 0, st.st_mode);
	if (fp->worker_failed)
		return prov_seterr(e, PROV_FATAL, 0, "%s", fp->worker_err.msg);
	if (fp->stopped)
		return prov_seterr(e, PROV_FATAL, 0, "output stopped");
	return PROV_OK;
}

int
prov_fp_finish(struct prov_fp *fp, struct prov_err *e)
{
	if (fp->jobs > 1 && fp->nthreads > 0) {
		pthread_mutex_lock(&fp->mu);
		for (;;) {
			drain(fp);
			if (fp->count == 0 || fp->worker_failed)
				break;
			wait_done(fp, fp->cap / 4);
		}
		pthread_mutex_unlock(&fp->mu);
	}
	if (fp->worker_failed)
		return prov_seterr(e, PROV_FATAL, 0, "%s", fp->worker_err.msg);
	if (!fp->stopped && fp->seq != NULL &&
	    prov_seq_flush(fp->seq, fp->opts.names, emit_seq, fp) != 0)
		fp->stopped = 1;
	if (fp->stopped)
		return prov_seterr(e, PROV_FATAL, 0, "output stopped");
	return PROV_OK;
}

void
prov_fp_close(struct prov_fp *fp)
{
	unsigned i;
	size_t k;

	if (fp == NULL)
		return;
	if (fp->jobs <= 1) {
		fp_worker_release(&fp->w);
		prov_names_close(fp->own_names);
		prov_seq_free(fp->seq);
		free(fp);
		return;
	}
	fp_job_leave();		/* workers may still fork to finish their jobs */
	pthread_mutex_lock(&fp->mu);
	fp->quit = 1;
	/* jobs not yet taken are dropped: a closed run emits nothing more */
	fp->next = fp->head + fp->count;
	pthread_cond_broadcast(&fp->work);
	pthread_mutex_unlock(&fp->mu);
	for (i = 0; i < fp->nthreads; i++)
		pthread_join(fp->threads[i], NULL);
	for (k = fp->head; k < fp->head + fp->count; k++)
		job_release(&fp->ring[k % fp->cap]);
	pthread_mutex_destroy(&fp->mu);
	pthread_cond_destroy(&fp->work);
	pthread_cond_destroy(&fp->done);
	free(fp->ring);
	free(fp->threads);
	/* after the workers, which parse with the names */
	prov_names_close(fp->own_names);
	prov_seq_free(fp->seq);
	free(fp);
}

int
prov_fp_path(const char *path, const struct prov_fp_opts *opts,
    int (*emit)(void *arg, const struct prov_record *rec), void *arg,
    struct prov_err *e)
{
	struct prov_fp *fp;
	int rc;

	if ((rc = prov_fp_open(&fp, opts, 1, emit, arg, e)) != PROV_OK)
		return rc;
	if ((rc = prov_fp_add(fp, path, e)) == PROV_OK)
		rc = prov_fp_finish(fp, e);
	prov_fp_close(fp);
	return rc;
}

/* prov_seq_flush()'s emit for prov_fp_memory(). */
struct memory_emit {
	int (*emit)(void *arg, const struct prov_record *rec);
	void *arg;
};

static int
memory_emit_seq(void *arg, struct prov_record *rec)
{
	struct memory_emit *me = arg;

	return me->emit(me->arg, rec);
}

int
prov_fp_memory(const void *data, size_t len, const char *name, size_t namelen,
    const struct prov_fp_opts *opts,
    int (*emit)(void *arg, const struct prov_record *rec), void *arg,
    struct prov_err *e)
{
	struct prov_buf esc = PROV_BUF_INIT;
	struct prov_names *own = NULL;
	struct prov_seq *seq = NULL;
	struct prov_fp_opts o = *opts;
	struct fp_records out;
	struct fp_worker w;
	struct prov_blob blob;
	struct fp_ctx c;
	size_t i, idx;
	int rc = PROV_OK;

	if (o.names == NULL) {
		if (prov_names_open(&own, NULL, 0, "defaults", e) != PROV_OK)
			return PROV_FATAL;
		o.names = own;
	}
	if (fp_worker_init(&w, e) != PROV_OK) {
		prov_names_close(own);
		return PROV_FATAL;
	}
	if (o.sequences)
		seq = prov_seq_new();
	fp_records_init(&out);
	memset(&c, 0, sizeof(c));
	c.opts = &o;
	c.w = &w;
	c.out = &out;
	idx = fp_records_add(&out);
	prov_buf_add(&out.v[idx].path, name, namelen);
	prov_escape(&esc, name, namelen);
	blob.data = data;
	blob.len = len;
	blob.name = esc.buf;
	fp_blob(&c, idx, &blob, 0);
	fp_record_finish(&c, &out.v[idx]);
	for (i = 0; i < out.n; i++) {
		if (seq != NULL && out.v[i].status == PROV_OK)
			prov_seq_add(seq, &out.v[i]);
		if (emit(arg, &out.v[i]) != 0) {
			rc = prov_seterr(e, PROV_FATAL, 0, "output stopped");
			break;
		}
	}
	if (rc == PROV_OK && seq != NULL) {
		struct memory_emit me = { emit, arg };

		if (prov_seq_flush(seq, o.names, memory_emit_seq, &me) != 0)
			rc = prov_seterr(e, PROV_FATAL, 0, "output stopped");
	}
	prov_seq_free(seq);
	fp_records_release(&out);
	prov_buf_release(&esc);
	fp_worker_release(&w);
	prov_names_close(own);
	return rc;
}
