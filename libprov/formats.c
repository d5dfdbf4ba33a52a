/* formats.c: the table of format modules that bid for an input. */
#include "prov.h"
#include "banned.h"

const struct prov_format *const prov_formats[] = {
	&prov_format_exr,
	&prov_format_png,
	&prov_format_tiff,
	&prov_format_jpeg,
	&prov_format_webp,
	&prov_format_project,
	NULL
};
