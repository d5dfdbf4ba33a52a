/*
 * compare.c: files on disk against a handoff's manifest (see prov.h).
 *
 * Two passes: first every disk record finds the manifest record of the
 * same name; then the records left over on both sides are paired by
 * content (bytes, then pixels, then perceptual hash), which finds moved and
 * re-encoded files.  Names, digests and pixel hashes are looked up in
 * hash indexes of the manifest; only the perceptual pairing of a file
 * left over is a linear scan.
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

static const char *
get(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The record's name in NFC (malloc'd); names that are not UTF-8 are
 * compared as their bytes (path_bytes). */
static char *
nfc_name(const json_t *r)
{
	const char *p = get(r, "path_bytes") ? get(r, "path_bytes") : get(r, "path");
	utf8proc_uint8_t *n;

	if (p == NULL)
		return prov_xstrdup("");
	if (get(r, "path_bytes") == NULL &&
	    (n = utf8proc_NFC((const utf8proc_uint8_t *)p)) != NULL)
		return (char *)n;
	return prov_xstrdup(p);
}

static int
same_str(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* Smallest PDQ distance between two records' images (hash and trimmed). */
static int
pdq_distance(const json_t *a, const json_t *b)
{
	const char *keys[] = { "pdq", "pdq_trimmed" };
	int best = -1, i, j, d;

	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++) {
			d = prov_pdq_hex_distance(get(json_object_get(a, keys[i]), "hash"),
			    get(json_object_get(b, keys[j]), "hash"));
			if (d >= 0 && (best < 0 || d < best))
				best = d;
		}
	return best;
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

int
prov_compare_records(const json_t *manifest, const json_t *disk, int pdq_max,
    void (*fn)(void *ctx, const struct prov_compare_line *line), void *ctx,
    struct prov_compare_counts *counts)
{
	size_t nm = json_array_size(manifest), nd = json_array_size(disk), i, j;
	long *pair = prov_xcalloc(nd ? nd : 1, sizeof(long));	/* manifest index or -1 */
	const char **status = prov_xcalloc(nd ? nd : 1, sizeof(char *));
	int *dist = prov_xcalloc(nd ? nd : 1, sizeof(int));
	char *used = prov_xcalloc(nm ? nm : 1, 1);
	json_t *byname = json_object(), *bysha = json_object(), *bypix = json_object();
	struct prov_compare_counts c;
	struct prov_compare_line line;

	if (pdq_max < 0)
		pdq_max = PROV_PDQ_MATCH;
	memset(&c, 0, sizeof(c));
	for (j = 0; j < nm; j++) {
		const json_t *m = json_array_get(manifest, j);
		char *name = nfc_name(m);
		index_add(byname, name, j);
		index_add(bysha, get(m, "sha256"), j);
		index_add(bypix, get(m, "pixels"), j);
		free(name);
	}
	/* Pass 1: by name. */
	for (i = 0; i < nd; i++) {
		const json_t *d = json_array_get(disk, i), *m;
		char *name = nfc_name(d);
		pair[i] = index_take(byname, name, used);
		dist[i] = -1;
		free(name);
		if (pair[i] < 0)
			continue;
		m = json_array_get(manifest, (size_t)pair[i]);
		used[pair[i]] = 1;
		if (same_str(get(d, "sha256"), get(m, "sha256")))
			status[i] = "matched";
		else if (same_str(get(d, "pixels"), get(m, "pixels")))
			status[i] = "same-pixels";
		else if ((dist[i] = pdq_distance(d, m)) >= 0 && dist[i] <= pdq_max)
			status[i] = "perceptual";
		else
			status[i] = "changed";
	}
	/* Pass 2: what is left, by content: the same bytes, the same pixels,
	 * then the nearest perceptual hash. */
	for (i = 0; i < nd; i++) {
		const json_t *d = json_array_get(disk, i);
		long best;
		int bestd = pdq_max + 1;
		if (pair[i] >= 0)
			continue;
		status[i] = "new";
		if ((best = index_take(bysha, get(d, "sha256"), used)) >= 0)
			status[i] = "moved";
		else if ((best = index_take(bypix, get(d, "pixels"), used)) >= 0)
			status[i] = "same-pixels";
		else if (json_object_get(d, "pdq") || json_object_get(d, "pdq_trimmed")) {
			for (j = 0; j < nm; j++) {
				int dd;
				if (used[j])
					continue;
				dd = pdq_distance(d, json_array_get(manifest, j));
				if (dd >= 0 && dd < bestd) {
					bestd = dd;
					best = (long)j;
					status[i] = "perceptual";
					dist[i] = dd;
				}
			}
		}
		if (best >= 0) {
			used[best] = 1;
			pair[i] = best;
		}
	}
	for (i = 0; i < nd; i++) {
		line.status = status[i];
		line.disk = json_array_get(disk, i);
		line.manifest = pair[i] >= 0 ? json_array_get(manifest, (size_t)pair[i]) : NULL;
		line.distance = strcmp(status[i], "perceptual") == 0 ? dist[i] : -1;
		if (strcmp(status[i], "matched") == 0) c.matched++;
		else if (strcmp(status[i], "changed") == 0) c.changed++;
		else if (strcmp(status[i], "same-pixels") == 0) c.same_pixels++;
		else if (strcmp(status[i], "perceptual") == 0) c.perceptual++;
		else if (strcmp(status[i], "moved") == 0) c.moved++;
		else c.added++;
		if (fn)
			fn(ctx, &line);
	}
	for (j = 0; j < nm; j++) {
		if (used[j])
			continue;
		c.missing++;
		line.status = "missing";
		line.disk = NULL;
		line.manifest = json_array_get(manifest, j);
		line.distance = -1;
		if (fn)
			fn(ctx, &line);
	}
	json_decref(byname);
	json_decref(bysha);
	json_decref(bypix);
	free(pair);
	free(status);
	free(dist);
	free(used);
	if (counts)
		*counts = c;
	return c.matched == nd && c.missing == 0 ? PROV_OK : PROV_FAILED;
}
