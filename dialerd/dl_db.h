/* dl_db.h - dialerd's Postgres adapter: every statement it runs as cc_dialerd (campaigns
 * and their rules, due leads, do-not-call numbers, attempts and lead updates). Blocking
 * calls on the loop thread: dialerd has no SIP or media hot path, each statement is one
 * indexed read or a one-row write, and a campaign tick makes a handful. */
#ifndef DL_DB_H
#define DL_DB_H

#include <stdint.h>

#include "cc_pg.h"
#include "dl_pick.h"

typedef struct dl_db dl_db_t;

typedef struct {
    int campaigns, running, paused;
    long long leads_ready; /* leads of running campaigns still to dial */
} dl_db_summary_t;

/* Prepare the statements on pg (borrowed). NULL on failure (logged). */
dl_db_t *dl_db_new(cc_pg_t *pg);
void dl_db_destroy(dl_db_t **self_p);
const char *dl_db_error(const dl_db_t *self);

/* 0, or -1 (dl_db_error() says why). */
int dl_db_summary(dl_db_t *self, dl_db_summary_t *out);

/* Running campaigns: name, mode, queue, caller_id, hours (text[] as text), time_zone,
 * tz_rule, abandon_cap_pct, ring_s, max_attempts, max_ratio, abandon_prompt, amd ('t' or
 * 'f'), amd_machine, amd_prompt. NULL on failure. */
PGresult *dl_db_running(dl_db_t *self);
/* One campaign, whatever its state: the columns of dl_db_running; no row if unknown. */
PGresult *dl_db_campaign(dl_db_t *self, const char *campaign);
/* Attempts not ended (left by a run of dialerd that stopped): the lead's columns as
 * dl_db_ready_leads' first six, then the attempt's id, its campaign, answered ('t'/'f'),
 * agent reached ('t'/'f') and the lead's state. */
PGresult *dl_db_unfinished(dl_db_t *self);
/* A campaign's retry rules: outcome, min_gap_s, max_attempts. */
PGresult *dl_db_retries(dl_db_t *self, const char *campaign);
/* Numbers on the global list and the campaign's. */
PGresult *dl_db_dnc(dl_db_t *self, const char *campaign);
/* Up to `limit` ready leads in due order: id, number, time_zone, attempts,
 * next_attempt_at and abandoned_at as UTC ms (0 if NULL), name, fields (JSON text), then
 * reserved_by ("" if none) and reserved_until as UTC ms (columns 8 and 9). */
PGresult *dl_db_ready_leads(dl_db_t *self, const char *campaign, int limit);
/* Row r of dl_db_ready_leads (or dl_db_preview_lead) as a lead; its strings point into
 * res. */
dl_lead_t dl_db_lead_at(const PGresult *res, int r);

/* The lead is being dialled: state dialling, attempts + 1; a new attempt row. The new
 * attempt's id (> 0) or -1. */
int64_t dl_db_attempt_start(dl_db_t *self, const char *campaign, int64_t lead_id,
                            const char *number, int attempt, const char *mode);
int dl_db_attempt_call(dl_db_t *self, int64_t attempt_id, const char *call_id);
/* Moments: column one of "answered_at", "agent_at" (agent may be NULL otherwise). */
int dl_db_attempt_mark(dl_db_t *self, int64_t attempt_id, const char *column, const char *agent);
/* What answering-machine detection said of the attempt (result, reason) and how many ms
 * after the answer it decided. */
int dl_db_attempt_amd(dl_db_t *self, int64_t attempt_id, const char *result, const char *reason,
                      int64_t ms);
/* The attempt ended with `outcome`; talk_ms < 0 leaves it NULL. */
int dl_db_attempt_end(dl_db_t *self, int64_t attempt_id, const char *outcome, int64_t talk_ms);
/* The lead after an attempt: its new state, when it is due (0: NULL), when its last call
 * was abandoned (0: unchanged) and the outcome. */
int dl_db_lead_after(dl_db_t *self, int64_t lead_id, const char *state, int64_t due_ms,
                     int64_t abandoned_ms, const char *outcome);
/* A lead found on a do-not-call list or out of attempts before any dial. */
int dl_db_lead_state(dl_db_t *self, int64_t lead_id, const char *state);

/* Every campaign: name, mode, state, queue, ready leads. */
PGresult *dl_db_campaigns(dl_db_t *self);
/* Set a campaign's state: the row (state) or no row for an unknown campaign; NULL on
 * failure. */
PGresult *dl_db_set_state(dl_db_t *self, const char *campaign, const char *state);

/* Preview mode. The running preview campaigns agent `ext` serves, by name. */
PGresult *dl_db_preview_campaigns(dl_db_t *self, const char *ext);
/* One lead: the first eight columns of dl_db_ready_leads, then state, campaign, the
 * campaign's mode and state, whether `ext` is a member of its queue ("t"/"f"), reserved_by
 * and reserved_until (columns 13 and 14); no row for an unknown id. */
PGresult *dl_db_preview_lead(dl_db_t *self, int64_t lead_id, const char *ext);
/* An agent skipped a ready lead: due again at due_ms, and a 'skipped' row in
 * dialer_attempts (not an attempt: attempts unchanged). The row's id, 0 when the lead was
 * not ready (another agent took it), -1 on failure. */
int64_t dl_db_preview_skip(dl_db_t *self, const char *campaign, int64_t lead_id, int64_t due_ms,
                           const char *ext);
/* Reserve the lead shown to agent `ext` for hold_s seconds (renewing its own reservation)
 * and free any other lead reserved for it. 1, 0 when the lead is not ready or another
 * agent's reservation runs, -1 on failure. */
int dl_db_preview_reserve(dl_db_t *self, int64_t lead_id, const char *ext, int hold_s);
/* The reservation in columns col (reserved_by) and col + 1 (until, ms) of row r, into lead
 * (its string points into res). */
void dl_db_lead_reservation(const PGresult *res, int r, int col, dl_lead_t *lead);
/* A preview call that ended before the customer was called gives its attempt back. */
int dl_db_lead_uncount(dl_db_t *self, int64_t lead_id);

#endif
