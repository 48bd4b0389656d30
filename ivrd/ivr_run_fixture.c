/* ivr_run_fixture.c - the interpreter's test helpers (see ivr_run_fixture.h). Holds no test
 * itself and is never linked into a program. */
#include "ivr_run_fixture.h"

#include <stdio.h>

const char *ivr_fx_text(const ivr_actions_t *actions)
{
    static char text[8192];
    ivr_actions_format(actions, text, sizeof text);
    return text;
}

const char *ivr_fx_path(const ivr_run_t *run)
{
    static char text[8192];
    size_t len = 0;
    text[0] = '\0';
    for (size_t i = 0; i < ivr_run_path_size(run) && len < sizeof text; i++) {
        ivr_step_t step = ivr_run_path_at(run, i);
        int n = snprintf(text + len, sizeof text - len, "%s%s:%s", i ? " " : "", step.node,
                         step.input[0] ? step.input : "-");
        if (n < 0)
            break;
        len += (size_t)n;
    }
    return text;
}
