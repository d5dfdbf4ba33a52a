/* common.h: what every prov command shares: numbers, names, output. */
#ifndef PROV_TOOLS_COMMON_H
#define PROV_TOOLS_COMMON_H

#include <stdint.h>
#include <stdio.h>

#include "prov.h"

/* Parses a decimal number in [min, max]; on junk, errx(2) naming the flag. */
uint64_t parse_num(const char *s, uint64_t min, uint64_t max, const char *flag);
/* Parses a size with an optional K, M, G or T suffix (powers of 1024). */
uint64_t parse_size(const char *s, const char *flag);

/* The limits of prov_fp's walker, as options of every command that reads
 * PATHs with it (prov-fp, prov-audit): their codes, their getopt_long
 * entries, and limit_option(), which sets the one named by opt from arg
 * (exiting 2 on a bad value) and returns 0 when opt is none of them. */
enum { OPT_MAX_DEPTH = 1000, OPT_MAX_RATIO, OPT_MAX_MEMBER, OPT_MAX_PIXELS,
    OPT_MAX_ARCHIVE_MEMORY, OPT_ARCHIVE_STALL };
#define LIMIT_LONGOPTS \
	{ "max-depth", required_argument, NULL, OPT_MAX_DEPTH }, \
	{ "max-ratio", required_argument, NULL, OPT_MAX_RATIO }, \
	{ "max-member-size", required_argument, NULL, OPT_MAX_MEMBER }, \
	{ "max-pixels", required_argument, NULL, OPT_MAX_PIXELS }, \
	{ "max-archive-memory", required_argument, NULL, OPT_MAX_ARCHIVE_MEMORY }, \
	{ "archive-stall", required_argument, NULL, OPT_ARCHIVE_STALL }
int limit_option(int opt, const char *arg, struct prov_limits *l);
/* Appends to recs the prov-fp NDJSON records of path ("-" is stdin), one
 * per line, blank lines skipped; exits 2 naming the line that is not one. */
void read_fp_records(const char *path, json_t *recs);
/* Writes name escaped (prov_escape) to fp. */
void put_escaped(FILE *fp, const char *name, size_t len);
/* warnx() with the message's names already escaped by the library. */
void warn_err(const struct prov_err *e);
/* Flushes stdout and exits 2 if any write to it failed. */
void flush_or_die(void);
/* Drops the ability to gain privileges (PR_SET_NO_NEW_PRIVS). */
void sandbox_pre(void);

#endif
