/* md_srtp_ossl.h - AES-ICM-128 and HMAC-SHA1 for libsrtp2 on OpenSSL (EVP AES-128-CTR,
 * SHA-1), each session keyed once. Debian's libsrtp2 is built on NSS, which creates and
 * frees a PKCS#11 context per packet (mallocs and locks: ~10 us per packet, measured);
 * these replace its AES_CM_128 cipher and HMAC-SHA1 auth types process-wide. */
#ifndef MD_SRTP_OSSL_H
#define MD_SRTP_OSSL_H

/* Register both with libsrtp (after srtp_init; libsrtp self-tests them against its own
 * test vectors first). 0, or -1 when refused (libsrtp's own types stay in place). */
int md_srtp_ossl_register(void);

#endif
