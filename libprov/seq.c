/*
 * seq.c: frame sequences and the Merkle root over their frames.
 *
 * A frame is a file whose name ends in <prefix><digits><suffix>, where the
 * digits are the last run of 1 to 9 digits of the name, preceded by '.',
 * '_' or '-' (or the start of the name) and followed by an extension
 * (".exr") or nothing.  Frames with the same directory, prefix, digit count
 * and suffix form one sequence when there are at least two of them.
 * Numbers written without padding (1, 2, ... 10) therefore form one
 * sequence per digit count.  The leaves, in frame order, are the frames'
 * pixel hashes ("pixels": "v1:<hex>"), or their sha256 when a frame has
 * none; leaf = SHA-256(0x00 || hash), node = SHA-256(0x01 || l || r)
 * (RFC 6962).  When the same frame number appears twice (an archive holding
 * two copies), the first one offered is used.
 */
#include <stdlib.h>
#include <string.h>

#include "prov.h"
#include "banned.h"

struct frame {
	char *dir;		/* up to and including the last '/' ("" if none) */
	size_t dirlen;
	char *prefix, *suffix;	/* of the file name */
	size_t prefixlen, suffixlen;
	unsigned width;
	uint64_t number;
	size_t order;		/* order offered, for stable duplicates */
	uint64_t size;		/* the record's size */
	int from_pixels;
	unsigned char hash[PROV_SHA256_LEN];
};

struct prov_seq {
	struct frame *v;
	size_t n, alloc;
};

struct prov_seq *
prov_seq_new(void)
{
	return prov_xcalloc(1, sizeof(struct prov_seq));
}

static void
clear(struct prov_seq *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].dir);
		free(s->v[i].prefix);
		free(s->v[i].suffix);
	}
	s->n = 0;
}

void
prov_seq_free(struct prov_seq *s)
{
	if (s == NULL)
		return;
	clear(s);
	free(s->v);
	free(s);
}

size_t
prov_seq_count(const struct prov_seq *s)
{
	return s->n;
}

static char *
dupn(const char *p, size_t n)
{
	char *d = prov_xmalloc(n + 1);

	memcpy(d, p, n);
	d[n] = '\0';
	return d;
}

static int
isdig(int c)
{
	return c >= '0' && c <= '9';
}

int
prov_seq_add(struct prov_seq *s, const struct prov_record *rec)
{
	const char *path = rec->path.buf, *name, *p, *d0, *d1, *ext;
	size_t len = rec->path.len;
	unsigned char h[PROV_SHA256_LEN];
	int from_pixels = 0;
	json_t *px;
	struct frame *f;

	if (strcmp(rec->kind, "archive") == 0 || strcmp(rec->kind, "sequence") == 0 ||
	    strcmp(rec->kind, "symlink") == 0 || strcmp(rec->kind, "directory") == 0)
		return 0;
	if (len == 0 || memchr(path, '\0', len) != NULL)
		return 0;
	px = json_object_get(rec->fields, "pixels");
	if (json_is_string(px) && json_string_length(px) == 67 &&
	    strncmp(json_string_value(px), "v1:", 3) == 0 &&
	    prov_unhex(json_string_value(px) + 3, h, sizeof(h)) == 0)
		from_pixels = 1;
	else if (rec->has_sha256)
		memcpy(h, rec->sha256, sizeof(h));
	else
		return 0;

	for (name = path + len; name > path && name[-1] != '/'; name--)
		;
	/* The extension: the last '.' of the name, unless it starts it. */
	ext = NULL;
	for (p = path + len; p > name; p--)
		if (p[-1] == '.') {
			ext = p - 1;
			break;
		}
	if (ext == NULL || ext == name)
		ext = path + len;
	/* The digits just before it (".exr"), or at the very end. */
	d1 = ext;
	if (d1 == name || !isdig((unsigned char)d1[-1]))
		return 0;
	for (d0 = d1; d0 > name && isdig((unsigned char)d0[-1]); d0--)
		;
	if (d1 - d0 > 9)
		return 0;
	if (d0 > name && d0[-1] != '.' && d0[-1] != '_' && d0[-1] != '-')
		return 0;
	if (s->n == s->alloc) {
		s->alloc = s->alloc ? 2 * s->alloc : 64;
		s->v = prov_xrealloc(s->v, s->alloc * sizeof(*s->v));
	}
	f = &s->v[s->n];
	memset(f, 0, sizeof(*f));
	f->dirlen = (size_t)(name - path);
	f->dir = dupn(path, f->dirlen);
	f->prefixlen = (size_t)(d0 - name);
	f->prefix = dupn(name, f->prefixlen);
	f->suffixlen = (size_t)(path + len - d1);
	f->suffix = dupn(d1, f->suffixlen);
	f->width = (unsigned)(d1 - d0);
	for (p = d0; p < d1; p++)
		f->number = f->number * 10 + (uint64_t)(*p - '0');
	f->order = s->n;
	f->size = rec->size;
	f->from_pixels = from_pixels;
	memcpy(f->hash, h, sizeof(h));
	s->n++;
	return 1;
}

static int
cmpmem(const char *a, size_t al, const char *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	if (c != 0)
		return c;
	return al < bl ? -1 : al > bl;
}

static int
same_group(const struct frame *a, const struct frame *b)
{
	return a->dirlen == b->dirlen && memcmp(a->dir, b->dir, a->dirlen) == 0 &&
	    a->prefixlen == b->prefixlen && memcmp(a->prefix, b->prefix, a->prefixlen) == 0 &&
	    a->suffixlen == b->suffixlen && memcmp(a->suffix, b->suffix, a->suffixlen) == 0 &&
	    a->width == b->width;
}

static int
cmp_frame(const void *x, const void *y)
{
	const struct frame *a = x, *b = y;
	int c;

	if ((c = cmpmem(a->dir, a->dirlen, b->dir, b->dirlen)) != 0)
		return c;
	if ((c = cmpmem(a->prefix, a->prefixlen, b->prefix, b->prefixlen)) != 0)
		return c;
	if (a->width != b->width)
		return a->width < b->width ? -1 : 1;
	if ((c = cmpmem(a->suffix, a->suffixlen, b->suffix, b->suffixlen)) != 0)
		return c;
	if (a->number != b->number)
		return a->number < b->number ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* Frames [i, j) of one group, duplicates included, into one record. */
static int
emit_group(const struct frame *v, size_t i, size_t j, const struct prov_names *names,
    int (*emit)(void *, struct prov_record *), void *ctx)
{
	const struct frame *f = &v[i];
	struct prov_merkle m;
	struct prov_record rec;
	unsigned char leaf[PROV_HASH_LEN], root[PROV_HASH_LEN];
	char hex[2 * PROV_HASH_LEN + 1];
	struct prov_buf pat = PROV_BUF_INIT;
	json_t *o, *gaps;
	uint64_t count = 0, prev = 0, bytes = 0;
	size_t k, npix = 0;
	unsigned w;
	int rc;

	prov_merkle_init(&m, NULL, NULL);
	gaps = json_array();
	for (k = i; k < j; k++) {
		if (k > i && v[k].number == v[k - 1].number)
			continue;	/* a duplicate: the first offered wins */
		if (count > 0 && v[k].number > prev + 1) {
			json_t *g = json_array();

			json_array_append_new(g, json_integer((json_int_t)(prev + 1)));
			json_array_append_new(g, json_integer((json_int_t)(v[k].number - 1)));
			json_array_append_new(gaps, g);
		}
		prov_merkle_leaf_hash(v[k].hash, PROV_SHA256_LEN, leaf);
		prov_merkle_add(&m, leaf);
		npix += v[k].from_pixels != 0;
		bytes += v[k].size;
		prev = v[k].number;
		count++;
	}
	if (count < 2) {
		json_decref(gaps);
		prov_merkle_release(&m);
		return 0;
	}
	prov_merkle_root(&m, root);
	prov_merkle_release(&m);
	prov_hex(root, sizeof(root), hex);

	prov_record_init(&rec);
	rec.kind = "sequence";
	rec.size = bytes;		/* of the frames in it */
	prov_buf_add(&rec.path, f->dir, f->dirlen);
	prov_buf_add(&rec.path, f->prefix, f->prefixlen);
	for (w = 0; w < f->width; w++)
		prov_buf_addch(&rec.path, '#');
	prov_buf_add(&rec.path, f->suffix, f->suffixlen);

	o = json_object();
	prov_buf_add(&pat, f->prefix, f->prefixlen);
	prov_buf_addf(&pat, "%%0%ud", f->width);
	prov_buf_add(&pat, f->suffix, f->suffixlen);
	prov_json_set_name(o, "pattern", pat.buf, pat.len);
	prov_buf_reset(&pat);
	prov_buf_add(&pat, f->prefix, f->prefixlen);
	for (w = 0; w < f->width; w++)
		prov_buf_addch(&pat, '#');
	prov_buf_add(&pat, f->suffix, f->suffixlen);
	prov_json_set_name(o, "pattern_hash", pat.buf, pat.len);
	prov_buf_release(&pat);
	json_object_set_new(o, "first", json_integer((json_int_t)v[i].number));
	json_object_set_new(o, "last", json_integer((json_int_t)prev));
	json_object_set_new(o, "count", json_integer((json_int_t)count));
	json_object_set_new(o, "padding", json_integer((json_int_t)f->width));
	json_object_set_new(o, "gaps", gaps);
	json_object_set_new(o, "leaves", json_string(npix == count ? "pixels" :
	    npix == 0 ? "sha256" : "mixed"));
	json_object_set_new(o, "merkle_root", json_string(hex));
	json_object_set_new(rec.fields, "sequence", o);
	if (names != NULL)
		prov_names_add(names, &rec);
	rc = emit(ctx, &rec);
	prov_record_release(&rec);
	return rc;
}

int
prov_seq_flush(struct prov_seq *s, const struct prov_names *names,
    int (*emit)(void *ctx, struct prov_record *rec), void *ctx)
{
	size_t i, j;
	int rc = 0;

	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmp_frame);
	for (i = 0; i < s->n && rc == 0; i = j) {
		for (j = i + 1; j < s->n && same_group(&s->v[i], &s->v[j]); j++)
			;
		rc = emit_group(s->v, i, j, names, emit, ctx);
	}
	clear(s);
	return rc;
}
