/* wb_figures.c - the figures derived from a queue's counts, rounded as the reports' views
 * round them (Postgres round(numeric, 1): half away from zero), computed in integers so
 * the wallboard and SQL agree to the last digit; the live staff counts of a queue; and
 * the names of states, alerts and service-level formulas. */
#include "wb_priv.h"

#include <string.h>

/* round(num / den, 1) * 10 for num >= 0, den > 0: tenths, halves rounded up. */
static int64_t s_tenths(int64_t num, int64_t den)
{
    return (2 * 10 * num + den) / (2 * den);
}

int64_t wb_pct_x10(int64_t num, int64_t den)
{
    return den > 0 && num >= 0 ? s_tenths(100 * num, den) : -1;
}

int64_t wb_mean_s_x10(int64_t sum_ms, int64_t count)
{
    return count > 0 && sum_ms >= 0 ? s_tenths(sum_ms, 1000 * count) : -1;
}

void wb_figures(const wb_today_t *t, wb_sl_formula_t formula, wb_figures_t *out)
{
    out->abandon_rate_x10 = wb_pct_x10(t->abandoned, t->offered);
    out->answer_rate_x10 = wb_pct_x10(t->answered, t->offered);
    switch (formula) {
    case WB_SL_ANSWERED:
        out->sl_x10 = wb_pct_x10(t->answered_in_sl, t->answered);
        break;
    case WB_SL_OFFERED:
        out->sl_x10 = wb_pct_x10((int64_t)t->answered_in_sl + t->abandoned_in_sl, t->offered);
        break;
    case WB_SL_ANSWERED_ABANDONED:
    default:
        out->sl_x10 = wb_pct_x10(t->answered_in_sl, (int64_t)t->answered + t->abandoned);
        break;
    }
    out->asa_x10 = wb_mean_s_x10(t->answer_wait_ms, t->answered);
    out->aht_x10 = wb_mean_s_x10(t->talk_ms + t->wrap_ms, t->handled);
    out->talk_x10 = wb_mean_s_x10(t->talk_ms, 1);
    out->wrap_x10 = wb_mean_s_x10(t->wrap_ms, 1);
}

void wb_queue_staff(const wb_queue_t *q, wb_staff_t *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < q->nmembers; i++) {
        wb_agent_state_t st = q->members[i]->state;
        out->by_state[st]++;
        out->logged_in += st != WB_AGENT_LOGGED_OUT;
    }
}

static const char *const s_agent_states[WB_AGENT_N_STATES] = {"logged_out", "ready",   "reserved",
                                                              "on_call",    "wrap_up", "not_ready"};

const char *wb_agent_state_name(wb_agent_state_t state)
{
    return state < WB_AGENT_N_STATES ? s_agent_states[state] : "logged_out";
}

int wb_agent_state_parse(const char *text, wb_agent_state_t *out)
{
    for (int i = 0; text && i < WB_AGENT_N_STATES; i++) {
        if (!strcmp(text, s_agent_states[i])) {
            *out = (wb_agent_state_t)i;
            return 0;
        }
    }
    return -1;
}

const char *wb_call_state_name(wb_call_state_t state)
{
    static const char *const names[] = {"waiting", "ringing", "talking", "callback"};
    return state <= WB_CALL_CALLBACK ? names[state] : "waiting";
}

const char *wb_alert_name(wb_alert_kind_t kind)
{
    static const char *const names[] = {"sl_low", "wait_long", "call_long", "not_ready_long"};
    return kind <= WB_ALERT_NOT_READY_LONG ? names[kind] : "?";
}

static const char *const s_formulas[] = {"answered", "answered_abandoned", "offered"};

const char *wb_sl_formula_name(wb_sl_formula_t f)
{
    return f <= WB_SL_OFFERED ? s_formulas[f] : "answered_abandoned";
}

int wb_sl_formula_parse(const char *text, wb_sl_formula_t *out)
{
    for (int i = 0; text && i <= WB_SL_OFFERED; i++) {
        if (!strcmp(text, s_formulas[i])) {
            *out = (wb_sl_formula_t)i;
            return 0;
        }
    }
    return -1;
}
