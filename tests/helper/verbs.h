/*
 * verbs.h: how a prov-test verb is declared.  Each tests/helper/<module>.c
 * holds lines of the form
 *     PROV_TEST_VERB(sha256, "STRING: SHA-256 of STRING in hex")
 * followed by the function verb_sha256(int argc, char **argv), where argv[0]
 * is the verb's name.  The Makefile greps those lines into the verb table.
 */
#ifndef PROV_TEST_VERBS_H
#define PROV_TEST_VERBS_H

#include <stddef.h>

#define PROV_TEST_VERB(name, help) int verb_##name(int argc, char **argv);

/* The whole file at path in one new buffer (the caller frees it) with its
 * length in *len; NULL when it cannot be read. */
unsigned char *helper_slurp(const char *path, size_t *len);

#endif
