/* ccctl_digest.c - digest HA1s through OpenSSL EVP and random demo passwords (see
 * ccctl_digest.h). Passwords pass through here and are wiped from local buffers after. */
#include "ccctl_digest.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cc_digest.h"

int ccctl_ha1(const char *user, const char *realm, const char *password,
              char md5_hex[CCCTL_MD5_HEX_LEN + 1], char sha256_hex[CCCTL_SHA256_HEX_LEN + 1])
{
    char buf[512];
    int n = snprintf(buf, sizeof buf, "%s:%s:%s", user, realm, password);
    int rc = -1;
    if (n > 0 && (size_t)n < sizeof buf &&
        cc_digest_hex("MD5", buf, (size_t)n, md5_hex, CCCTL_MD5_HEX_LEN + 1) == 0 &&
        cc_digest_hex("SHA256", buf, (size_t)n, sha256_hex, CCCTL_SHA256_HEX_LEN + 1) == 0)
        rc = 0;
    explicit_bzero(buf, sizeof buf);
    return rc;
}

size_t ccctl_alnum_from_bytes(const unsigned char *bytes, size_t nbytes, char *out, size_t len)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    size_t n = 0;
    for (size_t i = 0; i < nbytes && n < len; i++) {
        /* 248 = 4 * 62: keeping only bytes below it makes every character equally likely. */
        if (bytes[i] < 248)
            out[n++] = alphabet[bytes[i] % 62];
    }
    out[n] = '\0';
    return n;
}

int ccctl_random_password(char *out, size_t len)
{
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t n = 0;
    out[0] = '\0';
    unsigned char bytes[64];
    while (n < len) {
        ssize_t got = read(fd, bytes, sizeof bytes);
        if (got <= 0)
            break;
        n += ccctl_alnum_from_bytes(bytes, (size_t)got, out + n, len - n);
    }
    close(fd);
    explicit_bzero(bytes, sizeof bytes);
    return n == len ? 0 : -1;
}
