/* record.c: the fingerprint record's life cycle. */
#include <string.h>

#include "prov.h"
#include "banned.h"

void
prov_record_init(struct prov_record *r)
{
	memset(r, 0, sizeof(*r));
	prov_buf_init(&r->path);
	r->kind = "other";
	r->fields = json_object();
	if (r->fields == NULL)
		prov_xmalloc(SIZE_MAX);	/* allocation failure: see prov.h */
}

void
prov_record_release(struct prov_record *r)
{
	prov_buf_release(&r->path);
	json_decref(r->fields);
	r->fields = NULL;
}

void
prov_record_fail(struct prov_record *r, const struct prov_err *e)
{
	r->status = e->code == PROV_OK ? PROV_FAILED : e->code;
	snprintf(r->error, sizeof(r->error), "%s", e->msg);
}
