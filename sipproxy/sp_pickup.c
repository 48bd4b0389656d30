/* sp_pickup.c - call pickup decisions (see sp_pickup.h). */
#include "sp_pickup.h"

#include <stdio.h>
#include <string.h>

bool sp_pickup_match(const char *dialled, sp_pickup_mode_t *mode, char *ext, size_t extlen)
{
    if (!dialled)
        return false;
    if (strcmp(dialled, "*8") == 0) {
        *mode = SP_PICKUP_GROUP;
        if (extlen)
            ext[0] = '\0';
        return true;
    }
    if (strncmp(dialled, "**", 2) != 0)
        return false;
    const char *e = dialled + 2;
    size_t n = strlen(e);
    if (n < 2 || n > 15 || n >= extlen || strspn(e, "0123456789") != n)
        return false;
    *mode = SP_PICKUP_DIRECTED;
    memcpy(ext, e, n + 1);
    return true;
}

bool sp_pickup_group_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    return n >= 1 && n < SP_PICKUP_GROUP_MAX &&
           strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

static bool s_eligible(sp_pickup_mode_t mode, const char *picker, const char *picker_group,
                       const char *directed_ext, const sp_pickup_cand_t *c)
{
    if (!c->call_id || !c->ext || strcmp(c->ext, picker) == 0 ||
        (c->caller && strcmp(c->caller, picker) == 0))
        return false;
    if (mode == SP_PICKUP_DIRECTED)
        return directed_ext && strcmp(c->ext, directed_ext) == 0;
    return c->group && c->group[0] && strcmp(c->group, picker_group) == 0;
}

sp_pickup_result_t sp_pickup_choose(sp_pickup_mode_t mode, const char *picker,
                                    const char *picker_group, const char *directed_ext,
                                    const sp_pickup_cand_t *cands, size_t n, size_t *index)
{
    if (!picker_group)
        picker_group = "";
    if (mode == SP_PICKUP_GROUP && !picker_group[0])
        return SP_PICKUP_NO_GROUP;
    bool found = false;
    size_t best = 0;
    for (size_t i = 0; i < n; i++) {
        if (!s_eligible(mode, picker, picker_group, directed_ext, &cands[i]))
            continue;
        if (!found || cands[i].since < cands[best].since)
            best = i;
        found = true;
    }
    if (!found)
        return SP_PICKUP_NOTHING;
    *index = best;
    return SP_PICKUP_FOUND;
}
