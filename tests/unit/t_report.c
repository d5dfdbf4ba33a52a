/* t_report.c: the delivery report's graph model and writers on synthetic
 * trace results and reports: hop depths, one edge per handoff with "exit"
 * outranking, and hostile names escaped in text, Markdown and HTML. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

static json_t *
edge(int entry, const char *from, const char *to, const char *chain)
{
	return json_pack("{s:i,s:s,s:s,s:s,s:s,s:s}", "entry", entry, "time",
	    "2026-11-29T10:00:00Z", "from", from, "to", to, "project", "ep104", "chain", chain);
}

DEFINE_TEST(test_report_graph_depths_and_exits)
{
	/* Two results sharing handoff 8, "outside" in one and "exit" in the
	 * other; a delivery back to the studio (10) keeps its depth. */
	json_t *results = json_pack("[{s:[o,o,o]},{s:[o,o]}]",
	    "custody", edge(8, "vendor", "sub", "outside"), edge(5, "studio", "vendor", "in"),
	    edge(10, "sub", "studio", "in"),
	    "custody", edge(5, "studio", "vendor", "in"), edge(8, "vendor", "sub", "exit"));
	json_t *g = prov_trace_graph(results), *p, *e;
	char *s;

	assert_true(g != NULL);
	p = json_object_get(g, "parties");
	e = json_object_get(g, "edges");
	s = json_dumps(p, JSON_COMPACT);
	assert_eq_str(s, "[{\"name\":\"studio\",\"depth\":0},{\"name\":\"vendor\",\"depth\":1},"
	    "{\"name\":\"sub\",\"depth\":2}]");
	free(s);
	assert_eq_int(json_array_size(e), 3);
	assert_eq_int(json_integer_value(json_object_get(json_array_get(e, 0), "entry")), 5);
	assert_eq_str(json_string_value(json_object_get(json_array_get(e, 1), "chain")), "exit");
	assert_eq_str(json_string_value(json_object_get(json_array_get(e, 2), "to")), "studio");
	json_decref(g);
	json_decref(results);
}

/* A small failing report with a hostile name, as prov_report_build()
 * lays it out. */
static json_t *
hostile_report(void)
{
	const char *name = "d/<img src=x onerror=alert(1)>\033[2J`*[x](y)|.exr";
	json_t *f = json_pack("{s:s,s:s,s:s,s:b,s:[s],s:[{s:s,s:s,s:s,s:s,s:s}]}",
	    "path", name, "kind", "exr", "verdict", "in-chain", "ok", 0,
	    "problems", "indicator", "indicators", "type", "owner", "value",
	    "<b>nightowl</b>", "field", "owner", "status", "unapproved", "party", "nightowl");

	return json_pack("{s:i,s:s,s:{},s:{s:s,s:i,s:i,s:i,s:s,s:[],s:i},"
	    "s:[{s:s,s:b,s:i,s:i,s:s}],s:i,s:[o],s:{s:[{s:s,s:i},{s:s,s:i}],s:[o]}}",
	    "version", 1, "verdict", "fail", "delivery",
	    "ledger", "path", "l<edger>", "entries", 9, "verified", 9, "checkpoints", 0, "root",
	    "00", "findings", "findings_total", 0,
	    "checks", "name", "indicators", "pass", 0, "failed", 1, "total", 1, "detail", "1 file",
	    "thumbnails", 0, "files", f,
	    "graph", "parties", "name", "studio", "depth", 0, "name", "<i>sub</i>", "depth", 1,
	    "edges", edge(8, "studio", "<i>sub</i>", "exit"));
}

static char *
render(int (*fn)(FILE *, const json_t *), const json_t *rep)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	if (fp == NULL || fn(fp, rep) != 0) {
		if (fp)
			fclose(fp);
		free(buf);
		return NULL;
	}
	fclose(fp);
	return buf;
}

static int
text_quiet(FILE *fp, const json_t *rep)
{
	return prov_report_write_text(fp, rep, 0);
}

DEFINE_TEST(test_report_writers_escape_hostile_names)
{
	json_t *rep = hostile_report();
	char *html = render(prov_report_write_html, rep);
	char *md = render(prov_report_write_markdown, rep);
	char *txt = render(text_quiet, rep);

	assert_true(html != NULL && md != NULL && txt != NULL);
	/* Nothing raw: no tag from a name, no escape character. */
	assert_true(strstr(html, "<img src=x") == NULL);
	assert_true(strstr(html, "<b>") == NULL && strstr(html, "<i>") == NULL);
	assert_true(strchr(html, '\033') == NULL && strchr(md, '\033') == NULL &&
	    strchr(txt, '\033') == NULL);
	assert_true(strstr(html, "d/&lt;img src=x onerror=alert(1)&gt;\\x1b[2J`*[x](y)|.exr") != NULL);
	assert_true(strstr(html, "&lt;i&gt;sub&lt;/i&gt;</text>") != NULL);
	assert_true(strstr(html, "<h1 class=\"verdict fail\">FAIL: 1 file, 1 of 4 checks failed</h1>")
	    != NULL);
	assert_true(strstr(md, "d/\\<img src=x onerror=alert\\(1\\)\\>\\\\x1b\\[2J\\`\\*\\[x\\]\\(y\\)\\|\\.exr")
	    != NULL);
	assert_true(strstr(md, "<b>") == NULL);
	assert_eq_int(strncmp(txt, "FAIL: 1 file, 1 of 4 checks failed\n", 35), 0);
	assert_true(strstr(txt, "\n\\d/<img src=x onerror=alert(1)>\\x1b[2J`*[x](y)|.exr: carries") != NULL);
	free(html);
	free(md);
	free(txt);
	json_decref(rep);
}
