/*
 * crypto.c: prov-test verbs over the Merkle trees, keys, signed notes,
 * checkpoints and canonical JSON, for shell tests and vector checks.
 * Hashes are lowercase hex, one per line.  Exit status: 0 done or
 * verified, 1 rejected (the reason on stderr), 2 usage or I/O.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prov.h"
#include "../../tools/common.h"
#include "verbs.h"

static void
read_all(FILE *fp, struct prov_buf *b)
{
	char chunk[65536];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		prov_buf_add(b, chunk, n);
	if (ferror(fp))
		err(2, "stdin");
}

/* Lines of stdin, each the hex of some bytes, decoded one at a time:
 * calls fn(bytes, len, ctx) per line; an empty line is zero bytes. */
static void
each_hex_line(void (*fn)(const unsigned char *, size_t, void *), void *ctx)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, stdin)) >= 0) {
		size_t len = (size_t)n;
		unsigned char *raw;

		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len % 2)
			errx(2, "stdin:%zu: odd number of hex digits", lineno);
		raw = prov_xmalloc(len / 2 + 1);
		if (prov_unhex(line, raw, len / 2) != 0)
			errx(2, "stdin:%zu: not hex", lineno);
		fn(raw, len / 2, ctx);
		free(raw);
	}
	free(line);
}

struct leaves {
	int data;			/* lines are leaf data, else leaf hashes */
	struct prov_merkle_tree tree;
};

static void
add_leaf(const unsigned char *raw, size_t len, void *ctx)
{
	struct leaves *l = ctx;
	unsigned char h[PROV_HASH_LEN];

	if (l->data)
		prov_merkle_leaf_hash(raw, len, h);
	else if (len != PROV_HASH_LEN)
		errx(2, "a leaf hash must be 64 hex digits");
	else
		memcpy(h, raw, PROV_HASH_LEN);
	prov_merkle_tree_add(&l->tree, h);
}

static void
read_leaves(struct leaves *l, int argc, char **argv, int *argi)
{
	l->data = 1;
	if (*argi < argc && strcmp(argv[*argi], "--hashes") == 0) {
		l->data = 0;
		(*argi)++;
	}
	prov_merkle_tree_init(&l->tree);
	each_hex_line(add_leaf, l);
}

static void
put_hex(const unsigned char *h, size_t n)
{
	char hex[2 * PROV_HASH_LEN + 1];
	size_t i;

	for (i = 0; i + PROV_HASH_LEN <= n; i += PROV_HASH_LEN) {
		prov_hex(h + i, PROV_HASH_LEN, hex);
		printf("%s\n", hex);
	}
}

PROV_TEST_VERB(merkle_root, "[--hashes] < LINES: RFC 6962 root of hex leaf data (or leaf hashes)")
int
verb_merkle_root(int argc, char **argv)
{
	struct leaves l;
	unsigned char root[PROV_HASH_LEN];
	int argi = 1;

	read_leaves(&l, argc, argv, &argi);
	if (argi != argc)
		errx(2, "usage: prov-test merkle_root [--hashes] < LINES");
	prov_merkle_root_at(prov_merkle_tree_get, &l.tree, l.tree.size, root, NULL);
	put_hex(root, sizeof(root));
	prov_merkle_tree_release(&l.tree);
	return 0;
}

PROV_TEST_VERB(merkle_prove, "INDEX|-c SIZE1 [--hashes] < LINES: inclusion or consistency proof")
int
verb_merkle_prove(int argc, char **argv)
{
	struct prov_buf proof = PROV_BUF_INIT;
	struct prov_err e;
	struct leaves l;
	uint64_t n;
	int argi = 1, consistency = 0, rc;

	if (argi < argc && strcmp(argv[argi], "-c") == 0) {
		consistency = 1;
		argi++;
	}
	if (argi >= argc)
		errx(2, "usage: prov-test merkle_prove INDEX|-c SIZE1 [--hashes] < LINES");
	n = parse_num(argv[argi++], 0, UINT64_MAX, "INDEX");
	read_leaves(&l, argc, argv, &argi);
	if (argi != argc)
		errx(2, "usage: prov-test merkle_prove INDEX|-c SIZE1 [--hashes] < LINES");
	rc = consistency ?
	    prov_merkle_consistency_proof(prov_merkle_tree_get, &l.tree, n, l.tree.size, &proof, &e) :
	    prov_merkle_inclusion_proof(prov_merkle_tree_get, &l.tree, n, l.tree.size, &proof, &e);
	if (rc != PROV_OK)
		errx(1, "%s", e.msg);
	put_hex((const unsigned char *)proof.buf, proof.len);
	prov_buf_release(&proof);
	prov_merkle_tree_release(&l.tree);
	return 0;
}

static void
add_proof(const unsigned char *raw, size_t len, void *ctx)
{
	if (len != PROV_HASH_LEN)
		errx(2, "a proof hash must be 64 hex digits");
	prov_buf_add(ctx, raw, len);
}

static void
hash_arg(const char *s, unsigned char out[PROV_HASH_LEN])
{
	if (strlen(s) != 2 * PROV_HASH_LEN || prov_unhex(s, out, PROV_HASH_LEN) != 0)
		errx(2, "%s: not a 64-digit hex hash", s);
}

PROV_TEST_VERB(merkle_verify, "INDEX SIZE LEAF ROOT | -c SIZE1 SIZE2 ROOT1 ROOT2 < PROOF: check a proof")
int
verb_merkle_verify(int argc, char **argv)
{
	struct prov_buf proof = PROV_BUF_INIT;
	unsigned char a[PROV_HASH_LEN], b[PROV_HASH_LEN];
	uint64_t x, y;
	int rc, c = argc > 1 && strcmp(argv[1], "-c") == 0;

	if (argc != 5 + c)
		errx(2, "usage: prov-test merkle_verify INDEX SIZE LEAF ROOT | -c SIZE1 SIZE2 ROOT1 ROOT2");
	x = parse_num(argv[1 + c], 0, UINT64_MAX, c ? "SIZE1" : "INDEX");
	y = parse_num(argv[2 + c], 0, UINT64_MAX, c ? "SIZE2" : "SIZE");
	hash_arg(argv[3 + c], a);
	hash_arg(argv[4 + c], b);
	each_hex_line(add_proof, &proof);
	rc = c ? prov_merkle_verify_consistency(x, y, a, sizeof(a), b, sizeof(b),
	    (const unsigned char *)proof.buf, proof.len) :
	    prov_merkle_verify_inclusion(x, y, a, (const unsigned char *)proof.buf, proof.len,
	    b, sizeof(b));
	prov_buf_release(&proof);
	if (rc != PROV_OK) {
		fprintf(stderr, "prov-test: %s proof rejected\n", c ? "consistency" : "inclusion");
		return 1;
	}
	printf("ok\n");
	return 0;
}

PROV_TEST_VERB(key_generate, "NAME FILE [--cosigner]: new private key file; prints the verifier key")
int
verb_key_generate(int argc, char **argv)
{
	struct prov_buf vk = PROV_BUF_INIT;
	struct prov_key k;
	struct prov_err e;

	if (argc != 3 && !(argc == 4 && strcmp(argv[3], "--cosigner") == 0))
		errx(2, "usage: prov-test key_generate NAME FILE [--cosigner]");
	prov_key_init(&k);
	if (prov_key_generate(&k, argv[1], argc == 4 ? PROV_KEY_COSIGNER : PROV_KEY_SIGNER,
	    &e) != PROV_OK || prov_key_write_private(&k, argv[2], &e) != PROV_OK)
		errx(2, "%s", e.msg);
	prov_vkey_format(&k, &vk);
	printf("%s\n", vk.buf);
	prov_buf_release(&vk);
	prov_key_release(&k);
	return 0;
}

PROV_TEST_VERB(note_sign, "KEYFILE [TIME] < TEXT: the signed note (TIME for a cosigner key)")
int
verb_note_sign(int argc, char **argv)
{
	struct prov_buf in = PROV_BUF_INIT, out = PROV_BUF_INIT;
	struct prov_key k;
	struct prov_err e;
	uint64_t t = 0;

	if (argc != 2 && argc != 3)
		errx(2, "usage: prov-test note_sign KEYFILE [TIME] < TEXT");
	if (argc == 3)
		t = parse_num(argv[2], 0, UINT64_MAX, "TIME");
	prov_key_init(&k);
	if (prov_key_read_private(&k, argv[1], &e) != PROV_OK)
		errx(2, "%s", e.msg);
	read_all(stdin, &in);
	if (prov_note_sign(in.buf, in.len, &k, t, &out, &e) != PROV_OK)
		errx(1, "%s", e.msg);
	fwrite(out.buf, 1, out.len, stdout);
	prov_buf_release(&in);
	prov_buf_release(&out);
	prov_key_release(&k);
	return 0;
}

PROV_TEST_VERB(note_cosign, "KEYFILE TIME < NOTE: the note with a cosignature added")
int
verb_note_cosign(int argc, char **argv)
{
	struct prov_buf note = PROV_BUF_INIT;
	struct prov_key k;
	struct prov_err e;
	uint64_t t;

	if (argc != 3)
		errx(2, "usage: prov-test note_cosign KEYFILE TIME < NOTE");
	t = parse_num(argv[2], 0, UINT64_MAX, "TIME");
	prov_key_init(&k);
	if (prov_key_read_private(&k, argv[1], &e) != PROV_OK)
		errx(2, "%s", e.msg);
	read_all(stdin, &note);
	if (prov_note_add_signature(&note, &k, t, &e) != PROV_OK)
		errx(1, "%s", e.msg);
	fwrite(note.buf, 1, note.len, stdout);
	prov_buf_release(&note);
	prov_key_release(&k);
	return 0;
}

PROV_TEST_VERB(note_verify, "VKEY... < NOTE: verify; prints the text, then one line per known key")
int
verb_note_verify(int argc, char **argv)
{
	struct prov_key keys[16], *known[16];
	struct prov_buf note = PROV_BUF_INIT;
	struct prov_note_result res;
	struct prov_err e;
	int i, n = argc - 1, rc;

	if (n < 1 || n > 16)
		errx(2, "usage: prov-test note_verify VKEY... < NOTE (1 to 16 keys)");
	for (i = 0; i < n; i++) {
		prov_key_init(&keys[i]);
		known[i] = &keys[i];
		if (prov_vkey_parse(&keys[i], argv[i + 1], strlen(argv[i + 1]), &e) != PROV_OK)
			errx(2, "%s", e.msg);
	}
	read_all(stdin, &note);
	rc = prov_note_verify(note.buf, note.len, known, (size_t)n, &res, &e);
	if (rc == PROV_OK) {
		fwrite(note.buf, 1, res.text_len, stdout);
		for (i = 0; i < n; i++) {
			if (!res.verified[i])
				continue;
			printf("verified %s", keys[i].name);
			if (keys[i].type == PROV_KEY_COSIGNER)
				printf(" time %llu", (unsigned long long)res.cosigned_at[i]);
			putchar('\n');
		}
		printf("unknown %u\n", res.nunknown);
	} else
		fprintf(stderr, "prov-test: %s\n", e.msg);
	for (i = 0; i < n; i++)
		prov_key_release(&keys[i]);
	prov_buf_release(&note);
	return rc == PROV_OK ? 0 : 1;
}

PROV_TEST_VERB(checkpoint_parse, "< TEXT: origin, size and root (hex) of checkpoint text")
int
verb_checkpoint_parse(int argc, char **argv)
{
	struct prov_buf in = PROV_BUF_INIT;
	struct prov_checkpoint c;
	struct prov_err e;
	int rc;

	(void)argv;
	if (argc != 1)
		errx(2, "usage: prov-test checkpoint_parse < TEXT");
	read_all(stdin, &in);
	rc = prov_checkpoint_parse(&c, in.buf, in.len, &e);
	prov_buf_release(&in);
	if (rc != PROV_OK) {
		fprintf(stderr, "prov-test: %s\n", e.msg);
		return 1;
	}
	printf("origin ");
	put_escaped(stdout, c.origin, strlen(c.origin));
	printf("\nsize %llu\nroot ", (unsigned long long)c.size);
	put_hex(c.root, sizeof(c.root));
	return 0;
}

PROV_TEST_VERB(cjson, "[--check] < JSON: the canonical form (or check the bytes are canonical)")
int
verb_cjson(int argc, char **argv)
{
	struct prov_buf in = PROV_BUF_INIT, out = PROV_BUF_INIT;
	struct prov_err e;
	json_error_t jerr;
	json_t *v;
	int check = argc == 2 && strcmp(argv[1], "--check") == 0, rc;

	if (argc != 1 && !check)
		errx(2, "usage: prov-test cjson [--check] < JSON");
	read_all(stdin, &in);
	if (check) {
		rc = prov_cjson_check(in.buf, in.len, NULL, &e);
		if (rc == PROV_OK)
			printf("canonical\n");
	} else {
		v = json_loadb(in.buf, in.len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
		if (v == NULL)
			errx(1, "not JSON: %s", jerr.text);
		rc = prov_cjson_encode(v, &out, &e);
		json_decref(v);
		if (rc == PROV_OK)
			printf("%s\n", out.buf);
	}
	if (rc != PROV_OK)
		fprintf(stderr, "prov-test: %s\n", e.msg);
	prov_buf_release(&in);
	prov_buf_release(&out);
	return rc == PROV_OK ? 0 : 1;
}
