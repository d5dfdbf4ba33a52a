/*
 * trace.c: found copies traced through the ledger to the last approved
 * custodian.
 *
 * A found record (prov-fp's layout) is matched against every artifact of
 * the ledger: the same bytes (the artifacts table's sha256 index), else the
 * same decoded pixels (its pixels index), else the closest PDQ hashes (the
 * multi-index beside the ledger).  The entries holding the matched
 * artifacts give the custody: handoffs are its edges, a receipt names the
 * handoff it acknowledges, a handoff sent in reply to another brings that
 * one in, and sightings are listed.  The edges are walked in ledger order
 * from the parties that held the artifact inside the approved chain (a
 * studio, or a receiver of a covered handoff): a covered handoff from
 * such a party keeps the chain (as does one back to a studio), an uncovered one leaves it (the first of
 * those is the exit), and a handoff from a party outside the chain stays
 * outside.  Whether a handoff was covered is the verdict the ledger signed
 * when it was appended (prov-audit re-checks it), so revocations and dates
 * count as they stood then; the approvals that covered it are named, with
 * any revocation of them recorded later.
 *
 * The ledger is read through a second, read-only SQLite connection of our
 * own (the ledger handle serves the PDQ index).
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

#include "prov.h"
#include "banned.h"

#define MAX_ARTIFACTS 64	/* matched artifacts listed per found record */
#define MAX_EDGES 1024		/* custody edges walked per found record */
#define MAX_REPLY_DEPTH 64	/* in_reply_to links followed */

struct prov_trace {
	struct prov_ledger *l;
	struct prov_pdqidx *x;
	sqlite3 *db;
	sqlite3_stmt *by_sha, *by_pixels, *entry, *approvals, *revoked, *art_ind;
	struct prov_trace_opts opts;
	json_t *entries;	/* cache: "<seq>" -> entry summary */
	json_t *parties;	/* name -> {"role", "approved"} */
	char operator_name[256];
};

void
prov_trace_opts_default(struct prov_trace_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->pdq_max = PROV_PDQIDX_DEFAULT_DISTANCE;
	o->threads = 1;
}

static int
db_fail(struct prov_trace *t, struct prov_err *e, const char *what)
{
	return prov_seterr(e, PROV_FATAL, 0, "ledger: %s: %s", what, sqlite3_errmsg(t->db));
}

static const char *
col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static int
prepare(struct prov_trace *t, sqlite3_stmt **st, const char *sql, struct prov_err *e)
{
	if (sqlite3_prepare_v2(t->db, sql, -1, st, NULL) != SQLITE_OK)
		return db_fail(t, e, "query");
	return PROV_OK;
}

/* Every party with its role, and whether some approval names it that no
 * revocation withdrew. */
static int
load_parties(struct prov_trace *t, struct prov_err *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(t, &st, "SELECT name, role, EXISTS (SELECT 1 FROM approvals a"
	    " WHERE a.party = p.name AND NOT EXISTS (SELECT 1 FROM revocations r"
	    " WHERE r.target = a.entry)) FROM parties p ORDER BY name", e)) != PROV_OK)
		return rc;
	while (sqlite3_step(st) == SQLITE_ROW)
		if (col(st, 0) && col(st, 1))
			json_object_set_new(t->parties, col(st, 0), json_pack("{s:s,s:b}",
			    "role", col(st, 1), "approved", sqlite3_column_int(st, 2)));
	sqlite3_finalize(st);
	if ((rc = prepare(t, &st, "SELECT value FROM meta WHERE key = 'operator_name'", e)) != PROV_OK)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW && col(st, 0))
		snprintf(t->operator_name, sizeof(t->operator_name), "%s", col(st, 0));
	sqlite3_finalize(st);
	return PROV_OK;
}

int
prov_trace_open(struct prov_trace **out, const char *ledger_path,
    const struct prov_trace_opts *opts, struct prov_pdqidx_sync *sync, struct prov_err *e)
{
	struct prov_trace *t = prov_xcalloc(1, sizeof(*t));
	struct prov_buf idx = PROV_BUF_INIT;
	int rc;

	*out = NULL;
	if (opts)
		t->opts = *opts;
	else
		prov_trace_opts_default(&t->opts);
	if (t->opts.threads < 1)
		t->opts.threads = 1;
	t->entries = json_object();
	t->parties = json_object();
	if ((rc = prov_ledger_open(&t->l, ledger_path, PROV_LEDGER_READONLY, e)) != PROV_OK)
		goto fail;
	if (sqlite3_open_v2(ledger_path, &t->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		rc = db_fail(t, e, ledger_path);
		goto fail;
	}
	sqlite3_busy_timeout(t->db, 10000);
	if ((rc = prepare(t, &t->by_sha, "SELECT a.entry, a.n, a.path, e.type FROM artifacts a"
	    " JOIN entries e ON e.seq = a.entry WHERE a.sha256 = ? ORDER BY a.entry, a.n", e)) ||
	    (rc = prepare(t, &t->by_pixels, "SELECT a.entry, a.n, a.path, e.type FROM artifacts a"
	    " JOIN entries e ON e.seq = a.entry WHERE a.pixels = ? ORDER BY a.entry, a.n", e)) ||
	    (rc = prepare(t, &t->entry, "SELECT type, time, author,"
	    " json_extract(bytes, '$.body.from'), json_extract(bytes, '$.body.to'),"
	    " json_extract(bytes, '$.body.project'), json_extract(bytes, '$.body.in_reply_to'),"
	    " json_extract(bytes, '$.body.handoff'), json_extract(bytes, '$.body.matches'),"
	    " json_extract(bytes, '$.body.covered'), json_extract(bytes, '$.body.uncovered_reason'),"
	    " json_extract(bytes, '$.body.where')"
	    " FROM entries WHERE seq = ?", e)) ||
	    /* Approvals in force at entry ?3 (date ?4) of party ?1 for
	     * project ?2, allowing delegation to ?5 when given. */
	    (rc = prepare(t, &t->approvals, "SELECT a.entry FROM approvals a"
	    " WHERE a.party = ?1 AND a.project = ?2 AND a.entry < ?3"
	    " AND (a.valid_from IS NULL OR a.valid_from <= ?4)"
	    " AND (a.valid_until IS NULL OR a.valid_until >= ?4)"
	    " AND NOT EXISTS (SELECT 1 FROM revocations r WHERE r.target = a.entry AND r.entry < ?3)"
	    " AND (?5 IS NULL OR EXISTS (SELECT 1 FROM json_each(a.delegates) WHERE value = ?5))"
	    " ORDER BY a.entry", e)) ||
	    (rc = prepare(t, &t->art_ind, "SELECT j.key, json_extract(j.value, '$.indicators')"
	    " FROM entries, json_each(entries.bytes, ?2) j WHERE entries.seq = ?1"
	    " AND json_extract(j.value, '$.indicators') IS NOT NULL", e)) ||
	    (rc = prepare(t, &t->revoked, "SELECT entry FROM revocations WHERE target = ?"
	    " ORDER BY entry LIMIT 1", e)))
		goto fail;
	if ((rc = load_parties(t, e)) != PROV_OK)
		goto fail;
	prov_buf_addf(&idx, "%s.pdqidx", ledger_path);
	rc = prov_pdqidx_open_ledger(&t->x, t->l, idx.buf, t->opts.threads, sync, e);
	prov_buf_release(&idx);
	if (rc != PROV_OK)
		goto fail;
	*out = t;
	return PROV_OK;
fail:
	prov_trace_close(t);
	return rc ? rc : PROV_FATAL;
}

void
prov_trace_close(struct prov_trace *t)
{
	if (t == NULL)
		return;
	sqlite3_finalize(t->by_sha);
	sqlite3_finalize(t->by_pixels);
	sqlite3_finalize(t->entry);
	sqlite3_finalize(t->approvals);
	sqlite3_finalize(t->revoked);
	sqlite3_finalize(t->art_ind);
	if (t->db)
		sqlite3_close(t->db);
	prov_pdqidx_free(t->x);
	prov_ledger_close(t->l);
	json_decref(t->entries);
	json_decref(t->parties);
	free(t);
}

static void
set_text(json_t *o, const char *key, sqlite3_stmt *st, int i)
{
	const char *s = col(st, i);

	/* The ledger's strings were valid UTF-8 JSON; json_string() checks. */
	if (s && sqlite3_column_type(st, i) == SQLITE_TEXT) {
		json_t *v = json_string(s);
		json_object_set_new(o, key, v ? v : json_string("?"));
	}
}

/* The summary of entry seq (cached; a borrowed reference), or NULL. */
static json_t *
entry_info(struct prov_trace *t, int64_t seq)
{
	char key[32];
	json_t *o;
	sqlite3_stmt *st = t->entry;

	snprintf(key, sizeof(key), "%" PRId64, seq);
	if ((o = json_object_get(t->entries, key)) != NULL)
		return json_is_object(o) ? o : NULL;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, seq);
	if (sqlite3_step(st) != SQLITE_ROW) {
		json_object_set_new(t->entries, key, json_null());
		return NULL;
	}
	o = json_pack("{s:I}", "entry", (json_int_t)seq);
	set_text(o, "type", st, 0);
	set_text(o, "time", st, 1);
	set_text(o, "author", st, 2);
	set_text(o, "from", st, 3);
	set_text(o, "to", st, 4);
	set_text(o, "project", st, 5);
	if (sqlite3_column_type(st, 6) == SQLITE_INTEGER)
		json_object_set_new(o, "in_reply_to", json_integer(sqlite3_column_int64(st, 6)));
	if (sqlite3_column_type(st, 7) == SQLITE_INTEGER)
		json_object_set_new(o, "handoff", json_integer(sqlite3_column_int64(st, 7)));
	if (sqlite3_column_type(st, 8) == SQLITE_INTEGER)
		json_object_set_new(o, "matches", json_boolean(sqlite3_column_int(st, 8)));
	if (sqlite3_column_type(st, 9) == SQLITE_INTEGER)
		json_object_set_new(o, "covered", json_boolean(sqlite3_column_int(st, 9)));
	set_text(o, "reason", st, 10);
	set_text(o, "where", st, 11);
	sqlite3_reset(st);
	json_object_set_new(t->entries, key, o);
	return o;
}

static const char *
jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static const char *
role_of(struct prov_trace *t, const char *party)
{
	if (party == NULL)
		return "";
	if (t->operator_name[0] && strcmp(party, t->operator_name) == 0 &&
	    json_object_get(t->parties, party) == NULL)
		return "operator";
	return jstr(json_object_get(t->parties, party), "role") ?
	    jstr(json_object_get(t->parties, party), "role") : "";
}

/* The approvals of party for project in force at handoff h (entry seq,
 * date), allowing delegation to `to` when not NULL, appended to arr. */
static void
approvals_at(struct prov_trace *t, const char *party, const char *project, int64_t seq,
    const char *date, const char *to, json_t *arr)
{
	sqlite3_stmt *st = t->approvals;

	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, party, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, project, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, seq);
	sqlite3_bind_text(st, 4, date, -1, SQLITE_TRANSIENT);
	if (to)
		sqlite3_bind_text(st, 5, to, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 5);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_int_t a = sqlite3_column_int64(st, 0);
		json_t *o = json_pack("{s:I,s:s}", "entry", a, "party", party);

		sqlite3_reset(t->revoked);
		sqlite3_bind_int64(t->revoked, 1, a);
		if (sqlite3_step(t->revoked) == SQLITE_ROW)
			json_object_set_new(o, "revoked_by", json_integer(sqlite3_column_int64(t->revoked, 0)));
		sqlite3_reset(t->revoked);
		json_array_append_new(arr, o);
	}
	sqlite3_reset(st);
}

/* One custody edge from handoff info h, reached through `via`. */
static json_t *
make_edge(struct prov_trace *t, const json_t *h, const char *via)
{
	const char *from = jstr(h, "from"), *to = jstr(h, "to"), *proj = jstr(h, "project");
	const char *time = jstr(h, "time");
	json_int_t seq = json_integer_value(json_object_get(h, "entry"));
	json_t *o, *apps = json_array();
	char date[11];

	snprintf(date, sizeof(date), "%s", time ? time : "");
	o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:b}", "entry", seq, "time", time ? time : "",
	    "from", from ? from : "", "to", to ? to : "", "project", proj ? proj : "",
	    "via", via, "covered", json_is_true(json_object_get(h, "covered")));
	if (json_object_get(h, "in_reply_to"))
		json_object_set(o, "in_reply_to", json_object_get(h, "in_reply_to"));
	if (json_is_true(json_object_get(h, "covered")) && from && to && proj) {
		const char *r = role_of(t, from);

		approvals_at(t, to, proj, seq, date, NULL, apps);
		if (strcmp(r, "studio") != 0 && strcmp(r, "operator") != 0)
			approvals_at(t, from, proj, seq, date, to, apps);
	} else if (jstr(h, "reason"))
		json_object_set_new(o, "reason", json_string(jstr(h, "reason")));
	json_object_set_new(o, "approvals", apps);
	json_object_set_new(o, "receipts", json_array());
	return o;
}

/* The edge for handoff seq in edges (an object "<seq>" -> edge), added
 * when new; NULL when seq is not a handoff. */
static json_t *
edge_for(struct prov_trace *t, json_t *edges, int64_t seq, const char *via)
{
	char key[32];
	json_t *h, *ed;

	snprintf(key, sizeof(key), "%" PRId64, seq);
	if ((ed = json_object_get(edges, key)) != NULL)
		return ed;
	if (json_object_size(edges) >= MAX_EDGES)
		return NULL;
	h = entry_info(t, seq);
	if (h == NULL || jstr(h, "type") == NULL || strcmp(jstr(h, "type"), "handoff") != 0)
		return NULL;
	ed = make_edge(t, h, via);
	json_object_set_new(edges, key, ed);
	return ed;
}

static int
cmp_edges(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "entry"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "entry"));

	return x < y ? -1 : x > y;
}

/*
 * The custody of the matched artifacts (rows {"entry", "type"}) into res:
 * "custody" (edges in ledger order, each with its "chain" state),
 * "custodians", "last_approved", "exit", "sightings", and the verdict.
 */
static void
walk_custody(struct prov_trace *t, json_t *arts, json_t *res)
{
	json_t *edges = json_object(), *chain = json_object(), *outside = json_object();
	json_t *sightings = json_array(), *custody = json_array(), *custodians = json_array();
	json_t **v, *a, *ed, *exit = NULL, *last = NULL;
	const char *key;
	size_t i, n, k;
	int left = 0;

	json_array_foreach(arts, i, a) {
		int64_t seq = json_integer_value(json_object_get(a, "entry"));
		const char *type = jstr(a, "type");
		json_t *info;

		if (type == NULL)
			continue;
		if (strcmp(type, "handoff") == 0)
			edge_for(t, edges, seq, "artifact");
		else if (strcmp(type, "receipt") == 0 && (info = entry_info(t, seq)) != NULL &&
		    json_is_integer(json_object_get(info, "handoff"))) {
			ed = edge_for(t, edges, json_integer_value(json_object_get(info, "handoff")),
			    "receipt");
			if (ed) {
				json_t *rs = json_object_get(ed, "receipts"), *r;
				int dup = 0;
				json_array_foreach(rs, k, r)
					dup |= json_integer_value(json_object_get(r, "entry")) == seq;
				if (!dup)
					json_array_append_new(rs, json_pack("{s:I,s:s,s:s,s:b}",
					    "entry", (json_int_t)seq,
					    "time", jstr(info, "time") ? jstr(info, "time") : "",
					    "by", jstr(info, "author") ? jstr(info, "author") : "",
					    "matches", json_is_true(json_object_get(info, "matches"))));
			}
		} else if (strcmp(type, "sighting") == 0) {
			json_t *s;
			int dup = 0;
			json_array_foreach(sightings, k, s)
				dup |= json_integer_value(json_object_get(s, "entry")) == seq;
			if (!dup && (info = entry_info(t, seq)) != NULL) {
				s = json_pack("{s:I,s:s,s:s}", "entry", (json_int_t)seq,
				    "time", jstr(info, "time") ? jstr(info, "time") : "",
				    "by", jstr(info, "author") ? jstr(info, "author") : "");
				if (jstr(info, "where"))
					json_object_set_new(s, "where", json_string(jstr(info, "where")));
				json_array_append_new(sightings, s);
			}
		}
	}
	/* The handoffs these replied to, and theirs (a vendor's delivery back
	 * brings in what it answered). */
	for (k = 0; k < MAX_REPLY_DEPTH; k++) {
		int added = 0;
		json_object_foreach(edges, key, ed) {
			json_t *r = json_object_get(ed, "in_reply_to");
			char rk[32];
			if (!json_is_integer(r))
				continue;
			snprintf(rk, sizeof(rk), "%" JSON_INTEGER_FORMAT, json_integer_value(r));
			if (json_object_get(edges, rk) == NULL &&
			    edge_for(t, edges, json_integer_value(r), "in-reply-to") != NULL)
				added = 1;
		}
		if (!added)
			break;
	}
	n = json_object_size(edges);
	v = prov_xcalloc(n ? n : 1, sizeof(*v));
	i = 0;
	json_object_foreach(edges, key, ed)
		v[i++] = ed;
	qsort(v, n, sizeof(*v), cmp_edges);
	for (i = 0; i < n; i++) {
		const char *from = jstr(v[i], "from"), *to = jstr(v[i], "to");
		const char *role = role_of(t, from), *trole = role_of(t, to);
		int covered = json_is_true(json_object_get(v[i], "covered")), in;

		/* Work delivered back to a studio never leaves the chain,
		 * though no approval names the studio as a receiver. */
		if (!covered && (strcmp(trole, "studio") == 0 || strcmp(trole, "operator") == 0))
			covered = 1;

		if (json_object_get(chain, from))
			in = 1;
		else if (json_object_get(outside, from))
			in = 0;
		else if (strcmp(role, "studio") == 0 || strcmp(role, "operator") == 0)
			in = 1;
		else	/* a sender the ledger never saw receive it */
			in = covered;
		if (in && json_object_get(chain, from) == NULL) {
			json_object_set_new(chain, from, json_true());
			json_array_append_new(custodians, json_string(from));
		}
		if (in && covered) {
			json_object_set_new(v[i], "chain", json_string("in"));
			if (json_object_get(chain, to) == NULL) {
				json_object_set_new(chain, to, json_true());
				json_array_append_new(custodians, json_string(to));
			}
			last = v[i];
		} else {
			json_object_set_new(v[i], "chain", json_string(in ? "exit" : "outside"));
			if (in && exit == NULL)
				exit = v[i];
			json_object_set_new(outside, to, json_true());
			left = 1;
		}
		json_array_append(custody, v[i]);
	}
	json_object_set_new(res, "custody", custody);
	json_object_set_new(res, "custodians", custodians);
	if (exit)
		json_object_set_new(res, "last_approved", json_string(jstr(exit, "from")));
	else if (last)
		json_object_set_new(res, "last_approved", json_string(jstr(last, "to")));
	else if (json_array_size(custodians))
		json_object_set(res, "last_approved", json_array_get(custodians, 0));
	else
		json_object_set_new(res, "last_approved", json_null());
	json_object_set_new(res, "exit", exit ? json_pack("{s:O,s:O,s:O,s:O,s:O*}",
	    "entry", json_object_get(exit, "entry"), "time", json_object_get(exit, "time"),
	    "from", json_object_get(exit, "from"), "to", json_object_get(exit, "to"),
	    "reason", json_object_get(exit, "reason")) : json_null());
	json_object_set_new(res, "sightings", sightings);
	json_object_set_new(res, "verdict", json_string(n == 0 ? "no-custody" :
	    left ? "left-chain" : "in-chain"));
	free(v);
	json_decref(edges);
	json_decref(chain);
	json_decref(outside);
}

/* Artifacts whose sha256 (or pixels) equals value, as rows into arts;
 * the number found. */
static size_t
lookup(sqlite3_stmt *st, const char *value, json_t *arts, size_t *total)
{
	size_t n = 0;

	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, value, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW) {
		n++;
		if (json_array_size(arts) < MAX_EDGES) {
			json_t *o = json_pack("{s:I,s:s,s:I}", "entry",
			    (json_int_t)sqlite3_column_int64(st, 0),
			    "type", col(st, 3) ? col(st, 3) : "",
			    "artifact", (json_int_t)sqlite3_column_int64(st, 1));
			json_t *path = col(st, 2) ? json_string(col(st, 2)) : NULL;
			if (path)
				json_object_set_new(o, "path", path);
			json_array_append_new(arts, o);
		}
	}
	sqlite3_reset(st);
	*total += n;
	return n;
}

/* Does the text of value name party (case-insensitively, not inside a
 * longer word)? */
static int
names_party(const char *value, const char *party)
{
	size_t pl = strlen(party), vl = strlen(value), i;

	if (pl < 2 || pl > vl)
		return 0;
	for (i = 0; i + pl <= vl; i++)
		if (strncasecmp(value + i, party, pl) == 0 &&
		    (i == 0 || !isalnum((unsigned char)value[i - 1])) &&
		    (i + pl == vl || !isalnum((unsigned char)value[i + pl])))
			return 1;
	return 0;
}

/* The indicators recorded with a matched artifact (borrowed from the
 * entry cache), or NULL.  The first call for an entry reads the
 * indicators of all its artifacts in one pass (a manifest may hold 10^5
 * records; only those with indicators are kept). */
static const json_t *
artifact_indicators(struct prov_trace *t, const json_t *art)
{
	const char *type = jstr(art, "type");
	json_int_t seq = json_integer_value(json_object_get(art, "entry"));
	json_t *info = entry_info(t, seq), *map;
	char key[32];

	if (type == NULL || info == NULL)
		return NULL;
	if ((map = json_object_get(info, "\x01indicators")) == NULL) {
		map = json_object();
		sqlite3_reset(t->art_ind);
		sqlite3_bind_int64(t->art_ind, 1, seq);
		sqlite3_bind_text(t->art_ind, 2, strcmp(type, "handoff") == 0 ?
		    "$.body.manifest.artifacts" : "$.body.artifacts", -1, SQLITE_STATIC);
		while (sqlite3_step(t->art_ind) == SQLITE_ROW) {
			json_t *v = col(t->art_ind, 1) ? json_loads(col(t->art_ind, 1), 0, NULL) : NULL;
			if (json_is_array(v)) {
				snprintf(key, sizeof(key), "%lld", sqlite3_column_int64(t->art_ind, 0));
				json_object_set_new(map, key, v);
			} else
				json_decref(v);
		}
		sqlite3_reset(t->art_ind);
		json_object_set_new(info, "\x01indicators", map);
	}
	snprintf(key, sizeof(key), "%" JSON_INTEGER_FORMAT,
	    json_integer_value(json_object_get(art, "artifact")));
	return json_object_get(map, key);
}

static int
has_indicator(const json_t *arr, const char *type, const char *value)
{
	const json_t *o;
	size_t i;

	json_array_foreach(arr, i, o)
		if (strcmp(jstr(o, "type") ? jstr(o, "type") : "", type) == 0 &&
		    strcmp(jstr(o, "value") ? jstr(o, "value") : "", value) == 0)
			return 1;
	return 0;
}

/*
 * The found record's indicators that no approved party accounts for:
 * those naming a party without an approval ("unapproved"), and the
 * others naming no party at all ("unknown") of the types that point at a
 * person, a machine or a place.  Indicators the copy carried when it was
 * handed over are not the finder's business: with the same bytes, every
 * one from the file's content (all but the archive member's and the
 * path's); otherwise those recorded with the matched artifact (known).
 */
static json_t *
indicators(struct prov_trace *t, const json_t *rec, int same_bytes, const json_t *known,
    int *unapproved)
{
	json_t *out = json_array(), *ind;
	size_t i;

	json_array_foreach(json_object_get(rec, "indicators"), i, ind) {
		const char *type = jstr(ind, "type"), *value = jstr(ind, "value");
		const char *field = jstr(ind, "field") ? jstr(ind, "field") : "";
		const char *party = NULL, *name, *status = "unknown";
		json_t *p, *o;
		int approved = 0;

		if (type == NULL || value == NULL)
			continue;
		if (t->opts.delivery && strcmp(field, "path") == 0)
			continue;
		json_object_foreach(t->parties, name, p)
			if (names_party(value, name)) {
				party = name;
				approved = json_is_true(json_object_get(p, "approved")) ||
				    strcmp(jstr(p, "role") ? jstr(p, "role") : "", "studio") == 0;
				if (approved)
					break;
			}
		if (approved)
			continue;
		/* What the copy carried when it was handed over, unless a
		 * delivery names a party without approval. */
		if (!(t->opts.delivery && party)) {
			if (same_bytes && strncmp(field, "member", 6) != 0 &&
			    strcmp(field, "path") != 0)
				continue;
			if (known && has_indicator(known, type, value))
				continue;
		}
		if (party)
			status = "unapproved";
		else if (strcmp(type, "user") && strcmp(type, "host") && strcmp(type, "owner") &&
		    strcmp(type, "location") && strcmp(type, "path"))
			continue;
		o = json_pack("{s:s,s:s,s:s}", "type", type, "value", value, "status", status);
		if (jstr(ind, "field"))
			json_object_set_new(o, "field", json_string(jstr(ind, "field")));
		if (party) {
			json_object_set_new(o, "party", json_string(party));
			*unapproved = 1;
		}
		json_array_append_new(out, o);
	}
	return out;
}

/* The head of a result: the found record's name, kind and digest. */
static json_t *
result_head(const json_t *rec)
{
	json_t *res = json_object(), *v;

	if (json_is_string(v = json_object_get(rec, "path")))
		json_object_set(res, "found", v);
	else
		json_object_set_new(res, "found", json_string(""));
	if ((v = json_object_get(rec, "path_bytes")) != NULL)
		json_object_set(res, "found_bytes", v);
	if (json_is_string(v = json_object_get(rec, "kind")))
		json_object_set(res, "kind", v);
	if (json_is_string(v = json_object_get(rec, "sha256")))
		json_object_set(res, "sha256", v);
	return res;
}

int
prov_trace_records(struct prov_trace *t, json_t *const *recs, size_t n, json_t **out,
    struct prov_err *e)
{
	json_t *results = json_array(), **pending, *perc;
	struct prov_pdq_matches m = { NULL, 0 };
	size_t *pidx, np = 0, i, j;
	int rc;

	*out = NULL;
	pending = prov_xcalloc(n ? n : 1, sizeof(*pending));
	pidx = prov_xcalloc(n ? n : 1, sizeof(*pidx));
	for (i = 0; i < n; i++) {
		const json_t *rec = recs[i];
		json_t *res = result_head(rec), *arts = json_array();
		const char *sha = jstr(rec, "sha256"), *pix = jstr(rec, "pixels");
		size_t total = 0;
		const char *how = NULL;

		if (jstr(rec, "error")) {
			json_object_set_new(res, "verdict", json_string("error"));
			json_object_set_new(res, "error", json_string(jstr(rec, "error")));
		} else if (sha && lookup(t->by_sha, sha, arts, &total))
			how = "bytes";
		else if (pix && lookup(t->by_pixels, pix, arts, &total))
			how = "pixels";
		if (how)
			json_object_set_new(res, "match", json_pack("{s:s,s:o,s:I}", "how", how,
			    "artifacts", arts, "total", (json_int_t)total));
		else
			json_decref(arts);
		json_array_append_new(results, res);
		if (how == NULL && !jstr(rec, "error")) {
			struct prov_pdqidx_item it;
			if (prov_pdq_record_hashes(rec, &it, 1) > 0) {
				pidx[np] = i;
				pending[np++] = recs[i];
			}
		}
	}
	/* The perceptual matches of the rest, in one batch over the index. */
	if (np && t->opts.pdq_max >= 0 &&
	    (rc = prov_pdq_match_records(t->x, t->l, pending, np, t->opts.pdq_max,
	    t->opts.threads, t->opts.upright ? 0 : PROV_PDQ_MATCH_DIHEDRAL, &m, e)) != PROV_OK) {
		free(pending);
		free(pidx);
		json_decref(results);
		return rc;
	}
	for (j = 0; j < m.n; j++) {
		const struct prov_pdq_match *p = &m.v[j];
		json_t *res = json_array_get(results, pidx[p->query]), *a, *mo;
		struct prov_pdq_pair pp;

		/* Only the closest artifacts: ordered by distance per query. */
		if ((mo = json_object_get(res, "match")) == NULL) {
			mo = json_pack("{s:s,s:i,s:s,s:[],s:I}", "how", "perceptual", "distance",
			    p->distance, "transform", prov_pdq_variant_name(p->transform),
			    "artifacts", "total", (json_int_t)0);
			json_object_set_new(res, "match", mo);
		} else if (json_integer_value(json_object_get(mo, "distance")) != p->distance)
			continue;
		json_object_set_new(mo, "total",
		    json_integer(json_integer_value(json_object_get(mo, "total")) + 1));
		if (json_array_size(json_object_get(mo, "artifacts")) >= MAX_EDGES)
			continue;
		a = json_pack("{s:I,s:s,s:I}", "entry", (json_int_t)p->entry, "type", p->type,
		    "artifact", (json_int_t)p->artifact);
		if (jstr(p->record, "path"))
			json_object_set_new(a, "path", json_string(jstr(p->record, "path")));
		/* Which of the artifact's hashes: its transform, and its EXR
		 * layer when one of those matched (pdq-v1.md 6, 7). */
		json_object_set_new(a, "transform", json_string(prov_pdq_variant_name(p->transform)));
		if (prov_pdq_records_nearest(recs[pidx[p->query]], p->record, p->transform, &pp) ==
		    p->distance && pp.layer != NULL)
			json_object_set_new(a, "layer", json_string(pp.layer));
		json_array_append_new(json_object_get(mo, "artifacts"), a);
	}
	prov_pdq_matches_release(&m);
	free(pending);
	free(pidx);
	for (i = 0; i < n; i++) {
		json_t *res = json_array_get(results, i), *mo = json_object_get(res, "match");
		const json_t *known = NULL;
		int unapproved = 0, same_bytes = 0;

		if (jstr(res, "verdict") == NULL) {
			if (mo) {
				json_t *arts = json_object_get(mo, "artifacts");
				walk_custody(t, arts, res);
				/* Only the first ones are listed. */
				while (json_array_size(arts) > MAX_ARTIFACTS)
					json_array_remove(arts, json_array_size(arts) - 1);
			} else if (strcmp(jstr(res, "kind") ? jstr(res, "kind") : "", "archive") == 0 ||
			    strcmp(jstr(res, "kind") ? jstr(res, "kind") : "", "sequence") == 0)
				/* Its members or frames are traced one by one. */
				json_object_set_new(res, "verdict", json_string("container"));
			else
				json_object_set_new(res, "verdict", json_string("untraced"));
		}
		if (mo) {
			same_bytes = strcmp(jstr(mo, "how"), "bytes") == 0;
			if (!same_bytes && json_array_size(json_object_get(recs[i], "indicators")))
				known = artifact_indicators(t,
				    json_array_get(json_object_get(mo, "artifacts"), 0));
		}
		perc = indicators(t, recs[i], same_bytes, known, &unapproved);
		json_object_set_new(res, "indicators", perc);
		json_object_set_new(res, "unapproved_indicators", json_boolean(unapproved));
	}
	*out = results;
	return PROV_OK;
}

json_t *
prov_trace_graph(const json_t *results)
{
	json_t *parties = json_array(), *edges = json_array(), *depth = json_object();
	json_t *byentry = json_object(), *r, *ed, *v, **sorted;
	const char *key;
	size_t i, k, n;

	json_array_foreach(results, i, r)
		json_array_foreach(json_object_get(r, "custody"), k, ed) {
			char num[32];
			json_t *prev;

			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			    json_integer_value(json_object_get(ed, "entry")));
			prev = json_object_get(byentry, num);
			/* "exit" outranks the other states of one handoff. */
			if (prev == NULL || strcmp(jstr(ed, "chain") ? jstr(ed, "chain") : "",
			    "exit") == 0)
				json_object_set(byentry, num, ed);
		}
	n = json_object_size(byentry);
	sorted = prov_xcalloc(n ? n : 1, sizeof(*sorted));
	i = 0;
	json_object_foreach(byentry, key, ed)
		sorted[i++] = ed;
	qsort(sorted, n, sizeof(*sorted), cmp_edges);
	for (i = 0; i < n; i++) {
		const char *from = jstr(sorted[i], "from") ? jstr(sorted[i], "from") : "";
		const char *to = jstr(sorted[i], "to") ? jstr(sorted[i], "to") : "";
		json_int_t d;

		if ((v = json_object_get(depth, from)) == NULL) {
			v = json_integer(0);
			json_object_set_new(depth, from, v);
			json_array_append_new(parties, json_pack("{s:s,s:i}", "name", from,
			    "depth", 0));
		}
		d = json_integer_value(v);
		if (json_object_get(depth, to) == NULL) {
			json_object_set_new(depth, to, json_integer(d + 1));
			json_array_append_new(parties, json_pack("{s:s,s:I}", "name", to,
			    "depth", d + 1));
		}
		json_array_append_new(edges, json_pack("{s:O,s:s,s:s,s:s,s:s,s:s}",
		    "entry", json_object_get(sorted[i], "entry"),
		    "time", jstr(sorted[i], "time") ? jstr(sorted[i], "time") : "",
		    "from", from, "to", to,
		    "project", jstr(sorted[i], "project") ? jstr(sorted[i], "project") : "",
		    "chain", jstr(sorted[i], "chain") ? jstr(sorted[i], "chain") : "outside"));
	}
	free(sorted);
	json_decref(byentry);
	json_decref(depth);
	return json_pack("{s:o,s:o}", "parties", parties, "edges", edges);
}
