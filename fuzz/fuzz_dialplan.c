/* fuzz_dialplan.c - libFuzzer target: what an administrator types into `ccctl route add`
 * (patterns, targets, extensions) and what a caller dials (the number matched against the
 * dial plan and rewritten for a trunk). The input is split at the first two NUL bytes into
 * pattern, target and dialled number. A pattern that validates must not fail to be added. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_dialplan.h"

static const char *s_next(const uint8_t **p, const uint8_t *end, char *buf, size_t len)
{
    size_t n = 0;
    while (*p < end && **p && n + 1 < len)
        buf[n++] = (char)*(*p)++;
    buf[n] = '\0';
    while (*p < end && **p) /* the rest of an over-long part */
        (*p)++;
    if (*p < end)
        (*p)++;
    return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    char pattern[CC_PATTERN_MAX + 8], target[128], number[64], err[256], out[CC_NUMBER_MAX * 2];
    s_next(&p, end, pattern, sizeof pattern);
    s_next(&p, end, target, sizeof target);
    s_next(&p, end, number, sizeof number);
    cc_dialplan_t *plan = cc_dialplan_new();
    cc_route_t r = {.id = 1, .strip = size ? data[0] % 6 : 0};
    snprintf(r.prefix, sizeof r.prefix, "%.*s", (int)(strlen(number) % 5), number);
    cc_target_kind_t kind;
    char name[CC_TARGET_NAME_MAX];
    if (cc_target_parse(target, &kind, name, sizeof name, err, sizeof err) == 0) {
        r.kind = kind;
        snprintf(r.target, sizeof r.target, "%s", name);
    }
    if (cc_pattern_validate(pattern, err, sizeof err) == 0 && strlen(pattern) < sizeof r.pattern) {
        snprintf(r.pattern, sizeof r.pattern, "%s", pattern);
        if (cc_dialplan_add(plan, &r) != 0)
            abort();
    }
    (void)cc_pattern_matches(pattern, number);
    if (cc_extension_validate(number, err, sizeof err) == 0 &&
        cc_dialplan_add_extension(plan, number) != 0)
        abort();
    const cc_route_t *hit = cc_dialplan_match(plan, number);
    if (hit)
        (void)cc_route_rewrite(hit, number, out, sizeof out);
    cc_dialplan_destroy(&plan);
    return 0;
}
