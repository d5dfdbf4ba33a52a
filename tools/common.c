/* common.c: helpers shared by the prov commands (see common.h). */
#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

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

int
limit_option(int opt, const char *arg, struct prov_limits *l)
{
	switch (opt) {
	case OPT_MAX_DEPTH:
		l->max_depth = (unsigned)parse_num(arg, 0, 64, "--max-depth");
		return 1;
	case OPT_MAX_RATIO:
		l->max_ratio = parse_num(arg, 1, 1000000000, "--max-ratio");
		return 1;
	case OPT_MAX_MEMBER:
		l->max_member_bytes = parse_size(arg, "--max-member-size");
		return 1;
	case OPT_MAX_PIXELS:
		l->max_pixels = parse_num(arg, 1, UINT64_MAX, "--max-pixels");
		return 1;
	case OPT_MAX_ARCHIVE_MEMORY:
		l->max_archive_memory = parse_size(arg, "--max-archive-memory");
		return 1;
	case OPT_ARCHIVE_STALL:
		l->archive_stall_seconds = (unsigned)parse_num(arg, 1, 86400, "--archive-stall");
		return 1;
	}
	return 0;
}

void
read_fp_records(const char *path, json_t *recs)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;

	if (f == NULL)
		err(2, "%s", path);
	while ((n = getline(&line, &cap, f)) > 0) {
		json_t *r;

		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0)
			continue;
		r = json_loadb(line, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(r) || !json_is_string(json_object_get(r, "path")))
			errx(2, "%s:%zu: not a prov-fp record", strcmp(path, "-") ? path : "stdin",
			    lineno);
		json_array_append_new(recs, r);
	}
	free(line);
	if (ferror(f))
		err(2, "%s", path);
	if (f != stdin)
		fclose(f);
}
