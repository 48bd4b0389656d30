/* fuzz_config.c - libFuzzer target: the configuration file parser every daemon and ccctl
 * start with (cc_config_load). A refused file must say why; an accepted one answers
 * lookups of any section and key. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_input.h"
#include "cc_config.h"
#include "cc_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fuzz_quiet();
        fd = memfd_create("fuzz-config", 0);
        if (fd < 0)
            abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
    char err[256] = "";
    cc_config_t *cfg = cc_config_load(path, err, sizeof err);
    if (!cfg) {
        if (!err[0])
            abort(); /* a refusal always says why */
        return 0;
    }
    (void)cc_config_bool(cfg, "recorderd", "encrypt");
    (void)cc_config_str(cfg, "mediad", "media_address");
    cc_config_destroy(&cfg);
    return 0;
}
