/* t_pdqidx.c: the PDQ index against a linear scan (random and clustered
 * hashes, boundary distances), its file (round trip, corruption, staleness)
 * and the index of a real ledger's artifacts. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

/* xorshift64*: deterministic, so a failure can be replayed. */
static uint64_t rng_state;
static uint64_t
rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void
random_hash(unsigned char h[32])
{
	size_t i;

	for (i = 0; i < 32; i++)
		h[i] = (unsigned char)(rnd() >> 56);
}

/* Flips k distinct random bits of h. */
static void
flip(unsigned char h[32], int k)
{
	unsigned char used[256] = { 0 };

	while (k > 0) {
		unsigned b = (unsigned)(rnd() % 256);

		if (used[b])
			continue;
		used[b] = 1;
		h[b / 8] ^= (unsigned char)(1u << (b % 8));
		k--;
	}
}

/* The reference the index must equal: bit by bit, nothing shared with it. */
static int
ref_distance(const unsigned char *a, const unsigned char *b)
{
	int d = 0, i, j;

	for (i = 0; i < 32; i++)
		for (j = 0; j < 8; j++)
			d += ((a[i] ^ b[i]) >> j) & 1;
	return d;
}

struct found {
	int *dist;		/* per item: distance reported, or -1 */
	size_t reports;		/* total callbacks */
};

static int
on_hit(void *ctx, size_t item, int distance)
{
	struct found *f = ctx;

	if (f->dist[item] != -1)
		f->dist[item] = 1000;	/* reported twice: never equals the reference */
	else
		f->dist[item] = distance;
	f->reports++;
	return 0;
}

/* Reference distances of q to every stored hash, by a byte table. */
static int *
ref_all(const unsigned char *stored, size_t n, const unsigned char q[32])
{
	static unsigned char bits[256];
	int *r = malloc((n ? n : 1) * sizeof(int));
	size_t i, j;

	if (bits[255] == 0)
		for (i = 0; i < 256; i++)
			bits[i] = (unsigned char)ref_distance((const unsigned char[32]){ (unsigned char)i },
			    (const unsigned char[32]){ 0 });
	for (i = 0; i < n; i++) {
		r[i] = 0;
		for (j = 0; j < 32; j++)
			r[i] += bits[stored[32 * i + j] ^ q[j]];
	}
	return r;
}

/* Compares the index's answer for q with the reference distances ref;
 * returns the number of hashes within d, or -1 (after a failure message)
 * on a difference. */
static long
same_as(const struct prov_pdqidx *x, const int *ref, size_t n, const unsigned char q[32], int d)
{
	struct found f;
	size_t i;
	long within = 0;

	f.dist = malloc((n ? n : 1) * sizeof(int));
	f.reports = 0;
	for (i = 0; i < n; i++)
		f.dist[i] = -1;
	prov_pdqidx_search(x, q, d, on_hit, &f);
	for (i = 0; i < n; i++) {
		int want = ref[i] <= d ? ref[i] : -1;

		if (f.dist[i] != want) {
			failure("item %zu: index says %d, linear scan %d (d = %d)", i, f.dist[i],
			    want, d);
			free(f.dist);
			return -1;
		}
		within += want >= 0;
	}
	free(f.dist);
	return (long)f.reports == within ? within : -1;
}

static long
same_as_linear(const struct prov_pdqidx *x, const unsigned char *stored, size_t n,
    const unsigned char q[32], int d)
{
	int *ref = ref_all(stored, n, q);
	long r = same_as(x, ref, n, q, d);

	free(ref);
	return r;
}

static struct prov_pdqidx *
index_of(const unsigned char *stored, size_t n, unsigned threads)
{
	struct prov_pdqidx *x;
	struct prov_pdqidx_item *it = calloc(n ? n : 1, sizeof(*it));
	size_t i;

	for (i = 0; i < n; i++) {
		memcpy(it[i].hash, stored + 32 * i, 32);
		it[i].id = 1000 + i;
		it[i].sub = (uint32_t)(i * 7);
		it[i].part = (uint16_t)(i % 3);
		it[i].quality = (uint8_t)(i % 101);
	}
	prov_pdqidx_new(&x, NULL);
	prov_pdqidx_add(x, it, n, NULL);
	prov_pdqidx_build(x, threads, NULL);
	free(it);
	return x;
}

DEFINE_TEST(test_pdqidx_random_equals_linear_scan)
{
	size_t n = 10000, i;
	unsigned char *stored = malloc(32 * n), q[32];
	static const int ds[] = { 31, 0, 1, 15, 16, 32, 47, 63, 64, 80 };
	struct prov_pdqidx *x;
	long total = 0, r;
	int *ref;
	size_t k;

	rng_state = 0x1234567;
	for (i = 0; i < 32 * n; i += 32)
		random_hash(stored + i);
	x = index_of(stored, n, 2);
	assert_eq_int(prov_pdqidx_count(x), n);
	for (i = 0; i < 120; i++) {
		/* Near a stored hash at 0..48 bits, or anywhere. */
		if (i % 3 == 2)
			random_hash(q);
		else {
			memcpy(q, stored + 32 * (rnd() % n), 32);
			flip(q, (int)(rnd() % 49));
		}
		ref = ref_all(stored, n, q);
		for (k = 0; k < sizeof(ds) / sizeof(ds[0]); k++) {
			failure("query %zu, distance %d", i, ds[k]);
			r = same_as(x, ref, n, q, ds[k]);
			if (r < 0)
				free(ref);
			assert_true(r >= 0);
			total += r;
		}
		free(ref);
	}
	/* The queries did find things (the comparison is not vacuous). */
	assert_true(total > 300);
	prov_pdqidx_free(x);
	free(stored);
}

DEFINE_TEST(test_pdqidx_clustered_equals_linear_scan)
{
	/* A series: 40 base frames, 250 near-identical frames each (0..40 bits
	 * away), and bases that share most of their bits with each other as
	 * the frames of one shot do. */
	size_t nb = 40, per = 250, n = nb * per, i, j;
	unsigned char *stored = malloc(32 * n), base[40][32], q[32];
	struct prov_pdqidx *x;
	long r, within = 0;
	int *ref;

	rng_state = 0xabcdef;
	random_hash(base[0]);
	for (i = 1; i < nb; i++) {
		memcpy(base[i], base[i - 1], 32);
		flip(base[i], 20);
	}
	for (i = 0; i < nb; i++)
		for (j = 0; j < per; j++) {
			memcpy(stored + 32 * (i * per + j), base[i], 32);
			flip(stored + 32 * (i * per + j), (int)(rnd() % 41));
		}
	x = index_of(stored, n, 1);
	for (i = 0; i < 120; i++) {
		memcpy(q, base[rnd() % nb], 32);
		flip(q, (int)(rnd() % 30));
		failure("clustered query %zu", i);
		ref = ref_all(stored, n, q);
		r = same_as(x, ref, n, q, 31);
		within += r;
		if (r >= 0)
			r = same_as(x, ref, n, q, 10);
		free(ref);
		assert_true(r >= 0);
	}
	assert_true(within > 120 * 50);
	prov_pdqidx_free(x);
	free(stored);
}

/* Stored hash 0 with exactly `per_chunk[c]` bits flipped in chunk c. */
static void
flip_chunks(unsigned char q[32], const int per_chunk[16])
{
	int c, b;

	for (c = 0; c < 16; c++)
		for (b = 0; b < per_chunk[c]; b++)
			q[2 * c + b / 8] ^= (unsigned char)(1u << (b % 8));
}

struct one {
	size_t item;
	int distance, count;
};

static int
on_one(void *ctx, size_t item, int distance)
{
	struct one *o = ctx;

	o->item = item;
	o->distance = distance;
	o->count++;
	return 0;
}

DEFINE_TEST(test_pdqidx_boundary_distances)
{
	/* The pigeonhole's tight cases: 31 bits with every chunk at 2 but one
	 * (the last) at 1 is found at d = 31; 32 bits with every chunk at 2
	 * is not found at 31, found at 32; exactly d and d + 1 elsewhere. */
	int c31[16], c32[16], c;
	unsigned char stored[32], q[32];
	struct prov_pdqidx *x;
	struct one o;

	rng_state = 99;
	random_hash(stored);
	x = index_of(stored, 1, 1);
	for (c = 0; c < 16; c++)
		c31[c] = c32[c] = 2;
	c31[15] = 1;
	memcpy(q, stored, 32);
	flip_chunks(q, c31);
	assert_eq_int(ref_distance(q, stored), 31);
	memset(&o, 0, sizeof(o));
	prov_pdqidx_search(x, q, 31, on_one, &o);
	assert_eq_int(o.count, 1);
	assert_eq_int(o.distance, 31);
	memset(&o, 0, sizeof(o));
	prov_pdqidx_search(x, q, 30, on_one, &o);
	assert_eq_int(o.count, 0);

	memcpy(q, stored, 32);
	flip_chunks(q, c32);
	assert_eq_int(ref_distance(q, stored), 32);
	memset(&o, 0, sizeof(o));
	prov_pdqidx_search(x, q, 31, on_one, &o);
	assert_eq_int(o.count, 0);
	memset(&o, 0, sizeof(o));
	prov_pdqidx_search(x, q, 32, on_one, &o);
	assert_eq_int(o.count, 1);
	assert_eq_int(o.distance, 32);

	/* d = 15 (radius 0): 15 chunks at 1 bit found, 16 chunks at 1 not. */
	for (c = 0; c < 16; c++)
		c31[c] = c < 15;
	memcpy(q, stored, 32);
	flip_chunks(q, c31);
	memset(&o, 0, sizeof(o));
	prov_pdqidx_search(x, q, 15, on_one, &o);
	assert_eq_int(o.count, 1);
	c31[15] = 1;
	memcpy(q, stored, 32);
	flip_chunks(q, c31);
	memset(&o, 0, sizeof(o));
	prov_pdqidx_search(x, q, 15, on_one, &o);
	assert_eq_int(o.count, 0);
	memset(&o, 0, sizeof(o));
	prov_pdqidx_search(x, q, 16, on_one, &o);
	assert_eq_int(o.count, 1);
	assert_eq_int(o.distance, 16);
	/* Distance 0, and everything at 256. */
	memset(&o, 0, sizeof(o));
	prov_pdqidx_search(x, stored, 0, on_one, &o);
	assert_eq_int(o.count, 1);
	assert_eq_int(o.distance, 0);
	for (c = 0; c < 32; c++)
		q[c] = (unsigned char)~stored[c];
	memset(&o, 0, sizeof(o));
	prov_pdqidx_search(x, q, 255, on_one, &o);
	assert_eq_int(o.count, 0);
	prov_pdqidx_search(x, q, 256, on_one, &o);
	assert_eq_int(o.count, 1);
	assert_eq_int(o.distance, 256);
	prov_pdqidx_free(x);
}

DEFINE_TEST(test_pdqidx_search_many_threads_and_linear_agree)
{
	size_t n = 5000, nq = 300, i;
	unsigned char *stored = malloc(32 * n), *qs = malloc(32 * nq);
	struct prov_pdqidx_hits a, b, c;
	struct prov_pdqidx *x;

	rng_state = 4242;
	for (i = 0; i < n; i++)
		random_hash(stored + 32 * i);
	for (i = 0; i < nq; i++) {
		memcpy(qs + 32 * i, stored + 32 * (rnd() % n), 32);
		flip(qs + 32 * i, (int)(rnd() % 40));
	}
	x = index_of(stored, n, 2);
	assert_ok(prov_pdqidx_search_many(x, qs, nq, 31, 1, 0, &a, NULL));
	assert_ok(prov_pdqidx_search_many(x, qs, nq, 31, 2, 0, &b, NULL));
	assert_ok(prov_pdqidx_search_many(x, qs, nq, 31, 2, PROV_PDQIDX_LINEAR, &c, NULL));
	assert_true(a.n > nq / 2);
	assert_eq_int(a.n, b.n);
	assert_eq_int(a.n, c.n);
	for (i = 0; i < a.n; i++) {
		failure("hit %zu", i);
		assert_eq_int(a.v[i].query, b.v[i].query);
		assert_eq_int(a.v[i].item, b.v[i].item);
		assert_eq_int(a.v[i].query, c.v[i].query);
		assert_eq_int(a.v[i].item, c.v[i].item);
		assert_eq_int(a.v[i].distance, c.v[i].distance);
		assert_eq_int(a.v[i].distance,
		    ref_distance(stored + 32 * a.v[i].item, qs + 32 * a.v[i].query));
		if (i > 0 && a.v[i].query == a.v[i - 1].query)
			assert_true(a.v[i].distance >= a.v[i - 1].distance);
	}
	prov_pdqidx_hits_release(&a);
	prov_pdqidx_hits_release(&b);
	prov_pdqidx_hits_release(&c);
	prov_pdqidx_free(x);
	free(stored);
	free(qs);
}

DEFINE_TEST(test_pdqidx_file_round_trip_and_growth)
{
	size_t n = 3000, i;
	unsigned char *stored = malloc(32 * (n + 500)), q[32];
	struct prov_pdqidx *x, *y;
	struct prov_pdqidx_stamp st, st2;
	struct prov_pdqidx_item a, b;
	struct prov_err e;

	rng_state = 777;
	for (i = 0; i < n + 500; i++)
		random_hash(stored + 32 * i);
	x = index_of(stored, n, 1);
	st.size = 12345;
	for (i = 0; i < 32; i++)
		st.root[i] = (unsigned char)i;
	prov_pdqidx_set_stamp(x, &st);
	assert_ok(prov_pdqidx_save(x, "idx", &e));
	assert_ok(prov_pdqidx_load(&y, "idx", &e));
	assert_eq_int(prov_pdqidx_count(y), n);
	prov_pdqidx_stamp(y, &st2);
	assert_eq_int(st2.size, 12345);
	assert_eq_mem(st2.root, st.root, 32);
	for (i = 0; i < n; i++) {
		assert_eq_int(prov_pdqidx_item(x, i, &a), 0);
		assert_eq_int(prov_pdqidx_item(y, i, &b), 0);
		failure("item %zu", i);
		assert_eq_mem(a.hash, stored + 32 * i, 32);
		assert_eq_mem(b.hash, a.hash, 32);
		assert_eq_int(b.id, a.id);
		assert_eq_int(b.sub, a.sub);
		assert_eq_int(b.part, a.part);
		assert_eq_int(b.quality, a.quality);
	}
	assert_eq_int(prov_pdqidx_item(y, n, &b), -1);
	for (i = 0; i < 40; i++) {
		memcpy(q, stored + 32 * (rnd() % n), 32);
		flip(q, (int)(rnd() % 40));
		assert_true(same_as_linear(y, stored, n, q, 31) >= 0);
	}
	/* The loaded (mapped) index grows: exact before and after a rebuild. */
	{
		struct prov_pdqidx_item more[500];

		memset(more, 0, sizeof(more));
		for (i = 0; i < 500; i++)
			memcpy(more[i].hash, stored + 32 * (n + i), 32);
		assert_ok(prov_pdqidx_add(y, more, 500, &e));
	}
	assert_eq_int(prov_pdqidx_unindexed(y), 500);
	for (i = 0; i < 40; i++) {
		memcpy(q, stored + 32 * (n + rnd() % 500), 32);
		flip(q, (int)(rnd() % 32));
		assert_true(same_as_linear(y, stored, n + 500, q, 31) >= 1);
	}
	/* Saved with that tail and loaded: the same, still exact. */
	assert_ok(prov_pdqidx_save(y, "tail", &e));
	prov_pdqidx_free(x);
	assert_ok(prov_pdqidx_load(&x, "tail", &e));
	assert_eq_int(prov_pdqidx_count(x), n + 500);
	assert_eq_int(prov_pdqidx_unindexed(x), 500);
	for (i = 0; i < 40; i++) {
		memcpy(q, stored + 32 * (rnd() % (n + 500)), 32);
		flip(q, (int)(rnd() % 32));
		assert_true(same_as_linear(x, stored, n + 500, q, 31) >= 1);
	}
	assert_ok(prov_pdqidx_build(y, 2, &e));
	assert_eq_int(prov_pdqidx_unindexed(y), 0);
	for (i = 0; i < 40; i++) {
		memcpy(q, stored + 32 * (rnd() % (n + 500)), 32);
		flip(q, (int)(rnd() % 40));
		assert_true(same_as_linear(y, stored, n + 500, q, 31) >= 0);
	}
	/* An empty index saves and loads too. */
	prov_pdqidx_free(x);
	prov_pdqidx_new(&x, NULL);
	assert_ok(prov_pdqidx_save(x, "empty", &e));
	prov_pdqidx_free(x);
	assert_ok(prov_pdqidx_load(&x, "empty", &e));
	assert_eq_int(prov_pdqidx_count(x), 0);
	assert_eq_int(prov_pdqidx_search(x, q, 31, on_hit, NULL), 0);
	prov_pdqidx_free(x);
	prov_pdqidx_free(y);
	free(stored);
}

/* Overwrites len bytes at off in path. */
static void
poke(const char *path, long off, const void *data, size_t len)
{
	FILE *fp = fopen(path, "r+b");

	fseek(fp, off, SEEK_SET);
	fwrite(data, 1, len, fp);
	fclose(fp);
}

DEFINE_TEST(test_pdqidx_corrupt_files_refused)
{
	unsigned char stored[32 * 100];
	struct prov_pdqidx *x, *y;
	struct prov_err e;
	struct stat sb;
	size_t i;
	unsigned char bad;

	rng_state = 31337;
	for (i = 0; i < 100; i++)
		random_hash(stored + 32 * i);
	x = index_of(stored, 100, 1);
	assert_ok(prov_pdqidx_save(x, "good", &e));
	assert_eq_int(stat("good", &sb), 0);
	y = (struct prov_pdqidx *)1;
	assert_eq_int(prov_pdqidx_load(&y, "missing", &e), PROV_WARN);
	assert_true(y == NULL);

	/* One bit of a hash, of an item, of a table: the checksum. */
	{
		static const long at[] = { 128 + 5, 128 + 3200 + 9, 128 + 4800 + 70000 };

		for (i = 0; i < 3; i++) {
			char name[32];
			unsigned char *all;
			size_t len;

			snprintf(name, sizeof(name), "bit%zu", i);
			all = test_slurp("good", &len);
			all[at[i]] ^= 1;
			{
				FILE *fp = fopen(name, "wb");

				fwrite(all, 1, len, fp);
				fclose(fp);
			}
			free(all);
			failure("%s", name);
			assert_eq_int(prov_pdqidx_load(&y, name, &e), PROV_FAILED);
			assert_true(strstr(e.msg, "checksum") != NULL);
		}
	}
	/* Truncated, and a wrong magic. */
	assert_eq_int(truncate("good", sb.st_size - 1) == 0, 1);
	assert_eq_int(prov_pdqidx_load(&y, "good", &e), PROV_FAILED);
	assert_true(strstr(e.msg, "size") != NULL);
	assert_eq_int(truncate("good", 10) == 0, 1);
	assert_eq_int(prov_pdqidx_load(&y, "good", &e), PROV_FAILED);
	assert_ok(prov_pdqidx_save(x, "good", &e));
	bad = 'Z';
	poke("good", 0, &bad, 1);
	assert_eq_int(prov_pdqidx_load(&y, "good", &e), PROV_FAILED);
	assert_true(strstr(e.msg, "not a prov PDQ index") != NULL);
	assert_ok(prov_pdqidx_save(x, "good", &e));
	assert_ok(prov_pdqidx_load(&y, "good", &e));
	prov_pdqidx_free(y);
	prov_pdqidx_free(x);
}

/* ------------------------------------------------------------ the ledger */

static char pdq_hex[8][65];

static json_t *
artifact(const char *path, int h, int trimmed)
{
	json_t *a = json_pack("{s:s,s:s,s:{s:s,s:i}}", "path", path, "kind", "png", "pdq",
	    "hash", pdq_hex[h], "quality", 90 + h);

	if (trimmed >= 0)
		json_object_set_new(a, "images", json_pack("[{s:i,s:{s:s,s:i},s:{s:s,s:i}}]",
		    "index", 0, "pdq", "hash", pdq_hex[h], "quality", 90 + h, "pdq_trimmed",
		    "hash", pdq_hex[trimmed], "quality", 50));
	return a;
}

static int
append_handoff(struct prov_ledger *l, struct prov_key *k, json_t *arts)
{
	json_t *body = json_pack("{s:s,s:s,s:{s:o}}", "to", "vendor", "project", "ep104",
	    "manifest", "artifacts", arts);
	struct prov_err e;
	int rc = prov_ledger_append(l, "handoff", body, k, NULL, &e);

	if (rc != PROV_OK)
		failure("handoff: %s", e.msg);
	json_decref(body);
	return rc;
}

DEFINE_TEST(test_pdqidx_ledger_index_incremental_and_rebuilt)
{
	struct prov_key op, studio, vendor;
	struct prov_buf b = PROV_BUF_INIT;
	struct prov_ledger *l;
	struct prov_pdqidx *x;
	struct prov_pdqidx_sync s;
	struct prov_pdq_matches m;
	struct prov_err e;
	json_t *q[2];
	unsigned char h[32];
	int i;

	rng_state = 5;
	for (i = 0; i < 8; i++) {
		random_hash(h);
		prov_hex(h, 32, pdq_hex[i]);
	}
	prov_key_init(&op);
	prov_key_init(&studio);
	prov_key_init(&vendor);
	assert_ok(prov_key_generate(&op, "studio.example/prov", PROV_KEY_SIGNER, NULL));
	assert_ok(prov_key_generate(&studio, "studio", PROV_KEY_SIGNER, NULL));
	assert_ok(prov_key_generate(&vendor, "vendor", PROV_KEY_SIGNER, NULL));
	assert_ok(prov_ledger_open(&l, "l.ledger", PROV_LEDGER_CREATE, NULL));
	assert_ok(prov_ledger_init(l, "studio.example/prov", &op, NULL));
	prov_vkey_format(&studio, &b);
	{
		json_t *p = json_pack("{s:s,s:s,s:s}", "name", "studio", "role", "studio", "vkey", b.buf);

		assert_ok(prov_ledger_append(l, "party", p, &op, NULL, NULL));
		json_decref(p);
	}
	prov_buf_reset(&b);
	prov_vkey_format(&vendor, &b);
	{
		json_t *p = json_pack("{s:s,s:s,s:s}", "name", "vendor", "role", "vendor", "vkey", b.buf);

		assert_ok(prov_ledger_append(l, "party", p, &studio, NULL, NULL));
		json_decref(p);
	}
	prov_buf_release(&b);
	/* Entry 3: a file without PDQ whose name has quotes, brackets and
	 * backslashes (skipped over when the matches are read back), a.png
	 * (hash 0, trimmed hash 1), b.png (hash 2). */
	assert_ok(append_handoff(l, &studio, json_pack("[{s:s,s:[i,{s:s}]},o,o]", "path",
	    "notes \"]}\\\\ ,\\\" z.txt", "misc", 1, "k", "]}", artifact("a.png", 0, 1),
	    artifact("b.png", 2, -1))));

	assert_ok(prov_pdqidx_open_ledger(&x, l, "l.ledger.pdqidx", 2, &s, &e));
	assert_eq_int(s.rebuilt, 1);
	assert_eq_int(s.saved, 1);
	assert_eq_int(s.from, 0);
	assert_eq_int(s.to, 4);
	assert_eq_int(s.added, 3);
	assert_eq_int(prov_pdqidx_count(x), 3);
	prov_pdqidx_free(x);

	/* Reopened: loaded as it is. */
	assert_ok(prov_pdqidx_open_ledger(&x, l, "l.ledger.pdqidx", 2, &s, &e));
	assert_eq_int(s.rebuilt, 0);
	assert_eq_int(s.saved, 0);
	assert_eq_int(s.added, 0);
	prov_pdqidx_free(x);

	/* Entry 4: c.png (hash 3).  Only that entry is read. */
	assert_ok(append_handoff(l, &studio, json_pack("[o]", artifact("c.png", 3, -1))));
	assert_ok(prov_pdqidx_open_ledger(&x, l, "l.ledger.pdqidx", 2, &s, &e));
	assert_eq_int(s.rebuilt, 0);
	assert_eq_int(s.from, 4);
	assert_eq_int(s.to, 5);
	assert_eq_int(s.added, 1);
	assert_eq_int(s.saved, 1);
	assert_eq_int(prov_pdqidx_count(x), 4);
	/* One new hash: kept beside the tables, not worth rebuilding them. */
	assert_eq_int(prov_pdqidx_unindexed(x), 1);

	/* Match: near a.png's trimmed hash (5 bits), and exactly b.png. */
	prov_unhex(pdq_hex[1], h, 32);
	flip(h, 5);
	{
		char hex[65];

		prov_hex(h, 32, hex);
		q[0] = json_pack("{s:s,s:{s:s,s:i}}", "path", "found/a-crop.jpg", "pdq", "hash", hex,
		    "quality", 80);
	}
	q[1] = json_pack("{s:{s:s}}", "pdq", "hash", pdq_hex[2]);
	assert_ok(prov_pdq_match_records(x, l, q, 2, 31, 2, 0, &m, &e));
	assert_eq_int(m.n, 2);
	assert_eq_int(m.v[0].query, 0);
	assert_eq_int(m.v[0].entry, 3);
	assert_eq_int(m.v[0].artifact, 1);
	assert_eq_int(m.v[0].distance, 5);
	assert_eq_int(m.v[0].trimmed, 1);
	assert_eq_int(m.v[0].part, 1);
	assert_eq_int(m.v[0].quality, 50);
	assert_eq_str(m.v[0].type, "handoff");
	assert_eq_str(json_string_value(json_object_get(m.v[0].record, "path")), "a.png");
	assert_eq_int(m.v[1].query, 1);
	assert_eq_int(m.v[1].artifact, 2);
	assert_eq_int(m.v[1].distance, 0);
	assert_eq_int(m.v[1].quality, 92);
	assert_eq_str(json_string_value(json_object_get(m.v[1].record, "path")), "b.png");
	prov_pdq_matches_release(&m);
	json_decref(q[0]);
	json_decref(q[1]);
	prov_pdqidx_free(x);

	/* A corrupt file is rebuilt from the whole ledger. */
	{
		unsigned char junk[4] = { 1, 2, 3, 4 };

		poke("l.ledger.pdqidx", 200, junk, 4);
	}
	assert_ok(prov_pdqidx_open_ledger(&x, l, "l.ledger.pdqidx", 1, &s, &e));
	assert_eq_int(s.rebuilt, 1);
	assert_true(strstr(s.why, "checksum") != NULL);
	assert_eq_int(s.added, 4);
	assert_eq_int(s.saved, 1);
	prov_pdqidx_free(x);
	prov_ledger_close(l);

	/* The index of another ledger (same size, other root) is stale. */
	assert_ok(prov_ledger_open(&l, "m.ledger", PROV_LEDGER_CREATE, NULL));
	assert_ok(prov_ledger_init(l, "other.example/prov", &op, NULL));
	assert_ok(prov_pdqidx_open_ledger(&x, l, "l.ledger.pdqidx", 1, &s, &e));
	assert_eq_int(s.rebuilt, 1);
	assert_true(strstr(s.why, "covers 5 entries") != NULL);
	assert_eq_int(prov_pdqidx_count(x), 0);
	prov_pdqidx_free(x);
	assert_ok(prov_pdqidx_open_ledger(&x, l, "m.ledger.pdqidx", 1, &s, &e));
	prov_pdqidx_free(x);
	prov_ledger_close(l);
	/* ... and a shorter one whose root differs at its size. */
	assert_ok(prov_ledger_open(&l, "l.ledger", 0, NULL));
	assert_ok(prov_pdqidx_open_ledger(&x, l, "m.ledger.pdqidx", 1, &s, &e));
	assert_eq_int(s.rebuilt, 1);
	assert_true(strstr(s.why, "another ledger") != NULL);
	assert_eq_int(prov_pdqidx_count(x), 4);
	prov_pdqidx_free(x);
	/* 5000 new hashes: more than 4096 and 1/64 of all, the tables are
	 * rebuilt over everything. */
	{
		json_t *arts = json_array();
		char hex[65];

		for (i = 0; i < 5000; i++) {
			random_hash(h);
			prov_hex(h, 32, hex);
			json_array_append_new(arts, json_pack("{s:s,s:{s:s,s:i}}", "path", "f.png",
			    "pdq", "hash", hex, "quality", 100));
		}
		assert_ok(append_handoff(l, &studio, arts));
	}
	assert_ok(prov_pdqidx_open_ledger(&x, l, "m.ledger.pdqidx", 2, &s, &e));
	assert_eq_int(s.rebuilt, 0);
	assert_eq_int(s.added, 5000);
	assert_eq_int(prov_pdqidx_count(x), 5004);
	assert_eq_int(prov_pdqidx_unindexed(x), 0);
	prov_pdqidx_free(x);
	prov_ledger_close(l);
	prov_key_release(&op);
	prov_key_release(&studio);
	prov_key_release(&vendor);
}

DEFINE_TEST(test_pdqidx_buckets_larger_than_a_batch)
{
	/* 9000 hashes that agree on their first 8 chunks: each of those
	 * buckets holds all of them, more than one batch of candidates. */
	size_t n = 9000, i;
	unsigned char *stored = malloc(32 * n), base[32], q[32];
	struct prov_pdqidx *x;
	long r;

	rng_state = 2718;
	random_hash(base);
	for (i = 0; i < n; i++) {
		memcpy(stored + 32 * i, base, 32);
		stored[32 * i + 16 + rnd() % 16] ^= (unsigned char)(1u << (rnd() % 8));
		if (i % 3 == 0)
			stored[32 * i + 16 + rnd() % 16] ^= (unsigned char)rnd();
	}
	x = index_of(stored, n, 2);
	memcpy(q, base, 32);
	r = same_as_linear(x, stored, n, q, 31);
	assert_eq_int(r, (long)n);
	flip(q, 25);
	r = same_as_linear(x, stored, n, q, 31);
	assert_true(r > 0);
	r = same_as_linear(x, stored, n, q, 27);
	assert_true(r >= 0);
	prov_pdqidx_free(x);
	free(stored);
}

/* {"pdq": {"hash": h}} as JSON text, in buf. */
static const char *
pdq_obj(const struct prov_pdq *h, char *buf, size_t len)
{
	char hex[PROV_PDQ_HEX + 1];

	prov_pdq_format(h, hex);
	snprintf(buf, len, "{\"hash\": \"%s\", \"quality\": 100}", hex);
	return buf;
}

DEFINE_TEST(test_pdq_records_nearest_variants_and_layers)
{
	struct prov_pdq h, h2, var[8], q;
	struct prov_pdq_pair pp;
	char a[128], b[128], c[128], d[128], text[1024];
	json_t *stored, *found, *none;
	int v, i;

	rng_state = 0x5eed1234abcdull;
	for (i = 0; i < 16; i++) {
		h.w[i] = (uint16_t)rnd();
		h2.w[i] = (uint16_t)rnd();
	}
	/* A stored EXR record: the image's hash, and a "left" view. */
	snprintf(text, sizeof(text), "{\"pdq\": %s, \"images\": [{\"pdq\": %s, \"layers\": "
	    "[{\"layer\": \"\", \"pdq\": %s}, {\"layer\": \"left\", \"pdq\": %s}]}]}",
	    pdq_obj(&h, a, sizeof(a)), pdq_obj(&h, b, sizeof(b)), pdq_obj(&h, c, sizeof(c)),
	    pdq_obj(&h2, d, sizeof(d)));
	stored = json_loads(text, 0, NULL);
	assert_true(stored != NULL);
	prov_pdq_dihedral_hash(&h2, var);
	none = json_object();
	for (v = 0; v < 8; v++) {
		failure("variant %d", v);
		/* The left view turned by v, 3 bits off. */
		q = var[v];
		q.w[0] ^= 1;
		q.w[5] ^= 0x100;
		q.w[15] ^= 0x8000;
		snprintf(text, sizeof(text), "{\"pdq\": %s}", pdq_obj(&q, a, sizeof(a)));
		found = json_loads(text, 0, NULL);
		assert_eq_int(prov_pdq_records_nearest(found, stored, PROV_PDQ_ANY, &pp), 3);
		assert_eq_int(pp.transform, v);
		assert_eq_int(pp.part, 1);
		assert_eq_int(pp.trimmed, 0);
		assert_true(pp.layer != NULL && strcmp(pp.layer, "left") == 0);
		/* Asked for that transform only: the same pair. */
		assert_eq_int(prov_pdq_records_nearest(found, stored, v, &pp), 3);
		assert_eq_int(pp.transform, v);
		/* Upright only (or another transform): far. */
		if (v != PROV_PDQ_ORIGINAL)
			assert_true(prov_pdq_records_nearest(found, stored, PROV_PDQ_ORIGINAL, &pp) > 31);
		assert_true(prov_pdq_records_nearest(found, stored, (v + 1) % 8, &pp) > 31);
		assert_eq_int(prov_pdq_records_nearest(found, stored, 8, &pp), -1);
		assert_eq_int(prov_pdq_records_nearest(found, none, PROV_PDQ_ANY, &pp), -1);
		assert_eq_int(pp.distance, -1);
		json_decref(found);
	}
	/* The image's own hash: no layer named (the unprefixed one repeats it). */
	snprintf(text, sizeof(text), "{\"pdq\": %s}", pdq_obj(&h, a, sizeof(a)));
	found = json_loads(text, 0, NULL);
	assert_eq_int(prov_pdq_records_nearest(found, stored, PROV_PDQ_ANY, &pp), 0);
	assert_eq_int(pp.transform, PROV_PDQ_ORIGINAL);
	assert_true(pp.layer == NULL);
	json_decref(found);
	json_decref(none);
	json_decref(stored);
}
