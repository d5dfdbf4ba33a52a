/*
 * prov-fp: fingerprint files, directory trees and archives.
 *
 * Parsing and output only: the work is prov_fp_*() in libprov.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "banned.h"

enum { OPT_JSON = 256, OPT_SUM, OPT_FILES_FROM, OPT_NAMES, OPT_PROGRESS, OPT_SEQ, OPT_VERSION };

static const struct option longopts[] = {
	{ "null", no_argument, NULL, '0' },
	{ "follow", no_argument, NULL, 'L' },
	{ "files-from", required_argument, NULL, 'T' },
	{ "help", no_argument, NULL, 'h' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "sum", no_argument, NULL, OPT_SUM },
	LIMIT_LONGOPTS,
	{ "names", required_argument, NULL, OPT_NAMES },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "seq", no_argument, NULL, OPT_SEQ },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

enum mode { MODE_TEXT, MODE_JSON, MODE_SUM };

struct state {
	enum mode mode;
	int progress;
	int flush_each;
	unsigned long long records, failed, bytes;
	struct timespec last;
	int write_error;
};

static void __attribute__((noreturn))
usage(FILE *fp, int status)
{
	fprintf(fp,
	    "usage: prov-fp [-0Lhq] [--json | --sum] [-j jobs] [-T file]\n"
	    "               [--max-depth n] [--max-member-size size] [--max-pixels n]\n"
	    "               [--max-ratio n] [--max-archive-memory size] [--archive-stall s]\n"
	    "               [--names file] [--progress] [--seq] [--version] [file ...]\n"
	    "Fingerprints files, directory trees and archive members.\n"
	    "  -0, --null          names in lists are NUL-separated (find -print0)\n"
	    "  -j, --jobs N        fingerprint with N threads (output order unchanged)\n"
	    "  -L, --follow        follow symlinks met while walking directories\n"
	    "  -q, --quiet         no progress, even on a terminal\n"
	    "  -T, --files-from F  read the names of inputs from F (\"-\": stdin)\n"
	    "      --json          NDJSON records (schemas/fingerprint.schema.json)\n"
	    "      --sum           sha256sum -c input (plain files only)\n"
	    "      --max-depth N   archive nesting to open (default 8, 0: none)\n"
	    "      --max-ratio N   expansion of an input's archives (default 1000)\n"
	    "      --max-member-size SIZE  archive member held in memory (4G)\n"
	    "      --max-pixels N  pixels per decoded image (268435456)\n"
	    "      --max-archive-memory SIZE  memory an archive's reader may grow by\n"
	    "                      (4G; 0: read archives in-process, unguarded)\n"
	    "      --archive-stall S  stop an archive's reader after S seconds\n"
	    "                      without progress (30)\n"
	    "      --names FILE    the project's naming patterns (they replace the\n"
	    "                      defaults unless FILE has a line \"defaults\")\n"
	    "      --progress      progress on stderr even when not a terminal\n"
	    "      --seq           one more record per frame sequence, after the others\n"
	    "With no file and no -T, names are read from standard input; the file\n"
	    "\"-\" is the bytes of standard input.\n");
	exit(status);
}

static void
progress(struct state *st, int last)
{
	struct timespec now;

	if (!st->progress)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!last && (now.tv_sec - st->last.tv_sec) * 1000000000L +
	    (now.tv_nsec - st->last.tv_nsec) < 200000000L)
		return;
	st->last = now;
	fprintf(stderr, "\rprov-fp: %llu records, %llu MiB, %llu failed%s",
	    st->records, st->bytes >> 20, st->failed, last ? "\n" : "");
}

static int
emit(void *arg, const struct prov_record *r)
{
	struct state *st = arg;
	int rc;

	st->records++;
	if (!prov_record_is_member(r) && strcmp(r->kind, "sequence") != 0)
		st->bytes += r->size;	/* a sequence's frames were counted */
	if (r->status != PROV_OK) {
		struct prov_buf b = PROV_BUF_INIT;
		st->failed++;
		if (st->progress)
			fputs("\r\033[K", stderr);
		prov_escape(&b, r->path.buf, r->path.len);
		prov_buf_addstr(&b, ": ");
		prov_escape(&b, r->error, strlen(r->error));
		warnx("%s", b.buf);
		prov_buf_release(&b);
	}
	switch (st->mode) {
	case MODE_JSON:
		rc = prov_record_write_json(stdout, r);
		break;
	case MODE_SUM:
		rc = prov_record_write_text(stdout, r, PROV_TEXT_SUM);
		break;
	default:
		rc = prov_record_write_text(stdout, r, PROV_TEXT_LINE);
		break;
	}
	if (rc >= 0 && st->flush_each && fflush(stdout) == EOF)
		rc = -1;
	if (rc < 0) {
		st->write_error = errno ? errno : EIO;
		return 1;
	}
	progress(st, 0);
	return 0;
}

/* Adds every name of the list in fp, separated by sep. */
static int
add_list(struct prov_fp *fp, FILE *in, int sep, const char *what)
{
	struct prov_err e;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = PROV_OK;

	while ((n = getdelim(&line, &cap, sep, in)) > 0) {
		if (line[n - 1] == sep)
			line[--n] = '\0';
		if (n == 0)
			continue;
		if (memchr(line, '\0', (size_t)n) != NULL) {
			warnx("%s: a name holds a NUL byte (use -0 for NUL-separated lists)",
			    what);
			continue;
		}
		if ((rc = prov_fp_add(fp, line, &e)) != PROV_OK)
			break;
	}
	if (ferror(in))
		err(2, "%s", what);
	free(line);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct prov_fp_opts opts;
	struct prov_names *names = NULL;
	struct state st;
	struct prov_fp *fp;
	struct prov_err e;
	const char *list = NULL;
	unsigned jobs = 1;
	int ch, sep = '\n', quiet = 0, force_progress = 0, rc = PROV_OK, i;

	sandbox_pre();
	memset(&st, 0, sizeof(st));
	prov_fp_opts_default(&opts);
	while ((ch = getopt_long(argc, argv, "0LT:hj:q", longopts, NULL)) != -1) {
		switch (ch) {
		case '0':
			sep = '\0';
			break;
		case 'L':
			opts.follow_symlinks = 1;
			break;
		case 'T':
			list = optarg;
			break;
		case 'h':
			usage(stdout, 0);
		case 'j':
			jobs = (unsigned)parse_num(optarg, 1, 256, "-j");
			break;
		case 'q':
			quiet = 1;
			break;
		case OPT_JSON:
			st.mode = MODE_JSON;
			break;
		case OPT_SUM:
			st.mode = MODE_SUM;
			break;
		case OPT_NAMES:
			prov_names_close(names);
			if (prov_names_open_file(&names, optarg, &e) != PROV_OK) {
				struct prov_buf b = PROV_BUF_INIT;
				prov_escape(&b, e.msg, strlen(e.msg));
				errx(2, "%s", b.buf);
			}
			opts.names = names;
			break;
		case OPT_PROGRESS:
			force_progress = 1;
			break;
		case OPT_SEQ:
			opts.sequences = 1;
			break;
		case OPT_VERSION:
			printf("prov-fp %s\n", prov_version());
			return 0;
		default:
			if (!limit_option(ch, optarg, &opts.limits))
				usage(stderr, 2);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0 && list == NULL && isatty(STDIN_FILENO)) {
		warnx("no input: name files, use -T, or pipe a list of names");
		usage(stderr, 2);
	}
	st.progress = !quiet && (force_progress || isatty(STDERR_FILENO));
	st.flush_each = isatty(STDOUT_FILENO);

	if (prov_fp_open(&fp, &opts, jobs, emit, &st, &e) != PROV_OK)
		errx(2, "%s", e.msg);
	for (i = 0; i < argc && rc == PROV_OK; i++)
		rc = prov_fp_add(fp, argv[i], &e);
	if (rc == PROV_OK && (list != NULL || argc == 0)) {
		if (list == NULL || strcmp(list, "-") == 0)
			rc = add_list(fp, stdin, sep, "stdin");
		else {
			FILE *in = fopen(list, "r");
			if (in == NULL)
				err(2, "%s", list);
			rc = add_list(fp, in, sep, list);
			fclose(in);
		}
	}
	if (rc == PROV_OK)
		rc = prov_fp_finish(fp, &e);
	prov_fp_close(fp);
	prov_names_close(names);
	if (st.write_error) {
		errno = st.write_error;
		err(2, "stdout");
	}
	if (rc != PROV_OK)
		errx(2, "%s", e.msg);
	flush_or_die();
	progress(&st, 1);
	return st.failed ? 1 : 0;
}
