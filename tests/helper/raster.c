/* raster.c: prov-test verbs over the PNG, TIFF and JPEG format modules. */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "prov.h"
#include "../../tools/common.h"
#include "verbs.h"

PROV_TEST_VERB(raster_fp, "[-m MAXPIXELS] FILE...: the record of each FILE by the best-bidding format module, as JSON")
int
verb_raster_fp(int argc, char **argv)
{
	struct prov_fp_opts opts;
	int i = 1, status = 0;

	memset(&opts, 0, sizeof(opts));
	prov_limits_default(&opts.limits);
	opts.images = 1;
	opts.pdq = 1;
	if (argc > 2 && strcmp(argv[1], "-m") == 0) {
		opts.limits.max_pixels = parse_num(argv[2], 1, UINT64_MAX, "-m");
		i = 3;
	}
	if (i >= argc)
		errx(2, "usage: prov-test raster_fp [-m MAXPIXELS] FILE...");
	for (; i < argc; i++) {
		const struct prov_format *f = NULL;
		struct prov_record rec;
		struct prov_err e;
		struct prov_blob blob;
		json_t *out;
		char *s;
		size_t len = 0, k;
		int best = 0;
		unsigned char *data = helper_slurp(argv[i], &len);

		if (data == NULL)
			err(2, "%s", argv[i]);
		for (k = 0; prov_formats[k] != NULL; k++) {
			int b = prov_formats[k]->bid(data, len);

			if (b > best) {
				best = b;
				f = prov_formats[k];
			}
		}
		prov_record_init(&rec);
		prov_err_clear(&e);
		blob.data = data;
		blob.len = len;
		blob.name = argv[i];
		out = json_object();
		prov_json_set_name(out, "path", argv[i], strlen(argv[i]));
		json_object_set_new(out, "kind", json_string(f ? f->name : "other"));
		if (f != NULL && f->fingerprint(&blob, &opts, &rec, &e) != PROV_OK) {
			prov_record_fail(&rec, &e);
			warn_err(&e);
			status = 1;
		}
		json_object_update(out, rec.fields);
		if (rec.status != PROV_OK)
			json_object_set_new(out, "error", json_string(rec.error));
		s = json_dumps(out, JSON_COMPACT);
		printf("%s\n", s);
		free(s);
		json_decref(out);
		prov_record_release(&rec);
		free(data);
	}
	flush_or_die();
	return status;
}
