/*
 * indicators.c: the values of a finished record that point at a person, a
 * machine, a place, a time zone, a tool or a locale.
 *
 * Sources: the record's "meta" strings (by field name, and by content: UNC
 * paths, URLs, home directories, scripts other than Latin), its "member"
 * object (uname, gname, name_charset: named as the locale it points at,
 * "zh_CN.GBK") and its path.  An entry already in
 * "indicators" (a format module may have added it) is not added again.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "prov.h"
#include "banned.h"

#define MAX_VALUE 256		/* longest value kept; longer ones are cut */
#define MAX_SCAN 65536		/* bytes of one string scanned for content */
#define MAX_PER_RECORD 256	/* indicators added to one record */

struct ctx {
	json_t *ind;
	int added;
};

static int
has(json_t *ind, const char *type, const char *value, size_t len, const char *field)
{
	size_t i;
	json_t *o;

	json_array_foreach(ind, i, o) {
		const char *t = json_string_value(json_object_get(o, "type"));
		const char *f = json_string_value(json_object_get(o, "field"));
		json_t *v = json_object_get(o, "value");

		if (t && f && json_is_string(v) && strcmp(t, type) == 0 &&
		    strcmp(f, field) == 0 && json_string_length(v) == len &&
		    memcmp(json_string_value(v), value, len) == 0)
			return 1;
	}
	return 0;
}

static void
add(struct ctx *c, const char *type, const char *value, size_t len, const char *field)
{
	json_t *o;
	struct prov_buf chk = PROV_BUF_INIT;

	while (len > 0 && isspace((unsigned char)*value)) {
		value++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)value[len - 1]))
		len--;
	if (len == 0 || c->added >= MAX_PER_RECORD)
		return;
	if (len > MAX_VALUE)
		len = MAX_VALUE;
	/* Compare as the JSON would store it (invalid UTF-8 substituted). */
	o = json_object();
	prov_json_set_name(o, "value", value, len);
	prov_buf_addstr(&chk, json_string_value(json_object_get(o, "value")));
	if (has(c->ind, type, chk.buf, chk.len, field)) {
		json_decref(o);
		prov_buf_release(&chk);
		return;
	}
	prov_buf_release(&chk);
	json_object_del(o, "value");
	json_object_del(o, "value_bytes");
	json_object_set_new(o, "type", json_string(type));
	prov_json_set_name(o, "value", value, len);
	prov_json_set_name(o, "field", field, strlen(field));
	json_array_append_new(c->ind, o);
	c->added++;
}

/* Decodes one UTF-8 code point at s (n bytes left); 0xFFFD and 1 byte on error. */
static unsigned
utf8(const unsigned char *s, size_t n, size_t *used)
{
	unsigned c = s[0], k, i;

	*used = 1;
	if (c < 0x80)
		return c;
	if ((c & 0xe0) == 0xc0)
		k = 1, c &= 0x1f;
	else if ((c & 0xf0) == 0xe0)
		k = 2, c &= 0x0f;
	else if ((c & 0xf8) == 0xf0)
		k = 3, c &= 0x07;
	else
		return 0xfffd;
	if (n < k + 1)
		return 0xfffd;
	for (i = 1; i <= k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0xfffd;
		c = (c << 6) | (s[i] & 0x3f);
	}
	*used = k + 1;
	return c;
}

const char *
prov_script_of(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i, used;
	unsigned c;

	if (len > MAX_SCAN)
		len = MAX_SCAN;
	for (i = 0; i < len; i += used) {
		if (s[i] < 0x80) {
			used = 1;
			continue;
		}
		c = utf8(s + i, len - i, &used);
		if ((c >= 0xac00 && c <= 0xd7af) || (c >= 0x1100 && c <= 0x11ff) ||
		    (c >= 0x3130 && c <= 0x318f))
			return "Hangul";
		if ((c >= 0x3040 && c <= 0x30ff) || (c >= 0xff66 && c <= 0xff9f))
			return "Kana";
		if ((c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf) ||
		    (c >= 0x20000 && c <= 0x2ffff) || (c >= 0xf900 && c <= 0xfaff))
			return "Han";
		if (c >= 0x0400 && c <= 0x052f)
			return "Cyrillic";
		if (c >= 0x0370 && c <= 0x03ff)
			return "Greek";
		if (c >= 0x0590 && c <= 0x05ff)
			return "Hebrew";
		if (c >= 0x0600 && c <= 0x06ff)
			return "Arabic";
		if (c >= 0x0e00 && c <= 0x0e7f)
			return "Thai";
		if (c >= 0x0900 && c <= 0x097f)
			return "Devanagari";
	}
	return NULL;
}

static int
is_name_char(int c)
{
	return c != '/' && c != '\\' && c != ':' && c != '"' && c != '\'' &&
	    c != '\0' && c != '\n' && c != '\r' && c != '\t' && c != '<' && c != '>' &&
	    c != '|' && c != '*' && c != '?';
}

/* Length of the path component at p (up to a separator or a quote). */
static size_t
component(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && is_name_char((unsigned char)*q))
		q++;
	return (size_t)(q - p);
}

static int
prefix_ci(const char *p, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	return (size_t)(end - p) >= n && strncasecmp(p, lit, n) == 0;
}

/*
 * Whether the URL whose "://" is at colon is an XML namespace name
 * (xmlns:x="http://ns.adobe.com/xap/1.0/" in every XMP packet) or another
 * well-known schema URI: names of specifications, not machines anyone used.
 */
static int
is_namespace(const char *s, const char *colon)
{
	static const char *const hosts[] = {
		"www.w3.org/", "ns.adobe.com/", "purl.org/", "iptc.org/",
		"ns.useplus.org/", "cipa.jp/", "schemas.microsoft.com/",
		"schemas.openxmlformats.org/", NULL
	};
	const char *p = colon, *h = colon + 3;
	size_t i;

	for (i = 0; hosts[i] != NULL; i++)
		if (strncmp(h, hosts[i], strlen(hosts[i])) == 0)
			return 1;
	while (p > s && isalpha((unsigned char)p[-1]))
		p--;			/* the scheme */
	if (p == s || (p[-1] != '"' && p[-1] != '\''))
		return 0;
	p--;
	while (p > s && isspace((unsigned char)p[-1]))
		p--;
	if (p == s || p[-1] != '=')
		return 0;
	p--;
	while (p > s && isspace((unsigned char)p[-1]))
		p--;
	while (p > s && (isalnum((unsigned char)p[-1]) || p[-1] == ':' ||
	    p[-1] == '_' || p[-1] == '-' || p[-1] == '.'))
		p--;			/* the attribute name */
	return strncmp(p, "xmlns", 5) == 0;
}

/*
 * Content of one string: user names in home directories, hosts in UNC
 * paths and URLs, and the script of non-Latin text.
 */
static void
scan(struct ctx *c, const char *s, size_t len, const char *field, int urls)
{
	const char *end, *p;
	const char *script;
	size_t n;

	if (len > MAX_SCAN)
		len = MAX_SCAN;
	end = s + len;
	for (p = s; p < end; p++) {
		const char *q = NULL;

		if (*p != '/' && *p != '\\' && *p != ':')
			continue;
		/* C:\Users\name\, /home/name/, /Users/name/, C:/Users/name/ */
		if ((*p == '/' || *p == '\\') && p + 1 < end) {
			if (prefix_ci(p + 1, end, "home/") || prefix_ci(p + 1, end, "home\\"))
				q = p + 6;
			else if (prefix_ci(p + 1, end, "users/") ||
			    prefix_ci(p + 1, end, "users\\"))
				q = p + 7;
			else if (prefix_ci(p + 1, end, "Documents and Settings\\"))
				q = p + 24;
		}
		if (q != NULL && q < end) {
			n = component(q, end);
			if (n > 0 && q + n < end && (q[n] == '/' || q[n] == '\\') &&
			    strncasecmp(q, "shared", n) != 0 && strncasecmp(q, "public", n) != 0 &&
			    strncasecmp(q, "default", n) != 0)
				add(c, "user", q, n, field);
			else if (n > 0 && q + n == end)
				add(c, "user", q, n, field);
			continue;
		}
		/* \\host\share (not //x: Blender's "relative to this file") */
		if (*p == '\\' && p + 1 < end && p[1] == '\\' &&
		    (p == s || !is_name_char((unsigned char)p[-1]) || p[-1] == '"')) {
			n = component(p + 2, end);
			if (n > 0 && n < 254 && p[2] != '?' && p[2] != '.')
				add(c, "host", p + 2, n, field);
			p += 1 + n;
			continue;
		}
		/* scheme://host/ (the host without user, port or path) */
		if (urls && *p == ':' && end - p > 3 && p[1] == '/' && p[2] == '/' && p > s &&
		    isalpha((unsigned char)p[-1])) {
			const char *h = p + 3, *he = h;

			while (he < end && *he != '/' && *he != '?' && *he != '#' &&
			    !isspace((unsigned char)*he) && *he != '"')
				he++;
			for (q = h; q < he; q++)
				if (*q == '@')
					h = q + 1;
			for (q = h; q < he; q++)
				if (*q == ':')
					break;
			if (q > h && q - h < 254 && !is_namespace(s, p))
				add(c, "host", h, (size_t)(q - h), field);
			p = he - 1;
		}
	}
	script = prov_script_of(s, len);
	if (script != NULL)
		add(c, "locale", script, strlen(script), field);
}

static int
key_is(const char *key, const char *const *list)
{
	const char *k = strrchr(key, '.');	/* "part1.owner", "exif:Artist" */
	const char *k2 = strrchr(key, ':');

	if (k2 != NULL && (k == NULL || k2 > k))
		k = k2;
	k = k != NULL ? k + 1 : key;
	for (; *list != NULL; list++)
		if (strcasecmp(k, *list) == 0)
			return 1;
	return 0;
}

static const char *const owner_keys[] = {
	"owner", "artist", "author", "creator", "by-line", "byline", "copyright",
	"rights", "lastsavedby", "last_modified_by", "user", "username", "modifiedby",
	"createdby", "cameraownername", "xpauthor", NULL
};
static const char *const host_keys[] = {
	"hostcomputer", "host", "hostname", "machine", "computer", "computername",
	"workstation", NULL
};
static const char *const software_keys[] = {
	"software", "creatortool", "application", "generator", "writer",
	"processingsoftware", "producer", "tool", "nuke/version", "renderer", NULL
};
static const char *const tz_keys[] = {
	"utcoffset", "offsettime", "offsettimeoriginal", "offsettimedigitized",
	"timezone", "tz", "timezoneoffset", NULL
};
static const char *const location_keys[] = {
	"location", "city", "country", "state", "province", "sublocation",
	"gpslatitude", "gpslongitude", "gpsaltitude", "latitude", "longitude",
	"altitude", "gpsposition", "countrycode", NULL
};

/*
 * The locale a legacy character set points at, POSIX-style
 * "language_TERRITORY.charset" with the charset as it was guessed or
 * written ("GBK" -> "zh_CN.GBK", "CP932" -> "ja_JP.CP932"), so the value
 * names both the place and the code page.  Only sets used for one
 * language are mapped; for the others (CP1251 serves several languages)
 * the charset alone is the value.  NULL for "unknown" or nothing.
 */
static const char *
charset_locale(const char *cs, char *out, size_t n)
{
	static const struct {
		const char *charset, *locale;
	} map[] = {
		{ "CP932", "ja_JP" }, { "SHIFT_JIS", "ja_JP" }, { "EUC-JP", "ja_JP" },
		{ "GBK", "zh_CN" }, { "CP936", "zh_CN" }, { "GB2312", "zh_CN" },
		{ "GB18030", "zh_CN" }, { "CP949", "ko_KR" }, { "EUC-KR", "ko_KR" },
		{ "CP950", "zh_TW" }, { "BIG5", "zh_TW" }, { "CP866", "ru_RU" },
		{ "KOI8-R", "ru_RU" }, { "KOI8-U", "uk_UA" }, { "CP874", "th_TH" },
		{ "CP1253", "el_GR" }, { "CP1254", "tr_TR" }, { "CP1255", "he_IL" },
		{ "CP1258", "vi_VN" }, { NULL, NULL }
	};
	size_t i;

	if (cs == NULL || *cs == '\0' || strcasecmp(cs, "unknown") == 0)
		return NULL;
	for (i = 0; map[i].charset != NULL; i++)
		if (strcasecmp(cs, map[i].charset) == 0) {
			snprintf(out, n, "%s.%s", map[i].locale, cs);
			return out;
		}
	snprintf(out, n, "%s", cs);
	return out;
}

static int
looks_absolute(const char *s, size_t len)
{
	if (len >= 2 && s[0] == '/' && s[1] != '/' && s[1] != ' ')
		return 1;
	if (len >= 3 && isalpha((unsigned char)s[0]) && s[1] == ':' &&
	    (s[2] == '\\' || s[2] == '/'))
		return 1;
	return len >= 3 && s[0] == '\\' && s[1] == '\\';
}

int
prov_indicators_add(struct prov_record *rec)
{
	struct ctx c;
	json_t *meta, *member, *v, *ind;
	const char *key;
	int created = 0;

	ind = json_object_get(rec->fields, "indicators");
	if (!json_is_array(ind)) {
		ind = json_array();
		created = 1;
	}
	c.ind = ind;
	c.added = 0;

	meta = json_object_get(rec->fields, "meta");
	if (json_is_object(meta)) {
		json_object_foreach(meta, key, v) {
			const char *s;
			size_t n;

			if (!json_is_string(v))
				continue;
			s = json_string_value(v);
			n = json_string_length(v);
			if (key_is(key, owner_keys))
				add(&c, "owner", s, n, key);
			else if (key_is(key, host_keys))
				add(&c, "host", s, n, key);
			else if (key_is(key, software_keys))
				add(&c, "software", s, n, key);
			else if (key_is(key, tz_keys))
				add(&c, "tz", s, n, key);
			else if (key_is(key, location_keys))
				add(&c, "location", s, n, key);
			else if (strcasecmp(key, "codeset") == 0 && n > 0 && n < 8 &&
			    strspn(s, "0123456789") == n) {
				/* Maya's "//Codeset: 949": the Windows code page */
				char cp[16], loc[48];

				snprintf(cp, sizeof(cp), "CP%s", s);
				charset_locale(cp, loc, sizeof(loc));
				add(&c, "locale", loc, strlen(loc), key);
			}
			if (looks_absolute(s, n) && memchr(s, '\n', n) == NULL)
				add(&c, "path", s, n, key);
			/* a URL in a Software string is the maker's site */
			scan(&c, s, n, key, !key_is(key, software_keys));
		}
	}
	/* Paths embedded in project files. */
	v = json_object_get(rec->fields, "paths");
	if (json_is_array(v)) {
		size_t i;
		json_t *p;

		json_array_foreach(v, i, p)
			if (json_is_string(p))
				scan(&c, json_string_value(p), json_string_length(p), "paths",
				    1);
	}
	member = json_object_get(rec->fields, "member");
	if (json_is_object(member)) {
		v = json_object_get(member, "uname");
		if (json_is_string(v))
			add(&c, "user", json_string_value(v), json_string_length(v),
			    "member.uname");
		v = json_object_get(member, "gname");
		if (json_is_string(v))
			add(&c, "user", json_string_value(v), json_string_length(v),
			    "member.gname");
		v = json_object_get(member, "name_decoded");
		if (json_is_string(v)) {
			const char *script = prov_script_of(json_string_value(v),
			    json_string_length(v));

			if (script != NULL)
				add(&c, "locale", script, strlen(script), "member.name_decoded");
		}
		v = json_object_get(member, "name_charset");
		if (json_is_string(v) && json_string_length(v) < 32) {
			char loc[48];

			/* the charset itself stays in member.name_charset */
			if (charset_locale(json_string_value(v), loc, sizeof(loc)) != NULL)
				add(&c, "locale", loc, strlen(loc), "member.name_charset");
		}
	}
	if (rec->path.len > 0) {
		struct prov_buf p = PROV_BUF_INIT;
		json_t *tmp = json_object();

		/* The path as JSON text (invalid UTF-8 substituted). */
		prov_json_set_name(tmp, "p", rec->path.buf, rec->path.len);
		prov_buf_addstr(&p, json_string_value(json_object_get(tmp, "p")));
		json_decref(tmp);
		scan(&c, p.buf, p.len, "path", 1);
		prov_buf_release(&p);
	}
	if (created) {
		if (json_array_size(ind) > 0)
			json_object_set_new(rec->fields, "indicators", ind);
		else
			json_decref(ind);
	}
	return c.added;
}
