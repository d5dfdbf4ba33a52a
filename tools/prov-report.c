/*
 * prov-report: the producer's report on a delivery before it goes out.
 *
 *   prov-report [--ledger FILE] [--handoff ID | --records FILE] [--html FILE]
 *               [--markdown FILE] [--json FILE] [--thumbnails N]
 *               [--pdq-threshold N] [-j N] [-q] [DELIVERY...]
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "prov.h"
#include "common.h"
#include "banned.h"

static void __attribute__((noreturn))
usage(FILE *fp, int status)
{
	fprintf(fp,
	    "usage: prov-report [--ledger FILE] [--handoff ID | --records FILE] [--html FILE]\n"
	    "                   [--markdown FILE] [--json FILE] [--thumbnails N]\n"
	    "                   [--pdq-threshold N] [-j N] [-q] [DELIVERY...]\n"
	    "DELIVERY: files, directories or archives (fingerprinted as prov-fp does);\n"
	    "--records FILE: prov-fp --json records (\"-\" is stdin); --handoff ID: that\n"
	    "handoff's own manifest.  Checks: every file has a ledger record, no handoff\n"
	    "on its path left the approved chain, no indicator of an unknown party, the\n"
	    "ledger verifies.  The verdict is the first line on stdout; \"-\" as FILE\n"
	    "writes that output to stdout instead of the text summary.\n"
	    "Exit status: 0 every check passes, 1 some check fails, 2 usage or ledger\n"
	    "error, or the report could not be written.\n");
	exit(status);
}

static int
collect(void *arg, const struct prov_record *rec)
{
	json_array_append_new(arg, prov_record_to_json(rec));
	return 0;
}

/* Writes the report through fn to path ("-": stdout). */
static void
write_out(const char *path, const json_t *rep, int (*fn)(FILE *, const json_t *))
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");

	if (f == NULL)
		err(2, "%s", path);
	if (fn(f, rep) != 0)
		err(2, "%s", path);
	if (f != stdout && fclose(f) != 0)
		err(2, "%s", path);
}

static int
json_writer(FILE *f, const json_t *rep)
{
	if (json_dumpf(rep, f, JSON_COMPACT) != 0 || fputc('\n', f) == EOF)
		return -1;
	return fflush(f) == EOF || ferror(f) ? -1 : 0;
}

int
main(int argc, char **argv)
{
	enum { O_LEDGER = 256, O_HANDOFF, O_RECORDS, O_HTML, O_MARKDOWN, O_JSON, O_THUMBS,
	    O_PDQ, O_VERSION };
	static const struct option longopts[] = {
		{ "handoff", required_argument, NULL, O_HANDOFF },
		{ "help", no_argument, NULL, 'h' },
		{ "html", required_argument, NULL, O_HTML },
		{ "jobs", required_argument, NULL, 'j' },
		{ "json", required_argument, NULL, O_JSON },
		{ "ledger", required_argument, NULL, O_LEDGER },
		{ "markdown", required_argument, NULL, O_MARKDOWN },
		{ "pdq-threshold", required_argument, NULL, O_PDQ },
		{ "quiet", no_argument, NULL, 'q' },
		{ "records", required_argument, NULL, O_RECORDS },
		{ "thumbnails", required_argument, NULL, O_THUMBS },
		{ "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	const char *ledger = getenv("PROV_LEDGER") ? getenv("PROV_LEDGER") : "prov.ledger";
	const char *records = NULL, *html = NULL, *md = NULL, *json = NULL;
	struct prov_report_opts ro;
	struct prov_err e;
	json_t *recs, *rep, *delivery, **q;
	long long handoff = -1;
	int ch, quiet = 0, to_stdout = 0, pass, rc;
	size_t i, n;

	sandbox_pre();
	prov_report_opts_default(&ro);
	while ((ch = getopt_long(argc, argv, "hj:q", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout, 0);
		case 'j':
			ro.threads = (unsigned)parse_num(optarg, 1, 256, "-j");
			break;
		case 'q':
			quiet = 1;
			break;
		case O_HANDOFF:
			handoff = (long long)parse_num(optarg, 0, INT64_MAX, "--handoff");
			break;
		case O_HTML:
			html = optarg;
			break;
		case O_JSON:
			json = optarg;
			break;
		case O_LEDGER:
			ledger = optarg;
			break;
		case O_MARKDOWN:
			md = optarg;
			break;
		case O_PDQ:
			ro.pdq_max = (int)parse_num(optarg, 0, 256, "--pdq-threshold");
			break;
		case O_RECORDS:
			records = optarg;
			break;
		case O_THUMBS:
			ro.max_thumbnails = (unsigned)parse_num(optarg, 0, 100000, "--thumbnails");
			break;
		case O_VERSION:
			printf("prov-report %s\n", prov_version());
			return 0;
		default:
			usage(stderr, 2);
		}
	}
	argc -= optind;
	argv += optind;
	/* One delivery: paths, records or a handoff. */
	if ((argc > 0) + (records != NULL) + (handoff >= 0) != 1)
		usage(stderr, 2);
	to_stdout = (html && strcmp(html, "-") == 0) + (md && strcmp(md, "-") == 0) +
	    (json && strcmp(json, "-") == 0);
	if (to_stdout > 1)
		errx(2, "only one output may go to stdout");
	if (access(ledger, R_OK) != 0)
		err(2, "%s", ledger);
	recs = json_array();
	delivery = json_object();
	if (handoff >= 0) {
		json_decref(recs);
		if (prov_report_handoff_records(ledger, (uint64_t)handoff, &recs, &e) != PROV_OK) {
			warn_err(&e);
			json_decref(delivery);
			return 2;
		}
		json_object_set_new(delivery, "handoff", json_integer(handoff));
	} else if (records) {
		read_fp_records(records, recs);
		json_object_set_new(delivery, "records", json_string(""));
		prov_json_set_name(delivery, "records", records, strlen(records));
	} else {
		struct prov_fp_opts fo;
		struct prov_fp *fp;
		json_t *inputs = json_array();

		prov_fp_opts_default(&fo);
		if (prov_fp_open(&fp, &fo, ro.threads, collect, recs, &e) != PROV_OK)
			errx(2, "%s", e.msg);
		for (i = 0; i < (size_t)argc; i++) {
			json_t *in = json_object();

			prov_json_set_name(in, "name", argv[i], strlen(argv[i]));
			json_array_append_new(inputs, in);
			if (prov_fp_add(fp, argv[i], &e) != PROV_OK)
				errx(2, "%s", e.msg);
		}
		if (prov_fp_finish(fp, &e) != PROV_OK)
			errx(2, "%s", e.msg);
		prov_fp_close(fp);
		json_object_set_new(delivery, "inputs", inputs);
	}
	n = json_array_size(recs);
	q = prov_xcalloc(n ? n : 1, sizeof(*q));
	for (i = 0; i < n; i++)
		q[i] = json_array_get(recs, i);
	rc = prov_report_build(ledger, delivery, q, n, &ro, &rep, &e);
	json_decref(delivery);
	free(q);
	if (rc != PROV_OK) {
		warn_err(&e);
		json_decref(recs);
		return 2;
	}
	pass = strcmp(json_string_value(json_object_get(rep, "verdict")), "pass") == 0;
	if (html)
		write_out(html, rep, prov_report_write_html);
	if (md)
		write_out(md, rep, prov_report_write_markdown);
	if (json)
		write_out(json, rep, json_writer);
	if (!to_stdout && prov_report_write_text(stdout, rep, quiet) != 0)
		err(2, "stdout");
	json_decref(rep);
	json_decref(recs);
	flush_or_die();
	return pass ? 0 : 1;
}
