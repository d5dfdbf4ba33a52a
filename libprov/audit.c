/*
 * audit.c: verifying a ledger without trusting the software or the
 * database that wrote it.
 *
 * Nothing stored beside the entries is believed: the tree is recomputed
 * from the entries' bytes, and every entry is replayed through the same
 * checks an append makes, into a verify-only ledger in memory (which keeps
 * the parties, keys, approvals and handoff roots the checks need, not the
 * entries).  What is stored (tree nodes, checkpoints) is only compared
 * against that.
 *
 * Entries are streamed in batches: the work an entry's own bytes decide
 * (canonical form, signature, leaf hash) is done by one worker thread per
 * CPU, while the calling thread reads the next batch and replays the one
 * before in entry order, so findings come out in entry order whatever the
 * threads' timing.  Two batches are in memory at a time.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prov.h"
#include "ledger_int.h"
#include "banned.h"

#define AUDIT_BATCH 4096	/* entries per batch */
#define AUDIT_THREADS 8		/* at most */

struct slot {
	size_t off, len;		/* of the bytes in the batch's arena */
	int64_t seq;			/* as stored (the line number of an export) */
	struct prov_ledger_pre pre;
};

struct kept {				/* a handoff's bytes, when they cannot be reread */
	uint64_t seq;
	char *bytes;
	size_t len;
};

struct batch {
	struct prov_buf arena;		/* the entries' bytes */
	struct slot slots[AUDIT_BATCH];
	size_t nslots;
	unsigned next_part, parts_done;	/* under the audit's mutex */
};

struct audit {
	const struct prov_audit_opts *opts;
	struct prov_audit_result *res;
	struct prov_ledger *replay;	/* verify-only: the state the checks need */
	struct prov_merkle_tree tree;	/* of every entry read, valid or not */
	int64_t expect_seq;
	int replay_broken;		/* stop replaying after the first refusal */
	int leaf_named;			/* the first changed leaf was reported */
	/* where entries are read again (a receipt's handoff) */
	struct prov_ledger *src;	/* the ledger file, or NULL */
	FILE *export;			/* or the export */
	int seekable;
	uint64_t *lineoff;		/* seekable export: where each line starts */
	size_t nlineoff, alineoff;
	struct kept *kept;		/* otherwise: the handoffs' lines */
	size_t nkept, akept;
	/* the batches: one filling, one being checked or replayed */
	struct batch batch[2];
	struct batch *filling, *pending;
	/* the workers: each takes a part (every nparts-th entry) of the
	 * oldest submitted batch that has parts left */
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	struct batch *queue[2];		/* submitted, parts left; oldest first */
	unsigned nqueue, nparts, nworkers, stop;
	pthread_t tid[AUDIT_THREADS];
	struct worker {
		struct audit *a;
		struct prov_keycache kc;
	} worker[AUDIT_THREADS];
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

/* The replay of one entry whose precheck is done, in entry order. */
static void
replay_entry(struct audit *a, struct batch *b, struct slot *sl)
{
	const char *bytes = b->arena.buf + sl->off;
	const char *t = json_string_value(json_object_get(sl->pre.obj, "type"));
	struct prov_err e;
	char type[32];

	a->res->entries++;
	if (t)
		snprintf(type, sizeof(type), "%s", prov_utf8_valid(t, strlen(t)) ? t : "unreadable");
	else
		entry_type(bytes, sl->len, type, sizeof(type));
	if (sl->seq != a->expect_seq) {
		if (sl->seq > a->expect_seq)
			finding(a, "entry %" PRId64 ": missing (the next stored entry is %" PRId64
			    "): removed from the ledger", a->expect_seq, sl->seq);
		a->replay_broken = 1;
		a->expect_seq = sl->seq;
	}
	a->expect_seq++;
	prov_merkle_tree_add(&a->tree, sl->pre.leaf);
	if (a->replay_broken)
		return;
	if (prov_ledger_import_pre(a->replay, bytes, sl->len, &sl->pre, &e) != PROV_OK) {
		/* The replay names the entry itself: "entry N: ..." */
		const char *why = strncmp(e.msg, "entry ", 6) == 0 && strchr(e.msg, ':') ?
		    strchr(e.msg, ':') + 2 : e.msg;
		finding(a, "entry %" PRId64 " (%s): %s", sl->seq, type, why);
		a->replay_broken = 1;
		return;
	}
	a->res->verified++;
	if (a->src == NULL && !a->seekable && strcmp(type, "handoff") == 0) {
		struct kept *k;
		if (a->nkept == a->akept) {
			a->akept = a->akept ? 2 * a->akept : 64;
			a->kept = prov_xrealloc(a->kept, a->akept * sizeof(*a->kept));
		}
		k = &a->kept[a->nkept++];
		k->seq = (uint64_t)sl->seq;
		k->len = sl->len;
		k->bytes = prov_xmalloc(sl->len + 1);
		memcpy(k->bytes, bytes, sl->len);
	}
}

static void
precheck_part(struct prov_keycache *kc, struct batch *b, unsigned part, unsigned nparts)
{
	size_t i;

	for (i = part; i < b->nslots; i += nparts)
		prov_ledger_precheck(kc, b->arena.buf + b->slots[i].off, b->slots[i].len,
		    &b->slots[i].pre);
}

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	struct audit *a = w->a;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		struct batch *b;
		unsigned part;

		while (a->nqueue == 0 && !a->stop)
			pthread_cond_wait(&a->work, &a->mu);
		if (a->nqueue == 0)
			break;
		b = a->queue[0];
		part = b->next_part++;
		if (b->next_part == a->nparts) {
			a->queue[0] = a->queue[1];
			a->nqueue--;
		}
		pthread_mutex_unlock(&a->mu);
		precheck_part(&w->kc, b, part, a->nparts);
		pthread_mutex_lock(&a->mu);
		if (++b->parts_done == a->nparts)
			pthread_cond_broadcast(&a->done);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

/* Hands a full batch to the workers (or checks it here without any). */
static void
submit(struct audit *a, struct batch *b)
{
	b->next_part = b->parts_done = 0;
	if (a->nworkers == 0) {
		precheck_part(&a->worker[0].kc, b, 0, 1);
		b->parts_done = a->nparts;
		return;
	}
	pthread_mutex_lock(&a->mu);
	a->queue[a->nqueue++] = b;
	pthread_cond_broadcast(&a->work);
	pthread_mutex_unlock(&a->mu);
}

/* Waits for the workers to finish b, then replays it in entry order. */
static void
replay_batch(struct audit *a, struct batch *b)
{
	size_t i;

	pthread_mutex_lock(&a->mu);
	while (b->parts_done < a->nparts)
		pthread_cond_wait(&a->done, &a->mu);
	pthread_mutex_unlock(&a->mu);
	for (i = 0; i < b->nslots; i++) {
		replay_entry(a, b, &b->slots[i]);
		prov_ledger_pre_release(&b->slots[i].pre);
	}
	b->nslots = 0;
	prov_buf_reset(&b->arena);
}

/* The filling batch goes to the workers; the one before is replayed
 * meanwhile, and is filled next. */
static void
rotate(struct audit *a)
{
	struct batch *b = a->filling;

	submit(a, b);
	if (a->pending)
		replay_batch(a, a->pending);
	a->pending = b;
	a->filling = b == &a->batch[0] ? &a->batch[1] : &a->batch[0];
}

/* Every entry read is checked and replayed. */
static void
drain(struct audit *a)
{
	if (a->filling->nslots > 0)
		rotate(a);
	if (a->pending)
		replay_batch(a, a->pending);
	a->pending = NULL;
}

static void
queue_entry(struct audit *a, int64_t seq, const char *bytes, size_t len)
{
	struct batch *b = a->filling;
	struct slot *sl = &b->slots[b->nslots++];

	sl->off = b->arena.len;
	sl->len = len;
	sl->seq = seq;
	prov_buf_add(&b->arena, bytes, len);
	if (b->nslots == AUDIT_BATCH)
		rotate(a);
}

/* Starts one worker per CPU; with none started, the batches are checked
 * on the calling thread. */
static void
workers_start(struct audit *a)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned t, n = ncpu < 1 ? 1 : ncpu > AUDIT_THREADS ? AUDIT_THREADS : (unsigned)ncpu;

	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->work, NULL);
	pthread_cond_init(&a->done, NULL);
	for (t = 0; t < AUDIT_THREADS; t++) {
		a->worker[t].a = a;
		prov_keycache_init(&a->worker[t].kc);
	}
	for (t = 0; t < n; t++)
		if (pthread_create(&a->tid[t], NULL, worker_run, &a->worker[t]) != 0)
			break;
	a->nworkers = t;
	a->nparts = t ? t : 1;
	a->filling = &a->batch[0];
}

static void
workers_stop(struct audit *a)
{
	unsigned t;

	pthread_mutex_lock(&a->mu);
	a->stop = 1;
	pthread_cond_broadcast(&a->work);
	pthread_mutex_unlock(&a->mu);
	for (t = 0; t < a->nworkers; t++)
		pthread_join(a->tid[t], NULL);
	for (t = 0; t < AUDIT_THREADS; t++)
		prov_keycache_release(&a->worker[t].kc);
	for (t = 0; t < 2; t++)
		prov_buf_release(&a->batch[t].arena);
	pthread_cond_destroy(&a->done);
	pthread_cond_destroy(&a->work);
	pthread_mutex_destroy(&a->mu);
}

static int
one_entry(void *ctx, int64_t seq, const char *bytes, size_t len)
{
	queue_entry(ctx, seq, bytes, len);
	return 0;
}

/* The export: one entry per line, exactly the leaf bytes; streamed. */
static int
read_export(struct audit *a, FILE *f, struct prov_err *e)
{
	struct stat st;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int64_t seq = 0;
	off_t pos = 0;

	a->seekable = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
	    (pos = ftello(f)) >= 0;
	while ((n = getline(&line, &cap, f)) > 0) {
		size_t len = (size_t)n;
		if (a->seekable) {
			if (a->nlineoff == a->alineoff) {
				a->alineoff = a->alineoff ? 2 * a->alineoff : 1024;
				a->lineoff = prov_xrealloc(a->lineoff, a->alineoff * sizeof(*a->lineoff));
			}
			a->lineoff[a->nlineoff++] = (uint64_t)pos;
			pos += n;
		}
		if (line[len - 1] == '\n')
			len--;
		queue_entry(a, seq++, line, len);
	}
	free(line);
	if (ferror(f))
		return prov_seterr(e, PROV_FATAL, errno, "export: %s", strerror(errno));
	return PROV_OK;
}

/* bsearch comparator: kept handoffs are in entry order. */
static int
kept_cmp(const void *key, const void *elem)
{
	uint64_t k = *(const uint64_t *)key, s = ((const struct kept *)elem)->seq;

	return (k > s) - (k < s);
}

/* The bytes of an entry already read, read again (for a receipt whose
 * manifest differs from its handoff's); they must hash to the leaf the
 * audit computed when it read them. */
static int
reread_entry(void *ctx, uint64_t seq, struct prov_buf *out, struct prov_err *e)
{
	struct audit *a = ctx;
	unsigned char now[PROV_HASH_LEN], then[PROV_HASH_LEN];
	size_t start = out->len;
	int rc = PROV_OK;

	if (a->src)
		rc = prov_ledger_entry(a->src, seq, out, e);
	else if (a->seekable) {
		char *buf;
		size_t len;
		ssize_t n;
		if (seq + 1 >= a->nlineoff)
			return prov_seterr(e, PROV_FAILED, 0, "no entry %" PRIu64, seq);
		len = (size_t)(a->lineoff[seq + 1] - a->lineoff[seq]);
		buf = prov_xmalloc(len ? len : 1);
		n = pread(fileno(a->export), buf, len, (off_t)a->lineoff[seq]);
		if (n != (ssize_t)len)
			rc = prov_seterr(e, PROV_FAILED, errno, "export: cannot read entry %" PRIu64, seq);
		else
			prov_buf_add(out, buf, len && buf[len - 1] == '\n' ? len - 1 : len);
		free(buf);
	} else {
		const struct kept *k = a->nkept == 0 ? NULL :
		    bsearch(&seq, a->kept, a->nkept, sizeof(*a->kept), kept_cmp);
		if (k != NULL)
			prov_buf_add(out, k->bytes, k->len);
		else
			rc = prov_seterr(e, PROV_FAILED, 0, "no entry %" PRIu64, seq);
	}
	if (rc != PROV_OK)
		return rc;
	prov_merkle_leaf_hash(out->buf + start, out->len - start, now);
	if (prov_merkle_tree_get(&a->tree, 0, seq, then, NULL) != PROV_OK ||
	    memcmp(now, then, PROV_HASH_LEN) != 0)
		return prov_seterr(e, PROV_FAILED, 0, "entry %" PRIu64 " changed while it was read",
		    seq);
	return PROV_OK;
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
prov_audit_ledger(struct prov_ledger *l, FILE *export, const struct prov_audit_opts *opts,
    struct prov_audit_result *res, struct prov_err *e)
{
	struct audit *ap = prov_xcalloc(1, sizeof(*ap));
	struct prov_key op;
	unsigned char stored[PROV_HASH_LEN];
	const char *vk;
	size_t i;
	int rc;

	memset(res, 0, sizeof(*res));
	ap->opts = opts;
	ap->res = res;
	ap->src = l;
	ap->export = export;
	prov_merkle_tree_init(&ap->tree);
	prov_key_init(&op);
	if ((rc = prov_ledger_open_verifier(&ap->replay, reread_entry, ap, e)) != PROV_OK) {
		free(ap);
		return rc;
	}
	workers_start(ap);
	if (l != NULL)
		rc = prov_ledger_foreach_entry(l, one_entry, ap, e);
	else
		rc = read_export(ap, export, e);
	drain(ap);
	workers_stop(ap);
	if (rc != PROV_OK)
		goto out;
	if (res->entries == 0)
		finding(ap, "the ledger holds no entries");
	prov_merkle_root_at(prov_merkle_tree_get, &ap->tree, ap->tree.size, res->root, NULL);

	/* The operator key: the auditor's own copy when given; it must be the
	 * one the ledger's first entry names. */
	vk = prov_ledger_operator(ap->replay);
	if (opts->operator_key) {
		struct prov_buf mine = PROV_BUF_INIT;
		prov_vkey_format(opts->operator_key, &mine);
		if (vk[0] && strcmp(mine.buf, vk) != 0)
			finding(ap, "entry 0 (init): names operator key %s, not the key given", vk);
		vk = NULL;
		prov_vkey_parse(&op, mine.buf, mine.len, NULL);
		prov_buf_release(&mine);
	} else if (vk[0] == '\0' || prov_vkey_parse(&op, vk, strlen(vk), NULL) != PROV_OK)
		vk = NULL;

	if (l != NULL) {
		if (prov_ledger_root(l, prov_ledger_size(l), stored, NULL) != PROV_OK ||
		    memcmp(stored, res->root, PROV_HASH_LEN) != 0) {
			finding(ap, "the stored tree does not match the entries");
			find_changed_leaf(ap, l, ap->tree.size);
		}
		if (op.name[0]) {
			struct stored_ctx s = { ap, l, &op };
			if ((rc = prov_ledger_foreach_checkpoint(l, stored_checkpoint, &s, e)) != PROV_OK)
				goto out;
		}
	}
	if (opts->saved_checkpoint) {
		if (op.name[0] == '\0')
			finding(ap, "saved checkpoint: no operator key to check it with");
		else
			check_saved(ap, &op);
	}
	rc = res->findings ? PROV_FAILED : PROV_OK;
out:
	prov_key_release(&op);
	prov_merkle_tree_release(&ap->tree);
	prov_ledger_close(ap->replay);
	for (i = 0; i < ap->nkept; i++)
		free(ap->kept[i].bytes);
	free(ap->kept);
	free(ap->lineoff);
	free(ap);
	return rc;
}
