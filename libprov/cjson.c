/*
 * cjson.c: canonical JSON (schemas/canonical-json.md), RFC 8785 without
 * real numbers.  The bytes of ledger entries are exactly this encoding, so
 * it must never change for a given value.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "prov.h"
#include "banned.h"

#define MAX_SAFE_INTEGER 9007199254740991LL	/* 2^53 - 1 (RFC 8785, I-JSON) */

/* The next UTF-16 code unit of a UTF-8 string (valid, as jansson keeps). */
struct u16_iter {
	const unsigned char *p, *end;
	unsigned pending;	/* low surrogate still to return, or 0 */
};

static int
u16_next(struct u16_iter *it)
{
	unsigned c, cp;
	int n, i;

	if (it->pending) {
		c = it->pending;
		it->pending = 0;
		return (int)c;
	}
	if (it->p >= it->end)
		return -1;
	c = *it->p;
	n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	cp = n == 1 ? c : c & (0x7f >> n);
	for (i = 1; i < n && it->p + i < it->end; i++)
		cp = cp << 6 | (it->p[i] & 0x3f);
	it->p += n;
	if (cp >= 0x10000) {
		cp -= 0x10000;
		it->pending = 0xdc00 | (cp & 0x3ff);
		return (int)(0xd800 | (cp >> 10));
	}
	return (int)cp;
}

static int
key_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	struct u16_iter i = { (const unsigned char *)x, (const unsigned char *)x + strlen(x), 0 };
	struct u16_iter j = { (const unsigned char *)y, (const unsigned char *)y + strlen(y), 0 };
	int c, d;

	do {
		c = u16_next(&i);
		d = u16_next(&j);
	} while (c == d && c != -1);
	return c < d ? -1 : c > d;
}

static void
put_string(struct prov_buf *out, const char *s, size_t len)
{
	size_t i, run;

	prov_buf_addch(out, '"');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		/* A run of bytes that need no escape, added at once. */
		for (run = i; run < len && (unsigned char)s[run] >= 0x20 && s[run] != '"' &&
		    s[run] != '\\'; run++)
			continue;
		if (run > i) {
			prov_buf_add(out, s + i, run - i);
			i = run - 1;
			continue;
		}
		switch (c) {
		case '"': prov_buf_add(out, "\\\"", 2); break;
		case '\\': prov_buf_add(out, "\\\\", 2); break;
		case '\b': prov_buf_add(out, "\\b", 2); break;
		case '\f': prov_buf_add(out, "\\f", 2); break;
		case '\n': prov_buf_add(out, "\\n", 2); break;
		case '\r': prov_buf_add(out, "\\r", 2); break;
		case '\t': prov_buf_add(out, "\\t", 2); break;
		default:
			if (c < 0x20)
				prov_buf_addf(out, "\\u%04x", c);
			else
				prov_buf_addch(out, c);
		}
	}
	prov_buf_addch(out, '"');
}

static int
encode(const json_t *v, struct prov_buf *out, unsigned depth, struct prov_err *e)
{
	size_t i, n;
	int rc;

	if (depth > 64)
		return prov_seterr(e, PROV_FAILED, 0, "canonical JSON: nested too deeply");
	switch (json_typeof(v)) {
	case JSON_NULL:
		prov_buf_addstr(out, "null");
		return PROV_OK;
	case JSON_TRUE:
		prov_buf_addstr(out, "true");
		return PROV_OK;
	case JSON_FALSE:
		prov_buf_addstr(out, "false");
		return PROV_OK;
	case JSON_INTEGER: {
		json_int_t x = json_integer_value(v);
		if (x > MAX_SAFE_INTEGER || x < -MAX_SAFE_INTEGER)
			return prov_seterr(e, PROV_FAILED, 0,
			    "canonical JSON: integer %" JSON_INTEGER_FORMAT " beyond 2^53-1", x);
		prov_buf_addf(out, "%" JSON_INTEGER_FORMAT, x);
		return PROV_OK;
	}
	case JSON_REAL:
		return prov_seterr(e, PROV_FAILED, 0, "canonical JSON: real numbers are not allowed");
	case JSON_STRING:
		put_string(out, json_string_value(v), json_string_length(v));
		return PROV_OK;
	case JSON_ARRAY:
		prov_buf_addch(out, '[');
		for (i = 0; i < json_array_size(v); i++) {
			if (i)
				prov_buf_addch(out, ',');
			if ((rc = encode(json_array_get(v, i), out, depth + 1, e)) != PROV_OK)
				return rc;
		}
		prov_buf_addch(out, ']');
		return PROV_OK;
	case JSON_OBJECT: {
		const char **keys;
		const char *k;
		json_t *val;

		n = json_object_size(v);
		keys = prov_xmalloc((n ? n : 1) * sizeof(*keys));
		i = 0;
		json_object_foreach((json_t *)v, k, val)
			keys[i++] = k;
		qsort(keys, n, sizeof(*keys), key_cmp);
		prov_buf_addch(out, '{');
		for (i = 0; i < n; i++) {
			if (i)
				prov_buf_addch(out, ',');
			put_string(out, keys[i], strlen(keys[i]));
			prov_buf_addch(out, ':');
			if ((rc = encode(json_object_get(v, keys[i]), out, depth + 1, e)) != PROV_OK) {
				free(keys);
				return rc;
			}
		}
		prov_buf_addch(out, '}');
		free(keys);
		return PROV_OK;
	}
	}
	return prov_seterr(e, PROV_FAILED, 0, "canonical JSON: unknown value");
}

int
prov_cjson_encode(const json_t *v, struct prov_buf *out, struct prov_err *e)
{
	size_t start = out->len;
	int rc = encode(v, out, 0, e);

	if (rc != PROV_OK) {
		out->len = start;
		out->buf[start] = '\0';
	}
	return rc;
}

int
prov_cjson_check(const char *text, size_t len, json_t **out, struct prov_err *e)
{
	struct prov_buf again = PROV_BUF_INIT;
	json_error_t jerr;
	json_t *v;
	int rc;

	if (out)
		*out = NULL;
	v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (v == NULL)
		return prov_seterr(e, PROV_FAILED, 0, "not JSON: %s at byte %d", jerr.text,
		    jerr.position);
	if ((rc = prov_cjson_encode(v, &again, e)) == PROV_OK &&
	    (again.len != len || memcmp(again.buf, text, len) != 0))
		rc = prov_seterr(e, PROV_FAILED, 0, "not in canonical form");
	prov_buf_release(&again);
	if (rc == PROV_OK && out)
		*out = v;
	else
		json_decref(v);
	return rc;
}
