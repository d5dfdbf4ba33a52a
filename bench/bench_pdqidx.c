/*
 * bench_pdqidx.c: the PDQ index against a plain linear scan.
 *
 *     bench_pdqidx [-c] [-d DIST] [-l LINEAR_QUERIES] [-q QUERIES] [-t THREADS] N FILE
 *
 * Makes N stored hashes, uniformly random or (-c) clustered as a series'
 * frames are: episodes of 100 shots of 100 frames, a shot's base hash
 * within 40 bits of its episode's, each frame within 0..24 bits of its
 * shot's (neighbouring frames of real sequences are 4..26 bits apart with
 * PDQ).  Queries are found copies: a stored frame with 0..16 more bits
 * flipped (re-encoding, resizing), one in four a hash unrelated to all.
 * Then it times: building the index on THREADS threads, saving it to FILE,
 * loading FILE back (mmap, checksum, range checks), QUERIES queries through
 * the index and LINEAR_QUERIES of them by a linear scan (the same popcount
 * kernel over every stored hash), both on THREADS threads, and checks that
 * both give the same hits for the queries they share.  Prints one
 * "key value" line per figure.
 *
 *     bench_pdqidx -g K [-c] [-q QUERIES] [-t THREADS] N FILE
 *
 * Growth instead: saves the index of N hashes to FILE, then, as a ledger
 * append does, loads it, adds K more (a handoff's frames) and saves it,
 * timed three ways: rewriting the whole file (what every save did before
 * the append records), appending a record to FILE (prov_pdqidx_save on
 * the file it was loaded from), and rebuilding the tables and rewriting
 * (what prov_pdqidx_open_ledger does once the unindexed tail passes 1/64
 * of the hashes).  Then the load time of the appended file and the query
 * throughput with the K hashes in the scanned tail against the rebuilt
 * index.
 */
#include <err.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "prov.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static void
random_hash(unsigned char *h)
{
	int i;

	for (i = 0; i < 32; i += 8) {
		uint64_t r = rnd();

		memcpy(h + i, &r, 8);
	}
}

static void
flip(unsigned char *h, int k)
{
	while (k-- > 0) {
		unsigned b = (unsigned)(rnd() >> 56);

		h[b / 8] ^= (unsigned char)(1u << (b % 8));
	}
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of the whole process (every thread): steadier than the
 * wall clock on a loaded machine. */
static double
cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
num(const char *s, long min, long max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < min || v > max)
		errx(2, "%s: not a number in [%ld, %ld]", s, min, max);
	return v;
}

static struct prov_pdqidx *
load(const char *path)
{
	struct prov_pdqidx *x;
	struct prov_err e;

	if (prov_pdqidx_load(&x, path, &e) != PROV_OK)
		errx(2, "%s", e.msg);
	return x;
}

static void
save(struct prov_pdqidx *x, const char *path)
{
	struct prov_err e;

	if (prov_pdqidx_save(x, path, &e) != PROV_OK)
		errx(2, "%s", e.msg);
}

/* K more hashes near the stored ones (a new handoff of the same series). */
static void
add_more(struct prov_pdqidx *x, const struct prov_pdqidx_item *base, size_t n, size_t k)
{
	struct prov_pdqidx_item *it = calloc(k, sizeof(*it));
	struct prov_pdqidx_stamp st;
	struct prov_err e;
	size_t i;

	for (i = 0; i < k; i++) {
		it[i] = base[rnd() % n];
		flip(it[i].hash, 8);
		it[i].id = n + i;
	}
	if (prov_pdqidx_add(x, it, k, &e) != PROV_OK)
		errx(2, "%s", e.msg);
	prov_pdqidx_stamp(x, &st);
	st.size++;
	prov_pdqidx_set_stamp(x, &st);
	free(it);
}

static double
qps(const struct prov_pdqidx *x, const unsigned char *qs, size_t nq, unsigned threads)
{
	struct prov_pdqidx_hits h;
	struct prov_err e;
	double c0 = cpu();

	if (prov_pdqidx_search_many(x, qs, nq, 31, threads, 0, &h, &e) != PROV_OK)
		errx(2, "%s", e.msg);
	prov_pdqidx_hits_release(&h);
	return (double)nq / (cpu() - c0);
}

static int
growth(const struct prov_pdqidx_item *items, size_t n, size_t k, const unsigned char *qs,
    size_t nq, unsigned threads, const char *path)
{
	struct prov_pdqidx *x;
	struct prov_buf other = PROV_BUF_INIT;
	struct stat st;
	struct prov_err e;
	double t0, trew, tapp, tmerge, tload;
	off_t base;
	uint64_t seed = rng;

	prov_pdqidx_new(&x, &e);
	if (prov_pdqidx_add(x, items, n, &e) != PROV_OK ||
	    prov_pdqidx_build(x, threads, &e) != PROV_OK)
		errx(2, "%s", e.msg);
	save(x, path);
	prov_pdqidx_free(x);
	stat(path, &st);
	base = st.st_size;
	prov_buf_addf(&other, "%s.rewrite", path);

	/* Before: load, add, rewrite the whole file. */
	x = load(path);
	add_more(x, items, n, k);
	t0 = now();
	save(x, other.buf);
	trew = now() - t0;
	prov_pdqidx_free(x);
	unlink(other.buf);
	/* After: load, add (the same hashes), append. */
	rng = seed;
	x = load(path);
	add_more(x, items, n, k);
	t0 = now();
	save(x, path);
	tapp = now() - t0;
	prov_pdqidx_free(x);
	stat(path, &st);
	t0 = now();
	x = load(path);
	tload = now() - t0;
	printf("grow_k %zu\n", k);
	printf("grow_base_mb %.1f\n", (double)base / 1048576.0);
	printf("grow_appended_bytes %lld\n", (long long)(st.st_size - base));
	printf("grow_rewrite_s %.3f\n", trew);
	printf("grow_append_s %.4f\n", tapp);
	printf("grow_load_appended_s %.3f\n", tload);
	printf("grow_index_mb %.1f\n", (double)prov_pdqidx_memory(x) / 1048576.0);
	printf("grow_qps_cpu_tail %.0f\n", qps(x, qs, nq, threads));
	/* The merge: tables over everything, the file rewritten. */
	t0 = now();
	if (prov_pdqidx_build(x, threads, &e) != PROV_OK)
		errx(2, "%s", e.msg);
	save(x, path);
	tmerge = now() - t0;
	printf("grow_merge_s %.3f\n", tmerge);
	printf("grow_qps_cpu_merged %.0f\n", qps(x, qs, nq, threads));
	prov_pdqidx_free(x);
	prov_buf_release(&other);
	return 0;
}

int
main(int argc, char **argv)
{
	struct prov_pdqidx_item *items;
	struct prov_pdqidx_hits hi, hl;
	struct prov_pdqidx *x, *y;
	struct prov_err e;
	struct rusage ru;
	struct stat st;
	unsigned char ep[32], shot[32], *qs;
	size_t n, i, nq = 10000, nlin = 200, j, k;
	unsigned threads = 2;
	int clustered = 0, dist = 31, ch;
	size_t grow_k = 0;
	double t0, c0, tbuild, tsave, tload, tidx, tlin, cbuild, cidx, clin;

	while ((ch = getopt(argc, argv, "cd:g:l:q:t:")) != -1) {
		switch (ch) {
		case 'c': clustered = 1; break;
		case 'g': grow_k = (size_t)num(optarg, 1, 100000000); break;
		case 'd': dist = (int)num(optarg, 0, 256); break;
		case 'l': nlin = (size_t)num(optarg, 0, 1000000); break;
		case 'q': nq = (size_t)num(optarg, 1, 10000000); break;
		case 't': threads = (unsigned)num(optarg, 1, 64); break;
		default:
			fprintf(stderr, "usage: bench_pdqidx [-c] [-d DIST] [-l LINEAR_QUERIES] "
			    "[-q QUERIES] [-t THREADS] N FILE\n");
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2)
		errx(2, "usage: bench_pdqidx [-c] [-d DIST] [-l N] [-q N] [-t N] N FILE");
	n = (size_t)num(argv[0], 1, 4000000000L);
	if (nlin > nq)
		nlin = nq;

	items = calloc(n, sizeof(*items));
	if (items == NULL)
		err(2, "calloc");
	for (i = 0; i < n; i++) {
		if (!clustered)
			random_hash(items[i].hash);
		else {
			if (i % 10000 == 0)
				random_hash(ep);
			if (i % 100 == 0) {
				memcpy(shot, ep, 32);
				flip(shot, 40);
			}
			memcpy(items[i].hash, shot, 32);
			flip(items[i].hash, (int)(rnd() % 25));
		}
		items[i].id = i;
		items[i].quality = 100;
	}
	qs = malloc(nq * 32);
	for (i = 0; i < nq; i++) {
		if (i % 4 == 3)
			random_hash(qs + 32 * i);
		else {
			memcpy(qs + 32 * i, items[rnd() % n].hash, 32);
			flip(qs + 32 * i, (int)(rnd() % 17));
		}
	}

	if (grow_k) {
		growth(items, n, grow_k, qs, nq, threads, argv[1]);
		free(items);
		free(qs);
		return 0;
	}
	prov_pdqidx_new(&x, &e);
	t0 = now();
	c0 = cpu();
	if (prov_pdqidx_add(x, items, n, &e) != PROV_OK ||
	    prov_pdqidx_build(x, threads, &e) != PROV_OK)
		errx(2, "%s", e.msg);
	tbuild = now() - t0;
	cbuild = cpu() - c0;
	free(items);
	t0 = now();
	if (prov_pdqidx_save(x, argv[1], &e) != PROV_OK)
		errx(2, "%s", e.msg);
	tsave = now() - t0;
	prov_pdqidx_free(x);
	t0 = now();
	if (prov_pdqidx_load(&y, argv[1], &e) != PROV_OK)
		errx(2, "%s", e.msg);
	tload = now() - t0;
	stat(argv[1], &st);

	t0 = now();
	c0 = cpu();
	if (prov_pdqidx_search_many(y, qs, nq, dist, threads, 0, &hi, &e) != PROV_OK)
		errx(2, "%s", e.msg);
	tidx = now() - t0;
	cidx = cpu() - c0;
	t0 = now();
	c0 = cpu();
	if (prov_pdqidx_search_many(y, qs, nlin, dist, threads, PROV_PDQIDX_LINEAR, &hl, &e) != PROV_OK)
		errx(2, "%s", e.msg);
	tlin = now() - t0;
	clin = cpu() - c0;
	/* The linear scan's hits are a prefix (by query) of the index's. */
	for (j = 0; j < hl.n; j++)
		if (j >= hi.n || hi.v[j].query != hl.v[j].query || hi.v[j].item != hl.v[j].item ||
		    hi.v[j].distance != hl.v[j].distance)
			errx(1, "index and linear scan differ at hit %zu", j);
	k = 0;
	while (k < hi.n && hi.v[k].query < nlin)
		k++;
	if (k != hl.n)
		errx(1, "index found %zu hits for the first %zu queries, linear scan %zu", k, nlin, hl.n);

	getrusage(RUSAGE_SELF, &ru);
	printf("stored %zu\n", n);
	printf("distribution %s\n", clustered ? "clustered" : "random");
	printf("threads %u\n", threads);
	printf("build_s %.3f\n", tbuild);
	printf("build_cpu_s %.3f\n", cbuild);
	printf("save_s %.3f\n", tsave);
	printf("load_s %.3f\n", tload);
	printf("file_mb %.1f\n", (double)st.st_size / 1048576.0);
	printf("index_mb %.1f\n", (double)prov_pdqidx_memory(y) / 1048576.0);
	printf("bytes_per_hash %.1f\n", (double)prov_pdqidx_memory(y) / (double)n);
	printf("peak_rss_mb %.1f\n", (double)ru.ru_maxrss / 1024.0);
	printf("queries %zu\n", nq);
	printf("hits %zu\n", hi.n);
	printf("hits_per_query %.1f\n", (double)hi.n / (double)nq);
	printf("index_s %.3f\n", tidx);
	printf("index_cpu_s %.3f\n", cidx);
	printf("index_qps %.0f\n", (double)nq / tidx);
	printf("index_qps_per_cpu_s %.0f\n", (double)nq / cidx);
	printf("linear_queries %zu\n", nlin);
	printf("linear_s %.3f\n", tlin);
	printf("linear_cpu_s %.3f\n", clin);
	printf("linear_qps %.1f\n", nlin ? (double)nlin / tlin : 0.0);
	printf("linear_qps_per_cpu_s %.1f\n", nlin ? (double)nlin / clin : 0.0);
	printf("speedup %.1f\n", nlin ? ((double)nq / tidx) / ((double)nlin / tlin) : 0.0);
	printf("speedup_cpu %.1f\n", nlin ? ((double)nq / cidx) / ((double)nlin / clin) : 0.0);
	printf("linear_s_for_all %.1f\n", nlin ? tlin * (double)nq / (double)nlin : 0.0);
	prov_pdqidx_hits_release(&hi);
	prov_pdqidx_hits_release(&hl);
	prov_pdqidx_free(y);
	free(qs);
	return 0;
}
