/*
 * merkle.c: RFC 6962 / RFC 9162 Merkle trees: hashing, a streaming builder,
 * roots and proofs over any store of perfect subtrees, and the verifiers.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "prov.h"
#include "banned.h"

void
prov_merkle_leaf_hash(const void *data, size_t len, unsigned char out[PROV_HASH_LEN])
{
	struct prov_sha256 h;

	/* One-shot digests cannot take a prefix byte without a copy. */
	if (prov_sha256_init(&h, NULL) != PROV_OK)
		prov_xmalloc(SIZE_MAX);	/* allocation failure, see prov.h */
	prov_sha256_update(&h, "\0", 1);
	prov_sha256_update(&h, data, len);
	prov_sha256_final(&h, out);
	prov_sha256_release(&h);
}

void
prov_merkle_node_hash(const unsigned char left[PROV_HASH_LEN],
    const unsigned char right[PROV_HASH_LEN], unsigned char out[PROV_HASH_LEN])
{
	unsigned char buf[1 + 2 * PROV_HASH_LEN];

	buf[0] = 1;
	memcpy(buf + 1, left, PROV_HASH_LEN);
	memcpy(buf + 1 + PROV_HASH_LEN, right, PROV_HASH_LEN);
	prov_sha256(buf, sizeof(buf), out);
}

void
prov_merkle_init(struct prov_merkle *m, prov_merkle_node_fn on_node, void *ctx)
{
	m->size = 0;
	m->on_node = on_node;
	m->on_node_ctx = ctx;
}

void
prov_merkle_add(struct prov_merkle *m, const unsigned char leaf_hash[PROV_HASH_LEN])
{
	unsigned char h[PROV_HASH_LEN];
	unsigned l = 0;

	memcpy(h, leaf_hash, PROV_HASH_LEN);
	if (m->on_node)
		m->on_node(m->on_node_ctx, 0, m->size, h);
	/* Each set low bit of size is a perfect subtree the new one completes. */
	while ((m->size >> l) & 1) {
		prov_merkle_node_hash(m->nodes[l], h, h);
		l++;
		if (m->on_node)
			m->on_node(m->on_node_ctx, l, m->size >> l, h);
	}
	memcpy(m->nodes[l], h, PROV_HASH_LEN);
	m->size++;
}

void
prov_merkle_root(const struct prov_merkle *m, unsigned char out[PROV_HASH_LEN])
{
	unsigned char r[PROV_HASH_LEN];
	unsigned l;
	int have = 0;

	if (m->size == 0) {
		prov_sha256("", 0, out);
		return;
	}
	for (l = 0; l < 64; l++) {
		if (!((m->size >> l) & 1))
			continue;
		if (!have) {
			memcpy(r, m->nodes[l], PROV_HASH_LEN);
			have = 1;
		} else
			prov_merkle_node_hash(m->nodes[l], r, r);
	}
	memcpy(out, r, PROV_HASH_LEN);
}

void
prov_merkle_release(struct prov_merkle *m)
{
	m->size = 0;
}

/* The largest power of two smaller than n (n > 1). */
static uint64_t
split_point(uint64_t n)
{
	uint64_t k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

/*
 * Root of the leaves [begin, begin + n).  In every range the RFC's
 * recursion produces, begin is a multiple of the largest power of two not
 * above n, so the left part of a split is a stored perfect subtree.
 */
static int
range_root(prov_merkle_get_fn get, void *ctx, uint64_t begin, uint64_t n,
    unsigned char out[PROV_HASH_LEN], struct prov_err *e)
{
	unsigned char l[PROV_HASH_LEN], r[PROV_HASH_LEN];
	unsigned level = 0;
	uint64_t k;
	int rc;

	if ((n & (n - 1)) == 0) {
		while (((uint64_t)1 << level) < n)
			level++;
		return get(ctx, level, begin >> level, out, e);
	}
	k = split_point(n);
	if ((rc = range_root(get, ctx, begin, k, l, e)) != PROV_OK ||
	    (rc = range_root(get, ctx, begin + k, n - k, r, e)) != PROV_OK)
		return rc;
	prov_merkle_node_hash(l, r, out);
	return PROV_OK;
}

int
prov_merkle_root_at(prov_merkle_get_fn get, void *ctx, uint64_t size,
    unsigned char out[PROV_HASH_LEN], struct prov_err *e)
{
	if (size == 0) {
		prov_sha256("", 0, out);
		return PROV_OK;
	}
	return range_root(get, ctx, 0, size, out, e);
}

/* PATH(m, D[begin:begin+n]) of RFC 9162 2.1.3.1. */
static int
path(prov_merkle_get_fn get, void *ctx, uint64_t m, uint64_t begin, uint64_t n,
    struct prov_buf *proof, struct prov_err *e)
{
	unsigned char h[PROV_HASH_LEN];
	uint64_t k;
	int rc;

	if (n <= 1)
		return PROV_OK;
	k = split_point(n);
	if (m < k) {
		if ((rc = path(get, ctx, m, begin, k, proof, e)) != PROV_OK ||
		    (rc = range_root(get, ctx, begin + k, n - k, h, e)) != PROV_OK)
			return rc;
	} else {
		if ((rc = path(get, ctx, m - k, begin + k, n - k, proof, e)) != PROV_OK ||
		    (rc = range_root(get, ctx, begin, k, h, e)) != PROV_OK)
			return rc;
	}
	prov_buf_add(proof, h, PROV_HASH_LEN);
	return PROV_OK;
}

int
prov_merkle_inclusion_proof(prov_merkle_get_fn get, void *ctx, uint64_t index,
    uint64_t size, struct prov_buf *proof, struct prov_err *e)
{
	if (index >= size)
		return prov_seterr(e, PROV_FAILED, 0,
		    "no entry %llu in a tree of %llu", (unsigned long long)index,
		    (unsigned long long)size);
	return path(get, ctx, index, 0, size, proof, e);
}

/* SUBPROOF(m, D[begin:begin+n], b) of RFC 9162 2.1.4.1. */
static int
subproof(prov_merkle_get_fn get, void *ctx, uint64_t m, uint64_t begin, uint64_t n,
    int complete, struct prov_buf *proof, struct prov_err *e)
{
	unsigned char h[PROV_HASH_LEN];
	uint64_t k;
	int rc;

	if (m == n) {
		if (complete)
			return PROV_OK;
		if ((rc = range_root(get, ctx, begin, n, h, e)) != PROV_OK)
			return rc;
		prov_buf_add(proof, h, PROV_HASH_LEN);
		return PROV_OK;
	}
	k = split_point(n);
	if (m <= k) {
		if ((rc = subproof(get, ctx, m, begin, k, complete, proof, e)) != PROV_OK ||
		    (rc = range_root(get, ctx, begin + k, n - k, h, e)) != PROV_OK)
			return rc;
	} else {
		if ((rc = subproof(get, ctx, m - k, begin + k, n - k, 0, proof, e)) != PROV_OK ||
		    (rc = range_root(get, ctx, begin, k, h, e)) != PROV_OK)
			return rc;
	}
	prov_buf_add(proof, h, PROV_HASH_LEN);
	return PROV_OK;
}

int
prov_merkle_consistency_proof(prov_merkle_get_fn get, void *ctx, uint64_t size1,
    uint64_t size2, struct prov_buf *proof, struct prov_err *e)
{
	if (size1 > size2)
		return prov_seterr(e, PROV_FAILED, 0,
		    "tree size %llu is smaller than the old size %llu",
		    (unsigned long long)size2, (unsigned long long)size1);
	if (size1 == 0 || size1 == size2)
		return PROV_OK;		/* the empty proof */
	return subproof(get, ctx, size1, 0, size2, 1, proof, e);
}

static int
same_root(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

int
prov_merkle_verify_inclusion(uint64_t index, uint64_t size,
    const unsigned char leaf_hash[PROV_HASH_LEN], const unsigned char *proof, size_t proof_len,
    const unsigned char *root, size_t root_len)
{
	unsigned char r[PROV_HASH_LEN];
	uint64_t fn = index, sn;
	size_t i;

	if (index >= size || proof_len % PROV_HASH_LEN != 0)
		return PROV_FAILED;
	sn = size - 1;
	memcpy(r, leaf_hash, PROV_HASH_LEN);
	for (i = 0; i < proof_len; i += PROV_HASH_LEN) {
		const unsigned char *p = proof + i;
		if (sn == 0)
			return PROV_FAILED;
		if ((fn & 1) || fn == sn) {
			prov_merkle_node_hash(p, r, r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else
			prov_merkle_node_hash(r, p, r);
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && same_root(r, PROV_HASH_LEN, root, root_len) ? PROV_OK : PROV_FAILED;
}

int
prov_merkle_verify_consistency(uint64_t size1, uint64_t size2,
    const unsigned char *root1, size_t root1_len, const unsigned char *root2, size_t root2_len,
    const unsigned char *proof, size_t proof_len)
{
	unsigned char fr[PROV_HASH_LEN], sr[PROV_HASH_LEN];
	const unsigned char *c;
	uint64_t fn, sn;
	size_t i;

	/* Every tree extends the empty one, so a proof from size 0 proves
	 * nothing; like the reference verifiers, refuse to judge it. */
	if (size2 < size1 || size1 == 0 || proof_len % PROV_HASH_LEN != 0)
		return PROV_FAILED;
	if (size1 == size2)
		return proof_len == 0 && same_root(root1, root1_len, root2, root2_len) ?
		    PROV_OK : PROV_FAILED;
	if (proof_len == 0 || root1_len != PROV_HASH_LEN)
		return PROV_FAILED;
	fn = size1 - 1;
	sn = size2 - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	/* When size1 is a power of two, the old root is the proof's start. */
	if ((size1 & (size1 - 1)) == 0) {
		c = root1;
		i = 0;
	} else {
		c = proof;
		i = PROV_HASH_LEN;
	}
	memcpy(fr, c, PROV_HASH_LEN);
	memcpy(sr, c, PROV_HASH_LEN);
	for (; i < proof_len; i += PROV_HASH_LEN) {
		c = proof + i;
		if (sn == 0)
			return PROV_FAILED;
		if ((fn & 1) || fn == sn) {
			prov_merkle_node_hash(c, fr, fr);
			prov_merkle_node_hash(c, sr, sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else
			prov_merkle_node_hash(sr, c, sr);
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && same_root(fr, PROV_HASH_LEN, root1, root1_len) &&
	    same_root(sr, PROV_HASH_LEN, root2, root2_len) ? PROV_OK : PROV_FAILED;
}

void
prov_merkle_tree_init(struct prov_merkle_tree *t)
{
	memset(t, 0, sizeof(*t));
}

static void
tree_put(struct prov_merkle_tree *t, unsigned level, uint64_t index,
    const unsigned char h[PROV_HASH_LEN])
{
	if (index >= t->alloc[level]) {
		uint64_t n = t->alloc[level] ? t->alloc[level] * 2 : 1024;
		t->levels[level] = prov_xrealloc(t->levels[level], n * PROV_HASH_LEN);
		t->alloc[level] = n;
	}
	memcpy(t->levels[level] + index * PROV_HASH_LEN, h, PROV_HASH_LEN);
	if (level + 1 > t->nlevels)
		t->nlevels = level + 1;
}

void
prov_merkle_tree_add(struct prov_merkle_tree *t, const unsigned char leaf_hash[PROV_HASH_LEN])
{
	unsigned char h[PROV_HASH_LEN];
	uint64_t index = t->size;
	unsigned level = 0;

	memcpy(h, leaf_hash, PROV_HASH_LEN);
	tree_put(t, 0, index, h);
	while (index & 1) {
		prov_merkle_node_hash(t->levels[level] + (index - 1) * PROV_HASH_LEN, h, h);
		level++;
		index >>= 1;
		tree_put(t, level, index, h);
	}
	t->size++;
}

int
prov_merkle_tree_get(void *tree, unsigned level, uint64_t index,
    unsigned char out[PROV_HASH_LEN], struct prov_err *e)
{
	struct prov_merkle_tree *t = tree;

	if (level >= 64 || level >= t->nlevels || index >= (t->size >> level))
		return prov_seterr(e, PROV_FAILED, 0, "no tree node %u/%llu", level,
		    (unsigned long long)index);
	memcpy(out, t->levels[level] + index * PROV_HASH_LEN, PROV_HASH_LEN);
	return PROV_OK;
}

void
prov_merkle_tree_release(struct prov_merkle_tree *t)
{
	unsigned l;

	for (l = 0; l < 64; l++)
		free(t->levels[l]);
	prov_merkle_tree_init(t);
}
