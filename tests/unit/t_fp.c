/* t_fp.c: walking order, archive sniffing, charsets, unsafe names,
 * records as JSON and back, fingerprinting from memory. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "fp_int.h"

static int
collect(void *arg, const char *path, size_t len, enum walk_type type,
    const struct stat *st, int err)
{
	struct prov_buf *b = arg;

	(void)st;
	(void)err;
	prov_buf_add(b, path, len);
	prov_buf_addch(b, type == WALK_SYMLINK ? '@' : type == WALK_ERROR ? '!' : ';');
	return 0;
}

static void
touch(const char *p)
{
	FILE *f = fopen(p, "w");
	if (f != NULL) {
		fputs(p, f);
		fclose(f);
	}
}

DEFINE_TEST(test_walk_is_sorted_bytewise_depth_first)
{
	struct prov_buf b = PROV_BUF_INIT;

	mkdir("w", 0755);
	mkdir("w/b", 0755);
	mkdir("w/B", 0755);
	touch("w/b/2");
	touch("w/b/10");
	touch("w/B/x");
	touch("w/a");
	touch("w/\xc3\xa9");
	assert_eq_int(symlink("a", "w/c"), 0);
	assert_eq_int(walk_tree("w", 1, 0, collect, &b), 0);
	assert_eq_str(b.buf, "w/B/x;w/a;w/b/10;w/b/2;w/c@w/\xc3\xa9;");
	prov_buf_reset(&b);
	assert_eq_int(walk_tree("w/", 2, 1, collect, &b), 0);
	assert_eq_str(b.buf, "w/B/x;w/a;w/b/10;w/b/2;w/c;w/\xc3\xa9;");
	prov_buf_reset(&b);
	assert_true(walk_tree("nosuch", 6, 0, collect, &b) == 0);
	assert_eq_str(b.buf, "nosuch!");
	prov_buf_release(&b);
}

DEFINE_TEST(test_archive_sniff_magic_only)
{
	static const unsigned char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
	static const unsigned char exr[] = "\x76\x2f\x31\x01\x02\0\0\0channels";
	static const unsigned char tif[] = "II*\0\x08\0\0\0";
	static const unsigned char zip[] = "PK\x03\x04\x14\0";
	static const unsigned char gz[] = "\x1f\x8b\x08\0";
	unsigned char tar[512];
	unsigned sum = 0;
	size_t i;

	assert_eq_int(archive_sniff(png, sizeof(png)), 0);
	assert_eq_int(archive_sniff(exr, sizeof(exr)), 0);
	assert_eq_int(archive_sniff(tif, sizeof(tif)), 0);
	assert_eq_int(archive_sniff(zip, sizeof(zip)), 1);
	assert_eq_int(archive_sniff(gz, sizeof(gz)), 1);
	/* a v7 tar header: no magic, only the checksum says so */
	memset(tar, 0, sizeof(tar));
	memcpy(tar, "file.txt", 8);
	memcpy(tar + 100, "0000644", 7);
	memset(tar + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += tar[i];
	snprintf((char *)tar + 148, 8, "%06o", sum);
	assert_eq_int(archive_sniff(tar, sizeof(tar)), 1);
	tar[0] = 'g';
	assert_eq_int(archive_sniff(tar, sizeof(tar)), 0);
	/* a zip directory at the end, after junk */
	{
		unsigned char t[64] = "junk junk junk junk PK\x05\x06";
		assert_eq_int(archive_sniff_tail(t, 20 + 22), 1);
		t[41] = 1;	/* comment length no longer reaches the end */
		assert_eq_int(archive_sniff_tail(t, 20 + 22), 0);
	}
}

DEFINE_TEST(test_charset_guess_legacy_names)
{
	struct prov_buf d = PROV_BUF_INIT;

	assert_eq_str(charset_guess("\xd6\xd0\xce\xc4", 4, &d), "GBK");
	assert_eq_str(d.buf, "\xe4\xb8\xad\xe6\x96\x87");	/* 中文 */
	prov_buf_reset(&d);
	assert_eq_str(charset_guess("\xc7\xd1\xb1\xb9", 4, &d), "CP949");
	assert_eq_str(d.buf, "\xed\x95\x9c\xea\xb5\xad");	/* 한국 */
	prov_buf_reset(&d);
	assert_eq_str(charset_guess("\x82\xa0\x82\xa2.exr", 8, &d), "CP932");
	prov_buf_reset(&d);
	assert_eq_str(charset_guess("\xb4\xc1\xbb\xfa.txt", 8, &d), "EUC-JP");
	prov_buf_reset(&d);
	assert_eq_str(charset_guess("\xd0\xd2\xc9\xd7\xc5\xd4", 6, &d), "KOI8-R");
	prov_buf_reset(&d);
	assert_eq_str(charset_guess("\xaf\xe0\xa8\xa2\xa5\xe2", 6, &d), "CP866");
	assert_true(charset_guess("plain", 5, &d) == NULL);
	prov_buf_release(&d);
}

DEFINE_TEST(test_unsafe_names)
{
	assert_eq_int(name_unsafe("a/b/c.txt", 9), 0);
	assert_eq_int(name_unsafe("a/../b", 6), UNSAFE_DOTDOT);
	assert_eq_int(name_unsafe("..", 2), UNSAFE_DOTDOT);
	assert_eq_int(name_unsafe("a..b/..c", 8), 0);
	assert_eq_int(name_unsafe("/etc/passwd", 11), UNSAFE_ABSOLUTE);
	assert_eq_int(name_unsafe("C:\\x\\..\\y", 9), UNSAFE_ABSOLUTE | UNSAFE_DOTDOT);
	assert_eq_int(name_unsafe("a\x1b[2J", 6), UNSAFE_CONTROL);
}

struct got {
	struct prov_buf text;
	int n;
};

static int
keep(void *arg, const struct prov_record *r)
{
	struct got *g = arg;
	json_t *o = prov_record_to_json(r);
	struct prov_record back;
	struct prov_err e;

	/* the record survives a trip through JSON */
	if (prov_record_from_json(&back, o, &e) == PROV_OK) {
		json_t *again = prov_record_to_json(&back);
		char *s = json_dumps(again, JSON_COMPACT);
		char *s2 = json_dumps(o, JSON_COMPACT);
		if (strcmp(s, s2) != 0)
			prov_buf_addstr(&g->text, "MISMATCH;");
		free(s);
		free(s2);
		json_decref(again);
	} else
		prov_buf_addstr(&g->text, "UNREADABLE;");
	prov_record_release(&back);
	json_decref(o);
	prov_buf_add(&g->text, r->path.buf, r->path.len);
	prov_buf_addf(&g->text, "=%s;", r->status == PROV_OK ? r->kind : "error");
	g->n++;
	return 0;
}

DEFINE_TEST(test_fp_memory_reads_a_tar_from_memory)
{
	/* a ustar archive with one member "d/m.txt" holding "hi\n" */
	unsigned char tar[2048];
	unsigned sum = 0;
	struct prov_fp_opts opts;
	struct got g = { PROV_BUF_INIT, 0 };
	struct prov_err e;
	size_t i;

	memset(tar, 0, sizeof(tar));
	memcpy(tar, "d/m.txt", 7);
	memcpy(tar + 100, "0000644", 7);
	memcpy(tar + 108, "0000000", 7);
	memcpy(tar + 116, "0000000", 7);
	memcpy(tar + 124, "00000000003", 11);
	memcpy(tar + 136, "00000000000", 11);
	tar[156] = '0';
	memcpy(tar + 257, "ustar\00000", 8);
	memset(tar + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += tar[i];
	snprintf((char *)tar + 148, 8, "%06o", sum);
	memcpy(tar + 512, "hi\n", 3);
	prov_fp_opts_default(&opts);
	assert_ok(prov_fp_memory(tar, sizeof(tar), "x\xff.tar", 6, &opts, keep, &g, &e));
	assert_eq_int(g.n, 2);
	assert_eq_str(g.text.buf, "x\xff.tar=archive;x\xff.tar!/d/m.txt=other;");
	/* --max-depth 0: the archive is not opened */
	prov_buf_reset(&g.text);
	g.n = 0;
	opts.limits.max_depth = 0;
	assert_ok(prov_fp_memory(tar, sizeof(tar), "t", 1, &opts, keep, &g, &e));
	assert_eq_str(g.text.buf, "t=archive;");
	prov_buf_release(&g.text);
}

DEFINE_TEST(test_record_text_forms)
{
	struct prov_record r;
	char buf[512];
	FILE *f;
	size_t n;

	prov_record_init(&r);
	prov_buf_addstr(&r.path, "a\nb");
	r.has_sha256 = 1;
	memset(r.sha256, 0xab, sizeof(r.sha256));
	f = fmemopen(buf, sizeof(buf), "w");
	assert_true(f != NULL);
	assert_eq_int(prov_record_write_text(f, &r, PROV_TEXT_LINE), 0);
	assert_eq_int(prov_record_write_text(f, &r, PROV_TEXT_SUM), 0);
	json_object_set_new(r.fields, "member", json_object());
	assert_eq_int(prov_record_write_text(f, &r, PROV_TEXT_SUM), 1);
	n = (size_t)ftell(f);
	fclose(f);
	buf[n] = '\0';
	assert_eq_str(buf,
	    "\\abababababababababababababababababababababababababababababababab\tother\ta\\nb\n"
	    "\\abababababababababababababababababababababababababababababababab  a\\nb\n");
	prov_record_release(&r);
}
