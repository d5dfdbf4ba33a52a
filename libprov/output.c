/*
 * output.c: records as NDJSON, as text lines and as sha256sum lines, and
 * records read back from JSON.
 */
#include <stdlib.h>
#include <string.h>

#include "prov.h"
#include "banned.h"

json_t *
prov_record_to_json(const struct prov_record *r)
{
	json_t *o = json_object();
	const char *k;
	json_t *v;

	prov_json_set_name(o, "path", r->path.buf, r->path.len);
	json_object_set_new(o, "kind", json_string(r->kind ? r->kind : "other"));
	json_object_set_new(o, "size", json_integer((json_int_t)r->size));
	if (r->has_sha256) {
		char hex[2 * PROV_SHA256_LEN + 1];
		prov_hex(r->sha256, PROV_SHA256_LEN, hex);
		json_object_set_new(o, "sha256", json_string(hex));
	}
	json_object_foreach(r->fields, k, v) {
		/* the common keys are the record's own */
		if (strcmp(k, "path") == 0 || strcmp(k, "path_bytes") == 0 ||
		    strcmp(k, "kind") == 0 || strcmp(k, "size") == 0 ||
		    strcmp(k, "sha256") == 0 || strcmp(k, "error") == 0)
			continue;
		json_object_set(o, k, v);
	}
	if (r->status != PROV_OK)
		prov_json_set_name(o, "error", r->error, strlen(r->error));
	return o;
}

int
prov_record_write_json(FILE *fp, const struct prov_record *r)
{
	json_t *o = prov_record_to_json(r);
	int rc;

	rc = json_dumpf(o, fp, JSON_COMPACT);
	json_decref(o);
	if (rc != 0 || putc('\n', fp) == EOF)
		return -1;
	return 0;
}

int
prov_record_is_member(const struct prov_record *r)
{
	return json_object_get(r->fields, "member") != NULL;
}

/* sha256sum's own escaping: only backslash, newline and CR. */
static int
sum_escape(struct prov_buf *out, const char *s, size_t len)
{
	size_t i;
	int esc = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\\') {
			prov_buf_add(out, "\\\\", 2);
			esc = 1;
		} else if (s[i] == '\n') {
			prov_buf_add(out, "\\n", 2);
			esc = 1;
		} else if (s[i] == '\r') {
			prov_buf_add(out, "\\r", 2);
			esc = 1;
		} else
			prov_buf_addch(out, s[i]);
	}
	return esc;
}

int
prov_record_write_text(FILE *fp, const struct prov_record *r, enum prov_text_style style)
{
	struct prov_buf line = PROV_BUF_INIT, name = PROV_BUF_INIT;
	char hex[2 * PROV_SHA256_LEN + 1];
	int esc, rc = 0;

	if (style == PROV_TEXT_SUM) {
		if (!r->has_sha256 || r->status != PROV_OK || prov_record_is_member(r) ||
		    strcmp(r->kind, "symlink") == 0 || strcmp(r->kind, "special") == 0 ||
		    strcmp(r->kind, "sequence") == 0)
			return 1;
		esc = sum_escape(&name, r->path.buf, r->path.len);
		prov_hex(r->sha256, PROV_SHA256_LEN, hex);
		prov_buf_addf(&line, "%s%s  ", esc ? "\\" : "", hex);
	} else {
		const char *root = json_string_value(json_object_get(
		    json_object_get(r->fields, "sequence"), "merkle_root"));

		esc = prov_escape(&name, r->path.buf, r->path.len);
		if (r->has_sha256)
			prov_hex(r->sha256, PROV_SHA256_LEN, hex);
		else if (root != NULL && strlen(root) == 2 * PROV_SHA256_LEN)
			memcpy(hex, root, sizeof(hex));	/* a sequence: its Merkle root */
		else
			memcpy(hex, "-", 2);
		prov_buf_addf(&line, "%s%s\t%s\t", esc ? "\\" : "", hex,
		    r->status != PROV_OK ? "error" : r->kind);
	}
	prov_buf_add(&line, name.buf, name.len);
	prov_buf_addch(&line, '\n');
	if (fwrite(line.buf, 1, line.len, fp) != line.len)
		rc = -1;
	prov_buf_release(&line);
	prov_buf_release(&name);
	return rc;
}

/* The bytes of a lossless name: key_bytes when present, else key. */
static int
get_name(const json_t *o, const char *key, struct prov_buf *out)
{
	char bkey[64];
	const char *hex;
	json_t *v;

	snprintf(bkey, sizeof(bkey), "%s_bytes", key);
	if ((hex = json_string_value(json_object_get(o, bkey))) != NULL) {
		size_t n = strlen(hex) / 2;
		unsigned char *b;
		if (strlen(hex) % 2 != 0)
			return -1;
		b = prov_xmalloc(n + 1);
		if (prov_unhex(hex, b, n) != 0) {
			free(b);
			return -1;
		}
		prov_buf_add(out, b, n);
		free(b);
		return 0;
	}
	if ((v = json_object_get(o, key)) == NULL || !json_is_string(v))
		return -1;
	prov_buf_add(out, json_string_value(v), json_string_length(v));
	return 0;
}

/* A kind string that outlives the JSON object. */
static const char *
static_kind(const char *k)
{
	static const char *const kinds[] = { "exr", "png", "tiff", "jpeg", "archive",
	    "project", "other", "sequence", "symlink", "hardlink", "special", NULL };
	size_t i;

	for (i = 0; kinds[i] != NULL; i++)
		if (strcmp(kinds[i], k) == 0)
			return kinds[i];
	for (i = 0; prov_formats[i] != NULL; i++)
		if (strcmp(prov_formats[i]->name, k) == 0)
			return prov_formats[i]->name;
	return "other";
}

int
prov_record_from_json(struct prov_record *r, const json_t *o, struct prov_err *e)
{
	const char *k, *s;
	json_t *v;

	prov_record_init(r);
	if (!json_is_object(o))
		return prov_seterr(e, PROV_FAILED, 0, "record: not a JSON object");
	if (get_name(o, "path", &r->path) != 0)
		return prov_seterr(e, PROV_FAILED, 0, "record: no valid \"path\"");
	if ((s = json_string_value(json_object_get(o, "kind"))) == NULL)
		return prov_seterr(e, PROV_FAILED, 0, "record: no \"kind\"");
	r->kind = static_kind(s);
	v = json_object_get(o, "size");
	if (v != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return prov_seterr(e, PROV_FAILED, 0, "record: bad \"size\"");
		r->size = (uint64_t)json_integer_value(v);
	}
	if ((v = json_object_get(o, "sha256")) != NULL) {
		s = json_string_value(v);
		if (s == NULL || strlen(s) != 2 * PROV_SHA256_LEN ||
		    prov_unhex(s, r->sha256, PROV_SHA256_LEN) != 0)
			return prov_seterr(e, PROV_FAILED, 0, "record: bad \"sha256\"");
		r->has_sha256 = 1;
	}
	if ((s = json_string_value(json_object_get(o, "error"))) != NULL) {
		r->status = PROV_FAILED;
		snprintf(r->error, sizeof(r->error), "%s", s);
	}
	json_object_foreach((json_t *)(uintptr_t)o, k, v) {
		if (strcmp(k, "path") == 0 || strcmp(k, "path_bytes") == 0 ||
		    strcmp(k, "kind") == 0 || strcmp(k, "size") == 0 ||
		    strcmp(k, "sha256") == 0 || strcmp(k, "error") == 0 ||
		    strcmp(k, "error_bytes") == 0)
			continue;
		json_object_set(r->fields, k, v);
	}
	return PROV_OK;
}
