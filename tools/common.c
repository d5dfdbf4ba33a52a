/* common.c: helpers shared by the prov commands (see common.h). */
#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "common.h"
#include "banned.h"

uint64_t
parse_num(const char *s, uint64_t min, uint64_t max, const char *flag)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (s[0] == '-' || s[0] == '\0')
		errx(2, "%s: not a number: %s", flag, s);
	v = strtoull(s, &end, 10);
	if (errno || *end != '\0')
		errx(2, "%s: not a number: %s", flag, s);
	if (v < min || v > max)
		errx(2, "%s: %s is out of range %llu..%llu", flag, s,
		    (unsigned long long)min, (unsigned long long)max);
	return v;
}

uint64_t
parse_size(const char *s, const char *flag)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	errno = 0;
	if (s[0] == '-' || s[0] == '\0')
		errx(2, "%s: not a size: %s", flag, s);
	v = strtoull(s, &end, 10);
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	case 'T': case 't': shift = 40; end++; break;
	}
	if (errno || *end != '\0' || (shift && v > (UINT64_MAX >> shift)))
		errx(2, "%s: not a size: %s", flag, s);
	return (uint64_t)v << shift;
}

void
put_escaped(FILE *fp, const char *name, size_t len)
{
	struct prov_buf b = PROV_BUF_INIT;

	prov_escape(&b, name, len);
	fwrite(b.buf, 1, b.len, fp);
	prov_buf_release(&b);
}

void
warn_err(const struct prov_err *e)
{
	warnx("%s", e->msg);
}

void
flush_or_die(void)
{
	if (fflush(stdout) == EOF || ferror(stdout))
		err(2, "stdout");
}

void
sandbox_pre(void)
{
	/* Linux: no set-uid escalation from here on.  This is the only
	 * restriction applied; prov does not claim a filesystem sandbox. */
	(void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}
