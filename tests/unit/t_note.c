/* t_note.c: keys, signed notes, cosignatures, checkpoints, canonical JSON,
 * against the C2SP and Go sumdb known answers in vectors/tlog.md. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

#define PN_PRIV "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define PN_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define PN_TEXT "If you think cryptography is the answer to your problem,\n" \
	"then you don't know what your problem is.\n"
#define PN_SIG "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
#define FOO_VKEY "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
#define FOO_NOTE "This is an example message.\n\n" \
	"\xe2\x80\x94 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"

DEFINE_TEST(test_note_sign_reproduces_go_known_answer)
{
	struct prov_key k, v;
	struct prov_buf note = PROV_BUF_INIT, vk = PROV_BUF_INIT;
	struct prov_key *known[1];
	struct prov_note_result res;

	prov_key_init(&k);
	prov_key_init(&v);
	assert_ok(prov_key_parse_private(&k, PN_PRIV, strlen(PN_PRIV), NULL));
	prov_vkey_format(&k, &vk);
	assert_eq_str(vk.buf, PN_VKEY);
	assert_ok(prov_note_sign(PN_TEXT, strlen(PN_TEXT), &k, 0, &note, NULL));
	assert_eq_str(note.buf, PN_TEXT "\n" PN_SIG);
	assert_ok(prov_vkey_parse(&v, PN_VKEY, strlen(PN_VKEY), NULL));
	known[0] = &v;
	assert_ok(prov_note_verify(note.buf, note.len, known, 1, &res, NULL));
	assert_eq_int(res.text_len, strlen(PN_TEXT));
	assert_eq_int(res.verified[0], 1);
	/* one changed byte of the text: the known key's signature fails */
	note.buf[3] ^= 1;
	assert_eq_int(prov_note_verify(note.buf, note.len, known, 1, &res, NULL), PROV_FAILED);
	prov_buf_release(&note);
	prov_buf_release(&vk);
	prov_key_release(&k);
	prov_key_release(&v);
}

DEFINE_TEST(test_note_verify_c2sp_example_and_unknown_keys)
{
	struct prov_key foo, pn;
	struct prov_key *known[1];
	struct prov_note_result res;
	struct prov_err e;

	prov_key_init(&foo);
	prov_key_init(&pn);
	assert_ok(prov_vkey_parse(&foo, FOO_VKEY, strlen(FOO_VKEY), NULL));
	assert_ok(prov_vkey_parse(&pn, PN_VKEY, strlen(PN_VKEY), NULL));
	known[0] = &foo;
	assert_ok(prov_note_verify(FOO_NOTE, strlen(FOO_NOTE), known, 1, &res, NULL));
	/* a note signed only by keys we do not know is not accepted */
	known[0] = &pn;
	assert_eq_int(prov_note_verify(FOO_NOTE, strlen(FOO_NOTE), known, 1, &res, &e),
	    PROV_FAILED);
	assert_eq_int(res.nunknown, 1);
	assert_true(strstr(e.msg, "no signature by a known key") != NULL);
	/* a key ID that does not match its key is refused */
	assert_eq_int(prov_vkey_parse(&pn, "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
	    69, &e), PROV_FAILED);
	prov_key_release(&foo);
	prov_key_release(&pn);
}

DEFINE_TEST(test_note_rejects_malformed_text)
{
	struct prov_key k;
	struct prov_buf note = PROV_BUF_INIT;

	prov_key_init(&k);
	assert_ok(prov_key_generate(&k, "studio.example/prov", PROV_KEY_SIGNER, NULL));
	assert_eq_int(prov_note_sign("no newline", 10, &k, 0, &note, NULL), PROV_FAILED);
	assert_eq_int(prov_note_sign("tab\there\n", 9, &k, 0, &note, NULL), PROV_FAILED);
	assert_eq_int(prov_note_sign("\xff\n", 2, &k, 0, &note, NULL), PROV_FAILED);
	assert_eq_int(note.len, 0);
	assert_eq_int(prov_key_generate(&k, "two words", PROV_KEY_SIGNER, NULL), PROV_FAILED);
	prov_key_release(&k);
}

DEFINE_TEST(test_checkpoint_signed_then_cosigned)
{
	struct prov_key op, witness, opv, wv;
	struct prov_buf text = PROV_BUF_INIT, note = PROV_BUF_INIT, vk = PROV_BUF_INIT;
	struct prov_checkpoint c, back;
	struct prov_key *known[2];
	struct prov_note_result res;
	size_t i;

	prov_key_init(&op);
	prov_key_init(&witness);
	prov_key_init(&opv);
	prov_key_init(&wv);
	memset(&c, 0, sizeof(c));
	snprintf(c.origin, sizeof(c.origin), "studio.example/prov");
	c.size = 1234;
	for (i = 0; i < 32; i++)
		c.root[i] = (unsigned char)i;
	prov_checkpoint_format(&c, &text);
	assert_eq_str(text.buf, "studio.example/prov\n1234\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n");
	assert_ok(prov_checkpoint_parse(&back, text.buf, text.len, NULL));
	assert_eq_str(back.origin, c.origin);
	assert_eq_int(back.size, 1234);
	assert_eq_mem(back.root, c.root, 32);

	assert_ok(prov_key_generate(&op, "studio.example/prov", PROV_KEY_SIGNER, NULL));
	assert_ok(prov_key_generate(&witness, "auditor.example/w1", PROV_KEY_COSIGNER, NULL));
	assert_ok(prov_note_sign(text.buf, text.len, &op, 0, &note, NULL));
	assert_ok(prov_note_add_signature(&note, &witness, 1764370000, NULL));
	prov_vkey_format(&op, &vk);
	assert_ok(prov_vkey_parse(&opv, vk.buf, vk.len, NULL));
	prov_buf_reset(&vk);
	prov_vkey_format(&witness, &vk);
	assert_ok(prov_vkey_parse(&wv, vk.buf, vk.len, NULL));
	assert_eq_int(wv.type, PROV_KEY_COSIGNER);
	known[0] = &opv;
	known[1] = &wv;
	assert_ok(prov_note_verify(note.buf, note.len, known, 2, &res, NULL));
	assert_eq_int(res.nverified, 2);
	assert_eq_int(res.cosigned_at[1], 1764370000);
	/* the cosignature covers its time: change the time bytes, it fails */
	{
		char *line = strrchr(note.buf, ' ');
		assert_true(line != NULL);
		line[8] = line[8] == 'A' ? 'B' : 'A';
		assert_eq_int(prov_note_verify(note.buf, note.len, known, 2, &res, NULL),
		    PROV_FAILED);
	}
	/* checkpoints are parsed strictly */
	assert_eq_int(prov_checkpoint_parse(&back, "o\n012\nAAAA\n", 11, NULL), PROV_FAILED);
	assert_eq_int(prov_checkpoint_parse(&back, "\n1\nAAAA\n", 8, NULL), PROV_FAILED);
	prov_buf_release(&text);
	prov_buf_release(&note);
	prov_buf_release(&vk);
	prov_key_release(&op);
	prov_key_release(&witness);
	prov_key_release(&opv);
	prov_key_release(&wv);
}

DEFINE_TEST(test_key_files_are_private)
{
	struct prov_key k, back;
	struct prov_err e;
	struct stat st;
	unsigned char sig[64];

	prov_key_init(&k);
	prov_key_init(&back);
	assert_ok(prov_key_generate(&k, "vendor-a", PROV_KEY_SIGNER, NULL));
	assert_ok(prov_key_write_private(&k, "a.key", NULL));
	assert_eq_int(stat("a.key", &st), 0);
	assert_eq_int(st.st_mode & 0777, 0600);
	/* never over an existing file */
	assert_eq_int(prov_key_write_private(&k, "a.key", &e), PROV_FAILED);
	assert_ok(prov_key_read_private(&back, "a.key", NULL));
	assert_eq_mem(back.pub, k.pub, 32);
	assert_ok(prov_sign(&back, "m", 1, sig, NULL));
	assert_ok(prov_verify(&k, "m", 1, sig));
	assert_eq_int(prov_verify(&k, "n", 1, sig), PROV_FAILED);
	chmod("a.key", 0644);
	assert_eq_int(prov_key_read_private(&back, "a.key", &e), PROV_FAILED);
	assert_true(strstr(e.msg, "too open") != NULL);
	chmod("a.key", 0600);
	assert_eq_int(symlink("a.key", "link.key"), 0);
	assert_eq_int(prov_key_read_private(&back, "link.key", &e), PROV_FAILED);
	prov_key_release(&k);
	prov_key_release(&back);
}

static void
check_canonical(const char *in, const char *want)
{
	struct prov_buf out = PROV_BUF_INIT;
	json_t *v = json_loads(in, 0, NULL);

	failure("input %s", in);
	assert_true(v != NULL);
	assert_ok(prov_cjson_encode(v, &out, NULL));
	assert_eq_str(out.buf, want);
	assert_ok(prov_cjson_check(out.buf, out.len, NULL, NULL));
	json_decref(v);
	prov_buf_release(&out);
}

DEFINE_TEST(test_cjson_is_rfc8785_for_integers)
{
	struct prov_buf out = PROV_BUF_INIT;
	json_t *v;

	check_canonical("{ \"b\": 2, \"a\": [1, true, null, \"x\"] }",
	    "{\"a\":[1,true,null,\"x\"],\"b\":2}");
	/* strings: only what JSON requires is escaped; the rest is raw UTF-8 */
	check_canonical("[\"\\u0001\\t\\\"\\\\/\\u00e9\\u20ac\"]",
	    "[\"\\u0001\\t\\\"\\\\/\xc3\xa9\xe2\x82\xac\"]");
	/* keys by UTF-16 code units: U+1F600 (surrogates D83D..) sorts before U+FB33 */
	check_canonical("{\"\\ufb33\":1,\"\\ud83d\\ude00\":2,\"\\u20ac\":3,\"a\":4}",
	    "{\"a\":4,\"\xe2\x82\xac\":3,\"\xf0\x9f\x98\x80\":2,\"\xef\xac\xb3\":1}");
	v = json_loads("{\"x\":1.5}", 0, NULL);
	assert_eq_int(prov_cjson_encode(v, &out, NULL), PROV_FAILED);
	assert_eq_int(out.len, 0);
	json_decref(v);
	v = json_loads("[9007199254740992]", 0, NULL);
	assert_eq_int(prov_cjson_encode(v, &out, NULL), PROV_FAILED);
	json_decref(v);
	assert_eq_int(prov_cjson_check("{\"a\":1, \"b\":2}", 14, NULL, NULL), PROV_FAILED);
	assert_eq_int(prov_cjson_check("{\"b\":1,\"a\":2}", 13, NULL, NULL), PROV_FAILED);
	assert_eq_int(prov_cjson_check("{\"a\":1,\"a\":1}", 13, NULL, NULL), PROV_FAILED);
	prov_buf_release(&out);
}
