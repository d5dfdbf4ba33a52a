/* t_key.c: Ed25519 keys in the signed-note text forms, key IDs, key files. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

#define PN_PRIV "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define PN_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"

DEFINE_TEST(test_key_id_is_sha256_of_name_type_and_key)
{
	struct prov_key k, c;
	struct prov_buf b = PROV_BUF_INIT, vk = PROV_BUF_INIT;
	unsigned char h[32];

	prov_key_init(&k);
	prov_key_init(&c);
	/* the private key's base64 holds a '+': the split is on the first ones */
	assert_ok(prov_key_parse_private(&k, PN_PRIV, strlen(PN_PRIV), NULL));
	assert_eq_str(k.name, "PeterNeumann");
	prov_buf_addstr(&b, "PeterNeumann\n\x01");
	prov_buf_add(&b, k.pub, 32);
	prov_sha256(b.buf, b.len, h);
	assert_eq_mem(k.id, h, 4);
	assert_eq_mem(k.id, "\xc7\x4f\x20\xa3", 4);
	/* the same key as a cosigner (type 0x04) has another ID */
	prov_vkey_format(&k, &vk);
	assert_eq_str(vk.buf, PN_VKEY);
	prov_buf_reset(&vk);
	k.type = PROV_KEY_COSIGNER;
	b.buf[13] = 4;
	prov_sha256(b.buf, b.len, h);
	prov_buf_addf(&vk, "PeterNeumann+%02x%02x%02x%02x+", h[0], h[1], h[2], h[3]);
	{
		unsigned char raw[33];
		raw[0] = 4;
		memcpy(raw + 1, k.pub, 32);
		prov_base64_encode(raw, 33, &vk);
	}
	assert_ok(prov_vkey_parse(&c, vk.buf, vk.len, NULL));
	assert_eq_int(c.type, PROV_KEY_COSIGNER);
	assert_eq_mem(c.id, h, 4);
	assert_true(memcmp(c.id, "\xc7\x4f\x20\xa3", 4) != 0);
	prov_buf_release(&b);
	prov_buf_release(&vk);
	prov_key_release(&k);
	prov_key_release(&c);
}

static int
vkey_ok(const char *s)
{
	struct prov_key k;
	int rc;

	prov_key_init(&k);
	rc = prov_vkey_parse(&k, s, strlen(s), NULL);
	prov_key_release(&k);
	return rc == PROV_OK;
}

DEFINE_TEST(test_vkey_parse_is_strict)
{
	assert_true(vkey_ok(PN_VKEY));
	assert_true(!vkey_ok("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"));
	assert_true(!vkey_ok("Peterneumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"));
	assert_true(!vkey_ok("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T"));
	assert_true(!vkey_ok("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n"));
	assert_true(!vkey_ok("PeterNeumann+c74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"));
	assert_true(!vkey_ok("PeterNeumann+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"));
	assert_true(!vkey_ok("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"));
	/* type byte 0x02 is not an Ed25519 signer or cosigner */
	assert_true(!vkey_ok("PeterNeumann+c74f20a3+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"));
	assert_true(!vkey_ok(""));
}

DEFINE_TEST(test_key_file_modes_and_contents)
{
	static const mode_t refused[] = { 0604, 0640, 0620, 0602, 0660, 0644 };
	struct prov_key k, back;
	struct prov_err e;
	unsigned char sig[64];
	char text[256];
	size_t i;
	int fd;

	prov_key_init(&k);
	prov_key_init(&back);
	assert_ok(prov_key_generate(&k, "studio.example/prov", PROV_KEY_SIGNER, NULL));
	assert_ok(prov_key_write_private(&k, "op.key", NULL));
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		chmod("op.key", refused[i]);
		failure("mode %04o", (unsigned)refused[i]);
		assert_eq_int(prov_key_read_private(&back, "op.key", &e), PROV_FAILED);
		assert_true(strstr(e.msg, "too open") != NULL);
	}
	chmod("op.key", 0400);
	assert_ok(prov_key_read_private(&back, "op.key", NULL));
	assert_eq_mem(back.seed, k.seed, 32);
	assert_eq_str(back.name, k.name);
	/* missing file, a directory, junk, two keys in one file */
	assert_eq_int(prov_key_read_private(&back, "none.key", &e), PROV_FAILED);
	assert_true(strstr(e.msg, "none.key") != NULL);
	mkdir("dir.key", 0700);
	assert_eq_int(prov_key_read_private(&back, "dir.key", &e), PROV_FAILED);
	fd = open("junk.key", O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_eq_int(write(fd, "PRIVATE+KEY+x+00000000+AAAA\n", 28), 28);
	close(fd);
	assert_eq_int(prov_key_read_private(&back, "junk.key", &e), PROV_FAILED);
	snprintf(text, sizeof(text), "%s\n%s\n", PN_PRIV, PN_PRIV);
	fd = open("two.key", O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_eq_int(write(fd, text, strlen(text)), (long long)strlen(text));
	close(fd);
	assert_eq_int(prov_key_read_private(&back, "two.key", &e), PROV_FAILED);
	/* a verifier key cannot sign, and says so */
	prov_key_release(&back);
	assert_ok(prov_vkey_parse(&back, PN_VKEY, strlen(PN_VKEY), NULL));
	assert_eq_int(prov_sign(&back, "m", 1, sig, &e), PROV_FAILED);
	assert_true(strstr(e.msg, "no private key") != NULL);
	/* release wipes the secret */
	prov_key_release(&k);
	for (i = 0; i < 32; i++)
		assert_eq_int(k.seed[i], 0);
	assert_eq_int(k.has_private, 0);
	prov_key_release(&back);
}

DEFINE_TEST(test_sign_verify_reuses_the_key)
{
	struct prov_key k, v;
	struct prov_buf vk = PROV_BUF_INIT;
	unsigned char sig[64];
	char msg[32];
	int i;

	prov_key_init(&k);
	prov_key_init(&v);
	assert_ok(prov_key_generate(&k, "vendorA", PROV_KEY_SIGNER, NULL));
	prov_vkey_format(&k, &vk);
	assert_ok(prov_vkey_parse(&v, vk.buf, vk.len, NULL));
	for (i = 0; i < 50; i++) {
		snprintf(msg, sizeof(msg), "entry %d", i);
		assert_ok(prov_sign(&k, msg, strlen(msg), sig, NULL));
		assert_ok(prov_verify(&v, msg, strlen(msg), sig));
		sig[i % 64] ^= 0x20;
		assert_eq_int(prov_verify(&v, msg, strlen(msg), sig), PROV_FAILED);
	}
	prov_buf_release(&vk);
	prov_key_release(&k);
	prov_key_release(&v);
}

/* RFC 8032 section 7.1, test 1: the signature is deterministic. */
DEFINE_TEST(test_sign_matches_rfc8032)
{
	static const char seed[] =
	    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
	static const char pub[] =
	    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
	static const char want[] =
	    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
	    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
	struct prov_key k;
	unsigned char sig[64];
	char hex[129];

	prov_key_init(&k);
	assert_ok(prov_unhex(seed, k.seed, 32));
	assert_ok(prov_unhex(pub, k.pub, 32));
	k.has_private = 1;
	assert_ok(prov_sign(&k, "", 0, sig, NULL));
	prov_hex(sig, 64, hex);
	assert_eq_str(hex, want);
	assert_ok(prov_verify(&k, "", 0, sig));
	assert_eq_int(prov_verify(&k, "x", 1, sig), PROV_FAILED);
	prov_key_release(&k);
}

/*
 * A public key of small order lets one signature pass for every message
 * under a cofactorless check that does not refuse such keys: with A the
 * identity, R the identity and S = 0, [S]B = R + [k]A for any k.  Such a
 * key must verify nothing.
 */
DEFINE_TEST(test_verify_refuses_small_order_keys)
{
	struct prov_key k;
	unsigned char sig[64];

	prov_key_init(&k);
	memset(k.pub, 0, 32);
	k.pub[0] = 1;			/* the identity point */
	memset(sig, 0, 64);
	sig[0] = 1;			/* R = the identity, S = 0 */
	assert_eq_int(prov_verify(&k, "anything", 8, sig), PROV_FAILED);
	assert_eq_int(prov_verify(&k, "", 0, sig), PROV_FAILED);
	prov_key_release(&k);
}
