/*
 * ledger_int.h: internals of the ledger shared by ledger.c and audit.c,
 * and exposed to the unit tests.  Not API: nothing here is in prov.h.
 */
#ifndef PROV_LEDGER_INT_H
#define PROV_LEDGER_INT_H

#include "prov.h"

/*
 * Parsed verifier keys by their text, so that a key that signs a million
 * entries is decoded once.  One cache per thread;
 * the oldest key is dropped when it is full.
 */
#define PROV_KEYCACHE_SLOTS 64
struct prov_keycache {
	struct {
		uint64_t hash;
		char *text;
		struct prov_key key;
	} slot[PROV_KEYCACHE_SLOTS];
	unsigned n, next;
};
void prov_keycache_init(struct prov_keycache *c);
void prov_keycache_release(struct prov_keycache *c);
/* The parsed key of vkey text, borrowed until the next call; on a parse
 * error e is set as prov_vkey_parse sets it (nothing is cached). */
int prov_keycache_get(struct prov_keycache *c, const char *vkey, struct prov_key **out,
    struct prov_err *e);

/*
 * What an entry's own bytes decide without any ledger state, so that it can
 * be done on several threads ahead of the replay: the canonical-form check
 * (rc, err, obj) and the signature (sig: 1 good, 0 bad, -1 not made because
 * the entry's shape or key is wrong; the replay then reports that in its
 * usual order).  The leaf hash of the bytes too.
 */
struct prov_ledger_pre {
	json_t *obj;			/* owned; NULL when not canonical JSON */
	int rc;
	struct prov_err err;
	int sig;
	unsigned char leaf[PROV_HASH_LEN];
};
/* Fills p; thread safe with a cache per thread. */
void prov_ledger_precheck(struct prov_keycache *c, const char *bytes, size_t len,
    struct prov_ledger_pre *p);
void prov_ledger_pre_release(struct prov_ledger_pre *p);

/*
 * A verify-only ledger in memory: prov_ledger_import (or _import_pre)
 * makes every check an import into a file makes, in the same order and
 * with the same messages, but keeps only the state those checks need
 * (origin, operator, last time, parties and their keys, revoked keys,
 * approvals and their revocations, each handoff's receiver and manifest
 * root, and a 64-bit hash of each handoff artifact's sha256 and pixels
 * values with where it is, 22 to 43 bytes per artifact and value, for
 * the completeness of sightings' matches).  Entries, tree nodes and
 * artifacts themselves are not kept: entry bytes are asked of fetch (for a
 * receipt whose manifest differs from its handoff's, and for the handoffs
 * a sighting's matches name or a hash points at), and the tree, proofs and
 * checkpoints are not available.
 */
int prov_ledger_open_verifier(struct prov_ledger **out,
    int (*fetch)(void *ctx, uint64_t seq, struct prov_buf *bytes, struct prov_err *e),
    void *fetch_ctx, struct prov_err *e);
/* prov_ledger_import with the work of prov_ledger_precheck done (p is
 * borrowed; p->obj is not changed). */
int prov_ledger_import_pre(struct prov_ledger *l, const char *bytes, size_t len,
    const struct prov_ledger_pre *p, struct prov_err *e);

#endif
