/* names.c: prov-test verbs over names, sequences and indicators. */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prov.h"
#include "verbs.h"

PROV_TEST_VERB(names, "[-f FILE] PATH...: the names of each PATH as JSON, one line each")
int
verb_names(int argc, char **argv)
{
	struct prov_names *n;
	struct prov_err e;
	int i = 1;

	if (argc > 2 && strcmp(argv[1], "-f") == 0) {
		if (prov_names_open_file(&n, argv[2], &e) != PROV_OK)
			errx(1, "%s", e.msg);
		i = 3;
	} else if (prov_names_open(&n, NULL, 0, NULL, &e) != PROV_OK) {
		errx(1, "%s", e.msg);
	}
	if (i >= argc)
		errx(2, "usage: prov-test names [-f FILE] PATH...");
	for (; i < argc; i++) {
		json_t *o = json_object();
		char *s;

		prov_names_parse(n, argv[i], strlen(argv[i]), o);
		s = json_dumps(o, JSON_COMPACT);
		printf("%s\n", s);
		free(s);
		json_decref(o);
	}
	prov_names_close(n);
	return 0;
}
