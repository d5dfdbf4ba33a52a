/*
 * archive.c: archives read through libarchive, from memory, never
 * extracted.
 *
 * Every member becomes a record named "outer!/member" after its archive's
 * record; a member that is itself an archive is read again from memory,
 * up to limits.max_depth.  All archives under one input share one
 * expansion budget (limits.max_ratio times the input's size), so a zip
 * bomb, nested or not, stops with an error record instead of eating the
 * machine.  A member held in memory (for a format module or a nested
 * archive) may not pass limits.max_member_bytes; a bigger one is still
 * hashed as it streams by.
 *
 * Names: libarchive hands over names in the locale's character set, and
 * converts names the archive marks as UTF-8 (zip flag, pax) into it.  The
 * archive is read under a thread-local C.UTF-8 locale so that marked names
 * arrive as UTF-8 and unmarked ones as the raw bytes stored; those that are
 * not UTF-8 get a guessed "name_charset" (charset.c).
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fp_int.h"
#include "banned.h"

/* Slack on top of the ratio, so small archives are never stopped. */
#define BUDGET_FLOOR (1024 * 1024)

static locale_t utf8_locale;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void
make_locale(void)
{
	utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static int
has(const unsigned char *h, size_t len, size_t off, const char *magic, size_t n)
{
	return len >= off + n && memcmp(h + off, magic, n) == 0;
}

/* A tar header: "ustar" magic, or a v7 header whose checksum adds up. */
static int
tar_header(const unsigned char *h, size_t len)
{
	unsigned long sum = 0, want = 0;
	size_t i;
	int digits = 0;

	if (len < 512)
		return 0;
	if (has(h, len, 257, "ustar", 5))
		return 1;
	if (h[0] == '\0')
		return 0;
	for (i = 148; i < 156; i++) {
		if (h[i] >= '0' && h[i] <= '7') {
			want = want * 8 + (unsigned long)(h[i] - '0');
			digits++;
		} else if (h[i] != ' ' && h[i] != '\0')
			return 0;
	}
	if (digits == 0)
		return 0;
	for (i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	return sum == want;
}

int
archive_sniff(const unsigned char *h, size_t len)
{
	static const struct {
		size_t off;
		const char *magic;
		size_t n;
	} m[] = {
		{ 0, "PK\003\004", 4 },		/* zip */
		{ 0, "PK\005\006", 4 },		/* empty zip */
		{ 0, "PK\007\010", 4 },		/* spanned zip marker */
		{ 0, "\037\213", 2 },		/* gzip */
		{ 0, "BZh", 3 },		/* bzip2 */
		{ 0, "\3757zXZ\0", 6 },		/* xz */
		{ 0, "\135\0\0", 3 },		/* lzma alone */
		{ 0, "\050\265\057\375", 4 },	/* zstd */
		{ 0, "\004\042\115\030", 4 },	/* lz4 */
		{ 0, "LZIP", 4 },		/* lzip */
		{ 0, "\037\235", 2 },		/* compress */
		{ 0, "7z\274\257\047\034", 6 },	/* 7z */
		{ 0, "Rar!\032\007", 6 },	/* rar 4 and 5 */
		{ 0, "070707", 6 },		/* cpio odc */
		{ 0, "070701", 6 },		/* cpio newc */
		{ 0, "070702", 6 },		/* cpio crc */
		{ 0, "\161\307", 2 },		/* cpio binary, little-endian */
		{ 0, "\307\161", 2 },		/* cpio binary, big-endian */
		{ 0, "!<arch>\n", 8 },		/* ar */
		{ 0, "MSCF", 4 },		/* cab */
		{ 0, "xar!", 4 },		/* xar */
		{ 0, "WARC/", 5 },		/* warc */
		{ 32769, "CD001", 5 },		/* iso9660 */
	};
	size_t i;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (has(h, len, m[i].off, m[i].magic, m[i].n))
			return 1;
	/* LHA: "-lh?-" or "-lz?-" at offset 2 */
	if (len >= 7 && h[2] == '-' && h[3] == 'l' && (h[4] == 'h' || h[4] == 'z') &&
	    h[6] == '-')
		return 1;
	return tar_header(h, len);
}

int
archive_sniff_tail(const unsigned char *t, size_t len)
{
	const unsigned char *p = t, *q;

	if (len < 22)
		return 0;
	/* memchr finds the candidates far faster than a byte loop; any one
	 * whose comment length reaches the end will do, so order is free */
	while ((q = memchr(p, 'P', (size_t)(t + len - 22 + 1 - p))) != NULL) {
		size_t i = (size_t)(q - t);

		if (q[1] == 'K' && q[2] == 5 && q[3] == 6 &&
		    i + 22 + (size_t)(t[i + 20] | t[i + 21] << 8) == len)
			return 1;	/* the comment length reaches the end */
		p = q + 1;
	}
	return 0;
}

/* The name of the compression a stream starts with, or NULL. */
static const char *
compressor(const unsigned char *h, size_t len)
{
	if (has(h, len, 0, "\037\213", 2))
		return "gzip";
	if (has(h, len, 0, "BZh", 3))
		return "bzip2";
	if (has(h, len, 0, "\3757zXZ\0", 6))
		return "xz";
	if (has(h, len, 0, "\135\0\0", 3))
		return "lzma";
	if (has(h, len, 0, "\050\265\057\375", 4))
		return "zstd";
	if (has(h, len, 0, "\004\042\115\030", 4))
		return "lz4";
	if (has(h, len, 0, "LZIP", 4))
		return "lzip";
	if (has(h, len, 0, "\037\235", 2))
		return "compress";
	return NULL;
}

/* The reading of one archive (one level). */
struct reader {
	struct fp_ctx *c;
	struct archive *a;
	const char *outer;		/* the archive's own path (raw) */
	size_t outer_len;
	unsigned depth;			/* of this archive: 1 for a file */
	int fatal;			/* the archive cannot go on */
};

static void
set_member_fields(struct reader *r, struct archive_entry *e, json_t *m,
    const char *name, size_t nlen)
{
	const char *s;
	unsigned unsafe;

	if (archive_entry_mtime_is_set(e))
		json_object_set_new(m, "mtime", json_integer((json_int_t)archive_entry_mtime(e)));
	{
		char mode[16];
		snprintf(mode, sizeof(mode), "%04o", (unsigned)archive_entry_perm(e) & 07777);
		json_object_set_new(m, "mode", json_string(mode));
	}
	if (archive_entry_uid(e) != 0 || archive_entry_gid(e) != 0 ||
	    archive_entry_uname(e) != NULL || archive_entry_gname(e) != NULL) {
		json_object_set_new(m, "uid", json_integer((json_int_t)archive_entry_uid(e)));
		json_object_set_new(m, "gid", json_integer((json_int_t)archive_entry_gid(e)));
	}
	if ((s = archive_entry_uname(e)) != NULL)
		prov_json_set_name(m, "uname", s, strlen(s));
	if ((s = archive_entry_gname(e)) != NULL)
		prov_json_set_name(m, "gname", s, strlen(s));
	if ((s = archive_entry_symlink(e)) != NULL || (s = archive_entry_hardlink(e)) != NULL)
		prov_json_set_name(m, "link", s, strlen(s));
	if (!prov_utf8_valid(name, nlen)) {
		struct prov_buf dec = PROV_BUF_INIT;
		const char *cs = charset_guess(name, nlen, &dec);
		char *hex = prov_xmalloc(2 * nlen + 1);

		prov_hex((const unsigned char *)name, nlen, hex);
		json_object_set_new(m, "name_bytes", json_string(hex));
		free(hex);
		if (cs != NULL) {
			json_object_set_new(m, "name_charset", json_string(cs));
			json_object_set_new(m, "name_decoded", json_stringn(dec.buf, dec.len));
		} else
			json_object_set_new(m, "name_charset", json_string("unknown"));
		prov_buf_release(&dec);
	}
	unsafe = name_unsafe(name, nlen);
	if ((s = archive_entry_symlink(e)) != NULL || (s = archive_entry_hardlink(e)) != NULL) {
		unsigned lu = name_unsafe(s, strlen(s));
		if (lu & UNSAFE_DOTDOT)
			unsafe |= 8;
		if (lu & UNSAFE_ABSOLUTE)
			unsafe |= 16;
	}
	if (unsafe) {
		json_t *u = json_array();
		if (unsafe & UNSAFE_DOTDOT)
			json_array_append_new(u, json_string("dotdot"));
		if (unsafe & UNSAFE_ABSOLUTE)
			json_array_append_new(u, json_string("absolute"));
		if (unsafe & UNSAFE_CONTROL)
			json_array_append_new(u, json_string("control"));
		if (unsafe & 8)
			json_array_append_new(u, json_string("link_dotdot"));
		if (unsafe & 16)
			json_array_append_new(u, json_string("link_absolute"));
		json_object_set_new(m, "unsafe", u);
	}
	if (archive_entry_is_encrypted(e))
		json_object_set_new(m, "encrypted", json_true());
	(void)r;
}

/* Counts n expanded bytes against the budget; 0 when over it. */
static int
spend(struct fp_ctx *c, uint64_t n)
{
	if (n > c->budget) {
		c->budget = 0;
		c->budget_hit = 1;
		return 0;
	}
	c->budget -= n;
	return 1;
}

/* Tells a watching parent that reading goes on (see read_isolated). */
static void
beat(struct fp_ctx *c)
{
	if (c->beat != NULL)
		__atomic_fetch_add(c->beat, 1, __ATOMIC_RELAXED);
}

/* A member record is complete.  In a reader's child the parent finishes
 * it, once it has arrived, so that what finishing gathers stays there. */
static void
finish(struct fp_ctx *c, struct prov_record *r)
{
	if (c->stream == NULL)
		fp_record_finish(c, r);
}

/*
 * The data of a regular member into its record: streamed through the
 * digest, and held in memory when a format module or a nested archive
 * needs it.
 */
static void
read_member(struct reader *r, size_t idx, const char *esc, int64_t declared)
{
	struct fp_ctx *c = r->c;
	struct fp_worker *w = c->w;
	const struct prov_limits *lim = &c->opts->limits;
	struct prov_buf mem = PROV_BUF_INIT;
	struct prov_sha256 h;
	uint64_t total = 0;
	size_t hn = 0;
	la_ssize_t n;
	int keep = -1;			/* -1 undecided, 0 stream, 1 in memory */
	int failed = 0, weak_member;
	const struct prov_format *f = NULL;

	if (prov_sha256_init(&h, NULL) != PROV_OK) {
		fp_fail(&c->out->v[idx], "cannot compute SHA-256");
		return;
	}
	for (;;) {
		/* fill the head first, then whole read buffers */
		size_t want = keep < 0 ? FP_HEAD_LEN - hn : FP_READ_LEN;
		unsigned char *dst = keep < 0 ? w->buf + hn : w->buf;

		n = archive_read_data(r->a, dst, want);
		beat(c);
		if (n < 0) {
			const char *msg = archive_error_string(r->a);
			fp_fail(&c->out->v[idx], "%s", msg ? msg : "cannot read member");
			if (n == ARCHIVE_FATAL)
				r->fatal = 1;
			failed = 1;
			break;
		}
		if (n > 0 && !spend(c, (uint64_t)n)) {
			fp_fail(&c->out->v[idx],
			    "archive expands past %llu times its size (--max-ratio)",
			    (unsigned long long)lim->max_ratio);
			r->fatal = 1;
			failed = 1;
			break;
		}
		total += (uint64_t)n;
		if (keep < 0) {
			hn += (size_t)n;
			if (n > 0 && hn < FP_HEAD_LEN)
				continue;
			/* the head is complete (or the member ended) */
			f = fp_best_format(w->buf, hn);
			keep = f != NULL || archive_sniff(w->buf, hn) ||
			    (n == 0 && archive_sniff_tail(w->buf, hn));
			if (keep && hn > lim->max_member_bytes)
				keep = 2;	/* wanted, but too big to hold */
			if (keep == 1)
				prov_buf_add(&mem, w->buf, hn);
			prov_sha256_update(&h, w->buf, hn);
			if (n == 0)
				break;
			continue;
		}
		if (n == 0)
			break;
		prov_sha256_update(&h, w->buf, (size_t)n);
		if (keep == 1) {
			if (mem.len + (size_t)n > lim->max_member_bytes) {
				/* too big to inspect: keep hashing, drop the copy */
				prov_buf_release(&mem);
				keep = 2;
			} else
				prov_buf_add(&mem, w->buf, (size_t)n);
		}
	}
	if (!failed) {
		struct prov_record *rec = &c->out->v[idx];
		prov_sha256_final(&h, rec->sha256);
		rec->has_sha256 = 1;
		rec->size = total;
		if (declared >= 0 && (uint64_t)declared != total)
			fp_fail(rec, "truncated member: %llu of %lld bytes (a volume or "
			    "the end of the archive is missing)",
			    (unsigned long long)total, (long long)declared);
		else if (keep == 2)
			fp_fail(rec, "larger than %llu bytes (--max-member-size): "
			    "contents not inspected", (unsigned long long)lim->max_member_bytes);
		else if (keep == 1) {
			struct prov_blob blob;
			blob.data = (const unsigned char *)mem.buf;
			blob.len = mem.len;
			blob.name = esc;
			weak_member = !archive_sniff(blob.data, blob.len < FP_HEAD_LEN ?
			    blob.len : FP_HEAD_LEN);
			if (f != NULL)
				fp_run_format(c, f, &blob, rec);
			else
				archive_read_blob(c, idx, &blob, r->depth + 1, weak_member);
		}
	} else
		c->out->v[idx].size = total;
	prov_sha256_release(&h);
	prov_buf_release(&mem);
}

static void
member(struct reader *r, struct archive_entry *e)
{
	struct fp_ctx *c = r->c;
	const char *name = archive_entry_pathname(e);
	size_t nlen, idx;
	struct prov_buf esc = PROV_BUF_INIT;
	struct prov_record *rec;
	mode_t type = archive_entry_filetype(e);
	json_t *m;

	if (name == NULL)
		name = "";
	nlen = strlen(name);
	if (type == AE_IFDIR)
		return;			/* directories are not records */
	idx = fp_records_add(c->out);
	rec = &c->out->v[idx];
	prov_buf_add(&rec->path, r->outer, r->outer_len);
	prov_buf_add(&rec->path, "!/", 2);
	prov_buf_add(&rec->path, name, nlen);
	prov_escape(&esc, rec->path.buf, rec->path.len);
	m = json_object();
	set_member_fields(r, e, m, name, nlen);
	json_object_set_new(rec->fields, "member", m);
	if (archive_entry_size_is_set(e))
		rec->size = (uint64_t)archive_entry_size(e);
	if (archive_entry_hardlink(e) != NULL && (type == 0 || archive_entry_size(e) == 0))
		rec->kind = "hardlink";
	else if (type == AE_IFLNK)
		rec->kind = "symlink";
	else if (type != AE_IFREG && type != 0) {
		rec->kind = "special";
		json_object_set_new(rec->fields, "type", json_string(
		    type == AE_IFCHR ? "char" : type == AE_IFBLK ? "block" :
		    type == AE_IFIFO ? "fifo" : type == AE_IFSOCK ? "socket" : "unknown"));
	} else if (archive_entry_is_data_encrypted(e)) {
		fp_fail(rec, "encrypted member: no passphrase, contents not read");
		rec->kind = "other";
	} else {
		int64_t declared = archive_entry_size_is_set(e) ? archive_entry_size(e) : -1;
		rec->size = 0;
		read_member(r, idx, esc.buf, declared);
	}
	finish(c, &c->out->v[idx]);
	prov_buf_release(&esc);
}

static json_t *
filters(struct archive *a)
{
	json_t *f = json_array();
	int i, n = archive_filter_count(a);

	for (i = 0; i < n; i++) {
		const char *s = archive_filter_name(a, i);
		if (archive_filter_code(a, i) != ARCHIVE_FILTER_NONE && s != NULL)
			json_array_append_new(f, json_string(s));
	}
	return f;
}

/* In a reader's child: sends the records [c->streamed, end) to the parent,
 * one line each, "M" and the record's JSON. */
static void
stream_records(struct fp_ctx *c, size_t end)
{
	for (; c->streamed < end; c->streamed++) {
		json_t *o = prov_record_to_json(&c->out->v[c->streamed]);
		fputc('M', c->stream);
		json_dumpf(o, c->stream, JSON_COMPACT);
		fputc('\n', c->stream);
		json_decref(o);
	}
	fflush(c->stream);
}

/* Reads one archive in this process. */
static void
read_archive(struct fp_ctx *c, size_t idx, const struct prov_blob *blob,
    unsigned depth, int weak)
{
	const struct prov_limits *lim = &c->opts->limits;
	struct archive_entry *e;
	struct reader r;
	locale_t old = (locale_t)0;
	size_t members = 0;
	unsigned failures = 0;
	json_t *info;
	int rc;

	if (depth == 0) {
		/* the input itself: its budget */
		uint64_t b = lim->max_ratio && blob->len > UINT64_MAX / lim->max_ratio ?
		    UINT64_MAX : (uint64_t)blob->len * lim->max_ratio;
		c->budget = b > UINT64_MAX - BUDGET_FLOOR ? UINT64_MAX : b + BUDGET_FLOOR;
		c->budget_total = c->budget;
		c->budget_hit = 0;
		depth = 1;
	}
	c->out->v[idx].kind = "archive";
	if (lim->max_depth == 0)
		return;			/* archives are not opened at all */
	if (depth > lim->max_depth) {
		fp_fail(&c->out->v[idx], "archive nested deeper than %u (--max-depth)",
		    lim->max_depth);
		return;
	}
	pthread_once(&utf8_once, make_locale);
	if (utf8_locale != (locale_t)0)
		old = uselocale(utf8_locale);
	memset(&r, 0, sizeof(r));
	r.c = c;
	r.depth = depth;
	r.a = archive_read_new();
	archive_read_support_filter_all(r.a);
	archive_read_support_format_all(r.a);
	/* the path may move when c->out grows: keep a copy */
	r.outer = prov_xmalloc(c->out->v[idx].path.len + 1);
	memcpy((char *)(uintptr_t)r.outer, c->out->v[idx].path.buf,
	    c->out->v[idx].path.len + 1);
	r.outer_len = c->out->v[idx].path.len;

	rc = archive_read_open_memory(r.a, blob->data, blob->len);
	if (rc != ARCHIVE_OK && weak) {
		c->out->v[idx].kind = "other";
		goto done;
	}
	if (rc != ARCHIVE_OK && compressor(blob->data, blob->len) != NULL &&
	    archive_error_string(r.a) != NULL &&
	    strstr(archive_error_string(r.a), "Unrecognized archive format") != NULL) {
		/* a compressed stream of something else: not an archive */
		json_t *f = json_array();
		json_array_append_new(f, json_string(compressor(blob->data, blob->len)));
		c->out->v[idx].kind = "other";
		json_object_set_new(c->out->v[idx].fields, "compression", f);
		goto done;
	}
	if (rc != ARCHIVE_OK) {
		fp_fail(&c->out->v[idx], "%s", archive_error_string(r.a) ?
		    archive_error_string(r.a) : "cannot open archive");
		goto done;
	}
	for (;;) {
		rc = archive_read_next_header(r.a, &e);
		beat(c);
		if (rc == ARCHIVE_EOF)
			break;
		if (rc == ARCHIVE_FATAL || rc == ARCHIVE_RETRY ||
		    (rc == ARCHIVE_FAILED && ++failures > 16)) {
			const char *msg = archive_error_string(r.a);
			if (members == 0 && weak) {
				c->out->v[idx].kind = "other";
				goto done;
			}
			fp_fail(&c->out->v[idx], "%s", msg ? msg : "cannot read archive");
			break;
		}
		if (rc == ARCHIVE_FAILED) {
			/* this entry is unreadable; the next one may be fine */
			size_t k = fp_records_add(c->out);
			const char *msg = archive_error_string(r.a);
			const char *nm = archive_entry_pathname(e);
			prov_buf_add(&c->out->v[k].path, r.outer, r.outer_len);
			prov_buf_add(&c->out->v[k].path, "!/", 2);
			if (nm != NULL)
				prov_buf_addstr(&c->out->v[k].path, nm);
			fp_fail(&c->out->v[k], "%s", msg ? msg : "unreadable member");
			finish(c, &c->out->v[k]);
			if (c->stream != NULL && depth == 1)
				stream_records(c, c->out->n);
			members++;
			continue;
		}
		members++;
		/* every entry costs a header's worth of budget, so an archive
		 * that loops over its own entries ends too */
		if (!spend(c, 512)) {
			fp_fail(&c->out->v[idx], "more entries than %llu times its size "
			    "allows (--max-ratio)", (unsigned long long)lim->max_ratio);
			break;
		}
		member(&r, e);
		if (c->stream != NULL && depth == 1)
			stream_records(c, c->out->n);
		if (r.fatal || c->budget_hit)
			break;
	}
	if (archive_format(r.a) == ARCHIVE_FORMAT_EMPTY && archive_filter_count(r.a) > 1) {
		/* a compressed empty stream is no archive */
		c->out->v[idx].kind = "other";
		json_object_set_new(c->out->v[idx].fields, "compression", filters(r.a));
		goto done;
	}
	info = json_object();
	if (archive_format_name(r.a) != NULL)
		json_object_set_new(info, "format", json_string(archive_format_name(r.a)));
	json_object_set_new(info, "filters", filters(r.a));
	json_object_set_new(info, "members", json_integer((json_int_t)members));
	json_object_set_new(c->out->v[idx].fields, "archive", info);
	if (c->budget_hit && c->out->v[idx].status == PROV_OK)
		fp_fail(&c->out->v[idx], "expansion stopped at %llu times its size "
		    "(--max-ratio): members missing", (unsigned long long)lim->max_ratio);
	else if (r.fatal && c->out->v[idx].status == PROV_OK)
		fp_fail(&c->out->v[idx], "archive ends in error: members may be missing");
done:
	archive_read_free(r.a);
	free((char *)(uintptr_t)r.outer);
	if (utf8_locale != (locale_t)0)
		uselocale(old);
}

/* ------------------------------------------------ the reader's own process */

static pthread_rwlock_t job_lock;
static pthread_once_t job_lock_once = PTHREAD_ONCE_INIT;

static void
make_job_lock(void)
{
	pthread_rwlockattr_t a;

	/* a waiting fork goes before new jobs, or it could wait for ever */
	pthread_rwlockattr_init(&a);
	pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&job_lock, &a);
	pthread_rwlockattr_destroy(&a);
}

void
fp_job_enter(void)
{
	pthread_once(&job_lock_once, make_job_lock);
	pthread_rwlock_rdlock(&job_lock);
}

void
fp_job_leave(void)
{
	pthread_rwlock_unlock(&job_lock);
}

/* What the parent saw of a child reader. */
struct watch {
	pid_t pid;
	struct prov_buf line;		/* a record line being received */
	struct prov_buf diag;		/* the child's stderr, its start */
	int got_own;			/* the archive's own record arrived */
	const char *stopped;		/* why the parent killed it, or NULL */
};

/* One line from the child: a member ("M") appended to c->out and
 * finished here, or the archive's own record ("A") into c->out->v[idx]. */
static void
take_line(struct fp_ctx *c, size_t idx, struct watch *wt, const char *s, size_t n)
{
	struct prov_record rec;
	struct prov_err e;
	json_error_t je;
	json_t *o;

	if (n < 2 || (s[0] != 'M' && s[0] != 'A'))
		return;
	if ((o = json_loadb(s + 1, n - 1, 0, &je)) == NULL)
		return;
	prov_err_clear(&e);
	if (prov_record_from_json(&rec, o, &e) == PROV_OK) {
		struct prov_record *dst;
		if (s[0] == 'M') {
			size_t k = fp_records_add(c->out);
			dst = &c->out->v[k];
			prov_record_release(dst);
			*dst = rec;
			fp_record_finish(c, dst);
		} else {
			/* path, size and digest are the parent's already */
			dst = &c->out->v[idx];
			dst->kind = rec.kind;
			json_decref(dst->fields);
			dst->fields = rec.fields;
			rec.fields = NULL;
			dst->status = rec.status;
			memcpy(dst->error, rec.error, sizeof(dst->error));
			prov_record_release(&rec);
			wt->got_own = 1;
		}
	} else
		prov_record_release(&rec);
	json_decref(o);
}

/* Resident memory of process pid in bytes, or 0 when unknown. */
static uint64_t
resident_bytes(pid_t pid)
{
	char path[64];
	unsigned long long size, res = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/statm", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fscanf(f, "%llu %llu", &size, &res) != 2)
		res = 0;
	fclose(f);
	return (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Takes in what is ready on the child's pipes; an fd that ends is set -1. */
static void
read_ready(struct fp_ctx *c, size_t idx, struct watch *wt, struct pollfd pf[2],
    int *open_fds)
{
	char buf[65536];
	int i;

	for (i = 0; i < 2; i++) {
		ssize_t n;
		if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(pf[i].fd, buf, sizeof(buf));
		if (n <= 0) {
			pf[i].fd = -1;
			(*open_fds)--;
		} else if (i == 1) {
			if (wt->diag.len < 4096)
				prov_buf_add(&wt->diag, buf, (size_t)n);
		} else {
			char *nl, *start;
			size_t used;
			prov_buf_add(&wt->line, buf, (size_t)n);
			start = wt->line.buf;
			while ((nl = memchr(start, '\n', wt->line.len -
			    (size_t)(start - wt->line.buf))) != NULL) {
				take_line(c, idx, wt, start, (size_t)(nl - start));
				start = nl + 1;
			}
			used = (size_t)(start - wt->line.buf);
			if (used == wt->line.len)
				prov_buf_reset(&wt->line);
			else if (used > 0) {
				memmove(wt->line.buf, start, wt->line.len - used);
				wt->line.len -= used;
				wt->line.buf[wt->line.len] = '\0';
			}
		}
	}
}

/* What the parent knows of the child's progress between two polls. */
struct progress {
	uint64_t base;			/* resident bytes when first seen */
	uint64_t last_beat;
	double last_change;
};

/* Kills the child when it grew past --max-archive-memory or made no
 * progress for --archive-stall seconds. */
static void
check_child(const struct prov_limits *lim, struct watch *wt, struct progress *p,
    volatile uint64_t *beats)
{
	uint64_t rss, b;

	/* the child's share of the parent's pages counts as its own at
	 * first: only growth is held against the limit */
	rss = resident_bytes(wt->pid);
	if (p->base == 0)
		p->base = rss;
	if (rss > p->base && rss - p->base > lim->max_archive_memory) {
		wt->stopped = "used more memory than --max-archive-memory allows";
		kill(wt->pid, SIGKILL);
		return;
	}
	b = __atomic_load_n(beats, __ATOMIC_RELAXED);
	if (b != p->last_beat) {
		p->last_beat = b;
		p->last_change = now_seconds();
	} else if (now_seconds() - p->last_change > (double)lim->archive_stall_seconds) {
		wt->stopped = "made no progress within --archive-stall seconds";
		kill(wt->pid, SIGKILL);
	}
}

/* Receives the child's records and watches its memory and progress until
 * it ends or is stopped.  Called without the job lock: it takes it (shared)
 * only between polls, so other workers can fork while this child runs. */
static void
watch_child(struct fp_ctx *c, size_t idx, struct watch *wt, int out_fd, int err_fd,
    volatile uint64_t *beats)
{
	struct progress p = { 0, 0, now_seconds() };
	struct pollfd pf[2];
	int open_fds = 2;

	pf[0].fd = out_fd;
	pf[1].fd = err_fd;
	pf[0].events = pf[1].events = POLLIN;
	while (open_fds > 0) {
		int k = poll(pf, 2, 200);

		if (k < 0 && errno != EINTR)
			break;
		fp_job_enter();
		if (k > 0)
			read_ready(c, idx, wt, pf, &open_fds);
		/* once killed, read what is left until it ends */
		if (wt->stopped == NULL)
			check_child(&c->opts->limits, wt, &p, beats);
		fp_job_leave();
	}
}

/* The first line of the child's stderr with letters in it, for a reason. */
static void
diag_line(const struct prov_buf *d, char *out, size_t n)
{
	const char *p = d->buf, *end = d->buf + d->len;

	out[0] = '\0';
	while (p != NULL && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		size_t i;
		for (i = 0; i < len; i++)
			if ((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z')) {
				snprintf(out, n, ": %.*s", (int)(len < 200 ? len : 200), p);
				return;
			}
		p = nl != NULL ? nl + 1 : NULL;
	}
}

/*
 * Reads an outermost archive in a child process.  The child runs the
 * reader as it would run here, and sends each finished member as one line
 * on a pipe (the parent finishes it), then the archive's own record.  The
 * parent stops the child when it grows past limits.max_archive_memory or
 * stops making progress for limits.archive_stall_seconds; members that
 * arrived before are kept, and the archive's record says why the rest is
 * missing.  stdout is /dev/null in the child: a library calling exit()
 * there must not flush the parent's buffered output a second time.
 */
static void
read_isolated(struct fp_ctx *c, size_t idx, const struct prov_blob *blob, int weak)
{
	int out[2], err[2], status = 0, devnull, in_job;
	volatile uint64_t *beats;
	struct watch wt;
	char why[256];

	beats = mmap(NULL, sizeof(*beats), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (beats == MAP_FAILED) {
		read_archive(c, idx, blob, 0, weak);
		return;
	}
	if (pipe(out) != 0) {
		munmap((void *)(uintptr_t)beats, sizeof(*beats));
		read_archive(c, idx, blob, 0, weak);
		return;
	}
	if (pipe(err) != 0) {
		close(out[0]);
		close(out[1]);
		munmap((void *)(uintptr_t)beats, sizeof(*beats));
		read_archive(c, idx, blob, 0, weak);
		return;
	}
	memset(&wt, 0, sizeof(wt));
	prov_buf_init(&wt.line);
	prov_buf_init(&wt.diag);
	fflush(stderr);
	/* prov_fp_memory runs outside a job: it holds no job lock to trade */
	in_job = c->in_job;
	if (in_job)
		fp_job_leave();
	pthread_once(&job_lock_once, make_job_lock);
	pthread_rwlock_wrlock(&job_lock);
	wt.pid = fork();
	if (wt.pid != 0) {
		/* the watch below parses and finishes records only: no job */
		pthread_rwlock_unlock(&job_lock);
	}
	if (wt.pid == 0) {
		json_t *own;
		close(out[0]);
		close(err[0]);
		if ((devnull = open("/dev/null", O_WRONLY)) >= 0)
			dup2(devnull, STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		c->stream = fdopen(out[1], "w");
		if (c->stream == NULL)
			_exit(3);
		c->beat = beats;
		c->streamed = c->out->n;
		read_archive(c, idx, blob, 0, weak);
		stream_records(c, c->out->n);
		fputc('A', c->stream);
		own = prov_record_to_json(&c->out->v[idx]);
		json_dumpf(own, c->stream, JSON_COMPACT);
		fputc('\n', c->stream);
		fflush(c->stream);
		_exit(0);
	}
	close(out[1]);
	close(err[1]);
	if (wt.pid < 0) {
		close(out[0]);
		close(err[0]);
		munmap((void *)(uintptr_t)beats, sizeof(*beats));
		if (in_job)
			fp_job_enter();
		read_archive(c, idx, blob, 0, weak);
		return;
	}
	watch_child(c, idx, &wt, out[0], err[0], beats);
	close(out[0]);
	close(err[0]);
	while (waitpid(wt.pid, &status, 0) < 0 && errno == EINTR)
		;
	if (in_job)
		fp_job_enter();
	munmap((void *)(uintptr_t)beats, sizeof(*beats));
	if (!wt.got_own) {
		struct prov_record *rec = &c->out->v[idx];
		char diag[220];
		diag_line(&wt.diag, diag, sizeof(diag));
		if (wt.stopped != NULL)
			snprintf(why, sizeof(why), "archive reader stopped: it %s", wt.stopped);
		else if (WIFSIGNALED(status))
			snprintf(why, sizeof(why), "archive reader died of signal %d%s",
			    WTERMSIG(status), diag);
		else
			snprintf(why, sizeof(why), "archive reader exited with status %d%s",
			    WIFEXITED(status) ? WEXITSTATUS(status) : -1, diag);
		rec->kind = "archive";
		if (c->out->n > idx + 1)
			fp_fail(rec, "%s; members after the last listed are missing", why);
		else
			fp_fail(rec, "%s", why);
	}
	prov_buf_release(&wt.line);
	prov_buf_release(&wt.diag);
}

void
archive_read_blob(struct fp_ctx *c, size_t idx, const struct prov_blob *blob,
    unsigned depth, int weak)
{
	if (depth == 0 && c->stream == NULL && c->opts->limits.max_archive_memory != 0)
		read_isolated(c, idx, blob, weak);
	else
		read_archive(c, idx, blob, depth, weak);
}
