/* base64.c: RFC 4648 base64, strict on input (keys and signatures). */
#include <string.h>

#include "prov.h"
#include "banned.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void
prov_base64_encode(const void *data, size_t len, struct prov_buf *out)
{
	const unsigned char *p = data;
	size_t i;

	prov_buf_grow(out, (len + 2) / 3 * 4);
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		prov_buf_addch(out, alphabet[v >> 18]);
		prov_buf_addch(out, alphabet[(v >> 12) & 63]);
		prov_buf_addch(out, alphabet[(v >> 6) & 63]);
		prov_buf_addch(out, alphabet[v & 63]);
	}
	if (i < len) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0);
		prov_buf_addch(out, alphabet[v >> 18]);
		prov_buf_addch(out, alphabet[(v >> 12) & 63]);
		prov_buf_addch(out, i + 1 < len ? alphabet[(v >> 6) & 63] : '=');
		prov_buf_addch(out, '=');
	}
}

static int
value(int c)
{
	const char *p = c ? strchr(alphabet, c) : NULL;

	return p ? (int)(p - alphabet) : -1;
}

int
prov_base64_decode(const char *text, size_t len, struct prov_buf *out)
{
	size_t start = out->len, i;

	if (len % 4 != 0)
		return -1;
	for (i = 0; i < len; i += 4) {
		int last = i + 4 == len;
		int pad = last && text[i + 3] == '=' ? (text[i + 2] == '=' ? 2 : 1) : 0;
		int a = value((unsigned char)text[i]), b = value((unsigned char)text[i + 1]);
		int c = pad == 2 ? 0 : value((unsigned char)text[i + 2]);
		int d = pad ? 0 : value((unsigned char)text[i + 3]);
		uint32_t v;

		if (a < 0 || b < 0 || c < 0 || d < 0)
			goto bad;
		/* Non-canonical encodings (stray bits under the padding) differ
		 * from what an encoder writes: refuse them. */
		if ((pad == 2 && (b & 15)) || (pad == 1 && (c & 3)))
			goto bad;
		v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
		prov_buf_addch(out, (int)(v >> 16));
		if (pad < 2)
			prov_buf_addch(out, (int)((v >> 8) & 255));
		if (pad < 1)
			prov_buf_addch(out, (int)(v & 255));
	}
	return 0;
bad:
	out->len = start;
	out->buf[start] = '\0';
	return -1;
}
