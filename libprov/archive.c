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
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

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
	size_t i;

	if (len < 22)
		return 0;
	for (i = len - 22 + 1; i-- > 0;)
		if (t[i] == 'P' && t[i + 1] == 'K' && t[i + 2] == 5 && t[i + 3] == 6 &&
		    i + 22 + (size_t)(t[i + 20] | t[i + 21] << 8) == len)
			return 1;	/* the comment length reaches the end */
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
	fp_record_finish(c, &c->out->v[idx]);
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

void
archive_read_blob(struct fp_ctx *c, size_t idx, const struct prov_blob *blob,
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
			fp_record_finish(c, &c->out->v[k]);
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
