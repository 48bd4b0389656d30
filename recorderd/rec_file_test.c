/* rec_file_test.c - repairing a file a crash left open: an encrypted file found without
 * the key is refused and reports no audio (not whatever was on the stack). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cc_test.h"
#include "rec_crypto.h"
#include "rec_file.h"

CC_TEST(rec_file_repair_encrypted_without_key)
{
    char path[] = "/tmp/rec-repair-XXXXXX";
    int fd = mkstemp(path);
    CC_CHECK(fd >= 0);
    uint8_t body[64];
    memset(body, 0x5a, sizeof body);
    memcpy(body, REC_ENC_MAGIC, 8);
    bool wrote = write(fd, body, sizeof body) == (ssize_t)sizeof body;
    close(fd);
    uint64_t size = 0, frames = 12345;
    char sha[65] = "";
    int rc = rec_file_repair(path, NULL, &size, sha, &frames);
    unlink(path);
    CC_CHECK(wrote);
    CC_CHECK_INT(rc, -1);
    CC_CHECK_INT(frames, 0);
}
