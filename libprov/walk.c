/*
 * walk.c: deterministic directory walks.
 *
 * Entries of a directory are read whole, sorted bytewise (strcmp compares
 * as unsigned char) and visited depth first, so the order depends only on
 * the names, never on the file system's readdir order.  Directories are
 * not reported, only what they hold; a directory that cannot be read is
 * reported as an error and the walk goes on.
 *
 * The type readdir() gives (d_type) spares a stat per entry where it is
 * enough: a regular file needs none (whoever opens it checks what it is),
 * nor does a symlink that is not followed.  Directories, links to follow
 * and file systems that do not fill d_type are stat'd as before.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fp_int.h"
#include "banned.h"

/* The directories being walked, to refuse loops when following links. */
struct ancestor {
	dev_t dev;
	ino_t ino;
	const struct ancestor *up;
};

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a + 1, *(char *const *)b + 1);
}

static void
join(struct prov_buf *b, const char *dir, size_t len, const char *name)
{
	prov_buf_reset(b);
	prov_buf_add(b, dir, len);
	if (len == 0 || dir[len - 1] != '/')
		prov_buf_addch(b, '/');
	prov_buf_addstr(b, name);
}

static int
walk_dir(const char *dir, size_t len, int follow, const struct ancestor *up,
    const struct stat *dst, walk_fn fn, void *arg)
{
	struct ancestor self = { dst->st_dev, dst->st_ino, up };
	const struct ancestor *a;
	struct prov_buf path = PROV_BUF_INIT;
	char **names = NULL;		/* each: a type byte, then the name */
	size_t n = 0, alloc = 0, i;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	for (a = up; a != NULL; a = a->up)
		if (a->dev == dst->st_dev && a->ino == dst->st_ino)
			return fn(arg, dir, len, WALK_ERROR, NULL, ELOOP);
	if ((d = opendir(dir)) == NULL)
		return fn(arg, dir, len, WALK_ERROR, NULL, errno);
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL)
			break;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			names = prov_xrealloc(names, alloc * sizeof(*names));
		}
		{
			size_t nl = strlen(de->d_name);
			char *e = prov_xmalloc(nl + 2);

			e[0] = (char)de->d_type;
			memcpy(e + 1, de->d_name, nl + 1);
			names[n++] = e;
		}
	}
	if (errno != 0)
		rc = fn(arg, dir, len, WALK_ERROR, NULL, errno);
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n && rc == 0; i++) {
		struct stat st;
		unsigned char dt = (unsigned char)names[i][0];
		int r;

		join(&path, dir, len, names[i] + 1);
		if (dt == DT_REG) {
			rc = fn(arg, path.buf, path.len, WALK_FILE, NULL, 0);
			continue;
		}
		if (dt == DT_LNK && !follow) {
			rc = fn(arg, path.buf, path.len, WALK_SYMLINK, NULL, 0);
			continue;
		}
		r = follow ? stat(path.buf, &st) : lstat(path.buf, &st);
		if (r != 0 && follow && errno == ENOENT && lstat(path.buf, &st) == 0)
			r = 0;		/* a dangling link: record the link itself */
		if (r != 0)
			rc = fn(arg, path.buf, path.len, WALK_ERROR, NULL, errno);
		else if (S_ISDIR(st.st_mode)) {
			/* join() reuses path: give the child its own copy */
			char *sub = prov_xstrdup(path.buf);
			rc = walk_dir(sub, path.len, follow, &self, &st, fn, arg);
			free(sub);
		} else if (S_ISREG(st.st_mode))
			rc = fn(arg, path.buf, path.len, WALK_FILE, &st, 0);
		else if (S_ISLNK(st.st_mode))
			rc = fn(arg, path.buf, path.len, WALK_SYMLINK, &st, 0);
		else
			rc = fn(arg, path.buf, path.len, WALK_SPECIAL, &st, 0);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	prov_buf_release(&path);
	return rc;
}

int
walk_tree(const char *dir, size_t len, int follow, walk_fn fn, void *arg)
{
	struct stat st;

	if (stat(dir, &st) != 0)
		return fn(arg, dir, len, WALK_ERROR, NULL, errno);
	return walk_dir(dir, len, follow, NULL, &st, fn, arg);
}
