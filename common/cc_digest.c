/* cc_digest.c - hex digests through OpenSSL EVP (see cc_digest.h). */
#include "cc_digest.h"

#include <openssl/evp.h>

int cc_digest_hex(const char *algo, const char *data, size_t len, char *out, size_t outlen)
{
    const EVP_MD *md = EVP_get_digestbyname(algo);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    if (!md || EVP_Digest(data, len, digest, &dlen, md, NULL) != 1 || outlen < 2 * (size_t)dlen + 1)
        return -1;
    static const char hex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < dlen; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 0x0f];
    }
    out[2 * dlen] = '\0';
    return 0;
}
