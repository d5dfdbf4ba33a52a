/*
 * prov-trace: trace found copies to the last approved custodian.
 *
 *   prov-trace [--ledger FILE] [--json | --dot] [--pdq-threshold N] [--upright]
 *              [-j N] [-q] [--records FILE] [FOUND...]
 */
#include <err.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "prov.h"
#include "common.h"
#include "banned.h"

enum { OUT_TEXT, OUT_JSON, OUT_DOT };
static int out_mode = OUT_TEXT, quiet;

static void __attribute__((noreturn))
usage(FILE *fp, int status)
{
	fprintf(fp,
	    "usage: prov-trace [--ledger FILE] [--json | --dot] [--pdq-threshold N] [--upright]\n"
	    "                  [-j N] [-q] [--records FILE] [FOUND...]\n"
	    "FOUND: files, directories or archives (fingerprinted as prov-fp does);\n"
	    "\"-\" or --records FILE: prov-fp --json records (\"-\" is stdin).\n"
	    "Exit status, as grep's: 0 no found file matched the ledger, 1 some did\n"
	    "(the output says whether each left the approved chain), 2 usage or\n"
	    "ledger error, or found files that could not be read and no match.\n");
	exit(status);
}

struct collect {
	json_t *recs;
};

static int
collect(void *arg, const struct prov_record *rec)
{
	struct collect *c = arg;

	json_array_append_new(c->recs, prov_record_to_json(rec));
	return 0;
}

static const char *
s(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "";
}

static void
put(const char *str)
{
	put_escaped(stdout, str, strlen(str));
}

static void
text_result(const json_t *r)
{
	const json_t *m = json_object_get(r, "match"), *ed, *x, *a;
	const char *verdict = s(r, "verdict");
	size_t i, k;

	if (strcmp(verdict, "container") == 0)
		return;
	if (quiet && strcmp(verdict, "in-chain") == 0 &&
	    !json_is_true(json_object_get(r, "unapproved_indicators")))
		return;
	{
		/* sha256sum's rule: a line whose name was escaped starts with '\\'. */
		struct prov_buf b = PROV_BUF_INIT;
		if (prov_escape(&b, s(r, "found"), strlen(s(r, "found"))))
			putchar('\\');
		fwrite(b.buf, 1, b.len, stdout);
		prov_buf_release(&b);
	}
	printf(": %s", verdict);
	if (m) {
		printf(" (%s", s(m, "how"));
		if (json_object_get(m, "distance"))
			printf(", distance %" JSON_INTEGER_FORMAT,
			    json_integer_value(json_object_get(m, "distance")));
		/* A rotated or mirrored copy says how (pdq-v1.md 7). */
		if (s(m, "transform")[0] && strcmp(s(m, "transform"), "original") != 0)
			printf(", %s", s(m, "transform"));
		printf(", %" JSON_INTEGER_FORMAT " artifact%s)",
		    json_integer_value(json_object_get(m, "total")),
		    json_integer_value(json_object_get(m, "total")) == 1 ? "" : "s");
	}
	if (json_object_get(r, "error")) {
		fputs(": ", stdout);
		put(s(r, "error"));
	}
	putchar('\n');
	if (m && (a = json_array_get(json_object_get(m, "artifacts"), 0)) != NULL) {
		printf("  matches: %s %" JSON_INTEGER_FORMAT " artifact %" JSON_INTEGER_FORMAT " ",
		    s(a, "type"), json_integer_value(json_object_get(a, "entry")),
		    json_integer_value(json_object_get(a, "artifact")));
		put(s(a, "path"));
		if (json_object_get(a, "layer")) {
			fputs(" layer ", stdout);
			put(s(a, "layer"));
		}
		putchar('\n');
	}
	json_array_foreach(json_object_get(r, "custody"), i, ed) {
		const char *ch = s(ed, "chain");

		printf("  handoff %" JSON_INTEGER_FORMAT " %.10s ",
		    json_integer_value(json_object_get(ed, "entry")), s(ed, "time"));
		put(s(ed, "from"));
		fputs(" -> ", stdout);
		put(s(ed, "to"));
		fputs(" [", stdout);
		put(s(ed, "project"));
		printf("]: %s", strcmp(ch, "in") == 0 ? "approved" : strcmp(ch, "exit") == 0 ?
		    "LEFT THE APPROVED CHAIN" : "outside the approved chain");
		json_array_foreach(json_object_get(ed, "approvals"), k, x) {
			printf("%s approval %" JSON_INTEGER_FORMAT, k ? "," : " by",
			    json_integer_value(json_object_get(x, "entry")));
			if (json_object_get(x, "revoked_by"))
				printf(" (revoked later by %" JSON_INTEGER_FORMAT ")",
				    json_integer_value(json_object_get(x, "revoked_by")));
		}
		if (json_object_get(ed, "reason")) {
			fputs(": ", stdout);
			put(s(ed, "reason"));
		}
		if (strcmp(s(ed, "via"), "artifact") != 0)
			printf(" (via %s)", s(ed, "via"));
		json_array_foreach(json_object_get(ed, "receipts"), k, x)
			printf("; receipt %" JSON_INTEGER_FORMAT "%s",
			    json_integer_value(json_object_get(x, "entry")),
			    json_is_true(json_object_get(x, "matches")) ? "" : " (differs)");
		putchar('\n');
	}
	if (json_is_string(json_object_get(r, "last_approved"))) {
		fputs("  last approved custodian: ", stdout);
		put(s(r, "last_approved"));
		putchar('\n');
	}
	if (json_is_object(x = json_object_get(r, "exit"))) {
		printf("  exit: handoff %" JSON_INTEGER_FORMAT " ",
		    json_integer_value(json_object_get(x, "entry")));
		put(s(x, "from"));
		fputs(" -> ", stdout);
		put(s(x, "to"));
		putchar('\n');
	}
	json_array_foreach(json_object_get(r, "sightings"), i, x) {
		printf("  sighted: entry %" JSON_INTEGER_FORMAT " %.10s ",
		    json_integer_value(json_object_get(x, "entry")), s(x, "time"));
		put(s(x, "where"));
		putchar('\n');
	}
	json_array_foreach(json_object_get(r, "indicators"), i, x) {
		printf("  indicator %s ", s(x, "type"));
		put(s(x, "value"));
		if (json_object_get(x, "field")) {
			fputs(" (", stdout);
			put(s(x, "field"));
			putchar(')');
		}
		if (json_object_get(x, "party")) {
			fputs(": party ", stdout);
			put(s(x, "party"));
			fputs(", no approval", stdout);
		} else
			fputs(": no known party", stdout);
		putchar('\n');
	}
}

/* A DOT quoted string: the name escaped as in text, then '"' and '\\'
 * escaped for DOT, so no name can end the string or add attributes. */
static void
dot_str(const char *str)
{
	struct prov_buf b = PROV_BUF_INIT;
	size_t i;

	prov_escape(&b, str, strlen(str));
	putchar('"');
	for (i = 0; i < b.len; i++) {
		if (b.buf[i] == '"' || b.buf[i] == '\\')
			putchar('\\');
		putchar(b.buf[i]);
	}
	putchar('"');
	prov_buf_release(&b);
}

static void
dot_node(const char *prefix, const char *name)
{
	struct prov_buf b = PROV_BUF_INIT;

	prov_buf_addf(&b, "%s%s", prefix, name);
	dot_str(b.buf);
	prov_buf_release(&b);
}

/* The custody graph (prov_trace_graph(), the model prov-report draws as
 * SVG) as DOT, with a note per found file hanging off the receiver of its
 * last handoff. */
static void
dot_output(const json_t *results)
{
	json_t *g = prov_trace_graph(results), *r, *ed, *p;
	size_t i, k;

	printf("digraph trace {\n\trankdir=LR;\n\tnode [shape=box];\n");
	json_array_foreach(json_object_get(g, "parties"), i, p) {
		putchar('\t');
		dot_node("party:", s(p, "name"));
		fputs(" [label=", stdout);
		dot_str(s(p, "name"));
		fputs("];\n", stdout);
	}
	json_array_foreach(json_object_get(g, "edges"), i, ed) {
		const char *ch = s(ed, "chain");

		putchar('\t');
		dot_node("party:", s(ed, "from"));
		fputs(" -> ", stdout);
		dot_node("party:", s(ed, "to"));
		printf(" [label=\"handoff %" JSON_INTEGER_FORMAT " %.10s\\n",
		    json_integer_value(json_object_get(ed, "entry")), s(ed, "time"));
		/* The project is the ledger's text: escaped like any name. */
		{
			struct prov_buf b = PROV_BUF_INIT;
			prov_escape(&b, s(ed, "project"), strlen(s(ed, "project")));
			for (k = 0; k < b.len; k++) {
				if (b.buf[k] == '"' || b.buf[k] == '\\')
					putchar('\\');
				putchar(b.buf[k]);
			}
			prov_buf_release(&b);
		}
		printf("\", color=%s%s];\n", strcmp(ch, "in") == 0 ? "darkgreen" : "red",
		    strcmp(ch, "exit") == 0 ? ", penwidth=3, fontcolor=red" : "");
	}
	json_array_foreach(results, i, r) {
		const json_t *cust = json_object_get(r, "custody");

		if (strcmp(s(r, "verdict"), "container") == 0)
			continue;
		const json_t *lastedge = json_array_get(cust, json_array_size(cust) - 1);

		printf("\tfound%zu [shape=note, label=", i);
		dot_str(s(r, "found"));
		printf(", color=%s];\n", strcmp(s(r, "verdict"), "in-chain") == 0 ? "darkgreen" :
		    "red");
		if (lastedge) {
			const json_t *m = json_object_get(r, "match");
			const char *tr = s(m, "transform");

			putchar('\t');
			dot_node("party:", s(lastedge, "to"));
			/* The transform of a rotated or mirrored copy. */
			printf(" -> found%zu [style=dashed, label=\"%s%s%s\"];\n", i, s(m, "how"),
			    tr[0] && strcmp(tr, "original") ? " " : "",
			    tr[0] && strcmp(tr, "original") ? tr : "");
		}
	}
	printf("}\n");
	json_decref(g);
}

int
main(int argc, char **argv)
{
	enum { O_LEDGER = 256, O_JSON, O_DOT, O_PDQ, O_RECORDS, O_UPRIGHT, O_VERSION };
	static const struct option longopts[] = {
		{ "dot", no_argument, NULL, O_DOT },
		{ "help", no_argument, NULL, 'h' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "json", no_argument, NULL, O_JSON },
		{ "ledger", required_argument, NULL, O_LEDGER },
		{ "pdq-threshold", required_argument, NULL, O_PDQ },
		{ "quiet", no_argument, NULL, 'q' },
		{ "records", required_argument, NULL, O_RECORDS },
		{ "upright", no_argument, NULL, O_UPRIGHT },
		{ "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	const char *ledger = getenv("PROV_LEDGER") ? getenv("PROV_LEDGER") : "prov.ledger";
	const char *records = NULL;
	struct prov_trace_opts topts;
	struct prov_pdqidx_sync sync;
	struct prov_fp_opts fopts;
	struct prov_trace *t;
	struct collect c;
	struct prov_err e;
	json_t *results, *r, **q;
	unsigned jobs = 1;
	size_t i, n;
	int ch, matched = 0, failed = 0;

	sandbox_pre();
	prov_trace_opts_default(&topts);
	while ((ch = getopt_long(argc, argv, "hj:q", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout, 0);
		case 'j':
			jobs = (unsigned)parse_num(optarg, 1, 256, "-j");
			break;
		case 'q':
			quiet = 1;
			break;
		case O_DOT:
			out_mode = OUT_DOT;
			break;
		case O_JSON:
			out_mode = OUT_JSON;
			break;
		case O_LEDGER:
			ledger = optarg;
			break;
		case O_PDQ:
			topts.pdq_max = (int)parse_num(optarg, 0, 256, "--pdq-threshold");
			break;
		case O_RECORDS:
			records = optarg;
			break;
		case O_UPRIGHT:
			topts.upright = 1;
			break;
		case O_VERSION:
			printf("prov-trace %s\n", prov_version());
			return 0;
		default:
			usage(stderr, 2);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0 && records == NULL)
		usage(stderr, 2);
	topts.threads = jobs;
	c.recs = json_array();
	if (records)
		read_fp_records(records, c.recs);
	if (argc) {
		struct prov_fp *fp;
		int stdin_used = records && strcmp(records, "-") == 0;

		prov_fp_opts_default(&fopts);
		if (prov_fp_open(&fp, &fopts, jobs, collect, &c, &e) != PROV_OK)
			errx(2, "%s", e.msg);
		for (i = 0; i < (size_t)argc; i++) {
			if (strcmp(argv[i], "-") == 0) {
				if (stdin_used)
					errx(2, "stdin named twice");
				stdin_used = 1;
				/* Records keep their order: those before "-" are queued. */
				if (prov_fp_finish(fp, &e) != PROV_OK)
					errx(2, "%s", e.msg);
				prov_fp_close(fp);
				read_fp_records("-", c.recs);
				if (prov_fp_open(&fp, &fopts, jobs, collect, &c, &e) != PROV_OK)
					errx(2, "%s", e.msg);
			} else if (prov_fp_add(fp, argv[i], &e) != PROV_OK)
				errx(2, "%s", e.msg);
		}
		if (prov_fp_finish(fp, &e) != PROV_OK)
			errx(2, "%s", e.msg);
		prov_fp_close(fp);
	}
	if (access(ledger, R_OK) != 0)
		err(2, "%s", ledger);
	if (prov_trace_open(&t, ledger, &topts, &sync, &e) != PROV_OK) {
		warn_err(&e);
		return 2;
	}
	if (sync.rebuilt && sync.why[0])
		warnx("pdq index rebuilt: %s", sync.why);
	n = json_array_size(c.recs);
	q = prov_xcalloc(n ? n : 1, sizeof(*q));
	for (i = 0; i < n; i++)
		q[i] = json_array_get(c.recs, i);
	if (prov_trace_records(t, q, n, &results, &e) != PROV_OK) {
		warn_err(&e);
		return 2;
	}
	json_array_foreach(results, i, r) {
		if (strcmp(s(r, "verdict"), "error") == 0)
			failed = 1;
		else if (strcmp(s(r, "verdict"), "untraced") != 0 &&
		    strcmp(s(r, "verdict"), "container") != 0)
			matched = 1;
		if (out_mode == OUT_JSON) {
			if (json_dumpf(r, stdout, JSON_COMPACT) != 0)
				err(2, "stdout");
			putchar('\n');
		} else if (out_mode == OUT_TEXT)
			text_result(r);
	}
	if (out_mode == OUT_DOT)
		dot_output(results);
	if (out_mode == OUT_TEXT && !quiet) {
		size_t cnt[5] = { 0 }, shown = 0;
		static const char *const v[5] = { "in-chain", "left-chain", "no-custody",
		    "untraced", "error" };
		json_array_foreach(results, i, r)
			for (size_t k = 0; k < 5; k++)
				if (strcmp(s(r, "verdict"), v[k]) == 0) {
					cnt[k]++;
					shown++;
				}
		printf("%zu found: %zu in the approved chain, %zu left it, %zu matched without"
		    " custody, %zu untraced, %zu failed\n", shown, cnt[0], cnt[1], cnt[2], cnt[3],
		    cnt[4]);
	}
	json_decref(results);
	free(q);
	json_decref(c.recs);
	prov_trace_close(t);
	flush_or_die();
	/* as grep: something found is the news, even if some files failed */
	return matched ? 1 : failed ? 2 : 0;
}
