/* cc_secret.h - files that hold secrets (keys, passwords, the recording master key): a
 * daemon checks each when it opens it and refuses one that every user of the machine may
 * read or write, naming the file, its mode and the fix. Group access is allowed (the
 * daemons share a group). Nothing here reads or logs the secret itself. */
#ifndef CC_SECRET_H
#define CC_SECRET_H

#include <stddef.h>

/* The open file fd (its name `path`, `what` it holds, e.g. "recording master key") may
 * hold a secret: 0, or -1 with err saying why not ("... is readable by every user (mode
 * 0644): chmod o-rwx ..."). Also -1 for anything but a regular file. */
int cc_secret_fd_check(int fd, const char *path, const char *what, char *err, size_t errlen);

/* The same by path (opens it read-only). */
int cc_secret_file_check(const char *path, const char *what, char *err, size_t errlen);

#endif
