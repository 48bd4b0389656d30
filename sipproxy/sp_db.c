/* sp_db.c - Postgres for sipproxy (see sp_db.h): start-up loads in the caller's thread,
 * then one worker thread that owns a second connection, LISTENs for cc_config, rebuilds
 * the directory on change and writes contact changes in batched transactions. */
#include "sp_db.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cc_log.h"
#include "cc_loop.h"
#include "cc_pg_worker.h"

typedef enum {
    S_OP_UPSERT,
    S_OP_DELETE,
    S_OP_DELETE_ALL,
    S_OP_AUDIT,
    S_OP_DND,       /* c.ext, value "t"/"f" */
    S_OP_FWD_ALWAYS /* c.ext, value the target or "" (off) */
} s_op_kind_t;

typedef struct s_op {
    struct s_op *next;
    s_op_kind_t kind;
    sp_contact_t c;
    sp_audit_t a;   /* S_OP_AUDIT */
    char value[64]; /* S_OP_DND, S_OP_FWD_ALWAYS */
} s_op_t;

struct sp_db {
    cc_pg_worker_t *worker;
    char realm[128];
    int notify_fd; /* worker -> main: directory ready */
    pthread_mutex_t lock;
    s_op_t *head, *tail;
    sp_directory_t *pending_dir;
    uint64_t last_expire_ms; /* worker thread only */
};

static const char *S_SQL_USERS =
    "SELECT ext, name, ha1, enabled, ha1_sha256, coalesce(digest_algorithms, ''), srtp, tls "
    "FROM sip_users WHERE realm = $1";
static const char *S_SQL_TRUNKS =
    "SELECT name, host, port, coalesce(username, ''), coalesce(password, ''), transport, "
    "enabled, srtp FROM trunks";
static const char *S_SQL_DIALPLAN =
    "SELECT id, pattern, target_kind, target, strip, prefix FROM dialplan ORDER BY id";
/* supervisors' phones and the queues their agents are in: who may monitor whom */
static const char *S_SQL_SUPERVISORS =
    "SELECT ext, name, role = 'admin', array_to_string(queues, ',') FROM web_users "
    "WHERE ext IS NOT NULL AND NOT disabled AND role IN ('supervisor', 'admin')";
/* screening (022): rules, classes of service, users' classes, caller-prefix routes */
static const char *S_SQL_SCREEN_RULES = "SELECT ext, list, pattern, action FROM screen_rules";
static const char *S_SQL_COS_PREFIXES = "SELECT class, prefix FROM cos_prefixes";
static const char *S_SQL_USER_COS =
    "SELECT ext, cos FROM sip_users WHERE realm = $1 AND cos <> 'international'";
static const char *S_SQL_USER_MUSIC =
    "SELECT ext, moh FROM sip_users WHERE realm = $1 AND moh <> ''";
static const char *S_SQL_USER_PICKUP =
    "SELECT ext, pickup_group FROM sip_users WHERE realm = $1 AND pickup_group <> ''";
static const char *S_SQL_CALLER_ROUTES =
    "SELECT number, caller_prefix, target_kind || ':' || target FROM caller_routes";
static const char *S_SQL_MEMBERS = "SELECT queue, ext FROM queue_members";
static const char *S_SQL_CONTACTS =
    "SELECT ext, contact, coalesce(source, ''), coalesce(transport, 'udp'), "
    "coalesce(user_agent, ''), coalesce(call_id, ''), coalesce(cseq, 0), "
    "extract(epoch FROM expires_at)::bigint FROM sip_contacts WHERE expires_at > now()";
static const char *S_SQL_UPSERT =
    "INSERT INTO sip_contacts (ext, contact, source, transport, user_agent, call_id, cseq, "
    "expires_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8), now()) "
    "ON CONFLICT (ext, contact) DO UPDATE SET source = EXCLUDED.source, transport = "
    "EXCLUDED.transport, user_agent = EXCLUDED.user_agent, call_id = EXCLUDED.call_id, "
    "cseq = EXCLUDED.cseq, expires_at = EXCLUDED.expires_at, updated_at = now()";
/* Many upserts in one statement: parallel text arrays, one element per contact. */
static const char *S_SQL_UPSERT_MANY =
    "INSERT INTO sip_contacts (ext, contact, source, transport, user_agent, call_id, cseq, "
    "expires_at, updated_at) SELECT e, c, s, t, u, i, q::integer, to_timestamp(x::bigint), "
    "now() FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], "
    "$6::text[], $7::text[], $8::text[]) AS v(e, c, s, t, u, i, q, x) "
    "ON CONFLICT (ext, contact) DO UPDATE SET source = EXCLUDED.source, transport = "
    "EXCLUDED.transport, user_agent = EXCLUDED.user_agent, call_id = EXCLUDED.call_id, "
    "cseq = EXCLUDED.cseq, expires_at = EXCLUDED.expires_at, updated_at = now()";
static const char *S_SQL_DELETE = "DELETE FROM sip_contacts WHERE ext = $1 AND contact = $2";
static const char *S_SQL_DELETE_ALL = "DELETE FROM sip_contacts WHERE ext = $1";
static const char *S_SQL_AUDIT =
    "INSERT INTO web_audit (at, actor, role, action, target, detail, address, result) "
    "VALUES (now(), $1, nullif($2, ''), $3, $4, $5::jsonb, $6, $7)";
/* per-extension DND and forwarding (sp_divert), and what the phone's feature codes set */
static const char *S_SQL_DIVERT =
    "SELECT ext, dnd, coalesce(fwd_always, ''), coalesce(fwd_busy, ''), "
    "coalesce(fwd_noanswer, ''), coalesce(fwd_unavailable, ''), ring_time_s, "
    "coalesce(followme, '') FROM pbx_user_settings";
static const char *S_SQL_GROUPS =
    "SELECT name, mode, array_to_string(members, ','), ring_s, coalesce(fallback, '') "
    "FROM ring_groups";
static const char *S_SQL_SET_DND =
    "INSERT INTO pbx_user_settings (ext, dnd) SELECT $1, $2::boolean "
    "WHERE EXISTS (SELECT 1 FROM sip_users WHERE ext = $1) "
    "ON CONFLICT (ext) DO UPDATE SET dnd = EXCLUDED.dnd, updated_at = now()";
static const char *S_SQL_SET_FWD_ALWAYS =
    "INSERT INTO pbx_user_settings (ext, fwd_always) SELECT $1, nullif($2, '') "
    "WHERE EXISTS (SELECT 1 FROM sip_users WHERE ext = $1) "
    "ON CONFLICT (ext) DO UPDATE SET fwd_always = EXCLUDED.fwd_always, updated_at = now()";
static const char *S_SQL_EXPIRE = "DELETE FROM sip_contacts WHERE expires_at < now()";

static void s_copy(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

/* Users, and each enabled user's extension as an implicit route in `dp` (dialable without
 * a dialplan row: see cc_dialplan.h). */
static int s_load_users(cc_pg_t *pg, const char *realm, sp_directory_t *dir, cc_dialplan_t *dp)
{
    const char *params[] = {realm};
    PGresult *r = cc_pg_exec_params(pg, S_SQL_USERS, 1, params);
    if (!r)
        return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        sp_user_t u = {0};
        s_copy(u.ext, sizeof u.ext, PQgetvalue(r, i, 0));
        s_copy(u.name, sizeof u.name, PQgetvalue(r, i, 1));
        s_copy(u.ha1, sizeof u.ha1, PQgetvalue(r, i, 2));
        u.enabled = PQgetvalue(r, i, 3)[0] == 't';
        s_copy(u.ha1_sha256, sizeof u.ha1_sha256, PQgetvalue(r, i, 4));
        const char *algs = PQgetvalue(r, i, 5);
        char why[160];
        if (!algs[0] ||
            sp_digest_algs_parse(algs, u.digest_algs, &u.digest_nalgs, why, sizeof why) != 0)
            u.digest_nalgs = 0; /* the default; the table's CHECK keeps out anything else */
        (void)sp_srtp_policy_parse(PQgetvalue(r, i, 6), &u.srtp); /* else optional */
        (void)sp_tls_policy_parse(PQgetvalue(r, i, 7), &u.tls);   /* else optional */
        sp_directory_add_user(dir, &u);
        if (u.enabled && cc_dialplan_add_extension(dp, u.ext) != 0)
            cc_warn("sip.extension_not_routed", "ext=%s reason=\"not 2-15 digits\"",
                    cc_logq(u.ext));
    }
    PQclear(r);
    return 0;
}

static int s_load_trunks(cc_pg_t *pg, sp_directory_t *dir)
{
    PGresult *r = cc_pg_exec_params(pg, S_SQL_TRUNKS, 0, NULL);
    if (!r)
        return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        sp_trunk_t t = {0};
        s_copy(t.name, sizeof t.name, PQgetvalue(r, i, 0));
        s_copy(t.host, sizeof t.host, PQgetvalue(r, i, 1));
        t.port = atoi(PQgetvalue(r, i, 2));
        s_copy(t.username, sizeof t.username, PQgetvalue(r, i, 3));
        s_copy(t.password, sizeof t.password, PQgetvalue(r, i, 4));
        s_copy(t.transport, sizeof t.transport, PQgetvalue(r, i, 5));
        t.enabled = PQgetvalue(r, i, 6)[0] == 't';
        (void)sp_srtp_policy_parse(PQgetvalue(r, i, 7), &t.srtp); /* else optional */
        sp_directory_add_trunk(dir, &t);
    }
    PQclear(r);
    return 0;
}

static int s_load_dialplan(cc_pg_t *pg, cc_dialplan_t *dp)
{
    PGresult *r = cc_pg_exec_params(pg, S_SQL_DIALPLAN, 0, NULL);
    if (!r)
        return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        cc_route_t route = {0};
        route.id = atol(PQgetvalue(r, i, 0));
        s_copy(route.pattern, sizeof route.pattern, PQgetvalue(r, i, 1));
        char text[CC_TARGET_NAME_MAX + 16], err[128];
        snprintf(text, sizeof text, "%s:%s", PQgetvalue(r, i, 2), PQgetvalue(r, i, 3));
        if (cc_target_parse(text, &route.kind, route.target, sizeof route.target, err,
                            sizeof err) != 0) {
            cc_warn("sip.dialplan_skipped", "id=%ld target=%s reason=%s", route.id, cc_logq(text),
                    cc_logq(err));
            continue;
        }
        route.strip = atoi(PQgetvalue(r, i, 4));
        s_copy(route.prefix, sizeof route.prefix, PQgetvalue(r, i, 5));
        if (cc_dialplan_add(dp, &route) != 0)
            cc_warn("sip.dialplan_skipped", "id=%ld pattern=%s reason=invalid", route.id,
                    cc_logq(route.pattern));
    }
    PQclear(r);
    return 0;
}

static int s_load_divert(cc_pg_t *pg, sp_directory_t *dir)
{
    PGresult *r = cc_pg_exec_params(pg, S_SQL_DIVERT, 0, NULL);
    if (!r)
        return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        sp_divert_settings_t d = {0};
        d.dnd = PQgetvalue(r, i, 1)[0] == 't';
        for (int k = 0; k < SP_DIVERT_NCONDS; k++) {
            const char *t = PQgetvalue(r, i, 2 + k);
            if (t[0] && !sp_divert_target_ok(t))
                cc_warn("sip.forward_skipped", "ext=%s target=%s", cc_logq(PQgetvalue(r, i, 0)),
                        cc_logq(t));
            else
                s_copy(d.fwd[k], sizeof d.fwd[k], t);
        }
        d.ring_time_s = atoi(PQgetvalue(r, i, 6));
        char why[128];
        if (sp_divert_followme_parse(PQgetvalue(r, i, 7), d.followme, &d.nfollowme, why,
                                     sizeof why) != 0) {
            cc_warn("sip.followme_skipped", "ext=%s reason=%s", cc_logq(PQgetvalue(r, i, 0)),
                    cc_logq(why));
            d.nfollowme = 0;
        }
        sp_directory_set_divert(dir, PQgetvalue(r, i, 0), &d);
    }
    PQclear(r);
    return 0;
}

/* Ring groups as divert settings under "group:NAME": members as steps, fallback as the
 * no-answer target. */
static int s_load_groups(cc_pg_t *pg, sp_directory_t *dir)
{
    PGresult *r = cc_pg_exec_params(pg, S_SQL_GROUPS, 0, NULL);
    if (!r)
        return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        sp_divert_settings_t g = {.group = true};
        const char *mode = PQgetvalue(r, i, 1);
        g.all = strcmp(mode, "all") == 0;
        g.hunt = strcmp(mode, "hunt") == 0;
        int ring = atoi(PQgetvalue(r, i, 3));
        char members[256];
        s_copy(members, sizeof members, PQgetvalue(r, i, 2));
        for (char *save = NULL, *m = strtok_r(members, ",", &save);
             m && g.nfollowme < SP_DIVERT_MAX_STEPS; m = strtok_r(NULL, ",", &save)) {
            snprintf(g.followme[g.nfollowme].target, sizeof g.followme[0].target, "ext:%.15s", m);
            g.followme[g.nfollowme++].ring_s = ring;
        }
        const char *fb = PQgetvalue(r, i, 4);
        if (sp_divert_target_ok(fb))
            s_copy(g.fwd[SP_DIVERT_NOANSWER], sizeof g.fwd[0], fb);
        char key[80];
        snprintf(key, sizeof key, "group:%.60s", PQgetvalue(r, i, 0));
        sp_directory_set_divert(dir, key, &g);
    }
    PQclear(r);
    return 0;
}

static int s_load_monitor_acl(cc_pg_t *pg, sp_directory_t *dir)
{
    sp_monitor_acl_t *acl = sp_monitor_acl_new();
    PGresult *r = acl ? cc_pg_exec_params(pg, S_SQL_SUPERVISORS, 0, NULL) : NULL;
    if (!r) {
        sp_monitor_acl_destroy(&acl);
        return -1;
    }
    for (int i = 0; i < PQntuples(r); i++)
        sp_monitor_acl_add_supervisor(acl, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
                                      PQgetvalue(r, i, 2)[0] == 't',
                                      PQgetisnull(r, i, 3) ? NULL : PQgetvalue(r, i, 3));
    PQclear(r);
    r = cc_pg_exec_params(pg, S_SQL_MEMBERS, 0, NULL);
    if (!r) {
        sp_monitor_acl_destroy(&acl);
        return -1;
    }
    for (int i = 0; i < PQntuples(r); i++)
        sp_monitor_acl_add_member(acl, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
    PQclear(r);
    sp_directory_set_monitor_acl(dir, &acl);
    return 0;
}

/* One query of the screening tables; fn per row. 0 or -1. */
static int s_rows(cc_pg_t *pg, const char *sql, const char *realm, cc_screen_t *screen,
                  int (*fn)(cc_screen_t *screen, PGresult *r, int row))
{
    const char *params[] = {realm};
    PGresult *r = cc_pg_exec_params(pg, sql, realm ? 1 : 0, realm ? params : NULL);
    if (!r)
        return -1;
    for (int i = 0; i < PQntuples(r); i++)
        if (fn(screen, r, i) != 0)
            cc_warn("sip.screen_row_skipped", "value=%s reason=invalid",
                    cc_logq(PQgetvalue(r, i, 1)));
    PQclear(r);
    return 0;
}

static int s_screen_rule(cc_screen_t *screen, PGresult *r, int i)
{
    cc_screen_rule_t rule = {0};
    s_copy(rule.ext, sizeof rule.ext, PQgetvalue(r, i, 0));
    s_copy(rule.pattern, sizeof rule.pattern, PQgetvalue(r, i, 2));
    if (cc_screen_list_parse(PQgetvalue(r, i, 1), &rule.list) != 0 ||
        cc_screen_action_parse(PQgetvalue(r, i, 3), &rule.action) != 0)
        return -1;
    return cc_screen_add_rule(screen, &rule);
}

static int s_cos_prefix(cc_screen_t *screen, PGresult *r, int i)
{
    cc_cos_t cos;
    if (cc_cos_parse(PQgetvalue(r, i, 0), &cos) != 0)
        return -1;
    return cc_screen_add_cos_prefix(screen, cos, PQgetvalue(r, i, 1));
}

static int s_user_cos(cc_screen_t *screen, PGresult *r, int i)
{
    cc_cos_t cos;
    if (cc_cos_parse(PQgetvalue(r, i, 1), &cos) != 0)
        return -1;
    return cc_screen_set_user_cos(screen, PQgetvalue(r, i, 0), cos);
}

static int s_caller_route(cc_screen_t *screen, PGresult *r, int i)
{
    return cc_screen_add_caller_route(screen, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
                                      PQgetvalue(r, i, 2));
}

static int s_load_screen(cc_pg_t *pg, const char *realm, sp_directory_t *dir)
{
    cc_screen_t *screen = cc_screen_new();
    if (!screen || s_rows(pg, S_SQL_SCREEN_RULES, NULL, screen, s_screen_rule) ||
        s_rows(pg, S_SQL_COS_PREFIXES, NULL, screen, s_cos_prefix) ||
        s_rows(pg, S_SQL_USER_COS, realm, screen, s_user_cos) ||
        s_rows(pg, S_SQL_CALLER_ROUTES, NULL, screen, s_caller_route)) {
        cc_screen_destroy(&screen);
        return -1;
    }
    sp_directory_set_screen(dir, &screen);
    const char *params[] = {realm}; /* each extension's own music on hold */
    PGresult *r = cc_pg_exec_params(pg, S_SQL_USER_MUSIC, 1, params);
    if (!r)
        return -1;
    for (int i = 0; i < PQntuples(r); i++)
        sp_directory_set_user_music(dir, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
    PQclear(r);
    r = cc_pg_exec_params(pg, S_SQL_USER_PICKUP, 1, params); /* call pickup groups */
    if (!r)
        return -1;
    for (int i = 0; i < PQntuples(r); i++)
        sp_directory_set_pickup_group(dir, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
    PQclear(r);
    return 0;
}

sp_directory_t *sp_db_load_directory(cc_pg_t *pg, const char *realm)
{
    sp_directory_t *dir = sp_directory_new();
    cc_dialplan_t *dp = cc_dialplan_new();
    if (!dir || !dp) {
        sp_directory_destroy(&dir);
        cc_dialplan_destroy(&dp);
        return NULL;
    }
    if (s_load_users(pg, realm, dir, dp) || s_load_trunks(pg, dir) || s_load_dialplan(pg, dp) ||
        s_load_monitor_acl(pg, dir) || s_load_screen(pg, realm, dir) || s_load_divert(pg, dir) ||
        s_load_groups(pg, dir)) {
        cc_error("sip.directory_load_failed", "error=%s", cc_logq(cc_pg_error(pg)));
        cc_dialplan_destroy(&dp);
        sp_directory_destroy(&dir);
        return NULL;
    }
    sp_directory_set_dialplan(dir, &dp);
    cc_info("sip.directory_loaded", "users=%zu trunks=%zu routes=%zu", sp_directory_user_count(dir),
            sp_directory_trunk_count(dir), cc_dialplan_size(sp_directory_dialplan(dir)));
    return dir;
}

int sp_db_load_contacts(cc_pg_t *pg, void (*fn)(const sp_contact_t *c, void *arg), void *arg)
{
    PGresult *r = cc_pg_exec_params(pg, S_SQL_CONTACTS, 0, NULL);
    if (!r) {
        cc_error("sip.contacts_load_failed", "error=%s", cc_logq(cc_pg_error(pg)));
        return -1;
    }
    int n = PQntuples(r);
    for (int i = 0; i < n; i++) {
        sp_contact_t c = {0};
        s_copy(c.ext, sizeof c.ext, PQgetvalue(r, i, 0));
        s_copy(c.uri, sizeof c.uri, PQgetvalue(r, i, 1));
        s_copy(c.source, sizeof c.source, PQgetvalue(r, i, 2));
        s_copy(c.transport, sizeof c.transport, PQgetvalue(r, i, 3));
        s_copy(c.user_agent, sizeof c.user_agent, PQgetvalue(r, i, 4));
        s_copy(c.call_id, sizeof c.call_id, PQgetvalue(r, i, 5));
        c.cseq = (uint32_t)strtoul(PQgetvalue(r, i, 6), NULL, 10);
        c.expires_at = strtoull(PQgetvalue(r, i, 7), NULL, 10);
        fn(&c, arg);
    }
    PQclear(r);
    return n;
}

/* ---- worker thread (its mechanics: cc_pg_worker) -------------------------------- */

static void s_wake(int fd)
{
    uint64_t one = 1;
    ssize_t rc = write(fd, &one, sizeof one);
    (void)rc;
}

static void s_exec_op(cc_pg_t *pg, const s_op_t *op)
{
    PGresult *r = NULL;
    if (op->kind == S_OP_UPSERT) {
        char cseq[16], exp[24];
        snprintf(cseq, sizeof cseq, "%u", op->c.cseq);
        snprintf(exp, sizeof exp, "%llu", (unsigned long long)op->c.expires_at);
        const char *p[] = {op->c.ext,        op->c.uri,     op->c.source, op->c.transport,
                           op->c.user_agent, op->c.call_id, cseq,         exp};
        r = cc_pg_exec(pg, "sp_upsert", 8, p);
    } else if (op->kind == S_OP_AUDIT) {
        const sp_audit_t *a = &op->a;
        const char *p[] = {a->actor,  a->role,    a->action, a->target,
                           a->detail, a->address, a->result};
        /* in a savepoint: a refused audit row must not undo the contact writes */
        PQclear(cc_pg_exec_params(pg, "SAVEPOINT sp_audit", 0, NULL));
        r = cc_pg_exec(pg, "sp_audit", 7, p);
        if (!r)
            cc_warn("sip.audit_write_failed", "action=%s error=%s", a->action,
                    cc_logq(cc_pg_error(pg)));
        PQclear(cc_pg_exec_params(
            pg, r ? "RELEASE SAVEPOINT sp_audit" : "ROLLBACK TO SAVEPOINT sp_audit", 0, NULL));
        PQclear(r);
        return;
    } else if (op->kind == S_OP_DND || op->kind == S_OP_FWD_ALWAYS) {
        const char *p[] = {op->c.ext, op->value};
        PQclear(cc_pg_exec_params(pg, "SAVEPOINT sp_setting", 0, NULL));
        r = cc_pg_exec_params(pg, op->kind == S_OP_DND ? S_SQL_SET_DND : S_SQL_SET_FWD_ALWAYS, 2,
                              p);
        if (!r)
            cc_warn("sip.setting_write_failed", "ext=%s error=%s", op->c.ext,
                    cc_logq(cc_pg_error(pg)));
        PQclear(cc_pg_exec_params(
            pg, r ? "RELEASE SAVEPOINT sp_setting" : "ROLLBACK TO SAVEPOINT sp_setting", 0, NULL));
        PQclear(r);
        return;
    } else if (op->kind == S_OP_DELETE) {
        const char *p[] = {op->c.ext, op->c.uri};
        r = cc_pg_exec(pg, "sp_delete", 2, p);
    } else {
        const char *p[] = {op->c.ext};
        r = cc_pg_exec(pg, "sp_delete_all", 1, p);
    }
    if (!r)
        cc_warn("sip.contact_write_failed", "ext=%s error=%s", op->c.ext, cc_logq(cc_pg_error(pg)));
    PQclear(r);
}

/* ---- batched upserts ---------------------------------------------------------- */

typedef struct {
    char *buf;
    size_t len, cap;
} s_text_t;

static bool s_text_add(s_text_t *t, const char *p, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 4096;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *nb = realloc(t->buf, cap);
        if (!nb)
            return false;
        t->buf = nb;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, p, n);
    t->len += n;
    t->buf[t->len] = '\0';
    return true;
}

/* Append one element to a Postgres array literal being built: "value" with \ and "
 * escaped, comma-separated, the braces added by the caller. */
static bool s_array_add(s_text_t *t, const char *value)
{
    bool ok = s_text_add(t, t->len > 1 ? ",\"" : "\"", t->len > 1 ? 2 : 1);
    for (const char *p = value; ok && *p; p++) {
        if (*p == '"' || *p == '\\')
            ok = s_text_add(t, "\\", 1);
        ok = ok && s_text_add(t, p, 1);
    }
    return ok && s_text_add(t, "\"", 1);
}

static bool s_same_key(const s_op_t *a, const s_op_t *b)
{
    return strcmp(a->c.ext, b->c.ext) == 0 && strcmp(a->c.uri, b->c.uri) == 0;
}

/* One statement for a run of upserts; a later upsert of the same binding in the run wins
 * (ON CONFLICT cannot touch a row twice in one statement). */
static void s_upsert_run(cc_pg_t *pg, s_op_t **run, int n)
{
    s_text_t cols[8] = {{0}};
    bool ok = true;
    int rows = 0;
    for (int k = 0; k < 8 && ok; k++)
        ok = s_text_add(&cols[k], "{", 1);
    for (int i = 0; i < n && ok; i++) {
        bool superseded = false;
        for (int j = i + 1; j < n && !superseded; j++)
            superseded = s_same_key(run[i], run[j]);
        if (superseded)
            continue;
        const sp_contact_t *c = &run[i]->c;
        char cseq[16], exp[24];
        snprintf(cseq, sizeof cseq, "%u", c->cseq);
        snprintf(exp, sizeof exp, "%llu", (unsigned long long)c->expires_at);
        const char *v[8] = {c->ext,        c->uri,     c->source, c->transport,
                            c->user_agent, c->call_id, cseq,      exp};
        for (int k = 0; k < 8 && ok; k++)
            ok = s_array_add(&cols[k], v[k]);
        rows++;
    }
    for (int k = 0; k < 8 && ok; k++)
        ok = s_text_add(&cols[k], "}", 1);
    if (ok && rows > 0) {
        const char *params[8];
        for (int k = 0; k < 8; k++)
            params[k] = cols[k].buf;
        PGresult *r = cc_pg_exec(pg, "sp_upsert_many", 8, params);
        if (!r)
            cc_warn("sip.contact_write_failed", "rows=%d error=%s", rows, cc_logq(cc_pg_error(pg)));
        PQclear(r);
    } else if (!ok) {
        cc_warn("sip.contact_write_failed", "rows=%d error=out_of_memory", n);
    }
    for (int k = 0; k < 8; k++)
        free(cols[k].buf);
}

static void s_flush(sp_db_t *self, cc_pg_t *pg)
{
    pthread_mutex_lock(&self->lock);
    s_op_t *ops = self->head;
    self->head = self->tail = NULL;
    pthread_mutex_unlock(&self->lock);
    if (!ops)
        return;
    bool tx = cc_pg_begin(pg) == 0;
    int n = 0;
    enum {
        S_RUN_MAX = 512
    };
    s_op_t *run[S_RUN_MAX];
    int nrun = 0;
    for (s_op_t *op = ops; op; op = op->next, n++) {
        if (op->kind == S_OP_UPSERT) {
            run[nrun++] = op;
            if (nrun == S_RUN_MAX) {
                s_upsert_run(pg, run, nrun);
                nrun = 0;
            }
            continue;
        }
        if (nrun > 0) { /* keep the order: upserts before this delete go first */
            s_upsert_run(pg, run, nrun);
            nrun = 0;
        }
        s_exec_op(pg, op);
    }
    if (nrun > 0)
        s_upsert_run(pg, run, nrun);
    while (ops) {
        s_op_t *next = ops->next;
        free(ops);
        ops = next;
    }
    if (tx && cc_pg_commit(pg) != 0)
        cc_warn("sip.contact_commit_failed", "ops=%d error=%s", n, cc_logq(cc_pg_error(pg)));
    cc_debug("sip.contacts_written", "ops=%d", n);
}

static void s_reload(sp_db_t *self, cc_pg_t *pg)
{
    sp_directory_t *dir = sp_db_load_directory(pg, self->realm);
    if (!dir)
        return; /* keep the old one; logged */
    pthread_mutex_lock(&self->lock);
    sp_directory_destroy(&self->pending_dir);
    self->pending_dir = dir;
    pthread_mutex_unlock(&self->lock);
    s_wake(self->notify_fd);
}

static void s_prepare_and_start_expiry(cc_pg_t *pg, void *arg)
{
    sp_db_t *self = arg;
    cc_pg_prepare(pg, "sp_upsert", S_SQL_UPSERT, 8);
    cc_pg_prepare(pg, "sp_upsert_many", S_SQL_UPSERT_MANY, 8);
    cc_pg_prepare(pg, "sp_delete", S_SQL_DELETE, 2);
    cc_pg_prepare(pg, "sp_delete_all", S_SQL_DELETE_ALL, 1);
    cc_pg_prepare(pg, "sp_audit", S_SQL_AUDIT, 7);
    self->last_expire_ms = cc_mono_ms();
}

/* Every new session reloads, since notifications sent before its LISTEN were lost -- the
 * first one too: main loaded the directory before this thread listened, and a change
 * made in between would otherwise wait for the next one. */
static void s_reload_on_new_session(cc_pg_t *pg, bool first, void *arg)
{
    (void)first;
    s_reload(arg, pg);
}

/* The directory first, then the contact writes; once a minute, contacts that expired
 * while nobody refreshed or removed them are deleted. */
static void s_reload_write_expire(cc_pg_t *pg, bool notified, void *arg)
{
    sp_db_t *self = arg;
    if (notified)
        s_reload(self, pg);
    s_flush(self, pg);
    if (cc_mono_ms() - self->last_expire_ms > 60000) {
        self->last_expire_ms = cc_mono_ms();
        PQclear(cc_pg_exec_params(pg, S_SQL_EXPIRE, 0, NULL));
    }
}

static bool s_no_contact_writes(void *arg)
{
    sp_db_t *self = arg;
    pthread_mutex_lock(&self->lock);
    bool idle = !self->head;
    pthread_mutex_unlock(&self->lock);
    return idle;
}

sp_db_t *sp_db_start(const char *conninfo, const char *realm)
{
    sp_db_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    pthread_mutex_init(&self->lock, NULL);
    snprintf(self->realm, sizeof self->realm, "%s", realm);
    self->notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    const cc_pg_worker_cfg_t cfg = {
        .failed_event = "sip.db_thread_failed",
        .listen_channel = "cc_config",
        .connect_wait_s = 3600,
        .round_ms = 250,
        .on_connect = s_prepare_and_start_expiry,
        .on_session = s_reload_on_new_session,
        .on_round = s_reload_write_expire,
        .idle = s_no_contact_writes,
        .arg = self,
    };
    if (self->notify_fd < 0 || !(self->worker = cc_pg_worker_start(conninfo, &cfg))) {
        sp_db_stop(&self);
        return NULL;
    }
    return self;
}

void sp_db_stop(sp_db_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sp_db_t *self = *self_p;
    cc_pg_worker_stop(&self->worker); /* returns once the queued contact writes are done */
    while (self->head) {
        s_op_t *next = self->head->next;
        free(self->head);
        self->head = next;
    }
    sp_directory_destroy(&self->pending_dir);
    if (self->notify_fd >= 0)
        close(self->notify_fd);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

int sp_db_notify_fd(sp_db_t *self)
{
    return self->notify_fd;
}

sp_directory_t *sp_db_take_directory(sp_db_t *self)
{
    uint64_t v;
    ssize_t rc = read(self->notify_fd, &v, sizeof v);
    (void)rc;
    pthread_mutex_lock(&self->lock);
    sp_directory_t *dir = self->pending_dir;
    self->pending_dir = NULL;
    pthread_mutex_unlock(&self->lock);
    return dir;
}

static void s_queue(sp_db_t *self, s_op_kind_t kind, const sp_contact_t *c, const sp_audit_t *a)
{
    s_op_t *op = calloc(1, sizeof *op);
    if (!op) {
        cc_warn("sip.db_write_dropped", "what=%s reason=oom", a ? a->action : c->ext);
        return;
    }
    op->next = NULL;
    op->kind = kind;
    if (c)
        op->c = *c;
    if (a)
        op->a = *a;
    pthread_mutex_lock(&self->lock);
    bool was_empty = !self->head;
    if (self->tail)
        self->tail->next = op;
    else
        self->head = op;
    self->tail = op;
    pthread_mutex_unlock(&self->lock);
    if (was_empty)
        cc_pg_worker_wake(self->worker);
}

void sp_db_contact_upsert(sp_db_t *self, const sp_contact_t *c)
{
    s_queue(self, S_OP_UPSERT, c, NULL);
}

void sp_db_contact_delete(sp_db_t *self, const char *ext, const char *uri)
{
    sp_contact_t c = {0};
    snprintf(c.ext, sizeof c.ext, "%s", ext);
    if (uri)
        snprintf(c.uri, sizeof c.uri, "%s", uri);
    s_queue(self, uri ? S_OP_DELETE : S_OP_DELETE_ALL, &c, NULL);
}

void sp_db_audit(sp_db_t *self, const sp_audit_t *a)
{
    s_queue(self, S_OP_AUDIT, NULL, a);
}

static void s_queue_setting(sp_db_t *self, s_op_kind_t kind, const char *ext, const char *value)
{
    s_op_t *op = calloc(1, sizeof *op);
    if (!op) {
        cc_warn("sip.db_write_dropped", "what=setting ext=%s reason=oom", cc_logq(ext));
        return;
    }
    op->kind = kind;
    snprintf(op->c.ext, sizeof op->c.ext, "%s", ext);
    snprintf(op->value, sizeof op->value, "%s", value);
    pthread_mutex_lock(&self->lock);
    bool was_empty = !self->head;
    if (self->tail)
        self->tail->next = op;
    else
        self->head = op;
    self->tail = op;
    pthread_mutex_unlock(&self->lock);
    if (was_empty)
        cc_pg_worker_wake(self->worker);
}

void sp_db_set_dnd(sp_db_t *self, const char *ext, bool on)
{
    s_queue_setting(self, S_OP_DND, ext, on ? "t" : "f");
}

void sp_db_set_forward_always(sp_db_t *self, const char *ext, const char *target)
{
    s_queue_setting(self, S_OP_FWD_ALWAYS, ext, target ? target : "");
}
