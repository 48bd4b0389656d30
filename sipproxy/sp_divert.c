/* sp_divert.c - DND and forwarding decisions (see sp_divert.h). No I/O, no clock. */
#include "sp_divert.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const S_NAMES[SP_DIVERT_NCONDS] = {"always", "busy", "noanswer", "unavailable"};

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
    if (s->nfollowme > 0 && !st->fm_active && st->hops < SP_DIVERT_MAX_HOPS) {
        st->fm_active = true;
        st->fm_next = 0;
        snprintf(st->fm_owner, sizeof st->fm_owner, "%s", ext);
        st->hops++;
        return sp_divert_followme_next(st, s);
    }
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

sp_divert_t sp_divert_followme_next(sp_divert_state_t *st, const sp_divert_settings_t *owner)
{
    if (!st->fm_active || !owner)
        return (sp_divert_t){.action = SP_DIVERT_NONE};
    if (st->fm_next < owner->nfollowme) {
        int i = (st->fm_start + st->fm_next) % owner->nfollowme;
        const sp_divert_step_t *step = &owner->followme[i];
        sp_divert_t d = {.action = SP_DIVERT_STEP, .ring_s = step->ring_s};
        snprintf(d.target, sizeof d.target, "%s", step->target);
        snprintf(d.reason, sizeof d.reason, "%s", owner->group ? "group" : "followme");
        st->fm_next++;
        if (owner->all) { /* one step: every member at once */
            st->fm_next = owner->nfollowme;
            snprintf(d.target, sizeof d.target, "%s", st->fm_owner);
        }
        return d;
    }
    st->fm_active = false; /* every step tried: the owner's no-answer target */
    return s_to(st, owner->fwd[SP_DIVERT_NOANSWER], "noanswer");
}

int sp_divert_followme_parse(const char *text, sp_divert_step_t *steps, int *n, char *err,
                             size_t errlen)
{
    *n = 0;
    for (const char *p = text; p && *p;) {
        const char *end = p + strcspn(p, ",");
        const char *slash = memchr(p, '/', (size_t)(end - p));
        char target[SP_DIVERT_TARGET_MAX], secs[8];
        size_t tl = slash ? (size_t)(slash - p) : 0, sl = slash ? (size_t)(end - slash - 1) : 0;
        if (!slash || tl == 0 || tl >= sizeof target || sl == 0 || sl >= sizeof secs) {
            snprintf(err, errlen, "step %d: want TARGET/SECONDS", *n + 1);
            return -1;
        }
        memcpy(target, p, tl);
        target[tl] = '\0';
        memcpy(secs, slash + 1, sl);
        secs[sl] = '\0';
        if (strncmp(target, "vm:", 3) == 0 || !sp_divert_target_ok(target)) {
            snprintf(err, errlen, "step %d: bad target '%s' (ext:EXT or number:N)", *n + 1, target);
            return -1;
        }
        char *e = NULL;
        long ring = strtol(secs, &e, 10);
        if (*e || ring < 5 || ring > 300) {
            snprintf(err, errlen, "step %d: ring time '%s' not 5-300 seconds", *n + 1, secs);
            return -1;
        }
        if (*n >= SP_DIVERT_MAX_STEPS) {
            snprintf(err, errlen, "more than %d steps", SP_DIVERT_MAX_STEPS);
            return -1;
        }
        snprintf(steps[*n].target, sizeof steps[*n].target, "%s", target);
        steps[*n].ring_s = (int)ring;
        (*n)++;
        p = *end ? end + 1 : end;
        if (*end && !*p) {
            snprintf(err, errlen, "empty step after ','");
            return -1;
        }
    }
    return 0;
}

sp_divert_t sp_divert_group_start(sp_divert_state_t *st, const char *key,
                                  const sp_divert_settings_t *group, unsigned turn)
{
    if (!group || group->nfollowme <= 0 || st->hops >= SP_DIVERT_MAX_HOPS)
        return (sp_divert_t){.action = SP_DIVERT_NONE};
    st->fm_active = true;
    st->fm_next = 0;
    st->fm_start = group->hunt ? (int)(turn % (unsigned)group->nfollowme) : 0;
    snprintf(st->fm_owner, sizeof st->fm_owner, "%s", key);
    st->hops++;
    return sp_divert_followme_next(st, group);
}
