/*
 * pdqmatch.c: the PDQ index of a ledger's artifacts, kept in a file beside
 * the ledger and brought up to date incrementally, and the matching of
 * prov-fp records against it.
 *
 * The index stores, for every hash, the entry's sequence number, the
 * artifact's number in that entry and which of the record's hashes it is;
 * the record itself (path, sha256, ...) is read back from the entry only
 * for the artifacts that matched.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "prov.h"
#include "banned.h"

/* Reads {"hash": "<64 hex>", "quality": N} into it; 0, or -1 when malformed. */
static int
parse_pdq(const json_t *o, struct prov_pdqidx_item *it)
{
	const char *h = json_string_value(json_object_get(o, "hash"));
	json_t *q = json_object_get(o, "quality");

	if (h == NULL || strlen(h) != 2 * PROV_PDQIDX_HASH_LEN ||
	    prov_unhex(h, it->hash, PROV_PDQIDX_HASH_LEN) != 0)
		return -1;
	it->quality = 0;
	if (json_is_integer(q) && json_integer_value(q) >= 0 && json_integer_value(q) <= 100)
		it->quality = (uint8_t)json_integer_value(q);
	return 0;
}

/* Adds o's hash as part, unless the record already gave that hash; layer
 * (may be NULL) is the "layers" element it came from, kept in src. */
static void
take(const json_t *o, uint16_t part, const json_t *layer, struct prov_pdqidx_item *out,
    const json_t **src, size_t max, size_t *n)
{
	struct prov_pdqidx_item it;
	size_t i;

	if (o == NULL)
		return;
	memset(&it, 0, sizeof(it));
	if (parse_pdq(o, &it) != 0)
		return;
	it.part = part;
	for (i = 0; i < *n && i < max; i++)
		if (memcmp(out[i].hash, it.hash, PROV_PDQIDX_HASH_LEN) == 0)
			return;
	if (*n < max) {
		out[*n] = it;
		if (src)
			src[*n] = layer;
	}
	(*n)++;
}

/* prov_pdq_record_hashes(), and for each hash the layer it came from. */
static size_t
record_hashes(const json_t *rec, struct prov_pdqidx_item *out, const json_t **src, size_t max)
{
	json_t *imgs = json_object_get(rec, "images");
	size_t i, n = 0;

	for (i = 0; i < json_array_size(imgs) && i < 0x7ffe; i++) {
		json_t *im = json_array_get(imgs, i), *layers = json_object_get(im, "layers");
		size_t j;

		take(json_object_get(im, "pdq"), (uint16_t)(i + 1), NULL, out, src, max, &n);
		take(json_object_get(im, "pdq_trimmed"), (uint16_t)((i + 1) | PROV_PDQIDX_TRIMMED),
		    NULL, out, src, max, &n);
		/* An EXR part's other views and layers (schemas/pdq-v1.md 6);
		 * the unprefixed one repeats the image's hashes, so only the
		 * prefixed ones are kept as layers. */
		for (j = 0; j < json_array_size(layers); j++) {
			json_t *l = json_array_get(layers, j);

			take(json_object_get(l, "pdq"), (uint16_t)(i + 1), l, out, src, max, &n);
			take(json_object_get(l, "pdq_trimmed"),
			    (uint16_t)((i + 1) | PROV_PDQIDX_TRIMMED), l, out, src, max, &n);
		}
	}
	take(json_object_get(rec, "pdq"), 0, NULL, out, src, max, &n);
	take(json_object_get(rec, "pdq_trimmed"), PROV_PDQIDX_TRIMMED, NULL, out, src, max, &n);
	return n;
}

size_t
prov_pdq_record_hashes(const json_t *rec, struct prov_pdqidx_item *out, size_t max)
{
	return record_hashes(rec, out, NULL, max);
}

/* The artifacts array of an entry, or NULL when it has none. */
static json_t *
artifacts_of(json_t *entry)
{
	json_t *body = json_object_get(entry, "body");
	const char *type = json_string_value(json_object_get(entry, "type"));

	if (type == NULL)
		return NULL;
	if (strcmp(type, "handoff") == 0)
		return json_object_get(json_object_get(body, "manifest"), "artifacts");
	if (strcmp(type, "receipt") == 0 || strcmp(type, "sighting") == 0)
		return json_object_get(body, "artifacts");
	return NULL;
}

struct feed {
	struct prov_pdqidx *x;
	uint64_t from, to;
	size_t added;
	int rc;
	struct prov_pdqidx_item *buf;
	size_t alloc;
	struct prov_err *e;
};

/* Adds the hashes of one entry's artifacts. */
static int
feed_entry(void *ctx, int64_t seq, const char *bytes, size_t len)
{
	struct feed *f = ctx;
	json_t *entry, *arts;
	size_t i, k, n = 0;
	int rc = 0;

	if (seq < 0 || (uint64_t)seq < f->from)
		return 0;
	if ((uint64_t)seq >= f->to)
		return 1;	/* appended since we took the size: next time */
	if ((entry = json_loadb(bytes, len, 0, NULL)) == NULL) {
		f->rc = prov_seterr(f->e, PROV_FATAL, 0, "entry %" PRId64 ": not JSON", seq);
		return -1;
	}
	arts = artifacts_of(entry);
	for (i = 0; i < json_array_size(arts) && i <= UINT32_MAX; i++) {
		json_t *a = json_array_get(arts, i);

		for (;;) {
			k = prov_pdq_record_hashes(a, f->buf + n, f->alloc - n);
			if (n + k <= f->alloc)
				break;
			f->alloc = 2 * (n + k) + 64;
			f->buf = prov_xrealloc(f->buf, f->alloc * sizeof(*f->buf));
		}
		for (; k > 0; k--, n++) {
			f->buf[n].id = (uint64_t)seq;
			f->buf[n].sub = (uint32_t)i;
		}
		if (n > 65536) {
			if ((rc = prov_pdqidx_add(f->x, f->buf, n, f->e)) != PROV_OK)
				break;
			f->added += n;
			n = 0;
		}
	}
	if (rc == 0 && n && (rc = prov_pdqidx_add(f->x, f->buf, n, f->e)) == PROV_OK)
		f->added += n;
	json_decref(entry);
	if (rc)
		f->rc = rc;
	return rc ? -1 : 0;
}

/* Reads entries [from, to) into x. */
static int
feed_ledger(struct prov_pdqidx *x, struct prov_ledger *l, uint64_t from, uint64_t to,
    size_t *added, struct prov_err *e)
{
	struct feed f = { x, from, to, 0, PROV_OK, NULL, 0, e };
	struct prov_buf b = PROV_BUF_INIT;
	uint64_t s;
	int rc = PROV_OK;

	f.alloc = 256;
	f.buf = prov_xmalloc(f.alloc * sizeof(*f.buf));
	if (from == 0 || to - from > 1024) {
		/* One statement over all rows (those before from are skipped). */
		rc = prov_ledger_foreach_entry(l, feed_entry, &f, e);
		if (rc == PROV_OK)
			rc = f.rc;
	} else {
		for (s = from; rc == PROV_OK && s < to; s++) {
			prov_buf_reset(&b);
			if ((rc = prov_ledger_entry(l, s, &b, e)) != PROV_OK)
				break;
			if (feed_entry(&f, (int64_t)s, b.buf, b.len) != 0)
				rc = f.rc;
		}
	}
	prov_buf_release(&b);
	free(f.buf);
	*added = f.added;
	return rc;
}

int
prov_pdqidx_open_ledger(struct prov_pdqidx **out, struct prov_ledger *l, const char *path,
    unsigned nthreads, struct prov_pdqidx_sync *info, struct prov_err *e)
{
	struct prov_pdqidx_sync dummy;
	struct prov_pdqidx_stamp st;
	struct prov_pdqidx *x = NULL;
	struct prov_err le;
	uint64_t size = prov_ledger_size(l);
	unsigned char root[32];
	int rc;

	*out = NULL;
	if (info == NULL)
		info = &dummy;
	memset(info, 0, sizeof(*info));
	prov_err_clear(&le);
	rc = prov_pdqidx_load(&x, path, &le);
	if (rc == PROV_OK) {
		prov_pdqidx_stamp(x, &st);
		if (st.size > size) {
			snprintf(info->why, sizeof(info->why), "%s: index covers %" PRIu64
			    " entries, the ledger has %" PRIu64, path, st.size, size);
		} else if ((rc = prov_ledger_root(l, st.size, root, e)) != PROV_OK) {
			prov_pdqidx_free(x);
			return rc;
		} else if (memcmp(root, st.root, 32) != 0) {
			snprintf(info->why, sizeof(info->why),
			    "%s: index is of another ledger (root at size %" PRIu64 " differs)",
			    path, st.size);
		} else {
			info->from = st.size;
		}
		if (info->why[0]) {
			prov_pdqidx_free(x);
			x = NULL;
		}
	} else if (rc != PROV_WARN) {
		/* Corrupt, truncated, another version; a missing file is no news. */
		snprintf(info->why, sizeof(info->why), "%s", le.msg);
	}
	if (x == NULL) {
		info->rebuilt = 1;
		info->from = 0;
		prov_pdqidx_new(&x, e);
	}
	info->to = size;
	if (info->from < size) {
		if ((rc = feed_ledger(x, l, info->from, size, &info->added, e)) != PROV_OK) {
			prov_pdqidx_free(x);
			return rc;
		}
	}
	/* A fresh index is built; a loaded one only when the hashes its
	 * tables do not cover grow beyond 4096 and 1/64 of all. */
	if ((info->rebuilt || (prov_pdqidx_unindexed(x) > 4096 &&
	    prov_pdqidx_unindexed(x) > prov_pdqidx_count(x) / 64)) &&
	    (rc = prov_pdqidx_build(x, nthreads, e)) != PROV_OK) {
		prov_pdqidx_free(x);
		return rc;
	}
	if (info->rebuilt || info->from < size) {
		st.size = size;
		if ((rc = prov_ledger_root(l, size, st.root, e)) != PROV_OK) {
			prov_pdqidx_free(x);
			return rc;
		}
		prov_pdqidx_set_stamp(x, &st);
		prov_err_clear(&le);
		if (prov_pdqidx_save(x, path, &le) == PROV_OK)
			info->saved = 1;
		else
			snprintf(info->why, sizeof(info->why), "%s", le.msg);
	}
	*out = x;
	return PROV_OK;
}

/* ------------------------------------------------------------- matching */

/*
 * The index keeps a hash as its 32 bytes in the order of its 64 hex digits;
 * struct prov_pdq keeps DCT row u in w[u], printed last row first.
 */
static void
item_to_pdq(const unsigned char b[PROV_PDQIDX_HASH_LEN], struct prov_pdq *h)
{
	int i;

	memset(h, 0, sizeof(*h));
	for (i = 0; i < 16; i++)
		h->w[15 - i] = (uint16_t)(b[2 * i] << 8 | b[2 * i + 1]);
}

static void
pdq_to_item(const struct prov_pdq *h, unsigned char b[PROV_PDQIDX_HASH_LEN])
{
	int i;

	for (i = 0; i < 16; i++) {
		b[2 * i] = (unsigned char)(h->w[15 - i] >> 8);
		b[2 * i + 1] = (unsigned char)(h->w[15 - i] & 0xff);
	}
}

/*
 * The hashes searched for nh query hashes: hash i as variant v is row
 * i * nv + v (nv is 8 with PROV_PDQ_MATCH_DIHEDRAL, else 1); a row found
 * means the stored image turned by prov_pdq_variant_inverse(v) is the
 * query.  malloc'd.
 */
static unsigned char *
query_rows(const struct prov_pdqidx_item *qi, size_t nh, size_t nv)
{
	unsigned char *qh = prov_xmalloc((nh ? nh : 1) * nv * PROV_PDQIDX_HASH_LEN);
	struct prov_pdq ph, var[8];
	size_t i, v;

	for (i = 0; i < nh; i++) {
		if (nv == 1) {
			memcpy(qh + i * PROV_PDQIDX_HASH_LEN, qi[i].hash, PROV_PDQIDX_HASH_LEN);
			continue;
		}
		item_to_pdq(qi[i].hash, &ph);
		prov_pdq_dihedral_hash(&ph, var);
		for (v = 0; v < 8; v++)
			pdq_to_item(&var[v], qh + (i * 8 + v) * PROV_PDQIDX_HASH_LEN);
	}
	return qh;
}

static int
hamming(const unsigned char *a, const unsigned char *b)
{
	int d = 0, k;

	for (k = 0; k < PROV_PDQIDX_HASH_LEN; k++)
		d += __builtin_popcount((unsigned)(a[k] ^ b[k]));
	return d;
}

size_t
prov_pdq_query_rows(const json_t *rec, int flags, unsigned char (*rows)[PROV_PDQIDX_HASH_LEN],
    size_t max)
{
	size_t nh = record_hashes(rec, NULL, NULL, 0), nv = (flags & PROV_PDQ_MATCH_DIHEDRAL) ? 8 : 1;
	struct prov_pdqidx_item *qi;
	unsigned char *qh;

	if (nh == 0)
		return 0;
	if (rows == NULL || max < nh * nv)
		return nh * nv;
	qi = prov_xcalloc(nh, sizeof(*qi));
	nh = record_hashes(rec, qi, NULL, nh);
	qh = query_rows(qi, nh, nv);
	memcpy(rows, qh, nh * nv * PROV_PDQIDX_HASH_LEN);
	free(qh);
	free(qi);
	return nh * nv;
}

int
prov_pdq_records_nearest(const json_t *found, const json_t *stored, int transform,
    struct prov_pdq_pair *out)
{
	size_t nf = record_hashes(found, NULL, NULL, 0), ns = record_hashes(stored, NULL, NULL, 0);
	struct prov_pdqidx_item *f, *st;
	const json_t **src;
	unsigned char *rows;
	size_t i, j, v, nv = transform == PROV_PDQ_ANY ? 8 : 1;
	int d;

	memset(out, 0, sizeof(*out));
	out->distance = -1;
	if (nf == 0 || ns == 0 || transform < PROV_PDQ_ANY || transform > PROV_PDQ_FLIPMINUS1)
		return -1;
	f = prov_xcalloc(nf, sizeof(*f));
	st = prov_xcalloc(ns, sizeof(*st));
	src = prov_xcalloc(ns, sizeof(*src));
	nf = record_hashes(found, f, NULL, nf);
	ns = record_hashes(stored, st, src, ns);
	if (transform == PROV_PDQ_ANY || transform == PROV_PDQ_ORIGINAL)
		rows = query_rows(f, nf, nv);
	else {
		/* Only the variant whose inverse is transform. */
		unsigned char *all = query_rows(f, nf, 8);
		int want = prov_pdq_variant_inverse(transform);

		rows = prov_xmalloc(nf * PROV_PDQIDX_HASH_LEN);
		for (i = 0; i < nf; i++)
			memcpy(rows + i * PROV_PDQIDX_HASH_LEN,
			    all + (i * 8 + (size_t)want) * PROV_PDQIDX_HASH_LEN, PROV_PDQIDX_HASH_LEN);
		free(all);
	}
	/* Variant 0 (upright) first, so that it wins a tie. */
	for (v = 0; v < nv; v++)
		for (i = 0; i < nf; i++)
			for (j = 0; j < ns; j++) {
				d = hamming(rows + (i * nv + v) * PROV_PDQIDX_HASH_LEN, st[j].hash);
				if (out->distance >= 0 && d >= out->distance)
					continue;
				out->distance = d;
				out->transform = transform == PROV_PDQ_ANY ?
				    prov_pdq_variant_inverse((int)v) : transform;
				out->part = st[j].part & ~PROV_PDQIDX_TRIMMED;
				out->trimmed = (st[j].part & PROV_PDQIDX_TRIMMED) != 0;
				out->layer = src[j] ? json_string_value(json_object_get(src[j],
				    "layer")) : NULL;
			}
	free(rows);
	free(f);
	free(st);
	free(src);
	return out->distance;
}

static int
cmp_match(const void *a, const void *b)
{
	const struct prov_pdq_match *x = a, *y = b;

	if (x->query != y->query)
		return x->query < y->query ? -1 : 1;
	if (x->distance != y->distance)
		return x->distance < y->distance ? -1 : 1;
	if (x->entry != y->entry)
		return x->entry < y->entry ? -1 : 1;
	if (x->artifact != y->artifact)
		return x->artifact < y->artifact ? -1 : 1;
	return 0;
}

/* Orders by query, entry, artifact, then distance: the first of a run is
 * the closest pair of that (query, artifact). */
static int
cmp_pair(const void *a, const void *b)
{
	const struct prov_pdq_match *x = a, *y = b;

	if (x->query != y->query)
		return x->query < y->query ? -1 : 1;
	if (x->entry != y->entry)
		return x->entry < y->entry ? -1 : 1;
	if (x->artifact != y->artifact)
		return x->artifact < y->artifact ? -1 : 1;
	if (x->distance != y->distance)
		return x->distance < y->distance ? -1 : 1;
	if (x->transform != y->transform)
		return x->transform - y->transform;
	return x->part - y->part;
}

static int
cmp_by_entry(const void *a, const void *b)
{
	const struct prov_pdq_match *const *x = a, *const *y = b;

	if ((*x)->entry != (*y)->entry)
		return (*x)->entry < (*y)->entry ? -1 : 1;
	return (*x)->artifact < (*y)->artifact ? -1 : (*x)->artifact > (*y)->artifact;
}

/*
 * A JSON skipper over an entry's bytes, so that a match in a handoff of
 * 10^5 artifacts parses that one artifact, not the whole entry (which
 * costs about a second).  Each function returns the position after what it
 * skipped, or NULL when the text is not what it must be; p < end always
 * before a read.
 */
static const char *
skip_ws(const char *p, const char *end)
{
	while (p && p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static const char *
skip_string(const char *p, const char *end)
{
	if (p == NULL || p >= end || *p != '"')
		return NULL;
	for (p++; p < end; p++) {
		if (*p == '\\') {
			if (++p >= end)
				return NULL;
		} else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

static const char *
skip_value(const char *p, const char *end)
{
	size_t depth = 0;

	p = skip_ws(p, end);
	if (p == NULL || p >= end)
		return NULL;
	if (*p == '"')
		return skip_string(p, end);
	if (*p != '{' && *p != '[') {
		/* A number, true, false or null. */
		while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' &&
		    *p != '\n' && *p != '\t' && *p != '\r')
			p++;
		return p;
	}
	while (p < end) {
		if (*p == '"') {
			if ((p = skip_string(p, end)) == NULL)
				return NULL;
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']') {
			if (depth == 0)
				return NULL;
			if (--depth == 0)
				return p + 1;
		}
		p++;
	}
	return NULL;
}

/* The value of member key of the object at p, or NULL. */
static const char *
member(const char *p, const char *end, const char *key)
{
	size_t klen = strlen(key);

	p = skip_ws(p, end);
	if (p == NULL || p >= end || *p != '{')
		return NULL;
	p = skip_ws(p + 1, end);
	while (p && p < end && *p == '"') {
		const char *k = p + 1, *ke = skip_string(p, end);

		if (ke == NULL)
			return NULL;
		p = skip_ws(ke, end);
		if (p == NULL || p >= end || *p != ':')
			return NULL;
		p = skip_ws(p + 1, end);
		if ((size_t)(ke - 1 - k) == klen && memcmp(k, key, klen) == 0)
			return p;
		p = skip_ws(skip_value(p, end), end);
		if (p == NULL || p >= end || *p != ',')
			return NULL;
		p = skip_ws(p + 1, end);
	}
	return NULL;
}

/* Where an entry's artifacts array starts, and the entry's type. */
static const char *
artifacts_at(const char *p, const char *end, const char **type)
{
	const char *t = member(p, end, "type"), *body = member(p, end, "body");

	*type = "entry";
	if (t == NULL || body == NULL)
		return NULL;
	if (end - t >= 9 && memcmp(t, "\"handoff\"", 9) == 0) {
		*type = "handoff";
		return member(member(body, end, "manifest"), end, "artifacts");
	}
	if (end - t >= 9 && memcmp(t, "\"receipt\"", 9) == 0)
		*type = "receipt";
	else if (end - t >= 10 && memcmp(t, "\"sighting\"", 10) == 0)
		*type = "sighting";
	else
		return NULL;
	return member(body, end, "artifacts");
}

/* Reads back the record of every match, each entry once, parsing only the
 * matched artifacts: the array is walked forward, matches in artifact
 * order. */
static int
resolve(struct prov_ledger *l, struct prov_pdq_matches *m, struct prov_err *e)
{
	struct prov_pdq_match **by = prov_xmalloc((m->n ? m->n : 1) * sizeof(*by));
	struct prov_buf b = PROV_BUF_INIT;
	const char *type = "entry", *p = NULL, *end = NULL;
	uint64_t cur = UINT64_MAX;
	size_t i, at = 0;
	json_t *last = NULL;
	int rc = PROV_OK;

	for (i = 0; i < m->n; i++)
		by[i] = &m->v[i];
	qsort(by, m->n, sizeof(*by), cmp_by_entry);
	for (i = 0; i < m->n && rc == PROV_OK; i++) {
		const char *v;

		if (by[i]->entry != cur) {
			cur = by[i]->entry;
			prov_buf_reset(&b);
			if ((rc = prov_ledger_entry(l, cur, &b, e)) != PROV_OK)
				break;
			end = b.buf + b.len;
			p = skip_ws(artifacts_at(b.buf, end, &type), end);
			if (p == NULL || p >= end || *p != '[') {
				rc = prov_seterr(e, PROV_FATAL, 0, "entry %" PRIu64 ": no artifacts", cur);
				break;
			}
			p++;
			at = 0;
			last = NULL;
		}
		by[i]->type = type;
		if (last && i > 0 && by[i - 1]->entry == cur && by[i - 1]->artifact == by[i]->artifact) {
			by[i]->record = json_incref(last);
			continue;
		}
		/* p is at element `at` (or the ',' before it). */
		for (;;) {
			p = skip_ws(p, end);
			if (p && p < end && *p == ',' && at > 0)
				p = skip_ws(p + 1, end);
			if (p == NULL || p >= end || *p == ']')
				break;
			if (at == by[i]->artifact)
				break;
			p = skip_value(p, end);
			at++;
		}
		v = p;
		if (v == NULL || v >= end || *v == ']' || (p = skip_value(v, end)) == NULL ||
		    (last = json_loadb(v, (size_t)(p - v), 0, NULL)) == NULL) {
			rc = prov_seterr(e, PROV_FATAL, 0, "entry %" PRIu64 ": no artifact %" PRIu32
			    " (the index does not fit the ledger)", cur, by[i]->artifact);
			break;
		}
		at++;
		by[i]->record = last;
	}
	prov_buf_release(&b);
	free(by);
	return rc;
}

int
prov_pdq_match_records(const struct prov_pdqidx *x, struct prov_ledger *l,
    json_t *const *queries, size_t nq, int maxdist, unsigned nthreads, int flags,
    struct prov_pdq_matches *out, struct prov_err *e)
{
	struct prov_pdqidx_item *qi = NULL, item;
	size_t *owner = NULL, nh = 0, alloc = 0, i, k, w, nv;
	unsigned char *qh;
	struct prov_pdqidx_hits hits;
	struct prov_pdq_matches m = { NULL, 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	/* Every hash of every query, and which query it came from. */
	for (i = 0; i < nq; i++) {
		for (;;) {
			k = prov_pdq_record_hashes(queries[i], qi + nh, alloc - nh);
			if (nh + k <= alloc)
				break;
			alloc = 2 * (nh + k) + 64;
			qi = prov_xrealloc(qi, alloc * sizeof(*qi));
			owner = prov_xrealloc(owner, alloc * sizeof(*owner));
		}
		for (; k > 0; k--)
			owner[nh++] = i;
	}
	/* With PROV_PDQ_MATCH_DIHEDRAL, query hash j's variant v is query
	 * j * 8 + v: the stored images it finds are those the query is the
	 * inverse of v of. */
	nv = (flags & PROV_PDQ_MATCH_DIHEDRAL) ? 8 : 1;
	qh = query_rows(qi, nh, nv);
	rc = prov_pdqidx_search_many(x, qh, nh * nv, maxdist, nthreads, 0, &hits, e);
	free(qh);
	free(qi);
	if (rc != PROV_OK) {
		free(owner);
		return rc;
	}
	m.v = prov_xmalloc((hits.n ? hits.n : 1) * sizeof(*m.v));
	for (i = 0; i < hits.n; i++) {
		struct prov_pdq_match *p = &m.v[m.n++];

		prov_pdqidx_item(x, hits.v[i].item, &item);
		memset(p, 0, sizeof(*p));
		p->query = owner[hits.v[i].query / nv];
		p->transform = prov_pdq_variant_inverse((int)(hits.v[i].query % nv));
		p->entry = item.id;
		p->artifact = item.sub;
		p->part = item.part & ~PROV_PDQIDX_TRIMMED;
		p->trimmed = (item.part & PROV_PDQIDX_TRIMMED) != 0;
		p->distance = hits.v[i].distance;
		p->quality = item.quality;
		p->type = "entry";
	}
	prov_pdqidx_hits_release(&hits);
	free(owner);
	/* The closest pair per (query, artifact). */
	qsort(m.v, m.n, sizeof(*m.v), cmp_pair);
	for (i = w = 0; i < m.n; i++)
		if (w == 0 || m.v[w - 1].query != m.v[i].query || m.v[w - 1].entry != m.v[i].entry ||
		    m.v[w - 1].artifact != m.v[i].artifact)
			m.v[w++] = m.v[i];
	m.n = w;
	qsort(m.v, m.n, sizeof(*m.v), cmp_match);
	if ((rc = resolve(l, &m, e)) != PROV_OK) {
		prov_pdq_matches_release(&m);
		return rc;
	}
	*out = m;
	return PROV_OK;
}

void
prov_pdq_matches_release(struct prov_pdq_matches *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		json_decref(m->v[i].record);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}
