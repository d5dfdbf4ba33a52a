/* buf.c: the growable byte buffer (git strbuf invariants, see prov.h). */
#include <stdlib.h>
#include <string.h>

#include "prov.h"
#include "banned.h"

char prov_buf_empty[1];

void
prov_buf_init(struct prov_buf *b)
{
	b->buf = prov_buf_empty;
	b->len = 0;
	b->alloc = 0;
}

void
prov_buf_release(struct prov_buf *b)
{
	if (b->alloc)
		free(b->buf);
	prov_buf_init(b);
}

void
prov_buf_reset(struct prov_buf *b)
{
	b->len = 0;
	b->buf[0] = '\0';
}

void
prov_buf_grow(struct prov_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need < b->len)
		prov_xmalloc(SIZE_MAX);	/* overflow: report as exhaustion */
	if (need <= b->alloc)
		return;
	size_t n = b->alloc ? b->alloc : 64;
	while (n < need)
		n = n < SIZE_MAX / 2 ? n * 2 : need;
	if (b->alloc == 0) {
		b->buf = prov_xmalloc(n);
		b->buf[0] = '\0';
	} else
		b->buf = prov_xrealloc(b->buf, n);
	b->alloc = n;
}

void
prov_buf_add(struct prov_buf *b, const void *data, size_t len)
{
	if (len == 0)
		return;
	prov_buf_grow(b, len);
	memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = '\0';
}

void
prov_buf_addstr(struct prov_buf *b, const char *s)
{
	prov_buf_add(b, s, strlen(s));
}

void
prov_buf_addch(struct prov_buf *b, int c)
{
	prov_buf_grow(b, 1);
	b->buf[b->len++] = (char)c;
	b->buf[b->len] = '\0';
}

void
prov_buf_vaddf(struct prov_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(b->buf + b->len, b->alloc ? b->alloc - b->len : 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	if ((size_t)n >= (b->alloc ? b->alloc - b->len : 0)) {
		prov_buf_grow(b, (size_t)n);
		vsnprintf(b->buf + b->len, b->alloc - b->len, fmt, ap);
	}
	b->len += (size_t)n;
}

void
prov_buf_addf(struct prov_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	prov_buf_vaddf(b, fmt, ap);
	va_end(ap);
}

char *
prov_buf_detach(struct prov_buf *b, size_t *len)
{
	char *p;

	if (b->alloc == 0)
		prov_buf_grow(b, 0);
	p = b->buf;
	if (len)
		*len = b->len;
	prov_buf_init(b);
	return p;
}
