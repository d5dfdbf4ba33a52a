/*
 * compare.c: files on disk against a handoff's manifest (see prov.h).
 *
 * First the records that are not files to judge are set aside: archives
 * whose members are judged in their place, links and special files, and
 * records that could not be read (error lines).  Then every disk record
 * looks for the manifest record of the same name, in passes from the
 * strictest spelling of the name to the loosest (see name_key()), so that
 * a delivery zipped with or without its top folder still meets its
 * manifest by name.  Then the records left over on both sides are paired
 * by content (bytes, then pixels, then perceptual hash), which finds moved
 * and re-encoded files.  Names, digests and pixel hashes are looked up in
 * hash indexes of the manifest, perceptual hashes in a multi-index
 * (struct prov_pdqidx) of the manifest's PDQ hashes.
 */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "prov.h"
#include "banned.h"

int
prov_pdq_hex_distance(const char *a, const char *b)
{
	unsigned char x[32], y[32];
	int d = 0, i;

	if (a == NULL || b == NULL || strlen(a) != 64 || strlen(b) != 64 ||
	    prov_unhex(a, x, 32) != 0 || prov_unhex(b, y, 32) != 0)
		return -1;
	for (i = 0; i < 32; i++)
		d += __builtin_popcount((unsigned)(x[i] ^ y[i]));
	return d;
}

void
prov_compare_opts_default(struct prov_compare_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->pdq_max = PROV_PDQ_MATCH;
}

static const char *
get(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* s in NFC without leading "./" (malloc'd); s itself when it is not
 * UTF-8. */
static char *
norm(const char *s)
{
	utf8proc_uint8_t *n;

	while (s[0] == '.' && s[1] == '/')
		for (s += 2; *s == '/'; s++)
			;
	if ((n = utf8proc_NFC((const utf8proc_uint8_t *)s)) != NULL)
		return (char *)n;
	return prov_xstrdup(s);
}

/* The record's whole name, normalised; names that are not UTF-8 are
 * compared as their bytes (path_bytes). */
static char *
full_name(const json_t *r)
{
	if (get(r, "path_bytes"))
		return prov_xstrdup(get(r, "path_bytes"));
	return norm(get(r, "path") ? get(r, "path") : "");
}

static int
same_str(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* The closest pair of the two records' PDQ hashes (images, layers,
 * trimmed; rotated and mirrored too unless upright), as prov-ledger match
 * and prov-trace compare them; the distance, or -1. */
static int
pdq_distance(const json_t *disk, const json_t *manifest, int upright, struct prov_pdq_pair *pp)
{
	return prov_pdq_records_nearest(disk, manifest, upright ? PROV_PDQ_ORIGINAL : PROV_PDQ_ANY,
	    pp);
}

/* Index of the manifest: key -> array of record indices, in order. */
static void
index_add(json_t *idx, const char *key, size_t j)
{
	json_t *a;

	if (key == NULL)
		return;
	if ((a = json_object_get(idx, key)) == NULL) {
		a = json_array();
		json_object_set_new_nocheck(idx, key, a);
	}
	json_array_append_new(a, json_integer((json_int_t)j));
}

/* The first record under key that nothing has claimed yet, or -1. */
static long
index_take(const json_t *idx, const char *key, const char *used)
{
	const json_t *a = key ? json_object_get(idx, key) : NULL;
	size_t k;

	for (k = 0; k < json_array_size(a); k++) {
		long j = (long)json_integer_value(json_array_get(a, k));
		if (!used[j])
			return j;
	}
	return -1;
}

/* s without its first path component, or NULL when it has one only. */
static const char *
drop_first(const char *s)
{
	const char *sl = s ? strchr(s, '/') : NULL;

	return sl && sl[1] ? sl + 1 : NULL;
}

enum { UNPAIRED = -1, SET_ASIDE = -2, FAILED_READ = -3 };
#define NPASSES 6

struct cmp {
	const json_t *manifest, *disk;
	const struct prov_compare_opts *o;
	size_t nm, nd;
	long *pair;		/* manifest index, or one of the values above */
	const char **status;
	int *dist;
	struct prov_pdq_pair *pp;	/* per disk record: its perceptual pair */
	char *used, *by_content;
	json_t *byname, *bytail, *bysha, *bypix;
	json_t *holders;	/* manifest names of archives whose members it lists */
	char **alias;		/* per disk member: its name under the manifest's
				 * name of its archive, or NULL */
	struct prov_pdqidx *pdq;	/* the manifest's PDQ hashes, or NULL */
	long *item_rec;		/* item -> manifest index */
};

/*
 * The name of disk record i that pass p looks up, and in which index
 * (malloc'd, or NULL when the pass has none for it):
 *   0  for a member of an archive whose manifest record lists its members
 *      too, its name under that record's name (d_v2.zip!/a.exr is
 *      d.zip!/a.exr when d_v2.zip was judged against d.zip)
 *   1  its whole path (deliv/a.exr on disk for deliv/a.exr in the manifest)
 *   2  its name inside the operand: below the directory given, or inside
 *      the innermost archive (a.zip!/deliv/a.exr is deliv/a.exr)
 *   3  that name against the manifest's names without the top folder they
 *      all share (a.zip!/a.exr, or a.exr under /mnt/in/deliv, for
 *      deliv/a.exr)
 *   4, 5  for archive members, 2 and 3 without the member's own first
 *      folder (a.zip!/delivery_v2/a.exr for deliv/a.exr)
 */
static char *
name_key(const struct cmp *c, size_t i, int p, const json_t **idx)
{
	const json_t *d = json_array_get(c->disk, i);
	const char *path = get(d, "path"), *in, *bang, *s;
	size_t root = c->o->root_len ? c->o->root_len[i] : 0;
	int member = json_object_get(d, "member") != NULL;

	*idx = p <= 2 || p == 4 ? c->byname : c->bytail;
	if (p == 0)
		return c->alias[i] ? norm(c->alias[i]) : NULL;
	if (p == 1)
		return full_name(d);
	if (path == NULL || get(d, "path_bytes") || (p >= 4 && !member))
		return NULL;
	if (member) {
		for (bang = NULL, s = path; (s = strstr(s, "!/")) != NULL; s += 2)
			bang = s;
		in = bang ? bang + 2 : path;
	} else
		in = root <= strlen(path) ? path + root : path;
	if (p >= 4 && (in = drop_first(in)) == NULL)
		return NULL;
	if (p == 2 && in == path)
		return NULL;	/* the same as pass 1 */
	return norm(in);
}

/* The verdict of disk record i against manifest record j, paired by name. */
static void
judge(struct cmp *c, size_t i, long j)
{
	const json_t *d = json_array_get(c->disk, i), *m = json_array_get(c->manifest, (size_t)j);

	c->pair[i] = j;
	c->used[j] = 1;
	if (same_str(get(d, "sha256"), get(m, "sha256")))
		c->status[i] = "matched";
	else if (same_str(get(d, "pixels"), get(m, "pixels")))
		c->status[i] = "same-pixels";
	else if ((c->dist[i] = pdq_distance(d, m, c->o->upright, &c->pp[i])) >= 0 &&
	    c->dist[i] <= c->o->pdq_max)
		c->status[i] = "perceptual";
	else
		c->status[i] = "changed";
}

/* The manifest record an archive's own record is, by name (passes 0-3)
 * or else by bytes, or -1: it is then judged as one file. */
static long
archive_in_manifest(struct cmp *c, size_t i)
{
	const json_t *idx;
	char *k;
	long j = -1;
	int p;

	for (p = 0; j < 0 && p < 4; p++) {
		k = name_key(c, i, p, &idx);
		j = k ? index_take(idx, k, c->used) : -1;
		free(k);
	}
	if (j < 0)
		j = index_take(c->bysha, get(json_array_get(c->disk, i), "sha256"), c->used);
	return j;
}

/* The longest prefix of path among pre (an array of [disk, manifest]
 * prefixes), or NULL. */
static const json_t *
longest_prefix(const json_t *pre, const char *path)
{
	const json_t *best = NULL;
	size_t k, bl = 0;

	for (k = 0; k < json_array_size(pre); k++) {
		const json_t *pr = json_array_get(pre, k);
		const char *d = json_string_value(json_array_get(pr, 0));
		if (strncmp(path, d, strlen(d)) == 0 && strlen(d) > bl) {
			best = pr;
			bl = strlen(d);
		}
	}
	return best;
}

/*
 * Sets aside what is not a file to judge.  An archive whose record is in
 * the manifest is judged as one file; when the manifest lists its members
 * too (prov-ledger handoff records both), they are judged as well, under
 * the manifest's name of the archive, else they are set aside.  Archive
 * records come before their members, as the walker emits them.
 */
static void
set_aside(struct cmp *c)
{
	json_t *pre = json_array();	/* ["a.zip!/", manifest prefix or null] */
	size_t i;
	long j;

	for (i = 0; i < c->nd; i++) {
		const json_t *d = json_array_get(c->disk, i), *pr;
		const char *path = get(d, "path") ? get(d, "path") : "";

		c->pair[i] = UNPAIRED;
		c->dist[i] = -1;
		if ((pr = longest_prefix(pre, path)) != NULL) {
			const char *to = json_string_value(json_array_get(pr, 1));
			struct prov_buf a = PROV_BUF_INIT;
			if (to == NULL) {
				c->pair[i] = SET_ASIDE;
				continue;
			}
			prov_buf_addf(&a, "%s%s", to,
			    path + strlen(json_string_value(json_array_get(pr, 0))));
			c->alias[i] = prov_buf_detach(&a, NULL);
		}
		if (json_object_get(d, "archive") != NULL) {
			if ((j = archive_in_manifest(c, i)) >= 0) {
				const json_t *m = json_array_get(c->manifest, (size_t)j);
				struct prov_buf dp = PROV_BUF_INIT, mp = PROV_BUF_INIT;
				char *mname = full_name(m);
				int listed = !get(d, "path_bytes") && !get(m, "path_bytes") &&
				    json_object_get(c->holders, mname) != NULL;
				prov_buf_addf(&dp, "%s!/", path);
				prov_buf_addf(&mp, "%s!/", mname);
				json_array_append_new(pre, json_pack("[s,o]", dp.buf,
				    listed ? json_string(mp.buf) : json_null()));
				prov_buf_release(&dp);
				prov_buf_release(&mp);
				free(mname);
			} else
				c->pair[i] = get(d, "error") ? FAILED_READ : SET_ASIDE;
		} else if (get(d, "sha256") == NULL)
			c->pair[i] = get(d, "error") ? FAILED_READ : SET_ASIDE;
		else if (same_str(get(d, "kind"), "hardlink") || same_str(get(d, "kind"), "symlink"))
			c->pair[i] = SET_ASIDE;
	}
	json_decref(pre);
}

/* Every archive a member name is inside: "a.zip" and "a.zip!/b.tar" for
 * "a.zip!/b.tar!/c.exr". */
static void
add_holders(json_t *holders, const char *name)
{
	const char *s;

	for (s = name; (s = strstr(s, "!/")) != NULL; s += 2) {
		char *h = prov_xstrdup(name);
		h[s - name] = '\0';
		json_object_set_new(holders, h, json_true());
		free(h);
	}
}

/* The manifest's indexes; bytail only when every name has a first folder
 * and it is the same for all. */
static void
index_manifest(struct cmp *c)
{
	char *top = NULL;
	int shared = c->nm > 0;
	size_t j;

	c->byname = json_object();
	c->bytail = json_object();
	c->bysha = json_object();
	c->bypix = json_object();
	c->holders = json_object();
	for (j = 0; j < c->nm; j++) {
		const json_t *m = json_array_get(c->manifest, j);
		char *name = full_name(m);
		const char *sl = strchr(name, '/');

		index_add(c->byname, name, j);
		if (!get(m, "path_bytes"))
			add_holders(c->holders, name);
		index_add(c->bysha, get(m, "sha256"), j);
		index_add(c->bypix, get(m, "pixels"), j);
		if (get(m, "path_bytes") || sl == NULL || sl[1] == '\0')
			shared = 0;
		else if (top == NULL) {
			top = prov_xstrdup(name);
			top[sl - name + 1] = '\0';
		}
		else if (strncmp(name, top, strlen(top)) != 0)
			shared = 0;
		free(name);
	}
	for (j = 0; shared && j < c->nm; j++) {
		char *name = full_name(json_array_get(c->manifest, j));
		index_add(c->bytail, name + strlen(top), j);
		free(name);
	}
	free(top);
}

/* Every PDQ hash of the manifest's records (prov_pdq_record_hashes) in an
 * index. */
static void
index_pdq(struct cmp *c)
{
	struct prov_pdqidx_item *items = NULL;
	size_t j, n = 0, alloc = 0, k;

	for (j = 0; j < c->nm; j++) {
		const json_t *m = json_array_get(c->manifest, j);

		for (;;) {
			k = prov_pdq_record_hashes(m, items + n, alloc - n);
			if (n + k <= alloc)
				break;
			alloc = 2 * (n + k) + 64;
			items = prov_xrealloc(items, alloc * sizeof(*items));
			c->item_rec = prov_xrealloc(c->item_rec, alloc * sizeof(long));
		}
		for (; k > 0; k--) {
			items[n].id = j;
			c->item_rec[n++] = (long)j;
		}
	}
	if (n == 0 || prov_pdqidx_new(&c->pdq, NULL) != PROV_OK ||
	    prov_pdqidx_add(c->pdq, items, n, NULL) != PROV_OK ||
	    prov_pdqidx_build(c->pdq, 1, NULL) != PROV_OK) {
		prov_pdqidx_free(c->pdq);
		c->pdq = NULL;
	}
	free(items);
}

struct nearest {
	const struct cmp *c;
	long best;
	int bestd;
};

/* The nearest manifest record nothing has claimed; ties go to the first. */
static int
nearest_hit(void *ctx, size_t item, int distance)
{
	struct nearest *n = ctx;
	long j = n->c->item_rec[item];

	if (!n->c->used[j] && (distance < n->bestd || (distance == n->bestd && j < n->best))) {
		n->bestd = distance;
		n->best = j;
	}
	return 0;
}

/* Disk record i against every unclaimed manifest record's PDQ hashes:
 * its hashes, and their variants unless upright, are searched in the
 * index; the pair is then described by pdq_distance(). */
static long
nearest_pdq(struct cmp *c, size_t i, int *dist)
{
	const json_t *d = json_array_get(c->disk, i);
	struct nearest n = { c, -1, c->o->pdq_max + 1 };
	unsigned char (*rows)[PROV_PDQIDX_HASH_LEN];
	int flags = c->o->upright ? 0 : PROV_PDQ_MATCH_DIHEDRAL;
	size_t j, k, nr;

	if (c->o->linear) {
		for (j = 0; j < c->nm; j++) {
			int dd;
			if (c->used[j])
				continue;
			dd = pdq_distance(d, json_array_get(c->manifest, j), c->o->upright, &c->pp[i]);
			if (dd >= 0 && dd < n.bestd) {
				n.bestd = dd;
				n.best = (long)j;
			}
		}
	} else if (c->pdq != NULL && (nr = prov_pdq_query_rows(d, flags, NULL, 0)) > 0) {
		rows = prov_xcalloc(nr, sizeof(*rows));
		prov_pdq_query_rows(d, flags, rows, nr);
		for (k = 0; k < nr; k++)
			prov_pdqidx_search(c->pdq, rows[k], c->o->pdq_max, nearest_hit, &n);
		free(rows);
	}
	if (n.best >= 0)
		pdq_distance(d, json_array_get(c->manifest, (size_t)n.best), c->o->upright, &c->pp[i]);
	*dist = n.bestd;
	return n.best;
}

/* Pairs by content what no name paired: the same bytes, the same pixels,
 * then the nearest perceptual hash. */
static void
pair_by_content(struct cmp *c)
{
	size_t i;

	if (!c->o->linear)
		index_pdq(c);
	for (i = 0; i < c->nd; i++) {
		const json_t *d = json_array_get(c->disk, i);
		long best;
		int bestd;

		if (c->pair[i] != UNPAIRED)
			continue;
		c->status[i] = "new";
		if ((best = index_take(c->bysha, get(d, "sha256"), c->used)) >= 0)
			c->status[i] = "moved";
		else if ((best = index_take(c->bypix, get(d, "pixels"), c->used)) >= 0)
			c->status[i] = "same-pixels";
		else if (prov_pdq_record_hashes(d, NULL, 0) > 0 &&
		    (best = nearest_pdq(c, i, &bestd)) >= 0) {
			c->status[i] = "perceptual";
			c->dist[i] = bestd;
		}
		if (best >= 0) {
			c->used[best] = 1;
			c->pair[i] = best;
			c->by_content[i] = 1;
		}
	}
}

int
prov_compare_files(const json_t *manifest, const json_t *disk,
    const struct prov_compare_opts *opts,
    void (*fn)(void *ctx, const struct prov_compare_line *line), void *ctx,
    struct prov_compare_counts *counts)
{
	struct prov_compare_opts defaults;
	struct prov_compare_counts n;
	struct prov_compare_line line;
	struct cmp c;
	size_t i, j;
	int p;

	if (opts == NULL) {
		prov_compare_opts_default(&defaults);
		opts = &defaults;
	}
	memset(&c, 0, sizeof(c));
	c.manifest = manifest;
	c.disk = disk;
	c.o = opts;
	c.nm = json_array_size(manifest);
	c.nd = json_array_size(disk);
	c.pair = prov_xcalloc(c.nd + 1, sizeof(long));
	c.status = prov_xcalloc(c.nd + 1, sizeof(char *));
	c.dist = prov_xcalloc(c.nd + 1, sizeof(int));
	c.pp = prov_xcalloc(c.nd + 1, sizeof(*c.pp));
	c.by_content = prov_xcalloc(c.nd + 1, 1);
	c.used = prov_xcalloc(c.nm + 1, 1);
	c.alias = prov_xcalloc(c.nd + 1, sizeof(char *));
	memset(&n, 0, sizeof(n));
	index_manifest(&c);
	set_aside(&c);
	for (p = 0; p < NPASSES; p++)
		for (i = 0; i < c.nd; i++) {
			const json_t *idx;
			char *k;
			long jj;
			if (c.pair[i] != UNPAIRED || (k = name_key(&c, i, p, &idx)) == NULL)
				continue;
			if ((jj = index_take(idx, k, c.used)) >= 0)
				judge(&c, i, jj);
			free(k);
		}
	pair_by_content(&c);
	for (i = 0; i < c.nd; i++) {
		if (c.pair[i] == SET_ASIDE)
			continue;
		memset(&line, 0, sizeof(line));
		line.disk = json_array_get(disk, i);
		line.distance = -1;
		if (c.pair[i] == FAILED_READ) {
			line.status = "error";
			n.errors++;
		} else {
			line.status = c.status[i];
			line.manifest = c.pair[i] >= 0 ? json_array_get(manifest, (size_t)c.pair[i]) : NULL;
			line.by_content = c.by_content[i];
			if (strcmp(c.status[i], "perceptual") == 0) {
				line.distance = c.dist[i];
				line.transform = c.pp[i].transform;
				line.layer = c.pp[i].layer;
			}
			if (strcmp(c.status[i], "matched") == 0) n.matched++;
			else if (strcmp(c.status[i], "changed") == 0) n.changed++;
			else if (strcmp(c.status[i], "same-pixels") == 0) n.same_pixels++;
			else if (strcmp(c.status[i], "perceptual") == 0) n.perceptual++;
			else if (strcmp(c.status[i], "moved") == 0) n.moved++;
			else n.added++;
		}
		if (fn)
			fn(ctx, &line);
	}
	for (j = 0; j < c.nm; j++) {
		if (c.used[j])
			continue;
		n.missing++;
		memset(&line, 0, sizeof(line));
		line.status = "missing";
		line.manifest = json_array_get(manifest, j);
		line.distance = -1;
		if (fn)
			fn(ctx, &line);
	}
	json_decref(c.byname);
	json_decref(c.bytail);
	json_decref(c.bysha);
	json_decref(c.bypix);
	json_decref(c.holders);
	for (i = 0; i < c.nd; i++)
		free(c.alias[i]);
	free(c.alias);
	prov_pdqidx_free(c.pdq);
	free(c.item_rec);
	free(c.pair);
	free(c.status);
	free(c.dist);
	free(c.pp);
	free(c.by_content);
	free(c.used);
	if (counts)
		*counts = n;
	return n.changed + n.same_pixels + n.perceptual + n.moved + n.added + n.missing +
	    n.errors == 0 ? PROV_OK : PROV_FAILED;
}

int
prov_compare_records(const json_t *manifest, const json_t *disk, int pdq_max,
    void (*fn)(void *ctx, const struct prov_compare_line *line), void *ctx,
    struct prov_compare_counts *counts)
{
	struct prov_compare_opts o;

	prov_compare_opts_default(&o);
	if (pdq_max >= 0)
		o.pdq_max = pdq_max;
	return prov_compare_files(manifest, disk, &o, fn, ctx, counts);
}
