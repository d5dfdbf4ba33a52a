/*
 * fp_project.c: project, scene and edit files recognised by content.
 *
 * Blender .blend ("BLENDER" + pointer size + endianness + version),
 * Maya ASCII ("//Maya ASCII"), Nuke scripts ("#! .../Nuke..." or a
 * "version N.N vN" line followed by "Root {"), Toon Boom Harmony .xstage
 * (XML whose root is <project ...>), OpenTimelineIO .otio (JSON with
 * "OTIO_SCHEMA") and CMX 3600 EDL ("TITLE:" then numbered events).
 *
 * Everything learnt goes into "meta" (application, format, version and a
 * few format-specific keys) and "paths" (embedded file paths: Blender
 * library and image paths, Maya references and file textures, Nuke file
 * knobs, OTIO target_url, EDL source files).  Work is bounded: at most
 * SCAN_MAX bytes are read, MAX_PATHS paths of at most MAX_PATH bytes kept.
 * Compressed .blend files (gzip or zstd) are not opened: they bid as their
 * compressor's magic, not as Blender.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "prov.h"
#include "banned.h"

#define SCAN_MAX ((size_t)256 << 20)
#define HEAD_MAX 8192
#define MAX_PATHS 512
#define MAX_PATH 1024
#define MAX_META 64

enum kind { K_NONE, K_BLEND, K_MAYA, K_NUKE, K_XSTAGE, K_OTIO, K_EDL };

static const unsigned char *
find(const unsigned char *h, size_t len, const char *lit)
{
	size_t n = strlen(lit);

	const unsigned char *p, *end;

	if (n == 0 || len < n)
		return NULL;
	end = h + len - n + 1;
	for (p = h; p < end; p++) {
		p = memchr(p, lit[0], (size_t)(end - p));
		if (p == NULL)
			return NULL;
		if (memcmp(p, lit, n) == 0)
			return p;
	}
	return NULL;
}

static size_t
skip_bom_ws(const unsigned char *h, size_t len)
{
	size_t i = 0;

	if (len >= 3 && h[0] == 0xef && h[1] == 0xbb && h[2] == 0xbf)
		i = 3;
	while (i < len && isspace(h[i]))
		i++;
	return i;
}

/* "NNN  reel  V  C  " : an EDL event line at p. */
static int
edl_event(const unsigned char *p, const unsigned char *end)
{
	const unsigned char *q = p;
	int digits = 0, fields = 0;

	while (q < end && isdigit(*q)) {
		q++;
		digits++;
	}
	if (digits < 3 || digits > 6 || q >= end || (*q != ' ' && *q != '\t'))
		return 0;
	/* Reel, track, transition: three more fields on the line. */
	while (q < end && *q != '\n' && fields < 3) {
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if (q >= end || *q == '\n' || *q == '\r')
			break;
		while (q < end && !isspace(*q))
			q++;
		fields++;
	}
	return fields == 3;
}

static enum kind
classify(const unsigned char *h, size_t len)
{
	size_t i, n = len < HEAD_MAX ? len : HEAD_MAX;
	const unsigned char *p;

	if (len >= 12 && memcmp(h, "BLENDER", 7) == 0 && (h[7] == '_' || h[7] == '-') &&
	    (h[8] == 'v' || h[8] == 'V') && isdigit(h[9]) && isdigit(h[10]) && isdigit(h[11]))
		return K_BLEND;
	i = skip_bom_ws(h, n);
	if (n - i >= 12 && memcmp(h + i, "//Maya ASCII", 12) == 0)
		return K_MAYA;
	if (n - i >= 2 && memcmp(h + i, "#!", 2) == 0) {
		const unsigned char *nl = memchr(h + i, '\n', n - i);
		size_t l = nl ? (size_t)(nl - h - i) : n - i;
		size_t k;

		for (k = 0; k + 4 <= l; k++)
			if (strncasecmp((const char *)h + i + k, "nuke", 4) == 0)
				return K_NUKE;
	}
	if (n - i >= 8 && memcmp(h + i, "version ", 8) == 0 && find(h, n, "\nRoot {") != NULL)
		return K_NUKE;
	if (n - i >= 1 && h[i] == '<') {
		p = find(h + i, n - i, "<project");
		if (p != NULL && (p[8] == ' ' || p[8] == '>' || p[8] == '\n' || p[8] == '\r' ||
		    p[8] == '\t') && (find(h, n, "<scenes") || find(h, n, "<elements") ||
		    find(h, n, "Harmony") || find(h, n, "Toon Boom") || find(h, n, "<timelineMarkers")))
			return K_XSTAGE;
	}
	if (n - i >= 1 && h[i] == '{' && find(h, n, "\"OTIO_SCHEMA\"") != NULL)
		return K_OTIO;
	if (n - i >= 6 && memcmp(h + i, "TITLE:", 6) == 0) {
		const unsigned char *end = h + n;

		for (p = h + i; p < end; p++)
			if (*p == '\n' && p + 1 < end && edl_event(p + 1, end))
				return K_EDL;
	}
	return K_NONE;
}

static int
project_bid(const unsigned char *head, size_t len)
{
	switch (classify(head, len)) {
	case K_BLEND:
	case K_MAYA:
		return 100;
	case K_OTIO:
	case K_NUKE:
		return 80;
	case K_XSTAGE:
	case K_EDL:
		return 60;
	default:
		return 0;
	}
}

struct out {
	json_t *meta;
	json_t *paths;
	int npaths, nmeta;
	int truncated;
};

static void
meta_set(struct out *o, const char *key, const void *v, size_t len)
{
	if (o->nmeta >= MAX_META || json_object_get(o->meta, key) != NULL)
		return;
	while (len > 0 && isspace(((const unsigned char *)v)[len - 1]))
		len--;
	if (len > MAX_PATH)
		len = MAX_PATH;
	prov_json_set_name(o->meta, key, v, len);
	o->nmeta++;
}

static void
path_add(struct out *o, const void *v, size_t len)
{
	json_t *holder, *s, *x;
	size_t i;

	if (len == 0 || len > MAX_PATH)
		return;
	if (o->npaths >= MAX_PATHS) {
		o->truncated = 1;
		return;
	}
	holder = json_object();
	prov_json_set_name(holder, "p", v, len);
	s = json_object_get(holder, "p");
	json_array_foreach(o->paths, i, x)
		if (json_equal(x, s))
			break;
	if (i == json_array_size(o->paths)) {
		json_array_append(o->paths, s);
		o->npaths++;
	}
	json_decref(holder);
}

static int
pathish_start(const unsigned char *p, const unsigned char *end)
{
	if (p + 1 < end && p[0] == '/' && (isalnum(p[1]) || p[1] == '/' || p[1] == '.' ||
	    p[1] == '_'))
		return 1;
	if (p + 2 < end && isalpha(p[0]) && p[1] == ':' && (p[2] == '\\' || p[2] == '/'))
		return 1;
	return p + 2 < end && p[0] == '\\' && p[1] == '\\' && isalnum(p[2]);
}

/*
 * Blender: NUL-terminated strings that start like a path ("//textures/a.png"
 * relative to the .blend, "/home/...", "C:\\...", "\\\\host\\...") and
 * hold only printable bytes or UTF-8.
 */
static void
scan_blend(const unsigned char *d, size_t len, struct out *o)
{
	const unsigned char *p = d + 12, *end = d + (len < SCAN_MAX ? len : SCAN_MAX);
	char ver[8];

	snprintf(ver, sizeof(ver), "%c.%c%c", d[9], d[10], d[11]);
	meta_set(o, "application", "Blender", 7);
	meta_set(o, "format", "blend", 5);
	meta_set(o, "version", ver, strlen(ver));
	meta_set(o, "pointer_size", d[7] == '_' ? "4" : "8", 1);
	meta_set(o, "endianness", d[8] == 'v' ? "little" : "big", d[8] == 'v' ? 6 : 3);
	while (p < end) {
		const unsigned char *q;

		if ((p[-1] != 0 && p[-1] != '\'' && p[-1] != '"') || !pathish_start(p, end)) {
			p++;
			continue;
		}
		for (q = p; q < end && *q != 0 && (*q >= 0x20 && *q != 0x7f); q++)
			if (q - p > MAX_PATH)
				break;
		if (q < end && *q == 0 && q - p >= 3 && q - p <= MAX_PATH &&
		    memchr(p + 1, '.', (size_t)(q - p - 1)) != NULL)
			path_add(o, p, (size_t)(q - p));
		p = q + 1;
	}
}

/* The next line [*ls, *le) of [p, end), returns the start of the one after. */
static const unsigned char *
next_line(const unsigned char *p, const unsigned char *end, const unsigned char **ls,
    const unsigned char **le)
{
	const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));

	*ls = p;
	*le = nl ? nl : end;
	if (*le > p && (*le)[-1] == '\r')
		(*le)--;
	return nl ? nl + 1 : end;
}

static int
starts(const unsigned char *ls, const unsigned char *le, const char *lit)
{
	size_t n = strlen(lit);

	return (size_t)(le - ls) >= n && memcmp(ls, lit, n) == 0;
}

/* The quoted strings of a line, in order: the k-th (0-based) into *s, *n. */
static int
quoted(const unsigned char *ls, const unsigned char *le, int k, const unsigned char **s,
    size_t *n)
{
	const unsigned char *p = ls, *q;

	for (;;) {
		p = memchr(p, '"', (size_t)(le - p));
		if (p == NULL)
			return 0;
		for (q = p + 1; q < le && *q != '"'; q++)
			if (*q == '\\' && q + 1 < le)
				q++;
		if (q >= le)
			return 0;
		if (k-- == 0) {
			*s = p + 1;
			*n = (size_t)(q - p - 1);
			return 1;
		}
		p = q + 1;
	}
}

static int
last_quoted(const unsigned char *ls, const unsigned char *le, const unsigned char **s,
    size_t *n)
{
	int k = 0;

	while (quoted(ls, le, k, s, n))
		k++;
	return k > 0 && quoted(ls, le, k - 1, s, n);
}

static void
scan_maya(const unsigned char *d, size_t len, struct out *o)
{
	const unsigned char *p = d, *end = d + (len < SCAN_MAX ? len : SCAN_MAX), *ls, *le, *s;
	size_t n;

	meta_set(o, "application", "Maya", 4);
	meta_set(o, "format", "ma", 2);
	while (p < end) {
		p = next_line(p, end, &ls, &le);
		while (ls < le && (*ls == ' ' || *ls == '\t'))
			ls++;
		if (starts(ls, le, "//Maya ASCII ")) {
			const unsigned char *v = ls + 13, *ve = v;

			while (ve < le && !isspace(*ve))
				ve++;
			meta_set(o, "version", v, (size_t)(ve - v));
		} else if (starts(ls, le, "//Name: ")) {
			meta_set(o, "name", ls + 8, (size_t)(le - ls - 8));
		} else if (starts(ls, le, "//Last modified: ")) {
			meta_set(o, "last_modified", ls + 17, (size_t)(le - ls - 17));
		} else if (starts(ls, le, "//Codeset: ")) {
			meta_set(o, "codeset", ls + 11, (size_t)(le - ls - 11));
		} else if (starts(ls, le, "fileInfo ")) {
			const unsigned char *k, *v;
			size_t kn, vn;
			char key[80];

			if (quoted(ls, le, 0, &k, &kn) && quoted(ls, le, 1, &v, &vn) && kn < 64) {
				snprintf(key, sizeof(key), "fileInfo.%.*s", (int)kn, (const char *)k);
				meta_set(o, key, v, vn);
			}
		} else if (starts(ls, le, "requires ")) {
			const unsigned char *k, *v;
			size_t kn, vn;
			int nq = 0;
			char key[80];

			while (quoted(ls, le, nq, &v, &vn))
				nq++;
			if (nq >= 2) {
				quoted(ls, le, nq - 2, &k, &kn);
			} else {	/* requires maya "2022"; */
				k = ls + 9;
				for (kn = 0; k + kn < le && !isspace(k[kn]) && k[kn] != '"'; kn++)
					;
			}
			if (nq >= 1 && kn > 0 && kn < 64 && *k != '-') {
				snprintf(key, sizeof(key), "requires.%.*s", (int)kn, (const char *)k);
				meta_set(o, key, v, vn);
			}
		} else if (starts(ls, le, "file ") && last_quoted(ls, le, &s, &n)) {
			path_add(o, s, n);
		} else if (starts(ls, le, "setAttr \".ftn\"") || starts(ls, le, "setAttr \".fn\"") ||
		    starts(ls, le, "setAttr \".fileTextureName\"")) {
			if (quoted(ls, le, 2, &s, &n) || last_quoted(ls, le, &s, &n))
				path_add(o, s, n);
		}
	}
}

static void
scan_nuke(const unsigned char *d, size_t len, struct out *o)
{
	const unsigned char *p = d, *end = d + (len < SCAN_MAX ? len : SCAN_MAX), *ls, *le;

	meta_set(o, "application", "Nuke", 4);
	meta_set(o, "format", "nk", 2);
	while (p < end) {
		p = next_line(p, end, &ls, &le);
		if (starts(ls, le, "#! ")) {
			meta_set(o, "interpreter", ls + 3, (size_t)(le - ls - 3));
			continue;
		}
		if (starts(ls, le, "version ")) {
			meta_set(o, "version", ls + 8, (size_t)(le - ls - 8));
			continue;
		}
		while (ls < le && (*ls == ' ' || *ls == '\t'))
			ls++;
		if (starts(ls, le, "file ") || starts(ls, le, "name ") ||
		    starts(ls, le, "proxy ") || starts(ls, le, "font ")) {
			const unsigned char *v = (const unsigned char *)memchr(ls, ' ',
			    (size_t)(le - ls)) + 1, *ve = le;

			if (v < le && *v == '"' && ve > v + 1 && ve[-1] == '"') {
				v++;
				ve--;
			} else if (v < le && *v == '{' && ve > v + 1 && ve[-1] == '}') {
				v++;
				ve--;
			}
			if (ve > v && (memchr(v, '/', (size_t)(ve - v)) != NULL ||
			    memchr(v, '\\', (size_t)(ve - v)) != NULL))
				path_add(o, v, (size_t)(ve - v));
		}
	}
}

/* The value of attribute name="..." inside [p, end) (a tag). */
static int
xml_attr(const unsigned char *p, const unsigned char *end, const char *name,
    const unsigned char **v, size_t *n)
{
	size_t nl = strlen(name);
	const unsigned char *q;

	for (; p + nl + 2 < end; p++) {
		if (memcmp(p, name, nl) != 0 || p[nl] != '=' || (p[nl + 1] != '"' &&
		    p[nl + 1] != '\'') || !isspace(p[-1]))
			continue;
		q = memchr(p + nl + 2, p[nl + 1], (size_t)(end - p - nl - 2));
		if (q == NULL)
			return 0;
		*v = p + nl + 2;
		*n = (size_t)(q - *v);
		return 1;
	}
	return 0;
}

static void
scan_xstage(const unsigned char *d, size_t len, struct out *o)
{
	const unsigned char *end = d + (len < SCAN_MAX ? len : SCAN_MAX), *p, *te, *v;
	static const char *const attrs[] = { "source", "version", "build", "creator",
	    "creationDate", "lastSaved", "editor", NULL };
	size_t n;
	int i;

	meta_set(o, "application", "Toon Boom Harmony", 17);
	meta_set(o, "format", "xstage", 6);
	p = find(d, (size_t)(end - d), "<project");
	if (p != NULL && (te = memchr(p, '>', (size_t)(end - p))) != NULL)
		for (i = 0; attrs[i] != NULL; i++)
			if (xml_attr(p, te, attrs[i], &v, &n))
				meta_set(o, attrs[i], v, n);
	/* Attribute values that look like paths, anywhere. */
	for (p = d; p + 1 < end; p++) {
		const unsigned char *q;

		if (*p != '"' || !pathish_start(p + 1, end))
			continue;
		q = memchr(p + 1, '"', (size_t)(end - p - 1));
		if (q == NULL)
			break;
		if (q - p - 1 <= MAX_PATH && memchr(p + 1, '<', (size_t)(q - p - 1)) == NULL)
			path_add(o, p + 1, (size_t)(q - p - 1));
		p = q;
	}
}

/* "key" : "value" pairs found by text in JSON (bounded, no full parse). */
static void
json_strings(const unsigned char *d, const unsigned char *end, const char *key,
    struct out *o, const char *meta_key)
{
	const unsigned char *p = d, *v, *q;
	size_t kl = strlen(key);

	while ((p = find(p, (size_t)(end - p), key)) != NULL) {
		p += kl;
		v = p;
		while (v < end && isspace(*v))
			v++;
		if (v >= end || *v != ':')
			continue;
		v++;
		while (v < end && isspace(*v))
			v++;
		if (v >= end || *v != '"')
			continue;
		v++;
		for (q = v; q < end && *q != '"'; q++)
			if (*q == '\\' && q + 1 < end)
				q++;
		if (q >= end)
			return;
		if (meta_key != NULL) {
			meta_set(o, meta_key, v, (size_t)(q - v));
			return;
		}
		path_add(o, v, (size_t)(q - v));
		p = q;
	}
}

static void
scan_otio(const unsigned char *d, size_t len, struct out *o)
{
	const unsigned char *end = d + (len < SCAN_MAX ? len : SCAN_MAX);

	meta_set(o, "application", "OpenTimelineIO", 14);
	meta_set(o, "format", "otio", 4);
	json_strings(d, end, "\"OTIO_SCHEMA\"", o, "schema");
	json_strings(d, end, "\"name\"", o, "name");
	json_strings(d, end, "\"target_url\"", o, NULL);
}

static void
scan_edl(const unsigned char *d, size_t len, struct out *o)
{
	const unsigned char *p = d, *end = d + (len < SCAN_MAX ? len : SCAN_MAX), *ls, *le;
	unsigned long events = 0;
	char buf[24];

	meta_set(o, "application", "CMX 3600 EDL", 12);
	meta_set(o, "format", "edl", 3);
	while (p < end) {
		p = next_line(p, end, &ls, &le);
		ls += skip_bom_ws(ls, (size_t)(le - ls));
		if (starts(ls, le, "TITLE:"))
			meta_set(o, "title", ls + 6 + (ls + 6 < le && ls[6] == ' '),
			    (size_t)(le - ls - 6 - (ls + 6 < le && ls[6] == ' ')));
		else if (starts(ls, le, "FCM:"))
			meta_set(o, "fcm", ls + 4 + (ls + 4 < le && ls[4] == ' '),
			    (size_t)(le - ls - 4 - (ls + 4 < le && ls[4] == ' ')));
		else if (starts(ls, le, "* SOURCE FILE:") && le - ls > 15)
			path_add(o, ls + 15, (size_t)(le - ls - 15));
		else if (isdigit(*ls) && edl_event(ls, le))
			events++;
	}
	snprintf(buf, sizeof(buf), "%lu", events);
	meta_set(o, "events", buf, strlen(buf));
}

static int
project_fingerprint(const struct prov_blob *blob, const struct prov_fp_opts *opts,
    struct prov_record *rec, struct prov_err *e)
{
	struct out o;
	enum kind k = classify(blob->data, blob->len);

	(void)opts;
	if (k == K_NONE)
		return prov_seterr(e, PROV_FAILED, 0, "%s: not a known project file", blob->name);
	o.meta = json_object();
	o.paths = json_array();
	o.npaths = o.nmeta = o.truncated = 0;
	switch (k) {
	case K_BLEND:
		scan_blend(blob->data, blob->len, &o);
		break;
	case K_MAYA:
		scan_maya(blob->data, blob->len, &o);
		break;
	case K_NUKE:
		scan_nuke(blob->data, blob->len, &o);
		break;
	case K_XSTAGE:
		scan_xstage(blob->data, blob->len, &o);
		break;
	case K_OTIO:
		scan_otio(blob->data, blob->len, &o);
		break;
	default:
		scan_edl(blob->data, blob->len, &o);
		break;
	}
	json_object_set_new(rec->fields, "meta", o.meta);
	if (json_array_size(o.paths) > 0)
		json_object_set_new(rec->fields, "paths", o.paths);
	else
		json_decref(o.paths);
	if (o.truncated)
		json_object_set_new(rec->fields, "paths_truncated", json_true());
	return PROV_OK;
}

const struct prov_format prov_format_project = {
	"project",
	project_bid,
	project_fingerprint,
};
