/* cc_digest_test.c - hex digests: known values, a buffer too small, an unknown name. */
#include "cc_digest.h"
#include "cc_test.h"

CC_TEST(digest_hex_known_values_short_buffer_unknown_algorithm)
{
    char out[16];
    CC_CHECK_INT(cc_digest_hex("MD5", "x", 1, out, sizeof out), -1);
    char big[200];
    CC_CHECK_INT(cc_digest_hex("NO-SUCH-DIGEST", "x", 1, big, sizeof big), -1);
    CC_CHECK_INT(cc_digest_hex("SHA256", "abc", 3, big, sizeof big), 0);
    CC_CHECK_STR(big, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CC_CHECK_INT(cc_digest_hex("MD5", "", 0, big, sizeof big), 0);
    CC_CHECK_STR(big, "d41d8cd98f00b204e9800998ecf8427e");
}
