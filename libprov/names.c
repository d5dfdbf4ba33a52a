/*
 * names.c: episode, sequence, shot, frame, version and task read from a
 * path by naming patterns (POSIX extended regular expressions).
 *
 * A pattern set is a list of rules; each rule is a regex and the fields its
 * capture groups fill, in group order.  Rules are tried in order against
 * the whole path (its last PROV_NAMES_MAX_INPUT bytes); a field keeps the
 * first value found.  The file format (also used for the built-in
 * defaults) is in schemas/names.md.
 */
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prov.h"
#include "banned.h"

#define MAX_RULES 64
#define MAX_GROUPS 9
#define MAX_LINE 1024
#define PROV_NAMES_MAX_INPUT 4096

static const char *const field_names[PROV_NAMES_NFIELDS] = {
	"episode", "sequence", "shot", "frame", "version", "task"
};

struct rule {
	regex_t re;
	regex_t test;			/* the same with REG_NOSUB: glibc matches
					 * several times faster without groups */
	int ngroups;
	int field[MAX_GROUPS];		/* field index of group i+1, or -1 */
};

struct prov_names {
	int nrules;
	struct rule rules[MAX_RULES];
};

/*
 * The defaults.  Separators are / _ . - and the archive separator !;
 * "(^|[/_.!-])" and "([/_.!-]|$)" stand for word edges since POSIX EREs
 * have neither \b nor non-capturing groups.
 */
static const char default_rules[] =
    "# ep104_sq020_sh030, EP104/SQ020/SH030, e104_s020_c030\n"
    "-,-,episode,-,sequence,-,shot "
	"(^|[/_.!-])(ep|e|episode)_?([0-9]{2,4})[/_.-]+(sq|seq|s|sequence)_?([0-9]{2,4})[/_.-]+"
	"(sh|shot|sc|c)_?([0-9]{2,5})([/_.!-]|$|[a-z])\n"
    "# sq020_sh030 without an episode\n"
    "-,-,sequence,-,shot "
	"(^|[/_.!-])(sq|seq|sequence)_?([0-9]{2,4})[/_.-]+(sh|shot|sc|c)_?([0-9]{2,5})([/_.!-]|$|[a-z])\n"
    "# 104_020_030 (three numbers of 3 digits, the last up to 4)\n"
    "-,episode,sequence,shot "
	"(^|[/_!])([0-9]{3})_([0-9]{3})_([0-9]{3,4})([/_.!-]|$)\n"
    "# single tags\n"
    "-,-,episode (^|[/_.!-])(ep|episode)_?([0-9]{2,4})([/_.!-]|$)\n"
    "-,-,sequence (^|[/_.!-])(sq|seq|sequence)_?([0-9]{2,4})([/_.!-]|$)\n"
    "-,-,shot (^|[/_.!-])(sh|shot|sc)_?([0-9]{2,5})([/_.!-]|$)\n"
    "# versions: _v003, .v003, /v003/\n"
    "-,-,version (^|[/_.!-])(v|ver|version)_?([0-9]{1,4})([/_.!-]|$)\n"
    "# frames: .0101.exr or _0101.exr at the end of the file name\n"
    "frame [._]([0-9]{1,7})\\.[a-z0-9]{2,5}$\n"
    "# tasks\n"
    "-,task (^|[/_.!-])(comp|cmp|lgt|light|lighting|anim|animation|ani|lay|layout|fx|cfx|"
	"roto|paint|prep|bg|bkg|mm|matchmove|track|lookdev|ldev|mdl|model|rig|dmp|matte|"
	"plate|cln|clean|ink|color|colour|sb|storyboard|anm)([/_.!-]|$)\n";

static int
field_index(const char *s, size_t n)
{
	int i;

	if (n == 1 && s[0] == '-')
		return -1;
	for (i = 0; i < PROV_NAMES_NFIELDS; i++)
		if (strlen(field_names[i]) == n && memcmp(field_names[i], s, n) == 0)
			return i;
	return -2;
}

const char *
prov_names_field(int i)
{
	return i >= 0 && i < PROV_NAMES_NFIELDS ? field_names[i] : NULL;
}

/* One rule line "FIELDS REGEX" (no newline). */
static int
add_rule(struct prov_names *n, const char *line, size_t len, const char *src,
    unsigned lineno, struct prov_err *e)
{
	const char *sp, *p, *f;
	struct rule *r;
	char re[MAX_LINE + 1];
	int rc, nf = 0, k;

	if (n->nrules >= MAX_RULES)
		return prov_seterr(e, PROV_FAILED, 0, "%s:%u: more than %d rules",
		    src, lineno, MAX_RULES);
	sp = memchr(line, ' ', len);
	if (sp == NULL)
		sp = memchr(line, '\t', len);
	if (sp == NULL)
		return prov_seterr(e, PROV_FAILED, 0, "%s:%u: expected FIELDS REGEX",
		    src, lineno);
	r = &n->rules[n->nrules];
	memset(r, 0, sizeof(*r));
	for (f = line; f < sp; f = p + 1) {
		p = memchr(f, ',', (size_t)(sp - f));
		if (p == NULL)
			p = sp;
		k = field_index(f, (size_t)(p - f));
		if (k == -2)
			return prov_seterr(e, PROV_FAILED, 0, "%s:%u: unknown field \"%.*s\"",
			    src, lineno, (int)((p - f) > 32 ? 32 : (p - f)), f);
		if (nf >= MAX_GROUPS)
			return prov_seterr(e, PROV_FAILED, 0, "%s:%u: more than %d groups",
			    src, lineno, MAX_GROUPS);
		r->field[nf++] = k;
	}
	while (sp < line + len && (*sp == ' ' || *sp == '\t'))
		sp++;
	if (sp == line + len)
		return prov_seterr(e, PROV_FAILED, 0, "%s:%u: empty regex", src, lineno);
	memcpy(re, sp, (size_t)(line + len - sp));
	re[line + len - sp] = '\0';
	rc = regcomp(&r->re, re, REG_EXTENDED | REG_ICASE);
	if (rc != 0) {
		char msg[128];

		regerror(rc, &r->re, msg, sizeof(msg));
		return prov_seterr(e, PROV_FAILED, 0, "%s:%u: %s", src, lineno, msg);
	}
	if (r->re.re_nsub > MAX_GROUPS || (int)r->re.re_nsub < nf) {
		regfree(&r->re);
		return prov_seterr(e, PROV_FAILED, 0,
		    "%s:%u: %d fields named but the regex has %zu groups (at most %d)",
		    src, lineno, nf, r->re.re_nsub, MAX_GROUPS);
	}
	if (regcomp(&r->test, re, REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0) {
		regfree(&r->re);
		return prov_seterr(e, PROV_FAILED, 0, "%s:%u: cannot compile", src, lineno);
	}
	r->ngroups = nf;
	n->nrules++;
	return PROV_OK;
}

static int add_text(struct prov_names *n, const char *text, size_t len, const char *src,
    int depth, struct prov_err *e);

static int
add_line(struct prov_names *n, const char *line, size_t len, const char *src,
    unsigned lineno, int depth, struct prov_err *e)
{
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' ||
	    line[len - 1] == '\t'))
		len--;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	if (len == 0 || line[0] == '#')
		return PROV_OK;
	if (len > MAX_LINE)
		return prov_seterr(e, PROV_FAILED, 0, "%s:%u: line longer than %d bytes",
		    src, lineno, MAX_LINE);
	if (memchr(line, '\0', len) != NULL)
		return prov_seterr(e, PROV_FAILED, 0, "%s:%u: NUL byte", src, lineno);
	if (len == 8 && memcmp(line, "defaults", 8) == 0) {
		if (depth > 0)
			return PROV_OK;
		return add_text(n, default_rules, sizeof(default_rules) - 1, "defaults",
		    depth + 1, e);
	}
	return add_rule(n, line, len, src, lineno, e);
}

static int
add_text(struct prov_names *n, const char *text, size_t len, const char *src,
    int depth, struct prov_err *e)
{
	const char *p = text, *end = text + len, *nl;
	unsigned lineno = 0;
	int rc;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		rc = add_line(n, p, (size_t)(nl - p), src, ++lineno, depth, e);
		if (rc != PROV_OK)
			return rc;
		p = nl + 1;
	}
	return PROV_OK;
}

int
prov_names_open(struct prov_names **out, const char *text, size_t len,
    const char *src, struct prov_err *e)
{
	struct prov_names *n = prov_xcalloc(1, sizeof(*n));
	int rc;

	*out = NULL;
	if (text == NULL)
		rc = add_text(n, default_rules, sizeof(default_rules) - 1, "defaults", 1, e);
	else
		rc = add_text(n, text, len, src ? src : "names", 0, e);
	if (rc != PROV_OK) {
		prov_names_close(n);
		return rc;
	}
	*out = n;
	return PROV_OK;
}

int
prov_names_open_file(struct prov_names **out, const char *path, struct prov_err *e)
{
	struct prov_buf b = PROV_BUF_INIT;
	char chunk[4096];
	size_t r;
	FILE *fp;
	int rc;

	*out = NULL;
	fp = fopen(path, "r");
	if (fp == NULL)
		return prov_seterr(e, PROV_FAILED, errno, "%s: %s", path, strerror(errno));
	while ((r = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		prov_buf_add(&b, chunk, r);
		if (b.len > (size_t)MAX_RULES * (MAX_LINE + 1) * 4) {
			fclose(fp);
			prov_buf_release(&b);
			return prov_seterr(e, PROV_FAILED, 0, "%s: names file too large", path);
		}
	}
	if (ferror(fp)) {
		rc = errno;
		fclose(fp);
		prov_buf_release(&b);
		return prov_seterr(e, PROV_FAILED, rc, "%s: read error", path);
	}
	fclose(fp);
	rc = prov_names_open(out, b.buf, b.len, path, e);
	prov_buf_release(&b);
	return rc;
}

void
prov_names_close(struct prov_names *n)
{
	int i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nrules; i++) {
		regfree(&n->rules[i].re);
		regfree(&n->rules[i].test);
	}
	free(n);
}

/* "YYYY_MM_" or "YYYY-MM." etc.: 4 digits, separator, 2 digits, separator. */
static int
looks_like_date(const char *p)
{
	return isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) &&
	    isdigit((unsigned char)p[2]) && isdigit((unsigned char)p[3]) &&
	    strchr("_-.", p[4]) != NULL && p[4] != '\0' &&
	    isdigit((unsigned char)p[5]) && isdigit((unsigned char)p[6]) &&
	    strchr("_-.", p[7]) != NULL && p[7] != '\0';
}

int
prov_names_parse(const struct prov_names *n, const char *path, size_t len, json_t *out)
{
	char buf[PROV_NAMES_MAX_INPUT + 1];
	char val[64];
	regmatch_t m[MAX_GROUPS + 1];
	int have[PROV_NAMES_NFIELDS] = { 0 };
	regoff_t at[PROV_NAMES_NFIELDS];
	char store[PROV_NAMES_NFIELDS][64];
	const char *nul;
	int i, g, found = 0;

	nul = memchr(path, '\0', len);
	if (nul != NULL)
		len = (size_t)(nul - path);
	if (len > PROV_NAMES_MAX_INPUT) {
		path += len - PROV_NAMES_MAX_INPUT;
		len = PROV_NAMES_MAX_INPUT;
	}
	memcpy(buf, path, len);
	buf[len] = '\0';
	/* Windows separators count as directory separators. */
	for (i = 0; i < (int)len; i++)
		if (buf[i] == '\\')
			buf[i] = '/';
	for (i = 0; i < n->nrules; i++) {
		const struct rule *r = &n->rules[i];
		int want = 0;

		/* Only rules that could still fill a field, and only those
		 * that match at all, are run again for their groups. */
		for (g = 0; g < r->ngroups; g++)
			if (r->field[g] >= 0 && !have[r->field[g]])
				want = 1;
		if (!want || regexec(&r->test, buf, 0, NULL, 0) != 0 ||
		    regexec(&r->re, buf, MAX_GROUPS + 1, m, 0) != 0)
			continue;
		for (g = 0; g < r->ngroups; g++) {
			int f = r->field[g];
			size_t vl;

			if (f < 0 || have[f] || m[g + 1].rm_so < 0)
				continue;
			vl = (size_t)(m[g + 1].rm_eo - m[g + 1].rm_so);
			if (vl == 0 || vl >= sizeof(val))
				continue;
			memcpy(store[f], buf + m[g + 1].rm_so, vl);
			store[f][vl] = '\0';
			at[f] = m[g + 1].rm_so;
			have[f] = 1;
			found++;
		}
	}
	/*
	 * A frame number is dropped when it is the shot number itself
	 * (104_020_030.exr) or the day of a date (render_2024_01_15.png).
	 */
	if (have[PROV_NAMES_FRAME]) {
		regoff_t s = at[PROV_NAMES_FRAME];

		if ((have[PROV_NAMES_SHOT] && at[PROV_NAMES_SHOT] == s) ||
		    (s >= 8 && looks_like_date(buf + s - 8))) {
			have[PROV_NAMES_FRAME] = 0;
			found--;
		}
	}
	if (out != NULL)
		for (i = 0; i < PROV_NAMES_NFIELDS; i++)
			if (have[i])
				prov_json_set_name(out, field_names[i], store[i], strlen(store[i]));
	return found;
}

int
prov_names_add(const struct prov_names *n, struct prov_record *rec)
{
	json_t *o;
	int k;

	if (n == NULL)
		return 0;
	o = json_object();
	k = prov_names_parse(n, rec->path.buf, rec->path.len, o);
	if (k > 0)
		json_object_set_new(rec->fields, "names", o);
	else
		json_decref(o);
	return k;
}
