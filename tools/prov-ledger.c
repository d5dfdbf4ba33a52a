/*
 * prov-ledger: the signed, append-only provenance ledger.
 *
 *   prov-ledger [--ledger FILE] VERB [OPTIONS] [ARGS]
 *
 * Each verb is a function below, listed in the commands[] table; the
 * checks and the writing live in libprov (ledger.c).
 */
#include <err.h>
#include <errno.h>
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

static const char *ledger_path;
static int json_out;

static void __attribute__((noreturn))
usage(FILE *fp, int status)
{
	fprintf(fp,
	    "usage: prov-ledger [--ledger FILE] VERB [ARGS]\n"
	    "  init --origin ORIGIN --key OPERATOR_KEY\n"
	    "  key generate NAME -o KEYFILE [--cosigner]\n"
	    "  party add NAME --role studio|vendor|subcontractor --vkey VERIFIER_KEY --key SIGNER_KEY\n"
	    "  approve PARTY --project P [--scope S] [--from DATE] [--until DATE]\n"
	    "          [--may-delegate-to PARTY]... --key STUDIO_KEY\n"
	    "  revoke ENTRY_ID | --vkey VERIFIER_KEY  --key STUDIO_KEY\n"
	    "  handoff [--from A] --to B --project P [--scope S] [--in-reply-to ID] [--note TEXT]\n"
	    "          --key A_KEY [PATH... | < records.ndjson]\n"
	    "  receipt HANDOFF_ID --key B_KEY [PATH... | < records.ndjson]\n"
	    "  sighting --where TEXT [--when TIME] [--distance D] --key KEY\n"
	    "           [PATH... | < records.ndjson]\n"
	    "  log [--json] | show ID | checkpoint [--key OPERATOR_KEY]\n"
	    "  prove ID [--size N] [--json] | prove --consistency OLD_SIZE [--size N] [--json]\n"
	    "  export > ledger.ndjson | import < ledger.ndjson\n"
	    "  match [--distance D] [--upright] [--json] < records.ndjson\n"
	    "The ledger is --ledger FILE, else $PROV_LEDGER, else ./prov.ledger.\n");
	exit(status);
}

/* Options every verb may take, parsed by one getopt_long table. */
struct opts {
	const char *key, *origin, *role, *vkey, *project, *scope, *from, *until, *note;
	const char *to, *where, *when, *output;
	json_t *delegates;
	int64_t in_reply_to, size, consistency;
	int cosigner, distance, upright;
};

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	enum { O_ORIGIN = 256, O_ROLE, O_VKEY, O_PROJECT, O_SCOPE, O_FROM, O_UNTIL, O_NOTE,
	    O_TO, O_WHERE, O_WHEN, O_DELEG, O_REPLY, O_SIZE, O_CONS, O_COSIGNER, O_JSON, O_DIST,
	    O_UPRIGHT };
	static const struct option longopts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "ledger", required_argument, NULL, 'L' },
		{ "output", required_argument, NULL, 'o' },
		{ "origin", required_argument, NULL, O_ORIGIN },
		{ "role", required_argument, NULL, O_ROLE },
		{ "vkey", required_argument, NULL, O_VKEY },
		{ "project", required_argument, NULL, O_PROJECT },
		{ "scope", required_argument, NULL, O_SCOPE },
		{ "from", required_argument, NULL, O_FROM },
		{ "until", required_argument, NULL, O_UNTIL },
		{ "note", required_argument, NULL, O_NOTE },
		{ "to", required_argument, NULL, O_TO },
		{ "where", required_argument, NULL, O_WHERE },
		{ "when", required_argument, NULL, O_WHEN },
		{ "may-delegate-to", required_argument, NULL, O_DELEG },
		{ "in-reply-to", required_argument, NULL, O_REPLY },
		{ "size", required_argument, NULL, O_SIZE },
		{ "consistency", required_argument, NULL, O_CONS },
		{ "cosigner", no_argument, NULL, O_COSIGNER },
		{ "json", no_argument, NULL, O_JSON },
		{ "distance", required_argument, NULL, O_DIST },
		{ "upright", no_argument, NULL, O_UPRIGHT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->in_reply_to = o->size = o->consistency = -1;
	o->distance = PROV_PDQIDX_DEFAULT_DISTANCE;
	optind = 0;	/* glibc: a full rescan of this verb's arguments */
	while ((ch = getopt_long(argc, argv, "hk:o:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h': usage(stdout, 0);
		case 'k': o->key = optarg; break;
		case 'L': ledger_path = optarg; break;
		case 'o': o->output = optarg; break;
		case O_ORIGIN: o->origin = optarg; break;
		case O_ROLE: o->role = optarg; break;
		case O_VKEY: o->vkey = optarg; break;
		case O_PROJECT: o->project = optarg; break;
		case O_SCOPE: o->scope = optarg; break;
		case O_FROM: o->from = optarg; break;
		case O_UNTIL: o->until = optarg; break;
		case O_NOTE: o->note = optarg; break;
		case O_TO: o->to = optarg; break;
		case O_WHERE: o->where = optarg; break;
		case O_WHEN: o->when = optarg; break;
		case O_DELEG:
			if (o->delegates == NULL)
				o->delegates = json_array();
			json_array_append_new(o->delegates, json_string(optarg));
			break;
		case O_REPLY: o->in_reply_to = (int64_t)parse_num(optarg, 0, INT64_MAX, "--in-reply-to"); break;
		case O_SIZE: o->size = (int64_t)parse_num(optarg, 0, INT64_MAX, "--size"); break;
		case O_CONS: o->consistency = (int64_t)parse_num(optarg, 1, INT64_MAX, "--consistency"); break;
		case O_COSIGNER: o->cosigner = 1; break;
		case O_JSON: json_out = 1; break;
		case O_DIST: o->distance = (int)parse_num(optarg, 0, 256, "--distance"); break;
		case O_UPRIGHT: o->upright = 1; break;
		default: usage(stderr, 2);
		}
	}
	return optind;
}

static void __attribute__((noreturn))
fail(int rc, const struct prov_err *e)
{
	warn_err(e);
	exit(rc == PROV_FAILED ? 1 : 2);
}

static struct prov_ledger *
open_ledger(int flags)
{
	struct prov_ledger *l;
	struct prov_err e;
	int rc;

	if ((rc = prov_ledger_open(&l, ledger_path, flags, &e)) != PROV_OK)
		fail(PROV_FATAL, &e);
	return l;
}

static void
load_key(struct prov_key *k, const char *path)
{
	struct prov_err e;

	prov_key_init(k);
	if (path == NULL)
		errx(2, "--key KEYFILE is required");
	if (prov_key_read_private(k, path, &e) != PROV_OK)
		fail(PROV_FATAL, &e);
}

static void
need(const char *value, const char *what)
{
	if (value == NULL || value[0] == '\0')
		errx(2, "%s is required", what);
}

static uint64_t
entry_arg(const char *s)
{
	return parse_num(s, 0, INT64_MAX, "ENTRY_ID");
}

/* Collects the walker's records. */
static int
add_record(void *arg, const struct prov_record *rec)
{
	json_array_append_new(arg, prov_record_to_json(rec));
	return 0;
}

/*
 * Whether record r (where: how to name it in a message) goes into a
 * manifest.  Links carry no bytes of their own (the walker records a
 * symbolic link met under a directory as kind "symlink", a tar hard link
 * as "hardlink") and are left out; every other record needs its sha256,
 * or the manifest would silently lack a file that could not be read.
 */
static int
keep_record(const json_t *r, const char *where)
{
	const char *kind = json_string_value(json_object_get(r, "kind"));
	const char *why = json_string_value(json_object_get(r, "error"));

	if (json_is_string(json_object_get(r, "sha256")))
		return 1;
	if (kind && (strcmp(kind, "symlink") == 0 || strcmp(kind, "hardlink") == 0))
		return 0;
	errx(1, "%s: record has no sha256 (a failed fingerprint?)%s%s", where, why ? ": " : "",
	    why ? why : "");
}

/*
 * The artifacts of a manifest: the records of PATH... as prov-fp --json
 * gives them (directories walked; an archive is one record and each of its
 * members, nested ones too, one more, "a.zip!/dir/frame.exr"), else prov-fp
 * NDJSON records on stdin.  Both go through keep_record().
 */
static json_t *
read_records(int npaths, char **paths)
{
	json_t *arts = json_array(), *all;
	char *line = NULL;
	size_t cap = 0, lineno = 0, i;
	ssize_t n;

	if (npaths > 0) {
		struct prov_fp_opts fo;
		struct prov_err e;
		struct stat st;

		memset(&fo, 0, sizeof(fo));
		prov_limits_default(&fo.limits);
		fo.images = fo.pdq = 1;
		for (; npaths > 0; npaths--, paths++) {
			if (stat(*paths, &st) != 0)
				err(2, "%s", *paths);
			all = json_array();
			if (prov_fp_path(*paths, &fo, add_record, all, &e) != PROV_OK)
				fail(PROV_FATAL, &e);
			for (i = 0; i < json_array_size(all); i++) {
				json_t *r = json_array_get(all, i);
				struct prov_buf where = PROV_BUF_INIT;
				const char *p = json_string_value(json_object_get(r, "path"));
				prov_escape(&where, p ? p : "", p ? strlen(p) : 0);
				if (keep_record(r, where.buf))
					json_array_append(arts, r);
				prov_buf_release(&where);
			}
			json_decref(all);
		}
		if (json_array_size(arts) == 0)
			errx(1, "no files to record under the PATHs given");
		return arts;
	}
	if (isatty(STDIN_FILENO))
		errx(2, "the manifest is read from stdin (pipe prov-fp --json into it) or from PATHs");
	while ((n = getline(&line, &cap, stdin)) > 0) {
		json_error_t jerr;
		json_t *r;
		char where[64];
		lineno++;
		if (n == 1 && line[0] == '\n')
			continue;
		r = json_loadb(line, (size_t)n, JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(r))
			errx(1, "stdin:%zu: not a JSON record: %s", lineno, r ? "not an object" : jerr.text);
		snprintf(where, sizeof(where), "stdin:%zu", lineno);
		if (keep_record(r, where))
			json_array_append_new(arts, r);
		else
			json_decref(r);
	}
	free(line);
	if (ferror(stdin))
		err(2, "stdin");
	return arts;
}

static void
put_opt(json_t *body, const char *key, const char *value)
{
	if (value)
		json_object_set_new(body, key, json_string(value));
}

/* Appends the entry and prints its sequence number. */
static int
append(const char *type, json_t *body, const char *keyfile)
{
	struct prov_ledger *l = open_ledger(0);
	struct prov_key k;
	struct prov_err e;
	uint64_t seq;
	int rc;

	load_key(&k, keyfile);
	if (body == NULL)
		errx(2, "%s: an argument is not valid UTF-8", type);
	rc = prov_ledger_append(l, type, body, &k, &seq, &e);
	prov_key_release(&k);
	json_decref(body);
	prov_ledger_close(l);
	if (rc != PROV_OK)
		fail(rc, &e);
	printf("%" PRIu64 "\n", seq);
	return 0;
}

static int
cmd_init(int argc, char **argv)
{
	struct opts o;
	struct prov_ledger *l;
	struct prov_key k;
	struct prov_err e;
	int rc;

	parse_opts(argc, argv, &o);
	need(o.origin, "--origin");
	load_key(&k, o.key);
	l = open_ledger(PROV_LEDGER_CREATE);
	rc = prov_ledger_init(l, o.origin, &k, &e);
	prov_ledger_close(l);
	prov_key_release(&k);
	if (rc != PROV_OK) {
		unlink(ledger_path);
		fail(rc, &e);
	}
	printf("%s: ledger for %s\n", ledger_path, o.origin);
	return 0;
}

static int
cmd_key(int argc, char **argv)
{
	struct prov_buf vk = PROV_BUF_INIT;
	struct prov_key k;
	struct prov_err e;
	struct opts o;
	int i = parse_opts(argc, argv, &o);

	if (argc - i != 2 || strcmp(argv[i], "generate") != 0)
		usage(stderr, 2);
	need(o.output, "-o KEYFILE");
	prov_key_init(&k);
	if (prov_key_generate(&k, argv[i + 1], o.cosigner ? PROV_KEY_COSIGNER : PROV_KEY_SIGNER,
	    &e) != PROV_OK || prov_key_write_private(&k, o.output, &e) != PROV_OK)
		fail(PROV_FATAL, &e);
	prov_vkey_format(&k, &vk);
	printf("%s\n", vk.buf);
	prov_buf_release(&vk);
	prov_key_release(&k);
	return 0;
}

static int
cmd_party(int argc, char **argv)
{
	struct opts o;
	int i = parse_opts(argc, argv, &o);

	if (argc - i != 2 || strcmp(argv[i], "add") != 0)
		usage(stderr, 2);
	need(o.role, "--role");
	need(o.vkey, "--vkey");
	return append("party", json_pack("{s:s,s:s,s:s}", "name", argv[i + 1], "role", o.role,
	    "vkey", o.vkey), o.key);
}

static int
cmd_approve(int argc, char **argv)
{
	struct opts o;
	int i = parse_opts(argc, argv, &o);
	json_t *body;

	if (argc - i != 1)
		usage(stderr, 2);
	need(o.project, "--project");
	body = json_pack("{s:s,s:s,s:o}", "party", argv[i], "project", o.project,
	    "may_delegate_to", o.delegates ? o.delegates : json_array());
	if (body) {
		put_opt(body, "scope", o.scope);
		put_opt(body, "from", o.from);
		put_opt(body, "until", o.until);
	}
	return append("approval", body, o.key);
}

static int
cmd_revoke(int argc, char **argv)
{
	struct opts o;
	int i = parse_opts(argc, argv, &o);

	if (o.vkey && argc == i)
		return append("revocation", json_pack("{s:s}", "vkey", o.vkey), o.key);
	if (argc - i != 1)
		usage(stderr, 2);
	return append("revocation", json_pack("{s:I}", "entry", (json_int_t)entry_arg(argv[i])), o.key);
}

static int
cmd_handoff(int argc, char **argv)
{
	struct opts o;
	int i = parse_opts(argc, argv, &o);
	json_t *body;

	need(o.to, "--to");
	need(o.project, "--project");
	body = json_pack("{s:s,s:s,s:{s:o}}", "to", o.to, "project", o.project, "manifest",
	    "artifacts", read_records(argc - i, argv + i));
	if (body) {
		put_opt(body, "from", o.from);
		put_opt(body, "scope", o.scope);
		put_opt(body, "note", o.note);
		if (o.in_reply_to >= 0)
			json_object_set_new(body, "in_reply_to", json_integer(o.in_reply_to));
	}
	return append("handoff", body, o.key);
}

static int
cmd_receipt(int argc, char **argv)
{
	struct opts o;
	int i = parse_opts(argc, argv, &o);

	if (argc - i < 1)
		usage(stderr, 2);
	return append("receipt", json_pack("{s:I,s:o}", "handoff",
	    (json_int_t)entry_arg(argv[i]), "artifacts", read_records(argc - i - 1, argv + i + 1)),
	    o.key);
}

/* What the found artifacts are in the ledger: the same bytes, pixels or
 * PDQ hashes (within distance) as handoff artifacts, through the ledger's
 * PDQ index (<ledger>.pdqidx, brought up to date). */
static json_t *
sighting_matches(json_t *arts, int distance)
{
	struct prov_ledger *l = open_ledger(PROV_LEDGER_READONLY);
	struct prov_buf path = PROV_BUF_INIT;
	struct prov_pdqidx_sync sync;
	struct prov_pdqidx *x;
	struct prov_err e;
	json_t *m;
	int rc;

	prov_buf_addf(&path, "%s.pdqidx", ledger_path);
	if ((rc = prov_pdqidx_open_ledger(&x, l, path.buf, 1, &sync, &e)) != PROV_OK)
		fail(PROV_FATAL, &e);
	if (!sync.saved && !sync.rebuilt && sync.why[0])
		warnx("pdq index not saved: %s", sync.why);
	if ((rc = prov_ledger_sighting_matches(l, x, arts, distance, 1, &m, &e)) != PROV_OK)
		fail(rc, &e);
	prov_pdqidx_free(x);
	prov_ledger_close(l);
	prov_buf_release(&path);
	return m;
}

static int
cmd_sighting(int argc, char **argv)
{
	struct opts o;
	int i = parse_opts(argc, argv, &o);
	json_t *body;

	need(o.where, "--where");
	body = json_pack("{s:s,s:o}", "where", o.where, "artifacts", read_records(argc - i, argv + i));
	if (body) {
		put_opt(body, "when", o.when);
		json_object_set_new(body, "matches", sighting_matches(json_object_get(body, "artifacts"),
		    o.distance));
	}
	return append("sighting", body, o.key);
}

/* Appends a value from the ledger: parties chose it, so it is escaped like
 * a file name. */
static void
add_value(struct prov_buf *line, json_t *v)
{
	char num[32];

	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		prov_buf_addstr(line, num);
	} else if (json_is_string(v))
		prov_escape(line, json_string_value(v), json_string_length(v));
	else
		prov_buf_addch(line, '-');
}

/* One tab-separated line about an entry, for people: seq, time, type,
 * author, then what the entry says. */
static void
summarise(json_t *entry)
{
	json_t *b = json_object_get(entry, "body"), *m;
	const char *type = json_string_value(json_object_get(entry, "type"));
	struct prov_buf line = PROV_BUF_INIT;
	static const char *const fields[] = { "seq", "time", "type", "author" };
	size_t i;

	for (i = 0; i < 4; i++) {
		add_value(&line, json_object_get(entry, fields[i]));
		prov_buf_addch(&line, '\t');
	}
	if (strcmp(type, "init") == 0) {
		prov_buf_addstr(&line, "origin ");
		add_value(&line, json_object_get(b, "origin"));
	} else if (strcmp(type, "party") == 0) {
		add_value(&line, json_object_get(b, "name"));
		prov_buf_addstr(&line, " (");
		add_value(&line, json_object_get(b, "role"));
		prov_buf_addch(&line, ')');
	} else if (strcmp(type, "approval") == 0) {
		add_value(&line, json_object_get(b, "party"));
		prov_buf_addstr(&line, " for ");
		add_value(&line, json_object_get(b, "project"));
	} else if (strcmp(type, "revocation") == 0) {
		prov_buf_addstr(&line, json_object_get(b, "entry") ? "revokes approval " : "revokes a key");
		if (json_object_get(b, "entry"))
			add_value(&line, json_object_get(b, "entry"));
	} else if (strcmp(type, "handoff") == 0) {
		m = json_object_get(b, "manifest");
		add_value(&line, json_object_get(b, "from"));
		prov_buf_addstr(&line, " -> ");
		add_value(&line, json_object_get(b, "to"));
		prov_buf_addstr(&line, ", ");
		add_value(&line, json_object_get(b, "project"));
		prov_buf_addstr(&line, ", ");
		add_value(&line, json_object_get(m, "count"));
		prov_buf_addstr(&line, " artifacts");
		if (!json_is_true(json_object_get(b, "covered"))) {
			prov_buf_addstr(&line, ", NOT COVERED: ");
			add_value(&line, json_object_get(b, "uncovered_reason"));
		}
	} else if (strcmp(type, "receipt") == 0) {
		prov_buf_addstr(&line, "of handoff ");
		add_value(&line, json_object_get(b, "handoff"));
		m = json_object_get(b, "differences");
		if (json_is_true(json_object_get(b, "matches")))
			prov_buf_addstr(&line, ", matches");
		else
			prov_buf_addf(&line, ", DIFFERS: %zu missing, %zu unexpected",
			    json_array_size(json_object_get(m, "missing")),
			    json_array_size(json_object_get(m, "unexpected")));
	} else if (strcmp(type, "sighting") == 0) {
		prov_buf_addstr(&line, "at ");
		add_value(&line, json_object_get(b, "where"));
		prov_buf_addf(&line, ", %zu artifacts", json_array_size(json_object_get(b, "artifacts")));
		if ((m = json_object_get(b, "matches")) != NULL)
			prov_buf_addf(&line, ", %zu matches", json_array_size(m));
	}
	prov_buf_addch(&line, '\n');
	fwrite(line.buf, 1, line.len, stdout);
	prov_buf_release(&line);
}

/* Calls fn on every entry's bytes in order. */
static void
each_entry(struct prov_ledger *l, void (*fn)(const char *, size_t))
{
	struct prov_buf b = PROV_BUF_INIT;
	struct prov_err e;
	uint64_t i;

	for (i = 0; i < prov_ledger_size(l); i++) {
		prov_buf_reset(&b);
		if (prov_ledger_entry(l, i, &b, &e) != PROV_OK)
			fail(PROV_FATAL, &e);
		fn(b.buf, b.len);
	}
	prov_buf_release(&b);
}

static void
print_raw(const char *bytes, size_t len)
{
	fwrite(bytes, 1, len, stdout);
	putchar('\n');
}

static void
print_summary(const char *bytes, size_t len)
{
	json_t *v = json_loadb(bytes, len, 0, NULL);

	if (v == NULL)
		errx(2, "ledger: an entry is not JSON");
	summarise(v);
	json_decref(v);
}

static int
cmd_log(int argc, char **argv)
{
	struct prov_ledger *l;
	struct opts o;

	if (parse_opts(argc, argv, &o) != argc)
		usage(stderr, 2);
	l = open_ledger(PROV_LEDGER_READONLY);
	each_entry(l, json_out ? print_raw : print_summary);
	prov_ledger_close(l);
	return 0;
}

static int
cmd_export(int argc, char **argv)
{
	struct prov_ledger *l;
	struct opts o;

	if (parse_opts(argc, argv, &o) != argc)
		usage(stderr, 2);
	l = open_ledger(PROV_LEDGER_READONLY);
	each_entry(l, print_raw);
	prov_ledger_close(l);
	return 0;
}

static int
cmd_show(int argc, char **argv)
{
	struct prov_buf b = PROV_BUF_INIT;
	struct prov_ledger *l;
	struct prov_err e;
	struct opts o;
	int i = parse_opts(argc, argv, &o);
	json_t *v;
	char *s;

	if (argc - i != 1)
		usage(stderr, 2);
	l = open_ledger(PROV_LEDGER_READONLY);
	if (prov_ledger_entry(l, entry_arg(argv[i]), &b, &e) != PROV_OK)
		fail(PROV_FAILED, &e);
	if ((v = json_loadb(b.buf, b.len, 0, NULL)) == NULL)
		errx(2, "ledger: entry %s is not JSON", argv[i]);
	s = json_dumps(v, json_out ? JSON_COMPACT : JSON_INDENT(2));
	printf("%s\n", s);
	free(s);
	json_decref(v);
	prov_buf_release(&b);
	prov_ledger_close(l);
	return 0;
}

/* Keeps the newest stored checkpoint (they come in size order). */
static int
newest_checkpoint(void *ctx, uint64_t size, const char *note, size_t len)
{
	struct prov_buf *b = ctx;

	(void)size;
	prov_buf_reset(b);
	prov_buf_add(b, note, len);
	return 0;
}

static int
cmd_checkpoint(int argc, char **argv)
{
	struct prov_buf note = PROV_BUF_INIT;
	struct prov_ledger *l;
	struct prov_key k;
	struct prov_err e;
	struct opts o;
	uint64_t newest = 0;

	if (parse_opts(argc, argv, &o) != argc)
		usage(stderr, 2);
	if (o.key == NULL) {
		/* Without the operator key: the newest stored checkpoint, when
		 * it covers every entry (it is already signed). */
		l = open_ledger(PROV_LEDGER_READONLY);
		if (prov_ledger_foreach_checkpoint(l, newest_checkpoint, &note, &e) != PROV_OK)
			fail(e.code, &e);
		if (note.len > 0) {
			const char *nl = memchr(note.buf, '\n', note.len);
			newest = nl ? strtoull(nl + 1, NULL, 10) : 0;
		}
		if (note.len == 0 || newest != prov_ledger_size(l))
			errx(2, "checkpoint: no stored checkpoint covers the %" PRIu64
			    " entries; --key OPERATOR_KEY signs one", prov_ledger_size(l));
		fwrite(note.buf, 1, note.len, stdout);
		prov_buf_release(&note);
		prov_ledger_close(l);
		return 0;
	}
	load_key(&k, o.key);
	l = open_ledger(0);
	if (prov_ledger_checkpoint(l, &k, &note, &e) != PROV_OK)
		fail(e.code, &e);
	fwrite(note.buf, 1, note.len, stdout);
	prov_buf_release(&note);
	prov_key_release(&k);
	prov_ledger_close(l);
	return 0;
}

/* A hash (list = 0) or a list of hashes, base64, as a text line per hash
 * ("name value") or a JSON member. */
static void
print_hashes(const char *name, const unsigned char *h, size_t len, int list)
{
	struct prov_buf b = PROV_BUF_INIT;
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < len; i += 32) {
		prov_buf_reset(&b);
		prov_base64_encode(h + i, 32, &b);
		if (!json_out)
			printf("%s %s\n", name, b.buf);
		json_array_append_new(a, json_string(b.buf));
	}
	if (json_out) {
		char *s = json_dumps(list ? a : json_array_get(a, 0), JSON_COMPACT | JSON_ENCODE_ANY);
		printf("\"%s\":%s", name, s);
		free(s);
	}
	json_decref(a);
	prov_buf_release(&b);
}

/* Inclusion and consistency proofs; the field names are those of the
 * RFC 6962 proof vectors (leafIdx, treeSize, root, leafHash, proof). */
static int
cmd_prove(int argc, char **argv)
{
	struct prov_buf proof = PROV_BUF_INIT, bytes = PROV_BUF_INIT;
	unsigned char r1[32], r2[32], leaf[32];
	struct prov_ledger *l;
	struct prov_err e;
	struct opts o;
	int i = parse_opts(argc, argv, &o);
	uint64_t size;

	l = open_ledger(PROV_LEDGER_READONLY);
	size = o.size >= 0 ? (uint64_t)o.size : prov_ledger_size(l);
	if (o.consistency >= 0) {
		if (argc != i)
			usage(stderr, 2);
		if (prov_ledger_root(l, (uint64_t)o.consistency, r1, &e) != PROV_OK ||
		    prov_ledger_root(l, size, r2, &e) != PROV_OK ||
		    prov_ledger_consistency_proof(l, (uint64_t)o.consistency, size, &proof, &e) != PROV_OK)
			fail(PROV_FAILED, &e);
		printf(json_out ? "{\"size1\":%" PRId64 ",\"size2\":%" PRIu64 "," :
		    "size1 %" PRId64 "\nsize2 %" PRIu64 "\n", o.consistency, size);
		print_hashes("root1", r1, 32, 0);
		printf(json_out ? "," : "");
		print_hashes("root2", r2, 32, 0);
	} else {
		if (argc - i != 1)
			usage(stderr, 2);
		uint64_t seq = entry_arg(argv[i]);
		if (prov_ledger_entry(l, seq, &bytes, &e) != PROV_OK ||
		    prov_ledger_root(l, size, r2, &e) != PROV_OK ||
		    prov_ledger_inclusion_proof(l, seq, size, &proof, &e) != PROV_OK)
			fail(PROV_FAILED, &e);
		prov_merkle_leaf_hash(bytes.buf, bytes.len, leaf);
		printf(json_out ? "{\"leafIdx\":%" PRIu64 ",\"treeSize\":%" PRIu64 "," :
		    "leafIdx %" PRIu64 "\ntreeSize %" PRIu64 "\n", seq, size);
		print_hashes("leafHash", leaf, 32, 0);
		printf(json_out ? "," : "");
		print_hashes("root", r2, 32, 0);
	}
	printf(json_out ? "," : "");
	print_hashes("proof", (unsigned char *)proof.buf, proof.len, 1);
	printf(json_out ? "}\n" : "");
	prov_buf_release(&proof);
	prov_buf_release(&bytes);
	prov_ledger_close(l);
	return 0;
}

struct lines {
	char *line;
	size_t cap;
};

/* prov_ledger_import_all's reader: one entry per line of stdin. */
static int
next_line(void *ctx, const char **bytes, size_t *len, struct prov_err *e)
{
	struct lines *r = ctx;
	ssize_t n;

	if ((n = getline(&r->line, &r->cap, stdin)) <= 0) {
		if (ferror(stdin)) {
			prov_seterr(e, PROV_FATAL, errno, "stdin: %s", strerror(errno));
			return -1;
		}
		return 0;
	}
	if (r->line[n - 1] == '\n')
		n--;
	*bytes = r->line;
	*len = (size_t)n;
	return 1;
}

/* Import into a new ledger, in one transaction; on any refused entry
 * nothing is left behind, not even the new file. */
static int
cmd_import(int argc, char **argv)
{
	struct lines r = { NULL, 0 };
	struct prov_ledger *l;
	struct prov_err e;
	struct opts o;
	int rc;

	if (parse_opts(argc, argv, &o) != argc)
		usage(stderr, 2);
	l = open_ledger(PROV_LEDGER_CREATE);
	rc = prov_ledger_import_all(l, next_line, &r, &e);
	free(r.line);
	if (rc == PROV_OK && prov_ledger_size(l) == 0)
		rc = prov_seterr(&e, PROV_FAILED, 0, "stdin: no entries");
	prov_ledger_close(l);
	if (rc != PROV_OK) {
		struct prov_buf p = PROV_BUF_INIT;
		unlink(ledger_path);
		prov_buf_addf(&p, "%s-wal", ledger_path);
		unlink(p.buf);
		prov_buf_reset(&p);
		prov_buf_addf(&p, "%s-shm", ledger_path);
		unlink(p.buf);
		prov_buf_release(&p);
		fail(rc, &e);
	}
	return 0;
}

/* Query records for match: prov-fp NDJSON, or bare 64-digit hex hashes
 * (kept as {"pdq": {"hash": ...}}); names[i] is what to call query i. */
static size_t
read_queries(json_t *recs, json_t *names)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0, nohash = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, stdin)) > 0) {
		struct prov_pdqidx_item it;
		json_error_t jerr;
		const char *name;
		json_t *r;

		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0)
			continue;
		if (n == 64 && strspn(line, "0123456789abcdefABCDEF") == 64) {
			r = json_pack("{s:{s:s}}", "pdq", "hash", line);
			json_array_append_new(names, json_pack("{s:s,s:I}", "name", line, "line",
			    (json_int_t)lineno));
		} else {
			r = json_loadb(line, (size_t)n, JSON_REJECT_DUPLICATES, &jerr);
			if (!json_is_object(r))
				errx(1, "stdin:%zu: neither a prov-fp record nor a 64-digit hex hash", lineno);
			name = json_string_value(json_object_get(r, "path"));
			json_array_append_new(names, json_pack("{s:s,s:I}", "name", name ? name : "",
			    "line", (json_int_t)lineno));
		}
		if (prov_pdq_record_hashes(r, &it, 1) == 0)
			nohash++;
		json_array_append_new(recs, r);
	}
	free(line);
	if (ferror(stdin))
		err(2, "stdin");
	if (nohash)
		warnx("%zu of %zu queries carry no PDQ hash", nohash, json_array_size(recs));
	return json_array_size(recs);
}

static int
cmd_match(int argc, char **argv)
{
	json_t *recs = json_array(), *names = json_array(), **q;
	struct prov_pdqidx_sync sync;
	struct prov_pdq_matches m;
	struct prov_pdqidx *x;
	struct prov_ledger *l;
	struct prov_buf path = PROV_BUF_INIT;
	struct prov_err e;
	struct opts o;
	size_t i, nq;
	unsigned threads;
	long nprocs;
	int rc;

	if (parse_opts(argc, argv, &o) != argc)
		usage(stderr, 2);
	if (isatty(STDIN_FILENO))
		errx(2, "the queries are read from stdin: pipe prov-fp --json or hex hashes into it");
	nprocs = sysconf(_SC_NPROCESSORS_ONLN);
	threads = nprocs < 1 ? 1 : nprocs > 16 ? 16 : (unsigned)nprocs;
	nq = read_queries(recs, names);
	l = open_ledger(PROV_LEDGER_READONLY);
	prov_buf_addf(&path, "%s.pdqidx", ledger_path);
	if ((rc = prov_pdqidx_open_ledger(&x, l, path.buf, threads, &sync, &e)) != PROV_OK)
		fail(PROV_FATAL, &e);
	if (sync.rebuilt && sync.why[0])
		warnx("pdq index rebuilt: %s", sync.why);
	else if (!sync.saved && sync.why[0])
		warnx("pdq index not saved: %s", sync.why);
	q = prov_xcalloc(nq ? nq : 1, sizeof(*q));
	for (i = 0; i < nq; i++)
		q[i] = json_array_get(recs, i);
	if ((rc = prov_pdq_match_records(x, l, q, nq, o.distance, threads,
	    o.upright ? 0 : PROV_PDQ_MATCH_DIHEDRAL, &m, &e)) != PROV_OK)
		fail(rc, &e);
	for (i = 0; i < m.n; i++) {
		const struct prov_pdq_match *p = &m.v[i];
		json_t *qo = json_array_get(names, p->query), *qn = json_object_get(qo, "name");
		json_t *ap = json_object_get(p->record, "path");

		if (json_out) {
			json_t *o2 = json_pack("{s:O,s:I,s:s,s:I,s:I,s:O*,s:O*,s:i,s:b,s:i,s:s,s:i}",
			    "query", qn, "line", json_integer_value(json_object_get(qo, "line")), "type", p->type,
			    "entry", (json_int_t)p->entry, "artifact", (json_int_t)p->artifact,
			    "path", ap, "sha256", json_object_get(p->record, "sha256"),
			    "part", p->part, "trimmed", p->trimmed, "distance", p->distance,
			    "transform", prov_pdq_variant_name(p->transform), "quality", p->quality);
			json_dumpf(o2, stdout, JSON_COMPACT);
			putchar('\n');
			json_decref(o2);
		} else {
			put_escaped(stdout, json_string_value(qn), json_string_length(qn));
			fputs(": ", stdout);
			put_escaped(stdout, ap ? json_string_value(ap) : "", ap ? json_string_length(ap) : 0);
			printf(" (%s %" PRIu64 ", artifact %" PRIu32 "%s%s%s, distance %d, quality %d)\n",
			    p->type, p->entry, p->artifact, p->trimmed ? ", trimmed" : "",
			    p->transform ? ", " : "", p->transform ? prov_pdq_variant_name(p->transform) : "",
			    p->distance,
			    p->quality);
		}
	}
	prov_pdq_matches_release(&m);
	prov_pdqidx_free(x);
	prov_ledger_close(l);
	prov_buf_release(&path);
	free(q);
	json_decref(recs);
	json_decref(names);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int, char **);
} commands[] = {
	{ "approve", cmd_approve },
	{ "checkpoint", cmd_checkpoint },
	{ "export", cmd_export },
	{ "handoff", cmd_handoff },
	{ "import", cmd_import },
	{ "init", cmd_init },
	{ "key", cmd_key },
	{ "log", cmd_log },
	{ "match", cmd_match },
	{ "party", cmd_party },
	{ "prove", cmd_prove },
	{ "receipt", cmd_receipt },
	{ "revoke", cmd_revoke },
	{ "show", cmd_show },
	{ "sighting", cmd_sighting },
};

int
main(int argc, char **argv)
{
	size_t i;
	int rc;

	sandbox_pre();
	ledger_path = getenv("PROV_LEDGER") ? getenv("PROV_LEDGER") : "prov.ledger";
	/* Options before the verb: --ledger FILE, --help, --version. */
	for (i = 1; i < (size_t)argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--ledger") == 0 && i + 1 < (size_t)argc)
			ledger_path = argv[++i];
		else if (strncmp(argv[i], "--ledger=", 9) == 0)
			ledger_path = argv[i] + 9;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			usage(stdout, 0);
		else if (strcmp(argv[i], "--version") == 0) {
			printf("prov-ledger %s\n", prov_version());
			return 0;
		} else
			usage(stderr, 2);
	}
	if (i >= (size_t)argc)
		usage(stderr, 2);
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (strcmp(argv[i], commands[c].name) == 0) {
			rc = commands[c].fn(argc - (int)i, argv + i);
			flush_or_die();
			return rc;
		}
	usage(stderr, 2);
}
