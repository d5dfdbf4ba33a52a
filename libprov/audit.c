/*
 * audit.c: verifying a ledger without trusting the software or the
 * database that wrote it.
 *
 * Nothing stored beside the entries is believed: the tree is recomputed
 * from the entries' bytes, and every entry is replayed through the same
 * checks an append makes, into a private in-memory ledger.  What is stored
 * (tree nodes, checkpoints) is only compared against that.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "prov.h"
#include "banned.h"

struct audit {
	const struct prov_audit_opts *opts;
	struct prov_audit_result *res;
	struct prov_ledger *replay;	/* in memory: the entries as checked */
	struct prov_merkle_tree tree;	/* of every entry read, valid or not */
	int64_t expect_seq;
	int replay_broken;		/* stop replaying after the first refusal */
	int leaf_named;			/* the first changed leaf was reported */
};

static void
finding(struct audit *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
finding(struct audit *a, const char *fmt, ...)
{
	struct prov_buf b = PROV_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	prov_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	a->res->findings++;
	if (a->opts->report)
		a->opts->report(a->opts->report_ctx, b.buf);
	prov_buf_release(&b);
}

/* The entry's type, for naming it in findings. */
static void
entry_type(const char *bytes, size_t len, char *out, size_t n)
{
	json_t *v = json_loadb(bytes, len, 0, NULL);
	const char *t = json_string_value(json_object_get(v, "type"));

	snprintf(out, n, "%s", t && prov_utf8_valid(t, strlen(t)) ? t : "unreadable");
	json_decref(v);
}

static int
one_entry(void *ctx, int64_t seq, const char *bytes, size_t len)
{
	struct audit *a = ctx;
	unsigned char leaf[PROV_HASH_LEN];
	struct prov_err e;
	char type[32];

	a->res->entries++;
	entry_type(bytes, len, type, sizeof(type));
	if (seq != a->expect_seq) {
		if (seq > a->expect_seq)
			finding(a, "entry %" PRId64 ": missing (the next stored entry is %" PRId64
			    "): removed from the ledger", a->expect_seq, seq);
		a->replay_broken = 1;
		a->expect_seq = seq;
	}
	a->expect_seq++;
	prov_merkle_leaf_hash(bytes, len, leaf);
	prov_merkle_tree_add(&a->tree, leaf);
	if (a->replay_broken)
		return 0;
	if (prov_ledger_import(a->replay, bytes, len, &e) != PROV_OK) {
		/* The replay names the entry itself: "entry N: ..." */
		const char *why = strncmp(e.msg, "entry ", 6) == 0 && strchr(e.msg, ':') ?
		    strchr(e.msg, ':') + 2 : e.msg;
		finding(a, "entry %" PRId64 " (%s): %s", seq, type, why);
		a->replay_broken = 1;
	} else
		a->res->verified++;
	return 0;
}

/* The export: one entry per line, exactly the leaf bytes. */
static void
read_export(struct audit *a, const char *text, size_t len)
{
	size_t pos = 0;
	int64_t seq = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		one_entry(a, seq++, text + pos, n);
		pos += n + 1;
	}
}

/* Names the first entry whose bytes no longer hash to the leaf stored
 * when it was appended. */
static void
find_changed_leaf(struct audit *a, struct prov_ledger *l, uint64_t upto)
{
	unsigned char stored[PROV_HASH_LEN], now[PROV_HASH_LEN];
	uint64_t i;

	if (a->leaf_named)
		return;
	for (i = 0; i < upto && i < a->tree.size; i++) {
		if (prov_ledger_stored_leaf(l, i, stored, NULL) != PROV_OK ||
		    prov_merkle_tree_get(&a->tree, 0, i, now, NULL) != PROV_OK)
			return;
		if (memcmp(stored, now, PROV_HASH_LEN) != 0) {
			finding(a, "entry %" PRIu64 ": its bytes differ from those hashed when it was appended",
			    i);
			a->leaf_named = 1;
			return;
		}
	}
}

/* Verifies a checkpoint note with the operator's key (and known witness
 * keys); fills c.  Returns 0 on success. */
static int
open_checkpoint(struct audit *a, struct prov_key *op, const char *note, size_t len,
    struct prov_checkpoint *c, const char *what, int need_witnesses)
{
	struct prov_key *known[1 + 8];
	struct prov_note_result nr;
	struct prov_err e;
	size_t i, n = 0;

	known[n++] = op;
	for (i = 0; i < a->opts->nwitnesses && n < 9; i++)
		known[n++] = a->opts->witnesses[i];
	if (prov_note_verify(note, len, known, n, &nr, &e) != PROV_OK) {
		finding(a, "%s: %s", what, e.msg);
		return -1;
	}
	if (!nr.verified[0]) {
		finding(a, "%s: not signed by the operator key %s", what, op->name);
		return -1;
	}
	/* The witnesses the auditor trusts must each have cosigned it; a
	 * cosignature by any other key proves nothing and does not count. */
	for (i = 0; need_witnesses && i < a->opts->nwitnesses && i + 1 < n; i++)
		if (!nr.verified[i + 1]) {
			finding(a, "%s: no cosignature by witness %s (%u by keys not trusted)", what,
			    a->opts->witnesses[i]->name, nr.nunknown);
			return -1;
		}
	if (prov_checkpoint_parse(c, note, nr.text_len, &e) != PROV_OK) {
		finding(a, "%s: %s", what, e.msg);
		return -1;
	}
	if (strcmp(c->origin, prov_ledger_origin(a->replay)) != 0 &&
	    prov_ledger_origin(a->replay)[0] != '\0') {
		finding(a, "%s: origin %s is not this ledger's (%s)", what, c->origin,
		    prov_ledger_origin(a->replay));
		return -1;
	}
	return 0;
}

struct stored_ctx {
	struct audit *a;
	struct prov_ledger *l;
	struct prov_key *op;
};

static int
stored_checkpoint(void *ctx, uint64_t size, const char *note, size_t len)
{
	struct stored_ctx *s = ctx;
	struct audit *a = s->a;
	struct prov_checkpoint c;
	unsigned char root[PROV_HASH_LEN];
	char what[64];

	snprintf(what, sizeof(what), "stored checkpoint at size %" PRIu64, size);
	if (open_checkpoint(a, s->op, note, len, &c, what, 0) != 0)
		return 0;
	if (c.size != size || c.size > a->tree.size) {
		finding(a, "%s: names %" PRIu64 " entries, the ledger holds %" PRIu64
		    ": entries were removed since it was signed", what, c.size, a->tree.size);
		return 0;
	}
	if (prov_merkle_root_at(prov_merkle_tree_get, &a->tree, c.size, root, NULL) != PROV_OK ||
	    memcmp(root, c.root, PROV_HASH_LEN) != 0) {
		finding(a, "%s: its root does not match the entries: an entry before %" PRIu64
		    " was changed, removed, inserted or reordered", what, c.size);
		find_changed_leaf(a, s->l, c.size);
		return 0;
	}
	a->res->checkpoints++;
	snprintf(a->res->latest_checkpoint, sizeof(a->res->latest_checkpoint), "%.*s", (int)len, note);
	return 0;
}

/* Today's entries extend the checkpoint the auditor saved. */
static void
check_saved(struct audit *a, struct prov_key *op)
{
	const struct prov_audit_opts *o = a->opts;
	struct prov_buf proof = PROV_BUF_INIT;
	unsigned char now[PROV_HASH_LEN];
	struct prov_checkpoint c;

	if (open_checkpoint(a, op, o->saved_checkpoint, o->saved_len, &c, "saved checkpoint", 1) != 0)
		return;
	if (c.size > a->tree.size) {
		finding(a, "saved checkpoint: it has %" PRIu64 " entries, the ledger only %" PRIu64
		    ": the ledger was rolled back or truncated", c.size, a->tree.size);
		return;
	}
	prov_merkle_root_at(prov_merkle_tree_get, &a->tree, a->tree.size, now, NULL);
	if (c.size == 0 ||
	    prov_merkle_consistency_proof(prov_merkle_tree_get, &a->tree, c.size, a->tree.size,
	    &proof, NULL) != PROV_OK ||
	    prov_merkle_verify_consistency(c.size, a->tree.size, c.root, PROV_HASH_LEN, now,
	    PROV_HASH_LEN, (unsigned char *)proof.buf, proof.len) != PROV_OK)
		finding(a, "saved checkpoint: today's %" PRIu64 " entries do not extend its %" PRIu64
		    ": an entry before %" PRIu64 " was changed, removed, inserted or reordered",
		    a->tree.size, c.size, c.size);
	prov_buf_release(&proof);
}

int
prov_audit_ledger(struct prov_ledger *l, const char *export_text, size_t export_len,
    const struct prov_audit_opts *opts, struct prov_audit_result *res, struct prov_err *e)
{
	struct audit a;
	struct prov_key op;
	unsigned char stored[PROV_HASH_LEN];
	const char *vk;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&a, 0, sizeof(a));
	a.opts = opts;
	a.res = res;
	prov_merkle_tree_init(&a.tree);
	prov_key_init(&op);
	if ((rc = prov_ledger_open(&a.replay, NULL, PROV_LEDGER_MEMORY, e)) != PROV_OK)
		return rc;
	if (l != NULL)
		rc = prov_ledger_foreach_entry(l, one_entry, &a, e);
	else
		read_export(&a, export_text, export_len);
	if (rc != PROV_OK)
		goto out;
	if (res->entries == 0)
		finding(&a, "the ledger holds no entries");
	prov_merkle_root_at(prov_merkle_tree_get, &a.tree, a.tree.size, res->root, NULL);

	/* The operator key: the auditor's own copy when given; it must be the
	 * one the ledger's first entry names. */
	vk = prov_ledger_operator(a.replay);
	if (opts->operator_key) {
		struct prov_buf mine = PROV_BUF_INIT;
		prov_vkey_format(opts->operator_key, &mine);
		if (vk[0] && strcmp(mine.buf, vk) != 0)
			finding(&a, "entry 0 (init): names operator key %s, not the key given", vk);
		vk = NULL;
		prov_vkey_parse(&op, mine.buf, mine.len, NULL);
		prov_buf_release(&mine);
	} else if (vk[0] == '\0' || prov_vkey_parse(&op, vk, strlen(vk), NULL) != PROV_OK)
		vk = NULL;

	if (l != NULL) {
		if (prov_ledger_root(l, prov_ledger_size(l), stored, NULL) != PROV_OK ||
		    memcmp(stored, res->root, PROV_HASH_LEN) != 0) {
			finding(&a, "the stored tree does not match the entries");
			find_changed_leaf(&a, l, a.tree.size);
		}
		if (op.name[0]) {
			struct stored_ctx s = { &a, l, &op };
			if ((rc = prov_ledger_foreach_checkpoint(l, stored_checkpoint, &s, e)) != PROV_OK)
				goto out;
		}
	}
	if (opts->saved_checkpoint) {
		if (op.name[0] == '\0')
			finding(&a, "saved checkpoint: no operator key to check it with");
		else
			check_saved(&a, &op);
	}
	rc = res->findings ? PROV_FAILED : PROV_OK;
out:
	prov_key_release(&op);
	prov_merkle_tree_release(&a.tree);
	prov_ledger_close(a.replay);
	return rc;
}
