/* common.c: helpers shared by the prov commands (see common.h). */
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

/*
 * One file on disk as a record: path, kind, size, sha256, and what the
 * format modules (prov_formats) decode from it (pixels, images), the keys
 * prov-fp writes for the same file.
 */
static void
fingerprint_file(const char *path, int fd, const struct stat *st, json_t *disk)
{
	struct prov_record rec;
	struct prov_fp_opts opts;
	struct prov_blob blob;
	struct prov_err e;
	const struct prov_format *best = NULL;
	unsigned char *data = NULL;
	char hex[2 * PROV_SHA256_LEN + 1];
	json_t *o = json_object();
	int bid = 0, i;

	memset(&opts, 0, sizeof(opts));
	prov_limits_default(&opts.limits);
	opts.images = opts.pdq = 1;
	prov_record_init(&rec);
	if (st->st_size > 0 &&
	    (data = mmap(NULL, (size_t)st->st_size, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED)
		err(2, "%s", path);
	prov_sha256(data ? data : (const unsigned char *)"", (size_t)st->st_size, rec.sha256);
	for (i = 0; data && prov_formats[i]; i++) {
		int b = prov_formats[i]->bid(data, (size_t)st->st_size);
		if (b > bid) {
			bid = b;
			best = prov_formats[i];
		}
	}
	blob.data = data;
	blob.len = (size_t)st->st_size;
	blob.name = path;
	prov_json_set_name(o, "path", path, strlen(path));
	json_object_set_new(o, "kind", json_string(best ? best->name : "other"));
	json_object_set_new(o, "size", json_integer((json_int_t)st->st_size));
	prov_hex(rec.sha256, PROV_SHA256_LEN, hex);
	json_object_set_new(o, "sha256", json_string(hex));
	if (best && best->fingerprint(&blob, &opts, &rec, &e) != PROV_OK)
		json_object_set_new(o, "error", json_string(e.msg));
	json_object_update_missing(o, rec.fields);
	json_array_append_new(disk, o);
	prov_record_release(&rec);
	if (data)
		munmap(data, (size_t)st->st_size);
}

void
fp_path(const char *path, json_t *disk)
{
	struct dirent **names;
	struct stat st;
	int fd, n, i;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		if (errno == ELOOP)
			return;
		err(2, "%s", path);
	}
	if (fstat(fd, &st) != 0)
		err(2, "%s", path);
	if (S_ISREG(st.st_mode))
		fingerprint_file(path, fd, &st, disk);
	close(fd);
	if (!S_ISDIR(st.st_mode))
		return;
	if ((n = scandir(path, &names, NULL, alphasort)) < 0)
		err(2, "%s", path);
	for (i = 0; i < n; i++) {
		struct prov_buf sub = PROV_BUF_INIT;
		if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..")) {
			prov_buf_addf(&sub, "%s%s%s", path,
			    path[strlen(path) - 1] == '/' ? "" : "/", names[i]->d_name);
			fp_path(sub.buf, disk);
		}
		prov_buf_release(&sub);
		free(names[i]);
	}
	free(names);
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
