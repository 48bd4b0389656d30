/* cc_digest.h - lower-case hex digests (MD5, SHA-256, ...) through OpenSSL EVP: the one
 * place the suite turns bytes into a hex hash, for SIP digest authentication (ccctl makes
 * the HA1s, sipproxy checks responses). Pure. */
#ifndef CC_DIGEST_H
#define CC_DIGEST_H

#include <stddef.h>

/* Hex digest of `data` with the EVP digest named `algo` ("MD5", "SHA256") into out (at
 * least 2 * digest size + 1 bytes). 0, or -1 (unknown digest, out too small). */
int cc_digest_hex(const char *algo, const char *data, size_t len, char *out, size_t outlen);

#endif
