/*
 * pdqindex.c: exact Hamming-distance search over 256-bit PDQ hashes by
 * multi-index hashing (Norouzi, Punjani and Fleet, "Fast search in Hamming
 * space with multi-index hashing", CVPR 2012), and its file beside the
 * ledger.
 *
 * Layout.  A hash is cut into M = 16 chunks of 16 bits: chunk c is the
 * little-endian 16-bit word of bytes 2c and 2c+1.  For every chunk there is
 * one table in CSR form: off[c][v] .. off[c][v+1] delimit, in list[c], the
 * numbers of the stored hashes whose chunk c equals v (0 <= v < 65536).
 *
 * Why it is exact.  Let q be a query, h a stored hash, D = dist(q, h) =
 * sum over c of D_c, where D_c is the distance between their chunks c.  Let
 * r = floor(d / 16).  If D <= d then some chunk has D_c <= r: otherwise
 * every D_c >= r + 1 and D >= 16 (r + 1) > d, since d < 16 (floor(d/16) + 1)
 * (pigeonhole).  For the default d = 31, r = 1; for d <= 15, r = 0.  A search
 * therefore visits, for every chunk c, the buckets q_c ^ m for every 16-bit
 * mask m of popcount <= r (1 + 16 = 17 buckets per chunk for r = 1, 272 in
 * all), computes the full 256-bit distance of every hash found there, and
 * keeps those within d.  Every h with D <= d is found: in the first chunk
 * c* with D_c* <= r, h sits in bucket q_c* ^ (q_c* ^ h_c*), and that mask
 * has popcount D_c* <= r.  Every h is reported once: it is reported only
 * when found through chunk c*, the smallest chunk with D_c <= r (a hit
 * found through a later chunk is skipped), and within one chunk the masks
 * are distinct, so its bucket is visited once.  Nothing further than d is
 * reported because the full distance is checked.  Hence the result is the
 * set a linear scan returns (the unit tests compare both).  For d >= 64
 * (r >= 4, 2517 buckets per chunk) the search falls back to a linear scan,
 * which is then no slower.
 *
 * Cost.  With uniformly random hashes a bucket holds n / 65536 hashes, so a
 * query at d = 31 looks at 272 n / 65536 = n / 241 candidates.  Real frames
 * of a series are clustered (near-identical neighbouring frames): their
 * chunks share values, buckets grow and so do candidate lists; the
 * benchmark measures both.
 *
 * Memory.  Per stored hash: 32 bytes of hash, 16 of caller data (id, sub,
 * part, quality), 16 x 4 bytes of table entries: 112 bytes, plus 4 MiB of
 * bucket offsets.
 *
 * The file (version 1), native byte order, refused when the byte order
 * marker differs:
 *     header (128 bytes): "PROVPDQX", version, header size, chunks, byte
 *         order marker, count n, the stamp (ledger size and root the index
 *         covers), a checksum, the file size, the count nb <= n of hashes
 *         the tables cover (the first nb)
 *     hashes   n x 32 bytes
 *     items    n x 16 bytes (id u64, sub u32, part u16, quality u8, 0)
 *     offsets  16 x 65537 x u32
 *     lists    16 x nb x u32
 * Hashes beyond nb (added since the tables were last built: a few new
 * ledger entries) are compared with every query directly, which keeps a
 * search exact; the tables are rebuilt once that tail grows large.
 * It is mapped read-only and used in place.  Loading checks the header, the
 * size, a 64-bit checksum over the whole file (a cache must not be trusted
 * to be intact; the checksum catches accidental corruption, not forgery:
 * the index is derived data, rebuilt from the signed ledger on any doubt),
 * and that every offset and list entry is in range, so even a file with a
 * forged checksum cannot make a search read out of bounds.  Saving writes a
 * temporary file and renames it over the old one, so a reader sees the old
 * or the new file, never half of one.
 *
 * Growth is appended.  After the base file (header.file_size bytes) come
 * append records, one per save of an index that grew since it was loaded
 * or saved with the same tables:
 *     record header (96 bytes): "PROVPDQA", count k, the stamp's ledger
 *         size before (it must equal the stamp so far: the records chain)
 *         and after, the root after, a checksum of header and payload
 *     hashes   k x 32 bytes
 *     items    k x 16 bytes
 * written with one write(2) under an exclusive flock(2), after checking
 * that the file is still the one loaded (device, inode, length), and
 * fdatasync'd.  Their hashes join the tail that queries scan directly.
 * Loading reads records while they are whole, checksummed and chained; a
 * torn or damaged record (a crash in the middle of an append) ends the
 * list: the index is then that of the last good record's stamp, the caller
 * (prov_pdqidx_open_ledger) reads the ledger from there, and the next save
 * rewrites the whole file, so the damage is dropped, never used.  Saving
 * rewrites the whole file instead when the tables were rebuilt (the tail
 * grew past its share, see pdqmatch.c), when the file changed under us, or
 * after MAX_SEGMENTS records.  An append costs 48 bytes per new hash, not
 * the 112 per stored hash of a rewrite.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prov.h"
#include "banned.h"

#define CHUNKS 16
#define BUCKETS 65536u
#define HEADER_SIZE 128
#define FILE_VERSION 2
#define BOM 0x01020304u
#define MAX_RADIUS 3		/* r <= 3: d <= 63 through the tables */
#define MAX_ITEMS 0xfffffff0u
#define SEG_HEADER_SIZE 96
#define MAX_SEGMENTS 4096	/* then one rewrite: loading stays quick */

static const char magic[8] = { 'P', 'R', 'O', 'V', 'P', 'D', 'Q', 'X' };
static const char seg_magic[8] = { 'P', 'R', 'O', 'V', 'P', 'D', 'Q', 'A' };

/* The stored form of a caller's item: 16 bytes. */
struct item_rec {
	uint64_t id;
	uint32_t sub;
	uint16_t part;
	uint8_t quality;
	uint8_t pad;
};
_Static_assert(sizeof(struct item_rec) == 16, "16-byte items");

struct prov_pdqidx {
	size_t n;			/* stored hashes */
	size_t built;			/* hashes the tables cover */
	const uint64_t *hashes;		/* n x 4 words */
	const struct item_rec *items;
	const uint32_t *off;		/* CHUNKS x (BUCKETS + 1) */
	const uint32_t *list;		/* CHUNKS x built */
	/* Owned memory: either the mapping, or the malloc'd arrays. */
	void *map;
	size_t map_len;
	uint64_t *own_hashes;
	struct item_rec *own_items;
	uint32_t *own_off, *own_list;
	size_t alloc;
	struct prov_pdqidx_stamp stamp;
	/* The file this index was loaded from or last saved to: its length
	 * (where an append goes), identity, the hashes, tables and ledger
	 * size it holds, its append records, and whether a bad record was
	 * met (then the next save rewrites it). */
	uint64_t file_len;
	dev_t file_dev;
	ino_t file_ino;
	size_t file_n, file_built, file_segs;
	uint64_t file_stamp_size, file_cksum;	/* and its header's checksum */
	int file_torn;
};

/* Masks of popcount <= MAX_RADIUS in 16 bits, by popcount: 1, 16, 120, 560. */
static uint16_t masks[1 + 16 + 120 + 560];
static size_t nmasks_upto[MAX_RADIUS + 2];	/* masks of popcount <= r: [0, nmasks_upto[r]) */
static pthread_once_t masks_once = PTHREAD_ONCE_INIT;

static void
init_masks(void)
{
	size_t k = 0;
	unsigned r, m;

	for (r = 0; r <= MAX_RADIUS; r++) {
		for (m = 0; m < BUCKETS; m++)
			if ((unsigned)__builtin_popcount(m) == r)
				masks[k++] = (uint16_t)m;
		nmasks_upto[r] = k;
	}
}

static inline unsigned
chunk_of(const uint64_t *h, unsigned c)
{
	return (unsigned)(h[c >> 2] >> (16 * (c & 3))) & 0xffffu;
}

/* The hash as 4 words, chunk c in bits 16(c mod 4) of word c / 4. */
static void
load_hash(uint64_t w[4], const unsigned char b[PROV_PDQIDX_HASH_LEN])
{
	unsigned i, j;

	for (i = 0; i < 4; i++) {
		w[i] = 0;
		for (j = 0; j < 8; j++)
			w[i] |= (uint64_t)b[8 * i + j] << (8 * j);
	}
}

static void
store_hash(unsigned char b[PROV_PDQIDX_HASH_LEN], const uint64_t w[4])
{
	unsigned i, j;

	for (i = 0; i < 4; i++)
		for (j = 0; j < 8; j++)
			b[8 * i + j] = (unsigned char)(w[i] >> (8 * j));
}

/*
 * The two loops that decide the speed, compiled twice: with the POPCNT
 * instruction (every x86-64 CPU since 2008) and without; the loader picks
 * one at start-up.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HOT __attribute__((target_clones("popcnt", "default")))
#else
#define HOT
#endif

static inline unsigned
dist4(const uint64_t *a, const uint64_t *q)
{
	return (unsigned)(__builtin_popcountll(a[0] ^ q[0]) + __builtin_popcountll(a[1] ^ q[1]) +
	    __builtin_popcountll(a[2] ^ q[2]) + __builtin_popcountll(a[3] ^ q[3]));
}

/* 1 when some chunk before c is within r of the query (x = hash ^ query):
 * then that earlier chunk reports the hash. */
static inline int
seen_before(const uint64_t *x, unsigned c, unsigned r)
{
	unsigned j;

	for (j = 0; j < c; j++)
		if ((unsigned)__builtin_popcount(chunk_of(x, j)) <= r)
			return 1;
	return 0;
}

struct sink {
	int (*fn)(void *ctx, size_t item, int distance);
	void *ctx;
};

HOT static int
scan_linear(const struct prov_pdqidx *x, const uint64_t *q, unsigned d, struct sink *s)
{
	size_t i;
	int rc;

	for (i = 0; i < x->n; i++) {
		unsigned dd = dist4(x->hashes + 4 * i, q);

		if (dd <= d && (rc = s->fn(s->ctx, i, (int)dd)) != 0)
			return rc;
	}
	return 0;
}

/*
 * Verifies the candidates ids[0..n) found through chunk c.  The stored
 * hashes are read in random order, so each is prefetched PREFETCH
 * candidates ahead: the loop then waits for memory in parallel, not once
 * per candidate.
 */
#define PREFETCH 16
#define CAND_BATCH 4096

HOT static int
verify(const struct prov_pdqidx *x, const uint64_t *q, unsigned d, unsigned c, unsigned r,
    const uint32_t *ids, size_t n, struct sink *s)
{
	size_t k;
	int rc;

	for (k = 0; k < n && k < PREFETCH; k++)
		__builtin_prefetch(x->hashes + 4 * (size_t)ids[k]);
	for (k = 0; k < n; k++) {
		const uint64_t *h = x->hashes + 4 * (size_t)ids[k];
		uint64_t xr[4];
		unsigned dd;

		if (k + PREFETCH < n)
			__builtin_prefetch(x->hashes + 4 * (size_t)ids[k + PREFETCH]);
		dd = dist4(h, q);
		if (dd > d)
			continue;
		xr[0] = h[0] ^ q[0];
		xr[1] = h[1] ^ q[1];
		xr[2] = h[2] ^ q[2];
		xr[3] = h[3] ^ q[3];
		if (seen_before(xr, c, r))
			continue;
		if ((rc = s->fn(s->ctx, ids[k], (int)dd)) != 0)
			return rc;
	}
	return 0;
}

HOT static int
scan_tables(const struct prov_pdqidx *x, const uint64_t *q, unsigned d, struct sink *s)
{
	unsigned r = d / CHUNKS, c;
	size_t nm = nmasks_upto[r], mi, k, nb = x->built, nc;
	uint32_t cand[CAND_BATCH];
	int rc;

	for (c = 0; c < CHUNKS; c++) {
		const uint32_t *off = x->off + (size_t)c * (BUCKETS + 1);
		const uint32_t *list = x->list + (size_t)c * nb;
		unsigned qc = chunk_of(q, c);

		/* The buckets' ids, gathered (sequential reads), then verified. */
		nc = 0;
		for (mi = 0; mi < nm; mi++) {
			unsigned v = qc ^ masks[mi];
			size_t lo = off[v], hi = off[v + 1];

			while (lo < hi) {
				size_t take = hi - lo < CAND_BATCH - nc ? hi - lo : CAND_BATCH - nc;

				memcpy(cand + nc, list + lo, take * sizeof(*cand));
				nc += take;
				lo += take;
				if (nc == CAND_BATCH) {
					if ((rc = verify(x, q, d, c, r, cand, nc, s)) != 0)
						return rc;
					nc = 0;
				}
			}
		}
		if (nc && (rc = verify(x, q, d, c, r, cand, nc, s)) != 0)
			return rc;
	}
	/* Hashes added since the tables were built: scanned directly. */
	for (k = nb; k < x->n; k++) {
		unsigned dd = dist4(x->hashes + 4 * k, q);

		if (dd <= d && (rc = s->fn(s->ctx, k, (int)dd)) != 0)
			return rc;
	}
	return 0;
}

int
prov_pdqidx_new(struct prov_pdqidx **out, struct prov_err *e)
{
	(void)e;
	pthread_once(&masks_once, init_masks);
	*out = prov_xcalloc(1, sizeof(**out));
	return PROV_OK;
}

static void
drop_tables(struct prov_pdqidx *x)
{
	free(x->own_off);
	free(x->own_list);
	x->own_off = x->own_list = NULL;
	x->off = x->list = NULL;
	x->built = 0;
}

void
prov_pdqidx_free(struct prov_pdqidx *x)
{
	if (x == NULL)
		return;
	drop_tables(x);
	free(x->own_hashes);
	free(x->own_items);
	if (x->map)
		munmap(x->map, x->map_len);
	free(x);
}

/* Makes room for need hashes in owned memory (copying a mapped file's
 * hashes and items there), so that the index can grow. */
static void
own(struct prov_pdqidx *x, size_t need)
{
	size_t cap;

	if (x->own_hashes && need <= x->alloc)
		return;
	cap = x->alloc ? x->alloc : 1024;
	while (cap < need)
		cap *= 2;
	if (x->own_hashes == NULL) {
		uint64_t *h = prov_xmalloc(cap * 32);
		struct item_rec *it = prov_xmalloc(cap * sizeof(*it));

		if (x->n) {
			memcpy(h, x->hashes, x->n * 32);
			memcpy(it, x->items, x->n * sizeof(*it));
		}
		x->own_hashes = h;
		x->own_items = it;
	} else {
		x->own_hashes = prov_xrealloc(x->own_hashes, cap * 32);
		x->own_items = prov_xrealloc(x->own_items, cap * sizeof(*x->own_items));
	}
	x->alloc = cap;
	x->hashes = x->own_hashes;
	x->items = x->own_items;
	/* The tables of a mapped file stay where they are (the mapping lives
	 * until prov_pdqidx_free) and go on serving the first x->built. */
}

int
prov_pdqidx_add(struct prov_pdqidx *x, const struct prov_pdqidx_item *items, size_t n,
    struct prov_err *e)
{
	size_t i;

	if (n == 0)
		return PROV_OK;
	if (n > MAX_ITEMS - x->n)
		return prov_seterr(e, PROV_FAILED, 0, "pdq index: more than %u hashes",
		    (unsigned)MAX_ITEMS);
	own(x, x->n + n);
	for (i = 0; i < n; i++) {
		struct item_rec *r = &x->own_items[x->n + i];

		load_hash(x->own_hashes + 4 * (x->n + i), items[i].hash);
		r->id = items[i].id;
		r->sub = items[i].sub;
		r->part = items[i].part;
		r->quality = items[i].quality;
		r->pad = 0;
	}
	x->n += n;
	return PROV_OK;
}

struct build_job {
	struct prov_pdqidx *x;
	uint32_t *off, *list;
	unsigned first, step;
};

static void *
build_chunks(void *arg)
{
	struct build_job *j = arg;
	const struct prov_pdqidx *x = j->x;
	uint32_t *cur = prov_xmalloc(BUCKETS * sizeof(*cur));
	uint16_t *val = prov_xmalloc((x->n ? x->n : 1) * sizeof(*val));
	unsigned c;
	size_t i, v;

	/* A counting sort per chunk.  The chunk's values are copied out in
	 * the counting pass, so the scatter pass reads 2 bytes per hash, not
	 * the hash's whole cache line again. */
	for (c = j->first; c < CHUNKS; c += j->step) {
		uint32_t *off = j->off + (size_t)c * (BUCKETS + 1);
		uint32_t *list = j->list + (size_t)c * x->n;

		memset(off, 0, (BUCKETS + 1) * sizeof(*off));
		for (i = 0; i < x->n; i++) {
			val[i] = (uint16_t)chunk_of(x->hashes + 4 * i, c);
			off[val[i] + 1]++;
		}
		for (v = 0; v < BUCKETS; v++)
			off[v + 1] += off[v];
		memcpy(cur, off, BUCKETS * sizeof(*cur));
		for (i = 0; i < x->n; i++)
			list[cur[val[i]]++] = (uint32_t)i;
	}
	free(val);
	free(cur);
	return NULL;
}

int
prov_pdqidx_build(struct prov_pdqidx *x, unsigned nthreads, struct prov_err *e)
{
	struct build_job jobs[CHUNKS];
	pthread_t tid[CHUNKS];
	uint32_t *off, *list;
	unsigned t, started = 0;

	(void)e;
	if (x->built == x->n && x->off)
		return PROV_OK;
	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > CHUNKS)
		nthreads = CHUNKS;
	off = prov_xmalloc((size_t)CHUNKS * (BUCKETS + 1) * sizeof(*off));
	list = prov_xmalloc((size_t)CHUNKS * (x->n ? x->n : 1) * sizeof(*list));
	for (t = 0; t < nthreads; t++) {
		jobs[t].x = x;
		jobs[t].off = off;
		jobs[t].list = list;
		jobs[t].first = t;
		jobs[t].step = nthreads;
	}
	for (t = 1; t < nthreads; t++)
		if (pthread_create(&tid[t], NULL, build_chunks, &jobs[t]) == 0)
			started = t;
		else
			break;
	/* Chunks of threads that could not start are built here. */
	if (started + 1 < nthreads) {
		for (t = started + 1; t < nthreads; t++)
			build_chunks(&jobs[t]);
	}
	build_chunks(&jobs[0]);
	for (t = 1; t <= started; t++)
		pthread_join(tid[t], NULL);
	drop_tables(x);
	x->own_off = off;
	x->own_list = list;
	x->off = off;
	x->list = list;
	x->built = x->n;
	return PROV_OK;
}

size_t
prov_pdqidx_count(const struct prov_pdqidx *x)
{
	return x->n;
}

size_t
prov_pdqidx_unindexed(const struct prov_pdqidx *x)
{
	return x->off ? x->n - x->built : x->n;
}

int
prov_pdqidx_item(const struct prov_pdqidx *x, size_t i, struct prov_pdqidx_item *out)
{
	if (i >= x->n)
		return -1;
	store_hash(out->hash, x->hashes + 4 * i);
	out->id = x->items[i].id;
	out->sub = x->items[i].sub;
	out->part = x->items[i].part;
	out->quality = x->items[i].quality;
	return 0;
}

void
prov_pdqidx_stamp(const struct prov_pdqidx *x, struct prov_pdqidx_stamp *out)
{
	*out = x->stamp;
}

void
prov_pdqidx_set_stamp(struct prov_pdqidx *x, const struct prov_pdqidx_stamp *st)
{
	x->stamp = *st;
}

size_t
prov_pdqidx_memory(const struct prov_pdqidx *x)
{
	return x->n * (32 + sizeof(struct item_rec)) + (x->off ? (size_t)CHUNKS *
	    ((BUCKETS + 1) + x->built) * 4 : 0);
}

int
prov_pdqidx_search(const struct prov_pdqidx *x, const unsigned char q[PROV_PDQIDX_HASH_LEN],
    int maxdist, int (*fn)(void *ctx, size_t item, int distance), void *ctx)
{
	struct sink s = { fn, ctx };
	uint64_t w[4];

	if (maxdist < 0)
		return 0;
	if (maxdist > 256)
		maxdist = 256;
	load_hash(w, q);
	if (maxdist / CHUNKS > MAX_RADIUS || x->off == NULL)
		return scan_linear(x, w, (unsigned)maxdist, &s);
	return scan_tables(x, w, (unsigned)maxdist, &s);
}

int
prov_pdqidx_search_linear(const struct prov_pdqidx *x,
    const unsigned char q[PROV_PDQIDX_HASH_LEN], int maxdist,
    int (*fn)(void *ctx, size_t item, int distance), void *ctx)
{
	struct sink s = { fn, ctx };
	uint64_t w[4];

	if (maxdist < 0)
		return 0;
	load_hash(w, q);
	return scan_linear(x, w, (unsigned)(maxdist > 256 ? 256 : maxdist), &s);
}

/* ------------------------------------------------------------ many queries */

#define BLOCK 32	/* queries per unit of work */

struct hitvec {
	struct prov_pdqidx_hit *v;
	size_t n, alloc;
};

struct many {
	const struct prov_pdqidx *x;
	const unsigned char *queries;
	size_t nq, nblocks;
	int maxdist, linear;
	struct hitvec *blocks;		/* one per block */
	pthread_mutex_t lock;
	size_t next;
};

struct collect {
	struct hitvec *hv;
	uint32_t query;
};

static int
collect_hit(void *ctx, size_t item, int distance)
{
	struct collect *c = ctx;
	struct hitvec *hv = c->hv;

	if (hv->n == hv->alloc) {
		hv->alloc = hv->alloc ? 2 * hv->alloc : 64;
		hv->v = prov_xrealloc(hv->v, hv->alloc * sizeof(*hv->v));
	}
	hv->v[hv->n].query = c->query;
	hv->v[hv->n].item = (uint32_t)item;
	hv->v[hv->n].distance = (uint16_t)distance;
	hv->n++;
	return 0;
}

static int
cmp_hit(const void *a, const void *b)
{
	const struct prov_pdqidx_hit *x = a, *y = b;

	if (x->query != y->query)
		return x->query < y->query ? -1 : 1;
	if (x->distance != y->distance)
		return x->distance < y->distance ? -1 : 1;
	return x->item < y->item ? -1 : x->item > y->item;
}

static void *
many_worker(void *arg)
{
	struct many *m = arg;

	for (;;) {
		size_t b, q, end;

		pthread_mutex_lock(&m->lock);
		b = m->next++;
		pthread_mutex_unlock(&m->lock);
		if (b >= m->nblocks)
			break;
		end = (b + 1) * BLOCK < m->nq ? (b + 1) * BLOCK : m->nq;
		for (q = b * BLOCK; q < end; q++) {
			struct collect c = { &m->blocks[b], (uint32_t)q };
			size_t first = m->blocks[b].n;
			const unsigned char *qh = m->queries + q * PROV_PDQIDX_HASH_LEN;

			if (m->linear)
				prov_pdqidx_search_linear(m->x, qh, m->maxdist, collect_hit, &c);
			else
				prov_pdqidx_search(m->x, qh, m->maxdist, collect_hit, &c);
			if (m->blocks[b].n - first > 1)
				qsort(m->blocks[b].v + first, m->blocks[b].n - first,
				    sizeof(struct prov_pdqidx_hit), cmp_hit);
		}
	}
	return NULL;
}

int
prov_pdqidx_search_many(const struct prov_pdqidx *x, const unsigned char *queries, size_t nq,
    int maxdist, unsigned nthreads, int flags, struct prov_pdqidx_hits *out,
    struct prov_err *e)
{
	struct many m;
	pthread_t tid[64];
	unsigned t, started = 0;
	size_t b, total = 0;

	memset(out, 0, sizeof(*out));
	if (nq > 0xffffffffu)
		return prov_seterr(e, PROV_FAILED, 0, "pdq index: too many queries");
	memset(&m, 0, sizeof(m));
	m.x = x;
	m.queries = queries;
	m.nq = nq;
	m.maxdist = maxdist;
	m.linear = (flags & PROV_PDQIDX_LINEAR) != 0;
	m.nblocks = (nq + BLOCK - 1) / BLOCK;
	m.blocks = prov_xcalloc(m.nblocks ? m.nblocks : 1, sizeof(*m.blocks));
	pthread_mutex_init(&m.lock, NULL);
	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > 64)
		nthreads = 64;
	for (t = 1; t < nthreads; t++) {
		if (pthread_create(&tid[t], NULL, many_worker, &m) != 0)
			break;
		started = t;
	}
	many_worker(&m);
	for (t = 1; t <= started; t++)
		pthread_join(tid[t], NULL);
	pthread_mutex_destroy(&m.lock);
	for (b = 0; b < m.nblocks; b++)
		total += m.blocks[b].n;
	out->v = prov_xmalloc((total ? total : 1) * sizeof(*out->v));
	for (b = 0; b < m.nblocks; b++) {
		if (m.blocks[b].n)
			memcpy(out->v + out->n, m.blocks[b].v, m.blocks[b].n * sizeof(*out->v));
		out->n += m.blocks[b].n;
		free(m.blocks[b].v);
	}
	free(m.blocks);
	return PROV_OK;
}

void
prov_pdqidx_hits_release(struct prov_pdqidx_hits *h)
{
	free(h->v);
	h->v = NULL;
	h->n = 0;
}

/* ------------------------------------------------------------------ file */

struct header {
	char magic[8];
	uint32_t version, header_size, chunks, bom;
	uint64_t count;
	uint64_t stamp_size;
	unsigned char stamp_root[32];
	uint64_t checksum;
	uint64_t file_size;
	uint64_t built;			/* hashes the tables cover: a prefix */
	unsigned char reserved[HEADER_SIZE - 8 - 16 - 16 - 32 - 24];
};
_Static_assert(sizeof(struct header) == HEADER_SIZE, "128-byte header");

struct seg_header {
	char magic[8];
	uint64_t count;
	uint64_t from_size;		/* the stamp's size before this record */
	uint64_t stamp_size;		/* and after it */
	unsigned char stamp_root[32];
	uint64_t checksum;		/* header (checksum 0) and payload */
	unsigned char reserved[SEG_HEADER_SIZE - 72];
};
_Static_assert(sizeof(struct seg_header) == SEG_HEADER_SIZE, "96-byte record header");

/*
 * A 64-bit checksum at memory speed: four independent multiply-xor lanes
 * over 64-bit words, folded at the end.  Not cryptographic (see the top).
 */
struct cksum {
	uint64_t lane[4];
	unsigned char tail[32];
	size_t ntail;
	uint64_t total;
};

static void
cksum_init(struct cksum *k)
{
	memset(k, 0, sizeof(*k));
	k->lane[0] = 0x9e3779b97f4a7c15ull;
	k->lane[1] = 0xc2b2ae3d27d4eb4full;
	k->lane[2] = 0x165667b19e3779f9ull;
	k->lane[3] = 0x27d4eb2f165667c5ull;
}

static inline uint64_t
mix(uint64_t h, uint64_t w)
{
	h ^= w * 0xff51afd7ed558ccdull;
	h = (h << 31) | (h >> 33);
	return h * 0x9e3779b97f4a7c15ull;
}

static void
cksum_block(struct cksum *k, const unsigned char *p)
{
	unsigned i;

	for (i = 0; i < 4; i++) {
		uint64_t w;

		memcpy(&w, p + 8 * i, 8);
		k->lane[i] = mix(k->lane[i], w);
	}
}

static void
cksum_update(struct cksum *k, const void *data, size_t len)
{
	const unsigned char *p = data;

	if (len == 0)
		return;
	k->total += len;
	if (k->ntail) {
		size_t take = 32 - k->ntail < len ? 32 - k->ntail : len;

		memcpy(k->tail + k->ntail, p, take);
		k->ntail += take;
		p += take;
		len -= take;
		if (k->ntail < 32)
			return;
		cksum_block(k, k->tail);
		k->ntail = 0;
	}
	for (; len >= 32; p += 32, len -= 32)
		cksum_block(k, p);
	memcpy(k->tail, p, len);
	k->ntail = len;
}

static uint64_t
cksum_final(struct cksum *k)
{
	uint64_t h;

	memset(k->tail + k->ntail, 0, 32 - k->ntail);
	cksum_block(k, k->tail);
	h = mix(k->lane[0], k->lane[1]);
	h = mix(h, k->lane[2]);
	h = mix(h, k->lane[3]);
	h = mix(h, k->total);
	return h ^ (h >> 29);
}

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t w = write(fd, p, len > (1u << 30) ? (1u << 30) : len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * Appends the hashes added since the file was loaded or saved, and the
 * stamp, as one record at the end of the file at path.  0 when done; -1
 * when the file must be rewritten instead (it is not the one loaded, or
 * the append failed: a partial record is never read, see the top).
 */
static int
append_segment(struct prov_pdqidx *x, const char *path)
{
	struct seg_header sh;
	struct header h;
	struct cksum k;
	struct stat st;
	size_t cnt = x->n - x->file_n, len = SEG_HEADER_SIZE + cnt * 48;
	unsigned char *rec;
	int fd, ok;

	if ((fd = open(path, O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -1;
	/* The file we loaded or wrote, untouched since: same inode, length
	 * and header (whose checksum covers the base). */
	if (flock(fd, LOCK_EX) != 0 || fstat(fd, &st) != 0 || st.st_dev != x->file_dev ||
	    st.st_ino != x->file_ino || (uint64_t)st.st_size != x->file_len ||
	    pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    memcmp(h.magic, magic, sizeof(magic)) != 0 || h.checksum != x->file_cksum) {
		close(fd);
		return -1;
	}
	memset(&sh, 0, sizeof(sh));
	memcpy(sh.magic, seg_magic, sizeof(seg_magic));
	sh.count = cnt;
	sh.from_size = x->file_stamp_size;
	sh.stamp_size = x->stamp.size;
	memcpy(sh.stamp_root, x->stamp.root, 32);
	cksum_init(&k);
	cksum_update(&k, &sh, sizeof(sh));
	cksum_update(&k, x->hashes + 4 * x->file_n, cnt * 32);
	cksum_update(&k, x->items + x->file_n, cnt * sizeof(struct item_rec));
	sh.checksum = cksum_final(&k);
	/* One buffer, one write: a crash leaves a prefix of it at most. */
	rec = prov_xmalloc(len);
	memcpy(rec, &sh, sizeof(sh));
	memcpy(rec + SEG_HEADER_SIZE, x->hashes + 4 * x->file_n, cnt * 32);
	memcpy(rec + SEG_HEADER_SIZE + cnt * 32, x->items + x->file_n,
	    cnt * sizeof(struct item_rec));
	ok = write_all(fd, rec, len) == 0 && fdatasync(fd) == 0;
	free(rec);
	if (!ok) {
		/* Cut what may have been written; a rewrite follows anyway. */
		if (ftruncate(fd, (off_t)x->file_len) != 0)
			x->file_torn = 1;
		close(fd);
		return -1;
	}
	close(fd);
	x->file_len += len;
	x->file_n = x->n;
	x->file_segs++;
	x->file_stamp_size = x->stamp.size;
	return 0;
}

int
prov_pdqidx_save(struct prov_pdqidx *x, const char *path, struct prov_err *e)
{
	struct header h;
	struct cksum k;
	struct prov_buf tmp = PROV_BUF_INIT;
	struct stat st;
	size_t bodylen;
	int fd, rc;

	if (x->off == NULL && (rc = prov_pdqidx_build(x, 1, e)) != PROV_OK)
		return rc;
	if (x->file_len && !x->file_torn && x->built == x->file_built && x->n >= x->file_n &&
	    x->stamp.size >= x->file_stamp_size && x->file_segs < MAX_SEGMENTS &&
	    append_segment(x, path) == 0)
		return PROV_OK;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, magic, sizeof(magic));
	h.version = FILE_VERSION;
	h.header_size = HEADER_SIZE;
	h.chunks = CHUNKS;
	h.bom = BOM;
	h.count = x->n;
	h.built = x->built;
	h.stamp_size = x->stamp.size;
	memcpy(h.stamp_root, x->stamp.root, 32);
	bodylen = x->n * (32 + sizeof(struct item_rec)) + (size_t)CHUNKS * (BUCKETS + 1) * 4 +
	    (size_t)CHUNKS * x->built * 4;
	h.file_size = HEADER_SIZE + bodylen;
	/* The checksum covers the header (with checksum 0) and the body. */
	cksum_init(&k);
	cksum_update(&k, &h, sizeof(h));
	cksum_update(&k, x->hashes, x->n * 32);
	cksum_update(&k, x->items, x->n * sizeof(struct item_rec));
	cksum_update(&k, x->off, (size_t)CHUNKS * (BUCKETS + 1) * 4);
	cksum_update(&k, x->list, (size_t)CHUNKS * x->built * 4);
	h.checksum = cksum_final(&k);

	/* A temporary file of our own (a stale one of a dead process with our
	 * pid is removed first), renamed over path once complete. */
	prov_buf_addf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	(void)unlink(tmp.buf);
	fd = open(tmp.buf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = prov_seterr(e, PROV_FAILED, errno, "%s: %s", tmp.buf, strerror(errno));
		prov_buf_release(&tmp);
		return rc;
	}
	if (write_all(fd, &h, sizeof(h)) || write_all(fd, x->hashes, x->n * 32) ||
	    write_all(fd, x->items, x->n * sizeof(struct item_rec)) ||
	    write_all(fd, x->off, (size_t)CHUNKS * (BUCKETS + 1) * 4) ||
	    write_all(fd, x->list, (size_t)CHUNKS * x->built * 4) || fsync(fd) != 0) {
		rc = prov_seterr(e, PROV_FAILED, errno, "%s: %s", tmp.buf, strerror(errno));
		close(fd);
		unlink(tmp.buf);
		prov_buf_release(&tmp);
		return rc;
	}
	if (fstat(fd, &st) != 0 || close(fd) != 0 || rename(tmp.buf, path) != 0) {
		rc = prov_seterr(e, PROV_FAILED, errno, "%s: %s", path, strerror(errno));
		unlink(tmp.buf);
		prov_buf_release(&tmp);
		return rc;
	}
	prov_buf_release(&tmp);
	x->file_len = h.file_size;
	x->file_dev = st.st_dev;
	x->file_ino = st.st_ino;
	x->file_n = x->n;
	x->file_built = x->built;
	x->file_segs = 0;
	x->file_stamp_size = x->stamp.size;
	x->file_cksum = h.checksum;
	x->file_torn = 0;
	return PROV_OK;
}

/* Every offset ascending and within n, every list entry below n. */
static int
tables_sane(const uint32_t *off, const uint32_t *list, size_t n)
{
	unsigned c;
	size_t v, i;

	for (c = 0; c < CHUNKS; c++) {
		const uint32_t *o = off + (size_t)c * (BUCKETS + 1);
		const uint32_t *l = list + (size_t)c * n;
		uint32_t bad = 0;

		if (o[0] != 0 || o[BUCKETS] != n)
			return 0;
		for (v = 0; v < BUCKETS; v++)
			bad |= o[v] > o[v + 1];
		for (i = 0; i < n; i++)
			bad |= l[i] >= n;
		if (bad)
			return 0;
	}
	return 1;
}

/*
 * Reads the append records of a mapped file from pos to end into x while
 * they are whole, checksummed and chained (see the top); returns where
 * the good ones end.  A bad one sets x->file_torn.
 */
static uint64_t
load_segments(struct prov_pdqidx *x, const unsigned char *map, uint64_t pos, uint64_t end)
{
	struct seg_header sh;
	struct cksum k;
	uint64_t cnt;

	while (pos < end) {
		if (end - pos < SEG_HEADER_SIZE)
			break;
		memcpy(&sh, map + pos, sizeof(sh));
		cnt = sh.count;
		if (memcmp(sh.magic, seg_magic, sizeof(seg_magic)) != 0 ||
		    cnt > MAX_ITEMS - x->n || (end - pos - SEG_HEADER_SIZE) / 48 < cnt ||
		    sh.from_size != x->stamp.size || sh.stamp_size < sh.from_size)
			break;
		{
			struct seg_header z = sh;

			z.checksum = 0;
			cksum_init(&k);
			cksum_update(&k, &z, sizeof(z));
			cksum_update(&k, map + pos + SEG_HEADER_SIZE, (size_t)cnt * 48);
			if (cksum_final(&k) != sh.checksum)
				break;
		}
		if (cnt) {
			own(x, x->n + (size_t)cnt);
			memcpy(x->own_hashes + 4 * x->n, map + pos + SEG_HEADER_SIZE, (size_t)cnt * 32);
			memcpy(x->own_items + x->n, map + pos + SEG_HEADER_SIZE + cnt * 32,
			    (size_t)cnt * sizeof(struct item_rec));
			x->n += (size_t)cnt;
		}
		x->stamp.size = sh.stamp_size;
		memcpy(x->stamp.root, sh.stamp_root, 32);
		x->file_segs++;
		pos += SEG_HEADER_SIZE + cnt * 48;
	}
	x->file_torn = pos < end;
	return pos;
}

int
prov_pdqidx_load(struct prov_pdqidx **out, const char *path, struct prov_err *e)
{
	struct prov_pdqidx *x;
	struct header h;
	struct stat st;
	struct cksum k;
	unsigned char *map;
	uint64_t want, n, nb;
	int fd;

	*out = NULL;
	pthread_once(&masks_once, init_masks);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return prov_seterr(e, errno == ENOENT ? PROV_WARN : PROV_FAILED, errno, "%s: %s",
		    path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return prov_seterr(e, PROV_FAILED, errno, "%s: not a regular file", path);
	}
	if ((uint64_t)st.st_size < HEADER_SIZE) {
		close(fd);
		return prov_seterr(e, PROV_FAILED, 0, "%s: truncated index header", path);
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return prov_seterr(e, PROV_FAILED, errno, "%s: mmap: %s", path, strerror(errno));
	memcpy(&h, map, sizeof(h));
#define BAD(...) do { munmap(map, (size_t)st.st_size); \
	return prov_seterr(e, PROV_FAILED, 0, __VA_ARGS__); } while (0)
	if (memcmp(h.magic, magic, sizeof(magic)) != 0)
		BAD("%s: not a prov PDQ index", path);
	if (h.version != FILE_VERSION || h.header_size != HEADER_SIZE || h.chunks != CHUNKS)
		BAD("%s: index version %u, this is version %u", path, (unsigned)h.version,
		    FILE_VERSION);
	if (h.bom != BOM)
		BAD("%s: index written with another byte order", path);
	n = h.count;
	nb = h.built;
	if (n > MAX_ITEMS || nb > n)
		BAD("%s: index count %llu (%llu in tables) out of range", path,
		    (unsigned long long)n, (unsigned long long)nb);
	want = HEADER_SIZE + n * (32 + sizeof(struct item_rec)) + (uint64_t)CHUNKS * (BUCKETS + 1) * 4 +
	    (uint64_t)CHUNKS * nb * 4;
	if (h.file_size != want || (uint64_t)st.st_size < want)
		BAD("%s: index size %llu, expected %llu (truncated)", path,
		    (unsigned long long)st.st_size, (unsigned long long)want);
	{
		struct header z = h;

		z.checksum = 0;
		cksum_init(&k);
		cksum_update(&k, &z, sizeof(z));
		cksum_update(&k, map + HEADER_SIZE, (size_t)want - HEADER_SIZE);
		if (cksum_final(&k) != h.checksum)
			BAD("%s: index checksum mismatch", path);
	}
	{
		const uint32_t *off = (const uint32_t *)(map + HEADER_SIZE + n * 48);
		const uint32_t *list = off + (size_t)CHUNKS * (BUCKETS + 1);

		if (!tables_sane(off, list, (size_t)nb))
			BAD("%s: index tables out of range", path);
		x = prov_xcalloc(1, sizeof(*x));
		x->map = map;
		x->map_len = (size_t)st.st_size;
		x->n = (size_t)n;
		x->built = (size_t)nb;
		x->hashes = (const uint64_t *)(map + HEADER_SIZE);
		x->items = (const struct item_rec *)(map + HEADER_SIZE + n * 32);
		x->off = off;
		x->list = list;
	}
#undef BAD
	x->stamp.size = h.stamp_size;
	memcpy(x->stamp.root, h.stamp_root, 32);
	x->file_dev = st.st_dev;
	x->file_ino = st.st_ino;
	x->file_built = x->built;
	x->file_cksum = h.checksum;
	x->file_len = load_segments(x, map, want, (uint64_t)st.st_size);
	x->file_n = x->n;
	x->file_stamp_size = x->stamp.size;
	*out = x;
	return PROV_OK;
}
