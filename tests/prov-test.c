/*
 * prov-test: library internals for the shell tests and vector checks
 * (git's t/helper/test-tool).  prov-test VERB [ARGS]; see usage().
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prov.h"
#include "../tools/common.h"

struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static int
cmd_sha256(int argc, char **argv)
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

static int
cmd_escape(int argc, char **argv)
{
	if (argc != 2)
		errx(2, "usage: prov-test escape STRING");
	put_escaped(stdout, argv[1], strlen(argv[1]));
	putchar('\n');
	return 0;
}

static const struct verb verbs[] = {
	{ "escape", cmd_escape, "STRING: the text-output escaping of STRING" },
	{ "sha256", cmd_sha256, "STRING: SHA-256 of STRING in hex" },
};

static void
usage(FILE *fp, int status)
{
	size_t i;

	fprintf(fp, "usage: prov-test VERB [ARGS]\n");
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(fp, "  %s %s\n", verbs[i].name, verbs[i].help);
	exit(status);
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		usage(stderr, 2);
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(argv[1], verbs[i].name) == 0)
			return verbs[i].fn(argc - 1, argv + 1);
	usage(stderr, 2);
}
