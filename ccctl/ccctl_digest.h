/* ccctl_digest.h - the secrets ccctl makes: SIP digest HA1s (MD5 and SHA-256 of
 * "user:realm:password", RFC 2617 / RFC 7616) with OpenSSL EVP, and random alphanumeric
 * passwords for demo accounts. No I/O except reading /dev/urandom in ccctl_random_password. */
#ifndef CCCTL_DIGEST_H
#define CCCTL_DIGEST_H

#include <stddef.h>

#define CCCTL_MD5_HEX_LEN 32
#define CCCTL_SHA256_HEX_LEN 64

/* Both HA1s of user:realm:password. 0 or -1. */
int ccctl_ha1(const char *user, const char *realm, const char *password,
              char md5_hex[CCCTL_MD5_HEX_LEN + 1], char sha256_hex[CCCTL_SHA256_HEX_LEN + 1]);

/* Map random bytes to `len` characters of [A-Za-z0-9] without bias (bytes >= 248 are
 * skipped). Returns the number of characters written (< len if the bytes ran out);
 * out gets a terminating NUL. */
size_t ccctl_alnum_from_bytes(const unsigned char *bytes, size_t nbytes, char *out, size_t len);

/* A random alphanumeric password of `len` characters from /dev/urandom. 0 or -1. */
int ccctl_random_password(char *out, size_t len);

#endif
