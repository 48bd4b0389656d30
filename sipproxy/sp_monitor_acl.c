/* sp_monitor_acl.c - supervisors, queue members and the monitoring rule (see
 * sp_monitor_acl.h). Both lists are short and read only when someone dials a monitoring
 * code, so they are plain arrays scanned in full. */
#include "sp_monitor_acl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char ext[16];
    char name[65];
    bool admin;
    bool all_queues;
    char *queues; /* ",q1,q2," so that ",q," finds one exactly; NULL for all */
} s_supervisor_t;

typedef struct {
    char queue[64];
    char ext[16];
} s_member_t;

struct sp_monitor_acl {
    s_supervisor_t *sups;
    int nsups, sup_cap;
    s_member_t *members;
    int nmembers, member_cap;
};

sp_monitor_acl_t *sp_monitor_acl_new(void)
{
    return calloc(1, sizeof(sp_monitor_acl_t));
}

void sp_monitor_acl_destroy(sp_monitor_acl_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sp_monitor_acl_t *self = *self_p;
    for (int i = 0; i < self->nsups; i++)
        free(self->sups[i].queues);
    free(self->sups);
    free(self->members);
    free(self);
    *self_p = NULL;
}

static bool s_grow(void **arr, int *cap, int n, size_t size)
{
    if (n < *cap)
        return true;
    int ncap = *cap ? *cap * 2 : 16;
    void *p = realloc(*arr, (size_t)ncap * size);
    if (!p)
        return false;
    *arr = p;
    *cap = ncap;
    return true;
}

int sp_monitor_acl_add_supervisor(sp_monitor_acl_t *self, const char *ext, const char *name,
                                  bool admin, const char *queues)
{
    if (!ext || !*ext ||
        !s_grow((void **)&self->sups, &self->sup_cap, self->nsups, sizeof(s_supervisor_t)))
        return -1;
    s_supervisor_t s = {.admin = admin, .all_queues = queues == NULL};
    snprintf(s.ext, sizeof s.ext, "%s", ext);
    snprintf(s.name, sizeof s.name, "%s", name ? name : "");
    if (queues) {
        size_t n = strlen(queues) + 3;
        s.queues = malloc(n);
        if (!s.queues)
            return -1;
        snprintf(s.queues, n, ",%s,", queues);
    }
    self->sups[self->nsups++] = s;
    return 0;
}

int sp_monitor_acl_add_member(sp_monitor_acl_t *self, const char *queue, const char *ext)
{
    if (!queue || !ext ||
        !s_grow((void **)&self->members, &self->member_cap, self->nmembers, sizeof(s_member_t)))
        return -1;
    s_member_t *m = &self->members[self->nmembers++];
    snprintf(m->queue, sizeof m->queue, "%s", queue);
    snprintf(m->ext, sizeof m->ext, "%s", ext);
    return 0;
}

static bool s_in_list(const char *list, const char *queue)
{
    char needle[80];
    snprintf(needle, sizeof needle, ",%s,", queue);
    return strstr(list, needle) != NULL;
}

/* Is target a member of a queue the supervisor covers? */
static bool s_covers(const sp_monitor_acl_t *self, const s_supervisor_t *s, const char *target)
{
    for (int i = 0; i < self->nmembers; i++) {
        const s_member_t *m = &self->members[i];
        if (strcmp(m->ext, target) == 0 && (s->all_queues || s_in_list(s->queues, m->queue)))
            return true;
    }
    return false;
}

sp_monitor_verdict_t sp_monitor_acl_check(const sp_monitor_acl_t *self, const char *supervisor_ext,
                                          const char *target_ext, const char **who)
{
    if (who)
        *who = NULL;
    if (strcmp(supervisor_ext, target_ext) == 0)
        return SP_MONITOR_SELF;
    bool known = false;
    /* an extension may belong to several web users: any one of them that may, may */
    for (int i = 0; i < self->nsups; i++) {
        const s_supervisor_t *s = &self->sups[i];
        if (strcmp(s->ext, supervisor_ext) != 0)
            continue;
        if (who && !*who)
            *who = s->name;
        known = true;
        if (s->admin || s_covers(self, s, target_ext)) {
            if (who)
                *who = s->name;
            return SP_MONITOR_ALLOWED;
        }
    }
    return known ? SP_MONITOR_NOT_THEIR_AGENT : SP_MONITOR_NOT_SUPERVISOR;
}

const char *sp_monitor_verdict_name(sp_monitor_verdict_t verdict)
{
    switch (verdict) {
    case SP_MONITOR_ALLOWED:
        return "allowed";
    case SP_MONITOR_NOT_SUPERVISOR:
        return "not_a_supervisor";
    case SP_MONITOR_NOT_THEIR_AGENT:
        return "not_their_agent";
    case SP_MONITOR_SELF:
        return "own_extension";
    }
    return "refused";
}
