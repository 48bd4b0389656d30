/* sp_divert.c - DND and forwarding decisions (see sp_divert.h). No I/O, no clock. */
#include "sp_divert.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const char *const S_NAMES[SP_DIVERT_NCONDS] = {"always", "busy", "noanswer",
                                                      "unavailable"};

const char *sp_divert_cond_name(sp_divert_cond_t cond)
{
    return cond >= 0 && cond < SP_DIVERT_NCONDS ? S_NAMES[cond] : "?";
}

int sp_divert_cond_parse(const char *name)
{
    for (int i = 0; name && i < SP_DIVERT_NCONDS; i++)
        if (strcmp(name, S_NAMES[i]) == 0)
            return i;
    return -1;
}

static bool s_all(const char *s, const char *allowed, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s) && !strchr(allowed, *s))
            return false;
    return true;
}

bool sp_divert_target_ok(const char *t)
{
    if (!t)
        return false;
    if (strncmp(t, "ext:", 4) == 0)
        return strlen(t + 4) >= 2 && s_all(t + 4, "", 15);
    if (strncmp(t, "number:", 7) == 0)
        return s_all(t + 7, "+*#", 32);
    if (strncmp(t, "vm:", 3) == 0)
        return s_all(t + 3, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-.", 40);
    return false;
}

static bool s_seen(const sp_divert_state_t *st, const char *ext)
{
    for (int i = 0; i < st->nseen; i++)
        if (strcmp(st->seen[i], ext) == 0)
            return true;
    return false;
}

static void s_mark(sp_divert_state_t *st, const char *ext)
{
    if (!s_seen(st, ext) && st->nseen < SP_DIVERT_MAX_HOPS + 1)
        snprintf(st->seen[st->nseen++], sizeof st->seen[0], "%s", ext);
}

/* A diversion to target, unless it would loop back or go too far: then none. */
static sp_divert_t s_to(sp_divert_state_t *st, const char *target, const char *reason)
{
    sp_divert_t d = {.action = SP_DIVERT_NONE};
    if (!target[0] || st->hops >= SP_DIVERT_MAX_HOPS)
        return d;
    if (strncmp(target, "ext:", 4) == 0 && s_seen(st, target + 4))
        return d; /* A -> B -> A: stop where we are */
    st->hops++;
    d.action = SP_DIVERT_TO;
    snprintf(d.target, sizeof d.target, "%s", target);
    snprintf(d.reason, sizeof d.reason, "%s", reason);
    return d;
}

sp_divert_t sp_divert_before_ring(sp_divert_state_t *st, const char *ext,
                                  const sp_divert_settings_t *s)
{
    s_mark(st, ext);
    sp_divert_t ring = {.action = SP_DIVERT_RING};
    if (!s)
        return ring;
    if (s->dnd) {
        sp_divert_t d = s_to(st, s->fwd[SP_DIVERT_BUSY], "dnd");
        if (d.action == SP_DIVERT_TO)
            return d;
        return (sp_divert_t){.action = SP_DIVERT_REJECT, .code = 486, .reason = "dnd"};
    }
    sp_divert_t d = s_to(st, s->fwd[SP_DIVERT_ALWAYS], "always");
    if (d.action == SP_DIVERT_TO)
        return d;
    if (s->fwd[SP_DIVERT_NOANSWER][0])
        ring.ring_s = s->ring_time_s > 0 ? s->ring_time_s : SP_DIVERT_RING_DEFAULT_S;
    return ring;
}

sp_divert_t sp_divert_after_fail(sp_divert_state_t *st, const char *ext,
                                 const sp_divert_settings_t *s, sp_divert_cond_t cond)
{
    s_mark(st, ext);
    if (!s || cond < SP_DIVERT_BUSY || cond >= SP_DIVERT_NCONDS)
        return (sp_divert_t){.action = SP_DIVERT_NONE};
    return s_to(st, s->fwd[cond], S_NAMES[cond]);
}

sp_divert_cond_t sp_divert_cond_of(int code)
{
    if (code == 486 || code == 600 || code == 603)
        return SP_DIVERT_BUSY;
    if (code == 408)
        return SP_DIVERT_NOANSWER;
    return SP_DIVERT_UNAVAILABLE;
}
