/* t_ledger.c: the ledger's stored tree, authority rules, coverage, atomic
 * import and append-only triggers, through the library API. */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "test.h"

struct cast {
	struct prov_key op, studio, vendor, sub, other;
	struct prov_ledger *l;
};

static void
vk(struct prov_key *k, struct prov_buf *out)
{
	prov_buf_reset(out);
	prov_vkey_format(k, out);
}

static int
add(struct prov_ledger *l, const char *type, json_t *body, struct prov_key *k, uint64_t *seq)
{
	struct prov_err e = { 0 };
	int rc = prov_ledger_append(l, type, body, k, seq, &e);

	if (rc != PROV_OK)
		failure("%s: %s", type, e.msg);
	json_decref(body);
	return rc;
}

static json_t *
handoff(const char *to, const char *project, int n)
{
	json_t *arts = json_array();
	int i;

	for (i = 0; i < n; i++)
		json_array_append_new(arts, json_pack("{s:s,s:s,s:i}", "path", "f.exr", "sha256",
		    "00", "size", i));
	return json_pack("{s:s,s:s,s:{s:o}}", "to", to, "project", project, "manifest",
	    "artifacts", arts);
}

/* A ledger with operator, studio, vendor (approved for ep104, may
 * delegate to sub), sub (approved) and other (no approval). */
static void
cast_open(struct cast *c, const char *path, int flags)
{
	struct prov_buf b = PROV_BUF_INIT;

	prov_key_init(&c->op);
	prov_key_init(&c->studio);
	prov_key_init(&c->vendor);
	prov_key_init(&c->sub);
	prov_key_init(&c->other);
	c->l = NULL;
	assert_ok(prov_key_generate(&c->op, "studio.example/prov", PROV_KEY_SIGNER, NULL));
	assert_ok(prov_key_generate(&c->studio, "studio", PROV_KEY_SIGNER, NULL));
	assert_ok(prov_key_generate(&c->vendor, "vendor", PROV_KEY_SIGNER, NULL));
	assert_ok(prov_key_generate(&c->sub, "sub", PROV_KEY_SIGNER, NULL));
	assert_ok(prov_key_generate(&c->other, "other", PROV_KEY_SIGNER, NULL));
	assert_ok(prov_ledger_open(&c->l, path, flags, NULL));
	assert_ok(prov_ledger_init(c->l, "studio.example/prov", &c->op, NULL));
	vk(&c->studio, &b);
	assert_ok(add(c->l, "party", json_pack("{s:s,s:s,s:s}", "name", "studio", "role", "studio",
	    "vkey", b.buf), &c->op, NULL));
	vk(&c->vendor, &b);
	assert_ok(add(c->l, "party", json_pack("{s:s,s:s,s:s}", "name", "vendor", "role", "vendor",
	    "vkey", b.buf), &c->studio, NULL));
	vk(&c->sub, &b);
	assert_ok(add(c->l, "party", json_pack("{s:s,s:s,s:s}", "name", "sub", "role",
	    "subcontractor", "vkey", b.buf), &c->studio, NULL));
	vk(&c->other, &b);
	assert_ok(add(c->l, "party", json_pack("{s:s,s:s,s:s}", "name", "other", "role",
	    "subcontractor", "vkey", b.buf), &c->studio, NULL));
	assert_ok(add(c->l, "approval", json_pack("{s:s,s:s,s:[s]}", "party", "vendor", "project",
	    "ep104", "may_delegate_to", "sub"), &c->studio, NULL));
	assert_ok(add(c->l, "approval", json_pack("{s:s,s:s,s:[]}", "party", "sub", "project",
	    "ep104", "may_delegate_to"), &c->studio, NULL));
	prov_buf_release(&b);
}

static void
cast_close(struct cast *c)
{
	prov_ledger_close(c->l);
	prov_key_release(&c->op);
	prov_key_release(&c->studio);
	prov_key_release(&c->vendor);
	prov_key_release(&c->sub);
	prov_key_release(&c->other);
}

/* The body member of entry seq, parsed (caller frees). */
/* The body member of entry seq, parsed (caller frees); NULL if missing. */
static json_t *
body_of(struct prov_ledger *l, uint64_t seq)
{
	struct prov_buf b = PROV_BUF_INIT;
	json_t *v, *body = NULL;

	if (prov_ledger_entry(l, seq, &b, NULL) == PROV_OK &&
	    (v = json_loadb(b.buf, b.len, 0, NULL)) != NULL) {
		body = json_incref(json_object_get(v, "body"));
		json_decref(v);
	}
	prov_buf_release(&b);
	return body;
}

DEFINE_TEST(test_ledger_stored_tree_equals_recomputed_tree)
{
	struct prov_buf b = PROV_BUF_INIT, proof = PROV_BUF_INIT;
	unsigned char leaf[PROV_HASH_LEN], want[PROV_HASH_LEN], got[PROV_HASH_LEN];
	unsigned char old[PROV_HASH_LEN];
	struct prov_merkle m;
	struct cast c;
	uint64_t i, n;

	cast_open(&c, "t.ledger", PROV_LEDGER_CREATE);
	assert_true(c.l != NULL && prov_ledger_size(c.l) == 7);
	for (i = 0; i < 30; i++)
		assert_ok(add(c.l, "handoff", handoff("vendor", "ep104", (int)i % 4), &c.studio, NULL));
	n = prov_ledger_size(c.l);
	assert_eq_int(n, 37);
	prov_merkle_init(&m, NULL, NULL);
	for (i = 0; i < n; i++) {
		prov_buf_reset(&b);
		assert_ok(prov_ledger_entry(c.l, i, &b, NULL));
		prov_merkle_leaf_hash(b.buf, b.len, leaf);
		prov_merkle_add(&m, leaf);
		prov_merkle_root(&m, want);
		failure("size %llu", (unsigned long long)(i + 1));
		assert_ok(prov_ledger_root(c.l, i + 1, got, NULL));
		assert_eq_mem(got, want, PROV_HASH_LEN);
		if (i == 12)
			memcpy(old, want, sizeof(old));
	}
	/* every entry's inclusion proof in the whole tree */
	for (i = 0; i < n; i++) {
		prov_buf_reset(&b);
		prov_buf_reset(&proof);
		assert_ok(prov_ledger_entry(c.l, i, &b, NULL));
		prov_merkle_leaf_hash(b.buf, b.len, leaf);
		assert_ok(prov_ledger_inclusion_proof(c.l, i, n, &proof, NULL));
		assert_ok(prov_merkle_verify_inclusion(i, n, leaf, (unsigned char *)proof.buf,
		    proof.len, want, sizeof(want)));
	}
	prov_buf_reset(&proof);
	assert_ok(prov_ledger_consistency_proof(c.l, 13, n, &proof, NULL));
	assert_ok(prov_merkle_verify_consistency(13, n, old, sizeof(old), want, sizeof(want),
	    (unsigned char *)proof.buf, proof.len));
	old[0] ^= 1;
	assert_eq_int(prov_merkle_verify_consistency(13, n, old, sizeof(old), want, sizeof(want),
	    (unsigned char *)proof.buf, proof.len), PROV_FAILED);
	/* reopened from the file: the same root */
	prov_ledger_close(c.l);
	assert_ok(prov_ledger_open(&c.l, "t.ledger", PROV_LEDGER_READONLY, NULL));
	assert_eq_int(prov_ledger_size(c.l), n);
	assert_ok(prov_ledger_root(c.l, n, got, NULL));
	assert_eq_mem(got, want, PROV_HASH_LEN);
	assert_eq_int(prov_ledger_root(c.l, n + 1, got, NULL), PROV_FAILED);
	prov_buf_release(&b);
	prov_buf_release(&proof);
	cast_close(&c);
}

DEFINE_TEST(test_ledger_authority_refusals_write_nothing)
{
	struct prov_buf b = PROV_BUF_INIT;
	struct prov_key stranger;
	struct prov_err e = { 0 };
	struct cast c;
	uint64_t seq;
	json_t *body;

	cast_open(&c, NULL, PROV_LEDGER_MEMORY);
	assert_true(c.l != NULL && prov_ledger_size(c.l) == 7);
	prov_key_init(&stranger);
	assert_ok(prov_key_generate(&stranger, "stranger", PROV_KEY_SIGNER, NULL));
	/* a vendor neither adds parties nor approves */
	vk(&stranger, &b);
	body = json_pack("{s:s,s:s,s:s}", "name", "x", "role", "vendor", "vkey", b.buf);
	assert_eq_int(prov_ledger_append(c.l, "party", body, &c.vendor, NULL, &e), PROV_FAILED);
	assert_true(strstr(e.msg, "only the operator or a studio") != NULL);
	json_decref(body);
	body = json_pack("{s:s,s:s,s:[]}", "party", "other", "project", "ep104", "may_delegate_to");
	assert_eq_int(prov_ledger_append(c.l, "approval", body, &c.vendor, NULL, &e), PROV_FAILED);
	json_decref(body);
	/* a key that is no party's signs nothing */
	body = json_pack("{s:s,s:[]}", "where", "ftp://x", "artifacts");
	assert_eq_int(prov_ledger_append(c.l, "sighting", body, &stranger, NULL, &e), PROV_FAILED);
	assert_true(strstr(e.msg, "no party of this ledger") != NULL);
	json_decref(body);
	/* an unknown receiver */
	body = handoff("nobody", "ep104", 1);
	assert_eq_int(prov_ledger_append(c.l, "handoff", body, &c.vendor, NULL, &e), PROV_FAILED);
	assert_true(strstr(e.msg, "unknown party nobody") != NULL);
	json_decref(body);
	/* an approval with a date that is not YYYY-MM-DD */
	body = json_pack("{s:s,s:s,s:s,s:[]}", "party", "other", "project", "ep104", "until",
	    "next year", "may_delegate_to");
	assert_eq_int(prov_ledger_append(c.l, "approval", body, &c.studio, NULL, &e), PROV_FAILED);
	json_decref(body);
	/* a receipt by someone who is not the receiver */
	assert_ok(add(c.l, "handoff", handoff("vendor", "ep104", 2), &c.studio, &seq));
	body = json_pack("{s:I,s:[]}", "handoff", (json_int_t)seq, "artifacts");
	assert_eq_int(prov_ledger_append(c.l, "receipt", body, &c.sub, NULL, &e), PROV_FAILED);
	json_decref(body);
	assert_eq_int(prov_ledger_size(c.l), 8);
	/* a revoked key signs nothing more */
	vk(&c.sub, &b);
	assert_ok(add(c.l, "revocation", json_pack("{s:s}", "vkey", b.buf), &c.studio, NULL));
	body = json_pack("{s:s,s:[]}", "where", "ftp://x", "artifacts");
	assert_eq_int(prov_ledger_append(c.l, "sighting", body, &c.sub, NULL, &e), PROV_FAILED);
	json_decref(body);
	assert_eq_int(prov_ledger_size(c.l), 9);
	prov_key_release(&stranger);
	prov_buf_release(&b);
	cast_close(&c);
}

DEFINE_TEST(test_ledger_coverage_follows_approvals_and_delegation)
{
	struct cast c;
	uint64_t s1, s2, s3, s4, s5;
	json_t *b;

	cast_open(&c, NULL, PROV_LEDGER_MEMORY);
	assert_true(c.l != NULL && prov_ledger_size(c.l) == 7);
	assert_ok(add(c.l, "handoff", handoff("vendor", "ep104", 1), &c.studio, &s1));
	assert_ok(add(c.l, "handoff", handoff("sub", "ep104", 1), &c.vendor, &s2));
	assert_ok(add(c.l, "handoff", handoff("other", "ep104", 1), &c.vendor, &s3));
	assert_ok(add(c.l, "handoff", handoff("vendor", "ep105", 1), &c.studio, &s4));
	b = body_of(c.l, s1);
	assert_true(json_is_true(json_object_get(b, "covered")));
	assert_eq_str(json_string_value(json_object_get(b, "from")), "studio");
	json_decref(b);
	b = body_of(c.l, s2);
	assert_true(json_is_true(json_object_get(b, "covered")));
	json_decref(b);
	b = body_of(c.l, s3);
	assert_true(json_is_false(json_object_get(b, "covered")));
	assert_eq_str(json_string_value(json_object_get(b, "uncovered_reason")),
	    "other holds no active approval for ep104");
	json_decref(b);
	b = body_of(c.l, s4);
	assert_true(json_is_false(json_object_get(b, "covered")));
	json_decref(b);
	/* sub may not hand on to vendor (no delegation), though vendor is approved */
	assert_ok(add(c.l, "handoff", handoff("vendor", "ep104", 1), &c.sub, &s5));
	b = body_of(c.l, s5);
	assert_true(json_is_false(json_object_get(b, "covered")));
	assert_eq_str(json_string_value(json_object_get(b, "uncovered_reason")),
	    "no approval of sub for ep104 allows handing work on to vendor");
	json_decref(b);
	/* an approval that ended in the past, and a revoked one, cover nothing */
	assert_ok(add(c.l, "approval", json_pack("{s:s,s:s,s:s,s:[]}", "party", "other", "project",
	    "ep106", "until", "2001-01-01", "may_delegate_to"), &c.studio, NULL));
	assert_ok(add(c.l, "handoff", handoff("other", "ep106", 1), &c.studio, &s1));
	b = body_of(c.l, s1);
	assert_true(json_is_false(json_object_get(b, "covered")));
	json_decref(b);
	assert_ok(add(c.l, "revocation", json_pack("{s:i}", "entry", 5), &c.studio, NULL));
	assert_ok(add(c.l, "handoff", handoff("vendor", "ep104", 1), &c.studio, &s1));
	b = body_of(c.l, s1);
	assert_true(json_is_false(json_object_get(b, "covered")));
	json_decref(b);
	cast_close(&c);
}

struct lines {
	struct prov_buf *v;
	size_t n, i;
};

static int
next(void *ctx, const char **bytes, size_t *len, struct prov_err *e)
{
	struct lines *r = ctx;

	(void)e;
	if (r->i == r->n)
		return 0;
	*bytes = r->v[r->i].buf;
	*len = r->v[r->i].len;
	r->i++;
	return 1;
}

DEFINE_TEST(test_ledger_import_is_all_or_nothing)
{
	unsigned char want[PROV_HASH_LEN], got[PROV_HASH_LEN];
	struct prov_buf v[12];
	struct prov_ledger *copy;
	struct prov_err e = { 0 };
	struct lines r;
	struct cast c;
	size_t i, n;

	cast_open(&c, NULL, PROV_LEDGER_MEMORY);
	assert_true(c.l != NULL && prov_ledger_size(c.l) == 7);
	assert_ok(add(c.l, "handoff", handoff("vendor", "ep104", 3), &c.studio, NULL));
	n = (size_t)prov_ledger_size(c.l);
	assert_eq_int(n, 8);
	for (i = 0; i < n; i++) {
		prov_buf_init(&v[i]);
		assert_ok(prov_ledger_entry(c.l, i, &v[i], NULL));
	}
	assert_ok(prov_ledger_root(c.l, n, want, NULL));
	r.v = v;
	r.n = n;
	r.i = 0;
	assert_ok(prov_ledger_open(&copy, NULL, PROV_LEDGER_MEMORY, NULL));
	assert_ok(prov_ledger_import_all(copy, next, &r, NULL));
	assert_eq_int(prov_ledger_size(copy), n);
	assert_ok(prov_ledger_root(copy, n, got, NULL));
	assert_eq_mem(got, want, PROV_HASH_LEN);
	prov_ledger_close(copy);
	/* the last entry's manifest changed by one byte: nothing at all */
	v[n - 1].buf[strstr(v[n - 1].buf, "\"size\":1") - v[n - 1].buf + 7] = '7';
	r.i = 0;
	assert_ok(prov_ledger_open(&copy, NULL, PROV_LEDGER_MEMORY, NULL));
	assert_eq_int(prov_ledger_import_all(copy, next, &r, &e), PROV_FAILED);
	assert_true(strstr(e.msg, "entry 7") != NULL);
	assert_eq_int(prov_ledger_size(copy), 0);
	prov_ledger_close(copy);
	/* two entries swapped: refused at the first */
	v[n - 1].buf[strstr(v[n - 1].buf, "\"size\":7") - v[n - 1].buf + 7] = '1';
	{
		struct prov_buf t = v[2];
		v[2] = v[3];
		v[3] = t;
	}
	r.i = 0;
	assert_ok(prov_ledger_open(&copy, NULL, PROV_LEDGER_MEMORY, NULL));
	assert_eq_int(prov_ledger_import_all(copy, next, &r, &e), PROV_FAILED);
	assert_true(strstr(e.msg, "entry 2: wrong sequence number") != NULL);
	assert_eq_int(prov_ledger_size(copy), 0);
	prov_ledger_close(copy);
	for (i = 0; i < n; i++)
		prov_buf_release(&v[i]);
	cast_close(&c);
}

DEFINE_TEST(test_ledger_rows_cannot_be_changed_through_sql)
{
	struct cast c;
	sqlite3 *db;
	char *msg = NULL;

	cast_open(&c, "t.ledger", PROV_LEDGER_CREATE);
	assert_true(c.l != NULL && prov_ledger_size(c.l) == 7);
	prov_ledger_close(c.l);
	c.l = NULL;
	assert_eq_int(sqlite3_open("t.ledger", &db), SQLITE_OK);
	assert_true(sqlite3_exec(db, "UPDATE entries SET author = 'x' WHERE seq = 1", NULL, NULL,
	    &msg) != SQLITE_OK);
	assert_true(msg && strstr(msg, "append-only"));
	sqlite3_free(msg);
	msg = NULL;
	assert_true(sqlite3_exec(db, "DELETE FROM entries WHERE seq = 6", NULL, NULL, &msg) !=
	    SQLITE_OK);
	sqlite3_free(msg);
	assert_true(sqlite3_exec(db, "DELETE FROM nodes", NULL, NULL, NULL) != SQLITE_OK);
	assert_true(sqlite3_exec(db, "UPDATE meta SET value = 'x'", NULL, NULL, NULL) != SQLITE_OK);
	sqlite3_close(db);
	assert_ok(prov_ledger_open(&c.l, "t.ledger", PROV_LEDGER_READONLY, NULL));
	assert_eq_int(prov_ledger_size(c.l), 7);
	cast_close(&c);
}
