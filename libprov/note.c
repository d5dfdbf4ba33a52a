/*
 * note.c: C2SP signed notes (signed-note v1.0.0), cosignatures
 * (tlog-cosignature v1.0.1) and checkpoints (tlog-checkpoint v1.0.0).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "prov.h"
#include "banned.h"

static const char em_dash[] = "\xe2\x80\x94 ";	/* U+2014 and a space */

/* The text must be UTF-8 without control characters but newline, and end
 * with a newline. */
static int
check_text(const char *text, size_t len, struct prov_err *e)
{
	size_t i;

	if (len == 0 || text[len - 1] != '\n')
		return prov_seterr(e, PROV_FAILED, 0, "note text must end with a newline");
	if (!prov_utf8_valid(text, len))
		return prov_seterr(e, PROV_FAILED, 0, "note text is not UTF-8");
	for (i = 0; i < len; i++)
		if (((unsigned char)text[i] < 0x20 && text[i] != '\n') || text[i] == 0x7f)
			return prov_seterr(e, PROV_FAILED, 0,
			    "note text holds a control character");
	return PROV_OK;
}

/* What a key of this type signs for text. */
static void
signed_message(const struct prov_key *k, const char *text, size_t len, uint64_t time,
    struct prov_buf *msg)
{
	if (k->type == PROV_KEY_COSIGNER)
		prov_buf_addf(msg, "cosignature/v1\ntime %" PRIu64 "\n", time);
	prov_buf_add(msg, text, len);
}

static int
signature_line(const char *text, size_t len, struct prov_key *k, uint64_t time,
    struct prov_buf *out, struct prov_err *e)
{
	struct prov_buf msg = PROV_BUF_INIT;
	unsigned char blob[4 + 8 + PROV_SIG_LEN], *sig = blob + 4;
	size_t n = 4;
	int rc, i;

	memcpy(blob, k->id, 4);
	if (k->type == PROV_KEY_COSIGNER) {
		for (i = 0; i < 8; i++)
			blob[4 + i] = (unsigned char)(time >> (56 - 8 * i));
		sig += 8;
		n += 8;
	}
	signed_message(k, text, len, time, &msg);
	rc = prov_sign(k, msg.buf, msg.len, sig, e);
	prov_buf_release(&msg);
	if (rc != PROV_OK)
		return rc;
	prov_buf_addstr(out, em_dash);
	prov_buf_addstr(out, k->name);
	prov_buf_addch(out, ' ');
	prov_base64_encode(blob, n + PROV_SIG_LEN, out);
	prov_buf_addch(out, '\n');
	return PROV_OK;
}

int
prov_note_sign(const char *text, size_t len, struct prov_key *k, uint64_t time,
    struct prov_buf *out, struct prov_err *e)
{
	size_t start = out->len;
	int rc;

	if ((rc = check_text(text, len, e)) != PROV_OK)
		return rc;
	prov_buf_add(out, text, len);
	prov_buf_addch(out, '\n');
	if ((rc = signature_line(text, len, k, time, out, e)) != PROV_OK) {
		out->len = start;
		out->buf[start] = '\0';
	}
	return rc;
}

/* Where the text ends: just after the last "\n\n"'s first newline. */
static int
split_note(const char *note, size_t len, size_t *text_len)
{
	size_t i;

	for (i = len; i >= 2; i--)
		if (note[i - 2] == '\n' && note[i - 1] == '\n') {
			*text_len = i - 1;
			return 0;
		}
	return -1;
}

int
prov_note_add_signature(struct prov_buf *note, struct prov_key *k, uint64_t time,
    struct prov_err *e)
{
	size_t text_len;

	if (note->len == 0 || note->buf[note->len - 1] != '\n' ||
	    split_note(note->buf, note->len, &text_len) != 0)
		return prov_seterr(e, PROV_FAILED, 0, "not a signed note");
	/* The text is signed in place: copy it, as out may move. */
	char *text = prov_xmalloc(text_len);
	memcpy(text, note->buf, text_len);
	int rc = signature_line(text, text_len, k, time, note, e);
	free(text);
	return rc;
}

int
prov_note_verify(const char *note, size_t len, struct prov_key *const *known, size_t nknown,
    struct prov_note_result *res, struct prov_err *e)
{
	struct prov_note_result local;
	const char *p, *end = note + len;
	size_t text_len, i;
	int rc;

	if (res == NULL)
		res = &local;
	memset(res, 0, sizeof(*res));
	if (nknown > 16)
		nknown = 16;
	if (len == 0 || note[len - 1] != '\n' || split_note(note, len, &text_len) != 0)
		return prov_seterr(e, PROV_FAILED, 0, "not a signed note: no signature block");
	if ((rc = check_text(note, text_len, e)) != PROV_OK)
		return rc;
	res->text_len = text_len;
	for (p = note + text_len + 1; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *name, *sp;
		struct prov_buf blob = PROV_BUF_INIT, msg = PROV_BUF_INIT;
		size_t namelen, matched = nknown;
		uint64_t time = 0;

		if (nl == NULL || (size_t)(nl - p) < sizeof(em_dash) - 1 ||
		    memcmp(p, em_dash, sizeof(em_dash) - 1) != 0)
			return prov_seterr(e, PROV_FAILED, 0, "malformed signature line");
		name = p + sizeof(em_dash) - 1;
		sp = memchr(name, ' ', (size_t)(nl - name));
		if (sp == NULL || sp == name ||
		    prov_base64_decode(sp + 1, (size_t)(nl - sp - 1), &blob) != 0 || blob.len < 4) {
			prov_buf_release(&blob);
			return prov_seterr(e, PROV_FAILED, 0, "malformed signature line");
		}
		namelen = (size_t)(sp - name);
		for (i = 0; i < nknown; i++)
			if (strlen(known[i]->name) == namelen &&
			    memcmp(known[i]->name, name, namelen) == 0 &&
			    memcmp(known[i]->id, blob.buf, 4) == 0)
				matched = i;
		if (matched == nknown) {
			res->nunknown++;
		} else {
			struct prov_key *k = known[matched];
			size_t want = 4 + (k->type == PROV_KEY_COSIGNER ? 8 : 0) + PROV_SIG_LEN;
			const unsigned char *b = (const unsigned char *)blob.buf;
			if (blob.len == want && k->type == PROV_KEY_COSIGNER)
				for (i = 0; i < 8; i++)
					time = time << 8 | b[4 + i];
			signed_message(k, note, text_len, time, &msg);
			if (blob.len != want || prov_verify(k, msg.buf, msg.len, b + want - PROV_SIG_LEN)
			    != PROV_OK) {
				prov_buf_release(&blob);
				prov_buf_release(&msg);
				return prov_seterr(e, PROV_FAILED, 0,
				    "signature by %s does not verify", k->name);
			}
			if (!res->verified[matched])
				res->nverified++;
			res->verified[matched] = 1;
			res->cosigned_at[matched] = time;
		}
		prov_buf_release(&blob);
		prov_buf_release(&msg);
		p = nl + 1;
	}
	if (res->nverified == 0)
		return prov_seterr(e, PROV_FAILED, 0, "no signature by a known key");
	return PROV_OK;
}

void
prov_checkpoint_format(const struct prov_checkpoint *c, struct prov_buf *out)
{
	prov_buf_addf(out, "%s\n%" PRIu64 "\n", c->origin, c->size);
	prov_base64_encode(c->root, 32, out);
	prov_buf_addch(out, '\n');
}

/* Next line of text[*pos..len) without its newline; -1 when none. */
static int
next_line(const char *text, size_t len, size_t *pos, const char **line, size_t *n)
{
	const char *nl;

	if (*pos >= len)
		return -1;
	nl = memchr(text + *pos, '\n', len - *pos);
	if (nl == NULL)
		return -1;
	*line = text + *pos;
	*n = (size_t)(nl - *line);
	*pos += *n + 1;
	return 0;
}

int
prov_checkpoint_parse(struct prov_checkpoint *c, const char *text, size_t len,
    struct prov_err *e)
{
	struct prov_buf root = PROV_BUF_INIT;
	const char *line;
	size_t pos = 0, n, i;

	memset(c, 0, sizeof(*c));
	if (next_line(text, len, &pos, &line, &n) != 0 || n == 0 || n >= sizeof(c->origin))
		return prov_seterr(e, PROV_FAILED, 0, "checkpoint: bad origin line");
	memcpy(c->origin, line, n);
	if (next_line(text, len, &pos, &line, &n) != 0 || n == 0 || n > 20 ||
	    (n > 1 && line[0] == '0'))
		return prov_seterr(e, PROV_FAILED, 0, "checkpoint: bad tree size line");
	for (i = 0; i < n; i++) {
		if (line[i] < '0' || line[i] > '9' ||
		    c->size > (UINT64_MAX - (uint64_t)(line[i] - '0')) / 10)
			return prov_seterr(e, PROV_FAILED, 0, "checkpoint: bad tree size line");
		c->size = c->size * 10 + (uint64_t)(line[i] - '0');
	}
	if (next_line(text, len, &pos, &line, &n) != 0 ||
	    prov_base64_decode(line, n, &root) != 0 || root.len != 32) {
		prov_buf_release(&root);
		return prov_seterr(e, PROV_FAILED, 0, "checkpoint: bad root hash line");
	}
	memcpy(c->root, root.buf, 32);
	prov_buf_release(&root);
	/* Extension lines may follow; they are not interpreted here. */
	return PROV_OK;
}
