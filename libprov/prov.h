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
	PROV_SAMPLE_F64
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

struct prov_fp_opts {
	struct prov_limits limits;
	int follow_symlinks;		/* -L */
	int images;			/* decode images (pixels, geometry, meta) */
	int pdq;			/* perceptual hash of decoded images */
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
 * prov_fp_finish() waits for every queued input and emits the rest.
 * prov_fp_close() ends the run (dropping anything not finished) and frees
 * it; NULL is a no-op.  One run is used by one thread at a time.
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
 * encoding): one record, plus members when it is an archive.  The data is
 * borrowed for the call.  Thread-safe (no shared state). */
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
	/* "<sha256>\t<kind>\t<path>\n"; "-" for a record with no digest, kind
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
/* "u8", "u16", "u32", "i8", "i16", "i32", "half", "float", "double". */
PROV_API const char *prov_sample_name(enum prov_sample type);

/* (end of pixel hash) */

/* ------------------------------------------------------------------- EXR */
/*
 * OpenEXR through OpenEXRCore, DWA through a small C++ shim.
 */

/* (end of EXR) */

/* --------------------------------------------------- names and sequences */
/*
 * Episode/sequence/shot/frame from paths, frame sequences and
 * their Merkle roots, indicators of who made a file.
 */

/* (end of names and sequences) */

/* ------------------------------------------------------------------- PDQ */
/*
 * The PDQ perceptual hash (bit-exact with the reference, full
 * resolution convention) and the Hamming-distance index.
 */

/* (end of PDQ) */

/* ------------------------------------------------------- Merkle (RFC 6962) */
/*
 * Leaf and node hashes, roots, inclusion and consistency proofs.
 */

/* (end of Merkle (RFC 6962)) */

/* ----------------------------------------- keys, signed notes, checkpoints */
/*
 * Ed25519 keys and key files, C2SP signed notes, tlog checkpoints,
 * cosignatures, canonical JSON.
 */

/* (end of keys, signed notes, checkpoints) */

/* ---------------------------------------------------------------- ledger */
/*
 * The SQLite ledger: entries, appends, queries, export and import.
 */

/* (end of ledger) */

/* ----------------------------------------------------------------- audit */
/*
 * Verification of a ledger against checkpoints, and of files against
 * a handoff manifest.
 */

/* (end of audit) */

#ifdef __cplusplus
}
#endif

#endif /* PROV_H */
