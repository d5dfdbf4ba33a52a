/* core.c: prov-test verbs over the core of libprov. */
#include <err.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "prov.h"
#include "../../tools/common.h"
#include "verbs.h"

/* The whole file, read at its size in one buffer (as prov-fp maps it), or
 * through a growing buffer when the size is unknown (a pipe). */
unsigned char *
helper_slurp(const char *path, size_t *len)
{
	struct prov_buf b = PROV_BUF_INIT;
	struct stat st;
	size_t n;
	FILE *fp = fopen(path, "rb");

	if (fp == NULL)
		return NULL;
	if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
		prov_buf_grow(&b, (size_t)st.st_size + 1);
	do {
		prov_buf_grow(&b, 65536);
		n = fread(b.buf + b.len, 1, b.alloc - b.len - 1, fp);
		b.len += n;
		b.buf[b.len] = 0;
	} while (n > 0);
	fclose(fp);
	return (unsigned char *)prov_buf_detach(&b, len);
}


PROV_TEST_VERB(sha256, "STRING: SHA-256 of STRING in hex")
int
verb_sha256(int argc, char **argv)
{
	unsigned char d[PROV_SHA256_LEN];
	char hex[2 * PROV_SHA256_LEN + 1];

	if (argc != 2)
		errx(2, "usage: prov-test sha256 STRING");
	prov_sha256(argv[1], strlen(argv[1]), d);
	prov_hex(d, sizeof(d), hex);
	printf("%s\n", hex);
	return 0;
}

PROV_TEST_VERB(escape, "STRING: the text-output escaping of STRING")
int
verb_escape(int argc, char **argv)
{
	if (argc != 2)
		errx(2, "usage: prov-test escape STRING");
	put_escaped(stdout, argv[1], strlen(argv[1]));
	putchar('\n');
	return 0;
}
