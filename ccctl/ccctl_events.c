/* ccctl_events.c - `ccctl events doc`: the bus catalogue (common/events/<domain>.def) rendered as
 * Markdown, which is how docs/EVENTS.md is produced. Rendering is cc_events'. */
#include <string.h>

#include "cc_events.h"
#include "ccctl.h"

void ccctl_events_usage(FILE *out)
{
    fputs("usage: ccctl events doc    print every bus event and command as Markdown\n"
          "                           (this is docs/EVENTS.md)\n",
          out);
}

int ccctl_events_main(ccctl_t *ctx, int argc, char **argv)
{
    (void)ctx;
    if (ccctl_wants_help(argc - 1, argv + 1)) {
        ccctl_events_usage(stdout);
        return CCCTL_EXIT_OK;
    }
    if (argc != 2 || strcmp(argv[1], "doc") != 0)
        return ccctl_usage_fail(ccctl_events_usage, argc < 2   ? "events: missing sub-command"
                                                    : argc > 2 ? "events: too many arguments"
                                                               : "events: unknown sub-command");
    cc_events_write_markdown(stdout);
    return CCCTL_EXIT_OK;
}
