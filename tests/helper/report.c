/* report.c: prov-test verbs over the delivery report's thumbnails. */
#include <err.h>
#include <stdio.h>
#include <string.h>

#include "prov.h"
#include "../../tools/common.h"
#include "verbs.h"

PROV_TEST_VERB(report_thumb, "[-s SIZE] FILE...: per FILE, \"<w>x<h> <png bytes>\" of its thumbnail or \"error: <message>\"")
int
verb_report_thumb(int argc, char **argv)
{
	struct prov_limits lim;
	unsigned size = 160;
	int i = 1;

	prov_limits_default(&lim);
	if (argc > 2 && strcmp(argv[1], "-s") == 0) {
		size = (unsigned)parse_num(argv[2], 1, 4096, "-s");
		i = 3;
	}
	if (i >= argc)
		errx(2, "usage: prov-test report_thumb [-s SIZE] FILE...");
	for (; i < argc; i++) {
		struct prov_buf png = PROV_BUF_INIT;
		struct prov_err e = { 0 };
		unsigned w, h;

		if (prov_report_thumbnail(argv[i], strlen(argv[i]), size, &lim, &png, &w, &h,
		    &e) == PROV_OK)
			printf("%ux%u %zu\n", w, h, png.len);
		else {
			fputs("error: ", stdout);
			put_escaped(stdout, e.msg, strlen(e.msg));
			putchar('\n');
		}
		prov_buf_release(&png);
	}
	return 0;
}
