/*
 * compare.c: files on disk against a handoff's manifest (see prov.h).
 *
 * Two passes: first every disk record finds the manifest record of the
 * same name; then the records left over on both sides are paired by
 * content (bytes, then pixels, then perceptual hash), which finds moved and
 * re-encoded files.  Lookups are linear per record: manifests of 10^5
 * artifacts would want an index here.
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

int
prov_compare_records(const json_t *manifest, const json_t *disk,
    void (*fn)(void *ctx, const struct prov_compare_line *line), void *ctx,
    struct prov_compare_counts *counts)
{
	size_t nm = json_array_size(manifest), nd = json_array_size(disk), i, j;
	char **mnames = prov_xcalloc(nm ? nm : 1, sizeof(char *));
	long *pair = prov_xcalloc(nd ? nd : 1, sizeof(long));	/* manifest index or -1 */
	const char **status = prov_xcalloc(nd ? nd : 1, sizeof(char *));
	int *dist = prov_xcalloc(nd ? nd : 1, sizeof(int));
	char *used = prov_xcalloc(nm ? nm : 1, 1);
	struct prov_compare_counts c;
	struct prov_compare_line line;

	memset(&c, 0, sizeof(c));
	for (j = 0; j < nm; j++)
		mnames[j] = nfc_name(json_array_get(manifest, j));
	/* Pass 1: by name. */
	for (i = 0; i < nd; i++) {
		const json_t *d = json_array_get(disk, i);
		char *name = nfc_name(d);
		pair[i] = -1;
		dist[i] = -1;
		for (j = 0; j < nm && pair[i] < 0; j++) {
			const json_t *m = json_array_get(manifest, j);
			if (used[j] || strcmp(name, mnames[j]) != 0)
				continue;
			used[j] = 1;
			pair[i] = (long)j;
			if (same_str(get(d, "sha256"), get(m, "sha256")))
				status[i] = "matched";
			else if (same_str(get(d, "pixels"), get(m, "pixels")))
				status[i] = "same-pixels";
			else if ((dist[i] = pdq_distance(d, m)) >= 0 && dist[i] <= PROV_PDQ_MATCH)
				status[i] = "perceptual";
			else
				status[i] = "changed";
		}
		free(name);
	}
	/* Pass 2: what is left, by content. */
	for (i = 0; i < nd; i++) {
		const json_t *d = json_array_get(disk, i);
		long best = -1;
		int bestd = PROV_PDQ_MATCH + 1;
		if (pair[i] >= 0)
			continue;
		status[i] = "new";
		for (j = 0; j < nm; j++) {
			const json_t *m = json_array_get(manifest, j);
			if (used[j])
				continue;
			if (same_str(get(d, "sha256"), get(m, "sha256"))) {
				status[i] = "moved";
				best = (long)j;
				break;
			}
			if (same_str(get(d, "pixels"), get(m, "pixels")) && strcmp(status[i], "same-pixels")) {
				status[i] = "same-pixels";
				best = (long)j;
			} else if (strcmp(status[i], "same-pixels")) {
				int dd = pdq_distance(d, m);
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
	for (j = 0; j < nm; j++)
		free(mnames[j]);
	free(mnames);
	free(pair);
	free(status);
	free(dist);
	free(used);
	if (counts)
		*counts = c;
	return c.matched == nd && c.missing == 0 ? PROV_OK : PROV_FAILED;
}
