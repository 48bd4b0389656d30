/* cc_secret_test.c - the secret-file check: private and group files pass, a file others
 * may read or write is refused with its mode and the fix, a directory is refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cc_secret.h"
#include "cc_test.h"

CC_TEST(secret_file_modes)
{
    char dir[] = "/tmp/cc-secret-XXXXXX";
    CC_CHECK(mkdtemp(dir) != NULL);
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/key", dir);
    FILE *f = fopen(path, "w");
    CC_CHECK(f != NULL);
    fputs("00112233", f);
    fclose(f);
    chmod(path, 0600);
    CC_CHECK_INT(cc_secret_file_check(path, "test key", err, sizeof err), 0);
    chmod(path, 0640);
    CC_CHECK_INT(cc_secret_file_check(path, "test key", err, sizeof err), 0);
    chmod(path, 0644);
    CC_CHECK_INT(cc_secret_file_check(path, "test key", err, sizeof err), -1);
    CC_CHECK(strstr(err, "test key") && strstr(err, path) &&
             strstr(err, "readable by every user") && strstr(err, "mode 0644") &&
             strstr(err, "chmod o-rwx"));
    chmod(path, 0602);
    CC_CHECK_INT(cc_secret_file_check(path, "test key", err, sizeof err), -1);
    CC_CHECK(strstr(err, "writable by every user (mode 0602)") != NULL);
    CC_CHECK(strstr(err, "00112233") == NULL); /* never the content */
    CC_CHECK_INT(cc_secret_file_check(dir, "test key", err, sizeof err), -1);
    CC_CHECK(strstr(err, "not a regular file") != NULL);
    unlink(path);
    CC_CHECK_INT(cc_secret_file_check(path, "test key", err, sizeof err), -1);
    CC_CHECK(strstr(err, "cannot open") != NULL);
    rmdir(dir);
}
