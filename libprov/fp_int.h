/*
 * fp_int.h: internals of the fingerprinting pipeline shared by fp.c,
 * walk.c, archive.c and charset.c, and exposed to the unit tests.  Not API:
 * nothing here is in prov.h.
 */
#ifndef PROV_FP_INT_H
#define PROV_FP_INT_H

#include <stdio.h>
#include <sys/stat.h>

#include "prov.h"

/* How many bytes of an input the format bids and archive sniffing see. */
#define FP_HEAD_LEN (64 * 1024)
/* The read buffer of a byte stream (one per worker). */
#define FP_READ_LEN (1024 * 1024)

/* A growable list of records, moved into and out of by value. */
struct fp_records {
	struct prov_record *v;
	size_t n, alloc;
};
void fp_records_init(struct fp_records *l);
/* Appends a fresh initialised record and returns its index. */
size_t fp_records_add(struct fp_records *l);
void fp_records_release(struct fp_records *l);

/* Per-thread scratch: the read buffer and a digest state. */
struct fp_worker {
	unsigned char *buf;		/* FP_READ_LEN bytes */
	struct prov_sha256 sha;
	int sha_ok;
};
int fp_worker_init(struct fp_worker *w, struct prov_err *e);
void fp_worker_release(struct fp_worker *w);

/*
 * One top-level input being fingerprinted: where its records go, the
 * options, and the expansion budget its archives share (every byte any
 * archive at any depth decompresses counts against it).
 */
struct fp_ctx {
	const struct prov_fp_opts *opts;
	struct fp_worker *w;
	struct fp_records *out;
	uint64_t budget;		/* bytes archives may still expand to */
	uint64_t budget_total;
	int budget_hit;
	/* Set in an archive reader's child process (archive.c): records
	 * stream out there, and the parent finishes them. */
	FILE *stream;			/* where finished members go */
	size_t streamed;		/* c->out records already sent */
	volatile uint64_t *beat;	/* counts progress, seen by the parent */
	int in_job;			/* holds the job lock (fp_job_enter) */
};

/*
 * Finishes a record: the one place every record (file, member, symlink,
 * error) passes through after its module ran and before it is emitted.
 * Naming patterns, indicators and sequence bookkeeping hook in here.
 */
void fp_record_finish(struct fp_ctx *c, struct prov_record *r);

/* The format module that bids highest on head, or NULL. */
const struct prov_format *fp_best_format(const unsigned char *head, size_t len);
/* Runs module f over blob into rec (recording a failure in rec). */
void fp_run_format(struct fp_ctx *c, const struct prov_format *f,
    const struct prov_blob *blob, struct prov_record *rec);
/* Fingerprints a whole in-memory input whose record is rec (path set):
 * size, sha256, kind, module keys, and for archives the member records
 * appended to c->out.  depth is the archive nesting of blob (0 for a file). */
void fp_blob(struct fp_ctx *c, size_t rec_index, const struct prov_blob *blob,
    unsigned depth);

/* Records rec as failed with a reason (no name prefix, see fp.c). */
void fp_fail(struct prov_record *rec, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- walk.c: deterministic directory walks */

/* What a walk reports for one name. */
enum walk_type { WALK_FILE, WALK_SYMLINK, WALK_SPECIAL, WALK_ERROR };
/* Called for every non-directory entry, in bytewise order of names,
 * depth first; path is NUL-terminated, len its length.  st is the lstat (or
 * stat with follow) result for WALK_SPECIAL; for WALK_FILE and WALK_SYMLINK
 * it may be NULL (the type came from readdir, no stat was made).  err is
 * the errno of a failure (WALK_ERROR).
 * Returns 0 to go on, non-zero to stop the walk (returned by walk_tree). */
typedef int (*walk_fn)(void *arg, const char *path, size_t len,
    enum walk_type type, const struct stat *st, int err);
/* Walks the directory dir (path, len): its entries sorted bytewise with
 * strcmp, subdirectories entered where they sort.  With follow, symlinks
 * are followed and directory loops are reported as errors (ELOOP). */
int walk_tree(const char *dir, size_t len, int follow, walk_fn fn, void *arg);

/* ---- archive.c: archives through libarchive */

/* 1 when head looks like an archive or a compressed stream libarchive may
 * read (magic numbers only), else 0.  Never 1 for PNG, TIFF, EXR, JPEG. */
int archive_sniff(const unsigned char *head, size_t len);
/* 1 when the last bytes of an input hold a zip end-of-central-directory
 * record (a zip after leading junk, or a self-extractor), else 0.  A weak
 * sign: when the archive then cannot be read, the input is "other". */
int archive_sniff_tail(const unsigned char *tail, size_t len);
#define FP_TAIL_LEN (65535 + 22)
/*
 * Fork safety.  Every thread of a run holds the job lock (shared) while it
 * runs code that may allocate or take a library's lock: a worker while it
 * starts and runs a job, the caller's thread from prov_fp_open to
 * prov_fp_close, a watching parent while it takes in a child's lines.  Each
 * lets go only while it waits.  A worker about to fork an archive reader
 * lets go of it and takes it exclusively, so no thread is inside malloc or
 * a library (OpenSSL, libarchive, the decoders) holding one of its locks
 * when the child is made: the child would wait on that lock for ever.
 */
void fp_job_enter(void);
void fp_job_leave(void);

/* Reads the archive blob (whose own record is c->out->v[rec_index]) and
 * appends a record per member, recursing into nested archives. */
void archive_read_blob(struct fp_ctx *c, size_t rec_index,
    const struct prov_blob *blob, unsigned depth, int weak);

/* ---- charset.c: guessing the character set of a non-UTF-8 name */

/* The most likely legacy character set of name ("CP932", "EUC-JP",
 * "GBK", "CP949", "CP866", "KOI8-R"), or NULL when none fits.  When
 * decoded is not NULL and a set was found, the name converted to UTF-8 is
 * appended to it. */
const char *charset_guess(const char *name, size_t len, struct prov_buf *decoded);

/* Marks of an unsafe member name, as bits. */
#define UNSAFE_DOTDOT 1
#define UNSAFE_ABSOLUTE 2
#define UNSAFE_CONTROL 4
unsigned name_unsafe(const char *name, size_t len);

#endif
