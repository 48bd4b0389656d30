/* ccctl_config.c - `ccctl config ...`: the example config generated from the key tables
 * (common/config/<section>.def) and a check of the config ccctl would load. The rules themselves
 * are cc_config's; this file only exposes them on the command line. */
#include <string.h>

#include "ccctl.h"

void ccctl_config_usage(FILE *out)
{
    fputs("usage: ccctl config example    print an example config with every key and its help\n"
          "       ccctl config check      load the config (-c FILE, $CC_CONFIG, ...) and say\n"
          "                               \"config ok\" or what is wrong (exit 2)\n",
          out);
}

int ccctl_config_main(ccctl_t *ctx, int argc, char **argv)
{
    if (ccctl_wants_help(argc - 1, argv + 1)) {
        ccctl_config_usage(stdout);
        return CCCTL_EXIT_OK;
    }
    const char *sub = argc > 1 ? argv[1] : NULL;
    if (!sub)
        return ccctl_usage_fail(ccctl_config_usage, "config: missing sub-command");
    if (argc > 2)
        return ccctl_usage_fail(ccctl_config_usage, "unexpected argument '%s'", argv[2]);
    if (strcmp(sub, "example") == 0) {
        cc_config_write_example(stdout);
        return CCCTL_EXIT_OK;
    }
    if (strcmp(sub, "check") == 0) {
        if (!ccctl_config(ctx))
            return CCCTL_EXIT_USAGE;
        printf("config ok\n");
        return CCCTL_EXIT_OK;
    }
    return ccctl_usage_fail(ccctl_config_usage, "config: unknown sub-command '%s'", sub);
}
