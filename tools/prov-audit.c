/*
 * prov-audit: verify a ledger, and files against a handoff's manifest.
 *
 *   prov-audit [--ledger FILE | --export FILE] [--checkpoint SAVED --key VKEY]
 *              [--witness VKEY]... [--cosign KEYFILE -o OUT]
 *              [--handoff ID [--pdq-threshold N] [--upright] [-j jobs] [limits]
 *               (--records FILE | PATH...)] [--json] [-q]
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "prov.h"
#include "common.h"
#include "banned.h"

static int json_out, quiet, pdq_max = -1, upright;
static unsigned jobs = 1;
static struct prov_fp_opts fp_opts;	/* how PATHs are read */

static void __attribute__((noreturn))
usage(FILE *fp, int status)
{
	fprintf(fp,
	    "usage: prov-audit [--ledger FILE | --export FILE] [--checkpoint SAVED --key VKEY]\n"
	    "                  [--witness VKEY]... [--cosign KEYFILE -o OUT]\n"
	    "                  [--handoff ID [--pdq-threshold N] [--upright] [-j jobs] [limits]\n"
	    "                   (--records FILE | PATH...)] [--json] [-q]\n"
	    "limits (for PATHs, as prov-fp): [--max-depth n] [--max-member-size size]\n"
	    "  [--max-pixels n] [--max-ratio n] [--max-archive-memory size] [--archive-stall s]\n"
	    "VKEY is a verifier key (name+id+key) or a file holding one.\n"
	    "Exit status: 0 all verified, 1 something does not verify, 2 could not audit.\n");
	exit(status);
}

/* A whole (small or export) file; "-" is stdin. */
static char *
slurp(const char *path, size_t *len)
{
	struct prov_buf b = PROV_BUF_INIT;
	char chunk[65536];
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t n;

	if (f == NULL)
		err(2, "%s", path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		prov_buf_add(&b, chunk, n);
	if (ferror(f))
		err(2, "%s", path);
	if (f != stdin)
		fclose(f);
	return prov_buf_detach(&b, len);
}

/* A verifier key given as text or as the name of a file holding it. */
static struct prov_key *
vkey_arg(const char *arg)
{
	struct prov_key *k = prov_xcalloc(1, sizeof(*k));
	struct prov_err e;
	struct stat st;
	char *text = NULL;
	size_t len = strlen(arg);

	if (stat(arg, &st) == 0) {
		text = slurp(arg, &len);
		while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
			len--;
	}
	prov_key_init(k);
	if (prov_vkey_parse(k, text ? text : arg, len, &e) != PROV_OK)
		errx(2, "%s: %s", arg, e.msg);
	free(text);
	return k;
}

static void
report(void *ctx, const char *finding)
{
	(void)ctx;
	if (json_out) {
		json_t *o = json_pack("{s:s,s:s}", "status", "fail", "finding", "");
		char *s;
		prov_json_set_name(o, "finding", finding, strlen(finding));
		s = json_dumps(o, JSON_COMPACT);
		printf("%s\n", s);
		free(s);
		json_decref(o);
	} else {
		fputs("FAIL\t", stdout);
		put_escaped(stdout, finding, strlen(finding));
		putchar('\n');
	}
}

static void
compare_line(void *ctx, const struct prov_compare_line *line)
{
	const json_t *r = line->disk ? line->disk : line->manifest;
	const char *path = json_string_value(json_object_get(r, "path"));
	const char *was = line->by_content ?
	    json_string_value(json_object_get(line->manifest, "path")) : NULL;
	const char *error = json_string_value(json_object_get(line->disk, "error"));
	int failed = strcmp(line->status, "error") == 0;

	(void)ctx;
	if (quiet && strcmp(line->status, "matched") == 0)
		return;
	if (json_out) {
		json_t *o = json_pack("{s:s,s:s*}", "status", line->status, "path", path);
		char *s;
		if (was)
			json_object_set_new(o, "manifest_path", json_string(was));
		if (line->distance >= 0) {
			json_object_set_new(o, "pdq_distance", json_integer(line->distance));
			json_object_set_new(o, "pdq_transform",
			    json_string(prov_pdq_variant_name(line->transform)));
		}
		if (line->distance >= 0 && line->layer)
			json_object_set_new(o, "pdq_layer", json_string(line->layer));
		if (error)
			json_object_set_new(o, "error", json_string(error));
		s = json_dumps(o, JSON_COMPACT);
		printf("%s\n", s);
		free(s);
		json_decref(o);
		return;
	}
	printf("%s\t", line->status);
	put_escaped(stdout, path ? path : "", path ? strlen(path) : 0);
	if (was) {
		fputs("\twas ", stdout);
		put_escaped(stdout, was, strlen(was));
	}
	if (line->distance >= 0)
		printf("\tpdq distance %d", line->distance);
	/* A rotated or mirrored copy, or one layer of an EXR (pdq-v1.md 6, 7). */
	if (line->distance >= 0 && line->transform != PROV_PDQ_ORIGINAL)
		printf(" %s", prov_pdq_variant_name(line->transform));
	if (line->distance >= 0 && line->layer) {
		fputs("\tlayer ", stdout);
		put_escaped(stdout, line->layer, strlen(line->layer));
	}
	if (error) {
		fputs(failed ? "\t" : "\terror ", stdout);
		put_escaped(stdout, error, strlen(error));
	}
	putchar('\n');
}

/* Records of the files under the operands, and how much of each path
 * names its operand. */
struct disk {
	json_t *recs;
	size_t *root_len, n, alloc, root;
};

static void
disk_push(struct disk *d, json_t *r)
{
	if (d->n == d->alloc) {
		d->alloc = 2 * d->alloc + 64;
		d->root_len = prov_xrealloc(d->root_len, d->alloc * sizeof(size_t));
	}
	d->root_len[d->n++] = d->root;
	json_array_append_new(d->recs, r);
}

static int
disk_add(void *arg, const struct prov_record *rec)
{
	disk_push(arg, prov_record_to_json(rec));
	return 0;
}

/* The files under path (a file, a directory or an archive), read by the
 * prov-fp walker: members of archives, nested ones too, are records. */
static void
fp_operand(const char *path, struct disk *d)
{
	struct prov_fp_opts opts;
	struct prov_fp *fp;
	struct prov_err e;
	struct stat st;
	const char *sl = strrchr(path, '/');


	if (stat(path, &st) != 0)
		err(2, "%s", path);
	if (S_ISDIR(st.st_mode))
		d->root = strlen(path) + (path[strlen(path) - 1] != '/');
	else
		d->root = sl ? (size_t)(sl - path) + 1 : 0;
	opts = fp_opts;
	if (prov_fp_open(&fp, &opts, jobs, disk_add, d, &e) != PROV_OK ||
	    prov_fp_add(fp, path, &e) != PROV_OK || prov_fp_finish(fp, &e) != PROV_OK)
		errx(2, "%s", e.msg);
	prov_fp_close(fp);
}

/* The handoff's manifest against the records on disk. */
static int
audit_files(struct prov_ledger *l, FILE *export, uint64_t id, const char *records_path,
    char **paths, int npaths)
{
	struct prov_buf bytes = PROV_BUF_INIT;
	struct prov_compare_counts c;
	struct prov_compare_opts co;
	struct prov_err e;
	struct disk disk = { json_array(), NULL, 0, 0, 0 };
	json_t *entry, *manifest;
	char *text, *line, *save = NULL;
	size_t len, n = 0;
	int rc;

	if (l != NULL) {
		if (prov_ledger_entry(l, id, &bytes, &e) != PROV_OK)
			errx(2, "%s", e.msg);
	} else {
		/* line id of the export */
		char *buf = NULL;
		size_t cap = 0;
		ssize_t got;
		rewind(export);
		while ((got = getline(&buf, &cap, export)) > 0 && n++ < id)
			continue;
		if (got > 0)
			prov_buf_add(&bytes, buf, buf[got - 1] == '\n' ? (size_t)got - 1 : (size_t)got);
		free(buf);
	}
	entry = json_loadb(bytes.buf, bytes.len, 0, NULL);
	manifest = json_object_get(json_object_get(json_object_get(entry, "body"), "manifest"), "artifacts");
	if (!json_is_array(manifest))
		errx(2, "entry %" PRIu64 " is not a handoff", id);
	if (records_path) {
		text = slurp(records_path, &len);
		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			json_t *r = json_loads(line, 0, NULL);
			if (!json_is_object(r))
				errx(2, "%s: not prov-fp NDJSON", records_path);
			disk_push(&disk, r);
		}
		free(text);
	}
	for (; npaths > 0; npaths--, paths++)
		fp_operand(*paths, &disk);
	prov_compare_opts_default(&co);
	if (pdq_max >= 0)
		co.pdq_max = pdq_max;
	co.upright = upright;
	co.root_len = disk.root_len;
	rc = prov_compare_files(manifest, disk.recs, &co, compare_line, NULL, &c);
	if (!json_out)
		fprintf(stderr, "prov-audit: handoff %" PRIu64 ": %" PRIu64 " matched, %" PRIu64
		    " changed, %" PRIu64 " same pixels, %" PRIu64 " perceptually the same, %" PRIu64
		    " moved, %" PRIu64 " new, %" PRIu64 " missing, %" PRIu64 " errors\n", id,
		    c.matched, c.changed, c.same_pixels, c.perceptual, c.moved, c.added, c.missing,
		    c.errors);
	json_decref(entry);
	json_decref(disk.recs);
	free(disk.root_len);
	prov_buf_release(&bytes);
	return rc;
}

/* Adds the auditor's cosignature to the newest verified checkpoint. */
static void
cosign(const char *keyfile, const char *out, const char *checkpoint)
{
	struct prov_buf note = PROV_BUF_INIT;
	struct prov_key k;
	struct prov_err e;
	FILE *f;
	int fd;

	if (checkpoint[0] == '\0')
		errx(2, "--cosign: the ledger has no verified checkpoint to cosign");
	prov_key_init(&k);
	if (prov_key_read_private(&k, keyfile, &e) != PROV_OK)
		errx(2, "%s", e.msg);
	if (k.type != PROV_KEY_COSIGNER)
		errx(2, "%s: not a cosigner key (prov-ledger key generate --cosigner)", keyfile);
	prov_buf_addstr(&note, checkpoint);
	if (prov_note_add_signature(&note, &k, (uint64_t)time(NULL), &e) != PROV_OK)
		errx(2, "%s", e.msg);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL)
		err(2, "%s", out);
	fwrite(note.buf, 1, note.len, f);
	if (fclose(f) != 0)
		err(2, "%s", out);
	prov_buf_release(&note);
	prov_key_release(&k);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ledger", required_argument, NULL, 'L' },
		{ "export", required_argument, NULL, 'E' },
		{ "checkpoint", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "witness", required_argument, NULL, 'w' },
		{ "cosign", required_argument, NULL, 'C' },
		{ "output", required_argument, NULL, 'o' },
		{ "handoff", required_argument, NULL, 'H' },
		{ "records", required_argument, NULL, 'r' },
		{ "pdq-threshold", required_argument, NULL, 'P' },
		{ "upright", no_argument, NULL, 'U' },
		{ "jobs", required_argument, NULL, 'j' },
		LIMIT_LONGOPTS,
		{ "json", no_argument, NULL, 'J' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *ledger = getenv("PROV_LEDGER") ? getenv("PROV_LEDGER") : "prov.ledger";
	const char *export_path = NULL, *saved = NULL, *cosign_key = NULL, *out = NULL, *records = NULL;
	struct prov_audit_opts o;
	struct prov_audit_result res;
	struct prov_ledger *l = NULL;
	struct prov_buf root = PROV_BUF_INIT;
	struct prov_err e;
	char *saved_text = NULL;
	FILE *export = NULL;
	int64_t handoff = -1;
	int ch, rc, files_rc = PROV_OK;

	sandbox_pre();
	memset(&o, 0, sizeof(o));
	prov_fp_opts_default(&fp_opts);
	while ((ch = getopt_long(argc, argv, "hj:o:q", longopts, NULL)) != -1) {
		switch (ch) {
		case 'C': cosign_key = optarg; break;
		case 'E': export_path = optarg; break;
		case 'H': handoff = (int64_t)parse_num(optarg, 0, INT64_MAX, "--handoff"); break;
		case 'J': json_out = 1; break;
		case 'L': ledger = optarg; break;
		case 'P': pdq_max = (int)parse_num(optarg, 0, 256, "--pdq-threshold"); break;
		case 'U': upright = 1; break;
		case 'V': printf("prov-audit %s\n", prov_version()); return 0;
		case 'c': saved = optarg; break;
		case 'h': usage(stdout, 0);
		case 'j': jobs = (unsigned)parse_num(optarg, 1, 256, "-j"); break;
		case 'k': o.operator_key = vkey_arg(optarg); break;
		case 'o': out = optarg; break;
		case 'q': quiet = 1; break;
		case 'r': records = optarg; break;
		case 'w':
			if (o.nwitnesses == 8)
				errx(2, "--witness: at most 8");
			o.witnesses[o.nwitnesses++] = vkey_arg(optarg);
			break;
		default:
			if (!limit_option(ch, optarg, &fp_opts.limits))
				usage(stderr, 2);
		}
	}
	if ((cosign_key && !out) ||
	    (handoff >= 0) != (records != NULL || optind < argc))
		usage(stderr, 2);
	if (saved) {
		saved_text = slurp(saved, &o.saved_len);
		o.saved_checkpoint = saved_text;
	}
	o.report = report;
	if (export_path && strcmp(export_path, "-") == 0) {
		/* Kept in a temporary file: read again for --handoff. */
		char chunk[65536];
		size_t n;
		if ((export = tmpfile()) == NULL)
			err(2, "a temporary file");
		while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
			if (fwrite(chunk, 1, n, export) != n)
				err(2, "a temporary file");
		if (ferror(stdin) || fflush(export) != 0)
			err(2, "stdin");
		rewind(export);
	} else if (export_path) {
		if ((export = fopen(export_path, "rb")) == NULL)
			err(2, "%s", export_path);
	} else if (prov_ledger_open(&l, ledger, PROV_LEDGER_READONLY, &e) != PROV_OK)
		errx(2, "%s", e.msg);
	rc = prov_audit_ledger(l, export, &o, &res, &e);
	if (rc == PROV_FATAL)
		errx(2, "%s", e.msg);
	prov_base64_encode(res.root, sizeof(res.root), &root);
	if (!quiet || rc != PROV_OK) {
		if (json_out)
			printf("{\"status\":\"%s\",\"entries\":%" PRIu64 ",\"verified\":%" PRIu64
			    ",\"checkpoints\":%" PRIu64 ",\"findings\":%" PRIu64 ",\"root\":\"%s\"}\n",
			    rc == PROV_OK ? "ok" : "fail", res.entries, res.verified, res.checkpoints,
			    res.findings, root.buf);
		else
			printf("%s\t%" PRIu64 " entries, %" PRIu64 " verified, %" PRIu64
			    " checkpoints verified, root %s\n", rc == PROV_OK ? "OK" : "FAILED",
			    res.entries, res.verified, res.checkpoints, root.buf);
	}
	if (rc == PROV_OK && cosign_key)
		cosign(cosign_key, out, res.latest_checkpoint);
	if (handoff >= 0)
		files_rc = audit_files(l, export, (uint64_t)handoff, records, argv + optind,
		    argc - optind);
	flush_or_die();
	prov_buf_release(&root);
	if (export)
		fclose(export);
	free(saved_text);
	prov_ledger_close(l);
	if (o.operator_key)
		prov_key_release(o.operator_key);
	free(o.operator_key);
	while (o.nwitnesses > 0) {
		prov_key_release(o.witnesses[--o.nwitnesses]);
		free(o.witnesses[o.nwitnesses]);
	}
	return rc == PROV_OK && files_rc == PROV_OK ? 0 : 1;
}
