/* t_trace.c: the custody walk of prov_trace_records() on synthetic ledgers:
 * chains, exits, parties outside the chain, receipts, replies, revocations
 * and the matching order. */
#include <stdlib.h>
#include <string.h>

#include "test.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define SHA_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define SHA_X "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
#define PIX_B "v1:1111111111111111111111111111111111111111111111111111111111111111"

struct cast {
	struct prov_key op, studio, vendor, sub, other;
	struct prov_ledger *l;
};

static uint64_t
add(struct prov_ledger *l, const char *type, json_t *body, struct prov_key *k)
{
	struct prov_err e = { 0 };
	uint64_t seq = 0;

	if (prov_ledger_append(l, type, body, k, &seq, &e) != PROV_OK)
		failure("%s: %s", type, e.msg);
	json_decref(body);
	return seq;
}

static void
party(struct cast *c, const char *name, const char *role, struct prov_key *k,
    struct prov_key *signer)
{
	struct prov_buf b = PROV_BUF_INIT;

	prov_vkey_format(k, &b);
	add(c->l, "party", json_pack("{s:s,s:s,s:s}", "name", name, "role", role, "vkey", b.buf),
	    signer);
	prov_buf_release(&b);
}

/* A handoff of artifacts A and B (B with pixels). */
static json_t *
handoff(const char *to, json_int_t reply)
{
	json_t *h = json_pack("{s:s,s:s,s:{s:[{s:s,s:s},{s:s,s:s,s:s}]}}", "to", to,
	    "project", "ep104", "manifest", "artifacts", "path", "a.exr", "sha256", SHA_A,
	    "path", "b.exr", "sha256", SHA_B, "pixels", PIX_B);

	if (reply >= 0)
		json_object_set_new(h, "in_reply_to", json_integer(reply));
	return h;
}

/* operator 0, parties 1-4, approvals 5 (vendor, may delegate to sub) and
 * 6 (sub). */
static int
cast_open(struct cast *c)
{
	prov_key_init(&c->op);
	prov_key_init(&c->studio);
	prov_key_init(&c->vendor);
	prov_key_init(&c->sub);
	prov_key_init(&c->other);
	if (prov_key_generate(&c->op, "studio.example/prov", PROV_KEY_SIGNER, NULL) ||
	    prov_key_generate(&c->studio, "studio", PROV_KEY_SIGNER, NULL) ||
	    prov_key_generate(&c->vendor, "vendor", PROV_KEY_SIGNER, NULL) ||
	    prov_key_generate(&c->sub, "sub", PROV_KEY_SIGNER, NULL) ||
	    prov_key_generate(&c->other, "other", PROV_KEY_SIGNER, NULL) ||
	    prov_ledger_open(&c->l, "t.ledger", PROV_LEDGER_CREATE, NULL) ||
	    prov_ledger_init(c->l, "studio.example/prov", &c->op, NULL))
		return -1;
	party(c, "studio", "studio", &c->studio, &c->op);
	party(c, "vendor", "vendor", &c->vendor, &c->studio);
	party(c, "sub", "subcontractor", &c->sub, &c->studio);
	party(c, "other", "subcontractor", &c->other, &c->studio);
	add(c->l, "approval", json_pack("{s:s,s:s,s:[s]}", "party", "vendor", "project", "ep104",
	    "may_delegate_to", "sub"), &c->studio);
	add(c->l, "approval", json_pack("{s:s,s:s,s:[]}", "party", "sub", "project", "ep104",
	    "may_delegate_to"), &c->studio);
	return prov_ledger_size(c->l) == 7 ? 0 : -1;
}

static void
cast_close(struct cast *c)
{
	prov_ledger_close(c->l);
	c->l = NULL;
	prov_key_release(&c->op);
	prov_key_release(&c->studio);
	prov_key_release(&c->vendor);
	prov_key_release(&c->sub);
	prov_key_release(&c->other);
}

/* Traces one record made of the given keys; the result (a new reference). */
static json_t *
trace1(json_t *rec)
{
	struct prov_trace *t = NULL;
	struct prov_err e = { 0 };
	json_t *out = NULL, *r = NULL;

	if (prov_trace_open(&t, "t.ledger", NULL, NULL, &e) != PROV_OK) {
		failure("open: %s", e.msg);
		json_decref(rec);
		return NULL;
	}
	if (prov_trace_records(t, &rec, 1, &out, &e) == PROV_OK)
		r = json_incref(json_array_get(out, 0));
	json_decref(out);
	json_decref(rec);
	prov_trace_close(t);
	return r;
}

static const char *
s(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static const char *
chain_of(const json_t *r, size_t i)
{
	return s(json_array_get(json_object_get(r, "custody"), i), "chain");
}

DEFINE_TEST(test_trace_chain_exit_and_outside)
{
	struct cast c;
	json_t *r;

	assert_eq_int(cast_open(&c), 0);
	assert_eq_int(add(c.l, "handoff", handoff("vendor", -1), &c.studio), 7);
	assert_eq_int(add(c.l, "handoff", handoff("sub", -1), &c.vendor), 8);
	assert_eq_int(add(c.l, "handoff", handoff("other", -1), &c.sub), 9);
	assert_eq_int(add(c.l, "handoff", handoff("vendor", -1), &c.other), 10);
	cast_close(&c);
	r = trace1(json_pack("{s:s,s:s,s:s}", "path", "x.exr", "kind", "exr", "sha256", SHA_A));
	assert_true(r != NULL);
	assert_eq_str(s(r, "verdict"), "left-chain");
	assert_eq_str(s(json_object_get(r, "match"), "how"), "bytes");
	assert_eq_int(json_array_size(json_object_get(r, "custody")), 4);
	assert_eq_str(chain_of(r, 0), "in");
	assert_eq_str(chain_of(r, 1), "in");
	assert_eq_str(chain_of(r, 2), "exit");
	/* other -> vendor: from outside the chain, though vendor is approved. */
	assert_eq_str(chain_of(r, 3), "outside");
	assert_eq_str(s(r, "last_approved"), "sub");
	assert_eq_int(json_integer_value(json_object_get(json_object_get(r, "exit"), "entry")), 9);
	assert_eq_str(s(json_object_get(r, "exit"), "to"), "other");
	assert_eq_int(json_array_size(json_object_get(r, "custodians")), 3);
	/* Delegation: the vendor's approval 5 and the sub's 6 covered 8. */
	assert_eq_int(json_array_size(json_object_get(json_array_get(json_object_get(r, "custody"),
	    1), "approvals")), 2);
	json_decref(r);
}

DEFINE_TEST(test_trace_receipt_reply_and_revocation)
{
	struct cast c;
	json_t *r, *ed;

	assert_eq_int(cast_open(&c), 0);
	assert_eq_int(add(c.l, "handoff", handoff("vendor", -1), &c.studio), 7);
	/* The vendor acknowledges only C (other bytes arrived). */
	assert_eq_int(add(c.l, "receipt", json_pack("{s:i,s:[{s:s,s:s}]}", "handoff", 7,
	    "artifacts", "path", "c.exr", "sha256", SHA_C), &c.vendor), 8);
	/* Delivered back to the studio in reply: inside the chain. */
	assert_eq_int(add(c.l, "handoff", json_pack("{s:s,s:s,s:i,s:{s:[{s:s,s:s}]}}", "to",
	    "studio", "project", "ep104", "in_reply_to", 7, "manifest", "artifacts", "path",
	    "c_v2.exr", "sha256", SHA_X), &c.vendor), 9);
	/* Approval 5 revoked: what the vendor hands on afterwards leaves. */
	assert_eq_int(add(c.l, "revocation", json_pack("{s:i}", "entry", 5), &c.studio), 10);
	assert_eq_int(add(c.l, "handoff", handoff("sub", -1), &c.vendor), 11);
	cast_close(&c);

	/* C: only a receipt holds it; its handoff 7 comes in through it. */
	r = trace1(json_pack("{s:s,s:s}", "path", "c.exr", "sha256", SHA_C));
	assert_true(r != NULL);
	assert_eq_str(s(r, "verdict"), "in-chain");
	ed = json_array_get(json_object_get(r, "custody"), 0);
	assert_eq_str(s(ed, "via"), "receipt");
	assert_eq_int(json_integer_value(json_object_get(json_array_get(json_object_get(ed,
	    "receipts"), 0), "entry")), 8);
	assert_true(json_is_false(json_object_get(json_array_get(json_object_get(ed, "receipts"),
	    0), "matches")));
	/* Approval 5 covered 7 then; it was revoked later by 10. */
	assert_eq_int(json_integer_value(json_object_get(json_array_get(json_object_get(ed,
	    "approvals"), 0), "revoked_by")), 10);
	assert_eq_str(s(r, "last_approved"), "vendor");
	json_decref(r);

	/* X: the reply brings in the handoff it answered. */
	r = trace1(json_pack("{s:s,s:s}", "path", "x.exr", "sha256", SHA_X));
	assert_true(r != NULL);
	assert_eq_str(s(r, "verdict"), "in-chain");
	assert_eq_int(json_array_size(json_object_get(r, "custody")), 2);
	assert_eq_str(s(json_array_get(json_object_get(r, "custody"), 0), "via"), "in-reply-to");
	assert_eq_str(chain_of(r, 1), "in");
	assert_eq_str(s(r, "last_approved"), "studio");
	json_decref(r);

	/* B by its pixels (other bytes): 7 in, 11 after the revocation out. */
	r = trace1(json_pack("{s:s,s:s,s:s}", "path", "b.png", "sha256", SHA_X, "pixels", PIX_B));
	assert_true(r != NULL);
	/* The bytes SHA_X match first: the reply's artifact, not B. */
	assert_eq_str(s(json_object_get(r, "match"), "how"), "bytes");
	json_decref(r);
	r = trace1(json_pack("{s:s,s:s,s:s}", "path", "b.png", "sha256", SHA_C "0", "pixels",
	    PIX_B));
	assert_true(r != NULL);
	assert_eq_str(s(json_object_get(r, "match"), "how"), "pixels");
	assert_eq_str(s(r, "verdict"), "left-chain");
	assert_eq_str(chain_of(r, 1), "exit");
	assert_eq_str(s(r, "last_approved"), "vendor");
	json_decref(r);
}

DEFINE_TEST(test_trace_untraced_error_container_and_indicators)
{
	struct prov_trace *t = NULL;
	struct cast c;
	json_t *recs[4], *out = NULL, *ind;

	assert_eq_int(cast_open(&c), 0);
	assert_eq_int(add(c.l, "handoff", handoff("vendor", -1), &c.studio), 7);
	cast_close(&c);
	recs[0] = json_pack("{s:s,s:s}", "path", "n.txt", "sha256", SHA_X);
	recs[1] = json_pack("{s:s,s:s}", "path", "bad.exr", "error", "bad.exr: truncated");
	recs[2] = json_pack("{s:s,s:s,s:s}", "path", "z.zip", "kind", "archive", "sha256", SHA_C);
	recs[3] = json_pack("{s:s,s:s,s:[{s:s,s:s,s:s},{s:s,s:s,s:s},{s:s,s:s,s:s},"
	    "{s:s,s:s,s:s}]}", "path", "z.zip!/a.exr", "sha256", SHA_A, "indicators",
	    "type", "user", "value", "OTHER", "field", "member.uname",
	    "type", "host", "value", "vendor-ws1", "field", "member.gname",
	    "type", "host", "value", "farm7", "field", "member.gname",
	    /* from the content, which is the handed-over file's */
	    "type", "owner", "value", "other", "field", "owner");
	assert_ok(prov_trace_open(&t, "t.ledger", NULL, NULL, NULL));
	assert_ok(prov_trace_records(t, recs, 4, &out, NULL));
	prov_trace_close(t);
	assert_eq_int(json_array_size(out), 4);
	assert_eq_str(s(json_array_get(out, 0), "verdict"), "untraced");
	assert_eq_str(s(json_array_get(out, 1), "verdict"), "error");
	assert_eq_str(s(json_array_get(out, 2), "verdict"), "container");
	assert_eq_str(s(json_array_get(out, 3), "verdict"), "in-chain");
	ind = json_object_get(json_array_get(out, 3), "indicators");
	/* "OTHER" names party other (no approval); "vendor-ws1" an approved
	 * one, so it is left out; "farm7" no party; the owner was there
	 * when the same bytes were handed over. */
	assert_eq_int(json_array_size(ind), 2);
	assert_eq_str(s(json_array_get(ind, 0), "party"), "other");
	assert_eq_str(s(json_array_get(ind, 0), "status"), "unapproved");
	assert_eq_str(s(json_array_get(ind, 1), "status"), "unknown");
	assert_true(json_is_true(json_object_get(json_array_get(out, 3), "unapproved_indicators")));
	json_decref(out);
	for (size_t i = 0; i < 4; i++)
		json_decref(recs[i]);
}
