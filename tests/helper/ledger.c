/* ledger.c: prov-test verbs over the ledger (bulk loads for the benchmark). */
#include <err.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "prov.h"
#include "../../tools/common.h"
#include "verbs.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
append_or_die(struct prov_ledger *l, const char *type, json_t *body, struct prov_key *k)
{
	struct prov_err e = { 0 };

	if (prov_ledger_append(l, type, body, k, NULL, &e) != PROV_OK)
		errx(2, "%s: %s", type, e.msg);
	json_decref(body);
}

PROV_TEST_VERB(ledger_fill, "LEDGER OPKEY N [BATCH]: a new ledger of N signed entries, one transaction each; seconds per batch")
int
verb_ledger_fill(int argc, char **argv)
{
	struct prov_key op, studio, vendor;
	struct prov_buf vk = PROV_BUF_INIT;
	struct prov_ledger *l;
	struct prov_err e = { 0 };
	uint64_t n, batch, i;
	double t0, tb;
	char hex[65], path[64];
	unsigned char d[PROV_SHA256_LEN];

	if (argc != 4 && argc != 5)
		errx(2, "usage: prov-test ledger_fill LEDGER OPKEY N [BATCH]");
	n = parse_num(argv[3], 5, UINT64_C(100000000), "N");
	batch = argc == 5 ? parse_num(argv[4], 1, n, "BATCH") : 100000;
	prov_key_init(&op);
	prov_key_init(&studio);
	prov_key_init(&vendor);
	if (prov_key_generate(&op, "bench.example/prov", PROV_KEY_SIGNER, &e) != PROV_OK ||
	    prov_key_write_private(&op, argv[2], &e) != PROV_OK ||
	    prov_key_generate(&studio, "studio", PROV_KEY_SIGNER, &e) != PROV_OK ||
	    prov_key_generate(&vendor, "vendor", PROV_KEY_SIGNER, &e) != PROV_OK ||
	    prov_ledger_open(&l, argv[1], PROV_LEDGER_CREATE | PROV_LEDGER_NOSYNC, &e) != PROV_OK ||
	    prov_ledger_init(l, "bench.example/prov", &op, &e) != PROV_OK)
		errx(2, "%s", e.msg);
	prov_vkey_format(&studio, &vk);
	append_or_die(l, "party", json_pack("{s:s,s:s,s:s}", "name", "studio", "role", "studio",
	    "vkey", vk.buf), &op);
	prov_buf_reset(&vk);
	prov_vkey_format(&vendor, &vk);
	append_or_die(l, "party", json_pack("{s:s,s:s,s:s}", "name", "vendor", "role", "vendor",
	    "vkey", vk.buf), &studio);
	append_or_die(l, "approval", json_pack("{s:s,s:s,s:[]}", "party", "vendor", "project",
	    "ep104", "may_delegate_to"), &studio);
	t0 = tb = now();
	for (i = 4; i < n; i++) {
		snprintf(path, sizeof(path), "ep104/sh%08" PRIu64 ".exr", i);
		prov_sha256(path, strlen(path), d);
		prov_hex(d, sizeof(d), hex);
		append_or_die(l, "handoff", json_pack("{s:s,s:s,s:{s:[{s:s,s:s,s:s,s:I}]}}",
		    "to", "vendor", "project", "ep104", "manifest", "artifacts", "path", path,
		    "kind", "exr", "sha256", hex, "size", (json_int_t)i), &studio);
		if ((i + 1) % batch == 0 || i + 1 == n) {
			double t = now();
			printf("%" PRIu64 " entries: %.1f us per append in the last batch\n", i + 1,
			    (t - tb) * 1e6 / (double)((i + 1) % batch ? (i + 1) % batch : batch));
			fflush(stdout);
			tb = t;
		}
	}
	printf("total: %.2f s for %" PRIu64 " appends\n", now() - t0, n > 4 ? n - 4 : 0);
	prov_ledger_close(l);
	prov_buf_release(&vk);
	prov_key_release(&op);
	prov_key_release(&studio);
	prov_key_release(&vendor);
	return 0;
}

PROV_TEST_VERB(ledger_append, "LEDGER KEYFILE TYPE < BODY: append an entry with this body as is (the library's checks apply); prints its seq")
int
verb_ledger_append(int argc, char **argv)
{
	struct prov_key k;
	struct prov_ledger *l;
	struct prov_err e = { 0 };
	json_error_t jerr;
	json_t *body;
	uint64_t seq;
	int rc;

	if (argc != 4)
		errx(2, "usage: ledger_append LEDGER KEYFILE TYPE < BODY");
	if ((body = json_loadf(stdin, 0, &jerr)) == NULL)
		errx(2, "stdin: %s", jerr.text);
	prov_key_init(&k);
	if (prov_key_read_private(&k, argv[2], &e) != PROV_OK ||
	    prov_ledger_open(&l, argv[1], 0, &e) != PROV_OK)
		errx(2, "%s", e.msg);
	rc = prov_ledger_append(l, argv[3], body, &k, &seq, &e);
	prov_ledger_close(l);
	prov_key_release(&k);
	json_decref(body);
	if (rc != PROV_OK)
		errx(1, "%s", e.msg);
	printf("%" PRIu64 "\n", seq);
	return 0;
}
