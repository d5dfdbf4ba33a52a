/* core.c: errors, allocation, limits, version. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "prov.h"
#include "banned.h"

int
prov_seterr(struct prov_err *e, enum prov_status code, int sys_errno,
    const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return code;
	e->code = code;
	e->sys_errno = sys_errno;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

void
prov_err_clear(struct prov_err *e)
{
	if (e == NULL)
		return;
	e->code = PROV_OK;
	e->sys_errno = 0;
	e->msg[0] = '\0';
}

int
prov_err_prefix(struct prov_err *e, const char *fmt, ...)
{
	char prefix[128], msg[sizeof(e->msg)];
	int n;
	va_list ap;

	if (e == NULL)
		return PROV_FAILED;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(msg, e->msg, sizeof(msg));
	n = snprintf(e->msg, sizeof(e->msg), "%s: ", prefix);
	if (n > 0 && (size_t)n < sizeof(e->msg))
		snprintf(e->msg + n, sizeof(e->msg) - (size_t)n, "%s", msg);
	return e->code;
}

const char *
prov_strstatus(enum prov_status code)
{
	switch (code) {
	case PROV_OK:
		return "ok";
	case PROV_WARN:
		return "warning";
	case PROV_FAILED:
		return "failed";
	case PROV_FATAL:
		return "fatal";
	}
	return "unknown status";
}

const char *
prov_version(void)
{
	return PROV_VERSION;
}

static void
out_of_memory(size_t n)
{
	/* Not an input error: nothing sensible can continue without memory. */
	fprintf(stderr, "libprov: out of memory allocating %zu bytes\n", n);
	abort();
}

void *
prov_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		out_of_memory(n);
	return p;
}

void *
prov_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		out_of_memory(n * size);
	return p;
}

void *
prov_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		out_of_memory(n);
	return q;
}

char *
prov_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(prov_xmalloc(n), s, n);
}

void
prov_limits_default(struct prov_limits *lim)
{
	lim->max_pixels = (uint64_t)1 << 28;
	lim->max_member_bytes = (uint64_t)4 << 30;
	lim->max_ratio = 1000;
	lim->max_depth = 8;
	lim->max_archive_memory = (uint64_t)4 << 30;
	lim->archive_stall_seconds = 30;
}
