/*
 * charset.c: the legacy character set of an archive member name that is
 * not UTF-8, and marks of unsafe names.
 *
 * Zip files written on a Japanese, Chinese, Korean or Russian Windows (and
 * old tar files) carry names in the writer's code page with nothing saying
 * which.  Each candidate set is decoded by hand and scored by how common
 * the characters it yields are in that set (kana and level-1 kanji in
 * Shift-JIS, level-1 hanzi in GBK, KS X 1001 Hangul in CP949, lower-case
 * Cyrillic letters in CP866/KOI8-R, box-drawing characters counting
 * against).  The best score per byte wins; iconv then decodes the name
 * with it, which also rejects a set the name is not valid in.
 */
#include <errno.h>
#include <iconv.h>
#include <string.h>

#include "fp_int.h"
#include "banned.h"

/* Scores are per two-byte character (or per byte for one-byte sets),
 * so that 4 means "very common character"; -1 means invalid. */

static int
score_sjis(const unsigned char *p, size_t n)
{
	size_t i = 0;
	int s = 0;

	while (i < n) {
		unsigned c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xa1 && c <= 0xdf) {	/* half-width katakana */
			s += 1;
			i++;
			continue;
		}
		if (!((c >= 0x81 && c <= 0x9f) || (c >= 0xe0 && c <= 0xfc)) || i + 1 >= n)
			return -1;
		unsigned t = p[i + 1];
		if (t < 0x40 || t == 0x7f || t > 0xfc)
			return -1;
		unsigned code = c << 8 | t;
		if (c == 0x82 || c == 0x83)		/* kana */
			s += 8;
		else if (code >= 0x889f && code <= 0x9872)	/* JIS level 1 kanji */
			s += 8;
		else if (code >= 0x989f && code <= 0xeaa4)	/* level 2 */
			s += 3;
		else if (c == 0x81 || c == 0x84)		/* symbols, Cyrillic */
			s += 2;
		i += 2;
	}
	return s;
}

static int
score_eucjp(const unsigned char *p, size_t n)
{
	size_t i = 0;
	int s = 0;

	while (i < n) {
		unsigned c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c == 0x8e) {			/* half-width katakana */
			if (i + 1 >= n || p[i + 1] < 0xa1 || p[i + 1] > 0xdf)
				return -1;
			s += 1;
			i += 2;
			continue;
		}
		if (c == 0x8f) {			/* JIS X 0212 */
			if (i + 2 >= n || p[i + 1] < 0xa1 || p[i + 2] < 0xa1)
				return -1;
			i += 3;
			continue;
		}
		if (c < 0xa1 || c > 0xfe || i + 1 >= n || p[i + 1] < 0xa1 || p[i + 1] > 0xfe)
			return -1;
		if (c == 0xa4 || c == 0xa5)
			s += 8;
		else if (c >= 0xb0 && c <= 0xcf)
			s += 8;
		else if (c >= 0xd0 && c <= 0xf4)
			s += 3;
		else if (c <= 0xa8)
			s += 2;
		i += 2;
	}
	return s;
}

static int
score_gbk(const unsigned char *p, size_t n)
{
	size_t i = 0;
	int s = 0;

	while (i < n) {
		unsigned c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c == 0x80 || c == 0xff || i + 1 >= n)
			return -1;
		unsigned t = p[i + 1];
		if (t < 0x40 || t == 0x7f || t == 0xff)
			return -1;
		if (c >= 0xb0 && c <= 0xd7 && t >= 0xa1)	/* GB2312 level 1 */
			s += 8;
		else if (c >= 0xd8 && c <= 0xf7 && t >= 0xa1)	/* level 2 */
			s += 3;
		else if (c >= 0xa1 && c <= 0xa9 && t >= 0xa1)	/* symbols */
			s += 2;
		i += 2;
	}
	return s;
}

static int
score_cp949(const unsigned char *p, size_t n)
{
	size_t i = 0;
	int s = 0;

	while (i < n) {
		unsigned c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c == 0x80 || c == 0xff || c == 0xc9 || c == 0xfe || i + 1 >= n)
			return -1;
		unsigned t = p[i + 1];
		if (!((t >= 0x41 && t <= 0x5a) || (t >= 0x61 && t <= 0x7a) ||
		    (t >= 0x81 && t <= 0xfe)))
			return -1;
		if (c >= 0xb0 && c <= 0xc8 && t >= 0xa1)	/* KS X 1001 Hangul */
			s += 9;
		else if (c <= 0xc6 && t < 0xa1)		/* UHC extra Hangul */
			s += 2;
		else if (c >= 0xa1 && c <= 0xac && t >= 0xa1)	/* symbols, jamo */
			s += 2;
		i += 2;
	}
	return s;
}

static int
score_cp866(const unsigned char *p, size_t n)
{
	size_t i;
	int s = 0;

	for (i = 0; i < n; i++) {
		unsigned c = p[i];
		if (c < 0x80)
			continue;
		if ((c >= 0xa0 && c <= 0xaf) || (c >= 0xe0 && c <= 0xef))
			s += 4;				/* lower case */
		else if (c <= 0x9f)
			s += 3;				/* upper case */
		else if (c == 0xf0 || c == 0xf1)
			s += 2;				/* Yo */
		else
			s -= 8;				/* box drawing */
	}
	return s < 0 ? 0 : s;
}

static int
score_koi8r(const unsigned char *p, size_t n)
{
	size_t i;
	int s = 0;

	for (i = 0; i < n; i++) {
		unsigned c = p[i];
		if (c < 0x80)
			continue;
		if (c >= 0xc0 && c <= 0xdf)
			s += 4;				/* lower case */
		else if (c >= 0xe0)
			s += 3;				/* upper case */
		else if (c == 0xa3 || c == 0xb3)
			s += 2;				/* Yo */
		else
			s -= 8;				/* box drawing */
	}
	return s < 0 ? 0 : s;
}

/*
 * Characters frequent in file names written in each language: a decoded
 * name that holds them scores higher.  The byte ranges alone cannot tell
 * a Korean name from a Chinese or Japanese one (all three use the same
 * two-byte grid), these can.
 */
static const char common_ja[] =
    "日本語漢字一覧表新規画像写真資料版修正最終確認背景原画動仕上撮影絵"
    "作品設定話第話素材名前社内外部用";
static const char common_zh[] =
    "中文的一是不了人我在有这大来上国个到说们为和你地出道时年件图片新建"
    "名称资料视频场镜头稿终版修改确认背景动画渲染作品目录";
static const char common_ko[] =
    "한국이다는의에하고가을지기리사서로자대어수도정나시인아요해스것들"
    "그제미파일새폴더문서사진영상작업최종수정본배경화면장면컷편집";

struct candidate {
	const char *name;		/* as recorded */
	const char *iconv;		/* as glibc's iconv knows it */
	int (*score)(const unsigned char *, size_t);
	int per_byte;			/* one-byte set: score per byte */
	const char *common;		/* frequent characters (UTF-8) */
};

/* In order of preference on equal scores. */
static const struct candidate candidates[] = {
	{ "CP932", "CP932", score_sjis, 0, common_ja },
	{ "EUC-JP", "EUC-JP", score_eucjp, 0, common_ja },
	{ "KOI8-R", "KOI8-R", score_koi8r, 1, NULL },
	{ "CP866", "CP866", score_cp866, 1, NULL },
	{ "GBK", "GBK", score_gbk, 0, common_zh },
	{ "CP949", "CP949", score_cp949, 0, common_ko },
};

/* How many characters of the UTF-8 text are in the list. */
static long
common_count(const char *text, size_t len, const char *list)
{
	size_t i = 0, n;
	long hits = 0;

	while (i < len) {
		unsigned char c = (unsigned char)text[i];
		n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
		if (n > len - i)
			break;
		if (n == 3) {
			char ch[4] = { text[i], text[i + 1], text[i + 2], 0 };
			if (strstr(list, ch) != NULL)
				hits++;
		}
		i += n;
	}
	return hits;
}

static int
decode(const char *set, const char *name, size_t len, struct prov_buf *out)
{
	iconv_t cd = iconv_open("UTF-8", set);
	char *in = (char *)(uintptr_t)name;	/* iconv's prototype lacks const */
	size_t inleft = len;
	int rc = 0;

	if (cd == (iconv_t)-1)
		return -1;
	prov_buf_grow(out, len * 4 + 4);
	while (inleft > 0) {
		char *o = out->buf + out->len;
		size_t oleft = out->alloc - out->len - 1;
		size_t r = iconv(cd, &in, &inleft, &o, &oleft);
		out->len = (size_t)(o - out->buf);
		if (r == (size_t)-1 && errno == E2BIG) {
			prov_buf_grow(out, len * 4 + 4);
			continue;
		}
		if (r == (size_t)-1) {
			rc = -1;
			break;
		}
	}
	out->buf[out->len] = '\0';
	iconv_close(cd);
	return rc;
}

const char *
charset_guess(const char *name, size_t len, struct prov_buf *decoded)
{
	const unsigned char *p = (const unsigned char *)name;
	struct prov_buf tmp = PROV_BUF_INIT;
	size_t i, high = 0, k;
	const char *best = NULL;
	long top = 0;

	for (i = 0; i < len; i++)
		high += p[i] >= 0x80;
	if (high == 0)
		return NULL;
	for (k = 0; k < sizeof(candidates) / sizeof(candidates[0]); k++) {
		const struct candidate *c = &candidates[k];
		int s = c->score(p, len);
		long norm;

		if (s <= 0)
			continue;
		prov_buf_reset(&tmp);
		if (decode(c->iconv, name, len, &tmp) != 0)
			continue;
		if (c->common != NULL)
			s += 8 * (int)common_count(tmp.buf, tmp.len, c->common);
		/* per high byte: a two-byte character covers two of them, so a
		 * very common character scores 8 per two bytes, 4 per byte */
		norm = (long)s * 100 / (long)high;
		if (norm <= top)
			continue;
		top = norm;
		best = c->name;
		if (decoded != NULL) {
			decoded->len = 0;
			prov_buf_add(decoded, tmp.buf, tmp.len);
		}
	}
	prov_buf_release(&tmp);
	return best;
}

unsigned
name_unsafe(const char *name, size_t len)
{
	unsigned m = 0;
	size_t i, start = 0;

	if (len > 0 && (name[0] == '/' || name[0] == '\\'))
		m |= UNSAFE_ABSOLUTE;
	if (len > 2 && ((name[0] | 0x20) >= 'a' && (name[0] | 0x20) <= 'z') &&
	    name[1] == ':' && (name[2] == '/' || name[2] == '\\'))
		m |= UNSAFE_ABSOLUTE;	/* a drive letter */
	for (i = 0; i <= len; i++) {
		if (i == len || name[i] == '/' || name[i] == '\\') {
			if (i - start == 2 && name[start] == '.' && name[start + 1] == '.')
				m |= UNSAFE_DOTDOT;
			start = i + 1;
			continue;
		}
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			m |= UNSAFE_CONTROL;
	}
	return m;
}
