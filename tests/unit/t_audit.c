/* t_audit.c: the verify-only ledger the audit replays into makes the same
 * decisions, with the same messages, as a ledger file; the audit streams an
 * export from a pipe or a file alike; findings do not depend on threads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "ledger_int.h"

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

static void
add(struct prov_ledger *l, const char *type, json_t *body, struct prov_key *k)
{
	struct prov_err e = { 0 };

	failure("%s", type);
	assert_ok(prov_ledger_append(l, type, body, k, NULL, &e));
	json_decref(body);
}

static json_t *
arts(const char *prefix, int n)
{
	json_t *a = json_array();
	char path[64], hex[65];
	unsigned char d[PROV_HASH_LEN];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s%d.exr", prefix, i);
		prov_sha256(path, strlen(path), d);
		prov_hex(d, sizeof(d), hex);
		json_array_append_new(a, json_pack("{s:s,s:s}", "path", path, "sha256", hex));
	}
	return a;
}

static json_t *
handoff(const char *to, const char *project, json_t *a)
{
	return json_pack("{s:s,s:s,s:{s:o}}", "to", to, "project", project, "manifest",
	    "artifacts", a);
}

/*
 * A ledger file with every kind of entry: parties, approvals (delegating,
 * dated), handoffs covered and not, receipts that match and that differ,
 * a revoked approval and a revoked key.
 */
static void
cast_open(struct cast *c, const char *path)
{
	struct prov_buf b = PROV_BUF_INIT;

	prov_key_init(&c->op);
	prov_key_init(&c->studio);
	prov_key_init(&c->vendor);
	prov_key_init(&c->sub);
	prov_key_init(&c->other);
	assert_ok(prov_key_generate(&c->op, "studio.example/prov", PROV_KEY_SIGNER, NULL));
	assert_ok(prov_key_generate(&c->studio, "studio", PROV_KEY_SIGNER, NULL));
	assert_ok(prov_key_generate(&c->vendor, "vendor", PROV_KEY_SIGNER, NULL));
	assert_ok(prov_key_generate(&c->sub, "sub", PROV_KEY_SIGNER, NULL));
	assert_ok(prov_key_generate(&c->other, "other", PROV_KEY_SIGNER, NULL));
	assert_ok(prov_ledger_open(&c->l, path, PROV_LEDGER_CREATE, NULL));
	assert_ok(prov_ledger_init(c->l, "studio.example/prov", &c->op, NULL));
	vk(&c->studio, &b);
	add(c->l, "party", json_pack("{s:s,s:s,s:s}", "name", "studio", "role", "studio", "vkey",
	    b.buf), &c->op);
	vk(&c->vendor, &b);
	add(c->l, "party", json_pack("{s:s,s:s,s:s}", "name", "vendor", "role", "vendor", "vkey",
	    b.buf), &c->studio);
	vk(&c->sub, &b);
	add(c->l, "party", json_pack("{s:s,s:s,s:s}", "name", "sub", "role", "subcontractor",
	    "vkey", b.buf), &c->studio);
	vk(&c->other, &b);
	add(c->l, "party", json_pack("{s:s,s:s,s:s}", "name", "other", "role", "subcontractor",
	    "vkey", b.buf), &c->studio);
	/* 5: vendor for ep104, may hand on to sub; 6: sub, dated; 7: other,
	 * ended long ago */
	add(c->l, "approval", json_pack("{s:s,s:s,s:[s]}", "party", "vendor", "project", "ep104",
	    "may_delegate_to", "sub"), &c->studio);
	add(c->l, "approval", json_pack("{s:s,s:s,s:s,s:s}", "party", "sub", "project", "ep104",
	    "from", "2020-01-01", "until", "2999-12-31"), &c->studio);
	add(c->l, "approval", json_pack("{s:s,s:s,s:s}", "party", "other", "project", "ep104",
	    "until", "2001-01-01"), &c->studio);
	add(c->l, "handoff", handoff("vendor", "ep104", arts("a", 3)), &c->studio);	/* 8 */
	add(c->l, "receipt", json_pack("{s:i,s:o}", "handoff", 8, "artifacts", arts("a", 3)),
	    &c->vendor);
	add(c->l, "handoff", handoff("sub", "ep104", arts("b", 2)), &c->vendor);	/* 10 */
	add(c->l, "handoff", handoff("other", "ep104", arts("c", 2)), &c->vendor);	/* 11: not covered */
	add(c->l, "receipt", json_pack("{s:i,s:o}", "handoff", 10, "artifacts", arts("x", 2)),
	    &c->sub);						/* 12: differs */
	add(c->l, "sighting", json_pack("{s:s,s:o,s:[{s:i,s:i,s:i,s:s}]}", "where", "a share",
	    "artifacts", arts("b", 1), "matches", "artifact", 0, "entry", 10, "index", 0, "how",
	    "bytes"), &c->studio);	/* 13: b0.exr is handoff 10's first artifact */
	add(c->l, "revocation", json_pack("{s:i}", "entry", 6), &c->studio);	/* 14 */
	vk(&c->other, &b);
	add(c->l, "revocation", json_pack("{s:s}", "vkey", b.buf), &c->studio);	/* 15 */
	add(c->l, "handoff", handoff("sub", "ep104", arts("d", 1)), &c->vendor);	/* 16: not covered now */
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

static int
fetch(void *ctx, uint64_t seq, struct prov_buf *out, struct prov_err *e)
{
	return prov_ledger_entry(ctx, seq, out, e);
}

static int both_rc;

/* Imports bytes into the file-backed replay and the verify-only one; both
 * must decide alike, with the same message; that decision in both_rc. */
static void
both(struct prov_ledger *sql, struct prov_ledger *lean, struct prov_keycache *kc,
    const char *bytes, size_t len, const char *want_msg)
{
	struct prov_err e1 = { 0 }, e2 = { 0 };
	struct prov_ledger_pre pre;
	int rc1, rc2;

	both_rc = -1;
	rc1 = prov_ledger_import(sql, bytes, len, &e1);
	prov_ledger_precheck(kc, bytes, len, &pre);
	rc2 = prov_ledger_import_pre(lean, bytes, len, &pre, &e2);
	prov_ledger_pre_release(&pre);
	failure("%.*s: file replay %d \"%s\", verify-only %d \"%s\"", (int)(len > 160 ? 160 : len),
	    bytes, rc1, rc1 ? e1.msg : "", rc2, rc2 ? e2.msg : "");
	assert_eq_int(rc2, rc1);
	if (rc1 != PROV_OK)
		assert_eq_str(e2.msg, e1.msg);
	if (want_msg)
		assert_true(rc1 != PROV_OK && strstr(e1.msg, want_msg) != NULL);
	assert_eq_int(prov_ledger_size(lean), prov_ledger_size(sql));
	both_rc = rc1;
}

/* A signed entry made by hand (not through the append checks). */
static void
forge(struct prov_buf *out, uint64_t seq, const char *type, const char *author,
    struct prov_key *k, json_t *body, int break_sig)
{
	struct prov_buf v = PROV_BUF_INIT, msg = PROV_BUF_INIT, s64 = PROV_BUF_INIT;
	unsigned char sig[PROV_SIG_LEN];
	json_t *o;

	prov_vkey_format(k, &v);
	o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:o}", "seq", (json_int_t)seq, "time",
	    "2999-01-01T00:00:00Z", "type", type, "author", author, "key", v.buf, "body", body);
	assert_ok(prov_cjson_encode(o, &msg, NULL));
	assert_ok(prov_sign(k, msg.buf, msg.len, sig, NULL));
	sig[5] ^= (unsigned char)break_sig;
	prov_base64_encode(sig, sizeof(sig), &s64);
	json_object_set_new(o, "sig", json_string(s64.buf));
	prov_buf_reset(out);
	assert_ok(prov_cjson_encode(o, out, NULL));
	json_decref(o);
	prov_buf_release(&v);
	prov_buf_release(&msg);
	prov_buf_release(&s64);
}

/* A handoff body with its derived members filled as given. */
static json_t *
handoff_claim(const char *from, const char *to, json_t *a, int covered)
{
	unsigned char root[PROV_HASH_LEN];
	char hex[2 * PROV_HASH_LEN + 1];
	json_t *b;

	if (prov_manifest_root(a, root, NULL) != PROV_OK)
		memset(root, 0, sizeof(root));
	prov_hex(root, sizeof(root), hex);
	b = json_pack("{s:s,s:s,s:s,s:{s:o,s:s,s:I},s:b}", "from", from, "to", to, "project",
	    "ep104", "manifest", "artifacts", a, "root", hex, "count",
	    (json_int_t)json_array_size(a), "covered", covered);
	if (!covered)
		json_object_set_new(b, "uncovered_reason", json_string("n/a"));
	return b;
}

DEFINE_TEST(test_audit_verifier_decides_as_the_ledger_file)
{
	struct prov_buf b = PROV_BUF_INIT;
	struct prov_ledger *sql, *lean;
	struct prov_keycache kc;
	struct cast c;
	uint64_t i, n;
	json_t *r;

	cast_open(&c, "audit.ledger");
	n = prov_ledger_size(c.l);
	assert_eq_int(n, 17);
	assert_ok(prov_ledger_open(&sql, NULL, PROV_LEDGER_MEMORY, NULL));
	assert_ok(prov_ledger_open_verifier(&lean, fetch, c.l, NULL));
	prov_keycache_init(&kc);
	/* every entry the file holds is accepted by both */
	for (i = 0; i < n; i++) {
		prov_buf_reset(&b);
		assert_ok(prov_ledger_entry(c.l, i, &b, NULL));
		both(sql, lean, &kc, b.buf, b.len, NULL);
		assert_eq_int(both_rc, PROV_OK);
	}
	assert_eq_str(prov_ledger_origin(lean), "studio.example/prov");
	assert_eq_str(prov_ledger_operator(lean), prov_ledger_operator(c.l));

	/* refusals: each leaves both where they were */
	forge(&b, n, "sighting", "studio", &c.studio, json_pack("{s:s}", "where", "x"), 1);
	both(sql, lean, &kc, b.buf, b.len, "bad signature by studio");
	forge(&b, n + 1, "sighting", "studio", &c.studio, json_pack("{s:s}", "where", "x"), 0);
	both(sql, lean, &kc, b.buf, b.len, "wrong sequence number");
	forge(&b, n, "sighting", "other", &c.other, json_pack("{s:s}", "where", "x"), 0);
	both(sql, lean, &kc, b.buf, b.len, "no party of this ledger, or was revoked");
	forge(&b, n, "sighting", "vendor", &c.studio, json_pack("{s:s}", "where", "x"), 0);
	both(sql, lean, &kc, b.buf, b.len, "author vendor signed with the key of studio");
	vk(&c.vendor, &b);
	r = json_pack("{s:s,s:s,s:s}", "name", "vendor2", "role", "vendor", "vkey", b.buf);
	forge(&b, n, "party", "studio", &c.studio, r, 0);
	both(sql, lean, &kc, b.buf, b.len, "that key belongs to party vendor already");
	r = json_pack("{s:s,s:s,s:s}", "name", "sub", "role", "vendor", "vkey", "x+00000000+AA==");
	forge(&b, n, "party", "studio", &c.studio, r, 0);
	both(sql, lean, &kc, b.buf, b.len, NULL);
	forge(&b, n, "revocation", "studio", &c.studio, json_pack("{s:i}", "entry", 2), 0);
	both(sql, lean, &kc, b.buf, b.len, "revocation: entry 2 is not an approval");
	forge(&b, n, "approval", "studio", &c.studio, json_pack("{s:s,s:s}", "party", "nobody",
	    "project", "ep104"), 0);
	both(sql, lean, &kc, b.buf, b.len, "approval: unknown party nobody");
	forge(&b, n, "approval", "vendor", &c.vendor, json_pack("{s:s,s:s}", "party", "sub",
	    "project", "ep104"), 0);
	both(sql, lean, &kc, b.buf, b.len, "only the operator or a studio");
	/* coverage: vendor may hand on to sub only while sub's approval (now
	 * revoked) holds; other's approval ended in 2001 */
	forge(&b, n, "handoff", "vendor", &c.vendor, handoff_claim("vendor", "sub", arts("e", 1), 1), 0);
	both(sql, lean, &kc, b.buf, b.len, "\"covered\" says true");
	forge(&b, n, "handoff", "vendor", &c.vendor, handoff_claim("vendor", "studio", arts("e", 1), 1), 0);
	both(sql, lean, &kc, b.buf, b.len, "\"covered\" says true");
	r = handoff_claim("vendor", "sub", arts("e", 2), 0);
	json_object_set_new(json_object_get(r, "manifest"), "count", json_integer(3));
	forge(&b, n, "handoff", "vendor", &c.vendor, r, 0);
	both(sql, lean, &kc, b.buf, b.len, "manifest root or count does not match");
	forge(&b, n, "handoff", "vendor", &c.vendor, handoff_claim("vendor", "nobody", arts("e", 1), 0), 0);
	both(sql, lean, &kc, b.buf, b.len, NULL);
	/* receipts: by the wrong party, of a non-handoff, of a future entry,
	 * with a wrong verdict or differences */
	r = json_pack("{s:i,s:o,s:s,s:b}", "handoff", 8, "artifacts", arts("a", 3), "manifest_root",
	    "0", "matches", 1);
	forge(&b, n, "receipt", "sub", &c.sub, r, 0);
	both(sql, lean, &kc, b.buf, b.len, "receipt: manifest root, verdict or differences");
	r = json_pack("{s:i,s:o}", "handoff", 3, "artifacts", arts("a", 1));
	forge(&b, n, "receipt", "sub", &c.sub, r, 0);
	both(sql, lean, &kc, b.buf, b.len, "receipt: entry 3 is not a handoff");
	r = json_pack("{s:i,s:o}", "handoff", 99, "artifacts", arts("a", 1));
	forge(&b, n, "receipt", "sub", &c.sub, r, 0);
	both(sql, lean, &kc, b.buf, b.len, "receipt: no handoff 99");
	/* sightings whose exact matches are incomplete: the one left out is
	 * named alike (the verify-only ledger reads handoff 8 through fetch) */
	forge(&b, n, "sighting", "sub", &c.sub, json_pack("{s:s,s:o}", "where", "x", "artifacts",
	    arts("a", 2)), 0);
	both(sql, lean, &kc, b.buf, b.len,
	    "sighting: artifact 0 (a0.exr) has the bytes of handoff 8 artifact 0 (a0.exr), and its matches omit it");
	r = json_pack("{s:s,s:o,s:[{s:i,s:i,s:i,s:s}]}", "where", "x", "artifacts", arts("a", 2),
	    "matches", "artifact", 0, "entry", 8, "index", 0, "how", "bytes");
	forge(&b, n, "sighting", "sub", &c.sub, r, 0);
	both(sql, lean, &kc, b.buf, b.len,
	    "sighting: artifact 1 (a1.exr) has the bytes of handoff 8 artifact 1 (a1.exr), and its matches omit it");
	/* accepted by both: an uncovered handoff said so, then receipts of
	 * handoff 10 that match and that differ (read again through fetch) */
	forge(&b, n, "handoff", "vendor", &c.vendor, handoff_claim("vendor", "sub", arts("e", 1), 0), 0);
	both(sql, lean, &kc, b.buf, b.len, NULL);
	assert_eq_int(both_rc, PROV_OK);
	prov_buf_reset(&b);
	assert_ok(prov_ledger_entry(c.l, 12, &b, NULL));
	r = json_loadb(b.buf, b.len, 0, NULL);
	forge(&b, n + 1, "receipt", "sub", &c.sub, json_incref(json_object_get(r, "body")), 0);
	json_decref(r);
	both(sql, lean, &kc, b.buf, b.len, NULL);
	assert_eq_int(both_rc, PROV_OK);
	r = json_pack("{s:i,s:o,s:b}", "handoff", 10, "artifacts", arts("x", 2), "matches", 0);
	forge(&b, n + 2, "receipt", "sub", &c.sub, r, 0);
	both(sql, lean, &kc, b.buf, b.len, "receipt: manifest root, verdict or differences");
	assert_eq_int(prov_ledger_size(lean), n + 2);

	prov_keycache_release(&kc);
	prov_ledger_close(sql);
	prov_ledger_close(lean);
	prov_buf_release(&b);
	cast_close(&c);
	remove("audit.ledger");
}

static struct prov_buf findings = PROV_BUF_INIT;

static void
collect(void *ctx, const char *f)
{
	(void)ctx;
	prov_buf_addstr(&findings, f);
	prov_buf_addch(&findings, '\n');
}

/* Audits l, or the export text through a pipe-like stream (fmemopen: no
 * file descriptor) or a regular file; returns the findings text. */
static int audit_rc;

static void
audit(struct prov_ledger *l, const char *text, size_t len, int how, uint64_t *verified)
{
	struct prov_audit_opts o;
	struct prov_audit_result res;
	FILE *f = NULL;

	memset(&o, 0, sizeof(o));
	o.report = collect;
	prov_buf_reset(&findings);
	if (how == 1)
		f = fmemopen((void *)text, len, "r");
	else if (how == 2) {
		f = fopen("audit.ndjson", "w+");
		assert_true(f != NULL);
		assert_eq_int(fwrite(text, 1, len, f), len);
		rewind(f);
	}
	audit_rc = prov_audit_ledger(how ? NULL : l, f, &o, &res, NULL);
	if (f)
		fclose(f);
	remove("audit.ndjson");
	*verified = res.verified;
}

DEFINE_TEST(test_audit_export_streamed_from_a_pipe_or_a_file)
{
	struct prov_buf b = PROV_BUF_INIT, text = PROV_BUF_INIT;
	struct cast c;
	uint64_t i, n, v;
	char *first;
	int how, round;

	cast_open(&c, "audit.ledger");
	for (i = 0; i < 150; i++)
		add(c.l, "handoff", handoff("vendor", "ep104", arts("h", (int)(i % 3))), &c.studio);
	n = prov_ledger_size(c.l);
	for (i = 0; i < n; i++) {
		prov_buf_reset(&b);
		assert_ok(prov_ledger_entry(c.l, i, &b, NULL));
		prov_buf_add(&text, b.buf, b.len);
		prov_buf_addch(&text, '\n');
	}
	/* intact: the file, the export through a stream and from a file (the
	 * receipt that differs has its handoff read again) */
	for (how = 0; how < 3; how++) {
		failure("how %d", how);
		audit(c.l, text.buf, text.len, how, &v);
		assert_ok(audit_rc);
		assert_eq_int(v, n);
		assert_eq_int(findings.len, 0);
	}
	/* two broken signatures far apart in one batch: the first is named,
	 * the same way every time whatever thread checked it */
	for (i = 0; i < text.len; i++)
		if (memcmp(text.buf + i, "\"sig\":\"", 7) == 0) {
			static int k;
			if (k == 60 || k == 140)
				text.buf[i + 9] = text.buf[i + 9] == 'A' ? 'B' : 'A';
			k++;
		}
	first = NULL;
	for (round = 0; round < 4; round++)
		for (how = 1; how < 3; how++) {
			failure("round %d how %d", round, how);
			audit(c.l, text.buf, text.len, how, &v);
			assert_eq_int(audit_rc, PROV_FAILED);
			assert_eq_int(v, 60);
			assert_true(strstr(findings.buf, "entry 60 (") == findings.buf);
			assert_true(strstr(findings.buf, "bad signature") != NULL);
			assert_true(strchr(findings.buf, '\n') == findings.buf + findings.len - 1);
			if (first == NULL)
				first = prov_xstrdup(findings.buf);
			assert_eq_str(findings.buf, first);
		}
	free(first);
	prov_buf_release(&findings);
	prov_buf_release(&b);
	prov_buf_release(&text);
	cast_close(&c);
	remove("audit.ledger");
}
