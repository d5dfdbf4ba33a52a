/* core.c: prov-test verbs over the core of libprov. */
#include <err.h>
#include <stdio.h>
#include <string.h>

#include "prov.h"
#include "../../tools/common.h"
#include "verbs.h"

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
