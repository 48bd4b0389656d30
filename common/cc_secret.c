/* cc_secret.c - the permission check on files holding secrets (see cc_secret.h). */
#include "cc_secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cc_secret_fd_check(int fd, const char *path, const char *what, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s %s is not a regular file", what, path);
        return -1;
    }
    unsigned mode = (unsigned)st.st_mode & 07777u;
    if (mode & (S_IROTH | S_IWOTH | S_IXOTH)) {
        snprintf(err, errlen,
                 "%s %s is %s by every user (mode %04o): chmod o-rwx it (600, or 640 to share "
                 "it with the group)",
                 what, path, mode & S_IWOTH ? "writable" : "readable", mode);
        return -1;
    }
    return 0;
}

int cc_secret_file_check(const char *path, const char *what, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        snprintf(err, errlen, "%s %s: cannot open: %s", what, path, strerror(errno));
        return -1;
    }
    int rc = cc_secret_fd_check(fd, path, what, err, errlen);
    close(fd);
    return rc;
}
