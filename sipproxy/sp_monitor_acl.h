/* sp_monitor_acl.h - who may listen to whose calls: supervisors (web users with the
 * supervisor or admin role bound to an extension) and the queues each agent is a member
 * of. Part of sipproxy's directory snapshot, loaded with it and swapped with it. Pure data
 * and one decision; no SQL here (sp_db.c loads it).
 *
 * The rule: an admin may monitor any extension; a supervisor may monitor an agent who is
 * a member of one of the supervisor's queues (a supervisor of every queue: any agent);
 * nobody monitors their own extension; everyone else is refused. */
#ifndef SP_MONITOR_ACL_H
#define SP_MONITOR_ACL_H

#include <stdbool.h>

typedef struct sp_monitor_acl sp_monitor_acl_t;

typedef enum {
    SP_MONITOR_ALLOWED = 0,
    SP_MONITOR_NOT_SUPERVISOR,  /* the extension is no supervisor's or admin's phone */
    SP_MONITOR_NOT_THEIR_AGENT, /* the target is in none of the supervisor's queues */
    SP_MONITOR_SELF,
} sp_monitor_verdict_t;

sp_monitor_acl_t *sp_monitor_acl_new(void);
void sp_monitor_acl_destroy(sp_monitor_acl_t **self_p);

/* The web user `name` with role admin (admin true) or supervisor works at extension ext;
 * queues: a comma-separated list, or NULL for every queue. -1 when out of memory. */
int sp_monitor_acl_add_supervisor(sp_monitor_acl_t *self, const char *ext, const char *name,
                                  bool admin, const char *queues);
/* Agent `ext` is a member of `queue`. */
int sp_monitor_acl_add_member(sp_monitor_acl_t *self, const char *queue, const char *ext);

/* May the phone at supervisor_ext monitor target_ext? *who (may be NULL) is set to the
 * supervisor's web user name when there is one (for the audit). */
sp_monitor_verdict_t sp_monitor_acl_check(const sp_monitor_acl_t *self, const char *supervisor_ext,
                                          const char *target_ext, const char **who);
const char *sp_monitor_verdict_name(sp_monitor_verdict_t verdict);

#endif
