/* t_merkle.c: RFC 6962 roots and proofs against the published vectors. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "test.h"

/* The leaves of transparency-dev/merkle's testonly constants (tlog.md). */
static const char *const leaves_hex[] = { "", "00", "10", "2021", "3031",
    "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f" };
static const char *const roots_hex[] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static void
leaf_hash_of(size_t i, unsigned char out[32])
{
	unsigned char data[16];
	size_t n = strlen(leaves_hex[i]) / 2;

	prov_unhex(leaves_hex[i], data, n);
	prov_merkle_leaf_hash(data, n, out);
}

DEFINE_TEST(test_merkle_roots_match_rfc6962_vectors)
{
	struct prov_merkle m;
	struct prov_merkle_tree t;
	unsigned char h[32], r[32];
	char hex[65];
	size_t i, n;

	prov_merkle_init(&m, NULL, NULL);
	prov_merkle_tree_init(&t);
	prov_merkle_root(&m, r);
	prov_hex(r, 32, hex);
	assert_eq_str(hex, roots_hex[0]);
	for (i = 0; i < 8; i++) {
		leaf_hash_of(i, h);
		prov_merkle_add(&m, h);
		prov_merkle_tree_add(&t, h);
		prov_merkle_root(&m, r);
		prov_hex(r, 32, hex);
		failure("streaming root of %zu leaves", i + 1);
		assert_eq_str(hex, roots_hex[i + 1]);
	}
	/* The stored tree answers the root of every prefix. */
	for (n = 0; n <= 8; n++) {
		assert_ok(prov_merkle_root_at(prov_merkle_tree_get, &t, n, r, NULL));
		prov_hex(r, 32, hex);
		failure("stored root of %zu leaves", n);
		assert_eq_str(hex, roots_hex[n]);
	}
	prov_merkle_tree_release(&t);
}

/* A size or index from a vector (read as a double, see each_case). */
static uint64_t
u64(json_t *v)
{
	double d = json_number_value(v);

	return d >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)d;
}

static unsigned char *
b64(json_t *v, size_t *len)
{
	struct prov_buf b = PROV_BUF_INIT;
	const char *s = json_string_value(v);

	if (s == NULL || prov_base64_decode(s, strlen(s), &b) != 0) {
		*len = 0;
		prov_buf_release(&b);
		return NULL;
	}
	return (unsigned char *)prov_buf_detach(&b, len);
}

static void
proof_bytes(json_t *arr, struct prov_buf *out, int *bad)
{
	size_t i, n;
	unsigned char *p;

	*bad = 0;
	for (i = 0; i < json_array_size(arr); i++) {
		p = b64(json_array_get(arr, i), &n);
		if (p == NULL || n != 32)
			*bad = 1;	/* a malformed hash makes the proof invalid */
		else
			prov_buf_add(out, p, n);
		free(p);
	}
}

/* Runs fn on every JSON file under vectors/merkle/<kind>/<case dir>/. */
static int
each_case(const char *kind, int (*fn)(json_t *, const char *), int *count)
{
	char dir[4096], path[8192];
	struct dirent *d, *f;
	DIR *top, *sub;
	int failed = 0;

	snprintf(dir, sizeof(dir), "%s/merkle/%s", test_vectors(), kind);
	if ((top = opendir(dir)) == NULL) {
		printf("# %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((d = readdir(top)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if ((sub = opendir(path)) == NULL)
			continue;
		while ((f = readdir(sub)) != NULL) {
			char file[8192 + 256];
			json_t *j;
			if (strstr(f->d_name, ".json") == NULL)
				continue;
			snprintf(file, sizeof(file), "%s/%s", path, f->d_name);
			/* Some cases hold 2^64-1, past jansson's integers. */
			j = json_load_file(file, JSON_DECODE_INT_AS_REAL, NULL);
			if (j == NULL) {
				printf("# %s: cannot parse\n", file);
				failed++;
				continue;
			}
			failed += fn(j, file);
			(*count)++;
			json_decref(j);
		}
		closedir(sub);
	}
	closedir(top);
	return failed;
}

static int
check_inclusion(json_t *j, const char *file)
{
	struct prov_buf proof = PROV_BUF_INIT;
	size_t leaf_len, root_len;
	unsigned char *leaf = b64(json_object_get(j, "leafHash"), &leaf_len);
	unsigned char *root = b64(json_object_get(j, "root"), &root_len);
	int want_err = json_is_true(json_object_get(j, "wantErr")), bad, ok;

	proof_bytes(json_object_get(j, "proof"), &proof, &bad);
	ok = !bad && leaf && leaf_len == 32 && root &&
	    prov_merkle_verify_inclusion(
		u64(json_object_get(j, "leafIdx")),
		u64(json_object_get(j, "treeSize")),
		leaf, (unsigned char *)proof.buf, proof.len, root, root_len) == PROV_OK;
	free(leaf);
	free(root);
	prov_buf_release(&proof);
	if (ok == want_err) {
		printf("# %s: %s\n", file, want_err ? "accepted a bad proof" : "rejected a good proof");
		return 1;
	}
	return 0;
}

static int
check_consistency(json_t *j, const char *file)
{
	struct prov_buf proof = PROV_BUF_INIT;
	size_t l1, l2;
	unsigned char *r1 = b64(json_object_get(j, "root1"), &l1);
	unsigned char *r2 = b64(json_object_get(j, "root2"), &l2);
	int want_err = json_is_true(json_object_get(j, "wantErr")), bad, ok;

	proof_bytes(json_object_get(j, "proof"), &proof, &bad);
	ok = !bad && r1 && r2 && prov_merkle_verify_consistency(
		u64(json_object_get(j, "size1")),
		u64(json_object_get(j, "size2")),
		r1, l1, r2, l2, (unsigned char *)proof.buf, proof.len) == PROV_OK;
	free(r1);
	free(r2);
	prov_buf_release(&proof);
	if (ok == want_err) {
		printf("# %s: %s\n", file, want_err ? "accepted a bad proof" : "rejected a good proof");
		return 1;
	}
	return 0;
}

DEFINE_TEST(test_merkle_inclusion_vectors_judged_exactly)
{
	int n = 0;

	assert_eq_int(each_case("inclusion", check_inclusion, &n), 0);
	assert_true(n >= 50);
}

DEFINE_TEST(test_merkle_consistency_vectors_judged_exactly)
{
	int n = 0;

	assert_eq_int(each_case("consistency", check_consistency, &n), 0);
	assert_true(n >= 50);
}

/* Generated proofs verify for every pair of sizes up to 40, and a proof
 * for another leaf or size does not. */
DEFINE_TEST(test_merkle_generated_proofs_verify)
{
	struct prov_merkle_tree t;
	unsigned char h[32], root[40 + 1][32];
	uint64_t i, n, m;

	prov_merkle_tree_init(&t);
	prov_sha256("", 0, root[0]);
	for (i = 0; i < 40; i++) {
		prov_sha256(&i, sizeof(i), h);
		prov_merkle_tree_add(&t, h);
		assert_ok(prov_merkle_root_at(prov_merkle_tree_get, &t, i + 1, root[i + 1], NULL));
	}
	for (n = 1; n <= 40; n++) {
		for (i = 0; i < n; i++) {
			struct prov_buf p = PROV_BUF_INIT;
			unsigned char leaf[32];
			assert_ok(prov_merkle_tree_get(&t, 0, i, leaf, NULL));
			assert_ok(prov_merkle_inclusion_proof(prov_merkle_tree_get, &t, i, n, &p, NULL));
			failure("inclusion of %llu in %llu", (unsigned long long)i, (unsigned long long)n);
			assert_eq_int(prov_merkle_verify_inclusion(i, n, leaf,
			    (unsigned char *)p.buf, p.len, root[n], 32), PROV_OK);
			if (n > 1)
				assert_eq_int(prov_merkle_verify_inclusion((i + 1) % n, n, leaf,
				    (unsigned char *)p.buf, p.len, root[n], 32), PROV_FAILED);
			prov_buf_release(&p);
		}
		for (m = 1; m <= n; m++) {
			struct prov_buf p = PROV_BUF_INIT;
			assert_ok(prov_merkle_consistency_proof(prov_merkle_tree_get, &t, m, n, &p, NULL));
			failure("consistency %llu -> %llu", (unsigned long long)m, (unsigned long long)n);
			assert_eq_int(prov_merkle_verify_consistency(m, n, root[m], 32, root[n], 32,
			    (unsigned char *)p.buf, p.len), PROV_OK);
			if (m < n && m > 1)
				assert_eq_int(prov_merkle_verify_consistency(m - 1, n, root[m], 32,
				    root[n], 32, (unsigned char *)p.buf, p.len), PROV_FAILED);
			prov_buf_release(&p);
		}
	}
	prov_merkle_tree_release(&t);
}

static void
count_nodes(void *ctx, unsigned level, uint64_t index, const unsigned char h[32])
{
	struct prov_merkle_tree *t = ctx;
	unsigned char want[32];

	(void)h;
	if (prov_merkle_tree_get(t, level, index, want, NULL) != PROV_OK ||
	    memcmp(want, h, 32) != 0)
		t->alloc[63]++;		/* counts mismatches in an unused slot */
}

DEFINE_TEST(test_merkle_builder_reports_every_perfect_subtree)
{
	struct prov_merkle_tree t;
	struct prov_merkle m;
	unsigned char h[32];
	uint64_t i;

	prov_merkle_tree_init(&t);
	for (i = 0; i < 100; i++) {
		prov_sha256(&i, sizeof(i), h);
		prov_merkle_tree_add(&t, h);
	}
	prov_merkle_init(&m, count_nodes, &t);
	for (i = 0; i < 100; i++) {
		prov_sha256(&i, sizeof(i), h);
		prov_merkle_add(&m, h);
	}
	assert_eq_int(t.alloc[63], 0);
	t.alloc[63] = 0;
	prov_merkle_tree_release(&t);
}

DEFINE_TEST(test_base64_round_trip_and_strictness)
{
	struct prov_buf b = PROV_BUF_INIT, d = PROV_BUF_INIT;

	prov_base64_encode("any carnal pleas", 16, &b);
	assert_eq_str(b.buf, "YW55IGNhcm5hbCBwbGVhcw==");
	assert_eq_int(prov_base64_decode(b.buf, b.len, &d), 0);
	assert_eq_int(d.len, 16);
	assert_eq_mem(d.buf, "any carnal pleas", 16);
	prov_buf_reset(&d);
	assert_eq_int(prov_base64_decode("YW55IGNhcm5hbCBwbGVhcw=", 23, &d), -1);
	assert_eq_int(prov_base64_decode("YW55IGNhcm5hbCBwbGVhcx==", 24, &d), -1);
	assert_eq_int(prov_base64_decode("YW55 GNh", 8, &d), -1);
	assert_eq_int(d.len, 0);
	prov_buf_release(&b);
	prov_buf_release(&d);
}
