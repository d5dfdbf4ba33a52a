/* t_cjson.c: canonical JSON (schemas/canonical-json.md, RFC 8785 for
 * integers): ordering by UTF-16 code units, escapes, numbers, the check. */
#include <stdlib.h>

#include "test.h"

static int
encodes_to(const char *in, const char *want)
{
	struct prov_buf out = PROV_BUF_INIT;
	json_error_t jerr;
	json_t *v = json_loads(in, JSON_DECODE_ANY, &jerr);
	int ok;

	if (v == NULL) {
		failure("input %s: %s", in, jerr.text);
		return 0;
	}
	ok = prov_cjson_encode(v, &out, NULL) == PROV_OK && strcmp(out.buf, want) == 0 &&
	    prov_cjson_check(out.buf, out.len, NULL, NULL) == PROV_OK;
	if (!ok)
		failure("input %s gave %s, want %s", in, out.buf, want);
	json_decref(v);
	prov_buf_release(&out);
	return ok;
}

DEFINE_TEST(test_cjson_rfc8785_sorting_example)
{
	/* RFC 8785 section 3.2.3: the members in the order the RFC prints */
	assert_true(encodes_to(
	    "{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\","
	    "\"\\ufb33\":\"Hebrew Letter Dalet With Dagesh\",\"1\":\"One\","
	    "\"\\ud83d\\ude00\":\"Emoji: Grinning Face\",\"\\u0080\":\"Control\","
	    "\"\\u00f6\":\"Latin Small Letter O With Diaeresis\"}",
	    "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\","
	    "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\",\"\xe2\x82\xac\":\"Euro Sign\","
	    "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
	    "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}"));
	/* UTF-16 order differs from code point (and UTF-8 byte) order only
	 * between U+E000..U+FFFF and the supplementary planes */
	assert_true(encodes_to("{\"\\uffff\":1,\"\\ud800\\udc00\":2,\"\\ud7ff\":3}",
	    "{\"\xed\x9f\xbf\":3,\"\xf0\x90\x80\x80\":2,\"\xef\xbf\xbf\":1}"));
	/* a prefix sorts first; nested objects are sorted too */
	assert_true(encodes_to("{\"ab\":{\"z\":1,\"y\":[{\"b\":1,\"a\":2}]},\"a\":{},\"\":[]}",
	    "{\"\":[],\"a\":{},\"ab\":{\"y\":[{\"a\":2,\"b\":1}],\"z\":1}}"));
}

DEFINE_TEST(test_cjson_string_escapes)
{
	struct prov_buf out = PROV_BUF_INIT;
	char want[16];
	unsigned c;
	json_t *v;

	/* every C0 control: the five short escapes, else \u00xx lowercase */
	for (c = 1; c < 0x20; c++) {
		char s[2] = { (char)c, 0 };
		const char *sh = c == 8 ? "\\b" : c == 9 ? "\\t" : c == 10 ? "\\n" :
		    c == 12 ? "\\f" : c == 13 ? "\\r" : NULL;
		if (sh)
			snprintf(want, sizeof(want), "\"%s\"", sh);
		else
			snprintf(want, sizeof(want), "\"\\u%04x\"", c);
		v = json_string(s);
		prov_buf_reset(&out);
		assert_ok(prov_cjson_encode(v, &out, NULL));
		json_decref(v);
		failure("control 0x%02x", c);
		assert_eq_str(out.buf, want);
	}
	prov_buf_release(&out);
	/* quote and backslash escaped; '/', DEL, U+2028 and non-BMP raw */
	assert_true(encodes_to("[\"\\\"\\\\\\/\\u007f\\u2028\\ud834\\udd1e\"]",
	    "[\"\\\"\\\\/\x7f\xe2\x80\xa8\xf0\x9d\x84\x9e\"]"));
}

DEFINE_TEST(test_cjson_numbers_are_safe_integers)
{
	struct prov_buf out = PROV_BUF_INIT;
	struct prov_err e;
	json_t *v;

	assert_true(encodes_to("[0,-1,9007199254740991,-9007199254740991]",
	    "[0,-1,9007199254740991,-9007199254740991]"));
	v = json_integer(-9007199254740992LL);
	assert_eq_int(prov_cjson_encode(v, &out, &e), PROV_FAILED);
	assert_true(strstr(e.msg, "2^53") != NULL);
	json_decref(v);
	v = json_loads("{\"a\":[1,{\"b\":2.0}]}", 0, NULL);
	prov_buf_addstr(&out, "kept");
	assert_eq_int(prov_cjson_encode(v, &out, &e), PROV_FAILED);
	assert_true(strstr(e.msg, "real") != NULL);
	/* a failed encoding leaves what the buffer held before */
	assert_eq_str(out.buf, "kept");
	json_decref(v);
	prov_buf_release(&out);
}

static int
canonical(const char *s)
{
	return prov_cjson_check(s, strlen(s), NULL, NULL) == PROV_OK;
}

DEFINE_TEST(test_cjson_check_refuses_other_spellings)
{
	json_t *v = NULL;
	char deep[200];
	int i;

	assert_true(canonical("{\"a\":[1,\"\xc3\xa9\"],\"b\":null}"));
	assert_true(!canonical("{\"a\":[1,\"\\u00e9\"],\"b\":null}"));	/* needless escape */
	assert_true(!canonical("{\"a\":\"\\/\"}"));
	assert_true(!canonical("{\"a\":\"\\u001F\"}"));		/* uppercase hex */
	assert_true(!canonical("{\"a\":\"\\u000a\"}"));		/* \n has a short form */
	assert_true(!canonical("{\"a\":-0}"));
	assert_true(!canonical("{\"a\":1e2}"));
	assert_true(!canonical("{\"a\":01}"));
	assert_true(!canonical(" {\"a\":1}"));
	assert_true(!canonical("{\"a\":1}\n"));
	assert_true(!canonical("{\"a\":1,\"a\":1}"));
	assert_true(!canonical("{\"a\":\"\\u0000\"}"));
	assert_true(!canonical("{\"a\":\"\xff\"}"));
	assert_ok(prov_cjson_check("{\"x\":[true]}", 12, &v, NULL));
	assert_true(json_is_true(json_array_get(json_object_get(v, "x"), 0)));
	json_decref(v);
	/* nesting beyond 64 levels is refused, not recursed into */
	for (i = 0; i < 70; i++)
		deep[i] = '[';
	for (i = 0; i < 70; i++)
		deep[70 + i] = ']';
	deep[140] = '\0';
	assert_true(!canonical(deep));
}
