/* text.c: escaping untrusted names, UTF-8 checks, lossless names in JSON. */
#include <string.h>

#include "prov.h"
#include "banned.h"

int
prov_escape(struct prov_buf *out, const char *name, size_t len)
{
	const unsigned char *p = (const unsigned char *)name;
	int escaped = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		switch (p[i]) {
		case '\\':
			prov_buf_add(out, "\\\\", 2);
			escaped = 1;
			break;
		case '\n':
			prov_buf_add(out, "\\n", 2);
			escaped = 1;
			break;
		case '\r':
			prov_buf_add(out, "\\r", 2);
			escaped = 1;
			break;
		default:
			if (p[i] < 0x20 || p[i] == 0x7f) {
				prov_buf_addf(out, "\\x%02x", p[i]);
				escaped = 1;
			} else
				prov_buf_addch(out, p[i]);
		}
	}
	return escaped;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0. */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t len, i;
	uint32_t cp;

	if (c < 0x80)
		return c ? 1 : 0;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

int
prov_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		if ((n = utf8_seq(p + i, len - i)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

void
prov_json_set_name(json_t *obj, const char *key, const char *name, size_t len)
{
	const unsigned char *p = (const unsigned char *)name;
	struct prov_buf utf8 = PROV_BUF_INIT, k = PROV_BUF_INIT;
	size_t i = 0, n;

	if (prov_utf8_valid(name, len)) {
		json_object_set_new(obj, key, json_stringn(name, len));
		return;
	}
	while (i < len) {
		if ((n = utf8_seq(p + i, len - i)) == 0) {
			prov_buf_add(&utf8, "\xef\xbf\xbd", 3);	/* U+FFFD */
			i++;
		} else {
			prov_buf_add(&utf8, p + i, n);
			i += n;
		}
	}
	json_object_set_new(obj, key, json_stringn(utf8.buf, utf8.len));
	char *hex = prov_xmalloc(2 * len + 1);
	prov_hex(p, len, hex);
	prov_buf_addf(&k, "%s_bytes", key);
	json_object_set_new(obj, k.buf, json_string(hex));
	free(hex);
	prov_buf_release(&utf8);
	prov_buf_release(&k);
}
