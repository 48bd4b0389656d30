/* dl_db.c - dialerd's statements (see dl_db.h). */
#include "dl_db.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cc_log.h"

struct dl_db {
    cc_pg_t *pg;
};

/* a campaign's settings, as dl_live reads them */
#define S_CAMPAIGN_COLUMNS                                                                         \
    "SELECT name, mode, queue, caller_id, array_to_string(hours, ';'), time_zone, tz_rule, "       \
    "abandon_cap_pct::float8, ring_s, max_attempts, max_ratio::float8, abandon_prompt, "           \
    "amd, amd_machine, amd_prompt, coalesce(trunk, '') "

static const struct {
    const char *name, *sql;
    int nparams;
} s_statements[] = {
    {"dl_summary",
     "SELECT count(*), count(*) FILTER (WHERE state = 'running'), "
     "count(*) FILTER (WHERE state = 'paused'), "
     "(SELECT count(*) FROM leads l JOIN campaigns c ON c.name = l.campaign "
     "  WHERE c.state = 'running' AND l.state = 'ready') "
     "FROM campaigns",
     0},
    {"dl_running", S_CAMPAIGN_COLUMNS "FROM campaigns WHERE state = 'running' ORDER BY name", 0},
    {"dl_campaign", S_CAMPAIGN_COLUMNS "FROM campaigns WHERE name = $1", 1},
    /* attempts a previous run left in progress: the lead as dl_ready_leads gives it, then
     * the attempt, its campaign, how far the call got and the lead's state */
    {"dl_unfinished",
     "SELECT l.id, l.number, coalesce(l.time_zone, ''), l.attempts, "
     "coalesce((extract(epoch FROM l.next_attempt_at) * 1000)::bigint, 0), "
     "coalesce((extract(epoch FROM l.abandoned_at) * 1000)::bigint, 0), "
     "a.id, a.campaign, a.answered_at IS NOT NULL, a.agent_at IS NOT NULL, l.state "
     "FROM dialer_attempts a JOIN leads l ON l.id = a.lead_id "
     "WHERE a.ended_at IS NULL ORDER BY a.id",
     0},
    {"dl_retries",
     "SELECT outcome, min_gap_s, max_attempts FROM campaign_retries WHERE campaign = $1", 1},
    {"dl_dnc", "SELECT number FROM dnc WHERE campaign IS NULL OR campaign = $1", 1},
    {"dl_ready_leads",
     "SELECT id, number, coalesce(time_zone, ''), attempts, "
     "coalesce((extract(epoch FROM next_attempt_at) * 1000)::bigint, 0), "
     "coalesce((extract(epoch FROM abandoned_at) * 1000)::bigint, 0), name, fields::text, "
     "coalesce(reserved_by, ''), "
     "coalesce((extract(epoch FROM reserved_until) * 1000)::bigint, 0) "
     "FROM leads WHERE campaign = $1 AND state = 'ready' "
     "ORDER BY next_attempt_at NULLS FIRST, id LIMIT $2::integer",
     2},
    {"dl_attempt_start",
     "WITH l AS (UPDATE leads SET state = 'dialling', attempts = attempts + 1, "
     "  last_attempt_at = now(), reserved_by = NULL, reserved_until = NULL "
     "  WHERE id = $2::bigint AND state = 'ready' RETURNING id) "
     "INSERT INTO dialer_attempts (campaign, lead_id, number, attempt, mode) "
     "SELECT $1, l.id, $3, $4::integer, $5 FROM l RETURNING id",
     5},
    {"dl_attempt_call", "UPDATE dialer_attempts SET call_id = $2 WHERE id = $1::bigint", 2},
    {"dl_attempt_answered", "UPDATE dialer_attempts SET answered_at = now() WHERE id = $1::bigint",
     1},
    {"dl_attempt_agent",
     "UPDATE dialer_attempts SET agent_at = now(), agent = $2 WHERE id = $1::bigint", 2},
    {"dl_attempt_amd",
     "UPDATE dialer_attempts SET amd_result = $2, amd_reason = $3, amd_ms = $4::integer "
     "WHERE id = $1::bigint",
     4},
    {"dl_attempt_end",
     "UPDATE dialer_attempts SET ended_at = now(), outcome = $2, talk_ms = $3::bigint "
     "WHERE id = $1::bigint",
     3},
    {"dl_lead_after",
     "UPDATE leads SET state = $2, last_outcome = $5, "
     "next_attempt_at = CASE WHEN $3::bigint > 0 THEN to_timestamp($3::bigint / 1000.0) END, "
     "abandoned_at = CASE WHEN $4::bigint > 0 THEN to_timestamp($4::bigint / 1000.0) "
     "  ELSE abandoned_at END WHERE id = $1::bigint",
     5},
    {"dl_lead_state", "UPDATE leads SET state = $2 WHERE id = $1::bigint", 2},
    {"dl_campaigns",
     "SELECT c.name, c.mode, c.state, c.queue, "
     "(SELECT count(*) FROM leads l WHERE l.campaign = c.name AND l.state = 'ready') "
     "FROM campaigns c ORDER BY c.name",
     0},
    {"dl_set_state",
     "UPDATE campaigns SET state = $2, state_at = now() WHERE name = $1 RETURNING state", 2},
    /* preview: the running preview campaigns an agent serves (a member of their queue) */
    {"dl_pv_campaigns",
     "SELECT c.name FROM campaigns c JOIN queue_members m ON m.queue = c.queue "
     "WHERE m.ext = $1 AND c.state = 'running' AND c.mode = 'preview' ORDER BY c.name",
     1},
    /* a lead as an agent names it: the lead, its campaign, and whether the agent serves it */
    {"dl_pv_lead",
     "SELECT l.id, l.number, coalesce(l.time_zone, ''), l.attempts, "
     "coalesce((extract(epoch FROM l.next_attempt_at) * 1000)::bigint, 0), "
     "coalesce((extract(epoch FROM l.abandoned_at) * 1000)::bigint, 0), l.name, l.fields::text, "
     "l.state, l.campaign, c.mode, c.state, "
     "EXISTS (SELECT 1 FROM queue_members m WHERE m.queue = c.queue AND m.ext = $2), "
     "coalesce(l.reserved_by, ''), "
     "coalesce((extract(epoch FROM l.reserved_until) * 1000)::bigint, 0) "
     "FROM leads l JOIN campaigns c ON c.name = l.campaign WHERE l.id = $1::bigint",
     2},
    /* a skip: the lead due again now (behind the due ones), a row that is not an attempt */
    {"dl_pv_skip",
     "WITH l AS (UPDATE leads SET next_attempt_at = to_timestamp($3::bigint / 1000.0), "
     "  reserved_by = NULL, reserved_until = NULL "
     "  WHERE id = $1::bigint AND campaign = $2 AND state = 'ready' "
     "  RETURNING id, number, attempts) "
     "INSERT INTO dialer_attempts (campaign, lead_id, number, attempt, mode, ended_at, outcome, "
     "  agent) SELECT $2, l.id, l.number, l.attempts + 1, 'preview', now(), 'skipped', $4 FROM l "
     "RETURNING id",
     4},
    /* the lead shown to an agent is reserved for it (unless another agent's reservation still
     * runs), and any other lead it was shown is free again: one lead per agent on screen */
    {"dl_pv_reserve",
     "WITH mine AS (UPDATE leads SET reserved_by = $2, "
     "  reserved_until = now() + make_interval(secs => $3::integer) "
     "  WHERE id = $1::bigint AND state = 'ready' AND (reserved_by IS NULL OR reserved_by = $2 "
     "  OR reserved_until <= now()) RETURNING id), "
     "other AS (UPDATE leads SET reserved_by = NULL, reserved_until = NULL "
     "  WHERE reserved_by = $2 AND id <> $1::bigint AND EXISTS (SELECT 1 FROM mine) RETURNING id) "
     "SELECT id, (SELECT count(*) FROM other) FROM mine",
     3},
    /* a preview call that never reached the customer: the attempt it counted is given back */
    {"dl_lead_uncount",
     "UPDATE leads SET attempts = attempts - 1 WHERE id = $1::bigint AND attempts > 0", 1},
};

dl_db_t *dl_db_new(cc_pg_t *pg)
{
    dl_db_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->pg = pg;
    for (size_t i = 0; i < sizeof s_statements / sizeof s_statements[0]; i++)
        if (cc_pg_prepare(pg, s_statements[i].name, s_statements[i].sql, s_statements[i].nparams) !=
            0) {
            free(self);
            return NULL;
        }
    return self;
}

void dl_db_destroy(dl_db_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

const char *dl_db_error(const dl_db_t *self)
{
    return cc_pg_error(self->pg);
}

int dl_db_summary(dl_db_t *self, dl_db_summary_t *out)
{
    PGresult *res = cc_pg_exec(self->pg, "dl_summary", 0, NULL);
    if (!res)
        return -1;
    out->campaigns = atoi(PQgetvalue(res, 0, 0));
    out->running = atoi(PQgetvalue(res, 0, 1));
    out->paused = atoi(PQgetvalue(res, 0, 2));
    out->leads_ready = atoll(PQgetvalue(res, 0, 3));
    PQclear(res);
    return 0;
}

PGresult *dl_db_running(dl_db_t *self)
{
    return cc_pg_exec(self->pg, "dl_running", 0, NULL);
}

PGresult *dl_db_campaign(dl_db_t *self, const char *campaign)
{
    const char *p[] = {campaign};
    return cc_pg_exec(self->pg, "dl_campaign", 1, p);
}

PGresult *dl_db_unfinished(dl_db_t *self)
{
    return cc_pg_exec(self->pg, "dl_unfinished", 0, NULL);
}

PGresult *dl_db_retries(dl_db_t *self, const char *campaign)
{
    const char *p[] = {campaign};
    return cc_pg_exec(self->pg, "dl_retries", 1, p);
}

PGresult *dl_db_dnc(dl_db_t *self, const char *campaign)
{
    const char *p[] = {campaign};
    return cc_pg_exec(self->pg, "dl_dnc", 1, p);
}

PGresult *dl_db_ready_leads(dl_db_t *self, const char *campaign, int limit)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit);
    const char *p[] = {campaign, lim};
    return cc_pg_exec(self->pg, "dl_ready_leads", 2, p);
}

/* Run a statement that returns nothing we need: 0 or -1 (logged). */
static int s_run(dl_db_t *self, const char *name, int n, const char *const *p)
{
    PGresult *res = cc_pg_exec(self->pg, name, n, p);
    if (!res) {
        cc_warn("dialer.db_failed", "statement=%s err=%s", name, cc_logq(cc_pg_error(self->pg)));
        return -1;
    }
    PQclear(res);
    return 0;
}

int64_t dl_db_attempt_start(dl_db_t *self, const char *campaign, int64_t lead_id,
                            const char *number, int attempt, const char *mode)
{
    char id[24], att[16];
    snprintf(id, sizeof id, "%" PRId64, lead_id);
    snprintf(att, sizeof att, "%d", attempt);
    const char *p[] = {campaign, id, number, att, mode};
    PGresult *res = cc_pg_exec(self->pg, "dl_attempt_start", 5, p);
    if (!res) {
        cc_warn("dialer.db_failed", "statement=dl_attempt_start err=%s",
                cc_logq(cc_pg_error(self->pg)));
        return -1;
    }
    int64_t out = PQntuples(res) == 1 ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : -1;
    PQclear(res);
    return out;
}

int dl_db_attempt_call(dl_db_t *self, int64_t attempt_id, const char *call_id)
{
    char id[24];
    snprintf(id, sizeof id, "%" PRId64, attempt_id);
    const char *p[] = {id, call_id};
    return s_run(self, "dl_attempt_call", 2, p);
}

int dl_db_attempt_mark(dl_db_t *self, int64_t attempt_id, const char *column, const char *agent)
{
    char id[24];
    snprintf(id, sizeof id, "%" PRId64, attempt_id);
    const char *p[] = {id, agent};
    if (column[0] == 'a' && column[1] == 'g')
        return s_run(self, "dl_attempt_agent", 2, p);
    return s_run(self, "dl_attempt_answered", 1, p);
}

int dl_db_attempt_amd(dl_db_t *self, int64_t attempt_id, const char *result, const char *reason,
                      int64_t ms)
{
    char id[24], t[24];
    snprintf(id, sizeof id, "%" PRId64, attempt_id);
    snprintf(t, sizeof t, "%" PRId64, ms < 0 ? 0 : ms);
    const char *p[] = {id, result, reason, t};
    return s_run(self, "dl_attempt_amd", 4, p);
}

int dl_db_attempt_end(dl_db_t *self, int64_t attempt_id, const char *outcome, int64_t talk_ms)
{
    char id[24], talk[24];
    snprintf(id, sizeof id, "%" PRId64, attempt_id);
    snprintf(talk, sizeof talk, "%" PRId64, talk_ms);
    const char *p[] = {id, outcome, talk_ms >= 0 ? talk : NULL};
    return s_run(self, "dl_attempt_end", 3, p);
}

int dl_db_lead_after(dl_db_t *self, int64_t lead_id, const char *state, int64_t due_ms,
                     int64_t abandoned_ms, const char *outcome)
{
    char id[24], due[24], ab[24];
    snprintf(id, sizeof id, "%" PRId64, lead_id);
    snprintf(due, sizeof due, "%" PRId64, due_ms);
    snprintf(ab, sizeof ab, "%" PRId64, abandoned_ms);
    const char *p[] = {id, state, due, ab, outcome};
    return s_run(self, "dl_lead_after", 5, p);
}

int dl_db_lead_state(dl_db_t *self, int64_t lead_id, const char *state)
{
    char id[24];
    snprintf(id, sizeof id, "%" PRId64, lead_id);
    const char *p[] = {id, state};
    return s_run(self, "dl_lead_state", 2, p);
}

PGresult *dl_db_campaigns(dl_db_t *self)
{
    return cc_pg_exec(self->pg, "dl_campaigns", 0, NULL);
}

PGresult *dl_db_set_state(dl_db_t *self, const char *campaign, const char *state)
{
    const char *p[] = {campaign, state};
    return cc_pg_exec(self->pg, "dl_set_state", 2, p);
}

PGresult *dl_db_preview_campaigns(dl_db_t *self, const char *ext)
{
    const char *p[] = {ext};
    return cc_pg_exec(self->pg, "dl_pv_campaigns", 1, p);
}

PGresult *dl_db_preview_lead(dl_db_t *self, int64_t lead_id, const char *ext)
{
    char id[24];
    snprintf(id, sizeof id, "%" PRId64, lead_id);
    const char *p[] = {id, ext};
    return cc_pg_exec(self->pg, "dl_pv_lead", 2, p);
}

int64_t dl_db_preview_skip(dl_db_t *self, const char *campaign, int64_t lead_id, int64_t due_ms,
                           const char *ext)
{
    char id[24], due[24];
    snprintf(id, sizeof id, "%" PRId64, lead_id);
    snprintf(due, sizeof due, "%" PRId64, due_ms);
    const char *p[] = {id, campaign, due, ext};
    PGresult *res = cc_pg_exec(self->pg, "dl_pv_skip", 4, p);
    if (!res) {
        cc_warn("dialer.db_failed", "statement=dl_pv_skip err=%s", cc_logq(cc_pg_error(self->pg)));
        return -1;
    }
    int64_t out = PQntuples(res) == 1 ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
    PQclear(res);
    return out;
}

int dl_db_lead_uncount(dl_db_t *self, int64_t lead_id)
{
    char id[24];
    snprintf(id, sizeof id, "%" PRId64, lead_id);
    const char *p[] = {id};
    return s_run(self, "dl_lead_uncount", 1, p);
}

int dl_db_preview_reserve(dl_db_t *self, int64_t lead_id, const char *ext, int hold_s)
{
    char id[24], secs[16];
    snprintf(id, sizeof id, "%" PRId64, lead_id);
    snprintf(secs, sizeof secs, "%d", hold_s);
    const char *p[] = {id, ext, secs};
    PGresult *res = cc_pg_exec(self->pg, "dl_pv_reserve", 3, p);
    if (!res) {
        cc_warn("dialer.db_failed", "statement=dl_pv_reserve err=%s",
                cc_logq(cc_pg_error(self->pg)));
        return -1;
    }
    int out = PQntuples(res) == 1;
    PQclear(res);
    return out;
}

void dl_db_lead_reservation(const PGresult *res, int r, int col, dl_lead_t *lead)
{
    lead->reserved_by = PQgetvalue(res, r, col);
    lead->reserved_until_ms = strtoll(PQgetvalue(res, r, col + 1), NULL, 10);
}

dl_lead_t dl_db_lead_at(const PGresult *res, int r)
{
    const char *zone = PQgetvalue(res, r, 2);
    return (dl_lead_t){.id = strtoll(PQgetvalue(res, r, 0), NULL, 10),
                       .number = PQgetvalue(res, r, 1),
                       .zone = zone[0] ? zone : NULL,
                       .attempts = atoi(PQgetvalue(res, r, 3)),
                       .due_ms = strtoll(PQgetvalue(res, r, 4), NULL, 10),
                       .abandoned_ms = strtoll(PQgetvalue(res, r, 5), NULL, 10)};
}
