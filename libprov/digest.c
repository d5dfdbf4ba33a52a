/* digest.c: SHA-256 through OpenSSL EVP, hex encoding. */
#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>

#include "prov.h"
#include "banned.h"

/* Fetched once: EVP_get_digestbyname per call costs a provider lookup. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void
fetch_sha256(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

int
prov_sha256_init(struct prov_sha256 *h, struct prov_err *e)
{
	EVP_MD_CTX *ctx;

	pthread_once(&sha256_once, fetch_sha256);
	h->ctx = NULL;
	if (sha256_md == NULL)
		return prov_seterr(e, PROV_FATAL, 0, "sha256: OpenSSL has no SHA-256");
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex(ctx, sha256_md, NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return prov_seterr(e, PROV_FATAL, 0, "sha256: cannot initialise");
	}
	h->ctx = ctx;
	return PROV_OK;
}

void
prov_sha256_update(struct prov_sha256 *h, const void *data, size_t len)
{
	EVP_DigestUpdate(h->ctx, data, len);
}

void
prov_sha256_final(struct prov_sha256 *h, unsigned char out[PROV_SHA256_LEN])
{
	unsigned int n = PROV_SHA256_LEN;

	EVP_DigestFinal_ex(h->ctx, out, &n);
	/* Ready for another message with the same state. */
	EVP_DigestInit_ex(h->ctx, sha256_md, NULL);
}

void
prov_sha256_release(struct prov_sha256 *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

int
prov_sha256(const void *data, size_t len, unsigned char out[PROV_SHA256_LEN])
{
	pthread_once(&sha256_once, fetch_sha256);
	if (sha256_md == NULL || EVP_Digest(data, len, out, NULL, sha256_md, NULL) != 1)
		return PROV_FATAL;
	return PROV_OK;
}

void
prov_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
prov_unhex(const char *in, unsigned char *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int hi = hexval((unsigned char)in[2 * i]);
		int lo = hi < 0 ? -1 : hexval((unsigned char)in[2 * i + 1]);
		if (lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return in[2 * n] == '\0' ? 0 : -1;
}
