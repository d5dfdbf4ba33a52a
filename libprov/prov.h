/*
 * prov.h: the whole public API of libprov.
 *
 * Not in this file means not API.  Every function returns a status or a
 * value as documented beside it; none prints, exits or aborts on bad input.
 * Errors are reported through a caller-owned struct prov_err, passed last,
 * left untouched on success, so worker threads never share error state.
 *
 * Sections: core (errors, buffers, limits, hashing), records, images,
 * fingerprinting, pixel hash, PDQ, Merkle trees, keys and signed notes,
 * the ledger, the audit.
 */
#ifndef PROV_H
#define PROV_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PROV_API __attribute__((visibility("default")))
#define PROV_VERSION "0.1.0"

/* ---------------------------------------------------------------- core */

/*
 * Severity, as libarchive's: OK; WARN (done, with something to report);
 * FAILED (this input is bad, the run goes on); FATAL (the handle or the run
 * cannot go on).
 */
enum prov_status { PROV_OK = 0, PROV_WARN = 1, PROV_FAILED = 2, PROV_FATAL = 3 };

/* A caller-owned error: the code, errno when a system call failed, and a
 * message that names the object ("frame.exr: EXR header: bad channel list"),
 * lowercase, no trailing newline. */
struct prov_err {
	enum prov_status code;
	int sys_errno;
	char msg[256];
};

/* Fills e (which may be NULL) and returns code, so that callers can write
 * `return prov_seterr(e, PROV_FAILED, 0, "%s: ...", name);`. */
PROV_API int prov_seterr(struct prov_err *e, enum prov_status code, int sys_errno,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
PROV_API void prov_err_clear(struct prov_err *e);
/* Prepends "<formatted prefix>: " to e's message (e may be NULL); returns
 * e's code. */
PROV_API int prov_err_prefix(struct prov_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "ok", "warning", "failed", "fatal". */
PROV_API const char *prov_strstatus(enum prov_status code);
PROV_API const char *prov_version(void);

/*
 * A growable byte buffer with git strbuf's invariants: buf is never NULL
 * (PROV_BUF_INIT points it at a shared empty string), buf[len] is always
 * NUL, and prov_buf_detach() is the only way to take ownership.  The buffer
 * may hold NUL bytes (len is authoritative).  Allocation failure aborts:
 * it is not an input error and cannot be reported meaningfully.
 */
struct prov_buf {
	char *buf;
	size_t len;
	size_t alloc;
};
PROV_API extern char prov_buf_empty[];
#define PROV_BUF_INIT { prov_buf_empty, 0, 0 }
PROV_API void prov_buf_init(struct prov_buf *b);
PROV_API void prov_buf_release(struct prov_buf *b);
PROV_API void prov_buf_reset(struct prov_buf *b);	/* len = 0, keeps memory */
PROV_API void prov_buf_grow(struct prov_buf *b, size_t extra);
PROV_API void prov_buf_add(struct prov_buf *b, const void *data, size_t len);
PROV_API void prov_buf_addstr(struct prov_buf *b, const char *s);
PROV_API void prov_buf_addch(struct prov_buf *b, int c);
PROV_API void prov_buf_addf(struct prov_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
PROV_API void prov_buf_vaddf(struct prov_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Returns the malloc'd buffer (NUL-terminated), stores its length in *len
 * when len is not NULL, and leaves b empty and initialised. */
PROV_API char *prov_buf_detach(struct prov_buf *b, size_t *len);

/* Allocation that aborts on exhaustion (see struct prov_buf). */
PROV_API void *prov_xmalloc(size_t n);
PROV_API void *prov_xcalloc(size_t n, size_t size);
PROV_API void *prov_xrealloc(void *p, size_t n);
PROV_API char *prov_xstrdup(const char *s);

/*
 * Limits on what an input may make us do, checked before any allocation the
 * input can influence.  prov_limits_default() sets the defaults below; the
 * tools apply --max-* flags on top.
 */
struct prov_limits {
	uint64_t max_pixels;		/* per image (all channels share it): 2^28 */
	uint64_t max_member_bytes;	/* one archive member held in memory: 4 GiB */
	uint64_t max_ratio;		/* archive expansion vs its bytes: 1000 */
	unsigned max_depth;		/* archive nesting: 8 */
	/* An outermost archive is read in a child process that may grow by
	 * this much resident memory (4 GiB; 0 reads in-process, unguarded)
	 * and may go this long without progress (30 s) before it is
	 * stopped.  libarchive has inputs it loops or allocates on without
	 * bound, or exits the process over; nothing in-process can stop it. */
	uint64_t max_archive_memory;
	unsigned archive_stall_seconds;
};
PROV_API void prov_limits_default(struct prov_limits *lim);

/*
 * SHA-256 through OpenSSL (EVP, which uses the CPU's SHA extensions).
 * A prov_sha256 is caller-allocated; init can fail only on allocation.
 */
#define PROV_SHA256_LEN 32
struct prov_sha256 {
	void *ctx;			/* EVP_MD_CTX */
};
PROV_API int prov_sha256_init(struct prov_sha256 *h, struct prov_err *e);
PROV_API void prov_sha256_update(struct prov_sha256 *h, const void *data, size_t len);
PROV_API void prov_sha256_final(struct prov_sha256 *h, unsigned char out[PROV_SHA256_LEN]);
PROV_API void prov_sha256_release(struct prov_sha256 *h);
/* One shot; returns PROV_OK or PROV_FATAL (allocation). */
PROV_API int prov_sha256(const void *data, size_t len, unsigned char out[PROV_SHA256_LEN]);

/* Lowercase hex of n bytes into out (2n+1 bytes, NUL-terminated). */
PROV_API void prov_hex(const unsigned char *in, size_t n, char *out);
/* Parses exactly 2n hex digits; returns 0 on success, -1 otherwise. */
PROV_API int prov_unhex(const char *in, unsigned char *out, size_t n);

/*
 * Escaping of untrusted names for text output and diagnostics (coreutils
 * and b3sum rule): '\\' -> "\\\\", newline -> "\\n", CR -> "\\r", other C0
 * controls and DEL -> "\\xNN".  Returns 1 when anything was escaped (a
 * sha256sum-style line then starts with '\\'), else 0.  Bytes >= 0x80 are
 * passed through unchanged.
 */
PROV_API int prov_escape(struct prov_buf *out, const char *name, size_t len);

/*
 * A name (path, archive member) as JSON, losslessly: key is set to the
 * name as UTF-8 (invalid sequences replaced by U+FFFD); when the bytes were
 * not valid UTF-8, key "_bytes" (e.g. "path_bytes") is set to their hex.
 */
PROV_API void prov_json_set_name(json_t *obj, const char *key, const char *name, size_t len);
/* Returns 1 when s[0..len) is valid UTF-8 without NUL, else 0. */
PROV_API int prov_utf8_valid(const char *s, size_t len);

/* ---------------------------------------------------------------- images */

/*
 * The decoded image model shared by every decoder (EXR, PNG, TIFF, JPEG)
 * and every consumer (pixel hash, PDQ, thumbnails).
 *
 * Channels are planar: channel c holds (width / x_sampling) * (height /
 * y_sampling) samples of its type, row-major, tightly packed, native byte
 * order.  Names follow OpenEXR: "R", "G", "B", "A" for colour, "Y" for grey
 * or luminance, "RY", "BY" for chroma; layered channels keep the full name
 * ("diffuse.R").  Palettes are expanded to R, G, B (and A from tRNS).
 * Integer samples narrower than their storage (12-bit TIFF in U16) keep their
 * value and set `bits`.
 */
enum prov_sample {
	PROV_SAMPLE_U8,
	PROV_SAMPLE_U16,
	PROV_SAMPLE_U32,
	PROV_SAMPLE_I8,
	PROV_SAMPLE_I16,
	PROV_SAMPLE_I32,
	PROV_SAMPLE_HALF,
	PROV_SAMPLE_F32,
	PROV_SAMPLE_F64,
	PROV_SAMPLE_U64,		/* 64-bit integers (TIFF); added last, so */
	PROV_SAMPLE_I64			/* the values above never change */
};

/* What the sample values mean for display: display-referred (PNG, TIFF,
 * JPEG: already encoded for a screen) or scene-linear (EXR floats). */
enum prov_transfer { PROV_TRANSFER_DISPLAY, PROV_TRANSFER_LINEAR };

struct prov_channel {
	char *name;			/* owned */
	enum prov_sample type;
	unsigned bits;			/* significant bits of integer samples */
	int x_sampling, y_sampling;	/* 1 unless subsampled (EXR RY/BY) */
	void *data;			/* owned */
};

struct prov_image {
	uint32_t width, height;		/* of the data window */
	int32_t data_window[4];		/* xmin, ymin, xmax, ymax (inclusive) */
	int32_t display_window[4];
	unsigned nchannels;
	struct prov_channel *channels;
	enum prov_transfer transfer;
	int orientation;		/* EXIF/TIFF orientation 1..8, 1 if none */
	int premultiplied;		/* colour is premultiplied by alpha (EXR) */
};

PROV_API void prov_image_init(struct prov_image *img);
/* Frees every channel's name and data; the image is then empty. */
PROV_API void prov_image_release(struct prov_image *img);
/* Bytes per sample of a type. */
PROV_API size_t prov_sample_size(enum prov_sample type);
/* Sample count of channel c: (width / xs) * (height / ys), rounded up. */
PROV_API size_t prov_channel_samples(const struct prov_image *img, unsigned c);
/* Index of the channel named name, or -1. */
PROV_API int prov_image_find(const struct prov_image *img, const char *name);
/* Appends a channel and allocates its zeroed storage; fails (PROV_FAILED)
 * when the image would pass lim->max_pixels or the size overflows. */
PROV_API int prov_image_add_channel(struct prov_image *img, const char *name,
    enum prov_sample type, unsigned bits, int xs, int ys,
    const struct prov_limits *lim, struct prov_err *e);

/* ---------------------------------------------------------------- records */

/*
 * One fingerprint record: a file, an archive member, or a frame sequence.
 * The common fields are members; format modules add their own keys to
 * `fields` (a JSON object, keys in the order they are set), which the
 * writers put after the common ones.  See schemas/fingerprint.schema.json.
 */
struct prov_record {
	struct prov_buf path;		/* display name, raw bytes ("a.zip!/b/c.png") */
	const char *kind;		/* static: "exr", "png", "tiff", "jpeg", "archive",
					 * "project", "other", "sequence", ... */
	uint64_t size;
	int has_sha256;
	unsigned char sha256[PROV_SHA256_LEN];
	json_t *fields;			/* owned, never NULL after init */
	enum prov_status status;	/* PROV_OK, or the error below */
	char error[256];
};
PROV_API void prov_record_init(struct prov_record *r);
PROV_API void prov_record_release(struct prov_record *r);
/* Marks the record failed with e's message. */
PROV_API void prov_record_fail(struct prov_record *r, const struct prov_err *e);

/* ------------------------------------------------ fingerprinting (prov-fp) */

/* A whole input in memory: a mapped file or a buffered archive member. */
struct prov_blob {
	const unsigned char *data;
	size_t len;
	const char *name;		/* escaped display name, for messages */
};

struct prov_names;
struct prov_fp_opts {
	struct prov_limits limits;
	int follow_symlinks;		/* -L */
	int images;			/* decode images (pixels, geometry, meta) */
	int pdq;			/* perceptual hash of decoded images */
	/* Naming patterns for every record's "names" (borrowed; must outlive
	 * the run); NULL: the built-in defaults. */
	const struct prov_names *names;
	int sequences;			/* --seq: add one "sequence" record per
					 * frame sequence after the others */
};

/*
 * A format module, libarchive style: bid() peeks at the first bytes (never
 * the name alone) and returns 0 for "not mine", higher for more certain;
 * the highest bid wins.  fingerprint() decodes the whole blob and adds its
 * keys to rec->fields; on a bad file it returns PROV_FAILED with e set, and
 * the record keeps what was learnt before the failure.
 */
struct prov_format {
	const char *name;		/* the record's kind */
	int (*bid)(const unsigned char *head, size_t len);
	int (*fingerprint)(const struct prov_blob *blob, const struct prov_fp_opts *opts,
	    struct prov_record *rec, struct prov_err *e);
};
/* NULL-terminated table in libprov/formats.c. */
extern const struct prov_format *const prov_formats[];

/* ------------------------------------------------------- fp: walk/archive */
/*
 * Walking inputs, reading archives through libarchive, running the
 * format modules, writing text, --sum and NDJSON.
 */

/*
 * Kinds set here besides the modules' names: "archive" (read by libarchive,
 * its members follow it), "other" (no module and no archive; a compressed
 * single stream such as x.gz is "other" with "compression": ["gzip"]),
 * "symlink" (not followed; "link" holds the target), "hardlink" (an
 * archive's link to an earlier member), "special" (fifo, socket, device:
 * never opened; "type" says which).
 *
 * Archive members are records named "outer!/member" ("a.zip!/b.tar!/c"),
 * with a "member" object: mtime, mode ("0644"), uid, gid, uname, gname,
 * link, name_bytes + name_charset + name_decoded for names that are not
 * UTF-8, unsafe ["dotdot", "absolute", "control", "link_dotdot",
 * "link_absolute"], encrypted.  Directory members get no record.  The
 * archive's own record gets "archive": {"format", "filters", "members"}.
 */

/* The default options: prov_limits_default(), images and pdq on. */
PROV_API void prov_fp_opts_default(struct prov_fp_opts *opts);

/*
 * A fingerprinting run over a list of inputs, in order.
 *
 * prov_fp_open() starts a run with `jobs` worker threads (0 or 1: no
 * threads, everything on the caller's thread).  emit(arg, rec) receives
 * every finished record on the thread that calls prov_fp_add() or
 * prov_fp_finish(), in input order and walk order whatever `jobs` is; rec
 * is borrowed for the call.  emit returns 0 to go on, non-zero to stop the
 * run (a write error): later calls then return PROV_FATAL.  opts is copied.
 *
 * prov_fp_add() queues one input: a file, a directory (walked: entries in
 * bytewise order, depth first; symlinks met in the walk are records of kind
 * "symlink" unless opts->follow_symlinks; a symlink named by path itself is
 * followed, as find -H does), or "-" for the bytes of standard input.  An
 * input that cannot be read becomes a record with an error, not a failure
 * of the call.  It may block while the queue is full, emitting finished
 * records meanwhile.  Returns PROV_OK, or PROV_FATAL when the run stopped.
 *
 * Every record gets "names" from its path by opts->names (or the built-in
 * patterns) and "indicators" (prov_indicators_add()) before it is emitted.
 *
 * prov_fp_finish() waits for every queued input and emits the rest; with
 * opts->sequences it then emits one record of kind "sequence" per frame
 * sequence among all the records of the run that did not fail
 * (prov_seq_flush()), in the same order for any `jobs`.
 * prov_fp_close() ends the run (dropping anything not finished) and frees
 * it; NULL is a no-op.  One run is used by the thread that opened it.
 *
 * With jobs > 1, archives are read in forked children: a child must not
 * start while another thread holds a lock it inherits (malloc's, a
 * library's).  So the caller's thread counts as one of the run's threads
 * from open to close, and children are forked only while it waits inside
 * prov_fp_add() or prov_fp_finish(): a caller slow to add the next input
 * delays them, and must not fork or start threads of its own meanwhile.
 */
struct prov_fp;
PROV_API int prov_fp_open(struct prov_fp **out, const struct prov_fp_opts *opts,
    unsigned jobs, int (*emit)(void *arg, const struct prov_record *rec), void *arg,
    struct prov_err *e);
PROV_API int prov_fp_add(struct prov_fp *fp, const char *path, struct prov_err *e);
PROV_API int prov_fp_finish(struct prov_fp *fp, struct prov_err *e);
PROV_API void prov_fp_close(struct prov_fp *fp);

/* One path (file or directory), synchronously on the caller's thread:
 * open + add + finish + close.  Returns PROV_OK or PROV_FATAL (emit stopped
 * or no memory for a digest); failed inputs are records with errors. */
PROV_API int prov_fp_path(const char *path, const struct prov_fp_opts *opts,
    int (*emit)(void *arg, const struct prov_record *rec), void *arg,
    struct prov_err *e);

/* Bytes already in memory, named name[0..namelen) (raw bytes, any
 * encoding): one record, plus members when it is an archive, then the
 * sequences among them when opts->sequences.  The data is borrowed for the
 * call.  Thread-safe (no shared state). */
PROV_API int prov_fp_memory(const void *data, size_t len, const char *name,
    size_t namelen, const struct prov_fp_opts *opts,
    int (*emit)(void *arg, const struct prov_record *rec), void *arg,
    struct prov_err *e);

/*
 * A record as a JSON object (new reference, never NULL): "path" (and
 * "path_bytes" when the path is not UTF-8), "kind", "size", "sha256" when
 * known, the module keys of rec->fields in the order they were set, then
 * "error" on failure.  Validates against schemas/fingerprint.schema.json.
 */
PROV_API json_t *prov_record_to_json(const struct prov_record *r);
/* One compact JSON line and '\n' to fp.  Returns 0, or -1 on a write error. */
PROV_API int prov_record_write_json(FILE *fp, const struct prov_record *r);

enum prov_text_style {
	/* "<sha256>\t<kind>\t<path>\n"; a sequence's Merkle root in place of
	 * the sha256, "-" for another record with no digest, kind
	 * "error" for a failed record; the path escaped by prov_escape(), the
	 * line then starting with '\\' (sha256sum's rule). */
	PROV_TEXT_LINE,
	/* "<sha256>  <path>\n" exactly as sha256sum writes it (only '\\', LF
	 * and CR escaped), for plain files only: archive members, symlinks,
	 * special files, sequences and failed records are skipped. */
	PROV_TEXT_SUM
};
/* Writes r in style to fp.  Returns 0 when written, 1 when the style
 * skips the record, -1 on a write error. */
PROV_API int prov_record_write_text(FILE *fp, const struct prov_record *r,
    enum prov_text_style style);
/* 1 when r is an archive member (has a "member" object), else 0. */
PROV_API int prov_record_is_member(const struct prov_record *r);

/* Reads a record back from a JSON object as prov_record_to_json() writes
 * it (path_bytes restored to raw bytes; other keys go to fields).  r is
 * initialised here and must be released by the caller even on failure.
 * Returns PROV_OK or PROV_FAILED with e set. */
PROV_API int prov_record_from_json(struct prov_record *r, const json_t *o,
    struct prov_err *e);

/* (end of fp: walk/archive) */

/* ------------------------------------------------------------ pixel hash */
/*
 * The canonical serialisation of decoded pixels (schemas/pixels-v1.md)
 * and its SHA-256.
 */

/* SHA-256 of img's pixels serialised as pixels v1.  Fails only when the
 * image is empty or a digest cannot be allocated. */
PROV_API int prov_pixels_hash(const struct prov_image *img,
    unsigned char out[PROV_SHA256_LEN], struct prov_err *e);
/* "v1:<64 hex>" into out (68 bytes). */
PROV_API void prov_pixels_format(const unsigned char h[PROV_SHA256_LEN], char out[68]);

/*
 * Describes one decoded image into obj (a JSON object the caller owns):
 * "width", "height", "channels" [{"name", "type"}], "data_window",
 * "display_window", "pixels", and the perceptual hash when opts->pdq.
 * Decoders call it once per part/page, then prov_record_add_image().
 */
PROV_API int prov_image_fingerprint(const struct prov_image *img,
    const struct prov_fp_opts *opts, json_t *obj, struct prov_err *e);
/* Appends obj (reference stolen) to rec's "images" with its "index"; the
 * first image's "pixels" and "pdq" are also set at the record's top level. */
PROV_API void prov_record_add_image(struct prov_record *rec, json_t *obj);
/*
 * Frees the calling thread's cache of image planes.  prov_image_release()
 * keeps the large channel buffers it frees (at most 8, 256 MiB in all) for
 * the next prov_image_add_channel() on the same thread, so that decoding
 * frame after frame does not fault in fresh pages for every plane; the
 * cache is freed when the thread exits, or by this call (e.g. before a
 * long idle period).  Affects only the calling thread; always safe.
 */
PROV_API void prov_image_planes_release(void);
/* "u8", "u16", "u32", "i8", "i16", "i32", "half", "float", "double",
 * "u64", "i64". */
PROV_API const char *prov_sample_name(enum prov_sample type);

/*
 * Raster format modules (libprov/fp_{png,tiff,jpeg,webp}.c).  Each
 * decodes the whole blob into struct prov_image (samples as stored: u8/u16
 * PNG, every TIFF integer width (64-bit as u64/i64) and float, u8 JPEG),
 * adds one entry to "images" per image (TIFF: per page) and "meta" with the
 * fields named as the format names them (PNG text keywords, "tIME"; TIFF/EXIF tag names:
 * "Artist", "HostComputer", "Software", "DateTime", "DocumentName",
 * "ImageDescription", "Copyright", "Make", "Model", "DateTimeOriginal",
 * "OffsetTime", "XMP"; JPEG "COM" and the EXIF names).  Text that is not
 * valid UTF-8 is read as Latin-1.  opts->limits.max_pixels is checked
 * before any pixel allocation.  Reentrant: libraries' errors are caught per
 * decoder, nothing is printed; the only state kept between calls is the
 * calling thread's cache of image planes (prov_image_planes_release()).
 */
extern const struct prov_format prov_format_png;
extern const struct prov_format prov_format_tiff;
extern const struct prov_format prov_format_jpeg;
/* WebP (libprov/fp_webp.c): 8-bit R, G, B (A); an animation's first frame. */
extern const struct prov_format prov_format_webp;

/* (end of pixel hash) */

/* ------------------------------------------------------------------- EXR */
/*
 * OpenEXR through OpenEXRCore, DWA through a small C++ shim.
 */

/*
 * The OpenEXR format module (libprov/fp_exr.c).  bid() answers 100 for the
 * magic 76 2f 31 01.  fingerprint() adds to the record: "parts" (count),
 * "meta" (every string attribute of every header, plus utcOffset, longitude,
 * latitude, altitude, timeCode, framesPerSecond and keyCode in readable form;
 * parts after the first add "part<N>.<name>" keys where they differ),
 * "indicators" (owner, tz, location, time, software, host), and one entry of
 * "images" per part: "name", "view", "views", "type" (scanlineimage,
 * tiledimage, deepscanline, deeptile), "compression", "chromaticities", the image
 * description of prov_image_fingerprint() for flat parts (level 0 of
 * mip/rip maps), "deep", "samples" and (with opts->pdq) the "pdq" of the
 * flattened image (schemas/pdq-v1.md section 9) for deep parts, "tiled" and "levels"
 * for tiled ones.  With opts->pdq, a flat part whose channels form groups
 * by prefix ("left.R", "diffuse.R", "right.Y") also gets "layers": one
 * entry per group with colour, the unprefixed one first, each with
 * "layer", "view" (by the part's view or multiView attribute, as OpenEXR
 * assigns channels to views), "channels" and its own "pdq" (and
 * "pdq_trimmed"); see schemas/pdq-v1.md section 6.  Limits (opts->limits.max_pixels) are checked before any
 * allocation.  Reentrant: no global state, so -j workers may call it at once.
 */
extern const struct prov_format prov_format_exr;

/* (end of EXR) */

/* --------------------------------------------------- names and sequences */
/*
 * Episode/sequence/shot/frame from paths, frame sequences and
 * their Merkle roots, indicators of who made a file.
 */

/*
 * Naming patterns (libprov/names.c, file format in schemas/names.md): a
 * compiled, read-only set of POSIX extended regexes whose capture groups
 * fill the fields below.  A set is immutable once open, so any number of
 * threads may parse with it at once.
 */
enum prov_names_field {
	PROV_NAMES_EPISODE, PROV_NAMES_SEQUENCE, PROV_NAMES_SHOT,
	PROV_NAMES_FRAME, PROV_NAMES_VERSION, PROV_NAMES_TASK,
	PROV_NAMES_NFIELDS
};
struct prov_names;
/*
 * Compiles the rules in text[0..len) (src names it in messages); text NULL
 * means the built-in defaults.  On success *out is a new set the caller
 * frees with prov_names_close(); on a bad line returns PROV_FAILED with
 * "src:line: why" in e and *out NULL.
 */
PROV_API int prov_names_open(struct prov_names **out, const char *text, size_t len,
    const char *src, struct prov_err *e);
/* As prov_names_open() with the contents of the file at path. */
PROV_API int prov_names_open_file(struct prov_names **out, const char *path,
    struct prov_err *e);
/* Frees a set; NULL is a no-op. */
PROV_API void prov_names_close(struct prov_names *n);
/* "episode", "sequence", ... for a field index, NULL when out of range. */
PROV_API const char *prov_names_field(int i);
/*
 * Parses path[0..len) (its last 4096 bytes; '\\' counts as '/'), and sets
 * each field found as a string key of out (when out is not NULL), e.g.
 * {"episode": "104", "shot": "030", "frame": "0101"}.  Returns the number
 * of fields found.
 */
PROV_API int prov_names_parse(const struct prov_names *n, const char *path, size_t len,
    json_t *out);
/* Parses rec->path and sets rec's "names" object when anything was found;
 * n NULL does nothing.  Returns the number of fields found. */
PROV_API int prov_names_add(const struct prov_names *n, struct prov_record *rec);

/*
 * Frame sequences (libprov/seq.c).  A collector takes finished records in
 * any order; prov_seq_flush() emits one record of kind "sequence" per group
 * of at least two frames with the same directory and the same pattern
 * (prefix, digit count, suffix), in byte order of the pattern, and empties
 * the collector.  Not thread-safe: one collector per writer.
 */
struct prov_seq;
/* A new, empty collector (never NULL; allocation failure aborts). */
PROV_API struct prov_seq *prov_seq_new(void);
/* Frees it and any frames not flushed; NULL is a no-op. */
PROV_API void prov_seq_free(struct prov_seq *s);
/*
 * Offers a finished record: when its file name has a frame number
 * ("shot.0101.exr", "shot_0101.png", "frame-01.tif") and it has a pixel
 * hash or a sha256, the frame is kept (path and hash copied).  Returns 1
 * when kept, 0 otherwise.  Records of kind archive, sequence, symlink or
 * directory are never frames.
 */
PROV_API int prov_seq_add(struct prov_seq *s, const struct prov_record *rec);
/* Frames held. */
PROV_API size_t prov_seq_count(const struct prov_seq *s);
/*
 * Emits the sequences: for each, a record (path "dir/prefix####suffix",
 * size the sum of its frames' sizes,
 * kind "sequence", fields "sequence": {"pattern" (printf style),
 * "pattern_hash" (#### style), "first", "last", "count", "padding",
 * "gaps": [[from, to], ...], "leaves": "pixels"|"sha256"|"mixed",
 * "merkle_root": hex}) is passed to emit, which must not keep it; names
 * (when n is not NULL) are added.  Frames in no sequence are dropped.  Stops
 * and returns emit's first non-zero result, else 0.
 */
PROV_API int prov_seq_flush(struct prov_seq *s, const struct prov_names *n,
    int (*emit)(void *ctx, struct prov_record *rec), void *ctx);

/*
 * Indicators (libprov/indicators.c): from a finished record's "meta",
 * "member" and path, appends to its "indicators" array the values that
 * point at a person (owner, user), a machine (host), a place (location), a
 * time zone (tz), a tool (software), a script or encoding (locale) or an
 * absolute path (path), each {"type", "value", "field"}, without
 * duplicating an entry already there.  Call once per finished record;
 * reentrant.  Returns the number of indicators added.
 */
PROV_API int prov_indicators_add(struct prov_record *rec);
/* The name of the first non-Latin script found in s[0..len) ("Hangul",
 * "Han", "Kana", "Cyrillic", "Greek", "Arabic", "Hebrew", "Thai"), or NULL. */
PROV_API const char *prov_script_of(const char *s, size_t len);

/*
 * Project and edit files (libprov/fp_project.c): Blender .blend, Maya
 * ASCII .ma, Nuke .nk, Toon Boom .xstage, OpenTimelineIO .otio and CMX 3600
 * EDL, recognised by content.  Adds "meta": {"application", "format",
 * "version", ...} and "paths": [embedded file paths] (bounded), and user
 * names found in them through indicators.  Reentrant.
 */
extern const struct prov_format prov_format_project;

/* (end of names and sequences) */

/* ------------------------------------------------------------------- PDQ */
/*
 * The PDQ perceptual hash (bit-exact with the reference, full
 * resolution convention) and the Hamming-distance index.
 */

#define PROV_PDQ_HEX 64		/* hex digits of a hash */

/* A PDQ hash: bit 16*u+v (DCT row u, column v) is bit v of w[u]. */
struct prov_pdq {
	uint16_t w[16];
	int quality;			/* 0..100; below 50: not for matching */
};

/* The 16x16 DCT coefficients a hash is thresholded from (row-major). */
struct prov_pdq_dct {
	float c[256];
	int quality;
};

/*
 * Hashes a luma plane (width*height floats, row-major, 0..255) as the
 * reference C++ core does, bit for bit.  Images under 5 pixels on a side
 * give the all-zero hash with quality 0 (PROV_OK).  dct may be NULL; if not,
 * it receives the coefficients for prov_pdq_dihedral().  luma is not
 * modified.  Thread-safe.  Returns PROV_OK, or PROV_FAILED (out of memory,
 * absurd size) with e set.
 */
PROV_API int prov_pdq_luma(const float *luma, uint32_t width, uint32_t height,
    struct prov_pdq *out, struct prov_pdq_dct *dct, struct prov_err *e);

/*
 * Hashes interleaved 8-bit pixels: nchan 1 (grey, luma = value), 3 (RGB)
 * or 4 (RGBA, alpha ignored); luma 0.299R + 0.587G + 0.114B in float as the
 * reference.  Same returns as prov_pdq_luma().  Thread-safe.
 */
PROV_API int prov_pdq_rgb8(const unsigned char *px, uint32_t width, uint32_t height,
    unsigned nchan, struct prov_pdq *out, struct prov_pdq_dct *dct,
    struct prov_err *e);

/* The dihedral variants, in the order the reference prints them. */
enum prov_pdq_variant {
	PROV_PDQ_ORIGINAL, PROV_PDQ_ROT90, PROV_PDQ_ROT180, PROV_PDQ_ROT270,
	PROV_PDQ_FLIPX, PROV_PDQ_FLIPY, PROV_PDQ_FLIPPLUS1, PROV_PDQ_FLIPMINUS1
};
/*
 * The 8 hashes of the rotated/mirrored image derived from the DCT as the
 * reference does (out[PROV_PDQ_ROT90] is the hash of the image turned
 * counter-clockwise, FLIPX mirrors top/bottom, FLIPY left/right).  They
 * approximate, not equal, the hashes of the transformed pixels.  Pure.
 */
PROV_API void prov_pdq_dihedral(const struct prov_pdq_dct *dct, struct prov_pdq out[8]);
/*
 * The 8 variants derived from a hash alone, for hashes whose coefficients
 * are gone (ledger records, exchanged hashes): the same table, a negated
 * coefficient taken as an inverted bit.  Exact where prov_pdq_dihedral()'s
 * medians are those of the original's; in practice within a few bits of
 * it (schemas/pdq-v1.md).  out[0] is h.  Pure.
 */
PROV_API void prov_pdq_dihedral_hash(const struct prov_pdq *h, struct prov_pdq out[8]);
/* The reference's name of a variant ("original", "rot90", ..., "flipminus1"),
 * or NULL when out of range.  Pure. */
PROV_API const char *prov_pdq_variant_name(int var);
/* The variant undoing var (rot90 <-> rot270, the others their own). */
PROV_API int prov_pdq_variant_inverse(int var);

/* Writes the 64 lowercase hex digits the reference prints, NUL-terminated. */
PROV_API void prov_pdq_format(const struct prov_pdq *h, char out[PROV_PDQ_HEX + 1]);
/* Reads exactly 64 hex digits; 0, or -1 if malformed.  quality is left 0. */
PROV_API int prov_pdq_parse(const char *text, struct prov_pdq *h);
/* Hamming distance 0..256 of two hashes.  Pure. */
PROV_API int prov_pdq_distance(const struct prov_pdq *a, const struct prov_pdq *b);

/*
 * The luma plane prov hashes for a decoded image, as schemas/pdq-v1.md
 * specifies: the display window (the data window's pixels, 0 elsewhere;
 * the data window alone when the display window is over 64 Mpixel or 16
 * times the data window), colour from channels "R", "G", "B" (or "Y" alone) of the given
 * layer ("<layer>.R"; NULL or "" for the unprefixed channels), each sample
 * brought to an 8-bit display value (integers scaled by their significant
 * bits, v * 255 / (2^bits - 1) rounded; scene-linear floats clamped to
 * [0, 1] and sRGB-encoded; display floats clamped), then luma
 * 0.299R + 0.587G + 0.114B in float as from an 8-bit file.  Alpha is
 * ignored; orientation is not applied.  On PROV_OK *luma is a malloc'd
 * plane of *width x *height floats the caller frees.  PROV_WARN (e set, *luma NULL) when
 * the image has no such full-resolution channels (nothing to hash);
 * PROV_FAILED when out of memory.  Thread-safe.
 */
PROV_API int prov_pdq_image_luma(const struct prov_image *img, const char *layer,
    float **luma, uint32_t *width, uint32_t *height, struct prov_err *e);

/*
 * Finds uniform borders (letterbox or pillarbox bars, any single colour,
 * within 12 luma levels) around a luma plane.  Returns 1 and the region
 * inside them in box (x0, y0, x1, y1, inclusive) when bars at least 1% of
 * the side (and 2 pixels) thick were found and a quarter of each side (at
 * least 16 pixels) remains; else 0 with box the whole plane.  Pure.
 */
PROV_API int prov_pdq_borders(const float *luma, uint32_t width, uint32_t height,
    uint32_t box[4]);

/*
 * PDQ of a decoded image: prov_pdq_image_luma(), then prov_pdq_luma().
 * When trimmed is not NULL and prov_pdq_borders() finds bars, *trimmed is
 * the hash of the region inside them and box (if not NULL) that region,
 * relative to the hashed region's top-left;
 * otherwise trimmed->quality is -1.  Returns as prov_pdq_image_luma()
 * (PROV_WARN: nothing to hash).  Thread-safe.
 */
PROV_API int prov_pdq_image(const struct prov_image *img, const char *layer,
    struct prov_pdq *out, struct prov_pdq *trimmed, uint32_t box[4],
    struct prov_err *e);

/* (end of PDQ) */

/* ------------------------------------------------------------- PDQ index */
/*
 * Exact Hamming-distance search over 256-bit PDQ hashes (multi-index
 * hashing over 16 chunks of 16 bits; the proof of exactness is at the top
 * of libprov/pdqindex.c), its file beside the ledger, and the matching of
 * prov-fp records against every artifact in the ledger.
 *
 * An index is built by one thread (new, add, build, save); once built it is
 * read-only, and any number of threads may search it at once.
 */
#define PROV_PDQIDX_HASH_LEN 32
#define PROV_PDQIDX_DEFAULT_DISTANCE 31	/* PDQ's recommended threshold */
struct prov_pdqidx;
struct prov_ledger;

/* A stored hash and the caller's data about it (the ledger's: id = entry
 * seq, sub = artifact number in the entry, part = 0 for the record's top
 * level or 1 + its images[] index, plus PROV_PDQIDX_TRIMMED for a
 * "pdq_trimmed" hash). */
#define PROV_PDQIDX_TRIMMED 0x8000
struct prov_pdqidx_item {
	unsigned char hash[PROV_PDQIDX_HASH_LEN];	/* the 64 hex digits, decoded */
	uint64_t id;
	uint32_t sub;
	uint16_t part;
	uint8_t quality;
};
/* What an index file says it covers: the ledger's size and its Merkle root
 * at that size. */
struct prov_pdqidx_stamp {
	uint64_t size;
	unsigned char root[32];
};

/* A new, empty index in *out (never fails but on allocation, which aborts). */
PROV_API int prov_pdqidx_new(struct prov_pdqidx **out, struct prov_err *e);
/* Frees x, unmapping its file; NULL is a no-op. */
PROV_API void prov_pdqidx_free(struct prov_pdqidx *x);
/* Appends n items (copied).  Searches stay exact before the next build:
 * items added since are scanned directly.  PROV_FAILED beyond 2^32 - 16
 * hashes. */
PROV_API int prov_pdqidx_add(struct prov_pdqidx *x, const struct prov_pdqidx_item *items,
    size_t n, struct prov_err *e);
/* (Re)builds the chunk tables over every item, on nthreads threads. */
PROV_API int prov_pdqidx_build(struct prov_pdqidx *x, unsigned nthreads, struct prov_err *e);
/* Number of stored hashes; item i (0-based, in order of addition) into
 * *out, returning 0, or -1 when i is out of range.  Both read only and are
 * thread-safe on an index no thread is changing. */
PROV_API size_t prov_pdqidx_count(const struct prov_pdqidx *x);
/* How many of them (the last ones) the tables do not cover yet: searches
 * compare those with each query directly. */
PROV_API size_t prov_pdqidx_unindexed(const struct prov_pdqidx *x);
PROV_API int prov_pdqidx_item(const struct prov_pdqidx *x, size_t i,
    struct prov_pdqidx_item *out);
/* The stamp saved with the index (zero for a new one), and setting it. */
PROV_API void prov_pdqidx_stamp(const struct prov_pdqidx *x, struct prov_pdqidx_stamp *out);
PROV_API void prov_pdqidx_set_stamp(struct prov_pdqidx *x, const struct prov_pdqidx_stamp *st);
/* Bytes the index occupies in memory or in its mapped file. */
PROV_API size_t prov_pdqidx_memory(const struct prov_pdqidx *x);
/*
 * Calls fn(ctx, item, distance) once for every stored hash within maxdist
 * of q, in no particular order; fn returns 0 to go on, anything else stops
 * the search and is returned.  Exactly the set of a linear scan.  The
 * tables serve maxdist <= 63; beyond it the search is a linear scan.
 * Thread-safe on a built index.  prov_pdqidx_search_linear() is the plain
 * scan, for comparison.
 */
PROV_API int prov_pdqidx_search(const struct prov_pdqidx *x,
    const unsigned char q[PROV_PDQIDX_HASH_LEN], int maxdist,
    int (*fn)(void *ctx, size_t item, int distance), void *ctx);
PROV_API int prov_pdqidx_search_linear(const struct prov_pdqidx *x,
    const unsigned char q[PROV_PDQIDX_HASH_LEN], int maxdist,
    int (*fn)(void *ctx, size_t item, int distance), void *ctx);
struct prov_pdqidx_hit {
	uint32_t query;		/* query number */
	uint32_t item;		/* stored item number */
	uint16_t distance;
};
struct prov_pdqidx_hits {
	struct prov_pdqidx_hit *v;	/* owned; prov_pdqidx_hits_release() */
	size_t n;
};
#define PROV_PDQIDX_LINEAR 1	/* search_many by linear scans (for comparison) */
/* Searches nq queries (nq x 32 bytes) on nthreads threads; out holds every
 * hit, ordered by query, then distance, then item. */
PROV_API int prov_pdqidx_search_many(const struct prov_pdqidx *x,
    const unsigned char *queries, size_t nq, int maxdist, unsigned nthreads, int flags,
    struct prov_pdqidx_hits *out, struct prov_err *e);
/* Frees the hits and empties h. */
PROV_API void prov_pdqidx_hits_release(struct prov_pdqidx_hits *h);
/* Saves x to path.  When path is the file x was loaded from or last saved
 * to, unchanged since (same inode, length and header), with the same
 * tables, only what was added since (hashes and stamp) is appended as one
 * checksummed record under an exclusive flock; otherwise the whole index is
 * written through a temporary file renamed over path, with x's stamp and a
 * checksum: its tables as they are (built first when x never was), the
 * hashes they do not cover yet after them.  Not for two threads on one x. */
PROV_API int prov_pdqidx_save(struct prov_pdqidx *x, const char *path, struct prov_err *e);
/* Maps an index file and checks its header, size, checksum and tables,
 * then reads its appended records while they are whole, checksummed and
 * chained by their stamps; a torn or damaged record and what follows are
 * ignored (the stamp is the last good record's, and the next save
 * rewrites the file).  PROV_WARN when the file does not exist,
 * PROV_FAILED when it is corrupt or of another version (the caller
 * rebuilds it), else PROV_OK. */
PROV_API int prov_pdqidx_load(struct prov_pdqidx **out, const char *path, struct prov_err *e);

/*
 * The PDQ hashes of a prov-fp record: every images[i] "pdq" and
 * "pdq_trimmed" and those of its "layers" (EXR views and layers; all part
 * i + 1), and the top-level ones (part 0) when they differ from those.  Malformed hashes are skipped.  Writes at most max
 * items (id and sub left 0) and returns how many there are.  Pure.
 */
PROV_API size_t prov_pdq_record_hashes(const json_t *rec, struct prov_pdqidx_item *out,
    size_t max);

/* What prov_pdqidx_open_ledger() did. */
struct prov_pdqidx_sync {
	uint64_t from, to;	/* ledger entries read: [from, to) */
	size_t added;		/* hashes added from them */
	int rebuilt;		/* 1 when the file was missing, stale or corrupt */
	int saved;		/* 1 when the file was written */
	char why[256];		/* why it was rebuilt, or why saving failed; "" */
};
/*
 * The index of every artifact's PDQ hashes in ledger l (handoff manifests,
 * receipts, sightings), kept in the file at path: loaded when it is intact
 * and covers a prefix of this ledger (its stamp's root equals the ledger's
 * root at that size), then brought up to date by reading only the entries
 * appended since, and saved again when anything changed (the tables are
 * rebuilt when the hashes they do not cover exceed 4096 and 1/64 of all,
 * so that small appends cost neither a rebuild nor slower searches).  A missing,
 * corrupt or stale file (another ledger, or more entries than this one)
 * is rebuilt from all entries.  A file that cannot be written is not an
 * error: the index is then used from memory (info->saved = 0, info->why).
 * info may be NULL.
 */
PROV_API int prov_pdqidx_open_ledger(struct prov_pdqidx **out, struct prov_ledger *l,
    const char *path, unsigned nthreads, struct prov_pdqidx_sync *info, struct prov_err *e);

/* One match of a query record against a ledger artifact. */
struct prov_pdq_match {
	size_t query;		/* the query record's number */
	uint64_t entry;		/* the ledger entry holding the artifact */
	const char *type;	/* its type: "handoff", "receipt", "sighting" */
	uint32_t artifact;	/* the artifact's number in the entry */
	int part;		/* stored hash: 0 top level, i + 1 images[i] */
	int trimmed;		/* 1 when it was a "pdq_trimmed" hash */
	int distance;		/* the smallest over the query's and artifact's hashes */
	int transform;		/* enum prov_pdq_variant turning the stored image
				 * into the query (PROV_PDQ_ORIGINAL: as stored) */
	int quality;		/* the stored hash's quality */
	json_t *record;		/* the artifact's record (a reference owned by the list) */
};
struct prov_pdq_matches {
	struct prov_pdq_match *v;
	size_t n;
};
/*
 * Matches nq prov-fp records (every hash of each, as prov_pdq_record_hashes
 * gives) against the index of ledger l: one match per (query, artifact),
 * the closest of their hash pairs, ordered by query, distance, entry and
 * artifact.  Each artifact's record is read back from its entry (each
 * matched entry is parsed once).  x must be the index of l
 * (prov_pdqidx_open_ledger); l is used by this thread only.  With flags
 * PROV_PDQ_MATCH_DIHEDRAL each query hash is also searched as its 7
 * other dihedral variants (prov_pdq_dihedral_hash(): 8 times the
 * searches, no larger index), so a rotated or mirrored copy is found;
 * match->transform tells which, the upright pair winning a tie.
 */
#define PROV_PDQ_MATCH_DIHEDRAL 1	/* also rotated/mirrored copies */
PROV_API int prov_pdq_match_records(const struct prov_pdqidx *x, struct prov_ledger *l,
    json_t *const *queries, size_t nq, int maxdist, unsigned nthreads, int flags,
    struct prov_pdq_matches *out, struct prov_err *e);
/* Drops the records' references, frees the list and empties m. */
PROV_API void prov_pdq_matches_release(struct prov_pdq_matches *m);

/* The closest pair of hashes of two records (prov_pdq_records_nearest). */
struct prov_pdq_pair {
	int distance;		/* -1 when either record has no hash */
	int transform;		/* enum prov_pdq_variant turning stored into found */
	int part;		/* stored hash: 0 top level, i + 1 images[i] */
	int trimmed;		/* 1 when the stored hash was a "pdq_trimmed" one */
	const char *layer;	/* the stored EXR layer's "layer" name when the hash
				 * was one of a prefixed group (pdq-v1.md 6), else
				 * NULL; borrowed from stored */
};
#define PROV_PDQ_ANY (-1)	/* prov_pdq_records_nearest: any of the 8 variants */
/*
 * The smallest Hamming distance between a found record's hashes and a
 * stored record's (every hash prov_pdq_record_hashes() gives of each, as
 * prov_pdq_match_records() compares them): with transform PROV_PDQ_ANY
 * the found hashes in their 8 dihedral variants (derived from the bits,
 * an upright pair winning a tie), otherwise only the variant that turns
 * the stored image by transform (PROV_PDQ_ORIGINAL: as stored).  Fills
 * out and returns the distance, -1 when either has no hash or transform
 * is out of range.  Pure; out->layer is borrowed from stored.
 */
/*
 * The hashes prov_pdq_match_records() searches for one record: each of its
 * hashes (prov_pdq_record_hashes()), and with PROV_PDQ_MATCH_DIHEDRAL in
 * flags each as its 8 variants: row k is hash k / nv as variant k % nv
 * (nv 8 or 1); a stored hash near row k says the found image is the
 * stored one turned by prov_pdq_variant_inverse(k % nv).  Writes the rows
 * only when
 * max is at least their number; returns their number.  Pure.
 */
PROV_API size_t prov_pdq_query_rows(const json_t *rec, int flags,
    unsigned char (*rows)[PROV_PDQIDX_HASH_LEN], size_t max);
PROV_API int prov_pdq_records_nearest(const json_t *found, const json_t *stored, int transform,
    struct prov_pdq_pair *out);

/* (end of PDQ index) */

/* ------------------------------------------------------- Merkle (RFC 6962) */
/*
 * Leaf and node hashes, roots, inclusion and consistency proofs, exactly as
 * RFC 6962 / RFC 9162 define them: leaf = SHA-256(0x00 || data), node =
 * SHA-256(0x01 || left || right), a tree of n leaves split at the largest
 * power of two smaller than n.  The root of the empty tree is SHA-256("").
 */
#define PROV_HASH_LEN 32

PROV_API void prov_merkle_leaf_hash(const void *data, size_t len, unsigned char out[PROV_HASH_LEN]);
PROV_API void prov_merkle_node_hash(const unsigned char left[PROV_HASH_LEN],
    const unsigned char right[PROV_HASH_LEN], unsigned char out[PROV_HASH_LEN]);

/*
 * Called for every perfect subtree a new leaf completes: the leaf itself
 * (level 0) and each full subtree of 2^level leaves it closes, which starts
 * at leaf index << level.  A store that keeps these can answer any root or
 * proof with O(log n) lookups.
 */
typedef void (*prov_merkle_node_fn)(void *ctx, unsigned level, uint64_t index,
    const unsigned char hash[PROV_HASH_LEN]);

/*
 * A streaming tree builder: O(log n) memory (the compact range of the
 * perfect subtrees so far).  Caller-allocated; add and root cannot fail.
 */
struct prov_merkle {
	uint64_t size;
	unsigned char nodes[64][PROV_HASH_LEN];	/* nodes[l] valid when bit l of size is set */
	prov_merkle_node_fn on_node;		/* optional */
	void *on_node_ctx;
};
PROV_API void prov_merkle_init(struct prov_merkle *m, prov_merkle_node_fn on_node, void *ctx);
PROV_API void prov_merkle_add(struct prov_merkle *m, const unsigned char leaf_hash[PROV_HASH_LEN]);
PROV_API void prov_merkle_root(const struct prov_merkle *m, unsigned char out[PROV_HASH_LEN]);
PROV_API void prov_merkle_release(struct prov_merkle *m);

/*
 * A source of perfect-subtree hashes: the hash of the 2^level leaves
 * starting at leaf index << level (level 0: the leaf hashes).  Returns
 * PROV_OK, or an error in e (a missing node in a damaged store).
 */
typedef int (*prov_merkle_get_fn)(void *ctx, unsigned level, uint64_t index,
    unsigned char out[PROV_HASH_LEN], struct prov_err *e);

/* Root of the first size leaves. */
PROV_API int prov_merkle_root_at(prov_merkle_get_fn get, void *ctx, uint64_t size,
    unsigned char out[PROV_HASH_LEN], struct prov_err *e);
/* Inclusion proof of leaf index in the tree of size leaves, appended to proof
 * as concatenated 32-byte hashes (RFC 9162 2.1.3.1 order). */
PROV_API int prov_merkle_inclusion_proof(prov_merkle_get_fn get, void *ctx, uint64_t index,
    uint64_t size, struct prov_buf *proof, struct prov_err *e);
/* Consistency proof between sizes size1 <= size2 (RFC 9162 2.1.4.1). */
PROV_API int prov_merkle_consistency_proof(prov_merkle_get_fn get, void *ctx, uint64_t size1,
    uint64_t size2, struct prov_buf *proof, struct prov_err *e);

/*
 * Verifiers (RFC 9162 2.1.3.2 and 2.1.4.2).  proof is proof_len bytes of
 * concatenated hashes; roots are compared as byte strings of the given
 * lengths.  Return PROV_OK when the proof holds, else PROV_FAILED.
 */
PROV_API int prov_merkle_verify_inclusion(uint64_t index, uint64_t size,
    const unsigned char leaf_hash[PROV_HASH_LEN], const unsigned char *proof, size_t proof_len,
    const unsigned char *root, size_t root_len);
PROV_API int prov_merkle_verify_consistency(uint64_t size1, uint64_t size2,
    const unsigned char *root1, size_t root1_len, const unsigned char *root2, size_t root2_len,
    const unsigned char *proof, size_t proof_len);

/*
 * A whole tree in memory (every perfect subtree, about 2 x 32 bytes per
 * leaf), for those who recompute everything from the leaves, such as an
 * auditor.  prov_merkle_tree_get is a prov_merkle_get_fn over it (ctx = tree).
 */
struct prov_merkle_tree {
	uint64_t size;
	unsigned nlevels;
	unsigned char *levels[64];	/* levels[l]: size >> l hashes */
	uint64_t alloc[64];
};
PROV_API void prov_merkle_tree_init(struct prov_merkle_tree *t);
PROV_API void prov_merkle_tree_add(struct prov_merkle_tree *t, const unsigned char leaf_hash[PROV_HASH_LEN]);
PROV_API int prov_merkle_tree_get(void *tree, unsigned level, uint64_t index,
    unsigned char out[PROV_HASH_LEN], struct prov_err *e);
PROV_API void prov_merkle_tree_release(struct prov_merkle_tree *t);

/* (end of Merkle (RFC 6962)) */

/* ----------------------------------------- keys, signed notes, checkpoints */
/*
 * Ed25519 keys and key files, C2SP signed notes, tlog checkpoints,
 * cosignatures, canonical JSON.
 */

/* Standard base64 (RFC 4648, with padding), appended to out. */
PROV_API void prov_base64_encode(const void *data, size_t len, struct prov_buf *out);
/* Strict decoding (padding required, no white space) appended to out;
 * returns 0, or -1 on any invalid input (out then holds no new bytes). */
PROV_API int prov_base64_decode(const char *text, size_t len, struct prov_buf *out);

/*
 * An Ed25519 key as the C2SP signed-note spec names it: a name (no space,
 * no '+'), a type byte (0x01 for signers, 0x04 for cosigners/witnesses), the
 * 32-byte public key and, for a private key, its 32-byte seed.  The key ID
 * is the first 4 bytes of SHA-256(name || "\n" || type || public key).
 * Caller-allocated; prov_key_release() wipes the seed and frees the cached
 * OpenSSL key, which makes repeated signing and verifying cheap.  A key is
 * used by one thread at a time.
 */
#define PROV_KEY_SIGNER 0x01
#define PROV_KEY_COSIGNER 0x04
#define PROV_SIG_LEN 64
struct prov_key {
	char name[256];
	unsigned char type;
	unsigned char pub[32];
	unsigned char seed[32];
	int has_private;
	unsigned char id[4];
};
PROV_API void prov_key_init(struct prov_key *k);
PROV_API void prov_key_release(struct prov_key *k);
/* A new random key of the given type. */
PROV_API int prov_key_generate(struct prov_key *k, const char *name, unsigned char type,
    struct prov_err *e);
/* Writes the private key file: created 0600, never over an existing file
 * or through a symlink; text "PRIVATE+KEY+name+id+base64(type || seed)". */
PROV_API int prov_key_write_private(const struct prov_key *k, const char *path,
    struct prov_err *e);
/* Reads a private key file; refuses one that group or others can access,
 * a symlink, or anything that is not exactly one key line. */
PROV_API int prov_key_read_private(struct prov_key *k, const char *path, struct prov_err *e);
/* Parses the private key text form (as written above). */
PROV_API int prov_key_parse_private(struct prov_key *k, const char *text, size_t len,
    struct prov_err *e);
/* Appends the verifier key text "name+id+base64(type || public key)". */
PROV_API void prov_vkey_format(const struct prov_key *k, struct prov_buf *out);
/* Parses verifier key text (the base64 part may itself hold '+'). */
PROV_API int prov_vkey_parse(struct prov_key *k, const char *text, size_t len,
    struct prov_err *e);
/* Ed25519 signature of msg; needs a private key. */
PROV_API int prov_sign(struct prov_key *k, const void *msg, size_t len,
    unsigned char sig[PROV_SIG_LEN], struct prov_err *e);
/* PROV_OK when sig is k's signature of msg, else PROV_FAILED. */
PROV_API int prov_verify(struct prov_key *k, const void *msg, size_t len,
    const unsigned char sig[PROV_SIG_LEN]);

/*
 * C2SP signed notes (signed-note v1.0.0): the text (valid UTF-8, no control
 * characters but newline, ending in a newline), a blank line, then one line
 * per signature: U+2014, a space, the key name, a space, and
 * base64(key ID || signature).  A cosigner's (type 0x04, tlog-cosignature
 * v1.0.1) signature is base64(key ID || 8-byte big-endian time || signature)
 * over "cosignature/v1\ntime <seconds>\n" followed by the text.
 */
/* Signs text with k, appending the whole note to out.  A cosigner key
 * signs with the given time (seconds since the epoch); others ignore it. */
PROV_API int prov_note_sign(const char *text, size_t len, struct prov_key *k, uint64_t time,
    struct prov_buf *out, struct prov_err *e);
/* Appends k's signature line for a note whose text is given to an
 * existing note (out holds the note). */
PROV_API int prov_note_add_signature(struct prov_buf *note, struct prov_key *k,
    uint64_t time, struct prov_err *e);

struct prov_note_result {
	size_t text_len;		/* the text is note[0..text_len) */
	unsigned nverified;		/* known keys whose signature verified */
	int verified[16];		/* per known key (first 16): 1 verified */
	uint64_t cosigned_at[16];	/* per known cosigner key: its time */
	unsigned nunknown;		/* signatures by keys not given */
};
/*
 * Verifies a note against known keys (up to 16).  Signatures by unknown
 * keys are counted and ignored.  Returns PROV_OK when at least one known key
 * verified and none failed; PROV_FAILED (e names the key or the defect)
 * when a known key's signature fails, none verifies, or the note is
 * malformed.
 */
PROV_API int prov_note_verify(const char *note, size_t len, struct prov_key *const *known,
    size_t nknown, struct prov_note_result *res, struct prov_err *e);

/* C2SP tlog-checkpoint v1.0.0: origin line, tree size, base64 root hash. */
struct prov_checkpoint {
	char origin[256];
	uint64_t size;
	unsigned char root[32];
};
/* Appends the checkpoint text (three lines, no extension lines). */
PROV_API void prov_checkpoint_format(const struct prov_checkpoint *c, struct prov_buf *out);
/* Parses checkpoint text (a note's text part); extension lines are allowed
 * and ignored; size must be decimal without leading zeros. */
PROV_API int prov_checkpoint_parse(struct prov_checkpoint *c, const char *text, size_t len,
    struct prov_err *e);

/*
 * Canonical JSON (schemas/canonical-json.md): RFC 8785 restricted to
 * integers.  Object members sorted by the UTF-16 code units of their names,
 * no white space, strings escaped only where JSON requires.  Fails on real
 * numbers and on integers beyond +/-(2^53 - 1).
 */
PROV_API int prov_cjson_encode(const json_t *v, struct prov_buf *out, struct prov_err *e);
/* Parses text (refusing duplicate keys) and checks it is canonical; on
 * success stores the parsed value in *out when out is not NULL. */
PROV_API int prov_cjson_check(const char *text, size_t len, json_t **out, struct prov_err *e);

/* (end of keys, signed notes, checkpoints) */

/* ---------------------------------------------------------------- ledger */
/*
 * The SQLite ledger: entries, appends, queries, export and import.
 *
 * Every entry is canonical JSON of {"seq", "time", "type", "author", "key",
 * "body", "sig"} (schemas/entry.schema.json); "sig" is the Ed25519
 * signature by "key" over the canonical JSON of the object without "sig".
 * The entry bytes are the Merkle leaf data and the lines of an export.
 * Entry 0 is "init": the origin and the operator's verifier key.
 */
struct prov_ledger;

#define PROV_LEDGER_READONLY 1	/* open an existing ledger read-only */
#define PROV_LEDGER_CREATE 2	/* create a new ledger (the file must not exist) */
#define PROV_LEDGER_MEMORY 4	/* a private in-memory ledger (path ignored) */
/* Commits are atomic but not flushed to disk one by one (SQLite WAL with
 * synchronous=NORMAL): a crash never half-writes an entry, a power cut
 * may lose the last ones.  For bulk loads such as the benchmark's. */
#define PROV_LEDGER_NOSYNC 8

/* Opens a ledger; *out is NULL on failure.  A handle is used by one
 * thread at a time; several processes may append to one file (SQLite
 * locking, a busy timeout, one transaction per entry). */
PROV_API int prov_ledger_open(struct prov_ledger **out, const char *path, int flags,
    struct prov_err *e);
PROV_API void prov_ledger_close(struct prov_ledger *l);	/* NULL is a no-op */
/* Appends the init entry to a new, empty ledger. */
PROV_API int prov_ledger_init(struct prov_ledger *l, const char *origin,
    struct prov_key *operator_key, struct prov_err *e);
/* Number of entries (the tree size). */
PROV_API uint64_t prov_ledger_size(struct prov_ledger *l);
/* The origin and operator verifier key text, borrowed until close; "" before init. */
PROV_API const char *prov_ledger_origin(struct prov_ledger *l);
PROV_API const char *prov_ledger_operator(struct prov_ledger *l);
/* The exact bytes of entry seq, appended to out. */
PROV_API int prov_ledger_entry(struct prov_ledger *l, uint64_t seq, struct prov_buf *out,
    struct prov_err *e);
/*
 * Builds, signs and appends an entry of type ("party", "approval",
 * "revocation", "handoff", "receipt", "sighting") with body (borrowed; the
 * library adds the derived members: a handoff's manifest "root" and
 * "count" and its "covered" verdict, a receipt's "manifest_root" and
 * "matches").  signer must be the operator or a party with the authority
 * the type needs (see man/prov-ledger.1).  Nothing is written on failure.
 */
PROV_API int prov_ledger_append(struct prov_ledger *l, const char *type, json_t *body,
    struct prov_key *signer, uint64_t *seq_out, struct prov_err *e);
/*
 * What a sighting's artifacts (prov-fp records) are in the ledger, as the
 * "matches" of its body: for each artifact i in order, the handoff
 * artifacts with the same bytes, else those with the same pixels, else
 * (with x, the ledger's PDQ index from prov_pdqidx_open_ledger(), and
 * maxdist >= 0) those whose PDQ hashes are within maxdist, nearest first;
 * at most PROV_SIGHTING_MAX_MATCHES per artifact.  *out is a new array
 * (the caller's) of {"artifact": i, "entry": handoff seq, "index": its
 * artifact number, "how": "bytes" | "pixels" | "perceptual", "distance"
 * (perceptual only), "transform" (perceptual, a rotated or mirrored copy
 * only: prov_pdq_match_records() with PROV_PDQ_MATCH_DIHEDRAL)}, or NULL
 * on failure.  x may be NULL.  Appending a sighting checks every claim of
 * its "matches" (prov_ledger_append, import and the audit's replay), so
 * the ledger carries verified evidence, and checks that the exact matches
 * are complete: every "bytes" match and, for an artifact without one,
 * every "pixels" match this function would list must be there (a missing
 * "matches" is an empty list), else the entry is refused naming the
 * artifact left out.  Perceptual matches are not required, since which
 * distance counts is the finder's choice.
 */
#define PROV_SIGHTING_MAX_MATCHES 64
PROV_API int prov_ledger_sighting_matches(struct prov_ledger *l, const struct prov_pdqidx *x,
    const json_t *artifacts, int maxdist, unsigned nthreads, json_t **out, struct prov_err *e);
/* Verifies an exported entry (canonical form, seq, time, signature,
 * authority, derived members) and appends it unchanged. */
PROV_API int prov_ledger_import(struct prov_ledger *l, const char *bytes, size_t len,
    struct prov_err *e);
/*
 * Imports a whole export in one transaction: next() hands over each entry's
 * bytes (borrowed until the next call) and returns 1, or 0 at the end, or
 * -1 after setting e on a read error.  Every entry is checked as
 * prov_ledger_import does; on any error nothing at all is written.
 */
PROV_API int prov_ledger_import_all(struct prov_ledger *l,
    int (*next)(void *ctx, const char **bytes, size_t *len, struct prov_err *e), void *ctx,
    struct prov_err *e);
/* Root of the first size entries, from the stored subtree hashes. */
PROV_API int prov_ledger_root(struct prov_ledger *l, uint64_t size,
    unsigned char out[PROV_HASH_LEN], struct prov_err *e);
PROV_API int prov_ledger_inclusion_proof(struct prov_ledger *l, uint64_t seq, uint64_t size,
    struct prov_buf *proof, struct prov_err *e);
PROV_API int prov_ledger_consistency_proof(struct prov_ledger *l, uint64_t size1,
    uint64_t size2, struct prov_buf *proof, struct prov_err *e);
/* Signs a checkpoint of the current size with the operator's key, stores
 * it and appends the signed note to out. */
PROV_API int prov_ledger_checkpoint(struct prov_ledger *l, struct prov_key *operator_key,
    struct prov_buf *out, struct prov_err *e);
/* Calls fn for every stored checkpoint in size order; fn returns 0 to go on. */
PROV_API int prov_ledger_foreach_checkpoint(struct prov_ledger *l,
    int (*fn)(void *ctx, uint64_t size, const char *note, size_t len), void *ctx,
    struct prov_err *e);
/* Calls fn for every stored entry row in seq order, as stored (an
 * auditor's view: gaps and misplaced rows show); fn returns 0 to go on. */
PROV_API int prov_ledger_foreach_entry(struct prov_ledger *l,
    int (*fn)(void *ctx, int64_t seq, const char *bytes, size_t len), void *ctx,
    struct prov_err *e);
/* The stored leaf hash (tree level 0) of entry seq. */
PROV_API int prov_ledger_stored_leaf(struct prov_ledger *l, uint64_t seq,
    unsigned char out[PROV_HASH_LEN], struct prov_err *e);
/* RFC 6962 root over the canonical JSON of each artifact, in order. */
PROV_API int prov_manifest_root(const json_t *artifacts, unsigned char out[PROV_HASH_LEN],
    struct prov_err *e);

/* (end of ledger) */

/* ----------------------------------------------------------------- audit */
/*
 * Verification of a ledger against checkpoints, and of files against
 * a handoff manifest.
 */

/*
 * An audit of a ledger from its entries alone: every entry is replayed
 * through every check of an append (canonical form, sequence, time,
 * signature, authority, coverage, manifest roots) against a verify-only
 * state in memory that keeps what those checks need (parties, keys,
 * revocations, approvals, handoff roots) rather than a copy of the
 * entries; the Merkle tree is recomputed from the entries' bytes and
 * compared with the stored tree and every stored checkpoint, and, when
 * given, a checkpoint saved earlier is proven to be extended by today's
 * entries.  Entries are streamed in batches; signatures are verified on
 * every CPU, the findings still come in entry order.  Findings are reported
 * through report() (called on the caller's thread), one line each, naming
 * the entry or checkpoint.
 */
struct prov_audit_opts {
	const char *saved_checkpoint;	/* note text, or NULL */
	size_t saved_len;
	struct prov_key *operator_key;	/* the auditor's copy of the operator key, or NULL */
	struct prov_key *witnesses[8];	/* known witness (cosigner) keys */
	size_t nwitnesses;
	void (*report)(void *ctx, const char *finding);
	void *report_ctx;
};
struct prov_audit_result {
	uint64_t entries;		/* entries read */
	uint64_t verified;		/* entries that passed every check */
	uint64_t checkpoints;		/* stored checkpoints that verified */
	uint64_t findings;		/* problems reported */
	unsigned char root[PROV_HASH_LEN];	/* recomputed root of all entries */
	char latest_checkpoint[1024];	/* the newest verified checkpoint note, for cosigning */
};
/* Audits a ledger file (l, opened read-only) or, with l NULL, the export
 * read line by line from export (borrowed; read to its end; a regular file
 * is also read again with pread() for a receipt whose manifest differs from
 * its handoff's).  Returns PROV_OK when nothing was found, PROV_FAILED when
 * findings were reported, PROV_FATAL when the audit could not be made.
 * Memory: the recomputed tree (64 to 128 bytes per entry) and the state
 * the checks keep (about 50 to 100 bytes per handoff), plus two batches of
 * entries being checked.  Runs one worker thread per CPU (at most 8);
 * report() is called on the caller's thread, in entry order. */
/*
 * Files against a manifest, as hashdeep's audit mode and beyond it.  Each
 * record (prov-fp's layout) on disk is judged against the manifest's:
 * "matched" (same name, same bytes), "changed" (same name, other bytes),
 * "same-pixels" (same decoded pixels in another container or encoding),
 * "perceptual" (PDQ distance within pdq_max, by default PROV_PDQ_MATCH, of an image), "moved"
 * (the same bytes under another name), "new"; and each manifest record
 * nothing matched is "missing".  Names are compared after Unicode NFC
 * normalisation, so NFC and NFD spellings of a name are one name.
 *
 * Names meet in passes, each over every record still unpaired: the name
 * under the manifest's name of the archive (above); the whole path; the name inside its operand (below the directory given, see
 * root_len, or inside the innermost archive: "d.zip!/deliv/a.exr" is
 * "deliv/a.exr"); that name against the manifest's names without the top
 * folder all of them share ("a.exr" for "deliv/a.exr"); and, for archive
 * members only, the last two without the member's own first folder
 * ("d.zip!/deliv_v2/a.exr").  A leading "./" is ignored.  What is left is
 * paired by content: bytes ("moved"), pixels, then the nearest PDQ hash.
 *
 * An archive's own record (one with an "archive" object) is judged as one
 * file when its bytes or its name are in the manifest.  Its members are
 * then judged too when the manifest lists members of that record (names
 * "NAME!/...", as a handoff from PATHs records them), meeting them first
 * under the manifest's name of the archive ("d_v2.zip!/a.exr" as
 * "d.zip!/a.exr"), and set aside when it does not; an archive not in the
 * manifest is not judged, its members are.  Archive records must come
 * before their members (the walker's order).  Links
 * and records without a sha256 are set aside, but a record with an
 * "error" and no sha256, and an archive judged by its members that ended
 * in error, is an "error" line.
 */
#define PROV_PDQ_MATCH 31
struct prov_compare_line {
	const char *status;	/* see above */
	const json_t *disk;	/* the record on disk, NULL for "missing" */
	const json_t *manifest;	/* the manifest record it was judged against, or NULL */
	int distance;		/* PDQ distance for "perceptual", else -1 */
	int by_content;		/* 1 when paired by content rather than by name */
	/* For "perceptual": the enum prov_pdq_variant turning the manifest's
	 * image into the file's (PROV_PDQ_ORIGINAL when upright), and the
	 * manifest's EXR layer that matched, or NULL (prov_pdq_pair). */
	int transform;
	const char *layer;
};
struct prov_compare_counts {
	uint64_t matched, changed, same_pixels, perceptual, moved, added, missing;
	uint64_t errors;	/* "error" lines */
};
struct prov_compare_opts {
	int pdq_max;		/* largest PDQ distance judged "perceptual" */
	/* Per disk record (NULL: all 0), how many bytes of its path name the
	 * operand it was found under: "deliv/" for deliv/a.exr when the
	 * directory deliv was given, "/mnt/in/" for the file /mnt/in/a.exr. */
	const size_t *root_len;
	/* 1: perceptual pairing by a linear scan of the manifest (for
	 * comparison); 0: through a struct prov_pdqidx of its hashes. */
	int linear;
	/* 1: only upright perceptual pairs; 0: also rotated and mirrored
	 * copies, as prov_pdq_records_nearest() with PROV_PDQ_ANY. */
	int upright;
};
/* pdq_max PROV_PDQ_MATCH, root_len NULL, linear 0, upright 0. */
PROV_API void prov_compare_opts_default(struct prov_compare_opts *o);
/* Calls fn for every judgement, disk records in their order, then the
 * missing ones in manifest order.  opts NULL means the defaults.  Returns
 * PROV_OK when everything matched (no error line either), PROV_FAILED
 * otherwise.  Reads its arguments only; thread safe. */
PROV_API int prov_compare_files(const json_t *manifest, const json_t *disk,
    const struct prov_compare_opts *opts,
    void (*fn)(void *ctx, const struct prov_compare_line *line), void *ctx,
    struct prov_compare_counts *counts);
/* prov_compare_files() with the default options and pdq_max (negative:
 * PROV_PDQ_MATCH). */
PROV_API int prov_compare_records(const json_t *manifest, const json_t *disk, int pdq_max,
    void (*fn)(void *ctx, const struct prov_compare_line *line), void *ctx,
    struct prov_compare_counts *counts);
/* Hamming distance of two 64-digit hex PDQ hashes, or -1 when either is
 * not one. */
PROV_API int prov_pdq_hex_distance(const char *a, const char *b);

PROV_API int prov_audit_ledger(struct prov_ledger *l, FILE *export,
    const struct prov_audit_opts *opts, struct prov_audit_result *res, struct prov_err *e);

/* (end of audit) */

/* ----------------------------------------------------------------- trace */
/*
 * Tracing found copies (prov-trace): each found record is matched against
 * every ledger artifact (the same bytes, else the same pixels, else the
 * closest PDQ hashes within pdq_max) and the custody of the matched
 * artifacts is walked: handoffs in ledger order, the receipts that
 * acknowledge them, the handoffs they reply to, which approvals covered
 * each at its time, the last approved custodian and the first handoff
 * that left the approved chain.  See libprov/trace.c and
 * schemas/trace.schema.json for the result objects.
 */
struct prov_trace;
struct prov_trace_opts {
	int pdq_max;		/* largest PDQ distance matched; negative: no
				 * perceptual matching */
	unsigned threads;	/* threads for the PDQ index (1 or more) */
	int upright;		/* 1: no rotated or mirrored matches (as
				 * prov_pdq_match_records() without
				 * PROV_PDQ_MATCH_DIHEDRAL) */
	/* 1: the found files are a delivery about to go out (prov-report),
	 * not copies found outside: an indicator naming a party that holds
	 * no approval is reported even when the matched artifact carried it
	 * (the ledger recording it does not make that party approved), and
	 * those read from the found file's own path (where the delivery sits
	 * on the producer's disk) are not judged.  0: as prov-trace. */
	int delivery;
};
/* pdq_max PROV_PDQIDX_DEFAULT_DISTANCE, one thread, upright 0, delivery 0. */
PROV_API void prov_trace_opts_default(struct prov_trace_opts *o);
/*
 * Opens the ledger file at ledger_path read-only for tracing, with its PDQ
 * index "<ledger_path>.pdqidx" (prov_pdqidx_open_ledger(): brought up to
 * date and saved when it can be; sync, which may be NULL, says what was
 * done).  opts is copied; NULL means the defaults.  *out is NULL on
 * failure (PROV_FATAL or PROV_FAILED with e set).  A handle is used by one
 * thread at a time.
 */
PROV_API int prov_trace_open(struct prov_trace **out, const char *ledger_path,
    const struct prov_trace_opts *opts, struct prov_pdqidx_sync *sync, struct prov_err *e);
/* Closes t; NULL is a no-op. */
PROV_API void prov_trace_close(struct prov_trace *t);
/*
 * Traces n prov-fp records (borrowed) and sets *out to a new JSON array
 * (owned by the caller) of one result object per record, in order:
 * "found", "kind", "sha256", "verdict" ("in-chain", "left-chain",
 * "no-custody", "untraced", "error", or "container" for an archive or a
 * sequence that matched nothing itself: its members are traced), "match" {"how": "bytes" | "pixels" |
 * "perceptual", "distance", "transform", "artifacts" [{..., "transform",
 * "layer"?}], "total"}, "custody" [edges],
 * "custodians", "last_approved", "exit", "sightings", "indicators" (those
 * no approved party accounts for) and "unapproved_indicators".  Returns
 * PROV_OK, or PROV_FATAL with e set when the ledger could not be read.
 */
PROV_API int prov_trace_records(struct prov_trace *t, json_t *const *recs, size_t n,
    json_t **out, struct prov_err *e);

/*
 * The custody graph of trace results (prov_trace_records()' array,
 * borrowed), the model both prov-trace's DOT and prov-report's SVG are
 * drawn from: a new object (the caller's) {"parties": [{"name", "depth"}],
 * "edges": [{"entry", "time", "from", "to", "project", "chain"}]}.  Each
 * handoff is one edge, in ledger order; its "chain" is "in", "outside" or
 * "exit", an "exit" in any result outranking the others.  A party's depth
 * is its hop count in a layered drawing: 0 for the sender of the first
 * edge it appears in when it had not received before, else one more than
 * the depth of the sender that first handed it work.  Parties are in the
 * order they were first met.  Pure; thread safe.
 */
PROV_API json_t *prov_trace_graph(const json_t *results);

/* (end of trace) */

/* ---------------------------------------------------------------- report */
/*
 * The producer's delivery report (prov-report): a delivery's files (prov-fp
 * records: a directory, an archive, or a handoff's own manifest) judged
 * by four checks, every one of which must pass before the delivery goes
 * out: "records" (every file has a ledger record: the same bytes or the
 * same pixels as a handoff's artifact, or is a member of an archive that
 * has), "custody" (no handoff on a file's path left the approved chain),
 * "indicators" (no file carries an indicator of a party no approval
 * names) and "ledger" (prov_audit_ledger() finds nothing).  Matching and
 * custody are prov-trace's (prov_trace_records() with delivery set);
 * the result is one JSON object (schemas/report.schema.json) that the
 * writers below render as text, Markdown and one self-contained HTML page
 * with thumbnails of the flagged frames and the custody graph as SVG.
 */
struct prov_report_opts {
	int pdq_max;		/* as struct prov_trace_opts */
	unsigned threads;	/* threads for the PDQ index and the audit's pool */
	unsigned max_thumbnails;	/* thumbnails of flagged images (50) */
	unsigned thumb_size;	/* their longest side in pixels (160) */
	struct prov_limits limits;	/* for decoding them */
};
/* pdq_max PROV_PDQIDX_DEFAULT_DISTANCE, one thread, 50 thumbnails of 160
 * pixels, prov_limits_default(). */
PROV_API void prov_report_opts_default(struct prov_report_opts *o);
/*
 * The manifest of handoff seq in the ledger at ledger_path (read-only):
 * *out is a new array (the caller's) of its artifacts, prov-fp records as
 * they were handed over.  Returns PROV_OK, PROV_FAILED when seq is not a
 * handoff, PROV_FATAL when the ledger cannot be read (e set, *out NULL).
 */
PROV_API int prov_report_handoff_records(const char *ledger_path, uint64_t seq,
    json_t **out, struct prov_err *e);
/*
 * Judges the n records (borrowed) of a delivery against the ledger at
 * ledger_path and sets *out to the new report object (the caller's).
 * delivery (borrowed; may be NULL) is copied into the report as its
 * "delivery" (what was judged: {"inputs": [...]} or {"handoff": N}).
 * Thumbnails are decoded from the flagged files that are on disk under
 * their record's path (archive members are not extracted).  An empty
 * delivery fails the records check.  opts NULL means the defaults.
 * Returns PROV_OK whether or not the checks pass (the report's "verdict"
 * says), PROV_FATAL when the ledger cannot be read or audited.  Uses
 * opts->threads threads; the handle-free call is safe from any thread.
 */
PROV_API int prov_report_build(const char *ledger_path, const json_t *delivery,
    json_t *const *recs, size_t n, const struct prov_report_opts *opts, json_t **out,
    struct prov_err *e);
/*
 * A thumbnail of the first image of the file at path (len bytes of name):
 * decoded by the format module that bids for it, brought to 8-bit display
 * values as the PDQ code does (scene-linear EXR floats sRGB-encoded),
 * box-filtered to at most size pixels on its longest side, and appended to
 * png as a PNG (RGB, or grey when the image has only luminance).  *w and
 * *h receive its size.  Returns PROV_OK, or PROV_FAILED with e set (not an
 * image, undecodable, over lim).  Thread safe.
 */
PROV_API int prov_report_thumbnail(const char *path, size_t len, unsigned size,
    const struct prov_limits *lim, struct prov_buf *png, unsigned *w, unsigned *h,
    struct prov_err *e);
/*
 * Writers of a report from prov_report_build() (borrowed) to fp.  Every
 * name from the delivery or the ledger is escaped for its medium: control
 * characters as by prov_escape(), then HTML's and Markdown's own
 * specials.  Text: the verdict line first ("PASS: ..." or "FAIL: ..."),
 * then one line per check and the flagged files (quiet: the verdict and
 * the failed checks only).  HTML: one page with no external resource and
 * no script (a Content-Security-Policy forbids both).  Return 0, or -1 on
 * a write error.
 */
PROV_API int prov_report_write_text(FILE *fp, const json_t *report, int quiet);
PROV_API int prov_report_write_markdown(FILE *fp, const json_t *report);
PROV_API int prov_report_write_html(FILE *fp, const json_t *report);

/* (end of report) */

#ifdef __cplusplus
}
#endif

#endif /* PROV_H */
