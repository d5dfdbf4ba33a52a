/*
 * ledger.c: the append-only ledger in one SQLite file.
 *
 * One function, apply_entry(), checks an entry against the ledger's state
 * and writes it with everything derived from it (Merkle nodes, parties,
 * approvals, artifacts) in the caller's transaction.  Appending builds and
 * signs an entry and applies it; importing applies an exported line as it
 * is.  So a ledger rebuilt from its export holds exactly what was checked.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "prov.h"
#include "ledger_int.h"
#include "banned.h"

static const char schema_sql[] =
#include "ledger_sql.h"
    ;

struct prov_ledger {
	sqlite3 *db;
	uint64_t size;
	char origin[256];
	char operator_vkey[512];
	char operator_name[256];
	char last_time[32];
	sqlite3_stmt *put_node, *get_node;
	struct prov_keycache keys;	/* the keys of the entries checked */
	struct lean *lean;		/* a verify-only ledger: no db */
	int (*fetch)(void *ctx, uint64_t seq, struct prov_buf *bytes, struct prov_err *e);
	void *fetch_ctx;
};

static void lean_free(struct lean *m);

static int
db_err(struct prov_ledger *l, struct prov_err *e, const char *what)
{
	return prov_seterr(e, PROV_FATAL, 0, "ledger: %s: %s", what, sqlite3_errmsg(l->db));
}

static int
exec(struct prov_ledger *l, const char *sql, struct prov_err *e)
{
	char *msg = NULL;

	if (l->db == NULL)
		return prov_seterr(e, PROV_FATAL, 0, "ledger: a verify-only ledger has no file");
	if (sqlite3_exec(l->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		prov_seterr(e, PROV_FATAL, 0, "ledger: %s", msg ? msg : sqlite3_errmsg(l->db));
		sqlite3_free(msg);
		return PROV_FATAL;
	}
	return PROV_OK;
}

/* Text of column 0 of a one-row query with one text parameter, or NULL. */
static char *
query_text(struct prov_ledger *l, const char *sql, const char *param)
{
	sqlite3_stmt *st;
	char *out = NULL;

	if (l->db == NULL || sqlite3_prepare_v2(l->db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	if (param)
		sqlite3_bind_text(st, 1, param, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		out = prov_xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

static void
copy_str(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

/* Loads what every append needs from the file: size, origin, operator,
 * the last time. */
static int
load_state(struct prov_ledger *l, struct prov_err *e)
{
	sqlite3_stmt *st;
	char *v;

	/* The last row by rowid: O(log n), where count(*) would scan the
	 * whole table on every append. */
	if (sqlite3_prepare_v2(l->db, "SELECT seq, time FROM entries ORDER BY seq DESC LIMIT 1",
	    -1, &st, NULL) != SQLITE_OK)
		return db_err(l, e, "read");
	l->size = 0;
	l->last_time[0] = '\0';
	if (sqlite3_step(st) == SQLITE_ROW) {
		l->size = (uint64_t)sqlite3_column_int64(st, 0) + 1;
		copy_str(l->last_time, sizeof(l->last_time),
		    (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	v = query_text(l, "SELECT value FROM meta WHERE key = 'origin'", NULL);
	copy_str(l->origin, sizeof(l->origin), v);
	free(v);
	v = query_text(l, "SELECT value FROM meta WHERE key = 'operator'", NULL);
	copy_str(l->operator_vkey, sizeof(l->operator_vkey), v);
	free(v);
	v = query_text(l, "SELECT value FROM meta WHERE key = 'operator_name'", NULL);
	copy_str(l->operator_name, sizeof(l->operator_name), v);
	free(v);
	return PROV_OK;
}

int
prov_ledger_open(struct prov_ledger **out, const char *path, int flags, struct prov_err *e)
{
	struct prov_ledger *l;
	struct stat st;
	int oflags, rc;

	*out = NULL;
	if ((flags & PROV_LEDGER_CREATE) && !(flags & PROV_LEDGER_MEMORY) &&
	    stat(path, &st) == 0 && st.st_size > 0)
		return prov_seterr(e, PROV_FATAL, 0, "%s: exists already; a new ledger needs a new file",
		    path);
	if (!(flags & (PROV_LEDGER_CREATE | PROV_LEDGER_MEMORY)) && stat(path, &st) != 0)
		return prov_seterr(e, PROV_FATAL, errno, "%s: %s", path, strerror(errno));
	l = prov_xcalloc(1, sizeof(*l));
	prov_keycache_init(&l->keys);
	oflags = (flags & PROV_LEDGER_READONLY) ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2((flags & PROV_LEDGER_MEMORY) ? ":memory:" : path, &l->db,
	    oflags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		prov_seterr(e, PROV_FATAL, 0, "%s: %s", path,
		    l->db ? sqlite3_errmsg(l->db) : "cannot open");
		prov_ledger_close(l);
		return PROV_FATAL;
	}
	sqlite3_busy_timeout(l->db, 30000);
	if (!(flags & PROV_LEDGER_READONLY)) {
		/* WAL: readers never block the writer; FULL sync: an entry that
		 * was reported written survives a power cut. */
		if ((rc = exec(l, (flags & PROV_LEDGER_NOSYNC) ?
		    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;" :
		    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", e)) ||
		    (rc = exec(l, schema_sql, e))) {
			prov_ledger_close(l);
			return rc;
		}
	}
	if ((rc = load_state(l, e)) != PROV_OK) {
		prov_err_prefix(e, "%s: not a prov ledger", path);
		prov_ledger_close(l);
		return rc;
	}
	if (sqlite3_prepare_v2(l->db, "SELECT hash FROM nodes WHERE level = ? AND idx = ?", -1,
	    &l->get_node, NULL) != SQLITE_OK) {
		prov_seterr(e, PROV_FATAL, 0, "%s: not a prov ledger: %s", path,
		    sqlite3_errmsg(l->db));
		prov_ledger_close(l);
		return PROV_FATAL;
	}
	*out = l;
	return PROV_OK;
}

void
prov_ledger_close(struct prov_ledger *l)
{
	if (l == NULL)
		return;
	sqlite3_finalize(l->put_node);
	sqlite3_finalize(l->get_node);
	sqlite3_close(l->db);
	prov_keycache_release(&l->keys);
	lean_free(l->lean);
	free(l);
}

uint64_t
prov_ledger_size(struct prov_ledger *l)
{
	return l->size;
}

const char *
prov_ledger_origin(struct prov_ledger *l)
{
	return l->origin;
}

const char *
prov_ledger_operator(struct prov_ledger *l)
{
	return l->operator_vkey;
}

int
prov_ledger_entry(struct prov_ledger *l, uint64_t seq, struct prov_buf *out, struct prov_err *e)
{
	sqlite3_stmt *st;
	int rc = PROV_OK;

	if (l->db == NULL) {
		if (seq < l->size && l->fetch)
			return l->fetch(l->fetch_ctx, seq, out, e);
		return prov_seterr(e, PROV_FAILED, 0, "no entry %" PRIu64 " (the ledger has %" PRIu64
		    ")", seq, l->size);
	}
	if (sqlite3_prepare_v2(l->db, "SELECT bytes FROM entries WHERE seq = ?", -1, &st,
	    NULL) != SQLITE_OK)
		return db_err(l, e, "read");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	if (sqlite3_step(st) == SQLITE_ROW)
		prov_buf_add(out, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
	else
		rc = prov_seterr(e, PROV_FAILED, 0, "no entry %" PRIu64 " (the ledger has %" PRIu64 ")",
		    seq, l->size);
	sqlite3_finalize(st);
	return rc;
}

/* prov_merkle_get_fn over the nodes table. */
static int
get_node(void *ctx, unsigned level, uint64_t index, unsigned char out[PROV_HASH_LEN],
    struct prov_err *e)
{
	struct prov_ledger *l = ctx;
	int rc = PROV_OK;

	if (l->get_node == NULL)
		return prov_seterr(e, PROV_FAILED, 0, "ledger: a verify-only ledger keeps no tree");
	sqlite3_reset(l->get_node);
	sqlite3_bind_int(l->get_node, 1, (int)level);
	sqlite3_bind_int64(l->get_node, 2, (sqlite3_int64)index);
	if (sqlite3_step(l->get_node) == SQLITE_ROW &&
	    sqlite3_column_bytes(l->get_node, 0) == PROV_HASH_LEN)
		memcpy(out, sqlite3_column_blob(l->get_node, 0), PROV_HASH_LEN);
	else
		rc = prov_seterr(e, PROV_FAILED, 0, "ledger: tree node %u/%" PRIu64 " is missing",
		    level, index);
	sqlite3_reset(l->get_node);
	return rc;
}

int
prov_ledger_root(struct prov_ledger *l, uint64_t size, unsigned char out[PROV_HASH_LEN],
    struct prov_err *e)
{
	if (size > l->size)
		return prov_seterr(e, PROV_FAILED, 0, "the ledger has only %" PRIu64 " entries",
		    l->size);
	return prov_merkle_root_at(get_node, l, size, out, e);
}

int
prov_ledger_inclusion_proof(struct prov_ledger *l, uint64_t seq, uint64_t size,
    struct prov_buf *proof, struct prov_err *e)
{
	if (size > l->size)
		return prov_seterr(e, PROV_FAILED, 0, "the ledger has only %" PRIu64 " entries",
		    l->size);
	return prov_merkle_inclusion_proof(get_node, l, seq, size, proof, e);
}

int
prov_ledger_consistency_proof(struct prov_ledger *l, uint64_t size1, uint64_t size2,
    struct prov_buf *proof, struct prov_err *e)
{
	if (size2 > l->size)
		return prov_seterr(e, PROV_FAILED, 0, "the ledger has only %" PRIu64 " entries",
		    l->size);
	return prov_merkle_consistency_proof(get_node, l, size1, size2, proof, e);
}

int
prov_manifest_root(const json_t *artifacts, unsigned char out[PROV_HASH_LEN],
    struct prov_err *e)
{
	struct prov_buf b = PROV_BUF_INIT;
	struct prov_merkle m;
	unsigned char leaf[PROV_HASH_LEN];
	size_t i;
	int rc;

	if (!json_is_array(artifacts))
		return prov_seterr(e, PROV_FAILED, 0, "manifest: artifacts must be an array");
	prov_merkle_init(&m, NULL, NULL);
	for (i = 0; i < json_array_size(artifacts); i++) {
		json_t *a = json_array_get(artifacts, i);
		prov_buf_reset(&b);
		if (!json_is_object(a)) {
			prov_buf_release(&b);
			return prov_seterr(e, PROV_FAILED, 0, "manifest: artifact %zu is not an object", i + 1);
		}
		if ((rc = prov_cjson_encode(a, &b, e)) != PROV_OK) {
			prov_err_prefix(e, "manifest: artifact %zu", i + 1);
			prov_buf_release(&b);
			return rc;
		}
		prov_merkle_leaf_hash(b.buf, b.len, leaf);
		prov_merkle_add(&m, leaf);
	}
	prov_merkle_root(&m, out);
	prov_buf_release(&b);
	return PROV_OK;
}

static const char *
str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* ------------------------------------------------------------ key cache */

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = UINT64_C(14695981039346656037);

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
	return h;
}

void
prov_keycache_init(struct prov_keycache *c)
{
	unsigned i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < PROV_KEYCACHE_SLOTS; i++)
		prov_key_init(&c->slot[i].key);
}

void
prov_keycache_release(struct prov_keycache *c)
{
	unsigned i;

	for (i = 0; i < c->n; i++) {
		free(c->slot[i].text);
		prov_key_release(&c->slot[i].key);
	}
	prov_keycache_init(c);
}

int
prov_keycache_get(struct prov_keycache *c, const char *vkey, struct prov_key **out,
    struct prov_err *e)
{
	uint64_t h = fnv1a(vkey);
	struct prov_key k;
	unsigned i;
	int rc;

	for (i = 0; i < c->n; i++)
		if (c->slot[i].hash == h && strcmp(c->slot[i].text, vkey) == 0) {
			*out = &c->slot[i].key;
			return PROV_OK;
		}
	prov_key_init(&k);
	if ((rc = prov_vkey_parse(&k, vkey, strlen(vkey), e)) != PROV_OK) {
		prov_key_release(&k);
		return rc;
	}
	if (c->n < PROV_KEYCACHE_SLOTS)
		i = c->n++;
	else {
		i = c->next;
		c->next = (c->next + 1) % PROV_KEYCACHE_SLOTS;
		free(c->slot[i].text);
		prov_key_release(&c->slot[i].key);
	}
	c->slot[i].hash = h;
	c->slot[i].text = prov_xstrdup(vkey);
	c->slot[i].key = k;
	*out = &c->slot[i].key;
	return PROV_OK;
}

/* ------------------------------------------------- the verify-only state */

/* Strings to indexes, open addressing; the keys are copied. */
struct smap {
	char **keys;
	size_t *vals;
	size_t cap, n;
};

static size_t
smap_slot(const struct smap *m, const char *k)
{
	size_t i = (size_t)fnv1a(k) & (m->cap - 1);

	while (m->keys[i] && strcmp(m->keys[i], k) != 0)
		i = (i + 1) & (m->cap - 1);
	return i;
}

/* The value of k, or SIZE_MAX. */
static size_t
smap_get(const struct smap *m, const char *k)
{
	size_t i;

	if (k == NULL || m->cap == 0)
		return SIZE_MAX;
	i = smap_slot(m, k);
	return m->keys[i] ? m->vals[i] : SIZE_MAX;
}

static void
smap_put(struct smap *m, const char *k, size_t v)
{
	size_t i;

	if (2 * (m->n + 1) > m->cap) {
		struct smap big = { NULL, NULL, m->cap ? 2 * m->cap : 64, 0 };
		big.keys = prov_xcalloc(big.cap, sizeof(*big.keys));
		big.vals = prov_xcalloc(big.cap, sizeof(*big.vals));
		for (i = 0; i < m->cap; i++)
			if (m->keys[i]) {
				size_t j = smap_slot(&big, m->keys[i]);
				big.keys[j] = m->keys[i];
				big.vals[j] = m->vals[i];
				big.n++;
			}
		free(m->keys);
		free(m->vals);
		*m = big;
	}
	i = smap_slot(m, k);
	if (m->keys[i] == NULL) {
		m->keys[i] = prov_xstrdup(k);
		m->n++;
	}
	m->vals[i] = v;
}

static void
smap_free(struct smap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
}

/*
 * Handoff artifacts by a 64-bit hash of a value (their sha256, or their
 * pixels hash), for the completeness check of sightings: several items
 * per key, linear probing.  An item is the handoff's seq and the
 * artifact's index packed in 64 bits, plus one so that 0 is empty.  The
 * hash only narrows the search: candidates are compared with the
 * handoff's record itself before they count.
 */
#define AMAP_INDEX_BITS 28
struct amap {
	struct amap_item { uint64_t key, at; } *v;
	size_t cap, n;
};

static void
amap_insert(struct amap *m, uint64_t key, uint64_t at)
{
	size_t i = (size_t)key & (m->cap - 1);

	while (m->v[i].at != 0)
		i = (i + 1) & (m->cap - 1);
	m->v[i].key = key;
	m->v[i].at = at;
	m->n++;
}

static int
amap_put(struct amap *m, const char *value, uint64_t seq, size_t index)
{
	size_t i;

	if (value == NULL)
		return 0;
	if (index >= ((size_t)1 << AMAP_INDEX_BITS) || seq >= ((uint64_t)1 << (63 - AMAP_INDEX_BITS)))
		return -1;
	if (4 * (m->n + 1) > 3 * m->cap) {
		struct amap big = { NULL, m->cap ? 2 * m->cap : 1024, 0 };
		big.v = prov_xcalloc(big.cap, sizeof(*big.v));
		for (i = 0; i < m->cap; i++)
			if (m->v[i].at != 0)
				amap_insert(&big, m->v[i].key, m->v[i].at);
		free(m->v);
		*m = big;
	}
	amap_insert(m, fnv1a(value), ((seq << AMAP_INDEX_BITS) | index) + 1);
	return 0;
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The items whose key is value's, in (seq, index) order; *n of them, the
 * array to be freed. */
static uint64_t *
amap_get(const struct amap *m, const char *value, size_t *n)
{
	uint64_t key = fnv1a(value), *out = NULL;
	size_t i, a = 0;

	*n = 0;
	if (m->cap == 0)
		return NULL;
	for (i = (size_t)key & (m->cap - 1); m->v[i].at != 0; i = (i + 1) & (m->cap - 1))
		if (m->v[i].key == key) {
			if (*n == a) {
				a = a ? 2 * a : 8;
				out = prov_xrealloc(out, a * sizeof(*out));
			}
			out[(*n)++] = m->v[i].at - 1;
		}
	if (*n > 1)
		qsort(out, *n, sizeof(*out), u64_cmp);
	return out;
}

struct lean_party {
	char *name, *role, *vkey;
	size_t approvals;		/* first of its approvals, or SIZE_MAX */
};

struct lean_approval {
	int64_t entry;
	char *project, *from, *until;	/* from, until NULL when absent */
	char **delegates;
	size_t ndelegates;
	size_t next;			/* the party's next approval, or SIZE_MAX */
	int revoked;
};

struct lean_handoff {
	uint64_t seq;
	unsigned char root[PROV_HASH_LEN];
	size_t to;			/* a party */
};

struct lean {
	struct lean_party *party;
	size_t nparty, aparty;
	struct smap by_name, by_vkey, revoked_vkeys;
	struct lean_approval *appr;	/* in entry order */
	size_t nappr, aappr;
	struct lean_handoff *hand;	/* in entry order */
	size_t nhand, ahand;
	struct amap bytes, pixels;	/* handoff artifacts by sha256, by pixels */
};

static void
lean_free(struct lean *m)
{
	size_t i, j;

	if (m == NULL)
		return;
	for (i = 0; i < m->nparty; i++) {
		free(m->party[i].name);
		free(m->party[i].role);
		free(m->party[i].vkey);
	}
	for (i = 0; i < m->nappr; i++) {
		free(m->appr[i].project);
		free(m->appr[i].from);
		free(m->appr[i].until);
		for (j = 0; j < m->appr[i].ndelegates; j++)
			free(m->appr[i].delegates[j]);
		free(m->appr[i].delegates);
	}
	free(m->party);
	free(m->appr);
	free(m->hand);
	free(m->bytes.v);
	free(m->pixels.v);
	smap_free(&m->by_name);
	smap_free(&m->by_vkey);
	smap_free(&m->revoked_vkeys);
	free(m);
}

static char *
dup_or_null(const char *s)
{
	return s ? prov_xstrdup(s) : NULL;
}

/* bsearch comparators: approvals and handoffs are kept in entry order. */
static int
approval_cmp(const void *key, const void *elem)
{
	int64_t k = *(const int64_t *)key, e = ((const struct lean_approval *)elem)->entry;

	return (k > e) - (k < e);
}

static int
handoff_cmp(const void *key, const void *elem)
{
	uint64_t k = *(const uint64_t *)key, e = ((const struct lean_handoff *)elem)->seq;

	return (k > e) - (k < e);
}

/* Index of the approval made by entry, or SIZE_MAX. */
static size_t
lean_approval_at(const struct lean *m, int64_t entry)
{
	const struct lean_approval *a;

	if (m->nappr == 0)
		return SIZE_MAX;
	a = bsearch(&entry, m->appr, m->nappr, sizeof(*m->appr), approval_cmp);
	return a != NULL ? (size_t)(a - m->appr) : SIZE_MAX;
}

static const struct lean_handoff *
lean_handoff_at(const struct lean *m, uint64_t seq)
{
	if (m->nhand == 0)
		return NULL;
	return bsearch(&seq, m->hand, m->nhand, sizeof(*m->hand), handoff_cmp);
}

/* The delegates an approval names, as the file's query reads them with
 * json_each(): the strings of an array (or the values of an object), or
 * the string itself. */
static void
lean_delegates(struct lean_approval *a, json_t *d)
{
	size_t i, n = json_is_array(d) ? json_array_size(d) : json_is_object(d) ?
	    json_object_size(d) : json_is_string(d) ? 1 : 0;
	const char *k;
	json_t *v;

	a->delegates = prov_xcalloc(n ? n : 1, sizeof(*a->delegates));
	if (json_is_string(d))
		a->delegates[a->ndelegates++] = prov_xstrdup(json_string_value(d));
	else if (json_is_array(d)) {
		for (i = 0; i < n; i++)
			if (json_is_string(json_array_get(d, i)))
				a->delegates[a->ndelegates++] =
				    prov_xstrdup(json_string_value(json_array_get(d, i)));
	} else if (json_is_object(d))
		json_object_foreach(d, k, v)
			if (json_is_string(v))
				a->delegates[a->ndelegates++] = prov_xstrdup(json_string_value(v));
}

/* What an entry adds to the verify-only state (index_entry's part). */
static int
lean_index(struct prov_ledger *l, uint64_t seq, const char *type, json_t *body)
{
	struct lean *m = l->lean;
	json_t *arts;
	size_t k;

	if (strcmp(type, "party") == 0) {
		struct lean_party *p;
		if (m->nparty == m->aparty) {
			m->aparty = m->aparty ? 2 * m->aparty : 16;
			m->party = prov_xrealloc(m->party, m->aparty * sizeof(*m->party));
		}
		p = &m->party[m->nparty];
		p->name = prov_xstrdup(str(body, "name"));
		p->role = prov_xstrdup(str(body, "role"));
		p->vkey = prov_xstrdup(str(body, "vkey"));
		p->approvals = SIZE_MAX;
		smap_put(&m->by_name, p->name, m->nparty);
		smap_put(&m->by_vkey, p->vkey, m->nparty);
		m->nparty++;
	} else if (strcmp(type, "approval") == 0) {
		struct lean_approval *a;
		size_t p = smap_get(&m->by_name, str(body, "party"));
		if (p == SIZE_MAX)
			return -1;	/* check_body made sure it is a party */
		if (m->nappr == m->aappr) {
			m->aappr = m->aappr ? 2 * m->aappr : 16;
			m->appr = prov_xrealloc(m->appr, m->aappr * sizeof(*m->appr));
		}
		a = &m->appr[m->nappr];
		memset(a, 0, sizeof(*a));
		a->entry = (int64_t)seq;
		a->project = prov_xstrdup(str(body, "project"));
		a->from = dup_or_null(str(body, "from"));
		a->until = dup_or_null(str(body, "until"));
		lean_delegates(a, json_object_get(body, "may_delegate_to"));
		a->next = m->party[p].approvals;
		m->party[p].approvals = m->nappr++;
	} else if (strcmp(type, "revocation") == 0) {
		json_t *t = json_object_get(body, "entry");
		if (t) {
			size_t i = lean_approval_at(m, (int64_t)json_integer_value(t));
			if (i != SIZE_MAX)
				m->appr[i].revoked = 1;
		} else if (str(body, "vkey"))
			smap_put(&m->revoked_vkeys, str(body, "vkey"), 1);
	} else if (strcmp(type, "handoff") == 0) {
		struct lean_handoff *h;
		const char *root = str(json_object_get(body, "manifest"), "root");
		size_t to = smap_get(&m->by_name, str(body, "to"));
		if (to == SIZE_MAX || root == NULL || strlen(root) != 2 * PROV_HASH_LEN)
			return -1;	/* derived_members and check_body checked both */
		if (m->nhand == m->ahand) {
			m->ahand = m->ahand ? 2 * m->ahand : 64;
			m->hand = prov_xrealloc(m->hand, m->ahand * sizeof(*m->hand));
		}
		h = &m->hand[m->nhand];
		h->seq = seq;
		h->to = to;
		if (prov_unhex(root, h->root, PROV_HASH_LEN) != 0)
			return -1;
		m->nhand++;
		arts = json_object_get(json_object_get(body, "manifest"), "artifacts");
		for (k = 0; k < json_array_size(arts); k++) {
			json_t *a = json_array_get(arts, k);
			if (amap_put(&m->bytes, str(a, "sha256"), seq, k) != 0 ||
			    amap_put(&m->pixels, str(a, "pixels"), seq, k) != 0)
				return -1;
		}
	}
	return 0;
}

int
prov_ledger_open_verifier(struct prov_ledger **out,
    int (*fetch)(void *ctx, uint64_t seq, struct prov_buf *bytes, struct prov_err *e),
    void *fetch_ctx, struct prov_err *e)
{
	struct prov_ledger *l = prov_xcalloc(1, sizeof(*l));

	(void)e;
	prov_keycache_init(&l->keys);
	l->lean = prov_xcalloc(1, sizeof(*l->lean));
	l->fetch = fetch;
	l->fetch_ctx = fetch_ctx;
	*out = l;
	return PROV_OK;
}

/* ---------------------------------------------------------------- checks */

/* "YYYY-MM-DDTHH:MM:SSZ" */
static int
valid_time(const char *t)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	size_t i;

	if (t == NULL || strlen(t) != sizeof(shape) - 1)
		return 0;
	for (i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != shape[i])
			return 0;
	return 1;
}

/* Absent, or a date "YYYY-MM-DD". */
static int
valid_date(json_t *v)
{
	char t[32];

	if (v == NULL)
		return 1;
	if (!json_is_string(v) || json_string_length(v) != 10)
		return 0;
	snprintf(t, sizeof(t), "%sT00:00:00Z", json_string_value(v));
	return valid_time(t);
}

/* The party (or operator) a verifier key speaks for: role and name. */
static int
signer_of(struct prov_ledger *l, const char *vkey, char *name, size_t nlen, char *role,
    size_t rlen)
{
	sqlite3_stmt *st;
	int found = 0;

	if (vkey == NULL)
		return 0;
	if (l->lean) {
		size_t p = smap_get(&l->lean->by_vkey, vkey);
		if (p != SIZE_MAX && smap_get(&l->lean->revoked_vkeys, vkey) == SIZE_MAX) {
			copy_str(name, nlen, l->lean->party[p].name);
			copy_str(role, rlen, l->lean->party[p].role);
			found = 1;
		}
	} else {
		if (sqlite3_prepare_v2(l->db,
		    "SELECT name, role, EXISTS (SELECT 1 FROM revocations WHERE revocations.vkey = parties.vkey)"
		    " FROM parties WHERE vkey = ?", -1, &st, NULL) != SQLITE_OK)
			return 0;
		sqlite3_bind_text(st, 1, vkey, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 2) == 0) {
			copy_str(name, nlen, (const char *)sqlite3_column_text(st, 0));
			copy_str(role, rlen, (const char *)sqlite3_column_text(st, 1));
			found = 1;
		}
		sqlite3_finalize(st);
	}
	if (!found && strcmp(vkey, l->operator_vkey) == 0) {
		copy_str(name, nlen, l->operator_name);
		copy_str(role, rlen, "operator");
		found = 1;
	}
	return found;
}

static char *
party_role(struct prov_ledger *l, const char *name)
{
	if (l->lean) {
		size_t p = smap_get(&l->lean->by_name, name);
		return p == SIZE_MAX ? NULL : prov_xstrdup(l->lean->party[p].role);
	}
	return name ? query_text(l, "SELECT role FROM parties WHERE name = ?", name) : NULL;
}

/* The name of the party whose key vkey is, or NULL; to be freed. */
static char *
party_of_key(struct prov_ledger *l, const char *vkey)
{
	if (l->lean) {
		size_t p = smap_get(&l->lean->by_vkey, vkey);
		return p == SIZE_MAX ? NULL : prov_xstrdup(l->lean->party[p].name);
	}
	return query_text(l, "SELECT name FROM parties WHERE vkey = ?", vkey);
}

/* Is entry an approval?  (The text of its number, as the file's query
 * compares it.) */
static int
is_approval(struct prov_ledger *l, json_int_t entry)
{
	char num[32], *r;

	if (l->lean)
		return lean_approval_at(l->lean, (int64_t)entry) != SIZE_MAX;
	snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, entry);
	if ((r = query_text(l, "SELECT entry FROM approvals WHERE entry = ?", num)) == NULL)
		return 0;
	free(r);
	return 1;
}

/* The verify-only state's approved(). */
static int
lean_approved(const struct lean *m, const char *party, const char *project, const char *date,
    const char *delegate)
{
	size_t p = smap_get(&m->by_name, party), i, j;

	if (p == SIZE_MAX || project == NULL)
		return 0;
	for (i = m->party[p].approvals; i != SIZE_MAX; i = m->appr[i].next) {
		const struct lean_approval *a = &m->appr[i];
		if (a->revoked || strcmp(a->project, project) != 0 ||
		    (a->from && strcmp(a->from, date) > 0) || (a->until && strcmp(a->until, date) < 0))
			continue;
		if (delegate == NULL)
			return 1;
		for (j = 0; j < a->ndelegates; j++)
			if (strcmp(a->delegates[j], delegate) == 0)
				return 1;
	}
	return 0;
}

/* Is there an active approval of party for project at date (YYYY-MM-DD)?
 * With delegate, one whose delegates include that party. */
static int
approved(struct prov_ledger *l, const char *party, const char *project, const char *date,
    const char *delegate)
{
	sqlite3_stmt *st;
	int ok = 0;

	if (l->lean)
		return lean_approved(l->lean, party, project, date, delegate);
	if (sqlite3_prepare_v2(l->db,
	    "SELECT 1 FROM approvals a WHERE party = ?1 AND project = ?2"
	    " AND (valid_from IS NULL OR valid_from <= ?3)"
	    " AND (valid_until IS NULL OR valid_until >= ?3)"
	    " AND NOT EXISTS (SELECT 1 FROM revocations r WHERE r.target = a.entry)"
	    " AND (?4 IS NULL OR EXISTS (SELECT 1 FROM json_each(a.delegates) WHERE value = ?4))",
	    -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, party, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, project, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, date, -1, SQLITE_TRANSIENT);
	if (delegate)
		sqlite3_bind_text(st, 4, delegate, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 4);
	ok = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return ok;
}

/*
 * The coverage rule: the receiver holds an active approval for the project,
 * and the sender is a studio (or the operator) or holds an active approval
 * for the project that may delegate to the receiver.  On a miss, why.
 */
static int
covered(struct prov_ledger *l, json_t *body, const char *sender_role, const char *date,
    struct prov_buf *why)
{
	const char *from = str(body, "from"), *to = str(body, "to"), *project = str(body, "project");

	if (!approved(l, to, project, date, NULL)) {
		prov_buf_addf(why, "%s holds no active approval for %s", to, project);
		return 0;
	}
	if (strcmp(sender_role, "studio") == 0 || strcmp(sender_role, "operator") == 0)
		return 1;
	if (!approved(l, from, project, date, to)) {
		prov_buf_addf(why, "no approval of %s for %s allows handing work on to %s", from,
		    project, to);
		return 0;
	}
	return 1;
}

/* The manifest of a handoff, receipt or sighting: root and count. */
static int
manifest_of(json_t *body, const char *key, unsigned char root[PROV_HASH_LEN], size_t *count,
    struct prov_err *e)
{
	json_t *arts = json_object_get(body, key);

	if (arts == NULL) {
		*count = 0;
		prov_sha256("", 0, root);	/* the empty tree */
		return PROV_OK;
	}
	*count = json_array_size(arts);
	return prov_manifest_root(arts, root, e);
}

/* The artifacts of from whose sha256 none of against has, as
 * {"path", "sha256"} in from's order. */
static json_t *
missing_from(json_t *from, json_t *against)
{
	json_t *seen = json_object(), *out = json_array();
	size_t i;

	for (i = 0; i < json_array_size(against); i++) {
		const char *h = str(json_array_get(against, i), "sha256");
		if (h)
			json_object_set_new(seen, h, json_true());
	}
	for (i = 0; i < json_array_size(from); i++) {
		json_t *a = json_array_get(from, i), *d;
		const char *h = str(a, "sha256");
		if (h == NULL || json_object_get(seen, h))
			continue;
		d = json_pack("{s:s}", "sha256", h);
		if (str(a, "path"))
			json_object_set_new(d, "path", json_string(str(a, "path")));
		json_array_append_new(out, d);
	}
	json_decref(seen);
	return out;
}

/* A receipt's "differences" from its handoff's manifest. */
static json_t *
differences(json_t *handoff_arts, json_t *receipt_arts)
{
	return json_pack("{s:o,s:o}", "missing", missing_from(handoff_arts, receipt_arts),
	    "unexpected", missing_from(receipt_arts, handoff_arts));
}

static int check_sighting(struct prov_ledger *l, json_t *body, struct prov_err *e);

/* Checks (derive = 0) or fills in (derive = 1) the members the ledger
 * derives, for an entry of this type by a signer of this role. */
static int
derived_members(struct prov_ledger *l, const char *type, json_t *body, const char *role,
    const char *date, int derive, struct prov_err *e)
{
	unsigned char root[PROV_HASH_LEN];
	char hex[2 * PROV_HASH_LEN + 1];
	size_t count;
	int rc;

	if (strcmp(type, "handoff") == 0) {
		struct prov_buf why = PROV_BUF_INIT;
		json_t *man = json_object_get(body, "manifest");
		int cov;

		if (str(body, "from") == NULL || str(body, "to") == NULL || str(body, "project") == NULL)
			return prov_seterr(e, PROV_FAILED, 0, "handoff: needs from, to and project");
		if (!json_is_object(man) || !json_is_array(json_object_get(man, "artifacts")))
			return prov_seterr(e, PROV_FAILED, 0, "handoff: no manifest artifacts");
		if ((rc = manifest_of(man, "artifacts", root, &count, e)) != PROV_OK)
			return rc;
		prov_hex(root, sizeof(root), hex);
		cov = covered(l, body, role, date, &why);
		if (derive) {
			json_object_set_new(man, "root", json_string(hex));
			json_object_set_new(man, "count", json_integer((json_int_t)count));
			json_object_set_new(body, "covered", json_boolean(cov));
			if (!cov)
				json_object_set_new(body, "uncovered_reason", json_string(why.buf));
		} else if (str(man, "root") == NULL || strcmp(str(man, "root"), hex) != 0 ||
		    json_integer_value(json_object_get(man, "count")) != (json_int_t)count) {
			prov_buf_release(&why);
			return prov_seterr(e, PROV_FAILED, 0,
			    "handoff: manifest root or count does not match its artifacts");
		} else if (json_is_true(json_object_get(body, "covered")) != cov) {
			prov_buf_release(&why);
			return prov_seterr(e, PROV_FAILED, 0,
			    "handoff: \"covered\" says %s, the approvals say otherwise",
			    cov ? "false" : "true");
		}
		prov_buf_release(&why);
	} else if (strcmp(type, "receipt") == 0) {
		json_int_t h = json_integer_value(json_object_get(body, "handoff"));
		struct prov_buf bytes = PROV_BUF_INIT;
		json_t *entry, *hb, *diff;
		const char *want, *to;
		int matches;

		if ((rc = manifest_of(body, "artifacts", root, &count, e)) != PROV_OK)
			return rc;
		prov_hex(root, sizeof(root), hex);
		if (l->lean) {
			/* The handoff's receiver and root are kept; its artifacts
			 * are read again only to name the differences. */
			const struct lean_handoff *lh = h < 0 || (uint64_t)h >= l->size ? NULL :
			    lean_handoff_at(l->lean, (uint64_t)h);
			if (h < 0 || (uint64_t)h >= l->size)
				return prov_seterr(e, PROV_FAILED, 0, "receipt: no handoff %" JSON_INTEGER_FORMAT, h);
			if (lh == NULL)
				return prov_seterr(e, PROV_FAILED, 0, "receipt: entry %" JSON_INTEGER_FORMAT
				    " is not a handoff", h);
			matches = memcmp(lh->root, root, PROV_HASH_LEN) == 0;
			to = l->lean->party[lh->to].name;
			entry = NULL;
			hb = NULL;
			if (!matches) {
				if (prov_ledger_entry(l, (uint64_t)h, &bytes, e) != PROV_OK ||
				    (entry = json_loadb(bytes.buf, bytes.len, 0, NULL)) == NULL) {
					prov_buf_release(&bytes);
					return prov_seterr(e, PROV_FAILED, 0, "receipt: no handoff %"
					    JSON_INTEGER_FORMAT, h);
				}
				prov_buf_release(&bytes);
				hb = json_object_get(entry, "body");
			}
		} else {
			if (h < 0 || (uint64_t)h >= l->size ||
			    prov_ledger_entry(l, (uint64_t)h, &bytes, e) != PROV_OK ||
			    (entry = json_loadb(bytes.buf, bytes.len, 0, NULL)) == NULL) {
				prov_buf_release(&bytes);
				return prov_seterr(e, PROV_FAILED, 0, "receipt: no handoff %" JSON_INTEGER_FORMAT, h);
			}
			prov_buf_release(&bytes);
			hb = json_object_get(entry, "body");
			want = str(json_object_get(hb, "manifest"), "root");
			if (strcmp(str(entry, "type"), "handoff") != 0 || want == NULL) {
				json_decref(entry);
				return prov_seterr(e, PROV_FAILED, 0, "receipt: entry %" JSON_INTEGER_FORMAT
				    " is not a handoff", h);
			}
			matches = strcmp(want, hex) == 0;
			to = str(hb, "to");
		}
		diff = matches ? NULL : differences(json_object_get(json_object_get(hb, "manifest"),
		    "artifacts"), json_object_get(body, "artifacts"));
		if (derive) {
			json_object_set_new(body, "manifest_root", json_string(hex));
			json_object_set_new(body, "matches", json_boolean(matches));
			if (diff)
				json_object_set(body, "differences", diff);
		} else if (str(body, "manifest_root") == NULL ||
		    strcmp(str(body, "manifest_root"), hex) != 0 ||
		    json_is_true(json_object_get(body, "matches")) != matches ||
		    (diff ? !json_equal(diff, json_object_get(body, "differences")) :
		    json_object_get(body, "differences") != NULL)) {
			json_decref(diff);
			json_decref(entry);
			return prov_seterr(e, PROV_FAILED, 0,
			    "receipt: manifest root, verdict or differences do not match its artifacts");
		}
		json_decref(diff);
		/* Passed to check_body() in a private member (never signed or
		 * stored): the receiver must be the handoff's "to". */
		json_object_set_new(body, "\x01to", json_string(to));
		json_decref(entry);
	} else if (strcmp(type, "sighting") == 0)
		return check_sighting(l, body, e);
	return PROV_OK;
}

/* ------------------------------------------------------------- sightings */

/* The handoff entry seq, parsed once per check (cache: seq -> entry). */
static json_t *
cached_handoff(struct prov_ledger *l, json_t *cache, json_int_t seq)
{
	struct prov_buf bytes = PROV_BUF_INIT;
	char key[32];
	json_t *entry;

	snprintf(key, sizeof(key), "%" JSON_INTEGER_FORMAT, seq);
	if ((entry = json_object_get(cache, key)) != NULL)
		return json_is_object(entry) ? entry : NULL;
	entry = NULL;
	if (seq >= 0 && (uint64_t)seq < l->size && prov_ledger_entry(l, (uint64_t)seq, &bytes, NULL) == PROV_OK)
		entry = json_loadb(bytes.buf, bytes.len, 0, NULL);
	prov_buf_release(&bytes);
	if (entry == NULL || str(entry, "type") == NULL || strcmp(str(entry, "type"), "handoff") != 0) {
		json_decref(entry);
		json_object_set_new(cache, key, json_null());
		return NULL;
	}
	json_object_set_new(cache, key, entry);
	return entry;
}

/*
 * The handoff artifacts whose col ("sha256" or "pixels") is value, as
 * (seq << AMAP_INDEX_BITS | index), the first PROV_SIGHTING_MAX_MATCHES
 * in (seq, index) order: what prov_ledger_sighting_matches() lists.  From
 * the artifacts table, or for a verify-only ledger from its maps, each
 * candidate compared with the handoff's record.  Returns how many, or -1
 * (e set).
 */
static long
exact_matches(struct prov_ledger *l, json_t *cache, const char *col, const char *value,
    uint64_t out[PROV_SIGHTING_MAX_MATCHES], struct prov_err *e)
{
	struct prov_buf sql = PROV_BUF_INIT;
	sqlite3_stmt *st;
	uint64_t *cand;
	size_t ncand, k;
	long n = 0;
	int rc;

	if (l->lean) {
		cand = amap_get(strcmp(col, "sha256") == 0 ? &l->lean->bytes : &l->lean->pixels,
		    value, &ncand);
		for (k = 0; k < ncand && n < PROV_SIGHTING_MAX_MATCHES; k++) {
			uint64_t seq = cand[k] >> AMAP_INDEX_BITS;
			size_t idx = (size_t)(cand[k] & (((uint64_t)1 << AMAP_INDEX_BITS) - 1));
			json_t *h = cached_handoff(l, cache, (json_int_t)seq), *rec;
			rec = json_array_get(json_object_get(json_object_get(json_object_get(h, "body"),
			    "manifest"), "artifacts"), idx);
			if (str(rec, col) && strcmp(str(rec, col), value) == 0)
				out[n++] = cand[k];
		}
		free(cand);
		return n;
	}
	prov_buf_addf(&sql, "SELECT a.entry, a.n FROM artifacts a JOIN entries e ON e.seq = a.entry"
	    " WHERE a.%s = ? AND e.type = 'handoff' ORDER BY a.entry, a.n LIMIT %d", col,
	    PROV_SIGHTING_MAX_MATCHES);
	rc = sqlite3_prepare_v2(l->db, sql.buf, -1, &st, NULL);
	prov_buf_release(&sql);
	if (rc != SQLITE_OK)
		return db_err(l, e, "sighting matches"), -1;
	sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < PROV_SIGHTING_MAX_MATCHES)
		out[n++] = ((uint64_t)sqlite3_column_int64(st, 0) << AMAP_INDEX_BITS) |
		    (uint64_t)sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_err(l, e, "sighting matches"), -1;
	return n;
}

/*
 * A sighting's matches must be complete for exact matches: for each of
 * its artifacts, every earlier handoff artifact with the same bytes is
 * listed as a "bytes" match, and when there is none, every one with the
 * same pixels as a "pixels" match (the first PROV_SIGHTING_MAX_MATCHES of
 * each, in entry order, as prov_ledger_sighting_matches() derives them).
 * Exact matches are facts of the ledger; a sighting that left one out
 * would hide a path the copy may have left through.  Perceptual matches
 * are not required: which distance counts as the same picture is the
 * finder's choice (--distance), so only the ones listed are checked.
 */
static int
check_complete(struct prov_ledger *l, json_t *arts, json_t *matches, json_t *cache,
    struct prov_err *e)
{
	static const char *const col[2] = { "sha256", "pixels" }, *const how[2] = { "bytes", "pixels" };
	uint64_t found[PROV_SIGHTING_MAX_MATCHES];
	json_t *claimed = json_object();
	char key[96];
	size_t i, k;
	long n, j;
	int rc = PROV_OK, p;

	for (k = 0; k < json_array_size(matches); k++) {
		json_t *m = json_array_get(matches, k);
		snprintf(key, sizeof(key), "%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT "/%"
		    JSON_INTEGER_FORMAT "/%s", json_integer_value(json_object_get(m, "artifact")),
		    json_integer_value(json_object_get(m, "entry")),
		    json_integer_value(json_object_get(m, "index")), str(m, "how"));
		json_object_set_new(claimed, key, json_true());
	}
	for (i = 0; rc == PROV_OK && i < json_array_size(arts); i++) {
		json_t *a = json_array_get(arts, i);
		for (p = 0; rc == PROV_OK && p < 2; p++) {
			if (str(a, col[p]) == NULL)
				continue;
			if ((n = exact_matches(l, cache, col[p], str(a, col[p]), found, e)) < 0) {
				rc = PROV_FATAL;
				break;
			}
			for (j = 0; rc == PROV_OK && j < n; j++) {
				uint64_t seq = found[j] >> AMAP_INDEX_BITS;
				uint64_t idx = found[j] & (((uint64_t)1 << AMAP_INDEX_BITS) - 1);
				struct prov_buf mine = PROV_BUF_INIT, theirs = PROV_BUF_INIT;
				json_t *h, *rec;
				const char *mp = str(a, "path"), *tp;
				snprintf(key, sizeof(key), "%zu/%" PRIu64 "/%" PRIu64 "/%s", i, seq, idx,
				    how[p]);
				if (json_object_get(claimed, key))
					continue;
				h = cached_handoff(l, cache, (json_int_t)seq);
				rec = json_array_get(json_object_get(json_object_get(json_object_get(h,
				    "body"), "manifest"), "artifacts"), (size_t)idx);
				tp = str(rec, "path");
				prov_escape(&mine, mp ? mp : "", mp ? strlen(mp) : 0);
				prov_escape(&theirs, tp ? tp : "", tp ? strlen(tp) : 0);
				rc = prov_seterr(e, PROV_FAILED, 0, "sighting: artifact %zu (%s) has the %s"
				    " of handoff %" PRIu64 " artifact %" PRIu64 " (%s), and its matches omit it",
				    i, mine.buf, how[p], seq, idx, theirs.buf);
				prov_buf_release(&mine);
				prov_buf_release(&theirs);
			}
			if (n > 0)
				break;	/* pixels only for what no handoff has the bytes of */
		}
	}
	json_decref(claimed);
	return rc;
}

/*
 * A sighting's "matches": each says that its artifact "artifact" is the
 * artifact "index" of the earlier handoff "entry", by "how": "bytes" (the
 * same sha256), "pixels" (the same pixels v1 hash) or "perceptual" (the
 * PDQ hashes "distance" apart, the found image being the stored one turned
 * by "transform" when one is given: prov_pdq_records_nearest(), deriving
 * the variant from the hash bits as the match did).  Every claim is
 * checked here, when the sighting is appended, imported or replayed by an
 * audit.
 */
static int
check_sighting(struct prov_ledger *l, json_t *body, struct prov_err *e)
{
	json_t *matches = json_object_get(body, "matches"), *arts = json_object_get(body, "artifacts");
	json_t *cache;
	size_t k;
	int rc = PROV_OK;

	if (matches != NULL && !json_is_array(matches))
		return prov_seterr(e, PROV_FAILED, 0, "sighting: matches must be an array");
	cache = json_object();
	for (k = 0; rc == PROV_OK && k < json_array_size(matches); k++) {
		json_t *m = json_array_get(matches, k), *entry, *rec, *mine;
		json_t *ja = json_object_get(m, "artifact"), *je = json_object_get(m, "entry");
		json_t *ji = json_object_get(m, "index"), *jd = json_object_get(m, "distance");
		const char *how = str(m, "how"), *tr = str(m, "transform");
		int perceptual = how && strcmp(how, "perceptual") == 0, d, t = PROV_PDQ_ORIGINAL;
		struct prov_pdq_pair pp;

		/* "transform" names a variant other than the upright one. */
		if (tr != NULL)
			for (t = PROV_PDQ_ROT90; t <= PROV_PDQ_FLIPMINUS1; t++)
				if (strcmp(tr, prov_pdq_variant_name(t)) == 0)
					break;
		if (!json_is_integer(ja) || !json_is_integer(je) || !json_is_integer(ji) ||
		    how == NULL || (json_object_get(m, "transform") && (!perceptual || tr == NULL ||
		    t > PROV_PDQ_FLIPMINUS1)) ||
		    json_object_size(m) != (size_t)(perceptual ? 5 : 4) + (tr != NULL) ||
		    (perceptual && !json_is_integer(jd)) || json_integer_value(ja) < 0 ||
		    (mine = json_array_get(arts, (size_t)json_integer_value(ja))) == NULL ||
		    json_integer_value(ji) < 0) {
			rc = prov_seterr(e, PROV_FAILED, 0, "sighting: match %zu is malformed", k);
			break;
		}
		if ((entry = cached_handoff(l, cache, json_integer_value(je))) == NULL) {
			rc = prov_seterr(e, PROV_FAILED, 0, "sighting: match %zu: entry %"
			    JSON_INTEGER_FORMAT " is no earlier handoff", k, json_integer_value(je));
			break;
		}
		rec = json_array_get(json_object_get(json_object_get(json_object_get(entry, "body"),
		    "manifest"), "artifacts"), (size_t)json_integer_value(ji));
		if (rec == NULL)
			rc = prov_seterr(e, PROV_FAILED, 0, "sighting: match %zu: handoff %"
			    JSON_INTEGER_FORMAT " has no artifact %" JSON_INTEGER_FORMAT, k,
			    json_integer_value(je), json_integer_value(ji));
		else if (strcmp(how, "bytes") == 0) {
			if (str(mine, "sha256") == NULL || str(rec, "sha256") == NULL ||
			    strcmp(str(mine, "sha256"), str(rec, "sha256")) != 0)
				rc = prov_seterr(e, PROV_FAILED, 0, "sighting: match %zu: the bytes differ", k);
		} else if (strcmp(how, "pixels") == 0) {
			if (str(mine, "pixels") == NULL || str(rec, "pixels") == NULL ||
			    strcmp(str(mine, "pixels"), str(rec, "pixels")) != 0)
				rc = prov_seterr(e, PROV_FAILED, 0, "sighting: match %zu: the pixels differ", k);
		} else if (perceptual) {
			if ((d = prov_pdq_records_nearest(mine, rec, t, &pp)) != json_integer_value(jd))
				rc = prov_seterr(e, PROV_FAILED, 0, "sighting: match %zu: distance %"
				    JSON_INTEGER_FORMAT " recorded, the PDQ hashes are %d apart%s%s", k,
				    json_integer_value(jd), d, tr ? " as " : "", tr ? tr : "");
		} else
			rc = prov_seterr(e, PROV_FAILED, 0, "sighting: match %zu: how is bytes, pixels or perceptual", k);
	}
	if (rc == PROV_OK)
		rc = check_complete(l, arts, matches, cache, e);
	json_decref(cache);
	return rc;
}

/* Handoff artifacts whose column col is value, as matches of artifact i. */
static int
matches_by(struct prov_ledger *l, const char *col, const char *value, size_t i,
    const char *how, json_t *out, struct prov_err *e)
{
	struct prov_buf sql = PROV_BUF_INIT;
	sqlite3_stmt *st;
	int n = 0, rc;

	if (value == NULL)
		return 0;
	prov_buf_addf(&sql, "SELECT a.entry, a.n FROM artifacts a JOIN entries e ON e.seq = a.entry"
	    " WHERE a.%s = ? AND e.type = 'handoff' ORDER BY a.entry, a.n LIMIT %d", col,
	    PROV_SIGHTING_MAX_MATCHES);
	rc = sqlite3_prepare_v2(l->db, sql.buf, -1, &st, NULL);
	prov_buf_release(&sql);
	if (rc != SQLITE_OK)
		return db_err(l, e, "sighting matches"), -1;
	sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_array_append_new(out, json_pack("{s:I,s:I,s:I,s:s}", "artifact", (json_int_t)i,
		    "entry", (json_int_t)sqlite3_column_int64(st, 0),
		    "index", (json_int_t)sqlite3_column_int64(st, 1), "how", how));
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(l, e, "sighting matches"), -1;
	return n;
}

int
prov_ledger_sighting_matches(struct prov_ledger *l, const struct prov_pdqidx *x,
    const json_t *artifacts, int maxdist, unsigned nthreads, json_t **out, struct prov_err *e)
{
	size_t n = json_array_size(artifacts), i, nq = 0, k;
	json_t **per = prov_xcalloc(n + 1, sizeof(*per)), **q = prov_xcalloc(n + 1, sizeof(*q));
	size_t *qi = prov_xcalloc(n + 1, sizeof(*qi));
	struct prov_pdq_matches m;
	int rc = PROV_OK, got;

	*out = NULL;
	for (i = 0; rc == PROV_OK && i < n; i++) {
		json_t *a = json_array_get(artifacts, i);
		per[i] = json_array();
		if ((got = matches_by(l, "sha256", str(a, "sha256"), i, "bytes", per[i], e)) == 0)
			got = matches_by(l, "pixels", str(a, "pixels"), i, "pixels", per[i], e);
		if (got < 0)
			rc = PROV_FATAL;
		else if (got == 0 && x != NULL && maxdist >= 0) {
			qi[nq] = i;
			q[nq++] = a;
		}
	}
	if (rc == PROV_OK && nq > 0 &&
	    (rc = prov_pdq_match_records(x, l, q, nq, maxdist, nthreads ? nthreads : 1,
		    PROV_PDQ_MATCH_DIHEDRAL, &m, e)) == PROV_OK) {
		for (k = 0; k < m.n; k++) {
			const struct prov_pdq_match *p = &m.v[k];
			json_t *a = per[qi[p->query]];
			if (strcmp(p->type, "handoff") != 0 || json_array_size(a) >= PROV_SIGHTING_MAX_MATCHES)
				continue;
			json_array_append_new(a, json_pack("{s:I,s:I,s:I,s:s,s:i}", "artifact",
			    (json_int_t)qi[p->query], "entry", (json_int_t)p->entry, "index",
			    (json_int_t)p->artifact, "how", "perceptual", "distance", p->distance));
			/* A rotated or mirrored copy: check_sighting verifies it so. */
			if (p->transform != PROV_PDQ_ORIGINAL)
				json_object_set_new(json_array_get(a, json_array_size(a) - 1),
				    "transform", json_string(prov_pdq_variant_name(p->transform)));
		}
		prov_pdq_matches_release(&m);
	}
	if (rc == PROV_OK) {
		*out = json_array();
		for (i = 0; i < n; i++)
			json_array_extend(*out, per[i]);
	}
	for (i = 0; i < n; i++)
		json_decref(per[i]);
	free(per);
	free(q);
	free(qi);
	return rc;
}

/* Authority and shape of an entry's body; role is the signer's. */
static int
check_body(struct prov_ledger *l, const char *type, json_t *body, const char *author,
    const char *role, struct prov_err *e)
{
	int studio = strcmp(role, "studio") == 0 || strcmp(role, "operator") == 0;
	char *r;

	if (strcmp(type, "party") == 0) {
		struct prov_key k;
		const char *v = str(body, "vkey"), *pr = str(body, "role");
		int rc;
		if (!studio)
			return prov_seterr(e, PROV_FAILED, 0, "party: only the operator or a studio adds parties");
		if (str(body, "name") == NULL || pr == NULL || v == NULL ||
		    (strcmp(pr, "studio") && strcmp(pr, "vendor") && strcmp(pr, "subcontractor")))
			return prov_seterr(e, PROV_FAILED, 0, "party: needs name, role (studio, vendor or subcontractor) and vkey");
		prov_key_init(&k);
		rc = prov_vkey_parse(&k, v, strlen(v), e);
		prov_key_release(&k);
		if (rc != PROV_OK)
			return rc;
		if ((r = party_role(l, str(body, "name"))) != NULL) {
			free(r);
			return prov_seterr(e, PROV_FAILED, 0, "party %s exists already", str(body, "name"));
		}
		if ((r = party_of_key(l, v)) != NULL) {
			prov_seterr(e, PROV_FAILED, 0, "that key belongs to party %s already", r);
			free(r);
			return PROV_FAILED;
		}
	} else if (strcmp(type, "approval") == 0 || strcmp(type, "revocation") == 0) {
		if (!studio)
			return prov_seterr(e, PROV_FAILED, 0, "%s: only the operator or a studio may sign one", type);
		if (strcmp(type, "approval") == 0) {
			if (str(body, "project") == NULL || (r = party_role(l, str(body, "party"))) == NULL)
				return prov_seterr(e, PROV_FAILED, 0, "approval: unknown party %s",
				    str(body, "party") ? str(body, "party") : "(none)");
			free(r);
			/* Dates are compared as text with the entry's date. */
			if (!valid_date(json_object_get(body, "from")) ||
			    !valid_date(json_object_get(body, "until")))
				return prov_seterr(e, PROV_FAILED, 0,
				    "approval: from and until are dates YYYY-MM-DD");
		} else if (json_object_get(body, "entry")) {
			json_int_t t = json_integer_value(json_object_get(body, "entry"));
			if (!is_approval(l, t))
				return prov_seterr(e, PROV_FAILED, 0, "revocation: entry %" JSON_INTEGER_FORMAT
				    " is not an approval", t);
		} else if (str(body, "vkey") == NULL)
			return prov_seterr(e, PROV_FAILED, 0, "revocation: needs an entry or a vkey");
	} else if (strcmp(type, "handoff") == 0) {
		if (str(body, "from") == NULL || strcmp(str(body, "from"), author) != 0)
			return prov_seterr(e, PROV_FAILED, 0, "handoff: must be signed by its sender");
		if (str(body, "project") == NULL)
			return prov_seterr(e, PROV_FAILED, 0, "handoff: needs a project");
		if ((r = party_role(l, str(body, "to"))) == NULL)
			return prov_seterr(e, PROV_FAILED, 0, "handoff: unknown party %s",
			    str(body, "to") ? str(body, "to") : "(none)");
		free(r);
	} else if (strcmp(type, "receipt") == 0) {
		if (str(body, "\x01to") == NULL || strcmp(str(body, "\x01to"), author) != 0)
			return prov_seterr(e, PROV_FAILED, 0, "receipt: must be signed by the handoff's receiver");
	} else if (strcmp(type, "sighting") != 0)
		return prov_seterr(e, PROV_FAILED, 0, "unknown entry type %s", type);
	return PROV_OK;
}

/* ---------------------------------------------------------------- writes */

struct node_ctx {
	struct prov_ledger *l;
	int failed;
};

static void
put_node(void *ctx, unsigned level, uint64_t index, const unsigned char hash[PROV_HASH_LEN])
{
	struct node_ctx *n = ctx;
	sqlite3_stmt *st = n->l->put_node;

	sqlite3_reset(st);
	sqlite3_bind_int(st, 1, (int)level);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)index);
	sqlite3_bind_blob(st, 3, hash, PROV_HASH_LEN, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE)
		n->failed = 1;
	sqlite3_reset(st);
}

/* Adds the leaf of the new entry to the stored tree. */
static int
add_leaf(struct prov_ledger *l, const char *bytes, size_t len, struct prov_err *e)
{
	struct node_ctx ctx = { l, 0 };
	struct prov_merkle m;
	unsigned char leaf[PROV_HASH_LEN];
	unsigned lv;

	if (l->put_node == NULL && sqlite3_prepare_v2(l->db,
	    "INSERT INTO nodes (level, idx, hash) VALUES (?, ?, ?)", -1, &l->put_node,
	    NULL) != SQLITE_OK)
		return db_err(l, e, "prepare");
	prov_merkle_init(&m, put_node, &ctx);
	/* The compact range of the tree so far: one stored subtree per set bit. */
	for (lv = 0; lv < 64; lv++)
		if ((l->size >> lv) & 1)
			if (get_node(l, lv, (l->size >> lv) - 1, m.nodes[lv], e) != PROV_OK)
				return PROV_FATAL;
	m.size = l->size;
	prov_merkle_leaf_hash(bytes, len, leaf);
	prov_merkle_add(&m, leaf);
	return ctx.failed ? db_err(l, e, "write tree") : PROV_OK;
}

static int
insert(struct prov_ledger *l, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int i, rc;

	if (sqlite3_prepare_v2(l->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	va_start(ap, fmt);
	for (i = 0; fmt[i]; i++) {
		if (fmt[i] == 'i')
			sqlite3_bind_int64(st, i + 1, va_arg(ap, sqlite3_int64));
		else if (fmt[i] == 'b') {
			const void *p = va_arg(ap, const void *);
			size_t n = va_arg(ap, size_t);
			sqlite3_bind_blob64(st, i + 1, p, n, SQLITE_TRANSIENT);
		} else {
			const char *s = va_arg(ap, const char *);
			if (s)
				sqlite3_bind_text(st, i + 1, s, -1, SQLITE_TRANSIENT);
			else
				sqlite3_bind_null(st, i + 1);
		}
	}
	va_end(ap);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	sqlite3_finalize(st);
	return rc;
}

/* One prepared statement for all the rows: a handoff may carry 10^5. */
static int
index_artifacts(struct prov_ledger *l, uint64_t seq, json_t *arts)
{
	sqlite3_stmt *st;
	size_t i;
	int rc = 0;

	if (json_array_size(arts) == 0)
		return 0;
	if (sqlite3_prepare_v2(l->db, "INSERT INTO artifacts (entry, n, path, sha256, pixels, pdq)"
	    " VALUES (?, ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		return -1;
	for (i = 0; rc == 0 && i < json_array_size(arts); i++) {
		json_t *a = json_array_get(arts, i);
		const char *v[4] = { str(a, "path"), str(a, "sha256"), str(a, "pixels"),
		    str(json_object_get(a, "pdq"), "hash") };
		int k;

		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
		for (k = 0; k < 4; k++)
			if (v[k])
				sqlite3_bind_text(st, 3 + k, v[k], -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(st, 3 + k);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = -1;
	}
	sqlite3_finalize(st);
	return rc;
}

/* What an entry adds to the derived tables. */
static int
index_entry(struct prov_ledger *l, uint64_t seq, const char *type, json_t *body)
{
	sqlite3_int64 s = (sqlite3_int64)seq;

	if (strcmp(type, "init") == 0)
		return insert(l, "INSERT INTO meta (key, value) VALUES ('origin', ?)", "s", str(body, "origin")) ||
		    insert(l, "INSERT INTO meta (key, value) VALUES ('operator', ?)", "s", str(body, "operator")) ||
		    insert(l, "INSERT INTO meta (key, value) VALUES ('operator_name', ?)", "s", l->operator_name);
	if (strcmp(type, "party") == 0)
		return insert(l, "INSERT INTO parties (name, role, vkey, entry) VALUES (?, ?, ?, ?)", "sssi",
		    str(body, "name"), str(body, "role"), str(body, "vkey"), s);
	if (strcmp(type, "approval") == 0) {
		json_t *d = json_object_get(body, "may_delegate_to"), *none = json_array();
		char *dj = json_dumps(d ? d : none, JSON_COMPACT);
		json_decref(none);
		int rc = insert(l, "INSERT INTO approvals (entry, party, project, valid_from, valid_until, delegates) VALUES (?, ?, ?, ?, ?, ?)",
		    "isssss", s, str(body, "party"), str(body, "project"), str(body, "from"),
		    str(body, "until"), dj ? dj : "[]");
		free(dj);
		return rc;
	}
	if (strcmp(type, "revocation") == 0) {
		json_t *t = json_object_get(body, "entry");
		return t ? insert(l, "INSERT INTO revocations (entry, target) VALUES (?, ?)", "ii", s,
		    (sqlite3_int64)json_integer_value(t)) :
		    insert(l, "INSERT INTO revocations (entry, vkey) VALUES (?, ?)", "is", s, str(body, "vkey"));
	}
	if (strcmp(type, "handoff") == 0)
		return index_artifacts(l, seq, json_object_get(json_object_get(body, "manifest"), "artifacts"));
	return index_artifacts(l, seq, json_object_get(body, "artifacts"));
}

/*
 * Checks entry obj (with its exact bytes) against the ledger and writes it
 * with everything derived from it, inside the caller's transaction.  The
 * state in l (size, last time, operator) moves on only on success; the
 * caller rolls back and reloads on failure.
 */
/*
 * The signed message of an entry: the canonical JSON of the entry without
 * "sig".  bytes are the canonical JSON of obj, whose seven members are
 * sorted (author, body, key, seq, sig, time, type), so the message is
 * bytes without the member ,"sig":"..." before "time" and "type": cut out
 * rather than made again from a copy.  Returns -1 when bytes do not end as
 * that says (then the caller encodes a copy).
 */
static int
signed_message(json_t *obj, const char *bytes, size_t len, struct prov_buf *msg)
{
	struct prov_buf tail = PROV_BUF_INIT, sig = PROV_BUF_INIT;
	int rc = -1;

	prov_buf_addstr(&sig, ",\"sig\":");
	prov_buf_addstr(&tail, ",\"time\":");
	if (prov_cjson_encode(json_object_get(obj, "sig"), &sig, NULL) == PROV_OK &&
	    prov_cjson_encode(json_object_get(obj, "time"), &tail, NULL) == PROV_OK) {
		prov_buf_addstr(&tail, ",\"type\":");
		if (prov_cjson_encode(json_object_get(obj, "type"), &tail, NULL) == PROV_OK) {
			prov_buf_addch(&tail, '}');
			if (len >= sig.len + tail.len &&
			    memcmp(bytes + len - tail.len, tail.buf, tail.len) == 0 &&
			    memcmp(bytes + len - tail.len - sig.len, sig.buf, sig.len) == 0) {
				prov_buf_add(msg, bytes, len - tail.len - sig.len);
				prov_buf_add(msg, tail.buf, tail.len);
				rc = 0;
			}
		}
	}
	prov_buf_release(&tail);
	prov_buf_release(&sig);
	return rc;
}

/* Does sig (base64) verify with k over the canonical JSON of obj (whose
 * canonical bytes are bytes) without "sig"?  Needs no ledger state. */
static int
signature_ok(struct prov_key *k, json_t *obj, const char *bytes, size_t len, const char *sig)
{
	struct prov_buf msg = PROV_BUF_INIT, sigbytes = PROV_BUF_INIT;
	int ok = 1;

	if (signed_message(obj, bytes, len, &msg) != 0) {
		json_t *unsigned_obj = json_deep_copy(obj);
		json_object_del(unsigned_obj, "sig");
		prov_buf_reset(&msg);
		ok = prov_cjson_encode(unsigned_obj, &msg, NULL) == PROV_OK;
		json_decref(unsigned_obj);
	}
	ok = ok && prov_base64_decode(sig, strlen(sig), &sigbytes) == 0 &&
	    sigbytes.len == PROV_SIG_LEN &&
	    prov_verify(k, msg.buf, msg.len, (unsigned char *)sigbytes.buf) == PROV_OK;
	prov_buf_release(&msg);
	prov_buf_release(&sigbytes);
	return ok;
}

/* The members every entry has (apply_entry's first checks). */
static int
entry_shape_ok(json_t *obj)
{
	return str(obj, "type") && str(obj, "author") && str(obj, "key") && str(obj, "sig") &&
	    json_is_object(json_object_get(obj, "body")) && json_object_size(obj) == 7;
}

void
prov_ledger_precheck(struct prov_keycache *c, const char *bytes, size_t len,
    struct prov_ledger_pre *p)
{
	struct prov_key *k;

	p->obj = NULL;
	p->sig = -1;
	prov_err_clear(&p->err);
	prov_merkle_leaf_hash(bytes, len, p->leaf);
	if ((p->rc = prov_cjson_check(bytes, len, &p->obj, &p->err)) != PROV_OK)
		return;
	if (!json_is_object(p->obj) || !entry_shape_ok(p->obj) ||
	    prov_keycache_get(c, str(p->obj, "key"), &k, NULL) != PROV_OK)
		return;
	p->sig = signature_ok(k, p->obj, bytes, len, str(p->obj, "sig"));
}

void
prov_ledger_pre_release(struct prov_ledger_pre *p)
{
	json_decref(p->obj);
	p->obj = NULL;
}

/* presig: the signature's verdict when already known (1, 0), else -1. */
static int
apply_entry(struct prov_ledger *l, json_t *obj, const char *bytes, size_t len, int presig,
    struct prov_err *e)
{
	const char *type = str(obj, "type"), *time = str(obj, "time"), *author = str(obj, "author");
	const char *vkey = str(obj, "key"), *sig = str(obj, "sig");
	json_t *body = json_object_get(obj, "body");
	char name[256], role[32], date[11];
	struct prov_key *k;
	int rc;

	if (json_integer_value(json_object_get(obj, "seq")) != (json_int_t)l->size ||
	    !json_is_integer(json_object_get(obj, "seq")))
		return prov_seterr(e, PROV_FAILED, 0, "entry %" PRIu64 ": wrong sequence number", l->size);
	if (!entry_shape_ok(obj))
		return prov_seterr(e, PROV_FAILED, 0,
		    "entry %" PRIu64 ": needs exactly seq, time, type, author, key, body, sig", l->size);
	if (!valid_time(time) || strcmp(time, l->last_time) < 0)
		return prov_seterr(e, PROV_FAILED, 0, "entry %" PRIu64 ": time %s is not after %s",
		    l->size, time ? time : "(none)", l->last_time);
	memcpy(date, time, 10);
	date[10] = '\0';
	/* The key text's parse is cached: one per key, not per entry. */
	if ((rc = prov_keycache_get(&l->keys, vkey, &k, e)) != PROV_OK)
		return rc;
	if (presig < 0)
		presig = signature_ok(k, obj, bytes, len, sig);
	if (!presig)
		return prov_seterr(e, PROV_FAILED, 0, "entry %" PRIu64 ": bad signature by %s", l->size, author);
	if (strcmp(type, "init") == 0) {
		if (l->size != 0 || str(body, "origin") == NULL || str(body, "operator") == NULL ||
		    strcmp(str(body, "operator"), vkey) != 0 || strcmp(author, k->name) != 0) {
			rc = prov_seterr(e, PROV_FAILED, 0,
			    "entry %" PRIu64 ": init must be entry 0, signed by the operator it names", l->size);
			goto out;
		}
		copy_str(l->operator_vkey, sizeof(l->operator_vkey), vkey);
		copy_str(l->operator_name, sizeof(l->operator_name), k->name);
		copy_str(l->origin, sizeof(l->origin), str(body, "origin"));
		copy_str(role, sizeof(role), "operator");
	} else if (l->size == 0) {
		rc = prov_seterr(e, PROV_FAILED, 0, "entry 0 must be init");
		goto out;
	} else if (!signer_of(l, vkey, name, sizeof(name), role, sizeof(role))) {
		rc = prov_seterr(e, PROV_FAILED, 0,
		    "entry %" PRIu64 ": key %s is no party of this ledger, or was revoked", l->size, k->name);
		goto out;
	} else if (strcmp(name, author) != 0) {
		rc = prov_seterr(e, PROV_FAILED, 0, "entry %" PRIu64 ": author %s signed with the key of %s",
		    l->size, author, name);
		goto out;
	} else {
		json_t *check = json_deep_copy(body);
		rc = derived_members(l, type, check, role, date, 0, e);
		if (rc == PROV_OK)
			rc = check_body(l, type, check, author, role, e);
		json_decref(check);
		if (rc != PROV_OK) {
			prov_err_prefix(e, "entry %" PRIu64, l->size);
			goto out;
		}
	}
	if (l->lean) {
		/* Verify-only: keep what later checks need, nothing more. */
		if (lean_index(l, l->size, type, body) != 0) {
			rc = prov_seterr(e, PROV_FATAL, 0, "entry %" PRIu64 ": cannot index it", l->size);
			goto out;
		}
	} else {
		if (insert(l, "INSERT INTO entries (seq, type, author, time, bytes) VALUES (?, ?, ?, ?, ?)",
		    "isssb", (sqlite3_int64)l->size, type, author, time, bytes, len) != 0 ||
		    index_entry(l, l->size, type, body) != 0) {
			rc = db_err(l, e, "write");
			goto out;
		}
		if ((rc = add_leaf(l, bytes, len, e)) != PROV_OK)
			goto out;
	}
	l->size++;
	copy_str(l->last_time, sizeof(l->last_time), time);
out:
	return rc;
}

/* ---------------------------------------------------------- transactions */

static int
begin(struct prov_ledger *l, struct prov_err *e)
{
	int rc;

	/* IMMEDIATE: take the write lock now, so that a second writer waits
	 * (busy timeout) instead of failing at commit; then reread the state
	 * another process may have moved on. */
	if (l->lean)
		return PROV_OK;	/* a failed check changes no state */
	if ((rc = exec(l, "BEGIN IMMEDIATE", e)) != PROV_OK)
		return rc;
	if ((rc = load_state(l, e)) != PROV_OK)
		exec(l, "ROLLBACK", NULL);
	return rc;
}

static int
finish(struct prov_ledger *l, int rc, struct prov_err *e)
{
	if (l->lean)
		return rc;
	if (rc == PROV_OK && exec(l, "COMMIT", e) == PROV_OK)
		return PROV_OK;
	exec(l, "ROLLBACK", NULL);
	load_state(l, NULL);
	return rc == PROV_OK ? PROV_FATAL : rc;
}

/* Current UTC time, never before the last entry's. */
static void
entry_time(struct prov_ledger *l, char out[32])
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (strcmp(out, l->last_time) < 0)
		copy_str(out, 32, l->last_time);
}

/* Builds, signs and applies an entry; in a transaction. */
static int
sign_and_apply(struct prov_ledger *l, const char *type, const char *author, json_t *body,
    struct prov_key *signer, struct prov_err *e)
{
	struct prov_buf vk = PROV_BUF_INIT, msg = PROV_BUF_INIT, sig64 = PROV_BUF_INIT;
	unsigned char sig[PROV_SIG_LEN];
	char when[32];
	json_t *obj;
	int rc;

	entry_time(l, when);
	prov_vkey_format(signer, &vk);
	obj = json_pack("{s:I,s:s,s:s,s:s,s:s,s:O}", "seq", (json_int_t)l->size, "time", when,
	    "type", type, "author", author, "key", vk.buf, "body", body);
	if (obj == NULL) {
		rc = prov_seterr(e, PROV_FAILED, 0, "%s: the entry holds text that is not UTF-8", type);
		goto out;
	}
	if ((rc = prov_cjson_encode(obj, &msg, e)) != PROV_OK ||
	    (rc = prov_sign(signer, msg.buf, msg.len, sig, e)) != PROV_OK)
		goto out;
	prov_base64_encode(sig, sizeof(sig), &sig64);
	json_object_set_new(obj, "sig", json_string(sig64.buf));
	prov_buf_reset(&msg);
	if ((rc = prov_cjson_encode(obj, &msg, e)) == PROV_OK)
		rc = apply_entry(l, obj, msg.buf, msg.len, -1, e);
out:
	json_decref(obj);
	prov_buf_release(&vk);
	prov_buf_release(&msg);
	prov_buf_release(&sig64);
	return rc;
}

int
prov_ledger_init(struct prov_ledger *l, const char *origin, struct prov_key *operator_key,
    struct prov_err *e)
{
	struct prov_buf vk = PROV_BUF_INIT;
	json_t *body;
	int rc;

	if ((rc = begin(l, e)) != PROV_OK)
		return rc;
	if (l->size != 0) {
		exec(l, "ROLLBACK", NULL);
		return prov_seterr(e, PROV_FAILED, 0, "the ledger is initialised already");
	}
	prov_vkey_format(operator_key, &vk);
	body = json_pack("{s:s,s:s}", "origin", origin, "operator", vk.buf);
	rc = body ? sign_and_apply(l, "init", operator_key->name, body, operator_key, e) :
	    prov_seterr(e, PROV_FAILED, 0, "origin is not UTF-8");
	json_decref(body);
	prov_buf_release(&vk);
	return finish(l, rc, e);
}

int
prov_ledger_append(struct prov_ledger *l, const char *type, json_t *body,
    struct prov_key *signer, uint64_t *seq_out, struct prov_err *e)
{
	struct prov_buf vk = PROV_BUF_INIT;
	char name[256], role[32], date[32];
	json_t *full;
	int rc;

	if ((rc = begin(l, e)) != PROV_OK)
		return rc;
	prov_vkey_format(signer, &vk);
	if (l->size == 0) {
		rc = prov_seterr(e, PROV_FAILED, 0, "the ledger is not initialised (prov-ledger init)");
	} else if (!signer_of(l, vk.buf, name, sizeof(name), role, sizeof(role))) {
		rc = prov_seterr(e, PROV_FAILED, 0,
		    "key %s is no party of this ledger, or was revoked", signer->name);
	} else {
		full = json_deep_copy(body);
		entry_time(l, date);	/* the date part decides approvals' validity */
		date[10] = '\0';
		if (strcmp(type, "handoff") == 0 && str(full, "from") == NULL)
			json_object_set_new(full, "from", json_string(name));
		rc = derived_members(l, type, full, role, date, 1, e);
		json_object_del(full, "\x01to");
		if (rc == PROV_OK) {
			if (seq_out)
				*seq_out = l->size;
			rc = sign_and_apply(l, type, name, full, signer, e);
		}
		json_decref(full);
	}
	prov_buf_release(&vk);
	return finish(l, rc, e);
}

int
prov_ledger_import(struct prov_ledger *l, const char *bytes, size_t len, struct prov_err *e)
{
	json_t *obj;
	int rc;

	if ((rc = begin(l, e)) != PROV_OK)
		return rc;
	if ((rc = prov_cjson_check(bytes, len, &obj, e)) == PROV_OK) {
		rc = json_is_object(obj) ? apply_entry(l, obj, bytes, len, -1, e) :
		    prov_seterr(e, PROV_FAILED, 0, "an entry is a JSON object");
		json_decref(obj);
	} else
		prov_err_prefix(e, "entry %" PRIu64, l->size);
	return finish(l, rc, e);
}

int
prov_ledger_import_pre(struct prov_ledger *l, const char *bytes, size_t len,
    const struct prov_ledger_pre *p, struct prov_err *e)
{
	int rc;

	if ((rc = begin(l, e)) != PROV_OK)
		return rc;
	if (p->rc != PROV_OK) {
		rc = p->rc;
		if (e) {
			*e = p->err;
			prov_err_prefix(e, "entry %" PRIu64, l->size);
		}
	} else
		rc = json_is_object(p->obj) ? apply_entry(l, p->obj, bytes, len, p->sig, e) :
		    prov_seterr(e, PROV_FAILED, 0, "an entry is a JSON object");
	return finish(l, rc, e);
}

int
prov_ledger_import_all(struct prov_ledger *l,
    int (*next)(void *ctx, const char **bytes, size_t *len, struct prov_err *e), void *ctx,
    struct prov_err *e)
{
	const char *bytes;
	size_t len;
	json_t *obj;
	int rc, more = 0;

	if ((rc = begin(l, e)) != PROV_OK)
		return rc;
	while (rc == PROV_OK && (more = next(ctx, &bytes, &len, e)) > 0) {
		if ((rc = prov_cjson_check(bytes, len, &obj, e)) != PROV_OK) {
			prov_err_prefix(e, "entry %" PRIu64, l->size);
			break;
		}
		rc = json_is_object(obj) ? apply_entry(l, obj, bytes, len, -1, e) :
		    prov_seterr(e, PROV_FAILED, 0, "entry %" PRIu64 ": not a JSON object", l->size);
		json_decref(obj);
	}
	if (rc == PROV_OK && more < 0)
		rc = e && e->code != PROV_OK ? (int)e->code :
		    prov_seterr(e, PROV_FATAL, 0, "import: read error");
	return finish(l, rc, e);
}

int
prov_ledger_checkpoint(struct prov_ledger *l, struct prov_key *operator_key,
    struct prov_buf *out, struct prov_err *e)
{
	struct prov_buf vk = PROV_BUF_INIT, text = PROV_BUF_INIT, note = PROV_BUF_INIT;
	struct prov_checkpoint c;
	int rc;

	if ((rc = begin(l, e)) != PROV_OK)
		return rc;
	prov_vkey_format(operator_key, &vk);
	memset(&c, 0, sizeof(c));
	copy_str(c.origin, sizeof(c.origin), l->origin);
	c.size = l->size;
	if (strcmp(vk.buf, l->operator_vkey) != 0)
		rc = prov_seterr(e, PROV_FAILED, 0, "key %s is not this ledger's operator key",
		    operator_key->name);
	else if ((rc = prov_ledger_root(l, c.size, c.root, e)) == PROV_OK) {
		prov_checkpoint_format(&c, &text);
		if ((rc = prov_note_sign(text.buf, text.len, operator_key, 0, &note, e)) == PROV_OK &&
		    insert(l, "INSERT OR IGNORE INTO checkpoints (size, note) VALUES (?, ?)", "is",
		    (sqlite3_int64)c.size, note.buf) != 0)
			rc = db_err(l, e, "write checkpoint");
	}
	if (rc == PROV_OK)
		prov_buf_add(out, note.buf, note.len);
	prov_buf_release(&vk);
	prov_buf_release(&text);
	prov_buf_release(&note);
	return finish(l, rc, e);
}

int
prov_ledger_foreach_checkpoint(struct prov_ledger *l,
    int (*fn)(void *ctx, uint64_t size, const char *note, size_t len), void *ctx,
    struct prov_err *e)
{
	sqlite3_stmt *st;
	int rc = PROV_OK;

	if (sqlite3_prepare_v2(l->db, "SELECT size, note FROM checkpoints ORDER BY size", -1,
	    &st, NULL) != SQLITE_OK)
		return db_err(l, e, "read checkpoints");
	while (sqlite3_step(st) == SQLITE_ROW)
		if (fn(ctx, (uint64_t)sqlite3_column_int64(st, 0),
		    (const char *)sqlite3_column_text(st, 1), (size_t)sqlite3_column_bytes(st, 1)))
			break;
	sqlite3_finalize(st);
	return rc;
}

int
prov_ledger_foreach_entry(struct prov_ledger *l,
    int (*fn)(void *ctx, int64_t seq, const char *bytes, size_t len), void *ctx,
    struct prov_err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(l->db, "SELECT seq, bytes FROM entries ORDER BY seq", -1, &st,
	    NULL) != SQLITE_OK)
		return db_err(l, e, "read entries");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(ctx, sqlite3_column_int64(st, 0), sqlite3_column_blob(st, 1),
		    (size_t)sqlite3_column_bytes(st, 1)))
			break;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? PROV_OK : db_err(l, e, "read entries");
}

int
prov_ledger_stored_leaf(struct prov_ledger *l, uint64_t seq, unsigned char out[PROV_HASH_LEN],
    struct prov_err *e)
{
	return get_node(l, 0, seq, out, e);
}
