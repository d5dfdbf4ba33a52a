/*
 * report.c: the producer's delivery report.
 *
 * A delivery's records are traced as found copies are (trace.c, with
 * delivery set, so the indicators are judged for a file about to go out),
 * the ledger is audited (audit.c), and each file is judged by the checks
 * below.  The report is one JSON object; the writers render it as text,
 * Markdown and HTML.  Nothing here prints: the writers write to the FILE
 * they are given.
 *
 *   records     every file has a ledger record: its bytes or its pixels
 *               are a handoff's artifact (a perceptual match is a derived
 *               copy, not a record), or it is a member of an archive whose
 *               bytes are; a file that could not be read fails.
 *   custody     no handoff on the file's custody left the approved chain.
 *   indicators  no indicator names a party without approval, or (of the
 *               types that point at a person, machine or place) a party
 *               the ledger does not know and the record did not carry.
 *   ledger      the audit of the whole ledger found nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <png.h>

#include "prov.h"
#include "thumb.h"
#include "banned.h"

#define MAX_FINDINGS 100	/* audit findings kept in a report */
#define MAX_TABLE 10000		/* rows of the all-files tables (HTML, Markdown) */
#define LABEL_MAX 28		/* characters of a party name in the graph */

void
prov_report_opts_default(struct prov_report_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->pdq_max = PROV_PDQIDX_DEFAULT_DISTANCE;
	o->threads = 1;
	o->max_thumbnails = 50;
	o->thumb_size = 160;
	prov_limits_default(&o->limits);
}

static const char *
jstr(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "";
}

static int
is(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* ------------------------------------------------------------ handoff */

int
prov_report_handoff_records(const char *ledger_path, uint64_t seq, json_t **out,
    struct prov_err *e)
{
	struct prov_ledger *l;
	struct prov_buf b = PROV_BUF_INIT;
	json_t *entry, *arts;
	int rc;

	*out = NULL;
	if ((rc = prov_ledger_open(&l, ledger_path, PROV_LEDGER_READONLY, e)) != PROV_OK)
		return rc;
	if (seq >= prov_ledger_size(l)) {
		prov_ledger_close(l);
		return prov_seterr(e, PROV_FAILED, 0, "entry %" PRIu64 ": no such entry", seq);
	}
	if ((rc = prov_ledger_entry(l, seq, &b, e)) != PROV_OK) {
		prov_ledger_close(l);
		return rc == PROV_OK ? PROV_FATAL : rc;
	}
	prov_ledger_close(l);
	entry = json_loadb(b.buf, b.len, 0, NULL);
	prov_buf_release(&b);
	if (!json_is_object(entry)) {
		json_decref(entry);
		return prov_seterr(e, PROV_FATAL, 0, "entry %" PRIu64 ": not JSON", seq);
	}
	arts = json_object_get(json_object_get(json_object_get(entry, "body"), "manifest"),
	    "artifacts");
	if (!is(jstr(entry, "type"), "handoff") || !json_is_array(arts)) {
		json_decref(entry);
		return prov_seterr(e, PROV_FAILED, 0, "entry %" PRIu64 ": not a handoff", seq);
	}
	*out = json_deep_copy(arts);
	json_decref(entry);
	return PROV_OK;
}

/* --------------------------------------------------------- thumbnails */

/* The observer of decoded images: only the first image of a file is
 * kept, as a display-referred RGB (or grey) thumbnail. */
struct thumb {
	unsigned size;
	int done;
	unsigned w, h, nch;
	unsigned char *px;	/* w * h * nch */
	struct prov_err err;
};

static _Thread_local struct thumb *observer;

/* A view of one colour channel of img as its only, luminance channel, so
 * that prov_pdq_image_luma() brings it to 8-bit display values exactly as
 * it does for PDQ (display window, sRGB encoding of scene-linear floats). */
static int
plane8(const struct prov_image *img, int c, float **out, uint32_t *w, uint32_t *h,
    struct prov_err *e)
{
	struct prov_image view = *img;
	struct prov_channel ch = img->channels[c];
	char yname[] = "Y";

	ch.name = yname;
	view.nchannels = 1;
	view.channels = &ch;
	return prov_pdq_image_luma(&view, NULL, out, w, h, e);
}

/* Box-filters a W x H plane of 0..255 floats into channel k of t. */
static void
shrink(struct thumb *t, unsigned k, const float *p, uint32_t W, uint32_t H)
{
	unsigned x, y;

	for (y = 0; y < t->h; y++) {
		uint64_t y0 = (uint64_t)y * H / t->h, y1 = ((uint64_t)y + 1) * H / t->h;
		if (y1 <= y0)
			y1 = y0 + 1;
		for (x = 0; x < t->w; x++) {
			uint64_t x0 = (uint64_t)x * W / t->w, x1 = ((uint64_t)x + 1) * W / t->w;
			uint64_t i, j;
			double sum = 0;
			if (x1 <= x0)
				x1 = x0 + 1;
			for (j = y0; j < y1; j++)
				for (i = x0; i < x1; i++)
					sum += p[j * W + i];
			sum /= (double)((y1 - y0) * (x1 - x0));
			t->px[((size_t)y * t->w + x) * t->nch + k] =
			    (unsigned char)(sum < 0 ? 0 : sum > 255 ? 255 : sum + 0.5);
		}
	}
}

void
thumb_observe(const struct prov_image *img)
{
	struct thumb *t = observer;
	int ch[3], nch, k;
	uint32_t W = 0, H = 0;

	if (t == NULL || t->done)
		return;
	t->done = 1;
	ch[0] = prov_image_find(img, "R");
	ch[1] = prov_image_find(img, "G");
	ch[2] = prov_image_find(img, "B");
	nch = 3;
	if (ch[0] < 0 || ch[1] < 0 || ch[2] < 0) {
		/* Luminance, else the first channel shown as grey (a lone G,
		 * a depth or a mask). */
		if ((ch[0] = prov_image_find(img, "Y")) < 0)
			ch[0] = 0;
		if (img->nchannels == 0) {
			prov_seterr(&t->err, PROV_FAILED, 0, "no channel");
			return;
		}
		nch = 1;
	}
	for (k = 0; k < nch; k++) {
		float *p;
		uint32_t w, h;

		if (img->channels[ch[k]].x_sampling != 1 || img->channels[ch[k]].y_sampling != 1) {
			prov_seterr(&t->err, PROV_FAILED, 0, "subsampled colour");
			return;
		}
		if (plane8(img, ch[k], &p, &w, &h, &t->err) != PROV_OK) {
			if (t->err.code == PROV_OK)
				prov_seterr(&t->err, PROV_FAILED, 0, "no displayable plane");
			return;
		}
		if (k == 0) {
			W = w;
			H = h;
			if (W >= H) {
				t->w = W < t->size ? W : t->size;
				t->h = (unsigned)(((uint64_t)H * t->w + W / 2) / W);
			} else {
				t->h = H < t->size ? H : t->size;
				t->w = (unsigned)(((uint64_t)W * t->h + H / 2) / H);
			}
			if (t->w < 1)
				t->w = 1;
			if (t->h < 1)
				t->h = 1;
			t->nch = (unsigned)nch;
			t->px = prov_xcalloc((size_t)t->w * t->h, (size_t)nch);
		}
		if (w == W && h == H)
			shrink(t, (unsigned)k, p, W, H);
		free(p);
	}
}

struct png_out {
	struct prov_buf *b;
	char msg[200];
	jmp_buf jb;
};

static void
png_write(png_structp png, png_bytep data, size_t n)
{
	struct png_out *o = png_get_io_ptr(png);

	prov_buf_add(o->b, data, n);
}

static void
png_flush_none(png_structp png)
{
	(void)png;
}

static void
png_fail(png_structp png, png_const_charp msg)
{
	struct png_out *o = png_get_error_ptr(png);

	snprintf(o->msg, sizeof(o->msg), "%s", msg);
	longjmp(o->jb, 1);
}

static void
png_warn(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

/* Everything libpng touches after setjmp lives in o and t. */
static int
encode_png(const struct thumb *t, struct prov_buf *b, struct prov_err *e)
{
	struct png_out o;
	png_structp png;
	png_infop info = NULL;
	unsigned y;

	memset(&o, 0, sizeof(o));
	o.b = b;
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &o, png_fail, png_warn);
	if (png == NULL || (info = png_create_info_struct(png)) == NULL) {
		png_destroy_write_struct(&png, NULL);
		return prov_seterr(e, PROV_FAILED, ENOMEM, "png: out of memory");
	}
	if (setjmp(o.jb)) {
		png_destroy_write_struct(&png, &info);
		return prov_seterr(e, PROV_FAILED, 0, "png: %s", o.msg);
	}
	png_set_write_fn(png, &o, png_write, png_flush_none);
	png_set_IHDR(png, info, t->w, t->h, 8, t->nch == 3 ? PNG_COLOR_TYPE_RGB :
	    PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
	    PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (y = 0; y < t->h; y++)
		png_write_row(png, t->px + (size_t)y * t->w * t->nch);
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	return PROV_OK;
}

int
prov_report_thumbnail(const char *path, size_t len, unsigned size,
    const struct prov_limits *lim, struct prov_buf *png, unsigned *w, unsigned *h,
    struct prov_err *e)
{
	struct prov_buf name = PROV_BUF_INIT, shown = PROV_BUF_INIT;
	const struct prov_format *best = NULL;
	struct prov_fp_opts fo;
	struct prov_record rec;
	struct prov_blob blob;
	struct thumb t;
	struct prov_err fe = { 0 };
	struct stat st;
	void *map;
	int fd, rc = PROV_OK, top = 0;
	size_t i;

	prov_buf_add(&name, path, len);
	prov_escape(&shown, path, len);
	memset(&t, 0, sizeof(t));
	t.size = size ? size : 160;
	fd = open(name.buf, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		rc = prov_seterr(e, PROV_FAILED, fd < 0 ? errno : 0, "%s: not a readable file",
		    shown.buf);
		if (fd >= 0)
			close(fd);
		goto out;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		rc = prov_seterr(e, PROV_FAILED, errno, "%s: mmap", shown.buf);
		goto out;
	}
	for (i = 0; prov_formats[i] != NULL; i++) {
		int bid = prov_formats[i]->bid(map, (size_t)st.st_size);
		if (bid > top) {
			top = bid;
			best = prov_formats[i];
		}
	}
	if (best == NULL) {
		munmap(map, (size_t)st.st_size);
		rc = prov_seterr(e, PROV_FAILED, 0, "%s: not an image", shown.buf);
		goto out;
	}
	prov_fp_opts_default(&fo);
	if (lim)
		fo.limits = *lim;
	fo.pdq = 0;
	blob.data = map;
	blob.len = (size_t)st.st_size;
	blob.name = shown.buf;
	prov_record_init(&rec);
	prov_buf_add(&rec.path, path, len);
	observer = &t;
	best->fingerprint(&blob, &fo, &rec, &fe);
	observer = NULL;
	prov_record_release(&rec);
	munmap(map, (size_t)st.st_size);
	if (t.px == NULL) {
		rc = prov_seterr(e, PROV_FAILED, 0, "%s: %s", shown.buf, t.err.code ? t.err.msg :
		    fe.code ? fe.msg : "no image decoded");
		goto out;
	}
	if ((rc = encode_png(&t, png, e)) == PROV_OK) {
		*w = t.w;
		*h = t.h;
	}
out:
	prov_image_planes_release();
	free(t.px);
	prov_buf_release(&name);
	prov_buf_release(&shown);
	return rc;
}

/* ------------------------------------------------------------- judging */

struct findings {
	json_t *list;
	uint64_t total;
};

static void
on_finding(void *ctx, const char *finding)
{
	struct findings *f = ctx;
	json_t *o = json_object();

	f->total++;
	if (json_array_size(f->list) < MAX_FINDINGS) {
		prov_json_set_name(o, "text", finding, strlen(finding));
		json_array_append(f->list, json_object_get(o, "text"));
	}
	json_decref(o);
}

static int
audit(const char *ledger_path, json_t **out, int *pass, struct prov_err *e)
{
	struct prov_audit_opts ao;
	struct prov_audit_result res;
	struct findings f = { json_array(), 0 };
	struct prov_ledger *l;
	char root[2 * PROV_HASH_LEN + 1];
	int rc;

	memset(&ao, 0, sizeof(ao));
	memset(&res, 0, sizeof(res));
	ao.report = on_finding;
	ao.report_ctx = &f;
	if ((rc = prov_ledger_open(&l, ledger_path, PROV_LEDGER_READONLY, e)) != PROV_OK) {
		json_decref(f.list);
		return rc;
	}
	rc = prov_audit_ledger(l, NULL, &ao, &res, e);
	prov_ledger_close(l);
	if (rc == PROV_FATAL) {
		json_decref(f.list);
		return rc;
	}
	prov_hex(res.root, PROV_HASH_LEN, root);
	*pass = rc == PROV_OK && f.total == 0;
	*out = json_pack("{s:s,s:I,s:I,s:I,s:s,s:o,s:I}", "path", "",
	    "entries", (json_int_t)res.entries, "verified", (json_int_t)res.verified,
	    "checkpoints", (json_int_t)res.checkpoints, "root", root,
	    "findings", f.list, "findings_total", (json_int_t)f.total);
	prov_json_set_name(*out, "path", ledger_path, strlen(ledger_path));
	return PROV_OK;
}

static int
is_image_kind(const char *k)
{
	return is(k, "exr") || is(k, "png") || is(k, "tiff") || is(k, "jpeg") || is(k, "webp");
}

/* The raw name of a trace result (its "found", or the bytes behind it). */
static void
raw_name(const json_t *r, struct prov_buf *b)
{
	const char *hex = json_string_value(json_object_get(r, "found_bytes"));
	size_t n;

	if (hex && (n = strlen(hex)) % 2 == 0) {
		prov_buf_grow(b, n / 2);
		if (prov_unhex(hex, (unsigned char *)b->buf, n / 2) == 0) {
			b->len = n / 2;
			b->buf[b->len] = '\0';
			return;
		}
	}
	prov_buf_addstr(b, jstr(r, "found"));
}

/* One file of the report from its trace result r; *counted is 0 for a
 * container (its members are judged). */
static json_t *
judge(json_t *r, json_t *archives, int *counted, int prob[3])
{
	const char *verdict = jstr(r, "verdict"), *how;
	json_t *m = json_object_get(r, "match"), *v;
	json_t *f = json_object(), *problems = json_array(), *a;
	const char *key;
	size_t i;

	json_object_set(f, "path", json_object_get(r, "found"));
	if ((v = json_object_get(r, "found_bytes")) != NULL)
		json_object_set(f, "path_bytes", v);
	json_object_set_new(f, "kind", json_string(jstr(r, "kind")));
	if ((v = json_object_get(r, "sha256")) != NULL)
		json_object_set(f, "sha256", v);
	json_object_set_new(f, "verdict", json_string(verdict));
	*counted = !is(verdict, "container");
	prob[0] = prob[1] = prob[2] = 0;
	how = m ? jstr(m, "how") : "";
	if (is(verdict, "error")) {
		json_array_append_new(problems, json_string("error"));
		json_object_set(f, "error", json_object_get(r, "error"));
		prob[0] = 1;
	} else if (is(verdict, "untraced")) {
		/* A member of an archive the ledger has is covered by it. */
		json_object_foreach(archives, key, v) {
			size_t kl = strlen(key);
			if (strncmp(jstr(r, "found"), key, kl) == 0 &&
			    strncmp(jstr(r, "found") + kl, "!/", 2) == 0) {
				json_object_set_new(f, "in_archive", json_string(key));
				json_object_set_new(f, "verdict", json_string(jstr(v, "verdict")));
				if (is(jstr(v, "verdict"), "left-chain"))
					prob[1] = 1;
				break;
			}
		}
		if (json_object_get(f, "in_archive") == NULL) {
			json_array_append_new(problems, json_string("no-record"));
			prob[0] = 1;
		} else if (prob[1])
			json_array_append_new(problems, json_string("left-chain"));
	} else if (m && is(how, "perceptual")) {
		json_array_append_new(problems, json_string("perceptual-only"));
		prob[0] = 1;
	}
	if (is(verdict, "no-custody")) {
		json_array_append_new(problems, json_string("no-handoff"));
		prob[0] = 1;
	}
	if (is(verdict, "left-chain")) {
		json_array_append_new(problems, json_string("left-chain"));
		prob[1] = 1;
	}
	if (json_array_size(json_object_get(r, "indicators"))) {
		json_array_append_new(problems, json_string("indicator"));
		prob[2] = 1;
	}
	json_object_set_new(f, "ok", json_boolean(!(prob[0] || prob[1] || prob[2])));
	json_object_set_new(f, "problems", problems);
	if (m) {
		a = json_pack("{s:s,s:O}", "how", how, "total", json_object_get(m, "total"));
		if ((v = json_object_get(m, "distance")) != NULL)
			json_object_set(a, "distance", v);
		if ((v = json_object_get(m, "transform")) != NULL)
			json_object_set(a, "transform", v);
		if ((v = json_array_get(json_object_get(m, "artifacts"), 0)) != NULL) {
			json_object_set(a, "entry", json_object_get(v, "entry"));
			json_object_set(a, "artifact", json_object_get(v, "artifact"));
			if (json_object_get(v, "path"))
				json_object_set(a, "artifact_path", json_object_get(v, "path"));
		}
		json_object_set_new(f, "match", a);
	}
	if (json_is_string(v = json_object_get(r, "last_approved")))
		json_object_set(f, "last_approved", v);
	if (json_is_object(v = json_object_get(r, "exit")))
		json_object_set(f, "exit", v);
	json_object_set_new(f, "indicators", json_array());
	json_array_foreach(json_object_get(r, "indicators"), i, v)
		json_array_append(json_object_get(f, "indicators"), v);
	return f;
}

static json_t *
check(const char *name, int pass, uint64_t failed, uint64_t total, const char *detail)
{
	return json_pack("{s:s,s:b,s:I,s:I,s:s}", "name", name, "pass", pass,
	    "failed", (json_int_t)failed, "total", (json_int_t)total, "detail", detail);
}

int
prov_report_build(const char *ledger_path, const json_t *delivery, json_t *const *recs,
    size_t n, const struct prov_report_opts *opts, json_t **out, struct prov_err *e)
{
	struct prov_report_opts o;
	struct prov_trace_opts to;
	struct prov_trace *t;
	json_t *results, *files, *archives, *r, *led, *checks, *rep;
	uint64_t total = 0, bad[3] = { 0, 0, 0 }, thumbs = 0;
	struct prov_buf d = PROV_BUF_INIT;
	size_t i;
	int rc, ledger_ok = 0, pass;

	*out = NULL;
	if (opts)
		o = *opts;
	else
		prov_report_opts_default(&o);
	prov_trace_opts_default(&to);
	to.pdq_max = o.pdq_max;
	to.threads = o.threads ? o.threads : 1;
	to.delivery = 1;
	if ((rc = prov_trace_open(&t, ledger_path, &to, NULL, e)) != PROV_OK)
		return rc;
	rc = prov_trace_records(t, recs, n, &results, e);
	prov_trace_close(t);
	if (rc != PROV_OK)
		return rc;
	if ((rc = audit(ledger_path, &led, &ledger_ok, e)) != PROV_OK) {
		json_decref(results);
		return rc;
	}
	/* Archives the ledger has: their members are covered. */
	archives = json_object();
	json_array_foreach(results, i, r)
		if (is(jstr(r, "kind"), "archive") && json_object_get(r, "match") &&
		    !is(jstr(json_object_get(r, "match"), "how"), "perceptual"))
			json_object_set(archives, jstr(r, "found"), r);
	files = json_array();
	json_array_foreach(results, i, r) {
		int counted, prob[3], k;
		json_t *f = judge(r, archives, &counted, prob);

		if (counted) {
			total++;
			for (k = 0; k < 3; k++)
				bad[k] += (uint64_t)prob[k];
		}
		if (!json_is_true(json_object_get(f, "ok")) && thumbs < o.max_thumbnails &&
		    is_image_kind(jstr(f, "kind"))) {
			struct prov_buf name = PROV_BUF_INIT, png = PROV_BUF_INIT;
			struct prov_err te = { 0 };
			unsigned w, h;

			raw_name(r, &name);
			if (prov_report_thumbnail(name.buf, name.len, o.thumb_size, &o.limits, &png,
			    &w, &h, &te) == PROV_OK) {
				struct prov_buf uri = PROV_BUF_INIT;

				prov_buf_addstr(&uri, "data:image/png;base64,");
				prov_base64_encode(png.buf, png.len, &uri);
				json_object_set_new(f, "thumbnail", json_pack("{s:i,s:i,s:s}",
				    "width", (int)w, "height", (int)h, "png", uri.buf));
				prov_buf_release(&uri);
				thumbs++;
			}
			prov_buf_release(&png);
			prov_buf_release(&name);
		}
		json_array_append_new(files, f);
	}
	checks = json_array();
	prov_buf_reset(&d);
	if (total == 0)
		prov_buf_addstr(&d, "the delivery holds no file");
	else if (bad[0])
		prov_buf_addf(&d, "%" PRIu64 " of %" PRIu64 " files %s no ledger record",
		    bad[0], total, bad[0] == 1 ? "has" : "have");
	else
		prov_buf_addf(&d, "%" PRIu64 " of %" PRIu64 " files recorded", total, total);
	json_array_append_new(checks, check("records", total > 0 && bad[0] == 0, bad[0], total,
	    d.buf));
	prov_buf_reset(&d);
	if (bad[1])
		prov_buf_addf(&d, "%" PRIu64 " file%s went through a handoff no approval covered",
		    bad[1], bad[1] == 1 ? "" : "s");
	else
		prov_buf_addstr(&d, "every handoff on the files' paths was approved");
	json_array_append_new(checks, check("custody", bad[1] == 0, bad[1], total, d.buf));
	prov_buf_reset(&d);
	if (bad[2])
		prov_buf_addf(&d, "%" PRIu64 " file%s indicators of a party no approval names",
		    bad[2], bad[2] == 1 ? " carries" : "s carry");
	else
		prov_buf_addstr(&d, "no indicator of an unknown party");
	json_array_append_new(checks, check("indicators", bad[2] == 0, bad[2], total, d.buf));
	prov_buf_reset(&d);
	prov_buf_addf(&d, "%" JSON_INTEGER_FORMAT " entries, %" JSON_INTEGER_FORMAT
	    " verified, %" JSON_INTEGER_FORMAT " checkpoints, %" JSON_INTEGER_FORMAT " findings",
	    json_integer_value(json_object_get(led, "entries")),
	    json_integer_value(json_object_get(led, "verified")),
	    json_integer_value(json_object_get(led, "checkpoints")),
	    json_integer_value(json_object_get(led, "findings_total")));
	json_array_append_new(checks, check("ledger", ledger_ok,
	    (uint64_t)json_integer_value(json_object_get(led, "findings_total")),
	    (uint64_t)json_integer_value(json_object_get(led, "entries")), d.buf));
	prov_buf_release(&d);
	pass = total > 0 && bad[0] == 0 && bad[1] == 0 && bad[2] == 0 && ledger_ok;
	rep = json_pack("{s:i,s:s,s:o,s:o,s:o,s:I,s:o,s:o}", "version", 1,
	    "verdict", pass ? "pass" : "fail",
	    "delivery", delivery ? json_deep_copy(delivery) : json_object(),
	    "ledger", led, "checks", checks, "thumbnails", (json_int_t)thumbs,
	    "files", files, "graph", prov_trace_graph(results));
	json_decref(archives);
	json_decref(results);
	*out = rep;
	return PROV_OK;
}

/* ------------------------------------------------------------- writers */

/* Escaped for a terminal (prov_escape). */
static void
esc_text(struct prov_buf *b, const char *s)
{
	prov_escape(b, s, strlen(s));
}

/* Escaped for HTML text and attribute values. */
static void
esc_html(struct prov_buf *b, const char *s)
{
	struct prov_buf t = PROV_BUF_INIT;
	size_t i;

	prov_escape(&t, s, strlen(s));
	for (i = 0; i < t.len; i++)
		switch (t.buf[i]) {
		case '&': prov_buf_addstr(b, "&amp;"); break;
		case '<': prov_buf_addstr(b, "&lt;"); break;
		case '>': prov_buf_addstr(b, "&gt;"); break;
		case '"': prov_buf_addstr(b, "&quot;"); break;
		case '\'': prov_buf_addstr(b, "&#39;"); break;
		default: prov_buf_addch(b, t.buf[i]);
		}
	prov_buf_release(&t);
}

/* Escaped for Markdown: every ASCII punctuation character gets a
 * backslash (CommonMark), so no name opens a link, an emphasis, raw HTML
 * or a table cell. */
static void
esc_md(struct prov_buf *b, const char *s)
{
	struct prov_buf t = PROV_BUF_INIT;
	size_t i;

	prov_escape(&t, s, strlen(s));
	for (i = 0; i < t.len; i++) {
		if (strchr("\\`*_{}[]()<>#+-.!|~&:", t.buf[i]) && t.buf[i] != '\0')
			prov_buf_addch(b, '\\');
		prov_buf_addch(b, t.buf[i]);
	}
	prov_buf_release(&t);
}

static int
flush_buf(FILE *fp, struct prov_buf *b)
{
	int rc = fwrite(b->buf, 1, b->len, fp) == b->len ? 0 : -1;

	prov_buf_release(b);
	if (fflush(fp) == EOF || ferror(fp))
		rc = -1;
	return rc;
}

static const char *problem_text[][2] = {
	{ "error", "could not be read" },
	{ "no-record", "no ledger record" },
	{ "perceptual-only", "only a perceptual match (a derived copy, not a record)" },
	{ "no-handoff", "recorded in no handoff" },
	{ "left-chain", "left the approved chain" },
	{ "indicator", "carries indicators of an unknown party" },
};

static const char *
problem(const char *p)
{
	size_t i;

	for (i = 0; i < sizeof(problem_text) / sizeof(problem_text[0]); i++)
		if (is(p, problem_text[i][0]))
			return problem_text[i][1];
	return p;
}

typedef void (*esc_fn)(struct prov_buf *, const char *);

/* The verdict line's words. */
static void
verdict_line(struct prov_buf *b, const json_t *rep)
{
	const json_t *c;
	size_t i, failed = 0, files = 0;

	json_array_foreach(json_object_get(rep, "checks"), i, c)
		failed += !json_is_true(json_object_get(c, "pass"));
	json_array_foreach(json_object_get(rep, "files"), i, c)
		files += !is(jstr(c, "verdict"), "container");
	prov_buf_addf(b, "%s: %zu file%s, ", is(jstr(rep, "verdict"), "pass") ? "PASS" : "FAIL",
	    files, files == 1 ? "" : "s");
	if (failed)
		prov_buf_addf(b, "%zu of 4 checks failed", failed);
	else
		prov_buf_addstr(b, "every check passed");
}

/* A file's details in one line (after its name), escaped by esc. */
static void
file_details(struct prov_buf *b, const json_t *f, esc_fn esc)
{
	const json_t *p, *m = json_object_get(f, "match"), *x;
	size_t i;

	json_array_foreach(json_object_get(f, "problems"), i, p) {
		prov_buf_addstr(b, i ? "; " : "");
		prov_buf_addstr(b, problem(json_string_value(p)));
	}
	if (json_object_get(f, "error")) {
		prov_buf_addstr(b, " (");
		esc(b, jstr(f, "error"));
		prov_buf_addstr(b, ")");
	}
	if (m)
		prov_buf_addf(b, "; matched by %s, handoff artifact in entry %" JSON_INTEGER_FORMAT,
		    jstr(m, "how"), json_integer_value(json_object_get(m, "entry")));
	if (json_object_get(f, "in_archive")) {
		prov_buf_addstr(b, "; inside ");
		esc(b, jstr(f, "in_archive"));
	}
	if (json_object_get(f, "last_approved")) {
		prov_buf_addstr(b, "; last approved custodian ");
		esc(b, jstr(f, "last_approved"));
	}
	if (json_is_object(x = json_object_get(f, "exit"))) {
		prov_buf_addf(b, "; exit: handoff %" JSON_INTEGER_FORMAT " ",
		    json_integer_value(json_object_get(x, "entry")));
		esc(b, jstr(x, "from"));
		prov_buf_addstr(b, " -> ");
		esc(b, jstr(x, "to"));
	}
}

static void
indicator_line(struct prov_buf *b, const json_t *x, esc_fn esc)
{
	prov_buf_addstr(b, "indicator ");
	esc(b, jstr(x, "type"));
	prov_buf_addstr(b, " ");
	esc(b, jstr(x, "value"));
	if (json_object_get(x, "field")) {
		prov_buf_addstr(b, " (");
		esc(b, jstr(x, "field"));
		prov_buf_addstr(b, ")");
	}
	if (json_object_get(x, "party")) {
		prov_buf_addstr(b, ": party ");
		esc(b, jstr(x, "party"));
		prov_buf_addstr(b, ", no approval");
	} else
		prov_buf_addstr(b, ": no known party");
}

int
prov_report_write_text(FILE *fp, const json_t *rep, int quiet)
{
	struct prov_buf b = PROV_BUF_INIT;
	const json_t *c, *f, *x;
	size_t i, k;

	verdict_line(&b, rep);
	prov_buf_addch(&b, '\n');
	json_array_foreach(json_object_get(rep, "checks"), i, c) {
		int pass = json_is_true(json_object_get(c, "pass"));
		if (quiet && pass)
			continue;
		prov_buf_addf(&b, "check %s: %s: %s\n", jstr(c, "name"), pass ? "ok" : "FAILED",
		    jstr(c, "detail"));
	}
	if (quiet)
		return flush_buf(fp, &b);
	json_array_foreach(json_object_get(json_object_get(rep, "ledger"), "findings"), i, x) {
		prov_buf_addstr(&b, "ledger: ");
		esc_text(&b, json_string_value(x));
		prov_buf_addch(&b, '\n');
	}
	json_array_foreach(json_object_get(rep, "files"), i, f) {
		struct prov_buf n = PROV_BUF_INIT;

		if (json_is_true(json_object_get(f, "ok")))
			continue;
		/* sha256sum's rule: a line whose name was escaped starts with '\\'. */
		if (prov_escape(&n, jstr(f, "path"), strlen(jstr(f, "path"))))
			prov_buf_addch(&b, '\\');
		prov_buf_add(&b, n.buf, n.len);
		prov_buf_release(&n);
		prov_buf_addstr(&b, ": ");
		file_details(&b, f, esc_text);
		prov_buf_addch(&b, '\n');
		json_array_foreach(json_object_get(f, "indicators"), k, x) {
			prov_buf_addstr(&b, "  ");
			indicator_line(&b, x, esc_text);
			prov_buf_addch(&b, '\n');
		}
	}
	return flush_buf(fp, &b);
}

int
prov_report_write_markdown(FILE *fp, const json_t *rep)
{
	struct prov_buf b = PROV_BUF_INIT;
	const json_t *c, *f, *x, *led = json_object_get(rep, "ledger");
	size_t i, k, rows = 0;

	prov_buf_addstr(&b, "# Delivery report: ");
	verdict_line(&b, rep);
	prov_buf_addstr(&b, "\n\nLedger `");
	/* Inside a code span only a backtick could end it: escaped names
	 * hold none raw, as prov_escape leaves them, so replace it. */
	{
		struct prov_buf t = PROV_BUF_INIT;
		esc_text(&t, jstr(led, "path"));
		for (k = 0; k < t.len; k++)
			prov_buf_addch(&b, t.buf[k] == '`' ? '\'' : t.buf[k]);
		prov_buf_release(&t);
	}
	prov_buf_addf(&b, "`, root `%s`.\n\n| Check | Result | Detail |\n|---|---|---|\n",
	    jstr(led, "root"));
	json_array_foreach(json_object_get(rep, "checks"), i, c)
		prov_buf_addf(&b, "| %s | %s | %s |\n", jstr(c, "name"),
		    json_is_true(json_object_get(c, "pass")) ? "pass" : "**FAIL**", jstr(c, "detail"));
	if (json_array_size(json_object_get(led, "findings"))) {
		prov_buf_addstr(&b, "\n## Ledger findings\n\n");
		json_array_foreach(json_object_get(led, "findings"), i, x) {
			prov_buf_addstr(&b, "- ");
			esc_md(&b, json_string_value(x));
			prov_buf_addch(&b, '\n');
		}
	}
	prov_buf_addstr(&b, "\n## Flagged files\n\n");
	k = 0;
	json_array_foreach(json_object_get(rep, "files"), i, f) {
		size_t j;
		if (json_is_true(json_object_get(f, "ok")))
			continue;
		k++;
		prov_buf_addstr(&b, "- ");
		esc_md(&b, jstr(f, "path"));
		prov_buf_addstr(&b, ": ");
		file_details(&b, f, esc_md);
		prov_buf_addch(&b, '\n');
		json_array_foreach(json_object_get(f, "indicators"), j, x) {
			prov_buf_addstr(&b, "  - ");
			indicator_line(&b, x, esc_md);
			prov_buf_addch(&b, '\n');
		}
	}
	if (k == 0)
		prov_buf_addstr(&b, "None.\n");
	prov_buf_addstr(&b, "\n## Custody\n\n");
	json_array_foreach(json_object_get(json_object_get(rep, "graph"), "edges"), i, x) {
		prov_buf_addf(&b, "- handoff %" JSON_INTEGER_FORMAT " %.10s ",
		    json_integer_value(json_object_get(x, "entry")), jstr(x, "time"));
		esc_md(&b, jstr(x, "from"));
		prov_buf_addstr(&b, " \\-\\> ");
		esc_md(&b, jstr(x, "to"));
		prov_buf_addstr(&b, " \\[");
		esc_md(&b, jstr(x, "project"));
		prov_buf_addf(&b, "\\]: %s\n", is(jstr(x, "chain"), "in") ? "approved" :
		    is(jstr(x, "chain"), "exit") ? "**left the approved chain**" :
		    "outside the approved chain");
	}
	prov_buf_addstr(&b, "\n## Files\n\n| File | Kind | Result | Last approved |\n"
	    "|---|---|---|---|\n");
	json_array_foreach(json_object_get(rep, "files"), i, f) {
		if (is(jstr(f, "verdict"), "container"))
			continue;
		if (rows++ == MAX_TABLE) {
			prov_buf_addstr(&b, "\n(more files in the JSON report)\n");
			break;
		}
		prov_buf_addstr(&b, "| ");
		esc_md(&b, jstr(f, "path"));
		prov_buf_addstr(&b, " | ");
		esc_md(&b, jstr(f, "kind"));
		prov_buf_addf(&b, " | %s | ", json_is_true(json_object_get(f, "ok")) ? "ok" :
		    "**flagged**");
		esc_md(&b, jstr(f, "last_approved"));
		prov_buf_addstr(&b, " |\n");
	}
	return flush_buf(fp, &b);
}

/* A party's name cut to LABEL_MAX characters (at a UTF-8 boundary). */
static void
label(struct prov_buf *b, const char *name)
{
	struct prov_buf t = PROV_BUF_INIT;
	size_t i, chars = 0;

	for (i = 0; name[i]; i++) {
		if (((unsigned char)name[i] & 0xc0) != 0x80 && ++chars > LABEL_MAX) {
			prov_buf_addstr(&t, "\xe2\x80\xa6");
			break;
		}
		prov_buf_addch(&t, name[i]);
	}
	esc_html(b, t.buf);
	prov_buf_release(&t);
}

#define BOX_W 190
#define BOX_H 44
#define COL_W 270
#define ROW_H 90

/* The custody graph as inline SVG: parties as boxes in columns by hop
 * depth, handoffs as arrows (green approved, red outside, thick red the
 * exits), each labelled with its entry. */
static void
svg(struct prov_buf *b, const json_t *graph)
{
	const json_t *parties = json_object_get(graph, "parties"), *p, *ed;
	json_t *pos = json_object(), *pairs = json_object();
	size_t i, rows[64] = { 0 }, maxrow = 0, maxdepth = 0;

	json_array_foreach(parties, i, p) {
		json_int_t d = json_integer_value(json_object_get(p, "depth"));
		size_t col = d < 0 ? 0 : d > 63 ? 63 : (size_t)d;
		json_object_set_new(pos, jstr(p, "name"), json_pack("[II]",
		    (json_int_t)(20 + col * COL_W), (json_int_t)(30 + rows[col] * ROW_H)));
		rows[col]++;
		if (rows[col] > maxrow)
			maxrow = rows[col];
		if (col > maxdepth)
			maxdepth = col;
	}
	prov_buf_addf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"graph\" width=\"%zu\""
	    " height=\"%zu\" role=\"img\" aria-label=\"custody graph\">\n"
	    "<defs><marker id=\"ag\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\""
	    " markerWidth=\"8\" markerHeight=\"8\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\""
	    " fill=\"#1a7f37\"/></marker><marker id=\"ar\" viewBox=\"0 0 10 10\" refX=\"10\""
	    " refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto\"><path"
	    " d=\"M0,0L10,5L0,10z\" fill=\"#cf222e\"/></marker></defs>\n",
	    json_array_size(parties) ? 40 + (maxdepth + 1) * COL_W : 200,
	    json_array_size(parties) ? 60 + maxrow * ROW_H : 60);
	if (json_array_size(parties) == 0)
		prov_buf_addstr(b, "<text x=\"10\" y=\"30\">no handoff</text>\n");
	json_array_foreach(json_object_get(graph, "edges"), i, ed) {
		const json_t *a = json_object_get(pos, jstr(ed, "from"));
		const json_t *c = json_object_get(pos, jstr(ed, "to"));
		const char *chain = jstr(ed, "chain");
		json_int_t ax, ay, cx, cy, k;
		double x1, y1, x2, y2, mx, my;
		struct prov_buf key = PROV_BUF_INIT;

		if (a == NULL || c == NULL)
			continue;
		ax = json_integer_value(json_array_get(a, 0));
		ay = json_integer_value(json_array_get(a, 1));
		cx = json_integer_value(json_array_get(c, 0));
		cy = json_integer_value(json_array_get(c, 1));
		/* Parallel handoffs between two parties fan out. */
		prov_buf_addf(&key, "%s\n%s", jstr(ed, "from"), jstr(ed, "to"));
		k = json_integer_value(json_object_get(pairs, key.buf));
		json_object_set_new(pairs, key.buf, json_integer(k + 1));
		prov_buf_release(&key);
		if (cx > ax) {
			x1 = (double)ax + BOX_W;
			x2 = (double)cx;
			y1 = (double)ay + BOX_H / 2.0;
			y2 = (double)cy + BOX_H / 2.0;
			mx = (x1 + x2) / 2;
			my = (y1 + y2) / 2 - (double)k * 18;
		} else {	/* back to an earlier column, or within one: below */
			x1 = (double)ax + BOX_W / 2.0 + 10;
			x2 = (double)cx + BOX_W / 2.0 - 10;
			y1 = (double)ay + BOX_H;
			y2 = (double)cy + BOX_H;
			mx = (x1 + x2) / 2;
			my = (y1 > y2 ? y1 : y2) + 30 + (double)k * 14;
		}
		prov_buf_addf(b, "<path class=\"edge %s\" d=\"M%.0f,%.0f Q%.0f,%.0f %.0f,%.0f\""
		    " fill=\"none\" stroke=\"%s\" stroke-width=\"%d\" marker-end=\"url(#%s)\"/>\n",
		    is(chain, "in") ? "in" : is(chain, "exit") ? "exit" : "outside",
		    x1, y1, 2 * mx - (x1 + x2) / 2, 2 * my - (y1 + y2) / 2, x2, y2,
		    is(chain, "in") ? "#1a7f37" : "#cf222e", is(chain, "exit") ? 3 : 1,
		    is(chain, "in") ? "ag" : "ar");
		prov_buf_addf(b, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\" class=\"el\""
		    " fill=\"%s\">#%" JSON_INTEGER_FORMAT "</text>\n", mx, my - 3,
		    is(chain, "in") ? "#1a7f37" : "#cf222e",
		    json_integer_value(json_object_get(ed, "entry")));
	}
	json_array_foreach(parties, i, p) {
		const json_t *xy = json_object_get(pos, jstr(p, "name"));
		json_int_t x = json_integer_value(json_array_get(xy, 0));
		json_int_t y = json_integer_value(json_array_get(xy, 1));

		prov_buf_addf(b, "<g class=\"party\"><title>");
		esc_html(b, jstr(p, "name"));
		prov_buf_addf(b, "</title><rect x=\"%" JSON_INTEGER_FORMAT "\" y=\"%"
		    JSON_INTEGER_FORMAT "\" width=\"%d\" height=\"%d\" rx=\"6\" fill=\"#f6f8fa\""
		    " stroke=\"#57606a\"/><text x=\"%" JSON_INTEGER_FORMAT "\" y=\"%"
		    JSON_INTEGER_FORMAT "\" text-anchor=\"middle\">", x, y, BOX_W, BOX_H,
		    x + BOX_W / 2, y + BOX_H / 2 + 5);
		label(b, jstr(p, "name"));
		prov_buf_addstr(b, "</text></g>\n");
	}
	prov_buf_addstr(b, "</svg>\n");
	json_decref(pos);
	json_decref(pairs);
}

int
prov_report_write_html(FILE *fp, const json_t *rep)
{
	struct prov_buf b = PROV_BUF_INIT;
	const json_t *c, *f, *x, *led = json_object_get(rep, "ledger");
	int pass = is(jstr(rep, "verdict"), "pass");
	size_t i, k, flagged = 0, rows = 0;

	prov_buf_addstr(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"
	    " img-src data:; style-src 'unsafe-inline'\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width\">\n<title>Delivery report: ");
	verdict_line(&b, rep);
	prov_buf_addstr(&b, "</title>\n<style>\n"
	    "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#1f2328}\n"
	    ".verdict{padding:.6em 1em;border-radius:6px;color:#fff;font-size:1.6em}\n"
	    ".pass{background:#1a7f37}.fail{background:#cf222e}\n"
	    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #d0d7de;"
	    "padding:.3em .6em;text-align:left;vertical-align:top}\n"
	    ".bad{color:#cf222e;font-weight:bold}.ok{color:#1a7f37}\n"
	    ".card{display:flex;gap:1em;border:1px solid #d0d7de;border-radius:6px;"
	    "padding:.6em;margin:.6em 0}.card img{border:1px solid #d0d7de;image-rendering:auto}\n"
	    ".name{font-family:monospace;word-break:break-all}\n"
	    "svg.graph text{font:13px sans-serif}svg.graph text.el{font-size:11px}\n"
	    "</style>\n</head>\n<body>\n");
	prov_buf_addf(&b, "<h1 class=\"verdict %s\">", pass ? "pass" : "fail");
	verdict_line(&b, rep);
	prov_buf_addstr(&b, "</h1>\n<p>Ledger <span class=\"name\">");
	esc_html(&b, jstr(led, "path"));
	prov_buf_addf(&b, "</span>, %" JSON_INTEGER_FORMAT " entries, root <span class=\"name\">"
	    "%s</span>.</p>\n<table>\n<tr><th>Check</th><th>Result</th><th>Detail</th></tr>\n",
	    json_integer_value(json_object_get(led, "entries")), jstr(led, "root"));
	json_array_foreach(json_object_get(rep, "checks"), i, c) {
		int ok = json_is_true(json_object_get(c, "pass"));
		prov_buf_addf(&b, "<tr><td>%s</td><td class=\"%s\">%s</td><td>", jstr(c, "name"),
		    ok ? "ok" : "bad", ok ? "pass" : "FAIL");
		esc_html(&b, jstr(c, "detail"));
		prov_buf_addstr(&b, "</td></tr>\n");
	}
	prov_buf_addstr(&b, "</table>\n");
	if (json_array_size(json_object_get(led, "findings"))) {
		prov_buf_addstr(&b, "<h2>Ledger findings</h2>\n<ul>\n");
		json_array_foreach(json_object_get(led, "findings"), i, x) {
			prov_buf_addstr(&b, "<li class=\"name\">");
			esc_html(&b, json_string_value(x));
			prov_buf_addstr(&b, "</li>\n");
		}
		prov_buf_addstr(&b, "</ul>\n");
	}
	prov_buf_addstr(&b, "<h2>Flagged files</h2>\n");
	json_array_foreach(json_object_get(rep, "files"), i, f) {
		const json_t *th = json_object_get(f, "thumbnail");

		if (json_is_true(json_object_get(f, "ok")))
			continue;
		flagged++;
		prov_buf_addstr(&b, "<div class=\"card\">");
		if (th)
			prov_buf_addf(&b, "<img src=\"%s\" width=\"%" JSON_INTEGER_FORMAT "\" height=\"%"
			    JSON_INTEGER_FORMAT "\" alt=\"thumbnail\">", jstr(th, "png"),
			    json_integer_value(json_object_get(th, "width")),
			    json_integer_value(json_object_get(th, "height")));
		prov_buf_addstr(&b, "<div><div class=\"name\">");
		esc_html(&b, jstr(f, "path"));
		prov_buf_addstr(&b, "</div><div class=\"bad\">");
		file_details(&b, f, esc_html);
		prov_buf_addstr(&b, "</div>");
		if (json_array_size(json_object_get(f, "indicators"))) {
			prov_buf_addstr(&b, "<ul>");
			json_array_foreach(json_object_get(f, "indicators"), k, x) {
				prov_buf_addstr(&b, "<li>");
				indicator_line(&b, x, esc_html);
				prov_buf_addstr(&b, "</li>");
			}
			prov_buf_addstr(&b, "</ul>");
		}
		prov_buf_addstr(&b, "</div></div>\n");
	}
	if (flagged == 0)
		prov_buf_addstr(&b, "<p>None.</p>\n");
	prov_buf_addstr(&b, "<h2>Custody</h2>\n");
	svg(&b, json_object_get(rep, "graph"));
	prov_buf_addstr(&b, "<h2>Files</h2>\n<table>\n<tr><th>File</th><th>Kind</th><th>Result</th>"
	    "<th>Last approved custodian</th></tr>\n");
	json_array_foreach(json_object_get(rep, "files"), i, f) {
		int ok = json_is_true(json_object_get(f, "ok"));
		if (is(jstr(f, "verdict"), "container"))
			continue;
		if (rows++ == MAX_TABLE) {
			prov_buf_addstr(&b, "<tr><td colspan=\"4\">more files in the JSON report"
			    "</td></tr>\n");
			break;
		}
		prov_buf_addstr(&b, "<tr><td class=\"name\">");
		esc_html(&b, jstr(f, "path"));
		prov_buf_addstr(&b, "</td><td>");
		esc_html(&b, jstr(f, "kind"));
		prov_buf_addf(&b, "</td><td class=\"%s\">%s</td><td>", ok ? "ok" : "bad",
		    ok ? "ok" : "flagged");
		esc_html(&b, jstr(f, "last_approved"));
		prov_buf_addstr(&b, "</td></tr>\n");
	}
	prov_buf_addstr(&b, "</table>\n</body>\n</html>\n");
	return flush_buf(fp, &b);
}
